/* test_tx: the transaction runner (src/store/tx.c) against a fake store
 * whose begin/commit results and whose body results are scripted, the
 * API's answer for each outcome (src/api/common.c, api_answer), SQLite's
 * uniqueness errors as STORE_CONFLICT, and a uniqueness race that slips
 * past users_create's check answering the same 409 as the check. */
#include "support.h"

#include <stdio.h>
#include <unistd.h>

#include "api/api.h"
#include "config.h"
#include "store/store.h"
#include "store/tx.h"

/* --- a fake store: only what the runner calls --- */

#define SCRIPT_MAX 8

struct fake {
	struct store base;
	int begin_rc[SCRIPT_MAX]; /* per begin call; 0 past the end */
	int commit_rc;
	int begins, commits, rollbacks;
	bool open;
};

static struct fake *fake_of(struct store *st) { return (struct fake *)st; }

static int fake_begin(struct store *st, bool write)
{
	(void)write;
	struct fake *f = fake_of(st);
	int rc = f->begins < SCRIPT_MAX ? f->begin_rc[f->begins] : 0;
	f->begins++;
	f->open = rc >= 0;
	return rc;
}

static int fake_commit(struct store *st)
{
	struct fake *f = fake_of(st);
	f->commits++;
	if (f->commit_rc >= 0)
		f->open = false;
	return f->commit_rc;
}

static void fake_rollback(struct store *st)
{
	struct fake *f = fake_of(st);
	f->rollbacks++;
	f->open = false;
}

static bool fake_in_tx(struct store *st) { return fake_of(st)->open; }

static const struct store_ops fake_ops = {
	.begin = fake_begin,
	.commit = fake_commit,
	.rollback = fake_rollback,
	.in_transaction = fake_in_tx,
};

/* A body returning script[i] on its i-th call (the last entry repeats). */
struct body {
	struct fake *f;
	int script[SCRIPT_MAX];
	int n;
	int calls;
	bool saw_closed_tx; /* the body ran without a transaction open: a bug */
};

static int scripted_body(void *cls)
{
	struct body *b = cls;
	if (!b->f->open)
		b->saw_closed_tx = true;
	int i = b->calls < b->n ? b->calls : b->n - 1;
	b->calls++;
	return b->script[i];
}

static int sleeps, slept_ms[SCRIPT_MAX];
static void no_sleep(int ms)
{
	if (sleeps < SCRIPT_MAX)
		slept_ms[sleeps] = ms;
	sleeps++;
}

static int setup_fake(void **state)
{
	struct fake *f = calloc(1, sizeof *f);
	f->base.ops = &fake_ops;
	sleeps = 0;
	store_tx_set_sleep(no_sleep);
	*state = f;
	return 0;
}

static int teardown_fake(void **state)
{
	free(*state);
	store_tx_set_sleep(NULL);
	return 0;
}

static int run_body(struct fake *f, struct body *b, struct store_tx_stats *stats)
{
	b->f = f;
	int rc = store_tx_run(stats, &f->base, true, scripted_body, b);
	assert_false(f->open); /* never returns with a transaction open */
	assert_false(b->saw_closed_tx);
	return rc;
}

/* The reply the API gives for a runner result rc, on a synthetic request. */
static void answer(struct req *r, int rc, const struct api_refusal *no)
{
	*r = (struct req){.method = "POST", .path = "/x"};
	snprintf(r->trace_id, sizeof r->trace_id, "t");
	assert_int_equal(api_answer(r, rc, no), rc == STORE_TX_COMMIT ? 0 : -1);
}

static void assert_reply(struct req *r, unsigned status, const char *code)
{
	assert_int_equal(r->status, status);
	assert_non_null(r->resp_body);
	if (!strstr(r->resp_body, code))
		fail_msg("reply %s lacks %s", r->resp_body, code);
	req_clear(r);
}

static void success_commits_once(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_TX_COMMIT}, .n = 1};
	struct store_tx_stats s;
	assert_int_equal(run_body(f, &b, &s), STORE_TX_COMMIT);
	assert_int_equal(b.calls, 1);
	assert_int_equal(f->commits, 1);
	assert_int_equal(f->rollbacks, 0);
	assert_int_equal(s.attempts, 1);
	assert_int_equal(s.retries, 0);
	assert_int_equal(sleeps, 0);
}

