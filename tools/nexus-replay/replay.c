/*
 * replay.c - the captured initiator side, event by event in capture
 * order, against a nexus target on a simulated host.
 *
 * The target is configured from the trace (rp_config_from_trace): its
 * name(s), the LUNs touched or reported, sizes and block size from READ
 * CAPACITY answers, the INQUIRY identity; RAM backstores start zeroed.
 * Each captured connection becomes an initiator session on its own sim
 * TCP connection, logging in with the captured InitiatorName, ISID and
 * digests.  A command is submitted where its SCSI Command PDU is in the
 * capture and awaited where its answer is, so commands that overlapped
 * in the capture overlap in the replay (TMFs and unit attentions see the
 * same task set shape); the simulator makes the run deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "../../sim/nx_sim_iscsi.h"
#include "../../core/backstore/nx_backstore.h"
#include "../../core/nx_scsi.h"

#define TGT_IP 0x0a000001u
#define INI_IP 0x0a000002u
#define PORT 3260
#define SEC 1000000000ull
#define WAIT_NS (120 * SEC)
#define SUBMIT_TRIES 64

struct rp_conn {
	struct nx_ini_session *s;
	struct nx_sim_ini *si;
	bool up, tried;
	const char *why;           /* why it is not up */
	uint32_t session_no;
	struct nx_ini_login lg;
	bool login_done;
	struct nx_ini_logout lo;
	bool logout_done;
};

struct rp_cmd {
	struct nx_ini_scsi req;
	uint8_t *in;
	bool submitted, done;
	const char *skip;          /* not replayed: why */
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
	struct nx_sim *sim;
	struct nx_sim_net *net;
	struct nx_sim_host *thost, *ihost;
	struct nx_sim_iscsi_target *stgt;
	struct nx_target *targets[RP_TARGETS_MAX];
	struct rp_conn *conns;
	struct rp_cmd *cmds;
	struct rp_tmf *tmfs;
};

/* ---- waiting ------------------------------------------------------------ */

static bool flag_set(void *arg)
{
	return *(bool *)arg;
}

static bool wait_flag(struct rp *r, bool *flag)
{
	return nx_sim_run_until(r->sim, flag_set, flag, nx_sim_now(r->sim) + WAIT_NS);
}

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

/* ---- the target --------------------------------------------------------- */

static const char *or_null(const char *s)
{
	return s[0] ? s : NULL;
}

static int target_setup(struct rp *r)
{
	struct nx_iscsi_server_config sc;

	memset(&sc, 0, sizeof(sc));
	for (unsigned i = 0; i < r->cfg->target_count; i++) {
		r->targets[i] = nx_target_new(r->cfg->targets[i]);
		if (r->targets[i] == NULL)
			return -1;
		sc.targets[i].target = r->targets[i];
	}
	sc.target_count = r->cfg->target_count;
	for (unsigned i = 0; i < r->cfg->lu_count; i++) {
		const struct rp_lu *l = &r->cfg->lus[i];
		struct nx_lu_config lc = {
			.lun = l->lun, .block_size = l->block_size,
			.vendor = or_null(l->vendor), .product = or_null(l->product),
			.revision = or_null(l->revision), .serial = or_null(l->serial),
			.phys_block_size = l->lbppbe_seen
						   ? l->block_size << l->lbppbe : 0,
			.removable = l->removable,
		};
		struct nx_backstore *bs = nx_bs_ram_new(l->blocks * l->block_size);

		if (bs == NULL || nx_target_add_lu(r->targets[l->target], &lc, bs))
			return -1;
	}
	sc.portals[0] = "10.0.0.1:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	r->thost = nx_sim_host_new(r->net, "target", TGT_IP);
	r->ihost = nx_sim_host_new(r->net, "initiator", INI_IP);
	if (r->thost == NULL || r->ihost == NULL)
		return -1;
	r->stgt = nx_sim_iscsi_target_new(r->sim, r->thost, PORT, &sc);
	return r->stgt ? 0 : -1;
}

/* ---- sessions ------------------------------------------------------------ */

static void session_config(const struct rp *r, uint32_t ci,
			   struct nx_ini_config *cfg)
{
	const struct nx_tr_login *l = &r->t->conns[ci].login;
	char name[NX_TR_NAME_MAX];

