/*
 * config.c - parses nexus-target's command line and config files through
 * one option table.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <strings.h>

#include "config.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* ---- values ----------------------------------------------------------------- */

int nx_config_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	uint64_t v = 0;
	const char *p = s;
	unsigned shift = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		const char *u = strchr(units, toupper((unsigned char)*p));

		if (!u)
			return -1;
		shift = 10 * (unsigned)(u - units + 1);
		p++;
		/* "128M", "128MB" and "128MiB" all mean 128 * 2^20 */
		if (*p == 'i')
			p++;
		if (*p == 'B' || *p == 'b')
			p++;
	}
	if (*p || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* RFC 7143 4.2.7: iqn.YYYY-MM.reversed.domain[:unique], eui.<16 hex>,
 * naa.<16 or 32 hex>; at most 223 bytes; no spaces or controls. */
bool nx_config_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len < 5 || len >= NX_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isgraph((unsigned char)name[i]) || name[i] == ',')
			return false;
	}
	if (strncmp(name, "iqn.", 4) == 0) {
		return len > 12 && isdigit((unsigned char)name[4]) &&
		       isdigit((unsigned char)name[7]) && name[8] == '-' &&
		       isdigit((unsigned char)name[9]) &&
		       isdigit((unsigned char)name[10]) && name[11] == '.';
	}
	if (strncmp(name, "eui.", 4) == 0 || strncmp(name, "naa.", 4) == 0) {
		for (size_t i = 4; i < len; i++) {
			if (!isxdigit((unsigned char)name[i]))
				return false;
		}
		return len == 20 || (name[0] == 'n' && len == 36);
	}
	return false;
}

