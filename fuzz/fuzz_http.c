/* fuzz_http: the whole HTTP request path without a socket. The input is
 * one raw HTTP/1.1 request (request line, header lines, body); it is split
 * the way libmicrohttpd 0.9.75 does it, checked by the same guard
 * (src/http/guard.c) the server runs before routing, and when accepted
 * dispatched through routing, authentication, rate limits and the handler
 * (server_dispatch) against a real SQLite database. The literal key
 * "Bearer KEY" is swapped for a valid API key so handlers are reached.
 *
 * Invariants (abort on violation): every request gets a status; every
 * 4xx/5xx body is the SPEC §2 envelope with status == the HTTP status.
 *
 * Build (what `make fuzz` does):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c17 -D_GNU_SOURCE -Isrc \
 *     $(pkg-config --cflags libmicrohttpd jansson sqlite3 libcmark-gfm) \
 *     fuzz/fuzz_http.c <every src .c file but src/main.c> <src/api/openapi_blob.S assembled> \
 *     $(pkg-config --libs libmicrohttpd jansson sqlite3 libcmark-gfm libcrypto) \
 *     -lcmark-gfm-extensions -lpthread -lm -o build/fuzz/fuzz_http
 *   build/fuzz/fuzz_http -dict=fuzz/http.dict fuzz/corpus/http
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "api/api.h"
#include "bootstrap.h"
#include "config.h"
#include "http/guard.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/request.h"
#include "http/server.h"
#include "util/clock.h"

#define MAX_HDRS 64
#define MAX_ARGS GUARD_MAX_QUERY_ARGS

static struct app app;
static struct config cfg;
static char api_key[128];

static void setup(void)
{
	static char db[256];
	const char *dir = getenv("FUZZ_TMPDIR");
	if (!dir)
		dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(db, sizeof db, "sqlite:%s/fuzz_http_%d.db", dir, (int)getpid());
	char err[256];
	struct store *st;
	if (store_open(&st, db, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	json_t *out = NULL;
	if (bootstrap_tenant(&out, st, "fuzz", "fuzz@example.com", err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	snprintf(api_key, sizeof api_key, "Bearer %s", json_string_value(json_object_get(out, "apiKey")));
	json_decref(out);
	cfg.listen = "127.0.0.1:8080";
	snprintf(cfg.host, sizeof cfg.host, "127.0.0.1");
	cfg.port = 8080;
	cfg.data_root = "/nonexistent-fuzz-data-root";
	app = (struct app){.cfg = &cfg, .store = st, .routes = api_routes, .nroutes = api_nroutes};
	app.metrics = metrics_new(api_routes, api_nroutes);
	app.ratelimit = ratelimit_new(0, 0);
}

/* Percent-decoding as libmicrohttpd's default unescaper does it. */
static void unescape(char *s)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		int hi, lo;
		if (*p == '%' && p[1] && p[2] && sscanf((char[3]){p[1], p[2], 0}, "%1x%1x", &hi, &lo) == 2) {
			*w++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

static const char *line_end(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static void check_envelope(const struct req *r)
{
	if (r->status == 0)
		abort();
	if (r->status < 400)
		return;
	json_error_t e;
	json_t *j = json_loadb(r->resp_body ? r->resp_body : "", r->resp_len, 0, &e);
	json_t *err = json_array_get(json_object_get(j, "errors"), 0);
	const char *st = json_string_value(json_object_get(err, "status"));
	char want[8];
	snprintf(want, sizeof want, "%u", r->status);
	if (!j || !err || !st || strcmp(st, want) != 0 ||
	    !json_is_string(json_object_get(j, "traceId")) ||
	    !json_is_string(json_object_get(err, "code")) ||
	    !json_is_string(json_object_get(err, "detail")))
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!app.store)
		setup();
	if (size > 1 << 16)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *end = buf + size;

	/* request line: METHOD SP TARGET SP VERSION CRLF */
	char *rl_end = (char *)line_end(buf, end);
	if (!rl_end)
		goto out;
	*rl_end = '\0';
	char *sp1 = memchr(buf, ' ', (size_t)(rl_end - buf));
	char *sp2 = sp1 ? strrchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || sp1 == buf)
		goto out;
	*sp1 = *sp2 = '\0';
	char *method = buf, *target = sp1 + 1, *version = sp2 + 1;
	if (strlen(method) != (size_t)(sp1 - buf))
		goto out; /* NUL in the method: not what the library would pass */

	/* header lines up to the empty line */
	struct guard_header gh[MAX_HDRS];
	struct req_kv kv[MAX_HDRS];
	size_t nh = 0;
	char *p = rl_end + 2;
	for (;;) {
		char *le = (char *)line_end(p, end);
		if (!le || nh == MAX_HDRS)
			goto out;
		if (le == p) {
			p += 2;
			break;
		}
		*le = '\0';
		char *colon = memchr(p, ':', (size_t)(le - p));
		if (!colon)
			goto out; /* the library answers that itself */
		*colon = '\0';
		char *v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		gh[nh] = (struct guard_header){p, (size_t)(colon - p), v, (size_t)(le - v)};
		kv[nh] = (struct req_kv){p, v};
		if (strcmp(v, "Bearer KEY") == 0)
			kv[nh].value = api_key;
		nh++;
		p = le + 2;
	}
	bool many;
	char detail[300];
	struct guard_head g = {version, gh, nh};
	if (!guard_target_ok(target, &many, detail, sizeof detail) ||
	    !guard_head_ok(&g, detail, sizeof detail))
		goto out; /* refused before routing, as the server does */

	/* query arguments, then the path decoded */
	struct req_kv args[MAX_ARGS + 1];
	int nargs = 0;
	char *q = strchr(target, '?');
	if (q) {
		*q++ = '\0';
		for (char *a = q; a && *a && nargs <= MAX_ARGS;) {
			char *amp = strchr(a, '&');
			if (amp)
				*amp = '\0';
			char *eq = strchr(a, '=');
			if (eq)
				*eq = '\0';
			for (char *c = a; *c; c++)
				if (*c == '+')
					*c = ' ';
			unescape(a);
			if (eq) {
				for (char *c = eq + 1; *c; c++)
					if (*c == '+')
						*c = ' ';
				unescape(eq + 1);
			}
			args[nargs++] = (struct req_kv){a, eq ? eq + 1 : NULL};
			a = amp ? amp + 1 : NULL;
		}
	}
	unescape(target);

	struct req r = {0};
	r.app = &app;
	r.method = method;
	r.path = target;
	r.syn_headers = kv;
	r.syn_nheaders = (int)nh;
	r.syn_query = args;
	r.syn_nquery = nargs;
	r.start_ns = clock_mono_ns();
	snprintf(r.trace_id, sizeof r.trace_id, "fuzz");
	size_t blen = (size_t)(end - p);
	if (blen > REQ_BODY_LIMIT) {
		r.body_too_large = true;
	} else if (blen) {
		r.body = malloc(blen + 1);
		if (!r.body)
			goto out;
		memcpy(r.body, p, blen);
		r.body[blen] = '\0';
		r.body_len = r.body_seen = blen;
	}
	server_dispatch(&r);
	check_envelope(&r);
	req_clear(&r);
out:
	free(buf);
	return 0;
}
