/* router: linear scan of a small static table. With ~30 routes a scan costs
 * less than building a trie and keeps the table readable. */
#include "http/router.h"
#include <stdlib.h>
#include <string.h>

/* Matches path against pattern; on success copies captures into params. */
static bool match_one(const char *pattern, const char *path, char **params, int max, int *n)
{
	const char *p = pattern, *s = path;
	int count = 0;
	while (*p && *s) {
		if (*p != '/' || *s != '/')
			goto fail;
		p++, s++;
		const char *pe = strchr(p, '/'), *se = strchr(s, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t sl = se ? (size_t)(se - s) : strlen(s);
		if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
			if (sl == 0 || count >= max)
				goto fail;
			if (params) {
				params[count] = strndup(s, sl);
				if (!params[count])
					abort();
			}
			count++;
		} else if (pl != sl || strncmp(p, s, pl) != 0) {
			goto fail;
		}
		p += pl, s += sl;
	}
	if (*p || *s)
		goto fail;
	*n = count;
	return true;
fail:
	if (params)
		for (int i = 0; i < count; i++)
			free(params[i]), params[i] = NULL;
	return false;
}

enum route_match router_match(const struct route *routes, const char *method, const char *path,
			      const struct route **out, char **params, int max_params,
			      int *nparams, char *allow, size_t cap)
{
	bool path_seen = false;
	size_t alen = 0;
	if (cap)
		allow[0] = '\0';
	for (const struct route *r = routes; r->method; r++) {
		int n = 0;
		bool same_method = strcmp(r->method, method) == 0;
		if (!match_one(r->pattern, path, same_method ? params : NULL, max_params, &n))
			continue;
		if (same_method) {
			*out = r;
			*nparams = n;
			return ROUTE_FOUND;
		}
		path_seen = true;
		size_t ml = strlen(r->method);
		if (alen + ml + 3 < cap && !strstr(allow, r->method)) {
			if (alen)
				memcpy(allow + alen, ", ", 2), alen += 2;
			memcpy(allow + alen, r->method, ml + 1);
			alen += ml;
		}
	}
	return path_seen ? ROUTE_BAD_METHOD : ROUTE_NO_PATH;
}
