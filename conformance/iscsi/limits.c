/*
 * limits.c - resource caps against hostile initiators (RFC 7143 11.13.5
 * 0302h "out of resources"), and the refusal of target resets (RFC 7143
 * 11.6.1 response 6, "Function authorization failed").
 *
 * Each test runs on a fixture variant with small caps (nx_conf.h
 * NX_CONF_FX_*): per source address (sessions, connections still logging
 * in; all streams from one initiator host), per target and per portal
 * (connections), or a target under test that refuses TARGET WARM/COLD
 * RESET.  An external target (tcp) has none of them known: every test
 * here skips there.
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

static void need_fixture(unsigned fx, const char *what)
{
	if ((nx_conf_target()->fx & fx) != fx)
		NX_SKIP("the backend does not serve %s", what);
}

/* A login of cfg; 0 or the failing Login Response's status.  A session
 * that logged in is kept in *out (NULL otherwise). */
static uint16_t login_status(const struct nx_ini_config *cfg,
			     struct nx_conf_sess **out)
{
	struct nx_ini_login l;
	struct nx_conf_sess *s;
	int rc = nx_conf_login_try(cfg, &l, &s);

	*out = NULL;
	if (rc == 0) {
		*out = s;
		return 0;
	}
	nx_conf_drop(s);
	NX_EXPECT_EQ("login result", rc, NX_INI_ELOGIN);
	return (uint16_t)(l.status_class << 8 | l.status_detail);
}

static void cfg_for(struct nx_ini_config *cfg, unsigned initiator,
		    const char *target)
{
	nx_conf_config(cfg, initiator);
	if (target != NULL)
		snprintf(cfg->target_name, sizeof(cfg->target_name), "%s",
			 target);
}

/* ---- per source address --------------------------------------------------- */

/* Sessions from one address are capped whatever initiator names it uses
 * (an attacker rotating names): the third initiator from the same host
 * gets 0302h "out of resources" (RFC 7143 11.13.5); when a session of
 * that host ends, the place is free again. */
static void test_limit_sessions_per_address(void **state)
{
	struct nx_conf_sess *s[NX_CONF_FX_ADDR_CAPS_SESSIONS + 1];
	struct nx_ini_config cfg;
	unsigned n = NX_CONF_FX_ADDR_CAPS_SESSIONS;

	need_fixture(NX_CONF_FX_ADDR_CAPS | NX_CONF_FX_ONE_HOST,
		     "per-address caps");
	for (unsigned i = 0; i < n; i++) {
		cfg_for(&cfg, i, NULL);
		NX_EXPECT_EQ("Status", login_status(&cfg, &s[i]), 0x0000);
	}
	cfg_for(&cfg, n, NULL);
	NX_EXPECT_EQ("Status", login_status(&cfg, &s[n]), 0x0302);
	/* discovery sessions are sessions too */
	cfg.discovery = true;
	cfg.target_name[0] = '\0';
	NX_EXPECT_EQ("Status (discovery)", login_status(&cfg, &s[n]), 0x0302);
	nx_conf_logout(s[0]);
	cfg_for(&cfg, n, NULL);
	NX_EXPECT_EQ("Status after a logout", login_status(&cfg, &s[0]), 0x0000);
	for (unsigned i = 0; i < n; i++)
		nx_conf_logout(s[i]);
}

/* Login Request with a partial key set (C=1, T=0, RFC 7143 11.12.2):
 * the target answers with an empty Login Response and the connection
 * stays in the login phase. */
static void login_partial(struct nx_conf_raw *r, uint8_t isid_last,
			  const char *initiator)
{
	static const uint8_t isid5[5] = { 0x80, 0x00, 0x4e, 0x58, 0xfd };
	uint8_t bhs[48], isid[6];
	char text[512];
	uint32_t n = nx_conf_kv(text, sizeof(text), 0, "InitiatorName", initiator);

	memcpy(isid, isid5, 5);
	isid[5] = isid_last;
	nx_conf_login_bhs(bhs, isid, 0x1000u + isid_last, 1, 1, 3, n);
	bhs[1] = (uint8_t)((bhs[1] & ~0x80) | 0x40); /* T=0, C=1 */
	nx_conf_raw_send(r, bhs, text, n);
}

