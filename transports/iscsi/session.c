/*
 * session.c - iSCSI sessions (RFC 7143 6.3, 11.12) and command ordering
 * (RFC 7143 3.2.2.1).
 *
 * A session is (initiator name, ISID, target, TPGT of the portal group it
 * came in through) plus the TSIH we assign; it owns one I_T nexus
 * ("<initiator>,i,0x<ISID>" / "<target>,t,0x<TPGT>", relative target port
 * = TPGT), a fixed pool of command slots and up to
 * NX_ISCSI_SESSION_CONNS_MAX connections.
 *
 * CmdSN window: ExpCmdSN advances as commands are received in order;
 * MaxCmdSN advances as command slots are given back, so at most
 * NX_ISCSI_CMDSN_WINDOW non-immediate commands are ever in flight and the
 * pool can never run dry for them.  Commands ahead of ExpCmdSN but inside
 * the window are held (bounded) until the gap closes; commands outside it
 * are silently ignored, as 3.2.2.1 requires.
 */
#include "conn_internal.h"

static void session_drain(struct nx_iscsi_session *s);
static void session_kick(struct nx_iscsi_session *s);

/* ---- lookup -------------------------------------------------------------- */

static const struct nx_iscsi_target_config *
find_target(const struct nx_iscsi_server *srv, const char *name)
{
	unsigned i;

	for (i = 0; i < srv->cfg.target_count; i++) {
		const struct nx_iscsi_target_config *t = &srv->cfg.targets[i];

		if (t->target != NULL &&
		    strcmp(nx_target_name(t->target), name) == 0)
			return t;
	}
	return NULL;
}

/* Same I_T nexus identity: initiator name, ISID, target and target
 * portal group, i.e. target port (RFC 7143 4.4.1, 6.3: SSID = ISID +
 * TPGT; a session's connections all use one portal group). */
static bool session_matches(const struct nx_iscsi_session *s,
			    const struct nx_iscsi_conn *c,
			    const struct nx_iscsi_target_config *tcfg,
			    const uint8_t isid[6])
{
	const struct nx_iscsi_params *p = &c->params;

	return s->tcfg == tcfg && s->params.discovery == p->discovery &&
	       s->tpgt == c->tpgt &&
	       memcmp(s->isid, isid, 6) == 0 &&
	       strcmp(s->initiator_name, p->initiator_name) == 0;
}

static struct nx_iscsi_session *
find_session(struct nx_iscsi_server *srv, const struct nx_iscsi_conn *c,
	     const struct nx_iscsi_target_config *tcfg, const uint8_t isid[6])
{
	unsigned i;

	for (i = 0; i < srv->lim.max_sessions; i++) {
		struct nx_iscsi_session *s = srv->sessions[i];

		if (s != NULL && session_matches(s, c, tcfg, isid))
			return s;
	}
	return NULL;
}

/* A session that reinstatement may have to wait for: same I_T nexus
 * (6.3), unlisted but still holding tasks.  Discovery sessions have no
 * tasks. */
static struct nx_iscsi_session *
find_draining(struct nx_iscsi_server *srv, const struct nx_iscsi_conn *c,
	      const struct nx_iscsi_target_config *tcfg, const uint8_t isid[6])
{
	struct nx_iscsi_session *s;

	if (tcfg == NULL)
		return NULL;
	/* Bounded: every entry is a counted session (session_count). */
	for (s = srv->draining; s != NULL; s = s->drain_next) {
		if (session_matches(s, c, tcfg, isid))
			return s;
	}
	return NULL;
}

static void session_unlist(struct nx_iscsi_session *s)
{
	struct nx_iscsi_server *srv = s->srv;
	unsigned i;

	if (!s->listed)
		return;
	for (i = 0; i < srv->lim.max_sessions; i++) {
		if (srv->sessions[i] == s)
			srv->sessions[i] = NULL;
	}
	s->listed = false;
	s->drain_prev = NULL;
	s->drain_next = srv->draining;
	if (srv->draining != NULL)
		srv->draining->drain_prev = s;
	srv->draining = s;
}

static void session_undrain(struct nx_iscsi_session *s)
{
	if (s->drain_prev != NULL)
		s->drain_prev->drain_next = s->drain_next;
	else if (s->srv->draining == s)
		s->srv->draining = s->drain_next;
	if (s->drain_next != NULL)
		s->drain_next->drain_prev = s->drain_prev;
	s->drain_prev = s->drain_next = NULL;
}

static bool tsih_in_use(const struct nx_iscsi_server *srv, uint16_t tsih)
{
	unsigned i;

	for (i = 0; i < srv->lim.max_sessions; i++) {
		if (srv->sessions[i] != NULL && srv->sessions[i]->tsih == tsih)
			return true;
	}
	return false;
}

/* TSIHs are handed out in order (deterministic), skipping 0 (reserved,
 * RFC 7143 11.12.6) and live ones; SESSIONS_MAX bounds live ones. */
static uint16_t alloc_tsih(struct nx_iscsi_server *srv)
{
	unsigned guard;

	for (guard = 0; guard <= srv->lim.max_sessions + 1; guard++) {
		uint16_t t = srv->next_tsih++;

		if (t != 0 && !tsih_in_use(srv, t))
			return t;
	}
	return 0;
}

struct nx_iscsi_conn *nx_iscsi_session_find_conn(struct nx_iscsi_session *s,
						 uint16_t cid)
{
	unsigned i;

	for (i = 0; i < s->nconns; i++) {
		if (s->conns[i]->cid == cid)
			return s->conns[i];
	}
	return NULL;
}

