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

enum space_action {
	SPACE_VIEW,   /* get, list, read assignments */
	SPACE_MANAGE, /* patch name/description, add/remove assignments */
	SPACE_OWN,    /* delete, change owner */
};

/* The caller as seen from one space: its tenant roles (ROLE_* bits of
 * http/request.h), its space roles there, and whether it owns the space.
 * For a personal product the "space" is the owner's personal area: kind
 * SPACE_PERSONAL and owner = caller owns the product. */
struct perm_ctx {
	unsigned user_roles;
	enum space_kind kind;
	unsigned space_roles;
	bool owner;
};

enum perm_verdict perm_product(const struct perm_ctx *c, enum dp_action action);
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
