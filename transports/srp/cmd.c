/*
 * cmd.c - SRP_CMD and SRP_TSK_MGMT (SRP r16a 6.7 - 6.9) on the core's
 * task and TMF interfaces (core/nx_scsi.h), and the RDMA transfers of a
 * command's data (SRP 5.4).
 *
 * A command's life:
 *   SRP_CMD -> decode -> [indirect tables not all inline: RDMA READ them]
 *   -> nx_task_setup -> [write: RDMA READ the data-out buffer into the
 *   task's buffer] -> nx_task_execute -> task_done -> [read: RDMA WRITE
 *   the data-in buffer] -> SRP_RSP by SEND (RC ordering places the data
 *   first) -> once every WR of it has completed, nx_task_release.
 * A request is never freed while a WR names its buffers: an abort (TMF,
 * nexus loss) only marks it, and the last completion frees it.
 *
 * Descriptors are walked in order (SRP 5.4: a buffer is the
 * concatenation of its memory descriptors), one RDMA operation per
 * descriptor piece and at most SRP_OPS_PER_REQ of one request in flight.
 * An indirect buffer's TOTAL LENGTH must equal the sum of its
 * descriptors.
 *
 * Lengths (the buffer is SRP's expected transfer length; residuals
 * follow FCP-4's FCP_DL rules as transports/iscsi does): a read moves
 * min(produced, data-in buffer) bytes and reports DIUNDER / DIOVER; a
 * write whose CDB wants no more than the data-out buffer moves what the
 * CDB wants (DOUNDER for the rest); one that wants more is refused with
 * CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN COMMAND INFORMATION
 * UNIT and DOOVER (FCP_DL case b; the truncation of case a is not done).
 */
#include "srp_internal.h"

#define ASC_INVALID_IU 0x0e /* 0E/03 INVALID FIELD IN COMMAND INFORMATION UNIT */

static struct srp_req *req_of(struct nx_task *t)
{
	return (struct srp_req *)((char *)t - offsetof(struct srp_req, task));
}

/* ---- ending a request ------------------------------------------------------- */

static void req_try_free(struct srp_req *req)
{
	if (req->state != REQ_DONE || req->inflight > 0)
		return;
	nx_rdma_dereg_mr(req->mr);
	req->mr = NULL;
	if (req->task_live)
		nx_task_release(&req->task);
	req->task_live = false;
	srp_req_free(req);
}

/* SRP 6.9 residuals: for each direction, what the buffer held against
 * what the command moved. */
static void rsp_residuals(const struct srp_req *req, struct nx_srp_rsp *r)
{
	const struct nx_task *t = &req->task;
	bool ran = !req->setup_failed && req->task_live;
	uint32_t din = ran && t->dir == NX_DIR_READ ? t->xfer_len : 0;
	uint32_t dout = ran && t->dir == NX_DIR_WRITE ? t->data_len : 0;

	if (din > req->in.total) {
		r->flags |= NX_SRP_DIOVER;
		r->di_resid = din - req->in.total;
	} else if (din < req->in.total) {
		r->flags |= NX_SRP_DIUNDER;
		r->di_resid = req->in.total - din;
	}
	if (dout > req->out.total) {
		r->flags |= NX_SRP_DOOVER;
		r->do_resid = dout - req->out.total;
	} else if (dout < req->out.total) {
		r->flags |= NX_SRP_DOUNDER;
		r->do_resid = req->out.total - dout;
	}
}

static void send_rsp(struct nx_srp_chan *ch, struct nx_srp_rsp *r)
{
	uint8_t iu[NX_SRP_MAX_TI_IU];
	size_t len;

	r->req_lim_delta = srp_rsp_delta(ch);
	len = nx_srp_rsp_encode(r, iu, sizeof(iu));
	nx_assert(len > 0); /* NX_SENSE_MAX fits NX_SRP_MAX_TI_IU */
	(void)srp_send_iu(ch, iu, len);
}

/* The command's SRP_RSP (status, sense, residuals, credits). */
static void req_respond(struct srp_req *req)
{
	const struct nx_task *t = &req->task;
	struct nx_srp_rsp r = { .tag = req->tag, .status = t->status };

	req->state = REQ_DONE;
	if (srp_live(req->ch)) {
		rsp_residuals(req, &r);
		if (t->sense_len > 0) {
			r.flags |= NX_SRP_SNSVALID;
			r.sense_len = t->sense_len;
			r.sense = t->sense;
		}
		send_rsp(req->ch, &r);
	}
	req_try_free(req);
}

