/*
 * login.c - the iSCSI login phase (RFC 7143 6, 11.12, 11.13): status
 * classes and details, CHAP (12.1.3), discovery (appendix C) and logout
 * (11.14, 11.15).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

static void expect_login_status(int rc, const struct nx_ini_login *l,
				uint8_t cls, uint8_t detail)
{
	NX_EXPECT_EQ("login result", rc, NX_INI_ELOGIN);
	NX_EXPECT_EQ("Status-Class", l->status_class, cls);
	NX_EXPECT_EQ("Status-Detail", l->status_detail, detail);
}

static void test_login_success(void **state)
{
	struct nx_ini_config cfg;
	struct nx_ini_login l;
	struct nx_conf_sess *s;

	nx_conf_config(&cfg, 0);
	assert_int_equal(nx_conf_login_try(&cfg, &l, &s), 0);
	NX_EXPECT_EQ("Status-Class", l.status_class, 0);
	NX_EXPECT_EQ("Status-Detail", l.status_detail, 0);
	NX_EXPECT_TRUE("TSIH assigned", l.tsih != 0);
	NX_EXPECT_TRUE("full feature phase", nx_ini_conn_is_ffp(nx_conf_conn(s)));
	nx_conf_logout(s);
}

/* 0203h "Not found": the requested TargetName does not exist. */
static void test_login_unknown_target(void **state)
{
	struct nx_ini_config cfg;
	struct nx_ini_login l;
	struct nx_conf_sess *s;
	int rc;

	nx_conf_config(&cfg, 0);
	snprintf(cfg.target_name, sizeof(cfg.target_name), "%s",
		 "iqn.2026-11.dev.nexus:no-such-target");
	rc = nx_conf_login_try(&cfg, &l, &s);
	expect_login_status(rc, &l, 0x02, 0x03);
	nx_conf_drop(s);
}

static uint32_t login_keys(char *buf, uint32_t cap, bool with_name)
{
	uint32_t n = 0;

	if (with_name)
		n = nx_conf_kv(buf, cap, n, "InitiatorName",
			       "iqn.2026-11.dev.nexus:conform.raw");
	n = nx_conf_kv(buf, cap, n, "SessionType", "Normal");
	n = nx_conf_kv(buf, cap, n, "TargetName", nx_conf_target()->name);
	n = nx_conf_kv(buf, cap, n, "AuthMethod", "None");
	return n;
}

static const uint8_t raw_isid[6] = { 0x80, 0x00, 0x4e, 0x58, 0xff, 0x01 };

/* 0207h "Missing parameter": no InitiatorName in the first Login
 * Request (RFC 7143 13.6: it MUST be sent). */
static void test_login_missing_initiator_name(void **state)
{
	struct nx_conf_raw *raw = nx_conf_raw_open();
	static struct nx_conf_pdu p;
	uint8_t bhs[48];
	char keys[512];
	uint32_t n = login_keys(keys, sizeof(keys), false);

	nx_conf_login_bhs(bhs, raw_isid, 0x11, 1, 0, 1, n);
	nx_conf_raw_send(raw, bhs, keys, n);
	assert_int_equal(nx_conf_raw_recv(raw, &p), 0);
	NX_EXPECT_EQ("opcode", p.bhs[0] & 0x3f, 0x23);
	NX_EXPECT_EQ("Status-Class", p.bhs[36], 0x02);
	NX_EXPECT_EQ("Status-Detail", p.bhs[37], 0x07);
	nx_conf_raw_free(raw);
}

/* Login Response header (RFC 7143 11.13): ISID and ITT echoed,
 * VersionMax/VersionActive 00h, a TSIH on success, StatSN started. */
static void test_login_response_fields(void **state)
{
	struct nx_conf_raw *raw = nx_conf_raw_open();
	static struct nx_conf_pdu p;
	uint8_t bhs[48];
	char keys[512];
	uint32_t n = login_keys(keys, sizeof(keys), true);

	nx_conf_login_bhs(bhs, raw_isid, 0x1234, 1, 0, 1, n);
	nx_conf_raw_send(raw, bhs, keys, n);
	assert_int_equal(nx_conf_raw_recv(raw, &p), 0);
	NX_EXPECT_EQ("opcode", p.bhs[0] & 0x3f, 0x23);
	NX_EXPECT_EQ("Status-Class", p.bhs[36], 0x00);
	NX_EXPECT_EQ("Status-Detail", p.bhs[37], 0x00);
	NX_EXPECT_EQ("Version-max", p.bhs[2], 0x00);
	NX_EXPECT_EQ("Version-active", p.bhs[3], 0x00);
	NX_EXPECT_BYTES(p.bhs + 8, raw_isid, 6);
	NX_EXPECT_EQ("Initiator Task Tag", nx_get_be32(p.bhs + 16), 0x1234);
	NX_EXPECT_EQ("CSG", (p.bhs[1] >> 2) & 3, 0);
	if (p.bhs[1] & 0x80)
		NX_EXPECT_EQ("NSG", p.bhs[1] & 3, 1);
	NX_EXPECT_EQ("ExpCmdSN", nx_get_be32(p.bhs + 28), 1);
	nx_conf_raw_free(raw);
}

