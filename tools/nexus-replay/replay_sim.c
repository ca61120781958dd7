/*
 * replay_sim.c - the replay's driver for nexus on a simulated host.
 *
 * The target is configured from the trace (rp_config_from_trace): its
 * name(s), the LUNs touched or reported, sizes and block size from READ
 * CAPACITY answers, the INQUIRY identity; RAM backstores start zeroed.
 * Every captured connection gets its own sim TCP connection from one
 * initiator host; waiting runs sim events, so the run is deterministic
 * (seed 1) and a wait is bounded in virtual time (120 s).
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "../../sim/nx_sim_iscsi.h"
#include "../../core/backstore/nx_backstore.h"
#include "../../core/nx_scsi.h"

#define TGT_IP 0x0a000001u
#define INI_IP 0x0a000002u
#define PORT 3260
#define SEC 1000000000ull
#define WAIT_NS (120 * SEC)

struct rs {
	const struct rp_config *cfg;
	const struct rp_opts *o;
	struct nx_sim *sim;
	struct nx_sim_net *net;
	struct nx_sim_host *thost, *ihost;
	struct nx_sim_iscsi_target *stgt;
	struct nx_target *targets[RP_TARGETS_MAX];
};

static bool flag_set(void *arg)
{
	return *(bool *)arg;
}

static bool rs_wait(void *ctx, bool *flag)
{
	struct rs *s = ctx;

	return nx_sim_run_until(s->sim, flag_set, flag,
				nx_sim_now(s->sim) + WAIT_NS);
}

static void rs_step(void *ctx)
{
	nx_sim_step(((struct rs *)ctx)->sim);
}

static struct nx_ini_conn *rs_connect(void *ctx, uint32_t conn,
				      struct nx_ini_session *ses, uint16_t cid,
				      void **handle, const char **why)
{
	struct rs *s = ctx;
	struct nx_sim_ini *si;

	if (nx_sim_ini_connect(s->sim, s->ihost, TGT_IP, PORT, ses, cid,
			       10 * SEC, &si) != 0) {
		*why = "TCP connect to the simulated target failed";
		return NULL;
	}
	*handle = si;
	return nx_sim_ini_conn(si);
}

static void rs_close(void *ctx, void *handle)
{
	struct rs *s = ctx;

	nx_sim_ini_free(handle);
	/* Let the target see the FIN and drain the session. */
	nx_sim_run_for(s->sim, SEC / 100);
}

static uint64_t rs_lun(void *ctx, uint64_t captured)
{
	return captured;
}

static const char *or_null(const char *s)
{
	return s[0] ? s : NULL;
}

static int target_setup(struct rs *s)
{
	struct nx_iscsi_server_config sc;

	memset(&sc, 0, sizeof(sc));
	for (unsigned i = 0; i < s->cfg->target_count; i++) {
		s->targets[i] = nx_target_new(s->cfg->targets[i]);
		if (s->targets[i] == NULL)
			return -1;
		sc.targets[i].target = s->targets[i];
	}
	sc.target_count = s->cfg->target_count;
	for (unsigned i = 0; i < s->cfg->lu_count; i++) {
		const struct rp_lu *l = &s->cfg->lus[i];
		struct nx_lu_config lc = {
			.lun = l->lun, .block_size = l->block_size,
			.vendor = or_null(l->vendor), .product = or_null(l->product),
			.revision = or_null(l->revision), .serial = or_null(l->serial),
			.phys_block_size = l->lbppbe_seen
						   ? l->block_size << l->lbppbe : 0,
			.removable = l->removable,
		};
		struct nx_backstore *bs = nx_bs_ram_new(l->blocks * l->block_size);

		if (bs == NULL || nx_target_add_lu(s->targets[l->target], &lc, bs))
			return -1;
	}
	sc.portals[0] = "10.0.0.1:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	s->thost = nx_sim_host_new(s->net, "target", TGT_IP);
	s->ihost = nx_sim_host_new(s->net, "initiator", INI_IP);
	if (s->thost == NULL || s->ihost == NULL)
		return -1;
	s->stgt = nx_sim_iscsi_target_new(s->sim, s->thost, PORT, &sc);
	return s->stgt ? 0 : -1;
}

static int sim_setup(struct rs *s)
{
	struct nx_sim_opts so = { .seed = 1, .events_max = 1u << 18 };
	struct nx_link_opts lo;
	struct nx_sim_net_opts no;
	struct nx_rng rng;
	char err[128];

	s->sim = nx_sim_new(&so);
	if (s->sim == NULL)
		return -1;
	nx_sim_set_repro(s->sim, "nexus-replay (deterministic: seed 1)");
	nx_sim_log_config(s->sim, s->o->verbose ? stderr : NULL, NX_LOG_INFO);
	nx_rng_fork(nx_sim_rng(s->sim), "link.opts", 0, &rng);
	if (nx_link_parse("ideal:latency=10us", &lo, &rng, err, sizeof(err)) != 0)
		return -1;
	nx_sim_net_opts_default(&no);
	s->net = nx_sim_net_new(s->sim, &no, &lo);
	return s->net ? 0 : -1;
}

static void teardown(struct rs *s)
{
	if (s->stgt != NULL && nx_sim_iscsi_target_free(s->stgt, 60 * SEC) != 0)
		rp_note(s->o, "nexus kept a connection open at the end");
	for (unsigned i = 0; i < RP_TARGETS_MAX; i++)
		if (s->targets[i] != NULL)
			nx_target_free(s->targets[i]);
	if (s->net != NULL)
		nx_sim_net_free(s->net);
	if (s->sim != NULL)
		nx_sim_free(s->sim);
}

static const struct rp_driver sim_driver = {
	.connect = rs_connect,
	.wait = rs_wait,
	.step = rs_step,
	.close = rs_close,
	.lun = rs_lun,
	.live = false,
	.why_wait = "no answer within 120 s (virtual)",
};

int rp_replay_sim(const struct nx_trace *t, const struct rp_config *cfg,
		  const struct rp_opts *o, struct rp_stats *st)
{
	struct rs s = { .cfg = cfg, .o = o };
	int rc = -1;

	if (sim_setup(&s) == 0 && target_setup(&s) == 0)
		rc = rp_replay(t, cfg, o, st, &sim_driver, &s);
	else
		rp_note(o, "could not set up the simulated nexus target");
	teardown(&s);
	return rc;
}
