/*
 * iscsi_glue.c - iSCSI target and initiators over simulated TCP
 * (nx_sim_iscsi.h).
 */
#include <stdlib.h>
#include <string.h>

#include "glue_internal.h"
#include "nx_sim_iscsi.h"

#define ADDR_LEN 64

/* ---- target ------------------------------------------------------------ */

struct tconn {
	struct nx_sim_iscsi_target *t;
	struct nx_sim_tcp_conn *tcp;   /* NULL once closed/detached */
	struct nx_iscsi_conn *ic;
	nx_sim_event_id closed_ev;     /* deferred nx_iscsi_conn_closed() */
	bool told;                     /* nx_iscsi_conn_closed() called */
	unsigned slot;
};

/* One listening port = one portal of the server config (its TPGT). */
struct tlisten {
	struct nx_sim_iscsi_target *t;
	struct nx_sim_tcp_listener *l;
	unsigned portal;
};

#define LISTEN_MAX 4

struct nx_sim_iscsi_target {
	struct nx_sim *sim;
	struct nx_iscsi_server *srv;
	struct tlisten listen[LISTEN_MAX];
	unsigned nlisten;
	struct nx_sim_glue_slots conns;    /* of struct tconn */
};

static void tc_release(void *ctx)
{
	struct tconn *tc = ctx;

	nx_assert(tc->tcp == NULL);
	nx_sim_glue_slot_release(&tc->t->conns, tc->slot, tc);
	free(tc);
}

/* Detaches TCP (FIN or RST) and tells the transport. */
static void tc_end(struct tconn *tc, bool reset)
{
	if (tc->tcp != NULL) {
		struct nx_sim_tcp_conn *c = tc->tcp;

		tc->tcp = NULL;
		if (reset)
			nx_sim_tcp_abort(c);
		else
			nx_sim_tcp_close(c);
	}
	if (!tc->told) {
		tc->told = true;
		if (tc->closed_ev != NX_SIM_EVENT_NONE)
			nx_sim_cancel(tc->t->sim, tc->closed_ev);
		tc->closed_ev = NX_SIM_EVENT_NONE;
		nx_iscsi_conn_closed(tc->ic, tc_release, tc);
	}
}

static void tc_closed_event(void *arg)
{
	struct tconn *tc = arg;

	tc->closed_ev = NX_SIM_EVENT_NONE;
	tc_end(tc, false);
}

static void tc_schedule_end(struct tconn *tc)
{
	if (tc->told || tc->closed_ev != NX_SIM_EVENT_NONE)
		return;
	tc->closed_ev = nx_sim_schedule(tc->t->sim, 0, tc_closed_event, tc);
	nx_assert(tc->closed_ev != NX_SIM_EVENT_NONE);
}

/* The transport may call send/close from inside nx_iscsi_conn_input():
 * nothing here calls back into it synchronously. */
static void tc_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct tconn *tc = ctx;

	if (tc->tcp == NULL || tc->told)
		return;
	if (nx_sim_tcp_send(tc->tcp, iov, n) != NX_OK) {
		/* Send buffer full: the peer stopped reading for good. */
		nx_log(NX_LOG_WARN, "sim iscsi: send buffer overflow, dropping");
		struct nx_sim_tcp_conn *c = tc->tcp;

		tc->tcp = NULL;
		nx_sim_tcp_abort(c);
		tc_schedule_end(tc);
	}
}

static void tc_close(void *ctx)
{
	struct tconn *tc = ctx;

	if (tc->tcp != NULL) {
		struct nx_sim_tcp_conn *c = tc->tcp;

		tc->tcp = NULL;
		nx_sim_tcp_close(c); /* FIN after e.g. the Logout Response */
	}
	tc_schedule_end(tc);
}

static const struct nx_iscsi_conn_ops tc_ops = { .send = tc_send, .close = tc_close };

static void tcp_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct tconn *tc = ctx;

	if (tc->told)
		return;
	/* < 0: the transport called tc_close() already. */
	(void)nx_iscsi_conn_input(tc->ic, buf, len);
}

static void tcp_eof(void *ctx)
{
	tc_end(ctx, false);
}

static void tcp_closed(void *ctx, int err)
{
	struct tconn *tc = ctx;

	tc->tcp = NULL; /* the handle is invalid once this returns */
	tc_end(tc, false);
}

