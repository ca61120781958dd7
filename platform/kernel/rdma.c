// SPDX-License-Identifier: GPL-2.0
/*
 * rdma.c - platform/nx_rdma.h in the kernel: not implemented yet.
 *
 * The iSER transport is built into nexus.ko (kernel/Kbuild) so that it
 * keeps compiling under the kernel's flags, but no device is ever handed
 * to it: every constructor fails and nothing else can be reached.  An
 * ib_core backend (ib_alloc_pd, ib_create_cq, rdma_create_id...) would
 * replace this file.
 */
#include "../nx_rdma.h"

struct nx_rdma_pd *nx_rdma_pd_new(struct nx_rdma_dev *dev)
{
	return NULL;
}

void nx_rdma_pd_free(struct nx_rdma_pd *pd)
{
}

struct nx_rdma_mr *nx_rdma_reg_mr(struct nx_rdma_pd *pd, void *addr,
				  size_t len, unsigned access)
{
	return NULL;
}

void nx_rdma_dereg_mr(struct nx_rdma_mr *mr)
{
}

uint32_t nx_rdma_mr_lkey(const struct nx_rdma_mr *mr)
{
	return 0;
}

uint32_t nx_rdma_mr_rkey(const struct nx_rdma_mr *mr)
{
	return 0;
}

uint64_t nx_rdma_mr_iova(const struct nx_rdma_mr *mr)
{
	return 0;
}

struct nx_rdma_cq *nx_rdma_cq_new(struct nx_rdma_dev *dev, unsigned depth,
				  nx_rdma_cq_fn notify, void *arg)
{
	return NULL;
}

void nx_rdma_cq_free(struct nx_rdma_cq *cq)
{
}

unsigned nx_rdma_cq_poll(struct nx_rdma_cq *cq, struct nx_rdma_wc *wc,
			 unsigned n)
{
	return 0;
}

void nx_rdma_cq_arm(struct nx_rdma_cq *cq)
{
}

struct nx_rdma_qp *nx_rdma_qp_new(struct nx_rdma_pd *pd,
				  const struct nx_rdma_qp_attr *attr)
{
	return NULL;
}

void nx_rdma_qp_free(struct nx_rdma_qp *qp)
{
}

uint32_t nx_rdma_qp_num(const struct nx_rdma_qp *qp)
{
	return 0;
}

enum nx_rdma_qp_state nx_rdma_qp_state(const struct nx_rdma_qp *qp)
{
	return NX_RDMA_QPS_ERROR;
}

int nx_rdma_qp_modify(struct nx_rdma_qp *qp, enum nx_rdma_qp_state to,
		      const struct nx_rdma_qp_peer *peer)
{
	return NX_EINVAL;
}

int nx_rdma_post_send(struct nx_rdma_qp *qp, const struct nx_rdma_send_wr *wr)
{
	return NX_EINVAL;
}

int nx_rdma_post_recv(struct nx_rdma_qp *qp, const struct nx_rdma_recv_wr *wr)
{
	return NX_EINVAL;
}

int nx_rdma_cm_listen(struct nx_rdma_dev *dev, uint16_t port,
		      nx_rdma_cm_fn fn, void *ctx, struct nx_rdma_cm_id **out)
{
	return NX_EINVAL;
}

int nx_rdma_cm_connect(struct nx_rdma_dev *dev, uint32_t dst_ipv4,
		       uint16_t port, struct nx_rdma_qp *qp, const void *priv,
		       uint8_t priv_len, nx_rdma_cm_fn fn, void *ctx,
		       struct nx_rdma_cm_id **out)
{
	return NX_EINVAL;
}

void nx_rdma_cm_set_handler(struct nx_rdma_cm_id *id, nx_rdma_cm_fn fn,
			    void *ctx)
{
}

struct nx_rdma_dev *nx_rdma_cm_dev(const struct nx_rdma_cm_id *id)
{
	return NULL;
}

int nx_rdma_cm_accept(struct nx_rdma_cm_id *id, struct nx_rdma_qp *qp,
		      const void *priv, uint8_t priv_len)
{
	return NX_EINVAL;
}

int nx_rdma_cm_reject(struct nx_rdma_cm_id *id, const void *priv,
		      uint8_t priv_len)
{
	return NX_EINVAL;
}

void nx_rdma_cm_disconnect(struct nx_rdma_cm_id *id)
{
}

void nx_rdma_cm_id_free(struct nx_rdma_cm_id *id)
{
}

void nx_rdma_cm_addrs(const struct nx_rdma_cm_id *id, char *local,
		      char *peer, size_t len)
{
	if (len > 0) {
		local[0] = '\0';
		peer[0] = '\0';
	}
}
