/*
 * defect.c - READ DEFECT DATA (10) and (12) (SBC-3 5.17, 5.18): the defect
 * list header, the requested lists (PLISTV/GLISTV), the format, the
 * allocation length, and a format the device server does not return.
 * nexus media have no defects, so the lists are empty; on another target
 * the tests check the header only.
 */
#include "media_util.h"

/* READ DEFECT DATA (10) or (12) with REQ_PLIST/REQ_GLIST/format `flags`. */
static void rdd(struct nx_conf_sess *s, bool twelve, uint8_t flags,
		uint32_t alloc, uint8_t *d, struct nx_conf_result *r)
{
	uint8_t cdb[12];

	memset(cdb, 0, sizeof(cdb));
	memset(d, 0xa5, alloc);
	if (twelve) {
		cdb[0] = 0xb7;
		cdb[1] = flags;
		nx_put_be32(cdb + 6, alloc);
	} else {
		cdb[0] = 0x37;
		cdb[2] = flags;
		nx_put_be16(cdb + 7, (uint16_t)alloc);
	}
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, alloc, r);
}

/* SBC-3 5.17: the 4-byte header names the lists returned (PLISTV,
 * GLISTV as requested) and the format; DEFECT LIST LENGTH counts the
 * descriptors that follow. */
static void test_read_defect_data10_header(void **state)
{
	static const uint8_t flags[] = { 0x18 | 0x05, 0x10 | 0x03, 0x08, 0x00 };
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t d[64];

	for (size_t i = 0; i < sizeof(flags); i++) {
		rdd(s, false, flags[i], sizeof(d), d, &r);
		NX_SKIP_IF_UNSUPPORTED(&r, "READ DEFECT DATA(10)");
		nx_conf_note("REQ_PLIST/REQ_GLIST/format %02xh", flags[i]);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("PLISTV/GLISTV/FORMAT", d[1] & 0x1f, flags[i]);
		NX_EXPECT_EQ("bytes = 4 + DEFECT LIST LENGTH", r.data_in_got,
			     4u + nx_get_be16(d + 2));
		NX_EXPECT_EQ("DEFECT LIST LENGTH (no defects)", nx_get_be16(d + 2), 0);
		nx_conf_env_reset_notes();
	}
	nx_conf_logout(s);
}

/* SBC-3 5.18: the 12-byte CDB's header is 8 bytes with a 4-byte DEFECT
 * LIST LENGTH. */
static void test_read_defect_data12_header(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t d[64];

	rdd(s, true, 0x18 | 0x03, sizeof(d), d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "READ DEFECT DATA(12)");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PLISTV/GLISTV/FORMAT", d[1] & 0x1f, 0x1b);
	NX_EXPECT_EQ("bytes = 8 + DEFECT LIST LENGTH", r.data_in_got,
		     8u + nx_get_be32(d + 4));
	NX_EXPECT_EQ("DEFECT LIST LENGTH (no defects)", nx_get_be32(d + 4), 0);
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: the allocation length cuts the header short. */
static void test_read_defect_data_allocation_length(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t d[8];

	memset(d, 0xa5, sizeof(d));
	rdd(s, false, 0x18 | 0x05, 2, d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "READ DEFECT DATA(10)");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes", r.data_in_got, 2);
	NX_EXPECT_EQ("byte 1", d[1], 0x1d);
	NX_EXPECT_EQ("untouched byte 2", d[2], 0xa5);
	nx_conf_logout(s);
}

/* SBC-3 5.17: a requested format other than the one returned: the data,
 * then CHECK CONDITION, RECOVERED ERROR, DEFECT LIST NOT FOUND (nexus
 * returns format 110b, vendor specific and undefined here, as the short
 * block format 000b). */
static void test_read_defect_data_other_format(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t d[64];

	rdd(s, false, 0x08 | 0x06, sizeof(d), d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "READ DEFECT DATA(10)");
	if (r.status == 0x00 && (d[1] & 0x07) == 0x06)
		NX_SKIP("the target returns the vendor specific format 110b");
	NX_EXPECT_SENSE(&r, 0x01, 0x1c, 0x00);
	NX_EXPECT_EQ("header returned", r.data_in_got, 4);
	NX_EXPECT_TRUE("FORMAT differs from the requested 110b",
		       (d[1] & 0x07) != 0x06);
	NX_EXPECT_EQ("GLISTV", d[1] & 0x18, 0x08);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", read_defect_data10_header, "SBC-3 5.17",
		     "READ DEFECT DATA(10): PLISTV/GLISTV/format as requested, length = 4 + DEFECT LIST LENGTH"),
	NX_CONF_TEST("sbc3", read_defect_data12_header, "SBC-3 5.18",
		     "READ DEFECT DATA(12): 8-byte header, 4-byte DEFECT LIST LENGTH"),
	NX_CONF_TEST("sbc3", read_defect_data_allocation_length, "SPC-4 4.2.5.6",
		     "READ DEFECT DATA(10) allocation length 2: two bytes of header"),
	NX_CONF_TEST("sbc3", read_defect_data_other_format, "SBC-3 5.17",
		     "format 110b not returned: data, then RECOVERED ERROR 1Ch/00h"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_defect, tests);
