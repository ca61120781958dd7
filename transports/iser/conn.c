/*
 * conn.c - the iSER target connection (RFC 7145): an RC QP from the CM,
 * an nx_iscsi_conn with this module as its datamover, and the buffers
 * between them.
 *
 * Life: nx_iser_accept() builds PD, CQ, QP, posts the receive buffers
 * (the Login Request is the first SEND, RFC 7145 5.1) and accepts.  Each
 * receive completion is one iSER message: header decoded, PDU fed whole
 * to the iSCSI layer with its STags, buffer posted again.  The iSCSI
 * layer's ops->send becomes a SEND from a registered transmit buffer;
 * put_data an RDMA WRITE and get_data an RDMA READ, each over a memory
 * region registered for the task's buffer and deregistered on completion.
 *
 * Teardown: whoever ends it (the iSCSI layer's close, an error
 * completion, the peer's DREQ, the embedder) goes through the CM; the QP
 * is then in ERROR and every posted WR comes back flushed.  Only when
 * the CM said DISCONNECTED and no WR is outstanding does the iSCSI
 * layer hear nx_iscsi_conn_closed(): no RDMA can touch a task's buffer
 * after that.  Its release callback frees the RDMA objects last.
 */
#include "nx_iser.h"

/* transports/iscsi holds at most 144 commands with at most 16 R2Ts
 * each (conn_internal.h): so many RDMA operations can be in flight. */
#define OPS_MAX (144u * 16u)
#define SQ_DEPTH (NX_ISER_TX_BUFS + OPS_MAX)
#define CQ_DEPTH (SQ_DEPTH + NX_ISER_RX_BUFS)
#define POLL_BATCH 16u
#define OP_NONE 0xffffffffu

enum wr_kind { WR_RECV = 1, WR_SEND = 2, WR_OP = 3 };

enum iser_state {
	ISER_ACCEPTING,  /* REP sent, waiting for the RTU */
	ISER_UP,
	ISER_CLOSING,    /* disconnect under way */
};

struct iser_op {
	struct nx_iscsi_cmd *cmd;  /* NULL: free */
	struct nx_rdma_mr *mr;
	uint32_t ttt;              /* NX_ISCSI_DM_PUT for a put_data */
	uint32_t next_free;
	bool posted;
};

struct nx_iser_conn {
	struct nx_iscsi_conn *ic;
	struct nx_rdma_cm_id *id;
	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	uint8_t *rx, *tx;
	struct nx_rdma_mr *rx_mr, *tx_mr;
	uint16_t tx_free[NX_ISER_TX_BUFS];
	unsigned tx_nfree;
	struct iser_op *ops;
	uint32_t op_free;
	unsigned outstanding;      /* WRs posted, not yet completed */
	uint8_t state;             /* enum iser_state */
	bool disconnected;         /* the CM said DISCONNECTED */
	bool told;                 /* nx_iscsi_conn_closed() called */
	void (*release)(void *ctx);
	void *release_ctx;
	char peer[64];
	char local[64];
};

static uint64_t wr_id(enum wr_kind kind, uint32_t idx)
{
	return (uint64_t)kind << 32 | idx;
}

/* ---- ending ----------------------------------------------------------------- */

static void iser_close(struct nx_iser_conn *c, const char *why)
{
	if (c->state == ISER_CLOSING)
		return;
	if (why != NULL)
		nx_log(NX_LOG_WARN, "iser %s: closing: %s", c->peer, why);
	c->state = ISER_CLOSING;
	nx_rdma_cm_disconnect(c->id);
}

static void conn_free(struct nx_iser_conn *c)
{
	nx_rdma_qp_free(c->qp);
	nx_rdma_cq_free(c->cq);
	nx_rdma_dereg_mr(c->rx_mr);
	nx_rdma_dereg_mr(c->tx_mr);
	nx_rdma_pd_free(c->pd);
	if (c->id != NULL)
		nx_rdma_cm_id_free(c->id);
	nx_free(c->rx);
	nx_free(c->tx);
	nx_free(c->ops);
	nx_free(c);
}

