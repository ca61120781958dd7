/*
 * logout.c - Logout Request / Response (RFC 7143 11.14, 11.15).
 *
 * nexus runs at ErrorRecoveryLevel 0: closing the session or a connection
 * succeeds; "remove the connection for recovery" needs ERL 2 and is
 * answered "connection recovery is not supported" (11.15.1).  After the
 * response the connection is closed (the initiator may close first).
 */
#include "conn_internal.h"

enum {
	LOGOUT_CLOSE_SESSION = 0,
	LOGOUT_CLOSE_CONN = 1,
	LOGOUT_REMOVE_FOR_RECOVERY = 2,
};

enum {
	LOGOUT_RSP_OK = 0,
	LOGOUT_RSP_NO_CID = 1,
	LOGOUT_RSP_NO_RECOVERY = 2,
	LOGOUT_RSP_CLEANUP_FAILED = 3,
};

static void logout_respond(struct nx_iscsi_conn *c, uint32_t itt, uint8_t response)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_LOGOUT_RSP, NX_ISCSI_F);
	bhs[2] = response;
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	/* Time2Wait / Time2Retain (11.15.2, 11.15.3): 0 at ERL 0, there
	 * is nothing to reconnect to. */
	nx_put_be16(bhs + 40, 0);
	nx_put_be16(bhs + 42, 0);
	nx_iscsi_conn_send_pdu(c, bhs, NULL, 0);
}

void nx_iscsi_logout_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu)
{
	struct nx_iscsi_session *s = c->sess;
	uint8_t reason = pdu->bhs[1] & 0x7f;
	uint16_t cid = nx_get_be16(pdu->bhs + 20);
	uint32_t itt = nx_pdu_itt(pdu);
	struct nx_iscsi_conn *other;

	switch (reason) {
	case LOGOUT_CLOSE_SESSION:
		nx_iscsi_session_logout(s);
		logout_respond(c, itt, LOGOUT_RSP_OK);
		nx_iscsi_conn_logout_close(c);
		/* Every other connection of the session goes with it. */
		nx_iscsi_session_drop_all(s, "session logout");
		return;
	case LOGOUT_CLOSE_CONN:
		other = nx_iscsi_session_find_conn(s, cid);
		if (other == NULL) {
			logout_respond(c, itt, LOGOUT_RSP_NO_CID);
			return;
		}
		if (s->nconns == 1) /* the session ends with it */
			nx_iscsi_session_logout(s);
		logout_respond(c, itt, LOGOUT_RSP_OK);
		if (other == c) {
			nx_iscsi_conn_logout_close(c);
			return;
		}
		/* Closing a sibling from here (11.14.1): a logged-out close,
		 * no ERL 0 cascade. */
		nx_iscsi_conn_get(other);
		nx_iscsi_conn_logout_close(other);
		nx_iscsi_conn_put(other);
		return;
	case LOGOUT_REMOVE_FOR_RECOVERY:
		logout_respond(c, itt, LOGOUT_RSP_NO_RECOVERY);
		return;
	default:
		nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_INVALID_PDU_FIELD);
		return;
	}
}
