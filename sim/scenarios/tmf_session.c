/*
 * tmf_session.c - the tmf scenario's logins, quiet commands and TMFs
 * (tmf_internal.h).
 */
#include <stdio.h>
#include <string.h>

#include "tmf_internal.h"

/* ---- sessions ---------------------------------------------------------------------- */

bool tm_nex_try_login(struct tm *tm, struct nex *n)
{
	struct nx_ini_config cfg;
	struct nx_ini_login lg;
	char name[64];
	bool trans = tm->trans_pending;
	uint8_t trans_ascq = tm->trans_fail ? 0x07 : 0x06;
	int rc;

	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:sim.i%u", n->ini);
	nx_ini_config_init(&cfg, name, TGT_NAME);
	/* One initiator port per initiator: both paths share the ISID
	 * (SSID = ISID + TPGT, RFC 7143 4.4.3). */
	cfg.isid[0] = 0x80;
	cfg.isid[5] = (uint8_t)(n->ini + 1);
	n->sess = nx_ini_session_new(&cfg);
	if (n->sess == NULL)
		nx_scn_fail(tm->env, "nexus %u: session_new", n->idx);
	rc = nx_sim_ini_connect(tm->sim, tm->ihost[n->ini], TGT_IP,
				(uint16_t)(PORT0 + n->port), n->sess, 0, 2 * SEC,
				&n->si);
	if (rc == 0) {
		rc = nx_ini_sync_login(tm_conn_of(n), &tm->drv, &lg);
		if (rc == 0 && lg.status_class != 0)
			rc = NX_INI_ELOGIN;
		if (rc != 0)
			nx_sim_ini_free(n->si);
	}
	if (rc != 0) {
		nx_log(NX_LOG_INFO, "scn: nx%u login failed: %d", n->idx, rc);
		nx_ini_session_free(n->sess);
		n->sess = NULL;
		n->si = NULL;
		return false;
	}
	/* SAM-5 6.3.2: a new I_T nexus starts with POWER ON OCCURRED. */
	tm_ledger_reset(&n->ua);
	tm_ledger_establish(&n->ua, 0x29, 0x00, true);
	if (tm->trans_pending) {
		/* the implicit transition under way ends with a UA to it too */
		tm_ledger_expect(&n->ua, 0x2a, tm->trans_fail ? 0x07 : 0x06);
		tm_ledger_confirm(&n->ua, 0x2a, tm->trans_fail ? 0x07 : 0x06);
	} else if (trans) {
		/* it ended while logging in: before or after this nexus
		 * existed at the target */
		tm_ledger_expect(&n->ua, 0x2a, trans_ascq);
	}
	n->up = true;
	n->need_relogin = false;
	n->rs_owed = false;
	n->last_progress_ns = now_ns(tm);
	n->logins++;
	nx_log(NX_LOG_INFO, "scn: nx%u (ini%u port %u) logged in, tsih %u",
	       n->idx, n->ini, n->port + 1, lg.tsih);
	return true;
}

/* After the re-login the old session's tasks are gone (RFC 7143 6.3.5):
 * what died with the connection is settled as "maybe ran". */
static void limbo_release(struct nex *n)
{
	for (unsigned i = 0; i < QD_MAX; i++) {
		struct bcmd *c = &n->cmds[i];

		if (!c->busy)
			continue;
		if (!c->limbo)
			nx_scn_fail(n->tm->env, "nexus %u: itt 0x%x neither completed "
				    "nor failed with its connection", n->idx,
				    c->req.itt);
		n->tm->st.cc_by |= bit(n->idx); /* it may have ended badly */
		n->tm->env->cmds++;
		tm_write_effect(n->tm, c, O_CONNLOST);
		tm_rec_add(n->tm, c, O_CONNLOST);
		tm_cmd_release(c);
	}
}

static void nex_relogin(struct tm *tm, struct nex *n)
{
	unsigned tries = 0;

	nx_log(NX_LOG_INFO, "scn: nx%u logs in again", n->idx);
	if (n->si != NULL) {
		nx_sim_ini_free(n->si); /* fails what is outstanding: limbo */
		nx_ini_session_free(n->sess);
	}
	n->si = NULL;
	n->sess = NULL;
	n->up = false;
	while (!tm_nex_try_login(tm, n)) {
		if (++tries == RELOGIN_TRIES)
			nx_scn_fail(tm->env, "nexus %u: no login possible for %u "
				    "tries", n->idx, tries);
		nx_sim_run_for(tm->sim, RELOGIN_BACKOFF_NS);
	}
	if (tm->st.busy) {
		tm_ledger_fuzz(&n->ua);
		if (tm->st.unbounded_2f)
			tm_ledger_expect_n(&n->ua, 0x2f, 0x00, QERR_2F_MAX);
	}
	limbo_release(n);
	tm->env->reconnects++;
	if (tm->aca_nex == n->idx)
		tm->aca_nex = NO_NEX; /* SAM-5 5.9.2.5: nexus loss clears it */
	tm_issue_schedule(n);
}

