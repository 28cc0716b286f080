/* server: libmicrohttpd glue. A thread pool of epoll loops serves requests;
 * each request gets a struct req on its first callback, its body is
 * collected (1 MiB cap), then dispatch() routes, authenticates, applies the
 * per-key rate limit, checks path ids and Content-Type, calls the handler,
 * and one JSON log line and the metrics are written per response. Writes
 * are dispatched on write threads of their own, the connection suspended
 * meanwhile ("write threads" below). */
#include "http/server.h"
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "http/auth.h"
#include "http/guard.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/router.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/log.h"

struct server {
	struct MHD_Daemon *daemon;
	struct app *app;
	unsigned port;
	pthread_t watchdog;
	bool watchdog_running;
};

static int inflight; /* requests between first callback and completion */
static int draining; /* set once server_stop() begins: answers say Connection: close */

/* ------------------------------------------------------------ write threads */

/* Writes (POST, PUT, PATCH, DELETE) run on a pool of their own (issue 12,
 * docs/performance.md "Issue 12: the fan-out and write threads"): the HTTP thread suspends
 * the connection, queues the request and goes on serving its other
 * connections; a write thread runs the whole dispatch (authentication,
 * handler, the wait for the group COMMIT of store/tx.h), then resumes the
 * connection, whose HTTP thread sends the answer (finish). Without it a
 * write parks an HTTP thread until its COMMIT, so at --threads = CPUs at
 * most that many writes could share a COMMIT, and more HTTP threads than
 * CPUs stretch the read tail. FIFO: a write is never overtaken here. */
enum { OFFLOAD_NONE, OFFLOAD_QUEUED, OFFLOAD_DONE };

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct req *head, *tail;
	pthread_t *th;
	int n;     /* threads running */
	bool stop; /* no more requests taken; the queue is run to its end */
} wq = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *write_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wq.mu);
	for (;;) {
		while (!wq.head && !wq.stop)
			pthread_cond_wait(&wq.cv, &wq.mu);
		struct req *r = wq.head;
		if (!r)
			break;
		wq.head = r->offload_next;
		if (!wq.head)
			wq.tail = NULL;
		pthread_mutex_unlock(&wq.mu);
		struct MHD_Connection *conn = r->conn;
		server_dispatch(r);
		/* r belongs to the HTTP thread again from the resume on */
		__atomic_store_n(&r->offload, OFFLOAD_DONE, __ATOMIC_RELEASE);
		MHD_resume_connection(conn);
		pthread_mutex_lock(&wq.mu);
	}
	pthread_mutex_unlock(&wq.mu);
	return NULL;
}

static bool is_write(const char *method)
{
	return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH") ||
	       !strcmp(method, "DELETE");
}

/* Hands r to the write threads (its connection suspended); false: serve it
 * here (not a write, no write threads, or the server is stopping). */
static bool offload(struct req *r)
{
	if (!is_write(r->method))
		return false;
	pthread_mutex_lock(&wq.mu);
	bool ok = wq.n > 0 && !wq.stop;
	if (ok) {
		MHD_suspend_connection(r->conn);
		r->offload = OFFLOAD_QUEUED;
		r->offload_next = NULL;
		if (wq.tail)
			wq.tail->offload_next = r;
		else
			wq.head = r;
		wq.tail = r;
		pthread_cond_signal(&wq.cv);
	}
	pthread_mutex_unlock(&wq.mu);
	return ok;
}

static void write_threads_start(int n)
{
	wq.stop = false;
	wq.n = 0;
	wq.th = n > 0 ? calloc((size_t)n, sizeof *wq.th) : NULL;
	for (int i = 0; wq.th && i < n; i++) {
		if (pthread_create(&wq.th[wq.n], NULL, write_main, NULL) != 0)
			break;
		wq.n++;
	}
	if (n > 0 && wq.n < n)
		log_event(LOG_WARN, "fewer write threads than asked", LOG_INT("asked", n),
			  LOG_INT("started", wq.n));
}

/* Runs what is queued to its end (each connection resumed), then joins. */
static void write_threads_stop(void)
{
	pthread_mutex_lock(&wq.mu);
	wq.stop = true;
	pthread_cond_broadcast(&wq.cv);
	int n = wq.n;
	pthread_mutex_unlock(&wq.mu);
	for (int i = 0; i < n; i++)
		pthread_join(wq.th[i], NULL);
	pthread_mutex_lock(&wq.mu);
	wq.n = 0;
	pthread_mutex_unlock(&wq.mu);
	free(wq.th);
	wq.th = NULL;
}

