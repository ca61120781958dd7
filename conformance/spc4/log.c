/*
 * log.c - LOG SENSE (SPC-4 6.8) and the log page format (SPC-4 7.3):
 * Supported Log Pages (00h/00h) and Supported Log Pages and Subpages
 * (00h/FFh) against what the device server answers, page and subpage
 * errors, PARAMETER POINTER, parameter layout and allocation length.
 *
 * LOG SENSE is optional for direct-access devices (SBC-3 table 4): a
 * target without it makes these SKIP.
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define LOG_MAX 4096u

/* LOG SENSE, PC=01b (cumulative values), PPC=0, SP=0. */
static void log_sense(struct nx_conf_sess *s, uint8_t page, uint8_t sub,
		      uint16_t ptr, uint16_t alloc, uint8_t *d,
		      struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x4d, 0x00 };

	cdb[2] = (uint8_t)(0x40 | page);
	cdb[3] = sub;
	nx_put_be16(cdb + 5, ptr);
	nx_put_be16(cdb + 7, alloc);
	memset(d, 0xee, alloc);
	nx_conf_scsi(s, cdb, alloc ? NX_INI_DIR_READ : NX_INI_DIR_NONE, d,
		     alloc, r);
}

/* Supported Log Pages: the page codes; SKIPs without LOG SENSE. */
static unsigned supported(struct nx_conf_sess *s, uint8_t *list)
{
	static uint8_t d[LOG_MAX];
	struct nx_conf_result r;
	unsigned n;

	log_sense(s, 0x00, 0x00, 0, LOG_MAX, d, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "LOG SENSE");
	NX_EXPECT_GOOD(&r);
	n = nx_get_be16(d + 2);
	NX_EXPECT_TRUE("fits", n + 4u <= LOG_MAX && n <= 64);
	memcpy(list, d + 4, NX_MIN(n, 64u));
	return NX_MIN(n, 64u);
}

static bool listed(const uint8_t *list, unsigned n, uint8_t page)
{
	for (unsigned i = 0; i < n; i++)
		if ((list[i] & 0x3f) == page)
			return true;
	return false;
}

/* SPC-4 7.3 (Supported Log Pages): byte 0 = 00h (DS=0, SPF=0, page
 * 00h), SUBPAGE CODE 00h, PAGE LENGTH = bytes returned - 4, ascending
 * page codes starting with 00h. */
