/*
 * reject.c - the Reject PDU (RFC 7143 11.17) and the protocol errors that
 * answer with one.
 *
 * The Reject carries the complete offending BHS as its data segment so the
 * initiator can match it to the PDU it sent (libiscsi does so by the ITT
 * at byte 16 of that header).
 */
#include "conn_internal.h"

void nx_iscsi_reject(struct nx_iscsi_conn *c, const uint8_t *bhs,
		     enum nx_iscsi_reject_reason reason)
{
	uint8_t rsp[NX_ISCSI_BHS_LEN];
	uint8_t copy[NX_ISCSI_BHS_LEN];

	nx_assert(c != NULL && bhs != NULL);
	nx_assert(reason >= NX_ISCSI_REJECT_DATA_DIGEST &&
		  reason <= NX_ISCSI_REJECT_WAITING_LOGOUT);
	/* The caller's header may live in the buffer the send reuses. */
	memcpy(copy, bhs, sizeof(copy));
	nx_iscsi_bhs_init(rsp, NX_ISCSI_OP_REJECT, NX_ISCSI_F);
	rsp[2] = (uint8_t)reason;
	nx_put_be32(rsp + 16, NX_ISCSI_RSVD_TAG);
	nx_put_be32(rsp + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, rsp);
	c->srv->stats.rejects++;
	NX_ISCSI_LOG(c->srv, NX_ILOG_REJECT, NX_LOG_INFO,
		     "iscsi %s: reject opcode 0x%02x itt 0x%08x reason 0x%02x",
		     c->peer, copy[0] & 0x3f, nx_get_be32(copy + 16), reason);
	nx_iscsi_conn_send_pdu(c, rsp, copy, sizeof(copy));
}

void nx_iscsi_reject_drop(struct nx_iscsi_conn *c, const uint8_t *bhs,
			  enum nx_iscsi_reject_reason reason, const char *why)
{
	nx_iscsi_reject(c, bhs, reason);
	nx_iscsi_conn_drop(c, why);
}

/* RFC 7143 11.16: SNACK is an ERL >= 1 mechanism; nexus runs at
 * ErrorRecoveryLevel 0, where the answer is a Reject with reason "SNACK
 * Reject" (RFC 7143 11.17.1). */
void nx_iscsi_snack_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu)
{
	nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_SNACK);
}
