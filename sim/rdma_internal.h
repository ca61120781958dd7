/*
 * rdma_internal.h - what rdma.c, rdma_cm.c and rdma_pcap.c share.
 *
 * Handles on the wire are numbers, never pointers: a QP is (device,
 * QPN), a CM id is (device, communication id), memory is (key, iova).
 * QPNs and comm ids are slot | generation << 12, keys slot << 8 | gen,
 * so a late packet never reaches a reused slot.
 */
#ifndef NX_SIM_RDMA_INTERNAL_H
#define NX_SIM_RDMA_INTERNAL_H

#include "nx_sim_rdma.h"

#define RDMA_QPS_MAX 4096u        /* per fabric, QPN slot bits: 12 */
#define RDMA_IDS_MAX 4096u        /* CM ids per fabric */
#define RDMA_MRS_MAX 16384u       /* per device */
#define RDMA_SLOT_BITS 12
#define RDMA_QP_DEPTH_MAX 16384u  /* max_send_wr / max_recv_wr */
#define RDMA_CQ_DEPTH_MAX 65536u
#define RDMA_IOVA_BASE 0x00007f0000000000ull
#define RDMA_PAGE 4096u

/* Transport-level packet kinds (one per RC message, IBA 9.2). */
enum rdma_pkt_kind {
	PKT_SEND,
	PKT_WRITE,
	PKT_READ_REQ,
	PKT_READ_RSP,
	PKT_ACK,
	PKT_NAK,
	PKT_CM,
};

/* CM message types (IBA 12.6), the subset rdma_cm uses. */
enum rdma_cm_msg {
	CM_REQ = 0x10,
	CM_REJ = 0x12,
	CM_REP = 0x13,
	CM_RTU = 0x14,
	CM_DREQ = 0x15,
	CM_DREP = 0x16,
};

struct rdma_pkt {
	struct nx_sim_rdma *f;
	uint8_t kind;              /* enum rdma_pkt_kind */
	uint8_t src_dev, dst_dev;
	uint32_t src_qpn, dst_qpn;
	uint32_t psn;              /* first PSN of the message */
	uint32_t npsn;             /* PSNs it spans (read: the response's) */
	uint64_t msn;              /* requester's message id (ACK/NAK/RSP) */
	uint64_t va;               /* RETH */
	uint32_t rkey;
	uint32_t dma_len;
	uint8_t status;            /* NAK: the requester's WC status */
	uint8_t syndrome;          /* NAK/ACK: AETH syndrome for the capture */
	/* CM */
	uint8_t cm_type;           /* enum rdma_cm_msg */
	uint32_t cm_src_id, cm_dst_id;
	uint16_t cm_port;          /* the service's port (service ID) */
	uint16_t cm_sport;         /* the active side's port */
	uint16_t cm_reason;        /* REJ reason; local events: the type */
	uint32_t cm_psn;           /* REQ/REP: starting PSN */
	uint64_t cm_tid;           /* MAD transaction id */
	uint32_t cm_qpn;
	uint8_t priv_len;
	uint8_t priv[NX_RDMA_ACCEPT_PRIV_MAX];
	uint32_t len;              /* payload bytes */
	uint8_t *data;             /* payload (malloc'ed), or NULL */
	/* in flight (rdma.c) */
	struct rdma_pkt *prev, *next;
	nx_sim_event_id ev;
	bool timeout;              /* a requester timeout, not a wire packet */
	bool local;                /* a CM event for the local device */
};

struct nx_rdma_dev {
	struct nx_sim_rdma *f;
	uint8_t index;
	char name[32];
	uint32_t ipv4;
	uint64_t iova_next;
	uint64_t egress_busy_ns;
	struct nx_rdma_mr *mrs[RDMA_MRS_MAX];
	uint8_t mr_gen[RDMA_MRS_MAX];
	uint16_t ip_id;
};

struct nx_rdma_pd {
	struct nx_rdma_dev *dev;
	unsigned mrs, qps;
};

struct nx_rdma_mr {
	struct nx_rdma_pd *pd;
	uint8_t *addr;
	uint64_t iova;
	uint64_t len;
	uint32_t key;
	unsigned access;
};

struct nx_rdma_cq {
	struct nx_rdma_dev *dev;
	struct nx_rdma_wc *ring;
	unsigned depth, head, count;
	unsigned users;            /* QPs */
	nx_rdma_cq_fn notify;
	void *arg;
	bool armed;
	nx_sim_event_id notify_ev;
	bool overrun;
};

enum swqe_state { SWQE_QUEUED, SWQE_SENT, SWQE_DONE };

struct rdma_swqe {
	uint64_t wr_id;
	uint64_t msn;
	uint64_t remote_addr;
	uint32_t rkey;
	uint32_t len;              /* total of the SGEs */
	uint32_t byte_len;
	uint8_t opcode;            /* enum nx_rdma_wr_opcode */
	uint8_t state;             /* enum swqe_state */
	uint8_t status;
	uint8_t num_sge;
	struct nx_rdma_sge sge[NX_RDMA_SGE_MAX];
	nx_sim_event_id timeout_ev;
};

