// SPDX-License-Identifier: GPL-2.0
/*
 * portal.c - kernel TCP sockets <-> the iSCSI transport (see nx_kmod.h).
 *
 * Socket callbacks run in softirq context with sk_callback_lock held for
 * reading; they look the owner up through sk_user_data and queue its work
 * item.  Detaching takes the lock for writing, so once a socket is
 * detached no callback can queue anything for it, and cancel_work()
 * removes what was already queued: on the ordered loop no other work item
 * can be running at the same time.
 */
#define pr_fmt(fmt) "nexus: " fmt

#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "nx_kmod.h"
#include "../transports/iscsi/nx_sendq.h"

#define ADDR_TEXT 64
#define IOV_BATCH 64 /* iovecs per kernel_sendmsg */

struct nx_kportal {
	struct socket *ls;
	struct work_struct accept_work;
	struct nx_timer *accept_retry;
	void (*saved_data_ready)(struct sock *sk);
	struct nx_iscsi_server *srv;
	struct list_head conns;
	unsigned int conn_count;
	u8 *rbuf; /* one receive buffer: the loop reads one socket at a time */
	struct nx_iovec *scratch; /* IOV_BATCH each: one kernel_sendmsg */
	struct kvec *kv;
	bool closing;
	char text[ADDR_TEXT];
};

struct kconn {
	struct list_head node;
	struct nx_kportal *p;
	struct socket *sock;      /* NULL once closed */
	struct work_struct work;  /* flush, read, end: all socket events */
	struct nx_iscsi_conn *ic;
	struct nx_timer *linger;  /* bounds the flush before close */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	struct nx_sendq *sq;      /* output not yet taken by the socket */
	bool in_work;             /* c->work is running: it flushes at its end */
	bool closing;             /* the transport called ops->close */
	bool broken;              /* socket failed, peer gone, or shutdown */
	bool lingering;
	bool told_transport;      /* nx_iscsi_conn_closed() was called */
	bool released;            /* ... and the transport let go */
	char peer[ADDR_TEXT];
};

static void kconn_end(struct kconn *c);

/* ---- socket callbacks (softirq) ----------------------------------------- */

