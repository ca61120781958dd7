/*
 * tmf_act.c - the tmf scenario's step actions: TMFs, control mode page,
 * ALUA, reservations
 * (tmf_internal.h).
 */
#include <string.h>

#include "tmf_internal.h"

static const uint8_t tmf_fn_of[A_COUNT] = {
	[A_ABORT_TASK] = NX_INI_TMF_ABORT_TASK,
	[A_ABORT_TASK_SET] = NX_INI_TMF_ABORT_TASK_SET,
	[A_CLEAR_TASK_SET] = NX_INI_TMF_CLEAR_TASK_SET,
	[A_LU_RESET] = NX_INI_TMF_LOGICAL_UNIT_RESET,
	[A_WARM_RESET] = NX_INI_TMF_TARGET_WARM_RESET,
	[A_COLD_RESET] = NX_INI_TMF_TARGET_COLD_RESET,
	[A_IT_NEXUS_RESET] = NX_INI_TMF_I_T_NEXUS_RESET,
	[A_QUERY_TASK] = NX_INI_TMF_QUERY_TASK,
	[A_QUERY_TASK_SET] = NX_INI_TMF_QUERY_TASK_SET,
	[A_QAE] = NX_INI_TMF_QUERY_ASYNC_EVENT,
};

/* ---- actions --------------------------------------------------------------------------- */

struct nex *tm_pick_nex(struct tm *tm, struct nx_rng *r)
{
	unsigned live[NEX_MAX], n = 0;

	for (unsigned i = 0; i < tm->nnex; i++)
		if (tm_nex_alive(&tm->nx[i]))
			live[n++] = i;
	if (n == 0)
		return NULL;
	return &tm->nx[live[nx_rng_below(r, n)]];
}

static struct bcmd *pick_sent_cmd(struct nex *n)
{
	struct bcmd *v[QD_MAX];
	unsigned k = 0;

	for (unsigned i = 0; i < n->qd; i++)
		if (n->cmds[i].busy && !n->cmds[i].limbo && n->cmds[i].req.sent)
			v[k++] = &n->cmds[i];
	return k ? v[nx_rng_below(&n->rng, k)] : NULL;
}

/* Model effects of a TMF that may run now (busy: UAs expected, mode
 * changes at an unknown instant until the answer). */
void tm_tmf_begin(struct tm *tm, struct nex *n, uint8_t fn)
{
	struct step *st = &tm->st;

	switch (fn) {
	case NX_INI_TMF_ABORT_TASK:
	case NX_INI_TMF_ABORT_TASK_SET:
	case NX_INI_TMF_I_T_NEXUS_RESET:
		st->own_by |= bit(n->idx);
		break;
	case NX_INI_TMF_CLEAR_TASK_SET:
	case NX_INI_TMF_LOGICAL_UNIT_RESET:
	case NX_INI_TMF_TARGET_WARM_RESET:
	case NX_INI_TMF_TARGET_COLD_RESET:
		st->own_by |= bit(n->idx);
		st->sweep_by |= bit(n->idx);
		if (fn == NX_INI_TMF_CLEAR_TASK_SET)
			st->cts_by |= bit(n->idx);
		break;
	default:
		break;
	}
	/* SPC-4 7.5.1: current mode parameters revert to the saved ones,
	 * at some instant from now on (narrowed at the answer) */
	if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET ||
	    fn == NX_INI_TMF_TARGET_WARM_RESET ||
	    fn == NX_INI_TMF_TARGET_COLD_RESET) {
		st->ctl_k = tm_hist_change(&tm->ctl, tm_ctl_pack(&tm->ctl_saved),
					   now_ns(tm), TM_T_INF);
		tm_allow_qerr_2f(tm);
	}
	if (!st->busy)
		return;
	if (fn == NX_INI_TMF_CLEAR_TASK_SET && tm_ctl_ever(tm, tm_p_tas0))
		tm_ua_expect_all(tm, (int)n->idx, 0x2f, 0x00);
	if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET)
		tm_ua_expect_all(tm, -1, 0x29, 0x03);
	if (fn == NX_INI_TMF_TARGET_WARM_RESET)
		tm_ua_expect_all(tm, -1, 0x29, 0x02);
	if (fn == NX_INI_TMF_TARGET_COLD_RESET)
		tm_ua_expect_all(tm, -1, 0x29, 0x01);
	if (fn == NX_INI_TMF_I_T_NEXUS_RESET)
		tm_ledger_expect(&n->ua, 0x29, 0x07);
}

