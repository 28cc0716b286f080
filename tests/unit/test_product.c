/* Unit tests for src/domain/product.c: create/patch/activation rules and
 * the changelog changes each step produces. */
#include "support.h"

#include "domain/product.h"

#define PID "0f8fad5b-d9cb-469f-a165-70867728950e"
#define TEN "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define U1 "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define U2 "abababab-abab-4bab-9bab-abababababab"
#define D1 "11111111-1111-4111-8111-111111111111"
#define D2 "22222222-2222-4222-9222-222222222222"
#define D3 "33333333-3333-4333-a333-333333333333"
#define S1 "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define S2 "cccccccc-cccc-4ccc-bccc-cccccccccccc"
#define T0 "2026-01-01T00:00:00.000Z"
#define T1 "2026-02-02T10:00:00.000Z"
#define T2 "2026-03-03T11:11:11.111Z"

static const struct product_actor who0 = {TEN, U1, T0};
static const struct product_actor who1 = {TEN, U2, T1};
static const struct product_actor who2 = {TEN, U2, T2};

static const char *sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- product_validate_create ------------------------------------------- */

static int check_create(const char *text) { return tj_check(text, product_validate_create); }

static void create_accepts_minimal_and_full_bodies(void **state)
{
	(void)state;
	ACCEPTS(check_create, "{'name':'x'}");
	ACCEPTS(check_create,
		"{'name':'Sales','description':'d','readMe':'# r','spaceId':'" S1 "',"
		"'tags':['a','b'],'datasetIds':['" D1 "','" D2 "'],'glossaryIds':['" D3 "'],"
		"'apiConsumableDatasetIds':['" D2 "'],"
		"'keyContacts':[{'userId':'" U1 "','role':'owner'},{'userId':'" U2 "'}]}");
	ACCEPTS(check_create,
		"{'name':'x','description':null,'readMe':null,'spaceId':null,'tags':null,"
		"'datasetIds':null,'glossaryIds':null,'apiConsumableDatasetIds':null,"
		"'keyContacts':null}");
}

static void create_requires_name(void **state)
{
	(void)state;
	REJECTS(check_create, "{}", "'name' is required");
	REJECTS(check_create, "{'description':'d'}", "'name'");
	REJECTS(check_create, "{'name':null}", "'name'");
	REJECTS(check_create, "{'name':'  \\t '}", "'name' must not be empty");
	REJECTS(check_create, "{'name':42}", "'name'");
}

static void create_name_limit_is_256_code_points(void **state)
{
	(void)state;
	char buf[2048];
	strcpy(buf, "{'name':'");
	size_t o = strlen(buf);
	for (int i = 0; i < 256; i++) /* U+20AC, 3 bytes each */
		buf[o++] = '\xe2', buf[o++] = '\x82', buf[o++] = '\xac';
	strcpy(buf + o, "'}");
	ACCEPTS(check_create, buf);
	buf[o++] = 'x';
	strcpy(buf + o, "'}");
	REJECTS(check_create, buf, "'name'");
}

/* SPEC §3: "name required, 1..256 chars after trimming". */
static void create_name_limit_applies_after_trimming(void **state)
{
	(void)state;
	char buf[600];
	strcpy(buf, "{'name':'   ");
	size_t o = strlen(buf);
	memset(buf + o, 'n', 256);
	o += 256;
	strcpy(buf + o, "   '}");
	ACCEPTS(check_create, buf);
}

static void create_rejects_unknown_field(void **state)
{
	(void)state;
	REJECTS(check_create, "{'name':'x','colour':'red'}", "unknown field 'colour'");
	REJECTS(check_create, "{'name':'x','datasetIDs':[]}", "unknown field 'datasetIDs'");
}

static void create_ignores_server_owned_fields(void **state)
{
	(void)state;
	ACCEPTS(check_create,
		"{'name':'x','id':'me','qri':5,'tenantId':null,'ownerId':'" U2 "',"
		"'createdAt':'yesterday','createdBy':[],'updatedAt':1,'updatedBy':{},"
		"'activated':'yes','activatedAt':true,'activatedOn':['x'],'quality':{'v':1},"
		"'trustScore':[1],'pendingChangesCount':'many','mainId':null}");
}

static void create_checks_field_types(void **state)
{
	(void)state;
	REJECTS(check_create, "{'name':'x','spaceId':'space-1'}", "'spaceId'");
	REJECTS(check_create, "{'name':'x','spaceId':'" "BBBBBBBB-BBBB-4BBB-8BBB-BBBBBBBBBBBB" "'}",
			      "'spaceId'");
	REJECTS(check_create, "{'name':'x','description':5}", "'description'");
	REJECTS(check_create, "{'name':'x','readMe':['a']}", "'readMe'");
	REJECTS(check_create, "{'name':'x','tags':'a,b'}", "'tags'");
	REJECTS(check_create, "{'name':'x','datasetIds':['nope']}", "'datasetIds[0]'");
	REJECTS(check_create, "{'name':'x','glossaryIds':['" D1 "',3]}", "'glossaryIds[1]'");
	REJECTS(check_create,
		"{'name':'x','datasetIds':['" D1 "','" "22222222-2222-4222-9222-22222222222F" "']}",
		"'datasetIds[1]'");
}

static void create_description_limit(void **state)
{
	(void)state;
	char *buf = malloc(5000);
	assert_non_null(buf);
	strcpy(buf, "{'name':'x','description':'");
	size_t o = strlen(buf);
	memset(buf + o, 'd', 4096);
	strcpy(buf + o + 4096, "'}");
	ACCEPTS(check_create, buf);
	strcpy(buf + o + 4096, "d'}");
	REJECTS(check_create, buf, "'description'");
	free(buf);
}

static void create_rejects_duplicates_in_sets(void **state)
{
	(void)state;
	REJECTS(check_create, "{'name':'x','tags':['t','t']}", "'tags'");
	REJECTS(check_create, "{'name':'x','datasetIds':['" D1 "','" D1 "']}", "'datasetIds'");
	REJECTS(check_create, "{'name':'x','glossaryIds':['" D3 "','" D3 "']}", "'glossaryIds'");
	REJECTS(check_create,
		"{'name':'x','datasetIds':['" D1 "'],'apiConsumableDatasetIds':['" D1 "','" D1 "']}",
		"'apiConsumableDatasetIds'");
}

