/*
 * srp_internal.h - between target.c (target port, RDMA channel, login,
 * credits, logout, teardown) and cmd.c (SRP_CMD and SRP_TSK_MGMT as core
 * tasks and TMFs, and the RDMA transfers of their data).
 */
#ifndef NX_SRP_INTERNAL_H
#define NX_SRP_INTERNAL_H

#include "nx_srp.h"
#include "../../core/nx_scsi.h"
#include "../../core/nx_wire.h"

/* Request slots: every credit, plus slack for answered requests whose
 * last RDMA completions have not been polled yet when the initiator
 * reuses the credit (the SEND of the response may reach it first). */
#define SRP_REQS (NX_SRP_CREDITS + 32u)
#define SRP_RX_BUFS (NX_SRP_CREDITS + NX_SRP_TREQ_MAX)
#define SRP_TX_BUFS (SRP_REQS + NX_SRP_TREQ_MAX + 8u)
/* RDMA READ/WRITE of one request in flight at once: a long descriptor
 * list is walked as the completions come back, so the send queue stays
 * bounded whatever the list. */
#define SRP_OPS_PER_REQ 4u
#define SRP_SQ_DEPTH (SRP_TX_BUFS + SRP_REQS * SRP_OPS_PER_REQ)
#define SRP_CQ_DEPTH (SRP_SQ_DEPTH + SRP_RX_BUFS)
#define SRP_TABLE_BYTES (NX_SRP_TABLE_MAX * NX_SRP_DESC_LEN)
#define SRP_REQ_NONE 0xffffu

enum srp_wr_kind {
	SRP_WR_RECV = 1,
	SRP_WR_SEND = 2,
	SRP_WR_DATA = 3,   /* a request's data RDMA READ / WRITE */
	SRP_WR_TABLE = 4,  /* RDMA READ of an indirect descriptor table */
};

enum srp_req_state {
	REQ_FREE = 0,
	REQ_TABLE,         /* fetching indirect descriptor tables */
	REQ_DATA_OUT,      /* RDMA READ of the data-out buffer */
	REQ_CORE,          /* executing in the core */
	REQ_DATA_IN,       /* RDMA WRITE of the data-in buffer */
	REQ_DONE,          /* answered or aborted: waits for its WRs */
};

/* One direction's buffer: its descriptors are desc[first .. first+n). */
struct srp_xfer {
	uint8_t fmt;               /* enum nx_srp_fmt */
	bool fetch;                /* the table is not all inline */
	uint16_t first, ndesc;
	uint32_t total;
	struct nx_srp_desc table;  /* indirect: where the table is */
};

struct srp_req {
	struct nx_task task;
	struct nx_tmf tmf;
	struct nx_srp_chan *ch;
	uint64_t tag;
	uint8_t state;             /* enum srp_req_state */
	bool is_tmf;
	bool task_live;            /* nx_task_init done: release owed */
	bool setup_failed;
	bool aborted;
	struct srp_xfer out, in;
	uint8_t *desc;             /* SRP_TABLE_BYTES of ch->descs */
	struct nx_rdma_mr *mr;     /* the task's data, while it moves */
	unsigned inflight;         /* WRs of this request not completed */
	/* the transfer under way (state DATA_OUT or DATA_IN) */
	uint32_t xfer_len, posted, doff;
	uint16_t di;
	uint16_t next_free;
	/* ABORT TASKs answered only when this command leaves the core: the
	 * first one's slot, chained through the TMF requests' own field
	 * (cmd.c tmf_done). */
	uint16_t waiter;           /* SRP_REQ_NONE: none */
};

enum srp_chan_state {
	CH_ACCEPTING,              /* REP sent, waiting for the RTU */
	CH_UP,
	CH_LOGGING_OUT,            /* SRP_T_LOGOUT posted, then DREQ */
	CH_CLOSING,                /* disconnect under way */
};

