/* test_csv: the streaming RFC 4180 reader (src/quality/csv.c): quoting,
 * line ends, BOM, blank lines, ragged rows, buffer boundaries, the caps,
 * malformed input, line numbers and short reads from a pipe. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "quality/csv.h"

#define BUFSZ (256 * 1024) /* the reader's read buffer (csv.c CSV_BUF) */

/* An unlinked temporary file holding n bytes of data, positioned at 0. */
static int data_fd(const void *data, size_t n)
{
	char path[] = "/tmp/test_csv_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* A pipe whose read end receives data from a child process in chunks of
 * `chunk` bytes (1 = one byte per write), so the reader sees short reads. */
static int pipe_fd(const void *data, size_t n, size_t chunk, pid_t *child)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		const char *s = data;
		for (size_t off = 0; off < n;) {
			size_t k = n - off < chunk ? n - off : chunk;
			ssize_t w = write(p[1], s + off, k);
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	*child = pid;
	return p[0];
}

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	put(b, tmp, (size_t)k);
}

/* Reads every record of fd as "LINE<f1><f2>...\n"; returns the final status
 * (CSV_EOF or an error) and the dump in *out (caller frees). */
static int dump_fd(int fd, char sep, char **out, char *err, size_t errlen)
{
	struct csv_reader *r;
	assert_int_equal(csv_open(&r, fd, sep), 0);
	struct buf b = {0};
	put(&b, "", 0);
	struct csv_record rec;
	int rc;
	while ((rc = csv_next(r, &rec)) == CSV_RECORD) {
		assert_true(rec.nfields >= 1);
		putf(&b, "%llu", (unsigned long long)rec.line);
		for (size_t i = 0; i < rec.nfields; i++) {
			put(&b, "<", 1);
			put(&b, rec.fields[i], rec.lens[i]);
			put(&b, ">", 1);
		}
		put(&b, "\n", 1);
	}
	/* errors and EOF are sticky */
	assert_int_equal(csv_next(r, &rec), rc);
	if (err)
		snprintf(err, errlen, "%s", csv_error(r));
	csv_close(r);
	*out = b.s;
	return rc;
}

static int dump_mem(const char *data, size_t n, char **out, char *err, size_t errlen)
{
	int fd = data_fd(data, n);
	int rc = dump_fd(fd, ',', out, err, errlen);
	close(fd);
	return rc;
}

