/*
 * daemon.c - nexus-target's runtime: portals, connections, shutdown.
 *
 * A connection's life:
 *   accept -> nx_iscsi_conn_new -> bytes in: nx_iscsi_conn_input,
 *   bytes out: ops->send / ops->send_lent into the connection's nx_sendq
 *   (headers copied, Data-In referenced in the task buffer, which is
 *   freed once the socket took it), flushed with one sendmsg of many
 *   iovecs when the loop iteration ends (flush timer) and on EPOLLOUT
 *   while the socket is full; above NX_DAEMON_OUT_SOFT_MAX queued we stop
 *   reading that socket until it drains, above NX_DAEMON_OUT_HARD_MAX
 *   the peer is dropped
 *   -> end: EOF/error, or ops->close from the transport (the output is
 *   flushed first, for at most NX_DAEMON_LINGER_NS, so a Logout Response
 *   or a failing Login Response reaches the initiator)
 *   -> nx_iscsi_conn_closed(ic, release) -> the transport calls release
 *   once the core has drained the connection's tasks -> freed.
 * The transport may call ops->send/close from inside nx_iscsi_conn_input
 * or from any completion; nothing is torn down inside those calls: the
 * teardown runs from a zero-delay timer on the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon.h"
#include "../../transports/iscsi/nx_sendq.h"
#include "../../core/backstore/nx_backstore.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#define ACCEPTS_PER_EVENT 64
#define ACCEPT_RETRY_NS (100ull * 1000000u) /* after EMFILE and friends */
#define IOV_BATCH 512 /* iovecs per sendmsg (IOV_MAX is 1024) */
#define ADDR_TEXT 64

enum daemon_log_kind {
	DLOG_REFUSED,   /* conns_max reached */
	DLOG_OUTPUT,    /* a peer that does not read its responses */
	DLOG_COUNT,
};

struct listener {
	struct nx_daemon *d;
	int fd;
	struct nx_watch *watch;
	char text[ADDR_TEXT + 8];
};

struct conn {
	struct nx_daemon *d;
	struct conn *prev, *next;
	int fd;
	struct nx_watch *watch;
	struct nx_iscsi_conn *ic;
	struct nx_timer *timer;   /* deferred teardown, then linger deadline */
	struct nx_sendq *sq;      /* output not yet taken by the socket */
	struct conn *dirty_prev, *dirty_next; /* on d->dirty: flush pending */
	bool dirty;
	bool blocked;             /* the socket was full: wait for EPOLLOUT */
	bool closing;             /* the transport called ops->close */
	bool broken;              /* socket failed or peer gone */
	bool lingering;           /* flushing output before close */
	bool fd_closed;
	bool told_transport;      /* nx_iscsi_conn_closed() was called */
	bool released;            /* ... and the transport let go */
	char peer[ADDR_TEXT];
};

struct nx_daemon {
	const struct nx_daemon_config *cfg;
	struct nx_loop *loop;
	struct listener listeners[NX_ISCSI_MAX_PORTALS];
	unsigned listener_count;
	uint16_t ports[NX_ISCSI_MAX_PORTALS];
	struct nx_target *targets[NX_ISCSI_MAX_TARGETS];
	unsigned target_count;
	struct nx_iscsi_server_config *srv_cfg;
	struct nx_iscsi_server *srv;
	struct conn *conns;
	unsigned conn_count;
	unsigned conns_max;           /* daemon_conns_max() */
	int sigfd;
	struct nx_watch *sig_watch;
	struct nx_timer *accept_timer;
	struct nx_timer *drain_timer;
	struct nx_timer *drain_check;
	bool draining;
	bool drain_timed_out;
	uint8_t *rbuf;
	struct conn *dirty;           /* connections with output to flush */
	struct nx_timer *flush_timer; /* flushes them at the loop turn's end */
	struct nx_iovec *scratch;     /* IOV_BATCH each: one sendmsg */
	struct iovec *iov;
	/* Lines a peer causes at will are rate-limited (nx_platform.h);
	 * the transport limits its own. */
	struct nx_log_limit log_limit[DLOG_COUNT];
	struct nx_timer *log_timer;
	uint64_t refused_at_accept;   /* conns_max reached */
	uint64_t output_drops;        /* peers that did not read */
};

static void conn_deferred(void *arg);

/* ---- rate-limited logging ------------------------------------------------------ */

static void log_flush(void *arg)
{
	struct nx_daemon *d = arg;
	uint64_t now = nx_clock_ns(), next = 0;

	for (unsigned k = 0; k < DLOG_COUNT; k++) {
		uint64_t left = nx_log_limit_flush(&d->log_limit[k], now);

		if (left != 0 && (next == 0 || left < next))
			next = left;
	}
	if (next != 0)
		nx_timer_arm(d->log_timer, next);
}

