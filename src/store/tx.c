/* tx: the transaction runner of store/tx.h -- begin, body, commit, and the
 * bounded retry of transactions the storage says may be run again; and the
 * group commit: one writer thread per store, fed by a FIFO queue, that
 * commits the bodies of many callers in one transaction, each body in a
 * savepoint of its own. */
#include "store/tx.h"
#include "util/log.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
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
	log_event(LOG_ERROR, "transaction body returned an unknown code", LOG_INT("rc", rc));
	return STORE_HARD;
}

/* The runner on the caller's own connection: a transaction per attempt. */
static int run_inline(struct store_tx_stats *out, struct store *st, bool write,
		      store_tx_body_fn body, void *cls)
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

/* ---- group commit ---------------------------------------------------------- */

/* One queued write: lives on its caller's stack until done is set. */
struct gc_item {
	store_tx_body_fn body;
	void *cls;
	struct gc_item *next;
	pthread_cond_t done_cv;
	bool done;           /* answered: the caller may return */
	bool pending;        /* asked to commit: answered after the COMMIT */
	bool requeue;        /* to run again in the next transaction */
	bool reran_conflict;
	int rc;
	struct store_tx_stats stats;
	enum store_fault fault;
	bool commit_unknown;
};

struct store_writer {
	pthread_mutex_t mu;
	pthread_cond_t work_cv;
	struct gc_item *head, *tail;
	long queued;
	bool started, stopping;
	pthread_t thread;
	struct store *st;
	int depth; /* the writer thread's open savepoints minus one (nested runs) */
	struct store_tx_batches counts;
};

/* The writer this thread is (NULL on every other thread). */
static _Thread_local struct store_writer *this_writer;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool commits(int rc) { return rc == STORE_TX_COMMIT || rc == STORE_ONE; }

/* body(cls) in savepoint depth of the open transaction: STORE_TX_COMMIT when
 * it asked to commit and its writes are kept (released), else its rc (its
 * writes undone). keep false (a read) undoes them in any case. */
static int in_savepoint(struct store *st, int depth, bool keep, store_tx_body_fn body, void *cls)
{
	int rc = st->ops->savepoint(st, STORE_SP_BEGIN, depth);
	if (rc < 0)
		return rc;
	rc = body(cls);
	if (commits(rc) && keep) {
		int rel = st->ops->savepoint(st, STORE_SP_RELEASE, depth);
		if (rel >= 0)
			return STORE_TX_COMMIT;
		st->ops->savepoint(st, STORE_SP_ROLLBACK, depth);
		return rel;
	}
	st->ops->savepoint(st, STORE_SP_ROLLBACK, depth);
	if (commits(rc))
		return STORE_TX_COMMIT;
	if (rc == STORE_TX_REFUSED || rc == STORE_RETRY || rc == STORE_CONFLICT ||
	    rc == STORE_HARD || rc == STORE_UNAVAILABLE)
		return rc;
	log_event(LOG_ERROR, "transaction body returned an unknown code", LOG_INT("rc", rc));
	return STORE_HARD;
}

/* A transaction run from inside a body on the writer thread: at once, in a
 * savepoint nested in the running transaction (waiting for the writer would
 * wait for itself). Its writes commit with the enclosing body's. */
static int run_nested(struct store_tx_stats *out, struct store *st, struct store_writer *w,
		      bool write, store_tx_body_fn body, void *cls)
{
	struct store_tx_stats stats = {0};
	int depth = ++w->depth;
	int rc;
	for (;;) {
		stats.attempts++;
		rc = in_savepoint(st, depth, write, body, cls);
		if (rc == STORE_CONFLICT && stats.retries == 0 && st->ops->in_transaction(st)) {
			stats.retries++;
			continue;
		}
		break; /* STORE_RETRY: the enclosing body's to pass on */
	}
	w->depth--;
	if (out)
		*out = stats;
	return rc;
}

/* Records it's final answer (the caller is woken later, under the lock). */
static void item_finish(struct gc_item *it, int rc)
{
	it->rc = rc;
	it->pending = false;
	it->requeue = false;
	it->fault = store_fault_last();
	it->commit_unknown = store_fault_commit_unknown();
}

enum run_outcome { RUN_NEXT, RUN_END_BATCH, RUN_LOST };

