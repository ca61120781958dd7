/*
 * tmf_aca.c - the tmf scenario's ACA and parked-task checks (tmf_internal.h).
 */
#include <string.h>

#include "tmf_internal.h"

/* ---- ACA (SAM-5 5.9.2) ----------------------------------------------------------------- */

/* One TEST UNIT READY, exactly judged, with the NACA bit and the task
 * attribute given; quiet or not, the ACA gate answers before UAs. */
static bool aca_probe(struct tm *tm, struct nex *n, bool naca, uint8_t attr,
		      struct nx_ini_scsi *r)
{
	uint8_t cdb[6] = { 0 };

	if (naca)
		cdb[5] = 0x04;
	return tm_qcmd(n, cdb, 6, NX_INI_DIR_NONE, NULL, 0, attr, r);
}

static void aca_expect_status(struct tm *tm, struct nex *n,
			      const struct nx_ini_scsi *r, uint8_t want,
			      uint64_t s, const char *what)
{
	if (r->status != want)
		nx_scn_fail(tm->env, "ACA of nexus %u: %s from nexus %u answered "
			    "status 0x%02x, expected 0x%02x (SAM-5 5.9.2.4)",
			    tm->aca_nex, what, n->idx, r->status, want);
	nx_log(NX_LOG_INFO, "scn: nx%u %s under ACA: status 0x%02x", n->idx,
	       what, r->status);
	if (want == NX_STATUS_BUSY)
		tm_ua_after_status(n, NX_STATUS_BUSY, s);
	if (want == NX_STATUS_BUSY)
		tm->n_busy++;
	else
		tm->n_aca_active++;
}

/* Commands from others while the ACA lasts (SAM-5 5.9.2.4, TST 000b):
 * NACA=0 BUSY, NACA=1 ACA ACTIVE; from the faulted nexus a SIMPLE task
 * ACA ACTIVE (5.9.2.3). */
static bool aca_gate_checks(struct tm *tm, struct nex *x)
{
	struct nx_ini_scsi r;

	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *o = &tm->nx[i];
		bool naca = nx_rng_chance(&tm->rng, 1, 2);

		uint64_t s = now_ns(tm);

		if (!tm_nex_alive(o) || !nx_rng_chance(&tm->rng, 1, 2))
			continue;
		if (!aca_probe(tm, o, o == x ? false : naca, NX_INI_ATTR_SIMPLE, &r))
			return false;
		aca_expect_status(tm, o, &r, o == x || naca ? NX_STATUS_ACA_ACTIVE
							    : NX_STATUS_BUSY, s,
				  o == x ? "a SIMPLE TEST UNIT READY"
					 : naca ? "TEST UNIT READY NACA=1"
						: "TEST UNIT READY NACA=0");
	}
	return true;
}

/* The ACA-attribute task of the faulted nexus: runs; a CHECK CONDITION
 * (a UA first) ends the ACA (SAM-5 5.9.2.2, new one only with NACA=1). */
static bool aca_task(struct tm *tm, struct nex *x)
{
	struct nx_ini_scsi r;
	uint8_t key, asc, ascq;

	uint64_t s = now_ns(tm);

	if (!aca_probe(tm, x, false, NX_INI_ATTR_ACA, &r))
		return false;
	nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
	if (r.status == NX_STATUS_CHECK_CONDITION && key == 0x06) {
		enum tm_clear clr = tm_cc_clear(tm, s);
		tm_ua_report(x, asc, ascq, clr, "ACA task");
		tm->aca_nex = NO_NEX;
		if (clr != TM_CLEAR_YES)
			x->rs_owed = true;
		return true;
	}
	if (r.status == NX_STATUS_CHECK_CONDITION && key == 0x02 &&
	    asc == 0x04 && !tm_alua_active_now(tm, x->port)) {
		tm->aca_nex = NO_NEX;
		return true;
	}
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "ACA task of faulted nexus %u: status 0x%02x "
			    "%X/%02Xh/%02Xh (SAM-5 5.9.2.3)", x->idx, r.status, key,
			    asc, ascq);
	return true;
}

