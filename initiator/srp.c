/*
 * srp.c - the SRP initiator port (nx_ini_srp.h; SRP r16a).
 *
 * The mirror image of transports/srp: receive buffers posted before the
 * CM connects (the first SRP_RSP may follow the RTU at once), the login
 * request in the CM REQ, its answer in the REP (or REJ).  Each request
 * has a slot; its tag is generation << 8 | slot, so an answer finds it
 * in O(1) and a late answer never matches a reused slot.  Per SCSI
 * command the data buffers are registered for the target's RDMA
 * (data-in: remote write, data-out: remote read) and, in the table
 * mode, a descriptor table for its RDMA READ; they are released when
 * the command is over.
 *
 * Credits (SRP 5.5): lim starts at the login's REQUEST LIMIT DELTA and
 * grows with every SRP_RSP / SRP_CRED_REQ / SRP_AER_REQ delta; each
 * request takes one.  Commands leave the last credit to TMFs and wait
 * in slot order (FIFO by submission) while there is none.
 */
#include "nx_ini_srp.h"
#include "ini_rdma.h"
#include "../core/nx_wire.h"

#define TABLE_LEN (NX_INI_SRP_SPLIT_MAX * NX_SRP_DESC_LEN)

enum slot_kind { SL_FREE = 0, SL_SCSI, SL_TMF };
enum slot_state { SL_WAITING = 1, SL_SENT };

struct slot {
	uint8_t kind, state;
	uint32_t gen;
	uint64_t tag;
	uint64_t seq;              /* submission order */
	struct nx_ini_scsi *cmd;
	struct nx_ini_srp_tmf *tmf;
	struct nx_rdma_mr *in_mr, *out_mr, *tbl_mr;
	uint8_t table[2 * TABLE_LEN]; /* data-out list, then data-in */
};

struct nx_ini_srp {
	const struct nx_ini_srp_ops *ops;
	void *ctx;
	struct nx_ini_srp_config cfg;
	struct nx_ini_rdma ch;      /* QP, buffers, completions (ini_rdma.h) */
	struct slot *slots;
	unsigned used, waiting;
	uint64_t seq;
	uint32_t lim;
	struct nx_srp_login_rsp login;
	struct nx_srp_login_rej rej;
	struct nx_ini_srp_stats stats;
};

/* ---- ending ----------------------------------------------------------------- */

void nx_ini_srp_disconnect(struct nx_ini_srp *it)
{
	nx_ini_rdma_disconnect(&it->ch);
}

static void fail(struct nx_ini_srp *it, const char *why)
{
	nx_ini_rdma_fail(&it->ch, why);
}

static void slot_release(struct nx_ini_srp *it, struct slot *sl)
{
	if (sl->state == SL_WAITING) {
		nx_assert(it->waiting > 0);
		it->waiting--;
	}
	sl->state = 0;
	nx_rdma_dereg_mr(sl->in_mr);
	nx_rdma_dereg_mr(sl->out_mr);
	nx_rdma_dereg_mr(sl->tbl_mr);
	sl->in_mr = sl->out_mr = sl->tbl_mr = NULL;
	sl->kind = SL_FREE;
	sl->cmd = NULL;
	sl->tmf = NULL;
	nx_assert(it->used > 0);
	it->used--;
}

/* Completes a request (its done() may submit more). */
static void slot_finish(struct nx_ini_srp *it, struct slot *sl, int err)
{
	struct nx_ini_scsi *cmd = sl->cmd;
	struct nx_ini_srp_tmf *tmf = sl->tmf;

	slot_release(it, sl);
	if (cmd != NULL) {
		cmd->err = err;
		cmd->done(cmd);
	} else if (tmf != NULL) {
		tmf->err = err;
		tmf->done(tmf);
	}
}

static void fail_all(struct nx_ini_srp *it, int err)
{
	for (unsigned i = 0; i < NX_INI_SRP_SLOTS; i++)
		if (it->slots[i].kind != SL_FREE)
			slot_finish(it, &it->slots[i], err);
}

