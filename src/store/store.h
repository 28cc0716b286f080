/* store: the storage interface, one struct of function pointers per backend
 * (sqlite.c now, PostgreSQL later). Documents are jansson objects in the wire
 * shape; the backend also keeps the columns it needs for filtering/sorting.
 *
 * The contract every backend keeps (and every caller may rely on):
 *
 * Results. Every call returns an enum store_rc:
 *   STORE_ONE         done: the row was found / written / deleted;
 *   STORE_NONE        0 rows: not found, or (update/delete/touch) the row is
 *                     gone -- never an error by itself;
 *   STORE_RETRY       busy, lock timeout, serialization failure, deadlock, or
 *                     the connection lost before commit: nothing of the
 *                     transaction is kept; run it again (store/tx.h does);
 *   STORE_CONFLICT    a write broke a uniqueness rule (the "Conflict" notes
 *                     below): the statement did nothing; the transaction must
 *                     be rolled back (PostgreSQL aborts it) and may be rerun,
 *                     when the caller's own check finds the row that won;
 *   STORE_HARD        a bug or any other failure (-> 500);
 *   STORE_UNAVAILABLE the storage itself fails (disk full, read-only, I/O
 *                     error, cannot open, corrupt -> 503 and store_health).
 *   Calls that only read (get, find, list, lookup, count, ...) never return
 *   STORE_CONFLICT; lists return STORE_ONE also when empty.
 *
 * Transactions. Every call except begin, ping, probe_write, rate_take, close,
 * computation_listen, computation_notices and the store_fault_* functions
 * runs inside a transaction the caller opened with begin (write = false:
 * reads only; write = true: needed by every call marked "Write" below; on
 * SQLite it is BEGIN IMMEDIATE, which also serialises writers, but callers
 * must not rely on that: they re-read what they check inside the same
 * transaction). Use store_tx_run (store/tx.h) rather than begin/commit by
 * hand: it retries STORE_RETRY with a bound.
 * A failed commit is never retried (its outcome may be unknown).
 *
 * Memory. Out-parameters come first. What comes back through json_t **out
 * is a new reference the caller owns (json_decref), set only on STORE_ONE
 * (lists: always on success); char * fields (product_access.text) are the
 * caller's to free(); facet values are freed with store_facets_free. Input
 * documents are borrowed: the backend copies what it keeps. Fixed-size out
 * buffers (char out_id[GUID_LEN + 1], ...) are filled on STORE_ONE.
 *
 * Each worker thread gets its own connection inside the backend, so calls
 * need no external locking. On a store with a writer (SQLite), the bodies
 * of write transactions run on the writer thread and its connection, not
 * on the thread that called store_tx_run (store/tx.h). */
#ifndef DP_STORE_H
#define DP_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "domain/search.h"
#include "util/ids.h"
#include "util/etag.h"
#include "store/docs.h"

enum store_rc {
	STORE_CONFLICT = -4,
	STORE_UNAVAILABLE = -3,
	STORE_HARD = -2,
	STORE_RETRY = -1,
	STORE_NONE = 0,
	STORE_ONE = 1,
};

/* Sort keys of the product list. Ties: SORT_NAME/CREATED_AT/UPDATED_AT by
 * id in the same direction; SORT_TRUST_SCORE/QUALITY put products without
 * the value last in both directions, ties by updatedAt descending then id
 * descending; SORT_RELEVANCE (only with a search; `descending` ignored):
 * the tier first, then the trust score rounded down to 0.1 (products
 * without one last), then updatedAt (to the millisecond), both descending,
 * then an order that is stable but otherwise unspecified. Tiers, with T the
 * search's terms (struct search_terms):
 *   1. every term matches in the name;
 *   2. every term matches in the name or the tags (and not tier 1);
 *   3. ... in the name, tags or description (and not tiers 1-2);
 *   4. every term matches somewhere: name, tags, description, readMe or the
 *      names of the product's data sets (and not tiers 1-3).
 * A term matches in a field set when its words occur consecutively in one
 * of those fields, after folding case and accents (Unicode, as SQLite's
 * unicode61 tokenizer with remove_diacritics 2, or PostgreSQL's dp_fold +
 * lower), each whole word except the last of a bare term, which may be a
 * word prefix. See docs/search.md. */
