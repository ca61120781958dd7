/*
 * conn.c - one iSCSI connection: the receive state machine, the send path
 * and opcode dispatch per phase (RFC 7143 11.2, 6, 7).
 *
 * Receive: BHS -> AHS -> header digest -> data + padding -> data digest,
 * each part accumulated across arbitrary input chunking into bounded
 * buffers.  A data segment that arrives whole in one input chunk is
 * handed to the handler in place, without a copy; one split across
 * chunks is gathered in rx_data, which starts at the login size (8 KiB)
 * and grows only when a longer segment needs it, up to what we declare
 * as MaxRecvDataSegmentLength: an idle or small-I/O connection does not
 * hold 256 KiB.
 *
 * Send: one ops->send() call per PDU with iovecs BHS, [header digest],
 * data, padding, [data digest]; Data-In goes through ops->send_lent()
 * when the embedder has it, the data segment lent instead of copied.
 */
#include "conn_internal.h"

static const uint8_t zero_pad[4];

/* ---- server --------------------------------------------------------------- */

/* One CHAP credential: RFC 7143 12.1.3 asks for secrets of at least 96
 * bits; an unset one is fine. */
static const char *check_chap(const struct nx_iscsi_chap *ch, const char *who,
			      const char *what, char *buf, size_t len)
{
	if (!ch->set)
		return NULL;
	if (ch->user[0] == '\0' || memchr(ch->user, '\0', sizeof(ch->user)) == NULL ||
	    memchr(ch->secret, '\0', sizeof(ch->secret)) == NULL) {
		nx_snprintf(buf, len, "%s: %s: empty or unterminated user name "
			    "or secret", who, what);
		return buf;
	}
	if (strlen(ch->secret) < NX_ISCSI_SECRET_MIN) {
		nx_snprintf(buf, len, "%s: %s secret of user %s is shorter than "
			    "%d bytes (RFC 7143 12.1.3: at least 96 bits)", who,
			    what, ch->user, NX_ISCSI_SECRET_MIN);
		return buf;
	}
	return NULL;
}

/* Mutual CHAP needs one-way CHAP, and a secret of its own (RFC 7143
 * 12.1.3: a secret authenticates one direction only). */
static const char *check_pair(const struct nx_iscsi_chap *chap,
			      const struct nx_iscsi_chap *mutual,
			      const char *who, char *buf, size_t len)
{
	const char *e = check_chap(chap, who, "CHAP", buf, len);

	if (e == NULL)
		e = check_chap(mutual, who, "mutual CHAP", buf, len);
	if (e != NULL || !mutual->set)
		return e;
	if (!chap->set) {
		nx_snprintf(buf, len, "%s: mutual CHAP needs CHAP too", who);
		return buf;
	}
	if (strcmp(chap->secret, mutual->secret) == 0) {
		nx_snprintf(buf, len, "%s: the mutual CHAP secret must differ "
			    "from the CHAP secret (RFC 7143 12.1.3)", who);
		return buf;
	}
	return NULL;
}

static const char *check_target(const struct nx_iscsi_target_config *t,
				char *buf, size_t len)
{
	const char *name = t->target != NULL ? nx_target_name(t->target) : "?";

	if (t->acl_count > NX_ISCSI_MAX_ACL) {
		nx_snprintf(buf, len, "%s: too many ACL entries", name);
		return buf;
	}
	for (unsigned i = 0; i < t->acl_count; i++) {
		if (t->acl_ro[i].lun_count > NX_ISCSI_ACL_RO_LUNS) {
			nx_snprintf(buf, len, "%s: too many read-only LUNs for "
				    "one initiator", name);
			return buf;
		}
	}
	return check_pair(&t->chap, &t->mutual_chap, name, buf, len);
}

const char *nx_iscsi_config_check(const struct nx_iscsi_server_config *cfg,
				  char *buf, size_t len)
{
	const char *e;

	nx_assert(buf != NULL && len > 0);
	if (cfg->target_count > NX_ISCSI_MAX_TARGETS ||
	    cfg->portal_count > NX_ISCSI_MAX_PORTALS ||
	    cfg->chap_alg_count > NX_ISCSI_CHAP_ALGS_MAX) {
		nx_snprintf(buf, len, "too many targets, portals or CHAP "
			    "algorithms");
		return buf;
	}
	for (unsigned i = 0; i < cfg->chap_alg_count; i++) {
		if (cfg->chap_algs[i] != NX_ISCSI_CHAP_MD5 &&
		    cfg->chap_algs[i] != NX_ISCSI_CHAP_SHA256 &&
		    cfg->chap_algs[i] != NX_ISCSI_CHAP_SHA3_256) {
			nx_snprintf(buf, len, "CHAP_A %u is not implemented (5 "
				    "MD5, 7 SHA-256, 8 SHA3-256)",
				    cfg->chap_algs[i]);
			return buf;
		}
	}
	if (cfg->limits.max_sessions > NX_ISCSI_SESSIONS_LIMIT) {
		nx_snprintf(buf, len, "max_sessions %u is above %u",
			    cfg->limits.max_sessions, NX_ISCSI_SESSIONS_LIMIT);
		return buf;
	}
	for (unsigned i = 0; i < cfg->target_count; i++) {
		e = check_target(&cfg->targets[i], buf, len);
		if (e != NULL)
			return e;
	}
	return check_pair(&cfg->discovery_chap, &cfg->discovery_mutual_chap,
			  "discovery", buf, len);
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
	return v != 0 ? v : def;
}

