/* request: accessors over libmicrohttpd's connection values and the reply_*
 * functions that fill the response fields of struct req. The error envelope
 * of SPEC §2 is built here and nowhere else. */
#include "http/request.h"
#include <ctype.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include "http/metrics.h"
#include <strings.h>
#include "http/server.h"
#include "util/strbuf.h"
#include "util/utf8.h"

const char *req_param(const struct req *r, int i)
{
	return i >= 0 && i < r->nparams ? r->params[i] : NULL;
}

static const char *syn_lookup(const struct req_kv *kv, int n, const char *name, bool nocase)
{
	for (int i = 0; i < n; i++)
		if (nocase ? strcasecmp(kv[i].name, name) == 0 : strcmp(kv[i].name, name) == 0)
			return kv[i].value;
	return NULL;
}

const char *req_query(const struct req *r, const char *key)
{
	if (!r->conn)
		return syn_lookup(r->syn_query, r->syn_nquery, key, false);
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *req_header(const struct req *r, const char *name)
{
	if (!r->conn)
		return syn_lookup(r->syn_headers, r->syn_nheaders, name, true);
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct each_ctx {
	const char *key;
	void (*fn)(void *, const char *);
	void *arg;
};

static enum MHD_Result each_cb(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	(void)kind;
	struct each_ctx *c = cls;
	if (key && strcmp(key, c->key) == 0)
		c->fn(c->arg, value ? value : "");
	return MHD_YES;
}

void req_query_each(const struct req *r, const char *key, void (*fn)(void *, const char *),
		    void *arg)
{
	struct each_ctx c = {key, fn, arg};
	if (!r->conn) {
		for (int i = 0; i < r->syn_nquery; i++)
			each_cb(&c, MHD_GET_ARGUMENT_KIND, r->syn_query[i].name, r->syn_query[i].value);
		return;
	}
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_cb, &c);
}

struct all_ctx {
	void (*fn)(void *, const char *, const char *);
	void *arg;
};

static enum MHD_Result all_cb(void *cls, enum MHD_ValueKind kind, const char *key,
			      const char *value)
{
	(void)kind;
	struct all_ctx *c = cls;
	if (key)
		c->fn(c->arg, key, value);
	return MHD_YES;
}

void req_query_all(const struct req *r, void (*fn)(void *, const char *, const char *), void *arg)
{
	if (!r->conn) {
		for (int i = 0; i < r->syn_nquery; i++)
			fn(arg, r->syn_query[i].name, r->syn_query[i].value);
		return;
	}
	struct all_ctx c = {fn, arg};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, all_cb, &c);
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* Host header values are echoed into links, so only a well-formed
 * host[:port] passes: a name or IPv4 address, or a bracketed IPv6 literal. */
static bool host_ok(const char *h)
{
	if (!h || !*h || strlen(h) > 255)
		return false;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		if (!end || end == h + 1)
			return false;
		for (const char *p = h + 1; p < end; p++)
			if (!(isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
				return false;
		h = end + 1;
	} else {
		const char *start = h;
		while (host_char(*h))
			h++;
		if (h == start)
			return false;
	}
	if (*h == ':') {
		const char *port = ++h;
		while (*h >= '0' && *h <= '9')
			h++;
		if (h == port || h - port > 5)
			return false;
	}
	return *h == '\0';
}

struct keys_ctx {
	const char **keys;
	size_t n, cap;
};

static void key_cb(void *cls, const char *key, const char *value)
{
	(void)value;
	struct keys_ctx *k = cls;
	if (!key)
		return;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		const char **nk = realloc(k->keys, cap * sizeof *nk);
		if (!nk)
			abort();
		k->keys = nk, k->cap = cap;
	}
	k->keys[k->n++] = key;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const struct route_repeatable *query_rules(const struct req *r)
{
	const struct route_repeatable *rr = r->app->repeatable;
	for (; rr && rr->handler; rr++)
		if (rr->handler == r->route->handler)
			return rr;
	return NULL;
}

static bool in_list(const char *const *keys, const char *key)
{
	for (const char *const *k = keys; k && *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

static bool repeatable(const struct req *r, const char *key)
{
	const struct route_repeatable *rr = query_rules(r);
	return rr && in_list(rr->keys, key);
}

/* 400 naming every key the route does not know (sorted keys, each once). */
static int check_known(struct req *r, const char **keys, size_t n)
{
	const struct route_repeatable *rr = query_rules(r);
	if (!rr || !rr->known)
		return 0;
	struct strbuf sb;
	strbuf_init(&sb);
	int unknown = 0;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && !strcmp(keys[i - 1], keys[i])) || in_list(rr->known, keys[i]))
			continue;
		if (unknown++ < 8) { /* bounded detail: at most 256 keys reach here */
			strbuf_puts(&sb, unknown > 1 ? ", '" : "'");
			strbuf_puts(&sb, strlen(keys[i]) > 64 ? "(a key over 64 bytes)" : keys[i]);
			strbuf_puts(&sb, "'");
		}
	}
	if (unknown) {
		reply_error(r, ERR_INVALID_QUERY, "unknown query parameter%s %s%s",
			    unknown > 1 ? "s" : "", sb.data, unknown > 8 ? " and more" : "");
	}
	strbuf_free(&sb);
	return unknown ? -1 : 0;
}

int req_check_repeats(struct req *r)
{
	struct keys_ctx k = {0};
	req_query_all(r, key_cb, &k);
	/* sorted, equal keys are neighbours: O(n log n) however many are sent */
	if (k.n > 1)
		qsort(k.keys, k.n, sizeof *k.keys, cmp_keys);
	int rc = check_known(r, k.keys, k.n);
	for (size_t i = 1; i < k.n && rc == 0; i++) {
		if (strcmp(k.keys[i - 1], k.keys[i]) || repeatable(r, k.keys[i]))
			continue;
		reply_error(r, ERR_INVALID_QUERY, "query parameter '%s' must not be repeated",
			    k.keys[i]);
		rc = -1;
	}
	free(k.keys);
	return rc;
}

/* Length of the host part of h (up to an optional :port). */
static size_t host_part(const char *h)
{
	if (*h == '[') {
		const char *end = strchr(h, ']');
		return end ? (size_t)(end - h) + 1 : strlen(h);
	}
	return strcspn(h, ":");
}

/* Does one entry [e, e+n) match host? */
static bool entry_matches(const char *e, size_t n, const char *host)
{
	size_t eh = host_part(e);
	if (eh > n)
		eh = n;
	size_t hh = host_part(host);
	if (eh != hh || strncasecmp(e, host, eh) != 0)
		return false;
	if (eh == n)
		return true; /* no port in the entry: any port */
	return strlen(host) == n && strncmp(e + eh, host + hh, n - eh) == 0;
}

/* Calls fn on each trimmed, non-empty entry of list; stops when it returns true. */
static bool each_entry(const char *list, bool (*fn)(const char *, size_t, const void *),
		       const void *arg)
{
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		size_t t = n;
		while (t > 0 && p[t - 1] == ' ')
			t--;
		if (t > 0 && fn(p, t, arg))
			return true;
		p += n;
	}
	return false;
}

