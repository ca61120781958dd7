/*
 * target.c - the SRP target port (SRP r16a clause 5): RDMA channels made
 * by the CM, the login carried in the CM exchange, the I_T nexus of each
 * channel, credit-based flow control, logout either way and teardown.
 *
 * Login (SRP 5.3, 6.2-6.4): the initiator's CM REQ carries the login
 * request in the RDMA/CM layout (nx_srp.h); it is checked here, and the
 * answer is the CM's: accept with the SRP_LOGIN_RSP as REP private data,
 * or reject with the SRP_LOGIN_REJ as REJ private data.  That is what the
 * Linux SRP initiator and target do over RDMA/CM.  The I_T nexus is
 * (initiator port identifier, target port identifier); its SCSI port
 * names are "0x" + 32 hex digits of each.  One RDMA channel per I_T
 * nexus (multichannel is not supported): a login with MULTI-CHANNEL
 * ACTION 00b logs the nexus's old channel out (SRP_T_LOGOUT, reason 4)
 * and answers MULTI-CHANNEL RESULT 01b; one with 01b while a channel
 * exists is rejected (NX_SRP_REJ_NO_MULTI).
 *
 * Credits (SRP 5.5): the login grants NX_SRP_CREDITS; every SRP_CMD and
 * SRP_TSK_MGMT takes one; every SRP_RSP gives its request's back plus
 * those of requests that ended without a response (aborted tasks),
 * which otherwise go back at once in an SRP_CRED_REQ.  A request beyond
 * the limit is a protocol violation: SRP_T_LOGOUT.  SRP_AER_REQ is not
 * sent (unit attentions are reported on the next command, SAM-5 5.14).
 *
 * A new login of an I_T nexus that still has an older channel (live, so
 * MULTI-CHANNEL ACTION 00b logs it out, or already ending) is accepted
 * at once, but what arrives on the new channel waits, in order, until
 * the old channel's I_T nexus is gone: nx_nexus_shutdown has aborted
 * its tasks (SAM-5 6.3.4) and every one of them has left the backstore,
 * so none can still change the medium after a command of the new
 * channel ran -- what iSCSI's session reinstatement gives (RFC 7143
 * 6.3.5: the new login waits for the old session's tasks).
 *
 * Teardown (as transports/iser): whoever ends the channel goes through
 * the CM; the QP is then in ERROR and every posted WR comes back.  Only
 * when the CM said DISCONNECTED and no WR is outstanding does the I_T
 * nexus go (nx_nexus_shutdown aborts what is left), so no RDMA ever
 * touches a task's buffer after it is released.  A target-initiated
 * logout waits for its SRP_T_LOGOUT SEND to complete before the DREQ.
 */
#include "srp_internal.h"

#define POLL_BATCH 16u
#define TX_NONE 0xffffffffu

static bool send_iu(struct nx_srp_chan *ch, const uint8_t *iu, size_t len,
		    uint32_t *tx);

uint64_t srp_wr_id(enum srp_wr_kind kind, uint32_t idx)
{
	return (uint64_t)kind << 32 | idx;
}

bool srp_live(const struct nx_srp_chan *ch)
{
	return ch->state == CH_ACCEPTING || ch->state == CH_UP;
}

/* ---- ending ----------------------------------------------------------------- */

void srp_close(struct nx_srp_chan *ch, const char *why)
{
	if (ch->state == CH_CLOSING)
		return;
	if (why != NULL)
		nx_log(NX_LOG_WARN, "srp %s: closing: %s", ch->peer, why);
	ch->state = CH_CLOSING;
	nx_rdma_cm_disconnect(ch->id);
}

void srp_logout(struct nx_srp_chan *ch, uint32_t reason, const char *why)
{
	struct nx_srp_logout lo = { .type = NX_SRP_T_LOGOUT, .reason = reason };
	uint8_t iu[NX_SRP_LOGOUT_LEN];

	if (!srp_live(ch))
		return;
	if (ch->state == CH_ACCEPTING) {
		/* No SEND before the RTU puts the QP in RTS: later. */
		ch->logout_deferred = true;
		ch->logout_reason = reason;
		return;
	}
	nx_log(NX_LOG_WARN, "srp %s: SRP_T_LOGOUT reason %u: %s", ch->peer,
	       reason, why);
	(void)nx_srp_logout_encode(&lo, iu);
	if (!send_iu(ch, iu, sizeof(iu), &ch->logout_tx)) {
		srp_close(ch, NULL);
		return;
	}
	ch->state = CH_LOGGING_OUT;
}

