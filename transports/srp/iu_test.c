/*
 * iu_test.c - SRP information units (SRP r16a clause 6): exact bytes
 * both ways for every IU, and every length/format error decoded into
 * the answer SRP gives it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "transports/srp/nx_srp.h"

static const uint8_t TAG[8] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17 };
#define TAGV 0x1011121314151617ull

static void ids(struct nx_srp_login_req *r)
{
	for (unsigned i = 0; i < 16; i++) {
		r->iport[i] = (uint8_t)(0xa0 + i);
		r->tport[i] = (uint8_t)(0xb0 + i);
	}
}

static void expect_req(const struct nx_srp_login_req *d,
		       const struct nx_srp_login_req *r)
{
	assert_true(d->tag == r->tag && d->req_it_iu_len == r->req_it_iu_len &&
		    d->req_buf_fmt == r->req_buf_fmt && d->mca == r->mca);
	assert_memory_equal(d->iport, r->iport, 16);
	assert_memory_equal(d->tport, r->tport, 16);
}

static void test_login_req(void **state)
{
	struct nx_srp_login_req r = { .tag = TAGV, .req_it_iu_len = 0x1000,
				      .req_buf_fmt = 0x0006, .mca = 1 }, d;
	uint8_t out[NX_SRP_LOGIN_REQ_LEN], want[NX_SRP_LOGIN_REQ_LEN] = { 0 };

	ids(&r);
	memcpy(want + 8, TAG, 8);
	want[18] = 0x10;                  /* 16-19: 00001000h */
	want[25] = 0x06;                  /* DDBD | IDBD */
	want[26] = 0x01;                  /* MULTI-CHANNEL ACTION 01b */
	for (unsigned i = 0; i < 16; i++) {
		want[32 + i] = (uint8_t)(0xa0 + i);
		want[48 + i] = (uint8_t)(0xb0 + i);
	}
	assert_int_equal(nx_srp_login_req_encode(&r, out), 64);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(nx_srp_login_req_decode(out, 64, &d), NX_OK);
	expect_req(&d, &r);
	assert_int_equal(nx_srp_login_req_decode(out, 63, &d), NX_EINVAL);
	out[0] = NX_SRP_CMD;
	assert_int_equal(nx_srp_login_req_decode(out, 64, &d), NX_EINVAL);
}

/* The RDMA/CM private data layout (Linux srp_login_req_rdma). */
static void test_login_req_cm(void **state)
{
	struct nx_srp_login_req r = { .tag = TAGV, .req_it_iu_len = 0x824,
				      .req_buf_fmt = 0x0002, .mca = 0 }, d;
	uint8_t out[NX_SRP_LOGIN_REQ_CM_LEN], want[NX_SRP_LOGIN_REQ_CM_LEN] = { 0 };

	ids(&r);
	memcpy(want, TAG, 8);
	want[9] = 0x02;
	want[11] = 0x00;                  /* IU type LOGIN_REQ */
	want[14] = 0x08;
	want[15] = 0x24;
	for (unsigned i = 0; i < 16; i++) {
		want[16 + i] = (uint8_t)(0xa0 + i);
		want[32 + i] = (uint8_t)(0xb0 + i);
	}
	assert_int_equal(nx_srp_login_req_cm_encode(&r, out), 56);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(nx_srp_login_req_cm_decode(out, 56, &d), NX_OK);
	expect_req(&d, &r);
	assert_int_equal(nx_srp_login_req_cm_decode(out, 55, &d), NX_EINVAL);
	out[11] = NX_SRP_LOGIN_RSP;
	assert_int_equal(nx_srp_login_req_cm_decode(out, 56, &d), NX_EINVAL);
}

