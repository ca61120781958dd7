/*
 * scsi.c - SCSI Command, Data-Out (immediate, unsolicited, R2T-driven),
 * Data-In reassembly and SCSI Response (RFC 7143 11.3 - 11.8).
 *
 * Data-out follows the negotiated keys exactly (RFC 7143 13.10 - 13.14):
 * immediate data up to min(FirstBurstLength, MaxRecvDataSegmentLength of
 * the target) when ImmediateData=Yes; with InitialR2T=No the rest of the
 * first burst goes as unsolicited Data-Out (TTT 0xffffffff); everything
 * else waits for R2Ts.
 */
#include "ini_internal.h"

int nx_ini_scsi_submit(struct nx_ini_conn *c, struct nx_ini_scsi *cmd)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl;

	nx_assert(cmd != NULL);
	if (c->state != INI_CONN_FFP || s->discovery)
		return NX_EINVAL;
	if (cmd->cdb_len == 0 || cmd->cdb_len > NX_INI_CDB_MAX ||
	    (cmd->data_out_len > 0 && cmd->data_out == NULL &&
	     (cmd->data_out_source == NULL || c->dm != NULL)) ||
	    (cmd->data_in_len > 0 && cmd->data_in == NULL))
		return NX_EINVAL;
	sl = nx_ini_slot_alloc(s, INI_OP_SCSI, c, cmd);
	if (sl == NULL)
		return NX_EAGAIN;
	cmd->err = 0;
	cmd->response = 0;
	cmd->status = 0;
	cmd->flags = 0;
	cmd->reject_reason = 0;
	cmd->residual = 0;
	cmd->bidi_residual = 0;
	cmd->data_in_got = 0;
	cmd->sense_len = 0;
	cmd->itt = sl->itt;
	cmd->cmdsn = 0;
	cmd->sent = false;
	nx_ini_slot_dispatch(s, sl);
	return 0;
}

/* RFC 7143 11.2.1.4 - 11.2.1.6: Extended CDB and Bidirectional Expected
 * Read-Data Length AHS. */
static uint32_t build_ahs(struct nx_ini_conn *c, const struct nx_ini_scsi *cmd)
{
	uint8_t *ahs = c->tx_ahs;
	uint32_t len = 0;

	/* Each AHS zeroes its own bytes (reserved fields, padding): most
	 * commands have none, and need no memset of the whole scratch. */
	if (cmd->cdb_len > 16) {
		uint32_t n = cmd->cdb_len - 16u;

		len = (4 + n + 3) & ~3u;
		memset(ahs, 0, len);
		nx_put_be16(ahs, (uint16_t)(n + 1)); /* + the reserved byte */
		ahs[2] = 1;
		memcpy(ahs + 4, cmd->cdb + 16, n);
	}
	if (cmd->data_in_len > 0 && cmd->data_out_len > 0) {
		memset(ahs + len, 0, 8);
		nx_put_be16(ahs + len, 5);
		ahs[len + 2] = 2;
		nx_put_be32(ahs + len + 4, cmd->data_in_len);
		len += 8;
	}
	nx_assert(len <= sizeof(c->tx_ahs));
	return len;
}

/* The write data [offset, offset + len) for a PDU about to be sent. */
static const uint8_t *out_bytes(const struct nx_ini_scsi *cmd, uint32_t offset,
				uint32_t len)
{
	if (len == 0)
		return NULL;
	if (cmd->data_out_source != NULL)
		return cmd->data_out_source(cmd, offset, len);
	return cmd->data_out + offset;
}

/* One sequence of Data-Out PDUs: [offset, offset + len) of the buffer,
 * each PDU at most the target's MaxRecvDataSegmentLength, DataSN from 0,
 * F on the last (RFC 7143 11.7). */
static void send_data_out(struct nx_ini_conn *c, struct ini_slot *sl,
			  uint32_t ttt, uint32_t offset, uint32_t len)
{
	const struct nx_ini_scsi *cmd = sl->req;
	uint32_t mx = c->params.max_xmit_dsl;
	uint32_t datasn = 0;

	nx_assert(mx > 0);
	nx_assert(offset + len <= cmd->data_out_len);
	for (uint32_t done = 0; done < len && c->state != INI_CONN_DEAD;) {
		uint32_t n = NX_MIN(mx, len - done);
		uint8_t *bhs = nx_ini_bhs(c, NX_ISCSI_OP_DATA_OUT, false, sl->itt);

		if (done + n == len)
			bhs[1] = 0x80;
		nx_put_be64(bhs + 8, cmd->lun);
		nx_put_be32(bhs + 20, ttt);
		nx_put_be32(bhs + 28, c->exp_statsn);
		nx_put_be32(bhs + 36, datasn++);
		nx_put_be32(bhs + 40, offset + done);
		if (!nx_ini_send_pdu_fill(c, bhs, NULL, 0, cmd, offset + done, n))
			nx_ini_send_pdu(c, bhs, NULL, 0,
					out_bytes(cmd, offset + done, n), n);
		done += n;
	}
}

