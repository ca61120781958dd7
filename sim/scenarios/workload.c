/*
 * workload.c - the I/O engine behind `mixed` and `io`: one target host,
 * one or two initiator hosts, each initiator keeping up to QD commands in
 * flight on LU 0 (file backstore on a sim disk), every choice drawn from
 * the seed, and the invariants checked as it runs:
 *
 *  - shadow model: each written block carries (tag, LBA) and a pattern
 *    derived from them, so a block read back is self-checking; the
 *    shadow knows the tag every block must have.  Blocks in flight are
 *    locked (a write excludes everything, a read excludes writes), so
 *    the expected content is exact.  A write that was aborted (TMF or
 *    TASK ABORTED) may or may not have reached each block: the block
 *    then accepts the old or the new tag until a read settles it.
 *  - every submitted command completes exactly once (done() on a slot
 *    not in flight fails; commands left at the end are lost tasks);
 *  - unit attentions: each UA an initiator receives must have been
 *    established by something that could have happened after its
 *    previous receipt of the same UA (no duplicates), and every UA
 *    established for sure must have been received once the run drains.
 *    The core queues a UA once per (nexus, ASC/ASCQ) (SAM-5 5.14), so
 *    these are interval checks on virtual time: a command submitted at
 *    s and completed at c saw the target at some instant in [s, c].
 *  - no allocation left at the end (checked by nexus-sim).
 *
 * Persistent reservations are not implemented in the core yet: when
 * they land, PERSISTENT RESERVE OUT (register/reserve/preempt) joins
 * the control operations here, with its 2Ah/03h-05h UAs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_scenario.h"
#include "../../core/nx_wire.h"
#include "../nx_sim_disk.h"

#define TGT_NAME "iqn.2026-11.dev.nexus:sim"
#define TGT_IP 0x0a000001u
#define INI_IP0 0x0a000002u
#define ISCSI_PORT 3260
#define BLOCK 512u
#define INI_MAX 2u
#define QD_LIMIT 32u
#define BLOCKS_LIMIT 256u
#define ALT_MAX 3u
#define PICK_TRIES 8u
#define SEC 1000000000ull
#define MS 1000000ull
#define DRAIN_NS (120 * SEC)
#define SYNC_STEPS 5000000u
#define BACKOFF_NS 5000u

/* UA kinds the workload expects (anything else fails). */
enum { UA_POWER_ON, UA_LU_RESET, UA_MODE_CHANGED, UA_KINDS };
static const uint8_t ua_code[UA_KINDS][2] = {
	{ 0x29, 0x00 }, { 0x29, 0x03 }, { 0x2a, 0x01 },
};

enum cmd_kind { K_READ, K_WRITE, K_TUR, K_MODESEL };

struct blk {
	uint64_t tag;            /* 0: never written (zeros) */
	uint64_t alt[ALT_MAX];   /* also acceptable (aborted writes) */
	uint8_t nalt;
	bool any;                /* too many aborted writes: any valid block */
	uint8_t wlock;
	uint8_t rlocks;
};

struct ua_track {
	uint32_t establishing;   /* establishers in flight */
	uint64_t max_c_possible; /* latest completion of a possible one */
	uint64_t max_s_definite; /* latest submit of a definite one */
	bool any_definite;
	uint64_t prev_s;         /* submit time of the last receipt's command */
	uint64_t last_c;         /* completion time of the last receipt */
	uint64_t received;
};

struct wl;
struct ini;

struct cmd {
	struct nx_ini_scsi req;
	struct ini *ini;
	bool busy;
	enum cmd_kind kind;
	uint64_t lba;
	uint32_t nblk;
	uint64_t tag;
	uint64_t submit_ns;
	uint8_t *buf;
};

struct ini {
	struct wl *wl;
	unsigned idx;
	struct nx_sim_host *host;
	struct nx_ini_session *sess;
	struct nx_sim_ini *si;
	struct nx_rng rng;
	struct cmd cmds[QD_LIMIT];
	uint32_t qd;
	uint64_t think_max_ns;
	uint32_t w_read, w_write, w_tur;  /* weights of the I/O mix */
	uint32_t ctl_ppm;                 /* chance per issue of a control op */
	uint32_t outstanding;
	nx_sim_event_id issue_ev;
	bool stalled;                     /* last issue round found nothing */
	/* control: one at a time per initiator */
	bool ctl_busy;
	struct nx_ini_tmf tmf;
	uint64_t tmf_submit_ns;
	bool recover;                     /* owes an ABORT TASK SET (TAS=0) */
	struct ua_track ua[UA_KINDS];
	uint64_t seq;
};

