/* utf8: a strict UTF-8 validator (RFC 3629) used to sanitize text that
 * reaches JSON from the outside, e.g. percent-decoded paths in errors. */
#include "util/utf8.h"

size_t utf8_seq_len(const unsigned char *s)
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
		size_t n = utf8_seq_len(s);
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

/* Code points that render as nothing or as blank space: Unicode White_Space,
 * the controls (Cc), Default_Ignorable_Code_Point (format characters such as
 * U+200B..U+200F, U+2060..U+206F, U+FEFF, variation selectors, tags,
 * Hangul fillers) and U+2800 BRAILLE PATTERN BLANK. Sorted ranges. */
static const struct {
	unsigned lo, hi;
} invisible[] = {
	{0x0000, 0x0020}, {0x007F, 0x00A0}, {0x00AD, 0x00AD}, {0x034F, 0x034F},
	{0x061C, 0x061C}, {0x115F, 0x1160}, {0x1680, 0x1680}, {0x17B4, 0x17B5},
	{0x180B, 0x180F}, {0x2000, 0x200F}, {0x2028, 0x202F}, {0x205F, 0x206F},
	{0x2800, 0x2800}, {0x3000, 0x3000}, {0x3164, 0x3164}, {0xFE00, 0xFE0F},
	{0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3},
	{0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

bool utf8_invisible(unsigned cp)
{
	size_t lo = 0, hi = sizeof invisible / sizeof invisible[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < invisible[mid].lo)
			hi = mid;
		else if (cp > invisible[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool utf8_has_visible(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq_len(p);
		if (n == 0)
			return true; /* not UTF-8: not ours to judge here */
		unsigned cp = n == 1 ? p[0]
			      : n == 2 ? (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu)
			      : n == 3 ? (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu)
				       : (p[0] & 0x07u) << 18 | (p[1] & 0x3fu) << 12 |
						 (p[2] & 0x3fu) << 6 | (p[3] & 0x3fu);
		if (!utf8_invisible(cp))
			return true;
		p += n;
	}
	return false;
}
