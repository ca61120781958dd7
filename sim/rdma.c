/*
 * rdma.c - the simulated RDMA fabric (nx_sim_rdma.h): devices, PDs, MRs,
 * CQs and RC queue pairs implementing platform/nx_rdma.h.
 *
 * One RC message is one simulated transport message: the requester
 * gathers a SEND or RDMA WRITE payload when it issues the WR, the
 * message arrives after the path's delay, the responder executes it in
 * arrival order (IBA 9.5) and answers with an ACK, a NAK or the RDMA
 * READ response, which completes the requester's WR.  Completions of a
 * send queue leave in posting order: a WR that is done waits behind an
 * older one that is not (IBA 10.8.3.1).
 *
 * Every packet, timeout and local CM event is a tracked rdma_pkt with a
 * sim event, so freeing the fabric frees what is still in flight.
 */
#include <stdlib.h>
#include <string.h>

#include "rdma_internal.h"

/* Per-packet wire overhead for serialization: Ethernet 14 + IPv4 20 +
 * UDP 8 + BTH 12 + ICRC 4 + FCS 4 (+ RETH/AETH, ignored). */
#define WIRE_OVERHEAD 62u

static void rdma_deliver(void *arg);

/* ---- options, fabric, devices ------------------------------------------ */

void nx_sim_rdma_opts_default(struct nx_sim_rdma_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->latency_ns = 1000;
	o->bandwidth_bps = 100000000000ull;
	o->mtu = 4096;
	o->rnr_delay_ns = 10000;
	o->retry_timeout_ns = 4000000;
	o->cm_timeout_ns = 20000000;
}

void nx_sim_rdma_opts_from_link(struct nx_sim_rdma_opts *o,
				const struct nx_link_opts *link)
{
	o->latency_ns = link->latency_ns;
	o->jitter_ns = link->jitter_ns;
	o->bandwidth_bps = link->bandwidth_bps;
}

