/*
 * nx_rdma.h - the platform's RDMA door: a small verbs + connection
 * manager interface (InfiniBand verbs and rdma_cm, cut down to what the
 * RDMA transports need: iSER, RFC 7145, and SRP).
 *
 * Like nx_platform.h this header is world-neutral: core/, transports/ and
 * initiator/ may include it, and each world implements it.  sim/rdma.c is
 * the simulated fabric (virtual clock, RoCEv2 capture); the kernel has no
 * RDMA implementation yet (platform/kernel/rdma.c fails every call with
 * NX_EINVAL); a user-space libibverbs backend may follow.  Nothing here
 * exposes a pointer value to the wire: memory is named by (key, iova)
 * pairs the implementation assigns.
 *
 * Objects (InfiniBand Architecture Specification vol. 1, ch. 10-11):
 *   device  an HCA; the embedder hands it to the transport
 *   pd      protection domain: MRs and QPs of one PD work together only
 *   mr      registered memory: lkey for local work requests, rkey +
 *           iova for a peer's RDMA READ/WRITE, with access rights
 *   cq      completion queue: bounded, polled; a one-shot notify callback
 *           runs from the owning execution context when armed
 *   qp      reliable-connected queue pair: RESET -> INIT -> RTR -> RTS,
 *           ERROR from anywhere (and back to RESET); a send queue
 *           (SEND, RDMA WRITE, RDMA READ) and a receive queue (buffers
 *           that incoming SENDs consume in order)
 *   cm_id   rdma_cm endpoint: listen / connect / accept / reject /
 *           disconnect with private data; the CM moves the QP through
 *           its states as the REQ/REP/RTU and DREQ/DREP exchanges go
 *
 * RC semantics every implementation keeps (IBA 9.5, 10.8, 11.6):
 *  - the responder executes messages in the order they were posted;
 *    completions of one work queue are reported in posting order;
 *  - RDMA WRITE data is placed before a later SEND's receive completion;
 *  - a SEND finding no posted receive is retried after an RNR NAK
 *    (rnr_retry times, 7 = forever), then fails RNR_RETRY_EXC_ERR;
 *  - an error moves the QP to ERROR: the failing WR completes with its
 *    status, every other outstanding WR (send and receive queue) with
 *    WR_FLUSH_ERR, and WRs posted afterwards complete WR_FLUSH_ERR too;
 *  - a remote access violation (bad rkey, range, access right or PD)
 *    fails the requester's WR with REM_ACCESS_ERR and puts both QPs in
 *    ERROR;  a receive buffer too small fails the receive with
 *    LOC_LEN_ERR at the responder and the SEND with REM_INV_REQ_ERR.
 *
 * Buffers: the memory a posted WR names must stay registered and
 * unchanged (send side) or untouched (receive side, READ destination)
 * until its completion has been polled.
 *
 * Callbacks (CQ notify, CM events) always run later from the owning
 * execution context, never from inside a call of this interface, so a
 * caller never sees itself re-entered.
 */
#ifndef NX_RDMA_H
#define NX_RDMA_H

#include "nx_platform.h"

struct nx_rdma_dev;
struct nx_rdma_pd;
struct nx_rdma_mr;
struct nx_rdma_cq;
struct nx_rdma_qp;
struct nx_rdma_cm_id;

/* rdma_cm private data limits (IBA 12.6: REQ 92, REP 196, REJ 148 bytes,
 * of which the IP-based CM header takes 36 of the REQ's). */
#define NX_RDMA_CONN_PRIV_MAX 56
#define NX_RDMA_ACCEPT_PRIV_MAX 196
#define NX_RDMA_REJECT_PRIV_MAX 148
#define NX_RDMA_SGE_MAX 4
#define NX_RDMA_MSG_MAX (1u << 31) /* IBA 9.4: a message is < 2^31 bytes */

/* ---- protection domains and memory regions ---------------------------- */

enum nx_rdma_access {
	NX_RDMA_ACCESS_LOCAL_WRITE = 1 << 0,  /* RECV / READ destination */
	NX_RDMA_ACCESS_REMOTE_WRITE = 1 << 1, /* a peer's RDMA WRITE */
	NX_RDMA_ACCESS_REMOTE_READ = 1 << 2,  /* a peer's RDMA READ */
};

struct nx_rdma_pd *nx_rdma_pd_new(struct nx_rdma_dev *dev);
/* Every MR and QP of the PD must be gone. */
void nx_rdma_pd_free(struct nx_rdma_pd *pd);

/* Registers [addr, addr + len).  NULL on bad arguments or when the
 * device's MR table is full. */
struct nx_rdma_mr *nx_rdma_reg_mr(struct nx_rdma_pd *pd, void *addr,
				  size_t len, unsigned access);