static void server_limits(struct nx_iscsi_server *srv)
{
	const struct nx_iscsi_limits *in = &srv->cfg.limits;
	struct nx_iscsi_limits *l = &srv->lim;

	l->login_timeout_ms = or_default(in->login_timeout_ms,
					 NX_ISCSI_LOGIN_TIMEOUT_MS_DEFAULT);
	l->nopin_interval_ms = or_default(in->nopin_interval_ms,
					  NX_ISCSI_NOPIN_INTERVAL_MS_DEFAULT);
	l->max_login_conns = or_default(in->max_login_conns,
					NX_ISCSI_LOGIN_CONNS_DEFAULT);
	l->max_sessions_per_initiator =
		or_default(in->max_sessions_per_initiator,
			   NX_ISCSI_SESSIONS_PER_INITIATOR_DEFAULT);
	l->auth_free_failures = or_default(in->auth_free_failures,
					   NX_ISCSI_AUTH_FREE_FAILS_DEFAULT);
	l->auth_lockout_max_ms = or_default(in->auth_lockout_max_ms,
					    NX_ISCSI_AUTH_LOCKOUT_MAX_MS_DEFAULT);
	l->max_logins_per_address =
		or_default(in->max_logins_per_address,
			   NX_ISCSI_LOGINS_PER_ADDRESS_DEFAULT);
	l->max_sessions_per_address =
		or_default(in->max_sessions_per_address,
			   NX_ISCSI_SESSIONS_PER_ADDRESS_DEFAULT);
	l->max_conns_per_portal = or_default(in->max_conns_per_portal,
					     NX_ISCSI_CONNS_UNCAPPED);
	l->max_conns_per_target = or_default(in->max_conns_per_target,
					     NX_ISCSI_CONNS_UNCAPPED);
	l->max_sessions = or_default(in->max_sessions, NX_ISCSI_SESSIONS_DEFAULT);
}

/* ---- rate-limited logging --------------------------------------------------- */

static const char *const log_kind_what[NX_ILOG_COUNT] = {
	[NX_ILOG_REFUSED] = "iscsi: connections or logins refused by limits",
	[NX_ILOG_DROP] = "iscsi: connections dropped",
	[NX_ILOG_LOGIN] = "iscsi: logins failed",
	[NX_ILOG_AUTH] = "iscsi: CHAP lockouts",
	[NX_ILOG_REJECT] = "iscsi: Reject PDUs",
	[NX_ILOG_CMD] = "iscsi: command and task management errors",
};

/* The server's timer: windows that are over report what they held. */
static void log_flush(void *arg)
{
	struct nx_iscsi_server *srv = arg;
	uint64_t now = nx_clock_ns(), next = 0;

	for (unsigned k = 0; k < NX_ILOG_COUNT; k++) {
		uint64_t left = nx_log_limit_flush(&srv->log_limit[k], now);

		if (left != 0 && (next == 0 || left < next))
			next = left;
	}
	if (next != 0)
		nx_timer_arm(srv->log_timer, next);
}

bool nx_iscsi_log_ok(struct nx_iscsi_server *srv, enum nx_iscsi_log_kind kind,
		     enum nx_log_level level)
{
	struct nx_log_limit *ll = &srv->log_limit[kind];
	uint64_t now = nx_clock_ns();

	nx_assert((unsigned)kind < NX_ILOG_COUNT);
	switch (nx_log_limit_pass(ll, level, now)) {
	case NX_LOG_LIMIT_LOG:
		return true;
	case NX_LOG_LIMIT_HELD_FIRST:
		nx_timer_arm(srv->log_timer, nx_log_limit_left(ll, now));
		break;
	case NX_LOG_LIMIT_HELD:
		break;
	}
	srv->stats.log_lines_held++;
	return false;
}

bool nx_iscsi_conn_log_ok(struct nx_iscsi_conn *c, enum nx_iscsi_log_kind kind,
			  enum nx_log_level level)
{
	return nx_iscsi_log_ok(c->srv, kind, level);
}

struct nx_iscsi_server *nx_iscsi_server_new(const struct nx_iscsi_server_config *cfg)
{
	struct nx_iscsi_server *srv;
	uint64_t max_ns;
	char why[256];

	if (cfg == NULL)
		return NULL;
	if (nx_iscsi_config_check(cfg, why, sizeof(why)) != NULL) {
		nx_log(NX_LOG_ERR, "iscsi: configuration refused: %s", why);
		return NULL;
	}
	srv = nx_alloc(sizeof(*srv));
	if (srv == NULL)
		return NULL;
	/* The config's strings stay the caller's: they must outlive srv. */
	srv->cfg = *cfg;
	srv->next_tsih = 1;
	server_limits(srv);
	srv->authlimit = nx_alloc(sizeof(*srv->authlimit));
	srv->log_timer = nx_timer_new(log_flush, srv);
	srv->sessions = nx_alloc(srv->lim.max_sessions * sizeof(*srv->sessions));
	if (srv->authlimit == NULL || srv->log_timer == NULL ||
	    srv->sessions == NULL) {
		nx_free(srv->sessions);
		nx_timer_free(srv->log_timer);
		nx_free(srv->authlimit);
		nx_free(srv);
		return NULL;
	}
	for (unsigned k = 0; k < NX_ILOG_COUNT; k++)
		nx_log_limit_init(&srv->log_limit[k], log_kind_what[k]);
	max_ns = (uint64_t)srv->lim.auth_lockout_max_ms * 1000 * 1000;
	nx_authlimit_init(srv->authlimit, srv->lim.auth_free_failures,
			  NX_MIN(NX_ISCSI_AUTH_LOCKOUT_BASE_NS, max_ns), max_ns);
	return srv;
}

