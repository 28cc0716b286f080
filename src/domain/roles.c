/* roles: role table. Ids are fixed so clients may assign roles by id or by
 * name (SPEC §4). */
#include "domain/roles.h"

const struct role_info roles_all[] = {
	{ROLE_TENANT_ADMIN, "6f1f5a59-3a0e-4c3b-8b0e-000000000001", "TenantAdmin", "admin"},
	{ROLE_DP_CONSUMER, "6f1f5a59-3a0e-4c3b-8b0e-000000000002", "DataProductConsumer", "user"},
	{ROLE_DP_CREATOR, "6f1f5a59-3a0e-4c3b-8b0e-000000000003", "DataProductCreator", "user"},
	{0, NULL, NULL, NULL},
};

json_t *roles_assigned(unsigned bits)
{
	json_t *arr = json_array();
	for (const struct role_info *r = roles_all; r->name; r++)
		if (bits & r->bit)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "id", r->id, "name",
							     r->name, "level", r->level, "type",
							     "default"));
	return arr;
}
