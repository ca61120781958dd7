/*
 * ffp.c - full feature phase (RFC 7143): command numbering (3.2.2.1),
 * NOP-Out/NOP-In (11.18, 11.19), Reject (11.17), task management
 * (11.5, 11.6).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

static void raw_hdr(struct nx_conf_sess *s, uint8_t *bhs, uint8_t op,
		    uint32_t itt, uint32_t cmdsn)
{
	memset(bhs, 0, 48);
	bhs[0] = op;
	bhs[1] = 0x80;
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 24, cmdsn);
	nx_put_be32(bhs + 28, nx_ini_conn_exp_statsn(nx_conf_conn(s)));
}

/* NOP-Out with a ping (ITT set, TTT FFFFFFFFh): the NOP-In echoes the
 * ITT and the data, with TTT FFFFFFFFh (RFC 7143 11.18.5, 11.19). */
static void test_nop_out_echo(void **state)
{
	static const char ping[] = "nexus-conform ping"; /* 18: padded */
	struct nx_conf_sess *s = nx_conf_login(0);
	static struct nx_conf_pdu p;
	uint32_t itt = nx_conf_raw_itt(s);
	uint8_t bhs[48];

	raw_hdr(s, bhs, 0x40 | 0x00, itt, nx_ini_session_cmdsn(nx_conf_ini(s)));
	nx_put_be24(bhs + 5, sizeof(ping) - 1);
	nx_put_be32(bhs + 20, 0xffffffff);
	nx_conf_capture(s, 0x20);
	nx_conf_send_pdu(s, bhs, ping, sizeof(ping) - 1);
	assert_int_equal(nx_conf_expect_pdu(s, &p), 0);
	NX_EXPECT_EQ("F bit", p.bhs[1] & 0x80, 0x80);
	NX_EXPECT_EQ("Initiator Task Tag", nx_get_be32(p.bhs + 16), itt);
	NX_EXPECT_EQ("Target Transfer Tag", nx_get_be32(p.bhs + 20), 0xffffffff);
	NX_EXPECT_EQ("DataSegmentLength", p.data_len, sizeof(ping) - 1);
	NX_EXPECT_BYTES(p.data, ping, sizeof(ping) - 1);
	nx_conf_logout(s);
}

/* A BHS with an opcode no initiator may send: Reject "Command not
 * supported" (05h) carrying the rejected header; the session lives on. */
static void test_reject_unknown_opcode(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	static struct nx_conf_pdu p;
	uint8_t bhs[48];
	bool match = false;

	raw_hdr(s, bhs, 0x40 | 0x0f, nx_conf_raw_itt(s),
		nx_ini_session_cmdsn(nx_conf_ini(s)));
	nx_conf_capture(s, 0x3f);
	nx_conf_send_pdu(s, bhs, NULL, 0);
	assert_int_equal(nx_conf_expect_pdu(s, &p), 0);
	NX_EXPECT_EQ("Reason", p.bhs[2], 0x05);
	NX_EXPECT_EQ("DataSegmentLength", p.data_len, 48);
	NX_EXPECT_BYTES(p.data, bhs, 48);
	NX_EXPECT_EQ("Initiator Task Tag", nx_get_be32(p.bhs + 16), 0xffffffff);
	assert_int_equal(nx_ini_sync_nop(nx_conf_conn(s), nx_conf_driver(),
					 "x", 1, &match), 0);
	NX_EXPECT_TRUE("NOP after Reject", match);
	nx_conf_logout(s);
}

/* A non-immediate command beyond MaxCmdSN is silently ignored
 * (RFC 7143 3.2.2.1); the session keeps working. */