void nx_rdma_dereg_mr(struct nx_rdma_mr *mr);
uint32_t nx_rdma_mr_lkey(const struct nx_rdma_mr *mr);
uint32_t nx_rdma_mr_rkey(const struct nx_rdma_mr *mr);
/* The address of addr[0] as work requests and peers name it (never the
 * pointer value: the implementation assigns it). */
uint64_t nx_rdma_mr_iova(const struct nx_rdma_mr *mr);

/* ---- completion queues ------------------------------------------------ */

enum nx_rdma_wc_status {
	NX_RDMA_WC_SUCCESS = 0,
	NX_RDMA_WC_LOC_LEN_ERR,       /* receive buffer too small */
	NX_RDMA_WC_LOC_PROT_ERR,      /* bad lkey / range / local access */
	NX_RDMA_WC_WR_FLUSH_ERR,      /* the QP is in ERROR */
	NX_RDMA_WC_REM_ACCESS_ERR,    /* the peer refused rkey/range/access */
	NX_RDMA_WC_REM_INV_REQ_ERR,   /* the peer's receive buffer too small */
	NX_RDMA_WC_REM_OP_ERR,        /* the peer failed the operation */
	NX_RDMA_WC_RNR_RETRY_EXC_ERR, /* no receive posted, retries spent */
	NX_RDMA_WC_RETRY_EXC_ERR,     /* no answer from the peer */
	NX_RDMA_WC_GENERAL_ERR,       /* an injected or internal fault */
};

enum nx_rdma_wc_opcode {
	NX_RDMA_WC_SEND,
	NX_RDMA_WC_RDMA_WRITE,
	NX_RDMA_WC_RDMA_READ,
	NX_RDMA_WC_RECV,
};

struct nx_rdma_wc {
	uint64_t wr_id;
	uint8_t status;       /* enum nx_rdma_wc_status */
	uint8_t opcode;       /* enum nx_rdma_wc_opcode (valid on success) */
	uint32_t byte_len;    /* RECV and RDMA READ: bytes placed */
	uint32_t qp_num;      /* the QP the WR was posted to */
};

typedef void (*nx_rdma_cq_fn)(void *arg, struct nx_rdma_cq *cq);

/* depth bounds the completions held; an overflow is a fatal CQ error
 * (IBA 11.4.2.1): every QP using the CQ goes to ERROR. */
struct nx_rdma_cq *nx_rdma_cq_new(struct nx_rdma_dev *dev, unsigned depth,
				  nx_rdma_cq_fn notify, void *arg);
/* The CQ must not be in use by a QP any more. */
void nx_rdma_cq_free(struct nx_rdma_cq *cq);
/* Takes up to n completions, oldest first; returns how many. */
unsigned nx_rdma_cq_poll(struct nx_rdma_cq *cq, struct nx_rdma_wc *wc,
			 unsigned n);
/* One-shot: notify runs (later) once the CQ holds a completion, which
 * may be at once if it already does.  Poll until empty after arming. */
void nx_rdma_cq_arm(struct nx_rdma_cq *cq);

/* ---- queue pairs (reliable connected) --------------------------------- */

enum nx_rdma_qp_state {
	NX_RDMA_QPS_RESET,
	NX_RDMA_QPS_INIT,
	NX_RDMA_QPS_RTR,
	NX_RDMA_QPS_RTS,
	NX_RDMA_QPS_ERROR,
};

struct nx_rdma_qp_attr {
	struct nx_rdma_cq *send_cq;
	struct nx_rdma_cq *recv_cq;
	uint32_t max_send_wr;   /* send queue depth */
	uint32_t max_recv_wr;   /* receive queue depth */
	uint8_t max_rd_atomic;  /* ORD: RDMA READs outstanding as requester */
	uint8_t max_dest_rd_atomic; /* IRD: as responder */
	uint8_t rnr_retry;      /* 0..7, 7 = retry forever */
};

struct nx_rdma_qp *nx_rdma_qp_new(struct nx_rdma_pd *pd,
				  const struct nx_rdma_qp_attr *attr);
/* Outstanding WRs are discarded without completions. */
void nx_rdma_qp_free(struct nx_rdma_qp *qp);
uint32_t nx_rdma_qp_num(const struct nx_rdma_qp *qp);
enum nx_rdma_qp_state nx_rdma_qp_state(const struct nx_rdma_qp *qp);

/* Where the other end of a connection is, for RTR (the CM fills it in
 * for connections it makes). */
struct nx_rdma_qp_peer {
	struct nx_rdma_dev *dev;
	uint32_t qp_num;
};

/* Manual state transitions (IBA 10.3.1): RESET->INIT, INIT->RTR (peer
 * required), RTR->RTS, any->ERROR, ERROR->RESET.  NX_EINVAL otherwise. */
