/*
 * sbc.c - SBC-3 (sbc3r36) block commands.
 *
 * Parsers decode the CDB into the task (LBA, block count, data direction,
 * FUA) and do the checks every block command shares: transfer length
 * against the Block Limits MAXIMUM TRANSFER LENGTH (SBC-3 6.5.3: larger ->
 * INVALID FIELD IN CDB), then LBA range (SBC-3 4.5: LBA + length beyond the
 * capacity -> LBA OUT OF RANGE, even for a zero length).  Executors run a
 * small engine: at most one backstore I/O in flight per task, each I/O a
 * "step"; a step that completes inline loops instead of recursing, so a RAM
 * backstore (inline) and a file backstore (event loop) take the same path.
 * READ reads straight into t->data and WRITE writes straight from it.
 */
#include "scsi_internal.h"

#define CHUNK_BYTES (1u << 20)        /* scratch buffer for chunked ops */
#define UNMAP_CHUNK_BYTES (1u << 30)  /* nx_bs_io.len is 32-bit */
#define STATUS_SCAN_MAX (1u << 20)    /* GET LBA STATUS scans this far */

enum engine {
	E_NONE = 0,
	E_READ,
	E_WRITE,
	E_VERIFY,
	E_WRITE_VERIFY,
	E_SYNC,
	E_WS_WRITE,
	E_WS_UNMAP,
	E_UNMAP,
	E_CAW,
	E_ORWRITE,
	E_SSU,
	E_COUNT
};

static struct nx_lu *lu_of(const struct nx_task *t)
{
	nx_assert(t->priv.lu != NULL);
	return t->priv.lu;
}

static uint32_t blocks_to_bytes(const struct nx_lu *lu, uint64_t n)
{
	nx_assert(n <= (NX_MAX_XFER_BYTES >> lu->block_shift) * 2ull);
	return (uint32_t)(n << lu->block_shift);
}

static enum nx_sense_reason cdb_field(struct nx_task *t, uint16_t byte, int bit)
{
	t->priv.field.valid = true;
	t->priv.field.in_cdb = true;
	t->priv.field.byte = byte;
	t->priv.field.bit_valid = bit >= 0;
	t->priv.field.bit = (uint8_t)(bit < 0 ? 0 : bit);
	return NX_SR_INVALID_FIELD_IN_CDB;
}

static bool lba_in_range(const struct nx_lu *lu, uint64_t lba, uint64_t n)
{
	return lba <= lu->nblocks && n <= lu->nblocks - lba;
}

/* ---- the I/O engine ------------------------------------------------------ */

typedef enum nx_sense_reason (*step_fn)(struct nx_task *t);
static const step_fn engine_steps[E_COUNT];

static void sbc_drive(struct nx_task *t);

static void io_done(struct nx_bs_io *io)
{
	struct nx_task *t = io->arg;

	nx_assert(t->priv.pending_io == 1);
	t->priv.pending_io = 0;
	t->priv.io_err = io->err;
	nx_io_gate_done(lu_of(t));
	if (t->priv.in_step) {
		t->priv.io_inline = true;
		return;
	}
	sbc_drive(t);
}

static enum nx_sense_reason io_fail(enum nx_bs_op op, int err)
{
	if (err == NX_ENOMEM)
		return NX_SR_INSUFFICIENT_RESOURCES;
	return op == NX_BS_READ ? NX_SR_READ_ERROR : NX_SR_WRITE_ERROR;
}

static enum nx_sense_reason submit(struct nx_task *t, enum nx_bs_op op,
				   uint64_t lba, uint64_t nblocks,
				   uint8_t *buf, unsigned flags)
{
	struct nx_lu *lu = lu_of(t);
	struct nx_bs_io *io = &t->priv.io;

	nx_assert(t->priv.pending_io == 0);
	nx_assert(nblocks << lu->block_shift <= 0xffffffffull);
	/* Every field, each stored once (was a clear, then the stores). */
	*io = (struct nx_bs_io){
		.op = op,
		.flags = flags,
		.offset = lba << lu->block_shift,
		.len = (uint32_t)(nblocks << lu->block_shift),
		.buf = buf,
		.err = 0,
		.done = io_done,
		.arg = t,
	};
	t->priv.pending_io = 1;
	t->priv.io_err = 0;
	int rc = nx_io_gate_submit(lu, t);
	if (rc < 0) {
		t->priv.pending_io = 0;
		return io_fail(op, rc);
	}
	return NX_SR_ASYNC;
}

static enum nx_sense_reason io_result(const struct nx_task *t)
{
	if (t->priv.io_err == 0)
		return NX_SR_OK;
	return io_fail(t->priv.io.op, t->priv.io_err);
}

/* The one way out of the engine: an atomic command gives the LU back. */
static void sbc_finish(struct nx_task *t, enum nx_sense_reason r)
{
	nx_io_gate_release(lu_of(t), t);
	nx_task_complete(t, r);
}

static void sbc_drive(struct nx_task *t)
{
	for (;;) {
		enum nx_sense_reason r;
		/* An aborted task stops at a step boundary (SAM-5 7.2). */
		if (nx_task_aborting(t)) {
			sbc_finish(t, NX_SR_OK);
			return;
		}
		nx_assert(t->priv.engine > E_NONE && t->priv.engine < E_COUNT);
		t->priv.in_step = true;
		t->priv.io_inline = false;
		r = engine_steps[t->priv.engine](t);
		t->priv.in_step = false;
		if (r != NX_SR_ASYNC) {
			sbc_finish(t, r);
			return;
		}
		if (!t->priv.io_inline)
			return; /* io_done() drives the next step */
	}
}

static enum nx_sense_reason exec_engine(struct nx_task *t)
{
	t->priv.stage = 0;
	t->priv.cursor = 0;
	sbc_drive(t);
	return NX_SR_ASYNC;
}

static bool aux_reserve(struct nx_task *t, uint32_t len)
{
	if (t->priv.aux_len >= len)
		return true;
	if (t->priv.aux != NULL)
		nx_free(t->priv.aux);
	t->priv.aux = nx_alloc(len);
	t->priv.aux_len = t->priv.aux ? len : 0;
	return t->priv.aux != NULL;
}

