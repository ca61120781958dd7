/*
 * xcopy_test.c - the copy manager (xcopy.c): the parameter-list decoder
 * on its own (exact ASC/ASCQ and field pointers), the Third-party Copy
 * VPD payload byte for byte, COPY ABORTED sense layout (sense.c), and
 * EXTENDED COPY / RECEIVE COPY RESULTS end to end through the dispatcher
 * on fake backstores, inline and deferred.
 *
 * The .c is included (SPDK style) so the static decoder is reachable; the
 * archive's xcopy.o is then never pulled in.
 */
#include "tests/unit/core_fixture.h"

/* xcopy.c's allocations, with one size that can be made to fail: the
 * nexus's table of held results (test_held_table_lazy). */
static bool held_alloc_fail;
static void *xc_test_alloc(size_t size);
#define nx_alloc xc_test_alloc
#include "core/xcopy.c"
#undef nx_alloc

static void *xc_test_alloc(size_t size)
{
	if (held_alloc_fail &&
	    size == sizeof(struct nx_xcopy_held) * NX_XCOPY_HELD_MAX)
		return NULL;
	return nx_alloc(size);
}

#define NBLK (FX_SIZE / 512)
#define BIG_SIZE (4u << 20)

/* A 4 MiB LU: room for non-overlapping copies of more than one chunk. */
static int big_setup(void **state)
{
	(void)state;
	fx_setup_opts(BIG_SIZE, true, false, 512);
	while (nx_ua_pop(fx.n1, fx.lu, NULL))
		;
	return 0;
}

/* ---- parameter list builders --------------------------------------------- */

static void put_hdr(uint8_t *p, uint8_t id, uint8_t usage, uint16_t cl,
		    uint32_t sl, uint32_t il)
{
	memset(p, 0, XC_HDR_LEN);
	p[0] = id;
	p[1] = (uint8_t)(usage << 3);
	nx_put_be16(p + 2, cl);
	nx_put_be32(p + 8, sl);
	nx_put_be32(p + 12, il);
}

/* E4h identification descriptor naming lu by its NAA designator. */
static void put_cscd(uint8_t *p, const struct nx_lu *lu)
{
	memset(p, 0, XC_CSCD_LEN);
	p[0] = 0xe4;
	p[4] = 0x01;        /* binary */
	p[5] = 0x03;        /* LU association, NAA */
	p[7] = 16;
	memcpy(p + 8, lu->naa, 16);
	nx_put_be24(p + 29, lu->block_size);
}

static void put_seg02(uint8_t *p, uint16_t sid, uint16_t did, uint16_t n,
		      uint64_t slba, uint64_t dlba)
{
	memset(p, 0, XC_SEG02_LEN);
	p[0] = 0x02;
	nx_put_be16(p + 2, 0x18);
	nx_put_be16(p + 4, sid);
	nx_put_be16(p + 6, did);
	nx_put_be16(p + 10, n);
	nx_put_be64(p + 12, slba);
	nx_put_be64(p + 20, dlba);
}

static void put_seg0a(uint8_t *p, uint16_t sid, uint16_t did, uint32_t bytes,
		      uint64_t slba, uint64_t dlba, uint16_t soff, uint16_t doff)
{
	memset(p, 0, XC_SEG0A_LEN);
	p[0] = 0x0a;
	nx_put_be16(p + 2, 0x1c);
	nx_put_be16(p + 4, sid);
	nx_put_be16(p + 6, did);
	nx_put_be32(p + 8, bytes);
	nx_put_be64(p + 12, slba);
	nx_put_be64(p + 20, dlba);
	nx_put_be16(p + 28, soff);
	nx_put_be16(p + 30, doff);
}

static void expect_err(const uint8_t *p, uint32_t len, uint8_t asc,
		       uint8_t ascq, int32_t byte, int8_t bit)
{
	struct xc_list l;
	struct xc_err e;

	assert_false(xc_decode(p, len, &l, &e));
	assert_int_equal(e.asc, asc);
	assert_int_equal(e.ascq, ascq);
	assert_int_equal(e.byte, byte);
	assert_int_equal(e.bit, bit);
}

/* ---- the decoder ----------------------------------------------------------- */

