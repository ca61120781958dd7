/*
 * fuzz_sim.h - the decision source of fuzz_sim (fuzz_sim_rng.c): the
 * simulator's nx_rng with its decisions taken from the fuzz input.
 * Test code (fuzz/), linked only into fuzz_sim.
 */
#ifndef NX_FUZZ_SIM_H
#define NX_FUZZ_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "sim/nx_sim.h"

/* The bytes the next run's decisions come from (kept, not copied). */
void fz_sim_rng_input(const uint8_t *data, size_t size);
/* Also write every decision, in the input encoding, into buf (NULL:
 * stop): the recording replays the same run.  fz_sim_rng_input()
 * restarts it. */
void fz_sim_rng_record(uint8_t *buf, size_t cap);
size_t fz_sim_rng_recorded(void);
/* Varies the fallback draws of decision streams (0: none); noise
 * streams are untouched, so a recording replays without the salt. */
void fz_sim_rng_salt(uint64_t salt);
/* Input bytes consumed so far, and decisions made. */
size_t fz_sim_rng_used(void);
uint64_t fz_sim_rng_draws(void);

#endif /* NX_FUZZ_SIM_H */
