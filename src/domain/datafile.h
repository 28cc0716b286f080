/* datafile: the pure rules for reading tenants' data files (SPEC §5 revised,
 * issue 8): each tenant reads only <data-root>/<tenantId>/, only regular
 * files, never the server's own database, within a byte budget; and who may
 * point a data set at a file or make the server read one. No I/O here: the
 * caller supplies what stat(2) said. */
#ifndef DP_DATAFILE_H
#define DP_DATAFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "domain/permissions.h"

/* A tenant id usable as one directory name below the data root: 1-64 bytes
 * of [A-Za-z0-9_-] (GUIDs are), so never "", ".", "..", or a path. */
bool datafile_tenant_dir_ok(const char *tenant_id);

/* Is resolved absolute path `path` equal to or below resolved directory
 * `dir`? Both must be canonical (realpath output); "/a/bc" is not below
 * "/a/b". The root "/" contains everything. */
bool datafile_within(const char *dir, const char *path);

/* Identity of a file: st_dev and st_ino. */
struct datafile_id {
	uint64_t dev, ino;
};

enum datafile_verdict {
	DATAFILE_OK = 0,
	DATAFILE_NOT_REGULAR, /* FIFO, socket, device, directory: never read */
	DATAFILE_DATABASE,    /* the server's database or one of its -wal/-shm/-journal */
	DATAFILE_TOO_BIG,     /* larger than the byte budget */
};

/* What stat(2) said about the file a location names: is it a regular file,
 * its identity and size; `db` lists the identities of the database files
 * that exist (ndb of them); max_bytes 0 = no byte budget. */
enum datafile_verdict datafile_check(bool regular, struct datafile_id id, uint64_t size,
				     const struct datafile_id *db, size_t ndb, uint64_t max_bytes);

/* May the caller make the server read a data set's file: set or change its
 * operational.location, or start a quality computation of it? `edit` is the
 * caller's verdict for changing the data set (space editing role, or owner
 * of a data set without a space). TenantAdmin: always. Otherwise the user
 * role DataProductCreator AND edit rights (SPEC §4's "compute quality" row
 * applied to the data set); a plain consumer never. Returns PERM_ALLOW or
 * PERM_FORBIDDEN (the data set itself is visible tenant-wide). */
enum perm_verdict perm_dataset_file(unsigned user_roles, enum perm_verdict edit);

#endif