static void test_decode_valid(void **state)
{
	uint8_t p[16 + 2 * 32 + 28 + 32];
	struct xc_list l;
	struct xc_err e;

	put_hdr(p, 7, USAGE_DISCARD, 64, 60, 0);
	put_cscd(p + 16, fx.lu);
	put_cscd(p + 48, fx.lu);
	put_seg02(p + 80, 0, 1, 4, 0, 8);
	put_seg0a(p + 108, 1, 0, 512, 0, 0, 3, 5);
	assert_true(xc_decode(p, sizeof(p), &l, &e));
	assert_int_equal(l.list_id, 7);
	assert_int_equal(l.usage, USAGE_DISCARD);
	assert_int_equal(l.ncscd, 2);
	assert_int_equal(l.nseg, 2);
	assert_int_equal(l.seg_off[0], 80);
	assert_int_equal(l.seg_off[1], 108);
}

static void test_decode_header(void **state)
{
	uint8_t p[16 + 32 + 28];

	put_hdr(p, 1, USAGE_HOLD, 32, 28, 0);
	put_cscd(p + 16, fx.lu);
	put_seg02(p + 48, 0, 0, 1, 0, 1);
	/* shorter than the header: PARAMETER LIST LENGTH ERROR */
	expect_err(p, 15, 0x1a, 0x00, -1, -1);
	/* the lengths run past PARAMETER LIST LENGTH (SPC-4 6.4.3) */
	expect_err(p, sizeof(p) - 1, 0x1a, 0x00, -1, -1);
	/* LIST ID USAGE 01b is reserved */
	p[1] = 1 << 3;
	expect_err(p, sizeof(p), 0x26, 0x00, 1, 4);
	/* LIST ID USAGE 11b needs LIST IDENTIFIER 0 */
	p[1] = 3 << 3;
	expect_err(p, sizeof(p), 0x26, 0x00, 0, 7);
	p[0] = 0;
	struct xc_list l;
	struct xc_err e;
	assert_true(xc_decode(p, sizeof(p), &l, &e));
}

static void test_decode_lengths(void **state)
{
	static uint8_t p[16 + XC_MAX_DESC_LEN + 64];

	/* descriptor lists longer than MAXIMUM DESCRIPTOR LIST LENGTH */
	put_hdr(p, 1, 0, 32, XC_MAX_DESC_LEN - 32 + 28, 0);
	expect_err(p, sizeof(p), 0x1a, 0x00, -1, -1);
	/* inline data: MAXIMUM INLINE DATA LENGTH is 0 */
	put_hdr(p, 1, 0, 32, 28, 4);
	put_cscd(p + 16, fx.lu);
	put_seg02(p + 48, 0, 0, 1, 0, 1);
	expect_err(p, 16 + 32 + 28 + 4, 0x26, 0x0b, -1, -1);
	/* CSCD list length cutting a descriptor */
	put_hdr(p, 1, 0, 40, 0, 0);
	expect_err(p, 16 + 40, 0x26, 0x00, 2, 7);
	/* segment DESCRIPTOR LENGTH not 0018h */
	put_hdr(p, 1, 0, 32, 28, 0);
	nx_put_be16(p + 48 + 2, 0x14);
	expect_err(p, 16 + 32 + 28, 0x26, 0x00, 50, 7);
	/* segment list length cutting a descriptor */
	put_seg02(p + 48, 0, 0, 1, 0, 1);
	put_hdr(p, 1, 0, 32, 27, 0);
	expect_err(p, 16 + 32 + 27, 0x26, 0x00, 8, 7);
}

