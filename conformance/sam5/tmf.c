/*
 * tmf.c - task management functions (SAM-5 7) seen from the SCSI side:
 * which tasks ABORT TASK SET, CLEAR TASK SET and LOGICAL UNIT RESET
 * reach, TASK ABORTED status and the TAS bit (SAM-5 5.6, SPC-4 7.5.8),
 * the QUERY functions (SAM-5 7.8-7.10, iSCSI codes 9-12 and response 7
 * "Function succeeded" from RFC 7144), the unit attentions resets leave
 * behind (SAM-5 6.3, 5.14) and where they must not appear.
 *
 * A task is kept in the task set with no timing tricks: a WRITE sent raw
 * whose Data-Out is never sent (the target answers R2T and waits).  An
 * ORDERED command queued behind it is then blocked too (SAM-5 8.6.3), and
 * since the initiator library owns that one, its completion status is
 * observable: that is how TASK ABORTED is checked.
 */
#include "sam5_util.h"

#define MS_MAX S5_MS_MAX

static const uint8_t tur[6] = { 0 };


/* WRITE(10) of 1 block at LBA 8 sent raw (SIMPLE); returns once the R2T
 * came. */
static void hold_write(struct nx_conf_sess *s, struct s5_held *h)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.6: the target RDMA-READs write data at once, a write cannot be held waiting for Data-Out");
	s5_hold(s, NX_INI_ATTR_SIMPLE, h);
}

/* Any TMF; ref_itt/ref_cmdsn for ABORT TASK / QUERY TASK. */
static uint8_t tmf(struct nx_conf_sess *s, uint8_t fn, uint64_t lun,
		   uint32_t ref_itt, uint32_t ref_cmdsn)
{
	uint8_t rsp = 0xff;

	assert_int_equal(nx_conf_tmf_ex(s, fn, nx_ini_lun(lun), ref_itt,
					ref_cmdsn, &rsp), 0);
	return rsp;
}

static void skip_if_tmf_unsupported(uint8_t rsp, const char *what)
{
	if (rsp == NX_INI_TMF_RSP_NOT_SUPPORTED || rsp == NX_INI_TMF_RSP_REJECTED ||
	    rsp == NX_INI_TMF_RSP_AUTH_FAILED)
		NX_SKIP("%s not supported (response %u)", what, rsp);
}

static void expect_tur(struct nx_conf_sess *s, const char *who, uint8_t asc,
		       uint8_t ascq)
{
	struct nx_conf_result r;

	nx_conf_env_reset_notes();
	nx_conf_note("%s", who);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	if (asc == 0)
		NX_EXPECT_GOOD(&r);
	else
		NX_EXPECT_UA(&r, asc, ascq);
	nx_conf_env_reset_notes();
}

/* Control mode page TAS (byte 5 bit 6): sets it when it differs;
 * SKIPs when it would have to change and cannot.  Returns the old
 * value. */
