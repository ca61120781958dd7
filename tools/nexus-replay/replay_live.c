/*
 * replay_live.c - the replay's driver for a live target by URL
 * (iscsi://[user[%secret]@]host[:port]/iqn/lun, as nexus-conform takes).
 *
 * Every captured session logs in to the URL's target (whatever target
 * name the capture shows), with the URL's CHAP credentials if any, over
 * its own TCP connection from the initiator library's poll(2) loop
 * (tools/ini-tcp/nx_ini_tcp.h).  LUNs: --lun-map C=L,... sends what the
 * capture addressed to LUN C to LUN L; without a map entry, a capture
 * that addresses one LUN only has it sent to the URL's LUN, and in a
 * capture of several LUNs every LUN keeps its number.
 *
 * Every wait is bounded by --timeout (default 10 s of wall time): a
 * target that refuses the connection or the login, or goes silent,
 * ends the replay with a message and exit 2, never a hang.  The platform
 * (nx_alloc, nx_random_u64 for CHAP) is a simulator that never runs, as
 * in nexus-conform's tcp backend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay.h"
#include "../../tools/ini-tcp/nx_ini_tcp.h"
#include "../../sim/nx_sim.h"

#define POLL_MS 50u

struct rl {
	const struct rp_opts *o;
	struct nx_ini_url url;
	struct nx_ini_tcp *tcp;
	struct nx_sim *sim;
	uint32_t only_lun;          /* the capture's single LUN, if one */
	bool single;
	char why[640];
	char why_wait[64];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool rl_wait(void *ctx, bool *flag)
{
	struct rl *l = ctx;
	uint64_t deadline = now_ms() + l->o->timeout_ms;

	while (!*flag) {
		uint64_t now = now_ms();

		if (now >= deadline)
			return false;
		nx_ini_tcp_poll(l->tcp, (uint32_t)(deadline - now < POLL_MS ?
						  deadline - now : POLL_MS));
	}
	return true;
}

static void rl_step(void *ctx)
{
	nx_ini_tcp_poll(((struct rl *)ctx)->tcp, 10);
}

static struct nx_ini_conn *rl_connect(void *ctx, uint32_t conn,
				      struct nx_ini_session *ses, uint16_t cid,
				      void **handle, const char **why)
{
	struct rl *l = ctx;
	char err[160];
	struct nx_ini_tcp_conn *tc;

	tc = nx_ini_tcp_conn_open(l->tcp, ses, cid, l->url.host, l->url.port,
				  l->o->timeout_ms, err, sizeof(err));
	if (tc == NULL) {
		snprintf(l->why, sizeof(l->why), "cannot connect to %s:%u for "
			 "connection %u: %s", l->url.host, l->url.port, conn + 1,
			 err);
		*why = l->why;
		return NULL;
	}
	*handle = tc;
	return nx_ini_tcp_conn_ini(tc);
}

static void rl_close(void *ctx, void *handle)
{
	struct rl *l = ctx;

	nx_ini_tcp_conn_close(handle);
	/* The FIN goes out; give the target a moment to end the session
	 * before the next captured login (which may reuse its ISID). */
	nx_ini_tcp_poll(l->tcp, 5);
}

static uint64_t rl_lun(void *ctx, uint64_t captured)
{
	const struct rl *l = ctx;
	uint32_t n = nx_tr_lun_number(captured);

	for (unsigned i = 0; i < l->o->lun_map_n; i++)
		if (l->o->lun_map[i][0] == n)
			return nx_ini_lun(l->o->lun_map[i][1]);
	if (l->single && n == l->only_lun)
		return nx_ini_lun(l->url.lun);
	return captured;
}

/* Every captured session logs in to the URL's target, with its CHAP
 * credentials (RFC 7143 12.1.3) when the URL has them. */
static void rl_session(void *ctx, struct nx_ini_config *cfg)
{
	const struct rl *l = ctx;

	snprintf(cfg->target_name, sizeof(cfg->target_name), "%s",
		 l->url.target);
	snprintf(cfg->chap_user, sizeof(cfg->chap_user), "%s", l->url.user);
	snprintf(cfg->chap_secret, sizeof(cfg->chap_secret), "%s",
		 l->url.secret);
}

static struct rp_driver live_driver = {
	.connect = rl_connect,
	.session = rl_session,
	.wait = rl_wait,
	.step = rl_step,
	.close = rl_close,
	.lun = rl_lun,
	.live = true,
};

/* Which captured LUNs go where, said once before the replay. */
static void lun_plan(struct rl *l, const struct nx_trace *t)
{
	FILE *f = l->o->json ? stderr : l->o->out;
	uint32_t seen[64];
	unsigned n = 0;

	for (uint32_t i = 0; i < t->cmds_n; i++) {
		uint32_t lun = nx_tr_lun_number(t->cmds[i].lun);
		unsigned k = 0;

		while (k < n && seen[k] != lun)
			k++;
		if (k == n && n < 64)
			seen[n++] = lun;
	}
	l->single = n == 1;
	l->only_lun = n ? seen[0] : 0;
	for (unsigned k = 0; k < n; k++)
		fprintf(f, "target: captured LUN %u -> %s:%u %s LUN %u\n",
			seen[k], l->url.host, l->url.port, l->url.target,
			nx_tr_lun_number(rl_lun(l, nx_ini_lun(seen[k]))));
}

int rp_replay_live(const struct nx_trace *t, const struct rp_config *cfg,
		   const struct rp_opts *o, struct rp_stats *st)
{
	static struct rl l;
	struct nx_sim_opts so = { .seed = 1, .events_max = 1024 };
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.o = o;
	if (nx_ini_url_parse(o->target_url, &l.url) != 0) {
		rp_note(o, "bad target URL %s (want iscsi://[user[%%secret]@]"
			"host[:port]/iqn/lun)", o->target_url);
		return -1;
	}
	snprintf(l.why_wait, sizeof(l.why_wait), "no answer within %u ms",
		 o->timeout_ms);
	live_driver.why_wait = l.why_wait;
	l.tcp = nx_ini_tcp_new();
	l.sim = nx_sim_new(&so);
	if (l.tcp != NULL && l.sim != NULL) {
		nx_sim_log_config(l.sim, o->verbose ? stderr : NULL, NX_LOG_INFO);
		lun_plan(&l, t);
		rc = rp_replay(t, cfg, o, st, &live_driver, &l);
	} else {
		rp_note(o, "out of memory");
	}
	nx_ini_tcp_free(l.tcp);
	nx_sim_free(l.sim);
	return rc;
}
