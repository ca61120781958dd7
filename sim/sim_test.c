/*
 * sim_test.c - the event loop: (time, sequence) order, cancel, bounded
 * pool, run-until, determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nx_sim.h"

#define N_EVENTS 2000

struct rec {
	struct nx_sim *sim;
	uint64_t t[N_EVENTS];
	unsigned id[N_EVENTS];
	unsigned n;
};

struct ev {
	struct rec *r;
	unsigned id;
};

static void record(void *arg)
{
	struct ev *e = arg;

	e->r->t[e->r->n] = nx_sim_now(e->r->sim);
	e->r->id[e->r->n] = e->id;
	e->r->n++;
}

static struct nx_sim *sim_make(uint64_t seed, uint32_t events)
{
	struct nx_sim_opts o = { .seed = seed, .events_max = events };
	struct nx_sim *sim = nx_sim_new(&o);

	assert_non_null(sim);
	return sim;
}

/* An empty record for sim, and evs[0..n) recording into it as 0..n-1. */
static void rec_reset(struct rec *r, struct nx_sim *sim, struct ev *evs,
		      unsigned n)
{
	memset(r, 0, sizeof(*r));
	r->sim = sim;
	for (unsigned i = 0; i < n; i++)
		evs[i] = (struct ev){ r, i };
}

/* Random delays, a third cancelled: survivors run in (time, seq) order. */
static void test_heap_order_and_cancel(void **state)
{
	static struct rec r;
	static struct ev evs[N_EVENTS];
	static nx_sim_event_id ids[N_EVENTS];
	static uint64_t due[N_EVENTS];
	struct nx_sim *sim = sim_make(7, N_EVENTS);
	struct nx_rng rng;
	unsigned expect = 0;

	rec_reset(&r, sim, evs, N_EVENTS);
	nx_rng_init(&rng, 99);
	for (unsigned i = 0; i < N_EVENTS; i++) {
		due[i] = nx_rng_below(&rng, 50); /* many ties */
		ids[i] = nx_sim_schedule(sim, due[i], record, &evs[i]);
		assert_int_not_equal(ids[i], NX_SIM_EVENT_NONE);
	}
	for (unsigned i = 0; i < N_EVENTS; i += 3)
		assert_true(nx_sim_cancel(sim, ids[i]));
	assert_false(nx_sim_cancel(sim, ids[0])); /* already cancelled */
	assert_int_equal(nx_sim_run_idle(sim, UINT64_MAX), N_EVENTS - (N_EVENTS + 2) / 3);
	for (unsigned i = 0; i < N_EVENTS; i++)
		expect += i % 3 != 0;
	assert_int_equal(r.n, expect);
	for (unsigned i = 1; i < r.n; i++) {
		assert_true(r.t[i - 1] <= r.t[i]);
		if (r.t[i - 1] == r.t[i])
			assert_true(r.id[i - 1] < r.id[i]); /* FIFO among ties */
	}
	for (unsigned i = 0; i < r.n; i++) {
		assert_int_equal(r.t[i], due[r.id[i]]);
		assert_true(r.id[i] % 3 != 0);
	}
	assert_false(nx_sim_pending(sim, ids[1])); /* ran: stale handle */
	assert_false(nx_sim_cancel(sim, ids[1]));
	nx_sim_free(sim);
}

