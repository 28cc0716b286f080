/* tx: the one transaction runner (after GNU Taler's TEH_DB_run_transaction).
 * A caller parses its input, runs its work as a body through
 * store_tx_run, and answers after the runner returns. The runner begins,
 * calls the body, commits, and runs the whole transaction again when the
 * storage says it may (STORE_RETRY: busy, serialization failure, deadlock,
 * connection lost before commit), up to STORE_TX_MAX_ATTEMPTS with a short
 * growing pause between attempts. A failed commit is never retried: its
 * outcome may be unknown (a connection lost during COMMIT), and a retry
 * could apply the work twice. See docs/decisions.md, "Issue 11 --
 * transaction runner".
 *
 * A body may run more than once, so it must not answer the client or change
 * anything outside the transaction except its own closure, which it resets
 * at its start (store_tx_run never looks inside). It returns:
 *   STORE_TX_COMMIT (0) or STORE_ONE  -> commit;
 *   STORE_TX_REFUSED                  -> roll back; the body decided a
 *                                        non-success answer (a 4xx), kept
 *                                        in its closure;
 *   a negative enum store_rc          -> roll back; STORE_RETRY retries,
 *                                        STORE_CONFLICT reruns once (then
 *                                        the body's own uniqueness check sees
 *                                        the row that won and can refuse with
 *                                        the resource's own 409), the others
 *                                        end the run.
 * Anything else is a bug in the body and ends the run as STORE_HARD.
 *
 * Group commit (a store with a writer: SQLite; docs/decisions.md "Issue 12
 * -- writers and group commit"). A write run from any thread is queued
 * (FIFO) for the store's one writer thread and its caller waits. The writer
 * takes what is queued, up to STORE_TX_BATCH_MAX bodies or
 * STORE_TX_BATCH_MS of work, opens one write transaction (BEGIN IMMEDIATE,
 * retried as above while another process holds the lock), runs each body in
 * a savepoint of its own -- released when the body commits, rolled back
 * when it refuses or fails, so that one body's failure never touches
 * another's writes; STORE_CONFLICT reruns once in a fresh savepoint,
 * STORE_RETRY in the next transaction -- and then COMMITs once. Each caller
 * is answered only after that COMMIT returned (durable: synchronous=FULL);
 * a failed COMMIT fails every body that had asked to commit (STORE_HARD, or
 * STORE_UNAVAILABLE), never a success. Writes that arrive meanwhile go into
 * the next batch. So a body runs on the writer thread, with its connection:
 * the thread-local state of store.h (store_fault_last,
 * store_fault_commit_unknown) is handed back to the caller. A write run
 * from the writer thread itself (from inside a body) runs at once, nested
 * in a savepoint of the running transaction, and so does a read. A read
 * from any other thread runs on its caller's own connection, as does
 * everything on a store without a writer (PostgreSQL) or whose writer has
 * stopped (store close). */
#ifndef DP_STORE_TX_H
#define DP_STORE_TX_H
#include <stdbool.h>
#include "store/store.h"

/* Attempts in all (the first one included) before STORE_RETRY is given up
 * to the caller (-> 503 with Retry-After). On SQLite every busy attempt
 * has already waited out the busy timeout, so few are enough; a
 * PostgreSQL serialization failure comes back at once. */
#define STORE_TX_MAX_ATTEMPTS 4
/* Pause before the second attempt; doubled before each later one, with up
 * to the same again added at random so that colliding writers spread out. */
#define STORE_TX_BACKOFF_MS 2

enum store_tx_rc {
	STORE_TX_COMMIT = 0,
	/* STORE_ONE (1) also commits: a body may end with its last write's rc */
	STORE_TX_REFUSED = 2,
};

typedef int (*store_tx_body_fn)(void *cls);

/* What a run did, for logs, metrics and tests (may be NULL). */
struct store_tx_stats {
	int attempts;  /* transactions (group commit: savepoints) begun or tried */
	int retries;   /* of them, reruns after STORE_RETRY or STORE_CONFLICT */
	int batch;     /* group commit: bodies in the COMMIT that carried this one
			* (0: not committed by a writer) */
};

/* A batch of the group commit ends after this many bodies ... */
#define STORE_TX_BATCH_MAX 64
/* ... or once its bodies have run this long (the COMMIT not counted). */
#define STORE_TX_BATCH_MS 25

/* The group commit's counters since the store opened. size_hist counts
 * COMMITs by bodies carried: 1, 2-3, 4-7, 8-15, 16-31, 32-64. */
#define STORE_TX_HIST 6
struct store_tx_batches {
	unsigned long long commits;        /* batch COMMITs tried */
	unsigned long long commit_failures; /* of them, failed */
	unsigned long long bodies;         /* bodies they carried (asked to commit) */
	unsigned long long size_hist[STORE_TX_HIST];
	long queued;                       /* waiting now */
};

/* A writer for a store (its thread starts with the first write), or NULL
 * when out of memory. */
struct store_writer *store_tx_writer_new(void);
/* Stops the writer after it has run everything queued, joins its thread and
 * frees it (NULL: nothing). Later writes run on their callers' threads. */
void store_tx_writer_free(struct store_writer *w);
/* The writer's counters (all zero on a store without one). */
void store_tx_batch_counts(struct store_tx_batches *out, const struct store *st);

/* Runs body(cls) in a transaction (write: a write transaction) as described
 * above. A read transaction (write false) is ended with rollback where a
 * write transaction commits: it has nothing to commit, and ending a read
 * never fails (a read body that wrote would lose its writes). Returns STORE_TX_COMMIT when committed, STORE_TX_REFUSED when the
 * body refused (rolled back), else a negative store_rc: STORE_RETRY once
 * the attempts are spent, STORE_CONFLICT when the rerun conflicted again,
 * STORE_HARD or STORE_UNAVAILABLE from the body, begin or commit (a commit
 * that failed with STORE_RETRY or STORE_CONFLICT is reported as STORE_HARD).
 * No transaction is open when it returns. */
int store_tx_run(struct store_tx_stats *out, struct store *st, bool write, store_tx_body_fn body,
		 void *cls);

/* Replaces the pause between attempts (tests; NULL restores nanosleep).
 * Not thread-safe: set it before any run. */
void store_tx_set_sleep(void (*sleep_ms)(int ms));

#endif
