/*
 * xcopy.c - the copy manager: EXTENDED COPY (LID1) (SPC-4 6.4), RECEIVE
 * COPY RESULTS (SPC-4 6.18: COPY STATUS, OPERATING PARAMETERS, FAILED
 * SEGMENT DETAILS) and the Third-party Copy VPD page (SPC-4 7.8.17).
 *
 * Scope: copies between LUs of the target that received the command.
 * CSCD descriptors: identification descriptor (E4h) naming an LU by the
 * NAA or T10 vendor ID designator its Device Identification VPD page
 * reports, and CSCD DESCRIPTOR ID FFFFh (the copy manager's own LU).
 * Segment descriptors: block to block (02h) and block to block with
 * offsets (0Ah).  No inline or held data (RECEIVE COPY DATA unsupported).
 *
 * Two phases, as SPC-4 6.4.3 separates them:
 *  1. the whole parameter list is decoded before anything moves
 *     (xc_decode, a pure function): header, lengths, descriptor types and
 *     counts -> ILLEGAL REQUEST with the parameter-list ASC SPC-4 names;
 *  2. segments run in order; a segment that cannot be processed (a CSCD
 *     that names no LU, a range beyond a copy target's capacity, a
 *     write-protected or reserved destination...) ends the command with
 *     COPY ABORTED, the segment number in COMMAND-SPECIFIC INFORMATION,
 *     and for errors a copy target reports, its status and sense
 *     forwarded (SPC-4 6.4.3.x; nx_sense_build_copy()).
 *
 * The data moves through the backstores asynchronously, one I/O in
 * flight, in chunks of XC_CHUNK bytes through a buffer allocated when the
 * command starts: read the source blocks, read-modify-write destination
 * blocks a byte-offset segment only partly covers, write.  The task
 * completes after the last write.  I/O goes through each LU's I/O gate
 * (iogate.c), so a copy never tears a WRITE ATOMIC on another LU.
 *
 * Results of list identifiers used with LIST ID USAGE 00b are held per I_T
 * nexus (struct nx_xcopy_held in the nexus) until RECEIVE COPY RESULTS
 * delivers them, the list identifier is reused, or a newer list needs the
 * slot (NX_XCOPY_HELD_MAX).  The nexus's table of them is allocated by
 * its first such list; without memory for it that EXTENDED COPY ends in
 * ILLEGAL REQUEST, INSUFFICIENT RESOURCES, the answer it gives when
 * TOTAL CONCURRENT COPIES (RECEIVE COPY OPERATING PARAMETERS) is reached.
 */
#include "scsi_internal.h"

#define XC_HDR_LEN 16
#define XC_CSCD_LEN 32
#define XC_SEG02_LEN 28           /* DESCRIPTOR LENGTH 0018h */
#define XC_SEG0A_LEN 32           /* DESCRIPTOR LENGTH 001Ch */
#define XC_MAX_CSCD 8             /* MAXIMUM CSCD DESCRIPTOR COUNT */
#define XC_MAX_SEGS 32            /* MAXIMUM SEGMENT DESCRIPTOR COUNT */
#define XC_MAX_DESC_LEN 2048u     /* MAXIMUM DESCRIPTOR LIST LENGTH */
#define XC_MAX_SEGMENT (32u << 20) /* MAXIMUM SEGMENT LENGTH (bytes) */
#define XC_MAX_INLINE 0u          /* MAXIMUM INLINE DATA LENGTH */
#define XC_MAX_COPIES NX_XCOPY_HELD_MAX /* TOTAL / MAXIMUM CONCURRENT COPIES */
/* A parameter list longer than this is refused before its transfer. */
#define XC_PARAM_MAX 65536u
#define XC_CHUNK (512u << 10)
#define XC_BS_MAX 4096u           /* largest block size of an LU */
#define XC_BUF (XC_CHUNK + 2 * XC_BS_MAX)
#define XC_ID_LOCAL 0xffffu       /* CSCD DESCRIPTOR ID: this LU */
#define XC_ID_INDEX_MAX 0x07ffu   /* SPC-4 6.4.6.1: list indexes */

#define SEG_BLOCK_TO_BLOCK 0x02
#define SEG_BLOCK_TO_BLOCK_OFF 0x0a
#define CSCD_IDENT 0xe4

#define USAGE_HOLD 0              /* LIST ID USAGE 00b */
#define USAGE_RESERVED 1
#define USAGE_DISCARD 2
#define USAGE_NOLIST 3

#define ASC_PARAM 0x26
#define ASCQ_TOO_MANY_CSCD 0x06
#define ASCQ_BAD_CSCD_TYPE 0x07
#define ASCQ_TOO_MANY_SEGS 0x08
#define ASCQ_BAD_SEG_TYPE 0x09
#define ASCQ_INEXACT 0x0a
#define ASCQ_INLINE_EXCEEDED 0x0b

#define CM_RUNNING 0x00           /* COPY MANAGER STATUS (SPC-4 6.18.2) */
#define CM_DONE 0x01
#define CM_FAILED 0x02

/* ---- phase 1: the parameter list (pure) ---------------------------------- */

