/*
 * rdma_test.c - the simulated RDMA fabric: QP state machine, SEND/RECV,
 * RDMA WRITE/READ, RC ordering, access and length errors, flushes, RNR,
 * the connection manager, faults, CQ overrun, determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nx_sim_rdma.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define BUF 65536u
#define WCS 256u

struct side {
	struct nx_rdma_dev *dev;
	struct nx_rdma_pd *pd;
	struct nx_rdma_cq *cq;
	struct nx_rdma_qp *qp;
	struct nx_rdma_mr *mr;
	uint8_t buf[BUF];
	struct nx_rdma_wc wc[WCS];
	unsigned nwc;
	/* CM */
	struct nx_rdma_cm_id *id;
	uint8_t events[16];
	unsigned nev;
	uint8_t priv[64];
	uint8_t priv_len;
	uint16_t status;
};

struct world {
	struct nx_sim *sim;
	struct nx_sim_rdma *f;
	struct side a, b;
	struct nx_rdma_cm_id *listener;
	int64_t allocs;
};

static void side_init(struct world *w, struct side *s, const char *name,
		      uint32_t ip, uint8_t rnr_retry)
{
	struct nx_rdma_qp_attr qa = { 0 };

	s->dev = nx_sim_rdma_dev_new(w->f, name, ip);
	assert_non_null(s->dev);
	s->pd = nx_rdma_pd_new(s->dev);
	s->cq = nx_rdma_cq_new(s->dev, WCS, NULL, NULL);
	assert_non_null(s->pd);
	assert_non_null(s->cq);
	qa.send_cq = qa.recv_cq = s->cq;
	qa.max_send_wr = 64;
	qa.max_recv_wr = 64;
	qa.max_rd_atomic = 4;
	qa.max_dest_rd_atomic = 4;
	qa.rnr_retry = rnr_retry;
	s->qp = nx_rdma_qp_new(s->pd, &qa);
	assert_non_null(s->qp);
	s->mr = nx_rdma_reg_mr(s->pd, s->buf, BUF, NX_RDMA_ACCESS_LOCAL_WRITE |
			       NX_RDMA_ACCESS_REMOTE_WRITE |
			       NX_RDMA_ACCESS_REMOTE_READ);
	assert_non_null(s->mr);
}

static void world_init_opts(struct world *w, uint64_t seed, uint8_t rnr_retry,
			    const struct nx_sim_rdma_opts *o)
{
	struct nx_sim_opts so = { .seed = seed };

	memset(w, 0, sizeof(*w));
	w->sim = nx_sim_new(&so);
	assert_non_null(w->sim);
	w->f = nx_sim_rdma_new(w->sim, o);
	assert_non_null(w->f);
	side_init(w, &w->a, "a", IP_A, rnr_retry);
	side_init(w, &w->b, "b", IP_B, rnr_retry);
}

static void world_init(struct world *w, uint64_t seed, uint8_t rnr_retry)
{
	struct nx_sim_rdma_opts o;

	nx_sim_rdma_opts_default(&o);
	world_init_opts(w, seed, rnr_retry, &o);
}

/* Manual connection, as a CM would do it (IBA 10.3.1). */
static void world_connect(struct world *w)
{
	struct nx_rdma_qp_peer pa = { w->b.dev, nx_rdma_qp_num(w->b.qp) };
	struct nx_rdma_qp_peer pb = { w->a.dev, nx_rdma_qp_num(w->a.qp) };

	assert_int_equal(nx_rdma_qp_modify(w->a.qp, NX_RDMA_QPS_INIT, NULL), 0);
	assert_int_equal(nx_rdma_qp_modify(w->b.qp, NX_RDMA_QPS_INIT, NULL), 0);
	assert_int_equal(nx_rdma_qp_modify(w->a.qp, NX_RDMA_QPS_RTR, &pa), 0);
	assert_int_equal(nx_rdma_qp_modify(w->b.qp, NX_RDMA_QPS_RTR, &pb), 0);
	assert_int_equal(nx_rdma_qp_modify(w->a.qp, NX_RDMA_QPS_RTS, NULL), 0);
	assert_int_equal(nx_rdma_qp_modify(w->b.qp, NX_RDMA_QPS_RTS, NULL), 0);
}

static void side_fini(struct side *s)
{
	if (s->id != NULL)
		nx_rdma_cm_id_free(s->id);
	nx_rdma_qp_free(s->qp);
	nx_rdma_dereg_mr(s->mr);
	nx_rdma_cq_free(s->cq);
	nx_rdma_pd_free(s->pd);
}

static void world_fini(struct world *w)
{
	if (w->listener != NULL)
		nx_rdma_cm_id_free(w->listener);
	side_fini(&w->a);
	side_fini(&w->b);
	assert_int_equal(nx_sim_rdma_live(w->f), 0);
	nx_sim_rdma_free(w->f);
	nx_sim_free(w->sim);
}

