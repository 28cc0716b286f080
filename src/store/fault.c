/* fault: storage fault injection for tests (in the spirit of SQLite's
 * DO_OS_MALLOC_TEST). DP_FAULT_INJECT names store calls that must fail with
 * a hard error, comma separated, e.g. "changelog_append" or "commit,begin":
 * any operation of STORE_OPS_RC (store_ops.h), whose list generates the
 * failing replacements here, so a new operation is injectable without code
 * in this file.
 * Unset (production) it costs nothing: the backend's own table is used.
 *
 * One entry, "disk:PATH", injects real storage conditions instead: a SQLite
 * VFS shim under the default one fails every write and truncate of the
 * database and its WAL/journal while the file PATH exists, with the error
 * its first word names: "full" (SQLITE_FULL, the default), "readonly"
 * (SQLITE_READONLY) or "ioerr" (SQLITE_IOERR_WRITE). SQLite then behaves as
 * on a full disk or a read-only file system -- running as root included,
 * where chmod would not stop a write. Removing PATH ends the condition. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"
#include "store/store_ops.h"
#include "util/log.h"

static struct store_ops faulty;

/* fail_<op>: the operation failing hard before it touches anything (a
 * failed begin opens no transaction; a failed commit leaves it to the
 * caller's rollback, as a real one would). The parameters are there only
 * to give the replacement the operation's type. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define X(ret, name, params) \
	static ret fail_##name params { return STORE_HARD; }
STORE_OPS_RC(X)
#undef X
#pragma GCC diagnostic pop

/* inject_<op>: puts fail_<op> into a table of operations. */
#define X(ret, name, params) \
	static void inject_##name(struct store_ops *ops) { ops->name = fail_##name; }
STORE_OPS_RC(X)
#undef X

static const struct injectable {
	const char *name;
	void (*inject)(struct store_ops *ops);
} injectable[] = {
#define X(ret, name, params) {#name, inject_##name},
	STORE_OPS_RC(X)
#undef X
};

/* Injects the operation called name into ops; false for an unknown name. */
static bool inject(struct store_ops *ops, const char *name)
{
	for (size_t i = 0; i < sizeof injectable / sizeof *injectable; i++) {
		if (strcmp(injectable[i].name, name) != 0)
			continue;
		injectable[i].inject(ops);
		/* the permission read of a product request is its get, too */
		if (!strcmp(name, "product_get"))
			inject_product_get_access(ops);
		return true;
	}
	return false;
}

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static char flag_path[1024];

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real; /* the real VFS's file, allocated right after this */
	bool target;        /* the database, its WAL or rollback journal */
};

#define REAL(f) (((struct shim_file *)(f))->real)

/* The error to inject now: 0 while the flag file is absent. */
static int injected(const sqlite3_file *f)
{
	if (!((const struct shim_file *)f)->target)
		return SQLITE_OK;
	FILE *fp = fopen(flag_path, "r");
	if (!fp)
		return SQLITE_OK;
	char word[32] = "";
	if (!fgets(word, sizeof word, fp))
		word[0] = '\0';
	fclose(fp);
	if (!strncmp(word, "readonly", 8))
		return SQLITE_READONLY;
	if (!strncmp(word, "ioerr", 5))
		return SQLITE_IOERR_WRITE;
	return SQLITE_FULL;
}

static int x_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int x_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int x_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	int rc = injected(f);
	return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int x_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = injected(f);
	return rc ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int x_sync(sqlite3_file *f, int flags) { return REAL(f)->pMethods->xSync(REAL(f), flags); }
static int x_size(sqlite3_file *f, sqlite3_int64 *out)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), out);
}
static int x_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int x_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int x_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int x_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int x_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int x_devchar(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int x_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, out);
}
static int x_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void x_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int x_shm_unmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int x_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, out);
}
static int x_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods shim_io = {
	3, x_close, x_read, x_write, x_truncate, x_sync, x_size, x_lock, x_unlock, x_reserved,
	x_fcntl, x_sector, x_devchar, x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap,
	x_fetch, x_unfetch,
};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	(void)vfs;
	struct shim_file *sf = (struct shim_file *)f;
	sf->real = (sqlite3_file *)(sf + 1);
	sf->target = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) != 0;
	int rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out);
	/* SQLite closes a file whose pMethods is set, even after a failed open */
	sf->base.pMethods = sf->real->pMethods ? &shim_io : NULL;
	return rc;
}

int store_fault_vfs(const char *spec, char *err, size_t errlen)
{
	const char *d = spec ? strstr(spec, "disk:") : NULL;
	if (!d)
		return 0;
	d += 5;
	size_t n = strcspn(d, ",");
	if (n == 0 || n >= sizeof flag_path) {
		snprintf(err, errlen, "DP_FAULT_INJECT: disk: needs a flag file path");
		return -1;
	}
	memcpy(flag_path, d, n);
	flag_path[n] = '\0';
	if (!(real_vfs = sqlite3_vfs_find(NULL)) || real_vfs->iVersion < 1) {
		snprintf(err, errlen, "DP_FAULT_INJECT: no default SQLite VFS");
		return -1;
	}
	shim_vfs = *real_vfs;
	shim_vfs.zName = "dp-fault";
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile;
	shim_vfs.xOpen = shim_open;
	shim_vfs.pNext = NULL;
	if (sqlite3_vfs_register(&shim_vfs, 1) != SQLITE_OK) {
		snprintf(err, errlen, "DP_FAULT_INJECT: cannot register the fault VFS");
		return -1;
	}
	log_event(LOG_WARN, "storage fault injection active",
		  LOG_STR("disk", "writes fail while the flag file exists"));
	return 0;
}

int store_fault_wrap(struct store *st, const char *spec, char *err, size_t errlen)
{
	if (!spec || !*spec)
		return 0;
	faulty = *st->ops;
	char buf[1024];
	if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf) {
		snprintf(err, errlen, "DP_FAULT_INJECT: longer than %zu bytes", sizeof buf - 1);
		return -1;
	}
	for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		if (!strncmp(name, "disk:", 5))
			continue; /* store_fault_vfs */
		if (!inject(&faulty, name)) {
			snprintf(err, errlen, "DP_FAULT_INJECT: unknown store call '%s'", name);
			return -1;
		}
	}
	if (!memcmp(&faulty, st->ops, sizeof faulty))
		return 0; /* only disk: entries */
	log_event(LOG_WARN, "storage fault injection active", LOG_STR("calls", spec));
	st->ops = &faulty;
	return 0;
}
