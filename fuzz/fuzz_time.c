/* fuzz_time: the text-to-time parsers that take outside input: ISO 8601
 * durations (src/domain/duration.c, API key expiries) and the wire
 * timestamps (src/util/clock.c, clock_parse_iso, e.g. expiry dates).
 *
 * Input: the text (NUL ends it early, as in a C string from JSON).
 * Oracles: a parsed duration is within [0, 100 years]; a parsed
 * timestamp formats back to a timestamp that parses to the same instant
 * (clock_format_ms -> clock_parse_iso round trip). The same text also goes
 * through the CSV cell validators for dates and times (src/quality/typecheck.c),
 * which data quality runs on every cell of a DATE/TIME/DATETIME/TIMESTAMP
 * column. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "domain/duration.h"
#include "quality/typecheck.h"
#include "util/clock.h"

#define YEAR_MS (INT64_C(365) * 86400000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	int64_t ms = -1;
	if (duration_parse_ms(&ms, s) == 0 && (ms < 0 || ms > 100 * YEAR_MS))
		abort();

	int64_t t;
	if (clock_parse_iso(&t, s) == 0) {
		char buf[ISO_TS_LEN + 1], again[ISO_TS_LEN + 1];
		clock_format_ms(buf, t);
		int64_t t2;
		if (clock_parse_iso(&t2, buf) != 0 || t2 != t)
			abort();
		clock_format_ms(again, t2);
		if (strcmp(buf, again) != 0)
			abort();
	}
	static const enum field_type kinds[] = {FT_DATE, FT_TIME, FT_DATETIME, FT_TIMESTAMP};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (size)
			(void)typecheck_valid(kinds[i], NULL, (const char *)data, size);
	free(s);
	return 0;
}