/* ---- command pool ---------------------------------------------------------- */

/* Fibonacci hashing: the ITT's bits spread over the bucket index.  The
 * initiator chooses ITTs, so chains may collide on purpose; they stay
 * bounded by the pool size, and the order never depends on pointers. */
static unsigned itt_bucket(uint32_t itt)
{
	NX_STATIC_ASSERT((NX_ISCSI_ITT_BUCKETS & (NX_ISCSI_ITT_BUCKETS - 1)) == 0,
			 "power of two");
	return (unsigned)((itt * 0x9e3779b1u) >> 24) & (NX_ISCSI_ITT_BUCKETS - 1);
}

void nx_iscsi_cmd_set_itt(struct nx_iscsi_cmd *cmd, uint32_t itt)
{
	struct nx_iscsi_session *s = cmd->sess;
	unsigned b = itt_bucket(itt);

	nx_assert(cmd->state != NX_CMD_FREE && !cmd->itt_hashed);
	cmd->itt = itt;
	cmd->itt_next = s->itt_bucket[b];
	s->itt_bucket[b] = (uint16_t)(cmd->idx + 1);
	cmd->itt_hashed = true;
}

static void itt_unhash(struct nx_iscsi_cmd *cmd)
{
	struct nx_iscsi_session *s = cmd->sess;
	uint16_t *link = &s->itt_bucket[itt_bucket(cmd->itt)];
	unsigned n = 0;

	if (!cmd->itt_hashed)
		return;
	while (*link != cmd->idx + 1) {
		nx_assert(*link != 0 && ++n <= NX_ISCSI_CMDS_MAX);
		link = &nx_iscsi_cmd_at(s, *link - 1u)->itt_next;
	}
	*link = cmd->itt_next;
	cmd->itt_next = 0;
	cmd->itt_hashed = false;
}

/* Chunk k of the command slots: chunk 0 holds NX_ISCSI_CMD_FIRST, the
 * others NX_ISCSI_CMD_CHUNK up to NX_ISCSI_CMDS_MAX in all. */
static unsigned cmd_chunk_index(unsigned slots)
{
	return slots < NX_ISCSI_CMD_FIRST
		       ? 0
		       : 1u + (slots - NX_ISCSI_CMD_FIRST) / NX_ISCSI_CMD_CHUNK;
}

/* The next chunk of free slots, in index order: the order the slots
 * would have had in one preallocated table, so TTTs do not change. */
static bool cmd_chunk_add(struct nx_iscsi_session *s)
{
	unsigned k = cmd_chunk_index(s->cmd_slots);
	unsigned n = k == 0 ? NX_ISCSI_CMD_FIRST : NX_ISCSI_CMD_CHUNK;
	struct nx_iscsi_cmd *chunk;

	if (s->cmd_slots == NX_ISCSI_CMDS_MAX)
		return false;
	if (n > NX_ISCSI_CMDS_MAX - s->cmd_slots)
		n = NX_ISCSI_CMDS_MAX - s->cmd_slots;
	nx_assert(k < NX_ISCSI_CMD_CHUNKS && s->cmd_chunk[k] == NULL);
	chunk = nx_alloc(sizeof(*chunk) * n);
	if (chunk == NULL)
		return false;
	for (unsigned i = n; i-- > 0;) {
		chunk[i].idx = (uint16_t)(s->cmd_slots + i);
		chunk[i].sess = s;
		chunk[i].free_next = s->free_head;
		s->free_head = &chunk[i];
	}
	s->cmd_chunk[k] = chunk;
	s->cmd_slots += n;
	return true;
}

struct nx_iscsi_cmd *nx_iscsi_cmd_alloc(struct nx_iscsi_session *s,
					bool immediate)
{
	struct nx_iscsi_cmd *cmd;
	uint16_t idx;

	if (immediate && s->imm_used >= NX_ISCSI_IMMEDIATE_CMDS)
		return NULL;
	if (s->free_head == NULL && !cmd_chunk_add(s))
		return NULL;
	cmd = s->free_head;
	nx_assert(cmd->state == NX_CMD_FREE);
	s->free_head = cmd->free_next;
	idx = cmd->idx;
	/* The embedded task is left alone: the caller's nx_task_init()
	 * zeroes it next (scsi.c cmd_task_init), one clearing, not two. */
	NX_STATIC_ASSERT(offsetof(struct nx_iscsi_cmd, task) == 0, "task first");
	memset((char *)cmd + sizeof(cmd->task), 0, sizeof(*cmd) - sizeof(cmd->task));
	cmd->idx = idx;
	cmd->sess = s;
	cmd->immediate = immediate;
	cmd->state = NX_CMD_DATA;
	s->cmds_used++;
	if (immediate)
		s->imm_used++;
	return cmd;
}

void nx_iscsi_cmd_free(struct nx_iscsi_cmd *cmd)
{
	struct nx_iscsi_session *s = cmd->sess;

	nx_assert(cmd->state != NX_CMD_FREE);
	nx_assert(s->cmds_used > 0);
	/* A task without allegiance is done: a held connection
	 * reinstatement may go on (6.3.4). */
	if (cmd->conn == NULL && s->nwaiters > 0)
		session_kick(s);
	if (cmd->immediate)
		s->imm_used--;
	else
		nx_iscsi_session_credit(s);
	s->cmds_used--;
	itt_unhash(cmd);
	cmd->state = NX_CMD_FREE;
	cmd->conn = NULL;
	cmd->free_next = s->free_head;
	s->free_head = cmd;
	nx_iscsi_session_try_free(s);
}

