/*
 * sanitize.c - SANITIZE (SBC-3 5.30; SBC-4 5.24 and its model, 4.11).
 *
 * A sanitize operation belongs to the logical unit, not to the command
 * that started it: it runs in the background, one chunk (CHUNK_BYTES) at
 * a time through the backstore, paced by a timer at the rate its method
 * has on the simulated medium, and it survives task aborts, resets and
 * I_T nexus loss (SBC-4 4.11.1).  IMMED=1 answers GOOD once the CDB and
 * the parameter list are valid; IMMED=0 keeps the command waiting until
 * the operation ends.  An aborted waiting command is answered at the
 * next chunk boundary while the operation goes on.
 *
 * While it runs, every command but INQUIRY, LOG SENSE, REPORT LUNS and
 * REQUEST SENSE ends in NOT READY, LOGICAL UNIT NOT READY, SANITIZE IN
 * PROGRESS with a progress indication (SPC-4 4.5.2.4.4); REQUEST SENSE
 * returns that sense data (spc.c).  If the operation fails, medium access
 * ends in MEDIUM ERROR, SANITIZE COMMAND FAILED until a sanitize succeeds
 * or, when the failed one had AUSE=1, until EXIT FAILURE MODE.
 *
 * Methods (all bounded: one CHUNK_BYTES buffer per LU):
 *   OVERWRITE     OVERWRITE COUNT passes of the initialization pattern,
 *                 repeated from each block's first byte, inverted between
 *                 passes with INVERT (the last pass writes it as given);
 *   BLOCK ERASE   deallocates every LBA of a thin LU (reads return zeros,
 *                 GET LBA STATUS reports them deallocated), zeros others;
 *   CRYPTOGRAPHIC ERASE  a new key makes every mapped block read back as
 *                 pseudorandom data derived from the key and the offset;
 *                 unmapped blocks of a thin LU stay unmapped (zeros).
 * Progress and timing depend only on the LU size and the virtual clock,
 * so the simulator runs a sanitize the same way on every run.
 *
 * The format operation of FORMAT UNIT (format.c, SBC-3 5.3) is the same
 * machinery with another kind (KIND_FORMAT): a BLOCK ERASE at the
 * OVERWRITE pace that lets only INQUIRY, REPORT LUNS and REQUEST SENSE
 * through, reports FORMAT IN PROGRESS (02/04/04) and, if it fails,
 * answers FORMAT COMMAND FAILED without entering the sanitize failure
 * mode.
 */
#include "scsi_internal.h"

#define SA_OVERWRITE 0x01
#define SA_BLOCK_ERASE 0x02
#define SA_CRYPTO_ERASE 0x03
#define SA_EXIT_FAILURE_MODE 0x1f
/* Not a SANITIZE service action (those fit in 5 bits): the format
 * operation of FORMAT UNIT (format.c), which runs here as a BLOCK ERASE
 * at the OVERWRITE pace (a format rewrites every block) and reports
 * FORMAT IN PROGRESS instead of SANITIZE IN PROGRESS. */
#define KIND_FORMAT 0x80

#define OP_SANITIZE 0x48
#define CHUNK_BYTES (1u << 20)
#define NS_PER_S 1000000000ull
/* Pace of the simulated medium, as multiples of the LU's OVERWRITE rate
 * (nx_lu_config.sanitize_bps, 16 MiB/s by default: a 128 MiB LU
 * overwrites in 8 s): a block erase resets cells, a cryptographic erase
 * rewrites only what is mapped. */
#define BLOCK_ERASE_SPEEDUP 8u
#define CRYPTO_ERASE_SPEEDUP 64u

struct nx_sanitize {
	struct nx_lu *lu;
	struct nx_timer *timer;
	struct nx_task *waiter;   /* IMMED=0 SANITIZE, until answered */
	struct nx_bs_io io;
	uint8_t *buf;             /* CHUNK_BYTES */
	uint64_t key;             /* CRYPTOGRAPHIC ERASE */
	uint64_t size;            /* bytes per pass */
	uint64_t pos;             /* bytes of this pass done */
	uint64_t bps;             /* pace */
	uint8_t sa;
	uint8_t passes;
	uint8_t pass;
	bool invert;
	bool ause;
	bool io_busy;
	bool orphan;              /* the LU went away with I/O in flight */
};

/* ---- the check in dispatch ------------------------------------------------- */

