/*
 * rdma_cm.c - the simulated connection manager (rdma_cm over IBA 12 CM):
 * REQ -> REP -> RTU to connect, REJ to refuse, DREQ -> DREP to
 * disconnect, each a MAD to QP1 on the wire (and in the capture).
 *
 * rdma_cm's IP-based addressing (RDMA_PS_TCP): a listener binds a port of
 * a device, the service ID is 0x0000000001060000 | port, and the active
 * side names the destination by IPv4 address.  The CM drives the QP of
 * a connection: INIT on connect, RTR with the peer's QPN on REP (active)
 * or accept (passive), RTS on REP / RTU, ERROR on disconnect.
 *
 * Events reach the id's handler from sim events only: a message's
 * arrival, or a local event scheduled with no delay.
 */
#include <stdlib.h>
#include <string.h>

#include "rdma_internal.h"

#define CM_TIMEOUT_MSG 0xff     /* local: the REQ, REP or DREQ timer fired */
#define CM_EPHEMERAL_BASE 49152u

enum cm_state {
	CMS_IDLE,
	CMS_LISTEN,
	CMS_REQ_SENT,     /* active: waiting for REP / REJ */
	CMS_REQ_RCVD,     /* passive: CONNECT_REQUEST delivered */
	CMS_REP_SENT,     /* passive: accepted, waiting for RTU */
	CMS_ESTABLISHED,
	CMS_DREQ_SENT,
	CMS_DONE,         /* disconnected, rejected or unreachable */
};

struct nx_rdma_cm_id {
	struct nx_sim_rdma *f;
	struct nx_rdma_dev *dev;
	uint32_t comm_id;
	uint16_t slot;
	uint8_t state;         /* enum cm_state */
	bool broken;
	uint16_t port;         /* the service port */
	uint16_t sport;        /* the active side's port */
	bool active;
	nx_rdma_cm_fn fn;
	void *ctx;
	struct nx_rdma_qp *qp;
	uint8_t peer_dev;
	uint32_t peer_comm;
	uint32_t peer_qpn;
	uint64_t tid;
	uint32_t timer_seq;    /* only the latest armed timer counts */
};

/* ---- ids --------------------------------------------------------------------- */

static struct nx_rdma_cm_id *id_new(struct nx_rdma_dev *dev, nx_rdma_cm_fn fn,
				    void *ctx)
{
	struct nx_sim_rdma *f = dev->f;
	struct nx_rdma_cm_id *id;
	unsigned slot;

	for (slot = 0; slot < RDMA_IDS_MAX && f->ids[slot] != NULL; slot++)
		;
	if (slot == RDMA_IDS_MAX)
		return NULL;
	id = calloc(1, sizeof(*id));
	if (id == NULL)
		return NULL;
	f->id_gen[slot] = (uint16_t)((f->id_gen[slot] % 4095u) + 1u);
	id->f = f;
	id->dev = dev;
	id->slot = (uint16_t)slot;
	id->comm_id = (uint32_t)f->id_gen[slot] << RDMA_SLOT_BITS | slot;
	id->fn = fn;
	id->ctx = ctx;
	f->ids[slot] = id;
	f->live++;
	return id;
}

static struct nx_rdma_cm_id *id_lookup(struct nx_sim_rdma *f, uint8_t dev,
				       uint32_t comm_id)
{
	struct nx_rdma_cm_id *id = f->ids[nx_sim_rdma_slot(comm_id)];

	if (id == NULL || id->comm_id != comm_id || id->dev->index != dev)
		return NULL;
	return id;
}

static void id_event(struct nx_rdma_cm_id *id, struct nx_rdma_cm_id *about,
		     uint8_t type, const struct rdma_pkt *p, uint16_t status)
{
	struct nx_rdma_cm_event ev = {
		.type = type, .id = about,
		.private_data = p != NULL && p->priv_len > 0 ? p->priv : NULL,
		.private_data_len = p != NULL ? p->priv_len : 0,
		.status = status,
	};

	if (id->fn != NULL)
		id->fn(id->ctx, &ev);
}

