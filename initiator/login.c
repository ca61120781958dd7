/*
 * login.c - the initiator's login phase (RFC 7143 6, 11.12, 11.13):
 * SecurityNegotiation (AuthMethod, CHAP incl. mutual CHAP, RFC 7143
 * 12.1.3), LoginOperationalNegotiation (the §13 keys, table driven) and
 * the step into full feature phase.
 *
 * Every answer the target gives is checked against what was offered (a
 * MIN key must not grow, a Yes-AND key must not turn Yes...): the
 * initiator doubles as a conformance checker, so a violation fails the
 * login with NX_INI_EPROTO instead of being papered over.
 */
#include "ini_internal.h"

#define LOGIN_ROUNDS_MAX 16      /* requests per login: bounded */
#define LOGIN_TEXT_MAX 32768     /* one response key set (C-bit continued) */

enum ini_key {
	K_HD, K_DD, K_MAXCONN, K_IR2T, K_IMM, K_MRDSL, K_MBL, K_FBL, K_T2W,
	K_T2R, K_MAXR2T, K_PDUORDER, K_SEQORDER, K_ERL,
	K_RDMA, K_TRDSL, K_IRDSL,   /* RFC 7145 6.3-6.5: iSER only */
	K_COUNT,
};
#define K_ISER_FIRST K_RDMA

enum ini_ktype { KT_DIGEST, KT_AND, KT_OR, KT_MIN, KT_MAX, KT_DECL };

struct key_desc {
	const char *name;
	uint8_t type;          /* enum ini_ktype */
	bool session;          /* leading login only (RFC 7143 §13 "LO") */
	bool disc_irrelevant;  /* RFC 7143 13.22: Irrelevant for discovery */
	uint32_t min, max;
};

static const struct key_desc key_table[K_COUNT] = {
	[K_HD] = { "HeaderDigest", KT_DIGEST, false, false, 0, 1 },
	[K_DD] = { "DataDigest", KT_DIGEST, false, false, 0, 1 },
	[K_MAXCONN] = { "MaxConnections", KT_MIN, true, true, 1, 65535 },
	[K_IR2T] = { "InitialR2T", KT_OR, true, true, 0, 1 },
	[K_IMM] = { "ImmediateData", KT_AND, true, true, 0, 1 },
	[K_MRDSL] = { "MaxRecvDataSegmentLength", KT_DECL, false, false, 512,
		      16777215 },
	[K_MBL] = { "MaxBurstLength", KT_MIN, true, true, 512, 16777215 },
	[K_FBL] = { "FirstBurstLength", KT_MIN, true, true, 512, 16777215 },
	[K_T2W] = { "DefaultTime2Wait", KT_MAX, true, false, 0, 3600 },
	[K_T2R] = { "DefaultTime2Retain", KT_MIN, true, false, 0, 3600 },
	[K_MAXR2T] = { "MaxOutstandingR2T", KT_MIN, true, true, 1, 65535 },
	[K_PDUORDER] = { "DataPDUInOrder", KT_OR, true, true, 0, 1 },
	[K_SEQORDER] = { "DataSequenceInOrder", KT_OR, true, true, 0, 1 },
	[K_ERL] = { "ErrorRecoveryLevel", KT_MIN, true, false, 0, 2 },
	[K_RDMA] = { "RDMAExtensions", KT_AND, true, false, 0, 1 },
	[K_TRDSL] = { "TargetRecvDataSegmentLength", KT_MIN, false, false, 512,
		      16777215 },
	[K_IRDSL] = { "InitiatorRecvDataSegmentLength", KT_MIN, false, false,
		      512, 16777215 },
};

enum chap_step {
	AUTH_OFFERED,   /* AuthMethod offered */
	AUTH_SENT_A,    /* CHAP_A sent, waiting for CHAP_I/CHAP_C */
	AUTH_SENT_R,    /* CHAP_N/CHAP_R sent (+ our challenge if mutual) */
	AUTH_DONE,
};

