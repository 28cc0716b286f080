/* Unit tests for src/http/router.c against a small local route table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http/router.h"

static void h_health(struct req *r) { (void)r; }
static void h_list(struct req *r) { (void)r; }
static void h_create(struct req *r) { (void)r; }
static void h_special(struct req *r) { (void)r; }
static void h_get(struct req *r) { (void)r; }
static void h_patch(struct req *r) { (void)r; }
static void h_delete(struct req *r) { (void)r; }
static void h_activate(struct req *r) { (void)r; }
static void h_sub(struct req *r) { (void)r; }
static void h_root(struct req *r) { (void)r; }
static void h_xy(struct req *r) { (void)r; }
static void h_xz(struct req *r) { (void)r; }

static const struct route routes[] = {
	{"GET", "/health", h_health, TIER_NONE, false},
	{"GET", "/api/items", h_list, TIER_1, true},
	{"POST", "/api/items", h_create, TIER_2, true},
	{"GET", "/api/items/special", h_special, TIER_1, true},
	{"GET", "/api/items/{id}", h_get, TIER_1, true},
	{"PATCH", "/api/items/{id}", h_patch, TIER_2, true},
	{"DELETE", "/api/items/{id}", h_delete, TIER_2, true},
	{"POST", "/api/items/{id}/actions/activate", h_activate, TIER_2, true},
	{"GET", "/api/items/{id}/sub/{sid}", h_sub, TIER_1, true},
	{"GET", "/", h_root, TIER_NONE, false},
	{"GET", "/x/{a}/y", h_xy, TIER_NONE, false},
	{"GET", "/x/{a}/z", h_xz, TIER_NONE, false},
	{NULL, NULL, NULL, TIER_NONE, false},
};

#define MAXP 4

struct result {
	enum route_match m;
	const struct route *route;
	char *params[MAXP];
	int n;
	char allow[128];
};

static struct result res;

static void clear(void)
{
	for (int i = 0; i < MAXP; i++)
		free(res.params[i]);
	memset(&res, 0, sizeof res);
}

static enum route_match match_max(const char *method, const char *path, int max)
{
	clear();
	res.n = -1;
	memset(res.allow, 'Z', sizeof res.allow);
	res.m = router_match(routes, method, path, &res.route, res.params, max, &res.n, res.allow,
			     sizeof res.allow);
	return res.m;
}

static enum route_match match(const char *method, const char *path)
{
	return match_max(method, path, MAXP);
}

/* Asserts that method m on path p finds the route whose handler is h. */
#define FOUND(m, p, h)                                                                     \
	(assert_int_equal(match(m, p), ROUTE_FOUND), assert_ptr_equal(res.route->handler, h))

/* Asserts that path p exists but not for method m, and that Allow lists a. */
#define NOT_ALLOWED(m, p, a)                                                               \
	(assert_int_equal(match(m, p), ROUTE_BAD_METHOD), assert_string_equal(res.allow, a))

/* Asserts that the last match left every parameter slot empty. */
static void assert_no_params(void)
{
	for (int i = 0; i < MAXP; i++)
		assert_null(res.params[i]);
}

static int teardown(void **state)
{
	(void)state;
	clear();
	return 0;
}

static void exact_match(void **state)
{
	(void)state;
	assert_int_equal(match("GET", "/health"), ROUTE_FOUND);
	assert_ptr_equal(res.route, &routes[0]);
	assert_ptr_equal(res.route->handler, h_health);
	assert_int_equal(res.n, 0);
}

static void root_path(void **state)
{
	(void)state;
	FOUND("GET", "/", h_root);
}

static void method_selects_route_on_same_path(void **state)
{
	(void)state;
	FOUND("GET", "/api/items", h_list);
	FOUND("POST", "/api/items", h_create);
	FOUND("DELETE", "/api/items/abc", h_delete);
}

static void param_capture(void **state)
{
	(void)state;
	FOUND("GET", "/api/items/0f8fad5b-d9cb-469f-a165-70867728950e", h_get);
	assert_int_equal(res.n, 1);
	assert_string_equal(res.params[0], "0f8fad5b-d9cb-469f-a165-70867728950e");
}

static void param_capture_is_raw_segment(void **state)
{
	(void)state;
	FOUND("PATCH", "/api/items/a%20b.c", h_patch);
	assert_string_equal(res.params[0], "a%20b.c");
}

static void two_params_in_order(void **state)
{
	(void)state;
	FOUND("GET", "/api/items/one/sub/two", h_sub);
	assert_int_equal(res.n, 2);
	assert_string_equal(res.params[0], "one");
	assert_string_equal(res.params[1], "two");
}

static void param_followed_by_literals(void **state)
{
	(void)state;
	FOUND("POST", "/api/items/p1/actions/activate", h_activate);
	assert_int_equal(res.n, 1);
	assert_string_equal(res.params[0], "p1");
}

static void earlier_literal_route_wins(void **state)
{
	(void)state;
	FOUND("GET", "/api/items/special", h_special);
	assert_int_equal(res.n, 0);
	assert_null(res.params[0]);
}

