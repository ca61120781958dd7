/*
 * workload_ctl.c - the workload engine's control operations: MODE SELECT,
 * TMFs, persistent reservations (wl_internal.h).
 */
#include <string.h>

#include "wl_internal.h"

/* ---- control operations ------------------------------------------------------------ */

/* MODE SELECT(10) of the informational exceptions page with a new
 * interval timer: always a change, so SPC-4 7.5.1 gives every other
 * I_T nexus MODE PARAMETERS CHANGED. */
static void issue_modesel(struct ini *in, struct cmd *c)
{
	struct wl *wl = in->wl;
	uint8_t *p = c->buf;

	memset(&c->req, 0, sizeof(c->req));
	memset(p, 0, 8);
	memcpy(p + 8, wl->iec_page, sizeof(wl->iec_page));
	p[8] &= 0x7f; /* PS is reserved in MODE SELECT */
	nx_put_be32(p + 8 + 4, ++wl->mode_value);
	c->kind = K_MODESEL;
	c->req.cdb[0] = 0x55;
	c->req.cdb[1] = 0x10; /* PF */
	nx_put_be16(c->req.cdb + 7, 8 + sizeof(wl->iec_page));
	c->req.cdb_len = 10;
	c->req.data_out = p;
	c->req.data_out_len = 8 + sizeof(wl->iec_page);
	in->ctl_busy = true;
	wl_ua_est_begin(wl, -1, (int)in->idx, UA_MODE_CHANGED);
	nx_log(NX_LOG_INFO, "scn: ini%u MODE SELECT interval=%u", in->idx,
	       wl->mode_value);
	wl_cmd_submit(in, c);
}

static void tmf_done(struct nx_ini_tmf *t);

/* SRP: the answer in in->tmf's terms (SRP r16a 6.9 response codes). */
static void srp_tmf_done(struct nx_ini_srp_tmf *t)
{
	struct ini *in = t->priv;

	in->tmf.err = t->err;
	in->tmf.response = t->rsp_code == NX_SRP_RSP_COMPLETE ?
		NX_INI_TMF_RSP_COMPLETE : t->rsp_code == NX_SRP_RSP_TMF_NOT_SUPPORTED ?
		NX_INI_TMF_RSP_NOT_SUPPORTED : NX_INI_TMF_RSP_REJECTED;
	if (t->err == 0 && t->rsp_code != NX_SRP_RSP_COMPLETE)
		nx_log(NX_LOG_INFO, "scn: ini%u SRP TMF response code %02Xh",
		       in->idx, t->rsp_code);
	tmf_done(&in->tmf);
}

/* in->tmf as an SRP_TSK_MGMT (SRP r16a 6.7 function codes). */
static int srp_tmf_submit(struct ini *in)
{
	struct nx_ini_srp_tmf *t = &in->stmf;

	memset(t, 0, sizeof(*t));
	t->fn = in->tmf.function == NX_INI_TMF_ABORT_TASK ? NX_SRP_TMF_ABORT_TASK :
		in->tmf.function == NX_INI_TMF_ABORT_TASK_SET ?
		NX_SRP_TMF_ABORT_TASK_SET : NX_SRP_TMF_LUN_RESET;
	nx_assert(in->tmf.function == NX_INI_TMF_ABORT_TASK ||
		  in->tmf.function == NX_INI_TMF_ABORT_TASK_SET ||
		  in->tmf.function == NX_INI_TMF_LOGICAL_UNIT_RESET);
	t->lun = in->tmf.lun;
	t->task_tag = in->tmf.ref_itt; /* the whole SRP tag (< 2^32) */
	t->done = srp_tmf_done;
	t->priv = in;
	return nx_ini_srp_tmf_submit(nx_sim_srp_ini_port(in->pi), t);
}

/* ref: the command ABORT TASK names (set before the request is built). */
void wl_tmf_submit(struct ini *in, uint8_t fn, const struct cmd *ref)
{
	int rc;

	memset(&in->tmf, 0, sizeof(in->tmf));
	in->tmf.function = fn;
	in->tmf.lun = nx_ini_lun(0);
	in->tmf.ref_itt = 0xffffffffu;
	if (ref != NULL)
		nx_ini_tmf_ref(&in->tmf, &ref->req);
	in->tmf.done = tmf_done;
	in->tmf.priv = in;
	in->tmf_submit_ns = nx_sim_now(in->wl->sim);
	if (in->outstanding == 0 && !in->ctl_busy)
		in->last_progress_ns = in->tmf_submit_ns;
	in->ctl_busy = true;
	in->tmf_out = true;
	if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET)
		wl_ua_est_begin(in->wl, -1, -1, UA_LU_RESET);
	rc = in->pi != NULL ? srp_tmf_submit(in)
			    : nx_ini_tmf_submit(wl_ini_conn(in), &in->tmf);
	if (rc != 0)
		nx_scn_fail(in->wl->env, "initiator %u: TMF %u submit: %d",
			    in->idx, fn, rc);
}

