// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - nexus.ko: one iSCSI target with one RAM LU on one portal,
 * built from the same core/ and transports/iscsi/ objects as nexus-target
 * and the simulator.
 *
 *   insmod nexus.ko portal=0.0.0.0:3260 iqn=iqn.2026-11.dev.nexus:target0 \
 *                   lun_size=64M block_size=512 log_level=2 \
 *                   [chap=USER:SECRET [mutual_chap=USER:SECRET]] \
 *                   [discovery_chap=USER:SECRET] [login_timeout=15] [keepalive=35] \
 *                   [max_logins=64] [max_sessions=256] [max_sessions_per_initiator=16] \
 *                   [max_logins_per_address=16] [max_sessions_per_address=32] \
 *                   [max_connections_per_portal=N] [max_connections_per_target=N] \
 *                   [auth_lockout_max=60] [allow_target_reset=y]
 *
 * (modinfo nexus.ko lists every parameter with its unit, range and default.)
 *
 * Set-up and tear-down run on the loop (nx_kloop_call) like everything
 * else that touches portable code.  Unload stops listening, drops every
 * connection, waits (at most NEXUS_DRAIN_MS) for the sessions to drain
 * their tasks, frees everything and reports outstanding allocations and
 * armed timers, so a leak shows in the kernel log.
 */
#define pr_fmt(fmt) "nexus: " fmt

#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "nx_kmod.h"

#define NEXUS_DRAIN_MS 10000
#define NEXUS_LUN_SIZE_MAX (64ull << 30)

/* An unsigned int parameter, 0 when not given, readable through
 * /sys/module/nexus/parameters; desc says its unit, range and default
 * (modinfo). */
#define NEXUS_UINT_PARAM(name, desc)		\
	static unsigned int name;		\
	module_param(name, uint, 0444);		\
	MODULE_PARM_DESC(name, desc)

static char *portal = "0.0.0.0:3260";
module_param(portal, charp, 0444);
MODULE_PARM_DESC(portal, "IPv4 portal ADDR[:PORT] (default 0.0.0.0:3260)");

static char *iqn = "iqn.2026-11.dev.nexus:target0";
module_param(iqn, charp, 0444);
MODULE_PARM_DESC(iqn, "target name (default iqn.2026-11.dev.nexus:target0)");

static char *lun_size = "64M";
module_param(lun_size, charp, 0444);
MODULE_PARM_DESC(lun_size, "size of the RAM LU 0, K/M/G suffix (default 64M)");

static unsigned int block_size = 512;
module_param(block_size, uint, 0444);
MODULE_PARM_DESC(block_size, "logical block size, 512 or 4096 (default 512)");

static int log_level = NX_LOG_INFO;
module_param(log_level, int, 0444);
MODULE_PARM_DESC(log_level, "0 err, 1 warn, 2 info, 3 debug (default 2)");

static char *state_dir = "/var/lib/nexus";
module_param(state_dir, charp, 0444);
MODULE_PARM_DESC(state_dir, "directory for persistent state (APTPL, saved "
		 "mode pages); empty "
		 "or unusable: in memory only (default /var/lib/nexus)");

/* CHAP credentials (RFC 7143 12.1.3; secrets >= 12 bytes).  Mode 0: not
 * readable through /sys/module/nexus/parameters. */
static char *chap = "";
module_param(chap, charp, 0);
MODULE_PARM_DESC(chap, "USER:SECRET the initiator must log in with (CHAP)");

static char *mutual_chap = "";
module_param(mutual_chap, charp, 0);
MODULE_PARM_DESC(mutual_chap, "USER:SECRET the target answers mutual CHAP with");

static char *discovery_chap = "";
module_param(discovery_chap, charp, 0);
MODULE_PARM_DESC(discovery_chap, "USER:SECRET discovery sessions must log in with");

/* iSCSI limits against misbehaving or hostile initiators (struct
 * nx_iscsi_limits), the same as nexus-target's options of the same names
 * (--login-timeout, --max-sessions-per-initiator, ...) with the same
 * ranges (nexus_limit_params[]).  0, the value when not given, means the
 * transport's default. */
