/*
 * luns.c - REPORT LUNS (SPC-4 6.33), the REPORT LUNS well known logical
 * unit (SPC-4 8.2) and commands to a LUN with no logical unit (SPC-4
 * 6.6.2, SAM-5 5.10: LOGICAL UNIT NOT SUPPORTED).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define WLUN_REPORT_LUNS 0xc101000000000000ull
#define LIST_MAX 4096

static void report_luns(struct nx_conf_sess *s, uint8_t select,
			uint32_t alloc, uint8_t *d, struct nx_conf_result *r)
{
	uint8_t cdb[12] = { 0xa0, 0, select };

	nx_put_be32(cdb + 6, alloc);
	memset(d, 0xee, alloc);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, alloc, r);
}

static bool list_has(const uint8_t *d, uint32_t len, uint64_t lun)
{
	for (uint32_t off = 8; off + 8 <= len; off += 8)
		if (nx_get_be64(d + off) == lun)
			return true;
	return false;
}

/* SELECT REPORT 00h: LUN LIST LENGTH a multiple of 8 that covers what
 * was returned, reserved bytes 4-7 zero, the LU under test listed. */
static void test_report_luns_basic(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	static uint8_t d[LIST_MAX];
	struct nx_conf_result r;
	uint32_t len;

	report_luns(s, 0x00, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	len = nx_get_be32(d);
	NX_EXPECT_EQ("LUN LIST LENGTH % 8", len % 8, 0);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, len + 8);
	NX_EXPECT_EQ("reserved bytes 4..7", nx_get_be32(d + 4), 0);
	NX_EXPECT_TRUE("LU under test listed",
		       list_has(d, len + 8, nx_ini_lun(nx_conf_lun())));
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6 / 6.33: with allocation length 16 the LUN LIST LENGTH
 * still describes the whole list. */
static void test_report_luns_truncation(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	static uint8_t full[LIST_MAX];
	uint8_t d[16];
	struct nx_conf_result r;

	report_luns(s, 0x02, sizeof(full), full, &r);
	NX_EXPECT_GOOD(&r);
	report_luns(s, 0x02, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 16);
	NX_EXPECT_BYTES(d, full, 16);
	nx_conf_logout(s);
}

/* SELECT REPORT 01h: well known LUs only (address method 11b, C1h). */
static void test_report_luns_select_well_known(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	static uint8_t d[LIST_MAX];
	struct nx_conf_result r;
	uint32_t len;

	report_luns(s, 0x01, sizeof(d), d, &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("SELECT REPORT 01h (well known LUs) not supported");
	NX_EXPECT_GOOD(&r);
	len = nx_get_be32(d);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, len + 8);
	for (uint32_t off = 8; off < len + 8; off += 8)
		NX_EXPECT_EQ("well known LUN byte 0", d[off], 0xc1);
	nx_conf_logout(s);
}

/* SELECT REPORT values above 02h are reserved (SPC-4 6.33), and a
 * reserved code value in a defined field shall be reported as an error
 * (SPC-4 3.5, keyword "reserved"), unlike reserved bits. */
static void test_report_luns_select_reserved(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t d[256];
	struct nx_conf_result r;

	report_luns(s, 0x05, sizeof(d), d, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_logout(s);
}

/* SPC-4 8.2: INQUIRY to the REPORT LUNS W-LUN answers PDT 1Eh, and
 * REPORT LUNS addressed to it lists the LU under test. */
static void test_report_luns_wlun(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, d[36];
	uint8_t rl[12] = { 0xa0 };
	static uint8_t list[LIST_MAX];
	struct nx_conf_cmd c = {
		.lun_field = WLUN_REPORT_LUNS, .cdb = inq,
		.attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_READ,
		.buf = d, .len = sizeof(d),
	};
	struct nx_conf_result r;

	nx_conf_scsi_ex(s, &c, &r);
	NX_EXPECT_GOOD(&r);
	/* Well known LUs are optional: PQ 011b/PDT 1Fh = not implemented. */
	if (d[0] == 0x7f)
		NX_SKIP("REPORT LUNS well known logical unit not supported");
	NX_EXPECT_EQ("PERIPHERAL QUALIFIER/DEVICE TYPE", d[0], 0x1e);
	nx_put_be32(rl + 6, sizeof(list));
	c.cdb = rl;
	c.buf = list;
	c.len = sizeof(list);
	nx_conf_scsi_ex(s, &c, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_TRUE("LU under test listed",
		       list_has(list, nx_get_be32(list) + 8,
				nx_ini_lun(nx_conf_lun())));
	nx_conf_logout(s);
}

/* A LUN absent from REPORT LUNS, for the absent-LU tests. */
static uint32_t absent_lun(struct nx_conf_sess *s)
{
	static uint8_t d[LIST_MAX];
	struct nx_conf_result r;

	report_luns(s, 0x00, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	for (uint32_t lun = 200; lun < 256; lun++)
		if (!list_has(d, nx_get_be32(d) + 8, nx_ini_lun(lun)))
			return lun;
	fail_msg("no free LUN between 200 and 255");
	return 0;
}

/* SPC-4 6.6.2: INQUIRY to a LUN with no LU returns PQ 011b, PDT 1Fh. */
static void test_inquiry_absent_lun(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, d[36];
	struct nx_conf_cmd c = {
		.cdb = inq, .attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_READ,
		.buf = d, .len = sizeof(d),
	};
	struct nx_conf_result r;

	c.lun_field = nx_ini_lun(absent_lun(s));
	nx_conf_scsi_ex(s, &c, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PERIPHERAL QUALIFIER/DEVICE TYPE", d[0], 0x7f);
	nx_conf_logout(s);
}

/* Any other command to a LUN with no LU: ILLEGAL REQUEST, LOGICAL UNIT
 * NOT SUPPORTED (SAM-5 5.10, incorrect logical unit selection). */
static void test_tur_absent_lun(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t tur[6] = { 0 };
	struct nx_conf_cmd c = {
		.cdb = tur, .attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_NONE,
	};
	struct nx_conf_result r;

	c.lun_field = nx_ini_lun(absent_lun(s));
	nx_conf_scsi_ex(s, &c, &r);
	NX_EXPECT_LU_NOT_SUPPORTED(&r);
	nx_conf_logout(s);
}

/* REQUEST SENSE to a LUN with no LU: GOOD, sense data LOGICAL UNIT NOT
 * SUPPORTED (SPC-4 6.39.1). */
static void test_request_sense_absent_lun(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t cdb[6] = { 0x03, 0, 0, 0, 18, 0 }, d[18];
	struct nx_conf_cmd c = {
		.cdb = cdb, .attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_READ,
		.buf = d, .len = sizeof(d),
	};
	struct nx_conf_result r;

	c.lun_field = nx_ini_lun(absent_lun(s));
	nx_conf_scsi_ex(s, &c, &r);
	nx_conf_note_hex("REQUEST SENSE data", d, r.data_in_got);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("RESPONSE CODE", d[0] & 0x7f, 0x70);
	NX_EXPECT_EQ("SENSE KEY", d[2] & 0x0f, SK_ILLEGAL_REQUEST);
	NX_EXPECT_EQ("ASC", d[12], 0x25);
	NX_EXPECT_EQ("ASCQ", d[13], 0x00);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", report_luns_basic, "SPC-4 6.33",
		     "REPORT LUNS: LUN LIST LENGTH multiple of 8, reserved bytes zero, LU under test listed"),
	NX_CONF_TEST("spc4", report_luns_truncation, "SPC-4 6.33",
		     "allocation length 16 returns the first 16 bytes of the full list unchanged"),
	NX_CONF_TEST("spc4", report_luns_select_well_known, "SPC-4 6.33",
		     "SELECT REPORT 01h lists well known LUs only"),
	NX_CONF_TEST("spc4", report_luns_select_reserved, "SPC-4 6.33",
		     "SELECT REPORT 05h (reserved): CHECK CONDITION ILLEGAL REQUEST 24h/00h"),
	NX_CONF_TEST("spc4", report_luns_wlun, "SPC-4 8.2",
		     "the REPORT LUNS W-LUN answers INQUIRY with PDT 1Eh and REPORT LUNS with the list"),
	NX_CONF_TEST("spc4", inquiry_absent_lun, "SPC-4 6.6.2",
		     "INQUIRY to a LUN without an LU: GOOD, PQ 011b, PDT 1Fh"),
	NX_CONF_TEST("spc4", tur_absent_lun, "SAM-5 5.10",
		     "TEST UNIT READY to a LUN without an LU: CHECK CONDITION ILLEGAL REQUEST 25h/00h"),
	NX_CONF_TEST("spc4", request_sense_absent_lun, "SPC-4 6.39.1",
		     "REQUEST SENSE to a LUN without an LU: GOOD with sense ILLEGAL REQUEST 25h/00h"),
};

NX_CONF_TABLE(nx_conf_table_spc4_luns, tests);
