/*
 * nx_ns3.h - the C face of the ns-3 shim (ns3_shim.cc, C++, built only
 * when libns3-dev is installed; ns3_none.c stands in otherwise).
 *
 * One "world" is ns-3's simulator (a process-wide singleton, so one
 * world at a time) holding a node per nexus host and either a
 * point-to-point link per host pair or one CSMA segment.  The caller
 * owns time: ns-3's clock starts at 0 when the world is made and only
 * moves inside nx_ns3_run_to(), which never goes past the time it is
 * given.  Packets carry no bytes (ns-3 needs only their size); each
 * carries the caller's cookie, handed back exactly once through done()
 * (delivered at ns-3's now, or dropped by the queue or the error
 * model), unless the world is freed first.
 */
#ifndef NX_NS3_H
#define NX_NS3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nx_ns3_cfg {
	bool csma;            /* one CSMA segment, else p2p per host pair */
	uint64_t rate_bps;    /* device (p2p) or channel (CSMA) data rate */
	uint64_t delay_ns;    /* channel propagation delay */
	uint32_t queue_len;   /* drop-tail device queue: packets or bytes */
	bool queue_bytes;
	uint32_t mtu;         /* IP MTU of every device */
	uint32_t loss_ppb;    /* receive error model, per packet */
	unsigned nodes;       /* host indices are < nodes */
	uint32_t rng_seed;    /* ns3::RngSeedManager::SetSeed, != 0 */
	uint64_t rng_run;     /* ns3::RngSeedManager::SetRun */
};

/* delivered: the packet reached dst at ns-3 time now_ns; else lost. */
typedef void (*nx_ns3_done_fn)(void *arg, void *cookie, bool delivered,
			       uint64_t now_ns);

struct nx_ns3;

bool nx_ns3_available(void);
/* NULL with a message in err (no ns-3, a world already exists). */
struct nx_ns3 *nx_ns3_new(const struct nx_ns3_cfg *cfg, nx_ns3_done_fn done,
			  void *arg, char *err, size_t err_len);
/* Destroys ns-3's simulator; pending cookies are forgotten. */
void nx_ns3_free(struct nx_ns3 *w);
/* Runs every ns-3 event due at or before t_ns, then leaves ns-3's clock
 * at t_ns (never backwards).  done() may be called from here. */
void nx_ns3_run_to(struct nx_ns3 *w, uint64_t t_ns);
/* Hands ip_bytes (the IPv4 datagram; the device adds its framing) from
 * host src to host dst at ns-3's now.  False: refused at once (queue
 * full, larger than the MTU); done() is then never called for it. */
bool nx_ns3_send(struct nx_ns3 *w, unsigned src, unsigned dst,
		 uint32_t ip_bytes, void *cookie);
/* ns-3 time of the earliest pending event; UINT64_MAX when none. */
uint64_t nx_ns3_next(const struct nx_ns3 *w);

#ifdef __cplusplus
}
#endif

#endif /* NX_NS3_H */
