/*
 * text.c - Text Request / Text Response in full feature phase (RFC 7143
 * 11.10, 11.11): SendTargets (Appendix C) and the keys that may be
 * negotiated after login (MaxRecvDataSegmentLength, InitiatorAlias).
 *
 * Long answers are split at the initiator's MaxRecvDataSegmentLength with
 * the C bit; the initiator fetches the rest with empty Text Requests that
 * echo our Target Transfer Tag (RFC 7143 11.11.4).  The tag itself says
 * what to resend, so no state lives between the PDUs: the SendTargets
 * text is regenerated (deterministically, from the const configuration)
 * and the piece at the encoded offset is sent.
 *
 *   TTT bit 31      0 (never the reserved 0xffffffff)
 *   TTT bits 30-24  what: target index 0..63, SEL_NONE, SEL_ALL
 *   TTT bits 23-0   offset into the SendTargets text
 */
#include "nego_internal.h"

#define TEXT_F 0x80
#define TEXT_C 0x40
#define TTT_RESERVED 0xffffffffu
#define SEL_NONE 0x7e
#define SEL_ALL 0x7f
#define TTT_OFFSET_MASK 0x00ffffffu
#define PORTAL_MAX 240 /* "TargetAddress" value is at most 255 bytes */

/* RFC 7143 11.17.1 reasons */
#define REJECT_PROTOCOL_ERROR 0x04
#define REJECT_INVALID_FIELD 0x09
#define REJECT_OUT_OF_RESOURCES 0x0a

NX_STATIC_ASSERT(NX_ISCSI_MAX_TARGETS <= SEL_NONE, "selector fits 7 bits");

struct text_req {
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	bool final, cont;
	uint32_t itt, ttt;
};

struct text_work {
	struct nx_iscsi_kv kv[NX_ISCSI_KEYS_MAX];
	struct nx_iscsi_textbuf out;
	char answers[NX_ISCSI_LOGIN_RSP_MAX];
	char data[]; /* copy of the request's data segment */
};

static void send_reject(struct nx_iscsi_conn *c, const struct text_req *rq,
			uint8_t reason)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	/* RFC 7143 11.17: the data segment is the rejected header */
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = NX_ISCSI_OP_REJECT;
	bhs[1] = 0x80;
	bhs[2] = reason;
	nx_put_be32(bhs + 16, TTT_RESERVED);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	nx_iscsi_conn_send_pdu(c, bhs, rq->bhs, NX_ISCSI_BHS_LEN);
}

static void send_text_rsp(struct nx_iscsi_conn *c, const struct text_req *rq,
			  uint8_t flags, uint32_t ttt, const void *data,
			  uint32_t len)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	/* RFC 7143 11.11.1-2, 11.11.4: C=1 means more text and needs F=0;
	 * F=1 carries the reserved TTT, F=0 a real one */
	nx_assert(!((flags & TEXT_C) && (flags & TEXT_F)));
	nx_assert(((flags & TEXT_F) != 0) == (ttt == TTT_RESERVED));
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = NX_ISCSI_OP_TEXT_RSP;
	bhs[1] = flags;
	nx_put_be32(bhs + 16, rq->itt);
	nx_put_be32(bhs + 20, ttt);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	nx_iscsi_conn_send_pdu(c, bhs, data, len);
}

/* ---- SendTargets text ---------------------------------------------------- */

static void put_target(struct nx_iscsi_textbuf *t,
		       const struct nx_iscsi_server_config *cfg,
		       const struct nx_iscsi_target_config *tc)
{
	char addr[PORTAL_MAX + 8];

	nx_iscsi_text_put(t, "TargetName", nx_target_name(tc->target));
	for (unsigned i = 0; i < cfg->portal_count; i++) {
		const char *portal = cfg->portals[i];

		if (portal == NULL || strlen(portal) > PORTAL_MAX)
			continue;
		/* RFC 7143 13.8: domainname[:port][,portal-group-tag] */
		nx_snprintf(addr, sizeof(addr), "%s,%u", portal,
			    nx_iscsi_portal_tpgt(cfg, i));
		nx_iscsi_text_put(t, "TargetAddress", addr);
	}
}

