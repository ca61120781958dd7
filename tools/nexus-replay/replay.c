/*
 * replay.c - the captured initiator side, event by event in capture
 * order, through a driver: nexus on a simulated host (replay_sim.c) or a
 * live target over TCP (replay_live.c).
 *
 * Each captured connection becomes an initiator session on its own
 * transport connection, logging in with the captured InitiatorName, ISID
 * and digests, and offering the burst keys the captured login settled
 * (RFC 7143 13.10-13.17: every one of them is settled by a minimum, AND
 * or OR, so offering the captured result gets the same result from any
 * target that accepts it, and the R2Ts can be compared).  A command is
 * submitted where its SCSI Command PDU is in the capture and awaited
 * where its answer is, so commands that overlapped in the capture
 * overlap in the replay (TMFs and unit attentions see the same task set
 * shape).  The replay's R2Ts are recorded from the received PDUs (the
 * initiator's rx hook) and compared with the captured ones.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define SUBMIT_TRIES 64

struct rp_conn {
	struct nx_ini_session *s;
	struct nx_ini_conn *ic;
	void *handle;              /* the driver's */
	struct rp *r;
	bool up, tried;
	const char *why;           /* why it is not up */
	uint32_t session_no;
	struct nx_tr_burst burst;  /* what the replay's login settled */
	struct nx_ini_login lg;
	bool login_done;
	struct nx_ini_logout lo;
	bool logout_done;
	uint32_t open[NX_INI_MAX_CMDS];   /* submitted, unanswered commands */
	unsigned open_n;
};

struct rp_cmd {
	struct nx_ini_scsi req;
	uint8_t *in;
	bool submitted, done;
	const char *skip;          /* not replayed: why */
	bool write_skipped;        /* live, no --allow-writes: not counted */
	struct nx_tr_r2t *r2t;     /* the replay's R2Ts (first KEEP) */
	uint32_t r2ts;
};

struct rp_tmf {
	struct nx_ini_tmf req;
	bool submitted, done;
};

struct rp {
	const struct nx_trace *t;
	const struct rp_config *cfg;
	const struct rp_opts *o;
	struct rp_stats *st;
	const struct rp_driver *drv;
	void *ctx;
	struct rp_conn *conns;
	struct rp_cmd *cmds;
	struct rp_tmf *tmfs;
	const char *fatal;         /* live: the replay stops */
	char fatal_buf[256];
};

/* ---- completions ---------------------------------------------------------- */

static void cmd_done_cb(struct nx_ini_scsi *req)
{
	((struct rp_cmd *)req->priv)->done = true;
}

static void tmf_done_cb(struct nx_ini_tmf *req)
{
	((struct rp_tmf *)req->priv)->done = true;
}

static void login_done_cb(struct nx_ini_login *lg)
{
	((struct rp_conn *)lg->priv)->login_done = true;
}

static void logout_done_cb(struct nx_ini_logout *lo)
{
	((struct rp_conn *)lo->priv)->logout_done = true;
}

/* A wait that ran out: in a live replay the target is gone (exit 2). */
static bool await(struct rp *r, bool *flag, const char *what, uint32_t n)
{
	if (r->drv->wait(r->ctx, flag))
		return true;
	if (r->drv->live && r->fatal == NULL) {
		snprintf(r->fatal_buf, sizeof(r->fatal_buf), "%s %u: %s", what,
			 n, r->drv->why_wait);
		r->fatal = r->fatal_buf;
	}
	return false;
}

/* ---- R2Ts seen by the replay's initiator ------------------------------------ */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* RFC 7143 11.8: records R2TSN, Buffer Offset and Desired Data Transfer
 * Length against the command with that ITT; the initiator then answers
 * the R2T as usual (the PDU is not consumed). */
static bool rx_hook(void *arg, struct nx_ini_conn *ic, const uint8_t *bhs,
		    const uint8_t *ahs, uint32_t ahs_len, const uint8_t *data,
		    uint32_t data_len)
{
	struct rp_conn *c = arg;
	uint32_t itt = get32(bhs + 16);

	if ((bhs[0] & 0x3f) != 0x31)
		return false;
	for (unsigned i = 0; i < c->open_n; i++) {
		struct rp_cmd *rc = &c->r->cmds[c->open[i]];

		if (rc->req.itt != itt || rc->done)
			continue;
		if (rc->r2t == NULL)
			rc->r2t = calloc(NX_TR_R2T_KEEP, sizeof(*rc->r2t));
		if (rc->r2t == NULL)
			break;        /* not recorded: compared as none */
		if (rc->r2ts < NX_TR_R2T_KEEP)
			rc->r2t[rc->r2ts] = (struct nx_tr_r2t){
				.r2tsn = get32(bhs + 36),
				.offset = get32(bhs + 40),
				.len = get32(bhs + 44) };
		rc->r2ts++;
		break;
	}
	return false;
}

