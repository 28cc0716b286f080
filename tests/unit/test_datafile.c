/* test_datafile: the rules for reading tenants' data files (issue 8):
 * src/domain/datafile.c (pure: tenant directory names, containment, the
 * regular-file / database / byte-budget verdict, who may read files),
 * src/quality/paths.c quality_open() on a real temporary directory tree
 * (another tenant's file, escaping symlinks, a FIFO, hard links to a
 * database and its -wal, the byte budget) and the byte and time budgets of
 * profile_csv_budget(). */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/datafile.h"
#include "http/request.h"
#include "quality/paths.h"
#include "quality/profile.h"
#include "util/clock.h"

/* ---- pure rules ------------------------------------------------------------- */

static void tenant_dir_names(void **state)
{
	(void)state;
	assert_true(datafile_tenant_dir_ok("5f0c8e52-2b1a-4c3d-9e4f-0a1b2c3d4e5f"));
	assert_true(datafile_tenant_dir_ok("default_1"));
	static const char *const bad[] = {"", ".", "..", "a/b", "../x", "a b", "a\\b", "é",
					   "0123456789012345678901234567890123456789012345678901234567890123x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(datafile_tenant_dir_ok(bad[i]));
	assert_false(datafile_tenant_dir_ok(NULL));
}

static void within(void **state)
{
	(void)state;
	assert_true(datafile_within("/srv/data", "/srv/data"));
	assert_true(datafile_within("/srv/data", "/srv/data/t/x.csv"));
	assert_true(datafile_within("/srv/data/", "/srv/data/x"));
	assert_false(datafile_within("/srv/data", "/srv/database.db"));
	assert_false(datafile_within("/srv/data", "/srv/dat"));
	assert_false(datafile_within("/srv/data", "/srv"));
	assert_true(datafile_within("/", "/anything"));
	assert_false(datafile_within("relative", "/srv/data"));
	assert_false(datafile_within(NULL, "/x"));
}

static void verdicts(void **state)
{
	(void)state;
	struct datafile_id db[3] = {{1, 10}, {1, 11}, {2, 10}};
	struct datafile_id plain = {1, 99};
	assert_int_equal(datafile_check(true, plain, 100, db, 3, 0), DATAFILE_OK);
	assert_int_equal(datafile_check(true, plain, 100, db, 3, 100), DATAFILE_OK);
	assert_int_equal(datafile_check(true, plain, 101, db, 3, 100), DATAFILE_TOO_BIG);
	assert_int_equal(datafile_check(false, plain, 0, db, 3, 0), DATAFILE_NOT_REGULAR);
	/* the database by identity, however it is named (a hard link is regular) */
	assert_int_equal(datafile_check(true, (struct datafile_id){1, 11}, 5, db, 3, 0),
			 DATAFILE_DATABASE);
	assert_int_equal(datafile_check(true, (struct datafile_id){2, 10}, 5, db, 3, 1),
			 DATAFILE_DATABASE);
	/* same inode number on another device is another file */
	assert_int_equal(datafile_check(true, (struct datafile_id){3, 10}, 5, db, 3, 0), DATAFILE_OK);
	assert_int_equal(datafile_check(true, plain, 5, NULL, 0, 0), DATAFILE_OK);
}

static void who_may_read_files(void **state)
{
	(void)state;
	const enum perm_verdict edits[] = {PERM_ALLOW, PERM_FORBIDDEN, PERM_HIDDEN};
	for (unsigned roles = 0; roles < 8; roles++)
		for (size_t e = 0; e < 3; e++) {
			bool expect = (roles & ROLE_TENANT_ADMIN) ||
				      ((roles & ROLE_DP_CREATOR) && edits[e] == PERM_ALLOW);
			assert_int_equal(perm_dataset_file(roles, edits[e]),
					 expect ? PERM_ALLOW : PERM_FORBIDDEN);
		}
	/* a consumer never, even with edit rights on its own data set */
	assert_int_equal(perm_dataset_file(ROLE_DP_CONSUMER, PERM_ALLOW), PERM_FORBIDDEN);
}

/* ---- quality_open on a real tree ------------------------------------------------- */

static char root[64];

static void path_of(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", root, rel);
}

static void write_file(const char *rel, const char *content)
{
	char p[256];
	path_of(p, sizeof p, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int tree_setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/dp-datafile-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	char p[256];
	static const char *const dirs[] = {"data", "data/ta", "data/tb", "data/tb/sub"};
	for (size_t i = 0; i < 4; i++) {
		path_of(p, sizeof p, dirs[i]);
		if (mkdir(p, 0755) < 0)
			return -1;
	}
	write_file("data/ta/secret.csv", "id,secret\n1,a-password\n");
	write_file("data/tb/ok.csv", "id,name\n1,x\n");
	write_file("db.sqlite", "SQLite format 3");
	write_file("db.sqlite-wal", "wal");
	write_file("data/tb/big.csv", "id,name\n1,abcdefghijklmnopqrstuvwxyz\n2,abcdefghijklmnopqrstuvwxyz\n");
	char t[256];
	path_of(p, sizeof p, "data/tb/fifo.csv");
	if (mkfifo(p, 0644) < 0)
		return -1;
	path_of(t, sizeof t, "data/ta/secret.csv");
	path_of(p, sizeof p, "data/tb/abs.csv");
	if (symlink(t, p) < 0)
		return -1;
	path_of(p, sizeof p, "data/tb/rel.csv");
	if (symlink("../ta/secret.csv", p) < 0)
		return -1;
	path_of(p, sizeof p, "data/tb/dangling.csv");
	if (symlink("../ta/none.csv", p) < 0)
		return -1;
	path_of(p, sizeof p, "data/tb/sub/inside.csv");
	if (symlink("../ok.csv", p) < 0)
		return -1;
	path_of(t, sizeof t, "db.sqlite");
	path_of(p, sizeof p, "data/tb/db.csv");
	if (link(t, p) < 0)
		return -1;
	path_of(t, sizeof t, "db.sqlite-wal");
	path_of(p, sizeof p, "data/tb/wal.csv");
	if (link(t, p) < 0)
		return -1;
	return 0;
}

static int tree_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* quality_open for tenant "tb" (or tenant); returns the DQ code, "" when opened. */
static const char *open_as(const char *tenant, const char *loc, uint64_t max_bytes)
{
	static char code[8];
	char reason[256], data[128], db[128];
	path_of(data, sizeof data, "data");
	path_of(db, sizeof db, "db.sqlite");
	struct quality_open_req q = {data, tenant, loc, db, max_bytes};
	int fd;
	uint64_t size;
	code[0] = '\0';
	if (quality_open(&fd, &size, code, reason, sizeof reason, &q) == 0) {
		assert_true(fd >= 0);
		close(fd);
		return "";
	}
	assert_int_equal(fd, -1);
	assert_true(reason[0] != '\0');
	return code;
}

static void opens_only_the_tenants_regular_files(void **state)
{
	(void)state;
	assert_string_equal(open_as("tb", "ok.csv", 0), "");
	assert_string_equal(open_as("ta", "secret.csv", 0), "");
	/* another tenant's file is simply not there */
	assert_string_equal(open_as("tb", "secret.csv", 0), "DQ-100");
	assert_string_equal(open_as("tb", "missing.csv", 0), "DQ-100");
	assert_string_equal(open_as("tc", "ok.csv", 0), "DQ-100"); /* no directory yet */
	/* leaving the directory: same code whether the target exists or not */
	assert_string_equal(open_as("tb", "abs.csv", 0), "DQ-130");
	assert_string_equal(open_as("tb", "rel.csv", 0), "DQ-130");
	assert_string_equal(open_as("tb", "dangling.csv", 0), "DQ-130");
	assert_string_equal(open_as("tb", "../ta/secret.csv", 0), "DQ-130");
	assert_string_equal(open_as("tb", "/etc/passwd", 0), "DQ-130");
	/* a symlink that stays inside is fine */
	assert_string_equal(open_as("tb", "sub/inside.csv", 0), "");
	/* never a FIFO (would block), a directory, the database or its -wal */
	assert_string_equal(open_as("tb", "fifo.csv", 0), "DQ-160");
	assert_string_equal(open_as("tb", "sub", 0), "DQ-160");
	assert_string_equal(open_as("tb", "db.csv", 0), "DQ-160");
	assert_string_equal(open_as("tb", "wal.csv", 0), "DQ-160");
	/* the byte budget, by size before reading */
	assert_string_equal(open_as("tb", "big.csv", 20), "DQ-170");
	assert_string_equal(open_as("tb", "big.csv", 1 << 20), "");
	/* no location, and a tenant id that is not a directory name */
	assert_string_equal(open_as("tb", NULL, 0), "DQ-140");
	assert_string_equal(open_as("..", "ok.csv", 0), "DQ-500");
}

/* Without openat2 (old kernels, seccomp): realpath + prefix + O_NOFOLLOW.
 * The same verdicts, except that a dangling symlink out of the directory is
 * "no file" (DQ-100): realpath cannot resolve it (docs/quality.md). */
static void the_realpath_fallback_confines_too(void **state)
{
	(void)state;
	quality_paths_use_openat2(0);
	assert_string_equal(open_as("tb", "ok.csv", 0), "");
	assert_string_equal(open_as("tb", "secret.csv", 0), "DQ-100");
	assert_string_equal(open_as("tb", "abs.csv", 0), "DQ-130");
	assert_string_equal(open_as("tb", "rel.csv", 0), "DQ-130");
	assert_string_equal(open_as("tb", "dangling.csv", 0), "DQ-100");
	assert_string_equal(open_as("tb", "sub/inside.csv", 0), "");
	assert_string_equal(open_as("tb", "fifo.csv", 0), "DQ-160");
	assert_string_equal(open_as("tb", "db.csv", 0), "DQ-160");
	assert_string_equal(open_as("tb", "wal.csv", 0), "DQ-160");
	assert_string_equal(open_as("tb", "big.csv", 20), "DQ-170");
	quality_paths_use_openat2(1);
}

static void stat_is_confined_too(void **state)
{
	(void)state;
	char data[128];
	struct stat sb;
	path_of(data, sizeof data, "data");
	assert_int_equal(quality_stat(&sb, data, "tb", "ok.csv"), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(quality_stat(&sb, data, "tb", "secret.csv"), -1);
	assert_int_equal(quality_stat(&sb, data, "tb", "abs.csv"), -1);
	assert_int_equal(quality_stat(&sb, data, "tb", "fifo.csv"), 0); /* O_PATH: no block */
	assert_false(S_ISREG(sb.st_mode));
}

/* ---- budgets of one pass ---------------------------------------------------------- */

static int tmp_fd(const char *data)
{
	char path[] = "/tmp/dp-budget-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static const char *run_budget(const char *csv, uint64_t max_bytes, int64_t deadline)
{
	static char code[8];
	char reason[256];
	json_t *out = NULL;
	struct profile_stats ps;
	struct profile_budget b = {max_bytes, deadline};
	int fd = tmp_fd(csv);
	int rc = profile_csv_budget(&out, &ps, fd, NULL, &b, code, reason, sizeof reason);
	close(fd);
	json_decref(out);
	return rc == 0 ? "" : code;
}

static void byte_budget(void **state)
{
	(void)state;
	const char *csv = "a,b\n1,2\n3,4\n"; /* 12 bytes */
	assert_string_equal(run_budget(csv, 0, 0), "");
	assert_string_equal(run_budget(csv, 12, 0), "");
	assert_string_equal(run_budget(csv, 11, 0), "DQ-170");
	assert_string_equal(run_budget(csv, 1, 0), "DQ-170");
}

static void time_budget(void **state)
{
	(void)state;
	const char *csv = "a,b\n1,2\n";
	assert_string_equal(run_budget(csv, 0, clock_mono_ns() + 60 * 1000000000LL), "");
	assert_string_equal(run_budget(csv, 0, 1), "DQ-171"); /* long past */
}

/* A pipe that never delivers EOF: the byte budget ends the pass. */
static void budget_ends_an_endless_stream(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	char buf[4096];
	memset(buf, 'x', sizeof buf);
	buf[0] = 'a';
	buf[1] = '\n';
	/* 64 KiB in the pipe, writer kept open: without a budget read() would block */
	for (int i = 0; i < 16; i++)
		assert_int_equal(write(p[1], buf, sizeof buf), (ssize_t)sizeof buf);
	char code[8], reason[256];
	json_t *out = NULL;
	struct profile_budget b = {32 * 1024, 0};
	int rc = profile_csv_budget(&out, NULL, p[0], NULL, &b, code, reason, sizeof reason);
	assert_int_equal(rc, -1);
	/* the one long record hits the 1 MiB record cap only after the budget */
	assert_string_equal(code, "DQ-170");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tenant_dir_names),
		cmocka_unit_test(within),
		cmocka_unit_test(verdicts),
		cmocka_unit_test(who_may_read_files),
		cmocka_unit_test_setup_teardown(opens_only_the_tenants_regular_files, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(the_realpath_fallback_confines_too, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(stat_is_confined_too, tree_setup, tree_teardown),
		cmocka_unit_test(byte_budget),
		cmocka_unit_test(time_budget),
		cmocka_unit_test(budget_ends_an_endless_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