static void test_login_rsp_rej(void **state)
{
	struct nx_srp_login_rsp r = { .req_lim_delta = 128, .tag = TAGV,
				      .max_it_iu_len = 4096,
				      .max_ti_iu_len = 256, .buf_fmt = 6,
				      .mcr = NX_SRP_MCR_TERMINATED }, d;
	struct nx_srp_login_rej j = { .reason = NX_SRP_REJ_IU_TOO_LARGE,
				      .tag = TAGV, .buf_fmt = 6 }, dj;
	static const uint8_t want[NX_SRP_LOGIN_RSP_LEN] = {
		0xc0, 0, 0, 0, 0, 0, 0, 0x80,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0, 0, 0x10, 0, 0, 0, 0x01, 0x00, 0x00, 0x06, 0x01,
	};
	static const uint8_t wantj[NX_SRP_LOGIN_REJ_LEN] = {
		0xc2, 0, 0, 0, 0x00, 0x01, 0x00, 0x02,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x06,
	};
	uint8_t out[64];

	assert_int_equal(nx_srp_login_rsp_encode(&r, out), 52);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(nx_srp_login_rsp_decode(out, 52, &d), NX_OK);
	assert_true(d.req_lim_delta == r.req_lim_delta && d.tag == r.tag &&
		    d.max_it_iu_len == r.max_it_iu_len &&
		    d.max_ti_iu_len == r.max_ti_iu_len &&
		    d.buf_fmt == r.buf_fmt && d.mcr == r.mcr);
	assert_int_equal(nx_srp_login_rsp_decode(out, 51, &d), NX_EINVAL);
	assert_int_equal(nx_srp_login_rej_encode(&j, out), 32);
	assert_memory_equal(out, wantj, sizeof(wantj));
	assert_int_equal(nx_srp_login_rej_decode(out, 32, &dj), NX_OK);
	assert_true(dj.reason == j.reason && dj.tag == j.tag &&
		    dj.buf_fmt == j.buf_fmt);
	assert_int_equal(nx_srp_login_rej_decode(out, 31, &dj), NX_EINVAL);
	assert_int_equal(nx_srp_login_rsp_decode(out, 52, &d), NX_EINVAL);
}

static void test_logout(void **state)
{
	struct nx_srp_logout i = { .type = NX_SRP_I_LOGOUT, .reason = 7, .tag = TAGV };
	struct nx_srp_logout t = { .type = NX_SRP_T_LOGOUT,
				   .reason = NX_SRP_LO_DI_FMT, .tag = TAGV }, d;
	static const uint8_t wanti[16] = { 0x03, 0, 0, 0, 0, 0, 0, 0, 0x10,
					   0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17 };
	static const uint8_t wantt[16] = { 0x80, 0, 0, 0, 0, 0, 0, 0x07, 0x10,
					   0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17 };
	uint8_t out[16];

	assert_int_equal(nx_srp_logout_encode(&i, out), 16);
	assert_memory_equal(out, wanti, 16); /* no reason in I_LOGOUT */
	assert_int_equal(nx_srp_logout_decode(out, 16, &d), NX_OK);
	assert_int_equal(d.type, NX_SRP_I_LOGOUT);
	assert_int_equal(d.reason, 0);
	assert_true(d.tag == TAGV);
	assert_int_equal(nx_srp_logout_encode(&t, out), 16);
	assert_memory_equal(out, wantt, 16);
	assert_int_equal(nx_srp_logout_decode(out, 16, &d), NX_OK);
	assert_int_equal(d.reason, NX_SRP_LO_DI_FMT);
	assert_int_equal(nx_srp_logout_decode(out, 15, &d), NX_EINVAL);
	out[0] = NX_SRP_RSP;
	assert_int_equal(nx_srp_logout_decode(out, 16, &d), NX_EINVAL);
}

static void test_tsk_mgmt(void **state)
{
	struct nx_srp_tsk_mgmt r = { .tag = TAGV, .lun = 0x0001000000000000ull,
				     .fn = NX_SRP_TMF_ABORT_TASK,
				     .task_tag = 0x2122232425262728ull }, d;
	uint8_t want[48] = { 0x01 }, out[48];

	memcpy(want + 8, TAG, 8);
	want[21] = 0x01;                  /* LUN at 20-27 */
	want[30] = 0x01;
	for (unsigned i = 0; i < 8; i++)
		want[32 + i] = (uint8_t)(0x21 + i);
	assert_int_equal(nx_srp_tsk_mgmt_encode(&r, out), 48);
	assert_memory_equal(out, want, 48);
	assert_int_equal(nx_srp_tsk_mgmt_decode(out, 48, &d), NX_OK);
	assert_true(d.tag == r.tag && d.lun == r.lun && d.fn == r.fn &&
		    d.task_tag == r.task_tag);
	assert_int_equal(nx_srp_tsk_mgmt_decode(out, 47, &d), NX_EINVAL);
}

