/*
 * session.c - sessions, their connections, the request slot table and the
 * CmdSN window (RFC 7143 4.2.2.1).
 *
 * Every outstanding request owns a slot; ITT = generation << 8 | slot, so
 * allocation is deterministic (lowest free slot, counter-driven
 * generation) and a late answer for a finished request never matches.
 * Non-immediate commands wait in submit order for the window to open.
 */
#include "ini_internal.h"

void nx_ini_config_init(struct nx_ini_config *cfg, const char *initiator_name,
			const char *target_name)
{
	nx_assert(cfg != NULL);
	nx_assert(initiator_name != NULL);
	memset(cfg, 0, sizeof(*cfg));
	nx_snprintf(cfg->initiator_name, sizeof(cfg->initiator_name), "%s",
		    initiator_name);
	if (target_name != NULL)
		nx_snprintf(cfg->target_name, sizeof(cfg->target_name), "%s",
			    target_name);
	cfg->discovery = target_name == NULL;
	/* RFC 7143 10.12.5: random-qualifier ISID format by default. */
	cfg->isid[0] = 0x80;
	cfg->mutual_challenge_len = 16;
	nx_snprintf(cfg->header_digest, sizeof(cfg->header_digest), "None");
	nx_snprintf(cfg->data_digest, sizeof(cfg->data_digest), "None");
	cfg->immediate_data = true;
	cfg->initial_r2t = true;
	cfg->max_recv_dsl = 262144;
	cfg->max_burst_length = 262144;
	cfg->first_burst_length = 65536;
	cfg->max_connections = 1;
	cfg->max_outstanding_r2t = 1;
	cfg->default_time2wait = 2;
	cfg->default_time2retain = 20;
	cfg->data_pdu_in_order = true;
	cfg->data_sequence_in_order = true;
	cfg->error_recovery_level = 0;
	cfg->initial_cmdsn = 1;
	cfg->max_cmds = NX_INI_MAX_CMDS;
}

/* RFC 7143 §13 defaults: what holds until the login says otherwise. */
static void params_default(struct nx_ini_params *p)
{
	memset(p, 0, sizeof(*p));
	p->immediate_data = true;
	p->initial_r2t = true;
	p->data_pdu_in_order = true;
	p->data_sequence_in_order = true;
	p->max_xmit_dsl = 8192;
	p->max_recv_dsl = 8192;
	p->max_burst_length = 262144;
	p->first_burst_length = 65536;
	p->max_connections = 1;
	p->max_outstanding_r2t = 1;
	p->default_time2wait = 2;
	p->default_time2retain = 20;
}

struct nx_ini_session *nx_ini_session_new(const struct nx_ini_config *cfg)
{
	struct nx_ini_session *s;

	nx_assert(cfg != NULL);
	if (cfg->max_recv_dsl < 512 || cfg->max_recv_dsl > 16777215 ||
	    cfg->max_cmds == 0 || cfg->max_cmds > NX_INI_MAX_CMDS ||
	    cfg->mutual_challenge_len == 0 ||
	    cfg->mutual_challenge_len > NX_INI_CHALLENGE_MAX)
		return NULL;
	s = nx_alloc(sizeof(*s));
	if (s == NULL)
		return NULL;
	s->text_buf = nx_alloc(INI_TEXT_MAX + 1);
	if (s->text_buf == NULL) {
		nx_free(s);
		return NULL;
	}
	s->cfg = *cfg;
	/* Never trust the caller's strings to be terminated. */
	s->cfg.initiator_name[NX_INI_NAME_MAX - 1] = '\0';
	s->cfg.target_name[NX_INI_NAME_MAX - 1] = '\0';
	s->cfg.chap_secret[NX_INI_SECRET_MAX - 1] = '\0';
	s->cfg.mutual_secret[NX_INI_SECRET_MAX - 1] = '\0';
	s->cfg.extra_keys[NX_INI_EXTRA_KEYS_MAX - 1] = '\0';
	s->discovery = cfg->discovery;
	s->cmdsn = cfg->initial_cmdsn;
	s->exp_cmdsn = cfg->initial_cmdsn;
	s->max_cmdsn = cfg->initial_cmdsn;
	params_default(&s->params);
	return s;
}

void nx_ini_session_free(struct nx_ini_session *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < NX_INI_MAX_CONNS; i++)
		nx_assert(s->conns[i] == NULL);
	nx_free(s->text_buf);
	nx_free(s);
}