/* SBC-4 4.11.2: the commands a sanitize operation lets through; SBC-3
 * 5.3.1 (SBC-4 5.4.1): a format operation lets INQUIRY, REPORT LUNS and
 * REQUEST SENSE through. */
static bool allowed_during_op(uint8_t opcode, bool format)
{
	return opcode == 0x12 || opcode == 0xa0 || opcode == 0x03 ||
	       (opcode == 0x4d && !format);
}

bool nx_format_in_progress(const struct nx_lu *lu)
{
	return lu->sanitize != NULL && lu->sanitize->sa == KIND_FORMAT;
}

bool nx_sanitize_progress(const struct nx_lu *lu, uint16_t *progress)
{
	const struct nx_sanitize *op = lu->sanitize;

	if (op == NULL)
		return false;
	nx_assert(op->passes > 0 && op->size > 0);
	uint64_t total = op->size * op->passes;
	uint64_t done = op->size * op->pass + op->pos;
	/* 65536ths of the whole; divide first where done * 65536 could
	 * overflow */
	uint64_t p = total < (1ull << 47) ? done * 65536 / total
					  : done / ((total >> 16) + 1);
	*progress = (uint16_t)NX_MIN(p, 0xffffull);
	return true;
}

enum nx_sense_reason nx_sanitize_check(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	uint16_t progress;

	nx_assert(lu != NULL && t->priv.op != NULL);
	if (nx_sanitize_progress(lu, &progress)) {
		bool format = nx_format_in_progress(lu);

		if (allowed_during_op(t->cdb[0], format))
			return NX_SR_OK;
		struct nx_sense_field f = nx_sense_progress(progress);
		nx_task_set_sense(t, format ? NX_SR_FORMAT_IN_PROGRESS
					    : NX_SR_SANITIZE_IN_PROGRESS, &f);
		return NX_SR_CHECK_CONDITION_SET;
	}
	/* SBC-4 4.11.3: after a failed sanitize the medium is not usable;
	 * SANITIZE itself is how the application client gets out. */
	if (lu->sanitize_failed && (t->priv.op->flags & NX_OP_MEDIUM) &&
	    t->cdb[0] != OP_SANITIZE)
		return NX_SR_SANITIZE_FAILED;
	return NX_SR_OK;
}

/* ---- parsing ------------------------------------------------------------------ */

static enum nx_sense_reason cdb_field(struct nx_task *t, uint16_t byte, int bit)
{
	return nx_spc_bad_cdb(t, byte, bit);
}

static enum nx_sense_reason param_field(struct nx_task *t, uint16_t byte,
					int bit)
{
	t->priv.field.valid = true;
	t->priv.field.in_cdb = false;
	t->priv.field.bit_valid = bit >= 0;
	t->priv.field.bit = (uint8_t)(bit < 0 ? 0 : bit);
	t->priv.field.byte = byte;
	return NX_SR_INVALID_FIELD_IN_PARAM;
}

/* SBC-4 5.24.1: the PARAMETER LIST LENGTH each service action takes
 * (OVERWRITE: 5 .. block length + 4; the others: 0), else INVALID FIELD
 * IN CDB; after a failed sanitize in the restricted completion mode
 * (AUSE=0), neither AUSE=1 nor EXIT FAILURE MODE is accepted (SBC-4
 * 4.11.3). */
enum nx_sense_reason nx_sanitize_parse(struct nx_task *t)
{
	const struct nx_lu *lu = t->priv.lu;
	uint8_t sa = t->cdb[1] & 0x1f;
	bool ause = t->cdb[1] & 0x20;
	uint16_t plen = nx_get_be16(t->cdb + 7);

	nx_assert(lu != NULL);
	if (sa == SA_OVERWRITE) {
		if (plen < 5 || plen > lu->block_size + 4)
			return cdb_field(t, 7, 7);
	} else if (plen != 0) {
		return cdb_field(t, 7, 7);
	}
	if (lu->sanitize_failed && !lu->sanitize_failed_ause) {
		if (sa == SA_EXIT_FAILURE_MODE)
			return cdb_field(t, 1, 4);
		if (ause)
			return cdb_field(t, 1, 5);
	}
	t->data_len = plen;
	t->dir = plen ? NX_DIR_WRITE : NX_DIR_NONE;
	return NX_SR_OK;
}

