/*
 * pdu.c - the initiator's byte stream: receive state machine (BHS, AHS,
 * header digest, data, padding, data digest; any chunking), the send path
 * and the per-opcode dispatch (RFC 7143 11).
 */
#include "ini_internal.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t pad4(uint32_t n)
{
	return (4 - (n & 3)) & 3;
}

uint8_t *nx_ini_bhs(struct nx_ini_conn *c, uint8_t opcode, bool immediate,
		 uint32_t itt)
{
	uint8_t *bhs = c->tx_bhs;

	memset(bhs, 0, NX_ISCSI_BHS_LEN);
	bhs[0] = (uint8_t)(opcode | (immediate ? 0x40 : 0));
	nx_put_be32(bhs + 16, itt);
	return bhs;
}

/* RFC 7143 11.2.3: digests are CRC32C, sent least significant byte
 * first; the data digest covers the padding. */
static void send_iov(struct nx_ini_conn *c, const uint8_t *bhs,
		     const uint8_t *ahs, uint32_t ahs_len, const void *data,
		     uint32_t data_len)
{
	static const uint8_t zeros[4];
	uint8_t hd[4], dd[4];
	struct nx_iovec iov[6];
	unsigned n = 0;

	iov[n++] = (struct nx_iovec){ bhs, NX_ISCSI_BHS_LEN };
	if (ahs_len > 0)
		iov[n++] = (struct nx_iovec){ ahs, ahs_len };
	if (c->hdr_digest) {
		uint32_t crc = nx_crc32c(0, bhs, NX_ISCSI_BHS_LEN);

		crc = nx_crc32c(crc, ahs, ahs_len);
		put_le32(hd, crc);
		iov[n++] = (struct nx_iovec){ hd, 4 };
	}
	if (data_len > 0) {
		uint32_t pad = pad4(data_len);

		iov[n++] = (struct nx_iovec){ data, data_len };
		if (pad > 0)
			iov[n++] = (struct nx_iovec){ zeros, pad };
		if (c->data_digest) {
			uint32_t crc = nx_crc32c(0, data, data_len);

			crc = nx_crc32c(crc, zeros, pad);
			put_le32(dd, crc);
			iov[n++] = (struct nx_iovec){ dd, 4 };
		}
	}
	c->ops->send(c->ctx, iov, n);
}

void nx_ini_send_pdu(struct nx_ini_conn *c, uint8_t *bhs, const uint8_t *ahs,
		  uint32_t ahs_len, const void *data, uint32_t data_len)
{
	nx_assert(ahs_len % 4 == 0 && ahs_len <= INI_AHS_MAX);
	nx_assert(data_len <= 0xffffff);
	if (c->state == INI_CONN_DEAD)
		return;
	bhs[4] = (uint8_t)(ahs_len / 4);
	nx_put_be24(bhs + 5, data_len);
	send_iov(c, bhs, ahs, ahs_len, data, data_len);
}

/* The PDU of nx_ini_send_pdu(c, bhs, ahs, ahs_len, <the write data
 * [offset, offset + len) of cmd>, len) written straight into the
 * transport's send buffer, the data by cmd->data_out_fill: the same
 * bytes without the copy from a scratch.  false (nothing sent) when the
 * transport or the command cannot: the caller sends it the plain way. */
bool nx_ini_send_pdu_fill(struct nx_ini_conn *c, uint8_t *bhs,
			  const uint8_t *ahs, uint32_t ahs_len,
			  const struct nx_ini_scsi *cmd, uint32_t offset,
			  uint32_t len)
{
	uint32_t pad = pad4(len), hd = c->hdr_digest ? 4 : 0;
	uint32_t dd = c->data_digest ? 4 : 0, at, total;
	uint8_t *p;

	if (cmd->data_out_fill == NULL || c->ops->send_reserve == NULL ||
	    len == 0 || c->state == INI_CONN_DEAD)
		return false;
	nx_assert(ahs_len % 4 == 0 && ahs_len <= INI_AHS_MAX);
	nx_assert(len <= 0xffffff);
	at = NX_ISCSI_BHS_LEN + ahs_len + hd;
	total = at + len + pad + dd;
	p = c->ops->send_reserve(c->ctx, total);
	if (p == NULL)
		return false;
	bhs[4] = (uint8_t)(ahs_len / 4);
	nx_put_be24(bhs + 5, len);
	memcpy(p, bhs, NX_ISCSI_BHS_LEN);
	if (ahs_len > 0)
		memcpy(p + NX_ISCSI_BHS_LEN, ahs, ahs_len);
	if (hd > 0)
		put_le32(p + at - 4, nx_crc32c(0, p, at - 4));
	cmd->data_out_fill(cmd, offset, len, p + at);
	memset(p + at + len, 0, pad);
	if (dd > 0)
		put_le32(p + at + len + pad, nx_crc32c(0, p + at, len + pad));
	c->ops->send_commit(c->ctx, total);
	return true;
}

