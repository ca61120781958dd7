/*
 * tmf.c - task management, unit attentions, ACA, control mode page and
 * ALUA under faults, with multipath initiators and reservations.
 *
 * One target, LU 0 (file backstore on a sim disk), two target ports
 * (portal 10.0.0.1:3260 = TPGT 1 in target port group 1, :3261 = TPGT 2
 * in group 2).  Two or three initiators, each on its own host; at least
 * one logs in through both ports with the same ISID (multipath: one
 * initiator port, two I_T nexuses, SAM-5 4.6), the others through one.
 * Up to six I_T nexuses.  The first path of initiators 0 and 1 are the
 * two registrants of the reservation model (pr_model.h).
 *
 * The run is a sequence of steps.  Each step draws one action from the
 * seed, and, for most, whether background I/O runs while it happens
 * (busy) or nothing else is in flight (quiet):
 *   TMFs (RFC 7143 11.5.1, RFC 7144): ABORT TASK, ABORT TASK SET, CLEAR
 *   TASK SET, LOGICAL UNIT RESET, TARGET WARM RESET, TARGET COLD RESET,
 *   I_T NEXUS RESET, QUERY TASK, QUERY TASK SET, QUERY ASYNCHRONOUS
 *   EVENT; an ACA (SAM-5 5.9.2): a failing command with NACA=1, BUSY /
 *   ACA ACTIVE for what follows, an ACA-attribute command, then CLEAR
 *   ACA (from the faulted nexus, or first from another one, which does
 *   nothing) or a reset; MODE SELECT of the control mode page (QErr
 *   00b/01b/11b, TAS, UA_INTLCK_CTRL 00b/10b/11b, D_SENSE, saved or
 *   not); ALUA transitions, implicit (nx_alua_set_state with and
 *   without a transition delay, sometimes failing) and explicit (SET
 *   TARGET PORT GROUPS); a persistent reservation command (pr_model.c);
 *   or I/O alone.  Faults (--faults, all by default) strike at a random
 *   point of a busy step: link partitions, connection resets, media
 *   errors and latency bursts, target crash, power loss.
 *
 * Background I/O: every I_T nexus keeps up to QD READ(10) / WRITE(10)
 * (some FUA) / TEST UNIT READY in flight, on 16-block slots no other
 * command of the step touches, so the shadow of the medium is exact:
 * each block carries (tag, LBA) and a pattern, a write whose outcome is
 * unknown leaves the old and the new tag possible until a read settles
 * it, FUA and SYNCHRONIZE CACHE set a durable floor checked against the
 * sim disk after power loss (the workload.c scheme).
 *
 * Invariants, exact where nothing races and bounded by the step's
 * history where commands race the events (tmf_model.h):
 *  - every command gets exactly one outcome: GOOD, CHECK CONDITION,
 *    another status, aborted by its own initiator's TMF (no response,
 *    RFC 7143 4.2.3.3), aborted silently by another's (TAS=0: QUERY
 *    TASK then says it is gone, ABORT TASK SET cleans it up), or its
 *    connection lost; and each outcome must be one the step's events
 *    allow (TASK ABORTED only after another nexus's CLEAR TASK SET /
 *    reset / QErr 01b abort with TAS=1 possible, BUSY and ACA ACTIVE only
 *    under ACA, NOT READY 04h/0Ah-0Ch only with the matching asymmetric
 *    access state of the nexus's port group at some instant between
 *    submission and answer, RESERVATION CONFLICT only for a
 *    non-registrant under a reservation of the matching type, MEDIUM
 *    ERROR only under a disk fault).  A command through a port that was
 *    standby/unavailable/transitioning all along never completes GOOD
 *    and a refused write changes nothing on the medium;
 *  - TMF responses: ABORT TASK answers FUNCTION COMPLETE exactly when
 *    its task was still there; QUERY TASK / TASK SET answer FUNCTION
 *    SUCCEEDED exactly when a task was still in the task set; every
 *    other function FUNCTION COMPLETE; TARGET COLD RESET closes every
 *    connection;
 *  - unit attentions: 29h/00h for each new I_T nexus, 29h/01h-03h and
 *    07h after resets, 2Ah/01h to the other nexuses after a change of
 *    mode parameters, 2Ah/03h-05h after reservation changes, 2Ah/06h
 *    after an ALUA change (to every nexus for an implicit one, to the
 *    others for SET TARGET PORT GROUPS), 2Ah/07h after a failed implicit
 *    one, 2Fh/00h after another nexus's CLEAR TASK SET or QErr 01b abort
 *    with TAS=0, 2Ch/07h / 09h after BUSY / RESERVATION CONFLICT with
 *    UA_INTLCK_CTRL 11b: each delivered exactly once, in priority order,
 *    and never to a nexus that should not get it; QUERY ASYNCHRONOUS
 *    EVENT agrees with the model's queue; REQUEST SENSE clears what
 *    UA_INTLCK_CTRL 10b/11b keeps;
 *  - state read back after every step through every I_T nexus: the
 *    control mode page (MODE SENSE), target port group states and
 *    STATUS CODEs (REPORT TARGET PORT GROUPS), READ KEYS / READ
 *    RESERVATION identical on every path (both paths of a multipath
 *    initiator) and equal to the model, the ACA condition gone;
 *  - every block written reads back as the model says; after power loss
 *    every acknowledged FUA / synchronized write survived.
 * Counters of what ran go to the summary line (env->note).
 *
 * This file runs the steps; tmf_internal.h lists the modules that do
 * the rest (background I/O, judge, sessions, faults, actions, ACA and
 * parked tasks, settling and probes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmf_internal.h"

const char *const tm_act_names[A_COUNT] = {
	"io", "abort_task", "abort_task_set", "clear_task_set", "lu_reset",
	"warm_reset", "cold_reset", "it_nexus_reset", "query_task",
	"query_task_set", "qae", "aca", "modesel", "alua_implicit",
	"alua_stpg", "pr", "parked",
};

/* weight, may run busy, may run quiet */
static const struct {
	uint8_t w;
	bool busy, quiet;
} act_tab[A_COUNT] = {
	[A_IO] = { 3, true, false },
	[A_ABORT_TASK] = { 5, true, false },
	[A_ABORT_TASK_SET] = { 4, true, false },
	[A_CLEAR_TASK_SET] = { 5, true, true },
	[A_LU_RESET] = { 4, true, true },
	[A_WARM_RESET] = { 3, true, true },
	[A_COLD_RESET] = { 1, true, true },
	[A_IT_NEXUS_RESET] = { 2, true, true },
	[A_QUERY_TASK] = { 4, true, false },
	[A_QUERY_TASK_SET] = { 3, true, true },
	[A_QAE] = { 2, false, true },
	[A_ACA] = { 5, true, true },
	[A_MODESEL] = { 6, false, true },
	[A_ALUA_IMPLICIT] = { 5, true, true },
	[A_ALUA_STPG] = { 4, false, true },
	[A_PR] = { 4, false, true },
	[A_PARKED] = { 12, false, true },
};

