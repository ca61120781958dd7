/*
 * r2t_test.c - the R2T rules of the trace engine (r2t.c) and the R2T
 * record of a decoded capture (iscsi_decode.c): login keys settled by
 * their result functions, the unsolicited first burst, the expected
 * sequence, each RFC 7143 rule a sequence can break, and a synthetic
 * capture whose target's R2Ts match what nexus sends (same settled keys:
 * equal sequences) and one whose target splits its bursts differently
 * (a difference nexus-replay reports, though neither side breaks a rule)
 * or asks for more than MaxBurstLength (a difference and a violation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nx_trace.h"

/* ---- settled keys and the unsolicited burst ------------------------------- */

static void test_burst_defaults_and_result_functions(void **state)
{
	struct nx_tr_login l;
	struct nx_tr_burst b;

	memset(&l, 0, sizeof(l));
	nx_tr_burst_of(&l, &b);          /* nothing negotiated: RFC defaults */
	assert_false(b.known);
	assert_true(b.initial_r2t);
	assert_true(b.immediate_data);
	assert_true(b.seq_in_order);
	assert_int_equal(b.first_burst, 65536);
	assert_int_equal(b.max_burst, 262144);
	assert_int_equal(b.tgt_mrdsl, 8192);
	assert_int_equal(b.max_outstanding_r2t, 1);

	l.seen = true;
	strcpy(l.offer_initial_r2t, "No");     /* OR: the target's Yes wins */
	strcpy(l.tgt_initial_r2t, "Yes");
	strcpy(l.offer_immediate, "Yes");      /* AND: the target's No wins */
	strcpy(l.tgt_immediate, "No");
	l.offer_first_burst = 262144;          /* min */
	l.tgt_first_burst = 65536;
	l.offer_max_burst = 1048576;
	l.tgt_max_burst = 262144;
	l.offer_max_r2t = 4;
	l.tgt_max_r2t = 2;
	l.tgt_mrdsl = 262144;
	nx_tr_burst_of(&l, &b);
	assert_true(b.known);
	assert_true(b.initial_r2t);
	assert_false(b.immediate_data);
	assert_int_equal(b.first_burst, 65536);
	assert_int_equal(b.max_burst, 262144);
	assert_int_equal(b.max_outstanding_r2t, 2);
	assert_int_equal(b.tgt_mrdsl, 262144);

	strcpy(l.tgt_initial_r2t, "No");       /* both No: unsolicited allowed */
	strcpy(l.tgt_immediate, "Irrelevant"); /* not a value: the offer stands */
	nx_tr_burst_of(&l, &b);
	assert_false(b.initial_r2t);
	assert_true(b.immediate_data);
}

static void test_unsolicited_burst(void **state)
{
	struct nx_tr_burst b = { .first_burst = 65536, .max_burst = 262144,
				 .tgt_mrdsl = 8192, .seq_in_order = true };
	uint32_t imm;

	b.immediate_data = true, b.initial_r2t = true;
	assert_int_equal(nx_tr_unsolicited(&b, 1048576, &imm), 8192);
	assert_int_equal(imm, 8192);
	assert_int_equal(nx_tr_unsolicited(&b, 512, &imm), 512);
	b.initial_r2t = false;                 /* the whole first burst */
	assert_int_equal(nx_tr_unsolicited(&b, 1048576, &imm), 65536);
	assert_int_equal(imm, 8192);
	assert_int_equal(nx_tr_unsolicited(&b, 30000, NULL), 30000);
	b.immediate_data = false;
	assert_int_equal(nx_tr_unsolicited(&b, 1048576, &imm), 65536);
	assert_int_equal(imm, 0);
	b.initial_r2t = true;                  /* everything solicited */
	assert_int_equal(nx_tr_unsolicited(&b, 1048576, &imm), 0);
}

/* ---- sequences --------------------------------------------------------------- */

static const struct nx_tr_burst burst64k = {
	.known = true, .first_burst = 65536, .max_burst = 65536,
	.tgt_mrdsl = 8192, .immediate_data = true, .initial_r2t = true,
	.seq_in_order = true, .max_outstanding_r2t = 1,
};

