/*
 * session.c - iSCSI sessions and connections (RFC 7143): session
 * reinstatement (6.3.5), adding a connection with the session's TSIH and
 * the login status codes for an unknown TSIH / too many connections
 * (11.13.5), Logout reasons (11.14, 11.15.1), Text in full feature phase
 * (6.2, 11.10, 13.12, appendix C), CRC32C digests (13.1, 11.2.3) and a
 * data digest error (7.8, 11.17.1), command numbering (3.2.2.1) and
 * NOP-Out without a reply (11.18).
 */
#include "iscsi_util.h"

/* transports/iscsi/crc32c.c, in libnexus.a (declared here: the test only
 * needs it to build a digest that is certainly wrong). */
uint32_t nx_crc32c(uint32_t crc, const void *buf, size_t len);

#define INI0_NAME "iqn.2026-11.dev.nexus:conform.i0"

static struct rec rec_s;

static void skip_if_chap(void)
{
	if (nx_conf_target()->auth_user[0] != '\0')
		NX_SKIP("raw logins do not do CHAP (target under test needs it)");
}

/* A login on a bare connection in the operational stage straight to
 * full feature phase (no security negotiation).  Returns 0 with the
 * final Login Response in *p, or the raw receive error. */
static int raw_login(struct nx_conf_raw *raw, const uint8_t isid[6],
		     uint16_t tsih, uint16_t cid, uint32_t cmdsn,
		     struct nx_conf_pdu *p)
{
	char keys[512];
	uint8_t bhs[48];
	uint32_t n = 0, exp_statsn = 0;
	int rc;

	n = nx_conf_kv(keys, sizeof(keys), n, "InitiatorName", INI0_NAME);
	n = nx_conf_kv(keys, sizeof(keys), n, "SessionType", "Normal");
	n = nx_conf_kv(keys, sizeof(keys), n, "TargetName",
		       nx_conf_target()->name);
	n = nx_conf_kv(keys, sizeof(keys), n, "HeaderDigest", "None");
	n = nx_conf_kv(keys, sizeof(keys), n, "DataDigest", "None");
	for (unsigned round = 0; round < 4; round++) {
		nx_conf_login_bhs(bhs, isid, 0x600 + cid, cmdsn, 1, 3, n);
		nx_put_be16(bhs + 14, tsih);
		nx_put_be16(bhs + 20, cid);
		nx_put_be32(bhs + 28, exp_statsn);
		nx_conf_raw_send(raw, bhs, keys, n);
		rc = nx_conf_raw_recv(raw, p);
		if (rc != 0)
			return rc;
		if (p->bhs[36] != 0 || ((p->bhs[1] & 0x80) && (p->bhs[1] & 3) == 3))
			return 0;
		exp_statsn = nx_get_be32(p->bhs + 24) + 1;
		n = 0; /* nothing more to offer: ask to go on */
	}
	return 0;
}

/* RFC 7143 6.3.5: a new session with the same ISID, InitiatorName and
 * TargetName (TSIH 0) reinstates: the old session's connection is
 * closed, the new one works. */
