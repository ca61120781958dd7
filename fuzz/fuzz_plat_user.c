/*
 * fuzz_plat_user.c - fz_platform_reset() / fz_platform_done() for the
 * targets that run on platform/user (libnx_user.a): no event loop is
 * ever created, RAM and null backstores complete inline, and none of
 * those targets reaches a timer that must fire (FORMAT UNIT and SANITIZE
 * do: targets whose input can send any CDB run on the sim platform).
 */
#include "fuzz/fuzz_common.h"
#include "platform/user/nx_user.h"

void fz_platform_reset(void)
{
	/* Errors only: the transport logs every rejected PDU at WARN/INFO,
	 * which would drown libFuzzer's output. */
	nx_user_set_log_level(NX_LOG_ERR);
	/* CHAP challenges come from the PRNG: a fixed seed per input makes
	 * them (and so a seed's precomputed CHAP_R) replay exactly. */
	nx_user_seed_random(FZ_SEED);
	nx_user_persist_reset();
}

void fz_platform_drain(bool (*done)(void *arg), void *arg)
{
	(void)done;
	(void)arg;
}

void fz_platform_done(void)
{
	/* LeakSanitizer (libFuzzer -detect_leaks) watches libc allocations
	 * directly: nothing to count here. */
}
