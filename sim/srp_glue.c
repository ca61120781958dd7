/*
 * srp_glue.c - SRP target port and initiator channels over the simulated
 * RDMA fabric (nx_sim_srp.h).
 */
#include <stdlib.h>
#include <string.h>

#include "nx_sim_srp.h"

#define TCHANS_MAX NX_SRP_CHANNELS_MAX

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
	struct tchan *chans[TCHANS_MAX];
	unsigned live;
	uint64_t accepted;
};

static void tc_release(void *ctx)
{
	struct tchan *tc = ctx;
	struct nx_sim_srp_target *t = tc->t;

	nx_assert(t->chans[tc->slot] == tc);
	t->chans[tc->slot] = NULL;
	nx_assert(t->live > 0);
	t->live--;
	free(tc);
}

static void tgt_cm(void *ctx, const struct nx_rdma_cm_event *ev)
{
	struct nx_sim_srp_target *t = ctx;
	struct tchan *tc = NULL;
	unsigned slot = TCHANS_MAX;

	if (ev->type != NX_RDMA_CM_CONNECT_REQUEST)
		return;
	for (unsigned i = 0; i < TCHANS_MAX && slot == TCHANS_MAX; i++)
		if (t->chans[i] == NULL)
			slot = i;
	if (slot < TCHANS_MAX)
		tc = calloc(1, sizeof(*tc));
	if (tc == NULL) {
		/* Let the port answer: it rejects with its own reason. */
		nx_log(NX_LOG_WARN, "sim srp: channel limit, rejecting");
		(void)nx_rdma_cm_reject(ev->id, NULL, 0);
		nx_rdma_cm_id_free(ev->id);
		return;
	}
	tc->t = t;
	tc->slot = slot;
	tc->seq = t->accepted;
	t->chans[slot] = tc;
	t->live++;
	tc->ch = nx_srp_accept(t->port, ev->id, ev->private_data,
			       ev->private_data_len, tc_release, tc);
	if (tc->ch == NULL) {
		t->chans[slot] = NULL;
		t->live--;
		free(tc);
		return;
	}
	t->accepted++;
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
	return t->live;
}

uint64_t nx_sim_srp_target_accepted(const struct nx_sim_srp_target *t)
{
	return t->accepted;
}

struct nx_srp_chan *nx_sim_srp_target_chan(struct nx_sim_srp_target *t,
					   unsigned n)
{
	/* the live channel with exactly n live ones accepted before it */
	for (unsigned i = 0; i < TCHANS_MAX; i++) {
		const struct tchan *tc = t->chans[i];
		unsigned before = 0;

		if (tc == NULL)
			continue;
		for (unsigned j = 0; j < TCHANS_MAX; j++)
			if (t->chans[j] != NULL && t->chans[j]->seq < tc->seq)
				before++;
		if (before == n)
			return tc->ch;
	}
	return NULL;
}

static bool all_released(void *arg)
{
	const struct nx_sim_srp_target *t = arg;

	return t->live == 0 && !nx_srp_target_busy(t->port);
}

int nx_sim_srp_target_free(struct nx_sim_srp_target *t, uint64_t drain_ns)
{
	if (t == NULL)
		return NX_OK;
	if (t->listener != NULL)
		nx_rdma_cm_id_free(t->listener);
	t->listener = NULL;
	for (unsigned i = 0; i < TCHANS_MAX; i++)
		if (t->chans[i] != NULL)
			nx_srp_chan_disconnect(t->chans[i]->ch);
	if (!nx_sim_run_until(t->sim, all_released, t,
			      nx_sim_now(t->sim) + drain_ns))
		return NX_EAGAIN;
	nx_srp_target_free(t->port);
	free(t);
	return NX_OK;
}

/* ---- initiator channel ------------------------------------------------------ */

struct nx_sim_srp_ini {
	struct nx_ini_srp *it;
	int err;
	bool up, down;
	unsigned raw;                 /* answers to raw IUs seen */
	struct nx_srp_rsp last;
	uint8_t sense[NX_INI_SENSE_MAX];
};

static void si_established(void *ctx)
{
	((struct nx_sim_srp_ini *)ctx)->up = true;
}

static void si_closed(void *ctx, int err)
{
	struct nx_sim_srp_ini *si = ctx;

	si->down = true;
	si->err = err;
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

static bool si_settled(void *arg)
{
	const struct nx_sim_srp_ini *si = arg;

	return si->up || si->down;
}

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
	nx_sim_run_until(sim, si_settled, si, nx_sim_now(sim) + timeout_ns);
	if (!si->up) {
		rc = si->down ? si->err : NX_SIM_ETIMEDOUT;
		if (rej != NULL)
			*rej = *nx_ini_srp_rej(si->it);
		nx_ini_srp_free(si->it);
		free(si);
		return rc < 0 ? rc : NX_INI_ECONNRESET;
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
		*err = si->err;
	return si->down;
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
	for (uint32_t i = 0; i < max && !si->down; i++)
		d->poll(d->ctx);
	return si->down ? NX_OK : NX_INI_ETIMEDOUT;
}

void nx_sim_srp_ini_free(struct nx_sim_srp_ini *si)
{
	if (si == NULL)
		return;
	nx_ini_srp_free(si->it);
	free(si);
}