static void test_expected_sequence_conforms(void **state)
{
	struct nx_tr_r2t r[8];
	char why[256] = "", text[160];
	uint32_t n = nx_tr_r2t_expected(&burst64k, 8192, 200000, r, 8);

	/* [8192, 200000) in bursts of 65536: 3 R2Ts, the last one short. */
	assert_int_equal(n, 3);
	assert_int_equal(r[0].offset, 8192);
	assert_int_equal(r[0].len, 65536);
	assert_int_equal(r[2].offset, 8192 + 2 * 65536);
	assert_int_equal(r[2].len, 200000 - 8192 - 2 * 65536);
	assert_int_equal(r[2].r2tsn, 2);
	assert_int_equal(nx_tr_r2t_check(&burst64k, 200000, 8192, 200000, true,
					 r, n, why, sizeof(why)), 0);
	nx_tr_r2t_format(r, n, text, sizeof(text));
	assert_string_equal(text, "3 R2Ts: 8192+65536 73728+65536 139264+60736");
	nx_tr_r2t_format(r, 0, text, sizeof(text));
	assert_string_equal(text, "no R2T");
	assert_int_equal(nx_tr_r2t_expected(&burst64k, 8192, 8192, r, 8), 0);
	nx_tr_burst_format(&burst64k, text, sizeof(text));
	assert_string_equal(text, "FirstBurstLength 65536, MaxBurstLength "
			    "65536, ImmediateData Yes, InitialR2T Yes");
}

static void expect_violation(const struct nx_tr_r2t *r, uint32_t n,
			     const char *clause)
{
	char why[256] = "";

	assert_int_equal(nx_tr_r2t_check(&burst64k, 200000, 8192, 200000, true,
					 r, n, why, sizeof(why)), 1);
	if (strstr(why, clause) == NULL)
		fail_msg("'%s' does not cite %s", why, clause);
}

static void test_each_rule(void **state)
{
	const struct nx_tr_r2t too_long[] = { { 0, 8192, 131072 },
					      { 1, 139264, 60736 } };
	const struct nx_tr_r2t zero[] = { { 0, 8192, 0 } };
	const struct nx_tr_r2t sn[] = { { 1, 8192, 65536 } };
	const struct nx_tr_r2t beyond[] = { { 0, 8192, 65536 },
					    { 1, 73728, 65536 },
					    { 2, 139264, 65536 } };
	const struct nx_tr_r2t again[] = { { 0, 0, 65536 } };
	const struct nx_tr_r2t order[] = { { 0, 73728, 65536 },
					   { 1, 8192, 65536 } };
	const struct nx_tr_r2t partial[] = { { 0, 8192, 65536 } };

	expect_violation(too_long, 2, "13.13");
	expect_violation(zero, 1, "MUST NOT be 0");
	expect_violation(sn, 1, "11.8.4");
	expect_violation(beyond, 3, "beyond the Expected Data Transfer Length");
	expect_violation(again, 1, "13.14");
	expect_violation(order, 2, "13.19");
	expect_violation(partial, 1, "yet the command completed");
}

/* DataSequenceInOrder=No: any order, but no byte asked for twice. */
static void test_out_of_order_sequences_allowed_when_negotiated(void **state)
{
	struct nx_tr_burst b = burst64k;
	const struct nx_tr_r2t order[] = { { 0, 73728, 65536 },
					   { 1, 8192, 65536 },
					   { 2, 139264, 60736 } };
	const struct nx_tr_r2t twice[] = { { 0, 73728, 65536 },
					   { 1, 70000, 4000 } };
	char why[256] = "";

	b.seq_in_order = false;
	assert_int_equal(nx_tr_r2t_check(&b, 200000, 8192, 200000, true, order,
					 3, why, sizeof(why)), 0);
	assert_int_equal(nx_tr_r2t_check(&b, 200000, 8192, 200000, false, twice,
					 2, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "earlier R2T"));
}

/* ---- a synthetic capture -------------------------------------------------- */

#define INI_PORT 40001
#define ISN_I 100u
#define ISN_T 900u

