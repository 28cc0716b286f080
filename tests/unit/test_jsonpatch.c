/* Unit tests for src/domain/jsonpatch.c: RFC 6902 JSON Patch (every example
 * of its Appendix A) and RFC 6901 JSON Pointer (every example of its §5),
 * plus pointer edge cases, patch shape checks and atomicity. */
#include "support.h"

#include "domain/jsonpatch.h"

/* Parses raw JSON (real double quotes; for texts that need ' or "). */
static json_t *jl(const char *raw)
{
	json_error_t je;
	json_t *j = json_loads(raw, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", raw, je.text);
	return j;
}

/* Applies patch (' for ") to doc (' for ") with max 100 ops; asserts success
 * and that the result equals want; also that doc was left as it was. */
static void patch_ok(const char *doc, const char *patch, const char *want)
{
	json_t *d = tj(doc), *ops = tj(patch), *orig = json_deep_copy(d);
	test_err[0] = '\0';
	json_t *out = jsonpatch_apply(d, ops, 100, test_err, sizeof test_err);
	if (!out)
		fail_msg("patch %s on %s failed: %s", patch, doc, test_err);
	assert_json(out, want);
	assert_true(json_equal(d, orig));
	DECREF(d, ops, orig, out);
}

/* Applies patch to doc; asserts failure with a detail containing each of
 * the needles (NULL-terminated) and that doc did not change. */
static void patch_fails_v(const char *doc, const char *patch, const char *const *needles)
{
	json_t *d = tj(doc), *ops = tj(patch), *orig = json_deep_copy(d);
	test_err[0] = '\0';
	json_t *out = jsonpatch_apply(d, ops, 100, test_err, sizeof test_err);
	if (out) {
		char *t = json_dumps(out, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		print_error("unexpected result %s\n", t);
		free(t);
		fail_msg("patch %s on %s succeeded", patch, doc);
	}
	for (const char *const *n = needles; *n; n++)
		if (!strstr(test_err, *n))
			fail_msg("detail '%s' lacks '%s'", test_err, *n);
	assert_true(json_equal(d, orig));
	DECREF(d, ops, orig);
}
#define PATCH_FAILS(doc, patch, ...) patch_fails_v(doc, patch, (const char *const[]){__VA_ARGS__, NULL})

/* jsonpatch_check on patch (' for ") with max ops. */
static int check_max(const char *patch, size_t max)
{
	json_t *ops = tj(patch);
	test_err[0] = '\0';
	int rc = jsonpatch_check(ops, max, test_err, sizeof test_err);
	json_decref(ops);
	return rc;
}
static int check100(const char *patch) { return check_max(patch, 100); }

/* ---- RFC 6902 Appendix A ------------------------------------------------ */

static void a01_add_object_member(void **state)
{
	(void)state;
	patch_ok("{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]",
		 "{'baz':'qux','foo':'bar'}");
}

static void a02_add_array_element(void **state)
{
	(void)state;
	patch_ok("{'foo':['bar','baz']}", "[{'op':'add','path':'/foo/1','value':'qux'}]",
		 "{'foo':['bar','qux','baz']}");
}

static void a03_remove_object_member(void **state)
{
	(void)state;
	patch_ok("{'baz':'qux','foo':'bar'}", "[{'op':'remove','path':'/baz'}]", "{'foo':'bar'}");
}

static void a04_remove_array_element(void **state)
{
	(void)state;
	patch_ok("{'foo':['bar','qux','baz']}", "[{'op':'remove','path':'/foo/1'}]",
		 "{'foo':['bar','baz']}");
}

static void a05_replace_value(void **state)
{
	(void)state;
	patch_ok("{'baz':'qux','foo':'bar'}", "[{'op':'replace','path':'/baz','value':'boo'}]",
		 "{'baz':'boo','foo':'bar'}");
}

static void a06_move_value(void **state)
{
	(void)state;
	patch_ok("{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
		 "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
		 "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}");
}

static void a07_move_array_element(void **state)
{
	(void)state;
	patch_ok("{'foo':['all','grass','cows','eat']}",
		 "[{'op':'move','from':'/foo/1','path':'/foo/3'}]",
		 "{'foo':['all','cows','eat','grass']}");
}

static void a08_test_success(void **state)
{
	(void)state;
	patch_ok("{'baz':'qux','foo':['a',2,'c']}",
		 "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
		 "{'baz':'qux','foo':['a',2,'c']}");
}

static void a09_test_error(void **state)
{
	(void)state;
	PATCH_FAILS("{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]",
		    "patch operation 0", "test failed", "'/baz'");
}

static void a10_add_nested_member_object(void **state)
{
	(void)state;
	patch_ok("{'foo':'bar'}", "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
		 "{'foo':'bar','child':{'grandchild':{}}}");
}

static void a11_ignore_unrecognized_elements(void **state)
{
	(void)state;
	patch_ok("{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux','xyz':123}]",
		 "{'foo':'bar','baz':'qux'}");
}

static void a12_add_to_nonexistent_target(void **state)
{
	(void)state;
	PATCH_FAILS("{'foo':'bar'}", "[{'op':'add','path':'/baz/bat','value':'qux'}]",
		    "patch operation 0", "parent of '/baz/bat' does not exist");
}

/* A.13 (duplicate "op" members) is a parser matter: documents with duplicate
 * keys never reach jsonpatch (JSON_REJECT_DUPLICATES; DP-400-INVALID-JSON). */
static void a13_duplicate_members_rejected_by_parser(void **state)
{
	(void)state;
	json_error_t je;
	json_t *j = json_loads("[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]",
			       JSON_REJECT_DUPLICATES, &je);
	assert_null(j);
}

static void a14_escape_ordering(void **state)
{
	(void)state;
	json_t *d = jl("{\"/\":9,\"~1\":10}"), *ops = jl("[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]");
	json_t *out = jsonpatch_apply(d, ops, 100, test_err, sizeof test_err);
	assert_non_null(out);
	assert_true(json_equal(out, d));
	DECREF(d, ops, out);
}

static void a15_strings_are_not_numbers(void **state)
{
	(void)state;
	json_t *d = jl("{\"/\":9,\"~1\":10}"), *ops = jl("[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]");
	assert_null(jsonpatch_apply(d, ops, 100, test_err, sizeof test_err));
	assert_non_null(strstr(test_err, "test failed"));
	DECREF(d, ops);
}

static void a16_add_array_value(void **state)
{
	(void)state;
	patch_ok("{'foo':['bar']}", "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
		 "{'foo':['bar',['abc','def']]}");
}

/* ---- RFC 6901 §5 and pointer edge cases ---------------------------------- */

static void pointer_rfc6901_examples(void **state)
{
	(void)state;
	json_t *d = jl("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
		       "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");
	assert_ptr_equal(jsonpointer_get(d, ""), d);
	assert_ptr_equal(jsonpointer_get(d, "/foo"), json_object_get(d, "foo"));
	assert_string_equal(json_string_value(jsonpointer_get(d, "/foo/0")), "bar");
	static const struct {
		const char *ptr;
		int want;
	} cases[] = {{"/", 0}, {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4},
		     {"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7}, {"/m~0n", 8}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *v = jsonpointer_get(d, cases[i].ptr);
		if (!json_is_integer(v) || json_integer_value(v) != cases[i].want)
			fail_msg("%s did not reach %d", cases[i].ptr, cases[i].want);
	}
	json_decref(d);
}

static void pointer_syntax(void **state)
{
	(void)state;
	assert_true(jsonpointer_valid(""));
	assert_true(jsonpointer_valid("/"));
	assert_true(jsonpointer_valid("//"));
	assert_true(jsonpointer_valid("/a~0~1b"));
	assert_true(jsonpointer_valid("/-"));
	assert_false(jsonpointer_valid(NULL));
	assert_false(jsonpointer_valid("a"));
	assert_false(jsonpointer_valid("#/a")); /* URI fragments are not supported */
	assert_false(jsonpointer_valid("/a~"));
	assert_false(jsonpointer_valid("/a~2"));
	assert_false(jsonpointer_valid("/~a"));
	json_t *d = tj("{'a':1}");
	assert_null(jsonpointer_get(d, "a"));
	assert_null(jsonpointer_get(d, "/a~"));
	json_decref(d);
}

static void pointer_array_indexes_are_canonical(void **state)
{
	(void)state;
	json_t *d = tj("{'a':[10,11,[20,21]]}");
	assert_int_equal(json_integer_value(jsonpointer_get(d, "/a/0")), 10);
	assert_int_equal(json_integer_value(jsonpointer_get(d, "/a/2/1")), 21);
	assert_null(jsonpointer_get(d, "/a/01"));
	assert_null(jsonpointer_get(d, "/a/-"));
	assert_null(jsonpointer_get(d, "/a/3"));
	assert_null(jsonpointer_get(d, "/a/+1"));
	assert_null(jsonpointer_get(d, "/a/-1"));
	assert_null(jsonpointer_get(d, "/a/1x"));
	assert_null(jsonpointer_get(d, "/a/ 1"));
	assert_null(jsonpointer_get(d, "/a/"));
	assert_null(jsonpointer_get(d, "/a/99999999999999999999999999999"));
	assert_null(jsonpointer_get(d, "/a/0/0")); /* into a number */
	assert_null(jsonpointer_get(d, "/b"));
	json_decref(d);
}

static void pointer_escapes_unescape_once(void **state)
{
	(void)state;
	/* "~01" is "~1" (not "/"): ~1 is not re-read after ~0 produced '~' */
	patch_ok("{}", "[{'op':'add','path':'/~01','value':1},{'op':'add','path':'/a~1b','value':2},"
		       "{'op':'add','path':'/~0','value':3}]",
		 "{'~1':1,'a/b':2,'~':3}");
}

static void pointer_empty_token_is_empty_key(void **state)
{
	(void)state;
	patch_ok("{'a':{}}", "[{'op':'add','path':'/','value':1},{'op':'add','path':'/a/','value':2}]",
		 "{'':1,'a':{'':2}}");
}

static void pointer_within(void **state)
{
	(void)state;
	assert_true(jsonpointer_within("/a", "/a"));
	assert_true(jsonpointer_within("/a/b", "/a"));
	assert_true(jsonpointer_within("/a/b", ""));
	assert_true(jsonpointer_within("", ""));
	assert_false(jsonpointer_within("/ab", "/a"));
	assert_false(jsonpointer_within("/a", "/a/b"));
	assert_false(jsonpointer_within("", "/a"));
}

/* ---- operations: edge cases ---------------------------------------------- */

static void add_replaces_an_existing_member(void **state)
{
	(void)state;
	patch_ok("{'a':1}", "[{'op':'add','path':'/a','value':[1]}]", "{'a':[1]}");
}

static void add_array_bounds(void **state)
{
	(void)state;
	patch_ok("{'a':[1,2]}", "[{'op':'add','path':'/a/2','value':3}]", "{'a':[1,2,3]}");
	patch_ok("{'a':[1,2]}", "[{'op':'add','path':'/a/0','value':0}]", "{'a':[0,1,2]}");
	patch_ok("{'a':[]}", "[{'op':'add','path':'/a/-','value':0}]", "{'a':[0]}");
	PATCH_FAILS("{'a':[1,2]}", "[{'op':'add','path':'/a/3','value':3}]", "past the end");
	PATCH_FAILS("{'a':[1,2]}", "[{'op':'add','path':'/a/01','value':3}]", "array index");
	PATCH_FAILS("{'a':[1,2]}", "[{'op':'add','path':'/a/x','value':3}]", "array index");
	PATCH_FAILS("{'a':[1,2]}", "[{'op':'add','path':'/a/-1','value':3}]", "array index");
	PATCH_FAILS("{'a':[1,2]}", "[{'op':'add','path':'/a/184467440737095516160','value':3}]",
		    "past the end");
}

static void add_into_a_scalar_fails(void **state)
{
	(void)state;
	PATCH_FAILS("{'a':1}", "[{'op':'add','path':'/a/b','value':2}]",
		    "neither an object nor an array");
	PATCH_FAILS("{'a':'s'}", "[{'op':'add','path':'/a/0','value':2}]",
		    "neither an object nor an array");
}

static void add_null_value(void **state)
{
	(void)state;
	patch_ok("{}", "[{'op':'add','path':'/a','value':null}]", "{'a':null}");
}

static void root_operations(void **state)
{
	(void)state;
	patch_ok("{'a':1}", "[{'op':'replace','path':'','value':{'b':2}}]", "{'b':2}");
	patch_ok("{'a':1}", "[{'op':'add','path':'','value':[1]}]", "[1]");
	patch_ok("{'a':1}", "[{'op':'test','path':'','value':{'a':1.0}}]", "{'a':1}");
	PATCH_FAILS("{'a':1}", "[{'op':'remove','path':''}]", "whole document");
}

static void remove_edge_cases(void **state)
{
	(void)state;
	patch_ok("{'a':[1,2,3]}", "[{'op':'remove','path':'/a/2'}]", "{'a':[1,2]}");
	patch_ok("{'a':{'b':null}}", "[{'op':'remove','path':'/a/b'}]", "{'a':{}}");
	PATCH_FAILS("{'a':[1]}", "[{'op':'remove','path':'/a/1'}]", "'/a/1' does not exist");
	PATCH_FAILS("{'a':[1]}", "[{'op':'remove','path':'/a/-'}]", "does not exist");
	PATCH_FAILS("{'a':{}}", "[{'op':'remove','path':'/a/b'}]", "'/a/b' does not exist");
	PATCH_FAILS("{'a':{}}", "[{'op':'remove','path':'/x/y'}]", "does not exist");
}

static void replace_needs_an_existing_target(void **state)
{
	(void)state;
	patch_ok("{'a':[1,2]}", "[{'op':'replace','path':'/a/1','value':{'x':1}}]",
		 "{'a':[1,{'x':1}]}");
	PATCH_FAILS("{'a':1}", "[{'op':'replace','path':'/b','value':2}]", "'/b' does not exist");
	PATCH_FAILS("{'a':[1]}", "[{'op':'replace','path':'/a/1','value':2}]", "does not exist");
	PATCH_FAILS("{'a':[1]}", "[{'op':'replace','path':'/a/-','value':2}]", "does not exist");
}

static void move_edge_cases(void **state)
{
	(void)state;
	patch_ok("{'a':1}", "[{'op':'move','from':'/a','path':'/a'}]", "{'a':1}");
	patch_ok("{'a':{'b':1}}", "[{'op':'move','from':'/a/b','path':'/a'}]", "{'a':1}");
	patch_ok("{'x':[1,2,3]}", "[{'op':'move','from':'/x/2','path':'/x/0'}]", "{'x':[3,1,2]}");
	patch_ok("{'x':[1,2,3]}", "[{'op':'move','from':'/x/0','path':'/x/-'}]", "{'x':[2,3,1]}");
	patch_ok("{'a':1,'b':2}", "[{'op':'move','from':'/a','path':'/b'}]", "{'b':1}");
	PATCH_FAILS("{'a':1}", "[{'op':'move','from':'/b','path':'/c'}]", "'from' '/b' does not exist");
	/* the target's parent is missing: the removal of /a must not survive */
	PATCH_FAILS("{'a':1}", "[{'op':'move','from':'/a','path':'/x/y'}]", "parent of '/x/y'");
}

static void copy_is_independent(void **state)
{
	(void)state;
	patch_ok("{'a':{'b':1}}",
		 "[{'op':'copy','from':'/a','path':'/c'},{'op':'add','path':'/c/d','value':2}]",
		 "{'a':{'b':1},'c':{'b':1,'d':2}}");
	patch_ok("{'a':[1]}", "[{'op':'copy','from':'/a','path':'/a/-'}]", "{'a':[1,[1]]}");
	PATCH_FAILS("{'a':1}", "[{'op':'copy','from':'/b','path':'/c'}]", "'from' '/b' does not exist");
}

static void test_equality_rules(void **state)
{
	(void)state;
	patch_ok("{'n':1,'o':{'a':1,'b':[1,2]},'s':'x','z':null,'t':true}",
		 "[{'op':'test','path':'/n','value':1.0},"
		 "{'op':'test','path':'/o','value':{'b':[1,2.0],'a':1}},"
		 "{'op':'test','path':'/s','value':'x'},{'op':'test','path':'/z','value':null},"
		 "{'op':'test','path':'/t','value':true}]",
		 "{'n':1,'o':{'a':1,'b':[1,2]},'s':'x','z':null,'t':true}");
	PATCH_FAILS("{'b':[1,2]}", "[{'op':'test','path':'/b','value':[2,1]}]", "test failed");
	PATCH_FAILS("{'o':{'a':1}}", "[{'op':'test','path':'/o','value':{'a':1,'b':2}}]", "test failed");
	PATCH_FAILS("{'n':1}", "[{'op':'test','path':'/n','value':1.5}]", "test failed");
	PATCH_FAILS("{'z':null}", "[{'op':'test','path':'/z','value':false}]", "test failed");
	PATCH_FAILS("{'t':true}", "[{'op':'test','path':'/t','value':1}]", "test failed");
	PATCH_FAILS("{}", "[{'op':'test','path':'/m','value':null}]", "'/m' does not exist");
}

static void equal_handles_extremes(void **state)
{
	(void)state;
	json_t *big = json_integer(9007199254740993LL), *bigr = json_real(9007199254740992.0);
	assert_false(jsonpatch_equal(big, bigr)); /* not numerically equal */
	json_t *huge = json_real(1e300), *i = json_integer(1);
	assert_false(jsonpatch_equal(huge, i));
	assert_false(jsonpatch_equal(i, NULL));
	assert_true(jsonpatch_equal(NULL, NULL));
	DECREF(big, bigr, huge, i);
}

/* ---- atomicity and ownership --------------------------------------------- */

static void failing_op_changes_nothing(void **state)
{
	(void)state;
	PATCH_FAILS("{'a':1,'l':[1,2]}",
		    "[{'op':'replace','path':'/a','value':2},{'op':'remove','path':'/l/0'},"
		    "{'op':'add','path':'/n','value':{}},{'op':'remove','path':'/missing'}]",
		    "patch operation 3", "(remove '/missing')", "does not exist");
}

static void result_shares_nothing_with_the_patch(void **state)
{
	(void)state;
	json_t *d = tj("{}"), *ops = tj("[{'op':'add','path':'/a','value':{'x':[1]}}]");
	json_t *out = jsonpatch_apply(d, ops, 100, test_err, sizeof test_err);
	assert_non_null(out);
	json_array_append_new(json_object_get(json_object_get(out, "a"), "x"), json_integer(2));
	assert_json(ops, "[{'op':'add','path':'/a','value':{'x':[1]}}]");
	assert_json(d, "{}");
	DECREF(d, ops, out);
}

static void later_ops_see_earlier_ones(void **state)
{
	(void)state;
	patch_ok("{}",
		 "[{'op':'add','path':'/a','value':{}},{'op':'add','path':'/a/b','value':[]},"
		 "{'op':'add','path':'/a/b/-','value':1},{'op':'test','path':'/a/b/0','value':1},"
		 "{'op':'copy','from':'/a/b','path':'/c'},{'op':'remove','path':'/a'}]",
		 "{'c':[1]}");
}

/* ---- patch shape (jsonpatch_check) --------------------------------------- */

static void check_accepts_every_op(void **state)
{
	(void)state;
	ACCEPTS(check100, "[{'op':'add','path':'/a','value':1},{'op':'remove','path':'/a'},"
			  "{'op':'replace','path':'','value':null},{'op':'move','from':'/a','path':'/b'},"
			  "{'op':'copy','from':'/a','path':'/a/b'},{'op':'test','path':'/a','value':[]}]");
	ACCEPTS(check100, "[{'op':'remove','path':'/a','value':1,'from':7}]"); /* extras ignored */
}

static void check_rejects_bad_shapes(void **state)
{
	(void)state;
	REJECTS(check100, "[]", "1 to 100 operations");
	REJECTS(check100, "{}", "1 to 100 operations");
	REJECTS(check100, "'op'", "1 to 100 operations");
	REJECTS(check100, "[1]", "patch operation 0 must be an object");
	REJECTS(check100, "[{'op':'remove','path':'/a'},{'path':'/a'}]", "patch operation 1: 'op'");
	REJECTS(check100, "[{'op':'ADD','path':'/a','value':1}]", "'op' must be one of");
	REJECTS(check100, "[{'op':'merge','path':'/a','value':1}]", "'op' must be one of");
	REJECTS(check100, "[{'op':1,'path':'/a','value':1}]", "'op' must be one of");
	REJECTS(check100, "[{'op':'remove'}]", "'path' is required");
	REJECTS(check100, "[{'op':'remove','path':1}]", "'path' is required");
	REJECTS(check100, "[{'op':'remove','path':'a'}]", "'path' 'a' is not a JSON Pointer");
	REJECTS(check100, "[{'op':'remove','path':'/a~2'}]", "not a JSON Pointer");
	REJECTS(check100, "[{'op':'add','path':'/a'}]", "'value' is required for 'add'");
	REJECTS(check100, "[{'op':'replace','path':'/a'}]", "'value' is required for 'replace'");
	REJECTS(check100, "[{'op':'test','path':'/a'}]", "'value' is required for 'test'");
	REJECTS(check100, "[{'op':'move','path':'/a'}]", "'from' is required for 'move'");
	REJECTS(check100, "[{'op':'copy','path':'/a','from':null}]", "'from' is required for 'copy'");
	REJECTS(check100, "[{'op':'copy','path':'/a','from':'x'}]", "'from' 'x' is not a JSON Pointer");
	REJECTS(check100, "[{'op':'move','from':'/a','path':'/a/b'}]", "into its own child");
	REJECTS(check100, "[{'op':'move','from':'','path':'/a'}]", "into its own child");
}

static void check_limits_ops(void **state)
{
	(void)state;
	assert_int_equal(check_max("[{'op':'remove','path':'/a'},{'op':'remove','path':'/b'}]", 2), 0);
	assert_int_equal(check_max("[{'op':'remove','path':'/a'},{'op':'remove','path':'/b'},"
				   "{'op':'remove','path':'/c'}]", 2), -1);
	assert_non_null(strstr(test_err, "1 to 2 operations"));
	assert_int_equal(check_max("[{'op':'remove','path':'/a'},{'op':'remove','path':'/b'},"
				   "{'op':'remove','path':'/c'}]", 0), 0); /* 0: no limit */
	assert_int_equal(check_max("[]", 0), -1);
}

static void apply_checks_shape_first(void **state)
{
	(void)state;
	json_t *d = tj("{'a':1}"), *ops = tj("[{'op':'replace','path':'/a','value':2},{'op':'nope','path':'/a'}]");
	assert_null(jsonpatch_apply(d, ops, 100, test_err, sizeof test_err));
	assert_non_null(strstr(test_err, "patch operation 1"));
	assert_json(d, "{'a':1}");
	json_decref(ops);
	ops = tj("[{'op':'remove','path':'/a'},{'op':'remove','path':'/a'}]");
	assert_null(jsonpatch_apply(d, ops, 1, test_err, sizeof test_err));
	assert_non_null(strstr(test_err, "1 to 1 operations"));
	DECREF(d, ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a01_add_object_member),
		cmocka_unit_test(a02_add_array_element),
		cmocka_unit_test(a03_remove_object_member),
		cmocka_unit_test(a04_remove_array_element),
		cmocka_unit_test(a05_replace_value),
		cmocka_unit_test(a06_move_value),
		cmocka_unit_test(a07_move_array_element),
		cmocka_unit_test(a08_test_success),
		cmocka_unit_test(a09_test_error),
		cmocka_unit_test(a10_add_nested_member_object),
		cmocka_unit_test(a11_ignore_unrecognized_elements),
		cmocka_unit_test(a12_add_to_nonexistent_target),
		cmocka_unit_test(a13_duplicate_members_rejected_by_parser),
		cmocka_unit_test(a14_escape_ordering),
		cmocka_unit_test(a15_strings_are_not_numbers),
		cmocka_unit_test(a16_add_array_value),
		cmocka_unit_test(pointer_rfc6901_examples),
		cmocka_unit_test(pointer_syntax),
		cmocka_unit_test(pointer_array_indexes_are_canonical),
		cmocka_unit_test(pointer_escapes_unescape_once),
		cmocka_unit_test(pointer_empty_token_is_empty_key),
		cmocka_unit_test(pointer_within),
		cmocka_unit_test(add_replaces_an_existing_member),
		cmocka_unit_test(add_array_bounds),
		cmocka_unit_test(add_into_a_scalar_fails),
		cmocka_unit_test(add_null_value),
		cmocka_unit_test(root_operations),
		cmocka_unit_test(remove_edge_cases),
		cmocka_unit_test(replace_needs_an_existing_target),
		cmocka_unit_test(move_edge_cases),
		cmocka_unit_test(copy_is_independent),
		cmocka_unit_test(test_equality_rules),
		cmocka_unit_test(equal_handles_extremes),
		cmocka_unit_test(failing_op_changes_nothing),
		cmocka_unit_test(result_shares_nothing_with_the_patch),
		cmocka_unit_test(later_ops_see_earlier_ones),
		cmocka_unit_test(check_accepts_every_op),
		cmocka_unit_test(check_rejects_bad_shapes),
		cmocka_unit_test(check_limits_ops),
		cmocka_unit_test(apply_checks_shape_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
