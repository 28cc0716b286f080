/* bootstrap: idempotent tenant + admin creation; every call mints a fresh
 * key, so a lost key is recovered by running bootstrap again. */
#include "bootstrap.h"
#include <stdio.h>
#include <string.h>
#include "domain/roles.h"
#include "store/tx.h"
#include "util/clock.h"
#include "util/ids.h"

static int find_or_create(struct store *st, char *tenant_id, char *user_id, const char *tenant,
			  const char *email, const char *now)
{
	int rc = st->ops->tenant_find(st, tenant_id, tenant);
	if (rc == STORE_NONE) {
		if (ids_guid_new(tenant_id) < 0)
			return STORE_HARD;
		rc = st->ops->tenant_insert(st, tenant_id, tenant, now);
	}
	if (rc < 0)
		return rc;
	rc = st->ops->user_find_email(st, user_id, tenant_id, email);
	if (rc != STORE_NONE)
		return rc;
	if (ids_guid_new(user_id) < 0)
		return STORE_HARD;
	char name[256];
	snprintf(name, sizeof name, "%.*s", (int)strcspn(email, "@"), email);
	json_t *user = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "id", user_id,
				 "tenantId", tenant_id, "name", name, "email", email, "subject",
				 email, "status", "active", "assignedRoles",
				 roles_assigned(ROLE_TENANT_ADMIN), "createdAt", now,
				 "lastUpdatedAt", now);
	rc = st->ops->user_insert(st, tenant_id, user, ROLE_TENANT_ADMIN);
	json_decref(user);
	return rc;
}

/* bootstrap_tenant's transaction: the tenant and its admin (found or
 * created), then the new key. */
struct bootstrap_tx {
	struct store *st;
	const char *tenant, *email, *now, *key_id, *hash;
	char tenant_id[GUID_LEN + 1], user_id[GUID_LEN + 1]; /* out */
};

static int bootstrap_body(void *cls)
{
	struct bootstrap_tx *t = cls;
	struct store *st = t->st;
	int rc = find_or_create(st, t->tenant_id, t->user_id, t->tenant, t->email, t->now);
	if (rc >= 0)
		rc = st->ops->apikey_insert(st, t->tenant_id,
					    &(struct apikey_new){.id = t->key_id, .user_id = t->user_id,
								 .created_by = t->user_id,
								 .hash = t->hash,
								 .description = "bootstrap",
								 .now = t->now, .expires_ms = 0});
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

int bootstrap_tenant(json_t **out, struct store *st, const char *tenant, const char *email,
		     char *err, size_t errlen)
{
	char key_id[GUID_LEN + 1];
	char now[ISO_TS_LEN + 1], key[64], hash[HASH_HEX_LEN + 1];
	if (!tenant || !*tenant || strlen(tenant) > 256 || !email || !strchr(email, '@') ||
	    strlen(email) > 320) {
		snprintf(err, errlen, "bootstrap needs --tenant NAME and --email ADDRESS");
		return -1;
	}
	if (ids_apikey_new(key, sizeof key) < 0 || ids_guid_new(key_id) < 0) {
		snprintf(err, errlen, "no entropy available");
		return -1;
	}
	ids_sha256_hex(hash, key, strlen(key));
	clock_now_iso(now);
	struct bootstrap_tx t = {.st = st, .tenant = tenant, .email = email, .now = now,
				 .key_id = key_id, .hash = hash};
	int rc = store_tx_run(NULL, st, true, bootstrap_body, &t);
	if (rc < 0) {
		snprintf(err, errlen, "database error while bootstrapping (%s)",
			 rc == STORE_RETRY ? "database busy" : "write failed");
		return -1;
	}
	*out = json_pack("{s:s, s:s, s:s}", "tenantId", t.tenant_id, "userId", t.user_id, "apiKey",
			 key);
	return 0;
}
