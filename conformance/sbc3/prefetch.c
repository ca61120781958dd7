/*
 * prefetch.c - PRE-FETCH (10/16) (SBC-3 5.7, 5.8).
 *
 * The status is CONDITION MET when the blocks were (IMMED=0) or will fit
 * (IMMED=1) in the cache, GOOD when the cache is too small for them: the
 * choice depends on the cache, which the test cannot see, so both are
 * accepted - anything else (CHECK CONDITION, a transport error) fails.
 * The range check (LBA OUT OF RANGE) is exact.
 */
#include "sbc3_util.h"

static void expect_met_or_good(const struct nx_conf_result *r)
{
	if (r->err == 0 && r->response == 0 && r->status == 0x04)
		return;
	NX_EXPECT_GOOD(r);
}

/* PRE-FETCH(10) (34h) or (16) (90h); SKIPs when it is unsupported. */
static void prefetch(struct nx_conf_sess *s, uint8_t op, uint64_t lba,
		     uint32_t n, bool immed, struct nx_conf_result *r)
{
	sbc_range_cmd(s, op, lba, n, immed, r);
	NX_SKIP_IF_UNSUPPORTED(r, op == 0x34 ? "PRE-FETCH(10)" : "PRE-FETCH(16)");
}

/* The LU's size in blocks; SKIPs when PRE-FETCH(10) cannot reach its
 * end. */
static uint64_t blocks10(struct nx_conf_sess *s)
{
	uint64_t blocks;

	nx_conf_capacity(s, &blocks, NULL);
	if (blocks > 0xffffffffull)
		NX_SKIP("LU too large for PRE-FETCH(10)");
	return blocks;
}

static void test_prefetch10_status(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;

	prefetch(s, 0x34, 0, 8, false, &r);
	expect_met_or_good(&r);
	nx_conf_logout(s);
}

static void test_prefetch16_immed(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;

	nx_conf_capacity(s, &blocks, NULL);
	prefetch(s, 0x90, blocks - 16, 16, true, &r);
	expect_met_or_good(&r);
	nx_conf_logout(s);
}

/* NUMBER OF LOGICAL BLOCKS 0: from the LBA to the last LBA. */
static void test_prefetch10_nlb0(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks = blocks10(s);

	prefetch(s, 0x34, blocks - 4, 0, false, &r);
	expect_met_or_good(&r);
	nx_conf_logout(s);
}

static void test_prefetch10_beyond_eol(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks = blocks10(s);

	prefetch(s, 0x34, blocks - 1, 2, false, &r);
	NX_EXPECT_LBA_OOB(&r);
	sbc_range_cmd(s, 0x34, blocks, 1, true, &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

static void test_prefetch16_lba_wrap(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;

	prefetch(s, 0x90, 0xffffffffffffffffull, 1, false, &r);
	NX_EXPECT_LBA_OOB(&r);
	sbc_range_cmd(s, 0x90, 0xfffffffffffffffeull, 4, false, &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", prefetch10_status, "SBC-3 5.7",
		     "PRE-FETCH(10) IMMED=0 of 8 blocks: CONDITION MET (in cache) or GOOD (no room)"),
	NX_CONF_TEST("sbc3", prefetch16_immed, "SBC-3 5.8",
		     "PRE-FETCH(16) IMMED=1 of the last 16 blocks: CONDITION MET or GOOD"),
	NX_CONF_TEST("sbc3", prefetch10_nlb0, "SBC-3 5.7",
		     "PRE-FETCH(10) NUMBER OF LOGICAL BLOCKS 0 (to the end): CONDITION MET or GOOD"),
	NX_CONF_TEST("sbc3", prefetch10_beyond_eol, "SBC-3 5.7",
		     "PRE-FETCH(10) crossing or past the last LBA: 05h/21h/00h"),
	NX_CONF_TEST("sbc3", prefetch16_lba_wrap, "SBC-3 5.8",
		     "PRE-FETCH(16) LBA + count wrapping past 2^64: 05h/21h/00h"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_prefetch, tests);