struct ini_login {
	struct ini_slot *slot;
	uint8_t csg;                  /* stage of the request in flight */
	uint8_t nsg;
	bool transit;
	uint8_t auth;                 /* enum chap_step */
	unsigned rounds;
	bool offered[K_COUNT];
	bool answered[K_COUNT];
	uint32_t val[K_COUNT];        /* results so far (RFC defaults first) */
	uint16_t tpgt;
	bool tpgt_set;
	uint8_t our_id;
	uint16_t our_chal_len;
	uint8_t our_chal[NX_INI_CHALLENGE_MAX];
	uint8_t bin[NX_INI_CHALLENGE_MAX]; /* decode scratch */
	char hex[2 * NX_INI_CHALLENGE_MAX + 3];
	uint32_t tx_len;
	char tx[INI_LOGIN_DSL];
	uint32_t rx_len;
	char rx[LOGIN_TEXT_MAX + 1];
};

/* ---- offers ------------------------------------------------------------------ */

static uint32_t offer_value(const struct nx_ini_config *cfg, unsigned k)
{
	switch (k) {
	case K_MAXCONN: return cfg->max_connections;
	case K_IR2T: return cfg->initial_r2t;
	case K_IMM: return cfg->immediate_data;
	case K_MRDSL: return cfg->max_recv_dsl;
	case K_MBL: return cfg->max_burst_length;
	case K_FBL: return cfg->first_burst_length;
	case K_T2W: return cfg->default_time2wait;
	case K_T2R: return cfg->default_time2retain;
	case K_MAXR2T: return cfg->max_outstanding_r2t;
	case K_PDUORDER: return cfg->data_pdu_in_order;
	case K_SEQORDER: return cfg->data_sequence_in_order;
	case K_ERL: return cfg->error_recovery_level;
	case K_RDMA: return 1;
	/* TargetRecvDataSegmentLength: as much as the target allows */
	case K_TRDSL: return 16777215;
	case K_IRDSL: return NX_INI_ISER_RECV_DSL;
	default: return 0;
	}
}

static const char *digest_offer(const struct nx_ini_config *cfg, unsigned k)
{
	return k == K_HD ? cfg->header_digest : cfg->data_digest;
}

/* Is item one of the comma-separated values of list? */
static bool list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	while (*list != '\0') {
		const char *comma = strchr(list, ',');
		size_t len = comma != NULL ? (size_t)(comma - list) : strlen(list);

		if (len == n && strncmp(list, item, n) == 0)
			return true;
		if (comma == NULL)
			break;
		list = comma + 1;
	}
	return false;
}

static void vals_default(struct ini_login *l)
{
	l->val[K_HD] = 0;
	l->val[K_DD] = 0;
	l->val[K_MAXCONN] = 1;
	l->val[K_IR2T] = 1;
	l->val[K_IMM] = 1;
	l->val[K_MRDSL] = 8192;
	l->val[K_MBL] = 262144;
	l->val[K_FBL] = 65536;
	l->val[K_T2W] = 2;
	l->val[K_T2R] = 20;
	l->val[K_MAXR2T] = 1;
	l->val[K_PDUORDER] = 1;
	l->val[K_SEQORDER] = 1;
	l->val[K_ERL] = 0;
	l->val[K_RDMA] = 0;
	l->val[K_TRDSL] = 8192;   /* RFC 7145 6.4, 6.5 defaults */
	l->val[K_IRDSL] = 8192;
}

static bool leading(const struct nx_ini_conn *c)
{
	return !c->s->logged_in;
}

static bool add(struct ini_login *l, const char *key, const char *value)
{
	return nx_ini_kv_add(l->tx, sizeof(l->tx), &l->tx_len, key, value);
}

static bool add_identity(struct nx_ini_conn *c, struct ini_login *l)
{
	const struct nx_ini_config *cfg = &c->s->cfg;
	bool ok = add(l, "InitiatorName", cfg->initiator_name);

	if (cfg->initiator_alias[0] != '\0')
		ok = ok && add(l, "InitiatorAlias", cfg->initiator_alias);
	if (leading(c))
		ok = ok && add(l, "SessionType",
			       cfg->discovery ? "Discovery" : "Normal");
	if (!cfg->discovery)
		ok = ok && add(l, "TargetName", cfg->target_name);
	return ok;
}

