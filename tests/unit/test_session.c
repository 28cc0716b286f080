/* test_session: the pure parts of src/http/session.c — finding the
 * dp_session cookie, origin normalisation and comparison (CSRF), the
 * Set-Cookie value, and the last_seen refresh interval. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "http/session.h"

#define TOK "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE" /* 43 base64url chars */
#define TOK2 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"

static void token_shape(void **state)
{
	(void)state;
	assert_int_equal(strlen(TOK), SESSION_TOKEN_LEN);
	assert_true(session_token_valid(TOK));
	assert_false(session_token_valid(NULL));
	assert_false(session_token_valid(""));
	assert_false(session_token_valid(TOK "A"));       /* too long */
	assert_false(session_token_valid("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd")); /* short */
	assert_false(session_token_valid("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdE")); /* not url-safe */
}

static void finds_the_cookie(void **state)
{
	(void)state;
	char out[SESSION_TOKEN_LEN + 1];
	assert_int_equal(session_cookie_find("dp_session=" TOK, out), 1);
	assert_string_equal(out, TOK);
	assert_int_equal(session_cookie_find("theme=dark; dp_session=" TOK "; lang=en", out), 1);
	assert_string_equal(out, TOK);
	assert_int_equal(session_cookie_find("a=1;dp_session = " TOK " ;b=2", out), 1);
	assert_string_equal(out, TOK);
	/* none */
	assert_int_equal(session_cookie_find(NULL, out), 0);
	assert_int_equal(session_cookie_find("", out), 0);
	assert_int_equal(session_cookie_find("theme=dark; xdp_session=" TOK, out), 0);
	assert_int_equal(session_cookie_find("dp_sessionx=" TOK "; DP_SESSION=" TOK, out), 0);
	assert_int_equal(session_cookie_find("dp_session", out), 0);
}

static void refuses_malformed_and_repeated_cookies(void **state)
{
	(void)state;
	char out[SESSION_TOKEN_LEN + 1];
	assert_int_equal(session_cookie_find("dp_session=", out), -1);
	assert_string_equal(out, "");
	assert_int_equal(session_cookie_find("dp_session=short", out), -1);
	assert_int_equal(session_cookie_find("dp_session=\"" TOK "\"", out), -1);
	assert_int_equal(session_cookie_find("dp_session=" TOK "x", out), -1);
	/* a second cookie of the same name (planted by a sibling host, another
	 * path): neither is used */
	assert_int_equal(session_cookie_find("dp_session=" TOK "; dp_session=" TOK2, out), -1);
	assert_string_equal(out, "");
	assert_int_equal(session_cookie_find("dp_session=" TOK "; dp_session=" TOK, out), -1);
}

