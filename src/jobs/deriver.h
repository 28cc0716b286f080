/* deriver: the background thread that brings derived values (data sets'
 * trust scores, products' quality/trustScore) up to date after writes marked
 * them stale (issue 12; docs/decisions.md "Issue 12 -- derived values").
 * Woken by the writers of this process once their transaction commits, and
 * polling every DERIVER_POLL_MS for marks other instances or an earlier
 * process left. Each pass is one bounded write transaction
 * (quality/aggregate.h aggregate_derive_pass). */
#ifndef DP_DERIVER_H
#define DP_DERIVER_H

#include <stdint.h>

struct store;
struct deriver;

#define DERIVER_POLL_MS 250
/* After a wake-up, marks of writes arriving meanwhile are gathered this
 * long, so that under a stream of writes a pass takes many marks at once
 * instead of one write transaction per request. */
#define DERIVER_GATHER_MS 10

struct deriver_config {
	struct store *store;
	const char *data_root; /* --data-root (file ages feed the trust score) */
	long delay_ms;         /* --derive-delay-ms: a pause before each round of
				* passes (tests: a window to kill the process with
				* marks pending); 0 in production */
	long batch;            /* marks per pass (<= 0: AGGREGATE_PASS_MARKS) */
};

/* Starts the thread; NULL on failure (message on stderr). */
struct deriver *deriver_start(const struct deriver_config *cfg);
/* Something was marked: run a round soon. Safe from any thread; NULL: no-op. */
void deriver_notify(struct deriver *d);
/* Lets the running pass finish, then joins the thread (marks left over stay
 * in the database for the next start). */
void deriver_stop(struct deriver *d);

#endif