static bool add_op_keys(struct nx_ini_conn *c, struct ini_login *l)
{
	const struct nx_ini_config *cfg = &c->s->cfg;
	bool ok = true;

	for (unsigned k = 0; k < K_COUNT && ok; k++) {
		const struct key_desc *d = &key_table[k];

		if (d->session && !leading(c))
			continue; /* RFC 7143 6.3: LO keys on the leading conn */
		if (k >= K_ISER_FIRST && c->dm == NULL)
			continue; /* RFC 7145 keys: iSER connections only */
		if (d->disc_irrelevant && cfg->discovery)
			continue;
		l->offered[k] = true;
		if (d->type == KT_DIGEST)
			ok = add(l, d->name, digest_offer(cfg, k));
		else if (d->type == KT_AND || d->type == KT_OR)
			ok = add(l, d->name, offer_value(cfg, k) ? "Yes" : "No");
		else
			ok = nx_ini_kv_add_u32(l->tx, sizeof(l->tx), &l->tx_len,
					    d->name, offer_value(cfg, k));
	}
	return ok && nx_ini_kv_add_lines(l->tx, sizeof(l->tx), &l->tx_len,
				      cfg->extra_keys);
}

static const char *auth_offer(const struct nx_ini_config *cfg)
{
	if (cfg->auth_method[0] != '\0')
		return cfg->auth_method;
	return cfg->chap_user[0] != '\0' ? "CHAP,None" : "None";
}

/* ---- sending ------------------------------------------------------------------- */

static void login_send(struct nx_ini_conn *c, struct ini_login *l, bool transit,
		       uint8_t csg, uint8_t nsg)
{
	struct nx_ini_session *s = c->s;
	uint8_t *bhs = nx_ini_bhs(c, NX_ISCSI_OP_LOGIN_REQ, true, l->slot->itt);

	/* RFC 7143 11.12: T, C, CSG, NSG; Version-max/min 0. */
	bhs[1] = (uint8_t)((transit ? 0x80 : 0) | csg << 2 | (transit ? nsg : 0));
	memcpy(bhs + 8, s->cfg.isid, 6);
	nx_put_be16(bhs + 14, s->tsih);
	nx_put_be16(bhs + 20, c->cid);
	nx_put_be32(bhs + 24, s->cmdsn);
	nx_put_be32(bhs + 28, c->exp_statsn);
	l->csg = csg;
	l->nsg = nsg;
	l->transit = transit;
	l->rounds++;
	nx_ini_send_pdu(c, bhs, NULL, 0, l->tx, l->tx_len);
	l->tx_len = 0;
}

int nx_ini_login(struct nx_ini_conn *c, struct nx_ini_login *req)
{
	struct nx_ini_session *s = c->s;
	struct ini_login *l;
	bool none;

	nx_assert(req != NULL);
	if (c->state != INI_CONN_FREE)
		return NX_EINVAL;
	l = nx_alloc(sizeof(*l));
	if (l == NULL)
		return NX_ENOMEM;
	l->slot = nx_ini_slot_alloc(s, INI_OP_LOGIN, c, req);
	if (l->slot == NULL) {
		nx_free(l);
		return NX_EAGAIN;
	}
	req->err = 0;
	req->status_class = 0;
	req->status_detail = 0;
	req->tsih = 0;
	req->itt = l->slot->itt;
	vals_default(l);
	c->login = l;
	c->state = INI_CONN_LOGIN;
	if (!add_identity(c, l))
		goto toolong;
	if (s->cfg.skip_security) {
		l->auth = AUTH_DONE;
		if (!add_op_keys(c, l))
			goto toolong;
		login_send(c, l, true, 1, 3);
		return 0;
	}
	none = strcmp(auth_offer(&s->cfg), "None") == 0;
	if (!add(l, "AuthMethod", auth_offer(&s->cfg)))
		goto toolong;
	login_send(c, l, none, 0, 1);
	return 0;
toolong:
	/* Bounded configuration strings make this unreachable; undo. */
	nx_ini_slot_free(s, l->slot);
	nx_ini_login_free(c);
	c->state = INI_CONN_FREE;
	return NX_EINVAL;
}

