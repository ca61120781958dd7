/*
 * tcp.c - non-blocking client sockets in one poll(2) set, and an
 * nx_ini_conn bound to one of them (nx_ini_tcp.h).
 *
 * A socket is freed only outside a poll round (release inside a sink
 * marks it and the round frees it at its end), so a sink may release
 * any socket, its own included, without pulling memory from under the
 * loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nx_ini_tcp.h"

#define RX_CHUNK 65536u
#define RX_ROUNDS 16u          /* reads per socket per poll round */

struct nx_ini_tcp_sock {
	struct nx_ini_tcp *t;
	int fd;
	struct nx_ini_tcp_sink sink;
	uint8_t *out;
	size_t out_len, out_cap, out_rd;
	bool closing;             /* shutdown: close once flushed */
	bool ended;               /* fd closed; eof due or delivered */
	bool eof_sent;
	bool released;            /* owner gave it up: free at round end */
};

struct nx_ini_tcp {
	struct nx_ini_tcp_sock *socks[NX_INI_TCP_SOCKS_MAX];
	bool in_poll;
	uint8_t rx[RX_CHUNK];
};

struct nx_ini_tcp *nx_ini_tcp_new(void)
{
	return calloc(1, sizeof(struct nx_ini_tcp));
}

static void sock_free(struct nx_ini_tcp *t, unsigned k)
{
	struct nx_ini_tcp_sock *s = t->socks[k];

	if (s->fd >= 0)
		close(s->fd);
	free(s->out);
	free(s);
	t->socks[k] = NULL;
}

void nx_ini_tcp_free(struct nx_ini_tcp *t)
{
	if (t == NULL)
		return;
	for (unsigned k = 0; k < NX_INI_TCP_SOCKS_MAX; k++)
		if (t->socks[k] != NULL)
			sock_free(t, k);
	free(t);
}

/* The stream is over: close the descriptor; eof goes out from the poll
 * loop (never from inside a send). */
static void hangup(struct nx_ini_tcp_sock *s)
{
	if (s->fd >= 0) {
		shutdown(s->fd, SHUT_RDWR);
		close(s->fd);
		s->fd = -1;
	}
	s->ended = true;
	s->out_len = s->out_rd = 0;
}

static void flush_out(struct nx_ini_tcp_sock *s)
{
	while (s->fd >= 0 && s->out_rd < s->out_len) {
		ssize_t n = send(s->fd, s->out + s->out_rd,
				 s->out_len - s->out_rd, MSG_NOSIGNAL);

		if (n > 0) {
			s->out_rd += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			      errno == EINTR))
			break;
		hangup(s);          /* EPIPE, ECONNRESET ... */
		return;
	}
	if (s->out_rd == s->out_len)
		s->out_rd = s->out_len = 0;
}

static bool queue_room(struct nx_ini_tcp_sock *s, size_t more)
{
	size_t need = s->out_len + more, cap;
	uint8_t *n;

	if (need <= s->out_cap)
		return true;
	if (need > NX_INI_TCP_QUEUE_MAX)
		return false;
	cap = need * 2 + 65536;
	if (cap > NX_INI_TCP_QUEUE_MAX)
		cap = NX_INI_TCP_QUEUE_MAX;
	if ((n = realloc(s->out, cap)) == NULL)
		return false;
	s->out = n;
	s->out_cap = cap;
	return true;
}

void nx_ini_tcp_send(struct nx_ini_tcp_sock *s, const struct nx_iovec *iov,
		     unsigned n)
{
	if (s->ended || s->released)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len == 0) /* {NULL, 0}: memcpy from NULL is UB */
			continue;
		if (!queue_room(s, iov[i].len)) {
			/* A peer that reads nothing while we queue 64 MiB is
			 * as good as gone. */
			hangup(s);
			return;
		}
		memcpy(s->out + s->out_len, iov[i].base, iov[i].len);
		s->out_len += iov[i].len;
	}
	flush_out(s);
}

void nx_ini_tcp_shutdown(struct nx_ini_tcp_sock *s)
{
	s->closing = true;
}

bool nx_ini_tcp_open(const struct nx_ini_tcp_sock *s)
{
	return !s->ended && !s->released;
}

