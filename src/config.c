/* config: flag/env/file parsing for `serve`. Every flag has an environment
 * variable; a JSON config file (--config) supplies defaults underneath both. */
#include "config.h"
#include "domain/provider.h"
#include "http/request.h"
#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_kind { OPT_STR, OPT_LONG };

struct opt {
	const char *flag;
	const char *env;
	const char *file_key;
	enum opt_kind kind;
	size_t offset; /* into struct config */
	long min, max;
	const char *help;
};

#define OFF(f) offsetof(struct config, f)
#define QUOTA_MAX 1000000000L

static const struct opt opts[] = {
	{"--listen", "DP_LISTEN", "listen", OPT_STR, OFF(listen), 0, 0,
	 "HOST:PORT to listen on (default 127.0.0.1:8080)"},
	{"--db", "DP_DATABASE_URL", "db", OPT_STR, OFF(db_url), 0, 0,
	 "database URL: sqlite:PATH (default sqlite:var/dataproducts.db) or postgresql://..."},
	{"--threads", "DP_THREADS", "threads", OPT_LONG, OFF(threads), 1, 256,
	 "HTTP threads: reads, and parsing every request (default: number of CPUs)"},
	{"--write-threads", "DP_WRITE_THREADS", "writeThreads", OPT_LONG, OFF(write_threads), 0, 256,
	 "threads that run writes (POST, PUT, PATCH, DELETE) while the HTTP threads go on\n"
	 "                             serving; a write waiting for its COMMIT holds one, and the\n"
	 "                             writes waiting together share a COMMIT (default 16);\n"
	 "                             0 = writes run on the HTTP threads"},
	{"--data-root", "DP_DATA_ROOT", "dataRoot", OPT_STR, OFF(data_root), 0, 0,
	 "directory data sets' CSV files are read from (default var/data)"},
	{"--public-url", "DP_PUBLIC_URL", "publicUrl", OPT_STR, OFF(public_url), 0, 0,
	 "external base URL for links, e.g. https://dp.example.com (default: from Host)"},
	{"--allowed-hosts", "DP_ALLOWED_HOSTS", "allowedHosts", OPT_STR, OFF(allowed_hosts), 0, 0,
	 "comma-separated host[:port] list the Host header must match (a host without a port\n"
	 "                             matches any port); others get 400 (default: any Host)"},
	{"--rate-limit-tier1", "DP_RATE_LIMIT_TIER1", "rateLimitTier1", OPT_LONG, OFF(tier1), 0,
	 10000000, "Tier 1 (read) requests per minute per API key, 0 = unlimited (default 1000)"},
	{"--rate-limit-tier2", "DP_RATE_LIMIT_TIER2", "rateLimitTier2", OPT_LONG, OFF(tier2), 0,
	 10000000, "Tier 2 (write) requests per minute per API key, 0 = unlimited (default 100)"},
	{"--max-connections", "DP_MAX_CONNECTIONS", "maxConnections", OPT_LONG, OFF(conn_limit), 1,
	 100000, "total connection limit (default 4096)"},
	{"--max-connections-per-ip", "DP_MAX_CONNECTIONS_PER_IP", "maxConnectionsPerIp", OPT_LONG,
	 OFF(per_ip_limit), 1, 100000, "connections per client IP (default 2048)"},
	{"--idle-timeout", "DP_IDLE_TIMEOUT", "idleTimeoutSeconds", OPT_LONG, OFF(conn_timeout_s), 1,
	 3600, "seconds before an idle connection is closed (default 30)"},
	{"--header-timeout", "DP_HEADER_TIMEOUT", "headerTimeoutSeconds", OPT_LONG,
	 OFF(header_timeout_s), 1, 3600,
	 "seconds for a request's header block, from connect or the previous response (default 10)"},
	{"--body-timeout", "DP_BODY_TIMEOUT", "bodyTimeoutSeconds", OPT_LONG, OFF(body_timeout_s), 1,
	 3600, "seconds for a request's body, from the end of its headers (default 30)"},
	{"--workers", "DP_WORKERS", "workers", OPT_LONG, OFF(workers), 0, 64,
	 "background threads computing data quality (default 1); 0 = an API-only\n"
	 "                             instance that queues computations for other instances\n"
	 "                             on the same PostgreSQL database to run (docs/deployment.md)"},
	{"--job-lease-seconds", "DP_JOB_LEASE_SECONDS", "jobLeaseSeconds", OPT_LONG,
	 OFF(job_lease_seconds), 1, 3600,
	 "seconds a claimed quality computation stays its instance's without a\n"
	 "                             heartbeat (one every third of it); after that any\n"
	 "                             instance runs it again (default 30)"},
	{"--derive-delay-ms", "DP_DERIVE_DELAY_MS", "deriveDelayMs", OPT_LONG, OFF(derive_delay_ms), 0,
	 86400000,
	 "milliseconds the deriver waits before each round of recomputing derived values\n"
	 "                             (trust scores, product quality/trustScore) marked stale;\n"
	 "                             for tests (a window with marks pending), default 0"},
	{"--max-keys-per-user", "DP_MAX_KEYS_PER_USER", "maxKeysPerUser", OPT_LONG,
	 OFF(max_keys_per_user), 0, 100000,
	 "active API keys one user may hold; creating more is 403, 0 = unlimited (default 100)"},
	{"--quota-products", "DP_QUOTA_PRODUCTS", "quotaProducts", OPT_LONG, OFF(quota_products), 0,
	 QUOTA_MAX, "data products one tenant may hold; one more is 409, 0 = unlimited\n"
	 "                             (default 100000)"},
	{"--quota-data-sets", "DP_QUOTA_DATA_SETS", "quotaDataSets", OPT_LONG, OFF(quota_datasets), 0,
	 QUOTA_MAX, "data sets one tenant may hold; one more is 409, 0 = unlimited\n"
	 "                             (default 100000)"},
	{"--quota-spaces", "DP_QUOTA_SPACES", "quotaSpaces", OPT_LONG, OFF(quota_spaces), 0, QUOTA_MAX,
	 "spaces one tenant may hold; one more is 409, 0 = unlimited (default 10000)"},
	{"--quota-users", "DP_QUOTA_USERS", "quotaUsers", OPT_LONG, OFF(quota_users), 0, QUOTA_MAX,
	 "users one tenant may hold; one more is 409, 0 = unlimited (default 100000)"},
	{"--quality-max-bytes", "DP_QUALITY_MAX_BYTES", "qualityMaxBytes", OPT_LONG,
	 OFF(quality_max_bytes), 1, LONG_MAX,
	 "bytes one quality computation may read; a larger file fails DQ-170 (default 17179869184"
	 " = 16 GiB)"},
	{"--quality-max-seconds", "DP_QUALITY_MAX_SECONDS", "qualityMaxSeconds", OPT_LONG,
	 OFF(quality_max_seconds), 1, 86400,
	 "seconds one quality computation may run; a slower one fails DQ-171 (default 900)"},
	{"--session-idle-timeout", "DP_SESSION_IDLE_TIMEOUT", "sessionIdleTimeout", OPT_LONG,
	 OFF(session_idle_s), 1, 31536000,
	 "seconds a browser session may stay unused before it expires (default 28800 = 8 h)"},
	{"--session-max-age", "DP_SESSION_MAX_AGE", "sessionMaxAge", OPT_LONG, OFF(session_max_age_s),
	 1, 31536000, "seconds a browser session lasts at most (default 604800 = 7 days)"},
	{"--sign-in-rate-limit", "DP_SIGN_IN_RATE_LIMIT", "signInRateLimit", OPT_LONG,
	 OFF(sign_in_rate), 0, 10000000,
	 "POST /auth/sign-in attempts per minute per client address, 0 = unlimited (default 30)"},
	{"--config", "DP_CONFIG", NULL, OPT_STR, OFF(config_file), 0, 0,
	 "JSON file with any of the settings above (keys in camelCase)"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

void config_usage_serve(void)
{
	fprintf(stdout, "Usage: dataproducts serve [OPTIONS]\n\n"
			"Runs the data products HTTP server.\n\nOptions:\n");
	for (size_t i = 0; i < NOPTS; i++)
		fprintf(stdout, "  %-26s %s\n                             env %s\n", opts[i].flag,
			opts[i].help, opts[i].env);
	fprintf(stdout, "  %-26s %s\n", "-h, --help", "show this help");
}

static int set_opt(struct config *cfg, const struct opt *o, const char *value, const char *src)
{
	char *base = (char *)cfg;
	if (o->kind == OPT_STR) {
		char **dst = (char **)(base + o->offset);
		free(*dst);
		*dst = strdup(value);
		return *dst ? 0 : -1;
	}
	char *end;
	long v = strtol(value, &end, 10);
	if (!*value || *end || v < o->min || v > o->max) {
		fprintf(stderr, "dataproducts: %s %s: expected an integer in %ld..%ld\n", src, value,
			o->min, o->max);
		return -1;
	}
	if (o->offset == OFF(threads))
		cfg->threads = (int)v;
	else if (o->offset == OFF(write_threads))
		cfg->write_threads = (int)v;
	else if (o->offset == OFF(workers))
		cfg->workers = (int)v;
	else if (o->offset == OFF(tier1) || o->offset == OFF(tier2) || o->offset == OFF(sign_in_rate) ||
		 o->offset == OFF(quality_max_bytes) || o->offset == OFF(quality_max_seconds) ||
		 o->offset == OFF(job_lease_seconds) || o->offset == OFF(quota_products) ||
		 o->offset == OFF(quota_datasets) || o->offset == OFF(quota_spaces) ||
		 o->offset == OFF(quota_users) || o->offset == OFF(derive_delay_ms))
		*(long *)(base + o->offset) = v;
	else
		*(unsigned *)(base + o->offset) = (unsigned)v;
	return 0;
}

static int load_file(struct config *cfg, const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		fprintf(stderr, "dataproducts: config file %s: %s (line %d)\n", path,
			root ? "not a JSON object" : jerr.text, jerr.line);
		json_decref(root);
		return -1;
	}
	int rc = 0;
	json_t *tpl = json_object_get(root, "providerUrlTemplates");
	if (tpl) {
		const char *k;
		json_t *v;
		char terr[256];
		json_object_foreach(tpl, k, v) {
			if (!json_is_string(v)) {
				rc = -1;
			} else if (provider_template_check(json_string_value(v), terr, sizeof terr) < 0) {
				fprintf(stderr, "dataproducts: config file %s: providerUrlTemplates.%s: %s\n",
					path, k, terr);
				json_decref(root);
				return -1;
			}
		}
		if (!json_is_object(tpl) || rc < 0) {
			fprintf(stderr, "dataproducts: config file %s: 'providerUrlTemplates' must map"
					" data store types to URL template strings\n", path);
			json_decref(root);
			return -1;
		}
		/* data store types match case-insensitively: keep the keys lower-case */
		json_decref(cfg->provider_templates);
		cfg->provider_templates = json_object();
		json_object_foreach(tpl, k, v) {
			char low[128];
			snprintf(low, sizeof low, "%s", k);
			for (char *c = low; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			json_object_set(cfg->provider_templates, low, v);
		}
	}
	for (size_t i = 0; i < NOPTS && rc == 0; i++) {
		if (!opts[i].file_key)
			continue;
		json_t *v = json_object_get(root, opts[i].file_key);
		if (!v)
			continue;
		char num[32];
		const char *s = json_string_value(v);
		if (json_is_integer(v)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
			s = num;
		}
		if (!s) {
			fprintf(stderr, "dataproducts: config file %s: '%s' has the wrong type\n", path,
				opts[i].file_key);
			rc = -1;
		} else {
			rc = set_opt(cfg, &opts[i], s, opts[i].file_key);
		}
	}
	json_decref(root);
	return rc;
}

static int parse_listen(struct config *cfg)
{
	const char *colon = strrchr(cfg->listen, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	size_t hl = colon ? (size_t)(colon - cfg->listen) : 0;
	if (!colon || !colon[1] || *end || port < 0 || port > 65535 || hl == 0 ||
	    hl >= sizeof cfg->host) {
		fprintf(stderr, "dataproducts: --listen %s: expected HOST:PORT\n", cfg->listen);
		return -1;
	}
	memcpy(cfg->host, cfg->listen, hl);
	cfg->host[hl] = '\0';
	cfg->port = (unsigned)port;
	return 0;
}

int config_parse_serve(struct config *cfg, int argc, char **argv)
{
	memset(cfg, 0, sizeof *cfg);
	/* one HTTP thread per CPU; writes wait for their COMMIT on threads of
	 * their own (docs/performance.md "Issue 12: the fan-out and write threads") */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->threads = cpus > 0 ? (int)cpus : 2;
	cfg->write_threads = 16;
	cfg->tier1 = 1000;
	cfg->tier2 = 100;
	cfg->conn_limit = 4096;
	cfg->per_ip_limit = 2048;
	cfg->conn_timeout_s = 30;
	cfg->header_timeout_s = 10;
	cfg->body_timeout_s = 30;
	cfg->workers = 1;
	cfg->max_keys_per_user = 100;
	cfg->quota_products = 100000;
	cfg->quota_datasets = 100000;
	cfg->quota_spaces = 10000;
	cfg->quota_users = 100000;
	cfg->quality_max_bytes = 16L * 1024 * 1024 * 1024;
	cfg->quality_max_seconds = 900;
	cfg->job_lease_seconds = 30;
	cfg->session_idle_s = 8 * 3600;
	cfg->session_max_age_s = 7 * 86400;
	cfg->sign_in_rate = 30;
	const char *cli[NOPTS] = {0};

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			config_usage_serve();
			return 1;
		}
		size_t k;
		const char *val = NULL;
		for (k = 0; k < NOPTS; k++) {
			size_t fl = strlen(opts[k].flag);
			if (!strncmp(argv[i], opts[k].flag, fl) && argv[i][fl] == '=') {
				val = argv[i] + fl + 1;
				break;
			}
			if (!strcmp(argv[i], opts[k].flag)) {
				if (i + 1 >= argc) {
					fprintf(stderr, "dataproducts: %s needs a value\n", opts[k].flag);
					return -1;
				}
				val = argv[++i];
				break;
			}
		}
		if (k == NOPTS) {
			fprintf(stderr, "dataproducts: unknown option '%s' (see serve --help)\n", argv[i]);
			return -1;
		}
		cli[k] = val;
	}
	/* The config file is located first, then layered: file < env < flags. */
	size_t cfg_idx = NOPTS - 1;
	const char *file = cli[cfg_idx] ? cli[cfg_idx] : getenv(opts[cfg_idx].env);
	if (file && *file && load_file(cfg, file) < 0)
		return -1;
	for (size_t k = 0; k < NOPTS; k++) {
		const char *env = getenv(opts[k].env);
		if (env && *env && set_opt(cfg, &opts[k], env, opts[k].env) < 0)
			return -1;
		if (cli[k] && set_opt(cfg, &opts[k], cli[k], opts[k].flag) < 0)
			return -1;
	}
	if (!cfg->listen && !(cfg->listen = strdup("127.0.0.1:8080")))
		return -1;
	if (!cfg->db_url && !(cfg->db_url = strdup("sqlite:var/dataproducts.db")))
		return -1;
	if (!cfg->data_root && !(cfg->data_root = strdup("var/data")))
		return -1;
	if (cfg->public_url) {
		size_t n = strlen(cfg->public_url);
		while (n > 0 && cfg->public_url[n - 1] == '/')
			cfg->public_url[--n] = '\0';
	}
	if (cfg->allowed_hosts && !req_host_list_valid(cfg->allowed_hosts)) {
		fprintf(stderr, "dataproducts: --allowed-hosts %s: expected a comma-separated list of"
				" host[:port] (names, IPv4 or [IPv6] literals)\n", cfg->allowed_hosts);
		return -1;
	}
	return parse_listen(cfg);
}

const char *config_sqlite_path(const char *db_url)
{
	return db_url && !strncmp(db_url, "sqlite:", 7) && db_url[7] ? db_url + 7 : NULL;
}

void config_free(struct config *cfg)
{
	free(cfg->listen);
	free(cfg->db_url);
	free(cfg->data_root);
	free(cfg->public_url);
	free(cfg->allowed_hosts);
	free(cfg->config_file);
	json_decref(cfg->provider_templates);
	memset(cfg, 0, sizeof *cfg);
}
