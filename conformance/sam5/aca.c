/*
 * aca.c - exception handling around CHECK CONDITION (SAM-5 5.9): the
 * auto contingent allegiance (ACA) condition a command with NACA=1
 * establishes, the commands it keeps out (ACA ACTIVE, BUSY) and lets in
 * (one ACA task), CLEAR ACA (SAM-5 7.4) and what else clears it; the
 * control mode page fields that govern the rest (SPC-4 7.5.8): QERR
 * (which tasks a CHECK CONDITION aborts, with TAS) and UA_INTLCK_CTRL
 * (whether a reported unit attention is cleared; PREVIOUS BUSY STATUS).
 *
 * ACA tests need NORMACA=1 (standard INQUIRY byte 3 bit 5) and SKIP
 * without it.  Every test leaves the LU as it found it (CLEAR ACA, old
 * mode values) so that the tcp backend can run them in a row.  The
 * faulting command is a VERIFY(10) just past the capacity (5/21h/00h),
 * sent HEAD OF QUEUE so that tasks held in the task set do not delay it.
 */
#include "sam5_util.h"

static bool normaca(struct nx_conf_sess *s)
{
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 36, 0 }, d[36];
	struct nx_conf_result r;

	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	return (d[3] & 0x20) != 0;
}

/* A logged-in initiator on a target with ACA, or SKIP. */
static struct nx_conf_sess *aca_login(unsigned ini)
{
	struct nx_conf_sess *s = s5_login(ini);

	if (!normaca(s))
		NX_SKIP("NORMACA=0: the target does not support ACA");
	return s;
}

/* Establishes ACA for s (SAM-5 5.9.2.2). */
static void aca_fault(struct nx_conf_sess *s)
{
	s5_fault(s, true, NX_INI_ATTR_HEAD_OF_QUEUE);
}

static void expect_tur(struct nx_conf_sess *s, const char *who, uint8_t attr,
		       bool naca, uint8_t status)
{
	struct nx_conf_result r;

	nx_conf_env_reset_notes();
	nx_conf_note("%s", who);
	s5_tur(s, attr, naca, &r);
	NX_EXPECT_STATUS(&r, status);
	NX_EXPECT_EQ("sense data length", r.sense_len, 0);
	nx_conf_env_reset_notes();
}

static void clear_aca(struct nx_conf_sess *s)
{
	NX_EXPECT_EQ("CLEAR ACA", s5_tmf(s, NX_INI_TMF_CLEAR_ACA),
		     NX_INI_TMF_RSP_COMPLETE);
}

