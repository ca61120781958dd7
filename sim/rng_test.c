/*
 * rng_test.c - known-answer vectors for splitmix64 and xoshiro256**, and
 * the properties streams rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nx_sim.h"

/* Reference outputs of Vigna's splitmix64.c with x = 0. */
static void test_splitmix64_kat(void **state)
{
	static const uint64_t want[] = {
		0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull,
		0x06c45d188009454full, 0xf88bb8a8724c81ecull,
	};
	uint64_t x = 0;

	for (unsigned i = 0; i < NX_ARRAY_SIZE(want); i++)
		assert_int_equal(nx_splitmix64(&x), want[i]);
}

/* Reference outputs of xoshiro256starstar.c from state {1, 2, 3, 4}. */
static void test_xoshiro_kat(void **state)
{
	static const uint64_t want[] = {
		11520ull, 0ull, 1509978240ull, 1215971899390074240ull,
		1216172134540287360ull, 607988272756665600ull,
		16172922978634559625ull, 8476171486693032832ull,
		10595114339597558777ull, 2904607092377533576ull,
	};
	struct nx_rng r = { .s = { 1, 2, 3, 4 } };

	for (unsigned i = 0; i < NX_ARRAY_SIZE(want); i++)
		assert_int_equal(nx_rng_u64(&r), want[i]);
}

/* Seeding = four splitmix64 outputs: pinned so a seed means one run. */
static void test_seeding_pinned(void **state)
{
	struct nx_rng r;
	uint64_t x = 42;

	nx_rng_init(&r, 42);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(r.s[i], nx_splitmix64(&x));
	assert_int_equal(r.seed, 42);
}

static void test_forks_independent_of_draws(void **state)
{
	struct nx_rng root, a1, a2, b;

	nx_rng_init(&root, 1234);
	nx_rng_fork(&root, "link", 0, &a1);
	for (unsigned i = 0; i < 100; i++)
		nx_rng_u64(&root);
	nx_rng_fork(&root, "disk", 0, &b);     /* a new site ... */
	nx_rng_fork(&root, "link", 0, &a2);    /* ... shifts nothing */
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(nx_rng_u64(&a1), nx_rng_u64(&a2));
	nx_rng_fork(&root, "link", 1, &a2);
	nx_rng_fork(&root, "link", 0, &a1);
	assert_int_not_equal(nx_rng_u64(&a1), nx_rng_u64(&a2));
	nx_rng_fork(&root, "link", 0, &a1);
	assert_int_not_equal(nx_rng_u64(&a1), nx_rng_u64(&b));
}

static void test_ranges_and_chances(void **state)
{
	struct nx_rng r;
	unsigned hits = 0, seen[7] = { 0 };

	nx_rng_init(&r, 9);
	for (unsigned i = 0; i < 7000; i++) {
		uint64_t v = nx_rng_range(&r, 3, 9);

		assert_true(v >= 3 && v <= 9);
		seen[v - 3]++;
	}
	for (unsigned i = 0; i < 7; i++)
		assert_true(seen[i] > 800 && seen[i] < 1200);
	for (unsigned i = 0; i < 10000; i++)
		hits += nx_rng_chance(&r, 1, 4);
	assert_true(hits > 2300 && hits < 2700);
	assert_false(nx_rng_chance(&r, 0, 5));
	assert_true(nx_rng_chance(&r, 5, 5));
	assert_false(nx_rng_ppb(&r, 0));
	assert_int_equal(nx_rng_range(&r, 5, 5), 5);
	assert_int_equal(nx_rng_below(&r, 0), 0);
	/* empty choices consume no state */
	{
		struct nx_rng a = r, b = r;

		nx_rng_below(&a, 1);
		nx_rng_ppb(&a, 0);
		assert_int_equal(nx_rng_u64(&a), nx_rng_u64(&b));
	}
}

/* The rejection test of nx_rng_below against the textbook one (limit =
 * UINT64_MAX - UINT64_MAX % bound): same verdict for every draw, so the
 * same streams, including bounds that divide 2^64 and huge ones. */
static void test_below_rejection_equivalent(void **state)
{
	struct nx_rng r;
	static const uint64_t edge[] = { 2, 3, 7, 1ull << 32, 1ull << 63,
					 (1ull << 63) + 1, UINT64_MAX - 1,
					 UINT64_MAX, 1000000000ull };

	nx_rng_init(&r, 4242);
	for (unsigned i = 0; i < 200000; i++) {
		uint64_t bound = i < 20000 ? edge[i % NX_ARRAY_SIZE(edge)]
					   : nx_rng_u64(&r) >> (nx_rng_u64(&r) % 64);
		uint64_t x = i % 3 == 0 ? UINT64_MAX - nx_rng_u64(&r) % 4096
					: nx_rng_u64(&r);
		uint64_t m;

		if (bound <= 1)
			continue;
		m = x % bound;
		assert_int_equal(x - m > UINT64_MAX - bound,
				 x >= UINT64_MAX - UINT64_MAX % bound);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_kat),
		cmocka_unit_test(test_xoshiro_kat),
		cmocka_unit_test(test_seeding_pinned),
		cmocka_unit_test(test_forks_independent_of_draws),
		cmocka_unit_test(test_ranges_and_chances),
		cmocka_unit_test(test_below_rejection_equivalent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