/* SBC-4 5.24.2.2, the OVERWRITE parameter list: INVERT (byte 0 bit 7),
 * TEST (bits 6:5, 00b: no test mode is implemented), OVERWRITE COUNT
 * (bits 4:0, 0 reserved), byte 1 reserved, INITIALIZATION PATTERN
 * LENGTH (1 .. block length), then the pattern, exactly filling the
 * list. */
static enum nx_sense_reason overwrite_params(struct nx_task *t, uint16_t *ipl)
{
	const uint8_t *p = t->data;
	uint32_t plen = t->data_len;

	nx_assert(plen >= 5 && p != NULL);
	if ((p[0] & 0x1f) == 0)
		return param_field(t, 0, 4);
	if (p[0] & 0x60)
		return param_field(t, 0, 6);
	if (p[1] != 0)
		return param_field(t, 1, 7);
	*ipl = nx_get_be16(p + 2);
	if (*ipl == 0 || *ipl > t->priv.lu->block_size)
		return param_field(t, 2, 7);
	if (4u + *ipl > plen)
		return NX_SR_PARAM_LIST_LENGTH; /* the pattern is cut short */
	if (4u + *ipl < plen)
		return param_field(t, 2, 7);
	return NX_SR_OK;
}

/* ---- the operation ---------------------------------------------------------------- */

static void op_free(struct nx_sanitize *op)
{
	if (op->timer != NULL)
		nx_timer_free(op->timer);
	nx_free(op->buf);
	nx_free(op);
}

/* Answers the waiting command, if any, with reason. */
static void answer_waiter(struct nx_sanitize *op, enum nx_sense_reason reason)
{
	struct nx_task *w = op->waiter;

	op->waiter = NULL;
	if (w != NULL)
		nx_task_complete(w, reason);
}

/* SBC-4 4.11.3: success leaves the failure mode; a failure enters it.
 * A format operation leaves the sanitize state alone; its failure is
 * FORMAT COMMAND FAILED for the waiting command (SBC-3 5.3.1). */
static void op_finish(struct nx_sanitize *op, bool ok)
{
	struct nx_lu *lu = op->lu;

	nx_assert(lu->sanitize == op && !op->io_busy);
	lu->sanitize = NULL;
	if (op->sa == KIND_FORMAT) {
		if (!ok)
			nx_log(NX_LOG_WARN, "LU %llu: format failed at byte "
			       "%llu", (unsigned long long)lu->lun,
			       (unsigned long long)op->pos);
		answer_waiter(op, ok ? NX_SR_OK : NX_SR_FORMAT_FAILED);
		op_free(op);
		return;
	}
	lu->sanitize_failed = !ok;
	lu->sanitize_failed_ause = !ok && op->ause;
	if (!ok)
		nx_log(NX_LOG_WARN, "LU %llu: sanitize failed at byte %llu of "
		       "pass %u", (unsigned long long)lu->lun,
		       (unsigned long long)op->pos, (unsigned)op->pass + 1);
	/* An aborted waiter still ends through the task machinery, which
	 * sends nothing (or TASK ABORTED) for it. */
	answer_waiter(op, ok ? NX_SR_OK : NX_SR_SANITIZE_FAILED);
	op_free(op);
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* What the new key makes of the bytes [off, off + len). */
static void crypto_fill(const struct nx_sanitize *op, uint64_t off,
			uint32_t len)
{
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(op->key ^ (off + i));
		nx_put_be64(op->buf + i, v);
	}
}

static bool lba_mapped(const struct nx_lu *lu, uint64_t off)
{
	if (!lu->bs->thin || lu->bs->ops->mapped == NULL)
		return true;
	return lu->bs->ops->mapped(lu->bs, off);
}

/* CRYPTOGRAPHIC ERASE: the first run of mapped blocks in the window at
 * pos (*len 0: none, skip the window). */
static void crypto_run(const struct nx_sanitize *op, uint32_t window,
		       uint64_t *off, uint32_t *len)
{
	const struct nx_lu *lu = op->lu;
	uint32_t a = 0, b;

	while (a < window && !lba_mapped(lu, op->pos + a))
		a += lu->block_size;
	for (b = a; b < window && lba_mapped(lu, op->pos + b);)
		b += lu->block_size;
	*off = op->pos + a;
	*len = b - a;
}

static void chunk_done(struct nx_bs_io *io);

