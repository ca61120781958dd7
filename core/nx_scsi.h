/*
 * nx_scsi.h - the SCSI target core as transports and tools see it.
 *
 * Objects (SAM-5 4.6): a target holds logical units; a transport creates
 * one I_T nexus per (initiator port, target port) pair; each command is an
 * nx_task that the transport embeds in its own per-command structure.
 *
 * A task's life, driven by the transport:
 *
 *   nx_task_init(t, nexus)       fill lun, cdb, tag, attr, expected_len
 *   nx_task_setup(t)             parse + validate the CDB; false => the task
 *                                is already complete (status/sense set),
 *                                send the response, skip the data phase;
 *                                task_done is NOT called for it
 *   [a TMF or nx_nexus_shutdown() may abort the task while its data-out
 *    is arriving: task_done(aborted) comes first, a later
 *    nx_task_execute() is then ignored]
 *   [t->dir == NX_DIR_WRITE: fill t->data[0 .. t->data_len) from the wire]
 *   nx_task_execute(t)           runs it; ops->task_done(t) follows, possibly
 *                                before nx_task_execute() returns
 *   ops->task_done(t)            send data-in (t->data, t->xfer_len), status
 *                                and sense; or nothing at all if t->aborted
 *   nx_task_release(t)           gives back the core's resources
 *
 * The core never blocks and is single-threaded per target instance: every
 * entry point and callback runs on the same execution context.
 */
#ifndef NX_SCSI_H
#define NX_SCSI_H

#include "../platform/nx_platform.h"
#include "backstore/nx_backstore.h"

struct nx_target;
struct nx_lu;
struct nx_nexus;
struct nx_backstore;

/* SAM-5 5.3.1, table 34 */
enum nx_scsi_status {
	NX_STATUS_GOOD = 0x00,
	NX_STATUS_CHECK_CONDITION = 0x02,
	NX_STATUS_CONDITION_MET = 0x04,
	NX_STATUS_BUSY = 0x08,
	NX_STATUS_RESERVATION_CONFLICT = 0x18,
	NX_STATUS_TASK_SET_FULL = 0x28,
	NX_STATUS_ACA_ACTIVE = 0x30,
	NX_STATUS_TASK_ABORTED = 0x40,
};

/* SAM-5 8.6 task attributes */
enum nx_task_attr {
	NX_ATTR_SIMPLE = 0,
	NX_ATTR_ORDERED = 1,
	NX_ATTR_HEAD_OF_QUEUE = 2,
	NX_ATTR_ACA = 3,
};

enum nx_data_dir {
	NX_DIR_NONE = 0,
	NX_DIR_READ = 1,  /* data-in: target to initiator */
	NX_DIR_WRITE = 2, /* data-out: initiator to target */
};

#define NX_CDB_MAX 32
#define NX_SENSE_MAX 96
#define NX_NAME_MAX 224 /* iSCSI names are at most 223 bytes (RFC 7143 4.2.7.1) */

/* Where the offending CDB / parameter-list field is (SPC-4 4.5.2.4.2). */
struct nx_sense_field {
	bool valid;
	bool in_cdb;   /* C/D bit */
	bool bit_valid;
	uint8_t bit;
	uint16_t byte;
};

/* Core bookkeeping embedded in every task; transports must not touch it. */
struct nx_task_priv {
	struct nx_lu *lu;
	const struct nx_opcode_desc *op;
	struct nx_task *set_prev, *set_next; /* position in the LU task set */
	uint64_t seq;                         /* arrival order in the task set */
	uint32_t state;
	uint32_t flags;
	uint64_t lba;
	uint32_t nblocks;
	uint32_t pending_io; /* backstore I/Os still outstanding */
	int io_err;
	bool data_owned;     /* data[] was allocated by the core */
	struct nx_task *wait_next; /* queued on an LU I/O gate (iogate.c) */
	/* parsers may point at the offending field (sense key specific) */
	struct nx_sense_field field;
	/* SBC execution engine (sbc.c): one backstore I/O in flight at most */
	struct nx_bs_io io;
	uint8_t *aux;        /* core-owned scratch buffer (verify/compare) */
	uint32_t aux_len;
	uint8_t engine;      /* which step function drives the task */
	uint8_t stage;       /* where that step function is */
	bool in_step;        /* completion seen inside the step: no recursion */
	bool io_inline;
	uint64_t cursor;     /* progress of a chunked operation, in blocks */
	unsigned bs_flags;   /* NX_BS_FUA from the CDB */
	uint8_t byte_chk;    /* VERIFY / WRITE AND VERIFY BYTCHK */
};