void nx_ini_login_free(struct nx_ini_conn *c)
{
	nx_free(c->login);
	c->login = NULL;
}

/* ---- operational keys ------------------------------------------------------------ */

static int parse_yes_no(const char *v, uint32_t *out)
{
	if (strcmp(v, "Yes") == 0)
		*out = 1;
	else if (strcmp(v, "No") == 0)
		*out = 0;
	else
		return NX_INI_EPROTO;
	return 0;
}

/* The target answered a key we offered (RFC 7143 6.2). */
static int neg_answer(struct nx_ini_conn *c, struct ini_login *l, unsigned k,
		      const char *v)
{
	const struct key_desc *d = &key_table[k];
	uint32_t ours = offer_value(&c->s->cfg, k), x;

	if (d->type == KT_DIGEST) {
		if (strchr(v, ',') != NULL ||
		    !list_has(digest_offer(&c->s->cfg, k), v))
			return NX_INI_EPROTO;
		l->val[k] = strcmp(v, "CRC32C") == 0;
		return 0;
	}
	if (d->type == KT_AND || d->type == KT_OR) {
		if (parse_yes_no(v, &x) < 0)
			return NX_INI_EPROTO;
		/* 6.2.2: AND cannot turn our No into Yes, OR our Yes into No */
		if ((d->type == KT_AND && x > ours) ||
		    (d->type == KT_OR && x < ours))
			return NX_INI_EPROTO;
		l->val[k] = x;
		return 0;
	}
	if (!nx_ini_parse_u32(v, &x) || x < d->min || x > d->max)
		return NX_INI_EPROTO;
	if ((d->type == KT_MIN && x > ours) || (d->type == KT_MAX && x < ours))
		return NX_INI_EPROTO;
	l->val[k] = x;
	return 0;
}

/* The target offered a key we did not: answer it (RFC 7143 6.2). */
static int neg_offer(struct nx_ini_conn *c, struct ini_login *l, unsigned k,
		     const char *v)
{
	const struct key_desc *d = &key_table[k];
	uint32_t ours = offer_value(&c->s->cfg, k), x;

	if (d->type == KT_DIGEST) {
		const char *pick = list_has(v, "None") ? "None" : "Reject";

		if (list_has(v, "CRC32C") &&
		    list_has(digest_offer(&c->s->cfg, k), "CRC32C") &&
		    !list_has(digest_offer(&c->s->cfg, k), "None"))
			pick = "CRC32C";
		l->val[k] = strcmp(pick, "CRC32C") == 0;
		return add(l, d->name, pick) ? 0 : NX_INI_EPROTO;
	}
	if (d->type == KT_AND || d->type == KT_OR) {
		if (parse_yes_no(v, &x) < 0)
			return NX_INI_EPROTO;
		x = d->type == KT_AND ? (x && ours) : (x || ours);
		l->val[k] = x;
		return add(l, d->name, x ? "Yes" : "No") ? 0 : NX_INI_EPROTO;
	}
	if (!nx_ini_parse_u32(v, &x) || x < d->min || x > d->max)
		return NX_INI_EPROTO;
	x = d->type == KT_MIN ? NX_MIN(x, ours) : NX_MAX(x, ours);
	l->val[k] = x;
	return nx_ini_kv_add_u32(l->tx, sizeof(l->tx), &l->tx_len, d->name, x)
		       ? 0 : NX_INI_EPROTO;
}