struct nx_ini_conn *nx_ini_conn_new(struct nx_ini_session *s, uint16_t cid,
				    const struct nx_ini_conn_ops *ops,
				    void *ctx)
{
	struct nx_ini_conn *c;
	unsigned slot = NX_INI_MAX_CONNS;

	nx_assert(s != NULL);
	nx_assert(ops != NULL && ops->send != NULL && ops->close != NULL);
	for (unsigned i = 0; i < NX_INI_MAX_CONNS; i++) {
		if (s->conns[i] == NULL && slot == NX_INI_MAX_CONNS)
			slot = i;
		else if (s->conns[i] != NULL && s->conns[i]->cid == cid)
			return NULL; /* RFC 7143 11.12.6: CIDs are unique */
	}
	if (slot == NX_INI_MAX_CONNS)
		return NULL;
	c = nx_alloc(sizeof(*c));
	if (c == NULL)
		return NULL;
	/* BHS + AHS + header digest + data (largest we declare, at least
	 * the login-phase 8192) + pad + data digest. */
	c->rx_cap = NX_ISCSI_BHS_LEN + INI_AHS_MAX + 4 +
		    NX_MAX(s->cfg.max_recv_dsl, (uint32_t)INI_LOGIN_DSL) + 3 + 4;
	c->rx = nx_alloc(c->rx_cap);
	if (c->rx == NULL) {
		nx_free(c);
		return NULL;
	}
	c->s = s;
	c->ops = ops;
	c->ctx = ctx;
	c->cid = cid;
	c->state = INI_CONN_FREE;
	c->params = s->params;
	s->conns[slot] = c;
	return c;
}

void nx_ini_conn_free(struct nx_ini_conn *c)
{
	struct nx_ini_session *s;

	if (c == NULL)
		return;
	s = c->s;
	c->state = INI_CONN_DEAD;
	nx_ini_conn_fail_ops(c, NX_INI_ECONNRESET);
	nx_ini_login_free(c);
	for (unsigned i = 0; i < NX_INI_MAX_CONNS; i++) {
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	}
	nx_free(c->rx);
	nx_free(c);
}

void nx_ini_conn_closed(struct nx_ini_conn *c)
{
	nx_assert(c != NULL);
	c->state = INI_CONN_DEAD;
	nx_ini_conn_fail_ops(c, NX_INI_ECONNRESET);
	nx_ini_login_free(c);
}

void nx_ini_conn_fail_ops(struct nx_ini_conn *c, int err)
{
	struct nx_ini_session *s = c->s;

	/* Slot order: deterministic, and each completion may free slots. */
	for (unsigned i = 0; i < INI_SLOTS; i++) {
		struct ini_slot *sl = &s->slots[i];

		if (sl->kind != INI_OP_FREE && sl->conn == c)
			nx_ini_slot_complete(s, sl, err);
	}
}

void nx_ini_conn_fail(struct nx_ini_conn *c, int err, const char *why)
{
	if (c->state == INI_CONN_DEAD)
		return;
	nx_log(NX_LOG_WARN, "initiator: cid %u dropped: %s (%d)",
	       (unsigned)c->cid, why, err);
	c->state = INI_CONN_DEAD;
	c->ops->close(c->ctx);
	nx_ini_conn_fail_ops(c, err);
	nx_ini_login_free(c);
}

/* ---- slots ---------------------------------------------------------------- */

/* The lowest free slot in [lo, hi), hi if none. */
static unsigned slot_first_free(const struct nx_ini_session *s, unsigned lo,
				unsigned hi)
{
	for (unsigned w = lo / 64; w * 64 < hi; w++) {
		uint64_t free = ~s->slot_busy[w];

		if (w == lo / 64)
			free &= ~0ull << (lo % 64);
		if (free != 0)
			return NX_MIN(w * 64 + (unsigned)__builtin_ctzll(free), hi);
	}
	return hi;
}

struct ini_slot *nx_ini_slot_alloc(struct nx_ini_session *s, uint8_t kind,
				struct nx_ini_conn *c, void *req)
{
	unsigned lo = kind == INI_OP_SCSI ? 0 : NX_INI_MAX_CMDS;
	unsigned hi = kind == INI_OP_SCSI ? s->cfg.max_cmds : INI_SLOTS;
	unsigned i = slot_first_free(s, lo, hi);
	struct ini_slot *sl;

