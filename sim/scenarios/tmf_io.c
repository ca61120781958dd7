/*
 * tmf_io.c - the tmf scenario's medium shadow and background I/O
 * (tmf_internal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tmf_internal.h"

/* ---- the shadow of the medium (workload.c's scheme) ---------------------- */

static uint64_t seq_of(uint64_t tag)
{
	return tag & SEQ_MASK;
}

/* maybe: the write may or may not have reached each block. */
static void shadow_written(struct tm *tm, const struct bcmd *c, bool maybe)
{
	for (uint32_t i = 0; i < c->nblk; i++) {
		struct blk *b = &tm->blk[c->lba + i];

		if (!maybe) {
			b->tag = c->tag;
			b->nalt = 0;
			b->any = false;
			if (c->fua)
				b->dtag = c->tag;
		} else if (b->nalt < ALT_MAX) {
			b->alt[b->nalt++] = c->tag;
		} else {
			b->any = true;
		}
	}
	tm->slot_dirty[c->slot] = true;
}

static bool tag_allowed(const struct blk *b, uint64_t tag)
{
	if (b->any || tag == b->tag)
		return true;
	for (unsigned i = 0; i < b->nalt; i++)
		if (b->alt[i] == tag)
			return true;
	return false;
}

void tm_shadow_check(struct tm *tm, const uint8_t *buf, uint64_t lba,
			 uint32_t n, unsigned who)
{
	for (uint32_t i = 0; i < n; i++) {
		struct blk *b = &tm->blk[lba + i];
		uint64_t tag;

		if (!nx_scn_block_valid(buf + (size_t)i * BLOCK, lba + i, &tag))
			nx_scn_fail(tm->env, "nexus %u: LBA %llu read back corrupt "
				    "(header tag %016llx, expected %016llx)", who,
				    (unsigned long long)(lba + i),
				    (unsigned long long)tag, (unsigned long long)b->tag);
		if (!tag_allowed(b, tag))
			nx_scn_fail(tm->env, "nexus %u: LBA %llu read back tag "
				    "%016llx, expected %016llx (+%u unknown writes): "
				    "an acknowledged write was lost or a refused one "
				    "executed", who, (unsigned long long)(lba + i),
				    (unsigned long long)tag, (unsigned long long)b->tag,
				    b->nalt);
		b->tag = tag;
		b->nalt = 0;
		b->any = false;
	}
}

/* A SYNCHRONIZE CACHE of the whole LU answered GOOD with nothing else
 * in flight: every block whose content is known is durable. */
void tm_shadow_synced(struct tm *tm)
{
	for (uint32_t i = 0; i < LU_BLOCKS; i++) {
		struct blk *b = &tm->blk[i];

		if (b->nalt == 0 && !b->any && seq_of(b->tag) > seq_of(b->dtag))
			b->dtag = b->tag;
	}
}

/* The disk's durable image holds, on every block, the durable floor or
 * a later write; settle: a power loss just happened, so the image is
 * what the LU shows from now on. */
void tm_durable_check(struct tm *tm, const char *when, bool settle)
{
	uint8_t *buf = malloc((size_t)SLOT_BLOCKS * BLOCK);

	nx_assert(buf != NULL);
	for (uint64_t lba = 0; lba < LU_BLOCKS; lba += SLOT_BLOCKS) {
		nx_sim_disk_read_durable(tm->disk, lba * BLOCK, buf,
					 (size_t)SLOT_BLOCKS * BLOCK);
		for (uint32_t i = 0; i < SLOT_BLOCKS; i++) {
			struct blk *b = &tm->blk[lba + i];
			uint64_t tag;

			if (!nx_scn_block_valid(buf + (size_t)i * BLOCK, lba + i, &tag))
				nx_scn_fail(tm->env, "%s: LBA %llu corrupt on the "
					    "medium", when, (unsigned long long)(lba + i));
			if (seq_of(tag) < seq_of(b->dtag))
				nx_scn_fail(tm->env, "%s: LBA %llu holds tag %016llx on "
					    "the medium, but tag %016llx was acknowledged "
					    "durable: acknowledged write lost", when,
					    (unsigned long long)(lba + i),
					    (unsigned long long)tag,
					    (unsigned long long)b->dtag);
			if (settle) {
				b->tag = b->dtag = tag;
				b->nalt = 0;
				b->any = false;
			}
		}
	}
	free(buf);
}

