/*
 * tmf.c - task management functions (SAM-5 7).
 *
 * An aborted task that has not started (waiting for data-out, or blocked by
 * the task attribute rules) completes at once with t->aborted; one whose
 * I/O is in the backstore is marked and completes when that I/O drains.  A
 * TMF answers once no task it covers is left draining; pending TMFs sit on
 * their nexus's tmf list and are re-checked whenever an aborted task
 * drains.  Tasks of other I_T nexuses aborted by CLEAR TASK SET, LOGICAL
 * UNIT RESET or a target reset end with TASK ABORTED status when TAS=1,
 * silently otherwise (SAM-5 5.6; control mode page TAS, SPC-4 7.5.8); for
 * CLEAR TASK SET with TAS=0 those nexuses get UA 2Fh/00h COMMANDS CLEARED
 * BY ANOTHER INITIATOR (SAM-5 7.4).
 *
 * The ACA condition (SAM-5 5.9.2) lives here too: one per LU (TST 000b,
 * one task set), held by the faulted I_T nexus.  A command with NACA=1
 * that ends with CHECK CONDITION establishes it; while it exists the
 * faulted nexus may add one task with the ACA attribute and every other
 * new command gets ACA ACTIVE or BUSY (nx_aca_check); the tasks already
 * in the task set wait (dispatch.c runnable()) until CLEAR ACA, an LU or
 * target reset, or the faulted nexus's loss clears it.  ABORT TASK SET
 * and CLEAR TASK SET leave it alone (SAM-5 7.3, 7.5).  QErr (SPC-4 7.5.8
 * table 460) decides which other tasks a CHECK CONDITION aborts.
 */
#include "scsi_internal.h"

static struct nx_lu *tmf_lu(const struct nx_tmf *req)
{
	uint64_t lun;

	if (!nx_lun_decode(req->lun, &lun) || lun == NX_WLUN_REPORT_LUNS)
		return NULL;
	return nx_target_find_lu(req->nexus->tgt, lun);
}

static bool needs_lu(enum nx_tmf_fn fn)
{
	return fn != NX_TMF_I_T_NEXUS_RESET && fn != NX_TMF_TARGET_WARM_RESET &&
	       fn != NX_TMF_TARGET_COLD_RESET;
}

/* Which tasks a TMF affects (rlu: the TMF's LU, NULL when it has none). */
static bool covers(const struct nx_tmf *req, const struct nx_lu *rlu,
		   const struct nx_task *t)
{
	switch (req->fn) {
	case NX_TMF_ABORT_TASK:
		return t->nexus == req->nexus && t->priv.lu == rlu &&
		       t->tag == req->ref_tag;
	case NX_TMF_ABORT_TASK_SET:
		return t->nexus == req->nexus && t->priv.lu == rlu;
	case NX_TMF_CLEAR_ACA:
		/* SAM-5 7.4: the ACA task is aborted as by ABORT TASK. */
		return t->nexus == req->nexus && t->priv.lu == rlu &&
		       t->attr == NX_ATTR_ACA;
	case NX_TMF_CLEAR_TASK_SET:
	case NX_TMF_LOGICAL_UNIT_RESET:
		return t->priv.lu == rlu;
	case NX_TMF_I_T_NEXUS_RESET:
		return t->nexus == req->nexus;
	case NX_TMF_TARGET_WARM_RESET:
	case NX_TMF_TARGET_COLD_RESET:
		return true;
	default:
		return false;
	}
}

static bool tas_applies(enum nx_tmf_fn fn)
{
	return fn == NX_TMF_CLEAR_TASK_SET || fn == NX_TMF_LOGICAL_UNIT_RESET ||
	       fn == NX_TMF_TARGET_WARM_RESET || fn == NX_TMF_TARGET_COLD_RESET;
}

static struct nx_task *next_victim(const struct nx_tmf *req,
				   const struct nx_lu *rlu, struct nx_lu *lu,
				   uint64_t seq_limit)
{
	for (struct nx_task *t = lu->set_head; t != NULL; t = t->priv.set_next)
		if (t->priv.seq < seq_limit && !nx_task_aborting(t) &&
		    covers(req, rlu, t))
			return t;
	return NULL;
}

/* Aborts the covered tasks of lu that arrived before the TMF.  Kicks are
 * held off so that no blocked task starts half-way through the sweep. */
static void sweep_lu(const struct nx_tmf *req, const struct nx_lu *rlu,
		     struct nx_lu *lu)
{
	uint64_t seq_limit = lu->next_seq;
	bool was_kicking = lu->kicking;
	struct nx_task *t;

