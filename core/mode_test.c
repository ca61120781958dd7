/*
 * mode_test.c - MODE SENSE / MODE SELECT and the mode pages (mode.c).
 * Exact bytes per SPC-4 7.5 and SBC-3 6.4.
 */
#include "tests/unit/spc_fixture.h"
#include "tests/unit/persist_fixture.h"

/* Saved pages persist through nx_persist_*: every test starts from an
 * empty in-memory store, or they would leak from one test to the next. */
static int setup(void **state)
{
	nx_user_persist_reset();
	*state = t_fix_new();
	return 0;
}

static int teardown(void **state)
{
	t_fix_free(*state);
	nx_user_persist_reset();
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

/* ---- saved values through nx_persist_* (SPC-4 6.13, 7.5.1) -------------- */

#define MODE_KEY "mode.iqn.2024-01.org.nexus:t1.0"

/* A restart: the target and its LU are created anew on the same store. */
static void restart(void **state)
{
	t_fix_free(*state);
	*state = t_fix_new();
}

/* The control page with D_SENSE d and QERR 01b and the IEC page with
 * MRIE m, sent with MODE SELECT(6) PF=1 and SP=sp. */
static struct nx_task *select_iec_control(struct t_fix *f, uint8_t m,
					  bool d, bool sp)
{
	uint8_t p[4 + 12 + 12] = { 0 };

	memcpy(p + 4, page_control, 12);
	p[4] = 0x0a; /* PS is reserved in MODE SELECT */
	p[6] = (uint8_t)(d ? 0x06 : 0x02);
	p[7] = 0x02; /* QERR 01b */
	memcpy(p + 16, page_iec, 12);
	p[16] = 0x1c;
	p[19] = m;
	return select6(f, (uint8_t)(0x10 | (sp ? 0x01 : 0x00)), p, sizeof(p));
}

/* What MODE SENSE(6) PC pc returns for the IEC page: MRIE. */
static uint8_t sensed_mrie(struct t_fix *f, uint8_t pc)
{
	struct nx_task *t = sense6(f, 0x08, (uint8_t)(pc << 6 | 0x1c), 0, 255);

	t_expect_good(t);
	assert_int_equal(t->data[4], pc == 1 ? 0x1c : 0x9c);
	return t->data[7];
}

/* SPC-4 7.5.1: after power on the current values are the saved ones; an
 * SP=0 change is current only and goes with the restart. */
static void test_saved_survive_restart(void **state)
{
	struct t_fix *f = *state;

	t_expect_good(select_iec_control(f, 4, true, true));
	t_expect_good(select_iec_control(f, 6, false, false)); /* SP=0 */
	assert_int_equal(sensed_mrie(f, 0), 6);
	assert_int_equal(sensed_mrie(f, 3), 4);
	restart(state);
	f = *state;
	assert_int_equal(sensed_mrie(f, 3), 4);
	assert_int_equal(sensed_mrie(f, 0), 4);   /* current = saved */
	assert_int_equal(sensed_mrie(f, 2), 0);   /* defaults unchanged */
	assert_true(f->lu->mode.d_sense);
	assert_true(f->lu->mode_saved.d_sense);
	assert_int_equal(f->lu->mode.qerr, 1);
}

/* Another LU of another name does not see them: the key is
 * mode.<target>.<lun>. */
static void test_saved_key_per_target(void **state)
{
	struct t_fix *f = *state;
	struct nx_lu_config cfg = { .lun = 1, .block_size = 512 };
	struct nx_target *other = nx_target_new("iqn.2024-01.org.nexus:t2");
	uint8_t b[256];
	size_t len = 0;

	t_expect_good(select_iec_control(f, 5, false, true));
	assert_int_equal(nx_persist_load(MODE_KEY, b, sizeof(b), &len), 0);
	assert_int_equal(len, 8 + 88); /* header + the five pages */
	assert_memory_equal(b, "NXMP\x01\x00\x00\x58", 8);
	assert_int_equal(nx_target_add_lu(f->tgt, &cfg, nx_bs_ram_new(1u << 20)),
			 0);
	assert_int_equal(nx_target_find_lu(f->tgt, 1)->mode.mrie, 0);
	assert_non_null(other);
	cfg.lun = 0;
	assert_int_equal(nx_target_add_lu(other, &cfg, nx_bs_ram_new(1u << 20)),
			 0);
	assert_int_equal(nx_target_find_lu(other, 0)->mode.mrie, 0);
	nx_target_free(other);
}

static void corrupt_and_expect_defaults(void **state, size_t at, uint8_t xor,
					size_t len_delta)
{
	uint8_t b[256];
	size_t len = 0;
	struct t_fix *f;

	assert_int_equal(nx_persist_load(MODE_KEY, b, sizeof(b), &len), 0);
	b[at] ^= xor;
	assert_int_equal(nx_persist_store(MODE_KEY, b, len - len_delta), 0);
	restart(state);
	f = *state;
	assert_int_equal(sensed_mrie(f, 3), 0);
	assert_int_equal(sensed_mrie(f, 0), 0);
	assert_false(f->lu->mode.d_sense);
	assert_int_equal(f->lu->mode.qerr, 0);
	/* SP=1 puts a good blob back */
	t_expect_good(select_iec_control(f, 4, true, true));
}

/* A stored blob is never trusted: bad magic, version, reserved byte,
 * length, page header, a bit outside the changeable mask, a reserved
 * value (MRIE 7h, QERR 10b), WCE on an LU without a cache: the defaults,
 * all of them (no page is taken from a bad blob). */
static void test_saved_bad_blob_defaults(void **state)
{
	static const struct {
		size_t at;   /* byte of the blob */
		uint8_t xor;
		size_t cut;  /* bytes cut from the end */
	} bad[] = {
		{ 0, 0x01, 0 },             /* magic */
		{ 4, 0x03, 0 },             /* version 2 */
		{ 5, 0x80, 0 },             /* reserved */
		{ 7, 0x01, 0 },             /* length */
		{ 0, 0x00, 1 },             /* truncated */
		{ 0, 0x00, 96 },            /* empty */
		{ 8, 0x80, 0 },             /* PS of page 01h */
		{ 9, 0x01, 0 },             /* page length of page 01h */
		{ 8 + 12, 0x01, 0 },        /* page code 08h -> 09h */
		{ 8 + 12 + 2, 0x04, 0 },    /* WCE: no write cache */
		{ 8 + 32 + 2, 0x20, 0 },    /* TST 001b */
		{ 8 + 32 + 3, 0x06, 0 },    /* QERR 01b -> 10b (reserved) */
		{ 8 + 32 + 2, 0x02, 0 },    /* GLTSD is constant */
		{ 8 + 44 + 5, 0x01, 0 },    /* control extension: reserved */
		{ 8 + 76 + 3, 0x03, 0 },    /* MRIE 4h -> 7h (reserved) */
	};
	struct t_fix *f = *state;

	t_expect_good(select_iec_control(f, 4, true, true));
	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++)
		corrupt_and_expect_defaults(state, bad[i].at, bad[i].xor,
					    bad[i].cut);
	/* and the untouched blob is taken whole */
	restart(state);
	f = *state;
	assert_int_equal(sensed_mrie(f, 0), 4);
	assert_int_equal(f->lu->mode.qerr, 1);
	assert_true(f->lu->mode.d_sense);
}

