/*
 * session_test.c - TMF (RFC 7143 11.5/11.6), NOP (11.18/11.19), Text and
 * SendTargets (11.10/11.11, appendix C), Logout (11.14/11.15), Reject
 * (11.17), raw PDUs + receive hook, cancel and the sync layer's timeout.
 */
#include "tests/unit/ini_fixture.h"
#include "nx_ini_sync.h"

#define ANSWERS                                                              \
	"HeaderDigest=None\nDataDigest=None\nMaxRecvDataSegmentLength=8192\n" \
	"MaxBurstLength=65536\nFirstBurstLength=16384"

static struct ft ft;
static struct nx_ini_config cfg;
static struct nx_ini_login lreq;
static int fired;
static uint8_t rbuf[4096];

static void on_scsi(struct nx_ini_scsi *r) { fired++; }
static void on_tmf(struct nx_ini_tmf *r) { fired++; }
static void on_nop(struct nx_ini_nop *r) { fired++; }
static void on_text(struct nx_ini_text *r) { fired++; }
static void on_logout(struct nx_ini_logout *r) { fired++; }

static int setup(void **state)
{
	nx_ini_config_init(&cfg, "iqn.2024-01.org.nexus:ini",
			   "iqn.2024-01.org.nexus:tgt");
	fired = 0;
	ft_init(&ft, &cfg);
	ft_login(&ft, &lreq, ANSWERS);
	return 0;
}

static int teardown(void **state)
{
	ft_fini(&ft);
	return 0;
}

static void submit_read(struct nx_ini_scsi *cmd, uint32_t lun)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->lun = nx_ini_lun(lun);
	cmd->cdb[0] = 0x28;
	nx_put_be16(cmd->cdb + 7, 1);
	cmd->cdb_len = 10;
	cmd->data_in = rbuf;
	cmd->data_in_len = 512;
	cmd->done = on_scsi;
	assert_int_equal(nx_ini_scsi_submit(ft.c, cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
}

static int tmf_rsp(uint32_t itt, uint8_t response)
{
	uint8_t bhs[48];

	ft_bhs(&ft, bhs, NX_ISCSI_OP_TMF_RSP, itt, true);
	bhs[1] = 0x80;
	bhs[2] = response;
	return ft_feed(&ft, bhs, NULL, 0);
}

/* 11.5: ABORT TASK bytes; on FUNCTION COMPLETE the aborted command ends
 * with NX_INI_EABORTED and the other one is untouched. */
static void test_tmf_abort_task(void **state)
{
	static struct nx_ini_scsi a, b;
	static struct nx_ini_tmf tmf;

	submit_read(&a, 0);
	submit_read(&b, 0);
	memset(&tmf, 0, sizeof(tmf));
	tmf.function = NX_INI_TMF_ABORT_TASK;
	tmf.lun = nx_ini_lun(0);
	nx_ini_tmf_ref(&tmf, &a);
	tmf.done = on_tmf;
	assert_int_equal(nx_ini_tmf_submit(ft.c, &tmf), 0);
	ft_expect(&ft, NX_ISCSI_OP_TMF_REQ);
	assert_int_equal(ft.p.bhs[0], 0x42);            /* immediate */
	assert_int_equal(ft.p.bhs[1], 0x81);
	assert_int_equal(nx_get_be32(ft.p.bhs + 16), tmf.itt);
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), a.itt);   /* RefTaskTag */
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 3);       /* CmdSN (imm) */
	assert_int_equal(nx_get_be32(ft.p.bhs + 32), a.cmdsn); /* RefCmdSN */
	assert_int_equal(tmf_rsp(tmf.itt, NX_INI_TMF_RSP_COMPLETE), 0);
	assert_int_equal(fired, 2);
	assert_int_equal(a.err, NX_INI_EABORTED);
	assert_int_equal(tmf.err, 0);
	assert_int_equal(tmf.response, 0);
	assert_int_equal(nx_ini_session_outstanding(ft.s), 1);
	/* a late response for the aborted task is ignored and counted */
	{
		uint8_t bhs[48];

		ft_bhs(&ft, bhs, NX_ISCSI_OP_SCSI_RSP, a.itt, true);
		bhs[1] = 0x80;
		assert_int_equal(ft_feed(&ft, bhs, NULL, 0), 0);
	}
	assert_int_equal(nx_ini_session_stats(ft.s)->unknown_itt, 1);
}