/* A command that cannot become a task: CHECK CONDITION from the core's
 * sense builder on a task that never ran (nx_task_fail on a fresh
 * task calls task_done, which answers). */
static void req_fail_iu(struct srp_req *req)
{
	req->setup_failed = true;
	req->out.total = req->in.total = 0;
	nx_task_fail(&req->task, 0x05, ASC_INVALID_IU, 0x03);
}

/* ---- data transfers (SRP 5.4) -------------------------------------------------- */

static void xfer_next(struct srp_req *req);

/* Registers the task's buffer for this transfer. */
static bool xfer_begin(struct srp_req *req, uint8_t state, uint32_t len)
{
	struct nx_task *t = &req->task;

	req->state = state;
	req->xfer_len = len;
	req->posted = 0;
	req->di = 0;
	req->doff = 0;
	req->mr = nx_rdma_reg_mr(req->ch->pd, t->data, t->data_len,
				 state == REQ_DATA_OUT ? NX_RDMA_ACCESS_LOCAL_WRITE
						       : 0);
	if (req->mr == NULL) {
		srp_close(req->ch, "memory registration failed");
		return false;
	}
	return true;
}

/* Posts the next pieces: each descriptor in order, one operation per
 * descriptor, at most SRP_OPS_PER_REQ in flight.  Bounded by the
 * descriptor count. */
static void xfer_pump(struct srp_req *req)
{
	struct nx_srp_chan *ch = req->ch;
	bool in = req->state == REQ_DATA_IN;
	const struct srp_xfer *x = in ? &req->in : &req->out;
	uint32_t idx = (uint32_t)(req - ch->reqs);

	while (srp_live(ch) && req->inflight < SRP_OPS_PER_REQ &&
	       req->posted < req->xfer_len && req->di < x->ndesc) {
		struct nx_srp_desc d;
		struct nx_rdma_sge sge;
		uint32_t n;

		nx_srp_desc_get(req->desc, x->first + req->di, &d);
		if (req->doff >= d.len) {
			req->di++;
			req->doff = 0;
			continue;
		}
		n = NX_MIN(d.len - req->doff, req->xfer_len - req->posted);
		sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(req->mr) + req->posted,
					    n, nx_rdma_mr_lkey(req->mr) };
		if (!srp_post(ch, srp_wr_id(SRP_WR_DATA, idx),
			      in ? NX_RDMA_WR_RDMA_WRITE : NX_RDMA_WR_RDMA_READ,
			      &sge, d.va + req->doff, d.key)) {
			srp_close(ch, "RDMA operation refused");
			return;
		}
		req->inflight++;
		req->posted += n;
		req->doff += n;
	}
}

/* Moves on once a transfer is posted (data-in) or complete (data-out). */
static void xfer_next(struct srp_req *req)
{
	struct nx_task *t = &req->task;

	xfer_pump(req);
	if (!srp_live(req->ch) || req->posted < req->xfer_len)
		return;
	if (req->state == REQ_DATA_IN) {
		req_respond(req);     /* the data is ahead of it on the QP */
	} else if (req->inflight == 0) {
		req->state = REQ_CORE;
		nx_task_execute(t);   /* task_done may follow inline */
	}
}

/* ---- SRP_CMD (SRP 6.8) -------------------------------------------------------------- */

/* SAM-5 8.6 task attributes from SRP's codes (decode refused the
 * reserved ones). */
static enum nx_task_attr attr_of(uint8_t a)
{
	switch (a) {
	case NX_SRP_ATTR_HEAD_OF_QUEUE:
		return NX_ATTR_HEAD_OF_QUEUE;
	case NX_SRP_ATTR_ORDERED:
		return NX_ATTR_ORDERED;
	case NX_SRP_ATTR_ACA:
		return NX_ATTR_ACA;
	default:
		return NX_ATTR_SIMPLE;
	}
}

/* Copies one direction's inline descriptors into the request; a table
 * not all inline is fetched later.  false: more than we can hold. */