static int split_host_port(const char *s, char *host, size_t hostlen,
			   const char **port)
{
	const char *colon;
	size_t n;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -1;
		n = (size_t)(close - s - 1);
		*port = close[1] ? close + 2 : NULL;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return -1; /* bare IPv6 needs brackets: ambiguous port */
		n = colon ? (size_t)(colon - s) : strlen(s);
		*port = colon ? colon + 1 : NULL;
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

static int fill_addr(struct nx_cfg_portal *p)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&p->addr;

	memset(&p->addr, 0, sizeof(p->addr));
	if (strcmp(p->host, "localhost") == 0)
		strcpy(p->host, "127.0.0.1");
	if (inet_pton(AF_INET, p->host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(p->port);
		p->family = AF_INET;
		p->addr_len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, p->host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(p->port);
		p->family = AF_INET6;
		p->addr_len = sizeof(*v6);
		return 0;
	}
	return -1;
}

int nx_config_parse_portal(const char *s, struct nx_cfg_portal *p, char *err,
			   size_t errlen)
{
	const char *port = NULL;
	char *end;
	unsigned long v = NX_ISCSI_PORT_DEFAULT;

	memset(p, 0, sizeof(*p));
	if (split_host_port(s, p->host, sizeof(p->host), &port) < 0)
		return ERR("'%s' is not HOST:PORT (IPv4 like 127.0.0.1:3260, "
			   "IPv6 in brackets like [::1]:3260)", s);
	if (port) {
		errno = 0;
		v = strtoul(port, &end, 10);
		if (!*port || *end || errno || v > 65535)
			return ERR("'%s': port must be 0..65535 (0 picks a free "
				   "port)", s);
	}
	p->port = (uint16_t)v;
	if (fill_addr(p) < 0)
		return ERR("'%s': '%s' is not a numeric IPv4 or IPv6 address "
			   "(use e.g. 0.0.0.0 or [::] for all interfaces)", s,
			   p->host);
	return 0;
}

void nx_config_portal_text(const struct nx_cfg_portal *p, uint16_t port,
			   char *buf, size_t len)
{
	snprintf(buf, len, p->family == AF_INET6 ? "[%s]:%u" : "%s:%u", p->host,
		 (unsigned)(port ? port : p->port));
}

/* ---- --lun N=ram:SIZE|null:SIZE|file:PATH[,direct][,size=SIZE][,ro][,bs=N]
 *            [,pbs=N][,removable] */

/* pbs=: a power-of-two multiple of the block size (checked once bs= is
 * known), 512 B .. 16 MiB. */
static int parse_pbs(const char *v, uint32_t *out)
{
	uint64_t n;

	if (nx_config_parse_size(v, &n) < 0 || n < 512 || n > (16u << 20) ||
	    (n & (n - 1)))
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int lun_option(struct nx_cfg_lun *lun, const char *opt, char *err,
		      size_t errlen)
{
	uint64_t v;

	if (strcmp(opt, "ro") == 0) {
		lun->read_only = true;
	} else if (strcmp(opt, "removable") == 0) {
		lun->removable = true;
	} else if (strncmp(opt, "pbs=", 4) == 0) {
		if (parse_pbs(opt + 4, &lun->phys_block_size) < 0)
			return ERR("physical block size '%s' is not a power of "
				   "two from 512 to 16M (e.g. pbs=4096)", opt + 4);
	} else if (strcmp(opt, "direct") == 0 && lun->kind == NX_CFG_LUN_FILE) {
		lun->direct = true;
	} else if (strncmp(opt, "size=", 5) == 0 && lun->kind == NX_CFG_LUN_FILE) {
		if (nx_config_parse_size(opt + 5, &v) < 0)
			return ERR("bad size '%s' (a number with an optional "
				   "K/M/G/T suffix, e.g. size=1G)", opt + 5);
		lun->size_bytes = v;
	} else if (strncmp(opt, "bs=", 3) == 0) {
		if (strcmp(opt + 3, "512") && strcmp(opt + 3, "4096"))
			return ERR("block size '%s' is not supported (use bs=512 "
				   "or bs=4096)", opt + 3);
		lun->block_size = (uint32_t)atoi(opt + 3);
	} else {
		return ERR("unknown option '%s' (every kind takes ro, bs=, pbs= "
			   "and removable; file also direct and size=SIZE)", opt);
	}
	return 0;
}

static int lun_kind(const char *s, size_t n, struct nx_cfg_lun *lun)
{
	if (n == 3 && strncmp(s, "ram", 3) == 0)
		lun->kind = NX_CFG_LUN_RAM;
	else if (n == 4 && strncmp(s, "null", 4) == 0)
		lun->kind = NX_CFG_LUN_NULL;
	else if (n == 4 && strncmp(s, "file", 4) == 0)
		lun->kind = NX_CFG_LUN_FILE;
	else
		return -1;
	return 0;
}

static int lun_main_arg(struct nx_cfg_lun *lun, const char *arg, char *err,
			size_t errlen)
{
	if (lun->kind == NX_CFG_LUN_FILE) {
		if (!*arg)
			return ERR("file LU needs a path, e.g. 1=file:/var/lib/disk.img");
		lun->path = strdup(arg);
		return lun->path ? 0 : ERR("out of memory");
	}
	if (nx_config_parse_size(arg, &lun->size_bytes) < 0)
		return ERR("bad size '%s' (a number with an optional K/M/G/T "
			   "suffix, e.g. 1=ram:128M)", arg);
	return 0;
}

int nx_config_parse_lun(const char *s, struct nx_cfg_lun *lun, char *err,
			size_t errlen)
{
	char buf[4096], *kind, *colon, *opt, *save = NULL;
	char *end;
	unsigned long n;
	int rc = 0;

	memset(lun, 0, sizeof(*lun));
	lun->block_size = 512;
	if (strlen(s) >= sizeof(buf))
		return ERR("too long");
	strcpy(buf, s);
	kind = strchr(buf, '=');
	errno = 0;
	n = strtoul(buf, &end, 10);
	if (!kind || end != kind || end == buf || errno || n > NX_CFG_LUN_MAX)
		return ERR("expected N=KIND:ARG with N in 0..%u, e.g. "
			   "1=ram:128M, 2=null:1T or 3=file:/path/disk.img",
			   NX_CFG_LUN_MAX);
	lun->lun = n;
	kind++;
	colon = strchr(kind, ':');
	if (!colon || lun_kind(kind, (size_t)(colon - kind), lun) < 0)
		return ERR("unknown backstore in '%s' (use ram:SIZE, null:SIZE "
			   "or file:PATH)", s);
	opt = strtok_r(colon + 1, ",", &save);
	rc = lun_main_arg(lun, opt ? opt : "", err, errlen);
	while (rc == 0 && (opt = strtok_r(NULL, ",", &save)) != NULL)
		rc = lun_option(lun, opt, err, errlen);
	if (rc == 0 && lun->size_bytes % lun->block_size)
		rc = ERR("size %llu is not a multiple of the %u-byte block size",
			 (unsigned long long)lun->size_bytes, lun->block_size);
	if (rc == 0 && lun->phys_block_size &&
	    (lun->phys_block_size < lun->block_size ||
	     lun->phys_block_size / lun->block_size > 32768))
		rc = ERR("pbs=%u must be 1 to 32768 times the %u-byte block "
			 "size", lun->phys_block_size, lun->block_size);
	if (rc) {
		free(lun->path);
		lun->path = NULL;
	}
	return rc;
}

/* ---- options ------------------------------------------------------------------ */

static struct nx_cfg_target *target_add(struct nx_daemon_config *cfg,
					const char *name, char *err,
					size_t errlen)
{
	struct nx_cfg_target *t;

	if (!nx_config_valid_name(name)) {
		(void)ERR("'%s' is not an iSCSI name (RFC 7143 4.2.7: e.g. "
		    "iqn.2026-11.com.example:disk1, eui.0123456789ABCDEF)", name);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->target_count; i++) {
		if (strcasecmp(cfg->targets[i]->name, name) == 0) {
			(void)ERR("target %s is given twice (each --target once; its "
			    "--lun options follow it)", name);
			return NULL;
		}
	}
	if (cfg->target_count == NX_ISCSI_MAX_TARGETS) {
		(void)ERR("too many targets (at most %d)", NX_ISCSI_MAX_TARGETS);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		(void)ERR("out of memory");
		return NULL;
	}
	strcpy(t->name, name);
	cfg->targets[cfg->target_count++] = t;
	cfg->current = t;
	return t;
}

/* Options given before any --target configure the default target. */
static struct nx_cfg_target *current_target(struct nx_daemon_config *cfg,
					    char *err, size_t errlen)
{
	struct nx_cfg_target *t = cfg->current;

	if (!t) {
		t = target_add(cfg, NX_CFG_DEFAULT_TARGET, err, errlen);
		if (t)
			t->implicit = true;
	}
	return t;
}

static int opt_target(struct nx_daemon_config *cfg, const char *v, char *err,
		      size_t errlen)
{
	return target_add(cfg, v, err, errlen) ? 0 : -1;
}

static int opt_lun(struct nx_daemon_config *cfg, const char *v, char *err,
		   size_t errlen)
{
	struct nx_cfg_target *t = current_target(cfg, err, errlen);
	struct nx_cfg_lun lun;

	if (!t || nx_config_parse_lun(v, &lun, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < t->lun_count; i++) {
		if (t->luns[i].lun == lun.lun) {
			free(lun.path);
			return ERR("LUN %llu of %s is given twice",
				   (unsigned long long)lun.lun, t->name);
		}
	}
	if (t->lun_count == NX_CFG_LUNS_MAX) {
		free(lun.path);
		return ERR("too many LUNs for %s (at most %d)", t->name,
			   NX_CFG_LUNS_MAX);
	}
	t->luns[t->lun_count++] = lun;
	return 0;
}

static int parse_chap(const char *v, struct nx_iscsi_chap *chap, char *err,
		      size_t errlen)
{
	const char *colon = strchr(v, ':');
	size_t ulen = colon ? (size_t)(colon - v) : 0;

	if (!colon || ulen == 0 || !colon[1])
		return ERR("expected USER:SECRET, e.g. alice:averylongsecret");
	if (ulen >= sizeof(chap->user) || strlen(colon + 1) >= sizeof(chap->secret))
		return ERR("user name or secret too long (at most %zu and %zu "
			   "bytes)", sizeof(chap->user) - 1,
			   sizeof(chap->secret) - 1);
	if (chap->set)
		return ERR("given twice for the same target");
	/* RFC 7143 12.1.3: at least 96 bits.  The message names the user
	 * and the length, never the secret. */
	if (strlen(colon + 1) < NX_CFG_CHAP_SECRET_MIN)
		return ERR("the secret of CHAP user '%.*s' is %zu bytes; RFC 7143 "
			   "12.1.3 asks for at least %d (96 bits): use a longer "
			   "random one, e.g. 16 characters or more", (int)ulen, v,
			   strlen(colon + 1), NX_CFG_CHAP_SECRET_MIN);
	memcpy(chap->user, v, ulen);
	chap->user[ulen] = '\0';
	strcpy(chap->secret, colon + 1);
	chap->set = true;
	return 0;
}

static int opt_chap(struct nx_daemon_config *cfg, const char *v, char *err,
		    size_t errlen)
{
	struct nx_cfg_target *t = current_target(cfg, err, errlen);

	return t ? parse_chap(v, &t->chap, err, errlen) : -1;
}

static int opt_mutual_chap(struct nx_daemon_config *cfg, const char *v,
			   char *err, size_t errlen)
{
	struct nx_cfg_target *t = current_target(cfg, err, errlen);

	return t ? parse_chap(v, &t->mutual_chap, err, errlen) : -1;
}

static int opt_discovery_chap(struct nx_daemon_config *cfg, const char *v,
			      char *err, size_t errlen)
{
	return parse_chap(v, &cfg->discovery_chap, err, errlen);
}

static int opt_discovery_mutual_chap(struct nx_daemon_config *cfg,
				     const char *v, char *err, size_t errlen)
{
	return parse_chap(v, &cfg->discovery_mutual_chap, err, errlen);
}

/* --chap-algorithms sha3-256,sha256,md5 (our preference order) */
static int opt_chap_algorithms(struct nx_daemon_config *cfg, const char *v,
			       char *err, size_t errlen)
{
	static const struct { const char *name; uint8_t alg; } names[] = {
		{ "sha3-256", NX_ISCSI_CHAP_SHA3_256 }, { "8", NX_ISCSI_CHAP_SHA3_256 },
		{ "sha256", NX_ISCSI_CHAP_SHA256 }, { "sha-256", NX_ISCSI_CHAP_SHA256 },
		{ "7", NX_ISCSI_CHAP_SHA256 },
		{ "md5", NX_ISCSI_CHAP_MD5 }, { "5", NX_ISCSI_CHAP_MD5 },
	};
	const char *p = v;

	cfg->chap_alg_count = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		unsigned k;

		for (k = 0; k < NX_ARRAY_SIZE(names); k++)
			if (strlen(names[k].name) == n &&
			    strncasecmp(p, names[k].name, n) == 0)
				break;
		if (k == NX_ARRAY_SIZE(names))
			return ERR("unknown CHAP algorithm '%.*s' (use sha3-256, "
				   "sha256 and/or md5, strongest first)", (int)n, p);
		for (unsigned i = 0; i < cfg->chap_alg_count; i++)
			if (cfg->chap_algs[i] == names[k].alg)
				return ERR("'%.*s' is given twice", (int)n, p);
		if (cfg->chap_alg_count == NX_ISCSI_CHAP_ALGS_MAX)
			return ERR("too many algorithms");
		cfg->chap_algs[cfg->chap_alg_count++] = names[k].alg;
		p += n + (p[n] == ',');
	}
	return cfg->chap_alg_count ? 0 : ERR("empty list");
}

/* ",ro" (every LU) or ",ro=N" (LUN N, repeatable) after an ACL name. */
static int acl_option(struct nx_iscsi_acl_ro *ro, const char *opt, char *err,
		      size_t errlen)
{
	char *end;
	unsigned long n;

	if (strcmp(opt, "ro") == 0) {
		ro->all = true;
		return 0;
	}
	if (strncmp(opt, "ro=", 3) != 0)
		return ERR("unknown option '%s' (use ro for every LU, ro=N for "
			   "LUN N)", opt);
	errno = 0;
	n = strtoul(opt + 3, &end, 10);
	if (!opt[3] || *end || errno || n > NX_CFG_LUN_MAX)
		return ERR("'%s': N must be a LUN 0..%d", opt, NX_CFG_LUN_MAX);
	if (ro->lun_count == NX_ISCSI_ACL_RO_LUNS)
		return ERR("at most %d ro=N per initiator (use ro for all)",
			   NX_ISCSI_ACL_RO_LUNS);
	ro->luns[ro->lun_count++] = (uint16_t)n;
	return 0;
}

/* --acl IQN[,ro][,ro=N]... */
static int opt_acl(struct nx_daemon_config *cfg, const char *v, char *err,
		   size_t errlen)
{
	struct nx_cfg_target *t = current_target(cfg, err, errlen);
	struct nx_iscsi_acl_ro ro = { 0 };
	char buf[NX_NAME_MAX + 256], *opt, *save = NULL;
	const char *name;

	if (!t)
		return -1;
	if (strlen(v) >= sizeof(buf))
		return ERR("too long");
	strcpy(buf, v);
	name = strtok_r(buf, ",", &save);
	if (!name || !nx_config_valid_name(name))
		return ERR("'%s' is not an iSCSI initiator name (e.g. "
			   "iqn.1993-08.org.debian:01:abcdef[,ro][,ro=N])", v);
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		if (acl_option(&ro, opt, err, errlen) < 0)
			return -1;
	}
	for (unsigned i = 0; i < t->acl_count; i++)
		if (strcasecmp(t->acl[i], name) == 0)
			return ERR("%s is given twice for %s", name, t->name);
	if (t->acl_count == NX_ISCSI_MAX_ACL)
		return ERR("too many --acl entries for %s (at most %d)", t->name,
			   NX_ISCSI_MAX_ACL);
	t->acl[t->acl_count] = strdup(name);
	if (!t->acl[t->acl_count])
		return ERR("out of memory");
	t->acl_ro[t->acl_count++] = ro;
	return 0;
}

static int parse_count(const char *v, unsigned long min, unsigned long max,
		       uint32_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max)
		return ERR("'%s': expected a whole number %lu..%lu", v, min, max);
	*out = (uint32_t)n;
	return 0;
}

