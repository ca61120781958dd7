/*
 * conn_test.c - receive state machine, send path, phases, CmdSN window,
 * NOP, Reject, TMF and Logout of the iSCSI connection machinery, against
 * the real login side and core (tests/unit/iscsi_fixture.h).
 */
#include "tests/unit/iscsi_fixture.h"

static const uint8_t ping_data[] = "nopping"; /* 8 bytes with the NUL */

/* Sends a NOP-Out ping and checks the exact NOP-In (RFC 7143 11.19). */
static void ping(struct fx *f, const void *data, uint32_t len)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;
	uint32_t itt;

	fx_bhs(f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
	nx_put_be64(bhs + 8, 0x0001000000000000ull);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	itt = nx_get_be32(bhs + 16);
	assert_int_equal(fx_feed(f, bhs, data, len), 0);
	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_NOP_IN);
	assert_int_equal(p.bhs[1], 0x80);
	assert_int_equal(p.dsl, len);
	assert_int_equal(nx_get_be64(p.bhs + 8), 0x0001000000000000ull);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	assert_int_equal(nx_get_be32(p.bhs + 20), NX_ISCSI_RSVD_TAG);
	fx_check_statsn(f, &p);
	assert_int_equal(nx_get_be32(p.bhs + 28), f->cmdsn);
	assert_int_equal(nx_get_be32(p.bhs + 32), f->cmdsn + NX_ISCSI_CMDSN_WINDOW - 1);
	if (len > 0)
		assert_memory_equal(p.data, data, len);
	fx_expect_none(f);
}

static void test_nop_ping_chunkings(void **state)
{
	static const size_t chunks[] = { 0, 1, 3, 7, 47, 49, 53 };

	for (unsigned i = 0; i < NX_ARRAY_SIZE(chunks); i++) {
		struct fx f;

		fx_init(&f);
		f.chunk = chunks[i];
		fx_login(&f);
		ping(&f, ping_data, sizeof(ping_data));
		ping(&f, NULL, 0);
		ping(&f, "abcde", 5); /* 3 bytes of padding */
		fx_fini(&f);
	}
}

/* Two PDUs in one input call, split at every offset. */
static void test_two_pdus_every_split(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN], buf[256];
	size_t n1, n2;

	for (size_t split = 1; split < 2 * NX_ISCSI_BHS_LEN + 4; split += 5) {
		struct fx f;
		struct rpdu p;

		fx_init(&f);
		fx_login(&f);
		fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
		nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
		n1 = fx_build(&f, buf, bhs, "abcd", 4);
		fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
		nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
		n2 = fx_build(&f, buf + n1, bhs, NULL, 0);
		assert_int_equal(nx_iscsi_conn_input(f.c, buf, split), 0);
		assert_int_equal(nx_iscsi_conn_input(f.c, buf + split, n1 + n2 - split), 0);
		assert_true(fx_next(&f, &p));
		assert_int_equal(nx_get_be32(p.bhs + 16), 0x100);
		assert_int_equal(p.dsl, 4);
		assert_true(fx_next(&f, &p));
		assert_int_equal(nx_get_be32(p.bhs + 16), 0x101);
		fx_expect_none(&f);
		fx_fini(&f);
	}
}

static void login_digests(struct fx *f)
{
	static const char *const keys[] = {
		"HeaderDigest=CRC32C", "DataDigest=CRC32C", "InitialR2T=No",
		"ImmediateData=Yes", "MaxRecvDataSegmentLength=8192",
	};

	fx_login_keys(f, keys, NX_ARRAY_SIZE(keys));
}

static void test_digests(void **state)
{
	struct fx f;

	fx_init(&f);
	f.chunk = 5;
	login_digests(&f);
	assert_true(f.c->hdigest && f.c->ddigest);
	ping(&f, ping_data, sizeof(ping_data));
	ping(&f, "xyz", 3);
	fx_fini(&f);
}

/* RFC 7143 7.8: a header digest error ends the connection. */
static void test_header_digest_error_drops(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN], buf[128];
	struct fx f;
	size_t n;

	fx_init(&f);
	login_digests(&f);
	fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	n = fx_build(&f, buf, bhs, NULL, 0);
	buf[NX_ISCSI_BHS_LEN] ^= 1;
	assert_int_equal(nx_iscsi_conn_input(f.c, buf, n), NX_EIO);
	assert_true(f.close_called);
	fx_expect_none(&f);
	fx_fini(&f);
}