static bool xfer_setup(struct srp_req *req, const struct nx_srp_dbuf *b,
		       struct srp_xfer *x, uint16_t first)
{
	x->fmt = b->fmt;
	x->first = first;
	x->total = b->total;
	x->table = b->table;
	if (b->fmt == NX_SRP_FMT_NONE)
		return true;
	if (b->fmt == NX_SRP_FMT_DIRECT) {
		if (first >= NX_SRP_TABLE_MAX)
			return false;
		x->ndesc = 1;
		nx_srp_desc_put(req->desc, first, &b->table);
		return true;
	}
	x->ndesc = (uint16_t)(b->table.len / NX_SRP_DESC_LEN);
	if (b->table.len / NX_SRP_DESC_LEN > NX_SRP_TABLE_MAX - first)
		return false;
	x->fetch = b->count < x->ndesc;
	if (!x->fetch)
		memcpy(req->desc + (size_t)first * NX_SRP_DESC_LEN,
		       b->inline_desc, (size_t)b->count * NX_SRP_DESC_LEN);
	return true;
}

/* SRP 6.8: the indirect table descriptor names where the whole list is
 * when the IU holds only part of it. */
static bool fetch_table(struct srp_req *req, const struct srp_xfer *x)
{
	struct nx_srp_chan *ch = req->ch;
	uint32_t idx = (uint32_t)(req - ch->reqs);
	size_t off = (size_t)(req->desc - ch->descs) +
		     (size_t)x->first * NX_SRP_DESC_LEN;
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(ch->desc_mr) + off,
				   x->table.len, nx_rdma_mr_lkey(ch->desc_mr) };

	if (!x->fetch)
		return true;
	if (!srp_post(ch, srp_wr_id(SRP_WR_TABLE, idx), NX_RDMA_WR_RDMA_READ,
		      &sge, x->table.va, x->table.key)) {
		srp_close(ch, "RDMA READ of a descriptor table refused");
		return false;
	}
	req->inflight++;
	return true;
}

/* An indirect buffer's TOTAL LENGTH is the sum of its descriptors. */
static bool xfer_consistent(const struct srp_req *req, const struct srp_xfer *x)
{
	uint64_t sum = 0;

	if (x->fmt != NX_SRP_FMT_INDIRECT)
		return true;
	for (unsigned i = 0; i < x->ndesc; i++) {
		struct nx_srp_desc d;

		nx_srp_desc_get(req->desc, x->first + i, &d);
		sum += d.len;
	}
	return sum == x->total;
}

/* Descriptors in place: the task enters the core. */
static void cmd_start(struct srp_req *req)
{
	struct nx_task *t = &req->task;

	if (!xfer_consistent(req, &req->out) || !xfer_consistent(req, &req->in)) {
		req_fail_iu(req);
		return;
	}
	if (!nx_task_setup(t)) {
		req->setup_failed = true;
		req_respond(req);     /* task_done is not called for it */
		return;
	}
	if (t->dir != NX_DIR_WRITE || t->data_len == 0) {
		req->state = REQ_CORE;
		nx_task_execute(t);
		return;
	}
	if (t->data_len > req->out.total) {
		/* FCP_DL case b): the CDB wants more than the buffer. */
		nx_task_fail(t, 0x05, ASC_INVALID_IU, 0x03);
		return;
	}
	if (xfer_begin(req, REQ_DATA_OUT, t->data_len))
		xfer_next(req);
}

static void cmd_task_init(struct srp_req *req, const struct nx_srp_cmd *c)
{
	struct nx_task *t = &req->task;

	nx_task_init(t, req->ch->nexus);
	req->task_live = true;
	t->lun = c->lun;
	t->tag = c->tag;
	t->attr = attr_of(c->attr);
	/* SAM's expected transfer length: the data-out buffer of a write
	 * (COMPARE AND WRITE checks it), else the data-in buffer. */
	t->expected_len = c->out.fmt != NX_SRP_FMT_NONE ? c->out.total
							: c->in.total;
	if (c->cdb != NULL && c->cdb_len <= NX_CDB_MAX) {
		memcpy(t->cdb, c->cdb, c->cdb_len);
		t->cdb_len = c->cdb_len;
	}
}

