/*
 * scsi_test.c - SCSI Command / Data-In / Data-Out / R2T / SCSI Response
 * against a scripted target (RFC 7143 11.3 - 11.8), the CmdSN window
 * (4.2.2.1) and digests (11.2.3, 13.1).
 */
#include "tests/unit/ini_fixture.h"

#define ANSWERS(imm, ir2t, mrdsl, fbl, mbl)                                   \
	"HeaderDigest=None\nDataDigest=None\nMaxConnections=1\n"             \
	"InitialR2T=" ir2t "\nImmediateData=" imm "\n"                       \
	"MaxRecvDataSegmentLength=" mrdsl "\nMaxBurstLength=" mbl "\n"       \
	"FirstBurstLength=" fbl "\nDefaultTime2Wait=2\n"                     \
	"DefaultTime2Retain=20\nMaxOutstandingR2T=1\nDataPDUInOrder=Yes\n"  \
	"DataSequenceInOrder=Yes\nErrorRecoveryLevel=0"

static struct ft ft;
static struct nx_ini_config cfg;
static struct nx_ini_login lreq;
static int fired;
static uint8_t buf[65536], rbuf[65536];

static void on_done(struct nx_ini_scsi *cmd)
{
	fired++;
}

static void setup_cfg(void)
{
	nx_ini_config_init(&cfg, "iqn.2024-01.org.nexus:ini",
			   "iqn.2024-01.org.nexus:tgt");
	cfg.initial_r2t = false; /* offer No so either answer is legal */
	fired = 0;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	memset(rbuf, 0, sizeof(rbuf));
}

static void login_with(const char *answers)
{
	ft_init(&ft, &cfg);
	ft_login(&ft, &lreq, answers);
}

static int teardown(void **state)
{
	ft_fini(&ft);
	return 0;
}

static void read10(struct nx_ini_scsi *cmd, uint32_t lun, uint32_t lba,
		   uint16_t blocks)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->lun = nx_ini_lun(lun);
	cmd->cdb[0] = 0x28;
	nx_put_be32(cmd->cdb + 2, lba);
	nx_put_be16(cmd->cdb + 7, blocks);
	cmd->cdb_len = 10;
	cmd->attr = NX_INI_ATTR_SIMPLE;
	cmd->data_in = rbuf;
	cmd->data_in_len = blocks * 512u;
	cmd->done = on_done;
}

static void write10(struct nx_ini_scsi *cmd, uint32_t len)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->lun = nx_ini_lun(0);
	cmd->cdb[0] = 0x2a;
	nx_put_be16(cmd->cdb + 7, (uint16_t)(len / 512));
	cmd->cdb_len = 10;
	cmd->attr = NX_INI_ATTR_SIMPLE;
	cmd->data_out = buf;
	cmd->data_out_len = len;
	cmd->done = on_done;
}

static int data_in(uint32_t itt, uint32_t datasn, uint32_t off,
		   const void *data, uint32_t len, uint8_t flags)
{
	uint8_t bhs[48];

	ft_bhs(&ft, bhs, NX_ISCSI_OP_DATA_IN, itt, (flags & 0x01) != 0);
	bhs[1] = flags;
	nx_put_be32(bhs + 36, datasn);
	nx_put_be32(bhs + 40, off);
	return ft_feed(&ft, bhs, data, len);
}

static int scsi_rsp(uint32_t itt, uint8_t status, uint8_t flags,
		    uint32_t residual, const void *data, uint32_t len)
{
	uint8_t bhs[48];

	ft_bhs(&ft, bhs, NX_ISCSI_OP_SCSI_RSP, itt, true);
	bhs[1] = (uint8_t)(0x80 | flags);
	bhs[3] = status;
	nx_put_be32(bhs + 44, residual);
	return ft_feed(&ft, bhs, data, len);
}

