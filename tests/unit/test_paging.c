/* Unit tests for src/domain/paging.c: page arithmetic and list links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "domain/paging.h"

#define BASE "http://127.0.0.1:8080"
#define PATH "/api/data-governance/data-products"

/* ---- paging_compute ----------------------------------------------------- */

static struct page_info pc(long page, long limit, long total)
{
	struct page_info i;
	memset(&i, 0x5a, sizeof i);
	paging_compute(&i, page, limit, total);
	return i;
}

static void compute_copies_inputs(void **state)
{
	(void)state;
	struct page_info i = pc(3, 7, 50);
	assert_int_equal(i.page, 3);
	assert_int_equal(i.limit, 7);
	assert_int_equal(i.total, 50);
}

static void zero_total_has_zero_pages(void **state)
{
	(void)state;
	assert_int_equal(pc(1, 20, 0).pages, 0);
	assert_int_equal(pc(1, 1, 0).pages, 0);
	assert_int_equal(pc(5, 100, 0).pages, 0);
}

static void exact_multiples(void **state)
{
	(void)state;
	assert_int_equal(pc(1, 20, 20).pages, 1);
	assert_int_equal(pc(1, 20, 40).pages, 2);
	assert_int_equal(pc(1, 1, 7).pages, 7);
	assert_int_equal(pc(1, 100, 1000).pages, 10);
}

static void remainders_round_up(void **state)
{
	(void)state;
	assert_int_equal(pc(1, 20, 1).pages, 1);
	assert_int_equal(pc(1, 20, 19).pages, 1);
	assert_int_equal(pc(1, 20, 21).pages, 2);
	assert_int_equal(pc(1, 20, 41).pages, 3);
	assert_int_equal(pc(1, 100, 101).pages, 2);
	assert_int_equal(pc(1, 3, 10).pages, 4);
}

static void offsets(void **state)
{
	(void)state;
	assert_int_equal(pc(1, 20, 100).offset, 0);
	assert_int_equal(pc(2, 20, 100).offset, 20);
	assert_int_equal(pc(5, 7, 100).offset, 28);
	assert_int_equal(pc(9, 20, 10).offset, 160); /* past the end: still arithmetic */
}

static void offset_at_max_page_and_limit(void **state)
{
	(void)state;
	struct page_info i = pc(PAGING_MAX_PAGE, PAGING_MAX_LIMIT, 5);
	assert_int_equal(i.offset, (PAGING_MAX_PAGE - 1) * PAGING_MAX_LIMIT);
	assert_int_equal(i.pages, 1);
}

/* ---- paging_links --------------------------------------------------------- */

static const char *href(const json_t *links, const char *rel)
{
	return json_string_value(json_object_get(json_object_get(links, rel), "href"));
}

static json_t *links_for(long page, long limit, long total, const char *query)
{
	struct page_info i;
	paging_compute(&i, page, limit, total);
	json_t *l = paging_links(BASE, PATH, query, &i);
	assert_non_null(l);
	return l;
}

static void first_page_of_many(void **state)
{
	(void)state;
	json_t *l = links_for(1, 10, 35, "");
	assert_string_equal(href(l, "self"), BASE PATH "?page=1");
	assert_string_equal(href(l, "first"), BASE PATH "?page=1");
	assert_string_equal(href(l, "last"), BASE PATH "?page=4");
	assert_null(json_object_get(l, "prev"));
	assert_string_equal(href(l, "next"), BASE PATH "?page=2");
	assert_int_equal(json_object_size(l), 4);
	json_decref(l);
}

static void middle_page(void **state)
{
	(void)state;
	json_t *l = links_for(2, 10, 35, "");
	assert_string_equal(href(l, "self"), BASE PATH "?page=2");
	assert_string_equal(href(l, "first"), BASE PATH "?page=1");
	assert_string_equal(href(l, "last"), BASE PATH "?page=4");
	assert_string_equal(href(l, "prev"), BASE PATH "?page=1");
	assert_string_equal(href(l, "next"), BASE PATH "?page=3");
	assert_int_equal(json_object_size(l), 5);
	json_decref(l);
}

static void last_page(void **state)
{
	(void)state;
	json_t *l = links_for(4, 10, 35, "");
	assert_string_equal(href(l, "self"), BASE PATH "?page=4");
	assert_string_equal(href(l, "last"), BASE PATH "?page=4");
	assert_string_equal(href(l, "prev"), BASE PATH "?page=3");
	assert_null(json_object_get(l, "next"));
	assert_int_equal(json_object_size(l), 4);
	json_decref(l);
}

