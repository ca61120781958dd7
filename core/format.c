/*
 * format.c - FORMAT UNIT (SBC-3 5.3; SBC-4 5.4).
 *
 * nexus has no protection information, no defect lists and a fixed block
 * length, so a format keeps the LU's geometry and only initializes the
 * medium: every LBA reads zeros afterwards (a thin LU ends with every LBA
 * deallocated).  The format operation runs as a kind of the LU's sanitize
 * operation (sanitize.c): in the background, paced, with a progress
 * indication, answering other commands NOT READY, LOGICAL UNIT NOT READY,
 * FORMAT IN PROGRESS, and outliving task aborts, resets and I_T nexus
 * loss.  IMMED=1 in the parameter list header answers GOOD at once.
 *
 * Accepted: FMTDATA=0 (no parameter list), or FMTDATA=1 with a short
 * (LONGLIST=0, 4 bytes) or long (8 bytes) header with an empty defect
 * list; FOV=1 with DPRY/DCRT/STPF (nothing to do: there are no defects).
 * Refused: FMTPINFO (CDB usage data), PROTECTION FIELD USAGE, P_I
 * INFORMATION / PROTECTION INTERVAL EXPONENT, an initialization pattern
 * (IP=1) and a defect list (DEFECT LIST LENGTH > 0): INVALID FIELD IN
 * PARAMETER LIST pointing at the field.
 */
#include "scsi_internal.h"

#define FU_LONGLIST 0x20
#define FU_FMTDATA 0x10
#define FU_DLF 0x07
#define DLF_RESERVED 0x07

#define HDR_FOV 0x80
#define HDR_FOV_BITS 0x78 /* DPRY, DCRT, STPF, IP: zero unless FOV=1 */
#define HDR_IP 0x08
#define HDR_OBSOLETE 0x04
#define HDR_IMMED 0x02

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

/* SBC-3 5.3.1: FMTPINFO is outside the CDB usage data (no protection
 * information: refused by the dispatcher); the DEFECT LIST FORMAT 111b
 * is reserved; with FMTDATA=0 there is no list for LONGLIST or DEFECT
 * LIST FORMAT to describe (SBC-3 table 34: only 000b is defined).  The
 * parameter list is just the header: this device server takes neither
 * an initialization pattern nor a defect list, so the rest of whatever
 * the application client sends is not needed. */
enum nx_sense_reason nx_format_parse(struct nx_task *t)
{
	uint8_t b1 = t->cdb[1];

	if ((b1 & FU_DLF) == DLF_RESERVED)
		return nx_spc_bad_cdb(t, 1, 2);
	if (!(b1 & FU_FMTDATA)) {
		if (b1 & FU_DLF)
			return nx_spc_bad_cdb(t, 1, 2);
		if (b1 & FU_LONGLIST)
			return nx_spc_bad_cdb(t, 1, 5);
		t->data_len = 0;
		t->dir = NX_DIR_NONE;
		return NX_SR_OK;
	}
	t->data_len = (b1 & FU_LONGLIST) ? 8 : 4;
	t->dir = NX_DIR_WRITE;
	return NX_SR_OK;
}

/* SBC-3 5.3.2 tables 36 (short) and 37 (long header): byte 0 PROTECTION
 * FIELD USAGE (2:0) with 7:3 reserved; byte 1 FOV, DPRY, DCRT, STPF, IP,
 * obsolete, IMMED, vendor specific; long: byte 2 reserved, byte 3 P_I
 * INFORMATION / PROTECTION INTERVAL EXPONENT, DEFECT LIST LENGTH in
 * bytes 4-7 (short: 2-3).  FOV=0 requires DPRY, DCRT, STPF and IP zero
 * (SBC-3 5.3.2.2). */
static enum nx_sense_reason check_header(struct nx_task *t, bool *immed)
{
	const uint8_t *p = t->data;
	bool longlist = t->cdb[1] & FU_LONGLIST;
	uint16_t dll_at = longlist ? 4 : 2;
	uint32_t dll = longlist ? nx_get_be32(p + 4) : nx_get_be16(p + 2);

	nx_assert(p != NULL && t->data_len == (longlist ? 8u : 4u));
	if (p[0] & 0xf8)
		return param_field(t, 0, 7);
	if (p[0] & 0x07)
		return param_field(t, 0, 2); /* no protection information */
	if (!(p[1] & HDR_FOV) && (p[1] & HDR_FOV_BITS))
		return param_field(t, 1, 7);
	if (p[1] & HDR_IP)
		return param_field(t, 1, 3); /* no initialization pattern */
	if (p[1] & HDR_OBSOLETE)
		return param_field(t, 1, 2);
	if (longlist && p[2] != 0)
		return param_field(t, 2, 7);
	if (longlist && p[3] != 0)
		return param_field(t, 3, 7);
	if (dll != 0)
		return param_field(t, dll_at, 7); /* no defect list */
	*immed = p[1] & HDR_IMMED;
	return NX_SR_OK;
}

enum nx_sense_reason nx_format_exec(struct nx_task *t)
{
	bool immed = false;

	if (t->cdb[1] & FU_FMTDATA) {
		enum nx_sense_reason r = check_header(t, &immed);
		if (r != NX_SR_OK)
			return r;
	}
	return nx_format_start(t, immed);
}