struct wl {
	struct nx_scn_env *env;
	struct nx_scn_workload_opts o;
	struct nx_sim *sim;
	struct nx_rng rng;
	struct nx_sim_host *thost;
	struct nx_target *tgt;
	struct nx_sim_iscsi_target *starget;
	struct nx_ini_driver drv;
	struct ini ini[INI_MAX];
	struct blk *blk;
	uint64_t blocks;
	uint64_t region;                  /* LBAs used: [0, region) */
	bool tas;
	bool stopping;
	uint32_t mode_value;              /* IEC interval timer, unique */
	uint8_t iec_page[12];
};

/* ---- block contents -------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A block is self-describing: tag, LBA, then words derived from both
 * (a cheap per-word step after one strong mix: a block of another tag or
 * LBA, a torn or shifted block all differ). */
#define WORD_STEP 0x9e3779b97f4a7c15ull

static void block_fill(uint8_t *p, uint64_t tag, uint64_t lba)
{
	uint64_t w = mix64(tag ^ (lba * WORD_STEP));

	if (tag == 0) {
		memset(p, 0, BLOCK);
		return;
	}
	nx_put_be64(p, tag);
	nx_put_be64(p + 8, lba);
	for (unsigned i = 16; i < BLOCK; i += 8) {
		w += WORD_STEP;
		memcpy(p + i, &w, 8);
	}
}

static bool block_valid(const uint8_t *p, uint64_t lba, uint64_t *tag)
{
	uint64_t w, got;

	*tag = nx_get_be64(p);
	if (*tag == 0) {
		for (unsigned i = 0; i < BLOCK; i++)
			if (p[i] != 0)
				return false;
		return true;
	}
	if (nx_get_be64(p + 8) != lba)
		return false;
	w = mix64(*tag ^ (lba * WORD_STEP));
	for (unsigned i = 16; i < BLOCK; i += 8) {
		w += WORD_STEP;
		memcpy(&got, p + i, 8);
		if (got != w)
			return false;
	}
	return true;
}

/* ---- failure helpers ---------------------------------------------------------- */

static const char *cdb_name(const struct cmd *c)
{
	static const char *const names[] = { "READ(10)", "WRITE(10)",
					     "TEST UNIT READY", "MODE SELECT(10)" };
	return names[c->kind];
}

static void sense_decode(const struct nx_ini_scsi *r, uint8_t *key,
			 uint8_t *asc, uint8_t *ascq)
{
	const uint8_t *s = r->sense;

	*key = *asc = *ascq = 0;
	if (r->sense_len >= 4 && (s[0] & 0x7f) >= 0x72) {
		*key = s[1] & 0x0f;
		*asc = s[2];
		*ascq = s[3];
	} else if (r->sense_len >= 14) {
		*key = s[2] & 0x0f;
		*asc = s[12];
		*ascq = s[13];
	}
}

/* ---- unit attention bookkeeping ------------------------------------------------ */

static void ua_est_begin(struct wl *wl, int only, int except, unsigned kind)
{
	for (unsigned i = 0; i < wl->o.initiators; i++)
		if ((only < 0 || (unsigned)only == i) &&
		    (except < 0 || (unsigned)except != i))
			wl->ini[i].ua[kind].establishing++;
}

/* definite: the establisher surely ran; possible: it may have. */
static void ua_est_end(struct wl *wl, int only, int except, unsigned kind,
		       uint64_t submit_ns, bool possible, bool definite)
{
	uint64_t now = nx_sim_now(wl->sim);

	for (unsigned i = 0; i < wl->o.initiators; i++) {
		struct ua_track *u = &wl->ini[i].ua[kind];

		if ((only >= 0 && (unsigned)only != i) ||
		    (except >= 0 && (unsigned)except == i))
			continue;
		nx_assert(u->establishing > 0);
		u->establishing--;
		if (possible || definite)
			u->max_c_possible = now;
		if (definite) {
			u->any_definite = true;
			if (submit_ns > u->max_s_definite)
				u->max_s_definite = submit_ns;
		}
	}
}

/* A command submitted at submit_ns got this UA now. */
static void ua_receive(struct ini *in, uint8_t asc, uint8_t ascq,
		       uint64_t submit_ns)
{
	struct wl *wl = in->wl;
	unsigned kind = UA_KINDS;
	struct ua_track *u;

	for (unsigned k = 0; k < UA_KINDS; k++)
		if (ua_code[k][0] == asc && ua_code[k][1] == ascq)
			kind = k;
	if (kind == UA_KINDS)
		nx_scn_fail(wl->env, "initiator %u: unexpected unit attention "
			    "%02Xh/%02Xh", in->idx, asc, ascq);
	u = &in->ua[kind];
	/* SAM-5 5.14: reported once, then cleared; a second report needs a
	 * new establishing event after the previous report. */
	if (u->establishing == 0 && u->max_c_possible <= u->prev_s)
		nx_scn_fail(wl->env, "initiator %u: unit attention %02Xh/%02Xh "
			    "reported again (previous report's command sent at "
			    "%llu ns, nothing established it since)", in->idx,
			    asc, ascq, (unsigned long long)u->prev_s);
	u->prev_s = submit_ns;
	u->last_c = nx_sim_now(wl->sim);
	u->received++;
	wl->env->uas++;
	nx_log(NX_LOG_INFO, "scn: ini%u UA %02Xh/%02Xh", in->idx, asc, ascq);
}