static void logout2(struct nx_conf_sess *a, struct nx_conf_sess *b)
{
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* The end of a two-nexus test that changed QERR: restore it, drop B's
 * 2Ah/01h and log both out. */
static void qerr_restore(struct nx_conf_sess *a, struct nx_conf_sess *b,
			 uint8_t qerr)
{
	s5_set_control(a, S5_QERR, qerr);
	nx_conf_clear_ua(b);
	logout2(a, b);
}

/* B's ORDERED command t still waits behind its held write h; aborting
 * the write lets it complete GOOD. */
static void release_held(struct nx_conf_sess *b, const struct s5_held *hb,
			 struct nx_conf_async *tb)
{
	struct nx_conf_result r;

	nx_conf_poll(200);
	NX_EXPECT_TRUE("B's ORDERED command still waits", !tb->done);
	NX_EXPECT_EQ("ABORT TASK (B's held write)",
		     s5_tmf_ref(b, NX_INI_TMF_ABORT_TASK, hb->itt, hb->cmdsn),
		     NX_INI_TMF_RSP_COMPLETE);
	nx_conf_wait(b, tb, &r);
	NX_EXPECT_GOOD(&r);
}

/* Neither the ORDERED command t nor the held write h of s got an answer
 * (aborted silently); the initiator forgets t. */
static void expect_silent_abort(struct nx_conf_sess *s, struct nx_conf_async *t,
				const struct s5_held *h, const char *cmd_label,
				const char *write_label)
{
	nx_conf_poll(500);
	NX_EXPECT_TRUE(cmd_label, !t->done);
	NX_EXPECT_TRUE(write_label, !nx_conf_saw_itt(s, h->itt));
	nx_ini_cancel(nx_conf_ini(s), t->cmd.itt);
}

/* ---- ACA ------------------------------------------------------------------ */

/* SAM-5 5.2, SPC-4 6.6.2: with NORMACA=1 the NACA bit is accepted: a
 * command that succeeds with it completes GOOD and leaves no ACA. */
static void test_aca_naca_accepted(void **state)
{
	struct nx_conf_sess *s = aca_login(0);

	expect_tur(s, "TUR NACA=1", NX_INI_ATTR_SIMPLE, true, 0x00);
	expect_tur(s, "TUR after it", NX_INI_ATTR_SIMPLE, false, 0x00);
	nx_conf_logout(s);
}

/* SAM-5 5.9.1: a CHECK CONDITION with NACA=0 establishes no ACA: the
 * next command runs. */
static void test_aca_naca0_no_aca(void **state)
{
	struct nx_conf_sess *s = aca_login(0);

	s5_fault(s, false, NX_INI_ATTR_SIMPLE);
	expect_tur(s, "TUR after the NACA=0 CHECK CONDITION",
		   NX_INI_ATTR_SIMPLE, false, 0x00);
	nx_conf_logout(s);
}

/* SAM-5 5.9.2.2, 5.9.2.3: a CHECK CONDITION with NACA=1 establishes ACA;
 * a new command of the faulted I_T nexus without the ACA attribute ends
 * with ACA ACTIVE (30h), whatever its attribute. */
static void test_aca_faulted_nexus_aca_active(void **state)
{
	struct nx_conf_sess *s = aca_login(0);

	aca_fault(s);
	expect_tur(s, "SIMPLE", NX_INI_ATTR_SIMPLE, false, S5_STATUS_ACA_ACTIVE);
	expect_tur(s, "ORDERED", NX_INI_ATTR_ORDERED, false, S5_STATUS_ACA_ACTIVE);
	expect_tur(s, "HEAD OF QUEUE NACA=1", NX_INI_ATTR_HEAD_OF_QUEUE, true,
		   S5_STATUS_ACA_ACTIVE);
	clear_aca(s);
	nx_conf_logout(s);
}

/* SAM-5 5.9.2.3, 8.6.5: the faulted I_T nexus's command with the ACA
 * attribute runs (GOOD) and the ACA condition stays. */
static void test_aca_task_runs(void **state)
{
	struct nx_conf_sess *s = aca_login(0);

	aca_fault(s);
	expect_tur(s, "ACA task", NX_INI_ATTR_ACA, false, 0x00);
	expect_tur(s, "ACA task again", NX_INI_ATTR_ACA, false, 0x00);
	expect_tur(s, "SIMPLE after them", NX_INI_ATTR_SIMPLE, false,
		   S5_STATUS_ACA_ACTIVE);
	clear_aca(s);
	nx_conf_logout(s);
}

/* SAM-5 5.9.2.3: one ACA task at a time: while one is in the task set
 * (a WRITE awaiting its Data-Out) another gets ACA ACTIVE; CLEAR ACA
 * aborts the ACA task (SAM-5 7.4: as ABORT TASK, no response). */
static void test_aca_single_aca_task(void **state)
{
	struct nx_conf_sess *s = aca_login(0);
	struct s5_held h;

	aca_fault(s);
	s5_hold(s, NX_INI_ATTR_ACA, &h);
	expect_tur(s, "second ACA task", NX_INI_ATTR_ACA, false,
		   S5_STATUS_ACA_ACTIVE);
	nx_conf_watch(s);
	clear_aca(s);
	nx_conf_poll(200);
	NX_EXPECT_TRUE("no response to the aborted ACA task",
		       !nx_conf_saw_itt(s, h.itt));
	NX_EXPECT_EQ("QUERY TASK (the ACA task)",
		     s5_tmf_ref(s, NX_INI_TMF_QUERY_TASK, h.itt, h.cmdsn),
		     NX_INI_TMF_RSP_COMPLETE);
	expect_tur(s, "SIMPLE after CLEAR ACA", NX_INI_ATTR_SIMPLE, false, 0x00);
	nx_conf_logout(s);
}

/* SAM-5 5.9.2.4 (TST 000b): another I_T nexus's new command with NACA=0
 * ends with BUSY. */
static void test_aca_other_nexus_busy(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);

	aca_fault(a);
	expect_tur(b, "B SIMPLE NACA=0", NX_INI_ATTR_SIMPLE, false,
		   S5_STATUS_BUSY);
	expect_tur(b, "B HEAD OF QUEUE NACA=0", NX_INI_ATTR_HEAD_OF_QUEUE,
		   false, S5_STATUS_BUSY);
	clear_aca(a);
	expect_tur(b, "B after CLEAR ACA", NX_INI_ATTR_SIMPLE, false, 0x00);
	logout2(a, b);
}

