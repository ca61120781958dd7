/*
 * params_test.c - RFC 7143 §13 key table, key=value parsing (§6.1),
 * value encodings, and the responder's result functions (§6.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iscsi/nego_internal.h"

static void test_params_defaults(void **state)
{
	struct nx_iscsi_params p;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	nx_iscsi_params_default(&p);
	assert_false(p.header_digest);
	assert_false(p.data_digest);
	assert_int_equal(p.max_recv_dsl_initiator, 8192);
	assert_int_equal(p.max_recv_dsl_target, 8192);
	assert_int_equal(p.max_connections, 1);
	assert_true(p.initial_r2t);
	assert_true(p.immediate_data);
	assert_int_equal(p.max_burst_length, 262144);
	assert_int_equal(p.first_burst_length, 65536);
	assert_int_equal(p.default_time2wait, 2);
	assert_int_equal(p.default_time2retain, 20);
	assert_int_equal(p.max_outstanding_r2t, 1);
	assert_true(p.data_pdu_in_order);
	assert_true(p.data_sequence_in_order);
	assert_int_equal(p.error_recovery_level, 0);
	assert_false(p.discovery);
	assert_string_equal(p.initiator_name, "");
}

static void test_params_key_table(void **state)
{
	(void)state;
	for (int i = 0; i < NX_K_COUNT; i++) {
		const struct nx_iscsi_key_desc *d = nx_iscsi_key_desc(i);

		assert_non_null(d->name);
		assert_true(strlen(d->name) <= NX_ISCSI_KEY_NAME_MAX);
		assert_int_equal(nx_iscsi_key_lookup(d->name), i);
		if (d->type == NX_KT_NUM_MIN || d->type == NX_KT_NUM_MAX) {
			assert_true(d->min <= d->ours);
			assert_true(d->ours <= d->max);
		}
	}
	assert_int_equal(nx_iscsi_key_lookup("headerdigest"), -1); /* case */
	assert_int_equal(nx_iscsi_key_lookup("X-com.example"), -1);
	assert_int_equal(nx_iscsi_key_desc(NX_K_MAX_BURST_LENGTH)->ours, 1048576);
	assert_int_equal(nx_iscsi_key_desc(NX_K_INITIAL_R2T)->type, NX_KT_BOOL_OR);
	assert_int_equal(nx_iscsi_key_desc(NX_K_IMMEDIATE_DATA)->type, NX_KT_BOOL_AND);
	assert_int_equal(nx_iscsi_key_desc(NX_K_DEFAULT_TIME2WAIT)->type, NX_KT_NUM_MAX);
	assert_int_equal(nx_iscsi_key_desc(NX_K_HEADER_DIGEST)->scope, NX_KS_CONNECTION);
	assert_int_equal(nx_iscsi_key_desc(NX_K_MAX_BURST_LENGTH)->scope, NX_KS_SESSION);
}

static void test_params_kv_parse(void **state)
{
	char buf[] = "A=1\0B=\0\0C=x=y\0";
	struct nx_iscsi_kv kv[4];
	unsigned n;

	(void)state;
	assert_int_equal(nx_iscsi_kv_parse(buf, sizeof(buf) - 1, kv, 4, &n), NX_OK);
	assert_int_equal(n, 3);
	assert_string_equal(kv[0].key, "A");
	assert_string_equal(kv[0].value, "1");
	assert_string_equal(kv[1].key, "B");
	assert_string_equal(kv[1].value, "");
	assert_int_equal(kv[1].value_len, 0);
	assert_string_equal(kv[2].key, "C");
	assert_string_equal(kv[2].value, "x=y"); /* first '=' splits */
	assert_int_equal(kv[2].value_len, 3);
	assert_int_equal(nx_iscsi_kv_parse(buf, 0, kv, 4, &n), NX_OK);
	assert_int_equal(n, 0);
}

