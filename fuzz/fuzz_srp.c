/*
 * fuzz_srp.c - the SRP target port (transports/srp: SRP r16a) through
 * the simulated RDMA fabric: the SRP_LOGIN_REQ in the CM REQ's private
 * data (the RDMA/CM layout: IU length, buffer formats, port identifiers,
 * MULTI-CHANNEL ACTION; 5.3, 6.2-6.4), then the IUs an initiator SENDs
 * (SRP_CMD with direct and indirect data buffer descriptors, inline or
 * in a table the target fetches by RDMA READ, 6.8; SRP_TSK_MGMT, 6.7;
 * SRP_I_LOGOUT, 6.5; SRP_CRED_RSP / SRP_AER_RSP, 6.12-6.13; any other
 * type, truncated IUs, IUs beyond the login's length), credit exhaustion
 * (5.5), up to CHANS_MAX channels (several of one I_T nexus: the
 * single-channel action logs the old one out), and the fabric's
 * failures: receive buffers that run out (RNR), a SEND larger than the
 * target's buffers, remote access errors (a key that names nothing, a
 * read-only region, a deregistered one), the QP breaking, disconnects,
 * and virtual time passing.
 *
 * The harness is a raw RDMA initiator (PD, MRs of its own, a CQ and QP
 * per channel) on a second simulated device of a fresh fabric per input
 * (fuzz_plat_sim.c: virtual clock, FZ_SEED); the target is
 * transports/srp behind sim/srp_glue.c with LU 0 RAM (512-byte blocks)
 * and LU 1 null.  The fields a fuzzer cannot guess are filled by the
 * harness when a record asks: the keys and addresses of its registered
 * regions in memory descriptors, an indirect table written where the
 * table descriptor points, fresh tags, the target port identifier.
 * Without the flag the raw values go out.
 *
 * Invariants: every IU the target sends decodes with the SRP IU decoder
 * and is one a target may send (SRP_RSP, SRP_CRED_REQ, SRP_AER_REQ,
 * SRP_T_LOGOUT) within NX_SRP_MAX_TI_IU; the login answer decodes
 * (SRP_LOGIN_RSP in the REP, SRP_LOGIN_REJ in a REJ, echoing our tag);
 * every SRP_RSP answers a request we sent and still wait for (command or
 * TMF, by its tag and RSPVALID: no request answered twice); the credits
 * the target grants never put the initiator over NX_SRP_CREDITS; after
 * the last record, with time drained (FORMAT UNIT, SANITIZE end from
 * timers), every request of a channel still up has been answered and
 * every credit is back, unless something may have aborted tasks (a TMF,
 * PERSISTENT RESERVE OUT, MODE SELECT's QErr): SAM-5 sends no response
 * for an aborted task; after the harness disconnects, every channel is
 * released, the target port drains, every RDMA object is freed
 * (nx_sim_rdma_live() == 0) and no nx_alloc() is left.
 *
 * Input:  byte 0  config: bit 0 fail 1 in 1000 requester completions
 *                 (cqe_error_ppb), bit 1 start with receive queues
 *                 starved, bit 2 do not answer SRP_CRED_REQ by itself
 *         then records separated by FZ_SEP; byte 0 bits 2..0 kind, bit
 *         6 no time passes after the record (the next one goes out at
 *         the same instant: a TMF among the commands it aborts), the
 *         channel of kinds 1-4, 6, 7 is byte 1 bits 1..0 (modulo the
 *         channels logged in so far); else 1 ms passes:
 *           kind 0  login (a new channel, at most CHANS_MAX): byte 1
 *                   bits 1..0 initiator port (fe 00.. 00 0n), bit 2
 *                   a wrong target port, bit 3 raw: bytes 2.. are the
 *                   CM private data, bit 4 the IU length is bytes 4..5
 *                   (else 4096); byte 2 MULTI-CHANNEL ACTION byte, byte
 *                   3 REQUIRED BUFFER FORMATS (low byte; absent: 06h)
 *           kind 1  SRP_CMD: byte 1 bit 2 a fresh tag (else the last
 *                   one again), bit 3 keep the record's CDB length (an
 *                   additional CDB), bit 4 no harness fixes (the bytes
 *                   after byte 1 are the IU); byte 2 DATA-OUT/DATA-IN
 *                   formats (raw nibbles); byte 3 bits 2..0 LUN
 *                   (fz_pick_lun), bits 5..3 task attribute; bytes 4..7
 *                   data-out buffer, 8..11 data-in buffer: [0] bits 1..0
 *                   key: 0 the data region, 1 the read-only region, 2 a
 *                   key that names nothing, 3 zero key and address,
 *                   bits 7..2 offset x 2 KiB; [1] length x 512; [2] bits
 *                   3..0 descriptors of an indirect table, bits 7..4 how
 *                   many are inline; [3] bit 0 TOTAL LENGTH 512 too big,
 *                   bit 1 the table's key names nothing, bit 2 table
 *                   length not a multiple of 16; bytes 12..27 the CDB
 *                   (with bit 3: + the additional CDB, the record's
 *                   length rounded down to 4 bytes), then the data-out:
 *                   written to the data region at the data-out offset
 *           kind 2  SRP_TSK_MGMT: byte 1 bit 2 a fresh tag, bit 3 the
 *                   task tag is the channel's last command's (else bytes
 *                   4..11); byte 2 function (raw), byte 3 LUN selector
 *           kind 3  a raw IU: byte 1 bit 2 a fresh tag in bytes 8..15;
 *                   bytes 2.. the IU
 *           kind 4  SRP_I_LOGOUT
 *           kind 5  time passes: byte 1 x 10 ms (bit 7 of byte 0: x 1 s)
 *           kind 6  fabric: byte 2: 0 DREQ, 1 the QP breaks (also
 *                   while logging in), 2 starve the
 *                   receive queue, 3 post every receive buffer again, 4
 *                   deregister the data region, 5 register it again (new
 *                   key), 6 a SEND beyond the target's buffers, 7 burst:
 *                   the channel's last SRP_CMD again byte 3 times with
 *                   fresh tags (credit exhaustion)
 *           kind 7  SRP_CRED_RSP (byte 2 bit 0: SRP_AER_RSP); byte 2 bit
 *                   1: tag from bytes 3..10, else the last SRP_CRED_REQ's
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_plat_sim.h"
#include "sim/nx_sim_srp.h"

#define RECORDS_MAX 32
#define CHANS_MAX 4
#define IP_T 0x0a000001u
#define IP_I 0x0a000002u
#define PORT NX_SIM_SRP_PORT
#define MS 1000000ull
#define SEC 1000000000ull
#define RX_BUFS 160u                     /* > NX_SRP_CREDITS + CRED_REQs */
#define RX_LEN NX_SRP_MAX_TI_IU          /* a longer SEND fails here */
#define TX_BUFS 256u
#define TX_LEN (NX_SRP_MAX_IT_IU + 512u) /* room for an oversize SEND */
#define REQS_MAX 1024u                   /* requests tracked per channel */
#define DATA_LEN (256u << 10)
#define RO_LEN (16u << 10)
#define TABLES 16u                       /* indirect table slots */
#define TABLE_SLOT (16u * NX_SRP_DESC_LEN + 64u)
#define CQ_DEPTH (RX_BUFS + TX_BUFS + 16u)
#define IU_MAX 1024u

