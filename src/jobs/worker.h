/* worker: the bounded background pool that runs quality computations, never
 * on a request thread. The queue is the computations table itself, so queued
 * and running work survives a restart (SPEC §5, issue 4). */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include <stdint.h>

struct store;
struct worker_pool;

/* What the workers need from the running service, filled by main from the
 * command line (so jobs/ does not depend on the HTTP server or config.h).
 * The strings must outlive the pool. */
struct worker_config {
	struct store *store;
	const char *data_root;  /* --data-root: where data set files live */
	const char *db_path;    /* the SQLite file, never profiled; NULL if none */
	uint64_t max_bytes;     /* --quality-max-bytes */
	long max_seconds;       /* --quality-max-seconds */
};

/* Recovers work interrupted by a crash (SUBMITTED -> REQUESTED, or FAILED
 * after WORKER_MAX_ATTEMPTS), then starts n threads. NULL on failure. */
#define WORKER_MAX_ATTEMPTS 3
struct worker_pool *worker_start(const struct worker_config *cfg, int n);
/* Wakes an idle worker: new work was queued. Safe from any thread. */
void worker_notify(struct worker_pool *wp);
/* Lets running computations finish, then joins the threads. */
void worker_stop(struct worker_pool *wp);

#endif
