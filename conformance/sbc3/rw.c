/*
 * rw.c - READ/WRITE(6/10/12/16) (SBC-3 5.10-5.13, 5.32-5.35), the LBA
 * range check (SBC-3 4.5), VERIFY with BYTCHK (SBC-3 5.28) and
 * SYNCHRONIZE CACHE (SBC-3 5.25, 5.26).
 */
#include <stdlib.h>

#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define LBA_BASE 1024u

/* CDB of READ/WRITE (6/10/12/16) for op; 6-byte: 21-bit LBA, length 0 =
 * 256 blocks. */
static void rw_cdb(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t blocks)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	switch (op) {
	case 0x08: case 0x0a:
		nx_put_be24(cdb + 1, (uint32_t)lba & 0x1fffff);
		cdb[4] = (uint8_t)blocks;
		break;
	case 0x28: case 0x2a: case 0x2f: case 0x35:
		nx_put_be32(cdb + 2, (uint32_t)lba);
		nx_put_be16(cdb + 7, (uint16_t)blocks);
		break;
	case 0xa8: case 0xaa:
		nx_put_be32(cdb + 2, (uint32_t)lba);
		nx_put_be32(cdb + 6, blocks);
		break;
	default:
		nx_put_be64(cdb + 2, lba);
		nx_put_be32(cdb + 10, blocks);
	}
}

static void roundtrip(uint8_t wop, uint8_t rop, uint64_t lba, uint32_t blocks)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16];
	struct nx_conf_result r;
	uint32_t bs, n;
	uint8_t *w, *rd;

	nx_conf_capacity(s, NULL, &bs);
	n = (blocks ? blocks : 256) * bs;
	w = malloc(n);
	rd = malloc(n);
	assert_non_null(w);
	assert_non_null(rd);
	nx_conf_pattern(w, n, lba, wop);
	memset(rd, 0xee, n);
	rw_cdb(cdb, wop, lba, blocks);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, w, n, &r);
	NX_EXPECT_GOOD(&r);
	rw_cdb(cdb, rop, lba, blocks);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, rd, n, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, n);
	NX_EXPECT_EQ("residual", r.residual, 0);
	NX_EXPECT_BYTES(rd, w, n);
	free(w);
	free(rd);
	nx_conf_logout(s);
}

static void test_rw6_roundtrip(void **state)
{
	roundtrip(0x0a, 0x08, LBA_BASE, 8);
}

/* TRANSFER LENGTH 0 in READ(6)/WRITE(6) means 256 blocks. */
static void test_rw6_length0_is_256(void **state)
{
	roundtrip(0x0a, 0x08, LBA_BASE + 64, 0);
}

static void test_rw10_roundtrip(void **state)
{
	roundtrip(0x2a, 0x28, LBA_BASE + 400, 33);
}

static void test_rw12_roundtrip(void **state)
{
	roundtrip(0xaa, 0xa8, LBA_BASE + 500, 17);
}

static void test_rw16_roundtrip(void **state)
{
	roundtrip(0x8a, 0x88, LBA_BASE + 600, 130);
}

/* A transfer length of 0 transfers nothing and is not an error. */
static void test_rw10_length0(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16];
	struct nx_conf_result r;

	rw_cdb(cdb, 0x28, 0, 0);
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	rw_cdb(cdb, 0x2a, 0, 0);
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

static void expect_oob(struct nx_conf_sess *s, uint8_t op, uint64_t lba,
		       uint32_t blocks, uint32_t bs)
{
	uint8_t cdb[16], *buf = calloc(1, (size_t)blocks * bs + 1);
	struct nx_conf_result r;
	bool write = op == 0x2a || op == 0x8a;

	assert_non_null(buf);
	nx_conf_note("op %02xh LBA %llu blocks %u", op,
		     (unsigned long long)lba, blocks);
	rw_cdb(cdb, op, lba, blocks);
	nx_conf_scsi(s, cdb, blocks ? (write ? NX_INI_DIR_WRITE : NX_INI_DIR_READ)
				    : NX_INI_DIR_NONE,
		     buf, blocks * bs, &r);
	free(buf);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_env_reset_notes();
}

