/*
 * mode_test.c - MODE SENSE / MODE SELECT and the mode pages (mode.c).
 * Exact bytes per SPC-4 7.5 and SBC-3 6.4.
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

static struct nx_task *sense6(struct t_fix *f, uint8_t dbd, uint8_t pc_page,
			      uint8_t sub, uint8_t alloc)
{
	uint8_t cdb[6] = { 0x1a, dbd, pc_page, sub, alloc, 0 };

	return t_run(f, cdb, sizeof(cdb));
}

static struct nx_task *sense10(struct t_fix *f, uint8_t b1, uint8_t pc_page,
			       uint8_t sub, uint16_t alloc)
{
	uint8_t cdb[10] = { 0x5a, b1, pc_page, sub };

	nx_put_be16(cdb + 7, alloc);
	return t_run(f, cdb, sizeof(cdb));
}

static struct nx_task *select6(struct t_fix *f, uint8_t b1, const uint8_t *p,
			       uint8_t len)
{
	uint8_t cdb[6] = { 0x15, b1, 0, 0, len, 0 };

	return t_run_lun(f, f->n1, 0, cdb, sizeof(cdb), p, len);
}

static struct nx_task *select10(struct t_fix *f, uint8_t b1, const uint8_t *p,
				uint16_t len)
{
	uint8_t cdb[10] = { 0x55, b1 };

	nx_put_be16(cdb + 7, len);
	return t_run_lun(f, f->n1, 0, cdb, sizeof(cdb), p, len);
}

/* Current values of the five pages for a RAM LU with target.c defaults:
 * AWRE ARRE; no WCE; GLTSD, TAS; DEXCPT. */
static const uint8_t page_rwer[12] = { 0x81, 0x0a, 0xc0 };
static const uint8_t page_caching[20] = { 0x88, 0x12 };
static const uint8_t page_control[12] = { 0x8a, 0x0a, 0x02, 0x00, 0x00, 0x40 };
static const uint8_t page_control_ext[32] = { 0xca, 0x01, 0x00, 0x1c };
static const uint8_t page_iec[12] = { 0x9c, 0x0a, 0x08 };

/* SPC-4 6.11 / 7.5: MODE SENSE(6), all pages, short block descriptor. */
static void test_sense6_all_pages(void **state)
{
	struct t_fix *f = *state;
	uint8_t exp[68];
	struct nx_task *t = sense6(f, 0, 0x3f, 0x00, 255);

	memset(exp, 0, sizeof(exp));
	memcpy(exp, "\x43\x00\x10\x08", 4); /* DPOFUA */
	memcpy(exp + 4, "\x00\x02\x00\x00\x00\x00\x02\x00", 8); /* 128Ki x 512 */
	memcpy(exp + 12, page_rwer, 12);
	memcpy(exp + 24, page_caching, 20);
	memcpy(exp + 44, page_control, 12);
	memcpy(exp + 56, page_iec, 12);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 68);
	assert_memory_equal(t->data, exp, 68);
}

static void test_sense6_all_subpages(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = sense6(f, 0x08, 0x3f, 0xff, 255);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4 + 12 + 20 + 12 + 32 + 12);
	assert_memory_equal(t->data, "\x5b\x00\x10\x00", 4);
	assert_memory_equal(t->data + 48, page_control_ext, 32);
	assert_memory_equal(t->data + 80, page_iec, 12);

	t = sense6(f, 0x08, 0x0a, 0xff, 255); /* 0Ah and its subpages */
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4 + 12 + 32);
	t = sense6(f, 0x08, 0x0a, 0x01, 255);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4 + 32);
	assert_memory_equal(t->data + 4, page_control_ext, 32);
}

/* libiscsi test_modesense6_residuals: 4 bytes, no overflow. */
static void test_sense6_truncated(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = sense6(f, 0, 0x3f, 0x00, 4);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4);
	assert_memory_equal(t->data, "\x43\x00\x10\x08", 4);
}

/* MODE SENSE(10) with LLBAA: long LBA block descriptor (SBC-3 6.4.2). */
static void test_sense10_long_lba(void **state)
{
	struct t_fix *f = *state;
	uint8_t exp[8 + 16 + 12];
	struct nx_task *t = sense10(f, 0x10, 0x0a, 0x00, 512);

	memset(exp, 0, sizeof(exp));
	memcpy(exp, "\x00\x22\x00\x10\x01\x00\x00\x10", 8);
	nx_put_be64(exp + 8, 131072);
	nx_put_be32(exp + 20, 512);
	memcpy(exp + 24, page_control, 12);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, sizeof(exp));
	assert_memory_equal(t->data, exp, sizeof(exp));
}

