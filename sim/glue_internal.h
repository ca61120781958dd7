/*
 * glue_internal.h - what the transport glues share (iscsi_glue.c,
 * iser_glue.c, srp_glue.c): the target's table of accepted
 * connections / channels, the RDMA CM's CONNECT_REQUEST claim, and the
 * initiator's wait for its connection to come up.  Internal to sim/.
 */
#ifndef NX_SIM_GLUE_INTERNAL_H
#define NX_SIM_GLUE_INTERNAL_H

#include "nx_sim.h"
#include "nx_sim_rdma.h"
#include "nx_sim_tcp.h"
#include "../initiator/nx_initiator.h"

#define NX_SIM_GLUE_SLOTS 64u   /* connections / channels per target */

/* A target's live connections, each in a fixed slot (searched from 0,
 * so the order never depends on pointers). */
struct nx_sim_glue_slots {
	void *slot[NX_SIM_GLUE_SLOTS];
	unsigned live;
	uint64_t accepted;
};

/* The first free slot, NX_SIM_GLUE_SLOTS when all are taken. */
unsigned nx_sim_glue_slot_find(const struct nx_sim_glue_slots *t);
void nx_sim_glue_slot_take(struct nx_sim_glue_slots *t, unsigned slot, void *p);
/* Empties slot (it must hold p); the caller frees p. */
void nx_sim_glue_slot_release(struct nx_sim_glue_slots *t, unsigned slot,
			      const void *p);

/* A CONNECT_REQUEST: a zeroed context of size bytes in a free slot
 * (*slot), or NULL after rejecting the request with log_why (no free
 * slot or no memory). */
void *nx_sim_glue_cm_claim(struct nx_sim_glue_slots *t,
			   const struct nx_rdma_cm_event *ev, size_t size,
			   unsigned *slot, const char *log_why);

/* Tears down an RDMA target's connections: frees the listener (and
 * NULLs it), disconnects each slot's connection in slot order, then runs
 * the sim until released(arg) or drain_ns passed.  NX_OK or NX_EAGAIN. */
int nx_sim_glue_rdma_stop(struct nx_sim *sim, struct nx_rdma_cm_id **listener,
			  struct nx_sim_glue_slots *t,
			  void (*disconnect)(void *p),
			  bool (*released)(void *arg), void *arg,
			  uint64_t drain_ns);

/* An initiator's connection while it comes up. */
struct nx_sim_glue_link {
	int err;
	bool up, down;
};

void nx_sim_glue_link_down(struct nx_sim_glue_link *l, int err);
/* Runs the sim until the link is up or down or timeout_ns passed: NX_OK
 * when up, else the error (refused_err when it closed without one). */
int nx_sim_glue_link_wait(struct nx_sim *sim, struct nx_sim_glue_link *l,
			  uint64_t timeout_ns, int refused_err);

/* Received bytes for an initiator connection that may be gone. */
void nx_sim_glue_ini_rx(struct nx_ini_conn *ic, const uint8_t *buf, size_t len);

/* Runs the sim until released(arg) or drain_ns passed: NX_OK or
 * NX_EAGAIN. */
int nx_sim_glue_drain(struct nx_sim *sim, bool (*released)(void *arg),
		      void *arg, uint64_t drain_ns);

#endif /* NX_SIM_GLUE_INTERNAL_H */
