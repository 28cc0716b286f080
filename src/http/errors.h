/* errors: the one table of error codes every 4xx/5xx body is built from
 * (SPEC §2 envelope). Codes are stable; each one is documented in
 * docs/openapi.json three times (ErrorCode enum, x-enum-descriptions and the
 * table in info.description) and tests/api/openapi.test.mjs checks all three. */
#ifndef DP_ERRORS_H
#define DP_ERRORS_H

enum err_id {
	ERR_BAD_REQUEST,
	ERR_INVALID_JSON,
	ERR_VALIDATION,
	ERR_INVALID_ID,
	ERR_INVALID_QUERY,
	ERR_UNAUTHORIZED,
	ERR_FORBIDDEN,
	ERR_NOT_FOUND,
	ERR_ROUTE_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_NOT_ACCEPTABLE,
	ERR_CONFLICT,
	ERR_ACTIVATION_INVALID,
	ERR_PRODUCT_ACTIVATED,
	ERR_PRODUCT_NOT_ACTIVATED,
	ERR_PRECONDITION_FAILED,
	ERR_PAYLOAD_TOO_LARGE,
	ERR_UNSUPPORTED_MEDIA_TYPE,
	ERR_UNSUPPORTED_FORMAT,
	ERR_RATE_LIMITED,
	ERR_INTERNAL,
	ERR_UNAVAILABLE,
	ERR_PROVIDER_NOT_CONFIGURED,
	ERR_STORAGE_UNAVAILABLE,
	ERR_TOO_MANY_KEYS,
	ERR_HOST_NOT_ALLOWED,
	ERR_MALFORMED_REQUEST,
	ERR_REQUEST_TIMEOUT,
	ERR_ORIGIN,
	ERR_QUOTA_EXCEEDED,
	ERR__COUNT
};

struct err_info {
	const char *code;
	unsigned status;
	const char *title;
};

const struct err_info *errors_get(enum err_id id);

#endif