void nx_ini_tcp_release(struct nx_ini_tcp_sock *s)
{
	struct nx_ini_tcp *t = s->t;

	hangup(s);
	s->released = true;
	if (t->in_poll)
		return;
	for (unsigned k = 0; k < NX_INI_TCP_SOCKS_MAX; k++)
		if (t->socks[k] == s)
			sock_free(t, k);
}

/* ---- dialling ------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Non-blocking connect bounded by deadline (ms on now_ms()'s clock). */
static int connect_one(const struct addrinfo *a, int64_t deadline,
		       char *err, size_t err_len)
{
	int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK,
			a->ai_protocol);
	int soerr = 0, one = 1;
	socklen_t sl = sizeof(soerr);

	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
		snprintf(err, err_len, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int64_t left = deadline - now_ms();
		int rc = poll(&p, 1, left > 0 ? (int)left : 0);

		if (rc > 0)
			break;
		if (rc == 0 || (rc < 0 && errno != EINTR)) {
			snprintf(err, err_len, "no connection within the timeout");
			close(fd);
			return -1;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		snprintf(err, err_len, "%s", strerror(soerr ? soerr : errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int dial_fd(const char *host, uint16_t port, uint32_t timeout_ms,
		   char *err, size_t err_len)
{
	struct addrinfo hints, *res = NULL;
	int64_t deadline = now_ms() + timeout_ms;
	char ps[8];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%u", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0) {
		snprintf(err, err_len, "cannot resolve %s: %s", host,
			 gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next)
		fd = connect_one(a, deadline, err, err_len);
	freeaddrinfo(res);
	return fd;
}

int nx_ini_tcp_dial(struct nx_ini_tcp *t, const char *host, uint16_t port,
		    uint32_t timeout_ms, const struct nx_ini_tcp_sink *sink,
		    struct nx_ini_tcp_sock **out, char *err, size_t err_len)
{
	unsigned slot = NX_INI_TCP_SOCKS_MAX;
	struct nx_ini_tcp_sock *s;

	for (unsigned k = 0; k < NX_INI_TCP_SOCKS_MAX && slot == NX_INI_TCP_SOCKS_MAX; k++)
		if (t->socks[k] == NULL)
			slot = k;
	if (slot == NX_INI_TCP_SOCKS_MAX) {
		snprintf(err, err_len, "more than %u connections",
			 NX_INI_TCP_SOCKS_MAX);
		return NX_ENOSPC;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, err_len, "out of memory");
		return NX_ENOMEM;
	}
	s->fd = dial_fd(host, port, timeout_ms, err, err_len);
	if (s->fd < 0) {
		free(s);
		return NX_EIO;
	}
	s->t = t;
	s->sink = *sink;
	t->socks[slot] = s;
	*out = s;
	return 0;
}

/* ---- the loop --------------------------------------------------------------- */

static void read_some(struct nx_ini_tcp *t, struct nx_ini_tcp_sock *s)
{
	for (unsigned i = 0; i < RX_ROUNDS && s->fd >= 0 && !s->released; i++) {
		ssize_t n = recv(s->fd, t->rx, sizeof(t->rx), 0);

		if (n > 0) {
			s->sink.rx(s->sink.arg, t->rx, (size_t)n);
			if ((size_t)n < sizeof(t->rx))
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			      errno == EINTR))
			return;
		hangup(s);          /* 0 = EOF, or a reset */
		return;
	}
}

static unsigned poll_set(struct nx_ini_tcp *t, struct pollfd *pfd,
			 struct nx_ini_tcp_sock **map)
{
	unsigned n = 0;

	for (unsigned k = 0; k < NX_INI_TCP_SOCKS_MAX; k++) {
		struct nx_ini_tcp_sock *s = t->socks[k];

		if (s == NULL || s->released || s->fd < 0)
			continue;
		flush_out(s);
		if (s->closing && s->out_len == 0)
			hangup(s);
		if (s->fd < 0)
			continue;
		pfd[n].fd = s->fd;
		pfd[n].events = (short)(POLLIN | (s->out_len ? POLLOUT : 0));
		pfd[n].revents = 0;
		map[n++] = s;
	}
	return n;
}

/* eof for every stream that ended, then frees what was released. */
static unsigned round_end(struct nx_ini_tcp *t)
{
	unsigned open = 0;

	for (unsigned k = 0; k < NX_INI_TCP_SOCKS_MAX; k++) {
		struct nx_ini_tcp_sock *s = t->socks[k];

		if (s == NULL || s->released || !s->ended || s->eof_sent)
			continue;
		s->eof_sent = true;
		s->sink.eof(s->sink.arg);
	}
	t->in_poll = false;
	for (unsigned k = 0; k < NX_INI_TCP_SOCKS_MAX; k++) {
		if (t->socks[k] != NULL && t->socks[k]->released)
			sock_free(t, k);
		else if (t->socks[k] != NULL && !t->socks[k]->ended)
			open++;
	}
	return open;
}

unsigned nx_ini_tcp_poll(struct nx_ini_tcp *t, uint32_t timeout_ms)
{
	struct pollfd pfd[NX_INI_TCP_SOCKS_MAX];
	struct nx_ini_tcp_sock *map[NX_INI_TCP_SOCKS_MAX];
	unsigned n;
	int rc;

	t->in_poll = true;
	n = poll_set(t, pfd, map);
	rc = n ? poll(pfd, n, (int)timeout_ms) : 0;
	for (unsigned i = 0; rc > 0 && i < n; i++) {
		struct nx_ini_tcp_sock *s = map[i];

		if ((pfd[i].revents & POLLOUT) && s->fd >= 0)
			flush_out(s);
		if (s->fd >= 0 && !s->released &&
		    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			read_some(t, s);
	}
	return round_end(t);
}

/* ---- nx_ini_conn over a socket ---------------------------------------------- */

struct nx_ini_tcp_conn {
	struct nx_ini_tcp_sock *sock;
	struct nx_ini_conn *conn;
};

static void tc_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct nx_ini_tcp_conn *tc = ctx;

	if (tc->sock != NULL)
		nx_ini_tcp_send(tc->sock, iov, n);
}

static void tc_close(void *ctx)
{
	struct nx_ini_tcp_conn *tc = ctx;

	if (tc->sock != NULL)
		nx_ini_tcp_shutdown(tc->sock);
}

static void tc_rx(void *arg, const uint8_t *buf, size_t len)
{
	struct nx_ini_tcp_conn *tc = arg;

	if (tc->conn != NULL)
		nx_ini_conn_input(tc->conn, buf, len);
}

static void tc_eof(void *arg)
{
	struct nx_ini_tcp_conn *tc = arg;

	if (tc->conn != NULL)
		nx_ini_conn_closed(tc->conn);
}

static const struct nx_ini_conn_ops tc_ops = {
	.send = tc_send,
	.close = tc_close,
};

struct nx_ini_tcp_conn *nx_ini_tcp_conn_open(struct nx_ini_tcp *t,
					     struct nx_ini_session *s,
					     uint16_t cid, const char *host,
					     uint16_t port, uint32_t timeout_ms,
					     char *err, size_t err_len)
{
	struct nx_ini_tcp_conn *tc = calloc(1, sizeof(*tc));
	struct nx_ini_tcp_sink sink = { .rx = tc_rx, .eof = tc_eof };

	if (tc == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	sink.arg = tc;
	if (nx_ini_tcp_dial(t, host, port, timeout_ms, &sink, &tc->sock, err,
			    err_len) != 0) {
		free(tc);
		return NULL;
	}
	tc->conn = nx_ini_conn_new(s, cid, &tc_ops, tc);
	if (tc->conn == NULL) {
		snprintf(err, err_len, "initiator connection could not be made");
		nx_ini_tcp_release(tc->sock);
		free(tc);
		return NULL;
	}
	return tc;
}

struct nx_ini_conn *nx_ini_tcp_conn_ini(struct nx_ini_tcp_conn *tc)
{
	return tc->conn;
}

void nx_ini_tcp_conn_close(struct nx_ini_tcp_conn *tc)
{
	if (tc == NULL)
		return;
	if (tc->conn != NULL) {
		struct nx_ini_conn *c = tc->conn;

		tc->conn = NULL;    /* no input into a connection being freed */
		nx_ini_conn_free(c);
	}
	nx_ini_tcp_release(tc->sock);
	free(tc);
}