/* What xc_decode() found wrong: ILLEGAL REQUEST with this ASC/ASCQ and,
 * when byte >= 0, a field pointer into the parameter list. */
struct xc_err {
	uint8_t asc, ascq;
	int32_t byte;
	int8_t bit;
};

struct xc_list {
	uint8_t list_id;
	uint8_t usage;
	uint16_t ncscd, nseg;
	uint16_t seg_off[XC_MAX_SEGS]; /* segment descriptors in the list */
};

static bool xc_fail(struct xc_err *e, uint8_t asc, uint8_t ascq, int32_t byte,
		 int8_t bit)
{
	e->asc = asc;
	e->ascq = ascq;
	e->byte = byte;
	e->bit = bit;
	return false;
}

/* SPC-4 6.4.5.? identification descriptor CSCD: the designation descriptor
 * (bytes 4-27) must be one nexus can match against an LU's Device
 * Identification page: LU association, NAA with binary code set or T10
 * vendor ID with ASCII, at most 20 bytes.  LU ID TYPE and the obsolete NUL
 * bit are ignored (SPC-4; libiscsi expects that). */
static bool check_ident(const uint8_t *d, uint32_t off, struct xc_err *e)
{
	uint8_t code_set = d[4] & 0x0f, assoc = (d[5] >> 4) & 0x03;
	uint8_t type = d[5] & 0x0f;

	if (assoc != 0)
		return xc_fail(e, ASC_PARAM, 0, (int32_t)off + 5, 5);
	if (type == 0x03 && code_set != 0x01)
		return xc_fail(e, ASC_PARAM, 0, (int32_t)off + 4, 3);
	if (type == 0x01 && code_set != 0x02)
		return xc_fail(e, ASC_PARAM, 0, (int32_t)off + 4, 3);
	if (type != 0x01 && type != 0x03)
		return xc_fail(e, ASC_PARAM, 0, (int32_t)off + 5, 3);
	if (d[7] > 20)
		return xc_fail(e, ASC_PARAM, 0, (int32_t)off + 7, 7);
	return true;
}

static bool decode_cscds(const uint8_t *p, uint32_t end, struct xc_list *l,
			 struct xc_err *e)
{
	for (uint32_t off = XC_HDR_LEN; off < end; off += XC_CSCD_LEN) {
		if (l->ncscd == XC_MAX_CSCD)
			return xc_fail(e, ASC_PARAM, ASCQ_TOO_MANY_CSCD, -1, -1);
		/* the CSCD DESCRIPTOR LIST LENGTH cuts the descriptor */
		if (end - off < XC_CSCD_LEN)
			return xc_fail(e, ASC_PARAM, 0, 2, 7);
		if (p[off] != CSCD_IDENT)
			return xc_fail(e, ASC_PARAM, ASCQ_BAD_CSCD_TYPE, -1, -1);
		if (!check_ident(p + off, off, e))
			return false;
		l->ncscd++;
	}
	return true;
}

static bool decode_segs(const uint8_t *p, uint32_t off, uint32_t end,
			struct xc_list *l, struct xc_err *e)
{
	while (off < end) {
		uint32_t len;
		if (l->nseg == XC_MAX_SEGS)
			return xc_fail(e, ASC_PARAM, ASCQ_TOO_MANY_SEGS, -1, -1);
		if (p[off] == SEG_BLOCK_TO_BLOCK)
			len = XC_SEG02_LEN;
		else if (p[off] == SEG_BLOCK_TO_BLOCK_OFF)
			len = XC_SEG0A_LEN;
		else
			return xc_fail(e, ASC_PARAM, ASCQ_BAD_SEG_TYPE, -1, -1);
		if (end - off < 4 || end - off < len)
			return xc_fail(e, ASC_PARAM, 0, 8, 7);
		/* DESCRIPTOR LENGTH excludes the first four bytes */
		if (nx_get_be16(p + off + 2) != len - 4)
			return xc_fail(e, ASC_PARAM, 0, (int32_t)off + 2, 7);
		l->seg_off[l->nseg++] = (uint16_t)off;
		off += len;
	}
	return true;
}

/* SPC-4 6.4.3: decodes and validates the whole list (len > 0 bytes). */
static bool xc_decode(const uint8_t *p, uint32_t len, struct xc_list *l,
		      struct xc_err *e)
{
	memset(l, 0, sizeof(*l));
	if (len < XC_HDR_LEN)
		return xc_fail(e, 0x1a, 0x00, -1, -1);
	l->list_id = p[0];
	l->usage = (p[1] >> 3) & 0x03;
	if (l->usage == USAGE_RESERVED)
		return xc_fail(e, ASC_PARAM, 0, 1, 4);
	/* LIST ID USAGE 11b: no list identifier, the field shall be 0 */
	if (l->usage == USAGE_NOLIST && l->list_id != 0)
		return xc_fail(e, ASC_PARAM, 0, 0, 7);
	uint32_t cl = nx_get_be16(p + 2), sl = nx_get_be32(p + 8);
	uint32_t il = nx_get_be32(p + 12);
	/* Truncated by PARAMETER LIST LENGTH, or longer than MAXIMUM
	 * DESCRIPTOR LIST LENGTH: PARAMETER LIST LENGTH ERROR. */
	if ((uint64_t)XC_HDR_LEN + cl + sl + il > len ||
	    (uint64_t)cl + sl > XC_MAX_DESC_LEN)
		return xc_fail(e, 0x1a, 0x00, -1, -1);
	if (il > XC_MAX_INLINE)
		return xc_fail(e, ASC_PARAM, ASCQ_INLINE_EXCEEDED, -1, -1);
	if (!decode_cscds(p, XC_HDR_LEN + cl, l, e))
		return false;
	return decode_segs(p, XC_HDR_LEN + cl, XC_HDR_LEN + cl + sl, l, e);
}

