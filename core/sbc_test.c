/*
 * sbc_test.c - SBC-3 commands through the real dispatcher on a fake
 * backstore (tests/unit/core_fixture.h): exact status, sense and data.
 */
#include "tests/unit/core_fixture.h"

#define NBLK (FX_SIZE / 512)

/* A command from n1 that must end GOOD. */
static void run_expect_good(const uint8_t *cdb, size_t len)
{
	struct cmd c;

	run(&c, cdb, len, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
}

/* A command from n1 (with data-out) that must end CHECK CONDITION with
 * key/asc/ascq. */
static void run_expect_sense(const uint8_t *cdb, size_t len, const void *dout,
			     size_t dout_len, uint8_t key, uint8_t asc,
			     uint8_t ascq)
{
	struct cmd c;

	run(&c, cdb, len, dout, dout_len);
	expect_sense(&c.t, key, asc, ascq);
	cmd_done(&c);
}

static uint8_t pattern[64 * 1024];

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void write10(uint32_t lba, uint16_t n, const uint8_t *data)
{
	struct cmd c;
	uint8_t cdb[10];

	put_cdb10(cdb, 0x2a, lba, n);
	run(&c, cdb, 10, data, (size_t)n * 512);
	expect_good(&c.t);
	cmd_done(&c);
}

/* Like run(), with the initiator's expected transfer length (iSCSI EDTL)
 * set the way a transport does before nx_task_setup(). */
static void run_edtl(struct cmd *c, const uint8_t *cdb, size_t cdb_len,
		     const void *dout, size_t dout_len, uint32_t edtl)
{
	cmd_prepare(c, fx.n1, 0, cdb, cdb_len);
	c->t.expected_len = edtl;
	cmd_run(c, dout, dout_len);
}

/* Fixed-format sense of ILLEGAL REQUEST / INVALID FIELD IN CDB with the
 * SKSV field pointer (SPC-4 4.5.2.4.2) at CDB byte `byte`, bit `bit`. */
static void expect_cdb_field(const struct nx_task *t, uint8_t byte, uint8_t bit)
{
	const uint8_t want[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0,
				   0x24, 0x00, 0, (uint8_t)(0xc8 | bit), 0x00,
				   byte };

	assert_int_equal(t->status, NX_STATUS_CHECK_CONDITION);
	assert_int_equal(t->sense_len, 18);
	assert_memory_equal(t->sense, want, 18);
}

static void test_write_read10_roundtrip(void **state)
{
	struct cmd c;
	uint8_t cdb[10];

	fill(pattern, 1024, 3);
	write10(5, 2, pattern);
	put_cdb10(cdb, 0x28, 5, 2);
	run(&c, cdb, 10, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.dir, NX_DIR_READ);
	assert_int_equal(c.t.data_len, 1024);
	assert_int_equal(c.t.xfer_len, 1024);
	assert_memory_equal(c.t.data, pattern, 1024);
	assert_int_equal(nrecs, 2);
	assert_int_equal(fx.n1->tasks_outstanding, 0);
	cmd_done(&c);
}

static void test_read_lba_out_of_range(void **state)
{
	struct cmd c;
	uint8_t cdb[16];

	put_cdb10(cdb, 0x28, NBLK - 1, 2);
	run(&c, cdb, 10, NULL, 0);
	assert_false(c.setup_ok);
	expect_sense(&c.t, 0x05, 0x21, 0x00);
	assert_int_equal(c.t.data_len, 0);
	cmd_done(&c);
	/* zero length: the LBA is still checked (SBC-3 4.5) */
	put_cdb10(cdb, 0x28, NBLK + 1, 0);
	run_expect_sense(cdb, 10, NULL, 0, 0x05, 0x21, 0x00);
	put_cdb16(cdb, 0x88, 0xffffffffffffffffull, 1);
	run_expect_sense(cdb, 16, NULL, 0, 0x05, 0x21, 0x00);
	put_cdb10(cdb, 0x28, NBLK, 0);
	run(&c, cdb, 10, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 0);
	cmd_done(&c);
}

/* RDPROTECT != 0 without protection information: reserved bits, so
 * INVALID FIELD IN CDB pointing at byte 1 bit 5 (SPC-4 4.5.2.4.2). */
static void test_read10_rdprotect_field_pointer(void **state)
{
	struct cmd c;
	uint8_t cdb[10];
	const uint8_t want[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0,
				   0x24, 0x00, 0, 0xcd, 0x00, 0x01 };

	put_cdb10(cdb, 0x28, 0, 1);
	cdb[1] = 0x20;
	run(&c, cdb, 10, NULL, 0);
	assert_false(c.setup_ok);
	assert_int_equal(c.t.sense_len, 18);
	assert_memory_equal(c.t.sense, want, 18);
	cmd_done(&c);
}

static void test_read6_zero_means_256(void **state)
{
	struct cmd c;
	uint8_t cdb[6] = { 0x08, 0, 0, 0, 0, 0 };

	run(&c, cdb, 6, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data_len, 256 * 512);
	assert_int_equal(c.t.xfer_len, 256 * 512);
	cmd_done(&c);
	/* LBA 0x1fffff is past a 2048-block LU */
	uint8_t oob[6] = { 0x08, 0x1f, 0xff, 0xff, 1, 0 };
	run_expect_sense(oob, 6, NULL, 0, 0x05, 0x21, 0x00);
}

static void test_write_fua_and_wce(void **state)
{
	struct cmd c;
	uint8_t cdb[16];

	put_cdb16(cdb, 0x8a, 1, 1);
	cdb[1] = 0x08; /* FUA */
	run(&c, cdb, 16, pattern, 512);
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_flags, NX_BS_FUA);
	cmd_done(&c);
	cdb[1] = 0x10; /* DPO only */
	run(&c, cdb, 16, pattern, 512);
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_flags, 0);
	cmd_done(&c);
	fx.lu->mode.wce = false; /* write-through */
	run(&c, cdb, 16, pattern, 512);
	assert_int_equal(fx.fb->last_flags, NX_BS_FUA);
	cmd_done(&c);
}

