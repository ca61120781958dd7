/*
 * tmf_check.c - the tmf scenario's model state, unit attentions and outcome
 * judge
 * (tmf_internal.h).
 */
#include "tmf_internal.h"

/* ---- sense and small helpers ----------------------------------------------------- */

struct nx_ini_conn *tm_conn_of(const struct nex *n)
{
	return nx_sim_ini_conn(n->si);
}

bool tm_nex_alive(const struct nex *n)
{
	return n->up && !n->need_relogin && n->si != NULL &&
	       !nx_ini_conn_is_dead(tm_conn_of(n));
}

/* Some control page value possibly in effect during [s, r] has pred
 * true (every value of the history when s is 0). */
static bool ctl_any(const struct tm *tm, uint64_t s, uint64_t r,
		    bool (*pred)(const struct tm_ctl *))
{
	for (unsigned k = 0; k < tm->ctl.n; k++) {
		struct tm_ctl c;

		tm_ctl_unpack(tm->ctl.e[k].v, &c);
		if (pred(&c) && (s == 0 || tm_hist_alive(&tm->ctl, k, s, r)))
			return true;
	}
	return tm->ctl.overflow;
}

bool tm_ctl_ever(const struct tm *tm, bool (*pred)(const struct tm_ctl *))
{
	return ctl_any(tm, 0, TM_T_INF, pred);
}

bool tm_p_tas0(const struct tm_ctl *c) { return !c->tas; }
static bool p_tas1(const struct tm_ctl *c) { return c->tas; }
static bool p_qerr01(const struct tm_ctl *c) { return c->qerr == 1; }
static bool p_qerr11(const struct tm_ctl *c) { return c->qerr == 3; }
static bool p_intlck0(const struct tm_ctl *c) { return c->intlck == 0; }
static bool p_intlck_keep(const struct tm_ctl *c) { return c->intlck != 0; }
static bool p_intlck11(const struct tm_ctl *c) { return c->intlck == 3; }
static bool p_intlck_not11(const struct tm_ctl *c) { return c->intlck != 3; }

/* How a CHECK CONDITION reporting a UA, for a command sent at s,
 * affected the queue (UA_INTLCK_CTRL in effect meanwhile). */
enum tm_clear tm_cc_clear(const struct tm *tm, uint64_t s)
{
	bool zero = ctl_any(tm, s, now_ns(tm), p_intlck0);
	bool keep = ctl_any(tm, s, now_ns(tm), p_intlck_keep);

	if (zero && keep)
		return TM_CLEAR_MAYBE;
	return zero ? TM_CLEAR_YES : TM_CLEAR_NO;
}

void tm_ua_report(struct nex *n, uint8_t asc, uint8_t ascq,
		      enum tm_clear clr, const char *what)
{
	char why[400];

	if (!tm_ledger_report(&n->ua, asc, ascq, clr, why, sizeof(why)))
		nx_scn_fail(n->tm->env, "nexus %u (initiator %u port %u), %s: %s",
			    n->idx, n->ini, n->port + 1, what, why);
	n->tm->env->uas++;
	nx_log(NX_LOG_INFO, "scn: nx%u UA %02Xh/%02Xh (%s)%s", n->idx, asc, ascq,
	       what, clr == TM_CLEAR_YES ? "" : clr == TM_CLEAR_NO ? " kept" :
	       " maybe kept");
}

/* SPC-4 7.5.8 table 461, 11b: BUSY / RESERVATION CONFLICT leave a
 * PREVIOUS ... STATUS UA behind for the command's nexus (sure when 11b
 * was in effect all along). */
void tm_ua_after_status(struct nex *n, uint8_t status, uint64_t s)
{
	struct tm *tm = n->tm;
	uint8_t ascq = status == NX_STATUS_BUSY ? 0x07 : 0x09;

	if (!ctl_any(tm, s, now_ns(tm), p_intlck11))
		return;
	tm_ledger_establish(&n->ua, 0x2c, ascq,
			    !ctl_any(tm, s, now_ns(tm), p_intlck_not11));
}

