/*
 * pr_model_test.c - the reservation model's checks of PERSISTENT RESERVE
 * IN answers (pr_model.h), in particular for an answer that crossed a
 * target restart (fuzz/regressions/fuzz_sim/pr-read-keys-across-crash).
 * The model's source is included so that chosen operations can be
 * started (begin()) instead of drawn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pr_model.c"

#define K0 0x0100000000000006ull /* initiator 0's keys carry 1 << 56 */
#define K1 0x0200000000000007ull

/* READ KEYS data (SPC-4 6.15.2) listing the nonzero keys of k. */
static uint32_t keys_data(uint8_t *d, uint64_t k0, uint64_t k1)
{
	uint32_t n = 0;

	memset(d, 0, NX_SCN_PR_DATA_IN_MAX);
	nx_put_be32(d, 42); /* PRGENERATION: the model ignores it */
	if (k0 != 0)
		nx_put_be64(d + 8 + 8 * n++, k0);
	if (k1 != 0)
		nx_put_be64(d + 8 + 8 * n++, k1);
	nx_put_be32(d + 4, 8 * n);
	return 8 + 8 * n;
}

/* READ RESERVATION data (6.15.3): none, or an all-registrants type. */
static uint32_t res_data(uint8_t *d, uint8_t type)
{
	memset(d, 0, NX_SCN_PR_DATA_IN_MAX);
	if (type == 0)
		return 8;
	nx_put_be32(d + 4, 16);
	d[21] = type; /* key 0: all registrants (6.15.3.2) */
	return 24;
}

static void state(struct nx_scn_pr_state *s, uint64_t k0, uint64_t k1,
		  uint8_t type, bool aptpl)
{
	s->key[0] = k0;
	s->key[1] = k1;
	s->type = type;
	s->aptpl = aptpl;
}

/* ini 1 sends op (a PRIN); the model then sees `restarts` restarts
 * before the answer d arrives with outcome o. */
static bool prin(struct nx_scn_pr *pr, enum op op, unsigned restarts,
		 enum nx_scn_pr_outcome o, const uint8_t *d, uint32_t len)
{
	struct nx_scn_pr_cmd cmd;
	struct nx_rng r;
	char why[512];

	nx_rng_init(&r, 1);
	begin(pr, 1, op, &r, &cmd);
	assert_false(cmd.out);
	for (unsigned i = 0; i < restarts; i++)
		nx_scn_pr_restart(pr);
	why[0] = '\0';
	bool ok = nx_scn_pr_done(pr, o, d, len, why, sizeof(why));
	assert_false(pr->busy);
	assert_true(ok || why[0] != '\0');
	return ok;
}

/* Without a restart the answer is checked against the state as is. */
static void test_read_keys_checked(void **unused)
{
	struct nx_scn_pr pr;
	uint8_t d[NX_SCN_PR_DATA_IN_MAX];

	(void)unused;
	nx_scn_pr_init(&pr);
	state(&pr.cur, K0, 0, 0, false);
	assert_true(prin(&pr, OP_READ_KEYS, 0, NX_SCN_PR_GOOD, d,
			 keys_data(d, K0, 0)));
	assert_false(prin(&pr, OP_READ_KEYS, 0, NX_SCN_PR_GOOD, d,
			  keys_data(d, 0, 0)));
	assert_false(prin(&pr, OP_READ_KEYS, 0, NX_SCN_PR_GOOD, d,
			  keys_data(d, K0, K1)));
}

/* The fuzz_sim failure: K0 registered with APTPL 0, READ KEYS sent, the
 * target crashes, the answer (K0) arrives afterwards.  It ran on the old
 * target and shows K0 (SPC-4 6.15.1); the restart still lost K0
 * (5.12.4), and an answer without K0 cannot come from the old target. */
static void test_read_keys_across_restart(void **unused)
{
	struct nx_scn_pr pr;
	uint8_t d[NX_SCN_PR_DATA_IN_MAX];
	const struct nx_scn_pr_state none = { { 0, 0 }, 0, false };

	(void)unused;
	for (unsigned restarts = 1; restarts <= 2; restarts++) {
		nx_scn_pr_init(&pr);
		state(&pr.cur, K0, 0, 0, false);
		assert_true(prin(&pr, OP_READ_KEYS, restarts, NX_SCN_PR_GOOD, d,
				 keys_data(d, K0, 0)));
		assert_true(same(&pr.cur, &none));
		assert_false(pr.unknown);
		/* the next read sees the new target */
		assert_false(prin(&pr, OP_READ_KEYS, 0, NX_SCN_PR_GOOD, d,
				  keys_data(d, K0, 0)));
		assert_true(prin(&pr, OP_READ_KEYS, 0, NX_SCN_PR_GOOD, d,
				 keys_data(d, 0, 0)));

		nx_scn_pr_init(&pr);
		state(&pr.cur, K0, 0, 0, false);
		assert_false(prin(&pr, OP_READ_KEYS, restarts, NX_SCN_PR_GOOD, d,
				  keys_data(d, 0, 0)));
	}
}