static int r2t(uint32_t itt, uint32_t ttt, uint32_t r2tsn, uint32_t off,
	       uint32_t len)
{
	uint8_t bhs[48];

	ft_bhs(&ft, bhs, NX_ISCSI_OP_R2T, itt, false);
	bhs[1] = 0x80;
	nx_put_be32(bhs + 20, ttt);
	nx_put_be32(bhs + 36, r2tsn);
	nx_put_be32(bhs + 40, off);
	nx_put_be32(bhs + 44, len);
	return ft_feed(&ft, bhs, NULL, 0);
}

/* 11.3 command bytes; 11.7 Data-In by offset; status in the last Data-In
 * (S bit) consumes a StatSN, the others do not. */
static void test_read_data_in_reassembly(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	ft.chunk = 7; /* any chunking */
	read10(&cmd, 1, 0x11223344, 4);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.bhs[0], 0x01);
	assert_int_equal(ft.p.bhs[1], 0xc1);             /* F, R, SIMPLE */
	assert_int_equal(ft.p.bhs[4], 0);
	assert_int_equal(ft.p.len, 0);
	assert_int_equal(nx_get_be64(ft.p.bhs + 8), 0x0001000000000000ull);
	assert_int_equal(nx_get_be32(ft.p.bhs + 16), cmd.itt);
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), 2048);  /* EDTL */
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 1);     /* CmdSN */
	assert_int_equal(nx_get_be32(ft.p.bhs + 28), 0x102); /* ExpStatSN */
	assert_memory_equal(ft.p.bhs + 32, cmd.cdb, 10);
	assert_int_equal(cmd.cmdsn, 1);
	assert_int_equal(data_in(cmd.itt, 0, 1024, buf + 1024, 1024, 0), 0);
	assert_int_equal(nx_ini_conn_exp_statsn(ft.c), 0x102);
	assert_int_equal(data_in(cmd.itt, 1, 0, buf, 1024, 0x81), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(cmd.err, 0);
	assert_int_equal(cmd.status, 0);
	assert_int_equal(cmd.data_in_got, 2048);
	assert_memory_equal(rbuf, buf, 2048);
	assert_int_equal(nx_ini_conn_exp_statsn(ft.c), 0x103);
	assert_int_equal(nx_ini_session_outstanding(ft.s), 0);
	assert_int_equal(nx_ini_session_stats(ft.s)->statsn_mismatch, 0);
}

/* 11.4.5: underflow flag and residual from a separate SCSI Response. */
static void test_read_underflow_response(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	read10(&cmd, 0, 0, 4);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(data_in(cmd.itt, 0, 0, buf, 512, 0x80), 0);
	assert_int_equal(fired, 0);
	assert_int_equal(scsi_rsp(cmd.itt, 0, NX_INI_RSP_UNDERFLOW, 1536, NULL, 0),
			 0);
	assert_int_equal(fired, 1);
	assert_int_equal(cmd.flags, NX_INI_RSP_UNDERFLOW);
	assert_int_equal(cmd.residual, 1536);
	assert_int_equal(cmd.data_in_got, 512);
}

/* 11.4.7: SenseLength + sense data. */
static void test_check_condition_sense(void **state)
{
	static const uint8_t sense[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10,
					   0, 0, 0, 0, 0x24, 0x00 };
	uint8_t seg[20];
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	read10(&cmd, 0, 0, 1);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	nx_put_be16(seg, 18);
	memcpy(seg + 2, sense, 18);
	assert_int_equal(scsi_rsp(cmd.itt, 0x02, 0, 0, seg, sizeof(seg)), 0);
	assert_int_equal(cmd.status, 0x02);
	assert_int_equal(cmd.sense_len, 18);
	assert_memory_equal(cmd.sense, sense, 18);
}

/* Bad sense length is a protocol error. */
static void test_bad_sense_length(void **state)
{
	uint8_t seg[4] = { 0, 9, 0x70, 0 };
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	read10(&cmd, 0, 0, 1);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	assert_true(scsi_rsp(cmd.itt, 0x02, 0, 0, seg, sizeof(seg)) < 0);
	assert_int_equal(cmd.err, NX_INI_EPROTO);
	assert_int_equal(ft.closes, 1);
}