static void test_decode_counts_and_types(void **state)
{
	static uint8_t p[16 + 40 * 32];
	uint32_t n;

	/* MAXIMUM CSCD DESCRIPTOR COUNT + 1 */
	n = XC_MAX_CSCD + 1;
	put_hdr(p, 1, 0, (uint16_t)(n * 32), 0, 0);
	for (uint32_t i = 0; i < n; i++)
		put_cscd(p + 16 + i * 32, fx.lu);
	expect_err(p, 16 + n * 32, 0x26, 0x06, -1, -1);
	/* Fibre Channel N_Port_Name CSCD (E0h): unsupported type */
	put_hdr(p, 1, 0, 32, 0, 0);
	p[16] = 0xe0;
	expect_err(p, 16 + 32, 0x26, 0x07, -1, -1);
	/* MAXIMUM SEGMENT DESCRIPTOR COUNT + 1 */
	n = XC_MAX_SEGS + 1;
	put_hdr(p, 1, 0, 32, n * 28, 0);
	put_cscd(p + 16, fx.lu);
	for (uint32_t i = 0; i < n; i++)
		put_seg02(p + 48 + i * 28, 0, 0, 1, 0, 1);
	expect_err(p, 16 + 32 + n * 28, 0x26, 0x08, -1, -1);
	/* stream to stream (03h): unsupported segment type */
	put_hdr(p, 1, 0, 32, 20, 0);
	memset(p + 48, 0, 20);
	p[48] = 0x03;
	nx_put_be16(p + 50, 0x10);
	expect_err(p, 16 + 32 + 20, 0x26, 0x09, -1, -1);
}

static void test_decode_ident(void **state)
{
	uint8_t p[16 + 32];

	put_hdr(p, 1, 0, 32, 0, 0);
	put_cscd(p + 16, fx.lu);
	p[21] = 0x13; /* target port association */
	expect_err(p, sizeof(p), 0x26, 0x00, 21, 5);
	p[21] = 0x03;
	p[20] = 0x02; /* NAA in ASCII */
	expect_err(p, sizeof(p), 0x26, 0x00, 20, 3);
	p[20] = 0x01;
	p[21] = 0x08; /* SCSI name string: not an LU designator nexus uses */
	expect_err(p, sizeof(p), 0x26, 0x00, 21, 3);
	p[21] = 0x03;
	p[23] = 21;
	expect_err(p, sizeof(p), 0x26, 0x00, 23, 7);
	p[23] = 16;
	/* LU ID TYPE and NUL are ignored (SPC-4) */
	p[17] = 0x80 | 0x20;
	struct xc_list l;
	struct xc_err e;
	assert_true(xc_decode(p, sizeof(p), &l, &e));
}

/* ---- Third-party Copy VPD, operating parameters ---------------------------- */

static void test_vpd_3pc_bytes(void **state)
{
	uint8_t b[128];
	size_t n = nx_xcopy_vpd_3pc(fx.lu, b, sizeof(b));
	static const uint8_t cmds[] = { 0x00, 0x01, 0x00, 0x0c, 8, 0x83, 1,
					0x00, 0x84, 3, 0x00, 0x03, 0x04, 0,
					0, 0 };
	static const uint8_t tail[] = { 0x00, 0x08, 0x00, 0x04, 3, 0x02, 0x0a,
					0xe4, 0x00, 0x0c, 0x00, 0x04, 0x00,
					0x02, 0xff, 0xff, 0x80, 0x01, 0x00,
					0x1c };

	assert_int_equal(n, 16 + 32 + 8 + 8 + 32);
	assert_memory_equal(b, cmds, sizeof(cmds));
	assert_int_equal(nx_get_be16(b + 16), 0x0004);
	assert_int_equal(nx_get_be16(b + 18), 0x1c);
	assert_int_equal(nx_get_be16(b + 24), XC_MAX_CSCD);
	assert_int_equal(nx_get_be16(b + 26), XC_MAX_SEGS);
	assert_int_equal(nx_get_be32(b + 28), XC_MAX_DESC_LEN);
	assert_int_equal(nx_get_be32(b + 32), 0);
	assert_memory_equal(b + 48, tail, sizeof(tail));
	assert_int_equal(nx_get_be32(b + 68), XC_MAX_COPIES);
	assert_int_equal(nx_get_be32(b + 76), XC_MAX_SEGMENT);
	assert_int_equal(b[80], 9);
}

static void run_rcr(struct cmd *c, uint8_t sa, uint8_t id, uint32_t alloc)
{
	uint8_t cdb[16] = { 0x84, sa, id };

	nx_put_be32(cdb + 10, alloc);
	run(c, cdb, 16, NULL, 0);
}

