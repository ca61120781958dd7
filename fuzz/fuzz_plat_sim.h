/*
 * fuzz_plat_sim.h - the simulator platform under the "sim" fuzz targets
 * (fuzz_plat_sim.c): the sim of the current input and a way to let its
 * virtual time pass.
 */
#ifndef NX_FUZZ_PLAT_SIM_H
#define NX_FUZZ_PLAT_SIM_H

#include "sim/nx_sim.h"
#include "sim/nx_sim_rdma.h"

/* The sim fz_platform_reset() made for this input. */
struct nx_sim *fz_sim(void);
/* Runs every event due in the next ms milliseconds of virtual time. */
void fz_sim_run_ms(uint64_t ms);

/* The simulated RDMA fabric of fuzz_iser and fuzz_srp: a device for the
 * target at ip_t and one for the harness at ip_i; cqe_errors makes
 * completions fail now and then.  fz_rdma_fabric_end(), once the target
 * and every object of the harness are freed, lets time pass until the
 * fabric is idle, fails the input if an RDMA object is left, frees it. */
struct nx_sim_rdma *fz_rdma_fabric_new(bool cqe_errors, uint32_t ip_t,
				       uint32_t ip_i, struct nx_rdma_dev **tdev,
				       struct nx_rdma_dev **idev);
void fz_rdma_fabric_end(struct nx_sim_rdma *f);

/* The harness's own RDMA objects (a raw initiator): */
#define FZ_RDMA_ACCESS_RW (NX_RDMA_ACCESS_LOCAL_WRITE |                    \
			   NX_RDMA_ACCESS_REMOTE_READ |                    \
			   NX_RDMA_ACCESS_REMOTE_WRITE)
/* A memory region of buf; fails the input if the fabric refuses it. */
struct nx_rdma_mr *fz_rdma_reg(struct nx_rdma_pd *pd, void *buf, size_t len,
			       unsigned access);
/* An RC QP on cq (sends and receives), in INIT: send_wr / recv_wr work
 * requests deep, up to 16 RDMA READs each way (the target READs the
 * harness's buffers), RNR retried (7: for ever). */
struct nx_rdma_qp *fz_rdma_qp_new(struct nx_rdma_pd *pd,
				  struct nx_rdma_cq *cq, uint32_t send_wr,
				  uint32_t recv_wr);

#endif /* NX_FUZZ_PLAT_SIM_H */