static void test_cmdsn_outside_window_ignored(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_ini_session *is = nx_conf_ini(s);
	uint32_t itt = nx_conf_raw_itt(s);
	uint8_t bhs[48], tur[6] = { 0 };
	struct nx_conf_result r;

	raw_hdr(s, bhs, 0x01, itt, nx_ini_session_max_cmdsn(is) + 1);
	bhs[1] = 0x80 | 0x01;                      /* F, SIMPLE */
	nx_put_be64(bhs + 8, nx_ini_lun(nx_conf_lun()));
	nx_conf_watch(s);
	nx_conf_send_pdu(s, bhs, NULL, 0);
	nx_conf_poll(50);
	NX_EXPECT_TRUE("no answer to the out-of-window command",
		       !nx_conf_saw_itt(s, itt));
	nx_conf_clear_ua(s);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* Every non-immediate command advances ExpCmdSN by one; the window
 * MaxCmdSN - ExpCmdSN + 1 stays open while nothing is outstanding. */
static void test_expcmdsn_advances(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_ini_session *is = nx_conf_ini(s);
	uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	for (unsigned i = 0; i < 4; i++) {
		uint32_t next = nx_ini_session_cmdsn(is);

		nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
		NX_EXPECT_OK(&r);
		NX_EXPECT_EQ("ExpCmdSN", nx_ini_session_exp_cmdsn(is), next + 1);
		NX_EXPECT_TRUE("window open",
			       (int32_t)(nx_ini_session_max_cmdsn(is) -
					 nx_ini_session_exp_cmdsn(is)) >= 0);
	}
	nx_conf_logout(s);
}

/* ABORT TASK of a write waiting for its Data-Out: FUNCTION COMPLETE and
 * no SCSI Response for the aborted task (RFC 7143 11.5.1, 11.6.1). */
static void test_tmf_abort_task_waiting_data(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.6: the target RDMA-READs write data at once, a write cannot be held waiting for Data-Out");
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_ini_session *is = nx_conf_ini(s);
	static struct nx_conf_pdu p;
	uint32_t itt = nx_conf_raw_itt(s), cmdsn, bs;
	struct nx_ini_tmf t;
	struct nx_conf_result r;
	uint8_t bhs[48], tur[6] = { 0 };

	nx_conf_clear_ua(s);
	nx_conf_capacity(s, NULL, &bs);
	cmdsn = nx_ini_session_take_cmdsn(is);
	raw_hdr(s, bhs, 0x01, itt, cmdsn);
	bhs[1] = 0x80 | 0x20 | 0x01;               /* F, W, SIMPLE */
	nx_put_be64(bhs + 8, nx_ini_lun(nx_conf_lun()));
	nx_put_be32(bhs + 20, bs);                 /* EDTL */
	bhs[32] = 0x2a;                            /* WRITE(10) LBA 8, 1 block */
	nx_put_be32(bhs + 34, 8);
	nx_put_be16(bhs + 39, 1);
	nx_conf_capture(s, 0x31);
	nx_conf_send_pdu(s, bhs, NULL, 0);
	if (nx_conf_expect_pdu(s, &p) != 0)
		NX_SKIP("no R2T (InitialR2T=No negotiated?)");
	NX_EXPECT_EQ("R2T ITT", nx_get_be32(p.bhs + 16), itt);
	memset(&t, 0, sizeof(t));
	t.function = NX_INI_TMF_ABORT_TASK;
	t.lun = nx_ini_lun(nx_conf_lun());
	t.ref_itt = itt;
	t.ref_cmdsn = cmdsn;
	assert_int_equal(nx_ini_sync_tmf(nx_conf_conn(s), nx_conf_driver(), &t), 0);
	NX_EXPECT_EQ("TMF response", t.response, NX_INI_TMF_RSP_COMPLETE);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_TRUE("no SCSI Response for the aborted task",
		       !nx_conf_saw_itt(s, itt));
	nx_conf_logout(s);
}

/* ABORT TASK naming an ITT that does not exist with a RefCmdSN outside
 * the CmdSN window: "Task does not exist" (RFC 7143 11.6.1 c). */
static void test_tmf_abort_task_unknown(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_ini_session *is = nx_conf_ini(s);
	struct nx_ini_tmf t;

	memset(&t, 0, sizeof(t));
	t.function = NX_INI_TMF_ABORT_TASK;
	t.lun = nx_ini_lun(nx_conf_lun());
	t.ref_itt = nx_conf_raw_itt(s);
	t.ref_cmdsn = nx_ini_session_max_cmdsn(is) + 1000;
	assert_int_equal(nx_ini_sync_tmf(nx_conf_conn(s), nx_conf_driver(), &t), 0);
	NX_EXPECT_EQ("TMF response", t.response, NX_INI_TMF_RSP_NO_TASK);
	nx_conf_logout(s);
}

/* LOGICAL UNIT RESET of a LUN without an LU: "LUN does not exist". */
static void test_tmf_lu_reset_absent_lun(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t rsp = 0xff;

	assert_int_equal(nx_conf_tmf(s, NX_INI_TMF_LOGICAL_UNIT_RESET,
				     nx_ini_lun(255), NULL, &rsp), 0);
	NX_EXPECT_EQ("TMF response", rsp, NX_INI_TMF_RSP_NO_LUN);
	nx_conf_logout(s);
}

/* A TMF function code outside the defined set (RFC 7143 11.5.1 lists
 * 1-8, RFC 7144 adds 9-12).  RFC 7143 11.6.1 does not single out
 * reserved codes: "Task management function not supported" (5) and
 * "Function rejected" (255) are both accepted; anything else is wrong. */
static void test_tmf_undefined_function(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t rsp = 0xff;

	assert_int_equal(nx_conf_tmf(s, 0x55, nx_ini_lun(nx_conf_lun()), NULL,
				     &rsp), 0);
	if (rsp != NX_INI_TMF_RSP_REJECTED)
		NX_EXPECT_EQ("TMF response", rsp, NX_INI_TMF_RSP_NOT_SUPPORTED);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("iscsi", nop_out_echo, "RFC 7143 11.19",
		     "NOP-In answers a ping with the same ITT, TTT FFFFFFFFh and the ping data"),
	NX_CONF_TEST("iscsi", reject_unknown_opcode, "RFC 7143 11.17.1",
		     "an undefined opcode: Reject reason 05h with the rejected BHS as data"),
	NX_CONF_TEST("iscsi", cmdsn_outside_window_ignored, "RFC 7143 3.2.2.1",
		     "a non-immediate command with CmdSN > MaxCmdSN is silently ignored"),
	NX_CONF_TEST("iscsi", expcmdsn_advances, "RFC 7143 3.2.2.1",
		     "ExpCmdSN advances by one per non-immediate command; the window stays open"),
	NX_CONF_TEST("iscsi", tmf_abort_task_waiting_data, "RFC 7143 11.5.1",
		     "ABORT TASK of a write awaiting Data-Out: Function complete, no SCSI Response"),
	NX_CONF_TEST("iscsi", tmf_abort_task_unknown, "RFC 7143 11.6.1",
		     "ABORT TASK of an unknown ITT with RefCmdSN outside the window: Task does not exist"),
	NX_CONF_TEST("iscsi", tmf_lu_reset_absent_lun, "RFC 7143 11.6.1",
		     "LOGICAL UNIT RESET of a LUN without an LU: LUN does not exist"),
	NX_CONF_TEST("iscsi", tmf_undefined_function, "RFC 7143 11.6.1",
		     "an undefined TMF function code: response 5 (not supported) or 255 (rejected)"),
};

NX_CONF_TABLE(nx_conf_table_iscsi_ffp, tests);
