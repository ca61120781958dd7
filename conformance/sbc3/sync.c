/*
 * sync.c - SYNCHRONIZE CACHE (10/16) (SBC-3 5.25, 5.26): IMMED, NUMBER OF
 * LOGICAL BLOCKS 0 = from the LBA to the last one, and the range check
 * (LBA OUT OF RANGE) including 64-bit wrap-around.
 */
#include "sbc3_util.h"

/* IMMED=1: status as soon as the CDB is validated; GOOD. */
static void test_sync_cache10_immed(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;

	sbc_range_cmd(s, 0x35, 0, 0, true, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SYNCHRONIZE CACHE(10)");
	NX_EXPECT_GOOD(&r);
	sbc_range_cmd(s, 0x35, 100, 50, true, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

static void test_sync_cache16_immed(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;

	nx_conf_capacity(s, &blocks, NULL);
	sbc_range_cmd(s, 0x91, blocks - 1, 1, true, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SYNCHRONIZE CACHE(16)");
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* NUMBER OF LOGICAL BLOCKS 0 from the last LBA (to the end: one block)
 * is GOOD; the same from one past the capacity is LBA OUT OF RANGE. */
static void test_sync_cache16_nlb0_to_end(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;

	nx_conf_capacity(s, &blocks, NULL);
	sbc_range_cmd(s, 0x91, blocks - 1, 0, false, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SYNCHRONIZE CACHE(16)");
	NX_EXPECT_GOOD(&r);
	sbc_range_cmd(s, 0x91, blocks / 2, 0, false, &r);
	NX_EXPECT_GOOD(&r);
	sbc_range_cmd(s, 0x91, blocks + 1, 0, false, &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* SYNCHRONIZE CACHE(10) with LBA FFFFFFFFh: LBA OUT OF RANGE, IMMED or
 * not (the range is checked before status is returned). */
static void test_sync_cache10_lba_beyond(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;

	nx_conf_capacity(s, &blocks, NULL);
	if (blocks >= 0xffffffffull)
		NX_SKIP("LU too large for a 32-bit out-of-range LBA");
	sbc_range_cmd(s, 0x35, 0xffffffffu, 1, false, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SYNCHRONIZE CACHE(10)");
	NX_EXPECT_LBA_OOB(&r);
	sbc_range_cmd(s, 0x35, 0xffffffffu, 1, true, &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* LBA + NUMBER OF LOGICAL BLOCKS wrapping past 2^64 is out of range. */
static void test_sync_cache16_lba_wrap(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;

	sbc_range_cmd(s, 0x91, 0xffffffffffffffffull, 2, false, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SYNCHRONIZE CACHE(16)");
	NX_EXPECT_LBA_OOB(&r);
	sbc_range_cmd(s, 0x91, 0xfffffffffffffff8ull, 0x10, false, &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", sync_cache10_immed, "SBC-3 5.25",
		     "SYNCHRONIZE CACHE(10) IMMED=1, whole medium and a range: GOOD"),
	NX_CONF_TEST("sbc3", sync_cache16_immed, "SBC-3 5.26",
		     "SYNCHRONIZE CACHE(16) IMMED=1 of the last block: GOOD"),
	NX_CONF_TEST("sbc3", sync_cache16_nlb0_to_end, "SBC-3 5.26",
		     "NUMBER OF LOGICAL BLOCKS 0 = to the end: GOOD; from past the end 05h/21h/00h"),
	NX_CONF_TEST("sbc3", sync_cache10_lba_beyond, "SBC-3 5.25",
		     "SYNCHRONIZE CACHE(10) LBA FFFFFFFFh, IMMED 0 and 1: 05h/21h/00h"),
	NX_CONF_TEST("sbc3", sync_cache16_lba_wrap, "SBC-3 5.26",
		     "SYNCHRONIZE CACHE(16) LBA + count wrapping past 2^64: 05h/21h/00h"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_sync, tests);
