/* deriver: one thread running aggregate_derive_pass until no mark is left,
 * then sleeping until a writer of this process notifies it or
 * DERIVER_POLL_MS passes (marks made by other instances or left by a process
 * that died). A storage error ends the round; the next poll tries again.
 * Several instances on one PostgreSQL database each run one: a pass works on
 * one tenant under that tenant's advisory lock (store/pg.c), so two passes
 * over one tenant run one after the other, and the second finds the marks
 * the first cleared gone (docs/decisions.md "Issue 12 -- derived values"). */
#include "jobs/deriver.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "quality/aggregate.h"
#include "util/clock.h"

struct deriver {
	struct deriver_config cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool pending; /* notified since the last round began */
	bool stop;
};

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Sleeps up to ms or until stopped (notified too, when wake). Returns
 * whether to stop. Called with mu held. */
static bool wait_locked(struct deriver *d, long ms, bool wake)
{
	struct timespec ts;
	deadline_in(&ts, ms);
	while (!d->stop && !(wake && d->pending))
		if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) != 0)
			break;
	return d->stop;
}

static void log_failure(int rc)
{
	fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"deriver: a pass failed; derived values are"
			" recomputed at the next poll\",\"rc\":%d}\n", rc);
}

static void *loop(void *arg)
{
	struct deriver *d = arg;
	const struct aggregate_env env = {d->cfg.store, d->cfg.data_root};
	pthread_mutex_lock(&d->mu);
	for (;;) {
		if (wait_locked(d, DERIVER_POLL_MS, true))
			break;
		long pause_ms = d->cfg.delay_ms > 0 ? d->cfg.delay_ms : DERIVER_GATHER_MS;
		if (wait_locked(d, pause_ms, false))
			break;
		d->pending = false;
		pthread_mutex_unlock(&d->mu);
		struct aggregate_pass p;
		bool stop = false;
		do {
			int rc = aggregate_derive_pass(&env, &p, d->cfg.batch);
			if (rc < 0) {
				log_failure(rc);
				break;
			}
			pthread_mutex_lock(&d->mu);
			stop = d->stop;
			pthread_mutex_unlock(&d->mu);
		} while (p.marks > 0 && !stop);
		pthread_mutex_lock(&d->mu);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

struct deriver *deriver_start(const struct deriver_config *cfg)
{
	struct deriver *d = calloc(1, sizeof *d);
	if (!d)
		abort();
	d->cfg = *cfg;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&d->mu, NULL);
	d->pending = true; /* a first round at once: marks an earlier process left */
	if (pthread_create(&d->thread, NULL, loop, d) != 0) {
		fprintf(stderr, "dataproducts: cannot start the deriver thread\n");
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		free(d);
		return NULL;
	}
	return d;
}

void deriver_notify(struct deriver *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->pending = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void deriver_stop(struct deriver *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}