static bool log_ok(struct nx_daemon *d, enum daemon_log_kind kind)
{
	struct nx_log_limit *ll = &d->log_limit[kind];
	uint64_t now = nx_clock_ns();

	switch (nx_log_limit_pass(ll, NX_LOG_WARN, now)) {
	case NX_LOG_LIMIT_LOG:
		return true;
	case NX_LOG_LIMIT_HELD_FIRST:
		nx_timer_arm(d->log_timer, nx_log_limit_left(ll, now));
		return false;
	default:
		return false;
	}
}

/* ---- addresses ------------------------------------------------------------- */

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	}
}

/* ---- connection: output --------------------------------------------------- */

static void conn_update_watch(struct conn *c)
{
	unsigned ev = 0;

	if (c->fd_closed)
		return;
	if (!c->closing && !c->broken &&
	    nx_sendq_bytes(c->sq) < NX_DAEMON_OUT_SOFT_MAX)
		ev |= NX_EV_READ;
	if (c->blocked && !c->broken)
		ev |= NX_EV_WRITE;
	if (nx_watch_mod(c->watch, ev) < 0)
		nx_log(NX_LOG_WARN, "%s: epoll_ctl(MOD) failed", c->peer);
}

/* Queues the teardown on the loop: safe from inside transport calls. */
static void conn_break(struct conn *c, const char *why, int err)
{
	if (!c->broken)
		nx_log(NX_LOG_DEBUG, "%s: %s (errno %d)", c->peer, why, err);
	c->broken = true;
	conn_update_watch(c);
	nx_timer_arm(c->timer, 0);
}

static void dirty_unlink(struct conn *c)
{
	struct nx_daemon *d = c->d;

	if (!c->dirty)
		return;
	if (c->dirty_prev)
		c->dirty_prev->dirty_next = c->dirty_next;
	else
		d->dirty = c->dirty_next;
	if (c->dirty_next)
		c->dirty_next->dirty_prev = c->dirty_prev;
	c->dirty_prev = c->dirty_next = NULL;
	c->dirty = false;
}

/* Output was queued: it leaves when the loop iteration ends (the flush
 * timer fires after every fd event of the iteration), so the PDUs of one
 * receive batch, or of one batch of file completions, share a sendmsg. */
static void conn_queued(struct conn *c)
{
	struct nx_daemon *d = c->d;

	if (nx_sendq_bytes(c->sq) > NX_DAEMON_OUT_HARD_MAX) {
		d->output_drops++;
		if (log_ok(d, DLOG_OUTPUT))
			nx_log(NX_LOG_WARN, "%s: peer does not read (%zu bytes "
			       "queued), dropping the connection", c->peer,
			       nx_sendq_bytes(c->sq));
		conn_break(c, "output overflow", 0);
		return;
	}
	if (c->dirty || c->blocked)
		return; /* EPOLLOUT flushes a blocked connection */
	c->dirty = true;
	c->dirty_prev = NULL;
	c->dirty_next = d->dirty;
	if (d->dirty)
		d->dirty->dirty_prev = c;
	else
		nx_timer_arm(d->flush_timer, 0);
	d->dirty = c;
}

static void conn_send(void *ctx, const struct nx_iovec *iov, unsigned cnt)
{
	struct conn *c = ctx;

	if (c->broken || c->fd_closed)
		return; /* the peer is gone: the bytes have nowhere to go */
	if (nx_sendq_push(c->sq, iov, cnt, 0, NULL, NULL) < 0) {
		conn_break(c, "output queue full", ENOMEM);
		return;
	}
	conn_queued(c);
}

static void conn_send_lent(void *ctx, const struct nx_iovec *iov, unsigned cnt,
			   uint32_t lent_mask, void (*release)(void *, bool),
			   void *arg)
{
	struct conn *c = ctx;

	if (c->broken || c->fd_closed) {
		if (release)
			release(arg, false);
		return;
	}
	/* On failure push has released arg already. */
	if (nx_sendq_push(c->sq, iov, cnt, lent_mask, release, arg) < 0) {
		conn_break(c, "output queue full", ENOMEM);
		return;
	}
	conn_queued(c);
}

