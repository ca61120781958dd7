/*
 * caw.c - COMPARE AND WRITE (SBC-3 5.2): the Data-Out Buffer is the verify
 * instance then the write instance (NUMBER OF LOGICAL BLOCKS each); equal
 * -> the write instance is written; different -> MISCOMPARE DURING VERIFY
 * OPERATION with INFORMATION = offset of the first differing byte and the
 * medium unchanged; NUMBER OF LOGICAL BLOCKS above MAXIMUM COMPARE AND
 * WRITE LENGTH (SBC-3 6.5.3) -> INVALID FIELD IN CDB.
 *
 * COMPARE AND WRITE is optional: INVALID COMMAND OPERATION CODE skips.
 */
#include "sbc3_util.h"

#define LBA_BASE 8192u

static void caw(struct nx_conf_sess *s, uint64_t lba, uint8_t nlb,
		const uint8_t *buf, uint32_t len, struct nx_conf_result *r)
{
	uint8_t cdb[16] = { 0x89 };

	nx_put_be64(cdb + 2, lba);
	cdb[13] = nlb;
	nx_conf_scsi(s, cdb, len ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		     (void *)(uintptr_t)buf, len, r);
}

/* Writes n blocks of "old" at lba; buf gets old || new (2n blocks). */
static uint8_t *prepare(struct nx_conf_sess *s, uint64_t lba, uint32_t n,
			uint32_t *bs)
{
	uint8_t *buf;

	nx_conf_capacity(s, NULL, bs);
	buf = sbc_buf(2 * (size_t)n * *bs);
	nx_conf_pattern(buf, n * *bs, lba, 0xc0);
	nx_conf_pattern(buf + (size_t)n * *bs, n * *bs, lba, 0xc1);
	nx_conf_write(s, lba, n, buf);
	return buf;
}

static void test_caw_success(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *buf = prepare(s, LBA_BASE, 4, &bs), *rd = sbc_buf(4 * (size_t)bs);

	caw(s, LBA_BASE, 4, buf, 8 * bs, &r);
	if (nx_conf_unsupported(&r)) {
		free(buf);
		free(rd);
	}
	NX_SKIP_IF_UNSUPPORTED(&r, "COMPARE AND WRITE");
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, LBA_BASE, 4, rd);
	NX_EXPECT_BYTES(rd, buf + 4 * (size_t)bs, 4 * (size_t)bs);
	free(buf);
	free(rd);
	nx_conf_logout(s);
}

/* Miscompare in block 2 of 3: 0Eh/1Dh/00h, INFORMATION = offset into the
 * verify instance; nothing written. */
static void test_caw_miscompare(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs, at;
	uint8_t *buf = prepare(s, LBA_BASE + 16, 3, &bs);
	uint8_t *old = sbc_buf(3 * (size_t)bs), *rd = sbc_buf(3 * (size_t)bs);

	memcpy(old, buf, 3 * (size_t)bs);
	at = 2 * bs + 17;
	buf[at] ^= 0x10;
	caw(s, LBA_BASE + 16, 3, buf, 6 * bs, &r);
	free(buf);
	if (nx_conf_unsupported(&r)) {
		free(old);
		free(rd);
	}
	NX_SKIP_IF_UNSUPPORTED(&r, "COMPARE AND WRITE");
	nx_conf_read(s, LBA_BASE + 16, 3, rd);
	NX_EXPECT_MISCOMPARE(&r);
	NX_EXPECT_INFO(&r, at);
	NX_EXPECT_BYTES(rd, old, 3 * (size_t)bs);
	free(old);
	free(rd);
	nx_conf_logout(s);
}

/* NUMBER OF LOGICAL BLOCKS = MAXIMUM COMPARE AND WRITE LENGTH + 1. */
static void test_caw_nlb_over_max(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct sbc_limits l;
	struct nx_conf_result r;
	uint32_t bs, n;
	uint8_t *buf;

	nx_conf_capacity(s, NULL, &bs);
	sbc_block_limits(s, &l);
	if (l.max_caw == 0)
		NX_SKIP("MAXIMUM COMPARE AND WRITE LENGTH 0 (not supported)");
	if (l.max_caw == 255)
		NX_SKIP("MAXIMUM COMPARE AND WRITE LENGTH 255: the 8-bit field cannot exceed it");
	n = l.max_caw + 1u;
	buf = sbc_buf(2 * (size_t)n * bs);
	caw(s, LBA_BASE + 64, (uint8_t)n, buf, 2 * n * bs, &r);
	free(buf);
	NX_SKIP_IF_UNSUPPORTED(&r, "COMPARE AND WRITE");
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_logout(s);
}

/* Crossing the last LBA: LBA OUT OF RANGE. */
static void test_caw_lba_out_of_range(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;
	uint8_t *buf;

	nx_conf_capacity(s, &blocks, &bs);
	buf = sbc_buf(4 * (size_t)bs);
	caw(s, blocks - 1, 2, buf, 4 * bs, &r);
	free(buf);
	NX_SKIP_IF_UNSUPPORTED(&r, "COMPARE AND WRITE");
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* NUMBER OF LOGICAL BLOCKS 0: nothing compared or written, not an
 * error. */
static void test_caw_nlb0(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;

	caw(s, LBA_BASE, 0, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "COMPARE AND WRITE");
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", caw_success, "SBC-3 5.2",
		     "COMPARE AND WRITE of 4 equal blocks: GOOD, the write instance is on the medium"),
	NX_CONF_TEST("sbc3", caw_miscompare, "SBC-3 5.2",
		     "COMPARE AND WRITE mismatch: 0Eh/1Dh/00h, INFORMATION = byte offset, medium unchanged"),
	NX_CONF_TEST("sbc3", caw_nlb_over_max, "SBC-3 5.2",
		     "NUMBER OF LOGICAL BLOCKS > MAXIMUM COMPARE AND WRITE LENGTH: 05h/24h/00h"),
	NX_CONF_TEST("sbc3", caw_lba_out_of_range, "SBC-3 5.2",
		     "COMPARE AND WRITE crossing the last LBA: 05h/21h/00h"),
	NX_CONF_TEST("sbc3", caw_nlb0, "SBC-3 5.2",
		     "COMPARE AND WRITE NUMBER OF LOGICAL BLOCKS 0: GOOD, nothing transferred"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_caw, tests);
