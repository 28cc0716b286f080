/* session: browser sessions (issue 9). See session.h and docs/decisions.md
 * "Issue 9 — sessions". */
#include "http/session.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config.h"
#include "http/auth.h"
#include "http/principal_cache.h"
#include "http/server.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/strbuf.h"

#define DEFAULT_IDLE_S (8u * 3600)
#define DEFAULT_MAX_AGE_S (7u * 86400)
#define TOUCH_MAX_MS 60000
#define SWEEP_EVERY_MS 60000

static bool b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

bool session_token_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= SESSION_TOKEN_LEN || !b64url_char(s[n]))
			return false;
	return n == SESSION_TOKEN_LEN;
}

int session_cookie_find(const char *h, char *out)
{
	static const char name[] = SESSION_COOKIE;
	const size_t nl = sizeof name - 1;
	int found = 0;
	bool bad = false;
	out[0] = '\0';
	for (const char *p = h; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		size_t len = strcspn(p, ";");
		const char *eq = memchr(p, '=', len);
		if (eq) {
			size_t kl = (size_t)(eq - p);
			while (kl > 0 && (p[kl - 1] == ' ' || p[kl - 1] == '\t'))
				kl--;
			if (kl == nl && !memcmp(p, name, nl)) {
				const char *v = eq + 1;
				size_t vl = len - (size_t)(v - p);
				while (vl > 0 && (*v == ' ' || *v == '\t'))
					v++, vl--;
				while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
					vl--;
				found++;
				if (vl != SESSION_TOKEN_LEN) {
					bad = true;
				} else {
					memcpy(out, v, vl);
					out[vl] = '\0';
					bad |= !session_token_valid(out);
				}
			}
		}
		p += len;
	}
	if (found == 0)
		return 0;
	if (found > 1 || bad) {
		out[0] = '\0';
		return -1;
	}
	return 1;
}

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

bool session_origin_normalize(char *out, size_t cap, const char *o, bool allow_path)
{
	const char *scheme;
	long defport;
	if (!o)
		return false;
	if (!strncasecmp(o, "http://", 7))
		scheme = "http", defport = 80, o += 7;
	else if (!strncasecmp(o, "https://", 8))
		scheme = "https", defport = 443, o += 8;
	else
		return false;
	const char *host = o;
	if (*o == '[') {
		const char *e = strchr(o, ']');
		if (!e || e == o + 1)
			return false;
		for (const char *q = o + 1; q < e; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
				return false;
		o = e + 1;
	} else {
		while (host_char(*o))
			o++;
		if (o == host)
			return false;
	}
	int hl = (int)(o - host);
	long port = -1;
	if (*o == ':') {
		const char *ps = ++o;
		while (*o >= '0' && *o <= '9')
			o++;
		if (o == ps || o - ps > 5)
			return false;
		port = strtol(ps, NULL, 10);
		if (port > 65535)
			return false;
	}
	if (*o && !(allow_path && (*o == '/' || *o == '?' || *o == '#')))
		return false;
	int n = port < 0 || port == defport ? snprintf(out, cap, "%s://%.*s", scheme, hl, host)
					    : snprintf(out, cap, "%s://%.*s:%ld", scheme, hl, host, port);
	if (n < 0 || (size_t)n >= cap)
		return false;
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return true;
}

bool session_server_origin(char *out, size_t cap, const char *public_url, const char *host)
{
	if (public_url)
		return session_origin_normalize(out, cap, public_url, true);
	if (!host || strlen(host) > 255)
		return false;
	char buf[SESSION_ORIGIN_MAX];
	snprintf(buf, sizeof buf, "http://%s", host);
	return session_origin_normalize(out, cap, buf, false);
}

bool session_origin_ok(const char *origin, const char *public_url, const char *host)
{
	char want[SESSION_ORIGIN_MAX], got[SESSION_ORIGIN_MAX];
	return origin && session_server_origin(want, sizeof want, public_url, host) &&
	       session_origin_normalize(got, sizeof got, origin, false) && !strcmp(want, got);
}

bool session_method_unsafe(const char *m)
{
	return !m || (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS"));
}

bool session_secure(const char *public_url)
{
	return public_url && !strncasecmp(public_url, "https://", 8);
}

char *session_cookie_header(const char *token, unsigned max_age_s, bool secure)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_printf(&sb, "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s", SESSION_COOKIE,
		      token ? token : "", token ? max_age_s : 0u, secure ? "; Secure" : "");
	return strbuf_take(&sb);
}

int64_t session_touch_interval_ms(int64_t idle_ms)
{
	int64_t t = idle_ms / 4;
	if (t > TOUCH_MAX_MS)
		t = TOUCH_MAX_MS;
	return t < 1 ? 1 : t;
}

static int64_t idle_ms_of(const struct config *cfg)
{
	return (int64_t)(cfg && cfg->session_idle_s ? cfg->session_idle_s : DEFAULT_IDLE_S) * 1000;
}

static int64_t max_age_ms_of(const struct config *cfg)
{
	return (int64_t)(cfg && cfg->session_max_age_s ? cfg->session_max_age_s : DEFAULT_MAX_AGE_S) *
	       1000;
}

/* base64url without padding of 32 random bytes: exactly SESSION_TOKEN_LEN chars. */
static int token_new(char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char b[33] = {0};
	if (ids_random(b, 32) < 0)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];
		for (int k = 3; k >= 0 && o < SESSION_TOKEN_LEN; k--)
			out[o++] = abc[(v >> (6 * k)) & 63];
	}
	out[SESSION_TOKEN_LEN] = '\0';
	return 0;
}