/* LOGICAL UNIT RESET aborts the LUN's commands only; a failing response
 * aborts nothing. */
static void test_tmf_lun_reset(void **state)
{
	static struct nx_ini_scsi a, b;
	static struct nx_ini_tmf tmf;

	submit_read(&a, 0);
	submit_read(&b, 1);
	memset(&tmf, 0, sizeof(tmf));
	tmf.function = NX_INI_TMF_LOGICAL_UNIT_RESET;
	tmf.lun = nx_ini_lun(1);
	tmf.ref_itt = 0xffffffff;
	tmf.done = on_tmf;
	assert_int_equal(nx_ini_tmf_submit(ft.c, &tmf), 0);
	ft_expect(&ft, NX_ISCSI_OP_TMF_REQ);
	assert_int_equal(ft.p.bhs[1], 0x85);
	assert_int_equal(nx_get_be64(ft.p.bhs + 8), nx_ini_lun(1));
	assert_int_equal(tmf_rsp(tmf.itt, NX_INI_TMF_RSP_NOT_SUPPORTED), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(tmf.response, 5);
	assert_int_equal(nx_ini_session_outstanding(ft.s), 2);
	assert_int_equal(nx_ini_tmf_submit(ft.c, &tmf), 0);
	assert_int_equal(tmf_rsp(tmf.itt, NX_INI_TMF_RSP_COMPLETE), 0);
	assert_int_equal(b.err, NX_INI_EABORTED);
	assert_int_equal(a.err, 0);
	assert_int_equal(nx_ini_session_outstanding(ft.s), 1);
}

/* 11.18/11.19: ping round trip with data echo. */
static void test_nop_ping(void **state)
{
	static struct nx_ini_nop nop;
	uint8_t bhs[48];

	memset(&nop, 0, sizeof(nop));
	nop.data = "ping!";
	nop.len = 5;
	nop.done = on_nop;
	assert_int_equal(nx_ini_nop_submit(ft.c, &nop), 0);
	ft_expect(&ft, NX_ISCSI_OP_NOP_OUT);
	assert_int_equal(ft.p.bhs[0], 0x40);
	assert_int_equal(ft.p.bhs[1], 0x80);
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), 0xffffffff);
	assert_int_equal(ft.p.len, 5);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_NOP_IN, nop.itt, true);
	bhs[1] = 0x80;
	assert_int_equal(ft_feed(&ft, bhs, "ping!", 5), 0);
	assert_int_equal(fired, 1);
	assert_true(nop.data_match);
}

/* 11.18.4: the target's ping (TTT set, ITT reserved) is answered with
 * the TTT, LUN and data echoed; it does not consume a StatSN. */
static void test_target_ping_answered(void **state)
{
	uint8_t bhs[48];

	ft_bhs(&ft, bhs, NX_ISCSI_OP_NOP_IN, 0xffffffff, false);
	bhs[1] = 0x80;
	nx_put_be32(bhs + 20, 0xabcd);
	nx_put_be64(bhs + 8, nx_ini_lun(3));
	assert_int_equal(ft_feed(&ft, bhs, "xyz", 3), 0);
	ft_expect(&ft, NX_ISCSI_OP_NOP_OUT);
	assert_int_equal(ft.p.bhs[0], 0x40);
	assert_int_equal(nx_get_be32(ft.p.bhs + 16), 0xffffffff);
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), 0xabcd);
	assert_int_equal(nx_get_be64(ft.p.bhs + 8), nx_ini_lun(3));
	assert_int_equal(ft.p.len, 3);
	assert_memory_equal(ft.p.data, "xyz", 3);
	assert_int_equal(nx_ini_conn_exp_statsn(ft.c), 0x102);
	assert_int_equal(nx_ini_session_stats(ft.s)->nop_in_answered, 1);
}

