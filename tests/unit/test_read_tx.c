/* test_read_tx: one read transaction per request (issue 12, reads). Real
 * requests go through server_dispatch and the real handlers (api_routes)
 * against a SQLite store (or DP_TEST_STORE_URL's: make test-store-pg); each handler is called through a trampoline that
 * reads store_tx_started() (explicit transactions begun plus statements run
 * outside one, each its own implicit transaction) before and after it, so
 * the handler's own count is told apart from authentication's (the API key
 * lookup, http/auth.c, which a principal cache takes off the path). GET by
 * id, a changelog page and lists -- admin and consumer, with a search and
 * facets -- must each read in exactly one transaction. The responses are
 * also checked against the stored documents (spliced, store/docs.h). */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "bootstrap.h"
#include "config.h"
#include "http/request.h"
#include "http/server.h"
#include "store/store.h"

#define DPP "/api/data-governance/data-products"

static struct app app;
static struct config cfg;
static char db_path[600];
static bool own_file; /* a SQLite file of this test's, removed at the end */
static char tenant_name[64], consumer_email[96];
static char data_root[256];
static struct route routes[256];
static void (*real[256])(struct req *r);
static long handler_tx; /* the last handler's transactions */
static char admin_key[128], admin_id[GUID_LEN + 1], tenant_id[GUID_LEN + 1];
static char consumer_key[128];

static void trampoline(struct req *r)
{
	long before = store_tx_started();
	real[r->route - routes](r);
	handler_tx = store_tx_started() - before;
}

static int setup(void **state)
{
	(void)state;
	const char *env = getenv("DP_TEST_STORE_URL");
	own_file = !(env && *env);
	if (own_file)
		snprintf(db_path, sizeof db_path, "sqlite:/tmp/dp-test-read-tx-%d.db", (int)getpid());
	else
		snprintf(db_path, sizeof db_path, "%s", env);
	/* fresh names: a shared database keeps earlier runs' rows */
	snprintf(tenant_name, sizeof tenant_name, "read-tx-%d-%ld", (int)getpid(), (long)time(NULL));
	snprintf(consumer_email, sizeof consumer_email, "c-%s@example.com", tenant_name);
	snprintf(data_root, sizeof data_root, "/tmp/dp-test-read-tx-%d-data", (int)getpid());
	char err[256];
	struct store *st;
	if (store_open(&st, db_path, err, sizeof err) < 0)
		fail_msg("%s", err);
	json_t *boot = NULL;
	if (bootstrap_tenant(&boot, st, tenant_name, "admin@example.com", err, sizeof err) < 0)
		fail_msg("%s", err);
	snprintf(admin_key, sizeof admin_key, "%s", json_string_value(json_object_get(boot, "apiKey")));
	snprintf(admin_id, sizeof admin_id, "%s", json_string_value(json_object_get(boot, "userId")));
	snprintf(tenant_id, sizeof tenant_id, "%s",
		 json_string_value(json_object_get(boot, "tenantId")));
	json_decref(boot);
	assert_true(api_nroutes < (int)(sizeof routes / sizeof routes[0]) - 1);
	for (int i = 0; i <= api_nroutes; i++) { /* the NULL entry too */
		routes[i] = api_routes[i];
		real[i] = api_routes[i].handler;
		if (routes[i].handler)
			routes[i].handler = trampoline;
	}
	cfg.listen = "127.0.0.1:8080";
	snprintf(cfg.host, sizeof cfg.host, "127.0.0.1");
	cfg.port = 8080;
	cfg.data_root = data_root;
	app = (struct app){.cfg = &cfg, .store = st, .routes = routes, .nroutes = api_nroutes,
			   .repeatable = api_repeatable};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	app.store->ops->close(app.store);
	rmdir(data_root); /* if anything made it */
	if (!own_file)
		return 0;
	const char *path = db_path + strlen("sqlite:");
	char side[620];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	return 0;
}

/* One request; query is "k=v" pairs (no encoding needed in these tests). */
static void call(struct req *r, const char *method, const char *path, const char *query,
		 const char *key, const char *body)
{
	static char auth[160];
	static struct req_kv q[8];
	static char qbuf[512];
	snprintf(auth, sizeof auth, "Bearer %s", key);
	struct req_kv *h = calloc(3, sizeof *h);
	h[0] = (struct req_kv){"Host", "127.0.0.1:8080"};
	h[1] = (struct req_kv){"Authorization", auth};
	h[2] = (struct req_kv){"Content-Type", "application/json"};
	*r = (struct req){.app = &app, .method = method, .path = path};
	r->syn_headers = h;
	r->syn_nheaders = 3;
	int nq = 0;
	if (query) {
		snprintf(qbuf, sizeof qbuf, "%s", query);
		for (char *save = NULL, *kv = strtok_r(qbuf, "&", &save); kv && nq < 8;
		     kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');
			*eq = '\0';
			q[nq++] = (struct req_kv){kv, eq + 1};
		}
	}
	r->syn_query = q;
	r->syn_nquery = nq;
	if (body) {
		r->body = strdup(body);
		r->body_len = strlen(body);
	}
	snprintf(r->trace_id, sizeof r->trace_id, "t");
	handler_tx = -1;
	server_dispatch(r);
	free(h);
}

