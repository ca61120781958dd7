/*
 * conn_test.c - receive state machine, send path, phases, CmdSN window,
 * NOP, Reject, TMF and Logout of the iSCSI connection machinery, against
 * the real login side and core (tests/unit/iscsi_fixture.h).
 */
#include "tests/unit/iscsi_fixture.h"
#include "platform/user/nx_user.h"

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

/* ---- reinstatement (RFC 7143 6.3.4, 6.3.5) ------------------------------- */

/* fx_login's Login Request (ISID 80 00 00 01 02 03, CID 0) with this
 * TSIH, sent without looking for the answer: it may be held back. */
static void login_send(struct fx *f, uint16_t tsih)
{
	static const char text[] =
		"InitiatorName=" FX_INITIATOR "\0TargetName=" FX_TARGET "\0"
		"SessionType=Normal\0HeaderDigest=None\0DataDigest=None\0"
		"InitialR2T=No\0ImmediateData=Yes\0"
		"MaxRecvDataSegmentLength=8192\0FirstBurstLength=65536\0"
		"MaxBurstLength=262144\0MaxConnections=2\0";
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	bhs[1] = 0x80 | (1 << 2) | 3; /* T, CSG operational, NSG FFP */
	memcpy(bhs + 8, "\x80\x00\x00\x01\x02\x03", 6);
	nx_put_be16(bhs + 14, tsih);
	nx_put_be32(bhs + 16, 0x7777);
	nx_put_be32(bhs + 24, f->cmdsn);
	nx_put_be32(bhs + 28, 0x1000);
	assert_int_equal(fx_feed(f, bhs, text, sizeof(text)), 0);
}

/* The final Login Response: success, with this TSIH (0: any). */
static void login_expect_ok(struct fx *f, uint16_t tsih)
{
	struct rpdu p;

	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_LOGIN_RSP);
	assert_int_equal(p.bhs[1] & 0x83, 0x83);
	assert_int_equal(nx_get_be16(p.bhs + 36), 0);
	assert_int_not_equal(nx_get_be16(p.bhs + 14), 0);
	if (tsih != 0)
		assert_int_equal(nx_get_be16(p.bhs + 14), tsih);
	assert_int_equal(nx_get_be32(p.bhs + 16), 0x7777);
	assert_int_equal(nx_get_be32(p.bhs + 24), 0x1000);
	assert_int_equal(nx_get_be32(p.bhs + 28), f->cmdsn);
	fx_expect_none(f);
	f->exp_statsn = 0x1001;
	f->out_pos = f->out_len = 0;
}

/* A second connection of the same initiator, sharing f's server. */
static void fx_second(struct fx *g, const struct fx *f)
{
	*g = *f;
	g->out = NULL;
	g->out_len = g->out_cap = g->out_pos = 0;
	g->close_called = g->released = false;
	g->c = nx_iscsi_conn_new(f->srv, &fx_ops, g, "peer2", "local");
	assert_non_null(g->c);
}

/* The execution context whose timers the held logins resume from: one
 * for the whole run (group setup), so a failing test cannot leak it into
 * the next. */
static struct nx_loop *loop;

static int loop_setup(void **state)
{
	loop = nx_loop_new();
	return loop != NULL ? 0 : -1;
}

static int loop_teardown(void **state)
{
	nx_loop_free(loop);
	loop = NULL;
	return 0;
}

/* Fires the timers that are due. */
static void run_timers(void)
{
	assert_true(nx_loop_run_once(loop, 0) >= 0);
}

/* A second login with the same ISID and TSIH 0 reinstates the session:
 * the first connection is dropped, and the new login is answered only
 * once the old session is gone (RFC 7143 6.3.5). */
static void test_session_reinstatement(void **state)
{
	struct fx f, g;

	fx_init(&f);
	fx_login(&f);
	fx_second(&g, &f);
	login_send(&g, 0);
	assert_true(f.close_called);
	assert_false(g.close_called);
	fx_expect_none(&g);          /* held: the old session still exists */
	nx_iscsi_conn_closed(f.c, fx_release, &f);
	assert_true(f.released);
	fx_expect_none(&g);          /* answered from a timer, not inline */
	run_timers();
	login_expect_ok(&g, 0);
	ping(&g, NULL, 0);
	nx_iscsi_conn_closed(g.c, fx_release, &g);
	free(g.out);
	fx_fini(&f);
}

/* A backstore whose I/Os complete when the test says so, and only then
 * touch the medium: a write in flight lands at its completion. */
#define DBS_SIZE (1u << 20)

struct dbs {
	struct nx_backstore bs;
	uint8_t *mem;
	bool defer;
	struct nx_bs_io *pending[8];
	unsigned npending;
};