static uint64_t chunk_blocks(const struct nx_task *t, uint32_t bytes)
{
	uint64_t left = t->priv.nblocks - t->priv.cursor;

	return NX_MIN(left, (uint64_t)(bytes >> lu_of(t)->block_shift));
}

/* SBC-3 5.x: INFORMATION = offset of the first miscompared byte. */
static enum nx_sense_reason miscompare(struct nx_task *t, uint64_t offset)
{
	nx_sense_build(t, 0x0e, 0x1d, 0x00, NULL, true, offset);
	return NX_SR_CHECK_CONDITION_SET;
}

static bool find_diff(const uint8_t *a, const uint8_t *b, uint32_t len,
		      uint32_t *at)
{
	if (memcmp(a, b, len) == 0)
		return false;
	uint32_t i = 0;
	while (a[i] == b[i])
		i++;
	*at = i;
	return true;
}

/* ---- READ / WRITE ------------------------------------------------------- */

static enum nx_sense_reason read_step(struct nx_task *t)
{
	if (t->priv.stage == 0) {
		if (t->priv.nblocks == 0)
			return NX_SR_OK;
		t->priv.stage = 1;
		return submit(t, NX_BS_READ, t->priv.lba, t->priv.nblocks,
			      t->data, 0);
	}
	enum nx_sense_reason r = io_result(t);
	if (r == NX_SR_OK)
		t->xfer_len = t->data_len;
	return r;
}

/* With WCE=0 every write is write-through (SBC-3 6.4.5). */
static unsigned write_flags(const struct nx_task *t)
{
	unsigned f = t->priv.bs_flags;

	if (!lu_of(t)->mode.wce)
		f |= NX_BS_FUA;
	return f;
}

static enum nx_sense_reason write_step(struct nx_task *t)
{
	if (t->priv.stage == 0) {
		if (t->priv.nblocks == 0)
			return NX_SR_OK;
		t->priv.stage = 1;
		return submit(t, NX_BS_WRITE, t->priv.lba, t->priv.nblocks,
			      t->data, write_flags(t));
	}
	return io_result(t);
}

/* Shared by READ/WRITE/VERIFY/... (6/10/12/16): length and range checks. */
static enum nx_sense_reason rw_common(struct nx_task *t, uint64_t lba,
				      uint64_t nblocks, uint16_t len_byte,
				      enum nx_data_dir dir, enum engine e)
{
	struct nx_lu *lu = lu_of(t);

	if (nblocks > (NX_MAX_XFER_BYTES >> lu->block_shift))
		return cdb_field(t, len_byte, 7);
	if (!lba_in_range(lu, lba, nblocks))
		return NX_SR_LBA_OUT_OF_RANGE;
	t->priv.lba = lba;
	t->priv.nblocks = (uint32_t)nblocks;
	t->data_len = blocks_to_bytes(lu, nblocks);
	t->dir = t->data_len ? dir : NX_DIR_NONE;
	t->priv.engine = (uint8_t)e;
	if (t->cdb[1] & 0x08)
		t->priv.bs_flags |= NX_BS_FUA;
	return NX_SR_OK;
}

/* READ(6)/WRITE(6): 21-bit LBA, length 0 means 256 blocks (SBC-3 5.12). */
static void decode6(const uint8_t *cdb, uint64_t *lba, uint64_t *n)
{
	*lba = (uint64_t)(cdb[1] & 0x1f) << 16 | nx_get_be16(cdb + 2);
	*n = cdb[4] ? cdb[4] : 256;
}

static enum nx_sense_reason parse_read6(struct nx_task *t)
{
	uint64_t lba, n;

	decode6(t->cdb, &lba, &n);
	return rw_common(t, lba, n, 4, NX_DIR_READ, E_READ);
}

static enum nx_sense_reason parse_write6(struct nx_task *t)
{
	uint64_t lba, n;

	decode6(t->cdb, &lba, &n);
	return rw_common(t, lba, n, 4, NX_DIR_WRITE, E_WRITE);
}

/* 10-, 12- and 16-byte CDBs: where LBA and length live. */
static void decode_lba_len(const uint8_t *cdb, uint64_t *lba, uint64_t *n,
			   uint16_t *len_byte)
{
	switch (cdb[0] >> 5) {
	case 1: /* group 1 and 2: 10-byte */
	case 2:
		*lba = nx_get_be32(cdb + 2);
		*n = nx_get_be16(cdb + 7);
		*len_byte = 7;
		break;
	case 5: /* 12-byte */
		*lba = nx_get_be32(cdb + 2);
		*n = nx_get_be32(cdb + 6);
		*len_byte = 6;
		break;
	default: /* group 4: 16-byte */
		*lba = nx_get_be64(cdb + 2);
		*n = nx_get_be32(cdb + 10);
		*len_byte = 10;
		break;
	}
}

static enum nx_sense_reason parse_read(struct nx_task *t)
{
	uint64_t lba, n;
	uint16_t lb;

	decode_lba_len(t->cdb, &lba, &n, &lb);
	return rw_common(t, lba, n, lb, NX_DIR_READ, E_READ);
}

static enum nx_sense_reason parse_write(struct nx_task *t)
{
	uint64_t lba, n;
	uint16_t lb;

	decode_lba_len(t->cdb, &lba, &n, &lb);
	return rw_common(t, lba, n, lb, NX_DIR_WRITE, E_WRITE);
}

/* ---- WRITE ATOMIC(16) (SBC-4 5.48) ---------------------------------------- */

/* SBC-4 5.48: TRANSFER LENGTH above MAXIMUM ATOMIC TRANSFER LENGTH, an LBA
 * that is not a multiple of ATOMIC ALIGNMENT or a length that is not a
 * multiple of ATOMIC TRANSFER LENGTH GRANULARITY (0 or 1 = no requirement)
 * -> INVALID FIELD IN CDB at the offending field.  Returns the CDB byte
 * in error, or 0. */
static uint16_t atomic_bad_field(uint64_t lba, uint64_t n, uint64_t max,
				 uint32_t align, uint32_t gran)
{
	if (n > max)
		return 12;
	if (align > 1 && lba % align != 0)
		return 2;
	if (gran > 1 && n % gran != 0)
		return 12;
	return 0;
}

