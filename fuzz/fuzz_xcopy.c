/*
 * fuzz_xcopy.c - the copy manager through the whole core: EXTENDED COPY
 * (LID1) parameter lists (SPC-4 6.4: header, identification CSCD
 * descriptors E4h, block-to-block segments 02h and 0Ah), RECEIVE COPY
 * RESULTS (SPC-4 6.18: COPY STATUS, OPERATING PARAMETERS, FAILED SEGMENT
 * DETAILS), WRITE ATOMIC(16) (SBC-4 5.48) and anything else a raw CDB
 * names, from two I_T nexuses against four LUs:
 *   LU 0  RAM, 512-byte blocks        LU 1  RAM, 4096-byte blocks
 *   LU 2  null, 512-byte blocks       LU 3  RAM, 512-byte blocks, read-only
 * The RAM LUs start with a known pattern (the last quarter unmapped).
 *
 * Invariant (data really copied): the harness keeps a shadow of every
 * LU.  After an EXTENDED COPY that ends GOOD it applies the segments of
 * the list to the shadow (SPC-4: in order; the copy manager reads a
 * segment's source before it writes its destination) and every LU must
 * equal its shadow; after WRITE(10) / WRITE ATOMIC(16) GOOD the same
 * with the written blocks, and after a WRITE ATOMIC that failed the LU
 * must be unchanged (all or nothing).  Anything else resynchronises the
 * shadow from the LUs.  Also: task_done exactly once, TMFs complete,
 * nexuses drain (fuzz_common.c).
 *
 * Input:  byte 0  bit 0 keep the power-on unit attentions
 *         then records separated by FZ_SEP:
 *           byte 0  bits 2..0 kind, bit 3 nexus, bits 5..4 the LU the
 *                   command goes to, bits 7..6 task attribute
 *           kind 0  EXTENDED COPY, raw parameter list (PARAMETER LIST
 *                   LENGTH = the rest of the record)
 *           kind 1  EXTENDED COPY built by the harness (compact):
 *                   byte 1 LIST IDENTIFIER, byte 2 bits 1..0 LIST ID
 *                   USAGE, bit 2 NRCR, bits 7..4 CSCD count (0..15),
 *                   then one byte per CSCD (bits 1..0 LU, bit 2 T10
 *                   vendor ID designator instead of NAA, bit 3 wrong
 *                   DISK BLOCK LENGTH, bit 4 device type 01h, bit 5 a
 *                   designator that names no LU), then 8-byte segments:
 *                   [0] bit 0 0Ah (else 02h), bit 1 DC, bit 2 CAT,
 *                   [1] source CSCD ID (FFh: FFFFh), [2] destination,
 *                   [3..4] NUMBER OF BLOCKS (02h) / bytes (0Ah),
 *                   [5] source LBA, [6] destination LBA, [7] byte
 *                   offsets (0Ah: low nibble * 37 source, high nibble *
 *                   41 destination)
 *           kind 2  RECEIVE COPY RESULTS: byte 1 service action, byte 2
 *                   LIST IDENTIFIER, bytes 3..4 ALLOCATION LENGTH
 *           kind 3  raw CDB: byte 1 CDB length, CDB, data-out
 *           kind 4  TMF: byte 1 function (enum nx_tmf_fn)
 *           kind 5  WRITE ATOMIC(16): byte 1 LBA, byte 2 blocks, byte 3
 *                   fill byte, byte 4 control
 *           kind 6  WRITE(10): byte 1 LBA, byte 2 blocks, byte 3 fill
 *           kind 7  START STOP UNIT / PERSISTENT RESERVE OUT (byte 1
 *                   selects; makes copy targets refuse)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"

#define RECORDS_MAX 24
#define LU_COUNT 4
#define LU_BYTES (64u << 10)
#define LU_RO 3
#define LU_NULL 2
#define FILL_BYTES (LU_BYTES / 4 * 3)

static const uint32_t lu_bs[LU_COUNT] = { 512, 4096, 512, 512 };
/* Short serial numbers: the T10 vendor ID designator (vendor + serial)
 * then fits the 20 bytes a CSCD designator may hold. */
static const char *const lu_serial[LU_COUNT] = { "XC0", "XC1", "XC2", "XC3" };