static bool match_cb(const char *e, size_t n, const void *host)
{
	return entry_matches(e, n, host);
}

bool req_host_allowed(const char *list, const char *host)
{
	return list && host_ok(host) && each_entry(list, match_cb, host);
}

static bool bad_cb(const char *e, size_t n, const void *count)
{
	char buf[260];
	++*(int *)count;
	if (n >= sizeof buf)
		return true;
	memcpy(buf, e, n);
	buf[n] = '\0';
	return !host_ok(buf);
}

bool req_host_list_valid(const char *list)
{
	int count = 0;
	return !each_entry(list, bad_cb, &count) && count > 0;
}

int req_check_host(struct req *r)
{
	const char *list = r->app->cfg->allowed_hosts;
	if (!list)
		return 0;
	const char *host = req_header(r, "Host");
	if (req_host_allowed(list, host))
		return 0;
	reply_error(r, ERR_HOST_NOT_ALLOWED,
		    "header 'Host' value '%.100s' is not one of the allowed hosts (--allowed-hosts)",
		    host ? host : "");
	return -1;
}

char *req_base_url(const struct req *r)
{
	struct strbuf sb;
	strbuf_init(&sb);
	if (r->app->cfg->public_url) {
		strbuf_puts(&sb, r->app->cfg->public_url);
	} else {
		const char *host = req_header(r, "Host");
		if (!host_ok(host))
			host = r->app->cfg->listen;
		strbuf_printf(&sb, "http://%s", host);
	}
	return strbuf_take(&sb);
}