/* ---- steps ------------------------------------------------------------------------------ */

static enum action pick_action(struct tm *tm, bool *busy)
{
	unsigned sum = 0, x;
	enum action a = A_IO;

	for (unsigned k = 0; k < A_COUNT; k++)
		sum += act_tab[k].w;
	x = (unsigned)nx_rng_below(&tm->rng, sum);
	for (unsigned k = 0; k < A_COUNT; k++) {
		if (x < act_tab[k].w) {
			a = (enum action)k;
			break;
		}
		x -= act_tab[k].w;
	}
	if (!act_tab[a].quiet)
		*busy = true;
	else if (!act_tab[a].busy)
		*busy = false;
	else
		*busy = nx_rng_chance(&tm->rng, 2, 3);
	return a;
}

static void step_begin(struct tm *tm, enum action a, bool busy)
{
	struct step *st = &tm->st;
	uint32_t v;

	memset(st, 0, sizeof(*st));
	st->id = (unsigned)++tm->n_steps;
	st->act = a;
	st->busy = busy;
	st->t0 = now_ns(tm);
	st->aca_nex = NO_NEX;
	st->disk = tm->heal.disk_faulty;
	tm->nrec = 0;
	tm->pr0 = tm->pr;
	/* Histories restart from what is known; an unsettled one (a reset
	 * lost with its connection, no port to read the page through) is
	 * kept whole until a reading settles it. */
	if (tm_hist_settled(&tm->ctl, st->t0, &v))
		tm_hist_init(&tm->ctl, v, st->t0);
	for (unsigned p = 0; p < PORTS; p++) {
		if (!tm_hist_settled(&tm->alua[p], st->t0, &v))
			nx_assert(!"ALUA unsettled at a step start");
		tm_hist_init(&tm->alua[p], v, st->t0);
	}
	if (busy) {
		tm->n_busy_steps++;
		for (unsigned i = 0; i < tm->nnex; i++)
			tm_ledger_fuzz(&tm->nx[i].ua);
		tm_allow_qerr_2f(tm);
	}
	tm->n_act[a]++;
	nx_log(NX_LOG_INFO, "scn: step %u: %s%s", st->id, tm_act_names[a],
	       busy ? " (busy)" : "");
}

