/*
 * tcp_host.c - simulated networks and hosts: options, creation, teardown
 * (tcp_internal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_internal.h"

/* ---- options, net, hosts ------------------------------------------------- */

void nx_sim_net_opts_default(struct nx_sim_net_opts *o)
{
	*o = (struct nx_sim_net_opts){
		.mss = 1460,
		.rcvbuf = 256 * 1024,
		.sndbuf_max = 32u << 20,
		.rto_init_ns = 10000000,  /* 10 ms */
		.rto_min_ns = 2000000,    /* 2 ms */
		.rto_max_ns = 1000000000, /* 1 s */
		/* Linux: 40 ms against a 200 ms minimum RTO; same ratio. */
		.delack_ns = 400000,      /* 400 us */
		.retries_max = 15,
		/* Covers the peer's FIN retransmissions at rto_max: a
		 * shorter TIME_WAIT answers a late FIN with RST. */
		.time_wait_ns = 2000000000,
		.fin_wait2_ns = 1000000000,
		.segs_max = 8192,
		.ooo_max = 256,
		.conns_max = 1024,
		.backlog_max = 64,
	};
}


struct nx_sim_net *nx_sim_net_new(struct nx_sim *sim,
				  const struct nx_sim_net_opts *opts,
				  const struct nx_link_opts *link)
{
	struct nx_sim_net_opts o = *opts;
	struct nx_sim_net *net;

	/* The link's MTU, when it names one, sets the MSS: the IPv4 and TCP
	 * headers (20 + 20, no options outside SYNs) take the rest (an ns3
	 * link's devices carry mtu-byte datagrams; mtu=9000: jumbo segments). */
	if (link->mtu != 0)
		o.mss = link->mtu - 40;
	if (o.mss < 64 || o.mss > NX_SIM_TCP_MSS_MAX ||
	    o.rcvbuf < 2 * o.mss || o.segs_max == 0 ||
	    o.rcvbuf > (65535u << NX_SIM_TCP_WSCALE))
		return NULL;
	net = calloc(1, sizeof(*net));
	if (net == NULL)
		return NULL;
	net->sim = sim;
	net->o = o;
	/* Segments are handed out from the untouched end of the pool
	 * before the free list has any: a run touches only the memory its
	 * peak of segments in flight needs.  The pool is not cleared (seg_get() sets a fresh segment up) and
	 * aligned so that each segment is one cache line. */
	net->pool = aligned_alloc(64, ((size_t)o.segs_max + 1) * sizeof(struct seg));
	net->link = nx_link_new(sim, link, HOSTS_MAX);
	if (net->pool == NULL || net->link == NULL) {
		nx_sim_net_free(net);
		return NULL;
	}
	net->scratch = nx_sim_tcp_seg_at(net, o.segs_max);
	*net->scratch = (struct seg){ .net = net };
	nx_rng_fork(nx_sim_rng(sim), "tcp", 0, &net->rng);
	net->link_async = nx_link_async(net->link);
	if (net->link_async)
		nx_link_set_sink(net->link, &(struct nx_link_sink){
			.arrive = nx_sim_tcp_link_arrive, .drop = nx_sim_tcp_link_drop, .arg = net });
	return net;
}


void nx_sim_net_free(struct nx_sim_net *net)
{
	if (net == NULL)
		return;
	for (unsigned i = 0; i < net->host_count; i++) {
		nx_sim_host_crash(net->hosts[i]);
		free(net->hosts[i]);
	}
	if (net->pool != NULL) {
		nx_sim_fn fn;
		void *arg;

		for (size_t i = 0; i < net->segs_fresh; i++) {
			struct seg *s = nx_sim_tcp_seg_at(net, i);

			if (!s->in_use)
				continue;
			nx_sim_cancel(net->sim, s->ev);
			nx_sim_tcp_sbuf_put(net, s->buf);
		}
		if (nx_sim_continuation(net->sim, &fn, &arg) &&
		    fn == nx_sim_tcp_seg_train_arrive && ((struct seg *)arg)->net == net)
			nx_sim_continuation_drop(net->sim);
	}
	while (net->sbuf_cache != NULL) {
		struct sbuf *b = net->sbuf_cache;

		net->sbuf_cache = b->next;
		nx_sim_tcp_sbuf_free(b);
	}
	nx_link_free(net->link);
	free(net->pool);
	free(net);
}

void nx_sim_net_set_pcap(struct nx_sim_net *net, struct nx_sim_pcap *pc) { net->pcap = pc; }
struct nx_link *nx_sim_net_link(struct nx_sim_net *net) { return net->link; }
unsigned nx_sim_net_conns(const struct nx_sim_net *net) { return net->conn_count; }
void nx_sim_net_stats(const struct nx_sim_net *net, struct nx_sim_tcp_stats *out) { *out = net->st; }

struct nx_sim_host *nx_sim_tcp_host_by_ip(const struct nx_sim_net *net, uint32_t ip)
{
	for (unsigned i = 0; i < net->host_count; i++)
		if (net->hosts[i]->ip == ip)
			return net->hosts[i];
	return NULL;
}

struct nx_sim_host *nx_sim_host_new(struct nx_sim_net *net, const char *name,
				    uint32_t ipv4)
{
	struct nx_sim_host *h;

	if (net->host_count == HOSTS_MAX || nx_sim_tcp_host_by_ip(net, ipv4) != NULL ||
	    strlen(name) >= NX_SIM_HOST_NAME_MAX)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->net = net;
	strcpy(h->name, name);
	h->ip = ipv4;
	h->index = (uint16_t)net->host_count;
	h->next_port = PORT_EPHEMERAL_FIRST;
	/* Locally administered unicast MAC derived from the address. */
	h->mac[0] = 0x02;
	h->mac[1] = 0x00;
	h->mac[2] = (uint8_t)(ipv4 >> 24);
	h->mac[3] = (uint8_t)(ipv4 >> 16);
	h->mac[4] = (uint8_t)(ipv4 >> 8);
	h->mac[5] = (uint8_t)ipv4;
	net->hosts[net->host_count++] = h;
	return h;
}

const char *nx_sim_host_name(const struct nx_sim_host *h) { return h->name; }
uint32_t nx_sim_host_ip(const struct nx_sim_host *h) { return h->ip; }
unsigned nx_sim_host_index(const struct nx_sim_host *h) { return h->index; }