static void ua_final_check(struct ini *in)
{
	for (unsigned k = 0; k < UA_KINDS; k++) {
		const struct ua_track *u = &in->ua[k];

		if (u->any_definite && u->last_c <= u->max_s_definite)
			nx_scn_fail(in->wl->env, "initiator %u: unit attention "
				    "%02Xh/%02Xh established (by a request sent at "
				    "%llu ns) was never reported", in->idx,
				    ua_code[k][0], ua_code[k][1],
				    (unsigned long long)u->max_s_definite);
	}
}

/* ---- shadow model ------------------------------------------------------------------ */

static bool range_free(const struct wl *wl, uint64_t lba, uint32_t n, bool write)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct blk *b = &wl->blk[lba + i];

		if (b->wlock || (write && b->rlocks))
			return false;
	}
	return true;
}

static void range_lock(struct wl *wl, uint64_t lba, uint32_t n, bool write,
		       bool lock)
{
	for (uint32_t i = 0; i < n; i++) {
		struct blk *b = &wl->blk[lba + i];

		if (write) {
			nx_assert(b->wlock == !lock);
			b->wlock = lock;
		} else {
			nx_assert(lock || b->rlocks > 0);
			b->rlocks = (uint8_t)(b->rlocks + (lock ? 1 : -1));
		}
	}
}

