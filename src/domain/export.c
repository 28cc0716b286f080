/* export: Markdown builder. Everything user-supplied except readMe (which is
 * Markdown by definition and exported verbatim) is escaped, so a name such
 * as "a | b" or "*x*" cannot break the document's structure. */
#include "domain/export.h"
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void export_md_escape(struct strbuf *sb, const char *text)
{
	const char *s = text ? text : "";
	/* Newlines become spaces below, so block syntax can only start at the
	 * beginning; leading blanks are dropped (up to 3 would still let a
	 * marker through, 4 would open a code block). */
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (strchr("+-=", *s) && *s)
		strbuf_putc(sb, '\\');
	else if (*s >= '0' && *s <= '9') {
		const char *d = s;
		while (*d >= '0' && *d <= '9')
			d++;
		if (*d == '.' || *d == ')') {
			strbuf_append(sb, s, (size_t)(d - s));
			strbuf_putc(sb, '\\');
			s = d;
		}
	}
	const char *start = s;
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r') {
			strbuf_putc(sb, ' ');
			continue;
		}
		/* GFM never reads an underscore inside a word as emphasis */
		bool intraword = *s == '_' && s > start && isalnum((unsigned char)s[-1]) &&
				 isalnum((unsigned char)s[1]);
		/* '#' anywhere: a trailing " #" would be eaten by an ATX heading */
		if (strchr("\\`*_[]<>|~&!#", *s) && !intraword)
			strbuf_putc(sb, '\\');
		strbuf_putc(sb, *s);
	}
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void row(struct strbuf *sb, const char *field, const char *value)
{
	strbuf_printf(sb, "| %s | ", field);
	if (value && *value)
		export_md_escape(sb, value);
	else
		strbuf_puts(sb, "—");
	strbuf_puts(sb, " |\n");
}

static void row_code(struct strbuf *sb, const char *field, const char *value)
{
	strbuf_printf(sb, "| %s | `%s` |\n", field, value ? value : "");
}

static void contacts_cell(struct strbuf *sb, const json_t *contacts)
{
	size_t i;
	json_t *c;
	if (json_array_size(contacts) == 0) {
		strbuf_puts(sb, "—");
		return;
	}
	json_array_foreach(contacts, i, c) {
		if (i)
			strbuf_puts(sb, "; ");
		const char *name = str(c, "name"), *role = str(c, "role");
		export_md_escape(sb, name ? name : str(c, "userId"));
		if (role && *role) {
			strbuf_puts(sb, " \\(");
			export_md_escape(sb, role);
			strbuf_puts(sb, "\\)");
		}
	}
}

static void list_cell(struct strbuf *sb, const json_t *arr)
{
	size_t i;
	json_t *t;
	if (json_array_size(arr) == 0)
		strbuf_puts(sb, "—");
	json_array_foreach(arr, i, t) {
		if (i)
			strbuf_puts(sb, ", ");
		export_md_escape(sb, json_string_value(t));
	}
}

static void metadata(struct strbuf *sb, const struct export_input *in)
{
	const json_t *p = in->product;
	strbuf_puts(sb, "## Metadata\n\n| Field | Value |\n| --- | --- |\n");
	row_code(sb, "ID", str(p, "id"));
	if (in->space) {
		strbuf_puts(sb, "| Space | ");
		export_md_escape(sb, str(in->space, "name"));
		strbuf_printf(sb, " \\(`%s`\\) |\n", str(in->space, "id"));
	} else {
		row(sb, "Space", "Personal");
	}
	strbuf_puts(sb, "| Owner | ");
	if (in->owner && str(in->owner, "name"))
		export_md_escape(sb, str(in->owner, "name"));
	else
		strbuf_printf(sb, "`%s`", str(p, "ownerId"));
	strbuf_puts(sb, " |\n| Key contacts | ");
	contacts_cell(sb, in->contacts);
	strbuf_puts(sb, " |\n| Tags | ");
	list_cell(sb, json_object_get(p, "tags"));
	strbuf_puts(sb, " |\n");
	bool active = json_is_true(json_object_get(p, "activated"));
	row(sb, "Status", active ? "Activated" : str(p, "activatedAt") ? "Deactivated" : "Draft");
	strbuf_puts(sb, "| Activated on | ");
	list_cell(sb, json_object_get(p, "activatedOn"));
	strbuf_puts(sb, " |\n");
	row(sb, "Last activated", str(p, "activatedAt"));
	row(sb, "Created", str(p, "createdAt"));
	row(sb, "Updated", str(p, "updatedAt"));
	const json_t *q = json_object_get(p, "quality"), *t = json_object_get(p, "trustScore");
	if (q)
		strbuf_printf(sb, "| Quality | validity %.1f%%, completeness %.1f%% |\n",
			      100 * json_number_value(json_object_get(q, "validity")),
			      100 * json_number_value(json_object_get(q, "completeness")));
	else
		row(sb, "Quality", "not computed");
	if (t)
		strbuf_printf(sb, "| Trust score | %.1f / 100 |\n",
			      json_number_value(json_object_get(t, "score")));
	else
		row(sb, "Trust score", "not computed");
	strbuf_puts(sb, "\n");
}

