/*
 * tmf_fault.c - the tmf scenario's faults and target (re)build
 * (tmf_internal.h).
 */
#include <string.h>

#include "tmf_internal.h"

/* ---- faults ------------------------------------------------------------------------ */

static void fault_link(struct tm *tm)
{
	struct nx_rng *r = &tm->frng;
	uint64_t dur = nx_rng_chance(r, 1, 5) ? nx_rng_range(r, SEC, 15 * SEC)
					     : nx_rng_range(r, MS, 300 * MS);
	unsigned a = nx_sim_host_index(tm->thost);
	unsigned b = nx_rng_chance(r, 1, 2) ? NX_LINK_ALL :
		nx_sim_host_index(tm->ihost[nx_rng_below(r, tm->nini)]);

	if (tm->heal.cut)
		return;
	nx_scn_heal_link_cut(&tm->heal, a, b, dur);
	/* a long cut kills connections (any of them) */
	tm->st.lost |= (1u << NEX_MAX) - 1;
	tm->env->faults_n[NX_SCN_FAULT_LINK]++;
}

static void fault_reset(struct tm *tm)
{
	struct nex *n = &tm->nx[nx_rng_below(&tm->frng, tm->nnex)];

	if (!tm_nex_alive(n))
		return;
	nx_log(NX_LOG_INFO, "scn: fault: reset nx%u's connection", n->idx);
	nx_sim_stream_reset(nx_sim_ini_stream(n->si));
	n->need_relogin = true;
	tm->st.lost |= bit(n->idx);
	tm->env->faults_n[NX_SCN_FAULT_RESET]++;
}

static void fault_disk(struct tm *tm)
{
	struct nx_rng *r = &tm->frng;
	uint64_t dur = nx_rng_range(r, MS, 100 * MS);

	if (tm->heal.disk_faulty)
		return;
	if (nx_rng_chance(r, 1, 2)) {
		uint64_t n = nx_rng_range(r, 1, 64);
		uint64_t lba = nx_rng_below(r, LU_BLOCKS - n + 1);

		(void)nx_sim_disk_inject_bad(tm->disk, lba * BLOCK, n * BLOCK,
					     1u << NX_FILE_READ | 1u << NX_FILE_WRITE);
		nx_log(NX_LOG_INFO, "scn: fault: media errors LBA %llu+%llu",
		       (unsigned long long)lba, (unsigned long long)n);
	} else {
		uint32_t rd = (uint32_t)nx_rng_range(r, 0, NX_SIM_PPB / 20);
		uint32_t wr = (uint32_t)nx_rng_range(r, 0, NX_SIM_PPB / 20);

		nx_sim_disk_set_faults(tm->disk, rd, wr, NX_SIM_PPB / 20,
				       nx_rng_range(r, MS, 200 * MS));
		nx_log(NX_LOG_INFO, "scn: fault: disk burst r%u/w%u ppb", rd, wr);
	}
	tm->st.disk = true;
	nx_scn_heal_disk_after(&tm->heal, dur);
	tm->env->faults_n[NX_SCN_FAULT_DISK]++;
}


/* Crash: every connection reset, the target's objects freed once its
 * tasks drained, a new target on the same sim disk; power: the disk
 * loses its cache in between. */
static void fault_crash(struct tm *tm, bool power)
{
	bool tear = power && nx_rng_chance(&tm->frng, 1, 2);

	nx_log(NX_LOG_INFO, "scn: fault: target crash%s", power ?
	       (tear ? " + power loss (torn cache)" : " + power loss") : "");
	for (unsigned i = 0; i < tm->nnex; i++) {
		tm->nx[i].need_relogin = true;
		tm->nx[i].up = false;
	}
	tm->st.lost |= (1u << NEX_MAX) - 1;
	if (tm->trans_ev != NX_SIM_EVENT_NONE)
		nx_sim_cancel(tm->sim, tm->trans_ev);
	tm->trans_ev = NX_SIM_EVENT_NONE;
	tm->trans_pending = false;
	if (power)
		tm->power_loss_ns = now_ns(tm);
	if (nx_sim_iscsi_target_free(tm->starget, 60 * SEC) != 0)
		nx_scn_fail(tm->env, "crash: target connections never released");
	nx_target_free(tm->tgt);
	tm->starget = NULL;
	tm->tgt = NULL;
	if (power) {
		nx_sim_disk_power_loss(tm->disk, tear);
		tm_durable_check(tm, "after power loss", true);
	}
	tm_target_build(tm);
	tm_model_target_fresh(tm);
	nx_scn_pr_restart(&tm->pr); /* SPC-4 5.12.4: what APTPL keeps */
	tm->env->faults_n[power ? NX_SCN_FAULT_POWER : NX_SCN_FAULT_CRASH]++;
}