static void single_page(void **state)
{
	(void)state;
	json_t *l = links_for(1, 20, 20, "");
	assert_string_equal(href(l, "first"), BASE PATH "?page=1");
	assert_string_equal(href(l, "last"), BASE PATH "?page=1");
	assert_null(json_object_get(l, "prev"));
	assert_null(json_object_get(l, "next"));
	json_decref(l);
}

static void past_the_end_page(void **state)
{
	(void)state;
	json_t *l = links_for(9, 10, 35, "");
	assert_string_equal(href(l, "self"), BASE PATH "?page=9");
	assert_string_equal(href(l, "last"), BASE PATH "?page=4");
	assert_null(json_object_get(l, "next"));
	/* prev leads back into the list, to its last page */
	assert_string_equal(href(l, "prev"), BASE PATH "?page=4");
	json_decref(l);
	/* one past the end: prev is simply page - 1 == last */
	l = links_for(5, 10, 35, "");
	assert_string_equal(href(l, "prev"), BASE PATH "?page=4");
	assert_null(json_object_get(l, "next"));
	json_decref(l);
}

static void empty_list_points_at_page_one(void **state)
{
	(void)state;
	json_t *l = links_for(1, 20, 0, "");
	assert_string_equal(href(l, "self"), BASE PATH "?page=1");
	assert_string_equal(href(l, "first"), BASE PATH "?page=1");
	assert_string_equal(href(l, "last"), BASE PATH "?page=1");
	assert_null(json_object_get(l, "prev"));
	assert_null(json_object_get(l, "next"));
	json_decref(l);
}

static void empty_list_past_the_end(void **state)
{
	(void)state;
	json_t *l = links_for(3, 20, 0, "");
	assert_string_equal(href(l, "self"), BASE PATH "?page=3");
	assert_string_equal(href(l, "last"), BASE PATH "?page=1");
	assert_string_equal(href(l, "prev"), BASE PATH "?page=1");
	assert_null(json_object_get(l, "next"));
	json_decref(l);
}

static void query_string_is_kept_on_every_link(void **state)
{
	(void)state;
	const char *q = "limit=10&sort=-name&tag=a&tag=b&query=x%20y&";
	json_t *l = links_for(2, 10, 35, q);
	static const char *const rels[] = {"self", "first", "last", "prev", "next"};
	static const char *const pages[] = {"2", "1", "4", "1", "3"};
	for (int i = 0; i < 5; i++) {
		char want[256];
		snprintf(want, sizeof want, BASE PATH "?%spage=%s", q, pages[i]);
		assert_string_equal(href(l, rels[i]), want);
	}
	json_decref(l);
}

static void links_are_objects_with_only_href(void **state)
{
	(void)state;
	json_t *l = links_for(2, 10, 35, "");
	const char *k;
	json_t *v;
	json_object_foreach(l, k, v) {
		assert_true(json_is_object(v));
		assert_int_equal(json_object_size(v), 1);
		assert_true(json_is_string(json_object_get(v, "href")));
	}
	json_decref(l);
}

/* ---- paging_envelope ------------------------------------------------------ */

static void envelope_wraps_data_and_counts(void **state)
{
	(void)state;
	struct page_info i;
	paging_compute(&i, 2, 10, 35);
	json_t *data = json_pack("[{s:i}]", "n", 1);
	json_t *links = paging_links(BASE, PATH, "", &i);
	json_t *env = paging_envelope(data, links, &i); /* steals both */
	assert_non_null(env);
	assert_ptr_equal(json_object_get(env, "data"), data);
	assert_ptr_equal(json_object_get(env, "links"), links);
	assert_int_equal(json_integer_value(json_object_get(env, "page")), 2);
	assert_int_equal(json_integer_value(json_object_get(env, "limit")), 10);
	assert_int_equal(json_integer_value(json_object_get(env, "pages")), 4);
	assert_int_equal(json_integer_value(json_object_get(env, "total")), 35);
	assert_int_equal(json_object_size(env), 6);
	json_decref(env);
}

