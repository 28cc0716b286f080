/* Unit tests for src/domain/export.c: the Markdown documentation of a data
 * product, its escaping, the download slug and the HTML rendering. */
#include "support.h"

#include "domain/export.h"

#define PID "0f8fad5b-d9cb-469f-a165-70867728950e"
#define U1 "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define U2 "abababab-abab-4bab-9bab-abababababab"
#define D1 "11111111-1111-4111-8111-111111111111"
#define D2 "22222222-2222-4222-9222-222222222222"
#define D3 "33333333-3333-4333-a333-333333333333"
#define G1 "44444444-4444-4444-8444-444444444444"
#define G2 "55555555-5555-4555-9555-555555555555"
#define S1 "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define T0 "2026-01-01T00:00:00.000Z"
#define T1 "2026-02-02T10:00:00.000Z"
#define T2 "2026-03-03T11:11:11.111Z"

/* A fixture: product, space, owner, contacts, data sets, and what md()/html() render from them. */
struct fx {
	json_t *product, *space, *owner, *contacts, *datasets;
	char *md, *html;
};

static void fx_free(struct fx *f)
{
	DECREF(f->product, f->space, f->owner, f->contacts, f->datasets);
	free(f->md);
	free(f->html);
	memset(f, 0, sizeof *f);
}

static struct fx full(void)
{
	struct fx f = {0};
	f.product = tj("{'id':'" PID "','name':'Sales','description':'Quarterly numbers',"
		       "'ownerId':'" U1 "','spaceId':'" S1 "','tags':['finance','q1'],"
		       "'activated':true,'activatedAt':'" T1 "','activatedOn':['" S1 "'],"
		       "'createdAt':'" T0 "','updatedAt':'" T2 "',"
		       "'readMe':'## Intro\\n\\nSome *text*.\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |',"
		       "'datasetIds':['" D1 "','" D2 "'],'glossaryIds':['" G1 "','" G2 "'],"
		       "'keyContacts':[{'userId':'" U1 "','role':'owner'}]}");
	f.space = tj("{'id':'" S1 "','name':'Finance'}");
	f.owner = tj("{'id':'" U1 "','name':'Ann Owner'}");
	f.contacts = tj("[{'userId':'" U1 "','role':'owner','name':'Ann Owner','email':'a@x'},"
			"{'userId':'" U2 "'}]");
	/* deliberately not in datasetIds order */
	f.datasets = tj("[{'id':'" D2 "','name':'Customers','technicalName':'cust',"
			"'schema':{'dataFields':[]}},"
			"{'id':'" D1 "','name':'Orders','technicalName':'orders_tbl',"
			"'description':'All orders',"
			"'schema':{'dataFields':[{'name':'order_id','dataType':{'type':'INTEGER'},"
			"'description':'primary key'},{'name':'amount','dataType':{'type':'DOUBLE'}}]}}]");
	return f;
}

/* cmocka setup: *state is a fresh full() fixture. */
static int fx_setup(void **state)
{
	struct fx *f = malloc(sizeof *f);
	if (!f)
		return -1;
	*f = full();
	*state = f;
	return 0;
}

/* cmocka teardown: frees the fixture and everything rendered from it. */
static int fx_teardown(void **state)
{
	fx_free(*state);
	free(*state);
	return 0;
}

/* A test run on a fresh full() fixture in *state. */
#define fx_test(test) cmocka_unit_test_setup_teardown(test, fx_setup, fx_teardown)

/* Renders the fixture as Markdown; the text is f->md, freed with the fixture. */
static char *md(struct fx *f)
{
	struct export_input in = {f->product, f->space, f->owner, f->contacts, f->datasets};
	free(f->md);
	f->md = export_markdown(&in);
	assert_non_null(f->md);
	return f->md;
}

/* Renders f->md (from md()) as an HTML page; the page is f->html, freed with the fixture. */
static char *html(struct fx *f, const char *title)
{
	free(f->html);
	f->html = export_html(f->md, title);
	return f->html;
}

#define HAS(text, needle)                                                                  \
	do {                                                                                \
		if (!strstr(text, needle))                                                  \
			fail_msg("missing \"%s\" in:\n%s", needle, text);                   \
	} while (0)
#define LACKS(text, needle)                                                                \
	do {                                                                                \
		if (strstr(text, needle))                                                   \
			fail_msg("unexpected \"%s\" in:\n%s", needle, text);                \
	} while (0)

static void assert_prefix(const char *text, const char *prefix)
{
	if (strncmp(text, prefix, strlen(prefix)) != 0)
		fail_msg("document does not start with \"%s\":\n%s", prefix, text);
}