enum product_sort {
	SORT_NAME,
	SORT_CREATED_AT,
	SORT_UPDATED_AT,
	SORT_TRUST_SCORE, /* trustScore.score (0..100) */
	SORT_QUALITY,     /* (quality.validity + quality.completeness) / 2 */
	SORT_RELEVANCE,
};

#define PRODUCT_QUERY_MAX_SPACES 16

/* What the product list matches. Every field is a typed filter, so each
 * backend writes its own SQL from it; all filters AND together. */
struct product_query {
	enum product_sort sort;
	bool descending;
	long offset;
	long limit;
	/* any of: products in one of space_ids, or (personal) without a
	 * space; no space filter when nspace_ids is 0 and personal false */
	const char *const *space_ids;
	int nspace_ids;
	bool personal;
	int activated;         /* -1 any, 0 false, 1 true */
	const char *owner_id;  /* NULL = any */
	/* the parsed search box (domain/search.h), NULL = no search; with n 0
	 * nothing matches. Tags of the `tags` filter and the `query` words are
	 * separate: a tag filter is an exact, case-sensitive tag. */
	const struct search_terms *search;
	const char **tags;     /* all must match */
	int ntags;
	bool has_min_trust;    /* trustScore.score >= min_trust (products without one never match) */
	double min_trust;
	/* Counting stops early: product_list's total and product_facets count
	 * at most count_limit + 1 matches (0 = exact). A total above
	 * count_limit means "more than count_limit". The unfiltered count (a
	 * TenantAdmin's list with no filter and no search) is the exact number
	 * of the tenant's products, read in O(1). */
	long count_limit;
	/* visibility (SPEC §4, perm_view_scope): TenantAdmins see all; others
	 * every product of the spaces in scope_all, the activated ones of the
	 * spaces in scope_activated (both JSON arrays of space ids, "[]" when
	 * none), and their own personal products as personal_scope says */
	const char *viewer_id;
	bool viewer_is_admin;
	const char *scope_all;
	const char *scope_activated;
	int personal_scope; /* enum perm_scope */
};

/* One facet value and how many matching products carry it. value is
 * owned by the array (store_facets_free); NULL for the space facet means
 * "no space" (personal products). */
struct facet_count {
	char *value;
	long count;
};

enum product_facet { FACET_TAGS, FACET_SPACE };

static inline void store_facets_free(struct facet_count *f, int n)
{
	for (int i = 0; i < n; i++)
		free(f[i].value);
}

/* What a tenant holds (tenant_usage): counters kept in the writing
 * transaction by the storage itself (table tenant_counts), so reading them
 * is O(1) whatever the tenant's size. */
struct tenant_usage {
	long products, datasets, spaces, users;
};

struct apikey_new {
	const char *id;
	const char *user_id;    /* sub: whose key it is */
	const char *created_by; /* who created it (an admin may create for others) */
	const char *hash;
	const char *description;
	const char *now;
	int64_t expires_ms; /* 0 = never */
};

struct space_query {
	long offset;
	long limit;
	const char *type;     /* NULL = any */
	const char *name;     /* case-insensitive substring, NULL = any */
	const char *owner_id; /* NULL = any */
	const char *viewer_id; /* non-admins see spaces they own or hold a role in */
	bool viewer_is_admin;
};

/* A product with what permission checks need about its space, read in one
 * query (the hot path of every data product request). */
struct product_access {
	char *text;           /* the stored JSON document; the caller frees it */
	char etag[ETAG_LEN + 1];
	char owner[GUID_LEN + 1];
	bool in_space;        /* false: a personal product */
	char space_type[16];  /* "" when the space is gone */
	char space_owner[GUID_LEN + 1];
	unsigned roles;       /* the user's role bits in the space */
	bool activated;       /* the product's state: drafts are not the marketplace */
};

/* A queued or running quality computation, as the worker sees it. */
struct computation {
	char id[GUID_LEN + 1];
	char tenant_id[GUID_LEN + 1];
	char dataset_id[GUID_LEN + 1];
	char requested_by[GUID_LEN + 1];
	int attempts;
};

struct apikey_row {
	char id[GUID_LEN + 1];
	char tenant_id[GUID_LEN + 1];
	char user_id[GUID_LEN + 1];
	int64_t expires_ms; /* 0 = never */
	unsigned roles;
	bool user_active;
};