/* Starts the I/O for the next piece of this pass; returns the bytes it
 * covers (the pass advances by that much when it completes). */
static int chunk_submit(struct nx_sanitize *op, uint64_t *advance)
{
	struct nx_lu *lu = op->lu;
	uint32_t window = (uint32_t)NX_MIN((uint64_t)CHUNK_BYTES,
					   op->size - op->pos);
	struct nx_bs_io *io = &op->io;

	memset(io, 0, sizeof(*io));
	io->offset = op->pos;
	io->len = window;
	io->done = chunk_done;
	io->arg = op;
	*advance = window;
	if (op->sa == SA_OVERWRITE) {
		io->op = NX_BS_WRITE;
		io->buf = op->buf;
	} else if (op->sa == SA_BLOCK_ERASE || op->sa == KIND_FORMAT) {
		io->op = lu->bs->thin ? NX_BS_UNMAP : NX_BS_WRITE;
		io->buf = lu->bs->thin ? NULL : op->buf; /* zeros */
	} else {
		crypto_run(op, window, &io->offset, &io->len);
		if (io->len == 0)
			return 1; /* nothing mapped here */
		*advance = io->offset + io->len - op->pos;
		io->op = NX_BS_WRITE;
		io->buf = op->buf;
		crypto_fill(op, io->offset, io->len);
	}
	if (!lu->mode.wce)
		io->flags = NX_BS_FUA; /* SBC-3 6.4.5: write-through */
	op->io_busy = true;
	int rc = nx_bs_submit(lu->bs, io);
	if (rc < 0)
		op->io_busy = false;
	return rc;
}

static uint64_t pace_ns(const struct nx_sanitize *op, uint64_t bytes)
{
	return op->bps ? bytes * NS_PER_S / op->bps : 0; /* 0: wrapped */
}

/* Next pass: the pattern flips when INVERT is set (SBC-4 5.24.2.2). */
static void next_pass(struct nx_sanitize *op)
{
	op->pass++;
	op->pos = 0;
	if (op->invert)
		for (uint32_t i = 0; i < CHUNK_BYTES; i++)
			op->buf[i] ^= 0xff;
}

/* One timer tick: answer an aborted waiter, then the next chunk.  A
 * backstore that completes inline has run chunk_done() (which may have
 * finished and freed op) by the time chunk_submit() returns 0. */
static void op_tick(void *arg)
{
	struct nx_sanitize *op = arg;
	uint64_t advance = 0;

	nx_assert(!op->io_busy && op->lu->sanitize == op);
	if (op->waiter != NULL && nx_task_aborting(op->waiter))
		answer_waiter(op, NX_SR_OK);
	if (op->pos >= op->size && op->pass + 1 < op->passes)
		next_pass(op);
	if (op->pos >= op->size) {
		op_finish(op, true);
		return;
	}
	int rc = chunk_submit(op, &advance);
	if (rc < 0) {
		op_finish(op, false);
	} else if (rc > 0) {
		op->pos += advance; /* nothing to write in this window */
		nx_timer_arm(op->timer, pace_ns(op, advance));
	}
}

static void chunk_done(struct nx_bs_io *io)
{
	struct nx_sanitize *op = io->arg;

	nx_assert(op->io_busy);
	op->io_busy = false;
	if (op->orphan) {
		op_free(op);
		return;
	}
	if (io->err != 0) {
		op_finish(op, false);
		return;
	}
	uint64_t advance = io->offset + io->len - op->pos;
	op->pos += advance;
	nx_timer_arm(op->timer, pace_ns(op, advance));
}

/* The pattern buffer of an OVERWRITE: the initialization pattern from the
 * first byte of every block; inverted for the first pass when INVERT is
 * set and the count is even, so that the last pass writes it as given. */
static void overwrite_fill(struct nx_sanitize *op, const uint8_t *pattern,
			   uint16_t ipl)
{
	uint32_t bs = op->lu->block_size;

	for (uint32_t b = 0; b < CHUNK_BYTES; b += bs)
		for (uint32_t i = 0; i < bs; i += ipl)
			memcpy(op->buf + b + i, pattern, NX_MIN((uint32_t)ipl, bs - i));
	if (op->invert && (op->passes % 2) == 0)
		for (uint32_t i = 0; i < CHUNK_BYTES; i++)
			op->buf[i] ^= 0xff;
}

