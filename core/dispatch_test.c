/*
 * dispatch_test.c - opcode index, CDB validation order, task attributes
 * (SAM-5 8.6), task life cycle and I_T nexus loss.
 */
#include "tests/unit/core_fixture.h"

static const uint8_t zero512[512];

static void test_opcode_index_sorted(void **state)
{
	const struct nx_opcode_desc *prev = NULL, *d;
	size_t i;

	for (i = 0; (d = nx_opcode_at(i)) != NULL; i++) {
		if (prev != NULL)
			assert_true(prev->opcode < d->opcode ||
				    (prev->opcode == d->opcode &&
				     prev->service_action < d->service_action));
		prev = d;
	}
	assert_int_equal(i, nx_spc_opcode_count + nx_sbc_opcode_count);
	uint8_t rc16[16] = { 0x9e, 0x10 }, gls[16] = { 0x9e, 0x12 };
	assert_string_equal(nx_opcode_lookup(rc16)->name, "READ CAPACITY(16)");
	assert_string_equal(nx_opcode_lookup(gls)->name, "GET LBA STATUS");
	rc16[1] = 0x1f;
	assert_null(nx_opcode_lookup(rc16));
}

static void test_unsupported_opcode(void **state)
{
	struct cmd c;
	uint8_t cdb[6] = { 0xc0 };

	run(&c, cdb, 6, NULL, 0);
	assert_false(c.setup_ok);
	expect_sense(&c.t, 0x05, 0x20, 0x00);
	assert_int_equal(nrecs, 0); /* setup failures do not call task_done */
	cmd_done(&c);
}

static void test_missing_lu(void **state)
{
	struct cmd c;
	uint8_t rd[10];

	put_cdb10(rd, 0x28, 0, 1);
	cmd_prepare(&c, fx.n1, 3, rd, 10);
	assert_false(cmd_run(&c, NULL, 0));
	expect_sense(&c.t, 0x05, 0x25, 0x00);
	cmd_done(&c);
	/* an unsupported LUN addressing method is no LU either */
	cmd_prepare(&c, fx.n1, 0, rd, 10);
	c.t.lun = 0xc000000000000000ull;
	assert_false(cmd_run(&c, NULL, 0));
	expect_sense(&c.t, 0x05, 0x25, 0x00);
	cmd_done(&c);
}

/* NORMACA=1: NACA=1 used to be 05/24/00 (NORMACA=0); now a command
 * that succeeds with it is just GOOD and leaves no ACA condition.  Other
 * control bits stay reserved.  The ACA attribute with no ACA condition
 * is still 05/49/00 (SAM-5 8.6.5). */
static void test_naca_and_aca(void **state)
{
	struct cmd c;
	uint8_t rd[10];

	put_cdb10(rd, 0x28, 0, 1);
	rd[9] = 0x04; /* NACA */
	run(&c, rd, 10, NULL, 0);
	expect_good(&c.t);
	assert_null(fx.lu->aca_nexus);
	cmd_done(&c);
	rd[9] = 0x01; /* obsolete LINK: reserved */
	run(&c, rd, 10, NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	assert_int_equal(c.t.sense[15], 0xc8 | 0);
	assert_int_equal(nx_get_be16(c.t.sense + 16), 9);
	cmd_done(&c);
	rd[9] = 0;
	cmd_prepare(&c, fx.n1, 0, rd, 10);
	c.t.attr = NX_ATTR_ACA;
	assert_false(cmd_run(&c, NULL, 0));
	expect_sense(&c.t, 0x05, 0x49, 0x00);
	cmd_done(&c);
}

static void test_lun_encoding(void **state)
{
	uint64_t lun;

	assert_int_equal(nx_lun_encode(5), 0x0005000000000000ull);
	assert_int_equal(nx_lun_encode(300), 0x412c000000000000ull);
	assert_true(nx_lun_decode(0x412c000000000000ull, &lun));
	assert_int_equal(lun, 300);
	assert_true(nx_lun_decode(0x00ff000000000000ull, &lun));
	assert_int_equal(lun, 255);
	assert_true(nx_lun_decode(NX_WLUN_REPORT_LUNS, &lun));
	assert_int_equal(lun, NX_WLUN_REPORT_LUNS);
	assert_false(nx_lun_decode(0x0100000000000000ull, &lun)); /* bus 1 */
	assert_false(nx_lun_decode(0x0001000100000000ull, &lun)); /* level 2 */
}

static void test_lu_defaults(void **state)
{
	struct fake_bs *fb = fb_new(1 << 16, false);
	struct nx_lu_config cfg = { .lun = 9 };

	assert_string_equal(fx.lu->vendor, "NEXUS");
	assert_string_equal(fx.lu->product, "nexus-lu");
	assert_string_equal(fx.lu->revision, "0001");
	assert_int_equal(strlen(fx.lu->serial), 16);
	assert_int_equal(fx.lu->naa[0] >> 4, 6);
	assert_int_equal(fx.lu->nblocks, FX_SIZE / 512);
	assert_true(fx.lu->mode.wce);
	assert_true(fx.lu->mode.tas);
	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, &fb->bs), 0);
	struct nx_lu *lu9 = nx_target_find_lu(fx.tgt, 9);
	assert_string_not_equal(lu9->serial, fx.lu->serial);
	assert_memory_not_equal(lu9->naa, fx.lu->naa, 16);
	assert_int_equal(nx_target_lu_count(fx.tgt), 2);
	assert_int_equal(nx_target_lun_at(fx.tgt, 1), 9);
	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, &fb->bs), NX_EINVAL);
}

/* SAM-5 8.6: SIMPLE A runs; ORDERED B waits for A; SIMPLE C waits for B;
 * HEAD OF QUEUE D runs at once. */