bool nx_iscsi_server_busy(const struct nx_iscsi_server *srv)
{
	return srv->conn_count != 0 || srv->session_count != 0;
}

void nx_iscsi_server_free(struct nx_iscsi_server *srv)
{
	if (srv == NULL)
		return;
	/* Every connection must be closed and every session drained. */
	nx_assert(srv->conn_count == 0);
	nx_assert(srv->session_count == 0);
	nx_assert(srv->login_conns == 0);
	/* What the rate limit still holds is said now, not lost. */
	for (unsigned k = 0; k < NX_ILOG_COUNT; k++)
		nx_log_limit_close(&srv->log_limit[k], nx_clock_ns());
	nx_free(srv->sessions);
	nx_timer_free(srv->log_timer);
	nx_free(srv->authlimit);
	nx_free(srv);
}

void nx_iscsi_server_stats(const struct nx_iscsi_server *srv,
			   struct nx_iscsi_stats *out)
{
	*out = srv->stats;
}

/* ---- connection lifetime ------------------------------------------------- */

static void conn_copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The peer's address without its port ("10.0.0.2:3260" -> "10.0.0.2",
 * "[::1]:3260" -> "[::1]"): what per-address limits and the CHAP
 * lockout key on.  A peer string without a port is taken whole. */
static void peer_addr(const char *peer, char *addr, size_t cap)
{
	const char *colon = strrchr(peer, ':');
	size_t n = strlen(peer);

	if (peer[0] == '[') {
		const char *close = strchr(peer, ']');

		if (close != NULL)
			n = (size_t)(close - peer) + 1;
	} else if (colon != NULL && strchr(peer, ':') == colon) {
		n = (size_t)(colon - peer);
	}
	nx_snprintf(addr, cap, "%.*s", (int)n, peer);
}

/* Connections from addr still logging in (bounded: login_list holds at
 * most lim.max_login_conns). */
static unsigned logins_from(const struct nx_iscsi_server *srv,
			    const char *addr)
{
	const struct nx_iscsi_conn *x;
	unsigned n = 0;

	for (x = srv->login_list; x != NULL; x = x->login_next)
		n += strcmp(x->addr, addr) == 0;
	return n;
}

/* A connect flood or many stalled logins: refused before anything is
 * allocated for the connection (the embedder closes the socket). */
static bool conn_admit(struct nx_iscsi_server *srv, const char *peer,
		       const char *addr)
{
	const char *why = NULL;
	unsigned limit = 0;

	if (srv->login_conns >= srv->lim.max_login_conns) {
		why = "connections logging in";
		limit = srv->lim.max_login_conns;
	} else if (logins_from(srv, addr) >= srv->lim.max_logins_per_address) {
		why = "connections logging in from this address";
		limit = srv->lim.max_logins_per_address;
	}
	if (why == NULL)
		return true;
	srv->stats.conns_refused++;
	NX_ISCSI_LOG(srv, NX_ILOG_REFUSED, NX_LOG_WARN,
		     "iscsi %s: connection refused: %u %s (the limit)", peer,
		     limit, why);
	return false;
}

static void conn_login_count(struct nx_iscsi_conn *c)
{
	struct nx_iscsi_server *srv = c->srv;

	srv->login_conns++;
	c->login_counted = true;
	c->login_prev = NULL;
	c->login_next = srv->login_list;
	if (srv->login_list != NULL)
		srv->login_list->login_prev = c;
	srv->login_list = c;
}

static struct nx_iscsi_conn *conn_create(struct nx_iscsi_server *srv,
					 const struct nx_iscsi_conn_ops *ops,
					 const struct nx_iscsi_dm_ops *dm,
					 void *ctx, const char *peer,
					 const char *local)
{
	struct nx_iscsi_conn *c;
	char addr[sizeof(c->addr)];

	nx_assert(srv != NULL);
	nx_assert(ops != NULL && ops->send != NULL && ops->close != NULL);
	peer_addr(peer != NULL ? peer : "", addr, sizeof(addr));
	if (!conn_admit(srv, peer != NULL ? peer : "", addr))
		return NULL;
	c = nx_alloc(sizeof(*c));
	if (c == NULL)
		return NULL;
	/* Login PDUs carry at most 8192 bytes (RFC 7143 6.3: the default
	 * MaxRecvDataSegmentLength is used during login); longer segments
	 * come with full feature phase (rx_data_room). */
	c->rx_data = nx_alloc(NX_ISCSI_LOGIN_DSL + 4);
	if (c->rx_data == NULL) {
		nx_free(c);
		return NULL;
	}
	c->rx_cap = NX_ISCSI_LOGIN_DSL;
	c->srv = srv;
	c->ops = ops;
	c->dm = dm;
	c->ctx = ctx;
	conn_copy_name(c->peer, sizeof(c->peer), peer);
	conn_copy_name(c->local, sizeof(c->local), local);
	memcpy(c->addr, addr, sizeof(addr));
	c->portal = 0; /* nx_iscsi_conn_set_portal() may say otherwise */
	nx_iscsi_params_default(&c->params);
	c->tpgt = srv->cfg.tpgt;
	c->state = NX_CONN_LOGIN;
	c->rx_state = NX_RX_BHS;
	c->login = nx_iscsi_login_new(c);
	if (c->login == NULL || nx_iscsi_nop_init(c) != NX_OK) {
		nx_iscsi_login_free(c->login);
		nx_free(c->rx_data);
		nx_free(c);
		return NULL;
	}
	srv->conn_count++;
	srv->stats.conns_accepted++;
	conn_login_count(c);
	return c;
}

