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

	tmf_init(&req, NX_TMF_ABORT_TASK, 0, 1234);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_TASK_NOT_FOUND);
	tmf_init(&req, NX_TMF_ABORT_TASK_SET, 4, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_INCORRECT_LUN);
	assert_int_equal(tmf_done_calls, 1);
	tmf_init(&req, NX_TMF_CLEAR_ACA, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_REJECTED);
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
	tmf_init(&req, NX_TMF_QUERY_TASK, 0, 9);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_SUCCEEDED);
	tmf_init(&req, NX_TMF_QUERY_TASK, 0, 10);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
	tmf_init(&req, NX_TMF_QUERY_TASK_SET, 0, 0);
	nx_tmf_submit(fx.n2, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
	tmf_init(&req, NX_TMF_QUERY_TASK_SET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_SUCCEEDED);
	tmf_init(&req, NX_TMF_QUERY_ASYNC_EVENT, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
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
	fx.n1->prevent[0] = fx.n2->prevent[0] = true;
	fx.lu->prevent = 2;
	fx.lu->mode.d_sense = true; /* current, not saved */
	tmf_init(&req, NX_TMF_I_T_NEXUS_RESET, 0x3fff, 0);
	nx_tmf_submit(fx.n2, &req);
	assert_int_equal(req.result, NX_TMF_FUNCTION_COMPLETE);
	/* the I_T nexus reset ends n2's prevention only */
	assert_int_equal(fx.lu->prevent, 1);
	assert_true(fx.n1->prevent[0]);
	assert_false(fx.n2->prevent[0]);
	assert_true(nx_ua_pop(fx.n2, fx.lu, &ua));
	assert_int_equal(ua.ascq, 0x07);
	assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
	tmf_init(&req, NX_TMF_TARGET_WARM_RESET, 0, 0);
	nx_tmf_submit(fx.n1, &req);
	assert_int_equal(tmf_done_calls, 1);
	assert_false(fx.lu->mode.d_sense);
	assert_int_equal(fx.lu->prevent, 0); /* a hard reset ends them all */
	assert_false(fx.n1->prevent[0]);
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x29);
	assert_int_equal(ua.ascq, 0x02);
	assert_true(nx_ua_pop(fx.n2, fx.lu, &ua));
	assert_int_equal(ua.ascq, 0x02);
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
		T(test_nexus_and_target_resets),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