struct nx_srp_target {
	struct nx_srp_target_config cfg;
	char tport_name[2 + 2 * NX_SRP_PORT_ID_LEN + 1];
	struct nx_srp_chan *chans[NX_SRP_CHANNELS_MAX];
	unsigned nchans;
	uint64_t logins;           /* channels accepted: their order */
};

struct nx_srp_chan {
	struct nx_srp_target *tgt;
	unsigned slot;
	struct nx_rdma_cm_id *id;
	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	uint8_t *rx, *tx, *descs;
	struct nx_rdma_mr *rx_mr, *tx_mr, *desc_mr;
	uint16_t tx_free[SRP_TX_BUFS];
	unsigned tx_nfree;
	struct srp_req *reqs;
	uint16_t req_free;
	unsigned reqs_used;
	struct nx_nexus *nexus;
	uint8_t iport[NX_SRP_PORT_ID_LEN];
	uint32_t max_it_iu;
	/* SRP 5.5 credits: lim is what the initiator holds (granted, not
	 * yet used); owed are credits of requests that ended and go back
	 * with the next SRP_RSP or SRP_CRED_REQ. */
	uint32_t lim, owed;
	unsigned tmfs_pending;
	unsigned treq_inflight;
	uint64_t treq_tag;
	unsigned outstanding;      /* WRs posted, not completed */
	uint32_t logout_tx;        /* tx index of SRP_T_LOGOUT, or none */
	uint32_t logout_reason;    /* a logout asked for before the RTU */
	bool logout_deferred;
	uint8_t state;             /* enum srp_chan_state */
	bool disconnected;         /* the CM said DISCONNECTED */
	bool told;                 /* nexus shutdown started */
	/* An older channel of the same I_T nexus still exists (being logged
	 * out or torn down): the IUs received wait, in order, until its
	 * nexus is gone (target.c, "held"). */
	uint64_t seq;              /* login order on the target port */
	bool held;
	uint16_t held_head, held_n;
	uint16_t held_rx[SRP_RX_BUFS];   /* receive buffer indices */
	uint16_t held_len[SRP_RX_BUFS];  /* their byte counts */
	struct nx_timer *resume;
	void (*release)(void *ctx);
	void *release_ctx;
	char peer[64], local[64];
};

/* target.c */
bool srp_live(const struct nx_srp_chan *ch);
void srp_close(struct nx_srp_chan *ch, const char *why);
void srp_logout(struct nx_srp_chan *ch, uint32_t reason, const char *why);
bool srp_send_iu(struct nx_srp_chan *ch, const uint8_t *iu, size_t len);
bool srp_post(struct nx_srp_chan *ch, uint64_t wr_id, uint8_t opcode,
	      const struct nx_rdma_sge *sge, uint64_t raddr, uint32_t rkey);
uint64_t srp_wr_id(enum srp_wr_kind kind, uint32_t idx);
/* Takes one credit for a request; false (and a logout) when the
 * initiator had none left. */
bool srp_take_credit(struct nx_srp_chan *ch);
/* The REQUEST LIMIT DELTA of a response: the request's own credit and
 * whatever is owed. */
uint32_t srp_rsp_delta(struct nx_srp_chan *ch);
void srp_flush_credits(struct nx_srp_chan *ch);
struct srp_req *srp_req_alloc(struct nx_srp_chan *ch);
void srp_req_free(struct srp_req *req);

/* cmd.c */
extern const struct nx_nexus_ops srp_nexus_ops;
void srp_cmd_rx(struct nx_srp_chan *ch, const uint8_t *iu, uint32_t len);
void srp_tmf_rx(struct nx_srp_chan *ch, const uint8_t *iu, uint32_t len);
void srp_req_wc(struct srp_req *req, enum srp_wr_kind kind, bool ok);
/* A request the QP will never complete anything for again (teardown). */
void srp_req_quiesce(struct srp_req *req);

#endif /* NX_SRP_INTERNAL_H */
