/*
 * scn_util_test.c - the self-describing block contents and a read's
 * blocks checked where they arrive (scn_util.h): whatever the offsets,
 * lengths and order of the deliveries, nx_scn_rx_valid() must give for
 * every block exactly what nx_scn_block_valid() gives on the buffer a
 * plain copy of the same deliveries leaves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scn_util.c"

#define NB 12u                  /* blocks in the test read */
#define LBA 1000u
#define LEN (NB * BLOCK)

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* One version of the read's data: valid, zero, corrupt and misplaced
 * blocks. */
static void make_data(uint8_t *d, uint64_t seed)
{
	for (uint32_t i = 0; i < NB; i++) {
		uint8_t *p = d + (size_t)i * BLOCK;
		uint64_t tag = seed * 100 + i + 1;

		switch ((seed + i) % 5) {
		case 0:
			nx_scn_block_fill(p, 0, LBA + i);
			break;
		case 1:
			nx_scn_block_fill(p, tag, LBA + i);
			p[100 + seed % 300] ^= 0x20;        /* corrupt */
			break;
		case 2:
			nx_scn_block_fill(p, tag, LBA + i + 1); /* misplaced */
			break;
		default:
			nx_scn_block_fill(p, tag, LBA + i);
		}
	}
}

struct rig {
	uint8_t buf[LEN], ref[LEN];
	uint64_t tags[NX_SCN_RX_BLOCKS_MAX];
	struct nx_scn_rx rx;
};

/* Both buffers start with the same stale bytes (a previous command's). */
static void rig_init(struct rig *r)
{
	for (uint32_t i = 0; i < LEN; i++)
		r->buf[i] = r->ref[i] = (uint8_t)rnd();
	nx_scn_block_fill(r->buf + 3 * BLOCK, 77, LBA + 3); /* stale but valid */
	memcpy(r->ref + 3 * BLOCK, r->buf + 3 * BLOCK, BLOCK);
	memset(r->tags, 0xa5, sizeof(r->tags));
	r->rx.buf = r->buf;
	r->rx.tag = r->tags;
	memset(r->rx.placed, 0xff, sizeof(r->rx.placed)); /* reset clears */
	nx_scn_rx_reset(&r->rx, NB);
}

static void deliver(struct rig *r, const uint8_t *d, uint32_t off, uint32_t len)
{
	nx_scn_rx_data(&r->rx, LBA, off, d + off, len);
	memcpy(r->ref + off, d + off, len);
}

static void assert_same(const struct rig *r)
{
	for (uint32_t i = 0; i < NB; i++) {
		uint64_t t1 = 1, t2 = 2;
		bool v1 = nx_scn_rx_valid(&r->rx, LBA, i, &t1);
		bool v2 = nx_scn_block_valid(r->ref + (size_t)i * BLOCK, LBA + i, &t2);

		assert_int_equal(v1, v2);
		assert_int_equal(t1, t2);
		if (!nx_scn_rx_placed(&r->rx, i))
			assert_memory_equal(r->buf + (size_t)i * BLOCK,
					    r->ref + (size_t)i * BLOCK, BLOCK);
	}
}

static void test_block_fill_valid(void **state)
{
	uint8_t p[BLOCK];
	uint64_t tag;

	(void)state;
	nx_scn_block_fill(p, 0x0100000000000042ull, 7);
	assert_true(nx_scn_block_valid(p, 7, &tag));
	assert_int_equal(tag, 0x0100000000000042ull);
	assert_false(nx_scn_block_valid(p, 8, &tag));
	for (uint32_t k = 0; k < BLOCK; k += 37) {
		p[k] ^= 1;
		assert_false(nx_scn_block_valid(p, 7, &tag));
		p[k] ^= 1;
	}
	nx_scn_block_fill(p, 0, 7);
	assert_true(nx_scn_block_valid(p, 7, &tag));
	assert_int_equal(tag, 0);
	p[BLOCK - 1] = 1;
	assert_false(nx_scn_block_valid(p, 7, &tag));
	assert_int_equal(tag, 0);
}

/* A range fill gives exactly the bytes of the whole blocks at those
 * offsets, and writes nothing outside the range. */
