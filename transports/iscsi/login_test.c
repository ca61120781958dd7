/*
 * login_test.c - the login phase (RFC 7143 §6, 11.12, 11.13) driven with
 * crafted Login Request PDUs.  The connection machinery is replaced by a
 * stub that records every PDU sent; each test checks the Login Response
 * header bytes (flags, TSIH, StatSN, status class/detail) and keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iscsi/nego_internal.h"

/* ---- stub connection ------------------------------------------------------ */

#define SENT_MAX 16

struct sent_pdu {
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	char data[NX_ISCSI_LOGIN_RSP_MAX];
	uint32_t len;
	bool hdigest_on; /* conn params said header digest when sent */
};

struct nx_iscsi_conn {
	struct nx_iscsi_params params;
	struct nx_iscsi_server_config cfg;
	uint32_t statsn;
	struct sent_pdu sent[SENT_MAX];
	unsigned nsent;
	uint16_t complete_status; /* what login_complete answers */
	unsigned completes;
	uint8_t isid[6];
	uint16_t tsih_in, cid;
	unsigned starts;
	bool rdma; /* an iSER connection */
	bool auth_blocked;        /* what auth_blocked answers */
	unsigned auth_checks, auth_ok, auth_fail;
	uint16_t refusal;         /* what login_refusal answers */
	unsigned refusal_checks, failures;
};

bool nx_iscsi_conn_is_rdma(const struct nx_iscsi_conn *c)
{
	return c->rdma;
}

void nx_iscsi_conn_send_pdu(struct nx_iscsi_conn *c, uint8_t *bhs,
			    const void *data, uint32_t data_len)
{
	struct sent_pdu *s;

	assert_true(c->nsent < SENT_MAX);
	assert_true(data_len <= NX_ISCSI_LOGIN_RSP_MAX);
	s = &c->sent[c->nsent++];
	nx_put_be24(bhs + 5, data_len);
	memcpy(s->bhs, bhs, NX_ISCSI_BHS_LEN);
	if (data_len > 0)
		memcpy(s->data, data, data_len);
	s->len = data_len;
	s->hdigest_on = c->params.header_digest;
}

struct nx_iscsi_params *nx_iscsi_conn_params(struct nx_iscsi_conn *c)
{
	return &c->params;
}

const struct nx_iscsi_server_config *
nx_iscsi_conn_server_config(const struct nx_iscsi_conn *c)
{
	return &c->cfg;
}

uint16_t nx_iscsi_conn_tpgt(const struct nx_iscsi_conn *c)
{
	return c->cfg.tpgt;
}

uint32_t nx_iscsi_conn_next_statsn(struct nx_iscsi_conn *c)
{
	return c->statsn++;
}

void nx_iscsi_conn_fill_sn(struct nx_iscsi_conn *c, uint8_t *bhs)
{
	nx_put_be32(bhs + 28, 0x1000);
	nx_put_be32(bhs + 32, 0x1010);
}

uint16_t nx_iscsi_conn_login_complete(struct nx_iscsi_conn *c,
				      const uint8_t isid[6], uint16_t tsih_in,
				      uint16_t cid, uint16_t *tsih_out)
{
	c->completes++;
	memcpy(c->isid, isid, 6);
	c->tsih_in = tsih_in;
	c->cid = cid;
	*tsih_out = tsih_in ? tsih_in : 0x77;
	return c->complete_status;
}

void nx_iscsi_conn_login_start(struct nx_iscsi_conn *c, uint32_t exp_statsn)
{
	c->starts++;
	c->statsn = exp_statsn;
}

void nx_iscsi_conn_drop(struct nx_iscsi_conn *c, const char *why)
{
	fail_msg("login.c must not drop connections itself: %s", why);
}

bool nx_iscsi_conn_auth_blocked(struct nx_iscsi_conn *c, const char *initiator)
{
	c->auth_checks++;
	return c->auth_blocked;
}

void nx_iscsi_conn_auth_result(struct nx_iscsi_conn *c, const char *initiator,
			       bool ok)
{
	if (ok)
		c->auth_ok++;
	else
		c->auth_fail++;
}

uint16_t nx_iscsi_conn_login_refusal(struct nx_iscsi_conn *c)
{
	c->refusal_checks++;
	return c->refusal;
}

void nx_iscsi_conn_login_failed(struct nx_iscsi_conn *c, uint16_t status)
{
	c->failures++;
}

bool nx_iscsi_conn_log_ok(struct nx_iscsi_conn *c, enum nx_iscsi_log_kind kind,
			  enum nx_log_level level)
{
	return true;
}

/* ---- fixture --------------------------------------------------------------- */

#define TGT "iqn.2024-01.org.nexus:disk1"
#define TGT2 "iqn.2024-01.org.nexus:disk2"
#define INI "iqn.1994-05.com.redhat:host1"

struct fx {
	struct nx_iscsi_conn c;
	struct nx_iscsi_login *l;
	struct nx_target *t1, *t2;
	char keys[4096]; /* request keys being built */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	nx_iscsi_params_default(&f->c.params);
	f->t1 = nx_target_new(TGT);
	f->t2 = nx_target_new(TGT2);
	f->c.cfg.targets[0].target = f->t1;
	f->c.cfg.targets[1].target = f->t2;
	f->c.cfg.target_count = 2;
	f->c.cfg.tpgt = 1;
	f->l = nx_iscsi_login_new(&f->c);
	assert_non_null(f->l);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nx_iscsi_login_free(f->l);
	nx_target_free(f->t1);
	nx_target_free(f->t2);
	free(f);
	return 0;
}

static void set_chap(struct fx *f, bool mutual)
{
	struct nx_iscsi_target_config *t = &f->c.cfg.targets[0];

	strcpy(t->chap.user, "alice");
	strcpy(t->chap.secret, "alicesecret12");
	t->chap.set = true;
	if (mutual) {
		strcpy(t->mutual_chap.user, "tgtuser");
		strcpy(t->mutual_chap.secret, "targetsecret9");
		t->mutual_chap.set = true;
	}
}