void nx_iscsi_conn_set_portal(struct nx_iscsi_conn *c, unsigned portal)
{
	nx_assert(c != NULL && c->state == NX_CONN_LOGIN && !c->portal_counted);
	c->tpgt = nx_iscsi_portal_tpgt(&c->srv->cfg, portal);
	c->portal = (uint8_t)NX_MIN(portal, NX_ISCSI_MAX_PORTALS - 1u);
}

/* The first Login Request: the connection takes a place on its portal
 * (0 unless the embedder said), or, over the portal's cap, hears 0302h
 * "out of resources" (RFC 7143 11.13.5) without taking one. */
uint16_t nx_iscsi_conn_login_refusal(struct nx_iscsi_conn *c)
{
	struct nx_iscsi_server *srv = c->srv;

	if (c->portal_counted)
		return 0;
	if (srv->portal_conns[c->portal] >= srv->lim.max_conns_per_portal) {
		srv->stats.logins_refused_limit++;
		NX_ISCSI_LOG(srv, NX_ILOG_REFUSED, NX_LOG_WARN,
			     "iscsi %s: login refused: %u connections through "
			     "portal %u (the limit)", c->peer,
			     srv->lim.max_conns_per_portal, c->portal);
		return 0x0302;
	}
	srv->portal_conns[c->portal]++;
	c->portal_counted = true;
	return 0;
}

void nx_iscsi_conn_login_failed(struct nx_iscsi_conn *c, uint16_t status)
{
	c->srv->stats.logins_failed++;
}

uint16_t nx_iscsi_conn_tpgt(const struct nx_iscsi_conn *c)
{
	return c->tpgt;
}

struct nx_iscsi_conn *nx_iscsi_conn_new(struct nx_iscsi_server *srv,
					const struct nx_iscsi_conn_ops *ops,
					void *ctx, const char *peer,
					const char *local)
{
	return conn_create(srv, ops, NULL, ctx, peer, local);
}

struct nx_iscsi_conn *nx_iscsi_conn_new_dm(struct nx_iscsi_server *srv,
					   const struct nx_iscsi_conn_ops *ops,
					   const struct nx_iscsi_dm_ops *dm,
					   void *ctx, const char *peer,
					   const char *local)
{
	nx_assert(dm != NULL && dm->put_data != NULL && dm->get_data != NULL);
	return conn_create(srv, ops, dm, ctx, peer, local);
}

bool nx_iscsi_conn_is_rdma(const struct nx_iscsi_conn *c)
{
	return c->dm != NULL;
}

uint32_t nx_iscsi_conn_target_recv_dsl(const struct nx_iscsi_conn *c)
{
	return c->params.target_recv_dsl;
}

uint32_t nx_iscsi_conn_initiator_recv_dsl(const struct nx_iscsi_conn *c)
{
	return c->params.initiator_recv_dsl;
}

static void conn_login_uncount(struct nx_iscsi_conn *c)
{
	struct nx_iscsi_server *srv = c->srv;

	if (!c->login_counted)
		return;
	nx_assert(srv->login_conns > 0);
	srv->login_conns--;
	c->login_counted = false;
	if (c->login_prev != NULL)
		c->login_prev->login_next = c->login_next;
	else
		srv->login_list = c->login_next;
	if (c->login_next != NULL)
		c->login_next->login_prev = c->login_prev;
	c->login_prev = c->login_next = NULL;
}

/* Out of line: inlined into nx_iscsi_conn_put (twice per command) it
 * made the put save and restore a frame for a branch almost never taken.
 * (__noinline__: the kernel defines noinline as a macro.) */
__attribute__((__noinline__, __cold__)) static void
conn_finalize(struct nx_iscsi_conn *c)
{
	void (*release)(void *ctx) = c->release;
	void *release_ctx = c->release_ctx;

	nx_assert(c->closed);
	nx_assert(c->busy == 0);
	nx_iscsi_nop_stop(c);
	nx_iscsi_session_wait_cancel(c);
	if (c->login != NULL)
		nx_iscsi_login_free(c->login);
	c->login = NULL;
	/* Last: may drop sibling connections and free the session.  c is
	 * held meanwhile: aborting its data-phase commands can let a task
	 * of c that waited behind one of them run and complete (SAM-5 8.6),
	 * and that completion's get/put must not finalize c again. */
	if (c->sess != NULL) {
		c->busy++;
		nx_iscsi_session_conn_gone(c);
		nx_assert(c->busy == 1);
		c->busy--;
	}
	nx_assert(c->srv->conn_count > 0);
	c->srv->conn_count--;
	conn_login_uncount(c);
	if (c->portal_counted) {
		nx_assert(c->srv->portal_conns[c->portal] > 0);
		c->srv->portal_conns[c->portal]--;
	}
	nx_free(c->rx_data);
	nx_free(c);
	if (release != NULL)
		release(release_ctx);
}

void nx_iscsi_conn_get(struct nx_iscsi_conn *c)
{
	nx_assert(c != NULL);
	c->busy++;
}

void nx_iscsi_conn_put(struct nx_iscsi_conn *c)
{
	nx_assert(c->busy > 0);
	if (--c->busy == 0 && c->closed)
		conn_finalize(c);
}

bool nx_iscsi_conn_live(const struct nx_iscsi_conn *c)
{
	return !c->closed && !c->close_sent;
}