struct nx_sim_rdma *nx_sim_rdma_new(struct nx_sim *sim,
				    const struct nx_sim_rdma_opts *o)
{
	struct nx_sim_rdma *f;

	if (o->mtu < 256 || o->mtu > 4096 || (o->mtu & (o->mtu - 1)) != 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->sim = sim;
	f->o = *o;
	nx_rng_fork(nx_sim_rng(sim), "rdma.jitter", 0, &f->jitter_rng);
	nx_rng_fork(nx_sim_rng(sim), "rdma.faults", 0, &f->fault_rng);
	f->tid_next = 1;
	return f;
}

void nx_sim_rdma_free(struct nx_sim_rdma *f)
{
	unsigned i;

	if (f == NULL)
		return;
	nx_sim_rdma_set_pcap(f, NULL); /* writes what the capture holds */
	while (f->inflight != NULL) {
		struct rdma_pkt *p = f->inflight;

		f->inflight = p->next;
		nx_sim_cancel(f->sim, p->ev);
		nx_sim_rdma_pkt_free(p);
	}
	nx_assert(f->live == 0);
	for (i = 0; i < f->ndevs; i++)
		free(f->devs[i]);
	free(f);
}

struct nx_rdma_dev *nx_sim_rdma_dev_new(struct nx_sim_rdma *f,
					const char *name, uint32_t ipv4)
{
	struct nx_rdma_dev *d;

	if (f->ndevs >= NX_SIM_RDMA_DEVS_MAX ||
	    nx_sim_rdma_dev_by_ip(f, ipv4) != NULL)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->f = f;
	d->index = (uint8_t)f->ndevs;
	d->ipv4 = ipv4;
	d->iova_next = RDMA_IOVA_BASE;
	nx_snprintf(d->name, sizeof(d->name), "%s", name != NULL ? name : "hca");
	f->devs[f->ndevs++] = d;
	return d;
}

uint32_t nx_sim_rdma_dev_ip(const struct nx_rdma_dev *dev)
{
	return dev->ipv4;
}

struct nx_rdma_dev *nx_sim_rdma_dev_by_ip(struct nx_sim_rdma *f, uint32_t ip)
{
	for (unsigned i = 0; i < f->ndevs; i++)
		if (f->devs[i]->ipv4 == ip)
			return f->devs[i];
	return NULL;
}

void nx_sim_rdma_stats(const struct nx_sim_rdma *f, struct nx_sim_rdma_stats *out)
{
	*out = f->stats;
}

unsigned nx_sim_rdma_live(const struct nx_sim_rdma *f)
{
	return f->live;
}

unsigned nx_sim_rdma_slot(uint32_t handle)
{
	return handle & ((1u << RDMA_SLOT_BITS) - 1);
}

/* ---- packets ------------------------------------------------------------- */

struct rdma_pkt *nx_sim_rdma_pkt_new(struct nx_sim_rdma *f, uint8_t kind,
				     uint8_t src_dev, uint8_t dst_dev)
{
	struct rdma_pkt *p = calloc(1, sizeof(*p));

	nx_assert(p != NULL);
	p->f = f;
	p->kind = kind;
	p->src_dev = src_dev;
	p->dst_dev = dst_dev;
	return p;
}

void nx_sim_rdma_pkt_free(struct rdma_pkt *p)
{
	if (p == NULL)
		return;
	free(p->data);
	free(p);
}

/* In flight: on the fabric's list until delivered, so that freeing the
 * fabric cancels and frees what the sim still holds. */
static void pkt_schedule_at(struct rdma_pkt *p, uint64_t at_ns)
{
	struct nx_sim_rdma *f = p->f;

	p->ev = nx_sim_schedule_at(f->sim, at_ns, rdma_deliver, p);
	nx_assert(p->ev != NX_SIM_EVENT_NONE);
	p->prev = NULL;
	p->next = f->inflight;
	if (f->inflight != NULL)
		f->inflight->prev = p;
	f->inflight = p;
}

static void pkt_untrack(struct rdma_pkt *p)
{
	struct nx_sim_rdma *f = p->f;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		f->inflight = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
}

static uint32_t pkt_count(const struct nx_sim_rdma *f, uint32_t len)
{
	return len == 0 ? 1 : (len + f->o.mtu - 1) / f->o.mtu;
}

static uint64_t serialization_ns(uint64_t bps, uint64_t bytes)
{
	if (bps == 0)
		return 0;
	return (uint64_t)(((unsigned __int128)bytes * 8u * 1000000000u) / bps);
}

void nx_sim_rdma_transmit(struct rdma_pkt *p)
{
	struct nx_sim_rdma *f = p->f;
	struct nx_rdma_dev *src = f->devs[p->src_dev];
	uint64_t now = nx_sim_now(f->sim);
	uint32_t npkt = p->kind == PKT_READ_REQ || p->kind == PKT_ACK ||
			p->kind == PKT_NAK || p->kind == PKT_CM ? 1 :
			pkt_count(f, p->len);
	uint64_t wire = (uint64_t)npkt * WIRE_OVERHEAD + p->len;
	uint64_t start = NX_MAX(now, src->egress_busy_ns);
	uint64_t at;

	nx_assert(p->dst_dev < f->ndevs);
	src->egress_busy_ns = start + serialization_ns(f->o.bandwidth_bps, wire);
	at = src->egress_busy_ns + f->o.latency_ns;
	if (f->o.jitter_ns > 0)
		at += nx_rng_range(&f->jitter_rng, 0, f->o.jitter_ns);
	/* RC paths deliver in order, jitter or not. */
	at = NX_MAX(at, f->path_last_ns[p->src_dev][p->dst_dev]);
	f->path_last_ns[p->src_dev][p->dst_dev] = at;
	f->stats.packets += npkt;
	if (f->pcap != NULL)
		nx_sim_rdma_pcap_write(f, p, start);
	if (f->tap != NULL) {
		struct nx_sim_rdma_tap_msg m = {
			.kind = p->kind, .src = src, .dst = f->devs[p->dst_dev],
			.src_qpn = p->src_qpn, .dst_qpn = p->dst_qpn,
			.len = p->kind == PKT_READ_REQ ? p->dma_len : p->len,
		};

		f->tap(f->tap_arg, &m);
	}
	pkt_schedule_at(p, at);
}

_Static_assert((int)PKT_SEND == (int)NX_SIM_RDMA_TAP_SEND &&
	       (int)PKT_WRITE == (int)NX_SIM_RDMA_TAP_WRITE &&
	       (int)PKT_READ_REQ == (int)NX_SIM_RDMA_TAP_READ_REQ &&
	       (int)PKT_READ_RSP == (int)NX_SIM_RDMA_TAP_READ_RSP &&
	       (int)PKT_ACK == (int)NX_SIM_RDMA_TAP_ACK &&
	       (int)PKT_NAK == (int)NX_SIM_RDMA_TAP_NAK &&
	       (int)PKT_CM == (int)NX_SIM_RDMA_TAP_CM,
	       "tap kinds mirror the packet kinds");

void nx_sim_rdma_set_tap(struct nx_sim_rdma *f, nx_sim_rdma_tap_fn fn, void *arg)
{
	f->tap = fn;
	f->tap_arg = arg;
}

/* ---- protection domains and memory regions ------------------------------- */

struct nx_rdma_pd *nx_rdma_pd_new(struct nx_rdma_dev *dev)
{
	struct nx_rdma_pd *pd = calloc(1, sizeof(*pd));

	if (pd == NULL)
		return NULL;
	pd->dev = dev;
	dev->f->live++;
	return pd;
}

void nx_rdma_pd_free(struct nx_rdma_pd *pd)
{
	if (pd == NULL)
		return;
	nx_assert(pd->mrs == 0 && pd->qps == 0);
	pd->dev->f->live--;
	free(pd);
}

struct nx_rdma_mr *nx_rdma_reg_mr(struct nx_rdma_pd *pd, void *addr,
				  size_t len, unsigned access)
{
	struct nx_rdma_dev *d = pd->dev;
	struct nx_rdma_mr *mr;
	unsigned slot;

	if ((addr == NULL && len > 0) || len > NX_RDMA_MSG_MAX ||
	    (access & ~7u) != 0)
		return NULL;
	for (slot = 1; slot < RDMA_MRS_MAX && d->mrs[slot] != NULL; slot++)
		;
	if (slot == RDMA_MRS_MAX)
		return NULL;
	mr = calloc(1, sizeof(*mr));
	if (mr == NULL)
		return NULL;
	mr->pd = pd;
	mr->addr = addr;
	mr->len = len;
	mr->access = access;
	mr->iova = d->iova_next;
	/* Page-aligned, with a guard page: a range check never lands in a
	 * neighbour. */
	d->iova_next += ((len + RDMA_PAGE - 1) / RDMA_PAGE + 1) * RDMA_PAGE;
	d->mr_gen[slot]++;
	mr->key = slot << 8 | d->mr_gen[slot];
	d->mrs[slot] = mr;
	pd->mrs++;
	d->f->live++;
	return mr;
}

void nx_rdma_dereg_mr(struct nx_rdma_mr *mr)
{
	struct nx_rdma_dev *d;

	if (mr == NULL)
		return;
	d = mr->pd->dev;
	nx_assert(d->mrs[mr->key >> 8] == mr);
	d->mrs[mr->key >> 8] = NULL;
	mr->pd->mrs--;
	d->f->live--;
	free(mr);
}

uint32_t nx_rdma_mr_lkey(const struct nx_rdma_mr *mr)
{
	return mr->key;
}

uint32_t nx_rdma_mr_rkey(const struct nx_rdma_mr *mr)
{
	return mr->key;
}

uint64_t nx_rdma_mr_iova(const struct nx_rdma_mr *mr)
{
	return mr->iova;
}

/* The bytes [addr, addr + len) of the MR named by key, if the key is
 * live, belongs to pd and grants need; else NULL (IBA 10.6.3.2). */
static uint8_t *mr_translate(const struct nx_rdma_pd *pd, uint32_t key,
			     uint64_t addr, uint64_t len, unsigned need)
{
	const struct nx_rdma_dev *d = pd->dev;
	unsigned slot = key >> 8;
	const struct nx_rdma_mr *mr = slot < RDMA_MRS_MAX ? d->mrs[slot] : NULL;

	if (mr == NULL || mr->key != key || mr->pd != pd ||
	    (mr->access & need) != need)
		return NULL;
	if (addr < mr->iova || addr - mr->iova > mr->len ||
	    len > mr->len - (addr - mr->iova))
		return NULL;
	return mr->addr + (addr - mr->iova);
}

static bool sge_gather(const struct nx_rdma_qp *qp, const struct nx_rdma_sge *sge,
		       unsigned n, uint8_t *out)
{
	uint32_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *src = mr_translate(qp->pd, sge[i].lkey, sge[i].addr,
						  sge[i].length, 0);

		if (src == NULL)
			return false;
		if (sge[i].length > 0)
			memcpy(out + off, src, sge[i].length);
		off += sge[i].length;
	}
	return true;
}

