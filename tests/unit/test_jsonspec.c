/* Unit tests for src/domain/jsonspec.c: declarative request-body checks. */
#include "support.h"

#include "domain/jsonspec.h"

#define G1 "11111111-1111-4111-8111-111111111111"
#define G2 "22222222-2222-4222-9222-222222222222"
#define G3 "33333333-3333-4333-a333-333333333333"

/* One field of every kind. */
static const struct field_spec spec[] = {
	{"s", FIELD_STRING, false, false, 5},
	{"ns", FIELD_STRING, false, true, 0},
	{"name", FIELD_NAME, true, false, 4},
	{"g", FIELD_GUID, false, false, 0},
	{"ng", FIELD_GUID, false, true, 0},
	{"tags", FIELD_STRING_SET, false, true, 3},
	{"ids", FIELD_GUID_SET, false, false, 2},
	{"kc", FIELD_KEY_CONTACTS, false, true, 2},
	{"o", FIELD_OBJECT, false, false, 0},
	{"a", FIELD_ARRAY, false, false, 0},
	{"b", FIELD_BOOL, false, false, 0},
	{"n", FIELD_NUMBER, false, false, 0},
	{"any", FIELD_ANY, false, false, 0},
	{"ign", FIELD_IGNORED, false, true, 0},
	FIELD_END,
};

/* Parses text (' for "), checks it against sp. */
static int run_spec(const char *text, const struct field_spec *sp)
{
	json_t *j = tj(text);
	test_err[0] = '\0';
	int rc = jsonspec_check(j, sp, test_err, sizeof test_err);
	json_decref(j);
	return rc;
}

/* Checks text against spec, the one-field-of-every-kind table. */
static int run(const char *text) { return run_spec(text, spec); }

/* ---- objects, unknown and required fields ----------------------------- */

static void accepts_every_kind_when_valid(void **state)
{
	(void)state;
	ACCEPTS(run,
		"{'s':'abc','ns':'x','name':'nm','g':'" G1 "','ng':'" G2 "','tags':['a','b'],"
		"'ids':['" G1 "','" G2 "'],'kc':[{'userId':'" G1 "','role':'owner'}],'o':{'x':1},"
		"'a':[1,'x'],'b':true,'n':1.5,'any':[{}],'ign':{'whatever':1}}");
}

static void accepts_minimal_object(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x'}");
}

static void rejects_non_object_body(void **state)
{
	(void)state;
	REJECTS(run, "[]", "JSON object");
	REJECTS(run, "'x'", "JSON object");
	REJECTS(run, "null", "JSON object");
	REJECTS(run, "3", "JSON object");
}

static void rejects_unknown_field_naming_it(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','bogus':1}", "unknown field 'bogus'");
	REJECTS(run, "{'name':'x','Name':'y'}", "unknown field 'Name'");
}

static void requires_required_field(void **state)
{
	(void)state;
	REJECTS(run, "{}", "'name' is required");
	REJECTS(run, "{'s':'a'}", "'name' is required");
}

static void required_field_may_not_be_null(void **state)
{
	(void)state;
	REJECTS(run, "{'name':null}", "'name' must not be null");
}

static void required_nullable_field_still_rejects_null(void **state)
{
	(void)state;
	static const struct field_spec sp[] = {{"r", FIELD_STRING, true, true, 0}, FIELD_END};
	assert_int_equal(run_spec("{'r':null}", sp), -1);
	assert_non_null(strstr(test_err, "'r'"));
	assert_int_equal(run_spec("{'r':''}", sp), 0);
}

static void null_rejected_for_non_nullable_field(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','s':null}", "'s' must not be null");
	REJECTS(run, "{'name':'x','g':null}", "'g' must not be null");
	REJECTS(run, "{'name':'x','ids':null}", "'ids' must not be null");
	REJECTS(run, "{'name':'x','o':null}", "'o' must not be null");
	REJECTS(run, "{'name':'x','any':null}", "'any' must not be null");
}

static void null_accepted_for_nullable_field(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','ns':null}");
	ACCEPTS(run, "{'name':'x','ng':null}");
	ACCEPTS(run, "{'name':'x','tags':null}");
	ACCEPTS(run, "{'name':'x','kc':null}");
	ACCEPTS(run, "{'name':'x','ign':null}");
}

/* ---- FIELD_STRING ----------------------------------------------------- */

static void string_rejects_wrong_type(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','s':5}", "'s' must be a string");
	REJECTS(run, "{'name':'x','s':true}", "'s' must be a string");
	REJECTS(run, "{'name':'x','s':['a']}", "'s' must be a string");
}