static void run_action(struct tm *tm, enum action a)
{
	switch (a) {
	case A_IO:
		break;
	case A_ACA:
		tm_act_aca(tm);
		break;
	case A_MODESEL:
		tm_act_modesel(tm);
		break;
	case A_ALUA_IMPLICIT:
		tm_act_alua_implicit(tm);
		break;
	case A_ALUA_STPG:
		tm_act_alua_stpg(tm);
		break;
	case A_PR:
		tm_act_pr(tm);
		break;
	case A_PARKED:
		tm_act_parked(tm);
		break;
	case A_QAE:
		for (unsigned i = 0; i < tm->nnex; i++)
			if (tm_nex_alive(&tm->nx[i]))
				tm_probe_qae(tm, &tm->nx[i]);
		break;
	default:
		tm_act_tmf(tm, a);
		break;
	}
}

/* A step: background I/O (busy), the action at a random instant, a
 * fault now and then, settle, judge, probe. */
static void step(struct tm *tm)
{
	bool busy = false;
	enum action a = pick_action(tm, &busy);
	bool fault = tm->env->faults_used != 0 && busy &&
		     nx_rng_chance(&tm->frng, 1, 3);
	bool fault_early = nx_rng_chance(&tm->frng, 1, 2);

	step_begin(tm, a, busy);
	if (busy) {
		tm_bg_start(tm);
		nx_sim_run_for(tm->sim, nx_rng_range(&tm->rng, 20 * US, 3 * MS));
		if (fault && fault_early)
			tm_fault_inject(tm);
		tm_relogin_needed(tm);
	}
	run_action(tm, a);
	if (busy) {
		tm_relogin_needed(tm);
		nx_sim_run_for(tm->sim, nx_rng_range(&tm->rng, 0, 2 * MS));
		if (fault && !fault_early)
			tm_fault_inject(tm);
		tm_settle(tm);
	} else {
		tm_relogin_needed(tm);
		tm_settle_aca(tm);
	}
	if (tm->trans_pending && nx_rng_chance(&tm->rng, 1, 2)) {
		/* let the transition end before looking */
		nx_sim_run_for(tm->sim, tm->trans_ev != NX_SIM_EVENT_NONE
					? 21 * MS : 0);
	}
	tm_judge_step(tm);
	if (tm->trans_pending) {
		/* the 2A/06 at its end would race the probe: wait for it */
		while (tm->trans_pending)
			if (!nx_sim_step(tm->sim))
				break;
		tm_relogin_needed(tm);
	}
	tm_probe(tm);
}

/* ---- set-up, the end ----------------------------------------------------------------------- */