/* Scatters len bytes over the SGEs (LOCAL_WRITE needed).  -1: a bad
 * SGE; -2: they hold less than len. */
static int sge_scatter(const struct nx_rdma_qp *qp, const struct nx_rdma_sge *sge,
		       unsigned n, const uint8_t *data, uint32_t len)
{
	uint64_t cap = 0;
	uint32_t off = 0;

	for (unsigned i = 0; i < n; i++)
		cap += sge[i].length;
	if (cap < len)
		return -2;
	for (unsigned i = 0; i < n && off < len; i++) {
		uint32_t k = NX_MIN(sge[i].length, len - off);
		uint8_t *dst = mr_translate(qp->pd, sge[i].lkey, sge[i].addr, k,
					    NX_RDMA_ACCESS_LOCAL_WRITE);

		if (dst == NULL)
			return -1;
		memcpy(dst, data + off, k);
		off += k;
	}
	return 0;
}

/* ---- completion queues ----------------------------------------------------- */

static void cq_notify_event(void *arg)
{
	struct nx_rdma_cq *cq = arg;

	cq->notify_ev = NX_SIM_EVENT_NONE;
	if (!cq->armed || cq->count == 0)
		return;
	cq->armed = false;
	if (cq->notify != NULL)
		cq->notify(cq->arg, cq);
}

static void cq_kick(struct nx_rdma_cq *cq)
{
	if (!cq->armed || cq->count == 0 || cq->notify_ev != NX_SIM_EVENT_NONE)
		return;
	cq->notify_ev = nx_sim_schedule(cq->dev->f->sim, 0, cq_notify_event, cq);
	nx_assert(cq->notify_ev != NX_SIM_EVENT_NONE);
}

struct nx_rdma_cq *nx_rdma_cq_new(struct nx_rdma_dev *dev, unsigned depth,
				  nx_rdma_cq_fn notify, void *arg)
{
	struct nx_rdma_cq *cq;

	if (depth == 0 || depth > RDMA_CQ_DEPTH_MAX)
		return NULL;
	cq = calloc(1, sizeof(*cq));
	if (cq == NULL)
		return NULL;
	cq->ring = calloc(depth, sizeof(*cq->ring));
	if (cq->ring == NULL) {
		free(cq);
		return NULL;
	}
	cq->dev = dev;
	cq->depth = depth;
	cq->notify = notify;
	cq->arg = arg;
	dev->f->live++;
	return cq;
}

void nx_rdma_cq_free(struct nx_rdma_cq *cq)
{
	if (cq == NULL)
		return;
	nx_assert(cq->users == 0);
	if (cq->notify_ev != NX_SIM_EVENT_NONE)
		nx_sim_cancel(cq->dev->f->sim, cq->notify_ev);
	cq->dev->f->live--;
	free(cq->ring);
	free(cq);
}

unsigned nx_rdma_cq_poll(struct nx_rdma_cq *cq, struct nx_rdma_wc *wc, unsigned n)
{
	unsigned got = 0;

	nx_assert(wc != NULL || n == 0);
	while (got < n && cq->count > 0) {
		wc[got++] = cq->ring[cq->head];
		cq->head = (cq->head + 1) % cq->depth;
		cq->count--;
	}
	return got;
}

void nx_rdma_cq_arm(struct nx_rdma_cq *cq)
{
	cq->armed = true;
	cq_kick(cq);
}

/* false: the CQ overflowed (IBA 11.4.2.1), the completion is lost. */
static bool cq_push(struct nx_rdma_cq *cq, const struct nx_rdma_wc *wc)
{
	if (cq->count == cq->depth) {
		if (!cq->overrun)
			nx_log(NX_LOG_WARN, "rdma %s: CQ overrun", cq->dev->name);
		cq->overrun = true;
		return false;
	}
	cq->ring[(cq->head + cq->count) % cq->depth] = *wc;
	cq->count++;
	cq_kick(cq);
	return true;
}

void nx_sim_rdma_schedule(struct rdma_pkt *p, uint64_t delay_ns)
{
	pkt_schedule_at(p, nx_sim_now(p->f->sim) + delay_ns);
}

/* ---- queue pairs: creation and lookup --------------------------------------- */

static struct nx_rdma_qp *qp_lookup(struct nx_sim_rdma *f, uint8_t dev,
				    uint32_t qpn)
{
	struct nx_rdma_qp *qp = f->qps[nx_sim_rdma_slot(qpn)];

	if (qp == NULL || qp->qpn != qpn || qp->dev->index != dev)
		return NULL;
	return qp;
}

/* A deterministic starting PSN per QPN (the CM would carry a random one). */
uint32_t nx_sim_rdma_psn_init(uint32_t qpn)
{
	return (uint32_t)(qpn * 2654435761u) & 0xffffffu;
}