/* ---- sending ------------------------------------------------------------------ */

static bool tx_post(struct nx_ini_srp *it, uint32_t idx, size_t len)
{
	if (len == 0 || len > it->login.max_it_iu_len) {
		nx_ini_rdma_tx_put(&it->ch, idx);
		fail(it, "IU larger than the login allows");
		return false;
	}
	return nx_ini_rdma_tx_post(&it->ch, idx, (uint32_t)len);
}

static bool send_iu(struct nx_ini_srp *it, const uint8_t *iu, size_t len)
{
	uint32_t idx;
	uint8_t *buf = nx_ini_rdma_tx_take(&it->ch, &idx);

	if (buf == NULL)
		return false;
	memcpy(buf, iu, NX_MIN(len, (size_t)it->cfg.req_it_iu_len));
	return tx_post(it, idx, len);
}

/* The buffer's descriptor: one direct descriptor, or `split` pieces
 * (the last takes the remainder) inline or in the slot's table. */
static bool make_dbuf(struct nx_ini_srp *it, struct slot *sl,
		      struct nx_rdma_mr *mr, uint32_t len, uint8_t *table,
		      struct nx_srp_dbuf *b)
{
	const struct nx_ini_srp_config *cfg = &it->cfg;
	unsigned k = NX_MIN((unsigned)cfg->split, (unsigned)len);
	uint32_t piece, off = 0;

	b->table = (struct nx_srp_desc){ nx_rdma_mr_iova(mr),
					 nx_rdma_mr_rkey(mr), len };
	b->total = len;
	if (cfg->desc_mode == NX_INI_SRP_DIRECT || k <= 1) {
		b->fmt = NX_SRP_FMT_DIRECT;
		return true;
	}
	piece = len / k;
	for (unsigned i = 0; i < k; i++) {
		struct nx_srp_desc d = { nx_rdma_mr_iova(mr) + off,
					 nx_rdma_mr_rkey(mr),
					 i + 1 == k ? len - off : piece };

		nx_srp_desc_put(table, i, &d);
		off += d.len;
	}
	/* SRP 6.8: the table descriptor names the whole list in our
	 * memory (the target fetches it when the IU holds only part). */
	if (sl->tbl_mr == NULL)
		sl->tbl_mr = nx_rdma_reg_mr(it->ch.pd, sl->table, sizeof(sl->table),
					    NX_RDMA_ACCESS_REMOTE_READ);
	if (sl->tbl_mr == NULL)
		return false;
	b->fmt = NX_SRP_FMT_INDIRECT;
	b->inline_desc = table;
	b->count = cfg->desc_mode == NX_INI_SRP_TABLE
		   ? NX_MIN(cfg->inline_max, (uint8_t)(k - 1)) : (uint8_t)k;
	b->table = (struct nx_srp_desc){
		nx_rdma_mr_iova(sl->tbl_mr) + (uint64_t)(table - sl->table),
		nx_rdma_mr_rkey(sl->tbl_mr), k * NX_SRP_DESC_LEN };
	return true;
}

/* SRP 6.8 task attributes from the iSCSI-style request values. */
static uint8_t srp_attr(uint8_t attr)
{
	switch (attr) {
	case NX_INI_ATTR_ORDERED:
		return NX_SRP_ATTR_ORDERED;
	case NX_INI_ATTR_HEAD_OF_QUEUE:
		return NX_SRP_ATTR_HEAD_OF_QUEUE;
	case NX_INI_ATTR_ACA:
		return NX_SRP_ATTR_ACA;
	default:
		return NX_SRP_ATTR_SIMPLE;
	}
}