static void dbs_do(struct dbs *d, struct nx_bs_io *io)
{
	if (io->op == NX_BS_READ)
		memcpy(io->buf, d->mem + io->offset, io->len);
	else if (io->op == NX_BS_WRITE)
		memcpy(d->mem + io->offset, io->buf, io->len);
	else if (io->op == NX_BS_UNMAP)
		memset(d->mem + io->offset, 0, io->len);
	io->err = 0;
	io->done(io);
}

static int dbs_submit(struct nx_backstore *bs, struct nx_bs_io *io)
{
	struct dbs *d = (struct dbs *)bs;

	assert_true(io->offset + io->len <= DBS_SIZE);
	if (!d->defer) {
		dbs_do(d, io);
		return 0;
	}
	assert_true(d->npending < NX_ARRAY_SIZE(d->pending));
	d->pending[d->npending++] = io;
	return 0;
}

static void dbs_complete_all(struct dbs *d)
{
	for (unsigned i = 0; i < d->npending; i++)
		dbs_do(d, d->pending[i]);
	d->npending = 0;
}

static void dbs_destroy(struct nx_backstore *bs)
{
	struct dbs *d = (struct dbs *)bs;

	free(d->mem);
	free(d);
}

static const struct nx_backstore_ops dbs_ops = {
	.name = "deferred", .submit = dbs_submit, .destroy = dbs_destroy,
};

/* fx_init with LU 0 on a deferred backstore. */
static struct dbs *fx_init_dbs(struct fx *f)
{
	struct nx_iscsi_server_config cfg;
	struct dbs *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->mem = calloc(1, DBS_SIZE);
	assert_non_null(d->mem);
	d->bs.ops = &dbs_ops;
	d->bs.size_bytes = DBS_SIZE;
	fx_config(f, &cfg, &d->bs);
	fx_start(f, &cfg, "peer");
	return d;
}

/* WRITE(10) (0x2a) of one block with immediate data, or READ(10) (0x28)
 * of one; returns the ITT. */
static uint32_t rw_send(struct fx *f, uint8_t opcode, uint32_t lba,
			const uint8_t *data)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	fx_bhs(f, bhs, NX_ISCSI_OP_SCSI_CMD,
	       (uint8_t)(0x80 | (opcode == 0x2a ? 0x20 : 0x40) | 0x01));
	nx_put_be32(bhs + 20, FX_BLOCK);
	bhs[32] = opcode;
	nx_put_be32(bhs + 34, lba);
	nx_put_be16(bhs + 39, 1);
	assert_int_equal(fx_feed(f, bhs, data, data != NULL ? FX_BLOCK : 0), 0);
	return nx_get_be32(bhs + 16);
}

static void expect_status(struct fx *f, uint32_t itt, uint8_t status)
{
	struct rpdu p;

	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_SCSI_RSP);
	assert_int_equal(p.bhs[3], status);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	fx_check_statsn(f, &p);
	if (status == NX_STATUS_CHECK_CONDITION)
		assert_int_equal(p.data[2 + 2] & 0x0f, 0x06); /* UNIT ATTENTION */
}

static void write_ok(struct fx *f, uint32_t lba, const uint8_t *data)
{
	expect_status(f, rw_send(f, 0x2a, lba, data), NX_STATUS_GOOD);
	fx_expect_none(f);
}

static void read_expect(struct fx *f, uint32_t lba, const uint8_t *want)
{
	uint32_t itt = rw_send(f, 0x28, lba, NULL);
	struct rpdu p;

	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_DATA_IN);
	assert_int_equal(p.bhs[1], 0x81); /* F, S: status collapsed */
	assert_int_equal(p.bhs[3], NX_STATUS_GOOD);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	fx_check_statsn(f, &p);
	assert_int_equal(p.dsl, FX_BLOCK);
	assert_memory_equal(p.data, want, FX_BLOCK);
	fx_expect_none(f);
}

/* The first command of a new I_T nexus: the power-on unit attention. */
static void clear_ua(struct fx *f)
{
	expect_status(f, rw_send(f, 0x28, 0, NULL), NX_STATUS_CHECK_CONDITION);
	fx_expect_none(f);
}

/* The bug the fault sweep found (nexus-sim --scenario faults --seed 119):
 * a WRITE of the old session is in the backstore when the initiator
 * reinstates the session.  The new Login Response waits for it, so a
 * write acknowledged on the new session is never overwritten by it. */
