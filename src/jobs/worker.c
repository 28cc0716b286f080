/* worker: threads that claim the oldest REQUESTED computation (a short
 * write transaction, which first takes back computations whose owner is
 * gone: store.h computation_recover), profile the data set's CSV with no
 * transaction open, within the byte and time budgets
 * (--quality-max-bytes/-seconds), reading only from its tenant's directory
 * (quality/paths.h), then record the result -- only while the claim is
 * still theirs -- with the data set's trust score and a mark for the
 * deriver (jobs/deriver.h) in the same transaction.
 *
 * A claim is leased to this process's instance id for --job-lease-seconds.
 * One keeper thread renews the leases of the running claims every third of
 * that (until the run's time budget plus one lease has passed: a run stuck
 * beyond its budget loses its claim to another worker), and wakes the
 * workers when any instance queues work (store.h computation_listen:
 * PostgreSQL's LISTEN/NOTIFY); idle workers also poll every second. A crash
 * between claim and finish leaves the row SUBMITTED; it is taken back once
 * its lease expires (or, on SQLite, at the next start). */
#include "jobs/worker.h"
#include "jobs/deriver.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "quality/aggregate.h"
#include "quality/paths.h"
#include "quality/profile.h"
#include "store/tx.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

/* What worker i runs, for the keeper's heartbeats. */
struct slot {
	bool busy;
	bool lost; /* a heartbeat found the claim taken over */
	bool finishing; /* the result's transaction runs: no heartbeat (its
			 * renew would wait on the row that transaction holds,
			 * holding up every other slot's heartbeat) */
	char id[GUID_LEN + 1];
	int attempts;
	int64_t renew_until_ns; /* clock_mono_ns(): no heartbeat after this */
};

struct worker_arg {
	struct worker_pool *wp;
	int i;
};

struct worker_pool {
	struct worker_config cfg;
	char instance[GUID_LEN + 1]; /* this process's id: the owner of its claims */
	int64_t lease_ms;
	int n; /* worker threads running */
	pthread_t *threads;
	struct worker_arg *args;
	struct slot *slots;
	pthread_t keeper;
	bool keeper_running;
	int cancel[2]; /* worker_stop writes a byte to stop the keeper */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending; /* notifications not yet consumed */
	int stop;
};

static void log_job(const struct worker_pool *wp, const struct computation *c, const char *status,
		    const char *code, const char *reason, const struct profile_stats *ps, double secs)
{
	struct log_line l;
	log_begin(&l, LOG_INFO, "quality computation");
	log_str(&l, "computationId", c->id);
	log_str(&l, "datasetId", c->dataset_id);
	log_str(&l, "status", status);
	log_int(&l, "attempt", c->attempts);
	log_num(&l, "seconds", secs, 3);
	log_str(&l, "instance", wp->instance);
	if (code)
		log_str(&l, "errorCode", code);
	if (reason)
		log_str(&l, "reason", reason);
	if (ps)
		log_int(&l, "bytes", (int64_t)ps->bytes);
	log_end(&l);
}

/* A warning about one claim (lease lost, result discarded, not recorded). */
static void log_claim(const struct worker_pool *wp, const struct computation *c, const char *msg)
{
	log_event(LOG_WARN, msg, LOG_STR("computationId", c->id), LOG_INT("attempt", c->attempts),
		  LOG_STR("instance", wp->instance));
}

static void log_recovered(long requeued, long failed)
{
	if (requeued || failed)
		log_event(LOG_WARN, "recovered interrupted quality computations",
			  LOG_INT("requeued", requeued), LOG_INT("failed", failed));
}

