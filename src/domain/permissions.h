/* permissions: the permission matrix of SPEC §4 as pure functions, so one
 * place decides and unit tests can enumerate roles x space types x verbs.
 *
 * Verdicts distinguish "you may not" (403) from "there is nothing here for
 * you" (404): a caller who cannot see a resource must not learn it exists. */
#ifndef DP_PERMISSIONS_H
#define DP_PERMISSIONS_H
#include <stdbool.h>

/* Space roles (RoleType of spaces.d.ts), as bits. */
enum space_role {
	SR_CONSUMER = 1u << 0,
	SR_CONTRIBUTOR = 1u << 1,
	SR_DATACONSUMER = 1u << 2,
	SR_DATAPREVIEW = 1u << 3,
	SR_FACILITATOR = 1u << 4,
	SR_OPERATOR = 1u << 5,
	SR_PRODUCER = 1u << 6,
	SR_PUBLISHER = 1u << 7,
	SR_BASICCONSUMER = 1u << 8,
	SR_CODEVELOPER = 1u << 9,
};
#define SR_COUNT 10

enum space_kind { SPACE_PERSONAL, SPACE_SHARED, SPACE_MANAGED, SPACE_DATA };

enum perm_verdict { PERM_ALLOW = 0, PERM_FORBIDDEN = 403, PERM_HIDDEN = 404 };

enum dp_action {
	DP_VIEW,    /* get, export, changelogs, appear in lists */
	DP_CREATE,  /* create in the space */
	DP_EDIT,    /* patch, delete, compute quality */
	DP_PUBLISH, /* activate, deactivate */
};

/* Producing roles: they see drafts and deactivated products of a space. The
 * others (consumer, basicconsumer, dataconsumer, datapreview) see only its
 * activated products, and only with DataProductConsumer or -Creator. */
#define SR_PRODUCING                                                                           \
	(SR_PRODUCER | SR_CONTRIBUTOR | SR_PUBLISHER | SR_FACILITATOR | SR_CODEVELOPER |          \
	 SR_OPERATOR)

enum space_action {
	SPACE_VIEW,   /* get, list, read assignments */
	SPACE_MANAGE, /* patch name/description, add/remove assignments */
	SPACE_OWN,    /* delete, change owner */
};

/* The caller as seen from one space: its tenant roles (ROLE_* bits of
 * domain/roles.h), its space roles there, and whether it owns the space.
 * For a personal product the "space" is the owner's personal area: kind
 * SPACE_PERSONAL and owner = caller owns the product. `activated` is the
 * state of the product acted on (perm_product only; drafts and deactivated
 * products are not part of the marketplace view). */
struct perm_ctx {
	unsigned user_roles;
	enum space_kind kind;
	unsigned space_roles;
	bool owner;
	bool activated;
};

/* `action` on one product (c->activated its state): 404 when the caller may
 * not see it, 403 when it may see it but not do `action`. DP_CREATE asks
 * about the space as a container (same as perm_in_space). */
enum perm_verdict perm_product(const struct perm_ctx *c, enum dp_action action);
/* `action` (DP_CREATE: create in; DP_PUBLISH: publish into) with data
 * products in the space of c as a container, not on one product: 404 when
 * the space is invisible (no role, not owned), else 403 without the right. */
enum perm_verdict perm_in_space(const struct perm_ctx *c, enum dp_action action);
/* Moving a product from the space of `from` (from->activated its state) to
 * the space of `to`: delete rights in from, create rights in to and, for an
 * activated product, publish rights in both. *in_target (may be NULL) tells
 * whether a refusal concerns the target space. */
enum perm_verdict perm_product_move(const struct perm_ctx *from, const struct perm_ctx *to,
				    bool *in_target);
/* The two halves of perm_product_move, in the order it applies them (a
 * handler checks the source before it reads the target from the body). */
enum perm_verdict perm_move_out(const struct perm_ctx *from);
enum perm_verdict perm_move_in(const struct perm_ctx *to, bool activated);

/* Which products of one space (or personal area) a caller sees, derived
 * from perm_product(DP_VIEW): all of them, only the activated ones, or none.
 * List queries filter by this, so a list shows exactly what get shows. */
enum perm_scope { SCOPE_NONE = 0, SCOPE_ACTIVATED = 1, SCOPE_ALL = 2 };
enum perm_scope perm_view_scope(const struct perm_ctx *c);
enum perm_verdict perm_space(const struct perm_ctx *c, enum space_action action);
/* Creating a data set in a space needs an editing role there (producer,
 * contributor, facilitator or owner) or TenantAdmin. */
enum perm_verdict perm_dataset_create(const struct perm_ctx *c);
/* Who may create a space of this kind (TenantAdmin: any; DataProductCreator:
 * shared and data; nobody else). */
bool perm_space_create(unsigned user_roles, enum space_kind kind);
/* Roles that may be assigned in a space of this kind (bits). */
unsigned perm_assignable_roles(enum space_kind kind);

/* Name <-> bit conversions; 0 / NULL when unknown. */
unsigned perm_role_from_name(const char *name);
const char *perm_role_name(unsigned bit);
int perm_space_kind(enum space_kind *out, const char *type);

#endif