static void expect_data_out(uint32_t itt, uint32_t ttt, uint32_t datasn,
			    uint32_t off, uint32_t len, bool final)
{
	ft_expect(&ft, NX_ISCSI_OP_DATA_OUT);
	assert_int_equal(ft.p.bhs[1], final ? 0x80 : 0x00);
	assert_int_equal(nx_get_be32(ft.p.bhs + 16), itt);
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), ttt);
	assert_int_equal(nx_get_be32(ft.p.bhs + 36), datasn);
	assert_int_equal(nx_get_be32(ft.p.bhs + 40), off);
	assert_int_equal(ft.p.len, len);
	assert_memory_equal(ft.p.data, buf + off, len);
}

/* ImmediateData=Yes, InitialR2T=Yes: immediate data up to the target's
 * MaxRecvDataSegmentLength, the rest by R2T in MRDSL-sized Data-Outs. */
static void test_write_immediate_then_r2t(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "4096", "8192", "65536"));
	write10(&cmd, 16384);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.bhs[1], 0xa1);             /* F, W, SIMPLE */
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), 16384);
	assert_int_equal(ft.p.len, 4096);
	assert_memory_equal(ft.p.data, buf, 4096);
	assert_false(ft_next(&ft));
	assert_int_equal(r2t(cmd.itt, 0x77, 0, 4096, 12288), 0);
	expect_data_out(cmd.itt, 0x77, 0, 4096, 4096, false);
	expect_data_out(cmd.itt, 0x77, 1, 8192, 4096, false);
	expect_data_out(cmd.itt, 0x77, 2, 12288, 4096, true);
	assert_false(ft_next(&ft));
	assert_int_equal(scsi_rsp(cmd.itt, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(cmd.err, 0);
}

/* InitialR2T=No: the rest of the first burst goes unsolicited. */
static void test_write_unsolicited_data_out(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "No", "4096", "8192", "65536"));
	write10(&cmd, 16384);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.bhs[1], 0x21);             /* no F: more follows */
	assert_int_equal(ft.p.len, 4096);
	expect_data_out(cmd.itt, 0xffffffff, 0, 4096, 4096, true);
	assert_false(ft_next(&ft));
	assert_int_equal(r2t(cmd.itt, 0x99, 0, 8192, 8192), 0);
	expect_data_out(cmd.itt, 0x99, 0, 8192, 4096, false);
	expect_data_out(cmd.itt, 0x99, 1, 12288, 4096, true);
	/* R2TSN must advance: a repeated 0 is a protocol error */
	assert_true(r2t(cmd.itt, 0x9a, 0, 0, 512) < 0);
	assert_int_equal(cmd.err, NX_INI_EPROTO);
}

/* cfg.send_dsl_max below the target's MaxRecvDataSegmentLength: smaller
 * immediate data and Data-Out PDUs (13.12 is only an upper bound). */
static void test_write_send_dsl_max(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	cfg.send_dsl_max = 1024;
	login_with(ANSWERS("Yes", "Yes", "4096", "8192", "65536"));
	assert_int_equal(nx_ini_conn_params(ft.c)->max_xmit_dsl, 1024);
	write10(&cmd, 3072);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.len, 1024);
	assert_false(ft_next(&ft));
	assert_int_equal(r2t(cmd.itt, 0x55, 0, 1024, 2048), 0);
	expect_data_out(cmd.itt, 0x55, 0, 1024, 1024, false);
	expect_data_out(cmd.itt, 0x55, 1, 2048, 1024, true);
	assert_false(ft_next(&ft));
}

/* ImmediateData=No, InitialR2T=No: unsolicited Data-Out only. */
static void test_write_no_immediate(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	cfg.immediate_data = false;
	login_with(ANSWERS("No", "No", "8192", "8192", "65536"));
	write10(&cmd, 4096);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.bhs[1], 0x21);
	assert_int_equal(ft.p.len, 0);
	expect_data_out(cmd.itt, 0xffffffff, 0, 0, 4096, true);
	assert_false(ft_next(&ft));
}