static void run(struct world *w)
{
	nx_sim_run_idle(w->sim, UINT64_MAX);
	w->a.nwc += nx_rdma_cq_poll(w->a.cq, w->a.wc + w->a.nwc, WCS - w->a.nwc);
	w->b.nwc += nx_rdma_cq_poll(w->b.cq, w->b.wc + w->b.nwc, WCS - w->b.nwc);
}

static struct nx_rdma_sge sge_of(struct side *s, uint32_t off, uint32_t len)
{
	return (struct nx_rdma_sge){ nx_rdma_mr_iova(s->mr) + off, len,
				     nx_rdma_mr_lkey(s->mr) };
}

static int post_recv(struct side *s, uint64_t id, uint32_t off, uint32_t len)
{
	struct nx_rdma_sge sge = sge_of(s, off, len);
	struct nx_rdma_recv_wr wr = { id, &sge, 1 };

	return nx_rdma_post_recv(s->qp, &wr);
}

static int post(struct side *s, uint64_t id, uint8_t op, uint32_t off,
		uint32_t len, uint64_t raddr, uint32_t rkey)
{
	struct nx_rdma_sge sge = sge_of(s, off, len);
	struct nx_rdma_send_wr wr = { .wr_id = id, .opcode = op, .sg_list = &sge,
				      .num_sge = 1, .remote_addr = raddr,
				      .rkey = rkey };

	return nx_rdma_post_send(s->qp, &wr);
}

static uint64_t raddr(struct side *s, uint32_t off)
{
	return nx_rdma_mr_iova(s->mr) + off;
}

static void expect_wc(const struct nx_rdma_wc *wc, uint64_t id, uint8_t status)
{
	if (wc->wr_id != id || wc->status != status)
		fprintf(stderr, "wc: wr_id %llu status %u, expected %llu status %u\n",
			(unsigned long long)wc->wr_id, wc->status,
			(unsigned long long)id, status);
	assert_int_equal(wc->wr_id, id);
	assert_int_equal(wc->status, status);
}

static void fill(uint8_t *p, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* ---- QP state machine ------------------------------------------------------ */

static void test_qp_states(void **state)
{
	struct world w;
	struct nx_rdma_qp_peer peer;

	world_init(&w, 1, 7);
	peer = (struct nx_rdma_qp_peer){ w.b.dev, nx_rdma_qp_num(w.b.qp) };
	assert_int_equal(nx_rdma_qp_state(w.a.qp), NX_RDMA_QPS_RESET);
	assert_int_equal(post_recv(&w.a, 1, 0, 16), NX_EINVAL);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_SEND, 0, 16, 0, 0), NX_EINVAL);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_RTR, &peer), NX_EINVAL);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_RTS, NULL), NX_EINVAL);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_INIT, NULL), 0);
	/* INIT: receives may be posted, sends not yet (IBA 10.3.1) */
	assert_int_equal(post_recv(&w.a, 1, 0, 16), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_SEND, 0, 16, 0, 0), NX_EINVAL);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_RTR, NULL), NX_EINVAL);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_RTR, &peer), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_SEND, 0, 16, 0, 0), NX_EINVAL);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_RTS, NULL), 0);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_RESET, NULL), NX_EINVAL);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_ERROR, NULL), 0);
	assert_int_equal(nx_rdma_qp_state(w.a.qp), NX_RDMA_QPS_ERROR);
	run(&w);
	/* the receive posted in INIT is flushed */
	assert_int_equal(w.a.nwc, 1);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_WR_FLUSH_ERR);
	assert_int_equal(nx_rdma_qp_modify(w.a.qp, NX_RDMA_QPS_RESET, NULL), 0);
	assert_int_equal(nx_rdma_qp_state(w.a.qp), NX_RDMA_QPS_RESET);
	world_fini(&w);
}

/* ---- data movement ----------------------------------------------------------- */

static void test_send_recv(void **state)
{
	struct world w;

	world_init(&w, 2, 7);
	world_connect(&w);
	fill(w.a.buf, 1000, 3);
	assert_int_equal(post_recv(&w.b, 10, 4096, 2048), 0);
	assert_int_equal(post(&w.a, 20, NX_RDMA_WR_SEND, 0, 1000, 0, 0), 0);
	run(&w);
	assert_int_equal(w.a.nwc, 1);
	expect_wc(&w.a.wc[0], 20, NX_RDMA_WC_SUCCESS);
	assert_int_equal(w.a.wc[0].opcode, NX_RDMA_WC_SEND);
	assert_int_equal(w.b.nwc, 1);
	expect_wc(&w.b.wc[0], 10, NX_RDMA_WC_SUCCESS);
	assert_int_equal(w.b.wc[0].opcode, NX_RDMA_WC_RECV);
	assert_int_equal(w.b.wc[0].byte_len, 1000);
	assert_int_equal(w.b.wc[0].qp_num, nx_rdma_qp_num(w.b.qp));
	assert_memory_equal(w.b.buf + 4096, w.a.buf, 1000);
	assert_true(nx_sim_now(w.sim) > 0);
	world_fini(&w);
}