int session_create(struct store *st, const struct config *cfg, const char *tenant,
		   const char *user_id, const char *how, const char *key_id, int64_t now_ms,
		   char *token)
{
	char hash[HASH_HEX_LEN + 1];
	if (token_new(token) < 0)
		return STORE_HARD;
	ids_sha256_hex(hash, token, SESSION_TOKEN_LEN);
	struct session_new n = {.id_hash = hash, .user_id = user_id, .key_id = key_id,
				.created_via = how, .now_ms = now_ms,
				.expires_ms = now_ms + max_age_ms_of(cfg)};
	int rc = st->ops->session_insert(st, tenant, &n);
	if (rc < 0)
		memset(token, 0, SESSION_TOKEN_LEN + 1);
	return rc;
}

/* The store's verdict on a session (no cache): on success *p is filled
 * (last_seen as it now stands, after a touch) and 0 is returned; else -1
 * after replying. */
static int session_lookup_store(struct req *r, struct cached_principal *p, const char *hash,
				int64_t now, int64_t idle)
{
	struct store *st = r->app->store;
	struct session_row row;
	int rc = st->ops->session_lookup(st, &row, hash, now);
	if (auth_lookup_failed(r, rc))
		return -1;
	if (rc == STORE_NONE || !row.user_active || !row.key_ok || now >= row.expires_ms ||
	    now >= row.last_seen_ms + idle) {
		if (rc == STORE_ONE) /* lazily: the sweep would get it later */
			(void)st->ops->session_delete(st, row.tenant_id, hash);
		reply_error(r, ERR_UNAUTHORIZED, "the session has ended or is not valid; sign in again");
		return -1;
	}
	if (now - row.last_seen_ms >= session_touch_interval_ms(idle) &&
	    st->ops->session_touch(st, row.tenant_id, hash, now) == STORE_ONE)
		row.last_seen_ms = now;
	memset(p, 0, sizeof *p);
	memcpy(p->who.tenant_id, row.tenant_id, sizeof p->who.tenant_id);
	memcpy(p->who.user_id, row.user_id, sizeof p->who.user_id);
	memcpy(p->who.key_id, row.key_id, sizeof p->who.key_id);
	p->who.roles = row.roles;
	p->expires_ms = row.expires_ms;
	p->key_expires_ms = row.key_expires_ms;
	p->last_seen_ms = row.last_seen_ms;
	return 0;
}

int session_authenticate(struct req *r, const char *token)
{
	unsigned char digest[IDS_SHA256_LEN];
	char hash[HASH_HEX_LEN + 1];
	ids_sha256(digest, token, strlen(token));
	ids_hex(hash, digest, sizeof digest);
	int64_t now = clock_now_ms(), idle = idle_ms_of(r->app->cfg);
	/* the principal cache first (principal_cache.h); the generation is read
	 * before the store is. What the cache holds is judged again on every
	 * request: expiry, idle time, the key's expiry; a session that looks
	 * ended, or is due a touch, goes to the store (which may know a later
	 * use on another instance, and deletes a dead row). */
	uint64_t gen = store_identity_generation();
	struct cached_principal p;
	bool hit = principal_cache_get(&p, PRINCIPAL_SESSION, digest, gen, now);
	if (hit && (now >= p.expires_ms || now >= p.last_seen_ms + idle ||
		    (p.key_expires_ms && p.key_expires_ms <= now) ||
		    now - p.last_seen_ms >= session_touch_interval_ms(idle)))
		hit = false;
	if (!hit) {
		if (session_lookup_store(r, &p, hash, now, idle) < 0)
			return -1;
		principal_cache_put(PRINCIPAL_SESSION, digest, &p, gen, now);
	}
	r->who = p.who;
	/* rate limits count per API key: the key the session was made with,
	 * or (no key, e.g. SSO) the session itself */
	if (!p.who.key_id[0])
		snprintf(r->who.key_id, sizeof r->who.key_id, "session:%.28s", hash);
	memcpy(r->session_hash, hash, sizeof r->session_hash);
	r->via_session = true;
	r->authed = true;
	return 0;
}

void session_sweep_maybe(struct store *st, const struct config *cfg, int64_t now_ms)
{
	static int64_t next_ms;
	int64_t due = __atomic_load_n(&next_ms, __ATOMIC_RELAXED);
	if (now_ms < due ||
	    !__atomic_compare_exchange_n(&next_ms, &due, now_ms + SWEEP_EVERY_MS, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	long n = 0;
	(void)st->ops->session_sweep(st, &n, now_ms, now_ms - idle_ms_of(cfg));
}