#define F_T 0x80
#define F_C 0x40
#define STG(csg, nsg) (uint8_t)((csg) << 2 | (nsg))

/* Sends a Login Request; keys are '\n'-separated "k=v" lines. */
static int login_req_full(struct fx *f, uint8_t flags, uint16_t tsih,
			  uint8_t vmin, const char *keys)
{
	struct nx_iscsi_pdu pdu;
	size_t n = strlen(keys);

	memset(&pdu, 0, sizeof(pdu));
	pdu.bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	pdu.bhs[1] = flags;
	pdu.bhs[2] = 0x00;
	pdu.bhs[3] = vmin;
	memcpy(pdu.bhs + 8, "\x80\x12\x34\x56\x78\x9a", 6);
	nx_put_be16(pdu.bhs + 14, tsih);
	nx_put_be32(pdu.bhs + 16, 0xabcd0001);
	nx_put_be16(pdu.bhs + 20, 3);
	nx_put_be32(pdu.bhs + 24, 100);
	nx_put_be32(pdu.bhs + 28, 500);
	assert_true(n + 1 < sizeof(f->keys));
	memcpy(f->keys, keys, n + 1);
	for (size_t i = 0; i < n; i++)
		if (f->keys[i] == '\n')
			f->keys[i] = '\0';
	pdu.data = (const uint8_t *)f->keys;
	pdu.data_len = n ? (uint32_t)n + 1 : 0;
	nx_put_be24(pdu.bhs + 5, pdu.data_len);
	return nx_iscsi_login_rx(f->l, &pdu);
}

static int login_req(struct fx *f, uint8_t flags, const char *keys)
{
	return login_req_full(f, flags, 0, 0, keys);
}

static const struct sent_pdu *last(const struct fx *f)
{
	assert_true(f->c.nsent > 0);
	return &f->c.sent[f->c.nsent - 1];
}

static uint16_t status_of(const struct sent_pdu *s)
{
	return (uint16_t)(s->bhs[36] << 8 | s->bhs[37]);
}

/* Value of key in a response, or NULL. */
static const char *rkey(const struct sent_pdu *s, const char *key)
{
	size_t klen = strlen(key);

	for (uint32_t p = 0; p < s->len; p += (uint32_t)strlen(s->data + p) + 1)
		if (strncmp(s->data + p, key, klen) == 0 && s->data[p + klen] == '=')
			return s->data + p + klen + 1;
	return NULL;
}

static unsigned nkeys(const struct sent_pdu *s)
{
	unsigned n = 0;

	for (uint32_t p = 0; p < s->len; p += (uint32_t)strlen(s->data + p) + 1)
		n++;
	return n;
}

static void expect_fail(struct fx *f, int rc, uint16_t status)
{
	assert_true(rc < 0);
	assert_int_equal(last(f)->bhs[0], NX_ISCSI_OP_LOGIN_RSP);
	assert_int_equal(status_of(last(f)), status);
	assert_int_equal(last(f)->bhs[1] & F_T, 0);
	assert_int_equal(f->c.completes, 0);
}

#define SEC_KEYS "InitiatorName=" INI "\nInitiatorAlias=host1\nTargetName=" TGT \
		 "\nSessionType=Normal\n"

/* ---- tests ---------------------------------------------------------------- */

