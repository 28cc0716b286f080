/* tests/tools/pg_lost_update.c — a manual check (not in make yet; see docs/pg-status.md):
 *   cc -std=c17 -D_GNU_SOURCE -Isrc $(pkg-config --cflags libpq) -o build/pg_lost_update \
 *     tests/tools/pg_lost_update.c $(make's LIB_OBJ) $(PKG_LIBS)
 *   build/pg_lost_update postgresql://...   (a cluster from tests/tools/pg-cluster.sh)
 * Expected: n=400 changelog total=400 entries=400. */
/* 4 threads (4 connections) x 100 read-modify-write transactions on one
 * product: the counter must end at 400 (no lost update) and the changelog
 * must be numbered 1..400 without holes. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "store/store.h"
static struct store *S;
static const char *T = "00000000-0000-4000-8000-00000000000t", *P = "00000000-0000-4000-8000-00000000000p";
static int retries, hard;
static void *worker(void *arg)
{
	long w = (long)arg;
	for (int i = 0; i < 100;) {
		if (S->ops->begin(S, true) != STORE_ONE) { hard++; continue; }
		json_t *d = NULL;
		int rc = S->ops->product_get(S, &d, T, P);
		if (rc == STORE_ONE) {
			json_object_set_new(d, "n", json_integer(json_integer_value(json_object_get(d, "n")) + 1));
			rc = S->ops->product_update(S, T, d);
		}
		char id[64]; snprintf(id, sizeof id, "e-%ld-%d", w, i);
		json_t *e = json_pack("{s:s, s:s}", "id", id, "createdAt", "2024-01-01T00:00:00.000Z");
		if (rc == STORE_ONE) rc = S->ops->changelog_append(S, T, P, e);
		json_decref(e); json_decref(d);
		if (rc == STORE_ONE) rc = S->ops->commit(S);
		if (rc == STORE_ONE) i++;
		else { S->ops->rollback(S); if (rc == STORE_RETRY) retries++; else hard++; }
	}
	return NULL;
}
int main(int argc, char **argv)
{
	char err[512];
	if (argc < 2 || store_open(&S, argv[1], err, sizeof err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
	S->ops->begin(S, true);
	S->ops->tenant_insert(S, T, "conc", "2024-01-01T00:00:00.000Z");
	json_t *d = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:[], s:[], s:i}", "id", P, "name", "c", "ownerId", "u",
			      "activated", 0, "createdAt", "2024-01-01T00:00:00.000Z", "updatedAt", "2024-01-01T00:00:00.000Z", "tags", "datasetIds", "n", 0);
	if (S->ops->product_insert(S, T, d) != STORE_ONE || S->ops->commit(S) != STORE_ONE) { puts("setup failed"); return 1; }
	json_decref(d);
	pthread_t th[4];
	for (long i = 0; i < 4; i++) pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
	S->ops->product_get(S, &d, T, P);
	struct store_docs page; long total;
	store_docs_init(&page);
	S->ops->changelog_page(S, &page, &total, T, P, true, 0, 1000);
	printf("n=%lld changelog total=%ld entries=%zu retries=%d hard=%d\n",
	       (long long)json_integer_value(json_object_get(d, "n")), total, page.n, retries, hard);
	store_docs_free(&page);
	return 0;
}
