/* utf8: making arbitrary bytes safe to put in JSON strings. */
#ifndef DP_UTF8_H
#define DP_UTF8_H
#include <stddef.h>

/* Copies src into dst (cap bytes, NUL-terminated), replacing every byte that
 * is not part of a well-formed UTF-8 sequence (overlongs, surrogates and
 * truncated sequences included) with '?', and never splitting a character
 * when truncating. Returns the length written. */
size_t utf8_sanitize(char *dst, size_t cap, const char *src);

#endif