static void target_unlist(struct nx_srp_chan *ch)
{
	struct nx_srp_target *t = ch->tgt;

	nx_assert(t->chans[ch->slot] == ch && t->nchans > 0);
	t->chans[ch->slot] = NULL;
	t->nchans--;
}

static void chan_free(struct nx_srp_chan *ch)
{
	nx_timer_free(ch->resume);
	nx_rdma_qp_free(ch->qp);
	nx_rdma_cq_free(ch->cq);
	nx_rdma_dereg_mr(ch->rx_mr);
	nx_rdma_dereg_mr(ch->tx_mr);
	nx_rdma_dereg_mr(ch->desc_mr);
	nx_rdma_pd_free(ch->pd);
	if (ch->id != NULL)
		nx_rdma_cm_id_free(ch->id);
	nx_free(ch->rx);
	nx_free(ch->tx);
	nx_free(ch->descs);
	nx_free(ch->reqs);
	nx_free(ch);
}

/* A channel of the I_T nexus of iport accepted before seq still exists. */
static bool older_exists(const struct nx_srp_target *t, const uint8_t *iport,
			 uint64_t seq)
{
	for (unsigned i = 0; i < NX_SRP_CHANNELS_MAX; i++) {
		const struct nx_srp_chan *o = t->chans[i];

		if (o != NULL && o->seq < seq &&
		    memcmp(o->iport, iport, NX_SRP_PORT_ID_LEN) == 0)
			return true;
	}
	return false;
}

/* A channel of iport's nexus is gone: the held channels of that nexus
 * with no older one left go on (from a timer: not inside the core's
 * shutdown callback). */
static void held_release(struct nx_srp_target *t, const uint8_t *iport)
{
	for (unsigned i = 0; i < NX_SRP_CHANNELS_MAX; i++) {
		struct nx_srp_chan *ch = t->chans[i];

		if (ch != NULL && ch->held &&
		    memcmp(ch->iport, iport, NX_SRP_PORT_ID_LEN) == 0 &&
		    !older_exists(t, iport, ch->seq))
			nx_timer_arm(ch->resume, 0);
	}
}

/* Every task drained (nx_nexus_shutdown's done): the channel goes. */
static void nexus_down(void *arg)
{
	struct nx_srp_chan *ch = arg;
	struct nx_srp_target *t = ch->tgt;
	void (*release)(void *ctx) = ch->release;
	void *rctx = ch->release_ctx;
	uint8_t iport[NX_SRP_PORT_ID_LEN];

	nx_assert(ch->reqs_used == 0);
	nx_nexus_free(ch->nexus);
	ch->nexus = NULL;
	target_unlist(ch);
	memcpy(iport, ch->iport, sizeof(iport));
	chan_free(ch);
	held_release(t, iport);
	if (release != NULL)
		release(rctx);
}

/* The QP is quiet: requests no WR will ever complete for again end
 * here, then the I_T nexus is lost (SAM-5 6.3.4). */
static void maybe_finish(struct nx_srp_chan *ch)
{
	if (!ch->disconnected || ch->outstanding > 0 || ch->told)
		return;
	ch->told = true;
	for (uint32_t i = 0; i < SRP_REQS; i++)
		if (ch->reqs[i].state != REQ_FREE)
			srp_req_quiesce(&ch->reqs[i]);
	/* May free ch before it returns. */
	nx_nexus_shutdown(ch->nexus, nexus_down, ch);
}

/* ---- sending ------------------------------------------------------------------ */

bool srp_post(struct nx_srp_chan *ch, uint64_t wr_id, uint8_t opcode,
	      const struct nx_rdma_sge *sge, uint64_t raddr, uint32_t rkey)
{
	struct nx_rdma_send_wr wr = { .wr_id = wr_id, .opcode = opcode,
				      .sg_list = sge, .num_sge = 1,
				      .remote_addr = raddr, .rkey = rkey };

	if (nx_rdma_post_send(ch->qp, &wr) != NX_OK)
		return false;
	ch->outstanding++;
	return true;
}