static void test_login_none_two_stages(void **state)
{
	struct fx *f = *state;
	const struct sent_pdu *s;
	int rc;

	rc = login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=None\n");
	assert_int_equal(rc, 0);
	s = last(f);
	assert_int_equal(s->bhs[0], 0x23);
	assert_int_equal(s->bhs[1], F_T | STG(0, 1));
	assert_int_equal(s->bhs[2], 0);
	assert_int_equal(s->bhs[3], 0);
	assert_memory_equal(s->bhs + 8, "\x80\x12\x34\x56\x78\x9a", 6);
	assert_int_equal(nx_get_be16(s->bhs + 14), 0);
	assert_int_equal(nx_get_be32(s->bhs + 16), 0xabcd0001);
	assert_int_equal(nx_get_be32(s->bhs + 24), 500); /* StatSN = ExpStatSN */
	assert_int_equal(nx_get_be32(s->bhs + 28), 0x1000);
	assert_int_equal(status_of(s), 0);
	assert_string_equal(rkey(s, "TargetPortalGroupTag"), "1");
	assert_string_equal(rkey(s, "AuthMethod"), "None");
	assert_int_equal(nkeys(s), 2);

	rc = login_req(f, F_T | STG(1, 3),
		       "HeaderDigest=CRC32C,None\nDataDigest=None,CRC32C\n"
		       "MaxBurstLength=16776192\nFirstBurstLength=262144\n"
		       "ImmediateData=Yes\nInitialR2T=No\n"
		       "MaxRecvDataSegmentLength=65536\nIFMarker=No\nOFMarker=No\n"
		       "MaxConnections=1\nErrorRecoveryLevel=0\nDefaultTime2Wait=2\n"
		       "DefaultTime2Retain=0\nMaxOutstandingR2T=1\n"
		       "DataPDUInOrder=Yes\nDataSequenceInOrder=Yes\nX-com.foo=bar\n");
	assert_int_equal(rc, 1);
	s = last(f);
	assert_int_equal(s->bhs[1], F_T | STG(1, 3));
	assert_int_equal(nx_get_be16(s->bhs + 14), 0x77);
	assert_int_equal(nx_get_be32(s->bhs + 24), 501);
	assert_int_equal(status_of(s), 0);
	assert_string_equal(rkey(s, "HeaderDigest"), "CRC32C");
	assert_string_equal(rkey(s, "DataDigest"), "None");
	assert_string_equal(rkey(s, "MaxBurstLength"), "1048576");
	assert_string_equal(rkey(s, "FirstBurstLength"), "262144");
	assert_string_equal(rkey(s, "ImmediateData"), "Yes");
	assert_string_equal(rkey(s, "InitialR2T"), "No");
	assert_string_equal(rkey(s, "IFMarker"), "No");
	assert_string_equal(rkey(s, "OFMarker"), "No");
	assert_string_equal(rkey(s, "MaxConnections"), "1");
	assert_string_equal(rkey(s, "ErrorRecoveryLevel"), "0");
	assert_string_equal(rkey(s, "DefaultTime2Wait"), "2");
	assert_string_equal(rkey(s, "DefaultTime2Retain"), "0");
	assert_string_equal(rkey(s, "MaxOutstandingR2T"), "1");
	assert_string_equal(rkey(s, "DataPDUInOrder"), "Yes");
	assert_string_equal(rkey(s, "DataSequenceInOrder"), "Yes");
	assert_string_equal(rkey(s, "X-com.foo"), "NotUnderstood");
	assert_string_equal(rkey(s, "MaxRecvDataSegmentLength"), "262144");
	assert_null(rkey(s, "TargetPortalGroupTag"));
	/* the final response went out before digests were switched on */
	assert_false(s->hdigest_on);
	assert_true(f->c.params.header_digest);
	assert_false(f->c.params.data_digest);
	assert_int_equal(f->c.params.max_recv_dsl_initiator, 65536);
	assert_int_equal(f->c.params.max_recv_dsl_target, 262144);
	assert_int_equal(f->c.params.max_burst_length, 1048576);
	assert_int_equal(f->c.params.first_burst_length, 262144);
	assert_false(f->c.params.initial_r2t);
	assert_true(f->c.params.immediate_data);
	assert_int_equal(f->c.params.default_time2retain, 0);
	assert_string_equal(f->c.params.initiator_name, INI);
	assert_string_equal(f->c.params.initiator_alias, "host1");
	assert_string_equal(f->c.params.target_name, TGT);
	assert_false(f->c.params.discovery);
	assert_int_equal(f->c.completes, 1);
	assert_int_equal(f->c.cid, 3);
	assert_int_equal(f->c.starts, 1);
	/* the login is over: nothing more is accepted */
	assert_true(login_req(f, F_T | STG(1, 3), "") < 0);
	assert_int_equal(f->c.nsent, 2);
}

/* libiscsi without CHAP: one PDU, CSG=1 NSG=3 with everything */
static void test_login_libiscsi_single_pdu(void **state)
{
	struct fx *f = *state;
	const struct sent_pdu *s;
	int rc;

	rc = login_req(f, F_T | STG(1, 3),
		       "InitiatorName=" INI "\nTargetName=" TGT "\nSessionType=Normal\n"
		       "HeaderDigest=None,CRC32C\nDataDigest=None\nInitialR2T=Yes\n"
		       "ImmediateData=Yes\nMaxBurstLength=262144\nFirstBurstLength=262144\n"
		       "DefaultTime2Wait=2\nDefaultTime2Retain=0\nMaxOutstandingR2T=1\n"
		       "ErrorRecoveryLevel=0\nIFMarker=No\nOFMarker=No\nMaxConnections=1\n"
		       "MaxRecvDataSegmentLength=262144\nDataPDUInOrder=Yes\n"
		       "DataSequenceInOrder=Yes\n");
	assert_int_equal(rc, 1);
	s = last(f);
	assert_int_equal(f->c.nsent, 1);
	assert_int_equal(s->bhs[1], F_T | STG(1, 3));
	assert_int_equal(status_of(s), 0);
	assert_string_equal(rkey(s, "TargetPortalGroupTag"), "1");
	assert_string_equal(rkey(s, "HeaderDigest"), "None");
	assert_string_equal(rkey(s, "InitialR2T"), "Yes");
	assert_string_equal(rkey(s, "MaxRecvDataSegmentLength"), "262144");
	assert_false(f->c.params.header_digest);
}

static void test_login_missing_initiator_name(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 1),
				 "TargetName=" TGT "\nAuthMethod=None\n"), 0x0207);
	/* a failed login accepts nothing more */
	assert_true(login_req(f, F_T | STG(0, 1), SEC_KEYS) < 0);
	assert_int_equal(f->c.nsent, 1);
}

static void test_login_missing_target_name(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 1),
				 "InitiatorName=" INI "\nAuthMethod=None\n"), 0x0207);
}

/* An InitiatorName with a control character or a space (RFC 7143
 * 4.2.7.1): 0200h; it never reaches a log line. */
static void test_login_initiator_name_control_chars(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 1),
				 "InitiatorName=iqn.2024-01.x:a\x1b[2Jb\nTargetName=" TGT "\n"),
		    0x0200);
	teardown(state);
	setup(state);
	f = *state;
	expect_fail(f, login_req(f, F_T | STG(0, 1),
				 "InitiatorName=iqn.2024-01.x:a b\nTargetName=" TGT "\n"),
		    0x0200);
}

static void test_login_target_not_found(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 1),
				 "InitiatorName=" INI "\nTargetName=iqn.2024-01.org.nexus:nope\n"
				 "AuthMethod=None\n"), 0x0203);
}

/* A connection over its portal's cap (conn.c) is refused 0302h "out of
 * resources" at its first Login Request (RFC 7143 11.13.5), asked once;
 * the failure is counted. */
static void test_login_refused_by_cap(void **state)
{
	struct fx *f = *state;

	f->c.refusal = 0x0302;
	expect_fail(f, login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=None\n"),
		    0x0302);
	assert_int_equal(f->c.refusal_checks, 1);
	assert_int_equal(f->c.failures, 1);
}

