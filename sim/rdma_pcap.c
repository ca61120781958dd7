/*
 * rdma_pcap.c - RoCEv2 capture of the simulated fabric: not written yet
 * (see nx_sim_rdma.h).  Every packet already comes through here with the
 * fields the frames need.
 */
#include "rdma_internal.h"

void nx_sim_rdma_pcap_write(struct nx_sim_rdma *f, const struct rdma_pkt *p)
{
	(void)f;
	(void)p;
}
