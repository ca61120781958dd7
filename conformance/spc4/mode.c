/*
 * mode.c - MODE SENSE / MODE SELECT (SPC-4 6.11-6.14, 7.5) and the
 * direct-access block descriptor and pages (SBC-3 6.4).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define MS_MAX 1024

/* MODE SENSE(10) DBD=1 of one page; returns the page's offset (8) and
 * checks the header; SKIPs when the page is not supported. */
static unsigned sense_page(struct nx_conf_sess *s, uint8_t pc, uint8_t page,
			   uint8_t *d, const char *name)
{
	struct nx_conf_result r;

	nx_conf_mode_sense(s, pc, page, 0, d, MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("%s mode page not supported", name);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("MODE DATA LENGTH", nx_get_be16(d), r.data_in_got - 2);
	NX_EXPECT_EQ("BLOCK DESCRIPTOR LENGTH (DBD=1)", nx_get_be16(d + 6), 0);
	NX_EXPECT_EQ("PAGE CODE", d[8] & 0x3f, page);
	return 8;
}

/* MODE SENSE(6) DBD=0: header, then one short LBA block descriptor whose
 * NUMBER OF LOGICAL BLOCKS and LOGICAL BLOCK LENGTH match READ CAPACITY
 * (SBC-3 6.4.2: FFFFFFFFh when the capacity does not fit). */
static void test_mode_sense6_block_descriptor(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[6] = { 0x1a, 0x00, 0x3f, 0, 255, 0 }, d[255];
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;

	nx_conf_capacity(s, &blocks, &bs);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(6)");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("MODE DATA LENGTH", d[0], r.data_in_got - 1);
	NX_EXPECT_EQ("MEDIUM TYPE", d[1], 0x00);
	NX_EXPECT_EQ("BLOCK DESCRIPTOR LENGTH", d[3], 8);
	NX_EXPECT_EQ("NUMBER OF LOGICAL BLOCKS", nx_get_be32(d + 4),
		     blocks > 0xffffffffull ? 0xffffffffull : blocks);
	NX_EXPECT_EQ("reserved (byte 4 of descriptor)", d[8], 0);
	NX_EXPECT_EQ("LOGICAL BLOCK LENGTH", nx_get_be24(d + 9), bs);
	nx_conf_logout(s);
}

/* MODE SENSE(10) page 3Fh: the pages tile the mode data exactly. */
static void test_mode_sense_all_pages(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[MS_MAX];
	struct nx_conf_result r;
	unsigned off, end, pages = 0;

	nx_conf_mode_sense(s, 0, 0x3f, 0, d, MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	end = nx_get_be16(d) + 2u;
	NX_EXPECT_EQ("bytes returned", r.data_in_got, end);
	for (off = 8 + nx_get_be16(d + 6); off + 2 <= end; pages++) {
		bool spf = d[off] & 0x40;

		off += spf ? 4u + nx_get_be16(d + off + 2) : 2u + d[off + 1];
	}
	NX_EXPECT_EQ("pages end at MODE DATA LENGTH", off, end);
	NX_EXPECT_TRUE("at least one page", pages >= 1);
	nx_conf_logout(s);
}

static void test_mode_sense_control_page(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[MS_MAX];
	unsigned p = sense_page(s, 0, 0x0a, d, "Control");

	NX_EXPECT_EQ("SPF", d[p] & 0x40, 0);
	NX_EXPECT_EQ("PAGE LENGTH", d[p + 1], 0x0a);
	nx_conf_logout(s);
}

static void test_mode_sense_caching_page(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[MS_MAX];
	unsigned p = sense_page(s, 0, 0x08, d, "Caching");

	NX_EXPECT_EQ("PAGE LENGTH", d[p + 1], 0x12);
	nx_conf_logout(s);
}

/* PC=01b (changeable values) returns the page with the same length. */
static void test_mode_sense_changeable_values(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t cur[MS_MAX], chg[MS_MAX];
	unsigned p = sense_page(s, 0, 0x0a, cur, "Control");

	sense_page(s, 1, 0x0a, chg, "Control");
	NX_EXPECT_EQ("PAGE LENGTH (changeable)", chg[p + 1], cur[p + 1]);
	NX_EXPECT_EQ("MODE DATA LENGTH (changeable)", nx_get_be16(chg),
		     nx_get_be16(cur));
	nx_conf_logout(s);
}

/* A page code the LU does not support (SPC-4 6.14). */
static void test_mode_sense_unsupported_page(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[MS_MAX];
	bool have[64] = { false };
	struct nx_conf_result r;
	unsigned off, end;
	uint8_t page = 0;

	nx_conf_mode_sense(s, 0, 0x3f, 0, d, MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	end = NX_MIN(nx_get_be16(d) + 2u, (unsigned)MS_MAX);
	for (off = 8 + nx_get_be16(d + 6); off + 2 <= end;) {
		have[d[off] & 0x3f] = true;
		off += (d[off] & 0x40) ? 4u + nx_get_be16(d + off + 2)
				       : 2u + d[off + 1];
	}
	/* 20h-3Eh are device-type / vendor pages: take the first free one
	 * below 20h that no standard lists for SBC (page 0Bh..0Fh). */
	for (uint8_t c = 0x0b; c < 0x10 && page == 0; c++)
		if (!have[c])
			page = c;
	NX_EXPECT_TRUE("an unused page code", page != 0);
	nx_conf_mode_sense(s, 0, page, 0, d, MS_MAX, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_logout(s);
}

/* The first changeable bit of `page`: its byte offset within the page
 * and mask; false if none. */
static bool find_changeable(struct nx_conf_sess *s, uint8_t page,
			    unsigned *at, uint8_t *mask)
{
	static uint8_t chg[MS_MAX];
	struct nx_conf_result r;

	nx_conf_mode_sense(s, 1, page, 0, chg, MS_MAX, &r);
	if (r.status != 0x00)
		return false;
	for (unsigned i = 2; i < 2u + chg[9] && 8 + i < MS_MAX; i++) {
		if (chg[8 + i] != 0) {
			*at = i;
			*mask = (uint8_t)(chg[8 + i] & -chg[8 + i]);
			return true;
		}
	}
	return false;
}

static void mode_select_page(struct nx_conf_sess *s, uint8_t *page,
			     struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x55, 0x10 }, d[MS_MAX];
	unsigned len = 8u + 2u + page[1];

	memset(d, 0, 8);
	memcpy(d + 8, page, len - 8);
	d[8] &= 0x7f; /* PS is reserved in MODE SELECT */
	nx_put_be16(cdb + 7, (uint16_t)len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, d, len, r);
}

/* SPC-4 6.11, 7.5: after a MODE SELECT changes a parameter, every
 * other I_T nexus gets UA MODE PARAMETERS CHANGED (2Ah/01h); the one
 * that changed it does not. */
static void test_mode_select_ua_other_nexus(void **state)
{
	struct nx_conf_sess *a = nx_conf_login_clear(0);
	struct nx_conf_sess *b = nx_conf_login_clear(1);
	static uint8_t cur[MS_MAX];
	uint8_t tur[6] = { 0 }, mask = 0, page = 0x08;
	struct nx_conf_result r;
	unsigned at = 0;

	if (!find_changeable(a, page, &at, &mask)) {
		page = 0x0a;
		if (!find_changeable(a, page, &at, &mask))
			NX_SKIP("no changeable bit in the Caching or Control page");
	}
	nx_conf_note("toggling page %02xh byte %u mask %02xh", page, at, mask);
	sense_page(a, 0, page, cur, "changeable");
	cur[8 + at] ^= mask;
	mode_select_page(a, cur + 8, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SELECT(10)");
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(b, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_UA(&r, 0x2a, 0x01);
	nx_conf_scsi(a, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	cur[8 + at] ^= mask; /* put it back (an external target keeps it) */
	mode_select_page(a, cur + 8, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_env_reset_notes();
	nx_conf_logout(a);
	nx_conf_logout(b);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", mode_sense6_block_descriptor, "SBC-3 6.4.2",
		     "MODE SENSE(6) DBD=0: 8-byte block descriptor with the capacity and block length"),
	NX_CONF_TEST("spc4", mode_sense_all_pages, "SPC-4 6.14",
		     "MODE SENSE(10) page 3Fh: pages tile the mode data exactly"),
	NX_CONF_TEST("spc4", mode_sense_control_page, "SPC-4 7.5.8",
		     "Control mode page 0Ah has PAGE LENGTH 0Ah"),
	NX_CONF_TEST("spc4", mode_sense_caching_page, "SBC-3 6.4.5",
		     "Caching mode page 08h has PAGE LENGTH 12h"),
	NX_CONF_TEST("spc4", mode_sense_changeable_values, "SPC-4 6.14",
		     "PC=01b returns the changeable mask with the page's length"),
	NX_CONF_TEST("spc4", mode_sense_unsupported_page, "SPC-4 6.14",
		     "an unsupported page code: CHECK CONDITION ILLEGAL REQUEST 24h/00h"),
	NX_CONF_TEST("spc4", mode_select_ua_other_nexus, "SPC-4 6.12",
		     "MODE SELECT changing a parameter: UA 2Ah/01h for the other I_T nexuses only"),
};

NX_CONF_TABLE(nx_conf_table_spc4_mode, tests);
