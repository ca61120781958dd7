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
#include "ini_rdma.h"
#include "../transports/iser/nx_iser.h"
#include "../core/nx_wire.h"

#define CMD_SLOTS 256u

struct cmd_reg {
	uint32_t itt;
	bool used;
	struct nx_rdma_mr *in, *out;
};

struct nx_ini_iser {
	const struct nx_ini_iser_ops *ops;
	void *ctx;
	struct nx_ini_rdma ch;      /* QP, buffers, completions (ini_rdma.h) */
	struct cmd_reg cmds[CMD_SLOTS];
	/* the STags for the SCSI Command PDU that is sent next */
	bool pend;
	uint32_t pend_itt;
	struct nx_iser_hdr pend_hdr;
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
		r->in = nx_rdma_reg_mr(it->ch.pd, cmd->data_in, cmd->data_in_len,
				       NX_RDMA_ACCESS_LOCAL_WRITE |
				       NX_RDMA_ACCESS_REMOTE_WRITE);
	if (cmd->data_out_len > 0)
		r->out = nx_rdma_reg_mr(it->ch.pd,
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
	nx_ini_rdma_disconnect(&it->ch);
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
	uint32_t idx, len = NX_ISER_HDR_LEN;
	uint8_t *buf = nx_ini_rdma_tx_take(&it->ch, &idx);

	if (buf == NULL)
		return;
	tx_header(it, iov, n, buf);
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len > NX_ISER_MSG_MAX - len) {
			nx_ini_rdma_tx_put(&it->ch, idx);
			nx_ini_rdma_fail(&it->ch, "PDU larger than a message");
			return;
		}
		if (iov[i].len > 0)
			memcpy(buf + len, iov[i].base, iov[i].len);
		len += (uint32_t)iov[i].len;
	}
	(void)nx_ini_rdma_tx_post(&it->ch, idx, len);
}

/* ---- receiving -------------------------------------------------------------------- */

static void rx_message(void *owner, const uint8_t *buf, uint32_t len)
{
	struct nx_ini_iser *it = owner;
	struct nx_iser_hdr h;
	size_t hl;

	if (nx_iser_hdr_decode(buf, len, &h, &hl) != NX_OK ||
	    h.opcode != NX_ISER_OP_CONTROL) {
		nx_ini_rdma_fail(&it->ch, "bad iSER header from the target");
		return;
	}
	/* RFC 7145 9.2: the target sends no STags. */
	it->ops->rx(it->ctx, buf + hl, len - hl);
}

static void cm_event(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_ini_iser *it = ctx;

	if (it->ch.ended)
		return;
	switch (ev->type) {
	case NX_RDMA_CM_ESTABLISHED:
		it->ch.established = true;
		if (it->ops->established != NULL)
			it->ops->established(it->ctx);
		break;
	case NX_RDMA_CM_REJECTED:
	case NX_RDMA_CM_UNREACHABLE:
		it->ch.ended = true;
		it->ops->closed(it->ctx, NX_INI_ECONNRESET);
		break;
	case NX_RDMA_CM_DISCONNECTED:
		/* What arrived before the disconnect (a Reject, a Logout
		 * Response) is delivered first. */
		nx_ini_rdma_drain(&it->ch);
		it->ch.ended = true;
		it->ops->closed(it->ctx, 0);
		break;
	default:
		break;
	}
}

/* ---- life ------------------------------------------------------------------------ */

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
	it->ch = (struct nx_ini_rdma){
		.name = "iser", .owner = it, .rx = rx_message,
		.rx_bufs = NX_INI_ISER_RX_BUFS, .rx_len = NX_ISER_MSG_MAX,
		.tx_bufs = NX_INI_ISER_TX_BUFS, .tx_len = NX_ISER_MSG_MAX,
	};
	if (!nx_ini_rdma_setup(&it->ch, dev)) {
		nx_ini_iser_free(it);
		return NX_ENOMEM;
	}
	rc = nx_rdma_cm_connect(dev, dst_ipv4, port, it->ch.qp, req, sizeof(req),
				cm_event, it, &it->ch.id);
	if (rc != NX_OK) {
		nx_ini_iser_free(it);
		return rc;
	}
	*out = it;
	return NX_OK;
}

bool nx_ini_iser_established(const struct nx_ini_iser *it)
{
	return it->ch.established;
}

bool nx_ini_iser_ended(const struct nx_ini_iser *it)
{
	return it->ch.ended;
}

void nx_ini_iser_free(struct nx_ini_iser *it)
{
	if (it == NULL)
		return;
	nx_ini_rdma_free_qp(&it->ch);
	for (unsigned i = 0; i < CMD_SLOTS; i++)
		if (it->cmds[i].used)
			reg_release(&it->cmds[i]);
	nx_ini_rdma_free(&it->ch);
	nx_free(it);
}