static void string_allows_empty(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','s':''}");
}

static void string_max_counts_code_points_not_bytes(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','s':'abcde'}");
	REJECTS(run, "{'name':'x','s':'abcdef'}", "'s' is longer than 5");
	/* 5 code points, 6 / 15 / 20 bytes */
	ACCEPTS(run, "{'name':'x','s':'h\xc3\xa9llo'}");
	ACCEPTS(run,
		"{'name':'x','s':'\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac'}");
	ACCEPTS(run,
		"{'name':'x','s':'\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		"\xf0\x9f\x98\x80'}");
	/* 6 code points */
	REJECTS(run, "{'name':'x','s':'h\xc3\xa9llo!'}", "'s'");
	REJECTS(run,
		"{'name':'x','s':'\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x80'}",
		"'s'");
	/* escaped code points count the same */
	ACCEPTS(run, "{'name':'x','s':'\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9'}");
	REJECTS(run, "{'name':'x','s':'\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9'}", "'s'");
}

static void string_without_max_is_unbounded(void **state)
{
	(void)state;
	char *big = malloc(20000);
	assert_non_null(big);
	strcpy(big, "{'name':'x','ns':'");
	size_t o = strlen(big);
	memset(big + o, 'z', 10000);
	strcpy(big + o + 10000, "'}");
	ACCEPTS(run, big);
	free(big);
}

/* ---- FIELD_NAME ------------------------------------------------------- */

static void name_rejects_empty_and_blank(void **state)
{
	(void)state;
	REJECTS(run, "{'name':''}", "'name' must not be empty");
	REJECTS(run, "{'name':'   '}", "'name' must not be empty");
	REJECTS(run, "{'name':' \\t\\r\\n '}", "'name' must not be empty");
}

static void name_rejects_wrong_type(void **state)
{
	(void)state;
	REJECTS(run, "{'name':7}", "'name' must be a string");
	REJECTS(run, "{'name':{}}", "'name' must be a string");
}

static void name_max_counts_code_points(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'abcd'}");
	ACCEPTS(run, "{'name':'\xc3\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'}"); /* 4 cp, 11 B */
	REJECTS(run, "{'name':'abcde'}", "'name' is longer than 4");
	REJECTS(run, "{'name':'\xc3\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9'}", "'name'");
}

/* SPEC §3: the name is 1..256 characters *after trimming*. */
static void name_max_is_measured_after_trimming(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'  abcd  '}");
	ACCEPTS(run, "{'name':'\\tab\\n'}");
}

/* ---- FIELD_GUID ------------------------------------------------------- */

static void guid_accepts_lower_case(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','g':'" G1 "'}");
}

static void guid_rejects_upper_case_bad_text_and_wrong_type(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','g':'AAAAAAAA-1111-4111-8111-111111111111'}",
		     "'g' must be a lower-case GUID");
	REJECTS(run, "{'name':'x','g':'not-a-guid'}", "'g' must be a lower-case GUID");
	REJECTS(run, "{'name':'x','g':''}", "'g'");
	REJECTS(run, "{'name':'x','g':12}", "'g'");
	REJECTS(run, "{'name':'x','g':['" G1 "']}", "'g'");
}

/* ---- FIELD_STRING_SET ------------------------------------------------- */

static void string_set_accepts_unique_strings(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','tags':[]}");
	ACCEPTS(run, "{'name':'x','tags':['a','b','c']}");
}

static void string_set_rejects_non_array(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','tags':'a'}", "'tags' must be an array");
	REJECTS(run, "{'name':'x','tags':{}}", "'tags' must be an array");
}

static void string_set_rejects_non_string_item(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','tags':['a',1]}", "'tags[1]' must be a string");
	REJECTS(run, "{'name':'x','tags':[null]}", "'tags[0]'");
}

static void string_set_rejects_empty_item(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','tags':['a','']}", "'tags[1]'");
}

static void string_set_item_limit_is_256_code_points(void **state)
{
	(void)state;
	/* 256 x U+00E9 (512 bytes) is fine, 257 is not */
	char buf[1200];
	strcpy(buf, "{'name':'x','tags':['");
	size_t o = strlen(buf);
	for (int i = 0; i < 256; i++)
		buf[o++] = '\xc3', buf[o++] = '\xa9';
	strcpy(buf + o, "']}");
	ACCEPTS(run, buf);
	buf[o++] = 'z';
	strcpy(buf + o, "']}");
	REJECTS(run, buf, "'tags[0]'");
}