static void shadow_written(struct wl *wl, const struct cmd *c, bool maybe)
{
	for (uint32_t i = 0; i < c->nblk; i++) {
		struct blk *b = &wl->blk[c->lba + i];

		if (!maybe) {
			b->tag = c->tag;
			b->nalt = 0;
			b->any = false;
		} else if (b->nalt < ALT_MAX) {
			b->alt[b->nalt++] = c->tag;
		} else {
			b->any = true;
		}
	}
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

/* Every block read must be intact and carry a tag the shadow allows;
 * the read then settles the block. */
static void shadow_check(struct wl *wl, const uint8_t *buf, uint64_t lba,
			 uint32_t n, unsigned who)
{
	for (uint32_t i = 0; i < n; i++) {
		struct blk *b = &wl->blk[lba + i];
		uint64_t tag;

		if (!block_valid(buf + (size_t)i * BLOCK, lba + i, &tag))
			nx_scn_fail(wl->env, "initiator %u: LBA %llu read back "
				    "corrupt (header tag %016llx, expected %016llx)",
				    who, (unsigned long long)(lba + i),
				    (unsigned long long)tag,
				    (unsigned long long)b->tag);
		if (!tag_allowed(b, tag))
			nx_scn_fail(wl->env, "initiator %u: LBA %llu read back "
				    "tag %016llx, expected %016llx (+%u aborted "
				    "writes): an acknowledged write was lost",
				    who, (unsigned long long)(lba + i),
				    (unsigned long long)tag,
				    (unsigned long long)b->tag, b->nalt);
		b->tag = tag;
		b->nalt = 0;
		b->any = false;
	}
}

/* ---- commands ------------------------------------------------------------------------ */

static void issue_schedule(struct ini *in);

static void cmd_release(struct cmd *c)
{
	struct ini *in = c->ini;

	if (c->kind == K_READ || c->kind == K_WRITE)
		range_lock(in->wl, c->lba, c->nblk, c->kind == K_WRITE, false);
	if (c->kind == K_MODESEL)
		in->ctl_busy = false;
	c->busy = false;
	nx_assert(in->outstanding > 0);
	in->outstanding--;
	issue_schedule(in);
}

static void modesel_done(struct cmd *c, bool good, bool maybe)
{
	ua_est_end(c->ini->wl, -1, (int)c->ini->idx, UA_MODE_CHANGED,
		   c->submit_ns, maybe, good);
}

/* Outcomes that are not GOOD: UA (the command did not run), aborted
 * (TMF, or TASK ABORTED from another nexus's reset with TAS=1). */
static void cmd_not_good(struct cmd *c)
{
	struct ini *in = c->ini;
	struct nx_ini_scsi *r = &c->req;
	bool aborted = r->err == NX_INI_EABORTED ||
		       (r->err == 0 && r->status == NX_STATUS_TASK_ABORTED);
	uint8_t key, asc, ascq;

	if (aborted) {
		if (c->kind == K_WRITE)
			shadow_written(in->wl, c, true);
		if (c->kind == K_MODESEL)
			modesel_done(c, false, true);
		return;
	}
	sense_decode(r, &key, &asc, &ascq);
	if (r->err != 0 || r->status != NX_STATUS_CHECK_CONDITION || key != 0x06)
		nx_scn_fail(in->wl->env, "initiator %u: %s LBA %llu+%u itt 0x%x: "
			    "err %d response %u status 0x%02x sense %X/%02Xh/%02Xh",
			    in->idx, cdb_name(c), (unsigned long long)c->lba,
			    c->nblk, r->itt, r->err, r->response, r->status,
			    key, asc, ascq);
	ua_receive(in, asc, ascq, c->submit_ns);
	if (c->kind == K_MODESEL)
		modesel_done(c, false, false);
}

static void cmd_done(struct nx_ini_scsi *r)
{
	struct cmd *c = r->priv;
	struct ini *in = c->ini;
	struct wl *wl = in->wl;

	if (!c->busy)
		nx_scn_fail(wl->env, "initiator %u: itt 0x%x completed twice",
			    in->idx, r->itt);
	wl->env->cmds++;
	if (r->err != 0 || r->status != NX_STATUS_GOOD) {
		cmd_not_good(c);
		cmd_release(c);
		return;
	}
	if (r->response != 0 || r->residual != 0 ||
	    (c->kind == K_READ && r->data_in_got != c->nblk * BLOCK))
		nx_scn_fail(wl->env, "initiator %u: %s itt 0x%x: response %u "
			    "flags 0x%x residual %u got %u", in->idx, cdb_name(c),
			    r->itt, r->response, r->flags, r->residual,
			    r->data_in_got);
	if (c->kind == K_WRITE) {
		shadow_written(wl, c, false);
		wl->env->bytes += (uint64_t)c->nblk * BLOCK;
	} else if (c->kind == K_READ) {
		shadow_check(wl, c->buf, c->lba, c->nblk, in->idx);
		wl->env->bytes += (uint64_t)c->nblk * BLOCK;
	} else if (c->kind == K_MODESEL) {
		modesel_done(c, true, true);
	}
	cmd_release(c);
}

static struct cmd *cmd_slot(struct ini *in)
{
	for (unsigned i = 0; i < in->qd; i++)
		if (!in->cmds[i].busy)
			return &in->cmds[i];
	return NULL;
}

static void cmd_submit(struct ini *in, struct cmd *c)
{
	int rc;

	c->req.lun = nx_ini_lun(0);
	c->req.attr = NX_INI_ATTR_SIMPLE;
	c->req.done = cmd_done;
	c->req.priv = c;
	c->ini = in;
	c->busy = true;
	c->submit_ns = nx_sim_now(in->wl->sim);
	in->outstanding++;
	rc = nx_ini_scsi_submit(nx_sim_ini_conn(in->si), &c->req);
	if (rc != 0)
		nx_scn_fail(in->wl->env, "initiator %u: submit %s: %d", in->idx,
			    cdb_name(c), rc);
}

static void rw_setup(struct cmd *c, bool write)
{
	memset(&c->req, 0, sizeof(c->req));
	c->kind = write ? K_WRITE : K_READ;
	c->req.cdb[0] = write ? 0x2a : 0x28;
	nx_put_be32(c->req.cdb + 2, (uint32_t)c->lba);
	nx_put_be16(c->req.cdb + 7, (uint16_t)c->nblk);
	c->req.cdb_len = 10;
	if (write) {
		c->req.data_out = c->buf;
		c->req.data_out_len = c->nblk * BLOCK;
	} else {
		c->req.data_in = c->buf;
		c->req.data_in_len = c->nblk * BLOCK;
	}
}

/* Sizes: mostly small, sometimes up to blocks_max (R2T, multi-PDU). */
static uint32_t pick_blocks(struct ini *in)
{
	uint32_t max = in->wl->o.blocks_max;

	if (nx_rng_chance(&in->rng, 1, 8))
		return (uint32_t)nx_rng_range(&in->rng, 1, max);
	return (uint32_t)nx_rng_range(&in->rng, 1, NX_MIN(max, 16u));
}

static bool issue_rw(struct ini *in, struct cmd *c, bool write)
{
	struct wl *wl = in->wl;

	for (unsigned t = 0; t < PICK_TRIES; t++) {
		uint32_t n = pick_blocks(in);
		uint64_t lba = nx_rng_below(&in->rng, wl->region - n + 1);

		if (!range_free(wl, lba, n, write))
			continue;
		c->lba = lba;
		c->nblk = n;
		range_lock(wl, lba, n, write, true);
		rw_setup(c, write);
		if (write) {
			c->tag = ((uint64_t)(in->idx + 1) << 56) | ++in->seq;
			for (uint32_t i = 0; i < n; i++)
				block_fill(c->buf + (size_t)i * BLOCK, c->tag, lba + i);
		}
		cmd_submit(in, c);
		return true;
	}
	return false; /* everything tried was busy: try later */
}

static void issue_tur(struct ini *in, struct cmd *c)
{
	memset(&c->req, 0, sizeof(c->req));
	c->kind = K_TUR;
	c->req.cdb_len = 6;
	cmd_submit(in, c);
}

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
	ua_est_begin(wl, -1, (int)in->idx, UA_MODE_CHANGED);
	nx_log(NX_LOG_INFO, "scn: ini%u MODE SELECT interval=%u", in->idx,
	       wl->mode_value);
	cmd_submit(in, c);
}