static void open_del(struct rp_conn *c, uint32_t idx)
{
	for (unsigned i = 0; i < c->open_n; i++)
		if (c->open[i] == idx) {
			c->open[i] = c->open[--c->open_n];
			return;
		}
}

static void burst_of_params(const struct nx_ini_params *p,
			    struct nx_tr_burst *b)
{
	memset(b, 0, sizeof(*b));
	b->known = true;
	b->immediate_data = p->immediate_data;
	b->initial_r2t = p->initial_r2t;
	b->seq_in_order = p->data_sequence_in_order;
	b->first_burst = p->first_burst_length;
	b->max_burst = p->max_burst_length;
	b->tgt_mrdsl = p->max_xmit_dsl;
	b->max_outstanding_r2t = p->max_outstanding_r2t;
}

/* ---- sessions ------------------------------------------------------------ */

static void yes_no(bool *dst, const char *v)
{
	if (strcmp(v, "Yes") == 0 || strcmp(v, "No") == 0)
		*dst = strcmp(v, "Yes") == 0;
}

void rp_session_config(const struct nx_trace *t, const struct rp_config *rc,
		       uint32_t ci, const char *target_name,
		       struct nx_ini_config *cfg)
{
	const struct nx_tr_login *l = &t->conns[ci].login;
	char name[NX_TR_NAME_MAX];
	struct nx_tr_burst b;

	if (l->initiator[0])
		snprintf(name, sizeof(name), "%s", l->initiator);
	else
		snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:replay.c%u", ci);
	if (target_name == NULL)
		target_name = l->target[0] ? l->target : rc->targets[0];
	nx_ini_config_init(cfg, name, target_name);
	if (l->seen) {
		memcpy(cfg->isid, l->isid, 6);
	} else {
		cfg->isid[0] = 0x80;
		cfg->isid[4] = (uint8_t)(ci >> 8);
		cfg->isid[5] = (uint8_t)ci;
	}
	/* The digests the captured login settled (RFC 7143 13.1). */
	snprintf(cfg->header_digest, sizeof(cfg->header_digest), "%s",
		 l->header_digest ? "CRC32C" : "None");
	snprintf(cfg->data_digest, sizeof(cfg->data_digest), "%s",
		 l->data_digest ? "CRC32C" : "None");
	if (!l->seen) {
		yes_no(&cfg->immediate_data, l->offer_immediate);
		yes_no(&cfg->initial_r2t, l->offer_initial_r2t);
		return;
	}
	/* The captured results, offered: min/AND/OR give them back from a
	 * target that accepts them (13.10, 13.11, 13.13, 13.14, 13.17). */
	nx_tr_burst_of(l, &b);
	cfg->immediate_data = b.immediate_data;
	cfg->initial_r2t = b.initial_r2t;
	cfg->first_burst_length = b.first_burst;
	cfg->max_burst_length = b.max_burst;
	cfg->max_outstanding_r2t = b.max_outstanding_r2t;
	cfg->data_sequence_in_order = b.seq_in_order;
	/* The captured target's MaxRecvDataSegmentLength bounded the captured
	 * initiator's PDUs and immediate data (13.12): send the same sizes,
	 * so the unsolicited burst, and what is left for R2Ts, match (a
	 * target that declared none had the default, 8192). */
	cfg->send_dsl_max = b.tgt_mrdsl;
}

/* RFC 7143 11.13.5: the status classes a refused login reports. */
static void login_failed(struct rp *r, uint32_t ci, const struct nx_ini_login *lg)
{
	static const char *const detail02[] = {
		"initiator error", "authentication failure",
		"authorization failure", "target not found", "target removed",
		"unsupported version", "too many connections",
		"missing parameter", "cannot include in session",
		"session type not supported", "session does not exist",
		"invalid during login" };
	const char *what = "no valid login response";

	if (lg->err == NX_INI_ELOGIN && lg->status_class == 2 &&
	    lg->status_detail < sizeof(detail02) / sizeof(detail02[0]))
		what = detail02[lg->status_detail];
	else if (lg->err == NX_INI_ELOGIN && lg->status_class == 3)
		what = "target error";
	else if (lg->err == NX_INI_ELOGIN)
		what = "login refused";
	snprintf(r->fatal_buf, sizeof(r->fatal_buf), "login of connection %u "
		 "failed: %s (status %02Xh/%02Xh, err %d; RFC 7143 11.13.5)",
		 ci + 1, what, lg->status_class, lg->status_detail, lg->err);
	if (r->drv->live)
		r->fatal = r->fatal_buf;
	else
		rp_note(r->o, "%s", r->fatal_buf);
}

