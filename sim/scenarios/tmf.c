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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_util.h"
#include "pr_model.h"
#include "tmf_model.h"
#include "../../core/nx_wire.h"
#include "../nx_sim_disk.h"

#define TGT_NAME "iqn.2026-11.dev.nexus:sim"
#define TGT_IP 0x0a000001u
#define INI_IP0 0x0a000002u
#define PORT0 3260
#define PORTS 2u
#define BLOCK NX_SCN_BLOCK
#define LU_BYTES (4u << 20)
#define LU_BLOCKS (LU_BYTES / BLOCK)
#define SLOT_BLOCKS 64u  /* > 8 KiB: R2T and Data-Out (RFC 7143 10.8) */
#define NSLOTS (LU_BLOCKS / SLOT_BLOCKS)
#define INI_MAX 3u
#define NEX_MAX 6u
#define QD_MAX 6u
#define REC_MAX 1024u
#define BG_MAX 640u     /* background commands per step */
#define ALT_MAX 3u
#define SEC 1000000000ull
#define MS 1000000ull
#define US 1000ull
#define SYNC_STEPS 4000000u
#define SETTLE_QUIET_NS (300 * MS)   /* no progress this long: ask */
#define SETTLE_MAX_NS (120 * SEC)
#define RELOGIN_TRIES 400u
#define RELOGIN_BACKOFF_NS (50 * MS)
#define STEPS_MAX 400u
#define STEP_NS (20 * MS)  /* --duration / STEP_NS = steps */
#define DRAIN_TRIES 48u
#define SEQ_MASK ((1ull << 56) - 1)
#define NO_NEX 0xffu

/* ALUA states as REPORT TARGET PORT GROUPS codes them (SPC-4 table 307) */
#define AS_AO 0x0u
#define AS_AN 0x1u
#define AS_SB 0x2u
#define AS_UN 0x3u
#define AS_TR 0xfu
/* STATUS CODE (SPC-4 table 308) */
#define ST_NONE 0u
#define ST_EXPLICIT 1u
#define ST_IMPLICIT 2u

enum kind { K_READ, K_WRITE, K_TUR, K_RSENSE };

enum outcome {
	O_GOOD,      /* a response (any status) */
	O_ABORTED,   /* our own TMF aborted it: no response */
	O_VANISHED,  /* another nexus's abort, TAS=0: no response */
	O_CONNLOST,  /* the connection died */
};

enum action {
	A_IO, A_ABORT_TASK, A_ABORT_TASK_SET, A_CLEAR_TASK_SET, A_LU_RESET,
	A_WARM_RESET, A_COLD_RESET, A_IT_NEXUS_RESET, A_QUERY_TASK,
	A_QUERY_TASK_SET, A_QAE, A_ACA, A_MODESEL, A_ALUA_IMPLICIT,
	A_ALUA_STPG, A_PR, A_PARKED, A_COUNT
};

static const char *const act_names[A_COUNT] = {
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

struct blk {
	uint64_t tag;            /* 0: never written (zeros) */
	uint64_t alt[ALT_MAX];   /* also possible (outcome unknown) */
	uint8_t nalt;
	bool any;
	uint64_t dtag;           /* durable floor */
};

struct tm;
struct nex;

struct bcmd {
	struct nx_ini_scsi req;
	struct nex *nx;
	bool busy;
	bool limbo;              /* connection died: outcome at re-login */
	bool queried;            /* QUERY TASK said gone: vanished */
	enum kind kind;
	uint32_t slot;
	uint64_t lba;
	uint32_t nblk;
	uint64_t tag;
	bool fua;
	uint8_t attr;            /* task attribute of the next submission */
	uint64_t s;
	uint32_t uid;
	uint8_t *buf;
};

struct rec {
	uint32_t uid;
	uint8_t nex, kind, outcome, status, key, asc, ascq;
	uint64_t s, r;
	uint64_t order;
};

struct nex {
	struct tm *tm;
	unsigned idx, ini, port;
	struct nx_ini_session *sess;
	struct nx_sim_ini *si;
	bool up;                 /* logged in, connection believed alive */
	bool need_relogin;
	struct bcmd cmds[QD_MAX];
	uint32_t qd, outstanding;
	nx_sim_event_id issue_ev;
	bool rs_owed;            /* a REQUEST SENSE should clear a kept UA */
	struct nx_rng rng;
	struct tm_ledger ua;
	uint64_t last_progress_ns;
	uint64_t think_max_ns;
	uint32_t w_read, w_write, w_tur, fua_pct;
	uint64_t logins;
};

struct step {
	unsigned id;
	enum action act;
	bool busy;
	uint64_t t0;
	uint32_t sweep_by;       /* CTS / resets that may have run, by nexus */
	uint32_t cts_by;         /* CLEAR TASK SET alone */
	uint32_t own_by;         /* TMFs that abort the issuer's own tasks */
	uint32_t cc_by;          /* CHECK CONDITION (maybe) on these nexuses */
	bool aca;
	uint8_t aca_nex;
	bool disk;
	uint32_t lost;           /* connections that died */
	bool fault;
	bool cold;               /* TARGET COLD RESET sent */
	bool unbounded_2f;
	unsigned issued;
	unsigned ctl_k;          /* the control page change a reset may make */
	uint32_t qt_uid;         /* ABORT TASK / QUERY TASK: the task */
	uint8_t qt_fn, qt_rsp;
	uint64_t qt_order;       /* the answer's place among completions */
	uint32_t qts_uids[QD_MAX];
	unsigned qts_n;
};

struct tm {
	struct nx_scn_env *env;
	struct nx_sim *sim;
	struct nx_rng rng, frng;
	struct nx_ini_driver drv;
	struct nx_sim_host *thost;
	struct nx_sim_host *ihost[INI_MAX];
	unsigned nini;
	struct nx_target *tgt;
	struct nx_sim_iscsi_target *starget;
	struct nx_sim_disk *disk;
	struct nx_scn_heal heal;           /* link cut, disk faults; dopts */
	struct nex nx[NEX_MAX];
	unsigned nnex;
	/* medium */
	struct blk *blk;
	uint64_t wseq;
	bool slot_used[NSLOTS];
	bool slot_dirty[NSLOTS];          /* to be read back */
	uint64_t power_loss_ns;
	/* step */
	struct step st;
	struct rec rec[REC_MAX];
	unsigned nrec;
	uint32_t uid;
	bool issuing;
	uint64_t order;                    /* completions, in arrival order */
	uint64_t tmf_order;                /* of the last TMF answer */
	/* models */
	struct tm_ctl ctl_saved;
	struct tm_hist ctl;                /* current control page */
	struct tm_hist alua[PORTS];        /* state | status << 8, per group */
	bool trans_pending;
	unsigned trans_g;
	uint8_t trans_to;
	bool trans_fail;
	nx_sim_event_id trans_ev;
	uint8_t aca_nex;                   /* NO_NEX: no ACA */
	uint8_t iec_page[12];
	struct nx_scn_pr pr;
	struct nx_scn_pr pr0;              /* as the step began */
	unsigned pr_nex[NX_SCN_PR_INI];
	/* counters */
	uint64_t n_act[A_COUNT];
	uint64_t n_tmf[13], n_tmf_succeeded, n_vanished, n_task_aborted;
	uint64_t n_eaborted, n_notready, n_busy, n_aca_active, n_conflict;
	uint64_t n_medium, n_connlost, n_steps, n_busy_steps;
};

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

static void issue_schedule(struct nex *n);
static void pr_check_all(struct tm *tm, const char *when);
static void settle(struct tm *tm);
static struct nex *pick_reader(struct tm *tm, bool active, bool write);
static void act_modesel(struct tm *tm);
static void probe_drain(struct tm *tm, struct nex *n);

static uint32_t bit(unsigned i)
{
	return 1u << i;
}

static uint64_t now_ns(const struct tm *tm)
{
	return nx_sim_now(tm->sim);
}

/* ---- the shadow of the medium (workload.c's scheme) ---------------------- */

static uint64_t seq_of(uint64_t tag)
{
	return tag & SEQ_MASK;
}

/* maybe: the write may or may not have reached each block. */
static void shadow_written(struct tm *tm, const struct bcmd *c, bool maybe)
{
	for (uint32_t i = 0; i < c->nblk; i++) {
		struct blk *b = &tm->blk[c->lba + i];

		if (!maybe) {
			b->tag = c->tag;
			b->nalt = 0;
			b->any = false;
			if (c->fua)
				b->dtag = c->tag;
		} else if (b->nalt < ALT_MAX) {
			b->alt[b->nalt++] = c->tag;
		} else {
			b->any = true;
		}
	}
	tm->slot_dirty[c->slot] = true;
}

static bool tag_allowed(const struct blk *b, uint64_t tag)
{
	if (b->any || tag == b->tag)
		return true;
	for (unsigned i = 0; i < b->nalt; i++)
		if (b->alt[i] == tag)
			return true;
	return false;
}

static void shadow_check(struct tm *tm, const uint8_t *buf, uint64_t lba,
			 uint32_t n, unsigned who)
{
	for (uint32_t i = 0; i < n; i++) {
		struct blk *b = &tm->blk[lba + i];
		uint64_t tag;

		if (!nx_scn_block_valid(buf + (size_t)i * BLOCK, lba + i, &tag))
			nx_scn_fail(tm->env, "nexus %u: LBA %llu read back corrupt "
				    "(header tag %016llx, expected %016llx)", who,
				    (unsigned long long)(lba + i),
				    (unsigned long long)tag, (unsigned long long)b->tag);
		if (!tag_allowed(b, tag))
			nx_scn_fail(tm->env, "nexus %u: LBA %llu read back tag "
				    "%016llx, expected %016llx (+%u unknown writes): "
				    "an acknowledged write was lost or a refused one "
				    "executed", who, (unsigned long long)(lba + i),
				    (unsigned long long)tag, (unsigned long long)b->tag,
				    b->nalt);
		b->tag = tag;
		b->nalt = 0;
		b->any = false;
	}
}

/* A SYNCHRONIZE CACHE of the whole LU answered GOOD with nothing else
 * in flight: every block whose content is known is durable. */
static void shadow_synced(struct tm *tm)
{
	for (uint32_t i = 0; i < LU_BLOCKS; i++) {
		struct blk *b = &tm->blk[i];

		if (b->nalt == 0 && !b->any && seq_of(b->tag) > seq_of(b->dtag))
			b->dtag = b->tag;
	}
}

/* The disk's durable image holds, on every block, the durable floor or
 * a later write; settle: a power loss just happened, so the image is
 * what the LU shows from now on. */
static void durable_check(struct tm *tm, const char *when, bool settle)
{
	uint8_t *buf = malloc((size_t)SLOT_BLOCKS * BLOCK);

	nx_assert(buf != NULL);
	for (uint64_t lba = 0; lba < LU_BLOCKS; lba += SLOT_BLOCKS) {
		nx_sim_disk_read_durable(tm->disk, lba * BLOCK, buf,
					 (size_t)SLOT_BLOCKS * BLOCK);
		for (uint32_t i = 0; i < SLOT_BLOCKS; i++) {
			struct blk *b = &tm->blk[lba + i];
			uint64_t tag;

			if (!nx_scn_block_valid(buf + (size_t)i * BLOCK, lba + i, &tag))
				nx_scn_fail(tm->env, "%s: LBA %llu corrupt on the "
					    "medium", when, (unsigned long long)(lba + i));
			if (seq_of(tag) < seq_of(b->dtag))
				nx_scn_fail(tm->env, "%s: LBA %llu holds tag %016llx on "
					    "the medium, but tag %016llx was acknowledged "
					    "durable: acknowledged write lost", when,
					    (unsigned long long)(lba + i),
					    (unsigned long long)tag,
					    (unsigned long long)b->dtag);
			if (settle) {
				b->tag = b->dtag = tag;
				b->nalt = 0;
				b->any = false;
			}
		}
	}
	free(buf);
}

/* ---- sense and small helpers ----------------------------------------------------- */

static struct nx_ini_conn *conn_of(const struct nex *n)
{
	return nx_sim_ini_conn(n->si);
}

static bool nex_alive(const struct nex *n)
{
	return n->up && !n->need_relogin && n->si != NULL &&
	       !nx_ini_conn_is_dead(conn_of(n));
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

static bool ctl_ever(const struct tm *tm, bool (*pred)(const struct tm_ctl *))
{
	return ctl_any(tm, 0, TM_T_INF, pred);
}

static bool p_tas0(const struct tm_ctl *c) { return !c->tas; }
static bool p_tas1(const struct tm_ctl *c) { return c->tas; }
static bool p_qerr01(const struct tm_ctl *c) { return c->qerr == 1; }
static bool p_qerr11(const struct tm_ctl *c) { return c->qerr == 3; }
static bool p_intlck0(const struct tm_ctl *c) { return c->intlck == 0; }
static bool p_intlck_keep(const struct tm_ctl *c) { return c->intlck != 0; }
static bool p_intlck11(const struct tm_ctl *c) { return c->intlck == 3; }
static bool p_intlck_not11(const struct tm_ctl *c) { return c->intlck != 3; }

/* How a CHECK CONDITION reporting a UA, for a command sent at s,
 * affected the queue (UA_INTLCK_CTRL in effect meanwhile). */
static enum tm_clear cc_clear(const struct tm *tm, uint64_t s)
{
	bool zero = ctl_any(tm, s, now_ns(tm), p_intlck0);
	bool keep = ctl_any(tm, s, now_ns(tm), p_intlck_keep);

	if (zero && keep)
		return TM_CLEAR_MAYBE;
	return zero ? TM_CLEAR_YES : TM_CLEAR_NO;
}

static void ua_report(struct nex *n, uint8_t asc, uint8_t ascq,
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
static void ua_after_status(struct nex *n, uint8_t status, uint64_t s)
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
static void ua_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq,
		   bool sure)
{
	for (unsigned i = 0; i < tm->nnex; i++)
		if ((int)i != except && tm->nx[i].up)
			tm_ledger_establish(&tm->nx[i].ua, asc, ascq, sure);
}

static void ua_expect_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq)
{
	for (unsigned i = 0; i < tm->nnex; i++)
		if ((int)i != except && tm->nx[i].up)
			tm_ledger_expect(&tm->nx[i].ua, asc, ascq);
}

static void ua_confirm_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq)
{
	for (unsigned i = 0; i < tm->nnex; i++)
		if ((int)i != except && tm->nx[i].up &&
		    !tm->nx[i].ua.exact)
			tm_ledger_confirm(&tm->nx[i].ua, asc, ascq);
}

