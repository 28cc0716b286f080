/* migrate: `dataproducts migrate --from sqlite:PATH --to postgresql://...`
 * copies a SQLite deployment into an empty PostgreSQL database and verifies
 * the copy (docs/deployment.md "Moving from SQLite to PostgreSQL"). */
#ifndef DP_MIGRATE_H
#define DP_MIGRATE_H

/* argv: the arguments after the verb. Returns the process exit status:
 * 0 copied and verified, 1 failed (or refused: the target is not empty),
 * 2 usage error. */
int migrate_main(int argc, char **argv);

#endif