/* The failing command with NACA=1: READ(10) past the last LBA (05/21/00
 * LOGICAL BLOCK ADDRESS OUT OF RANGE), unless something else answers
 * first.  Any CHECK CONDITION establishes the ACA. */
static bool aca_establish(struct tm *tm, struct nex *x)
{
	struct nx_ini_scsi r;
	uint8_t cdb[10] = { 0x28 }, buf[BLOCK], key, asc, ascq;

	uint64_t s = now_ns(tm);

	nx_put_be32(cdb + 2, LU_BLOCKS);
	nx_put_be16(cdb + 7, 1);
	cdb[9] = 0x04; /* NACA */
	if (!tm_qcmd(x, cdb, 10, NX_INI_DIR_READ, buf, BLOCK, NX_INI_ATTR_SIMPLE, &r))
		return false;
	tm->st.cc_by |= bit(x->idx);
	nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
	if (r.status == NX_STATUS_RESERVATION_CONFLICT &&
	    tm_conflict_possible(tm, x->idx, false)) {
		tm_ua_after_status(x, r.status, s);
		return true; /* no CHECK CONDITION, no ACA */
	}
	if (r.status != NX_STATUS_CHECK_CONDITION)
		nx_scn_fail(tm->env, "READ past the end with NACA=1: status 0x%02x",
			    r.status);
	if (key == 0x06) {
		enum tm_clear clr = tm_cc_clear(tm, s);
		tm_ua_report(x, asc, ascq, clr, "NACA command");
		if (clr != TM_CLEAR_YES)
			x->rs_owed = true;
	} else if (key == 0x02 && asc == 0x04) {
		if (!tm->st.busy && tm_alua_active_now(tm, x->port))
			nx_scn_fail(tm->env, "NACA command: NOT READY on an active "
				    "port group");
	} else if (!(key == 0x05 && asc == 0x21 && ascq == 0x00)) {
		nx_scn_fail(tm->env, "READ past the end: sense %X/%02Xh/%02Xh, "
			    "expected 5/21h/00h", key, asc, ascq);
	}
	tm->aca_nex = (uint8_t)x->idx;
	tm->st.aca = true;
	tm->st.aca_nex = (uint8_t)x->idx;
	nx_log(NX_LOG_INFO, "scn: nx%u ACA established", x->idx);
	return true;
}

/* Clears the ACA by a drawn means: CLEAR ACA from the faulted nexus,
 * first CLEAR ACA from another (FUNCTION COMPLETE, no effect: the ACA
 * stays), LOGICAL UNIT RESET or TARGET WARM RESET. */
static void aca_clear(struct tm *tm, struct nex *x)
{
	struct nx_ini_tmf t;
	struct nex *o = tm_pick_nex(tm, &tm->rng);
	unsigned how = (unsigned)nx_rng_below(&tm->rng, 8);

	if (how == 6 || how == 7) {
		uint8_t fn = how == 6 ? NX_INI_TMF_LOGICAL_UNIT_RESET
				      : NX_INI_TMF_TARGET_WARM_RESET;
		if (o == NULL)
			return;
		tm_tmf_begin(tm, o, fn);
		if (tm_q_tmf(o, &t, fn, NULL)) {
			tm_tmf_expect_response(tm, o, fn, &t, NX_INI_TMF_RSP_COMPLETE);
			tm_reset_effects(tm, o, fn, true);
		} else {
			tm_reset_effects(tm, o, fn, false);
		}
		return;
	}
	if (how >= 3 && o != NULL && o != x) {
		if (!tm_q_tmf(o, &t, NX_INI_TMF_CLEAR_ACA, NULL))
			return;
		tm_tmf_expect_response(tm, o, NX_INI_TMF_CLEAR_ACA, &t,
				    NX_INI_TMF_RSP_COMPLETE);
		if (tm->aca_nex != NO_NEX && !aca_gate_checks(tm, x))
			return;
	}
	if (!tm_nex_alive(x))
		return;
	if (!tm_q_tmf(x, &t, NX_INI_TMF_CLEAR_ACA, NULL))
		return;
	tm_tmf_expect_response(tm, x, NX_INI_TMF_CLEAR_ACA, &t,
			    NX_INI_TMF_RSP_COMPLETE);
	tm_reset_effects(tm, x, NX_INI_TMF_CLEAR_ACA, true);
}

