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
 * Durability (SBC-3 4.15 write caching, 5.31 FUA, 5.27 SYNCHRONIZE
 * CACHE): tags grow with one global sequence, and writes to a block are
 * serialized by its lock, so a newer tag on a block means a later write.
 * Each block has a durable floor, dtag: the newest write known to be on
 * the medium - acknowledged with FUA, or acknowledged (or read back)
 * before a SYNCHRONIZE CACHE covering the block was sent and that SYNC
 * was acknowledged.  Whatever survives a power loss must be dtag or a
 * later write; writes without FUA/SYNC may be lost, and the model
 * allows exactly that.  The floor is checked against the sim disk's
 * durable image at every fault and at the end, and against what the
 * disk holds after each power loss (the shadow then settles on it).
 *
 * Faults (o->faults, drawn from the "faults" stream, several per run):
 *  - link: all paths or one initiator's cut for 1 ms..15 s, then healed
 *    (long cuts kill TCP: the initiator's watchdog resets and re-logs in);
 *  - reset: an initiator's TCP connection is reset; it logs in again
 *    with the same ISID (session reinstatement, RFC 7143 6.3.5);
 *  - disk: media errors on a range, or a burst of seeded I/O errors and
 *    latency spikes; READ/WRITE may then end in MEDIUM ERROR (03h);
 *  - crash: the target's connections are reset and its objects freed,
 *    then a new target is built on the same sim disk (persistence store
 *    kept); every initiator logs in again;
 *  - power: a crash, and the sim disk drops (or tears) its cache.
 * Over iSER (env->fabric) the sessions ride RC QPs and the connection
 * faults become RDMA ones: link = a port down (every QP of the target's
 * or an initiator's HCA breaks); reset = armed on an initiator and
 * struck while the target's next RDMA WRITE (Data-In) or READ (Data-Out)
 * to it is on the wire: a QP error (both QPs to ERROR), or the
 * initiator's disconnect during an RDMA READ; a crash takes the target's
 * port down first.  The invariants are the same: the tasks of the lost
 * connection end with it (TASK ABORTED is never owed, RFC 7143 6.3.5),
 * the new nexus gets 29h/00h once, acknowledged writes read back.
 * Over SRP (env->srp, same fabric and faults) each initiator is an SRP
 * initiator port logging in through the CM with a fixed port identifier,
 * so a re-login is the same I_T nexus identity (PR registrations keep);
 * the target reaches LU 0 through one SRP target port.  A lost channel
 * ends its tasks (SRP 5.x: the I_T nexus is lost with its last channel),
 * the new channel's nexus gets 29h/00h once.
 * A command whose connection died has an unknown outcome: its blocks stay
 * locked until the new session is logged in (the old session's tasks are
 * gone by then, RFC 7143 6.3.5), then a write counts as maybe-applied.
 * Each new I_T nexus expects 29h/00h exactly once (SAM-5 6.3.2); UAs
 * pending for a nexus that was lost are not owed to its successor.  A
 * connection with work outstanding and no progress for WATCHDOG_NS is
 * dropped and logged in again (an initiator's NOP-Out timeout) only if a
 * fault could explain the silence; otherwise it is a lost task.
 *
 * Persistent reservations (o->pr, pr_model.h): PERSISTENT RESERVE OUT
 * (REGISTER with and without APTPL, RESERVE / RELEASE of an
 * all-registrants type, CLEAR, PREEMPT) and IN join the control
 * operations, one at a time workload-wide, with the 2Ah/03h-05h UAs
 * they owe the other initiator tracked like the others; every PRIN
 * answer is checked against the model, and pr_check_hook() reads the
 * state through every initiator's I_T nexus after each re-login and at
 * the end (it must be identical on every path and survive a restart
 * exactly when APTPL says so).
 *
 * wl_internal.h lists the files the engine is split into.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_internal.h"

static const uint8_t ua_code[UA_KINDS][2] = {
	{ 0x29, 0x00 }, { 0x29, 0x03 }, { 0x2a, 0x01 },
	{ 0x2a, 0x03 }, { 0x2a, 0x04 }, { 0x2a, 0x05 },
};

/* ---- transport: iSCSI over sim TCP, or iSER over the RDMA fabric ------------ */

/* Over the RDMA fabric: iSER, or SRP when env->srp. */
bool wl_over_iser(const struct wl *wl)
{
	return wl->env->fabric != NULL;
}

bool wl_over_srp(const struct wl *wl)
{
	return wl->env->srp;
}

struct nx_ini_conn *wl_ini_conn(struct ini *in)
{
	nx_assert(in->pi == NULL);
	return in->xi != NULL ? nx_sim_iser_ini_conn(in->xi) : nx_sim_ini_conn(in->si);
}

/* The connection (SRP: channel) is gone or going. */
static bool ini_dead(struct ini *in)
{
	if (in->pi != NULL)
		return nx_ini_srp_is_dead(nx_sim_srp_ini_port(in->pi));
	return nx_ini_conn_is_dead(wl_ini_conn(in));
}

static int ini_submit(struct ini *in, struct nx_ini_scsi *req)
{
	if (in->pi != NULL)
		return nx_ini_srp_scsi_submit(nx_sim_srp_ini_port(in->pi), req);
	return nx_ini_scsi_submit(wl_ini_conn(in), req);
}

/* nx_ini_sync_scsi() on LU 0 over whichever transport. */
int wl_ini_sync_scsi(struct wl *wl, struct ini *in, const uint8_t *cdb,
			 unsigned cdb_len, enum nx_ini_dir dir, void *buf,
			 uint32_t len, struct nx_ini_scsi *r)
{
	if (in->pi != NULL)
		return nx_sim_srp_ini_sync_scsi(in->pi, &wl->drv, 0, cdb, cdb_len,
						dir, buf, len, r);
	return nx_ini_sync_scsi(wl_ini_conn(in), &wl->drv, 0, cdb, cdb_len, dir,
				buf, len, r);
}

/* SRP port identifiers (SRP 5.2: identifier extension + EUI-64): the
 * target port is extension 1 of I/O controller GUID 4e58:0000:0000:0001,
 * initiator n is extension n + 1 of GUID 4e58:0000:0000:0100. */
static void srp_port_id(bool target, unsigned n, uint8_t id[NX_SRP_PORT_ID_LEN])
{
	memset(id, 0, NX_SRP_PORT_ID_LEN);
	id[7] = (uint8_t)(n + 1);
	id[8] = 0x4e;
	id[9] = 0x58;
	id[target ? 15 : 14] = 1;
}

int wl_ini_connect(struct wl *wl, struct ini *in)
{
	if (wl_over_iser(wl))
		return nx_sim_iser_ini_connect(wl->sim, in->dev, TGT_IP, ISCSI_PORT,
					       in->sess, 0, 2 * SEC, &in->xi);
	return nx_sim_ini_connect(wl->sim, in->host, TGT_IP, ISCSI_PORT, in->sess,
				  0, 2 * SEC, &in->si);
}

/* SRP: the login is the CM exchange (0 once the SRP_LOGIN_RSP came). */
int wl_srp_connect(struct wl *wl, struct ini *in)
{
	struct nx_ini_srp_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	srp_port_id(false, in->idx, cfg.iport);
	srp_port_id(true, 0, cfg.tport);
	return nx_sim_srp_ini_connect(wl->sim, in->dev, TGT_IP, NX_SIM_SRP_PORT,
				      &cfg, 2 * SEC, &in->pi, NULL);
}

/* Frees the connection (what is outstanding fails: limbo). */
void wl_ini_free(struct ini *in)
{
	nx_sim_ini_free(in->si);
	nx_sim_iser_ini_free(in->xi);
	nx_sim_srp_ini_free(in->pi);
	in->si = NULL;
	in->xi = NULL;
	in->pi = NULL;
}

void wl_ini_lost(struct ini *in)
{
	in->down = in->need_relogin = true;
	in->wl->relogin_maybe = true;
}

/* The initiator gives up on its connection (a NOP-Out timeout): RST, or
 * over iSER a disconnect (DREQ; its timer ends it on a dead path). */
void wl_ini_drop(struct ini *in)
{
	if (in->pi != NULL)
		nx_ini_srp_disconnect(nx_sim_srp_ini_port(in->pi));
	else if (in->xi != NULL)
		nx_ini_iser_disconnect(nx_sim_iser_ini_iser(in->xi));
	else
		nx_sim_stream_reset(nx_sim_ini_stream(in->si));
}

void wl_target_listen(struct wl *wl, const struct nx_iscsi_server_config *sc)
{
	struct nx_srp_target_config pc = { .target = wl->tgt, .rtpi = 1 };

	srp_port_id(true, 0, pc.port_id);
	if (wl_over_srp(wl))
		wl->ptarget = nx_sim_srp_target_new(wl->sim, wl->tdev,
						    NX_SIM_SRP_PORT, &pc);
	else if (wl_over_iser(wl))
		wl->itarget = nx_sim_iser_target_new(wl->sim, wl->tdev, ISCSI_PORT, sc);
	else
		wl->starget = nx_sim_iscsi_target_new(wl->sim, wl->thost,
						      ISCSI_PORT, sc);
	if (wl->itarget == NULL && wl->starget == NULL && wl->ptarget == NULL)
		nx_scn_fail(wl->env, "sim %s target", wl_over_srp(wl) ? "SRP" :
			    wl_over_iser(wl) ? "iSER" : "iSCSI");
}

/* Every connection ends, the transport drains its tasks and lets go. */
void wl_target_stop(struct wl *wl, const char *what)
{
	int rc = wl->ptarget != NULL ? nx_sim_srp_target_free(wl->ptarget, 60 * SEC)
		 : wl->itarget != NULL ? nx_sim_iser_target_free(wl->itarget, 60 * SEC)
		 : nx_sim_iscsi_target_free(wl->starget, 60 * SEC);

	if (rc != 0)
		nx_scn_fail(wl->env, "%s: target connections never released", what);
	wl->itarget = NULL;
	wl->starget = NULL;
	wl->ptarget = NULL;
}

/* ---- failure helpers ---------------------------------------------------------- */

const char *wl_cdb_name(const struct cmd *c)
{
	static const char *const names[] = { "READ(10)", "WRITE(10)",
					     "TEST UNIT READY", "MODE SELECT(10)",
					     "SYNCHRONIZE CACHE(10)",
					     "PERSISTENT RESERVE OUT",
					     "PERSISTENT RESERVE IN" };
	return names[c->kind];
}

/* ---- unit attention bookkeeping ------------------------------------------------ */

void wl_ua_est_begin(struct wl *wl, int only, int except, unsigned kind)
{
	for (unsigned i = 0; i < wl->o.initiators; i++)
		if ((only < 0 || (unsigned)only == i) &&
		    (except < 0 || (unsigned)except != i))
			wl->ini[i].ua[kind].establishing++;
}

/* definite: the establisher surely ran; possible: it may have. */
void wl_ua_est_end(struct wl *wl, int only, int except, unsigned kind,
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
		/* Sent before this initiator's current nexus existed: it may
		 * have gone to the lost one (or to nobody). */
		if (definite && submit_ns >= wl->ini[i].login_done_ns) {
			u->any_definite = true;
			if (submit_ns > u->max_s_definite)
				u->max_s_definite = submit_ns;
		}
	}
}

/* A command submitted at submit_ns got this UA now. */
void wl_ua_receive(struct ini *in, uint8_t asc, uint8_t ascq,
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

/* 8 aligned blocks' lock bytes as one word: each byte is one block
 * whatever the byte order, and adding or taking ONES never carries
 * between bytes - a write lock is 0 or 1, and a block has at most
 * QD_LIMIT * INI_MAX readers. */
#define ONES 0x0101010101010101ull
_Static_assert(QD_LIMIT * INI_MAX < 255, "read counts fit a byte");

static uint64_t load8(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void store8(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* No byte of x is zero. */
static bool bytes_nonzero(uint64_t x)
{
	return ((x - ONES) & ~x & (ONES << 7)) == 0;
}

/* lba's write byte; its read count is 8 bytes further (wl_internal.h). */
static uint8_t *lock_w(const struct wl *wl, uint64_t lba)
{
	return wl->lock + (lba / 8) * 16 + lba % 8;
}

/* No early exit: a word per 8 aligned blocks, no branch per block. */
static bool range_free(const struct wl *wl, uint64_t lba, uint32_t n, bool write)
{
	uint64_t held = 0;

	for (uint64_t b = lba, end = lba + n; b < end;) {
		const uint8_t *w = lock_w(wl, b);

		if (b % 8 == 0 && end - b >= 8) {
			held |= load8(w) | (write ? load8(w + 8) : 0);
			b += 8;
		} else {
			held |= w[0] | (write ? w[8] : 0u);
			b++;
		}
	}
	return held == 0;
}

static void range_lock(struct wl *wl, uint64_t lba, uint32_t n, bool write,
		       bool lock)
{
	for (uint64_t b = lba, end = lba + n; b < end;) {
		uint8_t *p = lock_w(wl, b) + (write ? 0 : 8);

		if (b % 8 == 0 && end - b >= 8) {
			uint64_t x = load8(p);

			if (write) {
				nx_assert(x == (lock ? 0 : ONES));
				store8(p, lock ? ONES : 0);
			} else {
				nx_assert(lock || bytes_nonzero(x));
				store8(p, lock ? x + ONES : x - ONES);
			}
			b += 8;
		} else {
			if (write) {
				nx_assert(*p == !lock);
				*p = lock;
			} else {
				nx_assert(lock || *p > 0);
				*p = (uint8_t)(*p + (lock ? 1 : -1));
			}
			b++;
		}
	}
}

static void fresh_note(struct wl *wl, uint64_t lba);

static uint64_t seq_of(uint64_t tag)
{
	return tag & SEQ_MASK;
}

/* maybe: the write may or may not have reached each block.  A GOOD
 * write with FUA is on the medium (SBC-3 5.31: FUA=1 "shall write the
 * logical blocks to the medium" before GOOD). */
static void shadow_written(struct wl *wl, const struct cmd *c, bool maybe)
{
	uint64_t now = nx_sim_now(wl->sim);

	for (uint32_t i = 0; i < c->nblk; i++) {
		struct blk *b = &wl->blk[c->lba + i];

		if (!maybe) {
			b->tag = c->tag;
			fresh_note(wl, c->lba + i);
			b->nalt = 0;
			b->any = false;
			b->known_ns = now;
			if (c->fua)
				b->dtag = c->tag;
		} else if (b->nalt < ALT_MAX) {
			wl->alt[c->lba + i][b->nalt++] = c->tag;
		} else {
			b->any = true;
		}
	}
}

/* Call whenever b->tag changes (see wl->fresh). */
static void fresh_note(struct wl *wl, uint64_t lba)
{
	struct blk *b = &wl->blk[lba];

	if (b->fresh)
		return;
	nx_assert(wl->fresh_count < wl->blocks);
	b->fresh = true;
	wl->fresh[wl->fresh_count++] = (uint32_t)lba;
}

static bool tag_allowed(const struct wl *wl, uint64_t lba, uint64_t tag)
{
	const struct blk *b = &wl->blk[lba];

	if (b->any || tag == b->tag)
		return true;
	for (unsigned i = 0; i < b->nalt; i++)
		if (wl->alt[lba][i] == tag)
			return true;
	return false;
}

/* A block read carried tag: the shadow must allow it; the read then
 * settles the block.  Inlined into the per-block loops of a read. */
static inline __attribute__((always_inline)) void shadow_settle(struct wl *wl, uint64_t lba, uint64_t tag,
			  uint64_t now, unsigned who)
{
	struct blk *b = &wl->blk[lba];

	if (!tag_allowed(wl, lba, tag))
		nx_scn_fail(wl->env, "initiator %u: LBA %llu read back "
			    "tag %016llx, expected %016llx (+%u aborted "
			    "writes): an acknowledged write was lost",
			    who, (unsigned long long)lba,
			    (unsigned long long)tag,
			    (unsigned long long)b->tag, b->nalt);
	b->tag = tag;
	b->nalt = 0;
	b->any = false;
	b->known_ns = now;
	fresh_note(wl, lba);
}

/* Every block read must be intact and carry a tag the shadow allows. */
static void block_corrupt(struct wl *wl, uint64_t lba, uint64_t tag, unsigned who)
{
	nx_scn_fail(wl->env, "initiator %u: LBA %llu read back "
		    "corrupt (header tag %016llx, expected %016llx)",
		    who, (unsigned long long)lba, (unsigned long long)tag,
		    (unsigned long long)wl->blk[lba].tag);
}

void wl_shadow_check(struct wl *wl, const uint8_t *buf, uint64_t lba,
			 uint32_t n, unsigned who)
{
	uint64_t now = nx_sim_now(wl->sim);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t tag;

		if (!nx_scn_block_valid(buf + (size_t)i * BLOCK, lba + i, &tag))
			block_corrupt(wl, lba + i, tag, who);
		shadow_settle(wl, lba + i, tag, now, who);
	}
}

/* SYNCHRONIZE CACHE sent at submit_ns was acknowledged: every block of
 * the range whose content was known on the LU before then is durable
 * (SBC-3 5.27; NUMBER OF BLOCKS 0 = to the end of the medium). */
static void block_synced(struct blk *b, uint64_t submit_ns)
{
	if (b->known_ns < submit_ns && seq_of(b->tag) > seq_of(b->dtag))
		b->dtag = b->tag;
}

static void shadow_synced(struct wl *wl, uint64_t lba, uint32_t n,
			  uint64_t submit_ns)
{
	uint64_t end = NX_MIN(lba + n, wl->region);

	if (n != 0) {
		for (uint64_t i = lba; i < end; i++)
			block_synced(&wl->blk[i], submit_ns);
		return;
	}
	/* To the end of the medium: only blocks on the fresh list can
	 * change; those that are durable now leave it. */
	for (uint64_t i = 0; i < wl->fresh_count;) {
		struct blk *b = &wl->blk[wl->fresh[i]];

		if (wl->fresh[i] >= lba)
			block_synced(b, submit_ns);
		if (seq_of(b->tag) > seq_of(b->dtag)) {
			i++;
			continue;
		}
		b->fresh = false;
		wl->fresh[i] = wl->fresh[--wl->fresh_count];
	}
}

/* What survives a power loss (the disk's durable image) must hold, on
 * every block, the durable floor or a later write.  settle: a power
 * loss just happened, so the image is also what the LU shows now. */
void wl_durable_check(struct wl *wl, const char *when, bool settle)
{
	uint8_t *buf = malloc((size_t)BLOCKS_LIMIT * BLOCK);
	uint64_t now = nx_sim_now(wl->sim);

	nx_assert(buf != NULL);
	for (uint64_t lba = 0; lba < wl->region; lba += BLOCKS_LIMIT) {
		uint32_t n = (uint32_t)NX_MIN(wl->region - lba, (uint64_t)BLOCKS_LIMIT);

		nx_sim_disk_read_durable(wl->disk, lba * BLOCK, buf, (size_t)n * BLOCK);
		for (uint32_t i = 0; i < n; i++) {
			struct blk *b = &wl->blk[lba + i];
			uint64_t tag;

			if (!nx_scn_block_valid(buf + (size_t)i * BLOCK, lba + i, &tag))
				nx_scn_fail(wl->env, "%s: LBA %llu corrupt on the "
					    "medium (header tag %016llx)", when,
					    (unsigned long long)(lba + i),
					    (unsigned long long)tag);
			if (seq_of(tag) < seq_of(b->dtag))
				nx_scn_fail(wl->env, "%s: LBA %llu holds tag %016llx "
					    "on the medium, but the write of tag %016llx "
					    "was acknowledged durable (FUA or a later "
					    "SYNCHRONIZE CACHE): acknowledged write lost",
					    when, (unsigned long long)(lba + i),
					    (unsigned long long)tag,
					    (unsigned long long)b->dtag);
			if (settle) {
				b->tag = b->dtag = tag;
				b->nalt = 0;
				b->any = false;
				b->known_ns = now;
			}
		}
	}
	free(buf);
}

/* PERSISTENT RESERVE IN sa through in's connection, synchronously, UAs
 * met on the way received.  False if the connection died meanwhile, or
 * if UAs keep coming: the other initiator's I/O goes on during the check
 * and may establish a new one (2Ah/01h, say) before every retry
 * (fuzz/regressions/fuzz_sim/pr-check-ua-stream). */
#define PR_SYNC_TRIES 64u
static bool pr_sync_prin(struct wl *wl, struct ini *in, uint8_t sa,
			 uint8_t *buf, uint32_t *len)
{
	uint8_t cdb[10] = { 0x5e, sa };
	struct nx_ini_scsi r;
	uint8_t key, asc, ascq;

	nx_put_be16(cdb + 7, NX_SCN_PR_DATA_IN_MAX);
	for (unsigned tries = 0; tries < PR_SYNC_TRIES; tries++) {
		uint64_t s = nx_sim_now(wl->sim);

		memset(buf, 0, NX_SCN_PR_DATA_IN_MAX);
		if (wl_ini_sync_scsi(wl, in, cdb, 10, NX_INI_DIR_READ, buf,
				  NX_SCN_PR_DATA_IN_MAX, &r) != 0)
			return false;
		wl->env->cmds++;
		if (r.err == 0 && r.status == NX_STATUS_GOOD) {
			*len = r.data_in_got;
			return true;
		}
		nx_scn_sense_decode(r.sense, r.sense_len, &key, &asc, &ascq);
		if (r.err != 0 || r.status != NX_STATUS_CHECK_CONDITION || key != 6)
			nx_scn_fail(wl->env, "initiator %u: PRIN %u: err %d status "
				    "0x%02x sense %X/%02Xh/%02Xh", in->idx, sa, r.err,
				    r.status, key, asc, ascq);
		wl_ua_receive(in, asc, ascq, s);
	}
	nx_log(NX_LOG_INFO, "scn: ini%u PRIN %u: still unit attentions after %u "
	       "tries: not checked", in->idx, sa, PR_SYNC_TRIES);
	return false;
}

/* The reservation state through every initiator's I_T nexus that is up
 * must be the model's (SPC-4 5.12: it belongs to the LU, so every path
 * reports the same).  No PR command may start meanwhile. */
void wl_pr_check_hook(struct wl *wl, const char *when)
{
	uint8_t keys[NX_SCN_PR_DATA_IN_MAX], res[NX_SCN_PR_DATA_IN_MAX];
	uint32_t klen = 0, rlen = 0;
	char why[512];

	if (!wl->o.pr || wl->pr.busy)
		return;
	wl->pr.busy = true; /* holds nx_scn_pr_pick() off */
	for (unsigned i = 0; i < wl->o.initiators; i++) {
		struct ini *in = &wl->ini[i];

		if (in->down || in->need_relogin ||
		    (in->si == NULL && in->xi == NULL && in->pi == NULL) ||
		    ini_dead(in))
			continue;
		if (!pr_sync_prin(wl, in, 0, keys, &klen) ||
		    !pr_sync_prin(wl, in, 1, res, &rlen))
			continue;
		if (!nx_scn_pr_check(&wl->pr, keys, klen, res, rlen, why,
				     sizeof(why)))
			nx_scn_fail(wl->env, "%s: initiator %u: %s", when, i, why);
	}
	wl->pr.busy = false;
}

/* ---- commands ------------------------------------------------------------------------ */

static void cmd_busy(struct cmd *c, bool busy);

static void cmd_release(struct cmd *c)
{
	struct ini *in = c->ini;

	if (c->kind == K_READ || c->kind == K_WRITE)
		range_lock(in->wl, c->lba, c->nblk, c->kind == K_WRITE, false);
	if (c->kind == K_MODESEL || c->kind == K_PROUT || c->kind == K_PRIN)
		in->ctl_busy = false;
	cmd_busy(c, false);
	nx_assert(in->outstanding > 0);
	in->outstanding--;
	wl_issue_schedule(in);
}

static void modesel_done(struct cmd *c, bool good, bool maybe)
{
	wl_ua_est_end(c->ini->wl, -1, (int)c->ini->idx, UA_MODE_CHANGED,
		   c->submit_ns, maybe, good);
}

static bool is_pr(const struct cmd *c)
{
	return c->kind == K_PROUT || c->kind == K_PRIN;
}

unsigned wl_pr_ua_kind(uint8_t ascq)
{
	return ascq == 0x03 ? UA_RES_PREEMPTED
	       : ascq == 0x04 ? UA_RES_RELEASED : UA_REG_PREEMPTED;
}

/* A PR command ended: the model moves (or learns it may have), and the
 * UA it owes the other initiator is settled. */
static void pr_cmd_end(struct cmd *c, enum nx_scn_pr_outcome o)
{
	struct ini *in = c->ini;
	struct wl *wl = in->wl;
	char why[512];

	if (c->pr.ua_to >= 0)
		wl_ua_est_end(wl, c->pr.ua_to, -1, wl_pr_ua_kind(c->pr.ua_ascq),
			   c->submit_ns, o != NX_SCN_PR_NOT_RUN,
			   o == NX_SCN_PR_GOOD);
	if (!nx_scn_pr_done(&wl->pr, o, c->buf, c->req.data_in_got, why,
			    sizeof(why)))
		nx_scn_fail(wl->env, "initiator %u: %s: %s", in->idx, c->pr.name,
			    why);
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
		if (is_pr(c))
			pr_cmd_end(c, NX_SCN_PR_UNKNOWN);
		return;
	}
	nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
	/* Disk faults: the I/O failed (SBC-3 4.16: MEDIUM ERROR); a write
	 * may have reached some blocks. */
	if ((in->wl->o.faults & (1u << NX_SCN_FAULT_DISK)) && r->err == 0 &&
	    r->status == NX_STATUS_CHECK_CONDITION && key == 0x03 &&
	    (c->kind == K_READ || c->kind == K_WRITE || c->kind == K_SYNC)) {
		if (c->kind == K_WRITE)
			shadow_written(in->wl, c, true);
		return;
	}
	if (r->err != 0 || r->status != NX_STATUS_CHECK_CONDITION || key != 0x06)
		nx_scn_fail(in->wl->env, "initiator %u: %s LBA %llu+%u itt 0x%x: "
			    "err %d response %u status 0x%02x sense %X/%02Xh/%02Xh",
			    in->idx, wl_cdb_name(c), (unsigned long long)c->lba,
			    c->nblk, r->itt, r->err, r->response, r->status,
			    key, asc, ascq);
	wl_ua_receive(in, asc, ascq, c->submit_ns);
	if (c->kind == K_MODESEL)
		modesel_done(c, false, false);
	if (is_pr(c))
		pr_cmd_end(c, NX_SCN_PR_NOT_RUN);
}

/* A READ's Data-In sink (iSCSI; a datamover places the data in c->buf):
 * each whole block is checked where it arrived (nx_scn_rx_data), not
 * copied into the cold c->buf and read back. */
static void read_sink(const struct nx_ini_scsi *r, uint32_t off,
		      const uint8_t *data, uint32_t len)
{
	struct cmd *c = r->priv;

	nx_assert(c->kind == K_READ && off + len <= c->nblk * BLOCK);
	nx_scn_rx_data(&c->rx, c->lba, off, data, len);
}

/* A GOOD read: each block, in order, as wl_shadow_check() would have
 * found it in c->buf after a plain copy (same verdicts, same messages). */
static void read_check(struct wl *wl, struct cmd *c)
{
	uint64_t now = nx_sim_now(wl->sim);

	if (c->nblk <= 64 && c->rx.placed[0] == ~0ull >> (64 - c->nblk)) {
		/* the usual case: every block was valid where it arrived */
		for (uint32_t i = 0; i < c->nblk; i++)
			shadow_settle(wl, c->lba + i, c->rx.tag[i], now, c->ini->idx);
		return;
	}
	for (uint32_t i = 0; i < c->nblk; i++) {
		uint64_t tag;

		if (!nx_scn_rx_valid(&c->rx, c->lba, i, &tag))
			block_corrupt(wl, c->lba + i, tag, c->ini->idx);
		shadow_settle(wl, c->lba + i, tag, now, c->ini->idx);
	}
}

/* A WRITE's data source (iSCSI over sim TCP): the pattern of the blocks
 * a PDU carries is generated when the initiator builds that PDU, into
 * the initiator's scratch, which the send path copies at once; it no
 * longer goes through the command's buffer (cold by the time a slot is
 * reused) first.  A datamover reads the buffer itself: filled as before. */
static const uint8_t *write_source(const struct nx_ini_scsi *r, uint32_t off,
				   uint32_t len)
{
	const struct cmd *c = r->priv;
	uint8_t *p = c->ini->wgen;
	uint32_t first = off / BLOCK, last = (off + len - 1) / BLOCK;

	nx_assert(c->kind == K_WRITE && len > 0 && off + len <= c->nblk * BLOCK);
	nx_scn_blocks_fill(p, c->tag, c->lba + first, last - first + 1);
	return p + off % BLOCK;
}

/* The same bytes straight into the send buffer (dst), where the
 * transport lets the initiator write them: no scratch, no copy. */
static void write_fill(const struct nx_ini_scsi *r, uint32_t off,
		       uint32_t len, uint8_t *dst)
{
	const struct cmd *c = r->priv;

	nx_assert(c->kind == K_WRITE && len > 0 && off + len <= c->nblk * BLOCK);
	nx_scn_blocks_fill_range(dst, c->tag, c->lba, off, len, c->ini->wgen);
}

static void cmd_done(struct nx_ini_scsi *r)
{
	struct cmd *c = r->priv;
	struct ini *in = c->ini;
	struct wl *wl = in->wl;

	if (!c->busy || c->limbo)
		nx_scn_fail(wl->env, "initiator %u: itt 0x%x completed twice",
			    in->idx, r->itt);
	if (r->err == NX_INI_ECONNRESET) {
		/* The connection died: outcome unknown until the re-login. */
		c->limbo = true;
		wl_ini_lost(in);
		return;
	}
	in->last_progress_ns = nx_sim_now(wl->sim);
	wl->env->cmds++;
	if (r->err != 0 || r->status != NX_STATUS_GOOD) {
		cmd_not_good(c);
		cmd_release(c);
		return;
	}
	/* PRIN: an allocation length larger than the data (underflow) */
	if (r->response != 0 || (r->residual != 0 && c->kind != K_PRIN) ||
	    (c->kind == K_READ && r->data_in_got != c->nblk * BLOCK))
		nx_scn_fail(wl->env, "initiator %u: %s itt 0x%x: response %u "
			    "flags 0x%x residual %u got %u", in->idx, wl_cdb_name(c),
			    r->itt, r->response, r->flags, r->residual,
			    r->data_in_got);
	/* Sent before a power loss, answered after it (the response was on
	 * the wire): a write without FUA may be gone, and a read showed the
	 * medium before the loss. */
	bool before_loss = c->submit_ns < wl->power_loss_ns;

	if (c->kind == K_WRITE) {
		shadow_written(wl, c, before_loss && !c->fua);
		wl->env->bytes += (uint64_t)c->nblk * BLOCK;
	} else if (c->kind == K_READ && before_loss) {
		wl->env->bytes += (uint64_t)c->nblk * BLOCK;
	} else if (c->kind == K_READ) {
		read_check(wl, c);
		wl->env->bytes += (uint64_t)c->nblk * BLOCK;
	} else if (c->kind == K_MODESEL) {
		modesel_done(c, true, true);
	} else if (c->kind == K_SYNC) {
		shadow_synced(wl, c->lba, c->nblk, c->submit_ns);
	} else if (is_pr(c)) {
		pr_cmd_end(c, NX_SCN_PR_GOOD);
	}
	cmd_release(c);
}

/* The lowest free slot below qd, from the busy mask: scanning the
 * slots' busy flags touched a cache line per slot. */
_Static_assert(QD_LIMIT <= 32, "busy_mask has a bit per slot");

static struct cmd *cmd_slot(struct ini *in)
{
	uint32_t free = ~in->busy_mask;

	if (in->qd < 32)
		free &= (1u << in->qd) - 1;
	return free != 0 ? &in->cmds[__builtin_ctz(free)] : NULL;
}

static void cmd_busy(struct cmd *c, bool busy)
{
	uint32_t bit = 1u << c->slot;

	c->busy = busy;
	if (busy)
		c->ini->busy_mask |= bit;
	else
		c->ini->busy_mask &= ~bit;
}

void wl_cmd_submit(struct ini *in, struct cmd *c)
{
	int rc;

	c->req.lun = nx_ini_lun(0);
	c->req.attr = NX_INI_ATTR_SIMPLE;
	c->req.done = cmd_done;
	c->req.priv = c;
	c->ini = in;
	cmd_busy(c, true);
	c->limbo = false;
	c->submit_ns = nx_sim_now(in->wl->sim);
	if (in->outstanding == 0 && !in->ctl_busy)
		in->last_progress_ns = c->submit_ns;
	in->outstanding++;
	rc = ini_submit(in, &c->req);
	if (rc != 0)
		nx_scn_fail(in->wl->env, "initiator %u: submit %s: %d", in->idx,
			    wl_cdb_name(c), rc);
}

/* Every field of the request is set, as a memset of it would leave it,
 * except the CDB bytes past 16 (read only when cdb_len > 16) and the
 * sense bytes (read only up to sense_len): the 608-byte memset was a
 * visible part of each command's cost. */
static void rw_setup(struct cmd *c, bool write, bool stream)
{
	struct nx_ini_scsi *r = &c->req;

	c->kind = write ? K_WRITE : K_READ;
	memset(r->cdb, 0, 16);
	r->cdb[0] = write ? 0x2a : 0x28;
	if (write && c->fua)
		r->cdb[1] = 0x08; /* FUA */
	nx_put_be32(r->cdb + 2, (uint32_t)c->lba);
	nx_put_be16(r->cdb + 7, (uint16_t)c->nblk);
	r->cdb_len = 10;
	r->lun = 0;
	r->attr = 0;
	r->data_out = write && !stream ? c->buf : NULL;
	r->data_out_len = write ? c->nblk * BLOCK : 0;
	r->data_in = write ? NULL : c->buf;
	r->data_in_len = write ? 0 : c->nblk * BLOCK;
	r->data_in_sink = write ? NULL : read_sink;
	r->data_out_source = write && stream ? write_source : NULL;
	r->data_out_fill = write && stream ? write_fill : NULL;
	r->err = 0;
	r->response = r->status = r->flags = r->reject_reason = 0;
	r->residual = r->bidi_residual = r->data_in_got = 0;
	r->sense_len = 0;
	r->itt = r->cmdsn = 0;
	r->sent = false;
	r->done = NULL;
	r->priv = NULL;
}

/* Sizes: mostly small, sometimes up to blocks_max (R2T, multi-PDU). */
static uint32_t pick_blocks(struct ini *in)
{
	uint32_t max = in->wl->o.blocks_max;

	if (in->wl->o.blocks_fixed != 0)
		return in->wl->o.blocks_fixed;
	if (nx_rng_chance(&in->rng, 1, 8))
		return (uint32_t)nx_rng_range(&in->rng, 1, max);
	return (uint32_t)nx_rng_range(&in->rng, 1, NX_MIN(max, 16u));
}

/* The first LBA of n blocks inside the region: one draw, on a multiple
 * of o.align_blocks when that is above 1. */
static uint64_t pick_lba(struct ini *in, uint32_t n)
{
	const struct wl *wl = in->wl;
	uint32_t a = wl->o.align_blocks;

	if (a <= 1)
		return nx_rng_below(&in->rng, wl->region - n + 1);
	return a * nx_rng_below(&in->rng, (wl->region - n) / a + 1);
}

static bool issue_rw(struct ini *in, struct cmd *c, bool write)
{
	struct wl *wl = in->wl;
	bool stream = !wl_over_iser(wl); /* iSCSI over sim TCP */

	for (unsigned t = 0; t < PICK_TRIES; t++) {
		uint32_t n = pick_blocks(in);
		uint64_t lba = pick_lba(in, n);

		if (!range_free(wl, lba, n, write))
			continue;
		c->lba = lba;
		c->nblk = n;
		c->fua = write && nx_rng_below(&in->rng, 100) < in->fua_pct;
		range_lock(wl, lba, n, write, true);
		rw_setup(c, write, stream);
		if (!write)
			nx_scn_rx_reset(&c->rx, n);
		else
			c->tag = ((uint64_t)(in->idx + 1) << 56) | ++wl->wseq;
		if (write && !stream)
			nx_scn_blocks_fill(c->buf, c->tag, lba, n);
		wl_cmd_submit(in, c);
		return true;
	}
	return false; /* everything tried was busy: try later */
}

/* SYNCHRONIZE CACHE(10), IMMED=0 (IMMED=1 promises nothing about the
 * medium): the whole LU or a range. */
static void issue_sync(struct ini *in, struct cmd *c)
{
	memset(&c->req, 0, sizeof(c->req));
	c->kind = K_SYNC;
	c->fua = false;
	c->lba = 0;
	c->nblk = 0;
	if (nx_rng_chance(&in->rng, 1, 2)) {
		c->nblk = pick_blocks(in);
		c->lba = pick_lba(in, c->nblk);
	}
	c->req.cdb[0] = 0x35;
	nx_put_be32(c->req.cdb + 2, (uint32_t)c->lba);
	nx_put_be16(c->req.cdb + 7, (uint16_t)c->nblk);
	c->req.cdb_len = 10;
	wl_cmd_submit(in, c);
}

static void issue_tur(struct ini *in, struct cmd *c)
{
	memset(&c->req, 0, sizeof(c->req));
	c->kind = K_TUR;
	c->req.cdb_len = 6;
	wl_cmd_submit(in, c);
}

/* ---- the issue loop ------------------------------------------------------------------ */

/* True if something was submitted. */
static bool issue_one(struct ini *in)
{
	struct cmd *c = cmd_slot(in);
	uint64_t r;

	if (in->down)
		return false;
	if (ini_dead(in)) {
		wl_ini_lost(in);
		return false;
	}
	if (in->recover && !in->tmf_out) {
		in->recover = false;
		nx_log(NX_LOG_INFO, "scn: ini%u ABORT TASK SET (recovery)", in->idx);
		wl_tmf_submit(in, NX_INI_TMF_ABORT_TASK_SET, NULL);
		return true;
	}
	/* bounded work (o.events_max): stop issuing, drain as at the end */
	if (in->wl->o.events_max != 0 &&
	    nx_sim_events_run(in->wl->sim) > in->wl->o.events_max)
		in->wl->stopping = true;
	if (c == NULL || in->wl->stopping)
		return false;
	if (in->wl->o.control && !in->ctl_busy && !in->tmf_out &&
	    nx_rng_below(&in->rng, 1000000) < in->ctl_ppm) {
		wl_issue_control(in, c);
		return true;
	}
	r = nx_rng_below(&in->rng, in->w_read + in->w_write + in->w_tur +
			 in->w_sync);
	if (r < in->w_read)
		return issue_rw(in, c, false);
	if (r < in->w_read + in->w_write)
		return issue_rw(in, c, true);
	if (r < in->w_read + in->w_write + in->w_tur)
		issue_tur(in, c);
	else
		issue_sync(in, c);
	return true;
}

static void issue_event(void *arg)
{
	struct ini *in = arg;

	in->issue_ev = NX_SIM_EVENT_NONE;
	in->stalled = !issue_one(in);
	wl_issue_schedule(in);
}

/* At most one issue event per initiator.  After a round that found
 * nothing to do (every range tried was locked) the next one waits at
 * least BACKOFF_NS: locks only go away as virtual time passes.  Closed
 * loop (io.c), no think time: the completion that frees a slot sends
 * the next command itself, as fio's or iscsi-perf's reaping loop does
 * (its segment then also carries the ACK of what just arrived). */
void wl_issue_schedule(struct ini *in)
{
	for (;;) {
		bool want = !in->down &&
			    ((in->recover && !in->tmf_out) ||
			     (!in->wl->stopping && in->outstanding < in->qd));
		uint64_t delay;

		if (!want || in->issue_ev != NX_SIM_EVENT_NONE || in->issuing)
			return;
		delay = nx_rng_range(&in->rng, 0, in->think_max_ns);
		if (in->stalled && delay < BACKOFF_NS)
			delay = BACKOFF_NS;
		if (delay != 0 || !in->wl->o.closed_loop) {
			in->issue_ev = nx_sim_schedule(in->wl->sim, delay,
						       issue_event, in);
			nx_assert(in->issue_ev != NX_SIM_EVENT_NONE);
			return;
		}
		in->issuing = true;
		in->stalled = !issue_one(in);
		in->issuing = false;
	}
}

/* ---- recovery ---------------------------------------------------------------------- */

/* After the re-login: the old session's tasks are gone, so the commands
 * that died with the connection are settled as "maybe ran". */
static void limbo_release(struct ini *in)
{
	for (unsigned i = 0; i < QD_LIMIT; i++) {
		struct cmd *c = &in->cmds[i];

		if (!c->busy)
			continue;
		if (!c->limbo)
			nx_scn_fail(in->wl->env, "initiator %u: %s itt 0x%x neither "
				    "completed nor failed when its connection was "
				    "freed", in->idx, wl_cdb_name(c), c->req.itt);
		if (c->kind == K_WRITE)
			shadow_written(in->wl, c, true);
		if (c->kind == K_MODESEL)
			modesel_done(c, false, true);
		if (is_pr(c))
			pr_cmd_end(c, NX_SCN_PR_UNKNOWN);
		c->limbo = false;
		cmd_release(c);
	}
}

/* SRP: a new channel of the I_T nexus answers nothing before the old
 * channel's nexus is gone, its tasks aborted and out of the backstore
 * (transports/srp/target.c, "held"); the login itself promises nothing
 * about them.  So the first answer on the new channel is when the
 * commands that died with the old one are settled: a TEST UNIT READY
 * (its UAs received as they come).  False if the channel died first. */
static bool srp_barrier(struct wl *wl, struct ini *in)
{
	static const uint8_t tur[6] = { 0 };
	struct nx_ini_scsi req, *r = &req; /* the slots may be in limbo */
	uint8_t key = 0, asc = 0, ascq = 0;

	for (unsigned tries = 0; tries < UA_KINDS + 2; tries++) {
		uint64_t s = nx_sim_now(wl->sim);

		if (nx_sim_srp_ini_sync_scsi(in->pi, &wl->drv, 0, tur, 6,
					     NX_INI_DIR_NONE, NULL, 0, r) != 0)
			return false;
		wl->env->cmds++;
		if (r->status == NX_STATUS_GOOD)
			return true;
		nx_scn_sense_decode(r->sense, r->sense_len, &key, &asc, &ascq);
		if (r->status != NX_STATUS_CHECK_CONDITION || key != 0x06)
			break;
		wl_ua_receive(in, asc, ascq, s);
	}
	nx_scn_fail(wl->env, "initiator %u: TEST UNIT READY after the SRP "
		    "re-login: status 0x%02x sense %X/%02Xh/%02Xh", in->idx,
		    r->status, key, asc, ascq);
}

static void relogin(struct wl *wl, struct ini *in)
{
	unsigned tries = 0;

	nx_log(NX_LOG_INFO, "scn: ini%u logs in again", in->idx);
	wl_ini_free(in); /* fails what is outstanding: limbo */
	nx_ini_session_free(in->sess);
	in->sess = NULL;
	while (!wl_ini_try_login(wl, in) ||
	       (wl_over_srp(wl) && !srp_barrier(wl, in))) {
		wl_ini_free(in); /* NULL if the login failed */
		if (++tries == RELOGIN_TRIES)
			nx_scn_fail(wl->env, "initiator %u: no login possible "
				    "for %u tries after a fault", in->idx, tries);
		nx_sim_run_for(wl->sim, RELOGIN_BACKOFF_NS);
	}
	in->recover = false; /* the new session has no old tasks */
	in->ctl_busy = false;
	in->tmf_out = false;
	limbo_release(in);
	in->down = in->need_relogin = false;
	wl->env->reconnects++;
	wl_pr_check_hook(wl, "after re-login");
	wl_issue_schedule(in);
}

/* A connection with work outstanding and no answer for WATCHDOG_NS is
 * dropped (an initiator's NOP-Out timeout), but only if a fault can
 * explain the silence; otherwise a task was lost. */
static void watchdog(struct wl *wl)
{
	uint64_t now = nx_sim_now(wl->sim);

	for (unsigned i = 0; i < wl->o.initiators; i++) {
		struct ini *in = &wl->ini[i];

		if (in->down || (in->outstanding == 0 && !in->ctl_busy &&
				  !in->tmf_out) ||
		    now - in->last_progress_ns < WATCHDOG_NS)
			continue;
		if (wl->faults_total == 0 || wl->fault_end_ns < in->last_progress_ns)
			nx_scn_fail(wl->env, "initiator %u: no answer for %llu ns "
				    "to %u commands%s and no fault to explain it: "
				    "task lost", i,
				    (unsigned long long)(now - in->last_progress_ns),
				    in->outstanding, in->ctl_busy ? " + a TMF" : "");
		nx_log(NX_LOG_INFO, "scn: ini%u watchdog: no answer for %llu ns",
		       i, (unsigned long long)(now - in->last_progress_ns));
		wl->env->watchdogs++;
		wl_ini_drop(in);
		wl_ini_lost(in);
	}
}

static bool attention(void *arg)
{
	struct wl *wl = arg;

	if (wl->relogin_maybe) {
		for (unsigned i = 0; i < wl->o.initiators; i++)
			if (wl->ini[i].need_relogin)
				return true;
		wl->relogin_maybe = false;
	}
	return wl->stopping && wl_quiet(arg);
}

/* Runs to at_ns or until an initiator needs a re-login (done at this
 * level, outside any event: a login is a blocking sync call). */
static void run_slice(struct wl *wl, uint64_t at_ns)
{
	if (!nx_sim_run_until(wl->sim, attention, wl, at_ns) &&
	    nx_sim_now(wl->sim) < at_ns)
		nx_sim_run_to(wl->sim, at_ns);
	for (unsigned i = 0; i < wl->o.initiators; i++)
		if (wl->ini[i].need_relogin)
			relogin(wl, &wl->ini[i]);
	if (wl->o.faults)
		watchdog(wl);
}

static void run_workload(struct wl *wl, uint64_t end)
{
	if (wl->o.faults)
		wl_fault_schedule_next(wl);
	while (nx_sim_now(wl->sim) < end && !wl->stopping) {
		uint64_t t = NX_MIN(end, nx_sim_now(wl->sim) + SLICE_NS);

		if (wl->o.faults && wl->next_fault_ns < t)
			t = NX_MAX(wl->next_fault_ns, nx_sim_now(wl->sim));
		run_slice(wl, t);
		if (wl->o.faults && nx_sim_now(wl->sim) >= wl->next_fault_ns &&
		    nx_sim_now(wl->sim) < end) {
			wl_fault_inject(wl);
			wl_fault_schedule_next(wl);
		}
	}
}

static void drain(struct wl *wl)
{
	uint64_t deadline = nx_sim_now(wl->sim) + DRAIN_NS;

	wl->stopping = true;
	wl_heal_all(wl);
	while (!wl_quiet(wl)) {
		if (nx_sim_now(wl->sim) >= deadline)
			wl_report_lost(wl);
		run_slice(wl, NX_MIN(deadline, nx_sim_now(wl->sim) + SLICE_NS));
	}
}

static void teardown(struct wl *wl)
{
	for (unsigned i = 0; i < wl->o.initiators; i++) {
		struct ini *in = &wl->ini[i];
		uint8_t response = 0xff;
		int rc = 0;

		if (in->pi != NULL) { /* SRP 6.5: SRP_I_LOGOUT has no answer */
			rc = nx_sim_srp_ini_sync_logout(in->pi, &wl->drv);
			response = 0;
		} else
			rc = nx_ini_sync_logout(wl_ini_conn(in), &wl->drv,
						NX_INI_LOGOUT_SESSION, &response);

		if (rc != 0 || response != 0)
			nx_scn_fail(wl->env, "initiator %u: logout: %d response %u",
				    i, rc, response);
		wl_ini_free(in);
		nx_ini_session_free(in->sess);
		for (unsigned k = 0; k < QD_LIMIT; k++) {
			free(in->cmds[k].buf);
			free(in->cmds[k].rx.tag);
		}
		free(in->wgen);
	}
	if (wl->env->fabric != NULL)
		nx_sim_rdma_set_tap(wl->env->fabric, NULL, NULL);
	wl_target_stop(wl, "teardown");
	nx_target_free(wl->tgt);
	free(wl->blk);
	free(wl->alt);
	free(wl->fresh);
	free(wl->lock);
}

void nx_scn_workload(struct nx_scn_env *env, const struct nx_scn_workload_opts *o)
{
	/* struct cmd is cache-line aligned (wl_internal.h) */
	size_t wl_size = (sizeof(struct wl) + 63) & ~(size_t)63;
	struct wl *wl = aligned_alloc(64, wl_size);
	uint8_t tur[6] = { 0 };

	nx_assert(wl != NULL);
	memset(wl, 0, sizeof(*wl));
	nx_assert(o->initiators >= 1 && o->initiators <= INI_MAX);
	nx_assert(o->qd_max >= 1 && o->qd_max <= QD_LIMIT);
	nx_assert(o->blocks_max >= 1 && o->blocks_max <= BLOCKS_LIMIT);
	nx_assert(o->blocks_fixed <= o->blocks_max);
	wl->env = env;
	wl->o = *o;
	env->faults_used = o->faults;
	nx_rng_fork(nx_sim_rng(env->sim), "faults", 0, &wl->frng);
	wl->sim = env->sim;
	nx_rng_fork(nx_sim_rng(env->sim), "workload", 0, &wl->rng);
	nx_sim_driver_init(&wl->drv, wl->sim, SYNC_STEPS);
	wl->blocks = o->lu_bytes / BLOCK;
	wl->region = nx_rng_range(&wl->rng, NX_MIN(wl->blocks, 4 * BLOCKS_LIMIT),
				  wl->blocks);
	wl->blk = calloc(wl->blocks, sizeof(*wl->blk));
	wl->alt = calloc(wl->blocks, sizeof(*wl->alt));
	wl->fresh = calloc(wl->blocks, sizeof(*wl->fresh));
	wl->lock = calloc((wl->blocks + 7) / 8, 16);
	wl->tas = nx_rng_chance(&wl->rng, 1, 2);
	nx_assert(wl->blk != NULL && wl->alt != NULL && wl->fresh != NULL &&
		  wl->lock != NULL);
	wl_setup_target(wl);
	for (unsigned i = 0; i < o->initiators; i++)
		wl_setup_ini(wl, &wl->ini[i], i);
	if (env->fabric != NULL && (o->faults & (1u << NX_SCN_FAULT_RESET)))
		nx_sim_rdma_set_tap(env->fabric, wl_trap_tap, wl);
	nx_log(NX_LOG_INFO, "scn: region=%llu blocks tas=%d",
	       (unsigned long long)wl->region, wl->tas);
	wl_ini_login(wl, &wl->ini[0]);
	if (o->control) {
		wl_setup_tas(wl, &wl->ini[0]);
		wl_mode_sense_page(wl, &wl->ini[0], 0x1c, wl->iec_page,
				sizeof(wl->iec_page));
	}
	for (unsigned i = 1; i < o->initiators; i++)
		wl_ini_login(wl, &wl->ini[i]);

	uint64_t end = nx_sim_now(wl->sim) + env->duration_ns;
	for (unsigned i = 0; i < o->initiators; i++)
		wl_issue_schedule(&wl->ini[i]);
	run_workload(wl, end);
	drain(wl);
	for (unsigned i = 0; i < o->initiators; i++) {
		/* Collect what is still pending, then check nothing is owed. */
		wl_sync_cmd_ua(wl, &wl->ini[i], tur, 6, NX_INI_DIR_NONE, NULL, 0);
		ua_final_check(&wl->ini[i]);
	}
	wl_final_verify(wl);
	wl_durable_check(wl, "at the end", false);
	wl_pr_check_hook(wl, "at the end");
	teardown(wl);
	free(wl);
}
