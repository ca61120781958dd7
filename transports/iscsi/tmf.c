/*
 * tmf.c - Task Management Function Request / Response (RFC 7143 11.5,
 * 11.6), mapped onto the core's nx_tmf_submit() (SAM-5 7).
 *
 * Commands still in their Data-Out phase are owned by the transport (the
 * core has not started them), so the functions that abort tasks first
 * abort those here; the core handles the rest and calls done once every
 * affected task is gone, which is when RFC 7143 11.6 lets the response go.
 */
#include "conn_internal.h"

/* RFC 7143 11.6.1 response codes */
enum {
	TMF_RSP_COMPLETE = 0,
	TMF_RSP_NO_TASK = 1,
	TMF_RSP_NO_LUN = 2,
	TMF_RSP_NO_REASSIGN = 4,
	TMF_RSP_NOT_SUPPORTED = 5,
	TMF_RSP_AUTH_FAILED = 6,
	TMF_RSP_SUCCEEDED = 7, /* RFC 7144 4.1: QUERY TASK / TASK SET / ASYNC EVENT */
	TMF_RSP_REJECTED = 255,
};

/* RFC 7143 11.5.1 function codes 1..12 -> SAM-5; 8 (TASK REASSIGN) is
 * handled apart, 0 means "not a function". */
static const enum nx_tmf_fn fn_map[13] = {
	[1] = NX_TMF_ABORT_TASK,
	[2] = NX_TMF_ABORT_TASK_SET,
	[3] = NX_TMF_CLEAR_ACA,
	[4] = NX_TMF_CLEAR_TASK_SET,
	[5] = NX_TMF_LOGICAL_UNIT_RESET,
	[6] = NX_TMF_TARGET_WARM_RESET,
	[7] = NX_TMF_TARGET_COLD_RESET,
	[9] = NX_TMF_QUERY_TASK,
	[10] = NX_TMF_QUERY_TASK_SET,
	[11] = NX_TMF_I_T_NEXUS_RESET,
	[12] = NX_TMF_QUERY_ASYNC_EVENT,
};

static void tmf_respond(struct nx_iscsi_conn *c, uint32_t itt, uint8_t response)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_TMF_RSP, NX_ISCSI_F);
	bhs[2] = response;
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	nx_iscsi_conn_send_pdu(c, bhs, NULL, 0);
}

static uint8_t tmf_response(struct nx_iscsi_tmf_slot *slot)
{
	switch (slot->req.result) {
	case NX_TMF_FUNCTION_COMPLETE:
		return TMF_RSP_COMPLETE;
	case NX_TMF_FUNCTION_SUCCEEDED:
		return TMF_RSP_SUCCEEDED;
	case NX_TMF_INCORRECT_LUN:
		return TMF_RSP_NO_LUN;
	case NX_TMF_TASK_NOT_FOUND:
		/* RFC 7143 11.5.1: an ABORT TASK whose task was never seen
		 * but whose RefCmdSN is inside the window and before the
		 * TMF's own CmdSN: that CmdSN counts as received and the
		 * answer is "Function complete". */
		if (slot->function == 1 &&
		    nx_iscsi_session_skip_cmdsn(slot->sess, slot->ref_cmdsn,
						slot->cmdsn))
			return TMF_RSP_COMPLETE;
		return TMF_RSP_NO_TASK;
	case NX_TMF_FUNCTION_REJECTED:
	default:
		return TMF_RSP_NOT_SUPPORTED;
	}
}

/* RFC 7143 11.5.1 TARGET COLD RESET: afterwards the target closes every
 * connection of every initiator (to this target). */
static void tmf_cold_reset_drop(struct nx_iscsi_server *srv,
				const struct nx_iscsi_target_config *tcfg)
{
	unsigned i;

	for (i = 0; i < srv->lim.max_sessions; i++) {
		struct nx_iscsi_session *s = srv->sessions[i];

		if (s != NULL && s->tcfg == tcfg)
			nx_iscsi_session_drop_all(s, "target cold reset");
	}
}

static void tmf_done(struct nx_tmf *req)
{
	struct nx_iscsi_tmf_slot *slot = req->priv;
	struct nx_iscsi_session *s = slot->sess;
	struct nx_iscsi_conn *c = slot->conn;
	uint8_t response = tmf_response(slot);

	nx_assert(slot->used && s->tmfs_used > 0);
	if (c != NULL) {
		nx_iscsi_conn_get(c);
		if (nx_iscsi_conn_live(c))
			tmf_respond(c, slot->itt, response);
	}
	slot->used = false;
	slot->conn = NULL;
	s->tmfs_used--;
	if (c == NULL) {
		/* The connection is gone: this may have been the last
		 * thing the session waited for. */
		nx_iscsi_session_try_free(s);
		return;
	}
	if (req->fn == NX_TMF_TARGET_COLD_RESET && response == TMF_RSP_COMPLETE)
		tmf_cold_reset_drop(s->srv, s->tcfg);
	/* Last: may finalize c and, with it, free s. */
	nx_iscsi_conn_put(c);
}

