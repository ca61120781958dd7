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
 * Capture (nx_sim_rdma_set_pcap): every wire packet as RoCEv2 frames,
 * Ethernet / IPv4 / UDP 4791 / BTH / RETH | AETH | DETH / payload / ICRC,
 * RC messages cut at the path MTU with their PSNs, and the CM exchange
 * as MADs to QP1 (REQ with the IP-based service ID and the IP CM private
 * data header, REP, RTU, REJ, DREQ, DREP), so Wireshark follows the
 * connections (iSER on port 3260) from the CM on.  The fabric's own
 * retries (RNR, transport timer) are not drawn.  See rdma_pcap.c.
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
/* Capture every packet from now on (NULL stops, writing what is still
 * held for time order; so does nx_sim_rdma_free); not owned. */
void nx_sim_rdma_set_pcap(struct nx_sim_rdma *f, struct nx_sim_pcap *pc);
/* RoCEv2 ICRC (IBA Annex A17.4.1) of the packet at ip (IPv4 header, no
 * options) of len bytes, its last 4 the ICRC field; put_icrc fills it. */
uint32_t nx_sim_roce_icrc(const uint8_t *ip, size_t len);
void nx_sim_roce_put_icrc(uint8_t *ip, size_t len);

/* Fault: the connection of qp breaks (see above). */
void nx_sim_rdma_qp_break(struct nx_rdma_qp *qp);
/* The same for the QP numbered qpn on dev; false if there is none. */
bool nx_sim_rdma_qp_break_num(struct nx_rdma_dev *dev, uint32_t qpn);

/* A tap sees each wire message as it leaves its sender (fault scenarios
 * aim at a transfer with it).  It runs inside the fabric: it may only
 * look and schedule sim events, never call into the fabric. */
enum nx_sim_rdma_tap_kind {
	NX_SIM_RDMA_TAP_SEND,
	NX_SIM_RDMA_TAP_WRITE,
	NX_SIM_RDMA_TAP_READ_REQ,
	NX_SIM_RDMA_TAP_READ_RSP,
	NX_SIM_RDMA_TAP_ACK,
	NX_SIM_RDMA_TAP_NAK,
	NX_SIM_RDMA_TAP_CM,
};
struct nx_sim_rdma_tap_msg {
	uint8_t kind;               /* enum nx_sim_rdma_tap_kind */
	struct nx_rdma_dev *src, *dst;
	uint32_t src_qpn, dst_qpn;  /* 1 for CM messages */
	uint32_t len;               /* payload (READ_REQ: the length asked) */
};
typedef void (*nx_sim_rdma_tap_fn)(void *arg,
				   const struct nx_sim_rdma_tap_msg *m);
/* One tap per fabric; NULL removes it. */
void nx_sim_rdma_set_tap(struct nx_sim_rdma *f, nx_sim_rdma_tap_fn fn,
			 void *arg);
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