static const uint8_t TPORT[NX_SRP_PORT_ID_LEN] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x4e, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

enum { WR_RX = 1, WR_TX = 2 };

struct sreq {
	uint64_t tag;
	bool tmf;
};

struct sw;

struct fch {
	struct sw *w;
	unsigned idx;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	struct nx_rdma_cm_id *id;
	struct nx_rdma_mr *rx_mr, *tx_mr;
	uint8_t *rx, *tx;
	bool rx_posted[RX_BUFS];
	bool tx_busy[TX_BUFS];
	unsigned outstanding;
	bool starve;
	bool established, ended, dreq_sent, broken, t_logout, i_logout;
	int64_t lim;                /* credits held: granted - sent */
	struct sreq reqs[REQS_MAX];
	unsigned nreqs;
	uint64_t login_tag, last_tag, treq_tag;
	uint8_t last_cmd[IU_MAX];
	size_t last_cmd_len;
};

struct sw {
	struct nx_sim_rdma *f;
	struct nx_rdma_dev *tdev, *idev;
	struct nx_target *tgt;
	struct nx_sim_srp_target *st;
	struct nx_rdma_pd *pd;
	struct nx_rdma_mr *data_mr, *ro_mr, *tab_mr;
	uint8_t *data, *ro, *tab;
	unsigned tab_next;
	struct fch *ch[CHANS_MAX];
	unsigned nch;
	bool start_starved, no_auto_cred;
	bool aborts_possible;       /* a task may end without a response */
	uint64_t tag;
	/* what the run reached (FZ_DEBUG) */
	unsigned rsps, good, tmf_rsps, cred_reqs, t_logouts, logins, rejects;
	uint64_t rdma_writes, rdma_reads;
	bool debug;
};

/* ---- what the target sends ------------------------------------------------ */

static void post_send(struct fch *c, const uint8_t *msg, size_t len,
		      bool request);

static void credits_granted(struct fch *c, uint32_t delta, const char *what)
{
	c->lim += delta;
	/* SRP 5.5: the target grants no more than its REQUEST LIMIT. */
	if (c->lim > (int64_t)NX_SRP_CREDITS)
		fz_fail("channel %u: %s grants %u credits: %lld held > %u",
			c->idx, what, delta, (long long)c->lim, NX_SRP_CREDITS);
}