static bool qp_attr_ok(const struct nx_rdma_pd *pd, const struct nx_rdma_qp_attr *a)
{
	return a->send_cq != NULL && a->recv_cq != NULL &&
	       a->send_cq->dev == pd->dev && a->recv_cq->dev == pd->dev &&
	       a->max_send_wr > 0 && a->max_send_wr <= RDMA_QP_DEPTH_MAX &&
	       a->max_recv_wr > 0 && a->max_recv_wr <= RDMA_QP_DEPTH_MAX &&
	       a->rnr_retry <= 7;
}

struct nx_rdma_qp *nx_rdma_qp_new(struct nx_rdma_pd *pd,
				  const struct nx_rdma_qp_attr *attr)
{
	struct nx_sim_rdma *f = pd->dev->f;
	struct nx_rdma_qp *qp;
	unsigned slot;

	if (!qp_attr_ok(pd, attr))
		return NULL;
	for (slot = 0; slot < RDMA_QPS_MAX && f->qps[slot] != NULL; slot++)
		;
	if (slot == RDMA_QPS_MAX)
		return NULL;
	qp = calloc(1, sizeof(*qp));
	if (qp == NULL)
		return NULL;
	qp->sq = calloc(attr->max_send_wr, sizeof(*qp->sq));
	qp->rq = calloc(attr->max_recv_wr, sizeof(*qp->rq));
	if (qp->sq == NULL || qp->rq == NULL) {
		free(qp->sq);
		free(qp->rq);
		free(qp);
		return NULL;
	}
	qp->pd = pd;
	qp->dev = pd->dev;
	qp->attr = *attr;
	f->qp_gen[slot] = (uint16_t)((f->qp_gen[slot] % 4095u) + 1u);
	qp->slot = (uint16_t)slot;
	qp->qpn = (uint32_t)f->qp_gen[slot] << RDMA_SLOT_BITS | slot;
	qp->state = NX_RDMA_QPS_RESET;
	qp->msn_next = 1;
	f->qps[slot] = qp;
	attr->send_cq->users++;
	attr->recv_cq->users++;
	pd->qps++;
	f->live++;
	return qp;
}

uint32_t nx_rdma_qp_num(const struct nx_rdma_qp *qp)
{
	return qp->qpn;
}

enum nx_rdma_qp_state nx_rdma_qp_state(const struct nx_rdma_qp *qp)
{
	return (enum nx_rdma_qp_state)qp->state;
}

/* ---- completions ------------------------------------------------------------ */

static uint8_t wc_opcode(uint8_t wr_opcode)
{
	switch (wr_opcode) {
	case NX_RDMA_WR_RDMA_WRITE: return NX_RDMA_WC_RDMA_WRITE;
	case NX_RDMA_WR_RDMA_READ: return NX_RDMA_WC_RDMA_READ;
	default: return NX_RDMA_WC_SEND;
	}
}

static void qp_set_error(struct nx_rdma_qp *qp);

static void qp_push(struct nx_rdma_qp *qp, struct nx_rdma_cq *cq,
		    const struct nx_rdma_wc *wc)
{
	if (!cq_push(cq, wc) && qp->state != NX_RDMA_QPS_ERROR)
		qp_set_error(qp); /* the QPs of an overrun CQ fail */
}

/* IBA 10.8.3.1: send completions in posting order, from the head. */
static void sq_complete(struct nx_rdma_qp *qp)
{
	unsigned guard;

	for (guard = 0; guard < qp->attr.max_send_wr && qp->sq_count > 0; guard++) {
		struct rdma_swqe *w = &qp->sq[qp->sq_head];
		struct nx_rdma_wc wc;

		if (w->state != SWQE_DONE)
			return;
		wc = (struct nx_rdma_wc){ .wr_id = w->wr_id, .status = w->status,
					  .opcode = wc_opcode(w->opcode),
					  .byte_len = w->byte_len,
					  .qp_num = qp->qpn };
		qp->sq_head = (qp->sq_head + 1) % qp->attr.max_send_wr;
		qp->sq_count--;
		nx_assert(qp->sq_sent > 0);
		qp->sq_sent--;
		qp_push(qp, qp->attr.send_cq, &wc);
	}
}

static void rq_complete_head(struct nx_rdma_qp *qp, uint8_t status,
			     uint32_t byte_len)
{
	struct rdma_rwqe *r = &qp->rq[qp->rq_head];
	struct nx_rdma_wc wc = { .wr_id = r->wr_id, .status = status,
				 .opcode = NX_RDMA_WC_RECV,
				 .byte_len = byte_len, .qp_num = qp->qpn };

	nx_assert(qp->rq_count > 0);
	qp->rq_head = (qp->rq_head + 1) % qp->attr.max_recv_wr;
	qp->rq_count--;
	qp_push(qp, qp->attr.recv_cq, &wc);
}

/* ---- the ERROR state ---------------------------------------------------------- */

static void requester_timeout(struct rdma_pkt *req);

/* Arrived but never executed: the requester hears nothing and its
 * transport timer fails the message. */
static void inq_drop(struct nx_rdma_qp *qp)
{
	while (qp->inq_head != NULL) {
		struct rdma_inq *q = qp->inq_head;

		qp->inq_head = q->next;
		requester_timeout(q->pkt);
		free(q);
	}
	qp->inq_tail = NULL;
	qp->inq_count = 0;
}

/* IBA 10.3.1, 11.6.2: outstanding WRs complete WR_FLUSH_ERR (the one that
 * failed already carries its own status), in order. */
