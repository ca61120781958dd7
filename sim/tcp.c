/*
 * tcp.c - simulated hosts and TCP connections (see nx_sim_tcp.h).
 *
 * Structure follows RFC 9293 3.10 "Event Processing": a segment arrives,
 * is matched to a connection by its 4-tuple (or to a listener, or draws a
 * RST), and is processed by state: SYN-SENT, SYN-RECEIVED, then the
 * synchronized states (check RST/SYN, process the ACK, then text and
 * FIN).  Sending is one output() routine that fills the peer's window
 * from the send buffer, and one timer per connection that serves as the
 * retransmission timer, the persist timer (zero window) and TIME_WAIT,
 * plus a delayed-ACK timer.  Payload bytes are copied once on their
 * way: into the send buffer by send().  A segment in flight points into
 * that buffer and holds a reference on it; the sender never rewrites
 * bytes a segment may still point at (it appends, or moves to a new
 * buffer), so a late duplicate still carries what was sent.  The
 * receiver hands the application the segment's bytes directly whenever
 * nothing is buffered ahead of them.
 *
 * Determinism: connections and hosts are kept in creation order and
 * searched linearly; ISNs and nothing else come from the net's stream.
 *
 * tcp_internal.h lists the files; this one holds everything a segment
 * goes through (the application's send, once per PDU, is tcp_send.c's).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tcp_internal.h"

#define SBUF_CACHE_MAX 16u

struct seg *nx_sim_tcp_seg_at(const struct nx_sim_net *net, size_t i)
{
	return &net->pool[i];
}

/* A buffer no one references any more whose bytes a send-buffer hole
 * still reads: it is the connection's now. */
static void sbuf_hand_to_hole(struct sbuf *b)
{
	nx_assert(b->hole_of->hole == b && !b->hole_of->hole_owned);
	b->hole_of->hole_owned = true;
	b->hole_of = NULL;
}

void nx_sim_tcp_sbuf_free(struct sbuf *b)
{
	if (b->hole_of != NULL)
		sbuf_hand_to_hole(b);
	else
		free(b);
}

/* A buffer of at least cap bytes (one reference), from the cache when
 * one fits (the cache's order and contents are what they would be
 * without holes: a buffer a hole still reads is taken as usual and its
 * capacity given afresh). */
struct sbuf *nx_sim_tcp_sbuf_get(struct nx_sim_net *net, size_t cap)
{
	struct sbuf **pp, *b;

	for (pp = &net->sbuf_cache; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->cap >= cap) {
			b = *pp;
			*pp = b->next;
			net->sbuf_cached--;
			if (b->hole_of != NULL) {
				/* a hole still reads it: the hole keeps it, the
				 * caller gets a new one of the same capacity */
				cap = b->cap;
				sbuf_hand_to_hole(b);
				break;
			}
			b->refs = 1;
			return b;
		}
	}
	b = malloc(sizeof(*b) + cap);
	if (b == NULL)
		return NULL;
	b->refs = 1;
	b->cap = cap;
	b->hole_of = NULL;
	return b;
}

/* The last reference went: into the cache, or freed. */
static void sbuf_unused(struct nx_sim_net *net, struct sbuf *b)
{
	if (net->sbuf_cached >= SBUF_CACHE_MAX) {
		nx_sim_tcp_sbuf_free(b);
		return;
	}
	b->next = net->sbuf_cache;
	net->sbuf_cache = b;
	net->sbuf_cached++;
}

/* Small, so that every segment's put inlines it; the rest is
 * sbuf_unused's. */
void nx_sim_tcp_sbuf_put(struct nx_sim_net *net, struct sbuf *b)
{
	if (b == NULL)
		return;
	nx_assert(b->refs > 0);
	if (--b->refs == 0)
		sbuf_unused(net, b);
}

/* The hole's bytes are needed no more (acknowledged, or copied in). */
static void hole_release(struct nx_sim_tcp_conn *c)
{
	if (c->hole_owned)
		free(c->hole);
	else
		c->hole->hole_of = NULL;
	c->hole = NULL;
	c->has_hole = false;
	c->hole_owned = false;
}

/* Copies the hole's unacknowledged bytes into the send buffer, where
 * moving them would have put them (sbuf_reserve). */
void nx_sim_tcp_hole_fill(struct nx_sim_tcp_conn *c)
{
	uint32_t from = c->snd_una;

	if (SEQ_LT(from, c->hole_end))
		memcpy(c->sb->data + c->shead,
		       c->hole->data + c->hole_off + (uint32_t)(from - c->hole_seq),
		       (uint32_t)(c->hole_end - from));
	hole_release(c);
}

/* ---- segments: pool, capture, link ----------------------------------------- */

static struct seg *seg_get(struct nx_sim_net *net)
{
	struct seg *s = net->free_segs;

	if (s == NULL) {
		if (net->segs_fresh == net->o.segs_max)
			return NULL;
		/* The pool is not cleared: a fresh segment is set up here. */
		s = nx_sim_tcp_seg_at(net, net->segs_fresh++);
		s->net = net;
		s->buf = NULL;
	} else {
		net->free_segs = s->next;
	}
	s->next = NULL;
	s->in_use = true;
	return s;
}

static inline void seg_put(struct seg *s)
{
	struct nx_sim_net *net = s->net;

	nx_assert(s->in_use);
	s->in_use = false;
	nx_sim_tcp_sbuf_put(net, s->buf);
	s->buf = NULL;
	s->next = net->free_segs;
	net->free_segs = s;
}

static void capture(struct nx_sim_net *net, const struct seg *s,
		    const struct sbuf *buf, uint32_t off)
{
	const uint8_t *payload = s->len > 0 ? buf->data + off : NULL;
	const struct nx_sim_host *src = net->hosts[s->src];
	const struct nx_sim_host *dst = net->hosts[s->dst];
	/* MSS (RFC 9293 3.7.1) + NOP + window scale (RFC 7323 2.2). */
	uint8_t opts[8] = { 2, 4, (uint8_t)(s->mss_opt >> 8), (uint8_t)s->mss_opt,
			    1, 3, 3, NX_SIM_TCP_WSCALE };
	struct nx_sim_pcap_tcp f = {
		.src_ip = src->ip, .dst_ip = dst->ip, .ip_id = net->ip_ids[s->src]++,
		.sport = s->sport, .dport = s->dport,
		.seq = s->seq, .ack = s->ack, .flags = s->flags,
		.payload = payload, .payload_len = s->len,
	};

	memcpy(f.src_mac, src->mac, 6);
	memcpy(f.dst_mac, dst->mac, 6);
	if (s->flags & NX_TCP_SYN) {
		/* RFC 7323 2.2: the window in a SYN is never scaled. */
		f.window = (uint16_t)NX_MIN(s->wnd, 65535u);
		f.options = opts;
		f.options_len = sizeof(opts);
	} else {
		f.window = (uint16_t)NX_MIN(s->wnd >> NX_SIM_TCP_WSCALE, 65535u);
	}
	nx_sim_pcap_write_tcp(net->pcap, nx_sim_now(net->sim), &f);
}

/* A travelling copy of segment s: the header, and the payload as an
 * offset into the sender's bytes with a reference on buf. */