/* Profiles the data set's file; fills result or code/reason. */
static int run(const struct worker_config *cfg, const struct computation *c, json_t **result,
	       struct profile_stats *ps, char *code, char *reason, size_t rlen)
{
	struct store *st = cfg->store;
	json_t *ds = NULL;
	int rc = st->ops->dataset_get(st, &ds, c->tenant_id, c->dataset_id);
	if (rc <= 0) {
		snprintf(code, 8, rc < 0 ? DQ_INTERNAL : DQ_DATASET_MISSING);
		snprintf(reason, rlen, rc < 0 ? "storage error" : "the data set no longer exists");
		return -1;
	}
	/* its tenant's directory only, a regular file only, never the database */
	struct quality_open_req q = {
		.data_root = cfg->data_root,
		.tenant_id = c->tenant_id,
		.location = json_string_value(
			json_object_get(json_object_get(ds, "operational"), "location")),
		.db_path = cfg->db_path,
		.max_bytes = cfg->max_bytes,
	};
	int fd;
	uint64_t size;
	int64_t t0 = clock_mono_ns();
	if (quality_open(&fd, &size, code, reason, rlen, &q) < 0) {
		json_decref(ds);
		return -1;
	}
	/* the budget: a file growing past the limit, or a read that drags on,
	 * fails the computation instead of holding the worker */
	struct profile_budget budget = {
		.max_bytes = cfg->max_bytes,
		.deadline_ns = t0 + (int64_t)cfg->max_seconds * 1000000000LL,
	};
	rc = profile_csv_budget(result, ps, fd,
				json_object_get(json_object_get(ds, "schema"), "dataFields"), &budget,
				code, reason, rlen);
	close(fd);
	json_decref(ds);
	return rc;
}

/* process's transaction: the result and (with_aggregates) the numbers
 * derived from it, written only by the claim that is still current. */
struct finish_tx {
	const struct aggregate_env *env;
	const struct computation *c;
	const char *owner;
	bool ok, with_aggregates;
	const char *code, *reason, *now;
	json_t *result, *ids;
	bool lost; /* out: the claim was taken over, nothing written */
};

