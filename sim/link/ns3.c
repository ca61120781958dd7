/*
 * ns3.c - the ns3 link model: nexus's packets ride ns-3 (libns3-dev)
 * point-to-point or CSMA devices and channels, under nexus's own TCP.
 *
 * ns-3 answers the question every model answers (when, if ever, does
 * this packet arrive?) with its own models: the device's data rate and
 * drop-tail queue, the channel's delay (and, for CSMA, the shared
 * medium's carrier sense and backoff), a per-packet receive error model.
 * Its answer depends on the packets still queued, so it comes later:
 * the model is asynchronous (nx_link.h).
 *
 * One clock: ns-3's time is nexus's virtual time minus the instant the
 * link was made.  Before each packet is handed over, ns-3 runs up to
 * now; whenever ns-3 has an event pending, one nx_sim event (the pump)
 * waits at that event's time and runs ns-3 up to it.  ns-3 therefore
 * never runs ahead of nexus, every delivery happens at ns-3's receive
 * time, and its order among nexus events is fixed by the heap's
 * (time, sequence) order: a run stays a pure function of the seed.
 * ns-3's RNG (MRG32k3a) is seeded from the run's seed
 * (RngSeedManager::SetSeed/SetRun from the "link.ns3" stream).
 */
#include <stdio.h>
#include <stdlib.h>

#include "nx_link.h"
#include "nx_ns3.h"

/* tcp.c's wire_bytes count an Ethernet header and FCS around the IPv4
 * datagram; ns-3's devices add their own framing (PPP's 2 bytes, or
 * Ethernet's header and trailer on CSMA), so they get the datagram. */
#define ETH_FRAMING (14 + 4)

struct ns3_link {
	struct nx_link *link;
	struct nx_sim *sim;
	struct nx_ns3 *w;
	uint64_t base_ns;       /* nexus time of ns-3's time 0 */
	nx_sim_event_id pump;   /* runs ns-3 at its next event's time */
	uint64_t pump_at;
};

bool nx_link_ns3_available(void)
{
	return nx_ns3_available();
}

static void on_done(void *arg, void *cookie, bool delivered, uint64_t now_ns)
{
	struct ns3_link *n = arg;
	/* ns-3 never runs past nexus's now, and a pump runs at the time of
	 * ns-3's next event, so now_ns maps to nexus's now. */
	uint64_t at = NX_MAX(n->base_ns + now_ns, nx_sim_now(n->sim));

	nx_link_model_done(n->link, cookie, delivered, at);
}

static void pump(void *arg);

/* Keeps exactly one pump waiting at ns-3's next event time. */
static void rearm(struct ns3_link *n)
{
	uint64_t next = nx_ns3_next(n->w);

	if (next == UINT64_MAX) {
		nx_sim_cancel(n->sim, n->pump);
		n->pump = NX_SIM_EVENT_NONE;
		return;
	}
	if (n->pump != NX_SIM_EVENT_NONE && n->pump_at == n->base_ns + next)
		return;
	nx_sim_cancel(n->sim, n->pump);
	n->pump_at = n->base_ns + next;
	n->pump = nx_sim_schedule_at(n->sim, n->pump_at, pump, n);
	nx_assert(n->pump != NX_SIM_EVENT_NONE);
}

static void pump(void *arg)
{
	struct ns3_link *n = arg;

	n->pump = NX_SIM_EVENT_NONE;
	nx_ns3_run_to(n->w, nx_sim_now(n->sim) - n->base_ns);
	rearm(n);
}

static void *ns3_open(struct nx_link *link, unsigned nodes)
{
	const struct nx_link_opts *o = nx_link_model_opts(link);
	struct nx_sim *sim = nx_link_model_sim(link);
	struct ns3_link *n = calloc(1, sizeof(*n));
	struct nx_ns3_cfg cfg = {
		.csma = o->topo == NX_LINK_TOPO_CSMA,
		.rate_bps = o->bandwidth_bps,
		.delay_ns = o->latency_ns,
		.queue_len = o->queue_len,
		.queue_bytes = o->queue_bytes,
		.mtu = o->mtu,
		.loss_ppb = o->loss_ppb,
		.nodes = nodes,
	};
	struct nx_rng rng;
	char err[256];

	if (n == NULL)
		return NULL;
	/* MRG32k3a seeds must be non-zero and below its moduli (~2^32). */
	nx_rng_fork(nx_sim_rng(sim), "link.ns3", 0, &rng);
	cfg.rng_seed = 1 + (uint32_t)nx_rng_below(&rng, 1u << 31);
	cfg.rng_run = nx_rng_u64(&rng);
	n->link = link;
	n->sim = sim;
	n->base_ns = nx_sim_now(sim);
	n->w = nx_ns3_new(&cfg, on_done, n, err, sizeof(err));
	if (n->w == NULL) {
		fprintf(stderr, "ns3 link: %s\n", err);
		free(n);
		return NULL;
	}
	return n;
}

static void ns3_close(void *state)
{
	struct ns3_link *n = state;

	nx_sim_cancel(n->sim, n->pump);
	nx_ns3_free(n->w);
	free(n);
}

static bool ns3_submit(void *state, unsigned src, unsigned dst,
		       uint32_t wire_bytes, void *cookie)
{
	struct ns3_link *n = state;
	bool ok = false;

	nx_ns3_run_to(n->w, nx_sim_now(n->sim) - n->base_ns);
	if (wire_bytes > ETH_FRAMING)
		ok = nx_ns3_send(n->w, src, dst, wire_bytes - ETH_FRAMING, cookie);
	rearm(n);
	return ok;
}

const struct nx_link_model nx_link_model_ns3 = {
	.name = "ns3",
	.kind = NX_LINK_NS3,
	.open = ns3_open,
	.close = ns3_close,
	.submit = ns3_submit,
};
