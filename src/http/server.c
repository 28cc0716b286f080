/* server: libmicrohttpd glue. A thread pool of epoll loops serves requests;
 * each request gets a struct req on its first callback, its body is
 * collected (1 MiB cap), then dispatch() routes, authenticates, applies the
 * per-key rate limit, checks path ids and Content-Type, calls the handler,
 * and one JSON log line and the metrics are written per response. */
#include "http/server.h"
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "http/auth.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/utf8.h"

struct server {
	struct MHD_Daemon *daemon;
	struct app *app;
	unsigned port;
};

static int inflight; /* requests between first callback and completion */

static bool valid_trace(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > 32)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '-'))
			return false;
	return true;
}

/* Name of the i-th {param} in a route pattern, for error details. */
static void param_name(char *out, size_t cap, const char *pattern, int i)
{
	const char *p = pattern;
	snprintf(out, cap, "id");
	for (int k = 0; (p = strchr(p, '{')); k++, p++) {
		const char *e = strchr(p, '}');
		if (k == i && e) {
			snprintf(out, cap, "%.*s", (int)(e - p - 1), p + 1);
			return;
		}
	}
}

static bool json_content_type(const char *ct)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, ";");
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
	       (n == 27 && strncasecmp(ct, "application/json-patch+json", 27) == 0);
}

/* Counts an authenticated request against its key's budget for the route's
 * tier (SPEC §2) and adds the RateLimit-* headers, which then accompany
 * whatever the request is answered with. Returns -1 after replying 429. */
static int enforce_rate_limit(struct req *r)
{
	struct app *app = r->app;
	struct rate_verdict v;
	if (!app->ratelimit || !r->authed)
		return 0;
	int limited = ratelimit_take(&v, app->ratelimit, r->who.key_id, r->route->tier,
				     clock_mono_ns() / 1000000);
	if (!v.enforced)
		return 0;
	if (limited) {
		metrics_count_rate_limited(app->metrics);
		reply_error(r, ERR_RATE_LIMITED,
			    "Tier %d rate limit of %ld requests per minute for this API key exceeded; "
			    "retry in %ld s",
			    (int)r->route->tier, v.limit, v.retry_after_s);
		reply_header(r, "Retry-After", "%ld", v.retry_after_s);
	}
	reply_header(r, "RateLimit-Limit", "%ld", v.limit);
	reply_header(r, "RateLimit-Remaining", "%ld", v.remaining);
	reply_header(r, "RateLimit-Reset", "%ld", v.reset_s);
	return limited ? -1 : 0;
}

static void dispatch(struct req *r)
{
	struct app *app = r->app;
	char allow[64];
	if (r->body_too_large) {
		reply_error(r, ERR_PAYLOAD_TOO_LARGE, "request body exceeds %d bytes", REQ_BODY_LIMIT);
		return;
	}
	enum route_match m = router_match(app->routes, r->method, r->path, &r->route, r->params,
					  REQ_MAX_PARAMS, &r->nparams, allow, sizeof allow);
	if (m == ROUTE_NO_PATH) {
		reply_error(r, ERR_ROUTE_NOT_FOUND, "no endpoint at path '%s'", r->path);
		return;
	}
	if (m == ROUTE_BAD_METHOD) {
		reply_error(r, ERR_METHOD_NOT_ALLOWED, "method %s is not allowed on '%s'; allowed: %s",
			    r->method, r->path, allow);
		reply_header(r, MHD_HTTP_HEADER_ALLOW, "%s", allow);
		return;
	}
	if (r->route->auth && req_check_host(r) < 0)
		return;
	if (r->route->auth && auth_authenticate(r) < 0)
		return;
	if (enforce_rate_limit(r) < 0)
		return;
	for (int i = 0; i < r->nparams; i++) {
		if (!ids_guid_valid(r->params[i])) {
			char name[64];
			param_name(name, sizeof name, r->route->pattern, i);
			reply_error(r, ERR_INVALID_ID, "path parameter '%s' must be a lower-case GUID",
				    name);
			return;
		}
	}
	if (r->route->auth && req_check_repeats(r) < 0)
		return;
	if (r->body_len > 0 && !json_content_type(req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
		reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE,
			    "Content-Type '%s' is not supported; send application/json",
			    ct ? ct : "(none)");
		return;
	}
	r->route->handler(r);
	if (!r->status)
		reply_error(r, ERR_INTERNAL, "handler produced no response");
}

static void json_escape_into(struct strbuf *sb, const char *s)
{
	char clean[2048];
	utf8_sanitize(clean, sizeof clean, s ? s : "");
	json_t *j = json_string(clean);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	strbuf_puts(sb, t ? t : "\"\"");
	free(t);
	json_decref(j);
}