/* QErr 01b with TAS=0 (SPC-4 7.5.8 table 460): every CHECK CONDITION
 * aborts the other nexuses' tasks and gives each 2Fh/00h, so in a busy
 * step any number of them may come (each still cleared once). */
#define QERR_2F_MAX 4096u
static void allow_qerr_2f(struct tm *tm)
{
	if (!tm->st.busy || tm->st.unbounded_2f || !ctl_ever(tm, p_qerr01) ||
	    !ctl_ever(tm, p_tas0))
		return;
	tm->st.unbounded_2f = true;
	for (unsigned i = 0; i < tm->nnex; i++)
		if (tm->nx[i].up)
			tm_ledger_expect_n(&tm->nx[i].ua, 0x2f, 0x00, QERR_2F_MAX);
}

/* ---- model state: ALUA, reservations -------------------------------------------- */

static uint32_t alua_v(uint8_t state, uint8_t status)
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
		if (tm_hist_possible(h, alua_v(state, (uint8_t)st), s, r))
			return true;
	return false;
}

static bool alua_active_possible(const struct tm *tm, unsigned port,
				 uint64_t s, uint64_t r)
{
	return alua_state_possible(tm, port, AS_AO, s, r) ||
	       alua_state_possible(tm, port, AS_AN, s, r);
}

static uint32_t alua_now(const struct tm *tm, unsigned port)
{
	uint32_t v = 0;

	if (!tm_hist_settled(&tm->alua[port], now_ns(tm), &v))
		nx_assert(!"ALUA state not settled");
	return v;
}

static bool alua_active_now(const struct tm *tm, unsigned port)
{
	uint32_t st = alua_now(tm, port) & 0xff;

	return st == AS_AO || st == AS_AN;
}

