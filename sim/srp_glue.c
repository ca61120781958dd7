/*
 * srp_glue.c - SRP target port and initiator channels over the simulated
 * RDMA fabric (nx_sim_srp.h).
 */
#include <stdlib.h>
#include <string.h>

#include "glue_internal.h"
#include "nx_sim_srp.h"

_Static_assert(NX_SRP_CHANNELS_MAX == NX_SIM_GLUE_SLOTS,
	       "one glue slot per SRP channel of the target port");

/* ---- target ------------------------------------------------------------ */

struct tchan {
	struct nx_sim_srp_target *t;
	struct nx_srp_chan *ch;
	unsigned slot;
	uint64_t seq;
};

struct nx_sim_srp_target {
	struct nx_sim *sim;
	struct nx_srp_target *port;
	struct nx_rdma_cm_id *listener;
	struct nx_sim_glue_slots chans;    /* of struct tchan */
};

static void tc_release(void *ctx)
{
	struct tchan *tc = ctx;

	nx_sim_glue_slot_release(&tc->t->chans, tc->slot, tc);
	free(tc);
}

static void tgt_cm(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_sim_srp_target *t = ctx;
	struct tchan *tc;
	unsigned slot;

	if (ev->type != NX_RDMA_CM_CONNECT_REQUEST)
		return;
	/* Let the port answer: it rejects with its own reason. */
	tc = nx_sim_glue_cm_claim(&t->chans, ev, sizeof(*tc), &slot,
				  "sim srp: channel limit, rejecting");
	if (tc == NULL)
		return;
	tc->t = t;
	tc->slot = slot;
	tc->seq = t->chans.accepted;
	tc->ch = nx_srp_accept(t->port, ev->id, ev->private_data,
			       ev->private_data_len, tc_release, tc);
	if (tc->ch == NULL) {
		nx_sim_glue_slot_release(&t->chans, slot, tc);
		free(tc);
		return;
	}
	t->chans.accepted++;
}

struct nx_sim_srp_target *
nx_sim_srp_target_new(struct nx_sim *sim, struct nx_rdma_dev *dev,
		      uint16_t port, const struct nx_srp_target_config *cfg)
{
	struct nx_sim_srp_target *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->sim = sim;
	t->port = nx_srp_target_new(cfg);
	if (t->port == NULL ||
	    nx_rdma_cm_listen(dev, port, tgt_cm, t, &t->listener) != NX_OK) {
		nx_srp_target_free(t->port);
		free(t);
		return NULL;
	}
	return t;
}

struct nx_srp_target *nx_sim_srp_target_port(struct nx_sim_srp_target *t)
{
	return t->port;
}

unsigned nx_sim_srp_target_chans(const struct nx_sim_srp_target *t)
{
	return t->chans.live;
}

uint64_t nx_sim_srp_target_accepted(const struct nx_sim_srp_target *t)
{
	return t->chans.accepted;
}

struct nx_srp_chan *nx_sim_srp_target_chan(struct nx_sim_srp_target *t,
					   unsigned n)
{
	/* the live channel with exactly n live ones accepted before it */
	for (unsigned i = 0; i < NX_SIM_GLUE_SLOTS; i++) {
		const struct tchan *tc = t->chans.slot[i];
		unsigned before = 0;

		if (tc == NULL)
			continue;
		for (unsigned j = 0; j < NX_SIM_GLUE_SLOTS; j++) {
			const struct tchan *o = t->chans.slot[j];

			if (o != NULL && o->seq < tc->seq)
				before++;
		}
		if (before == n)
			return tc->ch;
	}
	return NULL;
}

static void tc_disconnect(void *p)
{
	nx_srp_chan_disconnect(((struct tchan *)p)->ch);
}

static bool all_released(void *arg)
{
	const struct nx_sim_srp_target *t = arg;

	return t->chans.live == 0 && !nx_srp_target_busy(t->port);
}

int nx_sim_srp_target_free(struct nx_sim_srp_target *t, uint64_t drain_ns)
{
	if (t == NULL)
		return NX_OK;
	if (nx_sim_glue_rdma_stop(t->sim, &t->listener, &t->chans, tc_disconnect,
				  all_released, t, drain_ns) != NX_OK)
		return NX_EAGAIN;
	nx_srp_target_free(t->port);
	free(t);
	return NX_OK;
}

/* ---- initiator channel ------------------------------------------------------ */

struct nx_sim_srp_ini {
	struct nx_ini_srp *it;
	struct nx_sim_glue_link link;
	unsigned raw;                 /* answers to raw IUs seen */
	struct nx_srp_rsp last;
	uint8_t sense[NX_INI_SENSE_MAX];
};

static void si_established(void *ctx)
{
	((struct nx_sim_srp_ini *)ctx)->link.up = true;
}

