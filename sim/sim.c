/*
 * sim.c - the simulator's event loop: virtual clock + events ordered by
 * (time, sequence number), kept in a 4-ary min-heap and in lanes.
 *
 * Events live in a slot array allocated once; the heap holds (time,
 * sequence, slot) entries, so schedule and pop are O(log n) with no
 * allocation.  Handles carry a generation so a stale handle (event
 * already ran or was cancelled, slot reused) is recognised and ignored.
 *
 * Cancel is lazy, as in lanes below: the entry stays where it is, dead,
 * its handle stale at once, and is dropped without running or counting
 * when it comes to the top.  So the heap moves entries without telling
 * their slots (a pop moved three or four, each a store to a slot line
 * the 4 KiB copies had evicted); when dead entries outnumber live ones
 * (and at least HEAP_DEAD_MIN), or a schedule finds the pool empty, the
 * heap is rebuilt without them.  Keys are unique, so none of this
 * changes which event runs next.
 *
 * A lane is a FIFO of events whose keys only grow, so it is sorted by
 * construction and costs O(1): lane 0 takes every event due now (delay
 * 0), the others what callers put there (a constant-latency link's
 * deliveries, nx_sim_schedule_lane).  An event that would break a lane's
 * order goes to the heap instead.  The next event is the smallest of the
 * heap's top and the lanes' heads, so the order is the same (time,
 * sequence) order as with the heap alone.
 *
 * A lane is singly linked and only ever popped at its head: cancelling
 * a lane event (rare: teardown, a few deferred notifications) leaves it
 * in place as a dead entry, its handle stale at once, and the loop drops
 * it without running or counting it when it reaches the head.  A dead
 * entry is due no later than the lane's live events behind it (lane 0:
 * now; the link lane: one latency away), so it holds its slot briefly.
 */
#include <stdlib.h>

#include "nx_sim.h"

#define SLOT_FREE UINT32_MAX
/* slot.state: free, pending in the heap or a lane, or cancelled but
 * still in the heap or a lane. */
enum { ST_FREE, ST_HEAP, ST_LANE, ST_HEAP_DEAD, ST_LANE_DEAD };
#define HEAP_DEAD_MIN 64u
#define REPRO_MAX 512
#define LANE_NOW 0

/* An event's key (time, sequence) as one 128-bit number, so ordering is
 * a single comparison. */
typedef unsigned __int128 hkey;

struct slot {
	nx_sim_fn fn;
	void *arg;
	uint32_t gen;
	uint32_t state;     /* ST_* */
	uint32_t next_free; /* free list link */
	uint32_t lnext;     /* lane link (ST_LANE, ST_LANE_DEAD) */
	hkey key;           /* while in a lane */
} __attribute__((aligned(64))); /* one cache line each (48 bytes used) */

/* The head's and the tail's keys are kept here, beside the sim, so
 * finding the next event and appending read no slot (KEY_NONE when the
 * lane is empty). */
struct lane {
	hkey head_key, tail_key;
	uint32_t head, tail; /* slots, SLOT_FREE when empty */
};

struct hent {
	hkey key;
	uint32_t slot;
};

static hkey key_of(uint64_t at, uint64_t seq)
{
	return (hkey)at << 64 | seq;
}

static uint64_t key_at(hkey k)
{
	return (uint64_t)(k >> 64);
}

/* Greater than every real key (the sequence never reaches 2^64 - 1): an
 * empty lane's head, the heap's sentinels. */
#define KEY_NONE (~(hkey)0)

/* A 4-ary heap: half the levels of a binary one, and the four children
 * of a node share one or two cache lines.  heap[count .. count + HEAP_D)
 * always hold KEY_NONE (HEAP_PAD entries past cap), so every node has
 * four children to compare, real or not, and an empty heap's top is
 * KEY_NONE. */
#define HEAP_D 4u
#define HEAP_PAD (HEAP_D + 1u)

