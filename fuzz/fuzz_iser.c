/*
 * fuzz_iser.c - the iSER target (RFC 7145) through the simulated RDMA
 * fabric: the iSER header (9.2) and Hello messages (9.3, 9.4) of every
 * message, the login over SENDs (5.1, the RDMAExtensions and
 * Target/InitiatorRecvDataSegmentLength keys, 6.3-6.5), full feature
 * phase with SCSI commands whose data moves by RDMA WRITE (Put_Data)
 * and RDMA READ (Get_Data) against the STags the commands carry
 * (7.3.1-7.3.5), unsolicited Data-Out and the PDUs iSER forbids (7.3.4,
 * 7.3.11), and the fabric's failures: receive buffers that run out (RNR),
 * a message larger than the target's buffers, remote access errors (a
 * STag that names nothing, a region without the right access, a
 * deregistered one), the QP breaking, disconnects from either side, and
 * time passing (login timeout, NOP-In keepalive).
 *
 * The harness is a raw RDMA initiator (PD, CQ, QP, MRs of its own) on a
 * second simulated device of a fresh fabric per input (fuzz_plat_sim.c:
 * virtual clock, FZ_SEED); the target is transports/iser behind
 * sim/iser_glue.c with LU 0 RAM (512-byte blocks) and LU 1 null.  To
 * let mutations reach full feature phase the harness can fill the
 * fields a fuzzer cannot guess: the STags and base offsets of its data
 * region, CmdSN / ExpStatSN from what the target said, a fresh ITT and
 * the DataSegmentLength.
 *
 * Invariants: the target never sends an R2T or a Data-In PDU over iSER
 * (they are RDMA operations) and every message it sends carries an iSER
 * control header without STags and fits the receive buffers RFC 7145
 * sizes (NX_ISER_MSG_MAX); after the harness disconnects, the target's connection is released, its server goes
 * idle, every RDMA object is freed (nx_sim_rdma_live() == 0) and no
 * nx_alloc() is left.
 *
 * Input:  byte 0  config: bit 0 fail 1 in 1000 requester completions
 *                 (cqe_error_ppb), bit 1 start with the receive queue
 *                 starved (no buffers reposted), bit 2 CHAP on the target
 *         then records separated by FZ_SEP:
 *           byte 0  bits 2..0 kind
 *           kind 0  SEND a control PDU: byte 1 iSER header: bit 0 WSV,
 *                   bit 1 RSV, bits 3..2 STag: 0 the data region, 1 the
 *                   read-only region, 2 a key that names nothing, 3 raw
 *                   (the header is the 28 bytes after byte 3); byte 2
 *                   base offset in 512-byte units; byte 3 fix-ups: bit 0
 *                   CmdSN, bit 1 ExpStatSN, bit 2 a fresh ITT, bit 3
 *                   DataSegmentLength and TotalAHSLength from the
 *                   record's length, bit 4 the last ITT (Data-Out);
 *                   then the PDU (BHS, AHS, data)
 *           kind 1  time passes: byte 1 x 10 ms (bit 7 of byte 0: x 1 s)
 *           kind 2  receive buffers: byte 1 bit 0 starve (stop
 *                   reposting), else post every free one again
 *           kind 3  the harness disconnects (DREQ)
 *           kind 4  the QP breaks (nx_sim_rdma_qp_break)
 *           kind 5  a SEND larger than the target's receive buffers
 *           kind 6  deregister the data region (byte 1 bit 0: and
 *                   register it again: new STag)
 *           kind 7  an iSER Hello (byte 1..2: versions, IRD)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_plat_sim.h"
#include "sim/nx_sim_iser.h"

#define RECORDS_MAX 32
#define IP_T 0x0a000001u
#define IP_I 0x0a000002u
#define PORT 3260
#define MS 1000000ull
#define SEC 1000000000ull
#define RX_BUFS 32u
#define TX_BUFS 32u
#define TX_BUF_LEN (NX_ISER_MSG_MAX + 4096u)
#define DATA_LEN (256u << 10)
#define RO_LEN (16u << 10)
#define CQ_DEPTH 1024u

enum { WR_RX = 1, WR_TX = 2 };

struct iw {
	struct nx_sim_rdma *f;
	struct nx_rdma_dev *tdev, *idev;
	struct nx_target *tgt;
	struct nx_sim_iser_target *st;
	/* the raw initiator */
	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	struct nx_rdma_cm_id *id;
	struct nx_rdma_mr *rx_mr, *tx_mr, *data_mr, *ro_mr;
	uint8_t *rx, *tx, *data, *ro;
	bool rx_posted[RX_BUFS];
	bool tx_busy[TX_BUFS];
	unsigned outstanding;
	bool starve;
	bool established, disconnected, dreq_sent;
	/* iSCSI sequencing learnt from the target */
	uint32_t cmdsn, exp_statsn, itt;
	bool ffp;
	unsigned msgs_in, scsi_rsps;
	bool debug;
};