/* A browser session to store (issue 9): only the hash of its id. */
struct session_new {
	const char *id_hash;
	const char *user_id;
	const char *key_id;      /* the API key signed in with; NULL (e.g. SSO) */
	const char *created_via; /* "apikey" (later "oidc") */
	int64_t now_ms;
	int64_t expires_ms;      /* absolute expiry */
};

/* A stored session with what deciding on it needs, read in one query. */
struct session_row {
	char tenant_id[GUID_LEN + 1];
	char user_id[GUID_LEN + 1];
	char key_id[GUID_LEN + 1]; /* "" when created without a key */
	char created_via[16];
	int64_t last_seen_ms;
	int64_t expires_ms;
	unsigned roles;
	bool user_active;
	bool key_ok; /* no key, or the key exists, is not revoked and not expired */
	int64_t key_expires_ms; /* the key's expiry; 0: never, or no key */
};

struct store;

/* rate_take's verdict, in microseconds of the database's clock. The bucket's
 * level is how far its theoretical arrival time lies ahead of now: after
 * this request when it was allowed, as it stands when limited. A request is
 * allowed when level + interval_us <= cap_us (= per_min * interval_us). */
struct store_rate {
	bool limited;
	int64_t level_us;
	int64_t interval_us; /* the cost of one request: 60 s / per_min, at least 1 us */
	int64_t cap_us;
};

/* store_ops.savepoint's actions. */
enum store_savepoint { STORE_SP_BEGIN, STORE_SP_RELEASE, STORE_SP_ROLLBACK };
/* The SQL of a savepoint action at depth (savepoint "sp<depth>"), the same
 * text on both backends; false for an unknown action or a negative depth. */
bool store_savepoint_sql(char *buf, size_t len, enum store_savepoint what, int depth);

/* Transactions the calling thread has started so far: each begin, and
 * each statement run with no transaction open (a lone statement is its own
 * implicit transaction: on SQLite its own snapshot and read lock, on
 * PostgreSQL its own round trip in autocommit). A counter for tests and
 * diagnostics (issue 12: one read transaction per request); the backends
 * call store_tx_note. */
long store_tx_started(void);
void store_tx_note(void);

/* Storage conditions an operator has to fix (docs/decisions.md, issue 8). */
enum store_fault {
	STORE_FAULT_NONE,
	STORE_FAULT_FULL,     /* SQLITE_FULL: disk (or quota) full */
	STORE_FAULT_READONLY, /* SQLITE_READONLY: file or file system read-only */
	STORE_FAULT_IOERR,    /* SQLITE_IOERR: the OS failed a read/write/fsync */
	STORE_FAULT_CANTOPEN, /* SQLITE_CANTOPEN: file or directory gone/inaccessible */
	STORE_FAULT_CORRUPT,  /* SQLITE_CORRUPT / SQLITE_NOTADB */
	STORE_FAULT__COUNT
};

/* "full", "readonly", "ioerr", "cantopen", "corrupt" ("none"): metric labels. */
const char *store_fault_name(enum store_fault f);
/* Records that a storage call failed with fault f (backend code name and
 * message for the log): logs one JSON line naming them, marks the storage
 * degraded (store_health) and remembers f as this thread's last fault. */
void store_fault_note(enum store_fault f, const char *code_name, int code, const char *message);
/* The storage works again (a write committed or a probe write succeeded). */
void store_fault_clear(void);
/* The fault noted by the calling thread's latest failing call. */
enum store_fault store_fault_last(void);
/* A COMMIT lost its connection before the answer came (PostgreSQL): notes
 * STORE_FAULT_CANTOPEN, and store_fault_commit_unknown() then tells the
 * calling thread, until its next noted fault, that the outcome of its
 * latest transaction is unknown (it may have been applied). */
void store_fault_note_commit_unknown(const char *message);
bool store_fault_commit_unknown(void);
/* Makes the calling thread's store_fault_last / store_fault_commit_unknown
 * answer f / commit_unknown: a transaction run on another thread (the group
 * commit's writer, store/tx.h) hands its failure's cause to its caller. */
void store_fault_adopt(enum store_fault f, bool commit_unknown);
/* STORE_FAULT_NONE while healthy; else the fault and a reason for /ready
 * ("database or disk is full (SQLITE_FULL) since <ts>"). */