/* Runs one queued body in savepoint 0 of the batch's transaction, with the
 * runner's rules: a conflict reruns once at once, a retry goes to the next
 * transaction. RUN_LOST: the transaction itself is gone (SQLite rolled it
 * back on an error), and the batch's other bodies with it. */
static enum run_outcome run_item(struct store *st, struct store_writer *w, struct gc_item *it)
{
	for (;;) {
		it->stats.attempts++;
		w->depth = 0;
		store_fault_adopt(STORE_FAULT_NONE, false); /* this body's cause only */
		int rc = in_savepoint(st, 0, true, it->body, it->cls);
		bool lost = !st->ops->in_transaction(st);
		if (rc == STORE_TX_COMMIT && !lost) {
			it->pending = true;
			return RUN_NEXT;
		}
		if (rc == STORE_CONFLICT && !it->reran_conflict && !lost &&
		    it->stats.attempts < STORE_TX_MAX_ATTEMPTS) {
			/* the winner's row is in this transaction: the rerun's check sees it */
			it->reran_conflict = true;
			it->stats.retries++;
			continue;
		}
		if ((rc == STORE_RETRY || (lost && rc == STORE_TX_COMMIT)) &&
		    it->stats.attempts < STORE_TX_MAX_ATTEMPTS) {
			it->requeue = true;
			it->stats.retries++;
			return lost ? RUN_LOST : RUN_END_BATCH;
		}
		item_finish(it, rc == STORE_TX_COMMIT ? STORE_RETRY : rc);
		return lost ? RUN_LOST : RUN_NEXT;
	}
}

static void hist_add(struct store_tx_batches *c, int n)
{
	int b = 0;
	while (b < STORE_TX_HIST - 1 && n >= (2 << b))
		b++;
	c->size_hist[b]++;
}

/* Begins the batch's transaction, retried as the runner retries a begin. */
static int batch_begin(struct store *st, int *out_attempts)
{
	int rc;
	for (int attempt = 1;; attempt++) {
		*out_attempts = attempt;
		rc = st->ops->begin(st, true);
		if (rc >= 0)
			return rc;
		st->ops->rollback(st);
		if (rc != STORE_RETRY || attempt >= STORE_TX_MAX_ATTEMPTS)
			return rc;
		sleep_fn(backoff_ms(attempt));
	}
}

/* One batch: BEGIN, the queued bodies in FIFO order, one COMMIT, then the
 * answers. Called without the lock. */
static void run_batch(struct store *st, struct store_writer *w)
{
	struct gc_item *batch[STORE_TX_BATCH_MAX];
	int n = 0;
	store_fault_adopt(STORE_FAULT_NONE, false);
	int begins = 0;
	int rc = batch_begin(st, &begins);
	if (rc < 0) {
		/* another process held the lock through every try (or the storage
		 * fails): everything queued gets the answer a lone writer would */
		pthread_mutex_lock(&w->mu);
		for (struct gc_item *it; (it = w->head);) {
			w->head = it->next;
			w->queued--;
			it->stats.attempts += begins;
			it->stats.retries += begins - 1;
			item_finish(it, rc);
			it->done = true;
			pthread_cond_signal(&it->done_cv);
		}
		w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		return;
	}
	const int64_t t0 = mono_ms();
	bool lost = false;
	for (enum run_outcome o = RUN_NEXT; o == RUN_NEXT && n < STORE_TX_BATCH_MAX;) {
		pthread_mutex_lock(&w->mu);
		struct gc_item *it = w->head;
		if (it && n > 0 && mono_ms() - t0 >= STORE_TX_BATCH_MS)
			it = NULL;
		if (it) {
			if (!(w->head = it->next))
				w->tail = NULL;
			w->queued--;
		}
		pthread_mutex_unlock(&w->mu);
		if (!it)
			break;
		batch[n++] = it;
		o = run_item(st, w, it);
		lost = o == RUN_LOST;
	}
	int carried = 0;
	for (int i = 0; i < n; i++)
		carried += batch[i]->pending;
	bool committed = false;
	if (lost) {
		/* SQLite rolled the whole transaction back: nothing of it is kept,
		 * so the bodies that had asked to commit run again (a body may) */
		st->ops->rollback(st);
		for (int i = 0; i < n; i++) {
			struct gc_item *it = batch[i];
			if (!it->pending)
				continue;
			if (it->stats.attempts < STORE_TX_MAX_ATTEMPTS) {
				it->pending = false;
				it->requeue = true;
				it->stats.retries++;
			} else {
				item_finish(it, STORE_RETRY);
			}
		}
	} else {
		store_fault_adopt(STORE_FAULT_NONE, false);
		rc = st->ops->commit(st);
		committed = rc >= 0;
		if (!committed) {
			/* never retried: a commit that failed may have happened */
			st->ops->rollback(st);
			rc = rc == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_HARD;
		}
		for (int i = 0; i < n; i++) {
			struct gc_item *it = batch[i];
			if (!it->pending)
				continue;
			item_finish(it, committed ? STORE_TX_COMMIT : rc);
			if (committed)
				it->stats.batch = carried;
		}
	}
	/* the answers, and the bodies to run again at the head of the queue in
	 * their order: FIFO still */
	bool nap_first = false;
	pthread_mutex_lock(&w->mu);
	if (!lost) {
		w->counts.commits++;
		w->counts.commit_failures += !committed;
		w->counts.bodies += (unsigned long long)carried;
		hist_add(&w->counts, carried);
	}
	for (int i = n - 1; i >= 0; i--) {
		struct gc_item *it = batch[i];
		if (it->requeue) {
			it->requeue = false;
			if (!(it->next = w->head))
				w->tail = it;
			w->head = it;
			w->queued++;
			nap_first = true;
			continue;
		}
		it->done = true;
		pthread_cond_signal(&it->done_cv);
	}
	pthread_mutex_unlock(&w->mu);
	if (nap_first)
		sleep_fn(backoff_ms(1));
}

