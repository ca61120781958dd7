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
 *
 * String form (nx_link_parse / nx_link_format round-trip):
 *   ideal[:latency=10us][,mtu=9000]
 *   parametric:latency=50us,jitter=20us,loss=0.01,dup=0.001,
 *              reorder=0.01,reorder_delay=200us,bw=10G,partition=10ms+5ms
 *   random                 parametric, every knob drawn from the seed
 * Durations take ns/us/ms/s (default ns) and decimals ("1.5ms");
 * probabilities are decimals ("0.01") or percentages ("1%"), kept as
 * parts per billion; bandwidth is bits/s with K/M/G suffixes.  mtu
 * (either model; 576..9000 bytes of IPv4 packet, default 1500: Ethernet)
 * sets the TCP MSS of the net built on the link (mtu - 40), e.g. 9000
 * for the jumbo frames iSCSI SANs run.  partition
 * may repeat: "partition=AT+DURATION" cuts every path for DURATION from
 * virtual time AT.  No floating point anywhere.
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
	uint32_t mtu;              /* 0 = 1500; never drawn by "random" */
};

#define NX_LINK_MTU_MIN 576u
#define NX_LINK_MTU_MAX 9000u

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

/* Manual partitions, both directions; NX_LINK_ALL as a wildcard. */
void nx_link_cut(struct nx_link *link, unsigned a, unsigned b, bool cut);
bool nx_link_is_cut(const struct nx_link *link, unsigned src, unsigned dst);

void nx_link_stats(const struct nx_link *link, struct nx_link_stats *out);

/* ---- models (link/ideal.c, link/parametric.c) ----------------------------- */

struct nx_link_path {
	uint64_t busy_until_ns; /* serialization: when the wire is free */
	bool cut;
};

struct nx_link_model {
	const char *name;
	enum nx_link_kind kind;
	unsigned (*send)(struct nx_link *link, struct nx_link_path *path,
			 uint32_t wire_bytes, uint64_t arrive_ns[2]);
};

extern const struct nx_link_model nx_link_model_ideal;
extern const struct nx_link_model nx_link_model_parametric;

/* For models: the link's options, clock and seeded stream. */
const struct nx_link_opts *nx_link_model_opts(struct nx_link *link);
uint64_t nx_link_model_now(struct nx_link *link);
struct nx_rng *nx_link_model_rng(struct nx_link *link);
struct nx_link_stats *nx_link_model_stats(struct nx_link *link);

#endif /* NX_LINK_H */