static void rsp_rx(struct fch *c, const uint8_t *m, uint32_t len)
{
	struct nx_srp_rsp r;
	bool tmf;
	unsigned i;

	if (nx_srp_rsp_decode(m, len, &r) != NX_OK)
		fz_fail("channel %u: malformed SRP_RSP (%u bytes)", c->idx, len);
	tmf = (r.flags & NX_SRP_RSPVALID) != 0;
	for (i = 0; i < c->nreqs; i++)
		if (c->reqs[i].tag == r.tag && c->reqs[i].tmf == tmf)
			break;
	if (i == c->nreqs)
		fz_fail("channel %u: SRP_RSP (%s) for tag %llx that no request "
			"awaits", c->idx, tmf ? "TMF" : "command",
			(unsigned long long)r.tag);
	c->reqs[i] = c->reqs[--c->nreqs];
	if (r.sense_len > NX_SENSE_MAX)
		fz_fail("SRP_RSP with %u bytes of sense", r.sense_len);
	credits_granted(c, r.req_lim_delta, "SRP_RSP");
	c->w->rsps++;
	c->w->tmf_rsps += tmf;
	c->w->good += !tmf && r.status == NX_STATUS_GOOD;
	if (c->w->debug)
		fprintf(stderr, "fz: ch %u SRP_RSP tag %llx flags %02x status "
			"%02x code %u sense %u delta %u\n", c->idx,
			(unsigned long long)r.tag, r.flags, r.status,
			r.rsp_code, r.sense_len, r.req_lim_delta);
}

static void treq_rx(struct fch *c, const uint8_t *m, uint32_t len)
{
	struct nx_srp_treq r;
	uint8_t iu[NX_SRP_CRED_LEN];

	if (nx_srp_treq_decode(m, len, &r) != NX_OK)
		fz_fail("channel %u: malformed SRP_CRED/AER_REQ", c->idx);
	credits_granted(c, r.req_lim_delta, "SRP_CRED_REQ");
	c->treq_tag = r.tag;
	c->w->cred_reqs++;
	if (c->w->no_auto_cred)
		return;
	post_send(c, iu, nx_srp_tresp_encode(r.type == NX_SRP_CRED_REQ
					     ? NX_SRP_CRED_RSP : NX_SRP_AER_RSP,
					     r.tag, iu), false);
}

static void check_iu(struct fch *c, const uint8_t *m, uint32_t len)
{
	struct nx_srp_logout lo;

	if (len == 0)
		fz_fail("channel %u: empty SEND from the target", c->idx);
	switch (m[0]) {
	case NX_SRP_RSP:
		rsp_rx(c, m, len);
		break;
	case NX_SRP_CRED_REQ:
	case NX_SRP_AER_REQ:
		treq_rx(c, m, len);
		break;
	case NX_SRP_T_LOGOUT:
		if (nx_srp_logout_decode(m, len, &lo) != NX_OK)
			fz_fail("channel %u: malformed SRP_T_LOGOUT", c->idx);
		c->t_logout = true;
		c->w->t_logouts++;
		if (c->w->debug)
			fprintf(stderr, "fz: ch %u SRP_T_LOGOUT reason %u\n",
				c->idx, lo.reason);
		break;
	default:
		fz_fail("channel %u: the target sent IU type %02x", c->idx, m[0]);
	}
}

/* ---- the harness's channels ------------------------------------------------- */

static int post_rx(struct fch *c, uint32_t i)
{
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(c->rx_mr) +
				   (uint64_t)i * RX_LEN, RX_LEN,
				   nx_rdma_mr_lkey(c->rx_mr) };
	struct nx_rdma_recv_wr wr = { (uint64_t)WR_RX << 32 | i, &sge, 1 };
	int rc = nx_rdma_post_recv(c->qp, &wr);

	if (rc == NX_OK) {
		c->rx_posted[i] = true;
		c->outstanding++;
	}
	return rc;
}

static void repost_all(struct fch *c)
{
	for (uint32_t i = 0; i < RX_BUFS && c->established && !c->ended; i++)
		if (!c->rx_posted[i] && post_rx(c, i) != NX_OK)
			break;
}

static void handle_wc(struct fch *c, const struct nx_rdma_wc *wc)
{
	uint32_t kind = (uint32_t)(wc->wr_id >> 32), i = (uint32_t)wc->wr_id;

	fz_check(c->outstanding > 0);
	c->outstanding--;
	if (wc->status != NX_RDMA_WC_SUCCESS)
		c->broken = true;   /* a request may never have arrived */
	if (kind == WR_TX) {
		fz_check(i < TX_BUFS && c->tx_busy[i]);
		c->tx_busy[i] = false;
		return;
	}
	fz_check(kind == WR_RX && i < RX_BUFS && c->rx_posted[i]);
	c->rx_posted[i] = false;
	if (wc->status == NX_RDMA_WC_LOC_LEN_ERR)
		fz_fail("the target sent an IU beyond NX_SRP_MAX_TI_IU");
	if (wc->status != NX_RDMA_WC_SUCCESS)
		return;
	check_iu(c, c->rx + (size_t)i * RX_LEN, wc->byte_len);
	if (!c->starve)
		(void)post_rx(c, i);
}

static void cq_notify(void *arg, struct nx_rdma_cq *cq)
{
	struct fch *c = arg;
	struct nx_rdma_wc wc[16];
	unsigned n;

	do {
		n = nx_rdma_cq_poll(cq, wc, 16);
		for (unsigned i = 0; i < n; i++)
			handle_wc(c, &wc[i]);
	} while (n > 0);
	nx_rdma_cq_arm(cq);
}