/* One backstore write of the whole range (the E_WRITE engine) under the
 * LU's I/O gate (NX_OP_ATOMIC): no other I/O of the LU is in flight while
 * it runs, so readers see all of it or none and no write interleaves.
 * The ATOMIC BOUNDARY field is outside the usage mask (MAXIMUM ATOMIC
 * BOUNDARY SIZE 0: boundaries unsupported, a non-zero field is rejected
 * by dispatch). */
static enum nx_sense_reason parse_write_atomic(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	uint64_t lba = nx_get_be64(t->cdb + 2);
	uint64_t n = nx_get_be16(t->cdb + 12);
	uint32_t unit = NX_MAX(1u, NX_ATOMIC_UNIT_BYTES >> lu->block_shift);
	uint16_t bad = atomic_bad_field(lba, n,
					NX_ATOMIC_MAX_BYTES >> lu->block_shift,
					unit, unit);

	if (bad != 0)
		return cdb_field(t, bad, 7);
	return rw_common(t, lba, n, 12, NX_DIR_WRITE, E_WRITE);
}

/* ---- VERIFY / WRITE AND VERIFY (SBC-3 5.32, 5.38) ------------------------ */

/* BYTCHK 00b: medium verification only; 01b: compare with the data-out
 * (one block per LBA); 11b: compare every LBA with one data-out block;
 * 10b: reserved (SBC-3 5.32, BYTCHK field). */
static enum nx_sense_reason parse_verify(struct nx_task *t)
{
	uint64_t lba, n;
	uint16_t lb;
	uint8_t bytchk = (t->cdb[1] >> 1) & 0x03;
	struct nx_lu *lu = lu_of(t);

	if (bytchk == 2)
		return cdb_field(t, 1, 2);
	decode_lba_len(t->cdb, &lba, &n, &lb);
	enum nx_sense_reason r = rw_common(t, lba, n, lb, NX_DIR_WRITE,
					   E_VERIFY);
	if (r != NX_SR_OK)
		return r;
	t->priv.bs_flags = 0;
	t->priv.byte_chk = bytchk;
	if (bytchk == 0 || n == 0)
		t->data_len = 0;
	else if (bytchk == 3)
		t->data_len = lu->block_size;
	t->dir = t->data_len ? NX_DIR_WRITE : NX_DIR_NONE;
	return NX_SR_OK;
}

static enum nx_sense_reason verify_compare(struct nx_task *t, uint64_t n)
{
	uint32_t bs = lu_of(t)->block_size;
	uint64_t base = t->priv.cursor * bs;
	uint32_t at;

	if (t->priv.byte_chk == 1) {
		if (find_diff(t->data + base, t->priv.aux, (uint32_t)(n * bs), &at))
			return miscompare(t, base + at);
		return NX_SR_OK;
	}
	if (t->priv.byte_chk == 3) {
		for (uint64_t i = 0; i < n; i++)
			if (find_diff(t->data, t->priv.aux + i * bs, bs, &at))
				return miscompare(t, base + i * bs + at);
	}
	return NX_SR_OK;
}

static enum nx_sense_reason verify_step(struct nx_task *t)
{
	for (;;) {
		uint64_t n = chunk_blocks(t, CHUNK_BYTES);
		if (t->priv.stage == 0) {
			if (n == 0)
				return NX_SR_OK;
			if (!aux_reserve(t, CHUNK_BYTES))
				return NX_SR_BUSY;
			t->priv.stage = 1;
			return submit(t, NX_BS_READ, t->priv.lba + t->priv.cursor,
				      n, t->priv.aux, 0);
		}
		enum nx_sense_reason r = io_result(t);
		if (r == NX_SR_OK)
			r = verify_compare(t, n);
		if (r != NX_SR_OK)
			return r;
		t->priv.cursor += n;
		t->priv.stage = 0;
	}
}

/* WRITE AND VERIFY: BYTCHK is one bit in sbc3r36 (bit 1). */
static enum nx_sense_reason parse_write_verify(struct nx_task *t)
{
	uint64_t lba, n;
	uint16_t lb;

	decode_lba_len(t->cdb, &lba, &n, &lb);
	enum nx_sense_reason r = rw_common(t, lba, n, lb, NX_DIR_WRITE,
					   E_WRITE_VERIFY);
	t->priv.byte_chk = (t->cdb[1] & 0x02) ? 1 : 0;
	t->priv.bs_flags = 0;
	return r;
}

static enum nx_sense_reason write_verify_step(struct nx_task *t)
{
	if (t->priv.stage == 0) {
		if (t->priv.nblocks == 0)
			return NX_SR_OK;
		t->priv.stage = 1;
		return submit(t, NX_BS_WRITE, t->priv.lba, t->priv.nblocks,
			      t->data, write_flags(t));
	}
	enum nx_sense_reason r = io_result(t);
	if (r != NX_SR_OK)
		return r;
	/* Now verify what was written; reads come from the same medium. */
	t->priv.engine = E_VERIFY;
	t->priv.stage = 0;
	t->priv.cursor = 0;
	return verify_step(t);
}

/* ---- SYNCHRONIZE CACHE (SBC-3 5.22, 5.23) / PRE-FETCH (5.9, 5.10) ------ */

static enum nx_sense_reason parse_range_nodata(struct nx_task *t, enum engine e)
{
	uint64_t lba, n;
	uint16_t lb;
	struct nx_lu *lu = lu_of(t);

	decode_lba_len(t->cdb, &lba, &n, &lb);
	if (!lba_in_range(lu, lba, n))
		return NX_SR_LBA_OUT_OF_RANGE;
	t->priv.lba = lba;
	t->priv.nblocks = (uint32_t)NX_MIN(n, 0xffffffffull);
	t->priv.engine = (uint8_t)e;
	t->data_len = 0;
	t->dir = NX_DIR_NONE;
	return NX_SR_OK;
}

static enum nx_sense_reason parse_sync(struct nx_task *t)
{
	return parse_range_nodata(t, E_SYNC);
}

static void detached_done(struct nx_bs_io *io)
{
	nx_free(io);
}

/* IMMED=1: "return status as soon as the CDB has been validated"; the
 * flush then runs detached from the task. */
static bool sync_detached(struct nx_task *t, uint64_t off, uint32_t len)
{
	struct nx_bs_io *io = nx_alloc(sizeof(*io));

	if (io == NULL)
		return false;
	io->op = NX_BS_SYNC;
	io->offset = off;
	io->len = len;
	io->done = detached_done;
	if (nx_bs_submit(lu_of(t)->bs, io) < 0)
		nx_free(io);
	return true;
}