void tm_relogin_needed(struct tm *tm)
{
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];

		if (!n->need_relogin && (n->si == NULL ||
					 !nx_ini_conn_is_dead(tm_conn_of(n))))
			continue;
		/* nothing but a fault aimed at it (or at every path) or
		 * TARGET COLD RESET drops one: in particular re-instating one
		 * path's session (same ISID, other TPGT) leaves the other
		 * path's alone (RFC 7143 4.4.3: SSID = ISID + TPGT) */
		if (!(tm->st.lost & bit(i)) && !tm->st.cold)
			nx_scn_fail(tm->env, "step %u (%s): nexus %u (initiator %u "
				    "port %u) lost its connection and no fault or "
				    "reset explains it", tm->st.id,
				    tm_act_names[tm->st.act], i, n->ini, n->port + 1);
		nex_relogin(tm, n);
	}
}

/* ---- quiet commands (nothing else in flight) ---------------------------------------- */

/* A synchronous command; false if the connection failed (the nexus is
 * then marked for a re-login). */
bool tm_qcmd(struct nex *n, const uint8_t *cdb, unsigned cdb_len,
		 enum nx_ini_dir dir, void *buf, uint32_t len, uint8_t attr,
		 struct nx_ini_scsi *r)
{
	struct tm *tm = n->tm;
	int rc;

	memset(r, 0, sizeof(*r));
	r->lun = nx_ini_lun(0);
	memcpy(r->cdb, cdb, cdb_len);
	r->cdb_len = (uint16_t)cdb_len;
	r->attr = attr;
	if (dir == NX_INI_DIR_READ) {
		r->data_in = buf;
		r->data_in_len = len;
	} else if (dir == NX_INI_DIR_WRITE) {
		r->data_out = buf;
		r->data_out_len = len;
	}
	rc = nx_ini_sync_cmd(tm_conn_of(n), &tm->drv, r);
	if (rc == NX_INI_ECONNRESET || rc == NX_INI_ETIMEDOUT) {
		n->need_relogin = true;
		return false;
	}
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: CDB %02Xh: error %d", n->idx,
			    cdb[0], rc);
	tm->env->cmds++;
	return true;
}

/* With no UA pending, REQUEST SENSE through n answers 05/25/00 (SPC-4
 * 6.39: the LU is unavailable through this port). */
static bool rs_unavailable(const struct tm *tm, const struct nex *n)
{
	return (tm_alua_now(tm, n->port) & 0xff) == AS_UN;
}

/* REQUEST SENSE: clears the head UA (any UA_INTLCK_CTRL).  Returns the
 * sense key (0xff: connection failed). */
uint8_t tm_q_request_sense(struct nex *n, uint8_t *asc, uint8_t *ascq)
{
	struct tm *tm = n->tm;
	struct nx_ini_scsi r;
	uint8_t buf[252], cdb[6] = { 0x03, 0, 0, 0, sizeof(buf), 0 }, key;

	if (nx_rng_chance(&n->rng, 1, 2))
		cdb[1] = 0x01; /* DESC */
	if (!tm_qcmd(n, cdb, 6, NX_INI_DIR_READ, buf, sizeof(buf),
		  NX_INI_ATTR_SIMPLE, &r))
		return 0xff;
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: REQUEST SENSE status 0x%02x",
			    n->idx, r.status);
	nx_scn_sense_decode(buf, r.data_in_got, &key, asc, ascq);
	if ((buf[0] & 0x7f) != ((cdb[1] & 1) ? 0x72 : 0x70))
		nx_scn_fail(tm->env, "nexus %u: REQUEST SENSE DESC=%u answered "
			    "response code %02Xh", n->idx, cdb[1] & 1, buf[0]);
	if (key == 0x06) {
		tm_ua_report(n, *asc, *ascq, TM_CLEAR_YES, "REQUEST SENSE");
		return key;
	}
	if (rs_unavailable(tm, n) ? !(key == 5 && *asc == 0x25) : key != 0)
		nx_scn_fail(tm->env, "nexus %u: REQUEST SENSE: %X/%02Xh/%02Xh, "
			    "port group state %u", n->idx, key, *asc, *ascq,
			    tm_alua_now(tm, n->port) & 0xff);
	/* SAM-5 5.14: REQUEST SENSE reports a pending UA before anything
	 * else (core/spc.c), so nothing is pending now */
	if (!tm->st.busy && !tm->trans_pending) {
		char why[400];

		if (!tm_ledger_drained(&n->ua, why, sizeof(why)))
			nx_scn_fail(tm->env, "step %u (%s): nexus %u, REQUEST SENSE "
				    "%X/%02Xh/%02Xh: %s", tm->st.id,
				    tm_act_names[tm->st.act], n->idx, key, *asc, *ascq,
				    why);
	}
	return key;
}