static char *guid_array(int n)
{
	char *s = malloc((size_t)n * 40 + 8);
	assert_non_null(s);
	size_t o = 0;
	s[o++] = '[';
	for (int i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, "%s'%08x-0000-4000-8000-000000000000'", i ? "," : "",
				     (unsigned)i);
	s[o++] = ']';
	s[o] = '\0';
	return s;
}

static void create_limits_id_arrays_to_100(void **state)
{
	(void)state;
	char *a100 = guid_array(100), *a101 = guid_array(101);
	char *buf = malloc(10000);
	assert_non_null(buf);
	sprintf(buf, "{'name':'x','datasetIds':%s}", a100);
	ACCEPTS(check_create, buf);
	sprintf(buf, "{'name':'x','glossaryIds':%s}", a100);
	ACCEPTS(check_create, buf);
	sprintf(buf, "{'name':'x','datasetIds':%s}", a101);
	REJECTS(check_create, buf, "'datasetIds'");
	sprintf(buf, "{'name':'x','glossaryIds':%s}", a101);
	REJECTS(check_create, buf, "'glossaryIds'");
	free(buf);
	free(a100);
	free(a101);
}

static void create_requires_api_consumable_subset(void **state)
{
	(void)state;
	ACCEPTS(check_create,
		"{'name':'x','datasetIds':['" D1 "','" D2 "'],'apiConsumableDatasetIds':['" D2 "']}");
	REJECTS(check_create,
		"{'name':'x','datasetIds':['" D1 "'],'apiConsumableDatasetIds':['" D2 "']}",
		"'apiConsumableDatasetIds' contains '" D2 "'");
	REJECTS(check_create, "{'name':'x','apiConsumableDatasetIds':['" D1 "']}",
			      "'apiConsumableDatasetIds'");
	REJECTS(check_create, "{'name':'x','datasetIds':null,'apiConsumableDatasetIds':['" D1 "']}",
			      "'apiConsumableDatasetIds'");
}

static void create_checks_key_contacts(void **state)
{
	(void)state;
	REJECTS(check_create, "{'name':'x','keyContacts':[{'role':'owner'}]}",
			      "'keyContacts[0]': 'userId' is required");
	REJECTS(check_create,
		"{'name':'x','keyContacts':[{'userId':'" U1 "'},{'userId':'" U1 "','role':'r'}]}",
		"'keyContacts' lists user '" U1 "' more than once");
	REJECTS(check_create, "{'name':'x','keyContacts':[{'userId':'bob'}]}", "'keyContacts[0]'");
	REJECTS(check_create, "{'name':'x','keyContacts':{'userId':'" U1 "'}}", "'keyContacts'");
}

/* ---- product_new -------------------------------------------------------- */

static json_t *new_product(const char *body_text, json_t **changes)
{
	json_t *b = tj(body_text);
	if (check_create(body_text) != 0)
		fail_msg("test body invalid: %s", test_err);
	json_t *doc = product_new(b, PID, &who0, changes);
	json_decref(b);
	assert_non_null(doc);
	assert_non_null(*changes);
	return doc;
}

/* Asserts the fields product_new sets itself for product PID created by who0. */
static void assert_server_fields(const json_t *doc)
{
	assert_string_equal(sget(doc, "id"), PID);
	assert_string_equal(sget(doc, "mainId"), PID);
	assert_string_equal(sget(doc, "qri"), "qri:dataproduct:" TEN ":" PID);
	assert_string_equal(sget(doc, "tenantId"), TEN);
	assert_string_equal(sget(doc, "ownerId"), U1);
	assert_string_equal(sget(doc, "createdAt"), T0);
	assert_string_equal(sget(doc, "createdBy"), U1);
	assert_string_equal(sget(doc, "updatedAt"), T0);
	assert_string_equal(sget(doc, "updatedBy"), U1);
	assert_true(json_is_false(json_object_get(doc, "activated")));
	assert_json(json_object_get(doc, "activatedOn"), "[]");
	assert_json(json_object_get(doc, "pendingChangesCount"), "0");
	assert_null(json_object_get(doc, "activatedAt"));
	assert_null(json_object_get(doc, "quality"));
	assert_null(json_object_get(doc, "trustScore"));
}

static void new_stamps_server_fields(void **state)
{
	(void)state;
	json_t *ch;
	json_t *doc = new_product("{'name':'x'}", &ch);
	assert_server_fields(doc);
	DECREF(doc, ch);
}

static void new_never_takes_server_fields_from_body(void **state)
{
	(void)state;
	json_t *ch;
	json_t *doc = new_product("{'name':'x','id':'" D1 "','mainId':'" D2 "','qri':'qri:evil',"
				  "'tenantId':'t2','ownerId':'" U2 "','createdAt':'" T2 "',"
				  "'createdBy':'" U2 "','updatedAt':'" T2 "','updatedBy':'" U2 "',"
				  "'activated':true,'activatedAt':'" T2 "','activatedOn':['" S1 "'],"
				  "'quality':{'validity':1},'trustScore':{'score':1},"
				  "'pendingChangesCount':9}",
				  &ch);
	assert_server_fields(doc);
	assert_json(ch, "[{'operator':'add','path':'/name','value':'x'}]");
	DECREF(doc, ch);
}

static void new_trims_name(void **state)
{
	(void)state;
	json_t *ch;
	json_t *doc = new_product("{'name':' \\t My Product \\r\\n'}", &ch);
	assert_string_equal(sget(doc, "name"), "My Product");
	assert_json(ch, "[{'operator':'add','path':'/name','value':'My Product'}]");
	DECREF(doc, ch);
}

static void new_always_has_arrays(void **state)
{
	(void)state;
	static const char *const arrays[] = {"tags", "datasetIds", "glossaryIds",
					     "apiConsumableDatasetIds", "keyContacts", "activatedOn"};
	static const char *const bodies[] = {
		"{'name':'x'}",
		"{'name':'x','tags':null,'datasetIds':null,'glossaryIds':null,"
		"'apiConsumableDatasetIds':null,'keyContacts':null}",
	};
	for (size_t b = 0; b < 2; b++) {
		json_t *ch;
		json_t *doc = new_product(bodies[b], &ch);
		for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
			json_t *a = json_object_get(doc, arrays[i]);
			if (!json_is_array(a) || json_array_size(a) != 0)
				fail_msg("body %zu: '%s' is not []", b, arrays[i]);
		}
		DECREF(doc, ch);
	}
}

