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
 * (persistent reservations, SPC-2 RESERVE/RELEASE), sanitize.c (SANITIZE
 * and the sanitize operation), defect.c (READ DEFECT DATA).
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
#define NX_SANITIZE_BPS_DEFAULT (16ull << 20) /* SANITIZE OVERWRITE pace */

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
	NX_SR_MEDIUM_NOT_PRESENT,     /* 02/3A/00 (removable LU, ejected) */
	NX_SR_SANITIZE_IN_PROGRESS,   /* 02/04/1B (sanitize.c adds progress) */
	NX_SR_SANITIZE_FAILED,        /* 03/31/03 SANITIZE COMMAND FAILED */
	NX_SR_DEFECT_LIST_NOT_FOUND,  /* 01/1C/00 (READ DEFECT DATA) */
	NX_SR_INVALID_FIELD_IN_IU,    /* 05/0E/03 (expected length vs CDB) */
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
struct nx_sanitize;

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
	/* PREVENT ALLOW MEDIUM REMOVAL (SBC-3 5.13): how many I_T nexuses
	 * prevent removal (each nexus's own flag: nx_nexus.prevent[]). */
	uint32_t prevent;
	bool removable;           /* RMB=1: START STOP UNIT LOEJ ejects/loads */
	bool medium_absent;       /* removable and ejected: 02/3A/00 */
	uint8_t lbppbe;           /* LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT */
	struct nx_sanitize *sanitize; /* operation in progress (sanitize.c) */
	uint64_t sanitize_bps;    /* OVERWRITE pace (nx_lu_config) */
	/* SBC-4 4.11.3: the last sanitize operation failed; with ause (the
	 * AUSE bit of the SANITIZE that started it) EXIT FAILURE MODE ends
	 * the failure, without it only a successful sanitize does. */
	bool sanitize_failed;
	bool sanitize_failed_ause;
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
	bool kicking;             /* lu_kick() running: no re-entry */
	bool kick_again;
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
	/* per-LU (index as ua[]): this nexus prevents medium removal */
	bool prevent[NX_LU_MAX];
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

/* Medium removal prevention (sbc.c, SBC-3 5.13): ends for one I_T nexus
 * (n; its I_T nexus loss or reset) or for all of them (n == NULL; a
 * logical unit reset or hard reset). */
void nx_prevent_release(struct nx_lu *lu, struct nx_nexus *n);

/* SANITIZE (sanitize.c, SBC-3 5.30 / SBC-4 5.24, model SBC-4 4.11). */
enum nx_sense_reason nx_sanitize_parse(struct nx_task *t);
enum nx_sense_reason nx_sanitize_exec(struct nx_task *t);
/* Dispatch: NX_SR_OK, or the command is refused while a sanitize is in
 * progress (NOT READY, SANITIZE IN PROGRESS with progress indication,
 * sense already built: NX_SR_CHECK_CONDITION_SET) or after one failed. */
enum nx_sense_reason nx_sanitize_check(struct nx_task *t);
/* Progress of the operation in progress in 1/65536 (SPC-4 4.5.2.4.4);
 * false when none is in progress. */
bool nx_sanitize_progress(const struct nx_lu *lu, uint16_t *progress);
/* The target frees the LU: stop the operation, free its state. */
void nx_sanitize_lu_free(struct nx_lu *lu);
/* A sense-key-specific progress indication (SPC-4 4.5.2.4.4) in the form
 * the sense builder takes: SKSV=1, the 16-bit PROGRESS INDICATION where
 * a field pointer would be. */
struct nx_sense_field nx_sense_progress(uint16_t progress);

/* READ DEFECT DATA (10)/(12) (defect.c, SBC-3 5.17, 5.18). */
enum nx_sense_reason nx_rdd_parse(struct nx_task *t);
enum nx_sense_reason nx_rdd_exec(struct nx_task *t);

/* Unit attentions (SAM-5 5.14): queue for one nexus / every nexus but one. */
void nx_ua_establish(struct nx_nexus *n, const struct nx_lu *lu, uint8_t asc,
		     uint8_t ascq);
void nx_ua_establish_all(struct nx_target *tgt, const struct nx_lu *lu,
			 const struct nx_nexus *except, uint8_t asc,
			 uint8_t ascq);
/* Pops the highest-priority UA for (n, lu); false if none is pending. */
bool nx_ua_pop(struct nx_nexus *n, const struct nx_lu *lu, struct nx_ua *ua);

#endif /* NX_SCSI_INTERNAL_H */
