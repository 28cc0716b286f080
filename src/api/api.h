/* api: request handlers, one file per resource, plus the helpers they share
 * (body parsing, query values, transactions, store-error mapping). Handlers
 * parse and validate, call src/domain for the rules, and shape the reply. */
#ifndef DP_API_H
#define DP_API_H
#include <jansson.h>
#include <stdbool.h>
#include "domain/paging.h"
#include "domain/permissions.h"
#include "domain/product.h"
#include "http/request.h"
#include "http/router.h"
#include "http/server.h"
#include "quality/aggregate.h"
#include "store/store.h"
#include "store/tx.h"
#include "util/clock.h"
#include "util/etag.h"

#define DP_VERSION "0.1.0"

extern const struct route api_routes[];
extern const int api_nroutes;
extern const struct route_repeatable api_repeatable[];

/* --- common.c --- */
/* Parses the body as JSON (required). Replies 400 and returns NULL on
 * empty, too deep, malformed or duplicate-key input. */
json_t *api_body_json(struct req *r);
/* api_body_json + jsonspec_check: the body when it satisfies spec, else
 * NULL after a 400 naming the field (declarative parsing, as in Taler). */
json_t *api_body_checked(struct req *r, const struct field_spec *spec);
/* Replies for a failed store call (rc < 0): 409 for STORE_CONFLICT, 503
 * for STORE_RETRY (Retry-After: 1) and STORE_UNAVAILABLE, else 500. */
void api_store_error(struct req *r, int rc);
/* Reads an integer query value; replies 400 naming it when out of range. */
int api_query_long(struct req *r, long *out, const char *name, long def, long min, long max);
/* Re-encodes the request's query except `skip`, as "k=v&k2=v2&" ("" if none). */
char *api_query_except(struct req *r, const char *skip);

/* A handler's transaction (store/tx.h): parse -> api_tx_run -> reply. It is
 * the only way a handler opens a transaction (scripts/check-layers.sh
 * fails on a direct begin or commit of the store under src/api/). The body
 * runs with no access to the reply (it sees a const struct req); when it
 * decides a 4xx it records it with api_refuse and returns what api_refuse
 * returned. A body may run more than once: it resets its closure's outputs
 * at its start. */