/* The SRP_T_LOGOUT reason of an SRP_CMD the channel cannot go on with. */
static uint32_t cmd_logout_reason(enum nx_srp_cmd_err err)
{
	switch (err) {
	case NX_SRP_CMD_DO_FMT:
		return NX_SRP_LO_DO_FMT;
	case NX_SRP_CMD_DI_FMT:
		return NX_SRP_LO_DI_FMT;
	case NX_SRP_CMD_DO_COUNT:
		return NX_SRP_LO_DO_COUNT;
	case NX_SRP_CMD_DI_COUNT:
		return NX_SRP_LO_DI_COUNT;
	default:
		return NX_SRP_LO_NONE;
	}
}

/* No slot although the initiator had a credit: answered
 * requests are still draining their RDMA.  SAM-5 5.3.1 BUSY. */
static void cmd_busy(struct nx_srp_chan *ch, uint64_t tag)
{
	struct nx_srp_rsp r = { .tag = tag, .status = NX_STATUS_BUSY };

	send_rsp(ch, &r);
}

static bool tag_in_use(const struct nx_srp_chan *ch, const struct srp_req *req)
{
	for (uint32_t i = 0; i < SRP_REQS; i++) {
		const struct srp_req *o = &ch->reqs[i];

		if (o != req && o->state != REQ_FREE && o->state != REQ_DONE &&
		    !o->is_tmf && !o->aborted && o->tag == req->tag)
			return true;
	}
	return false;
}

void srp_cmd_rx(struct nx_srp_chan *ch, const uint8_t *iu, uint32_t len)
{
	struct nx_srp_cmd c;
	enum nx_srp_cmd_err err = nx_srp_cmd_decode(iu, len, &c);
	struct srp_req *req;

	if (err != NX_SRP_CMD_OK && err != NX_SRP_CMD_BAD_FIELD) {
		srp_logout(ch, cmd_logout_reason(err), "malformed SRP_CMD");
		return;
	}
	if (!srp_take_credit(ch))
		return;
	req = srp_req_alloc(ch);
	if (req == NULL) {
		cmd_busy(ch, c.tag);
		return;
	}
	req->tag = c.tag;
	cmd_task_init(req, &c);
	if (tag_in_use(ch, req)) {
		/* SAM-5 overlapped commands: the tag of a live task.  The
		 * new command is answered; the old one keeps running. */
		req->setup_failed = true;
		req->out.total = req->in.total = 0;
		nx_task_fail(&req->task, 0x0b, 0x4e, 0x00);
		return;
	}
	if (err == NX_SRP_CMD_BAD_FIELD || c.cdb_len > NX_CDB_MAX ||
	    !xfer_setup(req, &c.out, &req->out, 0) ||
	    !xfer_setup(req, &c.in, &req->in, req->out.ndesc)) {
		req_fail_iu(req);
		return;
	}
	if (!req->out.fetch && !req->in.fetch) {
		cmd_start(req);
		return;
	}
	req->state = REQ_TABLE;
	if (fetch_table(req, &req->out))
		(void)fetch_table(req, &req->in);
}

/* ---- completions --------------------------------------------------------------------- */

static void abort_waiters_answer(struct nx_srp_chan *ch, uint16_t first);

static void task_end(struct nx_task *t)
{
	struct srp_req *req = req_of(t);
	struct nx_srp_chan *ch = req->ch;
	uint32_t n;

	if (t->aborted) {
		/* SAM-5 7.x: no response for an aborted task; its credit
		 * goes back another way (srp_flush_credits). */
		req->aborted = true;
		req->state = REQ_DONE;
		ch->owed++;
		srp_flush_credits(ch);
		req_try_free(req);
		return;
	}
	n = t->dir == NX_DIR_READ ? NX_MIN(t->xfer_len, req->in.total) : 0;
	if (n == 0 || !srp_live(ch)) {
		req_respond(req);
		return;
	}
	if (xfer_begin(req, REQ_DATA_IN, n)) {
		xfer_next(req);
		return;
	}
	req->state = REQ_DONE;
	req_try_free(req);
}

/* The task left the core: its answer, then the ABORT TASKs that waited
 * for it (req may be freed in between). */
static void task_done(struct nx_task *t)
{
	struct srp_req *req = req_of(t);
	struct nx_srp_chan *ch = req->ch;
	uint16_t waiters = req->waiter;

	req->waiter = SRP_REQ_NONE;
	task_end(t);
	if (waiters != SRP_REQ_NONE)
		abort_waiters_answer(ch, waiters);
}

const struct nx_nexus_ops srp_nexus_ops = { task_done };