static void qp_set_error(struct nx_rdma_qp *qp)
{
	struct nx_sim_rdma *f = qp->dev->f;
	unsigned i;

	qp->state = NX_RDMA_QPS_ERROR;
	if (qp->rnr_ev != NX_SIM_EVENT_NONE)
		nx_sim_cancel(f->sim, qp->rnr_ev);
	qp->rnr_ev = NX_SIM_EVENT_NONE;
	qp->rnr_wait = false;
	inq_drop(qp);
	for (i = 0; i < qp->sq_count; i++) {
		struct rdma_swqe *w = &qp->sq[(qp->sq_head + i) % qp->attr.max_send_wr];

		if (w->state != SWQE_DONE) {
			w->state = SWQE_DONE;
			w->status = NX_RDMA_WC_WR_FLUSH_ERR;
			w->byte_len = 0;
			f->stats.flushed++;
		}
	}
	qp->sq_sent = qp->sq_count;
	qp->reads_out = 0;
	sq_complete(qp);
	while (qp->rq_count > 0) {
		f->stats.flushed++;
		rq_complete_head(qp, NX_RDMA_WC_WR_FLUSH_ERR, 0);
	}
}

void nx_sim_rdma_qp_error(struct nx_rdma_qp *qp)
{
	qp_set_error(qp);
}

void nx_rdma_qp_free(struct nx_rdma_qp *qp)
{
	struct nx_sim_rdma *f;

	if (qp == NULL)
		return;
	f = qp->dev->f;
	if (qp->cm != NULL)
		nx_sim_rdma_cm_qp_gone(qp->cm);
	if (qp->rnr_ev != NX_SIM_EVENT_NONE)
		nx_sim_cancel(f->sim, qp->rnr_ev);
	inq_drop(qp);
	f->qps[qp->slot] = NULL;
	qp->attr.send_cq->users--;
	qp->attr.recv_cq->users--;
	qp->pd->qps--;
	f->live--;
	free(qp->sq);
	free(qp->rq);
	free(qp);
}

/* ---- state transitions (IBA 10.3.1) --------------------------------------- */

static void qp_reset(struct nx_rdma_qp *qp)
{
	nx_assert(qp->inq_head == NULL);
	qp->sq_head = qp->sq_count = qp->sq_sent = 0;
	qp->rq_head = qp->rq_count = 0;
	qp->reads_out = 0;
	qp->rnr_tries = 0;
	qp->broken = false;
	qp->state = NX_RDMA_QPS_RESET;
}

static int qp_to_rtr(struct nx_rdma_qp *qp, const struct nx_rdma_qp_peer *peer)
{
	if (qp->state != NX_RDMA_QPS_INIT || peer == NULL || peer->dev == NULL ||
	    peer->dev->f != qp->dev->f)
		return NX_EINVAL;
	qp->peer_dev = peer->dev->index;
	qp->peer_qpn = peer->qp_num;
	qp->rq_psn = nx_sim_rdma_psn_init(peer->qp_num);
	qp->state = NX_RDMA_QPS_RTR;
	return NX_OK;
}

int nx_rdma_qp_modify(struct nx_rdma_qp *qp, enum nx_rdma_qp_state to,
		      const struct nx_rdma_qp_peer *peer)
{
	switch (to) {
	case NX_RDMA_QPS_INIT:
		if (qp->state != NX_RDMA_QPS_RESET)
			return NX_EINVAL;
		qp->state = NX_RDMA_QPS_INIT;
		return NX_OK;
	case NX_RDMA_QPS_RTR:
		return qp_to_rtr(qp, peer);
	case NX_RDMA_QPS_RTS:
		if (qp->state != NX_RDMA_QPS_RTR)
			return NX_EINVAL;
		qp->sq_psn = nx_sim_rdma_psn_init(qp->qpn);
		qp->state = NX_RDMA_QPS_RTS;
		return NX_OK;
	case NX_RDMA_QPS_ERROR:
		qp_set_error(qp);
		return NX_OK;
	case NX_RDMA_QPS_RESET:
		if (qp->state != NX_RDMA_QPS_ERROR &&
		    qp->state != NX_RDMA_QPS_RESET)
			return NX_EINVAL;
		qp_reset(qp);
		return NX_OK;
	}
	return NX_EINVAL;
}

void nx_sim_rdma_qp_connect(struct nx_rdma_qp *qp, uint8_t peer_dev,
			    uint32_t peer_qpn)
{
	struct nx_rdma_qp_peer peer = { qp->dev->f->devs[peer_dev], peer_qpn };

	if (qp->state == NX_RDMA_QPS_RESET)
		qp->state = NX_RDMA_QPS_INIT;
	if (qp->state == NX_RDMA_QPS_INIT)
		(void)qp_to_rtr(qp, &peer);
}

/* ---- posting ----------------------------------------------------------------- */

static bool sge_ok(const struct nx_rdma_sge *sge, unsigned n, uint32_t *total)
{
	uint64_t sum = 0;

	if (n > NX_RDMA_SGE_MAX || (n > 0 && sge == NULL))
		return false;
	for (unsigned i = 0; i < n; i++)
		sum += sge[i].length;
	if (sum >= NX_RDMA_MSG_MAX)
		return false;
	*total = (uint32_t)sum;
	return true;
}

static void sq_pump(struct nx_rdma_qp *qp);

int nx_rdma_post_send(struct nx_rdma_qp *qp, const struct nx_rdma_send_wr *wr)
{
	struct rdma_swqe *w;
	uint32_t total;

	if (wr == NULL || wr->opcode > NX_RDMA_WR_RDMA_READ ||
	    !sge_ok(wr->sg_list, wr->num_sge, &total))
		return NX_EINVAL;
	if (qp->state != NX_RDMA_QPS_RTS && qp->state != NX_RDMA_QPS_ERROR)
		return NX_EINVAL;
	if (qp->sq_count == qp->attr.max_send_wr)
		return NX_ENOSPC;
	w = &qp->sq[(qp->sq_head + qp->sq_count) % qp->attr.max_send_wr];
	memset(w, 0, sizeof(*w));
	w->wr_id = wr->wr_id;
	w->opcode = wr->opcode;
	w->num_sge = (uint8_t)wr->num_sge;
	if (wr->num_sge > 0)
		memcpy(w->sge, wr->sg_list, wr->num_sge * sizeof(w->sge[0]));
	w->len = total;
	w->remote_addr = wr->remote_addr;
	w->rkey = wr->rkey;
	w->msn = qp->msn_next++;
	w->state = SWQE_QUEUED;
	qp->sq_count++;
	if (qp->state == NX_RDMA_QPS_ERROR) {
		w->state = SWQE_DONE;
		w->status = NX_RDMA_WC_WR_FLUSH_ERR;
		qp->sq_sent++;
		qp->dev->f->stats.flushed++;
		sq_complete(qp);
		return NX_OK;
	}
	sq_pump(qp);
	return NX_OK;
}