/* 11.10/11.11 + appendix C: SendTargets split over two responses. */
static void test_sendtargets_continuation(void **state)
{
	static struct nx_ini_text t;
	static struct nx_ini_target tg[4];
	static const char part1[] = "TargetName=iqn.a\0TargetAddress=10.0.0.1:3260,1\0"
				    "TargetAddress=[fe80::1]:32";
	static const char part2[] = "60,2\0TargetName=iqn.b\0";
	uint8_t bhs[48];

	memset(&t, 0, sizeof(t));
	t.keys = "SendTargets=All";
	t.targets = tg;
	t.targets_cap = 4;
	t.done = on_text;
	assert_int_equal(nx_ini_text_submit(ft.c, &t), 0);
	ft_expect(&ft, NX_ISCSI_OP_TEXT_REQ);
	assert_int_equal(ft.p.bhs[0], 0x04);            /* not immediate */
	assert_int_equal(ft.p.bhs[1], 0x80);
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), 0xffffffff);
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 1);
	ft_assert_text(&ft.p, "SendTargets=All");
	assert_int_equal(nx_ini_text_submit(ft.c, &t), NX_EAGAIN);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_TEXT_RSP, t.itt, true);
	bhs[1] = 0x40;                                 /* C, not F */
	nx_put_be32(bhs + 20, 0x55);
	assert_int_equal(ft_feed(&ft, bhs, part1, sizeof(part1) - 1), 0);
	ft_expect(&ft, NX_ISCSI_OP_TEXT_REQ);
	assert_int_equal(nx_get_be32(ft.p.bhs + 16), t.itt);
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), 0x55);
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 2);
	assert_int_equal(ft.p.len, 0);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_TEXT_RSP, t.itt, true);
	bhs[1] = 0x80;
	assert_int_equal(ft_feed(&ft, bhs, part2, sizeof(part2) - 1), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(t.err, 0);
	assert_int_equal(t.targets_count, 2);
	assert_string_equal(tg[0].name, "iqn.a");
	assert_int_equal(tg[0].addr_count, 2);
	assert_string_equal(tg[0].addr[0], "10.0.0.1:3260,1");
	assert_string_equal(tg[0].addr[1], "[fe80::1]:3260,2");
	assert_string_equal(tg[1].name, "iqn.b");
	assert_int_equal(tg[1].addr_count, 0);
}

/* ITT = generation << 8 | slot, and the slot is the lowest free one
 * (session.c): SCSI commands fill slots 0..max_cmds-1 across the words
 * of the taken-slot bitmap, a freed slot is the next one handed out,
 * management requests use their own slots, and a full table says
 * NX_EAGAIN. */