static bool issue_abort_task(struct ini *in)
{
	struct cmd *v[QD_LIMIT];
	unsigned n = 0;

	for (unsigned i = 0; i < in->qd; i++)
		if (in->cmds[i].busy && in->cmds[i].req.sent)
			v[n++] = &in->cmds[i];
	if (n == 0)
		return false;
	struct cmd *c = v[nx_rng_below(&in->rng, n)];
	wl_tmf_submit(in, NX_INI_TMF_ABORT_TASK, c);
	nx_log(NX_LOG_INFO, "scn: ini%u ABORT TASK itt 0x%x", in->idx, c->req.itt);
	return true;
}

/* A LOGICAL UNIT RESET by another initiator aborted our tasks; with
 * TAS=0 they vanished without a response (SAM-5 7.7, 5.6).  A real
 * initiator learns it from the 29h/03h UA or a command timeout; we
 * learn it when the reset completes and clean up with ABORT TASK SET
 * (RFC 7143 11.5.1: commands sent before it are answered by it). */
/* The TMF's connection died: it may or may not have run. */
static void tmf_lost(struct ini *in, const struct nx_ini_tmf *t)
{
	struct wl *wl = in->wl;

	if (t->function == NX_INI_TMF_LOGICAL_UNIT_RESET) {
		wl_ua_est_end(wl, -1, -1, UA_LU_RESET, in->tmf_submit_ns, true, false);
		if (!wl->tas)
			for (unsigned i = 0; i < wl->o.initiators; i++)
				if (i != in->idx) {
					wl->ini[i].recover = true;
					wl_issue_schedule(&wl->ini[i]);
				}
	}
	in->tmf_limbo++;
	in->ctl_busy = false;
	in->tmf_out = false;
	wl_ini_lost(in);
}

static void tmf_done(struct nx_ini_tmf *t)
{
	struct ini *in = t->priv;
	struct wl *wl = in->wl;
	bool ok = t->err == 0 && t->response == NX_INI_TMF_RSP_COMPLETE;

	nx_log(NX_LOG_INFO, "scn: ini%u TMF %u done err %d response %u", in->idx,
	       t->function, t->err, t->response);
	in->tmf_out = false;
	if (t->err == NX_INI_ECONNRESET) {
		tmf_lost(in, t);
		return;
	}
	wl->env->tmfs++;
	in->last_progress_ns = nx_sim_now(wl->sim);
	if (t->function == NX_INI_TMF_LOGICAL_UNIT_RESET) {
		wl_ua_est_end(wl, -1, -1, UA_LU_RESET, in->tmf_submit_ns, true, ok);
		if (!wl->tas)
			for (unsigned i = 0; i < wl->o.initiators; i++)
				if (i != in->idx) {
					wl->ini[i].recover = true;
					wl_issue_schedule(&wl->ini[i]);
				}
	}
	if (!ok && !(t->function == NX_INI_TMF_ABORT_TASK && t->err == 0 &&
		     t->response == NX_INI_TMF_RSP_NO_TASK))
		nx_scn_fail(wl->env, "initiator %u: TMF %u: err %d response %u",
			    in->idx, t->function, t->err, t->response);
	in->ctl_busy = false;
	wl_issue_schedule(in);
}

/* The next reservation command of the model (pr_model.h); false when
 * none may be sent now. */
static bool issue_pr(struct ini *in, struct cmd *c)
{
	struct wl *wl = in->wl;

	if (!nx_scn_pr_pick(&wl->pr, in->idx, &in->rng, &c->pr))
		return false;
	memset(&c->req, 0, sizeof(c->req));
	memcpy(c->req.cdb, c->pr.cdb, sizeof(c->pr.cdb));
	c->req.cdb_len = sizeof(c->pr.cdb);
	c->kind = c->pr.out ? K_PROUT : K_PRIN;
	if (c->pr.out) {
		memcpy(c->buf, c->pr.param, c->pr.param_len);
		c->req.data_out = c->buf;
		c->req.data_out_len = c->pr.param_len;
	} else {
		c->req.data_in = c->buf;
		c->req.data_in_len = c->pr.data_in_len;
	}
	in->ctl_busy = true;
	if (c->pr.ua_to >= 0)
		wl_ua_est_begin(wl, c->pr.ua_to, -1, wl_pr_ua_kind(c->pr.ua_ascq));
	nx_log(NX_LOG_INFO, "scn: ini%u %s", in->idx, c->pr.name);
	wl_cmd_submit(in, c);
	return true;
}

void wl_issue_control(struct ini *in, struct cmd *c)
{
	uint64_t pick = nx_rng_below(&in->rng, 10);

	if (in->wl->o.pr && pick < 4 && issue_pr(in, c))
		return;

	if (pick < 5)
		issue_modesel(in, c);
	else if (pick < 9 && issue_abort_task(in))
		return;
	else if (pick == 9) {
		nx_log(NX_LOG_INFO, "scn: ini%u LOGICAL UNIT RESET", in->idx);
		wl_tmf_submit(in, NX_INI_TMF_LOGICAL_UNIT_RESET, NULL);
	}
}
