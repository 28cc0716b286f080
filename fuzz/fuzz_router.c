/* fuzz_router: request targets as they reach the router. libmicrohttpd
 * percent-decodes the path (MHD_http_unescape) before the access handler
 * sees it; src/http/server.c then matches it against the real routing table
 * (src/api/routes.c, router_match), checks captured ids (ids_guid_valid) and
 * puts the path into error details through utf8_sanitize.
 *
 * Input: "METHOD PATH" (the first space splits; no space = GET). Oracles:
 * a route is found only for its own method; captured params are non-empty,
 * contain no '/', and there are as many as the pattern has "{...}" segments;
 * the Allow list fits its buffer; utf8_sanitize is idempotent and bounded. */
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "http/router.h"
#include "util/ids.h"
#include "util/utf8.h"

static int captures(const char *pattern)
{
	int n = 0;
	for (const char *p = pattern; (p = strchr(p, '{')); p++)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *in = malloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	if (strlen(in) != size) { /* MHD never hands over a NUL inside the URL */
		free(in);
		return 0;
	}
	char *sp = strchr(in, ' ');
	const char *method = "GET";
	char *path = in;
	if (sp) {
		*sp = '\0';
		method = in;
		path = sp + 1;
	}
	size_t dlen = MHD_http_unescape(path);
	if (dlen != strlen(path))
		path[dlen] = '\0';

	const struct route *rt = NULL;
	char *params[REQ_MAX_PARAMS] = {0};
	int nparams = -1;
	char allow[64]; /* as in server.c dispatch() */
	enum route_match m = router_match(api_routes, method, path, &rt, params, REQ_MAX_PARAMS,
					  &nparams, allow, sizeof allow);
	if (strlen(allow) >= sizeof allow)
		abort();
	if (m == ROUTE_FOUND) {
		if (!rt || strcmp(rt->method, method) != 0 || nparams != captures(rt->pattern))
			abort();
		for (int i = 0; i < nparams; i++) {
			if (!params[i] || !*params[i] || strchr(params[i], '/'))
				abort();
			(void)ids_guid_valid(params[i]);
			free(params[i]);
		}
	} else if (m == ROUTE_BAD_METHOD) {
		if (!allow[0])
			abort();
	}

	/* error details carry the decoded path, sanitised to UTF-8 */
	static const size_t caps[] = {1, 2, 5, 64, 8192};
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		char *a = malloc(caps[i]), *b = malloc(caps[i]);
		size_t n = utf8_sanitize(a, caps[i], path);
		if (n >= caps[i] || strlen(a) != n)
			abort();
		if (utf8_sanitize(b, caps[i], a) != n || memcmp(a, b, n + 1) != 0)
			abort(); /* sanitised text is well-formed: unchanged the second time */
		free(a);
		free(b);
	}
	free(in);
	return 0;
}