static void test_params_kv_parse_errors(void **state)
{
	struct nx_iscsi_kv kv[2];
	unsigned n;
	char *big;

	(void)state;
	{
		char b[] = "A=1"; /* no terminating NUL inside the length */
		assert_int_equal(nx_iscsi_kv_parse(b, 3, kv, 2, &n), NX_EINVAL);
	}
	{
		char b[] = "A1\0";
		assert_int_equal(nx_iscsi_kv_parse(b, 3, kv, 2, &n), NX_EINVAL);
	}
	{
		char b[] = "=1\0";
		assert_int_equal(nx_iscsi_kv_parse(b, 3, kv, 2, &n), NX_EINVAL);
	}
	{
		char b[] = "A b=1\0";
		assert_int_equal(nx_iscsi_kv_parse(b, 6, kv, 2, &n), NX_EINVAL);
	}
	{
		char b[] = "A=1\0B=2\0C=3\0";
		assert_int_equal(nx_iscsi_kv_parse(b, 12, kv, 2, &n), NX_ENOSPC);
	}
	/* key of exactly 63 bytes is fine, 64 is not */
	big = calloc(1, 20000);
	memset(big, 'K', 63);
	strcpy(big + 63, "=v");
	assert_int_equal(nx_iscsi_kv_parse(big, 67, kv, 2, &n), NX_OK);
	memset(big, 'K', 64);
	strcpy(big + 64, "=v");
	assert_int_equal(nx_iscsi_kv_parse(big, 68, kv, 2, &n), NX_EINVAL);
	/* value: 8192 bytes is the longest string form */
	memset(big, 0, 20000);
	strcpy(big, "CHAP_C=");
	memset(big + 7, 'a', 8192);
	assert_int_equal(nx_iscsi_kv_parse(big, 7 + 8192 + 1, kv, 2, &n), NX_OK);
	assert_int_equal(kv[0].value_len, 8192);
	memset(big, 0, 20000);
	strcpy(big, "CHAP_C=");
	memset(big + 7, 'a', 8193);
	assert_int_equal(nx_iscsi_kv_parse(big, 7 + 8193 + 1, kv, 2, &n), NX_EINVAL);
	free(big);
}

static void test_params_numbers(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(nx_iscsi_parse_u64("0", &v));
	assert_int_equal(v, 0);
	assert_true(nx_iscsi_parse_u64("262144", &v));
	assert_int_equal(v, 262144);
	assert_true(nx_iscsi_parse_u64("0x40000", &v));
	assert_int_equal(v, 262144);
	assert_true(nx_iscsi_parse_u64("18446744073709551615", &v));
	assert_true(v == UINT64_MAX);
	assert_false(nx_iscsi_parse_u64("18446744073709551616", &v));
	assert_false(nx_iscsi_parse_u64("", &v));
	assert_false(nx_iscsi_parse_u64("0x", &v));
	assert_false(nx_iscsi_parse_u64("-1", &v));
	assert_false(nx_iscsi_parse_u64("12a", &v));
	assert_false(nx_iscsi_parse_u64(" 1", &v));
}

static void test_params_binary(void **state)
{
	uint8_t b[8];
	size_t n;

	(void)state;
	assert_true(nx_iscsi_decode_binary("0x0aFf", b, sizeof(b), &n));
	assert_int_equal(n, 2);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[1], 0xff);
	assert_true(nx_iscsi_decode_binary("0XABC", b, sizeof(b), &n)); /* odd */
	assert_int_equal(n, 2);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[1], 0xbc);
	assert_true(nx_iscsi_decode_binary("0bAQID", b, sizeof(b), &n));
	assert_int_equal(n, 3);
	assert_memory_equal(b, "\x01\x02\x03", 3);
	assert_true(nx_iscsi_decode_binary("0BAQI=", b, sizeof(b), &n));
	assert_int_equal(n, 2);
	assert_true(nx_iscsi_decode_binary("0bAQ==", b, sizeof(b), &n));
	assert_int_equal(n, 1);
	assert_true(nx_iscsi_decode_binary("0bAQ", b, sizeof(b), &n)); /* unpadded */
	assert_int_equal(n, 1);
	assert_false(nx_iscsi_decode_binary("0bA", b, sizeof(b), &n));
	assert_false(nx_iscsi_decode_binary("0bAQ=I", b, sizeof(b), &n));
	assert_false(nx_iscsi_decode_binary("0bAR==", b, sizeof(b), &n)); /* stray bits */
	assert_false(nx_iscsi_decode_binary("0b", b, sizeof(b), &n));
	assert_false(nx_iscsi_decode_binary("0x", b, sizeof(b), &n));
	assert_false(nx_iscsi_decode_binary("0xZZ", b, sizeof(b), &n));
	assert_false(nx_iscsi_decode_binary("1234", b, sizeof(b), &n));
	assert_false(nx_iscsi_decode_binary("0x000102030405060708", b, sizeof(b), &n));
	assert_true(nx_iscsi_decode_binary("0x0001020304050607", b, sizeof(b), &n));
	assert_int_equal(n, 8);
}

static void test_params_textbuf(void **state)
{
	char buf[16];
	struct nx_iscsi_textbuf t = { buf, 0, sizeof(buf), false };
	struct nx_iscsi_textbuf m = { NULL, 0, 0, false };

	(void)state;
	nx_iscsi_text_put(&t, "A", "1");
	nx_iscsi_text_put_u32(&t, "B", 4096);
	assert_int_equal(t.len, 11);
	assert_memory_equal(buf, "A=1\0B=4096\0", 11);
	nx_iscsi_text_put(&t, "CC", "333"); /* 7 bytes: does not fit */
	assert_true(t.overflow);
	assert_int_equal(t.len, 11);
	nx_iscsi_text_put(&t, "D", ""); /* sticky */
	assert_int_equal(t.len, 11);
	nx_iscsi_text_put(&m, "CC", "333");
	assert_int_equal(m.len, 7);
	assert_false(m.overflow);
}

