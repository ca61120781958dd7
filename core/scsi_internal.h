/*
 * scsi_internal.h - what the files of core/ share and nobody else sees.
 *
 * Split by spec concept (LIO style): dispatch.c (opcode table lookup, CDB
 * validation, task set), sense.c (reason -> key/ASC/ASCQ, fixed and
 * descriptor formats), target.c (targets, LUs, nexuses, LUN encoding),
 * ua.c (unit attention queues), tmf.c (task management), sbc.c (SBC-3
 * commands), spc.c (INQUIRY, VPD, REPORT LUNS, TUR, REQUEST SENSE), mode.c
 * (MODE SENSE/SELECT and the mode pages), log.c (LOG SENSE), rsoc.c
 * (REPORT SUPPORTED OPERATION CODES from the opcode tables), pr.c
 * (persistent reservations, SPC-2 RESERVE/RELEASE).
 *
 * Handlers return an nx_sense_reason; one table (sense.c) maps it to sense
 * key/ASC/ASCQ and one builder writes the sense bytes: no handler builds
 * sense by hand.
 */
#ifndef NX_SCSI_INTERNAL_H
#define NX_SCSI_INTERNAL_H

#include "nx_scsi.h"
#include "nx_wire.h"
#include "backstore/nx_backstore.h"

/* Limits: everything is bounded (allocated at configuration time). */
#define NX_LU_MAX 256                 /* LUs per target */
#define NX_UA_MAX 16                  /* pending UAs per I_T_L nexus */
#define NX_MAX_XFER_BYTES (8u << 20)  /* largest data transfer of one task */
#define NX_TASK_SET_MAX 1024          /* tasks in one LU task set: TASK SET FULL */
/* Block Limits VPD (SBC-3 6.5.3) values the SPC helper reports and sbc.c
 * enforces: MAXIMUM TRANSFER LENGTH is NX_MAX_XFER_BYTES / block size. */
/* MAXIMUM WRITE SAME LENGTH (SBC-3 6.5.3): the largest count WRITE
 * SAME(10)'s 16-bit field can carry, so both CDB sizes share one limit.
 * Kept below 64 Ki blocks on purpose: initiators (libiscsi's conformance
 * suite among them) read a limit >= 64 Ki as "64 Ki-block transfers work"
 * and follow with a 64 Ki-block WRITE/READ, which exceeds MAXIMUM TRANSFER
 * LENGTH (NX_MAX_XFER_BYTES) at every block size we support. */
#define NX_WS_MAX_BLOCKS 0xffffu
#define NX_UNMAP_MAX_BLOCKS 0x100000u /* MAXIMUM UNMAP LBA COUNT (libiscsi: <= 1M) */
#define NX_UNMAP_MAX_DESC 256u        /* MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT */
#define NX_CAW_MAX_BLOCKS 255u        /* MAXIMUM COMPARE AND WRITE LENGTH */
#define NX_WSNZ 0                     /* WRITE SAME with 0 LBs: to the last LBA */

/* REPORT LUNS well-known LUN (SPC-4 8.2): the 8-byte LUN field C101h,
 * which nx_lun_decode() also returns as the LUN value.  It has no nx_lu;
 * only NX_OP_NO_LU commands run on it. */
#define NX_WLUN_REPORT_LUNS 0xC101000000000000ull

