/* product: pure rules for data products (SPEC §3): building a new product
 * from a create request, applying JSON Patch, activation checks, and the
 * changelog changes each step produces. No I/O: whatever needs the store
 * (existence of data sets, users, spaces) is checked by src/api. */
#ifndef DP_PRODUCT_H
#define DP_PRODUCT_H
#include <jansson.h>
#include <stddef.h>
#include "domain/jsonspec.h"

#define PRODUCT_NAME_MAX 256
#define PRODUCT_MAX_IDS 100
#define PRODUCT_MAX_PATCH_OPS 8

extern const struct field_spec product_create_spec[];
extern const struct field_spec product_activate_spec[];
extern const struct field_spec product_move_spec[];

struct product_actor {
	const char *tenant_id;
	const char *user_id;
	const char *now; /* ISO timestamp */
};

/* Validates a create body (types and cross-field rules). -1 + err. */
int product_validate_create(const json_t *body, char *err, size_t errlen);
/* Builds the stored product from a validated create body; *changes gets the
 * creation's changelog ops ("add" of each set field). */
json_t *product_new(const json_t *body, const char *id, const struct product_actor *who,
		    json_t **changes);

/* Validates a JSON Patch array against the allow-list of
 * PatchDataProductRequest (replace only, <= 8 ops). -1 + err. */
int product_patch_validate(const json_t *ops, char *err, size_t errlen);
/* Applies validated ops to a copy of doc. Returns the new document and, in
 * *changes, one "replace" change per op that changed something. Cross-field
 * rules (apiConsumableDatasetIds subset) are checked on the result: NULL +
 * err when violated. */
json_t *product_patch_apply(const json_t *doc, const json_t *ops, json_t **changes, char *err,
			    size_t errlen);

/* Stamps updatedAt/By and grows pendingChangesCount by the change count
 * when the product is activated. */
void product_touch(json_t *doc, const struct product_actor *who, size_t nchanges);

/* Lists every reason doc cannot be activated ("; "-separated) into err;
 * missing_datasets names data sets that no longer exist. 0 = activatable. */
int product_activation_problems(const json_t *doc, const json_t *missing_datasets, char *err,
				size_t errlen);
/* Applies an activation body (validated by product_activate_spec) and
 * returns the changelog changes. target_space may be NULL. */
json_t *product_activate(json_t *doc, const json_t *body, const char *target_space,
			 const struct product_actor *who);
/* Deactivates; returns the changes ("remove" of /activatedOn). */
json_t *product_deactivate(json_t *doc, const struct product_actor *who);
/* Moves to space_id; returns the changes (empty when already there). */
json_t *product_move(json_t *doc, const char *space_id, const struct product_actor *who);

/* A changelog entry {id, createdAt, createdBy, changes}. Steals changes. */
json_t *changelog_entry_new(const char *id, const struct product_actor *who, json_t *changes);
/* Appends {operator, path, value} to changes; value is borrowed (copied). */
void changelog_add_change(json_t *changes, const char *op, const char *path, const json_t *value);

#endif