/* Establish (sure) or expect+confirm on every nexus that is up (all),
 * or every one but `except`. */
void tm_ua_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq,
		   bool sure)
{
	for (unsigned i = 0; i < tm->nnex; i++)
		if ((int)i != except && tm->nx[i].up)
			tm_ledger_establish(&tm->nx[i].ua, asc, ascq, sure);
}

void tm_ua_expect_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq)
{
	for (unsigned i = 0; i < tm->nnex; i++)
		if ((int)i != except && tm->nx[i].up)
			tm_ledger_expect(&tm->nx[i].ua, asc, ascq);
}

void tm_ua_confirm_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq)
{
	for (unsigned i = 0; i < tm->nnex; i++)
		if ((int)i != except && tm->nx[i].up &&
		    !tm->nx[i].ua.exact)
			tm_ledger_confirm(&tm->nx[i].ua, asc, ascq);
}

/* QErr 01b with TAS=0: any number of 2Fh/00h (QERR_2F_MAX). */
void tm_allow_qerr_2f(struct tm *tm)
{
	if (!tm->st.busy || tm->st.unbounded_2f || !tm_ctl_ever(tm, p_qerr01) ||
	    !tm_ctl_ever(tm, tm_p_tas0))
		return;
	tm->st.unbounded_2f = true;
	for (unsigned i = 0; i < tm->nnex; i++)
		if (tm->nx[i].up)
			tm_ledger_expect_n(&tm->nx[i].ua, 0x2f, 0x00, QERR_2F_MAX);
}

/* ---- model state: ALUA, reservations -------------------------------------------- */

uint32_t tm_alua_v(uint8_t state, uint8_t status)
{
	return state | (uint32_t)status << 8;
}

static bool alua_state_possible(const struct tm *tm, unsigned port,
				uint8_t state, uint64_t s, uint64_t r)
{
	const struct tm_hist *h = &tm->alua[port];

	if (h->overflow)
		return true;
	for (unsigned st = 0; st < 3; st++)
		if (tm_hist_possible(h, tm_alua_v(state, (uint8_t)st), s, r))
			return true;
	return false;
}

static bool alua_active_possible(const struct tm *tm, unsigned port,
				 uint64_t s, uint64_t r)
{
	return alua_state_possible(tm, port, AS_AO, s, r) ||
	       alua_state_possible(tm, port, AS_AN, s, r);
}

uint32_t tm_alua_now(const struct tm *tm, unsigned port)
{
	uint32_t v = 0;

	if (!tm_hist_settled(&tm->alua[port], now_ns(tm), &v))
		nx_assert(!"ALUA state not settled");
	return v;
}

bool tm_alua_active_now(const struct tm *tm, unsigned port)
{
	uint32_t st = tm_alua_now(tm, port) & 0xff;

	return st == AS_AO || st == AS_AN;
}

void tm_alua_set(struct tm *tm, unsigned port, uint8_t state,
		     uint8_t status, uint64_t lo, uint64_t hi)
{
	tm_hist_change(&tm->alua[port], tm_alua_v(state, status), lo, hi);
}

static bool pr_registrant(const struct nx_scn_pr_state *s, const struct tm *tm,
			  unsigned nex)
{
	for (unsigned p = 0; p < NX_SCN_PR_INI; p++)
		if (tm->pr_nex[p] == nex && s->key[p] != 0)
			return true;
	return false;
}

/* SPC-4 5.12.1 table 64 for all-registrants types: a non-registrant
 * conflicts on writes (WE_AR, 7h) or on reads and writes (EA_AR, 8h). */
static bool pr_conflicts(const struct nx_scn_pr_state *s, const struct tm *tm,
			 unsigned nex, bool write)
{
	return s->type != 0 && !pr_registrant(s, tm, nex) &&
	       (write || s->type == 8);
}