/* Two candidates before the restart (a REGISTER of K1 with APTPL 0 whose
 * outcome is unknown, after K0's with APTPL 1): the restart keeps the
 * first (K0) and empties the second, and an answer from before it
 * tells which one the target had, hence which one it has now. */
static void test_unknown_settled_across_restart(void **unused)
{
	struct nx_scn_pr pr;
	struct nx_scn_pr_state kept, gone;
	uint8_t d[NX_SCN_PR_DATA_IN_MAX];
	const struct nx_scn_pr_state none = { { 0, 0 }, 0, false };

	(void)unused;
	state(&kept, K0, 0, 0, true);
	state(&gone, K0, K1, 0, false);

	nx_scn_pr_init(&pr);
	pr.cur = kept;
	pr.alt = gone;
	pr.unknown = true;
	assert_true(prin(&pr, OP_READ_KEYS, 1, NX_SCN_PR_GOOD, d,
			 keys_data(d, K0, K1)));
	assert_false(pr.unknown);
	assert_true(same(&pr.cur, &none));

	nx_scn_pr_init(&pr);
	pr.cur = kept;
	pr.alt = gone;
	pr.unknown = true;
	assert_true(prin(&pr, OP_READ_KEYS, 1, NX_SCN_PR_GOOD, d,
			 keys_data(d, K0, 0)));
	assert_false(pr.unknown);
	assert_true(same(&pr.cur, &kept));

	/* READ RESERVATION cannot tell them apart: both stay */
	nx_scn_pr_init(&pr);
	pr.cur = kept;
	pr.alt = gone;
	pr.unknown = true;
	assert_true(prin(&pr, OP_READ_RESERVATION, 1, NX_SCN_PR_GOOD, d,
			 res_data(d, 0)));
	assert_true(pr.unknown);
	assert_false(prin(&pr, OP_READ_RESERVATION, 1, NX_SCN_PR_GOOD, d,
			  res_data(d, 7)));
}

/* A reservation held before the restart, with APTPL 0: the answer shows
 * it, the state after has none. */
static void test_read_reservation_across_restart(void **unused)
{
	struct nx_scn_pr pr;
	uint8_t d[NX_SCN_PR_DATA_IN_MAX];

	(void)unused;
	nx_scn_pr_init(&pr);
	state(&pr.cur, K0, K1, 8, false);
	assert_true(prin(&pr, OP_READ_RESERVATION, 1, NX_SCN_PR_GOOD, d,
			 res_data(d, 8)));
	assert_int_equal(pr.cur.type, 0);
	assert_true(prin(&pr, OP_READ_RESERVATION, 0, NX_SCN_PR_GOOD, d,
			 res_data(d, 0)));
}

/* A PRIN that crossed a restart and did not complete GOOD leaves no
 * trace: the next one is checked against the new target's state. */
static void test_lost_prin_forgets_restart(void **unused)
{
	struct nx_scn_pr pr;
	uint8_t d[NX_SCN_PR_DATA_IN_MAX];

	(void)unused;
	nx_scn_pr_init(&pr);
	state(&pr.cur, K0, 0, 0, false);
	assert_true(prin(&pr, OP_READ_KEYS, 1, NX_SCN_PR_UNKNOWN, NULL, 0));
	assert_false(pr.read_pre_restart);
	assert_false(prin(&pr, OP_READ_KEYS, 0, NX_SCN_PR_GOOD, d,
			  keys_data(d, K0, 0)));
	assert_true(prin(&pr, OP_READ_KEYS, 0, NX_SCN_PR_GOOD, d,
			 keys_data(d, 0, 0)));
}

/* A PROUT in flight across a restart takes no snapshot: what it did on
 * the old target is pending, already through the restart. */
static void test_prout_across_restart(void **unused)
{
	struct nx_scn_pr pr;
	struct nx_scn_pr_cmd cmd;
	struct nx_rng r;
	char why[128];

	(void)unused;
	nx_scn_pr_init(&pr);
	nx_rng_init(&r, 1);
	begin(&pr, 0, OP_REGISTER_NEW, &r, &cmd);
	assert_true(cmd.out);
	bool aptpl = pr.pending.aptpl;
	uint64_t key = pr.pending.key[0];
	nx_scn_pr_restart(&pr);
	assert_false(pr.read_pre_restart);
	assert_true(nx_scn_pr_done(&pr, NX_SCN_PR_GOOD, NULL, 0, why,
				   sizeof(why)));
	assert_true(pr.cur.key[0] == (aptpl ? key : 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_keys_checked),
		cmocka_unit_test(test_read_keys_across_restart),
		cmocka_unit_test(test_unknown_settled_across_restart),
		cmocka_unit_test(test_read_reservation_across_restart),
		cmocka_unit_test(test_lost_prin_forgets_restart),
		cmocka_unit_test(test_prout_across_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
