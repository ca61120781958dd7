/*
 * text_test.c - Text Requests in full feature phase (RFC 7143 11.10,
 * 11.11, Appendix C): SendTargets in discovery and normal sessions,
 * invalid keys/values as iscsi-test-cu sends them, multi-PDU answers with
 * the C bit and continuation TTTs, FFP key negotiation, Rejects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iscsi/nego_internal.h"

#define SENT_MAX 64
#define DATA_MAX 16384

struct sent_pdu {
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	char data[DATA_MAX];
	uint32_t len;
};

struct nx_iscsi_conn {
	struct nx_iscsi_params params;
	struct nx_iscsi_server_config cfg;
	uint32_t statsn;
	struct sent_pdu sent[SENT_MAX];
	unsigned nsent;
};

void nx_iscsi_conn_send_pdu(struct nx_iscsi_conn *c, uint8_t *bhs,
			    const void *data, uint32_t data_len)
{
	struct sent_pdu *s;

	assert_true(c->nsent < SENT_MAX);
	assert_true(data_len <= DATA_MAX);
	s = &c->sent[c->nsent++];
	nx_put_be24(bhs + 5, data_len);
	memcpy(s->bhs, bhs, NX_ISCSI_BHS_LEN);
	if (data_len)
		memcpy(s->data, data, data_len);
	s->len = data_len;
}

struct nx_iscsi_params *nx_iscsi_conn_params(struct nx_iscsi_conn *c) { return &c->params; }
const struct nx_iscsi_server_config *
nx_iscsi_conn_server_config(const struct nx_iscsi_conn *c) { return &c->cfg; }
uint16_t nx_iscsi_conn_tpgt(const struct nx_iscsi_conn *c) { return c->cfg.tpgt; }
uint32_t nx_iscsi_conn_next_statsn(struct nx_iscsi_conn *c) { return c->statsn++; }

void nx_iscsi_conn_fill_sn(struct nx_iscsi_conn *c, uint8_t *bhs)
{
	nx_put_be32(bhs + 28, 0x2000);
	nx_put_be32(bhs + 32, 0x2040);
}

uint16_t nx_iscsi_conn_login_complete(struct nx_iscsi_conn *c, const uint8_t isid[6],
				      uint16_t tsih_in, uint16_t cid, uint16_t *tsih_out)
{
	fail();
	return 0;
}

void nx_iscsi_conn_login_start(struct nx_iscsi_conn *c, uint32_t exp_statsn) { fail(); }
void nx_iscsi_conn_drop(struct nx_iscsi_conn *c, const char *why) { fail(); }
bool nx_iscsi_conn_is_rdma(const struct nx_iscsi_conn *c) { return false; }
bool nx_iscsi_conn_auth_blocked(struct nx_iscsi_conn *c, const char *i)
{
	fail();
	return true;
}
void nx_iscsi_conn_auth_result(struct nx_iscsi_conn *c, const char *i, bool ok) { fail(); }
uint16_t nx_iscsi_conn_login_refusal(struct nx_iscsi_conn *c) { fail(); return 0; }
void nx_iscsi_conn_login_failed(struct nx_iscsi_conn *c, uint16_t status) { fail(); }
bool nx_iscsi_conn_log_ok(struct nx_iscsi_conn *c, enum nx_iscsi_log_kind kind,
			  enum nx_log_level level)
{
	return true;
}

#define T1 "iqn.2024-01.org.nexus:disk1"
#define T2 "iqn.2024-01.org.nexus:disk2"
#define T3 "iqn.2024-01.org.nexus:secret"
#define INI "iqn.1994-05.com.redhat:host1"

struct fx {
	struct nx_iscsi_conn c;
	struct nx_target *t[3];
	char keys[4096];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static const char *names[3] = { T1, T2, T3 };

	nx_iscsi_params_default(&f->c.params);
	strcpy(f->c.params.initiator_name, INI);
	f->c.params.discovery = true;
	for (int i = 0; i < 3; i++) {
		f->t[i] = nx_target_new(names[i]);
		f->c.cfg.targets[i].target = f->t[i];
	}
	/* T3 is for someone else */
	f->c.cfg.targets[2].acl[0] = "iqn.2000-01.com.other:x";
	f->c.cfg.targets[2].acl_count = 1;
	f->c.cfg.target_count = 3;
	f->c.cfg.portals[0] = "192.0.2.1:3260";
	f->c.cfg.portals[1] = "[2001:db8::1]:3260";
	f->c.cfg.portal_count = 2;
	f->c.cfg.tpgt = 1;
	f->c.statsn = 40;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 3; i++)
		nx_target_free(f->t[i]);
	free(f);
	return 0;
}