static void test_rcr_op_params(void **state)
{
	struct cmd c;

	run_rcr(&c, 0x03, 0, 255);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 47);
	assert_int_equal(nx_get_be32(c.t.data), 43);
	assert_int_equal(c.t.data[4], 0x01);
	assert_int_equal(nx_get_be16(c.t.data + 8), 8);
	assert_int_equal(nx_get_be16(c.t.data + 10), 32);
	assert_int_equal(nx_get_be32(c.t.data + 12), 2048);
	assert_int_equal(nx_get_be32(c.t.data + 16), 32u << 20);
	assert_int_equal(nx_get_be16(c.t.data + 34), 16);
	assert_int_equal(c.t.data[36], 16);
	assert_int_equal(c.t.data[37], 9);
	assert_int_equal(c.t.data[43], 3);
	assert_int_equal(c.t.data[44], 0x02);
	assert_int_equal(c.t.data[45], 0x0a);
	assert_int_equal(c.t.data[46], 0xe4);
	cmd_done(&c);
}

/* ---- EXTENDED COPY end to end ---------------------------------------------- */

static void run_xcopy(struct cmd *c, const uint8_t *p, uint32_t len)
{
	uint8_t cdb[16] = { 0x83 };

	nx_put_be32(cdb + 10, len);
	run(c, cdb, 16, p, len);
}

/* One CSCD for LU 0 and one 02h segment. */
static uint32_t list_one(uint8_t *p, uint8_t id, uint8_t usage, uint16_t n,
			 uint64_t slba, uint64_t dlba)
{
	put_hdr(p, id, usage, 32, 28, 0);
	put_cscd(p + 16, fx.lu);
	put_seg02(p + 48, 0, 0, n, slba, dlba);
	return 16 + 32 + 28;
}

static void test_xcopy_copies(void **state)
{
	uint8_t p[128];
	struct cmd c;

	for (uint32_t i = 0; i < 8 * 512; i++)
		fx.fb->mem[i] = (uint8_t)(i * 13 + 1);
	run_xcopy(&c, p, list_one(p, 1, USAGE_DISCARD, 8, 0, 100));
	expect_good(&c.t);
	cmd_done(&c);
	assert_memory_equal(fx.fb->mem + 100 * 512, fx.fb->mem, 8 * 512);
	assert_int_equal(fx.tgt->xcopy_running, 0);
	/* LIST ID USAGE 10b: nothing held */
	run_rcr(&c, 0x00, 1, 12);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
}

/* Larger than one chunk, through the deferred (event loop) path, with
 * the FFFFh CSCD DESCRIPTOR ID for the source. */
static void test_xcopy_deferred_chunks(void **state)
{
	uint8_t p[128];
	struct cmd c;
	uint32_t n = XC_CHUNK / 512 + 3;

	for (uint32_t i = 0; i < n * 512; i++)
		fx.fb->mem[i] = (uint8_t)(i * 7 + i / 512);
	list_one(p, 2, USAGE_HOLD, (uint16_t)n, 0, BIG_SIZE / 512 - n);
	nx_put_be16(p + 48 + 4, 0xffff);
	fx.fb->deferred = true;
	run_xcopy(&c, p, 76);
	assert_int_equal(nrecs, 0);
	fb_complete_all(fx.fb);
	assert_int_equal(nrecs, 1);
	expect_good(&c.t);
	cmd_done(&c);
	fx.fb->deferred = false;
	assert_memory_equal(fx.fb->mem + (BIG_SIZE / 512 - n) * 512,
			    fx.fb->mem, n * 512);
	/* COPY STATUS: completed, 1 segment, n * 512 bytes; then discarded */
	run_rcr(&c, 0x00, 2, 12);
	expect_good(&c.t);
	static const uint8_t hdr[] = { 0, 0, 0, 8, 0x01, 0, 1, 0 };
	assert_memory_equal(c.t.data, hdr, sizeof(hdr));
	assert_int_equal(nx_get_be32(c.t.data + 8), n * 512);
	cmd_done(&c);
	run_rcr(&c, 0x00, 2, 12);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
}