/* Connection tracking for the request deadlines (issue 8, item 8). Every
 * connection is in one phase; the watchdog thread cuts those whose header
 * block or body is overdue, whatever the idle timeout says. */
enum conn_phase {
	PHASE_HEAD,   /* waiting for a request's header block */
	PHASE_BODY,   /* headers in, body still arriving */
	PHASE_SERVE   /* handler running or response being sent: no deadline */
};

struct conn_track {
	struct conn_track *prev, *next;
	int fd;
	enum conn_phase phase;
	int64_t deadline_ns;
	bool cut; /* the watchdog answered 408 and shut the socket */
	/* The request on_uri made and no on_completed has freed yet. The library
	 * reports completion only of requests whose head it finished, so a
	 * connection that dies mid-head leaves it to NOTIFY_CLOSED. Touched only
	 * by the connection's own thread. */
	struct req *uri_req;
};

static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t track_cv = PTHREAD_COND_INITIALIZER;
static struct conn_track *tracked;
static int nconns;
static bool watchdog_stop;
static int64_t header_ns, body_ns;

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
	int limited = ratelimit_take_shared(&v, app->ratelimit, app->store, (int)r->route->tier,
					    r->who.key_id, r->route->tier, clock_mono_ns() / 1000000);
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

void server_dispatch(struct req *r)
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
		/* {xxxId} parameters are GUIDs (SPEC §2); others (the web app's
		 * asset names, its page paths) are checked by their handler */
		char name[64];
		param_name(name, sizeof name, r->route->pattern, i);
		size_t nl = strlen(name);
		if (nl < 2 || strcmp(name + nl - 2, "Id"))
			continue;
		if (!ids_guid_valid(r->params[i])) {
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
	struct store *st = r->app->store;
	if (st && st->ops->in_transaction && st->ops->in_transaction(st)) {
		/* A handler bug, never input: what it did was not committed, so it
		 * must not be acknowledged, and the open transaction (a write lock,
		 * on SQLite) must not outlive the request. */
		st->ops->rollback(st);
		log_event(LOG_ERROR, "handler left a transaction open; rolled back",
			  LOG_STR("route", r->route->pattern), LOG_INT("status", r->status),
			  LOG_STR("traceId", r->trace_id));
		req_reset_reply(r);
		reply_error(r, ERR_INTERNAL, "the request's transaction was not completed");
	}
	if (!r->status)
		reply_error(r, ERR_INTERNAL, "handler produced no response");
}

static void log_request(struct req *r, int64_t ns)
{
	struct log_line l;
	log_begin(&l, r->status >= 500 ? LOG_ERROR : LOG_INFO, "request");
	char addr[INET6_ADDRSTRLEN] = "";
	const union MHD_ConnectionInfo *ci =
		r->conn ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
				  sizeof addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  addr, sizeof addr);
	}
	log_str(&l, "client", addr[0] ? addr : NULL);
	log_str(&l, "method", r->method);
	log_str(&l, "path", r->path ? r->path : "");
	log_str(&l, "route", r->route ? r->route->pattern : NULL);
	log_int(&l, "status", r->status);
	log_str(&l, "code", r->err_code);
	log_num(&l, "durationMs", (double)ns / 1e6, 3);
	log_str(&l, "traceId", r->trace_id);
	if (r->authed) {
		log_str(&l, "user", r->who.user_id);
		log_str(&l, "tenant", r->who.tenant_id);
		log_str(&l, "auth", r->via_session ? "session" : "apikey");
	} else {
		log_str(&l, "user", NULL);
	}
	log_end(&l);
}

static enum MHD_Result finish(struct req *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		r->resp_len, r->resp_body,
		r->resp_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	r->resp_body = NULL;
	r->resp_static = false;
	if (r->resp_ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_ctype);
	MHD_add_response_header(resp, "X-Trace-Id", r->trace_id);
	for (int i = 0; i < r->nhdrs; i++)
		MHD_add_response_header(resp, r->hdrs[i].name, r->hdrs[i].value);
	if (r->close || __atomic_load_n(&draining, __ATOMIC_SEQ_CST))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ok = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	int64_t ns = clock_mono_ns() - r->start_ns;
	metrics_observe(r->app->metrics, r->route, r->status, ns);
	if (r->status >= 500)
		metrics_count_db_error(r->app->metrics);
	log_request(r, ns);
	return ok;
}

/* ---------------------------------------------------------------- guard */

struct hdr_collect {
	struct guard_header *h;
	size_t n, cap;
	bool oom;
};