struct cap {
	struct nx_trace t;
	uint32_t seq[2], frame;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void emit(struct cap *c, int dir, const uint8_t *p, uint32_t len,
		 uint8_t flags)
{
	struct nx_tr_tcp s = { .family = 4, .flags = flags, .payload = p,
			       .len = len };

	s.src[0] = s.dst[0] = 10;
	s.src[3] = dir == 0 ? 2 : 1;
	s.dst[3] = dir == 0 ? 1 : 2;
	s.sport = dir == 0 ? INI_PORT : 3260;
	s.dport = dir == 0 ? 3260 : INI_PORT;
	s.seq = c->seq[dir];
	c->seq[dir] += len + ((flags & NX_TR_SYN) ? 1 : 0);
	assert_int_equal(nx_tr_add_segment(&c->t, &s, ++c->frame), 0);
}

/* A PDU: BHS with opcode/flags/ITT, the words at 20..47 given (or, with
 * cdb, 20..31 and the CDB at 32), the data segment. */
static void pdu(struct cap *c, int dir, uint8_t op, uint8_t flags,
		const uint32_t w[7], const uint8_t *cdb, const void *data,
		uint32_t dlen)
{
	static uint8_t buf[48 + 262144 + 4];
	uint32_t pad = (dlen + 3) & ~3u;

	memset(buf, 0, 48 + pad);
	buf[0] = op;
	buf[1] = flags;
	buf[5] = (uint8_t)(dlen >> 16);
	buf[6] = (uint8_t)(dlen >> 8);
	buf[7] = (uint8_t)dlen;
	buf[9] = 1;                                 /* LUN 1 */
	put32(buf + 16, 0x10);                      /* ITT */
	for (int i = 0; i < 7; i++)
		put32(buf + 20 + 4 * i, w[i]);
	if (cdb != NULL)
		memcpy(buf + 32, cdb, 16);
	if (dlen)
		memcpy(buf + 48, data, dlen);
	emit(c, dir, buf, 48 + pad, 0x10);
}

static void login(struct cap *c, const char *ini_keys, uint32_t ini_len,
		  const char *tgt_keys, uint32_t tgt_len)
{
	const uint32_t w[7] = { 0 };

	emit(c, 0, NULL, 0, NX_TR_SYN);
	emit(c, 1, NULL, 0, NX_TR_SYN | 0x10);
	/* RFC 7143 11.12: T=1, CSG=1 (operational), NSG=3 (full feature). */
	pdu(c, 0, 0x43, 0x87, w, NULL, ini_keys, ini_len);
	pdu(c, 1, 0x23, 0x87, w, NULL, tgt_keys, tgt_len);
}

static const char ini_keys[] =
	"InitiatorName=iqn.2026-11.test:i\0TargetName=iqn.2026-11.test:t\0"
	"SessionType=Normal\0HeaderDigest=None\0DataDigest=None\0"
	"ImmediateData=Yes\0InitialR2T=Yes\0FirstBurstLength=65536\0"
	"MaxBurstLength=262144\0MaxOutstandingR2T=1\0";
static const char tgt_keys[] =
	"HeaderDigest=None\0DataDigest=None\0ImmediateData=Yes\0"
	"InitialR2T=Yes\0FirstBurstLength=65536\0MaxBurstLength=65536\0"
	"MaxRecvDataSegmentLength=8192\0MaxOutstandingR2T=1\0";

#define EDTL 200000u

/* One WRITE(10) of EDTL bytes: 8192 immediate, then the target's R2Ts
 * (each answered by one Data-Out), then GOOD. */
static void capture_write(struct cap *c, const struct nx_tr_r2t *r,
			  uint32_t n)
{
	static uint8_t data[EDTL];
	const uint32_t w[7] = { EDTL, 1 };            /* EDTL, CmdSN */
	const uint8_t cdb[16] = { 0x2a, 0, 0, 0, 0, 0, 0, 0,
				  (uint8_t)(EDTL / 512 >> 8), (uint8_t)(EDTL / 512) };
	const uint32_t sw[7] = { 0 };

	memset(c, 0, sizeof(*c));
	c->seq[0] = ISN_I;
	c->seq[1] = ISN_T;
	login(c, ini_keys, sizeof(ini_keys) - 1, tgt_keys, sizeof(tgt_keys) - 1);
	/* SCSI Command: F, W, SIMPLE; 8192 bytes of immediate data. */
	pdu(c, 0, 0x01, 0xa1, w, cdb, data, 8192);
	for (uint32_t i = 0; i < n; i++) {
		const uint32_t rw[7] = { 0x100 + i, 0, 0, 0, r[i].r2tsn,
					 r[i].offset, r[i].len };
		const uint32_t dw[7] = { 0x100 + i, 0, 0, 0, 0, r[i].offset, 0 };

		pdu(c, 1, 0x31, 0x80, rw, NULL, NULL, 0);
		pdu(c, 0, 0x05, 0x80, dw, NULL, data + r[i].offset, r[i].len);
	}
	pdu(c, 1, 0x21, 0x80, sw, NULL, NULL, 0);
	assert_int_equal(nx_trace_decode(&c->t), 0);
	assert_int_equal(c->t.cmds_n, 1);
}

/* What the comparison in nexus-replay does with one write: the captured
 * R2Ts against what nexus (sim) sends under the same settled keys,
 * which is the in-order sequence of full bursts (transports/iscsi/
 * scsi.c cmd_send_r2ts). */
static bool same_as_nexus(const struct cap *c, char *why, size_t cap)
{
	const struct nx_tr_cmd *m = &c->t.cmds[0];
	struct nx_tr_burst b;
	struct nx_tr_r2t nx[NX_TR_R2T_KEEP];
	uint32_t nn;

	nx_tr_burst_of(&c->t.conns[0].login, &b);
	nn = nx_tr_r2t_expected(&b, m->unsol_len, m->edtl, nx, NX_TR_R2T_KEEP);
	why[0] = '\0';
	nx_tr_r2t_check(&b, m->edtl, m->unsol_len, m->edtl, true, m->r2t,
			m->r2ts, why, cap);
	return nx_tr_r2t_same(m->r2t, m->r2ts, nx, nn);
}

static void test_capture_r2ts_match_nexus(void **state)
{
	static struct cap c;
	const struct nx_tr_r2t r[] = { { 0, 8192, 65536 }, { 1, 73728, 65536 },
				       { 2, 139264, 60736 } };
	const struct nx_tr_cmd *m;
	struct nx_tr_burst b;
	char why[256];

	capture_write(&c, r, 3);
	m = &c.t.cmds[0];
	assert_true(m->write);
	assert_int_equal(m->edtl, EDTL);
	assert_int_equal(m->imm_len, 8192);
	assert_int_equal(m->unsol_len, 8192);
	assert_int_equal(m->r2ts, 3);
	assert_int_equal(m->r2t[1].offset, 73728);
	assert_int_equal(m->r2t[2].len, 60736);
	assert_int_equal(m->out_got, EDTL);
	nx_tr_burst_of(&c.t.conns[0].login, &b);
	assert_true(b.known);
	assert_int_equal(b.max_burst, 65536);      /* the target's answer */
	assert_int_equal(b.tgt_mrdsl, 8192);
	assert_true(same_as_nexus(&c, why, sizeof(why)));
	assert_string_equal(why, "");
	nx_trace_free(&c.t);
}

/* The captured target asks in bursts of 32 KiB: allowed (11.8.3 only
 * bounds them by MaxBurstLength), but not what nexus does: a diff. */
static void test_capture_r2ts_differ_from_nexus(void **state)
{
	static struct cap c;
	struct nx_tr_r2t r[7];
	char why[256];
	uint32_t off = 8192, n = 0;

	while (off < EDTL) {
		uint32_t len = EDTL - off < 32768 ? EDTL - off : 32768;

		r[n] = (struct nx_tr_r2t){ n, off, len };
		off += len;
		n++;
	}
	capture_write(&c, r, n);
	assert_int_equal(c.t.cmds[0].r2ts, 6);
	assert_false(same_as_nexus(&c, why, sizeof(why)));
	assert_string_equal(why, "");              /* no rule broken */
	nx_trace_free(&c.t);
}

/* One R2T for everything: more than MaxBurstLength (65536 settled). */
static void test_capture_r2t_breaks_max_burst(void **state)
{
	static struct cap c;
	const struct nx_tr_r2t r[] = { { 0, 8192, EDTL - 8192 } };
	char why[256];

	capture_write(&c, r, 1);
	assert_false(same_as_nexus(&c, why, sizeof(why)));
	assert_non_null(strstr(why, "more than MaxBurstLength 65536"));
	nx_trace_free(&c.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_defaults_and_result_functions),
		cmocka_unit_test(test_unsolicited_burst),
		cmocka_unit_test(test_expected_sequence_conforms),
		cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_out_of_order_sequences_allowed_when_negotiated),
		cmocka_unit_test(test_capture_r2ts_match_nexus),
		cmocka_unit_test(test_capture_r2ts_differ_from_nexus),
		cmocka_unit_test(test_capture_r2t_breaks_max_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