struct nx_task {
	/* -- filled by the transport before nx_task_setup() ---------------- */
	struct nx_nexus *nexus;
	uint64_t lun;              /* the 8-byte SAM LUN field, big-endian */
	uint8_t cdb[NX_CDB_MAX];
	uint8_t cdb_len;
	uint64_t tag;              /* task tag (iSCSI ITT), for TMF lookup */
	enum nx_task_attr attr;
	uint32_t expected_len;     /* initiator's expected transfer length */

	/* -- set by nx_task_setup() ---------------------------------------- */
	enum nx_data_dir dir;
	uint32_t data_len;         /* bytes the CDB moves (or allocation length) */
	uint8_t *data;             /* data_len bytes, owned by the core */

	/* -- set when the task completes ----------------------------------- */
	uint32_t xfer_len;         /* valid data-in bytes in data[] */
	uint8_t status;            /* enum nx_scsi_status */
	uint8_t sense_len;
	/* Beside status, not after sense[]: every completion reads it, and
	 * there it had a cache line of (usually untouched) sense to itself. */
	bool aborted;              /* aborted by a TMF: send no response */
	uint8_t sense[NX_SENSE_MAX]; /* sense_len bytes; the rest undefined */

	struct nx_task_priv priv;
};

struct nx_nexus_ops {
	/* The task finished (or was aborted: t->aborted).  Called once. */
	void (*task_done)(struct nx_task *t);
};

/* ---- targets and logical units ------------------------------------------ */

struct nx_lu_config {
	uint64_t lun;            /* LUN number (0..16383, flat addressing above 255) */
	uint32_t block_size;     /* 512 or 4096 */
	const char *vendor;      /* <= 8 chars, NULL: "NEXUS" */
	const char *product;     /* <= 16 chars, NULL: "nexus-lu" */
	const char *revision;    /* <= 4 chars, NULL: "0001" */
	const char *serial;      /* NULL: derived from target name + LUN */
	bool read_only;
	bool removable;          /* RMB=1: START STOP UNIT LOEJ ejects/loads */
	/* Physical block size (SBC-3 5.16.2 LOGICAL BLOCKS PER PHYSICAL
	 * BLOCK EXPONENT): a power-of-two multiple of block_size, at most
	 * 2^15 blocks; 0: 4096 (or block_size if that is larger). */
	uint32_t phys_block_size;
	/* SANITIZE OVERWRITE rate of the simulated medium in bytes per
	 * second (block erase is 8x, cryptographic erase 64x faster);
	 * 0: 16 MiB/s, a 128 MiB LU in 8 s. */
	uint64_t sanitize_bps;
};

struct nx_target *nx_target_new(const char *name);
/* All nexuses must be freed first. */
void nx_target_free(struct nx_target *tgt);
const char *nx_target_name(const struct nx_target *tgt);
/* The target takes ownership of bs (destroyed with the target). */
int nx_target_add_lu(struct nx_target *tgt, const struct nx_lu_config *cfg,
		     struct nx_backstore *bs);
/* For tools: the LU count and the n-th LUN in ascending order. */
unsigned nx_target_lu_count(const struct nx_target *tgt);
uint64_t nx_target_lun_at(const struct nx_target *tgt, unsigned index);

/* ---- I_T nexus ---------------------------------------------------------- */

/* initiator_port / target_port are SCSI port names (iSCSI: "iqn...,i,0x<ISID>"
 * and "iqn...,t,0x<TPGT>"); rtpi is the relative target port identifier. */