static void new_omits_absent_or_null_scalars(void **state)
{
	(void)state;
	json_t *ch;
	json_t *doc = new_product("{'name':'x','description':null,'readMe':null,'spaceId':null}", &ch);
	assert_null(json_object_get(doc, "description"));
	assert_null(json_object_get(doc, "readMe"));
	assert_null(json_object_get(doc, "spaceId"));
	assert_int_equal(json_array_size(ch), 1);
	DECREF(doc, ch);
}

static void new_copies_fields_and_records_one_add_per_field(void **state)
{
	(void)state;
	json_t *ch;
	json_t *doc = new_product(
		"{'name':'Sales','description':'d','readMe':'# r','spaceId':'" S1 "',"
		"'tags':['a'],'datasetIds':['" D1 "','" D2 "'],'glossaryIds':['" D3 "'],"
		"'apiConsumableDatasetIds':['" D2 "'],'keyContacts':[{'userId':'" U1 "','role':'o'}]}",
		&ch);
	assert_string_equal(sget(doc, "description"), "d");
	assert_string_equal(sget(doc, "readMe"), "# r");
	assert_string_equal(sget(doc, "spaceId"), S1);
	assert_json(json_object_get(doc, "datasetIds"), "['" D1 "','" D2 "']");
	assert_json(json_object_get(doc, "keyContacts"), "[{'userId':'" U1 "','role':'o'}]");
	assert_json(ch, "[{'operator':'add','path':'/name','value':'Sales'},"
			"{'operator':'add','path':'/description','value':'d'},"
			"{'operator':'add','path':'/readMe','value':'# r'},"
			"{'operator':'add','path':'/spaceId','value':'" S1 "'},"
			"{'operator':'add','path':'/tags','value':['a']},"
			"{'operator':'add','path':'/datasetIds','value':['" D1 "','" D2 "']},"
			"{'operator':'add','path':'/glossaryIds','value':['" D3 "']},"
			"{'operator':'add','path':'/apiConsumableDatasetIds','value':['" D2 "']},"
			"{'operator':'add','path':'/keyContacts','value':[{'userId':'" U1 "','role':'o'}]}]");
	DECREF(doc, ch);
}

static void new_drops_null_contact_roles(void **state)
{
	(void)state;
	json_t *ch;
	json_t *doc = new_product("{'name':'x','keyContacts':[{'userId':'" U1 "','role':null},"
				  "{'userId':'" U2 "','role':'r'}]}",
				  &ch);
	assert_json(json_object_get(doc, "keyContacts"),
		    "[{'userId':'" U1 "'},{'userId':'" U2 "','role':'r'}]");
	assert_json(json_array_get(ch, 1), "{'operator':'add','path':'/keyContacts','value':"
					   "[{'userId':'" U1 "'},{'userId':'" U2 "','role':'r'}]}");
	DECREF(doc, ch);
}

static void new_records_no_add_for_empty_arrays(void **state)
{
	(void)state;
	json_t *ch;
	json_t *doc = new_product("{'name':'x','tags':[],'datasetIds':[],'glossaryIds':[],"
				  "'apiConsumableDatasetIds':[],'keyContacts':[],'description':''}",
				  &ch);
	/* "" is present and not an array, so it is recorded; [] are not */
	assert_json(ch, "[{'operator':'add','path':'/name','value':'x'},"
			"{'operator':'add','path':'/description','value':''}]");
	DECREF(doc, ch);
}

/* ---- product_patch_validate --------------------------------------------- */

static int check_patch(const char *text) { return tj_check(text, product_patch_validate); }

#define OP(path, value) "{'op':'replace','path':'" path "','value':" value "}"

static void patch_accepts_every_patchable_path(void **state)
{
	(void)state;
	ACCEPTS(check_patch, "[" OP("/name", "'n'") "]");
	ACCEPTS(check_patch,
		"[" OP("/description", "'d'") "," OP("/readMe", "'r'") "," OP("/tags", "['a']") ","
		OP("/datasetIds", "['" D1 "']") "," OP("/glossaryIds", "['" D2 "']") ","
		OP("/apiConsumableDatasetIds", "['" D1 "']") ","
		OP("/keyContacts", "[{'userId':'" U1 "','role':'x'}]") "]");
}

static void patch_rejects_non_array(void **state)
{
	(void)state;
	REJECTS(check_patch, OP("/name", "'n'"), "array");
	REJECTS(check_patch, "null", "array");
}

static void patch_rejects_zero_ops(void **state)
{
	(void)state;
	REJECTS(check_patch, "[]", "1 to 8");
}

static void patch_allows_eight_rejects_nine_ops(void **state)
{
	(void)state;
	char buf[1024] = "[";
	for (int i = 0; i < 9; i++) {
		if (i == 8) {
			strcat(buf, "]");
			ACCEPTS(check_patch, buf);
			buf[strlen(buf) - 1] = '\0';
		}
		strcat(buf, i ? "," OP("/name", "'n'") : OP("/name", "'n'"));
	}
	strcat(buf, "]");
	REJECTS(check_patch, buf, "got 9");
}

static void patch_rejects_non_object_op(void **state)
{
	(void)state;
	REJECTS(check_patch, "[" OP("/name", "'n'") ",'replace']", "'/1'");
}

static void patch_rejects_ops_other_than_replace(void **state)
{
	(void)state;
	REJECTS(check_patch, "[{'op':'add','path':'/name','value':'n'}]",
			     "op 'add' is not supported");
	REJECTS(check_patch, "[{'op':'remove','path':'/description'}]", "'remove'");
	REJECTS(check_patch, "[{'op':'test','path':'/name','value':'n'}]", "'test'");
	REJECTS(check_patch, "[" OP("/name", "'n'") ",{'op':'move','path':'/name','value':'n'}]",
			     "operation /1");
	REJECTS(check_patch, "[{'op':'REPLACE','path':'/name','value':'n'}]", "'REPLACE'");
}

static void patch_requires_op_and_path_strings(void **state)
{
	(void)state;
	REJECTS(check_patch, "[{'path':'/name','value':'n'}]", "'op' is required");
	REJECTS(check_patch, "[{'op':'replace','value':'n'}]", "'path' is required");
	REJECTS(check_patch, "[{'op':5,'path':'/name','value':'n'}]", "'op'");
	REJECTS(check_patch, "[{'op':'replace','path':null,'value':'n'}]", "'path'");
}