static bool send_cmd(struct nx_ini_srp *it, struct slot *sl)
{
	struct nx_ini_scsi *cmd = sl->cmd;
	uint8_t cdb[16 + NX_SRP_ADD_CDB_MAX];
	struct nx_srp_cmd c = { .tag = sl->tag, .lun = cmd->lun,
				.attr = srp_attr(cmd->attr), .cdb = cdb };
	uint32_t idx;
	uint8_t *buf;
	size_t len;

	memset(cdb, 0, sizeof(cdb));
	memcpy(cdb, cmd->cdb, cmd->cdb_len);
	c.cdb_len = (uint8_t)(cmd->cdb_len <= 16 ? 16 : (cmd->cdb_len + 3u) & ~3u);
	if (sl->out_mr != NULL &&
	    !make_dbuf(it, sl, sl->out_mr, cmd->data_out_len, sl->table, &c.out))
		return false;
	if (sl->in_mr != NULL &&
	    !make_dbuf(it, sl, sl->in_mr, cmd->data_in_len, sl->table + TABLE_LEN,
		       &c.in))
		return false;
	buf = nx_ini_rdma_tx_take(&it->ch, &idx);
	if (buf == NULL)
		return false;
	len = nx_srp_cmd_encode(&c, buf, it->login.max_it_iu_len);
	return tx_post(it, idx, len);
}

static bool send_tmf(struct nx_ini_srp *it, struct slot *sl)
{
	struct nx_srp_tsk_mgmt m = { .tag = sl->tag, .lun = sl->tmf->lun,
				     .fn = sl->tmf->fn,
				     .task_tag = sl->tmf->task_tag };
	uint8_t iu[NX_SRP_TSK_MGMT_LEN];

	(void)nx_srp_tsk_mgmt_encode(&m, iu);
	return send_iu(it, iu, sizeof(iu));
}

/* The oldest waiting request of a kind. */
static struct slot *oldest(struct nx_ini_srp *it, uint8_t kind)
{
	struct slot *next = NULL;

	for (unsigned i = 0; i < NX_INI_SRP_SLOTS; i++) {
		struct slot *sl = &it->slots[i];

		if (sl->kind == kind && sl->state == SL_WAITING &&
		    (next == NULL || sl->seq < next->seq))
			next = sl;
	}
	return next;
}

/* Sends waiting requests while credits last: TMFs first (they may use
 * the last credit), then commands oldest first.  Each pass sends one or
 * returns, so it is bounded by the slot count. */
static void pump(struct nx_ini_srp *it)
{
	bool any = it->cfg.ignore_credits;

	while (it->waiting > 0 && (it->lim > 0 || any)) {
		struct slot *next = oldest(it, SL_TMF);
		bool ok;

		if (next == NULL && (it->lim >= 2 || any))
			next = oldest(it, SL_SCSI);
		if (next == NULL)
			return;
		if (it->lim > 0)
			it->lim--;
		it->waiting--;
		next->state = SL_SENT;
		if (next->kind == SL_SCSI) {
			next->cmd->sent = true;
			ok = send_cmd(it, next);
		} else {
			ok = send_tmf(it, next);
		}
		if (!ok) {
			slot_finish(it, next, NX_INI_ECONNRESET);
			fail(it, "cannot send a request");
			return;
		}
	}
}

static struct slot *slot_alloc(struct nx_ini_srp *it, uint8_t kind)
{
	for (unsigned i = 0; i < NX_INI_SRP_SLOTS; i++) {
		struct slot *sl = &it->slots[i];

		if (sl->kind != SL_FREE)
			continue;
		sl->kind = kind;
		sl->state = SL_WAITING;
		sl->gen = (sl->gen + 1) & 0xffffffu;
		sl->tag = (uint64_t)sl->gen << 8 | i;
		sl->seq = ++it->seq;
		it->used++;
		it->waiting++;
		return sl;
	}
	return NULL;
}