/* The TMF ran (sure) or may have (!sure): SAM-5 6.3, SPC-4 7.5.1. */
void tm_reset_effects(struct tm *tm, struct nex *n, uint8_t fn, bool sure)
{
	if ((fn == NX_INI_TMF_LOGICAL_UNIT_RESET ||
	     fn == NX_INI_TMF_TARGET_WARM_RESET ||
	     fn == NX_INI_TMF_TARGET_COLD_RESET) && sure) {
		tm_hist_narrow(&tm->ctl, tm->st.ctl_k, now_ns(tm));
		tm->aca_nex = NO_NEX; /* SAM-5 5.9.2.5 */
	}
	if (fn == NX_INI_TMF_I_T_NEXUS_RESET && sure && tm->aca_nex == n->idx)
		tm->aca_nex = NO_NEX;
	if (fn == NX_INI_TMF_CLEAR_ACA && sure && tm->aca_nex == n->idx)
		tm->aca_nex = NO_NEX;
	if (!sure)
		return;
	if (!tm->st.busy) {
		/* quiet: the queues are exact */
		if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET)
			tm_ua_all(tm, -1, 0x29, 0x03, true);
		if (fn == NX_INI_TMF_TARGET_WARM_RESET)
			tm_ua_all(tm, -1, 0x29, 0x02, true);
		if (fn == NX_INI_TMF_I_T_NEXUS_RESET)
			tm_ledger_establish(&n->ua, 0x29, 0x07, true);
		return;
	}
	if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET)
		tm_ua_confirm_all(tm, -1, 0x29, 0x03);
	if (fn == NX_INI_TMF_TARGET_WARM_RESET)
		tm_ua_confirm_all(tm, -1, 0x29, 0x02);
	if (fn == NX_INI_TMF_I_T_NEXUS_RESET)
		tm_ledger_confirm(&n->ua, 0x29, 0x07);
}

/* RFC 7143 11.5.1: after TARGET COLD RESET the target closes every
 * connection of every initiator.  Each must die on its own. */
void tm_cold_reset_wait(struct tm *tm)
{
	uint64_t deadline = now_ns(tm) + 10 * SEC;

	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];

		while (n->si != NULL && !nx_ini_conn_is_dead(tm_conn_of(n)) &&
		       now_ns(tm) < deadline)
			if (!nx_sim_step(tm->sim))
				break;
		if (n->si != NULL && !nx_ini_conn_is_dead(tm_conn_of(n)) &&
		    !tm->st.fault)
			nx_scn_fail(tm->env, "TARGET COLD RESET: nexus %u's "
				    "connection still open (RFC 7143 11.5.1)", i);
		n->need_relogin = true;
		n->up = false;
		tm->st.lost |= bit(i);
	}
}

void tm_act_tmf(struct tm *tm, enum action a)
{
	struct step *st = &tm->st;
	struct nex *n = tm_pick_nex(tm, &tm->rng);
	uint8_t fn = tmf_fn_of[a];
	struct nx_ini_tmf t;
	struct bcmd *ref = NULL;

	if (n == NULL)
		return;
	if (fn == NX_INI_TMF_ABORT_TASK || fn == NX_INI_TMF_QUERY_TASK) {
		ref = pick_sent_cmd(n);
		if (ref == NULL)
			return;
		st->qt_uid = ref->uid;
	}
	if (fn == NX_INI_TMF_QUERY_TASK_SET) {
		for (unsigned i = 0; i < n->qd; i++)
			if (n->cmds[i].busy && n->cmds[i].req.sent &&
			    !n->cmds[i].limbo)
				st->qts_uids[st->qts_n++] = n->cmds[i].uid;
	}
	st->qt_fn = fn;
	st->cold |= fn == NX_INI_TMF_TARGET_COLD_RESET;
	tm_tmf_begin(tm, n, fn);
	if (!tm_q_tmf(n, &t, fn, ref)) {
		tm_reset_effects(tm, n, fn, false);
		st->qt_uid = 0;
		st->qts_n = 0;
		st->qt_fn = 0;
		if (fn == NX_INI_TMF_TARGET_COLD_RESET)
			tm_cold_reset_wait(tm);
		return;
	}
	st->qt_rsp = t.response;
	st->qt_order = tm->tmf_order;
	if (fn == NX_INI_TMF_ABORT_TASK) {
		if (t.response != NX_INI_TMF_RSP_COMPLETE &&
		    t.response != NX_INI_TMF_RSP_NO_TASK)
			tm_tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	} else if (fn == NX_INI_TMF_QUERY_TASK || fn == NX_INI_TMF_QUERY_TASK_SET) {
		if (t.response != NX_INI_TMF_RSP_COMPLETE &&
		    t.response != NX_INI_TMF_RSP_SUCCEEDED)
			tm_tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	} else {
		tm_tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	}
	if (!st->busy && fn == NX_INI_TMF_QUERY_TASK_SET)
		tm_tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	tm_reset_effects(tm, n, fn, true);
	if (fn == NX_INI_TMF_TARGET_COLD_RESET)
		tm_cold_reset_wait(tm);
}

