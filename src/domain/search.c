/* search: the search box's input as typed terms (search.h). */
#include "domain/search.h"
#include <string.h>

bool search_word_char(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	/* Latin-1 punctuation and symbols (but the letters/numbers among them) */
	if (cp >= 0x80 && cp <= 0xbf)
		return cp == 0xaa || cp == 0xb2 || cp == 0xb3 || cp == 0xb5 || cp == 0xb9 ||
		       cp == 0xba || (cp >= 0xbc && cp <= 0xbe);
	if (cp == 0xd7 || cp == 0xf7)
		return false;
	static const unsigned sep[][2] = {
		{0x2000, 0x206f}, /* general punctuation, spaces */
		{0x20a0, 0x20cf}, /* currency */
		{0x2190, 0x23ff}, /* arrows, math operators, technical */
		{0x2500, 0x27bf}, /* box drawing, shapes, dingbats */
		{0x2e00, 0x2e7f}, /* supplemental punctuation */
		{0x3000, 0x3003}, {0x3008, 0x3011}, {0x3014, 0x301f}, /* CJK punctuation */
		{0xd800, 0xdfff}, /* surrogates (never valid) */
		{0xe000, 0xf8ff}, /* private use: the index's own filter tokens */
		{0xfe10, 0xfe1f}, {0xfe30, 0xfe4f}, {0xfe50, 0xfe6f},
		{0xfeff, 0xfeff}, {0xff01, 0xff0f}, {0xff1a, 0xff20}, {0xff3b, 0xff40},
		{0xff5b, 0xff65}, {0xfff0, 0xffff},
		{0x1f000, 0x1faff}, /* emoji and pictographs */
		{0xf0000, 0x10ffff}, /* supplementary private use */
	};
	for (size_t i = 0; i < sizeof sep / sizeof sep[0]; i++)
		if (cp >= sep[i][0] && cp <= sep[i][1])
			return false;
	return true;
}

/* Decodes one UTF-8 character at s (len = bytes consumed, >= 1); a
 * malformed sequence is one byte, code point 0xfffd. */
static unsigned decode(const unsigned char *s, int *len)
{
	unsigned c = s[0];
	int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	*len = 1;
	if (n == 1)
		return c;
	if (n == 0)
		return 0xfffd;
	unsigned cp = c & (0xff >> (n + 1));
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*len = n;
	return cp;
}

static bool blank(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Appends the words of [s, e) to t (lower-cased ASCII, single spaces). */
static void words_of(struct search_term *t, const char *s, const char *e)
{
	size_t n = 0;
	bool in_word = false;
	while (s < e) {
		int len;
		unsigned cp = decode((const unsigned char *)s, &len);
		if (s + len > e)
			len = (int)(e - s), cp = 0xfffd;
		if (search_word_char(cp)) {
			if (!in_word && n > 0) {
				if (n + 1 > SEARCH_TERM_MAX)
					break;
				t->text[n++] = ' ';
			}
			if (n + (size_t)len > SEARCH_TERM_MAX)
				break;
			for (int i = 0; i < len; i++) {
				char c = s[i];
				t->text[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
			}
			in_word = true;
		} else {
			in_word = false;
		}
		s += len;
	}
	t->text[n] = '\0';
}

static void add(struct search_terms *out, const char *s, const char *e, bool phrase)
{
	if (out->n >= SEARCH_MAX_TERMS)
		return;
	struct search_term *t = &out->t[out->n];
	t->phrase = phrase;
	words_of(t, s, e);
	if (!t->text[0])
		return;
	for (int i = 0; i < out->n; i++)
		if (out->t[i].phrase == phrase && !strcmp(out->t[i].text, t->text))
			return;
	out->n++;
}

int search_parse(struct search_terms *out, const char *in)
{
	out->n = 0;
	const char *p = in;
	while (*p) {
		if (blank((unsigned char)*p)) {
			p++;
		} else if (*p == '"') {
			const char *s = ++p, *e = strchr(s, '"');
			/* unclosed: still being typed, so its last word is a prefix */
			bool closed = e != NULL;
			if (!e)
				e = s + strlen(s);
			add(out, s, e, closed);
			p = *e ? e + 1 : e;
		} else {
			const char *s = p;
			while (*p && !blank((unsigned char)*p) && *p != '"')
				p++;
			add(out, s, p, false);
		}
	}
	return out->n;
}
