/*
 * tmf_settle.c - the tmf scenario's settling, probing and reservation read-back
 * (tmf_internal.h).
 */
#include <string.h>

#include "tmf_internal.h"

static void pr_check_all(struct tm *tm, const char *when);

/* ---- settling a busy step ------------------------------------------------------------- */

static bool all_quiet(void *arg)
{
	struct tm *tm = arg;

	for (unsigned i = 0; i < tm->nnex; i++) {
		const struct nex *n = &tm->nx[i];

		if (n->outstanding || n->need_relogin)
			return false;
		if (n->si != NULL && nx_ini_conn_is_dead(tm_conn_of(n)))
			return false;
	}
	return true;
}

/* Some nexus has work out and nothing came back for SETTLE_QUIET_NS: ask
 * the target about each task (QUERY TASK, SAM-5 7.8).  Those not in the
 * task set any more were aborted silently (TAS=0 by another nexus, or
 * QErr): ABORT TASK SET makes the initiator let go of them (RFC 7143
 * 11.5.1: every task before it is answered by its response). */
static void settle_ask(struct tm *tm, struct nex *n)
{
	struct nx_ini_tmf t;
	unsigned gone = 0, open = 0;

	for (unsigned i = 0; i < n->qd; i++) {
		struct bcmd *c = &n->cmds[i];

		if (!c->busy || c->limbo || !c->req.sent)
			continue;
		if (c->queried) {
			gone++;
			continue;
		}
		if (!tm_q_tmf(n, &t, NX_INI_TMF_QUERY_TASK, c))
			return;
		if (!c->busy)
			continue; /* its response came first */
		if (t.response == NX_INI_TMF_RSP_SUCCEEDED) {
			open++; /* still in the task set: wait for it */
			continue;
		}
		tm_tmf_expect_response(tm, n, NX_INI_TMF_QUERY_TASK, &t,
				    NX_INI_TMF_RSP_COMPLETE);
		c->queried = true;
		gone++;
		nx_log(NX_LOG_INFO, "scn: nx%u itt 0x%x gone without a response",
		       n->idx, c->req.itt);
	}
	/* once only the gone ones are left, nothing else is aborted */
	if (gone == 0 || open != 0)
		return;
	tm->st.own_by |= bit(n->idx);
	if (tm_q_tmf(n, &t, NX_INI_TMF_ABORT_TASK_SET, NULL))
		tm_tmf_expect_response(tm, n, NX_INI_TMF_ABORT_TASK_SET, &t,
				    NX_INI_TMF_RSP_COMPLETE);
}

/* An ACA left behind (its clearing TMF lost with a connection) is
 * cleared by the faulted nexus now. */
void tm_settle_aca(struct tm *tm)
{
	struct nx_ini_tmf t;
	struct nex *x;

	if (tm->aca_nex == NO_NEX)
		return;
	x = &tm->nx[tm->aca_nex];
	if (!tm_nex_alive(x))
		return;
	if (tm_q_tmf(x, &t, NX_INI_TMF_CLEAR_ACA, NULL)) {
		tm_tmf_expect_response(tm, x, NX_INI_TMF_CLEAR_ACA, &t,
				    NX_INI_TMF_RSP_COMPLETE);
		tm->aca_nex = NO_NEX;
	}
}

/* After a fault a connection with nothing outstanding may have died
 * unnoticed (a long partition): a NOP-Out finds out while the step's
 * fault still explains it (RFC 7143 11.18). */
static void ping_all(struct tm *tm)
{
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];
		bool match = false;

		if (tm_nex_alive(n) &&
		    nx_ini_sync_nop(tm_conn_of(n), &tm->drv, "ping", 4, &match) != 0)
			n->need_relogin = true;
	}
	tm_relogin_needed(tm);
}

static bool settled(void *arg)
{
	const struct tm *tm = arg;

	return all_quiet(arg) && !tm->heal.cut && !tm->heal.disk_faulty;
}

/* Until nothing is in flight, no fault is active and no ACA is left.
 * A nexus whose work stopped moving is asked about it (settle_ask). */
