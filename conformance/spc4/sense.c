/*
 * sense.c - sense data formats (SPC-4 4.5): fixed (70h, 4.5.3) and
 * descriptor (72h, 4.5.2) with the sense-key specific descriptor
 * (4.5.2.4); the control mode page's D_SENSE (SPC-4 7.5.8) choosing the
 * format of CHECK CONDITION sense data; REQUEST SENSE's DESC bit and
 * allocation length (SPC-4 6.39).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define MS_MAX 512

/* MODE SELECT(10) PF=1 of the page at p (its header included). */
static void select_page(struct nx_conf_sess *s, const uint8_t *p,
			struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x55, 0x10 }, d[MS_MAX];
	unsigned len = 8u + 2u + p[1];

	memset(d, 0, 8);
	memcpy(d + 8, p, len - 8);
	d[8] &= 0x7f; /* PS is reserved in MODE SELECT */
	nx_put_be16(cdb + 7, (uint16_t)len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, d, len, r);
}

/* Sets D_SENSE in the control mode page; SKIPs when it cannot change.
 * Returns the previous value. */
static bool set_d_sense(struct nx_conf_sess *s, bool on)
{
	uint8_t cur[MS_MAX], chg[MS_MAX];
	struct nx_conf_result r;
	bool was;

	nx_conf_mode_sense(s, 1, 0x0a, 0, chg, MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	if (r.status != 0x00 || !(chg[8 + 2] & 0x04))
		NX_SKIP("D_SENSE is not changeable (descriptor sense optional)");
	nx_conf_mode_sense(s, 0, 0x0a, 0, cur, MS_MAX, &r);
	NX_EXPECT_GOOD(&r);
	was = cur[8 + 2] & 0x04;
	cur[8 + 2] = (uint8_t)((cur[8 + 2] & ~0x04) | (on ? 0x04 : 0));
	select_page(s, cur + 8, &r);
	NX_EXPECT_GOOD(&r);
	return was;
}

static void sense_of(struct nx_conf_sess *s, const uint8_t *cdb,
		     struct nx_conf_result *r)
{
	uint8_t d[255];

	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), r);
	NX_EXPECT_STATUS(r, 0x02);
	nx_conf_note_hex("sense", r->sense, r->sense_len);
}

/* SPC-4 7.5.8 (D_SENSE), 4.5.2: with D_SENSE=1 CHECK CONDITION sense
 * data is descriptor format (72h); back to 0, fixed format (70h). */
static void test_sense_d_sense_selects_format(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static const uint8_t bad_op[6] = { 0x02 };
	struct nx_conf_result r;
	bool was = set_d_sense(s, true);

	sense_of(s, bad_op, &r);
	NX_EXPECT_EQ("RESPONSE CODE (D_SENSE=1)", r.sense[0] & 0x7f, 0x72);
	NX_EXPECT_INVALID_OPCODE(&r);
	NX_EXPECT_EQ("sense length = 8 + ADDITIONAL SENSE LENGTH", r.sense_len,
		     8u + r.sense[7]);
	set_d_sense(s, false);
	sense_of(s, bad_op, &r);
	NX_EXPECT_EQ("RESPONSE CODE (D_SENSE=0)", r.sense[0] & 0x7f, 0x70);
	NX_EXPECT_INVALID_OPCODE(&r);
	if (was)
		set_d_sense(s, true);
	nx_conf_logout(s);
}

/* SPC-4 4.5.2.4: in descriptor format the field pointer travels in a
 * sense key specific descriptor (type 02h, ADDITIONAL LENGTH 06h) with
 * the same SKSV/C/D/BPV/FIELD POINTER the fixed format carries at
 * bytes 15-17; descriptors tile ADDITIONAL SENSE LENGTH exactly. */
static void test_sense_descriptor_field_pointer(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static const uint8_t cdb[6] = { 0x12, 0x00, 0x80, 0x00, 0xff, 0x00 };
	struct nx_conf_result fixed, r;
	unsigned off, sks_at = 0;
	bool was;

	sense_of(s, cdb, &fixed);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&fixed);
	was = set_d_sense(s, true);
	sense_of(s, cdb, &r);
	NX_EXPECT_EQ("RESPONSE CODE", r.sense[0] & 0x7f, 0x72);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	for (off = 8; off + 2 <= r.sense_len; off += 2u + r.sense[off + 1])
		if (r.sense[off] == 0x02)
			sks_at = off;
	NX_EXPECT_EQ("descriptors end at ADDITIONAL SENSE LENGTH", off,
		     8u + r.sense[7]);
	if (fixed.sksv) {
		NX_EXPECT_TRUE("sense key specific descriptor present", sks_at != 0);
		NX_EXPECT_EQ("its ADDITIONAL LENGTH", r.sense[sks_at + 1], 0x06);
		NX_EXPECT_BYTES(r.sense + sks_at + 4, fixed.sks, 3);
	}
	if (!was)
		set_d_sense(s, false);
	nx_conf_logout(s);
}