/* The response body parsed (the caller decrefs); fails unless status. */
static json_t *answer(struct req *r, unsigned status)
{
	if (r->status != status)
		fail_msg("status %u, expected %u: %.*s", r->status, status, (int)r->resp_len,
			 r->resp_body ? r->resp_body : "");
	json_t *j = r->resp_len ? json_loadb(r->resp_body, r->resp_len, 0, NULL) : json_null();
	if (!j)
		fail_msg("not JSON: %.*s", (int)r->resp_len, r->resp_body);
	req_clear(r);
	return j;
}

static json_t *post(const char *path, const char *key, const char *body)
{
	struct req r;
	call(&r, "POST", path, NULL, key, body);
	unsigned want = r.status == 202 ? 202 : 201;
	return answer(&r, want);
}

/* The product's stored document, as the store writes it. */
static char *stored_product(const char *id)
{
	struct store *st = app.store;
	json_t *d = NULL;
	assert_int_equal(st->ops->begin(st, false), STORE_ONE);
	assert_int_equal(st->ops->product_get(st, &d, tenant_id, id), STORE_ONE);
	st->ops->rollback(st);
	char *t = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return t;
}

static void reads_take_one_transaction_each(void **state)
{
	(void)state;
	char body[1024];
	json_t *space = post("/api/v1/spaces", admin_key, "{\"name\":\"s\",\"type\":\"shared\"}");
	const char *sp = json_string_value(json_object_get(space, "id"));
	snprintf(body, sizeof body,
		 "{\"subject\":\"x|%s\",\"email\":\"%s\",\"name\":\"c\","
		 "\"assignedRoles\":[{\"name\":\"DataProductConsumer\"}]}",
		 tenant_name, consumer_email);
	json_t *user = post("/api/v1/users", admin_key, body);
	const char *uid = json_string_value(json_object_get(user, "id"));
	snprintf(body, sizeof body, "{\"assigneeId\":\"%s\",\"type\":\"user\",\"roles\":[\"consumer\"]}",
		 uid);
	char path[256];
	snprintf(path, sizeof path, "/api/v1/spaces/%s/assignments", sp);
	json_decref(post(path, admin_key, body));
	snprintf(body, sizeof body, "{\"description\":\"c\",\"sub\":\"%s\"}", uid);
	json_t *key = post("/api/v1/api-keys", admin_key, body);
	snprintf(consumer_key, sizeof consumer_key, "%s",
		 json_string_value(json_object_get(key, "token")));
	json_decref(key);
	/* products with content a splice could break: quotes, escapes, U+2028, astral */
	char ids[3][GUID_LEN + 1];
	for (int i = 0; i < 3; i++) {
		snprintf(body, sizeof body,
			 "{\"name\":\"p%d \\\"q\\\" \\\\ \xf0\x9f\x98\x80\",\"spaceId\":\"%s\","
			 "\"description\":\"a\\u0001\\n\\u2028</script>\",\"tags\":[\"t\xc3\xa9\"],"
			 "\"keyContacts\":[{\"userId\":\"%s\"}]}",
			 i, sp, admin_id);
		json_t *p = post(DPP, admin_key, body);
		snprintf(ids[i], sizeof ids[i], "%s", json_string_value(json_object_get(p, "id")));
		json_decref(p);
	}
	json_decref(space);
	json_decref(user);

	struct req r;
	char one[256], logs[256];
	snprintf(one, sizeof one, DPP "/%s", ids[0]);
	snprintf(logs, sizeof logs, DPP "/%s/changelogs", ids[0]);
	struct {
		const char *path, *query, *key;
	} reads[] = {
		{one, NULL, admin_key},
		{logs, NULL, admin_key},
		{logs, "limit=1&page=1&sort=+createdAt", admin_key},
		{DPP, NULL, admin_key},
		{DPP, "sort=name&limit=2&page=2", admin_key},
		{DPP, "query=p1&facets=tags,spaceId", admin_key},
		{DPP, "tag=t\xc3\xa9", admin_key},
		{DPP, "activated=false", consumer_key}, /* a consumer: its spaces are read too */
		{DPP, NULL, consumer_key},
	};
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		long t0 = store_tx_started();
		call(&r, "GET", reads[i].path, reads[i].query, reads[i].key, NULL);
		long all = store_tx_started() - t0;
		if (r.status != 200)
			fail_msg("%s?%s: %u", reads[i].path, reads[i].query ? reads[i].query : "", r.status);
		if (handler_tx != 1)
			fail_msg("%s?%s: the handler read in %ld transactions, not one", reads[i].path,
				 reads[i].query ? reads[i].query : "", handler_tx);
		/* authentication reads the key at most once more (none once cached) */
		if (all > 2)
			fail_msg("%s?%s: %ld transactions in all", reads[i].path,
				 reads[i].query ? reads[i].query : "", all);
		json_t *got = answer(&r, 200);
		/* the list items are the stored documents (spliced, byte for byte) */
		json_t *data = json_object_get(got, "data");
		size_t k;
		json_t *item;
		json_array_foreach(data, k, item) {
			const char *id = json_string_value(json_object_get(item, "id"));
			if (reads[i].path != logs) {
				char *want = stored_product(id);
				char *have = json_dumps(item, JSON_COMPACT);
				assert_non_null(want);
				assert_string_equal(have, want);
				free(want);
				free(have);
			}
		}
		json_decref(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_take_one_transaction_each),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