enum store_fault store_health(char *reason, size_t cap);

/* Per operation: "Read" needs a transaction (either kind), "Write" a write
 * transaction; "Conflict:" names the uniqueness rules a write can break
 * (STORE_CONFLICT). Every insert also conflicts on a duplicate id, which
 * callers avoid by using fresh GUIDs. Updates and deletes return STORE_NONE
 * when the row is gone. */
struct store_ops {
	void (*close)(struct store *st);
	/* Opens a transaction on the calling thread's connection. STORE_RETRY
	 * when the write lock could not be had in time (nothing is open then). */
	int (*begin)(struct store *st, bool write);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	/* True while the calling thread's connection has a transaction open
	 * (the dispatcher's guard against a handler that forgot to end one). */
	bool (*in_transaction)(struct store *st);
	/* Savepoints inside the calling thread's open write transaction, named
	 * by depth (0 = outermost): STORE_SP_BEGIN opens one, STORE_SP_RELEASE
	 * keeps its writes in the transaction, STORE_SP_ROLLBACK undoes them and
	 * ends it (ROLLBACK TO + RELEASE). The group commit runs each body of a
	 * batch in its own savepoint (store/tx.h). After a failed call, or a
	 * failed statement inside the savepoint, in_transaction tells whether
	 * the transaction itself survived (SQLite rolls all of it back on some
	 * errors, e.g. SQLITE_FULL). */
	int (*savepoint)(struct store *st, enum store_savepoint what, int depth);
	int (*ping)(struct store *st);
	/* A real, harmless write (rewrites the schema version in its own
	 * transaction): clears a noted fault when it succeeds. */
	int (*probe_write)(struct store *st);
	/* Shared rate limits (SPEC §7 "rate limits hold per key across the
	 * cluster"): counts one request in the bucket (key, bucket) against a
	 * GCRA budget of per_min requests per minute with a burst of per_min,
	 * on the database's clock, as one statement of its own -- call it with
	 * no transaction open (it must not join a request's transaction). A
	 * limited request changes nothing. STORE_ONE: decided, *out filled;
	 * STORE_NONE: this backend keeps no shared buckets (SQLite: one process
	 * owns the database, so the caller's in-process table is the limit);
	 * STORE_UNAVAILABLE / STORE_HARD: undecided. Buckets that have refilled
	 * are deleted by the backend itself (PostgreSQL: at most once a minute
	 * per process), so the table follows the keys active in the last minute.
	 * docs/decisions.md "Issue 11 — rate limits across instances". */
	int (*rate_take)(struct store *st, struct store_rate *out, const char *key, int bucket,
			 long per_min);

	/* Tenants (first start): Read tenant_find, tenant_count. Write
	 * tenant_insert; Conflict: the name is taken. */
	int (*tenant_find)(struct store *st, char *out_id, const char *name);
	int (*tenant_insert)(struct store *st, const char *id, const char *name, const char *now);
	int (*tenant_count)(struct store *st, long *out);
	/* Read: the tenant's counts of products, data sets, spaces and users
	 * (zeros for a tenant without any), one indexed row. Inside a write
	 * transaction it is read under the tenant's write lock (SQLite: the one
	 * writer; PostgreSQL: the tenant's advisory lock, taken first), so a
	 * quota checked with it before an insert holds across instances
	 * (docs/decisions.md "Issue 12 -- quotas"). STORE_ONE. */
	int (*tenant_usage)(struct store *st, struct tenant_usage *out, const char *tenant);

	/* Users: Read user_find_email, user_get, user_list. Write user_insert
	 * (Conflict: the email is taken in the tenant), user_update,
	 * user_delete. */
	int (*user_find_email)(struct store *st, char *out_id, const char *tenant, const char *email);
	int (*user_get)(struct store *st, json_t **out, const char *tenant, const char *id);
	int (*user_insert)(struct store *st, const char *tenant, json_t *doc, unsigned roles);
	/* Writes doc (its "status" included) and the role bits. */
	int (*user_update)(struct store *st, const char *tenant, json_t *doc, unsigned roles);
	/* Deletes the user and, with it, every API key it owns and every space
	 * assignment naming it. */
	int (*user_delete)(struct store *st, const char *tenant, const char *id);
	int (*user_list)(struct store *st, json_t **out, long *out_total, const char *tenant,
			 const char *email, long offset, long limit);