/* The rest of the key set (T=1): full feature phase. */
static void login_finish(struct nx_conf_raw *r, uint8_t isid_last)
{
	static const uint8_t isid5[5] = { 0x80, 0x00, 0x4e, 0x58, 0xfd };
	static struct nx_conf_pdu p;
	uint8_t bhs[48], isid[6];
	char text[512];
	uint32_t n;

	n = nx_conf_kv(text, sizeof(text), 0, "TargetName", nx_conf_target()->name);
	n = nx_conf_kv(text, sizeof(text), n, "SessionType", "Normal");
	memcpy(isid, isid5, 5);
	isid[5] = isid_last;
	nx_conf_login_bhs(bhs, isid, 0x1000u + isid_last, 1, 1, 3, n);
	nx_conf_raw_send(r, bhs, text, n);
	NX_EXPECT_EQ("Login Response", nx_conf_raw_recv(r, &p), 0);
	NX_EXPECT_EQ("Status", nx_get_be16(p.bhs + 36), 0x0000);
	NX_EXPECT_EQ("T bit", p.bhs[1] & 0x80, 0x80);
}

/* Connections still logging in are capped per source address: the one
 * over the cap is closed at once, before a Login Response; one that
 * reaches full feature phase frees its place. */
static void test_limit_logins_per_address(void **state)
{
	struct nx_conf_raw *r[NX_CONF_FX_ADDR_CAPS_LOGINS + 2];
	static struct nx_conf_pdu p;
	unsigned n = NX_CONF_FX_ADDR_CAPS_LOGINS;
	char name[NX_INI_NAME_MAX];

	need_fixture(NX_CONF_FX_ADDR_CAPS | NX_CONF_FX_ONE_HOST,
		     "per-address caps");
	NX_SKIP_IF_ISER("a connection refused before it exists is a rejected CM request: no stream to observe");
	for (unsigned i = 0; i <= n; i++) {
		r[i] = nx_conf_raw_open();
		nx_conf_initiator_name(i, name, sizeof(name));
		login_partial(r[i], (uint8_t)i, name);
		if (i < n) {
			NX_EXPECT_EQ("Login Response", nx_conf_raw_recv(r[i], &p), 0);
			NX_EXPECT_EQ("Status", nx_get_be16(p.bhs + 36), 0x0000);
			NX_EXPECT_EQ("T bit", p.bhs[1] & 0x80, 0);
		}
	}
	NX_EXPECT_EQ("the connection over the cap", nx_conf_raw_recv(r[n], &p),
		     NX_INI_ECONNRESET);
	nx_conf_raw_free(r[n]);
	login_finish(r[0], 0);
	r[n + 1] = nx_conf_raw_open();
	nx_conf_initiator_name(n + 1, name, sizeof(name));
	login_partial(r[n + 1], (uint8_t)(n + 1), name);
	NX_EXPECT_EQ("Login Response after a login finished",
		     nx_conf_raw_recv(r[n + 1], &p), 0);
	NX_EXPECT_EQ("Status", nx_get_be16(p.bhs + 36), 0x0000);
	for (unsigned i = 0; i < n; i++)
		nx_conf_raw_free(r[i]);
	nx_conf_raw_free(r[n + 1]);
}

/* ---- per target, per portal ------------------------------------------------ */

/* Connections in sessions of one target are capped: over the cap 0302h;
 * another target of the same portal is not affected. */
static void test_limit_conns_per_target(void **state)
{
	struct nx_conf_sess *s[NX_CONF_FX_CONN_CAPS_TARGET + 1], *acl;
	const struct nx_conf_target *t = nx_conf_target();
	struct nx_ini_config cfg;
	unsigned n = NX_CONF_FX_CONN_CAPS_TARGET;

	need_fixture(NX_CONF_FX_CONN_CAPS, "connection caps");
	for (unsigned i = 0; i < n; i++) {
		cfg_for(&cfg, i, NULL);
		NX_EXPECT_EQ("Status", login_status(&cfg, &s[i]), 0x0000);
	}
	cfg_for(&cfg, n, NULL);
	NX_EXPECT_EQ("Status", login_status(&cfg, &s[n]), 0x0302);
	/* initiator 0 is in the ACL target's list */
	cfg_for(&cfg, 0, t->acl_name);
	NX_EXPECT_EQ("Status (other target)", login_status(&cfg, &acl), 0x0000);
	nx_conf_logout(acl);
	nx_conf_logout(s[0]);
	cfg_for(&cfg, n, NULL);
	NX_EXPECT_EQ("Status after a logout", login_status(&cfg, &s[0]), 0x0000);
	for (unsigned i = 0; i < n; i++)
		nx_conf_logout(s[i]);
}

/* Connections through one portal are capped, whatever target they log
 * in to: over the cap 0302h; a connection that ends frees its place. */
