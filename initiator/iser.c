/*
 * iser.c - the initiator's iSER connection (nx_ini_iser.h, RFC 7145).
 *
 * The same shape as the target's transports/iser/conn.c seen from the
 * other end: receive buffers posted before the CM connects (the Login
 * Response may be the first message), one SEND per PDU from a registered
 * transmit buffer, and per SCSI command the data buffers registered for
 * the target's RDMA (Data-In: remote write, Data-Out: remote read).
 * Slots of that table are the ITT's low byte, the initiator's request
 * slot (ini_internal.h), so a command finds its registration in O(1).
 */
#include "nx_ini_iser.h"
#include "../transports/iser/nx_iser.h"
#include "../core/nx_wire.h"

#define CMD_SLOTS 256u
#define SQ_DEPTH NX_INI_ISER_TX_BUFS
#define CQ_DEPTH (NX_INI_ISER_TX_BUFS + NX_INI_ISER_RX_BUFS)
#define POLL_BATCH 16u
#define WR_RECV 1ull
#define WR_SEND 2ull

struct cmd_reg {
	uint32_t itt;
	bool used;
	struct nx_rdma_mr *in, *out;
};

struct nx_ini_iser {
	const struct nx_ini_iser_ops *ops;
	void *ctx;
	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	struct nx_rdma_cm_id *id;
	uint8_t *rx, *tx;
	struct nx_rdma_mr *rx_mr, *tx_mr;
	uint16_t tx_free[NX_INI_ISER_TX_BUFS];
	unsigned tx_nfree;
	struct cmd_reg cmds[CMD_SLOTS];
	/* the STags for the SCSI Command PDU that is sent next */
	bool pend;
	uint32_t pend_itt;
	struct nx_iser_hdr pend_hdr;
	bool established, ended, closing;
};

/* ---- the datamover ------------------------------------------------------------ */

static void reg_release(struct cmd_reg *r)
{
	nx_rdma_dereg_mr(r->in);
	nx_rdma_dereg_mr(r->out);
	r->in = r->out = NULL;
	r->used = false;
}

/* RFC 7145 7.3.1: the Read STag (RSV) names where Data-In goes, the
 * Write STag (WSV) where the target reads the data-out from. */
static void dm_cmd_start(void *ctx, uint32_t itt, struct nx_ini_scsi *cmd)
{
	struct nx_ini_iser *it = ctx;
	struct cmd_reg *r = &it->cmds[itt & (CMD_SLOTS - 1)];
	struct nx_iser_hdr *h = &it->pend_hdr;

	if (r->used)
		reg_release(r);
	memset(h, 0, sizeof(*h));
	h->opcode = NX_ISER_OP_CONTROL;
	r->itt = itt;
	r->used = true;
	if (cmd->data_in_len > 0)
		r->in = nx_rdma_reg_mr(it->pd, cmd->data_in, cmd->data_in_len,
				       NX_RDMA_ACCESS_LOCAL_WRITE |
				       NX_RDMA_ACCESS_REMOTE_WRITE);
	if (cmd->data_out_len > 0)
		r->out = nx_rdma_reg_mr(it->pd,
					(uint8_t *)(uintptr_t)cmd->data_out,
					cmd->data_out_len,
					NX_RDMA_ACCESS_REMOTE_READ);
	if (r->in != NULL) {
		h->rsv = true;
		h->read_stag = nx_rdma_mr_rkey(r->in);
		h->read_va = nx_rdma_mr_iova(r->in);
	}
	if (r->out != NULL) {
		h->wsv = true;
		h->write_stag = nx_rdma_mr_rkey(r->out);
		h->write_va = nx_rdma_mr_iova(r->out);
	}
	it->pend = true;
	it->pend_itt = itt;
}

static void dm_cmd_end(void *ctx, uint32_t itt, struct nx_ini_scsi *cmd)
{
	struct nx_ini_iser *it = ctx;
	struct cmd_reg *r = &it->cmds[itt & (CMD_SLOTS - 1)];

	(void)cmd;
	if (r->used && r->itt == itt)
		reg_release(r);
}

const struct nx_ini_dm_ops nx_ini_iser_dm = { dm_cmd_start, dm_cmd_end };

/* ---- sending -------------------------------------------------------------------- */

void nx_ini_iser_disconnect(struct nx_ini_iser *it)
{
	if (it->closing || it->ended || it->id == NULL)
		return;
	it->closing = true;
	nx_rdma_cm_disconnect(it->id);
}

static void fail(struct nx_ini_iser *it, const char *why)
{
	if (!it->closing && !it->ended)
		nx_log(NX_LOG_WARN, "initiator iser: %s", why);
	nx_ini_iser_disconnect(it);
}

/* The header for this PDU: the pending STags if it is the SCSI Command
 * they were registered for. */