static void conn_login(struct rp *r, uint32_t ci)
{
	struct rp_conn *c = &r->conns[ci];
	struct nx_ini_config cfg;
	const char *why = NULL;

	c->tried = true;
	c->r = r;
	rp_session_config(r->t, r->cfg, ci, NULL, &cfg);
	if (r->drv->session != NULL)
		r->drv->session(r->ctx, &cfg);
	c->s = nx_ini_session_new(&cfg);
	if (c->s == NULL) {
		c->why = "initiator session could not be created";
		return;
	}
	c->ic = r->drv->connect(r->ctx, ci, c->s, r->t->conns[ci].login.cid,
				&c->handle, &why);
	if (c->ic == NULL) {
		c->why = why;
		if (r->drv->live)
			r->fatal = why;
		return;
	}
	nx_ini_conn_set_rx_hook(c->ic, rx_hook, c);
	c->lg.done = login_done_cb;
	c->lg.priv = c;
	if (nx_ini_login(c->ic, &c->lg) != 0) {
		c->why = "the initiator library could not start the login";
		return;
	}
	if (!await(r, &c->login_done, "login of connection", ci + 1)) {
		c->why = "the login was not answered";
		return;
	}
	if (c->lg.err != 0) {
		c->why = "the target refused the login";
		login_failed(r, ci, &c->lg);
		return;
	}
	burst_of_params(nx_ini_conn_params(c->ic), &c->burst);
	c->up = true;
	c->session_no = ++r->st->sessions;
}

static void conn_close(struct rp *r, uint32_t ci)
{
	struct rp_conn *c = &r->conns[ci];

	/* Fails what is outstanding first: their callbacks point at us. */
	if (c->ic != NULL) {
		r->drv->close(r->ctx, c->handle);
		c->ic = NULL;
		c->handle = NULL;
	}
	if (c->s != NULL) {
		nx_ini_session_free(c->s);
		c->s = NULL;
	}
	c->up = false;
	c->open_n = 0;
	if (c->why == NULL)
		c->why = "the connection had ended";
}

static void conn_logout(struct rp *r, uint32_t ci, uint8_t reason)
{
	struct rp_conn *c = &r->conns[ci];

	if (!c->up)
		return;
	c->lo.reason = reason;
	c->lo.done = logout_done_cb;
	c->lo.priv = c;
	if (nx_ini_logout_submit(c->ic, &c->lo) == 0)
		await(r, &c->logout_done, "logout of connection", ci + 1);
}

/* ---- commands ------------------------------------------------------------- */

/* Not sent: its connection is down (counted, shown as unanswered), or a
 * write a live target must not get (not counted, listed as skipped). */
static bool cmd_skip(struct rp *r, uint32_t idx)
{
	const struct nx_tr_cmd *m = &r->t->cmds[idx];
	struct rp_cmd *rc = &r->cmds[idx];
	struct rp_conn *c = &r->conns[m->conn];

	if (!c->up) {
		rc->skip = c->why ? c->why : "its connection never logged in";
		r->st->commands++;
		return true;
	}
	if (r->drv->live && !r->o->allow_writes &&
	    rp_writes_medium(m->cdb, m->write) != NULL) {
		rc->skip = "it writes the live target's medium (--allow-writes)";
		rc->write_skipped = true;
		r->st->skipped_writes++;
		rp_report_skip(r->o, r->t, idx, c->session_no, rc->skip);
		return true;
	}
	return false;
}