void tm_act_aca(struct tm *tm)
{
	struct nex *x = tm_pick_nex(tm, &tm->rng);

	if (x == NULL || !aca_establish(tm, x) || tm->aca_nex == NO_NEX)
		return;
	if (!tm->st.busy && !aca_gate_checks(tm, x))
		return;
	if (tm->st.busy)
		nx_sim_run_for(tm->sim, nx_rng_range(&tm->rng, 10 * US, 2 * MS));
	if (nx_rng_chance(&tm->rng, 1, 2) && tm_nex_alive(x) &&
	    !aca_task(tm, x))
		return;
	if (tm->aca_nex != NO_NEX)
		aca_clear(tm, x);
}

/* ---- parked tasks: exact cross-nexus TMF / QErr / TAS checks ---------------------------- */

/* Tasks held in the backstore for PARK_NS (sim disk latency) sit in the
 * task set, known to be there (QUERY TASK), while another nexus acts:
 * what becomes of each is then exact. */
#define PARK_NS (2 * SEC)

enum park_trig {
	PT_CC, PT_CTS, PT_LUR, PT_WARM, PT_ATS, PT_AT, PT_ITNR, PT_QTS, PT_ACA,
	PT_RESET, PT_COLD, PT_LOST, PT_COUNT
};

static const char *const park_names[PT_COUNT] = {
	"CHECK CONDITION", "CLEAR TASK SET", "LOGICAL UNIT RESET",
	"TARGET WARM RESET", "ABORT TASK SET", "ABORT TASK", "I_T NEXUS RESET",
	"QUERY TASK SET", "ACA (NACA=1 CHECK CONDITION, CLEAR ACA)",
	"connection reset", "TARGET COLD RESET",
	"LOGICAL UNIT RESET, its connection reset while it waits",
};

/* b owns the parked tasks (a maybe one); actor sends the trigger: a
 * (another I_T nexus, perhaps the other path of b's initiator) or b. */
struct park {
	struct nex *a, *b, *actor;
	enum park_trig trig;
	uint32_t uid[QD_MAX + 1];
	bool mine[QD_MAX + 1];    /* a's own parked task */
	unsigned n;
	uint32_t at_uid;          /* ABORT TASK's task */
	struct tm_ctl ctl;
};

/* The outcome SAM-5 prescribes: 0 GOOD, else the rec outcome/status. */
enum park_want { PW_GOOD, PW_TASK_ABORTED, PW_VANISHED, PW_ABORTED,
		 PW_CONNLOST };

static enum park_want park_want(const struct park *p, bool mine, uint32_t uid)
{
	bool tas = p->ctl.tas;
	bool actors = (mine ? p->a : p->b) == p->actor;

	switch (p->trig) {
	case PT_ACA:
		/* SAM-5 5.9.2: the NACA=1 CHECK CONDITION is a CHECK
		 * CONDITION (QErr); the rest wait for CLEAR ACA, then run */
	case PT_CC:
		/* SPC-4 7.5.8 table 460 */
		if (mine)
			return p->ctl.qerr ? PW_VANISHED : PW_GOOD;
		if (p->ctl.qerr != 1)
			return PW_GOOD;
		return tas ? PW_TASK_ABORTED : PW_VANISHED;
	case PT_CTS:
	case PT_LUR:
	case PT_WARM:
		/* SAM-5 7.5, 7.7, 6.3.2 with TAS (5.6) */
		if (mine)
			return PW_ABORTED;
		return tas ? PW_TASK_ABORTED : PW_VANISHED;
	case PT_ATS:
	case PT_ITNR:
		/* SAM-5 7.3, 6.3.4: this I_T nexus only - not the other path */
		return actors ? PW_ABORTED : PW_GOOD;
	case PT_RESET:
		return mine ? PW_GOOD : PW_CONNLOST;
	case PT_LOST:
		/* the reset ran; its I_T nexus is lost before it answers */
		if (mine)
			return PW_CONNLOST;
		return tas ? PW_TASK_ABORTED : PW_VANISHED;
	case PT_COLD:
		/* RFC 7143 11.5.1: then every connection closes, so a task
		 * aborted silently (TAS=0) ends with its connection */
		if (mine)
			return PW_ABORTED;
		return tas ? PW_TASK_ABORTED : PW_CONNLOST;
	case PT_AT:
		return !mine && uid == p->at_uid ? PW_ABORTED : PW_GOOD;
	default:
		return PW_GOOD;
	}
}