/* WRITE(10) with a direct data-out descriptor, no data-in. */
static void test_cmd_direct(void **state)
{
	static const uint8_t cdb[16] = { 0x2a, 0, 0, 0, 0, 8, 0, 0, 1 };
	struct nx_srp_cmd c = {
		.tag = TAGV, .lun = 0, .attr = NX_SRP_ATTR_ORDERED, .cdb = cdb,
		.cdb_len = 16,
		.out = { .fmt = NX_SRP_FMT_DIRECT,
			 .table = { 0x1122334455667788ull, 0xaabbccdd, 512 } },
	}, d;
	uint8_t want[64] = { 0x02, 0, 0, 0, 0, 0x10 }, out[128];

	memcpy(want + 8, TAG, 8);
	want[29] = 0x02;
	memcpy(want + 32, cdb, 16);
	for (unsigned i = 0; i < 8; i++)
		want[48 + i] = (uint8_t)(0x11 * (i + 1));
	want[56] = 0xaa, want[57] = 0xbb, want[58] = 0xcc, want[59] = 0xdd;
	want[62] = 0x02;                  /* 512 */
	assert_int_equal(nx_srp_cmd_encode(&c, out, sizeof(out)), 64);
	assert_memory_equal(out, want, 64);
	assert_int_equal(nx_srp_cmd_decode(out, 64, &d), NX_SRP_CMD_OK);
	assert_true(d.tag == TAGV);
	assert_int_equal(d.attr, NX_SRP_ATTR_ORDERED);
	assert_int_equal(d.cdb_len, 16);
	assert_memory_equal(d.cdb, cdb, 16);
	assert_int_equal(d.out.fmt, NX_SRP_FMT_DIRECT);
	assert_int_equal(d.out.total, 512);
	assert_int_equal(d.out.table.key, 0xaabbccdd);
	assert_true(d.out.table.va == 0x1122334455667788ull);
	assert_int_equal(d.in.fmt, NX_SRP_FMT_NONE);
	/* the descriptor cut short: a malformed IU with a tag */
	assert_int_equal(nx_srp_cmd_decode(out, 63, &d), NX_SRP_CMD_BAD_FIELD);
	assert_true(d.tag == TAGV);
	assert_int_equal(nx_srp_cmd_decode(out, 47, &d), NX_SRP_CMD_BAD_FIELD);
	assert_int_equal(nx_srp_cmd_decode(out, 15, &d), NX_SRP_CMD_SHORT);
	assert_int_equal(nx_srp_cmd_encode(&c, out, 63), 0);
}

/* 32-byte CDB (16 additional bytes) and an indirect data-in buffer with
 * two of three descriptors inline. */
static void test_cmd_indirect(void **state)
{
	uint8_t cdb[32], list[2 * NX_SRP_DESC_LEN], out[256];
	struct nx_srp_desc dd = { 0x1000, 7, 100 };
	struct nx_srp_cmd c = {
		.tag = 1, .lun = 0x0001000000000000ull, .cdb = cdb, .cdb_len = 32,
		.in = { .fmt = NX_SRP_FMT_INDIRECT, .count = 2, .total = 300,
			.table = { 0x8000, 9, 48 }, .inline_desc = list },
	}, d;
	struct nx_srp_desc g;

	for (unsigned i = 0; i < 32; i++)
		cdb[i] = (uint8_t)(0x7f + i);
	nx_srp_desc_put(list, 0, &dd);
	dd.va = 0x2000;
	nx_srp_desc_put(list, 1, &dd);
	assert_int_equal(nx_srp_cmd_encode(&c, out, sizeof(out)),
			 48 + 16 + 20 + 32);
	assert_int_equal(out[5], 0x02);
	assert_int_equal(out[6], 0);
	assert_int_equal(out[7], 2);
	assert_int_equal(out[31], 16);    /* 4 words in bits 7-2 */
	assert_memory_equal(out + 32, cdb, 32);
	/* table descriptor at 64, TOTAL LENGTH at 80, list at 84 */
	assert_int_equal(out[64 + 7], 0x00);
	assert_int_equal(out[64 + 6], 0x80);
	assert_int_equal(out[64 + 15], 48);
	assert_int_equal(out[83], 0x2c);  /* 300 = 012Ch */
	assert_int_equal(out[82], 0x01);
	assert_int_equal(out[84 + 16 + 6], 0x20);
	assert_int_equal(nx_srp_cmd_decode(out, 116, &d), NX_SRP_CMD_OK);
	assert_int_equal(d.cdb_len, 32);
	assert_memory_equal(d.cdb, cdb, 32);
	assert_int_equal(d.in.count, 2);
	assert_int_equal(d.in.total, 300);
	assert_int_equal(d.in.table.len, 48);
	nx_srp_desc_get(d.in.inline_desc, 1, &g);
	assert_true(g.va == 0x2000 && g.key == 7 && g.len == 100);
	assert_int_equal(nx_srp_cmd_decode(out, 115, &d), NX_SRP_CMD_BAD_FIELD);
	/* more inline descriptors than the table holds */
	out[64 + 15] = 16;
	assert_int_equal(nx_srp_cmd_decode(out, 116, &d), NX_SRP_CMD_DI_COUNT);
	out[64 + 15] = 40;                /* not whole descriptors */
	assert_int_equal(nx_srp_cmd_decode(out, 116, &d), NX_SRP_CMD_DI_COUNT);
}