/* One IU in one SEND from a registered transmit buffer; *tx gets the
 * buffer's index. */
static bool send_iu(struct nx_srp_chan *ch, const uint8_t *iu, size_t len,
		    uint32_t *tx)
{
	struct nx_rdma_sge sge;
	uint32_t idx;

	nx_assert(len <= NX_SRP_MAX_TI_IU);
	if (ch->state == CH_CLOSING)
		return false;
	if (ch->tx_nfree == 0) {
		srp_close(ch, "no transmit buffer left");
		return false;
	}
	idx = ch->tx_free[--ch->tx_nfree];
	memcpy(ch->tx + (size_t)idx * NX_SRP_MAX_TI_IU, iu, len);
	sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(ch->tx_mr) +
				    (uint64_t)idx * NX_SRP_MAX_TI_IU,
				    (uint32_t)len, nx_rdma_mr_lkey(ch->tx_mr) };
	if (!srp_post(ch, srp_wr_id(SRP_WR_SEND, idx), NX_RDMA_WR_SEND, &sge,
		      0, 0)) {
		ch->tx_free[ch->tx_nfree++] = (uint16_t)idx;
		srp_close(ch, "SEND refused");
		return false;
	}
	*tx = idx;
	return true;
}

bool srp_send_iu(struct nx_srp_chan *ch, const uint8_t *iu, size_t len)
{
	uint32_t tx;

	return send_iu(ch, iu, len, &tx);
}

/* ---- credits (SRP 5.5) -------------------------------------------------------- */

bool srp_take_credit(struct nx_srp_chan *ch)
{
	if (ch->lim == 0) {
		srp_logout(ch, NX_SRP_LO_NONE, "request beyond the request limit");
		return false;
	}
	ch->lim--;
	return true;
}

uint32_t srp_rsp_delta(struct nx_srp_chan *ch)
{
	uint32_t delta = ch->owed + 1;

	ch->owed = 0;
	ch->lim += delta;
	nx_assert(ch->lim <= NX_SRP_CREDITS);
	return delta;
}

/* SRP 6.10: credits of requests that ended without a response go back
 * at once (the initiator may be waiting for them). */
void srp_flush_credits(struct nx_srp_chan *ch)
{
	struct nx_srp_treq r = { .type = NX_SRP_CRED_REQ };
	uint8_t iu[NX_SRP_CRED_LEN];

	if (ch->owed == 0 || !srp_live(ch) || ch->tmfs_pending > 0 ||
	    ch->treq_inflight >= NX_SRP_TREQ_MAX)
		return;
	r.req_lim_delta = ch->owed;
	r.tag = ++ch->treq_tag;
	(void)nx_srp_treq_encode(&r, iu, sizeof(iu));
	if (!srp_send_iu(ch, iu, sizeof(iu)))
		return;
	ch->lim += ch->owed;
	ch->owed = 0;
	ch->treq_inflight++;
}

/* ---- request slots ------------------------------------------------------------- */

struct srp_req *srp_req_alloc(struct nx_srp_chan *ch)
{
	uint16_t idx = ch->req_free;
	struct srp_req *req;

	if (idx == SRP_REQ_NONE)
		return NULL;
	req = &ch->reqs[idx];
	ch->req_free = req->next_free;
	memset(req, 0, sizeof(*req));
	req->ch = ch;
	req->desc = ch->descs + (size_t)idx * SRP_TABLE_BYTES;
	req->state = REQ_CORE;
	req->waiter = SRP_REQ_NONE;
	ch->reqs_used++;
	return req;
}

void srp_req_free(struct srp_req *req)
{
	struct nx_srp_chan *ch = req->ch;
	uint16_t idx = (uint16_t)(req - ch->reqs);

	nx_assert(req->state != REQ_FREE && req->inflight == 0);
	nx_assert(ch->reqs_used > 0);
	req->state = REQ_FREE;
	req->next_free = ch->req_free;
	ch->req_free = idx;
	ch->reqs_used--;
}

/* ---- receiving ------------------------------------------------------------------- */

static int post_recv(struct nx_srp_chan *ch, uint32_t idx)
{
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(ch->rx_mr) +
				   (uint64_t)idx * NX_SRP_MAX_IT_IU,
				   NX_SRP_MAX_IT_IU, nx_rdma_mr_lkey(ch->rx_mr) };
	struct nx_rdma_recv_wr wr = { srp_wr_id(SRP_WR_RECV, idx), &sge, 1 };
	int rc = nx_rdma_post_recv(ch->qp, &wr);

	if (rc == NX_OK)
		ch->outstanding++;
	return rc;
}