static void test_slot_order(void **state)
{
	static struct nx_ini_scsi cmds[NX_INI_MAX_CMDS + 1];
	static struct nx_ini_nop nop;
	struct nx_ini_scsi *c5 = &cmds[5], *c70 = &cmds[70];
	uint32_t itt5, itt70;

	for (unsigned i = 0; i <= NX_INI_MAX_CMDS; i++) {
		struct nx_ini_scsi *cmd = &cmds[i];

		memset(cmd, 0, sizeof(*cmd));
		cmd->cdb[0] = 0x00; /* TEST UNIT READY */
		cmd->cdb_len = 6;
		cmd->done = on_scsi;
		if (i == NX_INI_MAX_CMDS) {
			assert_int_equal(nx_ini_scsi_submit(ft.c, cmd), NX_EAGAIN);
			break;
		}
		assert_int_equal(nx_ini_scsi_submit(ft.c, cmd), 0);
		assert_int_equal(cmd->itt & 0xff, i);
	}
	memset(&nop, 0, sizeof(nop));
	nop.done = on_nop;
	assert_int_equal(nx_ini_nop_submit(ft.c, &nop), 0);
	assert_int_equal(nop.itt & 0xff, NX_INI_MAX_CMDS);
	itt5 = c5->itt;
	itt70 = c70->itt;
	assert_true(nx_ini_cancel(ft.s, itt70));
	assert_true(nx_ini_cancel(ft.s, itt5));
	assert_int_equal(fired, 2);
	assert_false(nx_ini_cancel(ft.s, itt5)); /* gone: the ITT is stale */
	assert_int_equal(nx_ini_scsi_submit(ft.c, c70), 0);
	assert_int_equal(c70->itt & 0xff, 5);
	assert_true(c70->itt != itt5); /* a new generation */
	assert_int_equal(nx_ini_scsi_submit(ft.c, c5), 0);
	assert_int_equal(c5->itt & 0xff, 70);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmds[NX_INI_MAX_CMDS]),
			 NX_EAGAIN);
	assert_int_equal(nx_ini_session_outstanding(ft.s), NX_INI_MAX_CMDS);
}

/* 11.14/11.15: logout bytes; success closes the connection cleanly. */
static void test_logout(void **state)
{
	static struct nx_ini_logout l;
	static struct nx_ini_scsi a;
	uint8_t bhs[48];

	submit_read(&a, 0);
	memset(&l, 0, sizeof(l));
	l.reason = NX_INI_LOGOUT_CONNECTION;
	l.done = on_logout;
	assert_int_equal(nx_ini_logout_submit(ft.c, &l), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGOUT_REQ);
	assert_int_equal(ft.p.bhs[0], 0x46);
	assert_int_equal(ft.p.bhs[1], 0x81);
	assert_int_equal(nx_get_be16(ft.p.bhs + 20), 1);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_LOGOUT_RSP, l.itt, true);
	bhs[1] = 0x80;
	nx_put_be16(bhs + 40, 2);
	nx_put_be16(bhs + 42, 20);
	assert_int_equal(ft_feed(&ft, bhs, NULL, 0), 0);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.response, 0);
	assert_int_equal(l.time2wait, 2);
	assert_int_equal(l.time2retain, 20);
	assert_int_equal(ft.closes, 1);
	assert_true(nx_ini_conn_is_dead(ft.c));
	assert_int_equal(a.err, NX_INI_ECONNRESET);
	assert_int_equal(fired, 2);
}

/* 11.17: a Reject naming our command completes it with the reason. */
static void test_reject_completes_command(void **state)
{
	static struct nx_ini_scsi a;
	uint8_t bhs[48], rejected[48];

	submit_read(&a, 0);
	memcpy(rejected, ft.p.bhs, 48);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_REJECT, 0xffffffff, true);
	bhs[1] = 0x80;
	bhs[2] = 0x04;                                 /* protocol error */
	assert_int_equal(ft_feed(&ft, bhs, rejected, 48), 0);
	assert_int_equal(a.err, NX_INI_EREJECTED);
	assert_int_equal(a.reject_reason, 0x04);
	assert_int_equal(nx_ini_session_stats(ft.s)->rejects, 1);
	/* a Reject without the rejected header is malformed */
	ft_bhs(&ft, bhs, NX_ISCSI_OP_REJECT, 0xffffffff, true);
	bhs[1] = 0x80;
	assert_true(ft_feed(&ft, bhs, rejected, 20) < 0);
}

static int hook_calls;
static uint8_t hook_bhs[48];

static bool hook(void *arg, struct nx_ini_conn *c, const uint8_t *bhs,
		 const uint8_t *ahs, uint32_t ahs_len, const uint8_t *data,
		 uint32_t data_len)
{
	hook_calls++;
	memcpy(hook_bhs, bhs, 48);
	return *(bool *)arg;
}

/* Raw PDUs go out verbatim (+ padding); the hook sees every PDU and can
 * consume it while sequence numbers are still tracked. */