static enum nx_sense_reason sync_step(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	uint64_t lba = t->priv.lba;
	uint64_t nb = t->priv.nblocks;

	if (t->priv.stage == 1)
		return io_result(t);
	/* NUMBER OF BLOCKS 0: from LBA to the end of the medium; a range too
	 * long for a 32-bit byte count flushes everything (len 0). */
	if (nb == 0)
		nb = lu->nblocks - lba;
	if (nb << lu->block_shift > 0xffffffffull) {
		lba = 0;
		nb = 0;
	}
	if ((t->cdb[1] & 0x02) &&
	    sync_detached(t, lba << lu->block_shift,
			  (uint32_t)(nb << lu->block_shift)))
		return NX_SR_OK;
	t->priv.stage = 1;
	return submit(t, NX_BS_SYNC, lba, nb, NULL, 0);
}

/* The whole medium is resident (RAM) or behind the host's page cache, so
 * the blocks "fit in the cache": CONDITION MET (SBC-3 5.9: IMMED=0 and all
 * blocks transferred; IMMED=1 and the cache has room). */
static enum nx_sense_reason parse_prefetch(struct nx_task *t)
{
	return parse_range_nodata(t, E_NONE);
}

static enum nx_sense_reason exec_prefetch(struct nx_task *t)
{
	t->status = NX_STATUS_CONDITION_MET;
	return NX_SR_OK;
}

/* ---- READ CAPACITY (SBC-3 5.15, 5.16) ----------------------------------- */

static enum nx_sense_reason parse_rc10(struct nx_task *t)
{
	/* PMI=0 requires LOGICAL BLOCK ADDRESS 0 (SBC-3 5.15). */
	if (!(t->cdb[8] & 0x01) && nx_get_be32(t->cdb + 2) != 0)
		return cdb_field(t, 2, 7);
	t->data_len = 8;
	t->dir = NX_DIR_READ;
	return NX_SR_OK;
}

