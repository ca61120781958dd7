/*
 * wl_internal.h - the workload engine's shared state and its modules
 * (the engine itself is described in workload.c):
 *   workload.c        transport, unit attention bookkeeping, the shadow
 *                     model, commands, the issue loop, recovery, the run
 *                     (the hot path stays in this one file)
 *   workload_ctl.c    control operations: MODE SELECT, TMFs, PR
 *   workload_setup.c  targets and logins, the end's checks
 *   workload_fault.c  fault injection
 * Functions shared between the files carry the wl_ prefix; the rest are
 * static.
 */
#ifndef NX_SCN_WL_INTERNAL_H
#define NX_SCN_WL_INTERNAL_H

#include "scn_util.h"
#include "pr_model.h"
#include "../../core/nx_wire.h"
#include "../nx_sim_disk.h"
#include "../nx_sim_srp.h"

#define TGT_NAME "iqn.2026-11.dev.nexus:sim"
#define TGT_IP 0x0a000001u
#define INI_IP0 0x0a000002u
#define ISCSI_PORT 3260
#define BLOCK NX_SCN_BLOCK
#define INI_MAX 2u
#define QD_LIMIT 32u
#define BLOCKS_LIMIT 256u
_Static_assert(BLOCKS_LIMIT <= NX_SCN_RX_BLOCKS_MAX, "a read's blocks fit nx_scn_rx");
#define ALT_MAX 3u
#define PICK_TRIES 8u
#define SEC 1000000000ull
#define MS 1000000ull
#define DRAIN_NS (120 * SEC)
#define SYNC_STEPS 5000000u
#define BACKOFF_NS 5000u
#define SLICE_NS (50 * MS)          /* top-level loop: watchdogs, faults */
#define WATCHDOG_NS (5 * SEC)
#define FAULT_SETTLE_NS (2 * SEC)   /* a fault explains silence this long */
#define RELOGIN_TRIES 400u
#define RELOGIN_BACKOFF_NS (50 * MS)
#define SEQ_MASK ((1ull << 56) - 1)

/* UA kinds the workload expects (anything else fails). */
enum {
	UA_POWER_ON, UA_LU_RESET, UA_MODE_CHANGED,
	UA_RES_PREEMPTED, UA_RES_RELEASED, UA_REG_PREEMPTED, /* o->pr */
	UA_KINDS
};

enum cmd_kind { K_READ, K_WRITE, K_TUR, K_MODESEL, K_SYNC, K_PROUT, K_PRIN };

/* 32 bytes, two blocks per cache line: every command updates the
 * shadow of each block it touches, and the array is bigger than the L2
 * cache for the larger LUs.  The rarely used alternatives live apart. */
struct blk {
	uint64_t tag;            /* 0: never written (zeros) */
	uint64_t dtag;           /* durable floor (see the header) */
	uint64_t known_ns;       /* when tag was last known on the LU */
	uint8_t nalt;            /* wl->alt[lba][0 .. nalt) also acceptable */
	bool any;                /* too many aborted writes: any valid block */
	bool fresh;              /* on wl->fresh (see there) */
};

struct ua_track {
	uint32_t establishing;   /* establishers in flight */
	uint64_t max_c_possible; /* latest completion of a possible one */
	uint64_t max_s_definite; /* latest submit of a definite one */
	bool any_definite;
	uint64_t prev_s;         /* submit time of the last receipt's command */
	uint64_t last_c;         /* completion time of the last receipt */
	uint64_t received;
};

struct wl;
struct ini;

/* On whole cache lines, the workload's own fields right after the
 * request's last ones (itt .. priv): a command's completion then reads
 * one line past the request, not two or three (the slots are 736 bytes,
 * so an unaligned slot started anywhere in a line). */
struct cmd {
	_Alignas(64) struct nx_ini_scsi req;
	struct ini *ini;
	bool busy;
	bool fua;
	bool limbo;              /* connection died: outcome unknown */
	uint8_t slot;            /* index in ini->cmds (busy_mask bit) */
	enum cmd_kind kind;
	uint64_t lba;
	uint32_t nblk;
	uint64_t tag;
	uint64_t submit_ns;
	uint8_t *buf;
	struct nx_scn_rx rx;             /* K_READ: its blocks (rx.buf = buf) */
	struct nx_scn_pr_cmd pr;         /* K_PROUT, K_PRIN */
};

