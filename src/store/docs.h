/* docs: a page of stored documents as their JSON text (issue 12, reads).
 * The list reads (product_list, changelog_page) hand back the text each
 * document was stored as -- json_dumps(JSON_COMPACT), the response's own
 * form -- so the API splices it into the answer without parsing it and
 * serialising it again. The texts lie back to back in one buffer. */
#ifndef DP_STORE_DOCS_H
#define DP_STORE_DOCS_H
#include <jansson.h>
#include <stddef.h>
#include "util/strbuf.h"

struct store_docs {
	struct strbuf buf; /* the texts, back to back, no separators */
	size_t *end;       /* end[i]: offset in buf just past document i */
	size_t n;          /* documents */
	size_t cap;        /* entries allocated in end */
};

void store_docs_init(struct store_docs *d);
void store_docs_free(struct store_docs *d);
/* Empties d (keeps its memory): a transaction body that runs again. */
void store_docs_clear(struct store_docs *d);
/* Appends one document's text. Returns -1 (nothing appended) when text is
 * NULL or does not look like a stored document: a JSON object, "{...}",
 * without surrounding space -- a cheap guard against a damaged row, which
 * the backend then reports as STORE_HARD, as parsing it did before. */
int store_docs_append(struct store_docs *d, const char *text, size_t len);
/* Document i's text (not NUL-terminated) and its length. */
const char *store_docs_item(const struct store_docs *d, size_t i, size_t *len);
/* Keeps the first n documents (n <= d->n). */
void store_docs_truncate(struct store_docs *d, size_t n);
/* Appends "[t0,t1,...]" to sb: the documents as a JSON array. */
void store_docs_splice(struct strbuf *sb, const struct store_docs *d);
/* The documents parsed into a new JSON array (callers that need values,
 * tests); NULL when one of them is not valid JSON. */
json_t *store_docs_json(const struct store_docs *d);

#endif