	/* API keys: Read apikey_lookup (any tenant, by token hash), apikey_get,
	 * apikey_list, apikey_count_active. Write apikey_insert (Conflict: the
	 * hash exists -- a 256-bit token, so in practice never), apikey_describe,
	 * apikey_delete. */
	int (*apikey_insert)(struct store *st, const char *tenant, const struct apikey_new *key);
	int (*apikey_lookup)(struct store *st, struct apikey_row *out, const char *hash);
	/* ApiKey documents (never the token). user_id NULL lists all keys. */
	int (*apikey_get)(struct store *st, json_t **out, const char *tenant, const char *id);
	int (*apikey_list)(struct store *st, json_t **out, long *out_total, const char *tenant,
			   const char *user_id, long offset, long limit);
	int (*apikey_describe)(struct store *st, const char *tenant, const char *id,
			       const char *description, const char *now);
	int (*apikey_delete)(struct store *st, const char *tenant, const char *id);
	/* Keys of user_id that are neither revoked nor expired at now_ms. */
	int (*apikey_count_active)(struct store *st, long *out, const char *tenant,
				   const char *user_id, int64_t now_ms);

	/* Browser sessions (issue 9). lookup: by id hash, key_ok judged at now_ms.
	 * Read session_lookup, session_count. Write session_insert (Conflict:
	 * the id hash exists), session_touch, session_delete, session_sweep. */
	int (*session_insert)(struct store *st, const char *tenant, const struct session_new *s);
	int (*session_lookup)(struct store *st, struct session_row *out, const char *id_hash,
			      int64_t now_ms);
	/* last_seen_at = now_ms (STORE_NONE: the row is gone). */
	int (*session_touch)(struct store *st, const char *tenant, const char *id_hash,
			     int64_t now_ms);
	int (*session_delete)(struct store *st, const char *tenant, const char *id_hash);
	/* Deletes sessions past their absolute expiry or unused since idle_before_ms. */
	int (*session_sweep)(struct store *st, long *out_deleted, int64_t now_ms,
			     int64_t idle_before_ms);
	/* Sessions neither expired nor idle (all tenants; for /metrics). */
	int (*session_count)(struct store *st, long *out, int64_t now_ms, int64_t idle_before_ms);

	/* Spaces (names are not unique): Read space_get, space_usage,
	 * space_list, user_spaces, space_roles. Write space_insert,
	 * space_update, space_delete (its assignments go with it). */
	int (*space_insert)(struct store *st, const char *tenant, json_t *doc);
	int (*space_get)(struct store *st, json_t **out, const char *tenant, const char *id);
	int (*space_update)(struct store *st, const char *tenant, json_t *doc);
	int (*space_delete)(struct store *st, const char *tenant, const char *id);
	/* Data products plus data sets held by the space. */
	int (*space_usage)(struct store *st, long *out, const char *tenant, const char *id);
	int (*space_list)(struct store *st, json_t **out, long *out_total, const char *tenant,
			  const struct space_query *q);
	/* The user's role bits in the space (0 when none). */
	/* The spaces user_id owns or holds a role in, as a new array of
	 * {"id", "type", "ownerId", "roles": role bits}. */
	int (*user_spaces)(struct store *st, json_t **out, const char *tenant, const char *user_id);
	int (*space_roles)(struct store *st, unsigned *out, const char *tenant, const char *space_id,
			   const char *user_id);

	/* Space role assignments: Read assignment_get, assignment_find (by
	 * assignee), assignment_list. Write assignment_insert (Conflict: the
	 * assignee already has one in the space), assignment_delete. */
	int (*assignment_insert)(struct store *st, const char *tenant, json_t *doc, unsigned roles);
	int (*assignment_get)(struct store *st, json_t **out, const char *tenant,
			      const char *space_id, const char *id);
	int (*assignment_find)(struct store *st, json_t **out, const char *tenant,
			       const char *space_id, const char *assignee_id);
	int (*assignment_list)(struct store *st, json_t **out, long *out_total, const char *tenant,
			       const char *space_id, long offset, long limit);
	int (*assignment_delete)(struct store *st, const char *tenant, const char *space_id,
				 const char *id);

