/*
 * iogate_test.c - the LU I/O gate (iogate.c) and WRITE ATOMIC(16)
 * (SBC-4 5.48) through the real dispatcher on a deferred fake backstore:
 * an atomic command's I/O never overlaps another I/O of the LU, queued
 * I/O starts in arrival order, and the CDB checks give exact sense.
 */
#include "tests/unit/core_fixture.h"

/* Completes the oldest deferred I/O only (its completion may queue more). */
static void fb_complete_one(struct fake_bs *f)
{
	assert_true(f->npending > 0);
	struct nx_bs_io *io = f->pending[0];
	memmove(&f->pending[0], &f->pending[1],
		(f->npending - 1) * sizeof(f->pending[0]));
	f->npending--;
	io->done(io);
}

static void wa16_cdb(uint8_t *cdb, uint64_t lba, uint16_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x9c;
	nx_put_be64(cdb + 2, lba);
	nx_put_be16(cdb + 12, n);
}

static void start(struct cmd *c, struct nx_nexus *n, const uint8_t *cdb,
		  const void *dout, size_t len)
{
	cmd_prepare(c, n, 0, cdb, 16);
	assert_true(cmd_run(c, dout, len));
}

/* READ in flight -> WRITE ATOMIC waits for it; a READ behind the atomic
 * write waits for the atomic write (FIFO, no overtaking either way). */
static void test_atomic_waits_and_blocks(void **state)
{
	static uint8_t data[8 * 512];
	struct cmd r1, a, r2;
	uint8_t cdb[16];

	memset(data, 0x3c, sizeof(data));
	fx.fb->deferred = true;
	put_cdb16(cdb, 0x88, 0, 8);
	start(&r1, fx.n1, cdb, NULL, 0);
	assert_int_equal(fx.fb->nsubmit, 1);
	wa16_cdb(cdb, 0, 8);
	start(&a, fx.n2, cdb, data, sizeof(data));
	assert_int_equal(fx.fb->nsubmit, 1);     /* waits for the READ */
	put_cdb16(cdb, 0x88, 0, 8);
	start(&r2, fx.n1, cdb, NULL, 0);
	assert_int_equal(fx.fb->nsubmit, 1);     /* behind the atomic write */
	assert_int_equal(fx.lu->gate.waiting, 2);
	fb_complete_one(fx.fb);                  /* READ 1 done */
	assert_int_equal(fx.fb->nsubmit, 2);
	assert_int_equal(fx.fb->last_op, NX_BS_WRITE);
	assert_ptr_equal(fx.lu->gate.owner, &a.t);
	fb_complete_one(fx.fb);                  /* atomic write done */
	assert_null(fx.lu->gate.owner);
	assert_int_equal(fx.fb->nsubmit, 3);
	assert_int_equal(fx.fb->last_op, NX_BS_READ);
	fb_complete_one(fx.fb);
	assert_int_equal(nrecs, 3);
	expect_good(&r1.t);
	expect_good(&a.t);
	expect_good(&r2.t);
	/* the second READ saw the whole atomic write */
	assert_memory_equal(r2.t.data, data, sizeof(data));
	assert_int_equal(fx.lu->gate.inflight, 0);
	cmd_done(&r1);
	cmd_done(&a);
	cmd_done(&r2);
}

/* COMPARE AND WRITE holds the LU from its read to its write: a WRITE
 * arriving in between cannot land between compare and write. */
static void test_caw_holds_gate(void **state)
{
	static uint8_t caw[2 * 512], wr[512];
	struct cmd c, w;
	uint8_t cdb[16];

	memset(caw + 512, 0x77, 512);  /* compare zeros, write 0x77 */
	memset(wr, 0x11, sizeof(wr));
	fx.fb->deferred = true;
	memset(cdb, 0, 16);
	cdb[0] = 0x89;
	nx_put_be64(cdb + 2, 40);
	cdb[13] = 1;
	cmd_prepare(&c, fx.n1, 0, cdb, 16);
	c.t.expected_len = sizeof(caw);
	assert_true(cmd_run(&c, caw, sizeof(caw)));
	assert_int_equal(fx.fb->nsubmit, 1);     /* CAW's read */
	put_cdb16(cdb, 0x8a, 40, 1);
	start(&w, fx.n2, cdb, wr, sizeof(wr));
	assert_int_equal(fx.fb->nsubmit, 1);     /* the WRITE waits */
	fb_complete_one(fx.fb);                  /* compare ok -> write */
	assert_int_equal(fx.fb->nsubmit, 2);
	fb_complete_one(fx.fb);                  /* CAW done, WRITE starts */
	assert_int_equal(fx.fb->nsubmit, 3);
	fb_complete_one(fx.fb);
	expect_good(&c.t);
	expect_good(&w.t);
	assert_memory_equal(fx.fb->mem + 40 * 512, wr, 512);
	cmd_done(&c);
	cmd_done(&w);
}