int nx_ini_srp_scsi_submit(struct nx_ini_srp *it, struct nx_ini_scsi *cmd)
{
	struct slot *sl;

	if (!it->ch.established || it->ch.ended || it->ch.closing || cmd == NULL ||
	    cmd->done == NULL || cmd->cdb_len == 0 ||
	    cmd->cdb_len > 16 + NX_SRP_ADD_CDB_MAX)
		return NX_EINVAL;
	sl = slot_alloc(it, SL_SCSI);
	if (sl == NULL)
		return NX_EAGAIN;
	sl->cmd = cmd;
	cmd->err = 0;
	cmd->status = cmd->flags = cmd->response = 0;
	cmd->residual = cmd->bidi_residual = cmd->data_in_got = 0;
	cmd->sense_len = 0;
	cmd->sent = false;
	cmd->itt = (uint32_t)sl->tag;
	if (cmd->data_in_len > 0)
		sl->in_mr = nx_rdma_reg_mr(it->ch.pd, cmd->data_in, cmd->data_in_len,
					   NX_RDMA_ACCESS_LOCAL_WRITE |
					   NX_RDMA_ACCESS_REMOTE_WRITE);
	if (cmd->data_out_len > 0)
		sl->out_mr = nx_rdma_reg_mr(it->ch.pd, (void *)(uintptr_t)cmd->data_out,
					    cmd->data_out_len,
					    NX_RDMA_ACCESS_REMOTE_READ);
	if ((cmd->data_in_len > 0 && sl->in_mr == NULL) ||
	    (cmd->data_out_len > 0 && sl->out_mr == NULL)) {
		slot_release(it, sl);
		return NX_EINVAL;
	}
	pump(it);
	return NX_OK;
}

int nx_ini_srp_tmf_submit(struct nx_ini_srp *it, struct nx_ini_srp_tmf *t)
{
	struct slot *sl;

	if (!it->ch.established || it->ch.ended || it->ch.closing || t == NULL ||
	    t->done == NULL)
		return NX_EINVAL;
	sl = slot_alloc(it, SL_TMF);
	if (sl == NULL)
		return NX_EAGAIN;
	sl->tmf = t;
	t->err = 0;
	t->rsp_code = 0;
	t->tag = sl->tag;
	pump(it);
	return NX_OK;
}

bool nx_ini_srp_cancel(struct nx_ini_srp *it, uint64_t tag)
{
	struct slot *sl = &it->slots[tag & 0xff];

	if (sl->kind == SL_FREE || sl->tag != tag)
		return false;
	slot_finish(it, sl, NX_INI_ECANCELED);
	return true;
}

int nx_ini_srp_send_raw(struct nx_ini_srp *it, const void *iu, size_t len,
			bool take_credit)
{
	if (take_credit && it->lim > 0)
		it->lim--;
	return send_iu(it, iu, len) ? NX_OK : NX_EINVAL;
}

void nx_ini_srp_logout(struct nx_ini_srp *it)
{
	struct nx_srp_logout lo = { .type = NX_SRP_I_LOGOUT };
	uint8_t iu[NX_SRP_LOGOUT_LEN];

	(void)nx_srp_logout_encode(&lo, iu);
	(void)send_iu(it, iu, sizeof(iu));
	nx_ini_srp_disconnect(it);
}

/* ---- receiving ----------------------------------------------------------------- */

static void add_credits(struct nx_ini_srp *it, uint32_t delta)
{
	/* Bounded: no target grants more than our slots can use. */
	it->lim = (uint32_t)NX_MIN((uint64_t)it->lim + delta,
				   (uint64_t)NX_INI_SRP_SLOTS);
	if (it->lim > it->stats.credits_max)
		it->stats.credits_max = it->lim;
}

/* SRP 6.9 residual flags, in the iSCSI initiator's terms (a write's
 * residual in residual; with both buffers the read's in bidi_residual). */