static void test_limit_conns_per_portal(void **state)
{
	struct nx_conf_sess *s[NX_CONF_FX_CONN_CAPS_PORTAL], *x;
	const struct nx_conf_target *t = nx_conf_target();
	struct nx_ini_config cfg;

	need_fixture(NX_CONF_FX_CONN_CAPS, "connection caps");
	NX_EXPECT_TRUE("portal cap above the target cap",
		       NX_CONF_FX_CONN_CAPS_PORTAL == NX_CONF_FX_CONN_CAPS_TARGET + 1);
	/* two on the target under test (its cap), one on the ACL target */
	for (unsigned i = 0; i < NX_CONF_FX_CONN_CAPS_TARGET; i++) {
		cfg_for(&cfg, i, NULL);
		NX_EXPECT_EQ("Status", login_status(&cfg, &s[i]), 0x0000);
	}
	cfg_for(&cfg, 0, t->acl_name);
	NX_EXPECT_EQ("Status", login_status(&cfg, &s[2]), 0x0000);
	/* the ACL target has room, the portal has not */
	cfg_for(&cfg, 1, t->acl_name);
	NX_EXPECT_EQ("Status (portal full)", login_status(&cfg, &x), 0x0302);
	nx_conf_logout(s[2]);
	NX_EXPECT_EQ("Status after a logout", login_status(&cfg, &s[2]), 0x0000);
	for (unsigned i = 0; i < NX_CONF_FX_CONN_CAPS_PORTAL; i++)
		nx_conf_logout(s[i]);
}

/* ---- target resets ----------------------------------------------------------- */

/* A target configured to refuse target resets answers TARGET WARM RESET
 * and TARGET COLD RESET with "Function authorization failed" (RFC 7143
 * 11.6.1, 6) and resets nothing: no session is closed, no 29h unit
 * attention appears at another initiator; LOGICAL UNIT RESET still works. */
static void test_target_reset_refused(void **state)
{
	uint8_t tur[6] = { 0 };
	struct nx_conf_sess *a, *b;
	struct nx_conf_result r;
	uint8_t rsp = 0xff;

	need_fixture(NX_CONF_FX_NO_TARGET_RESET, "a target refusing resets");
	a = nx_conf_login(0);
	b = nx_conf_login(1);
	nx_conf_clear_ua(a);
	nx_conf_clear_ua(b);
	NX_EXPECT_EQ("TMF", nx_conf_tmf(a, NX_INI_TMF_TARGET_WARM_RESET, 0,
					NULL, &rsp), 0);
	NX_EXPECT_EQ("TARGET WARM RESET", rsp, NX_INI_TMF_RSP_AUTH_FAILED);
	NX_EXPECT_EQ("TMF", nx_conf_tmf(a, NX_INI_TMF_TARGET_COLD_RESET, 0,
					NULL, &rsp), 0);
	NX_EXPECT_EQ("TARGET COLD RESET", rsp, NX_INI_TMF_RSP_AUTH_FAILED);
	nx_conf_scsi(a, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(b, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("TMF", nx_conf_tmf(a, NX_INI_TMF_LOGICAL_UNIT_RESET,
					nx_ini_lun(nx_conf_lun()), NULL, &rsp), 0);
	NX_EXPECT_EQ("LOGICAL UNIT RESET", rsp, NX_INI_TMF_RSP_COMPLETE);
	nx_conf_clear_ua(b);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST_FX("iscsi", limit_sessions_per_address, "RFC 7143 11.13.5",
			"sessions from one source address are capped whatever initiator names it uses (0302h)",
			NX_CONF_FX_ADDR_CAPS | NX_CONF_FX_ONE_HOST),
	NX_CONF_TEST_FX("iscsi", limit_logins_per_address, "RFC 7143 11.13.5",
			"connections logging in from one source address are capped (closed at accept)",
			NX_CONF_FX_ADDR_CAPS | NX_CONF_FX_ONE_HOST),
	NX_CONF_TEST_FX("iscsi", limit_conns_per_target, "RFC 7143 11.13.5",
			"connections in sessions of one target are capped (0302h), other targets unaffected",
			NX_CONF_FX_CONN_CAPS),
	NX_CONF_TEST_FX("iscsi", limit_conns_per_portal, "RFC 7143 11.13.5",
			"connections through one portal are capped (0302h) whatever their target",
			NX_CONF_FX_CONN_CAPS),
	NX_CONF_TEST_FX("iscsi", target_reset_refused, "RFC 7143 11.6.1",
			"a target refusing target resets answers 6 (authorization failed) and resets nothing",
			NX_CONF_FX_NO_TARGET_RESET),
};

NX_CONF_TABLE(nx_conf_table_iscsi_limits, tests);
