/* store: picks the backend from the database URL (SPEC §1 --db). */
#include "store/store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int store_sqlite_open(struct store **out, const char *path, char *err, size_t errlen);
int store_fault_wrap(struct store *st, const char *spec, char *err, size_t errlen);

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
		if (store_sqlite_open(out, path, err, errlen) < 0)
			return -1;
		if (store_fault_wrap(*out, getenv("DP_FAULT_INJECT"), err, errlen) < 0) {
			(*out)->ops->close(*out);
			return -1;
		}
		return 0;
	}
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		snprintf(err, errlen, "the PostgreSQL backend is not available in this build yet;"
				      " use --db sqlite:PATH");
		return -1;
	}
	snprintf(err, errlen, "unsupported --db URL '%s' (expected sqlite:PATH)", url);
	return -1;
}
