/*
 * conn.c - one iSCSI connection: the receive state machine, the send path
 * and opcode dispatch per phase (RFC 7143 11.2, 6, 7).
 *
 * Receive: BHS -> AHS -> header digest -> data + padding -> data digest,
 * each part accumulated across arbitrary input chunking into bounded
 * buffers (the data buffer is NX_ISCSI_MAX_RECV_DSL bytes, what we declare
 * as MaxRecvDataSegmentLength).  A data segment that arrives whole in one
 * input chunk is handed to the handler in place, without a copy.
 *
 * Send: one ops->send() call per PDU with iovecs BHS, [header digest],
 * data, padding, [data digest]; Data-In goes through ops->send_lent()
 * when the embedder has it, the data segment lent instead of copied.
 */
#include "conn_internal.h"

static const uint8_t zero_pad[4];

/* ---- server --------------------------------------------------------------- */

struct nx_iscsi_server *nx_iscsi_server_new(const struct nx_iscsi_server_config *cfg)
{
	struct nx_iscsi_server *srv;

	if (cfg == NULL || cfg->target_count > NX_ISCSI_MAX_TARGETS ||
	    cfg->portal_count > NX_ISCSI_MAX_PORTALS)
		return NULL;
	srv = nx_alloc(sizeof(*srv));
	if (srv == NULL)
		return NULL;
	/* The config's strings stay the caller's: they must outlive srv. */
	srv->cfg = *cfg;
	srv->next_tsih = 1;
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
	nx_free(srv);
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

struct nx_iscsi_conn *nx_iscsi_conn_new(struct nx_iscsi_server *srv,
					const struct nx_iscsi_conn_ops *ops,
					void *ctx, const char *peer,
					const char *local)
{
	struct nx_iscsi_conn *c;

	nx_assert(srv != NULL);
	nx_assert(ops != NULL && ops->send != NULL && ops->close != NULL);
	c = nx_alloc(sizeof(*c));
	if (c == NULL)
		return NULL;
	c->rx_data = nx_alloc(NX_ISCSI_MAX_RECV_DSL + 4);
	if (c->rx_data == NULL) {
		nx_free(c);
		return NULL;
	}
	c->srv = srv;
	c->ops = ops;
	c->ctx = ctx;
	conn_copy_name(c->peer, sizeof(c->peer), peer);
	conn_copy_name(c->local, sizeof(c->local), local);
	nx_iscsi_params_default(&c->params);
	c->state = NX_CONN_LOGIN;
	c->rx_state = NX_RX_BHS;
	c->login = nx_iscsi_login_new(c);
	if (c->login == NULL) {
		nx_free(c->rx_data);
		nx_free(c);
		return NULL;
	}
	srv->conn_count++;
	return c;
}

static void conn_finalize(struct nx_iscsi_conn *c)
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
	nx_log(NX_LOG_WARN, "iscsi %s: dropping connection: %s", c->peer,
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
	c->state = NX_CONN_FFP;
	/* RFC 7143 13.1: digests apply from the first PDU after the final
	 * Login Response. */
	c->hdigest = c->params.header_digest;
	c->ddigest = c->params.data_digest;
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
	uint32_t limit = c->state == NX_CONN_FFP ? c->params.max_recv_dsl_target
						 : NX_ISCSI_MAX_RECV_DSL;

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