struct xw {
	struct fz_core fc;
	struct nx_lu *lu[LU_COUNT];
	uint8_t *shadow[LU_COUNT];
	uint8_t *scratch;
	bool debug;
};

/* ---- the world ------------------------------------------------------------ */

static void bs_done(struct nx_bs_io *io)
{
	*(bool *)io->arg = true;
}

static void bs_io(struct nx_lu *lu, enum nx_bs_op op, uint8_t *buf,
		  uint64_t off, uint32_t len)
{
	struct nx_bs_io io;
	bool done = false;

	memset(&io, 0, sizeof(io));
	io.op = op;
	io.offset = off;
	io.len = len;
	io.buf = buf;
	io.done = bs_done;
	io.arg = &done;
	/* RAM and null complete inline (nx_backstore.h) */
	fz_check(nx_bs_submit(lu->bs, &io) == 0);
	fz_check(done && io.err == 0);
}

static void xw_open(struct xw *w)
{
	static const char *const iports[2] = {
		FZ_INITIATOR_NAME ",i,0x801234567890",
		"iqn.2024-01.org.nexus:other,i,0x800000000001",
	};

	memset(w, 0, sizeof(*w));
	w->debug = getenv("FZ_DEBUG") != NULL;
	w->fc.tgt = nx_target_new(FZ_TARGET_NAME);
	fz_check(w->fc.tgt != NULL);
	for (unsigned i = 0; i < LU_COUNT; i++) {
		struct nx_lu_config c = { .lun = i, .block_size = lu_bs[i],
					  .read_only = i == LU_RO,
					  .serial = lu_serial[i] };
		struct nx_backstore *bs = i == LU_NULL ? nx_bs_null_new(LU_BYTES)
						       : nx_bs_ram_new(LU_BYTES);

		fz_check(nx_target_add_lu(w->fc.tgt, &c, bs) == 0);
		w->lu[i] = nx_target_find_lu(w->fc.tgt, i);
		fz_check(w->lu[i] != NULL);
		w->shadow[i] = calloc(1, LU_BYTES);
		fz_check(w->shadow[i] != NULL);
		if (i == LU_NULL)
			continue;
		for (uint32_t k = 0; k < FILL_BYTES; k++)
			w->shadow[i][k] = (uint8_t)(k * 7 + i * 31 + (k >> 9));
		bs_io(w->lu[i], NX_BS_WRITE, w->shadow[i], 0, FILL_BYTES);
	}
	w->scratch = malloc(LU_BYTES);
	fz_check(w->scratch != NULL);
	for (unsigned i = 0; i < 2; i++)
		fz_core_add_nexus(&w->fc, iports[i], FZ_TARGET_NAME ",t,0x1",
				  (uint16_t)(i + 1));
}

static void xw_close(struct xw *w)
{
	fz_core_close(&w->fc);
	for (unsigned i = 0; i < LU_COUNT; i++)
		free(w->shadow[i]);
	free(w->scratch);
}

static void resync(struct xw *w)
{
	for (unsigned i = 0; i < LU_COUNT; i++)
		bs_io(w->lu[i], NX_BS_READ, w->shadow[i], 0, LU_BYTES);
}

static void verify(struct xw *w, const char *after)
{
	for (unsigned i = 0; i < LU_COUNT; i++) {
		bs_io(w->lu[i], NX_BS_READ, w->scratch, 0, LU_BYTES);
		for (uint32_t k = 0; k < LU_BYTES; k++)
			if (w->scratch[k] != w->shadow[i][k])
				fz_fail("after %s: LU %u byte %u is %02x, "
					"expected %02x", after, i, k,
					w->scratch[k], w->shadow[i][k]);
	}
}

static void run(struct xw *w, unsigned nexus, unsigned lu, uint8_t attr,
		const uint8_t *cdb, uint8_t cdb_len, const uint8_t *dout,
		size_t dout_len, struct fz_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->nexus = nexus;
	cmd->lun = nx_lun_encode(lu);
	cmd->cdb = cdb;
	cmd->cdb_len = cdb_len;
	cmd->attr = (enum nx_task_attr)attr;
	cmd->dout = dout;
	cmd->dout_len = dout_len;
	cmd->expected_len = (uint32_t)dout_len;
	fz_core_run(&w->fc, cmd);
}

