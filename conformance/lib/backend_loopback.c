/*
 * backend_loopback.c - nexus in-process: a fresh nx_target + iSCSI server
 * per test (the fixture of fixture.c), each stream an nx_iscsi_conn fed
 * through two byte queues.  No network model: the sim backend is the
 * default; this one isolates the target from the simulated TCP stack.
 *
 * poll() moves one segment per direction per stream; segment sizes come
 * from the test's seed (1..SEG_MAX bytes), so PDU reassembly on both
 * sides is exercised the same way on every run of that seed.  Then the
 * platform's virtual clock advances POLL_NS (the target's timers run as
 * sim events).  TCP semantics for close: a side that hangs up still has
 * its queued bytes delivered, then the peer sees end of stream.
 */
#include <stdlib.h>
#include <string.h>

#include "nx_conf.h"
#include "../../core/nx_scsi.h"
#include "../../transports/iscsi/nx_iscsi.h"
#include "../../sim/nx_sim.h"

#define PORTAL "192.0.2.1:3260"
#define PORTAL2 "192.0.2.1:3261"
#define POLL_NS 1000u
#define SEG_MAX 9000u
#define STREAMS_MAX 32
#define DRAIN_POLLS 1000u

struct q {
	uint8_t *buf;
	size_t len, cap, rd;
};

struct lstream {
	struct nx_conf_stream *st;
	struct lb *lb;
	struct nx_iscsi_conn *tc;
	struct q to_tgt, to_ini;
	bool ini_close, tgt_close; /* who asked to hang up */
	bool tgt_gone;             /* nx_iscsi_conn_closed() called */
	bool eof_sent;
	bool released;
};

struct lb {
	struct nx_sim *sim;
	struct nx_conf_fixture fx;
	struct nx_iscsi_server *srv;
	struct lstream *streams[STREAMS_MAX];
	uint64_t rng;
	unsigned port_next;
};

static uint32_t seg_len(struct lb *lb)
{
	uint64_t z = (lb->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return 1 + (uint32_t)(z % SEG_MAX);
}

static void q_push(struct q *q, const struct nx_iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len == 0)
			continue;
		if (q->len + iov[i].len > q->cap) {
			q->cap = (q->len + iov[i].len) * 2 + 4096;
			q->buf = realloc(q->buf, q->cap);
			nx_assert(q->buf != NULL);
		}
		memcpy(q->buf + q->len, iov[i].base, iov[i].len);
		q->len += iov[i].len;
	}
}

/* ---- the target's side ---------------------------------------------------- */

static void tgt_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct lstream *ls = ctx;

	if (!ls->tgt_close)
		q_push(&ls->to_ini, iov, n);
}

static void tgt_close(void *ctx)
{
	((struct lstream *)ctx)->tgt_close = true;
}

static const struct nx_iscsi_conn_ops tgt_ops = { .send = tgt_send, .close = tgt_close };

static void tgt_release(void *ctx)
{
	((struct lstream *)ctx)->released = true;
}

static void tgt_hangup(struct lstream *ls)
{
	if (ls->tgt_gone)
		return;
	ls->tgt_gone = true;
	nx_iscsi_conn_closed(ls->tc, tgt_release, ls);
}

/* ---- the framework's side --------------------------------------------------- */

static void st_send(struct nx_conf_stream *st, const struct nx_iovec *iov,
		    unsigned n)
{
	struct lstream *ls = st->priv;

	if (!ls->ini_close)
		q_push(&ls->to_tgt, iov, n);
}

static void st_close(struct nx_conf_stream *st)
{
	((struct lstream *)st->priv)->ini_close = true;
}

/* One segment each way; end of stream once a closing side's bytes are
 * delivered. */