/* The iSCSI connection is gone (its tasks drained): free the rest. */
static void ic_release(void *ctx)
{
	struct nx_iser_conn *c = ctx;
	void (*release)(void *ctx) = c->release;
	void *rctx = c->release_ctx;

	conn_free(c);
	if (release != NULL)
		release(rctx);
}

static void op_free(struct nx_iser_conn *c, uint32_t idx)
{
	struct iser_op *op = &c->ops[idx];

	nx_rdma_dereg_mr(op->mr);
	op->mr = NULL;
	op->cmd = NULL;
	op->posted = false;
	op->next_free = c->op_free;
	c->op_free = idx;
}

/* The QP is quiet: the iSCSI layer may let go of the connection.  Ops
 * that never reached the QP (refused before posting) end here. */
static void maybe_finish(struct nx_iser_conn *c)
{
	if (!c->disconnected || c->outstanding > 0 || c->told)
		return;
	for (uint32_t i = 0; i < OPS_MAX; i++) {
		struct iser_op *op = &c->ops[i];
		struct nx_iscsi_cmd *cmd = op->cmd;
		uint32_t ttt = op->ttt;

		if (cmd == NULL)
			continue;
		nx_assert(!op->posted);
		op_free(c, i);
		nx_iscsi_dm_done(cmd, ttt, false);
	}
	c->told = true;
	/* May release c before it returns. */
	nx_iscsi_conn_closed(c->ic, ic_release, c);
}

/* ---- sending ------------------------------------------------------------------ */

static int post_send(struct nx_iser_conn *c, uint64_t id, uint8_t opcode,
		     const struct nx_rdma_sge *sge, uint64_t raddr, uint32_t rkey)
{
	struct nx_rdma_send_wr wr = { .wr_id = id, .opcode = opcode,
				      .sg_list = sge, .num_sge = 1,
				      .remote_addr = raddr, .rkey = rkey };
	int rc = nx_rdma_post_send(c->qp, &wr);

	if (rc == NX_OK)
		c->outstanding++;
	return rc;
}

/* RFC 7145 7.2: an iSCSI control PDU in one SEND behind an iSER header
 * (no STags from the target). */
static void iscsi_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct nx_iser_conn *c = ctx;
	struct nx_iser_hdr h = { .opcode = NX_ISER_OP_CONTROL };
	struct nx_rdma_sge sge;
	uint32_t idx, len = NX_ISER_HDR_LEN;
	uint8_t *buf;

	if (c->state == ISER_CLOSING)
		return;
	if (c->tx_nfree == 0) {
		iser_close(c, "no transmit buffer left");
		return;
	}
	idx = c->tx_free[--c->tx_nfree];
	buf = c->tx + (size_t)idx * NX_ISER_MSG_MAX;
	(void)nx_iser_hdr_encode(&h, buf);
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len > NX_ISER_MSG_MAX - len) {
			c->tx_free[c->tx_nfree++] = (uint16_t)idx;
			iser_close(c, "PDU larger than a message");
			return;
		}
		memcpy(buf + len, iov[i].base, iov[i].len);
		len += (uint32_t)iov[i].len;
	}
	sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(c->tx_mr) +
				    (uint64_t)idx * NX_ISER_MSG_MAX, len,
				    nx_rdma_mr_lkey(c->tx_mr) };
	if (post_send(c, wr_id(WR_SEND, idx), NX_RDMA_WR_SEND, &sge, 0, 0) != NX_OK) {
		c->tx_free[c->tx_nfree++] = (uint16_t)idx;
		iser_close(c, "SEND refused");
	}
}

static void iscsi_close(void *ctx)
{
	iser_close(ctx, NULL);
}

static const struct nx_iscsi_conn_ops iscsi_ops = { .send = iscsi_send, .close = iscsi_close };

/* ---- the datamover ---------------------------------------------------------------- */