struct nx_sim {
	uint64_t seed;
	struct nx_rng rng;
	uint64_t now;
	uint64_t seq_next;
	struct slot *slots;
	struct hent *heap;      /* heap_mem + 1 (see heap_alloc) */
	struct hent *heap_mem;
	uint32_t cap;
	uint32_t count;         /* in the heap, dead ones included */
	uint32_t heap_dead;     /* dead entries in the heap */
	uint32_t live;          /* pending events, heap and lanes */
	struct lane lanes[NX_SIM_LANES];
	uint32_t free_head;
	uint32_t fresh;         /* slots[fresh ..) never used: untouched */
	uint32_t high_water;
	uint64_t events_run;
	uint64_t steps_max;
	/* Returned by the latest schedule while that event is pending
	 * (NONE once it ran or was cancelled), and its slot. */
	nx_sim_event_id last_id;
	uint32_t last_slot;
	/* nx_sim_continue(): runs as the next step, before the heap */
	nx_sim_fn cont_fn;
	void *cont_arg;
	char repro[REPRO_MAX];
	struct nx_sim_platform *platform;
};

/* The heap array with its first child on a cache line boundary: entry
 * i sits at 32 * (i + 1) from a 64-byte aligned block, so no entry
 * straddles two lines and the four children of a node (4p+1 .. 4p+4)
 * fill exactly two.  (calloc's 16-byte alignment put half the entries
 * across two lines and a node's children on three.) */
static struct hent *heap_alloc(struct nx_sim *sim, uint32_t cap)
{
	size_t n = (size_t)cap + HEAP_PAD + 1, size = n * sizeof(struct hent);

	_Static_assert(sizeof(struct hent) == 32, "two heap entries per line");
	size = (size + 63) & ~(size_t)63;
	/* Not cleared: an entry is written before it is read (the sentinels
	 * past the end are kept by nx_sim_new, schedule and heap_compact),
	 * and untouched pages cost no memory (hundreds of sims per sweep). */
	sim->heap_mem = aligned_alloc(64, size);
	return sim->heap_mem != NULL ? sim->heap_mem + 1 : NULL;
}

struct nx_sim *nx_sim_new(const struct nx_sim_opts *opts)
{
	struct nx_sim *sim = calloc(1, sizeof(*sim));
	uint32_t cap = opts->events_max ? opts->events_max : NX_SIM_EVENTS_DEFAULT;

	if (sim == NULL || cap > NX_SIM_EVENTS_MAX)
		goto fail;
	/* Not cleared: a slot is initialised when first handed out
	 * (slots[fresh ..) are never read), and untouched pages cost no
	 * memory. */
	sim->slots = aligned_alloc(64, (size_t)cap * sizeof(*sim->slots));
	sim->heap = heap_alloc(sim, cap);
	if (sim->slots == NULL || sim->heap == NULL)
		goto fail;
	for (unsigned i = 0; i < HEAP_PAD; i++)
		sim->heap[i].key = KEY_NONE;
	/* Slots are handed out from the untouched end before the free list
	 * has any, so a sim costs the memory its peak of pending events
	 * needs (a sweep builds hundreds of sims). */
	sim->cap = cap;
	sim->free_head = SLOT_FREE;
	for (unsigned i = 0; i < NX_SIM_LANES; i++) {
		sim->lanes[i].head = sim->lanes[i].tail = SLOT_FREE;
		sim->lanes[i].head_key = sim->lanes[i].tail_key = KEY_NONE;
	}
	sim->seed = opts->seed;
	sim->steps_max = opts->steps_max;
	nx_rng_init(&sim->rng, opts->seed);
	snprintf(sim->repro, sizeof(sim->repro), "seed=%llu",
		 (unsigned long long)opts->seed);
	sim->platform = nx_sim_platform_new(sim);
	if (sim->platform == NULL)
		goto fail;
	if (nx_sim_current() == NULL)
		nx_sim_set_current(sim);
	return sim;
fail:
	if (sim != NULL) {
		free(sim->slots);
		free(sim->heap_mem);
	}
	free(sim);
	return NULL;
}

