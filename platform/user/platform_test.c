/* platform_test.c - memory, log levels, snprintf, clock and rng. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nx_user.h"

static void test_alloc_zeroed(void **state)
{
	uint8_t *p = nx_alloc(64);
	void *z = nx_alloc(0);

	assert_non_null(p);
	for (int i = 0; i < 64; i++)
		assert_int_equal(p[i], 0);
	assert_non_null(z); /* zero-size objects are still distinct */
	nx_free(p);
	nx_free(z);
	nx_free(NULL);
}

static void test_snprintf_c99(void **state)
{
	char buf[4];

	assert_int_equal(nx_snprintf(buf, sizeof(buf), "%s", "abcdef"), 6);
	assert_string_equal(buf, "abc");
	assert_int_equal(nx_snprintf(NULL, 0, "%u", 12345u), 5);
}

static void test_log_level_parse(void **state)
{
	enum nx_log_level l;

	assert_true(nx_user_parse_log_level("debug", &l));
	assert_int_equal(l, NX_LOG_DEBUG);
	assert_true(nx_user_parse_log_level("0", &l));
	assert_int_equal(l, NX_LOG_ERR);
	assert_true(nx_user_parse_log_level("warning", &l));
	assert_int_equal(l, NX_LOG_WARN);
	assert_false(nx_user_parse_log_level("loud", &l));
	assert_false(nx_user_parse_log_level("4", &l));
	nx_user_set_log_level(NX_LOG_ERR);
	assert_int_equal(nx_user_log_level(), NX_LOG_ERR);
	nx_log(NX_LOG_INFO, "filtered out %d", 1); /* must not print */
	nx_user_set_log_level(NX_LOG_INFO);
}

static void test_clock_monotonic(void **state)
{
	uint64_t a = nx_clock_ns();
	uint64_t b = nx_clock_ns();

	assert_true(a > 0);
	assert_true(b >= a);
}

static void test_rng_seeded_is_deterministic(void **state)
{
	uint64_t first[8];

	nx_user_seed_random(42);
	for (int i = 0; i < 8; i++)
		first[i] = nx_random_u64();
	nx_user_seed_random(42);
	for (int i = 0; i < 8; i++)
		assert_int_equal(nx_random_u64(), first[i]);
	nx_user_seed_random(43);
	assert_int_not_equal(nx_random_u64(), first[0]);
}

/* Pins the generator: xoshiro256** from splitmix64(0).  A change here
 * changes every simulator seed's meaning, so it must be deliberate. */
static void test_rng_known_vector(void **state)
{
	nx_user_seed_random(0);
	assert_int_equal(nx_random_u64(), 0x99ec5f36cb75f2b4u);
	assert_int_equal(nx_random_u64(), 0xbf6e1f784956452au);
}

static void test_rng_bits_vary(void **state)
{
	uint64_t or_all = 0, and_all = UINT64_MAX;

	nx_user_seed_random(7);
	for (int i = 0; i < 256; i++) {
		uint64_t v = nx_random_u64();

		or_all |= v;
		and_all &= v;
	}
	assert_int_equal(or_all, UINT64_MAX);
	assert_int_equal(and_all, 0);
}

/* stderr into a temporary file while fn runs; returns what was written
 * (static buffer). */
static const char *capture_stderr(void (*fn)(void *), void *arg)
{
	static char out[4096];
	char path[] = "/tmp/nx_platform_test.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn(arg);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static const uint64_t SEC = NX_LOG_LIMIT_WINDOW_NS;

static void limit_flood(void *arg)
{
	struct nx_log_limit *ll = arg;
	unsigned logged = 0, first_held = 0;

	/* 50 lines within the first window (t = 0 .. 0.49 s) */
	for (unsigned i = 0; i < 50; i++) {
		enum nx_log_limit_verdict v =
			nx_log_limit_pass(ll, NX_LOG_WARN, 1000 + i * SEC / 100);

		logged += v == NX_LOG_LIMIT_LOG;
		first_held += v == NX_LOG_LIMIT_HELD_FIRST;
	}
	assert_int_equal(logged, NX_LOG_LIMIT_BURST);
	assert_int_equal(first_held, 1);
	assert_int_equal(ll->held, 50 - NX_LOG_LIMIT_BURST);
	/* the owner's timer, armed for the window's end: too early, then on time */
	assert_int_equal(nx_log_limit_left(ll, 1000 + SEC / 2), SEC / 2);
	assert_int_equal(nx_log_limit_flush(ll, 1000 + SEC / 2), SEC / 2);
	assert_int_equal(nx_log_limit_flush(ll, 1000 + SEC), 0);
	assert_int_equal(ll->held, 0);
	assert_int_equal(ll->held_total, 50 - NX_LOG_LIMIT_BURST);
	/* a new window: the burst again; its held line is reported by the
	 * next line after the window, without a timer */
	for (unsigned i = 0; i <= NX_LOG_LIMIT_BURST; i++)
		nx_log_limit_pass(ll, NX_LOG_INFO, 5 * SEC + i);
	assert_int_equal(nx_log_limit_pass(ll, NX_LOG_WARN, 7 * SEC),
			 NX_LOG_LIMIT_LOG);
}

/* nx_log_limit (nx_platform.h): at most NX_LOG_LIMIT_BURST lines per
 * window, the rest counted and reported in one line, by the owner's
 * timer or by the next line after the window. */
static void test_log_limit(void **state)
{
	struct nx_log_limit ll;
	enum nx_log_level saved = nx_user_log_level();
	const char *out;
	int lines;

	nx_log_limit_init(&ll, "test: refused");
	nx_user_set_log_level(NX_LOG_INFO);
	out = capture_stderr(limit_flood, &ll);
	nx_user_set_log_level(saved);
	assert_non_null(strstr(out, "nexus W test: refused: 40 more not logged "
				    "in the last 1000 ms (rate limit: 10 lines/s)"));
	/* at the held lines' level */
	assert_non_null(strstr(out, "nexus I test: refused: 1 more not logged "
				    "in the last 2000 ms"));
	/* the two summaries are the only lines (the caller logs the rest) */
	lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_zeroed),
		cmocka_unit_test(test_snprintf_c99),
		cmocka_unit_test(test_log_level_parse),
		cmocka_unit_test(test_clock_monotonic),
		cmocka_unit_test(test_rng_seeded_is_deterministic),
		cmocka_unit_test(test_rng_known_vector),
		cmocka_unit_test(test_rng_bits_vary),
		cmocka_unit_test(test_log_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