/* ---- held results (per I_T nexus) ---------------------------------------- */

static struct nx_xcopy_held *held_find(struct nx_nexus *n, uint64_t lun,
				       uint8_t id)
{
	if (n->xcopy == NULL) /* nothing ever held */
		return NULL;
	for (unsigned i = 0; i < NX_XCOPY_HELD_MAX; i++) {
		struct nx_xcopy_held *h = &n->xcopy[i];
		if (h->used && h->lun == lun && h->list_id == id)
			return h;
	}
	return NULL;
}

/* A free slot, else the oldest completed list's (its data is dropped, as
 * SPC-4 6.18.1 lets a copy manager do when it needs the resources). */
static struct nx_xcopy_held *held_slot(struct nx_nexus *n)
{
	struct nx_xcopy_held *old = NULL;

	for (unsigned i = 0; i < NX_XCOPY_HELD_MAX; i++) {
		struct nx_xcopy_held *h = &n->xcopy[i];
		if (!h->used)
			return h;
		if (!h->in_progress && (old == NULL || h->seq < old->seq))
			old = h;
	}
	return old;
}

static void held_drop_if_empty(struct nx_xcopy_held *h)
{
	if (!h->in_progress && !h->status_held && !h->details_held)
		memset(h, 0, sizeof(*h));
}

/* ---- phase 2: running the segments ---------------------------------------- */

enum xc_stage {
	XS_SEGMENT = 0, /* set up the next segment */
	XS_READ,        /* read the source blocks of the next chunk */
	XS_READ_DONE,
	XS_DST_DONE,    /* destination blocks read for read-modify-write */
	XS_WRITE_DONE,
};

struct xc_op {
	struct xc_list l;
	struct nx_xcopy_held *held;  /* NULL for LIST ID USAGE 11b */
	struct nx_task probe;        /* reservation check on a copy target */
	struct nx_lu *src, *dst, *io_lu;
	uint16_t seg;
	uint8_t stage;
	uint64_t src_pos, dst_pos, left; /* bytes, of the current segment */
	uint64_t rd_start, wr_start;
	uint32_t n, rd_len, wr_len;
	uint64_t bytes;              /* written so far, all segments */
	uint8_t *sbuf, *dbuf;
};

static struct xc_op *op_of(const struct nx_task *t)
{
	nx_assert(t->priv.aux != NULL);
	return (struct xc_op *)(void *)t->priv.aux;
}

static void xc_drive(struct nx_task *t);

static void xc_io_done(struct nx_bs_io *io)
{
	struct nx_task *t = io->arg;

	nx_assert(t->priv.pending_io == 1);
	t->priv.pending_io = 0;
	t->priv.io_err = io->err;
	nx_io_gate_done(op_of(t)->io_lu);
	if (t->priv.in_step) {
		t->priv.io_inline = true;
		return;
	}
	xc_drive(t);
}

/* COPY ABORTED for segment op->seg. */
static enum nx_sense_reason seg_abort(struct nx_task *t,
				      struct nx_copy_sense *c)
{
	c->segment = op_of(t)->seg;
	nx_sense_build_copy(t, c);
	return NX_SR_CHECK_CONDITION_SET;
}

/* A copy manager error pointing into the segment descriptor (SD=1) or,
 * sd false, into the parameter list. */
static enum nx_sense_reason seg_error(struct nx_task *t, uint8_t asc,
				      uint8_t ascq, bool sd, uint32_t byte)
{
	struct nx_copy_sense c = { .asc = asc, .ascq = ascq, .ptr_valid = true,
				   .sd = sd, .ptr_byte = (uint16_t)byte };
	return seg_abort(t, &c);
}

/* The copy source (fwd 1) or destination (fwd 2) refused: forward what
 * it answered (key 0: a status without sense). */
static enum nx_sense_reason target_error(struct nx_task *t, uint8_t fwd,
					 uint8_t status, uint8_t key,
					 uint8_t asc, uint8_t ascq)
{
	struct nx_copy_sense c = { .fwd = fwd, .fwd_status = status,
				   .fwd_key = key, .fwd_asc = asc,
				   .fwd_ascq = ascq };
	return seg_abort(t, &c);
}

static enum nx_sense_reason io_error(struct nx_task *t, uint8_t fwd, int err)
{
	if (err == NX_ENOMEM)
		return target_error(t, fwd, NX_STATUS_CHECK_CONDITION, 0x05,
				    0x55, 0x03);
	if (fwd == 1)
		return target_error(t, fwd, NX_STATUS_CHECK_CONDITION, 0x03,
				    0x11, 0x00);
	return target_error(t, fwd, NX_STATUS_CHECK_CONDITION, 0x03, 0x0c,
			    0x00);
}