static bool set_tas(struct nx_conf_sess *s, bool on)
{
	uint8_t cur[MS_MAX], chg[MS_MAX], cdb[10] = { 0x55, 0x10 }, d[MS_MAX];
	struct nx_conf_result r;
	unsigned len;
	bool was;

	nx_conf_mode_sense(s, 0, 0x0a, 0, cur, MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	was = cur[8 + 5] & 0x40;
	if (was == on)
		return was;
	nx_conf_mode_sense(s, 1, 0x0a, 0, chg, MS_MAX, &r);
	if (r.status != 0x00 || !(chg[8 + 5] & 0x40))
		NX_SKIP("TAS=%d needed and TAS is not changeable", on);
	cur[8 + 5] = (uint8_t)((cur[8 + 5] & ~0x40) | (on ? 0x40 : 0));
	len = 8u + 2u + cur[9];
	memset(d, 0, 8);
	memcpy(d + 8, cur + 8, len - 8);
	d[8] &= 0x7f;
	nx_put_be16(cdb + 7, (uint16_t)len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, d, len, &r);
	NX_EXPECT_GOOD(&r);
	return was;
}

/* A's write held in the task set with an ORDERED command behind it. */
static void hold_scene(struct nx_conf_sess *a, struct s5_held *ha,
		       struct nx_conf_async *ta)
{
	nx_conf_clear_ua(a);
	hold_write(a, ha);
	s5_submit_ordered(a, ta);
}

/* TAS back to what it was (`was`, the test set `set`) and both nexuses
 * logged out; A's 2Ah/01h from the change is cleared. */
static void tas_restore(struct nx_conf_sess *a, struct nx_conf_sess *b,
			bool was, bool set)
{
	if (was != set) {
		set_tas(b, was);
		nx_conf_clear_ua(a);
	}
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* SAM-5 7.3: ABORT TASK SET aborts the tasks of the requesting I_T
 * nexus only: another nexus's held task stays (its ORDERED command keeps
 * waiting and later completes GOOD), and no unit attention results. */
static void test_tmf_abort_task_set_own_nexus_only(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct s5_held ha, hb;
	struct nx_conf_async tb;
	struct nx_conf_result r;

	hold_write(a, &ha);
	hold_write(b, &hb);
	s5_submit_ordered(b, &tb);
	NX_EXPECT_EQ("ABORT TASK SET (A)", s5_tmf(a, NX_INI_TMF_ABORT_TASK_SET),
		     NX_INI_TMF_RSP_COMPLETE);
	nx_conf_poll(200);
	NX_EXPECT_TRUE("B's ORDERED command still waits (B's task survived)",
		       !tb.done);
	NX_EXPECT_EQ("ABORT TASK (B's held write)",
		     tmf(b, NX_INI_TMF_ABORT_TASK, nx_conf_lun(), hb.itt, hb.cmdsn),
		     NX_INI_TMF_RSP_COMPLETE);
	nx_conf_wait(b, &tb, &r);
	NX_EXPECT_GOOD(&r);
	expect_tur(a, "A after ABORT TASK SET", 0, 0);
	expect_tur(b, "B", 0, 0);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* SAM-5 7.8, RFC 7144: QUERY TASK of a task in the task set is FUNCTION
 * SUCCEEDED (iSCSI response 7); of a task that is not there, FUNCTION
 * COMPLETE (0) - also once the task was aborted. */
static void test_tmf_query_task(void **state)
{
	struct nx_conf_sess *s = s5_login(0);
	struct s5_held h;
	uint8_t rsp;

	hold_write(s, &h);
	rsp = tmf(s, NX_INI_TMF_QUERY_TASK, nx_conf_lun(), h.itt, h.cmdsn);
	skip_if_tmf_unsupported(rsp, "QUERY TASK");
	NX_EXPECT_EQ("QUERY TASK (held task)", rsp, NX_INI_TMF_RSP_SUCCEEDED);
	NX_EXPECT_EQ("QUERY TASK (unknown tag)",
		     tmf(s, NX_INI_TMF_QUERY_TASK, nx_conf_lun(),
			 nx_conf_raw_itt(s), h.cmdsn),
		     NX_INI_TMF_RSP_COMPLETE);
	NX_EXPECT_EQ("ABORT TASK",
		     tmf(s, NX_INI_TMF_ABORT_TASK, nx_conf_lun(), h.itt, h.cmdsn),
		     NX_INI_TMF_RSP_COMPLETE);
	NX_EXPECT_EQ("QUERY TASK (aborted task)",
		     tmf(s, NX_INI_TMF_QUERY_TASK, nx_conf_lun(), h.itt, h.cmdsn),
		     NX_INI_TMF_RSP_COMPLETE);
	nx_conf_logout(s);
}

/* SAM-5 7.9, RFC 7144: QUERY TASK SET: FUNCTION SUCCEEDED (7) when the
 * requesting I_T nexus has a task in the LU's task set; FUNCTION
 * COMPLETE (0) with none - another nexus's tasks do not count. */
static void test_tmf_query_task_set(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct s5_held ha, hb;
	uint8_t rsp;

	rsp = s5_tmf(a, NX_INI_TMF_QUERY_TASK_SET);
	skip_if_tmf_unsupported(rsp, "QUERY TASK SET");
	NX_EXPECT_EQ("QUERY TASK SET (empty)", rsp, NX_INI_TMF_RSP_COMPLETE);
	hold_write(b, &hb);
	NX_EXPECT_EQ("QUERY TASK SET (only B's task)",
		     s5_tmf(a, NX_INI_TMF_QUERY_TASK_SET), NX_INI_TMF_RSP_COMPLETE);
	hold_write(a, &ha);
	NX_EXPECT_EQ("QUERY TASK SET (A's task)",
		     s5_tmf(a, NX_INI_TMF_QUERY_TASK_SET), NX_INI_TMF_RSP_SUCCEEDED);
	NX_EXPECT_EQ("ABORT TASK SET (A)", s5_tmf(a, NX_INI_TMF_ABORT_TASK_SET),
		     NX_INI_TMF_RSP_COMPLETE);
	NX_EXPECT_EQ("ABORT TASK SET (B)", s5_tmf(b, NX_INI_TMF_ABORT_TASK_SET),
		     NX_INI_TMF_RSP_COMPLETE);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* SAM-5 7.10, RFC 7144: QUERY ASYNCHRONOUS EVENT: FUNCTION SUCCEEDED
 * (7) while a unit attention is pending for the I_T_L nexus (the new
 * nexus's 29h), FUNCTION COMPLETE (0) once it was reported. */
static void test_tmf_query_async_event(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t rsp = s5_tmf(s, NX_INI_TMF_QUERY_ASYNC_EVENT);

	skip_if_tmf_unsupported(rsp, "QUERY ASYNCHRONOUS EVENT");
	NX_EXPECT_EQ("QUERY ASYNCHRONOUS EVENT (UA pending)", rsp,
		     NX_INI_TMF_RSP_SUCCEEDED);
	nx_conf_clear_ua(s);
	NX_EXPECT_EQ("QUERY ASYNCHRONOUS EVENT (nothing pending)",
		     s5_tmf(s, NX_INI_TMF_QUERY_ASYNC_EVENT), NX_INI_TMF_RSP_COMPLETE);
	nx_conf_logout(s);
}

/* SAM-5 7.5, 5.6 with SPC-4 7.5.8 (TAS=1): CLEAR TASK SET from B ends
 * A's tasks with TASK ABORTED status (40h) and leaves no unit attention
 * (COMMANDS CLEARED BY ANOTHER INITIATOR is for TAS=0). */
static void test_tmf_clear_task_set_tas1(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct nx_conf_async ta;
	struct nx_conf_result r;
	struct s5_held ha;
	bool was = set_tas(b, true);

	hold_scene(a, &ha, &ta);
	nx_conf_watch(a);
	NX_EXPECT_EQ("CLEAR TASK SET (B)", s5_tmf(b, NX_INI_TMF_CLEAR_TASK_SET),
		     NX_INI_TMF_RSP_COMPLETE);
	nx_conf_wait(a, &ta, &r);
	NX_EXPECT_STATUS(&r, 0x40);
	NX_EXPECT_TRUE("A's held write answered too", nx_conf_saw_itt(a, ha.itt));
	expect_tur(a, "A after CLEAR TASK SET (TAS=1)", 0, 0);
	expect_tur(b, "B", 0, 0);
	tas_restore(a, b, was, true);
}

/* SAM-5 7.5 with TAS=0: A's tasks vanish without a response, and A gets
 * UNIT ATTENTION 2Fh/00h COMMANDS CLEARED BY ANOTHER INITIATOR; B none. */
static void test_tmf_clear_task_set_tas0(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct nx_conf_async ta;
	struct s5_held ha;
	bool was = set_tas(b, false);

	hold_scene(a, &ha, &ta);
	nx_conf_watch(a);
	NX_EXPECT_EQ("CLEAR TASK SET (B)", s5_tmf(b, NX_INI_TMF_CLEAR_TASK_SET),
		     NX_INI_TMF_RSP_COMPLETE);
	nx_conf_poll(500);
	NX_EXPECT_TRUE("no response to A's ORDERED command", !ta.done);
	NX_EXPECT_TRUE("no response to A's held write", !nx_conf_saw_itt(a, ha.itt));
	nx_ini_cancel(nx_conf_ini(a), ta.cmd.itt);
	expect_tur(a, "A after CLEAR TASK SET (TAS=0)", 0x2f, 0x00);
	expect_tur(a, "A again", 0, 0);
	expect_tur(b, "B", 0, 0);
	tas_restore(a, b, was, false);
}

/* SAM-5 7.7, 5.6 (TAS=1): LOGICAL UNIT RESET from B ends A's tasks with
 * TASK ABORTED and leaves 29h/03h for both nexuses. */
static void test_tmf_lu_reset_task_aborted(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct nx_conf_async ta;
	struct nx_conf_result r;
	struct s5_held ha;
	bool was = set_tas(b, true);

	hold_scene(a, &ha, &ta);
	NX_EXPECT_EQ("LOGICAL UNIT RESET (B)",
		     s5_tmf(b, NX_INI_TMF_LOGICAL_UNIT_RESET), NX_INI_TMF_RSP_COMPLETE);
	nx_conf_wait(a, &ta, &r);
	NX_EXPECT_STATUS(&r, 0x40);
	expect_tur(a, "A after LU reset", 0x29, 0x03);
	expect_tur(b, "B after LU reset", 0x29, 0x03);
	tas_restore(a, b, was, true);
}

/* SAM-5 7.6 and 6.3.4 (I_T nexus loss): I_T NEXUS RESET gives UNIT
 * ATTENTION 29h/07h I_T NEXUS LOSS OCCURRED to that I_T nexus only. */
static void test_tmf_i_t_nexus_reset_ua(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct nx_conf_result r;
	uint8_t rsp = tmf(a, NX_INI_TMF_I_T_NEXUS_RESET, nx_conf_lun(),
			  0xffffffff, 0);

	skip_if_tmf_unsupported(rsp, "I_T NEXUS RESET");
	NX_EXPECT_EQ("I_T NEXUS RESET", rsp, NX_INI_TMF_RSP_COMPLETE);
	expect_tur(b, "B (another I_T nexus)", 0, 0);
	nx_conf_scsi(a, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	if (r.err != 0) {
		nx_conf_drop(a);
		nx_conf_logout(b);
		NX_SKIP("the target ended A's session: 29h/07h not observable");
	}
	NX_EXPECT_UA(&r, 0x29, 0x07);
	expect_tur(a, "A again", 0, 0);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* TARGET WARM RESET (RFC 7143 11.5.1: a hard reset, SAM-5 6.3.2): every
 * I_T nexus gets a 29h unit attention.  Judgement call: ASCQ 00h
 * (POWER ON, RESET, OR BUS DEVICE RESET OCCURRED), 02h (SCSI BUS RESET
 * OCCURRED, the hard reset refinement) or 03h (BUS DEVICE RESET FUNCTION
 * OCCURRED) are accepted; never 01h (power on) or 07h (nexus loss). */
static void test_tmf_target_warm_reset_ua(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct nx_conf_sess *both[2] = { a, b };
	struct nx_conf_result r;
	uint8_t rsp = tmf(a, NX_INI_TMF_TARGET_WARM_RESET, 0, 0xffffffff, 0);

	skip_if_tmf_unsupported(rsp, "TARGET WARM RESET");
	NX_EXPECT_EQ("TARGET WARM RESET", rsp, NX_INI_TMF_RSP_COMPLETE);
	for (unsigned i = 0; i < 2; i++) {
		nx_conf_env_reset_notes();
		nx_conf_note("initiator %u", i);
		nx_conf_scsi(both[i], tur, NX_INI_DIR_NONE, NULL, 0, &r);
		NX_EXPECT_STATUS(&r, 0x02);
		NX_EXPECT_EQ("SENSE KEY", r.key, SK_UNIT_ATTENTION);
		NX_EXPECT_EQ("ASC", r.asc, 0x29);
		NX_EXPECT_TRUE("ASCQ 00h, 02h or 03h",
			       r.ascq == 0x00 || r.ascq == 0x02 || r.ascq == 0x03);
	}
	nx_conf_env_reset_notes();
	nx_conf_clear_ua(a);
	nx_conf_clear_ua(b);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* Another LU of the target from REPORT LUNS, or false. */
static bool other_lun(struct nx_conf_sess *s, uint64_t *lun)
{
	uint8_t cdb[12] = { 0xa0 }, d[512];
	struct nx_conf_result r;

	nx_put_be32(cdb + 6, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	for (unsigned off = 8; off + 8 <= NX_MIN(r.data_in_got, sizeof(d)); off += 8) {
		uint64_t v = nx_get_be64(d + off);
		uint64_t l = (v >> 48) & 0x3fff;

		if ((v >> 62) > 1 || l == nx_conf_lun())
			continue;
		*lun = l;
		return true;
	}
	return false;
}

static void tur_lun(struct nx_conf_sess *s, uint64_t lun,
		    struct nx_conf_result *r)
{
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(lun), .cdb = tur,
		.attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_NONE,
	};

	nx_conf_scsi_ex(s, &c, r);
}

/* SAM-5 7.7, 5.14: a LOGICAL UNIT RESET's unit attention is kept per
 * I_T_L nexus: it appears on the reset LU, never on another LU. */
static void test_ua_lu_reset_other_lu_untouched(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	struct nx_conf_result r;
	uint64_t lun = 0;

	if (!other_lun(b, &lun))
		NX_SKIP("the target has a single LU");
	for (unsigned i = 0; i < 16; i++) { /* the other LU's 29h/00h */
		tur_lun(b, lun, &r);
		if (r.status == 0x00)
			break;
	}
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("LOGICAL UNIT RESET",
		     s5_tmf(a, NX_INI_TMF_LOGICAL_UNIT_RESET), NX_INI_TMF_RSP_COMPLETE);
	tur_lun(b, lun, &r);
	NX_EXPECT_GOOD(&r);
	expect_tur(b, "B on the reset LU", 0x29, 0x03);
	nx_conf_clear_ua(a);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* SAM-5 5.14: with several unit attentions pending, the reset class
 * (29h) is reported first: B has MODE PARAMETERS CHANGED (2Ah/01h, from
 * A's MODE SELECT) and then 29h/03h (A's LU reset) pending and sees
 * 29h/03h first.  The older 2Ah/01h may follow or have been discarded
 * (SAM-5 5.14 lets a reset UA replace lower-priority ones). */
static void test_ua_priority_reset_first(void **state)
{
	struct nx_conf_sess *a = s5_login(0), *b = s5_login(1);
	uint8_t cur[MS_MAX];
	struct nx_conf_result r;
	bool was;

	nx_conf_mode_sense(a, 0, 0x0a, 0, cur, MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	was = cur[8 + 5] & 0x40;
	set_tas(a, !was); /* a change: B gets 2Ah/01h pending */
	NX_EXPECT_EQ("LOGICAL UNIT RESET",
		     s5_tmf(a, NX_INI_TMF_LOGICAL_UNIT_RESET), NX_INI_TMF_RSP_COMPLETE);
	expect_tur(b, "B: first UA", 0x29, 0x03);
	nx_conf_scsi(b, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	if (r.status != 0x00)
		NX_EXPECT_UA(&r, 0x2a, 0x01);
	nx_conf_clear_ua(a);
	set_tas(a, was); /* the reset may already have restored it */
	nx_conf_clear_ua(b);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* ---- REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-4 6.36) ------------- */

static void rstmf(struct nx_conf_sess *s, bool repd, uint32_t alloc,
		  uint8_t *d, struct nx_conf_result *r)
{
	uint8_t cdb[12] = { 0xa3, 0x0d, (uint8_t)(repd ? 0x80 : 0x00) };

	nx_put_be32(cdb + 6, alloc);
	nx_conf_scsi(s, cdb, alloc ? NX_INI_DIR_READ : NX_INI_DIR_NONE, d,
		     alloc, r);
}

/* SPC-4 6.36: basic data is 4 bytes (ADDITIONAL DATA LENGTH 00h); with
 * REPD=1 the extended data is 16 (0Ch) and starts with the same bits. */
static void test_rstmf_formats(void **state)
{
	struct nx_conf_sess *s = s5_login(0);
	uint8_t b[16], e[16];
	struct nx_conf_result r;

	rstmf(s, false, sizeof(b), b, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("basic: bytes returned", r.data_in_got, 4);
	NX_EXPECT_EQ("basic: ADDITIONAL DATA LENGTH", b[3], 0x00);
	rstmf(s, true, sizeof(e), e, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("extended: bytes returned", r.data_in_got, 16);
	NX_EXPECT_EQ("extended: ADDITIONAL DATA LENGTH", e[3], 0x0c);
	NX_EXPECT_BYTES(e, b, 2);
	nx_conf_logout(s);
}

/* SPC-4 6.36: ALLOCATION LENGTH below 4: 5/24h/00h. */
static void test_rstmf_alloc_short(void **state)
{
	struct nx_conf_sess *s = s5_login(0);
	uint8_t d[4];
	struct nx_conf_result r;

	rstmf(s, false, 3, d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS");
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_logout(s);
}

/* SPC-4 6.36 against SAM-5 7: each function the data says is supported
 * is carried out (iSCSI response neither 5 "not supported" nor 255
 * "rejected"), each one it denies answers 5 or 255 (RFC 7143 11.6.1). */
static void test_rstmf_matches_functions(void **state)
{
	static const struct {
		uint8_t byte, bit, fn;
		const char *name;
	} map[] = {
		{ 0, 0x80, NX_INI_TMF_ABORT_TASK, "ATS" },
		{ 0, 0x40, NX_INI_TMF_ABORT_TASK_SET, "ATSS" },
		{ 0, 0x20, NX_INI_TMF_CLEAR_ACA, "CACAS" },
		{ 0, 0x10, NX_INI_TMF_CLEAR_TASK_SET, "CTSS" },
		{ 0, 0x08, NX_INI_TMF_LOGICAL_UNIT_RESET, "LURS" },
		{ 0, 0x04, NX_INI_TMF_QUERY_TASK, "QTS" },
		{ 1, 0x04, NX_INI_TMF_QUERY_ASYNC_EVENT, "QAES" },
		{ 1, 0x02, NX_INI_TMF_QUERY_TASK_SET, "QTSS" },
		{ 1, 0x01, NX_INI_TMF_I_T_NEXUS_RESET, "ITNRS" },
	};
	struct nx_conf_sess *s;
	uint8_t d[4];
	struct nx_conf_result r;

	/* The LU's functions (SPC-4 6.36) against what reaches it: SRP
	 * codes only five of them. */
	NX_SKIP_IF_SRP("SRP r16a 6.7 codes 5 of the 9 functions the logical unit reports");
	s = s5_login(0);
	rstmf(s, false, sizeof(d), d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS");
	NX_EXPECT_GOOD(&r);
	for (size_t i = 0; i < NX_ARRAY_SIZE(map); i++) {
		bool claimed = d[map[i].byte] & map[i].bit;
		uint8_t rsp = tmf(s, map[i].fn, nx_conf_lun(),
				  nx_conf_raw_itt(s), 0);
		bool refused = rsp == NX_INI_TMF_RSP_NOT_SUPPORTED ||
			       rsp == NX_INI_TMF_RSP_REJECTED;

		nx_conf_env_reset_notes();
		nx_conf_note("%s=%d, response %u", map[i].name, claimed, rsp);
		NX_EXPECT_EQ("function refused", refused, !claimed);
	}
	nx_conf_env_reset_notes();
	nx_conf_clear_ua(s);
	nx_conf_logout(s);
}

/* RFC 7143 11.5.1, 11.6.1: TASK REASSIGN at ErrorRecoveryLevel 0 (no
 * connection to reassign from) is answered 4 "Task allegiance
 * reassignment not supported" and the session goes on. */
static void test_tmf_task_reassign_erl0(void **state)
{
	struct nx_conf_sess *s = s5_login(0);
	struct nx_conf_result r;

	NX_SKIP_IF_SRP("TASK REASSIGN is iSCSI's (RFC 7143 11.5.1)");
	NX_EXPECT_EQ("TASK REASSIGN",
		     tmf(s, NX_INI_TMF_TASK_REASSIGN, nx_conf_lun(),
			 nx_conf_raw_itt(s), 0),
		     NX_INI_TMF_RSP_REASSIGN_UNSUPPORTED);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* SAM-5 7.4 / RFC 7143 11.6.1: CLEAR ACA to a LUN without an LU is 2
 * "LUN does not exist" (a target without ACA may say 5). */
static void test_tmf_clear_aca_absent_lun(void **state)
{
	struct nx_conf_sess *s = s5_login(0);
	uint8_t rsp = tmf(s, NX_INI_TMF_CLEAR_ACA, 4000, 0xffffffff, 0);

	skip_if_tmf_unsupported(rsp, "CLEAR ACA");
	NX_EXPECT_EQ("CLEAR ACA (absent LUN)", rsp, NX_INI_TMF_RSP_NO_LUN);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sam5", tmf_abort_task_set_own_nexus_only, "SAM-5 7.3",
		     "ABORT TASK SET aborts only the requester's tasks and sets no unit attention"),
	NX_CONF_TEST("sam5", tmf_query_task, "SAM-5 7.8",
		     "QUERY TASK: 7 (succeeded) for a task in the set, 0 (complete) for none or an aborted one"),
	NX_CONF_TEST("sam5", tmf_query_task_set, "SAM-5 7.9",
		     "QUERY TASK SET: 7 with a task of this I_T nexus, 0 otherwise (others' tasks ignored)"),
	NX_CONF_TEST("sam5", tmf_query_async_event, "SAM-5 7.10",
		     "QUERY ASYNCHRONOUS EVENT: 7 with a UA pending, 0 after it was reported"),
	NX_CONF_TEST("sam5", tmf_clear_task_set_tas1, "SAM-5 7.5",
		     "CLEAR TASK SET with TAS=1: another nexus's tasks end TASK ABORTED (40h), no UA"),
	NX_CONF_TEST("sam5", tmf_clear_task_set_tas0, "SAM-5 7.5",
		     "CLEAR TASK SET with TAS=0: other's tasks vanish silently; UA 2Fh/00h for that nexus only"),
	NX_CONF_TEST("sam5", tmf_lu_reset_task_aborted, "SAM-5 7.7",
		     "LOGICAL UNIT RESET with TAS=1: other's tasks TASK ABORTED, 29h/03h for both nexuses"),
	NX_CONF_TEST("sam5", tmf_i_t_nexus_reset_ua, "SAM-5 7.6",
		     "I_T NEXUS RESET: UA 29h/07h on that I_T nexus only"),
	NX_CONF_TEST("sam5", tmf_target_warm_reset_ua, "SAM-5 6.3.2",
		     "TARGET WARM RESET: every I_T nexus gets UA 29h/00h, 02h or 03h"),
	NX_CONF_TEST("sam5", ua_lu_reset_other_lu_untouched, "SAM-5 5.14",
		     "an LU reset's UA appears on that LU only, never on another LU"),
	NX_CONF_TEST("sam5", ua_priority_reset_first, "SAM-5 5.14",
		     "with 2Ah/01h then 29h/03h pending, 29h/03h is reported first"),
	NX_CONF_TEST("sam5", rstmf_formats, "SPC-4 6.36",
		     "RSTMF: basic data 4 bytes (length 00h), REPD=1 16 bytes (0Ch), same bits"),
	NX_CONF_TEST("sam5", rstmf_alloc_short, "SPC-4 6.36",
		     "RSTMF with ALLOCATION LENGTH 3: CHECK CONDITION 5/24h/00h"),
	NX_CONF_TEST("sam5", rstmf_matches_functions, "SPC-4 6.36",
		     "RSTMF bits match the task management functions the target carries out"),
	NX_CONF_TEST("sam5", tmf_task_reassign_erl0, "RFC 7143 11.6.1",
		     "TASK REASSIGN at ERL 0: response 4, the session goes on"),
	NX_CONF_TEST("sam5", tmf_clear_aca_absent_lun, "SAM-5 7.4",
		     "CLEAR ACA to a LUN without an LU: response 2"),
};

NX_CONF_TABLE(nx_conf_table_sam5_tmf, tests);
