/* data_product_actions: activate, deactivate, move and
 * generate-provider-url (SPEC §3). Each state change and its changelog entry
 * commit together. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "api/api.h"
#include "domain/provider.h"

/* Data sets of doc that no longer exist, as a new array in *out. */
static int missing_datasets(const struct req *r, const json_t *doc, json_t **out)
{
	struct store *st = r->app->store;
	json_t *missing = json_array(), *v;
	size_t i;
	json_array_foreach(json_object_get(doc, "datasetIds"), i, v) {
		json_t *ds = NULL;
		int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, json_string_value(v));
		json_decref(ds);
		if (rc < 0) {
			json_decref(missing);
			return rc;
		}
		if (rc == STORE_NONE)
			json_array_append(missing, v);
	}
	*out = missing;
	return 0;
}

/* Writes doc and its changes (stolen). A body's status. */
static int save(struct api_refusal *no, const struct req *r, json_t *doc,
		const struct product_actor *who, json_t *changes)
{
	struct store *st = r->app->store;
	int rc = api_wrote(st->ops->product_update(st, r->who.tenant_id, doc));
	if (rc < 0) {
		json_decref(changes);
		return rc;
	}
	rc = api_changelog_write_tx(no, r, json_string_value(json_object_get(doc, "id")), who,
				    changes);
	/* activation state feeds DISCOVERABILITY_ACTIVATED and USAGE_APP_VIEWS */
	if (rc == 0)
		rc = api_product_refresh_tx(r, doc, NULL);
	return rc;
}

/* The actions' transaction: the product, the checks of the action (in the
 * order of decisions.md "Check order"), the state change and its changelog
 * entry. The body was parsed before (its refusal kept for its turn). */
struct action_tx {
	const struct req *r;
	json_t *body; /* borrowed; NULL when it did not parse */
	struct api_refusal parse_error;
	json_t *doc;  /* out (activate): the product as stored */
	struct api_refusal no;
};

static int take_body(struct action_tx *t)
{
	if (t->body)
		return 0;
	t->no = t->parse_error;
	return STORE_TX_REFUSED;
}

static int activate_body(void *cls)
{
	struct action_tx *t = cls;
	const struct req *r = t->r;
	char err[2048], now[ISO_TS_LEN + 1];
	json_t *missing = NULL, *sp = NULL;
	json_decref(t->doc);
	t->doc = NULL;
	/* check order (decisions.md): the product (404/403), the target space
	 * read alone from the body (404/403), then the body (400), If-Match */
	int rc = api_product_access_tx(&t->no, r, &t->doc, req_param(r, 0), DP_PUBLISH);
	if (rc == 0)
		rc = take_body(t);
	if (rc != 0)
		return rc;
	const char *target = NULL;
	(void)api_target_id(t->body, "spaceId", &target); /* a malformed one: 400 below */
	struct perm_ctx tctx;
	/* publishing into T needs publish rights there too (SPEC §4) */
	if (target &&
	    ((rc = api_space_access_tx(&t->no, r, &sp, &tctx, target, "spaceId")) != 0 ||
	     (rc = api_verdict_tx(&t->no, perm_in_space(&tctx, DP_PUBLISH), "space", target)) != 0))
		goto out;
	if (jsonspec_check(t->body, product_activate_spec, err, sizeof err) < 0) {
		rc = api_refuse(&t->no, ERR_VALIDATION, "%s", err);
		goto out;
	}
	if ((rc = api_if_match_tx(&t->no, r, t->doc)) != 0)
		goto out;
	if (target) {
		const char *type = json_string_value(json_object_get(sp, "type"));
		bool managed = type && !strcmp(type, "managed");
		if (!managed) {
			rc = api_refuse(&t->no, ERR_VALIDATION,
					"'spaceId': space '%s' is a %s space; data products are published"
					" to managed spaces",
					target, type ? type : "unknown");
			goto out;
		}
	}
	if ((rc = missing_datasets(r, t->doc, &missing)) != 0)
		goto out;
	if (product_activation_problems(t->doc, missing, err, sizeof err) < 0) {
		rc = api_refuse(&t->no, ERR_ACTIVATION_INVALID, "%s", err);
		goto out;
	}
	struct product_actor who = api_actor(r, now);
	json_t *changes = product_activate(t->doc, t->body, target, &who);
	rc = save(&t->no, r, t->doc, &who, changes);
out:
	json_decref(sp); /* after every use of the space's type */
	json_decref(missing);
	return rc;
}

void dp_activate(struct req *r)
{
	struct action_tx t = {.r = r};
	t.body = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, activate_body, &t, &t.no) == 0) {
		api_set_etag(r, t.doc);
		reply_json(r, 201, json_incref(t.doc));
	}
	json_decref(t.doc);
	json_decref(t.body);
}