/* fwd: which copy target an error of this I/O is reported for. */
static enum nx_sense_reason xc_submit(struct nx_task *t, uint8_t fwd,
				      enum nx_bs_op bop, uint64_t off,
				      uint32_t len, uint8_t *buf)
{
	struct nx_lu *lu = fwd == 1 ? op_of(t)->src : op_of(t)->dst;
	struct nx_bs_io *io = &t->priv.io;

	nx_assert(t->priv.pending_io == 0);
	nx_assert(len > 0 && len <= XC_BUF);
	memset(io, 0, sizeof(*io));
	io->op = bop;
	io->offset = off;
	io->len = len;
	io->buf = buf;
	io->done = xc_io_done;
	io->arg = t;
	/* With WCE=0 every write is write-through (SBC-3 6.4.5). */
	if (bop == NX_BS_WRITE && !lu->mode.wce)
		io->flags = NX_BS_FUA;
	op_of(t)->io_lu = lu;
	t->priv.pending_io = 1;
	t->priv.io_err = 0;
	int rc = nx_io_gate_submit(lu, t);
	if (rc < 0) {
		t->priv.pending_io = 0;
		return io_error(t, fwd, rc);
	}
	return NX_SR_ASYNC;
}

/* ---- segment set-up: CSCD -> LU ------------------------------------------ */

static bool lu_matches(const struct nx_lu *lu, const uint8_t *d)
{
	uint8_t t10[20];
	size_t sn = strlen(lu->serial);

	if ((d[5] & 0x0f) == 0x03)
		return d[7] == sizeof(lu->naa) &&
		       !memcmp(d + 8, lu->naa, sizeof(lu->naa));
	/* T10 vendor ID designator as spc.c builds it: vendor + serial */
	if (8 + sn > sizeof(t10) || d[7] != 8 + sn)
		return false;
	memset(t10, ' ', 8);
	memcpy(t10, lu->vendor, strlen(lu->vendor));
	memcpy(t10 + 8, lu->serial, sn);
	return !memcmp(d + 8, t10, 8 + sn);
}

/* CSCD DESCRIPTOR ID -> LU (NULL: not reachable); *cscd gets the
 * descriptor's offset in the parameter list, 0 for FFFFh. */
static struct nx_lu *resolve(struct nx_task *t, uint16_t id, uint32_t *cscd)
{
	const struct xc_op *op = op_of(t);
	const struct nx_target *tgt = t->nexus->tgt;

	*cscd = 0;
	if (id == XC_ID_LOCAL)
		return t->priv.lu;
	if (id > XC_ID_INDEX_MAX || id >= op->l.ncscd)
		return NULL;
	*cscd = XC_HDR_LEN + (uint32_t)id * XC_CSCD_LEN;
	for (unsigned i = 0; i < tgt->lu_count; i++)
		if (lu_matches(tgt->lus[i], t->data + *cscd))
			return tgt->lus[i];
	return NULL;
}

/* The copy target's own checks, as if this I_T nexus sent it READ(16) /
 * WRITE(16): not ready, write protect (SBC-3 4.12), reservations. */
static enum nx_sense_reason target_checks(struct nx_task *t, struct nx_lu *lu,
					  uint8_t fwd)
{
	static const uint8_t rd16[16] = { 0x88 }, wr16[16] = { 0x8a };
	struct nx_task *p = &op_of(t)->probe;

	if (lu->stopped)
		return target_error(t, fwd, NX_STATUS_CHECK_CONDITION, 0x02,
				    0x04, 0x02);
	if (fwd == 2 && (lu->read_only || lu->mode.swp))
		return target_error(t, fwd, NX_STATUS_CHECK_CONDITION, 0x07,
				    0x27, 0x00);
	memset(p, 0, sizeof(*p));
	p->nexus = t->nexus;
	p->priv.lu = lu;
	memcpy(p->cdb, fwd == 1 ? rd16 : wr16, 16);
	p->priv.op = nx_opcode_lookup(p->cdb);
	nx_assert(p->priv.op != NULL);
	if (nx_pr_check(p) != NX_SR_OK)
		return target_error(t, fwd, NX_STATUS_RESERVATION_CONFLICT, 0,
				    0, 0);
	return NX_SR_OK;
}

/* CSCD checks for a resolved LU: block device, DISK BLOCK LENGTH. */
static enum nx_sense_reason cscd_checks(struct nx_task *t,
					const struct nx_lu *lu, uint32_t cscd)
{
	if (cscd == 0)
		return NX_SR_OK;
	/* SPC-4 6.4.5: PERIPHERAL DEVICE TYPE of a block copy target is 00h */
	if ((t->data[cscd + 1] & 0x1f) != 0)
		return seg_error(t, 0x0d, 0x03, false, cscd + 1);
	if (nx_get_be24(t->data + cscd + 29) != lu->block_size)
		return seg_error(t, ASC_PARAM, 0, false, cscd + 29);
	return NX_SR_OK;
}