int nx_rdma_qp_modify(struct nx_rdma_qp *qp, enum nx_rdma_qp_state to,
		      const struct nx_rdma_qp_peer *peer);

struct nx_rdma_sge {
	uint64_t addr;     /* an iova inside the MR of lkey */
	uint32_t length;
	uint32_t lkey;
};

enum nx_rdma_wr_opcode {
	NX_RDMA_WR_SEND,
	NX_RDMA_WR_RDMA_WRITE,
	NX_RDMA_WR_RDMA_READ,
};

struct nx_rdma_send_wr {
	uint64_t wr_id;
	uint8_t opcode;                 /* enum nx_rdma_wr_opcode */
	const struct nx_rdma_sge *sg_list;
	unsigned num_sge;               /* <= NX_RDMA_SGE_MAX */
	uint64_t remote_addr;           /* RDMA WRITE / READ */
	uint32_t rkey;
};

struct nx_rdma_recv_wr {
	uint64_t wr_id;
	const struct nx_rdma_sge *sg_list;
	unsigned num_sge;
};

/* Every WR completes (all are signalled).  NX_EINVAL: bad arguments or a
 * QP in RESET (send queue: also INIT/RTR); NX_ENOSPC: the queue is full.
 * A QP in ERROR accepts the WR and flushes it. */
int nx_rdma_post_send(struct nx_rdma_qp *qp, const struct nx_rdma_send_wr *wr);
int nx_rdma_post_recv(struct nx_rdma_qp *qp, const struct nx_rdma_recv_wr *wr);

/* ---- connection manager (rdma_cm, RDMA_PS_TCP port space) -------------- */

enum nx_rdma_cm_event_type {
	NX_RDMA_CM_CONNECT_REQUEST,   /* on a listener: ev->id is the new id */
	NX_RDMA_CM_ESTABLISHED,
	NX_RDMA_CM_REJECTED,          /* status: NX_RDMA_CM_REJ_* */
	/* no answer to the REQ; or, after accept, no RTU to the REP (the
	 * REP's retries ran out: the QP is in ERROR, free the connection) */
	NX_RDMA_CM_UNREACHABLE,
	NX_RDMA_CM_DISCONNECTED,      /* DREQ either way, or a broken QP */
};

/* IBA 12.6.7.2 REJ reasons that the simulator produces. */
#define NX_RDMA_CM_REJ_INVALID_SERVICE_ID 8
#define NX_RDMA_CM_REJ_CONSUMER 28

struct nx_rdma_cm_event {
	uint8_t type;                 /* enum nx_rdma_cm_event_type */
	struct nx_rdma_cm_id *id;     /* the id the event is about */
	const void *private_data;     /* valid during the callback */
	uint8_t private_data_len;
	uint16_t status;              /* REJECTED: the reason */
};

typedef void (*nx_rdma_cm_fn)(void *ctx, const struct nx_rdma_cm_event *ev);

/* port: the TCP-space port (service ID 0x0000000001060000 | port). */
int nx_rdma_cm_listen(struct nx_rdma_dev *dev, uint16_t port,
		      nx_rdma_cm_fn fn, void *ctx, struct nx_rdma_cm_id **out);
/* Starts REQ -> REP -> RTU toward dst_ipv4:port with qp (RESET or INIT).
 * ESTABLISHED, REJECTED or UNREACHABLE follows. */
int nx_rdma_cm_connect(struct nx_rdma_dev *dev, uint32_t dst_ipv4,
		       uint16_t port, struct nx_rdma_qp *qp, const void *priv,
		       uint8_t priv_len, nx_rdma_cm_fn fn, void *ctx,
		       struct nx_rdma_cm_id **out);
/* For a CONNECT_REQUEST id: the events of the connection go to fn. */
void nx_rdma_cm_set_handler(struct nx_rdma_cm_id *id, nx_rdma_cm_fn fn,
			    void *ctx);
struct nx_rdma_dev *nx_rdma_cm_dev(const struct nx_rdma_cm_id *id);
int nx_rdma_cm_accept(struct nx_rdma_cm_id *id, struct nx_rdma_qp *qp,
		      const void *priv, uint8_t priv_len);
int nx_rdma_cm_reject(struct nx_rdma_cm_id *id, const void *priv,
		      uint8_t priv_len);
/* DREQ; the QP goes to ERROR (its WRs flush); DISCONNECTED follows on
 * both sides.  Idempotent. */
void nx_rdma_cm_disconnect(struct nx_rdma_cm_id *id);
/* No event for the id after this returns. */
void nx_rdma_cm_id_free(struct nx_rdma_cm_id *id);
/* "a.b.c.d:port" of both ends, for logs and iSCSI portal strings. */
void nx_rdma_cm_addrs(const struct nx_rdma_cm_id *id, char *local,
		      char *peer, size_t len);

#endif /* NX_RDMA_H */
