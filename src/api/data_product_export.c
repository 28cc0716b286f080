/* data_product_export: GET .../{id}/actions/export-documentation — the
 * product's documentation as Markdown, or HTML with ?format=html. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/api.h"
#include "domain/export.h"

/* True when the Accept header admits type/sub (q > 0). No header = yes. */
static bool accepts(const char *accept, const char *type, const char *sub)
{
	if (!accept || !*accept)
		return true;
	const char *p = accept;
	while (*p) {
		size_t n = strcspn(p, ",");
		char item[128];
		snprintf(item, sizeof item, "%.*s", (int)(n < sizeof item ? n : sizeof item - 1), p);
		p += n + (p[n] == ',');
		char *range = item;
		while (*range == ' ')
			range++;
		char *params = strchr(range, ';');
		double q = 1;
		if (params) {
			*params++ = '\0';
			const char *qp = strstr(params, "q=");
			if (qp)
				q = strtod(qp + 2, NULL);
		}
		size_t rl = strcspn(range, " ");
		range[rl] = '\0';
		if (q <= 0)
			continue;
		char *slash = strchr(range, '/');
		if (!slash)
			continue;
		*slash = '\0';
		const char *rt = range, *rs = slash + 1;
		if ((!strcmp(rt, "*") && !strcmp(rs, "*")) ||
		    (!strcasecmp(rt, type) && (!strcmp(rs, "*") || !strcasecmp(rs, sub))))
			return true;
	}
	return false;
}

/* Loads what the document shows besides the product; missing pieces are
 * simply left out (a deleted data set is reported in the document). */
static int gather(struct req *r, const json_t *p, json_t **space, json_t **owner,
		  json_t *contacts, json_t *datasets)
{
	struct store *st = r->app->store;
	const char *tenant = r->who.tenant_id;
	const char *sid = json_string_value(json_object_get(p, "spaceId"));
	int rc = sid ? st->ops->space_get(st, space, tenant, sid) : STORE_NONE;
	if (rc >= 0)
		rc = st->ops->user_get(st, owner, tenant, json_string_value(json_object_get(p, "ownerId")));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(p, "keyContacts"), i, v) {
		if (rc < 0)
			break;
		json_t *u = NULL, *c = json_deep_copy(v);
		rc = st->ops->user_get(st, &u, tenant, json_string_value(json_object_get(v, "userId")));
		if (rc == STORE_ONE) {
			json_object_set(c, "name", json_object_get(u, "name"));
			json_object_set(c, "email", json_object_get(u, "email"));
		}
		json_decref(u);
		json_array_append_new(contacts, c);
	}
	json_array_foreach(json_object_get(p, "datasetIds"), i, v) {
		if (rc < 0)
			break;
		json_t *ds = NULL;
		rc = st->ops->dataset_get(st, &ds, tenant, json_string_value(v));
		if (rc == STORE_ONE)
			json_array_append_new(datasets, ds);
	}
	if (rc < 0) {
		api_store_error(r, rc);
		return -1;
	}
	return 0;
}

void dp_export(struct req *r)
{
	const char *format = req_query(r, "format");
	bool html = format && !strcmp(format, "html");
	json_t *p = NULL, *space = NULL, *owner = NULL;
	json_t *contacts = json_array(), *datasets = json_array();
	if (api_begin(r, false) < 0)
		goto out;
	/* 404 before the request's format is judged (decisions.md "Check order") */
	int ok = api_product_load(r, &p, req_param(r, 0)) == 0;
	if (ok && format && !html && strcmp(format, "markdown") != 0) {
		reply_error(r, ERR_UNSUPPORTED_FORMAT,
			    "query parameter 'format' must be markdown or html, got '%.32s'", format);
		ok = 0;
	}
	if (ok && !accepts(req_header(r, "Accept"), "text", html ? "html" : "markdown")) {
		reply_error(r, ERR_NOT_ACCEPTABLE, "the Accept header must admit %s",
			    html ? "text/html" : "text/markdown");
		ok = 0;
	}
	ok = ok && gather(r, p, &space, &owner, contacts, datasets) == 0;
	api_rollback(r);
	if (!ok)
		goto out;
	struct export_input in = {p, space, owner, contacts, datasets};
	char *md = export_markdown(&in);
	const char *name = json_string_value(json_object_get(p, "name"));
	char *slug = export_slug(name);
	if (html) {
		char *page = export_html(md, name);
		free(md);
		md = page;
	}
	reply_header(r, "Content-Disposition", "attachment; filename=\"%s.%s\"", slug,
		     html ? "html" : "md");
	free(slug);
	reply_text(r, 200, html ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8", md);
out:
	json_decref(p);
	json_decref(space);
	json_decref(owner);
	json_decref(contacts);
	json_decref(datasets);
}