static void login_answer(struct fch *c, const struct nx_rdma_cm_event *ev)
{
	struct nx_srp_login_rsp rsp;

	if (ev->private_data == NULL ||
	    nx_srp_login_rsp_decode(ev->private_data, ev->private_data_len,
				    &rsp) != NX_OK)
		fz_fail("channel %u: accepted without an SRP_LOGIN_RSP", c->idx);
	if (rsp.tag != c->login_tag || rsp.max_ti_iu_len > RX_LEN)
		fz_fail("channel %u: SRP_LOGIN_RSP tag %llx max TI IU %u",
			c->idx, (unsigned long long)rsp.tag, rsp.max_ti_iu_len);
	c->established = true;
	c->lim = 0;
	credits_granted(c, rsp.req_lim_delta, "SRP_LOGIN_RSP");
	c->w->logins++;
	repost_all(c);
}

static void login_rejected(struct fch *c, const struct nx_rdma_cm_event *ev)
{
	struct nx_srp_login_rej rej;

	/* A REJ of the target port carries its SRP_LOGIN_REJ (the fabric's
	 * own, for a full device, would carry none). */
	if (ev->private_data != NULL &&
	    (nx_srp_login_rej_decode(ev->private_data, ev->private_data_len,
				     &rej) != NX_OK ||
	     (rej.reason & 0xffff0000u) != 0x00010000u))
		fz_fail("channel %u: a REJ without a valid SRP_LOGIN_REJ", c->idx);
	c->w->rejects++;
}

static void cm_event(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct fch *c = ctx;

	if (ev->type == NX_RDMA_CM_ESTABLISHED && !c->ended) {
		login_answer(c, ev);
		return;
	}
	if (ev->type == NX_RDMA_CM_REJECTED)
		login_rejected(c, ev);
	c->ended = true;
}

/* ---- the world -------------------------------------------------------------- */

static void tap(void *arg, const struct nx_sim_rdma_tap_msg *m)
{
	struct sw *w = arg;

	if (m->src != w->tdev)
		return;
	w->rdma_writes += m->kind == NX_SIM_RDMA_TAP_WRITE;
	w->rdma_reads += m->kind == NX_SIM_RDMA_TAP_READ_REQ;
}

static void sw_open(struct sw *w, uint8_t cfg)
{
	struct nx_srp_target_config tc = { .rtpi = 1 };

	w->f = fz_rdma_fabric_new((cfg & 1) != 0, IP_T, IP_I, &w->tdev,
				  &w->idev);
	nx_sim_rdma_set_tap(w->f, tap, w);
	w->tgt = fz_target_new(FZ_TARGET_NAME, 512, FZ_LU_BYTES, false);
	tc.target = w->tgt;
	memcpy(tc.port_id, TPORT, sizeof(TPORT));
	w->st = nx_sim_srp_target_new(fz_sim(), w->tdev, PORT, &tc);
	fz_check(w->st != NULL);
	w->start_starved = (cfg & 2) != 0;
	w->no_auto_cred = (cfg & 4) != 0;
	w->debug = getenv("FZ_DEBUG") != NULL;
	w->pd = nx_rdma_pd_new(w->idev);
	w->data = calloc(1, DATA_LEN);
	w->ro = calloc(1, RO_LEN);
	w->tab = calloc(TABLES, TABLE_SLOT);
	fz_check(w->pd != NULL && w->data && w->ro && w->tab);
	for (uint32_t i = 0; i < DATA_LEN; i++)
		w->data[i] = (uint8_t)(i * 13 + (i >> 9));
	w->data_mr = fz_rdma_reg(w->pd, w->data, DATA_LEN, FZ_RDMA_ACCESS_RW);
	w->ro_mr = fz_rdma_reg(w->pd, w->ro, RO_LEN,
			       NX_RDMA_ACCESS_REMOTE_READ);
	w->tab_mr = fz_rdma_reg(w->pd, w->tab, (size_t)TABLES * TABLE_SLOT,
				NX_RDMA_ACCESS_REMOTE_READ);
}

static struct fch *ch_new(struct sw *w)
{
	struct fch *c = calloc(1, sizeof(*c));

	fz_check(c != NULL);
	c->w = w;
	c->idx = w->nch;
	c->starve = w->start_starved;
	c->rx = calloc(RX_BUFS, RX_LEN);
	c->tx = calloc(TX_BUFS, TX_LEN);
	fz_check(c->rx != NULL && c->tx != NULL);
	c->rx_mr = fz_rdma_reg(w->pd, c->rx, (size_t)RX_BUFS * RX_LEN,
			       NX_RDMA_ACCESS_LOCAL_WRITE);
	c->tx_mr = fz_rdma_reg(w->pd, c->tx, (size_t)TX_BUFS * TX_LEN, 0);
	c->cq = nx_rdma_cq_new(w->idev, CQ_DEPTH, cq_notify, c);
	fz_check(c->cq != NULL);
	c->qp = fz_rdma_qp_new(w->pd, c->cq, TX_BUFS, RX_BUFS);
	nx_rdma_cq_arm(c->cq);
	w->ch[w->nch++] = c;
	return c;
}