static const char *pos(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	if (!p)
		fail_msg("missing \"%s\" in:\n%s", needle, text);
	return p;
}

/* ---- document structure ---------------------------------------------------- */

static void starts_with_heading_then_description(void **state)
{
	char *m = md(*state);
	assert_prefix(m, "# Sales\n\nQuarterly numbers\n\n## Metadata\n");
}

static void no_description_goes_straight_to_metadata(void **state)
{
	struct fx *f = *state;
	json_object_del(f->product, "description");
	char *m = md(f);
	assert_prefix(m, "# Sales\n\n## Metadata\n");
}

static void sections_in_order(void **state)
{
	struct fx *f = *state;
	json_object_del(f->product, "readMe"); /* its own headings would count */
	char *m = md(f);
	const char *h = pos(m, "# Sales\n"), *meta = pos(m, "\n## Metadata\n"),
		   *rm = pos(m, "\n## Read me\n"), *ds = pos(m, "\n## Data sets\n"),
		   *gl = pos(m, "\n## Glossary\n");
	assert_true(h < meta && meta < rm && rm < ds && ds < gl);
	assert_int_equal(count_of(m, "\n## "), 4);
}

static void metadata_table_rows(void **state)
{
	char *m = md(*state);
	HAS(m, "## Metadata\n\n| Field | Value |\n| --- | --- |\n");
	HAS(m, "| ID | `" PID "` |\n");
	HAS(m, "| Space | Finance \\(`" S1 "`\\) |\n");
	HAS(m, "| Owner | Ann Owner |\n");
	HAS(m, "| Key contacts | Ann Owner \\(owner\\); " U2 " |\n");
	HAS(m, "| Tags | finance, q1 |\n");
	HAS(m, "| Status | Activated |\n");
	HAS(m, "| Activated on | " S1 " |\n");
	HAS(m, "| Last activated | " T1 " |\n");
	HAS(m, "| Created | " T0 " |\n");
	HAS(m, "| Updated | " T2 " |\n");
	HAS(m, "| Quality | not computed |\n");
	HAS(m, "| Trust score | not computed |\n");
}

static void metadata_for_personal_draft_without_extras(void **state)
{
	struct fx *f = *state;
	fx_free(f); /* no space, no owner */
	f->product = tj("{'id':'" PID "','name':'P','ownerId':'" U1 "','tags':[],'activated':false,"
			"'activatedOn':[],'createdAt':'" T0 "','updatedAt':'" T0 "','datasetIds':[],"
			"'glossaryIds':[],'keyContacts':[]}");
	f->contacts = json_array();
	f->datasets = json_array();
	char *m = md(f);
	HAS(m, "| Space | Personal |\n");
	HAS(m, "| Owner | `" U1 "` |\n");
	HAS(m, "| Key contacts | — |\n");
	HAS(m, "| Tags | — |\n");
	HAS(m, "| Status | Draft |\n");
	HAS(m, "| Activated on | — |\n");
	HAS(m, "| Last activated | — |\n");
}

static void metadata_status_deactivated(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "activated", json_false());
	json_object_set_new(f->product, "activatedOn", json_array());
	char *m = md(f);
	HAS(m, "| Status | Deactivated |\n");
	HAS(m, "| Last activated | " T1 " |\n");
}

static void metadata_quality_and_trust_score(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "quality", tj("{'validity':0.955,'completeness':0.5}"));
	json_object_set_new(f->product, "trustScore", tj("{'score':81.23}"));
	char *m = md(f);
	HAS(m, "| Quality | validity 95.5%, completeness 50.0% |\n");
	HAS(m, "| Trust score | 81.2 / 100 |\n");
}

static void readme_is_verbatim(void **state)
{
	char *m = md(*state);
	HAS(m, "## Read me\n\n## Intro\n\nSome *text*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## Data sets\n");
}

static void readme_keeps_html_and_specials_unescaped(void **state)
{
	struct fx *f = *state;
	const char *rm = "# Own title\n<b>bold</b> a_b *c* `d` | e\n";
	json_object_set_new(f->product, "readMe", json_string(rm));
	char *m = md(f);
	HAS(m, "## Read me\n\n# Own title\n<b>bold</b> a_b *c* `d` | e\n\n## Data sets\n");
}

static void missing_readme_note(void **state)
{
	struct fx *f = *state;
	json_object_del(f->product, "readMe");
	char *m = md(f);
	HAS(m, "## Read me\n\nNo read me has been written.\n\n## Data sets\n");
}

