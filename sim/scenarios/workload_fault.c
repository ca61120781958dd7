/*
 * workload_fault.c - the workload engine's fault injection (wl_internal.h).
 */
#include "wl_internal.h"

/* ---- faults ------------------------------------------------------------------------ */

static bool fault_on(const struct wl *wl, enum nx_scn_fault k)
{
	return (wl->o.faults & (1u << k)) != 0;
}

static void fault_note(struct wl *wl, enum nx_scn_fault k, uint64_t effect_ns)
{
	uint64_t end = nx_sim_now(wl->sim) + effect_ns + FAULT_SETTLE_NS;

	wl->env->faults_n[k]++;
	wl->faults_total++;
	if (end > wl->fault_end_ns)
		wl->fault_end_ns = end;
}

/* Partitions: mostly shorter than TCP's patience, sometimes much longer
 * (the connections die; watchdogs and re-logins follow). */
static bool fault_link(struct wl *wl)
{
	struct nx_rng *r = &wl->frng;
	uint64_t dur = nx_rng_chance(r, 1, 5) ? nx_rng_range(r, SEC, 15 * SEC)
					     : nx_rng_range(r, MS, 300 * MS);
	unsigned a, b;

	if (wl->heal.cut)
		return false;
	if (wl_over_iser(wl)) {
		/* RoCE is lossless: a cut is a port going down (every QP of
		 * the device breaks, IBA 9.7.5.1.2 transport errors) and back. */
		struct nx_rdma_dev *d = nx_rng_chance(r, 1, 2) ? wl->tdev :
			wl->ini[nx_rng_below(r, wl->o.initiators)].dev;

		nx_log(NX_LOG_INFO, "scn: fault: port of %s down",
		       d == wl->tdev ? "the target" : "an initiator");
		nx_sim_rdma_dev_fail(d);
		fault_note(wl, NX_SCN_FAULT_LINK, 0);
		return true;
	}
	a = nx_sim_host_index(wl->thost);
	b = nx_rng_chance(r, 1, 2) ? NX_LINK_ALL :
		nx_sim_host_index(wl->ini[nx_rng_below(r, wl->o.initiators)].host);
	nx_scn_heal_link_cut(&wl->heal, a, b, dur);
	fault_note(wl, NX_SCN_FAULT_LINK, dur);
	return true;
}

static void trap_fire(void *arg)
{
	struct wl *wl = arg;
	struct ini *in = &wl->ini[wl->trap.ini];

	wl->trap.ev = NX_SIM_EVENT_NONE;
	if (wl->trap.disconnect && (in->xi != NULL || in->pi != NULL)) {
		nx_log(NX_LOG_INFO, "scn: fault: ini%u disconnects during an RDMA "
		       "READ", in->idx);
		wl_ini_drop(in);
	} else {
		nx_log(NX_LOG_INFO, "scn: fault: QP error mid-transfer (target QP "
		       "0x%x to ini%u)", wl->trap.qpn, in->idx);
		(void)nx_sim_rdma_qp_break_num(wl->tdev, wl->trap.qpn);
	}
	fault_note(wl, NX_SCN_FAULT_RESET, 0);
}

/* The fabric's tap: the armed fault waits for the target's next RDMA
 * WRITE (Data-In) or READ (Data-Out) toward its initiator, and strikes
 * while it is on the wire (from an event: the tap may not call in). */
void wl_trap_tap(void *arg, const struct nx_sim_rdma_tap_msg *m)
{
	struct wl *wl = arg;

	if (!wl->trap.armed || m->src != wl->tdev ||
	    m->dst != wl->ini[wl->trap.ini].dev ||
	    (m->kind != NX_SIM_RDMA_TAP_READ_REQ &&
	     (wl->trap.disconnect || m->kind != NX_SIM_RDMA_TAP_WRITE)))
		return;
	wl->trap.armed = false;
	wl->trap.qpn = m->src_qpn;
	wl->trap.ev = nx_sim_schedule(wl->sim, 0, trap_fire, wl);
	nx_assert(wl->trap.ev != NX_SIM_EVENT_NONE);
}

/* iSER: a QP error during an RDMA WRITE or READ of the target (both
 * QPs to ERROR, the transfer fails RETRY_EXC_ERR), or the initiator's
 * disconnect during an RDMA READ (DREQ while the target fetches
 * Data-Out).  The connection ends; the initiator logs in again. */
static bool fault_reset_iser(struct wl *wl, struct ini *in)
{
	if (wl->trap.armed || wl->trap.ev != NX_SIM_EVENT_NONE)
		return false;
	wl->trap.armed = true;
	wl->trap.ini = in->idx;
	wl->trap.disconnect = nx_rng_chance(&wl->frng, 1, 2);
	nx_log(NX_LOG_INFO, "scn: fault: armed: %s for ini%u's next transfer",
	       wl->trap.disconnect ? "disconnect during an RDMA READ" :
	       "QP error", in->idx);
	return true;
}

static bool fault_reset(struct wl *wl)
{
	struct ini *in = &wl->ini[nx_rng_below(&wl->frng, wl->o.initiators)];

	if (in->down)
		return false;
	if (wl_over_iser(wl))
		return fault_reset_iser(wl, in);
	nx_log(NX_LOG_INFO, "scn: fault: reset ini%u's connection", in->idx);
	wl_ini_drop(in);
	wl_ini_lost(in);
	fault_note(wl, NX_SCN_FAULT_RESET, 0);
	return true;
}

