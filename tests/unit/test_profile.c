/* Unit tests for src/quality/profile.c: the streaming data-quality profiler
 * (SPEC §5, docs/quality.md) fed through temporary files and pipes. */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "quality/profile.h"

/* ---- helpers ------------------------------------------------------------------ */

/* An unlinked temporary file holding n bytes of data, positioned at 0. */
static int tmp_fd(const char *data, size_t n)
{
	char path[] = "/tmp/dp-profile-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* A stream writing into an unlinked temporary file; finish with stream_fd(). */
static FILE *tmp_stream(void)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	return f;
}

/* Flushes f and returns a descriptor positioned at 0 (close it; f is closed here). */
static int stream_fd(FILE *f)
{
	assert_int_equal(fflush(f), 0);
	int fd = dup(fileno(f));
	assert_true(fd >= 0);
	fclose(f);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

struct run {
	int rc;
	json_t *out;
	struct profile_stats stats;
	char code[8];
	char reason[256];
};

/* Profiles fd (closed here) against the schema JSON text (' for ", NULL for none). */
static struct run run_fd(int fd, const char *schema)
{
	struct run r;
	memset(&r, 0, sizeof r);
	memset(r.code, 'x', sizeof r.code);
	json_t *s = schema ? tj(schema) : NULL;
	r.rc = profile_csv(&r.out, &r.stats, fd, s, r.code, r.reason, sizeof r.reason);
	json_decref(s);
	close(fd);
	return r;
}

static struct run run_text(const char *csv, const char *schema)
{
	return run_fd(tmp_fd(csv, strlen(csv)), schema);
}

/* Profiles csv and asserts success; returns the result (decref it). */
static json_t *ok(const char *csv, const char *schema)
{
	struct run r = run_text(csv, schema);
	if (r.rc != 0)
		fail_msg("profile_csv failed: %s %s", r.code, r.reason);
	assert_non_null(r.out);
	return r.out;
}

/* Profiles the descriptor and asserts success; returns the result (decref it). */
static json_t *ok_fd(int fd, const char *schema)
{
	struct run r = run_fd(fd, schema);
	if (r.rc != 0)
		fail_msg("profile_csv failed: %s %s", r.code, r.reason);
	assert_non_null(r.out);
	return r.out;
}

static json_t *field(const json_t *out, const char *name)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(out, "fields"), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "name")), name))
			return f;
	fail_msg("no field '%s'", name);
	return NULL;
}

static json_t *prof(const json_t *out, const char *name)
{
	return json_object_get(field(out, name), "profile");
}

static long long jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

static double jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		fail_msg("'%s' is not a number", key);
	return json_number_value(v);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		fail_msg("'%s' is not a string", key);
	return s;
}

/* Asserts the valid/invalid/empty/total of a result or field object. */
static void counts(const json_t *o, long long valid, long long invalid, long long empty)
{
	assert_int_equal(jint(o, "valid"), valid);
	assert_int_equal(jint(o, "invalid"), invalid);
	assert_int_equal(jint(o, "empty"), empty);
	assert_int_equal(jint(o, "total"), valid + invalid + empty);
}

