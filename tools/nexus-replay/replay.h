/*
 * replay.h - nexus-replay internals: the replay engine (replay.c) over a
 * driver - a simulated nexus (replay_sim.c) or a live target by URL
 * (replay_live.c) -, the per-command comparison and its words
 * (explain.c), and the report (main.c).
 */
#ifndef NX_REPLAY_H
#define NX_REPLAY_H

#include <stdio.h>

#include "../../traces/nx_trace.h"
#include "../../initiator/nx_initiator.h"

#define RP_LUS_MAX 256u
#define RP_TARGETS_MAX 16u

/* One answer to a SCSI command, captured or from nexus. */
struct rp_answer {
	bool present;             /* an answer exists */
	const char *none_why;     /* when !present */
	bool rejected;
	uint8_t reject_reason;
	uint8_t response, status, flags;
	uint32_t residual;
	const uint8_t *sense;
	uint16_t sense_len;
	const uint8_t *data;      /* Data-In bytes */
	uint32_t data_len;
	bool data_unreliable;     /* holes / damaged PDUs in the capture */
};

enum rp_diff_bits {
	RP_D_STATUS = 1u << 0,    /* status, iSCSI response or no answer */
	RP_D_SENSE = 1u << 1,     /* sense key / ASC / ASCQ */
	RP_D_RESIDUAL = 1u << 2,  /* U/O flags or residual count */
	RP_D_DATA = 1u << 3,      /* Data-In length or bytes */
	RP_D_TMF = 1u << 4,       /* task management response */
	RP_D_R2T = 1u << 5,       /* R2T sequence of a write */
};
#define RP_KINDS 6u

struct rp_lu {
	uint32_t target;          /* index into targets */
	uint32_t lun;
	uint64_t blocks;          /* 0: not learned */
	uint32_t block_size;
	uint8_t lbppbe;           /* READ CAPACITY(16) byte 13 */
	bool lbppbe_seen;         /* false: the core's default */
	bool removable;           /* INQUIRY RMB=1 */
	bool capacity_seen;
	char vendor[9], product[17], revision[5], serial[64];
};

struct rp_config {
	char targets[RP_TARGETS_MAX][NX_TR_NAME_MAX];
	unsigned target_count;
	struct rp_lu lus[RP_LUS_MAX];
	unsigned lu_count;
};

#define RP_LUN_MAP_MAX 64u

struct rp_opts {
	bool json;
	bool no_data;             /* compare status/sense/residual only */
	bool verbose;
	const char *target_url;   /* --target (live replay) */
	bool allow_writes;        /* live: replay commands that write */
	uint32_t timeout_ms;      /* live: every wait (default 10 s) */
	/* live: captured LUN -> LUN of the live target (--lun-map) */
	uint32_t lun_map[RP_LUN_MAP_MAX][2];
	unsigned lun_map_n;
	const char *peer;         /* who answered: "nexus" or "target" */
	const char *peer_label;   /* "nexus:" or "target:" */
	FILE *out;
};

struct rp_stats {
	uint32_t commands;        /* SCSI commands replayed */
	uint32_t sessions;
	uint32_t differ;
	uint32_t not_compared;    /* no captured answer */
	uint32_t tmfs, tmfs_differ;
	uint32_t kinds[RP_KINDS];
	uint32_t skipped_writes;  /* live, without --allow-writes */
	uint32_t r2t_compared;    /* writes whose R2T sequences were compared */
};

/* The R2T side of one write, captured or replayed. */
struct rp_r2ts {
	const struct nx_tr_r2t *r2t;
	uint32_t n;
	uint32_t unsol;           /* bytes sent unsolicited */
	const struct nx_tr_burst *burst;
	uint32_t want;            /* bytes the answer says moved */
	bool complete;            /* GOOD: all of them moved */
};