NEXUS_UINT_PARAM(login_timeout, "seconds from connect to full feature phase, "
		 "1-3600 (0: default 15)");

NEXUS_UINT_PARAM(keepalive, "seconds of silence before a NOP-In ping; as long "
		 "again unanswered drops the connection, 1-3600 (0: default 35)");

NEXUS_UINT_PARAM(max_logins, "connections still logging in at once, more are "
		 "closed at accept, 1-1024 (0: default 64)");

NEXUS_UINT_PARAM(max_sessions_per_initiator, "sessions one initiator name may "
		 "hold, more get login status 0302h, 1-256 (0: default 16)");

NEXUS_UINT_PARAM(max_sessions, "sessions the target holds at once, every "
		 "initiator together, more get 0302h, 1-16384 (0: default 256)");

NEXUS_UINT_PARAM(max_logins_per_address, "connections from one source IP "
		 "address still logging in, more are closed at accept, "
		 "1-1024 (0: default 16)");

NEXUS_UINT_PARAM(max_sessions_per_address, "sessions from one source IP "
		 "address, whatever initiator names it uses, more get 0302h, "
		 "1-256 (0: default 32)");

NEXUS_UINT_PARAM(max_connections_per_portal, "connections through the portal, "
		 "more get 0302h, 1-65535 (0: default no cap)");

NEXUS_UINT_PARAM(max_connections_per_target, "connections in sessions of the "
		 "target, more get 0302h, 1-65535 (0: default no cap)");

NEXUS_UINT_PARAM(auth_lockout_max, "seconds: after 3 CHAP failures of an "
		 "initiator name or address each failure locks them out for "
		 "1, 2, 4 ... s, at most this, 1-86400 (0: default 60)");

/* TARGET WARM/COLD RESET end every session of the target, other
 * initiators' too; n answers them "function authorization failed"
 * (RFC 7143 11.6.1, response 6) instead. */
static bool allow_target_reset = true;
module_param(allow_target_reset, bool, 0444);
MODULE_PARM_DESC(allow_target_reset, "y: TARGET WARM/COLD RESET are performed "
		 "(default); n: refused with \"function authorization failed\"");

/* The ranges of tools/nexus-target/config.c's parser; 0 (unset) is
 * accepted here on top and means the transport's default. */
struct nexus_limit_param {
	const char *name;
	const unsigned int *value;
	unsigned int max;
};

static const struct nexus_limit_param nexus_limit_params[] = {
	{ "login_timeout", &login_timeout, 3600 },
	{ "keepalive", &keepalive, 3600 },
	{ "max_logins", &max_logins, 1024 },
	{ "max_sessions", &max_sessions, NX_ISCSI_SESSIONS_LIMIT },
	{ "max_sessions_per_initiator", &max_sessions_per_initiator, 256 },
	{ "max_logins_per_address", &max_logins_per_address, 1024 },
	{ "max_sessions_per_address", &max_sessions_per_address, 256 },
	{ "max_connections_per_portal", &max_connections_per_portal, 65535 },
	{ "max_connections_per_target", &max_connections_per_target, 65535 },
	{ "auth_lockout_max", &auth_lockout_max, 86400 },
};

struct nexus {
	struct sockaddr_in addr;
	u64 size_bytes;
	char portal_text[32];
	struct nx_target *tgt;
	struct nx_iscsi_server_config *cfg;
	struct nx_iscsi_server *srv;
	struct nx_kportal *portal;
};

static struct nexus *nexus;

/* "A.B.C.D[:PORT]" */
static int parse_portal(const char *s, struct sockaddr_in *sin)
{
	const char *end;
	u16 port = NX_ISCSI_PORT_DEFAULT;

	memset(sin, 0, sizeof(*sin));
	if (!in4_pton(s, -1, (u8 *)&sin->sin_addr.s_addr, ':', &end))
		return -EINVAL;
	if (*end == ':' && kstrtou16(end + 1, 10, &port))
		return -EINVAL;
	if (*end != ':' && *end != '\0')
		return -EINVAL;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return 0;
}

