/*
 * tmf_test.c - task management functions (SAM-5 7): aborts of queued and
 * in-flight tasks, TAS, the UAs resets establish, the queries.
 */
#include "tests/unit/core_fixture.h"

static const uint8_t zero512[512];
static unsigned tmf_done_calls;

static void tmf_done(struct nx_tmf *req)
{
	(void)req;
	tmf_done_calls++;
}

static void tmf_done_nexus(void *arg)
{
	(void)arg;
}

static void tmf_init(struct nx_tmf *req, enum nx_tmf_fn fn, uint64_t lun,
		     uint64_t tag)
{
	memset(req, 0, sizeof(*req));
	req->fn = fn;
	req->lun = nx_lun_encode(lun);
	req->ref_tag = tag;
	req->done = tmf_done;
	tmf_done_calls = 0;
}

/* Submits a TMF from nexus n; returns its result (set when it completes
 * inline). */
static enum nx_tmf_result tmf_run(struct nx_tmf *req, struct nx_nexus *n,
				  enum nx_tmf_fn fn, uint64_t lun, uint64_t tag)
{
	tmf_init(req, fn, lun, tag);
	nx_tmf_submit(n, req);
	return req->result;
}

static void start_read(struct cmd *c, struct nx_nexus *n, uint64_t tag)
{
	uint8_t rd[10];

	put_cdb10(rd, 0x28, 0, 1);
	cmd_prepare(c, n, 0, rd, 10);
	c->t.tag = tag;
	assert_true(cmd_run(c, NULL, 0));
}

static void test_abort_task_waiting_for_data(void **state)
{
	struct cmd c;
	struct nx_tmf req;
	uint8_t wr[10];

	put_cdb10(wr, 0x2a, 0, 1);
	cmd_prepare(&c, fx.n1, 0, wr, 10);
	c.t.tag = 77;
	assert_true(nx_task_setup(&c.t));
	tmf_init(&req, NX_TMF_ABORT_TASK, 0, 77);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(tmf_done_calls, 1);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
	assert_int_equal(nrecs, 1);
	assert_true(recs[0].aborted);
	nx_task_execute(&c.t); /* data-out that raced the abort */
	assert_int_equal(nrecs, 1);
	cmd_done(&c);
}

static void test_abort_task_in_flight(void **state)
{
	static struct cmd c;
	struct nx_tmf req;

	fx.fb->deferred = true;
	start_read(&c, fx.n1, 5);
	tmf_init(&req, NX_TMF_ABORT_TASK, 0, 5);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(tmf_done_calls, 0); /* waits for the I/O */
	assert_int_equal(req.waiting, 1);
	fb_complete_all(fx.fb);
	assert_int_equal(nrecs, 1);
	assert_true(recs[0].aborted);
	assert_int_equal(tmf_done_calls, 1);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
	assert_null(fx.n1->tmf_head);
	cmd_done(&c);
}

static void test_abort_task_unknown_and_bad_lun(void **state)
{
	struct nx_tmf req;

	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_ABORT_TASK, 0, 1234),
			 NX_TMF_TASK_NOT_FOUND);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_ABORT_TASK_SET, 4, 0),
			 NX_TMF_INCORRECT_LUN);
	assert_int_equal(tmf_done_calls, 1);
	/* CLEAR ACA is supported now (NORMACA=1): with no ACA condition it
	 * completes and changes nothing; an absent LU is INCORRECT LUN. */
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_CLEAR_ACA, 0, 0),
			 NX_TMF_FUNCTION_COMPLETE);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_CLEAR_ACA, 4, 0),
			 NX_TMF_INCORRECT_LUN);
}