/* Where the replay's commands go (replay_sim.c, replay_live.c). */
struct rp_driver {
	/* A connection of session s over a new transport connection, or
	 * NULL with *why set (*handle is the driver's). */
	struct nx_ini_conn *(*connect)(void *ctx, uint32_t conn,
				       struct nx_ini_session *s, uint16_t cid,
				       void **handle, const char **why);
	/* Runs until *flag or the driver's limit: false when it ran out. */
	bool (*wait)(void *ctx, bool *flag);
	void (*step)(void *ctx);                 /* a little progress */
	void (*close)(void *ctx, void *handle);  /* frees the connection */
	/* Optional: adjusts a captured session's login (target, CHAP). */
	void (*session)(void *ctx, struct nx_ini_config *cfg);
	/* The LUN field a captured one is sent as. */
	uint64_t (*lun)(void *ctx, uint64_t captured);
	/* Live target: a wait that runs out, a refused connection or login
	 * ends the replay (exit 2); a skipped write is not an error. */
	bool live;
	const char *why_wait;    /* "no answer within 10 s" for the report */
};

/* explain.c */
void rp_config_from_trace(const struct nx_trace *t, struct rp_config *cfg);
void rp_cdb_describe(const uint8_t *cdb, uint16_t len, char *buf, size_t cap);
const char *rp_status_name(uint8_t status);
void rp_sense_triplet(const uint8_t *s, uint16_t len, uint8_t *key,
		      uint8_t *asc, uint8_t *ascq);
const char *rp_sense_key_name(uint8_t key);
const char *rp_asc_name(uint8_t asc, uint8_t ascq);
/* Commands that change the medium (live replay needs --allow-writes):
 * their name, or NULL. */
const char *rp_writes_medium(const uint8_t *cdb, bool data_out);
/* The clause behind an answer to this CDB, or NULL. */
const char *rp_clause(const uint8_t *cdb, const struct rp_answer *a);
/* A unit attention only the captured target reported, or NULL. */
const char *rp_ua_clause(const struct rp_answer *cap,
			 const struct rp_answer *nx);
const char *rp_tmf_name(uint8_t fn);
const char *rp_tmf_rsp_name(uint8_t rsp);
unsigned rp_compare(const struct rp_answer *cap, const struct rp_answer *nx,
		    bool no_data, uint32_t *first_diff);

/* R2T comparison of a write: RP_D_R2T or 0. */
unsigned rp_compare_r2t(const struct rp_r2ts *cap, const struct rp_r2ts *nx);
/* Want / complete of a write from its answer (RFC 7143 11.4.5.1). */
void rp_r2t_outcome(const struct rp_answer *a, uint32_t edtl,
		    struct rp_r2ts *r);

/* main.c: the report. */
void rp_report_cmd(const struct rp_opts *o, const struct nx_trace *t,
		   uint32_t cmd_index, uint32_t session,
		   const struct rp_answer *cap, const struct rp_answer *nx,
		   unsigned diff, uint32_t first_diff,
		   const struct rp_r2ts *r2t_cap, const struct rp_r2ts *r2t_nx);
void rp_report_skip(const struct rp_opts *o, const struct nx_trace *t,
		    uint32_t cmd_index, uint32_t session, const char *why);
void rp_report_tmf(const struct rp_opts *o, const struct nx_trace *t,
		   const struct nx_tr_tmf *f, uint32_t session, bool nx_ok,
		   uint8_t nx_rsp);
void rp_note(const struct rp_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* replay.c: the captured events through a driver.  0 = replayed (stats
 * filled), -1 = a live target failed (message printed). */
int rp_replay(const struct nx_trace *t, const struct rp_config *cfg,
	      const struct rp_opts *o, struct rp_stats *st,
	      const struct rp_driver *drv, void *ctx);
/* The session a captured connection logs in with (captured names, ISID,
 * the settled burst keys and digests); target_name overrides. */
void rp_session_config(const struct nx_trace *t, const struct rp_config *cfg,
		       uint32_t conn, const char *target_name,
		       struct nx_ini_config *out);

/* replay_sim.c: against nexus on a simulated host.  0, or -1 (set up). */
int rp_replay_sim(const struct nx_trace *t, const struct rp_config *cfg,
		  const struct rp_opts *o, struct rp_stats *st);
/* replay_live.c: against o->target_url.  0, -1 (target failed: exit 2). */
int rp_replay_live(const struct nx_trace *t, const struct rp_config *cfg,
		   const struct rp_opts *o, struct rp_stats *st);

#endif /* NX_REPLAY_H */
