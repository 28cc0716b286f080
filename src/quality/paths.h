/* paths: where a data set's CSV lives. operational.location is a path
 * relative to --data-root; after resolving symlinks it must still be inside
 * the root, so no location can read files elsewhere on the machine. */
#ifndef DP_PATHS_H
#define DP_PATHS_H
#include <jansson.h>
#include <stddef.h>

#define PATH_MAX_DP 4096

/* On success writes the resolved absolute path and returns 0. Otherwise
 * returns -1 with a DQ code in code (8 bytes): DQ-140 no location, DQ-130
 * outside the root, DQ-100 no such file. */
int quality_resolve(char *out, size_t cap, char *code, const char *data_root, const json_t *dataset);
/* The lexical rule used at write time (no I/O): relative, no "..", no "\\",
 * no NUL, at most 1024 bytes. */
int quality_location_ok(const char *location);

#endif