static void patch_rejects_bad_paths(void **state)
{
	(void)state;
	static const char *const paths[] = {"/id",     "/spaceId", "/activated", "/ownerId",
					    "name",    "/Name",    "/name/0",    "/tags/0",
					    "",        "/",        "/name ",     "/keyContacts/0/role"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		json_t *ops = json_pack("[{s:s, s:s, s:s}]", "op", "replace", "path", paths[i],
					"value", "v");
		if (product_patch_validate(ops, test_err, sizeof test_err) != -1)
			fail_msg("accepted path '%s'", paths[i]);
		char needle[80];
		snprintf(needle, sizeof needle, "path '%s'", paths[i]);
		if (!strstr(test_err, needle))
			fail_msg("detail '%s' lacks \"%s\"", test_err, needle);
		json_decref(ops);
	}
}

/* RFC 6902 §4: members an operation does not define are ignored. */
static void patch_ignores_undefined_op_members(void **state)
{
	(void)state;
	ACCEPTS(check_patch,
		"[{'op':'replace','path':'/name','value':'n','from':'/description','x':[1]}]");
}

static void patch_requires_value(void **state)
{
	(void)state;
	REJECTS(check_patch, "[{'op':'replace','path':'/description'}]", "'value' is required");
	REJECTS(check_patch, "[{'op':'replace','path':'/tags'}]", "'/tags'");
}

static void patch_checks_value_types(void **state)
{
	(void)state;
	REJECTS(check_patch, "[" OP("/name", "5") "]", "'name' must be a string");
	REJECTS(check_patch, "[" OP("/name", "'  '") "]", "'name' must not be empty");
	REJECTS(check_patch, "[" OP("/description", "[]") "]", "'description'");
	REJECTS(check_patch, "[" OP("/readMe", "{}") "]", "'readMe'");
	REJECTS(check_patch, "[" OP("/tags", "'a'") "]", "'tags'");
	REJECTS(check_patch, "[" OP("/tags", "['a','a']") "]", "'tags'");
	REJECTS(check_patch, "[" OP("/datasetIds", "['" D1 "','X']") "]", "'datasetIds[1]'");
	REJECTS(check_patch, "[" OP("/glossaryIds", "'" D1 "'") "]", "'glossaryIds'");
	REJECTS(check_patch, "[" OP("/apiConsumableDatasetIds", "[1]") "]",
			     "'apiConsumableDatasetIds[0]'");
	REJECTS(check_patch, "[" OP("/keyContacts", "[{'role':'r'}]") "]", "'keyContacts[0]'");
	REJECTS(check_patch, "[" OP("/name", "'n'") "," OP("/keyContacts", "true") "]",
			     "operation /1");
}

static void patch_name_length_limit(void **state)
{
	(void)state;
	char name[300];
	memset(name, 'n', 257);
	name[257] = '\0';
	json_t *ops = json_pack("[{s:s, s:s, s:s}]", "op", "replace", "path", "/name", "value", name);
	assert_int_equal(product_patch_validate(ops, test_err, sizeof test_err), -1);
	assert_non_null(strstr(test_err, "'name'"));
	json_decref(ops);
	name[256] = '\0';
	ops = json_pack("[{s:s, s:s, s:s}]", "op", "replace", "path", "/name", "value", name);
	assert_int_equal(product_patch_validate(ops, test_err, sizeof test_err), 0);
	json_decref(ops);
}

static void patch_rejects_null_name(void **state)
{
	(void)state;
	REJECTS(check_patch, "[" OP("/name", "null") "]", "'name' must not be null");
}

static void patch_accepts_null_for_clearable_paths(void **state)
{
	(void)state;
	ACCEPTS(check_patch,
		"[" OP("/description", "null") "," OP("/readMe", "null") "," OP("/tags", "null") ","
		OP("/datasetIds", "null") "," OP("/glossaryIds", "null") ","
		OP("/apiConsumableDatasetIds", "null") "," OP("/keyContacts", "null") "]");
}

/* ---- product_patch_apply ------------------------------------------------- */

static json_t *base_doc(void)
{
	json_t *ch;
	json_t *doc = new_product("{'name':'P','description':'d','tags':['a'],"
				  "'datasetIds':['" D1 "','" D2 "'],'apiConsumableDatasetIds':['" D1 "'],"
				  "'keyContacts':[{'userId':'" U1 "','role':'owner'}]}",
				  &ch);
	json_decref(ch);
	return doc;
}

/* Validates and applies ops (text); returns the result (NULL on failure). */
static json_t *apply(const json_t *doc, const char *ops_text, json_t **changes)
{
	json_t *ops = tj(ops_text);
	if (product_patch_validate(ops, test_err, sizeof test_err) != 0)
		fail_msg("test patch invalid: %s", test_err);
	test_err[0] = '\0';
	json_t *out = product_patch_apply(doc, ops, changes, test_err, sizeof test_err);
	json_decref(ops);
	return out;
}

static void apply_records_real_change(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc, "[" OP("/name", "'Q'") "]", &ch);
	assert_non_null(out);
	assert_string_equal(sget(out, "name"), "Q");
	assert_json(ch, "[{'operator':'replace','path':'/name','value':'Q'}]");
	DECREF(out, ch, doc);
}

static void apply_records_nothing_for_same_values(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc,
			    "[" OP("/name", "'P'") "," OP("/description", "'d'") "," OP("/tags", "['a']") ","
			    OP("/datasetIds", "['" D1 "','" D2 "']") "," OP("/glossaryIds", "[]") ","
			    OP("/readMe", "null") ","
			    OP("/keyContacts", "[{'role':'owner','userId':'" U1 "'}]") "]",
			    &ch);
	assert_non_null(out);
	assert_int_equal(json_array_size(ch), 0);
	assert_true(json_equal(out, doc));
	DECREF(out, ch, doc);
}

static void apply_trims_name_before_comparing(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc, "[" OP("/name", "'  P \\t'") "]", &ch);
	assert_non_null(out);
	assert_string_equal(sget(out, "name"), "P");
	assert_int_equal(json_array_size(ch), 0);
	DECREF(out, ch);
	out = apply(doc, "[" OP("/name", "'  R  '") "]", &ch);
	assert_string_equal(sget(out, "name"), "R");
	assert_json(ch, "[{'operator':'replace','path':'/name','value':'R'}]");
	DECREF(out, ch, doc);
}

