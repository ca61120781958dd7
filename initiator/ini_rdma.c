/*
 * ini_rdma.c - the RC channel under the iSER and SRP initiators
 * (ini_rdma.h).
 */
#include "ini_rdma.h"

#define POLL_BATCH 16u
#define WR_RECV 1ull
#define WR_SEND 2ull

void nx_ini_rdma_disconnect(struct nx_ini_rdma *ch)
{
	if (ch->closing || ch->ended || ch->id == NULL)
		return;
	ch->closing = true;
	nx_rdma_cm_disconnect(ch->id);
}

void nx_ini_rdma_fail(struct nx_ini_rdma *ch, const char *why)
{
	if (!ch->closing && !ch->ended)
		nx_log(NX_LOG_WARN, "initiator %s: %s", ch->name, why);
	nx_ini_rdma_disconnect(ch);
}

/* ---- sending -------------------------------------------------------------------- */

uint8_t *nx_ini_rdma_tx_take(struct nx_ini_rdma *ch, uint32_t *idx)
{
	if (!ch->established || ch->ended || ch->closing)
		return NULL;
	if (ch->tx_nfree == 0) {
		nx_ini_rdma_fail(ch, "no transmit buffer left");
		return NULL;
	}
	*idx = ch->tx_free[--ch->tx_nfree];
	return ch->tx_buf + (size_t)*idx * ch->tx_len;
}

void nx_ini_rdma_tx_put(struct nx_ini_rdma *ch, uint32_t idx)
{
	nx_assert(ch->tx_nfree < ch->tx_bufs);
	ch->tx_free[ch->tx_nfree++] = (uint16_t)idx;
}

bool nx_ini_rdma_tx_post(struct nx_ini_rdma *ch, uint32_t idx, uint32_t len)
{
	struct nx_rdma_send_wr wr = { .opcode = NX_RDMA_WR_SEND, .num_sge = 1 };
	struct nx_rdma_sge sge;

	sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(ch->tx_mr) +
				    (uint64_t)idx * ch->tx_len,
				    len, nx_rdma_mr_lkey(ch->tx_mr) };
	wr.wr_id = WR_SEND << 32 | idx;
	wr.sg_list = &sge;
	if (nx_rdma_post_send(ch->qp, &wr) != NX_OK) {
		nx_ini_rdma_tx_put(ch, idx);
		nx_ini_rdma_fail(ch, "SEND refused");
		return false;
	}
	return true;
}

/* ---- receiving -------------------------------------------------------------------- */

static int post_recv(struct nx_ini_rdma *ch, uint32_t idx)
{
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(ch->rx_mr) +
				   (uint64_t)idx * ch->rx_len,
				   ch->rx_len, nx_rdma_mr_lkey(ch->rx_mr) };
	struct nx_rdma_recv_wr wr = { WR_RECV << 32 | idx, &sge, 1 };

	return nx_rdma_post_recv(ch->qp, &wr);
}

static void handle_wc(struct nx_ini_rdma *ch, const struct nx_rdma_wc *wc)
{
	uint32_t idx = (uint32_t)wc->wr_id;
	bool ok = wc->status == NX_RDMA_WC_SUCCESS;

	/* A flush we did not ask for means the QP died under us. */
	if (!ok)
		nx_ini_rdma_fail(ch, "work request failed");
	if (wc->wr_id >> 32 == WR_SEND) {
		nx_assert(idx < ch->tx_bufs);
		ch->tx_free[ch->tx_nfree++] = (uint16_t)idx;
		return;
	}
	nx_assert(idx < ch->rx_bufs);
	if (!ok || ch->ended)
		return;
	ch->rx(ch->owner, ch->rx_buf + (size_t)idx * ch->rx_len, wc->byte_len);
	if (!ch->ended && !ch->closing && post_recv(ch, idx) != NX_OK)
		nx_ini_rdma_fail(ch, "receive refused");
}

void nx_ini_rdma_drain(struct nx_ini_rdma *ch)
{
	struct nx_rdma_wc wc[POLL_BATCH];
	unsigned n;

	do {
		n = nx_rdma_cq_poll(ch->cq, wc, POLL_BATCH);
		for (unsigned i = 0; i < n; i++)
			handle_wc(ch, &wc[i]);
	} while (n > 0);
}

static void cq_event(void *arg, struct nx_rdma_cq *cq)
{
	nx_ini_rdma_drain(arg);
	nx_rdma_cq_arm(cq);
}

/* ---- life ------------------------------------------------------------------------ */

bool nx_ini_rdma_setup(struct nx_ini_rdma *ch, struct nx_rdma_dev *dev)
{
	struct nx_rdma_qp_attr qa = { 0 };
	size_t rxlen = (size_t)ch->rx_bufs * ch->rx_len;
	size_t txlen = (size_t)ch->tx_bufs * ch->tx_len;

	nx_assert(ch->rx != NULL && ch->tx_bufs <= NX_INI_RDMA_TX_MAX);
	ch->pd = nx_rdma_pd_new(dev);
	ch->rx_buf = nx_alloc(rxlen);
	ch->tx_buf = nx_alloc(txlen);
	if (ch->pd == NULL || ch->rx_buf == NULL || ch->tx_buf == NULL)
		return false;
	ch->rx_mr = nx_rdma_reg_mr(ch->pd, ch->rx_buf, rxlen,
				   NX_RDMA_ACCESS_LOCAL_WRITE);
	ch->tx_mr = nx_rdma_reg_mr(ch->pd, ch->tx_buf, txlen, 0);
	ch->cq = nx_rdma_cq_new(dev, ch->tx_bufs + ch->rx_bufs, cq_event, ch);
	if (ch->rx_mr == NULL || ch->tx_mr == NULL || ch->cq == NULL)
		return false;
	qa.send_cq = qa.recv_cq = ch->cq;
	qa.max_send_wr = ch->tx_bufs;
	qa.max_recv_wr = ch->rx_bufs;
	qa.max_rd_atomic = 16;
	qa.max_dest_rd_atomic = 16;  /* the target READs from us */
	qa.rnr_retry = 7;
	ch->qp = nx_rdma_qp_new(ch->pd, &qa);
	if (ch->qp == NULL || nx_rdma_qp_modify(ch->qp, NX_RDMA_QPS_INIT, NULL) != NX_OK)
		return false;
	for (uint32_t i = 0; i < ch->tx_bufs; i++)
		ch->tx_free[ch->tx_nfree++] = (uint16_t)(ch->tx_bufs - 1 - i);
	for (uint32_t i = 0; i < ch->rx_bufs; i++)
		if (post_recv(ch, i) != NX_OK)
			return false;
	nx_rdma_cq_arm(ch->cq);
	return true;
}

void nx_ini_rdma_free_qp(struct nx_ini_rdma *ch)
{
	if (ch->id != NULL)
		nx_rdma_cm_id_free(ch->id);
	ch->id = NULL;
	nx_rdma_qp_free(ch->qp);
	ch->qp = NULL;
}

/* After the owner released its own registrations (the PD must be
 * empty). */
void nx_ini_rdma_free(struct nx_ini_rdma *ch)
{
	nx_rdma_cq_free(ch->cq);
	ch->cq = NULL;
	nx_rdma_dereg_mr(ch->rx_mr);
	nx_rdma_dereg_mr(ch->tx_mr);
	ch->rx_mr = ch->tx_mr = NULL;
	nx_rdma_pd_free(ch->pd);
	ch->pd = NULL;
	nx_free(ch->rx_buf);
	nx_free(ch->tx_buf);
	ch->rx_buf = ch->tx_buf = NULL;
}