static void tx_header(struct nx_ini_iser *it, const struct nx_iovec *iov,
		      unsigned n, uint8_t *out)
{
	struct nx_iser_hdr h = { .opcode = NX_ISER_OP_CONTROL };
	const uint8_t *bhs = n > 0 && iov[0].len >= 48 ? iov[0].base : NULL;

	if (it->pend && bhs != NULL && (bhs[0] & 0x3f) == 0x01 &&
	    nx_get_be32(bhs + 16) == it->pend_itt) {
		h = it->pend_hdr;
		it->pend = false;
	}
	(void)nx_iser_hdr_encode(&h, out);
}

void nx_ini_iser_send(struct nx_ini_iser *it, const struct nx_iovec *iov,
		      unsigned n)
{
	struct nx_rdma_sge sge;
	struct nx_rdma_send_wr wr = { .opcode = NX_RDMA_WR_SEND, .num_sge = 1 };
	uint32_t idx, len = NX_ISER_HDR_LEN;
	uint8_t *buf;

	if (!it->established || it->ended || it->closing)
		return;
	if (it->tx_nfree == 0) {
		fail(it, "no transmit buffer left");
		return;
	}
	idx = it->tx_free[--it->tx_nfree];
	buf = it->tx + (size_t)idx * NX_ISER_MSG_MAX;
	tx_header(it, iov, n, buf);
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len > NX_ISER_MSG_MAX - len) {
			it->tx_free[it->tx_nfree++] = (uint16_t)idx;
			fail(it, "PDU larger than a message");
			return;
		}
		if (iov[i].len > 0)
			memcpy(buf + len, iov[i].base, iov[i].len);
		len += (uint32_t)iov[i].len;
	}
	sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(it->tx_mr) +
				    (uint64_t)idx * NX_ISER_MSG_MAX, len,
				    nx_rdma_mr_lkey(it->tx_mr) };
	wr.wr_id = WR_SEND << 32 | idx;
	wr.sg_list = &sge;
	if (nx_rdma_post_send(it->qp, &wr) != NX_OK) {
		it->tx_free[it->tx_nfree++] = (uint16_t)idx;
		fail(it, "SEND refused");
	}
}

/* ---- receiving -------------------------------------------------------------------- */

static int post_recv(struct nx_ini_iser *it, uint32_t idx)
{
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(it->rx_mr) +
				   (uint64_t)idx * NX_ISER_MSG_MAX,
				   NX_ISER_MSG_MAX, nx_rdma_mr_lkey(it->rx_mr) };
	struct nx_rdma_recv_wr wr = { WR_RECV << 32 | idx, &sge, 1 };

	return nx_rdma_post_recv(it->qp, &wr);
}

static void rx_message(struct nx_ini_iser *it, uint32_t idx, uint32_t len)
{
	const uint8_t *buf = it->rx + (size_t)idx * NX_ISER_MSG_MAX;
	struct nx_iser_hdr h;
	size_t hl;

	if (nx_iser_hdr_decode(buf, len, &h, &hl) != NX_OK ||
	    h.opcode != NX_ISER_OP_CONTROL) {
		fail(it, "bad iSER header from the target");
		return;
	}
	/* RFC 7145 9.2: the target sends no STags. */
	it->ops->rx(it->ctx, buf + hl, len - hl);
}

static void handle_wc(struct nx_ini_iser *it, const struct nx_rdma_wc *wc)
{
	uint32_t idx = (uint32_t)wc->wr_id;
	bool ok = wc->status == NX_RDMA_WC_SUCCESS;

	/* A flush we did not ask for means the QP died under us. */
	if (!ok)
		fail(it, "work request failed");
	if (wc->wr_id >> 32 == WR_SEND) {
		nx_assert(idx < NX_INI_ISER_TX_BUFS);
		it->tx_free[it->tx_nfree++] = (uint16_t)idx;
		return;
	}
	nx_assert(idx < NX_INI_ISER_RX_BUFS);
	if (!ok || it->ended)
		return;
	rx_message(it, idx, wc->byte_len);
	if (!it->ended && !it->closing && post_recv(it, idx) != NX_OK)
		fail(it, "receive refused");
}

static void cq_drain(struct nx_ini_iser *it)
{
	struct nx_rdma_wc wc[POLL_BATCH];
	unsigned n;

	do {
		n = nx_rdma_cq_poll(it->cq, wc, POLL_BATCH);
		for (unsigned i = 0; i < n; i++)
			handle_wc(it, &wc[i]);
	} while (n > 0);
}

static void cq_event(void *arg, struct nx_rdma_cq *cq)
{
	cq_drain(arg);
	nx_rdma_cq_arm(cq);
}