static uint32_t op_alloc(struct nx_iser_conn *c, struct nx_iscsi_cmd *cmd,
			 uint32_t ttt)
{
	uint32_t idx = c->op_free;

	nx_assert(idx != OP_NONE); /* OPS_MAX covers every task's R2Ts */
	c->op_free = c->ops[idx].next_free;
	c->ops[idx].cmd = cmd;
	c->ops[idx].ttt = ttt;
	return idx;
}

/* One RDMA WRITE (Put_Data) or READ (Get_Data) of a task's buffer.  A
 * refusal (no valid STag from the initiator, a dead QP) ends the
 * connection; the op then completes at teardown. */
static void dm_move(struct nx_iser_conn *c, struct nx_iscsi_cmd *cmd,
		    uint32_t ttt, uint8_t *buf, uint32_t len, bool valid,
		    uint64_t raddr, uint32_t rkey)
{
	bool write = ttt == NX_ISCSI_DM_PUT;
	uint32_t idx = op_alloc(c, cmd, ttt);
	struct iser_op *op = &c->ops[idx];
	struct nx_rdma_sge sge;

	if (!valid) {
		/* RFC 7145 7.3.1: a command that moves data must carry the
		 * STag for it (RSV for reads, WSV for writes). */
		iser_close(c, write ? "read without Read STag" :
				      "write without Write STag");
		return;
	}
	if (c->state == ISER_CLOSING)
		return;
	op->mr = nx_rdma_reg_mr(c->pd, buf, len,
				write ? 0 : NX_RDMA_ACCESS_LOCAL_WRITE);
	if (op->mr == NULL) {
		iser_close(c, "memory registration failed");
		return;
	}
	sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(op->mr), len,
				    nx_rdma_mr_lkey(op->mr) };
	if (post_send(c, wr_id(WR_OP, idx),
		      write ? NX_RDMA_WR_RDMA_WRITE : NX_RDMA_WR_RDMA_READ,
		      &sge, raddr, rkey) != NX_OK) {
		iser_close(c, "RDMA operation refused");
		return;
	}
	op->posted = true;
}

static void dm_put_data(void *ctx, struct nx_iscsi_cmd *cmd,
			const struct nx_iscsi_dm_tags *tags, const uint8_t *data,
			uint32_t off, uint32_t len)
{
	/* The source is only read: the MR grants no write access. */
	dm_move(ctx, cmd, NX_ISCSI_DM_PUT, (uint8_t *)(uintptr_t)(data + off),
		len, tags->read_valid, tags->read_va + off, tags->read_stag);
}

static void dm_get_data(void *ctx, struct nx_iscsi_cmd *cmd,
			const struct nx_iscsi_dm_tags *tags, uint32_t ttt,
			uint8_t *dst, uint32_t off, uint32_t len)
{
	dm_move(ctx, cmd, ttt, dst, len, tags->write_valid,
		tags->write_va + off, tags->write_stag);
}

static const struct nx_iscsi_dm_ops dm_ops = { dm_put_data, dm_get_data };

/* ---- receiving ------------------------------------------------------------------- */

static int post_recv(struct nx_iser_conn *c, uint32_t idx)
{
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(c->rx_mr) +
				   (uint64_t)idx * NX_ISER_MSG_MAX,
				   NX_ISER_MSG_MAX, nx_rdma_mr_lkey(c->rx_mr) };
	struct nx_rdma_recv_wr wr = { wr_id(WR_RECV, idx), &sge, 1 };
	int rc = nx_rdma_post_recv(c->qp, &wr);

	if (rc == NX_OK)
		c->outstanding++;
	return rc;
}

static void rx_message(struct nx_iser_conn *c, uint32_t idx, uint32_t len)
{
	const uint8_t *buf = c->rx + (size_t)idx * NX_ISER_MSG_MAX;
	struct nx_iscsi_dm_tags tags;
	struct nx_iser_hdr h;
	size_t hl;

	if (nx_iser_hdr_decode(buf, len, &h, &hl) != NX_OK) {
		iser_close(c, "malformed iSER header");
		return;
	}
	if (h.opcode != NX_ISER_OP_CONTROL) {
		/* RFC 7145 5.1: Hello messages belong to a transition from
		 * streaming mode, which an RC QP from the CM never had. */
		iser_close(c, "unexpected iSER Hello");
		return;
	}
	tags = (struct nx_iscsi_dm_tags){
		.write_va = h.write_va, .read_va = h.read_va,
		.write_stag = h.write_stag, .read_stag = h.read_stag,
		.write_valid = h.wsv, .read_valid = h.rsv,
	};
	(void)nx_iscsi_conn_input_pdu(c->ic, buf + hl, len - hl, &tags);
}