static void test_transfer_length_limit(void **state)
{
	struct cmd c;
	uint8_t cdb[16];

	put_cdb16(cdb, 0x88, 0, NX_MAX_XFER_BYTES / 512 + 1);
	run(&c, cdb, 16, NULL, 0);
	assert_false(c.setup_ok);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	assert_int_equal(c.t.sense[15], 0xc8 | 7);
	assert_int_equal(nx_get_be16(c.t.sense + 16), 10);
	cmd_done(&c);
}

static void test_verify_bytchk(void **state)
{
	struct cmd c;
	uint8_t cdb[10], buf[1024];

	fill(pattern, 1024, 9);
	write10(10, 2, pattern);
	put_cdb10(cdb, 0x2f, 10, 2);
	cdb[1] = 0x02; /* BYTCHK 01b */
	run(&c, cdb, 10, pattern, 1024);
	assert_int_equal(c.t.data_len, 1024);
	expect_good(&c.t);
	cmd_done(&c);
	memcpy(buf, pattern, sizeof(buf));
	buf[700] ^= 0xff;
	run(&c, cdb, 10, buf, 1024);
	expect_sense(&c.t, 0x0e, 0x1d, 0x00);
	assert_int_equal(c.t.sense[0], 0xf0); /* VALID: INFORMATION set */
	assert_int_equal(nx_get_be32(c.t.sense + 3), 700);
	cmd_done(&c);
	/* BYTCHK 00b: medium verification, no data-out */
	cdb[1] = 0;
	run(&c, cdb, 10, NULL, 0);
	assert_int_equal(c.t.data_len, 0);
	expect_good(&c.t);
	cmd_done(&c);
	/* BYTCHK 10b is reserved */
	cdb[1] = 0x04;
	run_expect_sense(cdb, 10, NULL, 0, 0x05, 0x24, 0x00);
}

static void test_verify_bytchk_11b(void **state)
{
	struct cmd c;
	uint8_t cdb[16], blk[512];

	memset(blk, 0x5a, sizeof(blk));
	for (int i = 0; i < 3; i++)
		write10(20 + i, 1, blk);
	put_cdb16(cdb, 0x8f, 20, 3);
	cdb[1] = 0x06;
	run(&c, cdb, 16, blk, 512);
	assert_int_equal(c.t.data_len, 512);
	expect_good(&c.t);
	cmd_done(&c);
	blk[3] = 0;
	run(&c, cdb, 16, blk, 512);
	expect_sense(&c.t, 0x0e, 0x1d, 0x00);
	assert_int_equal(nx_get_be32(c.t.sense + 3), 3);
	cmd_done(&c);
}

static void test_write_and_verify(void **state)
{
	struct cmd c;
	uint8_t cdb[12];

	fill(pattern, 1536, 1);
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xae;
	nx_put_be32(cdb + 2, 30);
	nx_put_be32(cdb + 6, 3);
	cdb[1] = 0x02;
	run(&c, cdb, 12, pattern, 1536);
	expect_good(&c.t);
	assert_memory_equal(fx.fb->mem + 30 * 512, pattern, 1536);
	cmd_done(&c);
}

static void test_sync_cache_and_prefetch(void **state)
{
	struct cmd c;
	uint8_t cdb[16];

	put_cdb10(cdb, 0x35, 0, 0);
	run(&c, cdb, 10, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_op, NX_BS_SYNC);
	cmd_done(&c);
	put_cdb16(cdb, 0x91, NBLK - 1, 2);
	run_expect_sense(cdb, 16, NULL, 0, 0x05, 0x21, 0x00);
	put_cdb10(cdb, 0x34, NBLK - 4, 4);
	cdb[1] = 0x02;
	run(&c, cdb, 10, NULL, 0);
	assert_int_equal(c.t.status, NX_STATUS_CONDITION_MET);
	cmd_done(&c);
	put_cdb16(cdb, 0x90, 0x80000000u, 1);
	run_expect_sense(cdb, 16, NULL, 0, 0x05, 0x21, 0x00);
}