static void alua_set(struct tm *tm, unsigned port, uint8_t state,
		     uint8_t status, uint64_t lo, uint64_t hi)
{
	tm_hist_change(&tm->alua[port], alua_v(state, status), lo, hi);
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
static bool conflict_possible(const struct tm *tm, unsigned nex, bool write)
{
	return pr_possible(&tm->pr, tm, nex, write) ||
	       pr_possible(&tm->pr0, tm, nex, write);
}

static bool conflict_certain(const struct tm *tm, unsigned nex, bool write)
{
	return pr_certain(&tm->pr, tm, nex, write) &&
	       pr_certain(&tm->pr0, tm, nex, write);
}

/* ---- background commands ------------------------------------------------------- */

static void rec_add(struct tm *tm, const struct bcmd *c, enum outcome o)
{
	struct rec *r;
	uint8_t key = 0, asc = 0, ascq = 0;

	if (tm->nrec == REC_MAX)
		nx_scn_fail(tm->env, "step %u: more than %u commands", tm->st.id,
			    REC_MAX);
	if (o == O_GOOD)
		nx_scn_sense_decode(c->req.sense, c->req.sense_len, &key, &asc, &ascq);
	r = &tm->rec[tm->nrec++];
	r->uid = c->uid;
	r->nex = (uint8_t)c->nx->idx;
	r->kind = (uint8_t)c->kind;
	r->outcome = (uint8_t)o;
	r->status = o == O_GOOD ? c->req.status : 0;
	r->key = key;
	r->asc = asc;
	r->ascq = ascq;
	r->s = c->s;
	r->r = now_ns(tm);
	r->order = ++tm->order;
}

static void cmd_release(struct bcmd *c)
{
	struct nex *n = c->nx;

	if (c->kind == K_READ || c->kind == K_WRITE)
		n->tm->slot_used[c->slot] = false;
	c->busy = false;
	c->limbo = false;
	c->queried = false;
	nx_assert(n->outstanding > 0);
	n->outstanding--;
	issue_schedule(n);
}

/* A write's effect on the shadow by its outcome. */
static void write_effect(struct tm *tm, const struct bcmd *c, enum outcome o)
{
	const struct nx_ini_scsi *r = &c->req;
	uint8_t key, asc, ascq;

	if (c->kind != K_WRITE)
		return;
	if (o != O_GOOD) {
		shadow_written(tm, c, true);
		return;
	}
	if (r->status == NX_STATUS_GOOD) {
		/* answered after a power loss it was sent before: without
		 * FUA it may be gone */
		shadow_written(tm, c, c->s < tm->power_loss_ns && !c->fua);
		return;
	}
	nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
	/* TASK ABORTED and MEDIUM ERROR: may have reached the medium;
	 * refusals (UA, NOT READY, BUSY, ACA ACTIVE, RESERVATION
	 * CONFLICT) never started it. */
	if (r->status == NX_STATUS_TASK_ABORTED ||
	    (r->status == NX_STATUS_CHECK_CONDITION && key == 0x03))
		shadow_written(tm, c, true);
}

/* What is checked at once: read data, UAs, and the CHECK CONDITION
 * bookkeeping that later checks need. */
static void cmd_answered(struct nex *n, struct bcmd *c)
{
	struct tm *tm = n->tm;
	struct nx_ini_scsi *r = &c->req;
	uint8_t key, asc, ascq;

	if (r->status == NX_STATUS_GOOD && c->kind == K_READ &&
	    c->s >= tm->power_loss_ns) {
		if (r->data_in_got != c->nblk * BLOCK)
			nx_scn_fail(tm->env, "nexus %u: READ got %u bytes of %u",
				    n->idx, r->data_in_got, c->nblk * BLOCK);
		shadow_check(tm, c->buf, c->lba, c->nblk, n->idx);
		tm->env->bytes += (uint64_t)c->nblk * BLOCK;
	}
	if (r->status == NX_STATUS_GOOD && c->kind == K_RSENSE) {
		nx_scn_sense_decode(c->buf, r->data_in_got, &key, &asc, &ascq);
		if (key == 0x06)
			ua_report(n, asc, ascq, TM_CLEAR_YES, "REQUEST SENSE");
		n->rs_owed = false;
	}
	if (r->status == NX_STATUS_CHECK_CONDITION) {
		tm->st.cc_by |= bit(n->idx);
		nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
		if (key == 0x06) {
			enum tm_clear clr = cc_clear(tm, c->s);
			ua_report(n, asc, ascq, clr, "CHECK CONDITION");
			if (clr != TM_CLEAR_YES)
				n->rs_owed = true;
		}
	}
	/* SPC-4 7.5.8 table 461, 11b: BUSY / RESERVATION CONFLICT leave a
	 * PREVIOUS ... STATUS UA behind. */
	if (r->status == NX_STATUS_BUSY ||
	    r->status == NX_STATUS_RESERVATION_CONFLICT)
		ua_after_status(n, r->status, c->s);
}

static void cmd_done(struct nx_ini_scsi *r)
{
	struct bcmd *c = r->priv;
	struct nex *n = c->nx;
	struct tm *tm = n->tm;
	enum outcome o = O_GOOD;

	if (!c->busy || c->limbo)
		nx_scn_fail(tm->env, "nexus %u: itt 0x%x completed twice", n->idx,
			    r->itt);
	if (r->err == NX_INI_ECONNRESET) {
		c->limbo = true;
		n->need_relogin = true;
		return;
	}
	n->last_progress_ns = now_ns(tm);
	tm->env->cmds++;
	if (r->err == NX_INI_EABORTED)
		o = c->queried ? O_VANISHED : O_ABORTED;
	else if (r->err != 0)
		nx_scn_fail(tm->env, "nexus %u: itt 0x%x: error %d", n->idx, r->itt,
			    r->err);
	if (o == O_GOOD)
		cmd_answered(n, c);
	write_effect(tm, c, o);
	rec_add(tm, c, o);
	cmd_release(c);
}

static bool slot_pick(struct nex *n, uint32_t *slot)
{
	struct tm *tm = n->tm;

	for (unsigned t = 0; t < 8; t++) {
		uint32_t s = (uint32_t)nx_rng_below(&n->rng, NSLOTS);

		if (!tm->slot_used[s]) {
			*slot = s;
			return true;
		}
	}
	return false;
}

static void cmd_submit(struct nex *n, struct bcmd *c)
{
	struct tm *tm = n->tm;
	int rc;

	c->req.lun = nx_ini_lun(0);
	c->req.attr = c->attr ? c->attr : NX_INI_ATTR_SIMPLE;
	c->attr = 0;
	c->req.done = cmd_done;
	c->req.priv = c;
	c->nx = n;
	c->busy = true;
	c->limbo = c->queried = false;
	c->s = now_ns(tm);
	c->uid = ++tm->uid;
	if (n->outstanding == 0)
		n->last_progress_ns = c->s;
	n->outstanding++;
	rc = nx_ini_scsi_submit(conn_of(n), &c->req);
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: submit: %d", n->idx, rc);
}

static bool issue_rw(struct nex *n, struct bcmd *c, bool write)
{
	struct tm *tm = n->tm;
	uint32_t slot;

	if (!slot_pick(n, &slot))
		return false;
	tm->slot_used[slot] = true;
	memset(&c->req, 0, sizeof(c->req));
	c->slot = slot;
	c->nblk = (uint32_t)nx_rng_range(&n->rng, 1, nx_rng_chance(&n->rng, 1, 3)
					 ? SLOT_BLOCKS : 16u);
	c->lba = (uint64_t)slot * SLOT_BLOCKS +
		 nx_rng_below(&n->rng, SLOT_BLOCKS - c->nblk + 1);
	c->kind = write ? K_WRITE : K_READ;
	c->fua = write && nx_rng_below(&n->rng, 100) < n->fua_pct;
	c->req.cdb[0] = write ? 0x2a : 0x28;
	if (c->fua)
		c->req.cdb[1] = 0x08;
	nx_put_be32(c->req.cdb + 2, (uint32_t)c->lba);
	nx_put_be16(c->req.cdb + 7, (uint16_t)c->nblk);
	c->req.cdb_len = 10;
	if (write) {
		c->tag = ((uint64_t)(n->idx + 1) << 56) | ++tm->wseq;
		for (uint32_t i = 0; i < c->nblk; i++)
			nx_scn_block_fill(c->buf + (size_t)i * BLOCK, c->tag, c->lba + i);
		c->req.data_out = c->buf;
		c->req.data_out_len = c->nblk * BLOCK;
	} else {
		c->req.data_in = c->buf;
		c->req.data_in_len = c->nblk * BLOCK;
	}
	cmd_submit(n, c);
	return true;
}

static void issue_simple(struct nex *n, struct bcmd *c, enum kind k)
{
	memset(&c->req, 0, sizeof(c->req));
	c->kind = k;
	c->nblk = 0;
	c->req.cdb_len = 6;
	if (k == K_RSENSE) {
		c->req.cdb[0] = 0x03;
		c->req.cdb[4] = 252;
		c->req.data_in = c->buf;
		c->req.data_in_len = 252;
	}
	cmd_submit(n, c);
}

static struct bcmd *free_cmd(struct nex *n)
{
	for (unsigned i = 0; i < n->qd; i++)
		if (!n->cmds[i].busy)
			return &n->cmds[i];
	return NULL;
}

static bool issue_one(struct nex *n)
{
	struct bcmd *c = free_cmd(n);
	uint64_t r;

	if (c == NULL || !n->tm->issuing || !nex_alive(n) ||
	    n->tm->st.issued >= BG_MAX)
		return false;
	n->tm->st.issued++;
	if (n->rs_owed) {
		n->rs_owed = false;
		issue_simple(n, c, K_RSENSE);
		return true;
	}
	r = nx_rng_below(&n->rng, n->w_read + n->w_write + n->w_tur);
	if (r < n->w_read)
		return issue_rw(n, c, false);
	if (r < n->w_read + n->w_write)
		return issue_rw(n, c, true);
	issue_simple(n, c, K_TUR);
	return true;
}

static void issue_event(void *arg)
{
	struct nex *n = arg;

	n->issue_ev = NX_SIM_EVENT_NONE;
	(void)issue_one(n);
	issue_schedule(n);
}

static void issue_schedule(struct nex *n)
{
	if (!n->tm->issuing || n->issue_ev != NX_SIM_EVENT_NONE ||
	    !nex_alive(n) || n->outstanding >= n->qd)
		return;
	n->issue_ev = nx_sim_schedule(n->tm->sim,
				      nx_rng_range(&n->rng, 5000, n->think_max_ns),
				      issue_event, n);
	nx_assert(n->issue_ev != NX_SIM_EVENT_NONE);
}

static void bg_start(struct tm *tm)
{
	tm->issuing = true;
	for (unsigned i = 0; i < tm->nnex; i++)
		issue_schedule(&tm->nx[i]);
}

static void bg_stop(struct tm *tm)
{
	tm->issuing = false;
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];

		if (n->issue_ev != NX_SIM_EVENT_NONE)
			nx_sim_cancel(tm->sim, n->issue_ev);
		n->issue_ev = NX_SIM_EVENT_NONE;
	}
}

/* ---- sessions ---------------------------------------------------------------------- */

static bool nex_try_login(struct tm *tm, struct nex *n)
{
	struct nx_ini_config cfg;
	struct nx_ini_login lg;
	char name[64];
	bool trans = tm->trans_pending;
	uint8_t trans_ascq = tm->trans_fail ? 0x07 : 0x06;
	int rc;

	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:sim.i%u", n->ini);
	nx_ini_config_init(&cfg, name, TGT_NAME);
	/* One initiator port per initiator: both paths share the ISID
	 * (SSID = ISID + TPGT, RFC 7143 4.4.3). */
	cfg.isid[0] = 0x80;
	cfg.isid[5] = (uint8_t)(n->ini + 1);
	n->sess = nx_ini_session_new(&cfg);
	if (n->sess == NULL)
		nx_scn_fail(tm->env, "nexus %u: session_new", n->idx);
	rc = nx_sim_ini_connect(tm->sim, tm->ihost[n->ini], TGT_IP,
				(uint16_t)(PORT0 + n->port), n->sess, 0, 2 * SEC,
				&n->si);
	if (rc == 0) {
		rc = nx_ini_sync_login(conn_of(n), &tm->drv, &lg);
		if (rc == 0 && lg.status_class != 0)
			rc = NX_INI_ELOGIN;
		if (rc != 0)
			nx_sim_ini_free(n->si);
	}
	if (rc != 0) {
		nx_log(NX_LOG_INFO, "scn: nx%u login failed: %d", n->idx, rc);
		nx_ini_session_free(n->sess);
		n->sess = NULL;
		n->si = NULL;
		return false;
	}
	/* SAM-5 6.3.2: a new I_T nexus starts with POWER ON OCCURRED. */
	tm_ledger_reset(&n->ua);
	tm_ledger_establish(&n->ua, 0x29, 0x00, true);
	if (tm->trans_pending) {
		/* the implicit transition under way ends with a UA to it too */
		tm_ledger_expect(&n->ua, 0x2a, tm->trans_fail ? 0x07 : 0x06);
		tm_ledger_confirm(&n->ua, 0x2a, tm->trans_fail ? 0x07 : 0x06);
	} else if (trans) {
		/* it ended while logging in: before or after this nexus
		 * existed at the target */
		tm_ledger_expect(&n->ua, 0x2a, trans_ascq);
	}
	n->up = true;
	n->need_relogin = false;
	n->rs_owed = false;
	n->last_progress_ns = now_ns(tm);
	n->logins++;
	nx_log(NX_LOG_INFO, "scn: nx%u (ini%u port %u) logged in, tsih %u",
	       n->idx, n->ini, n->port + 1, lg.tsih);
	return true;
}

/* After the re-login the old session's tasks are gone (RFC 7143 6.3.5):
 * what died with the connection is settled as "maybe ran". */