	/* Data sets (names are not unique): Read dataset_get, dataset_list,
	 * dataset_products. Write dataset_insert, dataset_update,
	 * dataset_delete. */
	int (*dataset_insert)(struct store *st, const char *tenant, json_t *doc);
	int (*dataset_get)(struct store *st, json_t **out, const char *tenant, const char *id);
	int (*dataset_update)(struct store *st, const char *tenant, json_t *doc);
	int (*dataset_delete)(struct store *st, const char *tenant, const char *id);
	/* The tenant's data sets (the web app's picker, issue 9): the page
	 * [offset, offset + limit) of those whose name or technicalName contains
	 * query (ASCII case-insensitive substring; NULL = all), ordered by the
	 * ASCII-lower-cased name, then id, as a new array of stored documents;
	 * *out_total = the number of matches (exact). */
	int (*dataset_list)(struct store *st, json_t **out, long *out_total, const char *tenant,
			    const char *query, long offset, long limit);
	/* Ids of the products referencing the data set (new array), and how many
	 * of them are activated. */
	int (*dataset_products)(struct store *st, json_t **out, long *out_activated,
				const char *tenant, const char *dataset_id);
	/* The same two counts without the ids: how many products reference the
	 * data set and how many of them are activated (issue 12: a write's own
	 * trust score, without reading every sharer's id). One row of counters
	 * kept by the storage in the writing transaction (table dataset_usage,
	 * SQLite v15 / PostgreSQL v8), so O(1) however many products share it;
	 * a data set that does not exist counts 0, 0. */
	int (*dataset_usage)(struct store *st, long *out_products, long *out_activated,
			     const char *tenant, const char *dataset_id);

	/* Quality computations: Read computation_get, batch_computations,
	 * quality_latest, quality_last_attempt. Write batch_insert,
	 * computation_insert, computation_claim, computation_renew,
	 * computation_finish, computation_recover. computation_listen and
	 * computation_notices run outside any transaction.
	 *
	 * The queue is shared by every instance on the database (SPEC §7). A
	 * claim gives the computation an owner (the claiming instance's id) and
	 * a lease that expires lease_ms later on the backend's clock
	 * (PostgreSQL: the database's now(); SQLite: this process's clock);
	 * (id, owner, attempts) names one claim, since attempts grows with each.
	 * The owner renews its lease while it works; any instance takes back a
	 * computation whose lease expired (computation_recover). See
	 * docs/decisions.md "Issue 11 -- job queue across instances". */
	int (*batch_insert)(struct store *st, const char *tenant, const char *id,
			    const char *product_id, const char *now, const char *user_id);
	/* status REQUESTED (queued) or FAILED (error_code/reason set). On a
	 * backend shared by several processes (PostgreSQL) a REQUESTED row
	 * wakes every instance's listener when the transaction commits
	 * (computation_listen). */
	int (*computation_insert)(struct store *st, const char *tenant, const char *id,
				  const char *batch_id, const char *dataset_id, const char *status,
				  const char *error_code, const char *error_reason, const char *now,
				  const char *user_id);
	/* {id, batchId?, datasetId, status, attempts, errorCode?, errorReason?,
	 *  requestedAt, requestedBy, startedAt?, finishedAt?} */
	int (*computation_get)(struct store *st, json_t **out, const char *tenant, const char *id);
	/* The computations of a batch, oldest first (array of the above). */
	int (*batch_computations)(struct store *st, json_t **out, const char *tenant,
				  const char *batch_id);
	/* Takes the oldest REQUESTED computation of any tenant that no other
	 * transaction is taking: SUBMITTED, attempts + 1, owned by owner with a
	 * lease of lease_ms. STORE_NONE when the queue is empty. */
	int (*computation_claim)(struct store *st, struct computation *out, const char *owner,
				 int64_t lease_ms, const char *now);
	/* The heartbeat: the lease of the claim (id, owner, attempts) ends
	 * lease_ms from now. STORE_NONE when that claim is over: finished, or
	 * taken back after its lease expired (its owner must not record a
	 * result). */
	int (*computation_renew)(struct store *st, const char *id, const char *owner, int attempts,
				 int64_t lease_ms);
	/* SUCCEEDED with result, or FAILED with an error code and reason, by
	 * the claim (id, owner, attempts) only: STORE_NONE (nothing written)
	 * when the computation is no longer SUBMITTED under that claim -- its
	 * lease expired and another claim took it over, or it was requeued. */
	int (*computation_finish)(struct store *st, const char *id, const char *owner, int attempts,
				  const char *status, const char *error_code,
				  const char *error_reason, json_t *result, const char *now);
	/* SUBMITTED computations whose owner is gone go back to REQUESTED, or
	 * to FAILED (DQ-500) once they were tried max_attempts times. Gone:
	 * the lease expired (no heartbeat for lease_ms), or -- on a backend
	 * only one process uses at a time (SQLite) -- owned by an instance other
	 * than self, which can only be an earlier process of this server (so a
	 * restart takes its interrupted work back at once). A shared backend
	 * (PostgreSQL) never takes back an unexpired lease: its owner may be
	 * running on another machine. */
	int (*computation_recover)(struct store *st, long *out_requeued, long *out_failed,
				   const char *self, int max_attempts, const char *now);
	/* Wake-ups across instances (no transaction; one caller at a time: the
	 * worker pool's keeper thread). computation_listen (re)opens the
	 * store's listener and gives back a file descriptor that becomes
	 * readable when a notice may have arrived: STORE_ONE; STORE_NONE when
	 * the backend has no notices (SQLite: one process, whose API wakes its
	 * own workers); STORE_UNAVAILABLE when the database cannot be reached
	 * (try again later). computation_notices reads what arrived: *out_n
	 * notices (at most one per committed transaction), STORE_ONE;
	 * STORE_UNAVAILABLE when the listener broke (listen again: notices
	 * sent meanwhile are lost, so poll the queue once). */
	int (*computation_listen)(struct store *st, int *out_fd);
	int (*computation_notices)(struct store *st, int *out_n);
	/* The latest SUCCEEDED computation's result and its finishedAt/requestedBy. */
	int (*quality_latest)(struct store *st, json_t **out, char *out_at, char *out_by,
			      const char *tenant, const char *dataset_id);
	/* The latest computation of the data set in any state (for status reports). */
	int (*quality_last_attempt)(struct store *st, json_t **out, const char *tenant,
				    const char *dataset_id);

