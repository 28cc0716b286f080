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

void app_rights(struct req *r)
{
	const char *id = req_param(r, 0);
	json_t *doc = NULL;
	struct perm_ctx ctx;
	if (api_begin(r, false) < 0)
		return;
	int rc = api_product_ctx(r, &doc, &ctx, id);
	api_rollback(r);
	json_decref(doc);
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

void app_readme(struct req *r)
{
	json_t *p = NULL;
	if (api_begin(r, false) < 0)
		return;
	int rc = api_product_load(r, &p, req_param(r, 0));
	api_rollback(r);
	if (rc < 0)
		return;
	const char *md = json_string_value(json_object_get(p, "readMe"));
	char *html = md && *md ? export_html_fragment(md) : strdup("");
	json_decref(p);
	if (!html)
		abort();
	reply_header(r, "X-Content-Type-Options", "nosniff");
	reply_header(r, "Content-Security-Policy", "default-src 'none'");
	reply_text(r, 200, "text/html; charset=utf-8", html);
}