void srp_req_wc(struct srp_req *req, enum srp_wr_kind kind, bool ok)
{
	nx_assert(req->state != REQ_FREE && req->inflight > 0);
	req->inflight--;
	if (req->state == REQ_DONE) {
		req_try_free(req);
		return;
	}
	if (!ok || !srp_live(req->ch)) {
		/* The channel is going: maybe_finish() quiesces what is
		 * left once the last WR is back. */
		return;
	}
	if (req->state == REQ_TABLE) {
		nx_assert(kind == SRP_WR_TABLE);
		if (req->inflight > 0)
			return;
		if (!req->aborted) {
			cmd_start(req);
			return;
		}
		/* Aborted by a TMF before the core saw it (tmf_local). */
		req->state = REQ_DONE;
		req->ch->owed++;
		srp_flush_credits(req->ch);
		req_try_free(req);
		return;
	}
	nx_assert(kind == SRP_WR_DATA);
	if (req->state == REQ_DATA_OUT || req->state == REQ_DATA_IN)
		xfer_next(req);
}

/* Teardown, after the last WR came back (target.c maybe_finish): a
 * request the core does not hold ends here; the core's ones end
 * through nx_nexus_shutdown (task_done, aborted). */
void srp_req_quiesce(struct srp_req *req)
{
	nx_assert(req->inflight == 0);
	switch (req->state) {
	case REQ_TABLE:     /* never set up */
	case REQ_DATA_IN:   /* completed in the core; the response is lost */
		req->state = REQ_DONE;
		req_try_free(req);
		break;
	case REQ_DATA_OUT:  /* in the core, not executed: shutdown aborts it */
		req->state = REQ_CORE;
		break;
	default:
		break;
	}
}

/* ---- SRP_TSK_MGMT (SRP 6.7) ---------------------------------------------------------- */

static void tmf_respond(struct nx_srp_chan *ch, uint64_t tag, uint8_t code)
{
	struct nx_srp_rsp r = { .tag = tag, .flags = NX_SRP_RSPVALID,
				.rsp_code = code };

	if (srp_live(ch))
		send_rsp(ch, &r);
}

/* SAM-5 service responses as SRP response codes.  SRP has no code for
 * INCORRECT LOGICAL UNIT NUMBER: the TMF's LUN is its invalid field
 * (REQUEST FIELDS INVALID).  A task not found has nothing left to abort:
 * FUNCTION COMPLETE (SAM-5 7.2). */
static uint8_t tmf_code(enum nx_tmf_result res)
{
	switch (res) {
	case NX_TMF_FUNCTION_COMPLETE:
	case NX_TMF_FUNCTION_SUCCEEDED:
	case NX_TMF_TASK_NOT_FOUND:
		return NX_SRP_RSP_COMPLETE;
	case NX_TMF_INCORRECT_LUN:
		return NX_SRP_RSP_FIELDS_INVALID;
	case NX_TMF_FUNCTION_REJECTED:
	default:
		return NX_SRP_RSP_TMF_NOT_SUPPORTED;
	}
}

static void tmf_finish(struct srp_req *req, uint8_t code)
{
	struct nx_srp_chan *ch = req->ch;

	nx_assert(ch->tmfs_pending > 0);
	ch->tmfs_pending--;
	req->state = REQ_DONE;
	tmf_respond(ch, req->tag, code);
	srp_req_free(req);
	srp_flush_credits(ch);
}

/* The command ABORT TASK names is still in the core although the core
 * found no task to abort: another TMF (or QErr) is aborting it and it
 * has not left the backstore yet. */
static struct srp_req *abort_target_busy(struct nx_srp_chan *ch,
					 const struct nx_tmf *tmf)
{
	for (uint32_t i = 0; i < SRP_REQS; i++) {
		struct srp_req *o = &ch->reqs[i];

		if (!o->is_tmf && o->task_live && !o->aborted &&
		    (o->state == REQ_DATA_OUT || o->state == REQ_CORE) &&
		    o->tag == tmf->ref_tag && o->task.lun == tmf->lun)
			return o;
	}
	return NULL;
}