/* ABORT TASK SET touches only the requesting nexus's tasks. */
static void test_abort_task_set(void **state)
{
	static struct cmd a, b;
	struct nx_tmf req;

	fx.fb->deferred = true;
	start_read(&a, fx.n1, 1);
	start_read(&b, fx.n2, 2);
	tmf_init(&req, NX_TMF_ABORT_TASK_SET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	fb_complete_all(fx.fb);
	assert_int_equal(nrecs, 2);
	assert_true(recs[0].aborted);
	assert_false(recs[1].aborted);
	assert_int_equal(recs[1].status, NX_STATUS_GOOD);
	assert_int_equal(tmf_done_calls, 1);
	cmd_done(&a);
	cmd_done(&b);
}

/* LU reset: the other nexus's task ends TASK ABORTED (TAS=1); every nexus
 * gets UA 29h/03h (SAM-5 6.3.3). */
static void test_lu_reset_tas(void **state)
{
	static struct cmd a, b;
	struct nx_tmf req;
	struct nx_ua ua;

	fx.fb->deferred = true;
	start_read(&a, fx.n1, 1);
	start_read(&b, fx.n2, 2);
	tmf_init(&req, NX_TMF_LOGICAL_UNIT_RESET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(tmf_done_calls, 0);
	fb_complete_all(fx.fb);
	assert_int_equal(tmf_done_calls, 1);
	assert_int_equal(nrecs, 2);
	assert_true(recs[0].aborted);
	assert_false(recs[1].aborted);
	assert_int_equal(recs[1].status, NX_STATUS_TASK_ABORTED);
	assert_int_equal(recs[1].sense_len, 0);
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x29);
	assert_int_equal(ua.ascq, 0x03);
	assert_true(nx_ua_pop(fx.n2, fx.lu, &ua));
	assert_int_equal(ua.ascq, 0x03);
	cmd_done(&a);
	cmd_done(&b);
}

/* CLEAR TASK SET with TAS=0: silent abort plus UA 2Fh/00h for the other
 * nexus (SAM-5 7.4). */
static void test_clear_task_set_no_tas(void **state)
{
	static struct cmd a, b;
	struct nx_tmf req;
	struct nx_ua ua;
	uint8_t wr[10];

	fx.lu->mode.tas = false;
	start_read(&a, fx.n2, 1);
	fx.fb->deferred = true;
	put_cdb10(wr, 0x2a, 0, 1);
	cmd_prepare(&b, fx.n2, 0, wr, 10);
	b.t.attr = NX_ATTR_ORDERED;
	assert_true(cmd_run(&b, zero512, 512)); /* in flight */
	tmf_init(&req, NX_TMF_CLEAR_TASK_SET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	fb_complete_all(fx.fb);
	assert_int_equal(tmf_done_calls, 1);
	assert_int_equal(nrecs, 2);
	assert_true(recs[1].aborted);
	assert_true(nx_ua_pop(fx.n2, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x2f);
	assert_int_equal(ua.ascq, 0x00);
	assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
	cmd_done(&a);
	cmd_done(&b);
}

static void test_queries(void **state)
{
	static struct cmd a;
	struct nx_tmf req;

	fx.fb->deferred = true;
	start_read(&a, fx.n1, 9);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_QUERY_TASK, 0, 9),
			 NX_TMF_FUNCTION_SUCCEEDED);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_QUERY_TASK, 0, 10),
			 NX_TMF_FUNCTION_COMPLETE);
	assert_int_equal(tmf_run(&req, fx.n2, NX_TMF_QUERY_TASK_SET, 0, 0),
			 NX_TMF_FUNCTION_COMPLETE);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_QUERY_TASK_SET, 0, 0),
			 NX_TMF_FUNCTION_SUCCEEDED);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_QUERY_ASYNC_EVENT, 0, 0),
			 NX_TMF_FUNCTION_COMPLETE);
	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x01);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_SUCCEEDED);
	fb_complete_all(fx.fb);
	cmd_done(&a);
}

static void test_nexus_and_target_resets(void **state)
{
	struct nx_tmf req;
	struct nx_ua ua;

	/* both nexuses prevent medium removal (SBC-3 5.13) */
	fx.n1->lus[0].prevent = fx.n2->lus[0].prevent = true;
	fx.lu->prevent = 2;
	fx.lu->mode.d_sense = true; /* current, not saved */
	assert_int_equal(tmf_run(&req, fx.n2, NX_TMF_I_T_NEXUS_RESET, 0x3fff, 0),
			 NX_TMF_FUNCTION_COMPLETE);
	/* the I_T nexus reset ends n2's prevention only */
	assert_int_equal(fx.lu->prevent, 1);
	assert_true(fx.n1->lus[0].prevent);
	assert_false(fx.n2->lus[0].prevent);
	assert_true(nx_ua_pop(fx.n2, fx.lu, &ua));
	assert_int_equal(ua.ascq, 0x07);
	assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
	tmf_init(&req, NX_TMF_TARGET_WARM_RESET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(tmf_done_calls, 1);
	assert_false(fx.lu->mode.d_sense);
	assert_int_equal(fx.lu->prevent, 0); /* a hard reset ends them all */
	assert_false(fx.n1->lus[0].prevent);
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x29);
	assert_int_equal(ua.ascq, 0x02);
	assert_true(nx_ua_pop(fx.n2, fx.lu, &ua));
	assert_int_equal(ua.ascq, 0x02);
}

