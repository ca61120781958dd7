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
 * (persistent reservations, SPC-2 RESERVE/RELEASE), alua.c (target port
 * groups, asymmetric access states, REPORT/SET TARGET PORT GROUPS),
 * xcopy.c (EXTENDED COPY, RECEIVE COPY RESULTS, Third-party Copy VPD),
 * iogate.c (the per-LU I/O gate that makes atomic commands all-or-nothing),
 * sanitize.c (SANITIZE and the sanitize operation, which also runs the
 * format operation), format.c (FORMAT UNIT), defect.c (READ DEFECT
 * DATA).
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
/* WRITE ATOMIC(16) (SBC-4 5.48, Block Limits VPD): the largest atomic
 * write in bytes (MAXIMUM ATOMIC TRANSFER LENGTH = this / block size, at
 * most MAXIMUM TRANSFER LENGTH) and the atomic unit: ATOMIC ALIGNMENT and
 * ATOMIC TRANSFER LENGTH GRANULARITY are both NX_ATOMIC_UNIT_BYTES in
 * blocks (8 on a 512-byte LU, 1 on a 4096-byte LU), because below 4 KiB
 * a write to a 4K-sector medium (file backstore, O_DIRECT) is a
 * read-modify-write that a power loss can tear.  Atomic boundaries are
 * not supported (both boundary fields 0). */
#define NX_ATOMIC_MAX_BYTES (2u << 20)
#define NX_ATOMIC_UNIT_BYTES 4096u
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
	NX_SR_ACA_ACTIVE,             /* status ACA ACTIVE, no sense (SAM-5 5.9.2) */
	NX_SR_MEDIUM_NOT_PRESENT,     /* 02/3A/00 (removable LU, ejected) */
	NX_SR_SANITIZE_IN_PROGRESS,   /* 02/04/1B (sanitize.c adds progress) */
	NX_SR_SANITIZE_FAILED,        /* 03/31/03 SANITIZE COMMAND FAILED */
	NX_SR_FORMAT_IN_PROGRESS,     /* 02/04/04 (sanitize.c adds progress) */
	NX_SR_FORMAT_FAILED,          /* 03/31/01 FORMAT COMMAND FAILED */
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
	NX_OP_ATOMIC = 1 << 9,     /* its backstore I/Os run with no other I/O
				    * of the LU in flight (iogate.c) */
	/* Allowed through a target port whose group is in that asymmetric
	 * access state (SPC-4 5.16.2.4.4, 5.16.2.4.5, 5.16.2.5; read by
	 * nx_alua_check() only).  Active states allow everything. */
	NX_OP_ALUA_STANDBY = 1 << 16,
	NX_OP_ALUA_UNAVAIL = 1 << 17,
	NX_OP_ALUA_TRANS = 1 << 18,
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

/* Per (I_T nexus, LU) state, indexed like the target's lus[]. */
struct nx_nexus_lu {
	struct nx_ua ua[NX_UA_MAX];  /* unit attention queue (ua.c) */
	uint8_t ua_count;
	bool prevent;                /* prevents medium removal (sbc.c) */
};

struct nx_pr;
struct nx_sanitize;

/* ALUA (alua.c): target port groups of a target, in ascending id order;
 * ports of a group in ascending relative target port order. */
struct nx_alua_group {
	uint16_t id;              /* TARGET PORT GROUP */
	uint8_t initial;          /* state of a new LU */
	bool pref;                /* PREF bit (SPC-4 5.16.2.6) */
	uint16_t ports[NX_ALUA_PORTS_MAX];
	uint8_t port_count;
	/* implicit transition under way (nx_alua_set_state with a delay) */
	bool trans_pending;
	bool trans_fail;
	uint8_t trans_to;
	uint64_t trans_deadline_ns;
};

struct nx_alua {
	struct nx_alua_group groups[NX_ALUA_GROUPS_MAX];
	uint8_t group_count;
	bool declared;            /* groups came from nx_alua_add_group() */
	uint8_t transition_s;     /* IMPLICIT TRANSITION TIME */
	struct nx_timer *timer;   /* ends implicit transitions (made on use) */
};

/* Per LU: state and STATUS CODE of each group (index as in nx_alua). */
struct nx_alua_lu {
	uint8_t state[NX_ALUA_GROUPS_MAX];
	uint8_t status[NX_ALUA_GROUPS_MAX];
};

/* The per-LU I/O gate (iogate.c): counts the backstore I/Os in flight
 * and queues (FIFO, linked through priv.wait_next) the tasks whose next
 * I/O has to wait for an NX_OP_ATOMIC task's exclusive turn. */