/* Asserts that data (a C string) parses to exactly `want`, ending in EOF. */
#define PARSES(data, want)                                                         \
	do {                                                                        \
		char *got_;                                                         \
		char err_[200];                                                     \
		int rc_ = dump_mem(data, sizeof(data) - 1, &got_, err_, sizeof err_); \
		if (rc_ != CSV_EOF)                                                 \
			fail_msg("status %d (%s) for %s", rc_, err_, #data);        \
		assert_string_equal(got_, want);                                    \
		free(got_);                                                         \
	} while (0)

/* Asserts that data gives the records `want` then CSV_MALFORMED with an
 * error containing `needle`. */
#define MALFORMED(data, want, needle)                                              \
	do {                                                                        \
		char *got_;                                                         \
		char err_[200];                                                     \
		int rc_ = dump_mem(data, sizeof(data) - 1, &got_, err_, sizeof err_); \
		assert_int_equal(rc_, CSV_MALFORMED);                               \
		assert_string_equal(got_, want);                                    \
		if (!strstr(err_, needle))                                          \
			fail_msg("error '%s' lacks '%s'", err_, needle);            \
		free(got_);                                                         \
	} while (0)

static void plain_records(void **state)
{
	(void)state;
	PARSES("a,b,c\n1,2,3\n", "1<a><b><c>\n2<1><2><3>\n");
	PARSES("single\n", "1<single>\n");
	PARSES("x y , z\n", "1<x y >< z>\n"); /* blanks are data */
}

static void quoted_fields(void **state)
{
	(void)state;
	PARSES("\"a\",\"b c\",d\n", "1<a><b c><d>\n");
	PARSES("\"x,y\",\"\"\"\",\"say \"\"hi\"\"\"\n", "1<x,y><\"><say \"hi\">\n");
	PARSES("\"\"\n", "1<>\n"); /* one empty quoted field is a record, not a blank line */
	PARSES("a,\"\",\"\"\"\"\"\"\n", "1<a><><\"\">\n");
	/* a quote inside an unquoted field is literal */
	PARSES("a\"b,c\"\n5\"\n", "1<a\"b><c\">\n2<5\">\n");
	PARSES(" \"q\",x\n", "1< \"q\"><x>\n");
}

static void embedded_line_breaks(void **state)
{
	(void)state;
	PARSES("\"l1\nl2\",x\nnext\n", "1<l1\nl2><x>\n3<next>\n");
	PARSES("\"l1\r\nl2\r\n\",x\r\nnext\r\n", "1<l1\r\nl2\r\n><x>\n4<next>\n");
	PARSES("a,\"\n\n\n\"\nb\n", "1<a><\n\n\n>\n5<b>\n");
	PARSES("\"cr\ronly\"\n", "1<cr\ronly>\n");
}

static void line_ends(void **state)
{
	(void)state;
	PARSES("a,b\r\n1,2\r\n", "1<a><b>\n2<1><2>\n");
	PARSES("a,b\r\n1,2", "1<a><b>\n2<1><2>\n");
	PARSES("a,b\r1,2\r", "1<a><b>\n2<1><2>\n"); /* lone CR ends a line too */
	PARSES("a\r\nb\rc\nd", "1<a>\n2<b>\n3<c>\n4<d>\n");
	PARSES("\"q\"\r\n\"r\"\r\"s\"\n", "1<q>\n2<r>\n3<s>\n");
	PARSES("a,\r\n", "1<a><>\n");
	PARSES("x\r", "1<x>\n");
}

static void byte_order_mark(void **state)
{
	(void)state;
	PARSES("\xEF\xBB\xBF" "id,name\n1,x\n", "1<id><name>\n2<1><x>\n");
	PARSES("\xEF\xBB\xBF\"id\"\n", "1<id>\n");
	/* only at the very start */
	PARSES("a\n\xEF\xBB\xBF" "b\n", "1<a>\n2<\xEF\xBB\xBF" "b>\n");
	PARSES("\xEF\xBB\xBF", "");
	PARSES("\xEF\xBB", "1<\xEF\xBB>\n"); /* not a BOM: data */
}

static void ragged_rows(void **state)
{
	(void)state;
	PARSES("a,b,c\n1\n1,2,3,4\n,\n", "1<a><b><c>\n2<1>\n3<1><2><3><4>\n4<><>\n");
}

static void blank_lines_are_skipped(void **state)
{
	(void)state;
	PARSES("\n\na\n\r\n\nb\n\n", "3<a>\n6<b>\n");
	PARSES("\r\n\r\n", "");
	PARSES("\r\r\ra\r\r", "4<a>\n");
	PARSES("a\n\n", "1<a>\n");
	/* a line of blanks is not blank: it has bytes */
	PARSES(" \n", "1< >\n");
}

static void final_record_without_newline(void **state)
{
	(void)state;
	PARSES("a,b\nc,d", "1<a><b>\n2<c><d>\n");
	PARSES("a,b\n\"c\"", "1<a><b>\n2<c>\n");
	PARSES("x,", "1<x><>\n");
	PARSES("\"x\",", "1<x><>\n");
	PARSES("\"a\"\"\"", "1<a\">\n");
}

static void empty_fields(void **state)
{
	(void)state;
	PARSES(",,\n", "1<><><>\n");
	PARSES("\"\",\"\"\n", "1<><>\n");
	PARSES(",\n", "1<><>\n");
	PARSES("a,,b,\n", "1<a><><b><>\n");
}

/* Records of empty fields only, read by the general path before any byte was
 * ever copied: the fields must not be computed from a null record buffer
 * (null pointer + 0 is undefined; clang's UBSan reports it). */
static void only_separators(void **state)
{
	(void)state;
	PARSES(",", "1<><>\n");
	PARSES(",,", "1<><><>\n");
	PARSES(",\r", "1<><>\n");
	PARSES("\n,", "2<><>\n");
	PARSES("\"\",", "1<><>\n");
	for (size_t i = 0; i < 4; i++) {
		struct csv_reader *r;
		int fd = data_fd(",", 1);
		assert_int_equal(csv_open(&r, fd, ','), 0);
		struct csv_record rec;
		assert_int_equal(csv_next(r, &rec), CSV_RECORD);
		assert_int_equal(rec.nfields, 2);
		for (size_t k = 0; k < rec.nfields; k++) {
			assert_non_null(rec.fields[k]);
			assert_int_equal(rec.lens[k], 0);
		}
		assert_int_equal(csv_next(r, &rec), CSV_EOF);
		csv_close(r);
		close(fd);
	}
}

static void empty_input(void **state)
{
	(void)state;
	PARSES("", "");
	PARSES("\n", "");
	PARSES("\n\r\n\r", "");
}

static void other_separators(void **state)
{
	(void)state;
	int fd = data_fd("a;b,c;\"d;e\"\n", 12);
	char *got;
	assert_int_equal(dump_fd(fd, ';', &got, NULL, 0), CSV_EOF);
	assert_string_equal(got, "1<a><b,c><d;e>\n");
	free(got);
	close(fd);
	fd = data_fd("a\tb\t\"c\td\"\n", 10);
	assert_int_equal(dump_fd(fd, '\t', &got, NULL, 0), CSV_EOF);
	assert_string_equal(got, "1<a><b><c\td>\n");
	free(got);
	close(fd);
	struct csv_reader *r = (struct csv_reader *)1;
	assert_int_equal(csv_open(&r, 0, '"'), CSV_MALFORMED);
	assert_null(r);
}

static void text_after_closing_quote(void **state)
{
	(void)state;
	MALFORMED("ok\n\"a\"b,c\n", "1<ok>\n", "line 2: unexpected 'b' after the closing quote of field 1");
	MALFORMED("x,\"a\" \n", "", "after the closing quote of field 2");
	MALFORMED("\"a\"\"b\"c\n", "", "unexpected 'c'");
}

static void unterminated_quote(void **state)
{
	(void)state;
	MALFORMED("a\nb\n\"open,\nmore\n", "1<a>\n2<b>\n",
		  "end of file inside the quoted field opened on line 3");
	MALFORMED("\"", "", "quoted field opened on line 1");
	MALFORMED("x,\"\"\"", "", "inside the quoted field");
}

static void line_numbers(void **state)
{
	(void)state;
	PARSES("h\n\n\"a\nb\"\r\n\nc\r\rd\n", "1<h>\n3<a\nb>\n6<c>\n8<d>\n");
}

/* Reads fd to EOF and checks csv_bytes() against the file size. */
static void bytes_consumed(void **state)
{
	(void)state;
	const char data[] = "\xEF\xBB\xBF" "ab,c\n\"d\"\r\n\n";
	int fd = data_fd(data, sizeof data - 1);
	struct csv_reader *r;
	struct csv_record rec;
	assert_int_equal(csv_open(&r, fd, ','), 0);
	assert_int_equal(csv_bytes(r), 0);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(csv_bytes(r), 8);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(csv_bytes(r), 13);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	assert_int_equal(csv_bytes(r), sizeof data - 1);
	assert_string_equal(csv_error(r), "no error");
	csv_close(r);
	close(fd);
	csv_close(NULL);
}

static void read_error(void **state)
{
	(void)state;
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	struct csv_reader *r;
	struct csv_record rec;
	assert_int_equal(csv_open(&r, fd, ','), 0);
	assert_int_equal(csv_next(r, &rec), CSV_IO);
	assert_non_null(strstr(csv_error(r), "read: "));
	assert_int_equal(csv_next(r, &rec), CSV_IO);
	csv_close(r);
	close(fd);
}

/* Many short records around the buffer boundary: every straddling offset
 * of the boundary inside a record is hit, fields quoted and not. */
static void records_straddle_the_buffer(void **state)
{
	(void)state;
	struct buf b = {0};
	int n = 0;
	while (b.len < 3 * BUFSZ + 100) {
		if (n % 3 == 0)
			putf(&b, "%d,value-%d,\"q,%d\"\n", n, n, n);
		else if (n % 3 == 1)
			putf(&b, "%d,\"x\"\"%d\"\"\",\"a\r\nb\"\r\n", n, n);
		else
			putf(&b, "%d,plain-%d,tail\r\n", n, n);
		n++;
	}
	int fd = data_fd(b.s, b.len);
	struct csv_reader *r;
	struct csv_record rec;
	assert_int_equal(csv_open(&r, fd, ','), 0);
	uint64_t line = 1;
	char want[3][64];
	for (int i = 0; i < n; i++) {
		assert_int_equal(csv_next(r, &rec), CSV_RECORD);
		assert_int_equal(rec.nfields, 3);
		assert_int_equal(rec.line, line);
		snprintf(want[0], sizeof want[0], "%d", i);
		if (i % 3 == 0) {
			snprintf(want[1], sizeof want[1], "value-%d", i);
			snprintf(want[2], sizeof want[2], "q,%d", i);
			line++;
		} else if (i % 3 == 1) {
			snprintf(want[1], sizeof want[1], "x\"%d\"", i);
			snprintf(want[2], sizeof want[2], "a\r\nb");
			line += 2;
		} else {
			snprintf(want[1], sizeof want[1], "plain-%d", i);
			snprintf(want[2], sizeof want[2], "tail");
			line++;
		}
		for (int k = 0; k < 3; k++) {
			if (rec.lens[k] != strlen(want[k]) || memcmp(rec.fields[k], want[k], rec.lens[k]))
				fail_msg("record %d field %d: '%.*s' != '%s'", i, k, (int)rec.lens[k],
					 rec.fields[k], want[k]);
		}
	}
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	assert_int_equal(csv_bytes(r), b.len);
	csv_close(r);
	close(fd);
	free(b.s);
}

/* A single field larger than the read buffer comes back whole, and a
 * quoted field containing "" and CRLF right at the boundary too. */
static void field_longer_than_the_buffer(void **state)
{
	(void)state;
	size_t big = BUFSZ + BUFSZ / 2;
	struct buf b = {0};
	put(&b, "id,blob\n1,", 10);
	char *blob = malloc(big);
	assert_non_null(blob);
	for (size_t i = 0; i < big; i++)
		blob[i] = (char)('a' + i % 26);
	put(&b, blob, big);
	put(&b, "\n2,\"", 4);
	/* pad so the "" and the CRLF of the quoted field sit on the 2nd boundary */
	size_t pad = 2 * BUFSZ - b.len - 1;
	for (size_t i = 0; i < pad; i++)
		put(&b, "z", 1);
	put(&b, "\"\"\r\nend\"\n3,x", 12);
	int fd = data_fd(b.s, b.len);
	struct csv_reader *r;
	struct csv_record rec;
	assert_int_equal(csv_open(&r, fd, ','), 0);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(rec.nfields, 2);
	assert_int_equal(rec.lens[1], big);
	assert_memory_equal(rec.fields[1], blob, big);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(rec.line, 3);
	assert_int_equal(rec.lens[1], pad + 1 + 2 + 3);
	assert_memory_equal(rec.fields[1] + pad, "\"\r\nend", 6);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(rec.line, 5);
	assert_int_equal(rec.lens[1], 1);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);
	close(fd);
	free(blob);
	free(b.s);
}