void nx_ini_scsi_send(struct nx_ini_session *s, struct ini_slot *sl)
{
	struct nx_ini_conn *c = sl->conn;
	struct nx_ini_scsi *cmd = sl->req;
	const struct nx_ini_params *p = &c->params;
	uint32_t out = cmd->data_out_len, imm = 0, unsol = 0, ahs_len;
	uint8_t *bhs;

	sl->cmdsn = s->cmdsn++;
	cmd->cmdsn = sl->cmdsn;
	cmd->sent = true;
	if (out > 0) {
		uint32_t first = NX_MIN(out, p->first_burst_length);

		if (p->immediate_data)
			imm = NX_MIN(first, p->max_xmit_dsl);
		unsol = p->initial_r2t ? imm : first;
	}
	bhs = nx_ini_bhs(c, NX_ISCSI_OP_SCSI_CMD, false, sl->itt);
	/* 11.3.1: F when no unsolicited Data-Out follows; R, W, ATTR */
	bhs[1] = (uint8_t)((unsol == imm ? 0x80 : 0) |
			   (cmd->data_in_len > 0 ? 0x40 : 0) |
			   (out > 0 ? 0x20 : 0) | (cmd->attr & 7));
	nx_put_be64(bhs + 8, cmd->lun);
	/* 11.3.5: for bidirectional commands EDTL is the write length. */
	nx_put_be32(bhs + 20, out > 0 ? out : cmd->data_in_len);
	nx_put_be32(bhs + 24, sl->cmdsn);
	nx_put_be32(bhs + 28, c->exp_statsn);
	memcpy(bhs + 32, cmd->cdb, NX_MIN(cmd->cdb_len, (uint16_t)16));
	ahs_len = build_ahs(c, cmd);
	if (c->dm != NULL)
		c->dm->cmd_start(c->dm_ctx, sl->itt, cmd);
	if (!nx_ini_send_pdu_fill(c, bhs, c->tx_ahs, ahs_len, cmd, 0, imm))
		nx_ini_send_pdu(c, bhs, c->tx_ahs, ahs_len,
				out_bytes(cmd, 0, imm), imm);
	if (unsol > imm)
		send_data_out(c, sl, INI_RSV_TAG, imm, unsol - imm);
}

static struct ini_slot *scsi_slot(struct nx_ini_conn *c,
				  const struct nx_iscsi_pdu *p, int *rc)
{
	struct ini_slot *sl = nx_ini_slot_find(c->s, nx_pdu_itt(p));

	*rc = 0;
	if (sl == NULL) {
		/* Late answer for a cancelled/aborted command: tolerated,
		 * counted (tests check the counter). */
		c->s->stats.unknown_itt++;
		return NULL;
	}
	if (sl->kind != INI_OP_SCSI || sl->state != INI_SLOT_SENT ||
	    sl->conn != c) {
		*rc = NX_INI_EPROTO;
		return NULL;
	}
	return sl;
}

static bool bidi(const struct nx_ini_scsi *cmd)
{
	return cmd->data_in_len > 0 && cmd->data_out_len > 0;
}

int nx_ini_rx_r2t(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	int rc;
	struct ini_slot *sl = scsi_slot(c, p, &rc);
	const struct nx_ini_scsi *cmd;
	uint32_t ttt, r2tsn, off, len, *sn;

	if (sl == NULL)
		return rc;
	if (c->dm != NULL)
		return NX_INI_EPROTO; /* RFC 7145 7.3.6: never on the wire */
	cmd = sl->req;
	ttt = nx_get_be32(p->bhs + 20);
	r2tsn = nx_get_be32(p->bhs + 36);
	off = nx_get_be32(p->bhs + 40);
	len = nx_get_be32(p->bhs + 44);
	/* 11.8.4: R2T and Data-In share the numbering of a bidi command. */
	sn = bidi(cmd) ? &sl->datasn_next : &sl->r2tsn_next;
	if (cmd->data_out_len == 0 || ttt == INI_RSV_TAG || r2tsn != *sn ||
	    len == 0 || off > cmd->data_out_len ||
	    len > cmd->data_out_len - off ||
	    len > c->params.max_burst_length) {
		nx_log(NX_LOG_WARN, "initiator: bad R2T sn %u off %u len %u",
		       (unsigned)r2tsn, (unsigned)off, (unsigned)len);
		return NX_INI_EPROTO;
	}
	(*sn)++;
	send_data_out(c, sl, ttt, off, len);
	return 0;
}

