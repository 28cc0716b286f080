/* test_permissions: src/domain/permissions.c against an independent model
 * of SPEC §4 written from the table's words, over every combination of tenant
 * roles x space kind x space role set x ownership x verb (65,536 cases per
 * verb), plus the space rules and role tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>
#include "domain/permissions.h"
#include "http/request.h"

/* Does the set of role names `held` contain any of the names in `wanted`? */
static bool holds_any(unsigned held, const char *const *wanted)
{
	for (; *wanted; wanted++)
		if (held & perm_role_from_name(*wanted))
			return true;
	return false;
}

/* SPEC §4 (revised, issue 8), read literally from the table's words. */
static const char *const producing[] = {"producer", "contributor", "publisher", "facilitator",
					"codeveloper", "operator", NULL};
static const char *const editors[] = {"producer", "contributor", "facilitator", NULL};
static const char *const publishers[] = {"publisher", "facilitator", NULL};

/* "view a draft or deactivated product: a producing role in S"; "view an
 * activated product: any role in S AND DataProductConsumer or -Creator". */
static bool model_sees(unsigned user_roles, unsigned space_roles, bool activated)
{
	if (holds_any(space_roles, producing))
		return true;
	return activated && space_roles != 0 &&
	       (user_roles & (ROLE_DP_CONSUMER | ROLE_DP_CREATOR));
}

/* The space as a container (create in it, publish into it): visible with
 * any role, as GET /spaces/{id} is. */
static enum perm_verdict model_in_space(unsigned user_roles, unsigned space_roles, bool owner,
					enum dp_action a)
{
	if (user_roles & ROLE_TENANT_ADMIN)
		return PERM_ALLOW;
	if (owner)
		space_roles |= perm_role_from_name("facilitator");
	if (space_roles == 0)
		return PERM_HIDDEN;
	bool allowed = a == DP_PUBLISH ? holds_any(space_roles, publishers)
					: (user_roles & ROLE_DP_CREATOR) && holds_any(space_roles, editors);
	return allowed ? PERM_ALLOW : PERM_FORBIDDEN;
}

static enum perm_verdict model_product(unsigned user_roles, unsigned space_roles, bool owner,
				       bool activated, enum dp_action a)
{
	if (a == DP_CREATE) /* no product yet: a question about the space */
		return model_in_space(user_roles, space_roles, owner, a);
	if (user_roles & ROLE_TENANT_ADMIN)
		return PERM_ALLOW; /* "TenantAdmin may do everything in its tenant" */
	if (owner)
		space_roles |= perm_role_from_name("facilitator"); /* "owner counts as facilitator" */
	if (!model_sees(user_roles, space_roles, activated))
		return PERM_HIDDEN; /* cannot see it -> 404 */
	bool allowed = false;
	switch (a) {
	case DP_VIEW:
		allowed = true;
		break;
	case DP_CREATE:
	case DP_EDIT:
		allowed = (user_roles & ROLE_DP_CREATOR) && holds_any(space_roles, editors);
		break;
	case DP_PUBLISH:
		allowed = holds_any(space_roles, publishers);
		break;
	}
	return allowed ? PERM_ALLOW : PERM_FORBIDDEN; /* can see, may not -> 403 */
}

static void product_matrix_matches_the_spec_everywhere(void **state)
{
	(void)state;
	long cases = 0;
	for (unsigned ur = 0; ur < 8; ur++)
		for (int kind = SPACE_PERSONAL; kind <= SPACE_DATA; kind++)
			for (unsigned sr = 0; sr < (1u << SR_COUNT); sr++)
				for (int owner = 0; owner < 2; owner++)
					for (int act = 0; act < 2; act++)
						for (int a = DP_VIEW; a <= DP_PUBLISH; a++) {
							struct perm_ctx c = {ur, (enum space_kind)kind, sr, owner, act};
							enum perm_verdict got = perm_product(&c, (enum dp_action)a);
							enum perm_verdict want =
								model_product(ur, sr, owner, act, (enum dp_action)a);
							if (got != want)
								fail_msg("user %u kind %d roles %#x owner %d activated %d"
									 " action %d: got %d want %d",
									 ur, kind, sr, owner, act, a, got, want);
							if (a == DP_CREATE || a == DP_PUBLISH) {
								got = perm_in_space(&c, (enum dp_action)a);
								want = model_in_space(ur, sr, owner, (enum dp_action)a);
								if (got != want)
									fail_msg("in space: user %u roles %#x owner %d"
										 " action %d: got %d want %d",
										 ur, sr, owner, a, got, want);
							}
							cases++;
						}
	assert_int_equal(cases, 8L * 4 * 1024 * 2 * 2 * 4);
}