static void test_session_reinstatement(void **state)
{
	struct nx_ini_config cfg;
	struct nx_conf_sess *a, *b;
	static const uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	nx_conf_config(&cfg, 0);
	a = nx_conf_login_cfg(&cfg);
	nx_conf_clear_ua(a);
	b = nx_conf_login_cfg(&cfg);
	nx_conf_poll(200);
	NX_EXPECT_TRUE("old session's connection closed",
		       nx_ini_conn_is_dead(nx_conf_conn(a)));
	nx_conf_clear_ua(b);
	nx_conf_scsi(b, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_drop(a);
	nx_conf_logout(b);
}

/* MaxConnections >= 2: a second connection (CID 1) logs in with the
 * session's ISID and TSIH, gets the same TSIH back and carries commands
 * (an immediate NOP-Out ping is answered on it). */
static void test_add_connection_with_tsih(void **state)
{
	struct nx_ini_config cfg;
	struct nx_conf_sess *s;
	struct nx_conf_raw *raw;
	static struct nx_conf_pdu p;
	uint8_t bhs[48];
	uint16_t tsih;

	skip_if_chap();
	nx_conf_config(&cfg, 0);
	cfg.max_connections = 2;
	s = nx_conf_login_cfg(&cfg);
	if (nx_ini_conn_params(nx_conf_conn(s))->max_connections < 2)
		NX_SKIP("target negotiated MaxConnections=1");
	tsih = nx_ini_session_tsih(nx_conf_ini(s));
	raw = nx_conf_raw_open();
	assert_int_equal(raw_login(raw, cfg.isid, tsih, 1,
				   nx_ini_session_cmdsn(nx_conf_ini(s)), &p), 0);
	NX_EXPECT_EQ("Status-Class", p.bhs[36], 0);
	NX_EXPECT_EQ("Status-Detail", p.bhs[37], 0);
	NX_EXPECT_EQ("TSIH", nx_get_be16(p.bhs + 14), tsih);
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40;                          /* immediate NOP-Out */
	bhs[1] = 0x80;
	nx_put_be32(bhs + 16, 0x0c0ffee1);
	nx_put_be32(bhs + 20, 0xffffffff);
	nx_put_be32(bhs + 24, nx_ini_session_cmdsn(nx_conf_ini(s)));
	nx_put_be32(bhs + 28, nx_get_be32(p.bhs + 24) + 1);
	nx_conf_raw_send(raw, bhs, NULL, 0);
	assert_int_equal(nx_conf_raw_recv(raw, &p), 0);
	NX_EXPECT_EQ("opcode (NOP-In)", p.bhs[0] & 0x3f, 0x20);
	NX_EXPECT_EQ("ITT", nx_get_be32(p.bhs + 16), 0x0c0ffee1);
	nx_conf_logout(s);
}

/* A Login Request with a TSIH that names no session: 020Ah "Session
 * does not exist". */
static void test_login_unknown_tsih(void **state)
{
	static const uint8_t isid[6] = { 0x80, 0x00, 0x4e, 0x58, 0xfe, 0x01 };
	struct nx_conf_raw *raw;
	static struct nx_conf_pdu p;

	skip_if_chap();
	raw = nx_conf_raw_open();
	assert_int_equal(raw_login(raw, isid, 0x7e57, 1, 1, &p), 0);
	NX_EXPECT_EQ("opcode", p.bhs[0] & 0x3f, 0x23);
	NX_EXPECT_EQ("Status-Class", p.bhs[36], 0x02);
	NX_EXPECT_EQ("Status-Detail", p.bhs[37], 0x0a);
	nx_conf_raw_free(raw);
}

/* MaxConnections=1 negotiated: a second connection (new CID) to the
 * session is refused with 0206h "Too many connections". */
static void test_login_too_many_connections(void **state)
{
	struct nx_ini_config cfg;
	struct nx_conf_sess *s;
	struct nx_conf_raw *raw;
	static struct nx_conf_pdu p;

	skip_if_chap();
	nx_conf_config(&cfg, 0);
	cfg.max_connections = 1;
	s = nx_conf_login_cfg(&cfg);
	NX_EXPECT_EQ("MaxConnections", nx_ini_conn_params(nx_conf_conn(s))->max_connections, 1);
	raw = nx_conf_raw_open();
	assert_int_equal(raw_login(raw, cfg.isid,
				   nx_ini_session_tsih(nx_conf_ini(s)), 1,
				   nx_ini_session_cmdsn(nx_conf_ini(s)), &p), 0);
	NX_EXPECT_EQ("Status-Class", p.bhs[36], 0x02);
	NX_EXPECT_EQ("Status-Detail", p.bhs[37], 0x06);
	nx_conf_raw_free(raw);
	nx_conf_logout(s);
}

/* Logout reason 1 (close the connection) for this connection: response
 * 0, then the target closes it. */
static void test_logout_close_connection(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t response = 0xff;

	assert_int_equal(nx_ini_sync_logout(nx_conf_conn(s), nx_conf_driver(),
					    NX_INI_LOGOUT_CONNECTION, &response),
			 0);
	NX_EXPECT_EQ("Logout Response", response, 0);
	nx_conf_poll(100);
	NX_EXPECT_TRUE("connection closed", nx_ini_conn_is_dead(nx_conf_conn(s)));
	nx_conf_drop(s);
}

static void logout_done(struct nx_ini_logout *l)
{
	*(bool *)l->priv = true;
}

/* Sends a Logout with this reason/CID and waits for the response. */
static uint8_t logout_async(struct nx_conf_sess *s, uint8_t reason,
			    bool cid_set, uint16_t cid)
{
	struct nx_ini_logout l;
	bool done = false;

	memset(&l, 0, sizeof(l));
	l.reason = reason;
	l.cid = cid;
	l.cid_set = cid_set;
	l.done = logout_done;
	l.priv = &done;
	assert_int_equal(nx_ini_logout_submit(nx_conf_conn(s), &l), 0);
	for (unsigned i = 0; i < 100000 && !done; i++)
		nx_conf_poll(1);
	assert_true(done);
	assert_int_equal(l.err, 0);
	return l.response;
}

/* Logout reason 1 naming a CID that is not in the session: response 1
 * "CID not found"; the session keeps working. */
static void test_logout_unknown_cid(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	static const uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	NX_EXPECT_EQ("Logout Response",
		     logout_async(s, NX_INI_LOGOUT_CONNECTION, true, 7), 1);
	nx_conf_clear_ua(s);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* Logout reason 2 (remove for recovery) at ErrorRecoveryLevel 0:
 * response 2 "connection recovery is not supported". */
static void test_logout_recovery_erl0(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);

	if (nx_ini_conn_params(nx_conf_conn(s))->error_recovery_level != 0)
		NX_SKIP("ErrorRecoveryLevel > 0 negotiated");
	NX_EXPECT_EQ("Logout Response",
		     logout_async(s, NX_INI_LOGOUT_RECOVERY, false, 0), 2);
	nx_conf_drop(s);
}

/* In a Normal session, SendTargets= (empty) reports the session's own
 * target, and only it (RFC 7143 appendix C). */
static void test_sendtargets_normal_session(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	static struct nx_ini_target tg[8];
	struct nx_ini_text t;

	memset(&t, 0, sizeof(t));
	t.keys = "SendTargets=";
	t.targets = tg;
	t.targets_cap = 8;
	assert_int_equal(nx_ini_sync_text(nx_conf_conn(s), nx_conf_driver(), &t),
			 0);
	NX_EXPECT_EQ("targets reported", t.targets_count, 1);
	NX_EXPECT_TRUE("the session's target",
		       strcmp(tg[0].name, nx_conf_target()->name) == 0);
	nx_conf_logout(s);
}

/* Does "key=value" (NUL-separated text) contain this pair? */
static bool text_has(const char *txt, uint32_t len, const char *pair)
{
	for (uint32_t off = 0; off < len;) {
		if (strcmp(txt + off, pair) == 0)
			return true;
		off += (uint32_t)strnlen(txt + off, len - off) + 1;
	}
	return false;
}

/* An unknown (X-) key in a Text Request in full feature phase:
 * "key=NotUnderstood" (RFC 7143 6.2). */
static void test_text_unknown_key_ffp(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	static char resp[1024];
	struct nx_ini_text t;

	memset(&t, 0, sizeof(t));
	t.keys = "X-dev.nexus.conform-probe=1";
	t.resp = resp;
	t.resp_cap = sizeof(resp) - 1;
	assert_int_equal(nx_ini_sync_text(nx_conf_conn(s), nx_conf_driver(), &t),
			 0);
	NX_EXPECT_TRUE("X-dev.nexus.conform-probe=NotUnderstood",
		       text_has(resp, t.resp_len < sizeof(resp) ? t.resp_len
								: sizeof(resp) - 1,
				"X-dev.nexus.conform-probe=NotUnderstood"));
	nx_conf_logout(s);
}

/* MaxRecvDataSegmentLength may be declared again in full feature phase
 * (RFC 7143 13.12, "ALL"): after declaring 4096 the target sends no
 * Data-In segment longer than that. */
static void test_text_max_recv_dsl_ffp(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.5: Data-In is RDMA WRITE, MaxRecvDataSegmentLength does not segment it");
	static uint8_t d[32768];
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_conf_result r;
	struct nx_ini_text t;
	uint8_t cdb[10] = { 0x28 };
	uint32_t bs;
	int i;

	nx_conf_clear_ua(s);
	nx_conf_capacity(s, NULL, &bs);
	memset(&t, 0, sizeof(t));
	t.keys = "MaxRecvDataSegmentLength=4096";
	assert_int_equal(nx_ini_sync_text(nx_conf_conn(s), nx_conf_driver(), &t),
			 0);
	nx_put_be16(cdb + 7, (uint16_t)(sizeof(d) / bs));
	rec_start(s, &rec_s, 0);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	for (unsigned k = 0; (i = rec_find(&rec_s, 0x25, 0, k)) >= 0; k++)
		NX_EXPECT_TRUE("Data-In DataSegmentLength <= 4096",
			       rec_s.dlen[i] <= 4096);
	NX_EXPECT_TRUE("Data-In seen", rec_find(&rec_s, 0x25, 0, 7) >= 0);
	nx_conf_logout(s);
}

/* HeaderDigest=CRC32C and DataDigest=CRC32C (optional: SKIP if the
 * target declines): 64 KiB written and read back intact, the initiator
 * (which checks every received digest) saw no error and no Reject. */
static void test_digests_crc32c_end_to_end(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 6.1: no digests over iSER (the RDMA transport checks the data)");
	static uint8_t w[65536], rd[65536];
	struct nx_ini_config cfg;
	struct nx_conf_sess *s;
	const struct nx_ini_params *p;
	uint32_t bs;

	nx_conf_config(&cfg, 0);
	snprintf(cfg.header_digest, sizeof(cfg.header_digest), "CRC32C,None");
	snprintf(cfg.data_digest, sizeof(cfg.data_digest), "CRC32C,None");
	s = nx_conf_login_cfg(&cfg);
	p = nx_ini_conn_params(nx_conf_conn(s));
	if (!p->header_digest || !p->data_digest)
		NX_SKIP("target declined CRC32C digests");
	nx_conf_clear_ua(s);
	nx_conf_capacity(s, NULL, &bs);
	nx_conf_pattern(w, sizeof(w), 512, 0xdd);
	nx_conf_write(s, 512, sizeof(w) / bs, w);
	nx_conf_read(s, 512, sizeof(rd) / bs, rd);
	NX_EXPECT_BYTES(rd, w, sizeof(w));
	NX_EXPECT_EQ("Rejects", nx_ini_session_stats(nx_conf_ini(s))->rejects, 0);
	nx_conf_logout(s);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A NOP-Out whose data digest is wrong: Reject reason 02h (Data digest
 * error) carrying the NOP-Out's header, and the connection lives on
 * (ERL 0, RFC 7143 7.8 / 11.17.1).  The wrong digest is put on the wire
 * through the initiator's raw send: the NOP-Out's DataSegmentLength is 8
 * but 56 bytes go out - 8 ping bytes, 4 bogus digest bytes and the first
 * 44 bytes of a TEST UNIT READY; the initiator's own digest over those
 * 56 bytes lands in the TUR's CDB bytes 12-15, which a 6-byte CDB does
 * not use. */
static void test_data_digest_error_reject(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 6.1: no digests over iSER (the RDMA transport checks the data)");
	static const uint8_t ping[8] = "digest!!";
	uint8_t nop[48], tur_bhs[48], buf[56], tur[6] = { 0 };
	struct nx_ini_config cfg;
	struct nx_conf_sess *s;
	uint32_t nop_itt, tur_itt, cmdsn;
	int at;

	nx_conf_config(&cfg, 0);
	snprintf(cfg.data_digest, sizeof(cfg.data_digest), "CRC32C,None");
	s = nx_conf_login_cfg(&cfg);
	if (!nx_ini_conn_params(nx_conf_conn(s))->data_digest)
		NX_SKIP("target declined DataDigest=CRC32C");
	if (nx_ini_conn_params(nx_conf_conn(s))->header_digest)
		NX_SKIP("header digest negotiated: the splice needs it off");
	nx_conf_clear_ua(s);
	nop_itt = nx_conf_raw_itt(s);
	tur_itt = nx_conf_raw_itt(s);
	cmdsn = nx_ini_session_cmdsn(nx_conf_ini(s));
	memset(nop, 0, sizeof(nop));
	nop[0] = 0x40;                          /* immediate NOP-Out */
	nop[1] = 0x80;
	nx_put_be24(nop + 5, sizeof(ping));
	nx_put_be32(nop + 16, nop_itt);
	nx_put_be32(nop + 20, 0xffffffff);
	nx_put_be32(nop + 24, cmdsn);
	nx_put_be32(nop + 28, nx_ini_conn_exp_statsn(nx_conf_conn(s)));
	raw_cmd_bhs(s, tur_bhs, tur_itt, nx_ini_session_take_cmdsn(nx_conf_ini(s)),
		    false, false, false, 0, tur, sizeof(tur));
	memcpy(buf, ping, 8);
	put_le32(buf + 8, ~nx_crc32c(0, ping, sizeof(ping)));
	memcpy(buf + 12, tur_bhs, 44);
	rec_start(s, &rec_s, tur_itt);
	rec_s.own_itt2 = 0xffffffff;            /* the Reject */
	nx_conf_send_pdu(s, nop, buf, sizeof(buf));
	at = rec_wait(&rec_s, 0x3f, 0xffffffff, 0);
	assert_true(at >= 0);
	NX_EXPECT_EQ("Reject Reason", rec_s.bhs[at][2], 0x02);
	NX_EXPECT_EQ("Reject DataSegmentLength", rec_s.dlen[at], 48);
	NX_EXPECT_BYTES(rec_s.data48[at], nop, 48);
	NX_EXPECT_EQ("NOP-In for the damaged ping",
		     (uint64_t)rec_find(&rec_s, 0x20, nop_itt, 0), (uint64_t)-1);
	at = rec_wait(&rec_s, 0x21, tur_itt, 0);
	assert_true(at >= 0);
	NX_EXPECT_EQ("TUR after the Reject: response", rec_s.bhs[at][2], 0);
	NX_EXPECT_EQ("TUR after the Reject: status", rec_s.bhs[at][3], 0);
	nx_conf_logout(s);
}

/* A non-immediate command whose CmdSN is below ExpCmdSN (an old one) is
 * silently ignored (RFC 7143 3.2.2.1); the session keeps working. */
static void test_cmdsn_below_window_ignored(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t bhs[48], tur[6] = { 0 };
	uint32_t itt = nx_conf_raw_itt(s);
	struct nx_conf_result r;

	nx_conf_clear_ua(s);
	raw_cmd_bhs(s, bhs, itt, nx_ini_session_cmdsn(nx_conf_ini(s)) - 1,
		    false, false, false, 0, tur, sizeof(tur));
	rec_start(s, &rec_s, itt);
	nx_conf_send_pdu(s, bhs, NULL, 0);
	nx_conf_poll(200);
	for (unsigned i = 0; i < rec_s.n; i++)
		NX_EXPECT_TRUE("no answer to the stale command",
			       nx_get_be32(rec_s.bhs[i] + 16) != itt);
	NX_EXPECT_EQ("Rejects", (uint64_t)rec_find(&rec_s, 0x3f, 0, 0),
		     (uint64_t)-1);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* An immediate command (I=1) carries the next CmdSN but does not advance
 * ExpCmdSN (RFC 7143 3.2.2.1): its response still says ExpCmdSN = that
 * CmdSN, and the next non-immediate command uses it. */
static void test_immediate_cmd_keeps_cmdsn(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t bhs[48], tur[6] = { 0 };
	uint32_t itt = nx_conf_raw_itt(s), cmdsn;
	struct nx_conf_result r;
	int at;

	nx_conf_clear_ua(s);
	cmdsn = nx_ini_session_cmdsn(nx_conf_ini(s));
	raw_cmd_bhs(s, bhs, itt, cmdsn, true, false, false, 0, tur, sizeof(tur));
	rec_start(s, &rec_s, itt);
	nx_conf_send_pdu(s, bhs, NULL, 0);
	at = rec_wait(&rec_s, 0x21, itt, 0);
	assert_true(at >= 0);
	NX_EXPECT_EQ("status", rec_s.bhs[at][3], 0);
	NX_EXPECT_EQ("ExpCmdSN after the immediate command",
		     nx_get_be32(rec_s.bhs[at] + 28), cmdsn);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("ExpCmdSN after the next command",
		     nx_ini_session_exp_cmdsn(nx_conf_ini(s)), cmdsn + 1);
	nx_conf_logout(s);
}

/* NOP-Out with ITT FFFFFFFFh (I=1) is not a ping: no NOP-In answers it
 * (RFC 7143 11.18.1); a ping right after is answered. */
static void test_nop_out_no_reply(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t bhs[48];
	bool match = false;
	unsigned answers = 0;

	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40;
	bhs[1] = 0x80;
	nx_put_be32(bhs + 16, 0xffffffff);
	nx_put_be32(bhs + 20, 0xffffffff);
	nx_put_be32(bhs + 24, nx_ini_session_cmdsn(nx_conf_ini(s)));
	nx_put_be32(bhs + 28, nx_ini_conn_exp_statsn(nx_conf_conn(s)));
	rec_start(s, &rec_s, 0);
	nx_conf_send_pdu(s, bhs, NULL, 0);
	nx_conf_poll(200);
	/* While idle time passes the target may ping (NOP-In with a valid
	 * TTT, RFC 7143 11.19.2): those answer nothing. */
	for (unsigned i = 0; i < rec_s.n; i++)
		answers += (rec_s.bhs[i][0] & 0x3f) != 0x20 ||
			   nx_get_be32(rec_s.bhs[i] + 20) == 0xffffffff;
	NX_EXPECT_EQ("PDUs answering it", answers, 0);
	assert_int_equal(nx_ini_sync_nop(nx_conf_conn(s), nx_conf_driver(),
					 "p", 1, &match), 0);
	NX_EXPECT_TRUE("ping answered", match);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("iscsi", session_reinstatement, "RFC 7143 6.3.5",
		     "same ISID + InitiatorName, TSIH 0: new session; the old one's connection closed"),
	NX_CONF_TEST("iscsi", add_connection_with_tsih, "RFC 7143 11.12.5",
		     "MaxConnections 2: a CID 1 login with the TSIH joins (same TSIH) and is answered"),
	NX_CONF_TEST("iscsi", login_unknown_tsih, "RFC 7143 11.13.5",
		     "a Login Request naming a non-existent TSIH: 020Ah Session does not exist"),
	NX_CONF_TEST("iscsi", login_too_many_connections, "RFC 7143 11.13.5",
		     "MaxConnections=1: a second connection to the session: 0206h Too many connections"),
	NX_CONF_TEST("iscsi", logout_close_connection, "RFC 7143 11.15.1",
		     "Logout reason 1 for this connection: response 0, connection closed"),
	NX_CONF_TEST("iscsi", logout_unknown_cid, "RFC 7143 11.15.1",
		     "Logout reason 1 naming an unknown CID: response 1 (CID not found)"),
	NX_CONF_TEST("iscsi", logout_recovery_erl0, "RFC 7143 11.15.1",
		     "Logout reason 2 at ErrorRecoveryLevel 0: response 2 (recovery not supported)"),
	NX_CONF_TEST("iscsi", sendtargets_normal_session, "RFC 7143 C",
		     "SendTargets= in a Normal session reports exactly the session's target"),
	NX_CONF_TEST("iscsi", text_unknown_key_ffp, "RFC 7143 6.2",
		     "an unknown key in a full-feature Text Request: key=NotUnderstood"),
	NX_CONF_TEST("iscsi", text_max_recv_dsl_ffp, "RFC 7143 13.12",
		     "MaxRecvDataSegmentLength=4096 declared in FFP: no Data-In segment above 4096"),
	NX_CONF_TEST("iscsi", digests_crc32c_end_to_end, "RFC 7143 13.1",
		     "HeaderDigest/DataDigest CRC32C: 64 KiB written and read back, no digest error"),
	NX_CONF_TEST("iscsi", data_digest_error_reject, "RFC 7143 11.17.1",
		     "a data digest error (ERL 0): Reject 02h with the header; the connection goes on"),
	NX_CONF_TEST("iscsi", cmdsn_below_window_ignored, "RFC 7143 3.2.2.1",
		     "a non-immediate command with CmdSN < ExpCmdSN is silently ignored"),
	NX_CONF_TEST("iscsi", immediate_cmd_keeps_cmdsn, "RFC 7143 3.2.2.1",
		     "an immediate command does not advance ExpCmdSN"),
	NX_CONF_TEST("iscsi", nop_out_no_reply, "RFC 7143 11.18.1",
		     "NOP-Out with ITT FFFFFFFFh gets no NOP-In; a following ping does"),
};

NX_CONF_TABLE(nx_conf_table_iscsi_session, tests);
