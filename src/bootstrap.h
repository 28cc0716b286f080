/* bootstrap: creates (or finds) a tenant and its TenantAdmin user, and
 * issues a new API key for that admin (SPEC §1). */
#ifndef DP_BOOTSTRAP_H
#define DP_BOOTSTRAP_H
#include <jansson.h>
#include "store/store.h"

/* On success *out = {"tenantId","userId","apiKey"} and 0 is returned;
 * -1 with a message in err otherwise. */
int bootstrap_tenant(json_t **out, struct store *st, const char *tenant, const char *email,
		     char *err, size_t errlen);

#endif
