/*
 * sense.c - sense reasons to sense data (SPC-4 4.5).
 *
 * Handlers return an nx_sense_reason; this file owns the one table that maps
 * a reason to status / sense key / ASC / ASCQ and the one encoder that writes
 * fixed (70h, SPC-4 4.5.3) or descriptor (72h, SPC-4 4.5.2) sense data.  The
 * format follows the LU's D_SENSE bit (control mode page, SPC-4 7.5.8).
 */
#include "scsi_internal.h"

#define KEY_RECOVERED_ERROR 0x01
#define KEY_NOT_READY 0x02
#define KEY_MEDIUM_ERROR 0x03
#define KEY_HARDWARE_ERROR 0x04
#define KEY_ILLEGAL_REQUEST 0x05
#define KEY_DATA_PROTECT 0x07
#define KEY_ABORTED_COMMAND 0x0b
#define KEY_MISCOMPARE 0x0e

#define FIXED_LEN 18
#define DESC_HDR_LEN 8
#define DESC_INFO_LEN 12 /* SPC-4 4.5.2.2: type 00h, additional length 0Ah */
#define DESC_SKS_LEN 8   /* SPC-4 4.5.2.4: type 02h, additional length 06h */

struct sense_detail {
	uint8_t status;
	uint8_t key;
	uint8_t asc;
	uint8_t ascq;
};

#define CC NX_STATUS_CHECK_CONDITION
static const struct sense_detail sense_table[NX_SR_COUNT] = {
	[NX_SR_OK] = { NX_STATUS_GOOD, 0, 0, 0 },
	[NX_SR_INVALID_OPCODE] = { CC, KEY_ILLEGAL_REQUEST, 0x20, 0x00 },
	[NX_SR_INVALID_FIELD_IN_CDB] = { CC, KEY_ILLEGAL_REQUEST, 0x24, 0x00 },
	[NX_SR_INVALID_FIELD_IN_PARAM] = { CC, KEY_ILLEGAL_REQUEST, 0x26, 0x00 },
	[NX_SR_PARAM_LIST_LENGTH] = { CC, KEY_ILLEGAL_REQUEST, 0x1a, 0x00 },
	[NX_SR_PARAM_VALUE_INVALID] = { CC, KEY_ILLEGAL_REQUEST, 0x26, 0x02 },
	[NX_SR_LBA_OUT_OF_RANGE] = { CC, KEY_ILLEGAL_REQUEST, 0x21, 0x00 },
	[NX_SR_LU_NOT_SUPPORTED] = { CC, KEY_ILLEGAL_REQUEST, 0x25, 0x00 },
	[NX_SR_SAVING_NOT_SUPPORTED] = { CC, KEY_ILLEGAL_REQUEST, 0x39, 0x00 },
	[NX_SR_INVALID_CDB_LENGTH] = { CC, KEY_ILLEGAL_REQUEST, 0x24, 0x00 },
	[NX_SR_WRITE_PROTECTED] = { CC, KEY_DATA_PROTECT, 0x27, 0x00 },
	[NX_SR_READ_ERROR] = { CC, KEY_MEDIUM_ERROR, 0x11, 0x00 },
	[NX_SR_WRITE_ERROR] = { CC, KEY_MEDIUM_ERROR, 0x0c, 0x00 },
	[NX_SR_MISCOMPARE_VERIFY] = { CC, KEY_MISCOMPARE, 0x1d, 0x00 },
	[NX_SR_INTERNAL_FAILURE] = { CC, KEY_HARDWARE_ERROR, 0x44, 0x00 },
	[NX_SR_OVERLAPPED_COMMANDS] = { CC, KEY_ABORTED_COMMAND, 0x4e, 0x00 },
	[NX_SR_INSUFFICIENT_RESOURCES] = { CC, KEY_ILLEGAL_REQUEST, 0x55, 0x03 },
	[NX_SR_NOT_READY_STOPPED] = { CC, KEY_NOT_READY, 0x04, 0x02 },
	[NX_SR_RESERVATION_CONFLICT] = { NX_STATUS_RESERVATION_CONFLICT, 0, 0, 0 },
	[NX_SR_MEDIUM_REMOVAL_PREVENTED] = { CC, KEY_ILLEGAL_REQUEST, 0x53, 0x02 },
	[NX_SR_INVALID_MESSAGE] = { CC, KEY_ILLEGAL_REQUEST, 0x49, 0x00 },
	[NX_SR_UNSUPPORTED_SA] = { CC, KEY_ILLEGAL_REQUEST, 0x24, 0x00 },
	[NX_SR_BUSY] = { NX_STATUS_BUSY, 0, 0, 0 },
	[NX_SR_TASK_SET_FULL] = { NX_STATUS_TASK_SET_FULL, 0, 0, 0 },
	[NX_SR_ACA_ACTIVE] = { NX_STATUS_ACA_ACTIVE, 0, 0, 0 },
	[NX_SR_MEDIUM_NOT_PRESENT] = { CC, KEY_NOT_READY, 0x3a, 0x00 },
	[NX_SR_SANITIZE_IN_PROGRESS] = { CC, KEY_NOT_READY, 0x04, 0x1b },
	[NX_SR_SANITIZE_FAILED] = { CC, KEY_MEDIUM_ERROR, 0x31, 0x03 },
	[NX_SR_FORMAT_IN_PROGRESS] = { CC, KEY_NOT_READY, 0x04, 0x04 },
	[NX_SR_FORMAT_FAILED] = { CC, KEY_MEDIUM_ERROR, 0x31, 0x01 },
	[NX_SR_DEFECT_LIST_NOT_FOUND] = { CC, KEY_RECOVERED_ERROR, 0x1c, 0x00 },
	[NX_SR_INVALID_FIELD_IN_IU] = { CC, KEY_ILLEGAL_REQUEST, 0x0e, 0x03 },
};
#undef CC