struct nx_iscsi_cmd *nx_iscsi_cmd_find_itt(struct nx_iscsi_session *s,
					   uint32_t itt)
{
	uint16_t i = s->itt_bucket[itt_bucket(itt)];
	unsigned n = 0;

	for (; i != 0; i = nx_iscsi_cmd_at(s, i - 1u)->itt_next) {
		struct nx_iscsi_cmd *cmd = nx_iscsi_cmd_at(s, i - 1u);

		/* NX_CMD_DONE: answered, the ITT is the initiator's again */
		nx_assert(cmd->state != NX_CMD_FREE && ++n <= NX_ISCSI_CMDS_MAX);
		if (cmd->state != NX_CMD_DONE && cmd->itt == itt)
			return cmd;
	}
	return NULL;
}

/* TTT = (sequence << 16) | slot index; bit 31 is always clear so a TTT
 * is never the reserved 0xffffffff. */
struct nx_iscsi_cmd *nx_iscsi_cmd_find_ttt(struct nx_iscsi_session *s,
					   uint32_t ttt)
{
	uint32_t idx = ttt & 0xffff;
	struct nx_iscsi_cmd *cmd;
	unsigned i;

	if (idx >= s->cmd_slots || ttt == NX_ISCSI_RSVD_TAG)
		return NULL;
	cmd = nx_iscsi_cmd_at(s, idx);
	if (cmd->state != NX_CMD_DATA)
		return NULL;
	for (i = 0; i < NX_ISCSI_R2T_MAX; i++) {
		if (cmd->r2t[i].used && cmd->r2t[i].ttt == ttt)
			return cmd;
	}
	return NULL;
}

/* ---- creation, join, teardown ---------------------------------------------- */

/* The read-only mapping of this initiator's ACL entry (--acl IQN,ro):
 * write protection on its nexus only.  Names compare as login.c's ACL
 * check does (case-insensitive, RFC 3722). */
static bool session_apply_ro(struct nx_iscsi_session *s)
{
	const struct nx_iscsi_target_config *t = s->tcfg;

	nx_assert(t->acl_count <= NX_ISCSI_MAX_ACL);
	for (unsigned i = 0; i < t->acl_count; i++) {
		const struct nx_iscsi_acl_ro *ro = &t->acl_ro[i];

		if (t->acl[i] == NULL ||
		    !nx_iscsi_name_eq(t->acl[i], s->initiator_name))
			continue;
		if (ro->all &&
		    nx_nexus_set_read_only(s->nexus, NX_NEXUS_RO_ALL) != NX_OK)
			return false;
		for (unsigned j = 0; j < ro->lun_count; j++)
			if (nx_nexus_set_read_only(s->nexus, ro->luns[j]) != NX_OK)
				return false;
	}
	return true;
}

static bool session_make_nexus(struct nx_iscsi_session *s)
{
	static const struct nx_nexus_ops ops = { .task_done = nx_iscsi_task_done };
	char iport[NX_NAME_MAX + 32];
	char tport[NX_NAME_MAX + 32];
	const uint8_t *i = s->isid;

	if (s->tcfg == NULL)
		return true; /* discovery: no SCSI, no nexus */
	/* RFC 7143 4.2.7.3 / SAM-5: iSCSI initiator and target port names. */
	nx_snprintf(iport, sizeof(iport), "%s,i,0x%02x%02x%02x%02x%02x%02x",
		    s->initiator_name, i[0], i[1], i[2], i[3], i[4], i[5]);
	nx_snprintf(tport, sizeof(tport), "%s,t,0x%04x",
		    nx_target_name(s->tcfg->target), s->tpgt);
	/* The portal group is the SCSI target port: its TPGT is the
	 * relative target port identifier (0 is reserved there, SPC-4
	 * 7.8.6.7). */
	s->nexus = nx_nexus_new(s->tcfg->target, iport, tport,
				s->tpgt != 0 ? s->tpgt : 1, &ops, s);
	return s->nexus != NULL && session_apply_ro(s);
}

static struct nx_iscsi_session *session_alloc(struct nx_iscsi_conn *c,
					      const struct nx_iscsi_target_config *tcfg,
					      const uint8_t isid[6])
{
	struct nx_iscsi_session *s = nx_alloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	s->srv = c->srv;
	s->tcfg = tcfg;
	memcpy(s->isid, isid, 6);
	s->tpgt = c->tpgt;
	memcpy(s->initiator_name, c->params.initiator_name, NX_NAME_MAX);
	s->initiator_name[NX_NAME_MAX - 1] = '\0';
	memcpy(s->addr, c->addr, sizeof(s->addr));
	s->params = c->params;
	if (!session_make_nexus(s)) {
		nx_free(s);
		return NULL;
	}
	return s;
}

static void session_attach(struct nx_iscsi_session *s, struct nx_iscsi_conn *c,
			   uint16_t cid)
{
	nx_assert(s->nconns < NX_ISCSI_SESSION_CONNS_MAX);
	s->conns[s->nconns++] = c;
	c->sess = s;
	c->cid = cid;
	c->state = NX_CONN_FFP_PENDING;
}

/* ---- reinstatement waits (RFC 7143 6.3.4, 6.3.5) --------------------------- */

static void wait_unregister(struct nx_iscsi_conn *c)
{
	struct nx_iscsi_session *w = c->wait_sess;
	unsigned i, j;

	if (w == NULL)
		return;
	for (i = j = 0; i < w->nwaiters; i++) {
		if (w->waiters[i] != c)
			w->waiters[j++] = w->waiters[i];
	}
	w->nwaiters = j;
	c->wait_sess = NULL;
}

