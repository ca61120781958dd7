/*
 * nx_sim_tcp.h - simulated hosts and TCP byte streams between them.
 *
 * Enough of RFC 793/9293 to behave like a real stack where it matters to
 * an iSCSI target: three-way handshake, MSS segmentation, sequence and
 * acknowledgement numbers, a receive window with flow control (an
 * application can pause reading; the window closes; the sender probes),
 * retransmission on an RFC 6298 RTO with exponential backoff (go-back-N)
 * plus fast retransmit on three duplicate ACKs, delayed ACKs, in-order
 * delivery to the application however the link reorders, duplicates or
 * drops, FIN half-close, TIME_WAIT, and RST (refused ports, aborts,
 * injected resets).
 * Window scaling (RFC 7323) is negotiated so that captures dissect with
 * the real window sizes.  No congestion control, SACK or timestamps.
 *
 * Every segment sent is written to the net's pcap (if any) at the
 * moment it leaves the sender, then handed to the link model, which
 * decides when (and how many times) it arrives.
 *
 * Application model (the transports' byte-stream model): on_data(bytes)
 * callbacks in order, and nx_sim_tcp_send(iov) that queues everything up
 * to sndbuf_max.  All callbacks run from sim events; none runs from
 * inside an API call except where noted.
 */
#ifndef NX_SIM_TCP_H
#define NX_SIM_TCP_H

#include "nx_sim.h"
#include "nx_sim_pcap.h"
#include "link/nx_link.h"

#define NX_SIM_ECONNRESET (-104)
#define NX_SIM_ETIMEDOUT (-110)
#define NX_SIM_ECONNREFUSED (-111)

#define NX_SIM_TCP_MSS_MAX 8960
#define NX_SIM_TCP_WSCALE 7 /* advertised windows are multiples of 128 */
#define NX_SIM_HOST_NAME_MAX 32

struct nx_sim_net;
struct nx_sim_host;
struct nx_sim_tcp_conn;
struct nx_sim_tcp_listener;

struct nx_sim_net_opts {
	uint32_t mss;           /* bytes of payload per segment; a link with
				 * an mtu overrides it (mtu - 40) */
	uint32_t rcvbuf;        /* receive buffer = largest window */
	uint32_t sndbuf_max;    /* bytes queued by send() before NX_ENOSPC */
	uint64_t rto_init_ns;   /* RFC 6298 2.1 (1 s) scaled to sim links */
	uint64_t rto_min_ns;
	uint64_t rto_max_ns;
	/* Delayed ACK (RFC 5681 4.2, as Linux does it): in-order data
	 * is ACKed by the next segment going the other way, at the latest
	 * every second full-sized segment, or when this expires.  Anything
	 * unusual (out of order, a hole filled, a duplicate, FIN, a probe)
	 * is ACKed at once.  0 ACKs every segment. */
	uint64_t delack_ns;
	uint32_t retries_max;   /* consecutive RTO expiries before ETIMEDOUT */
	uint64_t time_wait_ns;  /* 2*MSL: >= 2 * rto_max */
	uint64_t fin_wait2_ns;  /* orphaned FIN_WAIT_2 reaped after this */
	uint32_t segs_max;      /* pool of segments in flight on the links */
	uint32_t ooo_max;       /* out-of-order segments held per connection */
	uint32_t conns_max;     /* per net */
	uint32_t backlog_max;   /* half-open connections per listener */
};

void nx_sim_net_opts_default(struct nx_sim_net_opts *o);

struct nx_sim_net *nx_sim_net_new(struct nx_sim *sim,
				  const struct nx_sim_net_opts *opts,
				  const struct nx_link_opts *link);
/* Frees every host, listener and connection without callbacks. */
void nx_sim_net_free(struct nx_sim_net *net);
/* Capture every segment from now on into pc (NULL stops); not owned. */
void nx_sim_net_set_pcap(struct nx_sim_net *net, struct nx_sim_pcap *pc);
struct nx_link *nx_sim_net_link(struct nx_sim_net *net);

/* ipv4 in host order, e.g. 0x0a000001 for 10.0.0.1; unique per net. */
struct nx_sim_host *nx_sim_host_new(struct nx_sim_net *net, const char *name,
				    uint32_t ipv4);
const char *nx_sim_host_name(const struct nx_sim_host *host);
uint32_t nx_sim_host_ip(const struct nx_sim_host *host);
unsigned nx_sim_host_index(const struct nx_sim_host *host);
/* The host's stack loses all state at once (a crash and instant reboot):
 * connections and listeners vanish with no callback and no RST; peers
 * learn of it from the RSTs their next segments draw. */