static void assert_close(double got, double want, double tol)
{
	if (fabs(got - want) > tol)
		fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

/* ---- quality counts ----------------------------------------------------------- */

#define SHOP_SCHEMA                                                                            \
	"[{'name':'id','dataType':{'type':'INTEGER'}},"                                        \
	"{'name':'amount','dataType':{'type':'DECIMAL','properties':{'precision':5,'scale':2}}}," \
	"{'name':'name','dataType':{'type':'STRING'}},"                                        \
	"{'name':'active','dataType':{'type':'BOOLEAN'}},"                                     \
	"{'name':'day','dataType':{'type':'DATE'}}]"

static const char shop_csv[] = "id,amount,name,active,day\n"
			       "1,10.50,alice,true,2024-01-02\n"
			       "2,abc,bob,false,2024-13-40\n"
			       "x,3.25,,true,\n"
			       "4,,carol,maybe,2024-02-29\n"
			       "  5 ,   ,dave , false ,2024-03-01\n";

/* Hand count (blanks trimmed; "   " is empty):
 *   id     valid 1 2 4 5        invalid x              empty -      -> 4/1/0
 *   amount valid 10.50 3.25     invalid abc            empty "" "   " -> 2/1/2
 *   name   valid alice bob carol dave                  empty ""     -> 4/0/1
 *   active valid true false true false  invalid maybe               -> 4/1/0
 *   day    valid 01-02 02-29 03-01      invalid 13-40  empty ""     -> 3/1/1
 * total 25, valid 17, invalid 4, empty 4: validity 0.68, completeness 0.84. */
static void known_csv_exact_counts(void **state)
{
	(void)state;
	struct run r = run_text(shop_csv, SHOP_SCHEMA);
	assert_int_equal(r.rc, 0);
	json_t *o = r.out;
	assert_int_equal(jint(o, "rows"), 5);
	assert_int_equal(jint(o, "raggedRows"), 0);
	counts(o, 17, 4, 4);
	assert_close(jnum(o, "validity"), 17.0 / 25, 1e-15);
	assert_close(jnum(o, "completeness"), 21.0 / 25, 1e-15);
	counts(field(o, "id"), 4, 1, 0);
	counts(field(o, "amount"), 2, 1, 2);
	counts(field(o, "name"), 4, 0, 1);
	counts(field(o, "active"), 4, 1, 0);
	counts(field(o, "day"), 3, 1, 1);
	assert_int_equal(json_array_size(json_object_get(o, "fields")), 5);
	assert_int_equal(r.stats.rows, 5);
	assert_int_equal(r.stats.bytes, strlen(shop_csv));

	json_t *p = prof(o, "id");
	assert_string_equal(jstr(p, "name"), "id");
	assert_string_equal(jstr(p, "dataType"), "INTEGER");
	assert_string_equal(jstr(field(o, "amount"), "dataType"), "DECIMAL");
	assert_true(json_is_true(json_object_get(field(o, "id"), "declared")));
	assert_int_equal(jint(p, "index"), 0);
	assert_int_equal(jint(prof(o, "day"), "index"), 4);
	assert_int_equal(jint(p, "numericValueCount"), 4);
	assert_close(jnum(p, "minNumericValue"), 1, 0);
	assert_close(jnum(p, "maxNumericValue"), 5, 0);
	assert_close(jnum(p, "sumNumericValues"), 12, 0);
	assert_close(jnum(p, "average"), 3, 0);
	assert_int_equal(jint(p, "distinctValueCount"), 5); /* 1 2 x 4 5 */
	assert_int_equal(jint(p, "nullValueCount"), 0);
	/* amount: both empty cells are present in their rows */
	p = prof(o, "amount");
	assert_int_equal(jint(p, "nullValueCount"), 2);
	assert_int_equal(jint(p, "emptyStringCount"), 2);
	assert_close(jnum(p, "sumNumericValues"), 13.75, 1e-12);
	/* name: the trimmed value is profiled */
	p = prof(o, "name");
	assert_string_equal(jstr(p, "lastSortedStringValue"), "dave");
	assert_string_equal(jstr(p, "firstSortedStringValue"), "alice");
	assert_null(json_object_get(p, "numericValueCount")); /* not a numeric field */
	json_decref(o);
}

static void trimming_blanks(void **state)
{
	(void)state;
	json_t *o = ok("n,s\n\t7\t,\" x \"\n\" \",\"\t\r\n\"\n8,\n",
		       "[{'name':'n','dataType':{'type':'INTEGER'}},"
		       "{'name':'s','dataType':{'type':'STRING'}}]");
	counts(field(o, "n"), 2, 0, 1);
	counts(field(o, "s"), 1, 0, 2);
	assert_string_equal(jstr(prof(o, "s"), "firstSortedStringValue"), "x");
	assert_int_equal(jint(prof(o, "s"), "maxStringLength"), 1);
	json_decref(o);
}

static void declared_field_missing_from_file(void **state)
{
	(void)state;
	json_t *o = ok("a\n1\n2\n3\n", "[{'name':'a','dataType':{'type':'INTEGER'}},"
					 "{'name':'ghost','dataType':{'type':'DATE'}}]");
	json_t *g = field(o, "ghost");
	counts(g, 0, 0, 3);
	assert_true(json_is_true(json_object_get(g, "declared")));
	json_t *p = json_object_get(g, "profile");
	assert_int_equal(jint(p, "nullValueCount"), 3);
	assert_int_equal(jint(p, "emptyStringCount"), 0); /* not in the file at all */
	assert_int_equal(jint(p, "distinctValueCount"), 0);
	assert_null(json_object_get(p, "index"));
	assert_json(json_object_get(p, "mostFrequentValues"), "[]");
	assert_json(json_object_get(p, "sampleValues"), "[]");
	counts(o, 3, 0, 3);
	assert_close(jnum(o, "completeness"), 0.5, 0);
	assert_close(jnum(o, "validity"), 0.5, 0);
	json_decref(o);
}

static void undeclared_columns_profiled_not_counted(void **state)
{
	(void)state;
	json_t *o = ok("extra,a,more\nq,1,\nr,zz,s\n", "[{'name':'a','dataType':{'type':'INTEGER'}}]");
	json_t *fs = json_object_get(o, "fields");
	assert_int_equal(json_array_size(fs), 3);
	/* declared fields first (schema order), then the others in header order */
	assert_string_equal(jstr(json_array_get(fs, 0), "name"), "a");
	assert_string_equal(jstr(json_array_get(fs, 1), "name"), "extra");
	assert_string_equal(jstr(json_array_get(fs, 2), "name"), "more");
	json_t *e = field(o, "extra");
	assert_true(json_is_false(json_object_get(e, "declared")));
	assert_string_equal(jstr(e, "dataType"), "STRING");
	counts(e, 2, 0, 0);
	counts(field(o, "more"), 1, 0, 1);
	assert_int_equal(jint(prof(o, "more"), "index"), 2);
	counts(o, 1, 1, 0); /* only 'a' counts */
	assert_close(jnum(o, "validity"), 0.5, 0);
	assert_close(jnum(o, "completeness"), 1, 0);
	json_decref(o);
}

static void header_match_is_exact(void **state)
{
	(void)state;
	json_t *o = ok("A, a,a,a\n1,2,3,4\n", "[{'name':'a','dataType':{'type':'INTEGER'}}]");
	json_t *fs = json_object_get(o, "fields");
	assert_int_equal(json_array_size(fs), 4);
	/* bound to the first exact "a" (column 2); the duplicate stays undeclared */
	assert_int_equal(jint(prof(o, "a"), "index"), 2);
	assert_true(json_is_false(json_object_get(json_array_get(fs, 3), "declared")));
	assert_string_equal(jstr(json_array_get(fs, 3), "name"), "a");
	assert_int_equal(jint(json_object_get(json_array_get(fs, 3), "profile"), "index"), 3);
	assert_string_equal(jstr(json_array_get(fs, 1), "name"), "A");
	assert_string_equal(jstr(json_array_get(fs, 2), "name"), " a");
	counts(o, 1, 0, 0);
	json_decref(o);
}

static void no_schema_every_column_is_string(void **state)
{
	(void)state;
	const char *csv = "x,y\n1,\n,\nfoo,bar\n";
	const char *schemas[] = {NULL, "[]"};
	for (int i = 0; i < 2; i++) {
		json_t *o = ok(csv, schemas[i]);
		assert_int_equal(json_array_size(json_object_get(o, "fields")), 2);
		json_t *x = field(o, "x");
		assert_string_equal(jstr(x, "dataType"), "STRING");
		assert_true(json_is_false(json_object_get(x, "declared")));
		counts(x, 2, 0, 1);
		counts(field(o, "y"), 1, 0, 2);
		counts(o, 3, 0, 3);
		assert_close(jnum(o, "validity"), 0.5, 0);
		assert_close(jnum(o, "completeness"), 0.5, 0);
		json_decref(o);
	}
}

static void ragged_rows(void **state)
{
	(void)state;
	json_t *o = ok("a,b,c\n1,2,3\n4\n5,6,7,8,9\n10,11\n",
		       "[{'name':'a','dataType':{'type':'INTEGER'}},{'name':'b','dataType':{'type':'INTEGER'}},"
		       "{'name':'c','dataType':{'type':'INTEGER'}}]");
	assert_int_equal(jint(o, "rows"), 4);
	assert_int_equal(jint(o, "raggedRows"), 3);
	counts(field(o, "a"), 4, 0, 0);
	counts(field(o, "b"), 3, 0, 1);
	counts(field(o, "c"), 2, 0, 2);
	/* missing cells are empty but not empty strings; extra cells are ignored */
	assert_int_equal(jint(prof(o, "c"), "nullValueCount"), 2);
	assert_int_equal(jint(prof(o, "c"), "emptyStringCount"), 0);
	assert_close(jnum(prof(o, "c"), "maxNumericValue"), 7, 0);
	assert_int_equal(json_array_size(json_object_get(o, "fields")), 3);
	counts(o, 9, 0, 3);
	json_decref(o);
}

static void empty_table_after_header(void **state)
{
	(void)state;
	const char *csvs[] = {"a,b\n", "a,b", "a,b\r\n", "a,b\n\n\n"};
	for (size_t i = 0; i < sizeof csvs / sizeof *csvs; i++) {
		struct run r = run_text(csvs[i], "[{'name':'a','dataType':{'type':'INTEGER'}},"
						 "{'name':'z','dataType':{'type':'STRING'}}]");
		assert_int_equal(r.rc, 0);
		json_t *o = r.out;
		assert_int_equal(jint(o, "rows"), 0);
		counts(o, 0, 0, 0);
		assert_true(json_is_real(json_object_get(o, "validity")));
		assert_close(jnum(o, "validity"), 0, 0);
		assert_close(jnum(o, "completeness"), 0, 0);
		assert_int_equal(json_array_size(json_object_get(o, "fields")), 3);
		json_t *p = prof(o, "a");
		assert_int_equal(jint(p, "distinctValueCount"), 0);
		assert_int_equal(jint(p, "numericValueCount"), 0);
		assert_null(json_object_get(p, "average"));
		assert_null(json_object_get(p, "minNumericValue"));
		assert_null(json_object_get(p, "firstSortedStringValue"));
		assert_int_equal(r.stats.rows, 0);
		assert_int_equal(r.stats.bytes, strlen(csvs[i]));
		json_decref(o);
	}
}

/* ---- failures ----------------------------------------------------------------- */

static void expect_failure(struct run r, const char *code, const char *reason_part)
{
	assert_int_equal(r.rc, -1);
	assert_null(r.out);
	assert_string_equal(r.code, code);
	if (!strstr(r.reason, reason_part))
		fail_msg("reason '%s' lacks '%s'", r.reason, reason_part);
}

static void empty_file_has_no_header(void **state)
{
	(void)state;
	expect_failure(run_text("", NULL), DQ_NO_HEADER, "empty");
	expect_failure(run_text("", SHOP_SCHEMA), DQ_NO_HEADER, "header");
	expect_failure(run_text("\n\n", NULL), DQ_NO_HEADER, "header"); /* blank lines only */
}

static void malformed_file(void **state)
{
	(void)state;
	struct run r = run_text("a,b\n1,2\n3,\"unterminated\n4,5\n", NULL);
	expect_failure(r, DQ_MALFORMED, "line");
	assert_true(strlen(r.reason) > strlen("malformed CSV: "));
	/* text after a closing quote, in the header itself */
	expect_failure(run_text("\"a\"b,c\n1,2\n", NULL), DQ_MALFORMED, "quote");

	/* malformed far into a file: the partial result is discarded, nothing leaks */
	FILE *f = tmp_stream();
	fputs("id,s\n", f);
	for (int i = 0; i < 5000; i++)
		fprintf(f, "%d,v%d\n", i, i);
	fputs("1,\"x\"y\n", f);
	expect_failure(run_fd(stream_fd(f), "[{'name':'id','dataType':{'type':'INTEGER'}}]"),
		       DQ_MALFORMED, "5002");
}

static void unreadable_descriptor(void **state)
{
	(void)state;
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	expect_failure(run_fd(fd, NULL), DQ_FILE_UNREADABLE, "read");
}

static void unknown_schema_type_is_internal(void **state)
{
	(void)state;
	expect_failure(run_text("a\n1\n", "[{'name':'a','dataType':{'type':'VARCHAR'}}]"), DQ_INTERNAL,
		       "'a'");
}

/* ---- input forms -------------------------------------------------------------- */

static void reads_from_a_pipe(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	const char *csv = "\xEF\xBB\xBFid,note\r\n1,\"a, b\"\r\n2,\"say \"\"hi\"\"\"\r\n3,\"two\nlines\"\r\n";
	assert_int_equal(write(p[1], csv, strlen(csv)), (ssize_t)strlen(csv));
	close(p[1]);
	struct run r = run_fd(p[0], "[{'name':'id','dataType':{'type':'INTEGER'}},"
				    "{'name':'note','dataType':{'type':'STRING'}}]");
	assert_int_equal(r.rc, 0);
	json_t *o = r.out;
	assert_int_equal(jint(o, "rows"), 3);
	counts(field(o, "id"), 3, 0, 0); /* matched despite the BOM */
	json_t *n = prof(o, "note");
	assert_string_equal(jstr(n, "firstSortedStringValue"), "a, b");
	assert_string_equal(jstr(n, "lastSortedStringValue"), "two\nlines");
	assert_json(json_object_get(n, "sampleValues"), "['a, b','say \\'hi\\'','two\\nlines']");
	assert_int_equal(r.stats.bytes, strlen(csv));
	json_decref(o);
}

/* ---- statistics ------------------------------------------------------------ */

static void numeric_stats_exact(void **state)
{
	(void)state;
	json_t *o = ok("v,d\n2,-1.5\n4,0\n4,0.0\n4,2.5\n5,-0\n5,\n7,x\n9,1e400x\n",
		       "[{'name':'v','dataType':{'type':'INTEGER'}},{'name':'d','dataType':{'type':'DOUBLE'}}]");
	json_t *p = prof(o, "v");
	assert_int_equal(jint(p, "numericValueCount"), 8);
	assert_close(jnum(p, "minNumericValue"), 2, 0);
	assert_close(jnum(p, "maxNumericValue"), 9, 0);
	assert_close(jnum(p, "sumNumericValues"), 40, 0);
	assert_close(jnum(p, "sumSquaredNumericValues"), 232, 0);
	assert_close(jnum(p, "average"), 5, 0);
	assert_close(jnum(p, "standardDeviation"), 2, 0); /* population */
	assert_int_equal(jint(p, "positiveValueCount"), 8);
	assert_int_equal(jint(p, "zeroValueCount"), 0);
	assert_int_equal(jint(p, "negativeValueCount"), 0);
	assert_int_equal(jint(p, "distinctValueCount"), 5);

	p = prof(o, "d");
	counts(field(o, "d"), 5, 2, 1);
	assert_int_equal(jint(p, "numericValueCount"), 5);
	assert_close(jnum(p, "minNumericValue"), -1.5, 0);
	assert_close(jnum(p, "maxNumericValue"), 2.5, 0);
	assert_close(jnum(p, "sumNumericValues"), 1, 0);
	assert_close(jnum(p, "average"), 0.2, 1e-15);
	assert_int_equal(jint(p, "zeroValueCount"), 3);
	assert_int_equal(jint(p, "positiveValueCount"), 1);
	assert_int_equal(jint(p, "negativeValueCount"), 1);
	/* values -1.5 0 0 2.5 0: variance = (2.25 + 6.25)/5 - 0.04 = 1.66 */
	assert_close(jnum(p, "standardDeviation"), sqrt(1.66), 1e-12);
	json_decref(o);
}

static void stable_deviation_for_large_values(void **state)
{
	(void)state;
	FILE *f = tmp_stream();
	fputs("v\n", f);
	for (int i = 0; i < 10000; i++)
		fprintf(f, "%lld\n", 1000000000000LL + (i % 2 ? 1 : -1));
	json_t *o = ok_fd(stream_fd(f), "[{'name':'v','dataType':{'type':'INTEGER'}}]");
	json_t *p = prof(o, "v");
	assert_close(jnum(p, "standardDeviation"), 1, 0);
	assert_close(jnum(p, "average"), 1e12, 0);
	assert_int_equal(jint(p, "distinctValueCount"), 2);
	json_decref(o);
}

static void overflowing_sums_are_left_out(void **state)
{
	(void)state;
	json_t *o = ok("d\n1e308\n1.5e308\n", "[{'name':'d','dataType':{'type':'DOUBLE'}}]");
	json_t *p = prof(o, "d");
	counts(field(o, "d"), 2, 0, 0);
	assert_int_equal(jint(p, "numericValueCount"), 2);
	assert_close(jnum(p, "minNumericValue"), 1e308, 0);
	assert_close(jnum(p, "maxNumericValue"), 1.5e308, 0);
	/* the sum overflows a double: JSON has no infinity, so it is absent */
	assert_null(json_object_get(p, "sumNumericValues"));
	assert_null(json_object_get(p, "sumSquaredNumericValues"));
	assert_null(json_object_get(p, "average"));
	assert_true(json_is_number(json_object_get(p, "standardDeviation")));
	char *text = json_dumps(o, 0);
	assert_non_null(text);
	free(text);
	json_decref(o);
}

static void string_lengths_count_characters(void **state)
{
	(void)state;
	json_t *o = ok("s\nh\xc3\xa9llo\n\xe6\x97\xa5\xe6\x9c\xac\nabc\n\n", NULL);
	json_t *p = prof(o, "s");
	assert_int_equal(jint(p, "minStringLength"), 2);
	assert_int_equal(jint(p, "maxStringLength"), 5);
	assert_int_equal(jint(p, "sumStringLength"), 10);
	assert_close(jnum(p, "averageStringLength"), 10.0 / 3, 1e-15);
	json_decref(o);
}

static void sorted_values_use_byte_order(void **state)
{
	(void)state;
	json_t *o = ok("s\nb\nB\na\n\xc3\xa9\nZ\nb\n", NULL);
	json_t *p = prof(o, "s");
	assert_string_equal(jstr(p, "firstSortedStringValue"), "B");
	assert_string_equal(jstr(p, "lastSortedStringValue"), "\xc3\xa9");
	assert_json(json_object_get(p, "sampleValues"), "['b','B','a','\xc3\xa9','Z']");
	assert_int_equal(jint(p, "distinctValueCount"), 5);
	json_decref(o);
}

static void sample_values_first_five_distinct(void **state)
{
	(void)state;
	json_t *o = ok("s\nb\na\nb\n\n c \nd\na\ne\nf\ng\n", NULL);
	assert_json(json_object_get(prof(o, "s"), "sampleValues"), "['b','a','c','d','e']");
	json_decref(o);
}

static void string_values_capped_at_256_bytes(void **state)
{
	(void)state;
	char big[301], cut[260];
	memset(big, 'x', 300);
	big[300] = '\0';
	/* a 2-byte character straddling byte 256 is dropped, not split */
	memset(cut, 'y', 255);
	memcpy(cut + 255, "\xc3\xa9z", 4);
	char *csv = malloc(1024);
	assert_non_null(csv);
	snprintf(csv, 1024, "s\n%s\n%s\n%s\n", big, cut, big);
	json_t *o = ok(csv, NULL);
	free(csv);
	json_t *p = prof(o, "s");
	assert_int_equal(jint(p, "maxStringLength"), 300); /* lengths are not capped */
	assert_int_equal(jint(p, "minStringLength"), 257);
	assert_int_equal(strlen(jstr(p, "firstSortedStringValue")), 256);
	assert_int_equal(strspn(jstr(p, "firstSortedStringValue"), "x"), 256);
	assert_int_equal(strlen(jstr(p, "lastSortedStringValue")), 255);
	assert_int_equal(strspn(jstr(p, "lastSortedStringValue"), "y"), 255);
	json_t *mfv = json_object_get(p, "mostFrequentValues");
	assert_int_equal(json_array_size(mfv), 2);
	assert_int_equal(strlen(jstr(json_array_get(mfv, 0), "value")), 256);
	assert_int_equal(jint(json_array_get(mfv, 0), "frequency"), 2);
	json_t *sv = json_object_get(p, "sampleValues");
	assert_int_equal(json_array_size(sv), 2);
	assert_int_equal(strlen(json_string_value(json_array_get(sv, 0))), 256);
	assert_int_equal(strlen(json_string_value(json_array_get(sv, 1))), 255);
	assert_int_equal(jint(p, "distinctValueCount"), 2);
	json_decref(o);
}

static void long_values_sharing_a_prefix(void **state)
{
	(void)state;
	/* values that differ only after byte 256 are distinct values whose
	 * stored copies are equal */
	char *csv = malloc(2048);
	assert_non_null(csv);
	char pre[257];
	memset(pre, 'p', 256);
	pre[256] = '\0';
	snprintf(csv, 2048, "s\n%sb\n%sa\n%sc\n%sa\n", pre, pre, pre, pre);
	json_t *o = ok(csv, NULL);
	free(csv);
	json_t *p = prof(o, "s");
	assert_int_equal(jint(p, "distinctValueCount"), 3);
	assert_string_equal(jstr(p, "firstSortedStringValue"), pre);
	assert_string_equal(jstr(p, "lastSortedStringValue"), pre);
	json_t *mfv = json_object_get(p, "mostFrequentValues");
	assert_int_equal(json_array_size(mfv), 3);
	assert_int_equal(jint(json_array_get(mfv, 0), "frequency"), 2);
	json_decref(o);
}

static void invalid_utf8_and_nul_are_replaced(void **state)
{
	(void)state;
	static const char csv[] = "s\xff\nab\xc3\n\xe2\x82 \nx\0y\n";
	json_t *o = ok_fd(tmp_fd(csv, sizeof csv - 1), NULL);
	json_t *f = json_array_get(json_object_get(o, "fields"), 0);
	assert_string_equal(jstr(f, "name"), "s?");
	json_t *p = json_object_get(f, "profile");
	assert_json(json_object_get(p, "sampleValues"), "['ab?','?\?','x?y']");
	assert_string_equal(jstr(p, "lastSortedStringValue"), "?\?");
	assert_int_equal(jint(p, "maxStringLength"), 3);
	json_decref(o);
}

/* ---- distinct counts ------------------------------------------------------ */

/* A one-column CSV with rows values v<i % distinct> (i < rows). */
static int distinct_csv(long rows, long distinct)
{
	FILE *f = tmp_stream();
	fputs("v\n", f);
	for (long i = 0; i < rows; i++)
		fprintf(f, "v%ld\n", i % distinct);
	return stream_fd(f);
}

static long long distinct_of(long rows, long distinct)
{
	json_t *o = ok_fd(distinct_csv(rows, distinct), NULL);
	long long d = jint(prof(o, "v"), "distinctValueCount");
	assert_int_equal(jint(o, "rows"), rows);
	json_decref(o);
	return d;
}

static void distinct_exact_up_to_1024(void **state)
{
	(void)state;
	assert_int_equal(distinct_of(1, 1), 1);
	assert_int_equal(distinct_of(50, 7), 7);
	assert_int_equal(distinct_of(3000, 1000), 1000);
	assert_int_equal(distinct_of(4096, 1024), 1024);
	/* past the exact range the estimate is at least 1025 and at most the
	 * number of values */
	long long d = distinct_of(1025, 1025);
	assert_true(d >= 1025 && d <= 1025);
	d = distinct_of(2 * 1100, 1100);
	assert_true(d >= 1025 && d <= 1100 * 1.03 && d >= 1100 * 0.97);
}

static void distinct_estimate_within_3_percent(void **state)
{
	(void)state;
	const long ns[] = {2000, 5000, 12000, 30000, 100000, 300000};
	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
		long long d = distinct_of(ns[i] + ns[i] / 2, ns[i]); /* with repeats */
		double err = fabs((double)d - (double)ns[i]) / (double)ns[i];
		if (err > 0.03)
			fail_msg("%ld distinct values estimated as %lld (%.2f %%)", ns[i], d, err * 100);
	}
}

