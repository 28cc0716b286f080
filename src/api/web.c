/* web: serves the web app (SPEC §6) from the assets scripts/embed-web.sh
 * linked into the binary. Pages (/, /sign-in, /my, /products/...) all answer
 * index.html, revalidated on every load (it names the current build); the
 * app's scripts, styles and images live under /assets/<build>/<file> and are
 * cached for a year (the build id changes with any byte). Each file is sent
 * in the best precompressed form the client accepts (brotli, gzip, none):
 * nothing is compressed per request. Every answer carries the app's
 * security headers: a strict Content-Security-Policy (no inline script or
 * style), nosniff, same-origin referrers, no framing. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include "api/api.h"

/* The table scripts/embed-web.sh generates (build/gen/web_assets.S). */
struct web_asset {
	const char *name, *ctype, *etag;
	const unsigned char *raw;
	size_t raw_len;
	const unsigned char *gz;
	size_t gz_len;
	const unsigned char *br;
	size_t br_len;
};
extern const struct web_asset web_assets[]; /* ends with a NULL name */
extern const char *const web_build;

#define WEB_CSP                                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "        \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "             \
	"form-action 'self'; frame-ancestors 'none'"

const char *web_build_id(void) { return web_build; }

void web_security_headers(struct req *r)
{
	reply_header(r, "Content-Security-Policy", "%s", WEB_CSP);
	reply_header(r, "X-Content-Type-Options", "nosniff");
	reply_header(r, "Referrer-Policy", "same-origin");
	reply_header(r, "X-Frame-Options", "DENY");
}

static const struct web_asset *find(const char *name)
{
	for (const struct web_asset *a = web_assets; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

/* True when the Accept-Encoding list names coding with a q other than 0. */
static bool accepts(const char *list, const char *coding)
{
	size_t cl = strlen(coding);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		size_t tl = strcspn(p, " \t;,");
		if (tl == cl && !strncasecmp(p, coding, cl)) {
			const char *q = memchr(p, ';', n);
			if (!q)
				return true;
			q = strstr(q, "q=");
			if (!q || q >= p + n)
				return true;
			q += 2;
			/* q=0, q=0.0, q=0.000 refuse it */
			bool zero = *q == '0';
			for (q++; zero && q < p + n && *q != ' ' && *q != ';'; q++)
				if (*q != '.' && *q != '0')
					zero = false;
			return !zero;
		}
		p += n;
	}
	return false;
}

static void send_asset(struct req *r, const struct web_asset *a, const char *cache)
{
	web_security_headers(r);
	reply_header(r, "Cache-Control", "%s", cache);
	reply_header(r, "Vary", "Accept-Encoding");
	reply_header(r, "ETag", "%s", a->etag);
	const char *inm = req_header(r, "If-None-Match");
	if (inm && strstr(inm, a->etag)) {
		reply_static(r, 304, NULL, "", 0);
		return;
	}
	const char *ae = req_header(r, "Accept-Encoding");
	if (a->br && accepts(ae, "br")) {
		reply_header(r, "Content-Encoding", "br");
		reply_static(r, 200, a->ctype, a->br, a->br_len);
	} else if (a->gz && accepts(ae, "gzip")) {
		reply_header(r, "Content-Encoding", "gzip");
		reply_static(r, 200, a->ctype, a->gz, a->gz_len);
	} else {
		reply_static(r, 200, a->ctype, a->raw, a->raw_len);
	}
}

static void not_found(struct req *r, const char *what)
{
	web_security_headers(r);
	reply_error(r, ERR_NOT_FOUND, "no web app asset '%s'", what);
}

/* GET /assets/{build}/{file}: one file of this build of the app. A build id
 * other than the running one is 404: its bytes are not here any more, and
 * serving today's under yesterday's immutable name would poison caches. */
void web_asset(struct req *r)
{
	const char *build = req_param(r, 0), *file = req_param(r, 1);
	const struct web_asset *a = NULL;
	if (!strcmp(build, web_build) && strcmp(file, "index.html"))
		a = find(file);
	if (!a) {
		not_found(r, file);
		return;
	}
	send_asset(r, a, "public, max-age=31536000, immutable");
}

/* The app's pages: every one is index.html; the app routes on the path. */
void web_page(struct req *r)
{
	const struct web_asset *a = find("index.html");
	if (!a) {
		not_found(r, "index.html");
		return;
	}
	send_asset(r, a, "no-cache");
}