/* nx_sendq_write_fn: one sendmsg of the queue's head. */
static long sock_write(void *ctx, const struct nx_iovec *iov, unsigned cnt)
{
	struct conn *c = ctx;
	struct iovec *v = c->d->iov;
	struct msghdr msg = { .msg_iov = v, .msg_iovlen = cnt };
	ssize_t n;

	nx_assert(cnt <= IOV_BATCH);
	for (unsigned i = 0; i < cnt; i++) {
		/* sendmsg only reads the buffers; iovec is just not const */
		v[i].iov_base = (void *)(uintptr_t)iov[i].base;
		v[i].iov_len = iov[i].len;
	}
	do {
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n < 0 ? -(long)errno : (long)n;
}

/* Writes queued output.  -1 when the socket failed. */
static int conn_flush(struct conn *c)
{
	int rc = nx_sendq_flush(c->sq, c->d->scratch, IOV_BATCH, sock_write, c);

	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	c->blocked = rc == 0;
	return 0;
}

/* After a flush: closing connections close once their output is out;
 * reading resumes below the soft limit; EPOLLOUT while blocked. */
static void conn_flushed(struct conn *c)
{
	if ((c->closing || c->lingering) && nx_sendq_empty(c->sq))
		nx_timer_arm(c->timer, 0);
	conn_update_watch(c);
}

static void flush_dirty(void *arg)
{
	struct nx_daemon *d = arg;
	struct conn *c;

	/* Each pass unlinks one connection; breaking one never frees it
	 * here (teardown runs from its own timer). */
	while ((c = d->dirty) != NULL) {
		dirty_unlink(c);
		if (c->broken || c->fd_closed)
			continue;
		if (conn_flush(c) < 0) {
			conn_break(c, "send failed", errno);
			continue;
		}
		conn_flushed(c);
	}
}

static void conn_close_op(void *ctx)
{
	struct conn *c = ctx;

	c->closing = true;
	conn_update_watch(c);
	nx_timer_arm(c->timer, 0);
}

static const struct nx_iscsi_conn_ops conn_ops = {
	.send = conn_send,
	.close = conn_close_op,
	.send_lent = conn_send_lent,
};

/* ---- connection: teardown ------------------------------------------------- */

static void conn_close_fd(struct conn *c)
{
	nx_assert(!c->fd_closed);
	nx_watch_del(c->watch);
	c->watch = NULL;
	close(c->fd);
	c->fd = -1;
	c->fd_closed = true;
	dirty_unlink(c);
	c->blocked = false;
	/* Lent task buffers go back now, not when the session drains. */
	nx_sendq_discard(c->sq);
}

static void conn_maybe_free(struct conn *c)
{
	struct nx_daemon *d = c->d;

	if (!c->released || !c->fd_closed)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nx_assert(d->conn_count > 0);
	d->conn_count--;
	nx_log(NX_LOG_DEBUG, "%s: connection freed", c->peer);
	nx_timer_free(c->timer);
	nx_sendq_free(c->sq);
	free(c);
}

static void conn_release(void *ctx)
{
	struct conn *c = ctx;

	nx_assert(c->told_transport && !c->released);
	c->released = true;
	conn_maybe_free(c);
}

/* Runs on the loop, never inside a transport call; may free c. */
static void conn_deferred(void *arg)
{
	struct conn *c = arg;

	if (!c->fd_closed) {
		if (c->broken || nx_sendq_empty(c->sq) || c->lingering) {
			conn_close_fd(c);
		} else {
			c->lingering = true;
			nx_timer_arm(c->timer, NX_DAEMON_LINGER_NS);
		}
	}
	if (!c->told_transport) {
		c->told_transport = true;
		nx_iscsi_conn_closed(c->ic, conn_release, c);
		return; /* release may have freed c */
	}
	conn_maybe_free(c);
}

/* Immediate teardown from loop context (EOF, socket error, shutdown). */
static void conn_teardown(struct conn *c)
{
	c->broken = true;
	nx_timer_cancel(c->timer);
	conn_deferred(c);
}

/* ---- connection: input ------------------------------------------------------ */

static void conn_read(struct conn *c)
{
	for (unsigned k = 0; k < NX_DAEMON_READS_PER_EVENT; k++) {
		ssize_t n = recv(c->fd, c->d->rbuf, NX_DAEMON_READ_CHUNK, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			nx_log(NX_LOG_DEBUG, "%s: %s", c->peer,
			       n == 0 ? "connection closed by peer" : "recv failed");
			conn_teardown(c);
			return;
		}
		/* < 0: the transport already called ops->close */
		if (nx_iscsi_conn_input(c->ic, c->d->rbuf, (size_t)n) < 0 ||
		    c->closing || c->broken)
			return;
		if (nx_sendq_bytes(c->sq) >= NX_DAEMON_OUT_SOFT_MAX)
			break; /* backpressure: let the peer read first */
		if ((size_t)n < NX_DAEMON_READ_CHUNK)
			break; /* drained: save the recv that says EAGAIN (the
				  watch is level-triggered, later bytes wake us) */
	}
	conn_update_watch(c);
}

static void conn_event(void *arg, unsigned events)
{
	struct conn *c = arg;

	if (c->broken || c->fd_closed)
		return; /* teardown already queued */
	if (c->blocked && (events & (NX_EV_WRITE | NX_EV_ERROR)) &&
	    conn_flush(c) < 0) {
		nx_log(NX_LOG_DEBUG, "%s: send failed (errno %d)", c->peer, errno);
		conn_teardown(c);
		return;
	}
	if (c->closing) {
		if (nx_sendq_empty(c->sq) && c->told_transport) {
			nx_timer_cancel(c->timer);
			conn_close_fd(c);
			conn_maybe_free(c);
		} else if (events & NX_EV_ERROR) {
			conn_teardown(c);
		} else {
			conn_update_watch(c);
		}
		return;
	}
	if ((events & (NX_EV_READ | NX_EV_ERROR)) &&
	    nx_sendq_bytes(c->sq) < NX_DAEMON_OUT_SOFT_MAX) {
		conn_read(c);
		return;
	}
	conn_update_watch(c);
}

static void conn_new(struct nx_daemon *d, int fd,
		     const struct sockaddr_storage *peer, unsigned portal)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	char local_text[ADDR_TEXT];
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	/* iSCSI PDUs are request/response: Nagle would delay every status */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
		memset(&local, 0, sizeof(local));
	addr_text(&local, local_text, sizeof(local_text));
	if (!c)
		goto fail;
	c->d = d;
	c->fd = fd;
	addr_text(peer, c->peer, sizeof(c->peer));
	c->timer = nx_timer_new(conn_deferred, c);
	c->sq = nx_sendq_new();
	c->watch = c->timer && c->sq ?
		   nx_watch_add(d->loop, fd, NX_EV_READ, conn_event, c) : NULL;
	if (!c->watch)
		goto fail;
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	d->conn_count++;
	c->ic = nx_iscsi_conn_new(d->srv, &conn_ops, c, c->peer, local_text);
	if (!c->ic) {
		/* The transport logged why (rate-limited). */
		nx_log(NX_LOG_DEBUG, "%s: transport refused the connection",
		       c->peer);
		c->told_transport = c->released = true;
		conn_close_fd(c);
		conn_maybe_free(c);
		return;
	}
	/* The portal is the target portal group: the SCSI target port. */
	nx_iscsi_conn_set_portal(c->ic, portal);
	nx_log(NX_LOG_DEBUG, "%s: connected to %s", c->peer, local_text);
	return;
fail:
	nx_log(NX_LOG_WARN, "out of memory accepting a connection");
	if (c) {
		nx_timer_free(c->timer);
		nx_sendq_free(c->sq);
		free(c);
	}
	close(fd);
}

