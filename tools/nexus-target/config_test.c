/* config_test.c - nexus-target command line and config file parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

static char err[1024];

static int parse(struct nx_daemon_config *cfg, int argc, char **argv)
{
	nx_config_init(cfg);
	err[0] = '\0';
	if (nx_config_parse_args(cfg, argc, argv, err, sizeof(err)) < 0)
		return -1;
	return nx_config_finish(cfg, err, sizeof(err));
}

#define ARGV(...) ((char *[]){ "nexus-target", __VA_ARGS__ })
#define ARGC(...) ((int)(sizeof(ARGV(__VA_ARGS__)) / sizeof(char *)))
#define PARSE(cfg, ...) parse(cfg, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_size(void **state)
{
	uint64_t v;

	assert_int_equal(nx_config_parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(nx_config_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(nx_config_parse_size("128M", &v), 0);
	assert_int_equal(v, 128ull << 20);
	assert_int_equal(nx_config_parse_size("1GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(nx_config_parse_size("2TB", &v), 0);
	assert_int_equal(v, 2ull << 40);
	assert_int_equal(nx_config_parse_size("0", &v), -1);
	assert_int_equal(nx_config_parse_size("", &v), -1);
	assert_int_equal(nx_config_parse_size("12Q", &v), -1);
	assert_int_equal(nx_config_parse_size("1M1", &v), -1);
	assert_int_equal(nx_config_parse_size("-1", &v), -1);
	assert_int_equal(nx_config_parse_size("16777216T", &v), -1); /* 2^64 */
	assert_int_equal(nx_config_parse_size("99999999999999999999", &v), -1);
}

