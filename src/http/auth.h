/* auth: API-key bearer authentication (SPEC §2). */
#ifndef DP_AUTH_H
#define DP_AUTH_H
#include "http/request.h"

/* Fills r->who from the Authorization header. On failure replies 401 (or
 * 503 when storage is unavailable) and returns -1. */
int auth_authenticate(struct req *r);
/* After a credential lookup (API key or session) answered rc: replies 503
 * (storage condition, or the store refused) and returns true when rc is an
 * error, else false. */
bool auth_lookup_failed(struct req *r, int rc);
/* CSRF check for requests a cookie authenticates (and for sign-in): an
 * unsafe method needs an Origin equal to the server's origin (--public-url's,
 * else http:// + Host). Replies 403 DP-403-ORIGIN and returns -1 otherwise. */
int auth_check_origin(struct req *r);

#endif
