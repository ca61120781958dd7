/*
 * spc_test.c - INQUIRY + VPD, REPORT LUNS, TEST UNIT READY, REQUEST SENSE
 * and the SPC opcode table (spc.c).  Exact bytes against SPC-4 / SBC-3.
 */
#include "tests/unit/spc_fixture.h"

static int setup(void **state)
{
	*state = t_fix_new();
	return 0;
}

static int teardown(void **state)
{
	t_fix_free(*state);
	return 0;
}

static struct nx_task *inquiry(struct t_fix *f, uint64_t lun, uint8_t evpd,
			       uint8_t page, uint16_t alloc)
{
	uint8_t cdb[6] = { 0x12, evpd, page, 0, 0, 0 };

	nx_put_be16(cdb + 3, alloc);
	return t_run_lun(f, f->n1, lun, cdb, sizeof(cdb), NULL, 0);
}

/* SPC-4 6.6.2 standard INQUIRY data, all 96 bytes. */
static void test_inquiry_standard(void **state)
{
	struct t_fix *f = *state;
	uint8_t exp[96];
	struct nx_task *t = inquiry(f, 0, 0, 0, 255);

	memset(exp, 0, sizeof(exp));
	exp[2] = 0x06;
	exp[3] = 0x32; /* NORMACA, HISUP, RESPONSE DATA FORMAT 2 */
	exp[4] = 91;
	exp[5] = 0x38; /* TPGS 11b (implicit and explicit ALUA), 3PC */
	exp[7] = 0x02;
	memcpy(exp + 8, "NEXUS   nexus-lu        0001", 28);
	memcpy(exp + 58, "\x00\xa0\x09\x60\x04\x60\x04\xc0", 8);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 96);
	assert_memory_equal(t->data, exp, 96);
}

/* SPC-4 4.2.5.6: allocation length truncates, never an error. */
static void test_inquiry_alloc_length(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = inquiry(f, 0, 0, 0, 5);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 5);
	assert_int_equal(t->data[4], 91);
	t = inquiry(f, 0, 0, 0, 512);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 96);
	t = inquiry(f, 0, 0, 0, 0);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 0);
	assert_int_equal(t->dir, NX_DIR_NONE);
}

static void test_inquiry_evpd0_page(void **state)
{
	struct t_fix *f = *state;

	t_expect_invalid_cdb(inquiry(f, 0, 0, 0x80, 255), 7, 2);
}

static void test_inquiry_cmddt_reserved(void **state)
{
	struct t_fix *f = *state;

	t_expect_sense(inquiry(f, 0, 0x02, 0, 255), 0x05, 0x24, 0x00);
}

/* SPC-4 6.6.2: no LU -> qualifier 011b, type 1Fh; SPC-4 8.2: W-LUN 1Eh. */
static void test_inquiry_no_lu(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = inquiry(f, 5, 0, 0, 255);

	t_expect_good(t);
	assert_int_equal(t->data[0], 0x7f);
	assert_int_equal(t->data[65], 0x00); /* no SBC-3 descriptor */
	t = inquiry(f, NX_WLUN_REPORT_LUNS, 0, 0, 255);
	t_expect_good(t);
	assert_int_equal(t->data[0], 0x1e);
	t = inquiry(f, 5, 1, 0x00, 255);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 5);
	assert_memory_equal(t->data, "\x7f\x00\x00\x01\x00", 5);
	t_expect_invalid_cdb(inquiry(f, 5, 1, 0x80, 255), 7, 2);
}

static void test_vpd_supported(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = inquiry(f, 0, 1, 0x00, 255);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 12);
	assert_memory_equal(t->data,
			    "\x00\x00\x00\x08\x00\x80\x83\x86\x8f\xb0\xb1\xb2",
			    12);
}

static void test_vpd_serial(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = inquiry(f, 0, 1, 0x80, 255);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 10);
	assert_memory_equal(t->data, "\x00\x80\x00\x06SN0001", 10);
}