static bool pr_possible(const struct nx_scn_pr *pr, const struct tm *tm,
			unsigned nex, bool write)
{
	return pr_conflicts(&pr->cur, tm, nex, write) ||
	       (pr->unknown && pr_conflicts(&pr->alt, tm, nex, write));
}

static bool pr_certain(const struct nx_scn_pr *pr, const struct tm *tm,
		       unsigned nex, bool write)
{
	return pr_conflicts(&pr->cur, tm, nex, write) &&
	       (!pr->unknown || pr_conflicts(&pr->alt, tm, nex, write));
}

/* Now and, for a step's commands, as the step began (a restart in the
 * step drops what APTPL does not keep, SPC-4 5.12.4). */
bool tm_conflict_possible(const struct tm *tm, unsigned nex, bool write)
{
	return pr_possible(&tm->pr, tm, nex, write) ||
	       pr_possible(&tm->pr0, tm, nex, write);
}

static bool conflict_certain(const struct tm *tm, unsigned nex, bool write)
{
	return pr_certain(&tm->pr, tm, nex, write) &&
	       pr_certain(&tm->pr0, tm, nex, write);
}

/* ---- the step's outcome judge ------------------------------------------------------- */

static const char *kind_name(unsigned k)
{
	static const char *const names[] = { "READ(10)", "WRITE(10)",
					     "TEST UNIT READY", "REQUEST SENSE" };
	return names[k];
}

static void judge_fail(struct tm *tm, const struct rec *r, const char *why)
{
	nx_scn_fail(tm->env, "step %u (%s%s): nexus %u %s (sent %llu, answered "
		    "%llu ns): outcome %u status 0x%02x sense %X/%02Xh/%02Xh: %s",
		    tm->st.id, tm_act_names[tm->st.act], tm->st.busy ? ", busy" : "",
		    r->nex, kind_name(r->kind), (unsigned long long)r->s,
		    (unsigned long long)r->r, r->outcome, r->status, r->key,
		    r->asc, r->ascq, why);
}

static bool swept_by_other(const struct tm *tm, unsigned nex)
{
	return (tm->st.sweep_by & ~bit(nex)) != 0;
}

static void judge_no_response(struct tm *tm, const struct rec *r)
{
	const struct step *st = &tm->st;
	unsigned nx = r->nex;

	switch (r->outcome) {
	case O_ABORTED:
		tm->n_eaborted++;
		if (!(st->own_by & bit(nx)))
			judge_fail(tm, r, "aborted without a TMF of its nexus");
		return;
	case O_VANISHED:
		tm->n_vanished++;
		if ((swept_by_other(tm, nx) && tm_ctl_ever(tm, tm_p_tas0)) ||
		    (tm_ctl_ever(tm, p_qerr01) && st->cc_by) ||
		    (tm_ctl_ever(tm, p_qerr11) && (st->cc_by & bit(nx))))
			return;
		judge_fail(tm, r, "task gone without a response (QUERY TASK: "
			   "not in the task set) and nothing could abort it "
			   "silently: task lost");
		return;
	case O_CONNLOST:
		tm->n_connlost++;
		if (!(st->lost & bit(nx)))
			judge_fail(tm, r, "connection lost without a fault");
		return;
	default:
		return;
	}
}

static void judge_check(struct tm *tm, const struct rec *r)
{
	const struct step *st = &tm->st;
	unsigned port = tm->nx[r->nex].port;

	if (r->key == 0x06)
		return; /* checked against the ledger when it arrived */
	if (r->key == 0x02 && r->asc == 0x04 &&
	    (r->ascq == 0x0a || r->ascq == 0x0b || r->ascq == 0x0c)) {
		uint8_t want = r->ascq == 0x0a ? AS_TR :
			       r->ascq == 0x0b ? AS_SB : AS_UN;
		tm->n_notready++;
		if (r->kind == K_RSENSE ||
		    !alua_state_possible(tm, port, want, r->s, r->r))
			judge_fail(tm, r, "NOT READY for an asymmetric access "
				   "state the port group did not have");
		return;
	}
	if (r->key == 0x03 && (r->kind == K_READ || r->kind == K_WRITE)) {
		tm->n_medium++;
		if (!st->disk)
			judge_fail(tm, r, "MEDIUM ERROR without a disk fault");
		return;
	}
	judge_fail(tm, r, "unexpected CHECK CONDITION");
}