/* Transport-side part: commands not yet handed to the core.  Returns
 * true when the function is already answered. */
static bool tmf_local(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu,
		      uint8_t function, uint64_t lun)
{
	struct nx_iscsi_session *s = c->sess;
	struct nx_iscsi_cmd *cmd;

	switch (function) {
	case 1: /* ABORT TASK */
		cmd = nx_iscsi_cmd_find_itt(s, nx_get_be32(pdu->bhs + 20));
		if (cmd == NULL || cmd->state != NX_CMD_DATA || cmd->task.lun != lun)
			return false;
		nx_iscsi_cmd_abort_local(cmd);
		tmf_respond(c, nx_pdu_itt(pdu), TMF_RSP_COMPLETE);
		return true;
	case 2: /* ABORT TASK SET */
	case 4: /* CLEAR TASK SET */
	case 5: /* LOGICAL UNIT RESET */
		nx_iscsi_scsi_abort_data_phase(s, NULL, true, lun);
		return false;
	case 6: /* TARGET WARM RESET */
	case 7: /* TARGET COLD RESET */
	case 11: /* I_T NEXUS RESET */
		nx_iscsi_scsi_abort_data_phase(s, NULL, false, 0);
		return false;
	default:
		return false;
	}
}

/* A target that refuses target resets (nx_iscsi_target_config
 * refuse_target_reset): TARGET WARM RESET and TARGET COLD RESET end
 * every initiator's tasks and (cold) sessions, so one admitted initiator
 * could take the target away from all others at will.  RFC 7143 11.6.1
 * response 6 "Function authorization failed"; nothing is aborted, not
 * even this session's own data-phase commands (tmf_local runs after). */
static bool tmf_refused(struct nx_iscsi_conn *c, uint8_t function)
{
	const struct nx_iscsi_target_config *tcfg = c->sess->tcfg;

	if ((function != 6 && function != 7) || tcfg == NULL ||
	    !tcfg->refuse_target_reset)
		return false;
	c->srv->stats.target_resets_refused++;
	NX_ISCSI_LOG(c->srv, NX_ILOG_CMD, NX_LOG_WARN,
		     "iscsi %s: %s: TARGET %s RESET refused (not allowed on "
		     "%s)", c->peer, c->sess->initiator_name,
		     function == 6 ? "WARM" : "COLD",
		     nx_target_name(tcfg->target));
	return true;
}

static struct nx_iscsi_tmf_slot *tmf_slot_alloc(struct nx_iscsi_session *s)
{
	unsigned i;

	for (i = 0; i < NX_ISCSI_TMF_MAX; i++) {
		if (!s->tmfs[i].used) {
			memset(&s->tmfs[i], 0, sizeof(s->tmfs[i]));
			s->tmfs[i].used = true;
			s->tmfs[i].sess = s;
			s->tmfs_used++;
			return &s->tmfs[i];
		}
	}
	return NULL;
}

void nx_iscsi_tmf_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu)
{
	struct nx_iscsi_session *s = c->sess;
	uint8_t function = pdu->bhs[1] & 0x7f;
	uint64_t lun = nx_get_be64(pdu->bhs + 8);
	struct nx_iscsi_tmf_slot *slot;

	if (s->nexus == NULL) {
		nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL);
		return;
	}
	if (function == 8) {
		/* TASK REASSIGN needs ERL 2 (RFC 7143 11.5.1, 6.2.2). */
		tmf_respond(c, nx_pdu_itt(pdu), TMF_RSP_NO_REASSIGN);
		return;
	}
	if (function >= NX_ARRAY_SIZE(fn_map) || fn_map[function] == 0) {
		tmf_respond(c, nx_pdu_itt(pdu), TMF_RSP_REJECTED);
		return;
	}
	if (tmf_refused(c, function)) {
		tmf_respond(c, nx_pdu_itt(pdu), TMF_RSP_AUTH_FAILED);
		return;
	}
	if (tmf_local(c, pdu, function, lun))
		return;
	slot = tmf_slot_alloc(s);
	if (slot == NULL) {
		tmf_respond(c, nx_pdu_itt(pdu), TMF_RSP_REJECTED);
		return;
	}
	slot->conn = c;
	slot->itt = nx_pdu_itt(pdu);
	slot->cmdsn = nx_get_be32(pdu->bhs + 24);
	slot->ref_cmdsn = nx_get_be32(pdu->bhs + 32);
	slot->function = function;
	slot->immediate = nx_pdu_immediate(pdu);
	slot->req.fn = fn_map[function];
	slot->req.lun = lun;
	slot->req.ref_tag = nx_get_be32(pdu->bhs + 20);
	slot->req.done = tmf_done;
	slot->req.priv = slot;
	nx_tmf_submit(s->nexus, &slot->req);
}
