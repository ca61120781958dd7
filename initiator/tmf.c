/*
 * tmf.c - Task Management Function Request/Response (RFC 7143 11.5, 11.6;
 * RFC 7144 for the QUERY functions and I_T NEXUS RESET).
 *
 * TMFs go out as immediate commands.  On FUNCTION COMPLETE the commands
 * the function aborted get no SCSI Response (RFC 7143 4.2.3.3 / 11.6.2),
 * so the library completes them itself with NX_INI_EABORTED: those sent
 * before the TMF (send order, not CmdSN, since both may be immediate) and
 * still outstanding when its response arrives.
 */
#include "ini_internal.h"

void nx_ini_tmf_ref(struct nx_ini_tmf *tmf, const struct nx_ini_scsi *cmd)
{
	nx_assert(tmf != NULL);
	nx_assert(cmd != NULL);
	tmf->ref_itt = cmd->itt;
	tmf->ref_cmdsn = cmd->cmdsn;
}

int nx_ini_tmf_submit(struct nx_ini_conn *c, struct nx_ini_tmf *tmf)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl;
	uint8_t *bhs;

	nx_assert(tmf != NULL);
	if (c->state != INI_CONN_FFP)
		return NX_EINVAL;
	sl = nx_ini_slot_alloc(s, INI_OP_TMF, c, tmf);
	if (sl == NULL)
		return NX_EAGAIN;
	tmf->err = 0;
	tmf->response = 0;
	tmf->reject_reason = 0;
	tmf->itt = sl->itt;
	sl->state = INI_SLOT_SENT;
	sl->cmdsn = s->cmdsn;
	bhs = nx_ini_bhs(c, NX_ISCSI_OP_TMF_REQ, true, sl->itt);
	bhs[1] = (uint8_t)(0x80 | (tmf->function & 0x7f));
	nx_put_be64(bhs + 8, tmf->lun);
	nx_put_be32(bhs + 20, tmf->ref_itt);
	nx_put_be32(bhs + 24, s->cmdsn);
	nx_put_be32(bhs + 28, c->exp_statsn);
	nx_put_be32(bhs + 32, tmf->ref_cmdsn);
	nx_put_be32(bhs + 36, tmf->exp_datasn);
	nx_ini_send_pdu(c, bhs, NULL, 0, NULL, 0);
	return 0;
}

static bool affected(const struct ini_slot *t, const struct ini_slot *sl,
		     const struct nx_ini_tmf *tmf)
{
	const struct nx_ini_scsi *cmd = t->req;

	if (t->kind != INI_OP_SCSI || t->state != INI_SLOT_SENT ||
	    t->seq > sl->seq)
		return false;
	switch (tmf->function) {
	case NX_INI_TMF_ABORT_TASK:
		return t->itt == tmf->ref_itt;
	case NX_INI_TMF_ABORT_TASK_SET:
	case NX_INI_TMF_CLEAR_TASK_SET:
	case NX_INI_TMF_LOGICAL_UNIT_RESET:
		return cmd->lun == tmf->lun;
	case NX_INI_TMF_TARGET_WARM_RESET:
	case NX_INI_TMF_TARGET_COLD_RESET:
	case NX_INI_TMF_I_T_NEXUS_RESET:
		return true;
	default: /* CLEAR ACA, queries, TASK REASSIGN abort nothing */
		return false;
	}
}

int nx_ini_rx_tmf_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl = nx_ini_slot_find(s, nx_pdu_itt(p));
	struct nx_ini_tmf *tmf;

	if (sl == NULL) {
		s->stats.unknown_itt++;
		return 0;
	}
	if (sl->kind != INI_OP_TMF)
		return NX_INI_EPROTO;
	tmf = sl->req;
	tmf->response = p->bhs[2];
	if (tmf->response == NX_INI_TMF_RSP_COMPLETE) {
		for (unsigned i = 0; i < INI_SLOTS; i++) {
			if (affected(&s->slots[i], sl, tmf))
				nx_ini_slot_complete(s, &s->slots[i], NX_INI_EABORTED);
		}
	}
	nx_ini_slot_complete(s, sl, 0);
	return 0;
}