static void test_read_capacity(void **state)
{
	struct cmd c;
	uint8_t cdb10[10] = { 0x25 };
	uint8_t cdb16[16] = { 0x9e, 0x10 };
	const uint8_t want10[8] = { 0, 0, 0x07, 0xff, 0, 0, 0x02, 0x00 };

	run(&c, cdb10, 10, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 8);
	assert_memory_equal(c.t.data, want10, 8);
	cmd_done(&c);
	nx_put_be32(cdb16 + 10, 32);
	run(&c, cdb16, 16, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 32);
	assert_int_equal(nx_get_be64(c.t.data), NBLK - 1);
	assert_int_equal(nx_get_be32(c.t.data + 8), 512);
	assert_int_equal(c.t.data[13], 3); /* 8 x 512 = 4 KiB physical */
	assert_int_equal(c.t.data[14], 0xc0); /* LBPME, LBPRZ, aligned at 0 */
	assert_int_equal(c.t.data[15], 0x00);
	cmd_done(&c);
	nx_put_be32(cdb16 + 10, 5); /* allocation length truncates */
	run(&c, cdb16, 16, NULL, 0);
	assert_int_equal(c.t.xfer_len, 5);
	cmd_done(&c);
	cdb16[1] = 0x11; /* unsupported service action */
	run(&c, cdb16, 16, NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	assert_int_equal(c.t.sense[15], 0xcc);
	assert_int_equal(nx_get_be16(c.t.sense + 16), 1);
	cmd_done(&c);
}

static void test_read_capacity10_huge(void **state)
{
	struct cmd c;
	uint8_t cdb10[10] = { 0x25 };

	fx.lu->nblocks = 0x100000000ull + 5; /* only the number matters */
	run(&c, cdb10, 10, NULL, 0);
	assert_int_equal(nx_get_be32(c.t.data), 0xffffffffu);
	cmd_done(&c);
	fx.lu->nblocks = NBLK;
}

static void test_write_same(void **state)
{
	struct cmd c;
	uint8_t cdb[16], blk[512];

	memset(blk, 0xa6, sizeof(blk));
	put_cdb10(cdb, 0x41, 100, 3);
	run(&c, cdb, 10, blk, 512);
	expect_good(&c.t);
	assert_int_equal(c.t.data_len, 512);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(fx.fb->mem + (100 + i) * 512, blk, 512);
	assert_int_equal(fx.fb->mem[103 * 512], 0);
	cmd_done(&c);
	/* UNMAP=1 with a zero block deallocates */
	memset(blk, 0, sizeof(blk));
	cdb[1] = 0x08;
	run(&c, cdb, 10, blk, 512);
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_op, NX_BS_UNMAP);
	assert_int_equal(fx.fb->mapped[100], 0);
	cmd_done(&c);
	/* ANCHOR is not supported */
	cdb[1] = 0x10;
	run_expect_sense(cdb, 10, blk, 512, 0x05, 0x24, 0x00);
	/* WRITE SAME(16) NDOB + UNMAP, 0 blocks = to the end */
	put_cdb16(cdb, 0x93, NBLK - 8, 0);
	cdb[1] = 0x09;
	run(&c, cdb, 16, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data_len, 0);
	cmd_done(&c);
	put_cdb16(cdb, 0x93, NBLK + 1, 0);
	run_expect_sense(cdb, 16, NULL, 0, 0x05, 0x21, 0x00);
}

static void test_unmap_and_get_lba_status(void **state)
{
	struct cmd c;
	uint8_t cdb[10] = { 0x42 };
	uint8_t gls[16] = { 0x9e, 0x12 };
	uint8_t pl[24];

	memset(pattern, 0x11, 4096);
	write10(0, 8, pattern);
	memset(pl, 0, sizeof(pl));
	nx_put_be16(pl, 22);
	nx_put_be16(pl + 2, 16);
	nx_put_be64(pl + 8, 2);
	nx_put_be32(pl + 16, 3);
	nx_put_be16(cdb + 7, sizeof(pl));
	run(&c, cdb, 10, pl, sizeof(pl));
	expect_good(&c.t);
	cmd_done(&c);
	assert_int_equal(fx.fb->mapped[1], 1);
	assert_int_equal(fx.fb->mapped[2], 0);
	assert_int_equal(fx.fb->mapped[4], 0);
	assert_int_equal(fx.fb->mapped[5], 1);

	nx_put_be64(gls + 2, 2);
	nx_put_be32(gls + 10, 24);
	run(&c, gls, 16, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 24);
	assert_int_equal(nx_get_be32(c.t.data), 20);
	assert_int_equal(nx_get_be64(c.t.data + 8), 2);
	assert_int_equal(nx_get_be32(c.t.data + 16), 3);
	assert_int_equal(c.t.data[20], 0x01);
	cmd_done(&c);
	nx_put_be64(gls + 2, NBLK);
	run_expect_sense(gls, 16, NULL, 0, 0x05, 0x21, 0x00);

	/* descriptor beyond the end: LBA OUT OF RANGE, nothing unmapped */
	nx_put_be64(pl + 8, NBLK - 1);
	nx_put_be32(pl + 16, 2);
	run_expect_sense(cdb, 10, pl, sizeof(pl), 0x05, 0x21, 0x00);
	/* parameter list shorter than its header */
	nx_put_be16(cdb + 7, 4);
	run_expect_sense(cdb, 10, pl, 4, 0x05, 0x1a, 0x00);
	/* length 0: nothing to do */
	nx_put_be16(cdb + 7, 0);
	run_expect_good(cdb, 10);
}