void nx_iscsi_conn_closed(struct nx_iscsi_conn *c, void (*release)(void *ctx),
			  void *ctx)
{
	nx_assert(c != NULL);
	nx_assert(!c->closed);
	c->closed = true;
	c->release = release;
	c->release_ctx = ctx;
	if (c->state != NX_CONN_LOGGED_OUT)
		c->state = NX_CONN_DROPPED;
	nx_iscsi_conn_get(c);
	nx_iscsi_conn_put(c);
}

void nx_iscsi_conn_drop(struct nx_iscsi_conn *c, const char *why)
{
	nx_assert(c != NULL);
	if (c->close_sent || c->closed)
		return;
	c->srv->stats.conns_dropped++;
	NX_ISCSI_LOG(c->srv, NX_ILOG_DROP, NX_LOG_WARN,
		     "iscsi %s: dropping connection: %s", c->peer,
		     why != NULL ? why : "");
	c->state = NX_CONN_DROPPED;
	c->close_sent = true;
	nx_iscsi_nop_stop(c);
	nx_iscsi_conn_get(c);
	c->ops->close(c->ctx);
	nx_iscsi_conn_put(c);
}

void nx_iscsi_conn_logout_close(struct nx_iscsi_conn *c)
{
	if (c->close_sent || c->closed)
		return;
	c->state = NX_CONN_LOGGED_OUT;
	c->close_sent = true;
	nx_iscsi_nop_stop(c);
	nx_iscsi_conn_get(c);
	c->ops->close(c->ctx);
	nx_iscsi_conn_put(c);
}

/* ---- accessors for the negotiation side ----------------------------------- */

struct nx_iscsi_params *nx_iscsi_conn_params(struct nx_iscsi_conn *c)
{
	return &c->params;
}

const struct nx_iscsi_server_config *
nx_iscsi_conn_server_config(const struct nx_iscsi_conn *c)
{
	return &c->srv->cfg;
}

uint32_t nx_iscsi_conn_next_statsn(struct nx_iscsi_conn *c)
{
	return c->statsn++;
}

uint32_t nx_iscsi_conn_cur_statsn(const struct nx_iscsi_conn *c)
{
	return c->statsn;
}

void nx_iscsi_conn_fill_sn(struct nx_iscsi_conn *c, uint8_t *bhs)
{
	if (c->sess != NULL) {
		nx_put_be32(bhs + 28, c->sess->exp_cmdsn);
		nx_put_be32(bhs + 32, c->sess->max_cmdsn);
	} else {
		/* RFC 7143 11.13: during login ExpCmdSN and MaxCmdSN are the
		 * Login Request's CmdSN (it does not advance). */
		nx_put_be32(bhs + 28, c->login_cmdsn);
		nx_put_be32(bhs + 32, c->login_cmdsn);
	}
}

void nx_iscsi_conn_login_start(struct nx_iscsi_conn *c, uint32_t exp_statsn)
{
	c->statsn = exp_statsn;
}

/* ---- CHAP lockout keys ------------------------------------------------------ */

/* "a:" + the peer's address without its port ("10.0.0.2:3260",
 * "[::1]:3260" -> "a:10.0.0.2", "a:[::1]"). */
static void auth_addr_key(const struct nx_iscsi_conn *c, char *key, size_t cap)
{
	nx_snprintf(key, cap, "a:%s", c->addr);
}

bool nx_iscsi_conn_auth_blocked(struct nx_iscsi_conn *c, const char *initiator)
{
	char key[NX_AUTHLIMIT_KEY_MAX];
	uint64_t now = nx_clock_ns();
	uint64_t left;

	nx_snprintf(key, sizeof(key), "i:%s", initiator);
	left = nx_authlimit_blocked(c->srv->authlimit, key, now);
	auth_addr_key(c, key, sizeof(key));
	left = NX_MAX(left, nx_authlimit_blocked(c->srv->authlimit, key, now));
	if (left > 0)
		NX_ISCSI_LOG(c->srv, NX_ILOG_AUTH, NX_LOG_INFO,
			     "iscsi %s: %s: CHAP locked out for %llu ms more "
			     "after repeated failures", c->peer, initiator,
			     (unsigned long long)(left / 1000000));
	return left > 0;
}

void nx_iscsi_conn_auth_result(struct nx_iscsi_conn *c, const char *initiator,
			       bool ok)
{
	char key[NX_AUTHLIMIT_KEY_MAX];
	uint64_t now = nx_clock_ns();

	nx_snprintf(key, sizeof(key), "i:%s", initiator);
	if (ok) {
		/* The address keeps its record: one good account must not
		 * wash out guesses at others from the same host. */
		nx_authlimit_ok(c->srv->authlimit, key);
		return;
	}
	nx_authlimit_fail(c->srv->authlimit, key, now);
	auth_addr_key(c, key, sizeof(key));
	nx_authlimit_fail(c->srv->authlimit, key, now);
}

/* ---- send path ----------------------------------------------------------- */

/* Builds BHS, [header digest], data, padding, [data digest] and hands
 * them over: copied (send), or with the data segment lent (send_lent). */