static void limbo_release(struct nex *n)
{
	for (unsigned i = 0; i < QD_MAX; i++) {
		struct bcmd *c = &n->cmds[i];

		if (!c->busy)
			continue;
		if (!c->limbo)
			nx_scn_fail(n->tm->env, "nexus %u: itt 0x%x neither completed "
				    "nor failed with its connection", n->idx,
				    c->req.itt);
		n->tm->st.cc_by |= bit(n->idx); /* it may have ended badly */
		n->tm->env->cmds++;
		write_effect(n->tm, c, O_CONNLOST);
		rec_add(n->tm, c, O_CONNLOST);
		cmd_release(c);
	}
}

static void nex_relogin(struct tm *tm, struct nex *n)
{
	unsigned tries = 0;

	nx_log(NX_LOG_INFO, "scn: nx%u logs in again", n->idx);
	if (n->si != NULL) {
		nx_sim_ini_free(n->si); /* fails what is outstanding: limbo */
		nx_ini_session_free(n->sess);
	}
	n->si = NULL;
	n->sess = NULL;
	n->up = false;
	while (!nex_try_login(tm, n)) {
		if (++tries == RELOGIN_TRIES)
			nx_scn_fail(tm->env, "nexus %u: no login possible for %u "
				    "tries", n->idx, tries);
		nx_sim_run_for(tm->sim, RELOGIN_BACKOFF_NS);
	}
	if (tm->st.busy) {
		tm_ledger_fuzz(&n->ua);
		if (tm->st.unbounded_2f)
			tm_ledger_expect_n(&n->ua, 0x2f, 0x00, QERR_2F_MAX);
	}
	limbo_release(n);
	tm->env->reconnects++;
	if (tm->aca_nex == n->idx)
		tm->aca_nex = NO_NEX; /* SAM-5 5.9.2.5: nexus loss clears it */
	issue_schedule(n);
}

static void relogin_needed(struct tm *tm)
{
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];

		if (!n->need_relogin && (n->si == NULL ||
					 !nx_ini_conn_is_dead(conn_of(n))))
			continue;
		/* nothing but a fault aimed at it (or at every path) or
		 * TARGET COLD RESET drops one: in particular re-instating one
		 * path's session (same ISID, other TPGT) leaves the other
		 * path's alone (RFC 7143 4.4.3: SSID = ISID + TPGT) */
		if (!(tm->st.lost & bit(i)) && !tm->st.cold)
			nx_scn_fail(tm->env, "step %u (%s): nexus %u (initiator %u "
				    "port %u) lost its connection and no fault or "
				    "reset explains it", tm->st.id,
				    act_names[tm->st.act], i, n->ini, n->port + 1);
		nex_relogin(tm, n);
	}
}

/* ---- quiet commands (nothing else in flight) ---------------------------------------- */

/* A synchronous command; false if the connection failed (the nexus is
 * then marked for a re-login). */
static bool qcmd(struct nex *n, const uint8_t *cdb, unsigned cdb_len,
		 enum nx_ini_dir dir, void *buf, uint32_t len, uint8_t attr,
		 struct nx_ini_scsi *r)
{
	struct tm *tm = n->tm;
	int rc;

	memset(r, 0, sizeof(*r));
	r->lun = nx_ini_lun(0);
	memcpy(r->cdb, cdb, cdb_len);
	r->cdb_len = (uint16_t)cdb_len;
	r->attr = attr;
	if (dir == NX_INI_DIR_READ) {
		r->data_in = buf;
		r->data_in_len = len;
	} else if (dir == NX_INI_DIR_WRITE) {
		r->data_out = buf;
		r->data_out_len = len;
	}
	rc = nx_ini_sync_cmd(conn_of(n), &tm->drv, r);
	if (rc == NX_INI_ECONNRESET || rc == NX_INI_ETIMEDOUT) {
		n->need_relogin = true;
		return false;
	}
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: CDB %02Xh: error %d", n->idx,
			    cdb[0], rc);
	tm->env->cmds++;
	return true;
}

/* With no UA pending, REQUEST SENSE through n answers 05/25/00 (SPC-4
 * 6.39: the LU is unavailable through this port). */
static bool rs_unavailable(const struct tm *tm, const struct nex *n)
{
	return (alua_now(tm, n->port) & 0xff) == AS_UN;
}

/* REQUEST SENSE: clears the head UA (any UA_INTLCK_CTRL).  Returns the
 * sense key (0xff: connection failed). */
static uint8_t q_request_sense(struct nex *n, uint8_t *asc, uint8_t *ascq)
{
	struct tm *tm = n->tm;
	struct nx_ini_scsi r;
	uint8_t buf[252], cdb[6] = { 0x03, 0, 0, 0, sizeof(buf), 0 }, key;

	if (nx_rng_chance(&n->rng, 1, 2))
		cdb[1] = 0x01; /* DESC */
	if (!qcmd(n, cdb, 6, NX_INI_DIR_READ, buf, sizeof(buf),
		  NX_INI_ATTR_SIMPLE, &r))
		return 0xff;
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: REQUEST SENSE status 0x%02x",
			    n->idx, r.status);
	nx_scn_sense_decode(buf, r.data_in_got, &key, asc, ascq);
	if ((buf[0] & 0x7f) != ((cdb[1] & 1) ? 0x72 : 0x70))
		nx_scn_fail(tm->env, "nexus %u: REQUEST SENSE DESC=%u answered "
			    "response code %02Xh", n->idx, cdb[1] & 1, buf[0]);
	if (key == 0x06) {
		ua_report(n, *asc, *ascq, TM_CLEAR_YES, "REQUEST SENSE");
		return key;
	}
	if (rs_unavailable(tm, n) ? !(key == 5 && *asc == 0x25) : key != 0)
		nx_scn_fail(tm->env, "nexus %u: REQUEST SENSE: %X/%02Xh/%02Xh, "
			    "port group state %u", n->idx, key, *asc, *ascq,
			    alua_now(tm, n->port) & 0xff);
	/* SAM-5 5.14: REQUEST SENSE reports a pending UA before anything
	 * else (core/spc.c), so nothing is pending now */
	if (!tm->st.busy && !tm->trans_pending) {
		char why[400];

		if (!tm_ledger_drained(&n->ua, why, sizeof(why)))
			nx_scn_fail(tm->env, "step %u (%s): nexus %u, REQUEST SENSE "
				    "%X/%02Xh/%02Xh: %s", tm->st.id,
				    act_names[tm->st.act], n->idx, key, *asc, *ascq,
				    why);
	}
	return key;
}

/* A command that may meet UAs first: each is checked against the
 * ledger, kept ones are cleared with REQUEST SENSE, and the command is
 * sent again.  *r is the first answer that is not a UA.  False if the
 * connection failed. */
static bool qcmd_ua(struct nex *n, const uint8_t *cdb, unsigned cdb_len,
		    enum nx_ini_dir dir, void *buf, uint32_t len, uint8_t attr,
		    struct nx_ini_scsi *r)
{
	struct tm *tm = n->tm;
	uint8_t key, asc, ascq, a2, q2;

	for (unsigned tries = 0; tries < DRAIN_TRIES; tries++) {
		uint64_t s = now_ns(tm);

		if (!qcmd(n, cdb, cdb_len, dir, buf, len, attr, r))
			return false;
		nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
		if (r->status != NX_STATUS_CHECK_CONDITION || key != 0x06)
			return true;
		enum tm_clear clr = cc_clear(tm, s);
		ua_report(n, asc, ascq, clr, "CHECK CONDITION");
		if (clr != TM_CLEAR_YES) {
			key = q_request_sense(n, &a2, &q2);
			if (key == 0xff)
				return false;
		}
	}
	nx_scn_fail(tm->env, "nexus %u: CDB %02Xh: unit attentions without end",
		    n->idx, cdb[0]);
}

/* ---- TMFs --------------------------------------------------------------------------- */

struct tmf_wait {
	struct tm *tm;
	bool done;
};

/* The answer's place in the order of completions (tm->order), taken in
 * the callback: answers read from the same segment after it come later. */
static void q_tmf_done(struct nx_ini_tmf *t)
{
	struct tmf_wait *w = t->priv;

	w->done = true;
	w->tm->tmf_order = ++w->tm->order;
}

/* TMF, waiting for its answer while everything else goes on; false if
 * the connection failed. */
static bool q_tmf(struct nex *n, struct nx_ini_tmf *t, uint8_t fn,
		  const struct bcmd *ref)
{
	struct tm *tm = n->tm;
	struct tmf_wait w = { .tm = tm };
	int rc;

	memset(t, 0, sizeof(*t));
	t->function = fn;
	t->lun = nx_ini_lun(0);
	t->ref_itt = 0xffffffffu;
	if (ref != NULL)
		nx_ini_tmf_ref(t, &ref->req);
	tm->n_tmf[fn]++;
	tm->env->tmfs++;
	nx_log(NX_LOG_INFO, "scn: nx%u TMF %u%s", n->idx, fn,
	       ref != NULL ? " (referenced task)" : "");
	t->done = q_tmf_done;
	t->priv = &w;
	rc = nx_ini_tmf_submit(conn_of(n), t);
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: TMF %u submit: %d", n->idx, fn, rc);
	for (uint32_t steps = 0; !w.done; steps++) {
		if (steps == SYNC_STEPS || !nx_sim_step(tm->sim)) {
			nx_ini_cancel(nx_ini_conn_session(conn_of(n)), t->itt);
			break;
		}
	}
	rc = t->err;
	if (rc == NX_INI_ECONNRESET || rc == NX_INI_ECANCELED) {
		n->need_relogin = true;
		nx_log(NX_LOG_INFO, "scn: nx%u TMF %u lost: %d", n->idx, fn, rc);
		return false;
	}
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: TMF %u: error %d", n->idx, fn, rc);
	nx_log(NX_LOG_INFO, "scn: nx%u TMF %u response %u", n->idx, fn,
	       t->response);
	if (t->response == NX_INI_TMF_RSP_SUCCEEDED)
		tm->n_tmf_succeeded++;
	n->last_progress_ns = now_ns(tm);
	return true;
}