/* 0Ah with byte offsets: read-modify-write of the destination blocks. */
static void test_xcopy_byte_offsets(void **state)
{
	uint8_t p[128], old[3 * 512];
	struct cmd c;

	for (uint32_t i = 0; i < 3 * 512; i++)
		fx.fb->mem[i] = (uint8_t)(i + 5);
	for (uint32_t i = 0; i < sizeof(old); i++)
		old[i] = fx.fb->mem[50 * 512 + i] = (uint8_t)(0xa0 ^ i);
	put_hdr(p, 3, USAGE_NOLIST, 32, 32, 0);
	p[0] = 0;
	put_cscd(p + 16, fx.lu);
	put_seg0a(p + 48, 0, 0, 700, 0, 50, 10, 300);
	run_xcopy(&c, p, 80);
	expect_good(&c.t);
	cmd_done(&c);
	memcpy(old + 300, fx.fb->mem + 10, 700);
	assert_memory_equal(fx.fb->mem + 50 * 512, old, sizeof(old));
}

static void test_xcopy_param_len_zero(void **state)
{
	struct cmd c;

	run_xcopy(&c, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
}

/* Fixed-format COPY ABORTED with the destination's forwarded sense. */
static void test_xcopy_beyond_capacity(void **state)
{
	uint8_t p[128];
	struct cmd c;
	static const uint8_t want[] = {
		0x70, 0, 0x0a, 0, 0, 0, 0, 29, 0, 18, 0, 0, 0x00, 0x00, 0, 0,
		0, 0, NX_STATUS_CHECK_CONDITION, 0x70, 0, 0x05, 0, 0, 0, 0, 10,
		0, 0, 0, 0, 0x21, 0x00, 0, 0, 0, 0
	};

	fx.fb->nsubmit = 0;
	run_xcopy(&c, p, list_one(p, 4, USAGE_HOLD, 16, 0, NBLK - 1));
	assert_int_equal(c.t.sense_len, sizeof(want));
	assert_memory_equal(c.t.sense, want, sizeof(want));
	assert_int_equal(fx.fb->nsubmit, 0);
	cmd_done(&c);
	/* COPY STATUS: completed with errors; FAILED SEGMENT DETAILS: the
	 * status and sense, then nothing */
	run_rcr(&c, 0x00, 4, 12);
	expect_good(&c.t);
	assert_int_equal(c.t.data[4], 0x02);
	assert_int_equal(nx_get_be16(c.t.data + 5), 1);
	cmd_done(&c);
	run_rcr(&c, 0x04, 4, 255);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 60 + sizeof(want));
	assert_int_equal(nx_get_be32(c.t.data), 56 + sizeof(want));
	assert_int_equal(c.t.data[56], NX_STATUS_CHECK_CONDITION);
	assert_int_equal(nx_get_be16(c.t.data + 58), sizeof(want));
	assert_memory_equal(c.t.data + 60, want, sizeof(want));
	cmd_done(&c);
	run_rcr(&c, 0x04, 4, 255);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 4);
	assert_int_equal(nx_get_be32(c.t.data), 0);
	cmd_done(&c);
}

/* Unknown CSCD index: COPY ABORTED / COPY TARGET DEVICE NOT REACHABLE,
 * segment pointer (SD=1) at DESTINATION CSCD DESCRIPTOR ID. */
static void test_xcopy_bad_index(void **state)
{
	uint8_t p[128];
	struct cmd c;
	static const uint8_t want[] = { 0x70, 0, 0x0a, 0, 0, 0, 0, 10, 0, 0,
					0, 0, 0x0d, 0x02, 0, 0xa0, 0, 6 };

	list_one(p, 5, USAGE_HOLD, 1, 0, 1);
	nx_put_be16(p + 48 + 6, 1);
	run_xcopy(&c, p, 76);
	assert_int_equal(c.t.sense_len, sizeof(want));
	assert_memory_equal(c.t.sense, want, sizeof(want));
	cmd_done(&c);
}

/* Descriptor-format COPY ABORTED: command-specific information, forwarded
 * sense data (SENSE DATA SOURCE 2h: destination) of a write-protected
 * destination (SWP). */
static void test_xcopy_write_protected_desc(void **state)
{
	uint8_t p[128];
	struct cmd c;
	static const uint8_t want[] = {
		0x72, 0x0a, 0x00, 0x00, 0, 0, 0, 34,
		0x01, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x0c, 20, 0x02, NX_STATUS_CHECK_CONDITION,
		0x70, 0, 0x07, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x27, 0x00, 0, 0,
		0, 0
	};

	fx.lu->mode.d_sense = true;
	fx.lu->mode.swp = true;
	run_xcopy(&c, p, list_one(p, 6, USAGE_HOLD, 1, 0, 1));
	assert_int_equal(c.t.sense_len, sizeof(want));
	assert_memory_equal(c.t.sense, want, sizeof(want));
	cmd_done(&c);
	fx.lu->mode.swp = false;
	fx.lu->mode.d_sense = false;
}

