/* provider: fills a provider URL template (generate-provider-url) from a
 * data set. Templates come from the config file, one per data store type,
 * with {placeholders}; docs/provider-urls.md lists them. */
#ifndef DP_PROVIDER_H
#define DP_PROVIDER_H
#include <jansson.h>
#include <stddef.h>

/* Checks that every {placeholder} in tpl is known and braces balance.
 * -1 + err otherwise. */
int provider_template_check(const char *tpl, char *err, size_t errlen);
/* The data set's data store type, lower-cased (dataAssetInfo.dataStoreInfo.
 * type), into out; "" when it has none. */
void provider_store_type(char *out, size_t cap, const json_t *dataset);
/* Expands tpl with values from the data set, percent-encoding each value.
 * Returns a new string, or NULL and the missing placeholder's name in
 * missing (the data set lacks that value). */
char *provider_expand(const char *tpl, const json_t *dataset, char *missing, size_t cap);

#endif
