/*
 * nop.c - NOP-Out / NOP-In (RFC 7143 11.18, 11.19): the initiator's ping
 * and the target's keepalive.
 *
 * Keepalive without wall time: a timer ticks every limits.nopin_interval_ms
 * (default 35 s); a tick that saw no PDU since the previous one sends a
 * NOP-In ping (valid TTT, so the initiator must answer), and a second
 * silent tick with the ping unanswered drops the connection: an idle peer
 * that vanished (half-open) or never reads is reaped within two ticks.
 * Before full feature phase the same timer enforces the login timeout.
 */
#include "conn_internal.h"

static void nop_send_ping(struct nx_iscsi_conn *c)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	/* TTT: any value but the reserved one; deterministic. */
	c->ping_ttt = (c->ping_ttt + 1) & 0x7fffffff;
	c->ping_out = true;
	nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_NOP_IN, NX_ISCSI_F);
	nx_put_be32(bhs + 16, NX_ISCSI_RSVD_TAG);
	nx_put_be32(bhs + 20, c->ping_ttt);
	/* RFC 7143 11.19.3: with ITT 0xffffffff StatSN is not advanced. */
	nx_put_be32(bhs + 24, nx_iscsi_conn_cur_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	nx_iscsi_conn_send_pdu(c, bhs, NULL, 0);
}

static uint64_t nop_interval_ns(const struct nx_iscsi_conn *c)
{
	return (uint64_t)c->srv->lim.nopin_interval_ms * 1000 * 1000;
}

static void nop_keepalive(struct nx_iscsi_conn *c)
{
	if (c->rx_since_tick) {
		c->rx_since_tick = false;
		c->ping_out = false;
	} else if (c->ping_out) {
		c->srv->stats.keepalive_drops++;
		nx_iscsi_conn_drop(c, "NOP-In ping not answered");
	} else {
		nop_send_ping(c);
	}
	if (nx_iscsi_conn_live(c))
		nx_timer_arm(c->timer, nop_interval_ns(c));
}

/* The connection's one timer: the login deadline until full feature
 * phase (a connection that never finishes its login - slow writer, peer
 * gone half-open, login left hanging - is dropped), then the keepalive.
 * A login held for reinstatement (NX_CONN_LOGIN_WAIT) is bounded by its
 * own timer in session.c. */
static void conn_tick(void *arg)
{
	struct nx_iscsi_conn *c = arg;
	uint64_t now = nx_clock_ns();

	nx_iscsi_conn_get(c);
	if (!nx_iscsi_conn_live(c)) {
		/* nothing: closing */
	} else if (c->state == NX_CONN_LOGIN) {
		if (now >= c->login_deadline_ns) {
			c->srv->stats.login_timeouts++;
			nx_iscsi_conn_drop(c, "login timeout");
		} else {
			nx_timer_arm(c->timer, c->login_deadline_ns - now);
		}
	} else if (c->state == NX_CONN_FFP) {
		nop_keepalive(c);
	} else if (c->state == NX_CONN_FFP_PENDING) {
		nx_timer_arm(c->timer, nop_interval_ns(c));
	}
	nx_iscsi_conn_put(c);
}

int nx_iscsi_nop_init(struct nx_iscsi_conn *c)
{
	nx_assert(c->timer == NULL);
	c->timer = nx_timer_new(conn_tick, c);
	if (c->timer == NULL)
		return NX_ENOMEM;
	c->login_deadline_ns = nx_clock_ns() +
			       (uint64_t)c->srv->lim.login_timeout_ms * 1000 * 1000;
	nx_timer_arm(c->timer, c->login_deadline_ns - nx_clock_ns());
	return NX_OK;
}

void nx_iscsi_nop_start(struct nx_iscsi_conn *c)
{
	/* connections made by tests that skip nx_iscsi_conn_new's timer */
	if (c->timer == NULL)
		c->timer = nx_timer_new(conn_tick, c);
	if (c->timer != NULL) /* keepalive is optional: no timer, no ping */
		nx_timer_arm(c->timer, nop_interval_ns(c));
}

void nx_iscsi_nop_stop(struct nx_iscsi_conn *c)
{
	if (c->timer == NULL)
		return;
	nx_timer_cancel(c->timer);
	if (c->closed && c->busy == 0) {
		nx_timer_free(c->timer);
		c->timer = NULL;
	}
}

void nx_iscsi_nop_out_rx(struct nx_iscsi_conn *c, const struct nx_iscsi_pdu *pdu)
{
	uint32_t itt = nx_pdu_itt(pdu);
	uint32_t ttt = nx_get_be32(pdu->bhs + 20);
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	uint32_t len;

	/* An answer to our ping carries its TTT (11.18.2). */
	if (ttt != NX_ISCSI_RSVD_TAG && c->ping_out && ttt == c->ping_ttt)
		c->ping_out = false;
	if (itt == NX_ISCSI_RSVD_TAG)
		return; /* no answer wanted (11.18.1) */
	/* RFC 7143 11.19: echo the ping data, ITT and LUN; TTT reserved;
	 * StatSN advances because the ITT is valid. */
	nx_iscsi_bhs_init(bhs, NX_ISCSI_OP_NOP_IN, NX_ISCSI_F);
	memcpy(bhs + 8, pdu->bhs + 8, 8);
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	nx_put_be32(bhs + 24, nx_iscsi_conn_next_statsn(c));
	nx_iscsi_conn_fill_sn(c, bhs);
	len = NX_MIN(pdu->data_len, c->params.max_recv_dsl_initiator);
	nx_iscsi_conn_send_pdu(c, bhs, len > 0 ? pdu->data : NULL, len);
}
