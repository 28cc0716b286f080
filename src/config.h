/* config: server settings from flags, environment (DP_*) and an optional
 * JSON config file, in that order of precedence (SPEC §1). */
#ifndef DP_CONFIG_H
#define DP_CONFIG_H
#include <jansson.h>
#include <stdbool.h>

struct config {
	char *listen;     /* HOST:PORT */
	char host[256];
	unsigned port;
	char *db_url;
	int threads;
	int write_threads; /* threads writes run on (server.c); 0 = on the HTTP threads */
	char *data_root;
	char *public_url; /* NULL: links use the request's Host header */
	char *allowed_hosts; /* "host[:port],..." the Host header must name; NULL: any */
	long tier1;       /* requests/minute, 0 = unlimited */
	long tier2;
	unsigned conn_limit;
	unsigned per_ip_limit;
	unsigned conn_timeout_s;
	unsigned header_timeout_s; /* request head must complete within this */
	unsigned body_timeout_s;   /* request body must complete within this */
	int workers;      /* quality computation threads; 0 = API-only */
	long job_lease_seconds; /* a claimed computation's lease (heartbeat every third) */
	long derive_delay_ms;   /* the deriver's pause before each round (tests; 0) */
	unsigned max_keys_per_user; /* active API keys a user may hold (create -> 403), 0 = any */
	/* Tenant quotas (issue 12): what one tenant may hold; one more -> 409,
	 * 0 = unlimited (docs/decisions.md "Issue 12 -- quotas") */
	long quota_products;
	long quota_datasets;
	long quota_spaces;
	long quota_users;
	long quality_max_bytes;   /* byte budget of one quality computation */
	long quality_max_seconds; /* time budget of one quality computation */
	unsigned session_idle_s;    /* browser session idle expiry (issue 9) */
	unsigned session_max_age_s; /* browser session absolute expiry */
	long sign_in_rate;          /* sign-in attempts per minute per client address, 0 = unlimited */
	char *config_file;
	/* From the config file only: {"<data store type>": "<URL template>"}
	 * for generate-provider-url (docs/provider-urls.md). Owned; may be NULL. */
	json_t *provider_templates;
};

/* Parses argv (after the "serve" verb). Returns 0 ok, 1 when --help was
 * printed, -1 on error (message printed to stderr). */
int config_parse_serve(struct config *cfg, int argc, char **argv);
void config_free(struct config *cfg);
void config_usage_serve(void);
/* The SQLite file of a sqlite:PATH URL (borrowed from url), else NULL. */
const char *config_sqlite_path(const char *db_url);

#endif
