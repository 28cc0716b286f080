/* utf8: making arbitrary bytes safe to put in JSON strings. */
#ifndef DP_UTF8_H
#define DP_UTF8_H
#include <stdbool.h>
#include <stddef.h>

/* Copies src into dst (cap bytes, NUL-terminated), replacing every byte that
 * is not part of a well-formed UTF-8 sequence (overlongs, surrogates and
 * truncated sequences included) with '?', and never splitting a character
 * when truncating. Returns the length written. */
size_t utf8_sanitize(char *dst, size_t cap, const char *src);

/* Length of the well-formed UTF-8 sequence at s (1..4; 1 for ASCII and for
 * the terminating NUL), or 0 when the bytes at s are malformed. Reads past s
 * only while the bytes are valid continuation bytes, so a NUL-terminated
 * string is never overrun. */
size_t utf8_seq_len(const unsigned char *s);

/* True for a code point that shows nothing: White_Space, controls,
 * Default_Ignorable_Code_Point (U+200B, U+2060, U+FEFF, ...), U+2800. */
bool utf8_invisible(unsigned cp);
/* True when the UTF-8 string s has at least one code point that is not
 * utf8_invisible (a name made only of blanks and format characters is
 * empty to a reader). Malformed input counts as visible. */
bool utf8_has_visible(const char *s);

#endif