static void ch_free(struct fch *c)
{
	if (c->id != NULL)
		nx_rdma_cm_id_free(c->id);
	nx_rdma_qp_free(c->qp);
	nx_rdma_cq_free(c->cq);
	nx_rdma_dereg_mr(c->rx_mr);
	nx_rdma_dereg_mr(c->tx_mr);
	free(c->rx);
	free(c->tx);
	free(c);
}

/* Up: requests on it are still owed an answer. */
static bool ch_up(const struct fch *c)
{
	return c->established && !c->ended && !c->broken && !c->t_logout &&
	       !c->i_logout && !c->dreq_sent;
}

static bool all_answered(void *arg)
{
	struct sw *w = arg;

	if (nx_sim_events_pending(fz_sim()) == 0)
		return true;        /* nothing can happen any more */
	for (unsigned i = 0; i < w->nch; i++)
		if (ch_up(w->ch[i]) && w->ch[i]->nreqs > 0)
			return false;
	return true;
}

/* After the last record: let the target finish, then every request of a
 * channel still up must have had its SRP_RSP and every credit be back. */
static void check_answered(struct sw *w)
{
	for (unsigned i = 0; i < w->nch; i++) {
		w->ch[i]->starve = false;
		repost_all(w->ch[i]);
	}
	fz_platform_drain(all_answered, w);
	if (w->aborts_possible)
		return;
	for (unsigned i = 0; i < w->nch; i++) {
		struct fch *c = w->ch[i];

		if (!ch_up(c))
			continue;
		if (c->nreqs > 0)
			fz_fail("channel %u: %u requests never answered (tag "
				"%llx)", i, c->nreqs,
				(unsigned long long)c->reqs[0].tag);
		if (c->lim != (int64_t)NX_SRP_CREDITS)
			fz_fail("channel %u: %lld credits back of %u", i,
				(long long)c->lim, NX_SRP_CREDITS);
	}
}

static bool all_quiet(void *arg)
{
	struct sw *w = arg;

	for (unsigned i = 0; i < w->nch; i++)
		if (!w->ch[i]->ended || w->ch[i]->outstanding > 0)
			return false;
	return nx_sim_srp_target_chans(w->st) == 0;
}

static bool none_connecting(void *arg)
{
	struct sw *w = arg;

	for (unsigned i = 0; i < w->nch; i++)
		if (!w->ch[i]->established && !w->ch[i]->ended)
			return false;
	return true;
}

static void sw_close(struct sw *w)
{
	/* a login still on its way (its record let no time pass) is
	 * answered first: only an established channel can be disconnected */
	if (!nx_sim_run_until(fz_sim(), none_connecting, w,
			      nx_sim_now(fz_sim()) + 120 * SEC))
		fz_fail("teardown: a login was never answered");
	for (unsigned i = 0; i < w->nch; i++)
		if (w->ch[i]->established && !w->ch[i]->dreq_sent)
			nx_rdma_cm_disconnect(w->ch[i]->id);
	/* RC teardown: every WR comes back flushed; the target releases a
	 * channel once its WRs are back and its tasks drained */
	if (!nx_sim_run_until(fz_sim(), all_quiet, w,
			      nx_sim_now(fz_sim()) + 120 * SEC)) {
		for (unsigned i = 0; i < w->nch; i++)
			fprintf(stderr, "fz: channel %u: established %d ended "
				"%d broken %d, %u WRs outstanding\n", i,
				w->ch[i]->established, w->ch[i]->ended,
				w->ch[i]->broken, w->ch[i]->outstanding);
		fz_fail("teardown: %u target channels left",
			nx_sim_srp_target_chans(w->st));
	}
	for (unsigned i = 0; i < w->nch; i++)
		ch_free(w->ch[i]);
	if (w->data_mr != NULL)
		nx_rdma_dereg_mr(w->data_mr);
	nx_rdma_dereg_mr(w->ro_mr);
	nx_rdma_dereg_mr(w->tab_mr);
	nx_rdma_pd_free(w->pd);
	if (nx_sim_srp_target_free(w->st, 120 * SEC) != NX_OK)
		fz_fail("the SRP target port did not drain");
	nx_target_free(w->tgt);
	fz_rdma_fabric_end(w->f);
	free(w->data);
	free(w->ro);
	free(w->tab);
}

/* ---- sending ------------------------------------------------------------------ */

static int tx_slot(const struct fch *c)
{
	for (int i = 0; i < (int)TX_BUFS; i++)
		if (!c->tx_busy[i])
			return i;
	return -1;
}

/* One SEND; a request (SRP_CMD, SRP_TSK_MGMT of at least a tag) is
 * remembered as owed an answer and takes a credit. */
