/*
 * ini_rdma.h - what the iSER and SRP initiators share (initiator-internal).
 *
 * Both are one RC queue pair made by the CM with a ring of receive
 * buffers posted before the CM connects (the target's first message may
 * follow the RTU at once) and a pool of transmit buffers, one SEND each;
 * a completion with a non-success status means the QP died under us.
 * What differs stays with them: the CM private data, the message format
 * (iSER header + PDU, SRP IU), how a command's buffers are described.
 *
 * The owner embeds a struct nx_ini_rdma, sets name/owner/rx and the
 * buffer geometry, calls nx_ini_rdma_setup() before nx_rdma_cm_connect()
 * (cq events are armed there), and on free: nx_ini_rdma_free_qp(), its
 * own registrations released, nx_ini_rdma_free().
 */
#ifndef NX_INI_RDMA_H
#define NX_INI_RDMA_H

#include "../platform/nx_platform.h"
#include "../platform/nx_rdma.h"

#define NX_INI_RDMA_TX_MAX 256u

struct nx_ini_rdma {
	/* set by the owner before nx_ini_rdma_setup() */
	const char *name;          /* "iser", "srp": log prefix */
	void *owner;
	/* a received message (len from the completion); not after ended */
	void (*rx)(void *owner, const uint8_t *msg, uint32_t len);
	uint32_t rx_bufs, rx_len, tx_bufs, tx_len;

	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	struct nx_rdma_cm_id *id;
	uint8_t *rx_buf, *tx_buf;
	struct nx_rdma_mr *rx_mr, *tx_mr;
	uint16_t tx_free[NX_INI_RDMA_TX_MAX];
	unsigned tx_nfree;
	bool established, ended, closing;
};

/* PD, buffers and their MRs, CQ, QP (in INIT), every receive posted. */
bool nx_ini_rdma_setup(struct nx_ini_rdma *ch, struct nx_rdma_dev *dev);
void nx_ini_rdma_disconnect(struct nx_ini_rdma *ch);
/* Logs why (once, unless already ending) and disconnects. */
void nx_ini_rdma_fail(struct nx_ini_rdma *ch, const char *why);
/* A transmit buffer (tx_len bytes) and its index, or NULL (not
 * established, ending, or none left: then the channel fails). */
uint8_t *nx_ini_rdma_tx_take(struct nx_ini_rdma *ch, uint32_t *idx);
/* Gives back a buffer that will not be sent. */
void nx_ini_rdma_tx_put(struct nx_ini_rdma *ch, uint32_t idx);
/* SENDs len bytes of buffer idx; false (buffer back, channel failing)
 * when the QP refuses. */
bool nx_ini_rdma_tx_post(struct nx_ini_rdma *ch, uint32_t idx, uint32_t len);
/* Handles every completion there is (before a disconnect is seen, what
 * arrived first is delivered). */
void nx_ini_rdma_drain(struct nx_ini_rdma *ch);
void nx_ini_rdma_free_qp(struct nx_ini_rdma *ch);
void nx_ini_rdma_free(struct nx_ini_rdma *ch);

#endif