static const struct nx_sim_tcp_ops tc_tcp_ops = {
	.data = tcp_data, .eof = tcp_eof, .closed = tcp_closed,
};

static void tgt_accept(void *ctx, struct nx_sim_tcp_conn *conn)
{
	struct tlisten *tl = ctx;
	struct nx_sim_iscsi_target *t = tl->t;
	char local[ADDR_LEN], peer[ADDR_LEN];
	unsigned slot = nx_sim_glue_slot_find(&t->conns);
	struct tconn *tc = slot < NX_SIM_GLUE_SLOTS ? calloc(1, sizeof(*tc)) : NULL;

	if (tc == NULL) {
		nx_log(NX_LOG_WARN, "sim iscsi: connection limit, refusing");
		nx_sim_tcp_abort(conn);
		return;
	}
	nx_sim_tcp_addrs(conn, local, peer, sizeof(local));
	tc->ic = nx_iscsi_conn_new(t->srv, &tc_ops, tc, peer, local);
	if (tc->ic == NULL) {
		free(tc);
		nx_sim_tcp_abort(conn);
		return;
	}
	nx_iscsi_conn_set_portal(tc->ic, tl->portal);
	tc->t = t;
	tc->tcp = conn;
	tc->slot = slot;
	nx_sim_glue_slot_take(&t->conns, slot, tc);
	t->conns.accepted++;
	nx_sim_tcp_set_ops(conn, &tc_tcp_ops, tc);
}

struct nx_sim_iscsi_target *
nx_sim_iscsi_target_new(struct nx_sim *sim, struct nx_sim_host *host,
			uint16_t port, const struct nx_iscsi_server_config *cfg)
{
	struct nx_sim_iscsi_target *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->sim = sim;
	t->srv = nx_iscsi_server_new(cfg);
	if (t->srv == NULL || nx_sim_iscsi_target_listen(t, host, port, 0) != NX_OK) {
		if (t->srv != NULL)
			nx_iscsi_server_free(t->srv);
		free(t);
		return NULL;
	}
	return t;
}

int nx_sim_iscsi_target_listen(struct nx_sim_iscsi_target *t,
			       struct nx_sim_host *host, uint16_t port,
			       unsigned portal)
{
	struct tlisten *tl;

	if (t->nlisten == LISTEN_MAX)
		return NX_ENOSPC;
	tl = &t->listen[t->nlisten];
	tl->t = t;
	tl->portal = portal;
	if (nx_sim_tcp_listen(host, port, tgt_accept, tl, &tl->l) != NX_OK)
		return NX_EINVAL;
	t->nlisten++;
	return NX_OK;
}

struct nx_iscsi_server *nx_sim_iscsi_target_server(struct nx_sim_iscsi_target *t)
{
	return t->srv;
}

unsigned nx_sim_iscsi_target_conns(const struct nx_sim_iscsi_target *t)
{
	return t->conns.live;
}

uint64_t nx_sim_iscsi_target_accepted(const struct nx_sim_iscsi_target *t)
{
	return t->conns.accepted;
}

/* Connections released and sessions drained: a session outlives its
 * last connection until its nexus's tasks are done (backstore I/O in
 * flight), and the server may only be freed after that. */
static bool all_released(void *arg)
{
	const struct nx_sim_iscsi_target *t = arg;

	return t->conns.live == 0 && !nx_iscsi_server_busy(t->srv);
}

int nx_sim_iscsi_target_free(struct nx_sim_iscsi_target *t, uint64_t drain_ns)
{
	if (t == NULL)
		return NX_OK;
	for (unsigned i = 0; i < t->nlisten; i++)
		nx_sim_tcp_unlisten(t->listen[i].l);
	t->nlisten = 0;
	for (unsigned i = 0; i < NX_SIM_GLUE_SLOTS; i++) {
		struct tconn *tc = t->conns.slot[i];

		if (tc != NULL && !tc->told)
			tc_end(tc, true); /* may free tc */
	}
	if (nx_sim_glue_drain(t->sim, all_released, t, drain_ns) != NX_OK)
		return NX_EAGAIN;
	nx_iscsi_server_free(t->srv);
	free(t);
	return NX_OK;
}

/* ---- raw stream ---------------------------------------------------------- */

struct nx_sim_stream {
	struct nx_sim *sim;
	struct nx_sim_tcp_conn *tcp;   /* NULL once detached/closed */
	const struct nx_sim_stream_ops *ops;
	void *ctx;
	nx_sim_event_id eof_ev;
	int eof_err;
	bool connected, ended, shut;
};

