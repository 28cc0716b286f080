/* duration: ISO 8601 durations as API key expiries use them ("P7D",
 * "PT12H", "P1Y2M3DT4H5M6S", "P2W"). */
#ifndef DP_DURATION_H
#define DP_DURATION_H
#include <stdint.h>

/* Parses s into milliseconds; years count 365 days, months 30 days.
 * Returns -1 for anything malformed, empty ("P", "PT") or over 100 years. */
int duration_parse_ms(int64_t *out, const char *s);

#endif