/* Sense-key specific bytes for ILLEGAL REQUEST (SPC-4 4.5.2.4.2). */
static void put_field_pointer(uint8_t *p, const struct nx_sense_field *f)
{
	p[0] = 0x80; /* SKSV */
	if (f->in_cdb)
		p[0] |= 0x40;
	if (f->bit_valid)
		p[0] |= (uint8_t)(0x08 | (f->bit & 0x07));
	nx_put_be16(p + 1, f->byte);
}

/* SPC-4 4.5.2.4.4: the progress indication shares the field pointer's
 * layout (SKSV, then 16 bits), with C/D, BPV and BIT POINTER zero. */
struct nx_sense_field nx_sense_progress(uint16_t progress)
{
	struct nx_sense_field f = { .valid = true, .byte = progress };

	return f;
}

static size_t encode_fixed(uint8_t *buf, size_t cap, uint8_t key,
			   uint8_t asc, uint8_t ascq,
			   const struct nx_sense_field *field, bool info_valid,
			   uint64_t info)
{
	uint8_t s[FIXED_LEN];

	memset(s, 0, sizeof(s));
	s[0] = 0x70;
	/* INFORMATION is 4 bytes in fixed format: VALID only if it fits. */
	if (info_valid && info <= 0xffffffffull) {
		s[0] |= 0x80;
		nx_put_be32(s + 3, (uint32_t)info);
	}
	s[2] = key & 0x0f;
	s[7] = FIXED_LEN - 8;
	s[12] = asc;
	s[13] = ascq;
	if (field && field->valid)
		put_field_pointer(s + 15, field);
	size_t n = NX_MIN(cap, sizeof(s));
	memcpy(buf, s, n);
	return n;
}

static size_t encode_desc(uint8_t *buf, size_t cap, uint8_t key, uint8_t asc,
			  uint8_t ascq, const struct nx_sense_field *field,
			  bool info_valid, uint64_t info)
{
	uint8_t s[DESC_HDR_LEN + DESC_INFO_LEN + DESC_SKS_LEN];
	size_t len = DESC_HDR_LEN;

	memset(s, 0, sizeof(s));
	s[0] = 0x72;
	s[1] = key & 0x0f;
	s[2] = asc;
	s[3] = ascq;
	if (info_valid) {
		uint8_t *d = s + len;
		d[0] = 0x00;
		d[1] = DESC_INFO_LEN - 2;
		d[2] = 0x80; /* VALID */
		nx_put_be64(d + 4, info);
		len += DESC_INFO_LEN;
	}
	if (field && field->valid) {
		uint8_t *d = s + len;
		d[0] = 0x02;
		d[1] = DESC_SKS_LEN - 2;
		put_field_pointer(d + 4, field);
		len += DESC_SKS_LEN;
	}
	s[7] = (uint8_t)(len - DESC_HDR_LEN);
	size_t n = NX_MIN(cap, len);
	memcpy(buf, s, n);
	return n;
}

size_t nx_sense_encode(uint8_t *buf, size_t cap, bool descriptor, uint8_t key,
		       uint8_t asc, uint8_t ascq,
		       const struct nx_sense_field *field, bool info_valid,
		       uint64_t info)
{
	nx_assert(buf != NULL || cap == 0);
	if (descriptor)
		return encode_desc(buf, cap, key, asc, ascq, field, info_valid,
				   info);
	return encode_fixed(buf, cap, key, asc, ascq, field, info_valid, info);
}

void nx_sense_build(struct nx_task *t, uint8_t key, uint8_t asc, uint8_t ascq,
		    const struct nx_sense_field *field, bool info_valid,
		    uint64_t info)
{
	const struct nx_lu *lu = t->priv.lu;
	bool desc = lu != NULL && lu->mode.d_sense;

	nx_assert(t != NULL);
	t->status = NX_STATUS_CHECK_CONDITION;
	t->sense_len = (uint8_t)nx_sense_encode(t->sense, sizeof(t->sense),
						desc, key, asc, ascq, field,
						info_valid, info);
	t->xfer_len = 0;
}

