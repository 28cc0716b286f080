/* Shared helpers for the cmocka unit tests in tests/unit (header-only: each
 * test program is one translation unit, so everything here is static). */
#ifndef TESTS_UNIT_SUPPORT_H
#define TESTS_UNIT_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Detail buffer the validators under test fill; ACCEPTS/REJECTS print and search it. */
static char test_err[1024] __attribute__((unused));

/* Parses JSON written with ' for " (any value, duplicate keys rejected); fails the test on bad JSON. */
static inline json_t *tj(const char *single_quoted_json)
{
	char *t = strdup(single_quoted_json);
	assert_non_null(t);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t je;
	json_t *j = json_loads(t, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", t, je.text);
	free(t);
	return j;
}

/* Runs check(tj(text), test_err, sizeof test_err) with test_err cleared first; returns its result. */
static inline int tj_check(const char *text, int (*check)(const json_t *, char *, size_t))
{
	json_t *j = tj(text);
	test_err[0] = '\0';
	int rc = check(j, test_err, sizeof test_err);
	json_decref(j);
	return rc;
}

/* Asserts that the validator int fn(const char *text) returns 0 for text. */
#define ACCEPTS(fn, text)                                                                  \
	do {                                                                                \
		if ((fn)(text) != 0)                                                        \
			fail_msg("rejected %s: %s", text, test_err);                        \
	} while (0)

/* Asserts that fn(text) returns -1 and leaves a test_err that contains needle. */
#define REJECTS(fn, text, needle)                                                          \
	do {                                                                                \
		if ((fn)(text) != -1)                                                       \
			fail_msg("accepted %s", text);                                      \
		if (!strstr(test_err, needle))                                              \
			fail_msg("detail '%s' for %s lacks '%s'", test_err, text, needle);  \
	} while (0)

/* Asserts that the JSON value got equals the JSON text want (' for "), printing both if not. */
static inline void assert_json(const json_t *got, const char *want)
{
	json_t *w = tj(want);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *ws = json_dumps(w, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		print_error("got:  %s\nwant: %s\n", g ? g : "(null)", ws);
		free(g);
		free(ws);
		json_decref(w);
		fail();
	}
	json_decref(w);
}

/* Counts the non-overlapping occurrences of needle in hay. */
static inline int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Drops one reference from each of n values in v (NULL entries are fine). */
static inline void decref_n(size_t n, json_t *const *v)
{
	for (size_t i = 0; i < n; i++)
		json_decref(v[i]);
}

/* Drops one reference from each json_t * argument, left to right: DECREF(out, changes, doc). */
#define DECREF(...)                                                                        \
	decref_n(sizeof((json_t *[]){__VA_ARGS__}) / sizeof(json_t *), (json_t *[]){__VA_ARGS__})

#endif