static enum MHD_Result collect_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				  size_t key_size, const char *value, size_t value_size)
{
	(void)kind;
	struct hdr_collect *c = cls;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		struct guard_header *nh = realloc(c->h, cap * sizeof *nh);
		if (!nh) {
			c->oom = true;
			return MHD_NO;
		}
		c->h = nh, c->cap = cap;
	}
	c->h[c->n++] = (struct guard_header){key ? key : "", key ? key_size : 0,
					     value ? value : "", value ? value_size : 0};
	return MHD_YES;
}

/* libmicrohttpd 0.9.75 parses the header block in place: it turns every
 * line ending into NULs and keeps pointers to each name and value. So the
 * bytes between one value's end and the next name must be exactly the two
 * NULs of a CRLF, and the block must end in four. One NUL there means a bare
 * LF; anything else means bytes the library dropped without telling us: a
 * NUL inside a value (it stores values with strlen), a folded line, or a line
 * with an empty name, which it takes as the end of the headers. Only reads
 * bytes between pointers of one buffer, and only short gaps. */
static bool layout_known; /* set by server_start(): the library is one whose layout we checked */

static const char *layout_problem(const struct hdr_collect *c, const char *method,
				  const char *version, size_t header_size)
{
	const char *prev = version + strlen(version);
	const char *end = method + header_size;
	if (!header_size || prev < method || prev > end)
		return "the request head could not be verified";
	for (size_t i = 0; i <= c->n; i++) {
		const char *next = i < c->n ? c->h[i].name : end;
		size_t want = i < c->n ? 2 : 4;
		if (next < prev || next > end || (size_t)(next - prev) > 4)
			return "a header line contains a NUL byte or is folded (obs-fold)";
		size_t gap = (size_t)(next - prev);
		for (size_t k = 0; k < gap; k++)
			if (prev[k] != '\0')
				return "a header line contains a NUL byte, is folded, or has an empty name";
		if (gap != want)
			return gap < want ? "a line ends in a bare LF instead of CRLF"
					  : "a header line contains a NUL byte or is folded (obs-fold)";
		if (i == c->n)
			break;
		const char *v = c->h[i].value;
		const char *ne = c->h[i].name + c->h[i].name_len;
		if (v < ne + 1 || v > end || ne[0] != '\0')
			return "a header line contains a NUL byte or is folded (obs-fold)";
		for (const char *p = ne + 1; p < v; p++)
			if (*p != ' ' && *p != '\t')
				return "a header name is followed by bytes the parser dropped";
		prev = v + c->h[i].value_len;
	}
	return NULL;
}

/* Returns false (detail filled) when the request's framing is ambiguous. */
static bool request_head_ok(struct req *r, const char *version, char *detail, size_t cap)
{
	bool many = false;
	if (r->raw_target && !guard_target_ok(r->raw_target, &many, detail, cap))
		return false;
	struct hdr_collect c = {0};
	MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, collect_cb, &c);
	bool ok = !c.oom;
	if (!ok)
		snprintf(detail, cap, "out of memory checking the request head");
	struct guard_head g = {version, c.h, c.n};
	if (ok)
		ok = guard_head_ok(&g, detail, cap);
	if (ok) {
		const union MHD_ConnectionInfo *hs =
			MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
		const char *why =
			layout_known ? layout_problem(&c, r->method, version, hs ? hs->header_size : 0)
				     : NULL;
		if (why) {
			snprintf(detail, cap, "%s", why);
			ok = false;
		}
	}
	free(c.h);
	return ok;
}

/* An error envelope written straight to a socket, for the two moments no
 * libmicrohttpd response can be queued: a request the library itself would
 * never answer, and a deadline. Best effort: a full buffer drops it. */
static void send_raw_error(int fd, struct app *app, enum err_id id, const char *detail)
{
	struct req tmp = {.app = app};
	ids_trace_new(tmp.trace_id);
	reply_error(&tmp, id, "%s", detail);
	const struct err_info *e = errors_get(id);
	char head[256];
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nX-Trace-Id: %s\r\n"
			  "Connection: close\r\nContent-Length: %zu\r\n\r\n",
			  e->status, e->status == 408 ? "Request Timeout" : "Bad Request",
			  tmp.trace_id, tmp.resp_len);
	struct iovec iov[2] = {{head, (size_t)hl}, {tmp.resp_body, tmp.resp_len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)n;
	log_event(LOG_WARN, "request refused", LOG_INT("status", e->status), LOG_STR("code", e->code),
		  LOG_STR("traceId", tmp.trace_id));
	req_clear(&tmp);
}

static int conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

static struct conn_track *track_of(struct MHD_Connection *conn);

