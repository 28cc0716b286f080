/* dp_sqlite_ext: the store's SQL functions (src/store/sqlite_fts.c) as a
 * loadable SQLite extension, for tools that write a dataproducts database
 * with the sqlite3 CLI: the search index's triggers call search_terms_of(),
 * so without it an INSERT or UPDATE on products fails with "no such
 * function". Tests load it (`sqlite3 -cmd '.load build/dp_sqlite_ext'`);
 * so can an operator repairing a database by hand (docs/deployment.md).
 * Built by `make build/dp_sqlite_ext.so`. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

/* The same source as the server's, its sqlite3_* calls routed through the
 * extension's API table by sqlite3ext.h's macros. */
#include "store/sqlite_fts.c"

int sqlite3_dpsqliteext_init(sqlite3 *db, char **err, const sqlite3_api_routines *api);

int sqlite3_dpsqliteext_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	(void)err;
	SQLITE_EXTENSION_INIT2(api);
	return sqlite_fts_register(db);
}
