/* auth: "Authorization: Bearer <key>" -> SHA-256 -> api_keys row (through
 * the principal cache, issue 12). Unknown,
 * revoked and expired keys, and keys of disabled users, all look the same
 * to the caller: 401 with no hint about which. Without an Authorization
 * header the browser session cookie is tried (issue 9); a request it
 * authenticates that changes state must come from the server's own origin. */
#include "http/auth.h"
#include <string.h>
#include <strings.h>
#include "http/principal_cache.h"
#include "http/server.h"
#include "http/session.h"
#include "store/store.h"
#include "util/clock.h"

static int bearer(struct req *r, const char *h);

int auth_authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if (h) /* a bearer key wins over a cookie, even a bad one (no fallback) */
		return bearer(r, h);
	char token[SESSION_TOKEN_LEN + 1];
	int found = session_cookie_find(req_header(r, "Cookie"), token);
	if (found == 0) {
		reply_error(r, ERR_UNAUTHORIZED,
			    "missing 'Authorization: Bearer <apiKey>' header or session cookie");
		return -1;
	}
	if (found < 0) {
		reply_error(r, ERR_UNAUTHORIZED, "the session has ended or is not valid; sign in again");
		return -1;
	}
	if (session_authenticate(r, token) < 0)
		return -1;
	/* refused CSRF keeps r->authed: the log line names whose session it was */
	return auth_check_origin(r);
}

int auth_check_origin(struct req *r)
{
	if (!session_method_unsafe(r->method))
		return 0;
	const char *origin = req_header(r, "Origin");
	if (session_origin_ok(origin, r->app->cfg->public_url, req_header(r, "Host")))
		return 0;
	reply_error(r, ERR_ORIGIN, origin ? "the request's Origin is not this server's origin"
					  : "a request that changes state must send an Origin header"
					    " (cross-site request refused)");
	return -1;
}

bool auth_lookup_failed(struct req *r, int rc)
{
	if (rc == STORE_UNAVAILABLE) {
		reply_storage_unavailable(r);
	} else if (rc < 0) {
		reply_error(r, ERR_UNAVAILABLE, "credential store unavailable, retry");
		reply_header(r, "Retry-After", "1");
	}
	return rc < 0;
}

static int bearer(struct req *r, const char *h)
{
	if (strncasecmp(h, "Bearer ", 7) != 0) {
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
	/* the cache first (principal_cache.h); the generation is read before
	 * the store is, so a write committed meanwhile outdates what we fill */
	unsigned char digest[IDS_SHA256_LEN];
	ids_sha256(digest, key, n);
	int64_t now = clock_now_ms();
	uint64_t gen = store_identity_generation();
	struct cached_principal p;
	if (!principal_cache_get(&p, PRINCIPAL_KEY, digest, gen, now)) {
		char hash[HASH_HEX_LEN + 1];
		ids_hex(hash, digest, sizeof digest);
		struct store *st = r->app->store;
		struct apikey_row row;
		int rc = st->ops->apikey_lookup(st, &row, hash);
		if (auth_lookup_failed(r, rc))
			return -1;
		if (rc == STORE_NONE || !row.user_active) { /* never cached */
			reply_error(r, ERR_UNAUTHORIZED, "invalid, expired or revoked API key");
			return -1;
		}
		memset(&p, 0, sizeof p);
		memcpy(p.who.tenant_id, row.tenant_id, sizeof p.who.tenant_id);
		memcpy(p.who.user_id, row.user_id, sizeof p.who.user_id);
		memcpy(p.who.key_id, row.id, sizeof p.who.key_id);
		p.who.roles = row.roles;
		p.expires_ms = row.expires_ms;
		principal_cache_put(PRINCIPAL_KEY, digest, &p, gen, now);
	}
	if (p.expires_ms && p.expires_ms <= now) { /* checked on every request */
		reply_error(r, ERR_UNAUTHORIZED, "invalid, expired or revoked API key");
		return -1;
	}
	r->who = p.who;
	r->authed = true;
	return 0;
}