/* SPC-4 4.5.3: fixed format: RESPONSE CODE 70h (current), VALID=0
 * with no INFORMATION, FILEMARK/EOM/ILI zero, ADDITIONAL SENSE LENGTH
 * covering at least the ASC/ASCQ and exactly the bytes sent. */
static void test_sense_fixed_format_layout(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static const uint8_t bad_op[6] = { 0x02 };
	uint8_t cur[MS_MAX];
	struct nx_conf_result r;

	nx_conf_mode_sense(s, 0, 0x0a, 0, cur, MS_MAX, &r);
	if (r.status == 0x00 && (cur[8 + 2] & 0x04))
		NX_SKIP("D_SENSE=1 on this target: fixed format not in use");
	sense_of(s, bad_op, &r);
	NX_EXPECT_INVALID_OPCODE(&r);
	NX_EXPECT_EQ("RESPONSE CODE (current, fixed)", r.sense[0], 0x70);
	NX_EXPECT_EQ("FILEMARK/EOM/ILI", r.sense[2] & 0xe0, 0);
	NX_EXPECT_TRUE("ADDITIONAL SENSE LENGTH >= 6", r.sense[7] >= 6);
	NX_EXPECT_EQ("sense length = 8 + ADDITIONAL SENSE LENGTH", r.sense_len,
		     8u + r.sense[7]);
	nx_conf_logout(s);
}

/* SPC-4 6.39.2: DESC=1 returns a pending UA in descriptor format (72h)
 * with GOOD status and clears it; unsupported DESC is 5/24h/00h. */
static void test_request_sense_desc_unit_attention(void **state)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	uint8_t cdb[6] = { 0x03, 0x01, 0, 0, 252, 0 }, d[252];
	static const uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("descriptor format sense not supported");
	nx_conf_note_hex("REQUEST SENSE", d, NX_MIN(r.data_in_got, 32u));
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("RESPONSE CODE", d[0] & 0x7f, 0x72);
	NX_EXPECT_EQ("SENSE KEY", d[1] & 0x0f, SK_UNIT_ATTENTION);
	NX_EXPECT_EQ("ASC", d[2], 0x29);
	NX_EXPECT_TRUE("ASCQ 00h or 01h", d[3] <= 0x01);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 8u + d[7]);
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* SPC-4 6.39.2: the format of REQUEST SENSE parameter data follows its
 * DESC bit, not D_SENSE: DESC=0 with D_SENSE=1 is fixed format. */
static void test_request_sense_desc_over_d_sense(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[6] = { 0x03, 0x00, 0, 0, 252, 0 }, d[252];
	struct nx_conf_result r;
	bool was = set_d_sense(s, true);

	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("RESPONSE CODE (DESC=0)", d[0] & 0x7f, 0x70);
	NX_EXPECT_EQ("SENSE KEY", d[2] & 0x0f, SK_NO_SENSE);
	if (!was)
		set_d_sense(s, false);
	nx_conf_logout(s);
}

/* SPC-4 6.39.1, 4.2.5.6: REQUEST SENSE with ALLOCATION LENGTH 4 returns
 * exactly 4 bytes of the fixed format data, status GOOD; 0 returns none. */
static void test_request_sense_alloc_truncation(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[6] = { 0x03, 0x00, 0, 0, 4, 0 }, d[18];
	struct nx_conf_result r;

	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, 4, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 4);
	NX_EXPECT_EQ("RESPONSE CODE", d[0] & 0x7f, 0x70);
	NX_EXPECT_EQ("SENSE KEY", d[2] & 0x0f, SK_NO_SENSE);
	NX_EXPECT_EQ("byte 4 untouched", d[4], 0xee);
	cdb[4] = 0;
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned (ALLOCATION LENGTH 0)", r.data_in_got, 0);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", sense_d_sense_selects_format, "SPC-4 7.5.8",
		     "D_SENSE=1: CHECK CONDITION sense is descriptor format 72h; D_SENSE=0: fixed 70h"),
	NX_CONF_TEST("spc4", sense_descriptor_field_pointer, "SPC-4 4.5.2.4",
		     "descriptor sense carries the field pointer in a type 02h descriptor equal to the fixed one"),
	NX_CONF_TEST("spc4", sense_fixed_format_layout, "SPC-4 4.5.3",
		     "fixed sense: 70h, VALID=0, no FILEMARK/EOM/ILI, exact ADDITIONAL SENSE LENGTH"),
	NX_CONF_TEST("spc4", request_sense_desc_unit_attention, "SPC-4 6.39.2",
		     "REQUEST SENSE DESC=1 with a UA pending: GOOD, 72h 6/29h/xx, UA cleared"),
	NX_CONF_TEST("spc4", request_sense_desc_over_d_sense, "SPC-4 6.39.2",
		     "REQUEST SENSE format follows DESC, not D_SENSE: DESC=0 gives 70h"),
	NX_CONF_TEST("spc4", request_sense_alloc_truncation, "SPC-4 6.39.1",
		     "REQUEST SENSE allocation length 4: GOOD, exactly 4 bytes; 0: no data"),
};

NX_CONF_TABLE(nx_conf_table_spc4_sense, tests);
