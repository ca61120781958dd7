/*
 * login_test.c - the login phase against a scripted target: exact Login
 * Request bytes and keys (RFC 7143 11.12, §13), CHAP and mutual CHAP
 * (12.1.3), status failures (11.13.5), negotiation violations, C-bit
 * continuation (11.13.2).
 */
#include "tests/unit/ini_fixture.h"
#include "../transports/iscsi/nego_internal.h"

#define INI_NAME "iqn.2024-01.org.nexus:ini"
#define TGT_NAME "iqn.2024-01.org.nexus:tgt"

#define OP_KEYS                                                              \
	"HeaderDigest=None\nDataDigest=None\nMaxConnections=1\n"             \
	"InitialR2T=Yes\nImmediateData=Yes\n"                                \
	"MaxRecvDataSegmentLength=262144\nMaxBurstLength=262144\n"           \
	"FirstBurstLength=65536\nDefaultTime2Wait=2\nDefaultTime2Retain=20\n" \
	"MaxOutstandingR2T=1\nDataPDUInOrder=Yes\nDataSequenceInOrder=Yes\n" \
	"ErrorRecoveryLevel=0"

#define OP_ANSWERS                                                           \
	"HeaderDigest=None\nDataDigest=None\nMaxConnections=1\n"             \
	"InitialR2T=Yes\nImmediateData=Yes\n"                                \
	"MaxRecvDataSegmentLength=8192\nMaxBurstLength=65536\n"              \
	"FirstBurstLength=16384\nDefaultTime2Wait=2\nDefaultTime2Retain=20\n" \
	"MaxOutstandingR2T=1\nDataPDUInOrder=Yes\nDataSequenceInOrder=Yes\n" \
	"ErrorRecoveryLevel=0"

static struct ft ft;
static struct nx_ini_config cfg;
static struct nx_ini_login req;
static int fired;

static void on_login(struct nx_ini_login *r)
{
	fired++;
}

static void cfg_default(void)
{
	static const uint8_t isid[6] = { 0x80, 0x12, 0x34, 0x56, 0x78, 0x9a };

	nx_ini_config_init(&cfg, INI_NAME, TGT_NAME);
	memcpy(cfg.isid, isid, 6);
}

static void start(void)
{
	ft_init(&ft, &cfg);
	fired = 0;
	memset(&req, 0, sizeof(req));
	req.done = on_login;
	assert_int_equal(nx_ini_login(ft.c, &req), 0);
}

static int teardown(void **state)
{
	ft_fini(&ft);
	return 0;
}

/* RFC 7143 11.12: first Login Request bytes and keys, then the
 * operational stage, then full feature phase with the answers applied. */
static void test_login_none_exact_pdus(void **state)
{
	const struct nx_ini_params *p;

	cfg_default();
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[0], 0x43);        /* immediate login */
	assert_int_equal(ft.p.bhs[1], 0x81);        /* T, CSG 0, NSG 1 */
	assert_int_equal(ft.p.bhs[2], 0);           /* Version-max */
	assert_int_equal(ft.p.bhs[3], 0);           /* Version-min */
	assert_memory_equal(ft.p.bhs + 8, cfg.isid, 6);
	assert_int_equal(nx_get_be16(ft.p.bhs + 14), 0);   /* TSIH */
	assert_int_equal(nx_get_be32(ft.p.bhs + 16), req.itt);
	assert_int_equal(nx_get_be16(ft.p.bhs + 20), 1);   /* CID */
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 1);   /* CmdSN */
	assert_int_equal(nx_get_be32(ft.p.bhs + 28), 0);   /* ExpStatSN */
	ft_assert_text(&ft.p, "InitiatorName=" INI_NAME "\nSessionType=Normal\n"
			      "TargetName=" TGT_NAME "\nAuthMethod=None");
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0,
				      "AuthMethod=None\nTargetPortalGroupTag=7"),
			 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x87);        /* T, CSG 1, NSG 3 */
	assert_int_equal(nx_get_be32(ft.p.bhs + 24), 1);
	assert_int_equal(nx_get_be32(ft.p.bhs + 28), 0x101);
	ft_assert_text(&ft.p, OP_KEYS);
	assert_int_equal(fired, 0);
	assert_int_equal(ft_login_rsp(&ft, 0x87, 0x1234, OP_ANSWERS), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(req.err, 0);
	assert_int_equal(req.tsih, 0x1234);
	assert_true(nx_ini_conn_is_ffp(ft.c));
	assert_int_equal(nx_ini_session_tsih(ft.s), 0x1234);
	assert_int_equal(nx_ini_conn_exp_statsn(ft.c), 0x102);
	p = nx_ini_conn_params(ft.c);
	assert_int_equal(p->max_xmit_dsl, 8192);
	assert_int_equal(p->max_recv_dsl, 262144);
	assert_int_equal(p->max_burst_length, 65536);
	assert_int_equal(p->first_burst_length, 16384);
	assert_true(p->immediate_data);
	assert_true(p->initial_r2t);
	assert_int_equal(p->tpgt, 7);
	assert_false(ft_next(&ft));
	assert_int_equal(ft.closes, 0);
}

