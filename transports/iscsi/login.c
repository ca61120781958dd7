/*
 * login.c - the iSCSI login phase, target side (RFC 7143 §6, 11.12,
 * 11.13): stages, CSG/NSG/T/C handling, identity checks, authentication
 * method selection, key negotiation (params.c), CHAP (chap.c), and the
 * Login Response.
 *
 * Stages (RFC 7143 6.3): SecurityNegotiation (0) -> LoginOperational-
 * Negotiation (1) -> FullFeaturePhase (3).  The initiator asks to move
 * with T=1 and NSG; the target agrees by answering T=1 with the same NSG,
 * or stays (T=0) while it still needs something (CHAP not finished).
 */
#include "nego_internal.h"

enum {
	STAGE_SECNEG = 0,
	STAGE_OPNEG = 1,
	STAGE_FFP = 3,
};

enum {
	AUTH_PENDING, /* no AuthMethod agreed yet */
	AUTH_CHAP,    /* CHAP agreed, running */
	AUTH_DONE,    /* authenticated (or AuthMethod=None allowed) */
};

/* Login Request / Response flag bits (RFC 7143 11.12.1, 11.13.1) */
#define LOGIN_T 0x80
#define LOGIN_C 0x40
#define LOGIN_CSG(b) (((b) >> 2) & 3)
#define LOGIN_NSG(b) ((b) & 3)

struct login_req {
	bool transit;
	bool cont;
	uint8_t csg, nsg;
	uint8_t vmax, vmin;
	uint8_t isid[6];
	uint16_t tsih, cid;
	uint32_t itt, exp_statsn;
};

struct nx_iscsi_login {
	struct nx_iscsi_conn *conn;
	struct nx_iscsi_params params;  /* settled values, copied at the end */
	struct nx_iscsi_nego nego;
	struct nx_iscsi_textbuf out;    /* this Login Response's keys */
	const struct nx_iscsi_target_config *tcfg; /* NULL for discovery */
	struct nx_chap chap;
	struct nx_chap_creds creds;     /* valid when chap_required */
	struct nx_iscsi_kv kv[NX_ISCSI_KEYS_MAX];
	char *rx;                       /* key set, continuations joined */
	uint32_t rx_len;
	uint32_t rx_cap;                /* one PDU's worth, grown for C=1 */
	uint8_t isid[6];
	uint16_t tsih, cid;
	uint8_t stage;
	uint8_t auth;
	bool started;      /* first Login Request seen */
	bool identified;   /* first complete key set checked */
	bool chap_required;
	bool mrdsl_declared;
	bool finished;     /* success or failure answered: no more input */
	bool pending;      /* final response held (NX_ISCSI_LOGIN_PENDING) */
	struct login_req held_rq;  /* the request it answers */
	uint8_t held_flags;
};

struct nx_iscsi_login *nx_iscsi_login_new(struct nx_iscsi_conn *c)
{
	struct nx_iscsi_login *l = nx_alloc(sizeof(*l));

	if (l == NULL)
		return NULL;
	/* One login PDU's data (8192 bytes, RFC 7143 6.3); only a key set
	 * continued over several PDUs (C bit) grows it, up to
	 * NX_ISCSI_TEXT_SET_MAX: a connection that merely connects costs
	 * little. */
	l->rx_cap = NX_ISCSI_LOGIN_RSP_MAX;
	l->rx = nx_alloc(l->rx_cap);
	l->out.buf = nx_alloc(NX_ISCSI_LOGIN_RSP_MAX);
	if (l->rx == NULL || l->out.buf == NULL) {
		nx_free(l->rx);
		nx_free(l->out.buf);
		nx_free(l);
		return NULL;
	}
	l->conn = c;
	l->out.cap = NX_ISCSI_LOGIN_RSP_MAX;
	nx_iscsi_params_default(&l->params);
	l->nego.p = &l->params;
	l->nego.out = &l->out;
	l->nego.rdma = nx_iscsi_conn_is_rdma(c);
	l->auth = AUTH_PENDING;
	return l;
}

void nx_iscsi_login_free(struct nx_iscsi_login *l)
{
	if (l == NULL)
		return;
	nx_chap_fini(&l->chap);
	nx_free(l->rx);
	nx_free(l->out.buf);
	memset(l, 0, sizeof(*l));
	nx_free(l);
}

/* ---- shared lookups ------------------------------------------------------ */

