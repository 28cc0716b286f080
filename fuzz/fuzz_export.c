/* fuzz_export: the documentation export (src/domain/export.c): the Markdown
 * built from a product's user-written fields, and its HTML rendering with
 * cmark-gfm (tables, strikethrough, autolink, tagfilter).
 *
 * Input: a JSON object {"product", "space", "owner", "contacts", "datasets"}
 * (members optional; any other JSON value is the product), or, when the
 * input is not JSON, Markdown rendered as a readMe would be.
 * Oracles (the export's promise that user text never injects markup):
 * every tag in the HTML body is one cmark-gfm emits for Markdown, with only
 * the attributes it emits, and no link or image points at a javascript:,
 * vbscript:, file: or non-image data: URL; the <title> carries no raw
 * markup; the download slug is [a-z0-9-], never empty, no leading, trailing
 * or doubled '-'. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "domain/export.h"
#include "domain/jsonspec.h"

static const char *const tags[] = {
	"p", "blockquote", "ul", "ol", "li", "pre", "code", "h1", "h2", "h3", "h4", "h5",
	"h6", "hr", "br", "em", "strong", "a", "img", "table", "thead", "tbody", "tr",
	"th", "td", "del", NULL,
};
static const char *const attrs[] = {"href", "title", "src", "alt", "start", "class", "align",
				     NULL};

static bool listed(const char *const *list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && strncmp(*list, s, n) == 0)
			return true;
	return false;
}

static bool dangerous_url(const char *v, size_t n)
{
	static const char *const bad[] = {"javascript:", "vbscript:", "file:"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (n >= strlen(bad[i]) && strncasecmp(v, bad[i], strlen(bad[i])) == 0)
			return true;
	if (n >= 5 && strncasecmp(v, "data:", 5) == 0) {
		static const char *const ok[] = {"data:image/png", "data:image/gif",
						 "data:image/jpeg", "data:image/webp"};
		for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
			if (n >= strlen(ok[i]) && strncasecmp(v, ok[i], strlen(ok[i])) == 0)
				return false;
		return true;
	}
	return false;
}

/* Aborts on any tag or attribute cmark-gfm would not emit in safe mode. */
static void check_html(const char *html)
{
	const char *body = strstr(html, "<body>\n");
	const char *title = strstr(html, "<title>"), *tend = strstr(html, "</title>");
	if (!body || !title || !tend || tend > body)
		abort();
	for (const char *t = title + 7; t < tend; t++)
		if (*t == '<' || *t == '>' || *t == '"')
			abort(); /* raw markup in the title */
	const char *end = strstr(body, "</body>\n</html>\n");
	if (!end)
		abort();
	for (const char *s = body + 7; s < end; s++) {
		if (*s == '>')
			abort(); /* cmark escapes a text '>' as &gt; */
		if (*s != '<')
			continue;
		s++;
		if (strncmp(s, "!-- raw HTML omitted -->", 24) == 0) {
			s += 23;
			continue;
		}
		if (*s == '/')
			s++;
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (!listed(tags, s, n))
			abort(); /* a tag cmark does not make: injected markup */
		s += n;
		for (;;) {
			s += strspn(s, " ");
			if (*s == '>')
				break;
			if (s[0] == '/' && s[1] == '>') {
				s++;
				break;
			}
			size_t an = strspn(s, "abcdefghijklmnopqrstuvwxyz-");
			if (!an || !listed(attrs, s, an) || s[an] != '=' || s[an + 1] != '"')
				abort();
			bool url = (an == 4 && !strncmp(s, "href", 4)) || (an == 3 && !strncmp(s, "src", 3));
			s += an + 2;
			const char *q = strchr(s, '"');
			if (!q || memchr(s, '<', (size_t)(q - s)) || memchr(s, '>', (size_t)(q - s)))
				abort();
			if (url && dangerous_url(s, (size_t)(q - s)))
				abort();
			s = q + 1;
		}
	}
}

static void check_slug(const char *name)
{
	char *slug = export_slug(name);
	size_t n = strlen(slug);
	if (n == 0 || strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
	    slug[0] == '-' || slug[n - 1] == '-' || strstr(slug, "--"))
		abort();
	free(slug);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	json_t *in = NULL;
	if (!jsonspec_too_deep((const char *)data, size, JSON_MAX_DEPTH)) {
		json_error_t je;
		in = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	}
	if (!in) { /* Markdown, as a readMe */
		char *md = malloc(size + 1);
		memcpy(md, data, size);
		md[size] = '\0';
		char *html = export_html(md, md);
		check_html(html);
		free(html);
		free(md);
		return 0;
	}
	struct export_input ei = {in, NULL, NULL, NULL, NULL};
	if (json_is_object(in) && json_object_get(in, "product")) {
		ei.product = json_object_get(in, "product");
		ei.space = json_object_get(in, "space");
		ei.owner = json_object_get(in, "owner");
		ei.contacts = json_object_get(in, "contacts");
		ei.datasets = json_object_get(in, "datasets");
	}
	const char *name = json_string_value(json_object_get(ei.product, "name"));
	char *md = export_markdown(&ei);
	char *html = export_html(md, name);
	check_html(html);
	check_slug(name);
	free(html);
	free(md);
	json_decref(in);
	return 0;
}
