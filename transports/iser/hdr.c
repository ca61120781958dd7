/*
 * hdr.c - the iSER header (RFC 7145 9.2) and the Hello / HelloReply
 * messages (9.3, 9.4), encoded and decoded byte by byte.
 *
 *  control:    byte 0  opcode 0001b | W | R | 00   (WSV 08h, RSV 04h)
 *              1..3    reserved
 *              4..7    Write STag        8..15  Write Base Offset
 *              16..19  Read STag         20..27 Read Base Offset
 *  Hello:      byte 0  opcode 0010b | 0000, byte 1 MaxVer | MinVer,
 *              2..3 iSER-IRD, 4..11 reserved
 *  HelloReply: byte 0  opcode 0011b | 000 | REJ, byte 1 MaxVer | CurVer,
 *              2..3 iSER-ORD, 4..11 reserved
 */
#include "nx_iser.h"
#include "../../core/nx_wire.h"

size_t nx_iser_hdr_encode(const struct nx_iser_hdr *h, uint8_t *out)
{
	nx_assert(h != NULL && out != NULL);
	if (h->opcode != NX_ISER_OP_CONTROL) {
		nx_assert(h->opcode == NX_ISER_OP_HELLO ||
			  h->opcode == NX_ISER_OP_HELLO_REPLY);
		memset(out, 0, NX_ISER_HELLO_LEN);
		out[0] = (uint8_t)(h->opcode << 4);
		if (h->opcode == NX_ISER_OP_HELLO_REPLY && h->rej)
			out[0] |= NX_ISER_REJ;
		out[1] = (uint8_t)((h->max_ver & 0xf) << 4 | (h->min_ver & 0xf));
		nx_put_be16(out + 2, h->ird_ord);
		return NX_ISER_HELLO_LEN;
	}
	memset(out, 0, NX_ISER_HDR_LEN);
	out[0] = (uint8_t)(NX_ISER_OP_CONTROL << 4 | (h->wsv ? NX_ISER_WSV : 0) |
			   (h->rsv ? NX_ISER_RSV : 0));
	nx_put_be32(out + 4, h->write_stag);
	nx_put_be64(out + 8, h->write_va);
	nx_put_be32(out + 16, h->read_stag);
	nx_put_be64(out + 20, h->read_va);
	return NX_ISER_HDR_LEN;
}

int nx_iser_hdr_decode(const uint8_t *buf, size_t len, struct nx_iser_hdr *h,
		       size_t *hdr_len)
{
	nx_assert(h != NULL && hdr_len != NULL);
	memset(h, 0, sizeof(*h));
	if (buf == NULL || len < 1)
		return NX_EINVAL;
	h->opcode = buf[0] >> 4;
	switch (h->opcode) {
	case NX_ISER_OP_CONTROL:
		if (len < NX_ISER_HDR_LEN)
			return NX_EINVAL;
		h->wsv = (buf[0] & NX_ISER_WSV) != 0;
		h->rsv = (buf[0] & NX_ISER_RSV) != 0;
		h->write_stag = nx_get_be32(buf + 4);
		h->write_va = nx_get_be64(buf + 8);
		h->read_stag = nx_get_be32(buf + 16);
		h->read_va = nx_get_be64(buf + 20);
		*hdr_len = NX_ISER_HDR_LEN;
		return NX_OK;
	case NX_ISER_OP_HELLO:
	case NX_ISER_OP_HELLO_REPLY:
		if (len < NX_ISER_HELLO_LEN)
			return NX_EINVAL;
		h->rej = h->opcode == NX_ISER_OP_HELLO_REPLY &&
			 (buf[0] & NX_ISER_REJ) != 0;
		h->max_ver = buf[1] >> 4;
		h->min_ver = buf[1] & 0xf;
		h->ird_ord = nx_get_be16(buf + 2);
		*hdr_len = NX_ISER_HELLO_LEN;
		return NX_OK;
	default:
		return NX_EINVAL;
	}
}
