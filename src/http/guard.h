/* guard: strict checks of a parsed HTTP/1.1 request head, made before any
 * routing or handler runs (issue 8, item 3: request smuggling). Pure
 * functions over a library-independent view, so the fuzzer and unit tests
 * drive them without a socket. docs/decisions.md "Issue 8" lists the rules. */
#ifndef DP_GUARD_H
#define DP_GUARD_H
#include <stdbool.h>
#include <stddef.h>

/* Query arguments per request; beyond it libmicrohttpd 0.9.75 exhausts its
 * 64 KiB per-connection pool and never answers. */
#define GUARD_MAX_QUERY_ARGS 256

struct guard_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct guard_head {
	const char *version; /* "HTTP/1.1", "HTTP/1.0" */
	const struct guard_header *h;
	size_t nh;
};

/* Header rules: every name a non-empty RFC 9110 token; no control byte
 * (NUL, CR, LF, ...) but HTAB in a value; at most one Host, Content-Length,
 * Transfer-Encoding; Transfer-Encoding only "chunked" and never together
 * with Content-Length; Content-Length all digits; Host present in HTTP/1.1.
 * Returns true when acceptable, else false with a reason in detail. */
bool guard_head_ok(const struct guard_head *g, char *detail, size_t cap);

/* Request-target rules, on the bytes as sent (before %-decoding): no
 * space or control byte; the path holds no %2F (an encoded '/', which
 * would route as a separator) and no %00; at most GUARD_MAX_QUERY_ARGS
 * query arguments. Sets *too_many_args when that last rule failed. */
bool guard_target_ok(const char *raw, bool *too_many_args, char *detail, size_t cap);

#endif