static void test_log_supported_pages_format(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[LOG_MAX];
	uint8_t list[64];
	unsigned n = supported(s, list);
	struct nx_conf_result r;

	log_sense(s, 0x00, 0x00, 0, LOG_MAX, d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("byte 0 (SPF=0, PAGE CODE 00h)", d[0] & 0x7f, 0x00);
	NX_EXPECT_EQ("SUBPAGE CODE", d[1], 0x00);
	NX_EXPECT_EQ("bytes returned = PAGE LENGTH + 4", r.data_in_got, n + 4u);
	NX_EXPECT_TRUE("lists 00h first", n >= 1 && list[0] == 0x00);
	for (unsigned i = 1; i < n; i++)
		NX_EXPECT_TRUE("ascending page codes", list[i] > list[i - 1]);
	nx_conf_logout(s);
}

/* SPC-4 6.8: every listed page answers with its own page code and
 * SPF=0; every code 01h-3Fh not listed is 5/24h/00h, field pointer at
 * the PAGE CODE field (byte 2, bit 5). */
static void test_log_pages_match_list(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[LOG_MAX];
	uint8_t list[64];
	unsigned n = supported(s, list);
	struct nx_conf_result r;

	for (uint8_t p = 0x01; p < 0x40; p++) {
		nx_conf_env_reset_notes();
		nx_conf_note("page %02xh", p);
		log_sense(s, p, 0x00, 0, LOG_MAX, d, &r);
		if (listed(list, n, p)) {
			NX_EXPECT_GOOD(&r);
			NX_EXPECT_EQ("PAGE CODE", d[0] & 0x3f, p);
			NX_EXPECT_EQ("SPF", d[0] & 0x40, 0);
			NX_EXPECT_EQ("bytes returned", r.data_in_got,
				     nx_get_be16(d + 2) + 4u);
			continue;
		}
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
		NX_EXPECT_FIELD_POINTER_OPT(&r, true, 2, 5);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 7.3 (Supported Log Pages and Subpages, 00h/FFh): byte 0 = 40h
 * (SPF=1), byte 1 = FFh, (page, subpage) pairs ascending, listing 00h/00h
 * and 00h/FFh; every pair answers.  Optional: 5/24h/00h => SKIP. */
static void test_log_supported_subpages(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[LOG_MAX], pg[LOG_MAX];
	uint8_t list[64];
	struct nx_conf_result r;
	unsigned n, prev = 0;
	bool p00 = false, pff = false;

	supported(s, list);
	log_sense(s, 0x00, 0xff, 0, LOG_MAX, d, &r);
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("subpages not supported");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("byte 0 (SPF=1, PAGE CODE 00h)", d[0] & 0x7f, 0x40);
	NX_EXPECT_EQ("SUBPAGE CODE", d[1], 0xff);
	n = nx_get_be16(d + 2);
	NX_EXPECT_EQ("PAGE LENGTH even", n % 2, 0);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, n + 4u);
	for (unsigned i = 4; i + 2 <= n + 4u && i + 2 <= LOG_MAX; i += 2) {
		unsigned key = (unsigned)(d[i] & 0x3f) << 8 | d[i + 1];

		nx_conf_env_reset_notes();
		nx_conf_note("pair %02xh/%02xh", d[i] & 0x3f, d[i + 1]);
		if (i > 4)
			NX_EXPECT_TRUE("ascending pairs", key > prev);
		prev = key;
		p00 |= key == 0x0000;
		pff |= key == 0x00ff;
		log_sense(s, d[i] & 0x3f, d[i + 1], 0, LOG_MAX, pg, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("PAGE CODE", pg[0] & 0x3f, d[i] & 0x3f);
		NX_EXPECT_EQ("SUBPAGE CODE", pg[1], d[i + 1]);
	}
	nx_conf_env_reset_notes();
	NX_EXPECT_TRUE("00h/00h listed", p00);
	NX_EXPECT_TRUE("00h/FFh listed", pff);
	nx_conf_logout(s);
}

/* SPC-4 6.8: a supported page with a subpage code it does not have is
 * INVALID FIELD IN CDB (field pointer byte 3). */
static void test_log_unsupported_subpage(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[LOG_MAX];
	uint8_t list[64];
	unsigned n = supported(s, list);
	struct nx_conf_result r;
	uint8_t page = n > 1 ? list[1] & 0x3f : 0x00;

	nx_conf_note("page %02xh subpage 7Eh", page);
	log_sense(s, page, 0x7e, 0, LOG_MAX, d, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_FIELD_POINTER_OPT(&r, true, 3, 7);
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* The first listed page other than 00h that has >= 1 parameter. */
static uint8_t page_with_params(struct nx_conf_sess *s, uint8_t *d)
{
	uint8_t list[64];
	unsigned n = supported(s, list);
	struct nx_conf_result r;

	for (unsigned i = 0; i < n; i++) {
		if ((list[i] & 0x3f) == 0)
			continue;
		log_sense(s, list[i] & 0x3f, 0, 0, LOG_MAX, d, &r);
		if (r.status == 0x00 && nx_get_be16(d + 2) >= 4)
			return list[i] & 0x3f;
	}
	NX_SKIP("no log page with parameters");
	return 0;
}

/* SPC-4 7.3.1: log parameters tile PAGE LENGTH exactly and come in
 * ascending PARAMETER CODE order; every listed page is checked. */
static void test_log_parameters_layout(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t d[LOG_MAX];
	uint8_t list[64];
	unsigned n = supported(s, list);
	struct nx_conf_result r;

	for (unsigned i = 0; i < n; i++) {
		uint8_t p = list[i] & 0x3f;
		unsigned off = 4, end, prev = 0;

		if (p == 0)
			continue;
		nx_conf_env_reset_notes();
		nx_conf_note("page %02xh", p);
		log_sense(s, p, 0, 0, LOG_MAX, d, &r);
		NX_EXPECT_GOOD(&r);
		end = 4u + nx_get_be16(d + 2);
		NX_EXPECT_TRUE("fits", end <= LOG_MAX);
		for (; off + 4 <= end; off += 4u + d[off + 3]) {
			unsigned code = nx_get_be16(d + off);

			if (off > 4)
				NX_EXPECT_TRUE("ascending PARAMETER CODE", code > prev);
			prev = code;
		}
		NX_EXPECT_EQ("parameters end at PAGE LENGTH", off, end);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 6.8: PARAMETER POINTER returns the parameters whose code is >=
 * it: pointing at the last parameter returns only that one; past the
 * largest supported code is INVALID FIELD IN CDB (byte 5). */
static void test_log_parameter_pointer(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t full[LOG_MAX], d[LOG_MAX];
	uint8_t page = page_with_params(s, full);
	unsigned end = 4u + nx_get_be16(full + 2), off = 4, last = 4;
	struct nx_conf_result r;
	uint16_t last_code;

	for (; off + 4 <= end; off += 4u + full[off + 3])
		last = off;
	last_code = nx_get_be16(full + last);
	nx_conf_note("page %02xh, last parameter %04xh", page, last_code);
	log_sense(s, page, 0, last_code, LOG_MAX, d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PAGE LENGTH = the last parameter only",
		     nx_get_be16(d + 2), end - last);
	NX_EXPECT_BYTES(d + 4, full + last, end - last);
	if (last_code < 0xffff) {
		log_sense(s, page, 0, (uint16_t)(last_code + 1), LOG_MAX, d, &r);
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
		NX_EXPECT_FIELD_POINTER_OPT(&r, true, 5, 7);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: a log page cut at 4 bytes is its header, PAGE LENGTH
 * intact; cut at 6, the prefix. */
static void test_log_alloc_truncation(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	static uint8_t full[LOG_MAX], d[LOG_MAX];
	uint8_t page = page_with_params(s, full);
	static const uint16_t cuts[] = { 4, 6 };
	struct nx_conf_result r;

	for (unsigned i = 0; i < NX_ARRAY_SIZE(cuts); i++) {
		log_sense(s, page, 0, 0, cuts[i], d, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("bytes returned", r.data_in_got, cuts[i]);
		NX_EXPECT_BYTES(d, full, cuts[i]);
	}
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", log_supported_pages_format, "SPC-4 7.3",
		     "Supported Log Pages: header 00h/00h, exact PAGE LENGTH, ascending codes from 00h"),
	NX_CONF_TEST("spc4", log_pages_match_list, "SPC-4 6.8",
		     "listed log pages answer with their code; unlisted 01h-3Fh: 5/24h/00h at byte 2"),
	NX_CONF_TEST("spc4", log_supported_subpages, "SPC-4 7.3",
		     "Supported Log Pages and Subpages: 40h/FFh header, ascending pairs, each answers"),
	NX_CONF_TEST("spc4", log_unsupported_subpage, "SPC-4 6.8",
		     "a supported page with an unsupported subpage: 5/24h/00h at byte 3"),
	NX_CONF_TEST("spc4", log_parameters_layout, "SPC-4 7.3.1",
		     "log parameters tile PAGE LENGTH in ascending parameter code order"),
	NX_CONF_TEST("spc4", log_parameter_pointer, "SPC-4 6.8",
		     "PARAMETER POINTER selects parameters >= it; past the last: 5/24h/00h at byte 5"),
	NX_CONF_TEST("spc4", log_alloc_truncation, "SPC-4 4.2.5.6",
		     "a log page cut at 4 and 6 bytes is the exact prefix, PAGE LENGTH intact"),
};

NX_CONF_TABLE(nx_conf_table_spc4_log, tests);