static void setup_nexuses(struct tm *tm)
{
	bool multi_any = false;

	tm->nini = (unsigned)nx_rng_range(&tm->rng, 2, INI_MAX);
	for (unsigned i = 0; i < tm->nini; i++) {
		char name[16];
		bool multi = nx_rng_chance(&tm->rng, 1, 2) ||
			     (i == tm->nini - 1 && !multi_any);
		unsigned first = (unsigned)nx_rng_below(&tm->rng, PORTS);

		snprintf(name, sizeof(name), "ini%u", i);
		tm->ihost[i] = nx_sim_host_new(tm->env->net, name, INI_IP0 + i);
		if (tm->ihost[i] == NULL)
			nx_scn_fail(tm->env, "host %s", name);
		multi_any |= multi;
		for (unsigned p = 0; p < (multi ? PORTS : 1u); p++) {
			struct nex *n = &tm->nx[tm->nnex];

			n->tm = tm;
			n->idx = tm->nnex++;
			n->ini = i;
			n->port = (first + p) % PORTS;
			nx_rng_fork(&tm->rng, "nexus", n->idx, &n->rng);
			n->qd = (uint32_t)nx_rng_range(&n->rng, 1, QD_MAX);
			n->think_max_ns = nx_rng_range(&n->rng, 6000, 200000);
			n->w_read = (uint32_t)nx_rng_range(&n->rng, 1, 6);
			n->w_write = (uint32_t)nx_rng_range(&n->rng, 1, 6);
			n->w_tur = (uint32_t)nx_rng_range(&n->rng, 0, 2);
			n->fua_pct = (uint32_t)nx_rng_range(&n->rng, 0, 50);
			for (unsigned k = 0; k < QD_MAX; k++) {
				n->cmds[k].buf = malloc((size_t)SLOT_BLOCKS * BLOCK);
				if (n->cmds[k].buf == NULL)
					nx_scn_fail(tm->env, "out of memory");
			}
			if (p == 0 && i < NX_SCN_PR_INI)
				tm->pr_nex[i] = n->idx;
			nx_log(NX_LOG_INFO, "scn: nx%u = ini%u via port %u, qd %u",
			       n->idx, i, n->port + 1, n->qd);
		}
	}
}

static void setup(struct tm *tm)
{
	struct nx_rng drng;

	nx_rng_fork(&tm->rng, "disk", 0, &drng);
	nx_sim_disk_opts_from_seed(&tm->heal.dopts, LU_BYTES, &drng);
	tm->heal.dopts.block_size = BLOCK;
	tm->heal.dopts.read_err_ppb = tm->heal.dopts.write_err_ppb = 0;
	tm->disk = nx_sim_disk_new(tm->sim, "lu0", &tm->heal.dopts);
	tm->heal.env = tm->env;
	tm->heal.disk = tm->disk;
	tm->thost = nx_sim_host_new(tm->env->net, "target", TGT_IP);
	tm->blk = calloc(LU_BLOCKS, sizeof(*tm->blk));
	if (tm->disk == NULL || tm->thost == NULL || tm->blk == NULL)
		nx_scn_fail(tm->env, "sim disk / target host");
	tm_target_build(tm);
	tm_hist_init(&tm->ctl, 0, now_ns(tm));
	for (unsigned p = 0; p < PORTS; p++)
		tm_hist_init(&tm->alua[p], tm_alua_v(AS_AO, ST_NONE), now_ns(tm));
	tm->ctl_saved = (struct tm_ctl){ .tas = true }; /* SPC-4 defaults */
	tm_model_target_fresh(tm);
	nx_scn_pr_init(&tm->pr);
	setup_nexuses(tm);
	for (unsigned i = 0; i < tm->nnex; i++)
		if (!tm_nex_try_login(tm, &tm->nx[i]))
			nx_scn_fail(tm->env, "nexus %u: first login failed", i);
}

/* Back to a state where everything can be read: ports active, no ACA. */
static void final_phase(struct tm *tm)
{
	step_begin(tm, A_IO, false);
	tm_heal_all(tm);
	tm_settle(tm);
	for (unsigned p = 0; p < PORTS; p++) {
		if ((tm_alua_now(tm, p) & 0xff) == AS_AO)
			continue;
		if (nx_alua_set_state(tm->tgt, (uint16_t)(p + 1),
				      NX_ALUA_ACTIVE_OPTIMIZED, 0, false) != 0)
			nx_scn_fail(tm->env, "nx_alua_set_state");
		tm_alua_set(tm, p, AS_AO, ST_IMPLICIT, now_ns(tm), now_ns(tm));
		tm_ua_all(tm, -1, 0x2a, 0x06, true);
	}
	tm_probe(tm);
	tm_probe_verify(tm, true);
	tm_durable_check(tm, "at the end", false);
}