/* SRP_CRED_RSP / SRP_AER_RSP answer one of our requests. */
static void tresp_rx(struct nx_srp_chan *ch, const uint8_t *iu, uint32_t len)
{
	uint64_t tag;
	uint8_t type;

	if (nx_srp_tresp_decode(iu, len, &type, &tag) != NX_OK) {
		srp_logout(ch, NX_SRP_LO_NONE, "short SRP_CRED_RSP/AER_RSP");
		return;
	}
	if (ch->treq_inflight == 0 || tag == 0 || tag > ch->treq_tag) {
		srp_logout(ch, NX_SRP_LO_UNSOLICITED_RSP,
			   "response without a request");
		return;
	}
	ch->treq_inflight--;
}

static void rx_iu(struct nx_srp_chan *ch, const uint8_t *iu, uint32_t len)
{
	if (len == 0 || len > ch->max_it_iu) {
		srp_logout(ch, NX_SRP_LO_NONE, "IU length outside the login's");
		return;
	}
	switch (iu[0]) {
	case NX_SRP_CMD:
		srp_cmd_rx(ch, iu, len);
		break;
	case NX_SRP_TSK_MGMT:
		srp_tmf_rx(ch, iu, len);
		break;
	case NX_SRP_I_LOGOUT:
		/* SRP 6.5: the initiator ends the channel; no answer. */
		nx_log(NX_LOG_INFO, "srp %s: SRP_I_LOGOUT", ch->peer);
		srp_close(ch, NULL);
		break;
	case NX_SRP_CRED_RSP:
	case NX_SRP_AER_RSP:
		tresp_rx(ch, iu, len);
		break;
	default:
		/* A login over a channel, a target IU, or no IU at all. */
		srp_logout(ch, NX_SRP_LO_BAD_IU_TYPE, "invalid IU type");
		break;
	}
}

static void handle_wc(struct nx_srp_chan *ch, const struct nx_rdma_wc *wc)
{
	uint32_t kind = (uint32_t)(wc->wr_id >> 32), idx = (uint32_t)wc->wr_id;
	bool ok = wc->status == NX_RDMA_WC_SUCCESS;

	nx_assert(ch->outstanding > 0);
	ch->outstanding--;
	/* A flush we did not ask for means the QP died under us. */
	if (!ok)
		srp_close(ch, "work request failed");
	if (kind == SRP_WR_RECV) {
		nx_assert(idx < SRP_RX_BUFS);
		if (ok && ch->held && srp_live(ch)) {
			/* its buffer is posted again once it is handled */
			uint16_t at = (uint16_t)((ch->held_head + ch->held_n) %
						 SRP_RX_BUFS);

			nx_assert(ch->held_n < SRP_RX_BUFS);
			ch->held_rx[at] = (uint16_t)idx;
			ch->held_len[at] = (uint16_t)wc->byte_len;
			ch->held_n++;
			return;
		}
		if (ok && srp_live(ch))
			rx_iu(ch, ch->rx + (size_t)idx * NX_SRP_MAX_IT_IU,
			      wc->byte_len);
		if (ok && ch->state != CH_CLOSING && post_recv(ch, idx) != NX_OK)
			srp_close(ch, "receive refused");
	} else if (kind == SRP_WR_SEND) {
		nx_assert(idx < SRP_TX_BUFS && ch->tx_nfree < SRP_TX_BUFS);
		ch->tx_free[ch->tx_nfree++] = (uint16_t)idx;
		if (idx == ch->logout_tx) {
			ch->logout_tx = TX_NONE;
			srp_close(ch, NULL); /* SRP_T_LOGOUT is out */
		}
	} else {
		nx_assert((kind == SRP_WR_DATA || kind == SRP_WR_TABLE) &&
			  idx < SRP_REQS);
		srp_req_wc(&ch->reqs[idx], (enum srp_wr_kind)kind, ok);
	}
}

/* The older channel's nexus is gone: the held IUs are handled in the
 * order they came (more may arrive meanwhile and join the queue). */
