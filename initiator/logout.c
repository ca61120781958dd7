/*
 * logout.c - Logout Request/Response (RFC 7143 11.14, 11.15) and Reject
 * (11.17) handling.
 */
#include "ini_internal.h"

int nx_ini_logout_submit(struct nx_ini_conn *c, struct nx_ini_logout *l)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl;
	uint8_t *bhs;

	nx_assert(l != NULL);
	if (c->state != INI_CONN_FFP)
		return NX_EINVAL;
	sl = nx_ini_slot_alloc(s, INI_OP_LOGOUT, c, l);
	if (sl == NULL)
		return NX_EAGAIN;
	l->err = 0;
	l->response = 0;
	l->time2wait = 0;
	l->time2retain = 0;
	l->itt = sl->itt;
	if (!l->cid_set)
		l->cid = c->cid;
	sl->state = INI_SLOT_SENT;
	sl->cmdsn = s->cmdsn;
	bhs = nx_ini_bhs(c, NX_ISCSI_OP_LOGOUT_REQ, true, sl->itt);
	bhs[1] = (uint8_t)(0x80 | (l->reason & 0x7f));
	/* 11.14.3: the CID is reserved when closing the session. */
	if (l->reason != NX_INI_LOGOUT_SESSION)
		nx_put_be16(bhs + 20, l->cid);
	nx_put_be32(bhs + 24, s->cmdsn);
	nx_put_be32(bhs + 28, c->exp_statsn);
	nx_ini_send_pdu(c, bhs, NULL, 0, NULL, 0);
	return 0;
}

int nx_ini_rx_logout_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl = nx_ini_slot_find(s, nx_pdu_itt(p));
	struct nx_ini_logout *l;
	bool closes;

	if (sl == NULL) {
		s->stats.unknown_itt++;
		return 0;
	}
	if (sl->kind != INI_OP_LOGOUT)
		return NX_INI_EPROTO;
	l = sl->req;
	l->response = p->bhs[2];
	l->time2wait = nx_get_be16(p->bhs + 40);
	l->time2retain = nx_get_be16(p->bhs + 42);
	closes = l->response == 0 &&
		 (l->reason == NX_INI_LOGOUT_SESSION ||
		  (l->reason == NX_INI_LOGOUT_CONNECTION && l->cid == c->cid));
	nx_ini_slot_complete(s, sl, 0);
	if (closes && c->state != INI_CONN_DEAD) {
		/* 11.15: the target closes too; what is left on this
		 * connection can no longer complete. */
		c->logged_out = true;
		c->state = INI_CONN_DEAD;
		c->ops->close(c->ctx);
		nx_ini_conn_fail_ops(c, NX_INI_ECONNRESET);
	}
	return 0;
}

static void set_reject_reason(struct ini_slot *sl, uint8_t reason)
{
	switch (sl->kind) {
	case INI_OP_SCSI:
		((struct nx_ini_scsi *)sl->req)->reject_reason = reason;
		break;
	case INI_OP_TMF:
		((struct nx_ini_tmf *)sl->req)->reject_reason = reason;
		break;
	case INI_OP_TEXT:
		((struct nx_ini_text *)sl->req)->reject_reason = reason;
		break;
	default:
		break;
	}
}

int nx_ini_rx_reject(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl;

	s->stats.rejects++;
	/* 11.17.1: the data segment is the complete rejected header. */
	if (p->data_len < NX_ISCSI_BHS_LEN)
		return NX_INI_EPROTO;
	nx_log(NX_LOG_INFO, "initiator: Reject reason 0x%02x opcode 0x%02x",
	       (unsigned)p->bhs[2], (unsigned)(p->data[0] & 0x3f));
	sl = nx_ini_slot_find(s, nx_get_be32(p->data + 16));
	if (sl == NULL || sl->kind == INI_OP_LOGIN || sl->conn != c)
		return 0; /* a raw PDU's: tests see it through the rx hook */
	set_reject_reason(sl, p->bhs[2]);
	nx_ini_slot_complete(s, sl, NX_INI_EREJECTED);
	return 0;
}