static void test_compare_and_write(void **state)
{
	struct cmd c;
	uint8_t cdb[16], buf[2048];

	memset(pattern, 'A', 1024);
	write10(40, 2, pattern);
	memset(buf, 'A', 1024);
	memset(buf + 1024, 'B', 1024);
	put_cdb16(cdb, 0x89, 40, 0);
	cdb[13] = 2;
	run_edtl(&c, cdb, 16, buf, sizeof(buf), sizeof(buf));
	assert_int_equal(c.t.data_len, 2048);
	expect_good(&c.t);
	assert_int_equal(fx.fb->mem[40 * 512], 'B');
	cmd_done(&c);
	/* the medium now holds B: compare data A miscompares at byte 0 */
	buf[0] = 'B';
	run_edtl(&c, cdb, 16, buf, sizeof(buf), sizeof(buf));
	expect_sense(&c.t, 0x0e, 0x1d, 0x00);
	assert_int_equal(nx_get_be32(c.t.sense + 3), 1);
	cmd_done(&c);
}

/* SBC-3 5.2: the Data-Out Buffer holds 2 * NUMBER OF LOGICAL BLOCKS
 * blocks.  An expected transfer length that disagrees (256 blocks wrapped
 * to 0 in the 8-bit field; too small or too large a field) fails with
 * INVALID FIELD IN CDB at byte 13 before any data moves; nothing is read,
 * compared or written.  NUMBER OF LOGICAL BLOCKS 0 with no data is no
 * error. */
static void test_compare_and_write_length_mismatch(void **state)
{
	struct cmd c;
	uint8_t cdb[16];
	static uint8_t buf[2 * 256 * 512];

	memset(pattern, 'A', 512);
	write10(60, 1, pattern);
	memset(buf, 'A', sizeof(buf) / 2);
	memset(buf + sizeof(buf) / 2, 'B', sizeof(buf) / 2);
	unsigned nsubmit = fx.fb->nsubmit;

	put_cdb16(cdb, 0x89, 60, 0);
	cdb[13] = 0; /* 256 & 0xff */
	run_edtl(&c, cdb, 16, buf, sizeof(buf), sizeof(buf));
	assert_false(c.setup_ok);
	expect_cdb_field(&c.t, 13, 7);
	assert_int_equal(c.t.data_len, 0);
	assert_int_equal(c.t.dir, NX_DIR_NONE);
	cmd_done(&c);

	cdb[13] = 1; /* data-out of 4 blocks for 1 */
	run_edtl(&c, cdb, 16, buf, 4 * 512, 4 * 512);
	assert_false(c.setup_ok);
	expect_cdb_field(&c.t, 13, 7);
	cmd_done(&c);

	cdb[13] = 3; /* data-out of 4 blocks for 3 */
	run_edtl(&c, cdb, 16, buf, 4 * 512, 4 * 512);
	assert_false(c.setup_ok);
	expect_cdb_field(&c.t, 13, 7);
	cmd_done(&c);
	assert_int_equal(fx.fb->nsubmit, nsubmit);
	assert_int_equal(fx.fb->mem[60 * 512], 'A');

	cdb[13] = 0; /* no blocks, no data: not an error */
	run_edtl(&c, cdb, 16, NULL, 0, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data_len, 0);
	cmd_done(&c);
	assert_int_equal(fx.fb->nsubmit, nsubmit);

	/* the largest count the field carries (MAXIMUM COMPARE AND WRITE
	 * LENGTH 255) with the matching length works */
	memset(pattern, 'A', 64 * 1024);
	write10(0, 128, pattern);
	write10(128, 127, pattern);
	cdb[13] = 255;
	nx_put_be64(cdb + 2, 0);
	memset(buf + 255 * 512, 'B', 255 * 512);
	run_edtl(&c, cdb, 16, buf, 2 * 255 * 512, 2 * 255 * 512);
	expect_good(&c.t);
	assert_int_equal(fx.fb->mem[0], 'B');
	assert_int_equal(fx.fb->mem[255 * 512 - 1], 'B');
	assert_int_equal(fx.fb->mem[255 * 512], 0);
	cmd_done(&c);
}

/* WRITE SAME with UNMAP=1 on a thin LU deallocates whatever block the
 * Data-Out Buffer holds; with LBPRZ=1 the range then reads as zeros. */
