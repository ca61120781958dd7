/*
 * tmf_internal.h - the tmf scenario's shared state and its modules
 * (the scenario itself is described in tmf.c):
 *   tmf.c          steps, set-up, the end, the summary
 *   tmf_io.c       the shadow of the medium, background I/O
 *   tmf_check.c    model state (ALUA, reservations, control page), unit
 *                  attentions, the step's outcome judge
 *   tmf_session.c  logins, quiet commands, TMFs
 *   tmf_fault.c    faults, the target's build and restart
 *   tmf_act.c      the step actions: TMFs, control mode page, ALUA,
 *                  reservations
 *   tmf_aca.c      ACA (SAM-5 5.9.2) and parked tasks
 *   tmf_settle.c   settling a busy step, exact probes, reservations read
 *                  through every path
 * Functions shared between the files carry the tm_ prefix (as
 * tmf_model.h's); the rest are static.
 */
#ifndef NX_SCN_TMF_INTERNAL_H
#define NX_SCN_TMF_INTERNAL_H

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

static inline uint32_t bit(unsigned i)
{
	return 1u << i;
}

static inline uint64_t now_ns(const struct tm *tm)
{
	return nx_sim_now(tm->sim);
}

/* QErr 01b with TAS=0 (SPC-4 7.5.8 table 460): every CHECK CONDITION
 * aborts the other nexuses' tasks and gives each 2Fh/00h, so in a busy
 * step any number of them may come (each still cleared once). */
#define QERR_2F_MAX 4096u

extern const char *const tm_act_names[A_COUNT];

/* tmf_io.c: the shadow of the medium, background commands */
void tm_shadow_check(struct tm *tm, const uint8_t *buf, uint64_t lba,
		     uint32_t n, unsigned who);
void tm_shadow_synced(struct tm *tm);
void tm_durable_check(struct tm *tm, const char *when, bool settle);
void tm_rec_add(struct tm *tm, const struct bcmd *c, enum outcome o);
void tm_cmd_release(struct bcmd *c);
void tm_write_effect(struct tm *tm, const struct bcmd *c, enum outcome o);
bool tm_issue_rw(struct nex *n, struct bcmd *c, bool write);
struct bcmd *tm_free_cmd(struct nex *n);
void tm_issue_schedule(struct nex *n);
void tm_bg_start(struct tm *tm);
void tm_bg_stop(struct tm *tm);

/* tmf_check.c: model state, unit attentions, the step's outcome judge */
struct nx_ini_conn *tm_conn_of(const struct nex *n);
bool tm_nex_alive(const struct nex *n);
bool tm_ctl_ever(const struct tm *tm, bool (*pred)(const struct tm_ctl *));
bool tm_p_tas0(const struct tm_ctl *c);
enum tm_clear tm_cc_clear(const struct tm *tm, uint64_t s);
void tm_ua_report(struct nex *n, uint8_t asc, uint8_t ascq, enum tm_clear clr,
		  const char *what);
void tm_ua_after_status(struct nex *n, uint8_t status, uint64_t s);
void tm_ua_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq, bool sure);
void tm_ua_expect_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq);
void tm_ua_confirm_all(struct tm *tm, int except, uint8_t asc, uint8_t ascq);
void tm_allow_qerr_2f(struct tm *tm);
uint32_t tm_alua_v(uint8_t state, uint8_t status);
uint32_t tm_alua_now(const struct tm *tm, unsigned port);
bool tm_alua_active_now(const struct tm *tm, unsigned port);
void tm_alua_set(struct tm *tm, unsigned port, uint8_t state, uint8_t status,
		 uint64_t lo, uint64_t hi);
bool tm_conflict_possible(const struct tm *tm, unsigned nex, bool write);
void tm_judge_step(struct tm *tm);

/* tmf_session.c: sessions, quiet commands, TMFs */
bool tm_nex_try_login(struct tm *tm, struct nex *n);
void tm_relogin_needed(struct tm *tm);
bool tm_qcmd(struct nex *n, const uint8_t *cdb, unsigned cdb_len,
	     enum nx_ini_dir dir, void *buf, uint32_t len, uint8_t attr,
	     struct nx_ini_scsi *r);
uint8_t tm_q_request_sense(struct nex *n, uint8_t *asc, uint8_t *ascq);
bool tm_qcmd_ua(struct nex *n, const uint8_t *cdb, unsigned cdb_len,
		enum nx_ini_dir dir, void *buf, uint32_t len, uint8_t attr,
		struct nx_ini_scsi *r);
bool tm_q_tmf(struct nex *n, struct nx_ini_tmf *t, uint8_t fn,
	      const struct bcmd *ref);
void tm_tmf_expect_response(struct tm *tm, const struct nex *n, uint8_t fn,
			    const struct nx_ini_tmf *t, uint8_t want);

/* tmf_fault.c: faults, the target */
void tm_fault_inject(struct tm *tm);
void tm_heal_all(struct tm *tm);
void tm_target_build(struct tm *tm);
void tm_model_target_fresh(struct tm *tm);

/* tmf_act.c: actions: TMFs, control mode page, ALUA, reservations */
struct nex *tm_pick_nex(struct tm *tm, struct nx_rng *r);
void tm_tmf_begin(struct tm *tm, struct nex *n, uint8_t fn);
void tm_reset_effects(struct tm *tm, struct nex *n, uint8_t fn, bool sure);
void tm_cold_reset_wait(struct tm *tm);
void tm_act_tmf(struct tm *tm, enum action a);
bool tm_mode_sense_ctl(struct tm *tm, struct nex *n, uint8_t pc, uint8_t *page);
struct nex *tm_pick_reader(struct tm *tm, bool active, bool write);
void tm_act_modesel(struct tm *tm);
void tm_act_alua_implicit(struct tm *tm);
void tm_act_alua_stpg(struct tm *tm);
void tm_act_pr(struct tm *tm);

/* tmf_aca.c: ACA and parked tasks */
void tm_act_aca(struct tm *tm);
void tm_act_parked(struct tm *tm);

/* tmf_settle.c: settling a busy step, probing, reservations on every path */
void tm_settle_aca(struct tm *tm);
void tm_settle(struct tm *tm);
void tm_probe_qae(struct tm *tm, struct nex *n);
void tm_probe_drain(struct tm *tm, struct nex *n);
void tm_probe_verify(struct tm *tm, bool all);
void tm_probe(struct tm *tm);

#endif /* NX_SCN_TMF_INTERNAL_H */
