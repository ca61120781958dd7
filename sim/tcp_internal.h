/*
 * tcp_internal.h - the simulated TCP's state, shared by its files:
 *   tcp.c       segments, connection lifetime, sending, receiving, the
 *               timers (everything per segment stays in this one file)
 *   tcp_send.c  nx_sim_tcp_send, reserve/commit: the send buffer's growth
 *   tcp_host.c  options, nets, hosts
 *   tcp_api.c   the rest of the application API (listen, connect, close,
 *               faults, addresses, statistics, host crash)
 * Internal to sim/: the functions below are not part of nx_sim_tcp.h.
 */
#ifndef NX_SIM_TCP_INTERNAL_H
#define NX_SIM_TCP_INTERNAL_H

#include "nx_sim_tcp.h"

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

#define HOSTS_MAX NX_LINK_NODES_MAX
#define PORT_EPHEMERAL_FIRST 49152
#define WIRE_OVERHEAD (14 + 20 + 20 + 4) /* Ethernet + IPv4 + TCP + FCS */

enum tcp_state {
	ST_CLOSED,
	ST_SYN_SENT,
	ST_SYN_RCVD,
	ST_ESTABLISHED,
	ST_FIN_WAIT_1,
	ST_FIN_WAIT_2,
	ST_CLOSING,
	ST_TIME_WAIT,
	ST_CLOSE_WAIT,
	ST_LAST_ACK,
};

/* A send buffer: shared by its connection and the segments that carry
 * its bytes; freed (or kept for reuse) with the last reference. */
struct sbuf {
	uint32_t refs;
	size_t cap;
	struct sbuf *next;  /* in the net's cache of unused buffers */
	/* The connection whose send-buffer hole still reads these bytes
	 * (tcp.c, sbuf_reserve); handed to it whole if the buffer is
	 * reused or freed meanwhile. */
	struct nx_sim_tcp_conn *hole_of;
	uint8_t data[];
};

/* One cache line (64-byte aligned in a pool allocated so): an arriving
 * segment's first touch brings in everything seg_arrive() and the
 * receive path read.  To fit, the payload is an offset into buf (a
 * pointer would not), and one link serves the free list, the train a
 * segment in flight rides in and the out-of-order queue: a segment is
 * in at most one of them at a time. */
struct seg {
	/* free: the free list; in flight: the next segment riding on the
	 * same event; arrived and kept: the out-of-order queue */
	_Alignas(64) struct seg *next;
	struct nx_sim_net *net;
	struct sbuf *buf;   /* referenced while the segment lives */
	nx_sim_event_id ev;
	uint32_t off;       /* len payload bytes at buf->data + off */
	uint32_t seq, ack;
	uint32_t wnd;       /* bytes, unscaled */
	uint16_t src, dst;  /* host indices */
	uint16_t sport, dport;
	uint16_t mss_opt;   /* SYN only */
	uint16_t len;
	uint8_t flags;
	bool in_use;
};
_Static_assert(sizeof(struct seg) == 64, "a segment is one cache line");

struct nx_sim_tcp_listener {
	struct nx_sim_tcp_listener *next;
	struct nx_sim_host *host;
	uint16_t port;
	nx_sim_tcp_accept_fn accept;
	void *ctx;
	unsigned pending;
};

/* Per-segment fields first, on four cache lines (the struct is 64-byte
 * aligned, nx_sim_tcp_conn_new), then the statistics (the per-segment
 * counters lead them, on a fifth line), then what only connection
 * setup and RTT samples touch.  A line kept out of the receive path is
 * a miss saved: the 4 KiB copies evict the connection between segments. */
struct nx_sim_tcp_conn {
	struct nx_sim_tcp_conn *next;
	struct nx_sim_net *net;
	struct nx_sim_host *host;
	enum tcp_state state;
	uint16_t lport, rport;
	uint16_t peer;      /* the peer host's index (rip's host) */
	bool attached;
	bool linked;
	const struct nx_sim_tcp_ops *ops;
	void *ctx;
	unsigned refs;
	/* send side: sb->data[shead ..) holds bytes from sequence snd_una on */
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	bool fin_queued;
	bool has_hole;      /* hole != NULL, on a line every ACK reads */
	uint16_t peer_mss;
	struct sbuf *sb;
	size_t shead, slen;
	/* receive side */
	uint32_t rcv_nxt;
	uint32_t rcv_adv;  /* last window advertised */
	uint32_t rcv_edge; /* rcv_nxt + window as last advertised: never
			    * moves left (RFC 9293 3.8.6.2.2) */
	/* delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2) */
	uint32_t rcv_acked; /* rcv_nxt as carried by the last ACK sent */
	uint8_t *rbuf;
	size_t rcap, rhead, rlen;
	struct seg *ooo;
	unsigned ooo_count;
	bool fin_rcvd, eof_done, paused;
	bool ack_now;       /* an ACK is owed once this input is done */
	bool ack_delayed;   /* an ACK is owed when delack_ev fires */
	nx_sim_event_id delack_ev;
	/* timers (RFC 6298), all in ns.  The timer is lazy: timer_at is
	 * the deadline, timer_ev may be due earlier and then re-arms
	 * itself (an ACK that pushes the deadline back, the common case,
	 * costs no event-heap work). */
	nx_sim_event_id timer_ev;
	uint64_t timer_ev_at, timer_at;
	bool timer_on;
	bool rtt_timing;
	uint32_t rtt_seq;
	uint64_t rto;
	unsigned retries, dupacks;
	uint64_t rtt_start, srtt, rttvar;
	struct nx_sim_tcp_stats st;
	/* The send-buffer hole (tcp.c, sbuf_reserve): bytes [hole_seq,
	 * hole_end) were sent from hole->data + hole_off and not copied
	 * when the connection moved to sb; hole_owned once only the
	 * connection holds that buffer. */
	struct sbuf *hole;
	size_t hole_off;
	uint32_t hole_seq, hole_end;
	bool hole_owned;
	/* setup only */
	struct nx_sim_tcp_listener *listener; /* while SYN_RCVD */
	uint32_t rip;
	uint32_t iss, irs;
	uint32_t fin_seq;
};