/* ---- most frequent values -------------------------------------------------- */

static void frequent_values_exact_when_few(void **state)
{
	(void)state;
	/* 12 distinct values: counts are exact; ties are ordered by value; top 10 */
	FILE *f = tmp_stream();
	fputs("c\n", f);
	const int reps[12] = {5, 9, 1, 9, 3, 2, 2, 7, 1, 4, 6, 8};
	for (int round = 0; round < 9; round++)
		for (int v = 0; v < 12; v++)
			if (round < reps[v])
				fprintf(f, "k%02d\n", v);
	json_t *o = ok_fd(stream_fd(f), NULL);
	assert_json(json_object_get(prof(o, "c"), "mostFrequentValues"),
		    "[{'value':'k01','frequency':9},{'value':'k03','frequency':9},"
		    "{'value':'k11','frequency':8},{'value':'k07','frequency':7},"
		    "{'value':'k10','frequency':6},{'value':'k00','frequency':5},"
		    "{'value':'k09','frequency':4},{'value':'k04','frequency':3},"
		    "{'value':'k05','frequency':2},{'value':'k06','frequency':2}]");
	assert_int_equal(jint(prof(o, "c"), "distinctValueCount"), 12);
	json_decref(o);
}

static void frequent_values_on_skewed_data(void **state)
{
	(void)state;
	/* 100k rows: A 30 %, B 20 %, C 10 %, D 5 %, the rest unique; and a value
	 * "late" that only starts in the second half, at 15 % of those rows. */
	const long rows = 100000;
	long late = 0;
	FILE *f = tmp_stream();
	fputs("id,c\n", f);
	for (long i = 0; i < rows; i++) {
		int r = (int)(i % 20);
		const char *v = r < 6 ? "A" : r < 10 ? "B" : r < 12 ? "C" : r == 12 ? "D" : NULL;
		if (v)
			fprintf(f, "%ld,%s\n", i, v);
		else if (i >= rows / 2 && r >= 17) {
			fprintf(f, "%ld,late\n", i);
			late++;
		} else
			fprintf(f, "%ld,u%ld\n", i, i);
	}
	json_t *o = ok_fd(stream_fd(f), NULL);
	json_t *mfv = json_object_get(prof(o, "c"), "mostFrequentValues");
	assert_int_equal(json_array_size(mfv), 10);
	const char *want[] = {"A", "B", "C"};
	const long long freq[] = {30000, 20000, 10000};
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(jstr(json_array_get(mfv, i), "value"), want[i]);
		assert_int_equal(jint(json_array_get(mfv, i), "frequency"), freq[i]);
	}
	/* "late" (7500 rows) is found; its frequency is a lower bound within
	 * N/k = 100000/16 of the truth. D (5000) was never evicted: exact. */
	bool seen_late = false, seen_d = false;
	long long prev = freq[2];
	for (size_t i = 3; i < 10; i++) {
		json_t *e = json_array_get(mfv, i);
		long long fr = jint(e, "frequency");
		assert_true(fr >= 1 && fr <= prev);
		prev = fr;
		if (!strcmp(jstr(e, "value"), "late")) {
			seen_late = true;
			assert_true(fr <= late && fr >= late - rows / 16);
		} else if (!strcmp(jstr(e, "value"), "D")) {
			seen_d = true;
			assert_int_equal(fr, 5000);
		} else {
			assert_true(fr <= 1); /* unique values: lower bound 1 */
		}
	}
	assert_true(seen_late);
	assert_true(seen_d);
	/* the id column: every value is unique, so each reported frequency is 1 */
	json_t *ids = json_object_get(prof(o, "id"), "mostFrequentValues");
	assert_int_equal(json_array_size(ids), 10);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(jint(json_array_get(ids, i), "frequency"), 1);
	json_decref(o);
}