static int opt_login_timeout(struct nx_daemon_config *cfg, const char *v,
			     char *err, size_t errlen)
{
	uint32_t s;

	if (parse_count(v, 1, 3600, &s, err, errlen) < 0)
		return -1;
	cfg->limits.login_timeout_ms = s * 1000;
	return 0;
}

static int opt_keepalive(struct nx_daemon_config *cfg, const char *v,
			 char *err, size_t errlen)
{
	uint32_t s;

	if (parse_count(v, 1, 3600, &s, err, errlen) < 0)
		return -1;
	cfg->limits.nopin_interval_ms = s * 1000;
	return 0;
}

static int opt_poll_us(struct nx_daemon_config *cfg, const char *v,
		       char *err, size_t errlen)
{
	return parse_count(v, 0, 1000, &cfg->poll_us, err, errlen);
}

static int opt_max_logins(struct nx_daemon_config *cfg, const char *v,
			  char *err, size_t errlen)
{
	return parse_count(v, 1, 1024, &cfg->limits.max_login_conns, err,
			   errlen);
}

static int opt_max_sessions(struct nx_daemon_config *cfg, const char *v,
			    char *err, size_t errlen)
{
	return parse_count(v, 1, 256, &cfg->limits.max_sessions_per_initiator,
			   err, errlen);
}