/* R2T outside the buffer: protocol error, command failed, dropped. */
static void test_r2t_out_of_range(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "4096", "8192", "65536"));
	write10(&cmd, 8192);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	assert_int_equal(r2t(cmd.itt, 0x1, 0, 4096, 8192), NX_INI_ECONNRESET);
	assert_int_equal(fired, 1);
	assert_int_equal(cmd.err, NX_INI_EPROTO);
	assert_int_equal(ft.closes, 1);
}

static void test_data_in_overflow(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	read10(&cmd, 0, 0, 1);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	assert_true(data_in(cmd.itt, 0, 256, buf, 512, 0x81) < 0);
	assert_int_equal(cmd.err, NX_INI_EPROTO);
	assert_int_equal(ft.closes, 1);
}

static void test_data_in_datasn_gap(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	read10(&cmd, 0, 0, 2);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	assert_int_equal(data_in(cmd.itt, 0, 0, buf, 512, 0), 0);
	assert_true(data_in(cmd.itt, 2, 512, buf, 512, 0x81) < 0);
	assert_int_equal(cmd.err, NX_INI_EPROTO);
}

/* 4.2.2.1: nothing beyond MaxCmdSN is sent; a response that opens the
 * window lets the queued command go with the next CmdSN. */
static void test_cmdsn_window(void **state)
{
	static struct nx_ini_scsi a, b;

	setup_cfg();
	ft_init(&ft, &cfg);
	ft.max_cmdsn = 1; /* window of one command */
	ft_login(&ft, &lreq, ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	read10(&a, 0, 0, 1);
	read10(&b, 0, 8, 1);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &a), 0);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &b), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 1);
	assert_false(ft_next(&ft));
	assert_false(b.sent);
	assert_int_equal(nx_ini_session_outstanding(ft.s), 2);
	ft.exp_cmdsn = 2;
	ft.max_cmdsn = 2;
	assert_int_equal(scsi_rsp(a.itt, 0, 0, 0, NULL, 0), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(nx_get_be32(ft.p.bhs + 16), b.itt);
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 2);
	assert_true(b.sent);
	/* MaxCmdSN < ExpCmdSN - 1 is ignored (window unchanged) */
	ft.exp_cmdsn = 10;
	ft.max_cmdsn = 5;
	assert_int_equal(scsi_rsp(b.itt, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(nx_ini_session_max_cmdsn(ft.s), 2);
}

/* The per-session command limit is enforced, not asserted. */
static void test_max_outstanding(void **state)
{
	static struct nx_ini_scsi cmds[3];

	setup_cfg();
	cfg.max_cmds = 2;
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	for (unsigned i = 0; i < 3; i++)
		read10(&cmds[i], 0, i, 1);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmds[0]), 0);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmds[1]), 0);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmds[2]), NX_EAGAIN);
	/* ITTs: slot in the low byte, generation above - deterministic */
	assert_int_equal(cmds[0].itt & 0xff, 0);
	assert_int_equal(cmds[1].itt & 0xff, 1);
	assert_int_not_equal(cmds[0].itt, cmds[1].itt);
}

/* 11.2.1.4: a 32-byte CDB puts bytes 16.. into an Extended CDB AHS;
 * bidirectional commands carry the read length AHS (11.2.1.5). */
static void test_extended_cdb_and_bidi_ahs(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb[0] = 0x7f;
	for (unsigned i = 1; i < 32; i++)
		cmd.cdb[i] = (uint8_t)i;
	cmd.cdb_len = 32;
	cmd.data_out = buf;
	cmd.data_out_len = 512;
	cmd.data_in = rbuf;
	cmd.data_in_len = 1024;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.bhs[1], 0xe0);             /* F, R, W, untagged */
	assert_int_equal(ft.p.bhs[4], 7);                /* 28 bytes of AHS */
	assert_int_equal(nx_get_be32(ft.p.bhs + 20), 512);
	assert_memory_equal(ft.p.bhs + 32, cmd.cdb, 16);
	assert_int_equal(nx_get_be16(ft.p.ahs), 17);
	assert_int_equal(ft.p.ahs[2], 1);
	assert_int_equal(ft.p.ahs[3], 0);
	assert_memory_equal(ft.p.ahs + 4, cmd.cdb + 16, 16);
	assert_int_equal(nx_get_be16(ft.p.ahs + 20), 5);
	assert_int_equal(ft.p.ahs[22], 2);
	assert_int_equal(nx_get_be32(ft.p.ahs + 24), 1024);
	assert_int_equal(ft.p.len, 512);
}