void tm_settle(struct tm *tm)
{
	uint64_t deadline = now_ns(tm) + SETTLE_MAX_NS;

	tm_bg_stop(tm);
	for (;;) {
		tm_relogin_needed(tm);
		tm_settle_aca(tm);
		if (settled(tm) && tm->aca_nex == NO_NEX)
			break;
		if (now_ns(tm) >= deadline)
			nx_scn_fail(tm->env, "step %u: work still outstanding %llu ns "
				    "after the step: task lost", tm->st.id,
				    (unsigned long long)SETTLE_MAX_NS);
		uint64_t to = now_ns(tm) + SETTLE_QUIET_NS;
		if (!nx_sim_run_until(tm->sim, settled, tm, to) && now_ns(tm) < to)
			nx_sim_run_to(tm->sim, to);
		if (all_quiet(tm) || tm->heal.cut)
			continue;
		for (unsigned i = 0; i < tm->nnex; i++) {
			struct nex *n = &tm->nx[i];
			if (tm_nex_alive(n) && n->outstanding &&
			    now_ns(tm) - n->last_progress_ns >= SETTLE_QUIET_NS)
				settle_ask(tm, n);
		}
	}
	if (tm->st.fault)
		ping_all(tm);
}

/* ---- probing: exact checks with nothing in flight ------------------------------------------ */

void tm_probe_qae(struct tm *tm, struct nex *n)
{
	struct nx_ini_tmf t;
	unsigned may = tm_ledger_qae(&n->ua);
	char d[160];

	if (!tm_q_tmf(n, &t, NX_INI_TMF_QUERY_ASYNC_EVENT, NULL))
		return;
	/* SAM-5 7.10: FUNCTION SUCCEEDED when a UA is pending */
	if ((t.response == NX_INI_TMF_RSP_COMPLETE && (may & 1)) ||
	    (t.response == NX_INI_TMF_RSP_SUCCEEDED && (may & 2)))
		return;
	tm_ledger_describe(&n->ua, d, sizeof(d));
	nx_scn_fail(tm->env, "nexus %u: QUERY ASYNCHRONOUS EVENT answered %u, "
		    "the model's unit attentions: [%s]", n->idx, t.response, d);
}

/* TEST UNIT READY / REQUEST SENSE until nothing is pending: each UA in
 * the model's order; then the asymmetric access state through the port
 * (SPC-4 5.16.2.4: TEST UNIT READY is NOT READY unless active). */
void tm_probe_drain(struct tm *tm, struct nex *n)
{
	struct nx_ini_scsi r;
	uint8_t tur[6] = { 0 }, key, asc, ascq;
	char why[400];
	uint32_t st;

	for (unsigned tries = 0; tries < DRAIN_TRIES; tries++) {
		uint64_t s = now_ns(tm);

		if (!tm_nex_alive(n))
			return;
		if (!tm_qcmd(n, tur, 6, NX_INI_DIR_NONE, NULL, 0, NX_INI_ATTR_SIMPLE, &r))
			return;
		nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
		if (r.status == NX_STATUS_CHECK_CONDITION && key == 0x06) {
			enum tm_clear clr = tm_cc_clear(tm, s);
			tm_ua_report(n, asc, ascq, clr, "TEST UNIT READY");
			if (clr != TM_CLEAR_YES) {
				if (tm_q_request_sense(n, &asc, &ascq) == 0xff)
					return;
			}
			continue;
		}
		st = tm_alua_now(tm, n->port) & 0xff;
		if (r.status == NX_STATUS_GOOD ? !(st == AS_AO || st == AS_AN)
		    : !(r.status == NX_STATUS_CHECK_CONDITION && key == 0x02 &&
			asc == 0x04 &&
			ascq == (st == AS_SB ? 0x0b : st == AS_UN ? 0x0c : 0x0a) &&
			st != AS_AO && st != AS_AN))
			nx_scn_fail(tm->env, "nexus %u: TEST UNIT READY status 0x%02x "
				    "%X/%02Xh/%02Xh, port group %u state %u", n->idx,
				    r.status, key, asc, ascq, n->port + 1, st);
		if (!tm_ledger_drained(&n->ua, why, sizeof(why)))
			nx_scn_fail(tm->env, "step %u (%s): nexus %u: %s", tm->st.id,
				    tm_act_names[tm->st.act], n->idx, why);
		return;
	}
	nx_scn_fail(tm->env, "nexus %u: unit attentions without end", n->idx);
}

