/* clock: ISO 8601 UTC timestamps with milliseconds (SPEC §2) and timers. */
#include "util/clock.h"
#include <stdio.h>
#include <string.h>

int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void clock_format_ms(char *buf, int64_t epoch_ms)
{
	time_t secs = (time_t)(epoch_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
		 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (int)(epoch_ms % 1000));
	memcpy(buf, tmp, ISO_TS_LEN);
	buf[ISO_TS_LEN] = '\0';
}

void clock_now_iso(char *buf) { clock_format_ms(buf, clock_now_ms()); }

int clock_parse_iso(int64_t *out_ms, const char *s)
{
	int Y, M, D, h, m, sec, ms, n = 0;
	if (!s || strlen(s) != ISO_TS_LEN)
		return -1;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &Y, &M, &D, &h, &m, &sec, &ms, &n) != 7 ||
	    n != ISO_TS_LEN)
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
			.tm_hour = h, .tm_min = m, .tm_sec = sec};
	time_t t = timegm(&tm);
	*out_ms = (int64_t)t * 1000 + ms;
	return 0;
}