static void read_transaction_ends_with_rollback(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_TX_COMMIT}, .n = 1, .f = f};
	f->commit_rc = STORE_HARD; /* a commit would fail: a read never commits */
	assert_int_equal(store_tx_run(NULL, &f->base, false, scripted_body, &b), STORE_TX_COMMIT);
	assert_false(f->open);
	assert_int_equal(f->commits, 0);
	assert_int_equal(f->rollbacks, 1);
}

static void body_may_end_with_its_last_writes_rc(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_ONE}, .n = 1};
	assert_int_equal(run_body(f, &b, NULL), STORE_TX_COMMIT);
	assert_int_equal(f->commits, 1);
}

static void retry_is_retried_then_commits(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_RETRY, STORE_RETRY, STORE_TX_COMMIT}, .n = 3};
	struct store_tx_stats s;
	assert_int_equal(run_body(f, &b, &s), STORE_TX_COMMIT);
	assert_int_equal(b.calls, 3);
	assert_int_equal(f->begins, 3);
	assert_int_equal(f->rollbacks, 2);
	assert_int_equal(f->commits, 1);
	assert_int_equal(s.retries, 2);
	/* a short pause before each rerun, growing */
	assert_int_equal(sleeps, 2);
	assert_in_range(slept_ms[0], STORE_TX_BACKOFF_MS, 2 * STORE_TX_BACKOFF_MS);
	assert_in_range(slept_ms[1], 2 * STORE_TX_BACKOFF_MS, 4 * STORE_TX_BACKOFF_MS);
}

static void retry_stops_at_the_bound_and_answers_503(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_RETRY}, .n = 1};
	struct store_tx_stats s;
	int rc = run_body(f, &b, &s);
	assert_int_equal(rc, STORE_RETRY);
	assert_int_equal(b.calls, STORE_TX_MAX_ATTEMPTS);
	assert_int_equal(s.attempts, STORE_TX_MAX_ATTEMPTS);
	assert_int_equal(f->commits, 0);
	assert_int_equal(f->rollbacks, STORE_TX_MAX_ATTEMPTS);
	assert_int_equal(sleeps, STORE_TX_MAX_ATTEMPTS - 1);
	struct req r;
	answer(&r, rc, NULL);
	bool retry_after = false;
	for (int i = 0; i < r.nhdrs; i++)
		retry_after |= !strcmp(r.hdrs[i].name, "Retry-After");
	assert_true(retry_after);
	assert_reply(&r, 503, "DP-503");
}

static void busy_begin_is_retried(void **state)
{
	struct fake *f = *state;
	f->begin_rc[0] = STORE_RETRY;
	struct body b = {.script = {STORE_TX_COMMIT}, .n = 1};
	assert_int_equal(run_body(f, &b, NULL), STORE_TX_COMMIT);
	assert_int_equal(f->begins, 2);
	assert_int_equal(b.calls, 1); /* the body never ran without a transaction */
}

static void failed_commit_is_never_retried_and_answers_500(void **state)
{
	struct fake *f = *state;
	/* even a commit that says "retry": its outcome may be unknown */
	f->commit_rc = STORE_RETRY;
	struct body b = {.script = {STORE_TX_COMMIT}, .n = 1};
	int rc = run_body(f, &b, NULL);
	assert_int_equal(rc, STORE_HARD);
	assert_int_equal(b.calls, 1);
	assert_int_equal(f->begins, 1);
	assert_int_equal(f->commits, 1);
	assert_int_equal(sleeps, 0);
	struct req r;
	answer(&r, rc, NULL);
	assert_reply(&r, 500, "DP-500-INTERNAL");
}

static void commit_on_unavailable_storage_keeps_its_503(void **state)
{
	struct fake *f = *state;
	f->commit_rc = STORE_UNAVAILABLE;
	struct body b = {.script = {STORE_TX_COMMIT}, .n = 1};
	assert_int_equal(run_body(f, &b, NULL), STORE_UNAVAILABLE);
	assert_int_equal(b.calls, 1);
}

