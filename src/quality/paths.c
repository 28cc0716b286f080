/* paths: data-root confinement with realpath(3), so "..", absolute paths and
 * symlinks pointing outside the root are all refused the same way. */
#include "quality/paths.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int quality_location_ok(const char *loc)
{
	if (!loc || !*loc || strlen(loc) > 1024 || loc[0] == '/' || strchr(loc, '\\'))
		return 0;
	for (const char *p = loc; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		while (*p == '/')
			p++;
	}
	return 1;
}

int quality_resolve(char *out, size_t cap, char *code, const char *data_root, const json_t *ds)
{
	const char *loc =
		json_string_value(json_object_get(json_object_get(ds, "operational"), "location"));
	if (!loc || !*loc) {
		snprintf(code, 8, "DQ-140");
		return -1;
	}
	if (!quality_location_ok(loc)) {
		snprintf(code, 8, "DQ-130");
		return -1;
	}
	char root[PATH_MAX], joined[PATH_MAX * 2], real[PATH_MAX];
	if (!realpath(data_root, root)) {
		snprintf(code, 8, "DQ-100");
		return -1;
	}
	snprintf(joined, sizeof joined, "%s/%s", root, loc);
	if (!realpath(joined, real)) {
		snprintf(code, 8, errno == ENOENT || errno == ENOTDIR ? "DQ-100" : "DQ-110");
		return -1;
	}
	size_t rl = strlen(root);
	if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0')) {
		snprintf(code, 8, "DQ-130");
		return -1;
	}
	if (strlen(real) >= cap) {
		snprintf(code, 8, "DQ-110");
		return -1;
	}
	memcpy(out, real, strlen(real) + 1);
	return 0;
}
