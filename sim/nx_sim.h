/*
 * nx_sim.h - the deterministic simulator substrate: virtual clock, event
 * heap, seeded PRNG streams, and the controls of the simulated platform
 * (platform_sim.c implements platform/nx_platform.h on top of this).
 *
 * Model (TigerBeetle VOPR / FoundationDB flow style): one nx_sim owns the
 * virtual clock and a heap of pending events ordered by (time, sequence
 * number).  The sequence number is assigned at scheduling time, so two
 * events due at the same instant run in the order they were scheduled and
 * a run is a pure function of its seed: no wall time, no pointer values,
 * no hash-iteration order influences anything.
 *
 * Events come from a pool allocated once in nx_sim_new() (bounded; no
 * malloc per event).  Exhausting it is a configuration error: schedule
 * returns NX_SIM_EVENT_NONE and callers that cannot cope assert.
 *
 * Files: sim.c (loop), rng.c (PRNG), platform_sim.c (nx_platform.h),
 * disk.c (nx_sim_disk.h), tcp.c (nx_sim_tcp.h), pcap.c (nx_sim_pcap.h),
 * link/ (nx_link.h).  Simulator binaries link libnx_sim.a INSTEAD of
 * libnx_user.a: both define the nx_platform.h symbols.
 */
#ifndef NX_SIM_H
#define NX_SIM_H

#include <stdio.h>

#include "../platform/nx_platform.h"

/* ---- PRNG (rng.c) -------------------------------------------------------
 *
 * Algorithm: xoshiro256** 1.0 (Blackman & Vigna, 2018), state seeded by
 * four successive outputs of splitmix64 (Steele, Lea & Flood, 2014) from a
 * 64-bit seed, as the xoshiro authors recommend.  Both are implemented
 * bit-exactly in platform/nx_xoshiro.h and checked against the reference
 * vectors in rng_test.c, so a seed means the same run on every host and
 * compiler.
 *
 * Streams: nx_rng_fork() derives a child stream from the parent's *seed*
 * and a purpose label (and index), not from the parent's current state.
 * Adding a new fault site (a new fork) therefore never reshuffles the
 * draws of existing streams, and the order in which streams are forked
 * does not matter.
 */
struct nx_rng {
	uint64_t s[4];
	uint64_t seed; /* identity of the stream, the base of its forks */
};

void nx_rng_init(struct nx_rng *rng, uint64_t seed);
void nx_rng_fork(const struct nx_rng *parent, const char *label,
		 uint64_t index, struct nx_rng *child);
uint64_t nx_rng_u64(struct nx_rng *rng);
/* Uniform in [0, bound); bound 0 or 1 returns 0 without drawing.
 * Unbiased (rejection). */
uint64_t nx_rng_below(struct nx_rng *rng, uint64_t bound);
/* Uniform in [lo, hi] inclusive; requires lo <= hi. */
uint64_t nx_rng_range(struct nx_rng *rng, uint64_t lo, uint64_t hi);
/* True with probability num/den (den > 0; num >= den is always true). */
bool nx_rng_chance(struct nx_rng *rng, uint64_t num, uint64_t den);
/* Parts-per-billion probability, the unit every sim option uses. */
#define NX_SIM_PPB 1000000000ull
static inline bool nx_rng_ppb(struct nx_rng *rng, uint32_t ppb)
{
	return ppb != 0 && nx_rng_chance(rng, ppb, NX_SIM_PPB);
}
void nx_rng_fill(struct nx_rng *rng, void *buf, size_t len);

/* splitmix64 step, exposed for hashing seeds and for its test vector. */
uint64_t nx_splitmix64(uint64_t *state);

/* ---- event loop (sim.c) ------------------------------------------------ */

struct nx_sim;
typedef void (*nx_sim_fn)(void *arg);

/* An event handle: slot index + generation, never a pointer, so a stale
 * handle cancels nothing.  0 is "no event". */
typedef uint64_t nx_sim_event_id;
#define NX_SIM_EVENT_NONE 0ull

