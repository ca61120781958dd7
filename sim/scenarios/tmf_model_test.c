/*
 * tmf_model_test.c - the tmf scenario's oracle: the UA ledger mirrors the
 * queue policy core/ua.c documents (priority, no duplicates, overflow)
 * and judges fuzzy counts; value histories answer what may have been in
 * effect over an interval.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* the module under test, statics included (STYLE.md: SPDK) */
#include "tmf_model.c"

static bool report(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
		   enum tm_clear clr)
{
	char why[400];

	return tm_ledger_report(l, asc, ascq, clr, why, sizeof(why));
}

static bool drained(struct tm_ledger *l)
{
	char why[400];

	return tm_ledger_drained(l, why, sizeof(why));
}

/* SAM-5 5.14 / core/ua.c: 29h before 2Fh before 2Ah before the rest,
 * FIFO within a class, one entry per code; reports must be the head. */
static void test_exact_priority_order(void **state)
{
	struct tm_ledger l;

	(void)state;
	tm_ledger_reset(&l);
	tm_ledger_establish(&l, 0x2a, 0x01, true);
	tm_ledger_establish(&l, 0x2c, 0x07, true);
	tm_ledger_establish(&l, 0x29, 0x03, true);
	tm_ledger_establish(&l, 0x2a, 0x06, true);
	tm_ledger_establish(&l, 0x2f, 0x00, true);
	tm_ledger_establish(&l, 0x2a, 0x01, true); /* duplicate: ignored */
	assert_int_equal(l.n, 5);
	assert_int_equal(tm_ledger_qae(&l), 2);
	assert_false(report(&l, 0x2a, 0x01, TM_CLEAR_YES)); /* not the head */
	assert_true(report(&l, 0x29, 0x03, TM_CLEAR_NO));   /* kept (10b) */
	assert_true(report(&l, 0x29, 0x03, TM_CLEAR_YES));
	assert_true(report(&l, 0x2f, 0x00, TM_CLEAR_YES));
	assert_true(report(&l, 0x2a, 0x01, TM_CLEAR_YES));
	assert_true(report(&l, 0x2a, 0x06, TM_CLEAR_YES));
	assert_false(drained(&l)); /* 2C/07 still owed */
	assert_true(report(&l, 0x2c, 0x07, TM_CLEAR_YES));
	assert_int_equal(tm_ledger_qae(&l), 1);
	assert_true(drained(&l));
	assert_false(report(&l, 0x29, 0x03, TM_CLEAR_YES)); /* never twice */
}

/* A full queue drops its lowest entry for a higher one, and drops a new
 * entry that outranks nothing. */
static void test_exact_overflow(void **state)
{
	struct tm_ledger l;

	(void)state;
	tm_ledger_reset(&l);
	for (unsigned i = 0; i < TM_UA_QMAX; i++)
		tm_ledger_establish(&l, 0x3f, (uint8_t)i, true);
	tm_ledger_establish(&l, 0x3f, 0x7f, true); /* same class: dropped */
	assert_int_equal(l.n, TM_UA_QMAX);
	assert_int_equal(l.q[TM_UA_QMAX - 1].ascq, TM_UA_QMAX - 1);
	tm_ledger_establish(&l, 0x29, 0x00, true);  /* outranks: last goes */
	assert_int_equal(l.n, TM_UA_QMAX);
	assert_int_equal(l.q[0].asc, 0x29);
	assert_int_equal(l.q[TM_UA_QMAX - 1].ascq, TM_UA_QMAX - 2);
}