static void park_submit(struct park *p, struct nex *n, uint8_t attr)
{
	struct bcmd *c = tm_free_cmd(n);

	if (c == NULL)
		return;
	c->attr = attr;
	if (!tm_issue_rw(n, c, false))
		return;
	p->uid[p->n] = c->uid;
	p->mine[p->n++] = n == p->a;
}

/* SAM-5 7.8: tasks from..n-1 are in the task set (the TMF follows each
 * on its connection, so it was received first). */
static bool park_confirm(struct tm *tm, struct park *p, unsigned from)
{
	struct nx_ini_tmf t;

	for (unsigned k = from; k < p->n; k++) {
		struct nex *n = p->mine[k] ? p->a : p->b;
		struct bcmd *c = NULL;

		for (unsigned i = 0; i < n->qd; i++)
			if (n->cmds[i].busy && n->cmds[i].uid == p->uid[k])
				c = &n->cmds[i];
		if (c == NULL || !tm_q_tmf(n, &t, NX_INI_TMF_QUERY_TASK, c))
			return false;
		if (t.response != NX_INI_TMF_RSP_SUCCEEDED)
			nx_scn_fail(tm->env, "parked task of nexus %u: QUERY TASK "
				    "answered %u, expected FUNCTION SUCCEEDED (SAM-5 "
				    "7.8: it is in the task set)", n->idx, t.response);
		if (!p->mine[k] && p->at_uid == 0)
			p->at_uid = p->uid[k];
	}
	return true;
}

/* b's tasks first, known to be in the task set before a's goes (so a's
 * is behind them: different connections keep no order). */
static bool park_tasks(struct tm *tm, struct park *p)
{
	unsigned kb = (unsigned)nx_rng_range(&tm->rng, 1, NX_MIN(p->b->qd, 3u));
	bool own = nx_rng_chance(&tm->rng, 1, 2);
	unsigned nb;

	nx_sim_disk_set_extra_latency(tm->disk, PARK_NS);
	/* ACA: b's first task ORDERED, the others wait behind it (SAM-5
	 * 8.6) when the ACA arises */
	for (unsigned i = 0; i < kb; i++)
		park_submit(p, p->b, p->trig == PT_ACA && i == 0
				     ? NX_INI_ATTR_ORDERED : NX_INI_ATTR_SIMPLE);
	nb = p->n;
	if (!park_confirm(tm, p, 0))
		return false;
	if (own)
		park_submit(p, p->a, NX_INI_ATTR_SIMPLE);
	if (!park_confirm(tm, p, nb))
		return false;
	nx_sim_disk_set_extra_latency(tm->disk, 0);
	return p->n > 0;
}

/* A CHECK CONDITION on a: READ past the last LBA (NACA=0). */
static bool park_cc(struct tm *tm, struct nex *a)
{
	struct nx_ini_scsi r;
	uint8_t cdb[10] = { 0x28 }, buf[BLOCK], key, asc, ascq;

	nx_put_be32(cdb + 2, LU_BLOCKS);
	nx_put_be16(cdb + 7, 1);
	if (!tm_qcmd(a, cdb, 10, NX_INI_DIR_READ, buf, BLOCK, NX_INI_ATTR_SIMPLE, &r))
		return false;
	nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
	if (r.status != NX_STATUS_CHECK_CONDITION || key != 0x05 || asc != 0x21)
		nx_scn_fail(tm->env, "nexus %u: READ past the end: status 0x%02x "
			    "%X/%02Xh/%02Xh, expected 5/21h/00h", a->idx, r.status,
			    key, asc, ascq);
	tm->st.cc_by |= bit(a->idx);
	return true;
}