static void string_set_rejects_duplicates(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','tags':['a','b','a']}", "'tags' contains 'a' more than once");
	REJECTS(run, "{'name':'x','tags':['\xc3\xa9','\xc3\xa9']}", "'tags'");
}

static void string_set_rejects_too_many_items(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','tags':['a','b','c','d']}", "'tags' holds 4 items");
}

/* ---- FIELD_GUID_SET --------------------------------------------------- */

static void guid_set_accepts_unique_guids(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','ids':[]}");
	ACCEPTS(run, "{'name':'x','ids':['" G1 "','" G2 "']}");
}

static void guid_set_rejects_upper_case_guid(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','ids':['" G1 "','22222222-2222-4222-9222-22222222222A']}",
		     "'ids[1]' must be a lower-case GUID");
	REJECTS(run, "{'name':'x','ids':['ABCDEF12-1111-4111-8111-111111111111']}", "'ids[0]'");
}

static void guid_set_rejects_non_guid_and_non_string(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','ids':['nope']}", "'ids[0]' must be a lower-case GUID");
	REJECTS(run, "{'name':'x','ids':[5]}", "'ids[0]' must be a string");
	REJECTS(run, "{'name':'x','ids':'" G1 "'}", "'ids' must be an array");
}

static void guid_set_rejects_duplicates(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','ids':['" G1 "','" G1 "']}",
		     "'ids' contains '" G1 "' more than once");
}

static void guid_set_rejects_too_many_items(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','ids':['" G1 "','" G2 "','" G3 "']}", "'ids'");
}

/* ---- FIELD_KEY_CONTACTS ----------------------------------------------- */

static void contacts_accept_user_with_and_without_role(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','kc':[]}");
	ACCEPTS(run,
		"{'name':'x','kc':[{'userId':'" G1 "'},{'userId':'" G2 "','role':'steward'}]}");
	ACCEPTS(run, "{'name':'x','kc':[{'userId':'" G1 "','role':null}]}");
}

static void contacts_reject_missing_user_id(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','kc':[{'role':'owner'}]}", "'kc[0]': 'userId' is required");
	REJECTS(run, "{'name':'x','kc':[{'userId':'" G1 "'},{}]}", "'kc[1]': 'userId' is required");
}

static void contacts_reject_bad_user_id(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','kc':[{'userId':'bob'}]}", "'kc[0]'");
	REJECTS(run, "{'name':'x','kc':[{'userId':null}]}", "'kc[0]'");
	REJECTS(run, "{'name':'x','kc':[{'userId':'AAAAAAAA-1111-4111-8111-111111111111'}]}",
		     "userId");
}

static void contacts_reject_duplicate_user(void **state)
{
	(void)state;
	REJECTS(run,
		"{'name':'x','kc':[{'userId':'" G1 "','role':'a'},{'userId':'" G1 "','role':'b'}]}",
		"'kc' lists user '" G1 "' more than once");
}

static void contacts_reject_non_object_items_and_non_array(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','kc':['" G1 "']}", "'kc[0]' must be an object");
	REJECTS(run, "{'name':'x','kc':{'userId':'" G1 "'}}", "'kc' must be an array");
}

static void contacts_reject_unknown_member_and_bad_role(void **state)
{
	(void)state;
	REJECTS(run, "{'name':'x','kc':[{'userId':'" G1 "','email':'a@b'}]}",
		     "unknown field 'email'");
	REJECTS(run, "{'name':'x','kc':[{'userId':'" G1 "','role':5}]}", "'role'");
}

static void contacts_reject_too_many(void **state)
{
	(void)state;
	REJECTS(run,
		"{'name':'x','kc':[{'userId':'" G1 "'},{'userId':'" G2 "'},{'userId':'" G3 "'}]}",
		"'kc'");
}

/* ---- FIELD_OBJECT / ARRAY / BOOL / NUMBER / ANY / IGNORED -------------- */

static void object_kind(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','o':{}}");
	REJECTS(run, "{'name':'x','o':[]}", "'o' must be an object");
	REJECTS(run, "{'name':'x','o':'{}'}", "'o' must be an object");
}

static void array_kind(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','a':[]}");
	ACCEPTS(run, "{'name':'x','a':[1,'a',null,{}]}");
	REJECTS(run, "{'name':'x','a':{}}", "'a' must be an array");
}