/* ---- ACA (SAM-5 5.9.2) and QErr (SPC-4 7.5.8) ----------------------------- */

/* A TEST UNIT READY of nexus n with attribute attr and NACA; returns its
 * status (setup refusals included). */
static uint8_t tur(struct nx_nexus *n, enum nx_task_attr attr, bool naca)
{
	struct cmd c;
	uint8_t cdb[6] = { 0, 0, 0, 0, 0, (uint8_t)(naca ? 0x04 : 0) };

	cmd_prepare(&c, n, 0, cdb, 6);
	c.t.attr = attr;
	cmd_run(&c, NULL, 0);
	uint8_t st = c.t.status;
	cmd_done(&c);
	return st;
}

/* READ(10) past the capacity, NACA as given: CHECK CONDITION 05/21/00. */
static void fail_read(struct nx_nexus *n, bool naca)
{
	struct cmd c;
	uint8_t rd[10];

	put_cdb10(rd, 0x28, FX_SIZE / 512, 1);
	rd[9] = naca ? 0x04 : 0x00;
	cmd_prepare(&c, n, 0, rd, 10);
	cmd_run(&c, NULL, 0);
	expect_sense(&c.t, 0x05, 0x21, 0x00);
	cmd_done(&c);
}

static void test_aca_established_and_gate(void **state)
{
	struct nx_tmf req;

	fail_read(fx.n1, false); /* NACA=0: no ACA */
	assert_null(fx.lu->aca_nexus);
	assert_int_equal(tur(fx.n1, NX_ATTR_SIMPLE, false), NX_STATUS_GOOD);
	fail_read(fx.n1, true);
	assert_ptr_equal(fx.lu->aca_nexus, fx.n1);
	/* SAM-5 5.9.2.3: the faulted nexus without the ACA attribute */
	assert_int_equal(tur(fx.n1, NX_ATTR_SIMPLE, false), NX_STATUS_ACA_ACTIVE);
	assert_int_equal(tur(fx.n1, NX_ATTR_HEAD_OF_QUEUE, true),
			 NX_STATUS_ACA_ACTIVE);
	/* SAM-5 5.9.2.4: other nexuses: BUSY for NACA=0, ACA ACTIVE for
	 * NACA=1 or the ACA attribute */
	assert_int_equal(tur(fx.n2, NX_ATTR_SIMPLE, false), NX_STATUS_BUSY);
	assert_int_equal(tur(fx.n2, NX_ATTR_SIMPLE, true), NX_STATUS_ACA_ACTIVE);
	assert_int_equal(tur(fx.n2, NX_ATTR_ACA, false), NX_STATUS_ACA_ACTIVE);
	/* the ACA task runs */
	assert_int_equal(tur(fx.n1, NX_ATTR_ACA, false), NX_STATUS_GOOD);
	assert_ptr_equal(fx.lu->aca_nexus, fx.n1);
	/* CLEAR ACA from another nexus changes nothing */
	assert_int_equal(tmf_run(&req, fx.n2, NX_TMF_CLEAR_ACA, 0, 0),
			 NX_TMF_FUNCTION_COMPLETE);
	assert_ptr_equal(fx.lu->aca_nexus, fx.n1);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
	assert_null(fx.lu->aca_nexus);
	assert_int_equal(tur(fx.n1, NX_ATTR_SIMPLE, false), NX_STATUS_GOOD);
	assert_int_equal(tur(fx.n2, NX_ATTR_SIMPLE, false), NX_STATUS_GOOD);
	assert_false(nx_ua_pop(fx.n2, fx.lu, NULL)); /* UA_INTLCK_CTRL 00b */
}