struct api_refusal {
	enum err_id err;
	char detail[1024];       /* reply_error's own bound */
	char etag[ETAG_LEN + 1]; /* "" or the ETag header of the answer (412) */
};
/* Records a refusal into *out; returns STORE_TX_REFUSED. */
int api_refuse(struct api_refusal *out, enum err_id err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Runs body(cls) through store_tx_run on the request's store. 0 when it
 * committed: the caller then writes the success reply. Else -1 after
 * answering: the refusal *refusal recorded (STORE_TX_REFUSED), 409 for a
 * conflict the rerun did not resolve, 503 when the retries are spent or the
 * storage is unavailable, 500 otherwise (a failed commit included). A read
 * transaction (write false) ends with rollback, never a commit. */
int api_tx_run(struct req *r, bool write, store_tx_body_fn body, void *cls,
	       const struct api_refusal *refusal);
/* After a transaction that may have marked derived values stale (issue 12;
 * api_tx_run calls it): wakes the deriver when marks were made since
 * marks_before (aggregate_marks_made) and the transaction committed. */
void api_derive_kick(const struct req *r, uint64_t marks_before, bool committed);
/* Answers a status of a body or of one of the *_tx helpers below (they
 * never reply): 0 for STORE_TX_COMMIT/STORE_ONE; else -1 after replying
 * *refusal (STORE_TX_REFUSED; with its ETag header if any) or the store
 * error (api_store_error). */
int api_answer(struct req *r, int rc, const struct api_refusal *refusal);
/* A body's status for the last write's rc: "no row" (the row vanished
 * under us) becomes STORE_HARD; the rest is kept (STORE_ONE commits). */
int api_wrote(int rc);

/* Status-returning helpers for transaction bodies. Each returns 0, or
 * STORE_TX_REFUSED with *no filled, or a negative store_rc. */
/* The request body as JSON, or NULL with *no saying why (400). */
json_t *api_body_parse(const struct req *r, struct api_refusal *no);
/* Like api_body_parse, but an empty body yields an empty object. */
json_t *api_body_parse_or_empty(const struct req *r, struct api_refusal *no);
/* api_query_long's core (400 naming the parameter). */
int api_query_long_tx(struct api_refusal *no, const struct req *r, long *out, const char *name,
		      long def, long min, long max);
/* The caller's permission context in space doc `space` (NULL = the personal
 * area of a product owned by owner_id). Never refuses. */
int api_perm_ctx_tx(const struct req *r, struct perm_ctx *out, const json_t *space,
		    const char *owner_id);
/* 403/404 for a non-ALLOW verdict. */
int api_verdict_tx(struct api_refusal *no, enum perm_verdict v, const char *what, const char *id);
/* Loads a space of the tenant; 404 naming `field` otherwise. */
int api_space_load_tx(struct api_refusal *no, const struct req *r, json_t **out, const char *id,
		      const char *field);
/* Loads space `id` and the caller's context in it; 404 naming `field` when
 * it does not exist or the caller cannot see it. */
int api_space_access_tx(struct api_refusal *no, const struct req *r, json_t **out,
			struct perm_ctx *ctx, const char *id, const char *field);
/* Tenant quotas (issue 12, --quota-*): what a create adds one of. */
enum api_quota { QUOTA_PRODUCTS, QUOTA_DATASETS, QUOTA_SPACES, QUOTA_USERS };
/* Inside the write transaction, after authorisation and validation and
 * before the insert: 409 DP-409-QUOTA-EXCEEDED naming the quota and its
 * flag when the tenant already holds the configured number (0 = no quota).
 * The count is read under the tenant's write lock (store.h tenant_usage),
 * so racing creates, on any instance, cannot both take the last slot. */
int api_quota_check_tx(struct api_refusal *no, const struct req *r, enum api_quota q);
/* user_id is a user of the tenant; 400 naming field otherwise. */
int api_check_user_tx(struct api_refusal *no, const struct req *r, const char *user_id,
		      const char *field);
/* Every keyContacts[].userId is a user of the tenant (400). */
int api_check_contacts_tx(struct api_refusal *no, const struct req *r, const json_t *contacts,
			  const char *field);
/* Every id in ids names an existing data set of the tenant (400 naming `field`). */
int api_check_datasets_tx(struct api_refusal *no, const struct req *r, const json_t *ids,
			  const char *field);
/* Loads a product and the caller's permission context for it, without a
 * verdict (for checks that combine several); 404 when it does not exist. */
int api_product_ctx_tx(struct api_refusal *no, const struct req *r, json_t **out,
		       struct perm_ctx *ctx, const char *id);
/* Loads a product and checks `action` on it (404/403). */
int api_product_access_tx(struct api_refusal *no, const struct req *r, json_t **out,
			  const char *id, enum dp_action action);
/* The access check of api_product_access_tx without parsing the document:
 * pa->text (caller frees) and pa->etag are the stored JSON and its tag. */
int api_product_access_raw_tx(struct api_refusal *no, const struct req *r,
			      struct product_access *pa, const char *id, enum dp_action action);
/* Honours If-Match against doc's current ETag: 412, with that ETag in
 * no->etag, when it does not match (a "*" matches anything). */
int api_if_match_tx(struct api_refusal *no, const struct req *r, const json_t *doc);
/* Fills q's visibility for the caller: per space the perm_view_scope of
 * the caller there, as the JSON id arrays *all and *activated (caller frees
 * both) that q points to. Never refuses. */
int api_view_scope_tx(const struct req *r, struct product_query *q, char **all, char **activated);
/* After the product row is written: the data sets it references now (and
 * old_ids, those it referenced before; may be NULL) get their trust
 * recomputed (usage and activation changed) and are marked for the deriver
 * (the other products using them: issue 12), then doc's quality/trustScore
 * are re-aggregated and rewritten if they moved. Never refuses. */
int api_product_refresh_tx(const struct req *r, json_t *doc, const json_t *old_ids);
/* Writes a changelog entry for changes (steals); no-op when empty. */
int api_changelog_write_tx(struct api_refusal *no, const struct req *r, const char *product_id,
			   const struct product_actor *who, json_t *changes);

/* Replying helpers for the reads and checks outside a transaction. */
/* One statement: api_product_access_raw_tx, answered (dp_get's hot path). */
int api_product_access_raw(struct req *r, struct product_access *pa, const char *id,
			   enum dp_action action);
/* Replies 403/404 for a non-ALLOW verdict; returns -1 then, else 0. */
int api_verdict(struct req *r, enum perm_verdict v, const char *what, const char *id);

/* The actor of a write: tenant, user and a fresh timestamp in now. */
struct product_actor api_actor(const struct req *r, char *now);
/* The GUID at body[field] to authorise against, before the body is
 * validated: *out = NULL when absent or null; -1 when present but not a
 * GUID (nothing to authorise against: validation then answers 400). */
int api_target_id(const json_t *body, const char *field, const char **out);
/* Strong ETag of a document (util/etag.h), into buf (ETAG_LEN + 1). */
void api_etag(char *buf, const json_t *doc);
/* Sends ETag for doc. */
void api_set_etag(struct req *r, const json_t *doc);

/* Answers 200 with a paged list of stored documents spliced as they were
 * stored (issue 12, reads): the envelope of paging_envelope (and, with
 * capped, paging_envelope_capped's totalRelation), then facets when not
 * NULL, byte for byte what reply_json of those would send, without parsing
 * the documents. links and facets are stolen. */
void api_reply_docs_page(struct req *r, const struct store_docs *data, json_t *links,
			 const struct page_info *info, bool capped, json_t *facets);

/* The store and data root the derived numbers (quality/aggregate.h) need. */
struct aggregate_env api_aggregate_env(const struct req *r);

/* --- handlers --- */
void dp_create(struct req *r);
void dp_get(struct req *r);
void dp_list(struct req *r);
void dp_patch(struct req *r);
void dp_delete(struct req *r);
void dp_activate(struct req *r);
void dp_deactivate(struct req *r);
void dp_move(struct req *r);
void dp_changelogs(struct req *r);
void dp_export(struct req *r);
void dp_provider_url(struct req *r);
void spaces_create(struct req *r);
void spaces_get(struct req *r);
void spaces_list(struct req *r);
void datasets_create(struct req *r);
void datasets_get(struct req *r);
void datasets_put(struct req *r);
void datasets_patch(struct req *r);
/* DELETE /api/v1/data-sets and POST /api/v1/data-sets/actions/delete */
void datasets_delete_batch(struct req *r);
void datasets_profiles(struct req *r);
/* May the caller make the server read data set ds's file (start a quality
 * computation of it)? 0, STORE_TX_REFUSED (403) or a store rc; for
 * transaction bodies. docs/decisions.md. */
int api_dataset_file_access_tx(struct api_refusal *no, const struct req *r, const json_t *ds);
void spaces_patch(struct req *r);
void spaces_delete(struct req *r);
void assignments_create(struct req *r);
void assignments_list(struct req *r);
void assignments_get(struct req *r);
void assignments_delete(struct req *r);
void users_me(struct req *r);
void users_list(struct req *r);
void users_get(struct req *r);
void users_create(struct req *r);
void users_patch(struct req *r);
void users_delete(struct req *r);
void apikeys_create(struct req *r);
void apikeys_list(struct req *r);
void apikeys_get(struct req *r);
void apikeys_patch(struct req *r);
void apikeys_delete(struct req *r);
/* Space document for the caller: links and meta{roles, assignableRoles, actions}. */
json_t *spaces_present(struct req *r, json_t *space, const struct perm_ctx *ctx);
void dq_create(struct req *r);
void dq_get(struct req *r);
void dq_batch_get(struct req *r);
void dq_global_results(struct req *r);
void dq_global_filter(struct req *r);
void dq_fields_filter(struct req *r);
void dp_compute_quality(struct req *r);
void trust_filter(struct req *r);
void trust_settings_get(struct req *r);
void trust_settings_put(struct req *r);
void app_rights(struct req *r);
void app_readme(struct req *r);
void app_datasets_list(struct req *r);
void auth_sign_in(struct req *r);
void auth_sign_out(struct req *r);
void auth_session(struct req *r);
void meta_health(struct req *r);
void meta_ready(struct req *r);
void meta_metrics(struct req *r);
void meta_openapi(struct req *r);
void meta_product_info(struct req *r);

/* web.c: the embedded web app (SPEC §6) */
void web_page(struct req *r);
void web_asset(struct req *r);
/* The app's security headers (CSP, nosniff, referrer, framing). */
void web_security_headers(struct req *r);
const char *web_build_id(void);

#endif