	lu->kicking = true;
	while ((t = next_victim(req, rlu, lu, seq_limit)) != NULL) {
		struct nx_nexus *owner = t->nexus;
		bool other = owner != req->nexus && tas_applies(req->fn);
		bool tas = other && lu->mode.tas;
		nx_task_abort(t, tas); /* t may be released from here on */
		if (other && !tas && req->fn == NX_TMF_CLEAR_TASK_SET)
			nx_ua_establish(owner, lu, 0x2f, 0x00);
	}
	lu->kicking = was_kicking;
	if (was_kicking)
		lu->kick_again = true;
	else
		nx_lu_kick(lu);
}

/* PREEMPT AND ABORT (SPC-4 5.12.11.4.5, SAM-5 5.6): victim's tasks on lu
 * end as if another nexus cleared them, so TAS decides TASK ABORTED status
 * or a silent abort.  Kicks are held off like sweep_lu()'s. */
void nx_tmf_abort_nexus_tasks(struct nx_lu *lu, struct nx_nexus *victim)
{
	struct nx_tmf req = { .fn = NX_TMF_ABORT_TASK_SET, .nexus = victim };
	uint64_t seq_limit = lu->next_seq;
	bool was_kicking = lu->kicking;
	struct nx_task *t;

	nx_assert(lu != NULL && victim != NULL);
	lu->kicking = true;
	while ((t = next_victim(&req, lu, lu, seq_limit)) != NULL)
		nx_task_abort(t, lu->mode.tas);
	lu->kicking = was_kicking;
	if (was_kicking)
		lu->kick_again = true;
	else
		nx_lu_kick(lu);
}

static void sweep(const struct nx_tmf *req, struct nx_lu *rlu)
{
	struct nx_target *tgt = req->nexus->tgt;

	if (needs_lu(req->fn)) {
		sweep_lu(req, rlu, rlu);
		return;
	}
	for (unsigned i = 0; i < tgt->lu_count; i++)
		sweep_lu(req, rlu, tgt->lus[i]);
}

static uint32_t draining(const struct nx_tmf *req)
{
	struct nx_target *tgt = req->nexus->tgt;
	struct nx_lu *rlu = tmf_lu(req);
	uint32_t n = 0;

	for (unsigned i = 0; i < tgt->lu_count; i++)
		for (const struct nx_task *t = tgt->lus[i]->set_head; t != NULL;
		     t = t->priv.set_next)
			if (nx_task_aborting(t) && covers(req, rlu, t))
				n++;
	return n;
}

void nx_tmf_task_drained(struct nx_target *tgt)
{
	bool again = true;

	/* Bounded: every pass either answers one TMF or ends. */
	while (again) {
		again = false;
		for (struct nx_nexus *n = tgt->nexus_head; n && !again; n = n->next) {
			for (struct nx_tmf **pp = &n->tmf_head; *pp != NULL;
			     pp = &(*pp)->next) {
				struct nx_tmf *req = *pp;
				req->waiting = draining(req);
				if (req->waiting != 0)
					continue;
				*pp = req->next;
				req->next = NULL;
				req->done(req);
				again = true;
				break;
			}
		}
	}
}

