/* worker: threads that claim the oldest REQUESTED computation (a short
 * write transaction), profile the data set's CSV with no transaction open,
 * within the byte and time budgets (--quality-max-bytes/-seconds), reading
 * only from its tenant's directory (quality/paths.h), then record the result and refresh the derived numbers. A crash between
 * claim and finish leaves the row SUBMITTED; worker_start() requeues it. */
#include "jobs/worker.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "quality/aggregate.h"
#include "quality/paths.h"
#include "quality/profile.h"
#include "store/tx.h"
#include "util/clock.h"

struct worker_pool {
	struct worker_config cfg;
	int n;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending; /* notifications not yet consumed */
	int stop;
};

static void log_job(const struct computation *c, const char *status, const char *code,
		    const char *reason, const struct profile_stats *ps, double secs)
{
	json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:f}", "level", "info", "msg",
				 "quality computation", "computationId", c->id, "datasetId",
				 c->dataset_id, "status", status, "attempt", c->attempts, "seconds",
				 secs);
	if (code)
		json_object_set_new(line, "errorCode", json_string(code));
	if (reason)
		json_object_set_new(line, "reason", json_string(reason));
	if (ps)
		json_object_set_new(line, "bytes", json_integer((json_int_t)ps->bytes));
	char *txt = json_dumps(line, JSON_COMPACT);
	if (txt)
		fprintf(stderr, "%s\n", txt);
	free(txt);
	json_decref(line);
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
 * derived from it. */
struct finish_tx {
	const struct aggregate_env *env;
	const struct computation *c;
	bool ok, with_aggregates;
	const char *code, *reason, *now;
	json_t *result, *ids;
};

static int finish_body(void *cls)
{
	const struct finish_tx *t = cls;
	struct store *st = t->env->store;
	int rc = st->ops->computation_finish(st, t->c->id, t->ok ? "SUCCEEDED" : "FAILED",
					     t->ok ? NULL : t->code, t->ok ? NULL : t->reason,
					     t->result, t->now);
	if (rc >= 0 && t->with_aggregates)
		rc = aggregate_datasets_in_tx(t->env, t->c->tenant_id, t->ids, NULL);
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

static void process(const struct worker_config *cfg, const struct computation *c)
{
	struct store *st = cfg->store;
	char code[8] = "", reason[256] = "", now[ISO_TS_LEN + 1];
	json_t *result = NULL;
	struct profile_stats ps = {0};
	int64_t t0 = clock_mono_ns();
	int ok = run(cfg, c, &result, &ps, code, reason, sizeof reason) == 0;
	clock_now_iso(now);
	/* The result and the numbers derived from it commit together, so a
	 * client that sees FINISHED also sees the products' new quality. */
	json_t *ids = json_pack("[s]", c->dataset_id);
	const struct aggregate_env env = {cfg->store, cfg->data_root};
	struct finish_tx t = {&env, c, ok, ok, code, reason, now, result, ids};
	for (;;) {
		int rc = store_tx_run(NULL, st, true, finish_body, &t);
		if (rc >= 0 || !t.with_aggregates)
			break;
		/* never leave the computation SUBMITTED: retry without aggregates */
		t.with_aggregates = false;
	}
	json_decref(ids);
	json_decref(result);
	log_job(c, ok ? "SUCCEEDED" : "FAILED", ok ? NULL : code, ok ? NULL : reason, ok ? &ps : NULL,
		(double)(clock_mono_ns() - t0) / 1e9);
}

struct claim_tx {
	struct store *st;
	struct computation *c;
	bool got; /* out */
};

static int claim_body(void *cls)
{
	struct claim_tx *t = cls;
	char now[ISO_TS_LEN + 1];
	clock_now_iso(now);
	int rc = t->st->ops->computation_claim(t->st, t->c, now);
	t->got = rc == STORE_ONE;
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

/* One claim attempt: 1 = got work, 0 = queue empty, -1 = storage trouble. */
static int claim(const struct worker_config *cfg, struct computation *c)
{
	struct claim_tx t = {cfg->store, c, false};
	int rc = store_tx_run(NULL, cfg->store, true, claim_body, &t);
	return rc < 0 ? -1 : t.got;
}

struct recover_tx {
	struct store *st;
	const char *now;
	long requeued, failed; /* out */
};

static int recover_body(void *cls)
{
	struct recover_tx *t = cls;
	t->requeued = t->failed = 0;
	int rc = t->st->ops->computation_recover(t->st, &t->requeued, &t->failed,
						 WORKER_MAX_ATTEMPTS, t->now);
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

static void *loop(void *arg)
{
	struct worker_pool *wp = arg;
	for (;;) {
		pthread_mutex_lock(&wp->mu);
		bool stop = wp->stop;
		pthread_mutex_unlock(&wp->mu);
		if (stop)
			break;
		struct computation c;
		int got = claim(&wp->cfg, &c);
		if (got == 1) {
			process(&wp->cfg, &c);
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

struct worker_pool *worker_start(const struct worker_config *cfg, int n)
{
	struct store *st = cfg->store;
	char now[ISO_TS_LEN + 1];
	clock_now_iso(now);
	struct recover_tx t = {st, now, 0, 0};
	int rc = store_tx_run(NULL, st, true, recover_body, &t);
	long requeued = rc < 0 ? 0 : t.requeued, failed = rc < 0 ? 0 : t.failed;
	if (rc < 0) {
		/* not fatal: interrupted work stays SUBMITTED until a later start */
		fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"could not requeue interrupted quality"
				" computations; they will be retried at the next start\"}\n");
	}
	if (requeued || failed)
		fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"recovered interrupted quality computations\","
				"\"requeued\":%ld,\"failed\":%ld}\n", requeued, failed);
	struct worker_pool *wp = calloc(1, sizeof *wp);
	if (!wp || !(wp->threads = calloc((size_t)n, sizeof *wp->threads)))
		abort();
	wp->cfg = *cfg;
	pthread_mutex_init(&wp->mu, NULL);
	pthread_cond_init(&wp->cv, NULL);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&wp->threads[i], NULL, loop, wp) != 0)
			break;
		wp->n++;
	}
	return wp;
}

void worker_notify(struct worker_pool *wp)
{
	if (!wp)
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
	pthread_cond_destroy(&wp->cv);
	pthread_mutex_destroy(&wp->mu);
	free(wp->threads);
	free(wp);
}