/* Media errors on a range, or a burst of I/O errors and slow I/Os. */
static bool fault_disk(struct wl *wl)
{
	struct nx_rng *r = &wl->frng;
	uint64_t dur = nx_rng_range(r, MS, 200 * MS), spike = 0;

	if (wl->heal.disk_faulty)
		return false;
	if (nx_rng_chance(r, 1, 2)) {
		uint64_t n = nx_rng_range(r, 1, BLOCKS_LIMIT);
		uint64_t lba = nx_rng_below(r, wl->region - n + 1);
		unsigned mask = (unsigned)nx_rng_range(r, 1, 3);
		unsigned ops = ((mask & 1) ? 1u << NX_FILE_READ : 0) |
			       ((mask & 2) ? 1u << NX_FILE_WRITE : 0);

		(void)nx_sim_disk_inject_bad(wl->disk, lba * BLOCK, n * BLOCK, ops);
		nx_log(NX_LOG_INFO, "scn: fault: media errors LBA %llu+%llu ops %u "
		       "for %llu ns", (unsigned long long)lba,
		       (unsigned long long)n, ops, (unsigned long long)dur);
	} else {
		uint32_t rd = (uint32_t)nx_rng_range(r, 0, NX_SIM_PPB / 20);
		uint32_t wr = (uint32_t)nx_rng_range(r, 0, NX_SIM_PPB / 20);
		uint32_t tail = (uint32_t)nx_rng_range(r, NX_SIM_PPB / 100,
						       NX_SIM_PPB / 5);

		spike = nx_rng_range(r, MS, 500 * MS);
		nx_sim_disk_set_faults(wl->disk, rd, wr, tail, spike);
		nx_log(NX_LOG_INFO, "scn: fault: disk burst err r%u/w%u ppb, "
		       "spikes %u ppb <= %llu ns for %llu ns", rd, wr, tail,
		       (unsigned long long)spike, (unsigned long long)dur);
	}
	nx_scn_heal_disk_after(&wl->heal, dur);
	fault_note(wl, NX_SCN_FAULT_DISK, dur + spike);
	return true;
}

/* Crash: every connection reset and the target's objects freed (the
 * transport drains its tasks first, as a dying process's last I/Os may
 * still reach the disk), then a new target on the same sim disk.  The
 * initiators notice at once (as a NOP-Out timeout would tell them) and
 * log in again.  power: the disk loses power in between. */
static void fault_crash(struct wl *wl, bool power)
{
	bool tear = power && nx_rng_chance(&wl->frng, 1, 2);

	nx_log(NX_LOG_INFO, "scn: fault: target crash%s", power ?
	       (tear ? " + power loss (torn cache)" : " + power loss") : "");
	for (unsigned i = 0; i < wl->o.initiators; i++)
		wl_ini_lost(&wl->ini[i]);
	if (power)
		wl->power_loss_ns = nx_sim_now(wl->sim);
	if (wl_over_iser(wl))
		nx_sim_rdma_dev_fail(wl->tdev); /* its QPs die with it */
	wl_target_stop(wl, "crash");
	nx_target_free(wl->tgt);
	wl->tgt = NULL;
	if (power) {
		nx_sim_disk_power_loss(wl->disk, tear);
		wl_durable_check(wl, "after power loss", true);
	}
	/* wl->tas stays: the saved control page (SP=1 at set-up) is
	 * persistent, and a new target starts from it (SPC-4 7.5.1). */
	wl_target_build(wl);
	nx_scn_pr_restart(&wl->pr); /* SPC-4 5.12.4: what APTPL keeps */
	fault_note(wl, power ? NX_SCN_FAULT_POWER : NX_SCN_FAULT_CRASH, 0);
	wl_pr_check_hook(wl, "after restart");
}

void wl_fault_inject(struct wl *wl)
{
	unsigned kinds[NX_SCN_FAULT_KINDS], n = 0;

	for (unsigned k = 0; k < NX_SCN_FAULT_KINDS; k++)
		if (fault_on(wl, (enum nx_scn_fault)k))
			kinds[n++] = k;
	nx_assert(n > 0);
	switch (kinds[nx_rng_below(&wl->frng, n)]) {
	case NX_SCN_FAULT_LINK: (void)fault_link(wl); break;
	case NX_SCN_FAULT_RESET: (void)fault_reset(wl); break;
	case NX_SCN_FAULT_DISK: (void)fault_disk(wl); break;
	case NX_SCN_FAULT_CRASH: fault_crash(wl, false); break;
	case NX_SCN_FAULT_POWER: fault_crash(wl, true); break;
	}
}

void wl_fault_schedule_next(struct wl *wl)
{
	uint64_t d = wl->env->duration_ns;

	wl->next_fault_ns = nx_sim_now(wl->sim) +
		nx_rng_range(&wl->frng, NX_MAX(d / 12, MS), NX_MAX(d / 3, 2 * MS));
}

void wl_heal_all(struct wl *wl)
{
	nx_scn_heal_all(&wl->heal);
	wl->trap.armed = false;
	if (wl->trap.ev != NX_SIM_EVENT_NONE) {
		nx_sim_cancel(wl->sim, wl->trap.ev);
		wl->trap.ev = NX_SIM_EVENT_NONE;
	}
}