static int finish_body(void *cls)
{
	struct finish_tx *t = cls;
	struct store *st = t->env->store;
	t->lost = false;
	int rc = st->ops->computation_finish(st, t->c->id, t->owner, t->c->attempts,
					     t->ok ? "SUCCEEDED" : "FAILED", t->ok ? NULL : t->code,
					     t->ok ? NULL : t->reason, t->result, t->now);
	if (rc == STORE_NONE) {
		/* its lease expired and another claim took it: that one's result counts */
		t->lost = true;
		return STORE_TX_REFUSED;
	}
	if (rc >= 0 && t->with_aggregates)
		/* the data set's own trust score now, its products by the
		 * deriver (issue 12) */
		rc = aggregate_datasets_mark(t->env, t->c->tenant_id, t->ids);
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

static void process(struct worker_pool *wp, struct slot *slot, const struct computation *c)
{
	const struct worker_config *cfg = &wp->cfg;
	struct store *st = cfg->store;
	char code[8] = "", reason[256] = "", now[ISO_TS_LEN + 1];
	json_t *result = NULL;
	struct profile_stats ps = {0};
	int64_t t0 = clock_mono_ns();
	int ok = run(cfg, c, &result, &ps, code, reason, sizeof reason) == 0;
	clock_now_iso(now);
	/* The result, the data set's trust score and the mark that makes the
	 * deriver bring its products up to date commit together (issue 12:
	 * a client that sees FINISHED sees the products' quality within the
	 * staleness bound, docs/decisions.md "Issue 12 -- derived values"). */
	json_t *ids = json_pack("[s]", c->dataset_id);
	const struct aggregate_env env = {cfg->store, cfg->data_root};
	struct finish_tx t = {&env, c, wp->instance, ok, ok, code, reason, now, result, ids, false};
	uint64_t marks = aggregate_marks_made();
	pthread_mutex_lock(&wp->mu);
	slot->finishing = true;
	pthread_mutex_unlock(&wp->mu);
	int rc;
	for (;;) {
		rc = store_tx_run(NULL, st, true, finish_body, &t);
		if (rc != STORE_HARD || !t.with_aggregates)
			break;
		/* the derived numbers failed (a bug or bad data, not the database
		 * being busy or away): record the result without them rather than
		 * run the computation again for the same failure. A busy or lost
		 * database (STORE_RETRY, STORE_UNAVAILABLE, a commit whose outcome
		 * is unknown) is not rerun here: the claim's lease runs out and the
		 * computation runs again, aggregates included (or, when the commit
		 * did land, it is finished and nothing runs again). */
		t.with_aggregates = false;
	}
	json_decref(ids);
	json_decref(result);
	if (rc >= 0 && aggregate_marks_made() != marks)
		deriver_notify(cfg->deriver);
	if (t.lost)
		log_claim(wp, c, "quality computation result discarded: its lease expired and"
				 " another claim took it over");
	else if (rc < 0)
		log_claim(wp, c, "quality computation result not recorded (storage error); it runs"
				 " again when its lease expires");
	else
		log_job(wp, c, ok ? "SUCCEEDED" : "FAILED", ok ? NULL : code, ok ? NULL : reason,
			ok ? &ps : NULL, (double)(clock_mono_ns() - t0) / 1e9);
}

/* claim's transaction: take back what gone owners left, then claim. */
struct claim_tx {
	struct worker_pool *wp;
	struct computation *c;
	bool got;              /* out */
	long requeued, failed; /* out */
};

static int claim_body(void *cls)
{
	struct claim_tx *t = cls;
	struct store *st = t->wp->cfg.store;
	char now[ISO_TS_LEN + 1];
	clock_now_iso(now);
	t->got = false;
	t->requeued = t->failed = 0;
	int rc = st->ops->computation_recover(st, &t->requeued, &t->failed, t->wp->instance,
					      WORKER_MAX_ATTEMPTS, now);
	if (rc < 0)
		return rc;
	rc = st->ops->computation_claim(st, t->c, t->wp->instance, t->wp->lease_ms, now);
	t->got = rc == STORE_ONE;
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

/* One claim attempt: 1 = got work, 0 = queue empty, -1 = storage trouble. */
static int claim(struct worker_pool *wp, struct computation *c)
{
	struct claim_tx t = {wp, c, false, 0, 0};
	int rc = store_tx_run(NULL, wp->cfg.store, true, claim_body, &t);
	if (rc < 0)
		return -1;
	log_recovered(t.requeued, t.failed);
	return t.got;
}

static void *loop(void *arg)
{
	struct worker_arg *a = arg;
	struct worker_pool *wp = a->wp;
	struct slot *slot = &wp->slots[a->i];
	for (;;) {
		pthread_mutex_lock(&wp->mu);
		bool stop = wp->stop;
		pthread_mutex_unlock(&wp->mu);
		if (stop)
			break;
		struct computation c;
		int got = claim(wp, &c);
		if (got == 1) {
			pthread_mutex_lock(&wp->mu);
			*slot = (struct slot){.busy = true, .attempts = c.attempts,
					      .renew_until_ns = clock_mono_ns() +
								(int64_t)wp->cfg.max_seconds * 1000000000LL +
								wp->lease_ms * 1000000LL};
			snprintf(slot->id, sizeof slot->id, "%s", c.id);
			pthread_mutex_unlock(&wp->mu);
			process(wp, slot, &c);
			pthread_mutex_lock(&wp->mu);
			slot->busy = false;
			pthread_mutex_unlock(&wp->mu);
			continue;
		}
		/* idle: sleep until notified, or poll again after a second */
		pthread_mutex_lock(&wp->mu);
		if (!wp->stop && wp->pending == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&wp->cv, &wp->mu, &ts);
		}
		if (wp->pending > 0)
			wp->pending--;
		pthread_mutex_unlock(&wp->mu);
	}
	return NULL;
}

/* ---- the keeper: heartbeats and wake-ups ---------------------------------- */

/* Work was queued somewhere: every idle worker looks. */
static void wake_all(struct worker_pool *wp)
{
	pthread_mutex_lock(&wp->mu);
	wp->pending = wp->n;
	pthread_cond_broadcast(&wp->cv);
	pthread_mutex_unlock(&wp->mu);
}

struct renew_tx {
	struct worker_pool *wp;
	const struct computation *c;
	bool held; /* out: the claim is still ours */
};

static int renew_body(void *cls)
{
	struct renew_tx *t = cls;
	struct store *st = t->wp->cfg.store;
	int rc = st->ops->computation_renew(st, t->c->id, t->wp->instance, t->c->attempts,
					    t->wp->lease_ms);
	t->held = rc == STORE_ONE;
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

/* One heartbeat for every running claim still within its budget. A storage
 * error leaves the lease as it is (the next round tries again). */
static void renew_round(struct worker_pool *wp)
{
	for (int i = 0; i < wp->n; i++) {
		struct computation c = {0};
		pthread_mutex_lock(&wp->mu);
		struct slot s = wp->slots[i];
		pthread_mutex_unlock(&wp->mu);
		if (!s.busy || s.lost || s.finishing || clock_mono_ns() > s.renew_until_ns)
			continue;
		snprintf(c.id, sizeof c.id, "%s", s.id);
		c.attempts = s.attempts;
		struct renew_tx t = {wp, &c, true};
		if (store_tx_run(NULL, wp->cfg.store, true, renew_body, &t) < 0 || t.held)
			continue;
		pthread_mutex_lock(&wp->mu);
		if (wp->slots[i].busy && wp->slots[i].attempts == c.attempts &&
		    !strcmp(wp->slots[i].id, c.id))
			wp->slots[i].lost = true;
		pthread_mutex_unlock(&wp->mu);
		log_claim(wp, &c, "quality computation lease lost: another claim took it over");
	}
}

static void *keeper(void *arg)
{
	struct worker_pool *wp = arg;
	struct store *st = wp->cfg.store;
	const int64_t beat_ns = wp->lease_ms * 1000000LL / 3;
	int64_t next_beat = clock_mono_ns() + beat_ns;
	int fd = -1;
	bool listening = true;
	for (;;) {
		/* heartbeats first: a reconnecting listener may wait on the network */
		if (clock_mono_ns() >= next_beat) {
			renew_round(wp);
			next_beat = clock_mono_ns() + beat_ns;
		}
		if (listening && fd < 0) {
			int rc = st->ops->computation_listen(st, &fd);
			if (rc == STORE_ONE) {
				wake_all(wp); /* notices sent while not listening are lost */
			} else if (rc == STORE_NONE || rc == STORE_HARD) {
				listening = false; /* none on this backend: polling only */
				fd = -1;
			} else {
				fd = -1; /* unreachable: try again in a second */
			}
		}
		int64_t wait_ns = next_beat - clock_mono_ns();
		if (wait_ns < 0)
			wait_ns = 0;
		if (listening && fd < 0 && wait_ns > 1000000000LL)
			wait_ns = 1000000000LL;
		struct pollfd p[2] = {{.fd = wp->cancel[0], .events = POLLIN},
				      {.fd = fd, .events = POLLIN}};
		int pr = poll(p, fd >= 0 ? 2 : 1, (int)((wait_ns + 999999) / 1000000));
		if (pr < 0 && errno != EINTR) {
			/* never stop the heartbeats: drop the listener (it is
			 * opened again) and go on with the next round */
			log_event(LOG_WARN, "job keeper: poll failed; listening again",
				  LOG_INT("errno", errno));
			fd = -1;
			struct timespec pause = {0, 100000000L};
			nanosleep(&pause, NULL);
			continue;
		}
		if (pr > 0 && p[0].revents)
			break; /* worker_stop */
		if (pr > 0 && fd >= 0 && p[1].revents) {
			int got = 0;
			if (st->ops->computation_notices(st, &got) != STORE_ONE) {
				fd = -1; /* the listener broke: listen again */
				log_event(LOG_WARN, "job notification listener lost; listening again");
			} else if (got > 0) {
				wake_all(wp);
			}
		}
	}
	return NULL;
}

/* ---- the pool --------------------------------------------------------------- */

struct recover_tx {
	struct worker_pool *wp;
	const char *now;
	long requeued, failed; /* out */
};

static int recover_body(void *cls)
{
	struct recover_tx *t = cls;
	struct store *st = t->wp->cfg.store;
	t->requeued = t->failed = 0;
	int rc = st->ops->computation_recover(st, &t->requeued, &t->failed, t->wp->instance,
					      WORKER_MAX_ATTEMPTS, t->now);
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

struct worker_pool *worker_start(const struct worker_config *cfg, int n)
{
	struct worker_pool *wp = calloc(1, sizeof *wp);
	if (!wp)
		abort();
	wp->cfg = *cfg;
	wp->lease_ms = (cfg->lease_seconds > 0 ? cfg->lease_seconds : 30) * 1000LL;
	wp->cancel[0] = wp->cancel[1] = -1;
	pthread_mutex_init(&wp->mu, NULL);
	pthread_cond_init(&wp->cv, NULL);
	if (ids_guid_new(wp->instance) < 0) {
		fprintf(stderr, "dataproducts: no entropy for the instance id\n");
		worker_stop(wp);
		return NULL;
	}
	log_event(LOG_INFO, "quality workers", LOG_STR("instance", wp->instance), LOG_INT("workers", n),
		  LOG_INT("leaseSeconds", wp->lease_ms / 1000));
	if (n <= 0)
		return wp; /* an API-only instance: it queues, others run */

	struct store *st = cfg->store;
	char now[ISO_TS_LEN + 1];
	clock_now_iso(now);
	struct recover_tx t = {wp, now, 0, 0};
	if (store_tx_run(NULL, st, true, recover_body, &t) < 0)
		/* not fatal: every claim tries again */
		log_event(LOG_WARN, "could not requeue interrupted quality computations; the workers"
				    " retry at each claim");
	else
		log_recovered(t.requeued, t.failed);

	if (pipe2(wp->cancel, O_CLOEXEC) != 0 || !(wp->threads = calloc((size_t)n, sizeof *wp->threads)) ||
	    !(wp->args = calloc((size_t)n, sizeof *wp->args)) ||
	    !(wp->slots = calloc((size_t)n, sizeof *wp->slots))) {
		fprintf(stderr, "dataproducts: cannot start the quality workers\n");
		worker_stop(wp);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		wp->args[i] = (struct worker_arg){wp, i};
		if (pthread_create(&wp->threads[i], NULL, loop, &wp->args[i]) != 0)
			break;
		wp->n++;
	}
	wp->keeper_running = pthread_create(&wp->keeper, NULL, keeper, wp) == 0;
	if (!wp->keeper_running)
		log_event(LOG_WARN, "quality workers: no keeper thread; leases are not renewed, so a"
				    " computation longer than the lease may run again elsewhere");
	return wp;
}

const char *worker_instance(const struct worker_pool *wp)
{
	return wp ? wp->instance : "";
}

void worker_notify(struct worker_pool *wp)
{
	if (!wp || wp->n == 0)
		return;
	pthread_mutex_lock(&wp->mu);
	wp->pending++;
	pthread_cond_signal(&wp->cv);
	pthread_mutex_unlock(&wp->mu);
}

void worker_stop(struct worker_pool *wp)
{
	if (!wp)
		return;
	pthread_mutex_lock(&wp->mu);
	wp->stop = 1;
	pthread_cond_broadcast(&wp->cv);
	pthread_mutex_unlock(&wp->mu);
	for (int i = 0; i < wp->n; i++)
		pthread_join(wp->threads[i], NULL);
	/* the keeper last: it renews the leases of the runs finishing above */
	if (wp->keeper_running) {
		ssize_t w;
		do
			w = write(wp->cancel[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(wp->keeper, NULL);
	}
	for (int i = 0; i < 2; i++)
		if (wp->cancel[i] >= 0)
			close(wp->cancel[i]);
	pthread_cond_destroy(&wp->cv);
	pthread_mutex_destroy(&wp->mu);
	free(wp->threads);
	free(wp->args);
	free(wp->slots);
	free(wp);
}
