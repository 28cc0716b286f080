/* duration: a strict ISO 8601 duration reader (designators in order, each
 * at most once, integers only, weeks alone as the standard allows). */
#include "domain/duration.h"
#include <string.h>

#define DAY_MS INT64_C(86400000)

int duration_parse_ms(int64_t *out, const char *s)
{
	static const struct {
		char unit;
		int64_t ms;
		int time; /* after 'T' */
	} units[] = {
		{'Y', 365 * DAY_MS, 0}, {'M', 30 * DAY_MS, 0}, {'W', 7 * DAY_MS, 0},
		{'D', DAY_MS, 0},       {'H', 3600000, 1},      {'M', 60000, 1},
		{'S', 1000, 1},
	};
	if (!s || *s != 'P' || strlen(s) > 40)
		return -1;
	s++;
	int64_t total = 0;
	size_t next = 0; /* index of the next designator allowed */
	int in_time = 0, parts = 0, weeks = 0;
	while (*s) {
		if (*s == 'T') {
			if (in_time || !s[1])
				return -1;
			in_time = 1;
			next = 4;
			s++;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		int64_t n = 0;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (*s++ - '0');
			if (n > 100000000)
				return -1;
		}
		size_t u = next;
		while (u < sizeof units / sizeof units[0] &&
		       (units[u].unit != *s || units[u].time != in_time))
			u++;
		if (u == sizeof units / sizeof units[0])
			return -1;
		weeks |= units[u].unit == 'W';
		total += n * units[u].ms;
		next = u + 1;
		parts++;
		s++;
	}
	if (parts == 0 || (weeks && parts > 1) || total > 100 * 365 * DAY_MS)
		return -1;
	*out = total;
	return 0;
}
