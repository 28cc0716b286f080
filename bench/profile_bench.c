/* profile_bench: throughput and memory of profile_csv (src/quality/profile.c)
 * on a generated CSV. Not a test; bench/run_profile_bench.sh drives it.
 *
 *   profile_bench gen FILE MIB [SEED]   write a CSV of at least MIB MiB
 *   profile_bench run FILE [--cold]     profile FILE and print the numbers
 *
 * The generated table mixes the declared types of a typical order table:
 * an integer id, customer codes, a DECIMAL(12,2) amount, a small integer
 * quantity, a DOUBLE price, a DATE, a TIMESTAMP (ISO 8601 or epoch
 * milliseconds), a BOOLEAN, short category strings and free text of which
 * about a third is quoted with commas inside. About 2 % of the cells are
 * empty and about 1 % of the typed cells are invalid. `run` times one
 * profile_csv() call (wall clock and CPU) and reports MB/s (10^6 bytes per
 * second), rows, validity, completeness and the process's peak RSS. With
 * --cold the file's pages are dropped from the page cache first. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "quality/profile.h"

static const char schema_text[] =
	"[{\"name\":\"order_id\",\"dataType\":{\"type\":\"INTEGER\"}},"
	"{\"name\":\"customer\",\"dataType\":{\"type\":\"STRING\"}},"
	"{\"name\":\"amount\",\"dataType\":{\"type\":\"DECIMAL\",\"properties\":{\"precision\":12,\"scale\":2}}},"
	"{\"name\":\"quantity\",\"dataType\":{\"type\":\"INTEGER\"}},"
	"{\"name\":\"unit_price\",\"dataType\":{\"type\":\"DOUBLE\"}},"
	"{\"name\":\"order_date\",\"dataType\":{\"type\":\"DATE\"}},"
	"{\"name\":\"created_at\",\"dataType\":{\"type\":\"TIMESTAMP\"}},"
	"{\"name\":\"paid\",\"dataType\":{\"type\":\"BOOLEAN\"}},"
	"{\"name\":\"category\",\"dataType\":{\"type\":\"STRING\"}},"
	"{\"name\":\"country\",\"dataType\":{\"type\":\"STRING\"}},"
	"{\"name\":\"note\",\"dataType\":{\"type\":\"STRING\"}}]";

/* ---- generator ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * n) >> 32);
}

struct out {
	int fd;
	char *buf;
	size_t len, cap;
	uint64_t total;
};

static void flush_out(struct out *o)
{
	size_t off = 0;
	while (off < o->len) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror("write");
			exit(1);
		}
		off += (size_t)w;
	}
	o->total += o->len;
	o->len = 0;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > o->cap)
		flush_out(o);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u(struct out *o, uint64_t v)
{
	char t[24];
	int i = 24;
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, t + i, (size_t)(24 - i));
}

/* v with exactly w digits (zero padded). */
static void put_w(struct out *o, unsigned v, int w)
{
	char t[8];
	for (int i = w - 1; i >= 0; i--) {
		t[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put(o, t, (size_t)w);
}

static const char *const categories[] = {
	"electronics", "books", "garden", "toys", "grocery", "clothing", "shoes", "sports",
	"beauty", "health", "automotive", "music", "movies", "office", "pets", "baby",
	"jewelry", "tools", "furniture", "kitchen"};
static const char *const countries[] = {
	"SE", "DE", "FR", "US", "GB", "NO", "DK", "FI", "NL", "BE", "ES", "IT", "PL", "PT",
	"CH", "AT", "IE", "CA", "JP", "AU", "BR", "IN", "MX", "ZA", "KR"};
static const char *const words[] = {
	"delivered", "late", "customer", "asked", "for", "gift", "wrapping", "and", "a", "receipt",
	"package", "damaged", "replacement", "sent", "express", "shipping", "address", "changed",
	"refund", "pending", "approved", "by", "support", "call", "back", "tomorrow", "the",
	"order", "was", "split", "into", "two", "parcels", "warehouse", "north", "south",
	"priority", "loyalty", "discount", "applied", "coupon", "invalid", "retry", "ok"};
static const char *const bad_number[] = {"N/A", "\"12,5\"", "1.2.3", "--4", "abc", "1e", "0x1F"};
static const char *const bad_date[] = {"2023-02-29", "2024-13-01", "31/12/2024", "yesterday",
				       "2024-6-1"};
static const char *const bad_bool[] = {"maybe", "yess", "2", "unknown", "on"};

#define NWORDS (sizeof words / sizeof *words)
#define PICK(a) (a)[below((uint32_t)(sizeof(a) / sizeof *(a)))]

/* Decides the fate of one cell: 0 normal, 1 empty (~2 %), 2 invalid (~1 %). */
static int fate(int typed)
{
	uint32_t r = below(1000);
	if (r < 20)
		return 1;
	if (typed && r < 30)
		return 2;
	return 0;
}

static void gen_row(struct out *o, uint64_t id)
{
	int f;
	/* order_id */
	if ((f = fate(1)) == 0)
		put_u(o, id);
	else if (f == 2)
		puts_(o, PICK(bad_number));
	put(o, ",", 1);
	/* customer: ~200k distinct codes */
	if (fate(0) == 0) {
		puts_(o, "cust-");
		put_w(o, below(200000), 6);
	}
	put(o, ",", 1);
	/* amount DECIMAL(12,2) */
	if ((f = fate(1)) == 0) {
		uint32_t cents = below(5000000);
		if (below(20) == 0)
			put(o, "-", 1);
		put_u(o, cents / 100);
		put(o, ".", 1);
		put_w(o, cents % 100, 2);
	} else if (f == 2)
		puts_(o, below(2) ? PICK(bad_number) : "123.456");
	put(o, ",", 1);
	/* quantity */
	if ((f = fate(1)) == 0)
		put_u(o, 1 + below(below(4) ? 5 : 100));
	else if (f == 2)
		puts_(o, PICK(bad_number));
	put(o, ",", 1);
	/* unit_price DOUBLE */
	if ((f = fate(1)) == 0) {
		uint32_t v = below(1000000);
		put_u(o, v / 1000);
		put(o, ".", 1);
		put_w(o, v % 1000, 3);
		if (below(50) == 0)
			puts_(o, "e2");
	} else if (f == 2)
		puts_(o, PICK(bad_number));
	put(o, ",", 1);
	/* order_date / created_at */
	unsigned y = 2015 + below(10), m = 1 + below(12), d = 1 + below(28);
	unsigned hh = below(24), mi = below(60), ss = below(60);
	if ((f = fate(1)) == 0) {
		put_w(o, y, 4);
		put(o, "-", 1);
		put_w(o, m, 2);
		put(o, "-", 1);
		put_w(o, d, 2);
	} else if (f == 2)
		puts_(o, PICK(bad_date));
	put(o, ",", 1);
	if ((f = fate(1)) == 0) {
		if (below(10) == 0) {
			put_u(o, 1420070400000ull + (uint64_t)below(315360000) * 1000 + below(1000));
		} else {
			put_w(o, y, 4);
			put(o, "-", 1);
			put_w(o, m, 2);
			put(o, "-", 1);
			put_w(o, d, 2);
			put(o, "T", 1);
			put_w(o, hh, 2);
			put(o, ":", 1);
			put_w(o, mi, 2);
			put(o, ":", 1);
			put_w(o, ss, 2);
			if (below(2)) {
				put(o, ".", 1);
				put_w(o, below(1000), 3);
			}
			put(o, "Z", 1);
		}
	} else if (f == 2)
		puts_(o, PICK(bad_date));
	put(o, ",", 1);
	/* paid BOOLEAN */
	if ((f = fate(1)) == 0)
		puts_(o, below(3) ? "true" : "false");
	else if (f == 2)
		puts_(o, PICK(bad_bool));
	put(o, ",", 1);
	/* category, country */
	if (fate(0) == 0)
		puts_(o, PICK(categories));
	put(o, ",", 1);
	if (fate(0) == 0)
		puts_(o, PICK(countries));
	put(o, ",", 1);
	/* note: free text, a third quoted with commas (and sometimes "") */
	if (fate(0) == 0) {
		uint32_t nw = 2 + below(8);
		int quoted = below(3) == 0;
		if (quoted)
			put(o, "\"", 1);
		for (uint32_t i = 0; i < nw; i++) {
			if (i)
				puts_(o, quoted && below(4) == 0 ? ", " : " ");
			puts_(o, words[below(NWORDS)]);
		}
		if (quoted) {
			if (below(10) == 0)
				puts_(o, ", \"\"urgent\"\"");
			put(o, "\"", 1);
		}
	}
	put(o, "\n", 1);
}

static int gen(const char *path, uint64_t mib, uint64_t seed)
{
	struct out o = {0};
	o.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (o.fd < 0) {
		perror(path);
		return 1;
	}
	o.cap = 1 << 20;
	o.buf = malloc(o.cap);
	if (!o.buf)
		return 1;
	rng_state = seed;
	puts_(&o, "order_id,customer,amount,quantity,unit_price,order_date,created_at,paid,"
		  "category,country,note\n");
	uint64_t want = mib << 20, rows = 0;
	while (o.total + o.len < want)
		gen_row(&o, ++rows);
	flush_out(&o);
	free(o.buf);
	if (close(o.fd) != 0) {
		perror("close");
		return 1;
	}
	printf("generated %s: %" PRIu64 " bytes, %" PRIu64 " rows\n", path, o.total, rows);
	return 0;
}

/* ---- run ------------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The process's peak resident set so far, in KiB (VmHWM), or -1. */
static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6)) {
			v = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int run(const char *path, int cold)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (cold) {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	json_error_t je;
	json_t *schema = json_loads(schema_text, 0, &je);
	if (!schema) {
		fprintf(stderr, "schema: %s\n", je.text);
		return 1;
	}
	json_t *out = NULL;
	struct profile_stats st;
	char code[8], reason[256];
	long hwm_before = vm_hwm_kib();
	double c0 = cpu(), t0 = now();
	int rc = profile_csv(&out, &st, fd, schema, code, reason, sizeof reason);
	double t1 = now(), c1 = cpu();
	close(fd);
	json_decref(schema);
	if (rc != 0) {
		fprintf(stderr, "profile_csv failed: %s %s\n", code, reason);
		return 1;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double secs = t1 - t0;
	printf("file          %s%s\n", path, cold ? " (page cache dropped first)" : "");
	printf("bytes         %" PRIu64 " (%.1f MiB)\n", st.bytes, (double)st.bytes / 1048576.0);
	printf("rows          %" PRIu64 "\n", st.rows);
	printf("wall          %.3f s\n", secs);
	printf("cpu           %.3f s\n", c1 - c0);
	printf("throughput    %.1f MB/s (10^6 bytes/s, wall clock); %.1f MB/s per CPU second\n",
	       (double)st.bytes / 1e6 / secs, (double)st.bytes / 1e6 / (c1 - c0));
	printf("validity      %.6f\n", json_real_value(json_object_get(out, "validity")));
	printf("completeness  %.6f\n", json_real_value(json_object_get(out, "completeness")));
	printf("peak RSS      %ld KiB (getrusage ru_maxrss; %ld KiB before profile_csv)\n",
	       ru.ru_maxrss, hwm_before);
	size_t i;
	json_t *f;
	printf("%-12s %-10s %12s %10s %10s %12s\n", "field", "type", "valid", "invalid", "empty",
	       "distinct");
	json_array_foreach(json_object_get(out, "fields"), i, f) {
		json_t *p = json_object_get(f, "profile");
		printf("%-12s %-10s %12lld %10lld %10lld %12lld\n",
		       json_string_value(json_object_get(f, "name")),
		       json_string_value(json_object_get(f, "dataType")),
		       json_integer_value(json_object_get(f, "valid")),
		       json_integer_value(json_object_get(f, "invalid")),
		       json_integer_value(json_object_get(f, "empty")),
		       json_integer_value(json_object_get(p, "distinctValueCount")));
	}
	if (getenv("PROFILE_BENCH_JSON")) {
		json_dumpf(out, stdout, JSON_INDENT(1));
		putchar('\n');
	}
	json_decref(out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtoull(argv[3], NULL, 10),
			   argc >= 5 ? strtoull(argv[4], NULL, 10) : 42);
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argv[2], argc >= 4 && !strcmp(argv[3], "--cold"));
	fprintf(stderr, "usage: %s gen FILE MIB [SEED] | run FILE [--cold]\n", argv[0]);
	return 2;
}