static enum nx_sense_reason seg_targets(struct nx_task *t, const uint8_t *s)
{
	struct xc_op *op = op_of(t);
	uint32_t sc, dc;
	enum nx_sense_reason r;

	op->src = resolve(t, nx_get_be16(s + 4), &sc);
	if (op->src == NULL)
		return seg_error(t, 0x0d, 0x02, true, 4);
	op->dst = resolve(t, nx_get_be16(s + 6), &dc);
	if (op->dst == NULL)
		return seg_error(t, 0x0d, 0x02, true, 6);
	r = cscd_checks(t, op->src, sc);
	if (r == NX_SR_OK)
		r = cscd_checks(t, op->dst, dc);
	return r;
}

/* Byte ranges of the segment; SPC-4 6.4.6.5 (02h: NUMBER OF BLOCKS in
 * source blocks, or destination blocks with DC=1) and 6.4.6.x (0Ah:
 * NUMBER OF BYTES from a byte offset in the first block). */
static enum nx_sense_reason seg_ranges(struct nx_task *t, const uint8_t *s)
{
	struct xc_op *op = op_of(t);
	uint32_t sbs = op->src->block_size, dbs = op->dst->block_size;
	uint64_t slba = nx_get_be64(s + 12), dlba = nx_get_be64(s + 20);
	uint64_t len, soff = 0, doff = 0;
	uint32_t len_byte = 10;

	if (s[0] == SEG_BLOCK_TO_BLOCK) {
		len = (uint64_t)nx_get_be16(s + 10) * ((s[1] & 0x02) ? dbs : sbs);
		/* residue handling (PAD/CAT) is not supported */
		if (len % sbs != 0 || len % dbs != 0)
			return seg_error(t, ASC_PARAM, ASCQ_INEXACT, true, 10);
	} else {
		len = nx_get_be32(s + 8);
		len_byte = 8;
		soff = nx_get_be16(s + 28);
		doff = nx_get_be16(s + 30);
		if (soff >= sbs)
			return seg_error(t, ASC_PARAM, 0, true, 28);
		if (doff >= dbs)
			return seg_error(t, ASC_PARAM, 0, true, 30);
	}
	if (len > XC_MAX_SEGMENT)
		return seg_error(t, ASC_PARAM, 0, true, len_byte);
	/* beyond a copy target's capacity: what its READ/WRITE would say */
	if (slba > op->src->nblocks ||
	    slba * sbs + soff + len > op->src->nblocks * sbs)
		return target_error(t, 1, NX_STATUS_CHECK_CONDITION, 0x05,
				    0x21, 0x00);
	if (dlba > op->dst->nblocks ||
	    dlba * dbs + doff + len > op->dst->nblocks * dbs)
		return target_error(t, 2, NX_STATUS_CHECK_CONDITION, 0x05,
				    0x21, 0x00);
	op->src_pos = slba * sbs + soff;
	op->dst_pos = dlba * dbs + doff;
	op->left = len;
	return NX_SR_OK;
}

static enum nx_sense_reason seg_setup(struct nx_task *t)
{
	struct xc_op *op = op_of(t);
	const uint8_t *s = t->data + op->l.seg_off[op->seg];
	enum nx_sense_reason r = seg_targets(t, s);

	if (r == NX_SR_OK)
		r = seg_ranges(t, s);
	if (r == NX_SR_OK)
		r = target_checks(t, op->src, 1);
	if (r == NX_SR_OK)
		r = target_checks(t, op->dst, 2);
	return r;
}

/* ---- the chunk loop -------------------------------------------------------- */

static uint64_t round_down(uint64_t v, uint32_t bs)
{
	return v - v % bs;
}

static uint64_t round_up(uint64_t v, uint32_t bs)
{
	return round_down(v + bs - 1, bs);
}

static enum nx_sense_reason chunk_read(struct nx_task *t)
{
	struct xc_op *op = op_of(t);
	uint32_t sbs = op->src->block_size;

	op->n = (uint32_t)NX_MIN(op->left, (uint64_t)XC_CHUNK);
	op->rd_start = round_down(op->src_pos, sbs);
	op->rd_len = (uint32_t)(round_up(op->src_pos + op->n, sbs) -
				op->rd_start);
	op->stage = XS_READ_DONE;
	return xc_submit(t, 1, NX_BS_READ, op->rd_start, op->rd_len, op->sbuf);
}

/* Source data in; write it, or first read the partly covered
 * destination blocks (byte offsets, SPC-4 6.4.6.x). */
static enum nx_sense_reason chunk_write(struct nx_task *t)
{
	struct xc_op *op = op_of(t);
	uint32_t dbs = op->dst->block_size;
	uint8_t *from = op->sbuf + (op->src_pos - op->rd_start);

	op->wr_start = round_down(op->dst_pos, dbs);
	op->wr_len = (uint32_t)(round_up(op->dst_pos + op->n, dbs) -
				op->wr_start);
	if (op->wr_start == op->dst_pos && op->wr_len == op->n) {
		op->stage = XS_WRITE_DONE;
		return xc_submit(t, 2, NX_BS_WRITE, op->wr_start, op->wr_len,
				 from);
	}
	op->stage = XS_DST_DONE;
	return xc_submit(t, 2, NX_BS_READ, op->wr_start, op->wr_len, op->dbuf);
}

