/* etag: the strong entity tag of a JSON document — the first 128 bits of
 * SHA-256 over its compact, key-sorted serialisation — so the same content
 * always has the same tag, whoever computes it (store or handler). */
#ifndef DP_ETAG_H
#define DP_ETAG_H
#include <jansson.h>

#define ETAG_LEN 34 /* "\"" + 32 hex + "\"" */

void etag_of(char *out, const json_t *doc); /* out holds ETAG_LEN + 1 */

#endif