/* ---- sense reasons ------------------------------------------------------ */
enum nx_sense_reason {
	NX_SR_OK = 0,
	NX_SR_ASYNC,                  /* handler will complete the task later */
	NX_SR_CHECK_CONDITION_SET,    /* handler already set status + sense */
	NX_SR_INVALID_OPCODE,         /* 05/20/00 */
	NX_SR_INVALID_FIELD_IN_CDB,   /* 05/24/00 */
	NX_SR_INVALID_FIELD_IN_PARAM, /* 05/26/00 */
	NX_SR_PARAM_LIST_LENGTH,      /* 05/1A/00 */
	NX_SR_PARAM_VALUE_INVALID,    /* 05/26/02 */
	NX_SR_LBA_OUT_OF_RANGE,       /* 05/21/00 */
	NX_SR_LU_NOT_SUPPORTED,       /* 05/25/00 */
	NX_SR_SAVING_NOT_SUPPORTED,   /* 05/39/00 */
	NX_SR_INVALID_CDB_LENGTH,     /* 05/24/00 (unsupported CDB length) */
	NX_SR_WRITE_PROTECTED,        /* 07/27/00 */
	NX_SR_READ_ERROR,             /* 03/11/00 unrecovered read error */
	NX_SR_WRITE_ERROR,            /* 03/0C/00 write error */
	NX_SR_MISCOMPARE_VERIFY,      /* 0E/1D/00 miscompare during verify */
	NX_SR_INTERNAL_FAILURE,       /* 04/44/00 internal target failure */
	NX_SR_OVERLAPPED_COMMANDS,    /* 0B/4E/00 */
	NX_SR_INSUFFICIENT_RESOURCES, /* 05/55/03 insufficient resources */
	NX_SR_NOT_READY_STOPPED,      /* 02/04/02 initializing command required */
	NX_SR_RESERVATION_CONFLICT,   /* status 18h, no sense */
	NX_SR_MEDIUM_REMOVAL_PREVENTED, /* 05/53/02 */
	NX_SR_INVALID_MESSAGE,        /* 05/49/00 (ACA attribute, no ACA) */
	NX_SR_UNSUPPORTED_SA,         /* 05/24/00 pointing at the service action */
	NX_SR_BUSY,                   /* status BUSY, no sense */
	NX_SR_TASK_SET_FULL,          /* status TASK SET FULL, no sense */
	NX_SR_ACA_ACTIVE,             /* status ACA ACTIVE, no sense (SAM-5 5.9.2) */
	NX_SR_COUNT
};

/* Builds sense for reason into t (format from the LU's D_SENSE) and sets
 * status: CHECK CONDITION, or RESERVATION CONFLICT for that reason. */
void nx_task_set_sense(struct nx_task *t, enum nx_sense_reason reason,
		       const struct nx_sense_field *field);
/* Same, from an explicit key/ASC/ASCQ; info is written to INFORMATION
 * when info_valid. */
void nx_sense_build(struct nx_task *t, uint8_t key, uint8_t asc, uint8_t ascq,
		    const struct nx_sense_field *field, bool info_valid,
		    uint64_t info);
/* Writes sense into buf (fixed or descriptor format); returns length. */
size_t nx_sense_encode(uint8_t *buf, size_t cap, bool descriptor, uint8_t key,
		       uint8_t asc, uint8_t ascq,
		       const struct nx_sense_field *field, bool info_valid,
		       uint64_t info);

/* ---- the opcode table --------------------------------------------------- */

enum nx_op_flags {
	NX_OP_NO_LU = 1 << 0,      /* runs without an LU (INQUIRY, REPORT LUNS,
				    * REQUEST SENSE); see SPC-4 4.6.4 */
	NX_OP_UA_EXEMPT = 1 << 1,  /* not blocked by a pending UA (SAM-5 5.14) */
	NX_OP_WRITES = 1 << 2,     /* modifies the medium: write protect applies */
	NX_OP_SA = 1 << 3,         /* service_action is meaningful */
	NX_OP_SA16 = 1 << 4,       /* service action in bytes 8-9 (variable length) */
	NX_OP_CONFLICT_OK = 1 << 5, /* allowed under SPC-2 / PR reservations */
	NX_OP_MEDIUM = 1 << 6,     /* accesses the medium: refused while the
				    * LU is stopped (SBC-3 4.20, 02/04/02) */
	/* Persistent reservation classes (SPC-4 5.12.1 table 64, SBC-3
	 * table 13; read by nx_pr_check() only).  Neither flag nor
	 * NX_OP_CONFLICT_OK: write class, allowed for the holder (and for
	 * registrants under registrants-only / all-registrants types). */
	NX_OP_PR_READ = 1 << 7,    /* read class: also allowed through Write
				    * Exclusive types for every I_T nexus */
	NX_OP_PR_COND = 1 << 8,    /* allowed for some CDB values (PREVENT 0,
				    * START STOP UNIT START=1): pr.c decides */
};