static enum nx_sense_reason chunk_merge(struct nx_task *t)
{
	struct xc_op *op = op_of(t);

	memcpy(op->dbuf + (op->dst_pos - op->wr_start),
	       op->sbuf + (op->src_pos - op->rd_start), op->n);
	op->stage = XS_WRITE_DONE;
	return xc_submit(t, 2, NX_BS_WRITE, op->wr_start, op->wr_len, op->dbuf);
}

static void chunk_done(struct xc_op *op)
{
	op->src_pos += op->n;
	op->dst_pos += op->n;
	op->left -= op->n;
	op->bytes += op->n;
	if (op->held != NULL)
		op->held->bytes = op->bytes;
	op->stage = op->left ? XS_READ : XS_SEGMENT;
	if (op->left == 0)
		op->seg++;
}

static enum nx_sense_reason xc_step(struct nx_task *t)
{
	struct xc_op *op = op_of(t);
	enum nx_sense_reason r;

	for (;;) {
		switch (op->stage) {
		case XS_SEGMENT:
			if (op->seg == op->l.nseg)
				return NX_SR_OK;
			/* SEGMENTS PROCESSED counts the one being processed */
			if (op->held != NULL)
				op->held->segments = (uint16_t)(op->seg + 1);
			r = seg_setup(t);
			if (r != NX_SR_OK)
				return r;
			if (op->left == 0) {
				op->seg++;
				continue;
			}
			op->stage = XS_READ;
			continue;
		case XS_READ:
			return chunk_read(t);
		case XS_READ_DONE:
			if (t->priv.io_err != 0)
				return io_error(t, 1, t->priv.io_err);
			return chunk_write(t);
		case XS_DST_DONE:
			if (t->priv.io_err != 0)
				return io_error(t, 2, t->priv.io_err);
			return chunk_merge(t);
		default:
			nx_assert(op->stage == XS_WRITE_DONE);
			if (t->priv.io_err != 0)
				return io_error(t, 2, t->priv.io_err);
			chunk_done(op);
			continue;
		}
	}
}

/* Records the outcome for RECEIVE COPY RESULTS and completes the task. */
static void xc_finish(struct nx_task *t, enum nx_sense_reason r)
{
	struct xc_op *op = op_of(t);
	struct nx_xcopy_held *h = op->held;

	if (r != NX_SR_OK && r != NX_SR_CHECK_CONDITION_SET) {
		nx_task_set_sense(t, r, NULL);
		r = NX_SR_CHECK_CONDITION_SET;
	}
	if (h != NULL) {
		bool hold = op->l.usage == USAGE_HOLD;
		h->in_progress = false;
		h->cm_status = t->status == NX_STATUS_GOOD &&
				       !nx_task_aborting(t) ? CM_DONE : CM_FAILED;
		h->scsi_status = t->status;
		h->sense_len = t->sense_len;
		memcpy(h->sense, t->sense, t->sense_len);
		h->status_held = hold;
		h->details_held = hold && h->cm_status == CM_FAILED;
		held_drop_if_empty(h);
	}
	nx_assert(t->nexus->tgt->xcopy_running > 0);
	t->nexus->tgt->xcopy_running--;
	nx_task_complete(t, r);
}

static void xc_drive(struct nx_task *t)
{
	for (;;) {
		enum nx_sense_reason r;
		/* An aborted copy stops at a chunk boundary (SAM-5 7.2). */
		if (nx_task_aborting(t)) {
			xc_finish(t, NX_SR_OK);
			return;
		}
		t->priv.in_step = true;
		t->priv.io_inline = false;
		r = xc_step(t);
		t->priv.in_step = false;
		if (r != NX_SR_ASYNC) {
			xc_finish(t, r);
			return;
		}
		if (!t->priv.io_inline)
			return; /* xc_io_done() drives the next step */
	}
}

/* ---- EXTENDED COPY (LID1) ------------------------------------------------- */

enum nx_sense_reason nx_xcopy_parse(struct nx_task *t)
{
	uint32_t plen = nx_get_be32(t->cdb + 10);

	if (plen > XC_PARAM_MAX)
		return NX_SR_PARAM_LIST_LENGTH;
	t->data_len = plen;
	t->dir = plen ? NX_DIR_WRITE : NX_DIR_NONE;
	return NX_SR_OK;
}

static enum nx_sense_reason decode_error(struct nx_task *t,
					 const struct xc_err *e)
{
	struct nx_sense_field f = { .valid = e->byte >= 0, .in_cdb = false,
				    .bit_valid = e->bit >= 0,
				    .bit = (uint8_t)(e->bit < 0 ? 0 : e->bit),
				    .byte = (uint16_t)(e->byte < 0 ? 0 : e->byte) };

	nx_sense_build(t, 0x05, e->asc, e->ascq, f.valid ? &f : NULL, false, 0);
	return NX_SR_CHECK_CONDITION_SET;
}

/* SPC-4 6.4.3: a list identifier still in use by this I_T nexus ->
 * OPERATION IN PROGRESS; then a held-results slot for it. */
