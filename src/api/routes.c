/* routes: the static routing table. Tiers follow the API description's rate
 * limit facts (Tier 1 reads, Tier 2 writes/actions). */
#include "api/api.h"

#define DP "/api/data-governance/data-products"

const struct route api_routes[] = {
	{"GET", DP, dp_list, TIER_1, true},
	{"POST", DP, dp_create, TIER_2, true},
	{"POST", DP "/actions/generate-provider-url", dp_provider_url, TIER_2, true},
	{"GET", DP "/{dataProductId}", dp_get, TIER_1, true},
	{"PATCH", DP "/{dataProductId}", dp_patch, TIER_2, true},
	{"DELETE", DP "/{dataProductId}", dp_delete, TIER_2, true},
	{"POST", DP "/{dataProductId}/actions/activate", dp_activate, TIER_2, true},
	{"POST", DP "/{dataProductId}/actions/deactivate", dp_deactivate, TIER_2, true},
	{"POST", DP "/{dataProductId}/actions/move", dp_move, TIER_2, true},
	{"GET", DP "/{dataProductId}/actions/export-documentation", dp_export, TIER_1, true},
	{"GET", DP "/{dataProductId}/changelogs", dp_changelogs, TIER_1, true},
	{"GET", "/api/v1/spaces", spaces_list, TIER_1, true},
	{"POST", "/api/v1/spaces", spaces_create, TIER_2, true},
	{"GET", "/api/v1/spaces/{spaceId}", spaces_get, TIER_1, true},
	{"POST", "/api/v1/data-sets", datasets_create, TIER_2, true},
	{"GET", "/api/v1/data-sets/{dataSetId}", datasets_get, TIER_1, true},
	{"GET", "/health", meta_health, TIER_NONE, false},
	{"GET", "/ready", meta_ready, TIER_NONE, false},
	{"GET", "/metrics", meta_metrics, TIER_NONE, false},
	{"GET", "/api/openapi.json", meta_openapi, TIER_NONE, false},
	{NULL, NULL, NULL, TIER_NONE, false},
};

const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]) - 1;
