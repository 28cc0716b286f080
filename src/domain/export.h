/* export: the documentation of a data product as Markdown (SPEC §3) and
 * its HTML rendering. Pure: the caller gathers the referenced documents. */
#ifndef DP_EXPORT_H
#define DP_EXPORT_H
#include <jansson.h>
#include "util/strbuf.h"

struct export_input {
	const json_t *product;
	const json_t *space;    /* NULL: personal area or missing */
	const json_t *owner;    /* user document or NULL */
	const json_t *contacts; /* array of {userId, role?, name?, email?} */
	const json_t *datasets; /* array of data set documents, in datasetIds order */
};

/* Caller frees. */
char *export_markdown(const struct export_input *in);
/* GitHub-flavoured Markdown (tables, strikethrough, autolinks, task lists)
 * to an HTML fragment, in cmark's safe mode: raw HTML is omitted and unsafe
 * link/image URLs (javascript: ...) are dropped. The one renderer of user
 * Markdown (export and the web app's readMe). Caller frees. */
char *export_html_fragment(const char *markdown);
/* GitHub-flavoured Markdown to HTML; raw HTML in the input is omitted, so
 * user text can never inject markup. Caller frees. */
char *export_html(const char *markdown, const char *title);
/* Lower-case ASCII slug for the download file name ("data-product" if empty). */
char *export_slug(const char *name);
/* Escapes text for use inside a Markdown paragraph or table cell. */
void export_md_escape(struct strbuf *sb, const char *text);

#endif
