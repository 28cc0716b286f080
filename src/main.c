/* main: the dataproducts command line — `serve` runs the HTTP server,
 * `bootstrap` creates a tenant, its admin and an API key (SPEC §1), `migrate`
 * copies a SQLite deployment into PostgreSQL (migrate.c). */
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "api/api.h"
#include "bootstrap.h"
#include "config.h"
#include "domain/datafile.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "jobs/deriver.h"
#include "jobs/worker.h"
#include "migrate.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/log.h"

/* The database URL for the log: a PostgreSQL URL's password (user:PASS@
 * or password=...) replaced by "***". */
static void redact_db_url(char *out, size_t cap, const char *url)
{
	size_t n = 0;
	const char *p = url, *at = NULL, *colon = NULL;
	const char *auth = strstr(url, "://");
	if (auth) {
		auth += 3;
		at = strchr(auth, '@');
		const char *slash = strchr(auth, '/');
		if (at && slash && slash < at)
			at = NULL;
		if (at)
			colon = memchr(auth, ':', (size_t)(at - auth));
	}
	while (*p && n + 4 < cap) {
		if (p == colon) { /* user:PASS@ */
			n += (size_t)snprintf(out + n, cap - n, ":***");
			p = at;
			continue;
		}
		if (!strncmp(p, "password=", 9)) {
			n += (size_t)snprintf(out + n, cap - n, "password=***");
			p += 9;
			while (*p && *p != '&' && *p != ' ')
				p++;
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
}

#define VERSION DP_VERSION

static void usage(FILE *out)
{
	fprintf(out,
		"dataproducts %s — data product governance service (Qlik Data Products API)\n\n"
		"Usage:\n"
		"  dataproducts serve [OPTIONS]      run the HTTP server (serve --help for options)\n"
		"  dataproducts bootstrap --tenant NAME --email EMAIL [--db URL]\n"
		"                                    create a tenant and admin; print a new API key\n"
		"  dataproducts migrate --from sqlite:PATH --to postgresql://...\n"
		"                                    copy a SQLite deployment into an empty PostgreSQL\n"
		"                                    database and verify it (migrate --help)\n"
		"  dataproducts --version            print the version\n"
		"  dataproducts --help               show this help\n\n"
		"First start: `dataproducts serve` creates tenant \"default\" with admin\n"
		"admin@localhost and prints its API key once. Docs: README.md, docs/.\n",
		VERSION);
}

static void bootstrap_usage(void)
{
	printf("Usage: dataproducts bootstrap --tenant NAME --email EMAIL [--db URL]\n\n"
	       "Creates tenant NAME (or finds it) with a TenantAdmin user EMAIL and prints\n"
	       "{\"tenantId\",\"userId\",\"apiKey\"} as one JSON object. Running it again\n"
	       "with the same tenant returns a new key for the same tenant and admin.\n\n"
	       "Options:\n"
	       "  --db URL        database (env DP_DATABASE_URL, default sqlite:var/dataproducts.db)\n"
	       "  --tenant NAME   tenant name\n"
	       "  --email EMAIL   the admin's email address\n");
}

static int cmd_bootstrap(int argc, char **argv)
{
	const char *db = getenv("DP_DATABASE_URL"), *tenant = NULL, *email = NULL;
	if (!db || !*db)
		db = "sqlite:var/dataproducts.db";
	for (int i = 0; i < argc; i++) {
		const char **dst = !strcmp(argv[i], "--db")       ? &db
				   : !strcmp(argv[i], "--tenant") ? &tenant
				   : !strcmp(argv[i], "--email")  ? &email
								  : NULL;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			bootstrap_usage();
			return 0;
		}
		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "dataproducts: bootstrap: %s '%s' (see bootstrap --help)\n",
				dst ? "missing value for" : "unknown option", argv[i]);
			return 2;
		}
		*dst = argv[++i];
	}
	char err[512];
	struct store *st;
	if (store_open(&st, db, err, sizeof err) < 0) {
		fprintf(stderr, "dataproducts: %s\n", err);
		return 1;
	}
	json_t *out = NULL;
	int rc = bootstrap_tenant(&out, st, tenant, email, err, sizeof err);
	if (rc == 0) {
		char *txt = json_dumps(out, JSON_COMPACT);
		printf("%s\n", txt);
		free(txt);
		json_decref(out);
	} else {
		fprintf(stderr, "dataproducts: %s\n", err);
	}
	st->ops->close(st);
	return rc == 0 ? 0 : (strstr(err, "needs") ? 2 : 1);
}