static bool in_extra_keys(const struct nx_ini_config *cfg, const char *key,
			  size_t klen)
{
	const char *p = cfg->extra_keys;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen + 1) == 0) /* includes the '=' */
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/* Keys outside the §13 negotiation table. */
static int other_key(struct nx_ini_conn *c, struct ini_login *l,
		     const struct ini_kv *kv)
{
	size_t klen = (size_t)(kv->value - 1 - kv->key);
	char name[64];
	uint32_t x;

	if (nx_ini_kv_is(kv, "TargetPortalGroupTag")) {
		if (!nx_ini_parse_u32(kv->value, &x) || x > 65535)
			return NX_INI_EPROTO;
		l->tpgt = (uint16_t)x;
		l->tpgt_set = true;
		return 0;
	}
	if (nx_ini_kv_is(kv, "TargetAlias") || nx_ini_kv_is(kv, "TargetAddress") ||
	    in_extra_keys(&c->s->cfg, kv->key, klen))
		return 0;
	/* RFC 7143 6.2: an unknown key is answered NotUnderstood. */
	nx_assert(klen < sizeof(name));
	memcpy(name, kv->key, klen);
	name[klen] = '\0';
	return add(l, name, "NotUnderstood") ? 0 : NX_INI_EPROTO;
}

static int neg_key(struct nx_ini_conn *c, struct ini_login *l,
		   const struct ini_kv *kv)
{
	const char *v = kv->value;

	for (unsigned k = 0; k < K_COUNT; k++) {
		if (!nx_ini_kv_is(kv, key_table[k].name))
			continue;
		if (k == K_MRDSL) { /* declarative: what we may send */
			uint32_t x;

			if (!nx_ini_parse_u32(v, &x) || x < 512 || x > 16777215)
				return NX_INI_EPROTO;
			l->val[k] = x;
			return 0;
		}
		if (strcmp(v, "Irrelevant") == 0 || strcmp(v, "Reject") == 0 ||
		    strcmp(v, "NotUnderstood") == 0)
			return l->offered[k] ? 0 : NX_INI_EPROTO;
		l->answered[k] = true;
		if (l->offered[k])
			return neg_answer(c, l, k, v);
		return neg_offer(c, l, k, v);
	}
	return other_key(c, l, kv);
}

/* ---- security stage --------------------------------------------------------------- */

struct chap_keys {
	const char *method, *a, *i, *c, *n, *r;
};

static int collect(struct nx_ini_conn *c, struct ini_login *l,
		   struct chap_keys *ck)
{
	struct ini_kv kv;
	uint32_t off = 0;
	int rc;

	memset(ck, 0, sizeof(*ck));
	while ((rc = nx_ini_kv_next(l->rx, l->rx_len, &off, &kv)) > 0) {
		if (nx_ini_kv_is(&kv, "AuthMethod"))
			ck->method = kv.value;
		else if (nx_ini_kv_is(&kv, "CHAP_A"))
			ck->a = kv.value;
		else if (nx_ini_kv_is(&kv, "CHAP_I"))
			ck->i = kv.value;
		else if (nx_ini_kv_is(&kv, "CHAP_C"))
			ck->c = kv.value;
		else if (nx_ini_kv_is(&kv, "CHAP_N"))
			ck->n = kv.value;
		else if (nx_ini_kv_is(&kv, "CHAP_R"))
			ck->r = kv.value;
		else if (l->csg == 0 && (rc = neg_key(c, l, &kv)) < 0)
			return rc;
	}
	return rc < 0 ? NX_INI_EPROTO : 0;
}

static bool mutual(const struct nx_ini_config *cfg)
{
	return cfg->mutual_secret[0] != '\0';
}

/* CHAP_I/CHAP_C arrived: answer with CHAP_N/CHAP_R (RFC 1994 4.1) and,
 * for mutual CHAP, our own CHAP_I/CHAP_C (RFC 7143 12.1.3). */