struct nx_nexus *nx_nexus_new(struct nx_target *tgt, const char *initiator_port,
			      const char *target_port, uint16_t rtpi,
			      const struct nx_nexus_ops *ops, void *ctx);
/* Write-protects one LU (lun) or every LU (NX_NEXUS_RO_ALL) for this
 * I_T nexus only - a per-initiator read-only mapping: write-class
 * commands from it get 07/27/00 and MODE SENSE shows WP (SBC-3 4.9,
 * 6.4.1).  At most NX_NEXUS_RO_MAX LUNs; NX_ENOSPC beyond. */
#define NX_NEXUS_RO_ALL UINT64_MAX
#define NX_NEXUS_RO_MAX 16
int nx_nexus_set_read_only(struct nx_nexus *n, uint64_t lun);
/* True when lu is read-only for n (configured or per nexus). */
bool nx_nexus_lu_read_only(const struct nx_nexus *n, const struct nx_lu *lu);
void *nx_nexus_ctx(const struct nx_nexus *n);
struct nx_target *nx_nexus_target(const struct nx_nexus *n);
/* I_T nexus loss (SAM-5 6.3.4): aborts every task of this nexus (each gets
 * task_done with aborted = true) and calls done(arg) once none remains in
 * the core.  Afterwards the transport calls nx_nexus_free(). */
void nx_nexus_shutdown(struct nx_nexus *n, void (*done)(void *arg), void *arg);
void nx_nexus_free(struct nx_nexus *n);
/* A logout that ends the I_T nexus (RFC 7143 11.14) is answered only after
 * what other I_T nexuses can observe of it is gone: its SPC-2
 * reservations (SPC-2 5.5.1) and medium removal prevention (SBC-3 5.13)
 * end here, before the response, so a command another nexus sends after
 * the initiator saw the response never meets them.  nx_nexus_shutdown()
 * still follows (it repeats both; they are idempotent). */
void nx_nexus_logout(struct nx_nexus *n);

/* ---- asymmetric logical unit access (SPC-4 5.16; core/alua.c) ----------- */

/* Target port groups hold relative target ports; each LU keeps its own
 * primary target port asymmetric access state per group (SPC-4 5.16.2.1).
 * A target with no group declared gets one, group 1 (active/optimized),
 * holding every relative target port a nexus has come in on. */
#define NX_ALUA_GROUPS_MAX 16  /* target port groups per target */
#define NX_ALUA_PORTS_MAX 16   /* relative target ports per group */

/* ASYMMETRIC ACCESS STATE codes (SPC-4 6.37, table 307).  Logical block
 * dependent (4h) and offline (Eh) are not implemented. */
enum nx_alua_state {
	NX_ALUA_ACTIVE_OPTIMIZED = 0x0,
	NX_ALUA_ACTIVE_NON_OPTIMIZED = 0x1,
	NX_ALUA_STANDBY = 0x2,
	NX_ALUA_UNAVAILABLE = 0x3,
	NX_ALUA_TRANSITIONING = 0xf,
};

/* Declares target port group `group` (1..65535), the state every LU
 * starts in (not TRANSITIONING) and its PREF bit.  NX_EINVAL for a bad
 * or duplicate id, NX_ENOSPC past NX_ALUA_GROUPS_MAX. */
int nx_alua_add_group(struct nx_target *tgt, uint16_t group,
		      enum nx_alua_state state, bool pref);
/* Puts relative target port rtpi (1..65535; the iSCSI transport uses the
 * TPGT) into group; a port is in at most one group (NX_EINVAL). */
int nx_alua_add_port(struct nx_target *tgt, uint16_t group, uint16_t rtpi);
/* IMPLICIT TRANSITION TIME reported by REPORT TARGET PORT GROUPS in the
 * extended header (seconds, 0 = unspecified). */
void nx_alua_set_transition_time(struct nx_target *tgt, uint8_t seconds);
/* Implicit transition (SPC-4 5.16.2.7) of group on every LU: with
 * delay_ns 0 the new state holds at once; otherwise the group reports
 * TRANSITIONING until a timer fires delay_ns later.  At the end each
 * nexus gets 2A/06 ASYMMETRIC ACCESS STATE CHANGED, or, with fail, the
 * group goes to unavailable and each nexus gets 2A/07 IMPLICIT
 * ASYMMETRIC ACCESS STATE TRANSITION FAILED (SPC-4 5.16.2.5).  NX_ENOENT
 * for an unknown group, NX_EINVAL for a state not settable. */
