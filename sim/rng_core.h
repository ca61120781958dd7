/*
 * rng_core.h - what every nx_rng stream is made of: xoshiro256**
 * (platform/nx_xoshiro.h), unbiased bounded draws and the stream-naming
 * hash.
 *
 * Two files define the nx_rng API (nx_sim.h): sim/rng.c and the fuzz
 * replacement fuzz/fuzz_sim_rng.c (whose fallback and noise streams are
 * this same generator).  Both take it from here.
 */
#ifndef NX_SIM_RNG_CORE_H
#define NX_SIM_RNG_CORE_H

#include "../platform/nx_xoshiro.h"
#include "nx_sim.h"

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
		x = nx_xoshiro_next(rng->s);
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
	uint64_t seed = nx_xoshiro_splitmix64(&sm);

	sm = seed ^ index;
	return nx_xoshiro_splitmix64(&sm);
}

#endif
