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
	       fn != NX_TMF_TARGET_COLD_RESET && fn != NX_TMF_CLEAR_ACA;
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
		break;
	case NX_TMF_TARGET_WARM_RESET:
	case NX_TMF_TARGET_COLD_RESET:
		/* RFC 7143 11.5.1: warm reset is a hard reset (SAM-5 6.3.2:
		 * 29h/02h here), cold reset adds power on (29h/01h). */
		for (unsigned i = 0; i < tgt->lu_count; i++) {
			nx_lu_reset_state(tgt->lus[i]);
			nx_pr_spc2_reset(tgt->lus[i], NULL);
			tgt->lus[i]->mode = tgt->lus[i]->mode_saved;
		}
		nx_ua_establish_all(tgt, NULL, NULL, 0x29,
				    req->fn == NX_TMF_TARGET_COLD_RESET ? 0x01 : 0x02);
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

/* QUERY TASK / TASK SET / ASYNCHRONOUS EVENT (SAM-5 7.8 - 7.10). */
static enum nx_tmf_result query(const struct nx_tmf *req,
				const struct nx_lu *rlu)
{
	if (req->fn == NX_TMF_QUERY_ASYNC_EVENT) {
		unsigned idx = nx_target_lu_index(req->nexus->tgt, rlu);
		return req->nexus->ua_count[idx] ? NX_TMF_FUNCTION_SUCCEEDED
						 : NX_TMF_FUNCTION_COMPLETE;
	}
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
	struct nx_lu *rlu = tmf_lu(req);

	if (req->fn < NX_TMF_ABORT_TASK || req->fn > NX_TMF_QUERY_ASYNC_EVENT ||
	    req->fn == NX_TMF_CLEAR_ACA) {
		req->result = NX_TMF_FUNCTION_REJECTED; /* no ACA (NormACA=0) */
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