static void envelope_of_empty_list(void **state)
{
	(void)state;
	struct page_info i;
	paging_compute(&i, 1, 20, 0);
	json_t *env = paging_envelope(json_array(), paging_links(BASE, PATH, "", &i), &i);
	assert_int_equal(json_array_size(json_object_get(env, "data")), 0);
	assert_true(json_is_array(json_object_get(env, "data")));
	assert_int_equal(json_integer_value(json_object_get(env, "pages")), 0);
	assert_int_equal(json_integer_value(json_object_get(env, "total")), 0);
	json_decref(env);
}

/* ---- bounded totals (issue 9: totalRelation) ----------------------------- */

static json_t *capped_links(long page, long limit, long counted, bool more, struct page_info *i)
{
	paging_compute_capped(i, page, limit, counted, PAGING_TOTAL_CAP);
	i->more = more;
	return paging_links(BASE, PATH, "", i);
}

static void capped_exact_up_to_the_cap(void **state)
{
	(void)state;
	struct page_info i;
	json_t *l = capped_links(1, 20, 10000, false, &i);
	assert_false(i.total_gte);
	assert_int_equal(i.total, 10000);
	assert_int_equal(i.pages, 500);
	assert_string_equal(href(l, "last"), BASE PATH "?page=500");
	json_decref(l);
	l = capped_links(1, 20, 0, false, &i);
	assert_false(i.total_gte);
	assert_int_equal(i.pages, 0);
	json_decref(l);
}

static void capped_above_the_cap_is_gte(void **state)
{
	(void)state;
	struct page_info i;
	json_t *l = capped_links(2, 30, 10001, false, &i);
	assert_true(i.total_gte);
	assert_int_equal(i.total, 10000);
	assert_int_equal(i.pages, 334); /* ceil(10000/30) */
	assert_null(json_object_get(l, "last"));
	assert_string_equal(href(l, "first"), BASE PATH "?page=1");
	assert_string_equal(href(l, "prev"), BASE PATH "?page=1");
	assert_string_equal(href(l, "next"), BASE PATH "?page=3");
	json_decref(l);
}

static void capped_next_past_the_cap_follows_more(void **state)
{
	(void)state;
	struct page_info i;
	json_t *l = capped_links(500, 20, 10001, true, &i);
	assert_string_equal(href(l, "next"), BASE PATH "?page=501");
	assert_string_equal(href(l, "prev"), BASE PATH "?page=499");
	json_decref(l);
	l = capped_links(700, 20, 10001, false, &i);
	assert_null(json_object_get(l, "next"));
	assert_string_equal(href(l, "prev"), BASE PATH "?page=699"); /* no last to fall back on */
	json_decref(l);
}

static void capped_envelope_names_the_relation(void **state)
{
	(void)state;
	struct page_info i;
	paging_compute_capped(&i, 1, 20, 10001, PAGING_TOTAL_CAP);
	json_t *env = paging_envelope_capped(json_array(), json_object(), &i);
	assert_string_equal(json_string_value(json_object_get(env, "totalRelation")), "gte");
	json_decref(env);
	paging_compute_capped(&i, 1, 20, 3, PAGING_TOTAL_CAP);
	env = paging_envelope_capped(json_array(), json_object(), &i);
	assert_string_equal(json_string_value(json_object_get(env, "totalRelation")), "eq");
	assert_int_equal(json_integer_value(json_object_get(env, "total")), 3);
	json_decref(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compute_copies_inputs),
		cmocka_unit_test(zero_total_has_zero_pages),
		cmocka_unit_test(exact_multiples),
		cmocka_unit_test(remainders_round_up),
		cmocka_unit_test(offsets),
		cmocka_unit_test(offset_at_max_page_and_limit),
		cmocka_unit_test(first_page_of_many),
		cmocka_unit_test(middle_page),
		cmocka_unit_test(last_page),
		cmocka_unit_test(single_page),
		cmocka_unit_test(past_the_end_page),
		cmocka_unit_test(empty_list_points_at_page_one),
		cmocka_unit_test(empty_list_past_the_end),
		cmocka_unit_test(query_string_is_kept_on_every_link),
		cmocka_unit_test(links_are_objects_with_only_href),
		cmocka_unit_test(envelope_wraps_data_and_counts),
		cmocka_unit_test(envelope_of_empty_list),
		cmocka_unit_test(capped_exact_up_to_the_cap),
		cmocka_unit_test(capped_above_the_cap_is_gte),
		cmocka_unit_test(capped_next_past_the_cap_follows_more),
		cmocka_unit_test(capped_envelope_names_the_relation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