static void st_report(struct nx_sim_stream *st, int err)
{
	if (st->ended)
		return;
	st->ended = true;
	if (st->ops != NULL)
		st->ops->eof(st->ctx, err);
}

static void st_tcp_connected(void *ctx)
{
	struct nx_sim_stream *st = ctx;

	st->connected = true;
	if (st->ops != NULL && st->ops->connected != NULL)
		st->ops->connected(st->ctx);
}

static void st_tcp_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct nx_sim_stream *st = ctx;

	if (!st->ended && st->ops != NULL)
		st->ops->rx(st->ctx, buf, len);
}

/* The peer's FIN: nothing more will arrive; close our side too. */
static void st_tcp_eof(void *ctx)
{
	struct nx_sim_stream *st = ctx;

	if (st->tcp != NULL) {
		struct nx_sim_tcp_conn *c = st->tcp;

		st->tcp = NULL;
		nx_sim_tcp_close(c);
	}
	st_report(st, 0);
}

static void st_tcp_closed(void *ctx, int err)
{
	struct nx_sim_stream *st = ctx;

	st->tcp = NULL;
	st_report(st, err);
}

static const struct nx_sim_tcp_ops st_tcp_ops = {
	.connected = st_tcp_connected, .data = st_tcp_data,
	.eof = st_tcp_eof, .closed = st_tcp_closed,
};

int nx_sim_stream_connect(struct nx_sim *sim, struct nx_sim_host *host,
			  uint32_t dst_ip, uint16_t dst_port,
			  const struct nx_sim_stream_ops *ops, void *ctx,
			  struct nx_sim_stream **out)
{
	struct nx_sim_stream *st = calloc(1, sizeof(*st));
	int rc;

	if (st == NULL)
		return NX_ENOMEM;
	nx_assert(ops != NULL && ops->rx != NULL && ops->eof != NULL);
	st->sim = sim;
	st->ops = ops;
	st->ctx = ctx;
	rc = nx_sim_tcp_connect(host, dst_ip, dst_port, &st_tcp_ops, st, &st->tcp);
	if (rc != NX_OK) {
		free(st);
		return rc;
	}
	*out = st;
	return NX_OK;
}

static void st_eof_event(void *arg)
{
	struct nx_sim_stream *st = arg;

	st->eof_ev = NX_SIM_EVENT_NONE;
	st_report(st, st->eof_err);
}

/* Ends the stream from inside an API call: the eof callback must not run
 * there, so it is deferred to an event. */
static void st_fail(struct nx_sim_stream *st, int err, bool rst)
{
	if (st->tcp != NULL) {
		struct nx_sim_tcp_conn *c = st->tcp;

		st->tcp = NULL;
		if (rst)
			nx_sim_tcp_abort(c);
		else
			nx_sim_tcp_close(c);
	}
	if (st->ended || st->eof_ev != NX_SIM_EVENT_NONE)
		return;
	st->eof_err = err;
	st->eof_ev = nx_sim_schedule(st->sim, 0, st_eof_event, st);
	nx_assert(st->eof_ev != NX_SIM_EVENT_NONE);
}

void nx_sim_stream_send(struct nx_sim_stream *st, const struct nx_iovec *iov,
			unsigned n)
{
	if (st->tcp == NULL || st->shut || st->ended)
		return;
	if (nx_sim_tcp_send(st->tcp, iov, n) != NX_OK)
		st_fail(st, NX_ENOSPC, true);
}

/* NULL where nx_sim_stream_send would discard the bytes or fail: the
 * caller then sends them that way, so the outcome is the same. */
uint8_t *nx_sim_stream_send_reserve(struct nx_sim_stream *st, size_t n)
{
	uint8_t *p;

	if (st->tcp == NULL || st->shut || st->ended ||
	    nx_sim_tcp_send_reserve(st->tcp, n, &p) != NX_OK)
		return NULL;
	return p;
}

void nx_sim_stream_send_commit(struct nx_sim_stream *st, size_t n)
{
	nx_sim_tcp_send_commit(st->tcp, n);
}

void nx_sim_stream_shutdown(struct nx_sim_stream *st)
{
	if (st->tcp == NULL || st->shut)
		return;
	st->shut = true;
	nx_sim_tcp_shutdown(st->tcp);
}