/* ---- a store that fails ---------------------------------------------- */


/* SPC-4 6.13 SP=1 whose store fails at any step, with an error or a
 * crash: CHECK CONDITION, HARDWARE ERROR, INTERNAL TARGET FAILURE
 * (04/44/00; mode.c save_pages() says why), and nothing changed: current
 * and saved values as before, no MODE PARAMETERS CHANGED for the other
 * nexus.  After a crash the restarted LU has the old saved values before
 * the rename, the new ones after it (never a mix). */
static void test_save_store_fails(void **state)
{
	struct t_fix *f = *state;
	struct nx_ua ua;

	disk_store_on();
	t_expect_good(select_iec_control(f, 4, false, true));
	for (int at = 0; at < NX_USER_PERSIST_STEPS; at++) {
		for (int crash = 0; crash < 2; crash++) {
			bool renamed = at > NX_USER_PERSIST_RENAME;

			drain_ua(f->n2, f->lu);
			fail.at = at;
			fail.action = crash ? NX_USER_PERSIST_CRASH : NX_EIO;
			struct nx_task *t = select_iec_control(f, 6, true, true);
			t_expect_sense(t, 0x04, 0x44, 0x00);
			fail.at = -1;
			assert_int_equal(f->lu->mode.mrie, 4);
			assert_int_equal(f->lu->mode_saved.mrie, 4);
			assert_false(f->lu->mode.d_sense);
			assert_int_equal(sensed_mrie(f, 3), 4);
			assert_false(nx_ua_pop(f->n2, f->lu, &ua));
			restart(state);
			f = *state;
			assert_int_equal(sensed_mrie(f, 3), renamed ? 6 : 4);
			assert_int_equal(f->lu->mode.d_sense, renamed);
			t_expect_good(select_iec_control(f, 4, false, true));
		}
	}
	/* SP=0 needs no store: GOOD even while every store fails */
	fail.at = NX_USER_PERSIST_OPEN_TMP;
	fail.action = NX_ENOSPC;
	t_expect_good(select_iec_control(f, 3, false, false));
	assert_int_equal(f->lu->mode.mrie, 3);
	assert_int_equal(f->lu->mode_saved.mrie, 4);
	t_expect_sense(select_iec_control(f, 5, false, true), 0x04, 0x44, 0x00);
	assert_int_equal(f->lu->mode.mrie, 3);
	fail.at = -1;
	disk_store_off();
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
		cmocka_unit_test_setup_teardown(test_saved_survive_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saved_key_per_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_saved_bad_blob_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_store_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_not_changeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_length_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_pf0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_block_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_d_sense, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