static void process_inq(struct nx_rdma_qp *qp);

int nx_rdma_post_recv(struct nx_rdma_qp *qp, const struct nx_rdma_recv_wr *wr)
{
	struct rdma_rwqe *r;
	uint32_t total;

	if (wr == NULL || !sge_ok(wr->sg_list, wr->num_sge, &total) ||
	    qp->state == NX_RDMA_QPS_RESET)
		return NX_EINVAL;
	if (qp->state == NX_RDMA_QPS_ERROR) {
		struct nx_rdma_wc wc = { .wr_id = wr->wr_id,
					 .status = NX_RDMA_WC_WR_FLUSH_ERR,
					 .opcode = NX_RDMA_WC_RECV,
					 .qp_num = qp->qpn };

		qp->dev->f->stats.flushed++;
		qp_push(qp, qp->attr.recv_cq, &wc);
		return NX_OK;
	}
	if (qp->rq_count == qp->attr.max_recv_wr)
		return NX_ENOSPC;
	r = &qp->rq[(qp->rq_head + qp->rq_count) % qp->attr.max_recv_wr];
	r->wr_id = wr->wr_id;
	r->num_sge = (uint8_t)wr->num_sge;
	if (wr->num_sge > 0)
		memcpy(r->sge, wr->sg_list, wr->num_sge * sizeof(r->sge[0]));
	qp->rq_count++;
	/* A SEND held back by RNR waits for its retry timer, as on a real
	 * HCA; nothing else to do here. */
	return NX_OK;
}

/* ---- requester ------------------------------------------------------------------ */

static struct rdma_pkt *pkt_to_peer(struct nx_rdma_qp *qp, uint8_t kind)
{
	struct rdma_pkt *p = nx_sim_rdma_pkt_new(qp->dev->f, kind, qp->dev->index,
						 qp->peer_dev);

	p->src_qpn = qp->qpn;
	p->dst_qpn = qp->peer_qpn;
	return p;
}

/* Sends w as one RC message.  False: a local protection error (bad lkey
 * or range on the gather list, IBA 10.7.2.1). */
static bool sq_issue(struct nx_rdma_qp *qp, struct rdma_swqe *w)
{
	struct nx_sim_rdma *f = qp->dev->f;
	uint8_t kind = w->opcode == NX_RDMA_WR_SEND ? PKT_SEND :
		       w->opcode == NX_RDMA_WR_RDMA_WRITE ? PKT_WRITE : PKT_READ_REQ;
	struct rdma_pkt *p = pkt_to_peer(qp, kind);

	if (kind != PKT_READ_REQ && w->len > 0) {
		p->data = malloc(w->len);
		nx_assert(p->data != NULL);
		if (!sge_gather(qp, w->sge, w->num_sge, p->data)) {
			nx_sim_rdma_pkt_free(p);
			return false;
		}
		p->len = w->len;
	}
	p->msn = w->msn;
	p->va = w->remote_addr;
	p->rkey = w->rkey;
	p->dma_len = w->len;
	p->psn = qp->sq_psn;
	p->npsn = pkt_count(f, w->len);
	qp->sq_psn = (qp->sq_psn + p->npsn) & 0xffffffu;
	w->state = SWQE_SENT;
	if (kind == PKT_READ_REQ)
		qp->reads_out++;
	f->stats.msgs++;
	f->stats.bytes += w->len;
	nx_sim_rdma_transmit(p);
	return true;
}

static void sq_pump(struct nx_rdma_qp *qp)
{
	unsigned ord = NX_MAX(qp->attr.max_rd_atomic, (uint8_t)1);

	while (qp->state == NX_RDMA_QPS_RTS && qp->sq_sent < qp->sq_count) {
		struct rdma_swqe *w =
			&qp->sq[(qp->sq_head + qp->sq_sent) % qp->attr.max_send_wr];

		/* IBA 9.4.4: no more RDMA READs outstanding than the ORD;
		 * the send queue stalls behind the READ. */
		if (w->opcode == NX_RDMA_WR_RDMA_READ && qp->reads_out >= ord)
			return;
		if (!sq_issue(qp, w)) {
			w->state = SWQE_DONE;
			w->status = NX_RDMA_WC_LOC_PROT_ERR;
			qp->sq_sent++;
			qp_set_error(qp);
			return;
		}
		qp->sq_sent++;
	}
}

static struct rdma_swqe *sq_find(struct nx_rdma_qp *qp, uint64_t msn)
{
	uint64_t first;

	if (qp->sq_count == 0)
		return NULL;
	first = qp->sq[qp->sq_head].msn;
	if (msn < first || msn - first >= qp->sq_count)
		return NULL;
	return &qp->sq[(qp->sq_head + (unsigned)(msn - first)) % qp->attr.max_send_wr];
}