/* ---- negotiation ---------------------------------------------------------- */

struct nego_fx {
	struct nx_iscsi_params p;
	char buf[1024];
	struct nx_iscsi_textbuf out;
	struct nx_iscsi_nego n;
};

static void nego_init(struct nego_fx *f, bool leading, bool ffp)
{
	memset(f, 0, sizeof(*f));
	nx_iscsi_params_default(&f->p);
	f->out.buf = f->buf;
	f->out.cap = sizeof(f->buf);
	f->n.p = &f->p;
	f->n.out = &f->out;
	f->n.leading = leading;
	f->n.ffp = ffp;
}

/* Negotiates one key; returns the answer ("" if none). */
static const char *nego1(struct nego_fx *f, const char *key, const char *value,
			 int *rc)
{
	static char ans[300];
	struct nx_iscsi_kv kv = { key, value, (uint32_t)strlen(value) };
	uint32_t start = f->out.len;
	int id;

	*rc = nx_iscsi_nego_key(&f->n, &kv, &id);
	if (f->out.len == start)
		return "";
	snprintf(ans, sizeof(ans), "%s", f->buf + start);
	return ans;
}

static void test_params_nego_results(void **state)
{
	static const struct {
		const char *key, *value, *answer;
	} v[] = {
		{ "HeaderDigest", "CRC32C,None", "HeaderDigest=CRC32C" },
		{ "DataDigest", "MD5,None,CRC32C", "DataDigest=None" },
		{ "InitialR2T", "No", "InitialR2T=No" },
		{ "ImmediateData", "No", "ImmediateData=No" },
		{ "DataPDUInOrder", "No", "DataPDUInOrder=Yes" },      /* OR, ours Yes */
		{ "DataSequenceInOrder", "No", "DataSequenceInOrder=Yes" },
		{ "MaxBurstLength", "16776192", "MaxBurstLength=1048576" },
		{ "FirstBurstLength", "4096", "FirstBurstLength=4096" },
		{ "DefaultTime2Wait", "0", "DefaultTime2Wait=2" },     /* max */
		{ "DefaultTime2Retain", "3600", "DefaultTime2Retain=20" },
		{ "MaxOutstandingR2T", "65535", "MaxOutstandingR2T=16" },
		{ "MaxConnections", "65535", "MaxConnections=4" },
		{ "ErrorRecoveryLevel", "2", "ErrorRecoveryLevel=0" },
		{ "MaxRecvDataSegmentLength", "4096", "" },            /* declared */
		{ "InitiatorAlias", "box", "" },
		{ "IFMarker", "Yes", "IFMarker=No" },
		{ "IFMarkInt", "1024~2048", "IFMarkInt=Reject" },
		{ "X#vendor", "1", "X#vendor=NotUnderstood" },
		{ "InitiatorRecvDataSegmentLength", "8192",
		  "InitiatorRecvDataSegmentLength=Irrelevant" },
	};
	struct nego_fx f;
	int rc;

	(void)state;
	nego_init(&f, true, false);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *a = nego1(&f, v[i].key, v[i].value, &rc);

		assert_int_equal(rc, NX_NEGO_OK);
		assert_string_equal(a, v[i].answer);
	}
	assert_true(f.p.header_digest);
	assert_false(f.p.data_digest);
	assert_false(f.p.initial_r2t);
	assert_false(f.p.immediate_data);
	assert_true(f.p.data_pdu_in_order);
	assert_int_equal(f.p.max_burst_length, 1048576);
	assert_int_equal(f.p.first_burst_length, 4096);
	assert_int_equal(f.p.default_time2retain, 20);
	assert_int_equal(f.p.max_outstanding_r2t, 16);
	assert_int_equal(f.p.max_connections, 4);
	assert_int_equal(f.p.max_recv_dsl_initiator, 4096);
	assert_string_equal(f.p.initiator_alias, "box");
}

static void test_params_nego_first_burst_capped(void **state)
{
	struct nego_fx f;
	int rc;

	(void)state;
	nego_init(&f, true, false);
	assert_string_equal(nego1(&f, "MaxBurstLength", "8192", &rc), "MaxBurstLength=8192");
	/* RFC 7143 13.14: FirstBurstLength <= MaxBurstLength */
	assert_string_equal(nego1(&f, "FirstBurstLength", "65536", &rc),
			    "FirstBurstLength=8192");
}