const struct nx_iscsi_target_config *
nx_iscsi_find_target(const struct nx_iscsi_server_config *cfg,
		     const char *name)
{
	nx_assert(cfg->target_count <= NX_ISCSI_MAX_TARGETS);
	for (unsigned i = 0; i < cfg->target_count; i++) {
		const struct nx_iscsi_target_config *t = &cfg->targets[i];

		if (t->target != NULL &&
		    nx_iscsi_name_eq(nx_target_name(t->target), name))
			return t;
	}
	return NULL;
}

bool nx_iscsi_acl_allows(const struct nx_iscsi_target_config *t,
			 const char *initiator)
{
	nx_assert(t->acl_count <= NX_ISCSI_MAX_ACL);
	if (t->acl_count == 0)
		return true; /* no ACL: every initiator */
	for (unsigned i = 0; i < t->acl_count; i++)
		if (t->acl[i] != NULL && nx_iscsi_name_eq(t->acl[i], initiator))
			return true;
	return false;
}

/* ---- Login Response ------------------------------------------------------ */

static void send_rsp(struct nx_iscsi_login *l, const struct login_req *rq,
		     uint8_t flags, uint16_t tsih, uint16_t status,
		     const void *data, uint32_t len)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	memset(bhs, 0, sizeof(bhs));
	bhs[0] = NX_ISCSI_OP_LOGIN_RSP;
	bhs[1] = flags;
	bhs[2] = 0x00; /* Version-max */
	bhs[3] = 0x00; /* Version-active (RFC 7143 11.13.3) */
	memcpy(bhs + 8, rq->isid, 6);
	nx_put_be16(bhs + 14, tsih);
	nx_put_be32(bhs + 16, rq->itt);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(l->conn));
	nx_iscsi_conn_fill_sn(l->conn, bhs);
	bhs[36] = (uint8_t)(status >> 8); /* Status-Class */
	bhs[37] = (uint8_t)status;        /* Status-Detail */
	nx_iscsi_conn_send_pdu(l->conn, bhs, data, len);
}

/* RFC 7143 11.13.5: a failing response ends the login; the connection
 * is then dropped by the caller. */
static int login_fail(struct nx_iscsi_login *l, const struct login_req *rq,
		      uint16_t status)
{
	/* Answers so far matter to the initiator only for authentication
	 * (e.g. CHAP_A=Reject); other failures carry no keys. */
	bool keys = status == NX_LOGIN_AUTH_FAILED && !l->out.overflow;
	bool chap = status == NX_LOGIN_AUTH_FAILED && l->auth == AUTH_CHAP;

	nx_assert(status != NX_LOGIN_SUCCESS);
	/* No key value in this line: the reason, never a response or a
	 * challenge (and never a secret: they are not in l->params). */
	nx_iscsi_conn_login_failed(l->conn, status);
	NX_ISCSI_CONN_LOG(l->conn, NX_ILOG_LOGIN, NX_LOG_INFO,
			  "iscsi login: failed, status %02x/%02x (%s)%s%s",
			  status >> 8, status & 0xff,
			  l->params.initiator_name, chap ? ": CHAP: " : "",
			  chap ? nx_chap_error_str(l->chap.error) : "");
	/* A CHAP attempt that failed counts towards the brute-force
	 * lockout of this initiator name and source address. */
	if (chap)
		nx_iscsi_conn_auth_result(l->conn, l->params.initiator_name,
					  false);
	send_rsp(l, rq, (uint8_t)(l->stage << 2), rq->tsih, status,
		 keys ? l->out.buf : NULL, keys ? l->out.len : 0);
	l->finished = true;
	return -1;
}

/* ---- request header ------------------------------------------------------ */

static void decode_req(const struct nx_iscsi_pdu *pdu, struct login_req *rq)
{
	const uint8_t *b = pdu->bhs;

	rq->transit = (b[1] & LOGIN_T) != 0;
	rq->cont = (b[1] & LOGIN_C) != 0;
	rq->csg = LOGIN_CSG(b[1]);
	rq->nsg = LOGIN_NSG(b[1]);
	rq->vmax = b[2];
	rq->vmin = b[3];
	memcpy(rq->isid, b + 8, 6);
	rq->tsih = nx_get_be16(b + 14);
	rq->itt = nx_get_be32(b + 16);
	rq->cid = nx_get_be16(b + 20);
	rq->exp_statsn = nx_get_be32(b + 28);
}