static int chap_respond(struct nx_ini_conn *c, struct ini_login *l,
			const struct chap_keys *ck)
{
	const struct nx_ini_config *cfg = &c->s->cfg;
	char *hex = l->hex;
	uint8_t digest[16];
	uint32_t id;
	int n;

	if (ck->a == NULL || strcmp(ck->a, "5") != 0 || ck->i == NULL ||
	    ck->c == NULL || !nx_ini_parse_u32(ck->i, &id) || id > 255)
		return NX_INI_EPROTO;
	n = nx_ini_decode_binary(ck->c, l->bin, sizeof(l->bin));
	if (n <= 0)
		return NX_INI_EPROTO;
	nx_ini_chap_response((uint8_t)id, cfg->chap_secret, l->bin, (uint32_t)n,
			  digest);
	nx_ini_encode_hex(digest, 16, hex, sizeof(l->hex));
	if (!add(l, "CHAP_N", cfg->chap_user) || !add(l, "CHAP_R", hex))
		return NX_INI_EPROTO;
	if (mutual(cfg)) {
		/* A reflected challenge would let the target answer with
		 * our own response: make ours differ (bounded retries). */
		for (unsigned t = 0; t < 4; t++) {
			l->our_chal_len = cfg->mutual_challenge_len;
			for (unsigned i = 0; i < l->our_chal_len; i++)
				l->our_chal[i] = (uint8_t)nx_random_u64();
			if ((uint32_t)n != l->our_chal_len ||
			    memcmp(l->bin, l->our_chal, l->our_chal_len) != 0)
				break;
		}
		l->our_id = (uint8_t)nx_random_u64();
		nx_ini_encode_hex(l->our_chal, l->our_chal_len, hex, sizeof(l->hex));
		if (!nx_ini_kv_add_u32(l->tx, sizeof(l->tx), &l->tx_len, "CHAP_I",
				    l->our_id) ||
		    !add(l, "CHAP_C", hex))
			return NX_INI_EPROTO;
	}
	l->auth = AUTH_SENT_R;
	login_send(c, l, true, 0, 1);
	return 0;
}

static int chap_verify(struct nx_ini_conn *c, struct ini_login *l,
		       const struct chap_keys *ck)
{
	const struct nx_ini_config *cfg = &c->s->cfg;
	uint8_t want[16];
	int n;

	if (!mutual(cfg))
		return 0;
	if (ck->n == NULL || ck->r == NULL)
		return NX_INI_EAUTH;
	if (cfg->mutual_user[0] != '\0' && strcmp(ck->n, cfg->mutual_user) != 0)
		return NX_INI_EAUTH;
	n = nx_ini_decode_binary(ck->r, l->bin, sizeof(l->bin));
	nx_ini_chap_response(l->our_id, cfg->mutual_secret, l->our_chal,
			  l->our_chal_len, want);
	if (n != 16 || memcmp(l->bin, want, 16) != 0)
		return NX_INI_EAUTH;
	return 0;
}

/* AuthMethod answer to our first request. */
static int auth_chosen(struct nx_ini_conn *c, struct ini_login *l,
		       const struct chap_keys *ck)
{
	const struct nx_ini_config *cfg = &c->s->cfg;

	if (ck->method == NULL || strchr(ck->method, ',') != NULL ||
	    !list_has(auth_offer(cfg), ck->method))
		return NX_INI_EPROTO;
	if (strcmp(ck->method, "CHAP") == 0) {
		if (cfg->chap_user[0] == '\0')
			return NX_INI_EAUTH;
		l->auth = AUTH_SENT_A;
		if (!add(l, "CHAP_A", "5"))
			return NX_INI_EPROTO;
		login_send(c, l, false, 0, 0);
		return 1; /* request sent */
	}
	if (strcmp(ck->method, "None") != 0)
		return NX_INI_EPROTO;
	/* We asked to authenticate the target: "None" is not acceptable. */
	if (mutual(cfg))
		return NX_INI_EAUTH;
	l->auth = AUTH_DONE;
	return 0;
}