static int opt_max_sessions_total(struct nx_daemon_config *cfg, const char *v,
				  char *err, size_t errlen)
{
	return parse_count(v, 1, NX_ISCSI_SESSIONS_LIMIT, &cfg->limits.max_sessions,
			   err, errlen);
}

static int opt_max_logins_per_address(struct nx_daemon_config *cfg,
				      const char *v, char *err, size_t errlen)
{
	return parse_count(v, 1, 1024, &cfg->limits.max_logins_per_address,
			   err, errlen);
}

static int opt_max_sessions_per_address(struct nx_daemon_config *cfg,
					const char *v, char *err, size_t errlen)
{
	return parse_count(v, 1, 256, &cfg->limits.max_sessions_per_address,
			   err, errlen);
}

static int opt_max_conns_per_portal(struct nx_daemon_config *cfg,
				    const char *v, char *err, size_t errlen)
{
	return parse_count(v, 1, 65535, &cfg->limits.max_conns_per_portal,
			   err, errlen);
}

static int opt_max_conns_per_target(struct nx_daemon_config *cfg,
				    const char *v, char *err, size_t errlen)
{
	return parse_count(v, 1, 65535, &cfg->limits.max_conns_per_target,
			   err, errlen);
}

/* --allow-target-reset yes|no: per target, like --chap and --acl. */
static int opt_allow_target_reset(struct nx_daemon_config *cfg,
				  const char *v, char *err, size_t errlen)
{
	struct nx_cfg_target *t = current_target(cfg, err, errlen);

	if (!t)
		return -1;
	if (strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		t->refuse_target_reset = false;
	else if (strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
		t->refuse_target_reset = true;
	else
		return ERR("'%s': expected yes or no", v);
	return 0;
}

static int opt_auth_lockout(struct nx_daemon_config *cfg, const char *v,
			    char *err, size_t errlen)
{
	uint32_t s;

	if (parse_count(v, 1, 86400, &s, err, errlen) < 0)
		return -1;
	cfg->limits.auth_lockout_max_ms = s * 1000;
	return 0;
}

static int portal_add(struct nx_daemon_config *cfg, const char *v, char *err,
		      size_t errlen)
{
	struct nx_cfg_portal p;

	if (nx_config_parse_portal(v, &p, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < cfg->portal_count; i++) {
		const struct nx_cfg_portal *q = &cfg->portals[i];

		if (q->port && q->port == p.port && q->addr_len == p.addr_len &&
		    memcmp(&q->addr, &p.addr, p.addr_len) == 0)
			return ERR("portal %s is given twice", v);
	}
	if (cfg->portal_count == NX_ISCSI_MAX_PORTALS)
		return ERR("too many portals (at most %d)", NX_ISCSI_MAX_PORTALS);
	cfg->portals[cfg->portal_count++] = p;
	return 0;
}

static int opt_portal(struct nx_daemon_config *cfg, const char *v, char *err,
		      size_t errlen)
{
	if (portal_add(cfg, v, err, errlen) < 0)
		return -1;
	cfg->plain_portals++;
	return 0;
}

/* ---- --tpg ID=PORTAL[+PORTAL...] and --alua ID=STATE[:pref][,...] ----------- */

static int parse_group_id(const char *s, size_t n, uint16_t *id)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*id = (uint16_t)v;
	return 0;
}

static struct nx_cfg_tpg *tpg_find(struct nx_daemon_config *cfg, uint16_t id)
{
	for (unsigned i = 0; i < cfg->tpg_count; i++)
		if (cfg->tpgs[i].id == id)
			return &cfg->tpgs[i];
	return NULL;
}

static struct nx_cfg_tpg *tpg_get(struct nx_daemon_config *cfg, uint16_t id)
{
	struct nx_cfg_tpg *g = tpg_find(cfg, id);

	if (g != NULL || cfg->tpg_count == NX_ALUA_GROUPS_MAX)
		return g;
	g = &cfg->tpgs[cfg->tpg_count++];
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->state = NX_ALUA_ACTIVE_OPTIMIZED;
	return g;
}

static int opt_tpg(struct nx_daemon_config *cfg, const char *v, char *err,
		   size_t errlen)
{
	const char *eq = strchr(v, '=');
	char buf[512], *p, *save = NULL;
	struct nx_cfg_tpg *g;
	uint16_t id;

	if (!eq || parse_group_id(v, (size_t)(eq - v), &id) < 0 || !eq[1])
		return ERR("expected ID=HOST:PORT[+HOST:PORT...] with ID in "
			   "0..65535, e.g. 1=127.0.0.1:3260");
	if (strlen(eq + 1) >= sizeof(buf))
		return ERR("too long");
	g = tpg_get(cfg, id);
	if (!g)
		return ERR("too many target port groups (at most %d)",
			   NX_ALUA_GROUPS_MAX);
	strcpy(buf, eq + 1);
	for (p = strtok_r(buf, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
		if (portal_add(cfg, p, err, errlen) < 0)
			return -1;
		g->portals |= 1u << (cfg->portal_count - 1);
	}
	return 0;
}

static int parse_state(const char *s, uint8_t *state, bool *pref)
{
	static const struct { const char *name; uint8_t state; } names[] = {
		{ "active-optimized", NX_ALUA_ACTIVE_OPTIMIZED },
		{ "ao", NX_ALUA_ACTIVE_OPTIMIZED },
		{ "active-non-optimized", NX_ALUA_ACTIVE_NON_OPTIMIZED },
		{ "an", NX_ALUA_ACTIVE_NON_OPTIMIZED },
		{ "standby", NX_ALUA_STANDBY },
		{ "unavailable", NX_ALUA_UNAVAILABLE },
	};
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (colon && strcmp(colon + 1, "pref") != 0)
		return -1;
	*pref = colon != NULL;
	for (size_t i = 0; i < NX_ARRAY_SIZE(names); i++) {
		if (strlen(names[i].name) == n && !strncmp(names[i].name, s, n)) {
			*state = names[i].state;
			return 0;
		}
	}
	return -1;
}

static int opt_alua(struct nx_daemon_config *cfg, const char *v, char *err,
		    size_t errlen)
{
	char buf[1024], *item, *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return ERR("too long");
	strcpy(buf, v);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		struct nx_cfg_tpg *g;
		uint16_t id;
		uint8_t state;
		bool pref;

		if (!eq || parse_group_id(item, (size_t)(eq - item), &id) < 0 ||
		    parse_state(eq + 1, &state, &pref) < 0)
			return ERR("'%s': expected ID=STATE[:pref] with STATE "
				   "active-optimized (ao), active-non-optimized "
				   "(an), standby or unavailable", item);
		g = tpg_get(cfg, id);
		if (!g)
			return ERR("too many target port groups (at most %d)",
				   NX_ALUA_GROUPS_MAX);
		g->state = state;
		g->pref = pref;
	}
	return 0;
}

static int opt_log_level(struct nx_daemon_config *cfg, const char *v,
			 char *err, size_t errlen)
{
	if (!nx_user_parse_log_level(v, &cfg->log_level))
		return ERR("unknown level '%s' (use err, warn, info or debug)", v);
	return 0;
}

static int opt_state_dir(struct nx_daemon_config *cfg, const char *v,
			 char *err, size_t errlen)
{
	free(cfg->state_dir);
	cfg->state_dir = strdup(v);
	return cfg->state_dir ? 0 : ERR("out of memory");
}

static int opt_config(struct nx_daemon_config *cfg, const char *v, char *err,
		      size_t errlen)
{
	if (cfg->config_depth > 0)
		return ERR("config files cannot include other config files");
	return nx_config_parse_file(cfg, v, err, errlen);
}

static int opt_help(struct nx_daemon_config *cfg, const char *v, char *err,
		    size_t errlen)
{
	cfg->help = true;
	return 0;
}

static int opt_version(struct nx_daemon_config *cfg, const char *v, char *err,
		       size_t errlen)
{
	cfg->version = true;
	return 0;
}

typedef int (*opt_fn)(struct nx_daemon_config *cfg, const char *value,
		      char *err, size_t errlen);

static const struct option_desc {
	const char *name;
	char short_name;
	bool has_arg;
	opt_fn fn;
	bool secret;      /* USER:SECRET: never echo the secret */
} options[] = {
	{ "portal", 'p', true, opt_portal, false },
	{ "target", 't', true, opt_target, false },
	{ "lun", 'l', true, opt_lun, false },
	{ "chap", 0, true, opt_chap, true },
	{ "mutual-chap", 0, true, opt_mutual_chap, true },
	{ "acl", 0, true, opt_acl, false },
	{ "discovery-chap", 0, true, opt_discovery_chap, true },
	{ "discovery-mutual-chap", 0, true, opt_discovery_mutual_chap, true },
	{ "chap-algorithms", 0, true, opt_chap_algorithms, false },
	{ "login-timeout", 0, true, opt_login_timeout, false },
	{ "keepalive", 0, true, opt_keepalive, false },
	{ "max-logins", 0, true, opt_max_logins, false },
	{ "max-sessions", 0, true, opt_max_sessions_total, false },
	{ "max-sessions-per-initiator", 0, true, opt_max_sessions, false },
	{ "max-logins-per-address", 0, true, opt_max_logins_per_address, false },
	{ "max-sessions-per-address", 0, true, opt_max_sessions_per_address,
	  false },
	{ "max-connections-per-portal", 0, true, opt_max_conns_per_portal,
	  false },
	{ "max-connections-per-target", 0, true, opt_max_conns_per_target,
	  false },
	{ "allow-target-reset", 0, true, opt_allow_target_reset, false },
	{ "auth-lockout-max", 0, true, opt_auth_lockout, false },
	{ "tpg", 0, true, opt_tpg, false },
	{ "alua", 0, true, opt_alua, false },
	{ "config", 'c', true, opt_config, false },
	{ "log-level", 0, true, opt_log_level, false },
	{ "state-dir", 0, true, opt_state_dir, false },
	{ "poll-us", 0, true, opt_poll_us, false },
	{ "help", 'h', false, opt_help, false },
	{ "version", 'V', false, opt_version, false },
};

static const struct option_desc *option_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NX_ARRAY_SIZE(options); i++) {
		if (strlen(options[i].name) == len &&
		    strncmp(options[i].name, name, len) == 0)
			return &options[i];
		if (len == 1 && options[i].short_name == name[0])
			return &options[i];
	}
	return NULL;
}