static void post_send(struct fch *c, const uint8_t *msg, size_t len,
		      bool request)
{
	int i = tx_slot(c);
	struct nx_rdma_sge sge;
	struct nx_rdma_send_wr wr = { 0 };

	if (i < 0 || len > TX_LEN || !c->established || c->ended ||
	    (request && c->nreqs >= REQS_MAX))
		return;
	memcpy(c->tx + (size_t)i * TX_LEN, msg, len);
	sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(c->tx_mr) +
				    (uint64_t)i * TX_LEN, (uint32_t)len,
				    nx_rdma_mr_lkey(c->tx_mr) };
	wr.wr_id = (uint64_t)WR_TX << 32 | (uint32_t)i;
	wr.opcode = NX_RDMA_WR_SEND;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	if (nx_rdma_post_send(c->qp, &wr) != NX_OK)
		return;
	c->tx_busy[i] = true;
	c->outstanding++;
	if (!request)
		return;
	c->reqs[c->nreqs].tag = nx_get_be64(msg + 8);
	c->reqs[c->nreqs].tmf = msg[0] == NX_SRP_TSK_MGMT;
	c->nreqs++;
	c->lim--;
}

/* A raw IU the target counts as a request: SRP_CMD / SRP_TSK_MGMT with
 * a tag (shorter ones end the channel).  Those that may abort tasks
 * (SAM-5 7, SPC-4 5.9.11 PREEMPT AND ABORT, QErr of the control mode
 * page set by MODE SELECT) make missing answers legitimate. */
static bool note_request(struct sw *w, const uint8_t *iu, size_t len)
{
	uint8_t op;

	if (len < 16 || (iu[0] != NX_SRP_CMD && iu[0] != NX_SRP_TSK_MGMT))
		return false;
	op = len > 32 ? iu[32] : 0;
	if (iu[0] == NX_SRP_TSK_MGMT || op == 0x5f || op == 0x15 || op == 0x55)
		w->aborts_possible = true;
	return true;
}

static void send_iu(struct fch *c, const uint8_t *iu, size_t len)
{
	post_send(c, iu, len, note_request(c->w, iu, len));
}

static struct fch *pick(struct sw *w, const uint8_t *d, size_t n)
{
	if (w->nch == 0)
		return NULL;
	return w->ch[(n > 1 ? d[1] & 3 : 0) % w->nch];
}

static uint8_t at(const uint8_t *d, size_t n, size_t i)
{
	return i < n ? d[i] : 0;
}

/* ---- records: login ------------------------------------------------------------- */

static void rec_login(struct sw *w, const uint8_t *d, size_t n)
{
	uint8_t priv[NX_RDMA_CONN_PRIV_MAX];
	uint8_t fl = at(d, n, 1);
	size_t len = NX_SRP_LOGIN_REQ_CM_LEN;
	struct fch *c;

	if (w->nch >= CHANS_MAX)
		return;
	c = ch_new(w);
	if (fl & 8) {
		len = NX_MIN(n - NX_MIN(n, 2), sizeof(priv));
		memcpy(priv, d + 2, len);
	} else {
		struct nx_srp_login_req r = { .tag = 0x1000u + c->idx };

		r.req_it_iu_len = fl & 16 ? nx_get_be16((const uint8_t[]){
						at(d, n, 4), at(d, n, 5) })
					  : NX_SRP_MAX_IT_IU;
		r.req_buf_fmt = n > 3 ? d[3] : NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD;
		r.iport[0] = 0xfe;
		r.iport[15] = (uint8_t)(1 + (fl & 3));
		memcpy(r.tport, TPORT, sizeof(TPORT));
		if (fl & 4)
			r.tport[15] ^= 0x80;
		(void)nx_srp_login_req_cm_encode(&r, priv);
		priv[10] = at(d, n, 2); /* the whole MULTI-CHANNEL byte */
	}
	/* SRP 6.3: the SRP_LOGIN_RSP echoes the request's tag */
	c->login_tag = len >= 8 ? nx_get_be64(priv) : 0;
	if (nx_rdma_cm_connect(w->idev, IP_T, PORT, c->qp, len ? priv : NULL,
			       (uint8_t)len, cm_event, c, &c->id) != NX_OK) {
		c->ended = true;
		c->id = NULL;
	}
}

/* ---- records: SRP_CMD ---------------------------------------------------------- */

