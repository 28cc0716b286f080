/* data_qualities: /api/data-governance/data-qualities in @qlik/api's shapes
 * (data-qualities.d.ts) and the product action compute-datasets-data-quality.
 * Requests only queue work (202); src/jobs/worker.c runs it.
 *
 * Who may start one (docs/decisions.md, issue 8): POST computations needs
 * DataProductCreator and the rights to edit the data set (or TenantAdmin);
 * the product action needs edit rights on the product (SPEC §4 "compute
 * quality"), which include DataProductCreator. Results stay readable by
 * every user of the tenant, like the data sets themselves. */
#include <stdio.h>
#include <string.h>
#include "api/api.h"
#include "jobs/worker.h"
#include "quality/profile.h"

/* This service reads files, not connections: every result is reported
 * under one connection id (docs/quality.md). */
#define FILE_CONNECTION "local-files"

static const struct field_spec computation_spec[] = {
	{"datasetId", FIELD_GUID, true, false, 0},
	{"connectionId", FIELD_STRING, false, true, 256},
	{"executionMode", FIELD_STRING, false, true, 16},
	{"sampleMethod", FIELD_STRING, false, true, 16},
	{"sampleMode", FIELD_STRING, false, true, 16},
	{"sampleSize", FIELD_NUMBER, false, true, 0},
	FIELD_END,
};

/* Whole-file profiling is the only mode: sampling options that would ask
 * for less are refused rather than silently ignored. */
static int check_sampling(struct req *r, const json_t *body)
{
	const char *mode = json_string_value(json_object_get(body, "executionMode"));
	if (mode && strcmp(mode, "PULLUP")) {
		reply_error(r, ERR_VALIDATION, "'executionMode': only PULLUP (the server reads the file)"
					       " is supported");
		return -1;
	}
	static const char *const sampling[] = {"sampleMethod", "sampleMode", "sampleSize"};
	for (int i = 0; i < 3; i++)
		if (json_object_get(body, sampling[i]) && !json_is_null(json_object_get(body, sampling[i]))) {
			reply_error(r, ERR_VALIDATION, "'%s': sampling is not supported; the whole file is"
						       " profiled", sampling[i]);
			return -1;
		}
	return 0;
}

/* Queues one computation (inside the caller's transaction). Missing data
 * sets and metadata-only data sets fail at once, with their DQ code. */
static int queue_one(const struct req *r, json_t **out_resp, const char *batch, const char *dataset,
		     const char *now)
{
	struct store *st = r->app->store;
	char id[GUID_LEN + 1];
	json_t *ds = NULL;
	if (ids_guid_new(id) < 0)
		return STORE_HARD;
	int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, dataset);
	if (rc < 0)
		return rc;
	const char *code = NULL, *reason = NULL;
	if (rc == STORE_NONE) {
		code = DQ_DATASET_MISSING;
		reason = "the data set does not exist";
	} else if (!json_string_value(json_object_get(json_object_get(ds, "operational"), "location"))) {
		code = DQ_NO_LOCATION;
		reason = "the data set has no operational.location to read";
	}
	json_decref(ds);
	rc = st->ops->computation_insert(st, r->who.tenant_id, id, batch, dataset,
					 code ? "FAILED" : "REQUESTED", code, reason, now,
					 r->who.user_id);
	if (rc < 0)
		return rc;
	if (out_resp) {
		*out_resp = json_pack("{s:s, s:s, s:s}", "computationId", id, "datasetId", dataset,
				      "status", code ? "FAILED" : "REQUESTED");
		if (code)
			json_object_set_new(*out_resp, "error", json_sprintf("%s: %s", code, reason));
	}
	return STORE_ONE;
}

/* dq_create's transaction: the data set (an unknown id is a bad request:
 * the d.ts has no 404 here), the rights to read its file, then the
 * computation queued. */
struct dq_create_tx {
	const struct req *r;
	const char *dataset;
	json_t *resp; /* out */
	struct api_refusal no;
};

static int dq_create_body(void *cls)
{
	struct dq_create_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	char now[ISO_TS_LEN + 1];
	json_t *ds = NULL;
	json_decref(t->resp);
	t->resp = NULL;
	int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, t->dataset);
	if (rc == STORE_NONE)
		rc = api_refuse(&t->no, ERR_VALIDATION, "'datasetId': data set '%s' does not exist",
				t->dataset);
	else if (rc > 0) /* and the rights to edit this data set */
		rc = api_dataset_file_access_tx(&t->no, r, ds);
	json_decref(ds);
	if (rc != 0)
		return rc;
	clock_now_iso(now);
	return api_wrote(queue_one(r, &t->resp, NULL, t->dataset, now));
}