/* ---- listeners ------------------------------------------------------------- */

static void listeners_pause(struct nx_daemon *d, bool pause)
{
	for (unsigned i = 0; i < d->listener_count; i++) {
		if (d->listeners[i].watch)
			nx_watch_mod(d->listeners[i].watch, pause ? 0 : NX_EV_READ);
	}
}

static void accept_resume(void *arg)
{
	listeners_pause(arg, false);
}

static bool accept_error(struct nx_daemon *d, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return false;
	if (err == EINTR || err == ECONNABORTED || err == EPROTO)
		return true; /* that one connection failed; try the next */
	/* EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays in
	 * the backlog and would wake us forever; back off instead. */
	nx_log(NX_LOG_WARN, "accept: %s; pausing new connections for 100 ms",
	       strerror(err));
	listeners_pause(d, true);
	nx_timer_arm(d->accept_timer, ACCEPT_RETRY_NS);
	return false;
}

static void listener_event(void *arg, unsigned events)
{
	struct listener *l = arg;
	struct nx_daemon *d = l->d;

	for (unsigned k = 0; k < ACCEPTS_PER_EVENT; k++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (accept_error(d, errno))
				continue;
			return;
		}
		if (d->conn_count >= d->conns_max) {
			char text[ADDR_TEXT];

			addr_text(&peer, text, sizeof(text));
			d->refused_at_accept++;
			if (log_ok(d, DLOG_REFUSED))
				nx_log(NX_LOG_WARN, "%s: refused, %u "
				       "connections open", text, d->conns_max);
			close(fd);
			continue;
		}
		conn_new(d, fd, &peer, (unsigned)(l - d->listeners));
	}
}