/* Runs before libmicrohttpd decodes the target or splits its arguments;
 * what it returns becomes the request's context (*con_cls). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->app = cls;
	r->conn = conn;
	r->raw_target = strdup(uri ? uri : "");
	struct conn_track *t = track_of(conn);
	if (t)
		t->uri_req = r;
	bool many = false;
	char detail[160];
	if (r->raw_target && !guard_target_ok(r->raw_target, &many, detail, sizeof detail) && many) {
		/* The library would now fill its 64 KiB pool with the arguments
		 * and never answer (issue 8): answer here and end the connection. */
		int fd = conn_fd(conn);
		if (fd >= 0) {
			send_raw_error(fd, r->app, ERR_MALFORMED_REQUEST, detail);
			shutdown(fd, SHUT_RDWR);
		}
	}
	return r;
}

/* ------------------------------------------------------- connection phases */

static struct conn_track *track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Moves a connection to phase p; returns false when the watchdog already cut it. */
static bool set_phase(struct MHD_Connection *conn, enum conn_phase p, int64_t deadline)
{
	struct conn_track *t = track_of(conn);
	if (!t)
		return true;
	pthread_mutex_lock(&track_mu);
	bool alive = !t->cut;
	t->phase = p;
	t->deadline_ns = deadline;
	pthread_mutex_unlock(&track_mu);
	return alive;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_track *t = calloc(1, sizeof *t);
		if (!t)
			return;
		t->fd = conn_fd(conn);
		t->phase = PHASE_HEAD;
		t->deadline_ns = clock_mono_ns() + header_ns;
		pthread_mutex_lock(&track_mu);
		t->next = tracked;
		if (tracked)
			tracked->prev = t;
		tracked = t;
		nconns++;
		pthread_mutex_unlock(&track_mu);
		*socket_context = t;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn_track *t = *socket_context;
		if (!t)
			return;
		if (t->uri_req) { /* its head never completed: no on_completed came */
			req_clear(t->uri_req);
			free(t->uri_req);
			t->uri_req = NULL;
		}
		pthread_mutex_lock(&track_mu);
		if (t->prev)
			t->prev->next = t->next;
		else
			tracked = t->next;
		if (t->next)
			t->next->prev = t->prev;
		nconns--;
		pthread_cond_broadcast(&track_cv);
		pthread_mutex_unlock(&track_mu);
		free(t);
		*socket_context = NULL;
	}
}

/* Cuts connections whose header block or body is overdue with shutdown(),
 * which libmicrohttpd sees as the peer leaving (an overdue body first gets
 * a 408 envelope). */