static int check_limit_params(void)
{
	const struct nexus_limit_param *p;

	for (p = nexus_limit_params;
	     p < nexus_limit_params + ARRAY_SIZE(nexus_limit_params); p++) {
		if (*p->value > p->max) {
			pr_err("%s=%u: allowed 1 to %u (0: the default)\n",
			       p->name, *p->value, p->max);
			return -EINVAL;
		}
	}
	return 0;
}

/* Seconds become milliseconds: at most 86400 * 1000, no overflow. */
static void set_limits(struct nx_iscsi_server_config *cfg)
{
	struct nx_iscsi_limits *l = &cfg->limits;

	l->login_timeout_ms = login_timeout * 1000;
	l->nopin_interval_ms = keepalive * 1000;
	l->max_login_conns = max_logins;
	l->max_sessions_per_initiator = max_sessions_per_initiator;
	l->max_logins_per_address = max_logins_per_address;
	l->max_sessions_per_address = max_sessions_per_address;
	l->max_sessions = max_sessions;
	l->max_conns_per_portal = max_connections_per_portal;
	l->max_conns_per_target = max_connections_per_target;
	l->auth_lockout_max_ms = auth_lockout_max * 1000;
	cfg->targets[0].refuse_target_reset = !allow_target_reset;
}

static int parse_params(struct nexus *n)
{
	char *end;

	if (parse_portal(portal, &n->addr)) {
		pr_err("portal=%s: expected A.B.C.D[:PORT]\n", portal);
		return -EINVAL;
	}
	snprintf(n->portal_text, sizeof(n->portal_text), "%pI4:%u",
		 &n->addr.sin_addr, ntohs(n->addr.sin_port));
	if (block_size != 512 && block_size != 4096) {
		pr_err("block_size=%u: use 512 or 4096\n", block_size);
		return -EINVAL;
	}
	n->size_bytes = memparse(lun_size, &end);
	if (*end || n->size_bytes < block_size ||
	    n->size_bytes % block_size || n->size_bytes > NEXUS_LUN_SIZE_MAX) {
		pr_err("lun_size=%s: a multiple of %u bytes up to 64G\n",
		       lun_size, block_size);
		return -EINVAL;
	}
	if (!*iqn || strlen(iqn) >= NX_NAME_MAX) {
		pr_err("iqn: 1 to %d characters\n", NX_NAME_MAX - 1);
		return -EINVAL;
	}
	return check_limit_params();
}

/* "USER:SECRET" -> c (unset when s is empty).  The error names the
 * parameter, never the value. */
static int parse_chap(const char *name, const char *s, struct nx_iscsi_chap *c)
{
	const char *colon = strchr(s, ':');
	size_t ulen = colon ? (size_t)(colon - s) : 0;

	if (!*s)
		return 0;
	if (!colon || ulen == 0 || ulen >= sizeof(c->user) ||
	    strlen(colon + 1) >= sizeof(c->secret)) {
		pr_err("%s: expected USER:SECRET\n", name);
		return -EINVAL;
	}
	memcpy(c->user, s, ulen);
	c->user[ulen] = '\0';
	strscpy(c->secret, colon + 1, sizeof(c->secret));
	c->set = true;
	return 0;
}

static int nexus_security(struct nx_iscsi_server_config *cfg)
{
	char why[160];

	if (parse_chap("chap", chap, &cfg->targets[0].chap) ||
	    parse_chap("mutual_chap", mutual_chap, &cfg->targets[0].mutual_chap) ||
	    parse_chap("discovery_chap", discovery_chap, &cfg->discovery_chap))
		return -EINVAL;
	set_limits(cfg);
	if (nx_iscsi_config_check(cfg, why, sizeof(why))) {
		pr_err("%s\n", why);
		return -EINVAL;
	}
	return 0;
}

/* ---- on the loop ------------------------------------------------------------- */

static int nexus_build_target(struct nexus *n)
{
	struct nx_lu_config lc = { .lun = 0, .block_size = block_size };
	struct nx_backstore *bs;
	int rc;

	n->tgt = nx_target_new(iqn);
	if (!n->tgt)
		return -ENOMEM;
	bs = nx_bs_ram_new(n->size_bytes);
	if (!bs)
		return -ENOMEM;
	rc = nx_target_add_lu(n->tgt, &lc, bs);
	if (rc < 0) {
		nx_bs_destroy(bs); /* not taken over on failure */
		return rc;
	}
	return 0;
}