struct nx_io_gate {
	uint32_t inflight;
	struct nx_task *owner;     /* the NX_OP_ATOMIC task holding the LU */
	struct nx_task *wait_head, *wait_tail;
	uint32_t waiting;
	bool draining, drain_again;
};

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
	struct nx_mode_params mode_saved;  /* saved values (persisted) */
	/* failed nx_persist_store lines (mode.c, pr.c): an initiator can
	 * repeat the command that fails as often as it likes */
	struct nx_log_limit persist_log;

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
	struct nx_alua_lu alua;   /* asymmetric access states (alua.c) */
	struct nx_io_gate gate;   /* iogate.c */
};

struct nx_target {
	/* lu_count beside lus[0]: every command's LU lookup reads both */
	unsigned lu_count;
	struct nx_lu *lus[NX_LU_MAX]; /* ascending LUN order, lu_count used */
	char name[NX_NAME_MAX];
	struct nx_nexus *nexus_head;
	uint32_t generation;          /* REPORTED LUNS DATA HAS CHANGED */
	struct nx_alua alua;          /* target port groups (alua.c) */
	uint32_t xcopy_running;       /* EXTENDED COPY commands executing */
};

/* EXTENDED COPY (LID1) results held per I_T nexus for RECEIVE COPY
 * RESULTS (SPC-4 6.18), keyed by (LU, LIST IDENTIFIER); xcopy.c owns it.
 * Bounded: a new list evicts the oldest completed one.  The table is
 * allocated by the nexus's first list that holds results (most never
 * send one: 2 KiB an idle session need not hold), freed with it. */
#define NX_XCOPY_HELD_MAX 16
struct nx_xcopy_held {
	bool used;
	bool in_progress;
	bool status_held;         /* COPY STATUS not yet delivered */
	bool details_held;        /* FAILED SEGMENT DETAILS not yet delivered */
	uint8_t list_id;
	uint8_t cm_status;        /* COPY MANAGER STATUS: 0 running, 1 ok, 2 error */
	uint8_t scsi_status;      /* the EXTENDED COPY's status */
	uint8_t sense_len;
	uint16_t segments;        /* SEGMENTS PROCESSED */
	uint64_t lun;
	uint64_t bytes;           /* written to copy destinations */
	uint64_t seq;             /* age, for eviction */
	uint8_t sense[NX_SENSE_MAX];
};

struct nx_nexus {
	/* What every command reads, first and together (one cache line;
	 * in declaration order they were on four lines over 11 KiB). */
	struct nx_target *tgt;
	const struct nx_nexus_ops *ops;
	void *ctx;
	uint32_t tasks_outstanding;
	uint16_t rtpi;
	/* index of rtpi's group in tgt->alua, -1: in none; alua.c keeps it
	 * current as groups and ports are added (read by every command) */
	int16_t alua_group;
	bool shutdown_busy;           /* nx_nexus_shutdown() still aborting */
	bool shut_down;               /* no new tasks: the nexus is going away */
	/* the sum of ua_count[]: with none pending (the common case) a
	 * command's UA check (SAM-5 5.14) looks no further */
	unsigned ua_pending;
	uint8_t ro_count;
	bool ro_all;
	void (*shutdown_done)(void *arg);
	void *shutdown_arg;
	/* REQUEST SENSE: the last deferred sense of this nexus (SPC-4 6.39) */
	struct nx_tmf *tmf_head;