static bool fault_on(const struct tm *tm, enum nx_scn_fault k)
{
	return (tm->env->faults_used & (1u << k)) != 0;
}

void tm_fault_inject(struct tm *tm)
{
	unsigned kinds[NX_SCN_FAULT_KINDS], n = 0;

	for (unsigned k = 0; k < NX_SCN_FAULT_KINDS; k++)
		if (fault_on(tm, (enum nx_scn_fault)k))
			kinds[n++] = k;
	if (n == 0)
		return;
	tm->st.fault = true;
	switch (kinds[nx_rng_below(&tm->frng, n)]) {
	case NX_SCN_FAULT_LINK: fault_link(tm); break;
	case NX_SCN_FAULT_RESET: fault_reset(tm); break;
	case NX_SCN_FAULT_DISK: fault_disk(tm); break;
	case NX_SCN_FAULT_CRASH: fault_crash(tm, false); break;
	case NX_SCN_FAULT_POWER: fault_crash(tm, true); break;
	}
}

void tm_heal_all(struct tm *tm)
{
	nx_scn_heal_all(&tm->heal);
}

/* ---- the target ----------------------------------------------------------------------- */

void tm_target_build(struct tm *tm)
{
	struct nx_iscsi_server_config sc;
	struct nx_lu_config lu = { .lun = 0, .block_size = BLOCK };
	struct nx_backstore *bs = NULL;

	if (nx_bs_file_new("lu0", 0, false, &bs) != 0)
		nx_scn_fail(tm->env, "file backstore on the sim disk");
	tm->tgt = nx_target_new(TGT_NAME);
	if (tm->tgt == NULL || nx_target_add_lu(tm->tgt, &lu, bs) != 0)
		nx_scn_fail(tm->env, "target / LU");
	/* SPC-4 5.16.2.1: one target port group per portal group. */
	for (unsigned g = 1; g <= PORTS; g++)
		if (nx_alua_add_group(tm->tgt, (uint16_t)g,
				      NX_ALUA_ACTIVE_OPTIMIZED, g == 1) != 0 ||
		    nx_alua_add_port(tm->tgt, (uint16_t)g, (uint16_t)g) != 0)
			nx_scn_fail(tm->env, "target port group %u", g);
	memset(&sc, 0, sizeof(sc));
	sc.portals[0] = "10.0.0.1:3260";
	sc.portals[1] = "10.0.0.1:3261";
	sc.portal_count = PORTS;
	sc.tpgt = 1;
	sc.portal_tpgt[0] = 1;
	sc.portal_tpgt[1] = 2;
	sc.targets[0].target = tm->tgt;
	sc.target_count = 1;
	tm->starget = nx_sim_iscsi_target_new(tm->sim, tm->thost, PORT0, &sc);
	if (tm->starget == NULL ||
	    nx_sim_iscsi_target_listen(tm->starget, tm->thost, PORT0 + 1, 1) != 0)
		nx_scn_fail(tm->env, "sim iSCSI target");
}

/* What a freshly built target holds: current mode pages are the saved
 * ones, which persist across crashes and power loss (SPC-4 7.5.1; the
 * first build starts from the defaults), ALUA groups at their initial
 * states, no ACA; every I_T nexus is new. */
void tm_model_target_fresh(struct tm *tm)
{
	tm_hist_change(&tm->ctl, tm_ctl_pack(&tm->ctl_saved), now_ns(tm),
		       now_ns(tm));
	/* saved QErr 01b with TAS 0 may now clear other nexuses' tasks */
	tm_allow_qerr_2f(tm);
	for (unsigned p = 0; p < PORTS; p++)
		tm_alua_set(tm, p, AS_AO, ST_NONE, now_ns(tm), now_ns(tm));
	tm->aca_nex = NO_NEX;
}
