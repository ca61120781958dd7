/*
 * backend_tcp.c - an external target over real TCP (iscsi://host[:port]/
 * iqn/lun): one socket per stream from the initiator library's poll(2)
 * loop (tools/ini-tcp/nx_ini_tcp.h), polled by the sync layer's driver.
 *
 * One poll round is one step: it waits at most POLL_MS, writes what is
 * queued, reads what arrived and hands it to the stream.  steps_max *
 * POLL_MS bounds how long a silent target can stall a request.  The
 * target's state persists between tests (the framework only gives each
 * test fresh sessions), so tests must not depend on what earlier tests
 * left on the medium.
 *
 * Real sockets through libc; the platform (nexus-conform links the
 * simulator's) only serves the initiator library: a per-test sim that
 * never runs, so nx_random_u64 (CHAP challenges) follows the test's seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_conf.h"
#include "../../tools/ini-tcp/nx_ini_tcp.h"
#include "../../sim/nx_sim.h"

#define POLL_MS 10
#define DIAL_MS 10000u
#define STEPS_MAX 1000u /* ~10 s of silence per request */

struct tstream {
	struct nx_conf_stream *st;
	struct nx_ini_tcp_sock *sock;
};

struct tb {
	struct nx_sim *sim;
	struct nx_ini_tcp *tcp;
	struct nx_ini_url url;
};

static void st_send(struct nx_conf_stream *st, const struct nx_iovec *iov,
		    unsigned n)
{
	nx_ini_tcp_send(((struct tstream *)st->priv)->sock, iov, n);
}

static void st_close(struct nx_conf_stream *st)
{
	nx_ini_tcp_shutdown(((struct tstream *)st->priv)->sock);
}

static void sink_rx(void *arg, const uint8_t *buf, size_t len)
{
	struct tstream *ts = arg;

	if (ts->st != NULL)
		ts->st->rx(ts->st, buf, len);
}

static void sink_eof(void *arg)
{
	struct tstream *ts = arg;

	if (ts->st != NULL)
		ts->st->eof(ts->st);
}

static void tb_poll(void *ctx)
{
	struct tb *tb = ctx;

	nx_ini_tcp_poll(tb->tcp, POLL_MS);
}

static int tb_connect(void *ctx, struct nx_conf_stream *st)
{
	struct tb *tb = ctx;
	struct tstream *ts = calloc(1, sizeof(*ts));
	struct nx_ini_tcp_sink sink = { .rx = sink_rx, .eof = sink_eof };
	char err[160];
	int rc;

	if (ts == NULL)
		return NX_ENOMEM;
	sink.arg = ts;
	rc = nx_ini_tcp_dial(tb->tcp, tb->url.host, tb->url.port, DIAL_MS,
			     &sink, &ts->sock, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "nexus-conform: cannot connect to %s:%u: %s\n",
			tb->url.host, tb->url.port, err);
		free(ts);
		return rc;
	}
	ts->st = st;
	st->send = st_send;
	st->close = st_close;
	st->priv = ts;
	return 0;
}

static void tb_disconnect(void *ctx, struct nx_conf_stream *st)
{
	struct tstream *ts = st->priv;

	if (ts == NULL)           /* its connect failed: nothing to free */
		return;
	st->priv = NULL;
	ts->st = NULL;
	nx_ini_tcp_release(ts->sock);
	free(ts);
}

static void tb_destroy(void *ctx)
{
	struct tb *tb = ctx;

	nx_ini_tcp_free(tb->tcp);
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
	if (nx_ini_url_parse(opts->target_url, &tb->url) < 0) {
		fprintf(stderr, "nexus-conform: bad target URL %s\n",
			opts->target_url);
		free(tb);
		return NX_EINVAL;
	}
	tb->tcp = nx_ini_tcp_new();
	tb->sim = tb->tcp ? nx_conf_sim_new(opts, seed) : NULL;
	if (tb->sim == NULL) {
		nx_ini_tcp_free(tb->tcp);
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