static void test_write_same_unmap_nonzero_block(void **state)
{
	struct cmd c;
	uint8_t cdb[16], blk[512];

	memset(pattern, 0xff, 8 * 512);
	write10(200, 8, pattern);
	memset(blk, 0xff, sizeof(blk));
	put_cdb10(cdb, 0x41, 200, 4);
	cdb[1] = 0x08; /* UNMAP */
	run(&c, cdb, 10, blk, sizeof(blk));
	expect_good(&c.t);
	assert_int_equal(c.t.data_len, 512);
	assert_int_equal(c.t.dir, NX_DIR_WRITE); /* the block still moves */
	assert_int_equal(fx.fb->last_op, NX_BS_UNMAP);
	for (int i = 200; i < 204; i++)
		assert_int_equal(fx.fb->mapped[i], 0);
	assert_int_equal(fx.fb->mapped[204], 1);
	cmd_done(&c);

	put_cdb10(cdb, 0x28, 200, 8);
	run(&c, cdb, 10, NULL, 0);
	expect_good(&c.t);
	memset(pattern, 0, 4 * 512);
	assert_memory_equal(c.t.data, pattern, 4 * 512);
	assert_int_equal(c.t.data[4 * 512], 0xff);
	cmd_done(&c);

	/* NUMBER OF BLOCKS 0 = up to the last LBA (WSNZ=0), 0xff block */
	memset(pattern, 0xff, 3 * 512);
	write10(NBLK - 3, 3, pattern);
	put_cdb10(cdb, 0x41, NBLK - 3, 0);
	cdb[1] = 0x08;
	run(&c, cdb, 10, blk, sizeof(blk));
	expect_good(&c.t);
	cmd_done(&c);
	put_cdb10(cdb, 0x28, NBLK - 3, 3);
	run(&c, cdb, 10, NULL, 0);
	expect_good(&c.t);
	memset(pattern, 0, 3 * 512);
	assert_memory_equal(c.t.data, pattern, 3 * 512);
	cmd_done(&c);
	assert_int_equal(fx.fb->mapped[NBLK - 1], 0);

	/* UNMAP=0 still writes the block */
	put_cdb16(cdb, 0x93, 300, 2);
	run(&c, cdb, 16, blk, sizeof(blk));
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_op, NX_BS_WRITE);
	assert_int_equal(fx.fb->mem[301 * 512 + 511], 0xff);
	assert_int_equal(fx.fb->mapped[301], 1);
	cmd_done(&c);
}

static void test_orwrite(void **state)
{
	struct cmd c;
	uint8_t cdb[16], buf[512];

	memset(pattern, 0xa0, 512);
	write10(50, 1, pattern);
	memset(buf, 0x05, 512);
	put_cdb16(cdb, 0x8b, 50, 1);
	run(&c, cdb, 16, buf, 512);
	expect_good(&c.t);
	assert_int_equal(fx.fb->mem[50 * 512], 0xa5);
	assert_int_equal(fx.fb->mem[50 * 512 + 511], 0xa5);
	cmd_done(&c);
}

static void test_start_stop_unit(void **state)
{
	uint8_t ssu[6] = { 0x1b, 0, 0, 0, 0x00, 0 };
	uint8_t rd[10];

	run_expect_good(ssu, 6);
	assert_true(fx.lu->stopped);
	put_cdb10(rd, 0x28, 0, 1);
	run_expect_sense(rd, 10, NULL, 0, 0x02, 0x04, 0x02);
	ssu[4] = 0x01;
	run_expect_good(ssu, 6);
	run_expect_good(rd, 10);
}

static void test_prevent_allow(void **state)
{
	uint8_t pa[6] = { 0x1e, 0, 0, 0, 0x01, 0 };
	uint8_t ssu[6] = { 0x1b, 0, 0, 0, 0x02, 0 };

	run_expect_good(pa, 6);
	run_expect_sense(ssu, 6, NULL, 0, 0x05, 0x53, 0x02);
	pa[4] = 0x02;
	run_expect_sense(pa, 6, NULL, 0, 0x05, 0x24, 0x00);
	pa[4] = 0;
	run_expect_good(pa, 6);
	assert_false(fx.lu->prevent);
}

static void test_async_backstore(void **state)
{
	struct cmd c;
	uint8_t cdb[10];

	fill(pattern, 512, 77);
	write10(60, 1, pattern);
	fx.fb->deferred = true;
	put_cdb10(cdb, 0x28, 60, 1);
	run(&c, cdb, 10, NULL, 0);
	assert_int_equal(nrecs, 1); /* not done yet */
	assert_int_equal(fx.n1->tasks_outstanding, 1);
	fb_complete_all(fx.fb);
	assert_int_equal(nrecs, 2);
	expect_good(&c.t);
	assert_memory_equal(c.t.data, pattern, 512);
	assert_int_equal(fx.n1->tasks_outstanding, 0);
	cmd_done(&c);
	/* a chunked WRITE SAME over 3 MiB-chunks-worth is not needed: one
	 * multi-step op (write and verify) through the deferred path */
	uint8_t wv[10];
	put_cdb10(wv, 0x2e, 61, 1);
	wv[1] = 0x02;
	run(&c, wv, 10, pattern, 512);
	fb_complete_all(fx.fb);
	expect_good(&c.t);
	cmd_done(&c);
}

static void test_io_errors(void **state)
{
	struct cmd c;
	uint8_t cdb[10];

	fx.fb->fail_next = NX_EIO;
	put_cdb10(cdb, 0x28, 0, 1);
	run(&c, cdb, 10, NULL, 0);
	expect_sense(&c.t, 0x03, 0x11, 0x00);
	assert_int_equal(c.t.xfer_len, 0);
	cmd_done(&c);
	fx.fb->refuse_next = true;
	put_cdb10(cdb, 0x2a, 0, 1);
	run_expect_sense(cdb, 10, pattern, 512, 0x03, 0x0c, 0x00);
}