/* SPC-4 7.8.6: NAA, T10 vendor ID, relative port, port and target names. */
static void test_vpd_devid(void **state)
{
	struct t_fix *f = *state;
	const char *port = "iqn.2024-01.org.nexus:t1,t,0x0001"; /* 33 + NUL */
	const char *tname = "iqn.2024-01.org.nexus:t1";          /* 24 + NUL */
	uint8_t exp[256];
	size_t n = 4;
	struct nx_task *t = inquiry(f, 0, 1, 0x83, 1024);

	memset(exp, 0, sizeof(exp));
	exp[1] = 0x83;
	memcpy(exp + n, "\x01\x03\x00\x10", 4);
	memcpy(exp + n + 4, f->lu->naa, 16);
	n += 20;
	memcpy(exp + n, "\x02\x01\x00\x0eNEXUS   SN0001", 18);
	n += 18;
	memcpy(exp + n, "\x51\x94\x00\x04\x00\x00\x00\x01", 8);
	n += 8;
	/* target port group 1: the implicit group of an undeclared target */
	memcpy(exp + n, "\x51\x95\x00\x04\x00\x00\x00\x01", 8);
	n += 8;
	memcpy(exp + n, "\x53\x98\x00\x24", 4);
	memcpy(exp + n + 4, port, strlen(port));
	n += 4 + 36;
	memcpy(exp + n, "\x53\xa8\x00\x1c", 4);
	memcpy(exp + n + 4, tname, strlen(tname));
	n += 4 + 28;
	nx_put_be16(exp + 2, (uint16_t)(n - 4));
	t_expect_good(t);
	assert_int_equal(t->xfer_len, n);
	assert_memory_equal(t->data, exp, n);
	assert_int_equal(f->lu->naa[0] >> 4, 0x6); /* NAA IEEE reg. extended */
}

static void test_vpd_extended(void **state)
{
	struct t_fix *f = *state;
	uint8_t exp[64];
	struct nx_task *t = inquiry(f, 0, 1, 0x86, 255);

	memset(exp, 0, sizeof(exp));
	memcpy(exp, "\x00\x86\x00\x3c\x00\x07\x00\x01", 8);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 64);
	assert_memory_equal(t->data, exp, 64);
}

/* SBC-3 6.5.3 */
static void test_vpd_block_limits(void **state)
{
	struct t_fix *f = *state;
	uint8_t exp[64];
	struct nx_task *t = inquiry(f, 0, 1, 0xb0, 255);

	memset(exp, 0, sizeof(exp));
	memcpy(exp, "\x00\xb0\x00\x3c\x00\xff", 6); /* WSNZ=0 */
	nx_put_be16(exp + 6, 8);         /* one 4 KiB physical block */
	nx_put_be32(exp + 8, 16384);     /* 8 MiB of 512-byte blocks */
	nx_put_be32(exp + 12, 2048);     /* 1 MiB */
	nx_put_be32(exp + 20, 0x100000); /* thin: UNMAP limits */
	nx_put_be32(exp + 24, 256);
	nx_put_be32(exp + 28, 8);        /* OPTIMAL UNMAP GRANULARITY */
	exp[32] = 0x80;                  /* UGAVALID, alignment 0 */
	nx_put_be64(exp + 36, 0xffff); /* MAXIMUM WRITE SAME LENGTH */
	nx_put_be32(exp + 44, 4096);   /* MAXIMUM ATOMIC TRANSFER LENGTH: 2 MiB */
	nx_put_be32(exp + 48, 8);      /* ATOMIC ALIGNMENT: 4 KiB */
	nx_put_be32(exp + 52, 8);      /* ATOMIC TRANSFER LENGTH GRANULARITY */
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 64);
	assert_memory_equal(t->data, exp, 64);
}

static void test_vpd_block_chars_and_lbp(void **state)
{
	struct t_fix *f = *state;
	uint8_t exp[64];
	struct nx_task *t = inquiry(f, 0, 1, 0xb1, 255);

	memset(exp, 0, sizeof(exp));
	memcpy(exp, "\x00\xb1\x00\x3c\x00\x01", 6); /* non-rotating */
	exp[7] = 0x50; /* WABEREQ 01b, WACEREQ 01b: reads after erase work */
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 64);
	assert_memory_equal(t->data, exp, 64);

	t = inquiry(f, 0, 1, 0xb2, 255);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 8);
	assert_memory_equal(t->data, "\x00\xb2\x00\x04\x00\xe4\x02\x00", 8);
}

static void test_vpd_unsupported(void **state)
{
	struct t_fix *f = *state;

	t_expect_invalid_cdb(inquiry(f, 0, 1, 0x81, 255), 7, 2);
	t_expect_invalid_cdb(inquiry(f, 0, 1, 0xff, 255), 7, 2);
}

static struct nx_task *report_luns(struct t_fix *f, uint64_t lun,
				   uint8_t select, uint32_t alloc)
{
	uint8_t cdb[12] = { 0xa0, 0, select };

	nx_put_be32(cdb + 6, alloc);
	return t_run_lun(f, f->n1, lun, cdb, sizeof(cdb), NULL, 0);
}