/* ---- background commands ------------------------------------------------------- */

void tm_rec_add(struct tm *tm, const struct bcmd *c, enum outcome o)
{
	struct rec *r;
	uint8_t key = 0, asc = 0, ascq = 0;

	if (tm->nrec == REC_MAX)
		nx_scn_fail(tm->env, "step %u: more than %u commands", tm->st.id,
			    REC_MAX);
	if (o == O_GOOD)
		nx_scn_sense_decode(c->req.sense, c->req.sense_len, &key, &asc, &ascq);
	r = &tm->rec[tm->nrec++];
	r->uid = c->uid;
	r->nex = (uint8_t)c->nx->idx;
	r->kind = (uint8_t)c->kind;
	r->outcome = (uint8_t)o;
	r->status = o == O_GOOD ? c->req.status : 0;
	r->key = key;
	r->asc = asc;
	r->ascq = ascq;
	r->s = c->s;
	r->r = now_ns(tm);
	r->order = ++tm->order;
}

void tm_cmd_release(struct bcmd *c)
{
	struct nex *n = c->nx;

	if (c->kind == K_READ || c->kind == K_WRITE)
		n->tm->slot_used[c->slot] = false;
	c->busy = false;
	c->limbo = false;
	c->queried = false;
	nx_assert(n->outstanding > 0);
	n->outstanding--;
	tm_issue_schedule(n);
}

/* A write's effect on the shadow by its outcome. */
void tm_write_effect(struct tm *tm, const struct bcmd *c, enum outcome o)
{
	const struct nx_ini_scsi *r = &c->req;
	uint8_t key, asc, ascq;

	if (c->kind != K_WRITE)
		return;
	if (o != O_GOOD) {
		shadow_written(tm, c, true);
		return;
	}
	if (r->status == NX_STATUS_GOOD) {
		/* answered after a power loss it was sent before: without
		 * FUA it may be gone */
		shadow_written(tm, c, c->s < tm->power_loss_ns && !c->fua);
		return;
	}
	nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
	/* TASK ABORTED and MEDIUM ERROR: may have reached the medium;
	 * refusals (UA, NOT READY, BUSY, ACA ACTIVE, RESERVATION
	 * CONFLICT) never started it. */
	if (r->status == NX_STATUS_TASK_ABORTED ||
	    (r->status == NX_STATUS_CHECK_CONDITION && key == 0x03))
		shadow_written(tm, c, true);
}

/* What is checked at once: read data, UAs, and the CHECK CONDITION
 * bookkeeping that later checks need. */