static struct nx_sanitize *op_new(struct nx_lu *lu, uint8_t sa, bool ause)
{
	struct nx_sanitize *op = nx_alloc(sizeof(*op));

	if (op == NULL)
		return NULL;
	op->buf = nx_alloc(CHUNK_BYTES); /* zeroed: BLOCK ERASE writes it */
	op->timer = nx_timer_new(op_tick, op);
	if (op->buf == NULL || op->timer == NULL) {
		op_free(op);
		return NULL;
	}
	op->lu = lu;
	op->sa = sa;
	op->ause = ause;
	op->size = lu->nblocks << lu->block_shift;
	op->passes = 1;
	op->bps = lu->sanitize_bps;
	if (sa == SA_BLOCK_ERASE)
		op->bps *= BLOCK_ERASE_SPEEDUP;
	else if (sa == SA_CRYPTO_ERASE)
		op->bps *= CRYPTO_ERASE_SPEEDUP;
	if (sa == SA_CRYPTO_ERASE)
		op->key = nx_random_u64();
	return op;
}

/* SBC-4 4.11.3: EXIT FAILURE MODE ends an unrestricted failure (the
 * restricted one was refused by the parser); with no failure it is a
 * no-op. */
static enum nx_sense_reason exit_failure_mode(struct nx_lu *lu)
{
	lu->sanitize_failed = false;
	lu->sanitize_failed_ause = false;
	return NX_SR_OK;
}

enum nx_sense_reason nx_sanitize_exec(struct nx_task *t)
{
	struct nx_lu *lu = t->priv.lu;
	uint8_t sa = t->cdb[1] & 0x1f;
	uint16_t ipl = 0;
	struct nx_sanitize *op;

	nx_assert(lu != NULL && lu->sanitize == NULL);
	if (sa == SA_EXIT_FAILURE_MODE)
		return exit_failure_mode(lu);
	if (sa == SA_OVERWRITE) {
		enum nx_sense_reason r = overwrite_params(t, &ipl);
		if (r != NX_SR_OK)
			return r;
	}
	op = op_new(lu, sa, t->cdb[1] & 0x20);
	if (op == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	if (sa == SA_OVERWRITE) {
		op->passes = t->data[0] & 0x1f;
		op->invert = t->data[0] & 0x80;
		overwrite_fill(op, t->data + 4, ipl);
	}
	lu->sanitize = op;
	nx_timer_arm(op->timer, 0); /* all work happens from the timer */
	if (t->cdb[1] & 0x80)
		return NX_SR_OK; /* IMMED */
	op->waiter = t;
	return NX_SR_ASYNC;
}

/* FORMAT UNIT (format.c) with a valid CDB and parameter list: the format
 * operation is a block erase of the whole LU (a thin LU ends with every
 * LBA deallocated, reading zeros; another one is written with zeros),
 * with the progress indication and the reset behaviour of a sanitize. */
enum nx_sense_reason nx_format_start(struct nx_task *t, bool immed)
{
	struct nx_lu *lu = t->priv.lu;
	struct nx_sanitize *op;

	nx_assert(lu != NULL);
	if (lu->sanitize != NULL) /* started while this one was parsed */
		return nx_format_in_progress(lu) ? NX_SR_FORMAT_IN_PROGRESS
						 : NX_SR_SANITIZE_IN_PROGRESS;
	op = op_new(lu, KIND_FORMAT, false);
	if (op == NULL)
		return NX_SR_INSUFFICIENT_RESOURCES;
	lu->sanitize = op;
	nx_timer_arm(op->timer, 0);
	if (immed)
		return NX_SR_OK;
	op->waiter = t;
	return NX_SR_ASYNC;
}

void nx_sanitize_lu_free(struct nx_lu *lu)
{
	struct nx_sanitize *op = lu->sanitize;

	if (op == NULL)
		return;
	nx_assert(op->waiter == NULL); /* no task outlives its target */
	lu->sanitize = NULL;
	nx_timer_free(op->timer);
	op->timer = NULL;
	if (!op->io_busy) {
		op_free(op);
		return;
	}
	/* The backstore still owns the buffer: let its completion free op
	 * (a platform that drops completions on close leaks it instead of
	 * freeing memory an I/O still uses). */
	nx_log(NX_LOG_WARN, "LU %llu freed during a sanitize I/O",
	       (unsigned long long)lu->lun);
	op->orphan = true;
}
