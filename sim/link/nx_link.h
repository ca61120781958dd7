/*
 * nx_link.h - link models: what happens to a packet between two
 * simulated hosts.
 *
 * A link is configured by one options struct (TigerBeetle's packet
 * simulator style) that is either parsed from a --link string or drawn
 * from the run's seed, and it answers one question per packet: when (if
 * ever, and how many times) does it arrive?  It knows nothing about TCP.
 *
 *   ideal                  fixed latency, infinite bandwidth, no faults
 *   parametric             latency + uniform jitter, bandwidth
 *                          (serialization per direction), loss,
 *                          duplication, reordering (an extra delay), and
 *                          partitions at scheduled times
 *   ns3                    ns-3 (libns3-dev) carries every packet over its
 *                          point-to-point or CSMA devices and channels:
 *                          data rate, propagation delay, a drop-tail device
 *                          queue, a packet error model, MTU (link/ns3.c,
 *                          link/ns3_shim.cc); asynchronous (see below)
 *
 * String form (nx_link_parse / nx_link_format round-trip):
 *   ideal[:latency=10us][,mtu=9000]
 *   parametric:latency=50us,jitter=20us,loss=0.01,dup=0.001,
 *              reorder=0.01,reorder_delay=200us,bw=10G,partition=10ms+5ms
 *   random                 parametric, every knob drawn from the seed
 *   ns3[:topo=p2p,rate=1G,delay=50us,queue=1000p,loss=0.001,mtu=1500]
 *                          topo=p2p (a full-duplex point-to-point link per
 *                          host pair) or csma (one shared segment);
 *                          rate/bw and delay/latency are aliases; queue is
 *                          packets ("100p", "100") or bytes ("64000B")
 * Durations take ns/us/ms/s (default ns) and decimals ("1.5ms");
 * probabilities are decimals ("0.01") or percentages ("1%"), kept as
 * parts per billion; bandwidth is bits/s with K/M/G suffixes.  mtu
 * (either model; 576..9000 bytes of IPv4 packet, default 1500: Ethernet)
 * sets the TCP MSS of the net built on the link (mtu - 40), e.g. 9000
 * for the jumbo frames iSCSI SANs run.  partition
 * may repeat: "partition=AT+DURATION" cuts every path for DURATION from
 * virtual time AT.  No floating point in nexus (ns-3 computes its
 * rates and error draws in double, deterministically).
 */
#ifndef NX_LINK_H
#define NX_LINK_H

#include "../nx_sim.h"

#define NX_LINK_PARTITIONS_MAX 8
#define NX_LINK_NODES_MAX 64
#define NX_LINK_ALL UINT32_MAX
#define NX_LINK_STR_MAX 512

enum nx_link_kind {
	NX_LINK_IDEAL,
	NX_LINK_PARAMETRIC,
	NX_LINK_NS3,
};

enum nx_link_topo {
	NX_LINK_TOPO_P2P,  /* one point-to-point link per host pair */
	NX_LINK_TOPO_CSMA, /* every host on one CSMA segment */
};

struct nx_link_partition {
	uint64_t at_ns;
	uint64_t duration_ns;
};

struct nx_link_opts {
	enum nx_link_kind kind;
	uint64_t latency_ns;
	uint64_t jitter_ns;        /* uniform extra delay in [0, jitter] */
	uint64_t bandwidth_bps;    /* 0 = infinite */
	uint32_t loss_ppb;
	uint32_t dup_ppb;
	uint32_t reorder_ppb;
	uint64_t reorder_delay_ns; /* extra delay of a reordered packet */
	struct nx_link_partition partitions[NX_LINK_PARTITIONS_MAX];
	unsigned partition_count;
	/* ns3 only (latency_ns is the channel delay, bandwidth_bps the
	 * device data rate, loss_ppb the receive error model's rate). */
	enum nx_link_topo topo;
	uint32_t queue_len;        /* drop-tail device queue limit */
	bool queue_bytes;          /* queue_len counts bytes, not packets */
	/* every model: IP MTU, the sim's TCP MSS follows it; 0 = 1500;
	 * never drawn by "random" */
	uint32_t mtu;
};

#define NX_LINK_MTU_MIN 576u
#define NX_LINK_MTU_MAX 9000u

/* False when this build has no ns-3 (ns3 links then fail to parse with
 * a message saying how to get it). */
bool nx_link_ns3_available(void);

void nx_link_opts_ideal(struct nx_link_opts *o);
/* A random parametric link: every knob drawn from rng, bounded so a TCP
 * connection survives (loss <= 5%, partitions shorter than the RTO
 * budget). */
void nx_link_opts_from_seed(struct nx_link_opts *o, struct nx_rng *rng);
/* 0, or NX_EINVAL with a message in err.  rng is only used by "random"
 * (NULL makes "random" an error). */
