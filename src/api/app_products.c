/* app_products: what the web app needs about one data product beyond the
 * Qlik API (issue 9), under /api/app (key or session cookie, Tier 1):
 *   GET /api/app/data-products/{id}/rights -> which verbs the caller may use
 *   GET /api/app/data-products/{id}/readme -> the readMe as a safe HTML fragment
 * Both answer 404 exactly when GET of the product would. The server still
 * decides every verb itself; rights only let the app hide what would fail. */
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/export.h"

/* The product (404 when the caller cannot see it) and the caller's context. */
struct app_product_tx {
	const struct req *r;
	json_t *doc; /* out */
	struct perm_ctx ctx; /* out */
	struct api_refusal no;
};

static int app_product_body(void *cls)
{
	struct app_product_tx *t = cls;
	json_decref(t->doc);
	t->doc = NULL;
	return api_product_ctx_tx(&t->no, t->r, &t->doc, &t->ctx, req_param(t->r, 0));
}

void app_rights(struct req *r)
{
	const char *id = req_param(r, 0);
	struct app_product_tx t = {.r = r};
	int rc = api_tx_run(r, false, app_product_body, &t, &t.no);
	json_decref(t.doc);
	struct perm_ctx ctx = t.ctx;
	if (rc < 0 || api_verdict(r, perm_product(&ctx, DP_VIEW), "data product", id) < 0)
		return;
	/* the same pure rules as the verbs (permissions.c): patch, delete and
	 * compute quality need DP_EDIT; activate and deactivate DP_PUBLISH;
	 * move its source half (the target is chosen later, and checked then) */
	bool edit = perm_product(&ctx, DP_EDIT) == PERM_ALLOW;
	bool publish = perm_product(&ctx, DP_PUBLISH) == PERM_ALLOW;
	bool move = perm_move_out(&ctx) == PERM_ALLOW;
	reply_json(r, 200, json_pack("{s:b, s:b, s:b, s:b, s:b, s:b}", "edit", edit, "delete", edit,
				     "activate", publish, "deactivate", publish, "move", move,
				     "computeQuality", edit));
}

static int app_readme_body(void *cls)
{
	struct app_product_tx *t = cls;
	json_decref(t->doc);
	t->doc = NULL;
	return api_product_access_tx(&t->no, t->r, &t->doc, req_param(t->r, 0), DP_VIEW);
}

void app_readme(struct req *r)
{
	struct app_product_tx t = {.r = r};
	if (api_tx_run(r, false, app_readme_body, &t, &t.no) < 0) {
		json_decref(t.doc);
		return;
	}
	json_t *p = t.doc;
	const char *md = json_string_value(json_object_get(p, "readMe"));
	char *html = md && *md ? export_html_fragment(md) : strdup("");
	json_decref(p);
	if (!html)
		abort();
	reply_header(r, "X-Content-Type-Options", "nosniff");
	reply_header(r, "Content-Security-Policy", "default-src 'none'");
	reply_text(r, 200, "text/html; charset=utf-8", html);
}
