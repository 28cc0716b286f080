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

/* dp_export's transaction: the product (404/403), then the request's
 * format (decisions.md "Check order"), then what the document shows
 * besides the product; missing pieces are simply left out (a deleted data
 * set is reported in the document). */
struct export_tx {
	const struct req *r;
	const char *format;
	bool html;
	json_t *p, *space, *owner, *contacts, *datasets; /* out */
	struct api_refusal no;
};

static void export_reset(struct export_tx *t)
{
	json_decref(t->p);
	json_decref(t->space);
	json_decref(t->owner);
	json_decref(t->contacts);
	json_decref(t->datasets);
	t->p = t->space = t->owner = NULL;
	t->contacts = t->datasets = NULL;
}

static int export_body(void *cls)
{
	struct export_tx *t = cls;
	const struct req *r = t->r;
	export_reset(t);
	t->contacts = json_array();
	t->datasets = json_array();
	int rc = api_product_access_tx(&t->no, r, &t->p, req_param(r, 0), DP_VIEW);
	if (rc != 0)
		return rc;
	if (t->format && !t->html && strcmp(t->format, "markdown") != 0)
		return api_refuse(&t->no, ERR_UNSUPPORTED_FORMAT,
				  "query parameter 'format' must be markdown or html, got '%.32s'",
				  t->format);
	if (!accepts(req_header(r, "Accept"), "text", t->html ? "html" : "markdown"))
		return api_refuse(&t->no, ERR_NOT_ACCEPTABLE, "the Accept header must admit %s",
				  t->html ? "text/html" : "text/markdown");
	struct store *st = r->app->store;
	const char *tenant = r->who.tenant_id;
	const json_t *p = t->p;
	const char *sid = json_string_value(json_object_get(p, "spaceId"));
	rc = sid ? st->ops->space_get(st, &t->space, tenant, sid) : STORE_NONE;
	if (rc >= 0)
		rc = st->ops->user_get(st, &t->owner, tenant,
				       json_string_value(json_object_get(p, "ownerId")));
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
		json_array_append_new(t->contacts, c);
	}
	json_array_foreach(json_object_get(p, "datasetIds"), i, v) {
		if (rc < 0)
			break;
		json_t *ds = NULL;
		rc = st->ops->dataset_get(st, &ds, tenant, json_string_value(v));
		if (rc == STORE_ONE)
			json_array_append_new(t->datasets, ds);
	}
	return rc < 0 ? rc : 0;
}

void dp_export(struct req *r)
{
	const char *format = req_query(r, "format");
	bool html = format && !strcmp(format, "html");
	struct export_tx t = {.r = r, .format = format, .html = html};
	if (api_tx_run(r, false, export_body, &t, &t.no) < 0)
		goto out;
	const json_t *p = t.p;
	struct export_input in = {p, t.space, t.owner, t.contacts, t.datasets};
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
	export_reset(&t);
}