static void test_login_acl(void **state)
{
	struct fx *f = *state;

	f->c.cfg.targets[0].acl[0] = "iqn.1994-05.com.redhat:other";
	f->c.cfg.targets[0].acl_count = 1;
	expect_fail(f, login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=None\n"), 0x0202);
}

static void test_login_acl_allows_case_insensitive(void **state)
{
	struct fx *f = *state;

	f->c.cfg.targets[0].acl[0] = "iqn.1994-05.com.redhat:other";
	f->c.cfg.targets[0].acl[1] = "IQN.1994-05.com.RedHat:host1";
	f->c.cfg.targets[0].acl_count = 2;
	assert_int_equal(login_req(f, F_T | STG(0, 3), SEC_KEYS "AuthMethod=None\n"), 1);
	/* SecNeg straight to FFP: we still declare our receive limit */
	assert_string_equal(rkey(last(f), "MaxRecvDataSegmentLength"), "262144");
	assert_int_equal(last(f)->bhs[1], F_T | STG(0, 3));
}

static void test_login_unsupported_version(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req_full(f, F_T | STG(0, 1), 0, 1,
				      SEC_KEYS "AuthMethod=None\n"), 0x0205);
	assert_int_equal(last(f)->bhs[2], 0);
	assert_int_equal(last(f)->bhs[3], 0);
}

static void test_login_bad_session_type(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 1),
				 "InitiatorName=" INI "\nSessionType=Bogus\n"), 0x0209);
}

static void test_login_discovery(void **state)
{
	struct fx *f = *state;
	const struct sent_pdu *s;

	assert_int_equal(login_req(f, F_T | STG(1, 3),
				   "InitiatorName=" INI "\nSessionType=Discovery\n"
				   "MaxBurstLength=262144\nInitialR2T=Yes\n"
				   "ErrorRecoveryLevel=0\nHeaderDigest=None\n"), 1);
	s = last(f);
	assert_int_equal(status_of(s), 0);
	/* RFC 7143 §13: session keys of data transfer are irrelevant */
	assert_string_equal(rkey(s, "MaxBurstLength"), "Irrelevant");
	assert_string_equal(rkey(s, "InitialR2T"), "Irrelevant");
	assert_string_equal(rkey(s, "ErrorRecoveryLevel"), "0");
	assert_null(rkey(s, "TargetPortalGroupTag"));
	assert_true(f->c.params.discovery);
	assert_int_equal(f->c.params.max_burst_length, 262144);
}

static void test_login_chap_required_skip_secneg(void **state)
{
	struct fx *f = *state;

	set_chap(f, false);
	expect_fail(f, login_req(f, F_T | STG(1, 3), SEC_KEYS), 0x0201);
}

static void test_login_chap_required_none_offered(void **state)
{
	struct fx *f = *state;

	set_chap(f, false);
	expect_fail(f, login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=None\n"),
		    0x0201);
	assert_string_equal(rkey(last(f), "AuthMethod"), "Reject");
}

static void test_login_chap_required_no_authmethod(void **state)
{
	struct fx *f = *state;

	set_chap(f, false);
	expect_fail(f, login_req(f, F_T | STG(0, 1), SEC_KEYS), 0x0201);
}

static void test_login_no_chap_configured_chap_only(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP\n"),
		    0x0201);
}

/* Runs AuthMethod and CHAP_A; returns CHAP_I and the challenge. */
static uint8_t chap_start(struct fx *f, const char *alg, uint8_t chal[16])
{
	const struct sent_pdu *s;
	char keys[64];
	uint64_t id;
	size_t len;

	/* libiscsi: T=1 on the AuthMethod offer; we stay (T=0) */
	assert_int_equal(login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP,None\n"), 0);
	s = last(f);
	assert_int_equal(s->bhs[1], STG(0, 0));
	assert_string_equal(rkey(s, "AuthMethod"), "CHAP");
	snprintf(keys, sizeof(keys), "CHAP_A=%s\n", alg);
	assert_int_equal(login_req(f, STG(0, 1), keys), 0);
	s = last(f);
	assert_int_equal(s->bhs[1], STG(0, 0));
	assert_int_equal(status_of(s), 0);
	assert_string_equal(rkey(s, "CHAP_A"), "5");
	assert_true(nx_iscsi_parse_u64(rkey(s, "CHAP_I"), &id));
	assert_true(id <= 255);
	assert_true(nx_iscsi_decode_binary(rkey(s, "CHAP_C"), chal, 16, &len));
	assert_int_equal(len, 16);
	return (uint8_t)id;
}

static void hexstr(const uint8_t *b, size_t n, char *out)
{
	strcpy(out, "0x");
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 + 2 * i, "%02X", b[i]);
}

static void test_login_chap_full(void **state)
{
	struct fx *f = *state;
	uint8_t chal[16], r[16];
	char keys[256], rs[40];
	uint8_t id;

	set_chap(f, false);
	id = chap_start(f, "5", chal);
	nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
	hexstr(r, 16, rs);
	snprintf(keys, sizeof(keys), "CHAP_N=alice\nCHAP_R=%s\n", rs);
	assert_int_equal(login_req(f, F_T | STG(0, 1), keys), 0);
	assert_int_equal(last(f)->bhs[1], F_T | STG(0, 1));
	assert_int_equal(status_of(last(f)), 0);
	assert_int_equal(nkeys(last(f)), 0);
	assert_int_equal(f->c.auth_ok, 1);
	assert_int_equal(f->c.auth_fail, 0);
	assert_int_equal(login_req(f, F_T | STG(1, 3), "MaxRecvDataSegmentLength=8192\n"), 1);
	assert_int_equal(last(f)->bhs[1], F_T | STG(1, 3));
	assert_string_equal(rkey(last(f), "MaxRecvDataSegmentLength"), "262144");
	/* StatSN advanced once per response: 500..503 */
	assert_int_equal(nx_get_be32(last(f)->bhs + 24), 503);
}