static void text_req(struct fx *f, uint8_t flags, uint32_t ttt, const char *keys)
{
	struct nx_iscsi_pdu pdu;
	size_t n = strlen(keys);

	memset(&pdu, 0, sizeof(pdu));
	pdu.bhs[0] = 0x40 | NX_ISCSI_OP_TEXT_REQ;
	pdu.bhs[1] = flags;
	nx_put_be32(pdu.bhs + 16, 0x11223344);
	nx_put_be32(pdu.bhs + 20, ttt);
	memcpy(f->keys, keys, n + 1);
	for (size_t i = 0; i < n; i++)
		if (f->keys[i] == '\n')
			f->keys[i] = '\0';
	pdu.data = (const uint8_t *)f->keys;
	pdu.data_len = n ? (uint32_t)n + 1 : 0;
	nx_iscsi_text_rx(&f->c, &pdu);
}

static const struct sent_pdu *last(const struct fx *f)
{
	assert_true(f->c.nsent > 0);
	return &f->c.sent[f->c.nsent - 1];
}

/* The response's data with NULs shown as '|'. */
static const char *flat(const struct sent_pdu *s)
{
	static char buf[DATA_MAX + 1];

	for (uint32_t i = 0; i < s->len; i++)
		buf[i] = s->data[i] ? s->data[i] : '|';
	buf[s->len] = '\0';
	return buf;
}

static void expect_final(const struct sent_pdu *s)
{
	assert_int_equal(s->bhs[0], NX_ISCSI_OP_TEXT_RSP);
	assert_int_equal(s->bhs[1], 0x80);
	assert_int_equal(nx_get_be32(s->bhs + 16), 0x11223344);
	assert_int_equal(nx_get_be32(s->bhs + 20), 0xffffffff);
	assert_int_equal(nx_get_be32(s->bhs + 28), 0x2000);
}

#define ADDR "TargetAddress=192.0.2.1:3260,1|TargetAddress=[2001:db8::1]:3260,1|"

static void test_text_sendtargets_all_discovery(void **state)
{
	struct fx *f = *state;

	text_req(f, 0x80, 0xffffffff, "SendTargets=All");
	expect_final(last(f));
	assert_int_equal(nx_get_be32(last(f)->bhs + 24), 40);
	/* T3's ACL does not admit us (Appendix C) */
	assert_string_equal(flat(last(f)),
			    "TargetName=" T1 "|" ADDR "TargetName=" T2 "|" ADDR);
}

static void test_text_sendtargets_all_normal(void **state)
{
	struct fx *f = *state;

	f->c.params.discovery = false;
	strcpy(f->c.params.target_name, T2);
	text_req(f, 0x80, 0xffffffff, "SendTargets=All");
	expect_final(last(f));
	assert_string_equal(flat(last(f)), "TargetName=" T2 "|" ADDR);
	/* empty value: this session's target */
	text_req(f, 0x80, 0xffffffff, "SendTargets=");
	assert_string_equal(flat(last(f)), "TargetName=" T2 "|" ADDR);
	/* another target's name: nothing in a normal session */
	text_req(f, 0x80, 0xffffffff, "SendTargets=" T1);
	expect_final(last(f));
	assert_int_equal(last(f)->len, 0);
}

static void test_text_sendtargets_named(void **state)
{
	struct fx *f = *state;

	text_req(f, 0x80, 0xffffffff, "SendTargets=" T2);
	assert_string_equal(flat(last(f)), "TargetName=" T2 "|" ADDR);
	text_req(f, 0x80, 0xffffffff, "SendTargets=" T3); /* ACL */
	assert_int_equal(last(f)->len, 0);
	text_req(f, 0x80, 0xffffffff, "SendTargets=iqn.2024-01.org.nexus:none");
	expect_final(last(f));
	assert_int_equal(last(f)->len, 0);
}

/* test_iscsi_sendtargets_invalid: each must not look like a target list */
static void test_text_sendtargets_invalid(void **state)
{
	struct fx *f = *state;

	text_req(f, 0x80, 0xffffffff, "SendTargetsPlease=All");
	expect_final(last(f));
	assert_string_equal(flat(last(f)), "SendTargetsPlease=NotUnderstood|");
	text_req(f, 0x80, 0xffffffff, "SendTargets=Alle");
	assert_string_equal(flat(last(f)), "SendTargets=Reject|");
	text_req(f, 0x80, 0xffffffff, "SendTargets=A");
	assert_string_equal(flat(last(f)), "SendTargets=Reject|");
	text_req(f, 0x80, 0xffffffff, "sENDtARGETS=aLL");
	assert_string_equal(flat(last(f)), "sENDtARGETS=NotUnderstood|");
	/* empty value in a discovery session */
	text_req(f, 0x80, 0xffffffff, "SendTargets=");
	assert_string_equal(flat(last(f)), "SendTargets=Reject|");
}