static void test_portal(void **state)
{
	struct nx_cfg_portal p;
	char text[80];

	assert_int_equal(nx_config_parse_portal("127.0.0.1:3261", &p, err, sizeof(err)), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.port, 3261);
	assert_string_equal(p.host, "127.0.0.1");
	assert_int_equal(nx_config_parse_portal("[::1]:3262", &p, err, sizeof(err)), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.port, 3262);
	nx_config_portal_text(&p, 0, text, sizeof(text));
	assert_string_equal(text, "[::1]:3262");
	nx_config_portal_text(&p, 40000, text, sizeof(text));
	assert_string_equal(text, "[::1]:40000");
	assert_int_equal(nx_config_parse_portal("10.1.2.3", &p, err, sizeof(err)), 0);
	assert_int_equal(p.port, 3260);
	assert_int_equal(nx_config_parse_portal("localhost:0", &p, err, sizeof(err)), 0);
	assert_string_equal(p.host, "127.0.0.1");
	assert_int_equal(p.port, 0);
	assert_int_equal(nx_config_parse_portal("::1:3260", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "brackets"));
	assert_int_equal(nx_config_parse_portal("1.2.3.4:65536", &p, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_portal("1.2.3.4:", &p, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_portal("example.com:3260", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "numeric"));
	assert_int_equal(nx_config_parse_portal("[::1", &p, err, sizeof(err)), -1);
}

static void test_lun(void **state)
{
	struct nx_cfg_lun l;

	assert_int_equal(nx_config_parse_lun("1=ram:128M", &l, err, sizeof(err)), 0);
	assert_int_equal(l.lun, 1);
	assert_int_equal(l.kind, NX_CFG_LUN_RAM);
	assert_int_equal(l.size_bytes, 128ull << 20);
	assert_int_equal(l.block_size, 512);
	assert_false(l.read_only);
	assert_int_equal(nx_config_parse_lun("16383=null:1T,ro,bs=4096", &l, err, sizeof(err)), 0);
	assert_int_equal(l.lun, 16383);
	assert_int_equal(l.kind, NX_CFG_LUN_NULL);
	assert_true(l.read_only);
	assert_int_equal(l.block_size, 4096);
	assert_int_equal(nx_config_parse_lun("0=file:/srv/a.img,direct,size=1G,ro", &l, err, sizeof(err)), 0);
	assert_int_equal(l.kind, NX_CFG_LUN_FILE);
	assert_string_equal(l.path, "/srv/a.img");
	assert_true(l.direct);
	assert_true(l.read_only);
	assert_int_equal(l.size_bytes, 1ull << 30);
	free(l.path);
	assert_int_equal(nx_config_parse_lun("2=file:/srv/b.img", &l, err, sizeof(err)), 0);
	assert_int_equal(l.size_bytes, 0); /* the file's own size */
	free(l.path);

	assert_int_equal(nx_config_parse_lun("16384=ram:1M", &l, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_lun("x=ram:1M", &l, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_lun("=ram:1M", &l, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_lun("1ram:1M", &l, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_lun("1=disk:1M", &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ram:SIZE"));
	assert_int_equal(nx_config_parse_lun("1=file:", &l, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_lun("1=ram:1000", &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "multiple"));
	assert_int_equal(nx_config_parse_lun("1=ram:1M,direct", &l, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_lun("1=ram:1M,bs=1024", &l, err, sizeof(err)), -1);
	assert_int_equal(nx_config_parse_lun("1=file:/a,size=big", &l, err, sizeof(err)), -1);
	assert_null(l.path); /* freed on error */
}

/* removable and pbs= (physical block size) on every backstore kind. */
static void test_lun_removable_pbs(void **state)
{
	struct nx_cfg_lun l;

	assert_int_equal(nx_config_parse_lun("1=ram:1M", &l, err, sizeof(err)), 0);
	assert_false(l.removable);
	assert_int_equal(l.phys_block_size, 0); /* the core's default */
	assert_int_equal(nx_config_parse_lun("1=ram:1M,removable,pbs=8K", &l, err, sizeof(err)), 0);
	assert_true(l.removable);
	assert_int_equal(l.phys_block_size, 8192);
	assert_int_equal(nx_config_parse_lun("1=null:1G,bs=4096,pbs=4096", &l, err, sizeof(err)), 0);
	assert_int_equal(l.phys_block_size, 4096);
	assert_int_equal(nx_config_parse_lun("1=ram:1M,pbs=3000", &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "power of two"));
	assert_int_equal(nx_config_parse_lun("1=ram:1M,bs=4096,pbs=512", &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "times the 4096-byte block"));
	assert_int_equal(nx_config_parse_lun("1=ram:1M,pbs=32M", &l, err, sizeof(err)), -1);
}

static void test_names(void **state)
{
	assert_true(nx_config_valid_name("iqn.2026-11.dev.nexus:target0"));
	assert_true(nx_config_valid_name("iqn.1993-08.org.debian:01:abcdef"));
	assert_true(nx_config_valid_name("eui.0123456789ABCDEF"));
	assert_true(nx_config_valid_name("naa.0123456789abcdef0123456789abcdef"));
	assert_false(nx_config_valid_name("target0"));
	assert_false(nx_config_valid_name("iqn.26-11.dev.x"));
	assert_false(nx_config_valid_name("iqn.2026-11.dev nexus"));
	assert_false(nx_config_valid_name("eui.0123"));
	assert_false(nx_config_valid_name("naa.0123456789abcdefXX"));
}

static void test_no_arguments_is_the_embedded_default(void **state)
{
	struct nx_daemon_config cfg;
	char *argv[] = { "nexus-target" };

	assert_int_equal(parse(&cfg, 1, argv), 0);
	assert_int_equal(cfg.portal_count, 1);
	assert_string_equal(cfg.portals[0].host, "127.0.0.1");
	assert_int_equal(cfg.portals[0].port, 3260);
	assert_int_equal(cfg.target_count, 1);
	assert_string_equal(cfg.targets[0]->name, NX_CFG_DEFAULT_TARGET);
	assert_int_equal(cfg.targets[0]->lun_count, 1);
	assert_int_equal(cfg.targets[0]->luns[0].lun, 1);
	assert_int_equal(cfg.targets[0]->luns[0].kind, NX_CFG_LUN_RAM);
	assert_int_equal(cfg.targets[0]->luns[0].size_bytes, 128ull << 20);
	assert_false(cfg.targets[0]->chap.set);
	assert_int_equal(cfg.log_level, NX_LOG_INFO);
	assert_int_equal(cfg.poll_us, NX_CONFIG_POLL_US_DEFAULT);
	nx_config_free(&cfg);
}

static void test_options_attach_to_preceding_target(void **state)
{
	struct nx_daemon_config cfg;

	assert_int_equal(PARSE(&cfg, "--portal", "127.0.0.1:3300", "--portal=[::1]:3301",
			       "--target", "iqn.2026-11.com.example:a", "--lun", "1=ram:1M",
			       "--chap", "alice:secret:with:colons",
			       "--target=iqn.2026-11.com.example:b", "-l", "0=null:1G",
			       "--acl", "iqn.1993-08.org.debian:01:h1",
			       "--chap", "dave:abcdefabcdefab",
			       "--mutual-chap", "tgt:anothersecret1",
			       "--log-level", "debug"), 0);
	assert_int_equal(cfg.portal_count, 2);
	assert_int_equal(cfg.portals[1].family, AF_INET6);
	assert_int_equal(cfg.target_count, 2);
	assert_string_equal(cfg.targets[0]->name, "iqn.2026-11.com.example:a");
	assert_int_equal(cfg.targets[0]->lun_count, 1);
	assert_true(cfg.targets[0]->chap.set);
	assert_string_equal(cfg.targets[0]->chap.user, "alice");
	assert_string_equal(cfg.targets[0]->chap.secret, "secret:with:colons");
	assert_int_equal(cfg.targets[0]->acl_count, 0);
	assert_int_equal(cfg.targets[1]->luns[0].lun, 0);
	assert_int_equal(cfg.targets[1]->acl_count, 1);
	assert_string_equal(cfg.targets[1]->acl[0], "iqn.1993-08.org.debian:01:h1");
	assert_string_equal(cfg.targets[1]->chap.user, "dave");
	assert_true(cfg.targets[1]->mutual_chap.set);
	assert_string_equal(cfg.targets[1]->mutual_chap.secret, "anothersecret1");
	assert_int_equal(cfg.log_level, NX_LOG_DEBUG);
	/* explicit portals replace the default one */
	assert_int_equal(cfg.portals[0].port, 3300);
	nx_config_free(&cfg);
}

static void test_options_before_target_configure_default_target(void **state)
{
	struct nx_daemon_config cfg;

	/* only --chap: the default target keeps its default LUN */
	assert_int_equal(PARSE(&cfg, "--chap", "bob:0123456789abcdef"), 0);
	assert_int_equal(cfg.target_count, 1);
	assert_string_equal(cfg.targets[0]->name, NX_CFG_DEFAULT_TARGET);
	assert_true(cfg.targets[0]->chap.set);
	assert_int_equal(cfg.targets[0]->lun_count, 1);
	assert_int_equal(cfg.targets[0]->luns[0].size_bytes, 128ull << 20);
	nx_config_free(&cfg);
	/* a --lun replaces the default LUN */
	assert_int_equal(PARSE(&cfg, "--lun", "3=null:1G"), 0);
	assert_int_equal(cfg.targets[0]->lun_count, 1);
	assert_int_equal(cfg.targets[0]->luns[0].lun, 3);
	nx_config_free(&cfg);
}

static void expect_error(int argc, char **argv, const char *needle)
{
	struct nx_daemon_config cfg;

	assert_int_equal(parse(&cfg, argc, argv), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
	nx_config_free(&cfg);
}

#define EXPECT_ERROR(needle, ...) expect_error(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), needle)

static void test_errors_say_what_and_how(void **state)
{
	EXPECT_ERROR("unknown option '--bogus'", "--bogus");
	EXPECT_ERROR("--lun needs a value", "--lun");
	EXPECT_ERROR("--help takes no value", "--help=yes");
	EXPECT_ERROR("unexpected argument 'serve'", "serve");
	EXPECT_ERROR("LUN 1 of iqn.2026-11.dev.nexus:target0 is given twice",
		     "--lun", "1=ram:1M", "--lun", "1=null:1M");
	EXPECT_ERROR("given twice", "--target", "iqn.2026-11.a.b:c", "--lun", "1=ram:1M",
		     "--target", "iqn.2026-11.a.b:c");
	EXPECT_ERROR("has no LUN (add e.g. --lun 1=ram:128M",
		     "--target", "iqn.2026-11.a.b:c");
	EXPECT_ERROR("--mutual-chap needs --chap", "--mutual-chap", "t:abcdefabcdefabcdef");
	EXPECT_ERROR("must differ", "--chap", "a:abcdefabcdefabcdef",
		     "--mutual-chap", "t:abcdefabcdefabcdef");
	EXPECT_ERROR("expected USER:SECRET", "--chap", "nosecret");
	EXPECT_ERROR("portal 127.0.0.1:3260 is given twice",
		     "--portal", "127.0.0.1:3260", "--portal", "127.0.0.1:3260");
	EXPECT_ERROR("unknown level 'loud'", "--log-level", "loud");
	EXPECT_ERROR("not an iSCSI initiator name", "--acl", "host1");
	EXPECT_ERROR("cannot open config file", "--config", "/nonexistent/nexus.conf");
}

/* Issue 12: security and limits options. */
static void test_security_options(void **state)
{
	struct nx_daemon_config cfg;
	static struct nx_iscsi_server_config sc;

	assert_int_equal(PARSE(&cfg, "--target", "iqn.2026-11.a.b:c", "--lun", "1=ram:1M",
			       "--lun", "2=ram:1M",
			       "--acl", "iqn.1993-08.org.debian:01:h1,ro",
			       "--acl", "iqn.1993-08.org.debian:01:h2,ro=2,ro=7",
			       "--acl", "iqn.1993-08.org.debian:01:h3",
			       "--discovery-chap", "disco:discovery-secret",
			       "--discovery-mutual-chap", "tgt:another-discovery",
			       "--chap-algorithms", "sha256,MD5",
			       "--login-timeout", "5", "--keepalive", "7",
			       "--poll-us", "0",
			       "--max-sessions", "1000",
			       "--max-logins", "32", "--max-sessions-per-initiator", "4",
			       "--auth-lockout-max", "120"), 0);
	assert_int_equal(cfg.targets[0]->acl_count, 3);
	assert_string_equal(cfg.targets[0]->acl[0], "iqn.1993-08.org.debian:01:h1");
	assert_true(cfg.targets[0]->acl_ro[0].all);
	assert_false(cfg.targets[0]->acl_ro[1].all);
	assert_int_equal(cfg.targets[0]->acl_ro[1].lun_count, 2);
	assert_int_equal(cfg.targets[0]->acl_ro[1].luns[0], 2);
	assert_int_equal(cfg.targets[0]->acl_ro[1].luns[1], 7);
	assert_int_equal(cfg.targets[0]->acl_ro[2].lun_count, 0);
	assert_string_equal(cfg.discovery_chap.user, "disco");
	assert_true(cfg.discovery_mutual_chap.set);
	assert_int_equal(cfg.chap_alg_count, 2);
	assert_int_equal(cfg.chap_algs[0], NX_ISCSI_CHAP_SHA256);
	assert_int_equal(cfg.chap_algs[1], NX_ISCSI_CHAP_MD5);
	assert_int_equal(cfg.limits.login_timeout_ms, 5000);
	assert_int_equal(cfg.poll_us, 0);
	assert_int_equal(cfg.limits.max_sessions, 1000);
	assert_int_equal(cfg.limits.nopin_interval_ms, 7000);
	assert_int_equal(cfg.limits.max_login_conns, 32);
	assert_int_equal(cfg.limits.max_sessions_per_initiator, 4);
	assert_int_equal(cfg.limits.auth_lockout_max_ms, 120000);
	memset(&sc, 0, sizeof(sc));
	nx_config_server_settings(&cfg, &sc);
	assert_true(sc.discovery_chap.set);
	assert_int_equal(sc.chap_alg_count, 2);
	assert_int_equal(sc.limits.max_login_conns, 32);
	nx_config_free(&cfg);
}

/* Per-address and per-portal/target caps (server-wide), target reset
 * refusal (per target, like --acl). */
static void test_limit_options(void **state)
{
	struct nx_daemon_config cfg;
	static struct nx_iscsi_server_config sc;

	assert_int_equal(PARSE(&cfg, "--max-logins-per-address", "4",
			       "--max-sessions-per-address", "8",
			       "--max-connections-per-portal", "100",
			       "--max-connections-per-target", "50",
			       "--target", "iqn.2026-11.a.b:c", "--lun", "1=ram:1M",
			       "--allow-target-reset", "no",
			       "--target", "iqn.2026-11.a.b:d", "--lun", "1=ram:1M",
			       "--allow-target-reset", "yes"), 0);
	assert_int_equal(cfg.limits.max_logins_per_address, 4);
	assert_int_equal(cfg.limits.max_sessions_per_address, 8);
	assert_int_equal(cfg.limits.max_conns_per_portal, 100);
	assert_int_equal(cfg.limits.max_conns_per_target, 50);
	assert_true(cfg.targets[0]->refuse_target_reset);
	assert_false(cfg.targets[1]->refuse_target_reset);
	memset(&sc, 0, sizeof(sc));
	nx_config_server_settings(&cfg, &sc);
	assert_int_equal(sc.limits.max_sessions_per_address, 8);
	assert_int_equal(sc.limits.max_conns_per_target, 50);
	nx_config_free(&cfg);
	/* defaults: 0 = the transport's (16, 32, no cap), resets allowed */
	assert_int_equal(PARSE(&cfg, "--lun", "1=ram:1M"), 0);
	assert_int_equal(cfg.limits.max_logins_per_address, 0);
	assert_int_equal(cfg.limits.max_sessions_per_address, 0);
	assert_false(cfg.targets[0]->refuse_target_reset);
	nx_config_free(&cfg);
	EXPECT_ERROR("expected yes or no", "--allow-target-reset", "maybe");
	EXPECT_ERROR("expected a whole number 1..256",
		     "--max-sessions-per-address", "0");
	EXPECT_ERROR("expected a whole number 1..1024",
		     "--max-logins-per-address", "2000");
}

static void test_security_errors(void **state)
{
	/* RFC 7143 12.1.3: 96 bits; the secret itself is never echoed */
	EXPECT_ERROR("is 11 bytes; RFC 7143 12.1.3 asks for at least 12",
		     "--chap", "alice:elevenbytes");
	EXPECT_ERROR("CHAP user 'tgt'", "--chap", "a:abcdefabcdefabcdef",
		     "--mutual-chap", "tgt:tiny");
	EXPECT_ERROR("is 5 bytes", "--discovery-chap", "d:short");
	EXPECT_ERROR("--discovery-mutual-chap needs --discovery-chap",
		     "--discovery-mutual-chap", "t:abcdefabcdefabcdef");
	EXPECT_ERROR("must differ", "--discovery-chap", "d:abcdefabcdefabcdef",
		     "--discovery-mutual-chap", "t:abcdefabcdefabcdef");
	EXPECT_ERROR("unknown CHAP algorithm 'sha1'", "--chap-algorithms", "sha1");
	EXPECT_ERROR("'5' is given twice", "--chap-algorithms", "md5,5");
	EXPECT_ERROR("unknown option 'rw'", "--acl", "iqn.1993-08.org.debian:01:h1,rw");
	EXPECT_ERROR("N must be a LUN", "--acl", "iqn.1993-08.org.debian:01:h1,ro=x");
	EXPECT_ERROR("given twice", "--acl", "iqn.1993-08.org.debian:01:h1",
		     "--acl", "iqn.1993-08.org.debian:01:H1");
	EXPECT_ERROR("expected a whole number 1..3600", "--login-timeout", "0");
	EXPECT_ERROR("expected a whole number 1..1024", "--max-logins", "5000");
	EXPECT_ERROR("expected a whole number", "--keepalive", "ten");
	EXPECT_ERROR("expected a whole number", "--poll-us", "1001");
	EXPECT_ERROR("expected a whole number", "--max-sessions", "16385");
}

static void test_secret_never_in_errors(void **state)
{
	struct nx_daemon_config cfg;

	assert_int_equal(PARSE(&cfg, "--chap", "alice:Zq9shortpw"), -1);
	assert_null(strstr(err, "Zq9shortpw"));
	assert_non_null(strstr(err, "--chap alice:<secret>"));
	nx_config_free(&cfg);
	assert_int_equal(PARSE(&cfg, "--chap", "a:Zq9longenoughsecret",
			       "--chap", "b:Zq9otherlongsecret"), -1);
	assert_null(strstr(err, "Zq9"));
	nx_config_free(&cfg);
}

static void test_help_and_version(void **state)
{
	struct nx_daemon_config cfg;

	assert_int_equal(PARSE(&cfg, "-h"), 0);
	assert_true(cfg.help);
	assert_int_equal(cfg.target_count, 0); /* no defaults applied */
	nx_config_free(&cfg);
	assert_int_equal(PARSE(&cfg, "--version"), 0);
	assert_true(cfg.version);
	nx_config_free(&cfg);
}

static const char *write_file(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/nx_config_test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* ALUA: without --tpg one group 1 of every portal; --tpg portals become
 * portals in order; --alua sets states and PREF; mixing --portal with
 * --tpg and naming undefined groups are errors. */
static void test_tpg_and_alua(void **state)
{
	struct nx_daemon_config cfg;

	assert_int_equal(PARSE(&cfg, "--portal", "127.0.0.1:0", "--portal",
			       "127.0.0.1:0", "--alua", "1=an:pref"), 0);
	assert_int_equal(cfg.tpg_count, 1);
	assert_int_equal(cfg.tpgs[0].id, 1);
	assert_int_equal(cfg.tpgs[0].portals, 0x3);
	assert_int_equal(cfg.tpgs[0].state, NX_ALUA_ACTIVE_NON_OPTIMIZED);
	assert_true(cfg.tpgs[0].pref);
	nx_config_free(&cfg);

	assert_int_equal(PARSE(&cfg, "--tpg", "1=127.0.0.1:3260",
			       "--tpg", "7=127.0.0.1:3261+127.0.0.1:3262",
			       "--alua", "1=active-optimized,7=standby"), 0);
	assert_int_equal(cfg.portal_count, 3);
	assert_int_equal(cfg.portals[2].port, 3262);
	assert_int_equal(cfg.tpg_count, 2);
	assert_int_equal(cfg.tpgs[0].portals, 0x1);
	assert_int_equal(cfg.tpgs[1].id, 7);
	assert_int_equal(cfg.tpgs[1].portals, 0x6);
	assert_int_equal(cfg.tpgs[1].state, NX_ALUA_STANDBY);
	assert_false(cfg.tpgs[1].pref);
	nx_config_free(&cfg);

	assert_int_equal(PARSE(&cfg, "--portal", "127.0.0.1:3260", "--tpg",
			       "2=127.0.0.1:3261"), -1);
	assert_non_null(strstr(err, "--portal and --tpg"));
	nx_config_free(&cfg);
	assert_int_equal(PARSE(&cfg, "--tpg", "1=127.0.0.1:3260", "--alua",
			       "2=standby"), -1);
	assert_non_null(strstr(err, "no --tpg defines"));
	nx_config_free(&cfg);
	assert_int_equal(PARSE(&cfg, "--alua", "1=sleepy"), -1);
	assert_non_null(strstr(err, "STATE"));
	nx_config_free(&cfg);
	assert_int_equal(PARSE(&cfg, "--tpg", "70000=127.0.0.1:3260"), -1);
	nx_config_free(&cfg);
	assert_int_equal(PARSE(&cfg, "--tpg", "1=127.0.0.1:3260",
			       "--tpg", "2=127.0.0.1:3260"), -1);
	assert_non_null(strstr(err, "twice"));
	nx_config_free(&cfg);
}

static void test_config_file(void **state)
{
	struct nx_daemon_config cfg;
	const char *path = write_file(
		"# nexus-target configuration\n"
		"\n"
		"portal 127.0.0.1:3310   # loopback only\n"
		"  target   iqn.2026-11.com.example:f\n"
		"lun 1=ram:1G\n"
		"lun=2=null:2G\n"
		"--chap carol:0123456789abcdef\n"
		"log-level warn\n");

	assert_int_equal(PARSE(&cfg, "--config", (char *)path, "--lun", "3=ram:1M"), 0);
	assert_int_equal(cfg.portal_count, 1);
	assert_int_equal(cfg.portals[0].port, 3310);
	assert_int_equal(cfg.target_count, 1);
	/* the command line continues where the file left off */
	assert_int_equal(cfg.targets[0]->lun_count, 3);
	assert_int_equal(cfg.targets[0]->luns[1].lun, 2);
	assert_int_equal(cfg.targets[0]->luns[1].size_bytes, 2ull << 30);
	assert_string_equal(cfg.targets[0]->chap.user, "carol");
	assert_int_equal(cfg.log_level, NX_LOG_WARN);
	nx_config_free(&cfg);
	unlink(path);
}

static void test_config_file_errors_name_the_line(void **state)
{
	struct nx_daemon_config cfg;
	char needle[128];
	const char *path = write_file("target iqn.2026-11.com.example:f\n"
				      "\n"
				      "lun 1=ram:1X\n");

	snprintf(needle, sizeof(needle), "%s:3: --lun 1=ram:1X: bad size", path);
	EXPECT_ERROR(needle, "-c", (char *)path);
	unlink(path);
	path = write_file("frobnicate yes\n");
	EXPECT_ERROR(":1: unknown setting 'frobnicate'", "--config", (char *)path);
	unlink(path);
	path = write_file("config /etc/other.conf\n");
	EXPECT_ERROR("cannot include other config files", "--config", (char *)path);
	unlink(path);
	path = write_file("help extra\n");
	EXPECT_ERROR("'help' takes no value", "--config", (char *)path);
	unlink(path);
	(void)cfg;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_portal),
		cmocka_unit_test(test_lun),
		cmocka_unit_test(test_lun_removable_pbs),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_arguments_is_the_embedded_default),
		cmocka_unit_test(test_options_attach_to_preceding_target),
		cmocka_unit_test(test_options_before_target_configure_default_target),
		cmocka_unit_test(test_errors_say_what_and_how),
		cmocka_unit_test(test_security_options),
		cmocka_unit_test(test_limit_options),
		cmocka_unit_test(test_security_errors),
		cmocka_unit_test(test_secret_never_in_errors),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_tpg_and_alua),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_file_errors_name_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