static void test_login_chap_wrong_response(void **state)
{
	struct fx *f = *state;
	uint8_t chal[16], r[16];
	char keys[256], rs[40];
	uint8_t id;

	set_chap(f, false);
	id = chap_start(f, "5", chal);
	nx_chap_md5_response(id, "wrongsecret!", chal, 16, r);
	hexstr(r, 16, rs);
	snprintf(keys, sizeof(keys), "CHAP_N=alice\nCHAP_R=%s\n", rs);
	expect_fail(f, login_req(f, F_T | STG(0, 1), keys), 0x0201);
	/* counted towards the brute-force lockout */
	assert_int_equal(f->c.auth_fail, 1);
	assert_int_equal(f->c.auth_ok, 0);
}

/* A locked-out initiator gets 0201h before any challenge is issued (so
 * a guess cannot even be checked), and the refusal is not counted. */
static void test_login_chap_locked_out(void **state)
{
	struct fx *f = *state;

	set_chap(f, false);
	f->c.auth_blocked = true;
	expect_fail(f, login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP,None\n"),
		    0x0201);
	assert_null(rkey(last(f), "CHAP_C"));
	assert_null(rkey(last(f), "AuthMethod"));
	assert_int_equal(f->c.auth_checks, 1);
	assert_int_equal(f->c.auth_fail, 0);
}

/* No CHAP on the target: nothing to guess, no lockout applies. */
static void test_login_lockout_needs_chap(void **state)
{
	struct fx *f = *state;

	f->c.auth_blocked = true;
	assert_int_equal(login_req(f, F_T | STG(0, 3), SEC_KEYS "AuthMethod=None\n"), 1);
	assert_int_equal(status_of(last(f)), 0);
	assert_int_equal(f->c.auth_checks, 0);
}

/* The answer to the CHAP challenge in the last Login Response (CHAP_I,
 * CHAP_C; its length checked when expect_len != 0) as keys
 * "CHAP_N=name\nCHAP_R=...\n" (RFC 7143 12.1.3). */
static void chap_answer(struct fx *f, uint8_t alg, const char *name,
			const char *secret, size_t expect_len, char *keys,
			size_t cap)
{
	const struct sent_pdu *s = last(f);
	uint8_t chal[64], r[32];
	char rs[80];
	uint64_t id;
	size_t len;

	assert_true(nx_iscsi_parse_u64(rkey(s, "CHAP_I"), &id));
	assert_true(nx_iscsi_decode_binary(rkey(s, "CHAP_C"), chal, sizeof(chal), &len));
	if (expect_len != 0)
		assert_int_equal(len, expect_len);
	nx_chap_response(alg, (uint8_t)id, secret, chal, 32, r);
	hexstr(r, 32, rs);
	snprintf(keys, cap, "CHAP_N=%s\nCHAP_R=%s\n", name, rs);
}

/* Offering SHA-256 (and MD5 first) gets SHA-256: a 32-byte challenge and
 * a 32-byte response (RFC 7143 12.1.3, CHAP_A=7). */