static void test_write_read(void **state)
{
	struct world w;

	world_init(&w, 3, 7);
	world_connect(&w);
	fill(w.a.buf, 20000, 9);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_RDMA_WRITE, 0, 20000,
			      raddr(&w.b, 100), nx_rdma_mr_rkey(w.b.mr)), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_RDMA_READ, 30000, 20000,
			      raddr(&w.b, 100), nx_rdma_mr_rkey(w.b.mr)), 0);
	run(&w);
	assert_int_equal(w.a.nwc, 2);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_SUCCESS);
	assert_int_equal(w.a.wc[0].opcode, NX_RDMA_WC_RDMA_WRITE);
	expect_wc(&w.a.wc[1], 2, NX_RDMA_WC_SUCCESS);
	assert_int_equal(w.a.wc[1].opcode, NX_RDMA_WC_RDMA_READ);
	assert_int_equal(w.a.wc[1].byte_len, 20000);
	assert_memory_equal(w.b.buf + 100, w.a.buf, 20000);
	assert_memory_equal(w.a.buf + 30000, w.a.buf, 20000);
	/* the responder side of RDMA consumes nothing and completes nothing */
	assert_int_equal(w.b.nwc, 0);
	world_fini(&w);
}

/* RC ordering: the WRITE's data is in place when the later SEND's receive
 * completion is seen; completions come in posting order even when a
 * later WR (a SEND) is answered before an earlier one (a READ). */
static struct world *order_world;
static bool order_ok;

static void order_notify(void *arg, struct nx_rdma_cq *cq)
{
	struct world *w = order_world;
	struct nx_rdma_wc wc;

	(void)arg;
	while (nx_rdma_cq_poll(cq, &wc, 1) == 1) {
		if (wc.opcode == NX_RDMA_WC_RECV)
			order_ok = memcmp(w->b.buf + 8192, w->a.buf, 4000) == 0;
		w->b.wc[w->b.nwc++] = wc;
	}
	nx_rdma_cq_arm(cq);
}

static void test_rc_ordering(void **state)
{
	struct world w;
	struct nx_rdma_cq *cq2;
	struct nx_rdma_qp_attr qa = { 0 };
	struct nx_rdma_qp *old;

	world_init(&w, 4, 7);
	/* b polls from a notify callback: its QP uses a CQ with one */
	cq2 = nx_rdma_cq_new(w.b.dev, WCS, order_notify, NULL);
	qa.send_cq = qa.recv_cq = cq2;
	qa.max_send_wr = qa.max_recv_wr = 64;
	qa.max_rd_atomic = 1;
	qa.rnr_retry = 7;
	old = w.b.qp;
	w.b.qp = nx_rdma_qp_new(w.b.pd, &qa);
	nx_rdma_qp_free(old);
	world_connect(&w);
	order_world = &w;
	order_ok = false;
	nx_rdma_cq_arm(cq2);
	fill(w.a.buf, 4000, 1);
	assert_int_equal(post_recv(&w.b, 7, 0, 64), 0);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_RDMA_READ, 40000, 8000,
			      raddr(&w.b, 20000), nx_rdma_mr_rkey(w.b.mr)), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_RDMA_WRITE, 0, 4000,
			      raddr(&w.b, 8192), nx_rdma_mr_rkey(w.b.mr)), 0);
	assert_int_equal(post(&w.a, 3, NX_RDMA_WR_SEND, 0, 32, 0, 0), 0);
	assert_int_equal(post(&w.a, 4, NX_RDMA_WR_SEND, 0, 0, 0, 0), NX_OK);
	assert_int_equal(post_recv(&w.b, 8, 0, 64), 0);
	run(&w);
	assert_true(order_ok);
	assert_int_equal(w.a.nwc, 4);
	for (unsigned i = 0; i < 4; i++)
		expect_wc(&w.a.wc[i], i + 1, NX_RDMA_WC_SUCCESS);
	assert_int_equal(w.b.nwc, 2);
	expect_wc(&w.b.wc[0], 7, NX_RDMA_WC_SUCCESS);
	expect_wc(&w.b.wc[1], 8, NX_RDMA_WC_SUCCESS);
	assert_int_equal(w.b.wc[1].byte_len, 0);
	nx_rdma_qp_free(w.b.qp);
	w.b.qp = NULL;
	nx_rdma_cq_free(cq2);
	world_fini(&w);
}

/* ---- errors ------------------------------------------------------------------- */

static void expect_both_error(struct world *w)
{
	assert_int_equal(nx_rdma_qp_state(w->a.qp), NX_RDMA_QPS_ERROR);
	assert_int_equal(nx_rdma_qp_state(w->b.qp), NX_RDMA_QPS_ERROR);
}

/* IBA 9.7.5.1.3: a bad rkey fails the WR with REM_ACCESS_ERR, both QPs go
 * to ERROR, everything outstanding is flushed in order. */