static void apply_null_removes_description_and_readme(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_object_set_new(doc, "readMe", json_string("# hi"));
	json_t *out = apply(doc, "[" OP("/description", "null") "," OP("/readMe", "null") "]", &ch);
	assert_non_null(out);
	assert_null(json_object_get(out, "description"));
	assert_null(json_object_get(out, "readMe"));
	assert_json(ch, "[{'operator':'replace','path':'/description','value':null},"
			"{'operator':'replace','path':'/readMe','value':null}]");
	DECREF(out, ch, doc);
}

static void apply_null_on_absent_field_is_no_change(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	assert_null(json_object_get(doc, "readMe"));
	json_t *out = apply(doc, "[" OP("/readMe", "null") "]", &ch);
	assert_non_null(out);
	assert_null(json_object_get(out, "readMe"));
	assert_int_equal(json_array_size(ch), 0);
	DECREF(out, ch, doc);
}

static void apply_sets_absent_field(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc, "[" OP("/readMe", "'## R'") "]", &ch);
	assert_string_equal(sget(out, "readMe"), "## R");
	assert_json(ch, "[{'operator':'replace','path':'/readMe','value':'## R'}]");
	DECREF(out, ch, doc);
}

static void apply_null_array_becomes_empty_array(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc, "[" OP("/tags", "null") "," OP("/keyContacts", "null") ","
				 OP("/glossaryIds", "null") "]",
			    &ch);
	assert_non_null(out);
	assert_json(json_object_get(out, "tags"), "[]");
	assert_json(json_object_get(out, "keyContacts"), "[]");
	assert_json(json_object_get(out, "glossaryIds"), "[]");
	/* glossaryIds was already [] -> no change for it */
	assert_json(ch, "[{'operator':'replace','path':'/tags','value':[]},"
			"{'operator':'replace','path':'/keyContacts','value':[]}]");
	DECREF(out, ch, doc);
}

static void apply_subset_violation_fails_and_leaves_input(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *before = json_deep_copy(doc);
	json_t *ch = (json_t *)1;
	json_t *out = apply(doc, "[" OP("/name", "'Z'") "," OP("/datasetIds", "['" D2 "']") "]", &ch);
	assert_null(out);
	assert_null(ch);
	assert_non_null(strstr(test_err, "'apiConsumableDatasetIds'"));
	assert_non_null(strstr(test_err, D1));
	assert_true(json_equal(doc, before));
	DECREF(before, doc);
}

static void apply_never_modifies_input(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *before = json_deep_copy(doc), *ch;
	json_t *out = apply(doc, "[" OP("/name", "'Z'") "," OP("/description", "null") ","
				 OP("/tags", "['x','y']") "]",
			    &ch);
	assert_non_null(out);
	assert_ptr_not_equal(out, doc);
	assert_true(json_equal(doc, before));
	assert_int_equal(json_array_size(ch), 3);
	DECREF(out, ch, before, doc);
}

static void apply_checks_subset_on_final_result(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	/* after op 0 the subset rule is broken; op 1 repairs it */
	json_t *out = apply(doc, "[" OP("/apiConsumableDatasetIds", "['" D3 "']") ","
				 OP("/datasetIds", "['" D3 "']") "]",
			    &ch);
	assert_non_null(out);
	assert_json(json_object_get(out, "datasetIds"), "['" D3 "']");
	assert_json(json_object_get(out, "apiConsumableDatasetIds"), "['" D3 "']");
	assert_int_equal(json_array_size(ch), 2);
	DECREF(out, ch, doc);
}

static void apply_clearing_datasets_needs_clearing_api_consumable(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc, "[" OP("/datasetIds", "null") "]", &ch);
	assert_null(out);
	assert_null(ch);
	out = apply(doc, "[" OP("/datasetIds", "null") "," OP("/apiConsumableDatasetIds", "null") "]",
		    &ch);
	assert_non_null(out);
	assert_json(json_object_get(out, "datasetIds"), "[]");
	assert_json(json_object_get(out, "apiConsumableDatasetIds"), "[]");
	DECREF(out, ch, doc);
}

static void apply_ops_on_one_path_run_in_order(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc, "[" OP("/name", "'A'") "," OP("/name", "'B'") "]", &ch);
	assert_string_equal(sget(out, "name"), "B");
	assert_json(ch, "[{'operator':'replace','path':'/name','value':'A'},"
			"{'operator':'replace','path':'/name','value':'B'}]");
	DECREF(out, ch);
	/* repeating the value the previous op set is not a second change */
	out = apply(doc, "[" OP("/tags", "['z']") "," OP("/tags", "['z']") "]", &ch);
	assert_json(json_object_get(out, "tags"), "['z']");
	assert_json(ch, "[{'operator':'replace','path':'/tags','value':['z']}]");
	DECREF(out, ch, doc);
}

static void apply_drops_null_contact_roles(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	/* same contact without role: a real change, role is gone */
	json_t *out = apply(doc, "[" OP("/keyContacts", "[{'userId':'" U1 "','role':null}]") "]", &ch);
	assert_json(json_object_get(out, "keyContacts"), "[{'userId':'" U1 "'}]");
	assert_json(ch, "[{'operator':'replace','path':'/keyContacts','value':[{'userId':'" U1 "'}]}]");
	json_decref(ch);
	/* and then null role again equals the stored contact: no change */
	json_t *out2 = apply(out, "[" OP("/keyContacts", "[{'userId':'" U1 "','role':null}]") "]", &ch);
	assert_int_equal(json_array_size(ch), 0);
	DECREF(ch, out2, out, doc);
}

static void apply_change_values_are_copies(void **state)
{
	(void)state;
	json_t *doc = base_doc(), *ch;
	json_t *out = apply(doc, "[" OP("/tags", "['q']") "]", &ch);
	json_array_append_new(json_object_get(out, "tags"), json_string("mutated"));
	assert_json(ch, "[{'operator':'replace','path':'/tags','value':['q']}]");
	DECREF(out, ch, doc);
}

/* ---- product_touch -------------------------------------------------------- */