/* ---- declared types -------------------------------------------------------- */

static void decimal_precision_and_scale_from_properties(void **state)
{
	(void)state;
	const char *csv = "d\n12.34\n123.45\n1.5\n1.234\n-99.99\n";
	json_t *o = ok(csv, "[{'name':'d','dataType':{'type':'DECIMAL','properties':{'precision':4,'scale':2}}}]");
	counts(field(o, "d"), 3, 2, 0);
	assert_close(jnum(prof(o, "d"), "sumNumericValues"), 12.34 + 1.5 - 99.99, 1e-9);
	json_decref(o);
	o = ok(csv, "[{'name':'d','dataType':{'type':'DECIMAL','properties':{'precision':'4','scale':'2'}}}]");
	counts(field(o, "d"), 3, 2, 0);
	json_decref(o);
	/* without properties precision and scale are not checked */
	o = ok(csv, "[{'name':'d','dataType':{'type':'DECIMAL'}}]");
	counts(field(o, "d"), 5, 0, 0);
	json_decref(o);
}

static void every_declared_type_is_checked(void **state)
{
	(void)state;
	json_t *o = ok("i,f,b,d,dt,ts,t,s\n"
		       "42,3.5,true,2024-02-29,2024-02-29T10:20:30,2024-02-29T10:20:30Z,10:20:30,x\n"
		       "4x,3.5.1,yes please,2023-02-29,2024-02-30T10:20:30,noon,25:00:00,\n",
		       "[{'name':'i','dataType':{'type':'INTEGER'}},{'name':'f','dataType':{'type':'DOUBLE'}},"
		       "{'name':'b','dataType':{'type':'BOOLEAN'}},{'name':'d','dataType':{'type':'DATE'}},"
		       "{'name':'dt','dataType':{'type':'DATETIME'}},{'name':'ts','dataType':{'type':'TIMESTAMP'}},"
		       "{'name':'t','dataType':{'type':'TIME'}},{'name':'s','dataType':{'type':'STRING'}}]");
	const char *names[] = {"i", "f", "b", "d", "dt", "ts", "t"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		json_t *fl = field(o, names[i]);
		if (jint(fl, "valid") != 1 || jint(fl, "invalid") != 1)
			fail_msg("field %s: valid %lld invalid %lld", names[i], jint(fl, "valid"),
				 jint(fl, "invalid"));
	}
	counts(field(o, "s"), 1, 0, 1);
	assert_null(json_object_get(prof(o, "b"), "numericValueCount"));
	assert_int_equal(jint(prof(o, "f"), "numericValueCount"), 1);
	json_decref(o);
}