static void cm_event(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_ini_iser *it = ctx;

	if (it->ended)
		return;
	switch (ev->type) {
	case NX_RDMA_CM_ESTABLISHED:
		it->established = true;
		if (it->ops->established != NULL)
			it->ops->established(it->ctx);
		break;
	case NX_RDMA_CM_REJECTED:
	case NX_RDMA_CM_UNREACHABLE:
		it->ended = true;
		it->ops->closed(it->ctx, NX_INI_ECONNRESET);
		break;
	case NX_RDMA_CM_DISCONNECTED:
		/* What arrived before the disconnect (a Reject, a Logout
		 * Response) is delivered first. */
		cq_drain(it);
		it->ended = true;
		it->ops->closed(it->ctx, 0);
		break;
	default:
		break;
	}
}

/* ---- life ------------------------------------------------------------------------ */

static bool iser_resources(struct nx_ini_iser *it, struct nx_rdma_dev *dev)
{
	struct nx_rdma_qp_attr qa = { 0 };

	it->pd = nx_rdma_pd_new(dev);
	it->rx = nx_alloc((size_t)NX_INI_ISER_RX_BUFS * NX_ISER_MSG_MAX);
	it->tx = nx_alloc((size_t)NX_INI_ISER_TX_BUFS * NX_ISER_MSG_MAX);
	if (it->pd == NULL || it->rx == NULL || it->tx == NULL)
		return false;
	it->rx_mr = nx_rdma_reg_mr(it->pd, it->rx, (size_t)NX_INI_ISER_RX_BUFS *
				   NX_ISER_MSG_MAX, NX_RDMA_ACCESS_LOCAL_WRITE);
	it->tx_mr = nx_rdma_reg_mr(it->pd, it->tx, (size_t)NX_INI_ISER_TX_BUFS *
				   NX_ISER_MSG_MAX, 0);
	it->cq = nx_rdma_cq_new(dev, CQ_DEPTH, cq_event, it);
	if (it->rx_mr == NULL || it->tx_mr == NULL || it->cq == NULL)
		return false;
	qa.send_cq = qa.recv_cq = it->cq;
	qa.max_send_wr = SQ_DEPTH;
	qa.max_recv_wr = NX_INI_ISER_RX_BUFS;
	qa.max_rd_atomic = 16;
	qa.max_dest_rd_atomic = 16;  /* iSER-IRD: the target READs from us */
	qa.rnr_retry = 7;
	it->qp = nx_rdma_qp_new(it->pd, &qa);
	if (it->qp == NULL || nx_rdma_qp_modify(it->qp, NX_RDMA_QPS_INIT, NULL) != NX_OK)
		return false;
	for (uint32_t i = 0; i < NX_INI_ISER_TX_BUFS; i++)
		it->tx_free[it->tx_nfree++] = (uint16_t)(NX_INI_ISER_TX_BUFS - 1 - i);
	for (uint32_t i = 0; i < NX_INI_ISER_RX_BUFS; i++)
		if (post_recv(it, i) != NX_OK)
			return false;
	nx_rdma_cq_arm(it->cq);
	return true;
}

int nx_ini_iser_connect(struct nx_rdma_dev *dev, uint32_t dst_ipv4,
			uint16_t port, const struct nx_ini_iser_ops *ops,
			void *ctx, struct nx_ini_iser **out)
{
	/* RFC 7145 9.1: no zero-based addresses, no Send with Invalidate */
	static const uint8_t req[NX_ISER_CM_PRIV_LEN] = {
		NX_ISER_CM_ZBVA_NS | NX_ISER_CM_SIE_NS,
	};
	struct nx_ini_iser *it;
	int rc;

	nx_assert(ops != NULL && ops->rx != NULL && ops->closed != NULL);
	it = nx_alloc(sizeof(*it));
	if (it == NULL)
		return NX_ENOMEM;
	it->ops = ops;
	it->ctx = ctx;
	if (!iser_resources(it, dev)) {
		nx_ini_iser_free(it);
		return NX_ENOMEM;
	}
	rc = nx_rdma_cm_connect(dev, dst_ipv4, port, it->qp, req, sizeof(req),
				cm_event, it, &it->id);
	if (rc != NX_OK) {
		nx_ini_iser_free(it);
		return rc;
	}
	*out = it;
	return NX_OK;
}

bool nx_ini_iser_established(const struct nx_ini_iser *it)
{
	return it->established;
}

bool nx_ini_iser_ended(const struct nx_ini_iser *it)
{
	return it->ended;
}

void nx_ini_iser_free(struct nx_ini_iser *it)
{
	if (it == NULL)
		return;
	if (it->id != NULL)
		nx_rdma_cm_id_free(it->id);
	nx_rdma_qp_free(it->qp);
	nx_rdma_cq_free(it->cq);
	for (unsigned i = 0; i < CMD_SLOTS; i++)
		if (it->cmds[i].used)
			reg_release(&it->cmds[i]);
	nx_rdma_dereg_mr(it->rx_mr);
	nx_rdma_dereg_mr(it->tx_mr);
	nx_rdma_pd_free(it->pd);
	nx_free(it->rx);
	nx_free(it->tx);
	nx_free(it);
}