int nx_link_parse(const char *s, struct nx_link_opts *o, struct nx_rng *rng,
		  char *err, size_t err_len);
/* Canonical string that nx_link_parse() maps back to the same options. */
int nx_link_format(const struct nx_link_opts *o, char *buf, size_t len);

struct nx_link;

struct nx_link_stats {
	uint64_t sent, delivered, lost, partitioned, duplicated, reordered;
};

/* nodes: number of endpoints (hosts), <= NX_LINK_NODES_MAX. */
struct nx_link *nx_link_new(struct nx_sim *sim, const struct nx_link_opts *o,
			    unsigned nodes);
void nx_link_free(struct nx_link *link);
const struct nx_link_opts *nx_link_opts(const struct nx_link *link);

/* A packet of wire_bytes leaves src for dst now.  Returns how many copies
 * arrive (0: lost, 2: duplicated) and their absolute arrival times. */
unsigned nx_link_send(struct nx_link *link, unsigned src, unsigned dst,
		      uint32_t wire_bytes, uint64_t arrive_ns[2]);

/* Trains (what TSO hands a NIC): true while every packet sent now
 * arrives exactly once, at one time that does not depend on the
 * packet (the ideal link with nothing cut, which nx_link_send answers
 * inline).  Then nx_link_send_train() may take several packets for
 * one destination at once: it counts each as nx_link_send() would and
 * returns their arrival time.  A sender still captures every packet
 * and must send them one by one while nx_link_trains() is false. */
bool nx_link_trains(const struct nx_link *link);
uint64_t nx_link_send_train(struct nx_link *link, unsigned src, unsigned dst,
			    unsigned packets);

/* Manual partitions, both directions; NX_LINK_ALL as a wildcard. */
void nx_link_cut(struct nx_link *link, unsigned a, unsigned b, bool cut);
bool nx_link_is_cut(const struct nx_link *link, unsigned src, unsigned dst);

void nx_link_stats(const struct nx_link *link, struct nx_link_stats *out);

/* Asynchronous links (ns3) cannot answer nx_link_send() at once: ns-3
 * decides a packet's fate as its own simulation, stepped by the nx_sim
 * clock, reaches it.  The owner registers a sink and hands packets over
 * with nx_link_submit(); each accepted cookie comes back exactly once,
 * through arrive() at its arrival time (called from an nx_sim event or
 * from inside nx_link_submit(), never later than now: the callee only
 * schedules) or through drop().  Cookies still inside the link when it
 * is freed are forgotten (their owner frees them).  nx_link_send() is
 * for synchronous links only. */
struct nx_link_sink {
	void (*arrive)(void *arg, void *cookie, uint64_t at_ns);
	void (*drop)(void *arg, void *cookie);
	void *arg;
};

bool nx_link_async(const struct nx_link *link);
void nx_link_set_sink(struct nx_link *link, const struct nx_link_sink *sink);
/* False: the packet was not taken (cut, or refused at once: full queue,
 * larger than the MTU) and the cookie is the caller's again. */
bool nx_link_submit(struct nx_link *link, unsigned src, unsigned dst,
		    uint32_t wire_bytes, void *cookie);

/* ---- models (link/ideal.c, link/parametric.c) ----------------------------- */

struct nx_link_path {
	uint64_t busy_until_ns; /* serialization: when the wire is free */
	bool cut;
};

struct nx_link_model {
	const char *name;
	enum nx_link_kind kind;
	/* Synchronous models. */
	unsigned (*send)(struct nx_link *link, struct nx_link_path *path,
			 uint32_t wire_bytes, uint64_t arrive_ns[2]);
	/* Asynchronous models: per-instance state, and submit, which
	 * reports each accepted cookie later through nx_link_model_done(). */
	void *(*open)(struct nx_link *link, unsigned nodes);
	void (*close)(void *state);
	bool (*submit)(void *state, unsigned src, unsigned dst,
		       uint32_t wire_bytes, void *cookie);
};

extern const struct nx_link_model nx_link_model_ideal;
extern const struct nx_link_model nx_link_model_parametric;
extern const struct nx_link_model nx_link_model_ns3;

/* For models: the link's options, clock and seeded stream. */
const struct nx_link_opts *nx_link_model_opts(struct nx_link *link);
uint64_t nx_link_model_now(struct nx_link *link);
struct nx_rng *nx_link_model_rng(struct nx_link *link);
struct nx_link_stats *nx_link_model_stats(struct nx_link *link);
struct nx_sim *nx_link_model_sim(struct nx_link *link);
/* An asynchronous model's verdict on a submitted cookie: arrived at
 * at_ns (>= now), or lost. */
void nx_link_model_done(struct nx_link *link, void *cookie, bool arrived,
			uint64_t at_ns);

#endif /* NX_LINK_H */