/* "move from S to T: delete rights in S AND create rights in T; for an
 * activated product also publish rights in S AND T", the verdict of the
 * first refusal: S first (404 when the product is invisible), then T. */
static void move_matches_the_spec_everywhere(void **state)
{
	(void)state;
	/* role sets that cover every distinct answer of the model per space */
	static const unsigned sets[] = {0,
					SR_CONSUMER,
					SR_CONTRIBUTOR,
					SR_PUBLISHER,
					SR_FACILITATOR,
					SR_PRODUCER,
					SR_OPERATOR,
					SR_CONTRIBUTOR | SR_PUBLISHER,
					SR_DATACONSUMER | SR_CODEVELOPER};
	const int n = sizeof sets / sizeof sets[0];
	long cases = 0;
	for (unsigned ur = 0; ur < 8; ur++)
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				for (int so = 0; so < 2; so++)
					for (int to = 0; to < 2; to++)
						for (int act = 0; act < 2; act++) {
							struct perm_ctx from = {ur, SPACE_MANAGED, sets[i], so, act};
							struct perm_ctx dst = {ur, SPACE_MANAGED, sets[j], to, false};
							enum perm_verdict want =
								model_product(ur, sets[i], so, act, DP_EDIT);
							bool want_target = false;
							if (want == PERM_ALLOW && act)
								want = model_product(ur, sets[i], so, act, DP_PUBLISH);
							if (want == PERM_ALLOW) {
								want_target = true;
								want = model_in_space(ur, sets[j], to, DP_CREATE);
								if (want == PERM_ALLOW && act)
									want = model_in_space(ur, sets[j], to, DP_PUBLISH);
							}
							bool in_target = false;
							enum perm_verdict got = perm_product_move(&from, &dst, &in_target);
							if (got != want || (got != PERM_ALLOW && in_target != want_target))
								fail_msg("move: user %u from %#x/%d to %#x/%d activated %d:"
									 " got %d (target %d) want %d (target %d)",
									 ur, sets[i], so, sets[j], to, act, got, in_target,
									 want, want_target);
							cases++;
						}
	assert_int_equal(cases, 8L * n * n * 2 * 2 * 2);
}

/* The list filter's per-space scope is exactly what get allows: all
 * products, only activated ones, or none, for every context. */
static void view_scope_is_the_view_rule(void **state)
{
	(void)state;
	for (unsigned ur = 0; ur < 8; ur++)
		for (int kind = SPACE_PERSONAL; kind <= SPACE_DATA; kind++)
			for (unsigned sr = 0; sr < (1u << SR_COUNT); sr++)
				for (int owner = 0; owner < 2; owner++) {
					struct perm_ctx c = {ur, (enum space_kind)kind, sr, owner, false};
					bool draft = model_product(ur, sr, owner, false, DP_VIEW) == PERM_ALLOW;
					bool active = model_product(ur, sr, owner, true, DP_VIEW) == PERM_ALLOW;
					enum perm_scope want = draft    ? SCOPE_ALL
							       : active ? SCOPE_ACTIVATED
									: SCOPE_NONE;
					assert_false(draft && !active); /* the scopes nest */
					c.activated = owner; /* the input's own state is ignored */
					if (perm_view_scope(&c) != want)
						fail_msg("scope: user %u roles %#x owner %d: got %d want %d", ur,
							 sr, owner, perm_view_scope(&c), want);
				}
}

