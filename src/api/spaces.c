/* spaces: /api/v1/spaces create, get and list in @qlik/api's Space shape.
 * Enough for data products to live in spaces; roles and assignments build
 * on this (issue 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/paging.h"

static const struct field_spec space_create_spec[] = {
	{"name", FIELD_NAME, true, false, 256},
	{"type", FIELD_STRING, true, false, 16},
	{"description", FIELD_STRING, false, true, 4096},
	FIELD_END,
};

/* Adds the request-relative links object to a stored space document. */
static json_t *with_links(struct req *r, json_t *sp)
{
	char *base = req_base_url(r);
	const char *id = json_string_value(json_object_get(sp, "id"));
	char *self = NULL, *asg = NULL;
	if (asprintf(&self, "%s/api/v1/spaces/%s", base, id) < 0 ||
	    asprintf(&asg, "%s/api/v1/spaces/%s/assignments", base, id) < 0)
		abort();
	json_object_set_new(sp, "links", json_pack("{s:{s:s}, s:{s:s}}", "self", "href", self,
						   "assignments", "href", asg));
	free(base);
	free(self);
	free(asg);
	return sp;
}

void spaces_create(struct req *r)
{
	char err[512], now[ISO_TS_LEN + 1], id[GUID_LEN + 1];
	json_t *body = api_body_json(r);
	if (!body)
		return;
	if (jsonspec_check(body, space_create_spec, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		json_decref(body);
		return;
	}
	const char *type = json_string_value(json_object_get(body, "type"));
	if (strcmp(type, "shared") && strcmp(type, "managed") && strcmp(type, "data")) {
		reply_error(r, ERR_VALIDATION, "'type' must be shared, managed or data");
		json_decref(body);
		return;
	}
	if (ids_guid_new(id) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for an id");
		json_decref(body);
		return;
	}
	clock_now_iso(now);
	json_t *sp = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "name",
			       json_object_get(body, "name"), "type", type, "tenantId",
			       r->who.tenant_id, "ownerId", r->who.user_id, "createdBy",
			       r->who.user_id, "createdAt", now, "updatedAt", now);
	const json_t *desc = json_object_get(body, "description");
	if (json_is_string(desc))
		json_object_set(sp, "description", (json_t *)desc);
	json_decref(body);
	struct store *st = r->app->store;
	int rc = st->ops->space_insert(st, r->who.tenant_id, sp);
	if (rc < 0) {
		api_store_error(r, rc);
		json_decref(sp);
		return;
	}
	reply_header(r, "Location", "/api/v1/spaces/%s", id);
	reply_json(r, 201, with_links(r, sp));
}

void spaces_get(struct req *r)
{
	json_t *sp;
	if (api_space_load(r, &sp, req_param(r, 0), "spaceId") < 0)
		return;
	reply_json(r, 200, with_links(r, sp));
}

void spaces_list(struct req *r)
{
	long limit, page;
	if (api_query_long(r, &limit, "limit", 10, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0)
		return;
	struct page_info info;
	paging_compute(&info, page, limit, 0);
	json_t *data = NULL;
	long total = 0;
	struct store *st = r->app->store;
	int rc = st->ops->space_list(st, &data, &total, r->who.tenant_id, info.offset, limit);
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	paging_compute(&info, page, limit, total);
	size_t i;
	json_t *sp;
	json_array_foreach(data, i, sp) with_links(r, sp);
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *all = paging_links(base, "/api/v1/spaces", query, &info);
	free(base);
	free(query);
	/* Spaces lists carry only self/prev/next (spaces.d.ts). */
	json_object_del(all, "first");
	json_object_del(all, "last");
	reply_json(r, 200, json_pack("{s:o, s:o, s:{s:I}}", "data", data, "links", all, "meta",
				     "count", (json_int_t)total));
}