/* A data digest error on a command: Reject reason 2 with the BHS. */
static void test_data_digest_error_rejects(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN], buf[128];
	struct fx f;
	struct rpdu p;
	size_t n;

	fx_init(&f);
	login_digests(&f);
	fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	n = fx_build(&f, buf, bhs, "abcd", 4);
	buf[n - 1] ^= 0x10;
	assert_int_equal(nx_iscsi_conn_input(f.c, buf, n), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_REJECT);
	assert_int_equal(p.bhs[2], NX_ISCSI_REJECT_DATA_DIGEST);
	assert_int_equal(nx_get_be32(p.bhs + 16), NX_ISCSI_RSVD_TAG);
	fx_check_statsn(&f, &p);
	assert_int_equal(p.dsl, NX_ISCSI_BHS_LEN);
	nx_put_be24(bhs + 5, 4);
	assert_memory_equal(p.data, bhs, NX_ISCSI_BHS_LEN);
	assert_false(f.close_called);
	fx_fini(&f);
}

static void nop_nonimmediate(struct fx *f, uint32_t cmdsn, uint32_t itt)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	fx_bhs(f, bhs, NX_ISCSI_OP_NOP_OUT, 0x80);
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	nx_put_be32(bhs + 24, cmdsn);
	assert_int_equal(fx_feed(f, bhs, NULL, 0), 0);
}

/* RFC 7143 3.2.2.1: CmdSN outside [ExpCmdSN, MaxCmdSN] is ignored;
 * inside but ahead waits for the gap. */
static void test_cmdsn_window(void **state)
{
	struct fx f;
	struct rpdu p;

	fx_init(&f);
	fx_login(&f);
	nop_nonimmediate(&f, 1 + NX_ISCSI_CMDSN_WINDOW, 0x900); /* > MaxCmdSN */
	nop_nonimmediate(&f, 0, 0x901);                         /* < ExpCmdSN */
	fx_expect_none(&f);
	nop_nonimmediate(&f, 3, 0x903); /* held */
	nop_nonimmediate(&f, 2, 0x902); /* held */
	fx_expect_none(&f);
	nop_nonimmediate(&f, 1, 0x904); /* fills the gap: 1, 2, 3 run */
	for (uint32_t i = 0; i < 3; i++) {
		static const uint32_t itts[] = { 0x904, 0x902, 0x903 };

		assert_true(fx_next(&f, &p));
		assert_int_equal(p.bhs[0], NX_ISCSI_OP_NOP_IN);
		assert_int_equal(nx_get_be32(p.bhs + 16), itts[i]);
		fx_check_statsn(&f, &p);
	}
	assert_int_equal(nx_get_be32(p.bhs + 28), 4);
	assert_int_equal(nx_get_be32(p.bhs + 32), 4 + NX_ISCSI_CMDSN_WINDOW - 1);
	fx_expect_none(&f);
	fx_fini(&f);
}

static void expect_reject(struct fx *f, const uint8_t *bhs, uint8_t reason)
{
	struct rpdu p;

	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_REJECT);
	assert_int_equal(p.bhs[1], 0x80);
	assert_int_equal(p.bhs[2], reason);
	fx_check_statsn(f, &p);
	assert_int_equal(p.dsl, NX_ISCSI_BHS_LEN);
	assert_memory_equal(p.data, bhs, NX_ISCSI_BHS_LEN);
}

static void test_reject_opcodes(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;

	fx_init(&f);
	fx_login(&f);
	fx_bhs(&f, bhs, 0x40 | 0x1c, 0x80); /* vendor specific */
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	expect_reject(&f, bhs, NX_ISCSI_REJECT_CMD_NOT_SUPPORTED);
	fx_bhs(&f, bhs, NX_ISCSI_OP_SNACK_REQ, 0x80);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	expect_reject(&f, bhs, NX_ISCSI_REJECT_SNACK);
	fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_LOGIN_REQ, 0x87);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	expect_reject(&f, bhs, NX_ISCSI_REJECT_PROTOCOL);
	fx_expect_none(&f);
	ping(&f, NULL, 0); /* still alive */
	fx_fini(&f);
}