static void conn_send(struct nx_iscsi_conn *c, uint8_t *bhs, const void *data,
		      uint32_t data_len, bool lend,
		      void (*release)(void *arg, bool ok), void *arg)
{
	struct nx_iovec iov[5];
	uint8_t hdig[NX_ISCSI_DIGEST_LEN];
	uint8_t ddig[NX_ISCSI_DIGEST_LEN];
	uint32_t pad = nx_iscsi_pad4(data_len) - data_len;
	uint32_t lent_mask = 0;
	unsigned n = 0;

	nx_assert(bhs != NULL);
	nx_assert(data_len <= 0xffffffu && (data != NULL || data_len == 0));
	bhs[4] = 0; /* we never send AHS */
	nx_put_be24(bhs + 5, data_len);
	iov[n++] = (struct nx_iovec){ bhs, NX_ISCSI_BHS_LEN };
	if (c->hdigest) {
		nx_iscsi_digest_put(hdig, nx_crc32c(0, bhs, NX_ISCSI_BHS_LEN));
		iov[n++] = (struct nx_iovec){ hdig, sizeof(hdig) };
	}
	if (data_len > 0) {
		if (lend)
			lent_mask = 1u << n;
		iov[n++] = (struct nx_iovec){ data, data_len };
		if (pad > 0)
			iov[n++] = (struct nx_iovec){ zero_pad, pad };
		if (c->ddigest) {
			/* RFC 7143 11.2.3: the data digest covers the padding. */
			uint32_t crc = nx_crc32c(0, data, data_len);

			nx_iscsi_digest_put(ddig, nx_crc32c(crc, zero_pad, pad));
			iov[n++] = (struct nx_iovec){ ddig, sizeof(ddig) };
		}
	}
	if (lend)
		c->ops->send_lent(c->ctx, iov, n, lent_mask, release, arg);
	else
		c->ops->send(c->ctx, iov, n);
}

void nx_iscsi_conn_send_pdu(struct nx_iscsi_conn *c, uint8_t *bhs,
			    const void *data, uint32_t data_len)
{
	if (nx_iscsi_conn_live(c))
		conn_send(c, bhs, data, data_len, false, NULL, NULL);
}

bool nx_iscsi_conn_can_lend(const struct nx_iscsi_conn *c)
{
	return c->ops->send_lent != NULL;
}

void nx_iscsi_conn_send_pdu_lent(struct nx_iscsi_conn *c, uint8_t *bhs,
				 const void *data, uint32_t data_len,
				 void (*release)(void *arg, bool ok), void *arg)
{
	nx_assert(nx_iscsi_conn_can_lend(c));
	if (!nx_iscsi_conn_live(c)) {
		if (release != NULL)
			release(arg, false);
		return;
	}
	conn_send(c, bhs, data, data_len, true, release, arg);
}

/* ---- dispatch -------------------------------------------------------------- */

static void conn_enter_ffp(struct nx_iscsi_conn *c)
{
	nx_assert(c->sess != NULL);
	conn_login_uncount(c);
	c->srv->stats.logins_ok++;
	c->state = NX_CONN_FFP;
	/* RFC 7143 13.1: digests apply from the first PDU after the final
	 * Login Response. */
	c->hdigest = c->params.header_digest && c->dm == NULL;
	c->ddigest = c->params.data_digest && c->dm == NULL;
	if (c->dm != NULL) {
		/* RFC 7145 6.4, 6.5: the iSER keys bound control PDUs. */
		c->params.max_recv_dsl_target = c->params.target_recv_dsl;
		c->params.max_recv_dsl_initiator = c->params.initiator_recv_dsl;
	}
	if (c->params.max_recv_dsl_target > NX_ISCSI_MAX_RECV_DSL ||
	    c->params.max_recv_dsl_target == 0)
		c->params.max_recv_dsl_target = NX_ISCSI_MAX_RECV_DSL;
	if (c->params.max_recv_dsl_initiator < 512)
		c->params.max_recv_dsl_initiator = 512;
	if (c->login != NULL)
		nx_iscsi_login_free(c->login);
	c->login = NULL;
	nx_iscsi_nop_start(c);
}

static void conn_login_pdu(struct nx_iscsi_conn *c,
			   const struct nx_iscsi_pdu *pdu)
{
	int rc;

	/* RFC 7143 6: until full feature phase only Login Requests are
	 * valid; anything else is a protocol error that ends the
	 * connection. */
	if (nx_pdu_opcode(pdu) != NX_ISCSI_OP_LOGIN_REQ || c->login == NULL) {
		nx_iscsi_conn_drop(c, "non-login PDU during login");
		return;
	}
	c->login_cmdsn = nx_get_be32(pdu->bhs + 24);
	rc = nx_iscsi_login_rx(c->login, pdu);
	/* NX_ISCSI_LOGIN_RX_PENDING: session.c put c in NX_CONN_LOGIN_WAIT
	 * and calls nx_iscsi_conn_login_result() when the wait ends. */
	if (rc != NX_ISCSI_LOGIN_RX_PENDING)
		nx_iscsi_conn_login_result(c, rc);
}

void nx_iscsi_conn_login_result(struct nx_iscsi_conn *c, int rc)
{
	if (rc < 0)
		nx_iscsi_conn_drop(c, "login failed");
	else if (rc == 1 && nx_iscsi_conn_live(c))
		conn_enter_ffp(c);
}