/* ---- messages ------------------------------------------------------------------ */

static struct rdma_pkt *cm_msg(struct nx_rdma_cm_id *id, uint8_t type)
{
	struct rdma_pkt *p = nx_sim_rdma_pkt_new(id->f, PKT_CM, id->dev->index,
						 id->peer_dev);

	p->cm_type = type;
	p->cm_src_id = id->comm_id;
	p->cm_dst_id = id->peer_comm;
	p->cm_port = id->port;
	p->cm_sport = id->sport;
	p->cm_tid = id->tid;
	p->cm_qpn = id->peer_qpn; /* DREQ: the remote QPN; REQ/REP: their own */
	p->src_qpn = 1;
	p->dst_qpn = 1;
	return p;
}

static void cm_send(struct nx_rdma_cm_id *id, struct rdma_pkt *p)
{
	if (id->broken) {
		nx_sim_rdma_pkt_free(p); /* the path is dead */
		return;
	}
	id->f->stats.cm_msgs++;
	nx_sim_rdma_transmit(p);
}

/* A local event or timer for id, from a sim event. */
/* A timer message to id itself.  Each arming supersedes the previous
 * one (a REQ's timer must not end the DREQ that follows it): the message
 * carries the arming's number in cm_psn, unused by local messages. */
static void cm_local(struct nx_rdma_cm_id *id, uint8_t what, uint64_t delay_ns)
{
	struct rdma_pkt *p = nx_sim_rdma_pkt_new(id->f, PKT_CM, id->dev->index,
						 id->dev->index);

	p->local = true;
	p->cm_type = what;
	p->cm_dst_id = id->comm_id;
	p->cm_psn = ++id->timer_seq;
	nx_sim_rdma_schedule(p, delay_ns);
}

static void set_priv(struct rdma_pkt *p, const void *priv, uint8_t len)
{
	p->priv_len = len;
	if (len > 0)
		memcpy(p->priv, priv, len);
}

/* A REJ or DREP for a message that found no id. */
static void cm_answer_orphan(struct nx_sim_rdma *f, const struct rdma_pkt *in,
			     uint8_t type, uint16_t reason)
{
	struct rdma_pkt *p = nx_sim_rdma_pkt_new(f, PKT_CM, in->dst_dev,
						 in->src_dev);

	p->cm_type = type;
	p->cm_dst_id = in->cm_src_id;
	p->cm_reason = reason;
	p->cm_port = in->cm_port;
	p->cm_sport = in->cm_sport;
	p->cm_tid = in->cm_tid;
	p->src_qpn = 1;
	p->dst_qpn = 1;
	f->stats.cm_msgs++;
	nx_sim_rdma_transmit(p);
}

/* ---- API ----------------------------------------------------------------------- */

int nx_rdma_cm_listen(struct nx_rdma_dev *dev, uint16_t port, nx_rdma_cm_fn fn,
		      void *ctx, struct nx_rdma_cm_id **out)
{
	struct nx_sim_rdma *f = dev->f;
	struct nx_rdma_cm_id *id;

	for (unsigned i = 0; i < RDMA_IDS_MAX; i++) {
		id = f->ids[i];
		if (id != NULL && id->dev == dev && id->state == CMS_LISTEN &&
		    id->port == port)
			return NX_EINVAL; /* port taken */
	}
	if (fn == NULL || out == NULL)
		return NX_EINVAL;
	id = id_new(dev, fn, ctx);
	if (id == NULL)
		return NX_ENOMEM;
	id->state = CMS_LISTEN;
	id->port = port;
	*out = id;
	return NX_OK;
}

static void cm_attach(struct nx_rdma_cm_id *id, struct nx_rdma_qp *qp)
{
	id->qp = qp;
	qp->cm = id;
}

int nx_rdma_cm_connect(struct nx_rdma_dev *dev, uint32_t dst_ipv4,
		       uint16_t port, struct nx_rdma_qp *qp, const void *priv,
		       uint8_t priv_len, nx_rdma_cm_fn fn, void *ctx,
		       struct nx_rdma_cm_id **out)
{
	struct nx_rdma_dev *dst = nx_sim_rdma_dev_by_ip(dev->f, dst_ipv4);
	struct nx_rdma_cm_id *id;
	struct rdma_pkt *p;