static void representative_cells(void **state)
{
	(void)state;
	/* issue 8: a consumer sees activated products only, and only with a
	 * data product user role */
	struct perm_ctx consumer = {ROLE_DP_CONSUMER, SPACE_MANAGED, SR_CONSUMER, false, true};
	assert_int_equal(perm_product(&consumer, DP_VIEW), PERM_ALLOW);
	assert_int_equal(perm_product(&consumer, DP_EDIT), PERM_FORBIDDEN);
	assert_int_equal(perm_product(&consumer, DP_PUBLISH), PERM_FORBIDDEN);
	assert_int_equal(perm_product(&consumer, DP_CREATE), PERM_FORBIDDEN);
	consumer.activated = false; /* a draft: invisible to a consumer */
	assert_int_equal(perm_product(&consumer, DP_VIEW), PERM_HIDDEN);
	assert_int_equal(perm_product(&consumer, DP_EDIT), PERM_HIDDEN);
	assert_int_equal(perm_product(&consumer, DP_CREATE), PERM_FORBIDDEN); /* space visible */
	assert_int_equal(perm_view_scope(&consumer), SCOPE_ACTIVATED);
	struct perm_ctx bare_consumer = {0, SPACE_MANAGED, SR_CONSUMER, false, true};
	assert_int_equal(perm_product(&bare_consumer, DP_VIEW), PERM_HIDDEN);
	assert_int_equal(perm_view_scope(&bare_consumer), SCOPE_NONE);
	struct perm_ctx bare_publisher = {0, SPACE_MANAGED, SR_PUBLISHER, false, false};
	assert_int_equal(perm_product(&bare_publisher, DP_VIEW), PERM_ALLOW);
	assert_int_equal(perm_view_scope(&bare_publisher), SCOPE_ALL);
	/* the move bypass of the publishing gate: contributor only in S */
	struct perm_ctx mine = {ROLE_DP_CREATOR, SPACE_SHARED, 0, true, true};
	struct perm_ctx s_contrib = {ROLE_DP_CREATOR, SPACE_MANAGED, SR_CONTRIBUTOR, false, false};
	bool target = false;
	assert_int_equal(perm_product_move(&mine, &s_contrib, &target), PERM_FORBIDDEN);
	assert_true(target);
	mine.activated = false; /* a draft moves on create rights alone */
	assert_int_equal(perm_product_move(&mine, &s_contrib, NULL), PERM_ALLOW);
	s_contrib.activated = true; /* and an activated product out of S */
	assert_int_equal(perm_product_move(&s_contrib, &mine, &target), PERM_FORBIDDEN);
	assert_false(target);
	struct perm_ctx stranger = {ROLE_DP_CREATOR, SPACE_SHARED, 0, false, false};
	assert_int_equal(perm_product(&stranger, DP_VIEW), PERM_HIDDEN);
	assert_int_equal(perm_product(&stranger, DP_EDIT), PERM_HIDDEN);
	struct perm_ctx producer_no_creator = {ROLE_DP_CONSUMER, SPACE_SHARED, SR_PRODUCER, false, false};
	assert_int_equal(perm_product(&producer_no_creator, DP_EDIT), PERM_FORBIDDEN);
	struct perm_ctx producer = {ROLE_DP_CREATOR, SPACE_SHARED, SR_PRODUCER, false, false};
	assert_int_equal(perm_product(&producer, DP_CREATE), PERM_ALLOW);
	assert_int_equal(perm_product(&producer, DP_PUBLISH), PERM_FORBIDDEN);
	struct perm_ctx publisher = {0, SPACE_MANAGED, SR_PUBLISHER, false, false};
	assert_int_equal(perm_product(&publisher, DP_PUBLISH), PERM_ALLOW);
	assert_int_equal(perm_product(&publisher, DP_EDIT), PERM_FORBIDDEN);
	struct perm_ctx owner = {ROLE_DP_CREATOR, SPACE_DATA, 0, true, false};
	assert_int_equal(perm_product(&owner, DP_EDIT), PERM_ALLOW);
	assert_int_equal(perm_product(&owner, DP_PUBLISH), PERM_ALLOW);
	struct perm_ctx admin = {ROLE_TENANT_ADMIN, SPACE_MANAGED, 0, false, false};
	assert_int_equal(perm_product(&admin, DP_PUBLISH), PERM_ALLOW);
	struct perm_ctx personal_other = {ROLE_DP_CREATOR, SPACE_PERSONAL, 0, false, false};
	assert_int_equal(perm_product(&personal_other, DP_VIEW), PERM_HIDDEN);
	struct perm_ctx personal_mine = {0, SPACE_PERSONAL, 0, true, false};
	assert_int_equal(perm_product(&personal_mine, DP_VIEW), PERM_ALLOW);
	assert_int_equal(perm_product(&personal_mine, DP_EDIT), PERM_FORBIDDEN); /* not a creator */
}

static void space_rules(void **state)
{
	(void)state;
	for (unsigned ur = 0; ur < 8; ur++)
		for (unsigned sr = 0; sr < (1u << SR_COUNT); sr++)
			for (int owner = 0; owner < 2; owner++) {
				struct perm_ctx c = {ur, SPACE_SHARED, sr, owner, false};
				bool admin = ur & ROLE_TENANT_ADMIN;
				bool any = sr || owner;
				bool facilitator = owner || (sr & SR_FACILITATOR);
				enum perm_verdict view = perm_space(&c, SPACE_VIEW);
				enum perm_verdict manage = perm_space(&c, SPACE_MANAGE);
				enum perm_verdict own = perm_space(&c, SPACE_OWN);
				assert_int_equal(view, admin || any ? PERM_ALLOW : PERM_HIDDEN);
				assert_int_equal(manage, admin || facilitator ? PERM_ALLOW
							 : any	       ? PERM_FORBIDDEN
								       : PERM_HIDDEN);
				assert_int_equal(own, admin || owner ? PERM_ALLOW
						      : any	     ? PERM_FORBIDDEN
								     : PERM_HIDDEN);
			}
}

