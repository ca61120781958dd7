/*
 * tcp_api.c - the simulated TCP's application API apart from send: listen,
 * connect, close, abort, faults, addresses, statistics, host crash
 * (tcp_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tcp_internal.h"

/* ---- application API ------------------------------------------------------------ */

int nx_sim_tcp_listen(struct nx_sim_host *h, uint16_t port,
		      nx_sim_tcp_accept_fn accept, void *ctx,
		      struct nx_sim_tcp_listener **out)
{
	struct nx_sim_tcp_listener *l, **pp;

	if (nx_sim_tcp_listener_find(h, port) != NULL)
		return NX_EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NX_ENOMEM;
	*l = (struct nx_sim_tcp_listener){ .host = h, .port = port,
					   .accept = accept, .ctx = ctx };
	for (pp = &h->listeners; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = l;
	*out = l;
	return NX_OK;
}

/* Half-open connections of the listener go with it. */
void nx_sim_tcp_unlisten(struct nx_sim_tcp_listener *l)
{
	struct nx_sim_tcp_listener **pp;
	struct nx_sim_tcp_conn *c, *next;

	for (c = l->host->conns; c != NULL; c = next) {
		next = c->next;
		if (c->listener == l)
			nx_sim_tcp_conn_destroy(c);
	}
	for (pp = &l->host->listeners; *pp != l; pp = &(*pp)->next)
		nx_assert(*pp != NULL);
	*pp = l->next;
	free(l);
}

static uint16_t ephemeral_port(struct nx_sim_host *h)
{
	for (unsigned i = 0; i < 65536 - PORT_EPHEMERAL_FIRST; i++) {
		uint16_t p = h->next_port;
		bool used = nx_sim_tcp_listener_find(h, p) != NULL;

		h->next_port = p == 65535 ? PORT_EPHEMERAL_FIRST : (uint16_t)(p + 1);
		for (struct nx_sim_tcp_conn *c = h->conns; c && !used; c = c->next)
			used = c->lport == p;
		if (!used)
			return p;
	}
	return 0;
}

int nx_sim_tcp_connect(struct nx_sim_host *h, uint32_t dst_ip,
		       uint16_t dst_port, const struct nx_sim_tcp_ops *ops,
		       void *ctx, struct nx_sim_tcp_conn **out)
{
	uint16_t port = ephemeral_port(h);
	struct nx_sim_tcp_conn *c;

	nx_assert(ops != NULL && ops->data != NULL);
	if (port == 0)
		return NX_ENOSPC;
	c = nx_sim_tcp_conn_new(h, port, dst_ip, dst_port);
	if (c == NULL)
		return nx_sim_tcp_host_by_ip(h->net, dst_ip) == NULL ? NX_EINVAL : NX_ENOSPC;
	nx_sim_tcp_conn_attach(c, ops, ctx);
	c->state = ST_SYN_SENT;
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->snd_nxt;
	c->rtt_timing = true;
	c->rtt_seq = c->iss;
	c->rtt_start = nx_sim_now(h->net->sim);
	nx_sim_tcp_send_ctl(c, c->iss, NX_TCP_SYN);
	nx_sim_tcp_timer_arm(c, c->rto);
	*out = c;
	return NX_OK;
}

void nx_sim_tcp_set_ops(struct nx_sim_tcp_conn *c,
			const struct nx_sim_tcp_ops *ops, void *ctx)
{
	nx_sim_tcp_conn_attach(c, ops, ctx);
}

void nx_sim_tcp_shutdown(struct nx_sim_tcp_conn *c)
{
	if (c->fin_queued || !c->linked)
		return;
	if (c->state == ST_SYN_SENT || c->state == ST_SYN_RCVD) {
		nx_sim_tcp_abort(c); /* nothing to say yet: just go */
		return;
	}
	c->fin_queued = true;
	c->fin_seq = nx_sim_tcp_data_end(c);
	if (c->state == ST_ESTABLISHED)
		c->state = ST_FIN_WAIT_1;
	else if (c->state == ST_CLOSE_WAIT)
		c->state = ST_LAST_ACK;
	nx_sim_tcp_output(c);
}

void nx_sim_tcp_close(struct nx_sim_tcp_conn *c)
{
	nx_sim_tcp_conn_hold(c);
	nx_sim_tcp_conn_detach(c);
	if (c->linked) {
		nx_sim_tcp_shutdown(c);
		c->rlen = 0; /* unread data is discarded */
		c->rhead = 0;
		if (c->linked && c->state == ST_FIN_WAIT_2)
			nx_sim_tcp_timer_arm(c, c->net->o.fin_wait2_ns);
	}
	nx_sim_tcp_conn_release(c);
}

void nx_sim_tcp_abort(struct nx_sim_tcp_conn *c)
{
	nx_sim_tcp_conn_hold(c);
	nx_sim_tcp_conn_detach(c);
	if (c->linked) {
		if (c->state != ST_SYN_SENT && c->state != ST_TIME_WAIT)
			nx_sim_tcp_send_ctl(c, c->snd_nxt, NX_TCP_RST | NX_TCP_ACK);
		nx_sim_tcp_conn_destroy(c);
	}
	nx_sim_tcp_conn_release(c);
}

void nx_sim_tcp_inject_reset(struct nx_sim_tcp_conn *c)
{
	nx_sim_tcp_conn_hold(c);
	if (c->linked && c->state != ST_SYN_SENT)
		nx_sim_tcp_send_ctl(c, c->snd_nxt, NX_TCP_RST | NX_TCP_ACK);
	nx_sim_tcp_conn_fail(c, NX_SIM_ECONNRESET);
	nx_sim_tcp_conn_release(c);
}

void nx_sim_tcp_pause(struct nx_sim_tcp_conn *c, bool paused)
{
	uint32_t before = c->rcv_adv;

	c->paused = paused;
	if (paused)
		return;
	nx_sim_tcp_conn_hold(c);
	nx_sim_tcp_deliver(c);
	/* Window update (RFC 9293 3.8.6.2.2) once it opened meaningfully. */
	if (c->linked && c->state >= ST_ESTABLISHED &&
	    nx_sim_tcp_rcv_window(c) >= before + 2 * c->net->o.mss)
		nx_sim_tcp_send_ack(c);
	nx_sim_tcp_conn_release(c);
}

size_t nx_sim_tcp_send_queued(const struct nx_sim_tcp_conn *c) { return c->slen; }

static void fmt_addr(char *b, size_t n, uint32_t ip, uint16_t port)
{
	snprintf(b, n, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255, port);
}

void nx_sim_tcp_addrs(const struct nx_sim_tcp_conn *c, char *local,
		      char *peer, size_t len)
{
	fmt_addr(local, len, c->host->ip, c->lport);
	fmt_addr(peer, len, c->rip, c->rport);
}

void nx_sim_tcp_conn_stats(const struct nx_sim_tcp_conn *c,
			   struct nx_sim_tcp_stats *out)
{
	*out = c->st;
}

void nx_sim_host_crash(struct nx_sim_host *h)
{
	while (h->conns != NULL) {
		struct nx_sim_tcp_conn *c = h->conns;

		nx_sim_tcp_conn_hold(c);
		nx_sim_tcp_conn_detach(c);
		nx_sim_tcp_conn_destroy(c);
		nx_sim_tcp_conn_release(c);
	}
	while (h->listeners != NULL)
		nx_sim_tcp_unlisten(h->listeners);
}