	struct nx_nexus *next;
	char initiator_port[NX_NAME_MAX + 32];
	char target_port[NX_NAME_MAX + 32];
	/* per-LU state (index = LU index in the target): sized for the
	 * target's LUs when the nexus is made, grown before an LU is added
	 * (nx_target_add_lu), so lus_cap >= lu_count always and a UA never
	 * waits for memory; NULL while the target has no LU */
	struct nx_nexus_lu *lus;
	unsigned lus_cap;
	struct nx_xcopy_held *xcopy; /* [NX_XCOPY_HELD_MAX] or NULL; xcopy.c */
	uint64_t xcopy_seq;
	/* per-nexus write protection (nx_nexus_set_read_only); ro_count
	 * and ro_all above */
	uint64_t ro_luns[NX_NEXUS_RO_MAX];
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
 * PC 10b. */
void nx_mode_defaults(struct nx_mode_params *m, const struct nx_backstore *bs);
/* At LU creation (lu->tgt, lun and bs set): saved values from
 * nx_persist_load (key "mode.<target>.<lun>", validated; defaults when
 * absent or bad), current = saved (SPC-4 7.5.1). */
void nx_mode_lu_init(struct nx_lu *lu);
/* One rate-limited ERR line for a failed nx_persist_store of key. */
void nx_lu_persist_failed(struct nx_lu *lu, const char *key, int err);

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
/* COPY ABORTED sense (SPC-4 6.4.3.x, 4.5.2.5): COMMAND-SPECIFIC
 * INFORMATION carries the segment number; a segment pointer
 * (sense-key specific, SD = relative to the segment descriptor) when
 * ptr_valid; the status and sense a copy source (fwd 1) or destination
 * (fwd 2) returned when fwd != 0 (forwarded sense data, fixed format:
 * the SOURCE / DESTINATION SENSE DATA OFFSET bytes point at it). */
struct nx_copy_sense {
	uint8_t asc, ascq;
	uint16_t segment;
	bool ptr_valid;
	bool sd;
	uint16_t ptr_byte;
	uint8_t fwd;              /* 0 none, 1 copy source, 2 copy destination */
	uint8_t fwd_status;
	uint8_t fwd_key, fwd_asc, fwd_ascq; /* fwd_key 0: status only */
};
void nx_sense_build_copy(struct nx_task *t, const struct nx_copy_sense *c);

/* The LU I/O gate (iogate.c).  nx_io_gate_submit() starts t->priv.io on
 * lu's backstore, or queues t until the gate opens (an NX_OP_ATOMIC task
 * waits for the LU to drain and then holds it; everyone else waits while
 * it does).  Returns 0 (started or queued: io->done will run) or the
 * backstore's synchronous refusal (< 0, io->done will not run).  Every
 * completion of a gated I/O calls nx_io_gate_done(); an NX_OP_ATOMIC task
 * calls nx_io_gate_release() before it completes. */
int nx_io_gate_submit(struct nx_lu *lu, struct nx_task *t);
void nx_io_gate_done(struct nx_lu *lu);
void nx_io_gate_release(struct nx_lu *lu, struct nx_task *t);

/* EXTENDED COPY / RECEIVE COPY RESULTS (xcopy.c), rows in nx_spc_opcodes[]. */
enum nx_sense_reason nx_xcopy_parse(struct nx_task *t);
enum nx_sense_reason nx_xcopy_exec(struct nx_task *t);
enum nx_sense_reason nx_rcr_parse(struct nx_task *t);
enum nx_sense_reason nx_rcr_exec(struct nx_task *t);
/* Third-party Copy VPD page (SPC-4 7.8.17) payload after the 4-byte page
 * header into buf (cap bytes); returns its length. */
size_t nx_xcopy_vpd_3pc(const struct nx_lu *lu, uint8_t *buf, size_t cap);

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
/* FORMAT UNIT (format.c, SBC-3 5.3 / SBC-4 5.4): the format operation is
 * a kind of the LU's sanitize operation (sanitize.c). */
enum nx_sense_reason nx_format_parse(struct nx_task *t);
enum nx_sense_reason nx_format_exec(struct nx_task *t);
/* Starts the format operation: NX_SR_OK (immed), NX_SR_ASYNC (t waits). */
enum nx_sense_reason nx_format_start(struct nx_task *t, bool immed);
/* The LU's operation in progress is a format (FORMAT IN PROGRESS). */
bool nx_format_in_progress(const struct nx_lu *lu);
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
/* The UA a CHECK CONDITION reports: the highest-priority one, cleared
 * only when UA_INTLCK_CTRL is 00b (SPC-4 7.5.8 table 461). */
bool nx_ua_report(struct nx_nexus *n, const struct nx_lu *lu, struct nx_ua *ua);
/* UA_INTLCK_CTRL 11b: a BUSY, TASK SET FULL or RESERVATION CONFLICT
 * status leaves a PREVIOUS ... STATUS unit attention (2Ch/07h-09h). */
void nx_ua_after_status(struct nx_task *t);

/* Asymmetric logical unit access (alua.c, SPC-4 5.16).  nx_alua_check()
 * is dispatch's gate: CHECK CONDITION NOT READY 04h/0Ah, 0Bh or 0Ch for a
 * command the state of the nexus's target port group does not allow.
 * nx_alua_lu_init() gives a new LU the groups' initial states;
 * nx_alua_port_seen() puts an unknown port into the implicit group 1
 * while no group was declared; nx_alua_target_free() frees the timers. */
enum nx_sense_reason nx_alua_check(struct nx_task *t);
void nx_alua_lu_init(struct nx_target *tgt, struct nx_lu *lu);
void nx_alua_port_seen(struct nx_target *tgt, uint16_t rtpi);
/* Sets n->alua_group for a nexus just added to its target's list. */
void nx_alua_nexus_init(struct nx_nexus *n);
void nx_alua_target_free(struct nx_target *tgt);
/* The group holding relative target port rtpi; false if none. */
bool nx_alua_port_group(const struct nx_target *tgt, uint16_t rtpi,
			uint16_t *group);
/* True when t's LU is unavailable through t's port: INQUIRY reports
 * peripheral qualifier 001b (SPC-4 5.16.2.4.5). */
bool nx_alua_unavailable(const struct nx_task *t);
enum nx_sense_reason nx_alua_rtpg_parse(struct nx_task *t);
enum nx_sense_reason nx_alua_rtpg_exec(struct nx_task *t);
enum nx_sense_reason nx_alua_stpg_parse(struct nx_task *t);
enum nx_sense_reason nx_alua_stpg_exec(struct nx_task *t);

#endif /* NX_SCSI_INTERNAL_H */