void nx_iscsi_session_wait_cancel(struct nx_iscsi_conn *c)
{
	wait_unregister(c);
	if (c->wait_timer != NULL) {
		nx_timer_free(c->wait_timer);
		c->wait_timer = NULL;
	}
}

/* Something a waiter waits for may have happened: it looks from a clean
 * stack (its timer, no delay), never from inside a core callback. */
static void session_kick(struct nx_iscsi_session *s)
{
	unsigned i;

	for (i = 0; i < s->nwaiters; i++)
		nx_timer_arm(s->waiters[i]->wait_timer, 0);
}

/* A newer login for the same I_T nexus reinstates an older one that is
 * still waiting: the older connection goes (6.3.5, the latest wins). */
static void wait_supersede(struct nx_iscsi_session *w)
{
	unsigned guard, i;

	for (guard = 0; guard < NX_ISCSI_WAITERS_MAX; guard++) {
		struct nx_iscsi_conn *x = NULL;

		for (i = 0; i < w->nwaiters && x == NULL; i++) {
			if (!w->waiters[i]->joining)
				x = w->waiters[i];
		}
		if (x == NULL)
			return;
		wait_unregister(x);
		nx_iscsi_conn_drop(x, "login superseded by a newer login");
	}
}

/* The login fails after all: a joining connection leaves the session
 * it was attached to (without failing it: it never reached full feature
 * phase). */
static uint16_t wait_refused(struct nx_iscsi_conn *c, uint16_t status)
{
	if (c->joining && c->sess != NULL)
		nx_iscsi_session_conn_gone(c);
	return status;
}

static uint64_t wait_left(const struct nx_iscsi_conn *c)
{
	uint64_t now = nx_clock_ns();

	return c->wait_deadline_ns > now ? c->wait_deadline_ns - now : 0;
}

static void session_wait_fire(void *arg);

/* Holds c's final Login Response until w has drained (or, joining, until
 * the replaced connection's tasks are done). */
static uint16_t session_wait(struct nx_iscsi_conn *c, struct nx_iscsi_session *w)
{
	if (c->wait_timer == NULL) {
		c->wait_timer = nx_timer_new(session_wait_fire, c);
		if (c->wait_timer == NULL)
			return wait_refused(c, 0x0302); /* out of resources */
		c->wait_deadline_ns = nx_clock_ns() + NX_ISCSI_LOGIN_WAIT_NS;
	}
	if (!c->joining)
		wait_supersede(w);
	if (w->nwaiters >= NX_ISCSI_WAITERS_MAX)
		return wait_refused(c, 0x0301); /* service unavailable */
	w->waiters[w->nwaiters++] = c;
	c->wait_sess = w;
	c->state = NX_CONN_LOGIN_WAIT;
	nx_timer_arm(c->wait_timer, wait_left(c));
	return NX_ISCSI_LOGIN_PENDING;
}

/* ---- creation and join ------------------------------------------------------- */

/* Sessions whose initiator name (by_addr false) or source address (true)
 * is key, discovery ones included (listed or still draining: all hold a
 * command pool). */
static unsigned sessions_of(const struct nx_iscsi_server *srv, const char *key,
			    bool by_addr)
{
	const struct nx_iscsi_session *d;
	unsigned n = 0, i;

	for (i = 0; i < srv->lim.max_sessions; i++) {
		d = srv->sessions[i];
		if (d != NULL &&
		    strcmp(by_addr ? d->addr : d->initiator_name, key) == 0)
			n++;
	}
	/* Bounded: every entry is a counted session (session_count). */
	for (d = srv->draining; d != NULL; d = d->drain_next) {
		if (strcmp(by_addr ? d->addr : d->initiator_name, key) == 0)
			n++;
	}
	return n;
}

/* Connections in the listed sessions of a target node. */
static unsigned target_conns(const struct nx_iscsi_server *srv,
			     const struct nx_iscsi_target_config *tcfg)
{
	unsigned n = 0, i;

	for (i = 0; i < srv->lim.max_sessions; i++) {
		if (srv->sessions[i] != NULL && srv->sessions[i]->tcfg == tcfg)
			n += srv->sessions[i]->nconns;
	}
	return n;
}

/* RFC 7143 11.13.5 0302h "the target has insufficient session,
 * connection, or other resources": a cap says no.  Logged (rate-limited)
 * with the cap, counted. */
static uint16_t refuse_cap(struct nx_iscsi_conn *c, unsigned limit,
			   const char *what)
{
	c->srv->stats.logins_refused_limit++;
	NX_ISCSI_LOG(c->srv, NX_ILOG_REFUSED, NX_LOG_WARN,
		     "iscsi %s: %s: login refused: %u %s (the limit)", c->peer,
		     c->params.initiator_name, limit, what);
	return 0x0302;
}

/* The caps a new session must pass: one initiator name, one source
 * address (an attacker rotating names) and, for a normal session, the
 * target's connections. */
static uint16_t session_caps(struct nx_iscsi_conn *c,
			     const struct nx_iscsi_target_config *tcfg)
{
	const struct nx_iscsi_limits *lim = &c->srv->lim;

	if (sessions_of(c->srv, c->params.initiator_name, false) >=
	    lim->max_sessions_per_initiator)
		return refuse_cap(c, lim->max_sessions_per_initiator,
				  "sessions of this initiator name");
	if (sessions_of(c->srv, c->addr, true) >= lim->max_sessions_per_address)
		return refuse_cap(c, lim->max_sessions_per_address,
				  "sessions from this address");
	if (tcfg != NULL && target_conns(c->srv, tcfg) >= lim->max_conns_per_target)
		return refuse_cap(c, lim->max_conns_per_target,
				  "connections to this target");
	return 0;
}

