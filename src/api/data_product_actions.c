/* data_product_actions: activate, deactivate, move and
 * generate-provider-url (SPEC §3). Each state change and its changelog entry
 * commit together. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "api/api.h"
#include "domain/provider.h"

/* Data sets of doc that no longer exist, as a new array (NULL on error). */
static json_t *missing_datasets(struct req *r, const json_t *doc)
{
	struct store *st = r->app->store;
	json_t *missing = json_array(), *v;
	size_t i;
	json_array_foreach(json_object_get(doc, "datasetIds"), i, v) {
		json_t *ds = NULL;
		int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, json_string_value(v));
		json_decref(ds);
		if (rc < 0) {
			api_store_error(r, rc);
			json_decref(missing);
			return NULL;
		}
		if (rc == STORE_NONE)
			json_array_append(missing, v);
	}
	return missing;
}

/* Writes doc and its changes; commits. Replies on failure. */
static int save(struct req *r, json_t *doc, const struct product_actor *who, json_t *changes)
{
	struct store *st = r->app->store;
	int rc = st->ops->product_update(st, r->who.tenant_id, doc);
	if (rc <= 0) {
		json_decref(changes);
		api_store_error(r, rc < 0 ? rc : STORE_HARD);
		return -1;
	}
	if (api_changelog_write(r, json_string_value(json_object_get(doc, "id")), who, changes) < 0)
		return -1;
	/* activation state feeds DISCOVERABILITY_ACTIVATED and USAGE_APP_VIEWS */
	if (api_product_refresh(r, doc, NULL) < 0)
		return -1;
	return api_commit(r);
}

void dp_activate(struct req *r)
{
	char err[2048], now[ISO_TS_LEN + 1];
	json_t *body = NULL, *doc = NULL, *missing = NULL, *sp = NULL;
	/* check order (decisions.md): the product (404/403), the target space
	 * read alone from the body (404/403), then the body (400), If-Match */
	if (api_begin(r, true) < 0)
		goto out;
	if (api_product_access(r, &doc, req_param(r, 0), DP_PUBLISH) < 0 || !(body = api_body_json(r)))
		goto fail;
	const char *target = NULL;
	(void)api_target_id(body, "spaceId", &target); /* a malformed one: 400 below */
	struct perm_ctx tctx;
	/* publishing into T needs publish rights there too (SPEC §4) */
	if (target && (api_space_access(r, &sp, &tctx, target, "spaceId") < 0 ||
		       api_verdict(r, perm_in_space(&tctx, DP_PUBLISH), "space", target) < 0))
		goto fail;
	if (jsonspec_check(body, product_activate_spec, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		goto fail;
	}
	if (api_if_match(r, doc) < 0)
		goto fail;
	if (target) {
		const char *type = json_string_value(json_object_get(sp, "type"));
		bool managed = type && !strcmp(type, "managed");
		if (!managed)
			reply_error(r, ERR_VALIDATION,
				    "'spaceId': space '%s' is a %s space; data products are published"
				    " to managed spaces",
				    target, type ? type : "unknown");
		if (!managed)
			goto fail;
	}
	if (!(missing = missing_datasets(r, doc)))
		goto fail;
	if (product_activation_problems(doc, missing, err, sizeof err) < 0) {
		reply_error(r, ERR_ACTIVATION_INVALID, "%s", err);
		goto fail;
	}
	struct product_actor who = api_actor(r, now);
	json_t *changes = product_activate(doc, body, target, &who);
	if (save(r, doc, &who, changes) < 0)
		goto fail;
	api_set_etag(r, doc);
	reply_json(r, 201, json_incref(doc));
	goto out;
fail:
	api_rollback(r);
out:
	json_decref(sp); /* after every use of the space's type */
	json_decref(missing);
	json_decref(doc);
	json_decref(body);
}

void dp_deactivate(struct req *r)
{
	char now[ISO_TS_LEN + 1];
	json_t *body = NULL, *doc = NULL;
	if (api_begin(r, true) < 0)
		return;
	/* 404/403 before the body is looked at (decisions.md "Check order") */
	if (api_product_access(r, &doc, req_param(r, 0), DP_PUBLISH) < 0 ||
	    !(body = api_body_json_or_empty(r)))
		goto fail;
	bool empty = json_is_object(body) && json_object_size(body) == 0;
	json_decref(body);
	if (!empty) {
		reply_error(r, ERR_VALIDATION, "deactivate takes no request body");
		goto fail;
	}
	if (api_if_match(r, doc) < 0)
		goto fail;
	if (!json_is_true(json_object_get(doc, "activated"))) {
		reply_error(r, ERR_PRODUCT_NOT_ACTIVATED, "data product '%s' is not activated",
			    req_param(r, 0));
		goto fail;
	}
	struct product_actor who = api_actor(r, now);
	json_t *changes = product_deactivate(doc, &who);
	if (save(r, doc, &who, changes) < 0)
		goto fail;
	json_decref(doc);
	reply_empty(r, 204);
	return;
fail:
	api_rollback(r);
	json_decref(doc);
}

void dp_move(struct req *r)
{
	char now[ISO_TS_LEN + 1], err[512];
	json_t *body = NULL, *doc = NULL;
	struct perm_ctx sctx, tctx;
	const char *id = req_param(r, 0), *target = NULL;
	if (api_begin(r, true) < 0)
		goto out;
	/* move S -> T (SPEC §4, perm_product_move): delete rights in S and
	 * create rights in T; an activated product also needs publish rights in
	 * both, else moving would bypass the publishing gate. The source first
	 * (404/403), then T read alone from the body (404/403), then the body. */
	if (api_product_ctx(r, &doc, &sctx, id) < 0 ||
	    api_verdict(r, perm_move_out(&sctx), "data product", id) < 0 ||
	    !(body = api_body_json(r)))
		goto fail;
	(void)api_target_id(body, "spaceId", &target); /* a malformed one: 400 below */
	if (target && (api_space_access(r, NULL, &tctx, target, "spaceId") < 0 ||
		       api_verdict(r, perm_move_in(&tctx, sctx.activated), "space", target) < 0))
		goto fail;
	if (jsonspec_check(body, product_move_spec, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		goto fail;
	}
	if (api_if_match(r, doc) < 0)
		goto fail;
	struct product_actor who = api_actor(r, now);
	json_t *changes = product_move(doc, target, &who);
	if (json_array_size(changes) == 0) {
		json_decref(changes);
		api_rollback(r);
	} else if (save(r, doc, &who, changes) < 0) {
		goto fail;
	}
	reply_empty(r, 204);
	goto out;
fail:
	api_rollback(r);
out:
	json_decref(doc);
	json_decref(body);
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