	if (l->initiator[0])
		snprintf(name, sizeof(name), "%s", l->initiator);
	else
		snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:replay.c%u", ci);
	nx_ini_config_init(cfg, name, l->target[0] ? l->target : r->cfg->targets[0]);
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
	if (l->offer_immediate[0])
		cfg->immediate_data = strcmp(l->offer_immediate, "Yes") == 0;
	if (l->offer_initial_r2t[0])
		cfg->initial_r2t = strcmp(l->offer_initial_r2t, "Yes") == 0;
	if (l->offer_first_burst)
		cfg->first_burst_length = l->offer_first_burst;
	if (l->offer_max_burst)
		cfg->max_burst_length = l->offer_max_burst;
}

static void conn_login(struct rp *r, uint32_t ci)
{
	struct rp_conn *c = &r->conns[ci];
	struct nx_ini_config cfg;

	c->tried = true;
	session_config(r, ci, &cfg);
	c->s = nx_ini_session_new(&cfg);
	if (c->s == NULL) {
		c->why = "initiator session could not be created";
		return;
	}
	if (nx_sim_ini_connect(r->sim, r->ihost, TGT_IP, PORT, c->s,
			       r->t->conns[ci].login.cid, 10 * SEC, &c->si) != 0) {
		c->why = "TCP connect to the simulated target failed";
		return;
	}
	c->lg.done = login_done_cb;
	c->lg.priv = c;
	if (nx_ini_login(nx_sim_ini_conn(c->si), &c->lg) != 0 ||
	    !wait_flag(r, &c->login_done) || c->lg.err != 0) {
		c->why = "nexus refused the login";
		rp_note(r->o, "connection %u: login to nexus failed (err %d, "
			"status %u/%u)", ci, c->lg.err, c->lg.status_class,
			c->lg.status_detail);
		return;
	}
	c->up = true;
	c->session_no = ++r->st->sessions;
}

static void conn_close(struct rp *r, uint32_t ci)
{
	struct rp_conn *c = &r->conns[ci];

	/* Fail what is outstanding first: their callbacks point at us. */
	if (c->si != NULL) {
		nx_sim_ini_free(c->si);
		c->si = NULL;
	}
	if (c->s != NULL) {
		nx_ini_session_free(c->s);
		c->s = NULL;
	}
	c->up = false;
	if (c->why == NULL)
		c->why = "the connection had ended";
	/* Let the target see the FIN and drain the session. */
	nx_sim_run_for(r->sim, SEC / 100);
}

static void conn_logout(struct rp *r, uint32_t ci, uint8_t reason)
{
	struct rp_conn *c = &r->conns[ci];

	if (!c->up)
		return;
	c->lo.reason = reason;
	c->lo.done = logout_done_cb;
	c->lo.priv = c;
	if (nx_ini_logout_submit(nx_sim_ini_conn(c->si), &c->lo) == 0)
		wait_flag(r, &c->logout_done);
}

/* ---- commands ------------------------------------------------------------- */

static void cmd_submit(struct rp *r, uint32_t idx)
{
	const struct nx_tr_cmd *m = &r->t->cmds[idx];
	struct rp_cmd *rc = &r->cmds[idx];
	struct rp_conn *c = &r->conns[m->conn];
	struct nx_ini_scsi *q = &rc->req;
	int err = NX_EAGAIN;

	r->st->commands++;
	if (!c->up) {
		rc->skip = c->why ? c->why : "its connection never logged in";
		return;
	}
	q->lun = m->lun;
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
		err = nx_ini_scsi_submit(nx_sim_ini_conn(c->si), q);
		if (err == NX_EAGAIN)
			nx_sim_step(r->sim);
	}
	if (err != 0)
		rc->skip = "the initiator library refused the command";
	else
		rc->submitted = true;
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