	if (qp == NULL || qp->dev != dev || qp->cm != NULL || fn == NULL ||
	    out == NULL || priv_len > NX_RDMA_CONN_PRIV_MAX ||
	    (priv == NULL && priv_len > 0) ||
	    (qp->state != NX_RDMA_QPS_RESET && qp->state != NX_RDMA_QPS_INIT))
		return NX_EINVAL;
	id = id_new(dev, fn, ctx);
	if (id == NULL)
		return NX_ENOMEM;
	if (qp->state == NX_RDMA_QPS_RESET)
		(void)nx_rdma_qp_modify(qp, NX_RDMA_QPS_INIT, NULL);
	cm_attach(id, qp);
	id->active = true;
	id->port = port;
	id->sport = (uint16_t)(CM_EPHEMERAL_BASE + id->slot);
	id->tid = dev->f->tid_next++;
	id->state = CMS_REQ_SENT;
	*out = id;
	if (dst == NULL) {
		cm_local(id, CM_TIMEOUT_MSG, dev->f->o.cm_timeout_ns);
		return NX_OK;
	}
	id->peer_dev = dst->index;
	p = cm_msg(id, CM_REQ);
	p->cm_qpn = qp->qpn;
	p->cm_psn = nx_sim_rdma_psn_init(qp->qpn);
	set_priv(p, priv, priv_len);
	cm_send(id, p);
	cm_local(id, CM_TIMEOUT_MSG, dev->f->o.cm_timeout_ns);
	return NX_OK;
}

void nx_rdma_cm_set_handler(struct nx_rdma_cm_id *id, nx_rdma_cm_fn fn,
			    void *ctx)
{
	id->fn = fn;
	id->ctx = ctx;
}

struct nx_rdma_dev *nx_rdma_cm_dev(const struct nx_rdma_cm_id *id)
{
	return id->dev;
}

int nx_rdma_cm_accept(struct nx_rdma_cm_id *id, struct nx_rdma_qp *qp,
		      const void *priv, uint8_t priv_len)
{
	struct rdma_pkt *p;

	if (id->state != CMS_REQ_RCVD || qp == NULL || qp->dev != id->dev ||
	    qp->cm != NULL || priv_len > NX_RDMA_ACCEPT_PRIV_MAX ||
	    (priv == NULL && priv_len > 0) ||
	    (qp->state != NX_RDMA_QPS_RESET && qp->state != NX_RDMA_QPS_INIT))
		return NX_EINVAL;
	cm_attach(id, qp);
	nx_sim_rdma_qp_connect(qp, id->peer_dev, id->peer_qpn);
	id->state = CMS_REP_SENT;
	p = cm_msg(id, CM_REP);
	p->cm_qpn = qp->qpn;
	p->cm_psn = nx_sim_rdma_psn_init(qp->qpn);
	set_priv(p, priv, priv_len);
	cm_send(id, p);
	/* IBA 12.6.x: a REP whose RTU never comes is retried, then given
	 * up; rdma_cm reports UNREACHABLE to the passive side. */
	cm_local(id, CM_TIMEOUT_MSG, id->f->o.cm_timeout_ns);
	return NX_OK;
}

int nx_rdma_cm_reject(struct nx_rdma_cm_id *id, const void *priv,
		      uint8_t priv_len)
{
	struct rdma_pkt *p;

	if (id->state != CMS_REQ_RCVD || priv_len > NX_RDMA_REJECT_PRIV_MAX ||
	    (priv == NULL && priv_len > 0))
		return NX_EINVAL;
	id->state = CMS_DONE;
	p = cm_msg(id, CM_REJ);
	p->cm_reason = NX_RDMA_CM_REJ_CONSUMER;
	set_priv(p, priv, priv_len);
	cm_send(id, p);
	return NX_OK;
}