static void cfg_chap(bool mutual_chap)
{
	cfg_default();
	strcpy(cfg.chap_user, "alice");
	strcpy(cfg.chap_secret, "nexus-secret-12");
	if (mutual_chap) {
		strcpy(cfg.mutual_user, "tgt-user");
		strcpy(cfg.mutual_secret, "target-secret-34");
	}
}

/* Looks a key up in the PDU just sent. */
static const char *sent_key(const char *name)
{
	struct ini_kv kv;
	uint32_t off = 0;

	ft.p.data[ft.p.len] = 0;
	while (nx_ini_kv_next((const char *)ft.p.data, ft.p.len, &off, &kv) > 0) {
		if (nx_ini_kv_is(&kv, name))
			return kv.value;
	}
	return NULL;
}

/* Up to the CHAP_N/CHAP_R request (RFC 7143 12.1.3). */
static void chap_until_response(void)
{
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x00);        /* no transit with CHAP */
	assert_string_equal(sent_key("AuthMethod"), "CHAP,None");
	assert_int_equal(ft_login_rsp(&ft, 0x00, 0, "AuthMethod=CHAP"), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	ft_assert_text(&ft.p, "CHAP_A=5");
	assert_int_equal(ft_login_rsp(&ft, 0x00, 0,
		"CHAP_A=5\nCHAP_I=7\nCHAP_C=0x0102030405060708090a0b0c0d0e0f10"),
		0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x81);
	assert_string_equal(sent_key("CHAP_N"), "alice");
	assert_string_equal(sent_key("CHAP_R"),
			    "0x0d5743c6645f9a06352ee5b80f6eaa28");
}

static void test_login_chap_one_way(void **state)
{
	cfg_chap(false);
	chap_until_response();
	assert_null(sent_key("CHAP_I"));
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0, ""), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x87);
	ft_assert_text(&ft.p, OP_KEYS);
	assert_int_equal(ft_login_rsp(&ft, 0x87, 9, OP_ANSWERS), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(req.err, 0);
}

/* The target's answer to our challenge, computed from what we sent. */
static void mutual_answer(char *hex, const char *secret)
{
	uint8_t chal[NX_INI_CHALLENGE_MAX], digest[16];
	uint32_t id;
	int n;

	assert_true(nx_ini_parse_u32(sent_key("CHAP_I"), &id));
	n = nx_ini_decode_binary(sent_key("CHAP_C"), chal, sizeof(chal));
	assert_int_equal(n, 16);
	nx_ini_chap_response((uint8_t)id, secret, chal, (uint32_t)n, digest);
	assert_true(nx_ini_encode_hex(digest, 16, hex, 40));
}

static void test_login_mutual_chap(void **state)
{
	char hex[40], text[128];

	cfg_chap(true);
	chap_until_response();
	mutual_answer(hex, "target-secret-34");
	snprintf(text, sizeof(text), "CHAP_N=tgt-user\nCHAP_R=%s", hex);
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0, text), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x87);
	assert_int_equal(ft_login_rsp(&ft, 0x87, 9, OP_ANSWERS), 0);
	assert_int_equal(req.err, 0);
	assert_true(nx_ini_conn_is_ffp(ft.c));
}

/* RFC 7143 12.1.3: a wrong target response fails the login. */
static void test_login_mutual_chap_bad_response(void **state)
{
	char hex[40], text[128];

	cfg_chap(true);
	chap_until_response();
	mutual_answer(hex, "wrong-secret");
	snprintf(text, sizeof(text), "CHAP_N=tgt-user\nCHAP_R=%s", hex);
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0, text), NX_INI_ECONNRESET);
	assert_int_equal(fired, 1);
	assert_int_equal(req.err, NX_INI_EAUTH);
	assert_int_equal(ft.closes, 1);
	assert_true(nx_ini_conn_is_dead(ft.c));
}

static void test_login_mutual_chap_wrong_name(void **state)
{
	char hex[40], text[128];

	cfg_chap(true);
	chap_until_response();
	mutual_answer(hex, "target-secret-34");
	snprintf(text, sizeof(text), "CHAP_N=mallory\nCHAP_R=%s", hex);
	assert_true(ft_login_rsp(&ft, 0x81, 0, text) < 0);
	assert_int_equal(req.err, NX_INI_EAUTH);
}