	/* Trust scores and settings: Read trust_get, trust_dataset_ids,
	 * settings_get. Write trust_put, settings_put (both replace). */
	int (*trust_get)(struct store *st, json_t **out, const char *tenant, const char *dataset_id);
	/* Ids of the data sets that have a stored trust score (new array). */
	int (*trust_dataset_ids)(struct store *st, json_t **out, const char *tenant);
	/* Stores doc (a TrustScoreResponse); keeps the previous score in it. */
	int (*trust_put)(struct store *st, const char *tenant, const char *dataset_id, double score,
			 json_t *doc, const char *now);
	int (*settings_get)(struct store *st, json_t **out_trust_config, const char *tenant);
	int (*settings_put)(struct store *st, const char *tenant, json_t *trust_config);

	/* Stale derived values (issue 12; docs/decisions.md "Issue 12 --
	 * derived values"): a write marks, in its own transaction, what it
	 * makes stale; the deriver takes a tenant's marks, recomputes and
	 * clears them in one write transaction, so a crash in between loses
	 * nothing. kind is "tenant", "trust", "dataset" or "product"
	 * (quality/aggregate.h aggregate_mark says what each means). Write derive_mark, derive_clear; read
	 * derive_next, derive_take.
	 * derive_mark: idempotent, a mark already there keeps its time (STORE_ONE). */
	int (*derive_mark)(struct store *st, const char *tenant, const char *kind, const char *id,
			   int64_t now_ms);
	/* Marks of every tenant: STORE_NONE when there are none (*out_pending
	 * 0), else STORE_ONE with the tenant of the oldest mark (out_tenant:
	 * GUID_LEN + 1 bytes, may be NULL), how many marks there are and the
	 * oldest one's time. */
	int (*derive_next)(struct store *st, char *out_tenant, long *out_pending,
			   int64_t *out_oldest_ms);
	/* Up to limit marks of the tenant, oldest first, as a new array of
	 * [kind, id] pairs (empty: none). */
	int (*derive_take)(struct store *st, json_t **out, const char *tenant, long limit);
	/* Deletes one mark: STORE_ONE, or STORE_NONE when it was not there. */
	int (*derive_clear)(struct store *st, const char *tenant, const char *kind, const char *id);