static void tmf_expect_response(struct tm *tm, const struct nex *n, uint8_t fn,
				const struct nx_ini_tmf *t, uint8_t want)
{
	if (t->response != want)
		nx_scn_fail(tm->env, "nexus %u: TMF %u answered %u, expected %u",
			    n->idx, fn, t->response, want);
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
		    tm->st.id, act_names[tm->st.act], tm->st.busy ? ", busy" : "",
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
		if ((swept_by_other(tm, nx) && ctl_ever(tm, p_tas0)) ||
		    (ctl_ever(tm, p_qerr01) && st->cc_by) ||
		    (ctl_ever(tm, p_qerr11) && (st->cc_by & bit(nx))))
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
		if (ctl_ever(tm, p_tas1) &&
		    (swept_by_other(tm, nx) ||
		     (ctl_ever(tm, p_qerr01) && (st->cc_by & ~bit(nx)))))
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
		    !conflict_possible(tm, nx, r->kind == K_WRITE))
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

	if (!st->busy || st->cts_by == 0 || ctl_ever(tm, p_tas1) ||
	    ctl_ever(tm, p_qerr01) || ctl_ever(tm, p_qerr11))
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

static void judge_step(struct tm *tm)
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

	if (!nex_alive(n))
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

static void target_build(struct tm *tm);
static void model_target_fresh(struct tm *tm);

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
		durable_check(tm, "after power loss", true);
	}
	target_build(tm);
	model_target_fresh(tm);
	nx_scn_pr_restart(&tm->pr); /* SPC-4 5.12.4: what APTPL keeps */
	tm->env->faults_n[power ? NX_SCN_FAULT_POWER : NX_SCN_FAULT_CRASH]++;
}

static bool fault_on(const struct tm *tm, enum nx_scn_fault k)
{
	return (tm->env->faults_used & (1u << k)) != 0;
}

static void fault_inject(struct tm *tm)
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

static void heal_all(struct tm *tm)
{
	nx_scn_heal_all(&tm->heal);
}

/* ---- the target ----------------------------------------------------------------------- */

static void target_build(struct tm *tm)
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

/* What a freshly built target holds: mode pages at their defaults
 * (saved pages live in memory), ALUA groups at their initial states, no
 * ACA; every I_T nexus is new. */
static void model_target_fresh(struct tm *tm)
{
	struct tm_ctl def = { .qerr = 0, .intlck = 0, .tas = true, .dsense = false };

	tm->ctl_saved = def;
	tm_hist_change(&tm->ctl, tm_ctl_pack(&def), now_ns(tm), now_ns(tm));
	for (unsigned p = 0; p < PORTS; p++)
		alua_set(tm, p, AS_AO, ST_NONE, now_ns(tm), now_ns(tm));
	tm->aca_nex = NO_NEX;
}

/* ---- actions --------------------------------------------------------------------------- */

static struct nex *pick_nex(struct tm *tm, struct nx_rng *r)
{
	unsigned live[NEX_MAX], n = 0;

	for (unsigned i = 0; i < tm->nnex; i++)
		if (nex_alive(&tm->nx[i]))
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
static void tmf_begin(struct tm *tm, struct nex *n, uint8_t fn)
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
		allow_qerr_2f(tm);
	}
	if (!st->busy)
		return;
	if (fn == NX_INI_TMF_CLEAR_TASK_SET && ctl_ever(tm, p_tas0))
		ua_expect_all(tm, (int)n->idx, 0x2f, 0x00);
	if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET)
		ua_expect_all(tm, -1, 0x29, 0x03);
	if (fn == NX_INI_TMF_TARGET_WARM_RESET)
		ua_expect_all(tm, -1, 0x29, 0x02);
	if (fn == NX_INI_TMF_TARGET_COLD_RESET)
		ua_expect_all(tm, -1, 0x29, 0x01);
	if (fn == NX_INI_TMF_I_T_NEXUS_RESET)
		tm_ledger_expect(&n->ua, 0x29, 0x07);
}

/* The TMF ran (sure) or may have (!sure): SAM-5 6.3, SPC-4 7.5.1. */
static void reset_effects(struct tm *tm, struct nex *n, uint8_t fn, bool sure)
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
			ua_all(tm, -1, 0x29, 0x03, true);
		if (fn == NX_INI_TMF_TARGET_WARM_RESET)
			ua_all(tm, -1, 0x29, 0x02, true);
		if (fn == NX_INI_TMF_I_T_NEXUS_RESET)
			tm_ledger_establish(&n->ua, 0x29, 0x07, true);
		return;
	}
	if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET)
		ua_confirm_all(tm, -1, 0x29, 0x03);
	if (fn == NX_INI_TMF_TARGET_WARM_RESET)
		ua_confirm_all(tm, -1, 0x29, 0x02);
	if (fn == NX_INI_TMF_I_T_NEXUS_RESET)
		tm_ledger_confirm(&n->ua, 0x29, 0x07);
}

/* RFC 7143 11.5.1: after TARGET COLD RESET the target closes every
 * connection of every initiator.  Each must die on its own. */
static void cold_reset_wait(struct tm *tm)
{
	uint64_t deadline = now_ns(tm) + 10 * SEC;

	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];

		while (n->si != NULL && !nx_ini_conn_is_dead(conn_of(n)) &&
		       now_ns(tm) < deadline)
			if (!nx_sim_step(tm->sim))
				break;
		if (n->si != NULL && !nx_ini_conn_is_dead(conn_of(n)) &&
		    !tm->st.fault)
			nx_scn_fail(tm->env, "TARGET COLD RESET: nexus %u's "
				    "connection still open (RFC 7143 11.5.1)", i);
		n->need_relogin = true;
		n->up = false;
		tm->st.lost |= bit(i);
	}
}

static void act_tmf(struct tm *tm, enum action a)
{
	struct step *st = &tm->st;
	struct nex *n = pick_nex(tm, &tm->rng);
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
	tmf_begin(tm, n, fn);
	if (!q_tmf(n, &t, fn, ref)) {
		reset_effects(tm, n, fn, false);
		st->qt_uid = 0;
		st->qts_n = 0;
		st->qt_fn = 0;
		if (fn == NX_INI_TMF_TARGET_COLD_RESET)
			cold_reset_wait(tm);
		return;
	}
	st->qt_rsp = t.response;
	st->qt_order = tm->tmf_order;
	if (fn == NX_INI_TMF_ABORT_TASK) {
		if (t.response != NX_INI_TMF_RSP_COMPLETE &&
		    t.response != NX_INI_TMF_RSP_NO_TASK)
			tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	} else if (fn == NX_INI_TMF_QUERY_TASK || fn == NX_INI_TMF_QUERY_TASK_SET) {
		if (t.response != NX_INI_TMF_RSP_COMPLETE &&
		    t.response != NX_INI_TMF_RSP_SUCCEEDED)
			tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	} else {
		tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	}
	if (!st->busy && fn == NX_INI_TMF_QUERY_TASK_SET)
		tmf_expect_response(tm, n, fn, &t, NX_INI_TMF_RSP_COMPLETE);
	reset_effects(tm, n, fn, true);
	if (fn == NX_INI_TMF_TARGET_COLD_RESET)
		cold_reset_wait(tm);
}

/* ---- ACA (SAM-5 5.9.2) ----------------------------------------------------------------- */

/* One TEST UNIT READY, exactly judged, with the NACA bit and the task
 * attribute given; quiet or not, the ACA gate answers before UAs. */
static bool aca_probe(struct tm *tm, struct nex *n, bool naca, uint8_t attr,
		      struct nx_ini_scsi *r)
{
	uint8_t cdb[6] = { 0 };

	if (naca)
		cdb[5] = 0x04;
	return qcmd(n, cdb, 6, NX_INI_DIR_NONE, NULL, 0, attr, r);
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
		ua_after_status(n, NX_STATUS_BUSY, s);
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