/* ---- completions and CM events ------------------------------------------ */

static void check_msg(struct iw *w, const uint8_t *m, uint32_t len)
{
	uint8_t op;

	/* RFC 7145 9.2: control header, the target names no buffer */
	if (len < NX_ISER_HDR_LEN + NX_ISCSI_BHS_LEN)
		fz_fail("iSER message of %u bytes from the target", len);
	if (m[0] != NX_ISER_OP_CONTROL << 4)
		fz_fail("iSER header byte 0 %02x from the target", m[0]);
	m += NX_ISER_HDR_LEN;
	op = m[0] & 0x3f;
	/* RFC 7145 7.3.3, 7.3.6: Data-In and R2T are RDMA operations */
	if (op == NX_ISCSI_OP_DATA_IN || op == NX_ISCSI_OP_R2T)
		fz_fail("the target sent iSCSI opcode %02x over iSER", op);
	if (op == NX_ISCSI_OP_SCSI_RSP || op == NX_ISCSI_OP_LOGIN_RSP ||
	    op == NX_ISCSI_OP_TEXT_RSP || op == NX_ISCSI_OP_LOGOUT_RSP ||
	    op == NX_ISCSI_OP_TMF_RSP || op == NX_ISCSI_OP_REJECT ||
	    op == NX_ISCSI_OP_NOP_IN)
		w->exp_statsn = nx_get_be32(m + 24) + 1;
	if (op == NX_ISCSI_OP_LOGIN_RSP && (m[1] & 0x83) == 0x83 &&
	    nx_get_be16(m + 36) == 0)
		w->ffp = true;
	if (op == NX_ISCSI_OP_SCSI_RSP)
		w->scsi_rsps++;
	if (w->debug)
		fprintf(stderr, "fz: target sent op %02x flags %02x byte3 %02x "
			"dsl %u\n", op, m[1], m[3], nx_pdu_dsl(m));
}

static int post_rx(struct iw *w, uint32_t i)
{
	struct nx_rdma_sge sge = { nx_rdma_mr_iova(w->rx_mr) +
				   (uint64_t)i * NX_ISER_MSG_MAX,
				   NX_ISER_MSG_MAX, nx_rdma_mr_lkey(w->rx_mr) };
	struct nx_rdma_recv_wr wr = { (uint64_t)WR_RX << 32 | i, &sge, 1 };
	int rc = nx_rdma_post_recv(w->qp, &wr);

	if (rc == NX_OK) {
		w->rx_posted[i] = true;
		w->outstanding++;
	}
	return rc;
}

static void repost_all(struct iw *w)
{
	for (uint32_t i = 0; i < RX_BUFS && !w->disconnected; i++)
		if (!w->rx_posted[i] && post_rx(w, i) != NX_OK)
			break;
}

static void handle_wc(struct iw *w, const struct nx_rdma_wc *wc)
{
	uint32_t kind = (uint32_t)(wc->wr_id >> 32), i = (uint32_t)wc->wr_id;

	fz_check(w->outstanding > 0);
	w->outstanding--;
	if (kind == WR_TX) {
		fz_check(i < TX_BUFS && w->tx_busy[i]);
		w->tx_busy[i] = false;
		return;
	}
	fz_check(kind == WR_RX && i < RX_BUFS && w->rx_posted[i]);
	w->rx_posted[i] = false;
	/* our buffers are NX_ISER_MSG_MAX: a longer SEND fails here */
	if (wc->status == NX_RDMA_WC_LOC_LEN_ERR)
		fz_fail("the target sent a message beyond NX_ISER_MSG_MAX");
	if (wc->status != NX_RDMA_WC_SUCCESS)
		return;
	w->msgs_in++;
	check_msg(w, w->rx + (size_t)i * NX_ISER_MSG_MAX, wc->byte_len);
	if (!w->starve)
		(void)post_rx(w, i);
}