struct ini {
	struct wl *wl;
	unsigned idx;
	struct nx_sim_host *host;
	struct nx_rdma_dev *dev;          /* iSER (env->fabric) */
	struct nx_ini_session *sess;
	struct nx_sim_ini *si;            /* iSCSI over sim TCP */
	struct nx_sim_iser_ini *xi;       /* or iSER */
	struct nx_sim_srp_ini *pi;        /* or SRP */
	struct nx_rng rng;
	uint32_t busy_mask;               /* bit i: cmds[i].busy */
	uint32_t qd;
	uint64_t think_max_ns;
	uint32_t w_read, w_write, w_tur;  /* weights of the I/O mix */
	uint32_t w_sync;                  /* SYNCHRONIZE CACHE weight */
	uint32_t fua_pct;                 /* writes with FUA, percent */
	uint32_t ctl_ppm;                 /* chance per issue of a control op */
	uint32_t outstanding;
	nx_sim_event_id issue_ev;
	bool stalled;                     /* last issue round found nothing */
	bool issuing;                     /* issue_one() inline (closed loop) */
	/* control: one at a time per initiator */
	bool ctl_busy;
	/* in->tmf in flight.  Recovery's ABORT TASK SET waits only for
	 * this: a control command the reset aborted silently (TAS=0) would
	 * keep ctl_busy for ever. */
	bool tmf_out;
	uint64_t tmf_submit_ns;
	bool recover;                     /* owes an ABORT TASK SET (TAS=0) */
	/* faults: the connection died, a re-login is owed */
	bool down;
	bool need_relogin;
	uint64_t last_progress_ns;        /* last completion of anything */
	uint64_t login_done_ns;           /* current nexus exists since */
	uint64_t tmf_limbo;               /* TMFs lost with a connection */
	/* Write data generated for the PDU being built (write_source in
	 * workload.c): (BLOCKS_LIMIT + 1) * BLOCK, cache-line aligned. */
	uint8_t *wgen;
	/* Last, the rarely used and the big: the fields above, which every
	 * command reads or writes, then share a few cache lines instead of
	 * lying on both sides of 22 KiB of slots. */
	struct nx_ini_tmf tmf;            /* in flight while tmf_out */
	struct nx_ini_srp_tmf stmf;       /* SRP: in->tmf's request on the wire */
	struct ua_track ua[UA_KINDS];
	struct cmd cmds[QD_LIMIT];
};

struct wl {
	struct nx_scn_env *env;
	struct nx_scn_workload_opts o;
	struct nx_sim *sim;
	struct nx_rng rng;
	struct nx_sim_host *thost;
	struct nx_target *tgt;
	struct nx_sim_iscsi_target *starget;
	struct nx_rdma_dev *tdev;         /* iSER: the target's HCA */
	struct nx_sim_iser_target *itarget;
	struct nx_sim_srp_target *ptarget; /* SRP: the target port */
	struct nx_ini_driver drv;
	struct ini ini[INI_MAX];
	struct blk *blk;
	uint64_t (*alt)[ALT_MAX];         /* per LBA: tags of aborted writes */
	uint64_t blocks;
	/* LBAs whose tag may be newer than their durable floor: a superset
	 * of { b : seq_of(b->tag) > seq_of(b->dtag) } (dtag never moves
	 * back), so a whole-LU SYNCHRONIZE CACHE visits only these instead
	 * of the whole region.  Order is irrelevant: each block's update
	 * depends on that block alone. */
	uint32_t *fresh;
	uint64_t fresh_count;
	/* Block locks, apart from struct blk: scanned for every command
	 * picked, so they stay dense in cache.  Per 8 blocks from a
	 * multiple of 8, 16 bytes: a byte per block saying a write holds
	 * it, then a byte per block counting the reads holding it; so 8
	 * aligned blocks are two 64-bit words on one line (workload.c,
	 * range_lock). */
	uint8_t *lock;
	uint64_t region;                  /* LBAs used: [0, region) */
	bool tas;
	bool stopping;
	/* Set whenever an initiator's need_relogin is (wl_ini_lost), cleared
	 * once none is: attention(), asked after every event, scans the
	 * initiators only then. */
	bool relogin_maybe;
	uint32_t mode_value;              /* IEC interval timer, unique */
	uint8_t iec_page[12];
	uint64_t wseq;                    /* global write sequence */
	/* faults */
	struct nx_sim_disk *disk;
	struct nx_scn_heal heal;          /* link cut, disk faults; dopts */
	struct nx_rng frng;
	uint64_t next_fault_ns;
	uint64_t fault_end_ns;            /* latest end of a fault's effect */
	uint64_t faults_total;
	uint64_t power_loss_ns;           /* start of the last crash + power loss */
	struct {                          /* iSER reset: aimed at a transfer */
		bool armed;
		bool disconnect;          /* else a QP error */
		unsigned ini;
		uint32_t qpn;             /* the target's QP, once hit */
		nx_sim_event_id ev;
	} trap;
	struct nx_scn_pr pr;              /* reservation model (o.pr) */
};