static int listen_one(struct nx_daemon *d, const struct nx_cfg_portal *p,
		      char *err, size_t errlen)
{
	struct listener *l = &d->listeners[d->listener_count];
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);
	int one = 1, fd;
	char want[ADDR_TEXT + 8];

	nx_config_portal_text(p, 0, want, sizeof(want));
	fd = socket(p->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ERR("cannot listen on %s: %s", want, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (p->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&p->addr, p->addr_len) < 0 ||
	    listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &len) < 0) {
		int e = errno;

		close(fd);
		return ERR("cannot listen on %s: %s%s", want, strerror(e),
			   e == EADDRINUSE ? " (another target running? pick "
			   "another port with --portal HOST:PORT)" : "");
	}
	l->d = d;
	l->fd = fd;
	d->ports[d->listener_count] = ntohs(bound.ss_family == AF_INET6 ?
		((struct sockaddr_in6 *)&bound)->sin6_port :
		((struct sockaddr_in *)&bound)->sin_port);
	nx_config_portal_text(p, d->ports[d->listener_count], l->text,
			      sizeof(l->text));
	l->watch = nx_watch_add(d->loop, fd, NX_EV_READ, listener_event, l);
	if (!l->watch) {
		close(fd);
		return ERR("cannot watch %s", l->text);
	}
	d->listener_count++;
	return 0;
}

static void listeners_close(struct nx_daemon *d)
{
	for (unsigned i = 0; i < d->listener_count; i++) {
		struct listener *l = &d->listeners[i];

		if (!l->watch)
			continue;
		nx_watch_del(l->watch);
		l->watch = NULL;
		close(l->fd);
		l->fd = -1;
	}
}

/* ---- targets ----------------------------------------------------------------- */

static int make_backstore(const struct nx_cfg_lun *cl, struct nx_backstore **bs)
{
	switch (cl->kind) {
	case NX_CFG_LUN_RAM:
		*bs = nx_bs_ram_new(cl->size_bytes);
		return *bs ? 0 : NX_ENOMEM;
	case NX_CFG_LUN_NULL:
		*bs = nx_bs_null_new(cl->size_bytes);
		return *bs ? 0 : NX_ENOMEM;
	case NX_CFG_LUN_FILE:
		return nx_bs_file_new(cl->path, cl->size_bytes, cl->direct, bs);
	}
	return NX_EINVAL;
}

static int add_lun(struct nx_target *tgt, const struct nx_cfg_target *ct,
		   const struct nx_cfg_lun *cl, char *err, size_t errlen)
{
	struct nx_lu_config lc = { .lun = cl->lun, .block_size = cl->block_size,
				   .read_only = cl->read_only,
				   .removable = cl->removable,
				   .phys_block_size = cl->phys_block_size };
	struct nx_backstore *bs = NULL;
	int rc = make_backstore(cl, &bs);

	if (rc < 0 && cl->kind == NX_CFG_LUN_FILE)
		return ERR("%s LUN %llu: cannot open %s: %s (create it with "
			   "'truncate -s 1G %s' or add ,size=SIZE)", ct->name,
			   (unsigned long long)cl->lun, cl->path, strerror(-rc),
			   cl->path);
	if (rc < 0)
		return ERR("%s LUN %llu: cannot allocate the backstore: %s",
			   ct->name, (unsigned long long)cl->lun, strerror(-rc));
	if (bs->size_bytes < cl->block_size || bs->size_bytes % cl->block_size) {
		nx_bs_destroy(bs);
		return ERR("%s LUN %llu: size %llu bytes is not a positive "
			   "multiple of the %u-byte block", ct->name,
			   (unsigned long long)cl->lun,
			   (unsigned long long)bs->size_bytes, cl->block_size);
	}
	rc = nx_target_add_lu(tgt, &lc, bs);
	if (rc < 0) {
		nx_bs_destroy(bs); /* not taken over on failure */
		return ERR("%s LUN %llu: cannot add the LU: %s", ct->name,
			   (unsigned long long)cl->lun, strerror(-rc));
	}
	return 0;
}

