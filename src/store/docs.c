/* docs: the list of stored document texts of store/docs.h. */
#include "store/docs.h"
#include <stdlib.h>
#include <string.h>

void store_docs_init(struct store_docs *d)
{
	strbuf_init(&d->buf);
	d->end = NULL;
	d->n = d->cap = 0;
}

void store_docs_free(struct store_docs *d)
{
	strbuf_free(&d->buf);
	free(d->end);
	store_docs_init(d);
}

void store_docs_clear(struct store_docs *d)
{
	d->buf.len = 0;
	if (d->buf.data)
		d->buf.data[0] = '\0';
	d->n = 0;
}

int store_docs_append(struct store_docs *d, const char *text, size_t len)
{
	if (!text || len < 2 || text[0] != '{' || text[len - 1] != '}')
		return -1;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		size_t *e = realloc(d->end, cap * sizeof *e);
		if (!e)
			abort();
		d->end = e;
		d->cap = cap;
	}
	strbuf_append(&d->buf, text, len);
	d->end[d->n++] = d->buf.len;
	return 0;
}

const char *store_docs_item(const struct store_docs *d, size_t i, size_t *len)
{
	size_t start = i ? d->end[i - 1] : 0;
	*len = d->end[i] - start;
	return d->buf.data + start;
}

void store_docs_truncate(struct store_docs *d, size_t n)
{
	if (n >= d->n)
		return;
	d->n = n;
	d->buf.len = n ? d->end[n - 1] : 0;
	d->buf.data[d->buf.len] = '\0';
}

void store_docs_splice(struct strbuf *sb, const struct store_docs *d)
{
	strbuf_putc(sb, '[');
	for (size_t i = 0; i < d->n; i++) {
		size_t len;
		const char *t = store_docs_item(d, i, &len);
		if (i)
			strbuf_putc(sb, ',');
		strbuf_append(sb, t, len);
	}
	strbuf_putc(sb, ']');
}

json_t *store_docs_json(const struct store_docs *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < d->n; i++) {
		size_t len;
		const char *t = store_docs_item(d, i, &len);
		json_t *v = json_loadb(t, len, 0, NULL);
		if (!v) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, v);
	}
	return arr;
}