static void chap_cfg(struct nx_ini_config *cfg, const char *secret)
{
	const struct nx_conf_target *t = nx_conf_target();

	if (t->chap_name[0] == '\0')
		NX_SKIP("the backend has no CHAP target");
	nx_conf_config(cfg, 0);
	snprintf(cfg->target_name, sizeof(cfg->target_name), "%s", t->chap_name);
	snprintf(cfg->chap_user, sizeof(cfg->chap_user), "%s", t->chap_user);
	snprintf(cfg->chap_secret, sizeof(cfg->chap_secret), "%s", secret);
}

static void test_login_chap_ok(void **state)
{
	struct nx_ini_config cfg;

	chap_cfg(&cfg, nx_conf_target()->chap_secret);
	nx_conf_logout(nx_conf_login_cfg(&cfg));
}

/* 0201h "Authentication failure": a wrong CHAP response. */
static void test_login_chap_wrong_secret(void **state)
{
	struct nx_ini_config cfg;
	struct nx_ini_login l;
	struct nx_conf_sess *s;
	int rc;

	chap_cfg(&cfg, "definitely-not-the-secret");
	rc = nx_conf_login_try(&cfg, &l, &s);
	expect_login_status(rc, &l, 0x02, 0x01);
	nx_conf_drop(s);
}

/* 0201h as well when the initiator offers no authentication to a target
 * that requires CHAP (RFC 7143 11.13.5). */
static void test_login_chap_required(void **state)
{
	struct nx_ini_config cfg;
	struct nx_ini_login l;
	struct nx_conf_sess *s;
	int rc;

	chap_cfg(&cfg, "");
	cfg.chap_user[0] = '\0';
	rc = nx_conf_login_try(&cfg, &l, &s);
	expect_login_status(rc, &l, 0x02, 0x01);
	nx_conf_drop(s);
}

/* A discovery session's SendTargets=All names the target under test. */
static void test_discovery_sendtargets(void **state)
{
	struct nx_ini_config cfg;
	static struct nx_ini_target tg[16];
	struct nx_conf_sess *s;
	unsigned count = 0;
	bool found = false;

	nx_conf_config(&cfg, 0);
	cfg.discovery = true;
	cfg.target_name[0] = '\0';
	s = nx_conf_login_cfg(&cfg);
	assert_int_equal(nx_ini_sync_sendtargets(nx_conf_conn(s),
						 nx_conf_driver(), tg, 16,
						 &count), 0);
	for (unsigned i = 0; i < count && i < 16; i++) {
		if (strcmp(tg[i].name, nx_conf_target()->name) == 0) {
			found = true;
			NX_EXPECT_TRUE("a TargetAddress", tg[i].addr_count >= 1);
		}
	}
	NX_EXPECT_TRUE("target under test listed", found);
	nx_conf_logout(s);
}

/* Logout response 0 ("closed successfully"), then the target closes the
 * connection (RFC 7143 11.15). */
static void test_logout_closes_connection(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_ini_conn *c = nx_conf_conn(s);
	uint8_t response = 0xff;

	assert_int_equal(nx_ini_sync_logout(c, nx_conf_driver(),
					    NX_INI_LOGOUT_SESSION, &response),
			 0);
	NX_EXPECT_EQ("Logout Response", response, 0);
	nx_conf_poll(100);
	NX_EXPECT_TRUE("connection closed", nx_ini_conn_is_dead(c));
	nx_conf_drop(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("iscsi", login_success, "RFC 7143 11.13",
		     "a valid login reaches full feature phase with status 0000h and a TSIH"),
	NX_CONF_TEST("iscsi", login_response_fields, "RFC 7143 11.13",
		     "Login Response echoes ISID/ITT, versions 00h, CSG as sent, ExpCmdSN 1"),
	NX_CONF_TEST("iscsi", login_unknown_target, "RFC 7143 11.13.5",
		     "an unknown TargetName: Login Response 0203h (Not found)"),
	NX_CONF_TEST("iscsi", login_missing_initiator_name, "RFC 7143 11.13.5",
		     "no InitiatorName in the first Login Request: 0207h (Missing parameter)"),
	NX_CONF_TEST("iscsi", login_chap_ok, "RFC 7143 12.1.3",
		     "CHAP with the right secret logs in"),
	NX_CONF_TEST("iscsi", login_chap_wrong_secret, "RFC 7143 12.1.3",
		     "CHAP with a wrong secret: 0201h (Authentication failure)"),
	NX_CONF_TEST("iscsi", login_chap_required, "RFC 7143 11.13.5",
		     "AuthMethod=None to a CHAP target: 0201h (Authentication failure)"),
	NX_CONF_TEST("iscsi", discovery_sendtargets, "RFC 7143 C",
		     "a discovery session's SendTargets=All lists the target with an address"),
	NX_CONF_TEST("iscsi", logout_closes_connection, "RFC 7143 11.15",
		     "Logout (close session): response 0, then the connection is closed"),
};

NX_CONF_TABLE(nx_conf_table_iscsi_login, tests);
