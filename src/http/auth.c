/* auth: "Authorization: Bearer <key>" -> SHA-256 -> api_keys row. Unknown,
 * revoked and expired keys, and keys of disabled users, all look the same
 * to the caller: 401 with no hint about which. */
#include "http/auth.h"
#include <string.h>
#include <strings.h>
#include "http/server.h"
#include "util/clock.h"

int auth_authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		reply_error(r, ERR_UNAUTHORIZED, "missing 'Authorization: Bearer <apiKey>' header");
		return -1;
	}
	const char *key = h + 7;
	while (*key == ' ')
		key++;
	size_t n = strlen(key);
	if (n == 0 || n > 256) {
		reply_error(r, ERR_UNAUTHORIZED, "invalid API key");
		return -1;
	}
	char hash[HASH_HEX_LEN + 1];
	ids_sha256_hex(hash, key, n);
	struct store *st = r->app->store;
	struct apikey_row row;
	int rc = st->ops->apikey_lookup(st, &row, hash);
	if (rc == STORE_UNAVAILABLE) {
		reply_storage_unavailable(r);
		return -1;
	}
	if (rc < 0) {
		reply_error(r, ERR_UNAVAILABLE, "credential store unavailable, retry");
		return -1;
	}
	if (rc == STORE_NONE || !row.user_active ||
	    (row.expires_ms && row.expires_ms <= clock_now_ms())) {
		reply_error(r, ERR_UNAUTHORIZED, "invalid, expired or revoked API key");
		return -1;
	}
	memcpy(r->who.tenant_id, row.tenant_id, sizeof r->who.tenant_id);
	memcpy(r->who.user_id, row.user_id, sizeof r->who.user_id);
	memcpy(r->who.key_id, row.id, sizeof r->who.key_id);
	r->who.roles = row.roles;
	r->authed = true;
	return 0;
}
