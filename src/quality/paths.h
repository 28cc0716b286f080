/* paths: where a data set's CSV lives and how it is opened (SPEC §5,
 * revised in issue 8). operational.location is a path relative to its
 * tenant's directory <data-root>/<tenantId>/; resolution may not leave that
 * directory (no "..", no absolute or escaping symlink), only regular files
 * are opened for reading, never the server's own database or its
 * -wal/-shm/-journal, and never a FIFO or device (which could block or have
 * side effects on open). */
#ifndef DP_PATHS_H
#define DP_PATHS_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define PATH_MAX_DP 4096

/* The lexical rule used at write time (no I/O): relative, no "..", no "\\",
 * no NUL, at most 1024 bytes. */
int quality_location_ok(const char *location);

struct quality_open_req {
	const char *data_root; /* --data-root */
	const char *tenant_id; /* the data set's tenant: its directory below the root */
	const char *location;  /* operational.location, may be NULL */
	const char *db_path;   /* SQLite database file never to open (NULL: none) */
	uint64_t max_bytes;    /* byte budget, 0 = none: a larger file fails DQ-170 */
};

/* Opens the data set's file for reading. On success returns 0, *fd is a
 * read-only descriptor on a regular file (the caller closes it) and *size
 * its size. Otherwise returns -1 with a DQ code (8 bytes) and a reason:
 * DQ-140 no location; DQ-130 the location or a symlink in it leaves the
 * tenant's directory; DQ-100 nothing at the location (or no tenant
 * directory); DQ-110 cannot be opened; DQ-160 not a regular file, or the
 * database; DQ-170 over the byte budget; DQ-500 the tenant id is not a
 * usable directory name. */
int quality_open(int *fd, uint64_t *size, char *code, char *reason, size_t reason_len,
		 const struct quality_open_req *req);

/* stat(2) of the data set's file under the same confinement, without
 * opening it for reading (an O_PATH descriptor): 0 and *sb, or -1. */
int quality_stat(struct stat *sb, const char *data_root, const char *tenant_id,
		 const char *location);

/* Tests: 0 forces the realpath(3) fallback used where openat2(2) is missing. */
void quality_paths_use_openat2(int on);

/* The database files that exist now (db_path and db_path-wal, -shm,
 * -journal), as device+inode pairs; returns how many (at most 4). */
struct datafile_id;
size_t quality_db_ids(struct datafile_id *out, const char *db_path);

#endif