/* One ACA task at a time; the tasks in the set wait while ACA lasts and
 * run once CLEAR ACA ends it; CLEAR ACA aborts the ACA task. */
static void test_aca_blocks_and_resumes(void **state)
{
	static struct cmd w, a, a2;
	struct nx_tmf req;
	uint8_t wr[10], tu[6] = { 0 };

	put_cdb10(wr, 0x2a, 0, 1);
	cmd_prepare(&w, fx.n2, 0, wr, 10);
	assert_true(nx_task_setup(&w.t)); /* awaiting data-out */
	fail_read(fx.n1, true);
	memcpy(w.t.data, zero512, 512);
	nx_task_execute(&w.t);
	assert_int_equal(nrecs, 0); /* blocked by ACA */
	cmd_prepare(&a, fx.n1, 0, wr, 10);
	a.t.attr = NX_ATTR_ACA;
	assert_true(nx_task_setup(&a.t)); /* ACA task awaiting data-out */
	cmd_prepare(&a2, fx.n1, 0, tu, 6);
	a2.t.attr = NX_ATTR_ACA;
	assert_false(cmd_run(&a2, NULL, 0)); /* a second ACA task */
	assert_int_equal(a2.t.status, NX_STATUS_ACA_ACTIVE);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_CLEAR_ACA, 0, 0),
			 NX_TMF_FUNCTION_COMPLETE);
	assert_int_equal(nrecs, 2);
	assert_true(recs[0].aborted); /* the ACA task, as ABORT TASK */
	assert_int_equal(recs[1].tag, w.t.tag);
	assert_int_equal(recs[1].status, NX_STATUS_GOOD);
	cmd_done(&w);
	cmd_done(&a);
	cmd_done(&a2);
}

/* An ACA task ending with CHECK CONDITION: NACA=0 ends the condition,
 * NACA=1 replaces it (SAM-5 5.9.2.2). */
static void test_aca_task_check_condition(void **state)
{
	struct cmd c;
	uint8_t rd[10];

	fail_read(fx.n1, true);
	put_cdb10(rd, 0x28, FX_SIZE / 512, 1);
	rd[9] = 0x04;
	cmd_prepare(&c, fx.n1, 0, rd, 10);
	c.t.attr = NX_ATTR_ACA;
	cmd_run(&c, NULL, 0);
	expect_sense(&c.t, 0x05, 0x21, 0x00);
	cmd_done(&c);
	assert_ptr_equal(fx.lu->aca_nexus, fx.n1);
	rd[9] = 0x00;
	cmd_prepare(&c, fx.n1, 0, rd, 10);
	c.t.attr = NX_ATTR_ACA;
	cmd_run(&c, NULL, 0);
	expect_sense(&c.t, 0x05, 0x21, 0x00);
	cmd_done(&c);
	assert_null(fx.lu->aca_nexus);
}

/* LU reset, I_T nexus reset / loss of the faulted nexus clear ACA; ABORT
 * TASK SET and CLEAR TASK SET do not (SAM-5 5.9.2.5, 7.3, 7.5). */