static void test_remote_access_error(void **state)
{
	struct world w;

	world_init(&w, 5, 7);
	world_connect(&w);
	assert_int_equal(post_recv(&w.b, 50, 0, 64), 0);
	assert_int_equal(post_recv(&w.b, 51, 64, 64), 0);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_RDMA_WRITE, 0, 64, raddr(&w.b, 0),
			      nx_rdma_mr_rkey(w.b.mr) ^ 0x100), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_SEND, 0, 8, 0, 0), 0);
	assert_int_equal(post(&w.a, 3, NX_RDMA_WR_RDMA_READ, 0, 8, raddr(&w.b, 0),
			      nx_rdma_mr_rkey(w.b.mr)), 0);
	run(&w);
	assert_int_equal(w.a.nwc, 3);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_REM_ACCESS_ERR);
	expect_wc(&w.a.wc[1], 2, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_wc(&w.a.wc[2], 3, NX_RDMA_WC_WR_FLUSH_ERR);
	assert_int_equal(w.b.nwc, 2);
	expect_wc(&w.b.wc[0], 50, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_wc(&w.b.wc[1], 51, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_both_error(&w);
	/* WRs posted in ERROR complete at once with WR_FLUSH_ERR */
	assert_int_equal(post(&w.a, 4, NX_RDMA_WR_SEND, 0, 8, 0, 0), 0);
	assert_int_equal(post_recv(&w.a, 5, 0, 8), 0);
	run(&w);
	assert_int_equal(w.a.nwc, 5);
	expect_wc(&w.a.wc[3], 4, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_wc(&w.a.wc[4], 5, NX_RDMA_WC_WR_FLUSH_ERR);
	world_fini(&w);
}

/* Each way an RDMA access can be refused (IBA 10.6.3.2). */
static void test_access_rights(void **state)
{
	static const struct { uint8_t op; unsigned access; uint32_t off, len; } c[] = {
		{ NX_RDMA_WR_RDMA_READ, NX_RDMA_ACCESS_REMOTE_WRITE, 0, 16 },
		{ NX_RDMA_WR_RDMA_WRITE, NX_RDMA_ACCESS_REMOTE_READ, 0, 16 },
		{ NX_RDMA_WR_RDMA_WRITE, NX_RDMA_ACCESS_REMOTE_WRITE, 4000, 200 },
		{ NX_RDMA_WR_RDMA_READ, NX_RDMA_ACCESS_REMOTE_READ, 4097, 1 },
	};

	for (unsigned i = 0; i < NX_ARRAY_SIZE(c); i++) {
		struct world w;
		struct nx_rdma_mr *mr;

		world_init(&w, 6 + i, 7);
		world_connect(&w);
		mr = nx_rdma_reg_mr(w.b.pd, w.b.buf, 4096, c[i].access);
		assert_non_null(mr);
		assert_int_equal(post(&w.a, 1, c[i].op, 0, c[i].len,
				      nx_rdma_mr_iova(mr) + c[i].off,
				      nx_rdma_mr_rkey(mr)), 0);
		run(&w);
		assert_int_equal(w.a.nwc, 1);
		expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_REM_ACCESS_ERR);
		expect_both_error(&w);
		nx_rdma_dereg_mr(mr);
		world_fini(&w);
	}
}

/* An MR of another PD is refused too (IBA 10.2.3). */
static void test_access_other_pd(void **state)
{
	struct world w;
	struct nx_rdma_pd *pd2;
	struct nx_rdma_mr *mr;

	world_init(&w, 12, 7);
	world_connect(&w);
	pd2 = nx_rdma_pd_new(w.b.dev);
	mr = nx_rdma_reg_mr(pd2, w.b.buf, 4096, NX_RDMA_ACCESS_REMOTE_WRITE);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_RDMA_WRITE, 0, 16,
			      nx_rdma_mr_iova(mr), nx_rdma_mr_rkey(mr)), 0);
	run(&w);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_REM_ACCESS_ERR);
	nx_rdma_dereg_mr(mr);
	nx_rdma_pd_free(pd2);
	world_fini(&w);
}

/* A receive buffer too small: LOC_LEN_ERR at the responder,
 * REM_INV_REQ_ERR at the requester (IBA 9.9.3.1.2). */
static void test_loc_len_err(void **state)
{
	struct world w;

	world_init(&w, 13, 7);
	world_connect(&w);
	assert_int_equal(post_recv(&w.b, 9, 0, 100), 0);
	assert_int_equal(post_recv(&w.b, 10, 100, 100), 0);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_SEND, 0, 101, 0, 0), 0);
	run(&w);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_REM_INV_REQ_ERR);
	assert_int_equal(w.b.nwc, 2);
	expect_wc(&w.b.wc[0], 9, NX_RDMA_WC_LOC_LEN_ERR);
	expect_wc(&w.b.wc[1], 10, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_both_error(&w);
	world_fini(&w);
}

/* A bad lkey on a gather list: LOC_PROT_ERR, the QP to ERROR, nothing
 * reaches the wire. */