static void who_may_create_data_sets_in_a_space(void **state)
{
	(void)state;
	for (unsigned ur = 0; ur < 8; ur++)
		for (unsigned sr = 0; sr < (1u << SR_COUNT); sr++)
			for (int owner = 0; owner < 2; owner++) {
				struct perm_ctx c = {ur, SPACE_DATA, sr, owner, false};
				bool editor = owner || (sr & (SR_PRODUCER | SR_CONTRIBUTOR | SR_FACILITATOR));
				enum perm_verdict want = (ur & ROLE_TENANT_ADMIN) || editor ? PERM_ALLOW
							 : sr				       ? PERM_FORBIDDEN
											       : PERM_HIDDEN;
				assert_int_equal(perm_dataset_create(&c), want);
			}
}

static void who_may_create_spaces(void **state)
{
	(void)state;
	assert_true(perm_space_create(ROLE_TENANT_ADMIN, SPACE_MANAGED));
	assert_true(perm_space_create(ROLE_TENANT_ADMIN, SPACE_SHARED));
	assert_true(perm_space_create(ROLE_DP_CREATOR, SPACE_SHARED));
	assert_true(perm_space_create(ROLE_DP_CREATOR, SPACE_DATA));
	assert_false(perm_space_create(ROLE_DP_CREATOR, SPACE_MANAGED));
	assert_false(perm_space_create(ROLE_DP_CONSUMER, SPACE_SHARED));
	assert_false(perm_space_create(0, SPACE_DATA));
	assert_false(perm_space_create(ROLE_TENANT_ADMIN, SPACE_PERSONAL));
}

static void assignable_roles_per_space_type(void **state)
{
	(void)state;
	assert_true(perm_assignable_roles(SPACE_MANAGED) & SR_PUBLISHER);
	assert_false(perm_assignable_roles(SPACE_SHARED) & SR_PUBLISHER);
	assert_false(perm_assignable_roles(SPACE_DATA) & SR_PUBLISHER);
	assert_true(perm_assignable_roles(SPACE_SHARED) & SR_PRODUCER);
	assert_false(perm_assignable_roles(SPACE_MANAGED) & SR_PRODUCER);
	assert_true(perm_assignable_roles(SPACE_DATA) & SR_DATAPREVIEW);
	assert_int_equal(perm_assignable_roles(SPACE_PERSONAL), 0);
	for (int k = SPACE_SHARED; k <= SPACE_DATA; k++) {
		unsigned r = perm_assignable_roles((enum space_kind)k);
		assert_true(r & SR_CONSUMER);
		assert_true(r & SR_FACILITATOR);
	}
}

static void role_names_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < SR_COUNT; i++) {
		const char *name = perm_role_name(1u << i);
		assert_non_null(name);
		assert_int_equal(perm_role_from_name(name), 1u << i);
	}
	assert_int_equal(perm_role_from_name("Consumer"), 0);
	assert_int_equal(perm_role_from_name(""), 0);
	assert_int_equal(perm_role_from_name(NULL), 0);
	assert_null(perm_role_name(3));
	enum space_kind k;
	assert_int_equal(perm_space_kind(&k, "managed"), 0);
	assert_int_equal(k, SPACE_MANAGED);
	assert_int_equal(perm_space_kind(&k, "personal"), -1);
	assert_int_equal(perm_space_kind(&k, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(product_matrix_matches_the_spec_everywhere),
		cmocka_unit_test(move_matches_the_spec_everywhere),
		cmocka_unit_test(view_scope_is_the_view_rule),
		cmocka_unit_test(representative_cells),
		cmocka_unit_test(space_rules),
		cmocka_unit_test(who_may_create_data_sets_in_a_space),
		cmocka_unit_test(who_may_create_spaces),
		cmocka_unit_test(assignable_roles_per_space_type),
		cmocka_unit_test(role_names_round_trip),
	};
	return cmocka_run_group_tests_name("permissions", tests, NULL, NULL);
}