static void judge_good(struct tm *tm, const struct rec *r)
{
	unsigned port = tm->nx[r->nex].port;
	bool write = r->kind == K_WRITE;

	if (r->kind == K_RSENSE)
		return;
	if (!alua_active_possible(tm, port, r->s, r->r))
		judge_fail(tm, r, "GOOD through a port group that was not "
			   "active all along (SPC-4 5.16.2.4): it executed");
	if ((r->kind == K_READ || write) && conflict_certain(tm, r->nex, write) &&
	    !tm->st.fault)
		judge_fail(tm, r, "GOOD for a non-registrant under a "
			   "reservation that excludes it (SPC-4 5.12.1)");
}

static void judge_status(struct tm *tm, const struct rec *r)
{
	const struct step *st = &tm->st;
	unsigned nx = r->nex;

	switch (r->status) {
	case NX_STATUS_GOOD:
		judge_good(tm, r);
		return;
	case NX_STATUS_CHECK_CONDITION:
		judge_check(tm, r);
		return;
	case NX_STATUS_TASK_ABORTED:
		tm->n_task_aborted++;
		if (tm_ctl_ever(tm, p_tas1) &&
		    (swept_by_other(tm, nx) ||
		     (tm_ctl_ever(tm, p_qerr01) && (st->cc_by & ~bit(nx)))))
			return;
		judge_fail(tm, r, "TASK ABORTED without another nexus's abort "
			   "under TAS=1 (SAM-5 5.6)");
		return;
	case NX_STATUS_BUSY:
		tm->n_busy++;
		if (!st->aca || st->aca_nex == nx)
			judge_fail(tm, r, "BUSY without an ACA of another nexus");
		return;
	case NX_STATUS_ACA_ACTIVE:
		tm->n_aca_active++;
		if (!st->aca || st->aca_nex != nx)
			judge_fail(tm, r, "ACA ACTIVE for a SIMPLE command outside "
				   "its faulted nexus's ACA");
		return;
	case NX_STATUS_RESERVATION_CONFLICT:
		tm->n_conflict++;
		if ((r->kind != K_READ && r->kind != K_WRITE) ||
		    !tm_conflict_possible(tm, nx, r->kind == K_WRITE))
			judge_fail(tm, r, "RESERVATION CONFLICT the reservation "
				   "does not explain");
		return;
	default:
		judge_fail(tm, r, "unexpected status");
	}
}

/* The two TMFs that name one task: their answer must agree with what
 * became of it. */