static void answer_nexus(const struct rp_cmd *rc, struct rp_answer *a)
{
	const struct nx_ini_scsi *q = &rc->req;

	memset(a, 0, sizeof(*a));
	if (rc->skip != NULL || !rc->done ||
	    (q->err != 0 && q->err != NX_INI_EREJECTED)) {
		a->none_why = rc->skip ? rc->skip :
			      !rc->done ? "no answer within 120 s (virtual)" :
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

static void cmd_finish(struct rp *r, uint32_t idx)
{
	const struct nx_tr_cmd *m = &r->t->cmds[idx];
	struct rp_cmd *rc = &r->cmds[idx];
	struct rp_answer cap, nx;
	uint32_t first = UINT32_MAX;
	unsigned diff;

	if (rc->submitted && !rc->done)
		wait_flag(r, &rc->done);
	answer_captured(m, &cap);
	answer_nexus(rc, &nx);
	diff = rp_compare(&cap, &nx, r->o->no_data, &first);
	if (!cap.present)
		r->st->not_compared++;
	if (diff) {
		r->st->differ++;
		for (unsigned k = 0; k < 4; k++)
			if (diff & (1u << k))
				r->st->kinds[k]++;
	}
	rp_report_cmd(r->o, r->t, idx, r->conns[m->conn].session_no, &cap, &nx,
		      diff, first);
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
	rt->req.lun = f->lun;
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
	rt->submitted = nx_ini_tmf_submit(nx_sim_ini_conn(c->si), &rt->req) == 0;
}

static void tmf_finish(struct rp *r, uint32_t idx)
{
	const struct nx_tr_tmf *f = &r->t->tmfs[idx];
	struct rp_tmf *rt = &r->tmfs[idx];
	bool ok;

	if (rt->submitted && !rt->done)
		wait_flag(r, &rt->done);
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

static int sim_setup(struct rp *r)
{
	struct nx_sim_opts so = { .seed = 1, .events_max = 1u << 18 };
	struct nx_link_opts lo;
	struct nx_sim_net_opts no;
	struct nx_rng rng;
	char err[128];

	r->sim = nx_sim_new(&so);
	if (r->sim == NULL)
		return -1;
	nx_sim_set_repro(r->sim, "nexus-replay (deterministic: seed 1)");
	nx_sim_log_config(r->sim, r->o->verbose ? stderr : NULL, NX_LOG_INFO);
	nx_rng_fork(nx_sim_rng(r->sim), "link.opts", 0, &rng);
	if (nx_link_parse("ideal:latency=10us", &lo, &rng, err, sizeof(err)) != 0)
		return -1;
	nx_sim_net_opts_default(&no);
	r->net = nx_sim_net_new(r->sim, &no, &lo);
	return r->net ? 0 : -1;
}

static void teardown(struct rp *r)
{
	for (uint32_t i = 0; i < r->t->conns_n; i++)
		if (r->conns[i].si != NULL || r->conns[i].s != NULL)
			conn_close(r, i);
	if (r->stgt != NULL && nx_sim_iscsi_target_free(r->stgt, 60 * SEC) != 0)
		rp_note(r->o, "nexus kept a connection open at the end");
	for (unsigned i = 0; i < RP_TARGETS_MAX; i++)
		if (r->targets[i] != NULL)
			nx_target_free(r->targets[i]);
	if (r->net != NULL)
		nx_sim_net_free(r->net);
	if (r->sim != NULL)
		nx_sim_free(r->sim);
	for (uint32_t i = 0; i < r->t->cmds_n; i++)
		free(r->cmds[i].in);
	free(r->conns);
	free(r->cmds);
	free(r->tmfs);
}

int rp_replay_sim(const struct nx_trace *t, const struct rp_config *cfg,
		  const struct rp_opts *o, struct rp_stats *st)
{
	struct rp r = { .t = t, .cfg = cfg, .o = o, .st = st };
	int rc = -1;

	r.conns = calloc(t->conns_n + 1, sizeof(*r.conns));
	r.cmds = calloc(t->cmds_n + 1, sizeof(*r.cmds));
	r.tmfs = calloc(t->tmfs_n + 1, sizeof(*r.tmfs));
	if (r.conns && r.cmds && r.tmfs && sim_setup(&r) == 0 &&
	    target_setup(&r) == 0) {
		for (uint32_t i = 0; i < t->events_n; i++)
			event_run(&r, &t->events[i]);
		rc = 0;
	} else {
		rp_note(o, "could not set up the simulated nexus target");
	}
	teardown(&r);
	return rc;
}
