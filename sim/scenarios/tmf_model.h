/*
 * tmf_model.h - the models behind the `tmf` scenario (tmf.c): what the
 * target must report, derived from the scenario's own record of what it
 * did, never from the target.
 *
 *  - tm_ledger: the unit attentions of one I_T nexus (SAM-5 5.14).  In a
 *    quiet step (nothing else in flight) it is the target's queue itself:
 *    one entry per (ASC, ASCQ), priority order 29h > 2Fh > 2Ah > 3Fh >
 *    other, FIFO within a class, 16 at most (core/ua.c's documented
 *    policy), so every report must be the head and a drain must empty
 *    it exactly.  Once commands race with the events that establish
 *    UAs (busy steps, lost connections) it keeps counts per code until
 *    the next drain: how many reports were allowed (establishing events
 *    that may have happened, plus what was pending), whether one was
 *    owed (an event that surely happened), and how many reports cleared
 *    it for sure or maybe (UA_INTLCK_CTRL, SPC-4 7.5.8 table 461).  At
 *    the drain: never more clearing reports than allowed, at least one
 *    when owed - "exactly once to each nexus that should get it, never
 *    to one that should not".
 *  - tm_hist: a small value (a control mode page, an asymmetric access
 *    state) as it changed during a step, each change at an instant
 *    known only to lie in [lo, hi] (between a request's submission and
 *    its answer); the values a command answered at r and sent at s may
 *    have seen are those of the entries alive somewhere in [s, r].
 */
#ifndef NX_SCN_TMF_MODEL_H
#define NX_SCN_TMF_MODEL_H

#include <stddef.h>

#include "../nx_sim.h"

/* ---- unit attentions -------------------------------------------------------- */

#define TM_UA_QMAX 16 /* NX_UA_MAX: pending UAs per I_T_L nexus */
#define TM_UA_CODES 24

struct tm_ua {
	uint8_t asc, ascq;
};

struct tm_ua_count {
	struct tm_ua ua;
	uint16_t allow;  /* reports that may clear it since the last drain */
	uint16_t got_lo; /* reports that surely cleared it */
	uint16_t got_hi; /* reports that may have cleared it */
	bool need;       /* surely pending at some point since the drain */
};

struct tm_ledger {
	bool exact;      /* q is the target's queue for this nexus */
	uint8_t n;
	struct tm_ua q[TM_UA_QMAX];
	unsigned ncodes; /* fuzzy mode: counts per code */
	struct tm_ua_count c[TM_UA_CODES];
};

/* How a report affects the queue (UA_INTLCK_CTRL 00b: a CHECK
 * CONDITION clears it; 10b/11b: only REQUEST SENSE does). */
enum tm_clear { TM_CLEAR_NO, TM_CLEAR_YES, TM_CLEAR_MAYBE };

/* A new I_T nexus: nothing pending, exact. */
void tm_ledger_reset(struct tm_ledger *l);
/* exact -> counts: the queue becomes "owed once" entries. */
void tm_ledger_fuzz(struct tm_ledger *l);
/* An event established the UA, surely (sure) or maybe.  A maybe makes
 * an exact ledger fuzzy.  In fuzzy mode, expect() (allow one more report,
 * called when the establishing request is sent) and confirm() (it surely
 * ran, called at its answer) split the same event in two. */
void tm_ledger_establish(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
			 bool sure);
void tm_ledger_expect(struct tm_ledger *l, uint8_t asc, uint8_t ascq);
void tm_ledger_expect_n(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
			unsigned n);
void tm_ledger_confirm(struct tm_ledger *l, uint8_t asc, uint8_t ascq);
/* The target reported asc/ascq on this nexus.  False (why filled) when
 * the model says it may not. */
bool tm_ledger_report(struct tm_ledger *l, uint8_t asc, uint8_t ascq,
		      enum tm_clear clr, char *why, size_t why_len);
/* The target showed nothing pending (a command that is not exempt from
 * UAs got past the UA check).  Fuzzy counts are judged and the ledger is
 * exact (and empty) again.  False (why filled) on a violation. */
bool tm_ledger_drained(struct tm_ledger *l, char *why, size_t why_len);
/* QUERY ASYNCHRONOUS EVENT (SAM-5 7.10): bit 0 set if FUNCTION COMPLETE
 * (nothing pending) is possible, bit 1 if FUNCTION SUCCEEDED is. */
unsigned tm_ledger_qae(const struct tm_ledger *l);
/* "29/03 2A/06 ..." for logs and failures. */
void tm_ledger_describe(const struct tm_ledger *l, char *buf, size_t len);

/* ---- values over a step ------------------------------------------------------ */

#define TM_HIST_MAX 12
#define TM_T_INF UINT64_MAX

struct tm_hist {
	unsigned n;
	struct {
		uint64_t lo, hi; /* the change happened at some instant in here */
		uint32_t v;
	} e[TM_HIST_MAX];
	bool overflow;       /* too many changes: anything ever seen is possible */
};

void tm_hist_init(struct tm_hist *h, uint32_t v, uint64_t now);
/* Returns the entry's index (for tm_hist_narrow). */
unsigned tm_hist_change(struct tm_hist *h, uint32_t v, uint64_t lo,
			uint64_t hi);
/* The change of entry k is now known to have happened by hi. */
void tm_hist_narrow(struct tm_hist *h, unsigned k, uint64_t hi);
/* Entry k may have been in effect at some instant of [s, r]. */
bool tm_hist_alive(const struct tm_hist *h, unsigned k, uint64_t s,
		   uint64_t r);
/* True if v may have been in effect at some instant of [s, r]. */
bool tm_hist_possible(const struct tm_hist *h, uint32_t v, uint64_t s,
		      uint64_t r);
/* True if v was the only value during all of [s, r]. */
bool tm_hist_certain(const struct tm_hist *h, uint32_t v, uint64_t s,
		     uint64_t r);
/* The value if the history has one possible value after `at` (a change
 * whose window ends at `at` is over by then). */
bool tm_hist_settled(const struct tm_hist *h, uint64_t at, uint32_t *v);
/* Any value possible at or after `at` (for settling by a read). */
bool tm_hist_possible_after(const struct tm_hist *h, uint32_t v, uint64_t at);

/* ---- control mode page (SPC-4 7.5.8) ----------------------------------------- */

struct tm_ctl {
	uint8_t qerr;    /* 00b, 01b, 11b */
	uint8_t intlck;  /* UA_INTLCK_CTRL 00b, 10b, 11b */
	bool tas;
	bool dsense;
};

uint32_t tm_ctl_pack(const struct tm_ctl *c);
void tm_ctl_unpack(uint32_t v, struct tm_ctl *c);
/* Byte image of the control page fields the scenario changes, from a
 * 12-byte page as MODE SENSE returns it. */
void tm_ctl_from_page(const uint8_t *p, struct tm_ctl *c);
void tm_ctl_to_page(const struct tm_ctl *c, uint8_t *p);

#endif /* NX_SCN_TMF_MODEL_H */