/* Mutual CHAP asked for: the target may not pick AuthMethod=None. */
static void test_login_mutual_refuses_none(void **state)
{
	cfg_chap(true);
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_true(ft_login_rsp(&ft, 0x01, 0, "AuthMethod=None") < 0);
	assert_int_equal(req.err, NX_INI_EAUTH);
	assert_int_equal(ft.closes, 1);
}

/* RFC 7143 11.13.5: a failing status completes the login with it. */
static void test_login_status_failure(void **state)
{
	uint8_t bhs[48];

	cfg_default();
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_LOGIN_RSP, req.itt, true);
	bhs[1] = 0x01;
	memcpy(bhs + 8, cfg.isid, 6);
	bhs[36] = 0x02;
	bhs[37] = 0x01;
	assert_int_equal(ft_feed(&ft, bhs, NULL, 0), NX_INI_ECONNRESET);
	assert_int_equal(fired, 1);
	assert_int_equal(req.err, NX_INI_ELOGIN);
	assert_int_equal(req.status_class, 2);
	assert_int_equal(req.status_detail, 1);
	assert_int_equal(ft.closes, 1);
}

/* RFC 7143 6.2.2: a MIN key may not come back larger than offered. */
static void test_login_answer_above_offer(void **state)
{
	cfg_default();
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0, "AuthMethod=None"), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_true(ft_login_rsp(&ft, 0x87, 1, "MaxBurstLength=1048576") < 0);
	assert_int_equal(req.err, NX_INI_EPROTO);
	assert_int_equal(ft.closes, 1);
}

/* ImmediateData is AND: our No cannot become Yes. */
static void test_login_and_key_violation(void **state)
{
	cfg_default();
	cfg.immediate_data = false;
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0, "AuthMethod=None"), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_string_equal(sent_key("ImmediateData"), "No");
	assert_true(ft_login_rsp(&ft, 0x87, 1, "ImmediateData=Yes") < 0);
	assert_int_equal(req.err, NX_INI_EPROTO);
}

/* RFC 7143 6.2: target-offered keys are answered before transit;
 * unknown keys get NotUnderstood. */
static void test_login_target_offers(void **state)
{
	cfg_default();
	cfg.skip_security = true;
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x87);
	assert_string_equal(sent_key("InitiatorName"), INI_NAME);
	assert_string_equal(sent_key("HeaderDigest"), "None");
	assert_int_equal(ft_login_rsp(&ft, 0x04, 0,
				      "X-com.example.Foo=1\nMaxBurstLength=4096"),
			 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x87);
	ft_assert_text(&ft.p, "X-com.example.Foo=NotUnderstood");
	assert_int_equal(ft_login_rsp(&ft, 0x87, 3, ""), 0);
	assert_int_equal(req.err, 0);
	assert_int_equal(nx_ini_conn_params(ft.c)->max_burst_length, 4096);
}

/* RFC 7143 11.13.2: C bit - ask for the rest with an empty request. */
static void test_login_response_continuation(void **state)
{
	uint8_t bhs[48];
	static const char part1[] = "AuthMethod=No";
	static const char part2[] = "ne\0TargetPortalGroupTag=2";

	cfg_default();
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_LOGIN_RSP, req.itt, true);
	bhs[1] = 0x40 | 0x01;                       /* C, CSG 0 */
	memcpy(bhs + 8, cfg.isid, 6);
	assert_int_equal(ft_feed(&ft, bhs, part1, sizeof(part1) - 1), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.len, 0);
	assert_int_equal(ft.p.bhs[1], 0x81);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_LOGIN_RSP, req.itt, true);
	bhs[1] = 0x81;
	memcpy(bhs + 8, cfg.isid, 6);
	assert_int_equal(ft_feed(&ft, bhs, part2, sizeof(part2)), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft.p.bhs[1], 0x87);
	assert_int_equal(ft_login_rsp(&ft, 0x87, 3, OP_ANSWERS), 0);
	assert_int_equal(nx_ini_conn_params(ft.c)->tpgt, 2);
}

/* RFC 7143 13.1: digests negotiated in the login are on from the first
 * full-feature PDU; discovery sessions offer no session-only keys. */
static void test_login_discovery_digests(void **state)
{
	nx_ini_config_init(&cfg, INI_NAME, NULL);
	strcpy(cfg.header_digest, "CRC32C,None");
	strcpy(cfg.data_digest, "CRC32C");
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	ft_assert_text(&ft.p, "InitiatorName=" INI_NAME
			      "\nSessionType=Discovery\nAuthMethod=None");
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0, "AuthMethod=None"), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	ft_assert_text(&ft.p, "HeaderDigest=CRC32C,None\nDataDigest=CRC32C\n"
			      "MaxRecvDataSegmentLength=262144\n"
			      "DefaultTime2Wait=2\nDefaultTime2Retain=20\n"
			      "ErrorRecoveryLevel=0");
	/* A value we did not offer is a violation... */
	assert_int_equal(ft_login_rsp(&ft, 0x87, 5,
				      "HeaderDigest=CRC32C\nDataDigest=CRC32C"),
			 0);
	assert_true(nx_ini_conn_params(ft.c)->header_digest);
	assert_true(nx_ini_conn_params(ft.c)->data_digest);
	assert_true(ft.c->hdr_digest);
}