/* workload.c: transport, UAs, the shadow, commands, the issue loop, recovery, the run */
bool wl_over_iser(const struct wl *wl);
bool wl_over_srp(const struct wl *wl);
struct nx_ini_conn *wl_ini_conn(struct ini *in);
int wl_ini_sync_scsi(struct wl *wl, struct ini *in, const uint8_t *cdb,
		     unsigned cdb_len, enum nx_ini_dir dir, void *buf,
		     uint32_t len, struct nx_ini_scsi *r);
int wl_ini_connect(struct wl *wl, struct ini *in);
int wl_srp_connect(struct wl *wl, struct ini *in);
void wl_ini_free(struct ini *in);
void wl_ini_drop(struct ini *in);
/* The connection is gone: a re-login is owed (run_slice does it). */
void wl_ini_lost(struct ini *in);
void wl_target_listen(struct wl *wl, const struct nx_iscsi_server_config *sc);
void wl_target_stop(struct wl *wl, const char *what);
const char *wl_cdb_name(const struct cmd *c);
void wl_ua_est_begin(struct wl *wl, int only, int except, unsigned kind);
void wl_ua_est_end(struct wl *wl, int only, int except, unsigned kind,
		   uint64_t submit_ns, bool possible, bool definite);
void wl_ua_receive(struct ini *in, uint8_t asc, uint8_t ascq,
		   uint64_t submit_ns);
void wl_shadow_check(struct wl *wl, const uint8_t *buf, uint64_t lba,
		     uint32_t n, unsigned who);
void wl_durable_check(struct wl *wl, const char *when, bool settle);
void wl_pr_check_hook(struct wl *wl, const char *when);
unsigned wl_pr_ua_kind(uint8_t ascq);
void wl_cmd_submit(struct ini *in, struct cmd *c);
void wl_issue_schedule(struct ini *in);

/* workload_ctl.c: control operations (MODE SELECT, TMFs, PR) */
void wl_tmf_submit(struct ini *in, uint8_t fn, const struct cmd *ref);
void wl_issue_control(struct ini *in, struct cmd *c);

/* workload_setup.c: set-up, the end */
void wl_sync_cmd_ua(struct wl *wl, struct ini *in, const uint8_t *cdb,
		    unsigned cdb_len, enum nx_ini_dir dir, void *buf,
		    uint32_t len);
bool wl_ini_try_login(struct wl *wl, struct ini *in);
void wl_ini_login(struct wl *wl, struct ini *in);
void wl_mode_sense_page(struct wl *wl, struct ini *in, uint8_t page,
			uint8_t *out, size_t len);
void wl_setup_tas(struct wl *wl, struct ini *in);
void wl_target_build(struct wl *wl);
void wl_setup_target(struct wl *wl);
void wl_setup_ini(struct wl *wl, struct ini *in, unsigned idx);
bool wl_quiet(void *arg);
void wl_report_lost(struct wl *wl);
void wl_final_verify(struct wl *wl);

/* workload_fault.c: faults */
void wl_trap_tap(void *arg, const struct nx_sim_rdma_tap_msg *m);
void wl_fault_inject(struct wl *wl);
void wl_fault_schedule_next(struct wl *wl);
void wl_heal_all(struct wl *wl);

#endif /* NX_SCN_WL_INTERNAL_H */