void nx_sim_host_crash(struct nx_sim_host *host);

struct nx_sim_tcp_ops {
	void (*connected)(void *ctx);                       /* active open */
	void (*data)(void *ctx, const uint8_t *buf, size_t len);
	void (*eof)(void *ctx);                             /* peer's FIN */
	/* Terminal, exactly once: err 0 after both FINs, else
	 * NX_SIM_ECONNRESET / _ETIMEDOUT / _ECONNREFUSED.  The conn handle
	 * is invalid once this returns. */
	void (*closed)(void *ctx, int err);
};

/* accept runs when a handshake completes; it must call
 * nx_sim_tcp_set_ops() (or nx_sim_tcp_abort()) on the new connection. */
typedef void (*nx_sim_tcp_accept_fn)(void *ctx, struct nx_sim_tcp_conn *conn);

int nx_sim_tcp_listen(struct nx_sim_host *host, uint16_t port,
		      nx_sim_tcp_accept_fn accept, void *ctx,
		      struct nx_sim_tcp_listener **out);
void nx_sim_tcp_unlisten(struct nx_sim_tcp_listener *l);

int nx_sim_tcp_connect(struct nx_sim_host *host, uint32_t dst_ip,
		       uint16_t dst_port, const struct nx_sim_tcp_ops *ops,
		       void *ctx, struct nx_sim_tcp_conn **out);
void nx_sim_tcp_set_ops(struct nx_sim_tcp_conn *c,
			const struct nx_sim_tcp_ops *ops, void *ctx);

/* Queues bytes (copied) for sending.  0, NX_ENOSPC past sndbuf_max,
 * NX_EINVAL after shutdown/close. */
int nx_sim_tcp_send(struct nx_sim_tcp_conn *c, const struct nx_iovec *iov,
		    unsigned iovcnt);
/* nx_sim_tcp_send in two steps, for bytes best written in place: room
 * for n bytes at the tail of the send queue (*out: where to write them;
 * errors as nx_sim_tcp_send's, before anything is queued), then the
 * commit queues them exactly as nx_sim_tcp_send of the same n bytes
 * would have (same buffer, segments, output).  Nothing else may run on
 * the connection in between; commit exactly the n reserved. */
int nx_sim_tcp_send_reserve(struct nx_sim_tcp_conn *c, size_t n,
			    uint8_t **out);
void nx_sim_tcp_send_commit(struct nx_sim_tcp_conn *c, size_t n);
/* FIN after the queued bytes; receiving continues (half-close). */
void nx_sim_tcp_shutdown(struct nx_sim_tcp_conn *c);
/* shutdown + detach: no callback ever again; the stack finishes the
 * close on its own and discards whatever still arrives. */
void nx_sim_tcp_close(struct nx_sim_tcp_conn *c);
/* RST now, detach, no callback. */
void nx_sim_tcp_abort(struct nx_sim_tcp_conn *c);
/* Fault: a reset hits the connection: RST to the peer, and the local
 * side's closed(ECONNRESET) runs before this returns. */
void nx_sim_tcp_inject_reset(struct nx_sim_tcp_conn *c);
/* Flow control: while paused, received bytes stay in the receive buffer
 * and the window shrinks; resuming delivers them and reopens it. */
void nx_sim_tcp_pause(struct nx_sim_tcp_conn *c, bool paused);

size_t nx_sim_tcp_send_queued(const struct nx_sim_tcp_conn *c); /* unacked+unsent */
/* "a.b.c.d:port" strings for nx_iscsi_conn_new()'s peer/local. */
void nx_sim_tcp_addrs(const struct nx_sim_tcp_conn *c, char *local,
		      char *peer, size_t len);

struct nx_sim_tcp_stats {
	uint64_t segs_sent, segs_rcvd, bytes_sent, bytes_rcvd;
	uint64_t data_segs_sent; /* segs_sent that carry payload */
	uint64_t retransmits, fast_retransmits, rto_expiries;
	uint64_t dup_segs, ooo_segs, window_probes, rsts_sent;
	uint64_t pool_drops; /* segments lost because the pool was empty */
};
void nx_sim_tcp_conn_stats(const struct nx_sim_tcp_conn *c,
			   struct nx_sim_tcp_stats *out);
void nx_sim_net_stats(const struct nx_sim_net *net, struct nx_sim_tcp_stats *out);
unsigned nx_sim_net_conns(const struct nx_sim_net *net);

#endif /* NX_SIM_TCP_H */