void nx_sim_stream_reset(struct nx_sim_stream *st)
{
	st_fail(st, NX_SIM_ECONNRESET, true);
}

bool nx_sim_stream_connected(const struct nx_sim_stream *st)
{
	return st->connected;
}

bool nx_sim_stream_ended(const struct nx_sim_stream *st)
{
	return st->ended;
}

void nx_sim_stream_free(struct nx_sim_stream *st)
{
	if (st == NULL)
		return;
	if (st->eof_ev != NX_SIM_EVENT_NONE)
		nx_sim_cancel(st->sim, st->eof_ev);
	if (st->tcp != NULL)
		nx_sim_tcp_close(st->tcp);
	free(st);
}

/* ---- initiator connection ------------------------------------------------- */

struct nx_sim_ini {
	struct nx_sim_stream *st;
	struct nx_ini_conn *ic;
	struct nx_sim_glue_link link;
};

static void si_connected(void *ctx)
{
	((struct nx_sim_ini *)ctx)->link.up = true;
}

static void si_rx(void *ctx, const uint8_t *buf, size_t len)
{
	nx_sim_glue_ini_rx(((struct nx_sim_ini *)ctx)->ic, buf, len);
}

static void si_eof(void *ctx, int err)
{
	struct nx_sim_ini *si = ctx;

	nx_sim_glue_link_down(&si->link, err);
	if (si->ic != NULL)
		nx_ini_conn_closed(si->ic);
}

static const struct nx_sim_stream_ops si_stream_ops = {
	.connected = si_connected, .rx = si_rx, .eof = si_eof,
};

static void si_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	nx_sim_stream_send(((struct nx_sim_ini *)ctx)->st, iov, n);
}

static uint8_t *si_send_reserve(void *ctx, uint32_t len)
{
	return nx_sim_stream_send_reserve(((struct nx_sim_ini *)ctx)->st, len);
}

static void si_send_commit(void *ctx, uint32_t len)
{
	nx_sim_stream_send_commit(((struct nx_sim_ini *)ctx)->st, len);
}

static void si_close(void *ctx)
{
	nx_sim_stream_shutdown(((struct nx_sim_ini *)ctx)->st);
}

static const struct nx_ini_conn_ops si_ops = {
	.send = si_send, .close = si_close,
	.send_reserve = si_send_reserve, .send_commit = si_send_commit,
};

int nx_sim_ini_connect(struct nx_sim *sim, struct nx_sim_host *host,
		       uint32_t dst_ip, uint16_t dst_port,
		       struct nx_ini_session *s, uint16_t cid,
		       uint64_t timeout_ns, struct nx_sim_ini **out)
{
	struct nx_sim_ini *si = calloc(1, sizeof(*si));
	int rc;

	if (si == NULL)
		return NX_ENOMEM;
	rc = nx_sim_stream_connect(sim, host, dst_ip, dst_port, &si_stream_ops,
				   si, &si->st);
	if (rc != NX_OK) {
		free(si);
		return rc;
	}
	rc = nx_sim_glue_link_wait(sim, &si->link, timeout_ns, NX_SIM_ECONNRESET);
	if (rc != NX_OK) {
		nx_sim_stream_free(si->st);
		free(si);
		return rc;
	}
	si->ic = nx_ini_conn_new(s, cid, &si_ops, si);
	if (si->ic == NULL) {
		nx_sim_stream_free(si->st);
		free(si);
		return NX_ENOMEM;
	}
	*out = si;
	return NX_OK;
}

struct nx_ini_conn *nx_sim_ini_conn(struct nx_sim_ini *si)
{
	return si->ic;
}

struct nx_sim_stream *nx_sim_ini_stream(struct nx_sim_ini *si)
{
	return si->st;
}

void nx_sim_ini_free(struct nx_sim_ini *si)
{
	if (si == NULL)
		return;
	if (si->ic != NULL)
		nx_ini_conn_free(si->ic);
	si->ic = NULL;
	nx_sim_stream_free(si->st);
	free(si);
}

/* ---- sync driver ------------------------------------------------------------ */

static void drv_poll(void *ctx)
{
	(void)nx_sim_step(ctx);
}

void nx_sim_driver_init(struct nx_ini_driver *d, struct nx_sim *sim,
			uint32_t steps_max)
{
	d->poll = drv_poll;
	d->ctx = sim;
	d->steps_max = steps_max;
}
