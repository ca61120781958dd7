/*
 * ua.c - unit attention conditions (SAM-5 5.14, 6.3): established for a
 * new I_T nexus and by resets, reported exactly once, per I_T_L nexus,
 * and not cleared by INQUIRY / REPORT LUNS.
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

static const uint8_t tur[6] = { 0x00 };

/* A new I_T nexus reports POWER ON, RESET, OR BUS DEVICE RESET OCCURRED
 * (29h/00h) or its POWER ON OCCURRED refinement (29h/01h). */
static void expect_power_on_ua(const struct nx_conf_result *r)
{
	if (r->status == 0x02 && r->asc == 0x29 && r->ascq == 0x01)
		NX_EXPECT_UA(r, 0x29, 0x01);
	else
		NX_EXPECT_UA(r, 0x29, 0x00);
}

static void test_ua_power_on_after_login(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_conf_result r;

	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	expect_power_on_ua(&r);
	nx_conf_logout(s);
}

static void test_ua_reported_once(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_conf_result r;

	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	expect_power_on_ua(&r);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* REQUEST SENSE returns the UA as parameter data with GOOD status, which
 * clears it; the next REQUEST SENSE reports NO SENSE. */
static void test_ua_request_sense_delivers(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t cdb[6] = { 0x03, 0, 0, 0, 252, 0 }, d[252];
	struct nx_conf_result r;

	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	nx_conf_note_hex("1st REQUEST SENSE", d, NX_MIN(r.data_in_got, 18u));
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("RESPONSE CODE", d[0] & 0x7f, 0x70);
	NX_EXPECT_EQ("SENSE KEY", d[2] & 0x0f, SK_UNIT_ATTENTION);
	NX_EXPECT_EQ("ASC", d[12], 0x29);
	NX_EXPECT_TRUE("ASCQ is 00h or 01h", d[13] <= 0x01);
	NX_EXPECT_TRUE("ADDITIONAL SENSE LENGTH >= 10", d[7] >= 10);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 8u + d[7]);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	nx_conf_note_hex("2nd REQUEST SENSE", d, NX_MIN(r.data_in_got, 18u));
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("RESPONSE CODE", d[0] & 0x7f, 0x70);
	NX_EXPECT_EQ("SENSE KEY", d[2] & 0x0f, SK_NO_SENSE);
	NX_EXPECT_EQ("ASC", d[12], 0x00);
	NX_EXPECT_EQ("ASCQ", d[13], 0x00);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

static void test_ua_inquiry_does_not_clear(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 36, 0 }, d[36];
	struct nx_conf_result r;

	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	expect_power_on_ua(&r);
	nx_conf_logout(s);
}

static void test_ua_report_luns_does_not_clear(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t cdb[12] = { 0xa0 }, d[256];
	struct nx_conf_result r;

	nx_put_be32(cdb + 6, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	expect_power_on_ua(&r);
	nx_conf_logout(s);
}

/* Clearing the UA on one I_T nexus leaves the other's pending. */
static void test_ua_per_nexus(void **state)
{
	struct nx_conf_sess *a = nx_conf_login(0), *b = nx_conf_login(1);
	struct nx_conf_result r;

	nx_conf_clear_ua(a);
	nx_conf_scsi(a, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(b, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	expect_power_on_ua(&r);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

/* LOGICAL UNIT RESET: 29h/03h for every I_T nexus, the requester's too. */
static void test_ua_lu_reset(void **state)
{
	struct nx_conf_sess *a = nx_conf_login(0), *b = nx_conf_login(1);
	struct nx_conf_result r;
	uint8_t rsp = 0xff;

	nx_conf_clear_ua(a);
	nx_conf_clear_ua(b);
	assert_int_equal(nx_conf_tmf(a, NX_INI_TMF_LOGICAL_UNIT_RESET,
				     nx_ini_lun(nx_conf_lun()), NULL, &rsp), 0);
	NX_EXPECT_EQ("TMF response", rsp, NX_INI_TMF_RSP_COMPLETE);
	nx_conf_scsi(b, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_UA(&r, 0x29, 0x03);
	nx_conf_scsi(b, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(a, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_UA(&r, 0x29, 0x03);
	nx_conf_logout(a);
	nx_conf_logout(b);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sam5", ua_power_on_after_login, "SAM-5 6.3.2",
		     "a new I_T nexus gets UNIT ATTENTION 29h/00h (or 29h/01h) on its first command"),
	NX_CONF_TEST("sam5", ua_reported_once, "SAM-5 5.14",
		     "a reported unit attention is cleared: the next command completes GOOD"),
	NX_CONF_TEST("sam5", ua_request_sense_delivers, "SPC-4 6.39",
		     "REQUEST SENSE returns a pending UA as parameter data with GOOD and clears it"),
	NX_CONF_TEST("sam5", ua_inquiry_does_not_clear, "SAM-5 5.14",
		     "INQUIRY completes GOOD with a UA pending and does not clear it"),
	NX_CONF_TEST("sam5", ua_report_luns_does_not_clear, "SAM-5 5.14",
		     "REPORT LUNS completes GOOD with a UA pending and does not clear it"),
	NX_CONF_TEST("sam5", ua_per_nexus, "SAM-5 5.14",
		     "unit attentions are kept per I_T nexus: clearing one leaves another's"),
	NX_CONF_TEST("sam5", ua_lu_reset, "SAM-5 6.3.3",
		     "LOGICAL UNIT RESET establishes UA 29h/03h for every I_T nexus"),
};

NX_CONF_TABLE(nx_conf_table_sam5_ua, tests);