	nx_assert(kind != INI_OP_FREE);
	if (i == hi)
		return NULL;
	sl = &s->slots[i];
	nx_assert(sl->kind == INI_OP_FREE);
	s->slot_busy[i / 64] |= 1ull << (i % 64);
	memset(sl, 0, sizeof(*sl));
	s->itt_gen = (s->itt_gen + 1) & 0xffffff;
	sl->itt = s->itt_gen << 8 | i;
	sl->kind = kind;
	sl->conn = c;
	sl->req = req;
	sl->seq = s->seq++;
	if (kind == INI_OP_SCSI)
		s->scsi_count++;
	return sl;
}

void nx_ini_slot_free(struct nx_ini_session *s, struct ini_slot *sl)
{
	unsigned i = (unsigned)(sl - s->slots);

	nx_assert(i < INI_SLOTS && sl->kind != INI_OP_FREE);
	sl->kind = INI_OP_FREE;
	s->slot_busy[i / 64] &= ~(1ull << (i % 64));
}

struct ini_slot *nx_ini_slot_find(struct nx_ini_session *s, uint32_t itt)
{
	uint32_t i = itt & 0xff;

	if (itt == INI_RSV_TAG || i >= INI_SLOTS)
		return NULL;
	if (s->slots[i].kind == INI_OP_FREE || s->slots[i].itt != itt)
		return NULL;
	return &s->slots[i];
}

static void call_done(uint8_t kind, void *req, int err)
{
	switch (kind) {
	case INI_OP_SCSI: {
		struct nx_ini_scsi *r = req;

		r->err = err;
		if (r->done != NULL)
			r->done(r);
		break;
	}
	case INI_OP_TMF: {
		struct nx_ini_tmf *r = req;

		r->err = err;
		if (r->done != NULL)
			r->done(r);
		break;
	}
	case INI_OP_NOP: {
		struct nx_ini_nop *r = req;

		r->err = err;
		if (r->done != NULL)
			r->done(r);
		break;
	}
	case INI_OP_TEXT: {
		struct nx_ini_text *r = req;

		r->err = err;
		if (r->done != NULL)
			r->done(r);
		break;
	}
	case INI_OP_LOGOUT: {
		struct nx_ini_logout *r = req;

		r->err = err;
		if (r->done != NULL)
			r->done(r);
		break;
	}
	case INI_OP_LOGIN: {
		struct nx_ini_login *r = req;

		r->err = err;
		if (r->done != NULL)
			r->done(r);
		break;
	}
	default:
		nx_assert(0);
	}
}

void nx_ini_slot_complete(struct nx_ini_session *s, struct ini_slot *sl, int err)
{
	uint8_t kind = sl->kind;
	void *req = sl->req;

	nx_assert(kind != INI_OP_FREE);
	nx_assert(req != NULL);
	if (kind == INI_OP_SCSI) {
		nx_assert(s->scsi_count > 0);
		s->scsi_count--;
		/* The datamover lets go of the buffers before done(). */
		if (sl->state == INI_SLOT_SENT && sl->conn != NULL &&
		    sl->conn->dm != NULL)
			sl->conn->dm->cmd_end(sl->conn->dm_ctx, sl->itt, req);
	}
	if (kind == INI_OP_TEXT)
		s->text_busy = false;
	if (sl->state == INI_SLOT_QUEUED) {
		nx_assert(s->queued > 0);
		s->queued--;
		sl->state = 0;
	}
	/* Free first: done() may submit the next request into this slot. */
	nx_ini_slot_free(s, sl);
	sl->req = NULL;
	call_done(kind, req, err);
}

/* ---- CmdSN window ---------------------------------------------------------- */

static bool window_open(const struct nx_ini_session *s)
{
	return ini_sn_le(s->cmdsn, s->max_cmdsn);
}

static struct ini_slot *oldest_queued(struct nx_ini_session *s)
{
	struct ini_slot *best = NULL;

	if (s->queued == 0)
		return NULL;
	if (s->queued == 1 && s->queued_last->state == INI_SLOT_QUEUED &&
	    s->queued_last->kind != INI_OP_FREE)
		return s->queued_last;
	for (unsigned i = 0; i < INI_SLOTS; i++) {
		struct ini_slot *sl = &s->slots[i];

		if (sl->kind == INI_OP_FREE || sl->state != INI_SLOT_QUEUED)
			continue;
		if (best == NULL || sl->seq < best->seq)
			best = sl;
	}
	return best;
}

static void send_slot(struct nx_ini_session *s, struct ini_slot *sl)
{
	nx_assert(s->queued > 0);
	s->queued--;
	sl->state = INI_SLOT_SENT;
	sl->seq = s->seq++;
	if (sl->kind == INI_OP_SCSI)
		nx_ini_scsi_send(s, sl);
	else
		nx_ini_text_send(s, sl);
}