/* A record of exactly CSV_MAX_RECORD content bytes is read; one more byte
 * (quotes do not count) is CSV_MALFORMED. */
static void record_size_cap(void **state)
{
	(void)state;
	size_t n = CSV_MAX_RECORD;
	char *data = malloc(n + 16);
	assert_non_null(data);
	/* "a,<rest>" quoted so the quotes are not counted */
	data[0] = 'a';
	data[1] = ',';
	data[2] = '"';
	memset(data + 3, 'x', n - 1);
	memcpy(data + 3 + n - 1, "\"\n", 2);
	int fd = data_fd(data, n + 4);
	struct csv_reader *r;
	struct csv_record rec;
	assert_int_equal(csv_open(&r, fd, ','), 0);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(rec.lens[0] + rec.lens[1], CSV_MAX_RECORD);
	assert_int_equal(csv_next(r, &rec), CSV_EOF);
	csv_close(r);
	close(fd);

	/* one byte more, no line end at all */
	memset(data, 'y', n + 1);
	fd = data_fd(data, n + 1);
	assert_int_equal(csv_open(&r, fd, ','), 0);
	assert_int_equal(csv_next(r, &rec), CSV_MALFORMED);
	assert_non_null(strstr(csv_error(r), "line 1: record longer than 1048576 bytes"));
	csv_close(r);
	close(fd);

	/* a second record over the cap after a good one */
	memcpy(data, "ok\n", 3);
	memset(data + 3, 'y', n + 1);
	data[n + 4] = '\n';
	fd = data_fd(data, n + 5);
	assert_int_equal(csv_open(&r, fd, ','), 0);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(csv_next(r, &rec), CSV_MALFORMED);
	assert_non_null(strstr(csv_error(r), "line 2: record longer"));
	csv_close(r);
	close(fd);
	free(data);
}

