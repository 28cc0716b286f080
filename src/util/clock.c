/* clock: ISO 8601 UTC timestamps with milliseconds (SPEC §2) and timers. */
#include "util/clock.h"
#include <stdio.h>
#include <string.h>

static int num(const char *s, int len)
{
	int v = 0;
	for (int i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

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
	/* floor division: -1 ms is 1969-12-31T23:59:59.999, not "00.-01" */
	int64_t ms = epoch_ms % 1000;
	if (ms < 0)
		ms += 1000;
	time_t secs = (time_t)((epoch_ms - ms) / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
		 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (int)ms);
	memcpy(buf, tmp, ISO_TS_LEN);
	buf[ISO_TS_LEN] = '\0';
}

void clock_now_iso(char *buf) { clock_format_ms(buf, clock_now_ms()); }

int clock_parse_iso(int64_t *out_ms, const char *s)
{
	/* exactly YYYY-MM-DDTHH:MM:SS.mmmZ: digits where digits belong */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	if (!s || strlen(s) != ISO_TS_LEN)
		return -1;
	for (int i = 0; i < ISO_TS_LEN; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return -1;
#define NUM(off, len) num(s + (off), (len))
	int Y = NUM(0, 4), M = NUM(5, 2), D = NUM(8, 2), h = NUM(11, 2), m = NUM(14, 2),
	    sec = NUM(17, 2), ms = NUM(20, 3);
#undef NUM
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
			.tm_hour = h, .tm_min = m, .tm_sec = sec};
	time_t t = timegm(&tm);
	/* a leap second on 9999-12-31 normalises into year 10000, which this
	 * format cannot write back */
	if (t > (time_t)253402300799)
		return -1;
	*out_ms = (int64_t)t * 1000 + ms;
	return 0;
}