void nx_rdma_cm_disconnect(struct nx_rdma_cm_id *id)
{
	if (id->state != CMS_ESTABLISHED && id->state != CMS_REP_SENT &&
	    id->state != CMS_REQ_SENT)
		return;
	if (id->qp != NULL)
		nx_sim_rdma_qp_error(id->qp);
	if (id->state == CMS_REQ_SENT) {
		/* Not connected yet: nothing to tell the peer. */
		id->state = CMS_DONE;
		return;
	}
	id->state = CMS_DREQ_SENT;
	cm_send(id, cm_msg(id, CM_DREQ));
	/* The DREP, or the timer when the path is dead (IBA 12.9.7). */
	cm_local(id, CM_TIMEOUT_MSG, id->f->o.cm_timeout_ns);
}

void nx_rdma_cm_id_free(struct nx_rdma_cm_id *id)
{
	if (id == NULL)
		return;
	/* rdma_destroy_id on a connected id disconnects it first. */
	if ((id->state == CMS_ESTABLISHED || id->state == CMS_REP_SENT) &&
	    !id->broken)
		cm_send(id, cm_msg(id, CM_DREQ));
	if (id->qp != NULL)
		id->qp->cm = NULL;
	id->f->ids[id->slot] = NULL;
	id->f->live--;
	free(id);
}

void nx_rdma_cm_addrs(const struct nx_rdma_cm_id *id, char *local, char *peer,
		      size_t len)
{
	const struct nx_sim_rdma *f = id->f;
	uint32_t lip = id->dev->ipv4;
	uint32_t pip = id->state != CMS_LISTEN ? f->devs[id->peer_dev]->ipv4 : 0;
	uint16_t lport = id->active ? id->sport : id->port;
	uint16_t pport = id->active ? id->port : id->sport;

	nx_snprintf(local, len, "%u.%u.%u.%u:%u", lip >> 24, (lip >> 16) & 0xff,
		    (lip >> 8) & 0xff, lip & 0xff, lport);
	nx_snprintf(peer, len, "%u.%u.%u.%u:%u", pip >> 24, (pip >> 16) & 0xff,
		    (pip >> 8) & 0xff, pip & 0xff, pport);
}

void nx_sim_rdma_cm_qp_gone(struct nx_rdma_cm_id *id)
{
	id->qp = NULL;
}

void nx_sim_rdma_cm_break(struct nx_rdma_cm_id *id)
{
	id->broken = true;
}

/* ---- receiving --------------------------------------------------------------- */

static struct nx_rdma_cm_id *find_listener(struct nx_sim_rdma *f, uint8_t dev,
					   uint16_t port)
{
	for (unsigned i = 0; i < RDMA_IDS_MAX; i++) {
		struct nx_rdma_cm_id *id = f->ids[i];

		if (id != NULL && id->dev->index == dev && id->state == CMS_LISTEN &&
		    id->port == port)
			return id;
	}
	return NULL;
}

static void rx_req(struct nx_sim_rdma *f, const struct rdma_pkt *p)
{
	struct nx_rdma_cm_id *l = find_listener(f, p->dst_dev, p->cm_port);
	struct nx_rdma_cm_id *id;

	if (l == NULL) {
		/* IBA 12.6.7.2: no service behind the service ID. */
		cm_answer_orphan(f, p, CM_REJ, NX_RDMA_CM_REJ_INVALID_SERVICE_ID);
		return;
	}
	id = id_new(l->dev, l->fn, l->ctx);
	if (id == NULL) {
		cm_answer_orphan(f, p, CM_REJ, NX_RDMA_CM_REJ_CONSUMER);
		return;
	}
	id->state = CMS_REQ_RCVD;
	id->port = p->cm_port;
	id->sport = p->cm_sport;
	id->peer_dev = p->src_dev;
	id->peer_comm = p->cm_src_id;
	id->peer_qpn = p->cm_qpn;
	id->tid = p->cm_tid;
	id_event(l, id, NX_RDMA_CM_CONNECT_REQUEST, p, 0);
}