/* A queued atomic write the backstore refuses when it finally starts:
 * WRITE ERROR, and the gate is free again. */
static void test_queued_refusal(void **state)
{
	static uint8_t data[8 * 512];
	struct cmd r1, a;
	uint8_t cdb[16];

	fx.fb->deferred = true;
	put_cdb16(cdb, 0x88, 0, 8);
	start(&r1, fx.n1, cdb, NULL, 0);
	wa16_cdb(cdb, 8, 8);
	start(&a, fx.n1, cdb, data, sizeof(data));
	fx.fb->refuse_next = true;
	fb_complete_one(fx.fb);
	assert_int_equal(nrecs, 2);
	expect_sense(&a.t, 0x03, 0x0c, 0x00);
	assert_null(fx.lu->gate.owner);
	assert_int_equal(fx.lu->gate.inflight, 0);
	assert_int_equal(fx.lu->gate.waiting, 0);
	cmd_done(&r1);
	cmd_done(&a);
}

static void expect_wa_field(uint64_t lba, uint16_t n, uint8_t byte1,
			    uint8_t byte10, uint8_t byte, uint8_t bit)
{
	struct cmd c;
	uint8_t cdb[16];

	wa16_cdb(cdb, lba, n);
	cdb[1] = byte1;
	cdb[10] = byte10;
	cmd_prepare(&c, fx.n1, 0, cdb, 16);
	assert_false(cmd_run(&c, NULL, 0));
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	assert_int_equal(c.t.sense[15], 0xc8 | bit);
	assert_int_equal(nx_get_be16(c.t.sense + 16), byte);
	cmd_done(&c);
}

/* SBC-4 5.48 / 6.6.4: ATOMIC ALIGNMENT and granularity (8 blocks of 512),
 * MAXIMUM ATOMIC TRANSFER LENGTH (4096 blocks), no atomic boundaries, no
 * protection information. */
static void test_write_atomic_cdb_checks(void **state)
{
	expect_wa_field(3, 8, 0, 0, 2, 7);       /* misaligned LBA */
	expect_wa_field(8, 12, 0, 0, 12, 7);     /* not a granule multiple */
	expect_wa_field(0, 4104, 0, 0, 12, 7);   /* above the maximum */
	expect_wa_field(0, 8, 0, 0x01, 10, 0);   /* ATOMIC BOUNDARY */
	expect_wa_field(0, 8, 0x20, 0, 1, 5);    /* WRPROTECT */
}

static void test_write_atomic_writes(void **state)
{
	static uint8_t data[16 * 512];
	struct cmd c;
	uint8_t cdb[16];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3);
	wa16_cdb(cdb, 16, 16);
	cdb[1] = 0x18; /* DPO, FUA */
	run(&c, cdb, 16, data, sizeof(data));
	expect_good(&c.t);
	assert_int_equal(fx.fb->last_flags & NX_BS_FUA, NX_BS_FUA);
	assert_memory_equal(fx.fb->mem + 16 * 512, data, sizeof(data));
	cmd_done(&c);
	/* zero blocks: nothing transferred, GOOD; beyond the end: LBA OUT
	 * OF RANGE */
	wa16_cdb(cdb, 0, 0);
	run(&c, cdb, 16, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
	wa16_cdb(cdb, FX_SIZE / 512 - 8, 16);
	run(&c, cdb, 16, NULL, 0);
	expect_sense(&c.t, 0x05, 0x21, 0x00);
	cmd_done(&c);
}

static void test_write_atomic_write_protect(void **state)
{
	struct cmd c;
	uint8_t cdb[16];

	fx.lu->mode.swp = true;
	wa16_cdb(cdb, 0, 8);
	run(&c, cdb, 16, NULL, 0);
	expect_sense(&c.t, 0x07, 0x27, 0x00);
	cmd_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_atomic_waits_and_blocks),
		T(test_caw_holds_gate),
		T(test_queued_refusal),
		T(test_write_atomic_cdb_checks),
		T(test_write_atomic_writes),
		T(test_write_atomic_write_protect),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