/* REPORT TARGET PORT GROUPS (SPC-4 6.37) through n: each group's state,
 * STATUS CODE and port as the model says. */
static void probe_rtpg(struct tm *tm, struct nex *n)
{
	uint8_t cdb[12] = { 0xa3, 0x0a }, buf[128];
	struct nx_ini_scsi r;
	uint32_t off = 4;

	nx_put_be32(cdb + 6, sizeof(buf));
	if (!tm_qcmd_ua(n, cdb, 12, NX_INI_DIR_READ, buf, sizeof(buf),
		     NX_INI_ATTR_SIMPLE, &r))
		return;
	if (r.status != NX_STATUS_GOOD) {
		uint8_t key, asc, ascq;

		nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
		nx_scn_fail(tm->env, "nexus %u: REPORT TARGET PORT GROUPS: status "
			    "0x%02x %X/%02Xh/%02Xh", n->idx, r.status, key, asc,
			    ascq);
	}
	if (nx_get_be32(buf) != PORTS * 12u)
		nx_scn_fail(tm->env, "RTPG: return data length %u",
			    nx_get_be32(buf));
	for (unsigned p = 0; p < PORTS; p++, off += 12) {
		uint32_t want = tm_alua_now(tm, p);
		uint8_t state = buf[off] & 0x0f, status = buf[off + 5];

		if (nx_get_be16(buf + off + 2) != p + 1 || buf[off + 7] != 1 ||
		    nx_get_be16(buf + off + 10) != p + 1 ||
		    tm_alua_v(state, status) != want)
			nx_scn_fail(tm->env, "nexus %u: RTPG group %u: state %u "
				    "status %u, the model says state %u status %u",
				    n->idx, p + 1, state, status, want & 0xff,
				    want >> 8);
	}
}

static void probe_mode(struct tm *tm, struct nex *n)
{
	uint8_t page[12];
	struct tm_ctl got, want;

	if (!tm_mode_sense_ctl(tm, n, 0, page))
		return;
	tm_ctl_from_page(page, &got);
	if (!tm_hist_possible_after(&tm->ctl, tm_ctl_pack(&got), tm->st.t0))
		nx_scn_fail(tm->env, "MODE SENSE control page: qerr %u intlck %u "
			    "tas %u dsense %u, which the model never had", got.qerr,
			    got.intlck, got.tas, got.dsense);
	/* a reading settles an uncertain history */
	tm_hist_init(&tm->ctl, tm_ctl_pack(&got), now_ns(tm));
	if (!nx_rng_chance(&tm->rng, 1, 4) || !tm_mode_sense_ctl(tm, n, 3, page))
		return;
	tm_ctl_from_page(page, &got);
	want = tm->ctl_saved;
	if (tm_ctl_pack(&got) != tm_ctl_pack(&want))
		nx_scn_fail(tm->env, "MODE SENSE saved control page: qerr %u intlck "
			    "%u tas %u, the model says qerr %u intlck %u tas %u",
			    got.qerr, got.intlck, got.tas, want.qerr, want.intlck,
			    want.tas);
}

/* Reads back every slot written since its last check. */
void tm_probe_verify(struct tm *tm, bool all)
{
	struct nex *n = tm_pick_reader(tm, true, false);
	uint8_t *buf = n != NULL ? n->cmds[0].buf : NULL;
	struct nx_ini_scsi r;

	if (n == NULL)
		return;
	for (uint32_t s = 0; s < NSLOTS; s++) {
		uint8_t cdb[10] = { 0x28 };

		if (!all && !tm->slot_dirty[s])
			continue;
		nx_put_be32(cdb + 2, s * SLOT_BLOCKS);
		nx_put_be16(cdb + 7, SLOT_BLOCKS);
		if (!tm_qcmd_ua(n, cdb, 10, NX_INI_DIR_READ, buf, SLOT_BLOCKS * BLOCK,
			     NX_INI_ATTR_SIMPLE, &r))
			return;
		if (r.status != NX_STATUS_GOOD)
			nx_scn_fail(tm->env, "nexus %u: verify READ of slot %u: "
				    "status 0x%02x", n->idx, s, r.status);
		tm_shadow_check(tm, buf, (uint64_t)s * SLOT_BLOCKS, SLOT_BLOCKS, n->idx);
		tm->slot_dirty[s] = false;
	}
	/* SYNCHRONIZE CACHE is write class under reservations (SPC-4
	 * 5.12.1 table 64): through a nexus the reservation lets write */
	n = tm_pick_reader(tm, true, true);
	if (n != NULL && nx_rng_chance(&tm->rng, 1, 3)) {
		uint8_t sync[10] = { 0x35 };

		if (!tm_qcmd_ua(n, sync, 10, NX_INI_DIR_NONE, NULL, 0,
			     NX_INI_ATTR_SIMPLE, &r))
			return;
		if (r.status != NX_STATUS_GOOD)
			nx_scn_fail(tm->env, "nexus %u: SYNCHRONIZE CACHE: status "
				    "0x%02x", n->idx, r.status);
		tm_shadow_synced(tm);
	}
}