void nx_sim_free(struct nx_sim *sim)
{
	if (sim == NULL)
		return;
	/* The platform (disks, persistence, log) may still tell time. */
	nx_sim_platform_free(sim->platform);
	if (nx_sim_current() == sim)
		nx_sim_set_current(NULL);
	free(sim->slots);
	free(sim->heap_mem);
	free(sim);
}

uint64_t nx_sim_now(const struct nx_sim *sim) { return sim->now; }
uint64_t nx_sim_seed(const struct nx_sim *sim) { return sim->seed; }
const struct nx_rng *nx_sim_rng(const struct nx_sim *sim) { return &sim->rng; }
struct nx_sim_platform *nx_sim_platform_of(struct nx_sim *sim) { return sim->platform; }
uint32_t nx_sim_events_pending(const struct nx_sim *sim)
{
	return sim->live + (sim->cont_fn != NULL);
}
uint64_t nx_sim_events_run(const struct nx_sim *sim) { return sim->events_run; }
uint32_t nx_sim_events_high_water(const struct nx_sim *sim) { return sim->high_water; }

/* ---- heap ----------------------------------------------------------------
 *
 * The heap array carries each entry's key (time, sequence) inline, so
 * sifting compares adjacent memory instead of chasing slot indices: the
 * pop at the heart of every step is the hottest loop of the simulator. */

static bool before(const struct hent *x, const struct hent *y)
{
	return x->key < y->key;
}

static void heap_set(struct nx_sim *sim, uint32_t pos, const struct hent *e)
{
	sim->heap[pos] = *e;
}

/* The smallest of the four children of pos (there is at least one real
 * one; the others are sentinels).  A tournament of index arithmetic, no
 * branch: the keys are random, a branch per comparison mispredicted
 * half the time (the pop was 4.5 % of the io profile). */
static uint32_t min_child(const struct nx_sim *sim, uint32_t pos)
{
	const struct hent *h = sim->heap;
	uint32_t c = HEAP_D * pos + 1;
	uint32_t a = c + (h[c + 1].key < h[c].key);
	uint32_t b = c + 2 + (h[c + 3].key < h[c + 2].key);

	/* (b - a) & mask: gcc turns a ternary back into a branch */
	return a + ((b - a) & -(uint32_t)(h[b].key < h[a].key));
}

static void sift_up(struct nx_sim *sim, uint32_t pos)
{
	struct hent e = sim->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / HEAP_D;

		if (!before(&e, &sim->heap[parent]))
			break;
		heap_set(sim, pos, &sim->heap[parent]);
		pos = parent;
	}
	heap_set(sim, pos, &e);
}

static void sift_down(struct nx_sim *sim, uint32_t pos)
{
	struct hent e = sim->heap[pos];

	for (;;) {
		uint32_t min;

		if (HEAP_D * pos + 1 >= sim->count)
			break;
		min = min_child(sim, pos);
		if (!before(&sim->heap[min], &e))
			break;
		heap_set(sim, pos, &sim->heap[min]);
		pos = min;
	}
	heap_set(sim, pos, &e);
}

/* Pops the root: the hole left at the top sinks to a leaf along the
 * smaller children (one comparison per level), then the last entry fills
 * it and rises (it almost always belongs near the bottom). */
static void heap_pop_root(struct nx_sim *sim)
{
	uint32_t n = sim->count, pos = 0;
	struct hent last = sim->heap[n];

	sim->heap[n].key = KEY_NONE; /* the descent must not take it */
	while (HEAP_D * pos + 1 < n) {
		uint32_t m = min_child(sim, pos);

		heap_set(sim, pos, &sim->heap[m]);
		pos = m;
	}
	sim->heap[pos] = last;
	sift_up(sim, pos);
}

/* Handles carry the generation: bumping it makes them stale. */
static void gen_bump(struct slot *s)
{
	s->gen++;
	if (s->gen == 0)
		s->gen = 1;
}

/* The event is gone (ran or cancelled): its handle goes stale. */
static void slot_release(struct nx_sim *sim, uint32_t slot)
{
	struct slot *s = &sim->slots[slot];

	if (slot == sim->last_slot)
		sim->last_id = NX_SIM_EVENT_NONE;
	s->state = ST_FREE;
	gen_bump(s);
	s->next_free = sim->free_head;
	sim->free_head = slot;
}