static void bool_kind(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','b':false}");
	ACCEPTS(run, "{'name':'x','b':true}");
	REJECTS(run, "{'name':'x','b':'true'}", "'b' must be true or false");
	REJECTS(run, "{'name':'x','b':0}", "'b' must be true or false");
}

static void number_kind(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','n':0}");
	ACCEPTS(run, "{'name':'x','n':-3.25e2}");
	REJECTS(run, "{'name':'x','n':'1'}", "'n' must be a number");
	REJECTS(run, "{'name':'x','n':true}", "'n' must be a number");
}

static void any_kind_accepts_every_non_null_value(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','any':1}");
	ACCEPTS(run, "{'name':'x','any':'s'}");
	ACCEPTS(run, "{'name':'x','any':false}");
	ACCEPTS(run, "{'name':'x','any':[]}");
	ACCEPTS(run, "{'name':'x','any':{'k':[1]}}");
}

static void ignored_kind_accepts_any_value(void **state)
{
	(void)state;
	ACCEPTS(run, "{'name':'x','ign':1}");
	ACCEPTS(run, "{'name':'x','ign':'s'}");
	ACCEPTS(run, "{'name':'x','ign':[1,2]}");
	ACCEPTS(run, "{'name':'x','ign':{'a':{}}}");
	ACCEPTS(run, "{'name':'x','ign':true}");
	ACCEPTS(run, "{'name':'x','ign':null}");
}

/* ---- jsonspec_check_value and error text ------------------------------- */

static void check_value_uses_where_in_detail(void **state)
{
	(void)state;
	static const struct field_spec f = {"/name", FIELD_NAME, true, false, 3};
	json_t *v = json_integer(3);
	assert_int_equal(jsonspec_check_value(v, &f, "here", test_err, sizeof test_err), -1);
	assert_string_equal(test_err, "'here' must be a string");
	json_decref(v);
	v = json_string("ab");
	assert_int_equal(jsonspec_check_value(v, &f, "here", test_err, sizeof test_err), 0);
	json_decref(v);
}

static void detail_is_truncated_safely(void **state)
{
	(void)state;
	json_t *j = json_pack("{s:s, s:i}", "name", "x", "averyveryverylongfieldname", 1);
	char small[8];
	memset(small, 'Z', sizeof small);
	assert_int_equal(jsonspec_check(j, spec, small, sizeof small), -1);
	assert_true(memchr(small, '\0', sizeof small) != NULL);
	assert_int_equal(strncmp(small, "unknown", 7), 0);
	json_decref(j);
}

/* ---- jsonspec_utf8_len ------------------------------------------------- */