int nx_ini_send_raw_pdu(struct nx_ini_conn *c, const uint8_t *bhs48,
			const void *data, uint32_t len)
{
	nx_assert(bhs48 != NULL);
	nx_assert(data != NULL || len == 0);
	if (c->state == INI_CONN_DEAD)
		return NX_INI_ECONNRESET;
	if (len > 0xffffff)
		return NX_EINVAL;
	memcpy(c->tx_bhs, bhs48, NX_ISCSI_BHS_LEN);
	send_iov(c, c->tx_bhs, NULL, 0, data, len);
	return 0;
}

/* ---- receive ---------------------------------------------------------------- */

/* RFC 7143 11.2.1: does this response consume a StatSN? */
static bool advances_statsn(const struct nx_iscsi_pdu *p)
{
	switch (nx_pdu_opcode(p)) {
	case NX_ISCSI_OP_SCSI_RSP:
	case NX_ISCSI_OP_TMF_RSP:
	case NX_ISCSI_OP_TEXT_RSP:
	case NX_ISCSI_OP_LOGOUT_RSP:
	case NX_ISCSI_OP_REJECT:
	case NX_ISCSI_OP_ASYNC_MSG:
		return true;
	case NX_ISCSI_OP_DATA_IN:
		return (p->bhs[1] & 0x01) != 0; /* S bit: status included */
	case NX_ISCSI_OP_NOP_IN:
		return nx_pdu_itt(p) != INI_RSV_TAG;
	default:
		return false;
	}
}

/* StatSN / ExpCmdSN / MaxCmdSN of a full-feature-phase PDU. */
static void rx_seq(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	uint32_t statsn = nx_get_be32(p->bhs + 24);

	if (nx_pdu_opcode(p) == NX_ISCSI_OP_LOGIN_RSP)
		return; /* login.c owns the login phase numbering */
	if (advances_statsn(p)) {
		if (statsn != c->exp_statsn)
			c->s->stats.statsn_mismatch++;
		if (ini_sn_le(c->exp_statsn, statsn))
			c->exp_statsn = statsn + 1;
	}
	nx_ini_session_window(c->s, nx_get_be32(p->bhs + 28),
			   nx_get_be32(p->bhs + 32));
}

static int rx_async(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	/* RFC 7143 11.9: events reach tests through the rx hook; a target
	 * that drops us shows up as the stream ending. */
	c->s->stats.async_events++;
	nx_log(NX_LOG_INFO, "initiator: cid %u async event %u",
	       (unsigned)c->cid, (unsigned)p->bhs[36]);
	return 0;
}

static int rx_dispatch(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	uint8_t op = nx_pdu_opcode(p);

	if (op == NX_ISCSI_OP_LOGIN_RSP)
		return nx_ini_rx_login_rsp(c, p);
	if (c->state != INI_CONN_FFP)
		return NX_INI_EPROTO; /* only Login Responses before FFP */
	switch (op) {
	case NX_ISCSI_OP_SCSI_RSP:
		return nx_ini_rx_scsi_rsp(c, p);
	case NX_ISCSI_OP_DATA_IN:
		return nx_ini_rx_data_in(c, p);
	case NX_ISCSI_OP_R2T:
		return nx_ini_rx_r2t(c, p);
	case NX_ISCSI_OP_TMF_RSP:
		return nx_ini_rx_tmf_rsp(c, p);
	case NX_ISCSI_OP_NOP_IN:
		return nx_ini_rx_nop_in(c, p);
	case NX_ISCSI_OP_TEXT_RSP:
		return nx_ini_rx_text_rsp(c, p);
	case NX_ISCSI_OP_LOGOUT_RSP:
		return nx_ini_rx_logout_rsp(c, p);
	case NX_ISCSI_OP_REJECT:
		return nx_ini_rx_reject(c, p);
	case NX_ISCSI_OP_ASYNC_MSG:
		return rx_async(c, p);
	default:
		return NX_INI_EPROTO; /* RFC 7143 11.2.1.2: not a target opcode */
	}
}

