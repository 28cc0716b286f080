/* search: the marketplace search box's input (SPEC §3 "Search"), parsed
 * into typed terms that every storage backend turns into its own full-text
 * query (SQLite FTS5 MATCH, PostgreSQL tsquery). User input is never query
 * syntax: quotes make phrases, everything else (*, -, :, parentheses,
 * NEAR, AND/OR/NOT, ...) is plain text.
 *
 * A term is one or more words: runs of word characters (ASCII letters and
 * digits, and every non-ASCII character except the punctuation, symbols,
 * spaces and private-use ranges listed in search.c), stored lower-case for
 * ASCII and joined by one space. A bare input chunk (between blanks) is a
 * term whose words must appear consecutively, the last one as a word
 * prefix ("e-comm" finds "E-commerce", "ord" finds "Orders"); a quoted
 * "two words" is a phrase: consecutive whole words. A missing closing quote
 * runs to the end of the input. Every term must match (AND). Duplicate
 * terms count once; at most SEARCH_MAX_TERMS are kept (the first ones). */
#ifndef DP_SEARCH_H
#define DP_SEARCH_H
#include <stdbool.h>

#define SEARCH_MAX_TERMS 16
#define SEARCH_TERM_MAX 256 /* bytes of one term (the whole query is <= 256) */

struct search_term {
	char text[SEARCH_TERM_MAX + 1]; /* words separated by single spaces */
	bool phrase;                    /* true: exact words; false: last word is a prefix */
};

struct search_terms {
	int n; /* 0: nothing searchable (the query matches no product) */
	struct search_term t[SEARCH_MAX_TERMS];
};

/* Parses in (NUL-terminated, any bytes) into out; returns out->n. */
int search_parse(struct search_terms *out, const char *in);

/* True when cp is a word character (exposed for tests). */
bool search_word_char(unsigned cp);

#endif