void dq_create(struct req *r)
{
	json_t *body = NULL;
	/* authorisation first: only DataProductCreator and TenantAdmin ever
	 * make the server read files (docs/decisions.md, issue 8) */
	if (!(r->who.roles & (ROLE_TENANT_ADMIN | ROLE_DP_CREATOR))) {
		reply_error(r, ERR_FORBIDDEN, "starting a quality computation needs the"
					      " DataProductCreator role (or TenantAdmin)");
		return;
	}
	if (!(body = api_body_checked(r, computation_spec)))
		return;
	if (check_sampling(r, body) < 0)
		goto out;
	struct dq_create_tx t = {.r = r,
				 .dataset = json_string_value(json_object_get(body, "datasetId"))};
	if (api_tx_run(r, true, dq_create_body, &t, &t.no) == 0) {
		worker_notify(r->app->workers);
		json_t *resp = t.resp;
		json_object_del(resp, "datasetId");
		json_object_del(resp, "status");
		json_object_del(resp, "error"); /* a FAILED one shows in GET .../computations/{id} */
		reply_header(r, "Location", "/api/data-governance/data-qualities/computations/%s",
			     json_string_value(json_object_get(resp, "computationId")));
		reply_json(r, 202, json_incref(resp));
	}
	json_decref(t.resp);
out:
	json_decref(body);
}

/* dp_compute_quality's transaction: the product (404/403), then a batch
 * with one computation per data set. */
struct compute_tx {
	const struct req *r;
	char batch[GUID_LEN + 1]; /* out */
	json_t *responses;        /* out */
	struct api_refusal no;
};

static int compute_body(void *cls)
{
	struct compute_tx *t = cls;
	const struct req *r = t->r;
	char now[ISO_TS_LEN + 1];
	json_t *doc = NULL;
	json_decref(t->responses);
	t->responses = json_array();
	int rc = api_product_access_tx(&t->no, r, &doc, req_param(r, 0), DP_EDIT);
	if (rc != 0)
		return rc;
	if (ids_guid_new(t->batch) < 0) {
		json_decref(doc);
		return api_refuse(&t->no, ERR_INTERNAL, "no entropy for an id");
	}
	clock_now_iso(now);
	struct store *st = r->app->store;
	rc = st->ops->batch_insert(st, r->who.tenant_id, t->batch, req_param(r, 0), now,
				   r->who.user_id);
	size_t i;
	json_t *id;
	json_array_foreach(json_object_get(doc, "datasetIds"), i, id) {
		json_t *one = NULL;
		if (rc >= 0)
			rc = queue_one(r, &one, t->batch, json_string_value(id), now);
		if (one)
			json_array_append_new(t->responses, one);
	}
	json_decref(doc);
	return api_wrote(rc);
}

void dp_compute_quality(struct req *r)
{
	struct compute_tx t = {.r = r};
	if (api_tx_run(r, true, compute_body, &t, &t.no) == 0) {
		worker_notify(r->app->workers);
		reply_header(r, "Location", "/api/data-governance/data-qualities/batch-computations/%s",
			     t.batch);
		reply_json(r, 202, json_pack("{s:s, s:O}", "batchComputationId", t.batch,
					     "datasetResponses", t.responses));
	}
	json_decref(t.responses);
}

/* ExecutionError of a failed computation record. */
static json_t *execution_error(const json_t *c)
{
	return json_pack("{s:s, s:s, s:s}", "errorCode",
			 json_string_value(json_object_get(c, "errorCode")) ?: DQ_INTERNAL, "reason",
			 json_string_value(json_object_get(c, "errorReason")) ?: "",
			 "executedAt",
			 json_string_value(json_object_get(c, "finishedAt")) ?:
				 json_string_value(json_object_get(c, "requestedAt")));
}

void dq_get(struct req *r)
{
	struct store *st = r->app->store;
	json_t *c = NULL;
	int rc = st->ops->computation_get(st, &c, r->who.tenant_id, req_param(r, 0));
	if (rc <= 0) {
		if (rc < 0)
			api_store_error(r, rc);
		else
			reply_error(r, ERR_NOT_FOUND, "computation '%s' not found", req_param(r, 0));
		return;
	}
	json_t *resp = json_pack("{s:O}", "status", json_object_get(c, "status"));
	if (!strcmp(json_string_value(json_object_get(c, "status")), "FAILED"))
		json_object_set_new(resp, "error", execution_error(c));
	json_decref(c);
	reply_json(r, 200, resp);
}