/* ---- wide and long input ---------------------------------------------------- */

static void many_columns(void **state)
{
	(void)state;
	FILE *f = tmp_stream();
	for (int c = 0; c < 500; c++)
		fprintf(f, "%sc%d", c ? "," : "", c);
	fputc('\n', f);
	for (int r = 0; r < 200; r++) {
		for (int c = 0; c < 500; c++)
			fprintf(f, "%s%d", c ? "," : "", (r * 7 + c) % 1500);
		fputc('\n', f);
	}
	json_t *o = ok_fd(stream_fd(f), NULL);
	assert_int_equal(json_array_size(json_object_get(o, "fields")), 500);
	counts(o, 100000, 0, 0);
	assert_int_equal(jint(prof(o, "c499"), "index"), 499);
	assert_int_equal(jint(prof(o, "c3"), "distinctValueCount"), 200);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_csv_exact_counts),
		cmocka_unit_test(trimming_blanks),
		cmocka_unit_test(declared_field_missing_from_file),
		cmocka_unit_test(undeclared_columns_profiled_not_counted),
		cmocka_unit_test(header_match_is_exact),
		cmocka_unit_test(no_schema_every_column_is_string),
		cmocka_unit_test(ragged_rows),
		cmocka_unit_test(empty_table_after_header),
		cmocka_unit_test(empty_file_has_no_header),
		cmocka_unit_test(malformed_file),
		cmocka_unit_test(unreadable_descriptor),
		cmocka_unit_test(unknown_schema_type_is_internal),
		cmocka_unit_test(reads_from_a_pipe),
		cmocka_unit_test(numeric_stats_exact),
		cmocka_unit_test(stable_deviation_for_large_values),
		cmocka_unit_test(overflowing_sums_are_left_out),
		cmocka_unit_test(string_lengths_count_characters),
		cmocka_unit_test(sorted_values_use_byte_order),
		cmocka_unit_test(sample_values_first_five_distinct),
		cmocka_unit_test(string_values_capped_at_256_bytes),
		cmocka_unit_test(long_values_sharing_a_prefix),
		cmocka_unit_test(invalid_utf8_and_nul_are_replaced),
		cmocka_unit_test(distinct_exact_up_to_1024),
		cmocka_unit_test(distinct_estimate_within_3_percent),
		cmocka_unit_test(frequent_values_exact_when_few),
		cmocka_unit_test(frequent_values_on_skewed_data),
		cmocka_unit_test(decimal_precision_and_scale_from_properties),
		cmocka_unit_test(every_declared_type_is_checked),
		cmocka_unit_test(many_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
