/*
 * text.c - Text Request/Response (RFC 7143 11.10, 11.11) and SendTargets
 * (appendix C).  A long answer comes in several Text Responses (F=0, a
 * Target Transfer Tag); each continuation is an empty Text Request with
 * that TTT - a new non-immediate command, so it waits for the window too.
 */
#include "ini_internal.h"

int nx_ini_text_submit(struct nx_ini_conn *c, struct nx_ini_text *t)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl;

	nx_assert(t != NULL);
	if (c->state != INI_CONN_FFP || t->keys == NULL ||
	    strlen(t->keys) + 1 > NX_MIN(c->params.max_xmit_dsl,
					 (uint32_t)INI_TEXT_MAX))
		return NX_EINVAL;
	if (s->text_busy)
		return NX_EAGAIN;
	sl = nx_ini_slot_alloc(s, INI_OP_TEXT, c, t);
	if (sl == NULL)
		return NX_EAGAIN;
	s->text_busy = true;
	t->err = 0;
	t->targets_count = 0;
	t->resp_len = 0;
	t->reject_reason = 0;
	t->itt = sl->itt;
	sl->ttt = INI_RSV_TAG;
	nx_ini_slot_dispatch(s, sl);
	return 0;
}

void nx_ini_text_send(struct nx_ini_session *s, struct ini_slot *sl)
{
	struct nx_ini_conn *c = sl->conn;
	const struct nx_ini_text *t = sl->req;
	uint32_t len = 0;
	uint8_t *bhs;

	/* The request text is built in the response buffer: one Text
	 * exchange per session, and ops->send copies before returning. */
	if (sl->ttt == INI_RSV_TAG) {
		bool ok = nx_ini_kv_add_lines((char *)s->text_buf, INI_TEXT_MAX,
					   &len, t->keys);

		nx_assert(ok);
	}
	sl->cmdsn = s->cmdsn++;
	bhs = nx_ini_bhs(c, NX_ISCSI_OP_TEXT_REQ, false, sl->itt);
	bhs[1] = 0x80;
	nx_put_be32(bhs + 20, sl->ttt);
	nx_put_be32(bhs + 24, sl->cmdsn);
	nx_put_be32(bhs + 28, c->exp_statsn);
	nx_ini_send_pdu(c, bhs, NULL, 0, s->text_buf, len);
	if (sl->ttt == INI_RSV_TAG)
		s->text_len = 0;
}

static void copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

unsigned nx_ini_sendtargets_parse(const char *text, uint32_t len,
			       struct nx_ini_target *t, unsigned cap)
{
	struct nx_ini_target *cur = NULL;
	struct ini_kv kv;
	uint32_t off = 0;
	unsigned count = 0;

	while (nx_ini_kv_next(text, len, &off, &kv) > 0) {
		if (nx_ini_kv_is(&kv, "TargetName")) {
			cur = count < cap ? &t[count++] : NULL;
			if (cur != NULL) {
				memset(cur, 0, sizeof(*cur));
				copy_name(cur->name, sizeof(cur->name), kv.value);
			}
		} else if (nx_ini_kv_is(&kv, "TargetAddress") && cur != NULL &&
			   cur->addr_count < NX_INI_TARGET_ADDRS) {
			copy_name(cur->addr[cur->addr_count++], NX_INI_ADDR_MAX,
				  kv.value);
		}
	}
	return count;
}

static int text_done(struct nx_ini_session *s, struct ini_slot *sl)
{
	struct nx_ini_text *t = sl->req;
	const char *text = (const char *)s->text_buf;
	struct ini_kv kv;
	uint32_t off = 0;
	int rc;

	s->text_buf[s->text_len] = '\0';
	do { /* the whole answer must be well formed (RFC 7143 6.1) */
		rc = nx_ini_kv_next(text, s->text_len, &off, &kv);
	} while (rc > 0);
	if (rc < 0)
		return NX_INI_EPROTO;
	t->resp_len = s->text_len;
	if (t->resp != NULL && t->resp_cap > 0)
		memcpy(t->resp, text, NX_MIN(t->resp_cap, s->text_len));
	if (t->targets != NULL)
		t->targets_count = nx_ini_sendtargets_parse(text, s->text_len,
							 t->targets,
							 t->targets_cap);
	nx_ini_slot_complete(s, sl, 0);
	return 0;
}

int nx_ini_rx_text_rsp(struct nx_ini_conn *c, const struct nx_iscsi_pdu *p)
{
	struct nx_ini_session *s = c->s;
	struct ini_slot *sl = nx_ini_slot_find(s, nx_pdu_itt(p));
	bool final = (p->bhs[1] & 0x80) != 0, cont = (p->bhs[1] & 0x40) != 0;
	uint32_t ttt = nx_get_be32(p->bhs + 20);

	if (sl == NULL) {
		s->stats.unknown_itt++;
		return 0;
	}
	/* 11.11.1/11.11.4: F and C never together; F=0 needs a TTT, the
	 * final response has none. */
	if (sl->kind != INI_OP_TEXT || sl->state != INI_SLOT_SENT ||
	    (final && cont) || (!final && ttt == INI_RSV_TAG) ||
	    (final && ttt != INI_RSV_TAG) ||
	    p->data_len > INI_TEXT_MAX - s->text_len)
		return NX_INI_EPROTO;
	memcpy(s->text_buf + s->text_len, p->data, p->data_len);
	s->text_len += p->data_len;
	if (final)
		return text_done(s, sl);
	sl->ttt = ttt;
	nx_ini_slot_dispatch(s, sl);
	return 0;
}