/* One direction's descriptor from its 4 record bytes (see the top). */
static size_t put_dbuf(struct sw *w, uint8_t fmt, const uint8_t *s,
		       uint8_t *out, uint8_t *count)
{
	const struct nx_rdma_mr *mr = (s[0] & 3) == 1 ? w->ro_mr : w->data_mr;
	struct nx_srp_desc d = { 0 }, t;
	unsigned nd = s[2] & 15, ic = s[2] >> 4;
	uint32_t len = (uint32_t)s[1] * 512u;
	uint8_t *slot;

	if ((s[0] & 3) != 3) {
		d.key = mr != NULL ? nx_rdma_mr_rkey(mr) : 0x1234u;
		d.va = (mr != NULL ? nx_rdma_mr_iova(mr) : 0x10000u) +
		       (uint64_t)(s[0] >> 2) * 2048u;
		if ((s[0] & 3) == 2)
			d.key ^= 0x00ff0000u;
	}
	*count = 0;
	if (fmt == NX_SRP_FMT_DIRECT) {
		d.len = len;
		nx_srp_desc_put(out, 0, &d);
		return NX_SRP_DESC_LEN;
	}
	if (fmt != NX_SRP_FMT_INDIRECT)
		return 0;
	/* an indirect table of nd pieces of the buffer, in a table slot */
	slot = w->tab + (size_t)(w->tab_next % TABLES) * TABLE_SLOT;
	t.va = nx_rdma_mr_iova(w->tab_mr) + (uint64_t)(slot - w->tab);
	t.key = nx_rdma_mr_rkey(w->tab_mr) ^ (s[3] & 2 ? 0x00ff0000u : 0);
	t.len = nd * NX_SRP_DESC_LEN + (s[3] & 4 ? 8u : 0u);
	w->tab_next++;
	for (unsigned i = 0; i < nd; i++) {
		struct nx_srp_desc p = d;

		p.va += (uint64_t)(len / nd) * i;
		p.len = i + 1 < nd ? len / nd : len - len / nd * i;
		nx_srp_desc_put(slot, i, &p);
	}
	nx_srp_desc_put(out, 0, &t);
	nx_put_be32(out + NX_SRP_DESC_LEN, len + (s[3] & 1 ? 512u : 0u));
	memset(out + NX_SRP_IDESC_LEN, 0, (size_t)ic * NX_SRP_DESC_LEN);
	memcpy(out + NX_SRP_IDESC_LEN, slot,
	       (size_t)NX_MIN(ic, nd) * NX_SRP_DESC_LEN);
	*count = (uint8_t)ic;
	return NX_SRP_IDESC_LEN + (size_t)ic * NX_SRP_DESC_LEN;
}

static void rec_cmd(struct sw *w, struct fch *c, const uint8_t *d, size_t n)
{
	uint8_t iu[IU_MAX], s[8] = { 0 };
	uint8_t fl = at(d, n, 1), fmts = at(d, n, 2), sel = at(d, n, 3);
	size_t cdb_n = n > 12 ? n - 12 : 0, add = 0, off, pay;

	if (fl & 16) {          /* no harness fixes */
		if (n > 2) {
			memcpy(c->last_cmd, d + 2, NX_MIN(n - 2, sizeof(iu)));
			c->last_cmd_len = NX_MIN(n - 2, sizeof(iu));
			send_iu(c, d + 2, c->last_cmd_len);
		}
		return;
	}
	for (size_t i = 0; i < 8; i++)
		s[i] = at(d, n, 4 + i);
	if (fl & 8 && cdb_n > 16)
		add = NX_MIN((cdb_n - 16) & ~(size_t)3, (size_t)NX_SRP_ADD_CDB_MAX);
	memset(iu, 0, NX_SRP_CMD_LEN + add);
	iu[0] = NX_SRP_CMD;
	iu[5] = fmts;
	if (fl & 4 || c->last_tag == 0)
		c->last_tag = ++w->tag;
	nx_put_be64(iu + 8, c->last_tag);
	nx_put_be64(iu + 20, fz_pick_lun(sel));
	iu[29] = (sel >> 3) & 7;
	iu[31] = (uint8_t)add;
	memcpy(iu + 32, d + 12, NX_MIN(cdb_n, (size_t)16));
	if (add > 0)
		memcpy(iu + NX_SRP_CMD_LEN, d + 12 + 16, add);
	/* the rest is the data-out, where the descriptor points */
	pay = n > 12 + 16 + add ? n - (12 + 16 + add) : 0;
	off = (size_t)(s[0] >> 2) * 2048u;
	if (pay > 0)
		memcpy(w->data + off, d + 12 + 16 + add, NX_MIN(pay, DATA_LEN - off));
	off = NX_SRP_CMD_LEN + add;
	off += put_dbuf(w, fmts >> 4, s, iu + off, &iu[6]);
	off += put_dbuf(w, fmts & 15, s + 4, iu + off, &iu[7]);
	memcpy(c->last_cmd, iu, off);
	c->last_cmd_len = off;
	send_iu(c, iu, off);
}

/* The channel's last SRP_CMD again and again with fresh tags: the
 * initiator overdraws its credits (SRP 5.5: the target logs it out). */
static void burst(struct sw *w, struct fch *c, unsigned count)
{
	for (unsigned i = 0; i < count && c->last_cmd_len >= 16; i++) {
		c->last_tag = ++w->tag;
		nx_put_be64(c->last_cmd + 8, c->last_tag);
		send_iu(c, c->last_cmd, c->last_cmd_len);
	}
}

/* ---- records: the rest ---------------------------------------------------------- */

static void rec_tmf(struct sw *w, struct fch *c, const uint8_t *d, size_t n)
{
	struct nx_srp_tsk_mgmt m = { 0 };
	uint8_t iu[NX_SRP_TSK_MGMT_LEN], fl = at(d, n, 1);
	uint8_t tt[8];

	for (size_t i = 0; i < 8; i++)
		tt[i] = at(d, n, 4 + i);
	m.tag = fl & 4 ? ++w->tag : c->last_tag;
	m.fn = at(d, n, 2);
	m.lun = fz_pick_lun(at(d, n, 3));
	m.task_tag = fl & 8 ? c->last_tag : nx_get_be64(tt);
	send_iu(c, iu, nx_srp_tsk_mgmt_encode(&m, iu));
}

