/*
 * backend_sim.c - the default backend: nexus on a simulated host, the
 * tests' initiators on other simulated hosts, simulated TCP between them
 * over a link model (sim/link/nx_link.h: ideal unless --link says
 * otherwise).
 *
 * Per test: a fresh nx_sim seeded with the test's seed (fixture.c makes
 * it the platform), a net with host "target" (TARGET_IP) serving the
 * fixture on port 3260 through the sim iSCSI glue (nx_sim_iscsi.h), and
 * one initiator host per stream slot (INI_IP0 + slot, made on first
 * use).  A stream is an nx_sim_stream; poll() runs the next sim event,
 * so a blocking request advances virtual time exactly as far as its
 * answer needs and a run is a pure function of (--seed, --link, test).
 *
 * Closing: the framework's close() is a half-close (FIN after the queued
 * bytes); the target answers with its own FIN and eof follows.
 * disconnect() detaches the stream (the stack finishes alone); destroy()
 * resets what is left and lets the transport release every connection
 * before freeing the target.
 *
 * --transport iser: the same target behind transports/iser on a
 * simulated RDMA fabric (sim/nx_sim_rdma.h, latency/jitter/bandwidth of
 * --link), one RDMA device per host; a stream is an nx_ini_iser (each
 * send() one PDU in one SEND, each rx() one received PDU) and carries
 * its datamover for the initiator connection.  connect() runs the sim
 * until the CM is done; close() is a CM disconnect.
 *
 * --transport srp: the fixture's target (LU 0 and 1) behind two SRP
 * target ports (transports/srp; relative ports 1 and 2 like the iSCSI
 * portals) on the same fabric, listening on NX_SIM_SRP_PORT + 0/1; no
 * iSCSI server at all.  Sessions are SRP channels
 * (srp_connect: one initiator device per channel slot, the login in the
 * CM exchange), so the framework never opens a stream.
 */
#include <stdlib.h>
#include <string.h>

#include "nx_conf.h"
#include "../../sim/nx_sim_iscsi.h"
#include "../../sim/nx_sim_iser.h"
#include "../../sim/nx_sim_srp.h"

#define TARGET_IP 0x0a000001u /* 10.0.0.1 */
#define INI_IP0 0x0a000002u   /* 10.0.0.2 + slot */
#define PORTAL "10.0.0.1:3260"
#define PORTAL2 "10.0.0.1:3261" /* portal 1: TPGT 2, target port 2 */
#define ISCSI_PORT 3260
#define STREAMS_MAX 32
#define DRAIN_NS (60ull * 1000000000ull)
/* Events per request: an 8 MiB transfer is ~5800 1460-byte segments
 * each way plus ACKs and timers; lossy links retransmit. */
#define STEPS_MAX 2000000u
#define CM_WAIT_NS 1000000000ull

struct sstream {
	struct nx_conf_stream *st;
	struct nx_sim_stream *ss;
	struct nx_ini_iser *it;       /* iSER instead of ss */
	bool up, down;
};

struct sb {
	struct nx_sim *sim;
	struct nx_sim_net *net;
	struct nx_sim_host *thost;
	struct nx_sim_host *ihost[STREAMS_MAX];
	struct nx_sim_iscsi_target *starget;
	struct nx_conf_fixture fx;
	struct sstream *streams[STREAMS_MAX];
	/* --transport iser */
	bool iser;
	struct nx_sim_rdma *fabric;
	struct nx_rdma_dev *tdev;
	struct nx_rdma_dev *idev[STREAMS_MAX];
	struct nx_sim_iser_target *itarget;
	/* --transport srp */
	bool srp;
	struct nx_sim_srp_target *srptarget[NX_CONF_FIXTURE_PORTS];
	struct nx_sim_srp_ini *srpchans[STREAMS_MAX];
};

/* The SRP TARGET PORT IDENTIFIERs of the fixture's two ports (relative
 * target ports 1 and 2, in target port groups 1 and 2, as the iSCSI
 * portals): identifier extension 1 and 2 of I/O controller GUID
 * 4e58:0000:0000:0001; CM ports NX_SIM_SRP_PORT + n. */
static void srp_port_id(unsigned port, uint8_t id[NX_SRP_PORT_ID_LEN])
{
	static const uint8_t base[NX_SRP_PORT_ID_LEN] = {
		0, 0, 0, 0, 0, 0, 0, 1, 0x4e, 0x58, 0, 0, 0, 0, 0, 1,
	};

	memcpy(id, base, sizeof(base));
	id[7] = (uint8_t)(1 + port);
}

/* ---- the stack's callbacks (from sim events) ---------------------------- */