static void dataset_section_with_field_table(void **state)
{
	char *m = md(*state);
	HAS(m, "### Orders\n\nAll orders\n\n- Technical name: orders_tbl\n- ID: `" D1 "`\n\n"
	       "| Field | Type | Description |\n| --- | --- | --- |\n"
	       "| order_id | INTEGER | primary key |\n"
	       "| amount | DOUBLE |  |\n");
}

static void dataset_without_fields(void **state)
{
	char *m = md(*state);
	HAS(m, "### Customers\n\n- Technical name: cust\n- ID: `" D2 "`\n\nNo fields are declared.\n");
}

static void datasets_follow_dataset_ids_order(void **state)
{
	char *m = md(*state);
	assert_true(pos(m, "### Orders") < pos(m, "### Customers"));
	assert_true(pos(m, "## Data sets") < pos(m, "### Orders"));
	assert_true(pos(m, "### Customers") < pos(m, "## Glossary"));
}

static void missing_dataset_note(void **state)
{
	struct fx *f = *state;
	json_array_append_new(json_object_get(f->product, "datasetIds"), json_string(D3));
	char *m = md(f);
	HAS(m, "### Missing data set\n\nData set `" D3 "` no longer exists.\n");
	assert_int_equal(count_of(m, "### "), 3);
}

static void no_datasets_note(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "datasetIds", json_array());
	char *m = md(f);
	HAS(m, "## Data sets\n\nNo data sets are attached.\n\n## Glossary\n");
	LACKS(m, "###");
}

static void glossary_list(void **state)
{
	char *m = md(*state);
	const char *g = pos(m, "## Glossary\n\n");
	assert_string_equal(g, "## Glossary\n\n- `" G1 "`\n- `" G2 "`\n");
}

static void empty_glossary_note(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "glossaryIds", json_array());
	char *m = md(f);
	const char *g = pos(m, "## Glossary\n\n");
	assert_string_equal(g, "## Glossary\n\nNo glossaries are linked.\n");
}

/* ---- escaping ----------------------------------------------------------------- */

static char *esc(const char *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	export_md_escape(&sb, s);
	return strbuf_take(&sb);
}

/* Whether got (freed here; NULL never matches) equals want; if not, prints fn(in) and got. */
static int same_str(const char *fn, const char *in, char *got, const char *want)
{
	int same = got && strcmp(got, want) == 0;
	if (!same)
		print_error("%s(\"%s\") = \"%s\", want \"%s\"\n", fn, in ? in : "(null)",
			    got ? got : "(null)", want);
	free(got);
	return same;
}

/* Asserts that export_md_escape turns in into want. */
#define ESC(in, want) assert_true(same_str("escape", in, esc(in), want))

static void escapes_inline_specials(void **state)
{
	(void)state;
	ESC("a | b", "a \\| b");
	ESC("*x*", "\\*x\\*");
	ESC("_x_", "\\_x\\_");
	ESC("`code`", "\\`code\\`");
	ESC("<b>", "\\<b\\>");
	ESC("[l](u)", "\\[l\\](u)");
	ESC("a\\b", "a\\\\b");
	ESC("plain text 42", "plain text 42");
}

static void intraword_underscore_is_kept(void **state)
{
	(void)state;
	ESC("snake_case_name", "snake_case_name");
	ESC("order_id", "order_id");
	ESC("a _b", "a \\_b");
	ESC("b_ c", "b\\_ c");
}

static void escapes_leading_block_markers(void **state)
{
	(void)state;
	ESC("# h", "\\# h");
	ESC("## h", "\\#\\# h");
	ESC("-x", "\\-x");
	ESC("- item", "\\- item");
	ESC("+ item", "\\+ item");
	ESC("=== ", "\\=== ");
	ESC("1. first", "1\\. first");
	ESC("12) twelfth", "12\\) twelfth");
}

static void leaves_inner_markers_and_plain_numbers(void **state)
{
	(void)state;
	/* '#' is escaped everywhere: a trailing " #" would close an ATX heading */
	ESC("a#b - c", "a\\#b - c");
	ESC("2024 sales", "2024 sales");
	ESC("C#", "C\\#");
}

static void newlines_become_spaces(void **state)
{
	(void)state;
	ESC("a\nb\r\nc", "a b  c");
	ESC("x\n# y", "x \\# y");
}

static void null_and_empty(void **state)
{
	(void)state;
	ESC("", "");
	char *s = esc(NULL);
	assert_string_equal(s, "");
	free(s);
}