static void test_login_digest_not_offered(void **state)
{
	cfg_default();
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft_login_rsp(&ft, 0x81, 0, "AuthMethod=None"), 0);
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_true(ft_login_rsp(&ft, 0x87, 5, "HeaderDigest=CRC32C") < 0);
	assert_int_equal(req.err, NX_INI_EPROTO);
}

/* Only Login Responses are legal before full feature phase. */
static void test_login_unexpected_pdu(void **state)
{
	uint8_t bhs[48];

	cfg_default();
	start();
	ft_expect(&ft, NX_ISCSI_OP_LOGIN_REQ);
	ft_bhs(&ft, bhs, NX_ISCSI_OP_SCSI_RSP, req.itt, true);
	assert_true(ft_feed(&ft, bhs, NULL, 0) < 0);
	assert_int_equal(req.err, NX_INI_EPROTO);
	assert_int_equal(ft.closes, 1);
}

/* A second connection joins with the session's TSIH and sends no
 * leading-only keys (RFC 7143 6.3). */
static void test_login_second_connection(void **state)
{
	struct ft ft2;
	struct nx_ini_login req2;

	cfg_default();
	ft_init(&ft, &cfg);
	ft_login(&ft, &req, OP_ANSWERS);
	memset(&ft2, 0, sizeof(ft2));
	ft2.p.data = calloc(1, FT_DATA_MAX);
	ft2.statsn = 0x500;
	ft2.exp_cmdsn = 1;
	ft2.max_cmdsn = 10;
	ft2.s = ft.s;
	ft2.c = nx_ini_conn_new(ft.s, 2, &ft_ops, &ft2);
	assert_non_null(ft2.c);
	assert_null(nx_ini_conn_new(ft.s, 2, &ft_ops, &ft2)); /* CID in use */
	memset(&req2, 0, sizeof(req2));
	assert_int_equal(nx_ini_login(ft2.c, &req2), 0);
	ft_expect(&ft2, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(nx_get_be16(ft2.p.bhs + 14), 0x1234);
	assert_int_equal(nx_get_be16(ft2.p.bhs + 20), 2);
	ft_assert_text(&ft2.p, "InitiatorName=" INI_NAME "\nTargetName=" TGT_NAME
			       "\nAuthMethod=None");
	assert_int_equal(ft_login_rsp(&ft2, 0x81, 0, "AuthMethod=None"), 0);
	ft_expect(&ft2, NX_ISCSI_OP_LOGIN_REQ);
	ft_assert_text(&ft2.p, "HeaderDigest=None\nDataDigest=None\n"
			       "MaxRecvDataSegmentLength=262144");
	assert_int_equal(ft_login_rsp(&ft2, 0x87, 0x1234,
				      "MaxRecvDataSegmentLength=4096"), 0);
	assert_true(nx_ini_conn_is_ffp(ft2.c));
	assert_int_equal(nx_ini_conn_params(ft2.c)->max_xmit_dsl, 4096);
	assert_int_equal(nx_ini_conn_params(ft2.c)->max_burst_length, 65536);
	nx_ini_conn_free(ft2.c);
	free(ft2.out);
	free(ft2.p.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_login_none_exact_pdus, teardown),
		cmocka_unit_test_teardown(test_login_chap_one_way, teardown),
		cmocka_unit_test_teardown(test_login_mutual_chap, teardown),
		cmocka_unit_test_teardown(test_login_mutual_chap_bad_response,
					  teardown),
		cmocka_unit_test_teardown(test_login_mutual_chap_wrong_name,
					  teardown),
		cmocka_unit_test_teardown(test_login_mutual_refuses_none,
					  teardown),
		cmocka_unit_test_teardown(test_login_status_failure, teardown),
		cmocka_unit_test_teardown(test_login_answer_above_offer, teardown),
		cmocka_unit_test_teardown(test_login_and_key_violation, teardown),
		cmocka_unit_test_teardown(test_login_target_offers, teardown),
		cmocka_unit_test_teardown(test_login_response_continuation,
					  teardown),
		cmocka_unit_test_teardown(test_login_discovery_digests, teardown),
		cmocka_unit_test_teardown(test_login_digest_not_offered, teardown),
		cmocka_unit_test_teardown(test_login_unexpected_pdu, teardown),
		cmocka_unit_test_teardown(test_login_second_connection, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