static void test_local_protection(void **state)
{
	struct world w;
	struct nx_sim_rdma_stats st;
	struct nx_rdma_sge sge;
	struct nx_rdma_send_wr wr = { .wr_id = 1, .opcode = NX_RDMA_WR_SEND,
				      .sg_list = &sge, .num_sge = 1 };

	world_init(&w, 14, 7);
	world_connect(&w);
	sge = (struct nx_rdma_sge){ raddr(&w.a, BUF - 8), 16, nx_rdma_mr_lkey(w.a.mr) };
	assert_int_equal(nx_rdma_post_send(w.a.qp, &wr), 0);
	run(&w);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_LOC_PROT_ERR);
	assert_int_equal(nx_rdma_qp_state(w.a.qp), NX_RDMA_QPS_ERROR);
	nx_sim_rdma_stats(w.f, &st);
	assert_int_equal(st.msgs, 0);
	world_fini(&w);
}

/* IBA 9.7.5.2.8: no receive posted -> RNR NAK and retry; with retries
 * left, a receive posted meanwhile takes the SEND, in order. */
static void post_late_recv(void *arg)
{
	struct world *w = arg;

	assert_int_equal(post_recv(&w->b, 30, 0, 64), 0);
	assert_int_equal(post_recv(&w->b, 31, 64, 64), 0);
}

static void test_rnr_retry(void **state)
{
	struct world w;
	struct nx_sim_rdma_stats st;

	world_init(&w, 15, 7);
	world_connect(&w);
	fill(w.a.buf, 64, 5);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_SEND, 0, 10, 0, 0), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_SEND, 10, 20, 0, 0), 0);
	nx_sim_schedule(w.sim, 200000, post_late_recv, &w);
	run(&w);
	nx_sim_rdma_stats(w.f, &st);
	assert_true(st.rnr_naks > 1);
	assert_int_equal(w.a.nwc, 2);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_SUCCESS);
	expect_wc(&w.a.wc[1], 2, NX_RDMA_WC_SUCCESS);
	assert_int_equal(w.b.nwc, 2);
	assert_int_equal(w.b.wc[0].byte_len, 10);
	assert_int_equal(w.b.wc[1].byte_len, 20);
	assert_memory_equal(w.b.buf + 64, w.a.buf + 10, 20);
	world_fini(&w);
}

static void test_rnr_exhausted(void **state)
{
	struct world w;

	world_init(&w, 16, 2);
	world_connect(&w);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_SEND, 0, 10, 0, 0), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_SEND, 0, 10, 0, 0), 0);
	run(&w);
	assert_int_equal(w.a.nwc, 2);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_RNR_RETRY_EXC_ERR);
	expect_wc(&w.a.wc[1], 2, NX_RDMA_WC_WR_FLUSH_ERR);
	assert_int_equal(nx_rdma_qp_state(w.a.qp), NX_RDMA_QPS_ERROR);
	/* the responder is not at fault */
	assert_int_equal(nx_rdma_qp_state(w.b.qp), NX_RDMA_QPS_RTS);
	world_fini(&w);
}

/* A responder that is gone: the requester's transport timer fails it. */
static void test_peer_gone(void **state)
{
	struct world w;

	world_init(&w, 17, 7);
	world_connect(&w);
	assert_int_equal(nx_rdma_qp_modify(w.b.qp, NX_RDMA_QPS_ERROR, NULL), 0);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_RDMA_WRITE, 0, 10, raddr(&w.b, 0),
			      nx_rdma_mr_rkey(w.b.mr)), 0);
	run(&w);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_RETRY_EXC_ERR);
	assert_true(nx_sim_now(w.sim) >= 4000000);
	world_fini(&w);
}

/* IBA 9.4.4: with ORD 1 a second READ waits for the first; the send
 * queue stalls behind it and still completes in order. */
static void test_read_ord(void **state)
{
	struct world w;
	struct nx_rdma_qp_attr qa = { 0 };
	struct nx_rdma_qp *old = NULL;

	world_init(&w, 18, 7);
	qa.send_cq = qa.recv_cq = w.a.cq;
	qa.max_send_wr = qa.max_recv_wr = 8;
	qa.max_rd_atomic = 1;
	qa.rnr_retry = 7;
	old = w.a.qp;
	w.a.qp = nx_rdma_qp_new(w.a.pd, &qa);
	nx_rdma_qp_free(old);
	world_connect(&w);
	fill(w.b.buf, 3000, 77);
	assert_int_equal(post_recv(&w.b, 40, 10000, 64), 0);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_RDMA_READ, 0, 1000, raddr(&w.b, 0),
			      nx_rdma_mr_rkey(w.b.mr)), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_RDMA_READ, 1000, 2000,
			      raddr(&w.b, 1000), nx_rdma_mr_rkey(w.b.mr)), 0);
	assert_int_equal(post(&w.a, 3, NX_RDMA_WR_SEND, 0, 4, 0, 0), 0);
	run(&w);
	assert_int_equal(w.a.nwc, 3);
	for (unsigned i = 0; i < 3; i++)
		expect_wc(&w.a.wc[i], i + 1, NX_RDMA_WC_SUCCESS);
	assert_memory_equal(w.a.buf, w.b.buf, 3000);
	world_fini(&w);
}

