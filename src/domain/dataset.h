/* dataset: validation and construction of data set documents in the shape
 * of @qlik/api's DataSet (data-sets.d.ts). Pure. */
#ifndef DP_DATASET_H
#define DP_DATASET_H
#include <jansson.h>
#include <stddef.h>

/* Checks a create body; -1 + err naming the field. */
int dataset_validate(const json_t *body, char *err, size_t errlen);
/* Builds the stored document: server fields stamped, qri/secureQri and
 * dataAssetInfo generated when absent. asset_id/store_id are fresh GUIDs. */
json_t *dataset_new(const json_t *body, const char *id, const char *tenant, const char *user,
		    const char *now, const char *asset_id, const char *store_id);

#endif
