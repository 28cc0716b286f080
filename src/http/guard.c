/* guard: see guard.h. Everything here rejects; nothing normalises, so what
 * reaches a handler is exactly what every RFC 9112 parser would have seen. */
#include "http/guard.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool name_is(const struct guard_header *h, const char *name)
{
	size_t n = strlen(name);
	return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

/* Prints a header name for a detail: printable ASCII only, bounded. */
static void quote_name(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < cap && i < 64; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x21 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

bool guard_head_ok(const struct guard_head *g, char *detail, size_t cap)
{
	const struct guard_header *host = NULL, *cl = NULL, *te = NULL;
	char q[300];
	for (size_t i = 0; i < g->nh; i++) {
		const struct guard_header *h = &g->h[i];
		if (h->name_len == 0) {
			snprintf(detail, cap, "a header line has an empty field name");
			return false;
		}
		for (size_t k = 0; k < h->name_len; k++) {
			if (!tchar((unsigned char)h->name[k])) {
				quote_name(q, sizeof q, h->name, h->name_len);
				snprintf(detail, cap, "header field name '%s' is not an RFC 9110 token", q);
				return false;
			}
		}
		for (size_t k = 0; k < h->value_len; k++) {
			unsigned char c = (unsigned char)h->value[k];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				quote_name(q, sizeof q, h->name, h->name_len);
				snprintf(detail, cap, "header '%s' contains the control byte 0x%02x", q, c);
				return false;
			}
		}
		const struct guard_header **slot = name_is(h, "Host")		     ? &host
						   : name_is(h, "Content-Length")    ? &cl
						   : name_is(h, "Transfer-Encoding") ? &te
										     : NULL;
		if (slot) {
			if (*slot) {
				quote_name(q, sizeof q, h->name, h->name_len);
				snprintf(detail, cap, "header '%s' appears more than once", q);
				return false;
			}
			*slot = h;
		}
	}
	if (te && cl) {
		snprintf(detail, cap, "Content-Length and Transfer-Encoding must not be combined");
		return false;
	}
	if (te) {
		const char *v = te->value;
		size_t n = te->value_len;
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (!(n == 7 && strncasecmp(v, "chunked", 7) == 0)) {
			snprintf(detail, cap, "Transfer-Encoding '%.*s' is not supported; only 'chunked'",
				 (int)(n > 64 ? 64 : n), v);
			return false;
		}
	}
	if (cl) {
		size_t n = cl->value_len;
		while (n && (cl->value[n - 1] == ' ' || cl->value[n - 1] == '\t'))
			n--;
		bool ok = n > 0 && n <= 19;
		for (size_t k = 0; ok && k < n; k++)
			ok = cl->value[k] >= '0' && cl->value[k] <= '9';
		if (!ok) {
			snprintf(detail, cap, "Content-Length must be a decimal number of bytes");
			return false;
		}
	}
	if (!host && g->version && strcmp(g->version, "HTTP/1.0") != 0) {
		snprintf(detail, cap, "an HTTP/1.1 request needs a Host header");
		return false;
	}
	return true;
}

bool guard_target_ok(const char *raw, bool *too_many_args, char *detail, size_t cap)
{
	*too_many_args = false;
	if (!raw || !*raw) {
		snprintf(detail, cap, "the request target is empty");
		return false;
	}
	bool in_query = false;
	size_t args = 0;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p <= 0x20 || *p == 0x7f) {
			snprintf(detail, cap, "the request target contains the byte 0x%02x", *p);
			return false;
		}
		if (*p == '?' && !in_query) {
			in_query = true;
			args = 1;
			continue;
		}
		if (in_query) {
			if (*p == '&' && ++args > GUARD_MAX_QUERY_ARGS) {
				*too_many_args = true;
				snprintf(detail, cap, "more than %d query arguments", GUARD_MAX_QUERY_ARGS);
				return false;
			}
			continue;
		}
		if (*p == '%' && p[1] && p[2]) {
			if (p[1] == '0' && p[2] == '0') {
				snprintf(detail, cap, "the path contains an encoded NUL (%%00)");
				return false;
			}
			if (p[1] == '2' && (p[2] == 'F' || p[2] == 'f')) {
				snprintf(detail, cap, "the path contains an encoded '/' (%%2F)");
				return false;
			}
		}
	}
	return true;
}