static uint16_t session_create(struct nx_iscsi_conn *c,
			       const struct nx_iscsi_target_config *tcfg,
			       const uint8_t isid[6], uint16_t cid,
			       uint16_t *tsih_out)
{
	struct nx_iscsi_server *srv = c->srv;
	struct nx_iscsi_session *old = find_session(srv, c, tcfg, isid);
	struct nx_iscsi_session *s;
	unsigned slot;
	uint16_t st;

	if (old != NULL) {
		/* RFC 7143 6.3.5: session reinstatement closes the old
		 * session (its tasks are aborted: I_T nexus loss). */
		session_unlist(old);
		nx_iscsi_session_drop_all(old, "session reinstatement");
	}
	/* RFC 7143 6.3.5: the old session's tasks are terminated before
	 * the new session proceeds.  Aborted in the core is not enough: an
	 * I/O already in the backstore still lands, and must not land after
	 * a write of the new session.  So the new login waits until every
	 * session of this I_T nexus is freed (nexus drained), as LIO does. */
	s = find_draining(srv, c, tcfg, isid);
	if (s != NULL)
		return session_wait(c, s);
	/* One initiator, one address or one target may not take every
	 * session slot (0302h). */
	st = session_caps(c, tcfg);
	if (st != 0)
		return st;
	for (slot = 0; slot < srv->lim.max_sessions; slot++) {
		if (srv->sessions[slot] == NULL)
			break;
	}
	if (slot == srv->lim.max_sessions ||
	    srv->session_count >= 2 * srv->lim.max_sessions)
		return 0x0302; /* out of resources */
	s = session_alloc(c, tcfg, isid);
	if (s == NULL)
		return 0x0302;
	s->tsih = alloc_tsih(srv);
	nx_assert(s->tsih != 0);
	/* The first command carries the Login Request's CmdSN (11.12.8). */
	s->exp_cmdsn = c->login_cmdsn;
	s->max_cmdsn = c->login_cmdsn + NX_ISCSI_CMDSN_WINDOW - 1;
	srv->sessions[slot] = s;
	srv->session_count++;
	s->listed = true;
	session_attach(s, c, cid);
	*tsih_out = s->tsih;
	return 0;
}

/* A joining connection may proceed once the connection it replaces has
 * left and no task without allegiance is left in the session. */
static bool join_ready(const struct nx_iscsi_conn *c)
{
	const struct nx_iscsi_session *s = c->sess;
	unsigned i;

	for (i = 0; i < s->nconns; i++) {
		if (s->conns[i] != c && s->conns[i]->cid == c->cid)
			return false;
	}
	for (i = 0; i < s->cmd_slots; i++) {
		const struct nx_iscsi_cmd *cmd = nx_iscsi_cmd_at(s, i);

		if (cmd->state != NX_CMD_FREE && cmd->conn == NULL)
			return false;
	}
	return true;
}

/* RFC 7143 6.3.4: the connections of s with this CID are replaced. */
static void session_replace_cid(struct nx_iscsi_session *s,
				const struct nx_iscsi_conn *c, uint16_t cid)
{
	struct nx_iscsi_conn *list[NX_ISCSI_SESSION_CONNS_MAX];
	unsigned n = 0, i;

	for (i = 0; i < s->nconns; i++) {
		if (s->conns[i] != c && s->conns[i]->cid == cid)
			list[n++] = s->conns[i];
	}
	/* Held: dropping may finalize them (c keeps s alive). */
	for (i = 0; i < n; i++) {
		list[i]->replaced = true;
		nx_iscsi_conn_get(list[i]);
	}
	for (i = 0; i < n; i++)
		nx_iscsi_conn_drop(list[i], "connection reinstatement");
	for (i = 0; i < n; i++)
		nx_iscsi_conn_put(list[i]);
}

static uint16_t session_join(struct nx_iscsi_conn *c,
			     const struct nx_iscsi_target_config *tcfg,
			     const uint8_t isid[6], uint16_t tsih,
			     uint16_t cid, uint16_t *tsih_out)
{
	struct nx_iscsi_session *s = find_session(c->srv, c, tcfg, isid);
	unsigned limit, count = 0, i;
	bool reinstate = false;

	if (s == NULL || s->tsih != tsih)
		return 0x020a; /* session does not exist (11.13.5) */
	for (i = 0; i < s->nconns; i++) {
		if (s->conns[i]->cid == cid)
			reinstate = true;
		else
			count++;
	}
	limit = NX_MIN((unsigned)s->params.max_connections,
		       NX_ISCSI_SESSION_CONNS_MAX);
	if (count >= limit)
		return 0x0206; /* too many connections */
	/* A connection that reinstates one replaces it: not a new one. */
	if (!reinstate && tcfg != NULL &&
	    target_conns(c->srv, tcfg) >= c->srv->lim.max_conns_per_target)
		return refuse_cap(c, c->srv->lim.max_conns_per_target,
				  "connections to this target");
	session_attach(s, c, cid);
	*tsih_out = s->tsih;
	if (!reinstate)
		return 0;
	/* RFC 7143 6.3.4: a login with the CID of a live connection
	 * reinstates it; the old one goes, the session stays.  Its tasks
	 * (no allegiance any more, ERL 0: never reassigned) end before the
	 * new connection proceeds, for the reason given in session_create. */
	c->joining = true;
	session_replace_cid(s, c, cid);
	if (join_ready(c)) {
		c->joining = false;
		return 0;
	}
	return session_wait(c, s);
}