static void test_text_multi_pdu(void **state)
{
	struct fx *f = *state;
	static char whole[DATA_MAX];
	uint32_t got = 0;
	unsigned pdus = 0;

	f->c.params.max_recv_dsl_initiator = 512;
	for (int i = 0; i < 16; i++)
		f->c.cfg.portals[i] = i % 2 ? "[2001:db8::1234:5678:9abc]:3260"
					    : "host-name.example.com:3261";
	f->c.cfg.portal_count = 16;
	text_req(f, 0x80, 0xffffffff, "X-a=1\nSendTargets=All");
	for (;;) {
		const struct sent_pdu *s = last(f);
		uint32_t ttt = nx_get_be32(s->bhs + 20);

		assert_true(s->len <= 512);
		memcpy(whole + got, s->data, s->len);
		got += s->len;
		pdus++;
		if (s->bhs[1] == 0x80) {
			assert_int_equal(ttt, 0xffffffff);
			break;
		}
		/* C=1, F=0, a real tag, full PDUs */
		assert_int_equal(s->bhs[1], 0x40);
		assert_int_not_equal(ttt, 0xffffffff);
		assert_int_equal(s->len, 512);
		text_req(f, 0x80, ttt, "");
		assert_true(pdus < 20);
	}
	assert_true(pdus >= 3);
	/* the pieces join into the one answer */
	/* 18 + 2 targets * (39 + 8 * (17 + 26) + 8 * (17 + 31)) */
	assert_int_equal(got, 1552);
	assert_memory_equal(whole, "X-a=NotUnderstood\0TargetName=" T1 "\0TargetAddress="
			    "host-name.example.com:3261,1\0", 18 + 39 + 43);
	assert_int_equal(whole[got - 1], '\0');
}

static void test_text_ffp_keys(void **state)
{
	struct fx *f = *state;

	text_req(f, 0x80, 0xffffffff,
		 "MaxRecvDataSegmentLength=1024\nInitiatorAlias=box\n"
		 "HeaderDigest=CRC32C\nMaxBurstLength=512\nTargetName=" T1);
	expect_final(last(f));
	/* declarations get no answer; login-only keys get Reject */
	assert_string_equal(flat(last(f)),
			    "HeaderDigest=Reject|MaxBurstLength=Reject|TargetName=Reject|");
	assert_int_equal(f->c.params.max_recv_dsl_initiator, 1024);
	assert_string_equal(f->c.params.initiator_alias, "box");
	assert_false(f->c.params.header_digest);
}

static void expect_reject(struct fx *f, uint8_t reason)
{
	const struct sent_pdu *s = last(f);

	assert_int_equal(s->bhs[0], NX_ISCSI_OP_REJECT);
	assert_int_equal(s->bhs[1], 0x80);
	assert_int_equal(s->bhs[2], reason);
	assert_int_equal(nx_get_be32(s->bhs + 16), 0xffffffff);
	assert_int_equal(s->len, NX_ISCSI_BHS_LEN);
	assert_int_equal((uint8_t)s->data[0], 0x40 | NX_ISCSI_OP_TEXT_REQ);
}

static void test_text_rejects(void **state)
{
	struct fx *f = *state;

	text_req(f, 0x40, 0xffffffff, "SendTargets=All"); /* C=1 */
	expect_reject(f, 0x04);
	text_req(f, 0xc0, 0xffffffff, "SendTargets=All"); /* C=1 and F=1 */
	expect_reject(f, 0x04);
	text_req(f, 0x80, 0x12345678, "");                /* not our tag */
	expect_reject(f, 0x09);
	text_req(f, 0x80, 0x7f000000, "SendTargets=All"); /* data on continuation */
	expect_reject(f, 0x09);
	text_req(f, 0x80, 0x7f100000, "");                /* beyond the text */
	expect_reject(f, 0x09);
	text_req(f, 0x80, 0xffffffff, "SendTargets=All\nSendTargets=All");
	expect_reject(f, 0x04);                           /* duplicate */
	text_req(f, 0x80, 0xffffffff, "NoEquals");
	expect_reject(f, 0x04);
}

static void test_text_not_final(void **state)
{
	struct fx *f = *state;
	const struct sent_pdu *s;

	/* F=0 request: the answer must not have F=1 (RFC 7143 11.11.1) */
	text_req(f, 0x00, 0xffffffff, "InitiatorAlias=x");
	s = last(f);
	assert_int_equal(s->bhs[1], 0x00);
	assert_int_equal(nx_get_be32(s->bhs + 20), 0x7e000000);
	assert_int_equal(s->len, 0);
	/* the initiator goes on with that tag */
	text_req(f, 0x80, 0x7e000000, "SendTargets=" T1);
	expect_final(last(f));
	assert_string_equal(flat(last(f)), "TargetName=" T1 "|" ADDR);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_text_sendtargets_all_discovery),
		T(test_text_sendtargets_all_normal),
		T(test_text_sendtargets_named),
		T(test_text_sendtargets_invalid),
		T(test_text_multi_pdu),
		T(test_text_ffp_keys),
		T(test_text_rejects),
		T(test_text_not_final),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