/* Removes the heap's top and returns its slot to the free list. */
static void heap_pop(struct nx_sim *sim)
{
	uint32_t slot = sim->heap[0].slot;

	nx_assert(sim->count > 0);
	sim->count--;
	if (sim->count > 0)
		heap_pop_root(sim);
	else
		sim->heap[0].key = KEY_NONE;
	slot_release(sim, slot);
}

/* Drops every dead entry and rebuilds the heap (Floyd) from the rest. */
static void heap_compact(struct nx_sim *sim)
{
	uint32_t n = 0, old = sim->count;

	for (uint32_t i = 0; i < old; i++) {
		uint32_t slot = sim->heap[i].slot;

		if (sim->slots[slot].state == ST_HEAP_DEAD)
			slot_release(sim, slot);
		else
			sim->heap[n++] = sim->heap[i];
	}
	for (uint32_t i = n; i < old + HEAP_D; i++)
		sim->heap[i].key = KEY_NONE;
	sim->count = n;
	sim->heap_dead = 0;
	for (uint32_t pos = n / HEAP_D + 1; pos-- > 0;)
		sift_down(sim, pos);
}

static void heap_kill(struct nx_sim *sim, struct slot *s)
{
	s->state = ST_HEAP_DEAD;
	sim->heap_dead++;
	if (sim->heap_dead >= HEAP_DEAD_MIN && sim->heap_dead > sim->count / 2)
		heap_compact(sim);
}

/* ---- lanes -------------------------------------------------------------- */

static bool lane_fits(const struct nx_sim *sim, unsigned lane, hkey key)
{
	const struct lane *l = &sim->lanes[lane];

	return l->tail == SLOT_FREE || l->tail_key < key;
}

static void lane_push(struct nx_sim *sim, unsigned lane, uint32_t slot, hkey key)
{
	struct lane *l = &sim->lanes[lane];
	struct slot *s = &sim->slots[slot];

	s->state = ST_LANE;
	s->key = key;
	s->lnext = SLOT_FREE;
	if (l->tail != SLOT_FREE) {
		sim->slots[l->tail].lnext = slot;
	} else {
		l->head = slot;
		l->head_key = key;
	}
	l->tail = slot;
	l->tail_key = key;
}

/* Takes the lane's head (live or dead) off and frees its slot. */
static void lane_pop(struct nx_sim *sim, struct lane *l)
{
	uint32_t slot = l->head;
	uint32_t next = sim->slots[slot].lnext;

	l->head = next;
	if (next != SLOT_FREE) {
		l->head_key = sim->slots[next].key;
	} else {
		l->tail = SLOT_FREE;
		l->head_key = l->tail_key = KEY_NONE;
	}
	slot_release(sim, slot);
}

/* Cancel: the entry stays where it is, dead (see the top of the file). */
static void slot_kill(struct nx_sim *sim, struct slot *s)
{
	nx_assert(sim->live > 0);
	gen_bump(s);
	if (s == &sim->slots[sim->last_slot])
		sim->last_id = NX_SIM_EVENT_NONE;
	sim->live--;
	if (s->state == ST_LANE)
		s->state = ST_LANE_DEAD;
	else
		heap_kill(sim, s);
}

/* Where the earliest pending event is: NEXT_HEAP (the heap's top) or a
 * lane's number, and its key (KEY_NONE if nothing is pending).  Only
 * keys kept in the sim are compared, without a branch. */
#define NEXT_HEAP NX_SIM_LANES
static unsigned next_source(const struct nx_sim *sim, hkey *key)
{
	unsigned src = NEXT_HEAP;
	hkey best = sim->heap[0].key;

	for (unsigned i = 0; i < NX_SIM_LANES; i++) {
		hkey k = sim->lanes[i].head_key;
		bool lt = k < best;

		src = lt ? i : src;
		best = lt ? k : best;
	}
	*key = best;
	return src;
}