static void cmd_residuals(struct nx_ini_scsi *cmd, const struct nx_srp_rsp *r)
{
	bool in = cmd->data_in_len > 0, out = cmd->data_out_len > 0;
	uint8_t f = r->flags;

	if (f & (NX_SRP_DOUNDER | NX_SRP_DOOVER) && (out || !in)) {
		cmd->flags |= f & NX_SRP_DOUNDER ? NX_INI_RSP_UNDERFLOW
						 : NX_INI_RSP_OVERFLOW;
		cmd->residual = r->do_resid;
	}
	if (f & (NX_SRP_DIUNDER | NX_SRP_DIOVER)) {
		if (out && in) {
			cmd->flags |= f & NX_SRP_DIUNDER ? NX_INI_RSP_BIDI_UNDERFLOW
							 : NX_INI_RSP_BIDI_OVERFLOW;
			cmd->bidi_residual = r->di_resid;
		} else if (in || !out) {
			cmd->flags |= f & NX_SRP_DIUNDER ? NX_INI_RSP_UNDERFLOW
							 : NX_INI_RSP_OVERFLOW;
			cmd->residual = r->di_resid;
		}
	}
	cmd->data_in_got = cmd->data_in_len;
	if ((f & NX_SRP_DIUNDER) && r->di_resid <= cmd->data_in_len)
		cmd->data_in_got = cmd->data_in_len - r->di_resid;
}

static bool tmf_affects(const struct slot *t, const struct slot *sl)
{
	const struct nx_ini_srp_tmf *tmf = sl->tmf;

	if (t->kind != SL_SCSI || t->state != SL_SENT || t->seq > sl->seq)
		return false;
	switch (tmf->fn) {
	case NX_SRP_TMF_ABORT_TASK:
		return t->tag == tmf->task_tag && t->cmd->lun == tmf->lun;
	case NX_SRP_TMF_ABORT_TASK_SET:
	case NX_SRP_TMF_CLEAR_TASK_SET:
	case NX_SRP_TMF_LUN_RESET:
		return t->cmd->lun == tmf->lun;
	default:
		return false;
	}
}

static void rsp_rx(struct nx_ini_srp *it, const uint8_t *iu, uint32_t len)
{
	struct nx_srp_rsp r;
	struct slot *sl;

	if (nx_srp_rsp_decode(iu, len, &r) != NX_OK) {
		fail(it, "malformed SRP_RSP");
		return;
	}
	add_credits(it, r.req_lim_delta);
	sl = &it->slots[r.tag & 0xff];
	if (r.tag >> 32 != 0 || sl->kind == SL_FREE || sl->tag != r.tag ||
	    sl->state != SL_SENT) {
		it->stats.unknown_tags++;
		if (it->ops->unknown_rsp != NULL)
			it->ops->unknown_rsp(it->ctx, &r);
		return;
	}
	if (sl->kind == SL_TMF) {
		sl->tmf->rsp_code = (r.flags & NX_SRP_RSPVALID) ? r.rsp_code : 0;
		if (sl->tmf->rsp_code == NX_SRP_RSP_COMPLETE)
			for (unsigned i = 0; i < NX_INI_SRP_SLOTS; i++)
				if (tmf_affects(&it->slots[i], sl))
					slot_finish(it, &it->slots[i],
						    NX_INI_EABORTED);
		slot_finish(it, sl, 0);
		return;
	}
	sl->cmd->status = r.status;
	sl->cmd->sense_len = (uint16_t)NX_MIN(r.sense_len, (uint32_t)NX_INI_SENSE_MAX);
	if (sl->cmd->sense_len > 0)
		memcpy(sl->cmd->sense, r.sense, sl->cmd->sense_len);
	cmd_residuals(sl->cmd, &r);
	slot_finish(it, sl, 0);
}

/* SRP_CRED_REQ / SRP_AER_REQ: credits, and the response SRP requires. */
static void treq_rx(struct nx_ini_srp *it, const uint8_t *iu, uint32_t len)
{
	struct nx_srp_treq r;
	uint8_t out[NX_SRP_CRED_LEN];

	if (nx_srp_treq_decode(iu, len, &r) != NX_OK) {
		fail(it, "malformed SRP_CRED_REQ/AER_REQ");
		return;
	}
	add_credits(it, r.req_lim_delta);
	if (r.type == NX_SRP_CRED_REQ)
		it->stats.cred_reqs++;
	else
		it->stats.aer_reqs++;
	(void)nx_srp_tresp_encode(r.type == NX_SRP_CRED_REQ ? NX_SRP_CRED_RSP
							   : NX_SRP_AER_RSP,
				  r.tag, out);
	(void)send_iu(it, out, sizeof(out));
}

