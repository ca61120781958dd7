/*
 * pdu.c - BHS / AHS codec helpers and digest byte order (RFC 7143 11.2).
 *
 * Everything is decoded with explicit offsets; nothing here trusts a
 * length it has not checked against the buffer it came with.
 */
#include "iscsi_internal.h"

void nx_iscsi_bhs_init(uint8_t *bhs, uint8_t opcode, uint8_t flags)
{
	nx_assert(bhs != NULL);
	nx_assert((opcode & 0xc0) == 0);
	memset(bhs, 0, NX_ISCSI_BHS_LEN);
	bhs[0] = opcode;
	bhs[1] = flags;
}

void nx_iscsi_digest_put(uint8_t out[NX_ISCSI_DIGEST_LEN], uint32_t crc)
{
	out[0] = (uint8_t)crc;
	out[1] = (uint8_t)(crc >> 8);
	out[2] = (uint8_t)(crc >> 16);
	out[3] = (uint8_t)(crc >> 24);
}

bool nx_iscsi_digest_ok(const uint8_t wire[NX_ISCSI_DIGEST_LEN], uint32_t crc)
{
	uint32_t got = (uint32_t)wire[0] | (uint32_t)wire[1] << 8 |
		       (uint32_t)wire[2] << 16 | (uint32_t)wire[3] << 24;

	return got == crc;
}

/* RFC 7143 11.3.4: Extended CDB AHS = AHSLength (CDB length - 15, which
 * counts one reserved byte), type 1, reserved, CDB bytes 16.. */
static int ahs_ext_cdb(const uint8_t *p, uint16_t ahs_len,
		       struct nx_iscsi_ahs_info *out)
{
	if (out->ext_cdb != NULL || ahs_len < 2)
		return NX_ISCSI_REJECT_INVALID_PDU_FIELD;
	out->ext_cdb = p + 4;
	out->ext_cdb_len = (uint32_t)ahs_len - 1;
	return 0;
}

/* RFC 7143 11.3.5: Bidirectional Read Expected Data Transfer Length AHS:
 * AHSLength 5, type 2, reserved, 4-byte length. */
static int ahs_bidi(const uint8_t *p, uint16_t ahs_len,
		    struct nx_iscsi_ahs_info *out)
{
	if (out->bidi || ahs_len != 5)
		return NX_ISCSI_REJECT_INVALID_PDU_FIELD;
	out->bidi = true;
	out->bidi_read_len = nx_get_be32(p + 4);
	return 0;
}

int nx_iscsi_ahs_parse(const uint8_t *ahs, uint32_t len,
		       struct nx_iscsi_ahs_info *out)
{
	uint32_t off = 0;
	unsigned guard;

	nx_assert(out != NULL);
	nx_assert(len <= NX_ISCSI_AHS_MAX);
	memset(out, 0, sizeof(*out));
	/* Each AHS is at least 4 bytes, so len / 4 iterations bound the walk. */
	for (guard = 0; off < len && guard <= NX_ISCSI_AHS_MAX / 4; guard++) {
		uint16_t ahs_len;
		uint32_t total;
		int err;

		if (!nx_get_be16_at(ahs, len, off, &ahs_len) || len - off < 4)
			return NX_ISCSI_REJECT_INVALID_PDU_FIELD;
		total = nx_iscsi_pad4(3u + ahs_len);
		if (total > len - off)
			return NX_ISCSI_REJECT_INVALID_PDU_FIELD;
		switch (ahs[off + 2]) {
		case 1:
			err = ahs_ext_cdb(ahs + off, ahs_len, out);
			break;
		case 2:
			err = ahs_bidi(ahs + off, ahs_len, out);
			break;
		default:
			/* Types 3..63 reserved, 64..127 vendor specific:
			 * nothing we can honour (RFC 7143 11.2.1.4). */
			err = NX_ISCSI_REJECT_INVALID_PDU_FIELD;
			break;
		}
		if (err != 0)
			return err;
		off += total;
	}
	return 0;
}