/* SAM-5 6.3: what a reset does besides aborting tasks. */
static void reset_effects(const struct nx_tmf *req, struct nx_lu *rlu)
{
	struct nx_target *tgt = req->nexus->tgt;

	switch (req->fn) {
	case NX_TMF_LOGICAL_UNIT_RESET:
		/* SAM-5 6.3.3: 29h/03h for every I_T nexus; current mode
		 * parameters revert to the saved ones (SPC-4 7.5.1). */
		nx_lu_reset_state(rlu);
		nx_pr_spc2_reset(rlu, NULL); /* SPC-2 5.5.1; PRs stay */
		rlu->mode = rlu->mode_saved;
		rlu->aca_nexus = NULL; /* SAM-5 5.9.2.5 */
		nx_ua_establish_all(tgt, rlu, NULL, 0x29, 0x03);
		break;
	case NX_TMF_I_T_NEXUS_RESET:
		/* SAM-5 6.3.4: I_T NEXUS LOSS OCCURRED for that nexus. */
		for (unsigned i = 0; i < tgt->lu_count; i++) {
			/* SBC-3 5.13: only this nexus's prevention ends */
			nx_prevent_release(tgt->lus[i], req->nexus);
			nx_pr_spc2_reset(tgt->lus[i], req->nexus);
			nx_ua_establish(req->nexus, tgt->lus[i], 0x29, 0x07);
		}
		nx_aca_nexus_loss(tgt, req->nexus);
		break;
	case NX_TMF_TARGET_WARM_RESET:
	case NX_TMF_TARGET_COLD_RESET:
		/* RFC 7143 11.5.1: warm reset is a hard reset (SAM-5 6.3.2:
		 * 29h/02h here), cold reset adds power on (29h/01h). */
		for (unsigned i = 0; i < tgt->lu_count; i++) {
			nx_lu_reset_state(tgt->lus[i]);
			nx_pr_spc2_reset(tgt->lus[i], NULL);
			tgt->lus[i]->mode = tgt->lus[i]->mode_saved;
			tgt->lus[i]->aca_nexus = NULL; /* SAM-5 5.9.2.5 */
		}
		nx_ua_establish_all(tgt, NULL, NULL, 0x29,
				    req->fn == NX_TMF_TARGET_COLD_RESET ? 0x01 : 0x02);
		break;
	case NX_TMF_CLEAR_ACA:
		/* SAM-5 7.4: only the faulted I_T nexus clears it; from
		 * another nexus, or with no ACA, FUNCTION COMPLETE and no
		 * effect (judgement call, as Haruka does). */
		if (rlu->aca_nexus == req->nexus) {
			rlu->aca_nexus = NULL;
			nx_lu_kick(rlu);
		}
		break;
	default:
		break;
	}
}

static bool find_task(const struct nx_tmf *req, const struct nx_lu *rlu)
{
	for (const struct nx_task *t = rlu->set_head; t; t = t->priv.set_next)
		if (!nx_task_aborting(t) && t->nexus == req->nexus &&
		    (req->fn != NX_TMF_QUERY_TASK || t->tag == req->ref_tag))
			return true;
	return false;
}

/* SAM-5 7.10: FUNCTION SUCCEEDED when a unit attention (nexus keeps no
 * deferred errors) is pending for the I_T_L nexus, with the ADDITIONAL
 * RESPONSE INFORMATION: UADE DEPTH (bits 5-4: 01b one condition, 10b
 * more than one), SENSE KEY, then ASC and ASCQ of the one REQUEST SENSE
 * would report.  The UA stays pending. */
static enum nx_tmf_result query_async_event(struct nx_tmf *req,
					    const struct nx_lu *rlu)
{
	unsigned idx = nx_target_lu_index(req->nexus->tgt, rlu);
	unsigned count = req->nexus->lus[idx].ua_count;
	const struct nx_ua *ua = &req->nexus->lus[idx].ua[0];

	if (count == 0)
		return NX_TMF_FUNCTION_COMPLETE;
	req->resp_info[0] = (uint8_t)((count == 1 ? 0x10 : 0x20) | 0x06);
	req->resp_info[1] = ua->asc;
	req->resp_info[2] = ua->ascq;
	return NX_TMF_FUNCTION_SUCCEEDED;
}

/* QUERY TASK / TASK SET / ASYNCHRONOUS EVENT (SAM-5 7.8 - 7.10). */
static enum nx_tmf_result query(struct nx_tmf *req, const struct nx_lu *rlu)
{
	if (req->fn == NX_TMF_QUERY_ASYNC_EVENT)
		return query_async_event(req, rlu);
	return find_task(req, rlu) ? NX_TMF_FUNCTION_SUCCEEDED
				   : NX_TMF_FUNCTION_COMPLETE;
}

static bool abort_target_exists(const struct nx_tmf *req,
				const struct nx_lu *rlu)
{
	for (const struct nx_task *t = rlu->set_head; t; t = t->priv.set_next)
		if (covers(req, rlu, t) && !nx_task_aborting(t))
			return true;
	return false;
}