static void test_write_protect(void **state)
{
	struct cmd c;
	uint8_t cdb[10];

	fx.lu->mode.swp = true;
	put_cdb10(cdb, 0x2a, 0, 1);
	run(&c, cdb, 10, pattern, 512);
	assert_false(c.setup_ok);
	expect_sense(&c.t, 0x07, 0x27, 0x00);
	cmd_done(&c);
	put_cdb10(cdb, 0x41, 0, 1);
	run_expect_sense(cdb, 10, pattern, 512, 0x07, 0x27, 0x00);
	put_cdb10(cdb, 0x28, 0, 1);
	run_expect_good(cdb, 10);
}

/* Per-nexus write protection (a per-initiator read-only mapping): only
 * the protected nexus gets 07/27/00 and sees WP in MODE SENSE; another
 * nexus writes as usual (SBC-3 4.9, 6.4.1). */
static void test_write_protect_per_nexus(void **state)
{
	uint8_t ms[6] = { 0x1a, 0x08, 0x3f, 0, 255, 0 };
	struct cmd c;
	uint8_t cdb[10];

	(void)state;
	while (nx_ua_pop(fx.n2, fx.lu, NULL))
		;
	assert_int_equal(nx_nexus_set_read_only(fx.n1, 7), NX_OK);
	assert_false(nx_nexus_lu_read_only(fx.n1, fx.lu)); /* LUN 7 only */
	assert_int_equal(nx_nexus_set_read_only(fx.n1, 0), NX_OK);
	assert_int_equal(nx_nexus_set_read_only(fx.n1, 0), NX_OK); /* again */
	assert_true(nx_nexus_lu_read_only(fx.n1, fx.lu));
	assert_false(nx_nexus_lu_read_only(fx.n2, fx.lu));
	put_cdb10(cdb, 0x2a, 0, 1);
	run_expect_sense(cdb, 10, pattern, 512, 0x07, 0x27, 0x00);
	cmd_prepare(&c, fx.n2, 0, cdb, 10);
	cmd_run(&c, pattern, 512);
	expect_good(&c.t);
	cmd_done(&c);
	run(&c, ms, 6, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[2] & 0x80, 0x80);
	cmd_done(&c);
	cmd_prepare(&c, fx.n2, 0, ms, 6);
	cmd_run(&c, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[2] & 0x80, 0);
	cmd_done(&c);
	/* bounded: NX_NEXUS_RO_MAX LUNs, then NX_ENOSPC; "all" always fits */
	for (uint64_t l = 100; l < 100 + NX_NEXUS_RO_MAX - 2; l++)
		assert_int_equal(nx_nexus_set_read_only(fx.n2, l), NX_OK);
	assert_int_equal(nx_nexus_set_read_only(fx.n2, 999), NX_OK);
	assert_int_equal(nx_nexus_set_read_only(fx.n2, 1000), NX_OK);
	assert_int_equal(nx_nexus_set_read_only(fx.n2, 1001), NX_ENOSPC);
	assert_false(nx_nexus_lu_read_only(fx.n2, fx.lu));
	assert_int_equal(nx_nexus_set_read_only(fx.n2, NX_NEXUS_RO_ALL), NX_OK);
	assert_true(nx_nexus_lu_read_only(fx.n2, fx.lu));
}

static int setup_4k(void **state)
{
	(void)state;
	fx_setup_opts(FX_SIZE, false, false, 4096);
	while (nx_ua_pop(fx.n1, fx.lu, NULL))
		;
	return 0;
}

/* 64 MiB thin LU of 512-byte blocks: room for 64 Ki-block WRITE SAMEs */
#define BIG_SIZE (64u << 20)

static int setup_big(void **state)
{
	(void)state;
	fx_setup_opts(BIG_SIZE, true, false, 512);
	while (nx_ua_pop(fx.n1, fx.lu, NULL))
		;
	return 0;
}

/* MAXIMUM WRITE SAME LENGTH is 0xffff (Block Limits VPD): one block more
 * is INVALID FIELD IN CDB at the NUMBER OF BLOCKS field (SBC-3 5.42), as
 * is a 0-block (to the last LBA) request that would cover more. */
static void test_write_same_max_length(void **state)
{
	struct cmd c;
	uint8_t cdb[16];

	put_cdb16(cdb, 0x93, 0, 0x10000);
	cdb[1] = 0x09; /* UNMAP, NDOB */
	run(&c, cdb, 16, NULL, 0);
	assert_false(c.setup_ok);
	expect_cdb_field(&c.t, 10, 7);
	cmd_done(&c);

	put_cdb16(cdb, 0x93, 0, 0);
	cdb[1] = 0x09;
	run(&c, cdb, 16, NULL, 0);
	assert_false(c.setup_ok);
	expect_cdb_field(&c.t, 10, 7);
	cmd_done(&c);

	put_cdb16(cdb, 0x93, 0, 0xffff);
	cdb[1] = 0x09;
	run(&c, cdb, 16, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_op, NX_BS_UNMAP);
	cmd_done(&c);

	/* the same limit through WRITE SAME(10)'s 16-bit field, 0 blocks */
	put_cdb10(cdb, 0x41, BIG_SIZE / 512 - 0xffff, 0);
	cdb[1] = 0x08;
	run(&c, cdb, 10, pattern, 512);
	expect_good(&c.t);
	cmd_done(&c);
	put_cdb10(cdb, 0x41, BIG_SIZE / 512 - 0x10000, 0);
	cdb[1] = 0x08;
	run(&c, cdb, 10, pattern, 512);
	assert_false(c.setup_ok);
	expect_cdb_field(&c.t, 7, 7);
	cmd_done(&c);
}