static void test_params_nego_rejects(void **state)
{
	static const struct {
		const char *key, *value;
	} v[] = {
		{ "MaxBurstLength", "511" },
		{ "MaxBurstLength", "16777216" },
		{ "MaxBurstLength", "" },
		{ "MaxBurstLength", "1e6" },
		{ "DefaultTime2Wait", "3601" },
		{ "ErrorRecoveryLevel", "3" },
		{ "MaxConnections", "0" },
		{ "InitialR2T", "yes" },
		{ "InitialR2T", "" },
		{ "HeaderDigest", "MD5" },
		{ "HeaderDigest", "" },
		{ "TaskReporting", "FastAbort" },
	};
	struct nego_fx f;
	int rc;
	char want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		nego_init(&f, true, false);
		snprintf(want, sizeof(want), "%s=Reject", v[i].key);
		assert_string_equal(nego1(&f, v[i].key, v[i].value, &rc), want);
		assert_int_equal(rc, NX_NEGO_OK);
	}
	nego_init(&f, true, false);
	nego1(&f, "MaxBurstLength", "100", &rc);
	assert_int_equal(f.p.max_burst_length, 262144); /* default kept */
}

static void test_params_nego_protocol_errors(void **state)
{
	struct nego_fx f;
	int rc;

	(void)state;
	nego_init(&f, true, false);
	nego1(&f, "MaxBurstLength", "65536", &rc);
	nego1(&f, "MaxBurstLength", "65536", &rc);
	assert_int_equal(rc, NX_NEGO_PROTOCOL);              /* twice */
	nego_init(&f, true, false);
	nego1(&f, "TargetAddress", "1.2.3.4", &rc);
	assert_int_equal(rc, NX_NEGO_PROTOCOL);              /* target's key */
	nego_init(&f, true, false);
	nego1(&f, "MaxRecvDataSegmentLength", "511", &rc);
	assert_int_equal(rc, NX_NEGO_PROTOCOL);              /* bad declaration */
	nego_init(&f, true, false);
	nego1(&f, "InitiatorName", "", &rc);
	assert_int_equal(rc, NX_NEGO_PROTOCOL);
}

static void test_params_nego_scope_and_phase(void **state)
{
	struct nego_fx f;
	int rc;

	(void)state;
	/* non-leading connection: session keys are settled already */
	nego_init(&f, false, false);
	assert_string_equal(nego1(&f, "MaxBurstLength", "4096", &rc),
			    "MaxBurstLength=Irrelevant");
	assert_string_equal(nego1(&f, "HeaderDigest", "CRC32C", &rc),
			    "HeaderDigest=CRC32C");
	assert_int_equal(f.p.max_burst_length, 262144);
	/* discovery session */
	nego_init(&f, true, false);
	f.p.discovery = true;
	assert_string_equal(nego1(&f, "ImmediateData", "Yes", &rc),
			    "ImmediateData=Irrelevant");
	assert_string_equal(nego1(&f, "DefaultTime2Wait", "5", &rc),
			    "DefaultTime2Wait=5");
	/* full feature phase */
	nego_init(&f, true, true);
	assert_string_equal(nego1(&f, "MaxBurstLength", "4096", &rc),
			    "MaxBurstLength=Reject");
	assert_string_equal(nego1(&f, "AuthMethod", "None", &rc), "AuthMethod=Reject");
	nego1(&f, "SendTargets", "All", &rc);
	assert_int_equal(rc, NX_NEGO_SPECIAL);
	nego1(&f, "MaxRecvDataSegmentLength", "16384", &rc);
	assert_int_equal(rc, NX_NEGO_OK);
	assert_int_equal(f.p.max_recv_dsl_initiator, 16384);
	/* login: security keys go to the caller, SendTargets is refused */
	nego_init(&f, true, false);
	nego1(&f, "CHAP_A", "5", &rc);
	assert_int_equal(rc, NX_NEGO_SECURITY);
	assert_string_equal(nego1(&f, "SendTargets", "All", &rc), "SendTargets=Reject");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_defaults),
		cmocka_unit_test(test_params_key_table),
		cmocka_unit_test(test_params_kv_parse),
		cmocka_unit_test(test_params_kv_parse_errors),
		cmocka_unit_test(test_params_numbers),
		cmocka_unit_test(test_params_binary),
		cmocka_unit_test(test_params_textbuf),
		cmocka_unit_test(test_params_nego_results),
		cmocka_unit_test(test_params_nego_first_burst_capped),
		cmocka_unit_test(test_params_nego_rejects),
		cmocka_unit_test(test_params_nego_protocol_errors),
		cmocka_unit_test(test_params_nego_scope_and_phase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