static void held_resume(void *arg)
{
	struct nx_srp_chan *ch = arg;

	nx_assert(ch->held);
	while (ch->held_n > 0) {
		uint16_t idx = ch->held_rx[ch->held_head];
		uint16_t len = ch->held_len[ch->held_head];

		ch->held_head = (uint16_t)((ch->held_head + 1) % SRP_RX_BUFS);
		ch->held_n--;
		if (srp_live(ch))
			rx_iu(ch, ch->rx + (size_t)idx * NX_SRP_MAX_IT_IU, len);
		if (ch->state != CH_CLOSING && post_recv(ch, idx) != NX_OK)
			srp_close(ch, "receive refused");
	}
	ch->held = false;
	maybe_finish(ch); /* last: may free ch */
}

static void cq_event(void *arg, struct nx_rdma_cq *cq)
{
	struct nx_srp_chan *ch = arg;
	struct nx_rdma_wc wc[POLL_BATCH];
	unsigned n;

	do {
		n = nx_rdma_cq_poll(cq, wc, POLL_BATCH);
		for (unsigned i = 0; i < n; i++)
			handle_wc(ch, &wc[i]);
	} while (n > 0);
	nx_rdma_cq_arm(cq);
	maybe_finish(ch); /* last: may free ch */
}

static void cm_event(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_srp_chan *ch = ctx;

	switch (ev->type) {
	case NX_RDMA_CM_ESTABLISHED:
		if (ch->state != CH_ACCEPTING)
			break;
		ch->state = CH_UP;
		if (ch->logout_deferred)
			srp_logout(ch, ch->logout_reason, "deferred logout");
		break;
	case NX_RDMA_CM_UNREACHABLE: /* accepted, but no RTU ever came */
	case NX_RDMA_CM_DISCONNECTED:
		ch->state = CH_CLOSING;
		ch->disconnected = true;
		maybe_finish(ch);
		break;
	default:
		break;
	}
}

/* ---- login (SRP 5.3, 6.2 - 6.4) ---------------------------------------------------- */

static void login_reject(struct nx_rdma_cm_id *id, uint32_t reason,
			 uint64_t tag)
{
	struct nx_srp_login_rej rej = { .reason = reason, .tag = tag,
					.buf_fmt = NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD };
	uint8_t iu[NX_SRP_LOGIN_REJ_LEN];

	(void)nx_srp_login_rej_encode(&rej, iu);
	(void)nx_rdma_cm_reject(id, iu, sizeof(iu));
	nx_rdma_cm_id_free(id);
}

/* The checks SRP 6.2 leaves to the target; 0 or the SRP_LOGIN_REJ
 * reason. */
static uint32_t login_check(const struct nx_srp_target *t,
			    const struct nx_srp_login_req *req,
			    struct nx_srp_chan **old)
{
	*old = NULL;
	if (req->req_it_iu_len > NX_SRP_MAX_IT_IU)
		return NX_SRP_REJ_IU_TOO_LARGE;
	/* The smallest IU that carries a command with a buffer. */
	if (req->req_it_iu_len < NX_SRP_CMD_LEN + NX_SRP_DESC_LEN)
		return NX_SRP_REJ_UNABLE;
	if (req->req_buf_fmt & ~(NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD))
		return NX_SRP_REJ_BUF_FMT;
	if (memcmp(req->tport, t->cfg.port_id, NX_SRP_PORT_ID_LEN) != 0)
		return NX_SRP_REJ_ASSOCIATE;
	for (unsigned i = 0; i < NX_SRP_CHANNELS_MAX; i++) {
		struct nx_srp_chan *ch = t->chans[i];

		if (ch != NULL && srp_live(ch) &&
		    memcmp(ch->iport, req->iport, NX_SRP_PORT_ID_LEN) == 0)
			*old = ch;
	}
	if (*old != NULL && req->mca == NX_SRP_MCA_MULTI)
		return NX_SRP_REJ_NO_MULTI;
	if (req->mca > NX_SRP_MCA_MULTI)
		return NX_SRP_REJ_UNABLE; /* reserved action codes */
	if (t->nchans >= NX_SRP_CHANNELS_MAX)
		return NX_SRP_REJ_CHANNEL_LIMIT;
	return 0;
}

