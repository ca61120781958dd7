/*
 * rng.c - seeded PRNG streams for the simulator: the nx_rng API
 * (nx_sim.h) over the generator in rng_core.h.
 */
#include "rng_core.h"

uint64_t nx_splitmix64(uint64_t *state)
{
	return nx_xoshiro_splitmix64(state);
}

void nx_rng_init(struct nx_rng *rng, uint64_t seed)
{
	nx_xoshiro_seed(rng->s, seed);
	rng->seed = seed;
}

void nx_rng_fork(const struct nx_rng *parent, const char *label,
		 uint64_t index, struct nx_rng *child)
{
	nx_assert(label != NULL);
	nx_rng_init(child, rng_fork_seed(parent->seed, label, index));
}

uint64_t nx_rng_u64(struct nx_rng *rng)
{
	return nx_xoshiro_next(rng->s);
}

uint64_t nx_rng_below(struct nx_rng *rng, uint64_t bound)
{
	if (bound <= 1) /* nothing to choose: consume no state */
		return 0;
	return rng_xoshiro_below(rng, bound);
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
