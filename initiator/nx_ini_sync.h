/*
 * nx_ini_sync.h - a blocking convenience layer over the initiator for
 * tests, scenarios and tools.
 *
 * The embedder supplies a driver whose poll() makes progress: one
 * epoll/poll round on real TCP, the next event in the simulator, one
 * queue hop in an in-process loopback.  Each call submits, then polls
 * until the completion fired - at most steps_max times: a target that
 * never answers yields NX_INI_ETIMEDOUT (the request is cancelled, a
 * late answer is ignored), never a hang.
 */
#ifndef NX_INI_SYNC_H
#define NX_INI_SYNC_H

#include "nx_initiator.h"

#define NX_INI_SYNC_STEPS_DEFAULT 100000u

struct nx_ini_driver {
	void (*poll)(void *ctx);
	void *ctx;
	uint32_t steps_max;       /* 0: NX_INI_SYNC_STEPS_DEFAULT */
};

enum nx_ini_dir {
	NX_INI_DIR_NONE = 0,
	NX_INI_DIR_READ = 1,      /* data-in into buf */
	NX_INI_DIR_WRITE = 2,     /* data-out from buf */
};

/* Each returns the request's err (0 = the target answered; look at the
 * response fields), NX_INI_ETIMEDOUT, or a submit error. */

/* out may be NULL (then status is not reported). */
int nx_ini_sync_login(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		      struct nx_ini_login *out);
/* A fully set-up command; its done/priv are used by this layer. */
int nx_ini_sync_cmd(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		    struct nx_ini_scsi *cmd);
/* Convenience: builds *result from the arguments (LUN number, SIMPLE). */
int nx_ini_sync_scsi(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		     uint32_t lun, const uint8_t *cdb, unsigned cdb_len,
		     enum nx_ini_dir dir, void *buf, uint32_t len,
		     struct nx_ini_scsi *result);
/* A set-up TMF (function, lun, refs); its done/priv are used here. */
int nx_ini_sync_tmf(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		    struct nx_ini_tmf *tmf);
int nx_ini_sync_nop(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		    const void *data, uint32_t len, bool *data_match);
int nx_ini_sync_text(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		     struct nx_ini_text *t);
/* SendTargets=All; *count gets the number of targets stored. */
int nx_ini_sync_sendtargets(struct nx_ini_conn *c,
			    const struct nx_ini_driver *d,
			    struct nx_ini_target *targets, unsigned cap,
			    unsigned *count);
int nx_ini_sync_logout(struct nx_ini_conn *c, const struct nx_ini_driver *d,
		       uint8_t reason, uint8_t *response);

#endif /* NX_INI_SYNC_H */