/* ---- the model of a GOOD EXTENDED COPY ------------------------------------- */

/* The LU a CSCD designator names (SPC-4 6.4.5.x; NAA or T10 vendor ID
 * as the Device Identification VPD page reports them), -1 if none. */
static int cscd_lu(const struct xw *w, const uint8_t *d)
{
	for (unsigned i = 0; i < LU_COUNT; i++) {
		const struct nx_lu *lu = w->lu[i];
		uint8_t t10[8 + 32];
		size_t sn = strlen(lu->serial);

		if ((d[5] & 0x0f) == 0x03) {
			if (d[7] == sizeof(lu->naa) &&
			    memcmp(d + 8, lu->naa, sizeof(lu->naa)) == 0)
				return (int)i;
			continue;
		}
		memset(t10, ' ', 8);
		memcpy(t10, lu->vendor, strlen(lu->vendor));
		memcpy(t10 + 8, lu->serial, sn);
		if (d[7] == 8 + sn && memcmp(d + 8, t10, 8 + sn) == 0)
			return (int)i;
	}
	return -1;
}

static int seg_lu(const struct xw *w, const uint8_t *list, uint16_t id,
		  unsigned self)
{
	if (id == 0xffff)
		return (int)self;
	return cscd_lu(w, list + 16 + (size_t)id * 32);
}

/* Applies the segments of a list the target accepted and completed. */
static void model_copy(struct xw *w, const uint8_t *p, size_t len,
		       unsigned self)
{
	uint32_t cl = nx_get_be16(p + 2), sl = nx_get_be32(p + 8);
	uint32_t off = 16 + cl, end = 16 + cl + sl;

	fz_check(len >= end);
	while (off < end) {
		const uint8_t *s = p + off;
		int src = seg_lu(w, p, nx_get_be16(s + 4), self);
		int dst = seg_lu(w, p, nx_get_be16(s + 6), self);
		uint64_t n, so, dof;

		fz_check(src >= 0 && dst >= 0);
		if (s[0] == 0x02) {
			n = (uint64_t)nx_get_be16(s + 10) *
			    lu_bs[(s[1] & 0x02) ? dst : src];
			so = nx_get_be64(s + 12) * lu_bs[src];
			dof = nx_get_be64(s + 20) * lu_bs[dst];
			off += 28;
		} else {
			fz_check(s[0] == 0x0a);
			n = nx_get_be32(s + 8);
			so = nx_get_be64(s + 12) * lu_bs[src] + nx_get_be16(s + 28);
			dof = nx_get_be64(s + 20) * lu_bs[dst] + nx_get_be16(s + 30);
			off += 32;
		}
		fz_check(so + n <= LU_BYTES && dof + n <= LU_BYTES);
		if (dst == LU_NULL || n == 0)
			continue;
		/* one chunk (LUs are smaller than the copy manager's): the
		 * whole source is read before the destination is written */
		memmove(w->shadow[dst] + dof, w->shadow[src] + so, n);
	}
}

/* ---- records ------------------------------------------------------------------ */

static void xcopy(struct xw *w, uint8_t ctl, const uint8_t *list, size_t n)
{
	uint8_t cdb[16] = { 0x83 };
	struct fz_cmd cmd;
	unsigned lu = (ctl >> 4) & 3;

	nx_put_be32(cdb + 10, (uint32_t)n);
	run(w, (ctl >> 3) & 1, lu, ctl >> 6, cdb, 16, list, n, &cmd);
	if (cmd.status == NX_STATUS_GOOD && n > 0) {
		model_copy(w, list, n, lu);
		verify(w, "EXTENDED COPY");
	}
	resync(w);
}