static enum nx_sense_reason exec_rc10(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	uint8_t d[8];
	uint64_t last = lu->nblocks ? lu->nblocks - 1 : 0;

	nx_put_be32(d, last >= 0xffffffffull ? 0xffffffffu : (uint32_t)last);
	nx_put_be32(d + 4, lu->block_size);
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

static enum nx_sense_reason parse_alloc16(struct nx_task *t)
{
	t->data_len = nx_get_be32(t->cdb + 10);
	if (t->data_len > NX_MAX_XFER_BYTES)
		t->data_len = NX_MAX_XFER_BYTES; /* we never return more */
	t->dir = t->data_len ? NX_DIR_READ : NX_DIR_NONE;
	return NX_SR_OK;
}

static enum nx_sense_reason parse_rc16(struct nx_task *t)
{
	if (!(t->cdb[14] & 0x01) && nx_get_be64(t->cdb + 2) != 0)
		return cdb_field(t, 2, 7);
	return parse_alloc16(t);
}

static enum nx_sense_reason exec_rc16(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	uint8_t d[32];

	memset(d, 0, sizeof(d));
	nx_put_be64(d, lu->nblocks ? lu->nblocks - 1 : 0);
	nx_put_be32(d + 8, lu->block_size);
	/* SBC-3 5.16.2: LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT; LBA 0
	 * starts a physical block (LOWEST ALIGNED LOGICAL BLOCK ADDRESS 0). */
	d[13] = lu->lbppbe & 0x0f;
	/* LBPME, and LBPRZ since unmapped blocks read zero. */
	if (lu->bs->thin)
		d[14] = 0x80 | 0x40;
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

/* ---- START STOP UNIT (SBC-3 5.25), PREVENT ALLOW (5.13) ----------------- */

static enum nx_sense_reason parse_ssu(struct nx_task *t)
{
	uint8_t pc = t->cdb[4] >> 4;
	bool loej = t->cdb[4] & 0x02;

	t->priv.engine = E_SSU;
	/* POWER CONDITION != 0: START and LOEJ are ignored.  Prevention
	 * refuses both eject and load (SBC-3 5.13, 5.25). */
	if (pc == 0 && loej && lu_of(t)->prevent)
		return NX_SR_MEDIUM_REMOVAL_PREVENTED;
	return NX_SR_OK;
}

/* What START and LOEJ do once the cache is written back.  A fixed LU
 * stops and starts (SBC-3 4.20).  A removable LU's readiness follows its
 * medium: LOEJ=1 ejects (START=0) or loads (START=1); LOEJ=0 only writes
 * back the cache and the LU stays ready (as tgt does, and as libiscsi's
 * StartStopUnit.NoLoej expects of a removable LU).  Loading a medium is
 * a medium change for every other I_T nexus: UA 28h/00h NOT READY TO
 * READY CHANGE, MEDIUM MAY HAVE CHANGED (SPC-4 6.37). */
static void ssu_apply(struct nx_task *t, bool start, bool loej)
{
	struct nx_lu *lu = lu_of(t);

	if (!lu->removable) {
		lu->stopped = !start;
		return;
	}
	if (!loej)
		return;
	if (!start) {
		lu->medium_absent = true;
		return;
	}
	if (lu->medium_absent) {
		lu->medium_absent = false;
		nx_ua_establish_all(lu->tgt, lu, t->nexus, 0x28, 0x00);
	}
}

static enum nx_sense_reason ssu_step(struct nx_task *t)
{
	uint8_t pc = t->cdb[4] >> 4;
	bool no_flush = t->cdb[4] & 0x04;
	bool loej = t->cdb[4] & 0x02;
	bool start = t->cdb[4] & 0x01;
	struct nx_lu *lu = lu_of(t);

	if (pc != 0)
		return NX_SR_OK;
	if (t->priv.stage == 0 && !start && !no_flush && !lu->stopped &&
	    !lu->medium_absent) {
		/* Stopping or ejecting writes back the volatile cache first. */
		t->priv.stage = 1;
		return submit(t, NX_BS_SYNC, 0, 0, NULL, 0);
	}
	if (t->priv.stage == 1) {
		enum nx_sense_reason r = io_result(t);
		if (r != NX_SR_OK)
			return r;
	}
	ssu_apply(t, start, loej);
	return NX_SR_OK;
}

/* PREVENT 01b starts this I_T nexus's prevention, 00b ends it; 10b/11b
 * are obsolete -> INVALID FIELD IN CDB.  Removal stays prevented while
 * any I_T nexus prevents it (SBC-3 5.13). */
static enum nx_sense_reason parse_prevent(struct nx_task *t)
{
	if (t->cdb[4] & 0x02)
		return cdb_field(t, 4, 1);
	return NX_SR_OK;
}

static enum nx_sense_reason exec_prevent(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	unsigned i = nx_target_lu_index(lu->tgt, lu);

	if (!(t->cdb[4] & 0x01)) {
		nx_prevent_release(lu, t->nexus);
	} else if (!t->nexus->lus[i].prevent) {
		t->nexus->lus[i].prevent = true;
		lu->prevent++;
	}
	return NX_SR_OK;
}

void nx_prevent_release(struct nx_lu *lu, struct nx_nexus *n)
{
	unsigned i = nx_target_lu_index(lu->tgt, lu);

	if (n != NULL) {
		if (n->lus[i].prevent) {
			nx_assert(lu->prevent > 0);
			n->lus[i].prevent = false;
			lu->prevent--;
		}
		return;
	}
	for (struct nx_nexus *m = lu->tgt->nexus_head; m != NULL; m = m->next)
		m->lus[i].prevent = false;
	lu->prevent = 0;
}

/* ---- WRITE SAME (SBC-3 5.41, 5.42) --------------------------------------- */

static enum nx_sense_reason ws_common(struct nx_task *t, uint64_t lba,
				      uint64_t n, uint16_t len_byte, bool ndob)
{
	struct nx_lu *lu = lu_of(t);

	if (!lba_in_range(lu, lba, n))
		return NX_SR_LBA_OUT_OF_RANGE;
	/* WSNZ=0: zero blocks means up to the last LBA (SBC-3 5.41). */
	if (n == 0)
		n = lu->nblocks - lba;
	if (n > NX_WS_MAX_BLOCKS)
		return cdb_field(t, len_byte, 7);
	bool unmap = t->cdb[1] & 0x08;
	if (unmap && !lu->bs->thin)
		return cdb_field(t, 1, 3);
	/* SBC-3 5.41: the Data-Out Buffer is one logical block.  An
	 * initiator expecting to send more (libiscsi's WriteSame*.
	 * InvalidDataOutSize) meant another command: refused as LIO does,
	 * INVALID FIELD IN COMMAND INFORMATION UNIT (its expected data
	 * transfer length), rather than run with a residual.  Less than a
	 * block is the transport's overflow case (05/0E/03 too). */
	if (!ndob && t->expected_len > lu->block_size)
		return NX_SR_INVALID_FIELD_IN_IU;
	t->priv.lba = lba;
	t->priv.nblocks = (uint32_t)n;
	/* UNMAP=1, ANCHOR=0 on a thin LU (SBC-3 5.41/5.42; SBC-4's UNMAP
	 * and ANCHOR table: "should deallocate each LBA specified"):
	 * deallocate whatever the Data-Out block holds (it is still
	 * transferred); with LBPRZ=1 the LBAs then read as zeros.  Writing
	 * a non-zero block instead would leave them mapped and defeat the
	 * unmap the initiator asked for. */
	t->priv.engine = unmap ? E_WS_UNMAP : E_WS_WRITE;
	t->data_len = ndob ? 0 : lu->block_size;
	t->dir = ndob ? NX_DIR_NONE : NX_DIR_WRITE;
	return NX_SR_OK;
}

static enum nx_sense_reason parse_ws10(struct nx_task *t)
{
	return ws_common(t, nx_get_be32(t->cdb + 2), nx_get_be16(t->cdb + 7), 7,
			 false);
}

static enum nx_sense_reason parse_ws16(struct nx_task *t)
{
	bool ndob = t->cdb[1] & 0x01;

	/* NDOB without UNMAP is fine: zeros are written. */
	return ws_common(t, nx_get_be64(t->cdb + 2), nx_get_be32(t->cdb + 10),
			 10, ndob);
}

/* Fills aux with as many copies of the pattern block as one chunk holds. */
static enum nx_sense_reason ws_fill(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	uint64_t n = chunk_blocks(t, CHUNK_BYTES);
	uint32_t bytes = (uint32_t)(n << lu->block_shift);

	if (!aux_reserve(t, bytes ? bytes : 1))
		return NX_SR_BUSY;
	for (uint32_t off = 0; off < bytes; off += lu->block_size) {
		if (t->data_len)
			memcpy(t->priv.aux + off, t->data, lu->block_size);
		else
			memset(t->priv.aux + off, 0, lu->block_size); /* NDOB */
	}
	return NX_SR_OK;
}

/* stage 0: fill the pattern; 1: submit a chunk; 2: chunk done. */
static enum nx_sense_reason ws_write_step(struct nx_task *t)
{
	if (t->priv.stage == 0) {
		enum nx_sense_reason r = ws_fill(t);
		if (r != NX_SR_OK)
			return r;
		t->priv.stage = 1;
	}
	for (;;) {
		uint64_t n = chunk_blocks(t, CHUNK_BYTES);
		if (t->priv.stage == 1) {
			if (n == 0)
				return NX_SR_OK;
			t->priv.stage = 2;
			return submit(t, NX_BS_WRITE, t->priv.lba + t->priv.cursor,
				      n, t->priv.aux, write_flags(t));
		}
		enum nx_sense_reason r = io_result(t);
		if (r != NX_SR_OK)
			return r;
		t->priv.cursor += n;
		t->priv.stage = 1;
	}
}

/* Unmaps [lba + cursor, lba + nblocks) in chunks; stage 0 submit, 1 done. */
static enum nx_sense_reason unmap_range_step(struct nx_task *t)
{
	for (;;) {
		uint64_t n = chunk_blocks(t, UNMAP_CHUNK_BYTES);
		if (t->priv.stage == 0) {
			if (n == 0)
				return NX_SR_OK;
			t->priv.stage = 1;
			return submit(t, NX_BS_UNMAP, t->priv.lba + t->priv.cursor,
				      n, NULL, 0);
		}
		enum nx_sense_reason r = io_result(t);
		if (r != NX_SR_OK)
			return r;
		t->priv.cursor += n;
		t->priv.stage = 0;
	}
}

/* ---- UNMAP (SBC-3 5.28) ------------------------------------------------- */

static enum nx_sense_reason parse_unmap(struct nx_task *t)
{
	if (!lu_of(t)->bs->thin)
		return NX_SR_INVALID_OPCODE; /* LBPU=0 in the LBP VPD page */
	t->data_len = nx_get_be16(t->cdb + 7);
	t->dir = t->data_len ? NX_DIR_WRITE : NX_DIR_NONE;
	t->priv.engine = E_UNMAP;
	return NX_SR_OK;
}

static enum nx_sense_reason param_field(struct nx_task *t, uint16_t byte)
{
	t->priv.field.valid = true;
	t->priv.field.in_cdb = false;
	t->priv.field.bit_valid = false;
	t->priv.field.byte = byte;
	return NX_SR_INVALID_FIELD_IN_PARAM;
}

/* Validates the whole list before anything is unmapped; returns the
 * number of descriptors in *count. */
static enum nx_sense_reason unmap_validate(struct nx_task *t, uint32_t *count)
{
	struct nx_lu *lu = lu_of(t);
	uint32_t plen = t->data_len;

	*count = 0;
	if (plen == 0)
		return NX_SR_OK;
	if (plen < 8)
		return NX_SR_PARAM_LIST_LENGTH;
	uint32_t bd_len = nx_get_be16(t->data + 2);
	if (bd_len > plen - 8)
		bd_len = plen - 8; /* what was transferred is what counts */
	bd_len &= ~15u;
	if (bd_len / 16 > NX_UNMAP_MAX_DESC)
		return param_field(t, 2);
	/* SBC-3 5.27: the *total* of all descriptors counts against MAXIMUM
	 * UNMAP LBA COUNT (extents may overlap, so each one alone may be
	 * small); the pointer names the descriptor that crosses it. */
	uint64_t total = 0;
	for (uint32_t off = 8; off < 8 + bd_len; off += 16) {
		uint64_t lba = nx_get_be64(t->data + off);
		uint32_t n = nx_get_be32(t->data + off + 8);
		total += n;
		if (total > NX_UNMAP_MAX_BLOCKS)
			return param_field(t, (uint16_t)(off + 8));
		if (!lba_in_range(lu, lba, n))
			return NX_SR_LBA_OUT_OF_RANGE;
	}
	*count = bd_len / 16;
	return NX_SR_OK;
}

/* cursor = index of the descriptor being unmapped.  The list is validated
 * on every step (bounded: NX_UNMAP_MAX_DESC) rather than cached. */
static enum nx_sense_reason unmap_step(struct nx_task *t)
{
	uint32_t count;
	enum nx_sense_reason r = unmap_validate(t, &count);

	if (r != NX_SR_OK)
		return r;
	for (;;) {
		if (t->priv.stage == 1) {
			r = io_result(t);
			if (r != NX_SR_OK)
				return r;
			t->priv.cursor++;
			t->priv.stage = 0;
		}
		if (t->priv.cursor >= count)
			return NX_SR_OK;
		uint32_t off = 8 + 16u * (uint32_t)t->priv.cursor;
		uint64_t lba = nx_get_be64(t->data + off);
		uint32_t n = nx_get_be32(t->data + off + 8);
		if (n == 0) {
			t->priv.cursor++;
			continue;
		}
		t->priv.stage = 1;
		return submit(t, NX_BS_UNMAP, lba, n, NULL, 0);
	}
}

/* ---- GET LBA STATUS (SBC-3 5.7) ----------------------------------------- */

static enum nx_sense_reason parse_gls(struct nx_task *t)
{
	if (nx_get_be64(t->cdb + 2) >= lu_of(t)->nblocks)
		return NX_SR_LBA_OUT_OF_RANGE;
	return parse_alloc16(t);
}

static bool lba_mapped(struct nx_lu *lu, uint64_t lba)
{
	if (!lu->bs->thin || lu->bs->ops->mapped == NULL)
		return true;
	return lu->bs->ops->mapped(lu->bs, lba << lu->block_shift);
}

static enum nx_sense_reason exec_gls(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	uint64_t lba = nx_get_be64(t->cdb + 2);
	uint64_t limit = NX_MIN(lu->nblocks - lba, (uint64_t)STATUS_SCAN_MAX);
	bool mapped = lba_mapped(lu, lba);
	uint64_t n = 1;
	uint8_t d[24];

	while (n < limit && lba_mapped(lu, lba + n) == mapped)
		n++;
	memset(d, 0, sizeof(d));
	nx_put_be32(d, sizeof(d) - 4); /* PARAMETER DATA LENGTH */
	nx_put_be64(d + 8, lba);
	nx_put_be32(d + 16, (uint32_t)n);
	d[20] = mapped ? 0x00 : 0x01; /* mapped / deallocated */
	nx_task_put_data(t, d, sizeof(d));
	return NX_SR_OK;
}

/* ---- COMPARE AND WRITE (SBC-3 5.2), ORWRITE (5.8) ------------------------ */

static enum nx_sense_reason parse_caw(struct nx_task *t)
{
	struct nx_lu *lu = lu_of(t);
	uint64_t lba = nx_get_be64(t->cdb + 2);
	uint32_t n = t->cdb[13];

	if (n > NX_CAW_MAX_BLOCKS ||
	    2ull * n > (NX_MAX_XFER_BYTES >> lu->block_shift))
		return cdb_field(t, 13, 7);
	/* SBC-3 5.2: the Data-Out Buffer is the verify instance followed by
	 * the write instance, NUMBER OF LOGICAL BLOCKS each, so the field
	 * decides where the data to write starts.  An initiator whose
	 * expected transfer length is not 2 * NUMBER OF LOGICAL BLOCKS
	 * blocks laid the buffer out for another count (e.g. 256 wrapped
	 * to 0 in the 8-bit field); honouring the field would compare and
	 * write the wrong bytes, so the field is rejected instead of the
	 * usual residual handling of ordinary writes. */
	if (t->expected_len != blocks_to_bytes(lu, 2ull * n))
		return cdb_field(t, 13, 7);
	if (!lba_in_range(lu, lba, n))
		return NX_SR_LBA_OUT_OF_RANGE;
	t->priv.lba = lba;
	t->priv.nblocks = n;
	t->data_len = blocks_to_bytes(lu, 2ull * n);
	t->dir = t->data_len ? NX_DIR_WRITE : NX_DIR_NONE;
	t->priv.engine = E_CAW;
	if (t->cdb[1] & 0x08)
		t->priv.bs_flags |= NX_BS_FUA;
	return NX_SR_OK;
}

/* Reads the range into aux (stage 0 -> 1). */
static enum nx_sense_reason read_to_aux(struct nx_task *t)
{
	uint32_t len = blocks_to_bytes(lu_of(t), t->priv.nblocks);

	if (!aux_reserve(t, len))
		return NX_SR_BUSY;
	t->priv.stage = 1;
	return submit(t, NX_BS_READ, t->priv.lba, t->priv.nblocks, t->priv.aux,
		      0);
}

static enum nx_sense_reason caw_step(struct nx_task *t)
{
	uint32_t len = blocks_to_bytes(lu_of(t), t->priv.nblocks);
	uint32_t at;

	if (t->priv.nblocks == 0)
		return NX_SR_OK;
	if (t->priv.stage == 0)
		return read_to_aux(t);
	enum nx_sense_reason r = io_result(t);
	if (r != NX_SR_OK || t->priv.stage == 2)
		return r;
	/* SBC-3 5.2: miscompare -> 0E/1D/00, INFORMATION = offset of the
	 * first byte that differs; nothing is written. */
	if (find_diff(t->data, t->priv.aux, len, &at))
		return miscompare(t, at);
	t->priv.stage = 2;
	return submit(t, NX_BS_WRITE, t->priv.lba, t->priv.nblocks,
		      t->data + len, write_flags(t));
}

static enum nx_sense_reason parse_orwrite(struct nx_task *t)
{
	enum nx_sense_reason r = parse_write(t);

	t->priv.engine = E_ORWRITE;
	return r;
}

static enum nx_sense_reason orwrite_step(struct nx_task *t)
{
	uint32_t len = blocks_to_bytes(lu_of(t), t->priv.nblocks);

	if (t->priv.nblocks == 0)
		return NX_SR_OK;
	if (t->priv.stage == 0)
		return read_to_aux(t);
	enum nx_sense_reason r = io_result(t);
	if (r != NX_SR_OK || t->priv.stage == 2)
		return r;
	for (uint32_t i = 0; i < len; i++)
		t->priv.aux[i] |= t->data[i];
	t->priv.stage = 2;
	return submit(t, NX_BS_WRITE, t->priv.lba, t->priv.nblocks,
		      t->priv.aux, write_flags(t));
}

static const step_fn engine_steps[E_COUNT] = {
	[E_READ] = read_step,
	[E_WRITE] = write_step,
	[E_VERIFY] = verify_step,
	[E_WRITE_VERIFY] = write_verify_step,
	[E_SYNC] = sync_step,
	[E_WS_WRITE] = ws_write_step,
	[E_WS_UNMAP] = unmap_range_step,
	[E_UNMAP] = unmap_step,
	[E_CAW] = caw_step,
	[E_ORWRITE] = orwrite_step,
	[E_SSU] = ssu_step,
};

/* ---- the opcode table ------------------------------------------------------ */

#define MEDIA (NX_OP_MEDIUM)
#define WMEDIA (NX_OP_MEDIUM | NX_OP_WRITES)
/* Reservation classes (SBC-3 4.17 table 13, read by core/pr.c): reads are
 * allowed through Write Exclusive types, READ CAPACITY through every type,
 * START STOP UNIT / PREVENT ALLOW for some CDB values; the rest (writes,
 * SYNCHRONIZE CACHE, UNMAP...) are write class. */
#define RMEDIA (NX_OP_MEDIUM | NX_OP_PR_READ)
#define CMEDIA (NX_OP_MEDIUM | NX_OP_CONFLICT_OK)
/* COMPARE AND WRITE and WRITE ATOMIC: all-or-nothing under the I/O gate */
#define AMEDIA (WMEDIA | NX_OP_ATOMIC)
/* byte 1 of READ/WRITE(10/12/16): DPO, FUA, FUA_NV; RDPROTECT/WRPROTECT
 * are not in the mask (no protection information: INVALID FIELD). */
#define RW1 0x1a
#define LBA4 0xff, 0xff, 0xff, 0xff
#define LBA8 LBA4, LBA4
#define SANITIZE_ROW(sa, name)                                              \
	{ 0x48, sa, 10, NX_OP_SA | WMEDIA, name,                            \
	  { 0xff, 0xbf, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00 },   \
	  nx_sanitize_parse, nx_sanitize_exec }

const struct nx_opcode_desc nx_sbc_opcodes[] = {
	/* FORMAT UNIT (format.c): LONGLIST, FMTDATA, CMPLST, DEFECT LIST
	 * FORMAT; FMTPINFO (no protection information), the vendor
	 * specific byte 2 and the obsolete bytes 3-4 are not used. */
	{ 0x04, 0, 6, WMEDIA, "FORMAT UNIT",
	  { 0xff, 0x3f, 0x00, 0x00, 0x00, 0x00 }, nx_format_parse,
	  nx_format_exec },
	{ 0x08, 0, 6, RMEDIA, "READ(6)", { 0xff, 0x1f, 0xff, 0xff, 0xff, 0x00 },
	  parse_read6, exec_engine },
	{ 0x0a, 0, 6, WMEDIA, "WRITE(6)", { 0xff, 0x1f, 0xff, 0xff, 0xff, 0x00 },
	  parse_write6, exec_engine },
	{ 0x1b, 0, 6, NX_OP_PR_COND, "START STOP UNIT",
	  { 0xff, 0x01, 0x00, 0x0f, 0xf7, 0x00 }, parse_ssu, exec_engine },
	{ 0x1e, 0, 6, NX_OP_PR_COND, "PREVENT ALLOW MEDIUM REMOVAL",
	  { 0xff, 0x00, 0x00, 0x00, 0x03, 0x00 }, parse_prevent, exec_prevent },
	/* READ CAPACITY in standby too (SPC-4 5.16.2.4.4 "may support
	 * other commands"): hosts size a LU on every path, standby ones
	 * included, before they look at access states. */
	{ 0x25, 0, 10, CMEDIA | NX_OP_ALUA_STANDBY, "READ CAPACITY(10)",
	  { 0xff, 0x00, LBA4, 0x00, 0x00, 0x01, 0x00 }, parse_rc10, exec_rc10 },
	{ 0x28, 0, 10, RMEDIA, "READ(10)",
	  { 0xff, RW1, LBA4, 0x1f, 0xff, 0xff, 0x00 }, parse_read, exec_engine },
	{ 0x2a, 0, 10, WMEDIA, "WRITE(10)",
	  { 0xff, RW1, LBA4, 0x1f, 0xff, 0xff, 0x00 }, parse_write, exec_engine },
	{ 0x2e, 0, 10, WMEDIA, "WRITE AND VERIFY(10)",
	  { 0xff, 0x12, LBA4, 0x1f, 0xff, 0xff, 0x00 }, parse_write_verify,
	  exec_engine },
	{ 0x2f, 0, 10, RMEDIA, "VERIFY(10)",
	  { 0xff, 0x16, LBA4, 0x1f, 0xff, 0xff, 0x00 }, parse_verify,
	  exec_engine },
	{ 0x34, 0, 10, RMEDIA, "PRE-FETCH(10)",
	  { 0xff, 0x02, LBA4, 0x1f, 0xff, 0xff, 0x00 }, parse_prefetch,
	  exec_prefetch },
	{ 0x35, 0, 10, MEDIA, "SYNCHRONIZE CACHE(10)",
	  { 0xff, 0x06, LBA4, 0x1f, 0xff, 0xff, 0x00 }, parse_sync, exec_engine },
	/* READ DEFECT DATA (defect.c): read class (SBC-3 table 13). */
	{ 0x37, 0, 10, RMEDIA, "READ DEFECT DATA(10)",
	  { 0xff, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00 },
	  nx_rdd_parse, nx_rdd_exec },
	{ 0x41, 0, 10, WMEDIA, "WRITE SAME(10)",
	  { 0xff, 0x08, LBA4, 0x1f, 0xff, 0xff, 0x00 }, parse_ws10, exec_engine },
	{ 0x42, 0, 10, WMEDIA, "UNMAP",
	  { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0xff, 0xff, 0x00 },
	  parse_unmap, exec_engine },
	/* SANITIZE (sanitize.c): IMMED, AUSE, SERVICE ACTION in byte 1;
	 * ZNR (40h) is reserved on a LU that is not zoned. */
	SANITIZE_ROW(0x01, "SANITIZE (OVERWRITE)"),
	SANITIZE_ROW(0x02, "SANITIZE (BLOCK ERASE)"),
	SANITIZE_ROW(0x03, "SANITIZE (CRYPTOGRAPHIC ERASE)"),
	SANITIZE_ROW(0x1f, "SANITIZE (EXIT FAILURE MODE)"),
	{ 0x88, 0, 16, RMEDIA, "READ(16)",
	  { 0xff, RW1, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 }, parse_read,
	  exec_engine },
	{ 0x89, 0, 16, AMEDIA, "COMPARE AND WRITE",
	  { 0xff, RW1, LBA8, 0x00, 0x00, 0x00, 0xff, 0x1f, 0x00 }, parse_caw,
	  exec_engine },
	{ 0x8a, 0, 16, WMEDIA, "WRITE(16)",
	  { 0xff, RW1, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 }, parse_write,
	  exec_engine },
	{ 0x8b, 0, 16, WMEDIA, "ORWRITE(16)",
	  { 0xff, RW1, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 },
	  parse_orwrite, exec_engine },
	{ 0x8e, 0, 16, WMEDIA, "WRITE AND VERIFY(16)",
	  { 0xff, 0x12, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 },
	  parse_write_verify, exec_engine },
	{ 0x8f, 0, 16, RMEDIA, "VERIFY(16)",
	  { 0xff, 0x16, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 },
	  parse_verify, exec_engine },
	{ 0x90, 0, 16, RMEDIA, "PRE-FETCH(16)",
	  { 0xff, 0x02, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 },
	  parse_prefetch, exec_prefetch },
	{ 0x91, 0, 16, MEDIA, "SYNCHRONIZE CACHE(16)",
	  { 0xff, 0x06, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 }, parse_sync,
	  exec_engine },
	{ 0x93, 0, 16, WMEDIA, "WRITE SAME(16)",
	  { 0xff, 0x09, LBA8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 }, parse_ws16,
	  exec_engine },
	{ 0x9c, 0, 16, AMEDIA, "WRITE ATOMIC(16)",
	  { 0xff, 0x18, LBA8, 0x00, 0x00, 0xff, 0xff, 0x1f, 0x00 },
	  parse_write_atomic, exec_engine },
		{ 0x9e, 0x10, 16, NX_OP_SA | CMEDIA | NX_OP_ALUA_STANDBY,
	  "READ CAPACITY(16)",
	  { 0xff, 0x1f, LBA8, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00 }, parse_rc16,
	  exec_rc16 },
	{ 0x9e, 0x12, 16, NX_OP_SA | RMEDIA, "GET LBA STATUS",
	  { 0xff, 0x1f, LBA8, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00 }, parse_gls,
	  exec_gls },
	{ 0xa8, 0, 12, RMEDIA, "READ(12)",
	  { 0xff, RW1, LBA4, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 }, parse_read,
	  exec_engine },
	{ 0xaa, 0, 12, WMEDIA, "WRITE(12)",
	  { 0xff, RW1, LBA4, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 }, parse_write,
	  exec_engine },
	{ 0xae, 0, 12, WMEDIA, "WRITE AND VERIFY(12)",
	  { 0xff, 0x12, LBA4, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 },
	  parse_write_verify, exec_engine },
	{ 0xaf, 0, 12, RMEDIA, "VERIFY(12)",
	  { 0xff, 0x16, LBA4, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00 },
	  parse_verify, exec_engine },
	{ 0xb7, 0, 12, RMEDIA, "READ DEFECT DATA(12)",
	  { 0xff, 0x1f, LBA4, LBA4, 0x00, 0x00 }, nx_rdd_parse, nx_rdd_exec },
};

const size_t nx_sbc_opcode_count = NX_ARRAY_SIZE(nx_sbc_opcodes);
