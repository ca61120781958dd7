/*
 * mode2.c - MODE SENSE / MODE SELECT beyond mode.c's basics (SPC-4
 * 6.11-6.14, 7.5; SBC-3 6.4): MODE SENSE(10) block descriptors (LLBAA,
 * DBD), page control (default, saved), subpage selection, allocation
 * length; MODE SELECT parameter list length errors (1Ah/00h), fields
 * that are not changeable (26h/00h with a parameter-list field pointer),
 * PAGE LENGTH errors, SP=1 and the caching page's WCE.
 *
 * Every change is put back: an external target keeps its mode pages.
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define MS_MAX 1024

/* MODE SENSE(10) with every CDB field given. */
static void sense10(struct nx_conf_sess *s, bool llbaa, bool dbd, uint8_t pc,
		    uint8_t page, uint8_t sub, uint16_t alloc, uint8_t *d,
		    struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x5a };

	cdb[1] = (uint8_t)((llbaa ? 0x10 : 0) | (dbd ? 0x08 : 0));
	cdb[2] = (uint8_t)(pc << 6 | page);
	cdb[3] = sub;
	nx_put_be16(cdb + 7, alloc);
	memset(d, 0xee, alloc);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, alloc, r);
}

/* MODE SELECT(10) PF=1 [SP] of the bytes given (header included). */
static void select10(struct nx_conf_sess *s, bool sp, const uint8_t *d,
		     uint16_t len, struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x55, 0x10 };

	cdb[1] |= sp ? 0x01 : 0x00;
	nx_put_be16(cdb + 7, len);
	nx_conf_scsi(s, cdb, len ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		     (void *)d, len, r);
}

/* One page in a MODE SELECT(10) parameter list: 8-byte header (MODE DATA
 * LENGTH reserved: 0), no block descriptor, the page with PS cleared. */
static uint16_t param_list(uint8_t *out, const uint8_t *page)
{
	uint16_t plen = (page[0] & 0x40) ? 4u + nx_get_be16(page + 2)
					 : 2u + page[1];

	memset(out, 0, 8);
	memcpy(out + 8, page, plen);
	out[8] &= 0x7f;
	return (uint16_t)(8 + plen);
}

/* Current (pc 0) or changeable (pc 1) values of a page, DBD=1; SKIPs if
 * MODE SENSE(10) or the page is missing.  The page starts at d + 8. */