static size_t put_cscd(const struct xw *w, uint8_t *p, uint8_t sel)
{
	const struct nx_lu *lu = w->lu[sel & 3];

	memset(p, 0, 32);
	p[0] = 0xe4;
	p[1] = sel & 0x10 ? 0x01 : 0x00;
	if (sel & 0x04) {
		size_t sn = strlen(lu->serial);

		p[4] = 0x02; /* ASCII */
		p[5] = 0x01; /* T10 vendor ID, LU association */
		p[7] = (uint8_t)NX_MIN(8 + sn, (size_t)20);
		memset(p + 8, ' ', 8);
		memcpy(p + 8, lu->vendor, strlen(lu->vendor));
		memcpy(p + 16, lu->serial, NX_MIN(sn, (size_t)12));
	} else {
		p[4] = 0x01; /* binary */
		p[5] = 0x03; /* NAA */
		p[7] = 16;
		memcpy(p + 8, lu->naa, 16);
	}
	if (sel & 0x20)
		p[8 + 15] ^= 0x5a;
	nx_put_be24(p + 29, lu_bs[sel & 3] * (sel & 0x08 ? 2 : 1));
	return 32;
}

static size_t put_seg(uint8_t *p, const uint8_t *c)
{
	uint16_t src = c[1] == 0xff ? 0xffff : c[1];
	uint16_t dst = c[2] == 0xff ? 0xffff : c[2];
	size_t len = c[0] & 1 ? 32 : 28;

	memset(p, 0, len);
	p[0] = c[0] & 1 ? 0x0a : 0x02;
	p[1] = (uint8_t)((c[0] & 2) | (c[0] & 4 ? 1 : 0));
	nx_put_be16(p + 2, (uint16_t)(len - 4));
	nx_put_be16(p + 4, src);
	nx_put_be16(p + 6, dst);
	if (c[0] & 1) {
		nx_put_be32(p + 8, nx_get_be16(c + 3));
		nx_put_be16(p + 28, (uint16_t)((c[7] & 0x0f) * 37));
		nx_put_be16(p + 30, (uint16_t)((c[7] >> 4) * 41));
	} else {
		nx_put_be16(p + 10, nx_get_be16(c + 3));
	}
	nx_put_be64(p + 12, c[5]);
	nx_put_be64(p + 20, c[6]);
	return len;
}

static void xcopy_compact(struct xw *w, uint8_t ctl, const uint8_t *d,
			  size_t n)
{
	uint8_t list[16 + 15 * 32 + 40 * 32];
	size_t len = 16, ncscd, k = 3;

	if (n < 3)
		return;
	memset(list, 0, 16);
	list[0] = d[1];
	list[1] = (uint8_t)((d[2] & 3) << 3 | (d[2] & 4 ? 0x20 : 0));
	ncscd = d[2] >> 4;
	for (size_t i = 0; i < ncscd; i++, k++)
		len += put_cscd(w, list + len, k < n ? d[k] : 0);
	nx_put_be16(list + 2, (uint16_t)(len - 16));
	for (unsigned i = 0; i < 40 && k + 8 <= n; i++, k += 8)
		len += put_seg(list + len, d + k);
	nx_put_be32(list + 8, (uint32_t)(len - 16 - nx_get_be16(list + 2)));
	xcopy(w, ctl, list, len);
}

static void rcr(struct xw *w, uint8_t ctl, const uint8_t *d, size_t n)
{
	uint8_t cdb[16] = { 0x84 };
	struct fz_cmd cmd;

	if (n < 5)
		return;
	cdb[1] = d[1] & 0x1f;
	cdb[2] = d[2];
	nx_put_be32(cdb + 10, nx_get_be16(d + 3));
	run(w, (ctl >> 3) & 1, (ctl >> 4) & 3, ctl >> 6, cdb, 16, NULL, 0, &cmd);
}

static void raw(struct xw *w, uint8_t ctl, const uint8_t *d, size_t n)
{
	uint8_t cdb[NX_CDB_MAX] = { 0 };
	uint8_t len;
	struct fz_cmd cmd;

	if (n < 2)
		return;
	len = (uint8_t)(1 + (d[1] - 1u) % NX_CDB_MAX);
	memcpy(cdb, d + 2, NX_MIN((size_t)len, n - 2));
	run(w, (ctl >> 3) & 1, (ctl >> 4) & 3, ctl >> 6, cdb, len,
	    n > 2u + len ? d + 2 + len : NULL, n > 2u + len ? n - 2 - len : 0,
	    &cmd);
	resync(w);
}