/* SPC-4 6.33: ascending list; flat addressing above 255; W-LUN C101h. */
static void test_report_luns(void **state)
{
	struct t_fix *f = *state;
	struct nx_lu_config cfg = { .lun = 300, .block_size = 4096 };
	struct nx_task *t;

	assert_int_equal(nx_target_add_lu(f->tgt, &cfg, nx_bs_null_new(1 << 20)),
			 0);
	t = report_luns(f, 0, 0x00, 4096);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 24);
	assert_memory_equal(t->data,
			    "\x00\x00\x00\x10\x00\x00\x00\x00"
			    "\x00\x00\x00\x00\x00\x00\x00\x00"
			    "\x41\x2c\x00\x00\x00\x00\x00\x00", 24);
	t = report_luns(f, 7, 0x01, 4096); /* any LUN, even without an LU */
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 16);
	assert_memory_equal(t->data,
			    "\x00\x00\x00\x08\x00\x00\x00\x00"
			    "\xc1\x01\x00\x00\x00\x00\x00\x00", 16);
	t = report_luns(f, NX_WLUN_REPORT_LUNS, 0x02, 4096);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 32);
	assert_int_equal(nx_get_be32(t->data), 24);
	assert_int_equal(t->data[24], 0xc1);
	/* truncated: the LUN LIST LENGTH still says the full length */
	t = report_luns(f, 0, 0x00, 16);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 16);
	assert_int_equal(nx_get_be32(t->data), 16);
}

static void test_report_luns_errors(void **state)
{
	struct t_fix *f = *state;

	t_expect_invalid_cdb(report_luns(f, 0, 0x00, 15), 7, 6);
	t_expect_invalid_cdb(report_luns(f, 0, 0x03, 4096), 7, 2);
	t_expect_invalid_cdb(report_luns(f, 0, 0x10, 4096), 7, 2);
}

static void test_tur(void **state)
{
	struct t_fix *f = *state;
	static const uint8_t cdb[6] = { 0x00 };

	t_expect_good(t_run(f, cdb, 6));
	f->lu->stopped = true;
	t_expect_sense(t_run(f, cdb, 6), 0x02, 0x04, 0x02);
	f->lu->stopped = false;
}

static struct nx_task *request_sense(struct t_fix *f, struct nx_nexus *n,
				     uint64_t lun, uint8_t desc, uint8_t alloc)
{
	uint8_t cdb[6] = { 0x03, desc, 0, 0, alloc, 0 };

	return t_run_lun(f, n, lun, cdb, sizeof(cdb), NULL, 0);
}

/* SPC-4 6.39: the pending UA (29h/00h from nexus creation) as sense data
 * with GOOD status, consumed; then NO SENSE. */
static void test_request_sense_ua(void **state)
{
	struct t_fix *f = *state;
	uint8_t exp[18];
	struct nx_task *t = request_sense(f, f->n1, 0, 0, 252);

	memset(exp, 0, sizeof(exp));
	exp[0] = 0x70;
	exp[2] = 0x06;
	exp[7] = 10;
	exp[12] = 0x29;
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 18);
	assert_memory_equal(t->data, exp, 18);
	t = request_sense(f, f->n1, 0, 0, 252);
	exp[2] = 0x00;
	exp[12] = 0x00;
	t_expect_good(t);
	assert_memory_equal(t->data, exp, 18);
	/* descriptor format on the other nexus, which still has its UA */
	t = request_sense(f, f->n2, 0, 1, 252);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 8);
	assert_memory_equal(t->data, "\x72\x06\x29\x00\x00\x00\x00\x00", 8);
}

static void test_request_sense_no_lu(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = request_sense(f, f->n1, 9, 0, 252);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 18);
	assert_int_equal(t->data[2], 0x05);
	assert_int_equal(t->data[12], 0x25);
	assert_int_equal(t->data[13], 0x00);
	t = request_sense(f, f->n1, 9, 0, 4); /* truncated */
	assert_int_equal(t->xfer_len, 4);
}

/* The table is sorted and its masks mark opcode byte and nothing in the
 * control byte (NACA, the one valid control bit, is added by dispatch). */
static void test_opcode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nx_spc_opcode_count; i++) {
		const struct nx_opcode_desc *d = &nx_spc_opcodes[i];
		assert_int_equal(d->usage[0], 0xff);
		assert_int_equal(d->usage[d->cdb_len - 1], 0x00);
		assert_non_null(d->exec);
		if (i == 0)
			continue;
		const struct nx_opcode_desc *p = &nx_spc_opcodes[i - 1];
		assert_true(p->opcode < d->opcode ||
			    (p->opcode == d->opcode &&
			     p->service_action < d->service_action));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inquiry_standard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_alloc_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_evpd0_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_cmddt_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_no_lu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd_supported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd_devid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd_block_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd_block_chars_and_lbp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_luns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_luns_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tur, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_sense_ua, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_sense_no_lu, setup, teardown),
		cmocka_unit_test(test_opcode_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