static void rx_iu(void *owner, const uint8_t *iu, uint32_t len)
{
	struct nx_ini_srp *it = owner;
	struct nx_srp_logout lo;

	switch (len > 0 ? iu[0] : 0xff) {
	case NX_SRP_RSP:
		rsp_rx(it, iu, len);
		break;
	case NX_SRP_CRED_REQ:
	case NX_SRP_AER_REQ:
		treq_rx(it, iu, len);
		break;
	case NX_SRP_T_LOGOUT:
		/* SRP 6.6: the target ends the channel (its DREQ follows). */
		it->stats.t_logouts++;
		if (nx_srp_logout_decode(iu, len, &lo) == NX_OK)
			it->stats.t_logout_reason = lo.reason;
		nx_log(NX_LOG_INFO, "initiator srp: SRP_T_LOGOUT reason %u",
		       it->stats.t_logout_reason);
		break;
	default:
		fail(it, "unexpected IU from the target");
		return;
	}
	pump(it);
}

static void ended(struct nx_ini_srp *it, int err)
{
	it->ch.ended = true;
	fail_all(it, NX_INI_ECONNRESET);
	it->ops->closed(it->ctx, err);
}

/* The REP's private data is the SRP_LOGIN_RSP (SRP 6.3). */
static void on_established(struct nx_ini_srp *it, const struct nx_rdma_cm_event *ev)
{
	const struct nx_ini_srp_config *cfg = &it->cfg;

	if (ev->private_data == NULL ||
	    nx_srp_login_rsp_decode(ev->private_data, ev->private_data_len,
				    &it->login) != NX_OK ||
	    it->login.max_it_iu_len > cfg->req_it_iu_len ||
	    it->login.max_it_iu_len < NX_SRP_CMD_LEN + NX_SRP_DESC_LEN ||
	    it->login.max_ti_iu_len > NX_INI_SRP_RX_LEN ||
	    it->login.req_lim_delta == 0) {
		nx_log(NX_LOG_WARN, "initiator srp: bad SRP_LOGIN_RSP");
		nx_ini_srp_disconnect(it);
		return;
	}
	it->ch.established = true;
	add_credits(it, it->login.req_lim_delta);
	if (it->ops->established != NULL)
		it->ops->established(it->ctx);
}

static void cm_event(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_ini_srp *it = ctx;

	if (it->ch.ended)
		return;
	switch (ev->type) {
	case NX_RDMA_CM_ESTABLISHED:
		on_established(it, ev);
		break;
	case NX_RDMA_CM_REJECTED:
		if (ev->private_data == NULL ||
		    nx_srp_login_rej_decode(ev->private_data,
					    ev->private_data_len, &it->rej) != NX_OK)
			memset(&it->rej, 0, sizeof(it->rej));
		ended(it, it->rej.reason != 0 ? NX_INI_ELOGIN : NX_INI_ECONNRESET);
		break;
	case NX_RDMA_CM_UNREACHABLE:
		ended(it, NX_INI_ECONNRESET);
		break;
	case NX_RDMA_CM_DISCONNECTED:
		/* What arrived before the disconnect is delivered first. */
		nx_ini_rdma_drain(&it->ch);
		ended(it, it->ch.established ? 0 : NX_INI_ECONNRESET);
		break;
	default:
		break;
	}
}

/* ---- life ------------------------------------------------------------------------ */

static bool srp_resources(struct nx_ini_srp *it, struct nx_rdma_dev *dev)
{
	it->ch = (struct nx_ini_rdma){
		.name = "srp", .owner = it, .rx = rx_iu,
		.rx_bufs = NX_INI_SRP_RX_BUFS, .rx_len = NX_INI_SRP_RX_LEN,
		.tx_bufs = NX_INI_SRP_TX_BUFS, .tx_len = it->cfg.req_it_iu_len,
	};
	it->slots = nx_alloc(sizeof(*it->slots) * NX_INI_SRP_SLOTS);
	return it->slots != NULL && nx_ini_rdma_setup(&it->ch, dev);
}