static void ss_rx(void *ctx, const uint8_t *buf, size_t len)
{
	struct sstream *s = ctx;

	s->st->rx(s->st, buf, len);
}

static void ss_eof(void *ctx, int err)
{
	struct sstream *s = ctx;

	s->st->eof(s->st);
}

static const struct nx_sim_stream_ops ss_ops = {
	.rx = ss_rx,
	.eof = ss_eof,
};

/* ---- the framework's side ------------------------------------------------ */

/* Empty entries are dropped: raw PDUs without data pass {NULL, 0}, and
 * the stack memcpy()s every entry (memcpy from NULL is undefined even
 * for 0 bytes). */
static void st_send(struct nx_conf_stream *st, const struct nx_iovec *iov,
		    unsigned n)
{
	struct nx_sim_stream *ss = ((struct sstream *)st->priv)->ss;
	struct nx_iovec v[8];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len != 0)
			v[k++] = iov[i];
		if (k == NX_ARRAY_SIZE(v) || (i + 1 == n && k != 0)) {
			nx_sim_stream_send(ss, v, k);
			k = 0;
		}
	}
}

static void st_close(struct nx_conf_stream *st)
{
	nx_sim_stream_shutdown(((struct sstream *)st->priv)->ss);
}

static void sb_poll(void *ctx)
{
	nx_sim_step(((struct sb *)ctx)->sim);
}

/* ---- iSER streams ----------------------------------------------------------- */

static void is_established(void *ctx)
{
	((struct sstream *)ctx)->up = true;
}

static void is_rx(void *ctx, const uint8_t *pdu, size_t len)
{
	struct sstream *s = ctx;

	s->st->rx(s->st, pdu, len);
}

static void is_closed(void *ctx, int err)
{
	struct sstream *s = ctx;

	s->down = true;
	s->st->eof(s->st);
}

static const struct nx_ini_iser_ops is_ops = {
	.established = is_established, .rx = is_rx, .closed = is_closed,
};

static void st_send_iser(struct nx_conf_stream *st, const struct nx_iovec *iov,
			 unsigned n)
{
	nx_ini_iser_send(((struct sstream *)st->priv)->it, iov, n);
}

static void st_close_iser(struct nx_conf_stream *st)
{
	nx_ini_iser_disconnect(((struct sstream *)st->priv)->it);
}

static bool is_settled(void *arg)
{
	const struct sstream *s = arg;

	return s->up || s->down;
}

static int connect_iser(struct sb *sb, unsigned slot, struct sstream *s)
{
	char name[NX_SIM_HOST_NAME_MAX];
	int rc;

	if (sb->idev[slot] == NULL) {
		snprintf(name, sizeof(name), "ini%u", slot);
		sb->idev[slot] = nx_sim_rdma_dev_new(sb->fabric, name,
						     INI_IP0 + slot);
		if (sb->idev[slot] == NULL)
			return NX_ENOMEM;
	}
	rc = nx_ini_iser_connect(sb->idev[slot], TARGET_IP, ISCSI_PORT, &is_ops,
				 s, &s->it);
	if (rc < 0)
		return rc;
	/* PDUs need an established connection: the CM exchange first. */
	nx_sim_run_until(sb->sim, is_settled, s, nx_sim_now(sb->sim) + CM_WAIT_NS);
	if (!s->up) {
		nx_ini_iser_free(s->it);
		return NX_SIM_ECONNREFUSED;
	}
	s->st->send = st_send_iser;
	s->st->close = st_close_iser;
	s->st->dm = &nx_ini_iser_dm;
	s->st->dm_ctx = s->it;
	return 0;
}

static int sb_connect(void *ctx, struct nx_conf_stream *st)
{
	struct sb *sb = ctx;
	struct sstream *s;
	unsigned slot = STREAMS_MAX, host;
	char name[NX_SIM_HOST_NAME_MAX];
	int rc;

	for (unsigned k = 0; k < STREAMS_MAX && slot == STREAMS_MAX; k++)
		if (sb->streams[k] == NULL)
			slot = k;
	if (slot == STREAMS_MAX)
		return NX_ENOSPC;
	/* The stream's initiator host: its slot's, or host 0 for tests of
	 * per-address limits. */
	host = (nx_conf_test_fixture() & NX_CONF_FX_ONE_HOST) ? 0 : slot;
	if (sb->iser) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return NX_ENOMEM;
		s->st = st;
		st->priv = s;
		rc = connect_iser(sb, host, s);
		if (rc < 0) {
			free(s);
			return rc;
		}
		sb->streams[slot] = s;
		return 0;
	}
	if (sb->ihost[host] == NULL) {
		snprintf(name, sizeof(name), "ini%u", host);
		sb->ihost[host] = nx_sim_host_new(sb->net, name, INI_IP0 + host);
		if (sb->ihost[host] == NULL)
			return NX_ENOMEM;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NX_ENOMEM;
	s->st = st;
	/* The handshake completes from events; what is sent before is
	 * queued by the stream. */
	rc = nx_sim_stream_connect(sb->sim, sb->ihost[host], TARGET_IP,
				   (uint16_t)(ISCSI_PORT + st->port), &ss_ops, s,
				   &s->ss);
	if (rc < 0) {
		free(s);
		return rc;
	}
	st->send = st_send;
	st->close = st_close;
	st->priv = s;
	sb->streams[slot] = s;
	return 0;
}