static void test_aca_cleared_by_resets(void **state)
{
	struct nx_tmf req;

	fail_read(fx.n1, true);
	tmf_init(&req, NX_TMF_ABORT_TASK_SET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	tmf_init(&req, NX_TMF_CLEAR_TASK_SET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_ptr_equal(fx.lu->aca_nexus, fx.n1);
	tmf_init(&req, NX_TMF_I_T_NEXUS_RESET, 0, 0);
	nx_tmf_submit(fx.n2, &req); /* another nexus: no effect on ACA */
	assert_ptr_equal(fx.lu->aca_nexus, fx.n1);
	assert_true(nx_ua_pop(fx.n2, fx.lu, NULL)); /* its 29h/07h */
	nx_tmf_submit(fx.n1, &req);
	assert_null(fx.lu->aca_nexus);
	fail_read(fx.n2, true);
	assert_ptr_equal(fx.lu->aca_nexus, fx.n2);
	tmf_init(&req, NX_TMF_LOGICAL_UNIT_RESET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_null(fx.lu->aca_nexus);
	while (nx_ua_pop(fx.n1, fx.lu, NULL))
		;
	fail_read(fx.n1, true);
	nx_nexus_shutdown(fx.n1, tmf_done_nexus, NULL);
	assert_null(fx.lu->aca_nexus);
}

/* QErr 01b (SPC-4 7.5.8 table 460): a CHECK CONDITION aborts the whole
 * task set: the faulted nexus's other tasks silently, another nexus's
 * with TASK ABORTED (TAS=1) or silently plus UA 2Fh/00h (TAS=0). */
static void test_qerr_01(void **state)
{
	static struct cmd own, other;
	uint8_t wr[10];
	struct nx_ua ua;

	fx.lu->mode.qerr = 1;
	for (int tas = 1; tas >= 0; tas--) {
		fx.lu->mode.tas = tas;
		nrecs = 0;
		put_cdb10(wr, 0x2a, 0, 1);
		cmd_prepare(&own, fx.n1, 0, wr, 10);
		assert_true(nx_task_setup(&own.t));
		cmd_prepare(&other, fx.n2, 0, wr, 10);
		assert_true(nx_task_setup(&other.t));
		fail_read(fx.n1, false);
		assert_int_equal(nrecs, 2);
		assert_true(recs[0].aborted);
		assert_int_equal(recs[1].aborted, !tas);
		if (tas)
			assert_int_equal(recs[1].status, NX_STATUS_TASK_ABORTED);
		assert_int_equal(nx_ua_pop(fx.n2, fx.lu, &ua), !tas);
		if (!tas)
			assert_int_equal(ua.asc, 0x2f);
		assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
		cmd_done(&own);
		cmd_done(&other);
	}
}

/* QErr 11b: only the faulted nexus's tasks are aborted; QErr 00b none. */
static void test_qerr_11_and_00(void **state)
{
	static struct cmd own, other;
	uint8_t wr[10];

	put_cdb10(wr, 0x2a, 0, 1);
	for (int q = 3; q >= 0; q -= 3) {
		fx.lu->mode.qerr = (uint8_t)q;
		nrecs = 0;
		cmd_prepare(&own, fx.n1, 0, wr, 10);
		assert_true(nx_task_setup(&own.t));
		cmd_prepare(&other, fx.n2, 0, wr, 10);
		assert_true(nx_task_setup(&other.t));
		fail_read(fx.n1, false);
		assert_int_equal(nrecs, q == 3 ? 1 : 0);
		if (q == 3)
			assert_ptr_equal(recs[0].t, &own.t);
		nx_task_release(&other.t);
		if (q == 0)
			nx_task_release(&own.t);
		cmd_done(&own);
		cmd_done(&other);
	}
	assert_false(nx_ua_pop(fx.n2, fx.lu, NULL));
}

/* SAM-5 7.10: QUERY ASYNCHRONOUS EVENT returns the pending UA in the
 * additional response information and leaves it pending. */
static void test_query_async_event_info(void **state)
{
	struct nx_tmf req;
	struct nx_ua ua;

	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x01);
	assert_int_equal(tmf_run(&req, fx.n1, NX_TMF_QUERY_ASYNC_EVENT, 0, 0),
			 NX_TMF_FUNCTION_SUCCEEDED);
	assert_memory_equal(req.resp_info, "\x16\x2a\x01", 3);
	nx_ua_establish(fx.n1, fx.lu, 0x29, 0x03);
	nx_tmf_submit(fx.n1, &req);
	assert_memory_equal(req.resp_info, "\x26\x29\x03", 3);
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
	assert_memory_equal(req.resp_info, "\x00\x00\x00", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_abort_task_waiting_for_data),
		T(test_abort_task_in_flight),
		T(test_abort_task_unknown_and_bad_lun),
		T(test_abort_task_set),
		T(test_lu_reset_tas),
		T(test_clear_task_set_no_tas),
		T(test_queries),
		T(test_aca_established_and_gate),
		T(test_aca_blocks_and_resumes),
		T(test_aca_task_check_condition),
		T(test_aca_cleared_by_resets),
		T(test_qerr_01),
		T(test_qerr_11_and_00),
		T(test_query_async_event_info),
		T(test_nexus_and_target_resets),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