static void cmd_answered(struct nex *n, struct bcmd *c)
{
	struct tm *tm = n->tm;
	struct nx_ini_scsi *r = &c->req;
	uint8_t key, asc, ascq;

	if (r->status == NX_STATUS_GOOD && c->kind == K_READ &&
	    c->s >= tm->power_loss_ns) {
		if (r->data_in_got != c->nblk * BLOCK)
			nx_scn_fail(tm->env, "nexus %u: READ got %u bytes of %u",
				    n->idx, r->data_in_got, c->nblk * BLOCK);
		tm_shadow_check(tm, c->buf, c->lba, c->nblk, n->idx);
		tm->env->bytes += (uint64_t)c->nblk * BLOCK;
	}
	if (r->status == NX_STATUS_GOOD && c->kind == K_RSENSE) {
		nx_scn_sense_decode(c->buf, r->data_in_got, &key, &asc, &ascq);
		if (key == 0x06)
			tm_ua_report(n, asc, ascq, TM_CLEAR_YES, "REQUEST SENSE");
		n->rs_owed = false;
	}
	if (r->status == NX_STATUS_CHECK_CONDITION) {
		tm->st.cc_by |= bit(n->idx);
		nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
		if (key == 0x06) {
			enum tm_clear clr = tm_cc_clear(tm, c->s);
			tm_ua_report(n, asc, ascq, clr, "CHECK CONDITION");
			if (clr != TM_CLEAR_YES)
				n->rs_owed = true;
		}
	}
	/* SPC-4 7.5.8 table 461, 11b: BUSY / RESERVATION CONFLICT leave a
	 * PREVIOUS ... STATUS UA behind. */
	if (r->status == NX_STATUS_BUSY ||
	    r->status == NX_STATUS_RESERVATION_CONFLICT)
		tm_ua_after_status(n, r->status, c->s);
}

static void cmd_done(struct nx_ini_scsi *r)
{
	struct bcmd *c = r->priv;
	struct nex *n = c->nx;
	struct tm *tm = n->tm;
	enum outcome o = O_GOOD;

	if (!c->busy || c->limbo)
		nx_scn_fail(tm->env, "nexus %u: itt 0x%x completed twice", n->idx,
			    r->itt);
	if (r->err == NX_INI_ECONNRESET) {
		c->limbo = true;
		n->need_relogin = true;
		return;
	}
	n->last_progress_ns = now_ns(tm);
	tm->env->cmds++;
	if (r->err == NX_INI_EABORTED)
		o = c->queried ? O_VANISHED : O_ABORTED;
	else if (r->err != 0)
		nx_scn_fail(tm->env, "nexus %u: itt 0x%x: error %d", n->idx, r->itt,
			    r->err);
	if (o == O_GOOD)
		cmd_answered(n, c);
	tm_write_effect(tm, c, o);
	tm_rec_add(tm, c, o);
	tm_cmd_release(c);
}

static bool slot_pick(struct nex *n, uint32_t *slot)
{
	struct tm *tm = n->tm;

	for (unsigned t = 0; t < 8; t++) {
		uint32_t s = (uint32_t)nx_rng_below(&n->rng, NSLOTS);

		if (!tm->slot_used[s]) {
			*slot = s;
			return true;
		}
	}
	return false;
}

static void cmd_submit(struct nex *n, struct bcmd *c)
{
	struct tm *tm = n->tm;
	int rc;

	c->req.lun = nx_ini_lun(0);
	c->req.attr = c->attr ? c->attr : NX_INI_ATTR_SIMPLE;
	c->attr = 0;
	c->req.done = cmd_done;
	c->req.priv = c;
	c->nx = n;
	c->busy = true;
	c->limbo = c->queried = false;
	c->s = now_ns(tm);
	c->uid = ++tm->uid;
	if (n->outstanding == 0)
		n->last_progress_ns = c->s;
	n->outstanding++;
	rc = nx_ini_scsi_submit(tm_conn_of(n), &c->req);
	if (rc != 0)
		nx_scn_fail(tm->env, "nexus %u: submit: %d", n->idx, rc);
}