static void *watchdog_main(void *arg)
{
	struct app *app = arg;
	pthread_mutex_lock(&track_mu);
	while (!watchdog_stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&track_cv, &track_mu, &ts);
		int64_t now = clock_mono_ns();
		for (struct conn_track *t = tracked; t; t = t->next) {
			if (t->cut || t->phase == PHASE_SERVE || now < t->deadline_ns || t->fd < 0)
				continue;
			t->cut = true;
			/* A head phase also covers keep-alive idleness, where a 408
			 * could cross a client's next request: close silently, as
			 * for an idle connection. A body is unambiguous: say why. */
			if (t->phase == PHASE_BODY)
				send_raw_error(t->fd, app, ERR_REQUEST_TIMEOUT,
					       "the request body did not arrive within the body timeout");
			shutdown(t->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&track_mu);
	return NULL;
}

/* ---------------------------------------------------------------- requests */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;
	if (r && __atomic_load_n(&r->offload, __ATOMIC_ACQUIRE) == OFFLOAD_DONE)
		return finish(r); /* resumed: a write thread has the answer ready */
	if (!r || !r->started) {
		if (!r && !(r = calloc(1, sizeof *r)))
			return MHD_NO;
		r->started = true;
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
		char detail[300];
		if (!request_head_ok(r, version, detail, sizeof detail)) {
			/* Ambiguous framing: no handler runs, the connection ends
			 * after this answer, so hidden bytes are never parsed. */
			set_phase(conn, PHASE_SERVE, 0);
			r->close = true;
			reply_error(r, ERR_MALFORMED_REQUEST, "%s", detail);
			return finish(r);
		}
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_TRANSFER_ENCODING);
		const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_EXPECT);
		unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
		bool has_body = te || declared > 0;
		if (!set_phase(conn, has_body ? PHASE_BODY : PHASE_SERVE,
			       clock_mono_ns() + body_ns))
			return MHD_NO;
		if (declared > REQ_BODY_LIMIT) {
			r->body_too_large = true;
			/* A client waiting for 100-continue, or one announcing more than
			 * we are willing to drain, gets its 413 before sending the body. */
			if (expect || declared > REQ_DRAIN_LIMIT) {
				set_phase(conn, PHASE_SERVE, 0);
				server_dispatch(r);
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
			set_phase(conn, PHASE_SERVE, 0);
			server_dispatch(r);
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
	if (!set_phase(conn, PHASE_SERVE, 0))
		return MHD_NO;
	if (offload(r))
		return MHD_YES;
	server_dispatch(r);
	return finish(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)toe;
	struct req *r = *con_cls;
	/* the connection waits for its next request's header block */
	set_phase(conn, PHASE_HEAD, clock_mono_ns() + header_ns);
	if (!r)
		return;
	struct conn_track *t = track_of(conn);
	if (t && t->uri_req == r)
		t->uri_req = NULL;
	if (r->started)
		__atomic_fetch_sub(&inflight, 1, __ATOMIC_SEQ_CST);
	req_clear(r);
	free(r);
	*con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_event(LOG_WARN, "http", LOG_STR("detail", msg));
}

struct server *server_start(struct app *app)
{
	/* The in-place layout check depends on how this libmicrohttpd lays out
	 * its read buffer; it is verified for 0.9.75 (Debian 12). Any other
	 * version runs without it and says so: docs/deployment.md. */
	const char *mhd = MHD_get_version();
	layout_known = mhd && !strcmp(mhd, "0.9.75");
	if (!layout_known)
		log_event(LOG_WARN, "libmicrohttpd is not the version the header layout check was"
				    " verified on (0.9.75); bare LF, NUL and folded header lines are left"
				    " to the proxy (docs/deployment.md)", LOG_STR("version", mhd ? mhd : "?"));
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
	header_ns = (int64_t)(cfg->header_timeout_s ? cfg->header_timeout_s : 10) * 1000000000LL;
	body_ns = (int64_t)(cfg->body_timeout_s ? cfg->body_timeout_s : 30) * 1000000000LL;
	__atomic_store_n(&draining, 0, __ATOMIC_SEQ_CST);
	watchdog_stop = false;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* STRICT_FOR_CLIENT 0: the Host and request-target checks are ours
	 * (guard.c), so they answer with the error envelope; at 1 the library
	 * sends its own HTML page for a missing Host, with the status line and
	 * headers twice (issue 8). */
	srv->daemon = MHD_start_daemon(
		flags, (uint16_t)cfg->port, NULL, NULL, on_request, app,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, cfg->conn_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)0,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, app,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!srv->daemon) {
		fprintf(stderr, "dataproducts: cannot listen on %s (port in use or not permitted)\n",
			cfg->listen);
		free(srv);
		return NULL;
	}
	if (pthread_create(&srv->watchdog, NULL, watchdog_main, app) == 0)
		srv->watchdog_running = true;
	write_threads_start(cfg->write_threads);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : cfg->port;
	return srv;
}

unsigned server_port(const struct server *srv) { return srv->port; }

void server_stop(struct server *srv, int grace_ms)
{
	if (!srv)
		return;
	/* From here every answer says Connection: close, so a busy keep-alive
	 * client ends its connection after its current request (issue 8,
	 * item 7) instead of holding the server until the hard cap. */
	__atomic_store_n(&draining, 1, __ATOMIC_SEQ_CST);
	MHD_socket s = MHD_quiesce_daemon(srv->daemon);
	if (s != MHD_INVALID_SOCKET)
		close(s);
	log_event(LOG_INFO, "draining");
	/* Stop when every connection is gone, or when nothing has been in
	 * flight for a quiet period (idle keep-alive connections that send
	 * nothing more; a request already sent may not be parsed yet, hence the
	 * wait), or at the hard cap. */
	int quiet = 0;
	for (int waited = 0; waited < grace_ms && quiet < 200; waited += 10) {
		pthread_mutex_lock(&track_mu);
		int open = nconns;
		pthread_mutex_unlock(&track_mu);
		if (open == 0 && __atomic_load_n(&inflight, __ATOMIC_SEQ_CST) == 0)
			break;
		quiet = __atomic_load_n(&inflight, __ATOMIC_SEQ_CST) == 0 ? quiet + 10 : 0;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* a suspended connection must be resumed before the daemon stops;
	 * writes arriving from here on run on the HTTP threads */
	write_threads_stop();
	MHD_stop_daemon(srv->daemon);
	if (srv->watchdog_running) {
		pthread_mutex_lock(&track_mu);
		watchdog_stop = true;
		pthread_cond_broadcast(&track_cv);
		pthread_mutex_unlock(&track_mu);
		pthread_join(srv->watchdog, NULL);
	}
	free(srv);
}
