/* jsonpatch: RFC 6902 (JSON Patch) and RFC 6901 (JSON Pointer). Pointers are
 * parsed into unescaped reference tokens once per operation; operations run
 * on a deep copy that is thrown away on the first failure. */
#include "domain/jsonpatch.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest pointer quoted in an error detail (bytes). */
#define QUOTE_MAX 128

/* A parsed pointer: n unescaped tokens stored back to back in buf. */
struct ptr {
	char **tok;
	size_t n;
	char *buf;
};

static void ptr_free(struct ptr *p)
{
	free(p->tok);
	free(p->buf);
	memset(p, 0, sizeof *p);
}

/* 0 ok; -1 invalid syntax; -2 out of memory. */
static int ptr_parse(struct ptr *p, const char *s)
{
	memset(p, 0, sizeof *p);
	if (!s || (*s && *s != '/'))
		return -1;
	size_t len = strlen(s), n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '/';
	/* every token "/xyz" shrinks to "xyz\0": the unescaped tokens fit in len + 1 */
	p->buf = malloc(len + 1);
	p->tok = malloc((n ? n : 1) * sizeof *p->tok);
	if (!p->buf || !p->tok) {
		ptr_free(p);
		return -2;
	}
	char *o = p->buf;
	for (const char *c = s; *c;) {
		c++; /* the '/' */
		p->tok[p->n++] = o;
		while (*c && *c != '/') {
			if (*c != '~') {
				*o++ = *c++;
				continue;
			}
			if (c[1] == '0')
				*o++ = '~';
			else if (c[1] == '1')
				*o++ = '/';
			else {
				ptr_free(p);
				return -1;
			}
			c += 2;
		}
		*o++ = '\0';
	}
	return 0;
}

bool jsonpointer_valid(const char *ptr)
{
	if (!ptr || (*ptr && *ptr != '/'))
		return false;
	for (const char *c = ptr; *c; c++)
		if (*c == '~' && c[1] != '0' && c[1] != '1')
			return false;
	return true;
}

/* A canonical array index ("0" or no leading zero). Indexes too large to be
 * real become SIZE_MAX, so every range check fails. -1 when not an index. */
static int arr_index(const char *t, size_t *out)
{
	if (!*t || (t[0] == '0' && t[1]))
		return -1;
	size_t v = 0;
	for (const char *c = t; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		if (v > SIZE_MAX / 20)
			v = SIZE_MAX / 2; /* saturate; stays out of range */
		else
			v = v * 10 + (size_t)(*c - '0');
	}
	*out = v;
	return 0;
}

/* The value reached through the first n tokens, or NULL. */
static json_t *walk(const json_t *root, char *const *tok, size_t n)
{
	json_t *cur = (json_t *)root;
	for (size_t i = 0; i < n && cur; i++) {
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok[i]);
		} else if (json_is_array(cur)) {
			size_t k;
			cur = arr_index(tok[i], &k) == 0 && k < json_array_size(cur)
				      ? json_array_get(cur, k)
				      : NULL;
		} else {
			cur = NULL;
		}
	}
	return cur;
}

json_t *jsonpointer_get(const json_t *doc, const char *ptr)
{
	struct ptr p;
	if (ptr_parse(&p, ptr) < 0)
		return NULL;
	json_t *v = walk(doc, p.tok, p.n);
	ptr_free(&p);
	return v;
}

bool jsonpointer_within(const char *ptr, const char *ancestor)
{
	size_t n = strlen(ancestor);
	return strncmp(ptr, ancestor, n) == 0 && (ptr[n] == '\0' || ptr[n] == '/');
}

static bool number_equal(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_real(a) && json_is_real(b))
		return json_real_value(a) == json_real_value(b);
	const json_t *i = json_is_integer(a) ? a : b, *r = json_is_integer(a) ? b : a;
	double d = json_real_value(r);
	/* exact: the real must lie inside json_int_t's range (NaN does not) and
	 * be integral */
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return false;
	json_int_t t = (json_int_t)d;
	return (double)t == d && t == json_integer_value(i);
}