bool tm_issue_rw(struct nex *n, struct bcmd *c, bool write)
{
	struct tm *tm = n->tm;
	uint32_t slot;

	if (!slot_pick(n, &slot))
		return false;
	tm->slot_used[slot] = true;
	memset(&c->req, 0, sizeof(c->req));
	c->slot = slot;
	c->nblk = (uint32_t)nx_rng_range(&n->rng, 1, nx_rng_chance(&n->rng, 1, 3)
					 ? SLOT_BLOCKS : 16u);
	c->lba = (uint64_t)slot * SLOT_BLOCKS +
		 nx_rng_below(&n->rng, SLOT_BLOCKS - c->nblk + 1);
	c->kind = write ? K_WRITE : K_READ;
	c->fua = write && nx_rng_below(&n->rng, 100) < n->fua_pct;
	c->req.cdb[0] = write ? 0x2a : 0x28;
	if (c->fua)
		c->req.cdb[1] = 0x08;
	nx_put_be32(c->req.cdb + 2, (uint32_t)c->lba);
	nx_put_be16(c->req.cdb + 7, (uint16_t)c->nblk);
	c->req.cdb_len = 10;
	if (write) {
		c->tag = ((uint64_t)(n->idx + 1) << 56) | ++tm->wseq;
		for (uint32_t i = 0; i < c->nblk; i++)
			nx_scn_block_fill(c->buf + (size_t)i * BLOCK, c->tag, c->lba + i);
		c->req.data_out = c->buf;
		c->req.data_out_len = c->nblk * BLOCK;
	} else {
		c->req.data_in = c->buf;
		c->req.data_in_len = c->nblk * BLOCK;
	}
	cmd_submit(n, c);
	return true;
}

static void issue_simple(struct nex *n, struct bcmd *c, enum kind k)
{
	memset(&c->req, 0, sizeof(c->req));
	c->kind = k;
	c->nblk = 0;
	c->req.cdb_len = 6;
	if (k == K_RSENSE) {
		c->req.cdb[0] = 0x03;
		c->req.cdb[4] = 252;
		c->req.data_in = c->buf;
		c->req.data_in_len = 252;
	}
	cmd_submit(n, c);
}

struct bcmd *tm_free_cmd(struct nex *n)
{
	for (unsigned i = 0; i < n->qd; i++)
		if (!n->cmds[i].busy)
			return &n->cmds[i];
	return NULL;
}

static bool issue_one(struct nex *n)
{
	struct bcmd *c = tm_free_cmd(n);
	uint64_t r;

	if (c == NULL || !n->tm->issuing || !tm_nex_alive(n) ||
	    n->tm->st.issued >= BG_MAX)
		return false;
	n->tm->st.issued++;
	if (n->rs_owed) {
		n->rs_owed = false;
		issue_simple(n, c, K_RSENSE);
		return true;
	}
	r = nx_rng_below(&n->rng, n->w_read + n->w_write + n->w_tur);
	if (r < n->w_read)
		return tm_issue_rw(n, c, false);
	if (r < n->w_read + n->w_write)
		return tm_issue_rw(n, c, true);
	issue_simple(n, c, K_TUR);
	return true;
}

static void issue_event(void *arg)
{
	struct nex *n = arg;

	n->issue_ev = NX_SIM_EVENT_NONE;
	(void)issue_one(n);
	tm_issue_schedule(n);
}

void tm_issue_schedule(struct nex *n)
{
	if (!n->tm->issuing || n->issue_ev != NX_SIM_EVENT_NONE ||
	    !tm_nex_alive(n) || n->outstanding >= n->qd)
		return;
	n->issue_ev = nx_sim_schedule(n->tm->sim,
				      nx_rng_range(&n->rng, 5000, n->think_max_ns),
				      issue_event, n);
	nx_assert(n->issue_ev != NX_SIM_EVENT_NONE);
}

void tm_bg_start(struct tm *tm)
{
	tm->issuing = true;
	for (unsigned i = 0; i < tm->nnex; i++)
		tm_issue_schedule(&tm->nx[i]);
}

void tm_bg_stop(struct tm *tm)
{
	tm->issuing = false;
	for (unsigned i = 0; i < tm->nnex; i++) {
		struct nex *n = &tm->nx[i];

		if (n->issue_ev != NX_SIM_EVENT_NONE)
			nx_sim_cancel(tm->sim, n->issue_ev);
		n->issue_ev = NX_SIM_EVENT_NONE;
	}
}
