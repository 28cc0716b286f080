/* data_sets: /api/v1/data-sets create and get in @qlik/api's DataSet shape,
 * so data products can reference real data sets. */
#include <stdio.h>
#include "api/api.h"
#include "domain/dataset.h"

void datasets_create(struct req *r)
{
	char err[512], now[ISO_TS_LEN + 1], id[GUID_LEN + 1], asset[GUID_LEN + 1], store_id[GUID_LEN + 1];
	json_t *body = api_body_json(r);
	if (!body)
		return;
	if (dataset_validate(body, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		json_decref(body);
		return;
	}
	const char *space = json_string_value(json_object_get(body, "spaceId"));
	struct perm_ctx ctx;
	if (space && (api_space_access(r, NULL, &ctx, space, "spaceId") < 0 ||
		      api_verdict(r, perm_dataset_create(&ctx), "space", space) < 0)) {
		json_decref(body);
		return;
	}
	if (ids_guid_new(id) < 0 || ids_guid_new(asset) < 0 || ids_guid_new(store_id) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for an id");
		json_decref(body);
		return;
	}
	clock_now_iso(now);
	json_t *doc = dataset_new(body, id, r->who.tenant_id, r->who.user_id, now, asset, store_id);
	json_decref(body);
	struct store *st = r->app->store;
	int rc = st->ops->dataset_insert(st, r->who.tenant_id, doc);
	if (rc < 0) {
		api_store_error(r, rc);
		json_decref(doc);
		return;
	}
	reply_header(r, "Location", "/api/v1/data-sets/%s", id);
	reply_json(r, 201, doc);
}

void datasets_get(struct req *r)
{
	struct store *st = r->app->store;
	json_t *doc = NULL;
	int rc = st->ops->dataset_get(st, &doc, r->who.tenant_id, req_param(r, 0));
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	if (rc == STORE_NONE) {
		reply_error(r, ERR_NOT_FOUND, "data set '%s' not found", req_param(r, 0));
		return;
	}
	reply_json(r, 200, doc);
}