uint16_t nx_iscsi_conn_login_complete(struct nx_iscsi_conn *c,
				      const uint8_t isid[6], uint16_t tsih_in,
				      uint16_t cid, uint16_t *tsih_out)
{
	const struct nx_iscsi_target_config *tcfg = NULL;

	nx_assert(c != NULL && isid != NULL && tsih_out != NULL);
	nx_assert(c->sess == NULL && c->wait_sess == NULL);
	if (!c->params.discovery) {
		tcfg = find_target(c->srv, c->params.target_name);
		if (tcfg == NULL)
			return 0x0203; /* not found */
	}
	/* Kept for a login that has to wait (session_wait_fire). */
	memcpy(c->wait_isid, isid, 6);
	c->wait_cid = cid;
	if (tsih_in == 0)
		return session_create(c, tcfg, isid, cid, tsih_out);
	return session_join(c, tcfg, isid, tsih_in, cid, tsih_out);
}

static bool wait_over(const struct nx_iscsi_conn *c)
{
	if (c->joining)
		return join_ready(c);
	return c->wait_sess == NULL; /* the old session was freed */
}

static void wait_step(struct nx_iscsi_conn *c)
{
	const struct nx_iscsi_target_config *tcfg;
	uint16_t tsih = 0, st;

	if (!wait_over(c)) {
		if (wait_left(c) > 0) {
			nx_timer_arm(c->wait_timer, wait_left(c));
			return;
		}
		/* Bounded: the core always drains, but not forever here. */
		NX_ISCSI_LOG(c->srv, NX_ILOG_REFUSED, NX_LOG_WARN,
			     "iscsi %s: reinstatement: old tasks still "
			     "running, login refused", c->peer);
		wait_unregister(c);
		st = wait_refused(c, 0x0301);
	} else if (c->joining) {
		wait_unregister(c);
		c->joining = false;
		c->state = NX_CONN_FFP_PENDING;
		tsih = c->sess->tsih;
		st = 0;
	} else {
		/* Again from the start: another session of this I_T nexus
		 * may be draining, or listed, by now. */
		tcfg = find_target(c->srv, c->params.target_name);
		st = tcfg == NULL ? 0x0203 :
		     session_create(c, tcfg, c->wait_isid, c->wait_cid, &tsih);
		if (st == NX_ISCSI_LOGIN_PENDING)
			return;
	}
	nx_iscsi_conn_login_result(c, nx_iscsi_login_resume(c->login, st, tsih));
}

static void session_wait_fire(void *arg)
{
	struct nx_iscsi_conn *c = arg;

	nx_iscsi_conn_get(c);
	if (c->state == NX_CONN_LOGIN_WAIT && nx_iscsi_conn_live(c))
		wait_step(c);
	nx_iscsi_conn_put(c);
}

static void session_nexus_down(void *arg)
{
	struct nx_iscsi_session *s = arg;

	s->nexus_drained = true;
	nx_iscsi_session_try_free(s);
}

void nx_iscsi_session_try_free(struct nx_iscsi_session *s)
{
	unsigned i;

	/* cmds_used first: called for every freed command, and it is on
	 * the session's hot line (the rest are not). */
	if (s->cmds_used > 0 || s->listed || s->nconns > 0 ||
	    !s->shutdown_started || !s->nexus_drained || s->tmfs_used > 0)
		return;
	session_undrain(s);
	/* Logins that waited for this session's tasks may go on. */
	for (i = 0; i < s->nwaiters; i++) {
		nx_assert(!s->waiters[i]->joining); /* joiners hold nconns */
		s->waiters[i]->wait_sess = NULL;
		nx_timer_arm(s->waiters[i]->wait_timer, 0);
	}
	s->nwaiters = 0;
	if (s->nexus != NULL)
		nx_nexus_free(s->nexus);
	nx_assert(s->srv->session_count > 0);
	s->srv->session_count--;
	for (unsigned k = 0; k < NX_ISCSI_CMD_CHUNKS; k++)
		nx_free(s->cmd_chunk[k]); /* NULL: never needed */
	nx_free(s);
}

/* A hold slot is free again (its buffer already freed or handed on). */
static void held_clear(struct nx_iscsi_session *s, struct nx_iscsi_held *h)
{
	if (h->conn != NULL) {
		nx_assert(s->nheld > 0);
		s->nheld--;
	}
	memset(h, 0, sizeof(*h));
}

static void held_free(struct nx_iscsi_session *s, struct nx_iscsi_held *h)
{
	nx_free(h->buf);
	held_clear(s, h);
}

static void session_teardown(struct nx_iscsi_session *s)
{
	unsigned i;

	nx_assert(s->nconns == 0);
	session_unlist(s);
	for (i = 0; i < NX_ISCSI_HOLD_MAX; i++)
		held_free(s, &s->held[i]);
	nx_iscsi_scsi_abort_data_phase(s, NULL, false, 0);
	s->shutdown_started = true;
	if (s->nexus == NULL) {
		s->nexus_drained = true;
		nx_iscsi_session_try_free(s);
		return;
	}
	/* I_T nexus loss (SAM-5 6.3.4): every task is aborted; done may
	 * run before this returns and free s. */
	nx_nexus_shutdown(s->nexus, session_nexus_down, s);
}

