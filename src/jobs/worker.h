/* worker: the bounded background pool that runs quality computations, never
 * on a request thread. The queue is the computations table itself, so queued
 * and running work survives a restart (SPEC §5, issue 4), and several
 * instances on one PostgreSQL database share it (SPEC §7, issue 11): each
 * claim is leased to this process's instance id, renewed while it runs,
 * and taken back by any instance once the lease expires
 * (docs/decisions.md "Issue 11 -- job queue across instances"). */
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
	long lease_seconds;     /* --job-lease-seconds: a claim's lease (>= 1) */
	struct deriver *deriver; /* woken after a result marked derived values stale */
};

/* A computation claimed this many times without finishing (its server
 * stopped, or its lease expired, each time) becomes FAILED DQ-500. */
#define WORKER_MAX_ATTEMPTS 3
/* Makes this process's instance id (logged), takes back interrupted work
 * (store.h computation_recover: expired leases, and on SQLite every claim
 * of an earlier process), then starts n worker threads and one keeper
 * thread (heartbeats and cross-instance wake-ups). n = 0: an API-only
 * instance that runs nothing (no threads, no recovery). NULL on failure. */
struct worker_pool *worker_start(const struct worker_config *cfg, int n);
/* This process's instance id (the owner of its claims). */
const char *worker_instance(const struct worker_pool *wp);
/* Wakes an idle worker: new work was queued. Safe from any thread. */
void worker_notify(struct worker_pool *wp);
/* Lets running computations finish (still renewing their leases), then
 * joins the threads. */
void worker_stop(struct worker_pool *wp);

#endif