/* ---- control mode page -------------------------------------------------------------- */

bool tm_mode_sense_ctl(struct tm *tm, struct nex *n, uint8_t pc,
			   uint8_t *page)
{
	uint8_t cdb[10] = { 0x5a, 0x08 /* DBD */, (uint8_t)(pc << 6 | 0x0a) };
	uint8_t buf[64];
	struct nx_ini_scsi r;

	nx_put_be16(cdb + 7, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	if (!tm_qcmd_ua(n, cdb, 10, NX_INI_DIR_READ, buf, sizeof(buf),
		     NX_INI_ATTR_SIMPLE, &r))
		return false;
	if (r.status != NX_STATUS_GOOD || (buf[8] & 0x3f) != 0x0a || buf[9] != 10)
		nx_scn_fail(tm->env, "nexus %u: MODE SENSE control page: status "
			    "0x%02x page %02Xh len %u", n->idx, r.status, buf[8],
			    buf[9]);
	memcpy(page, buf + 8, 12);
	return true;
}

/* A nexus through which a command must work: its port active (or
 * standby too, for MODE SENSE / SELECT, SPC-4 5.16.2.4.4) and no
 * reservation that could conflict (write: write class). */
struct nex *tm_pick_reader(struct tm *tm, bool active, bool write)
{
	unsigned v[NEX_MAX], k = 0;

	for (unsigned i = 0; i < tm->nnex; i++) {
		uint32_t st = tm_alua_now(tm, tm->nx[i].port) & 0xff;
		bool ok = active ? (st == AS_AO || st == AS_AN)
				 : (st == AS_AO || st == AS_AN || st == AS_SB);

		if (tm_nex_alive(&tm->nx[i]) && ok && !tm_conflict_possible(tm, i, write))
			v[k++] = i;
	}
	return k ? &tm->nx[v[nx_rng_below(&tm->rng, k)]] : NULL;
}

void tm_act_modesel(struct tm *tm)
{
	struct nex *n = tm_pick_reader(tm, false, true);
	struct tm_ctl cur, want;
	uint8_t page[12], buf[20] = { 0 }, cdb[10] = { 0x55, 0x10 };
	static const uint8_t qerr[3] = { 0, 1, 3 }, intlck[3] = { 0, 2, 3 };
	struct nx_ini_scsi r;
	uint64_t s;

	uint32_t v;

	if (n == NULL || !tm_hist_settled(&tm->ctl, now_ns(tm), &v))
		return;
	if (!tm_mode_sense_ctl(tm, n, 0, page))
		return;
	tm_ctl_unpack(v, &cur);
	want = cur;
	want.qerr = qerr[nx_rng_below(&tm->rng, 3)];
	want.intlck = intlck[nx_rng_below(&tm->rng, 3)];
	want.tas = nx_rng_chance(&tm->rng, 1, 2);
	want.dsense = nx_rng_chance(&tm->rng, 1, 4);
	tm_ctl_to_page(&want, page);
	memcpy(buf + 8, page, 12);
	buf[8] &= 0x7f; /* PS is reserved in MODE SELECT */
	if (nx_rng_chance(&tm->rng, 1, 3))
		cdb[1] |= 0x01; /* SP */
	nx_put_be16(cdb + 7, sizeof(buf));
	s = now_ns(tm);
	nx_log(NX_LOG_INFO, "scn: nx%u MODE SELECT qerr %u intlck %u tas %u "
	       "dsense %u sp %u", n->idx, want.qerr, want.intlck, want.tas,
	       want.dsense, cdb[1] & 1);
	if (!tm_qcmd_ua(n, cdb, 10, NX_INI_DIR_WRITE, buf, sizeof(buf),
		     NX_INI_ATTR_SIMPLE, &r))
		return;
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: MODE SELECT control page: status "
			    "0x%02x", n->idx, r.status);
	tm_hist_change(&tm->ctl, tm_ctl_pack(&want), s, now_ns(tm));
	if (cdb[1] & 0x01)
		tm->ctl_saved = want;
	/* SPC-4 7.5.1: every other I_T nexus gets MODE PARAMETERS CHANGED
	 * when a shared parameter changed. */
	if (tm_ctl_pack(&want) != tm_ctl_pack(&cur))
		tm_ua_all(tm, (int)n->idx, 0x2a, 0x01, true);
}

