/*
 * fuzz_sim_rng.c - the simulator's nx_rng (nx_sim.h) for fuzz_sim: the
 * same API as sim/rng.c, but the *decisions* come from the fuzz input
 * (the TigerBeetle VOPR idea: the fuzzer, not a PRNG, picks the
 * scenario's actions, faults and timing).  Linked before libnx_sim.a it
 * defines every symbol of rng.o, so the archive's rng.o is never pulled
 * in (fuzz/README.md).
 *
 * Streams are of two classes, told apart by the low bit of their seed:
 *  - decision streams: forks labelled "workload", "faults", "link.opts"
 *    or "fuzz", and every fork of a decision stream (the workload's
 *    per-initiator streams, its disk options).  Each draw takes the next
 *    bytes of the input: below(bound) the fewest bytes that cover
 *    bound - 1 (big-endian, modulo bound), chance(num, den) one byte
 *    (true below ceil(256 * num / den)), u64 eight bytes, fill one byte
 *    per byte.  When the input runs out, the stream continues as
 *    xoshiro256** from its own (fixed) seed: every input is a complete
 *    run.
 *  - noise streams (per-packet link draws, TCP, the disk's latencies,
 *    nx_random_u64): xoshiro256** from the fixed root seed, as in rng.c.
 *    They are functions of the decisions made before them, so the
 *    fuzzer still reaches every interleaving through the decisions.
 *
 * Recording (fz_sim_rng_record): every decision is also written out in
 * the encoding above, whatever its source, so a run driven by the
 * fallback PRNG becomes an input that replays the same run: that is how
 * fuzz/corpus/fuzz_sim seeds are generated from simulator runs
 * (fuzz/fuzz_sim.c).  fz_sim_rng_salt() varies only the fallback of the
 * decision streams (FZ_SIM_SEED=N), never the noise streams, so a run
 * recorded with any salt replays exactly without one.
 */
#include <string.h>

#include "fuzz/fuzz_sim.h"
#include "sim/rng_core.h"

#define DECISION 1ull

static struct {
	const uint8_t *data;
	size_t size, pos;
	uint64_t draws;        /* decisions made */
	uint64_t from_input;   /* of which the input answered */
	uint8_t *rec;          /* recording buffer or NULL */
	size_t rec_cap, rec_len;
	uint64_t salt;         /* varies the fallback of decision streams */
} src;

void fz_sim_rng_salt(uint64_t salt)
{
	src.salt = salt;
}

void fz_sim_rng_input(const uint8_t *data, size_t size)
{
	src.data = data;
	src.size = size;
	src.pos = 0;
	src.draws = 0;
	src.from_input = 0;
	src.rec_len = 0;
}

void fz_sim_rng_record(uint8_t *buf, size_t cap)
{
	src.rec = buf;
	src.rec_cap = cap;
	src.rec_len = 0;
}

size_t fz_sim_rng_recorded(void)
{
	return src.rec_len;
}

size_t fz_sim_rng_used(void)
{
	return src.pos;
}

uint64_t fz_sim_rng_draws(void)
{
	return src.draws;
}

static void rec_put(uint64_t v, unsigned nbytes)
{
	for (unsigned i = 0; i < nbytes; i++)
		if (src.rec != NULL && src.rec_len < src.rec_cap)
			src.rec[src.rec_len++] = (uint8_t)(v >> (8 * (nbytes - 1 - i)));
}

/* Up to n input bytes, big-endian; false when the input is used up. */
static bool take(unsigned n, uint64_t *v)
{
	if (src.pos >= src.size)
		return false;
	*v = 0;
	for (unsigned i = 0; i < n; i++)
		*v = *v << 8 | (src.pos < src.size ? src.data[src.pos++] : 0);
	src.from_input++;
	return true;
}

static bool is_decision(const struct nx_rng *rng)
{
	return (rng->seed & DECISION) != 0;
}