#define NX_SIM_EVENTS_DEFAULT 65536u
#define NX_SIM_EVENTS_MAX (1u << 24)

struct nx_sim_opts {
	uint64_t seed;
	uint32_t events_max; /* pool size; 0 = NX_SIM_EVENTS_DEFAULT */
	/* Safety net against livelock: a run_* call that executes more than
	 * this many events panics with the seed.  0 = unlimited. */
	uint64_t steps_max;
};

struct nx_sim *nx_sim_new(const struct nx_sim_opts *opts);
/* Pending events are dropped without running. */
void nx_sim_free(struct nx_sim *sim);

uint64_t nx_sim_now(const struct nx_sim *sim);
uint64_t nx_sim_seed(const struct nx_sim *sim);
/* The root stream of the run; fork it, do not draw from it directly. */
const struct nx_rng *nx_sim_rng(const struct nx_sim *sim);

/* Lanes (nx_sim_schedule_lane): 1 .. NX_SIM_LANES - 1 (one today: each
 * lane costs every step a comparison of its head).  Lane 0 is the
 * sim's own, for events due now. */
#define NX_SIM_LANES 2
#define NX_SIM_LANE_LINK 1 /* deliveries of the sim TCP's link */

/* Runs fn(arg) at now + delay_ns (saturating).  NX_SIM_EVENT_NONE when
 * the pool is exhausted. */
nx_sim_event_id nx_sim_schedule(struct nx_sim *sim, uint64_t delay_ns,
				nx_sim_fn fn, void *arg);
nx_sim_event_id nx_sim_schedule_at(struct nx_sim *sim, uint64_t at_ns,
				   nx_sim_fn fn, void *arg);
/* As nx_sim_schedule_at, for events the caller schedules mostly in
 * non-decreasing time (the deliveries of a constant-latency link): they
 * queue in the lane at O(1).  One due earlier than the lane's latest goes
 * to the heap, so the order is (time, sequence) whatever the caller does;
 * the lane only makes the common case cheap. */
nx_sim_event_id nx_sim_schedule_lane(struct nx_sim *sim, unsigned lane,
				     uint64_t at_ns, nx_sim_fn fn, void *arg);
/* True if the event was pending and is now cancelled; false if it ran,
 * was cancelled already, or id is NONE/stale. */
bool nx_sim_cancel(struct nx_sim *sim, nx_sim_event_id id);
bool nx_sim_pending(const struct nx_sim *sim, nx_sim_event_id id);
/* True if id is pending and nothing was scheduled after it.  Work that
 * would be a new event at the same instant may then ride on id's event
 * instead (sim TCP segment trains): it runs in exactly the order its own
 * event would have had, since sequence numbers only grow. */
bool nx_sim_is_last_scheduled(const struct nx_sim *sim, nx_sim_event_id id);

/* From inside an event: fn(arg) runs as the very next step, at the same
 * virtual time, before any pending event - as an event scheduled just
 * after the running one would, when nothing else was scheduled between
 * them (nx_sim_is_last_scheduled).  A train of work items that were due
 * back to back (sim TCP segments) is thus run one item per step, so
 * loops that stop between steps (nx_sim_run_until, the sync driver) see
 * exactly the interleaving separate events gave, for no heap work.  At
 * most one continuation is pending; nx_sim_free() drops it. */
void nx_sim_continue(struct nx_sim *sim, nx_sim_fn fn, void *arg);
/* The pending continuation, if any (for owners that go away first). */
bool nx_sim_continuation(const struct nx_sim *sim, nx_sim_fn *fn, void **arg);
void nx_sim_continuation_drop(struct nx_sim *sim);

/* Runs the earliest event.  False when there is none. */
bool nx_sim_step(struct nx_sim *sim);
/* Runs every event due at or before at_ns, then sets the clock to at_ns
 * (never backwards).  Returns the number of events run. */
