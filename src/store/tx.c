/* tx: the transaction runner of store/tx.h -- begin, body, commit, and the
 * bounded retry of transactions the storage says may be run again. */
#include "store/tx.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void (*sleep_fn)(int ms) = nap;

void store_tx_set_sleep(void (*sleep_ms)(int ms)) { sleep_fn = sleep_ms ? sleep_ms : nap; }

/* attempt >= 1 transactions have failed: BACKOFF * 2^(attempt-1) plus
 * jitter of up to as much again (rand_r on a per-thread seed: colliding
 * threads must not wake in step). */
static int backoff_ms(int attempt)
{
	static _Thread_local unsigned seed;
	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)(size_t)&seed;
	int base = STORE_TX_BACKOFF_MS << (attempt - 1);
	return base + rand_r(&seed) % (base + 1);
}

/* One transaction: begin, body, commit. The transaction is closed on return. */
static int attempt_once(struct store *st, bool write, store_tx_body_fn body, void *cls)
{
	int rc = st->ops->begin(st, write);
	if (rc < 0) {
		/* nothing is open; a begin that could not get the lock may be retried */
		st->ops->rollback(st);
		return rc;
	}
	rc = body(cls);
	if ((rc == STORE_TX_COMMIT || rc == STORE_ONE) && !write) {
		/* a read transaction has nothing to commit: ending it cannot fail */
		st->ops->rollback(st);
		return STORE_TX_COMMIT;
	}
	if (rc == STORE_TX_COMMIT || rc == STORE_ONE) {
		rc = st->ops->commit(st);
		if (rc >= 0)
			return STORE_TX_COMMIT;
		/* never retried: a commit that failed may have happened (the
		 * connection lost during COMMIT); only unavailability keeps its 503 */
		st->ops->rollback(st);
		return rc == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_HARD;
	}
	st->ops->rollback(st);
	if (rc == STORE_TX_REFUSED || rc == STORE_RETRY || rc == STORE_CONFLICT ||
	    rc == STORE_HARD || rc == STORE_UNAVAILABLE)
		return rc;
	fprintf(stderr, "{\"level\":\"error\",\"msg\":\"transaction body returned %d\"}\n", rc);
	return STORE_HARD;
}

int store_tx_run(struct store_tx_stats *out, struct store *st, bool write, store_tx_body_fn body,
		 void *cls)
{
	struct store_tx_stats stats = {0};
	bool reran_conflict = false;
	int rc;
	for (;;) {
		stats.attempts++;
		rc = attempt_once(st, write, body, cls);
		if (rc == STORE_RETRY && stats.attempts < STORE_TX_MAX_ATTEMPTS) {
			sleep_fn(backoff_ms(stats.attempts));
		} else if (rc == STORE_CONFLICT && !reran_conflict &&
			   stats.attempts < STORE_TX_MAX_ATTEMPTS) {
			/* the winner has committed: the rerun's own check sees it */
			reran_conflict = true;
		} else {
			break;
		}
		stats.retries++;
	}
	if (out)
		*out = stats;
	return rc;
}