static enum nx_sense_reason claim_list(struct nx_task *t, struct xc_op *op)
{
	struct nx_nexus *n = t->nexus;
	struct nx_xcopy_held *h;

	if (op->l.usage == USAGE_NOLIST)
		return NX_SR_OK;
	if (n->xcopy == NULL) {
		n->xcopy = nx_alloc(sizeof(*n->xcopy) * NX_XCOPY_HELD_MAX);
		if (n->xcopy == NULL)
			return NX_SR_INSUFFICIENT_RESOURCES;
	}
	h = held_find(n, t->priv.lu->lun, op->l.list_id);
	if (h != NULL && h->in_progress) {
		nx_sense_build(t, 0x05, 0x00, 0x16, NULL, false, 0);
		return NX_SR_CHECK_CONDITION_SET;
	}
	if (h == NULL)
		h = held_slot(n);
	/* XC_MAX_COPIES == NX_XCOPY_HELD_MAX: a slot is always free */
	nx_assert(h != NULL && !h->in_progress);
	memset(h, 0, sizeof(*h));
	h->used = true;
	h->in_progress = true;
	h->lun = t->priv.lu->lun;
	h->list_id = op->l.list_id;
	h->seq = ++n->xcopy_seq;
	op->held = h;
	return NX_SR_OK;
}

static struct xc_op *op_alloc(struct nx_task *t)
{
	size_t head = (sizeof(struct xc_op) + 15) & ~(size_t)15;
	uint8_t *m = nx_alloc(head + 2 * (size_t)XC_BUF);

	if (m == NULL)
		return NULL;
	nx_assert(t->priv.aux == NULL);
	t->priv.aux = m;
	t->priv.aux_len = (uint32_t)(head + 2 * (size_t)XC_BUF);
	struct xc_op *op = op_of(t);
	op->sbuf = m + head;
	op->dbuf = m + head + XC_BUF;
	return op;
}

enum nx_sense_reason nx_xcopy_exec(struct nx_task *t)
{
	struct xc_list l;
	struct xc_err e;

	/* PARAMETER LIST LENGTH 0: nothing to do, not an error */
	if (t->data_len == 0)
		return NX_SR_OK;
	if (!xc_decode(t->data, t->data_len, &l, &e))
		return decode_error(t, &e);
	/* TOTAL CONCURRENT COPIES (RECEIVE COPY RESULTS) */
	if (t->nexus->tgt->xcopy_running >= XC_MAX_COPIES)
		return NX_SR_INSUFFICIENT_RESOURCES;
	struct xc_op *op = op_alloc(t);
	if (op == NULL)
		return NX_SR_BUSY;
	op->l = l;
	enum nx_sense_reason r = claim_list(t, op);
	if (r != NX_SR_OK)
		return r;
	t->nexus->tgt->xcopy_running++;
	xc_drive(t);
	return NX_SR_ASYNC;
}

/* ---- RECEIVE COPY RESULTS (SPC-4 6.18) ------------------------------------ */

#define RCR_COPY_STATUS 0x00
#define RCR_OP_PARAMS 0x03
#define RCR_FAILED_DETAILS 0x04
#define OP_PARAMS_LEN 47 /* 44 + three implemented descriptor codes */

enum nx_sense_reason nx_rcr_parse(struct nx_task *t)
{
	nx_spc_data_in(t, nx_get_be32(t->cdb + 10));
	return NX_SR_OK;
}

static const uint8_t implemented[] = { SEG_BLOCK_TO_BLOCK,
				       SEG_BLOCK_TO_BLOCK_OFF, CSCD_IDENT };

/* SPC-4 6.18.4 (LID1 operating parameters). */
static void op_params(const struct nx_lu *lu, uint8_t *d)
{
	memset(d, 0, OP_PARAMS_LEN);
	nx_put_be32(d, OP_PARAMS_LEN - 4);
	d[4] = 0x01; /* SNLID: LIST ID USAGE 11b supported */
	nx_put_be16(d + 8, XC_MAX_CSCD);
	nx_put_be16(d + 10, XC_MAX_SEGS);
	nx_put_be32(d + 12, XC_MAX_DESC_LEN);
	nx_put_be32(d + 16, XC_MAX_SEGMENT);
	nx_put_be32(d + 20, XC_MAX_INLINE);
	nx_put_be32(d + 24, 0); /* HELD DATA LIMIT: no held data */
	nx_put_be32(d + 28, 0); /* no stream devices */
	nx_put_be16(d + 34, XC_MAX_COPIES);
	d[36] = XC_MAX_COPIES;
	d[37] = lu->block_shift; /* DATA SEGMENT GRANULARITY (log2 bytes) */
	d[38] = lu->block_shift; /* INLINE DATA GRANULARITY */
	d[39] = lu->block_shift; /* HELD DATA GRANULARITY */
	d[43] = sizeof(implemented);
	memcpy(d + 44, implemented, sizeof(implemented));
}

/* TRANSFER COUNT UNITS: 00h bytes, 01h KiB, 02h MiB... (SPC-4 6.18.2) */
static void put_count(uint8_t *d, uint64_t bytes)
{
	uint8_t units = 0;

	while (bytes > 0xffffffffull) {
		bytes >>= 10;
		units++;
	}
	d[7] = units;
	nx_put_be32(d + 8, (uint32_t)bytes);
}