/* RFC 7143 13.12: a data segment above our MaxRecvDataSegmentLength. */
static void test_oversized_segment_drops(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;

	fx_init(&f);
	fx_login(&f);
	fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
	nx_put_be24(bhs + 5, NX_ISCSI_MAX_RECV_DSL + 4);
	assert_int_equal(nx_iscsi_conn_input(f.c, bhs, sizeof(bhs)), NX_EIO);
	expect_reject(&f, bhs, NX_ISCSI_REJECT_PROTOCOL);
	assert_true(f.close_called);
	fx_fini(&f);
}

static void test_non_login_during_login_drops(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;

	fx_init(&f);
	fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), NX_EIO);
	assert_true(f.close_called);
	fx_expect_none(&f);
	fx_fini(&f);
}

static void tmf(struct fx *f, uint8_t function, uint32_t ref_itt,
		uint32_t ref_cmdsn, uint8_t expect)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;
	uint32_t itt;

	fx_bhs(f, bhs, 0x40 | NX_ISCSI_OP_TMF_REQ, (uint8_t)(0x80 | function));
	nx_put_be32(bhs + 20, ref_itt);
	nx_put_be32(bhs + 32, ref_cmdsn);
	itt = nx_get_be32(bhs + 16);
	assert_int_equal(fx_feed(f, bhs, NULL, 0), 0);
	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_TMF_RSP);
	assert_int_equal(p.bhs[1], 0x80);
	assert_int_equal(p.bhs[2], expect);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	fx_check_statsn(f, &p);
	fx_expect_none(f);
}

static void test_tmf_responses(void **state)
{
	struct fx f;

	fx_init(&f);
	fx_login(&f);
	tmf(&f, 8, 0x1, 0, 4);      /* TASK REASSIGN at ERL 0 */
	tmf(&f, 0x40, 0x1, 0, 255); /* no such function */
	nop_nonimmediate(&f, 1, 0x500);
	f.cmdsn = 2;
	assert_true(fx_next(&f, &(struct rpdu){ 0 }));
	f.exp_statsn++;
	tmf(&f, 1, 0xdead, 1, 1);   /* done before: task does not exist */
	tmf(&f, 1, 0xbeef, 2, 1);   /* RefCmdSN == TMF CmdSN: not before it */
	tmf(&f, 5, 0, 0, 0);        /* LU reset */
	fx_fini(&f);
}

/* RFC 7143 11.5.1: ABORT TASK for a command not yet received but inside
 * the window: "Function complete", and that CmdSN counts as received. */
static void test_tmf_abort_unreceived_cmdsn(void **state)
{
	struct fx f;
	struct rpdu p;

	fx_init(&f);
	fx_login(&f);
	f.cmdsn = 2;                /* CmdSN 1 "lost" */
	tmf(&f, 1, 0x4242, 1, 0);
	nop_nonimmediate(&f, 2, 0x600);
	assert_true(fx_next(&f, &p)); /* runs: 1 was skipped */
	assert_int_equal(nx_get_be32(p.bhs + 16), 0x600);
	assert_int_equal(nx_get_be32(p.bhs + 28), 3);
	f.exp_statsn++;
	nop_nonimmediate(&f, 1, 0x601); /* the lost one, late: ignored */
	fx_expect_none(&f);
	fx_fini(&f);
}

static void test_logout_close_session(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;
	struct rpdu p;

	fx_init(&f);
	fx_login(&f);
	fx_bhs(&f, bhs, NX_ISCSI_OP_LOGOUT_REQ, 0x80 | 0);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_LOGOUT_RSP);
	assert_int_equal(p.bhs[1], 0x80);
	assert_int_equal(p.bhs[2], 0);
	assert_int_equal(nx_get_be32(p.bhs + 16), nx_get_be32(bhs + 16));
	fx_check_statsn(&f, &p);
	assert_int_equal(nx_get_be32(p.bhs + 28), 2);
	assert_true(f.close_called);
	fx_expect_none(&f);
	fx_fini(&f);
}

static void test_logout_recovery_and_bad_cid(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;
	struct rpdu p;

	fx_init(&f);
	fx_login(&f);
	fx_bhs(&f, bhs, NX_ISCSI_OP_LOGOUT_REQ, 0x80 | 2);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[2], 2); /* connection recovery not supported */
	f.exp_statsn++;
	fx_bhs(&f, bhs, NX_ISCSI_OP_LOGOUT_REQ, 0x80 | 1);
	nx_put_be16(bhs + 20, 77);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[2], 1); /* CID not found */
	assert_false(f.close_called);
	fx_fini(&f);
}

