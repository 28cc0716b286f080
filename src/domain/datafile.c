/* datafile: pure rules for tenants' data files (see datafile.h). */
#include "domain/datafile.h"
#include <string.h>
#include "domain/roles.h"

bool datafile_tenant_dir_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

bool datafile_within(const char *dir, const char *path)
{
	if (!dir || !path || dir[0] != '/' || path[0] != '/')
		return false;
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/') /* tolerate a trailing slash */
		n--;
	if (n == 1) /* "/" */
		return true;
	return strncmp(dir, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

enum datafile_verdict datafile_check(bool regular, struct datafile_id id, uint64_t size,
				     const struct datafile_id *db, size_t ndb, uint64_t max_bytes)
{
	/* the database first: a hard link to it is a regular file too */
	for (size_t i = 0; i < ndb; i++)
		if (db[i].dev == id.dev && db[i].ino == id.ino)
			return DATAFILE_DATABASE;
	if (!regular)
		return DATAFILE_NOT_REGULAR;
	if (max_bytes && size > max_bytes)
		return DATAFILE_TOO_BIG;
	return DATAFILE_OK;
}

enum perm_verdict perm_dataset_file(unsigned user_roles, enum perm_verdict edit)
{
	if (user_roles & ROLE_TENANT_ADMIN)
		return PERM_ALLOW;
	return (user_roles & ROLE_DP_CREATOR) && edit == PERM_ALLOW ? PERM_ALLOW : PERM_FORBIDDEN;
}