/* SAM-5 5.9.2.4: another I_T nexus's new command with NACA=1, or with the
 * ACA attribute, ends with ACA ACTIVE. */
static void test_aca_other_nexus_aca_active(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);

	aca_fault(a);
	expect_tur(b, "B NACA=1", NX_INI_ATTR_SIMPLE, true,
		   S5_STATUS_ACA_ACTIVE);
	expect_tur(b, "B ACA attribute", NX_INI_ATTR_ACA, false,
		   S5_STATUS_ACA_ACTIVE);
	expect_tur(a, "A still faulted", NX_INI_ATTR_SIMPLE, false,
		   S5_STATUS_ACA_ACTIVE);
	clear_aca(a);
	logout2(a, b);
}

/* SAM-5 7.4: CLEAR ACA from the faulted I_T nexus: FUNCTION COMPLETE and
 * the condition is gone for every I_T nexus; a second one (no ACA) is
 * FUNCTION COMPLETE too. */
static void test_aca_clear_aca(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);

	aca_fault(a);
	clear_aca(a);
	expect_tur(a, "A after CLEAR ACA", NX_INI_ATTR_SIMPLE, false, 0x00);
	expect_tur(b, "B after CLEAR ACA", NX_INI_ATTR_SIMPLE, false, 0x00);
	clear_aca(a);
	logout2(a, b);
}

/* SAM-5 7.4: only the faulted I_T nexus clears the condition: CLEAR ACA
 * from another nexus leaves it (judgement call: that one answers
 * FUNCTION COMPLETE with no effect, or FUNCTION REJECTED). */
static void test_aca_clear_aca_other_nexus(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);
	uint8_t rsp;

	aca_fault(a);
	rsp = s5_tmf(b, NX_INI_TMF_CLEAR_ACA);
	NX_EXPECT_TRUE("B's CLEAR ACA: 0 (complete) or 255 (rejected)",
		       rsp == NX_INI_TMF_RSP_COMPLETE ||
			       rsp == NX_INI_TMF_RSP_REJECTED);
	expect_tur(a, "A still faulted", NX_INI_ATTR_SIMPLE, false,
		   S5_STATUS_ACA_ACTIVE);
	expect_tur(b, "B still kept out", NX_INI_ATTR_SIMPLE, false,
		   S5_STATUS_BUSY);
	clear_aca(a);
	logout2(a, b);
}

/* SAM-5 5.9.2.2: a command with the ACA attribute that ends with CHECK
 * CONDITION and NACA=1 leaves an ACA condition (a new one). */
static void test_aca_task_check_condition(void **state)
{
	struct nx_conf_sess *s = aca_login(0);

	aca_fault(s);
	s5_fault(s, true, NX_INI_ATTR_ACA);
	expect_tur(s, "SIMPLE", NX_INI_ATTR_SIMPLE, false, S5_STATUS_ACA_ACTIVE);
	clear_aca(s);
	nx_conf_logout(s);
}

/* SAM-5 7.3: ABORT TASK SET does not change an ACA condition. */
static void test_aca_abort_task_set_keeps(void **state)
{
	struct nx_conf_sess *s = aca_login(0);

	aca_fault(s);
	NX_EXPECT_EQ("ABORT TASK SET", s5_tmf(s, NX_INI_TMF_ABORT_TASK_SET),
		     NX_INI_TMF_RSP_COMPLETE);
	expect_tur(s, "SIMPLE", NX_INI_ATTR_SIMPLE, false, S5_STATUS_ACA_ACTIVE);
	clear_aca(s);
	nx_conf_logout(s);
}

/* SAM-5 5.9.2.5, 6.3.3: a LOGICAL UNIT RESET clears the ACA condition:
 * the faulted nexus then sees the reset's 29h/03h, not ACA ACTIVE. */