static void test_4k_blocks_thick(void **state)
{
	struct cmd c;
	uint8_t cdb16[16] = { 0x9e, 0x10 };
	uint8_t um[10] = { 0x42 };

	nx_put_be32(cdb16 + 10, 32);
	run(&c, cdb16, 16, NULL, 0);
	assert_int_equal(nx_get_be64(c.t.data), FX_SIZE / 4096 - 1);
	assert_int_equal(nx_get_be32(c.t.data + 8), 4096);
	assert_int_equal(c.t.data[13], 0); /* physical = logical = 4 KiB */
	assert_int_equal(c.t.data[14], 0); /* not thin */
	cmd_done(&c);
	run_expect_sense(um, 10, NULL, 0, 0x05, 0x20, 0x00);
}

/* UNMAP: the total of all descriptors counts against MAXIMUM UNMAP LBA
 * COUNT (SBC-3 5.27), even when every descriptor is within the medium.
 * 8 x 131072 = 0x100000 blocks is exactly the limit; a 9th descriptor
 * crosses it: INVALID FIELD IN PARAMETER LIST pointing at that
 * descriptor's NUMBER OF LOGICAL BLOCKS (byte 8 + 8 * 16 + 8), and
 * nothing is unmapped. */
static void test_unmap_total_lba_count(void **state)
{
	static uint8_t pl[8 + 16 * 9];
	const uint8_t want[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0,
				   0x26, 0x00, 0, 0x80, 0x00, 8 + 16 * 8 + 8 };
	uint8_t cdb[10] = { 0x42 };
	struct cmd c;

	memset(pattern, 0x5a, 512);
	write10(0, 1, pattern);
	for (unsigned i = 0; i < 9; i++)
		nx_put_be32(pl + 8 + 16 * i + 8, BIG_SIZE / 512);
	nx_put_be16(pl, sizeof(pl) - 2);
	nx_put_be16(pl + 2, 16 * 9);
	nx_put_be16(cdb + 7, sizeof(pl));
	run(&c, cdb, 10, pl, sizeof(pl));
	assert_int_equal(c.t.status, NX_STATUS_CHECK_CONDITION);
	assert_int_equal(c.t.sense_len, 18);
	assert_memory_equal(c.t.sense, want, 18);
	assert_int_equal(fx.fb->mapped[0], 1);
	cmd_done(&c);

	nx_put_be16(pl, 8 + 16 * 8 - 2);
	nx_put_be16(pl + 2, 16 * 8);
	nx_put_be16(cdb + 7, 8 + 16 * 8);
	run(&c, cdb, 10, pl, 8 + 16 * 8);
	expect_good(&c.t);
	assert_int_equal(fx.fb->mapped[0], 0);
	cmd_done(&c);
}

/* SBC-3 5.41: WRITE SAME takes one block of Data-Out; an expected data
 * transfer length of more is refused (05/0E/03), exactly one is fine. */
static void test_write_same_expected_length(void **state)
{
	uint8_t cdb[10];
	struct cmd c;

	put_cdb10(cdb, 0x41, 8, 4);
	fill(pattern, 1024, 9);
	run_edtl(&c, cdb, 10, pattern, 1024, 1024);
	assert_false(c.setup_ok);
	expect_sense(&c.t, 0x05, 0x0e, 0x03);
	cmd_done(&c);
	run_edtl(&c, cdb, 10, pattern, 512, 512);
	expect_good(&c.t);
	cmd_done(&c);
	assert_memory_equal(fx.fb->mem + 11 * 512, pattern, 512);
}

/* nx_lu_config.phys_block_size: a power-of-two multiple of the block
 * size, else the LU is refused. */
static void test_physical_block_size_config(void **state)
{
	static const struct { uint32_t bs, pbs; int rc; uint8_t e; } cases[] = {
		{ 512, 512, 0, 0 }, { 512, 65536, 0, 7 }, { 4096, 0, 0, 0 },
		{ 4096, 16384, 0, 2 }, { 512, 1536, NX_EINVAL, 0 },
		{ 4096, 512, NX_EINVAL, 0 },
	};

	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		struct nx_lu_config cfg = { .lun = 1 + i, .block_size = cases[i].bs,
					    .phys_block_size = cases[i].pbs };
		struct fake_bs *f = fb_new(1 << 16, true);
		int rc = nx_target_add_lu(fx.tgt, &cfg, &f->bs);
		assert_int_equal(rc, cases[i].rc);
		if (rc != 0) {
			fb_destroy(&f->bs);
			continue;
		}
		assert_int_equal(nx_target_find_lu(fx.tgt, cfg.lun)->lbppbe,
				 cases[i].e);
	}
}