/* A second login with the same ISID and TSIH 0 reinstates the session:
 * the first connection is dropped (RFC 7143 6.3.5). */
static void test_session_reinstatement(void **state)
{
	struct fx f, g;

	fx_init(&f);
	fx_login(&f);
	memset(&g, 0, sizeof(g));
	g = f;
	g.out = NULL;
	g.out_len = g.out_cap = g.out_pos = 0;
	g.c = nx_iscsi_conn_new(f.srv, &fx_ops, &g, "peer2", "local");
	assert_non_null(g.c);
	fx_login(&g);
	assert_true(f.close_called);
	assert_false(g.close_called);
	nx_iscsi_conn_closed(f.c, fx_release, &f);
	assert_true(f.released);
	ping(&g, NULL, 0);
	nx_iscsi_conn_closed(g.c, fx_release, &g);
	free(g.out);
	fx_fini(&f);
}

/* The embedder closing inside ops->close (synchronously) must be safe. */
static struct fx *sync_close_fx;

static void close_now(void *ctx)
{
	struct fx *f = ctx;

	f->close_called = true;
	nx_iscsi_conn_closed(f->c, fx_release, f);
}

static void test_sync_close_in_callback(void **state)
{
	static const struct nx_iscsi_conn_ops ops = { .send = fx_send, .close = close_now };
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;

	fx_init(&f);
	sync_close_fx = &f;
	fx_login(&f);
	f.c->ops = &ops;
	fx_bhs(&f, bhs, NX_ISCSI_OP_LOGOUT_REQ, 0x80 | 0);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	assert_true(f.released);
	fx_fini(&f);
}

/* A discovery session (RFC 7143 4.3): Text (SendTargets) and Logout;
 * a SCSI command is a protocol error. */
static void test_discovery_session(void **state)
{
	static const char login_text[] = "InitiatorName=" FX_INITIATOR "\0"
					 "SessionType=Discovery\0";
	static const char st[] = "SendTargets=All";
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;
	struct rpdu p;

	fx_init(&f);
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	bhs[1] = 0x80 | (1 << 2) | 3;
	memcpy(bhs + 8, "\x80\x00\x00\x01\x02\x04", 6);
	nx_put_be32(bhs + 24, 1);
	nx_put_be32(bhs + 28, 0x1000);
	assert_int_equal(fx_feed(&f, bhs, login_text, sizeof(login_text)), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_LOGIN_RSP);
	assert_int_equal(nx_get_be16(p.bhs + 36), 0);
	f.exp_statsn = 0x1001;
	fx_bhs(&f, bhs, NX_ISCSI_OP_TEXT_REQ, 0x80);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	assert_int_equal(fx_feed(&f, bhs, st, sizeof(st)), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_TEXT_RSP);
	fx_check_statsn(&f, &p);
	assert_int_equal(nx_get_be32(p.bhs + 28), f.cmdsn);
	assert_non_null(memmem(p.data, p.dsl, "TargetName=" FX_TARGET, 35));
	fx_bhs(&f, bhs, NX_ISCSI_OP_SCSI_CMD, 0x80);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	expect_reject(&f, bhs, NX_ISCSI_REJECT_PROTOCOL);
	fx_expect_none(&f);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nop_ping_chunkings),
		cmocka_unit_test(test_two_pdus_every_split),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_header_digest_error_drops),
		cmocka_unit_test(test_data_digest_error_rejects),
		cmocka_unit_test(test_cmdsn_window),
		cmocka_unit_test(test_reject_opcodes),
		cmocka_unit_test(test_oversized_segment_drops),
		cmocka_unit_test(test_non_login_during_login_drops),
		cmocka_unit_test(test_tmf_responses),
		cmocka_unit_test(test_tmf_abort_unreceived_cmdsn),
		cmocka_unit_test(test_logout_close_session),
		cmocka_unit_test(test_logout_recovery_and_bad_cid),
		cmocka_unit_test(test_session_reinstatement),
		cmocka_unit_test(test_sync_close_in_callback),
		cmocka_unit_test(test_discovery_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