static void test_aca_lu_reset_clears(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);
	struct nx_conf_result r;

	aca_fault(a);
	NX_EXPECT_EQ("LOGICAL UNIT RESET (B)",
		     s5_tmf(b, NX_INI_TMF_LOGICAL_UNIT_RESET),
		     NX_INI_TMF_RSP_COMPLETE);
	s5_tur(a, NX_INI_ATTR_SIMPLE, false, &r);
	NX_EXPECT_UA(&r, 0x29, 0x03);
	expect_tur(a, "A after the UA", NX_INI_ATTR_SIMPLE, false, 0x00);
	nx_conf_clear_ua(b);
	logout2(a, b);
}

/* SAM-5 5.9.2.5, 6.3.4: the faulted I_T nexus's loss (connection dropped,
 * no logout) clears the ACA condition for the others. */
static void test_aca_nexus_loss_clears(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);
	struct nx_conf_result r;

	aca_fault(a);
	expect_tur(b, "B while A holds ACA", NX_INI_ATTR_SIMPLE, false,
		   S5_STATUS_BUSY);
	nx_conf_drop(a);
	for (unsigned i = 0; i < 50; i++) { /* the target notices the loss */
		s5_tur(b, NX_INI_ATTR_SIMPLE, false, &r);
		if (r.status != S5_STATUS_BUSY)
			break;
		nx_conf_poll(100);
	}
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(b);
}

/* SAM-5 5.9.2.2 with QErr 00b (SPC-4 7.5.8 table 460): tasks already in
 * the task set wait while ACA lasts and resume once it is cleared: B's
 * ORDERED command behind its held write is still pending after CLEAR ACA
 * only because of the held write; aborting that lets it complete GOOD. */
static void test_aca_held_tasks_survive(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);
	struct nx_conf_async tb;
	struct s5_held hb;
	uint8_t qerr = s5_set_control(a, S5_QERR, 0x00);

	nx_conf_clear_ua(b);
	s5_hold(b, NX_INI_ATTR_SIMPLE, &hb);
	s5_submit_ordered(b, &tb);
	aca_fault(a);
	clear_aca(a);
	release_held(b, &hb, &tb);
	qerr_restore(a, b, qerr);
}

/* ---- QErr (SPC-4 7.5.8 table 460) ---------------------------------------- */

/* B holds a write with an ORDERED command behind it, then A's command
 * ends with CHECK CONDITION (NACA=0) under QERR q and TAS tas. */
static void qerr_scene(struct nx_conf_sess *a, struct nx_conf_sess *b,
		       struct s5_held *hb, struct nx_conf_async *tb)
{
	nx_conf_clear_ua(b);
	s5_hold(b, NX_INI_ATTR_SIMPLE, hb);
	s5_submit_ordered(b, tb);
	nx_conf_watch(b);
	s5_fault(a, false, NX_INI_ATTR_HEAD_OF_QUEUE);
}

/* QERR 01b, TAS=1: every task of the task set is aborted; another I_T
 * nexus's tasks end with TASK ABORTED and no unit attention. */
static void test_qerr_01_tas1(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	uint8_t qerr = s5_set_control(a, S5_QERR, 0x02);
	uint8_t tas = s5_set_control(a, S5_TAS, 0x40);
	struct nx_conf_async tb;
	struct nx_conf_result r;
	struct s5_held hb;

	qerr_scene(a, b, &hb, &tb);
	nx_conf_wait(b, &tb, &r);
	NX_EXPECT_STATUS(&r, S5_STATUS_TASK_ABORTED);
	NX_EXPECT_TRUE("B's held write answered too", nx_conf_saw_itt(b, hb.itt));
	expect_tur(b, "B: no unit attention", NX_INI_ATTR_SIMPLE, false, 0x00);
	expect_tur(a, "A: no unit attention", NX_INI_ATTR_SIMPLE, false, 0x00);
	s5_set_control(a, S5_TAS, tas);
	qerr_restore(a, b, qerr);
}

/* QERR 01b, TAS=0: another I_T nexus's tasks vanish without a response
 * and it gets UNIT ATTENTION 2Fh/00h COMMANDS CLEARED BY ANOTHER
 * INITIATOR; the faulted nexus gets none. */