static struct seg *seg_clone(struct nx_sim_net *net, const struct seg *s,
			     struct sbuf *buf, uint32_t off)
{
	struct seg *copy = seg_get(net);

	if (copy == NULL)
		return NULL; /* the caller counts the pool drop */
	/* The whole line at once (the header is s's, net is the same),
	 * then what makes it a travelling copy. */
	*copy = *s;
	copy->next = NULL;
	copy->in_use = true;
	copy->buf = NULL;
	if (s->len > 0) {
		copy->off = off;
		copy->buf = buf;
		buf->refs++;
	}
	return copy;
}

/* Asynchronous links (ns3): the segment travels as the link's cookie
 * and comes back through link_arrive() or link_drop(). */
static void transmit_async(struct nx_sim_net *net, const struct seg *s,
			   struct sbuf *buf, uint32_t off)
{
	struct seg *copy = seg_clone(net, s, buf, off);

	if (copy == NULL) {
		net->st.pool_drops++;
		return;
	}
	copy->ev = NX_SIM_EVENT_NONE;
	if (!nx_link_submit(net->link, s->src, s->dst,
			    (uint32_t)s->len + WIRE_OVERHEAD, copy))
		seg_put(copy);
}

void nx_sim_tcp_link_arrive(void *arg, void *cookie, uint64_t at_ns)
{
	struct nx_sim_net *net = arg;
	struct seg *copy = cookie;

	copy->ev = nx_sim_schedule_lane(net->sim, NX_SIM_LANE_LINK, at_ns,
					nx_sim_tcp_seg_train_arrive, copy);
	if (copy->ev == NX_SIM_EVENT_NONE) {
		seg_put(copy); /* drops the reference too */
		net->st.pool_drops++;
	}
}

void nx_sim_tcp_link_drop(void *arg, void *cookie)
{
	seg_put(cookie);
}

/* Receive offload (what GRO does): a data segment that arrives at the
 * same instant as the one just before it on the same connection, with
 * the bytes that follow it, joins that segment instead of travelling
 * alone, so the receiver takes both in one step and hands the
 * application one run of bytes (a PDU cut at the MSS arrives whole, and
 * is parsed in place) and ACKs them together, as Linux's GRO makes one
 * large segment of a burst.  Every segment is still captured and given
 * its fate by the link one by one: only segments the link delivers at
 * the same time merge.  Both must be plain data (no SYN, FIN or RST):
 * the merged one carries the later ACK and window, which the receiver
 * would have ended with after taking both.  seg_joins() is every
 * condition but the merged length's. */
static bool seg_joins(const struct seg *t, const struct seg *s,
		      const struct sbuf *buf, uint32_t off)
{
	const uint8_t plain = NX_TCP_SYN | NX_TCP_FIN | NX_TCP_RST;

	return t->len != 0 && s->len != 0 && t->buf == buf &&
	       t->off + t->len == off && t->seq + t->len == s->seq &&
	       t->src == s->src && t->dst == s->dst && t->sport == s->sport &&
	       t->dport == s->dport && !((t->flags | s->flags) & plain) &&
	       (t->flags & s->flags & NX_TCP_ACK);
}

static void seg_merge(struct seg *t, const struct seg *s, uint32_t len,
		      uint8_t flags)
{
	t->len = (uint16_t)(t->len + len);
	t->ack = s->ack;
	t->wnd = s->wnd;
	t->flags |= flags;
}

static bool seg_coalesce(struct seg *t, const struct seg *s,
			 const struct sbuf *buf, uint32_t off)
{
	if (!seg_joins(t, s, buf, off) || (uint32_t)t->len + s->len > UINT16_MAX)
		return false;
	seg_merge(t, s, s->len, s->flags);
	return true;
}

/* The link's verdicts at[0 .. n) for segment s (s->len bytes at
 * buf->data + off), which stands for segs segments sent at once (a
 * train, see output_data): each copy joins the latest train, merging
 * into its tail when it can (seg_coalesce), or travels on its own
 * event.  Each copy points at the sender's bytes and holds a
 * reference on buf. */
static void travel(struct nx_sim_net *net, const struct seg *s,
		   struct sbuf *buf, uint32_t off, const uint64_t *at,
		   unsigned n, unsigned segs)
{
	for (unsigned i = 0; i < n; i++) {
		bool join = at[i] == net->train_at &&
			    nx_sim_is_last_scheduled(net->sim, net->train_ev);
		struct seg *copy;

		if (join && seg_coalesce(net->train_tail, s, buf, off))
			continue;
		copy = seg_clone(net, s, buf, off);
		if (copy == NULL) {
			net->st.pool_drops += segs;
			continue;
		}
		if (join) {
			copy->ev = net->train_ev;
			net->train_tail->next = copy; /* seg_get() ended it */
			net->train_tail = copy;
			continue;
		}
		copy->ev = nx_sim_schedule_lane(net->sim, NX_SIM_LANE_LINK, at[i],
						 nx_sim_tcp_seg_train_arrive, copy);
		if (copy->ev == NX_SIM_EVENT_NONE) {
			seg_put(copy); /* drops the reference too */
			net->st.pool_drops += segs;
			continue;
		}
		net->train_tail = copy;
		net->train_ev = copy->ev;
		net->train_at = at[i];
	}
}

/* Sends a segment (header s, s->len bytes at buf->data + off):
 * capture, then the link decides its fate. */
static void transmit(struct nx_sim_net *net, const struct seg *s,
		     struct sbuf *buf, uint32_t off)
{
	uint64_t at[2];
	unsigned n;

	net->st.segs_sent++;
	if (net->pcap != NULL)
		capture(net, s, buf, off);
	else
		net->ip_ids[s->src]++; /* as if captured: ids do not depend on it */
	if (net->link_async) {
		transmit_async(net, s, buf, off);
		return;
	}
	n = nx_link_send(net->link, s->src, s->dst,
			 (uint32_t)s->len + WIRE_OVERHEAD, at);
	travel(net, s, buf, off, at, n, 1);
}

/* ---- connections: lifetime ---------------------------------------------------- */

/* peer: the remote host's index (one IP per host). */
static struct nx_sim_tcp_conn *conn_lookup(struct nx_sim_host *h, uint16_t lport,
					   uint16_t peer, uint16_t rport)
{
	for (struct nx_sim_tcp_conn *c = h->conns; c != NULL; c = c->next)
		if (c->lport == lport && c->peer == peer && c->rport == rport)
			return c;
	return NULL;
}

