/* router: static routing table lookup. Patterns are '/'-separated segments;
 * a segment "{name}" captures one path segment. */
#ifndef DP_ROUTER_H
#define DP_ROUTER_H
#include <stdbool.h>
#include <stddef.h>

struct req;

enum rate_tier { TIER_NONE = 0, TIER_1 = 1, TIER_2 = 2 };

struct route {
	const char *method;
	const char *pattern;
	void (*handler)(struct req *r);
	enum rate_tier tier;
	bool auth; /* requires an API key */
};

enum route_match { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_BAD_METHOD };

/* Query keys per handler, both lists NULL-terminated. keys: those the
 * handler accepts more than once (SPEC §3 "tag"); every other key sent
 * twice answers 400 before the handler runs, so no handler silently takes
 * the first value and ignores the rest. known: when not NULL, the only keys
 * the handler accepts; any other answers 400 naming every unknown key
 * (SPEC §3, the data product list). NULL: unknown keys are ignored. */
struct route_repeatable {
	void (*handler)(struct req *r);
	const char *const *keys;
	const char *const *known;
};

/* Finds method+path in routes (terminated by a NULL method). On ROUTE_FOUND
 * *out is the route and params[] point into a copy the caller frees via
 * free(params[i]). On ROUTE_BAD_METHOD, allow (cap bytes) lists the methods
 * that exist for the path, comma separated. */
enum route_match router_match(const struct route *routes, const char *method, const char *path,
			      const struct route **out, char **params, int max_params,
			      int *nparams, char *allow, size_t cap);

#endif