static void tmf_done(struct nx_ini_tmf *t);

static void tmf_submit(struct ini *in, uint8_t fn)
{
	int rc;

	memset(&in->tmf, 0, sizeof(in->tmf));
	in->tmf.function = fn;
	in->tmf.lun = nx_ini_lun(0);
	in->tmf.ref_itt = 0xffffffffu;
	in->tmf.done = tmf_done;
	in->tmf.priv = in;
	in->tmf_submit_ns = nx_sim_now(in->wl->sim);
	in->ctl_busy = true;
	if (fn == NX_INI_TMF_LOGICAL_UNIT_RESET)
		ua_est_begin(in->wl, -1, -1, UA_LU_RESET);
	rc = nx_ini_tmf_submit(nx_sim_ini_conn(in->si), &in->tmf);
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
	tmf_submit(in, NX_INI_TMF_ABORT_TASK);
	nx_ini_tmf_ref(&in->tmf, &c->req);
	nx_log(NX_LOG_INFO, "scn: ini%u ABORT TASK itt 0x%x", in->idx, c->req.itt);
	return true;
}

/* A LOGICAL UNIT RESET by another initiator aborted our tasks; with
 * TAS=0 they vanished without a response (SAM-5 7.7, 5.6).  A real
 * initiator learns it from the 29h/03h UA or a command timeout; we
 * learn it when the reset completes and clean up with ABORT TASK SET
 * (RFC 7143 11.5.1: commands sent before it are answered by it). */
static void tmf_done(struct nx_ini_tmf *t)
{
	struct ini *in = t->priv;
	struct wl *wl = in->wl;
	bool ok = t->err == 0 && t->response == NX_INI_TMF_RSP_COMPLETE;

	wl->env->tmfs++;
	nx_log(NX_LOG_INFO, "scn: ini%u TMF %u done err %d response %u", in->idx,
	       t->function, t->err, t->response);
	if (t->function == NX_INI_TMF_LOGICAL_UNIT_RESET) {
		ua_est_end(wl, -1, -1, UA_LU_RESET, in->tmf_submit_ns, true, ok);
		if (!wl->tas)
			for (unsigned i = 0; i < wl->o.initiators; i++)
				if (i != in->idx) {
					wl->ini[i].recover = true;
					issue_schedule(&wl->ini[i]);
				}
	}
	if (!ok && !(t->function == NX_INI_TMF_ABORT_TASK && t->err == 0 &&
		     t->response == NX_INI_TMF_RSP_NO_TASK))
		nx_scn_fail(wl->env, "initiator %u: TMF %u: err %d response %u",
			    in->idx, t->function, t->err, t->response);
	in->ctl_busy = false;
	issue_schedule(in);
}

static void issue_control(struct ini *in, struct cmd *c)
{
	uint64_t pick = nx_rng_below(&in->rng, 10);

	if (pick < 5)
		issue_modesel(in, c);
	else if (pick < 9 && issue_abort_task(in))
		return;
	else if (pick == 9) {
		nx_log(NX_LOG_INFO, "scn: ini%u LOGICAL UNIT RESET", in->idx);
		tmf_submit(in, NX_INI_TMF_LOGICAL_UNIT_RESET);
	}
}

/* ---- the issue loop ------------------------------------------------------------------ */

/* True if something was submitted. */
static bool issue_one(struct ini *in)
{
	struct cmd *c = cmd_slot(in);
	uint64_t r;

	if (in->recover && !in->ctl_busy) {
		in->recover = false;
		nx_log(NX_LOG_INFO, "scn: ini%u ABORT TASK SET (recovery)", in->idx);
		tmf_submit(in, NX_INI_TMF_ABORT_TASK_SET);
		return true;
	}
	if (c == NULL || in->wl->stopping)
		return false;
	if (in->wl->o.control && !in->ctl_busy &&
	    nx_rng_below(&in->rng, 1000000) < in->ctl_ppm) {
		issue_control(in, c);
		return true;
	}
	r = nx_rng_below(&in->rng, in->w_read + in->w_write + in->w_tur);
	if (r < in->w_read)
		return issue_rw(in, c, false);
	if (r < in->w_read + in->w_write)
		return issue_rw(in, c, true);
	issue_tur(in, c);
	return true;
}

static void issue_event(void *arg)
{
	struct ini *in = arg;

	in->issue_ev = NX_SIM_EVENT_NONE;
	in->stalled = !issue_one(in);
	issue_schedule(in);
}