static void handle_wc(struct nx_iser_conn *c, const struct nx_rdma_wc *wc)
{
	uint32_t kind = (uint32_t)(wc->wr_id >> 32), idx = (uint32_t)wc->wr_id;
	bool ok = wc->status == NX_RDMA_WC_SUCCESS;

	nx_assert(c->outstanding > 0);
	c->outstanding--;
	/* A flush we did not ask for means the QP died under us. */
	if (!ok)
		iser_close(c, "work request failed");
	if (kind == WR_RECV) {
		nx_assert(idx < NX_ISER_RX_BUFS);
		if (ok && c->state != ISER_CLOSING)
			rx_message(c, idx, wc->byte_len);
		if (ok && c->state != ISER_CLOSING && post_recv(c, idx) != NX_OK)
			iser_close(c, "receive refused");
	} else if (kind == WR_SEND) {
		nx_assert(idx < NX_ISER_TX_BUFS && c->tx_nfree < NX_ISER_TX_BUFS);
		c->tx_free[c->tx_nfree++] = (uint16_t)idx;
	} else {
		struct iser_op *op = &c->ops[idx];
		struct nx_iscsi_cmd *cmd = op->cmd;
		uint32_t ttt = op->ttt;

		nx_assert(kind == WR_OP && idx < OPS_MAX && op->posted);
		op_free(c, idx);
		nx_iscsi_dm_done(cmd, ttt, ok);
	}
}

static void cq_event(void *arg, struct nx_rdma_cq *cq)
{
	struct nx_iser_conn *c = arg;
	struct nx_rdma_wc wc[POLL_BATCH];
	unsigned n;

	do {
		n = nx_rdma_cq_poll(cq, wc, POLL_BATCH);
		for (unsigned i = 0; i < n; i++)
			handle_wc(c, &wc[i]);
	} while (n > 0);
	nx_rdma_cq_arm(cq);
	maybe_finish(c); /* last: may free c */
}

static void cm_event(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_iser_conn *c = ctx;

	switch (ev->type) {
	case NX_RDMA_CM_ESTABLISHED:
		if (c->state == ISER_ACCEPTING)
			c->state = ISER_UP;
		break;
	case NX_RDMA_CM_UNREACHABLE: /* accepted, but no RTU ever came */
	case NX_RDMA_CM_DISCONNECTED:
		c->state = ISER_CLOSING;
		c->disconnected = true;
		maybe_finish(c);
		break;
	default:
		break;
	}
}

/* ---- accepting ------------------------------------------------------------------- */