/* 11.2.3: CRC32C digests on everything sent after the login; a bad
 * received header digest drops the connection (ERL 0). */
static void test_digests(void **state)
{
	static struct nx_ini_scsi cmd;
	uint8_t bhs[48];

	setup_cfg();
	strcpy(cfg.header_digest, "CRC32C");
	strcpy(cfg.data_digest, "CRC32C");
	login_with("HeaderDigest=CRC32C\nDataDigest=CRC32C\n"
		   "MaxRecvDataSegmentLength=8192");
	assert_true(ft.hd && ft.dd);
	write10(&cmd, 1000); /* unaligned: padding inside the data digest */
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD); /* ft_next checked digests */
	assert_int_equal(ft.p.len, 1000);
	ft.chunk = 5;
	assert_int_equal(scsi_rsp(cmd.itt, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(fired, 1);
	read10(&cmd, 0, 0, 1);
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	assert_int_equal(data_in(cmd.itt, 0, 0, buf, 100, 0), 0);
	/* now corrupt a header digest: feed raw bytes */
	ft_bhs(&ft, bhs, NX_ISCSI_OP_SCSI_RSP, cmd.itt, true);
	bhs[1] = 0x80;
	{
		uint8_t wire[52];

		memcpy(wire, bhs, 48);
		ft_put_le32(wire + 48, nx_crc32c(0, bhs, 48) ^ 1);
		assert_int_equal(nx_ini_conn_input(ft.c, wire, 52),
				 NX_INI_ECONNRESET);
	}
	assert_int_equal(cmd.err, NX_INI_EDIGEST);
	assert_int_equal(ft.closes, 1);
}

/* data_in_sink: each Data-In segment reaches the sink where it lies, in
 * arrival order, with its offset; nothing is copied into data_in; a
 * Data-In without data (status only) does not call it. */
#define SINK_MAX 8
static struct {
	unsigned calls;
	uint32_t off[SINK_MAX], len[SINK_MAX];
	const struct nx_ini_scsi *cmd;
	uint8_t got[65536];
} sink;

static void on_sink(const struct nx_ini_scsi *cmd, uint32_t offset,
		    const uint8_t *data, uint32_t len)
{
	assert_true(sink.calls < SINK_MAX);
	sink.cmd = cmd;
	sink.off[sink.calls] = offset;
	sink.len[sink.calls++] = len;
	memcpy(sink.got + offset, data, len);
}

static void sink_read(size_t chunk)
{
	static struct nx_ini_scsi cmd;
	uint8_t bhs[48];

	setup_cfg();
	memset(&sink, 0, sizeof(sink));
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	ft.chunk = chunk;
	read10(&cmd, 0, 0, 4);
	cmd.data_in_sink = on_sink;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(data_in(cmd.itt, 0, 1000, buf + 1000, 1048, 0), 0);
	assert_int_equal(data_in(cmd.itt, 1, 0, buf, 1000, 0x80), 0);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_DATA_IN, cmd.itt, true);
	bhs[1] = 0x83; /* F, U, S: the status, no data */
	nx_put_be32(bhs + 36, 2);
	nx_put_be32(bhs + 40, 2048);
	nx_put_be32(bhs + 44, 0);
	assert_int_equal(ft_feed(&ft, bhs, NULL, 0), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(cmd.err, 0);
	assert_int_equal(sink.calls, 2);
	assert_ptr_equal(sink.cmd, &cmd);
	assert_int_equal(sink.off[0], 1000);
	assert_int_equal(sink.len[0], 1048);
	assert_int_equal(sink.off[1], 0);
	assert_int_equal(sink.len[1], 1000);
	assert_memory_equal(sink.got, buf, 2048);
	assert_int_equal(cmd.data_in_got, 2048);
	for (unsigned i = 0; i < 2048; i++)
		assert_int_equal(rbuf[i], 0); /* not copied */
}

static void test_read_data_in_sink(void **state)
{
	sink_read(0);    /* PDUs whole in the input: taken in place */
	ft_fini(&ft);
	sink_read(7);    /* reassembled from small chunks */
}

/* A Data-In beyond the EDTL is refused before the sink sees it. */
static void test_data_in_sink_overflow(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	memset(&sink, 0, sizeof(sink));
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	read10(&cmd, 0, 0, 1);
	cmd.data_in_sink = on_sink;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	assert_true(data_in(cmd.itt, 0, 256, buf, 512, 0x81) < 0);
	assert_int_equal(cmd.err, NX_INI_EPROTO);
	assert_int_equal(sink.calls, 0);
}

/* data_out_source: asked for exactly the bytes of each PDU it carries -
 * immediate data, unsolicited Data-Out, Data-Out for an R2T - and what
 * it returns goes on the wire; data_out may be NULL. */
static struct {
	unsigned calls;
	uint32_t off[SINK_MAX], len[SINK_MAX];
	uint8_t scratch[65536];
} src;

static uint8_t src_byte(uint32_t off)
{
	return (uint8_t)(off * 13 + 5);
}

static const uint8_t *on_source(const struct nx_ini_scsi *cmd,
				uint32_t offset, uint32_t len)
{
	assert_true(src.calls < SINK_MAX);
	assert_true(offset + len <= cmd->data_out_len);
	src.off[src.calls] = offset;
	src.len[src.calls++] = len;
	/* reused for every call: the bytes only live until the next one */
	for (uint32_t i = 0; i < len; i++)
		src.scratch[i] = src_byte(offset + i);
	return src.scratch;
}

static void expect_source_pdu(uint8_t opcode, uint32_t off, uint32_t len)
{
	ft_expect(&ft, opcode);
	assert_int_equal(ft.p.len, len);
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(ft.p.data[i], src_byte(off + i));
}

static void test_write_data_out_source(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	memset(&src, 0, sizeof(src));
	login_with(ANSWERS("Yes", "No", "4096", "8192", "65536"));
	write10(&cmd, 16384);
	cmd.data_out = NULL;
	cmd.data_out_source = on_source;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	expect_source_pdu(NX_ISCSI_OP_SCSI_CMD, 0, 4096);
	expect_source_pdu(NX_ISCSI_OP_DATA_OUT, 4096, 4096);
	assert_false(ft_next(&ft));
	assert_int_equal(r2t(cmd.itt, 0x99, 0, 8192, 8192), 0);
	expect_source_pdu(NX_ISCSI_OP_DATA_OUT, 8192, 4096);
	expect_source_pdu(NX_ISCSI_OP_DATA_OUT, 12288, 4096);
	assert_false(ft_next(&ft));
	assert_int_equal(src.calls, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(src.off[i], 4096 * i);
		assert_int_equal(src.len[i], 4096);
	}
	assert_int_equal(scsi_rsp(cmd.itt, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(cmd.err, 0);
}

/* The data digest covers the source's bytes (and the padding); without
 * immediate data the source is not asked for an empty range. */
static void test_write_source_digest(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	memset(&src, 0, sizeof(src));
	strcpy(cfg.data_digest, "CRC32C");
	cfg.immediate_data = false;
	login_with("DataDigest=CRC32C\nImmediateData=No\nInitialR2T=Yes\n"
		   "MaxRecvDataSegmentLength=8192");
	assert_true(ft.dd);
	write10(&cmd, 1000); /* unaligned: padding inside the data digest */
	cmd.data_out = NULL;
	cmd.data_out_source = on_source;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.len, 0);
	assert_int_equal(src.calls, 0);
	assert_int_equal(r2t(cmd.itt, 0x31, 0, 0, 1000), 0);
	expect_source_pdu(NX_ISCSI_OP_DATA_OUT, 0, 1000); /* digest checked */
	assert_int_equal(src.calls, 1);
}

/* data_out_fill: when the transport offers room (send_reserve), each
 * PDU's data is written straight there - exactly the bytes, padding and
 * digests the source path sends - and the source is not asked; without
 * room the source path runs as before. */
static unsigned fills;

static void on_fill(const struct nx_ini_scsi *cmd, uint32_t offset,
		    uint32_t len, uint8_t *dst)
{
	assert_true(offset + len <= cmd->data_out_len);
	fills++;
	for (uint32_t i = 0; i < len; i++)
		dst[i] = src_byte(offset + i);
}

/* One write of len (R2T for what is not unsolicited) under answers,
 * with a fill hook when fill, into out; the PDUs are checked. */
static size_t fill_run(const char *answers, bool digests, bool fill,
		       uint32_t len, uint8_t *out, size_t cap)
{
	static struct nx_ini_scsi cmd;
	size_t n;

	setup_cfg();
	memset(&src, 0, sizeof(src));
	fills = 0;
	if (digests) {
		strcpy(cfg.header_digest, "CRC32C");
		strcpy(cfg.data_digest, "CRC32C");
	}
	login_with(answers);
	ft.reserve = true;
	write10(&cmd, len);
	cmd.cdb_len = 20; /* an Extended CDB AHS before immediate data */
	cmd.data_out = NULL;
	cmd.data_out_source = on_source;
	cmd.data_out_fill = fill ? on_fill : NULL;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_expect(&ft, NX_ISCSI_OP_SCSI_CMD);
	assert_int_equal(ft.p.ahs_len, 8);
	if (ft.p.len > 0)
		assert_int_equal(ft.p.data[0], src_byte(0));
	while (ft_next(&ft))
		;
	assert_int_equal(r2t(cmd.itt, 0x77, 0, 3000, len - 3000), 0);
	while (ft_next(&ft))
		;
	assert_int_equal(src.calls + fills, 4);
	assert_int_equal(ft.commits, fill ? 4 : 0);
	n = ft.out_len;
	assert_true(n <= cap);
	memcpy(out, ft.out, n);
	assert_int_equal(scsi_rsp(cmd.itt, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(fired, 1);
	ft_fini(&ft);
	return n;
}

static void test_write_data_out_fill(void **state)
{
	static uint8_t a[65536], b[65536];
	static const char *answers[2] = {
		ANSWERS("Yes", "No", "1998", "3000", "65536"),
		"HeaderDigest=CRC32C\nDataDigest=CRC32C\nImmediateData=Yes\n"
		"InitialR2T=No\nFirstBurstLength=3000\n"
		"MaxRecvDataSegmentLength=1998",
	};

	for (unsigned d = 0; d < 2; d++) {
		/* 3000 unsolicited: 1998 immediate + a Data-Out of 1002,
		 * then an R2T for the other 3001: 1998 + 1003 (unaligned
		 * sizes: padding, and the data digest over it) */
		size_t na = fill_run(answers[d], d == 1, false, 6001, a, sizeof(a));
		size_t nb = fill_run(answers[d], d == 1, true, 6001, b, sizeof(b));

		assert_int_equal(src.calls, 0);
		assert_int_equal(fills, 4);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
	}
}

/* No room from the transport: the source path, the fill never called. */
static void test_write_fill_no_room(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	memset(&src, 0, sizeof(src));
	fills = 0;
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	write10(&cmd, 4096);
	cmd.data_out = NULL;
	cmd.data_out_source = on_source;
	cmd.data_out_fill = on_fill;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	expect_source_pdu(NX_ISCSI_OP_SCSI_CMD, 0, 4096);
	assert_int_equal(src.calls, 1);
	assert_int_equal(fills, 0);
	assert_int_equal(ft.commits, 0);
}

/* Without data_out, a write needs a source; a source does not replace
 * data_out under a datamover (iSER reads the buffer itself). */
static void dm_nop(void *ctx, uint32_t itt, struct nx_ini_scsi *cmd)
{
}

static const struct nx_ini_dm_ops dm_ops = { dm_nop, dm_nop };

static void test_write_source_required(void **state)
{
	static struct nx_ini_scsi cmd;

	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	write10(&cmd, 512);
	cmd.data_out = NULL;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), NX_EINVAL);
	cmd.data_out_source = on_source;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
	ft_fini(&ft);

	setup_cfg();
	ft_init(&ft, &cfg);
	nx_ini_conn_set_dm(ft.c, &dm_ops, NULL);
	ft_login(&ft, &lreq, "RDMAExtensions=Yes\nMaxRecvDataSegmentLength=8192");
	write10(&cmd, 512);
	cmd.data_out = NULL;
	cmd.data_out_source = on_source;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), NX_EINVAL);
	cmd.data_out = buf;
	assert_int_equal(nx_ini_scsi_submit(ft.c, &cmd), 0);
}

