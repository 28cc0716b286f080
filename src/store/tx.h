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
 * Anything else is a bug in the body and ends the run as STORE_HARD. */
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
	int attempts;  /* transactions begun (or tried to begin) */
	int retries;   /* of them, reruns after STORE_RETRY or STORE_CONFLICT */
};

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