/* A removable LU (RMB=1): LOEJ ejects (START=0) and loads (START=1);
 * without medium, TEST UNIT READY and medium access get 02/3A/00, READ
 * CAPACITY too; loading is a medium change for the other I_T nexus
 * (UA 28h/00h), not for the one that loaded it (SBC-3 5.25). */
static void test_removable_eject_load(void **state)
{
	uint8_t ssu[6] = { 0x1b, 0, 0, 0, 0x02, 0 }, tur[6] = { 0 };
	uint8_t rd[10], rc[10] = { 0x25 };
	struct nx_ua ua;

	fx.lu->removable = true;
	run_expect_good(ssu, 6); /* eject */
	assert_true(fx.lu->medium_absent);
	assert_false(fx.lu->stopped);
	run_expect_sense(tur, 6, NULL, 0, 0x02, 0x3a, 0x00);
	put_cdb10(rd, 0x28, 0, 1);
	run_expect_sense(rd, 10, NULL, 0, 0x02, 0x3a, 0x00);
	run_expect_sense(rc, 10, NULL, 0, 0x02, 0x3a, 0x00);
	run_expect_good(ssu, 6); /* eject again: nothing to do */
	ssu[4] = 0x03; /* load */
	run_expect_good(ssu, 6);
	run_expect_good(tur, 6);
	assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_true(nx_ua_pop(fx.n2, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x28);
	assert_int_equal(ua.ascq, 0x00);
}

/* A removable LU follows its medium: START=0 without LOEJ writes the
 * cache back and stays ready; POWER CONDITION != 0 ignores LOEJ. */
static void test_removable_stop_without_loej(void **state)
{
	uint8_t ssu[6] = { 0x1b, 0, 0, 0, 0x00, 0 }, tur[6] = { 0 };
	struct cmd c;

	fx.lu->removable = true;
	run(&c, ssu, 6, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_op, NX_BS_SYNC);
	cmd_done(&c);
	run_expect_good(tur, 6);
	ssu[4] = 0x32; /* POWER CONDITION 3h, LOEJ */
	run_expect_good(ssu, 6);
	assert_false(fx.lu->medium_absent);
}

/* SBC-3 5.13: removal stays prevented while any I_T nexus prevents it;
 * one nexus's ALLOW or loss ends only its own prevention. */
static void test_prevent_per_nexus(void **state)
{
	uint8_t pa[6] = { 0x1e, 0, 0, 0, 0x01, 0 };
	uint8_t ssu[6] = { 0x1b, 0, 0, 0, 0x02, 0 };
	struct cmd c;

	fx.lu->removable = true;
	run(&c, pa, 6, NULL, 0);
	cmd_done(&c);
	run(&c, pa, 6, NULL, 0); /* twice from one nexus counts once */
	cmd_done(&c);
	cmd_prepare(&c, fx.n2, 0, pa, 6);
	cmd_run(&c, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
	assert_int_equal(fx.lu->prevent, 2);
	pa[4] = 0;
	run(&c, pa, 6, NULL, 0); /* n1 allows */
	cmd_done(&c);
	cmd_prepare(&c, fx.n1, 0, ssu, 6);
	cmd_run(&c, NULL, 0);
	expect_sense(&c.t, 0x05, 0x53, 0x02); /* n2 still prevents */
	cmd_done(&c);
	nx_prevent_release(fx.lu, fx.n2); /* n2's I_T nexus loss */
	assert_int_equal(fx.lu->prevent, 0);
	run_expect_good(ssu, 6);
	assert_true(fx.lu->medium_absent);
}

/* INQUIRY byte 1: RMB follows the configuration. */
static void test_inquiry_rmb(void **state)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	struct cmd c;

	run(&c, inq, 6, NULL, 0);
	assert_int_equal(c.t.data[1], 0x00);
	cmd_done(&c);
	fx.lu->removable = true;
	run(&c, inq, 6, NULL, 0);
	assert_int_equal(c.t.data[1], 0x80);
	cmd_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_write_same_expected_length),
		T(test_physical_block_size_config),
		T(test_removable_eject_load),
		T(test_removable_stop_without_loej),
		T(test_prevent_per_nexus),
		T(test_inquiry_rmb),
		T(test_write_read10_roundtrip),
		T(test_read_lba_out_of_range),
		T(test_read10_rdprotect_field_pointer),
		T(test_read6_zero_means_256),
		T(test_write_fua_and_wce),
		T(test_transfer_length_limit),
		T(test_verify_bytchk),
		T(test_verify_bytchk_11b),
		T(test_write_and_verify),
		T(test_sync_cache_and_prefetch),
		T(test_read_capacity),
		T(test_read_capacity10_huge),
		T(test_write_same),
		T(test_unmap_and_get_lba_status),
		T(test_compare_and_write),
		T(test_compare_and_write_length_mismatch),
		T(test_write_same_unmap_nonzero_block),
		T(test_orwrite),
		T(test_start_stop_unit),
		T(test_prevent_allow),
		T(test_async_backstore),
		T(test_io_errors),
		T(test_write_protect),
		T(test_write_protect_per_nexus),
		cmocka_unit_test_setup_teardown(test_4k_blocks_thick, setup_4k,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_same_max_length,
						setup_big, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_total_lba_count,
						setup_big, fx_teardown),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