static int security_rx(struct nx_ini_conn *c, struct ini_login *l,
		       bool transit, uint8_t nsg)
{
	struct chap_keys ck;
	int rc = collect(c, l, &ck);

	if (rc < 0)
		return rc;
	if (l->auth == AUTH_OFFERED) {
		rc = auth_chosen(c, l, &ck);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	} else if (l->auth == AUTH_SENT_A) {
		if (transit)
			return NX_INI_EPROTO; /* no transit before CHAP_R */
		return chap_respond(c, l, &ck);
	} else if (l->auth == AUTH_SENT_R) {
		rc = chap_verify(c, l, &ck);
		if (rc < 0)
			return rc;
		l->auth = AUTH_DONE;
	}
	if (!transit) { /* RFC 7143 6.3: ask again to leave the stage */
		login_send(c, l, true, 0, 1);
		return 0;
	}
	if (nsg != 1)
		return NX_INI_EPROTO; /* we asked for the operational stage */
	if (!add_op_keys(c, l))
		return NX_INI_EPROTO;
	login_send(c, l, true, 1, 3);
	return 0;
}

/* ---- operational stage and completion ---------------------------------------------- */

static void params_from_vals(struct nx_ini_conn *c, const struct ini_login *l)
{
	struct nx_ini_session *s = c->s;
	struct nx_ini_params *p = &c->params;

	if (leading(c)) {
		p->max_connections = (uint16_t)l->val[K_MAXCONN];
		p->initial_r2t = l->val[K_IR2T] != 0;
		p->immediate_data = l->val[K_IMM] != 0;
		p->max_burst_length = l->val[K_MBL];
		p->first_burst_length = l->val[K_FBL];
		p->default_time2wait = (uint16_t)l->val[K_T2W];
		p->default_time2retain = (uint16_t)l->val[K_T2R];
		p->max_outstanding_r2t = (uint16_t)l->val[K_MAXR2T];
		p->data_pdu_in_order = l->val[K_PDUORDER] != 0;
		p->data_sequence_in_order = l->val[K_SEQORDER] != 0;
		p->error_recovery_level = (uint8_t)l->val[K_ERL];
		p->tpgt = l->tpgt;
		p->tpgt_set = l->tpgt_set;
	} else {
		*p = s->params; /* session-wide values of the leading login */
	}
	p->header_digest = l->val[K_HD] != 0;
	p->data_digest = l->val[K_DD] != 0;
	p->max_xmit_dsl = l->val[K_MRDSL];
	if (s->cfg.send_dsl_max != 0 && p->max_xmit_dsl > s->cfg.send_dsl_max)
		p->max_xmit_dsl = s->cfg.send_dsl_max;
	p->max_recv_dsl = s->cfg.max_recv_dsl;
	if (c->dm != NULL) {
		/* RFC 7145 6.4, 6.5: these bound control PDUs over iSER. */
		p->max_xmit_dsl = l->val[K_TRDSL];
		p->max_recv_dsl = l->val[K_IRDSL];
	}
	if (leading(c))
		s->params = *p;
}

static int login_finish(struct nx_ini_conn *c, struct ini_login *l,
			const struct nx_iscsi_pdu *p)
{
	struct nx_ini_session *s = c->s;
	struct nx_ini_login *req = l->slot->req;
	uint16_t tsih = nx_get_be16(p->bhs + 14);

	/* RFC 7143 11.13.4: the final response carries the TSIH. */
	if (tsih == 0 || (!leading(c) && tsih != s->tsih))
		return NX_INI_EPROTO;
	/* 13.14: FirstBurstLength must not exceed MaxBurstLength: a
	 * violation if both were answered, else the default gives way. */
	if (leading(c) && l->val[K_FBL] > l->val[K_MBL]) {
		if (l->answered[K_FBL] && l->answered[K_MBL])
			return NX_INI_EPROTO;
		l->val[K_FBL] = l->val[K_MBL];
	}
	/* RFC 7145 5.1: an iSER connection needs RDMAExtensions=Yes. */
	if (c->dm != NULL && leading(c) && l->val[K_RDMA] == 0)
		return NX_INI_EPROTO;
	params_from_vals(c, l);
	if (leading(c)) {
		s->tsih = tsih;
		s->logged_in = true;
	}
	c->state = INI_CONN_FFP;
	/* Digests start with the first full-feature PDU (RFC 7143 13.1). */
	c->hdr_digest = c->params.header_digest;
	c->data_digest = c->params.data_digest;
	req->tsih = tsih;
	nx_ini_slot_complete(s, l->slot, 0);
	nx_ini_login_free(c);
	return 0;
}

