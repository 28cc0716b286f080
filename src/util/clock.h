/* clock: wall-clock timestamps in the wire format and a monotonic timer. */
#ifndef DP_CLOCK_H
#define DP_CLOCK_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define ISO_TS_LEN 24 /* 2026-11-26T17:23:07.123Z */

/* Current UTC time as ISO 8601 with milliseconds; buf holds ISO_TS_LEN + 1. */
void clock_now_iso(char *buf);
/* Formats ms since the epoch the same way. */
void clock_format_ms(char *buf, int64_t epoch_ms);
/* Parses exactly the format above; -1 when malformed. */
int clock_parse_iso(int64_t *out_ms, const char *s);
int64_t clock_now_ms(void);
int64_t clock_mono_ns(void);

#endif
