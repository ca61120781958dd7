/*
 * nop.c - NOP-Out pings and NOP-In handling (RFC 7143 11.18, 11.19).
 *
 * A NOP-In with ITT 0xffffffff and a real Target Transfer Tag is the
 * target pinging us: answer at once with a NOP-Out echoing the TTT, the
 * LUN and the data (11.18.4).  With both tags reserved it only carries
 * sequence numbers (handled in pdu.c).
 */
#include "ini_internal.h"

int nx_ini_nop_submit(struct nx_ini_conn *c, struct nx_ini_nop *nop)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl;
	uint8_t *bhs;

	nx_assert(nop != NULL);
	if (c->state != INI_CONN_FFP || (nop->len > 0 && nop->data == NULL) ||
	    nop->len > c->params.max_xmit_dsl)
		return NX_EINVAL;
	sl = nx_ini_slot_alloc(s, INI_OP_NOP, c, nop);
	if (sl == NULL)
		return NX_EAGAIN;
	nop->err = 0;
	nop->data_match = false;
	nop->itt = sl->itt;
	sl->state = INI_SLOT_SENT;
	sl->cmdsn = s->cmdsn;
	bhs = nx_ini_bhs(c, NX_ISCSI_OP_NOP_OUT, true, sl->itt);
	bhs[1] = 0x80;
	nx_put_be64(bhs + 8, nop->lun);
	nx_put_be32(bhs + 20, INI_RSV_TAG);
	nx_put_be32(bhs + 24, s->cmdsn);
	nx_put_be32(bhs + 28, c->exp_statsn);
	nx_ini_send_pdu(c, bhs, NULL, 0, nop->data, nop->len);
	return 0;
}

static int answer_ping(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	uint8_t *bhs;

	if (p->data_len > c->params.max_xmit_dsl)
		return NX_INI_EPROTO;
	bhs = nx_ini_bhs(c, NX_ISCSI_OP_NOP_OUT, true, INI_RSV_TAG);
	bhs[1] = 0x80;
	memcpy(bhs + 8, p->bhs + 8, 8);
	memcpy(bhs + 20, p->bhs + 20, 4);
	nx_put_be32(bhs + 24, c->s->cmdsn);
	nx_put_be32(bhs + 28, c->exp_statsn);
	nx_ini_send_pdu(c, bhs, NULL, 0, p->data, p->data_len);
	c->s->stats.nop_in_answered++;
	return 0;
}

int nx_ini_rx_nop_in(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	struct nx_ini_session *s = c->s;
	uint32_t itt = nx_pdu_itt(p);
	struct ini_slot *sl;
	struct nx_ini_nop *nop;

	if (itt == INI_RSV_TAG) {
		if (nx_get_be32(p->bhs + 20) != INI_RSV_TAG)
			return answer_ping(c, p);
		return 0;
	}
	sl = nx_ini_slot_find(s, itt);
	if (sl == NULL) {
		s->stats.unknown_itt++;
		return 0;
	}
	/* 11.19.2: the answer to our ping has TTT 0xffffffff. */
	if (sl->kind != INI_OP_NOP || nx_get_be32(p->bhs + 20) != INI_RSV_TAG)
		return NX_INI_EPROTO;
	nop = sl->req;
	nop->data_match = p->data_len == nop->len &&
			  (nop->len == 0 || memcmp(p->data, nop->data, nop->len) == 0);
	nx_ini_slot_complete(s, sl, 0);
	return 0;
}