/* The command the ABORT TASKs of this chain waited for left the core. */
static void abort_waiters_answer(struct nx_srp_chan *ch, uint16_t first)
{
	for (uint16_t w = first; w != SRP_REQ_NONE;) {
		struct srp_req *tr = &ch->reqs[w];

		nx_assert(tr->is_tmf && w < SRP_REQS);
		w = tr->waiter;
		tmf_finish(tr, NX_SRP_RSP_COMPLETE);
	}
}

static void tmf_done(struct nx_tmf *tmf)
{
	struct srp_req *req = tmf->priv;
	struct srp_req *busy;

	/* SAM-5 7.2: FUNCTION COMPLETE for ABORT TASK says the task is
	 * gone, and the initiator takes it as aborted.  A task another
	 * function (a LOGICAL UNIT RESET, say) is still aborting may yet
	 * write the medium: the answer waits until it has left the core.
	 * (SRP has no TASK DOES NOT EXIST; iSCSI says that at once.) */
	if (tmf->fn == NX_TMF_ABORT_TASK &&
	    tmf->result == NX_TMF_TASK_NOT_FOUND &&
	    (busy = abort_target_busy(req->ch, tmf)) != NULL) {
		req->waiter = busy->waiter;
		busy->waiter = (uint16_t)(req - req->ch->reqs);
		return;
	}
	tmf_finish(req, tmf_code(tmf->result));
}

static bool tmf_fn(uint8_t srp_fn, enum nx_tmf_fn *fn)
{
	switch (srp_fn) {
	case NX_SRP_TMF_ABORT_TASK:
		*fn = NX_TMF_ABORT_TASK;
		return true;
	case NX_SRP_TMF_ABORT_TASK_SET:
		*fn = NX_TMF_ABORT_TASK_SET;
		return true;
	case NX_SRP_TMF_CLEAR_TASK_SET:
		*fn = NX_TMF_CLEAR_TASK_SET;
		return true;
	case NX_SRP_TMF_LUN_RESET:
		*fn = NX_TMF_LOGICAL_UNIT_RESET;
		return true;
	case NX_SRP_TMF_CLEAR_ACA:
		*fn = NX_TMF_CLEAR_ACA;
		return true;
	default:
		return false;
	}
}

/* Commands still fetching their descriptor tables are not in the core
 * yet: the functions that would abort them mark them here. */
static void tmf_local(struct nx_srp_chan *ch, enum nx_tmf_fn fn,
		      const struct nx_srp_tsk_mgmt *m)
{
	if (fn == NX_TMF_CLEAR_ACA)
		return;
	for (uint32_t i = 0; i < SRP_REQS; i++) {
		struct srp_req *req = &ch->reqs[i];

		if (req->state != REQ_TABLE || req->task.lun != m->lun)
			continue;
		if (fn != NX_TMF_ABORT_TASK || req->tag == m->task_tag)
			req->aborted = true;
	}
}

void srp_tmf_rx(struct nx_srp_chan *ch, const uint8_t *iu, uint32_t len)
{
	struct nx_srp_tsk_mgmt m;
	struct srp_req *req;
	enum nx_tmf_fn fn;

	if (nx_srp_tsk_mgmt_decode(iu, len, &m) != NX_OK) {
		/* Too short to carry the function: the tag may be there. */
		if (len < 16) {
			srp_logout(ch, NX_SRP_LO_NONE, "short SRP_TSK_MGMT");
			return;
		}
		if (srp_take_credit(ch))
			tmf_respond(ch, nx_get_be64(iu + 8),
				    NX_SRP_RSP_FIELDS_INVALID);
		return;
	}
	if (!srp_take_credit(ch))
		return;
	if (!tmf_fn(m.fn, &fn)) {
		/* SRP 6.7: reserved function codes. */
		tmf_respond(ch, m.tag, NX_SRP_RSP_TMF_NOT_SUPPORTED);
		return;
	}
	req = srp_req_alloc(ch);
	if (req == NULL) {
		tmf_respond(ch, m.tag, NX_SRP_RSP_TMF_FAILED);
		return;
	}
	tmf_local(ch, fn, &m);
	req->is_tmf = true;
	req->tag = m.tag;
	req->tmf.fn = fn;
	req->tmf.lun = m.lun;
	req->tmf.ref_tag = m.task_tag;
	req->tmf.done = tmf_done;
	req->tmf.priv = req;
	ch->tmfs_pending++;
	nx_tmf_submit(ch->nexus, &req->tmf); /* done may run inline */
}