static bool conn_resources(struct nx_iser_conn *c, struct nx_rdma_dev *dev)
{
	struct nx_rdma_qp_attr qa = { 0 };

	c->pd = nx_rdma_pd_new(dev);
	c->rx = nx_alloc((size_t)NX_ISER_RX_BUFS * NX_ISER_MSG_MAX);
	c->tx = nx_alloc((size_t)NX_ISER_TX_BUFS * NX_ISER_MSG_MAX);
	c->ops = nx_alloc(sizeof(*c->ops) * OPS_MAX);
	if (c->pd == NULL || c->rx == NULL || c->tx == NULL || c->ops == NULL)
		return false;
	c->rx_mr = nx_rdma_reg_mr(c->pd, c->rx, (size_t)NX_ISER_RX_BUFS *
				  NX_ISER_MSG_MAX, NX_RDMA_ACCESS_LOCAL_WRITE);
	c->tx_mr = nx_rdma_reg_mr(c->pd, c->tx, (size_t)NX_ISER_TX_BUFS *
				  NX_ISER_MSG_MAX, 0);
	c->cq = nx_rdma_cq_new(dev, CQ_DEPTH, cq_event, c);
	if (c->rx_mr == NULL || c->tx_mr == NULL || c->cq == NULL)
		return false;
	qa.send_cq = qa.recv_cq = c->cq;
	qa.max_send_wr = SQ_DEPTH;
	qa.max_recv_wr = NX_ISER_RX_BUFS;
	qa.max_rd_atomic = 16;      /* iSER-ORD (RFC 7145 5.1.2) */
	qa.max_dest_rd_atomic = 16;
	qa.rnr_retry = 7;
	c->qp = nx_rdma_qp_new(c->pd, &qa);
	if (c->qp == NULL)
		return false;
	for (uint32_t i = 0; i < NX_ISER_TX_BUFS; i++)
		c->tx_free[c->tx_nfree++] = (uint16_t)(NX_ISER_TX_BUFS - 1 - i);
	c->op_free = OP_NONE;
	for (uint32_t i = OPS_MAX; i-- > 0;) {
		c->ops[i].next_free = c->op_free;
		c->op_free = i;
	}
	return nx_rdma_qp_modify(c->qp, NX_RDMA_QPS_INIT, NULL) == NX_OK;
}

static bool conn_start(struct nx_iser_conn *c, struct nx_iscsi_server *srv)
{
	uint8_t rep[NX_ISER_CM_PRIV_LEN] = { NX_ISER_CM_ZBVA_NS | NX_ISER_CM_SIE_NS };

	nx_rdma_cm_addrs(c->id, c->local, c->peer, sizeof(c->peer));
	c->ic = nx_iscsi_conn_new_dm(srv, &iscsi_ops, &dm_ops, c, c->peer,
				     c->local);
	if (c->ic == NULL)
		return false;
	/* RFC 7145 5.1: receive buffers are posted before the CM accepts,
	 * the Login Request may follow the RTU at once. */
	for (uint32_t i = 0; i < NX_ISER_RX_BUFS; i++)
		if (post_recv(c, i) != NX_OK)
			return false;
	nx_rdma_cm_set_handler(c->id, cm_event, c);
	nx_rdma_cq_arm(c->cq);
	/* RFC 7145 9.1: we use neither zero-based virtual addresses nor
	 * Send with Invalidate. */
	return nx_rdma_cm_accept(c->id, c->qp, rep, sizeof(rep)) == NX_OK;
}

struct nx_iser_conn *nx_iser_accept(struct nx_iscsi_server *srv,
				    struct nx_rdma_cm_id *id,
				    const void *priv, uint8_t priv_len,
				    void (*release)(void *ctx), void *ctx)
{
	struct nx_iser_conn *c = nx_alloc(sizeof(*c));

	/* The REQ's flags (ZBVA / SEND with invalidate support) change
	 * nothing for a target that uses neither. */
	(void)priv;
	(void)priv_len;
	nx_assert(srv != NULL && id != NULL);
	if (c == NULL) {
		(void)nx_rdma_cm_reject(id, NULL, 0);
		nx_rdma_cm_id_free(id);
		return NULL;
	}
	c->id = id;
	c->release = release;
	c->release_ctx = ctx;
	if (!conn_resources(c, nx_rdma_cm_dev(id)) || !conn_start(c, srv)) {
		nx_log(NX_LOG_WARN, "iser: cannot accept a connection");
		(void)nx_rdma_cm_reject(id, NULL, 0);
		if (c->ic != NULL) {
			/* Nothing reached the fabric yet that could complete
			 * later: the iSCSI connection goes at once. */
			nx_rdma_qp_free(c->qp);
			c->qp = NULL;
			c->told = true;
			c->release = NULL;
			nx_iscsi_conn_closed(c->ic, ic_release, c);
			return NULL;
		}
		conn_free(c);
		return NULL;
	}
	return c;
}

void nx_iser_conn_disconnect(struct nx_iser_conn *c)
{
	iser_close(c, NULL);
}