/* SAM-5 5.9.2 with tasks waiting: b's ORDERED task is in the backstore,
 * b's SIMPLE ones (and a's) wait behind it (SAM-5 8.6).  a's NACA=1
 * CHECK CONDITION makes a the faulted nexus; QErr 00b: once the ORDERED
 * task is done the others still wait (QUERY TASK), until a's CLEAR ACA
 * lets them run; QErr 01b / 11b abort as for any CHECK CONDITION. */
static bool park_aca(struct tm *tm, struct park *p)
{
	struct nx_ini_scsi r;
	struct nx_ini_tmf t;
	uint8_t cdb[10] = { 0x28 }, buf[BLOCK], key, asc, ascq;

	nx_put_be32(cdb + 2, LU_BLOCKS);
	nx_put_be16(cdb + 7, 1);
	cdb[9] = 0x04; /* NACA */
	if (!tm_qcmd(p->a, cdb, 10, NX_INI_DIR_READ, buf, BLOCK, NX_INI_ATTR_SIMPLE,
		  &r))
		return false;
	nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
	if (r.status != NX_STATUS_CHECK_CONDITION || key != 0x05 || asc != 0x21)
		nx_scn_fail(tm->env, "nexus %u: READ past the end, NACA=1: status "
			    "0x%02x %X/%02Xh/%02Xh", p->a->idx, r.status, key, asc,
			    ascq);
	tm->st.cc_by |= bit(p->a->idx);
	tm->st.aca = true;
	tm->st.aca_nex = (uint8_t)p->a->idx;
	tm->aca_nex = (uint8_t)p->a->idx;
	if (p->ctl.qerr == 1 && !p->ctl.tas)
		tm_ledger_establish(&p->b->ua, 0x2f, 0x00, true);
	if (p->ctl.qerr == 0) {
		nx_sim_run_for(tm->sim, PARK_NS + 200 * MS);
		for (unsigned k = 1; k < p->n; k++) {
			struct nex *n = p->mine[k] ? p->a : p->b;
			struct bcmd *c = NULL;

			for (unsigned i = 0; i < n->qd; i++)
				if (n->cmds[i].busy && n->cmds[i].uid == p->uid[k])
					c = &n->cmds[i];
			if (c == NULL)
				nx_scn_fail(tm->env, "ACA of nexus %u: nexus %u's task "
					    "waiting behind an ORDERED one ran before "
					    "CLEAR ACA (SAM-5 5.9.2.2)", p->a->idx,
					    n->idx);
			if (!tm_q_tmf(n, &t, NX_INI_TMF_QUERY_TASK, c))
				return false;
			tm_tmf_expect_response(tm, n, NX_INI_TMF_QUERY_TASK, &t,
					    NX_INI_TMF_RSP_SUCCEEDED);
		}
	}
	if (!tm_q_tmf(p->a, &t, NX_INI_TMF_CLEAR_ACA, NULL))
		return false;
	tm_tmf_expect_response(tm, p->a, NX_INI_TMF_CLEAR_ACA, &t,
			    NX_INI_TMF_RSP_COMPLETE);
	tm->aca_nex = NO_NEX;
	return true;
}

static void park_tmf_done(struct nx_ini_tmf *t)
{
	*(bool *)t->priv = true;
}

/* a's LOGICAL UNIT RESET waits for b's tasks to leave the backstore
 * (SAM-5 7.7: it answers once they are gone) when a's connection dies:
 * the reset still happened (b's tasks are no longer in the task set,
 * QUERY TASK), a's I_T nexus is lost (SAM-5 6.3.4), the TMF is never
 * answered, and a logs in again once the old session let go. */