/* SBC-3 4.5: the last block reads; one past it, a range crossing it, a
 * 32-bit all-ones LBA and a zero-length read past the end are LBA OUT
 * OF RANGE. */
static void test_read10_lba_boundary(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16], d[65536];
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;

	nx_conf_capacity(s, &blocks, &bs);
	if (blocks > 0xffffffffull)
		NX_SKIP("LU too large for READ(10) boundary tests");
	rw_cdb(cdb, 0x28, blocks - 1, 1);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, bs, &r);
	NX_EXPECT_GOOD(&r);
	expect_oob(s, 0x28, blocks, 1, bs);
	expect_oob(s, 0x28, blocks - 1, 2, bs);
	expect_oob(s, 0x28, 0xffffffffull, 1, bs);
	expect_oob(s, 0x28, blocks + 1, 0, bs);
	expect_oob(s, 0x2a, blocks - 1, 2, bs);
	nx_conf_logout(s);
}

/* 64-bit LBAs: LBA + length must not wrap around to a valid range. */
static void test_rw16_lba_wrap(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	expect_oob(s, 0x88, 0xffffffffffffffffull, 1, bs);
	expect_oob(s, 0x88, 0xfffffffffffffff0ull, 0x20, bs);
	expect_oob(s, 0x8a, 0x8000000000000000ull, 1, bs);
	nx_conf_logout(s);
}

static void verify10(struct nx_conf_sess *s, uint32_t lba, uint16_t blocks,
		     uint8_t bytchk, void *buf, uint32_t len,
		     struct nx_conf_result *r)
{
	uint8_t cdb[16];

	rw_cdb(cdb, 0x2f, lba, blocks);
	cdb[1] = (uint8_t)(bytchk << 1);
	nx_conf_scsi(s, cdb, len ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE, buf,
		     len, r);
}