static int deactivate_body(void *cls)
{
	struct action_tx *t = cls;
	const struct req *r = t->r;
	char now[ISO_TS_LEN + 1];
	json_t *doc = NULL;
	/* 404/403 before the body is looked at (decisions.md "Check order") */
	int rc = api_product_access_tx(&t->no, r, &doc, req_param(r, 0), DP_PUBLISH);
	if (rc == 0)
		rc = take_body(t);
	if (rc == 0 && !(json_is_object(t->body) && json_object_size(t->body) == 0))
		rc = api_refuse(&t->no, ERR_VALIDATION, "deactivate takes no request body");
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, doc);
	if (rc == 0 && !json_is_true(json_object_get(doc, "activated")))
		rc = api_refuse(&t->no, ERR_PRODUCT_NOT_ACTIVATED, "data product '%s' is not activated",
				req_param(r, 0));
	if (rc == 0) {
		struct product_actor who = api_actor(r, now);
		json_t *changes = product_deactivate(doc, &who);
		rc = save(&t->no, r, doc, &who, changes);
	}
	json_decref(doc);
	return rc;
}

void dp_deactivate(struct req *r)
{
	struct action_tx t = {.r = r};
	t.body = api_body_parse_or_empty(r, &t.parse_error);
	if (api_tx_run(r, true, deactivate_body, &t, &t.no) == 0)
		reply_empty(r, 204);
	json_decref(t.body);
}

static int move_body(void *cls)
{
	struct action_tx *t = cls;
	const struct req *r = t->r;
	char now[ISO_TS_LEN + 1], err[512];
	json_t *doc = NULL;
	struct perm_ctx sctx, tctx;
	const char *id = req_param(r, 0), *target = NULL;
	/* move S -> T (SPEC §4, perm_product_move): delete rights in S and
	 * create rights in T; an activated product also needs publish rights in
	 * both, else moving would bypass the publishing gate. The source first
	 * (404/403), then T read alone from the body (404/403), then the body. */
	int rc = api_product_ctx_tx(&t->no, r, &doc, &sctx, id);
	if (rc == 0)
		rc = api_verdict_tx(&t->no, perm_move_out(&sctx), "data product", id);
	if (rc == 0)
		rc = take_body(t);
	if (rc == 0) {
		(void)api_target_id(t->body, "spaceId", &target); /* a malformed one: 400 below */
		if (target &&
		    (rc = api_space_access_tx(&t->no, r, NULL, &tctx, target, "spaceId")) == 0)
			rc = api_verdict_tx(&t->no, perm_move_in(&tctx, sctx.activated), "space",
					    target);
	}
	if (rc == 0 && jsonspec_check(t->body, product_move_spec, err, sizeof err) < 0)
		rc = api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, doc);
	if (rc == 0) {
		struct product_actor who = api_actor(r, now);
		json_t *changes = product_move(doc, target, &who);
		if (json_array_size(changes) == 0)
			json_decref(changes); /* nothing moves: nothing to write */
		else
			rc = save(&t->no, r, doc, &who, changes);
	}
	json_decref(doc);
	return rc;
}

void dp_move(struct req *r)
{
	struct action_tx t = {.r = r};
	t.body = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, move_body, &t, &t.no) == 0)
		reply_empty(r, 204);
	json_decref(t.body);
}

/* generate-provider-url: the data set must exist; its data store type picks
 * a URL template from the server's config file (docs/provider-urls.md). */
void dp_provider_url(struct req *r)
{
	const char *id = req_query(r, "dataSetId");
	if (!id || !*id) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'dataSetId' is required");
		return;
	}
	if (!ids_guid_valid(id)) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'dataSetId' must be a lower-case GUID");
		return;
	}
	struct store *st = r->app->store;
	json_t *ds = NULL;
	int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, id);
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	if (rc == STORE_NONE) {
		reply_error(r, ERR_NOT_FOUND, "data set '%s' not found", id);
		return;
	}
	char type[64], missing[128];
	provider_store_type(type, sizeof type, ds);
	const char *tpl =
		json_string_value(json_object_get(r->app->cfg->provider_templates, type));
	char *url = tpl ? provider_expand(tpl, ds, missing, sizeof missing) : NULL;
	if (!tpl)
		reply_error(r, ERR_PROVIDER_NOT_CONFIGURED,
			    "no provider URL template is configured for data store type '%s'",
			    *type ? type : "(none)");
	else if (!url)
		reply_error(r, ERR_PROVIDER_NOT_CONFIGURED,
			    "the '%s' template needs {%s}, which data set '%s' does not have", type,
			    missing, id);
	else
		reply_json(r, 200, json_pack("{s:s}", "url", url));
	free(url);
	json_decref(ds);
}