static void rx_rep(struct nx_rdma_cm_id *id, const struct rdma_pkt *p)
{
	if (id->state != CMS_REQ_SENT)
		return;
	id->peer_comm = p->cm_src_id;
	id->peer_qpn = p->cm_qpn;
	if (id->qp == NULL) {
		cm_answer_orphan(id->f, p, CM_REJ, NX_RDMA_CM_REJ_CONSUMER);
		id->state = CMS_DONE;
		return;
	}
	nx_sim_rdma_qp_connect(id->qp, id->peer_dev, id->peer_qpn);
	(void)nx_rdma_qp_modify(id->qp, NX_RDMA_QPS_RTS, NULL);
	id->state = CMS_ESTABLISHED;
	cm_send(id, cm_msg(id, CM_RTU));
	id_event(id, id, NX_RDMA_CM_ESTABLISHED, p, 0);
}

static void rx_rtu(struct nx_rdma_cm_id *id, const struct rdma_pkt *p)
{
	if (id->state != CMS_REP_SENT)
		return;
	if (id->qp != NULL)
		(void)nx_rdma_qp_modify(id->qp, NX_RDMA_QPS_RTS, NULL);
	id->state = CMS_ESTABLISHED;
	id_event(id, id, NX_RDMA_CM_ESTABLISHED, NULL, 0);
	(void)p;
}

static void rx_dreq(struct nx_sim_rdma *f, struct nx_rdma_cm_id *id,
		    const struct rdma_pkt *p)
{
	cm_answer_orphan(f, p, CM_DREP, 0);
	if (id == NULL)
		return;
	if (id->state != CMS_ESTABLISHED && id->state != CMS_REP_SENT &&
	    id->state != CMS_DREQ_SENT)
		return;
	if (id->qp != NULL)
		nx_sim_rdma_qp_error(id->qp);
	if (id->state == CMS_DREQ_SENT)
		return; /* both ends at once: our DREP or timer ends it */
	id->state = CMS_DONE;
	id_event(id, id, NX_RDMA_CM_DISCONNECTED, NULL, 0);
}

static void rx_local(struct nx_rdma_cm_id *id, const struct rdma_pkt *p)
{
	if (p->cm_type != CM_TIMEOUT_MSG || p->cm_psn != id->timer_seq)
		return;
	if (id->state == CMS_REQ_SENT) {
		id->state = CMS_DONE;
		id_event(id, id, NX_RDMA_CM_UNREACHABLE, NULL, 0);
	} else if (id->state == CMS_REP_SENT) {
		if (id->qp != NULL)
			nx_sim_rdma_qp_error(id->qp);
		id->state = CMS_DONE;
		id_event(id, id, NX_RDMA_CM_UNREACHABLE, NULL, 0);
	} else if (id->state == CMS_DREQ_SENT) {
		id->state = CMS_DONE;
		id_event(id, id, NX_RDMA_CM_DISCONNECTED, NULL, 0);
	}
}

void nx_sim_rdma_cm_rx(struct rdma_pkt *p)
{
	struct nx_sim_rdma *f = p->f;
	struct nx_rdma_cm_id *id = id_lookup(f, p->dst_dev, p->cm_dst_id);

	if (p->local) {
		if (id != NULL)
			rx_local(id, p);
		return;
	}
	if (p->cm_type == CM_REQ) {
		rx_req(f, p);
		return;
	}
	if (p->cm_type == CM_DREQ) {
		rx_dreq(f, id, p);
		return;
	}
	if (id == NULL || id->peer_dev != p->src_dev)
		return;
	switch (p->cm_type) {
	case CM_REP:
		rx_rep(id, p);
		break;
	case CM_RTU:
		rx_rtu(id, p);
		break;
	case CM_REJ:
		if (id->state != CMS_REQ_SENT)
			break;
		id->state = CMS_DONE;
		id_event(id, id, NX_RDMA_CM_REJECTED, p, p->cm_reason);
		break;
	case CM_DREP:
		if (id->state != CMS_DREQ_SENT)
			break;
		id->state = CMS_DONE;
		id_event(id, id, NX_RDMA_CM_DISCONNECTED, NULL, 0);
		break;
	default:
		break;
	}
}