void nx_tmf_submit(struct nx_nexus *n, struct nx_tmf *req)
{
	nx_assert(n != NULL && req != NULL && req->done != NULL);
	req->nexus = n;
	req->next = NULL;
	req->waiting = 0;
	req->result = NX_TMF_FUNCTION_COMPLETE;
	memset(req->resp_info, 0, sizeof(req->resp_info));
	struct nx_lu *rlu = tmf_lu(req);

	if (req->fn < NX_TMF_ABORT_TASK || req->fn > NX_TMF_QUERY_ASYNC_EVENT) {
		req->result = NX_TMF_FUNCTION_REJECTED;
	} else if (needs_lu(req->fn) && rlu == NULL) {
		req->result = NX_TMF_INCORRECT_LUN;
	} else if (req->fn == NX_TMF_QUERY_TASK || req->fn == NX_TMF_QUERY_TASK_SET ||
		   req->fn == NX_TMF_QUERY_ASYNC_EVENT) {
		req->result = query(req, rlu);
	} else if (req->fn == NX_TMF_ABORT_TASK && !abort_target_exists(req, rlu)) {
		req->result = NX_TMF_TASK_NOT_FOUND;
	} else {
		sweep(req, rlu);
		reset_effects(req, rlu);
		req->waiting = draining(req);
		if (req->waiting != 0) {
			struct nx_tmf **pp = &n->tmf_head;
			while (*pp != NULL)
				pp = &(*pp)->next;
			*pp = req;
			return;
		}
	}
	req->done(req);
}

/* ---- ACA (SAM-5 5.9.2) and QErr (SPC-4 7.5.8) ----------------------------- */

static bool aca_task_in_set(const struct nx_lu *lu)
{
	for (const struct nx_task *t = lu->set_head; t; t = t->priv.set_next)
		if (t->attr == NX_ATTR_ACA && !nx_task_aborting(t))
			return true;
	return false;
}

/* SAM-5 5.9.2.3 (faulted I_T nexus; TMF_ONLY=0): only a command with the
 * ACA attribute enters, one at a time.  SAM-5 5.9.2.4 (other nexuses,
 * TST 000b): ACA ACTIVE for the ACA attribute or NACA=1, BUSY for
 * NACA=0.  The PERSISTENT RESERVE OUT preemption SAM-5 5.9.2.4.1 lets
 * through from other nexuses is not singled out: it gets BUSY/ACA ACTIVE
 * like any command (documented limitation). */
enum nx_sense_reason nx_aca_check(const struct nx_task *t, bool naca)
{
	const struct nx_lu *lu = t->priv.lu;

	if (lu == NULL || lu->aca_nexus == NULL)
		return NX_SR_OK;
	if (t->nexus == lu->aca_nexus) {
		if (t->attr != NX_ATTR_ACA || aca_task_in_set(lu))
			return NX_SR_ACA_ACTIVE;
		return NX_SR_OK;
	}
	if (t->attr == NX_ATTR_ACA || naca)
		return NX_SR_ACA_ACTIVE;
	return NX_SR_BUSY;
}

/* SPC-4 7.5.8 table 460.  01b: every other task in the task set is
 * aborted; other nexuses' tasks end TASK ABORTED with TAS=1, silently
 * with a 2Fh/00h unit attention with TAS=0; the faulted nexus's vanish.
 * 11b: the faulted nexus's other tasks vanish.  The sweep is CLEAR TASK
 * SET's and ABORT TASK SET's (same TAS and UA rules). */
static void qerr_abort(struct nx_lu *lu, struct nx_nexus *n)
{
	struct nx_tmf req = { .nexus = n };

	switch (lu->mode.qerr) {
	case 1:
		req.fn = NX_TMF_CLEAR_TASK_SET;
		break;
	case 3:
		req.fn = NX_TMF_ABORT_TASK_SET;
		break;
	default:
		return;
	}
	sweep_lu(&req, lu, lu);
}

/* SAM-5 5.9.2.2: NACA=1 establishes ACA for n.  An ACA task of the
 * faulted nexus ending with CHECK CONDITION ends the old condition first
 * (a new one follows when its NACA=1).  A task of another nexus that was
 * already running when the condition arose does not replace it. */
void nx_tmf_check_condition(struct nx_lu *lu, struct nx_nexus *n, bool naca,
			    bool aca_task)
{
	nx_assert(lu != NULL && n != NULL);
	bool had = lu->aca_nexus != NULL;

	if (aca_task && lu->aca_nexus == n)
		lu->aca_nexus = NULL;
	if (naca && lu->aca_nexus == NULL)
		lu->aca_nexus = n;
	qerr_abort(lu, n);
	if (had && lu->aca_nexus == NULL)
		nx_lu_kick(lu);
}

void nx_aca_nexus_loss(struct nx_target *tgt, const struct nx_nexus *n)
{
	nx_assert(tgt != NULL && n != NULL);
	for (unsigned i = 0; i < tgt->lu_count; i++) {
		struct nx_lu *lu = tgt->lus[i];
		if (lu->aca_nexus != n)
			continue;
		lu->aca_nexus = NULL;
		nx_lu_kick(lu);
	}
}