		if (!nex_alive(o) || !nx_rng_chance(&tm->rng, 1, 2))
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
		enum tm_clear clr = cc_clear(tm, s);
		ua_report(x, asc, ascq, clr, "ACA task");
		tm->aca_nex = NO_NEX;
		if (clr != TM_CLEAR_YES)
			x->rs_owed = true;
		return true;
	}
	if (r.status == NX_STATUS_CHECK_CONDITION && key == 0x02 &&
	    asc == 0x04 && !alua_active_now(tm, x->port)) {
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
	if (!qcmd(x, cdb, 10, NX_INI_DIR_READ, buf, BLOCK, NX_INI_ATTR_SIMPLE, &r))
		return false;
	tm->st.cc_by |= bit(x->idx);
	nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
	if (r.status == NX_STATUS_RESERVATION_CONFLICT &&
	    conflict_possible(tm, x->idx, false)) {
		ua_after_status(x, r.status, s);
		return true; /* no CHECK CONDITION, no ACA */
	}
	if (r.status != NX_STATUS_CHECK_CONDITION)
		nx_scn_fail(tm->env, "READ past the end with NACA=1: status 0x%02x",
			    r.status);
	if (key == 0x06) {
		enum tm_clear clr = cc_clear(tm, s);
		ua_report(x, asc, ascq, clr, "NACA command");
		if (clr != TM_CLEAR_YES)
			x->rs_owed = true;
	} else if (key == 0x02 && asc == 0x04) {
		if (!tm->st.busy && alua_active_now(tm, x->port))
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
	struct nex *o = pick_nex(tm, &tm->rng);
	unsigned how = (unsigned)nx_rng_below(&tm->rng, 8);

	if (how == 6 || how == 7) {
		uint8_t fn = how == 6 ? NX_INI_TMF_LOGICAL_UNIT_RESET
				      : NX_INI_TMF_TARGET_WARM_RESET;
		if (o == NULL)
			return;
		tmf_begin(tm, o, fn);
		if (q_tmf(o, &t, fn, NULL)) {
			tmf_expect_response(tm, o, fn, &t, NX_INI_TMF_RSP_COMPLETE);
			reset_effects(tm, o, fn, true);
		} else {
			reset_effects(tm, o, fn, false);
		}
		return;
	}
	if (how >= 3 && o != NULL && o != x) {
		if (!q_tmf(o, &t, NX_INI_TMF_CLEAR_ACA, NULL))
			return;
		tmf_expect_response(tm, o, NX_INI_TMF_CLEAR_ACA, &t,
				    NX_INI_TMF_RSP_COMPLETE);
		if (tm->aca_nex != NO_NEX && !aca_gate_checks(tm, x))
			return;
	}
	if (!nex_alive(x))
		return;
	if (!q_tmf(x, &t, NX_INI_TMF_CLEAR_ACA, NULL))
		return;
	tmf_expect_response(tm, x, NX_INI_TMF_CLEAR_ACA, &t,
			    NX_INI_TMF_RSP_COMPLETE);
	reset_effects(tm, x, NX_INI_TMF_CLEAR_ACA, true);
}

static void act_aca(struct tm *tm)
{
	struct nex *x = pick_nex(tm, &tm->rng);

	if (x == NULL || !aca_establish(tm, x) || tm->aca_nex == NO_NEX)
		return;
	if (!tm->st.busy && !aca_gate_checks(tm, x))
		return;
	if (tm->st.busy)
		nx_sim_run_for(tm->sim, nx_rng_range(&tm->rng, 10 * US, 2 * MS));
	if (nx_rng_chance(&tm->rng, 1, 2) && nex_alive(x) &&
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
	struct bcmd *c = free_cmd(n);

	if (c == NULL)
		return;
	c->attr = attr;
	if (!issue_rw(n, c, false))
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
		if (c == NULL || !q_tmf(n, &t, NX_INI_TMF_QUERY_TASK, c))
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
	if (!qcmd(a, cdb, 10, NX_INI_DIR_READ, buf, BLOCK, NX_INI_ATTR_SIMPLE, &r))
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
	if (!qcmd(p->a, cdb, 10, NX_INI_DIR_READ, buf, BLOCK, NX_INI_ATTR_SIMPLE,
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
			if (!q_tmf(n, &t, NX_INI_TMF_QUERY_TASK, c))
				return false;
			tmf_expect_response(tm, n, NX_INI_TMF_QUERY_TASK, &t,
					    NX_INI_TMF_RSP_SUCCEEDED);
		}
	}
	if (!q_tmf(p->a, &t, NX_INI_TMF_CLEAR_ACA, NULL))
		return false;
	tmf_expect_response(tm, p->a, NX_INI_TMF_CLEAR_ACA, &t,
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
	tmf_begin(tm, p->a, NX_INI_TMF_LOGICAL_UNIT_RESET);
	memset(&lur, 0, sizeof(lur));
	lur.function = NX_INI_TMF_LOGICAL_UNIT_RESET;
	lur.lun = nx_ini_lun(0);
	lur.ref_itt = 0xffffffffu;
	lur.done = park_tmf_done;
	lur.priv = &done;
	tm->n_tmf[NX_INI_TMF_LOGICAL_UNIT_RESET]++;
	if (nx_ini_tmf_submit(conn_of(p->a), &lur) != 0)
		nx_scn_fail(tm->env, "LUR submit");
	for (unsigned tries = 0;; tries++) {
		if (tries == 64)
			nx_scn_fail(tm->env, "LOGICAL UNIT RESET of nexus %u never "
				    "reached nexus %u's tasks", p->a->idx, p->b->idx);
		if (!q_tmf(p->b, &t, NX_INI_TMF_QUERY_TASK, c))
			return false;
		if (t.response == NX_INI_TMF_RSP_COMPLETE)
			break;
	}
	if (done)
		nx_scn_fail(tm->env, "LOGICAL UNIT RESET answered before the tasks "
			    "it aborted left the backstore (SAM-5 7.7)");
	reset_effects(tm, p->a, NX_INI_TMF_LOGICAL_UNIT_RESET, true);
	tm->st.fault = true;
	tm->st.lost |= bit(p->a->idx);
	nx_sim_stream_reset(nx_sim_ini_stream(p->a->si));
	p->a->need_relogin = true;
	relogin_needed(tm);
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
		relogin_needed(tm);
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
	tmf_begin(tm, n, fn[p->trig]);
	tm->st.cold |= p->trig == PT_COLD;
	if (!q_tmf(n, &t, fn[p->trig], ref))
		return false;
	tmf_expect_response(tm, n, fn[p->trig], &t,
			    p->trig == PT_QTS ? NX_INI_TMF_RSP_SUCCEEDED
					      : NX_INI_TMF_RSP_COMPLETE);
	reset_effects(tm, n, fn[p->trig], true);
	if (p->trig == PT_COLD) {
		cold_reset_wait(tm);
		relogin_needed(tm);
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

static void act_parked(struct tm *tm)
{
	struct park p;
	uint32_t v;

	/* half the time QErr / TAS / UA_INTLCK_CTRL drawn afresh first (the
	 * defaults would dominate), their 2Ah/01h drained */
	if (nx_rng_chance(&tm->rng, 1, 2)) {
		act_modesel(tm);
		for (unsigned i = 0; i < tm->nnex; i++)
			probe_drain(tm, &tm->nx[i]);
	}
	memset(&p, 0, sizeof(p));
	p.a = pick_reader(tm, true, false);
	p.b = pick_reader(tm, true, false);
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
		settle(tm);
		return;
	}
	settle(tm);
	park_judge(tm, &p);
}

/* ---- control mode page -------------------------------------------------------------- */

static bool mode_sense_ctl(struct tm *tm, struct nex *n, uint8_t pc,
			   uint8_t *page)
{
	uint8_t cdb[10] = { 0x5a, 0x08 /* DBD */, (uint8_t)(pc << 6 | 0x0a) };
	uint8_t buf[64];
	struct nx_ini_scsi r;

	nx_put_be16(cdb + 7, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	if (!qcmd_ua(n, cdb, 10, NX_INI_DIR_READ, buf, sizeof(buf),
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
static struct nex *pick_reader(struct tm *tm, bool active, bool write)
{
	unsigned v[NEX_MAX], k = 0;

	for (unsigned i = 0; i < tm->nnex; i++) {
		uint32_t st = alua_now(tm, tm->nx[i].port) & 0xff;
		bool ok = active ? (st == AS_AO || st == AS_AN)
				 : (st == AS_AO || st == AS_AN || st == AS_SB);

		if (nex_alive(&tm->nx[i]) && ok && !conflict_possible(tm, i, write))
			v[k++] = i;
	}
	return k ? &tm->nx[v[nx_rng_below(&tm->rng, k)]] : NULL;
}

static void act_modesel(struct tm *tm)
{
	struct nex *n = pick_reader(tm, false, true);
	struct tm_ctl cur, want;
	uint8_t page[12], buf[20] = { 0 }, cdb[10] = { 0x55, 0x10 };
	static const uint8_t qerr[3] = { 0, 1, 3 }, intlck[3] = { 0, 2, 3 };
	struct nx_ini_scsi r;
	uint64_t s;

	uint32_t v;

	if (n == NULL || !tm_hist_settled(&tm->ctl, now_ns(tm), &v))
		return;
	if (!mode_sense_ctl(tm, n, 0, page))
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
	if (!qcmd_ua(n, cdb, 10, NX_INI_DIR_WRITE, buf, sizeof(buf),
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
		ua_all(tm, (int)n->idx, 0x2a, 0x01, true);
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
	if ((alua_now(tm, p) & 0xff) != AS_TR)
		return;
	alua_set(tm, p, to, ST_IMPLICIT, now_ns(tm), now_ns(tm));
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
static void act_alua_implicit(struct tm *tm)
{
	unsigned p = (unsigned)nx_rng_below(&tm->rng, PORTS);
	uint8_t to = pick_state(&tm->rng);
	bool delay = !tm->trans_pending && nx_rng_chance(&tm->rng, 1, 2);
	uint64_t d = delay ? nx_rng_range(&tm->rng, 100 * US, 20 * MS) : 0;
	bool fail = delay && nx_rng_chance(&tm->rng, 1, 6);
	uint32_t before = alua_now(tm, p);

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
		alua_set(tm, p, to, ST_IMPLICIT, now_ns(tm), now_ns(tm));
		ua_all(tm, -1, 0x2a, 0x06, true);
		return;
	}
	alua_set(tm, p, AS_TR, ST_IMPLICIT, now_ns(tm), now_ns(tm));
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
static void act_alua_stpg(struct tm *tm)
{
	struct nex *n = pick_nex(tm, &tm->rng);
	uint8_t buf[4 + 4 * PORTS] = { 0 }, cdb[12] = { 0xa4, 0x0a };
	uint8_t to[PORTS];
	unsigned nd = 0;
	bool changed = false;
	struct nx_ini_scsi r;
	uint64_t s;

	if (n == NULL || (alua_now(tm, n->port) & 0xff) == AS_TR ||
	    conflict_possible(tm, n->idx, true))
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
	if (!qcmd_ua(n, cdb, 12, NX_INI_DIR_WRITE, buf, 4 + 4 * nd,
		     NX_INI_ATTR_SIMPLE, &r))
		return;
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: SET TARGET PORT GROUPS: status "
			    "0x%02x", n->idx, r.status);
	for (unsigned k = 0; k < nd; k++) {
		unsigned p = nx_get_be16(buf + 4 + 4 * k + 2) - 1u;
		if ((alua_now(tm, p) & 0xff) == to[p])
			continue;
		alua_set(tm, p, to[p], ST_EXPLICIT, s, now_ns(tm));
		changed = true;
	}
	/* SPC-4 5.16.2.5: 2A/06 to every I_T nexus but the one that asked */
	if (changed)
		ua_all(tm, (int)n->idx, 0x2a, 0x06, true);
	nx_log(NX_LOG_INFO, "scn: nx%u STPG %u descriptors", n->idx, nd);
}

/* ---- reservations ------------------------------------------------------------------------- */

static void act_pr(struct tm *tm)
{
	unsigned p = (unsigned)nx_rng_below(&tm->rng, NX_SCN_PR_INI);
	struct nex *n = &tm->nx[tm->pr_nex[p]];
	struct nx_scn_pr_cmd pc;
	struct nx_ini_scsi r;
	uint8_t buf[NX_SCN_PR_PARAM_MAX + NX_SCN_PR_DATA_IN_MAX];
	uint8_t key, asc, ascq;
	enum nx_scn_pr_outcome o = NX_SCN_PR_GOOD;
	char why[512];
	uint32_t st = alua_now(tm, n->port) & 0xff;

	/* PERSISTENT RESERVE IN / OUT are allowed in standby, not
	 * unavailable or transitioning (SPC-4 5.16.2.4.4) */
	if (!nex_alive(n) || st == AS_UN || st == AS_TR ||
	    !nx_scn_pr_pick(&tm->pr, p, &tm->rng, &pc))
		return;
	nx_log(NX_LOG_INFO, "scn: nx%u %s", n->idx, pc.name);
	if (pc.out)
		memcpy(buf, pc.param, pc.param_len);
	if (!qcmd_ua(n, pc.cdb, sizeof(pc.cdb),
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

/* ---- settling a busy step ------------------------------------------------------------- */

static bool all_quiet(void *arg)
{
	struct tm *tm = arg;

	for (unsigned i = 0; i < tm->nnex; i++) {
		const struct nex *n = &tm->nx[i];

		if (n->outstanding || n->need_relogin)
			return false;
		if (n->si != NULL && nx_ini_conn_is_dead(conn_of(n)))
			return false;
	}
	return true;
}

/* Some nexus has work out and nothing came back for SETTLE_QUIET_NS: ask
 * the target about each task (QUERY TASK, SAM-5 7.8).  Those not in the
 * task set any more were aborted silently (TAS=0 by another nexus, or
 * QErr): ABORT TASK SET makes the initiator let go of them (RFC 7143
 * 11.5.1: every task before it is answered by its response). */
static void settle_ask(struct tm *tm, struct nex *n)
{
	struct nx_ini_tmf t;
	unsigned gone = 0, open = 0;

	for (unsigned i = 0; i < n->qd; i++) {
		struct bcmd *c = &n->cmds[i];

		if (!c->busy || c->limbo || !c->req.sent)
			continue;
		if (c->queried) {
			gone++;
			continue;
		}
		if (!q_tmf(n, &t, NX_INI_TMF_QUERY_TASK, c))
			return;
		if (!c->busy)
			continue; /* its response came first */
		if (t.response == NX_INI_TMF_RSP_SUCCEEDED) {
			open++; /* still in the task set: wait for it */
			continue;
		}
		tmf_expect_response(tm, n, NX_INI_TMF_QUERY_TASK, &t,
				    NX_INI_TMF_RSP_COMPLETE);
		c->queried = true;
		gone++;
		nx_log(NX_LOG_INFO, "scn: nx%u itt 0x%x gone without a response",
		       n->idx, c->req.itt);
	}
	/* once only the gone ones are left, nothing else is aborted */
	if (gone == 0 || open != 0)
		return;
	tm->st.own_by |= bit(n->idx);
	if (q_tmf(n, &t, NX_INI_TMF_ABORT_TASK_SET, NULL))
		tmf_expect_response(tm, n, NX_INI_TMF_ABORT_TASK_SET, &t,
				    NX_INI_TMF_RSP_COMPLETE);
}

/* An ACA left behind (its clearing TMF lost with a connection) is
 * cleared by the faulted nexus now. */
static void settle_aca(struct tm *tm)
{
	struct nx_ini_tmf t;
	struct nex *x;

	if (tm->aca_nex == NO_NEX)
		return;
	x = &tm->nx[tm->aca_nex];
	if (!nex_alive(x))
		return;
	if (q_tmf(x, &t, NX_INI_TMF_CLEAR_ACA, NULL)) {
		tmf_expect_response(tm, x, NX_INI_TMF_CLEAR_ACA, &t,
				    NX_INI_TMF_RSP_COMPLETE);
		tm->aca_nex = NO_NEX;
	}
}

/* After a fault a connection with nothing outstanding may have died
 * unnoticed (a long partition): a NOP-Out finds out while the step's
 * fault still explains it (RFC 7143 11.18). */
static void ping_all(struct tm *tm)
{
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];
		bool match = false;

		if (nex_alive(n) &&
		    nx_ini_sync_nop(conn_of(n), &tm->drv, "ping", 4, &match) != 0)
			n->need_relogin = true;
	}
	relogin_needed(tm);
}

static bool settled(void *arg)
{
	const struct tm *tm = arg;

	return all_quiet(arg) && !tm->heal.cut && !tm->heal.disk_faulty;
}

/* Until nothing is in flight, no fault is active and no ACA is left.
 * A nexus whose work stopped moving is asked about it (settle_ask). */
static void settle(struct tm *tm)
{
	uint64_t deadline = now_ns(tm) + SETTLE_MAX_NS;

	bg_stop(tm);
	for (;;) {
		relogin_needed(tm);
		settle_aca(tm);
		if (settled(tm) && tm->aca_nex == NO_NEX)
			break;
		if (now_ns(tm) >= deadline)
			nx_scn_fail(tm->env, "step %u: work still outstanding %llu ns "
				    "after the step: task lost", tm->st.id,
				    (unsigned long long)SETTLE_MAX_NS);
		uint64_t to = now_ns(tm) + SETTLE_QUIET_NS;
		if (!nx_sim_run_until(tm->sim, settled, tm, to) && now_ns(tm) < to)
			nx_sim_run_to(tm->sim, to);
		if (all_quiet(tm) || tm->heal.cut)
			continue;
		for (unsigned i = 0; i < tm->nnex; i++) {
			struct nex *n = &tm->nx[i];
			if (nex_alive(n) && n->outstanding &&
			    now_ns(tm) - n->last_progress_ns >= SETTLE_QUIET_NS)
				settle_ask(tm, n);
		}
	}
	if (tm->st.fault)
		ping_all(tm);
}

/* ---- probing: exact checks with nothing in flight ------------------------------------------ */

static void probe_qae(struct tm *tm, struct nex *n)
{
	struct nx_ini_tmf t;
	unsigned may = tm_ledger_qae(&n->ua);
	char d[160];

	if (!q_tmf(n, &t, NX_INI_TMF_QUERY_ASYNC_EVENT, NULL))
		return;
	/* SAM-5 7.10: FUNCTION SUCCEEDED when a UA is pending */
	if ((t.response == NX_INI_TMF_RSP_COMPLETE && (may & 1)) ||
	    (t.response == NX_INI_TMF_RSP_SUCCEEDED && (may & 2)))
		return;
	tm_ledger_describe(&n->ua, d, sizeof(d));
	nx_scn_fail(tm->env, "nexus %u: QUERY ASYNCHRONOUS EVENT answered %u, "
		    "the model's unit attentions: [%s]", n->idx, t.response, d);
}

/* TEST UNIT READY / REQUEST SENSE until nothing is pending: each UA in
 * the model's order; then the asymmetric access state through the port
 * (SPC-4 5.16.2.4: TEST UNIT READY is NOT READY unless active). */
static void probe_drain(struct tm *tm, struct nex *n)
{
	struct nx_ini_scsi r;
	uint8_t tur[6] = { 0 }, key, asc, ascq;
	char why[400];
	uint32_t st;

	for (unsigned tries = 0; tries < DRAIN_TRIES; tries++) {
		uint64_t s = now_ns(tm);

		if (!nex_alive(n))
			return;
		if (!qcmd(n, tur, 6, NX_INI_DIR_NONE, NULL, 0, NX_INI_ATTR_SIMPLE, &r))
			return;
		nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
		if (r.status == NX_STATUS_CHECK_CONDITION && key == 0x06) {
			enum tm_clear clr = cc_clear(tm, s);
			ua_report(n, asc, ascq, clr, "TEST UNIT READY");
			if (clr != TM_CLEAR_YES) {
				if (q_request_sense(n, &asc, &ascq) == 0xff)
					return;
			}
			continue;
		}
		st = alua_now(tm, n->port) & 0xff;
		if (r.status == NX_STATUS_GOOD ? !(st == AS_AO || st == AS_AN)
		    : !(r.status == NX_STATUS_CHECK_CONDITION && key == 0x02 &&
			asc == 0x04 &&
			ascq == (st == AS_SB ? 0x0b : st == AS_UN ? 0x0c : 0x0a) &&
			st != AS_AO && st != AS_AN))
			nx_scn_fail(tm->env, "nexus %u: TEST UNIT READY status 0x%02x "
				    "%X/%02Xh/%02Xh, port group %u state %u", n->idx,
				    r.status, key, asc, ascq, n->port + 1, st);
		if (!tm_ledger_drained(&n->ua, why, sizeof(why)))
			nx_scn_fail(tm->env, "step %u (%s): nexus %u: %s", tm->st.id,
				    act_names[tm->st.act], n->idx, why);
		return;
	}
	nx_scn_fail(tm->env, "nexus %u: unit attentions without end", n->idx);
}

/* REPORT TARGET PORT GROUPS (SPC-4 6.37) through n: each group's state,
 * STATUS CODE and port as the model says. */
static void probe_rtpg(struct tm *tm, struct nex *n)
{
	uint8_t cdb[12] = { 0xa3, 0x0a }, buf[128];
	struct nx_ini_scsi r;
	uint32_t off = 4;

	nx_put_be32(cdb + 6, sizeof(buf));
	if (!qcmd_ua(n, cdb, 12, NX_INI_DIR_READ, buf, sizeof(buf),
		     NX_INI_ATTR_SIMPLE, &r))
		return;
	if (r.status != NX_STATUS_GOOD) {
		uint8_t key, asc, ascq;

		nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
		nx_scn_fail(tm->env, "nexus %u: REPORT TARGET PORT GROUPS: status "
			    "0x%02x %X/%02Xh/%02Xh", n->idx, r.status, key, asc,
			    ascq);
	}
	if (nx_get_be32(buf) != PORTS * 12u)
		nx_scn_fail(tm->env, "RTPG: return data length %u",
			    nx_get_be32(buf));
	for (unsigned p = 0; p < PORTS; p++, off += 12) {
		uint32_t want = alua_now(tm, p);
		uint8_t state = buf[off] & 0x0f, status = buf[off + 5];

		if (nx_get_be16(buf + off + 2) != p + 1 || buf[off + 7] != 1 ||
		    nx_get_be16(buf + off + 10) != p + 1 ||
		    alua_v(state, status) != want)
			nx_scn_fail(tm->env, "nexus %u: RTPG group %u: state %u "
				    "status %u, the model says state %u status %u",
				    n->idx, p + 1, state, status, want & 0xff,
				    want >> 8);
	}
}

static void probe_mode(struct tm *tm, struct nex *n)
{
	uint8_t page[12];
	struct tm_ctl got, want;

	if (!mode_sense_ctl(tm, n, 0, page))
		return;
	tm_ctl_from_page(page, &got);
	if (!tm_hist_possible_after(&tm->ctl, tm_ctl_pack(&got), tm->st.t0))
		nx_scn_fail(tm->env, "MODE SENSE control page: qerr %u intlck %u "
			    "tas %u dsense %u, which the model never had", got.qerr,
			    got.intlck, got.tas, got.dsense);
	/* a reading settles an uncertain history */
	tm_hist_init(&tm->ctl, tm_ctl_pack(&got), now_ns(tm));
	if (!nx_rng_chance(&tm->rng, 1, 4) || !mode_sense_ctl(tm, n, 3, page))
		return;
	tm_ctl_from_page(page, &got);
	want = tm->ctl_saved;
	if (tm_ctl_pack(&got) != tm_ctl_pack(&want))
		nx_scn_fail(tm->env, "MODE SENSE saved control page: qerr %u intlck "
			    "%u tas %u, the model says qerr %u intlck %u tas %u",
			    got.qerr, got.intlck, got.tas, want.qerr, want.intlck,
			    want.tas);
}

/* Reads back every slot written since its last check. */
static void probe_verify(struct tm *tm, bool all)
{
	struct nex *n = pick_reader(tm, true, false);
	uint8_t *buf = n != NULL ? n->cmds[0].buf : NULL;
	struct nx_ini_scsi r;

	if (n == NULL)
		return;
	for (uint32_t s = 0; s < NSLOTS; s++) {
		uint8_t cdb[10] = { 0x28 };

		if (!all && !tm->slot_dirty[s])
			continue;
		nx_put_be32(cdb + 2, s * SLOT_BLOCKS);
		nx_put_be16(cdb + 7, SLOT_BLOCKS);
		if (!qcmd_ua(n, cdb, 10, NX_INI_DIR_READ, buf, SLOT_BLOCKS * BLOCK,
			     NX_INI_ATTR_SIMPLE, &r))
			return;
		if (r.status != NX_STATUS_GOOD)
			nx_scn_fail(tm->env, "nexus %u: verify READ of slot %u: "
				    "status 0x%02x", n->idx, s, r.status);
		shadow_check(tm, buf, (uint64_t)s * SLOT_BLOCKS, SLOT_BLOCKS, n->idx);
		tm->slot_dirty[s] = false;
	}
	/* SYNCHRONIZE CACHE is write class under reservations (SPC-4
	 * 5.12.1 table 64): through a nexus the reservation lets write */
	n = pick_reader(tm, true, true);
	if (n != NULL && nx_rng_chance(&tm->rng, 1, 3)) {
		uint8_t sync[10] = { 0x35 };

		if (!qcmd_ua(n, sync, 10, NX_INI_DIR_NONE, NULL, 0,
			     NX_INI_ATTR_SIMPLE, &r))
			return;
		if (r.status != NX_STATUS_GOOD)
			nx_scn_fail(tm->env, "nexus %u: SYNCHRONIZE CACHE: status "
				    "0x%02x", n->idx, r.status);
		shadow_synced(tm);
	}
}

static void probe(struct tm *tm)
{
	relogin_needed(tm);
	for (unsigned i = 0; i < tm->nnex; i++)
		if (nex_alive(&tm->nx[i]))
			probe_qae(tm, &tm->nx[i]);
	for (unsigned i = 0; i < tm->nnex; i++)
		probe_drain(tm, &tm->nx[i]);
	for (unsigned i = 0; i < tm->nnex; i++)
		if (nex_alive(&tm->nx[i]) && nx_rng_chance(&tm->rng, 1, 2))
			probe_rtpg(tm, &tm->nx[i]);
	struct nex *m = pick_reader(tm, false, false);
	if (m != NULL)
		probe_mode(tm, m);
	pr_check_all(tm, "after the step");
	probe_verify(tm, false);
}

/* ---- reservations read through every path ---------------------------------------------------- */

static bool prin(struct tm *tm, struct nex *n, uint8_t sa, uint8_t *buf,
		 uint32_t *len)
{
	uint8_t cdb[10] = { 0x5e, sa };
	struct nx_ini_scsi r;

	nx_put_be16(cdb + 7, NX_SCN_PR_DATA_IN_MAX);
	memset(buf, 0, NX_SCN_PR_DATA_IN_MAX);
	if (!qcmd_ua(n, cdb, 10, NX_INI_DIR_READ, buf, NX_SCN_PR_DATA_IN_MAX,
		     NX_INI_ATTR_SIMPLE, &r))
		return false;
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: PRIN %u: status 0x%02x", n->idx, sa,
			    r.status);
	*len = r.data_in_got;
	return true;
}

/* SPC-4 5.12: the reservation state belongs to the LU, so READ KEYS and
 * READ RESERVATION answer the same bytes (generation aside) through
 * every I_T nexus, both paths of a multipath initiator included. */
static void pr_check_all(struct tm *tm, const char *when)
{
	uint8_t keys[NX_SCN_PR_DATA_IN_MAX], res[NX_SCN_PR_DATA_IN_MAX];
	uint8_t k0[NX_SCN_PR_DATA_IN_MAX], r0[NX_SCN_PR_DATA_IN_MAX];
	uint32_t klen = 0, rlen = 0, k0len = 0, r0len = 0;
	bool first = true;
	char why[512];

	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];
		uint32_t st = alua_now(tm, n->port) & 0xff;

		if (!nex_alive(n) || st == AS_UN || st == AS_TR)
			continue;
		if (!prin(tm, n, 0, keys, &klen) || !prin(tm, n, 1, res, &rlen))
			continue;
		if (!nx_scn_pr_check(&tm->pr, keys, klen, res, rlen, why,
				     sizeof(why)))
			nx_scn_fail(tm->env, "%s: nexus %u: %s", when, i, why);
		if (!first && (klen != k0len || rlen != r0len ||
			       memcmp(keys + 8, k0 + 8, klen > 8 ? klen - 8 : 0) ||
			       memcmp(res + 8, r0 + 8, rlen > 8 ? rlen - 8 : 0)))
			nx_scn_fail(tm->env, "%s: nexus %u reports other "
				    "reservation data than nexus %u", when, i,
				    tm->nx[0].idx);
		memcpy(k0, keys, sizeof(k0));
		memcpy(r0, res, sizeof(r0));
		k0len = klen;
		r0len = rlen;
		first = false;
	}
}

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
		allow_qerr_2f(tm);
	}
	tm->n_act[a]++;
	nx_log(NX_LOG_INFO, "scn: step %u: %s%s", st->id, act_names[a],
	       busy ? " (busy)" : "");
}

static void run_action(struct tm *tm, enum action a)
{
	switch (a) {
	case A_IO:
		break;
	case A_ACA:
		act_aca(tm);
		break;
	case A_MODESEL:
		act_modesel(tm);
		break;
	case A_ALUA_IMPLICIT:
		act_alua_implicit(tm);
		break;
	case A_ALUA_STPG:
		act_alua_stpg(tm);
		break;
	case A_PR:
		act_pr(tm);
		break;
	case A_PARKED:
		act_parked(tm);
		break;
	case A_QAE:
		for (unsigned i = 0; i < tm->nnex; i++)
			if (nex_alive(&tm->nx[i]))
				probe_qae(tm, &tm->nx[i]);
		break;
	default:
		act_tmf(tm, a);
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
		bg_start(tm);
		nx_sim_run_for(tm->sim, nx_rng_range(&tm->rng, 20 * US, 3 * MS));
		if (fault && fault_early)
			fault_inject(tm);
		relogin_needed(tm);
	}
	run_action(tm, a);
	if (busy) {
		relogin_needed(tm);
		nx_sim_run_for(tm->sim, nx_rng_range(&tm->rng, 0, 2 * MS));
		if (fault && !fault_early)
			fault_inject(tm);
		settle(tm);
	} else {
		relogin_needed(tm);
		settle_aca(tm);
	}
	if (tm->trans_pending && nx_rng_chance(&tm->rng, 1, 2)) {
		/* let the transition end before looking */
		nx_sim_run_for(tm->sim, tm->trans_ev != NX_SIM_EVENT_NONE
					? 21 * MS : 0);
	}
	judge_step(tm);
	if (tm->trans_pending) {
		/* the 2A/06 at its end would race the probe: wait for it */
		while (tm->trans_pending)
			if (!nx_sim_step(tm->sim))
				break;
		relogin_needed(tm);
	}
	probe(tm);
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
	target_build(tm);
	tm_hist_init(&tm->ctl, 0, now_ns(tm));
	for (unsigned p = 0; p < PORTS; p++)
		tm_hist_init(&tm->alua[p], alua_v(AS_AO, ST_NONE), now_ns(tm));
	model_target_fresh(tm);
	nx_scn_pr_init(&tm->pr);
	setup_nexuses(tm);
	for (unsigned i = 0; i < tm->nnex; i++)
		if (!nex_try_login(tm, &tm->nx[i]))
			nx_scn_fail(tm->env, "nexus %u: first login failed", i);
}

/* Back to a state where everything can be read: ports active, no ACA. */
static void final_phase(struct tm *tm)
{
	step_begin(tm, A_IO, false);
	heal_all(tm);
	settle(tm);
	for (unsigned p = 0; p < PORTS; p++) {
		if ((alua_now(tm, p) & 0xff) == AS_AO)
			continue;
		if (nx_alua_set_state(tm->tgt, (uint16_t)(p + 1),
				      NX_ALUA_ACTIVE_OPTIMIZED, 0, false) != 0)
			nx_scn_fail(tm->env, "nx_alua_set_state");
		alua_set(tm, p, AS_AO, ST_IMPLICIT, now_ns(tm), now_ns(tm));
		ua_all(tm, -1, 0x2a, 0x06, true);
	}
	probe(tm);
	probe_verify(tm, true);
	durable_check(tm, "at the end", false);
}

static void teardown(struct tm *tm)
{
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];
		uint8_t response = 0xff;

		if (n->si != NULL) {
			int rc = nx_ini_sync_logout(conn_of(n), &tm->drv,
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
				      a ? "," : "", act_names[a],
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
	probe(tm);
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