void nx_task_set_sense(struct nx_task *t, enum nx_sense_reason reason,
		       const struct nx_sense_field *field)
{
	nx_assert(reason < NX_SR_COUNT);
	nx_assert(reason != NX_SR_ASYNC && reason != NX_SR_CHECK_CONDITION_SET);
	const struct sense_detail *d = &sense_table[reason];

	if (d->status != NX_STATUS_CHECK_CONDITION) {
		/* GOOD, RESERVATION CONFLICT, BUSY, TASK SET FULL: no sense
		 * data (SAM-5 5.3.1). */
		t->status = d->status;
		t->sense_len = 0;
		if (d->status != NX_STATUS_GOOD)
			t->xfer_len = 0;
		return;
	}
	if (field == NULL && t->priv.field.valid)
		field = &t->priv.field;
	nx_sense_build(t, d->key, d->asc, d->ascq, field, false, 0);
}

/* ---- COPY ABORTED (EXTENDED COPY, SPC-4 6.4) ------------------------------ */

#define KEY_COPY_ABORTED 0x0a
#define DESC_CSI_LEN 12  /* SPC-4 4.5.2.3: type 01h, additional length 0Ah */
#define DESC_FWD_HDR 4   /* SPC-4 4.5.2.x forwarded sense data: type 0Ch */

/* Segment pointer (SPC-4 4.5.2.4.5): SKSV, SD, FIELD POINTER. */
static void put_segment_pointer(uint8_t *p, const struct nx_copy_sense *c)
{
	p[0] = (uint8_t)(0x80 | (c->sd ? 0x20 : 0));
	nx_put_be16(p + 1, c->ptr_byte);
}

/* The copy target's own sense (fixed format, no field pointer). */
static size_t fwd_sense(uint8_t *buf, size_t cap, const struct nx_copy_sense *c)
{
	if (c->fwd_key == 0)
		return 0;
	return encode_fixed(buf, cap, c->fwd_key, c->fwd_asc, c->fwd_ascq, NULL,
			    false, 0);
}

/* Fixed format: COMMAND-SPECIFIC INFORMATION = SOURCE SENSE DATA OFFSET,
 * DESTINATION SENSE DATA OFFSET, SEGMENT NUMBER; the forwarded status
 * byte and sense follow byte 17 (SPC-4 6.4.3.x). */
static size_t copy_fixed(uint8_t *s, size_t cap, const struct nx_copy_sense *c)
{
	size_t len = FIXED_LEN;

	nx_assert(cap >= FIXED_LEN + 1 + FIXED_LEN);
	memset(s, 0, FIXED_LEN);
	s[0] = 0x70;
	s[2] = KEY_COPY_ABORTED;
	s[12] = c->asc;
	s[13] = c->ascq;
	nx_put_be16(s + 10, c->segment);
	if (c->ptr_valid)
		put_segment_pointer(s + 15, c);
	if (c->fwd != 0) {
		s[c->fwd == 1 ? 8 : 9] = FIXED_LEN;
		s[len++] = c->fwd_status;
		len += fwd_sense(s + len, cap - len, c);
	}
	s[7] = (uint8_t)(len - 8);
	return len;
}

/* Descriptor format: command-specific information, segment pointer and
 * forwarded sense data descriptors (SENSE DATA SOURCE 1h/2h: EXTENDED
 * COPY source / destination). */
static size_t copy_desc(uint8_t *s, size_t cap, const struct nx_copy_sense *c)
{
	size_t len = DESC_HDR_LEN;

	nx_assert(cap >= DESC_HDR_LEN + DESC_CSI_LEN + DESC_SKS_LEN +
			 DESC_FWD_HDR + FIXED_LEN);
	memset(s, 0, cap);
	s[0] = 0x72;
	s[1] = KEY_COPY_ABORTED;
	s[2] = c->asc;
	s[3] = c->ascq;
	s[len] = 0x01;
	s[len + 1] = DESC_CSI_LEN - 2;
	nx_put_be16(s + len + 6, c->segment);
	len += DESC_CSI_LEN;
	if (c->ptr_valid) {
		s[len] = 0x02;
		s[len + 1] = DESC_SKS_LEN - 2;
		put_segment_pointer(s + len + 4, c);
		len += DESC_SKS_LEN;
	}
	if (c->fwd != 0) {
		uint8_t *d = s + len;
		size_t n = fwd_sense(d + DESC_FWD_HDR, cap - len - DESC_FWD_HDR,
				     c);
		d[0] = 0x0c;
		d[1] = (uint8_t)(DESC_FWD_HDR - 2 + n);
		d[2] = c->fwd;
		d[3] = c->fwd_status;
		len += DESC_FWD_HDR + n;
	}
	s[7] = (uint8_t)(len - DESC_HDR_LEN);
	return len;
}

void nx_sense_build_copy(struct nx_task *t, const struct nx_copy_sense *c)
{
	const struct nx_lu *lu = t->priv.lu;

	nx_assert(t != NULL && c != NULL);
	nx_assert(c->fwd <= 2);
	t->status = NX_STATUS_CHECK_CONDITION;
	if (lu != NULL && lu->mode.d_sense)
		t->sense_len = (uint8_t)copy_desc(t->sense, sizeof(t->sense), c);
	else
		t->sense_len = (uint8_t)copy_fixed(t->sense, sizeof(t->sense), c);
	t->xfer_len = 0;
}
