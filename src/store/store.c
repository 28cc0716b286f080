/* store: picks the backend from the database URL (SPEC §1 --db). */
#include "store/store.h"
#include "store/store_ops.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/clock.h"
#include "util/utf8.h"
#include "util/log.h"

/* Storage health, process wide (one store per process). Written by any
 * thread whose storage call fails or whose write commits; read by /ready. */
static pthread_mutex_t health_mu = PTHREAD_MUTEX_INITIALIZER;
static enum store_fault health_fault;
static char health_reason[320];
static _Thread_local enum store_fault thread_fault;
static _Thread_local bool thread_commit_unknown;
static _Thread_local long thread_tx_started;

long store_tx_started(void) { return thread_tx_started; }
void store_tx_note(void) { thread_tx_started++; }

static const char *const fault_names[STORE_FAULT__COUNT] = {
	[STORE_FAULT_NONE] = "none",	     [STORE_FAULT_FULL] = "full",
	[STORE_FAULT_READONLY] = "readonly", [STORE_FAULT_IOERR] = "ioerr",
	[STORE_FAULT_CANTOPEN] = "cantopen", [STORE_FAULT_CORRUPT] = "corrupt",
};

/* store.h "Identity generation": the counter, and this thread's mark */
static uint64_t identity_gen = 1;
static _Thread_local bool identity_marked;

uint64_t store_identity_generation(void)
{
	return __atomic_load_n(&identity_gen, __ATOMIC_ACQUIRE);
}

static void identity_bump(void) { __atomic_add_fetch(&identity_gen, 1, __ATOMIC_ACQ_REL); }

int store_identity_wrote(struct store *st, int rc)
{
	if (st->ops->in_transaction(st))
		identity_marked = true;
	else
		identity_bump();
	return rc;
}

void store_identity_end(bool commit_tried)
{
	if (identity_marked && commit_tried)
		identity_bump(); /* after COMMIT: a lookup from now on sees the write */
	identity_marked = false;
}

const char *store_fault_name(enum store_fault f)
{
	return (unsigned)f < STORE_FAULT__COUNT ? fault_names[f] : "none";
}

void store_fault_note(enum store_fault f, const char *code_name, int code, const char *message)
{
	char ts[ISO_TS_LEN + 1], msg[256];
	clock_now_iso(ts);
	utf8_sanitize(msg, sizeof msg, message ? message : "");
	thread_fault = f;
	thread_commit_unknown = false;
	pthread_mutex_lock(&health_mu);
	bool changed = health_fault != f;
	if (changed) {
		__atomic_store_n(&health_fault, f, __ATOMIC_RELEASE);
		snprintf(health_reason, sizeof health_reason, "%s (%s) since %s", msg, code_name, ts);
	}
	pthread_mutex_unlock(&health_mu);
	/* message comes from the backend (e.g. "database or disk is full"):
	 * never SQL parameters or keys; JSON-escaped all the same */
	log_event(LOG_ERROR, "storage unavailable", LOG_STR("kind", store_fault_name(f)),
		  LOG_STR("code", code_name), LOG_INT("extendedCode", code), LOG_STR("error", msg),
		  LOG_BOOL("newCondition", changed));
}

void store_fault_clear(void)
{
	if (__atomic_load_n(&health_fault, __ATOMIC_ACQUIRE) == STORE_FAULT_NONE)
		return; /* the common case, on every committed write: no lock */
	pthread_mutex_lock(&health_mu);
	enum store_fault was = health_fault;
	__atomic_store_n(&health_fault, STORE_FAULT_NONE, __ATOMIC_RELEASE);
	health_reason[0] = '\0';
	pthread_mutex_unlock(&health_mu);
	if (was != STORE_FAULT_NONE)
		log_event(LOG_INFO, "storage writable again", LOG_STR("cleared", store_fault_name(was)));
}

enum store_fault store_fault_last(void) { return thread_fault; }

void store_fault_note_commit_unknown(const char *message)
{
	store_fault_note(STORE_FAULT_CANTOPEN, "COMMIT_OUTCOME_UNKNOWN", 0, message);
	thread_commit_unknown = true;
}