/* At most one issue event per initiator.  After a round that found
 * nothing to do (every range tried was locked) the next one waits at
 * least BACKOFF_NS: locks only go away as virtual time passes. */
static void issue_schedule(struct ini *in)
{
	bool want = (in->recover && !in->ctl_busy) ||
		    (!in->wl->stopping && in->outstanding < in->qd);
	uint64_t delay;

	if (!want || in->issue_ev != NX_SIM_EVENT_NONE)
		return;
	delay = nx_rng_range(&in->rng, 0, in->think_max_ns);
	if (in->stalled && delay < BACKOFF_NS)
		delay = BACKOFF_NS;
	in->issue_ev = nx_sim_schedule(in->wl->sim, delay, issue_event, in);
	nx_assert(in->issue_ev != NX_SIM_EVENT_NONE);
}

/* ---- set-up ---------------------------------------------------------------------------- */

static void sync_cmd(struct wl *wl, struct ini *in, const uint8_t *cdb,
		     unsigned cdb_len, enum nx_ini_dir dir, void *buf,
		     uint32_t len, struct nx_ini_scsi *r)
{
	int rc = nx_ini_sync_scsi(nx_sim_ini_conn(in->si), &wl->drv, 0, cdb,
				  cdb_len, dir, buf, len, r);

	if (rc != 0)
		nx_scn_fail(wl->env, "initiator %u: sync CDB %02Xh: %d", in->idx,
			    cdb[0], rc);
	wl->env->cmds++;
}

/* Sync command that may first report UAs (retried, each UA checked). */
static void sync_cmd_ua(struct wl *wl, struct ini *in, const uint8_t *cdb,
			unsigned cdb_len, enum nx_ini_dir dir, void *buf,
			uint32_t len)
{
	struct nx_ini_scsi *r = &in->cmds[0].req;
	uint8_t key, asc, ascq;

	for (unsigned tries = 0; tries < UA_KINDS + 2; tries++) {
		uint64_t s = nx_sim_now(wl->sim);

		sync_cmd(wl, in, cdb, cdb_len, dir, buf, len, r);
		if (r->status == NX_STATUS_GOOD)
			return;
		sense_decode(r, &key, &asc, &ascq);
		if (r->status != NX_STATUS_CHECK_CONDITION || key != 0x06)
			break;
		ua_receive(in, asc, ascq, s);
	}
	sense_decode(r, &key, &asc, &ascq);
	nx_scn_fail(wl->env, "initiator %u: CDB %02Xh: status 0x%02x sense "
		    "%X/%02Xh/%02Xh", in->idx, cdb[0], r->status, key, asc, ascq);
}

static void ini_login(struct wl *wl, struct ini *in)
{
	struct nx_ini_config cfg;
	struct nx_ini_login lg;
	char name[64];
	int rc;

	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:sim.i%u", in->idx);
	nx_ini_config_init(&cfg, name, TGT_NAME);
	cfg.isid[0] = 0x80;
	cfg.isid[5] = (uint8_t)(in->idx + 1);
	in->sess = nx_ini_session_new(&cfg);
	if (in->sess == NULL)
		nx_scn_fail(wl->env, "initiator %u: session_new", in->idx);
	rc = nx_sim_ini_connect(wl->sim, in->host, TGT_IP, ISCSI_PORT, in->sess,
				0, 60 * SEC, &in->si);
	if (rc != 0)
		nx_scn_fail(wl->env, "initiator %u: TCP connect: %d", in->idx, rc);
	/* SAM-5 6.3.1: a new I_T nexus starts with POWER ON OCCURRED. */
	in->ua[UA_POWER_ON].establishing++;
	uint64_t s = nx_sim_now(wl->sim);
	rc = nx_ini_sync_login(nx_sim_ini_conn(in->si), &wl->drv, &lg);
	if (rc != 0 || lg.status_class != 0)
		nx_scn_fail(wl->env, "initiator %u: login: %d class %u detail %u",
			    in->idx, rc, lg.status_class, lg.status_detail);
	ua_est_end(wl, (int)in->idx, -1, UA_POWER_ON, s, true, true);
	nx_log(NX_LOG_INFO, "scn: ini%u logged in, tsih %u", in->idx, lg.tsih);
}