static void conn_ffp_pdu(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu,
			 bool ddigest_ok)
{
	switch (nx_pdu_opcode(pdu)) {
	case NX_ISCSI_OP_NOP_OUT:
	case NX_ISCSI_OP_SCSI_CMD:
	case NX_ISCSI_OP_TMF_REQ:
	case NX_ISCSI_OP_TEXT_REQ:
	case NX_ISCSI_OP_LOGOUT_REQ:
		nx_iscsi_session_rx_cmd(c, pdu, ddigest_ok);
		break;
	case NX_ISCSI_OP_DATA_OUT:
		nx_iscsi_data_out_rx(c, pdu, ddigest_ok);
		break;
	case NX_ISCSI_OP_SNACK_REQ:
		if (c->dm != NULL) {
			/* RFC 7145 7.3.11: nothing for a SNACK to recover
			 * over iSER (no digests, RDMA is reliable). */
			nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL);
			break;
		}
		nx_iscsi_snack_rx(c, pdu);
		break;
	case NX_ISCSI_OP_LOGIN_REQ:
		/* RFC 7143 11.12: a Login Request in full feature phase is
		 * a protocol error. */
		nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_PROTOCOL);
		break;
	default:
		/* Target opcodes, reserved and vendor-specific codes. */
		nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_CMD_NOT_SUPPORTED);
		break;
	}
}

static void conn_dispatch(struct nx_iscsi_conn *c, bool ddigest_ok)
{
	struct nx_iscsi_pdu pdu;

	memcpy(pdu.bhs, c->rx_bhs, NX_ISCSI_BHS_LEN);
	pdu.ahs = c->rx_ahs_len > 0 ? c->rx_ahs : NULL;
	pdu.ahs_len = c->rx_ahs_len;
	pdu.data_len = c->rx_dsl;
	pdu.data = c->rx_dsl == 0 ? NULL : c->rx_zc != NULL ? c->rx_zc : c->rx_data;
	/* Ready for the next PDU before the handler runs. */
	c->rx_state = NX_RX_BHS;
	c->rx_have = 0;
	c->rx_zc = NULL;
	c->rx_since_tick = true;
	if (c->state == NX_CONN_LOGIN)
		conn_login_pdu(c, &pdu);
	else if (c->state == NX_CONN_FFP)
		conn_ffp_pdu(c, &pdu, ddigest_ok);
	else if (c->state == NX_CONN_LOGIN_WAIT)
		/* RFC 7143 6.3: nothing may follow a login request before
		 * its response; a protocol error, and the login ends. */
		nx_iscsi_conn_drop(c, "PDU while the final Login Response is held");
}

/* ---- receive state machine ----------------------------------------------- */

static size_t rx_copy(uint8_t *dst, uint32_t need, uint32_t *have,
		      const uint8_t *buf, size_t len)
{
	size_t n = NX_MIN((size_t)(need - *have), len);

	nx_assert(*have <= need);
	memcpy(dst + *have, buf, n);
	*have += (uint32_t)n;
	return n;
}

/* The header is trusted (digest checked if in effect): size the rest. */
static bool rx_header_ok(struct nx_iscsi_conn *c)
{
	/* Checked before a byte of the data segment is stored: nothing is
	 * ever allocated from a length on the wire. */
	uint32_t limit = c->state == NX_CONN_FFP ? c->params.max_recv_dsl_target
						 : NX_ISCSI_LOGIN_DSL;

	if (c->rx_dsl > limit) {
		/* RFC 7143 13.12: longer than MaxRecvDataSegmentLength is a
		 * protocol error; at ERL 0 the connection ends. */
		nx_iscsi_reject_drop(c, c->rx_bhs, NX_ISCSI_REJECT_PROTOCOL,
				     "data segment longer than declared");
		return false;
	}
	return true;
}

/* Moves past the part just completed to the next one present. */
static void rx_advance(struct nx_iscsi_conn *c, enum nx_iscsi_rx_state done)
{
	unsigned s;

	c->rx_have = 0;
	for (s = (unsigned)done + 1; s <= NX_RX_DDIGEST; s++) {
		if ((s == NX_RX_AHS && c->rx_ahs_len > 0) ||
		    (s == NX_RX_HDIGEST && c->hdigest) ||
		    (s == NX_RX_DATA && c->rx_dsl > 0) ||
		    (s == NX_RX_DDIGEST && c->ddigest && c->rx_dsl > 0)) {
			c->rx_state = (enum nx_iscsi_rx_state)s;
			return;
		}
	}
	conn_dispatch(c, true);
}

static void rx_bhs_done(struct nx_iscsi_conn *c)
{
	/* A test that skips the login exchange, or a login whose final
	 * response just went out: the next PDU is full feature phase. */
	if (c->state == NX_CONN_FFP_PENDING)
		conn_enter_ffp(c);
	c->rx_ahs_len = (uint32_t)c->rx_bhs[4] * 4;
	c->rx_dsl = nx_pdu_dsl(c->rx_bhs);
	if (!c->hdigest && !rx_header_ok(c))
		return;
	rx_advance(c, NX_RX_BHS);
}

static void rx_hdigest_done(struct nx_iscsi_conn *c)
{
	uint32_t crc = nx_crc32c(0, c->rx_bhs, NX_ISCSI_BHS_LEN);

	crc = nx_crc32c(crc, c->rx_ahs, c->rx_ahs_len);
	if (!nx_iscsi_digest_ok(c->rx_digest, crc)) {
		/* RFC 7143 7.8: nothing in a damaged header can be trusted,
		 * not even the length: the connection cannot continue. */
		nx_iscsi_conn_drop(c, "header digest error");
		return;
	}
	if (rx_header_ok(c))
		rx_advance(c, NX_RX_HDIGEST);
}

static void rx_ddigest_done(struct nx_iscsi_conn *c)
{
	const uint8_t *data = c->rx_zc != NULL ? c->rx_zc : c->rx_data;
	uint32_t crc = nx_crc32c(0, data, nx_iscsi_pad4(c->rx_dsl));

	conn_dispatch(c, nx_iscsi_digest_ok(c->rx_digest, crc));
}