/* ---- scheduling ---------------------------------------------------------- */

static nx_sim_event_id schedule(struct nx_sim *sim, unsigned lane,
				uint64_t at_ns, nx_sim_fn fn, void *arg)
{
	uint32_t slot = sim->free_head;
	struct slot *s;
	hkey key;

	nx_assert(fn != NULL && lane < NX_SIM_LANES);
	if (slot == SLOT_FREE && sim->fresh == sim->cap && sim->heap_dead > 0) {
		heap_compact(sim); /* the pool is full: reclaim dead entries */
		slot = sim->free_head;
	}
	if (slot == SLOT_FREE) {
		if (sim->fresh == sim->cap)
			return NX_SIM_EVENT_NONE;
		slot = sim->fresh++;
		s = &sim->slots[slot];
		s->gen = 1;
	} else {
		s = &sim->slots[slot];
		nx_assert(s->state == ST_FREE);
		sim->free_head = s->next_free;
	}
	s->fn = fn;
	s->arg = arg;
	if (at_ns <= sim->now) {
		at_ns = sim->now;
		lane = LANE_NOW;
	}
	key = key_of(at_ns, sim->seq_next++);
	if (lane != LANE_NOW || at_ns == sim->now) {
		if (lane_fits(sim, lane, key)) {
			lane_push(sim, lane, slot, key);
			goto done;
		}
	}
	s->state = ST_HEAP;
	sim->heap[sim->count] = (struct hent){ .key = key, .slot = slot };
	sim->count++;
	sim->heap[sim->count + HEAP_D - 1].key = KEY_NONE;
	sift_up(sim, sim->count - 1);
done:
	sim->live++;
	if (sim->live > sim->high_water)
		sim->high_water = sim->live;
	sim->last_id = ((uint64_t)s->gen << 32) | (uint64_t)(slot + 1);
	sim->last_slot = slot;
	return sim->last_id;
}

nx_sim_event_id nx_sim_schedule_at(struct nx_sim *sim, uint64_t at_ns,
				   nx_sim_fn fn, void *arg)
{
	return schedule(sim, LANE_NOW, at_ns, fn, arg);
}

nx_sim_event_id nx_sim_schedule_lane(struct nx_sim *sim, unsigned lane,
				     uint64_t at_ns, nx_sim_fn fn, void *arg)
{
	nx_assert(lane != LANE_NOW);
	return schedule(sim, lane, at_ns, fn, arg);
}

nx_sim_event_id nx_sim_schedule(struct nx_sim *sim, uint64_t delay_ns,
				nx_sim_fn fn, void *arg)
{
	uint64_t at = sim->now + delay_ns;

	if (at < sim->now) /* saturate: "never" rather than the past */
		at = UINT64_MAX;
	return nx_sim_schedule_at(sim, at, fn, arg);
}

static struct slot *lookup(const struct nx_sim *sim, nx_sim_event_id id)
{
	uint32_t slot = (uint32_t)(id & 0xffffffffu);
	uint32_t gen = (uint32_t)(id >> 32);
	struct slot *s;

	if (slot == 0 || slot > sim->fresh)
		return NULL;
	s = &sim->slots[slot - 1];
	if (s->gen != gen || (s->state != ST_HEAP && s->state != ST_LANE))
		return NULL;
	return s;
}

bool nx_sim_pending(const struct nx_sim *sim, nx_sim_event_id id)
{
	return lookup(sim, id) != NULL;
}

bool nx_sim_is_last_scheduled(const struct nx_sim *sim, nx_sim_event_id id)
{
	/* last_id is cleared when its event runs or is cancelled. */
	return id != NX_SIM_EVENT_NONE && id == sim->last_id;
}

bool nx_sim_cancel(struct nx_sim *sim, nx_sim_event_id id)
{
	struct slot *s = lookup(sim, id);

	if (s == NULL)
		return false;
	slot_kill(sim, s);
	return true;
}

/* ---- running ------------------------------------------------------------- */