uint64_t nx_sim_run_to(struct nx_sim *sim, uint64_t at_ns);
uint64_t nx_sim_run_for(struct nx_sim *sim, uint64_t duration_ns);
/* Runs events until done(arg) is true (checked before each event), the
 * heap is empty, or the next event is after deadline_ns.  Returns
 * done(arg). */
bool nx_sim_run_until(struct nx_sim *sim, bool (*done)(void *arg), void *arg,
		      uint64_t deadline_ns);
/* Runs until no event is left (or deadline); returns events run. */
uint64_t nx_sim_run_idle(struct nx_sim *sim, uint64_t deadline_ns);

uint32_t nx_sim_events_pending(const struct nx_sim *sim);
uint64_t nx_sim_events_run(const struct nx_sim *sim);
/* Highest number of simultaneously pending events seen (pool sizing). */
uint32_t nx_sim_events_high_water(const struct nx_sim *sim);

/* ---- run identity and failure reporting -------------------------------- */

/* The command that reproduces this run, printed by nx_panic() and
 * nx_sim_fail(), e.g. "nexus-sim --scenario mixed --seed 42". */
void nx_sim_set_repro(struct nx_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *nx_sim_repro(const struct nx_sim *sim);
/* A scenario's invariant failed: prints the reason, the seed, the
 * reproduction command and the log tail, then aborts. */
__attribute__((noreturn, format(printf, 2, 3))) void
nx_sim_fail(struct nx_sim *sim, const char *fmt, ...);

/* ---- simulated platform (platform_sim.c) -------------------------------- */

/* The sim the platform functions (nx_clock_ns, nx_timer_*, nx_log, ...)
 * act on.  nx_sim_new() makes a sim current when none is; nx_sim_free()
 * clears it. */
void nx_sim_set_current(struct nx_sim *sim);
struct nx_sim *nx_sim_current(void);

/* Allocations made through nx_alloc()/nx_timer_new() and not yet freed:
 * tests assert this returns to its starting value. */
int64_t nx_sim_alloc_outstanding(void);
/* Fail the n-th next nx_alloc() (1 = the next one); 0 disarms. */
void nx_sim_alloc_fail_after(uint64_t n);

/* Log lines "[s.nnnnnnnnn] LVL message" carry virtual time only.  Lines
 * at or below level go to file (NULL = nowhere), into a ring kept for
 * failure reports, and into a running FNV-1a digest that determinism
 * tests compare. */
void nx_sim_log_config(struct nx_sim *sim, FILE *file, enum nx_log_level level);
uint64_t nx_sim_log_digest(const struct nx_sim *sim);
/* Writes the last bytes of the log ring to f. */
void nx_sim_log_dump_tail(const struct nx_sim *sim, FILE *f);

/* Persistence store (nx_persist_*): lives in the sim, so it survives
 * simulated target restarts and power loss; a store is atomic and
 * durable when it returns (old or new, never a mix). */
#define NX_SIM_PERSIST_KEYS_MAX 64
#define NX_SIM_PERSIST_KEY_MAX 128
#define NX_SIM_PERSIST_BLOB_MAX (64u * 1024)
void nx_sim_persist_clear(struct nx_sim *sim);
unsigned nx_sim_persist_count(const struct nx_sim *sim);

/* nx_random_u64() draws from a stream forked from the sim's seed.  This
 * restarts it as platform/user's nx_user_seed_random(seed) would (same
 * xoshiro256** + splitmix64): harnesses that run an input on either
 * platform (the fuzzers) then see the same CHAP challenges, so a stream
 * captured on one logs in on the other. */
void nx_sim_seed_random(struct nx_sim *sim, uint64_t seed);

/* Internal glue between sim.c and platform_sim.c (not for scenarios). */
struct nx_sim_platform;
struct nx_sim_platform *nx_sim_platform_of(struct nx_sim *sim);
struct nx_sim_platform *nx_sim_platform_new(struct nx_sim *sim);
void nx_sim_platform_free(struct nx_sim_platform *p);

#endif /* NX_SIM_H */