/* IBA 11.4.2.1: a full CQ loses the completion and fails the QP. */
static void test_cq_overrun(void **state)
{
	struct world w;
	struct nx_rdma_cq *small;
	struct nx_rdma_qp_attr qa = { 0 };
	struct nx_rdma_qp *old;

	world_init(&w, 19, 7);
	small = nx_rdma_cq_new(w.a.dev, 2, NULL, NULL);
	qa.send_cq = qa.recv_cq = small;
	qa.max_send_wr = qa.max_recv_wr = 8;
	qa.rnr_retry = 7;
	old = w.a.qp;
	w.a.qp = nx_rdma_qp_new(w.a.pd, &qa);
	nx_rdma_qp_free(old);
	world_connect(&w);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(post(&w.a, i, NX_RDMA_WR_RDMA_WRITE, 0, 8,
				      raddr(&w.b, 0), nx_rdma_mr_rkey(w.b.mr)), 0);
	nx_sim_run_idle(w.sim, UINT64_MAX);
	assert_int_equal(nx_rdma_qp_state(w.a.qp), NX_RDMA_QPS_ERROR);
	assert_int_equal(nx_rdma_cq_poll(small, w.a.wc, WCS), 2);
	nx_rdma_qp_free(w.a.qp);
	w.a.qp = NULL;
	nx_rdma_cq_free(small);
	world_fini(&w);
}

/* ---- connection manager ------------------------------------------------------ */

static void cm_record(struct side *s, const struct nx_rdma_cm_event *ev)
{
	assert_true(s->nev < NX_ARRAY_SIZE(s->events));
	s->events[s->nev++] = ev->type;
	s->status = ev->status;
	s->priv_len = ev->private_data_len;
	if (ev->private_data_len > 0)
		memcpy(s->priv, ev->private_data, NX_MIN(ev->private_data_len, 64));
}

static void cm_a(void *ctx, const struct nx_rdma_cm_event *ev)
{
	cm_record(&((struct world *)ctx)->a, ev);
}

static bool accept_it;

static void cm_b(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct world *w = ctx;

	cm_record(&w->b, ev);
	if (ev->type != NX_RDMA_CM_CONNECT_REQUEST)
		return;
	w->b.id = ev->id;
	nx_rdma_cm_set_handler(ev->id, cm_b, w);
	assert_int_equal(post_recv(&w->b, 70, 0, 128), NX_EINVAL); /* RESET */
	if (accept_it)
		assert_int_equal(nx_rdma_cm_accept(ev->id, w->b.qp, "rep!", 4), 0);
	else
		assert_int_equal(nx_rdma_cm_reject(ev->id, "no", 2), 0);
}

/* A world of seed whose side b listens on port 3260 and accepts (or
 * rejects) what comes; a's REQ, without private data, is on its way. */
static void cm_start(struct world *w, uint64_t seed, bool accept)
{
	world_init(w, seed, 7);
	accept_it = accept;
	assert_int_equal(nx_rdma_cm_listen(w->b.dev, 3260, cm_b, w, &w->listener), 0);
	assert_int_equal(nx_rdma_cm_connect(w->a.dev, IP_B, 3260, w->a.qp, NULL, 0,
					    cm_a, w, &w->a.id), 0);
}

