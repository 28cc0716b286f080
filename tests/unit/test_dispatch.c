/* test_dispatch: the dispatcher's guard against a handler that leaves a
 * transaction open (src/http/server.c, server_dispatch). Such a handler's
 * work was never committed, so its 2xx must not reach the client, and its
 * transaction (SQLite's write lock) must not outlive the request: the
 * dispatcher rolls it back, logs it and answers 500. Driven through
 * server_dispatch with a synthetic request against a real SQLite store. */
#include "support.h"

#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "http/request.h"
#include "http/server.h"
#include "store/store.h"

static struct app app;
static struct config cfg;
static char db_path[256];

static void forgets_commit(struct req *r)
{
	struct store *st = r->app->store;
	assert_true(st->ops->begin(st, true) >= 0);
	reply_empty(r, 204); /* "done" -- but nothing was committed */
}

static void commits(struct req *r)
{
	struct store *st = r->app->store;
	assert_true(st->ops->begin(st, true) >= 0);
	assert_true(st->ops->commit(st) >= 0);
	reply_empty(r, 204);
}

static const struct route routes[] = {
	{"POST", "/forgets", forgets_commit, TIER_NONE, false},
	{"POST", "/commits", commits, TIER_NONE, false},
	{NULL, NULL, NULL, TIER_NONE, false},
};

static int setup(void **state)
{
	(void)state;
	snprintf(db_path, sizeof db_path, "sqlite:/tmp/dp-test-dispatch-%d.db", (int)getpid());
	char err[256];
	struct store *st;
	if (store_open(&st, db_path, err, sizeof err) < 0)
		fail_msg("%s", err);
	cfg.listen = "127.0.0.1:8080";
	snprintf(cfg.host, sizeof cfg.host, "127.0.0.1");
	cfg.port = 8080;
	app = (struct app){.cfg = &cfg, .store = st, .routes = routes, .nroutes = 2};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	app.store->ops->close(app.store);
	const char *path = db_path + strlen("sqlite:");
	char side[300];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	return 0;
}

static void run(struct req *r, const char *path)
{
	static const struct req_kv host[] = {{"Host", "127.0.0.1:8080"}};
	*r = (struct req){.app = &app, .method = "POST", .path = path};
	r->syn_headers = host;
	r->syn_nheaders = 1;
	snprintf(r->trace_id, sizeof r->trace_id, "t");
	server_dispatch(r);
}

static void open_transaction_is_rolled_back_and_never_acknowledged(void **state)
{
	(void)state;
	struct req r;
	run(&r, "/forgets");
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(r.resp_body, "DP-500-INTERNAL"));
	assert_false(app.store->ops->in_transaction(app.store));
	req_clear(&r);
	/* the write lock is free again: the next write goes through at once */
	run(&r, "/commits");
	assert_int_equal(r.status, 204);
	assert_false(app.store->ops->in_transaction(app.store));
	req_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_transaction_is_rolled_back_and_never_acknowledged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