struct nx_sim_host {
	struct nx_sim_net *net;
	char name[NX_SIM_HOST_NAME_MAX];
	uint32_t ip;
	uint16_t index;
	uint16_t next_port;
	uint8_t mac[6];
	struct nx_sim_tcp_conn *conns;
	struct nx_sim_tcp_listener *listeners;
};

struct nx_sim_net {
	struct nx_sim *sim;
	struct nx_sim_net_opts o;
	struct nx_link *link;
	bool link_async;    /* nx_link_async(link), asked once */
	struct nx_sim_pcap *pcap;
	struct nx_rng rng;
	struct nx_sim_host *hosts[HOSTS_MAX];
	uint16_t ip_ids[HOSTS_MAX]; /* IPv4 identification per host */
	unsigned host_count;
	unsigned conn_count;
	struct seg *pool;   /* segs_max + 1 (the scratch), 64-byte aligned */
	size_t segs_fresh;  /* pool[segs_fresh ..) never used yet */
	struct sbuf *sbuf_cache;   /* unused send buffers, for reuse */
	unsigned sbuf_cached;
	struct seg *free_segs;
	struct seg *scratch;
	/* The latest segment put in flight and its arrival event: the next
	 * one due at the same instant joins it while that event is still
	 * the sim's latest (nx_sim_is_last_scheduled), one heap operation
	 * for a whole train of segments instead of one each. */
	struct seg *train_tail;
	nx_sim_event_id train_ev;
	uint64_t train_at;
	struct nx_sim_tcp_stats st;
};

/* Per-connection and per-net counters move together. */
#define STAT_ADD(c, field, n) ((c)->st.field += (n), (c)->net->st.field += (n))
#define STAT_INC(c, field) STAT_ADD(c, field, 1)

/* tcp_host.c: options, nets, hosts */
struct nx_sim_host *nx_sim_tcp_host_by_ip(const struct nx_sim_net *net,
					  uint32_t ip);

/* tcp.c: segments, connections, sending, receiving, timers (the hot path) */
struct seg *nx_sim_tcp_seg_at(const struct nx_sim_net *net, size_t i);
/* A send buffer of at least cap bytes, one reference (NULL: no memory). */
struct sbuf *nx_sim_tcp_sbuf_get(struct nx_sim_net *net, size_t cap);
void nx_sim_tcp_sbuf_put(struct nx_sim_net *net, struct sbuf *b);
/* Frees an unreferenced buffer (or hands it to the hole reading it). */
void nx_sim_tcp_sbuf_free(struct sbuf *b);
/* Copies the send-buffer hole's unacknowledged bytes in (tcp.c). */
void nx_sim_tcp_hole_fill(struct nx_sim_tcp_conn *c);
void nx_sim_tcp_link_arrive(void *arg, void *cookie, uint64_t at_ns);
void nx_sim_tcp_link_drop(void *arg, void *cookie);
struct nx_sim_tcp_conn *nx_sim_tcp_conn_new(struct nx_sim_host *h,
					    uint16_t lport, uint32_t rip,
					    uint16_t rport);
void nx_sim_tcp_conn_hold(struct nx_sim_tcp_conn *c);
void nx_sim_tcp_conn_release(struct nx_sim_tcp_conn *c);
void nx_sim_tcp_conn_destroy(struct nx_sim_tcp_conn *c);
void nx_sim_tcp_conn_attach(struct nx_sim_tcp_conn *c,
			    const struct nx_sim_tcp_ops *ops, void *ctx);
void nx_sim_tcp_conn_detach(struct nx_sim_tcp_conn *c);
void nx_sim_tcp_conn_fail(struct nx_sim_tcp_conn *c, int err);
uint32_t nx_sim_tcp_rcv_window(const struct nx_sim_tcp_conn *c);
void nx_sim_tcp_send_ctl(struct nx_sim_tcp_conn *c, uint32_t seq,
			 uint8_t flags);
void nx_sim_tcp_send_ack(struct nx_sim_tcp_conn *c);
void nx_sim_tcp_timer_arm(struct nx_sim_tcp_conn *c, uint64_t delay);
uint32_t nx_sim_tcp_data_end(const struct nx_sim_tcp_conn *c);
void nx_sim_tcp_output(struct nx_sim_tcp_conn *c);
void nx_sim_tcp_deliver(struct nx_sim_tcp_conn *c);
struct nx_sim_tcp_listener *nx_sim_tcp_listener_find(struct nx_sim_host *h,
						     uint16_t port);
void nx_sim_tcp_seg_train_arrive(void *arg);

#endif /* NX_SIM_TCP_INTERNAL_H */