static void test_cm_connect_disconnect(void **state)
{
	struct world w;
	char local[32], peer[32];

	world_init(&w, 20, 7);
	accept_it = true;
	assert_int_equal(nx_rdma_cm_listen(w.b.dev, 3260, cm_b, &w, &w.listener), 0);
	assert_int_equal(nx_rdma_cm_listen(w.b.dev, 3260, cm_b, &w, &w.a.id), NX_EINVAL);
	assert_int_equal(nx_rdma_cm_connect(w.a.dev, IP_B, 3260, w.a.qp, "hello", 5,
					    cm_a, &w, &w.a.id), 0);
	assert_int_equal(post_recv(&w.a, 60, 0, 128), 0); /* INIT */
	run(&w);
	assert_int_equal(w.b.nev, 2);
	assert_int_equal(w.b.events[0], NX_RDMA_CM_CONNECT_REQUEST);
	assert_int_equal(w.b.events[1], NX_RDMA_CM_ESTABLISHED);
	assert_int_equal(w.a.nev, 1);
	assert_int_equal(w.a.events[0], NX_RDMA_CM_ESTABLISHED);
	assert_int_equal(w.a.priv_len, 4);
	assert_memory_equal(w.a.priv, "rep!", 4);
	assert_int_equal(nx_rdma_qp_state(w.a.qp), NX_RDMA_QPS_RTS);
	assert_int_equal(nx_rdma_qp_state(w.b.qp), NX_RDMA_QPS_RTS);
	nx_rdma_cm_addrs(w.a.id, local, peer, sizeof(local));
	assert_string_equal(peer, "10.0.0.2:3260");
	nx_rdma_cm_addrs(w.b.id, local, peer, sizeof(local));
	assert_string_equal(local, "10.0.0.2:3260");
	/* traffic works; then disconnect flushes and tells both sides */
	assert_int_equal(post(&w.b, 61, NX_RDMA_WR_SEND, 0, 16, 0, 0), 0);
	run(&w);
	expect_wc(&w.a.wc[0], 60, NX_RDMA_WC_SUCCESS);
	assert_int_equal(post_recv(&w.a, 62, 0, 128), 0);
	nx_rdma_cm_disconnect(w.a.id);
	nx_rdma_cm_disconnect(w.a.id); /* idempotent */
	run(&w);
	assert_int_equal(w.a.events[w.a.nev - 1], NX_RDMA_CM_DISCONNECTED);
	assert_int_equal(w.b.events[w.b.nev - 1], NX_RDMA_CM_DISCONNECTED);
	assert_int_equal(w.a.nev, 2);
	assert_int_equal(w.b.nev, 3);
	expect_wc(&w.a.wc[1], 62, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_both_error(&w);
	world_fini(&w);
}

static void test_cm_reject(void **state)
{
	struct world w;

	cm_start(&w, 21, false);
	run(&w);
	assert_int_equal(w.a.nev, 1);
	assert_int_equal(w.a.events[0], NX_RDMA_CM_REJECTED);
	assert_int_equal(w.a.status, NX_RDMA_CM_REJ_CONSUMER);
	assert_int_equal(w.a.priv_len, 2);
	assert_memory_equal(w.a.priv, "no", 2);
	nx_rdma_cm_id_free(w.a.id);
	w.a.id = NULL;
	/* no listener on the port: REJ "invalid service ID" */
	assert_int_equal(nx_rdma_cm_connect(w.a.dev, IP_B, 860, w.a.qp, NULL, 0,
					    cm_a, &w, &w.a.id), 0);
	run(&w);
	assert_int_equal(w.a.events[1], NX_RDMA_CM_REJECTED);
	assert_int_equal(w.a.status, NX_RDMA_CM_REJ_INVALID_SERVICE_ID);
	nx_rdma_cm_id_free(w.a.id);
	w.a.id = NULL;
	/* nobody at the address */
	assert_int_equal(nx_rdma_cm_connect(w.a.dev, 0x0a0000ffu, 3260, w.a.qp, NULL,
					    0, cm_a, &w, &w.a.id), 0);
	run(&w);
	assert_int_equal(w.a.events[2], NX_RDMA_CM_UNREACHABLE);
	world_fini(&w);
}

/* The active side gives up before the REP arrives, so no RTU ever
 * comes: the passive side hears UNREACHABLE when its REP timer runs
 * out (rdma_cm after IB_CM_REP_ERROR), its QP in ERROR. */
static void test_cm_rtu_never_comes(void **state)
{
	struct world w;

	cm_start(&w, 23, true);
	nx_rdma_cm_disconnect(w.a.id); /* REQ already on the wire */
	run(&w);
	assert_int_equal(w.a.nev, 0);
	assert_int_equal(w.b.nev, 2);
	assert_int_equal(w.b.events[0], NX_RDMA_CM_CONNECT_REQUEST);
	assert_int_equal(w.b.events[1], NX_RDMA_CM_UNREACHABLE);
	assert_int_equal(nx_rdma_qp_state(w.b.qp), NX_RDMA_QPS_ERROR);
	world_fini(&w);
}

/* Fault: the connection breaks; outstanding work fails RETRY_EXC_ERR,
 * the rest flushes, a disconnect ends on its timer (no DREP comes). */
static void test_qp_break(void **state)
{
	struct world w;

	cm_start(&w, 22, true);
	run(&w);
	assert_int_equal(post_recv(&w.b, 1, 0, 64), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_RDMA_READ, 0, 64, raddr(&w.b, 0),
			      nx_rdma_mr_rkey(w.b.mr)), 0);
	assert_int_equal(post(&w.a, 3, NX_RDMA_WR_SEND, 0, 64, 0, 0), 0);
	nx_sim_rdma_qp_break(w.a.qp);
	run(&w);
	assert_int_equal(w.a.nwc, 2);
	expect_wc(&w.a.wc[0], 2, NX_RDMA_WC_RETRY_EXC_ERR);
	expect_wc(&w.a.wc[1], 3, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_wc(&w.b.wc[0], 1, NX_RDMA_WC_WR_FLUSH_ERR);
	expect_both_error(&w);
	nx_rdma_cm_disconnect(w.a.id);
	nx_rdma_cm_disconnect(w.b.id);
	run(&w);
	assert_int_equal(w.a.events[w.a.nev - 1], NX_RDMA_CM_DISCONNECTED);
	assert_int_equal(w.b.events[w.b.nev - 1], NX_RDMA_CM_DISCONNECTED);
	assert_true(nx_sim_now(w.sim) >= 20000000);
	world_fini(&w);
}

/* Fault: every successful requester completion turns into RETRY_EXC_ERR. */
static void test_cqe_error_injection(void **state)
{
	struct world w;
	struct nx_sim_rdma_opts o;
	struct nx_sim_rdma_stats st;

	nx_sim_rdma_opts_default(&o);
	o.cqe_error_ppb = 1000000000u;
	world_init_opts(&w, 23, 7, &o);
	world_connect(&w);
	assert_int_equal(post(&w.a, 1, NX_RDMA_WR_RDMA_WRITE, 0, 8, raddr(&w.b, 0),
			      nx_rdma_mr_rkey(w.b.mr)), 0);
	assert_int_equal(post(&w.a, 2, NX_RDMA_WR_RDMA_WRITE, 0, 8, raddr(&w.b, 0),
			      nx_rdma_mr_rkey(w.b.mr)), 0);
	run(&w);
	expect_wc(&w.a.wc[0], 1, NX_RDMA_WC_RETRY_EXC_ERR);
	expect_wc(&w.a.wc[1], 2, NX_RDMA_WC_WR_FLUSH_ERR);
	nx_sim_rdma_stats(w.f, &st);
	assert_int_equal(st.injected, 1);
	world_fini(&w);
}

/* ---- timing and determinism ------------------------------------------------- */

/* Serialization at the link's bandwidth: 1 MiB at 8 Gb/s is >= 1 ms. */
static void test_bandwidth(void **state)
{
	struct world w;
	struct nx_sim_rdma_opts o;
	static uint8_t big[1 << 20];
	struct nx_rdma_mr *mr;
	struct nx_rdma_sge sge;
	struct nx_rdma_send_wr wr = { .wr_id = 1, .opcode = NX_RDMA_WR_RDMA_WRITE,
				      .num_sge = 1 };

	nx_sim_rdma_opts_default(&o);
	o.bandwidth_bps = 8000000000ull;
	world_init_opts(&w, 24, 7, &o);
	world_connect(&w);
	mr = nx_rdma_reg_mr(w.b.pd, big, sizeof(big), NX_RDMA_ACCESS_REMOTE_WRITE);
	sge = sge_of(&w.a, 0, BUF);
	wr.sg_list = &sge;
	for (unsigned i = 0; i < 16; i++) {
		wr.wr_id = i;
		wr.remote_addr = nx_rdma_mr_iova(mr) + i * BUF;
		wr.rkey = nx_rdma_mr_rkey(mr);
		assert_int_equal(nx_rdma_post_send(w.a.qp, &wr), 0);
	}
	run(&w);
	assert_int_equal(w.a.nwc, 16);
	assert_true(nx_sim_now(w.sim) >= 1048576ull * 8 / 8);
	nx_rdma_dereg_mr(mr);
	world_fini(&w);
}

static uint64_t jitter_run(uint64_t seed)
{
	struct world w;
	struct nx_sim_rdma_opts o;
	uint64_t h = 1469598103934665603ull;

	nx_sim_rdma_opts_default(&o);
	o.jitter_ns = 5000;
	world_init_opts(&w, seed, 7, &o);
	world_connect(&w);
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(post_recv(&w.b, 100 + i, i * 64, 64), 0);
		assert_int_equal(post(&w.a, i, NX_RDMA_WR_SEND, i, 64, 0, 0), 0);
	}
	while (nx_sim_step(w.sim)) {
		struct nx_rdma_wc wc;

		while (nx_rdma_cq_poll(w.b.cq, &wc, 1) == 1) {
			h = (h ^ wc.wr_id ^ nx_sim_now(w.sim)) * 1099511628211ull;
			assert_int_equal(wc.wr_id, 100 + w.b.nwc++);
		}
	}
	world_fini(&w);
	return h;
}

static void test_determinism(void **state)
{
	assert_int_equal(jitter_run(99), jitter_run(99));
	assert_int_not_equal(jitter_run(99), jitter_run(100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp_states),
		cmocka_unit_test(test_send_recv),
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_rc_ordering),
		cmocka_unit_test(test_remote_access_error),
		cmocka_unit_test(test_access_rights),
		cmocka_unit_test(test_access_other_pd),
		cmocka_unit_test(test_loc_len_err),
		cmocka_unit_test(test_local_protection),
		cmocka_unit_test(test_rnr_retry),
		cmocka_unit_test(test_rnr_exhausted),
		cmocka_unit_test(test_peer_gone),
		cmocka_unit_test(test_read_ord),
		cmocka_unit_test(test_cq_overrun),
		cmocka_unit_test(test_cm_connect_disconnect),
		cmocka_unit_test(test_cm_reject),
		cmocka_unit_test(test_cm_rtu_never_comes),
		cmocka_unit_test(test_qp_break),
		cmocka_unit_test(test_cqe_error_injection),
		cmocka_unit_test(test_bandwidth),
		cmocka_unit_test(test_determinism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