static void test_task_attributes(void **state)
{
	static struct cmd a, b, c, d;
	uint8_t rd[10], wr[10];

	fx.fb->deferred = true;
	put_cdb10(rd, 0x28, 0, 1);
	put_cdb10(wr, 0x2a, 0, 1);
	cmd_prepare(&a, fx.n1, 0, rd, 10);
	a.t.tag = 1;
	cmd_run(&a, NULL, 0);
	cmd_prepare(&b, fx.n1, 0, wr, 10);
	b.t.tag = 2;
	b.t.attr = NX_ATTR_ORDERED;
	cmd_run(&b, zero512, 512);
	cmd_prepare(&c, fx.n2, 0, rd, 10);
	c.t.tag = 3;
	cmd_run(&c, NULL, 0);
	assert_int_equal(fx.fb->npending, 1);
	cmd_prepare(&d, fx.n1, 0, rd, 10);
	d.t.tag = 4;
	d.t.attr = NX_ATTR_HEAD_OF_QUEUE;
	cmd_run(&d, NULL, 0);
	assert_int_equal(fx.fb->npending, 2);
	/* A and D complete; B may start only once both are gone */
	fb_complete_all(fx.fb);
	assert_int_equal(nrecs, 4);
	assert_int_equal(recs[0].tag, 1);
	assert_int_equal(recs[1].tag, 4);
	assert_int_equal(recs[2].tag, 2);
	assert_int_equal(recs[3].tag, 3);
	assert_int_equal(fx.lu->set_count, 0);
	assert_int_equal(fx.lu->tasks_running, 0);
	cmd_done(&a);
	cmd_done(&b);
	cmd_done(&c);
	cmd_done(&d);
}

static void test_fail_and_release_before_execute(void **state)
{
	struct cmd c;
	uint8_t wr[10];

	put_cdb10(wr, 0x2a, 0, 1);
	cmd_prepare(&c, fx.n1, 0, wr, 10);
	assert_true(nx_task_setup(&c.t));
	assert_int_equal(fx.n1->tasks_outstanding, 1);
	nx_task_fail(&c.t, 0x0b, 0x0c, 0x0d);
	assert_int_equal(nrecs, 1);
	expect_sense(&c.t, 0x0b, 0x0c, 0x0d);
	assert_int_equal(fx.n1->tasks_outstanding, 0);
	nx_task_execute(&c.t); /* ignored: already complete */
	assert_int_equal(nrecs, 1);
	cmd_done(&c);
	cmd_prepare(&c, fx.n1, 0, wr, 10);
	assert_true(nx_task_setup(&c.t));
	nx_task_release(&c.t);
	assert_int_equal(fx.n1->tasks_outstanding, 0);
	assert_int_equal(fx.lu->set_count, 0);
	assert_int_equal(nrecs, 1);
}

static unsigned shutdown_calls;

static void on_shutdown(void *arg)
{
	(void)arg;
	shutdown_calls++;
}

static void test_nexus_shutdown(void **state)
{
	static struct cmd a, b;
	uint8_t rd[10], wr[10];

	shutdown_calls = 0;
	fx.fb->deferred = true;
	put_cdb10(rd, 0x28, 0, 1);
	put_cdb10(wr, 0x2a, 0, 1);
	cmd_prepare(&a, fx.n1, 0, rd, 10);
	cmd_run(&a, NULL, 0);                  /* in the backstore */
	cmd_prepare(&b, fx.n1, 0, wr, 10);
	assert_true(nx_task_setup(&b.t));      /* waiting for data-out */
	nx_nexus_shutdown(fx.n1, on_shutdown, NULL);
	assert_int_equal(nrecs, 1);            /* b at once */
	assert_true(recs[0].aborted);
	assert_int_equal(shutdown_calls, 0);
	fb_complete_all(fx.fb);
	assert_int_equal(nrecs, 2);
	assert_true(recs[1].aborted);
	assert_int_equal(shutdown_calls, 1);
	nx_task_execute(&b.t);                 /* late data-out: ignored */
	assert_int_equal(nrecs, 2);
	cmd_done(&a);
	cmd_done(&b);
	/* no new task on a nexus going away */
	cmd_prepare(&a, fx.n1, 0, rd, 10);
	assert_false(nx_task_setup(&a.t));
	assert_int_equal(a.t.status, NX_STATUS_BUSY);
	fprintf(stderr, "out=%u %u\n", fx.n1->tasks_outstanding, fx.n2->tasks_outstanding);
	cmd_done(&a);
}

static void test_task_set_full(void **state)
{
	static struct cmd cs[NX_TASK_SET_MAX + 1];
	uint8_t rd[10];

	put_cdb10(rd, 0x28, 0, 1);
	for (unsigned i = 0; i < NX_TASK_SET_MAX; i++) {
		cmd_prepare(&cs[i], fx.n1, 0, rd, 10);
		assert_true(nx_task_setup(&cs[i].t));
	}
	cmd_prepare(&cs[NX_TASK_SET_MAX], fx.n1, 0, rd, 10);
	assert_false(nx_task_setup(&cs[NX_TASK_SET_MAX].t));
	assert_int_equal(cs[NX_TASK_SET_MAX].t.status, NX_STATUS_TASK_SET_FULL);
	for (unsigned i = 0; i <= NX_TASK_SET_MAX; i++)
		cmd_done(&cs[i]);
	assert_int_equal(fx.n1->tasks_outstanding, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_opcode_index_sorted),
		T(test_unsupported_opcode),
		T(test_missing_lu),
		T(test_naca_and_aca),
		T(test_lun_encoding),
		T(test_lu_defaults),
		T(test_task_attributes),
		T(test_fail_and_release_before_execute),
		T(test_nexus_shutdown),
		T(test_task_set_full),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
