/* auth: API-key bearer authentication (SPEC §2). */
#ifndef DP_AUTH_H
#define DP_AUTH_H
#include "http/request.h"

/* Fills r->who from the Authorization header. On failure replies 401 (or
 * 503 when storage is unavailable) and returns -1. */
int auth_authenticate(struct req *r);

#endif