void nx_iscsi_session_conn_gone(struct nx_iscsi_conn *c)
{
	struct nx_iscsi_session *s = c->sess;
	unsigned i, j;

	nx_assert(s != NULL);
	for (i = j = 0; i < s->nconns; i++) {
		if (s->conns[i] != c)
			s->conns[j++] = s->conns[i];
	}
	s->nconns = j;
	c->sess = NULL;
	nx_iscsi_scsi_abort_data_phase(s, c, false, 0);
	for (i = 0; i < s->cmd_slots; i++) {
		struct nx_iscsi_cmd *cmd = nx_iscsi_cmd_at(s, i);

		if (cmd->conn == c)
			cmd->conn = NULL; /* allegiance lost: no response */
	}
	for (i = 0; i < NX_ISCSI_TMF_MAX; i++) {
		if (s->tmfs[i].conn == c)
			s->tmfs[i].conn = NULL;
	}
	for (i = 0; i < NX_ISCSI_HOLD_MAX; i++) {
		if (s->held[i].conn == c)
			held_free(s, &s->held[i]);
	}
	if (s->nconns == 0) {
		session_teardown(s);
		return;
	}
	if (s->nwaiters > 0)
		session_kick(s); /* a replaced connection may be gone */
	/* ERL 0 (RFC 7143 7.1.5.1): a connection lost without Logout means
	 * session recovery; the remaining connections go too.  Not for one
	 * whose login never finished (joining). */
	if (c->state != NX_CONN_LOGGED_OUT && !c->replaced && !c->joining)
		nx_iscsi_session_drop_all(s, "connection failure at ERL 0");
}

void nx_iscsi_session_logout(struct nx_iscsi_session *s)
{
	if (s->nexus != NULL)
		nx_nexus_logout(s->nexus);
}

void nx_iscsi_session_drop_all(struct nx_iscsi_session *s, const char *why)
{
	struct nx_iscsi_conn *list[NX_ISCSI_SESSION_CONNS_MAX];
	unsigned n = s->nconns, i;

	/* Hold every one first: dropping may finalize connections and,
	 * with the last, free s. */
	memcpy(list, s->conns, n * sizeof(list[0]));
	for (i = 0; i < n; i++)
		nx_iscsi_conn_get(list[i]);
	for (i = 0; i < n; i++)
		nx_iscsi_conn_drop(list[i], why);
	for (i = 0; i < n; i++)
		nx_iscsi_conn_put(list[i]);
}

/* ---- CmdSN ordering (RFC 7143 3.2.2.1) -------------------------------------- */

void nx_iscsi_session_credit(struct nx_iscsi_session *s)
{
	s->max_cmdsn++;
}

static void session_exec(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu,
			 bool ddigest_ok, bool immediate)
{
	struct nx_iscsi_session *s = c->sess;
	uint8_t op = nx_pdu_opcode(pdu);

	if (!ddigest_ok) {
		/* RFC 7143 7.8: a PDU whose data is damaged is rejected;
		 * at ERL 0 the initiator does not retry with this CmdSN. */
		nx_iscsi_reject(c, pdu->bhs, NX_ISCSI_REJECT_DATA_DIGEST);
		if (!immediate)
			nx_iscsi_session_credit(s);
		return;
	}
	if (op == NX_ISCSI_OP_SCSI_CMD) {
		if (!nx_iscsi_scsi_cmd_rx(c, pdu) && !immediate)
			nx_iscsi_session_credit(s);
		return;
	}
	/* Everything else is done at once: slide the window first so the
	 * response already carries it. */
	if (!immediate)
		nx_iscsi_session_credit(s);
	switch (op) {
	case NX_ISCSI_OP_NOP_OUT:
		nx_iscsi_nop_out_rx(c, pdu);
		break;
	case NX_ISCSI_OP_TMF_REQ:
		nx_iscsi_tmf_rx(c, pdu);
		break;
	case NX_ISCSI_OP_TEXT_REQ:
		nx_iscsi_text_rx(c, pdu);
		break;
	case NX_ISCSI_OP_LOGOUT_REQ:
		nx_iscsi_logout_rx(c, pdu);
		break;
	default:
		nx_assert(false);
	}
}

static void session_hold(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu,
			 bool ddigest_ok, uint32_t cmdsn)
{
	struct nx_iscsi_session *s = c->sess;
	struct nx_iscsi_held *h = NULL;
	unsigned i;

	for (i = 0; i < NX_ISCSI_HOLD_MAX; i++) {
		if (s->held[i].conn == NULL && h == NULL)
			h = &s->held[i];
		else if (s->held[i].conn != NULL && s->held[i].cmdsn == cmdsn)
			return; /* duplicate of a held command: ignore */
	}
	if (h == NULL) {
		NX_ISCSI_LOG(c->srv, NX_ILOG_CMD, NX_LOG_WARN,
			     "iscsi %s: CmdSN 0x%08x: hold queue full, ignored",
			     c->peer, cmdsn);
		return;
	}
	/* Out-of-order arrival (several connections) is the rare path:
	 * one copy here keeps the in-order hot path copy-free. */
	h->buf = nx_alloc(NX_ISCSI_BHS_LEN + pdu->ahs_len + pdu->data_len + 1);
	if (h->buf == NULL)
		return;
	memcpy(h->buf, pdu->bhs, NX_ISCSI_BHS_LEN);
	if (pdu->ahs_len > 0)
		memcpy(h->buf + NX_ISCSI_BHS_LEN, pdu->ahs, pdu->ahs_len);
	if (pdu->data_len > 0)
		memcpy(h->buf + NX_ISCSI_BHS_LEN + pdu->ahs_len, pdu->data,
		       pdu->data_len);
	h->conn = c;
	s->nheld++;
	h->ahs_len = pdu->ahs_len;
	h->dsl = pdu->data_len;
	h->cmdsn = cmdsn;
	h->ddigest_ok = ddigest_ok;
	h->tags = c->rx_tags;
}