typedef enum nx_sense_reason (*nx_parse_fn)(struct nx_task *t);
typedef enum nx_sense_reason (*nx_exec_fn)(struct nx_task *t);

struct nx_opcode_desc {
	uint8_t opcode;
	uint16_t service_action;
	uint8_t cdb_len;
	uint32_t flags;                /* enum nx_op_flags */
	const char *name;
	/* CDB usage data (SPC-4 6.35.3): bits a client may set.  A set bit
	 * outside the mask is a reserved bit: INVALID FIELD IN CDB with the
	 * field pointer at it.  Byte 0 is the opcode, always 0xff. */
	uint8_t usage[NX_CDB_MAX];
	/* Decodes fields into t (dir, data_len, priv.lba, priv.nblocks...);
	 * may be NULL when the usage mask says it all. */
	nx_parse_fn parse;
	nx_exec_fn exec;
};

extern const struct nx_opcode_desc nx_spc_opcodes[];
extern const size_t nx_spc_opcode_count;
extern const struct nx_opcode_desc nx_sbc_opcodes[];
extern const size_t nx_sbc_opcode_count;

/* The descriptor for a CDB (opcode + service action), NULL if unsupported. */
const struct nx_opcode_desc *nx_opcode_lookup(const uint8_t *cdb);
/* Iterates every descriptor in (opcode, service action) order for RSOC. */
const struct nx_opcode_desc *nx_opcode_at(size_t index);

/* ---- mode pages (SPC-4 7.5, SBC-3 6.4) ---------------------------------- */

/* One copy of the changeable parameters; an LU keeps current and saved. */
struct nx_mode_params {
	/* control page 0Ah */
	uint8_t tst;              /* task set type */
	uint8_t qerr;
	bool d_sense;             /* descriptor format sense */
	bool tas;                 /* task aborted status */
	bool swp;                 /* software write protect */
	uint8_t ua_intlck_ctrl;
	/* caching page 08h */
	bool wce;                 /* write cache enable */
	bool rcd;                 /* read cache disable */
	/* informational exceptions control page 1Ch */
	uint8_t mrie;
	bool dexcpt;
	uint32_t interval_timer;
	uint32_t report_count;
	/* read-write error recovery page 01h */
	bool awre;
	bool arre;
	uint8_t read_retry;
	uint8_t write_retry;
};

/* ---- objects ------------------------------------------------------------ */

struct nx_ua {
	uint8_t asc;
	uint8_t ascq;
};

struct nx_pr;

struct nx_lu {
	struct nx_target *tgt;
	struct nx_pr *pr;         /* reservations (pr.c), never NULL */
	uint64_t lun;
	struct nx_backstore *bs;
	uint32_t block_size;
	uint8_t block_shift;
	uint64_t nblocks;
	bool read_only;
	bool stopped;             /* START STOP UNIT START=0 (SBC-3 5.25) */
	bool prevent;             /* PREVENT ALLOW MEDIUM REMOVAL (SBC-3 5.13) */
	char vendor[9];
	char product[17];
	char revision[5];
	char serial[33];
	uint8_t naa[16];          /* NAA IEEE Registered Extended designator */

	struct nx_mode_params mode;        /* current values */
	struct nx_mode_params mode_saved;  /* saved values */

	/* task set (SAM-5 8.6): doubly linked in arrival order */
	struct nx_task *set_head, *set_tail;
	uint64_t next_seq;
	uint32_t tasks_running;
	struct nx_task *blocked_head, *blocked_tail; /* unused */
	uint32_t set_count;
	uint32_t set_strict;      /* ORDERED + HEAD OF QUEUE tasks in the set */
	uint32_t tasks_blocked;   /* tasks in TS_BLOCKED: nx_lu_kick's work */
	bool kicking;             /* lu_kick() running: no re-entry */
	bool kick_again;
	/* ACA condition (SAM-5 5.9.2): the faulted I_T nexus, NULL if none.
	 * One task set per LU (TST 000b), so one ACA per LU at most. */
	struct nx_nexus *aca_nexus;
};

