/* jsonpatch: RFC 6902 JSON Patch over RFC 6901 JSON Pointers on jansson
 * documents. Generic and pure: it knows nothing about the resource being
 * patched; callers validate the result against their own rules.
 *
 * A patch is a JSON array of operation objects {op, path, from?, value?}
 * with op one of add, remove, replace, move, copy, test. Members an
 * operation does not define are ignored (RFC 6902 §4). Application is
 * atomic: the operations run in order on a deep copy of the document, and
 * the first one that fails discards the copy, so the caller's document never
 * changes. Error details name the operation's index in the array. */
#ifndef DP_JSONPATCH_H
#define DP_JSONPATCH_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Checks the shape of a patch without a document: an array of 1..max_ops
 * objects, each with a known "op", a syntactically valid "path", a valid
 * "from" for move/copy, a "value" (null allowed) for add/replace/test, and
 * no move of a location into one of its own children. -1 + err otherwise,
 * e.g. "patch operation 2: 'from' is required for 'move'". */
int jsonpatch_check(const json_t *ops, size_t max_ops, char *err, size_t errlen);

/* Applies ops (checked first, as jsonpatch_check) to a deep copy of doc and
 * returns the new document (caller owns it). On any failure returns NULL and
 * writes e.g. "patch operation 1 (remove '/a/b'): '/a/b' does not exist"
 * into err; doc is never modified. Values taken from ops are deep-copied, so
 * the result shares nothing with ops or doc. */
json_t *jsonpatch_apply(const json_t *doc, const json_t *ops, size_t max_ops, char *err,
			size_t errlen);

/* True when ptr is a syntactically valid JSON Pointer: "" or '/'-prefixed
 * tokens in which every '~' is followed by '0' or '1'. */
bool jsonpointer_valid(const char *ptr);

/* The value ptr points at in doc (borrowed), or NULL when it is absent or
 * ptr is invalid. Array tokens must be canonical indexes ("0", "12"; not
 * "01", "-", "+1"). */
json_t *jsonpointer_get(const json_t *doc, const char *ptr);

/* True when ptr is ancestor itself or lies below it ("/a/b" is within "/a"
 * and "", but not within "/ab"). Compares the text, so both must be valid. */
bool jsonpointer_within(const char *ptr, const char *ancestor);

/* RFC 6902 §4.6 equality: numbers are equal when numerically equal (1 and
 * 1.0), objects when they have the same members regardless of order, arrays
 * element by element, everything else by type and value. */
bool jsonpatch_equal(const json_t *a, const json_t *b);

#endif
