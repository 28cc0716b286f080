/* roles: the tenant-level user roles of SPEC §4 with stable ids, and the
 * AssignedRoles array of users.d.ts built from a role bit set. */
#ifndef DP_ROLES_H
#define DP_ROLES_H
#include <jansson.h>
#include "http/request.h"

struct role_info {
	unsigned bit;
	const char *id;
	const char *name;
	const char *level;
};

extern const struct role_info roles_all[];

/* AssignedRoles for a role bit set (new reference). */
json_t *roles_assigned(unsigned bits);

#endif