static void build_targets(struct nx_iscsi_textbuf *t,
			  const struct nx_iscsi_server_config *cfg,
			  const struct nx_iscsi_params *p, unsigned sel)
{
	nx_assert(cfg->target_count <= NX_ISCSI_MAX_TARGETS);
	nx_assert(cfg->portal_count <= NX_ISCSI_MAX_PORTALS);
	for (unsigned i = 0; i < cfg->target_count; i++) {
		const struct nx_iscsi_target_config *tc = &cfg->targets[i];

		if (tc->target == NULL || (sel != SEL_ALL && sel != i))
			continue;
		/* Appendix C: only targets the initiator may access */
		if (!nx_iscsi_acl_allows(tc, p->initiator_name))
			continue;
		put_target(t, cfg, tc);
	}
}

static unsigned target_index(const struct nx_iscsi_server_config *cfg,
			     const char *name)
{
	const struct nx_iscsi_target_config *tc = nx_iscsi_find_target(cfg, name);

	return tc != NULL ? (unsigned)(tc - cfg->targets) : SEL_NONE;
}

/* RFC 7143 Appendix C: which targets a SendTargets value asks for, or
 * -1 for a value we reject. */
static int send_targets_selector(const struct nx_iscsi_server_config *cfg,
				 const struct nx_iscsi_params *p,
				 const char *value)
{
	unsigned own = p->discovery ? SEL_NONE : target_index(cfg, p->target_name);
	unsigned sel;

	if (strcmp(value, "All") == 0)
		return p->discovery ? SEL_ALL : (int)own;
	if (value[0] == '\0')
		return p->discovery ? -1 : (int)own; /* "this session's" */
	/* RFC 7143 4.2.7: iqn., eui. or naa. names */
	if (strncmp(value, "iqn.", 4) != 0 && strncmp(value, "eui.", 4) != 0 &&
	    strncmp(value, "naa.", 4) != 0)
		return -1;
	sel = target_index(cfg, value);
	if (!p->discovery && sel != own)
		sel = SEL_NONE; /* normal sessions: their own target only */
	return (int)sel;
}

/* ---- sending ------------------------------------------------------------- */

/* Sends prefix (answers to other keys, first PDU only) followed by the
 * SendTargets text from offset, one PDU's worth. */
static void send_chunk(struct nx_iscsi_conn *c, const struct text_req *rq,
		       const char *prefix, uint32_t prefix_len, unsigned sel,
		       uint32_t offset)
{
	const struct nx_iscsi_server_config *cfg = nx_iscsi_conn_server_config(c);
	const struct nx_iscsi_params *p = nx_iscsi_conn_params(c);
	struct nx_iscsi_textbuf st = { 0 };
	uint32_t limit = p->max_recv_dsl_initiator;
	uint32_t room, take, total;
	uint8_t *pdu;

	if (sel != SEL_NONE)
		build_targets(&st, cfg, p, sel); /* measure */
	if (offset > st.len || prefix_len > limit || limit < 512) {
		send_reject(c, rq, REJECT_INVALID_FIELD);
		return;
	}
	room = limit - prefix_len;
	take = NX_MIN(st.len - offset, room);
	total = prefix_len + take;
	st.cap = st.len;
	st.len = 0;
	st.buf = nx_alloc(NX_MAX(st.cap, 1u));
	pdu = nx_alloc(NX_MAX(total, 1u));
	if (st.buf == NULL || pdu == NULL) {
		nx_free(st.buf);
		nx_free(pdu);
		send_reject(c, rq, REJECT_OUT_OF_RESOURCES);
		return;
	}
	if (sel != SEL_NONE)
		build_targets(&st, cfg, p, sel);
	nx_assert(!st.overflow && st.len == st.cap);
	if (prefix_len > 0)
		memcpy(pdu, prefix, prefix_len);
	if (take > 0)
		memcpy(pdu + prefix_len, st.buf + offset, take);
	if (offset + take < st.len)
		send_text_rsp(c, rq, TEXT_C, (uint32_t)sel << 24 | (offset + take),
			      pdu, total);
	else if (!rq->final)
		/* RFC 7143 11.11.1: F=1 may only answer F=1; invite the
		 * initiator's next request with a "nothing pending" tag */
		send_text_rsp(c, rq, 0, (uint32_t)SEL_NONE << 24, pdu, total);
	else
		send_text_rsp(c, rq, TEXT_F, TTT_RESERVED, pdu, total);
	nx_free(st.buf);
	nx_free(pdu);
}