static void si_closed(void *ctx, int err)
{
	nx_sim_glue_link_down(&((struct nx_sim_srp_ini *)ctx)->link, err);
}

static void si_unknown(void *ctx, const struct nx_srp_rsp *r)
{
	struct nx_sim_srp_ini *si = ctx;

	si->raw++;
	si->last = *r;
	si->last.sense_len = NX_MIN(r->sense_len, (uint32_t)sizeof(si->sense));
	if (si->last.sense_len > 0)
		memcpy(si->sense, r->sense, si->last.sense_len);
	si->last.sense = si->sense;
}

static const struct nx_ini_srp_ops si_ops = {
	.established = si_established, .closed = si_closed,
	.unknown_rsp = si_unknown,
};

int nx_sim_srp_ini_connect(struct nx_sim *sim, struct nx_rdma_dev *dev,
			   uint32_t dst_ip, uint16_t dst_port,
			   const struct nx_ini_srp_config *cfg,
			   uint64_t timeout_ns, struct nx_sim_srp_ini **out,
			   struct nx_srp_login_rej *rej)
{
	struct nx_sim_srp_ini *si = calloc(1, sizeof(*si));
	int rc;

	if (si == NULL)
		return NX_ENOMEM;
	rc = nx_ini_srp_connect(dev, dst_ip, dst_port, cfg, &si_ops, si, &si->it);
	if (rc != NX_OK) {
		free(si);
		return rc;
	}
	rc = nx_sim_glue_link_wait(sim, &si->link, timeout_ns, NX_INI_ECONNRESET);
	if (rc != NX_OK) {
		if (rej != NULL)
			*rej = *nx_ini_srp_rej(si->it);
		nx_ini_srp_free(si->it);
		free(si);
		return rc;
	}
	*out = si;
	return NX_OK;
}

struct nx_ini_srp *nx_sim_srp_ini_port(struct nx_sim_srp_ini *si)
{
	return si->it;
}

bool nx_sim_srp_ini_down(const struct nx_sim_srp_ini *si, int *err)
{
	if (err != NULL)
		*err = si->link.err;
	return si->link.down;
}

unsigned nx_sim_srp_ini_raw_rsp(const struct nx_sim_srp_ini *si,
				const struct nx_srp_rsp **last)
{
	if (last != NULL)
		*last = &si->last;
	return si->raw;
}

/* ---- blocking helpers ------------------------------------------------------- */

static void sync_done(struct nx_ini_scsi *r)
{
	*(bool *)r->priv = true;
}

static uint32_t steps_of(const struct nx_ini_driver *d)
{
	return d->steps_max != 0 ? d->steps_max : NX_INI_SYNC_STEPS_DEFAULT;
}

int nx_sim_srp_ini_sync_scsi(struct nx_sim_srp_ini *si,
			     const struct nx_ini_driver *d, uint32_t lun,
			     const uint8_t *cdb, unsigned cdb_len,
			     enum nx_ini_dir dir, void *buf, uint32_t len,
			     struct nx_ini_scsi *r)
{
	bool fired = false;
	uint32_t max = steps_of(d);
	int rc;

	nx_assert(r != NULL && d->poll != NULL);
	memset(r, 0, sizeof(*r));
	if (cdb_len == 0 || cdb_len > NX_INI_CDB_MAX)
		return NX_EINVAL;
	r->lun = nx_ini_lun(lun);
	memcpy(r->cdb, cdb, cdb_len);
	r->cdb_len = (uint16_t)cdb_len;
	r->attr = NX_INI_ATTR_SIMPLE;
	if (dir == NX_INI_DIR_READ) {
		r->data_in = buf;
		r->data_in_len = len;
	} else if (dir == NX_INI_DIR_WRITE) {
		r->data_out = buf;
		r->data_out_len = len;
	}
	r->done = sync_done;
	r->priv = &fired;
	rc = nx_ini_srp_scsi_submit(si->it, r);
	if (rc != NX_OK)
		return rc;
	for (uint32_t i = 0; i < max && !fired; i++)
		d->poll(d->ctx);
	if (!fired) {
		(void)nx_ini_srp_cancel(si->it, r->itt);
		nx_assert(fired);
		return NX_INI_ETIMEDOUT;
	}
	return r->err;
}

int nx_sim_srp_ini_sync_logout(struct nx_sim_srp_ini *si,
			       const struct nx_ini_driver *d)
{
	uint32_t max = steps_of(d);

	nx_ini_srp_logout(si->it);
	for (uint32_t i = 0; i < max && !si->link.down; i++)
		d->poll(d->ctx);
	return si->link.down ? NX_OK : NX_INI_ETIMEDOUT;
}

void nx_sim_srp_ini_free(struct nx_sim_srp_ini *si)
{
	if (si == NULL)
		return;
	nx_ini_srp_free(si->it);
	free(si);
}