static void test_qerr_01_tas0(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	uint8_t qerr = s5_set_control(a, S5_QERR, 0x02);
	uint8_t tas = s5_set_control(a, S5_TAS, 0x00);
	struct nx_conf_async tb;
	struct nx_conf_result r;
	struct s5_held hb;

	qerr_scene(a, b, &hb, &tb);
	expect_silent_abort(b, &tb, &hb, "no response to B's ORDERED command",
			    "no response to B's held write");
	s5_tur(b, NX_INI_ATTR_SIMPLE, false, &r);
	NX_EXPECT_UA(&r, 0x2f, 0x00);
	expect_tur(a, "A: no unit attention", NX_INI_ATTR_SIMPLE, false, 0x00);
	s5_set_control(a, S5_TAS, tas);
	qerr_restore(a, b, qerr);
}

/* QERR 11b: only the faulted I_T nexus's tasks are aborted (silently);
 * another nexus's tasks carry on. */
static void test_qerr_11(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	uint8_t qerr = s5_set_control(a, S5_QERR, 0x06);
	struct nx_conf_async ta;
	struct nx_conf_result r;
	struct s5_held ha, hb;

	nx_conf_clear_ua(b);
	s5_hold(a, NX_INI_ATTR_SIMPLE, &ha);
	s5_submit_ordered(a, &ta);
	s5_hold(b, NX_INI_ATTR_SIMPLE, &hb);
	nx_conf_watch(a);
	s5_fault(a, false, NX_INI_ATTR_HEAD_OF_QUEUE);
	expect_silent_abort(a, &ta, &ha, "no response to A's ORDERED command",
			    "no response to A's held write");
	NX_EXPECT_EQ("QUERY TASK (B's held write)",
		     s5_tmf_ref(b, NX_INI_TMF_QUERY_TASK, hb.itt, hb.cmdsn),
		     NX_INI_TMF_RSP_SUCCEEDED);
	NX_EXPECT_EQ("ABORT TASK (B's held write)",
		     s5_tmf_ref(b, NX_INI_TMF_ABORT_TASK, hb.itt, hb.cmdsn),
		     NX_INI_TMF_RSP_COMPLETE);
	s5_tur(b, NX_INI_ATTR_SIMPLE, false, &r);
	NX_EXPECT_GOOD(&r);
	qerr_restore(a, b, qerr);
}

/* QERR 00b: a CHECK CONDITION aborts nothing else: B's held write stays
 * in the task set. */
static void test_qerr_00(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	uint8_t qerr = s5_set_control(a, S5_QERR, 0x00);
	struct nx_conf_async tb;
	struct s5_held hb;

	qerr_scene(a, b, &hb, &tb);
	release_held(b, &hb, &tb);
	qerr_restore(a, b, qerr);
}

/* MODE SELECT of a reserved value: QERR 10b, UA_INTLCK_CTRL 01b (SPC-4
 * 7.5.8 tables 460, 461): CHECK CONDITION 5/26h/00h INVALID FIELD IN
 * PARAMETER LIST, and the page is unchanged. */