/* A list identifier in progress on this I_T nexus: OPERATION IN
 * PROGRESS; another nexus may use the same number. */
static void test_xcopy_list_id_in_progress(void **state)
{
	uint8_t p[128];
	struct cmd a, b, o;

	list_one(p, 9, USAGE_HOLD, 4, 0, 200);
	fx.fb->deferred = true;
	run_xcopy(&a, p, 76);
	run_xcopy(&b, p, 76);
	expect_sense(&b.t, 0x05, 0x00, 0x16);
	cmd_done(&b);
	/* COPY STATUS while it runs: operation in progress */
	run_rcr(&o, 0x00, 9, 12);
	expect_good(&o.t);
	assert_int_equal(o.t.data[4], 0x00);
	cmd_done(&o);
	cmd_prepare(&o, fx.n2, 0, (const uint8_t[16]){ 0x83, 0, 0, 0, 0, 0,
						      0, 0, 0, 0, 0, 0, 0,
						      76 },
		    16);
	cmd_run(&o, p, 76);
	fb_complete_all(fx.fb);
	fx.fb->deferred = false;
	expect_good(&a.t);
	expect_good(&o.t);
	cmd_done(&a);
	cmd_done(&o);
}

/* Across LUs of different block sizes: 8 x 512 bytes -> 1 x 4096. */
static void test_xcopy_cross_lu(void **state)
{
	struct fake_bs *f2 = fb_new(64 * 4096, false);
	struct nx_lu_config cfg = { .lun = 1, .block_size = 4096 };
	uint8_t p[16 + 64 + 28];
	struct cmd c;

	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, &f2->bs), 0);
	struct nx_lu *lu1 = nx_target_find_lu(fx.tgt, 1);
	while (nx_ua_pop(fx.n1, fx.lu, NULL))
		;
	for (uint32_t i = 0; i < 4096; i++)
		fx.fb->mem[512 + i] = (uint8_t)(i ^ 0x5a);
	put_hdr(p, 10, USAGE_HOLD, 64, 28, 0);
	put_cscd(p + 16, fx.lu);
	put_cscd(p + 48, lu1);
	put_seg02(p + 80, 0, 1, 8, 1, 3);
	run_xcopy(&c, p, sizeof(p));
	expect_good(&c.t);
	cmd_done(&c);
	assert_memory_equal(f2->mem + 3 * 4096, fx.fb->mem + 512, 4096);
	/* DC=1: 1 destination block; 02h with a DISK BLOCK LENGTH that is
	 * not the LU's -> COPY ABORTED pointing at the CSCD field */
	p[81] = 0x02;
	nx_put_be16(p + 90, 1);
	nx_put_be24(p + 48 + 29, 512);
	run_xcopy(&c, p, sizeof(p));
	expect_sense(&c.t, 0x0a, 0x26, 0x00);
	assert_int_equal(c.t.sense[15], 0x80);
	assert_int_equal(nx_get_be16(c.t.sense + 16), 48 + 29);
	cmd_done(&c);
	/* inexact: 3 source blocks are not whole destination blocks */
	nx_put_be24(p + 48 + 29, 4096);
	p[81] = 0;
	nx_put_be16(p + 90, 3);
	run_xcopy(&c, p, sizeof(p));
	expect_sense(&c.t, 0x0a, 0x26, 0x0a);
	cmd_done(&c);
}

/* An I/O error of the source: COPY ABORTED with MEDIUM ERROR forwarded
 * from the copy source (fixed: SOURCE SENSE DATA OFFSET 18). */
static void test_xcopy_read_error(void **state)
{
	uint8_t p[128];
	struct cmd c;

	fx.fb->fail_next = NX_EIO;
	run_xcopy(&c, p, list_one(p, 11, USAGE_HOLD, 2, 0, 10));
	expect_sense(&c.t, 0x0a, 0x00, 0x00);
	assert_int_equal(c.t.sense[8], 18);
	assert_int_equal(c.t.sense[9], 0);
	assert_int_equal(c.t.sense[18], NX_STATUS_CHECK_CONDITION);
	assert_int_equal(c.t.sense[21], 0x03);
	assert_int_equal(c.t.sense[31], 0x11);
	cmd_done(&c);
}

