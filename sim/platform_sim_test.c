/*
 * platform_sim_test.c - nx_platform.h in the simulator: virtual clock,
 * timers as events, seeded randomness, counted allocations, persistence
 * and deterministic logs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nx_sim.h"

static struct nx_sim *sim_make(uint64_t seed)
{
	struct nx_sim_opts o = { .seed = seed };
	struct nx_sim *sim = nx_sim_new(&o);

	assert_non_null(sim);
	nx_sim_set_current(sim);
	return sim;
}

struct fired {
	unsigned n;
	uint64_t at;
};

static void on_timer(void *arg)
{
	struct fired *f = arg;

	f->n++;
	f->at = nx_clock_ns();
}

static void test_timers_on_virtual_clock(void **state)
{
	struct nx_sim *sim = sim_make(1);
	int64_t base = nx_sim_alloc_outstanding();
	struct fired f = { 0 };
	struct nx_timer *t = nx_timer_new(on_timer, &f);

	assert_int_equal(nx_clock_ns(), 0);
	nx_timer_arm(t, 1000);
	nx_timer_arm(t, 5000);     /* re-arming replaces */
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.at, 5000);
	nx_timer_arm(t, 10);
	nx_timer_cancel(t);
	nx_timer_cancel(t);        /* idle cancel is a no-op */
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(f.n, 1);
	nx_timer_arm(t, 10);
	nx_timer_free(t);          /* armed: freed cleanly */
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(f.n, 1);
	assert_int_equal(nx_sim_alloc_outstanding(), base);
	nx_sim_free(sim);
}

static void test_alloc_counting(void **state)
{
	struct nx_sim *sim = sim_make(1);
	int64_t base = nx_sim_alloc_outstanding();
	uint8_t *p = nx_alloc(100);

	assert_non_null(p);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(p[i], 0); /* zeroed */
	assert_int_equal(nx_sim_alloc_outstanding(), base + 1);
	nx_sim_alloc_fail_after(2);
	{
		void *q = nx_alloc(8);

		assert_non_null(q);
		assert_null(nx_alloc(8)); /* the injected failure */
		nx_free(q);
	}
	nx_free(p);
	nx_free(NULL);
	assert_int_equal(nx_sim_alloc_outstanding(), base);
	nx_sim_free(sim);
}

static uint64_t draw3(uint64_t seed)
{
	struct nx_sim *sim = sim_make(seed);
	uint64_t v = nx_random_u64() ^ (nx_random_u64() << 1) ^ (nx_random_u64() << 2);

	nx_sim_free(sim);
	return v;
}

static void test_random_from_seed(void **state)
{
	assert_int_equal(draw3(10), draw3(10));
	assert_int_not_equal(draw3(10), draw3(11));
}

static void test_persist_survives_and_is_bounded(void **state)
{
	struct nx_sim *sim = sim_make(1);
	char buf[16];
	size_t len;
	char key[32];

	assert_int_equal(nx_persist_load("pr/lu0", buf, sizeof(buf), &len), NX_ENOENT);
	assert_int_equal(nx_persist_store("pr/lu0", "old", 3), 0);
	assert_int_equal(nx_persist_store("pr/lu0", "new-value-long", 14), 0);
	assert_int_equal(nx_persist_load("pr/lu0", buf, 4, &len), 0);
	assert_int_equal(len, 14);                   /* full length reported */
	assert_memory_equal(buf, "new-", 4);         /* cap bytes copied */
	assert_int_equal(nx_sim_persist_count(sim), 1);
	for (unsigned i = 1; i < NX_SIM_PERSIST_KEYS_MAX; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(nx_persist_store(key, "x", 1), 0);
	}
	assert_int_equal(nx_persist_store("one-too-many", "x", 1), NX_ENOSPC);
	assert_int_equal(nx_persist_store("pr/lu0", buf, NX_SIM_PERSIST_BLOB_MAX + 1), NX_EINVAL);
	nx_sim_persist_clear(sim);
	assert_int_equal(nx_sim_persist_count(sim), 0);
	nx_sim_free(sim);
}

static void log_some(void *arg)
{
	nx_log(NX_LOG_INFO, "event %d", *(int *)arg);
	nx_log(NX_LOG_DEBUG, "hidden at INFO");
}

static uint64_t log_run(uint64_t seed, char *out, size_t cap)
{
	struct nx_sim *sim = sim_make(seed);
	FILE *f = fmemopen(out, cap, "w");
	static int vals[3] = { 1, 2, 3 };
	uint64_t d;

	nx_sim_log_config(sim, f, NX_LOG_INFO);
	for (unsigned i = 0; i < 3; i++)
		nx_sim_schedule(sim, 1500000000ull * i + 7, log_some, &vals[i]);
	nx_sim_run_idle(sim, UINT64_MAX);
	d = nx_sim_log_digest(sim);
	fclose(f);
	nx_sim_free(sim);
	return d;
}

static void test_log_virtual_time_and_digest(void **state)
{
	char a[512] = { 0 }, b[512] = { 0 };

	assert_int_equal(log_run(1, a, sizeof(a)), log_run(2, b, sizeof(b)));
	assert_string_equal(a, "[0.000000007] INF event 1\n"
			       "[1.500000007] INF event 2\n"
			       "[3.000000007] INF event 3\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_on_virtual_clock),
		cmocka_unit_test(test_alloc_counting),
		cmocka_unit_test(test_random_from_seed),
		cmocka_unit_test(test_persist_survives_and_is_bounded),
		cmocka_unit_test(test_log_virtual_time_and_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