/* WRITE ATOMIC(16) (SBC-4 5.48) or WRITE(10): all or nothing. */
static void write_blocks(struct xw *w, uint8_t ctl, const uint8_t *d,
			 size_t n, bool atomic)
{
	uint8_t cdb[16] = { 0 };
	unsigned lu = (ctl >> 4) & 3;
	uint32_t bs = lu_bs[lu], blocks, lba;
	struct fz_cmd cmd;
	uint8_t *buf;

	if (n < 4)
		return;
	lba = d[1];
	blocks = d[2] % 17;
	buf = malloc(blocks * bs + 1);
	fz_check(buf != NULL);
	memset(buf, d[3], blocks * bs);
	if (atomic) {
		cdb[0] = 0x9c;
		nx_put_be64(cdb + 2, lba);
		nx_put_be16(cdb + 12, (uint16_t)blocks);
		cdb[15] = n > 4 ? d[4] : 0;
	} else {
		cdb[0] = 0x2a;
		nx_put_be32(cdb + 2, lba);
		nx_put_be16(cdb + 7, (uint16_t)blocks);
	}
	run(w, (ctl >> 3) & 1, lu, ctl >> 6, cdb, atomic ? 16 : 10, buf,
	    blocks * bs, &cmd);
	if (cmd.status == NX_STATUS_GOOD && lu != LU_NULL && blocks > 0) {
		fz_check((uint64_t)(lba + blocks) * bs <= LU_BYTES);
		memset(w->shadow[lu] + (size_t)lba * bs, d[3], blocks * bs);
	}
	verify(w, atomic ? "WRITE ATOMIC(16)" : "WRITE(10)");
	free(buf);
}

static void control(struct xw *w, uint8_t ctl, const uint8_t *d, size_t n)
{
	static const uint8_t stop[6] = { 0x1b, 0, 0, 0, 0, 0 };
	static const uint8_t start[6] = { 0x1b, 0, 0, 0, 1, 0 };
	uint8_t prout[10] = { 0x5f, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	uint8_t plist[24] = { 0 };
	struct fz_cmd cmd;
	unsigned nexus = (ctl >> 3) & 1, lu = (ctl >> 4) & 3;
	uint8_t sel = n > 1 ? d[1] : 0;

	switch (sel & 3) {
	case 0:
		run(w, nexus, lu, 0, stop, 6, NULL, 0, &cmd);
		break;
	case 1:
		run(w, nexus, lu, 0, start, 6, NULL, 0, &cmd);
		break;
	default:
		/* REGISTER key (nexus + 1), then RESERVE type (sel >> 2) */
		nx_put_be64(plist + 8, nexus + 1);
		run(w, nexus, lu, 0, prout, 10, plist, 24, &cmd);
		prout[1] = 0x01;
		prout[2] = (uint8_t)((sel >> 2) & 0x0f);
		memset(plist + 8, 0, 8);
		nx_put_be64(plist, nexus + 1);
		run(w, nexus, lu, 0, prout, 10, plist, 24, &cmd);
		break;
	}
}

static void record(void *arg, const uint8_t *d, size_t n)
{
	struct xw *w = arg;
	uint8_t ctl = d[0];

	switch (ctl & 7) {
	case 0:
		xcopy(w, ctl, d + 1, n - 1);
		break;
	case 1:
		xcopy_compact(w, ctl, d, n);
		break;
	case 2:
		rcr(w, ctl, d, n);
		break;
	case 3:
		raw(w, ctl, d, n);
		break;
	case 4:
		if (n > 1)
			fz_core_tmf(&w->fc, (ctl >> 3) & 1,
				    (enum nx_tmf_fn)(1 + d[1] % NX_TMF_QUERY_ASYNC_EVENT),
				    nx_lun_encode((ctl >> 4) & 3), w->fc.tag);
		resync(w);
		break;
	case 5:
	case 6:
		write_blocks(w, ctl, d, n, (ctl & 7) == 5);
		break;
	default:
		control(w, ctl, d, n);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xw w;
	const uint8_t *end = data + size;

	if (size < 2)
		return 0;
	fz_platform_reset();
	xw_open(&w);
	if (!(data[0] & 1))
		fz_core_clear_ua(&w.fc);
	data++;
	fz_records(data, (size_t)(end - data), RECORDS_MAX, record, &w);
	xw_close(&w);
	fz_platform_done();
	return 0;
}