static int operational_rx(struct nx_ini_conn *c, struct ini_login *l,
			  bool transit, uint8_t nsg,
			  const struct nx_iscsi_pdu *p)
{
	struct ini_kv kv;
	uint32_t off = 0;
	int rc;

	while ((rc = nx_ini_kv_next(l->rx, l->rx_len, &off, &kv)) > 0) {
		if (nx_ini_kv_is(&kv, "AuthMethod") ||
		    strncmp(kv.key, "CHAP_", 5) == 0)
			return NX_INI_EPROTO; /* security keys: wrong stage */
		rc = neg_key(c, l, &kv);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return NX_INI_EPROTO;
	if (transit && nsg == 3) {
		/* The target may not transit with offers open; answers
		 * (NotUnderstood to declarations) have no one to go to. */
		l->tx_len = 0;
		return login_finish(c, l, p);
	}
	if (transit && nsg != 3)
		return NX_INI_EPROTO;
	/* The target offered keys (answers queued) or did not transit. */
	login_send(c, l, true, 1, 3);
	return 0;
}

/* ---- Login Response -------------------------------------------------------------------- */

static int login_status(struct nx_ini_conn *c, struct ini_login *l,
			const struct nx_iscsi_pdu *p)
{
	struct nx_ini_login *req = l->slot->req;

	req->status_class = p->bhs[36];
	req->status_detail = p->bhs[37];
	nx_log(NX_LOG_INFO, "initiator: login failed, status 0x%02x%02x",
	       (unsigned)p->bhs[36], (unsigned)p->bhs[37]);
	nx_ini_conn_fail(c, NX_INI_ELOGIN, "login rejected");
	return 0;
}

static void login_sn(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	struct nx_ini_session *s = c->s;
	uint32_t exp = nx_get_be32(p->bhs + 28);
	uint32_t max = nx_get_be32(p->bhs + 32);

	c->exp_statsn = nx_get_be32(p->bhs + 24) + 1;
	if (leading(c)) {
		if (ini_sn_le(exp - 1, max)) {
			s->exp_cmdsn = exp;
			s->max_cmdsn = max;
		}
	} else {
		nx_ini_session_window(s, exp, max);
	}
}

int nx_ini_rx_login_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	struct ini_login *l = c->login;
	bool transit = (p->bhs[1] & 0x80) != 0;
	bool cont = (p->bhs[1] & 0x40) != 0;
	uint8_t csg = (p->bhs[1] >> 2) & 3, nsg = p->bhs[1] & 3;

	if (c->state != INI_CONN_LOGIN || l == NULL ||
	    nx_pdu_itt(p) != l->slot->itt)
		return NX_INI_EPROTO;
	login_sn(c, p);
	if (p->bhs[36] != 0)
		return login_status(c, l, p);
	/* RFC 7143 11.13: version 0, same stage, no T with C, ISID echoed. */
	if (p->bhs[3] != 0 || csg != l->csg || (transit && cont) ||
	    memcmp(p->bhs + 8, c->s->cfg.isid, 6) != 0 ||
	    (transit && !l->transit) || l->rounds >= LOGIN_ROUNDS_MAX)
		return NX_INI_EPROTO;
	if (p->data_len > LOGIN_TEXT_MAX - l->rx_len)
		return NX_INI_EPROTO;
	memcpy(l->rx + l->rx_len, p->data, p->data_len);
	l->rx_len += p->data_len;
	l->rx[l->rx_len] = '\0';
	if (cont) { /* 11.13.2: more text follows; ask with an empty request */
		login_send(c, l, l->transit, l->csg, l->nsg);
		return 0;
	}
	int rc = csg == 0 ? security_rx(c, l, transit, nsg)
			  : operational_rx(c, l, transit, nsg, p);
	if (c->login != NULL)
		c->login->rx_len = 0;
	return rc;
}