static uint16_t check_first(struct nx_iscsi_login *l, const struct login_req *rq)
{
	nx_iscsi_conn_login_start(l->conn, rq->exp_statsn);
	l->started = true;
	memcpy(l->isid, rq->isid, 6);
	l->tsih = rq->tsih;
	l->cid = rq->cid;
	l->nego.leading = rq->tsih == 0;
	l->stage = rq->csg == STAGE_OPNEG ? STAGE_OPNEG : STAGE_SECNEG;
	/* RFC 7143 11.12.4: we speak version 0x00 only */
	if (rq->vmin != 0x00 || rq->vmax < rq->vmin)
		return NX_LOGIN_UNSUPPORTED_VERSION;
	if (rq->csg != STAGE_SECNEG && rq->csg != STAGE_OPNEG)
		return NX_LOGIN_INITIATOR_ERROR;
	/* A connection over its portal's cap (0302h, RFC 7143 11.13.5). */
	return nx_iscsi_conn_login_refusal(l->conn);
}

static uint16_t check_header(struct nx_iscsi_login *l,
			     const struct nx_iscsi_pdu *pdu,
			     const struct login_req *rq)
{
	uint16_t st;

	if (!l->started) {
		st = check_first(l, rq);
		if (st != NX_LOGIN_SUCCESS)
			return st;
	} else if (memcmp(rq->isid, l->isid, 6) != 0 || rq->tsih != l->tsih ||
		   rq->cid != l->cid || rq->csg != l->stage) {
		/* RFC 7143 6.3: one login phase, one ISID/TSIH/CID, and the
		 * CSG is the stage both sides are in */
		return NX_LOGIN_INITIATOR_ERROR;
	}
	if (nx_pdu_opcode(pdu) != NX_ISCSI_OP_LOGIN_REQ)
		return NX_LOGIN_INVALID_DURING_LOGIN;
	/* RFC 7143 11.12.2: C=1 forbids T=1; NSG 2 is reserved and a
	 * transition only goes forward */
	if (rq->transit && (rq->cont || rq->nsg == 2 || rq->nsg <= rq->csg))
		return NX_LOGIN_INITIATOR_ERROR;
	if (pdu->data_len > NX_ISCSI_TEXT_SET_MAX - l->rx_len)
		return NX_LOGIN_OUT_OF_RESOURCES;
	return NX_LOGIN_SUCCESS;
}

/* ---- identity: the first complete key set -------------------------------- */

static const struct nx_iscsi_kv *find_kv(const struct nx_iscsi_login *l,
					 unsigned count, const char *key)
{
	for (unsigned i = 0; i < count; i++)
		if (strcmp(l->kv[i].key, key) == 0)
			return &l->kv[i];
	return NULL;
}

static uint16_t identify_target(struct nx_iscsi_login *l, unsigned count)
{
	const struct nx_iscsi_kv *tn = find_kv(l, count, "TargetName");
	const struct nx_iscsi_server_config *cfg =
		nx_iscsi_conn_server_config(l->conn);
	const char *name;

	if (tn == NULL)
		return NX_LOGIN_MISSING_PARAM; /* RFC 7143 13.4 */
	l->tcfg = nx_iscsi_find_target(cfg, tn->value);
	if (l->tcfg == NULL)
		return NX_LOGIN_NOT_FOUND;
	if (!nx_iscsi_acl_allows(l->tcfg, l->params.initiator_name))
		return NX_LOGIN_FORBIDDEN;
	/* store the configured spelling: the session layer matches it */
	name = nx_target_name(l->tcfg->target);
	if (strlen(name) >= NX_NAME_MAX)
		return NX_LOGIN_TARGET_ERROR;
	memcpy(l->params.target_name, name, strlen(name) + 1);
	l->nego.seen |= 1ull << NX_K_TARGET_NAME;
	l->chap_required = l->tcfg->chap.set;
	l->creds.chap = &l->tcfg->chap;
	l->creds.mutual = &l->tcfg->mutual_chap;
	return NX_LOGIN_SUCCESS;
}

/* RFC 7143 12: a discovery session may be required to authenticate too
 * (nexus-target --discovery-chap). */
static void identify_discovery(struct nx_iscsi_login *l)
{
	const struct nx_iscsi_server_config *cfg =
		nx_iscsi_conn_server_config(l->conn);

	l->chap_required = cfg->discovery_chap.set;
	l->creds.chap = &cfg->discovery_chap;
	l->creds.mutual = &cfg->discovery_mutual_chap;
}