static int nexus_start(void *arg)
{
	struct nexus *n = arg;
	int rc = nexus_build_target(n);

	if (rc < 0)
		return rc;
	n->cfg = nx_alloc(sizeof(*n->cfg));
	if (!n->cfg)
		return -ENOMEM;
	n->cfg->targets[0].target = n->tgt;
	n->cfg->target_count = 1;
	n->cfg->portals[0] = n->portal_text;
	n->cfg->portal_count = 1;
	n->cfg->tpgt = 1;
	rc = nexus_security(n->cfg);
	if (rc < 0)
		return rc;
	n->srv = nx_iscsi_server_new(n->cfg);
	if (!n->srv)
		return -ENOMEM;
	return nx_kportal_open(&n->addr, n->srv, &n->portal);
}

static int nexus_shutdown(void *arg)
{
	struct nexus *n = arg;

	if (n->portal)
		nx_kportal_shutdown(n->portal);
	return 0;
}

static int nexus_idle(void *arg)
{
	struct nexus *n = arg;

	return (!n->portal || nx_kportal_idle(n->portal)) &&
	       (!n->srv || !nx_iscsi_server_busy(n->srv));
}

static int nexus_free_objects(void *arg)
{
	struct nexus *n = arg;

	nx_kportal_free(n->portal);
	if (n->srv)
		nx_iscsi_server_free(n->srv);
	if (n->tgt)
		nx_target_free(n->tgt);
	nx_free(n->cfg);
	return 0;
}

/* ---- module ---------------------------------------------------------------------- */

/* Returns false when the drain timed out: the objects are then leaked on
 * purpose (tasks may still reference them), never freed under a task. */
static bool nexus_stop(struct nexus *n)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(NEXUS_DRAIN_MS);
	bool drained;

	nx_kloop_call(nexus_shutdown, n);
	while (!(drained = nx_kloop_call(nexus_idle, n)) &&
	       time_before(jiffies, deadline))
		msleep(10);
	if (drained)
		nx_kloop_call(nexus_free_objects, n);
	else
		pr_err("unload: sessions did not drain in %d ms; leaking them\n",
		       NEXUS_DRAIN_MS);
	return drained;
}

static void nexus_report(bool drained)
{
	unsigned int armed = nx_kloop_stop();
	long allocs;

	nx_kernel_persist_reset();
	allocs = nx_kernel_allocs_outstanding();
	if (drained && allocs == 0 && armed == 0)
		pr_info("unloaded cleanly\n");
	else
		pr_err("unloaded with %ld allocations outstanding and %u timers "
		       "armed\n", allocs, armed);
}

static int __init nexus_init(void)
{
	int rc;

	nx_kernel_set_log_level(log_level);
	nexus = kzalloc(sizeof(*nexus), GFP_KERNEL);
	if (!nexus)
		return -ENOMEM;
	rc = parse_params(nexus);
	if (rc == 0) {
		/* after the checks: a refused load logs only why */
		nx_kernel_set_state_dir(state_dir);
		rc = nx_kloop_start();
	}
	if (rc < 0) {
		kfree(nexus);
		return rc;
	}
	rc = nx_kloop_call(nexus_start, nexus);
	if (rc < 0) {
		pr_err("start failed (%d)\n", rc);
		nexus_report(nexus_stop(nexus));
		kfree(nexus);
		return rc;
	}
	pr_info("serving %s (LUN 0: %llu bytes of RAM, %u-byte blocks) on %s\n",
		iqn, nexus->size_bytes, block_size, nexus->portal_text);
	return 0;
}

static void __exit nexus_exit(void)
{
	nexus_report(nexus_stop(nexus));
	kfree(nexus);
}

module_init(nexus_init);
module_exit(nexus_exit);

MODULE_DESCRIPTION("nexus SCSI target (SPC-4/SBC-3 core, iSCSI transport)");
MODULE_LICENSE("GPL");