	/* Data products (names are not unique): Read product_get,
	 * product_get_access, product_list, product_facets, changelog_page.
	 * Write product_insert, product_update, product_delete (its changelog
	 * goes with it), changelog_append (numbers entries densely per
	 * product). */
	int (*product_get)(struct store *st, json_t **out, const char *tenant, const char *id);
	int (*product_get_access)(struct store *st, struct product_access *out, const char *tenant,
				  const char *id, const char *user_id);
	int (*product_insert)(struct store *st, const char *tenant, json_t *doc);
	int (*product_update)(struct store *st, const char *tenant, json_t *doc);
	int (*product_delete)(struct store *st, const char *tenant, const char *id);
	/* The page [offset, offset + limit) of the products q matches (its
	 * filters and the caller's visibility), in q's order, as a new array of
	 * stored documents; *out_total = the number of matches, counted up to
	 * q->count_limit + 1 at most (so a value above count_limit means more).
	 * The documents come as their stored text (store/docs.h): out is the
	 * caller's (store_docs_init'ed, store_docs_free'd either way); the call
	 * empties it first, then appends the page. */
	int (*product_list)(struct store *st, struct store_docs *out, long *out_total,
			    const char *tenant,
			    const struct product_query *q);
	/* The top cap values of one facet over the products q matches (the same
	 * filters and visibility as product_list; sort, offset and limit are
	 * ignored): count descending, then value ascending with the NULL value
	 * (no space) after every space id. Counted over at most
	 * q->count_limit + 1 matches (0 = all): for a TenantAdmin's list with no
	 * filter and no search, the first ones in q's order; otherwise (a search,
	 * a filter, or a caller who is not a TenantAdmin) the first ones in the
	 * in-tier order (trust score, then updatedAt, descending) regardless of
	 * tier. Exact whenever the matches are at most count_limit.
	 * *out_n = entries filled. */
	int (*product_facets)(struct store *st, struct facet_count *out, int *out_n, int cap,
			      const char *tenant, const struct product_query *q,
			      enum product_facet facet);

	/* STORE_NONE (nothing written) unless product_id is one of tenant's. */
	int (*changelog_append)(struct store *st, const char *tenant, const char *product_id,
				json_t *entry);
	/* The page [offset, offset + limit) of the product's entries, oldest
	 * (ascending) or newest first, as stored text into out (as
	 * product_list); *out_total = the product's number of entries. */
	int (*changelog_page)(struct store *st, struct store_docs *out, long *out_total,
			      const char *tenant, const char *product_id, bool ascending, long offset,
			      long limit);
};

struct store_writer;

struct store {
	const struct store_ops *ops;
	/* The group commit's writer (store/tx.h): write transactions of every
	 * thread queue for it. Set by a backend that wants it (SQLite); NULL
	 * runs each write transaction on its caller's own connection
	 * (PostgreSQL, whose own group commit batches concurrent COMMITs). */
	struct store_writer *writer;
};

/* Identity generation (issue 12, the principal cache: docs/decisions.md
 * "Issue 12 -- principal cache"). A process-wide counter that grows after
 * every committed write that can end or narrow what a credential resolves
 * to: each backend's user_update, user_delete, apikey_delete and
 * session_delete pass their rc through store_identity_wrote(), which marks
 * the calling thread's open transaction, and the backend's commit calls
 * store_identity_end(true) once COMMIT has been tried (also when its
 * outcome is unknown: a spurious bump only costs cache refills), its
 * rollback store_identity_end(false). Such a call outside a transaction
 * (autocommit) bumps at once: its statement has committed. A cache reads
 * the generation before its own lookup and trusts only entries filled under
 * the current one. Other processes' writes are not seen here. */
int store_identity_wrote(struct store *st, int rc);
void store_identity_end(bool commit_tried);
uint64_t store_identity_generation(void);

/* Opens the backend named by url ("sqlite:PATH"); creates/migrates schema.
 * Writes a human-readable reason into err on failure. */
int store_open(struct store **out, const char *url, char *err, size_t errlen);

#endif
