/* etag: see etag.h. */
#include "util/etag.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/ids.h"

void etag_of(char *out, const json_t *doc)
{
	char *txt = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	char hex[HASH_HEX_LEN + 1];
	ids_sha256_hex(hex, txt ? txt : "", txt ? strlen(txt) : 0);
	free(txt);
	snprintf(out, ETAG_LEN + 1, "\"%.32s\"", hex);
}