/* ---- ALUA ------------------------------------------------------------------------------ */

static void trans_end(void *arg)
{
	struct tm *tm = arg;
	unsigned p = tm->trans_g;
	uint8_t to = tm->trans_fail ? AS_UN : tm->trans_to;

	tm->trans_ev = NX_SIM_EVENT_NONE;
	tm->trans_pending = false;
	/* core/alua.c transition_end(): only a group still transitioning
	 * moves (an explicit change in between wins), and then every I_T
	 * nexus gets 2A/06 (2A/07 when it failed, SPC-4 5.16.2.5). */
	if ((tm_alua_now(tm, p) & 0xff) != AS_TR)
		return;
	tm_alua_set(tm, p, to, ST_IMPLICIT, now_ns(tm), now_ns(tm));
	for (unsigned i = 0; i < tm->nnex; i++)
		if (tm->nx[i].up)
			tm_ledger_confirm(&tm->nx[i].ua, 0x2a,
					  tm->trans_fail ? 0x07 : 0x06);
	nx_log(NX_LOG_INFO, "scn: ALUA group %u transition ended in %u", p + 1, to);
}

static uint8_t pick_state(struct nx_rng *r)
{
	static const uint8_t states[4] = { AS_AO, AS_AN, AS_SB, AS_UN };

	return states[nx_rng_below(r, 4)];
}

/* Implicit transition through the simulator's fail-over hook (SPC-4
 * 5.16.2.7): at once, or through TRANSITIONING for a delay (then the UA
 * comes at the end); now and then a failing one (unavailable, 2A/07). */
void tm_act_alua_implicit(struct tm *tm)
{
	unsigned p = (unsigned)nx_rng_below(&tm->rng, PORTS);
	uint8_t to = pick_state(&tm->rng);
	bool delay = !tm->trans_pending && nx_rng_chance(&tm->rng, 1, 2);
	uint64_t d = delay ? nx_rng_range(&tm->rng, 100 * US, 20 * MS) : 0;
	bool fail = delay && nx_rng_chance(&tm->rng, 1, 6);
	uint32_t before = tm_alua_now(tm, p);

	nx_log(NX_LOG_INFO, "scn: ALUA implicit group %u -> %u delay %llu%s",
	       p + 1, to, (unsigned long long)d, fail ? " failing" : "");
	if (nx_alua_set_state(tm->tgt, (uint16_t)(p + 1), to, d, fail) != 0)
		nx_scn_fail(tm->env, "nx_alua_set_state");
	if (tm->trans_pending && tm->trans_g == p) {
		/* core: a new implicit change of the group cancels the wait */
		nx_sim_cancel(tm->sim, tm->trans_ev);
		tm->trans_ev = NX_SIM_EVENT_NONE;
		tm->trans_pending = false;
	}
	if (!delay) {
		if ((before & 0xff) == to)
			return;
		tm_alua_set(tm, p, to, ST_IMPLICIT, now_ns(tm), now_ns(tm));
		tm_ua_all(tm, -1, 0x2a, 0x06, true);
		return;
	}
	tm_alua_set(tm, p, AS_TR, ST_IMPLICIT, now_ns(tm), now_ns(tm));
	tm->trans_pending = true;
	tm->trans_g = p;
	tm->trans_to = to;
	tm->trans_fail = fail;
	for (unsigned i = 0; i < tm->nnex; i++)
		if (tm->nx[i].up)
			tm_ledger_expect(&tm->nx[i].ua, 0x2a, fail ? 0x07 : 0x06);
	/* scheduled after the core's timer for the same instant: runs
	 * right after it */
	tm->trans_ev = nx_sim_schedule(tm->sim, d, trans_end, tm);
	nx_assert(tm->trans_ev != NX_SIM_EVENT_NONE);
}