static void page_of(struct nx_conf_sess *s, uint8_t pc, uint8_t page,
		    uint8_t *d, const char *name)
{
	struct nx_conf_result r;

	nx_conf_mode_sense(s, pc, page, 0, d, MS_MAX, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("%s mode page not supported", name);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PAGE CODE", d[8] & 0x3f, page);
}

/* SPC-4 6.14, SBC-3 6.4.2: LLBAA=1, DBD=0: a device server that uses it
 * sets LONGLBA and returns one 16-byte descriptor with the 64-bit
 * NUMBER OF LOGICAL BLOCKS and the block length at bytes 12-15.  A
 * server that returns short descriptors instead (allowed) SKIPs. */
static void test_mode_sense10_long_lba_descriptor(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[MS_MAX];
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;

	nx_conf_capacity(s, &blocks, &bs);
	sense10(s, true, false, 0, 0x3f, 0, MS_MAX, d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	if (!(d[4] & 0x01))
		NX_SKIP("LLBAA=1 answered with short descriptors (allowed)");
	NX_EXPECT_EQ("BLOCK DESCRIPTOR LENGTH", nx_get_be16(d + 6), 16);
	NX_EXPECT_EQ("NUMBER OF LOGICAL BLOCKS", nx_get_be64(d + 8), blocks);
	NX_EXPECT_EQ("reserved bytes 8-11", nx_get_be32(d + 16), 0);
	NX_EXPECT_EQ("LOGICAL BLOCK LENGTH", nx_get_be32(d + 20), bs);
	nx_conf_logout(s);
}

/* SPC-4 6.14, SBC-3 6.4.2: LLBAA=0, DBD=0: LONGLBA=0 and one 8-byte
 * short LBA descriptor (capacity, FFFFFFFFh if it does not fit). */
static void test_mode_sense10_short_descriptor(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[MS_MAX];
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;

	nx_conf_capacity(s, &blocks, &bs);
	sense10(s, false, false, 0, 0x3f, 0, MS_MAX, d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("LONGLBA", d[4] & 0x01, 0);
	NX_EXPECT_EQ("BLOCK DESCRIPTOR LENGTH", nx_get_be16(d + 6), 8);
	NX_EXPECT_EQ("NUMBER OF LOGICAL BLOCKS", nx_get_be32(d + 8),
		     blocks > 0xffffffffull ? 0xffffffffull : blocks);
	NX_EXPECT_EQ("LOGICAL BLOCK LENGTH", nx_get_be24(d + 13), bs);
	nx_conf_logout(s);
}

/* SPC-4 6.13, 6.14: DBD=1: BLOCK DESCRIPTOR LENGTH 0 and the first
 * page right after the header, in MODE SENSE(6) and (10). */
static void test_mode_sense_dbd(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb6[6] = { 0x1a, 0x08, 0x0a, 0, 255, 0 }, d[MS_MAX];
	struct nx_conf_result r;

	nx_conf_scsi(s, cdb6, NX_INI_DIR_READ, d, 255, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(6)");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("MODE SENSE(6) BLOCK DESCRIPTOR LENGTH", d[3], 0);
	NX_EXPECT_EQ("MODE SENSE(6) first page", d[4] & 0x3f, 0x0a);
	NX_EXPECT_EQ("MODE SENSE(6) MODE DATA LENGTH", d[0] + 1u, r.data_in_got);
	sense10(s, true, true, 0, 0x0a, 0, MS_MAX, d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("MODE SENSE(10) BLOCK DESCRIPTOR LENGTH", nx_get_be16(d + 6), 0);
	NX_EXPECT_EQ("MODE SENSE(10) LONGLBA without descriptors", d[4] & 0x01, 0);
	NX_EXPECT_EQ("MODE SENSE(10) first page", d[8] & 0x3f, 0x0a);
	nx_conf_logout(s);
}

/* The (page, subpage, length) of every page in 3Fh/FFh data. */
static unsigned page_shapes(const uint8_t *d, unsigned got, uint32_t *out,
			    unsigned cap)
{
	unsigned end = NX_MIN(nx_get_be16(d) + 2u, got), n = 0;

	for (unsigned off = 8 + nx_get_be16(d + 6); off + 2 <= end && n < cap; n++) {
		bool spf = d[off] & 0x40;
		unsigned len = spf ? 4u + nx_get_be16(d + off + 2) : 2u + d[off + 1];

		out[n] = (uint32_t)(d[off] & 0x3f) << 24 |
			 (uint32_t)(spf ? d[off + 1] : 0) << 16 | len;
		off += len;
	}
	return n;
}

/* SPC-4 6.14 (PC field): default values (10b) come as the same pages
 * with the same lengths as the current values; saved values (11b) too,
 * unless saving is not implemented (5/39h/00h, then no page may claim
 * PS=1). */
static void test_mode_sense_default_and_saved(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t cur[MS_MAX], d[MS_MAX];
	uint32_t a[64], b[64];
	struct nx_conf_result r;
	unsigned na, nb;
	bool ps = false;

	sense10(s, false, true, 0, 0x3f, 0xff, MS_MAX, cur, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	na = page_shapes(cur, r.data_in_got, a, 64);
	for (unsigned off = 8; off + 2 <= nx_get_be16(cur) + 2u;
	     off += (cur[off] & 0x40) ? 4u + nx_get_be16(cur + off + 2) : 2u + cur[off + 1])
		ps |= cur[off] & 0x80;
	for (uint8_t pc = 2; pc <= 3; pc++) {
		nx_conf_env_reset_notes();
		nx_conf_note("PC %u", pc);
		sense10(s, false, true, pc, 0x3f, 0xff, MS_MAX, d, &r);
		if (pc == 3 && r.status == 0x02 && !ps) {
			NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x39, 0x00);
			continue;
		}
		NX_EXPECT_GOOD(&r);
		nb = page_shapes(d, r.data_in_got, b, 64);
		NX_EXPECT_EQ("number of pages", nb, na);
		NX_EXPECT_BYTES(b, a, sizeof(a[0]) * NX_MIN(na, nb));
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 6.14 (PAGE CODE / SUBPAGE CODE): 3Fh/00h returns every page in
 * page_0 format only (SPF=0); 3Fh/FFh returns those same pages plus the
 * subpages. */
static void test_mode_sense_all_pages_subpages(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t p0[MS_MAX], all[MS_MAX];
	uint32_t a[64], b[64];
	struct nx_conf_result r;
	unsigned na, nb, k = 0;

	sense10(s, false, true, 0, 0x3f, 0x00, MS_MAX, p0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	na = page_shapes(p0, r.data_in_got, a, 64);
	for (unsigned i = 0; i < na; i++)
		NX_EXPECT_EQ("3Fh/00h: subpage 00h only", (a[i] >> 16) & 0xff, 0);
	sense10(s, false, true, 0, 0x3f, 0xff, MS_MAX, all, &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("subpages not supported");
	NX_EXPECT_GOOD(&r);
	nb = page_shapes(all, r.data_in_got, b, 64);
	for (unsigned i = 0; i < nb && k < na; i++)
		if (b[i] == a[k])
			k++;
	NX_EXPECT_EQ("every 3Fh/00h page also in 3Fh/FFh, in order", k, na);
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: MODE SENSE(10) cut at 8 and 10 bytes is a prefix of
 * the full data; MODE DATA LENGTH still gives the full length. */
static void test_mode_sense_alloc_truncation(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t full[MS_MAX], d[MS_MAX];
	static const uint16_t cuts[] = { 8, 10 };
	struct nx_conf_result r;

	sense10(s, false, false, 0, 0x3f, 0, MS_MAX, full, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SENSE(10)");
	NX_EXPECT_GOOD(&r);
	for (unsigned i = 0; i < NX_ARRAY_SIZE(cuts); i++) {
		sense10(s, false, false, 0, 0x3f, 0, cuts[i], d, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("bytes returned", r.data_in_got, cuts[i]);
		NX_EXPECT_BYTES(d, full, cuts[i]);
	}
	nx_conf_logout(s);
}

/* SPC-4 6.11 (MODE SELECT(6), by reference from 6.12): a parameter list
 * length that truncates the mode parameter header is PARAMETER LIST
 * LENGTH ERROR (1Ah/00h). */
static void test_mode_select_truncated_header(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t d[8] = { 0 };
	struct nx_conf_result r;

	select10(s, false, d, 4, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SELECT(10)");
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	nx_conf_logout(s);
}

/* SPC-4 6.11: a parameter list length that cuts a mode page short is
 * PARAMETER LIST LENGTH ERROR, and nothing changes. */
static void test_mode_select_truncated_page(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t cur[MS_MAX], after[MS_MAX];
	uint8_t list[MS_MAX];
	struct nx_conf_result r;
	uint16_t len;

	page_of(s, 0, 0x0a, cur, "Control");
	len = param_list(list, cur + 8);
	select10(s, false, list, (uint16_t)(len - 4), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SELECT(10)");
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	page_of(s, 0, 0x0a, after, "Control");
	NX_EXPECT_BYTES(after + 8, cur + 8, 2u + cur[9]);
	nx_conf_logout(s);
}

/* First bit of page (at p, current values) that the changeable mask
 * (at m) does not allow, past the 2-byte header; false if none. */
static bool fixed_bit(const uint8_t *p, const uint8_t *m, unsigned *at,
		      int *bit)
{
	for (unsigned i = 2; i < 2u + p[1]; i++) {
		uint8_t fixed = (uint8_t)~m[i];

		if (fixed == 0)
			continue;
		*at = i;
		*bit = 7;
		while (*bit > 0 && !(fixed & (1u << *bit)))
			(*bit)--;
		return true;
	}
	return false;
}

/* SPC-4 6.11: a field the changeable values report as not changeable,
 * sent with another value than the current one: INVALID FIELD IN
 * PARAMETER LIST (26h/00h), field pointer C/D=0 at that byte of the
 * parameter list; the page is left as it was. */
static void test_mode_select_unchangeable_field(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t cur[MS_MAX], chg[MS_MAX], after[MS_MAX];
	uint8_t list[MS_MAX];
	struct nx_conf_result r;
	unsigned at = 0;
	int bit = 0;
	uint16_t len;

	page_of(s, 0, 0x0a, cur, "Control");
	page_of(s, 1, 0x0a, chg, "Control");
	if (!fixed_bit(cur + 8, chg + 8, &at, &bit))
		NX_SKIP("every bit of the control page is changeable");
	nx_conf_note("flipping byte %u bit %d of the control page", at, bit);
	len = param_list(list, cur + 8);
	list[8 + at] ^= (uint8_t)(1u << bit);
	select10(s, false, list, len, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SELECT(10)");
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	NX_EXPECT_FIELD_POINTER_OPT(&r, false, (uint16_t)(8 + at), bit);
	page_of(s, 0, 0x0a, after, "Control");
	NX_EXPECT_BYTES(after + 8, cur + 8, 2u + cur[9]);
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 7.5 (mode page format): a PAGE LENGTH other than the one the
 * device server reports for the page is INVALID FIELD IN PARAMETER LIST
 * (26h/00h), field pointer C/D=0 at the PAGE LENGTH byte. */
static void test_mode_select_wrong_page_length(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t cur[MS_MAX];
	uint8_t list[MS_MAX];
	struct nx_conf_result r;
	uint16_t len;

	page_of(s, 0, 0x0a, cur, "Control");
	len = param_list(list, cur + 8);
	list[9] = (uint8_t)(list[9] - 2);
	select10(s, false, list, (uint16_t)(len - 2), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SELECT(10)");
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	NX_EXPECT_FIELD_POINTER_OPT(&r, false, 9, 7);
	nx_conf_logout(s);
}

/* The first changeable bit of a page (offset, mask); false if none. */
static bool changeable_bit(const uint8_t *m, unsigned *at, uint8_t *mask)
{
	for (unsigned i = 2; i < 2u + m[1]; i++) {
		if (m[i] != 0) {
			*at = i;
			*mask = (uint8_t)(m[i] & -m[i]);
			return true;
		}
	}
	return false;
}

/* SPC-4 6.12 (SP bit), 6.14 (PC=11b): MODE SELECT with SP=1 saves the
 * page: the saved values read back the change, as do the current ones.
 * A device server without saved pages answers 5/39h/00h (SKIP). */
static void test_mode_select_save_pages(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t cur[MS_MAX], chg[MS_MAX], saved[MS_MAX], d[MS_MAX];
	uint8_t list[MS_MAX], mask = 0, page = 0x0a;
	struct nx_conf_result r;
	unsigned at = 0;
	uint16_t len;

	page_of(s, 1, page, chg, "Control");
	if (!changeable_bit(chg + 8, &at, &mask)) {
		page = 0x08;
		page_of(s, 1, page, chg, "Caching");
		if (!changeable_bit(chg + 8, &at, &mask))
			NX_SKIP("no changeable bit in the Control or Caching page");
	}
	page_of(s, 0, page, cur, "changeable");
	nx_conf_mode_sense(s, 3, page, 0, saved, MS_MAX, &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x39)
		NX_SKIP("saved pages not supported");
	NX_EXPECT_GOOD(&r);
	nx_conf_note("page %02xh byte %u mask %02xh", page, at, mask);
	len = param_list(list, saved + 8);
	list[8 + at] ^= mask;
	select10(s, true, list, len, &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x39)
		NX_SKIP("saving parameters not supported");
	NX_EXPECT_GOOD(&r);
	nx_conf_mode_sense(s, 3, page, 0, d, MS_MAX, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("saved value changed", d[8 + at] & mask, list[8 + at] & mask);
	nx_conf_mode_sense(s, 0, page, 0, d, MS_MAX, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("current value changed", d[8 + at] & mask, list[8 + at] & mask);
	/* put both back */
	len = param_list(list, saved + 8);
	select10(s, true, list, len, &r);
	NX_EXPECT_GOOD(&r);
	len = param_list(list, cur + 8);
	select10(s, false, list, len, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SBC-3 6.4.5 (caching page WCE) with SPC-4 6.11: if WCE is changeable,
 * flipping it reads back flipped (then it is put back); if it is not,
 * sending the other value is 26h/00h at byte 2 bit 2 of the page. */
static void test_mode_caching_wce(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t cur[MS_MAX], chg[MS_MAX], d[MS_MAX];
	uint8_t list[MS_MAX];
	struct nx_conf_result r;
	uint16_t len;

	page_of(s, 0, 0x08, cur, "Caching");
	page_of(s, 1, 0x08, chg, "Caching");
	len = param_list(list, cur + 8);
	list[8 + 2] ^= 0x04;
	select10(s, false, list, len, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "MODE SELECT(10)");
	if (!(chg[8 + 2] & 0x04)) {
		nx_conf_note("WCE not changeable");
		NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
		NX_EXPECT_FIELD_POINTER_OPT(&r, false, 8 + 2, 2);
		nx_conf_logout(s);
		return;
	}
	NX_EXPECT_GOOD(&r);
	nx_conf_mode_sense(s, 0, 0x08, 0, d, MS_MAX, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("WCE after MODE SELECT", d[8 + 2] & 0x04, list[8 + 2] & 0x04);
	len = param_list(list, cur + 8);
	select10(s, false, list, len, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_mode_sense(s, 0, 0x08, 0, d, MS_MAX, &r);
	NX_EXPECT_EQ("WCE restored", d[8 + 2] & 0x04, cur[8 + 2] & 0x04);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", mode_sense10_long_lba_descriptor, "SBC-3 6.4.2",
		     "MODE SENSE(10) LLBAA=1: LONGLBA, 16-byte descriptor with 64-bit block count"),
	NX_CONF_TEST("spc4", mode_sense10_short_descriptor, "SBC-3 6.4.2",
		     "MODE SENSE(10) LLBAA=0: LONGLBA=0, 8-byte descriptor with capacity and block length"),
	NX_CONF_TEST("spc4", mode_sense_dbd, "SPC-4 6.14",
		     "DBD=1: BLOCK DESCRIPTOR LENGTH 0, the page right after the header (6 and 10)"),
	NX_CONF_TEST("spc4", mode_sense_default_and_saved, "SPC-4 6.14",
		     "PC=10b/11b return the same pages and lengths as PC=00b (11b: or 5/39h/00h without PS)"),
	NX_CONF_TEST("spc4", mode_sense_all_pages_subpages, "SPC-4 6.14",
		     "3Fh/00h returns only page_0 pages; 3Fh/FFh returns them plus subpages"),
	NX_CONF_TEST("spc4", mode_sense_alloc_truncation, "SPC-4 4.2.5.6",
		     "MODE SENSE(10) cut at 8 and 10 bytes is the exact prefix"),
	NX_CONF_TEST("spc4", mode_select_truncated_header, "SPC-4 6.11",
		     "MODE SELECT(10) list shorter than its header: 5/1Ah/00h"),
	NX_CONF_TEST("spc4", mode_select_truncated_page, "SPC-4 6.11",
		     "MODE SELECT(10) list cutting a page short: 5/1Ah/00h, nothing changed"),
	NX_CONF_TEST("spc4", mode_select_unchangeable_field, "SPC-4 6.11",
		     "changing a non-changeable bit: 5/26h/00h, C/D=0 pointer at it, page unchanged"),
	NX_CONF_TEST("spc4", mode_select_wrong_page_length, "SPC-4 7.5",
		     "a wrong PAGE LENGTH: 5/26h/00h, C/D=0 pointer at the PAGE LENGTH byte"),
	NX_CONF_TEST("spc4", mode_select_save_pages, "SPC-4 6.12",
		     "MODE SELECT SP=1: saved and current values read back the change"),
	NX_CONF_TEST("spc4", mode_caching_wce, "SBC-3 6.4.5",
		     "caching page WCE round trip, or 5/26h/00h at its bit when not changeable"),
};

NX_CONF_TABLE(nx_conf_table_spc4_mode2, tests);
