/* worker: the bounded background pool that runs quality computations, never
 * on a request thread. The queue is the computations table itself, so queued
 * and running work survives a restart (SPEC §5, issue 4). */
#ifndef DP_WORKER_H
#define DP_WORKER_H

struct app;
struct worker_pool;

/* Recovers work interrupted by a crash (SUBMITTED -> REQUESTED, or FAILED
 * after WORKER_MAX_ATTEMPTS), then starts n threads. NULL on failure. */
#define WORKER_MAX_ATTEMPTS 3
struct worker_pool *worker_start(struct app *app, int n);
/* Wakes an idle worker: new work was queued. Safe from any thread. */
void worker_notify(struct worker_pool *wp);
/* Lets running computations finish, then joins the threads. */
void worker_stop(struct worker_pool *wp);

#endif
