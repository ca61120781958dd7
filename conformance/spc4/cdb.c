/*
 * cdb.c - CDB handling every command shares: unsupported operation codes
 * (SPC-4 4.2.5.1), reserved fields (SPC-4 4.4.1), TEST UNIT
 * READY (SPC-4 6.47) and REQUEST SENSE without a pending condition
 * (SPC-4 6.39).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

/* Operation codes no direct-access device defines (02h, 1Fh). */
static void test_invalid_opcode(void **state)
{
	static const uint8_t ops[] = { 0x02, 0x1f };
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct nx_conf_result r;

	for (unsigned i = 0; i < NX_ARRAY_SIZE(ops); i++) {
		uint8_t cdb[16] = { ops[i] };

		nx_conf_note("opcode %02xh", ops[i]);
		nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
		NX_EXPECT_INVALID_OPCODE(&r);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

static void test_tur_good(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("sense length", r.sense_len, 0);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 0);
	nx_conf_logout(s);
}

/* A device server need not check reserved fields; one that does answers
 * INVALID FIELD IN CDB and, with a field pointer, names the byte. */
static void test_cdb_reserved_field(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t tur[6] = { 0, 0, 0xff, 0, 0, 0 };
	struct nx_conf_result r;

	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	if (r.status == 0x00)
		NX_SKIP("reserved CDB fields are not checked (allowed)");
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	if (r.sksv)
		NX_EXPECT_EQ("field pointer byte", nx_get_be16(r.sks + 1), 2);
	nx_conf_logout(s);
}

/* REQUEST SENSE with nothing to report: GOOD, fixed format (DESC=0),
 * NO SENSE 00h/00h (SPC-4 6.39.2). */
static void test_request_sense_no_sense(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[6] = { 0x03, 0, 0, 0, 18, 0 }, d[18];
	struct nx_conf_result r;

	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("RESPONSE CODE", d[0] & 0x7f, 0x70);
	NX_EXPECT_EQ("SENSE KEY", d[2] & 0x0f, SK_NO_SENSE);
	NX_EXPECT_EQ("ASC", d[12], 0x00);
	NX_EXPECT_EQ("ASCQ", d[13], 0x00);
	nx_conf_logout(s);
}

/* DESC=1: descriptor format (72h) when supported; a device server that
 * does not support it answers INVALID FIELD IN CDB (SPC-4 6.39.2). */
static void test_request_sense_descriptor(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[6] = { 0x03, 0x01, 0, 0, 8, 0 }, d[8];
	struct nx_conf_result r;

	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("descriptor format sense not supported");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("RESPONSE CODE", d[0] & 0x7f, 0x72);
	NX_EXPECT_EQ("SENSE KEY", d[1] & 0x0f, SK_NO_SENSE);
	NX_EXPECT_EQ("ASC", d[2], 0x00);
	NX_EXPECT_EQ("ASCQ", d[3], 0x00);
	NX_EXPECT_EQ("ADDITIONAL SENSE LENGTH", d[7], 0);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", invalid_opcode, "SPC-4 4.2.5.1",
		     "an unsupported operation code: CHECK CONDITION ILLEGAL REQUEST 20h/00h"),
	NX_CONF_TEST("spc4", tur_good, "SPC-4 6.47",
		     "TEST UNIT READY on a ready LU: GOOD, no sense, no data"),
	NX_CONF_TEST("spc4", cdb_reserved_field, "SPC-4 4.4.1",
		     "a checked reserved CDB field: CHECK CONDITION ILLEGAL REQUEST 24h/00h"),
	NX_CONF_TEST("spc4", request_sense_no_sense, "SPC-4 6.39.2",
		     "REQUEST SENSE with nothing pending: GOOD, fixed format, NO SENSE 00h/00h"),
	NX_CONF_TEST("spc4", request_sense_descriptor, "SPC-4 6.39.2",
		     "REQUEST SENSE DESC=1: descriptor format (72h) NO SENSE"),
};

NX_CONF_TABLE(nx_conf_table_spc4_cdb, tests);
