/*
 * nx_sim_rdma.h - the simulated RDMA fabric behind platform/nx_rdma.h.
 *
 * A fabric connects simulated devices (HCAs, one per simulated host that
 * speaks RDMA), each with an IPv4 address (RoCEv2 style addressing: the
 * CM resolves dst_ipv4 to a device).  Messages travel as RC transport
 * messages on a lossless fabric (InfiniBand credit flow control, RoCE
 * with PFC): the link options give latency, jitter (never reordering a
 * path: an RC path delivers in order) and bandwidth (serialization per
 * device egress port).  Loss, duplication and reordering are TCP faults
 * and are not applied here; the fabric's own faults are:
 *   - cqe_error_ppb: a requester completion that would succeed fails
 *     with RETRY_EXC_ERR instead (the ACK "never came"), QP to ERROR;
 *   - nx_sim_rdma_qp_break(): the connection of a QP dies on both ends
 *     (both QPs to ERROR, the oldest outstanding send fails
 *     RETRY_EXC_ERR; a later disconnect's DREQ goes unanswered).
 * A message sent to a QP that is gone or not ready is dropped; the
 * requester then fails it with RETRY_EXC_ERR after retry_timeout_ns, as
 * the transport timer of a real HCA would.
 *
 * Every draw comes from streams forked off the sim's seed ("rdma.jitter",
 * "rdma.faults"); QPNs, keys and iovas are counters: same seed, same run.
 * Callbacks (CQ notify, CM events) run from sim events only.
 *
 * Capture: not written yet.  nx_sim_rdma_set_pcap() is accepted and
 * every packet passes through nx_sim_rdma_pcap_write() as it leaves its
 * sender, with what a RoCEv2 frame needs (devices, QPNs, PSNs, RETH and
 * AETH fields, CM ids and service port), but rdma_pcap.c writes nothing
 * so far (Ethernet / IPv4 / UDP 4791 / BTH / RETH / AETH / ICRC, and the
 * CM REQ/REP/RTU MADs to QP1, are the plan).
 *
 * Files: rdma.c (devices, PDs, MRs, CQs, QPs, the RC engine), rdma_cm.c
 * (connection manager), rdma_pcap.c (capture); rdma_internal.h between
 * them.
 */
#ifndef NX_SIM_RDMA_H
#define NX_SIM_RDMA_H

#include "nx_sim.h"
#include "nx_sim_pcap.h"
#include "link/nx_link.h"
#include "../platform/nx_rdma.h"

#define NX_SIM_RDMA_DEVS_MAX 64

struct nx_sim_rdma;

struct nx_sim_rdma_opts {
	uint64_t latency_ns;
	uint64_t jitter_ns;        /* uniform in [0, jitter], order kept */
	uint64_t bandwidth_bps;    /* 0 = infinite */
	uint32_t mtu;              /* path MTU: 256..4096 */
	uint64_t rnr_delay_ns;     /* RNR NAK timer (IBA 9.7.5.2.8) */
	uint64_t retry_timeout_ns; /* silence before RETRY_EXC_ERR */
	uint64_t cm_timeout_ns;    /* a REQ or DREQ without answer */
	uint32_t cqe_error_ppb;    /* fault: see above */
};

/* 1 us latency, 100 Gb/s, MTU 4096, RNR delay 10 us, 4 ms retry
 * timeout, no faults. */
void nx_sim_rdma_opts_default(struct nx_sim_rdma_opts *o);
/* latency, jitter and bandwidth from a link model's options. */
void nx_sim_rdma_opts_from_link(struct nx_sim_rdma_opts *o,
				const struct nx_link_opts *link);

struct nx_sim_rdma *nx_sim_rdma_new(struct nx_sim *sim,
				    const struct nx_sim_rdma_opts *o);
/* Every object must have been freed (asserted), except devices. */
void nx_sim_rdma_free(struct nx_sim_rdma *f);
/* ipv4 in host order, unique; name for logs and the capture. */
struct nx_rdma_dev *nx_sim_rdma_dev_new(struct nx_sim_rdma *f,
					const char *name, uint32_t ipv4);
uint32_t nx_sim_rdma_dev_ip(const struct nx_rdma_dev *dev);
/* Capture every packet from now on (NULL stops); not owned. */
void nx_sim_rdma_set_pcap(struct nx_sim_rdma *f, struct nx_sim_pcap *pc);

/* Fault: the connection of qp breaks (see above). */
void nx_sim_rdma_qp_break(struct nx_rdma_qp *qp);
/* Fault: the device's port goes down: every connection of it breaks. */
void nx_sim_rdma_dev_fail(struct nx_rdma_dev *dev);

struct nx_sim_rdma_stats {
	uint64_t msgs, bytes, packets;     /* requests, payload, wire packets */
	uint64_t rnr_naks, naks, flushed, dropped, injected;
	uint64_t cm_msgs;
};
void nx_sim_rdma_stats(const struct nx_sim_rdma *f,
		       struct nx_sim_rdma_stats *out);
/* Live objects (tests check they return to zero). */
unsigned nx_sim_rdma_live(const struct nx_sim_rdma *f);

#endif /* NX_SIM_RDMA_H */