static void log_request(struct req *r, int64_t ns)
{
	char ts[ISO_TS_LEN + 1];
	clock_now_iso(ts);
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_printf(&sb, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"request\",\"method\":", ts,
		      r->status >= 500 ? "error" : "info");
	json_escape_into(&sb, r->method);
	strbuf_puts(&sb, ",\"path\":");
	json_escape_into(&sb, r->path);
	strbuf_printf(&sb, ",\"status\":%u,\"durationMs\":%.3f,\"traceId\":\"%s\"", r->status,
		      (double)ns / 1e6, r->trace_id);
	if (r->authed)
		strbuf_printf(&sb, ",\"user\":\"%s\",\"tenant\":\"%s\"", r->who.user_id,
			      r->who.tenant_id);
	else
		strbuf_puts(&sb, ",\"user\":null");
	strbuf_puts(&sb, "}\n");
	fwrite(sb.data, 1, sb.len, stderr);
	strbuf_free(&sb);
}

static enum MHD_Result finish(struct req *r)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(r->resp_len, r->resp_body, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	r->resp_body = NULL;
	if (r->resp_ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_ctype);
	MHD_add_response_header(resp, "X-Trace-Id", r->trace_id);
	for (int i = 0; i < r->nhdrs; i++)
		MHD_add_response_header(resp, r->hdrs[i].name, r->hdrs[i].value);
	enum MHD_Result ok = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	int64_t ns = clock_mono_ns() - r->start_ns;
	metrics_observe(r->app->metrics, r->route, r->status, ns);
	if (r->status >= 500)
		metrics_count_db_error(r->app->metrics);
	log_request(r, ns);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct req *r = *con_cls;
	if (!r) {
		if (!(r = calloc(1, sizeof *r)))
			return MHD_NO;
		r->app = cls;
		r->conn = conn;
		r->method = method;
		r->path = url;
		r->start_ns = clock_mono_ns();
		const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Trace-Id");
		if (valid_trace(t))
			snprintf(r->trace_id, sizeof r->trace_id, "%s", t);
		else
			ids_trace_new(r->trace_id);
		*con_cls = r;
		__atomic_fetch_add(&inflight, 1, __ATOMIC_SEQ_CST);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_EXPECT);
		unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
		if (declared > REQ_BODY_LIMIT) {
			r->body_too_large = true;
			/* A client waiting for 100-continue, or one announcing more than
			 * we are willing to drain, gets its 413 before sending the body. */
			if (expect || declared > REQ_DRAIN_LIMIT) {
				dispatch(r);
				return finish(r);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		r->body_seen += n;
		if (r->body_seen > REQ_DRAIN_LIMIT) {
			*upload_data_size = 0;
			r->body_too_large = true;
			dispatch(r);
			return finish(r);
		}
		if (!r->body_too_large && r->body_len + n > REQ_BODY_LIMIT) {
			r->body_too_large = true;
			free(r->body);
			r->body = NULL;
			r->body_len = 0;
		}
		if (!r->body_too_large) {
			char *nb = realloc(r->body, r->body_len + n + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + r->body_len, upload_data, n);
			r->body = nb;
			r->body_len += n;
			r->body[r->body_len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	dispatch(r);
	return finish(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)conn, (void)toe;
	struct req *r = *con_cls;
	if (!r)
		return;
	req_clear(r);
	free(r);
	*con_cls = NULL;
	__atomic_fetch_sub(&inflight, 1, __ATOMIC_SEQ_CST);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "{\"level\":\"warn\",\"msg\":\"http\",\"detail\":");
	json_escape_into(&sb, msg);
	strbuf_puts(&sb, "}\n");
	fwrite(sb.data, 1, sb.len, stderr);
	strbuf_free(&sb);
}

struct server *server_start(struct app *app)
{
	const struct config *cfg = app->cfg;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV}, *ai = NULL;
	char port[8];
	snprintf(port, sizeof port, "%u", cfg->port);
	char host[256];
	snprintf(host, sizeof host, "%s", cfg->host);
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	int gai = getaddrinfo(host, port, &hints, &ai);
	if (gai != 0) {
		fprintf(stderr, "dataproducts: cannot resolve listen address %s: %s\n", cfg->listen,
			gai_strerror(gai));
		return NULL;
	}
	struct server *srv = calloc(1, sizeof *srv);
	if (!srv)
		abort();
	srv->app = app;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
		flags, (uint16_t)cfg->port, NULL, NULL, on_request, app,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, cfg->conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!srv->daemon) {
		fprintf(stderr, "dataproducts: cannot listen on %s (port in use or not permitted)\n",
			cfg->listen);
		free(srv);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : cfg->port;
	return srv;
}

unsigned server_port(const struct server *srv) { return srv->port; }

void server_stop(struct server *srv, int grace_ms)
{
	if (!srv)
		return;
	MHD_socket s = MHD_quiesce_daemon(srv->daemon);
	if (s != MHD_INVALID_SOCKET)
		close(s);
	/* Existing connections keep being served. Requests already sent on them
	 * may not have been parsed yet, so stop only once nothing has been in
	 * flight for a quiet period, or when the grace time is over. */
	int quiet = 0;
	for (int waited = 0; waited < grace_ms && quiet < 200; waited += 10) {
		quiet = __atomic_load_n(&inflight, __ATOMIC_SEQ_CST) == 0 ? quiet + 10 : 0;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
