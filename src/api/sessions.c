/* sessions: the web app's sign-in (issue 9, SPEC §6). Outside /api and the
 * Qlik namespace, no bearer key needed:
 *   POST /auth/sign-in  {"apiKey"} -> 200 {"user"} + Set-Cookie dp_session
 *   POST /auth/sign-out -> 204, the session row deleted, the cookie cleared
 *   GET  /auth/session  -> 200 {"user"} for the cookie's session, or 401
 * Both POSTs pass the same Origin check as cookie-authenticated writes
 * (login CSRF). Sign-in attempts are rate-limited per client address. */
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "api/api.h"
#include "domain/roles.h"
#include "http/auth.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/session.h"

static const struct field_spec sign_in_spec[] = {
	{"apiKey", FIELD_STRING, true, false, 1024},
	FIELD_END,
};

/* The peer's numeric address ("unknown" without a connection). */
static void client_addr(const struct req *r, char *out, size_t cap)
{
	snprintf(out, cap, "unknown");
	if (!r->conn)
		return;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	if (!sa)
		return;
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	if (getnameinfo(sa, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, cap, "unknown");
}

/* GCRA budget of sign-in attempts per client address (--sign-in-rate-limit);
 * every attempt counts, successful or not. -1 after replying 429. */
static int sign_in_limited(struct req *r)
{
	struct app *app = r->app;
	if (!app->sign_in_limit)
		return 0;
	char addr[NI_MAXHOST + 8];
	client_addr(r, addr, sizeof addr);
	struct rate_verdict v;
	if (!ratelimit_take_shared(&v, app->sign_in_limit, app->store, RATELIMIT_BUCKET_SIGN_IN, addr,
				   TIER_1, clock_mono_ns() / 1000000))
		return 0;
	metrics_count_rate_limited(app->metrics);
	reply_error(r, ERR_RATE_LIMITED,
		    "too many sign-in attempts from this address (%ld per minute); retry in %ld s",
		    v.limit, v.retry_after_s);
	reply_header(r, "Retry-After", "%ld", v.retry_after_s);
	reply_header(r, "RateLimit-Limit", "%ld", v.limit);
	reply_header(r, "RateLimit-Remaining", "%ld", v.remaining);
	reply_header(r, "RateLimit-Reset", "%ld", v.reset_s);
	return -1;
}

/* {"user":{"id","name","email","tenantId","roles":[names]}} for r->who. */
static int reply_user(struct req *r, unsigned status)
{
	struct store *st = r->app->store;
	json_t *u = NULL;
	int rc = st->ops->user_get(st, &u, r->who.tenant_id, r->who.user_id);
	if (rc <= 0) {
		api_store_error(r, rc < 0 ? rc : STORE_HARD);
		return -1;
	}
	json_t *roles = json_array();
	for (const struct role_info *ri = roles_all; ri->name; ri++)
		if (r->who.roles & ri->bit)
			json_array_append_new(roles, json_string(ri->name));
	const char *email = json_string_value(json_object_get(u, "email"));
	json_t *user = json_pack("{s:O, s:O, s:s, s:s, s:o}", "id", json_object_get(u, "id"), "name",
				 json_object_get(u, "name"), "email", email ? email : "", "tenantId",
				 r->who.tenant_id, "roles", roles);
	json_decref(u);
	if (!user) {
		reply_error(r, ERR_INTERNAL, "user could not be encoded");
		return -1;
	}
	reply_json(r, status, json_pack("{s:o}", "user", user));
	return 0;
}

static void set_cookie(struct req *r, const char *token)
{
	const struct config *cfg = r->app->cfg;
	unsigned max_age = cfg->session_max_age_s ? cfg->session_max_age_s : 7u * 86400;
	char *c = session_cookie_header(token, max_age, session_secure(cfg->public_url));
	reply_header(r, "Set-Cookie", "%s", c);
	free(c);
}

static void unauthorized(struct req *r)
{
	/* one answer for every reason: unknown, revoked, expired key, disabled user */
	reply_error(r, ERR_UNAUTHORIZED, "invalid, expired or revoked API key, or disabled user");
}

/* Signing in replaces the session this browser already had (its cookie is
 * about to be overwritten): the old row is deleted rather than left to live
 * out its idle time unseen. Store rc (<0 on failure). */
static int end_browser_session(const struct req *r, int64_t now)
{
	char old[SESSION_TOKEN_LEN + 1];
	if (session_cookie_find(req_header(r, "Cookie"), old) != 1)
		return 0;
	char hash[HASH_HEX_LEN + 1];
	ids_sha256_hex(hash, old, SESSION_TOKEN_LEN);
	memset(old, 0, sizeof old);
	struct store *st = r->app->store;
	struct session_row row;
	int rc = st->ops->session_lookup(st, &row, hash, now);
	if (rc == STORE_ONE)
		rc = st->ops->session_delete(st, row.tenant_id, hash);
	return rc;
}

/* auth_sign_in's transaction: the browser's old session ends, a new one
 * begins (its token in the closure). */
struct sign_in_tx {
	const struct req *r;
	const struct apikey_row *row;
	int64_t now;
	char token[SESSION_TOKEN_LEN + 1]; /* out */
};

static int sign_in_body(void *cls)
{
	struct sign_in_tx *t = cls;
	const struct req *r = t->r;
	int rc = end_browser_session(r, t->now);
	if (rc >= 0)
		rc = session_create(r->app->store, r->app->cfg, t->row->tenant_id, t->row->user_id,
				    "apikey", t->row->id, t->now, t->token);
	return rc < 0 ? rc : 0;
}

void auth_sign_in(struct req *r)
{
	if (req_check_host(r) < 0 || auth_check_origin(r) < 0 || sign_in_limited(r) < 0)
		return;
	json_t *body = api_body_checked(r, sign_in_spec);
	if (!body)
		return;
	const char *key = json_string_value(json_object_get(body, "apiKey"));
	size_t n = strlen(key);
	struct store *st = r->app->store;
	struct apikey_row row;
	int rc = STORE_NONE;
	if (n > 0 && n <= 256) {
		char hash[HASH_HEX_LEN + 1];
		ids_sha256_hex(hash, key, n);
		rc = st->ops->apikey_lookup(st, &row, hash);
	}
	json_decref(body);
	int64_t now = clock_now_ms();
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	if (rc == STORE_NONE || !row.user_active || (row.expires_ms && row.expires_ms <= now)) {
		unauthorized(r);
		return;
	}
	memcpy(r->who.tenant_id, row.tenant_id, sizeof r->who.tenant_id);
	memcpy(r->who.user_id, row.user_id, sizeof r->who.user_id);
	memcpy(r->who.key_id, row.id, sizeof r->who.key_id);
	r->who.roles = row.roles;
	struct sign_in_tx t = {.r = r, .row = &row, .now = now};
	if (api_tx_run(r, true, sign_in_body, &t, NULL) < 0) {
		memset(t.token, 0, sizeof t.token);
		return;
	}
	char *token = t.token;
	r->authed = true; /* the log line names who signed in */
	if (reply_user(r, 200) == 0)
		set_cookie(r, token);
	memset(t.token, 0, sizeof t.token);
	session_sweep_maybe(st, r->app->cfg, now);
}

/* auth_sign_out's transaction: the cookie's session row, if any, deleted. */
struct sign_out_tx {
	const struct req *r;
	char token[SESSION_TOKEN_LEN + 1];
	struct session_row found; /* out: tenant_id "" when none */
};

static int sign_out_body(void *cls)
{
	struct sign_out_tx *t = cls;
	struct store *st = t->r->app->store;
	char hash[HASH_HEX_LEN + 1];
	memset(&t->found, 0, sizeof t->found);
	ids_sha256_hex(hash, t->token, SESSION_TOKEN_LEN);
	int rc = st->ops->session_lookup(st, &t->found, hash, clock_now_ms());
	if (rc == STORE_ONE)
		rc = st->ops->session_delete(st, t->found.tenant_id, hash);
	else
		memset(&t->found, 0, sizeof t->found);
	return rc < 0 ? rc : 0;
}

void auth_sign_out(struct req *r)
{
	if (req_check_host(r) < 0 || auth_check_origin(r) < 0)
		return;
	struct sign_out_tx t = {.r = r};
	if (session_cookie_find(req_header(r, "Cookie"), t.token) == 1) {
		/* the row must not outlive a sign-out we acknowledge */
		int rc = api_tx_run(r, true, sign_out_body, &t, NULL);
		memset(t.token, 0, sizeof t.token);
		if (t.found.tenant_id[0]) {
			memcpy(r->who.tenant_id, t.found.tenant_id, sizeof r->who.tenant_id);
			memcpy(r->who.user_id, t.found.user_id, sizeof r->who.user_id);
			r->via_session = true;
			r->authed = true; /* for the log line */
		}
		if (rc < 0)
			return;
	}
	reply_empty(r, 204);
	set_cookie(r, NULL);
}

void auth_session(struct req *r)
{
	if (req_check_host(r) < 0)
		return;
	char token[SESSION_TOKEN_LEN + 1];
	int found = session_cookie_find(req_header(r, "Cookie"), token);
	if (found <= 0) {
		reply_error(r, ERR_UNAUTHORIZED, found == 0 ? "no session; sign in"
							    : "the session has ended or is not valid; sign in again");
		return;
	}
	int rc = session_authenticate(r, token);
	memset(token, 0, sizeof token);
	if (rc < 0)
		return;
	reply_user(r, 200);
}