/* The fallback and the noise streams: rng.c's generator (rng_core.h). */
static void state_init(struct nx_rng *rng, uint64_t seed)
{
	nx_xoshiro_seed(rng->s, seed);
	rng->seed = seed;
}

uint64_t nx_splitmix64(uint64_t *state)
{
	return nx_xoshiro_splitmix64(state);
}

/* ---- the nx_rng API -------------------------------------------------------- */

void nx_rng_init(struct nx_rng *rng, uint64_t seed)
{
	state_init(rng, seed & ~DECISION); /* the root: noise */
}

static bool decision_label(const char *label)
{
	static const char *const labels[] = { "workload", "faults", "link.opts",
					      "fuzz" };

	for (size_t i = 0; i < NX_ARRAY_SIZE(labels); i++)
		if (strcmp(label, labels[i]) == 0)
			return true;
	return false;
}

void nx_rng_fork(const struct nx_rng *parent, const char *label,
		 uint64_t index, struct nx_rng *child)
{
	uint64_t seed = rng_fork_seed(parent->seed, label, index);
	bool decision = is_decision(parent) || decision_label(label);

	if (decision) {
		/* the salt moves the fallback draws, not the stream's identity */
		state_init(child, seed ^ src.salt);
		child->seed = seed | DECISION;
	} else {
		state_init(child, seed & ~DECISION);
	}
}

uint64_t nx_rng_u64(struct nx_rng *rng)
{
	uint64_t v;

	if (!is_decision(rng))
		return nx_xoshiro_next(rng->s);
	src.draws++;
	if (!take(8, &v))
		v = nx_xoshiro_next(rng->s);
	rec_put(v, 8);
	return v;
}

static unsigned bytes_for(uint64_t max)
{
	unsigned n = 1;

	while (n < 8 && (max >> (8 * n)) != 0)
		n++;
	return n;
}

uint64_t nx_rng_below(struct nx_rng *rng, uint64_t bound)
{
	uint64_t v;

	if (bound <= 1)
		return 0;
	if (!is_decision(rng))
		return rng_xoshiro_below(rng, bound);
	src.draws++;
	unsigned n = bytes_for(bound - 1);
	if (take(n, &v))
		v %= bound;
	else
		v = rng_xoshiro_below(rng, bound);
	rec_put(v, n);
	return v;
}

uint64_t nx_rng_range(struct nx_rng *rng, uint64_t lo, uint64_t hi)
{
	nx_assert(lo <= hi);
	if (lo == 0 && hi == UINT64_MAX)
		return nx_rng_u64(rng);
	return lo + nx_rng_below(rng, hi - lo + 1);
}

/* ceil(256 * num / den) for 0 < num < den, at least 1. */
static uint64_t chance_threshold(uint64_t num, uint64_t den)
{
	while (den > (1ull << 54)) {
		num >>= 1;
		den >>= 1;
	}
	uint64_t t = (num * 256 + den - 1) / den;
	return t == 0 ? 1 : t;
}

bool nx_rng_chance(struct nx_rng *rng, uint64_t num, uint64_t den)
{
	uint64_t b;
	bool yes;

	nx_assert(den > 0);
	if (num == 0)
		return false;
	if (num >= den)
		return true;
	if (!is_decision(rng))
		return rng_xoshiro_below(rng, den) < num;
	src.draws++;
	if (take(1, &b))
		yes = b < chance_threshold(num, den);
	else
		yes = rng_xoshiro_below(rng, den) < num;
	rec_put(yes ? 0x00 : 0xff, 1);
	return yes;
}

void nx_rng_fill(struct nx_rng *rng, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t v;

		if (is_decision(rng)) {
			src.draws++;
			if (!take(1, &v))
				v = nx_xoshiro_next(rng->s) & 0xff;
			rec_put(v, 1);
		} else {
			v = nx_xoshiro_next(rng->s) & 0xff;
		}
		p[i] = (uint8_t)v;
	}
}