/* A data root that contains the database would let a data set name the
 * database file; the worker's open/close of that inode would drop SQLite's
 * POSIX locks (issue 8). Refused at start: 0 fine, -1 refused (printed). */
static int check_data_root(const struct config *cfg)
{
	const char *db = config_sqlite_path(cfg->db_url);
	char root[PATH_MAX], file[PATH_MAX];
	if (!db || !realpath(cfg->data_root, root))
		return 0; /* no data root yet: it contains nothing */
	if (!realpath(db, file))
		return 0;
	if (!datafile_within(root, file))
		return 0;
	fprintf(stderr,
		"dataproducts: the database %s (%s) is inside --data-root %s (%s).\n"
		"  A data set could name the database file, and reading it would release SQLite's\n"
		"  locks and lose writes. Use a data root that does not contain the database, e.g.\n"
		"  --data-root var/data with the default --db sqlite:var/dataproducts.db, or move\n"
		"  the database out of the data root.\n",
		cfg->db_url, file, cfg->data_root, root);
	return -1;
}

/* First start on an empty database: make the service usable at once. */
static int first_run(struct store *st, const struct config *cfg, unsigned port)
{
	long n = 0;
	if (st->ops->tenant_count(st, &n) < 0)
		return -1;
	if (n > 0)
		return 0;
	char err[256];
	json_t *out = NULL;
	if (bootstrap_tenant(&out, st, "default", "admin@localhost", err, sizeof err) < 0) {
		fprintf(stderr, "dataproducts: first-run bootstrap failed: %s\n", err);
		return -1;
	}
	log_event(LOG_INFO,
		  "first start: created tenant 'default' with admin admin@localhost; this API key is"
		  " shown once",
		  LOG_STR("tenantId", json_string_value(json_object_get(out, "tenantId"))),
		  LOG_STR("userId", json_string_value(json_object_get(out, "userId"))),
		  LOG_STR("apiKey", json_string_value(json_object_get(out, "apiKey"))));
	log_flush(1000); /* the line first, then the block for a human */
	fprintf(stderr,
		"\n  Admin API key (shown once): %s\n  Try: curl -H 'Authorization: Bearer %s' "
		"http://%s:%u/api/data-governance/data-products\n\n",
		json_string_value(json_object_get(out, "apiKey")),
		json_string_value(json_object_get(out, "apiKey")), cfg->host, port);
	json_decref(out);
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	struct config cfg;
	int rc = config_parse_serve(&cfg, argc, argv);
	if (rc != 0) {
		config_free(&cfg);
		return rc > 0 ? 0 : 2;
	}
	int64_t t0 = clock_mono_ns();
	char err[512];
	struct store *st;
	if (cfg.workers == 0 && strncmp(cfg.db_url, "postgres", 8) != 0) {
		/* one server per SQLite file: nothing else would ever run them */
		fprintf(stderr, "dataproducts: --workers 0 (an API-only instance) needs a PostgreSQL"
				" database shared with instances that run workers; on SQLite quality"
				" computations would never run\n");
		config_free(&cfg);
		return 2;
	}
	if (store_open(&st, cfg.db_url, err, sizeof err) < 0) {
		fprintf(stderr, "dataproducts: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (check_data_root(&cfg) < 0) {
		st->ops->close(st);
		config_free(&cfg);
		return 2;
	}
	/* Signals are taken synchronously by sigwait below; worker threads
	 * inherit the blocked mask so no handler ever runs inside them. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* from here log lines go through the writer thread (util/log.c); every
	 * return below drains it */
	log_start(STDERR_FILENO, 0);

	struct app app = {.cfg = &cfg, .store = st, .routes = api_routes, .nroutes = api_nroutes,
			  .repeatable = api_repeatable};
	app.metrics = metrics_new(api_routes, api_nroutes);
	if (!(app.ratelimit = ratelimit_new(cfg.tier1, cfg.tier2)) ||
	    !(app.sign_in_limit = ratelimit_new(cfg.sign_in_rate, 0))) {
		fprintf(stderr, "dataproducts: out of memory\n");
		abort();
	}
	/* the deriver first: workers and requests wake it */
	const struct deriver_config dcfg = {
		.store = st,
		.data_root = cfg.data_root,
		.delay_ms = cfg.derive_delay_ms,
	};
	if (!(app.deriver = deriver_start(&dcfg))) {
		metrics_free(app.metrics);
		ratelimit_free(app.ratelimit);
		ratelimit_free(app.sign_in_limit);
		st->ops->close(st);
		config_free(&cfg);
		return 1;
	}
	/* workers next: they take back computations a crash interrupted */
	const struct worker_config wcfg = {
		.store = st,
		.data_root = cfg.data_root,
		.db_path = config_sqlite_path(cfg.db_url),
		.max_bytes = (uint64_t)cfg.quality_max_bytes,
		.max_seconds = cfg.quality_max_seconds,
		.lease_seconds = cfg.job_lease_seconds,
		.deriver = app.deriver,
	};
	if (!(app.workers = worker_start(&wcfg, cfg.workers))) {
		deriver_stop(app.deriver);
		metrics_free(app.metrics);
		ratelimit_free(app.ratelimit);
		ratelimit_free(app.sign_in_limit);
		st->ops->close(st);
		config_free(&cfg);
		log_shutdown(5000);
		return 1;
	}
	struct server *srv = server_start(&app);
	rc = 1;
	if (srv && first_run(st, &cfg, server_port(srv)) == 0) {
		char db_logged[512];
		redact_db_url(db_logged, sizeof db_logged, cfg.db_url);
		char url[300];
		snprintf(url, sizeof url, "http://%s:%u", cfg.host, server_port(srv));
		log_event(LOG_INFO, "listening", LOG_STR("url", url), LOG_STR("db", db_logged),
			  LOG_INT("threads", cfg.threads), LOG_INT("writeThreads", cfg.write_threads),
			  LOG_STR("version", VERSION),
			  LOG_NUM("startupMs", (double)(clock_mono_ns() - t0) / 1e6, 1));
		/* links (changelogs, lists) echo the Host header unless told otherwise */
		bool loopback = !strncmp(cfg.host, "127.", 4) || !strcmp(cfg.host, "localhost") ||
				!strcmp(cfg.host, "[::1]") || !strcmp(cfg.host, "::1");
		if (!cfg.public_url && !cfg.allowed_hosts && !loopback)
			log_event(LOG_WARN, "links follow the request's Host header; set --public-url or"
					    " --allowed-hosts");
		int sig = 0;
		sigwait(&sigs, &sig);
		log_event(LOG_INFO, "shutting down", LOG_INT("signal", sig));
		rc = 0;
	}
	server_stop(srv, 10000);
	worker_stop(app.workers);
	deriver_stop(app.deriver);
	metrics_free(app.metrics);
	ratelimit_free(app.ratelimit);
	ratelimit_free(app.sign_in_limit);
	st->ops->close(st);
	config_free(&cfg);
	if (rc == 0)
		log_event(LOG_INFO, "stopped");
	/* every line logged until here reaches stderr before the exit */
	log_shutdown(5000);
	return rc;
}


int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *verb = argv[1];
	if (!strcmp(verb, "serve"))
		return cmd_serve(argc - 2, argv + 2);
	if (!strcmp(verb, "bootstrap"))
		return cmd_bootstrap(argc - 2, argv + 2);
	if (!strcmp(verb, "migrate"))
		return migrate_main(argc - 2, argv + 2);
	if (!strcmp(verb, "--version") || !strcmp(verb, "version")) {
		printf("dataproducts %s\n", VERSION);
		return 0;
	}
	if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "dataproducts: unknown command '%s'\n\n", verb);
	usage(stderr);
	return 2;
}