static void judge_ref_task(struct tm *tm)
{
	const struct step *st = &tm->st;
	const struct rec *ref = NULL;

	if (st->qt_uid == 0)
		return;
	for (unsigned i = 0; i < tm->nrec; i++)
		if (tm->rec[i].uid == st->qt_uid)
			ref = &tm->rec[i];
	if (ref == NULL)
		nx_scn_fail(tm->env, "step %u: the task of TMF %u never ended",
			    st->id, st->qt_fn);
	bool before = ref->order < st->qt_order && ref->outcome != O_ABORTED;
	bool swept = ref->outcome == O_VANISHED || ref->outcome == O_CONNLOST ||
		     (ref->outcome == O_GOOD &&
		      ref->status == NX_STATUS_TASK_ABORTED);
	if (st->qt_fn == NX_INI_TMF_ABORT_TASK) {
		/* RFC 7143 11.5.1 / SAM-5 7.2: COMPLETE = it was aborted, so
		 * no response; TASK DOES NOT EXIST = it had ended. */
		if (st->qt_rsp == NX_INI_TMF_RSP_COMPLETE
		    ? ref->outcome != O_ABORTED : !(before || swept))
			nx_scn_fail(tm->env, "step %u: ABORT TASK answered %u but "
				    "its task ended with outcome %u status 0x%02x "
				    "(completion #%llu, the TMF's #%llu)", st->id,
				    st->qt_rsp, ref->outcome, ref->status,
				    (unsigned long long)ref->order,
				    (unsigned long long)st->qt_order);
		return;
	}
	/* SAM-5 7.8: SUCCEEDED = still in the task set when the TMF ran. */
	if (st->qt_rsp == NX_INI_TMF_RSP_SUCCEEDED ? before : !(before || swept))
		nx_scn_fail(tm->env, "step %u: QUERY TASK answered %u but its task "
			    "ended with outcome %u status 0x%02x (completion "
			    "#%llu, the TMF's #%llu)", st->id, st->qt_rsp,
			    ref->outcome, ref->status,
			    (unsigned long long)ref->order,
			    (unsigned long long)st->qt_order);
}

static void judge_query_task_set(struct tm *tm)
{
	const struct step *st = &tm->st;
	bool any_open = false, all_explained = true;

	if (st->qts_n == 0 && st->qt_fn != NX_INI_TMF_QUERY_TASK_SET)
		return;
	for (unsigned k = 0; k < st->qts_n; k++) {
		for (unsigned i = 0; i < tm->nrec; i++) {
			const struct rec *r = &tm->rec[i];
			if (r->uid != st->qts_uids[k])
				continue;
			bool before = r->order < st->qt_order;
			bool swept = r->outcome == O_VANISHED ||
				     r->outcome == O_CONNLOST ||
				     (r->outcome == O_GOOD &&
				      r->status == NX_STATUS_TASK_ABORTED);
			if (!before)
				any_open = true;
			if (!before && !swept)
				all_explained = false;
		}
	}
	if (st->qt_rsp == NX_INI_TMF_RSP_SUCCEEDED ? !any_open : !all_explained)
		nx_scn_fail(tm->env, "step %u: QUERY TASK SET answered %u, but of "
			    "the %u tasks sent before it %s", st->id, st->qt_rsp,
			    st->qts_n, any_open ? "one was still open"
						: "none was open");
}

/* SAM-5 7.4: a CLEAR TASK SET from another nexus that silently aborted
 * (TAS=0) tasks of n owes n a 2Fh/00h.  Owed only when nothing else could
 * have made them vanish (a reset from another nexus, QErr). */
static void judge_2f_owed(struct tm *tm)
{
	const struct step *st = &tm->st;

	if (!st->busy || st->cts_by == 0 || tm_ctl_ever(tm, p_tas1) ||
	    tm_ctl_ever(tm, p_qerr01) || tm_ctl_ever(tm, p_qerr11))
		return;
	for (unsigned i = 0; i < tm->nnex; i++) {
		bool vanished = false;

		if ((st->cts_by & ~bit(i)) == 0 ||
		    ((st->sweep_by & ~st->cts_by) & ~bit(i)) != 0 ||
		    (st->lost & bit(i)))
			continue;
		for (unsigned k = 0; k < tm->nrec; k++)
			vanished |= tm->rec[k].nex == i &&
				    tm->rec[k].outcome == O_VANISHED;
		if (vanished)
			tm_ledger_confirm(&tm->nx[i].ua, 0x2f, 0x00);
	}
}

void tm_judge_step(struct tm *tm)
{
	for (unsigned i = 0; i < tm->nrec; i++) {
		const struct rec *r = &tm->rec[i];

		if (r->outcome != O_GOOD)
			judge_no_response(tm, r);
		else
			judge_status(tm, r);
	}
	judge_ref_task(tm);
	judge_query_task_set(tm);
	judge_2f_owed(tm);
}