static void poll_cq(struct iw *w)
{
	struct nx_rdma_wc wc[16];
	unsigned n;

	do {
		n = nx_rdma_cq_poll(w->cq, wc, 16);
		for (unsigned i = 0; i < n; i++)
			handle_wc(w, &wc[i]);
	} while (n > 0);
}

static void cq_notify(void *arg, struct nx_rdma_cq *cq)
{
	struct iw *w = arg;

	poll_cq(w);
	nx_rdma_cq_arm(cq);
}

static void cm_event(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct iw *w = ctx;

	if (ev->type == NX_RDMA_CM_ESTABLISHED)
		w->established = true;
	else
		w->disconnected = true;
}

/* ---- the world -------------------------------------------------------------- */

static void target_open(struct iw *w, bool chap)
{
	struct nx_iscsi_server_config sc;

	w->tgt = fz_target_new(FZ_TARGET_NAME, 512, FZ_LU_BYTES, false);
	memset(&sc, 0, sizeof(sc));
	sc.portals[0] = "10.0.0.1:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	sc.targets[0].target = w->tgt;
	if (chap) {
		snprintf(sc.targets[0].chap.user, NX_NAME_MAX, "%s", FZ_CHAP_USER);
		snprintf(sc.targets[0].chap.secret, NX_ISCSI_SECRET_MAX, "%s",
			 FZ_CHAP_SECRET);
		sc.targets[0].chap.set = true;
	}
	sc.target_count = 1;
	w->st = nx_sim_iser_target_new(fz_sim(), w->tdev, PORT, &sc);
	fz_check(w->st != NULL);
}

static void ini_open(struct iw *w)
{
	static const uint8_t priv[NX_ISER_CM_PRIV_LEN] = {
		NX_ISER_CM_ZBVA_NS | NX_ISER_CM_SIE_NS,
	};

	w->pd = nx_rdma_pd_new(w->idev);
	w->rx = calloc(RX_BUFS, NX_ISER_MSG_MAX);
	w->tx = calloc(TX_BUFS, TX_BUF_LEN);
	w->data = calloc(1, DATA_LEN);
	w->ro = calloc(1, RO_LEN);
	fz_check(w->pd != NULL && w->rx && w->tx && w->data && w->ro);
	for (uint32_t i = 0; i < DATA_LEN; i++)
		w->data[i] = (uint8_t)(i * 13 + (i >> 9));
	w->rx_mr = fz_rdma_reg(w->pd, w->rx, (size_t)RX_BUFS * NX_ISER_MSG_MAX,
			       NX_RDMA_ACCESS_LOCAL_WRITE);
	w->tx_mr = fz_rdma_reg(w->pd, w->tx, (size_t)TX_BUFS * TX_BUF_LEN, 0);
	w->data_mr = fz_rdma_reg(w->pd, w->data, DATA_LEN, FZ_RDMA_ACCESS_RW);
	w->ro_mr = fz_rdma_reg(w->pd, w->ro, RO_LEN,
			       NX_RDMA_ACCESS_REMOTE_READ);
	w->cq = nx_rdma_cq_new(w->idev, CQ_DEPTH, cq_notify, w);
	fz_check(w->cq != NULL);
	w->qp = fz_rdma_qp_new(w->pd, w->cq, TX_BUFS, RX_BUFS);
	repost_all(w);
	nx_rdma_cq_arm(w->cq);
	fz_check(nx_rdma_cm_connect(w->idev, IP_T, PORT, w->qp, priv,
				    sizeof(priv), cm_event, w, &w->id) == NX_OK);
	nx_sim_run_for(fz_sim(), 1 * MS);
	fz_check(w->established);
}

static void iw_open(struct iw *w, uint8_t cfg)
{
	w->f = fz_rdma_fabric_new((cfg & 1) != 0, IP_T, IP_I, &w->tdev,
				  &w->idev);
	target_open(w, (cfg & 4) != 0);
	w->starve = (cfg & 2) != 0;
	w->cmdsn = 1;
	w->debug = getenv("FZ_DEBUG") != NULL;
	ini_open(w);
}

static bool all_quiet(void *arg)
{
	struct iw *w = arg;

	return w->disconnected && w->outstanding == 0 &&
	       nx_sim_iser_target_conns(w->st) == 0;
}