static bool chan_resources(struct nx_srp_chan *ch, struct nx_rdma_dev *dev)
{
	struct nx_rdma_qp_attr qa = { 0 };

	ch->pd = nx_rdma_pd_new(dev);
	ch->resume = nx_timer_new(held_resume, ch);
	ch->rx = nx_alloc((size_t)SRP_RX_BUFS * NX_SRP_MAX_IT_IU);
	ch->tx = nx_alloc((size_t)SRP_TX_BUFS * NX_SRP_MAX_TI_IU);
	ch->descs = nx_alloc((size_t)SRP_REQS * SRP_TABLE_BYTES);
	ch->reqs = nx_alloc(sizeof(*ch->reqs) * SRP_REQS);
	if (ch->pd == NULL || ch->resume == NULL || ch->rx == NULL ||
	    ch->tx == NULL || ch->descs == NULL || ch->reqs == NULL)
		return false;
	ch->rx_mr = nx_rdma_reg_mr(ch->pd, ch->rx, (size_t)SRP_RX_BUFS *
				   NX_SRP_MAX_IT_IU, NX_RDMA_ACCESS_LOCAL_WRITE);
	ch->tx_mr = nx_rdma_reg_mr(ch->pd, ch->tx, (size_t)SRP_TX_BUFS *
				   NX_SRP_MAX_TI_IU, 0);
	ch->desc_mr = nx_rdma_reg_mr(ch->pd, ch->descs, (size_t)SRP_REQS *
				     SRP_TABLE_BYTES, NX_RDMA_ACCESS_LOCAL_WRITE);
	ch->cq = nx_rdma_cq_new(dev, SRP_CQ_DEPTH, cq_event, ch);
	if (ch->rx_mr == NULL || ch->tx_mr == NULL || ch->desc_mr == NULL ||
	    ch->cq == NULL)
		return false;
	qa.send_cq = qa.recv_cq = ch->cq;
	qa.max_send_wr = SRP_SQ_DEPTH;
	qa.max_recv_wr = SRP_RX_BUFS;
	qa.max_rd_atomic = 16;
	qa.max_dest_rd_atomic = 16;
	qa.rnr_retry = 7;
	ch->qp = nx_rdma_qp_new(ch->pd, &qa);
	if (ch->qp == NULL)
		return false;
	for (uint32_t i = 0; i < SRP_TX_BUFS; i++)
		ch->tx_free[ch->tx_nfree++] = (uint16_t)(SRP_TX_BUFS - 1 - i);
	ch->req_free = SRP_REQ_NONE;
	for (uint32_t i = SRP_REQS; i-- > 0;) {
		ch->reqs[i].next_free = ch->req_free;
		ch->req_free = (uint16_t)i;
	}
	return nx_rdma_qp_modify(ch->qp, NX_RDMA_QPS_INIT, NULL) == NX_OK;
}

static bool chan_nexus(struct nx_srp_chan *ch, const struct nx_srp_login_req *req)
{
	char iname[2 + 2 * NX_SRP_PORT_ID_LEN + 1];

	memcpy(ch->iport, req->iport, NX_SRP_PORT_ID_LEN);
	nx_srp_port_name(req->iport, iname);
	ch->nexus = nx_nexus_new(ch->tgt->cfg.target, iname,
				 ch->tgt->tport_name,
				 ch->tgt->cfg.rtpi ? ch->tgt->cfg.rtpi : 1,
				 &srp_nexus_ops, ch);
	return ch->nexus != NULL;
}

/* Receive buffers first (an IU may follow the RTU at once), then the
 * REP with the SRP_LOGIN_RSP. */
static bool chan_start(struct nx_srp_chan *ch, const struct nx_srp_login_req *req,
		       uint8_t mcr)
{
	struct nx_srp_login_rsp rsp = {
		.req_lim_delta = NX_SRP_CREDITS, .tag = req->tag,
		.max_it_iu_len = req->req_it_iu_len,
		.max_ti_iu_len = NX_SRP_MAX_TI_IU,
		.buf_fmt = NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD, .mcr = mcr,
	};
	uint8_t iu[NX_SRP_LOGIN_RSP_LEN];

	for (uint32_t i = 0; i < SRP_RX_BUFS; i++)
		if (post_recv(ch, i) != NX_OK)
			return false;
	ch->max_it_iu = req->req_it_iu_len;
	ch->lim = NX_SRP_CREDITS;
	nx_rdma_cm_set_handler(ch->id, cm_event, ch);
	nx_rdma_cq_arm(ch->cq);
	(void)nx_srp_login_rsp_encode(&rsp, iu);
	return nx_rdma_cm_accept(ch->id, ch->qp, iu, sizeof(iu)) == NX_OK;
}

