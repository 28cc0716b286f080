/* test_log: the logger's lines are valid JSON whatever the values hold
 * (quotes, control characters, malformed UTF-8, values longer than a line),
 * carry an RFC 3339 UTC timestamp with ms, a full buffer behind a blocked
 * writer drops and counts lines without blocking the caller, and shutdown
 * writes every queued line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

/* A temp file the logger writes to; read back with slurp(). */
static int temp_fd(void)
{
	char path[] = "/tmp/dp-test-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static char *slurp(int fd, size_t *out_len)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	assert_non_null(buf);
	lseek(fd, 0, SEEK_SET);
	ssize_t n;
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	if (out_len)
		*out_len = len;
	return buf;
}

/* Logs through a started writer to a temp file; returns the lines, parsed. */
static json_t *capture(void (*body)(void))
{
	int fd = temp_fd();
	assert_int_equal(log_start(fd, 0), 0);
	body();
	log_shutdown(5000);
	char *text = slurp(fd, NULL);
	close(fd);
	json_t *lines = json_array();
	char *save = NULL;
	for (char *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(ln) < LOG_LINE_MAX);
		json_error_t je;
		json_t *j = json_loads(ln, JSON_REJECT_DUPLICATES, &je);
		if (!j)
			fail_msg("not a JSON line (%s): %s", je.text, ln);
		json_array_append_new(lines, j);
	}
	free(text);
	return lines;
}

static void log_awkward_values(void)
{
	log_event(LOG_WARN, "esc \"q\" \\ \n",
		  LOG_STR("ctl", "a\"b\\c\n\r\t\b\f\x01\x1f\x7f" "d"),
		  LOG_STR("bad", "x\xff" "y\xc3(z\xed\xa0\x80" "w\xc0\xaf"),
		  LOG_STR("good", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
		  LOG_STR("none", NULL), LOG_INT("neg", INT64_MIN), LOG_INT("big", INT64_MAX),
		  LOG_NUM("ms", 12.3456, 3), LOG_NUM("minus", -0.5, 1), LOG_NUM("whole", 7, 0),
		  LOG_NUM("nan", 0.0 / 0.0, 2), LOG_BOOL("yes", true));
	log_event(LOG_ERROR, "no fields");
}

static void escapes_every_awkward_value(void **state)
{
	(void)state;
	json_t *lines = capture(log_awkward_values);
	assert_int_equal(json_array_size(lines), 2);
	json_t *j = json_array_get(lines, 0);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "esc \"q\" \\ \n");
	assert_string_equal(json_string_value(json_object_get(j, "ctl")),
			    "a\"b\\c\n\r\t\b\f\x01\x1f\x7f" "d");
	assert_string_equal(json_string_value(json_object_get(j, "bad")), "x?y?(z???w??");
	assert_string_equal(json_string_value(json_object_get(j, "good")),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_true(json_is_null(json_object_get(j, "none")));
	assert_true(json_integer_value(json_object_get(j, "neg")) == INT64_MIN);
	assert_true(json_integer_value(json_object_get(j, "big")) == INT64_MAX);
	assert_float_equal(json_number_value(json_object_get(j, "ms")), 12.346, 1e-9);
	assert_float_equal(json_number_value(json_object_get(j, "minus")), -0.5, 1e-9);
	assert_true(json_is_integer(json_object_get(j, "whole")));
	assert_true(json_is_null(json_object_get(j, "nan")));
	assert_true(json_is_true(json_object_get(j, "yes")));
	assert_null(json_object_get(j, "truncated"));
	/* the field order is fixed: ts, level, msg first (tests grep for it) */
	char *txt = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
	assert_true(strncmp(txt, "{\"ts\":\"", 7) == 0);
	assert_non_null(strstr(txt, "\",\"level\":\"warn\",\"msg\":\"esc"));
	free(txt);
	json_t *bare = json_array_get(lines, 1);
	assert_int_equal(json_object_size(bare), 3);
	assert_string_equal(json_string_value(json_object_get(bare, "level")), "error");
	json_decref(lines);
}

static char long_ascii[20000], long_multibyte[20001], long_controls[20000];

static void log_long_values(void)
{
	memset(long_ascii, 'a', sizeof long_ascii - 1);
	/* "é" is two bytes: a cut must not split one */
	for (size_t i = 0; i + 2 < sizeof long_multibyte; i += 2)
		memcpy(long_multibyte + i, "\xc3\xa9", 2);
	/* each \x01 becomes six bytes: a cut must not split an escape */
	memset(long_controls, 1, sizeof long_controls - 1);
	log_event(LOG_INFO, "long", LOG_STR("v", long_ascii), LOG_INT("after", 1));
	log_event(LOG_INFO, "long", LOG_STR("v", long_multibyte), LOG_INT("after", 1));
	log_event(LOG_INFO, "long", LOG_STR("v", long_controls), LOG_INT("after", 1));
	/* the last field that fits is kept whole or left out, never half */
	struct log_line l;
	log_begin(&l, LOG_INFO, "many");
	char key[16];
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		log_int(&l, key, 123456789);
	}
	log_end(&l);
	log_begin(&l, LOG_INFO, "many strings");
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		log_str(&l, key, "vvvvvvvv");
	}
	log_end(&l);
}