static void pump(struct lstream *ls)
{
	struct q *t = &ls->to_tgt, *i = &ls->to_ini;

	if (t->rd < t->len && !ls->tgt_gone) {
		size_t seg = seg_len(ls->lb); /* NX_MIN evaluates twice */
		size_t n = NX_MIN(t->len - t->rd, seg);

		t->rd += n;
		nx_iscsi_conn_input(ls->tc, t->buf + t->rd - n, n);
	}
	if (t->rd == t->len)
		t->rd = t->len = 0;
	if (i->rd < i->len && !ls->eof_sent) {
		size_t seg = seg_len(ls->lb);
		size_t n = NX_MIN(i->len - i->rd, seg);

		i->rd += n;
		ls->st->rx(ls->st, i->buf + i->rd - n, n);
	}
	if (i->rd == i->len)
		i->rd = i->len = 0;
	if ((ls->tgt_close && i->len == 0) || (ls->ini_close && t->len == 0)) {
		tgt_hangup(ls);
		if (!ls->eof_sent) {
			ls->eof_sent = true;
			ls->st->eof(ls->st);
		}
	}
}

static void lb_poll(void *ctx)
{
	struct lb *lb = ctx;

	for (unsigned k = 0; k < STREAMS_MAX; k++)
		if (lb->streams[k] != NULL && lb->streams[k]->st != NULL)
			pump(lb->streams[k]);
	nx_sim_run_for(lb->sim, POLL_NS);
}

static int lb_connect(void *ctx, struct nx_conf_stream *st)
{
	struct lb *lb = ctx;
	struct lstream *ls;
	char peer[64];
	unsigned slot = STREAMS_MAX;

	for (unsigned k = 0; k < STREAMS_MAX && slot == STREAMS_MAX; k++)
		if (lb->streams[k] == NULL)
			slot = k;
	if (slot == STREAMS_MAX)
		return NX_ENOSPC;
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		return NX_ENOMEM;
	snprintf(peer, sizeof(peer), "192.0.2.2:%u", 40000 + lb->port_next++);
	ls->lb = lb;
	ls->st = st;
	ls->tc = nx_iscsi_conn_new(lb->srv, &tgt_ops, ls, peer,
				   st->port ? PORTAL2 : PORTAL);
	if (ls->tc == NULL) /* refused at accept: closed by the target */
		ls->tgt_close = ls->tgt_gone = ls->released = true;
	else
		nx_iscsi_conn_set_portal(ls->tc, st->port);
	st->send = st_send;
	st->close = st_close;
	st->priv = ls;
	lb->streams[slot] = ls;
	return 0;
}

static void lb_disconnect(void *ctx, struct nx_conf_stream *st)
{
	struct lb *lb = ctx;
	struct lstream *ls = st->priv;

	ls->st = NULL;
	tgt_hangup(ls);
	/* The target frees the connection once the core drained its tasks. */
	for (unsigned i = 0; i < DRAIN_POLLS && !ls->released; i++)
		lb_poll(lb);
	nx_assert(ls->released);
	for (unsigned k = 0; k < STREAMS_MAX; k++)
		if (lb->streams[k] == ls)
			lb->streams[k] = NULL;
	free(ls->to_tgt.buf);
	free(ls->to_ini.buf);
	free(ls);
}

static void lb_destroy(void *ctx)
{
	struct lb *lb = ctx;

	for (unsigned k = 0; k < STREAMS_MAX; k++)
		nx_assert(lb->streams[k] == NULL);
	if (lb->srv != NULL)
		nx_iscsi_server_free(lb->srv);
	nx_conf_fixture_free(&lb->fx);
	nx_conf_sim_free(lb->sim);
	free(lb);
}

static int lb_create(const struct nx_conf_opts *opts, uint64_t seed,
		     struct nx_conf_target *desc, void **out)
{
	struct nx_iscsi_server_config sc;
	struct lb *lb = calloc(1, sizeof(*lb));

	if (lb == NULL)
		return NX_ENOMEM;
	lb->rng = seed;
	lb->sim = nx_conf_sim_new(opts, seed);
	if (lb->sim == NULL ||
	    nx_conf_fixture_new(&lb->fx, PORTAL, PORTAL2, &sc, desc) < 0 ||
	    (lb->srv = nx_iscsi_server_new(&sc)) == NULL) {
		lb_destroy(lb);
		return NX_ENOMEM;
	}
	/* One 8 MiB transfer in 1..9000-byte segments needs ~2000 polls. */
	desc->steps_max = 200000;
	*out = lb;
	return 0;
}

const struct nx_conf_backend nx_conf_backend_loopback = {
	.name = "loopback",
	.create = lb_create,
	.connect = lb_connect,
	.poll = lb_poll,
	.disconnect = lb_disconnect,
	.destroy = lb_destroy,
};