void tm_probe(struct tm *tm)
{
	tm_relogin_needed(tm);
	for (unsigned i = 0; i < tm->nnex; i++)
		if (tm_nex_alive(&tm->nx[i]))
			tm_probe_qae(tm, &tm->nx[i]);
	for (unsigned i = 0; i < tm->nnex; i++)
		tm_probe_drain(tm, &tm->nx[i]);
	for (unsigned i = 0; i < tm->nnex; i++)
		if (tm_nex_alive(&tm->nx[i]) && nx_rng_chance(&tm->rng, 1, 2))
			probe_rtpg(tm, &tm->nx[i]);
	struct nex *m = tm_pick_reader(tm, false, false);
	if (m != NULL)
		probe_mode(tm, m);
	pr_check_all(tm, "after the step");
	tm_probe_verify(tm, false);
}

/* ---- reservations read through every path ---------------------------------------------------- */

static bool prin(struct tm *tm, struct nex *n, uint8_t sa, uint8_t *buf,
		 uint32_t *len)
{
	uint8_t cdb[10] = { 0x5e, sa };
	struct nx_ini_scsi r;

	nx_put_be16(cdb + 7, NX_SCN_PR_DATA_IN_MAX);
	memset(buf, 0, NX_SCN_PR_DATA_IN_MAX);
	if (!tm_qcmd_ua(n, cdb, 10, NX_INI_DIR_READ, buf, NX_SCN_PR_DATA_IN_MAX,
		     NX_INI_ATTR_SIMPLE, &r))
		return false;
	if (r.status != NX_STATUS_GOOD)
		nx_scn_fail(tm->env, "nexus %u: PRIN %u: status 0x%02x", n->idx, sa,
			    r.status);
	*len = r.data_in_got;
	return true;
}

/* SPC-4 5.12: the reservation state belongs to the LU, so READ KEYS and
 * READ RESERVATION answer the same bytes (generation aside) through
 * every I_T nexus, both paths of a multipath initiator included. */
static void pr_check_all(struct tm *tm, const char *when)
{
	uint8_t keys[NX_SCN_PR_DATA_IN_MAX], res[NX_SCN_PR_DATA_IN_MAX];
	uint8_t k0[NX_SCN_PR_DATA_IN_MAX], r0[NX_SCN_PR_DATA_IN_MAX];
	uint32_t klen = 0, rlen = 0, k0len = 0, r0len = 0;
	bool first = true;
	char why[512];

	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];
		uint32_t st = tm_alua_now(tm, n->port) & 0xff;

		if (!tm_nex_alive(n) || st == AS_UN || st == AS_TR)
			continue;
		if (!prin(tm, n, 0, keys, &klen) || !prin(tm, n, 1, res, &rlen))
			continue;
		if (!nx_scn_pr_check(&tm->pr, keys, klen, res, rlen, why,
				     sizeof(why)))
			nx_scn_fail(tm->env, "%s: nexus %u: %s", when, i, why);
		if (!first && (klen != k0len || rlen != r0len ||
			       memcmp(keys + 8, k0 + 8, klen > 8 ? klen - 8 : 0) ||
			       memcmp(res + 8, r0 + 8, rlen > 8 ? rlen - 8 : 0)))
			nx_scn_fail(tm->env, "%s: nexus %u reports other "
				    "reservation data than nexus %u", when, i,
				    tm->nx[0].idx);
		memcpy(k0, keys, sizeof(k0));
		memcpy(r0, res, sizeof(r0));
		k0len = klen;
		r0len = rlen;
		first = false;
	}
}