static void cuts_long_values_and_keeps_valid_json(void **state)
{
	(void)state;
	json_t *lines = capture(log_long_values);
	assert_int_equal(json_array_size(lines), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *j = json_array_get(lines, i);
		assert_true(json_is_true(json_object_get(j, "truncated")));
		assert_null(json_object_get(j, "after"));
		if (i < 3) {
			size_t n = strlen(json_string_value(json_object_get(j, "v")));
			assert_true(n > 1000); /* cut near the line limit, not dropped */
		}
	}
	json_decref(lines);
}

static void log_one(void) { log_event(LOG_INFO, "tick"); }

static void stamps_rfc3339_utc_with_ms(void **state)
{
	(void)state;
	int64_t before = clock_now_ms();
	json_t *lines = capture(log_one);
	int64_t after = clock_now_ms();
	const char *ts = json_string_value(json_object_get(json_array_get(lines, 0), "ts"));
	assert_non_null(ts);
	assert_int_equal(strlen(ts), ISO_TS_LEN);
	int64_t ms;
	assert_int_equal(clock_parse_iso(&ms, ts), 0); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
	assert_true(ms >= before && ms <= after);
	json_decref(lines);
}

struct drain {
	int fd;
	char *text;
	size_t len;
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	size_t cap = 1 << 20;
	d->text = malloc(cap + 1);
	ssize_t n;
	while ((n = read(d->fd, d->text + d->len, cap - d->len)) > 0) {
		d->len += (size_t)n;
		if (d->len == cap) {
			cap *= 2;
			d->text = realloc(d->text, cap + 1);
		}
	}
	d->text[d->len] = '\0';
	return NULL;
}

static void drops_and_counts_when_the_writer_is_blocked(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	/* a logger that blocks its callers would hang here: end the test
	 * binary (SIGALRM) instead of waiting forever */
	alarm(60);
	/* nobody reads the pipe yet, and it is already full: the writer
	 * blocks on its first write, the 4 KiB buffer fills, and later lines
	 * are dropped */
	int fl = fcntl(p[1], F_GETFL);
	fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
	char junk[4096];
	memset(junk, '\n', sizeof junk);
	while (write(p[1], junk, sizeof junk) > 0)
		;
	fcntl(p[1], F_SETFL, fl);
	uint64_t dropped0 = log_dropped_total();
	assert_int_equal(log_start(p[1], 4096), 0);
	enum { N = 5000 };
	char pad[200];
	memset(pad, 'p', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	for (int i = 0; i < N; i++)
		log_event(LOG_INFO, "fill", LOG_INT("i", i), LOG_STR("pad", pad));
	uint64_t dropped = log_dropped_total() - dropped0;
	assert_true(dropped > 0);
	assert_true(dropped < N);
	assert_int_equal(log_flush(200), -1); /* still blocked: flush gives up */
	/* now read it all: every line either arrived or was counted */
	struct drain d = {.fd = p[0]};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, drain_main, &d), 0);
	log_shutdown(5000);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	long arrived = 0, reported = 0;
	char *save = NULL;
	for (char *ln = strtok_r(d.text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(ln, 0, NULL);
		if (!j)
			fail_msg("not a JSON line: %.200s", ln);
		const char *msg = json_string_value(json_object_get(j, "msg"));
		if (!strcmp(msg, "fill"))
			arrived++;
		else if (strstr(msg, "log lines dropped")) {
			assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
			reported += (long)json_integer_value(json_object_get(j, "dropped"));
		}
		json_decref(j);
	}
	free(d.text);
	assert_int_equal(reported, (long)dropped);
	assert_int_equal(arrived + reported, N);
	alarm(0);
}

enum { THREADS = 4, PER_THREAD = 5000 };

static void *burst_main(void *arg)
{
	long t = (long)(intptr_t)arg;
	for (int i = 0; i < PER_THREAD; i++)
		log_event(LOG_INFO, "burst", LOG_INT("thread", t), LOG_INT("i", i));
	return NULL;
}

static void shutdown_writes_everything(void **state)
{
	(void)state;
	int fd = temp_fd();
	uint64_t dropped0 = log_dropped_total();
	assert_int_equal(log_start(fd, 8u << 20), 0); /* room for all of it */
	pthread_t th[THREADS];
	for (long t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, burst_main, (void *)(intptr_t)t), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	log_shutdown(10000);
	log_event(LOG_INFO, "after shutdown"); /* written directly */
	assert_int_equal(log_dropped_total(), dropped0);
	char *text = slurp(fd, NULL);
	close(fd);
	int seen[THREADS] = {0};
	long n = 0;
	bool after = false;
	char *save = NULL;
	for (char *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(ln, 0, NULL);
		if (!j)
			fail_msg("not a JSON line (interleaved?): %.200s", ln);
		const char *msg = json_string_value(json_object_get(j, "msg"));
		if (!strcmp(msg, "burst")) {
			int t = (int)json_integer_value(json_object_get(j, "thread"));
			/* each thread's lines arrive in order */
			assert_int_equal(json_integer_value(json_object_get(j, "i")), seen[t]);
			seen[t]++;
			n++;
		} else if (!strcmp(msg, "after shutdown")) {
			after = true;
		}
		json_decref(j);
	}
	free(text);
	assert_int_equal(n, THREADS * PER_THREAD);
	assert_true(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escapes_every_awkward_value),
		cmocka_unit_test(cuts_long_values_and_keeps_valid_json),
		cmocka_unit_test(stamps_rfc3339_utc_with_ms),
		cmocka_unit_test(drops_and_counts_when_the_writer_is_blocked),
		cmocka_unit_test(shutdown_writes_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