static void test_login_chap_sha256(void **state)
{
	struct fx *f = *state;
	char keys[256];

	set_chap(f, false);
	assert_int_equal(login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP\n"), 0);
	assert_int_equal(login_req(f, STG(0, 1), "CHAP_A=5,7\n"), 0);
	assert_string_equal(rkey(last(f), "CHAP_A"), "7");
	chap_answer(f, 7, "alice", "alicesecret12", 32, keys, sizeof(keys));
	assert_int_equal(login_req(f, F_T | STG(0, 3), keys), 1);
	assert_int_equal(status_of(last(f)), 0);
	assert_int_equal(f->c.auth_ok, 1);
}

/* The server may refuse MD5 altogether. */
static void test_login_chap_md5_not_allowed(void **state)
{
	struct fx *f = *state;

	set_chap(f, false);
	f->c.cfg.chap_algs[0] = NX_ISCSI_CHAP_SHA3_256;
	f->c.cfg.chap_alg_count = 1;
	assert_int_equal(login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP\n"), 0);
	expect_fail(f, login_req(f, STG(0, 1), "CHAP_A=5\n"), 0x0201);
	assert_string_equal(rkey(last(f), "CHAP_A"), "Reject");
}

static void set_discovery_chap(struct fx *f)
{
	strcpy(f->c.cfg.discovery_chap.user, "disco");
	strcpy(f->c.cfg.discovery_chap.secret, "discoverysecret");
	f->c.cfg.discovery_chap.set = true;
}

#define DISC_KEYS "InitiatorName=" INI "\nSessionType=Discovery\n"

/* Discovery authentication: without CHAP a discovery login fails 0201h
 * (by skipping security negotiation too). */
static void test_login_discovery_chap_required(void **state)
{
	struct fx *f = *state;

	set_discovery_chap(f);
	expect_fail(f, login_req(f, F_T | STG(0, 1), DISC_KEYS "AuthMethod=None\n"),
		    0x0201);
	teardown(state);
	setup(state);
	f = *state;
	set_discovery_chap(f);
	expect_fail(f, login_req(f, F_T | STG(1, 3), DISC_KEYS), 0x0201);
}

static void test_login_discovery_chap_ok(void **state)
{
	struct fx *f = *state;
	char keys[256];

	set_discovery_chap(f);
	/* a target's CHAP credentials are not the discovery ones */
	set_chap(f, false);
	assert_int_equal(login_req(f, F_T | STG(0, 1), DISC_KEYS "AuthMethod=CHAP\n"), 0);
	assert_int_equal(login_req(f, STG(0, 1), "CHAP_A=8\n"), 0);
	chap_answer(f, 8, "disco", "discoverysecret", 32, keys, sizeof(keys));
	assert_int_equal(login_req(f, F_T | STG(0, 3), keys), 1);
	assert_int_equal(status_of(last(f)), 0);
	assert_true(f->c.params.discovery);
}

static void test_login_discovery_chap_target_secret_refused(void **state)
{
	struct fx *f = *state;
	char keys[256];

	set_discovery_chap(f);
	set_chap(f, false);
	assert_int_equal(login_req(f, F_T | STG(0, 1), DISC_KEYS "AuthMethod=CHAP\n"), 0);
	assert_int_equal(login_req(f, STG(0, 1), "CHAP_A=7\n"), 0);
	chap_answer(f, 7, "alice", "alicesecret12", 0, keys, sizeof(keys));
	expect_fail(f, login_req(f, F_T | STG(0, 3), keys), 0x0201);
}

static void test_login_chap_bad_algorithm(void **state)
{
	struct fx *f = *state;

	set_chap(f, false);
	assert_int_equal(login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP,None\n"), 0);
	expect_fail(f, login_req(f, STG(0, 1), "CHAP_A=56\n"), 0x0201);
	assert_string_equal(rkey(last(f), "CHAP_A"), "Reject");
}

static void test_login_chap_empty_algorithm(void **state)
{
	struct fx *f = *state;

	set_chap(f, false);
	assert_int_equal(login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP,None\n"), 0);
	expect_fail(f, login_req(f, STG(0, 1), "CHAP_A=\n"), 0x0201);
}

static void test_login_chap_mutual(void **state)
{
	struct fx *f = *state;
	uint8_t chal[16], r[16], ic[32], want[16];
	char keys[512], rs[40], cs[80], ws[40];
	uint8_t id;

	set_chap(f, true);
	id = chap_start(f, "5", chal);
	nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
	hexstr(r, 16, rs);
	for (int i = 0; i < 32; i++)
		ic[i] = (uint8_t)(0xa0 + i);
	hexstr(ic, 32, cs);
	snprintf(keys, sizeof(keys), "CHAP_N=alice\nCHAP_R=%s\nCHAP_I=9\nCHAP_C=%s\n", rs, cs);
	assert_int_equal(login_req(f, F_T | STG(0, 1), keys), 0);
	assert_int_equal(last(f)->bhs[1], F_T | STG(0, 1));
	assert_string_equal(rkey(last(f), "CHAP_N"), "tgtuser");
	nx_chap_md5_response(9, "targetsecret9", ic, 32, want);
	hexstr(want, 16, ws);
	assert_int_equal(strcasecmp(rkey(last(f), "CHAP_R"), ws), 0);
}

static void test_login_chap_reflected_challenge(void **state)
{
	struct fx *f = *state;
	uint8_t chal[16], r[16];
	char keys[512], rs[40], cs[40];
	uint8_t id;

	set_chap(f, true);
	id = chap_start(f, "5", chal);
	nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
	hexstr(r, 16, rs);
	hexstr(chal, 16, cs);
	snprintf(keys, sizeof(keys), "CHAP_N=alice\nCHAP_R=%s\nCHAP_I=%u\nCHAP_C=%s\n",
		 rs, id, cs);
	expect_fail(f, login_req(f, F_T | STG(0, 1), keys), 0x0201);
	assert_null(rkey(last(f), "CHAP_R"));
}

static void test_login_continuation(void **state)
{
	struct fx *f = *state;
	/* a key=value pair split across PDUs (RFC 7143 6.4) */
	static const char part1[] = "InitiatorName=iqn.1994-05.com";
	static const char part2[] = ".redhat:host1\0TargetName=" TGT "\0AuthMethod=None";
	const struct sent_pdu *s;
	struct nx_iscsi_pdu p;

	memset(&p, 0, sizeof(p));
	p.bhs[0] = 0x43;
	p.bhs[1] = F_C | STG(0, 1);
	memcpy(p.bhs + 8, "\x80\x12\x34\x56\x78\x9a", 6);
	nx_put_be16(p.bhs + 20, 3); /* same ISID and CID as login_req() */
	p.data = (const uint8_t *)part1;
	p.data_len = sizeof(part1) - 1;
	assert_int_equal(nx_iscsi_login_rx(f->l, &p), 0);
	s = last(f);
	assert_int_equal(s->bhs[1], STG(0, 0)); /* empty answer, no T */
	assert_int_equal(s->len, 0);
	assert_int_equal(status_of(s), 0);
	p.bhs[1] = F_T | STG(0, 1);
	p.data = (const uint8_t *)part2;
	p.data_len = sizeof(part2);
	assert_int_equal(nx_iscsi_login_rx(f->l, &p), 0);
	s = last(f);
	assert_int_equal(s->bhs[1], F_T | STG(0, 1));
	assert_string_equal(rkey(s, "AuthMethod"), "None");
	assert_string_equal(rkey(s, "TargetPortalGroupTag"), "1");
	assert_string_equal(f->c.params.initiator_name, "");
	assert_int_equal(login_req(f, F_T | STG(1, 3), ""), 1);
	assert_string_equal(f->c.params.initiator_name, INI);
}

static void test_login_bad_flags(void **state)
{
	struct fx *f = *state;

	/* T and C together */
	expect_fail(f, login_req(f, F_T | F_C | STG(0, 1), SEC_KEYS), 0x0200);
}

static void test_login_backward_transition(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(1, 1), SEC_KEYS), 0x0200);
}

static void test_login_reserved_nsg(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 2), SEC_KEYS), 0x0200);
}

static void test_login_reserved_csg(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(2, 3), SEC_KEYS), 0x0200);
}

static void test_login_stage_mismatch(void **state)
{
	struct fx *f = *state;

	assert_int_equal(login_req(f, STG(0, 0), SEC_KEYS "AuthMethod=None\n"), 0);
	/* still in SecurityNegotiation: CSG=1 is wrong */
	expect_fail(f, login_req(f, F_T | STG(1, 3), ""), 0x0200);
}

