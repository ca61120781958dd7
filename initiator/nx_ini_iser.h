/*
 * nx_ini_iser.h - the initiator's iSER connection (RFC 7145) over
 * platform/nx_rdma.h: the CM connect, the QP and its buffers, the iSER
 * header on every SEND, and the datamover the initiator needs (buffers
 * registered per SCSI command, their STags in the command's header).
 *
 * It moves whole iSCSI PDUs: nx_ini_iser_send() takes one PDU (the iovecs
 * of one ops->send() of nx_ini_conn or a raw PDU), ops->rx delivers one
 * received PDU per call.  Put it under an nx_ini_conn with
 *   ops->send  -> nx_ini_iser_send(),  ops->close -> nx_ini_iser_disconnect(),
 *   ops->rx    -> nx_ini_conn_input(), ops->closed -> nx_ini_conn_closed(),
 *   nx_ini_conn_set_dm(conn, &nx_ini_iser_dm, iser) before the login.
 * Callbacks run from the platform's events only.
 */
#ifndef NX_INI_ISER_H
#define NX_INI_ISER_H

#include "nx_initiator.h"
#include "../platform/nx_rdma.h"

#define NX_INI_ISER_RX_BUFS 64u
#define NX_INI_ISER_TX_BUFS 256u

struct nx_ini_iser;

struct nx_ini_iser_ops {
	void (*established)(void *ctx);                     /* optional */
	void (*rx)(void *ctx, const uint8_t *pdu, size_t len);
	/* Once, terminal: 0 after a disconnect (either side), or
	 * NX_INI_ECONNRESET (rejected, unreachable).  No rx follows. */
	void (*closed)(void *ctx, int err);
};

/* Starts the CM exchange toward dst_ipv4:port; established or closed
 * follows.  PDUs sent before it is established are refused (dropped):
 * wait for established. */
int nx_ini_iser_connect(struct nx_rdma_dev *dev, uint32_t dst_ipv4,
			uint16_t port, const struct nx_ini_iser_ops *ops,
			void *ctx, struct nx_ini_iser **out);
/* One whole PDU; dropped after the end. */
void nx_ini_iser_send(struct nx_ini_iser *it, const struct nx_iovec *iov,
		      unsigned n);
/* DREQ; closed(0) follows. */
void nx_ini_iser_disconnect(struct nx_ini_iser *it);
bool nx_ini_iser_established(const struct nx_ini_iser *it);
bool nx_ini_iser_ended(const struct nx_ini_iser *it);
/* Frees everything (a DREQ goes out if still connected); no callback
 * after this. */
void nx_ini_iser_free(struct nx_ini_iser *it);

/* The datamover for nx_ini_conn_set_dm (ctx: the nx_ini_iser). */
extern const struct nx_ini_dm_ops nx_ini_iser_dm;

#endif /* NX_INI_ISER_H */