static void test_pool_bounded(void **state)
{
	struct nx_sim *sim = sim_make(1, 4);
	static struct rec r;
	struct ev e = { &r, 0 };

	rec_reset(&r, sim, NULL, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_not_equal(nx_sim_schedule(sim, i, record, &e), NX_SIM_EVENT_NONE);
	assert_int_equal(nx_sim_schedule(sim, 1, record, &e), NX_SIM_EVENT_NONE);
	assert_true(nx_sim_step(sim));
	/* the freed slot is reusable, with a new generation */
	assert_int_not_equal(nx_sim_schedule(sim, 1, record, &e), NX_SIM_EVENT_NONE);
	assert_int_equal(nx_sim_events_high_water(sim), 4);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(r.n, 5);
	assert_false(nx_sim_step(sim));
	nx_sim_free(sim);
}

struct chain {
	struct nx_sim *sim;
	unsigned left;
	uint64_t hash;
	struct nx_rng rng;
};

static void chain_step(void *arg)
{
	struct chain *c = arg;

	c->hash = (c->hash ^ nx_sim_now(c->sim)) * 0x100000001b3ull;
	if (c->left > 0) {
		c->left--;
		nx_sim_schedule(c->sim, nx_rng_below(&c->rng, 1000), chain_step, c);
		if (nx_rng_chance(&c->rng, 1, 4))
			nx_sim_schedule(c->sim, nx_rng_below(&c->rng, 10), chain_step, c);
	}
}

static uint64_t run_chain(uint64_t seed)
{
	struct nx_sim *sim = sim_make(seed, 0);
	struct chain c = { .sim = sim, .left = 500 };
	uint64_t h;

	nx_rng_fork(nx_sim_rng(sim), "chain", 0, &c.rng);
	nx_sim_schedule(sim, 0, chain_step, &c);
	nx_sim_run_idle(sim, UINT64_MAX);
	h = c.hash ^ nx_sim_now(sim) ^ nx_sim_events_run(sim);
	nx_sim_free(sim);
	return h;
}

static void test_determinism(void **state)
{
	assert_int_equal(run_chain(5), run_chain(5));
	assert_int_equal(run_chain(6), run_chain(6));
	assert_int_not_equal(run_chain(5), run_chain(6));
}

static bool reached(void *arg)
{
	return ((struct rec *)arg)->n >= 3;
}

static void test_run_until_and_run_to(void **state)
{
	struct nx_sim *sim = sim_make(1, 16);
	static struct rec r;
	struct ev e = { &r, 0 };

	rec_reset(&r, sim, NULL, 0);
	for (unsigned i = 1; i <= 5; i++)
		nx_sim_schedule(sim, i * 100, record, &e);
	assert_true(nx_sim_run_until(sim, reached, &r, UINT64_MAX));
	assert_int_equal(nx_sim_now(sim), 300);
	assert_int_equal(nx_sim_run_to(sim, 450), 1);
	assert_int_equal(nx_sim_now(sim), 450); /* clock advanced to target */
	assert_int_equal(nx_sim_run_for(sim, 10), 0);
	assert_int_equal(nx_sim_now(sim), 460);
	assert_false(nx_sim_run_until(sim, reached, &r, 0) && r.n < 3);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(r.n, 5);
	assert_int_equal(nx_sim_now(sim), 500);
	/* the past is clamped to now */
	nx_sim_schedule_at(sim, 10, record, &e);
	nx_sim_step(sim);
	assert_int_equal(r.t[5], 500);
	nx_sim_free(sim);
}

/* A continuation runs as the next step, before an event due at the same
 * instant, one step each (run_until sees between them); is_last_scheduled
 * holds only for the latest pending event. */
struct cont {
	struct rec *r;
	unsigned left;
};

static void cont_step(void *arg)
{
	struct cont *c = arg;
	struct ev e = { c->r, 100 + c->left };

	record(&e);
	if (--c->left > 0)
		nx_sim_continue(c->r->sim, cont_step, c);
}

static void test_continuation(void **state)
{
	struct nx_sim *sim = sim_make(3, 16);
	static struct rec r;
	struct ev later = { &r, 7 };
	struct cont c = { &r, 4 };
	nx_sim_event_id a, b;

	rec_reset(&r, sim, NULL, 0);
	a = nx_sim_schedule(sim, 50, cont_step, &c);
	assert_true(nx_sim_is_last_scheduled(sim, a));
	b = nx_sim_schedule(sim, 50, record, &later);
	assert_false(nx_sim_is_last_scheduled(sim, a));
	assert_true(nx_sim_is_last_scheduled(sim, b));
	assert_true(nx_sim_cancel(sim, b));
	assert_false(nx_sim_is_last_scheduled(sim, b));
	assert_false(nx_sim_is_last_scheduled(sim, NX_SIM_EVENT_NONE));
	nx_sim_schedule(sim, 50, record, &later);
	assert_true(nx_sim_run_until(sim, reached, &r, UINT64_MAX));
	assert_int_equal(r.n, 3); /* stopped between two continuation steps */
	assert_int_equal(nx_sim_events_pending(sim), 2);
	assert_int_equal(nx_sim_run_idle(sim, UINT64_MAX), 2);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.id[0], 104);
	assert_int_equal(r.id[1], 103);
	assert_int_equal(r.id[2], 102);
	assert_int_equal(r.id[3], 101);
	assert_int_equal(r.id[4], 7); /* the event due at the same time after */
	assert_int_equal(r.t[4], 50);
	assert_int_equal(nx_sim_events_run(sim), 5);
	nx_sim_free(sim);
}