static bool park_lost(struct tm *tm, struct park *p)
{
	struct nx_ini_tmf lur, t;
	struct bcmd *c = NULL;
	bool done = false;

	for (unsigned i = 0; i < p->b->qd; i++)
		if (p->b->cmds[i].busy && p->b->cmds[i].uid == p->uid[0])
			c = &p->b->cmds[i];
	if (c == NULL)
		return false;
	tm_tmf_begin(tm, p->a, NX_INI_TMF_LOGICAL_UNIT_RESET);
	memset(&lur, 0, sizeof(lur));
	lur.function = NX_INI_TMF_LOGICAL_UNIT_RESET;
	lur.lun = nx_ini_lun(0);
	lur.ref_itt = 0xffffffffu;
	lur.done = park_tmf_done;
	lur.priv = &done;
	tm->n_tmf[NX_INI_TMF_LOGICAL_UNIT_RESET]++;
	if (nx_ini_tmf_submit(tm_conn_of(p->a), &lur) != 0)
		nx_scn_fail(tm->env, "LUR submit");
	for (unsigned tries = 0;; tries++) {
		if (tries == 64)
			nx_scn_fail(tm->env, "LOGICAL UNIT RESET of nexus %u never "
				    "reached nexus %u's tasks", p->a->idx, p->b->idx);
		if (!tm_q_tmf(p->b, &t, NX_INI_TMF_QUERY_TASK, c))
			return false;
		if (t.response == NX_INI_TMF_RSP_COMPLETE)
			break;
	}
	if (done)
		nx_scn_fail(tm->env, "LOGICAL UNIT RESET answered before the tasks "
			    "it aborted left the backstore (SAM-5 7.7)");
	tm_reset_effects(tm, p->a, NX_INI_TMF_LOGICAL_UNIT_RESET, true);
	tm->st.fault = true;
	tm->st.lost |= bit(p->a->idx);
	nx_sim_stream_reset(nx_sim_ini_stream(p->a->si));
	p->a->need_relogin = true;
	tm_relogin_needed(tm);
	if (!done || lur.err != NX_INI_ECONNRESET)
		nx_scn_fail(tm->env, "LOGICAL UNIT RESET on a reset connection: "
			    "done %d err %d", done, lur.err);
	return true;
}

static bool park_trigger(struct tm *tm, struct park *p)
{
	static const uint8_t fn[PT_COUNT] = {
		[PT_CTS] = NX_INI_TMF_CLEAR_TASK_SET,
		[PT_LUR] = NX_INI_TMF_LOGICAL_UNIT_RESET,
		[PT_WARM] = NX_INI_TMF_TARGET_WARM_RESET,
		[PT_ATS] = NX_INI_TMF_ABORT_TASK_SET,
		[PT_AT] = NX_INI_TMF_ABORT_TASK,
		[PT_ITNR] = NX_INI_TMF_I_T_NEXUS_RESET,
		[PT_QTS] = NX_INI_TMF_QUERY_TASK_SET,
		[PT_COLD] = NX_INI_TMF_TARGET_COLD_RESET,
	};
	struct nex *n = p->actor;
	struct bcmd *ref = NULL;
	struct nx_ini_tmf t;

	if (p->trig == PT_ACA)
		return park_aca(tm, p);
	if (p->trig == PT_LOST)
		return park_lost(tm, p);
	if (p->trig == PT_RESET) {
		/* I_T nexus loss (SAM-5 6.3.4): the tasks go with it; the
		 * re-login waits for them to leave the backstore */
		tm->st.fault = true;
		tm->st.lost |= bit(p->b->idx);
		nx_sim_stream_reset(nx_sim_ini_stream(p->b->si));
		p->b->need_relogin = true;
		tm_relogin_needed(tm);
		return true;
	}
	if (p->trig == PT_CC) {
		if (!park_cc(tm, p->a))
			return false;
		if (p->ctl.qerr == 1 && !p->ctl.tas)
			tm_ledger_establish(&p->b->ua, 0x2f, 0x00, true);
		return true;
	}
	for (unsigned i = 0; i < n->qd && p->trig == PT_AT; i++)
		if (n->cmds[i].busy && n->cmds[i].uid == p->at_uid)
			ref = &n->cmds[i];
	if (p->trig == PT_AT && ref == NULL)
		return false;
	tm_tmf_begin(tm, n, fn[p->trig]);
	tm->st.cold |= p->trig == PT_COLD;
	if (!tm_q_tmf(n, &t, fn[p->trig], ref))
		return false;
	tm_tmf_expect_response(tm, n, fn[p->trig], &t,
			    p->trig == PT_QTS ? NX_INI_TMF_RSP_SUCCEEDED
					      : NX_INI_TMF_RSP_COMPLETE);
	tm_reset_effects(tm, n, fn[p->trig], true);
	if (p->trig == PT_COLD) {
		tm_cold_reset_wait(tm);
		tm_relogin_needed(tm);
	}
	/* SAM-5 7.5: commands cleared by another I_T nexus, TAS=0 */
	if (p->trig == PT_CTS && !p->ctl.tas)
		tm_ledger_establish(&p->b->ua, 0x2f, 0x00, true);
	return true;
}

