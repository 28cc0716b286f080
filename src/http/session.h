/* session: browser sessions (SPEC §6, issue 9). A session id is 256 random
 * bits sent as the cookie dp_session; the database holds only its SHA-256.
 * A session is created by session_create() alone (sign-in with an API key
 * now; single sign-on later only adds another caller) and read back by
 * session_authenticate(), which /api/ uses when no bearer key is sent.
 *
 * The pure helpers (cookie parsing, origins) are unit-tested on their own
 * (tests/unit/test_session.c). */
#ifndef DP_SESSION_H
#define DP_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http/request.h"

#define SESSION_COOKIE "dp_session"
/* base64url of 32 random bytes, no padding */
#define SESSION_TOKEN_LEN 43
/* The longest an origin can be here (scheme://host:port). */
#define SESSION_ORIGIN_MAX 300

struct store;
struct config;

/* --- pure helpers --- */

/* True when s is a well-formed session id (SESSION_TOKEN_LEN base64url chars). */
bool session_token_valid(const char *s);
/* Finds the dp_session cookie in a Cookie header value. Returns 1 and
 * copies a well-formed value into out (SESSION_TOKEN_LEN + 1 bytes); 0 when
 * there is none; -1 when it is malformed or sent more than once (a cookie
 * planted by a sibling host must not choose which session is used). */
int session_cookie_find(const char *cookie_header, char *out);
/* Normalises an origin "scheme://host[:port]" into out: scheme and host
 * lower-cased, the scheme's default port dropped. With allow_path a path,
 * query or fragment after the authority is ignored (a --public-url), else
 * it makes the origin invalid (an Origin header has none). Only http and
 * https. False when malformed. */
bool session_origin_normalize(char *out, size_t cap, const char *origin, bool allow_path);
/* The server's own origin: that of public_url when set, else "http://" +
 * host (the request's Host header). False when none can be formed. */
bool session_server_origin(char *out, size_t cap, const char *public_url, const char *host);
/* True when the Origin header value names the server's origin (both
 * normalised). A missing, "null" or malformed Origin never does. */
bool session_origin_ok(const char *origin, const char *public_url, const char *host);
/* True for the methods that change state (anything but GET, HEAD, OPTIONS). */
bool session_method_unsafe(const char *method);
/* The Set-Cookie value for token (NULL: the deleting cookie, Max-Age=0):
 * dp_session=<token>; Path=/; Max-Age=<max_age_s>; HttpOnly; SameSite=Strict
 * [; Secure]. Caller frees. */
char *session_cookie_header(const char *token, unsigned max_age_s, bool secure);
/* True when public_url is https (the cookie then says Secure). */
bool session_secure(const char *public_url);
/* How often last_seen_at is written at most: min(60 s, idle / 4), >= 1 ms. */
int64_t session_touch_interval_ms(int64_t idle_ms);

/* --- sessions in the store --- */

/* Creates a session for user_id of tenant, made `how` ("apikey"; "oidc"
 * later) with key_id (NULL when no API key was involved), expiring after
 * the configured idle time and maximum age. Call it inside a write
 * transaction. Writes the new id into token (SESSION_TOKEN_LEN + 1 bytes).
 * Returns a store_rc (STORE_ONE ok), or STORE_HARD when no entropy. */
int session_create(struct store *st, const struct config *cfg, const char *tenant,
		   const char *user_id, const char *how, const char *key_id, int64_t now_ms,
		   char *token);
/* Authenticates r by its session cookie token: fills r->who (key_id = the
 * session's key, so its rate limits are that key's; or a per-session id when
 * there is none), r->via_session and r->session_hash. A session that is
 * unknown, expired, idle too long, of a disabled user or of a revoked or
 * expired key answers 401 (dead rows are deleted on the way). Refreshes
 * last_seen_at at most once per session_touch_interval_ms. -1 after replying. */
int session_authenticate(struct req *r, const char *token);
/* Deletes expired and idle sessions, at most once a minute per process
 * (called on sign-in). */
void session_sweep_maybe(struct store *st, const struct config *cfg, int64_t now_ms);

#endif