/* After delivery in full (or ALLOCATION LENGTH 0) held data is discarded
 * (SPC-4 6.18.2 / 6.18.3). */
static bool delivered(const struct nx_task *t, uint32_t len)
{
	return t->data_len == 0 || t->data_len >= len;
}

static enum nx_sense_reason copy_status(struct nx_task *t)
{
	struct nx_xcopy_held *h = held_find(t->nexus, t->priv.lu->lun,
					    t->cdb[2]);
	uint8_t d[12];

	if (h == NULL || (!h->in_progress && !h->status_held))
		return nx_spc_bad_cdb(t, 2, 7);
	memset(d, 0, sizeof(d));
	nx_put_be32(d, sizeof(d) - 4);
	d[4] = h->cm_status;
	nx_put_be16(d + 5, h->segments);
	put_count(d, h->bytes);
	nx_task_put_data(t, d, sizeof(d));
	if (!h->in_progress && delivered(t, sizeof(d))) {
		h->status_held = false;
		held_drop_if_empty(h);
	}
	return NX_SR_OK;
}

/* SPC-4 6.18.3: AVAILABLE DATA 0 when nothing is held for the list. */
static enum nx_sense_reason failed_details(struct nx_task *t)
{
	struct nx_xcopy_held *h = held_find(t->nexus, t->priv.lu->lun,
					    t->cdb[2]);
	uint8_t d[60 + NX_SENSE_MAX];
	uint32_t len = 60;

	memset(d, 0, sizeof(d));
	if (h == NULL || !h->details_held) {
		nx_task_put_data(t, d, 4);
		return NX_SR_OK;
	}
	d[56] = h->scsi_status;
	nx_put_be16(d + 58, h->sense_len);
	memcpy(d + 60, h->sense, h->sense_len);
	len += h->sense_len;
	nx_put_be32(d, len - 4);
	nx_task_put_data(t, d, len);
	if (delivered(t, len)) {
		h->details_held = false;
		held_drop_if_empty(h);
	}
	return NX_SR_OK;
}

enum nx_sense_reason nx_rcr_exec(struct nx_task *t)
{
	uint8_t d[OP_PARAMS_LEN];

	switch (t->cdb[1] & 0x1f) {
	case RCR_COPY_STATUS:
		return copy_status(t);
	case RCR_FAILED_DETAILS:
		return failed_details(t);
	default:
		nx_assert((t->cdb[1] & 0x1f) == RCR_OP_PARAMS);
		op_params(t->priv.lu, d);
		nx_task_put_data(t, d, sizeof(d));
		return NX_SR_OK;
	}
}

/* ---- Third-party Copy VPD page (SPC-4 7.8.17) ----------------------------- */

/* One third-party copy descriptor: type, length, body padded to a
 * multiple of 4 bytes. */
static size_t tpc_desc(uint8_t *p, uint16_t type, const uint8_t *body,
		       size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	nx_put_be16(p, type);
	nx_put_be16(p + 2, (uint16_t)padded);
	memset(p + 4, 0, padded);
	memcpy(p + 4, body, len);
	return 4 + padded;
}

size_t nx_xcopy_vpd_3pc(const struct nx_lu *lu, uint8_t *buf, size_t cap)
{
	/* Supported Commands (0001h): 83h/00h, 84h/00h,03h,04h */
	static const uint8_t cmds[] = { 8, 0x83, 1, 0x00, 0x84, 3, 0x00, 0x03,
					0x04 };
	/* Supported Descriptors (0008h), Supported CSCD IDs (000Ch) */
	static const uint8_t descs[] = { sizeof(implemented),
					 SEG_BLOCK_TO_BLOCK,
					 SEG_BLOCK_TO_BLOCK_OFF, CSCD_IDENT };
	static const uint8_t ids[] = { 0x00, 0x02, 0xff, 0xff };
	uint8_t param[28], general[28];
	size_t len = 0;

	nx_assert(cap >= 96);
	/* Parameter Data (0004h) */
	memset(param, 0, sizeof(param));
	nx_put_be16(param + 4, XC_MAX_CSCD);
	nx_put_be16(param + 6, XC_MAX_SEGS);
	nx_put_be32(param + 8, XC_MAX_DESC_LEN);
	nx_put_be32(param + 12, XC_MAX_INLINE);
	/* General Copy Operations (8001h) */
	memset(general, 0, sizeof(general));
	nx_put_be32(general, XC_MAX_COPIES);
	nx_put_be32(general + 4, XC_MAX_COPIES);
	nx_put_be32(general + 8, XC_MAX_SEGMENT);
	general[12] = lu->block_shift;
	general[13] = lu->block_shift;
	len += tpc_desc(buf + len, 0x0001, cmds, sizeof(cmds));
	len += tpc_desc(buf + len, 0x0004, param, sizeof(param));
	len += tpc_desc(buf + len, 0x0008, descs, sizeof(descs));
	len += tpc_desc(buf + len, 0x000c, ids, sizeof(ids));
	len += tpc_desc(buf + len, 0x8001, general, sizeof(general));
	nx_assert(len <= cap);
	return len;
}