int nx_ini_rx_data_in(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	int rc;
	struct ini_slot *sl = scsi_slot(c, p, &rc);
	struct nx_ini_scsi *cmd;
	uint32_t datasn, off;

	if (sl == NULL)
		return rc;
	if (c->dm != NULL)
		return NX_INI_EPROTO; /* RFC 7145 7.3.5: data-in is RDMA */
	cmd = sl->req;
	datasn = nx_get_be32(p->bhs + 36);
	off = nx_get_be32(p->bhs + 40);
	/* 11.7.5 / 11.7.4: DataSN in order; never beyond the EDTL. */
	if (cmd->data_in_len == 0 || datasn != sl->datasn_next ||
	    off > cmd->data_in_len || p->data_len > cmd->data_in_len - off) {
		nx_log(NX_LOG_WARN, "initiator: bad Data-In sn %u off %u len %u",
		       (unsigned)datasn, (unsigned)off, (unsigned)p->data_len);
		return NX_INI_EPROTO;
	}
	sl->datasn_next++;
	if (cmd->data_in_sink != NULL) {
		if (p->data_len > 0)
			cmd->data_in_sink(cmd, off, p->data, p->data_len);
	} else {
		memcpy(cmd->data_in + off, p->data, p->data_len);
	}
	cmd->data_in_got = NX_MAX(cmd->data_in_got, off + p->data_len);
	if ((p->bhs[1] & 0x01) == 0)
		return 0;
	/* S bit (11.7.3): status in the final Data-In; F must be set. */
	if ((p->bhs[1] & 0x80) == 0 || (p->bhs[1] & 0x06) == 0x06)
		return NX_INI_EPROTO;
	cmd->response = 0;
	cmd->status = p->bhs[3];
	cmd->flags = p->bhs[1] & (NX_INI_RSP_OVERFLOW | NX_INI_RSP_UNDERFLOW);
	cmd->residual = nx_get_be32(p->bhs + 44);
	nx_ini_scsi_finish(c->s, sl);
	return 0;
}

int nx_ini_rx_scsi_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	int rc;
	struct ini_slot *sl = scsi_slot(c, p, &rc);
	struct nx_ini_scsi *cmd;
	uint8_t flags = p->bhs[1];

	if (sl == NULL)
		return rc;
	cmd = sl->req;
	/* 11.4.5.1: overflow and underflow are mutually exclusive. */
	if ((flags & 0x06) == 0x06 || (flags & 0x18) == 0x18)
		return NX_INI_EPROTO;
	cmd->response = p->bhs[2];
	cmd->status = p->bhs[3];
	cmd->flags = flags & 0x1e;
	cmd->bidi_residual = nx_get_be32(p->bhs + 40);
	cmd->residual = nx_get_be32(p->bhs + 44);
	if (c->dm != NULL && cmd->data_in_len > 0) {
		/* RFC 7145 7.3.5: the RDMA WRITEs are in place; the residual
		 * says how much of the buffer they filled. */
		uint32_t under = (flags & NX_INI_RSP_UNDERFLOW) ? cmd->residual : 0;

		cmd->data_in_got = cmd->data_in_len - NX_MIN(under, cmd->data_in_len);
	}
	if (p->data_len > 0) {
		/* 11.4.7: SenseLength (2 bytes), sense data, response data */
		uint16_t slen;

		if (!nx_get_be16_at(p->data, p->data_len, 0, &slen) ||
		    slen > p->data_len - 2)
			return NX_INI_EPROTO;
		cmd->sense_len = NX_MIN(slen, (uint16_t)NX_INI_SENSE_MAX);
		memcpy(cmd->sense, p->data + 2, cmd->sense_len);
	}
	nx_ini_scsi_finish(c->s, sl);
	return 0;
}

void nx_ini_scsi_finish(struct nx_ini_session *s, struct ini_slot *sl)
{
	nx_assert(sl->kind == INI_OP_SCSI);
	nx_ini_slot_complete(s, sl, 0);
}