static void kconn_sk_event(struct sock *sk)
{
	struct kconn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c)
		nx_kloop_queue(&c->work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void kconn_sk_write_space(struct sock *sk)
{
	struct kconn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		nx_kloop_queue(&c->work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void kportal_sk_data_ready(struct sock *sk)
{
	struct nx_kportal *p;

	read_lock_bh(&sk->sk_callback_lock);
	p = sk->sk_user_data;
	/* Accepted sockets are clones of the listener and inherit this
	 * callback and sk_user_data until kconn_attach() replaces them:
	 * only the listener itself means "a connection is waiting". */
	if (p && sk->sk_state == TCP_LISTEN)
		nx_kloop_queue(&p->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

/* ---- connection: output ---------------------------------------------------- */

/* nx_sendq_write_fn: one kernel_sendmsg of the queue's head.  Returns
 * bytes taken, 0 when the socket is full, or a negative errno. */
static long ksock_write(void *ctx, const struct nx_iovec *iov, unsigned int cnt)
{
	struct kconn *c = ctx;
	struct kvec *v = c->p->kv;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	size_t want = 0;
	int rc;

	nx_assert(cnt <= IOV_BATCH);
	for (unsigned int i = 0; i < cnt; i++) {
		/* sendmsg only reads the buffers; kvec is just not const */
		v[i].iov_base = (void *)(uintptr_t)iov[i].base;
		v[i].iov_len = iov[i].len;
		want += iov[i].len;
	}
	rc = kernel_sendmsg(c->sock, &msg, v, cnt, want);
	return rc == -EAGAIN ? 0 : rc;
}

static void kconn_break(struct kconn *c, const char *why, int err)
{
	if (!c->broken)
		nx_log(NX_LOG_DEBUG, "%s: %s (%d)", c->peer, why, err);
	c->broken = true;
	nx_kloop_queue(&c->work);
}

/* Output was queued: the connection's work flushes it (at the end of the
 * run that produced it, or in a run queued now), so the PDUs of one
 * receive batch leave in one kernel_sendmsg. */
static void kconn_queued(struct kconn *c)
{
	if (nx_sendq_bytes(c->sq) > KCONN_OUT_HARD_MAX) {
		nx_log(NX_LOG_WARN, "%s: peer does not read (%zu bytes queued), "
		       "dropping the connection", c->peer,
		       nx_sendq_bytes(c->sq));
		kconn_break(c, "output overflow", 0);
		return;
	}
	if (!c->in_work)
		nx_kloop_queue(&c->work);
}

static void kconn_send(void *ctx, const struct nx_iovec *iov, unsigned int cnt)
{
	struct kconn *c = ctx;

	if (c->broken || !c->sock)
		return; /* the peer is gone: the bytes have nowhere to go */
	if (nx_sendq_push(c->sq, iov, cnt, 0, NULL, NULL) < 0) {
		kconn_break(c, "output queue full", -ENOMEM);
		return;
	}
	kconn_queued(c);
}

static void kconn_send_lent(void *ctx, const struct nx_iovec *iov,
			    unsigned int cnt, u32 lent_mask,
			    void (*release)(void *arg, bool ok), void *arg)
{
	struct kconn *c = ctx;

	if (c->broken || !c->sock) {
		if (release)
			release(arg, false);
		return;
	}
	/* On failure push has released arg already. */
	if (nx_sendq_push(c->sq, iov, cnt, lent_mask, release, arg) < 0) {
		kconn_break(c, "output queue full", -ENOMEM);
		return;
	}
	kconn_queued(c);
}

/* Writes queued output: 0 (all sent, or the socket is full: then
 * sk_write_space queues the work again) or -errno. */
static int kconn_flush(struct kconn *c)
{
	int rc;

	if (nx_sendq_empty(c->sq))
		return 0;
	rc = nx_sendq_flush(c->sq, c->p->scratch, IOV_BATCH, ksock_write, c);
	return rc < 0 ? rc : 0;
}

static void kconn_close_op(void *ctx)
{
	struct kconn *c = ctx;

	c->closing = true;
	nx_kloop_queue(&c->work);
}

static const struct nx_iscsi_conn_ops kconn_ops = {
	.send = kconn_send,
	.close = kconn_close_op,
	.send_lent = kconn_send_lent,
};

/* ---- connection: teardown ---------------------------------------------------- */

static void kconn_attach(struct kconn *c)
{
	struct sock *sk = c->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	c->saved_data_ready = sk->sk_data_ready;
	c->saved_write_space = sk->sk_write_space;
	c->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = c;
	sk->sk_data_ready = kconn_sk_event;
	sk->sk_write_space = kconn_sk_write_space;
	sk->sk_state_change = kconn_sk_event;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void kconn_close_sock(struct kconn *c)
{
	struct sock *sk = c->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == c) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = c->saved_data_ready;
		sk->sk_write_space = c->saved_write_space;
		sk->sk_state_change = c->saved_state_change;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	/* Nothing queues c->work from here on; drop a pending run.  We may
	 * be inside c->work itself: then it is not pending any more. */
	cancel_work(&c->work);
	nx_timer_cancel(c->linger);
	if (c->broken)
		kernel_sock_shutdown(c->sock, SHUT_RDWR);
	sock_release(c->sock);
	c->sock = NULL;
	/* Lent task buffers go back now, not when the session drains. */
	nx_sendq_discard(c->sq);
}

static void kconn_maybe_free(struct kconn *c)
{
	struct nx_kportal *p = c->p;

	if (!c->released || c->sock)
		return;
	list_del(&c->node);
	nx_assert(p->conn_count > 0);
	p->conn_count--;
	nx_log(NX_LOG_DEBUG, "%s: connection freed", c->peer);
	nx_timer_free(c->linger);
	nx_sendq_free(c->sq);
	nx_free(c);
}

static void kconn_release(void *ctx)
{
	struct kconn *c = ctx;

	nx_assert(c->told_transport && !c->released);
	c->released = true;
	kconn_maybe_free(c);
}

/* Closes (or starts lingering), tells the transport once; may free c. */
static void kconn_end(struct kconn *c)
{
	if (c->sock) {
		if (c->broken || nx_sendq_empty(c->sq)) {
			kconn_close_sock(c);
		} else if (!c->lingering) {
			c->lingering = true;
			nx_timer_arm(c->linger, KCONN_LINGER_NS);
		}
	}
	if (!c->told_transport) {
		c->told_transport = true;
		nx_iscsi_conn_closed(c->ic, kconn_release, c);
		return; /* release may have freed c */
	}
	kconn_maybe_free(c);
}

static void kconn_linger_expired(void *arg)
{
	struct kconn *c = arg;

	nx_log(NX_LOG_DEBUG, "%s: output not flushed in time", c->peer);
	c->broken = true;
	kconn_end(c);
}

/* ---- connection: input --------------------------------------------------------- */

/* Reads up to the budget; EOF or an error only marks c broken (the work
 * ends it), so c is alive when this returns. */
static void kconn_read(struct kconn *c)
{
	u8 *buf = c->p->rbuf;

	for (unsigned int k = 0; k < KCONN_READS_PER_EVENT; k++) {
		struct kvec v = { .iov_base = buf, .iov_len = KCONN_READ_CHUNK };
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		int n = kernel_recvmsg(c->sock, &msg, &v, 1, KCONN_READ_CHUNK,
				       MSG_DONTWAIT);

		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			nx_log(NX_LOG_DEBUG, "%s: %s (%d)", c->peer,
			       n == 0 ? "connection closed by peer" :
			       "recv failed", n);
			c->broken = true;
			return;
		}
		/* < 0: the transport already called ops->close */
		if (nx_iscsi_conn_input(c->ic, buf, (size_t)n) < 0 ||
		    c->closing || c->broken)
			return;
		if (nx_sendq_bytes(c->sq) >= KCONN_OUT_SOFT_MAX)
			return; /* backpressure: sk_write_space resumes us */
		if (n < (int)KCONN_READ_CHUNK)
			return; /* drained; sk_data_ready queues us for more */
	}
	nx_kloop_queue(&c->work); /* budget spent: let other sockets in */
}

/* Flush, read, flush: what one receive batch produced leaves together.
 * Sends from elsewhere (timers, other connections) queue this work. */
static void kconn_work(struct work_struct *w)
{
	struct kconn *c = container_of(w, struct kconn, work);
	int rc;

	if (!c->sock)
		return;
	c->in_work = true;
	if (!c->broken && (rc = kconn_flush(c)) < 0)
		kconn_break(c, "send failed", rc);
	if (!c->broken && !c->closing &&
	    nx_sendq_bytes(c->sq) < KCONN_OUT_SOFT_MAX) {
		kconn_read(c);
		if (!c->broken && (rc = kconn_flush(c)) < 0)
			kconn_break(c, "send failed", rc);
	}
	c->in_work = false;
	if (c->broken || c->closing)
		kconn_end(c); /* may free c */
}

static void addr_text(struct socket *sock, bool peer, char *buf, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	int rc = peer ? kernel_getpeername(sock, (struct sockaddr *)&ss) :
			kernel_getsockname(sock, (struct sockaddr *)&ss);

	if (rc < 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%pISpc", &ss);
}

static void kconn_new(struct nx_kportal *p, struct socket *sock)
{
	struct kconn *c = nx_alloc(sizeof(*c));
	char local[ADDR_TEXT];

	if (!c || !(c->linger = nx_timer_new(kconn_linger_expired, c)) ||
	    !(c->sq = nx_sendq_new())) {
		nx_log(NX_LOG_WARN, "out of memory accepting a connection");
		if (c)
			nx_timer_free(c->linger);
		nx_free(c);
		sock_release(sock);
		return;
	}
	c->p = p;
	c->sock = sock;
	INIT_WORK(&c->work, kconn_work);
	addr_text(sock, true, c->peer, sizeof(c->peer));
	addr_text(sock, false, local, sizeof(local));
	/* iSCSI PDUs are request/response: Nagle would delay every status */
	tcp_sock_set_nodelay(sock->sk);
	list_add_tail(&c->node, &p->conns);
	p->conn_count++;
	c->ic = nx_iscsi_conn_new(p->srv, &kconn_ops, c, c->peer, local);
	if (!c->ic) {
		/* The transport logged why (rate-limited). */
		nx_log(NX_LOG_DEBUG, "%s: transport refused the connection",
		       c->peer);
		c->told_transport = c->released = true;
		kconn_close_sock(c);
		kconn_maybe_free(c);
		return;
	}
	kconn_attach(c);
	nx_log(NX_LOG_DEBUG, "%s: connected to %s", c->peer, local);
	nx_kloop_queue(&c->work); /* bytes may have arrived before attach */
}

/* ---- listener ------------------------------------------------------------------- */

static void kportal_accept_work(struct work_struct *w)
{
	struct nx_kportal *p = container_of(w, struct nx_kportal, accept_work);

	for (unsigned int k = 0; k < KPORTAL_ACCEPTS_PER_EVENT; k++) {
		struct socket *sock;
		int rc;

		if (p->closing)
			return;
		rc = kernel_accept(p->ls, &sock, O_NONBLOCK);
		if (rc == -EAGAIN)
			return;
		if (rc == -ECONNABORTED || rc == -EPROTO)
			continue; /* that one connection failed; try the next */
		if (rc < 0) {
			/* ENOMEM, ENFILE: the connection stays in the backlog
			 * and no new event comes for it; retry later. */
			nx_log(NX_LOG_WARN, "accept on %s failed (%d); retrying "
			       "in 100 ms", p->text, rc);
			nx_timer_arm(p->accept_retry, KPORTAL_ACCEPT_RETRY_NS);
			return;
		}
		if (p->conn_count >= KCONN_MAX) {
			nx_log(NX_LOG_WARN, "refused a connection: %d open",
			       KCONN_MAX);
			sock_release(sock);
			continue;
		}
		kconn_new(p, sock);
	}
	nx_kloop_queue(&p->accept_work); /* budget spent */
}

static void kportal_accept_retry(void *arg)
{
	struct nx_kportal *p = arg;

	nx_kloop_queue(&p->accept_work);
}

static int kportal_listen(struct nx_kportal *p, const struct sockaddr_in *addr)
{
	struct sock *sk;
	int rc;

	rc = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			      &p->ls);
	if (rc < 0)
		return rc;
	sk = p->ls->sk;
	sock_set_reuseaddr(sk);
	/* Callbacks before listen(): no connection can slip in unnoticed. */
	write_lock_bh(&sk->sk_callback_lock);
	p->saved_data_ready = sk->sk_data_ready;
	sk->sk_user_data = p;
	sk->sk_data_ready = kportal_sk_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	rc = kernel_bind(p->ls, (struct sockaddr *)addr, sizeof(*addr));
	if (rc == 0)
		rc = kernel_listen(p->ls, SOMAXCONN);
	return rc;
}

static void kportal_close_listener(struct nx_kportal *p)
{
	struct sock *sk;

	if (!p->ls)
		return;
	sk = p->ls->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = p->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work(&p->accept_work);
	nx_timer_cancel(p->accept_retry);
	sock_release(p->ls);
	p->ls = NULL;
}

int nx_kportal_open(const struct sockaddr_in *addr,
		    struct nx_iscsi_server *srv, struct nx_kportal **out)
{
	struct nx_kportal *p = nx_alloc(sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	INIT_LIST_HEAD(&p->conns);
	INIT_WORK(&p->accept_work, kportal_accept_work);
	p->srv = srv;
	snprintf(p->text, sizeof(p->text), "%pISpc", addr);
	p->rbuf = nx_alloc(KCONN_READ_CHUNK);
	p->scratch = nx_alloc(IOV_BATCH * sizeof(*p->scratch));
	p->kv = nx_alloc(IOV_BATCH * sizeof(*p->kv));
	p->accept_retry = nx_timer_new(kportal_accept_retry, p);
	if (!p->rbuf || !p->scratch || !p->kv || !p->accept_retry) {
		nx_kportal_free(p);
		return -ENOMEM;
	}
	rc = kportal_listen(p, addr);
	if (rc < 0) {
		nx_log(NX_LOG_ERR, "cannot listen on %s (%d)", p->text, rc);
		nx_kportal_free(p);
		return rc;
	}
	nx_log(NX_LOG_INFO, "listening on %s", p->text);
	*out = p;
	return 0;
}

static struct kconn *first_active(struct nx_kportal *p)
{
	struct kconn *c;

	list_for_each_entry(c, &p->conns, node) {
		if (!c->told_transport || c->sock)
			return c;
	}
	return NULL;
}

void nx_kportal_shutdown(struct nx_kportal *p)
{
	struct kconn *c;
	unsigned int dropped = 0;

	p->closing = true;
	kportal_close_listener(p);
	/* Each teardown may free its connection and, through the transport,
	 * touch others: rescan from the head after each one (bounded: each
	 * pass retires one connection). */
	while ((c = first_active(p)) != NULL) {
		c->broken = true;
		kconn_end(c);
		dropped++;
	}
	nx_log(NX_LOG_INFO, "%s: closed, %u connection%s dropped", p->text,
	       dropped, dropped == 1 ? "" : "s");
}

bool nx_kportal_idle(const struct nx_kportal *p)
{
	return list_empty(&p->conns);
}

void nx_kportal_free(struct nx_kportal *p)
{
	if (!p)
		return;
	nx_assert(list_empty(&p->conns));
	kportal_close_listener(p);
	nx_timer_free(p->accept_retry);
	nx_free(p->rbuf);
	nx_free(p->scratch);
	nx_free(p->kv);
	nx_free(p);
}
