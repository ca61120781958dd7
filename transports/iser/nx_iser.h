/*
 * nx_iser.h - iSER, iSCSI Extensions for RDMA (RFC 7145): the wire
 * formats both ends use, and the target connection as an embedder sees
 * it.
 *
 * An iSER connection is an RC queue pair made by the RDMA CM (the
 * embedder listens, the transport accepts).  From the first message on,
 * every iSCSI control PDU travels in one SEND, behind a 28-byte iSER
 * header that carries the initiator's buffer tags (RFC 7145 9.2): the
 * login phase too (IB has no streaming mode to log in on, RFC 7145 5.1).
 * The iSCSI layer is transports/iscsi unchanged in its rules; this
 * module is its datamover (nx_iscsi.h): Data-In becomes an RDMA WRITE
 * into the initiator's Read STag, each R2T an RDMA READ from its Write
 * STag, and the SCSI Response follows by SEND (RC ordering puts the data
 * first).
 *
 * Files: hdr.c (header and CM private data codec), conn.c (the target
 * connection).  Only platform/nx_rdma.h reaches the fabric.
 */
#ifndef NX_ISER_H
#define NX_ISER_H

#include "../../platform/nx_rdma.h"
#include "../iscsi/nx_iscsi.h"

/* ---- wire formats (RFC 7145 9) ------------------------------------------ */

#define NX_ISER_HDR_LEN 28       /* iSER header of an iSCSI control PDU */
#define NX_ISER_HELLO_LEN 12     /* Hello / HelloReply messages */
#define NX_ISER_CM_PRIV_LEN 4    /* CM REQ / REP private data (9.1) */
#define NX_ISER_VERSION 1        /* RFC 7145 9.3: iSER version 1 */

enum nx_iser_opcode {            /* high nibble of byte 0 */
	NX_ISER_OP_CONTROL = 0x1,
	NX_ISER_OP_HELLO = 0x2,
	NX_ISER_OP_HELLO_REPLY = 0x3,
};

#define NX_ISER_WSV 0x08         /* Write STag Valid */
#define NX_ISER_RSV 0x04         /* Read STag Valid */
#define NX_ISER_REJ 0x01         /* HelloReply: Reject */
/* CM private data flags (RFC 7145 9.1): Zero Based Virtual Addresses
 * and Send with Invalidate are not supported / not used. */
#define NX_ISER_CM_ZBVA_NS 0x80
#define NX_ISER_CM_SIE_NS 0x40

struct nx_iser_hdr {
	uint8_t opcode;          /* enum nx_iser_opcode */
	/* control */
	bool wsv, rsv;
	uint32_t write_stag;
	uint64_t write_va;
	uint32_t read_stag;
	uint64_t read_va;
	/* Hello / HelloReply */
	uint8_t max_ver;
	uint8_t min_ver;         /* Hello: MinVer; HelloReply: CurVer */
	bool rej;
	uint16_t ird_ord;        /* Hello: iSER-IRD; HelloReply: iSER-ORD */
};

/* Writes NX_ISER_HDR_LEN (control) or NX_ISER_HELLO_LEN bytes; reserved
 * bits are zero.  Returns the length written. */
size_t nx_iser_hdr_encode(const struct nx_iser_hdr *h, uint8_t *out);
/* NX_EINVAL: too short for its opcode, or an unknown opcode.  Reserved
 * bits are ignored.  *hdr_len gets the header's length. */
int nx_iser_hdr_decode(const uint8_t *buf, size_t len, struct nx_iser_hdr *h,
		       size_t *hdr_len);

/* ---- target connection -------------------------------------------------- */

/* Receive and send buffers per connection: an iSER header, a BHS, the
 * largest AHS and TargetRecvDataSegmentLength (8192, also the login
 * phase's limit) in one message. */
#define NX_ISER_RX_BUFS 64u
#define NX_ISER_TX_BUFS 256u
#define NX_ISER_MSG_MAX (NX_ISER_HDR_LEN + 48u + 1020u + 8192u)

struct nx_iser_conn;

/* A CONNECT_REQUEST arrived on the embedder's listener: the transport
 * takes id (and its events), builds PD, CQ, QP and receive buffers and
 * accepts, or rejects it and returns NULL (id freed).  release(ctx) runs
 * once everything of the connection is gone (its tasks drained too). */
struct nx_iser_conn *nx_iser_accept(struct nx_iscsi_server *srv,
				    struct nx_rdma_cm_id *id,
				    const void *priv, uint8_t priv_len,
				    void (*release)(void *ctx), void *ctx);
/* Ends the connection (DREQ); release follows. */
void nx_iser_conn_disconnect(struct nx_iser_conn *c);

#endif /* NX_ISER_H */