bool jsonpatch_equal(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	if (json_is_number(a) && json_is_number(b))
		return number_equal(a, b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		size_t n = json_array_size(a);
		if (n != json_array_size(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!jsonpatch_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v) {
			if (!jsonpatch_equal(v, json_object_get(b, k)))
				return false;
		}
		return true;
	}
	return json_equal(a, b) != 0; /* strings, true, false, null */
}

enum op_kind { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST, OP_NONE };

static const char *const op_names[] = {"add", "remove", "replace", "move", "copy", "test"};

static enum op_kind op_kind(const json_t *op)
{
	const char *s = json_string_value(json_object_get(op, "op"));
	for (int k = 0; s && k < OP_NONE; k++)
		if (!strcmp(s, op_names[k]))
			return (enum op_kind)k;
	return OP_NONE;
}

/* Shape of operation i; -1 + err. */
static int check_op(const json_t *op, size_t i, char *err, size_t errlen)
{
	if (!json_is_object(op)) {
		snprintf(err, errlen, "patch operation %zu must be an object", i);
		return -1;
	}
	enum op_kind k = op_kind(op);
	if (k == OP_NONE) {
		snprintf(err, errlen, "patch operation %zu: 'op' must be one of add, remove, replace,"
				      " move, copy, test", i);
		return -1;
	}
	const char *path = json_string_value(json_object_get(op, "path"));
	if (!path) {
		snprintf(err, errlen, "patch operation %zu: 'path' is required and must be a string", i);
		return -1;
	}
	if (!jsonpointer_valid(path)) {
		snprintf(err, errlen, "patch operation %zu: 'path' '%.*s' is not a JSON Pointer (\"\" or"
				      " '/'-separated tokens, '~' only as ~0 or ~1)", i, QUOTE_MAX, path);
		return -1;
	}
	if (k == OP_MOVE || k == OP_COPY) {
		const char *from = json_string_value(json_object_get(op, "from"));
		if (!from) {
			snprintf(err, errlen, "patch operation %zu: 'from' is required for '%s' and must"
					      " be a string", i, op_names[k]);
			return -1;
		}
		if (!jsonpointer_valid(from)) {
			snprintf(err, errlen, "patch operation %zu: 'from' '%.*s' is not a JSON Pointer",
				 i, QUOTE_MAX, from);
			return -1;
		}
		if (k == OP_MOVE && strcmp(path, from) && jsonpointer_within(path, from)) {
			snprintf(err, errlen, "patch operation %zu: cannot move '%.*s' into its own child"
					      " '%.*s'", i, QUOTE_MAX, from, QUOTE_MAX, path);
			return -1;
		}
	}
	if ((k == OP_ADD || k == OP_REPLACE || k == OP_TEST) && !json_object_get(op, "value")) {
		snprintf(err, errlen, "patch operation %zu: 'value' is required for '%s'", i,
			 op_names[k]);
		return -1;
	}
	return 0;
}

int jsonpatch_check(const json_t *ops, size_t max_ops, char *err, size_t errlen)
{
	size_t n = json_array_size(ops);
	if (!json_is_array(ops) || n == 0 || (max_ops && n > max_ops)) {
		if (max_ops)
			snprintf(err, errlen, "a JSON Patch must be an array of 1 to %zu operations",
				 max_ops);
		else
			snprintf(err, errlen, "a JSON Patch must be a non-empty array of operations");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (check_op(json_array_get(ops, i), i, err, errlen) < 0)
			return -1;
	return 0;
}

/* Reason of a failed operation, written by the primitives below. */
struct why {
	char *buf;
	size_t len;
};

static int why_set(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why_set(struct why *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->buf, w->len, fmt, ap);
	va_end(ap);
	return -1;
}

/* fmt quotes one pointer text with '%.*s'. */
#define fail(w, fmt, text) why_set((w), fmt, QUOTE_MAX, (text))

/* The container holding the last token of p; NULL + reason when missing. */
static json_t *parent_of(json_t *root, const struct ptr *p, const char *text, struct why *w)
{
	json_t *parent = walk(root, p->tok, p->n - 1);
	if (!parent)
		fail(w, "the parent of '%.*s' does not exist", text);
	else if (!json_is_object(parent) && !json_is_array(parent)) {
		fail(w, "the parent of '%.*s' is neither an object nor an array", text);
		parent = NULL;
	}
	return parent;
}

/* add: steals value. */
static int do_add(json_t **root, const struct ptr *p, const char *text, json_t *value,
		  struct why *w)
{
	if (!value)
		return fail(w, "out of memory adding '%.*s'", text);
	if (p->n == 0) {
		json_decref(*root);
		*root = value;
		return 0;
	}
	json_t *parent = parent_of(*root, p, text, w);
	const char *last = p->tok[p->n - 1];
	int rc = -1;
	if (!parent) {
		rc = -1;
	} else if (json_is_object(parent)) {
		return json_object_set_new(parent, last, value) < 0
			       ? fail(w, "cannot add member '%.*s'", text)
			       : 0;
	} else {
		size_t size = json_array_size(parent), k = size;
		if (strcmp(last, "-") && arr_index(last, &k) < 0)
			rc = fail(w, "'%.*s' does not end in an array index or '-'", text);
		else if (k > size)
			rc = fail(w, "'%.*s' is past the end of its array", text);
		else /* the _new setters consume value even when they fail */
			return json_array_insert_new(parent, k, value) < 0
				       ? fail(w, "cannot insert at '%.*s'", text)
				       : 0;
	}
	json_decref(value);
	return rc;
}

static int do_remove(json_t *root, const struct ptr *p, const char *text, struct why *w)
{
	if (p->n == 0)
		return why_set(w, "cannot remove the whole document");
	json_t *parent = walk(root, p->tok, p->n - 1);
	const char *last = p->tok[p->n - 1];
	size_t k;
	if (json_is_object(parent) && json_object_del(parent, last) == 0)
		return 0;
	if (json_is_array(parent) && arr_index(last, &k) == 0 && k < json_array_size(parent) &&
	    json_array_remove(parent, k) == 0)
		return 0;
	return fail(w, "'%.*s' does not exist", text);
}

/* replace: steals value. */
static int do_replace(json_t **root, const struct ptr *p, const char *text, json_t *value,
		      struct why *w)
{
	if (!value)
		return fail(w, "out of memory replacing '%.*s'", text);
	if (p->n == 0) {
		json_decref(*root);
		*root = value;
		return 0;
	}
	json_t *parent = walk(*root, p->tok, p->n - 1);
	const char *last = p->tok[p->n - 1];
	size_t k;
	if (json_is_object(parent) && json_object_get(parent, last))
		return json_object_set_new(parent, last, value) < 0
			       ? fail(w, "cannot replace '%.*s'", text)
			       : 0;
	if (json_is_array(parent) && arr_index(last, &k) == 0 && k < json_array_size(parent))
		return json_array_set_new(parent, k, value) < 0 ? fail(w, "cannot replace '%.*s'", text)
								: 0;
	json_decref(value);
	return fail(w, "'%.*s' does not exist", text);
}

/* One operation on *root (already checked). */
static int apply_op(json_t **root, const json_t *op, struct why *w)
{
	enum op_kind k = op_kind(op);
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *from = json_string_value(json_object_get(op, "from"));
	const json_t *value = json_object_get(op, "value");
	struct ptr p, f = {0};
	int prc = ptr_parse(&p, path);
	if (prc == 0 && (k == OP_MOVE || k == OP_COPY))
		prc = ptr_parse(&f, from);
	if (prc < 0) {
		ptr_free(&p);
		return fail(w, "out of memory reading '%.*s'", path);
	}
	int rc = -1;
	json_t *src;
	switch (k) {
	case OP_ADD:
		rc = do_add(root, &p, path, json_deep_copy(value), w);
		break;
	case OP_REMOVE:
		rc = do_remove(*root, &p, path, w);
		break;
	case OP_REPLACE:
		rc = do_replace(root, &p, path, json_deep_copy(value), w);
		break;
	case OP_MOVE:
		if (!(src = walk(*root, f.tok, f.n))) {
			rc = fail(w, "'from' '%.*s' does not exist", from);
		} else if (!strcmp(from, path)) {
			rc = 0; /* moving a value onto itself changes nothing */
		} else {
			json_incref(src);
			rc = do_remove(*root, &f, from, w);
			if (rc == 0)
				rc = do_add(root, &p, path, src, w);
			else
				json_decref(src);
		}
		break;
	case OP_COPY:
		if (!(src = walk(*root, f.tok, f.n)))
			rc = fail(w, "'from' '%.*s' does not exist", from);
		else
			rc = do_add(root, &p, path, json_deep_copy(src), w);
		break;
	case OP_TEST:
		if (!(src = walk(*root, p.tok, p.n)))
			rc = fail(w, "'%.*s' does not exist", path);
		else if (!jsonpatch_equal(src, value))
			rc = fail(w, "test failed: '%.*s' does not equal the given value", path);
		else
			rc = 0;
		break;
	case OP_NONE:
		break;
	}
	ptr_free(&p);
	ptr_free(&f);
	return rc;
}

json_t *jsonpatch_apply(const json_t *doc, const json_t *ops, size_t max_ops, char *err,
			size_t errlen)
{
	if (jsonpatch_check(ops, max_ops, err, errlen) < 0)
		return NULL;
	json_t *root = json_deep_copy(doc);
	if (!root) {
		snprintf(err, errlen, "out of memory copying the document");
		return NULL;
	}
	char why[384];
	struct why w = {why, sizeof why};
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		if (apply_op(&root, op, &w) < 0) {
			const char *path = json_string_value(json_object_get(op, "path"));
			snprintf(err, errlen, "patch operation %zu (%s '%.*s'): %s", i,
				 op_names[op_kind(op)], QUOTE_MAX, path, why);
			json_decref(root);
			return NULL;
		}
	}
	return root;
}