/* The BHS at bhs is in: how long is the whole PDU? */
static int rx_length(struct nx_ini_conn *c, const uint8_t *bhs, uint32_t *out)
{
	uint32_t ahs_len = (uint32_t)bhs[4] * 4;
	uint32_t dsl = nx_get_be24(bhs + 5);
	uint32_t limit = c->state == INI_CONN_FFP ? c->params.max_recv_dsl
						  : (uint32_t)INI_LOGIN_DSL;
	uint32_t total;

	/* RFC 7143 13.12: never more than we declared we can receive. */
	if (dsl > limit) {
		nx_log(NX_LOG_WARN, "initiator: DataSegmentLength %u > %u",
		       (unsigned)dsl, (unsigned)limit);
		return NX_INI_EPROTO;
	}
	total = NX_ISCSI_BHS_LEN + ahs_len + (c->hdr_digest ? 4 : 0);
	if (dsl > 0)
		total += dsl + pad4(dsl) + (c->data_digest ? 4 : 0);
	nx_assert(total <= c->rx_cap);
	*out = total;
	return 0;
}

/* The whole PDU is at pdu: c->rx, or the caller's input buffer when it
 * held all of it (no copy; nothing keeps a pointer past the call). */
static int rx_pdu(struct nx_ini_conn *c, const uint8_t *pdu)
{
	struct nx_iscsi_pdu p;
	uint32_t ahs_len = (uint32_t)pdu[4] * 4;
	uint32_t dsl = nx_get_be24(pdu + 5);
	uint32_t off = NX_ISCSI_BHS_LEN + ahs_len;
	int rc;

	if (c->hdr_digest) {
		if (get_le32(pdu + off) != nx_crc32c(0, pdu, off))
			return NX_INI_EDIGEST;
		off += 4;
	}
	if (dsl > 0 && c->data_digest &&
	    get_le32(pdu + off + dsl + pad4(dsl)) !=
		    nx_crc32c(0, pdu + off, dsl + pad4(dsl)))
		return NX_INI_EDIGEST;
	memcpy(p.bhs, pdu, NX_ISCSI_BHS_LEN);
	p.ahs = pdu + NX_ISCSI_BHS_LEN;
	p.ahs_len = ahs_len;
	p.data = pdu + off;
	p.data_len = dsl;
	if (c->state == INI_CONN_FFP)
		rx_seq(c, &p);
	if (c->rx_hook != NULL &&
	    c->rx_hook(c->rx_hook_arg, c, p.bhs, p.ahs, ahs_len, p.data, dsl))
		rc = 0;
	else
		rc = rx_dispatch(c, &p);
	if (rc < 0) {
		nx_log(NX_LOG_WARN, "initiator: bad PDU opcode 0x%02x itt 0x%08x",
		       (unsigned)nx_pdu_opcode(&p), (unsigned)nx_pdu_itt(&p));
		return rc;
	}
	/* Most PDUs leave nothing queued: no call (the flush, with the
	 * command send inlined into it, saves a dozen registers first). */
	if (c->state == INI_CONN_FFP && c->s->queued > 0)
		nx_ini_session_flush(c->s);
	return 0;
}

static void rx_failed(struct nx_ini_conn *c, int rc)
{
	nx_ini_conn_fail(c, rc, rc == NX_INI_EDIGEST ? "digest error"
						: "protocol error");
}

/* A whole PDU at the start of buf (nothing of it buffered yet) is taken
 * in place; returns the bytes used, 0 if it is not all there. */
static size_t rx_in_place(struct nx_ini_conn *c, const uint8_t *buf, size_t len)
{
	uint32_t total;
	int rc;

	if (c->rx_have != 0 || len < NX_ISCSI_BHS_LEN)
		return 0;
	rc = rx_length(c, buf, &total);
	if (rc == 0 && total > len)
		return 0;
	if (rc == 0)
		rc = rx_pdu(c, buf);
	if (rc < 0)
		rx_failed(c, rc);
	return rc < 0 ? len : total;
}

int nx_ini_conn_input(struct nx_ini_conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	nx_assert(c != NULL);
	nx_assert(buf != NULL || len == 0);
	while (off < len && c->state != INI_CONN_DEAD) {
		uint32_t want = c->rx_need != 0 ? c->rx_need : NX_ISCSI_BHS_LEN;
		size_t n = rx_in_place(c, buf + off, len - off);
		int rc = 0;

		if (n > 0) {
			off += n;
			continue;
		}
		n = NX_MIN((size_t)(want - c->rx_have), len - off);
		memcpy(c->rx + c->rx_have, buf + off, n);
		c->rx_have += (uint32_t)n;
		off += n;
		if (c->rx_have < want)
			break;
		if (c->rx_need == 0) {
			rc = rx_length(c, c->rx, &c->rx_need);
			if (rc == 0 && c->rx_need > c->rx_have)
				continue;
		}
		if (rc == 0)
			rc = rx_pdu(c, c->rx);
		c->rx_have = 0;
		c->rx_need = 0;
		if (rc < 0)
			rx_failed(c, rc);
	}
	return c->state == INI_CONN_DEAD && !c->logged_out ? NX_INI_ECONNRESET
							  : 0;
}