static void rec_raw(struct sw *w, struct fch *c, const uint8_t *d, size_t n)
{
	uint8_t iu[TX_LEN];
	size_t len = n > 2 ? NX_MIN(n - 2, sizeof(iu)) : 0;

	memcpy(iu, d + 2, len);
	if ((at(d, n, 1) & 4) && len >= 16)
		nx_put_be64(iu + 8, ++w->tag);
	send_iu(c, iu, len);
}

static void rec_logout(struct fch *c)
{
	struct nx_srp_logout lo = { .type = NX_SRP_I_LOGOUT, .tag = 1 };
	uint8_t iu[NX_SRP_LOGOUT_LEN];

	post_send(c, iu, nx_srp_logout_encode(&lo, iu), false);
	c->i_logout = true;
}

static void data_region(struct sw *w, bool again)
{
	if (w->data_mr != NULL) {
		nx_rdma_dereg_mr(w->data_mr);
		w->data_mr = NULL;
	}
	if (again)
		w->data_mr = fz_rdma_reg(w->pd, w->data, DATA_LEN,
					 FZ_RDMA_ACCESS_RW);
}

static void rec_fabric(struct sw *w, struct fch *c, const uint8_t *d, size_t n)
{
	static uint8_t big[TX_LEN];

	switch (at(d, n, 2) & 7) {
	case 0:
		if (c->established && !c->dreq_sent) {
			nx_rdma_cm_disconnect(c->id);
			c->dreq_sent = true;
		}
		break;
	case 1:
		/* Also while the login is out: the CM id breaks with the QP,
		 * the RTU is lost, and the target's channel must end when
		 * its REP times out (UNREACHABLE). */
		if (!c->ended) {
			nx_sim_rdma_qp_break(c->qp);
			c->broken = true;
		}
		break;
	case 2:
		c->starve = true;
		break;
	case 3:
		c->starve = false;
		repost_all(c);
		break;
	case 4:
	case 5:
		data_region(w, (d[2] & 7) == 5);
		break;
	case 6:
		memset(big, 0, sizeof(big));
		big[0] = NX_SRP_CMD;
		post_send(c, big, NX_SRP_MAX_IT_IU + 1u + at(d, n, 3), false);
		break;
	default:
		burst(w, c, at(d, n, 3));
		break;
	}
}

static void rec_tresp(struct fch *c, const uint8_t *d, size_t n)
{
	uint8_t iu[NX_SRP_CRED_LEN], fl = at(d, n, 2), t[8];
	uint64_t tag = c->treq_tag;

	if (fl & 2) {
		for (size_t i = 0; i < 8; i++)
			t[i] = at(d, n, 3 + i);
		tag = nx_get_be64(t);
	}
	post_send(c, iu, nx_srp_tresp_encode(fl & 1 ? NX_SRP_AER_RSP
						    : NX_SRP_CRED_RSP, tag, iu),
		  false);
}

static void record(void *arg, const uint8_t *d, size_t n)
{
	struct sw *w = arg;
	uint8_t kind = d[0] & 7;
	struct fch *c = pick(w, d, n);

	if (kind == 0) {
		rec_login(w, d, n);
	} else if (kind == 5) {
		nx_sim_run_for(fz_sim(), (uint64_t)(n > 1 ? d[1] : 1) *
					 (d[0] & 0x80 ? SEC : 10 * MS));
	} else if (c != NULL) {
		switch (kind) {
		case 1:
			rec_cmd(w, c, d, n);
			break;
		case 2:
			rec_tmf(w, c, d, n);
			break;
		case 3:
			rec_raw(w, c, d, n);
			break;
		case 4:
			rec_logout(c);
			break;
		case 6:
			rec_fabric(w, c, d, n);
			break;
		default:
			rec_tresp(c, d, n);
			break;
		}
	}
	/* the fabric's microseconds and the target's answers, unless the
	 * next record is to go out at the same instant */
	if (!(d[0] & 0x40))
		nx_sim_run_for(fz_sim(), 1 * MS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw *w;
	const uint8_t *end = data + size;

	if (size < 1)
		return 0;
	fz_platform_reset();
	w = calloc(1, sizeof(*w));
	fz_check(w != NULL);
	sw_open(w, data[0]);
	data++;
	fz_records(data, (size_t)(end - data), RECORDS_MAX, record, w);
	check_answered(w);
	if (w->debug)
		fprintf(stderr, "fz: %u logins, %u rejected, %u SRP_RSP (%u "
			"GOOD, %u TMF), %u SRP_CRED_REQ, %u SRP_T_LOGOUT, %llu "
			"RDMA WRITE, %llu RDMA READ by the target\n", w->logins,
			w->rejects, w->rsps, w->good, w->tmf_rsps, w->cred_reqs,
			w->t_logouts, (unsigned long long)w->rdma_writes,
			(unsigned long long)w->rdma_reads);
	sw_close(w);
	free(w);
	fz_platform_done();
	return 0;
}