void nx_ini_slot_dispatch(struct nx_ini_session *s, struct ini_slot *sl)
{
	nx_assert(sl->kind == INI_OP_SCSI || sl->kind == INI_OP_TEXT);
	nx_assert(sl->state != INI_SLOT_QUEUED);
	sl->state = INI_SLOT_QUEUED;
	s->queued++;
	s->queued_last = sl;
	nx_ini_session_flush(s);
}

void nx_ini_session_flush(struct nx_ini_session *s)
{
	/* Bounded: each round sends one queued slot. */
	for (unsigned n = 0; n < INI_SLOTS && window_open(s); n++) {
		struct ini_slot *sl = oldest_queued(s);

		if (sl == NULL)
			return;
		if (sl->conn->state != INI_CONN_FFP) {
			nx_ini_slot_complete(s, sl, NX_INI_ECONNRESET);
			continue;
		}
		send_slot(s, sl);
	}
}

void nx_ini_session_window(struct nx_ini_session *s, uint32_t exp, uint32_t max)
{
	/* RFC 7143 4.2.2.1: MaxCmdSN < ExpCmdSN - 1 means ignore both. */
	if (ini_sn_lt(max, exp - 1))
		return;
	if (ini_sn_lt(s->exp_cmdsn, exp))
		s->exp_cmdsn = exp;
	if (ini_sn_lt(s->max_cmdsn, max))
		s->max_cmdsn = max;
}

/* ---- accessors -------------------------------------------------------------- */

void nx_ini_conn_set_rx_hook(struct nx_ini_conn *c, nx_ini_rx_hook hook,
			     void *arg)
{
	c->rx_hook = hook;
	c->rx_hook_arg = arg;
}

void nx_ini_conn_set_dm(struct nx_ini_conn *c, const struct nx_ini_dm_ops *dm,
			void *ctx)
{
	nx_assert(c->state == INI_CONN_FREE);
	nx_assert(dm == NULL || (dm->cmd_start != NULL && dm->cmd_end != NULL));
	c->dm = dm;
	c->dm_ctx = ctx;
}

bool nx_ini_conn_is_ffp(const struct nx_ini_conn *c)
{
	return c->state == INI_CONN_FFP;
}

bool nx_ini_conn_is_dead(const struct nx_ini_conn *c)
{
	return c->state == INI_CONN_DEAD;
}

struct nx_ini_session *nx_ini_conn_session(const struct nx_ini_conn *c)
{
	return c->s;
}

const struct nx_ini_params *nx_ini_conn_params(const struct nx_ini_conn *c)
{
	return &c->params;
}

uint16_t nx_ini_session_tsih(const struct nx_ini_session *s)
{
	return s->tsih;
}

const struct nx_ini_stats *nx_ini_session_stats(const struct nx_ini_session *s)
{
	return &s->stats;
}

unsigned nx_ini_session_outstanding(const struct nx_ini_session *s)
{
	return s->scsi_count;
}

uint32_t nx_ini_session_cmdsn(const struct nx_ini_session *s)
{
	return s->cmdsn;
}

uint32_t nx_ini_session_take_cmdsn(struct nx_ini_session *s)
{
	return s->cmdsn++;
}

uint32_t nx_ini_session_max_cmdsn(const struct nx_ini_session *s)
{
	return s->max_cmdsn;
}

uint32_t nx_ini_session_exp_cmdsn(const struct nx_ini_session *s)
{
	return s->exp_cmdsn;
}

uint32_t nx_ini_conn_exp_statsn(const struct nx_ini_conn *c)
{
	return c->exp_statsn;
}

uint64_t nx_ini_lun(uint32_t lun)
{
	/* SAM-5 4.7.7.2 peripheral / 4.7.7.3 flat space addressing. */
	if (lun < 256)
		return (uint64_t)lun << 48;
	return (uint64_t)(0x4000 | (lun & 0x3fff)) << 48;
}

bool nx_ini_cancel(struct nx_ini_session *s, uint32_t itt)
{
	struct ini_slot *sl = nx_ini_slot_find(s, itt);

	if (sl == NULL)
		return false;
	if (sl->kind == INI_OP_LOGIN) {
		nx_ini_conn_fail(sl->conn, NX_INI_ECANCELED, "login cancelled");
		return true;
	}
	nx_ini_slot_complete(s, sl, NX_INI_ECANCELED);
	return true;
}