static void touch_moves_updated_and_keeps_pending_when_inactive(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	product_touch(doc, &who1, 3);
	assert_string_equal(sget(doc, "updatedAt"), T1);
	assert_string_equal(sget(doc, "updatedBy"), U2);
	assert_string_equal(sget(doc, "createdAt"), T0);
	assert_json(json_object_get(doc, "pendingChangesCount"), "0");
	json_decref(doc);
}

static void touch_grows_pending_when_active(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_object_set_new(doc, "activated", json_true());
	product_touch(doc, &who1, 2);
	assert_json(json_object_get(doc, "pendingChangesCount"), "2");
	product_touch(doc, &who2, 3);
	assert_json(json_object_get(doc, "pendingChangesCount"), "5");
	product_touch(doc, &who2, 0);
	assert_json(json_object_get(doc, "pendingChangesCount"), "5");
	assert_string_equal(sget(doc, "updatedAt"), T2);
	json_decref(doc);
}

/* ---- product_activation_problems ------------------------------------------ */

static int problems(const char *doc_text, const char *missing_text)
{
	json_t *doc = tj(doc_text);
	json_t *missing = missing_text ? tj(missing_text) : NULL;
	memset(test_err, 'Z', sizeof test_err);
	int rc = product_activation_problems(doc, missing, test_err, sizeof test_err);
	DECREF(doc, missing);
	return rc;
}

#define KC "'keyContacts':[{'userId':'" U1 "'}]"

static void activatable_product_has_no_problems(void **state)
{
	(void)state;
	assert_int_equal(problems("{'datasetIds':['" D1 "'],'apiConsumableDatasetIds':['" D1 "']," KC "}",
				  "[]"),
			 0);
	assert_string_equal(test_err, "");
	assert_int_equal(problems("{'datasetIds':['" D1 "'],'apiConsumableDatasetIds':[]," KC "}", NULL), 0);
	assert_string_equal(test_err, "");
}

static void problem_no_datasets_alone(void **state)
{
	(void)state;
	assert_int_equal(problems("{'datasetIds':[],'apiConsumableDatasetIds':[]," KC "}", "[]"), -1);
	assert_non_null(strstr(test_err, "no data sets"));
	assert_int_equal(count_of(test_err, "; "), 0);
}

static void problem_missing_dataset_alone(void **state)
{
	(void)state;
	assert_int_equal(problems("{'datasetIds':['" D1 "','" D2 "'],'apiConsumableDatasetIds':[]," KC "}",
				  "['" D2 "']"),
			 -1);
	assert_non_null(strstr(test_err, "data set '" D2 "'"));
	assert_non_null(strstr(test_err, "no longer exists"));
	assert_null(strstr(test_err, D1));
	assert_int_equal(count_of(test_err, "; "), 0);
}

static void problem_every_missing_dataset_listed(void **state)
{
	(void)state;
	assert_int_equal(problems("{'datasetIds':['" D1 "','" D2 "'],'apiConsumableDatasetIds':[]," KC "}",
				  "['" D1 "','" D2 "']"),
			 -1);
	assert_non_null(strstr(test_err, D1));
	assert_non_null(strstr(test_err, D2));
	assert_int_equal(count_of(test_err, "; "), 1);
}

static void problem_api_consumable_not_subset_alone(void **state)
{
	(void)state;
	assert_int_equal(problems("{'datasetIds':['" D1 "'],'apiConsumableDatasetIds':['" D3 "']," KC "}",
				  "[]"),
			 -1);
	assert_non_null(strstr(test_err, "'apiConsumableDatasetIds'"));
	assert_non_null(strstr(test_err, D3));
	assert_int_equal(count_of(test_err, "; "), 0);
}

static void problem_no_key_contacts_alone(void **state)
{
	(void)state;
	assert_int_equal(problems("{'datasetIds':['" D1 "'],'apiConsumableDatasetIds':[],'keyContacts':[]}",
				  "[]"),
			 -1);
	assert_non_null(strstr(test_err, "no key contacts"));
	assert_int_equal(count_of(test_err, "; "), 0);
	assert_int_equal(problems("{'datasetIds':['" D1 "']}", NULL), -1);
	assert_non_null(strstr(test_err, "no key contacts"));
}

static void all_problems_in_one_message(void **state)
{
	(void)state;
	assert_int_equal(problems("{'datasetIds':[],'apiConsumableDatasetIds':['" D3 "'],'keyContacts':[]}",
				  "['" D1 "']"),
			 -1);
	assert_non_null(strstr(test_err, "no data sets"));
	assert_non_null(strstr(test_err, "data set '" D1 "'"));
	assert_non_null(strstr(test_err, "'apiConsumableDatasetIds'"));
	assert_non_null(strstr(test_err, "no key contacts"));
	assert_int_equal(count_of(test_err, "; "), 3);
	/* the missing-data-set case together with the others */
	assert_int_equal(problems("{'datasetIds':['" D1 "'],'apiConsumableDatasetIds':['" D3 "'],"
				  "'keyContacts':[]}",
				  "['" D1 "']"),
			 -1);
	assert_int_equal(count_of(test_err, "; "), 2);
	assert_null(strstr(test_err, "no data sets"));
}

static void problems_truncate_safely_in_small_buffer(void **state)
{
	(void)state;
	json_t *doc = tj("{'datasetIds':[],'apiConsumableDatasetIds':['" D3 "'],'keyContacts':[]}");
	json_t *missing = tj("['" D1 "','" D2 "']");
	char small[40];
	memset(small, 'Z', sizeof small);
	assert_int_equal(product_activation_problems(doc, missing, small, sizeof small), -1);
	assert_true(memchr(small, '\0', sizeof small) != NULL);
	assert_true(strlen(small) < sizeof small);
	DECREF(missing, doc);
}

/* The return value says whether the product can be activated; it must not
 * depend on how much of the text fits. */
static void problems_reported_even_when_buffer_is_tiny(void **state)
{
	(void)state;
	json_t *doc = tj("{'datasetIds':[],'keyContacts':[]}");
	int wrong = 0;
	for (size_t cap = 1; cap <= 4; cap++) {
		char tiny[4];
		if (product_activation_problems(doc, NULL, tiny, cap) != -1) {
			print_error("errlen %zu: product with no data sets reported as activatable\n",
				    cap);
			wrong++;
		}
	}
	json_decref(doc);
	assert_int_equal(wrong, 0);
}

/* ---- product_activate --------------------------------------------------- */