/* ---- sources ------------------------------------------------------------------ */

static int apply(struct nx_daemon_config *cfg, const struct option_desc *o,
		 const char *value, const char *where, char *err, size_t errlen)
{
	char detail[512];
	int shown;

	if (o->fn(cfg, value, detail, sizeof(detail)) == 0)
		return 0;
	/* USER:SECRET options show the user only: error messages end up in
	 * logs and terminals, secrets must not. */
	shown = value && o->secret && strchr(value, ':') ?
		(int)(strchr(value, ':') - value) : value ? (int)strlen(value) : 0;
	if (value && o->secret)
		return ERR("%s--%s %.*s:<secret>: %s", where, o->name, shown,
			   value, detail);
	if (value)
		return ERR("%s--%s %s: %s", where, o->name, value, detail);
	return ERR("%s--%s: %s", where, o->name, detail);
}

static int one_arg(struct nx_daemon_config *cfg, int argc, char **argv,
		   int *i, char *err, size_t errlen)
{
	const char *a = argv[*i], *name, *eq, *value = NULL;
	const struct option_desc *o;
	size_t len;

	if (a[0] != '-' || !a[1])
		return ERR("unexpected argument '%s' (every setting is a flag, "
			   "e.g. --lun 1=ram:128M; see --help)", a);
	name = a + 1 + (a[1] == '-');
	eq = a[1] == '-' ? strchr(name, '=') : NULL;
	len = eq ? (size_t)(eq - name) : strlen(name);
	o = (a[1] == '-' || len == 1) ? option_find(name, len) : NULL;
	if (!o)
		return ERR("unknown option '%s' (see --help)", a);
	if (o->has_arg) {
		if (eq)
			value = eq + 1;
		else if (*i + 1 < argc)
			value = argv[++*i];
		else
			return ERR("--%s needs a value (see --help)", o->name);
	} else if (eq) {
		return ERR("--%s takes no value", o->name);
	}
	return apply(cfg, o, value, "", err, errlen);
}

