/* server: libmicrohttpd setup, request dispatch (routing, auth, limits,
 * logging, metrics) and graceful shutdown. */
#ifndef DP_SERVER_H
#define DP_SERVER_H
#include "config.h"
#include "http/router.h"
#include "store/store.h"

struct metrics;
struct ratelimit;
struct worker_pool;

struct app {
	const struct config *cfg;
	struct store *store;
	struct metrics *metrics;
	struct ratelimit *ratelimit; /* NULL: no limits */
	struct ratelimit *sign_in_limit; /* per client address, TIER_1; NULL: none */
	struct worker_pool *workers;  /* quality computations */
	struct deriver *deriver;      /* derived values marked stale (issue 12) */
	const struct route *routes;
	int nroutes;
	const struct route_repeatable *repeatable; /* NULL handler ends it; may be NULL */
};

struct server;

/* Starts listening; returns NULL (message on stderr) on failure. */
struct server *server_start(struct app *app);
/* Routes, authenticates, rate-limits and checks a request, then calls its
 * handler; the response is left in r. Needs no connection (see fuzz/). */
struct req;
void server_dispatch(struct req *r);
/* Stops accepting, lets in-flight requests finish (up to grace_ms), frees. */
void server_stop(struct server *srv, int grace_ms);
/* The port actually bound (useful with --listen HOST:0). */
unsigned server_port(const struct server *srv);

#endif