/* PC 01b: the changeable mask (D_SENSE; QERR, UA_INTLCK_CTRL and SWP;
 * TAS); 10b defaults; 11b saved. */
static void test_sense_page_control(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = sense6(f, 0x08, 0x40 | 0x0a, 0x00, 255);

	t_expect_good(t);
	assert_memory_equal(t->data + 4,
			    "\x8a\x0a\x04\x06\x38\x40\x00\x00\x00\x00\x00\x00",
			    12);
	t = sense6(f, 0x08, 0x40 | 0x1c, 0x00, 255);
	t_expect_good(t);
	assert_memory_equal(t->data + 4,
			    "\x9c\x0a\x08\x0f\xff\xff\xff\xff\xff\xff\xff\xff",
			    12);
	t = sense6(f, 0x08, 0x40 | 0x08, 0x00, 255);
	t_expect_good(t);
	assert_int_equal(t->data[6], 0x01); /* RCD only: no write cache */
	t = sense6(f, 0x08, 0x80 | 0x0a, 0x00, 255);
	t_expect_good(t);
	assert_memory_equal(t->data + 4, page_control, 12);
	f->lu->mode_saved.d_sense = true;
	t = sense6(f, 0x08, 0xc0 | 0x0a, 0x00, 255);
	t_expect_good(t);
	assert_int_equal(t->data[6], 0x06);
}

static void test_sense_bad_page(void **state)
{
	struct t_fix *f = *state;

	t_expect_invalid_cdb(sense6(f, 0, 0x02, 0x00, 255), 5, 2);
	t_expect_invalid_cdb(sense6(f, 0, 0x0a, 0x05, 255), 7, 3);
	t_expect_invalid_cdb(sense6(f, 0, 0x3f, 0x05, 255), 7, 3);
	t_expect_invalid_cdb(sense6(f, 0, 0x08, 0x01, 255), 7, 3);
	/* LLBAA is reserved in MODE SENSE(6) */
	t_expect_sense(sense6(f, 0x10, 0x3f, 0x00, 255), 0x05, 0x24, 0x00);
}

static void drain_ua(struct nx_nexus *n, struct nx_lu *lu)
{
	struct nx_ua ua;

	while (nx_ua_pop(n, lu, &ua))
		;
}

/* libiscsi set_swp(): header of zeros + the current control page with
 * SWP set.  WP shows in the device-specific parameter (SBC-3 6.4.1) and
 * the other nexus gets MODE PARAMETERS CHANGED. */
static void test_select6_swp(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[16] = { 0 };
	struct nx_ua ua;
	struct nx_task *t;

	drain_ua(f->n1, f->lu);
	drain_ua(f->n2, f->lu);
	memcpy(p + 4, page_control, 12);
	p[4] = 0x0a; /* PS is reserved in MODE SELECT */
	p[8] |= 0x08;
	t = select6(f, 0x10, p, sizeof(p));
	t_expect_good(t);
	assert_true(f->lu->mode.swp);
	assert_false(f->lu->mode_saved.swp);
	t = sense6(f, 0x08, 0x0a, 0x00, 255);
	assert_int_equal(t->data[2], 0x90);
	assert_int_equal(t->data[8], 0x08);
	assert_false(nx_ua_pop(f->n1, f->lu, &ua));
	assert_true(nx_ua_pop(f->n2, f->lu, &ua));
	assert_int_equal(ua.asc, 0x2a);
	assert_int_equal(ua.ascq, 0x01);
	/* the same values again: nothing changed, no new UA */
	t_expect_good(select6(f, 0x10, p, sizeof(p)));
	assert_false(nx_ua_pop(f->n2, f->lu, &ua));
}

/* SP=1 saves (SPC-4 6.11); PC 11b then reports it. */
static void test_select_save(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[16] = { 0 };

	memcpy(p + 4, page_iec, 12);
	p[7] = 0x04; /* MRIE 4h */
	t_expect_good(select6(f, 0x11, p, sizeof(p)));
	assert_int_equal(f->lu->mode.mrie, 4);
	assert_int_equal(f->lu->mode_saved.mrie, 4);
	struct nx_task *t = sense6(f, 0x08, 0xc0 | 0x1c, 0x00, 255);
	assert_int_equal(t->data[7], 0x04);
}

/* A non-changeable bit (TST) -> 05/26/00 pointing at it, nothing applied
 * even from an earlier valid page in the same list. */