static void test_cmd_errors(void **state)
{
	static const uint8_t cdb[16] = { 0x00 };
	struct nx_srp_cmd c = { .tag = 5, .cdb = cdb, .cdb_len = 16 }, d;
	uint8_t out[64];

	assert_int_equal(nx_srp_cmd_encode(&c, out, sizeof(out)), 48);
	assert_int_equal(nx_srp_cmd_decode(out, 48, &d), NX_SRP_CMD_OK);
	out[5] = 0x30;                   /* data-out format 3 (SRP-2 immediate) */
	assert_int_equal(nx_srp_cmd_decode(out, 48, &d), NX_SRP_CMD_DO_FMT);
	out[5] = 0x0f;
	assert_int_equal(nx_srp_cmd_decode(out, 48, &d), NX_SRP_CMD_DI_FMT);
	out[5] = 0x00;
	out[29] = 3;                     /* reserved task attribute */
	assert_int_equal(nx_srp_cmd_decode(out, 48, &d), NX_SRP_CMD_BAD_FIELD);
	assert_int_equal(d.tag, 5);
	out[29] = 4;                     /* ACA */
	assert_int_equal(nx_srp_cmd_decode(out, 48, &d), NX_SRP_CMD_OK);
	out[31] = 0x07;                  /* low bits reserved: 4 bytes */
	assert_int_equal(nx_srp_cmd_decode(out, 48, &d), NX_SRP_CMD_BAD_FIELD);
	assert_int_equal(nx_srp_cmd_decode(out, 52, &d), NX_SRP_CMD_OK);
	assert_int_equal(d.cdb_len, 20);
	out[0] = NX_SRP_TSK_MGMT;
	assert_int_equal(nx_srp_cmd_decode(out, 48, &d), NX_SRP_CMD_SHORT);
}

static void test_rsp(void **state)
{
	static const uint8_t sense[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10,
					   0, 0, 0, 0, 0x24, 0x00 };
	struct nx_srp_rsp r = { .req_lim_delta = 1, .tag = TAGV,
				.flags = NX_SRP_SNSVALID | NX_SRP_DIUNDER,
				.status = 0x02, .di_resid = 0x200,
				.sense_len = 18, .sense = sense }, d;
	uint8_t want[36 + 18] = { 0xc1, 0, 0, 0, 0, 0, 0, 1 }, out[128];

	memcpy(want + 8, TAG, 8);
	want[18] = 0x22;
	want[19] = 0x02;
	want[26] = 0x02;                  /* DATA-IN RESIDUAL 200h */
	want[31] = 18;
	memcpy(want + 36, sense, 18);
	assert_int_equal(nx_srp_rsp_encode(&r, out, sizeof(out)), 54);
	assert_memory_equal(out, want, 54);
	assert_int_equal(nx_srp_rsp_decode(out, 54, &d), NX_OK);
	assert_int_equal(d.flags, r.flags);
	assert_int_equal(d.di_resid, 0x200);
	assert_int_equal(d.sense_len, 18);
	assert_memory_equal(d.sense, sense, 18);
	assert_int_equal(nx_srp_rsp_decode(out, 53, &d), NX_EINVAL);
	assert_int_equal(nx_srp_rsp_encode(&r, out, 53), 0);
	/* TMF answer: RSPVALID, 4 bytes of response data, code in byte 3 */
	r = (struct nx_srp_rsp){ .tag = 3, .flags = NX_SRP_RSPVALID,
				 .rsp_code = NX_SRP_RSP_TMF_NOT_SUPPORTED };
	assert_int_equal(nx_srp_rsp_encode(&r, out, sizeof(out)), 40);
	assert_int_equal(out[35], 4);
	assert_int_equal(out[39], 0x04);
	assert_int_equal(nx_srp_rsp_decode(out, 40, &d), NX_OK);
	assert_int_equal(d.rsp_code, 0x04);
	out[35] = 3;                      /* response data too short */
	assert_int_equal(nx_srp_rsp_decode(out, 40, &d), NX_EINVAL);
	out[35] = 4;
	out[28] = 0xff;                   /* SNSVALID clear: length ignored */
	assert_int_equal(nx_srp_rsp_decode(out, 40, &d), NX_OK);
	out[18] |= NX_SRP_SNSVALID;       /* huge sense list: no wrap */
	assert_int_equal(nx_srp_rsp_decode(out, 40, &d), NX_EINVAL);
}