struct rdma_rwqe {
	uint64_t wr_id;
	uint8_t num_sge;
	struct nx_rdma_sge sge[NX_RDMA_SGE_MAX];
};

struct rdma_inq {               /* responder: arrived, not yet executed */
	struct rdma_pkt *pkt;
	struct rdma_inq *next;
};

struct nx_rdma_qp {
	struct nx_rdma_pd *pd;
	struct nx_rdma_dev *dev;
	struct nx_rdma_qp_attr attr;
	uint32_t qpn;
	uint16_t slot;
	uint8_t state;             /* enum nx_rdma_qp_state */
	bool broken;               /* nx_sim_rdma_qp_break() */
	uint8_t peer_dev;
	uint32_t peer_qpn;
	struct nx_rdma_cm_id *cm;  /* the CM id driving it, if any */
	/* requester */
	struct rdma_swqe *sq;
	unsigned sq_head, sq_count, sq_sent; /* sq_sent: issued or done */
	unsigned reads_out;
	uint64_t msn_next;
	uint32_t sq_psn;
	/* responder */
	struct rdma_rwqe *rq;
	unsigned rq_head, rq_count;
	struct rdma_inq *inq_head, *inq_tail;
	unsigned inq_count;
	bool rnr_wait;
	uint8_t rnr_tries;
	nx_sim_event_id rnr_ev;
	uint32_t rq_psn;
};

struct nx_sim_rdma {
	struct nx_sim *sim;
	struct nx_sim_rdma_opts o;
	struct nx_rng jitter_rng;
	struct nx_rng fault_rng;
	struct nx_rdma_dev *devs[NX_SIM_RDMA_DEVS_MAX];
	unsigned ndevs;
	uint64_t path_last_ns[NX_SIM_RDMA_DEVS_MAX][NX_SIM_RDMA_DEVS_MAX];
	struct nx_rdma_qp *qps[RDMA_QPS_MAX];
	uint16_t qp_gen[RDMA_QPS_MAX];
	struct nx_rdma_cm_id *ids[RDMA_IDS_MAX];
	uint16_t id_gen[RDMA_IDS_MAX];
	struct nx_sim_pcap *pcap;
	struct rdma_cap *cap;      /* rdma_pcap.c: frames not yet written */
	nx_sim_rdma_tap_fn tap;
	void *tap_arg;
	struct rdma_pkt *inflight;
	struct nx_sim_rdma_stats stats;
	unsigned live;             /* PDs, MRs, CQs, QPs, CM ids */
	uint64_t tid_next;         /* MAD transaction ids */
};

/* ---- rdma.c, used by rdma_cm.c ------------------------------------------ */
struct rdma_pkt *nx_sim_rdma_pkt_new(struct nx_sim_rdma *f, uint8_t kind,
				     uint8_t src_dev, uint8_t dst_dev);
void nx_sim_rdma_pkt_free(struct rdma_pkt *p);
/* Captures p and delivers it to its destination device after the path's
 * latency (order kept per path); the fabric owns p from here. */
void nx_sim_rdma_transmit(struct rdma_pkt *p);
/* Delivers p to its destination device after delay_ns, no wire, no
 * capture (timeouts, local CM events). */
void nx_sim_rdma_schedule(struct rdma_pkt *p, uint64_t delay_ns);
uint32_t nx_sim_rdma_psn_init(uint32_t qpn);
struct nx_rdma_dev *nx_sim_rdma_dev_by_ip(struct nx_sim_rdma *f, uint32_t ip);
/* QP transitions the CM drives. */
void nx_sim_rdma_qp_connect(struct nx_rdma_qp *qp, uint8_t peer_dev,
			    uint32_t peer_qpn);
void nx_sim_rdma_qp_error(struct nx_rdma_qp *qp);
unsigned nx_sim_rdma_slot(uint32_t handle);

/* ---- rdma_cm.c, used by rdma.c ------------------------------------------ */
void nx_sim_rdma_cm_rx(struct rdma_pkt *p);
/* The QP is freed: its CM id forgets it. */
void nx_sim_rdma_cm_qp_gone(struct nx_rdma_cm_id *id);
void nx_sim_rdma_cm_break(struct nx_rdma_cm_id *id);

/* ---- rdma_pcap.c -------------------------------------------------------- */
/* p as RoCEv2 frames, the first leaving its sender at start_ns (the
 * rest follow at the egress port's rate).  Called from transmit. */
void nx_sim_rdma_pcap_write(struct nx_sim_rdma *f, const struct rdma_pkt *p,
			    uint64_t start_ns);

#endif /* NX_SIM_RDMA_INTERNAL_H */