/* SET TARGET PORT GROUPS (SPC-4 6.45) through a nexus whose port lets
 * it through (every state but transitioning). */
void tm_act_alua_stpg(struct tm *tm)
{
	struct nex *n = tm_pick_nex(tm, &tm->rng);
	uint8_t buf[4 + 4 * PORTS] = { 0 }, cdb[12] = { 0xa4, 0x0a };
	uint8_t to[PORTS];
	unsigned nd = 0;
	bool changed = false;
	struct nx_ini_scsi r;
	uint64_t s;

	if (n == NULL || (tm_alua_now(tm, n->port) & 0xff) == AS_TR ||
	    tm_conflict_possible(tm, n->idx, true))
		return;
	for (unsigned p = 0; p < PORTS; p++) {
		if (!nx_rng_chance(&tm->rng, 2, 3) && !(p == PORTS - 1 && nd == 0))
			continue;
		to[p] = pick_state(&tm->rng);
		buf[4 + 4 * nd] = to[p];
		nx_put_be16(buf + 4 + 4 * nd + 2, (uint16_t)(p + 1));
		nd++;
	}
	nx_put_be32(cdb + 6, 4 + 4 * nd);
	s = now_ns(tm);
	if (!tm_qcmd_ua(n, cdb, 12, NX_INI_DIR_WRITE, buf, 4 + 4 * nd,
		     NX_INI_ATTR_SIMPLE, &r))
		return;
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: SET TARGET PORT GROUPS: status "
			    "0x%02x", n->idx, r.status);
	for (unsigned k = 0; k < nd; k++) {
		unsigned p = nx_get_be16(buf + 4 + 4 * k + 2) - 1u;
		if ((tm_alua_now(tm, p) & 0xff) == to[p])
			continue;
		tm_alua_set(tm, p, to[p], ST_EXPLICIT, s, now_ns(tm));
		changed = true;
	}
	/* SPC-4 5.16.2.5: 2A/06 to every I_T nexus but the one that asked */
	if (changed)
		tm_ua_all(tm, (int)n->idx, 0x2a, 0x06, true);
	nx_log(NX_LOG_INFO, "scn: nx%u STPG %u descriptors", n->idx, nd);
}

/* ---- reservations ------------------------------------------------------------------------- */

void tm_act_pr(struct tm *tm)
{
	unsigned p = (unsigned)nx_rng_below(&tm->rng, NX_SCN_PR_INI);
	struct nex *n = &tm->nx[tm->pr_nex[p]];
	struct nx_scn_pr_cmd pc;
	struct nx_ini_scsi r;
	uint8_t buf[NX_SCN_PR_PARAM_MAX + NX_SCN_PR_DATA_IN_MAX];
	uint8_t key, asc, ascq;
	enum nx_scn_pr_outcome o = NX_SCN_PR_GOOD;
	char why[512];
	uint32_t st = tm_alua_now(tm, n->port) & 0xff;

	/* PERSISTENT RESERVE IN / OUT are allowed in standby, not
	 * unavailable or transitioning (SPC-4 5.16.2.4.4) */
	if (!tm_nex_alive(n) || st == AS_UN || st == AS_TR ||
	    !nx_scn_pr_pick(&tm->pr, p, &tm->rng, &pc))
		return;
	nx_log(NX_LOG_INFO, "scn: nx%u %s", n->idx, pc.name);
	if (pc.out)
		memcpy(buf, pc.param, pc.param_len);
	if (!tm_qcmd_ua(n, pc.cdb, sizeof(pc.cdb),
		     pc.out ? NX_INI_DIR_WRITE : NX_INI_DIR_READ, buf,
		     pc.out ? pc.param_len : pc.data_in_len, NX_INI_ATTR_SIMPLE, &r))
		nx_scn_fail(tm->env, "PR: connection lost in a quiet step");
	nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: %s: status 0x%02x %X/%02Xh/%02Xh",
			    n->idx, pc.name, r.status, key, asc, ascq);
	if (pc.ua_to >= 0)
		tm_ledger_establish(&tm->nx[tm->pr_nex[pc.ua_to]].ua, 0x2a,
				    pc.ua_ascq, true);
	if (!nx_scn_pr_done(&tm->pr, o, buf, r.data_in_got, why, sizeof(why)))
		nx_scn_fail(tm->env, "nexus %u: %s: %s", n->idx, pc.name, why);
}