static void test_raw_pdu_and_hook(void **state)
{
	static bool consume = true;
	uint8_t raw[48] = { 0x01, 0x81 }, bhs[48];
	uint32_t sn = nx_ini_session_take_cmdsn(ft.s);

	nx_put_be24(raw + 5, 3);
	nx_put_be32(raw + 16, 0xdead0001);
	nx_put_be32(raw + 24, sn);
	assert_int_equal(sn, 1);
	assert_int_equal(nx_ini_session_cmdsn(ft.s), 2);
	assert_int_equal(nx_ini_send_raw_pdu(ft.c, raw, "abc", 3), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_memory_equal(ft.p.bhs, raw, 48);
	assert_int_equal(ft.p.len, 3);
	nx_ini_conn_set_rx_hook(ft.c, hook, &consume);
	ft.max_cmdsn = 40;
	ft_bhs(&ft, bhs, NX_ISCSI_OP_SCSI_RSP, 0xdead0001, true);
	bhs[1] = 0x80;
	assert_int_equal(ft_feed(&ft, bhs, NULL, 0), 0);
	assert_int_equal(hook_calls, 1);
	assert_memory_equal(hook_bhs, bhs, 48);
	assert_int_equal(nx_ini_session_stats(ft.s)->unknown_itt, 0);
	assert_int_equal(nx_ini_conn_exp_statsn(ft.c), 0x103);
	assert_int_equal(nx_ini_session_max_cmdsn(ft.s), 40);
	consume = false;
	assert_int_equal(ft_feed(&ft, bhs, NULL, 0), 0);
	assert_int_equal(hook_calls, 2);
	assert_int_equal(nx_ini_session_stats(ft.s)->unknown_itt, 1);
}

static unsigned polls;

static void idle_poll(void *ctx)
{
	polls++;
}

/* The sync layer never hangs: the step limit cancels the request. */
static void test_sync_timeout_cancels(void **state)
{
	struct nx_ini_driver d = { idle_poll, NULL, 50 };
	static struct nx_ini_scsi r;
	uint8_t cdb[6] = { 0x00 };                     /* TEST UNIT READY */
	uint8_t bhs[48];

	polls = 0;
	assert_int_equal(nx_ini_sync_scsi(ft.c, &d, 0, cdb, 6, NX_INI_DIR_NONE,
					  NULL, 0, &r),
			 NX_INI_ETIMEDOUT);
	assert_int_equal(polls, 50);
	assert_int_equal(r.err, NX_INI_ECANCELED);
	assert_int_equal(nx_ini_session_outstanding(ft.s), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_SCSI_RSP, r.itt, true);
	bhs[1] = 0x80;
	assert_int_equal(ft_feed(&ft, bhs, NULL, 0), 0);
	assert_int_equal(nx_ini_session_stats(ft.s)->unknown_itt, 1);
}

/* The stream ending fails what is outstanding; later submits refuse. */
static void test_conn_closed(void **state)
{
	static struct nx_ini_scsi a;

	submit_read(&a, 0);
	nx_ini_conn_closed(ft.c);
	assert_int_equal(a.err, NX_INI_ECONNRESET);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &a), NX_EINVAL);
	assert_int_equal(ft.closes, 0);
}

/* Async Message (11.9) is counted and consumes a StatSN. */
static void test_async_message(void **state)
{
	uint8_t bhs[48];

	ft_bhs(&ft, bhs, NX_ISCSI_OP_ASYNC_MSG, 0xffffffff, true);
	bhs[1] = 0x80;
	bhs[36] = 1;
	assert_int_equal(ft_feed(&ft, bhs, NULL, 0), 0);
	assert_int_equal(nx_ini_session_stats(ft.s)->async_events, 1);
	assert_int_equal(nx_ini_conn_exp_statsn(ft.c), 0x103);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tmf_abort_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmf_lun_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nop_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_ping_answered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sendtargets_continuation,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_completes_command,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_pdu_and_hook, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sync_timeout_cancels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_conn_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_message, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
