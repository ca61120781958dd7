/*
 * xfer.c - the self-checking byte-stream workload (nx_sim_xfer.h).
 */
#include <stdlib.h>

#include "nx_sim_xfer.h"

#define CHUNK_BUF (64u * 1024)

struct side {
	struct xfer *x;
	unsigned id;           /* stream this side sends */
	struct nx_sim_tcp_conn *conn;
	struct nx_sim_xfer_side r;
	uint64_t to_send;
	nx_sim_event_id send_ev, pause_ev;
	bool shut;
};

struct xfer {
	struct nx_sim *sim;
	struct nx_sim_net *net;
	struct nx_sim_xfer_opts o;
	struct nx_rng rng;
	struct side a, b;
	struct nx_sim_tcp_listener *listener;
	uint8_t buf[CHUNK_BUF];
};

void nx_sim_xfer_opts_default(struct nx_sim_xfer_opts *o)
{
	*o = (struct nx_sim_xfer_opts){
		.bytes_ab = 1 << 20, .bytes_ba = 1 << 20,
		.chunk_max = 16384, .gap_max_ns = 50000, .port = 5001,
	};
}

uint8_t nx_sim_xfer_byte(unsigned id, uint64_t off)
{
	uint64_t z = off * 0x9e3779b97f4a7c15ull + id * 0xbf58476d1ce4e5b9ull;

	return (uint8_t)((z ^ (z >> 29)) >> 23);
}

static void side_send(void *arg);

static void schedule_send(struct side *s)
{
	s->send_ev = nx_sim_schedule(s->x->sim,
				     nx_rng_range(&s->x->rng, 0, s->x->o.gap_max_ns),
				     side_send, s);
}

static void side_send(void *arg)
{
	struct side *s = arg;
	struct xfer *x = s->x;
	/* One draw per call, outside NX_MIN (which evaluates twice). */
	uint64_t draw = nx_rng_range(&x->rng, 1, NX_MIN(x->o.chunk_max, CHUNK_BUF));
	uint64_t n = NX_MIN(s->to_send - s->r.sent, draw);
	struct nx_iovec iov = { x->buf, (size_t)n };

	s->send_ev = NX_SIM_EVENT_NONE;
	if (s->conn == NULL || s->r.closed)
		return;
	nx_assert(s->r.sent <= s->to_send);
	for (uint64_t i = 0; i < n; i++)
		x->buf[i] = nx_sim_xfer_byte(s->id, s->r.sent + i);
	if (n > 0 && nx_sim_tcp_send(s->conn, &iov, 1) == NX_OK)
		s->r.sent += n;
	if (s->r.sent < s->to_send) {
		schedule_send(s);
	} else if (!s->shut) {
		s->shut = true;
		nx_sim_tcp_shutdown(s->conn);
	}
}

static void on_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] != nx_sim_xfer_byte(!s->id, s->r.rcvd + i) &&
		    s->r.bad_offset == UINT64_MAX)
			s->r.bad_offset = s->r.rcvd + i;
	}
	s->r.rcvd += len;
}

static void on_connected(void *ctx)
{
	struct side *s = ctx;

	s->r.connected = true;
	schedule_send(s);
}

static void on_eof(void *ctx)
{
	struct side *s = ctx;

	s->r.eof = true;
}

static void on_closed(void *ctx, int err)
{
	struct side *s = ctx;

	s->r.closed = true;
	s->r.err = err;
	s->conn = NULL;
	nx_sim_cancel(s->x->sim, s->send_ev);
	nx_sim_cancel(s->x->sim, s->pause_ev);
}

static const struct nx_sim_tcp_ops side_ops = {
	.connected = on_connected, .data = on_data,
	.eof = on_eof, .closed = on_closed,
};

static void toggle_pause(void *arg)
{
	struct side *s = arg;
	struct xfer *x = s->x;
	bool pause = nx_rng_chance(&x->rng, 1, 2);

	s->pause_ev = NX_SIM_EVENT_NONE;
	if (s->conn == NULL)
		return;
	nx_sim_tcp_pause(s->conn, pause);
	if (s->conn != NULL)
		s->pause_ev = nx_sim_schedule(x->sim, nx_rng_range(&x->rng, 10000, 5000000),
					      toggle_pause, s);
}

static void on_accept(void *ctx, struct nx_sim_tcp_conn *conn)
{
	struct xfer *x = ctx;

	if (x->b.conn != NULL || x->b.r.closed) {
		nx_sim_tcp_abort(conn);
		return;
	}
	x->b.conn = conn;
	x->b.r.connected = true;
	nx_sim_tcp_set_ops(conn, &side_ops, &x->b);
	schedule_send(&x->b);
	if (x->o.pause_b)
		toggle_pause(&x->b);
}

static bool both_closed(void *arg)
{
	struct xfer *x = arg;

	return x->a.r.closed && x->b.r.closed;
}

static void side_init(struct xfer *x, struct side *s, unsigned id, uint64_t bytes)
{
	s->x = x;
	s->id = id;
	s->to_send = bytes;
	s->r.bad_offset = UINT64_MAX;
}

static void finish(struct xfer *x, struct nx_sim_xfer_result *out)
{
	struct side *sides[2] = { &x->a, &x->b };

	for (unsigned i = 0; i < 2; i++) {
		nx_sim_cancel(x->sim, sides[i]->send_ev);
		nx_sim_cancel(x->sim, sides[i]->pause_ev);
		if (sides[i]->conn != NULL)
			nx_sim_tcp_abort(sides[i]->conn);
	}
	if (x->listener != NULL)
		nx_sim_tcp_unlisten(x->listener);
	out->a = x->a.r;
	out->b = x->b.r;
	out->end_ns = nx_sim_now(x->sim);
	out->ok = out->a.closed && out->b.closed && out->a.err == 0 &&
		  out->b.err == 0 && out->a.bad_offset == UINT64_MAX &&
		  out->b.bad_offset == UINT64_MAX &&
		  out->a.rcvd == x->o.bytes_ba && out->b.rcvd == x->o.bytes_ab;
}

int nx_sim_xfer_run(struct nx_sim *sim, struct nx_sim_net *net,
		    struct nx_sim_host *a, struct nx_sim_host *b,
		    const struct nx_sim_xfer_opts *o, uint64_t deadline_ns,
		    struct nx_sim_xfer_result *out)
{
	struct xfer *x = calloc(1, sizeof(*x));
	int rc;

	if (x == NULL)
		return NX_ENOMEM;
	x->sim = sim;
	x->net = net;
	x->o = *o;
	nx_rng_fork(nx_sim_rng(sim), "xfer", o->port, &x->rng);
	side_init(x, &x->a, 0, o->bytes_ab);
	side_init(x, &x->b, 1, o->bytes_ba);
	rc = nx_sim_tcp_listen(b, o->port, on_accept, x, &x->listener);
	if (rc == NX_OK)
		rc = nx_sim_tcp_connect(a, nx_sim_host_ip(b), o->port, &side_ops,
					&x->a, &x->a.conn);
	if (rc == NX_OK)
		nx_sim_run_until(sim, both_closed, x, deadline_ns);
	finish(x, out);
	free(x);
	return rc;
}
