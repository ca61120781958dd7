/*
 * fuzz_common.h - what every fuzz target of fuzz/ shares: a fresh world
 * per input (platform reset, a target with RAM and null LUs, an iSCSI
 * server and connection whose output is recorded), PDU builders, and
 * the core task runner.  Test code: it may use libc freely; it links the
 * real libnexus.a + libnx_user.a.
 *
 * Rules every target follows (see fuzz/README.md):
 *  - no state survives an input: everything is created in
 *    LLVMFuzzerTestOneInput and freed before it returns, and the platform
 *    PRNG is reseeded, so a crash replays from its file alone;
 *  - bounded work per input (LU sizes, record counts, output cap);
 *  - invariants the harness checks (task_done exactly once, the server
 *    idle after close) abort through fz_fail(), which libFuzzer reports
 *    as a crash.
 */
#ifndef NX_FUZZ_COMMON_H
#define NX_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "core/scsi_internal.h"
#include "transports/iscsi/iscsi_internal.h"

#define FZ_TARGET_NAME "iqn.2024-01.org.nexus:fuzz"
#define FZ_TARGET2_NAME "iqn.2024-01.org.nexus:fuzz2"
#define FZ_INITIATOR_NAME "iqn.2024-01.org.nexus:fuzz-ini"
#define FZ_CHAP_USER "fuzzuser"
#define FZ_CHAP_SECRET "fuzz-secret-12345"
#define FZ_MCHAP_USER "fuzztarget"
#define FZ_MCHAP_SECRET "mutual-secret-6789"
#define FZ_SEED 0x6e65787573667a7aull /* the PRNG seed of every input */
#define FZ_OUT_CAP (1u << 20)         /* recorded output; the rest counted */
#define FZ_LU_BYTES (128u << 10)      /* small LUs bound the work per input */
/* Record separator of multi-record inputs (not valid UTF-8: never in keys). */
#define FZ_SEP "\xfe\xfe\xfe\xfe"
#define FZ_SEP_LEN 4

/* Splits data at FZ_SEP into at most max records (an empty one counts
 * but is not passed on) and calls fn(arg, record, its length) for each
 * of the others, in order. */
void fz_records(const uint8_t *data, size_t size, unsigned max,
		void (*fn)(void *arg, const uint8_t *d, size_t n), void *arg);

