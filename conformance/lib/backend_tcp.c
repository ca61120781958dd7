/*
 * backend_tcp.c - an external target over real TCP (iscsi://host[:port]/
 * iqn/lun): one non-blocking socket per stream, poll()ed by the sync
 * layer's driver.
 *
 * One poll() round is one step: it waits at most POLL_MS, writes what is
 * queued, reads what arrived (up to RX_CHUNK per socket) and hands it to
 * the stream.  steps_max * POLL_MS bounds how long a silent target can
 * stall a request.  The target's state persists between tests (the
 * framework only gives each test fresh sessions), so tests must not
 * depend on what earlier tests left on the medium.
 *
 * Real sockets through libc; the platform (nexus-conform links the
 * simulator's) only serves the initiator library: a per-test sim that
 * never runs, so nx_random_u64 (CHAP challenges) follows the test's seed.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include "nx_conf.h"
#include "../../sim/nx_sim.h"

#define STREAMS_MAX 32
#define POLL_MS 10
#define RX_CHUNK 65536
#define STEPS_MAX 1000u /* ~10 s of silence per request */

struct tstream {
	struct nx_conf_stream *st;
	int fd;
	uint8_t *out;
	size_t out_len, out_cap, out_rd;
	bool closing, eof_sent;
};

struct tb {
	struct nx_sim *sim;
	struct nx_conf_url url;
	struct tstream *streams[STREAMS_MAX];
	uint8_t rx[RX_CHUNK];
};

static void flush_out(struct tstream *ts)
{
	while (ts->fd >= 0 && ts->out_rd < ts->out_len) {
		ssize_t n = send(ts->fd, ts->out + ts->out_rd,
				 ts->out_len - ts->out_rd, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		ts->out_rd += (size_t)n;
	}
	if (ts->out_rd == ts->out_len)
		ts->out_rd = ts->out_len = 0;
}

static void st_send(struct nx_conf_stream *st, const struct nx_iovec *iov,
		    unsigned n)
{
	struct tstream *ts = st->priv;

	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len == 0) /* {NULL, 0}: memcpy from NULL is UB */
			continue;
		if (ts->out_len + iov[i].len > ts->out_cap) {
			ts->out_cap = (ts->out_len + iov[i].len) * 2 + 65536;
			ts->out = realloc(ts->out, ts->out_cap);
			nx_assert(ts->out != NULL);
		}
		memcpy(ts->out + ts->out_len, iov[i].base, iov[i].len);
		ts->out_len += iov[i].len;
	}
	flush_out(ts); /* the socket never calls back: safe here */
}

static void st_close(struct nx_conf_stream *st)
{
	((struct tstream *)st->priv)->closing = true;
}

static void hangup(struct tstream *ts)
{
	if (ts->fd >= 0) {
		shutdown(ts->fd, SHUT_RDWR);
		close(ts->fd);
		ts->fd = -1;
	}
	if (!ts->eof_sent && ts->st != NULL) {
		ts->eof_sent = true;
		ts->st->eof(ts->st);
	}
}

static void read_some(struct tb *tb, struct tstream *ts)
{
	ssize_t n = recv(ts->fd, tb->rx, sizeof(tb->rx), 0);

	if (n > 0)
		ts->st->rx(ts->st, tb->rx, (size_t)n);
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		hangup(ts);
}

static void tb_poll(void *ctx)
{
	struct tb *tb = ctx;
	struct pollfd pfd[STREAMS_MAX];
	struct tstream *map[STREAMS_MAX];
	unsigned n = 0;

	for (unsigned k = 0; k < STREAMS_MAX; k++) {
		struct tstream *ts = tb->streams[k];

		if (ts == NULL || ts->st == NULL || ts->fd < 0)
			continue;
		flush_out(ts);
		if (ts->closing && ts->out_len == 0) {
			hangup(ts);
			continue;
		}
		pfd[n].fd = ts->fd;
		pfd[n].events = (short)(POLLIN | (ts->out_len ? POLLOUT : 0));
		pfd[n].revents = 0;
		map[n++] = ts;
	}
	if (n == 0 || poll(pfd, n, POLL_MS) <= 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (pfd[i].revents & POLLOUT)
			flush_out(map[i]);
		if (map[i]->fd >= 0 && map[i]->st != NULL &&
		    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			read_some(tb, map[i]);
	}
}

static int dial(const struct nx_conf_url *u)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", u->port);
	if (getaddrinfo(u->host, port, &hints, &res) != 0)
		return -1;
	for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int tb_connect(void *ctx, struct nx_conf_stream *st)
{
	struct tb *tb = ctx;
	unsigned slot = STREAMS_MAX;
	struct tstream *ts;

	for (unsigned k = 0; k < STREAMS_MAX && slot == STREAMS_MAX; k++)
		if (tb->streams[k] == NULL)
			slot = k;
	if (slot == STREAMS_MAX)
		return NX_ENOSPC;
	ts = calloc(1, sizeof(*ts));
	if (ts == NULL)
		return NX_ENOMEM;
	ts->fd = dial(&tb->url);
	if (ts->fd < 0) {
		fprintf(stderr, "nexus-conform: cannot connect to %s:%u\n",
			tb->url.host, tb->url.port);
		free(ts);
		return NX_EIO;
	}
	ts->st = st;
	st->send = st_send;
	st->close = st_close;
	st->priv = ts;
	tb->streams[slot] = ts;
	return 0;
}

static void tb_disconnect(void *ctx, struct nx_conf_stream *st)
{
	struct tb *tb = ctx;
	struct tstream *ts = st->priv;

	ts->st = NULL;
	hangup(ts);
	for (unsigned k = 0; k < STREAMS_MAX; k++)
		if (tb->streams[k] == ts)
			tb->streams[k] = NULL;
	free(ts->out);
	free(ts);
}

static void tb_destroy(void *ctx)
{
	struct tb *tb = ctx;

	nx_conf_sim_free(tb->sim);
	free(tb);
}

static int tb_create(const struct nx_conf_opts *opts, uint64_t seed,
		     struct nx_conf_target *desc, void **out)
{
	struct tb *tb;

	if (opts->target_url == NULL) {
		fprintf(stderr, "nexus-conform: --backend tcp needs --target "
				"iscsi://host[:port]/iqn/lun\n");
		return NX_EINVAL;
	}
	tb = calloc(1, sizeof(*tb));
	if (tb == NULL)
		return NX_ENOMEM;
	if (nx_conf_parse_url(opts->target_url, &tb->url) < 0) {
		fprintf(stderr, "nexus-conform: bad target URL %s\n",
			opts->target_url);
		free(tb);
		return NX_EINVAL;
	}
	tb->sim = nx_conf_sim_new(opts, seed);
	if (tb->sim == NULL) {
		free(tb);
		return NX_ENOMEM;
	}
	snprintf(desc->name, sizeof(desc->name), "%s", tb->url.target);
	desc->lun = tb->url.lun;
	snprintf(desc->auth_user, sizeof(desc->auth_user), "%s", tb->url.user);
	snprintf(desc->auth_secret, sizeof(desc->auth_secret), "%s",
		 tb->url.secret);
	desc->steps_max = STEPS_MAX;
	*out = tb;
	return 0;
}

const struct nx_conf_backend nx_conf_backend_tcp = {
	.name = "tcp",
	.create = tb_create,
	.connect = tb_connect,
	.poll = tb_poll,
	.disconnect = tb_disconnect,
	.destroy = tb_destroy,
};
