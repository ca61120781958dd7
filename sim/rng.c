/*
 * rng.c - seeded PRNG streams for the simulator.
 *
 * xoshiro256** 1.0 (D. Blackman, S. Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 2021) seeded from splitmix64 (G. Steele,
 * D. Lea, C. Flood, "Fast splittable pseudorandom number generators",
 * OOPSLA 2014).  Integer-only, so every draw is identical on every host.
 */
#include "nx_sim.h"

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t nx_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void nx_rng_init(struct nx_rng *rng, uint64_t seed)
{
	uint64_t sm = seed;

	for (unsigned i = 0; i < 4; i++)
		rng->s[i] = nx_splitmix64(&sm);
	/* splitmix64 is a bijection of its counter, so the four words are
	 * never all zero (the one state xoshiro must avoid). */
	nx_assert(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]);
	rng->seed = seed;
}

/* FNV-1a over the label: forks are named, so their identity does not
 * depend on the order in which code happens to create them. */
static uint64_t label_hash(const char *label)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = label; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	return h;
}

void nx_rng_fork(const struct nx_rng *parent, const char *label,
		 uint64_t index, struct nx_rng *child)
{
	uint64_t sm = parent->seed ^ label_hash(label);
	uint64_t seed;

	nx_assert(label != NULL);
	/* Two rounds of mixing so seed, label and index all diffuse. */
	seed = nx_splitmix64(&sm);
	sm = seed ^ index;
	seed = nx_splitmix64(&sm);
	nx_rng_init(child, seed);
}

uint64_t nx_rng_u64(struct nx_rng *rng)
{
	uint64_t *s = rng->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t nx_rng_below(struct nx_rng *rng, uint64_t bound)
{
	uint64_t x, m;

	if (bound <= 1) /* nothing to choose: consume no state */
		return 0;
	/* Reject the top partial copy of [0, bound) so every residue is
	 * equally likely; at most half the draws are rejected.  x lies in
	 * the copy that starts at x - m, the top one (at or above
	 * UINT64_MAX - UINT64_MAX % bound) exactly when that start is above
	 * UINT64_MAX - bound: one 64-bit division per draw instead of two.
	 * Parts per billion, the common bound, divide by a constant. */
	do {
		x = nx_rng_u64(rng);
		m = bound == NX_SIM_PPB ? x % NX_SIM_PPB : x % bound;
	} while (x - m > UINT64_MAX - bound);
	return m;
}

uint64_t nx_rng_range(struct nx_rng *rng, uint64_t lo, uint64_t hi)
{
	nx_assert(lo <= hi);
	if (lo == 0 && hi == UINT64_MAX)
		return nx_rng_u64(rng);
	return lo + nx_rng_below(rng, hi - lo + 1);
}

bool nx_rng_chance(struct nx_rng *rng, uint64_t num, uint64_t den)
{
	nx_assert(den > 0);
	if (num == 0)
		return false;
	if (num >= den)
		return true;
	return nx_rng_below(rng, den) < num;
}

void nx_rng_fill(struct nx_rng *rng, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		uint64_t x = nx_rng_u64(rng);
		size_t n = NX_MIN(len, sizeof(x));

		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)(x >> (8 * i));
		p += n;
		len -= n;
	}
}