int nx_alua_set_state(struct nx_target *tgt, uint16_t group,
		      enum nx_alua_state state, uint64_t delay_ns, bool fail);
/* The state of group as LU lun sees it; -1 if either does not exist. */
int nx_alua_get_state(const struct nx_target *tgt, uint64_t lun,
		      uint16_t group);

/* ---- tasks -------------------------------------------------------------- */

void nx_task_init(struct nx_task *t, struct nx_nexus *n);
bool nx_task_setup(struct nx_task *t);
void nx_task_execute(struct nx_task *t);
void nx_task_release(struct nx_task *t);

/* Only from task_done, for data-in: hands t->data over to the caller
 * (who frees it with nx_buf_free() once it has left, e.g. after a
 * zero-copy send) and leaves the task without it; the xfer_len bytes in
 * it are the data-in.  NULL when the task has no core-owned buffer. */
uint8_t *nx_task_take_data(struct nx_task *t);

/* Completes a task that never reached nx_task_execute() with CHECK
 * CONDITION built from a sense key/ASC/ASCQ (transport-detected errors,
 * e.g. a data-out overflow); honours the LU's sense format.  Calls
 * task_done like any other completion. */
void nx_task_fail(struct nx_task *t, uint8_t key, uint8_t asc, uint8_t ascq);

/* ---- task management (SAM-5 7) ------------------------------------------ */

enum nx_tmf_fn {
	NX_TMF_ABORT_TASK = 1,
	NX_TMF_ABORT_TASK_SET,
	NX_TMF_CLEAR_ACA,
	NX_TMF_CLEAR_TASK_SET,
	NX_TMF_LOGICAL_UNIT_RESET,
	NX_TMF_I_T_NEXUS_RESET,
	NX_TMF_TARGET_WARM_RESET,
	NX_TMF_TARGET_COLD_RESET,
	NX_TMF_QUERY_TASK,
	NX_TMF_QUERY_TASK_SET,
	NX_TMF_QUERY_ASYNC_EVENT,
};

enum nx_tmf_result {
	NX_TMF_FUNCTION_COMPLETE = 0,
	NX_TMF_FUNCTION_SUCCEEDED,
	NX_TMF_FUNCTION_REJECTED,   /* not supported */
	NX_TMF_INCORRECT_LUN,
	NX_TMF_TASK_NOT_FOUND,      /* ABORT/QUERY TASK: no such tag */
};

struct nx_tmf {
	enum nx_tmf_fn fn;
	uint64_t lun;      /* 8-byte SAM LUN field, big-endian */
	uint64_t ref_tag;  /* ABORT TASK / QUERY TASK */
	enum nx_tmf_result result;
	/* ADDITIONAL RESPONSE INFORMATION (SAM-5 7.1, 7.10): QUERY
	 * ASYNCHRONOUS EVENT with FUNCTION SUCCEEDED: UADE DEPTH and SENSE
	 * KEY, ASC, ASCQ of the pending unit attention; zero otherwise. */
	uint8_t resp_info[3];
	void (*done)(struct nx_tmf *req); /* may run before submit returns */
	void *priv;
	/* core bookkeeping */
	struct nx_nexus *nexus;
	uint32_t waiting;  /* aborted tasks not yet drained */
	struct nx_tmf *next;
};

void nx_tmf_submit(struct nx_nexus *n, struct nx_tmf *req);

/* ---- LUN encoding (SAM-5 4.7) ------------------------------------------- */

/* Peripheral addressing below 256, flat addressing up to 16383. */
uint64_t nx_lun_encode(uint64_t lun);
/* false when the field uses a method or level nexus does not implement. */
bool nx_lun_decode(uint64_t field, uint64_t *lun);

#endif /* NX_SCSI_H */