static void test_session_reinstatement_waits_for_backstore(void **state)
{
	uint8_t old_data[FX_BLOCK], new_data[FX_BLOCK];
	struct fx f, g;
	struct dbs *d;

	memset(old_data, 0x0d, sizeof(old_data));
	memset(new_data, 0x4e, sizeof(new_data));
	d = fx_init_dbs(&f);
	fx_login(&f);
	clear_ua(&f);
	d->defer = true;
	(void)rw_send(&f, 0x2a, 7, old_data);      /* in the backstore */
	assert_int_equal(d->npending, 1);
	fx_expect_none(&f);
	fx_second(&g, &f);
	g.cmdsn = 1;
	login_send(&g, 0);                         /* reinstates */
	assert_true(f.close_called);
	nx_iscsi_conn_closed(f.c, fx_release, &f); /* the connection is gone */
	assert_true(f.released);
	run_timers();
	fx_expect_none(&g);                        /* the WRITE still runs */
	d->defer = false;
	dbs_complete_all(d);                       /* it lands; aborted */
	fx_expect_none(&g);
	run_timers();
	login_expect_ok(&g, 0);
	clear_ua(&g);
	write_ok(&g, 7, new_data);
	read_expect(&g, 7, new_data);
	assert_memory_equal(d->mem + 7 * FX_BLOCK, new_data, FX_BLOCK);
	nx_iscsi_conn_closed(g.c, fx_release, &g);
	free(g.out);
	fx_fini(&f);
}

/* Connection reinstatement (same TSIH and CID, RFC 7143 6.3.4): the
 * replaced connection's WRITE, still in the backstore, completes before
 * the new connection's Login Response; the session stays. */
static void test_connection_reinstatement_waits_for_backstore(void **state)
{
	uint8_t old_data[FX_BLOCK], new_data[FX_BLOCK];
	struct fx f, g;
	struct dbs *d;
	uint16_t tsih;

	memset(old_data, 0x0d, sizeof(old_data));
	memset(new_data, 0x4e, sizeof(new_data));
	d = fx_init_dbs(&f);
	login_send(&f, 0);
	login_expect_ok(&f, 0);
	tsih = f.c->sess->tsih;
	clear_ua(&f);
	d->defer = true;
	(void)rw_send(&f, 0x2a, 9, old_data);
	assert_int_equal(d->npending, 1);
	fx_second(&g, &f);
	login_send(&g, tsih);                      /* same CID 0 */
	assert_true(f.close_called);
	fx_expect_none(&g);
	nx_iscsi_conn_closed(f.c, fx_release, &f);
	assert_true(f.released);
	run_timers();
	fx_expect_none(&g);                        /* its WRITE still runs */
	d->defer = false;
	dbs_complete_all(d);
	run_timers();
	login_expect_ok(&g, tsih);
	write_ok(&g, 9, new_data);                 /* same nexus: no UA */
	read_expect(&g, 9, new_data);
	nx_iscsi_conn_closed(g.c, fx_release, &g);
	free(g.out);
	fx_fini(&f);
}

/* The waiting connection closes before the old session drains: nothing
 * is sent, nothing leaks, the drain still completes. */
static void test_reinstating_conn_closes_while_held(void **state)
{
	uint8_t data[FX_BLOCK];
	struct fx f, g;
	struct dbs *d;

	memset(data, 0x11, sizeof(data));
	d = fx_init_dbs(&f);
	fx_login(&f);
	clear_ua(&f);
	d->defer = true;
	(void)rw_send(&f, 0x2a, 3, data);
	fx_second(&g, &f);
	login_send(&g, 0);
	nx_iscsi_conn_closed(f.c, fx_release, &f);
	fx_expect_none(&g);
	nx_iscsi_conn_closed(g.c, fx_release, &g); /* gives up */
	assert_true(g.released);
	assert_true(nx_iscsi_server_busy(f.srv));  /* the old one drains */
	dbs_complete_all(d);
	run_timers();
	assert_false(nx_iscsi_server_busy(f.srv));
	fx_expect_none(&g);
	free(g.out);
	fx_fini(&f);
}

/* A PDU before the held Login Response is a protocol error. */
static void test_pdu_while_login_held_drops(void **state)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN], data[FX_BLOCK];
	struct fx f, g;
	struct dbs *d;

	memset(data, 0x22, sizeof(data));
	d = fx_init_dbs(&f);
	fx_login(&f);
	clear_ua(&f);
	d->defer = true;
	(void)rw_send(&f, 0x2a, 3, data);
	fx_second(&g, &f);
	login_send(&g, 0);
	nx_iscsi_conn_closed(f.c, fx_release, &f);
	fx_bhs(&g, bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80);
	assert_int_equal(fx_feed(&g, bhs, NULL, 0), NX_EIO);
	assert_true(g.close_called);
	fx_expect_none(&g);
	nx_iscsi_conn_closed(g.c, fx_release, &g);
	dbs_complete_all(d);
	run_timers();
	fx_expect_none(&g);
	assert_false(nx_iscsi_server_busy(f.srv));
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
		cmocka_unit_test(test_session_reinstatement_waits_for_backstore),
		cmocka_unit_test(test_connection_reinstatement_waits_for_backstore),
		cmocka_unit_test(test_reinstating_conn_closes_while_held),
		cmocka_unit_test(test_pdu_while_login_held_drops),
		cmocka_unit_test(test_sync_close_in_callback),
		cmocka_unit_test(test_discovery_session),
	};

	return cmocka_run_group_tests(tests, loop_setup, loop_teardown);
}