/* Counts: at most `allow` clearing reports, at least one when owed. */
static void test_fuzzy_counts(void **state)
{
	struct tm_ledger l;

	(void)state;
	tm_ledger_reset(&l);
	tm_ledger_establish(&l, 0x29, 0x00, true);
	tm_ledger_fuzz(&l);                     /* 29/00 owed once */
	tm_ledger_expect(&l, 0x29, 0x03);       /* a reset may run */
	assert_int_equal(tm_ledger_qae(&l), 2);
	assert_true(report(&l, 0x29, 0x00, TM_CLEAR_YES));
	assert_false(report(&l, 0x29, 0x00, TM_CLEAR_YES)); /* duplicate */
	tm_ledger_reset(&l);
	tm_ledger_fuzz(&l);
	tm_ledger_expect(&l, 0x29, 0x03);
	assert_int_equal(tm_ledger_qae(&l), 3);  /* maybe */
	assert_true(drained(&l));                /* it may not have run */
	tm_ledger_fuzz(&l);
	tm_ledger_expect(&l, 0x29, 0x03);
	tm_ledger_confirm(&l, 0x29, 0x03);       /* it ran */
	assert_false(drained(&l));               /* and was never reported */
	tm_ledger_reset(&l);
	tm_ledger_fuzz(&l);
	tm_ledger_expect(&l, 0x2a, 0x06);
	tm_ledger_confirm(&l, 0x2a, 0x06);
	assert_true(report(&l, 0x2a, 0x06, TM_CLEAR_NO));    /* kept */
	assert_true(report(&l, 0x2a, 0x06, TM_CLEAR_MAYBE)); /* kept or not */
	assert_true(drained(&l));
	assert_false(report(&l, 0x2f, 0x00, TM_CLEAR_YES)); /* nobody's */
}

static void test_hist_windows(void **state)
{
	struct tm_hist h;
	uint32_t v = 0;
	unsigned k;

	(void)state;
	tm_hist_init(&h, 1, 100);
	assert_true(tm_hist_settled(&h, 100, &v));
	assert_int_equal(v, 1);
	/* a change somewhere in [200, 300] */
	tm_hist_change(&h, 2, 200, 300);
	assert_true(tm_hist_possible(&h, 1, 250, 250));
	assert_true(tm_hist_possible(&h, 2, 250, 250));
	assert_false(tm_hist_possible(&h, 2, 100, 199));
	assert_false(tm_hist_possible(&h, 1, 301, 400));
	assert_true(tm_hist_certain(&h, 1, 100, 199));
	assert_false(tm_hist_certain(&h, 1, 100, 250));
	assert_false(tm_hist_settled(&h, 250, &v));
	assert_true(tm_hist_settled(&h, 300, &v));
	assert_int_equal(v, 2);
	/* a change not known to have happened at all */
	k = tm_hist_change(&h, 3, 400, TM_T_INF);
	assert_false(tm_hist_settled(&h, 1000, &v));
	assert_true(tm_hist_possible_after(&h, 2, 1000));
	tm_hist_narrow(&h, k, 450);
	assert_true(tm_hist_settled(&h, 450, &v));
	assert_int_equal(v, 3);
}

static void test_ctl_page_fields(void **state)
{
	uint8_t page[12] = { 0x0a, 0x0a, 0x02, 0x10, 0x08, 0x80 };
	struct tm_ctl c = { .qerr = 3, .intlck = 2, .tas = true, .dsense = true };
	struct tm_ctl back;

	(void)state;
	tm_ctl_to_page(&c, page);
	/* SPC-4 7.5.8: other bits (GLTSD, queue algorithm, SWP, ATO) kept */
	assert_int_equal(page[2], 0x06);
	assert_int_equal(page[3], 0x16);
	assert_int_equal(page[4], 0x28);
	assert_int_equal(page[5], 0xc0);
	tm_ctl_from_page(page, &back);
	assert_int_equal(tm_ctl_pack(&back), tm_ctl_pack(&c));
	tm_ctl_unpack(tm_ctl_pack(&c), &back);
	assert_int_equal(back.qerr, 3);
	assert_int_equal(back.intlck, 2);
	assert_true(back.tas && back.dsense);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_priority_order),
		cmocka_unit_test(test_exact_overflow),
		cmocka_unit_test(test_fuzzy_counts),
		cmocka_unit_test(test_hist_windows),
		cmocka_unit_test(test_ctl_page_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