static json_t *activate(json_t *doc, const char *body_text, const char *target,
			const struct product_actor *who)
{
	json_t *b = tj(body_text);
	char e[256];
	if (jsonspec_check(b, product_activate_spec, e, sizeof e) != 0)
		fail_msg("test activation body invalid: %s", e);
	json_t *ch = product_activate(doc, b, target, who);
	json_decref(b);
	assert_non_null(ch);
	return ch;
}

static void activate_personal_with_same_name(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *ch = activate(doc, "{'name':'P'}", NULL, &who1);
	assert_json(ch, "[{'operator':'add','path':'/activatedOn','value':['personal']}]");
	assert_true(json_is_true(json_object_get(doc, "activated")));
	assert_string_equal(sget(doc, "activatedAt"), T1);
	assert_json(json_object_get(doc, "activatedOn"), "['personal']");
	assert_json(json_object_get(doc, "pendingChangesCount"), "0");
	assert_string_equal(sget(doc, "updatedAt"), T1);
	assert_string_equal(sget(doc, "updatedBy"), U2);
	assert_string_equal(sget(doc, "description"), "d"); /* not in body: kept */
	assert_json(json_object_get(doc, "tags"), "['a']");
	assert_null(json_object_get(doc, "spaceId"));
	DECREF(ch, doc);
}

static void activate_applies_body_and_target_space(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *ch = activate(doc, "{'name':'  New ','description':'e','tags':['b','c']}", S1, &who1);
	assert_json(ch, "[{'operator':'replace','path':'/name','value':'New'},"
			"{'operator':'replace','path':'/description','value':'e'},"
			"{'operator':'replace','path':'/tags','value':['b','c']},"
			"{'operator':'replace','path':'/spaceId','value':'" S1 "'},"
			"{'operator':'add','path':'/activatedOn','value':['" S1 "']}]");
	assert_string_equal(sget(doc, "name"), "New");
	assert_string_equal(sget(doc, "description"), "e");
	assert_json(json_object_get(doc, "tags"), "['b','c']");
	assert_string_equal(sget(doc, "spaceId"), S1);
	assert_json(json_object_get(doc, "activatedOn"), "['" S1 "']");
	DECREF(ch, doc);
}

static void activate_null_description_and_tags_clear_them(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *ch = activate(doc, "{'name':'P','description':null,'tags':null}", NULL, &who1);
	assert_null(json_object_get(doc, "description"));
	assert_json(json_object_get(doc, "tags"), "[]");
	assert_json(ch, "[{'operator':'replace','path':'/description','value':null},"
			"{'operator':'replace','path':'/tags','value':[]},"
			"{'operator':'add','path':'/activatedOn','value':['personal']}]");
	DECREF(ch, doc);
}

static void activate_in_current_space_without_target(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_object_set_new(doc, "spaceId", json_string(S2));
	json_t *ch = activate(doc, "{'name':'P'}", NULL, &who1);
	assert_json(json_object_get(doc, "activatedOn"), "['" S2 "']");
	assert_json(ch, "[{'operator':'add','path':'/activatedOn','value':['" S2 "']}]");
	json_decref(ch);
	/* target equal to the current space: no /spaceId change */
	ch = activate(doc, "{'name':'P'}", S2, &who2);
	assert_json(ch, "[{'operator':'add','path':'/activatedOn','value':['" S2 "']}]");
	DECREF(ch, doc);
}

static void reactivate_resets_pending_changes(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *ch = activate(doc, "{'name':'P'}", NULL, &who1);
	json_decref(ch);
	product_touch(doc, &who1, 4);
	assert_json(json_object_get(doc, "pendingChangesCount"), "4");
	ch = activate(doc, "{'name':'P2'}", S1, &who2);
	assert_json(json_object_get(doc, "pendingChangesCount"), "0");
	assert_string_equal(sget(doc, "activatedAt"), T2);
	assert_json(json_object_get(doc, "activatedOn"), "['" S1 "']");
	assert_int_equal(json_array_size(ch), 3); /* name, spaceId, activatedOn */
	DECREF(ch, doc);
}

/* ---- product_deactivate -------------------------------------------------- */

static void deactivate_removes_activated_on_and_keeps_activated_at(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *ch = activate(doc, "{'name':'P'}", S1, &who1);
	json_decref(ch);
	product_touch(doc, &who1, 2);
	ch = product_deactivate(doc, &who2);
	assert_json(ch, "[{'operator':'remove','path':'/activatedOn','value':['" S1 "']}]");
	assert_true(json_is_false(json_object_get(doc, "activated")));
	assert_json(json_object_get(doc, "activatedOn"), "[]");
	assert_string_equal(sget(doc, "activatedAt"), T1);
	assert_json(json_object_get(doc, "pendingChangesCount"), "0");
	assert_string_equal(sget(doc, "updatedAt"), T2);
	assert_string_equal(sget(doc, "updatedBy"), U2);
	assert_string_equal(sget(doc, "spaceId"), S1);
	DECREF(ch, doc);
}

/* ---- product_move --------------------------------------------------------- */

static void move_to_same_space_is_noop(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_object_set_new(doc, "spaceId", json_string(S1));
	json_t *before = json_deep_copy(doc);
	json_t *ch = product_move(doc, S1, &who1);
	assert_non_null(ch);
	assert_int_equal(json_array_size(ch), 0);
	assert_true(json_equal(doc, before));
	DECREF(ch, before, doc);
}

static void move_to_other_space_records_replace(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_object_set_new(doc, "spaceId", json_string(S1));
	json_t *ch = product_move(doc, S2, &who1);
	assert_json(ch, "[{'operator':'replace','path':'/spaceId','value':'" S2 "'}]");
	assert_string_equal(sget(doc, "spaceId"), S2);
	assert_string_equal(sget(doc, "updatedAt"), T1);
	assert_string_equal(sget(doc, "updatedBy"), U2);
	DECREF(ch, doc);
}

static void move_out_of_personal_area(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *ch = product_move(doc, S2, &who1);
	assert_json(ch, "[{'operator':'replace','path':'/spaceId','value':'" S2 "'}]");
	assert_string_equal(sget(doc, "spaceId"), S2);
	DECREF(ch, doc);
}