static void test_control_reserved_codes(void **state)
{
	struct nx_conf_sess *s = s5_login(0);
	uint8_t cur[S5_MS_MAX], chg[S5_MS_MAX], d[S5_MS_MAX];
	uint8_t cdb[10] = { 0x55, 0x10 };
	static const uint8_t bad[2][3] = { { 3, 0x06, 0x04 }, { 4, 0x30, 0x10 } };
	struct nx_conf_result r;
	unsigned len;

	nx_conf_mode_sense(s, 1, 0x0a, 0, chg, S5_MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	if ((chg[8 + 3] & 0x06) != 0x06 || (chg[8 + 4] & 0x30) != 0x30)
		NX_SKIP("QERR / UA_INTLCK_CTRL not changeable");
	nx_conf_mode_sense(s, 0, 0x0a, 0, cur, S5_MS_MAX, &r);
	NX_EXPECT_GOOD(&r);
	len = 8u + 2u + cur[9];
	for (unsigned i = 0; i < 2; i++) {
		memset(d, 0, 8);
		memcpy(d + 8, cur + 8, len - 8);
		d[8] &= 0x7f;
		d[8 + bad[i][0]] = (uint8_t)((d[8 + bad[i][0]] & ~bad[i][1]) |
					     bad[i][2]);
		nx_put_be16(cdb + 7, (uint16_t)len);
		nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, d, len, &r);
		NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	}
	nx_conf_mode_sense(s, 0, 0x0a, 0, d, S5_MS_MAX, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_BYTES(d + 8, cur + 8, len - 8);
	nx_conf_logout(s);
}

/* ---- UA_INTLCK_CTRL (SPC-4 7.5.8 table 461) -------------------------------- */

/* The end of a UA_INTLCK_CTRL test: restore it, drain B's unit
 * attentions (the change made 2Ah/01h) and log both out. */
static void ua_intlck_restore(struct nx_conf_sess *a, struct nx_conf_sess *b,
			      uint8_t old)
{
	s5_set_control(a, S5_UA_INTLCK, old);
	s5_drain_ua(b);
	logout2(a, b);
}

/* 00b: a unit attention is cleared when a CHECK CONDITION reports it,
 * and BUSY leaves no unit attention behind. */
static void test_ua_intlck_00(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);
	uint8_t old = s5_set_control(a, S5_UA_INTLCK, 0x00);
	struct nx_conf_result r;

	s5_drain_ua(b);
	aca_fault(a);
	expect_tur(b, "B: BUSY", NX_INI_ATTR_SIMPLE, false, S5_STATUS_BUSY);
	clear_aca(a);
	expect_tur(b, "B: no PREVIOUS BUSY STATUS", NX_INI_ATTR_SIMPLE, false,
		   0x00);
	uint8_t tas = s5_set_control(a, S5_TAS, 0x00);
	s5_drain_ua(b);
	s5_set_control(a, S5_TAS, 0x40); /* a change: B gets 2Ah/01h */
	s5_tur(b, NX_INI_ATTR_SIMPLE, false, &r);
	NX_EXPECT_UA(&r, 0x2a, 0x01);
	expect_tur(b, "B: 2Ah/01h was cleared", NX_INI_ATTR_SIMPLE, false, 0x00);
	s5_set_control(a, S5_TAS, tas);
	ua_intlck_restore(a, b, old);
}

/* 10b: a unit attention reported with CHECK CONDITION stays pending (the
 * next command reports it again) until REQUEST SENSE reports it. */
static void test_ua_intlck_10(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	uint8_t old = s5_set_control(a, S5_UA_INTLCK, 0x20);
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 }, d[18];
	struct nx_conf_result r;

	/* B has 2Ah/01h MODE PARAMETERS CHANGED from A's MODE SELECT */
	for (unsigned i = 0; i < 2; i++) {
		s5_tur(b, NX_INI_ATTR_SIMPLE, false, &r);
		NX_EXPECT_UA(&r, 0x2a, 0x01);
	}
	nx_conf_scsi(b, rs, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("REQUEST SENSE key", d[2] & 0x0f, SK_UNIT_ATTENTION);
	NX_EXPECT_EQ("REQUEST SENSE ASC", d[12], 0x2a);
	NX_EXPECT_EQ("REQUEST SENSE ASCQ", d[13], 0x01);
	expect_tur(b, "B after REQUEST SENSE", NX_INI_ATTR_SIMPLE, false, 0x00);
	ua_intlck_restore(a, b, old);
}

/* 11b: BUSY leaves UNIT ATTENTION 2Ch/07h PREVIOUS BUSY STATUS, once for
 * any number of BUSY answers, not cleared by CHECK CONDITION either. */