static void field_count_cap(void **state)
{
	(void)state;
	struct buf b = {0};
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		put(&b, i ? ",f" : "f", i ? 2 : 1);
	put(&b, "\n", 1);
	for (int i = 0; i <= CSV_MAX_FIELDS; i++)
		put(&b, i ? ",\"g\"" : "\"g\"", i ? 4 : 3);
	put(&b, "\n", 1);
	int fd = data_fd(b.s, b.len);
	struct csv_reader *r;
	struct csv_record rec;
	assert_int_equal(csv_open(&r, fd, ','), 0);
	assert_int_equal(csv_next(r, &rec), CSV_RECORD);
	assert_int_equal(rec.nfields, CSV_MAX_FIELDS);
	assert_int_equal(rec.lens[CSV_MAX_FIELDS - 1], 1);
	assert_int_equal(csv_next(r, &rec), CSV_MALFORMED);
	assert_non_null(strstr(csv_error(r), "line 2: more than 4096 fields"));
	csv_close(r);
	close(fd);
	free(b.s);
}

/* The same inputs read from a pipe one byte (then 7 bytes) per read give the
 * same records as from a file: nothing depends on read() sizes. */
static void short_reads_from_a_pipe(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"\xEF\xBB\xBF" "id,\"na\"\"me\"\r\n1,\"a\nb\"\r\n\r\n2,x,\r3\n\"q\"",
		"a,b\n\n,\"\"\n\"x,y\",z\r\n",
		"\xEF\xBB" "x\n",
		"\"unterminated\n",
	};
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		for (size_t chunk = 1; chunk <= 7; chunk += 6) {
			char *want, *got, ewant[200], egot[200];
			int rcw = dump_mem(inputs[i], strlen(inputs[i]), &want, ewant, sizeof ewant);
			pid_t child;
			int fd = pipe_fd(inputs[i], strlen(inputs[i]), chunk, &child);
			int rcg = dump_fd(fd, ',', &got, egot, sizeof egot);
			close(fd);
			int status;
			assert_int_equal(waitpid(child, &status, 0), child);
			assert_int_equal(rcg, rcw);
			assert_string_equal(got, want);
			assert_string_equal(egot, ewant);
			free(want);
			free(got);
		}
	}
}