static void dataset_section(struct strbuf *sb, const json_t *ds)
{
	strbuf_puts(sb, "### ");
	export_md_escape(sb, str(ds, "name"));
	strbuf_puts(sb, "\n\n");
	if (str(ds, "description") && *str(ds, "description")) {
		export_md_escape(sb, str(ds, "description"));
		strbuf_puts(sb, "\n\n");
	}
	strbuf_puts(sb, "- Technical name: ");
	export_md_escape(sb, str(ds, "technicalName"));
	strbuf_printf(sb, "\n- ID: `%s`\n\n", str(ds, "id"));
	const json_t *fields = json_object_get(json_object_get(ds, "schema"), "dataFields");
	if (json_array_size(fields) == 0) {
		strbuf_puts(sb, "No fields are declared.\n\n");
		return;
	}
	strbuf_puts(sb, "| Field | Type | Description |\n| --- | --- | --- |\n");
	size_t i;
	json_t *f;
	json_array_foreach(fields, i, f) {
		strbuf_puts(sb, "| ");
		export_md_escape(sb, str(f, "name"));
		strbuf_puts(sb, " | ");
		export_md_escape(sb, str(json_object_get(f, "dataType"), "type"));
		strbuf_puts(sb, " | ");
		export_md_escape(sb, str(f, "description"));
		strbuf_puts(sb, " |\n");
	}
	strbuf_puts(sb, "\n");
}

char *export_markdown(const struct export_input *in)
{
	const json_t *p = in->product;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "# ");
	export_md_escape(&sb, str(p, "name"));
	strbuf_puts(&sb, "\n\n");
	if (str(p, "description") && *str(p, "description")) {
		export_md_escape(&sb, str(p, "description"));
		strbuf_puts(&sb, "\n\n");
	}
	metadata(&sb, in);
	strbuf_puts(&sb, "## Read me\n\n");
	const char *readme = str(p, "readMe");
	if (readme && *readme) {
		strbuf_puts(&sb, readme);
		strbuf_puts(&sb, readme[strlen(readme) - 1] == '\n' ? "\n" : "\n\n");
	} else {
		strbuf_puts(&sb, "No read me has been written.\n\n");
	}
	strbuf_puts(&sb, "## Data sets\n\n");
	size_t i;
	json_t *id, *ds;
	json_array_foreach(json_object_get(p, "datasetIds"), i, id) {
		bool present = false;
		size_t j;
		json_array_foreach(in->datasets, j, ds) if (json_equal(json_object_get(ds, "id"), id)) {
			dataset_section(&sb, ds);
			present = true;
		}
		if (!present)
			strbuf_printf(&sb, "### Missing data set\n\nData set `%s` no longer exists.\n\n",
				      json_string_value(id));
	}
	if (json_array_size(json_object_get(p, "datasetIds")) == 0)
		strbuf_puts(&sb, "No data sets are attached.\n\n");
	strbuf_puts(&sb, "## Glossary\n\n");
	json_t *g = json_object_get(p, "glossaryIds");
	if (json_array_size(g) == 0)
		strbuf_puts(&sb, "No glossaries are linked.\n");
	json_array_foreach(g, i, id)
		strbuf_printf(&sb, "- `%s`\n", json_string_value(id));
	return strbuf_take(&sb);
}

char *export_slug(const char *name)
{
	struct strbuf sb;
	strbuf_init(&sb);
	bool dash = false;
	for (const char *s = name ? name : ""; *s && sb.len < 80; s++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && sb.len)
				strbuf_putc(&sb, '-');
			strbuf_putc(&sb, c);
			dash = false;
		} else {
			dash = true;
		}
	}
	if (sb.len == 0)
		strbuf_puts(&sb, "data-product");
	return strbuf_take(&sb);
}

char *export_html_fragment(const char *markdown)
{
	/* CMARK_OPT_SAFE is the default since cmark 0.29 (and a no-op flag
	 * there); named so an older library would still be safe: raw HTML
	 * becomes a comment, javascript:/vbscript:/file:/data: links lose
	 * their URL */
	const int opts = CMARK_OPT_DEFAULT | CMARK_OPT_SAFE;
	cmark_gfm_core_extensions_ensure_registered();
	cmark_parser *parser = cmark_parser_new(opts);
	static const char *const exts[] = {"table", "strikethrough", "autolink", "tagfilter",
					   "tasklist"};
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);
		if (e)
			cmark_parser_attach_syntax_extension(parser, e);
	}
	cmark_parser_feed(parser, markdown ? markdown : "", markdown ? strlen(markdown) : 0);
	cmark_node *doc = cmark_parser_finish(parser);
	char *body = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(parser));
	cmark_node_free(doc);
	cmark_parser_free(parser);
	if (!body)
		abort();
	return body;
}

char *export_html(const char *markdown, const char *title)
{
	char *body = export_html_fragment(markdown);
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	for (const char *s = title ? title : ""; *s; s++) {
		switch (*s) {
		case '<': strbuf_puts(&sb, "&lt;"); break;
		case '>': strbuf_puts(&sb, "&gt;"); break;
		case '&': strbuf_puts(&sb, "&amp;"); break;
		case '"': strbuf_puts(&sb, "&quot;"); break;
		default: strbuf_putc(&sb, *s);
		}
	}
	strbuf_puts(&sb, "</title>\n</head>\n<body>\n");
	strbuf_puts(&sb, body ? body : "");
	strbuf_puts(&sb, "</body>\n</html>\n");
	free(body);
	return strbuf_take(&sb);
}