static void hostile_names_cannot_break_structure(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "name", json_string("# Sales | *Q1* _x_ `c` <b>"));
	json_object_set_new(f->product, "tags", tj("['a|b','<i>']"));
	json_array_append_new(json_object_get(json_object_get(json_array_get(f->datasets, 1), "schema"),
					      "dataFields"),
			      tj("{'name':'x|y','dataType':{'type':'STRING'},'description':'1. a | b'}"));
	char *m = md(f);
	HAS(m, "# \\# Sales \\| \\*Q1\\* \\_x\\_ \\`c\\` \\<b\\>\n\n");
	HAS(m, "| Tags | a\\|b, \\<i\\> |\n");
	HAS(m, "| x\\|y | STRING | 1\\. a \\| b |\n");
	char *h = html(f, "t");
	/* the readMe is Markdown by design: look only at what precedes it */
	*(char *)pos(h, "<h2>Read me</h2>") = '\0';
	HAS(h, "<h1># Sales | *Q1* _x_ `c` &lt;b&gt;</h1>");
	HAS(h, "<td>a|b, &lt;i&gt;</td>");
	LACKS(h, "<b>");
	LACKS(h, "<i>");
	LACKS(h, "<em>");
	LACKS(h, "<code>c</code>");
	h = html(f, "t");
	HAS(h, "<td>x|y</td>\n<td>STRING</td>\n<td>1. a | b</td>");
}

static void leading_dash_and_number_names_stay_text(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "description", json_string("- not a list"));
	json_object_set_new(json_array_get(f->datasets, 1), "description", json_string("1. not a list"));
	char *m = md(f);
	HAS(m, "\n\\- not a list\n");
	HAS(m, "\n1\\. not a list\n");
	char *h = html(f, "t");
	HAS(h, "<p>- not a list</p>");
	HAS(h, "<p>1. not a list</p>");
	LACKS(h, "<ol>");
}

/* Up to three leading blanks still open a block in CommonMark, so escaping
 * only the very first character lets a description become a heading/list. */
static void leading_blanks_do_not_open_blocks(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "description", json_string("  # injected heading"));
	json_object_set_new(json_array_get(f->datasets, 1), "description", json_string(" 1. injected"));
	md(f);
	char *h = html(f, "t");
	int h1 = count_of(h, "<h1>");
	int ol = count_of(h, "<ol>");
	if (h1 != 1 || ol != 0)
		print_error("<h1> x %d (want 1: the name only), <ol> x %d (want 0)\n", h1, ol);
	assert_int_equal(h1, 1);
	assert_int_equal(ol, 0);
}

/* A closing run of '#' is not part of an ATX heading's text. */
static void heading_keeps_trailing_hashes(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "name", json_string("Issue #"));
	md(f);
	char *h = html(f, "t");
	int ok = strstr(h, "<h1>Issue #</h1>") != NULL;
	if (!ok)
		print_error("heading rendered as: %.40s\n", strstr(h, "<h1>"));
	assert_true(ok);
}

/* ---- export_slug ------------------------------------------------------------------ */

/* Asserts that export_slug turns in (NULL allowed) into want. */
#define SLUG(in, want) assert_true(same_str("slug", in, export_slug(in), want))

static void slug_spaces_and_case(void **state)
{
	(void)state;
	SLUG("Sales Data 2024", "sales-data-2024");
	SLUG("ABC", "abc");
	SLUG("a    b", "a-b");
}

static void slug_punctuation(void **state)
{
	(void)state;
	SLUG("  Hello,   World!!  ", "hello-world");
	SLUG("A_B-C.D/E", "a-b-c-d-e");
	SLUG("--x--", "x");
	SLUG("\"quoted\"; name", "quoted-name");
}

static void slug_unicode(void **state)
{
	(void)state;
	SLUG("Caf\xc3\xa9 \xc3\x9cn\xc3\xaf" "code", "caf-n-code");
	SLUG("\xe6\x97\xa5\xe6\x9c\xac Report", "report");
}