static void test_ua_intlck_11_previous_busy(void **state)
{
	struct nx_conf_sess *a = aca_login(0), *b = s5_login(1);
	uint8_t old = s5_set_control(a, S5_UA_INTLCK, 0x30);
	struct nx_conf_result r;

	s5_drain_ua(b);
	aca_fault(a);
	expect_tur(b, "B: BUSY", NX_INI_ATTR_SIMPLE, false, S5_STATUS_BUSY);
	expect_tur(b, "B: BUSY again", NX_INI_ATTR_SIMPLE, false,
		   S5_STATUS_BUSY);
	clear_aca(a);
	for (unsigned i = 0; i < 2; i++) {
		s5_tur(b, NX_INI_ATTR_SIMPLE, false, &r);
		NX_EXPECT_UA(&r, 0x2c, 0x07);
	}
	s5_drain_ua(b);
	expect_tur(b, "B: only one PREVIOUS BUSY STATUS", NX_INI_ATTR_SIMPLE,
		   false, 0x00);
	ua_intlck_restore(a, b, old);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sam5", aca_naca_accepted, "SAM-5 5.2",
		     "NORMACA=1: NACA=1 on a good command is GOOD and leaves no ACA"),
	NX_CONF_TEST("sam5", aca_naca0_no_aca, "SAM-5 5.9.1",
		     "CHECK CONDITION with NACA=0 establishes no ACA: the next command runs"),
	NX_CONF_TEST("sam5", aca_faulted_nexus_aca_active, "SAM-5 5.9.2.3",
		     "ACA: the faulted nexus's commands without the ACA attribute get ACA ACTIVE (30h)"),
	NX_CONF_TEST("sam5", aca_task_runs, "SAM-5 8.6.5",
		     "ACA: the faulted nexus's ACA-attribute command runs GOOD, ACA stays"),
	NX_CONF_TEST("sam5", aca_single_aca_task, "SAM-5 5.9.2.3",
		     "ACA: a second ACA task gets ACA ACTIVE; CLEAR ACA aborts the ACA task"),
	NX_CONF_TEST("sam5", aca_other_nexus_busy, "SAM-5 5.9.2.4",
		     "ACA: another nexus's NACA=0 command gets BUSY (08h)"),
	NX_CONF_TEST("sam5", aca_other_nexus_aca_active, "SAM-5 5.9.2.4",
		     "ACA: another nexus's NACA=1 or ACA-attribute command gets ACA ACTIVE"),
	NX_CONF_TEST("sam5", aca_clear_aca, "SAM-5 7.4",
		     "CLEAR ACA from the faulted nexus: FUNCTION COMPLETE, every nexus runs again"),
	NX_CONF_TEST("sam5", aca_clear_aca_other_nexus, "SAM-5 7.4",
		     "CLEAR ACA from another nexus leaves the ACA condition in place"),
	NX_CONF_TEST("sam5", aca_task_check_condition, "SAM-5 5.9.2.2",
		     "an ACA task ending CHECK CONDITION with NACA=1 leaves an ACA condition"),
	NX_CONF_TEST("sam5", aca_abort_task_set_keeps, "SAM-5 7.3",
		     "ABORT TASK SET does not clear the ACA condition"),
	NX_CONF_TEST("sam5", aca_lu_reset_clears, "SAM-5 5.9.2.5",
		     "LOGICAL UNIT RESET clears ACA: the faulted nexus sees 29h/03h, then GOOD"),
	NX_CONF_TEST("sam5", aca_nexus_loss_clears, "SAM-5 5.9.2.5",
		     "the faulted nexus's loss clears ACA: another nexus's command runs"),
	NX_CONF_TEST("sam5", aca_held_tasks_survive, "SAM-5 5.9.2.2",
		     "QERR 00b: tasks in the task set survive an ACA and resume after CLEAR ACA"),
	NX_CONF_TEST("sam5", qerr_01_tas1, "SPC-4 7.5.8",
		     "QERR 01b, TAS=1: a CHECK CONDITION ends other nexuses' tasks TASK ABORTED, no UA"),
	NX_CONF_TEST("sam5", qerr_01_tas0, "SPC-4 7.5.8",
		     "QERR 01b, TAS=0: other nexuses' tasks vanish, UA 2Fh/00h for them"),
	NX_CONF_TEST("sam5", qerr_11, "SPC-4 7.5.8",
		     "QERR 11b: only the faulted nexus's tasks are aborted"),
	NX_CONF_TEST("sam5", qerr_00, "SPC-4 7.5.8",
		     "QERR 00b: a CHECK CONDITION aborts no other task"),
	NX_CONF_TEST("sam5", control_reserved_codes, "SPC-4 7.5.8",
		     "MODE SELECT with QERR 10b or UA_INTLCK_CTRL 01b: 5/26h/00h, page unchanged"),
	NX_CONF_TEST("sam5", ua_intlck_00, "SPC-4 7.5.8",
		     "UA_INTLCK_CTRL 00b: a reported UA is cleared; BUSY leaves no UA"),
	NX_CONF_TEST("sam5", ua_intlck_10, "SPC-4 7.5.8",
		     "UA_INTLCK_CTRL 10b: a UA reported by CHECK CONDITION stays until REQUEST SENSE"),
	NX_CONF_TEST("sam5", ua_intlck_11_previous_busy, "SPC-4 7.5.8",
		     "UA_INTLCK_CTRL 11b: BUSY leaves one UA 2Ch/07h PREVIOUS BUSY STATUS"),
};

NX_CONF_TABLE(nx_conf_table_sam5_aca, tests);