static void normalises_origins(void **state)
{
	(void)state;
	char o[SESSION_ORIGIN_MAX];
	assert_true(session_origin_normalize(o, sizeof o, "HTTP://Example.COM:80", false));
	assert_string_equal(o, "http://example.com");
	assert_true(session_origin_normalize(o, sizeof o, "https://example.com:443", false));
	assert_string_equal(o, "https://example.com");
	assert_true(session_origin_normalize(o, sizeof o, "https://example.com:8443", false));
	assert_string_equal(o, "https://example.com:8443");
	assert_true(session_origin_normalize(o, sizeof o, "http://127.0.0.1:8080", false));
	assert_string_equal(o, "http://127.0.0.1:8080");
	assert_true(session_origin_normalize(o, sizeof o, "http://[::1]:8080", false));
	assert_string_equal(o, "http://[::1]:8080");
	/* a public URL may have a path; an Origin may not */
	assert_true(session_origin_normalize(o, sizeof o, "https://dp.example.com/base/", true));
	assert_string_equal(o, "https://dp.example.com");
	assert_false(session_origin_normalize(o, sizeof o, "https://dp.example.com/", false));
	/* malformed */
	const char *bad[] = {"null", "", "example.com", "ftp://example.com", "http://",
			     "http://user@example.com", "http://example.com:", "http://example.com:123456",
			     "http://example.com:99999", "http://[]:80", "http://[zz]", "http://exa mple.com",
			     "javascript://example.com"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(session_origin_normalize(o, sizeof o, bad[i], false));
	assert_false(session_origin_normalize(o, sizeof o, NULL, false));
	assert_false(session_origin_normalize(o, 8, "http://example.com", false)); /* truncated */
}

static void compares_origin_with_the_server(void **state)
{
	(void)state;
	/* no --public-url: http:// + Host */
	assert_true(session_origin_ok("http://127.0.0.1:8080", NULL, "127.0.0.1:8080"));
	assert_true(session_origin_ok("http://LOCALHOST:8080", NULL, "localhost:8080"));
	assert_true(session_origin_ok("http://dp.example.com", NULL, "dp.example.com:80"));
	assert_false(session_origin_ok("http://127.0.0.1:8081", NULL, "127.0.0.1:8080"));
	assert_false(session_origin_ok("https://127.0.0.1:8080", NULL, "127.0.0.1:8080"));
	assert_false(session_origin_ok("http://evil.example", NULL, "127.0.0.1:8080"));
	assert_false(session_origin_ok("http://127.0.0.1:8080.evil.example", NULL, "127.0.0.1:8080"));
	assert_false(session_origin_ok(NULL, NULL, "127.0.0.1:8080"));
	assert_false(session_origin_ok("null", NULL, "127.0.0.1:8080"));
	assert_false(session_origin_ok("http://127.0.0.1:8080", NULL, NULL));
	assert_false(session_origin_ok("http://a", NULL, "a/b"));
	/* --public-url decides, whatever Host says */
	assert_true(session_origin_ok("https://dp.example.com", "https://dp.example.com/", "10.0.0.5:8080"));
	assert_true(session_origin_ok("https://dp.example.com:443", "https://DP.example.com", "x"));
	assert_false(session_origin_ok("http://10.0.0.5:8080", "https://dp.example.com", "10.0.0.5:8080"));
	assert_false(session_origin_ok("http://dp.example.com", "https://dp.example.com", NULL));
}

static void unsafe_methods(void **state)
{
	(void)state;
	assert_false(session_method_unsafe("GET"));
	assert_false(session_method_unsafe("HEAD"));
	assert_false(session_method_unsafe("OPTIONS"));
	const char *unsafe[] = {"POST", "PUT", "PATCH", "DELETE", "get", "TRACE", "PROPFIND", NULL};
	for (int i = 0; unsafe[i]; i++)
		assert_true(session_method_unsafe(unsafe[i]));
	assert_true(session_method_unsafe(NULL));
}

static void cookie_attributes(void **state)
{
	(void)state;
	char *c = session_cookie_header(TOK, 604800, false);
	assert_string_equal(c, "dp_session=" TOK "; Path=/; Max-Age=604800; HttpOnly; SameSite=Strict");
	free(c);
	c = session_cookie_header(TOK, 60, true);
	assert_string_equal(c, "dp_session=" TOK "; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure");
	free(c);
	c = session_cookie_header(NULL, 60, false);
	assert_string_equal(c, "dp_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
	free(c);
	assert_true(session_secure("https://dp.example.com"));
	assert_true(session_secure("HTTPS://dp.example.com"));
	assert_false(session_secure("http://dp.example.com"));
	assert_false(session_secure(NULL));
}

static void refresh_interval(void **state)
{
	(void)state;
	assert_int_equal(session_touch_interval_ms(8 * 3600 * 1000LL), 60000); /* once a minute */
	assert_int_equal(session_touch_interval_ms(2000), 500);               /* tiny idle: a quarter */
	assert_int_equal(session_touch_interval_ms(1), 1);
	assert_int_equal(session_touch_interval_ms(0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_shape),
		cmocka_unit_test(finds_the_cookie),
		cmocka_unit_test(refuses_malformed_and_repeated_cookies),
		cmocka_unit_test(normalises_origins),
		cmocka_unit_test(compares_origin_with_the_server),
		cmocka_unit_test(unsafe_methods),
		cmocka_unit_test(cookie_attributes),
		cmocka_unit_test(refresh_interval),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