static void *writer_main(void *arg)
{
	struct store_writer *w = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are main's (sigwait) */
	this_writer = w;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->work_cv, &w->mu);
		if (!w->head)
			break; /* stopping, and everything queued has run */
		pthread_mutex_unlock(&w->mu);
		run_batch(w->st, w);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct store_writer *store_tx_writer_new(void)
{
	struct store_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work_cv, NULL);
	return w;
}

void store_tx_writer_free(struct store_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	bool started = w->started;
	pthread_cond_broadcast(&w->work_cv);
	pthread_mutex_unlock(&w->mu);
	if (started)
		pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->work_cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void store_tx_batch_counts(struct store_tx_batches *out, const struct store *st)
{
	*out = (struct store_tx_batches){0};
	struct store_writer *w = st->writer;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	*out = w->counts;
	out->queued = w->queued;
	pthread_mutex_unlock(&w->mu);
}

/* Queues body for the writer and waits for its answer. False (nothing
 * queued) when the writer has stopped or its thread cannot start. */
static bool run_queued(struct store_tx_stats *out, int *out_rc, struct store *st,
		       struct store_writer *w, store_tx_body_fn body, void *cls)
{
	struct gc_item it = {.body = body, .cls = cls};
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	if (!w->started) {
		w->st = st;
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
			pthread_mutex_unlock(&w->mu);
			return false;
		}
		w->started = true;
	}
	pthread_cond_init(&it.done_cv, NULL);
	if (w->tail)
		w->tail->next = &it;
	else
		w->head = &it;
	w->tail = &it;
	w->queued++;
	pthread_cond_signal(&w->work_cv);
	while (!it.done)
		pthread_cond_wait(&it.done_cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	pthread_cond_destroy(&it.done_cv);
	if (it.rc < 0)
		store_fault_adopt(it.fault, it.commit_unknown);
	store_tx_note(); /* the write transaction it ran in, counted for its caller */
	if (out)
		*out = it.stats;
	*out_rc = it.rc;
	return true;
}

int store_tx_run(struct store_tx_stats *out, struct store *st, bool write, store_tx_body_fn body,
		 void *cls)
{
	struct store_writer *w = st->writer;
	if (w && this_writer == w && st->ops->in_transaction(st))
		return run_nested(out, st, w, write, body, cls);
	int rc;
	if (w && write && this_writer != w && run_queued(out, &rc, st, w, body, cls))
		return rc;
	return run_inline(out, st, write, body, cls);
}
