/* roles: the tenant-level user roles of SPEC §4 with stable ids, the
 * authenticated caller (struct principal) that carries them, and the
 * AssignedRoles array of users.d.ts built from a role bit set. They live
 * here, below http/ and store/, because the permission rules, the data file
 * rules and the request all need them (scripts/check-layers.sh). */
#ifndef DP_ROLES_H
#define DP_ROLES_H
#include <jansson.h>
#include "util/ids.h"

enum user_role { ROLE_TENANT_ADMIN = 1, ROLE_DP_CONSUMER = 2, ROLE_DP_CREATOR = 4 };

/* Who is calling: tenant, user, the API key used ("" for none). */
struct principal {
	char tenant_id[GUID_LEN + 1];
	char user_id[GUID_LEN + 1];
	char key_id[GUID_LEN + 1];
	unsigned roles; /* enum user_role bits */
};

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
