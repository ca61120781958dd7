/*
 * nx_xoshiro.h - xoshiro256** 1.0 (D. Blackman, S. Vigna, "Scrambled
 * linear pseudorandom number generators", ACM TOMS 2021) seeded from
 * splitmix64 (G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014), header-only.  Integer-only, so a
 * seed gives the same draws on every host.  The generator under the user
 * platform's nx_random_u64 and under the simulator's nx_rng streams
 * (sim/rng_core.h); the kernel module takes the kernel's randomness.
 */
#ifndef NX_XOSHIRO_H
#define NX_XOSHIRO_H

#include "nx_platform.h"

static inline uint64_t nx_xoshiro_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t nx_xoshiro_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The state from four splitmix64 outputs, as the xoshiro authors
 * recommend. */
static inline void nx_xoshiro_seed(uint64_t s[4], uint64_t seed)
{
	uint64_t sm = seed;

	for (unsigned i = 0; i < 4; i++)
		s[i] = nx_xoshiro_splitmix64(&sm);
	/* splitmix64 is a bijection of its counter, so the four words are
	 * never all zero (the one state xoshiro must avoid). */
	nx_assert(s[0] | s[1] | s[2] | s[3]);
}

static inline uint64_t nx_xoshiro_next(uint64_t s[4])
{
	const uint64_t result = nx_xoshiro_rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = nx_xoshiro_rotl(s[3], 45);
	return result;
}

#endif