static void move_of_active_product_counts_pending_change(void **state)
{
	(void)state;
	json_t *doc = base_doc();
	json_t *ch = activate(doc, "{'name':'P'}", S1, &who1);
	json_decref(ch);
	ch = product_move(doc, S2, &who2);
	assert_int_equal(json_array_size(ch), 1);
	assert_json(json_object_get(doc, "pendingChangesCount"), "1");
	json_decref(ch);
	ch = product_move(doc, S2, &who2);
	assert_int_equal(json_array_size(ch), 0);
	assert_json(json_object_get(doc, "pendingChangesCount"), "1");
	DECREF(ch, doc);
}

/* ---- changelog helpers ------------------------------------------------------ */

static void changelog_entry_has_all_fields_and_steals_changes(void **state)
{
	(void)state;
	json_t *changes = json_array(), *v = json_string("N");
	changelog_add_change(changes, "replace", "/name", v);
	json_decref(v);
	json_t *entry = changelog_entry_new(D3, &who1, changes); /* steals changes */
	assert_non_null(entry);
	assert_string_equal(sget(entry, "id"), D3);
	assert_string_equal(sget(entry, "createdAt"), T1);
	assert_string_equal(sget(entry, "createdBy"), U2);
	assert_ptr_equal(json_object_get(entry, "changes"), changes);
	assert_int_equal(json_object_size(entry), 4);
	json_decref(entry);
}

static void changelog_add_change_copies_value_and_maps_null(void **state)
{
	(void)state;
	json_t *changes = json_array();
	json_t *v = tj("['a']");
	changelog_add_change(changes, "add", "/tags", v);
	json_array_append_new(v, json_string("b"));
	changelog_add_change(changes, "remove", "/description", NULL);
	assert_json(changes, "[{'operator':'add','path':'/tags','value':['a']},"
			     "{'operator':'remove','path':'/description','value':null}]");
	DECREF(v, changes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_accepts_minimal_and_full_bodies),
		cmocka_unit_test(create_requires_name),
		cmocka_unit_test(create_name_limit_is_256_code_points),
		cmocka_unit_test(create_name_limit_applies_after_trimming),
		cmocka_unit_test(create_rejects_unknown_field),
		cmocka_unit_test(create_ignores_server_owned_fields),
		cmocka_unit_test(create_checks_field_types),
		cmocka_unit_test(create_description_limit),
		cmocka_unit_test(create_rejects_duplicates_in_sets),
		cmocka_unit_test(create_limits_id_arrays_to_100),
		cmocka_unit_test(create_requires_api_consumable_subset),
		cmocka_unit_test(create_checks_key_contacts),
		cmocka_unit_test(new_stamps_server_fields),
		cmocka_unit_test(new_never_takes_server_fields_from_body),
		cmocka_unit_test(new_trims_name),
		cmocka_unit_test(new_always_has_arrays),
		cmocka_unit_test(new_omits_absent_or_null_scalars),
		cmocka_unit_test(new_copies_fields_and_records_one_add_per_field),
		cmocka_unit_test(new_drops_null_contact_roles),
		cmocka_unit_test(new_records_no_add_for_empty_arrays),
		cmocka_unit_test(patch_accepts_every_patchable_path),
		cmocka_unit_test(patch_rejects_non_array),
		cmocka_unit_test(patch_rejects_zero_ops),
		cmocka_unit_test(patch_allows_eight_rejects_nine_ops),
		cmocka_unit_test(patch_rejects_non_object_op),
		cmocka_unit_test(patch_rejects_ops_other_than_replace),
		cmocka_unit_test(patch_requires_op_and_path_strings),
		cmocka_unit_test(patch_rejects_bad_paths),
		cmocka_unit_test(patch_ignores_undefined_op_members),
		cmocka_unit_test(patch_requires_value),
		cmocka_unit_test(patch_checks_value_types),
		cmocka_unit_test(patch_name_length_limit),
		cmocka_unit_test(patch_rejects_null_name),
		cmocka_unit_test(patch_accepts_null_for_clearable_paths),
		cmocka_unit_test(apply_records_real_change),
		cmocka_unit_test(apply_records_nothing_for_same_values),
		cmocka_unit_test(apply_trims_name_before_comparing),
		cmocka_unit_test(apply_null_removes_description_and_readme),
		cmocka_unit_test(apply_null_on_absent_field_is_no_change),
		cmocka_unit_test(apply_sets_absent_field),
		cmocka_unit_test(apply_null_array_becomes_empty_array),
		cmocka_unit_test(apply_subset_violation_fails_and_leaves_input),
		cmocka_unit_test(apply_never_modifies_input),
		cmocka_unit_test(apply_checks_subset_on_final_result),
		cmocka_unit_test(apply_clearing_datasets_needs_clearing_api_consumable),
		cmocka_unit_test(apply_ops_on_one_path_run_in_order),
		cmocka_unit_test(apply_drops_null_contact_roles),
		cmocka_unit_test(apply_change_values_are_copies),
		cmocka_unit_test(touch_moves_updated_and_keeps_pending_when_inactive),
		cmocka_unit_test(touch_grows_pending_when_active),
		cmocka_unit_test(activatable_product_has_no_problems),
		cmocka_unit_test(problem_no_datasets_alone),
		cmocka_unit_test(problem_missing_dataset_alone),
		cmocka_unit_test(problem_every_missing_dataset_listed),
		cmocka_unit_test(problem_api_consumable_not_subset_alone),
		cmocka_unit_test(problem_no_key_contacts_alone),
		cmocka_unit_test(all_problems_in_one_message),
		cmocka_unit_test(problems_truncate_safely_in_small_buffer),
		cmocka_unit_test(problems_reported_even_when_buffer_is_tiny),
		cmocka_unit_test(activate_personal_with_same_name),
		cmocka_unit_test(activate_applies_body_and_target_space),
		cmocka_unit_test(activate_null_description_and_tags_clear_them),
		cmocka_unit_test(activate_in_current_space_without_target),
		cmocka_unit_test(reactivate_resets_pending_changes),
		cmocka_unit_test(deactivate_removes_activated_on_and_keeps_activated_at),
		cmocka_unit_test(move_to_same_space_is_noop),
		cmocka_unit_test(move_to_other_space_records_replace),
		cmocka_unit_test(move_out_of_personal_area),
		cmocka_unit_test(move_of_active_product_counts_pending_change),
		cmocka_unit_test(changelog_entry_has_all_fields_and_steals_changes),
		cmocka_unit_test(changelog_add_change_copies_value_and_maps_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