struct nx_target {
	char name[NX_NAME_MAX];
	struct nx_lu *lus[NX_LU_MAX]; /* ascending LUN order, lu_count used */
	unsigned lu_count;
	struct nx_nexus *nexus_head;
	uint32_t generation;          /* REPORTED LUNS DATA HAS CHANGED */
};

struct nx_nexus {
	struct nx_target *tgt;
	struct nx_nexus *next;
	char initiator_port[NX_NAME_MAX + 32];
	char target_port[NX_NAME_MAX + 32];
	uint16_t rtpi;
	const struct nx_nexus_ops *ops;
	void *ctx;
	uint32_t tasks_outstanding;
	void (*shutdown_done)(void *arg);
	void *shutdown_arg;
	bool shutdown_busy;           /* nx_nexus_shutdown() still aborting */
	bool shut_down;               /* no new tasks: the nexus is going away */
	/* per-LU unit attention queues (index = LU index in the target) */
	struct nx_ua ua[NX_LU_MAX][NX_UA_MAX];
	uint8_t ua_count[NX_LU_MAX];
	/* REQUEST SENSE: the last deferred sense of this nexus (SPC-4 6.39) */
	struct nx_tmf *tmf_head;
};

/* ---- helpers shared across core/ ---------------------------------------- */

/* Builds the opcode index; nx_target_new() calls it so that lookups at
 * run time only read it.  Idempotent. */
void nx_opcode_index_build(void);

/* The service action a descriptor would match in cdb (0 without NX_OP_SA). */
uint16_t nx_cdb_service_action(const uint8_t *cdb, uint32_t flags);

/* Task set walk and aborts, for tmf.c.  nx_task_abort() marks t: a task
 * not yet running completes at once; a running one completes when its I/O
 * drains.  tas: report TASK ABORTED status instead of a silent abort. */
void nx_task_abort(struct nx_task *t, bool tas);
bool nx_task_aborting(const struct nx_task *t);
/* TMF bookkeeping (tmf.c): called after an aborted task left the core. */
void nx_tmf_task_drained(struct nx_target *tgt);
/* Runs tasks of lu whose task attribute rules now allow it. */
void nx_lu_kick(struct nx_lu *lu);
/* After LU reset / hard reset (SAM-5 6.3): clear per-LU volatile state. */
void nx_lu_reset_state(struct nx_lu *lu);

/* SPC commands (spc.c, mode.c, log.c, rsoc.c), referenced by nx_spc_opcodes[].
 * Data-in parsers clamp the allocation length with nx_spc_data_in(); a
 * parser or handler pointing at a bad CDB field uses nx_spc_bad_cdb(). */
void nx_spc_data_in(struct nx_task *t, uint32_t alloc_len);
enum nx_sense_reason nx_spc_bad_cdb(struct nx_task *t, uint16_t byte,
				    int bit);
enum nx_sense_reason nx_mode_sense_parse(struct nx_task *t);
enum nx_sense_reason nx_mode_sense_exec(struct nx_task *t);
enum nx_sense_reason nx_mode_select_parse(struct nx_task *t);
enum nx_sense_reason nx_mode_select_exec(struct nx_task *t);
enum nx_sense_reason nx_log_sense_parse(struct nx_task *t);
enum nx_sense_reason nx_log_sense_exec(struct nx_task *t);
enum nx_sense_reason nx_rsoc_parse(struct nx_task *t);
enum nx_sense_reason nx_rsoc_exec(struct nx_task *t);
enum nx_sense_reason nx_rstmf_parse(struct nx_task *t);
enum nx_sense_reason nx_rstmf_exec(struct nx_task *t);
/* Default mode parameters of an LU (mode.c): what MODE SENSE reports for
 * PC 10b and what target.c should start current and saved values from. */
void nx_mode_defaults(struct nx_mode_params *m, const struct nx_backstore *bs);

struct nx_lu *nx_target_find_lu(const struct nx_target *tgt, uint64_t lun);
unsigned nx_target_lu_index(const struct nx_target *tgt, const struct nx_lu *lu);

