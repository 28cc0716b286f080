/* utf8: a strict UTF-8 validator (RFC 3629) used to sanitize text that
 * reaches JSON from the outside, e.g. percent-decoded paths in errors. */
#include "util/utf8.h"

/* Length of the well-formed sequence at s (1..4), or 0 if malformed. */
static size_t seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlongs */
		if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f; /* <= U+10FFFF */
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

size_t utf8_sanitize(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;
	if (cap == 0)
		return 0;
	while (*s) {
		size_t n = seq_len(s);
		if (n == 0) {
			if (o + 1 >= cap)
				break;
			dst[o++] = '?';
			s++;
			continue;
		}
		if (o + n >= cap)
			break;
		for (size_t i = 0; i < n; i++)
			dst[o++] = (char)s[i];
		s += n;
	}
	dst[o] = '\0';
	return o;
}
