/* store_ops: every store operation listed once, as an X-macro in the spirit
 * of SQLite's opcode tables: X(return type, name, parameter list) per
 * struct store_ops member. store.h keeps the documented struct; this list is
 * what code generates from -- the backends' definitions and ops tables
 * (sqlite_int.h, sqlite.c, pg.h) and the fault injector's failing
 * replacements (fault.c) -- and
 * store.c checks at compile time that the list and the struct agree member
 * for member, so an operation added to one but not the other does not build.
 *
 * STORE_OPS_RC lists the operations that return a store_rc, which the fault
 * injector can make fail (DP_FAULT_INJECT); STORE_OPS_VOID the three that
 * report no failure (close, rollback, in_transaction). */
#ifndef DP_STORE_OPS_H
#define DP_STORE_OPS_H
#include "store/store.h"

#define STORE_OPS_VOID(X) \
	X(void, close, (struct store *st)) \
	X(void, rollback, (struct store *st)) \
	X(bool, in_transaction, (struct store *st))

#define STORE_OPS_RC(X) \
	X(int, begin, (struct store *st, bool write)) \
	X(int, commit, (struct store *st)) \
	X(int, savepoint, (struct store *st, enum store_savepoint what, int depth)) \
	X(int, ping, (struct store *st)) \
	X(int, probe_write, (struct store *st)) \
	X(int, rate_take, (struct store *st, struct store_rate *out, const char *key, \
	  int bucket, long per_min)) \
	X(int, tenant_find, (struct store *st, char *out_id, const char *name)) \
	X(int, tenant_insert, (struct store *st, const char *id, const char *name, \
	  const char *now)) \
	X(int, tenant_count, (struct store *st, long *out)) \
	X(int, tenant_usage, (struct store *st, struct tenant_usage *out, const char *tenant)) \
	X(int, user_find_email, (struct store *st, char *out_id, const char *tenant, \
	  const char *email)) \
	X(int, user_get, (struct store *st, json_t **out, const char *tenant, const char *id)) \
	X(int, user_insert, (struct store *st, const char *tenant, json_t *doc, unsigned roles)) \
	X(int, user_update, (struct store *st, const char *tenant, json_t *doc, unsigned roles)) \
	X(int, user_delete, (struct store *st, const char *tenant, const char *id)) \
	X(int, user_list, (struct store *st, json_t **out, long *out_total, \
	  const char *tenant, const char *email, long offset, long limit)) \
	X(int, apikey_insert, (struct store *st, const char *tenant, \
	  const struct apikey_new *key)) \
	X(int, apikey_lookup, (struct store *st, struct apikey_row *out, const char *hash)) \
	X(int, apikey_get, (struct store *st, json_t **out, const char *tenant, const char *id)) \
	X(int, apikey_list, (struct store *st, json_t **out, long *out_total, \
	  const char *tenant, const char *user_id, long offset, long limit)) \
	X(int, apikey_describe, (struct store *st, const char *tenant, const char *id, \
	  const char *description, const char *now)) \
	X(int, apikey_delete, (struct store *st, const char *tenant, const char *id)) \
	X(int, apikey_count_active, (struct store *st, long *out, const char *tenant, \
	  const char *user_id, int64_t now_ms)) \
	X(int, session_insert, (struct store *st, const char *tenant, \
	  const struct session_new *s)) \
	X(int, session_lookup, (struct store *st, struct session_row *out, \
	  const char *id_hash, int64_t now_ms)) \
	X(int, session_touch, (struct store *st, const char *tenant, const char *id_hash, \
	  int64_t now_ms)) \
	X(int, session_delete, (struct store *st, const char *tenant, const char *id_hash)) \
	X(int, session_sweep, (struct store *st, long *out_deleted, int64_t now_ms, \
	  int64_t idle_before_ms)) \
	X(int, session_count, (struct store *st, long *out, int64_t now_ms, \
	  int64_t idle_before_ms)) \
	X(int, space_insert, (struct store *st, const char *tenant, json_t *doc)) \
	X(int, space_get, (struct store *st, json_t **out, const char *tenant, const char *id)) \
	X(int, space_update, (struct store *st, const char *tenant, json_t *doc)) \
	X(int, space_delete, (struct store *st, const char *tenant, const char *id)) \
	X(int, space_usage, (struct store *st, long *out, const char *tenant, const char *id)) \
	X(int, space_list, (struct store *st, json_t **out, long *out_total, \
	  const char *tenant, const struct space_query *q)) \
	X(int, user_spaces, (struct store *st, json_t **out, const char *tenant, \
	  const char *user_id)) \
	X(int, space_roles, (struct store *st, unsigned *out, const char *tenant, \
	  const char *space_id, const char *user_id)) \
	X(int, assignment_insert, (struct store *st, const char *tenant, json_t *doc, \
	  unsigned roles)) \
	X(int, assignment_get, (struct store *st, json_t **out, const char *tenant, \
	  const char *space_id, const char *id)) \
	X(int, assignment_find, (struct store *st, json_t **out, const char *tenant, \
	  const char *space_id, const char *assignee_id)) \
	X(int, assignment_list, (struct store *st, json_t **out, long *out_total, \
	  const char *tenant, const char *space_id, long offset, long limit)) \
	X(int, assignment_delete, (struct store *st, const char *tenant, const char *space_id, \
	  const char *id)) \
	X(int, dataset_insert, (struct store *st, const char *tenant, json_t *doc)) \
	X(int, dataset_get, (struct store *st, json_t **out, const char *tenant, \
	  const char *id)) \
	X(int, dataset_update, (struct store *st, const char *tenant, json_t *doc)) \
	X(int, dataset_delete, (struct store *st, const char *tenant, const char *id)) \
	X(int, dataset_list, (struct store *st, json_t **out, long *out_total, \
	  const char *tenant, const char *query, long offset, long limit)) \
	X(int, dataset_products, (struct store *st, json_t **out, long *out_activated, \
	  const char *tenant, const char *dataset_id)) \
	X(int, dataset_usage, (struct store *st, long *out_products, long *out_activated, \
	  const char *tenant, const char *dataset_id)) \
	X(int, batch_insert, (struct store *st, const char *tenant, const char *id, \
	  const char *product_id, const char *now, const char *user_id)) \
	X(int, computation_insert, (struct store *st, const char *tenant, const char *id, \
	  const char *batch_id, const char *dataset_id, const char *status, \
	  const char *error_code, const char *error_reason, const char *now, \
	  const char *user_id)) \
	X(int, computation_get, (struct store *st, json_t **out, const char *tenant, \
	  const char *id)) \
	X(int, batch_computations, (struct store *st, json_t **out, const char *tenant, \
	  const char *batch_id)) \
	X(int, computation_claim, (struct store *st, struct computation *out, \
	  const char *owner, int64_t lease_ms, const char *now)) \
	X(int, computation_renew, (struct store *st, const char *id, const char *owner, \
	  int attempts, int64_t lease_ms)) \
	X(int, computation_finish, (struct store *st, const char *id, const char *owner, \
	  int attempts, const char *status, const char *error_code, \
	  const char *error_reason, json_t *result, const char *now)) \
	X(int, computation_recover, (struct store *st, long *out_requeued, long *out_failed, \
	  const char *self, int max_attempts, const char *now)) \
	X(int, computation_listen, (struct store *st, int *out_fd)) \
	X(int, computation_notices, (struct store *st, int *out_n)) \
	X(int, quality_latest, (struct store *st, json_t **out, char *out_at, char *out_by, \
	  const char *tenant, const char *dataset_id)) \
	X(int, quality_last_attempt, (struct store *st, json_t **out, const char *tenant, \
	  const char *dataset_id)) \
	X(int, trust_get, (struct store *st, json_t **out, const char *tenant, \
	  const char *dataset_id)) \
	X(int, trust_dataset_ids, (struct store *st, json_t **out, const char *tenant)) \
	X(int, trust_put, (struct store *st, const char *tenant, const char *dataset_id, \
	  double score, json_t *doc, const char *now)) \
	X(int, settings_get, (struct store *st, json_t **out_trust_config, const char *tenant)) \
	X(int, settings_put, (struct store *st, const char *tenant, json_t *trust_config)) \
	X(int, derive_mark, (struct store *st, const char *tenant, const char *kind, \
	  const char *id, int64_t now_ms)) \
	X(int, derive_next, (struct store *st, char *out_tenant, long *out_pending, \
	  int64_t *out_oldest_ms)) \
	X(int, derive_take, (struct store *st, json_t **out, const char *tenant, long limit)) \
	X(int, derive_clear, (struct store *st, const char *tenant, const char *kind, \
	  const char *id)) \
	X(int, product_get, (struct store *st, json_t **out, const char *tenant, \
	  const char *id)) \
	X(int, product_get_access, (struct store *st, struct product_access *out, \
	  const char *tenant, const char *id, const char *user_id)) \
	X(int, product_insert, (struct store *st, const char *tenant, json_t *doc)) \
	X(int, product_update, (struct store *st, const char *tenant, json_t *doc)) \
	X(int, product_delete, (struct store *st, const char *tenant, const char *id)) \
	X(int, product_list, (struct store *st, struct store_docs *out, long *out_total, \
	  const char *tenant, const struct product_query *q)) \
	X(int, product_facets, (struct store *st, struct facet_count *out, int *out_n, \
	  int cap, const char *tenant, const struct product_query *q, enum product_facet facet)) \
	X(int, changelog_append, (struct store *st, const char *tenant, \
	  const char *product_id, json_t *entry)) \
	X(int, changelog_page, (struct store *st, struct store_docs *out, long *out_total, \
	  const char *tenant, const char *product_id, bool ascending, long offset, long limit))

#define STORE_OPS(X) STORE_OPS_VOID(X) STORE_OPS_RC(X)

/* The fault injector (fault.c), for tests. DP_FAULT_INJECT is a comma
 * separated list of names from STORE_OPS_RC, each of which then fails with
 * STORE_HARD without touching the storage ("product_get" fails
 * product_get_access too, as the permission read of the same request), and
 * at most one "disk:PATH" entry (store_fault_vfs). */
/* Points st->ops at a copy of them with spec's operations failing; an
 * unknown name (or one of STORE_OPS_VOID) is an error written into err.
 * Without spec, or with only disk: entries, st is left as it is. */
int store_fault_wrap(struct store *st, const char *spec, char *err, size_t errlen);
/* Installs the disk:PATH VFS shim when spec has that entry (before open). */
int store_fault_vfs(const char *spec, char *err, size_t errlen);

#endif