/* ---- requests ------------------------------------------------------------ */

/* Negotiates every key; returns the SendTargets selector (SEL_NONE when
 * absent), or -1 for a protocol error. */
static int text_keys(struct nx_iscsi_conn *c, struct text_work *w,
		     unsigned count)
{
	struct nx_iscsi_nego n = { 0 };
	int sel = SEL_NONE;

	n.p = nx_iscsi_conn_params(c);
	n.out = &w->out;
	n.leading = true;
	n.ffp = true;
	for (unsigned i = 0; i < count; i++) {
		int id;
		int rc = nx_iscsi_nego_key(&n, &w->kv[i], &id);

		if (rc == NX_NEGO_PROTOCOL)
			return -1;
		if (rc != NX_NEGO_SPECIAL)
			continue;
		nx_assert(id == NX_K_SEND_TARGETS);
		sel = send_targets_selector(nx_iscsi_conn_server_config(c), n.p,
					    w->kv[i].value);
		if (sel < 0) {
			nx_iscsi_text_put(&w->out, "SendTargets", "Reject");
			sel = SEL_NONE;
		}
	}
	return sel;
}

static void text_new(struct nx_iscsi_conn *c, const struct text_req *rq,
		     const struct nx_iscsi_pdu *pdu)
{
	struct text_work *w;
	unsigned count;
	int sel = -1;

	if (pdu->data_len > NX_ISCSI_TEXT_SET_MAX) {
		send_reject(c, rq, REJECT_OUT_OF_RESOURCES);
		return;
	}
	w = nx_alloc(sizeof(*w) + pdu->data_len + 1);
	if (w == NULL) {
		send_reject(c, rq, REJECT_OUT_OF_RESOURCES);
		return;
	}
	if (pdu->data_len > 0)
		memcpy(w->data, pdu->data, pdu->data_len);
	w->out.buf = w->answers;
	w->out.cap = sizeof(w->answers);
	if (nx_iscsi_kv_parse(w->data, pdu->data_len, w->kv, NX_ISCSI_KEYS_MAX,
			      &count) == NX_OK)
		sel = text_keys(c, w, count);
	if (sel < 0 || w->out.overflow)
		send_reject(c, rq, REJECT_PROTOCOL_ERROR);
	else
		send_chunk(c, rq, w->answers, w->out.len, (unsigned)sel, 0);
	nx_free(w);
}

void nx_iscsi_text_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu)
{
	struct text_req rq;
	unsigned sel;

	nx_assert(c != NULL);
	nx_assert(nx_pdu_opcode(pdu) == NX_ISCSI_OP_TEXT_REQ);
	memcpy(rq.bhs, pdu->bhs, NX_ISCSI_BHS_LEN);
	rq.final = (pdu->bhs[1] & TEXT_F) != 0;
	rq.cont = (pdu->bhs[1] & TEXT_C) != 0;
	rq.itt = nx_get_be32(pdu->bhs + 16);
	rq.ttt = nx_get_be32(pdu->bhs + 20);
	/* RFC 7143 11.10.2: C=1 requires F=0.  Requests continued over
	 * several PDUs are not accepted (no per-connection text state);
	 * every initiator we know sends its few FFP keys in one PDU. */
	if (rq.cont) {
		send_reject(c, &rq, REJECT_PROTOCOL_ERROR);
		return;
	}
	sel = rq.ttt >> 24;
	if (rq.ttt == TTT_RESERVED || rq.ttt == (uint32_t)SEL_NONE << 24) {
		/* a new exchange, or the next step of one we left open */
		text_new(c, &rq, pdu);
		return;
	}
	/* continuation of one of our answers: an empty request that echoes
	 * our tag (RFC 7143 11.10.4) */
	if ((rq.ttt & 0x80000000u) != 0 || pdu->data_len != 0 ||
	    (sel != SEL_ALL && sel >= NX_ISCSI_MAX_TARGETS)) {
		send_reject(c, &rq, REJECT_INVALID_FIELD);
		return;
	}
	send_chunk(c, &rq, NULL, 0, sel, rq.ttt & TTT_OFFSET_MASK);
}