static void utf8_len_counts_code_points(void **state)
{
	(void)state;
	assert_int_equal(jsonspec_utf8_len(""), 0);
	assert_int_equal(jsonspec_utf8_len("abc"), 3);
	assert_int_equal(jsonspec_utf8_len("\xc3\xa9"), 1);
	assert_int_equal(jsonspec_utf8_len("\xe2\x82\xac"), 1);
	assert_int_equal(jsonspec_utf8_len("\xf0\x9f\x98\x80"), 1);
	assert_int_equal(jsonspec_utf8_len("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), 5);
}

/* ---- jsonspec_too_deep -------------------------------------------------- */

static bool deep(const char *s, int max) { return jsonspec_too_deep(s, strlen(s), max); }

static void too_deep_counts_arrays_and_objects(void **state)
{
	(void)state;
	assert_false(deep("[[[]]]", 3));
	assert_true(deep("[[[]]]", 2));
	assert_false(deep("{\"a\":{\"b\":[1]}}", 3));
	assert_true(deep("{\"a\":{\"b\":[1]}}", 2));
	assert_false(deep("1", 0));
	assert_false(deep("{}", 1));
	assert_true(deep("{}", 0));
}

static void too_deep_siblings_do_not_add_up(void **state)
{
	(void)state;
	assert_false(deep("[[1],[2],[3],{\"a\":4}]", 2));
	assert_true(deep("[[1],[2],[[3]]]", 2));
}

static void too_deep_ignores_brackets_inside_strings(void **state)
{
	(void)state;
	assert_false(deep("[\"[[[[[[[[\", \"{{{{{{\"]", 1));
	assert_false(deep("{\"[[[[\":\"]]]]{{{{\"}", 1));
}

static void too_deep_handles_escaped_quotes(void **state)
{
	(void)state;
	/* the \" does not end the string, so the brackets stay inside it */
	assert_false(deep("[\"a\\\"[[[[[[\"]", 1));
	assert_false(deep("[\"\\\"\", \"\\\"[[[[\\\"\"]", 1));
	/* "\\" is a complete string: the brackets after it do count */
	assert_true(deep("[\"\\\\\", [[1]]]", 2));
	assert_false(deep("[\"\\\\\", [[1]]]", 3));
}

static void too_deep_respects_len(void **state)
{
	(void)state;
	const char *t = "[[[[]]]]";
	assert_false(jsonspec_too_deep(t, 2, 2));
	assert_true(jsonspec_too_deep(t, 3, 2));
}

static void too_deep_at_json_max_depth(void **state)
{
	(void)state;
	char buf[2 * (JSON_MAX_DEPTH + 1) + 1];
	for (int d = JSON_MAX_DEPTH; d <= JSON_MAX_DEPTH + 1; d++) {
		int o = 0;
		for (int i = 0; i < d; i++)
			buf[o++] = '[';
		for (int i = 0; i < d; i++)
			buf[o++] = ']';
		buf[o] = '\0';
		assert_int_equal(deep(buf, JSON_MAX_DEPTH), d > JSON_MAX_DEPTH);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_every_kind_when_valid),
		cmocka_unit_test(accepts_minimal_object),
		cmocka_unit_test(rejects_non_object_body),
		cmocka_unit_test(rejects_unknown_field_naming_it),
		cmocka_unit_test(requires_required_field),
		cmocka_unit_test(required_field_may_not_be_null),
		cmocka_unit_test(required_nullable_field_still_rejects_null),
		cmocka_unit_test(null_rejected_for_non_nullable_field),
		cmocka_unit_test(null_accepted_for_nullable_field),
		cmocka_unit_test(string_rejects_wrong_type),
		cmocka_unit_test(string_allows_empty),
		cmocka_unit_test(string_max_counts_code_points_not_bytes),
		cmocka_unit_test(string_without_max_is_unbounded),
		cmocka_unit_test(name_rejects_empty_and_blank),
		cmocka_unit_test(name_rejects_wrong_type),
		cmocka_unit_test(name_max_counts_code_points),
		cmocka_unit_test(name_max_is_measured_after_trimming),
		cmocka_unit_test(guid_accepts_lower_case),
		cmocka_unit_test(guid_rejects_upper_case_bad_text_and_wrong_type),
		cmocka_unit_test(string_set_accepts_unique_strings),
		cmocka_unit_test(string_set_rejects_non_array),
		cmocka_unit_test(string_set_rejects_non_string_item),
		cmocka_unit_test(string_set_rejects_empty_item),
		cmocka_unit_test(string_set_item_limit_is_256_code_points),
		cmocka_unit_test(string_set_rejects_duplicates),
		cmocka_unit_test(string_set_rejects_too_many_items),
		cmocka_unit_test(guid_set_accepts_unique_guids),
		cmocka_unit_test(guid_set_rejects_upper_case_guid),
		cmocka_unit_test(guid_set_rejects_non_guid_and_non_string),
		cmocka_unit_test(guid_set_rejects_duplicates),
		cmocka_unit_test(guid_set_rejects_too_many_items),
		cmocka_unit_test(contacts_accept_user_with_and_without_role),
		cmocka_unit_test(contacts_reject_missing_user_id),
		cmocka_unit_test(contacts_reject_bad_user_id),
		cmocka_unit_test(contacts_reject_duplicate_user),
		cmocka_unit_test(contacts_reject_non_object_items_and_non_array),
		cmocka_unit_test(contacts_reject_unknown_member_and_bad_role),
		cmocka_unit_test(contacts_reject_too_many),
		cmocka_unit_test(object_kind),
		cmocka_unit_test(array_kind),
		cmocka_unit_test(bool_kind),
		cmocka_unit_test(number_kind),
		cmocka_unit_test(any_kind_accepts_every_non_null_value),
		cmocka_unit_test(ignored_kind_accepts_any_value),
		cmocka_unit_test(check_value_uses_where_in_detail),
		cmocka_unit_test(detail_is_truncated_safely),
		cmocka_unit_test(utf8_len_counts_code_points),
		cmocka_unit_test(too_deep_counts_arrays_and_objects),
		cmocka_unit_test(too_deep_siblings_do_not_add_up),
		cmocka_unit_test(too_deep_ignores_brackets_inside_strings),
		cmocka_unit_test(too_deep_handles_escaped_quotes),
		cmocka_unit_test(too_deep_respects_len),
		cmocka_unit_test(too_deep_at_json_max_depth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