bool store_fault_commit_unknown(void) { return thread_commit_unknown; }

void store_fault_adopt(enum store_fault f, bool commit_unknown)
{
	thread_fault = f;
	thread_commit_unknown = commit_unknown;
}

enum store_fault store_health(char *reason, size_t cap)
{
	pthread_mutex_lock(&health_mu);
	enum store_fault f = health_fault;
	if (cap)
		snprintf(reason, cap, "%s", health_reason);
	pthread_mutex_unlock(&health_mu);
	return f;
}

int store_sqlite_open(struct store **out, const char *path, char *err, size_t errlen);
int store_pg_open(struct store **out, const char *url, char *err, size_t errlen);

/* store_ops.h's list and store.h's struct agree: every listed operation is
 * a member with the listed type, and the list has exactly as many entries
 * as the struct has members (a duplicate would not build either). */
#define X(ret, name, params)                                                        \
	_Static_assert(_Generic(((struct store_ops *)0)->name, ret(*) params: 1, default: 0), \
		       "store_ops.h: " #name " is not store_ops." #name "'s type");
STORE_OPS(X)
#undef X
#define X(ret, name, params) ret(*name) params;
struct store_ops_listed {
	STORE_OPS(X)
};
#undef X
_Static_assert(sizeof(struct store_ops_listed) == sizeof(struct store_ops),
	       "store_ops.h does not list every member of struct store_ops");

/* Creates the directories above path (mkdir -p of dirname). */
static int make_parents(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* A new database file is created 0600 (SQLite would make it 0644 less the
 * umask); SQLite gives its -wal and -shm files the database file's mode. An
 * existing file keeps its mode; a group/other-readable one is warned about. */
static int create_private(const char *path, char *err, size_t errlen)
{
	if (!strcmp(path, ":memory:"))
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (stat(path, &sb) == 0 && (sb.st_mode & 077)) {
		char mode[8];
		snprintf(mode, sizeof mode, "%04o", (unsigned)(sb.st_mode & 07777));
		log_event(LOG_WARN, "database file is readable by group or others; chmod 600 it",
			  LOG_STR("mode", mode));
	}
	return 0;
}

int store_open(struct store **out, const char *url, char *err, size_t errlen)
{
	if (strncmp(url, "sqlite:", 7) == 0) {
		const char *path = url + 7;
		if (!*path) {
			snprintf(err, errlen, "empty SQLite path in --db %s", url);
			return -1;
		}
		if (make_parents(path) < 0) {
			snprintf(err, errlen, "cannot create the directory for %s: %s", path,
				 strerror(errno));
			return -1;
		}
		if (create_private(path, err, errlen) < 0 ||
		    store_fault_vfs(getenv("DP_FAULT_INJECT"), err, errlen) < 0 ||
		    store_sqlite_open(out, path, err, errlen) < 0)
			return -1;
		if (store_fault_wrap(*out, getenv("DP_FAULT_INJECT"), err, errlen) < 0) {
			(*out)->ops->close(*out);
			return -1;
		}
		return 0;
	}
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		/* libpq reads the URL (postgresql://user@host:port/db?params) */
		if (store_pg_open(out, url, err, errlen) < 0)
			return -1;
		if (store_fault_wrap(*out, getenv("DP_FAULT_INJECT"), err, errlen) < 0) {
			(*out)->ops->close(*out);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unsupported --db URL '%s' (expected sqlite:PATH or postgresql://...)", url);
	return -1;
}

bool store_savepoint_sql(char *buf, size_t len, enum store_savepoint what, int depth)
{
	if (depth < 0)
		return false;
	switch (what) {
	case STORE_SP_BEGIN:
		snprintf(buf, len, "SAVEPOINT sp%d", depth);
		return true;
	case STORE_SP_RELEASE:
		snprintf(buf, len, "RELEASE SAVEPOINT sp%d", depth);
		return true;
	case STORE_SP_ROLLBACK:
		snprintf(buf, len, "ROLLBACK TO SAVEPOINT sp%d; RELEASE SAVEPOINT sp%d", depth, depth);
		return true;
	}
	return false;
}
