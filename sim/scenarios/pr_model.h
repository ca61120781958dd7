/*
 * pr_model.h - the persistent reservation model of the scenario engine
 * (workload.c, opts.pr): which PERSISTENT RESERVE OUT / IN command to
 * send next, what the state must be after it, which unit attention it
 * owes to the other initiator, and the check of what the target reports
 * (READ KEYS, READ RESERVATION) against the model.
 *
 * Two initiators, each registered under at most one key.  Commands are
 * serialized workload-wide (one in flight), so the model is exact; a
 * command whose outcome is unknown (aborted, or its connection died)
 * leaves two candidate states until the next check settles it.  The
 * reservation is always an all-registrants type (WRITE EXCLUSIVE or
 * EXCLUSIVE ACCESS - ALL REGISTRANTS) and exists only while both
 * initiators are registered, so the workload's I/O never conflicts
 * (SPC-4 5.12.1 table 64: every registrant holds it).  Operations:
 * REGISTER (new key, key change, unregister; APTPL drawn), RESERVE,
 * RELEASE (2Ah/04h RESERVATIONS RELEASED to the other, 5.12.11.2.2),
 * CLEAR (2Ah/03h RESERVATIONS PREEMPTED, 5.12.11.2.6), PREEMPT of the
 * other's registration (2Ah/05h REGISTRATIONS PREEMPTED, 5.12.11.4.4),
 * READ KEYS and READ RESERVATION.  A target restart keeps the state iff
 * APTPL was set by the last REGISTER (5.12.4).  A PERSISTENT RESERVE IN
 * in flight across a restart can only have run on the old target (its
 * connection died with it), so its answer is checked against the state
 * before the restart, and settles what the restart made of it.
 */
#ifndef NX_SCN_PR_MODEL_H
#define NX_SCN_PR_MODEL_H

#include "../nx_sim.h"

#define NX_SCN_PR_INI 2
#define NX_SCN_PR_PARAM_MAX 24
#define NX_SCN_PR_DATA_IN_MAX 64

struct nx_scn_pr_state {
	uint64_t key[NX_SCN_PR_INI]; /* 0: not registered */
	uint8_t type;                /* 0, 7 (WE_AR) or 8 (EA_AR) */
	bool aptpl;
};

/* One command, as built by nx_scn_pr_pick(). */
struct nx_scn_pr_cmd {
	uint8_t cdb[10];
	uint8_t param[NX_SCN_PR_PARAM_MAX]; /* PROUT parameter list */
	uint32_t param_len;
	uint32_t data_in_len;                /* PRIN allocation length */
	bool out;
	int ua_to;                           /* initiator owed a UA, or -1 */
	uint8_t ua_ascq;                     /* of 2Ah */
	const char *name;
};

struct nx_scn_pr {
	struct nx_scn_pr_state cur;
	struct nx_scn_pr_state pending;      /* cur if the command runs */
	struct nx_scn_pr_state alt;          /* the other candidate */
	bool busy;                           /* a command is in flight */
	bool unknown;                        /* cur or alt, not known which */
	unsigned issuer;
	bool out;
	uint8_t prin_sa;
	uint64_t key_seq;
	uint64_t sent, checked;              /* counters for the log */
	/* The PRIN in flight was sent before a target restart: the
	 * candidates (cur, alt, unknown) as they were before the first one. */
	bool read_pre_restart;
	struct nx_scn_pr_state pre_cur, pre_alt;
	bool pre_unknown;
};

void nx_scn_pr_init(struct nx_scn_pr *pr);
/* The next command of initiator ini, drawn from r; false when none may be
 * sent now (one in flight, or the state to settle first). */
bool nx_scn_pr_pick(struct nx_scn_pr *pr, unsigned ini, struct nx_rng *r,
		    struct nx_scn_pr_cmd *cmd);

enum nx_scn_pr_outcome {
	NX_SCN_PR_GOOD,      /* ran, GOOD */
	NX_SCN_PR_NOT_RUN,   /* a unit attention was reported instead */
	NX_SCN_PR_UNKNOWN,   /* aborted or lost with its connection */
};

/* The command in flight ended.  For a GOOD PERSISTENT RESERVE IN, din is
 * its data, checked against the model.  False with why filled in when
 * the target disagrees. */
bool nx_scn_pr_done(struct nx_scn_pr *pr, enum nx_scn_pr_outcome o,
		    const uint8_t *din, uint32_t din_len, char *why,
		    size_t why_len);
/* The target restarted (crash or power loss): what APTPL keeps; a PRIN
 * in flight remembers the state it ran against. */
void nx_scn_pr_restart(struct nx_scn_pr *pr);
/* Checks READ KEYS and READ RESERVATION data (generation ignored) against
 * the model; an unknown state settles on the candidate they match. */
bool nx_scn_pr_check(struct nx_scn_pr *pr, const uint8_t *keys,
		     uint32_t keys_len, const uint8_t *res, uint32_t res_len,
		     char *why, size_t why_len);

#endif /* NX_SCN_PR_MODEL_H */