static void test_select_not_changeable(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[4 + 12 + 12] = { 0 };
	struct nx_task *t;

	memcpy(p + 4, page_iec, 12);
	p[7] = 0x02;
	memcpy(p + 16, page_control, 12);
	p[18] |= 0x20; /* TST 001b */
	t = select6(f, 0x10, p, sizeof(p));
	t_expect_sense(t, 0x05, 0x26, 0x00);
	t_expect_field(t, false, 5, 18);
	assert_int_equal(f->lu->mode.mrie, 0);
}

static void test_select_bad_values(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[16] = { 0 };
	struct nx_task *t;

	memcpy(p + 4, page_iec, 12);
	p[7] = 0x07; /* MRIE 7h is reserved */
	t = select6(f, 0x10, p, sizeof(p));
	t_expect_sense(t, 0x05, 0x26, 0x00);
	t_expect_field(t, false, -1, 7);

	memcpy(p + 4, page_control, 12);
	p[5] = 0x0b; /* page length mismatch */
	t = select6(f, 0x10, p, sizeof(p));
	t_expect_sense(t, 0x05, 0x26, 0x00);
	t_expect_field(t, false, 7, 5);

	p[4] = 0x02; /* unsupported page */
	p[5] = 0x0a;
	t = select6(f, 0x10, p, sizeof(p));
	t_expect_sense(t, 0x05, 0x26, 0x00);
	t_expect_field(t, false, 5, 4);
}

/* SPC-4 6.11: a list too short for its header or a page -> 05/1A/00. */
static void test_select_length_errors(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[16] = { 0 };

	memcpy(p + 4, page_control, 12);
	p[4] = 0x0a;
	t_expect_sense(select6(f, 0x10, p, 3), 0x05, 0x1a, 0x00);
	t_expect_sense(select6(f, 0x10, p, 15), 0x05, 0x1a, 0x00);
	t_expect_sense(select6(f, 0x10, p, 5), 0x05, 0x1a, 0x00);
	p[3] = 8; /* block descriptor length beyond the list */
	t_expect_sense(select6(f, 0x10, p, 10), 0x05, 0x1a, 0x00);
	p[3] = 0;
	t_expect_good(select6(f, 0x10, p, 0)); /* zero length: no-op */
	t_expect_good(select6(f, 0x10, p, 4)); /* header only */
}

static void test_select_pf0(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[16] = { 0 };

	t_expect_invalid_cdb(select6(f, 0x00, p, sizeof(p)), 4, 1);
}

/* SBC-3 6.4.2: the block descriptor may repeat the geometry, not change
 * it; MODE SELECT(10) with a long LBA descriptor. */
static void test_select_block_descriptor(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[8 + 16 + 12] = { 0 };
	uint8_t s[4 + 8] = { 0 };
	struct nx_task *t;

	p[4] = 0x01; /* LONGLBA */
	p[7] = 16;
	nx_put_be64(p + 8, 131072);
	nx_put_be32(p + 20, 512);
	memcpy(p + 24, page_control, 12);
	p[24] = 0x0a;
	t_expect_good(select10(f, 0x10, p, sizeof(p)));
	nx_put_be32(p + 20, 4096);
	t = select10(f, 0x10, p, sizeof(p));
	t_expect_sense(t, 0x05, 0x26, 0x00);
	t_expect_field(t, false, 7, 20);

	s[3] = 8;
	nx_put_be24(s + 9, 512); /* NUMBER OF BLOCKS 0 = unchanged */
	t_expect_good(select6(f, 0x10, s, sizeof(s)));
	nx_put_be32(s + 4, 1000);
	t = select6(f, 0x10, s, sizeof(s));
	t_expect_sense(t, 0x05, 0x26, 0x00);
	t_expect_field(t, false, 7, 4);
}

/* D_SENSE=1 makes later sense data descriptor format (SPC-4 7.5.8). */
static void test_select_d_sense(void **state)
{
	struct t_fix *f = *state;
	uint8_t p[16] = { 0 };
	struct nx_task *t;

	memcpy(p + 4, page_control, 12);
	p[6] |= 0x04;
	t_expect_good(select6(f, 0x10, p, sizeof(p)));
	assert_true(f->lu->mode.d_sense);
	t = sense6(f, 0, 0x02, 0x00, 255);
	assert_int_equal(t->status, NX_STATUS_CHECK_CONDITION);
	assert_int_equal(t->sense[0], 0x72);
	assert_int_equal(t->sense[1], 0x05);
	assert_int_equal(t->sense[2], 0x24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sense6_all_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sense6_all_subpages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sense6_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sense10_long_lba, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sense_page_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sense_bad_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select6_swp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_not_changeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_length_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_pf0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_block_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_d_sense, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
