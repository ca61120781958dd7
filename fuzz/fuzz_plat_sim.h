/*
 * fuzz_plat_sim.h - the simulator platform under the "sim" fuzz targets
 * (fuzz_plat_sim.c): the sim of the current input and a way to let its
 * virtual time pass.
 */
#ifndef NX_FUZZ_PLAT_SIM_H
#define NX_FUZZ_PLAT_SIM_H

#include "sim/nx_sim.h"

/* The sim fz_platform_reset() made for this input. */
struct nx_sim *fz_sim(void);
/* Runs every event due in the next ms milliseconds of virtual time. */
void fz_sim_run_ms(uint64_t ms);

#endif /* NX_FUZZ_PLAT_SIM_H */