static void mode_sense_page(struct wl *wl, struct ini *in, uint8_t page,
			    uint8_t *out, size_t len)
{
	uint8_t cdb[10] = { 0x5a, 0x08 /* DBD */, page };
	uint8_t buf[64];

	nx_put_be16(cdb + 7, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	sync_cmd_ua(wl, in, cdb, 10, NX_INI_DIR_READ, buf, sizeof(buf));
	if ((buf[8] & 0x3f) != page || buf[9] + 2u != len)
		nx_scn_fail(wl->env, "MODE SENSE page %02Xh: got page %02Xh len %u",
			    page, buf[8], buf[9]);
	memcpy(out, buf + 8, len);
}

/* TAS from the seed, saved (SP=1) so a LU reset keeps it.  Before the
 * second initiator logs in: nobody else gets 2Ah/01h for it. */
static void setup_tas(struct wl *wl, struct ini *in)
{
	uint8_t page[12], buf[20] = { 0 };
	uint8_t cdb[10] = { 0x55, 0x11 /* PF, SP */ };

	mode_sense_page(wl, in, 0x0a, page, sizeof(page));
	memcpy(buf + 8, page, sizeof(page));
	buf[8] &= 0x7f;
	buf[8 + 5] = (uint8_t)((buf[8 + 5] & ~0x40) | (wl->tas ? 0x40 : 0));
	nx_put_be16(cdb + 7, sizeof(buf));
	sync_cmd_ua(wl, in, cdb, 10, NX_INI_DIR_WRITE, buf, sizeof(buf));
}

static void setup_target(struct wl *wl)
{
	struct nx_sim_disk_opts dopts;
	struct nx_iscsi_server_config sc;
	struct nx_lu_config lu = { .lun = 0, .block_size = BLOCK };
	struct nx_backstore *bs = NULL;
	struct nx_rng drng;

	nx_rng_fork(&wl->rng, "disk", 0, &drng);
	nx_sim_disk_opts_from_seed(&dopts, wl->o.lu_bytes, &drng);
	dopts.block_size = BLOCK;
	dopts.read_err_ppb = dopts.write_err_ppb = 0; /* no medium errors here */
	if (nx_sim_disk_new(wl->sim, "lu0", &dopts) == NULL ||
	    nx_bs_file_new("lu0", 0, false, &bs) != 0)
		nx_scn_fail(wl->env, "sim disk / file backstore");
	wl->tgt = nx_target_new(TGT_NAME);
	if (wl->tgt == NULL || nx_target_add_lu(wl->tgt, &lu, bs) != 0)
		nx_scn_fail(wl->env, "target / LU");
	memset(&sc, 0, sizeof(sc));
	sc.portals[0] = "10.0.0.1:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	sc.targets[0].target = wl->tgt;
	sc.target_count = 1;
	wl->thost = nx_sim_host_new(wl->env->net, "target", TGT_IP);
	wl->starget = nx_sim_iscsi_target_new(wl->sim, wl->thost, ISCSI_PORT, &sc);
	if (wl->thost == NULL || wl->starget == NULL)
		nx_scn_fail(wl->env, "sim iSCSI target");
}

static void setup_ini(struct wl *wl, struct ini *in, unsigned idx)
{
	char hname[16];

	in->wl = wl;
	in->idx = idx;
	nx_rng_fork(&wl->rng, "initiator", idx, &in->rng);
	snprintf(hname, sizeof(hname), "ini%u", idx);
	in->host = nx_sim_host_new(wl->env->net, hname, INI_IP0 + idx);
	if (in->host == NULL)
		nx_scn_fail(wl->env, "host %s", hname);
	in->qd = (uint32_t)nx_rng_range(&in->rng, 1, wl->o.qd_max);
	in->think_max_ns = nx_rng_range(&in->rng, 0, 100000);
	in->w_read = (uint32_t)nx_rng_range(&in->rng, 1, 10);
	in->w_write = (uint32_t)nx_rng_range(&in->rng, 1, 10);
	in->w_tur = (uint32_t)nx_rng_range(&in->rng, 0, 1);
	in->ctl_ppm = (uint32_t)nx_rng_range(&in->rng, 200, 5000);
	for (unsigned i = 0; i < QD_LIMIT; i++) {
		in->cmds[i].buf = malloc((size_t)BLOCKS_LIMIT * BLOCK);
		if (in->cmds[i].buf == NULL)
			nx_scn_fail(wl->env, "out of memory");
	}
	nx_log(NX_LOG_INFO, "scn: ini%u qd=%u think<=%lluns mix r%u/w%u/t%u ctl=%uppm",
	       idx, in->qd, (unsigned long long)in->think_max_ns, in->w_read,
	       in->w_write, in->w_tur, in->ctl_ppm);
}

/* ---- the end --------------------------------------------------------------------------- */

static bool quiet(void *arg)
{
	struct wl *wl = arg;

	for (unsigned i = 0; i < wl->o.initiators; i++) {
		const struct ini *in = &wl->ini[i];

		if (in->outstanding || in->ctl_busy || in->recover)
			return false;
	}
	return true;
}

static void report_lost(struct wl *wl)
{
	for (unsigned i = 0; i < wl->o.initiators; i++) {
		struct ini *in = &wl->ini[i];

		for (unsigned k = 0; k < in->qd; k++)
			if (in->cmds[k].busy)
				nx_scn_fail(wl->env, "initiator %u: task lost: %s "
					    "itt 0x%x cmdsn %u sent %d at %llu ns "
					    "never completed", i,
					    cdb_name(&in->cmds[k]),
					    in->cmds[k].req.itt,
					    in->cmds[k].req.cmdsn,
					    in->cmds[k].req.sent,
					    (unsigned long long)in->cmds[k].submit_ns);
		if (in->ctl_busy)
			nx_scn_fail(wl->env, "initiator %u: TMF %u never answered",
				    i, in->tmf.function);
	}
}

/* Reads the whole region back through initiator 0: every acknowledged
 * write is there. */
static void final_verify(struct wl *wl)
{
	struct ini *in = &wl->ini[0];
	uint8_t *buf = in->cmds[0].buf;

	for (uint64_t lba = 0; lba < wl->region; lba += BLOCKS_LIMIT) {
		uint32_t n = (uint32_t)NX_MIN(wl->region - lba, (uint64_t)BLOCKS_LIMIT);
		uint8_t cdb[10] = { 0x28 };

		nx_put_be32(cdb + 2, (uint32_t)lba);
		nx_put_be16(cdb + 7, (uint16_t)n);
		sync_cmd_ua(wl, in, cdb, 10, NX_INI_DIR_READ, buf, n * BLOCK);
		shadow_check(wl, buf, lba, n, 0);
	}
}

static void teardown(struct wl *wl)
{
	for (unsigned i = 0; i < wl->o.initiators; i++) {
		struct ini *in = &wl->ini[i];
		uint8_t response = 0xff;
		int rc = nx_ini_sync_logout(nx_sim_ini_conn(in->si), &wl->drv,
					    NX_INI_LOGOUT_SESSION, &response);

		if (rc != 0 || response != 0)
			nx_scn_fail(wl->env, "initiator %u: logout: %d response %u",
				    i, rc, response);
		nx_sim_ini_free(in->si);
		nx_ini_session_free(in->sess);
		for (unsigned k = 0; k < QD_LIMIT; k++)
			free(in->cmds[k].buf);
	}
	if (nx_sim_iscsi_target_free(wl->starget, 60 * SEC) != 0)
		nx_scn_fail(wl->env, "target connections never released");
	nx_target_free(wl->tgt);
	free(wl->blk);
}

void nx_scn_workload(struct nx_scn_env *env, const struct nx_scn_workload_opts *o)
{
	struct wl *wl = calloc(1, sizeof(*wl));
	uint8_t tur[6] = { 0 };

	nx_assert(wl != NULL);
	nx_assert(o->initiators >= 1 && o->initiators <= INI_MAX);
	nx_assert(o->qd_max >= 1 && o->qd_max <= QD_LIMIT);
	nx_assert(o->blocks_max >= 1 && o->blocks_max <= BLOCKS_LIMIT);
	wl->env = env;
	wl->o = *o;
	wl->sim = env->sim;
	nx_rng_fork(nx_sim_rng(env->sim), "workload", 0, &wl->rng);
	nx_sim_driver_init(&wl->drv, wl->sim, SYNC_STEPS);
	wl->blocks = o->lu_bytes / BLOCK;
	wl->region = nx_rng_range(&wl->rng, NX_MIN(wl->blocks, 4 * BLOCKS_LIMIT),
				  wl->blocks);
	wl->blk = calloc(wl->blocks, sizeof(*wl->blk));
	wl->tas = nx_rng_chance(&wl->rng, 1, 2);
	nx_assert(wl->blk != NULL);
	setup_target(wl);
	for (unsigned i = 0; i < o->initiators; i++)
		setup_ini(wl, &wl->ini[i], i);
	nx_log(NX_LOG_INFO, "scn: region=%llu blocks tas=%d",
	       (unsigned long long)wl->region, wl->tas);
	ini_login(wl, &wl->ini[0]);
	if (o->control) {
		setup_tas(wl, &wl->ini[0]);
		mode_sense_page(wl, &wl->ini[0], 0x1c, wl->iec_page,
				sizeof(wl->iec_page));
	}
	for (unsigned i = 1; i < o->initiators; i++)
		ini_login(wl, &wl->ini[i]);

	uint64_t end = nx_sim_now(wl->sim) + env->duration_ns;
	for (unsigned i = 0; i < o->initiators; i++)
		issue_schedule(&wl->ini[i]);
	nx_sim_run_to(wl->sim, end);
	wl->stopping = true;
	if (!nx_sim_run_until(wl->sim, quiet, wl, end + DRAIN_NS))
		report_lost(wl);
	for (unsigned i = 0; i < o->initiators; i++) {
		/* Collect what is still pending, then check nothing is owed. */
		sync_cmd_ua(wl, &wl->ini[i], tur, 6, NX_INI_DIR_NONE, NULL, 0);
		ua_final_check(&wl->ini[i]);
	}
	final_verify(wl);
	teardown(wl);
	free(wl);
}