static void test_login_isid_change(void **state)
{
	struct fx *f = *state;

	assert_int_equal(login_req(f, STG(0, 0), SEC_KEYS "AuthMethod=None\n"), 0);
	expect_fail(f, login_req_full(f, F_T | STG(0, 1), 5, 0, ""), 0x0200);
}

static void test_login_duplicate_key(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(1, 3),
				 SEC_KEYS "MaxBurstLength=65536\nMaxBurstLength=65536\n"),
		    0x0200);
}

static void test_login_duplicate_across_pdus(void **state)
{
	struct fx *f = *state;

	assert_int_equal(login_req(f, STG(1, 0), SEC_KEYS "MaxBurstLength=65536\n"), 0);
	expect_fail(f, login_req(f, F_T | STG(1, 3), "MaxBurstLength=65536\n"), 0x0200);
}

static void test_login_identity_redeclared(void **state)
{
	struct fx *f = *state;

	/* libiscsi re-sends its names after AuthMethod=None: harmless */
	assert_int_equal(login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=CHAP,None\n"), 0);
	assert_string_equal(rkey(last(f), "AuthMethod"), "None");
	assert_int_equal(login_req(f, F_T | STG(1, 3), SEC_KEYS "MaxConnections=1\n"), 1);
}

static void test_login_identity_changed(void **state)
{
	struct fx *f = *state;

	assert_int_equal(login_req(f, F_T | STG(0, 1), SEC_KEYS "AuthMethod=None\n"), 0);
	expect_fail(f, login_req(f, F_T | STG(1, 3), "InitiatorName=iqn.2000-01.com.evil:x\n"),
		    0x0200);
}

static void test_login_malformed_text(void **state)
{
	static const char *bad[] = {
		"InitiatorName",                        /* no '=' */
		"=value",                               /* empty key */
		"Key With Space=1",                     /* bad key character */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx *f;
		char keys[256];

		setup((void **)&f);
		snprintf(keys, sizeof(keys), SEC_KEYS "%s\n", bad[i]);
		expect_fail(f, login_req(f, F_T | STG(0, 1), keys), 0x0200);
		teardown((void **)&f);
	}
	(void)state;
}

static void test_login_missing_final_nul(void **state)
{
	struct fx *f = *state;
	static const char txt[] = "InitiatorName=" INI;
	struct nx_iscsi_pdu p;

	memset(&p, 0, sizeof(p));
	p.bhs[0] = 0x43;
	p.bhs[1] = F_T | STG(0, 1);
	p.data = (const uint8_t *)txt;
	p.data_len = sizeof(txt) - 1;
	expect_fail(f, nx_iscsi_login_rx(f->l, &p), 0x0200);
}

static void test_login_out_of_range_value(void **state)
{
	struct fx *f = *state;
	const struct sent_pdu *s;

	assert_int_equal(login_req(f, F_T | STG(1, 3),
				   SEC_KEYS "MaxBurstLength=100\nDefaultTime2Wait=3601\n"
				   "ImmediateData=Maybe\nHeaderDigest=MD5\n"
				   "MaxConnections=0x2\nOFMarkInt=2048\n"
				   "RDMAExtensions=Yes\nTargetRecvDataSegmentLength=8192\n"
				   "TaskReporting=FastAbort,RFC3720\niSCSIProtocolLevel=2\n"), 1);
	s = last(f);
	assert_string_equal(rkey(s, "MaxBurstLength"), "Reject");
	assert_string_equal(rkey(s, "DefaultTime2Wait"), "Reject");
	assert_string_equal(rkey(s, "ImmediateData"), "Reject");
	assert_string_equal(rkey(s, "HeaderDigest"), "Reject");
	assert_string_equal(rkey(s, "MaxConnections"), "2");
	assert_string_equal(rkey(s, "OFMarkInt"), "Reject");
	assert_string_equal(rkey(s, "RDMAExtensions"), "No");
	assert_string_equal(rkey(s, "TargetRecvDataSegmentLength"), "Irrelevant");
	assert_string_equal(rkey(s, "TaskReporting"), "RFC3720");
	assert_string_equal(rkey(s, "iSCSIProtocolLevel"), "1");
	assert_int_equal(f->c.params.max_burst_length, 262144);
	assert_int_equal(f->c.params.max_connections, 2);
}

/* RFC 7145 6.1-6.5 on an iSER connection: RDMAExtensions=Yes, the iSER
 * data segment keys numerical-min against ours, digests only None. */
static void test_login_iser_keys(void **state)
{
	struct fx *f = *state;
	const struct sent_pdu *s;

	f->c.rdma = true;
	nx_iscsi_login_free(f->l);
	f->l = nx_iscsi_login_new(&f->c);
	assert_int_equal(login_req(f, F_T | STG(1, 3),
				   SEC_KEYS "RDMAExtensions=Yes\n"
				   "TargetRecvDataSegmentLength=4096\n"
				   "InitiatorRecvDataSegmentLength=262144\n"
				   "HeaderDigest=CRC32C,None\nDataDigest=CRC32C\n"), 1);
	s = last(f);
	assert_int_equal(status_of(s), 0);
	assert_string_equal(rkey(s, "RDMAExtensions"), "Yes");
	assert_string_equal(rkey(s, "TargetRecvDataSegmentLength"), "4096");
	assert_string_equal(rkey(s, "InitiatorRecvDataSegmentLength"), "8192");
	assert_string_equal(rkey(s, "HeaderDigest"), "None");
	assert_string_equal(rkey(s, "DataDigest"), "Reject");
	assert_true(f->c.params.rdma_extensions);
	assert_int_equal(f->c.params.target_recv_dsl, 4096);
	assert_int_equal(f->c.params.initiator_recv_dsl, 8192);
	assert_false(f->c.params.header_digest);
}

/* RFC 7145 5.1: an RDMA connection without RDMAExtensions=Yes fails. */
static void test_login_iser_without_rdma_extensions(void **state)
{
	struct fx *f = *state;

	f->c.rdma = true;
	nx_iscsi_login_free(f->l);
	f->l = nx_iscsi_login_new(&f->c);
	expect_fail(f, login_req(f, F_T | STG(1, 3),
				 SEC_KEYS "RDMAExtensions=No\n"), 0x0200);
}

static void test_login_target_only_key(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(0, 1),
				 SEC_KEYS "TargetPortalGroupTag=1\n"), 0x0200);
}

