/*
 * iser_glue.c - iSER target and initiators over the simulated RDMA
 * fabric (nx_sim_iser.h).
 */
#include <stdlib.h>
#include <string.h>

#include "glue_internal.h"
#include "nx_sim_iser.h"

/* ---- target ------------------------------------------------------------ */

struct tconn {
	struct nx_sim_iser_target *t;
	struct nx_iser_conn *ic;
	unsigned slot;
};

struct nx_sim_iser_target {
	struct nx_sim *sim;
	struct nx_iscsi_server *srv;
	struct nx_rdma_cm_id *listener;
	struct nx_sim_glue_slots conns;    /* of struct tconn */
};

static void tc_release(void *ctx)
{
	struct tconn *tc = ctx;

	nx_sim_glue_slot_release(&tc->t->conns, tc->slot, tc);
	free(tc);
}

static void tgt_cm(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_sim_iser_target *t = ctx;
	struct tconn *tc;
	unsigned slot;

	if (ev->type != NX_RDMA_CM_CONNECT_REQUEST)
		return;
	tc = nx_sim_glue_cm_claim(&t->conns, ev, sizeof(*tc), &slot,
				  "sim iser: connection limit, rejecting");
	if (tc == NULL)
		return;
	tc->t = t;
	tc->slot = slot;
	tc->ic = nx_iser_accept(t->srv, ev->id, ev->private_data,
				ev->private_data_len, tc_release, tc);
	if (tc->ic == NULL) {
		nx_sim_glue_slot_release(&t->conns, slot, tc);
		free(tc);
		return;
	}
	t->conns.accepted++;
}

struct nx_sim_iser_target *
nx_sim_iser_target_new(struct nx_sim *sim, struct nx_rdma_dev *dev,
		       uint16_t port, const struct nx_iscsi_server_config *cfg)
{
	struct nx_sim_iser_target *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->sim = sim;
	t->srv = nx_iscsi_server_new(cfg);
	if (t->srv == NULL ||
	    nx_rdma_cm_listen(dev, port, tgt_cm, t, &t->listener) != NX_OK) {
		if (t->srv != NULL)
			nx_iscsi_server_free(t->srv);
		free(t);
		return NULL;
	}
	return t;
}

struct nx_iscsi_server *nx_sim_iser_target_server(struct nx_sim_iser_target *t)
{
	return t->srv;
}

unsigned nx_sim_iser_target_conns(const struct nx_sim_iser_target *t)
{
	return t->conns.live;
}

uint64_t nx_sim_iser_target_accepted(const struct nx_sim_iser_target *t)
{
	return t->conns.accepted;
}

static void tc_disconnect(void *p)
{
	nx_iser_conn_disconnect(((struct tconn *)p)->ic);
}

static bool all_released(void *arg)
{
	const struct nx_sim_iser_target *t = arg;

	return t->conns.live == 0 && !nx_iscsi_server_busy(t->srv);
}

int nx_sim_iser_target_free(struct nx_sim_iser_target *t, uint64_t drain_ns)
{
	if (t == NULL)
		return NX_OK;
	if (nx_sim_glue_rdma_stop(t->sim, &t->listener, &t->conns, tc_disconnect,
				  all_released, t, drain_ns) != NX_OK)
		return NX_EAGAIN;
	nx_iscsi_server_free(t->srv);
	free(t);
	return NX_OK;
}

/* ---- initiator connection ------------------------------------------------- */

struct nx_sim_iser_ini {
	struct nx_ini_iser *it;
	struct nx_ini_conn *ic;
	struct nx_sim_glue_link link;
};

static void si_established(void *ctx)
{
	((struct nx_sim_iser_ini *)ctx)->link.up = true;
}

static void si_rx(void *ctx, const uint8_t *pdu, size_t len)
{
	nx_sim_glue_ini_rx(((struct nx_sim_iser_ini *)ctx)->ic, pdu, len);
}

static void si_closed(void *ctx, int err)
{
	struct nx_sim_iser_ini *si = ctx;

	nx_sim_glue_link_down(&si->link, err);
	if (si->ic != NULL && !nx_ini_conn_is_dead(si->ic))
		nx_ini_conn_closed(si->ic);
}

static const struct nx_ini_iser_ops si_iser_ops = {
	.established = si_established, .rx = si_rx, .closed = si_closed,
};

static void si_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	nx_ini_iser_send(((struct nx_sim_iser_ini *)ctx)->it, iov, n);
}

static void si_close(void *ctx)
{
	nx_ini_iser_disconnect(((struct nx_sim_iser_ini *)ctx)->it);
}

static const struct nx_ini_conn_ops si_ops = { .send = si_send,
					       .close = si_close };

int nx_sim_iser_ini_connect(struct nx_sim *sim, struct nx_rdma_dev *dev,
			    uint32_t dst_ip, uint16_t dst_port,
			    struct nx_ini_session *s, uint16_t cid,
			    uint64_t timeout_ns, struct nx_sim_iser_ini **out)
{
	struct nx_sim_iser_ini *si = calloc(1, sizeof(*si));
	int rc;

	if (si == NULL)
		return NX_ENOMEM;
	rc = nx_ini_iser_connect(dev, dst_ip, dst_port, &si_iser_ops, si, &si->it);
	if (rc != NX_OK) {
		free(si);
		return rc;
	}
	rc = nx_sim_glue_link_wait(sim, &si->link, timeout_ns, NX_INI_ECONNRESET);
	if (rc != NX_OK) {
		nx_ini_iser_free(si->it);
		free(si);
		return rc;
	}
	si->ic = nx_ini_conn_new(s, cid, &si_ops, si);
	if (si->ic == NULL) {
		nx_ini_iser_free(si->it);
		free(si);
		return NX_ENOMEM;
	}
	nx_ini_conn_set_dm(si->ic, &nx_ini_iser_dm, si->it);
	*out = si;
	return NX_OK;
}

struct nx_ini_conn *nx_sim_iser_ini_conn(struct nx_sim_iser_ini *si)
{
	return si->ic;
}

struct nx_ini_iser *nx_sim_iser_ini_iser(struct nx_sim_iser_ini *si)
{
	return si->it;
}

void nx_sim_iser_ini_free(struct nx_sim_iser_ini *si)
{
	if (si == NULL)
		return;
	if (si->ic != NULL)
		nx_ini_conn_free(si->ic);
	si->ic = NULL;
	nx_ini_iser_free(si->it);
	free(si);
}