static void iw_close(struct iw *w)
{
	if (!w->dreq_sent)
		nx_rdma_cm_disconnect(w->id);
	/* RC teardown: every WR comes back flushed; the target lets go of
	 * its connection once its own WRs are back and its tasks drained */
	if (!nx_sim_run_until(fz_sim(), all_quiet, w,
			      nx_sim_now(fz_sim()) + 120 * SEC))
		fz_fail("teardown: disconnected %d, %u WRs outstanding, %u "
			"target connections", w->disconnected, w->outstanding,
			nx_sim_iser_target_conns(w->st));
	nx_rdma_cm_id_free(w->id);
	nx_rdma_qp_free(w->qp);
	nx_rdma_cq_free(w->cq);
	nx_rdma_dereg_mr(w->rx_mr);
	nx_rdma_dereg_mr(w->tx_mr);
	if (w->data_mr != NULL)
		nx_rdma_dereg_mr(w->data_mr);
	nx_rdma_dereg_mr(w->ro_mr);
	nx_rdma_pd_free(w->pd);
	if (nx_sim_iser_target_free(w->st, 120 * SEC) != NX_OK)
		fz_fail("the iSER target did not drain");
	nx_target_free(w->tgt);
	fz_rdma_fabric_end(w->f);
	free(w->rx);
	free(w->tx);
	free(w->data);
	free(w->ro);
}

/* ---- records ---------------------------------------------------------------------- */

static int tx_slot(struct iw *w)
{
	for (int i = 0; i < (int)TX_BUFS; i++)
		if (!w->tx_busy[i])
			return i;
	return -1;
}

static void post_send(struct iw *w, const uint8_t *msg, size_t len)
{
	int i = tx_slot(w);
	struct nx_rdma_sge sge;
	struct nx_rdma_send_wr wr = { 0 };

	if (i < 0 || len > TX_BUF_LEN || w->disconnected)
		return;
	memcpy(w->tx + (size_t)i * TX_BUF_LEN, msg, len);
	sge = (struct nx_rdma_sge){ nx_rdma_mr_iova(w->tx_mr) +
				    (uint64_t)i * TX_BUF_LEN, (uint32_t)len,
				    nx_rdma_mr_lkey(w->tx_mr) };
	wr.wr_id = (uint64_t)WR_TX << 32 | (uint32_t)i;
	wr.opcode = NX_RDMA_WR_SEND;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	if (nx_rdma_post_send(w->qp, &wr) == NX_OK) {
		w->tx_busy[i] = true;
		w->outstanding++;
	}
}

/* RFC 7143 3.2.2.1: immediate PDUs and Login do not advance CmdSN. */
static bool advances_cmdsn(const uint8_t *bhs)
{
	uint8_t op = bhs[0] & 0x3f;

	if (bhs[0] & 0x40)
		return false;
	return op == NX_ISCSI_OP_SCSI_CMD || op == NX_ISCSI_OP_TMF_REQ ||
	       op == NX_ISCSI_OP_TEXT_REQ || op == NX_ISCSI_OP_LOGOUT_REQ ||
	       (op == NX_ISCSI_OP_NOP_OUT && nx_get_be32(bhs + 16) != NX_ISCSI_RSVD_TAG);
}

static void fixups(struct iw *w, uint8_t fx, uint8_t *bhs, size_t pdu_len)
{
	if (fx & 0x04)
		nx_put_be32(bhs + 16, ++w->itt);
	else if (fx & 0x10)
		nx_put_be32(bhs + 16, w->itt);
	if (fx & 0x08) {
		size_t rest = pdu_len - NX_ISCSI_BHS_LEN;
		size_t ahs = NX_MIN((size_t)bhs[4] * 4u, rest);

		bhs[4] = (uint8_t)(ahs / 4);
		nx_put_be24(bhs + 5, (uint32_t)(rest - ahs / 4 * 4));
	}
	if (fx & 0x01) {
		nx_put_be32(bhs + 24, w->cmdsn);
		if (advances_cmdsn(bhs) && (bhs[0] & 0x3f) != NX_ISCSI_OP_LOGIN_REQ)
			w->cmdsn++;
	}
	if (fx & 0x02)
		nx_put_be32(bhs + 28, w->exp_statsn);
}

