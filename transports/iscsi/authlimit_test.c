/*
 * authlimit_test.c - the CHAP brute-force lockout table: free failures,
 * doubling delays up to the cap, forgetting after a quiet period, success
 * clearing a key, and deterministic reuse when the table is full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iscsi/iscsi_internal.h"

#define S (1000ull * 1000 * 1000)

static struct nx_authlimit *al_new(void)
{
	struct nx_authlimit *al = calloc(1, sizeof(*al));

	assert_non_null(al);
	nx_authlimit_init(al, 3, 1 * S, 60 * S);
	return al;
}

static void test_authlimit_growing_bounded(void **state)
{
	struct nx_authlimit *al = al_new();
	/* lockout after the n-th failure (n = 1..12) */
	static const uint64_t want[] = { 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60 };
	uint64_t now = 1000 * S;

	(void)state;
	for (unsigned n = 0; n < sizeof(want) / sizeof(want[0]); n++) {
		assert_int_equal(nx_authlimit_blocked(al, "i:x", now), 0);
		nx_authlimit_fail(al, "i:x", now);
		assert_int_equal(nx_authlimit_blocked(al, "i:x", now), want[n] * S);
		/* other keys are untouched */
		assert_int_equal(nx_authlimit_blocked(al, "i:y", now), 0);
		now += want[n] * S; /* retry exactly when allowed */
	}
	/* half way through a lockout the rest is reported */
	nx_authlimit_fail(al, "i:x", now);
	assert_int_equal(nx_authlimit_blocked(al, "i:x", now + 20 * S), 40 * S);
	assert_int_equal(nx_authlimit_blocked(al, "i:x", now + 60 * S), 0);
	free(al);
}

static void test_authlimit_success_clears(void **state)
{
	struct nx_authlimit *al = al_new();

	(void)state;
	for (int i = 0; i < 5; i++)
		nx_authlimit_fail(al, "i:x", 10 * S);
	assert_true(nx_authlimit_blocked(al, "i:x", 10 * S) > 0);
	nx_authlimit_ok(al, "i:x");
	assert_int_equal(nx_authlimit_blocked(al, "i:x", 10 * S), 0);
	/* and the count starts over: three free failures again */
	for (int i = 0; i < 3; i++)
		nx_authlimit_fail(al, "i:x", 10 * S);
	assert_int_equal(nx_authlimit_blocked(al, "i:x", 10 * S), 0);
	nx_authlimit_ok(al, "i:never-failed"); /* no entry: no-op */
	free(al);
}

static void test_authlimit_forgets(void **state)
{
	struct nx_authlimit *al = al_new();

	(void)state;
	for (int i = 0; i < 4; i++)
		nx_authlimit_fail(al, "a:10.0.0.9", 5 * S);
	assert_int_equal(nx_authlimit_blocked(al, "a:10.0.0.9", 5 * S), 1 * S);
	/* quiet for twice the cap: the next failure is a first failure */
	nx_authlimit_fail(al, "a:10.0.0.9", 5 * S + 120 * S);
	assert_int_equal(nx_authlimit_blocked(al, "a:10.0.0.9", 125 * S), 0);
	/* but a shorter quiet period keeps counting */
	for (int i = 0; i < 3; i++)
		nx_authlimit_fail(al, "a:10.0.0.9", 126 * S);
	assert_int_equal(nx_authlimit_blocked(al, "a:10.0.0.9", 126 * S), 1 * S);
	free(al);
}

/* A full table reuses the entry whose lockout ends first, lowest index
 * on ties: a flood of new keys cannot push out a key locked for longer. */
static void test_authlimit_full_table(void **state)
{
	struct nx_authlimit *al = al_new();
	char key[32];

	(void)state;
	/* the victim-to-be: locked for 60 s */
	for (int i = 0; i < 12; i++)
		nx_authlimit_fail(al, "i:attacker", 0);
	assert_int_equal(nx_authlimit_blocked(al, "i:attacker", 0), 60 * S);
	/* fill the rest with keys locked for 1 s, then overflow by 100 */
	for (unsigned k = 0; k < NX_AUTHLIMIT_ENTRIES + 100; k++) {
		snprintf(key, sizeof(key), "a:host%u", k);
		for (int i = 0; i < 4; i++)
			nx_authlimit_fail(al, key, 1 * S);
	}
	assert_int_equal(nx_authlimit_blocked(al, "i:attacker", 1 * S), 59 * S);
	/* the newest keys are present, the oldest short ones were reused */
	snprintf(key, sizeof(key), "a:host%u", NX_AUTHLIMIT_ENTRIES + 99);
	assert_int_equal(nx_authlimit_blocked(al, key, 1 * S), 1 * S);
	assert_int_equal(nx_authlimit_blocked(al, "a:host0", 1 * S), 0);
	free(al);
}

/* Same inputs, same state: nothing depends on addresses or order of
 * allocation. */
static void test_authlimit_deterministic(void **state)
{
	struct nx_authlimit *a = al_new(), *b = al_new();
	char key[32];

	(void)state;
	for (unsigned k = 0; k < 3 * NX_AUTHLIMIT_ENTRIES; k++) {
		snprintf(key, sizeof(key), "i:%u", (k * 7919) % 401);
		nx_authlimit_fail(a, key, k * S / 10);
		nx_authlimit_fail(b, key, k * S / 10);
	}
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authlimit_growing_bounded),
		cmocka_unit_test(test_authlimit_success_clears),
		cmocka_unit_test(test_authlimit_forgets),
		cmocka_unit_test(test_authlimit_full_table),
		cmocka_unit_test(test_authlimit_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
