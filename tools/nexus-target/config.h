/*
 * config.h - nexus-target configuration: command line and config file.
 *
 * Both sources go through one option table (config.c), so every flag has
 * a config-file spelling ("--lun 1=ram:1G" <-> "lun 1=ram:1G").  Parsing
 * only checks syntax and limits; opening files and binding sockets is the
 * daemon's job (daemon.c).
 */
#ifndef NX_TARGET_CONFIG_H
#define NX_TARGET_CONFIG_H

#include <stdio.h>
#include <sys/socket.h>

#include "../../platform/user/nx_user.h"
#include "../../transports/iscsi/nx_iscsi.h"

#define NX_CFG_DEFAULT_TARGET "iqn.2026-11.dev.nexus:target0"
#define NX_CFG_DEFAULT_PORTAL "127.0.0.1:3260"
#define NX_CFG_DEFAULT_LUN 1
/* Polling outlives a command's round trip at QD1 (~25 us here) but
 * not an idle pause: a daemon with no traffic sleeps after 50 us. */
#define NX_CONFIG_POLL_US_DEFAULT 50
#define NX_CFG_DEFAULT_RAM_BYTES (128ull << 20)
#define NX_CFG_LUNS_MAX 256        /* per target */
#define NX_CFG_LUN_MAX 16383       /* flat addressing (SAM-5 4.7.7) */
#define NX_CFG_FILE_BYTES_MAX (1u << 20)
#define NX_CFG_CHAP_SECRET_MIN NX_ISCSI_SECRET_MIN /* RFC 7143 12.1.3 */

enum nx_cfg_lun_kind {
	NX_CFG_LUN_RAM,
	NX_CFG_LUN_NULL,
	NX_CFG_LUN_FILE,
};

struct nx_cfg_lun {
	uint64_t lun;
	enum nx_cfg_lun_kind kind;
	uint64_t size_bytes;  /* file: 0 = the file's size */
	char *path;           /* file only */
	bool direct;
	bool read_only;
	uint32_t block_size;  /* 512 or 4096 */
	uint32_t phys_block_size; /* 0: default (4096, or the block size) */
	bool removable;       /* RMB=1: START STOP UNIT ejects and loads */
};

struct nx_cfg_target {
	char name[NX_NAME_MAX];
	struct nx_cfg_lun luns[NX_CFG_LUNS_MAX];
	unsigned lun_count;
	struct nx_iscsi_chap chap;
	struct nx_iscsi_chap mutual_chap;
	char *acl[NX_ISCSI_MAX_ACL];
	struct nx_iscsi_acl_ro acl_ro[NX_ISCSI_MAX_ACL]; /* --acl IQN,ro[=N] */
	unsigned acl_count;
	bool refuse_target_reset; /* --allow-target-reset no */
	bool implicit;        /* created by an option given before any --target */
};

struct nx_cfg_portal {
	char host[64];        /* numeric, without brackets */
	uint16_t port;        /* 0: any free port (the banner shows which) */
	int family;           /* AF_INET or AF_INET6 */
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

/* An ALUA target port group (SPC-4 5.16): portal i is target portal
 * group i + 1 (TPGT), i.e. relative target port i + 1; a group holds
 * portals.  Every target gets the same groups. */
struct nx_cfg_tpg {
	uint16_t id;
	uint8_t state;        /* enum nx_alua_state, initial for every LU */
	bool pref;
	uint32_t portals;     /* bit i: portals[i] */
};

struct nx_daemon_config {
	struct nx_cfg_portal portals[NX_ISCSI_MAX_PORTALS];
	unsigned portal_count;
	unsigned plain_portals;        /* given with --portal (not --tpg) */
	struct nx_cfg_tpg tpgs[NX_ALUA_GROUPS_MAX];
	unsigned tpg_count;            /* 0: one group 1 of every portal */
	struct nx_cfg_target *targets[NX_ISCSI_MAX_TARGETS];
	unsigned target_count;
	struct nx_cfg_target *current; /* where --lun/--chap/--acl go */
	enum nx_log_level log_level;
	char *state_dir;
	/* server-wide iSCSI settings (nx_config_server_settings) */
	struct nx_iscsi_chap discovery_chap;
	struct nx_iscsi_chap discovery_mutual_chap;
	uint8_t chap_algs[NX_ISCSI_CHAP_ALGS_MAX];
	unsigned chap_alg_count;
	struct nx_iscsi_limits limits;
	uint32_t poll_us;               /* busy-poll window of the loop */
	unsigned config_depth;         /* --config inside a config file */
	bool help;
	bool version;
};

void nx_config_init(struct nx_daemon_config *cfg);
void nx_config_free(struct nx_daemon_config *cfg);

/* Each returns 0, or -1 with a message in err saying what was wrong and
 * how to fix it. */
int nx_config_parse_args(struct nx_daemon_config *cfg, int argc, char **argv,
			 char *err, size_t errlen);
int nx_config_parse_file(struct nx_daemon_config *cfg, const char *path,
			 char *err, size_t errlen);
/* Applies the embedded defaults (portal, target, LUN) and checks what
 * only the whole configuration can tell. */
int nx_config_finish(struct nx_daemon_config *cfg, char *err, size_t errlen);

/* Building blocks, exposed for the unit test. */
int nx_config_parse_size(const char *s, uint64_t *out);
int nx_config_parse_portal(const char *s, struct nx_cfg_portal *p, char *err,
			   size_t errlen);
int nx_config_parse_lun(const char *s, struct nx_cfg_lun *lun, char *err,
			size_t errlen);
bool nx_config_valid_name(const char *name);

/* "127.0.0.1:3260" or "[::1]:3260"; port overrides p->port when != 0. */
void nx_config_portal_text(const struct nx_cfg_portal *p, uint16_t port,
			   char *buf, size_t len);

/* Copies the server-wide settings (discovery CHAP, CHAP algorithms,
 * limits) into the transport's configuration. */
void nx_config_server_settings(const struct nx_daemon_config *cfg,
			       struct nx_iscsi_server_config *sc);

void nx_config_usage(FILE *out);

#endif /* NX_TARGET_CONFIG_H */