/* Round trip: random records (fields with separators, quotes, CR, LF, empty)
 * serialised with random quoting and LF/CRLF/CR line ends over ~1 MB, so
 * buffer boundaries fall everywhere; every field must come back intact. */
static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void random_round_trip(void **state)
{
	(void)state;
	static const char alphabet[] = "abcxyz019 ,,\"\"\r\n;";
	for (int eol_kind = 0; eol_kind < 3; eol_kind++) {
		const char *eol = eol_kind == 0 ? "\n" : eol_kind == 1 ? "\r\n" : "\r";
		struct buf file = {0}, expect = {0};
		put(&file, "", 0);
		put(&expect, "", 0);
		uint64_t line = 1;
		while (file.len < 1000000) {
			unsigned nf = 1 + rnd(6);
			putf(&expect, "%llu", (unsigned long long)line);
			for (unsigned f = 0; f < nf; f++) {
				char cell[64];
				unsigned len = rnd(4) == 0 ? 0 : rnd(40);
				bool special = false;
				for (unsigned k = 0; k < len; k++) {
					cell[k] = rnd(3) ? alphabet[rnd(6)] : alphabet[rnd(sizeof alphabet - 1)];
					special |= cell[k] == ',' || cell[k] == '\r' || cell[k] == '\n';
				}
				if (len && cell[0] == '"')
					special = true;
				/* a lone empty unquoted field would be a blank line */
				bool quote = special || rnd(4) == 0 || (nf == 1 && len == 0);
				if (f)
					put(&file, ",", 1);
				if (quote)
					put(&file, "\"", 1);
				for (unsigned k = 0; k < len; k++) {
					if (quote && cell[k] == '"')
						put(&file, "\"", 1);
					put(&file, &cell[k], 1);
					if (quote && cell[k] == '\n')
						line++;
					/* a CR LF pair or lone CR inside quotes: only LF counts */
				}
				if (quote)
					put(&file, "\"", 1);
				put(&expect, "<", 1);
				put(&expect, cell, len);
				put(&expect, ">", 1);
			}
			put(&expect, "\n", 1);
			put(&file, eol, strlen(eol));
			line++;
		}
		char *got;
		char err[200];
		int rc = dump_mem(file.s, file.len, &got, err, sizeof err);
		if (rc != CSV_EOF)
			fail_msg("eol %d: status %d: %s", eol_kind, rc, err);
		if (strcmp(got, expect.s) != 0) {
			size_t i = 0;
			while (got[i] && got[i] == expect.s[i])
				i++;
			fail_msg("eol %d: differs at dump offset %zu", eol_kind, i);
		}
		free(got);
		free(file.s);
		free(expect.s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_records),
		cmocka_unit_test(quoted_fields),
		cmocka_unit_test(embedded_line_breaks),
		cmocka_unit_test(line_ends),
		cmocka_unit_test(byte_order_mark),
		cmocka_unit_test(ragged_rows),
		cmocka_unit_test(blank_lines_are_skipped),
		cmocka_unit_test(final_record_without_newline),
		cmocka_unit_test(empty_fields),
		cmocka_unit_test(only_separators),
		cmocka_unit_test(empty_input),
		cmocka_unit_test(other_separators),
		cmocka_unit_test(text_after_closing_quote),
		cmocka_unit_test(unterminated_quote),
		cmocka_unit_test(line_numbers),
		cmocka_unit_test(bytes_consumed),
		cmocka_unit_test(read_error),
		cmocka_unit_test(records_straddle_the_buffer),
		cmocka_unit_test(field_longer_than_the_buffer),
		cmocka_unit_test(record_size_cap),
		cmocka_unit_test(field_count_cap),
		cmocka_unit_test(short_reads_from_a_pipe),
		cmocka_unit_test(random_round_trip),
	};
	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