static void test_cred_aer(void **state)
{
	static const uint8_t sense[8] = { 0x72, 0x06, 0x29, 0x00 };
	struct nx_srp_treq c = { .type = NX_SRP_CRED_REQ, .req_lim_delta = 5,
				 .tag = TAGV }, a = {
		.type = NX_SRP_AER_REQ, .req_lim_delta = 0, .tag = 9,
		.lun = 0x0001000000000000ull, .sense_len = 8, .sense = sense,
	}, d;
	static const uint8_t wantc[16] = { 0x81, 0, 0, 0, 0, 0, 0, 5, 0x10,
					   0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17 };
	uint8_t out[64], type = 0;
	uint64_t tag = 0;

	assert_int_equal(nx_srp_treq_encode(&c, out, sizeof(out)), 16);
	assert_memory_equal(out, wantc, 16);
	assert_int_equal(nx_srp_treq_decode(out, 16, &d), NX_OK);
	assert_int_equal(d.req_lim_delta, 5);
	assert_int_equal(nx_srp_treq_encode(&a, out, sizeof(out)), 44);
	assert_int_equal(out[0], 0x82);
	assert_int_equal(out[21], 0x01);
	assert_int_equal(out[31], 8);
	assert_memory_equal(out + 36, sense, 8);
	assert_int_equal(nx_srp_treq_decode(out, 44, &d), NX_OK);
	assert_true(d.lun == a.lun && d.sense_len == 8);
	assert_int_equal(nx_srp_treq_decode(out, 43, &d), NX_EINVAL);
	assert_int_equal(nx_srp_treq_decode(out, 35, &d), NX_EINVAL);
	assert_int_equal(nx_srp_tresp_encode(NX_SRP_AER_RSP, TAGV, out), 16);
	assert_int_equal(out[0], 0x42);
	assert_memory_equal(out + 8, TAG, 8);
	assert_int_equal(nx_srp_tresp_decode(out, 16, &type, &tag), NX_OK);
	assert_int_equal(type, NX_SRP_AER_RSP);
	assert_true(tag == TAGV);
	assert_int_equal(nx_srp_tresp_decode(out, 15, &type, &tag), NX_EINVAL);
	out[0] = NX_SRP_CRED_REQ;
	assert_int_equal(nx_srp_tresp_decode(out, 16, &type, &tag), NX_EINVAL);
}

static void test_port_name(void **state)
{
	uint8_t id[16];
	char name[35];

	for (unsigned i = 0; i < 16; i++)
		id[i] = (uint8_t)(i * 0x11);
	nx_srp_port_name(id, name);
	assert_string_equal(name, "0x00112233445566778899aabbccddeeff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_req),
		cmocka_unit_test(test_login_req_cm),
		cmocka_unit_test(test_login_rsp_rej),
		cmocka_unit_test(test_logout),
		cmocka_unit_test(test_tsk_mgmt),
		cmocka_unit_test(test_cmd_direct),
		cmocka_unit_test(test_cmd_indirect),
		cmocka_unit_test(test_cmd_errors),
		cmocka_unit_test(test_rsp),
		cmocka_unit_test(test_cred_aer),
		cmocka_unit_test(test_port_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
