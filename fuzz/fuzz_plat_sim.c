/*
 * fuzz_plat_sim.c - fz_platform_reset() / fz_platform_done() for the
 * targets that run on the simulator's platform (libnx_sim.a, column 3
 * "sim" in fuzz/targets.txt): a fresh nx_sim per input gives a virtual
 * clock the input can advance (CHAP lockout, ALUA transition timers,
 * login timeouts, the simulated RDMA fabric), nx_random_u64() seeded
 * with FZ_SEED as on platform/user, an empty persistence store, and an
 * allocation counter: fz_platform_done() fails the input when an
 * nx_alloc() was not freed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_plat_sim.h"

#define FZ_SIM_EVENTS 8192u
/* Virtual time a fabric gets to fall idle (RC retries, CM timers). */
#define FZ_RDMA_SETTLE_NS (120ull * 1000000000ull)

static struct nx_sim *sim;
static int64_t allocs0;

void fz_platform_reset(void)
{
	struct nx_sim_opts so = { .seed = FZ_SEED, .events_max = FZ_SIM_EVENTS };
	bool debug = getenv("FZ_DEBUG") != NULL;

	fz_check(sim == NULL);
	sim = nx_sim_new(&so);
	fz_check(sim != NULL);
	nx_sim_set_current(sim);
	/* The CHAP challenge fuzz_plat_user.c's targets see: captured
	 * CHAP logins (fuzz_conn_stream's corpus) replay on either. */
	nx_sim_seed_random(sim, FZ_SEED);
	nx_sim_set_repro(sim, "this fuzz input (FZ_DEBUG=1 logs the run)");
	nx_sim_log_config(sim, debug ? stderr : NULL,
			  debug ? NX_LOG_DEBUG : NX_LOG_ERR);
	allocs0 = nx_sim_alloc_outstanding();
}

void fz_platform_done(void)
{
	int64_t left = nx_sim_alloc_outstanding() - allocs0;

	fz_check(sim != NULL);
	if (left != 0)
		fz_fail("%lld nx_alloc() blocks not freed at the end of the input",
			(long long)left);
	nx_sim_free(sim);
	sim = NULL;
}

void fz_platform_drain(bool (*done)(void *arg), void *arg)
{
	for (unsigned ms = 0; ms < FZ_DRAIN_MS && !done(arg); ms += 10)
		fz_sim_run_ms(10);
}

struct nx_sim *fz_sim(void)
{
	fz_check(sim != NULL);
	return sim;
}

void fz_sim_run_ms(uint64_t ms)
{
	nx_sim_run_for(fz_sim(), ms * 1000000ull);
}

struct nx_sim_rdma *fz_rdma_fabric_new(bool cqe_errors, uint32_t ip_t,
				       uint32_t ip_i, struct nx_rdma_dev **tdev,
				       struct nx_rdma_dev **idev)
{
	struct nx_sim_rdma_opts o;
	struct nx_sim_rdma *f;

	nx_sim_rdma_opts_default(&o);
	if (cqe_errors)
		o.cqe_error_ppb = 1000000;
	f = nx_sim_rdma_new(fz_sim(), &o);
	fz_check(f != NULL);
	*tdev = nx_sim_rdma_dev_new(f, "target", ip_t);
	*idev = nx_sim_rdma_dev_new(f, "fuzz", ip_i);
	fz_check(*tdev != NULL && *idev != NULL);
	return f;
}

void fz_rdma_fabric_end(struct nx_sim_rdma *f)
{
	nx_sim_run_idle(fz_sim(), nx_sim_now(fz_sim()) + FZ_RDMA_SETTLE_NS);
	if (nx_sim_rdma_live(f) != 0)
		fz_fail("%u RDMA objects left", nx_sim_rdma_live(f));
	nx_sim_rdma_free(f);
}

struct nx_rdma_mr *fz_rdma_reg(struct nx_rdma_pd *pd, void *buf, size_t len,
			       unsigned access)
{
	struct nx_rdma_mr *mr = nx_rdma_reg_mr(pd, buf, len, access);

	fz_check(mr != NULL);
	return mr;
}

struct nx_rdma_qp *fz_rdma_qp_new(struct nx_rdma_pd *pd,
				  struct nx_rdma_cq *cq, uint32_t send_wr,
				  uint32_t recv_wr)
{
	struct nx_rdma_qp_attr qa = { 0 };
	struct nx_rdma_qp *qp;

	qa.send_cq = qa.recv_cq = cq;
	qa.max_send_wr = send_wr;
	qa.max_recv_wr = recv_wr;
	qa.max_rd_atomic = 16;
	qa.max_dest_rd_atomic = 16;
	qa.rnr_retry = 7;
	qp = nx_rdma_qp_new(pd, &qa);
	fz_check(qp != NULL);
	fz_check(nx_rdma_qp_modify(qp, NX_RDMA_QPS_INIT, NULL) == NX_OK);
	return qp;
}