/* A command that may meet UAs first: each is checked against the
 * ledger, kept ones are cleared with REQUEST SENSE, and the command is
 * sent again.  *r is the first answer that is not a UA.  False if the
 * connection failed. */
bool tm_qcmd_ua(struct nex *n, const uint8_t *cdb, unsigned cdb_len,
		    enum nx_ini_dir dir, void *buf, uint32_t len, uint8_t attr,
		    struct nx_ini_scsi *r)
{
	struct tm *tm = n->tm;
	uint8_t key, asc, ascq, a2, q2;

	for (unsigned tries = 0; tries < DRAIN_TRIES; tries++) {
		uint64_t s = now_ns(tm);

		if (!tm_qcmd(n, cdb, cdb_len, dir, buf, len, attr, r))
			return false;
		nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
		if (r->status != NX_STATUS_CHECK_CONDITION || key != 0x06)
			return true;
		enum tm_clear clr = tm_cc_clear(tm, s);
		tm_ua_report(n, asc, ascq, clr, "CHECK CONDITION");
		if (clr != TM_CLEAR_YES) {
			key = tm_q_request_sense(n, &a2, &q2);
			if (key == 0xff)
				return false;
		}
	}
	nx_scn_fail(tm->env, "nexus %u: CDB %02Xh: unit attentions without end",
		    n->idx, cdb[0]);
}

/* ---- TMFs --------------------------------------------------------------------------- */

struct tmf_wait {
	struct tm *tm;
	bool done;
};

/* The answer's place in the order of completions (tm->order), taken in
 * the callback: answers read from the same segment after it come later. */
static void q_tmf_done(struct nx_ini_tmf *t)
{
	struct tmf_wait *w = t->priv;

	w->done = true;
	w->tm->tmf_order = ++w->tm->order;
}

/* TMF, waiting for its answer while everything else goes on; false if
 * the connection failed. */
bool tm_q_tmf(struct nex *n, struct nx_ini_tmf *t, uint8_t fn,
		  const struct bcmd *ref)
{
	struct tm *tm = n->tm;
	struct tmf_wait w = { .tm = tm };
	int rc;

	memset(t, 0, sizeof(*t));
	t->function = fn;
	t->lun = nx_ini_lun(0);
	t->ref_itt = 0xffffffffu;
	if (ref != NULL)
		nx_ini_tmf_ref(t, &ref->req);
	tm->n_tmf[fn]++;
	tm->env->tmfs++;
	nx_log(NX_LOG_INFO, "scn: nx%u TMF %u%s", n->idx, fn,
	       ref != NULL ? " (referenced task)" : "");
	t->done = q_tmf_done;
	t->priv = &w;
	rc = nx_ini_tmf_submit(tm_conn_of(n), t);
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: TMF %u submit: %d", n->idx, fn, rc);
	for (uint32_t steps = 0; !w.done; steps++) {
		if (steps == SYNC_STEPS || !nx_sim_step(tm->sim)) {
			nx_ini_cancel(nx_ini_conn_session(tm_conn_of(n)), t->itt);
			break;
		}
	}
	rc = t->err;
	if (rc == NX_INI_ECONNRESET || rc == NX_INI_ECANCELED) {
		n->need_relogin = true;
		nx_log(NX_LOG_INFO, "scn: nx%u TMF %u lost: %d", n->idx, fn, rc);
		return false;
	}
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: TMF %u: error %d", n->idx, fn, rc);
	nx_log(NX_LOG_INFO, "scn: nx%u TMF %u response %u", n->idx, fn,
	       t->response);
	if (t->response == NX_INI_TMF_RSP_SUCCEEDED)
		tm->n_tmf_succeeded++;
	n->last_progress_ns = now_ns(tm);
	return true;
}

void tm_tmf_expect_response(struct tm *tm, const struct nex *n, uint8_t fn,
				const struct nx_ini_tmf *t, uint8_t want)
{
	if (t->response != want)
		nx_scn_fail(tm->env, "nexus %u: TMF %u answered %u, expected %u",
			    n->idx, fn, t->response, want);
}