static void cmd_submit(struct rp *r, uint32_t idx)
{
	const struct nx_tr_cmd *m = &r->t->cmds[idx];
	struct rp_cmd *rc = &r->cmds[idx];
	struct rp_conn *c = &r->conns[m->conn];
	struct nx_ini_scsi *q = &rc->req;
	int err = NX_EAGAIN;

	if (cmd_skip(r, idx))
		return;
	r->st->commands++;
	q->lun = r->drv->lun(r->ctx, m->lun);
	memcpy(q->cdb, m->cdb, m->cdb_len);
	q->cdb_len = m->cdb_len;
	q->attr = m->attr;
	if (m->write && m->edtl) {
		q->data_out = m->out;
		q->data_out_len = m->edtl;
	}
	uint32_t in_len = m->bidi ? m->bidi_read_len : (m->read ? m->edtl : 0);
	if (in_len) {
		rc->in = calloc(1, in_len);
		q->data_in = rc->in;
		q->data_in_len = rc->in ? in_len : 0;
	}
	q->done = cmd_done_cb;
	q->priv = rc;
	for (int i = 0; i < SUBMIT_TRIES && err == NX_EAGAIN; i++) {
		err = nx_ini_scsi_submit(c->ic, q);
		if (err == NX_EAGAIN)
			r->drv->step(r->ctx);
	}
	if (err != 0) {
		rc->skip = "the initiator library refused the command";
		return;
	}
	rc->submitted = true;
	if (c->open_n < NX_INI_MAX_CMDS)
		c->open[c->open_n++] = idx;
}

static void answer_captured(const struct nx_tr_cmd *m, struct rp_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->present = m->answered;
	a->none_why = "no answer in the capture";
	a->rejected = m->rejected;
	a->reject_reason = m->reject_reason;
	a->response = m->response;
	a->status = m->status;
	a->flags = m->flags;
	a->residual = m->residual;
	a->sense = m->sense;
	a->sense_len = m->sense_len;
	a->data = m->in;
	a->data_len = m->in_end;
	a->data_unreliable = m->in_hole || m->damaged || m->digest_errors;
}

static void answer_replayed(const struct rp *r, const struct rp_cmd *rc,
			    struct rp_answer *a)
{
	const struct nx_ini_scsi *q = &rc->req;

	memset(a, 0, sizeof(*a));
	if (rc->skip != NULL || !rc->done ||
	    (q->err != 0 && q->err != NX_INI_EREJECTED)) {
		a->none_why = rc->skip ? rc->skip :
			      !rc->done ? r->drv->why_wait :
			      "the command failed in the initiator";
		return;
	}
	a->present = true;
	a->rejected = q->err == NX_INI_EREJECTED;
	a->reject_reason = q->reject_reason;
	a->response = q->response;
	a->status = q->status;
	a->flags = q->flags;
	a->residual = q->residual;
	a->sense = q->sense;
	a->sense_len = q->sense_len;
	a->data = rc->in;
	a->data_len = q->data_in_got;
}

/* The R2T sides of a write, when both answered and the capture is whole. */
static bool r2t_sides(struct rp *r, uint32_t idx, const struct rp_answer *cap,
		      const struct rp_answer *nx, struct nx_tr_burst *cb,
		      struct rp_r2ts *rc, struct rp_r2ts *rn)
{
	const struct nx_tr_cmd *m = &r->t->cmds[idx];
	const struct rp_cmd *c = &r->cmds[idx];
	const struct rp_conn *conn = &r->conns[m->conn];

	if (!m->write || m->edtl == 0 || !cap->present || !nx->present ||
	    cap->rejected || nx->rejected || m->damaged || m->digest_errors)
		return false;
	nx_tr_burst_of(&r->t->conns[m->conn].login, cb);
	*rc = (struct rp_r2ts){ .r2t = m->r2t, .n = m->r2ts,
				.unsol = m->unsol_len, .burst = cb };
	*rn = (struct rp_r2ts){ .r2t = c->r2t, .n = c->r2ts,
				.burst = &conn->burst };
	rn->unsol = nx_tr_unsolicited(&conn->burst, m->edtl, NULL);
	rp_r2t_outcome(cap, m->edtl, rc);
	rp_r2t_outcome(nx, m->edtl, rn);
	return true;
}

static void cmd_finish(struct rp *r, uint32_t idx)
{
	const struct nx_tr_cmd *m = &r->t->cmds[idx];
	struct rp_cmd *rc = &r->cmds[idx];
	struct rp_answer cap, nx;
	struct nx_tr_burst cb;
	struct rp_r2ts r2c, r2n;
	bool r2t;
	uint32_t first = UINT32_MAX;
	unsigned diff;

	if (rc->write_skipped)
		return;
	if (rc->submitted && !rc->done &&
	    !await(r, &rc->done, "command", idx + 1))
		return;
	open_del(&r->conns[m->conn], idx);
	answer_captured(m, &cap);
	answer_replayed(r, rc, &nx);
	diff = rp_compare(&cap, &nx, r->o->no_data, &first);
	r2t = r2t_sides(r, idx, &cap, &nx, &cb, &r2c, &r2n);
	if (r2t) {
		r->st->r2t_compared++;
		diff |= rp_compare_r2t(&r2c, &r2n);
	}
	if (!cap.present)
		r->st->not_compared++;
	if (diff) {
		r->st->differ++;
		for (unsigned k = 0; k < RP_KINDS; k++)
			if (diff & (1u << k))
				r->st->kinds[k]++;
	}
	rp_report_cmd(r->o, r->t, idx, r->conns[m->conn].session_no, &cap, &nx,
		      diff, first, r2t ? &r2c : NULL, r2t ? &r2n : NULL);
}