/* An ACK, NAK, READ response or transport timeout for one message. */
static void requester_rx(struct rdma_pkt *p)
{
	struct nx_sim_rdma *f = p->f;
	struct nx_rdma_qp *qp = qp_lookup(f, p->dst_dev, p->dst_qpn);
	struct rdma_swqe *w = qp != NULL ? sq_find(qp, p->msn) : NULL;
	uint8_t status = NX_RDMA_WC_SUCCESS;

	if (w == NULL || w->state != SWQE_SENT)
		return; /* flushed meanwhile, or a stale answer */
	if (p->kind == PKT_NAK) {
		status = p->status;
	} else if (p->kind == PKT_READ_RSP) {
		if (p->len != w->len ||
		    sge_scatter(qp, w->sge, w->num_sge, p->data, p->len) != 0)
			status = NX_RDMA_WC_LOC_PROT_ERR;
		else
			w->byte_len = p->len;
	}
	if (w->opcode == NX_RDMA_WR_RDMA_READ && qp->reads_out > 0)
		qp->reads_out--;
	if (status == NX_RDMA_WC_SUCCESS && nx_rng_ppb(&f->fault_rng, f->o.cqe_error_ppb)) {
		/* Injected: the ACK "never came" (IBA 9.7.6.1.3). */
		status = NX_RDMA_WC_RETRY_EXC_ERR;
		f->stats.injected++;
	}
	w->state = SWQE_DONE;
	w->status = status;
	if (status != NX_RDMA_WC_SUCCESS) {
		qp_set_error(qp);
		return;
	}
	sq_complete(qp);
	sq_pump(qp);
}

/* The responder never answers (gone, not ready, broken): after the
 * transport timer and its retries the requester gives up. */
static void requester_timeout(struct rdma_pkt *req)
{
	struct rdma_pkt *t;

	if (req->kind != PKT_SEND && req->kind != PKT_WRITE &&
	    req->kind != PKT_READ_REQ) {
		nx_sim_rdma_pkt_free(req);
		return;
	}
	t = nx_sim_rdma_pkt_new(req->f, PKT_NAK, req->dst_dev, req->src_dev);
	t->timeout = true;
	t->dst_qpn = req->src_qpn;
	t->src_qpn = req->dst_qpn;
	t->msn = req->msn;
	t->status = NX_RDMA_WC_RETRY_EXC_ERR;
	req->f->stats.dropped++;
	nx_sim_rdma_pkt_free(req);
	nx_sim_rdma_schedule(t, t->f->o.retry_timeout_ns);
}

/* ---- responder ------------------------------------------------------------------ */

static void respond(struct nx_rdma_qp *qp, const struct rdma_pkt *req,
		    uint8_t kind, uint8_t status, uint8_t syndrome)
{
	struct rdma_pkt *p = pkt_to_peer(qp, kind);

	p->msn = req->msn;
	p->psn = (req->psn + req->npsn - 1) & 0xffffffu;
	p->npsn = 1;
	p->status = status;
	p->syndrome = syndrome;
	if (kind == PKT_NAK)
		qp->dev->f->stats.naks++;
	nx_sim_rdma_transmit(p);
}

enum exec_rc { EXEC_DONE, EXEC_RNR, EXEC_FATAL };

/* AETH NAK syndromes (IBA 9.3.5, table 44). */
#define SYN_ACK 0x1f
#define SYN_RNR 0x20
#define SYN_NAK_INV_REQ 0x61
#define SYN_NAK_REM_ACCESS 0x62
#define SYN_NAK_REM_OP 0x63

static enum exec_rc exec_send(struct nx_rdma_qp *qp, const struct rdma_pkt *p)
{
	struct rdma_rwqe *r;
	int rc;

	if (qp->rq_count == 0)
		return EXEC_RNR;
	r = &qp->rq[qp->rq_head];
	rc = sge_scatter(qp, r->sge, r->num_sge, p->data, p->len);
	if (rc == -2) {
		/* IBA 9.9.3.1.2: receive WQE too small */
		rq_complete_head(qp, NX_RDMA_WC_LOC_LEN_ERR, 0);
		respond(qp, p, PKT_NAK, NX_RDMA_WC_REM_INV_REQ_ERR, SYN_NAK_INV_REQ);
		return EXEC_FATAL;
	}
	if (rc == -1) {
		rq_complete_head(qp, NX_RDMA_WC_LOC_PROT_ERR, 0);
		respond(qp, p, PKT_NAK, NX_RDMA_WC_REM_OP_ERR, SYN_NAK_REM_OP);
		return EXEC_FATAL;
	}
	rq_complete_head(qp, NX_RDMA_WC_SUCCESS, p->len);
	respond(qp, p, PKT_ACK, 0, SYN_ACK);
	return EXEC_DONE;
}

static enum exec_rc exec_rdma(struct nx_rdma_qp *qp, const struct rdma_pkt *p)
{
	bool write = p->kind == PKT_WRITE;
	uint8_t *mem = mr_translate(qp->pd, p->rkey, p->va, p->dma_len,
				    write ? NX_RDMA_ACCESS_REMOTE_WRITE :
					    NX_RDMA_ACCESS_REMOTE_READ);
	struct rdma_pkt *rsp;

	if (mem == NULL) {
		/* IBA 9.7.5.1.3: remote access error, both QPs fail. */
		respond(qp, p, PKT_NAK, NX_RDMA_WC_REM_ACCESS_ERR, SYN_NAK_REM_ACCESS);
		return EXEC_FATAL;
	}
	if (write) {
		if (p->len > 0)
			memcpy(mem, p->data, p->len);
		respond(qp, p, PKT_ACK, 0, SYN_ACK);
		return EXEC_DONE;
	}
	rsp = pkt_to_peer(qp, PKT_READ_RSP);
	rsp->msn = p->msn;
	rsp->psn = p->psn;
	rsp->npsn = p->npsn;
	rsp->len = p->dma_len;
	if (rsp->len > 0) {
		rsp->data = malloc(rsp->len);
		nx_assert(rsp->data != NULL);
		memcpy(rsp->data, mem, rsp->len);
	}
	nx_sim_rdma_transmit(rsp);
	return EXEC_DONE;
}

static void rnr_retry_event(void *arg)
{
	struct nx_rdma_qp *qp = arg;

	qp->rnr_ev = NX_SIM_EVENT_NONE;
	qp->rnr_wait = false;
	process_inq(qp);
}