/* ---- SRP channels ------------------------------------------------------------ */

static int sb_srp_connect(void *ctx, unsigned port,
			  const struct nx_ini_srp_config *cfg_in,
			  struct nx_ini_srp **out, struct nx_srp_login_rej *rej)
{
	struct nx_ini_srp_config cfg = *cfg_in;
	struct sb *sb = ctx;
	char name[NX_SIM_HOST_NAME_MAX];
	unsigned slot = STREAMS_MAX;
	int rc;

	for (unsigned k = 0; k < STREAMS_MAX && slot == STREAMS_MAX; k++)
		if (sb->srpchans[k] == NULL)
			slot = k;
	if (slot == STREAMS_MAX || port >= NX_CONF_FIXTURE_PORTS)
		return NX_ENOSPC;
	if (sb->idev[slot] == NULL) {
		snprintf(name, sizeof(name), "ini%u", slot);
		sb->idev[slot] = nx_sim_rdma_dev_new(sb->fabric, name,
						     INI_IP0 + slot);
		if (sb->idev[slot] == NULL)
			return NX_ENOMEM;
	}
	if (port > 0)
		srp_port_id(port, cfg.tport);
	rc = nx_sim_srp_ini_connect(sb->sim, sb->idev[slot], TARGET_IP,
				    (uint16_t)(NX_SIM_SRP_PORT + port), &cfg,
				    CM_WAIT_NS, &sb->srpchans[slot], rej);
	if (rc < 0)
		return rc;
	*out = nx_sim_srp_ini_port(sb->srpchans[slot]);
	return 0;
}

static void sb_srp_disconnect(void *ctx, struct nx_ini_srp *it)
{
	struct sb *sb = ctx;

	for (unsigned k = 0; k < STREAMS_MAX; k++) {
		if (sb->srpchans[k] != NULL &&
		    nx_sim_srp_ini_port(sb->srpchans[k]) == it) {
			nx_sim_srp_ini_free(sb->srpchans[k]);
			sb->srpchans[k] = NULL;
		}
	}
}

static void sb_disconnect(void *ctx, struct nx_conf_stream *st)
{
	struct sb *sb = ctx;
	struct sstream *s = st->priv;

	if (s->it != NULL)
		nx_ini_iser_free(s->it);
	else
		nx_sim_stream_free(s->ss);
	for (unsigned k = 0; k < STREAMS_MAX; k++)
		if (sb->streams[k] == s)
			sb->streams[k] = NULL;
	free(s);
}

static void sb_destroy(void *ctx)
{
	struct sb *sb = ctx;

	for (unsigned k = 0; k < STREAMS_MAX; k++)
		nx_assert(sb->streams[k] == NULL && sb->srpchans[k] == NULL);
	/* A connection the transport never released is a target bug: the
	 * sim's panic names the seed and the test. */
	if (sb->starget != NULL &&
	    nx_sim_iscsi_target_free(sb->starget, DRAIN_NS) != 0)
		nx_sim_fail(sb->sim, "target connections not released after "
			    "%llu s of virtual time", DRAIN_NS / 1000000000ull);
	if (sb->itarget != NULL &&
	    nx_sim_iser_target_free(sb->itarget, DRAIN_NS) != 0)
		nx_sim_fail(sb->sim, "iSER connections not released after "
			    "%llu s of virtual time", DRAIN_NS / 1000000000ull);
	for (unsigned k = 0; k < NX_CONF_FIXTURE_PORTS; k++)
		if (sb->srptarget[k] != NULL &&
		    nx_sim_srp_target_free(sb->srptarget[k], DRAIN_NS) != 0)
			nx_sim_fail(sb->sim, "SRP channels not released after "
				    "%llu s of virtual time",
				    DRAIN_NS / 1000000000ull);
	if (sb->fabric != NULL) {
		/* what is left in flight (a DREQ, its timer) goes with it */
		nx_sim_run_idle(sb->sim, nx_sim_now(sb->sim) + DRAIN_NS);
		nx_sim_rdma_free(sb->fabric);
	}
	nx_conf_fixture_free(&sb->fx);
	if (sb->net != NULL)
		nx_sim_net_free(sb->net);
	nx_conf_sim_free(sb->sim);
	free(sb);
}