/* ---- task management ------------------------------------------------------- */

static void tmf_submit(struct rp *r, uint32_t idx)
{
	const struct nx_tr_tmf *f = &r->t->tmfs[idx];
	struct rp_tmf *rt = &r->tmfs[idx];
	struct rp_conn *c = &r->conns[f->conn];

	r->st->tmfs++;
	if (!c->up)
		return;
	rt->req.function = f->function;
	rt->req.lun = r->drv->lun(r->ctx, f->lun);
	rt->req.ref_itt = 0xffffffffu;
	/* The referenced task: the latest captured command with that ITT. */
	for (uint32_t i = r->t->cmds_n; i-- > 0;) {
		const struct nx_tr_cmd *m = &r->t->cmds[i];

		if (m->conn == f->conn && m->itt == f->ref_itt &&
		    m->frame_cmd <= f->frame_req && r->cmds[i].submitted) {
			nx_ini_tmf_ref(&rt->req, &r->cmds[i].req);
			break;
		}
	}
	rt->req.done = tmf_done_cb;
	rt->req.priv = rt;
	rt->submitted = nx_ini_tmf_submit(c->ic, &rt->req) == 0;
}

static void tmf_finish(struct rp *r, uint32_t idx)
{
	const struct nx_tr_tmf *f = &r->t->tmfs[idx];
	struct rp_tmf *rt = &r->tmfs[idx];
	bool ok;

	if (rt->submitted && !rt->done &&
	    !await(r, &rt->done, "task management function", idx + 1))
		return;
	ok = rt->done && rt->req.err == 0;
	if (f->answered && (!ok || rt->req.response != f->response)) {
		r->st->tmfs_differ++;
		r->st->differ++;
		r->st->kinds[4]++;
	}
	rp_report_tmf(r->o, r->t, f, r->conns[f->conn].session_no, ok,
		      rt->req.response);
}

/* ---- the run ----------------------------------------------------------------- */

static void event_run(struct rp *r, const struct nx_tr_event *e)
{
	switch (e->kind) {
	case NX_TR_EV_LOGIN:
		if (!r->conns[e->arg].tried)
			conn_login(r, e->arg);
		break;
	case NX_TR_EV_CMD:
		cmd_submit(r, e->arg);
		break;
	case NX_TR_EV_CMD_DONE:
		cmd_finish(r, e->arg);
		break;
	case NX_TR_EV_TMF:
		tmf_submit(r, e->arg);
		break;
	case NX_TR_EV_TMF_DONE:
		tmf_finish(r, e->arg);
		break;
	case NX_TR_EV_LOGOUT:
		conn_logout(r, e->arg, e->aux);
		break;
	case NX_TR_EV_CLOSE:
		conn_close(r, e->arg);
		break;
	}
}

int rp_replay(const struct nx_trace *t, const struct rp_config *cfg,
	      const struct rp_opts *o, struct rp_stats *st,
	      const struct rp_driver *drv, void *ctx)
{
	struct rp r = { .t = t, .cfg = cfg, .o = o, .st = st, .drv = drv,
			.ctx = ctx };

	r.conns = calloc(t->conns_n + 1, sizeof(*r.conns));
	r.cmds = calloc(t->cmds_n + 1, sizeof(*r.cmds));
	r.tmfs = calloc(t->tmfs_n + 1, sizeof(*r.tmfs));
	if (r.conns == NULL || r.cmds == NULL || r.tmfs == NULL) {
		r.fatal = "out of memory";
	} else {
		for (uint32_t i = 0; i < t->events_n && r.fatal == NULL; i++)
			event_run(&r, &t->events[i]);
		for (uint32_t i = 0; i < t->conns_n; i++)
			if (r.conns[i].ic != NULL || r.conns[i].s != NULL)
				conn_close(&r, i);
	}
	if (r.fatal != NULL)
		rp_note(o, "%s", r.fatal);
	for (uint32_t i = 0; r.cmds != NULL && i < t->cmds_n; i++) {
		free(r.cmds[i].in);
		free(r.cmds[i].r2t);
	}
	free(r.conns);
	free(r.cmds);
	free(r.tmfs);
	return r.fatal != NULL ? -1 : 0;
}