void dq_batch_get(struct req *r)
{
	struct store *st = r->app->store;
	json_t *list = NULL;
	int rc = st->ops->batch_computations(st, &list, r->who.tenant_id, req_param(r, 0));
	if (rc <= 0) {
		json_decref(list);
		if (rc < 0)
			api_store_error(r, rc);
		else
			reply_error(r, ERR_NOT_FOUND, "batch computation '%s' not found", req_param(r, 0));
		return;
	}
	json_t *statuses = json_array();
	bool finished = true;
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		const char *status = json_string_value(json_object_get(c, "status"));
		finished &= !strcmp(status, "SUCCEEDED") || !strcmp(status, "FAILED");
		json_t *one = json_pack("{s:O, s:O, s:s}", "computationId", json_object_get(c, "id"),
					"datasetId", json_object_get(c, "datasetId"), "status", status);
		if (json_object_get(c, "errorCode"))
			json_object_set(one, "errorCode", json_object_get(c, "errorCode"));
		json_array_append_new(statuses, one);
	}
	json_decref(list);
	reply_json(r, 200, json_pack("{s:s, s:o, s:s}", "batchComputationId", req_param(r, 0),
				     "computationStatuses", statuses, "status",
				     finished ? "FINISHED" : "IN_PROGRESS"));
}

/* QualityGlobalResultsResponse of a data set's latest result, or NULL. */
static int latest(const struct req *r, json_t **out, json_t **result, char *at, char *by,
		  const char *dataset)
{
	struct store *st = r->app->store;
	json_t *q = NULL;
	int rc = st->ops->quality_latest(st, &q, at, by, r->who.tenant_id, dataset);
	if (rc < 0)
		return rc;
	*out = rc == STORE_ONE ? json_pack("{s:O, s:O, s:O, s:O, s:s}", "valid",
					   json_object_get(q, "valid"), "invalid",
					   json_object_get(q, "invalid"), "empty",
					   json_object_get(q, "empty"), "total",
					   json_object_get(q, "total"), "updatedAt", at)
			       : NULL;
	if (result)
		*result = q;
	else
		json_decref(q);
	return 0;
}

/* dq_global_results' transaction: the data set (404) and its latest result. */
struct results_tx {
	const struct req *r;
	const char *dataset;
	json_t *q; /* out */
	struct api_refusal no;
};

static int results_body(void *cls)
{
	struct results_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	json_t *ds = NULL;
	char at[ISO_TS_LEN + 1], by[GUID_LEN + 1];
	json_decref(t->q);
	t->q = NULL;
	int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, t->dataset);
	json_decref(ds);
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE)
		return api_refuse(&t->no, ERR_NOT_FOUND, "data set '%s' not found", t->dataset);
	return latest(r, &t->q, NULL, at, by, t->dataset);
}

void dq_global_results(struct req *r)
{
	const char *dataset = req_query(r, "datasetId");
	const char *conn = req_query(r, "connectionId");
	if (!dataset || !ids_guid_valid(dataset)) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'datasetId' is required and must be a"
						  " lower-case GUID");
		return;
	}
	struct results_tx t = {.r = r, .dataset = dataset};
	if (api_tx_run(r, false, results_body, &t, &t.no) < 0)
		return;
	json_t *q = t.q;
	json_t *qualities = json_array();
	if (!conn || !strcmp(conn, FILE_CONNECTION)) {
		json_t *one = json_pack("{s:s}", "connectionId", FILE_CONNECTION);
		if (q)
			json_object_set(one, "quality", q);
		json_array_append_new(qualities, one);
	}
	json_decref(q);
	reply_json(r, 200, json_pack("{s:s, s:o}", "datasetId", dataset, "qualities", qualities));
}

/* A list of 1..100 unique GUIDs at body[key] (array of strings, or of
 * objects holding the id at member `inner`). New array or NULL + reply. */
static json_t *id_list(struct req *r, const json_t *body, const char *key, const char *inner)
{
	const json_t *arr = json_object_get(body, key);
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 100) {
		reply_error(r, ERR_VALIDATION, "'%s' must be an array of 1 to 100 items", key);
		return NULL;
	}
	json_t *ids = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const json_t *id = inner ? json_object_get(v, inner) : v;
		if (!ids_guid_valid(json_string_value(id))) {
			reply_error(r, ERR_VALIDATION, "'%s[%zu]%s%s' must be a lower-case GUID", key, i,
				    inner ? "." : "", inner ? inner : "");
			json_decref(ids);
			return NULL;
		}
		json_array_append(ids, (json_t *)id);
	}
	return ids;
}