/* RFC 7143 4.2.7.1 / RFC 3722: iSCSI names have no spaces or control
 * characters.  The name is logged and keys the CHAP lockout: a name with
 * a newline or an escape sequence would forge log lines. */
static bool name_printable(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

/* RFC 7143 13.4, 13.5, 13.21: the first request names the initiator, the
 * session type and, for a normal session, the target. */
static uint16_t identify(struct nx_iscsi_login *l, unsigned count)
{
	const struct nx_iscsi_kv *in = find_kv(l, count, "InitiatorName");
	const struct nx_iscsi_kv *st = find_kv(l, count, "SessionType");
	uint16_t rc;

	l->identified = true;
	if (in == NULL)
		return NX_LOGIN_MISSING_PARAM;
	if (in->value_len == 0 || in->value_len >= NX_NAME_MAX ||
	    !name_printable(in->value))
		return NX_LOGIN_INITIATOR_ERROR;
	memcpy(l->params.initiator_name, in->value, in->value_len + 1);
	l->nego.seen |= 1ull << NX_K_INITIATOR_NAME;
	if (st != NULL && strcmp(st->value, "Discovery") == 0)
		l->params.discovery = true;
	else if (st != NULL && strcmp(st->value, "Normal") != 0)
		return NX_LOGIN_SESSION_TYPE;
	l->nego.seen |= 1ull << NX_K_SESSION_TYPE;
	if (!l->params.discovery) {
		rc = identify_target(l, count);
		if (rc != NX_LOGIN_SUCCESS)
			return rc;
		/* RFC 7143 13.9: returned in the first Login Response when
		 * the initiator gave TargetName */
		nx_iscsi_text_put_u32(&l->out, "TargetPortalGroupTag",
				      nx_iscsi_conn_tpgt(l->conn));
	} else {
		identify_discovery(l);
	}
	/* Skipping security negotiation is no way around CHAP. */
	if (l->chap_required && l->stage != STAGE_SECNEG)
		return NX_LOGIN_AUTH_FAILED;
	/* Brute-force lockout: refused before any challenge, with the same
	 * answer a wrong response gets (RFC 7143 11.13.5 0201h), so the
	 * lockout is no oracle and a 02xx status tells initiators not to
	 * retry at once (class 03 would invite it). */
	if (l->chap_required &&
	    nx_iscsi_conn_auth_blocked(l->conn, l->params.initiator_name))
		return NX_LOGIN_AUTH_FAILED;
	return NX_LOGIN_SUCCESS;
}

/* ---- keys and authentication --------------------------------------------- */

static void collect_security(int id, const char *value, const char **auth,
			     struct nx_chap_keys *ck)
{
	switch (id) {
	case NX_K_AUTH_METHOD: *auth = value; break;
	case NX_K_CHAP_A: ck->a = value; break;
	case NX_K_CHAP_I: ck->i = value; break;
	case NX_K_CHAP_C: ck->c = value; break;
	case NX_K_CHAP_N: ck->n = value; break;
	case NX_K_CHAP_R: ck->r = value; break;
	default: nx_assert(false);
	}
}

static uint16_t run_keys(struct nx_iscsi_login *l, unsigned count,
			 const char **auth, struct nx_chap_keys *ck)
{
	for (unsigned i = 0; i < count; i++) {
		int id;
		int rc = nx_iscsi_nego_key(&l->nego, &l->kv[i], &id);

		if (rc == NX_NEGO_PROTOCOL)
			return NX_LOGIN_INITIATOR_ERROR;
		if (rc != NX_NEGO_SECURITY)
			continue;
		/* RFC 7143 6.3: security keys belong to security negotiation */
		if (l->stage != STAGE_SECNEG)
			return NX_LOGIN_INITIATOR_ERROR;
		collect_security(id, l->kv[i].value, auth, ck);
	}
	return l->out.overflow ? NX_LOGIN_OUT_OF_RESOURCES : NX_LOGIN_SUCCESS;
}

/* RFC 7143 12.1: with CHAP configured only CHAP will do; without it only
 * None (we have nothing to check a CHAP response against). */
static uint16_t pick_auth(struct nx_iscsi_login *l, const char *list)
{
	const char *want = l->chap_required ? "CHAP" : "None";
	size_t wlen = strlen(want);
	const char *s = list;

	while (*s != '\0') {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (len == wlen && memcmp(s, want, len) == 0) {
			nx_iscsi_text_put(&l->out, "AuthMethod", want);
			if (!l->chap_required) {
				l->auth = AUTH_DONE;
				return NX_LOGIN_SUCCESS;
			}
			if (nx_chap_init(&l->chap) != NX_OK)
				return NX_LOGIN_OUT_OF_RESOURCES;
			l->auth = AUTH_CHAP;
			l->creds.alg_count = nx_chap_server_algs(
				nx_iscsi_conn_server_config(l->conn),
				&l->creds.algs);
			return NX_LOGIN_SUCCESS;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	nx_iscsi_text_put(&l->out, "AuthMethod", "Reject");
	return NX_LOGIN_AUTH_FAILED;
}

static uint16_t security(struct nx_iscsi_login *l, const struct login_req *rq,
			 const char *auth, const struct nx_chap_keys *ck)
{
	bool chap_keys = ck->a || ck->i || ck->c || ck->n || ck->r;
	uint16_t st;

	if (auth != NULL) {
		st = pick_auth(l, auth);
		if (st != NX_LOGIN_SUCCESS)
			return st;
	}
	if (chap_keys) {
		if (l->auth != AUTH_CHAP)
			return NX_LOGIN_AUTH_FAILED; /* CHAP keys, no CHAP */
		st = nx_chap_step(&l->chap, &l->creds, ck, &l->out);
		if (st != NX_LOGIN_SUCCESS)
			return st;
		if (l->chap.state == NX_CHAP_DONE) {
			l->auth = AUTH_DONE;
			nx_chap_fini(&l->chap);
			nx_iscsi_conn_auth_result(l->conn,
						  l->params.initiator_name, true);
		}
	}
	if (rq->transit && l->auth == AUTH_PENDING) {
		/* leaving security negotiation without offering AuthMethod */
		if (l->chap_required)
			return NX_LOGIN_AUTH_FAILED;
		l->auth = AUTH_DONE;
	}
	return NX_LOGIN_SUCCESS;
}

/* ---- a complete key set -------------------------------------------------- */

/* The final Login Response, success or failure (l->out still holds the
 * keys of the last key set). */
static int finish_rsp(struct nx_iscsi_login *l, const struct login_req *rq,
		      uint8_t flags, uint16_t st, uint16_t tsih)
{
	struct nx_iscsi_params *cp;

	if (st != NX_LOGIN_SUCCESS)
		return login_fail(l, rq, st);
	nx_assert(tsih != 0);
	send_rsp(l, rq, flags, tsih, NX_LOGIN_SUCCESS, l->out.buf, l->out.len);
	cp = nx_iscsi_conn_params(l->conn);
	cp->header_digest = l->params.header_digest;
	cp->data_digest = l->params.data_digest;
	l->finished = true;
	return 1;
}

static int finish(struct nx_iscsi_login *l, const struct login_req *rq,
		  uint8_t flags)
{
	struct nx_iscsi_params *cp = nx_iscsi_conn_params(l->conn);
	uint16_t tsih = 0;
	uint16_t st;

	/* RFC 7145 5.1: an RDMA connection speaks iSER or nothing; the
	 * leading login must have agreed RDMAExtensions=Yes. */
	if (l->nego.rdma && l->nego.leading && !l->params.rdma_extensions)
		return login_fail(l, rq, NX_LOGIN_INITIATOR_ERROR);
	/* Digests start with the first PDU after the final Login Response
	 * (RFC 7143 13.1): publish them only once that response is out. */
	*cp = l->params;
	cp->header_digest = false;
	cp->data_digest = false;
	st = nx_iscsi_conn_login_complete(l->conn, l->isid, l->tsih, l->cid,
					  &tsih);
	if (st == NX_ISCSI_LOGIN_PENDING) {
		/* RFC 7143 6.3.5 / 6.3.4: the reinstated session's (or
		 * connection's) tasks end first; the answer waits. */
		l->pending = true;
		l->held_rq = *rq;
		l->held_flags = flags;
		return NX_ISCSI_LOGIN_RX_PENDING;
	}
	return finish_rsp(l, rq, flags, st, tsih);
}

int nx_iscsi_login_resume(struct nx_iscsi_login *l, uint16_t status,
			  uint16_t tsih)
{
	nx_assert(l != NULL && l->pending);
	nx_assert(status != NX_ISCSI_LOGIN_PENDING);
	l->pending = false;
	return finish_rsp(l, &l->held_rq, l->held_flags, status, tsih);
}

static void declare(struct nx_iscsi_login *l, bool entering_ffp)
{
	/* RFC 7143 13.12: our receive limit, an operational key: declared
	 * in operational negotiation, or in the final response when the
	 * initiator jumps from security negotiation to full feature phase */
	if (l->mrdsl_declared || (l->stage != STAGE_OPNEG && !entering_ffp))
		return;
	nx_iscsi_text_put_u32(&l->out, "MaxRecvDataSegmentLength",
			      NX_ISCSI_OUR_MAX_RECV_DSL);
	l->params.max_recv_dsl_target = NX_ISCSI_OUR_MAX_RECV_DSL;
	l->mrdsl_declared = true;
}

static int process_set(struct nx_iscsi_login *l, const struct login_req *rq)
{
	struct nx_chap_keys ck = { 0 };
	const char *auth = NULL;
	unsigned count = 0;
	uint16_t st = NX_LOGIN_SUCCESS;
	bool transit;
	uint8_t flags;
	int rc;

	l->out.len = 0;
	l->out.overflow = false;
	rc = nx_iscsi_kv_parse(l->rx, l->rx_len, l->kv, NX_ISCSI_KEYS_MAX, &count);
	l->rx_len = 0;
	if (rc != NX_OK)
		return login_fail(l, rq, NX_LOGIN_INITIATOR_ERROR);
	if (!l->identified)
		st = identify(l, count);
	if (st == NX_LOGIN_SUCCESS)
		st = run_keys(l, count, &auth, &ck);
	if (st == NX_LOGIN_SUCCESS && l->stage == STAGE_SECNEG)
		st = security(l, rq, auth, &ck);
	if (st != NX_LOGIN_SUCCESS)
		return login_fail(l, rq, st);
	/* The target follows a requested transition once it has nothing
	 * left to ask (RFC 7143 6.3): in security negotiation that means
	 * authentication is complete. */
	transit = rq->transit && (l->stage == STAGE_OPNEG || l->auth == AUTH_DONE);
	declare(l, transit && rq->nsg == STAGE_FFP);
	if (l->out.overflow)
		return login_fail(l, rq, NX_LOGIN_OUT_OF_RESOURCES);
	flags = (uint8_t)(l->stage << 2);
	if (transit)
		flags |= (uint8_t)(LOGIN_T | rq->nsg);
	if (transit && rq->nsg == STAGE_FFP)
		return finish(l, rq, flags);
	send_rsp(l, rq, flags, l->tsih, NX_LOGIN_SUCCESS, l->out.buf, l->out.len);
	if (transit)
		l->stage = rq->nsg;
	return 0;
}

static bool login_grow(struct nx_iscsi_login *l)
{
	char *big = nx_alloc(NX_ISCSI_TEXT_SET_MAX);

	if (big == NULL)
		return false;
	memcpy(big, l->rx, l->rx_len);
	nx_free(l->rx);
	l->rx = big;
	l->rx_cap = NX_ISCSI_TEXT_SET_MAX;
	return true;
}

int nx_iscsi_login_rx(struct nx_iscsi_login *l, const struct nx_iscsi_pdu *pdu)
{
	struct login_req rq;
	uint16_t st;

	nx_assert(l != NULL);
	nx_assert(pdu != NULL);
	if (l->finished || l->pending)
		return -1;
	decode_req(pdu, &rq);
	st = check_header(l, pdu, &rq);
	if (st != NX_LOGIN_SUCCESS)
		return login_fail(l, &rq, st);
	if (l->rx_len + pdu->data_len > l->rx_cap && !login_grow(l))
		return login_fail(l, &rq, NX_LOGIN_OUT_OF_RESOURCES);
	if (pdu->data_len > 0) {
		memcpy(l->rx + l->rx_len, pdu->data, pdu->data_len);
		l->rx_len += pdu->data_len;
	}
	if (rq.cont) {
		/* RFC 7143 11.12.2 / 6.4: more text follows; answer with an
		 * empty Login Response and wait for the rest */
		send_rsp(l, &rq, (uint8_t)(l->stage << 2), l->tsih,
			 NX_LOGIN_SUCCESS, NULL, 0);
		return 0;
	}
	return process_set(l, &rq);
}
