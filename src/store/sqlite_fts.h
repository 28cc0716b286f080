/* sqlite_fts: SQL functions that the search index of the SQLite store
 * (schema.h, docs/search.md) calls from its triggers, registered on every
 * connection the store opens. */
#ifndef DP_STORE_SQLITE_FTS_H
#define DP_STORE_SQLITE_FTS_H

#include <sqlite3.h>

/* The shortest and longest token kept in search_terms: prefix expansion
 * (sqlite.c) only expands a word of at least 4 ASCII letters or digits. */
#define SEARCH_TOKEN_MIN 4
#define SEARCH_TOKEN_MAX 64

/* Registers on db the FTS5 auxiliary function search_tier(search_fts,
 * counts) (sqlite_fts.c) and search_terms_of(text, ...): the JSON array of the
 * distinct tokens that search_fts's tokenizer (unicode61,
 * remove_diacritics 2) makes of its arguments, keeping those of
 * SEARCH_TOKEN_MIN..SEARCH_TOKEN_MAX bytes of [a-z0-9] (NULL arguments are
 * skipped). Returns an SQLite result code. */
int sqlite_fts_register(sqlite3 *db);

#endif