struct nx_sim_tcp_conn *nx_sim_tcp_conn_new(struct nx_sim_host *h, uint16_t lport,
					uint32_t rip, uint16_t rport)
{
	struct nx_sim_net *net = h->net;
	struct nx_sim_host *peer = nx_sim_tcp_host_by_ip(net, rip);
	struct nx_sim_tcp_conn *c, **pp;

	if (net->conn_count >= net->o.conns_max || peer == NULL)
		return NULL;
	/* Cache-line aligned: the per-segment fields come first, on as
	 * few lines as they fit (tcp_internal.h). */
	c = aligned_alloc(64, (sizeof(*c) + 63) / 64 * 64);
	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->rcap = net->o.rcvbuf;
	c->rbuf = malloc(c->rcap);
	if (c->rbuf == NULL) {
		free(c);
		return NULL;
	}
	c->net = net;
	c->host = h;
	c->lport = lport;
	c->rip = rip;
	c->peer = peer->index;
	c->rport = rport;
	c->refs = 1; /* the stack's reference, dropped by conn_destroy */
	c->rto = net->o.rto_init_ns;
	c->iss = (uint32_t)nx_rng_u64(&net->rng);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss;
	c->snd_max = c->iss;
	c->peer_mss = 536; /* RFC 9293 3.7.1 default until the SYN says */
	for (pp = &h->conns; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c;
	c->linked = true;
	net->conn_count++;
	return c;
}

void nx_sim_tcp_conn_hold(struct nx_sim_tcp_conn *c) { c->refs++; }

static void conn_free(struct nx_sim_tcp_conn *c)
{
	nx_assert(!c->linked);
	if (c->has_hole)
		hole_release(c);
	nx_sim_tcp_sbuf_put(c->net, c->sb);
	free(c->rbuf);
	free(c);
}

/* Small, so that every input's hold and release inline (conn_free is
 * the rest). */
void nx_sim_tcp_conn_release(struct nx_sim_tcp_conn *c)
{
	nx_assert(c->refs > 0);
	if (--c->refs == 0)
		conn_free(c);
}

/* Unlinks the connection and drops the stack's reference.  Memory goes
 * with the last reference: the application holds one while attached
 * (a closed connection whose unread bytes and EOF wait for a paused
 * application lives on, unlinked, until they are delivered), and every
 * input or timer in progress holds one. */
void nx_sim_tcp_conn_destroy(struct nx_sim_tcp_conn *c)
{
	struct nx_sim_tcp_conn **pp;

	if (!c->linked)
		return;
	for (pp = &c->host->conns; *pp != c; pp = &(*pp)->next)
		nx_assert(*pp != NULL);
	*pp = c->next;
	c->linked = false;
	c->state = ST_CLOSED;
	c->net->conn_count--;
	if (c->listener != NULL)
		c->listener->pending--;
	nx_sim_cancel(c->net->sim, c->timer_ev);
	c->timer_ev = NX_SIM_EVENT_NONE;
	c->timer_on = false;
	nx_sim_cancel(c->net->sim, c->delack_ev);
	c->delack_ev = NX_SIM_EVENT_NONE;
	c->ack_delayed = false;
	while (c->ooo != NULL) {
		struct seg *s = c->ooo;

		c->ooo = s->next;
		seg_put(s);
	}
	nx_sim_tcp_conn_release(c);
}

/* The terminal report to the application, then the connection goes
 * (unless it must linger in TIME_WAIT, which the caller arranges). */
void nx_sim_tcp_conn_attach(struct nx_sim_tcp_conn *c,
			const struct nx_sim_tcp_ops *ops, void *ctx)
{
	nx_assert(ops != NULL && ops->data != NULL);
	nx_assert(!c->attached);
	c->ops = ops;
	c->ctx = ctx;
	c->attached = true;
	nx_sim_tcp_conn_hold(c); /* the application's reference */
}

/* No callback from now on; drops the application's reference. */
void nx_sim_tcp_conn_detach(struct nx_sim_tcp_conn *c)
{
	if (!c->attached)
		return;
	c->attached = false;
	nx_sim_tcp_conn_release(c);
}

static void conn_report_closed(struct nx_sim_tcp_conn *c, int err)
{
	if (!c->attached)
		return;
	c->attached = false;
	nx_sim_tcp_conn_hold(c);
	if (c->ops->closed != NULL)
		c->ops->closed(c->ctx, err);
	nx_sim_tcp_conn_release(c); /* the callback's hold */
	nx_sim_tcp_conn_release(c); /* the application's reference */
}

void nx_sim_tcp_conn_fail(struct nx_sim_tcp_conn *c, int err)
{
	conn_report_closed(c, err);
	nx_sim_tcp_conn_destroy(c);
}

/* ---- sending ------------------------------------------------------------------- */

uint32_t nx_sim_tcp_rcv_window(const struct nx_sim_tcp_conn *c)
{
	size_t space = c->rcap - c->rlen;

	/* RFC 7323 2.3: only multiples of 2^wscale are expressible. */
	return (uint32_t)(space >> NX_SIM_TCP_WSCALE) << NX_SIM_TCP_WSCALE;
}

static struct seg *seg_begin(struct nx_sim_tcp_conn *c, uint32_t seq, uint8_t flags)
{
	struct seg *s = c->net->scratch;

	s->src = c->host->index;
	s->dst = c->peer;
	s->sport = c->lport;
	s->dport = c->rport;
	s->seq = seq;
	s->ack = (flags & NX_TCP_ACK) ? c->rcv_nxt : 0;
	s->flags = flags;
	s->wnd = nx_sim_tcp_rcv_window(c);
	s->mss_opt = 0;
	s->len = 0;
	if (flags & NX_TCP_SYN) {
		s->mss_opt = (uint16_t)c->net->o.mss;
		s->wnd = NX_MIN(s->wnd, 65535u);
	}
	if (flags & NX_TCP_ACK) {
		if (SEQ_LT(c->rcv_nxt + s->wnd, c->rcv_edge))
			s->wnd = c->rcv_edge - c->rcv_nxt; /* do not shrink */
		c->rcv_edge = c->rcv_nxt + s->wnd;
		c->rcv_adv = s->wnd;
		/* Any segment with ACK pays what is owed (piggybacking). */
		c->rcv_acked = c->rcv_nxt;
		c->ack_now = false;
		c->ack_delayed = false;
	}
	return s;
}

static void seg_send(struct nx_sim_tcp_conn *c, struct seg *s, uint32_t off)
{
	c->st.segs_sent++;
	STAT_ADD(c, bytes_sent, s->len);
	if (s->len > 0)
		STAT_INC(c, data_segs_sent);
	if (s->flags & NX_TCP_RST)
		STAT_INC(c, rsts_sent);
	transmit(c->net, s, s->len > 0 ? c->sb : NULL, off);
}

void nx_sim_tcp_send_ctl(struct nx_sim_tcp_conn *c, uint32_t seq, uint8_t flags)
{
	seg_send(c, seg_begin(c, seq, flags), 0);
}

void nx_sim_tcp_send_ack(struct nx_sim_tcp_conn *c)
{
	nx_sim_tcp_send_ctl(c, c->snd_nxt, NX_TCP_ACK);
}

/* Sends len bytes of the send buffer starting at sequence seq, with the
 * header s built by seg_begin(c, ..., NX_TCP_ACK) since the last input:
 * only the sequence, the length and PSH differ between the segments of
 * one output (the ACK and window cannot move while it runs). */
static void send_data_hdr(struct nx_sim_tcp_conn *c, struct seg *s, uint32_t seq,
			  uint32_t len, uint8_t flags)
{
	size_t off = c->shead + (uint32_t)(seq - c->snd_una);

	/* A send buffer holds at most sndbuf_max (32-bit) bytes: off fits. */
	nx_assert(off + len <= c->shead + c->slen);
	s->seq = seq;
	s->flags = flags | NX_TCP_ACK;
	s->len = (uint16_t)len;
	if (SEQ_LT(seq, c->snd_max))
		STAT_INC(c, retransmits);
	seg_send(c, s, (uint32_t)off);
}

static void send_data(struct nx_sim_tcp_conn *c, uint32_t seq, uint32_t len,
		      uint8_t flags)
{
	if (c->has_hole && SEQ_LT(seq, c->hole_end))
		nx_sim_tcp_hole_fill(c);
	send_data_hdr(c, seg_begin(c, seq, NX_TCP_ACK), seq, len, flags);
}

static void timer_fire(void *arg);

static void timer_event(struct nx_sim_tcp_conn *c, uint64_t at)
{
	nx_sim_cancel(c->net->sim, c->timer_ev);
	c->timer_ev = nx_sim_schedule_at(c->net->sim, at, timer_fire, c);
	c->timer_ev_at = at;
	nx_assert(c->timer_ev != NX_SIM_EVENT_NONE);
}

/* (Re)starts the timer: it expires delay from now. */
void nx_sim_tcp_timer_arm(struct nx_sim_tcp_conn *c, uint64_t delay)
{
	uint64_t now = nx_sim_now(c->net->sim);
	uint64_t at = now + delay < now ? UINT64_MAX : now + delay;

	c->timer_on = true;
	c->timer_at = at;
	/* An event due no later than the new deadline re-arms itself. */
	if (c->timer_ev != NX_SIM_EVENT_NONE && c->timer_ev_at <= at)
		return;
	timer_event(c, at);
}

/* The pending event (if any) stays and finds the timer off. */
static void timer_stop(struct nx_sim_tcp_conn *c)
{
	c->timer_on = false;
}

uint32_t nx_sim_tcp_data_end(const struct nx_sim_tcp_conn *c)
{
	return c->snd_una + (uint32_t)c->slen;
}

static bool fin_acked(const struct nx_sim_tcp_conn *c)
{
	return c->fin_queued && SEQ_GT(c->snd_una, c->fin_seq);
}

/* TSO on a link that takes trains (nx_link_trains): the segments of
 * one output are worked out at once (output_trains), counted and
 * captured one by one as transmit() does, then handed to the link at
 * once and sent on as the one segment the receive offload would have
 * merged them into: the same header, contiguous bytes, one arrival
 * time and no event scheduled between them, so seg_coalesce() would
 * have taken each into the one before.  The receiver, the events and
 * the capture see exactly what segment by segment gave.  Every segment
 * but the last is seg bytes long, which is how train_send() cuts a
 * train where the merged length would pass UINT16_MAX. */
struct train {
	uint32_t seq, off, len;
	uint32_t seg;        /* the first segment's length */
	unsigned segs;
	uint8_t flags;       /* PSH of the last segment */
};

/* The train's segments up to the room left in the tail segment it
 * merges into, as one-by-one merging would have stopped there. */
static void train_fill_tail(struct nx_sim_net *net, struct seg *hdr,
			    struct train *t, const struct sbuf *buf, uint32_t *off)
{
	struct seg *tail = net->train_tail;
	uint32_t room = UINT16_MAX - tail->len, k;

	if (!seg_joins(tail, hdr, buf, *off) || t->len <= room)
		return; /* seg_coalesce() takes it whole, or not at all */
	k = NX_MIN(room / t->seg, t->segs - 1);
	if (k == 0)
		return;
	/* the segments before the last carry no PSH */
	seg_merge(tail, hdr, k * t->seg, NX_TCP_ACK);
	hdr->seq += k * t->seg;
	hdr->len = (uint16_t)(hdr->len - k * t->seg);
	*off += k * t->seg;
	t->segs -= k;
}

static void train_send(struct nx_sim_tcp_conn *c, struct seg *hdr,
		       struct train *t)
{
	struct nx_sim_net *net = c->net;
	uint64_t at;
	uint32_t off = t->off;

	at = nx_link_send_train(net->link, hdr->src, hdr->dst, t->segs);
	c->st.segs_sent += t->segs;
	STAT_ADD(c, bytes_sent, t->len);
	STAT_ADD(c, data_segs_sent, t->segs);
	net->st.segs_sent += t->segs;
	if (net->pcap == NULL)
		net->ip_ids[hdr->src] = (uint16_t)(net->ip_ids[hdr->src] + t->segs);
	hdr->seq = t->seq;
	hdr->len = (uint16_t)t->len;
	hdr->flags = NX_TCP_ACK | t->flags;
	if (at == net->train_at && nx_sim_is_last_scheduled(net->sim, net->train_ev))
		train_fill_tail(net, hdr, t, c->sb, &off);
	travel(net, hdr, c->sb, off, &at, 1, t->segs);
	t->segs = 0;
}

/* One train of segs segments from sequence seq, all mss bytes long but
 * the last, which is last bytes long and carries flags (PSH or not);
 * each captured as transmit() would. */
static void train_run(struct nx_sim_tcp_conn *c, struct seg *hdr, uint32_t mss,
		      uint32_t seq, uint32_t segs, uint32_t last, uint8_t flags)
{
	struct train t = {
		.seq = seq,
		.off = (uint32_t)(c->shead + (uint32_t)(seq - c->snd_una)),
		.len = (segs - 1) * mss + last,
		.seg = segs > 1 ? mss : last,
		.segs = segs,
		.flags = flags,
	};

	nx_assert((size_t)t.off + t.len <= c->shead + c->slen);
	if (c->net->pcap != NULL) {
		for (uint32_t i = 0; i < segs; i++) {
			hdr->seq = seq + i * mss;
			hdr->len = (uint16_t)(i + 1 < segs ? mss : last);
			hdr->flags = NX_TCP_ACK | (i + 1 < segs ? 0 : flags);
			capture(c->net, hdr, c->sb, t.off + i * mss);
		}
	}
	train_send(c, hdr, &t);
}

/* output_data() on a link that takes trains: the segments its loop
 * would cut, worked out at once.  Every segment is mss long but the
 * last; a short last one waits for the window (the loop's rule) unless
 * it is the tail or nothing is in flight; a train ends where the
 * merged length would pass UINT16_MAX (train_send); PSH on the
 * segment that ends the data; the counts and the RTT sample start
 * where the loop would have put them. */
static void output_trains(struct nx_sim_tcp_conn *c, uint32_t mss)
{
	int32_t unsent = (int32_t)(nx_sim_tcp_data_end(c) - c->snd_nxt);
	int32_t usable = (int32_t)(c->snd_una + c->snd_wnd - c->snd_nxt);
	uint32_t avail, full, rem, segs, old, run_max, seq = c->snd_nxt;
	uint8_t psh;
	struct seg *hdr;

	if (unsent <= 0 || usable <= 0)
		return;
	avail = (uint32_t)NX_MIN(unsent, usable);
	full = avail / mss;
	rem = avail - full * mss;
	if (rem > 0 && avail < (uint32_t)unsent &&
	    (full > 0 || SEQ_LT(c->snd_una, c->snd_nxt)))
		rem = 0; /* wait for the window to open further */
	segs = full + (rem > 0);
	if (segs == 0)
		return;
	psh = full * mss + rem == (uint32_t)unsent ? NX_TCP_PSH : 0;
	/* segments that start before snd_max are retransmissions */
	old = SEQ_LT(seq, c->snd_max) ? (c->snd_max - seq + mss - 1) / mss : 0;
	if (old > 0)
		STAT_ADD(c, retransmits, NX_MIN(old, segs));
	if (!c->rtt_timing && old < segs) {
		c->rtt_timing = true;
		c->rtt_seq = seq + old * mss;
		c->rtt_start = nx_sim_now(c->net->sim);
	}
	hdr = seg_begin(c, seq, NX_TCP_ACK);
	run_max = UINT16_MAX / mss;
	while (full > 0) {
		uint32_t k = NX_MIN(full, run_max);

		full -= k;
		if (full == 0 && rem > 0 && k * mss + rem <= UINT16_MAX) {
			train_run(c, hdr, mss, seq, k + 1, rem, psh);
			seq += k * mss + rem;
			rem = 0;
			break;
		}
		train_run(c, hdr, mss, seq, k, mss, full == 0 && rem == 0 ? psh : 0);
		seq += k * mss;
	}
	if (rem > 0) {
		train_run(c, hdr, mss, seq, 1, rem, psh);
		seq += rem;
	}
	c->snd_nxt = seq;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
}

/* Sends what the peer's window allows (RFC 9293 3.8.6.2.1: no silly
 * windows on our side: full segments unless it is the tail). */
static void output_data(struct nx_sim_tcp_conn *c)
{
	uint32_t mss = NX_MIN(c->net->o.mss, c->peer_mss);
	struct seg *hdr = NULL;

	if (c->has_hole && SEQ_LT(c->snd_nxt, c->hole_end))
		nx_sim_tcp_hole_fill(c); /* a retransmission from the hole */
	if (nx_link_trains(c->net->link)) {
		output_trains(c, mss);
		return;
	}
	for (;;) {
		int32_t unsent = (int32_t)(nx_sim_tcp_data_end(c) - c->snd_nxt);
		int32_t usable = (int32_t)(c->snd_una + c->snd_wnd - c->snd_nxt);
		uint32_t n;

		if (unsent <= 0 || usable <= 0)
			break;
		n = NX_MIN(mss, (uint32_t)NX_MIN(unsent, usable));
		if (n < mss && n < (uint32_t)unsent && SEQ_LT(c->snd_una, c->snd_nxt))
			break; /* wait for the window to open further */
		if (!c->rtt_timing && !SEQ_LT(c->snd_nxt, c->snd_max)) {
			c->rtt_timing = true;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start = nx_sim_now(c->net->sim);
		}
		if (hdr == NULL)
			hdr = seg_begin(c, c->snd_nxt, NX_TCP_ACK);
		send_data_hdr(c, hdr, c->snd_nxt, n,
			      n == (uint32_t)unsent ? NX_TCP_PSH : 0);
		c->snd_nxt += n;
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
	}
}

void nx_sim_tcp_output(struct nx_sim_tcp_conn *c)
{
	bool in_flight;

	if (c->state < ST_ESTABLISHED || c->state == ST_TIME_WAIT)
		return;
	/* Nothing unsent, no FIN and the timer as it should be: the rest
	 * would do nothing (the common case after an input, every time). */
	if ((int32_t)(nx_sim_tcp_data_end(c) - c->snd_nxt) <= 0 &&
	    !c->fin_queued && c->timer_on == (c->snd_una != c->snd_max))
		return;
	output_data(c);
	/* FIN once every data byte went out (RFC 9293 3.10.4 CLOSE). */
	if (c->fin_queued && c->snd_nxt == c->fin_seq) {
		nx_sim_tcp_send_ctl(c, c->fin_seq, NX_TCP_FIN | NX_TCP_ACK);
		if (SEQ_LT(c->fin_seq, c->snd_max))
			STAT_INC(c, retransmits);
		c->snd_nxt = c->fin_seq + 1;
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
	}
	in_flight = c->snd_una != c->snd_max;
	if (in_flight || (int32_t)(nx_sim_tcp_data_end(c) - c->snd_nxt) > 0) {
		/* Retransmission or persist (zero window) timer. */
		if (!c->timer_on)
			nx_sim_tcp_timer_arm(c, c->rto);
	} else if (c->state != ST_TIME_WAIT && c->state != ST_FIN_WAIT_2) {
		timer_stop(c);
	}
}

/* ---- receiving: application delivery ------------------------------------------ */

static void maybe_finished(struct nx_sim_tcp_conn *c)
{
	if (c->fin_rcvd && c->eof_done && fin_acked(c))
		conn_report_closed(c, 0);
}

void nx_sim_tcp_deliver(struct nx_sim_tcp_conn *c)
{
	if (!c->attached) {
		c->rhead = 0; /* closed by the application: discard */
		c->rlen = 0;
	} else if (!c->paused && c->rlen > 0) {
		const uint8_t *p = c->rbuf + c->rhead;
		size_t n = c->rlen;

		/* rbuf is only refilled by input events, never from inside
		 * the callback, so p stays valid while it runs. */
		c->rhead = 0;
		c->rlen = 0;
		c->ops->data(c->ctx, p, n);
	}
	if (c->fin_rcvd && c->rlen == 0 && !c->eof_done &&
	    (!c->paused || !c->attached)) {
		c->eof_done = true;
		if (c->attached && c->ops->eof != NULL)
			c->ops->eof(c->ctx);
	}
	maybe_finished(c);
}

static void rbuf_append(struct nx_sim_tcp_conn *c, const uint8_t *p, size_t n)
{
	nx_assert(c->rlen + n <= c->rcap);
	if (c->rhead + c->rlen + n > c->rcap) {
		memmove(c->rbuf, c->rbuf + c->rhead, c->rlen);
		c->rhead = 0;
	}
	memcpy(c->rbuf + c->rhead + c->rlen, p, n);
	c->rlen += n;
}

/* ---- receiving: the segment arrives ------------------------------------------- */

/* Replies to a segment that matched no connection (RFC 9293 3.10.7.1). */
static void send_rst_for(struct nx_sim_net *net, const struct seg *in)
{
	struct seg *s = net->scratch;
	uint32_t seg_len = in->len + !!(in->flags & NX_TCP_SYN) + !!(in->flags & NX_TCP_FIN);

	*s = (struct seg){ .net = net, .src = in->dst, .dst = in->src,
			   .sport = in->dport, .dport = in->sport };
	if (in->flags & NX_TCP_ACK) {
		s->seq = in->ack;
		s->flags = NX_TCP_RST;
	} else {
		s->ack = in->seq + seg_len;
		s->flags = NX_TCP_RST | NX_TCP_ACK;
	}
	net->st.rsts_sent++;
	transmit(net, s, NULL, 0);
}

static void rtt_sample(struct nx_sim_tcp_conn *c, uint64_t r)
{
	const struct nx_sim_net_opts *o = &c->net->o;

	/* RFC 6298 2.2 / 2.3 with alpha 1/8, beta 1/4, G = 1 us. */
	if (c->srtt == 0) {
		c->srtt = r;
		c->rttvar = r / 2;
	} else {
		uint64_t d = c->srtt > r ? c->srtt - r : r - c->srtt;

		c->rttvar = (3 * c->rttvar + d) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
	}
	c->rto = c->srtt + NX_MAX(1000u, 4 * c->rttvar);
	c->rto = NX_MIN(NX_MAX(c->rto, o->rto_min_ns), o->rto_max_ns);
}

static void fin_acked_transition(struct nx_sim_tcp_conn *c)
{
	switch (c->state) {
	case ST_FIN_WAIT_1:
		c->state = ST_FIN_WAIT_2;
		if (!c->attached) /* orphaned: do not wait forever */
			nx_sim_tcp_timer_arm(c, c->net->o.fin_wait2_ns);
		break;
	case ST_CLOSING:
		c->state = ST_TIME_WAIT;
		nx_sim_tcp_timer_arm(c, c->net->o.time_wait_ns);
		maybe_finished(c);
		break;
	case ST_LAST_ACK:
		maybe_finished(c);
		nx_sim_tcp_conn_destroy(c);
		break;
	default:
		break;
	}
}

static void ack_advance(struct nx_sim_tcp_conn *c, uint32_t ack)
{
	uint32_t n = ack - c->snd_una;
	size_t data_n = NX_MIN((size_t)n, c->slen);
	bool fin_now = c->fin_queued && !fin_acked(c) && SEQ_GT(ack, c->fin_seq);

	c->shead += data_n;
	c->slen -= data_n;
	c->snd_una = ack;
	if (c->has_hole && SEQ_GEQ(ack, c->hole_end))
		hole_release(c);
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (c->rtt_timing && SEQ_GT(ack, c->rtt_seq)) {
		c->rtt_timing = false;
		rtt_sample(c, nx_sim_now(c->net->sim) - c->rtt_start);
	}
	c->retries = 0;
	c->dupacks = 0;
	if (c->snd_una == c->snd_max)
		timer_stop(c);
	else
		nx_sim_tcp_timer_arm(c, c->rto);
	if (fin_now)
		fin_acked_transition(c);
}

/* RFC 9293 3.10.7.4 fifth check: the ACK field. */
static void ack_process(struct nx_sim_tcp_conn *c, const struct seg *s)
{
	bool window_update = SEQ_LT(c->snd_wl1, s->seq) ||
			     (c->snd_wl1 == s->seq && SEQ_LEQ(c->snd_wl2, s->ack));

	if (SEQ_GT(s->ack, c->snd_max)) {
		nx_sim_tcp_send_ack(c); /* acks something not yet sent */
		return;
	}
	if (SEQ_GT(s->ack, c->snd_una)) {
		ack_advance(c, s->ack);
	} else if (c->snd_wnd == 0 && c->snd_una == c->snd_max) {
		c->retries = 0; /* probe answered: the peer is alive */
	} else if (s->ack == c->snd_una && s->len == 0 &&
		   !(s->flags & NX_TCP_FIN) && c->snd_una != c->snd_max) {
		if (s->wnd != 0 && s->wnd == c->snd_wnd && ++c->dupacks == 3) {
			/* RFC 5681 3.2 fast retransmit (no fast recovery). */
			/* Only bytes already sent: never past snd_max. */
			uint32_t sent = NX_MIN((uint32_t)(c->snd_max - c->snd_una),
					       (uint32_t)c->slen);
			uint32_t n = NX_MIN(NX_MIN(c->net->o.mss, c->peer_mss), sent);

			STAT_INC(c, fast_retransmits);
			c->rtt_timing = false;
			if (n > 0)
				send_data(c, c->snd_una, n, 0);
		}
	}
	if (c->state == ST_CLOSED)
		return;
	if (window_update) {
		c->snd_wnd = s->wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
	}
}

static void fin_received(struct nx_sim_tcp_conn *c)
{
	c->fin_rcvd = true;
	c->rcv_nxt++;
	switch (c->state) {
	case ST_ESTABLISHED:
		c->state = ST_CLOSE_WAIT;
		break;
	case ST_FIN_WAIT_1:
		c->state = ST_CLOSING;
		break;
	case ST_FIN_WAIT_2:
		c->state = ST_TIME_WAIT;
		nx_sim_tcp_timer_arm(c, c->net->o.time_wait_ns);
		break;
	default:
		break;
	}
}

/* Accepts the new part of a segment that starts at or before rcv_nxt:
 * advances rcv_nxt (and takes the FIN); returns how many bytes, which
 * start at s->data + *skip. */
/* inline: once per arriving data segment, as is seg_put per segment */
static inline size_t take(struct nx_sim_tcp_conn *c, const struct seg *s,
			  uint32_t *skip)
{
	size_t room = NX_MIN(c->rcap - c->rlen,
			     (size_t)(SEQ_GT(c->rcv_edge, c->rcv_nxt) ? c->rcv_edge - c->rcv_nxt : 0));
	size_t n = 0;

	nx_assert(SEQ_LEQ(s->seq, c->rcv_nxt));
	*skip = c->rcv_nxt - s->seq;
	if (*skip < s->len) {
		n = NX_MIN((size_t)(s->len - *skip), room);
		c->rcv_nxt += (uint32_t)n;
		STAT_ADD(c, bytes_rcvd, n);
	}
	if ((s->flags & NX_TCP_FIN) && !c->fin_rcvd &&
	    c->rcv_nxt == s->seq + s->len)
		fin_received(c);
	return n;
}

/* take() into the receive buffer. */
static void absorb(struct nx_sim_tcp_conn *c, const struct seg *s)
{
	uint32_t skip;
	size_t n = take(c, s, &skip);

	if (n > 0)
		rbuf_append(c, s->buf->data + s->off + skip, n);
}

/* Keeps an out-of-order segment, sorted by sequence, bounded. */
static bool ooo_insert(struct nx_sim_tcp_conn *c, struct seg *s)
{
	struct seg **pp = &c->ooo;

	if (c->ooo_count >= c->net->o.ooo_max)
		return false;
	while (*pp != NULL && SEQ_LT((*pp)->seq, s->seq))
		pp = &(*pp)->next;
	if (*pp != NULL && (*pp)->seq == s->seq && (*pp)->len >= s->len &&
	    ((*pp)->flags & NX_TCP_FIN) >= (s->flags & NX_TCP_FIN))
		return false; /* a duplicate of what we hold */
	/* Kept past its arrival: its event handle is stale (harmless:
	 * handles are generation-checked), cleared all the same. */
	s->ev = NX_SIM_EVENT_NONE;
	s->next = *pp;
	*pp = s;
	c->ooo_count++;
	STAT_INC(c, ooo_segs);
	return true;
}

static void ooo_drain(struct nx_sim_tcp_conn *c)
{
	while (c->ooo != NULL && SEQ_LEQ(c->ooo->seq, c->rcv_nxt) && !c->fin_rcvd) {
		struct seg *s = c->ooo;

		c->ooo = s->next;
		c->ooo_count--;
		absorb(c, s);
		seg_put(s);
	}
}

/* The in-order segment when nothing is buffered (the common case): the
 * application reads straight from the segment, as deliver() would have
 * handed it the same bytes after copying them into the buffer. */
static void absorb_deliver(struct nx_sim_tcp_conn *c, const struct seg *s)
{
	uint32_t skip;
	size_t n;

	if (c->rlen > 0 || c->ooo != NULL || !c->attached || c->paused) {
		absorb(c, s);
		ooo_drain(c);
		nx_sim_tcp_deliver(c);
		return;
	}
	n = take(c, s, &skip);
	/* s stays valid: it is freed after conn_input() returns. */
	if (n > 0)
		c->ops->data(c->ctx, s->buf->data + s->off + skip, n);
	nx_sim_tcp_deliver(c); /* EOF and the end of the close, as usual */
}

static void delack_fire(void *arg)
{
	struct nx_sim_tcp_conn *c = arg;

	c->delack_ev = NX_SIM_EVENT_NONE;
	if (!c->ack_delayed || !c->linked)
		return;
	nx_sim_tcp_conn_hold(c);
	nx_sim_tcp_send_ack(c);
	nx_sim_tcp_conn_release(c);
}

/* In-order data arrived (and was delivered).  RFC 9293 3.8.6.3, RFC
 * 5681 4.2: ACK at least every second full-sized segment, else within
 * delack_ns; a segment the application sent meanwhile (from its data
 * callback) already carried the ACK. */
static void ack_schedule(struct nx_sim_tcp_conn *c)
{
	uint32_t mss = NX_MIN(c->net->o.mss, c->peer_mss);

	if (c->rcv_nxt == c->rcv_acked)
		return;
	if (c->net->o.delack_ns == 0 || c->rcv_nxt - c->rcv_acked > mss) {
		c->ack_now = true;
		return;
	}
	c->ack_delayed = true;
	if (c->delack_ev == NX_SIM_EVENT_NONE) {
		c->delack_ev = nx_sim_schedule(c->net->sim, c->net->o.delack_ns,
					       delack_fire, c);
		nx_assert(c->delack_ev != NX_SIM_EVENT_NONE);
	}
}

/* Text and FIN (RFC 9293 3.10.7.4 seventh/eighth).  Returns true if the
 * segment was kept in the out-of-order queue. */
static bool data_process(struct nx_sim_tcp_conn *c, struct seg *s)
{
	uint32_t seg_len = s->len + !!(s->flags & NX_TCP_FIN);
	bool kept = false;

	if (c->fin_rcvd || SEQ_LEQ(s->seq + seg_len, c->rcv_nxt)) {
		STAT_INC(c, dup_segs); /* old news: re-ACK (3.10.7.4 first) */
		/* A retransmitted FIN restarts 2*MSL (RFC 9293 3.10.7.4). */
		if (c->state == ST_TIME_WAIT && (s->flags & NX_TCP_FIN))
			nx_sim_tcp_timer_arm(c, c->net->o.time_wait_ns);
	} else if (SEQ_GT(s->seq, c->rcv_nxt)) {
		if (SEQ_LT(s->seq, c->rcv_edge))
			kept = ooo_insert(c, s);
	} else {
		uint32_t before = c->rcv_nxt;
		bool plain = c->ooo == NULL && !(s->flags & NX_TCP_FIN);

		absorb_deliver(c, s);
		/* Plain new data may wait for company; a filled hole or a
		 * FIN is ACKed at once (RFC 5681 4.2). */
		if (plain && c->rcv_nxt != before && c->state != ST_CLOSED) {
			ack_schedule(c);
			return kept;
		}
	}
	if (c->state != ST_CLOSED)
		nx_sim_tcp_send_ack(c);
	return kept;
}

static void establish(struct nx_sim_tcp_conn *c, const struct seg *s)
{
	c->state = ST_ESTABLISHED;
	c->snd_una = c->iss + 1;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->snd_wnd = s->wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->retries = 0;
	timer_stop(c);
}

static void input_syn_sent(struct nx_sim_tcp_conn *c, const struct seg *s)
{
	bool ack_ok = (s->flags & NX_TCP_ACK) && s->ack == c->iss + 1;

	if ((s->flags & NX_TCP_ACK) && !ack_ok) {
		if (!(s->flags & NX_TCP_RST))
			send_rst_for(c->net, s);
		return;
	}
	if (s->flags & NX_TCP_RST) {
		if (ack_ok)
			nx_sim_tcp_conn_fail(c, NX_SIM_ECONNREFUSED);
		return;
	}
	if (!(s->flags & NX_TCP_SYN) || !ack_ok)
		return; /* simultaneous open is not modelled */
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_edge = c->rcv_nxt;
	c->peer_mss = s->mss_opt ? s->mss_opt : 536;
	if (c->rtt_timing) {
		c->rtt_timing = false;
		rtt_sample(c, nx_sim_now(c->net->sim) - c->rtt_start);
	}
	establish(c, s);
	nx_sim_tcp_send_ack(c);
	if (c->attached && c->ops->connected != NULL)
		c->ops->connected(c->ctx);
	nx_sim_tcp_output(c);
}

static void accept_conn(struct nx_sim_tcp_conn *c)
{
	struct nx_sim_tcp_listener *l = c->listener;

	l->pending--;
	c->listener = NULL;
	l->accept(l->ctx, c);
	if (!c->attached && c->linked && c->ops == NULL)
		nx_sim_tcp_abort(c); /* nobody took it */
}

/* Returns true if the segment should go on to the synchronized-state
 * processing (the handshake's ACK may carry data). */
static bool input_syn_rcvd(struct nx_sim_tcp_conn *c, const struct seg *s)
{
	if (s->flags & NX_TCP_RST) {
		nx_sim_tcp_conn_destroy(c);
		return false;
	}
	if ((s->flags & NX_TCP_SYN) && !(s->flags & NX_TCP_ACK)) {
		if (s->seq == c->irs) /* our SYN-ACK was lost */
			nx_sim_tcp_send_ctl(c, c->iss, NX_TCP_SYN | NX_TCP_ACK);
		return false;
	}
	if (!(s->flags & NX_TCP_ACK))
		return false;
	if (s->ack != c->iss + 1) {
		send_rst_for(c->net, s);
		return false;
	}
	if (c->rtt_timing) {
		c->rtt_timing = false;
		rtt_sample(c, nx_sim_now(c->net->sim) - c->rtt_start);
	}
	establish(c, s);
	accept_conn(c);
	return c->linked;
}

static bool seq_acceptable(const struct nx_sim_tcp_conn *c, const struct seg *s)
{
	uint32_t wnd = NX_MAX(c->rcv_edge - c->rcv_nxt, 1u);

	/* RFC 9293 3.10.7.4, simplified: the segment starts in the window,
	 * or ends in it. */
	return (SEQ_GEQ(s->seq, c->rcv_nxt) && SEQ_LT(s->seq, c->rcv_nxt + wnd)) ||
	       (SEQ_GT(s->seq + s->len, c->rcv_nxt) &&
		SEQ_LEQ(s->seq + s->len, c->rcv_nxt + wnd));
}

static bool input_sync(struct nx_sim_tcp_conn *c, struct seg *s)
{
	if (s->flags & NX_TCP_RST) {
		/* RFC 1337: TIME_WAIT ignores RSTs (no assassination). */
		if (c->state != ST_TIME_WAIT &&
		    (seq_acceptable(c, s) || s->seq == c->rcv_nxt))
			nx_sim_tcp_conn_fail(c, NX_SIM_ECONNRESET);
		return false;
	}
	if (s->flags & NX_TCP_SYN) {
		nx_sim_tcp_send_ack(c); /* a retransmitted SYN-ACK: our ACK was lost */
		return false;
	}
	if (!(s->flags & NX_TCP_ACK))
		return false;
	ack_process(c, s);
	if (c->state == ST_CLOSED)
		return false;
	if (s->len > 0 || (s->flags & NX_TCP_FIN))
		return data_process(c, s);
	/* A pure segment just left of the window is a window probe (or
	 * keep-alive): answer with our ACK and window (3.8.6.1). */
	if (s->seq == c->rcv_nxt - 1)
		nx_sim_tcp_send_ack(c);
	return false;
}

static void conn_input(struct nx_sim_tcp_conn *c, struct seg *s)
{
	bool kept = false;

	nx_sim_tcp_conn_hold(c);
	c->st.segs_rcvd++;
	switch (c->state) {
	case ST_SYN_SENT:
		input_syn_sent(c, s);
		break;
	case ST_SYN_RCVD:
		if (!input_syn_rcvd(c, s))
			break;
		/* fall through */
	default:
		kept = input_sync(c, s);
		if (c->linked)
			nx_sim_tcp_output(c);
		if (c->linked && c->ack_now)
			nx_sim_tcp_send_ack(c); /* owed, and output() sent nothing */
		break;
	}
	if (!kept)
		seg_put(s);
	nx_sim_tcp_conn_release(c);
}

struct nx_sim_tcp_listener *nx_sim_tcp_listener_find(struct nx_sim_host *h, uint16_t port)
{
	for (struct nx_sim_tcp_listener *l = h->listeners; l != NULL; l = l->next)
		if (l->port == port)
			return l;
	return NULL;
}

/* A SYN for a listener: a new connection in SYN_RECEIVED. */
static void listener_syn(struct nx_sim_tcp_listener *l, const struct seg *s)
{
	struct nx_sim_net *net = l->host->net;
	struct nx_sim_tcp_conn *c = NULL;

	if (l->pending < net->o.backlog_max)
		c = nx_sim_tcp_conn_new(l->host, s->dport, net->hosts[s->src]->ip, s->sport);
	if (c == NULL) {
		send_rst_for(net, s); /* backlog full: refuse */
		return;
	}
	c->listener = l;
	l->pending++;
	c->state = ST_SYN_RCVD;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_edge = c->rcv_nxt;
	c->peer_mss = s->mss_opt ? s->mss_opt : 536;
	c->snd_wnd = s->wnd;
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->snd_nxt;
	c->rtt_timing = true;
	c->rtt_seq = c->iss;
	c->rtt_start = nx_sim_now(net->sim);
	nx_sim_tcp_send_ctl(c, c->iss, NX_TCP_SYN | NX_TCP_ACK);
	nx_sim_tcp_timer_arm(c, c->rto);
}

static void seg_arrive(struct seg *s)
{
	struct nx_sim_net *net = s->net;
	struct nx_sim_host *h = net->hosts[s->dst];
	struct nx_sim_tcp_conn *c;
	struct nx_sim_tcp_listener *l;

	net->st.segs_rcvd++;
	c = conn_lookup(h, s->dport, s->src, s->sport);
	if (c != NULL) {
		conn_input(c, s);
		return;
	}
	l = nx_sim_tcp_listener_find(h, s->dport);
	if ((s->flags & (NX_TCP_SYN | NX_TCP_ACK | NX_TCP_RST)) == NX_TCP_SYN && l != NULL)
		listener_syn(l, s);
	else if (!(s->flags & NX_TCP_RST))
		send_rst_for(net, s);
	seg_put(s);
}

/* The segments of a train arrive one per step, in the order their own
 * events would have run: the rest of the train is the continuation. */
void nx_sim_tcp_seg_train_arrive(void *arg)
{
	struct seg *s = arg;
	struct nx_sim *sim = s->net->sim;
	struct seg *next = s->next;

	s->next = NULL; /* free for the out-of-order queue or the free list */
	if (next != NULL)
		nx_sim_continue(sim, nx_sim_tcp_seg_train_arrive, next);
	seg_arrive(s);
}

/* ---- the timer: retransmission, persist, TIME_WAIT -------------------------------- */

static void timer_rexmit(struct nx_sim_tcp_conn *c)
{
	STAT_INC(c, rto_expiries);
	if (++c->retries > c->net->o.retries_max) {
		nx_sim_tcp_send_ctl(c, c->snd_nxt, NX_TCP_RST | NX_TCP_ACK);
		nx_sim_tcp_conn_fail(c, NX_SIM_ETIMEDOUT);
		return;
	}
	c->rto = NX_MIN(c->rto * 2, c->net->o.rto_max_ns); /* RFC 6298 5.5 */
	c->rtt_timing = false;                              /* Karn */
	c->dupacks = 0;
	if (c->state == ST_SYN_SENT) {
		nx_sim_tcp_send_ctl(c, c->iss, NX_TCP_SYN);
	} else if (c->state == ST_SYN_RCVD) {
		nx_sim_tcp_send_ctl(c, c->iss, NX_TCP_SYN | NX_TCP_ACK);
	} else {
		c->snd_nxt = c->snd_una; /* go back N */
		nx_sim_tcp_output(c);
	}
	nx_sim_tcp_timer_arm(c, c->rto);
}

/* Zero window (RFC 9293 3.8.6.1): probe with a pure ACK one left of
 * snd_una, as Linux does: it draws the peer's ACK and window without
 * putting a new byte on the wire, so captures show no gap.  A peer that
 * stops answering times out like any retransmission. */
static void timer_persist(struct nx_sim_tcp_conn *c)
{
	STAT_INC(c, window_probes);
	if (++c->retries > c->net->o.retries_max) {
		nx_sim_tcp_send_ctl(c, c->snd_nxt, NX_TCP_RST | NX_TCP_ACK);
		nx_sim_tcp_conn_fail(c, NX_SIM_ETIMEDOUT);
		return;
	}
	nx_sim_tcp_send_ctl(c, c->snd_una - 1, NX_TCP_ACK);
	c->rto = NX_MIN(c->rto * 2, c->net->o.rto_max_ns);
	nx_sim_tcp_timer_arm(c, c->rto);
}

static void timer_fire(void *arg)
{
	struct nx_sim_tcp_conn *c = arg;

	c->timer_ev = NX_SIM_EVENT_NONE;
	if (!c->timer_on)
		return;
	if (nx_sim_now(c->net->sim) < c->timer_at) {
		timer_event(c, c->timer_at); /* pushed back since armed */
		return;
	}
	c->timer_on = false;
	nx_sim_tcp_conn_hold(c);
	if (c->state == ST_TIME_WAIT || c->state == ST_FIN_WAIT_2)
		nx_sim_tcp_conn_destroy(c); /* 2*MSL over, or orphan reaped */
	else if (c->state == ST_SYN_SENT || c->state == ST_SYN_RCVD ||
		 c->snd_una != c->snd_max)
		timer_rexmit(c);
	else if ((int32_t)(nx_sim_tcp_data_end(c) - c->snd_nxt) > 0)
		timer_persist(c);
	nx_sim_tcp_conn_release(c);
}