static void test_login_security_key_in_opneg(void **state)
{
	struct fx *f = *state;

	expect_fail(f, login_req(f, F_T | STG(1, 3), SEC_KEYS "AuthMethod=None\n"),
		    0x0200);
}

static void test_login_sendtargets_in_login(void **state)
{
	struct fx *f = *state;

	assert_int_equal(login_req(f, F_T | STG(1, 3), SEC_KEYS "SendTargets=All\n"), 1);
	assert_string_equal(rkey(last(f), "SendTargets"), "Reject");
}

static void test_login_complete_refused(void **state)
{
	struct fx *f = *state;

	f->c.complete_status = 0x020a; /* session does not exist */
	assert_true(login_req_full(f, F_T | STG(1, 3), 9, 0, SEC_KEYS) < 0);
	assert_int_equal(status_of(last(f)), 0x020a);
	assert_int_equal(nx_get_be16(last(f)->bhs + 14), 9);
	assert_int_equal(f->c.completes, 1);
	assert_int_equal(f->c.tsih_in, 9);
}

static void test_login_non_leading(void **state)
{
	struct fx *f = *state;
	const struct sent_pdu *s;

	assert_int_equal(login_req_full(f, F_T | STG(1, 3), 0x77, 0,
					SEC_KEYS "MaxBurstLength=65536\nHeaderDigest=CRC32C\n"), 1);
	s = last(f);
	assert_string_equal(rkey(s, "MaxBurstLength"), "Irrelevant");
	assert_string_equal(rkey(s, "HeaderDigest"), "CRC32C");
	assert_int_equal(nx_get_be16(s->bhs + 14), 0x77);
	assert_int_equal(f->c.tsih_in, 0x77);
}

static void test_login_not_a_login_pdu(void **state)
{
	struct fx *f = *state;
	struct nx_iscsi_pdu p;

	memset(&p, 0, sizeof(p));
	p.bhs[0] = NX_ISCSI_OP_SCSI_CMD;
	expect_fail(f, nx_iscsi_login_rx(f->l, &p), 0x020b);
}

static void test_login_too_much_text(void **state)
{
	struct fx *f = *state;
	static char big[8192];
	struct nx_iscsi_pdu p;
	int rc = 0;

	memset(big, 'a', sizeof(big));
	memset(&p, 0, sizeof(p));
	p.bhs[0] = 0x43;
	p.bhs[1] = F_C | STG(0, 1);
	p.data = (const uint8_t *)big;
	p.data_len = sizeof(big);
	for (int i = 0; i < 16 && rc == 0; i++)
		rc = nx_iscsi_login_rx(f->l, &p);
	expect_fail(f, rc, 0x0302);
}

static void test_login_too_many_keys(void **state)
{
	struct fx *f = *state;
	static char keys[4000];
	size_t n = 0;

	n += (size_t)sprintf(keys, SEC_KEYS);
	for (int i = 0; i < NX_ISCSI_KEYS_MAX; i++)
		n += (size_t)sprintf(keys + n, "X-k%d=1\n", i);
	expect_fail(f, login_req(f, F_T | STG(0, 1), keys), 0x0200);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_login_none_two_stages),
		T(test_login_libiscsi_single_pdu),
		T(test_login_missing_initiator_name),
		T(test_login_missing_target_name),
		T(test_login_target_not_found),
		T(test_login_refused_by_cap),
		T(test_login_acl),
		T(test_login_acl_allows_case_insensitive),
		T(test_login_unsupported_version),
		T(test_login_bad_session_type),
		T(test_login_discovery),
		T(test_login_chap_required_skip_secneg),
		T(test_login_chap_required_none_offered),
		T(test_login_chap_required_no_authmethod),
		T(test_login_no_chap_configured_chap_only),
		T(test_login_chap_full),
		T(test_login_chap_wrong_response),
		T(test_login_chap_locked_out),
		T(test_login_initiator_name_control_chars),
		T(test_login_lockout_needs_chap),
		T(test_login_chap_sha256),
		T(test_login_chap_md5_not_allowed),
		T(test_login_discovery_chap_required),
		T(test_login_discovery_chap_ok),
		T(test_login_discovery_chap_target_secret_refused),
		T(test_login_chap_bad_algorithm),
		T(test_login_chap_empty_algorithm),
		T(test_login_chap_mutual),
		T(test_login_chap_reflected_challenge),
		T(test_login_continuation),
		T(test_login_bad_flags),
		T(test_login_backward_transition),
		T(test_login_reserved_nsg),
		T(test_login_reserved_csg),
		T(test_login_stage_mismatch),
		T(test_login_isid_change),
		T(test_login_duplicate_key),
		T(test_login_duplicate_across_pdus),
		T(test_login_identity_redeclared),
		T(test_login_identity_changed),
		T(test_login_malformed_text),
		T(test_login_missing_final_nul),
		T(test_login_iser_keys),
		T(test_login_iser_without_rdma_extensions),
		T(test_login_out_of_range_value),
		T(test_login_target_only_key),
		T(test_login_security_key_in_opneg),
		T(test_login_sendtargets_in_login),
		T(test_login_complete_refused),
		T(test_login_non_leading),
		T(test_login_not_a_login_pdu),
		T(test_login_too_much_text),
		T(test_login_too_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