/* IBA 9.7.5.2.8: RNR NAK, the requester retries after the RNR timer;
 * rnr_retry 7 retries forever.  The sim keeps the message at the
 * responder and re-executes it, which is what the retry amounts to. */
static void rnr(struct nx_rdma_qp *qp, struct rdma_pkt *p)
{
	struct nx_sim_rdma *f = qp->dev->f;
	struct nx_rdma_qp *req = qp_lookup(f, p->src_dev, p->src_qpn);
	uint8_t limit = req != NULL ? req->attr.rnr_retry : 0;

	f->stats.rnr_naks++;
	if (limit != 7 && qp->rnr_tries >= limit) {
		respond(qp, p, PKT_NAK, NX_RDMA_WC_RNR_RETRY_EXC_ERR, SYN_RNR);
		qp->rnr_tries = 0;
		/* The requester fails; what follows it is never accepted. */
		qp->inq_head = qp->inq_head->next;
		nx_sim_rdma_pkt_free(p);
		inq_drop(qp);
		return;
	}
	qp->rnr_tries++;
	qp->rnr_wait = true;
	qp->rnr_ev = nx_sim_schedule(f->sim, f->o.rnr_delay_ns, rnr_retry_event, qp);
	nx_assert(qp->rnr_ev != NX_SIM_EVENT_NONE);
}

static void process_inq(struct nx_rdma_qp *qp)
{
	unsigned guard;

	for (guard = 0; guard <= RDMA_QP_DEPTH_MAX * 2 && qp->inq_head != NULL &&
			!qp->rnr_wait && qp->state != NX_RDMA_QPS_ERROR; guard++) {
		struct rdma_inq *q = qp->inq_head;
		struct rdma_pkt *p = q->pkt;
		enum exec_rc rc = p->kind == PKT_SEND ? exec_send(qp, p) :
				  exec_rdma(qp, p);

		if (rc == EXEC_RNR) {
			rnr(qp, p);
			if (!qp->rnr_wait)
				free(q);
			return;
		}
		qp->inq_head = q->next;
		if (qp->inq_head == NULL)
			qp->inq_tail = NULL;
		qp->inq_count--;
		qp->rnr_tries = 0;
		nx_sim_rdma_pkt_free(p);
		free(q);
		if (rc == EXEC_FATAL)
			qp_set_error(qp);
	}
}

static void responder_rx(struct rdma_pkt *p)
{
	struct nx_rdma_qp *qp = qp_lookup(p->f, p->dst_dev, p->dst_qpn);
	struct rdma_inq *q;

	if (qp == NULL || qp->broken ||
	    (qp->state != NX_RDMA_QPS_RTR && qp->state != NX_RDMA_QPS_RTS) ||
	    qp->peer_dev != p->src_dev || qp->peer_qpn != p->src_qpn) {
		requester_timeout(p);
		return;
	}
	q = calloc(1, sizeof(*q));
	nx_assert(q != NULL);
	q->pkt = p;
	if (qp->inq_tail != NULL)
		qp->inq_tail->next = q;
	else
		qp->inq_head = q;
	qp->inq_tail = q;
	qp->inq_count++;
	process_inq(qp);
}

static void rdma_deliver(void *arg)
{
	struct rdma_pkt *p = arg;

	pkt_untrack(p);
	switch (p->kind) {
	case PKT_SEND:
	case PKT_WRITE:
	case PKT_READ_REQ:
		responder_rx(p); /* takes p */
		return;
	case PKT_CM:
		nx_sim_rdma_cm_rx(p);
		break;
	default:
		requester_rx(p);
		break;
	}
	nx_sim_rdma_pkt_free(p);
}

/* ---- faults ---------------------------------------------------------------------- */

static void qp_break_one(struct nx_rdma_qp *qp)
{
	struct rdma_swqe *w = NULL;

	if (qp->broken)
		return;
	qp->broken = true;
	if (qp->state == NX_RDMA_QPS_ERROR)
		return;
	for (unsigned i = 0; i < qp->sq_sent && w == NULL; i++) {
		struct rdma_swqe *x = &qp->sq[(qp->sq_head + i) % qp->attr.max_send_wr];

		if (x->state == SWQE_SENT)
			w = x;
	}
	if (w != NULL) {
		w->state = SWQE_DONE;
		w->status = NX_RDMA_WC_RETRY_EXC_ERR;
	}
	qp_set_error(qp);
}

void nx_sim_rdma_qp_break(struct nx_rdma_qp *qp)
{
	struct nx_rdma_qp *peer;

	if (qp->state == NX_RDMA_QPS_RESET || qp->state == NX_RDMA_QPS_INIT) {
		qp_break_one(qp);
		return;
	}
	peer = qp_lookup(qp->dev->f, qp->peer_dev, qp->peer_qpn);
	qp->dev->f->stats.injected++;
	qp_break_one(qp);
	if (qp->cm != NULL)
		nx_sim_rdma_cm_break(qp->cm);
	if (peer != NULL) {
		qp_break_one(peer);
		if (peer->cm != NULL)
			nx_sim_rdma_cm_break(peer->cm);
	}
}

bool nx_sim_rdma_qp_break_num(struct nx_rdma_dev *dev, uint32_t qpn)
{
	struct nx_rdma_qp *qp = qp_lookup(dev->f, dev->index, qpn);

	if (qp == NULL)
		return false;
	nx_sim_rdma_qp_break(qp);
	return true;
}

void nx_sim_rdma_dev_fail(struct nx_rdma_dev *dev)
{
	struct nx_sim_rdma *f = dev->f;

	for (unsigned i = 0; i < RDMA_QPS_MAX; i++) {
		struct nx_rdma_qp *qp = f->qps[i];

		if (qp != NULL && qp->dev == dev && !qp->broken &&
		    (qp->state == NX_RDMA_QPS_RTR || qp->state == NX_RDMA_QPS_RTS))
			nx_sim_rdma_qp_break(qp);
	}
}