int nx_config_parse_args(struct nx_daemon_config *cfg, int argc, char **argv,
			 char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		if (one_arg(cfg, argc, argv, &i, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* "name value", "name=value" or "--name value"; '#' starts a comment. */
static int config_line(struct nx_daemon_config *cfg, char *line,
		       const char *where, char *err, size_t errlen)
{
	const struct option_desc *o;
	char *name, *value, *hash = strchr(line, '#');
	size_t len;

	if (hash)
		*hash = '\0';
	name = trim(line);
	if (!*name)
		return 0;
	if (name[0] == '-' && name[1] == '-')
		name += 2;
	len = strcspn(name, " \t=");
	value = trim(name + len + (name[len] != '\0'));
	if (*value == '=')
		value = trim(value + 1);
	o = option_find(name, len);
	if (!o || len == 1)
		return ERR("%sunknown setting '%.*s' (use the long flag names "
			   "of --help without the dashes)", where, (int)len, name);
	if (o->has_arg && !*value)
		return ERR("%s'%s' needs a value", where, o->name);
	if (!o->has_arg && *value)
		return ERR("%s'%s' takes no value", where, o->name);
	return apply(cfg, o, o->has_arg ? value : NULL, where, err, errlen);
}

static char *read_text(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;

	if (!f) {
		(void)ERR("cannot open config file %s: %s", path, strerror(errno));
		return NULL;
	}
	text = malloc(NX_CFG_FILE_BYTES_MAX + 1);
	n = text ? fread(text, 1, NX_CFG_FILE_BYTES_MAX + 1, f) : 0;
	fclose(f);
	if (!text || n > NX_CFG_FILE_BYTES_MAX) {
		(void)ERR("config file %s is larger than %u bytes", path,
		    NX_CFG_FILE_BYTES_MAX);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

int nx_config_parse_file(struct nx_daemon_config *cfg, const char *path,
			 char *err, size_t errlen)
{
	char *text = read_text(path, err, errlen), *line, *save = NULL;
	char where[300];
	unsigned lineno = 0;
	int rc = 0;

	if (!text)
		return -1;
	cfg->config_depth++;
	/* strtok_r would merge empty lines and shift the line numbers */
	for (line = text; line && rc == 0; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%s:%u: ", path, lineno);
		rc = config_line(cfg, line, where, err, errlen);
	}
	cfg->config_depth--;
	free(text);
	return rc;
}

/* ---- whole configuration ---------------------------------------------------------- */

void nx_config_init(struct nx_daemon_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = NX_LOG_INFO;
	cfg->poll_us = NX_CONFIG_POLL_US_DEFAULT;
}

void nx_config_free(struct nx_daemon_config *cfg)
{
	for (unsigned i = 0; i < cfg->target_count; i++) {
		struct nx_cfg_target *t = cfg->targets[i];

		for (unsigned j = 0; j < t->lun_count; j++)
			free(t->luns[j].path);
		for (unsigned j = 0; j < t->acl_count; j++)
			free(t->acl[j]);
		free(t);
	}
	free(cfg->state_dir);
	memset(cfg, 0, sizeof(*cfg));
}

static int check_target(struct nx_cfg_target *t, char *err, size_t errlen)
{
	if (t->lun_count == 0 && t->implicit) {
		t->luns[0] = (struct nx_cfg_lun){ .lun = NX_CFG_DEFAULT_LUN,
			.kind = NX_CFG_LUN_RAM, .block_size = 512,
			.size_bytes = NX_CFG_DEFAULT_RAM_BYTES };
		t->lun_count = 1;
	}
	if (t->lun_count == 0)
		return ERR("target %s has no LUN (add e.g. --lun 1=ram:128M "
			   "right after --target %s)", t->name, t->name);
	if (t->mutual_chap.set && !t->chap.set)
		return ERR("target %s: --mutual-chap needs --chap too (the "
			   "initiator authenticates first, RFC 7143 12.1.3)",
			   t->name);
	if (t->mutual_chap.set &&
	    strcmp(t->mutual_chap.secret, t->chap.secret) == 0)
		return ERR("target %s: the --mutual-chap secret must differ "
			   "from the --chap secret (RFC 7143 12.1.3)", t->name);
	return 0;
}

/* Without --tpg: group 1 holds every portal (each its own relative target
 * port), active/optimized unless --alua 1=... says otherwise.  With it,
 * every portal comes from a --tpg and every group has one. */
static int check_tpgs(struct nx_daemon_config *cfg, char *err, size_t errlen)
{
	bool any_portals = false;

	for (unsigned i = 0; i < cfg->tpg_count; i++)
		any_portals |= cfg->tpgs[i].portals != 0;
	if (!any_portals) {
		struct nx_cfg_tpg *g = tpg_get(cfg, 1);

		if (!g || cfg->tpg_count != 1)
			return ERR("--alua names groups but no --tpg defines them "
				   "(without --tpg there is one group, 1)");
		g->portals = (1u << cfg->portal_count) - 1;
		return 0;
	}
	if (cfg->plain_portals > 0)
		return ERR("--portal and --tpg together: give every portal "
			   "through --tpg ID=HOST:PORT");
	for (unsigned i = 0; i < cfg->tpg_count; i++)
		if (cfg->tpgs[i].portals == 0)
			return ERR("--alua names target port group %u, which no "
				   "--tpg defines", cfg->tpgs[i].id);
	return 0;
}

void nx_config_server_settings(const struct nx_daemon_config *cfg,
			       struct nx_iscsi_server_config *sc)
{
	sc->discovery_chap = cfg->discovery_chap;
	sc->discovery_mutual_chap = cfg->discovery_mutual_chap;
	memcpy(sc->chap_algs, cfg->chap_algs, sizeof(sc->chap_algs));
	sc->chap_alg_count = cfg->chap_alg_count;
	sc->limits = cfg->limits;
}

int nx_config_finish(struct nx_daemon_config *cfg, char *err, size_t errlen)
{
	if (cfg->help || cfg->version)
		return 0;
	if (cfg->discovery_mutual_chap.set && !cfg->discovery_chap.set)
		return ERR("--discovery-mutual-chap needs --discovery-chap too");
	if (cfg->discovery_mutual_chap.set &&
	    strcmp(cfg->discovery_mutual_chap.secret,
		   cfg->discovery_chap.secret) == 0)
		return ERR("the --discovery-mutual-chap secret must differ from "
			   "the --discovery-chap secret (RFC 7143 12.1.3)");
	if (cfg->portal_count == 0 &&
	    opt_portal(cfg, NX_CFG_DEFAULT_PORTAL, err, errlen) < 0)
		return -1;
	if (check_tpgs(cfg, err, errlen) < 0)
		return -1;
	if (cfg->target_count == 0 && !current_target(cfg, err, errlen))
		return -1;
	for (unsigned i = 0; i < cfg->target_count; i++) {
		if (check_target(cfg->targets[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

void nx_config_usage(FILE *out)
{
	fputs(
"Usage: nexus-target [OPTIONS]\n"
"\n"
"nexus iSCSI target daemon (RFC 7143 over TCP; SPC-4/SBC-3 logical units).\n"
"With no options it serves " NX_CFG_DEFAULT_TARGET "\n"
"on " NX_CFG_DEFAULT_PORTAL " with LUN 1 = a 128 MiB RAM disk.\n"
"\n"
"Portals (every portal serves every target):\n"
"  -p, --portal HOST:PORT   listen address, repeatable; IPv4 (0.0.0.0:3260)\n"
"                           or IPv6 in brackets ([::1]:3260); port 0 picks\n"
"                           a free port.  Default " NX_CFG_DEFAULT_PORTAL ".\n"
"                           The Nth portal is target portal group tag N,\n"
"                           i.e. SCSI target port N (relative port N).\n"
"\n"
"Asymmetric logical unit access (ALUA, SPC-4 5.16; every target):\n"
"      --tpg ID=HOST:PORT[+HOST:PORT...]\n"
"                           target port group ID (0..65535) made of these\n"
"                           portals (listened on like --portal; do not\n"
"                           repeat them with --portal).  Without --tpg all\n"
"                           portals are in group 1.\n"
"      --alua ID=STATE[:pref][,ID=STATE[:pref]...]\n"
"                           initial state of groups: active-optimized (ao,\n"
"                           default), active-non-optimized (an), standby or\n"
"                           unavailable; :pref sets the PREF bit.\n"
"                           Initiators change states with SET TARGET PORT\n"
"                           GROUPS.\n"
"\n"
"Targets (options after --target apply to that target; given before any\n"
"--target they apply to " NX_CFG_DEFAULT_TARGET "):\n"
"  -t, --target IQN         add a target node, e.g. iqn.2026-11.com.example:disk\n"
"  -l, --lun N=BACKSTORE    add LUN N (0..16383), repeatable:\n"
"        N=ram:SIZE[,OPTS]                 thin RAM disk (memory on first write)\n"
"        N=null:SIZE[,OPTS]                reads zeros, discards writes\n"
"        N=file:PATH[,direct][,size=SIZE][,OPTS]\n"
"                           file or block device; size= creates/extends the\n"
"                           file; direct uses O_DIRECT\n"
"        OPTS: ro             write protected\n"
"              bs=512|4096    logical block size (default 512)\n"
"              pbs=N          physical block size, a power-of-two multiple of\n"
"                             bs (default 4096, or bs if larger)\n"
"              removable      removable medium (RMB=1): START STOP UNIT with\n"
"                             LOEJ ejects and loads it\n"
"        SIZE is bytes with an optional K, M, G or T suffix (powers of 1024)\n"
"      --chap USER:SECRET   require CHAP: the initiator logs in with these\n"
"      --mutual-chap USER:SECRET\n"
"                           the target answers the initiator's challenge\n"
"                           with these (needs --chap; different secret)\n"
"      --acl INITIATOR-IQN[,ro][,ro=N]\n"
"                           only these initiators may log in (repeatable);\n"
"                           ro: every LU read-only for this initiator,\n"
"                           ro=N: LUN N read-only for it (repeatable)\n"
"      --allow-target-reset yes|no\n"
"                           no: TARGET WARM/COLD RESET get \"function\n"
"                           authorization failed\" (RFC 7143 11.6.1): one\n"
"                           initiator cannot end every other's tasks and\n"
"                           sessions.  Default yes: initiators' error\n"
"                           recovery (Linux SCSI error handler) uses it\n"
"\n"
"Security and limits (all targets):\n"
"      --discovery-chap USER:SECRET\n"
"                           discovery sessions (SendTargets) must log in\n"
"                           with CHAP too; they list only the targets the\n"
"                           initiator's --acl entries allow\n"
"      --discovery-mutual-chap USER:SECRET\n"
"                           the target's answer to a discovery initiator's\n"
"                           challenge (needs --discovery-chap)\n"
"      --chap-algorithms LIST\n"
"                           CHAP_A values accepted, preferred first (default\n"
"                           sha3-256,sha256,md5; libiscsi and open-iscsi\n"
"                           default to md5).  Secrets must be >= 12 bytes.\n"
"      --auth-lockout-max SECS\n"
"                           after 3 CHAP failures of an initiator name or a\n"
"                           source address, each failure locks them out\n"
"                           for 1, 2, 4 ... s, at most SECS (default 60)\n"
"      --login-timeout SECS a connection not logged in after SECS is\n"
"                           dropped (default 15)\n"
"      --keepalive SECS     NOP-In ping after SECS of silence; no answer\n"
"                           within SECS more drops the connection (35)\n"
"      --max-logins N       connections still logging in at once; more are\n"
"                           closed at accept (default 64)\n"
"      --max-sessions N     sessions the target holds at once, every\n"
"                           initiator together; more get login status 0302h\n"
"                           (default 256, at most 16384)\n"
"      --max-sessions-per-initiator N\n"
"                           sessions one initiator name may hold; more get\n"
"                           login status 0302h out of resources (default 16)\n"
"      --max-logins-per-address N\n"
"                           connections from one source IP address still\n"
"                           logging in; more are closed at accept (16)\n"
"      --max-sessions-per-address N\n"
"                           sessions from one source IP address, whatever\n"
"                           initiator names it uses; more get 0302h (32)\n"
"      --max-connections-per-portal N\n"
"      --max-connections-per-target N\n"
"                           connections through one portal / in sessions\n"
"                           of one target; more get 0302h (default: no cap)\n"
"                           Refused connections, failed logins and protocol\n"
"                           errors are logged at most 10 lines/s per kind;\n"
"                           the rest is counted and summarized\n"
"\n"
"General:\n"
"  -c, --config FILE        read options from FILE: one per line, long names\n"
"                           without dashes, '#' starts a comment\n"
"      --log-level LEVEL    err, warn, info (default) or debug\n"
"      --state-dir DIR      keep persistent state (APTPL reservations,\n"
"                           saved mode pages) in DIR, each key written\n"
"                           atomically; default: memory only\n"
"      --poll-us N          after activity the event loop keeps polling for\n"
"                           N microseconds before it sleeps: a sleeping\n"
"                           thread costs a wake-up per command at low\n"
"                           queue depth (~35 us on a VM without guest halt\n"
"                           polling); 0 = never poll (default 50)\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n"
"\n"
"Example:\n"
"  nexus-target --portal 0.0.0.0:3260 \\\n"
"      --target iqn.2026-11.com.example:db --lun 1=file:/srv/db.img,size=10G \\\n"
"      --chap alice:correcthorsebattery --acl iqn.1993-08.org.debian:01:host1\n"
"  iscsi-inq iscsi://alice%correcthorsebattery@127.0.0.1:3260/iqn.2026-11.com.example:db/1\n"
"\n"
"Two paths, the second on standby (multipath with ALUA):\n"
"  nexus-target --tpg 1=127.0.0.1:3260 --tpg 2=127.0.0.1:3261 \\\n"
"      --alua 1=active-optimized:pref,2=standby --lun 1=ram:128M\n"
"\n"
"The same as a --config file:\n"
"  portal 0.0.0.0:3260\n"
"  target iqn.2026-11.com.example:db\n"
"  lun 1=file:/srv/db.img,size=10G\n"
"  chap alice:correcthorsebattery\n"
"  acl iqn.1993-08.org.debian:01:host1\n"
"\n"
"Stop with Ctrl-C or SIGTERM (sessions are closed cleanly).  Exit status:\n"
"0 clean shutdown, 1 runtime failure, 2 invalid configuration.\n",
	      out);
}