static void park_judge(struct tm *tm, const struct park *p)
{
	for (unsigned k = 0; k < p->n; k++) {
		const struct rec *r = NULL;
		enum park_want want = park_want(p, p->mine[k], p->uid[k]);
		bool ok;

		for (unsigned i = 0; i < tm->nrec; i++)
			if (tm->rec[i].uid == p->uid[k])
				r = &tm->rec[i];
		nx_assert(r != NULL);
		switch (want) {
		case PW_GOOD:
			ok = r->outcome == O_GOOD && r->status == NX_STATUS_GOOD;
			break;
		case PW_TASK_ABORTED:
			ok = r->outcome == O_GOOD &&
			     r->status == NX_STATUS_TASK_ABORTED;
			break;
		case PW_VANISHED:
			ok = r->outcome == O_VANISHED;
			break;
		case PW_CONNLOST:
			ok = r->outcome == O_CONNLOST;
			break;
		default:
			ok = r->outcome == O_ABORTED;
			break;
		}
		if (!ok)
			nx_scn_fail(tm->env, "parked task %u of nexus %u (%s), %s by "
				    "nexus %u with QErr %u TAS %u: outcome %u status "
				    "0x%02x, expected %s", k, r->nex,
				    p->mine[k] ? "the acting nexus" : "another nexus",
				    park_names[p->trig], p->actor->idx,
				    p->ctl.qerr, p->ctl.tas, r->outcome, r->status,
				    want == PW_GOOD ? "GOOD" : want == PW_TASK_ABORTED
				    ? "TASK ABORTED (SAM-5 5.6, TAS=1)"
				    : want == PW_VANISHED ? "aborted without a response"
				    : "aborted by its own TMF");
	}
}

void tm_act_parked(struct tm *tm)
{
	struct park p;
	uint32_t v;

	/* half the time QErr / TAS / UA_INTLCK_CTRL drawn afresh first (the
	 * defaults would dominate), their 2Ah/01h drained */
	if (nx_rng_chance(&tm->rng, 1, 2)) {
		tm_act_modesel(tm);
		for (unsigned i = 0; i < tm->nnex; i++)
			tm_probe_drain(tm, &tm->nx[i]);
	}
	memset(&p, 0, sizeof(p));
	p.a = tm_pick_reader(tm, true, false);
	p.b = tm_pick_reader(tm, true, false);
	if (p.a == NULL || p.b == NULL || p.a == p.b ||
	    !tm_hist_settled(&tm->ctl, now_ns(tm), &v))
		return;
	tm_ctl_unpack(v, &p.ctl);
	p.trig = (enum park_trig)nx_rng_below(&tm->rng, PT_COUNT);
	p.actor = p.a;
	if (p.trig == PT_AT || p.trig == PT_QTS || p.trig == PT_RESET ||
	    ((p.trig == PT_ATS || p.trig == PT_ITNR) && nx_rng_chance(&tm->rng, 1, 2)))
		p.actor = p.b;
	nx_log(NX_LOG_INFO, "scn: parked: nx%u's tasks, %s by nx%u (QErr %u TAS %u)",
	       p.b->idx, park_names[p.trig], p.actor->idx, p.ctl.qerr, p.ctl.tas);
	if (!park_tasks(tm, &p) || !park_trigger(tm, &p)) {
		nx_sim_disk_set_extra_latency(tm->disk, 0);
		tm_settle(tm);
		return;
	}
	tm_settle(tm);
	park_judge(tm, &p);
}