static void test_blocks_fill_range(void **state)
{
	static uint8_t whole[LEN], got[LEN + 2], scratch[BLOCK];
	static const uint32_t cut[][2] = {
		{ 0, LEN }, { 0, 1 }, { 0, BLOCK }, { 3, 1 }, { 5, BLOCK - 5 },
		{ 100, BLOCK }, { BLOCK - 1, 2 }, { 7, 3 * BLOCK + 9 },
		{ 2 * BLOCK, 4 * BLOCK + 1 }, { LEN - 1, 1 }, { 1, LEN - 1 },
	};

	(void)state;
	nx_scn_blocks_fill(whole, 0x0200000000000099ull, LBA, NB);
	for (unsigned i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		uint32_t off = cut[i][0], len = cut[i][1];

		memset(got, 0xa5, sizeof(got));
		nx_scn_blocks_fill_range(got + 1, 0x0200000000000099ull, LBA,
					 off, len, scratch);
		assert_int_equal(got[0], 0xa5);
		assert_memory_equal(got + 1, whole + off, len);
		assert_int_equal(got[1 + len], 0xa5);
	}
}

/* The usual delivery: whole blocks in one piece.  Valid blocks are taken
 * in place (their bytes never reach buf), the others are copied. */
static void test_rx_whole_blocks(void **state)
{
	static struct rig r;
	static uint8_t d[LEN], stale[LEN];

	(void)state;
	rnd_state = 1;
	rig_init(&r);
	memcpy(stale, r.buf, LEN);
	make_data(d, 1);
	deliver(&r, d, 0, LEN);
	assert_same(&r);
	for (uint32_t i = 0; i < NB; i++) {
		uint64_t tag;
		bool valid = nx_scn_block_valid(d + (size_t)i * BLOCK, LBA + i, &tag);
		const uint8_t *want = valid ? stale : d;

		assert_int_equal(nx_scn_rx_placed(&r.rx, i), valid);
		assert_memory_equal(r.buf + (size_t)i * BLOCK,
				    want + (size_t)i * BLOCK, BLOCK);
	}
	/* a new read: everything counts as in buf again */
	nx_scn_rx_reset(&r.rx, NB);
	for (uint32_t i = 0; i < NB; i++)
		assert_false(nx_scn_rx_placed(&r.rx, i));
}

/* A block split between two deliveries, a block never delivered (stale
 * bytes count, as after a copy), a placed block partly overwritten by a
 * later delivery of other data (its bytes come back first). */
static void test_rx_split_and_overwrite(void **state)
{
	static struct rig r;
	static uint8_t d1[LEN], d2[LEN];

	(void)state;
	rnd_state = 2;
	rig_init(&r);
	make_data(d1, 3);
	make_data(d2, 4);
	deliver(&r, d1, 0, 1000);               /* block 1 split at 1000 */
	deliver(&r, d1, 1000, 500);
	deliver(&r, d1, 2048, LEN - 2048);       /* block 3 never delivered */
	assert_same(&r);
	assert_true(nx_scn_rx_placed(&r.rx, 6)); /* make_data(3): valid */
	deliver(&r, d2, 6 * BLOCK + 100, 50);    /* into placed block 6 */
	assert_false(nx_scn_rx_placed(&r.rx, 6));
	assert_same(&r);
	deliver(&r, d1, 6 * BLOCK, BLOCK);       /* whole again: placed */
	assert_true(nx_scn_rx_placed(&r.rx, 6));
	assert_same(&r);
}

/* Any offsets, lengths, order and overlaps, from two versions of the
 * data. */
static void test_rx_random(void **state)
{
	static struct rig r;
	static uint8_t d[2][LEN];

	(void)state;
	for (uint64_t round = 0; round < 2000; round++) {
		rnd_state = round * 0x9e3779b97f4a7c15ull + 1;
		rig_init(&r);
		make_data(d[0], round);
		make_data(d[1], round + 1);
		for (unsigned k = rnd() % 8; k-- > 0;) {
			uint32_t off = (uint32_t)(rnd() % LEN);
			uint32_t len = (uint32_t)(rnd() % (LEN - off) + 1);

			if (rnd() % 2) { /* whole blocks: the fast path */
				off -= off % BLOCK;
				len = NX_MIN((len + BLOCK - 1) / BLOCK * BLOCK,
					     LEN - off);
			}
			deliver(&r, d[rnd() % 2], off, len);
		}
		assert_same(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_fill_valid),
		cmocka_unit_test(test_blocks_fill_range),
		cmocka_unit_test(test_rx_whole_blocks),
		cmocka_unit_test(test_rx_split_and_overwrite),
		cmocka_unit_test(test_rx_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