static int build_targets(struct nx_daemon *d, char *err, size_t errlen)
{
	const struct nx_daemon_config *cfg = d->cfg;

	for (unsigned i = 0; i < cfg->target_count; i++) {
		const struct nx_cfg_target *ct = cfg->targets[i];
		struct nx_iscsi_target_config *it = &d->srv_cfg->targets[i];
		struct nx_target *tgt = nx_target_new(ct->name);

		if (!tgt)
			return ERR("cannot create target %s", ct->name);
		d->targets[d->target_count++] = tgt;
		for (unsigned j = 0; j < ct->lun_count; j++) {
			if (add_lun(tgt, ct, &ct->luns[j], err, errlen) < 0)
				return -1;
		}
		it->target = tgt;
		it->chap = ct->chap;
		it->mutual_chap = ct->mutual_chap;
		for (unsigned j = 0; j < ct->acl_count; j++) {
			it->acl[j] = ct->acl[j];
			it->acl_ro[j] = ct->acl_ro[j];
		}
		it->acl_count = ct->acl_count;
		it->refuse_target_reset = ct->refuse_target_reset;
	}
	d->srv_cfg->target_count = cfg->target_count;
	return 0;
}

/* Portal i is TPGT i + 1 = relative target port i + 1, in the group the
 * configuration puts it in (SPC-4 5.16; one layout for every target). */
static int alua_setup(struct nx_daemon *d, char *err, size_t errlen)
{
	const struct nx_daemon_config *cfg = d->cfg;

	for (unsigned i = 0; i < cfg->portal_count; i++)
		d->srv_cfg->portal_tpgt[i] = (uint16_t)(i + 1);
	for (unsigned t = 0; t < d->target_count; t++) {
		for (unsigned g = 0; g < cfg->tpg_count; g++) {
			const struct nx_cfg_tpg *cg = &cfg->tpgs[g];

			if (nx_alua_add_group(d->targets[t], cg->id, cg->state,
					      cg->pref) < 0)
				return ERR("target port group %u: cannot add it",
					   cg->id);
			for (unsigned i = 0; i < cfg->portal_count; i++)
				if ((cg->portals >> i) & 1u &&
				    nx_alua_add_port(d->targets[t], cg->id,
						     (uint16_t)(i + 1)) < 0)
					return ERR("target port group %u: too many "
						   "portals (at most %d)", cg->id,
						   NX_ALUA_PORTS_MAX);
		}
	}
	return 0;
}

/* ---- signals and shutdown ---------------------------------------------------- */

static struct conn *first_active(struct nx_daemon *d)
{
	for (struct conn *c = d->conns; c; c = c->next) {
		if (!c->told_transport || !c->fd_closed)
			return c;
	}
	return NULL;
}

static void drain_expired(void *arg)
{
	struct nx_daemon *d = arg;

	nx_log(NX_LOG_WARN, "shutdown: %u connections did not drain in time",
	       d->conn_count);
	d->drain_timed_out = true;
	nx_loop_stop(d->loop);
}

/* Sessions outlive their last connection until the core has drained
 * their tasks (file I/O completing through the loop): the loop keeps
 * running until every connection is freed and the transport is idle. */
static void drain_poll(void *arg)
{
	struct nx_daemon *d = arg;

	if (!d->conns && !nx_iscsi_server_busy(d->srv)) {
		nx_loop_stop(d->loop);
		return;
	}
	nx_timer_arm(d->drain_check, NX_DAEMON_DRAIN_POLL_NS);
}

static void begin_shutdown(struct nx_daemon *d)
{
	struct conn *c;

	d->draining = true;
	listeners_close(d);
	nx_timer_cancel(d->accept_timer);
	/* Each teardown may free its connection and, through the transport,
	 * touch others: rescan from the head after each one (bounded by the
	 * connection count, since each pass retires one). */
	while ((c = first_active(d)) != NULL)
		conn_teardown(c);
	nx_timer_arm(d->drain_timer, NX_DAEMON_DRAIN_NS);
	nx_timer_arm(d->drain_check, 0);
}

