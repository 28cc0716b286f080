/* permissions: SPEC §4. A TenantAdmin may do everything in its tenant; a
 * space owner counts as facilitator; the owner of a personal product counts
 * as facilitator of that personal area. */
#include "domain/permissions.h"
#include <string.h>
#include "domain/roles.h"

static const char *const role_names[SR_COUNT] = {
	"consumer", "contributor", "dataconsumer", "datapreview", "facilitator",
	"operator", "producer", "publisher", "basicconsumer", "codeveloper",
};

unsigned perm_role_from_name(const char *name)
{
	for (int i = 0; name && i < SR_COUNT; i++)
		if (!strcmp(role_names[i], name))
			return 1u << i;
	return 0;
}

const char *perm_role_name(unsigned bit)
{
	for (int i = 0; i < SR_COUNT; i++)
		if (bit == 1u << i)
			return role_names[i];
	return NULL;
}

int perm_space_kind(enum space_kind *out, const char *type)
{
	if (!type)
		return -1;
	if (!strcmp(type, "shared"))
		*out = SPACE_SHARED;
	else if (!strcmp(type, "managed"))
		*out = SPACE_MANAGED;
	else if (!strcmp(type, "data"))
		*out = SPACE_DATA;
	else
		return -1;
	return 0;
}

unsigned perm_assignable_roles(enum space_kind kind)
{
	switch (kind) {
	case SPACE_SHARED:
		return SR_CONSUMER | SR_BASICCONSUMER | SR_DATACONSUMER | SR_PRODUCER |
		       SR_CODEVELOPER | SR_FACILITATOR;
	case SPACE_MANAGED:
		return SR_CONSUMER | SR_BASICCONSUMER | SR_DATACONSUMER | SR_CONTRIBUTOR |
		       SR_PUBLISHER | SR_FACILITATOR | SR_OPERATOR;
	case SPACE_DATA:
		return SR_CONSUMER | SR_DATACONSUMER | SR_DATAPREVIEW | SR_PRODUCER |
		       SR_FACILITATOR | SR_OPERATOR;
	case SPACE_PERSONAL:
		break;
	}
	return 0;
}

static unsigned effective(const struct perm_ctx *c)
{
	return c->space_roles | (c->owner ? SR_FACILITATOR : 0);
}

/* Rights on data products in the space, given the effective roles. */
static bool may(const struct perm_ctx *c, unsigned roles, enum dp_action action)
{
	switch (action) {
	case DP_VIEW:
		return true;
	case DP_CREATE:
	case DP_EDIT:
		return (c->user_roles & ROLE_DP_CREATOR) &&
		       (roles & (SR_PRODUCER | SR_CONTRIBUTOR | SR_FACILITATOR));
	case DP_PUBLISH:
		return roles & (SR_PUBLISHER | SR_FACILITATOR);
	}
	return false;
}

enum perm_verdict perm_in_space(const struct perm_ctx *c, enum dp_action action)
{
	if (c->user_roles & ROLE_TENANT_ADMIN)
		return PERM_ALLOW;
	unsigned roles = effective(c);
	if (roles == 0) /* the space itself is invisible */
		return PERM_HIDDEN;
	return may(c, roles, action) ? PERM_ALLOW : PERM_FORBIDDEN;
}

enum perm_verdict perm_product(const struct perm_ctx *c, enum dp_action action)
{
	if (action == DP_CREATE)
		return perm_in_space(c, action);
	if (c->user_roles & ROLE_TENANT_ADMIN)
		return PERM_ALLOW;
	unsigned roles = effective(c);
	/* drafts and deactivated products: a producing role; activated ones
	 * (the marketplace view): any role plus a data product user role */
	bool sees = (roles & SR_PRODUCING) ||
		    (c->activated && roles != 0 &&
		     (c->user_roles & (ROLE_DP_CONSUMER | ROLE_DP_CREATOR)));
	if (!sees)
		return PERM_HIDDEN;
	return may(c, roles, action) ? PERM_ALLOW : PERM_FORBIDDEN;
}

/* Move S -> T: delete rights in S and create rights in T; an activated
 * product also needs publish rights in S and T, or moving would publish it
 * where its mover may not (or unpublish it where they may not). */
enum perm_verdict perm_move_out(const struct perm_ctx *from)
{
	enum perm_verdict v = perm_product(from, DP_EDIT);
	if (v == PERM_ALLOW && from->activated)
		v = perm_product(from, DP_PUBLISH);
	return v;
}

enum perm_verdict perm_move_in(const struct perm_ctx *to, bool activated)
{
	enum perm_verdict v = perm_in_space(to, DP_CREATE);
	if (v == PERM_ALLOW && activated)
		v = perm_in_space(to, DP_PUBLISH);
	return v;
}

enum perm_verdict perm_product_move(const struct perm_ctx *from, const struct perm_ctx *to,
				    bool *in_target)
{
	bool target_dummy;
	if (!in_target)
		in_target = &target_dummy;
	*in_target = false;
	enum perm_verdict v = perm_move_out(from);
	if (v != PERM_ALLOW)
		return v;
	*in_target = true;
	return perm_move_in(to, from->activated);
}

enum perm_scope perm_view_scope(const struct perm_ctx *c)
{
	struct perm_ctx x = *c;
	x.activated = false;
	if (perm_product(&x, DP_VIEW) == PERM_ALLOW)
		return SCOPE_ALL;
	x.activated = true;
	if (perm_product(&x, DP_VIEW) == PERM_ALLOW)
		return SCOPE_ACTIVATED;
	return SCOPE_NONE;
}

enum perm_verdict perm_space(const struct perm_ctx *c, enum space_action action)
{
	if (c->user_roles & ROLE_TENANT_ADMIN)
		return PERM_ALLOW;
	unsigned roles = effective(c);
	if (roles == 0)
		return PERM_HIDDEN;
	switch (action) {
	case SPACE_VIEW:
		return PERM_ALLOW;
	case SPACE_MANAGE:
		return roles & SR_FACILITATOR ? PERM_ALLOW : PERM_FORBIDDEN;
	case SPACE_OWN:
		return c->owner ? PERM_ALLOW : PERM_FORBIDDEN;
	}
	return PERM_FORBIDDEN;
}

enum perm_verdict perm_dataset_create(const struct perm_ctx *c)
{
	if (c->user_roles & ROLE_TENANT_ADMIN)
		return PERM_ALLOW;
	unsigned roles = effective(c);
	if (roles == 0)
		return PERM_HIDDEN;
	return roles & (SR_PRODUCER | SR_CONTRIBUTOR | SR_FACILITATOR) ? PERM_ALLOW : PERM_FORBIDDEN;
}

bool perm_space_create(unsigned user_roles, enum space_kind kind)
{
	if (user_roles & ROLE_TENANT_ADMIN)
		return kind != SPACE_PERSONAL;
	return (user_roles & ROLE_DP_CREATOR) && (kind == SPACE_SHARED || kind == SPACE_DATA);
}