static json_t *filter_body(struct req *r, const char *key, const char *inner, json_t **ids)
{
	json_t *body = api_body_json(r);
	if (!body)
		return NULL;
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if (strcmp(k, key)) {
			reply_error(r, ERR_VALIDATION, "unknown field '%.64s'", k);
			json_decref(body);
			return NULL;
		}
	}
	if (!(*ids = id_list(r, body, key, inner))) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/* dq_global_filter's transaction: per data set its last attempt and
 * latest result, in one snapshot. */
struct filter_tx {
	const struct req *r;
	const json_t *ids;
	json_t *out; /* out */
};

static int global_filter_body(void *cls)
{
	struct filter_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	size_t i;
	json_t *id;
	json_decref(t->out);
	t->out = json_array();
	json_array_foreach(t->ids, i, id) {
		json_t *last = NULL, *q = NULL;
		char at[ISO_TS_LEN + 1], by[GUID_LEN + 1];
		int rc = st->ops->quality_last_attempt(st, &last, r->who.tenant_id, json_string_value(id));
		if (rc < 0)
			return rc;
		if (rc == STORE_NONE) /* never computed (or another tenant's): nothing to report */
			continue;
		if ((rc = latest(r, &q, NULL, at, by, json_string_value(id))) < 0) {
			json_decref(last);
			return rc;
		}
		json_t *one = json_pack("{s:s, s:O, s:O}", "connectionId", FILE_CONNECTION, "datasetId",
					id, "status", json_object_get(last, "status"));
		if (q)
			json_object_set_new(one, "quality", q);
		if (!strcmp(json_string_value(json_object_get(last, "status")), "FAILED"))
			json_object_set_new(one, "error", execution_error(last));
		json_array_append_new(t->out, one);
		json_decref(last);
	}
	return 0;
}

void dq_global_filter(struct req *r)
{
	json_t *ids = NULL, *body = filter_body(r, "datasetIds", NULL, &ids);
	if (!body)
		return;
	struct filter_tx t = {.r = r, .ids = ids};
	if (api_tx_run(r, false, global_filter_body, &t, NULL) == 0)
		reply_json(r, 200, json_pack("{s:O}", "dataQualities", t.out));
	json_decref(t.out);
	json_decref(ids);
	json_decref(body);
}

static int fields_filter_body(void *cls)
{
	struct filter_tx *t = cls;
	const struct req *r = t->r;
	size_t i;
	json_t *id;
	json_decref(t->out);
	t->out = json_array();
	json_array_foreach(t->ids, i, id) {
		json_t *q = NULL, *result = NULL;
		char at[ISO_TS_LEN + 1], by[GUID_LEN + 1];
		int rc = latest(r, &q, &result, at, by, json_string_value(id));
		if (rc < 0)
			return rc;
		json_decref(q);
		if (!result)
			continue;
		json_t *fields = json_array();
		size_t k;
		json_t *f;
		/* the fields that count toward quality: the declared ones, or every
		 * column when the data set declares none (docs/quality.md) */
		bool any_declared = false;
		json_array_foreach(json_object_get(result, "fields"), k, f)
			any_declared |= json_is_true(json_object_get(f, "declared"));
		json_array_foreach(json_object_get(result, "fields"), k, f) {
			if (any_declared && !json_is_true(json_object_get(f, "declared")))
				continue;
			json_t *counts = json_pack("{s:O, s:O, s:O, s:O}", "valid", json_object_get(f, "valid"),
						   "invalid", json_object_get(f, "invalid"), "empty",
						   json_object_get(f, "empty"), "total",
						   json_object_get(f, "total"));
			json_array_append_new(
				fields, json_pack("{s:O, s:{s:o, s:[], s:o}, s:{s:s, s:O}}", "name",
						  json_object_get(f, "name"), "quality", "aggregated",
						  counts, "rules", "type", json_deep_copy(counts), "type",
						  "kind", "STANDARD", "name", json_object_get(f, "dataType")));
		}
		json_array_append_new(t->out, json_pack("{s:{s:s, s:{s:s}}, s:O, s:o}", "computed", "at",
							at, "by", "id", by, "datasetId", id, "fields",
							fields));
		json_decref(result);
	}
	return 0;
}

void dq_fields_filter(struct req *r)
{
	json_t *ids = NULL, *body = filter_body(r, "datasets", "datasetId", &ids);
	if (!body)
		return;
	struct filter_tx t = {.r = r, .ids = ids};
	if (api_tx_run(r, false, fields_filter_body, &t, NULL) == 0)
		reply_json(r, 200, json_pack("{s:O}", "fieldQualities", t.out));
	json_decref(t.out);
	json_decref(ids);
	json_decref(body);
}