static bool skip_take(struct nx_iscsi_session *s, uint32_t cmdsn)
{
	unsigned i;

	for (i = 0; i < s->nskip; i++) {
		if (s->skip[i] == cmdsn) {
			s->skip[i] = s->skip[--s->nskip];
			return true;
		}
	}
	return false;
}

static struct nx_iscsi_held *held_find(struct nx_iscsi_session *s, uint32_t cmdsn)
{
	unsigned i;

	for (i = 0; i < NX_ISCSI_HOLD_MAX; i++) {
		if (s->held[i].conn != NULL && s->held[i].cmdsn == cmdsn)
			return &s->held[i];
	}
	return NULL;
}

static void session_run_held(struct nx_iscsi_session *s, struct nx_iscsi_held *h)
{
	struct nx_iscsi_held copy = *h;
	struct nx_iscsi_pdu pdu;

	held_clear(s, h); /* copy.buf is freed below */
	s->exp_cmdsn++;
	memcpy(pdu.bhs, copy.buf, NX_ISCSI_BHS_LEN);
	pdu.ahs = copy.ahs_len > 0 ? copy.buf + NX_ISCSI_BHS_LEN : NULL;
	pdu.ahs_len = copy.ahs_len;
	pdu.data = copy.dsl > 0 ? copy.buf + NX_ISCSI_BHS_LEN + copy.ahs_len : NULL;
	pdu.data_len = copy.dsl;
	if (copy.conn->state == NX_CONN_FFP && nx_iscsi_conn_live(copy.conn)) {
		struct nx_iscsi_dm_tags saved = copy.conn->rx_tags;

		nx_iscsi_conn_get(copy.conn);
		copy.conn->rx_tags = copy.tags;
		session_exec(copy.conn, &pdu, copy.ddigest_ok, false);
		copy.conn->rx_tags = saved;
		nx_iscsi_conn_put(copy.conn);
	} else {
		nx_iscsi_session_credit(s);
	}
	nx_free(copy.buf);
}

/* Runs held commands (and skips CmdSNs considered received) while the
 * next expected one is available. */
static void session_drain(struct nx_iscsi_session *s)
{
	unsigned guard;

	/* The common case (commands in order on one connection): nothing
	 * held, nothing to skip, no scan of the hold slots. */
	if (s->nheld == 0 && s->nskip == 0)
		return;
	for (guard = 0; guard < NX_ISCSI_HOLD_MAX + NX_ISCSI_SKIP_MAX; guard++) {
		struct nx_iscsi_held *h;

		if (skip_take(s, s->exp_cmdsn)) {
			s->exp_cmdsn++;
			nx_iscsi_session_credit(s);
			continue;
		}
		h = held_find(s, s->exp_cmdsn);
		if (h == NULL)
			return;
		session_run_held(s, h);
	}
}

bool nx_iscsi_session_skip_cmdsn(struct nx_iscsi_session *s, uint32_t cmdsn,
				 uint32_t tmf_cmdsn)
{
	struct nx_iscsi_held *h;

	if (nx_sn_lt(cmdsn, s->exp_cmdsn) || nx_sn_lt(s->max_cmdsn, cmdsn) ||
	    !nx_sn_lt(cmdsn, tmf_cmdsn))
		return false;
	h = held_find(s, cmdsn);
	if (h != NULL)
		held_free(s, h); /* received but not yet run: it never will be */
	if (s->nskip >= NX_ISCSI_SKIP_MAX)
		return false;
	s->skip[s->nskip++] = cmdsn;
	session_drain(s);
	return true;
}

void nx_iscsi_session_rx_cmd(struct nx_iscsi_conn *c,
			     const struct nx_iscsi_pdu *pdu, bool ddigest_ok)
{
	struct nx_iscsi_session *s = c->sess;
	uint32_t cmdsn = nx_get_be32(pdu->bhs + 24);
	bool immediate = nx_pdu_immediate(pdu);

	nx_assert(s != NULL);
	/* RFC 7143 11.18: a NOP-Out that wants no answer (ITT reserved)
	 * is an immediate command whatever its I bit says. */
	if (nx_pdu_opcode(pdu) == NX_ISCSI_OP_NOP_OUT &&
	    nx_pdu_itt(pdu) == NX_ISCSI_RSVD_TAG)
		immediate = true;
	if (immediate) {
		session_exec(c, pdu, ddigest_ok, true);
		return;
	}
	if (cmdsn == s->exp_cmdsn) {
		s->exp_cmdsn++;
		session_exec(c, pdu, ddigest_ok, false);
		session_drain(s);
		return;
	}
	if (nx_sn_lt(s->exp_cmdsn, cmdsn) && nx_sn_le(cmdsn, s->max_cmdsn)) {
		session_hold(c, pdu, ddigest_ok, cmdsn);
		return;
	}
	/* RFC 7143 3.2.2.1: outside [ExpCmdSN, MaxCmdSN] the target MUST
	 * silently ignore it (libiscsi iSCSI.CmdSN tests). */
	nx_log(NX_LOG_DEBUG, "iscsi %s: CmdSN 0x%08x outside [0x%08x, 0x%08x], ignored",
	       c->peer, cmdsn, s->exp_cmdsn, s->max_cmdsn);
}