static void count_step(struct nx_sim *sim)
{
	sim->events_run++;
	if (sim->steps_max != 0 && sim->events_run > sim->steps_max)
		nx_sim_fail(sim, "more than %llu events: livelock?",
			    (unsigned long long)sim->steps_max);
}

void nx_sim_continue(struct nx_sim *sim, nx_sim_fn fn, void *arg)
{
	nx_assert(fn != NULL && sim->cont_fn == NULL);
	sim->cont_fn = fn;
	sim->cont_arg = arg;
}

bool nx_sim_continuation(const struct nx_sim *sim, nx_sim_fn *fn, void **arg)
{
	*fn = sim->cont_fn;
	*arg = sim->cont_arg;
	return sim->cont_fn != NULL;
}

void nx_sim_continuation_drop(struct nx_sim *sim)
{
	sim->cont_fn = NULL;
	sim->cont_arg = NULL;
}

/* Runs the continuation or the earliest event if it is due by deadline;
 * false if nothing ran. */
static bool step_due(struct nx_sim *sim, uint64_t deadline)
{
	unsigned src;
	uint32_t slot;
	nx_sim_fn fn;
	void *arg;
	hkey key;

	if (sim->cont_fn != NULL) {
		if (sim->now > deadline)
			return false;
		fn = sim->cont_fn;
		arg = sim->cont_arg;
		nx_sim_continuation_drop(sim);
		count_step(sim);
		fn(arg);
		return true;
	}
	for (;;) {
		src = next_source(sim, &key);
		if (key == KEY_NONE || key_at(key) > deadline)
			return false;
		slot = src == NEXT_HEAP ? sim->heap[0].slot : sim->lanes[src].head;
		if (sim->slots[slot].state < ST_HEAP_DEAD)
			break;
		/* cancelled: not run, not counted, no time */
		if (src == NEXT_HEAP) {
			sim->heap_dead--;
			heap_pop(sim);
		} else {
			lane_pop(sim, &sim->lanes[src]);
		}
	}
	nx_assert(key_at(key) >= sim->now);
	sim->now = key_at(key);
	fn = sim->slots[slot].fn;
	arg = sim->slots[slot].arg;
	/* Free first: fn may schedule into this very slot. */
	sim->live--;
	if (src == NEXT_HEAP)
		heap_pop(sim);
	else
		lane_pop(sim, &sim->lanes[src]);
	count_step(sim);
	fn(arg);
	return true;
}

bool nx_sim_step(struct nx_sim *sim)
{
	return step_due(sim, UINT64_MAX);
}

uint64_t nx_sim_run_to(struct nx_sim *sim, uint64_t at_ns)
{
	uint64_t n = 0;

	while (step_due(sim, at_ns))
		n++;
	if (at_ns > sim->now)
		sim->now = at_ns;
	return n;
}

uint64_t nx_sim_run_for(struct nx_sim *sim, uint64_t duration_ns)
{
	uint64_t at = sim->now + duration_ns;

	return nx_sim_run_to(sim, at < sim->now ? UINT64_MAX : at);
}

bool nx_sim_run_until(struct nx_sim *sim, bool (*done)(void *arg), void *arg,
		      uint64_t deadline_ns)
{
	for (;;) {
		if (done(arg))
			return true;
		if (!step_due(sim, deadline_ns))
			return false;
	}
}

uint64_t nx_sim_run_idle(struct nx_sim *sim, uint64_t deadline_ns)
{
	uint64_t n = 0;

	while (step_due(sim, deadline_ns))
		n++;
	return n;
}

/* ---- run identity ---------------------------------------------------------- */

void nx_sim_set_repro(struct nx_sim *sim, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sim->repro, sizeof(sim->repro), fmt, ap);
	va_end(ap);
}

const char *nx_sim_repro(const struct nx_sim *sim) { return sim->repro; }

void nx_sim_fail(struct nx_sim *sim, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "SIM FAILURE at t=%llu ns: ",
		(unsigned long long)sim->now);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nseed=%llu\nreproduce with: %s\n",
		(unsigned long long)sim->seed, sim->repro);
	nx_sim_log_dump_tail(sim, stderr);
	abort();
}
