/*
 * replay.h - nexus-replay internals: the replay against a simulated nexus
 * target (replay.c), the per-command comparison and its words (explain.c),
 * and the report (main.c).
 */
#ifndef NX_REPLAY_H
#define NX_REPLAY_H

#include <stdio.h>

#include "../../traces/nx_trace.h"

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
};

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

struct rp_opts {
	bool json;
	bool no_data;             /* compare status/sense/residual only */
	bool verbose;
	const char *target_url;   /* --target (live replay) */
	FILE *out;
};

struct rp_stats {
	uint32_t commands;        /* SCSI commands replayed */
	uint32_t sessions;
	uint32_t differ;
	uint32_t not_compared;    /* no captured answer */
	uint32_t tmfs, tmfs_differ;
	uint32_t kinds[5];
};

/* explain.c */
void rp_config_from_trace(const struct nx_trace *t, struct rp_config *cfg);
void rp_cdb_describe(const uint8_t *cdb, uint16_t len, char *buf, size_t cap);
const char *rp_status_name(uint8_t status);
void rp_sense_triplet(const uint8_t *s, uint16_t len, uint8_t *key,
		      uint8_t *asc, uint8_t *ascq);
const char *rp_sense_key_name(uint8_t key);
const char *rp_asc_name(uint8_t asc, uint8_t ascq);
/* The clause behind an answer to this CDB, or NULL. */
const char *rp_clause(const uint8_t *cdb, const struct rp_answer *a);
/* A unit attention only the captured target reported, or NULL. */
const char *rp_ua_clause(const struct rp_answer *cap,
			 const struct rp_answer *nx);
const char *rp_tmf_name(uint8_t fn);
const char *rp_tmf_rsp_name(uint8_t rsp);
unsigned rp_compare(const struct rp_answer *cap, const struct rp_answer *nx,
		    bool no_data, uint32_t *first_diff);

/* main.c: the report. */
void rp_report_cmd(const struct rp_opts *o, const struct nx_trace *t,
		   uint32_t cmd_index, uint32_t session,
		   const struct rp_answer *cap, const struct rp_answer *nx,
		   unsigned diff, uint32_t first_diff);
void rp_report_tmf(const struct rp_opts *o, const struct nx_trace *t,
		   const struct nx_tr_tmf *f, uint32_t session, bool nx_ok,
		   uint8_t nx_rsp);
void rp_note(const struct rp_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* replay.c: 0 = replayed (stats filled), -1 = could not set up. */
int rp_replay_sim(const struct nx_trace *t, const struct rp_config *cfg,
		  const struct rp_opts *o, struct rp_stats *st);

#endif /* NX_REPLAY_H */