/* Lanes: whatever mix of lane, heap and now-events (and cancels), the
 * order is (time, sequence), exactly as the heap alone would give. */
static void test_lanes_keep_order(void **state)
{
	static struct rec r;
	static struct ev evs[N_EVENTS];
	static nx_sim_event_id ids[N_EVENTS];
	static uint64_t due[N_EVENTS];
	struct nx_sim *sim = sim_make(9, N_EVENTS);
	struct nx_rng rng;
	uint64_t lane_at = 0;
	unsigned expect = 0;

	rec_reset(&r, sim, evs, N_EVENTS);
	nx_rng_init(&rng, 17);
	for (unsigned i = 0; i < N_EVENTS; i++) {
		unsigned how = (unsigned)nx_rng_below(&rng, 4);

		if (how == 0) {          /* a lane, mostly in order */
			lane_at += nx_rng_below(&rng, 50);
			due[i] = nx_rng_chance(&rng, 1, 10) ? lane_at / 2 : lane_at;
			ids[i] = nx_sim_schedule_lane(sim, 1 + i % (NX_SIM_LANES - 1), due[i], record,
						      &evs[i]);
		} else if (how == 1) {   /* due now */
			due[i] = 0;
			ids[i] = nx_sim_schedule(sim, 0, record, &evs[i]);
		} else {
			due[i] = nx_rng_below(&rng, 20000);
			ids[i] = nx_sim_schedule_at(sim, due[i], record, &evs[i]);
		}
		assert_int_not_equal(ids[i], NX_SIM_EVENT_NONE);
	}
	for (unsigned i = 0; i < N_EVENTS; i += 3)
		assert_true(nx_sim_cancel(sim, ids[i]));
	assert_int_equal(nx_sim_events_pending(sim), N_EVENTS - (N_EVENTS + 2) / 3);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(r.n, N_EVENTS - (N_EVENTS + 2) / 3);
	for (unsigned k = 1; k < r.n; k++) {
		unsigned a = r.id[k - 1], b = r.id[k];

		/* sequence numbers are the indices: by time, then index */
		assert_true(due[a] < due[b] || (due[a] == due[b] && a < b));
		assert_int_equal(r.t[k], due[b]);
	}
	for (unsigned i = 0; i < N_EVENTS; i++)
		expect += i % 3 != 0;
	assert_int_equal(r.n, expect);
	assert_false(nx_sim_cancel(sim, ids[1])); /* ran: stale */
	nx_sim_free(sim);
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

/* A cancelled lane event stays linked until it reaches the lane's head:
 * its handle is stale at once, it never runs, it is not counted as a
 * step, it does not move the clock, and its slot comes back. */
static void test_lane_cancel_is_dead(void **state)
{
	static struct rec r;
	struct ev e[3];
	struct nx_sim *sim = sim_make(3, 2);
	nx_sim_event_id a, b, c;

	rec_reset(&r, sim, e, 3);
	a = nx_sim_schedule_lane(sim, 1, 100, record, &e[0]);
	b = nx_sim_schedule_lane(sim, 1, 200, record, &e[1]);
	assert_true(nx_sim_cancel(sim, a));
	assert_false(nx_sim_pending(sim, a));
	assert_false(nx_sim_cancel(sim, a));
	assert_false(nx_sim_is_last_scheduled(sim, a));
	assert_int_equal(nx_sim_events_pending(sim), 1);
	/* the pool (2) is full until the dead entry leaves */
	assert_int_equal(nx_sim_schedule(sim, 0, record, &e[2]), NX_SIM_EVENT_NONE);
	assert_false(nx_sim_run_until(sim, never, NULL, 150));
	assert_int_equal(nx_sim_now(sim), 0); /* no event ran: no time */
	assert_int_equal(nx_sim_events_run(sim), 0);
	assert_int_equal(r.n, 0);
	c = nx_sim_schedule_lane(sim, 1, 300, record, &e[2]);
	assert_int_not_equal(c, NX_SIM_EVENT_NONE);
	assert_true(nx_sim_pending(sim, b));
	assert_true(nx_sim_is_last_scheduled(sim, c));
	assert_int_equal(nx_sim_run_idle(sim, UINT64_MAX), 2);
	assert_false(nx_sim_is_last_scheduled(sim, c)); /* ran */
	assert_int_equal(r.n, 2);
	assert_int_equal(r.id[0], 1);
	assert_int_equal(r.t[0], 200);
	assert_int_equal(r.id[1], 2);
	assert_int_equal(nx_sim_events_run(sim), 2);
	assert_false(nx_sim_pending(sim, a));
	nx_sim_free(sim);
}

/* Cancelled heap events stay as dead entries until the heap is rebuilt
 * without them (more dead than live, or a full pool): the survivors and
 * the events scheduled into the reclaimed slots still run in (time,
 * sequence) order, and the counts never include the dead. */
static void test_heap_cancel_compacts(void **state)
{
	enum { POOL = 200 };
	static struct rec r;
	static struct ev evs[2 * POOL];
	static nx_sim_event_id ids[2 * POOL];
	static uint64_t due[2 * POOL];
	struct nx_sim *sim = sim_make(5, POOL);
	struct nx_rng rng;
	unsigned live = 0;

	rec_reset(&r, sim, evs, 2 * POOL);
	nx_rng_init(&rng, 23);
	for (unsigned i = 0; i < POOL; i++) {
		due[i] = 1 + nx_rng_below(&rng, 100000);
		ids[i] = nx_sim_schedule_at(sim, due[i], record, &evs[i]);
		assert_int_not_equal(ids[i], NX_SIM_EVENT_NONE);
	}
	for (unsigned i = 0; i < POOL; i++) {
		if (i % 4 == 0) {
			live++;
			continue;
		}
		assert_true(nx_sim_cancel(sim, ids[i]));
		assert_false(nx_sim_pending(sim, ids[i]));
		assert_int_equal(nx_sim_events_pending(sim), POOL - (i + 1) + live);
	}
	/* 150 slots were cancelled: all of them can be scheduled again */
	for (unsigned i = POOL; i < 2 * POOL - live; i++) {
		due[i] = 1 + nx_rng_below(&rng, 100000);
		ids[i] = nx_sim_schedule_at(sim, due[i], record, &evs[i]);
		assert_int_not_equal(ids[i], NX_SIM_EVENT_NONE);
	}
	assert_int_equal(nx_sim_schedule(sim, 1, record, &evs[0]), NX_SIM_EVENT_NONE);
	assert_int_equal(nx_sim_events_pending(sim), POOL);
	assert_int_equal(nx_sim_events_high_water(sim), POOL);
	assert_int_equal(nx_sim_run_idle(sim, UINT64_MAX), POOL);
	assert_int_equal(r.n, POOL);
	for (unsigned k = 0; k < r.n; k++) {
		unsigned b = r.id[k];

		assert_true(b >= POOL || b % 4 == 0);
		assert_int_equal(r.t[k], due[b]);
		if (k > 0) {
			unsigned a = r.id[k - 1];

			assert_true(due[a] < due[b] || (due[a] == due[b] && a < b));
		}
	}
	for (unsigned i = 0; i < POOL; i++)
		assert_false(nx_sim_cancel(sim, ids[i]));
	nx_sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_order_and_cancel),
		cmocka_unit_test(test_pool_bounded),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_run_until_and_run_to),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_lanes_keep_order),
		cmocka_unit_test(test_lane_cancel_is_dead),
		cmocka_unit_test(test_heap_cancel_compacts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