static void failed_partial_capture_does_not_leak_into_result(void **state)
{
	(void)state;
	/* /x/{a}/y captures "1" and then fails on the last segment */
	FOUND("GET", "/x/1/z", h_xz);
	assert_int_equal(res.n, 1);
	assert_string_equal(res.params[0], "1");
	assert_null(res.params[1]);
}

static void wrong_method_gives_405_with_allow(void **state)
{
	(void)state;
	NOT_ALLOWED("PUT", "/api/items/abc", "GET, PATCH, DELETE");
	NOT_ALLOWED("DELETE", "/api/items", "GET, POST");
	NOT_ALLOWED("POST", "/health", "GET");
	NOT_ALLOWED("GET", "/api/items/abc/actions/activate", "POST");
}

static void allow_lists_each_method_once(void **state)
{
	(void)state;
	/* both "/api/items/special" and "/api/items/{id}" answer GET */
	NOT_ALLOWED("POST", "/api/items/special", "GET, PATCH, DELETE");
}

static void bad_method_captures_nothing(void **state)
{
	(void)state;
	assert_int_equal(match("PUT", "/api/items/one/sub/two"), ROUTE_BAD_METHOD);
	assert_no_params();
}

static void allow_respects_capacity(void **state)
{
	(void)state;
	char small[8];
	memset(small, 'Z', sizeof small);
	const struct route *out = NULL;
	char *params[MAXP] = {0};
	int n = 0;
	assert_int_equal(router_match(routes, "PUT", "/api/items/abc", &out, params, MAXP, &n, small,
				      sizeof small),
			 ROUTE_BAD_METHOD);
	assert_true(memchr(small, '\0', sizeof small) != NULL);
	assert_int_equal(strncmp(small, "GET", 3), 0);
	assert_true(strlen(small) < sizeof small);
}

static void no_match(void **state)
{
	(void)state;
	assert_int_equal(match("GET", "/nope"), ROUTE_NO_PATH);
	assert_string_equal(res.allow, "");
	assert_int_equal(match("GET", "/api"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api/item"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api/itemsx"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api/items/abc/extra"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/healthz"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "health"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", ""), ROUTE_NO_PATH);
	assert_int_equal(match("PUT", "/nope"), ROUTE_NO_PATH);
}

static void literal_segments_are_case_sensitive(void **state)
{
	(void)state;
	assert_int_equal(match("GET", "/Health"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/API/items"), ROUTE_NO_PATH);
}

static void trailing_slash_does_not_match(void **state)
{
	(void)state;
	assert_int_equal(match("GET", "/health/"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api/items/"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api/items/abc/"), ROUTE_NO_PATH);
	assert_int_equal(match("POST", "/api/items/abc/actions/activate/"), ROUTE_NO_PATH);
	assert_no_params();
}

static void empty_segment_never_fills_a_param(void **state)
{
	(void)state;
	assert_int_equal(match("POST", "/api/items//actions/activate"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api/items/abc/sub/"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api/items//sub/x"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "//health"), ROUTE_NO_PATH);
	assert_int_equal(match("GET", "/api//items"), ROUTE_NO_PATH);
	assert_no_params();
}

static void too_many_params_is_no_match(void **state)
{
	(void)state;
	assert_int_equal(match_max("GET", "/api/items/one/sub/two", 1), ROUTE_NO_PATH);
	assert_no_params();
	assert_int_equal(match_max("GET", "/api/items/one", 0), ROUTE_NO_PATH);
	assert_null(res.params[0]);
	/* routes without captures still match with no room for params */
	assert_int_equal(match_max("GET", "/health", 0), ROUTE_FOUND);
	assert_int_equal(res.n, 0);
	/* exactly enough room */
	assert_int_equal(match_max("GET", "/api/items/one/sub/two", 2), ROUTE_FOUND);
	assert_int_equal(res.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(exact_match, teardown),
		cmocka_unit_test_teardown(root_path, teardown),
		cmocka_unit_test_teardown(method_selects_route_on_same_path, teardown),
		cmocka_unit_test_teardown(param_capture, teardown),
		cmocka_unit_test_teardown(param_capture_is_raw_segment, teardown),
		cmocka_unit_test_teardown(two_params_in_order, teardown),
		cmocka_unit_test_teardown(param_followed_by_literals, teardown),
		cmocka_unit_test_teardown(earlier_literal_route_wins, teardown),
		cmocka_unit_test_teardown(failed_partial_capture_does_not_leak_into_result, teardown),
		cmocka_unit_test_teardown(wrong_method_gives_405_with_allow, teardown),
		cmocka_unit_test_teardown(allow_lists_each_method_once, teardown),
		cmocka_unit_test_teardown(bad_method_captures_nothing, teardown),
		cmocka_unit_test_teardown(allow_respects_capacity, teardown),
		cmocka_unit_test_teardown(no_match, teardown),
		cmocka_unit_test_teardown(literal_segments_are_case_sensitive, teardown),
		cmocka_unit_test_teardown(trailing_slash_does_not_match, teardown),
		cmocka_unit_test_teardown(empty_segment_never_fills_a_param, teardown),
		cmocka_unit_test_teardown(too_many_params_is_no_match, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