/* A response for an ITT nobody waits for is tolerated and counted. */
static void test_unknown_itt_counted(void **state)
{
	setup_cfg();
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	assert_int_equal(scsi_rsp(0x12345678, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(nx_ini_session_stats(ft.s)->unknown_itt, 1);
	assert_int_equal(ft.closes, 0);
}

/* A too-long data segment (beyond our MaxRecvDataSegmentLength). */
static void test_dsl_above_declared(void **state)
{
	uint8_t bhs[48];

	setup_cfg();
	cfg.max_recv_dsl = 4096;
	login_with(ANSWERS("Yes", "Yes", "8192", "65536", "262144"));
	ft_bhs(&ft, bhs, NX_ISCSI_OP_NOP_IN, 0xffffffff, false);
	bhs[1] = 0x80;
	assert_true(ft_feed(&ft, bhs, buf, 4100) < 0);
	assert_int_equal(ft.closes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_read_data_in_reassembly, teardown),
		cmocka_unit_test_teardown(test_read_underflow_response, teardown),
		cmocka_unit_test_teardown(test_check_condition_sense, teardown),
		cmocka_unit_test_teardown(test_bad_sense_length, teardown),
		cmocka_unit_test_teardown(test_write_immediate_then_r2t, teardown),
		cmocka_unit_test_teardown(test_write_unsolicited_data_out,
					  teardown),
		cmocka_unit_test_teardown(test_write_send_dsl_max, teardown),
		cmocka_unit_test_teardown(test_write_no_immediate, teardown),
		cmocka_unit_test_teardown(test_r2t_out_of_range, teardown),
		cmocka_unit_test_teardown(test_data_in_overflow, teardown),
		cmocka_unit_test_teardown(test_data_in_datasn_gap, teardown),
		cmocka_unit_test_teardown(test_cmdsn_window, teardown),
		cmocka_unit_test_teardown(test_max_outstanding, teardown),
		cmocka_unit_test_teardown(test_extended_cdb_and_bidi_ahs,
					  teardown),
		cmocka_unit_test_teardown(test_digests, teardown),
		cmocka_unit_test_teardown(test_read_data_in_sink, teardown),
		cmocka_unit_test_teardown(test_data_in_sink_overflow, teardown),
		cmocka_unit_test_teardown(test_write_data_out_source, teardown),
		cmocka_unit_test_teardown(test_write_source_digest, teardown),
		cmocka_unit_test_teardown(test_write_source_required, teardown),
		cmocka_unit_test(test_write_data_out_fill),
		cmocka_unit_test_teardown(test_write_fill_no_room, teardown),
		cmocka_unit_test_teardown(test_unknown_itt_counted, teardown),
		cmocka_unit_test_teardown(test_dsl_above_declared, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