static bool config_ok(struct nx_ini_srp_config *cfg)
{
	if (cfg->req_it_iu_len == 0)
		cfg->req_it_iu_len = NX_INI_SRP_IT_IU;
	if (cfg->req_buf_fmt == 0)
		cfg->req_buf_fmt = NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD;
	if (cfg->split == 0)
		cfg->split = 1;
	return cfg->split <= NX_INI_SRP_SPLIT_MAX &&
	       cfg->req_it_iu_len <= NX_INI_SRP_IT_IU &&
	       cfg->desc_mode <= NX_INI_SRP_TABLE &&
	       (cfg->desc_mode != NX_INI_SRP_TABLE || cfg->inline_max < cfg->split);
}

int nx_ini_srp_connect(struct nx_rdma_dev *dev, uint32_t dst_ipv4,
		       uint16_t port, const struct nx_ini_srp_config *cfg,
		       const struct nx_ini_srp_ops *ops, void *ctx,
		       struct nx_ini_srp **out)
{
	struct nx_srp_login_req req = { 0 };
	uint8_t priv[NX_SRP_LOGIN_REQ_CM_LEN];
	struct nx_ini_srp *it;
	int rc;

	nx_assert(cfg != NULL && ops != NULL && ops->closed != NULL);
	it = nx_alloc(sizeof(*it));
	if (it == NULL)
		return NX_ENOMEM;
	it->ops = ops;
	it->ctx = ctx;
	it->cfg = *cfg;
	if (!config_ok(&it->cfg) || !srp_resources(it, dev)) {
		nx_ini_srp_free(it);
		return NX_EINVAL;
	}
	req.tag = 1;
	req.req_it_iu_len = it->cfg.req_it_iu_len;
	req.req_buf_fmt = it->cfg.req_buf_fmt;
	req.mca = it->cfg.mca;
	memcpy(req.iport, it->cfg.iport, NX_SRP_PORT_ID_LEN);
	memcpy(req.tport, it->cfg.tport, NX_SRP_PORT_ID_LEN);
	(void)nx_srp_login_req_cm_encode(&req, priv);
	rc = nx_rdma_cm_connect(dev, dst_ipv4, port, it->ch.qp, priv, sizeof(priv),
				cm_event, it, &it->ch.id);
	if (rc != NX_OK) {
		nx_ini_srp_free(it);
		return rc;
	}
	*out = it;
	return NX_OK;
}

const struct nx_srp_login_rsp *nx_ini_srp_login_rsp(const struct nx_ini_srp *it)
{
	return &it->login;
}

const struct nx_srp_login_rej *nx_ini_srp_rej(const struct nx_ini_srp *it)
{
	return &it->rej;
}

bool nx_ini_srp_established(const struct nx_ini_srp *it)
{
	return it->ch.established;
}

bool nx_ini_srp_ended(const struct nx_ini_srp *it)
{
	return it->ch.ended;
}

bool nx_ini_srp_is_dead(const struct nx_ini_srp *it)
{
	return it->ch.ended || it->ch.closing;
}

uint32_t nx_ini_srp_credits(const struct nx_ini_srp *it)
{
	return it->lim;
}

unsigned nx_ini_srp_outstanding(const struct nx_ini_srp *it)
{
	return it->used;
}

const struct nx_ini_srp_stats *nx_ini_srp_stats(const struct nx_ini_srp *it)
{
	return &it->stats;
}

void nx_ini_srp_free(struct nx_ini_srp *it)
{
	if (it == NULL)
		return;
	nx_ini_rdma_free_qp(&it->ch);
	if (it->slots != NULL && !it->ch.ended) {
		it->ch.ended = true;
		fail_all(it, NX_INI_ECONNRESET);
	}
	if (it->slots != NULL)
		for (unsigned i = 0; i < NX_INI_SRP_SLOTS; i++)
			if (it->slots[i].kind != SL_FREE)
				slot_release(it, &it->slots[i]);
	nx_ini_rdma_free(&it->ch);
	nx_free(it->slots);
	nx_free(it);
}
