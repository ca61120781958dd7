/*
 * rng_core.h - the generator under every nx_rng: xoshiro256** 1.0
 * (D. Blackman, S. Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021) seeded from splitmix64 (G. Steele, D. Lea,
 * C. Flood, "Fast splittable pseudorandom number generators", OOPSLA
 * 2014), and the stream-naming hash.  Integer-only, so every draw is
 * identical on every host.
 *
 * Two files define the nx_rng API (nx_sim.h): sim/rng.c and the fuzz
 * replacement fuzz/fuzz_sim_rng.c (whose fallback and noise streams are
 * this same generator).  Both take it from here.
 */
#ifndef NX_SIM_RNG_CORE_H
#define NX_SIM_RNG_CORE_H

#include "nx_sim.h"

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The state from four splitmix64 outputs, as the xoshiro authors
 * recommend; the stream's identity is the caller's to set. */
static inline void rng_state_init(struct nx_rng *rng, uint64_t seed)
{
	uint64_t sm = seed;

	for (unsigned i = 0; i < 4; i++)
		rng->s[i] = rng_splitmix64(&sm);
	/* splitmix64 is a bijection of its counter, so the four words are
	 * never all zero (the one state xoshiro must avoid). */
	nx_assert(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]);
}

static inline uint64_t rng_xoshiro(struct nx_rng *rng)
{
	uint64_t *s = rng->s;
	const uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, bound), bound >= 2. */
static inline uint64_t rng_xoshiro_below(struct nx_rng *rng, uint64_t bound)
{
	uint64_t x, m;

	/* Reject the top partial copy of [0, bound) so every residue is
	 * equally likely; at most half the draws are rejected.  x lies in
	 * the copy that starts at x - m, the top one (at or above
	 * UINT64_MAX - UINT64_MAX % bound) exactly when that start is above
	 * UINT64_MAX - bound: one 64-bit division per draw instead of two.
	 * Parts per billion, the common bound, divide by a constant. */
	do {
		x = rng_xoshiro(rng);
		m = bound == NX_SIM_PPB ? x % NX_SIM_PPB : x % bound;
	} while (x - m > UINT64_MAX - bound);
	return m;
}

/* FNV-1a over the label: forks are named, so their identity does not
 * depend on the order in which code happens to create them. */
static inline uint64_t rng_label_hash(const char *label)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = label; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A child's seed from its parent's seed, label and index: two rounds of
 * mixing so all three diffuse. */
static inline uint64_t rng_fork_seed(uint64_t parent_seed, const char *label,
				     uint64_t index)
{
	uint64_t sm = parent_seed ^ rng_label_hash(label);
	uint64_t seed = rng_splitmix64(&sm);

	sm = seed ^ index;
	return rng_splitmix64(&sm);
}

#endif