static int make_net(struct sb *sb, const struct nx_conf_opts *opts)
{
	struct nx_link_opts lo;
	struct nx_sim_net_opts no;
	struct nx_rng rng;
	char err[256];

	nx_rng_fork(nx_sim_rng(sb->sim), "link.opts", 0, &rng);
	if (nx_link_parse(opts->link ? opts->link : "ideal", &lo, &rng, err,
			  sizeof(err)) != 0) {
		fprintf(stderr, "nexus-conform: --link: %s\n", err);
		return NX_EINVAL;
	}
	if (sb->iser || sb->srp) {
		struct nx_sim_rdma_opts ro;

		nx_sim_rdma_opts_default(&ro);
		if (opts->link != NULL)
			nx_sim_rdma_opts_from_link(&ro, &lo);
		sb->fabric = nx_sim_rdma_new(sb->sim, &ro);
		if (sb->fabric == NULL)
			return NX_ENOMEM;
		sb->tdev = nx_sim_rdma_dev_new(sb->fabric, "target", TARGET_IP);
		return sb->tdev != NULL ? 0 : NX_ENOMEM;
	}
	nx_sim_net_opts_default(&no);
	sb->net = nx_sim_net_new(sb->sim, &no, &lo);
	if (sb->net == NULL)
		return NX_ENOMEM;
	sb->thost = nx_sim_host_new(sb->net, "target", TARGET_IP);
	return sb->thost != NULL ? 0 : NX_ENOMEM;
}

static int make_srp_ports(struct sb *sb)
{
	for (unsigned k = 0; k < NX_CONF_FIXTURE_PORTS; k++) {
		struct nx_srp_target_config tc = {
			.target = sb->fx.tgt, .rtpi = (uint16_t)(1 + k),
		};

		srp_port_id(k, tc.port_id);
		sb->srptarget[k] = nx_sim_srp_target_new(
			sb->sim, sb->tdev, (uint16_t)(NX_SIM_SRP_PORT + k), &tc);
		if (sb->srptarget[k] == NULL)
			return NX_ENOMEM;
	}
	return 0;
}

static int sb_create(const struct nx_conf_opts *opts, uint64_t seed,
		     struct nx_conf_target *desc, void **out)
{
	struct nx_iscsi_server_config sc;
	struct sb *sb = calloc(1, sizeof(*sb));
	int rc;

	if (sb == NULL)
		return NX_ENOMEM;
	sb->iser = opts->transport != NULL && strcmp(opts->transport, "iser") == 0;
	sb->srp = opts->transport != NULL && strcmp(opts->transport, "srp") == 0;
	sb->sim = nx_conf_sim_new(opts, seed);
	rc = sb->sim != NULL ? make_net(sb, opts) : NX_ENOMEM;
	if (rc == 0)
		rc = nx_conf_fixture_new(&sb->fx, PORTAL, PORTAL2, &sc, desc);
	if (rc == 0 && sb->srp) {
		rc = make_srp_ports(sb);
		desc->srp = true;
		srp_port_id(0, desc->srp_port_id);
		desc->ports = NX_CONF_FIXTURE_PORTS;
	} else if (rc == 0 && sb->iser) {
		sb->itarget = nx_sim_iser_target_new(sb->sim, sb->tdev,
						     ISCSI_PORT, &sc);
		rc = sb->itarget != NULL ? 0 : NX_ENOMEM;
		desc->iser = true;
		desc->ports = 1; /* one iSER listener: two-port tests skip */
	} else if (rc == 0) {
		sb->starget = nx_sim_iscsi_target_new(sb->sim, sb->thost,
						      ISCSI_PORT, &sc);
		rc = sb->starget != NULL ? 0 : NX_ENOMEM;
		if (rc == 0)
			rc = nx_sim_iscsi_target_listen(sb->starget, sb->thost,
							ISCSI_PORT + 1, 1);
	}
	if (rc < 0) {
		sb_destroy(sb);
		return rc;
	}
	desc->steps_max = STEPS_MAX;
	*out = sb;
	return 0;
}

const struct nx_conf_backend nx_conf_backend_sim = {
	.name = "sim",
	.create = sb_create,
	.connect = sb_connect,
	.poll = sb_poll,
	.disconnect = sb_disconnect,
	.destroy = sb_destroy,
	.srp_connect = sb_srp_connect,
	.srp_disconnect = sb_srp_disconnect,
};
