/*
 * defect.c - READ DEFECT DATA (10) and (12) (SBC-3 5.17, 5.18).
 *
 * nexus media have no defects: the primary (PLIST) and grown (GLIST)
 * lists are empty.  The answer is the defect list header alone: PLISTV /
 * GLISTV say which (empty) lists were requested and are returned,
 * DEFECT LIST LENGTH is 0.  Every address descriptor format SBC-3 defines
 * (000b short block, 001b extended bytes from index, 010b extended
 * physical sector, 011b long block, 100b bytes from index, 101b physical
 * sector) can hold an empty list, so the requested one is returned.  For
 * 110b (vendor specific, none defined here) and 111b (reserved) the
 * header names the short block format instead and the command ends, after
 * the data, in RECOVERED ERROR, DEFECT LIST NOT FOUND: SBC-3 5.17 "if the
 * requested defect list format and the returned defect list format are
 * not the same".  READ DEFECT DATA (12)'s ADDRESS DESCRIPTOR INDEX is past
 * the end of an empty list whatever its value: the list stays empty.
 */
#include "scsi_internal.h"

#define RDD10 0x37
#define HDR10_LEN 4
#define HDR12_LEN 8
#define FORMAT_SHORT_BLOCK 0x0
#define FORMAT_LAST_DEFINED 0x5

/* byte of the REQ_PLIST / REQ_GLIST / DEFECT LIST FORMAT bits */
static uint8_t rdd_flags(const struct nx_task *t)
{
	return t->cdb[0] == RDD10 ? t->cdb[2] : t->cdb[1];
}

enum nx_sense_reason nx_rdd_parse(struct nx_task *t)
{
	uint32_t alloc = t->cdb[0] == RDD10 ? nx_get_be16(t->cdb + 7)
					    : nx_get_be32(t->cdb + 6);

	nx_spc_data_in(t, alloc);
	return NX_SR_OK;
}

enum nx_sense_reason nx_rdd_exec(struct nx_task *t)
{
	uint8_t flags = rdd_flags(t);
	uint8_t format = flags & 0x07;
	bool supported = format <= FORMAT_LAST_DEFINED;
	uint8_t d[HDR12_LEN];
	uint32_t len = t->cdb[0] == RDD10 ? HDR10_LEN : HDR12_LEN;

	memset(d, 0, sizeof(d));
	/* PLISTV (bit 4) and GLISTV (bit 3) mirror REQ_PLIST / REQ_GLIST:
	 * the requested lists are returned, empty; DEFECT LIST LENGTH (bytes
	 * 2-3, or 4-7 in the 12-byte header) stays 0, as does the (12)
	 * header's GENERATION CODE (bytes 2-3: not supported). */
	d[1] = (uint8_t)((flags & 0x18) |
			 (supported ? format : FORMAT_SHORT_BLOCK));
	nx_task_put_data(t, d, len);
	if (supported)
		return NX_SR_OK;
	/* Sense, but the header still goes out (nx_sense_build() clears
	 * xfer_len; the transport sends the data before the status). */
	uint32_t xfer = t->xfer_len;
	nx_task_set_sense(t, NX_SR_DEFECT_LIST_NOT_FOUND, NULL);
	t->xfer_len = xfer;
	return NX_SR_CHECK_CONDITION_SET;
}