/* BYTCHK=01b with equal data: GOOD. */
static void test_verify10_bytchk_match(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t w[4096];
	struct nx_conf_result r;
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	nx_conf_pattern(w, sizeof(w), LBA_BASE + 800, 5);
	nx_conf_write(s, LBA_BASE + 800, sizeof(w) / bs, w);
	verify10(s, LBA_BASE + 800, (uint16_t)(sizeof(w) / bs), 1, w,
		 sizeof(w), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "VERIFY(10)");
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* BYTCHK=01b with one differing byte: MISCOMPARE 1Dh/00h and the offset
 * of that byte in the Data-Out Buffer in INFORMATION. */
static void test_verify10_bytchk_miscompare(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t w[4096];
	struct nx_conf_result r;
	uint32_t bs, at;

	nx_conf_capacity(s, NULL, &bs);
	nx_conf_pattern(w, sizeof(w), LBA_BASE + 900, 6);
	nx_conf_write(s, LBA_BASE + 900, sizeof(w) / bs, w);
	at = bs + 77;                /* second block, byte 77 */
	w[at] ^= 0x5a;
	verify10(s, LBA_BASE + 900, (uint16_t)(sizeof(w) / bs), 1, w,
		 sizeof(w), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "VERIFY(10)");
	NX_EXPECT_MISCOMPARE(&r);
	NX_EXPECT_INFO(&r, at);
	nx_conf_logout(s);
}

/* BYTCHK=0: a medium check without data-out; GOOD on a healthy LU. */
static void test_verify10_no_bytchk(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct nx_conf_result r;

	verify10(s, LBA_BASE, 8, 0, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "VERIFY(10)");
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* SYNCHRONIZE CACHE(10): NUMBER OF LOGICAL BLOCKS 0 = to the end (GOOD);
 * a range past the capacity is LBA OUT OF RANGE. */
static void test_sync_cache10_range(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16];
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;

	nx_conf_capacity(s, &blocks, &bs);
	rw_cdb(cdb, 0x35, 0, 0);
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SYNCHRONIZE CACHE(10)");
	NX_EXPECT_GOOD(&r);
	rw_cdb(cdb, 0x35, LBA_BASE, 64);
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	if (blocks <= 0xffffffffull) {
		rw_cdb(cdb, 0x35, blocks - 1, 2);
		nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
		NX_EXPECT_LBA_OOB(&r);
	}
	nx_conf_logout(s);
}

static void test_sync_cache16_range(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16];
	struct nx_conf_result r;
	uint64_t blocks;

	nx_conf_capacity(s, &blocks, NULL);
	rw_cdb(cdb, 0x91, blocks - 8, 8);
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SYNCHRONIZE CACHE(16)");
	NX_EXPECT_GOOD(&r);
	rw_cdb(cdb, 0x91, blocks, 1);
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* FUA=1 writes are read back like any other (SBC-3 5.33 FUA bit). */
static void test_write10_fua_roundtrip(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16], w[2048], rd[2048];
	struct nx_conf_result r;
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	nx_conf_pattern(w, sizeof(w), LBA_BASE + 1000, 7);
	rw_cdb(cdb, 0x2a, LBA_BASE + 1000, sizeof(w) / bs);
	cdb[1] = 0x08;
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, w, sizeof(w), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, LBA_BASE + 1000, sizeof(rd) / bs, rd);
	NX_EXPECT_BYTES(rd, w, sizeof(w));
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", rw6_roundtrip, "SBC-3 5.10",
		     "WRITE(6) then READ(6) of 8 blocks returns the written bytes"),
	NX_CONF_TEST("sbc3", rw6_length0_is_256, "SBC-3 5.10",
		     "READ(6)/WRITE(6) TRANSFER LENGTH 0 moves 256 blocks"),
	NX_CONF_TEST("sbc3", rw10_roundtrip, "SBC-3 5.11",
		     "WRITE(10) then READ(10) of 33 blocks returns the written bytes"),
	NX_CONF_TEST("sbc3", rw12_roundtrip, "SBC-3 5.12",
		     "WRITE(12) then READ(12) of 17 blocks returns the written bytes"),
	NX_CONF_TEST("sbc3", rw16_roundtrip, "SBC-3 5.13",
		     "WRITE(16) then READ(16) of 130 blocks returns the written bytes"),
	NX_CONF_TEST("sbc3", rw10_length0, "SBC-3 5.11",
		     "READ(10)/WRITE(10) with TRANSFER LENGTH 0: GOOD, nothing transferred"),
	NX_CONF_TEST("sbc3", read10_lba_boundary, "SBC-3 4.5",
		     "the last LBA reads; anything past it is ILLEGAL REQUEST 21h/00h, zero length too"),
	NX_CONF_TEST("sbc3", rw16_lba_wrap, "SBC-3 4.5",
		     "64-bit LBA + length wrapping past 2^64 is ILLEGAL REQUEST 21h/00h"),
	NX_CONF_TEST("sbc3", verify10_bytchk_match, "SBC-3 5.28",
		     "VERIFY(10) BYTCHK=01b with equal data: GOOD"),
	NX_CONF_TEST("sbc3", verify10_bytchk_miscompare, "SBC-3 5.28",
		     "VERIFY(10) BYTCHK=01b mismatch: MISCOMPARE 1Dh/00h, INFORMATION = byte offset"),
	NX_CONF_TEST("sbc3", verify10_no_bytchk, "SBC-3 5.28",
		     "VERIFY(10) BYTCHK=0 (medium verify): GOOD"),
	NX_CONF_TEST("sbc3", sync_cache10_range, "SBC-3 5.25",
		     "SYNCHRONIZE CACHE(10): whole medium and a range GOOD, past the end 21h/00h"),
	NX_CONF_TEST("sbc3", sync_cache16_range, "SBC-3 5.26",
		     "SYNCHRONIZE CACHE(16): last 8 blocks GOOD, past the end 21h/00h"),
	NX_CONF_TEST("sbc3", write10_fua_roundtrip, "SBC-3 5.33",
		     "WRITE(10) FUA=1 then READ returns the written bytes"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_rw, tests);