static void free_body(struct req *r)
{
	if (!r->resp_static)
		free(r->resp_body);
	r->resp_static = false;
	r->resp_body = NULL;
}

static void set_body(struct req *r, unsigned status, const char *ctype, char *body, size_t len)
{
	free_body(r);
	r->status = status;
	r->resp_ctype = ctype;
	r->resp_body = body;
	r->resp_len = len;
}

void reply_json(struct req *r, unsigned status, json_t *body)
{
	char *txt = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!txt) {
		reply_error(r, ERR_INTERNAL, "response could not be encoded");
		return;
	}
	set_body(r, status, "application/json", txt, strlen(txt));
}

void reply_static(struct req *r, unsigned status, const char *ctype, const void *body, size_t len)
{
	set_body(r, status, ctype, (char *)body, len);
	r->resp_static = true;
}

void reply_empty(struct req *r, unsigned status) { set_body(r, status, NULL, NULL, 0); }

void reply_text(struct req *r, unsigned status, const char *ctype, char *body)
{
	set_body(r, status, ctype, body, body ? strlen(body) : 0);
}

void reply_error(struct req *r, enum err_id id, const char *fmt, ...)
{
	const struct err_info *e = errors_get(id);
	char raw[1024], detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* details quote client input (paths, keys); JSON needs valid UTF-8 */
	utf8_sanitize(detail, sizeof detail, raw);
	char status[8];
	snprintf(status, sizeof status, "%u", e->status);
	json_t *err = json_pack("{s:s, s:s, s:s, s:s}", "code", e->code, "title", e->title,
				"detail", detail, "status", status);
	json_t *body = json_pack("{s:[o], s:s}", "errors", err, "traceId", r->trace_id);
	char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!txt)
		abort();
	set_body(r, e->status, "application/json", txt, strlen(txt));
	r->err_code = e->code;
}

void reply_storage_unavailable(struct req *r)
{
	static const char *const what[STORE_FAULT__COUNT] = {
		[STORE_FAULT_NONE] = "storage error", [STORE_FAULT_FULL] = "disk full",
		[STORE_FAULT_READONLY] = "database is read-only",
		[STORE_FAULT_IOERR] = "disk I/O error",
		[STORE_FAULT_CANTOPEN] = "database cannot be opened or reached",
		[STORE_FAULT_CORRUPT] = "database file is damaged",
	};
	enum store_fault f = store_fault_last();
	if ((unsigned)f >= STORE_FAULT__COUNT)
		f = STORE_FAULT_NONE;
	if (store_fault_commit_unknown())
		reply_error(r, ERR_STORAGE_UNAVAILABLE,
			    "the connection to the database was lost while the change was being"
			    " committed: it may or may not have been applied; check before retrying");
	else
		reply_error(r, ERR_STORAGE_UNAVAILABLE,
			    "the server cannot use its database (%s); nothing was changed, retry later",
			    what[f]);
	reply_header(r, "Retry-After", "%d", STORAGE_RETRY_AFTER_S);
	if (r->app->metrics)
		metrics_count_db_fault(r->app->metrics, (int)f);
}

void reply_header(struct req *r, const char *name, const char *fmt, ...)
{
	if (r->nhdrs >= REQ_MAX_HEADERS)
		abort(); /* handlers add a fixed handful; more means a code bug */
	va_list ap;
	va_start(ap, fmt);
	char *v = NULL;
	if (vasprintf(&v, fmt, ap) < 0)
		abort();
	va_end(ap);
	r->hdrs[r->nhdrs].name = name;
	r->hdrs[r->nhdrs].value = v;
	r->nhdrs++;
}

void req_reset_reply(struct req *r)
{
	for (int i = 0; i < r->nhdrs; i++)
		free(r->hdrs[i].value);
	r->nhdrs = 0;
	free_body(r);
	r->resp_len = 0;
	r->resp_ctype = NULL;
	r->status = 0;
}

void req_clear(struct req *r)
{
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	for (int i = 0; i < r->nhdrs; i++)
		free(r->hdrs[i].value);
	free(r->body);
	free_body(r);
	free(r->raw_target);
}
