/*
 * glue.c - the pieces the transport glues share (glue_internal.h).
 */
#include <stdlib.h>

#include "glue_internal.h"

unsigned nx_sim_glue_slot_find(const struct nx_sim_glue_slots *t)
{
	for (unsigned i = 0; i < NX_SIM_GLUE_SLOTS; i++)
		if (t->slot[i] == NULL)
			return i;
	return NX_SIM_GLUE_SLOTS;
}

void nx_sim_glue_slot_take(struct nx_sim_glue_slots *t, unsigned slot, void *p)
{
	nx_assert(slot < NX_SIM_GLUE_SLOTS);
	nx_assert(t->slot[slot] == NULL);
	t->slot[slot] = p;
	t->live++;
}

void nx_sim_glue_slot_release(struct nx_sim_glue_slots *t, unsigned slot,
			      const void *p)
{
	nx_assert(slot < NX_SIM_GLUE_SLOTS);
	nx_assert(t->slot[slot] == p);
	t->slot[slot] = NULL;
	nx_assert(t->live > 0);
	t->live--;
}

void *nx_sim_glue_cm_claim(struct nx_sim_glue_slots *t,
			   const struct nx_rdma_cm_event *ev, size_t size,
			   unsigned *slot, const char *log_why)
{
	unsigned s = nx_sim_glue_slot_find(t);
	void *p = s < NX_SIM_GLUE_SLOTS ? calloc(1, size) : NULL;

	nx_assert(ev->type == NX_RDMA_CM_CONNECT_REQUEST);
	if (p == NULL) {
		nx_log(NX_LOG_WARN, "%s", log_why);
		(void)nx_rdma_cm_reject(ev->id, NULL, 0);
		nx_rdma_cm_id_free(ev->id);
		return NULL;
	}
	nx_sim_glue_slot_take(t, s, p);
	*slot = s;
	return p;
}

int nx_sim_glue_rdma_stop(struct nx_sim *sim, struct nx_rdma_cm_id **listener,
			  struct nx_sim_glue_slots *t,
			  void (*disconnect)(void *p),
			  bool (*released)(void *arg), void *arg,
			  uint64_t drain_ns)
{
	if (*listener != NULL)
		nx_rdma_cm_id_free(*listener);
	*listener = NULL;
	for (unsigned i = 0; i < NX_SIM_GLUE_SLOTS; i++)
		if (t->slot[i] != NULL)
			disconnect(t->slot[i]);
	return nx_sim_glue_drain(sim, released, arg, drain_ns);
}

void nx_sim_glue_link_down(struct nx_sim_glue_link *l, int err)
{
	l->down = true;
	l->err = err;
}

static bool link_settled(void *arg)
{
	const struct nx_sim_glue_link *l = arg;

	return l->up || l->down;
}

int nx_sim_glue_link_wait(struct nx_sim *sim, struct nx_sim_glue_link *l,
			  uint64_t timeout_ns, int refused_err)
{
	int rc;

	nx_sim_run_until(sim, link_settled, l, nx_sim_now(sim) + timeout_ns);
	if (l->up)
		return NX_OK;
	rc = l->down ? l->err : NX_SIM_ETIMEDOUT;
	return rc < 0 ? rc : refused_err;
}

void nx_sim_glue_ini_rx(struct nx_ini_conn *ic, const uint8_t *buf, size_t len)
{
	if (ic != NULL && !nx_ini_conn_is_dead(ic))
		(void)nx_ini_conn_input(ic, buf, len);
}

int nx_sim_glue_drain(struct nx_sim *sim, bool (*released)(void *arg),
		      void *arg, uint64_t drain_ns)
{
	if (!nx_sim_run_until(sim, released, arg, nx_sim_now(sim) + drain_ns))
		return NX_EAGAIN;
	return NX_OK;
}