/* libFuzzer's entry point; the gcc replay runner calls it too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Harness invariant broken: prints why and aborts (a crash to libFuzzer). */
__attribute__((noreturn)) void fz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
#define fz_check(expr)                                                      \
	do {                                                                \
		if (!(expr))                                                \
			fz_fail("%s:%d: check failed: %s", __FILE__,        \
				__LINE__, #expr);                           \
	} while (0)

/* Quiet logs, fixed PRNG seed, empty persistence store (APTPL state and
 * saved mode pages would otherwise leak from one input into the next):
 * call first in every input.  fz_platform_done() last: on the sim
 * platform it frees the input's sim and fails the input if an nx_alloc()
 * was not freed.  Two implementations: fuzz_plat_user.c (platform/user)
 * and fuzz_plat_sim.c (the simulator's platform, virtual time). */
void fz_platform_reset(void);
void fz_platform_done(void);
/* Lets time pass until done(arg) is true or FZ_DRAIN_MS of it have gone:
 * LU-wide operations (FORMAT UNIT, SANITIZE) end from timers.  The sim
 * platform runs its virtual clock; the user platform has no loop and
 * returns at once (its targets send no such command). */
#define FZ_DRAIN_MS 600000u
void fz_platform_drain(bool (*done)(void *arg), void *arg);

/* A target with LU 0 on RAM (bytes, block_size) and LU 1 on null. */
struct nx_target *fz_target_new(const char *name, uint32_t block_size,
				uint64_t bytes, bool read_only);

/* ---- iSCSI: a server with one connection, its output recorded ---------- */

enum fz_auth {
	FZ_AUTH_NONE = 0,   /* no CHAP, no ACL */
	FZ_AUTH_CHAP,       /* target 1 demands CHAP */
	FZ_AUTH_MUTUAL,     /* CHAP both ways */
	FZ_AUTH_ACL,        /* target 1 allows one other initiator only */
	FZ_AUTH_COUNT,
};

struct fz_iscsi {
	struct nx_target *tgt, *tgt2;
	struct nx_iscsi_server *srv;
	struct nx_iscsi_conn *c;
	uint8_t *out;            /* what the target sent, up to FZ_OUT_CAP */
	size_t out_len, out_pos; /* out_pos: the next unparsed PDU */
	uint64_t out_total;
	bool close_called;
	bool released;
	bool hd, dd;             /* digests the harness negotiated */
};

struct fz_rpdu {
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	const uint8_t *data;
	uint32_t dsl;
};

void fz_iscsi_open(struct fz_iscsi *f, enum fz_auth auth);
/* Feeds len bytes in chunks of chunk bytes (0: all at once); stops when
 * the connection asked to be closed.  Returns the last input rc. */
int fz_iscsi_feed(struct fz_iscsi *f, const uint8_t *buf, size_t len,
		  size_t chunk);
/* Closes the connection, checks that the server went idle, frees all. */
void fz_iscsi_close(struct fz_iscsi *f);
/* The next PDU the target sent (digests as f->hd/dd say); false at the
 * end of the recorded output. */
bool fz_iscsi_next(struct fz_iscsi *f, struct fz_rpdu *p);

/* Serializes a PDU into buf (cap bytes): bhs (48 bytes; TotalAHSLength
 * and DataSegmentLength are set here), AHS, header digest, data, padding,
 * data digest.  Returns the length, 0 when it does not fit. */
size_t fz_pdu_build(uint8_t *buf, size_t cap, uint8_t *bhs,
		    const uint8_t *ahs, uint32_t ahs_len, const void *data,
		    uint32_t dlen, bool hd, bool dd);
/* A Login Request BHS (I bit, ISID, ITT, CID 1, CmdSN, ExpStatSN). */
void fz_login_bhs(uint8_t *bhs, uint8_t flags, uint16_t tsih, uint32_t itt,
		  uint32_t cmdsn, uint32_t exp_statsn);
/* One-PDU login with the keys operational stage -> FFP, no CHAP.  Returns
 * the serialized length (0 if it does not fit). */
size_t fz_login_pdu(uint8_t *buf, size_t cap, bool hd, bool dd);
/* Logs f in (FZ_AUTH_NONE); true once in full feature phase. */
bool fz_iscsi_login(struct fz_iscsi *f, bool hd, bool dd);

/* ---- the SCSI core: tasks run the way a transport runs them ------------ */

#define FZ_NEXUS_MAX 4

struct fz_core {
	struct nx_target *tgt;
	struct nx_nexus *nexus[FZ_NEXUS_MAX];
	unsigned nexus_count;     /* fz_core_open makes 2; fz_core_add_nexus */
	unsigned done_calls;
	uint64_t tag;
};

struct fz_cmd {
	unsigned nexus;           /* index into fz_core.nexus */
	uint64_t lun;             /* LUN number (encoded by the runner) */
	const uint8_t *cdb;
	uint8_t cdb_len;
	enum nx_task_attr attr;
	const uint8_t *dout;      /* data-out bytes (zero-padded) */
	size_t dout_len;
	uint32_t expected_len;
	uint8_t *din;             /* optional: data-in copied here */
	size_t din_cap;
	/* results */
	uint8_t status;
	uint8_t sense_key;
	uint8_t asc, ascq;
	uint32_t xfer_len;
	bool setup_ok;
};

void fz_core_open(struct fz_core *fc, uint32_t block_size, uint64_t bytes,
		  bool read_only);
void fz_core_close(struct fz_core *fc);
/* One more I_T nexus (fz_core_open makes two: initiator ports
 * FZ_INITIATOR_NAME and another, both to target port 1).  Returns its
 * index for fz_cmd.nexus. */
unsigned fz_core_add_nexus(struct fz_core *fc, const char *initiator_port,
			   const char *target_port, uint16_t rtpi);
/* Consumes the power-on unit attentions (both nexuses, both LUs). */
void fz_core_clear_ua(struct fz_core *fc);
/* Runs one command to completion; checks the task life-cycle contract
 * (task_done exactly once, xfer_len within data_len, sense bounded). */
void fz_core_run(struct fz_core *fc, struct fz_cmd *cmd);
/* A TMF on nexus idx; checks that done ran exactly once. */
void fz_core_tmf(struct fz_core *fc, unsigned idx, enum nx_tmf_fn fn,
		 uint64_t lun, uint64_t ref_tag);

/* LUN numbers a fuzz input may pick: RAM, null, absent, REPORT LUNS WLUN. */
uint64_t fz_pick_lun(uint8_t sel);

#endif /* NX_FUZZ_COMMON_H */