/* Copies len bytes of response data into t->data, truncated to the
 * allocation length (t->data_len); sets t->xfer_len. */
void nx_task_put_data(struct nx_task *t, const void *buf, uint32_t len);
/* Completes a task whose handler returned NX_SR_ASYNC. */
void nx_task_complete(struct nx_task *t, enum nx_sense_reason reason);

/* Reservations (pr.c): SPC-4 5.12 persistent reservations and SPC-2
 * RESERVE/RELEASE.  nx_pr_lu_init() allocates lu->pr and restores APTPL
 * state (nx_persist_load, key "pr.<target>.<lun>"); nx_pr_check() answers
 * RESERVATION CONFLICT for a command the LU's reservations block (dispatch
 * calls it before the command's parser); nx_pr_spc2_reset() ends an SPC-2
 * reservation on a reset / I_T nexus loss (n == NULL: whoever holds it). */
int nx_pr_lu_init(struct nx_lu *lu);
void nx_pr_lu_free(struct nx_lu *lu);
enum nx_sense_reason nx_pr_check(const struct nx_task *t);
void nx_pr_spc2_reset(struct nx_lu *lu, const struct nx_nexus *n);
enum nx_sense_reason nx_pr_in_parse(struct nx_task *t);
enum nx_sense_reason nx_pr_in_exec(struct nx_task *t);
enum nx_sense_reason nx_pr_out_parse(struct nx_task *t);
enum nx_sense_reason nx_pr_out_exec(struct nx_task *t);
enum nx_sense_reason nx_spc2_reserve_exec(struct nx_task *t);
enum nx_sense_reason nx_spc2_release_exec(struct nx_task *t);
/* PREEMPT AND ABORT (SPC-4 5.12.11.4.5): aborts victim's tasks on lu that
 * arrived before, as a CLEAR TASK SET from another nexus would (TASK
 * ABORTED with TAS=1, silently otherwise). */
void nx_tmf_abort_nexus_tasks(struct nx_lu *lu, struct nx_nexus *victim);

/* ACA and QErr (tmf.c; SAM-5 5.9, SPC-4 7.5.8).  nx_aca_check() is the
 * setup gate: ACA ACTIVE / BUSY for a command the ACA condition keeps
 * out of the task set (naca: the command's CONTROL byte NACA bit).
 * nx_tmf_check_condition() runs after a command of n on lu ended with
 * CHECK CONDITION: it establishes or replaces the ACA condition (NACA=1)
 * and applies QErr.  nx_aca_nexus_loss() clears the ACA conditions n
 * holds (I_T nexus loss, SAM-5 5.9.2.5) and restarts the blocked tasks. */
enum nx_sense_reason nx_aca_check(const struct nx_task *t, bool naca);
void nx_tmf_check_condition(struct nx_lu *lu, struct nx_nexus *n, bool naca,
			    bool aca_task);
void nx_aca_nexus_loss(struct nx_target *tgt, const struct nx_nexus *n);

/* Unit attentions (SAM-5 5.14): queue for one nexus / every nexus but one. */
void nx_ua_establish(struct nx_nexus *n, const struct nx_lu *lu, uint8_t asc,
		     uint8_t ascq);
void nx_ua_establish_all(struct nx_target *tgt, const struct nx_lu *lu,
			 const struct nx_nexus *except, uint8_t asc,
			 uint8_t ascq);
/* Pops the highest-priority UA for (n, lu); false if none is pending. */
bool nx_ua_pop(struct nx_nexus *n, const struct nx_lu *lu, struct nx_ua *ua);
/* The UA a CHECK CONDITION reports: the highest-priority one, cleared
 * only when UA_INTLCK_CTRL is 00b (SPC-4 7.5.8 table 461). */
bool nx_ua_report(struct nx_nexus *n, const struct nx_lu *lu, struct nx_ua *ua);
/* UA_INTLCK_CTRL 11b: a BUSY, TASK SET FULL or RESERVATION CONFLICT
 * status leaves a PREVIOUS ... STATUS unit attention (2Ch/07h-09h). */
void nx_ua_after_status(struct nx_task *t);

#endif /* NX_SCSI_INTERNAL_H */