/* Makes rx_data hold need bytes (padded; the header check bounded it by
 * MaxRecvDataSegmentLength).  Growth doubles, so a connection reaches
 * its largest segment in a few steps and then keeps that buffer. */
static bool rx_data_room(struct nx_iscsi_conn *c, uint32_t need)
{
	uint32_t cap = c->rx_cap;
	uint8_t *big;

	if (need <= cap)
		return true;
	while (cap < need)
		cap *= 2;
	cap = NX_MIN(cap, nx_iscsi_pad4(NX_ISCSI_MAX_RECV_DSL));
	nx_assert(cap >= need);
	big = nx_alloc(cap + 4);
	if (big == NULL) {
		nx_iscsi_conn_drop(c, "out of memory for a data segment");
		return false;
	}
	nx_free(c->rx_data);
	c->rx_data = big;
	c->rx_cap = cap;
	return true;
}

static size_t rx_data(struct nx_iscsi_conn *c, const uint8_t *buf, size_t len)
{
	uint32_t need = nx_iscsi_pad4(c->rx_dsl);
	size_t n;

	/* In place only if the digest, too, is in this chunk: the pointer
	 * must not outlive this input call. */
	if (c->rx_have == 0 && len >= need + (c->ddigest ? 4u : 0u)) {
		c->rx_zc = buf;
		c->rx_have = need;
		n = need;
	} else {
		if (c->rx_have == 0 && !rx_data_room(c, need))
			return len;
		n = rx_copy(c->rx_data, need, &c->rx_have, buf, len);
	}
	if (c->rx_have == need)
		rx_advance(c, NX_RX_DATA);
	return n;
}

static size_t rx_step(struct nx_iscsi_conn *c, const uint8_t *buf, size_t len)
{
	size_t n;

	switch (c->rx_state) {
	case NX_RX_BHS:
		n = rx_copy(c->rx_bhs, NX_ISCSI_BHS_LEN, &c->rx_have, buf, len);
		if (c->rx_have == NX_ISCSI_BHS_LEN)
			rx_bhs_done(c);
		return n;
	case NX_RX_AHS:
		n = rx_copy(c->rx_ahs, c->rx_ahs_len, &c->rx_have, buf, len);
		if (c->rx_have == c->rx_ahs_len)
			rx_advance(c, NX_RX_AHS);
		return n;
	case NX_RX_HDIGEST:
		n = rx_copy(c->rx_digest, NX_ISCSI_DIGEST_LEN, &c->rx_have, buf,
			    len);
		if (c->rx_have == NX_ISCSI_DIGEST_LEN)
			rx_hdigest_done(c);
		return n;
	case NX_RX_DATA:
		return rx_data(c, buf, len);
	case NX_RX_DDIGEST:
		n = rx_copy(c->rx_digest, NX_ISCSI_DIGEST_LEN, &c->rx_have, buf,
			    len);
		if (c->rx_have == NX_ISCSI_DIGEST_LEN)
			rx_ddigest_done(c);
		return n;
	}
	nx_assert(false);
	return len;
}

int nx_iscsi_conn_input(struct nx_iscsi_conn *c, const uint8_t *buf, size_t len)
{
	int rc;

	nx_assert(c != NULL && !c->closed);
	nx_assert(buf != NULL || len == 0);
	nx_iscsi_conn_get(c);
	/* Every step consumes at least one byte, so len bounds the loop. */
	while (len > 0 && nx_iscsi_conn_live(c)) {
		size_t n = rx_step(c, buf, len);

		nx_assert(n > 0 && n <= len);
		buf += n;
		len -= n;
	}
	rc = c->state == NX_CONN_DROPPED ? NX_EIO : NX_OK;
	nx_iscsi_conn_put(c);
	return rc;
}

/* ---- whole PDUs from a datamover --------------------------------------------- */

int nx_iscsi_conn_input_pdu(struct nx_iscsi_conn *c, const uint8_t *buf,
			    size_t len, const struct nx_iscsi_dm_tags *tags)
{
	static const struct nx_iscsi_dm_tags none;
	size_t need, full;
	int rc;

	nx_assert(c != NULL && c->dm != NULL && !c->closed);
	nx_assert(buf != NULL || len == 0);
	need = len < NX_ISCSI_BHS_LEN ? 0 :
	       NX_ISCSI_BHS_LEN + (size_t)buf[4] * 4 + nx_pdu_dsl(buf);
	full = len < NX_ISCSI_BHS_LEN ? 0 :
	       NX_ISCSI_BHS_LEN + (size_t)buf[4] * 4 + nx_iscsi_pad4(nx_pdu_dsl(buf));
	nx_iscsi_conn_get(c);
	if (need == 0 || (len != need && len != full)) {
		/* RFC 7145 7.2: one iSCSI PDU per message; anything else
		 * breaks the framing. */
		nx_iscsi_conn_drop(c, "message is not one iSCSI PDU");
	} else {
		c->rx_tags = tags != NULL ? *tags : none;
		(void)nx_iscsi_conn_input(c, buf, len);
		if (len != full && nx_iscsi_conn_live(c))
			(void)nx_iscsi_conn_input(c, zero_pad, full - len);
		c->rx_tags = none;
		nx_assert(!nx_iscsi_conn_live(c) ||
			  (c->rx_state == NX_RX_BHS && c->rx_have == 0));
	}
	rc = c->state == NX_CONN_DROPPED ? NX_EIO : NX_OK;
	nx_iscsi_conn_put(c);
	return rc;
}