/* LIST ID USAGE 00b results are bounded: the oldest completed list goes. */
static void test_held_bounded(void **state)
{
	uint8_t p[128];
	struct cmd c;

	for (unsigned i = 0; i < NX_XCOPY_HELD_MAX + 1; i++) {
		run_xcopy(&c, p, list_one(p, (uint8_t)(20 + i), USAGE_HOLD, 1,
					  0, 1));
		expect_good(&c.t);
		cmd_done(&c);
	}
	run_rcr(&c, 0x00, 20, 12);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	run_rcr(&c, 0x00, 21, 12);
	expect_good(&c.t);
	cmd_done(&c);
}

/* The held-results table comes with the nexus's first list that holds
 * results: none for LIST ID USAGE 11b; without memory for it, ILLEGAL
 * REQUEST, INSUFFICIENT RESOURCES and nothing copied; freed with the
 * nexus (the teardown's leak check). */
static void test_held_table_lazy(void **state)
{
	uint8_t p[128];
	struct cmd c;

	assert_null(fx.n1->xcopy);
	run_xcopy(&c, p, list_one(p, 0, USAGE_NOLIST, 1, 0, 1));
	expect_good(&c.t);
	cmd_done(&c);
	assert_null(fx.n1->xcopy);
	run_rcr(&c, 0x00, 0, 12);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	memset(fx.fb->mem, 0x11, 512);
	memset(fx.fb->mem + 2 * 512, 0x5a, 512);
	held_alloc_fail = true;
	run_xcopy(&c, p, list_one(p, 30, USAGE_HOLD, 1, 0, 2));
	held_alloc_fail = false;
	expect_sense(&c.t, 0x05, 0x55, 0x03);
	cmd_done(&c);
	assert_null(fx.n1->xcopy);
	assert_int_equal(fx.tgt->xcopy_running, 0);
	assert_int_equal(fx.fb->mem[2 * 512], 0x5a);
	run_xcopy(&c, p, list_one(p, 30, USAGE_HOLD, 1, 0, 2));
	expect_good(&c.t);
	cmd_done(&c);
	assert_int_equal(fx.fb->mem[2 * 512], 0x11);
	assert_non_null(fx.n1->xcopy);
	assert_null(fx.n2->xcopy);
	run_rcr(&c, 0x00, 30, 12);
	expect_good(&c.t);
	assert_int_equal(c.t.data[4], 0x01); /* COPY MANAGER STATUS: done */
	cmd_done(&c);
}

/* An abort stops the copy at a chunk boundary; nothing is left running. */
static void test_xcopy_abort(void **state)
{
	uint8_t p[128];
	struct cmd c;

	fx.fb->deferred = true;
	run_xcopy(&c, p, list_one(p, 12, USAGE_HOLD, 64, 0, 300));
	assert_int_equal(fx.tgt->xcopy_running, 1);
	nx_task_abort(&c.t, false);
	fb_complete_all(fx.fb);
	fx.fb->deferred = false;
	assert_int_equal(nrecs, 1);
	assert_true(recs[0].aborted);
	assert_int_equal(fx.tgt->xcopy_running, 0);
	cmd_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_decode_valid),
		T(test_held_table_lazy),
		T(test_decode_header),
		T(test_decode_lengths),
		T(test_decode_counts_and_types),
		T(test_decode_ident),
		T(test_vpd_3pc_bytes),
		T(test_rcr_op_params),
		T(test_xcopy_copies),
		cmocka_unit_test_setup_teardown(test_xcopy_deferred_chunks,
						big_setup, fx_teardown),
		T(test_xcopy_byte_offsets),
		T(test_xcopy_param_len_zero),
		T(test_xcopy_beyond_capacity),
		T(test_xcopy_bad_index),
		T(test_xcopy_write_protected_desc),
		T(test_xcopy_list_id_in_progress),
		T(test_xcopy_cross_lu),
		T(test_xcopy_read_error),
		T(test_held_bounded),
		T(test_xcopy_abort),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