static void conflict_reruns_once_then_answers_409(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_CONFLICT}, .n = 1};
	int rc = run_body(f, &b, NULL);
	assert_int_equal(rc, STORE_CONFLICT);
	assert_int_equal(b.calls, 2);
	assert_int_equal(f->commits, 0);
	assert_int_equal(f->rollbacks, 2);
	struct req r;
	answer(&r, rc, NULL);
	assert_reply(&r, 409, "DP-409-CONFLICT");
}

static void conflict_rerun_lets_the_body_refuse(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_CONFLICT, STORE_TX_REFUSED}, .n = 2};
	int rc = run_body(f, &b, NULL);
	assert_int_equal(rc, STORE_TX_REFUSED);
	struct api_refusal no;
	api_refuse(&no, ERR_CONFLICT, "a user with email '%s' already exists", "a@b");
	struct req r;
	answer(&r, rc, &no);
	assert_non_null(strstr(r.resp_body, "a user with email 'a@b' already exists"));
	assert_reply(&r, 409, "DP-409-CONFLICT");
}

static void body_error_rolls_back_without_retry(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_HARD}, .n = 1};
	int rc = run_body(f, &b, NULL);
	assert_int_equal(rc, STORE_HARD);
	assert_int_equal(b.calls, 1);
	assert_int_equal(f->commits, 0);
	assert_int_equal(f->rollbacks, 1);
	struct req r;
	answer(&r, rc, NULL);
	assert_reply(&r, 500, "DP-500-INTERNAL");
}

static void refusal_rolls_back(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {STORE_TX_REFUSED}, .n = 1};
	assert_int_equal(run_body(f, &b, NULL), STORE_TX_REFUSED);
	assert_int_equal(f->commits, 0);
	assert_int_equal(f->rollbacks, 1);
	assert_int_equal(b.calls, 1);
}

static void unknown_body_result_is_a_hard_error(void **state)
{
	struct fake *f = *state;
	struct body b = {.script = {42}, .n = 1};
	assert_int_equal(run_body(f, &b, NULL), STORE_HARD);
	assert_int_equal(f->commits, 0);
}

/* --- SQLite: uniqueness errors are STORE_CONFLICT, and users_create turns
 * a race past its check into the check's own 409 --- */

static char db_path[256];
static struct store *real;
static struct store_ops racy_ops;
static const struct store_ops *real_ops; /* the SQLite backend's own table */
static int find_calls;

static const char *tenant = "00000000-0000-4000-8000-000000000001";

static int sqlite_setup(void **state)
{
	(void)state;
	snprintf(db_path, sizeof db_path, "sqlite:/tmp/dp-test-tx-%d.db", (int)getpid());
	char err[256];
	if (store_open(&real, db_path, err, sizeof err) < 0)
		fail_msg("%s", err);
	store_tx_set_sleep(no_sleep);
	assert_true(real->ops->begin(real, true) >= 0);
	assert_int_equal(real->ops->tenant_insert(real, tenant, "t", "2026-01-01T00:00:00Z"),
			 STORE_ONE);
	assert_true(real->ops->commit(real) >= 0);
	return 0;
}

static int sqlite_teardown(void **state)
{
	(void)state;
	real->ops->close(real);
	store_tx_set_sleep(NULL);
	const char *path = db_path + strlen("sqlite:");
	char side[300];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	return 0;
}

static json_t *user_doc(const char *id, const char *email)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "tenantId", tenant, "email", email,
			 "name", email);
}

static void sqlite_unique_violation_is_conflict(void **state)
{
	(void)state;
	json_t *a = user_doc("00000000-0000-4000-8000-00000000000a", "dup@example.com");
	json_t *b = user_doc("00000000-0000-4000-8000-00000000000b", "dup@example.com");
	assert_true(real->ops->begin(real, true) >= 0);
	assert_int_equal(real->ops->user_insert(real, tenant, a, 0), STORE_ONE);
	/* same email in the tenant (UNIQUE), then the same id (PRIMARY KEY) */
	assert_int_equal(real->ops->user_insert(real, tenant, b, 0), STORE_CONFLICT);
	assert_int_equal(real->ops->user_insert(real, tenant, a, 0), STORE_CONFLICT);
	real->ops->rollback(real);
	json_decref(a);
	json_decref(b);
}