static void send_pdu(struct iw *w, const uint8_t *d, size_t n)
{
	uint8_t msg[TX_BUF_LEN];
	struct nx_iser_hdr h = { .opcode = NX_ISER_OP_CONTROL };
	size_t hl, pdu_len;
	uint8_t sel;

	if (n < 4)
		return;
	sel = (d[1] >> 2) & 3;
	if (sel == 3) {
		hl = NX_MIN(n - 4, (size_t)NX_ISER_HDR_LEN);
		memcpy(msg, d + 4, hl);
		memset(msg + hl, 0, NX_ISER_HDR_LEN - hl);
		d += hl;
		n -= hl;
	} else {
		const struct nx_rdma_mr *mr = sel == 1 ? w->ro_mr : w->data_mr;
		uint32_t key = mr != NULL ? nx_rdma_mr_rkey(mr) : 0x1234;
		uint64_t va = mr != NULL ? nx_rdma_mr_iova(mr) : 0x10000;

		if (sel == 2)
			key ^= 0x00ff0000u;
		h.wsv = (d[1] & 1) != 0;
		h.rsv = (d[1] & 2) != 0;
		h.write_stag = h.read_stag = key;
		h.write_va = h.read_va = va + (uint64_t)d[2] * 512u;
		(void)nx_iser_hdr_encode(&h, msg);
	}
	pdu_len = NX_MIN(n - 4, sizeof(msg) - NX_ISER_HDR_LEN);
	memcpy(msg + NX_ISER_HDR_LEN, d + 4, pdu_len);
	if (pdu_len >= NX_ISCSI_BHS_LEN)
		fixups(w, d[3], msg + NX_ISER_HDR_LEN, pdu_len);
	post_send(w, msg, NX_ISER_HDR_LEN + pdu_len);
}

static void data_region(struct iw *w, uint8_t how)
{
	if (w->data_mr != NULL) {
		nx_rdma_dereg_mr(w->data_mr);
		w->data_mr = NULL;
	}
	if (how & 1)
		w->data_mr = fz_rdma_reg(w->pd, w->data, DATA_LEN,
					 FZ_RDMA_ACCESS_RW);
}

static void record(void *arg, const uint8_t *d, size_t n)
{
	struct iw *w = arg;
	static uint8_t big[TX_BUF_LEN];

	switch (d[0] & 7) {
	case 0:
		send_pdu(w, d, n);
		break;
	case 1:
		nx_sim_run_for(fz_sim(), (uint64_t)(n > 1 ? d[1] : 1) *
					 (d[0] & 0x80 ? SEC : 10 * MS));
		break;
	case 2:
		w->starve = n > 1 && (d[1] & 1);
		if (!w->starve)
			repost_all(w);
		break;
	case 3:
		if (!w->dreq_sent)
			nx_rdma_cm_disconnect(w->id);
		w->dreq_sent = true;
		break;
	case 4:
		nx_sim_rdma_qp_break(w->qp);
		break;
	case 5:
		memset(big, 0, sizeof(big));
		big[0] = NX_ISER_OP_CONTROL << 4;
		if (n > 1)
			memcpy(big + NX_ISER_HDR_LEN, d + 1,
			       NX_MIN(n - 1, sizeof(big) - NX_ISER_HDR_LEN));
		post_send(w, big, NX_ISER_MSG_MAX + 1 + (n > 1 ? d[1] : 0));
		break;
	case 6:
		data_region(w, n > 1 ? d[1] : 0);
		break;
	default: {
		struct nx_iser_hdr h = { .opcode = NX_ISER_OP_HELLO };
		uint8_t msg[NX_ISER_HELLO_LEN];

		h.max_ver = n > 1 ? d[1] >> 4 : 1;
		h.min_ver = n > 1 ? d[1] & 15 : 1;
		h.ird_ord = n > 2 ? d[2] : 16;
		post_send(w, msg, nx_iser_hdr_encode(&h, msg));
		break;
	}
	}
	/* the fabric's microseconds and the target's answers */
	nx_sim_run_for(fz_sim(), 1 * MS);
	poll_cq(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iw *w;
	const uint8_t *end = data + size;

	if (size < 1)
		return 0;
	fz_platform_reset();
	w = calloc(1, sizeof(*w));
	fz_check(w != NULL);
	iw_open(w, data[0]);
	data++;
	fz_records(data, (size_t)(end - data), RECORDS_MAX, record, w);
	if (w->debug)
		fprintf(stderr, "fz: %u messages from the target, %u SCSI "
			"responses, full feature phase %d\n", w->msgs_in,
			w->scsi_rsps, w->ffp);
	iw_close(w);
	free(w);
	fz_platform_done();
	return 0;
}
