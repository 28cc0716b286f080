/* request: the per-request context handed to every handler. Handlers read
 * path params, query values, headers and the body from it and answer through
 * the reply_* functions; they never touch libmicrohttpd directly. */
#ifndef DP_REQUEST_H
#define DP_REQUEST_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "domain/roles.h"
#include "http/errors.h"
#include "util/ids.h"

#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 16 /* overflow aborts: a bug, never input-driven */
#define REQ_BODY_LIMIT (1024 * 1024)
/* An oversized body is read and discarded up to this many bytes so the
 * client can read its 413; beyond it the connection is closed at once. */
#define REQ_DRAIN_LIMIT (64 * 1024 * 1024)
/* Retry-After of a 503 for a storage condition (disk full, read-only, ...). */
#define STORAGE_RETRY_AFTER_S 30

struct MHD_Connection;
struct route;
struct app;

/* A name/value pair for requests served without a connection. */
struct req_kv {
	const char *name;
	const char *value;
};

struct req {
	struct app *app;
	struct MHD_Connection *conn; /* NULL: lookups read the syn_* tables */
	const struct req_kv *syn_headers, *syn_query;
	int syn_nheaders, syn_nquery;
	char *raw_target; /* request-target as sent, before %-decoding */
	bool started;	  /* on_request has seen this request */
	bool close;	  /* answer with Connection: close (malformed framing) */
	/* handed to a write thread (server.c): 1 while its connection is
	 * suspended, 2 when the answer is ready; the next in that queue */
	int offload;
	struct req *offload_next;
	const char *method;
	const char *path;
	char trace_id[33];
	int64_t start_ns;

	char *body;
	size_t body_len;
	size_t body_seen; /* all body bytes received, kept or not */
	bool body_too_large;

	const struct route *route;
	char *params[REQ_MAX_PARAMS];
	int nparams;
	bool authed;
	struct principal who;
	/* authenticated by the browser session cookie (issue 9), whose id's
	 * hash this is; never the id itself */
	bool via_session;
	char session_hash[HASH_HEX_LEN + 1];

	unsigned status;
	const char *err_code; /* the error envelope's code, for the log line; NULL: none */
	char *resp_body;
	bool resp_static; /* resp_body is static data (reply_static): never freed */
	size_t resp_len;
	const char *resp_ctype;
	struct {
		const char *name;
		char *value;
	} hdrs[REQ_MAX_HEADERS];
	int nhdrs;
};

const char *req_param(const struct req *r, int i);
const char *req_query(const struct req *r, const char *key);
const char *req_header(const struct req *r, const char *name);
/* Calls fn for each value of a repeatable query key, in request order. */
void req_query_each(const struct req *r, const char *key,
		    void (*fn)(void *arg, const char *value), void *arg);
/* Replies 400 DP-400-INVALID-QUERY naming the first query key that occurs
 * more than once without being repeatable for the route; -1 then, else 0. */
int req_check_repeats(struct req *r);
/* True when Host header value host (host[:port]) matches an entry of list
 * ("a.example, b.example:8443, [::1]"): case-insensitively, an entry without
 * a port matching any port. NULL/malformed host never matches. */
bool req_host_allowed(const char *list, const char *host);
/* True when list is a non-empty comma-separated list of well-formed
 * host[:port] entries (blanks around entries allowed). */
bool req_host_list_valid(const char *list);
/* With --allowed-hosts set: replies 400 DP-400-HOST-NOT-ALLOWED when the
 * Host header matches no entry; -1 then, else 0. */
int req_check_host(struct req *r);
/* Calls fn for every query argument, in request order. */
void req_query_all(const struct req *r, void (*fn)(void *arg, const char *key, const char *value),
		   void *arg);
/* Scheme://host used for absolute links (SPEC §3 changelogs). Caller frees. */
char *req_base_url(const struct req *r);

void reply_json(struct req *r, unsigned status, json_t *body); /* steals body */
void reply_empty(struct req *r, unsigned status);
void reply_text(struct req *r, unsigned status, const char *ctype, char *body); /* steals */
/* Answers with bytes that outlive the request (embedded assets): no copy. */
void reply_static(struct req *r, unsigned status, const char *ctype, const void *body, size_t len);
void reply_error(struct req *r, enum err_id id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 503 DP-503-STORAGE-UNAVAILABLE + Retry-After for a store call that
 * returned STORE_UNAVAILABLE (names the condition; counts the metric). */
void reply_storage_unavailable(struct req *r);
void reply_header(struct req *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Forgets the reply built so far (status, body, headers), so that another
 * can replace it. */
void req_reset_reply(struct req *r);

/* Releases everything the request owns. */
void req_clear(struct req *r);

#endif
