/* Unit tests of the storage fault injector (src/store/fault.c) against the
 * operation list (src/store/store_ops.h): every operation that returns a
 * store_rc can be made to fail by name, and only that one; a name outside
 * the list is refused. Runs without a database: the ops table under test
 * is all NULL, so any member the injector set is its failing replacement. */
#include "support.h"

#include "store/store.h"
#include "store/store_ops.h"

static const struct store_ops none; /* every member NULL */

/* How many members of ops differ from none. */
static int members_set(const struct store_ops *ops)
{
	int n = 0;
#define X(ret, name, params) n += ops->name != none.name;
	STORE_OPS(X)
#undef X
	return n;
}

static void every_listed_operation_is_injectable(void **state)
{
	(void)state;
	int count = 0;
	char err[256];
#define X(ret, name, params)                                                              \
	do {                                                                              \
		struct store st = {.ops = &none};                                         \
		err[0] = '\0';                                                            \
		assert_int_equal(store_fault_wrap(&st, #name, err, sizeof err), 0);      \
		assert_string_equal(err, "");                                             \
		assert_non_null(st.ops->name);                                            \
		/* product_get takes the permission read with it (store_ops.h) */         \
		assert_int_equal(members_set(st.ops), strcmp(#name, "product_get") ? 1 : 2); \
		count++;                                                                  \
	} while (0);
	STORE_OPS_RC(X)
#undef X
	/* every member but close, rollback and in_transaction (8 before the list) */
	assert_int_equal(count, (int)(sizeof(struct store_ops) / sizeof none.begin) - 3);
}

static void replacements_fail_hard(void **state)
{
	(void)state;
	char err[256];
	struct store st = {.ops = &none};
	assert_int_equal(store_fault_wrap(&st, "space_insert,dataset_list,session_touch,commit",
					  err, sizeof err), 0);
	assert_int_equal(members_set(st.ops), 4);
	assert_int_equal(st.ops->space_insert(&st, "t", NULL), STORE_HARD);
	long total = -1;
	json_t *out = NULL;
	assert_int_equal(st.ops->dataset_list(&st, &out, &total, "t", NULL, 0, 10), STORE_HARD);
	assert_null(out);
	assert_int_equal(total, -1);
	assert_int_equal(st.ops->session_touch(&st, "t", "h", 1), STORE_HARD);
	assert_int_equal(st.ops->commit(&st), STORE_HARD);
}

static void unknown_names_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"nonsense", "product_gets", "PRODUCT_GET", "",
		"commit,nonsense", /* one bad entry refuses the whole list */
		"close", "rollback", "in_transaction", /* they report no failure */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char err[256] = "";
		struct store st = {.ops = &none};
		int rc = store_fault_wrap(&st, bad[i], err, sizeof err);
		if (!*bad[i]) { /* unset or empty: no injection at all */
			assert_int_equal(rc, 0);
			assert_ptr_equal(st.ops, &none);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, "unknown store call"));
		assert_ptr_equal(st.ops, &none);
	}
}

static void disk_entries_leave_the_operations_alone(void **state)
{
	(void)state;
	char err[256] = "";
	struct store st = {.ops = &none};
	/* wrap skips disk: (store_fault_vfs installs it before open) */
	assert_int_equal(store_fault_wrap(&st, "disk:/nonexistent/flag", err, sizeof err), 0);
	assert_ptr_equal(st.ops, &none);
	assert_int_equal(store_fault_wrap(&st, "disk:/nonexistent/flag,trust_put", err, sizeof err), 0);
	assert_int_equal(members_set(st.ops), 1);
	assert_non_null(st.ops->trust_put);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_listed_operation_is_injectable),
		cmocka_unit_test(replacements_fail_hard),
		cmocka_unit_test(unknown_names_are_refused),
		cmocka_unit_test(disk_entries_leave_the_operations_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