/* Nothing reached the fabric that could complete later: free at once. */
static void chan_abandon(struct nx_srp_chan *ch)
{
	if (ch->nexus != NULL)
		nx_nexus_free(ch->nexus);
	ch->id = NULL; /* freed by login_reject */
	chan_free(ch);
}

static struct nx_srp_chan *chan_new(struct nx_srp_target *t,
				    struct nx_rdma_cm_id *id,
				    const struct nx_srp_login_req *req,
				    uint8_t mcr)
{
	struct nx_srp_chan *ch = nx_alloc(sizeof(*ch));
	unsigned slot = 0;

	if (ch == NULL)
		return NULL;
	while (t->chans[slot] != NULL)
		slot++; /* login_check: fewer than NX_SRP_CHANNELS_MAX */
	ch->tgt = t;
	ch->id = id;
	ch->logout_tx = TX_NONE;
	nx_rdma_cm_addrs(id, ch->local, ch->peer, sizeof(ch->peer));
	if (!chan_resources(ch, nx_rdma_cm_dev(id)) || !chan_nexus(ch, req) ||
	    !chan_start(ch, req, mcr)) {
		chan_abandon(ch);
		return NULL;
	}
	ch->slot = slot;
	t->chans[slot] = ch;
	t->nchans++;
	return ch;
}

struct nx_srp_chan *nx_srp_accept(struct nx_srp_target *t,
				  struct nx_rdma_cm_id *id, const void *priv,
				  uint8_t priv_len, void (*release)(void *ctx),
				  void *ctx)
{
	struct nx_srp_login_req req;
	struct nx_srp_chan *ch, *old;
	uint32_t reason;

	nx_assert(t != NULL && id != NULL);
	if (priv == NULL ||
	    nx_srp_login_req_cm_decode(priv, priv_len, &req) != NX_OK) {
		nx_log(NX_LOG_WARN, "srp: CM REQ without a login request");
		login_reject(id, NX_SRP_REJ_UNABLE, 0);
		return NULL;
	}
	reason = login_check(t, &req, &old);
	if (reason != 0) {
		nx_log(NX_LOG_WARN, "srp: login rejected, reason %08x", reason);
		login_reject(id, reason, req.tag);
		return NULL;
	}
	ch = chan_new(t, id, &req, old != NULL ? NX_SRP_MCR_TERMINATED
					       : NX_SRP_MCR_NONE);
	if (ch == NULL) {
		nx_log(NX_LOG_WARN, "srp: cannot accept a login");
		login_reject(id, NX_SRP_REJ_RESOURCES, req.tag);
		return NULL;
	}
	ch->release = release;
	ch->release_ctx = ctx;
	ch->seq = ++t->logins;
	ch->held = older_exists(t, req.iport, ch->seq);
	/* SRP 6.2 MULTI-CHANNEL ACTION 00b: the nexus's old channel ends. */
	if (old != NULL)
		srp_logout(old, NX_SRP_LO_MULTI_CHANNEL, "replaced by a new login");
	return ch;
}

void nx_srp_chan_logout(struct nx_srp_chan *ch, uint32_t reason)
{
	srp_logout(ch, reason, "target logout");
}

void nx_srp_chan_disconnect(struct nx_srp_chan *ch)
{
	srp_close(ch, NULL);
}

/* ---- target port -------------------------------------------------------------------- */

struct nx_srp_target *nx_srp_target_new(const struct nx_srp_target_config *cfg)
{
	struct nx_srp_target *t;

	if (cfg == NULL || cfg->target == NULL)
		return NULL;
	t = nx_alloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	nx_srp_port_name(cfg->port_id, t->tport_name);
	return t;
}

bool nx_srp_target_busy(const struct nx_srp_target *t)
{
	return t->nchans > 0;
}

void nx_srp_target_free(struct nx_srp_target *t)
{
	if (t == NULL)
		return;
	nx_assert(t->nchans == 0);
	nx_free(t);
}