static void slug_empty_falls_back(void **state)
{
	(void)state;
	SLUG("", "data-product");
	SLUG(NULL, "data-product");
	SLUG("!!! ???", "data-product");
	SLUG("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "data-product");
}

static void slug_is_filename_safe_for_long_names(void **state)
{
	(void)state;
	char name[600];
	for (int i = 0; i < 599; i++)
		name[i] = "ab \"/;"[i % 6];
	name[599] = '\0';
	char *s = export_slug(name);
	assert_true(strlen(s) > 0);
	assert_true(strlen(s) <= 81);
	for (char *p = s; *p; p++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789-", *p));
	assert_true(s[0] != '-');
	assert_true(s[strlen(s) - 1] != '-');
	free(s);
}

/* ---- export_html -------------------------------------------------------------------- */

static void html_document_shell_and_escaped_title(void **state)
{
	(void)state;
	char *h = export_html("hello", "A <b> & \"q\"");
	assert_int_equal(strncmp(h, "<!DOCTYPE html>\n<html lang=\"en\">\n", 33), 0);
	HAS(h, "<meta charset=\"utf-8\">");
	HAS(h, "<title>A &lt;b&gt; &amp; &quot;q&quot;</title>");
	HAS(h, "<body>\n<p>hello</p>\n</body>\n</html>\n");
	free(h);
}

static void html_renders_headings_and_tables(void **state)
{
	struct fx *f = *state;
	md(f);
	char *h = html(f, "Sales");
	HAS(h, "<h1>Sales</h1>");
	HAS(h, "<h2>Metadata</h2>");
	HAS(h, "<h3>Orders</h3>");
	HAS(h, "<table>");
	HAS(h, "<th>Field</th>");
	HAS(h, "<td>Status</td>\n<td>Activated</td>");
	HAS(h, "<td>order_id</td>\n<td>INTEGER</td>\n<td>primary key</td>");
	HAS(h, "<td>Space</td>\n<td>Finance (<code>" S1 "</code>)</td>");
	/* readMe is Markdown: rendered, including its own table */
	HAS(h, "<h2>Intro</h2>");
	HAS(h, "<p>Some <em>text</em>.</p>");
	assert_int_equal(count_of(h, "<table>"), 3);
	HAS(h, "<li><code>" G1 "</code></li>");
}

static void html_drops_raw_script(void **state)
{
	struct fx *f = *state;
	json_object_set_new(f->product, "readMe",
			    json_string("Intro\n\n<script>alert(1)</script>\n\n"
					"inline <script>alert(2)</script> and <img src=x onerror=alert(3)>\n\n"
					"<div onclick=\"x()\">block</div>\n"));
	char *m = md(f);
	HAS(m, "<script>alert(1)</script>"); /* Markdown keeps the readMe verbatim */
	char *h = html(f, "t");
	LACKS(h, "<script");
	LACKS(h, "<img");
	LACKS(h, "onerror");
	LACKS(h, "<div");
	LACKS(h, "onclick");
	HAS(h, "<p>Intro</p>");
}

static void html_drops_script_urls(void **state)
{
	(void)state;
	char *h = export_html("[click](javascript:alert(1)) and ![i](vbscript:x)", "t");
	LACKS(h, "javascript:");
	LACKS(h, "vbscript:");
	HAS(h, ">click</a>");
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		fx_test(starts_with_heading_then_description),
		fx_test(no_description_goes_straight_to_metadata),
		fx_test(sections_in_order),
		fx_test(metadata_table_rows),
		fx_test(metadata_for_personal_draft_without_extras),
		fx_test(metadata_status_deactivated),
		fx_test(metadata_quality_and_trust_score),
		fx_test(readme_is_verbatim),
		fx_test(readme_keeps_html_and_specials_unescaped),
		fx_test(missing_readme_note),
		fx_test(dataset_section_with_field_table),
		fx_test(dataset_without_fields),
		fx_test(datasets_follow_dataset_ids_order),
		fx_test(missing_dataset_note),
		fx_test(no_datasets_note),
		fx_test(glossary_list),
		fx_test(empty_glossary_note),
		cmocka_unit_test(escapes_inline_specials),
		cmocka_unit_test(intraword_underscore_is_kept),
		cmocka_unit_test(escapes_leading_block_markers),
		cmocka_unit_test(leaves_inner_markers_and_plain_numbers),
		cmocka_unit_test(newlines_become_spaces),
		cmocka_unit_test(null_and_empty),
		fx_test(hostile_names_cannot_break_structure),
		fx_test(leading_dash_and_number_names_stay_text),
		fx_test(leading_blanks_do_not_open_blocks),
		fx_test(heading_keeps_trailing_hashes),
		cmocka_unit_test(slug_spaces_and_case),
		cmocka_unit_test(slug_punctuation),
		cmocka_unit_test(slug_unicode),
		cmocka_unit_test(slug_empty_falls_back),
		cmocka_unit_test(slug_is_filename_safe_for_long_names),
		cmocka_unit_test(html_document_shell_and_escaped_title),
		fx_test(html_renders_headings_and_tables),
		fx_test(html_drops_raw_script),
		cmocka_unit_test(html_drops_script_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