static void teardown(struct tm *tm)
{
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];
		uint8_t response = 0xff;

		if (n->si != NULL) {
			int rc = nx_ini_sync_logout(tm_conn_of(n), &tm->drv,
						    NX_INI_LOGOUT_SESSION, &response);
			if (rc != 0 || response != 0)
				nx_scn_fail(tm->env, "nexus %u: logout: %d "
					    "response %u", i, rc, response);
			nx_sim_ini_free(n->si);
			nx_ini_session_free(n->sess);
		}
		for (unsigned k = 0; k < QD_MAX; k++)
			free(n->cmds[k].buf);
	}
	if (nx_sim_iscsi_target_free(tm->starget, 60 * SEC) != 0)
		nx_scn_fail(tm->env, "target connections never released");
	nx_target_free(tm->tgt);
	free(tm->blk);
}

/* "steps=busy/all act=io:N,...  tmf=at:N,... (every TMF sent, probes
 * and clean-ups included) vanished=N ..." */
static void note(struct tm *tm)
{
	static const uint8_t fns[11] = { 1, 2, 4, 5, 6, 7, 11, 9, 10, 12, 3 };
	static const char *const fn_names[11] = {
		"at", "ats", "cts", "lur", "warm", "cold", "itnr", "qt", "qts",
		"qae", "caca",
	};
	struct nx_scn_env *env = tm->env;
	size_t len = sizeof(env->note), o;

	o = (size_t)snprintf(env->note, len, "steps=%llu/%llu act=",
			     (unsigned long long)tm->n_busy_steps,
			     (unsigned long long)tm->n_steps);
	for (unsigned a = 0; a < A_COUNT && o < len; a++)
		o += (size_t)snprintf(env->note + o, len - o, "%s%s:%llu",
				      a ? "," : "", tm_act_names[a],
				      (unsigned long long)tm->n_act[a]);
	for (unsigned k = 0; k < 11 && o < len; k++)
		o += (size_t)snprintf(env->note + o, len - o, "%s%s:%llu",
				      k ? "," : " tmf=", fn_names[k],
				      (unsigned long long)tm->n_tmf[fns[k]]);
	if (o < len)
		snprintf(env->note + o, len - o, " vanished=%llu task_aborted=%llu "
			 "notready=%llu busy=%llu aca_active=%llu conflict=%llu "
			 "medium=%llu",
			 (unsigned long long)tm->n_vanished,
			 (unsigned long long)tm->n_task_aborted,
			 (unsigned long long)tm->n_notready,
			 (unsigned long long)tm->n_busy,
			 (unsigned long long)tm->n_aca_active,
			 (unsigned long long)tm->n_conflict,
			 (unsigned long long)tm->n_medium);
}

static void run(struct nx_scn_env *env)
{
	struct tm *tm = calloc(1, sizeof(*tm));
	uint64_t steps;

	nx_assert(tm != NULL);
	tm->env = env;
	tm->sim = env->sim;
	env->faults_used = env->faults_set ? env->faults : NX_SCN_FAULTS_ALL;
	nx_rng_fork(nx_sim_rng(env->sim), "tmf", 0, &tm->rng);
	nx_rng_fork(nx_sim_rng(env->sim), "faults", 0, &tm->frng);
	nx_sim_driver_init(&tm->drv, tm->sim, SYNC_STEPS);
	tm->trans_ev = NX_SIM_EVENT_NONE;
	setup(tm);
	step_begin(tm, A_QAE, false);
	tm_probe(tm);
	/* Steps, not virtual time: a parked step alone takes seconds. */
	steps = NX_MAX(env->duration_ns / STEP_NS, 4ull);
	while (tm->n_steps < NX_MIN(steps, (uint64_t)STEPS_MAX))
		step(tm);
	final_phase(tm);
	note(tm);
	teardown(tm);
	free(tm);
}

const struct nx_scenario nx_scenario_tmf = {
	.name = "tmf",
	.summary = "multipath initiators: every TMF, ACA, QErr/TAS/UA_INTLCK_CTRL, "
		   "ALUA (implicit/explicit), PR; UA + task models; faults",
	.default_link = "random",
	.default_duration_ns = 500000000ull, /* 500 ms */
	.run = run,
};
