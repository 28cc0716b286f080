/* fault: storage fault injection for tests (in the spirit of SQLite's
 * DO_OS_MALLOC_TEST). DP_FAULT_INJECT names store calls that must fail with
 * a hard error, comma separated, e.g. "changelog_append" or "commit,begin".
 * Unset (production) it costs nothing: the backend's own table is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"

static struct store_ops faulty;

static int fail_begin(struct store *st, bool write) { (void)st, (void)write; return STORE_HARD; }

static int fail_commit(struct store *st)
{
	/* a failed COMMIT leaves the transaction to the caller's rollback */
	(void)st;
	return STORE_HARD;
}

static int fail_doc(struct store *st, const char *tenant, json_t *doc)
{
	(void)st, (void)tenant, (void)doc;
	return STORE_HARD;
}

static int fail_delete(struct store *st, const char *tenant, const char *id)
{
	(void)st, (void)tenant, (void)id;
	return STORE_HARD;
}

static int fail_changelog(struct store *st, const char *tenant, const char *product_id, json_t *e)
{
	(void)st, (void)tenant, (void)product_id, (void)e;
	return STORE_HARD;
}

static int fail_product_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	(void)st, (void)out, (void)tenant, (void)id;
	return STORE_HARD;
}

static int fail_product_access(struct store *st, struct product_access *out, const char *tenant,
			       const char *id, const char *user_id)
{
	(void)st, (void)out, (void)tenant, (void)id, (void)user_id;
	return STORE_HARD;
}

int store_fault_wrap(struct store *st, const char *spec, char *err, size_t errlen)
{
	if (!spec || !*spec)
		return 0;
	faulty = *st->ops;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		if (!strcmp(name, "begin"))
			faulty.begin = fail_begin;
		else if (!strcmp(name, "commit"))
			faulty.commit = fail_commit;
		else if (!strcmp(name, "product_insert"))
			faulty.product_insert = fail_doc;
		else if (!strcmp(name, "product_update"))
			faulty.product_update = fail_doc;
		else if (!strcmp(name, "product_delete"))
			faulty.product_delete = fail_delete;
		else if (!strcmp(name, "product_get")) {
			faulty.product_get = fail_product_get;
			faulty.product_get_access = fail_product_access;
		}
		else if (!strcmp(name, "changelog_append"))
			faulty.changelog_append = fail_changelog;
		else {
			snprintf(err, errlen, "DP_FAULT_INJECT: unknown store call '%s'", name);
			return -1;
		}
	}
	fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"storage fault injection active\",\"calls\":\"%s\"}\n",
		spec);
	st->ops = &faulty;
	return 0;
}
