/* errors: central error-code table. Adding a code = one row here, one enum
 * entry in errors.h, and its three mentions in docs/openapi.json. */
#include "http/errors.h"

static const struct err_info table[ERR__COUNT] = {
	[ERR_BAD_REQUEST] = {"DP-400-BAD-REQUEST", 400, "Bad request"},
	[ERR_INVALID_JSON] = {"DP-400-INVALID-JSON", 400, "Malformed JSON body"},
	[ERR_VALIDATION] = {"DP-400-VALIDATION", 400, "Invalid field value"},
	[ERR_INVALID_ID] = {"DP-400-INVALID-ID", 400, "Identifier is not a GUID"},
	[ERR_INVALID_QUERY] = {"DP-400-INVALID-QUERY", 400, "Invalid query parameter"},
	[ERR_UNAUTHORIZED] = {"DP-401-UNAUTHORIZED", 401, "Missing or invalid credentials"},
	[ERR_FORBIDDEN] = {"DP-403-FORBIDDEN", 403, "Not allowed"},
	[ERR_NOT_FOUND] = {"DP-404-NOT-FOUND", 404, "Resource not found"},
	[ERR_ROUTE_NOT_FOUND] = {"DP-404-ROUTE-NOT-FOUND", 404, "No such endpoint"},
	[ERR_METHOD_NOT_ALLOWED] = {"DP-405-METHOD-NOT-ALLOWED", 405, "Method not allowed"},
	[ERR_NOT_ACCEPTABLE] = {"DP-406-NOT-ACCEPTABLE", 406, "Cannot produce an acceptable media type"},
	[ERR_CONFLICT] = {"DP-409-CONFLICT", 409, "Conflict with the current state"},
	[ERR_ACTIVATION_INVALID] = {"DP-409-ACTIVATION-INVALID", 409, "Data product cannot be activated"},
	[ERR_PRODUCT_ACTIVATED] = {"DP-409-PRODUCT-ACTIVATED", 409, "Data product is activated"},
	[ERR_PRODUCT_NOT_ACTIVATED] = {"DP-409-PRODUCT-NOT-ACTIVATED", 409, "Data product is not activated"},
	[ERR_PRECONDITION_FAILED] = {"DP-412-PRECONDITION-FAILED", 412, "Precondition failed"},
	[ERR_PAYLOAD_TOO_LARGE] = {"DP-413-PAYLOAD-TOO-LARGE", 413, "Request body too large"},
	[ERR_UNSUPPORTED_MEDIA_TYPE] = {"DP-415-UNSUPPORTED-MEDIA-TYPE", 415, "Unsupported Content-Type"},
	[ERR_UNSUPPORTED_FORMAT] = {"DP-415-UNSUPPORTED-FORMAT", 415, "Unsupported export format"},
	[ERR_RATE_LIMITED] = {"DP-429-RATE-LIMITED", 429, "Too many requests"},
	[ERR_INTERNAL] = {"DP-500-INTERNAL", 500, "Internal server error"},
	[ERR_UNAVAILABLE] = {"DP-503-UNAVAILABLE", 503, "Service temporarily unavailable"},
	[ERR_PROVIDER_NOT_CONFIGURED] = {"DP-404-PROVIDER-NOT-CONFIGURED", 404,
					 "No provider URL template for this data store type"},
	[ERR_STORAGE_UNAVAILABLE] = {"DP-503-STORAGE-UNAVAILABLE", 503, "Storage unavailable"},
	[ERR_TOO_MANY_KEYS] = {"DP-403-TOO-MANY-KEYS", 403, "API key limit reached"},
	[ERR_HOST_NOT_ALLOWED] = {"DP-400-HOST-NOT-ALLOWED", 400, "Host not allowed"},
	[ERR_MALFORMED_REQUEST] = {"DP-400-MALFORMED-REQUEST", 400, "Malformed HTTP request"},
	[ERR_REQUEST_TIMEOUT] = {"DP-408-REQUEST-TIMEOUT", 408, "Request not received in time"},
	[ERR_ORIGIN] = {"DP-403-ORIGIN", 403, "Cross-origin request refused"},
	[ERR_QUOTA_EXCEEDED] = {"DP-409-QUOTA-EXCEEDED", 409, "Tenant quota reached"},
};

const struct err_info *errors_get(enum err_id id)
{
	if ((unsigned)id >= ERR__COUNT)
		id = ERR_INTERNAL;
	return &table[id];
}