static void signal_event(void *arg, unsigned events)
{
	struct nx_daemon *d = arg;
	struct signalfd_siginfo si;

	if (read(d->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (d->draining) {
		nx_log(NX_LOG_WARN, "second %s: exiting without cleanup",
		       strsignal((int)si.ssi_signo));
		_exit(1);
	}
	nx_log(NX_LOG_INFO, "%s: shutting down (%u connections)",
	       strsignal((int)si.ssi_signo), d->conn_count);
	begin_shutdown(d);
}

static int signals_setup(struct nx_daemon *d, char *err, size_t errlen)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* A peer that resets mid-write must not kill the daemon; sends use
	 * MSG_NOSIGNAL too, this is belt and braces. */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return ERR("sigprocmask: %s", strerror(errno));
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return ERR("signalfd: %s", strerror(errno));
	d->sig_watch = nx_watch_add(d->loop, d->sigfd, NX_EV_READ, signal_event, d);
	return d->sig_watch ? 0 : ERR("cannot watch the signalfd");
}

/* ---- public -------------------------------------------------------------------- */

/* A connection per session plus the logins in progress, at least
 * NX_DAEMON_CONNS_MIN (0 in the limits: the transport's default). */
static unsigned daemon_conns_max(const struct nx_iscsi_limits *l)
{
	unsigned sessions = l->max_sessions ? l->max_sessions :
			    NX_ISCSI_SESSIONS_DEFAULT;
	unsigned logins = l->max_login_conns ? l->max_login_conns :
			  NX_ISCSI_LOGIN_CONNS_DEFAULT;

	return NX_MAX(NX_DAEMON_CONNS_MIN, sessions + logins);
}

/* Every connection is a descriptor and the usual soft limit (1024) is
 * below what the connection cap allows: take the hard limit, as servers
 * do, and say so when even that cannot hold every connection. */
static void raise_fd_limit(unsigned conns_max)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conns_max + 64; /* listeners, files, slack */

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	if (rl.rlim_cur < want)
		nx_log(NX_LOG_WARN, "open files limited to %llu, fewer than "
		       "%u connections need; raise the hard limit (ulimit -Hn)",
		       (unsigned long long)rl.rlim_cur, conns_max);
}

static int start(struct nx_daemon *d, bool *usage_error, char *err,
		 size_t errlen)
{
	const struct nx_daemon_config *cfg = d->cfg;

	if (cfg->state_dir && nx_user_set_state_dir(cfg->state_dir) < 0) {
		*usage_error = true;
		return ERR("--state-dir %s: cannot create or write it (give a "
			   "writable directory)", cfg->state_dir);
	}
	d->conns_max = daemon_conns_max(&cfg->limits);
	raise_fd_limit(d->conns_max);
	d->loop = nx_loop_new();
	d->rbuf = malloc(NX_DAEMON_READ_CHUNK);
	d->srv_cfg = calloc(1, sizeof(*d->srv_cfg));
	d->accept_timer = nx_timer_new(accept_resume, d);
	d->drain_timer = nx_timer_new(drain_expired, d);
	d->drain_check = nx_timer_new(drain_poll, d);
	d->flush_timer = nx_timer_new(flush_dirty, d);
	d->log_timer = nx_timer_new(log_flush, d);
	nx_log_limit_init(&d->log_limit[DLOG_REFUSED],
			  "connections refused at accept");
	nx_log_limit_init(&d->log_limit[DLOG_OUTPUT],
			  "peers that do not read dropped");
	d->scratch = calloc(IOV_BATCH, sizeof(*d->scratch));
	d->iov = calloc(IOV_BATCH, sizeof(*d->iov));
	if (!d->loop || !d->rbuf || !d->srv_cfg || !d->accept_timer ||
	    !d->drain_timer || !d->drain_check || !d->flush_timer ||
	    !d->log_timer || !d->scratch || !d->iov)
		return ERR("out of memory");
	if (build_targets(d, err, errlen) < 0) {
		*usage_error = true; /* a file that cannot be opened, mostly */
		return -1;
	}
	if (alua_setup(d, err, errlen) < 0) {
		*usage_error = true;
		return -1;
	}
	for (unsigned i = 0; i < cfg->portal_count; i++) {
		if (listen_one(d, &cfg->portals[i], err, errlen) < 0)
			return -1;
		d->srv_cfg->portals[i] = d->listeners[i].text;
	}
	d->srv_cfg->portal_count = d->listener_count;
	d->srv_cfg->tpgt = 1;
	nx_config_server_settings(cfg, d->srv_cfg);
	d->srv = nx_iscsi_server_new(d->srv_cfg);
	if (!d->srv)
		return ERR("cannot create the iSCSI server");
	return signals_setup(d, err, errlen);
}