/* The first check misses the row (as when the winner commits between a
 * check and an insert on a backend without SQLite's single writer). */
static int racy_find_email(struct store *st, char *out_id, const char *t, const char *email)
{
	if (find_calls++ == 0)
		return STORE_NONE;
	return real_ops->user_find_email(st, out_id, t, email);
}

static void race_past_the_check_answers_the_checks_409(void **state)
{
	(void)state;
	json_t *w = user_doc("00000000-0000-4000-8000-0000000000c1", "race@example.com");
	assert_true(real->ops->begin(real, true) >= 0);
	assert_int_equal(real->ops->user_insert(real, tenant, w, 0), STORE_ONE);
	assert_true(real->ops->commit(real) >= 0);
	json_decref(w);

	real_ops = real->ops;
	racy_ops = *real_ops;
	racy_ops.user_find_email = racy_find_email;
	real->ops = &racy_ops;
	find_calls = 0;
	static struct config cfg;
	struct app app = {.cfg = &cfg, .store = real};
	static const char body[] = "{\"email\":\"race@example.com\",\"subject\":\"s\"}";
	struct req r = {.app = &app, .method = "POST", .path = "/api/v1/users"};
	snprintf(r.trace_id, sizeof r.trace_id, "t");
	snprintf(r.who.tenant_id, sizeof r.who.tenant_id, "%s", tenant);
	snprintf(r.who.user_id, sizeof r.who.user_id, "00000000-0000-4000-8000-0000000000ad");
	r.who.roles = ROLE_TENANT_ADMIN;
	r.body = strdup(body);
	r.body_len = strlen(body);
	users_create(&r);
	real->ops = real_ops;
	if (find_calls != 2)
		fail_msg("find_calls %d, reply %u %s", find_calls, r.status, r.resp_body);
	assert_false(real->ops->in_transaction(real));
	if (!strstr(r.resp_body, "a user with email 'race@example.com' already exists"))
		fail_msg("reply %s", r.resp_body);
	assert_reply(&r, 409, "DP-409-CONFLICT");
}

int main(void)
{
	const struct CMUnitTest runner[] = {
		cmocka_unit_test_setup_teardown(success_commits_once, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(read_transaction_ends_with_rollback, setup_fake,
						teardown_fake),
		cmocka_unit_test_setup_teardown(body_may_end_with_its_last_writes_rc, setup_fake,
						teardown_fake),
		cmocka_unit_test_setup_teardown(retry_is_retried_then_commits, setup_fake,
						teardown_fake),
		cmocka_unit_test_setup_teardown(retry_stops_at_the_bound_and_answers_503, setup_fake,
						teardown_fake),
		cmocka_unit_test_setup_teardown(busy_begin_is_retried, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(failed_commit_is_never_retried_and_answers_500,
						setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(commit_on_unavailable_storage_keeps_its_503,
						setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(conflict_reruns_once_then_answers_409, setup_fake,
						teardown_fake),
		cmocka_unit_test_setup_teardown(conflict_rerun_lets_the_body_refuse, setup_fake,
						teardown_fake),
		cmocka_unit_test_setup_teardown(body_error_rolls_back_without_retry, setup_fake,
						teardown_fake),
		cmocka_unit_test_setup_teardown(refusal_rolls_back, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(unknown_body_result_is_a_hard_error, setup_fake,
						teardown_fake),
	};
	const struct CMUnitTest sqlite[] = {
		cmocka_unit_test(sqlite_unique_violation_is_conflict),
		cmocka_unit_test(race_past_the_check_answers_the_checks_409),
	};
	int failed = cmocka_run_group_tests_name("runner", runner, NULL, NULL);
	failed += cmocka_run_group_tests_name("sqlite", sqlite, sqlite_setup, sqlite_teardown);
	return failed;
}