int nx_daemon_start(const struct nx_daemon_config *cfg, struct nx_daemon **out,
		    bool *usage_error, char *err, size_t errlen)
{
	struct nx_daemon *d = calloc(1, sizeof(*d));

	*usage_error = false;
	*out = NULL;
	if (!d)
		return ERR("out of memory");
	d->cfg = cfg;
	d->sigfd = -1;
	nx_user_set_log_level(cfg->log_level);
	if (start(d, usage_error, err, errlen) < 0) {
		nx_daemon_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

int nx_daemon_run(struct nx_daemon *d)
{
	int rc;

	nx_loop_set_poll(d->loop, (uint64_t)d->cfg->poll_us * 1000);
	rc = nx_loop_run(d->loop);

	if (rc < 0) {
		nx_log(NX_LOG_ERR, "event loop failed: %s", strerror(-rc));
		return 1;
	}
	return d->drain_timed_out ? 1 : 0;
}

static void signals_restore(struct nx_daemon *d)
{
	sigset_t set;

	if (d->sigfd < 0)
		return;
	nx_watch_del(d->sig_watch);
	close(d->sigfd);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void nx_daemon_free(struct nx_daemon *d)
{
	if (!d)
		return;
	listeners_close(d);
	if (d->conns || d->drain_timed_out) {
		/* Tasks still inside the core: freeing the server or the
		 * targets now could corrupt them.  Leave them to the OS. */
		nx_log(NX_LOG_WARN, "shutdown did not drain; not freeing the "
		       "targets");
		return;
	}
	if (d->srv)
		nx_iscsi_server_free(d->srv);
	for (unsigned i = 0; i < d->target_count; i++)
		nx_target_free(d->targets[i]);
	signals_restore(d);
	nx_timer_free(d->accept_timer);
	nx_timer_free(d->drain_timer);
	nx_timer_free(d->drain_check);
	nx_timer_free(d->flush_timer);
	for (unsigned k = 0; k < DLOG_COUNT; k++)
		nx_log_limit_close(&d->log_limit[k], nx_clock_ns());
	nx_timer_free(d->log_timer);
	nx_loop_free(d->loop);
	free(d->scratch);
	free(d->iov);
	nx_user_persist_reset();
	free(d->srv_cfg);
	free(d->rbuf);
	free(d);
}

void nx_daemon_totals(const struct nx_daemon *d, FILE *out)
{
	struct nx_iscsi_stats st;

	if (!d->srv)
		return;
	nx_iscsi_server_stats(d->srv, &st);
	fprintf(out, "nexus-target: totals: connections accepted=%llu "
		"refused=%llu (transport %llu, daemon %llu); logins ok=%llu "
		"failed=%llu refused_by_limits=%llu; dropped=%llu "
		"(login_timeouts=%llu keepalive=%llu not_reading=%llu); "
		"rejects=%llu target_resets_refused=%llu log_lines_held=%llu\n",
		(unsigned long long)st.conns_accepted,
		(unsigned long long)(st.conns_refused + d->refused_at_accept),
		(unsigned long long)st.conns_refused,
		(unsigned long long)d->refused_at_accept,
		(unsigned long long)st.logins_ok,
		(unsigned long long)st.logins_failed,
		(unsigned long long)st.logins_refused_limit,
		(unsigned long long)(st.conns_dropped + d->output_drops),
		(unsigned long long)st.login_timeouts,
		(unsigned long long)st.keepalive_drops,
		(unsigned long long)d->output_drops,
		(unsigned long long)st.rejects,
		(unsigned long long)st.target_resets_refused,
		(unsigned long long)(st.log_lines_held +
				     d->log_limit[DLOG_REFUSED].held_total +
				     d->log_limit[DLOG_OUTPUT].held_total));
	fflush(out);
}

uint16_t nx_daemon_port(const struct nx_daemon *d, unsigned i)
{
	return i < d->listener_count ? d->ports[i] : 0;
}

/* Wildcard portals are not addresses a client can dial: suggest loopback. */
static void client_host(const struct nx_daemon *d, char *buf, size_t len)
{
	const struct nx_cfg_portal *p = &d->cfg->portals[0];
	const char *host = p->host;

	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(buf, len, p->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 (unsigned)d->ports[0]);
}

void nx_daemon_banner(const struct nx_daemon *d, FILE *out)
{
	const struct nx_cfg_target *t = d->cfg->targets[0];
	char host[ADDR_TEXT + 8], who[NX_NAME_MAX + 16] = "";
	unsigned luns = 0;

	for (unsigned i = 0; i < d->cfg->target_count; i++)
		luns += d->cfg->targets[i]->lun_count;
	client_host(d, host, sizeof(host));
	if (t->chap.set)
		snprintf(who, sizeof(who), "%s%%SECRET@", t->chap.user);
	fprintf(out, "nexus-target: serving ");
	if (d->cfg->target_count == 1)
		fprintf(out, "%s", t->name);
	else
		fprintf(out, "%u targets", d->cfg->target_count);
	fprintf(out, " (%u LUN%s) on ", luns, luns == 1 ? "" : "s");
	for (unsigned i = 0; i < d->listener_count; i++)
		fprintf(out, "%s%s", i ? ", " : "", d->listeners[i].text);
	fprintf(out, " \xe2\x80\x94 try: iscsi-inq iscsi://%s%s/%s/%llu\n", who,
		host, t->name, (unsigned long long)t->luns[0].lun);
	fflush(out);
}
