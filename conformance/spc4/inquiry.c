/*
 * inquiry.c - INQUIRY (SPC-4 6.6): standard data, allocation length,
 * EVPD/PAGE CODE errors and the VPD page headers (SPC-4 7.8, SBC-3 6.5).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

static void expect_graphic(const char *what, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		NX_EXPECT_TRUE(what, p[i] >= 0x20 && p[i] <= 0x7e);
}

/* SPC-4 6.6.2: PQ 000b + PDT 00h for a connected disk, VERSION 06h
 * (SPC-4), RESPONSE DATA FORMAT 2, ADDITIONAL LENGTH = n - 5 >= 31,
 * printable ASCII identification fields; the iSCSI residual counts the
 * unused allocation length (RFC 7143 11.4.5). */
static void test_inquiry_standard_data(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t d[255];
	struct nx_conf_result r;

	nx_conf_inquiry(s, false, 0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PERIPHERAL QUALIFIER/DEVICE TYPE", d[0], 0x00);
	NX_EXPECT_EQ("VERSION", d[2], 0x06);
	NX_EXPECT_EQ("RESPONSE DATA FORMAT", d[3] & 0x0f, 0x02);
	NX_EXPECT_TRUE("ADDITIONAL LENGTH >= 31", d[4] >= 31);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, d[4] + 5u);
	NX_EXPECT_EQ("underflow flag", r.flags & NX_INI_RSP_UNDERFLOW,
		     NX_INI_RSP_UNDERFLOW);
	NX_EXPECT_EQ("residual", r.residual, sizeof(d) - (d[4] + 5u));
	expect_graphic("T10 VENDOR IDENTIFICATION", d + 8, 8);
	expect_graphic("PRODUCT IDENTIFICATION", d + 16, 16);
	expect_graphic("PRODUCT REVISION LEVEL", d + 32, 4);
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: the allocation length truncates, never changes, the
 * data: the first n bytes are the same and ADDITIONAL LENGTH is intact. */
static void test_inquiry_alloc_len_truncation(void **state)
{
	static const uint16_t lens[] = { 1, 5, 36 };
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t full[255], d[255];
	struct nx_conf_result r;

	nx_conf_inquiry(s, false, 0, sizeof(full), full, &r);
	NX_EXPECT_GOOD(&r);
	for (unsigned i = 0; i < NX_ARRAY_SIZE(lens); i++) {
		nx_conf_inquiry(s, false, 0, lens[i], d, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("bytes returned", r.data_in_got, lens[i]);
		NX_EXPECT_EQ("residual", r.residual, 0);
		NX_EXPECT_BYTES(d, full, lens[i]);
	}
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: allocation length 0 is not an error; no data moves. */
static void test_inquiry_alloc_len_zero(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct nx_conf_result r;
	uint8_t d[1];

	nx_conf_inquiry(s, false, 0, 0, d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 0);
	nx_conf_logout(s);
}

/* SPC-4 6.6.1: EVPD=0 with a non-zero PAGE CODE is an error. */
static void test_inquiry_evpd0_page_code(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	struct nx_conf_result r;
	uint8_t d[255];

	nx_conf_inquiry(s, false, 0x80, sizeof(d), d, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	if (r.sksv)
		NX_EXPECT_EQ("field pointer byte", nx_get_be16(r.sks + 1), 2);
	nx_conf_logout(s);
}

static unsigned supported_pages(struct nx_conf_sess *s, uint8_t *list)
{
	uint8_t d[255];
	struct nx_conf_result r;

	nx_conf_inquiry(s, true, 0x00, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PAGE CODE", d[1], 0x00);
	NX_EXPECT_TRUE("page fits", nx_get_be16(d + 2) + 4u <= r.data_in_got);
	memcpy(list, d + 4, nx_get_be16(d + 2));
	return nx_get_be16(d + 2);
}

static bool listed(const uint8_t *list, unsigned n, uint8_t page)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == page)
			return true;
	return false;
}

/* SPC-4 6.6.1: a VPD page the device server does not implement. */
static void test_inquiry_vpd_unsupported_page(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t list[255], d[255], page = 0;
	unsigned n = supported_pages(s, list);
	struct nx_conf_result r;

	for (unsigned p = 0xff; p >= 0x01 && page == 0; p--)
		if (!listed(list, n, (uint8_t)p))
			page = (uint8_t)p;
	nx_conf_inquiry(s, true, page, sizeof(d), d, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_logout(s);
}

/* SPC-4 7.8 (00h): ascending page codes, 00h first, 80h and 83h listed
 * (83h is mandatory, SPC-4 7.8 Device Identification). */
static void test_vpd_supported_pages(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t list[255];
	unsigned n = supported_pages(s, list);

	NX_EXPECT_TRUE("at least one page", n >= 1);
	NX_EXPECT_EQ("first page", list[0], 0x00);
	for (unsigned i = 1; i < n; i++)
		NX_EXPECT_TRUE("ascending page codes", list[i] > list[i - 1]);
	NX_EXPECT_TRUE("83h listed", listed(list, n, 0x83));
	nx_conf_logout(s);
}

/* Every listed VPD page: byte 0 as in standard INQUIRY, byte 1 = the
 * page code, PAGE LENGTH = bytes returned - 4 (SPC-4 7.8.1). */
static void test_vpd_page_headers(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t list[255], d[1024], std[36];
	unsigned n = supported_pages(s, list);
	struct nx_conf_result r;

	nx_conf_inquiry(s, false, 0, sizeof(std), std, &r);
	NX_EXPECT_GOOD(&r);
	for (unsigned i = 0; i < n; i++) {
		nx_conf_note("page %02xh", list[i]);
		nx_conf_inquiry(s, true, list[i], sizeof(d), d, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_EQ("byte 0 (PQ/PDT)", d[0], std[0]);
		NX_EXPECT_EQ("PAGE CODE", d[1], list[i]);
		NX_EXPECT_EQ("bytes returned", r.data_in_got,
			     nx_get_be16(d + 2) + 4u);
	}
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

/* SPC-4 7.8 (83h): designation descriptors tile the page exactly and at
 * least one is associated with the LU and is an NAA, EUI-64, T10 vendor
 * ID or SCSI name string designator. */
static void test_vpd_device_identification(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t d[1024];
	struct nx_conf_result r;
	unsigned off = 4, end, lu_ids = 0;

	nx_conf_inquiry(s, true, 0x83, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	end = 4u + nx_get_be16(d + 2);
	NX_EXPECT_TRUE("page fits the buffer", end <= sizeof(d));
	while (off + 4 <= end) {
		uint8_t assoc = (d[off + 1] >> 4) & 3, type = d[off + 1] & 0x0f;

		if (assoc == 0 && (type == 1 || type == 2 || type == 3 || type == 8))
			lu_ids++;
		off += 4u + d[off + 3];
	}
	NX_EXPECT_EQ("descriptors end at PAGE LENGTH", off, end);
	NX_EXPECT_TRUE("an LU designator", lu_ids >= 1);
	nx_conf_logout(s);
}

/* SBC-3 6.5.3 (B0h): PAGE LENGTH 003Ch; OPTIMAL TRANSFER LENGTH
 * GRANULARITY <= MAXIMUM TRANSFER LENGTH when both are set. */
static void test_vpd_block_limits(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t list[255], d[64];
	unsigned n = supported_pages(s, list);
	struct nx_conf_result r;

	if (!listed(list, n, 0xb0))
		NX_SKIP("Block Limits VPD page not supported");
	nx_conf_inquiry(s, true, 0xb0, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("PAGE LENGTH", nx_get_be16(d + 2), 0x3c);
	if (nx_get_be32(d + 8) != 0)
		NX_EXPECT_TRUE("granularity <= maximum transfer length",
			       nx_get_be16(d + 6) <= nx_get_be32(d + 8));
	nx_conf_logout(s);
}

/* SPC-4 7.8 (80h): PRODUCT SERIAL NUMBER is printable ASCII. */
static void test_vpd_unit_serial_number(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t list[255], d[255];
	unsigned n = supported_pages(s, list);
	struct nx_conf_result r;

	if (!listed(list, n, 0x80))
		NX_SKIP("Unit Serial Number VPD page not supported");
	nx_conf_inquiry(s, true, 0x80, sizeof(d), d, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_TRUE("fits", nx_get_be16(d + 2) + 4u <= sizeof(d));
	expect_graphic("PRODUCT SERIAL NUMBER", d + 4, nx_get_be16(d + 2));
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", inquiry_standard_data, "SPC-4 6.6.2",
		     "standard INQUIRY data: PQ/PDT, VERSION 06h, format 2, ADDITIONAL LENGTH, ASCII ids, residual"),
	NX_CONF_TEST("spc4", inquiry_alloc_len_truncation, "SPC-4 4.2.5.6",
		     "an allocation length of 1, 5, 36 returns exactly that prefix of the full data"),
	NX_CONF_TEST("spc4", inquiry_alloc_len_zero, "SPC-4 4.2.5.6",
		     "allocation length 0 is not an error and transfers no data"),
	NX_CONF_TEST("spc4", inquiry_evpd0_page_code, "SPC-4 6.6.1",
		     "EVPD=0 with PAGE CODE 80h: CHECK CONDITION ILLEGAL REQUEST 24h/00h"),
	NX_CONF_TEST("spc4", inquiry_vpd_unsupported_page, "SPC-4 6.6.1",
		     "EVPD=1 with an unsupported PAGE CODE: CHECK CONDITION ILLEGAL REQUEST 24h/00h"),
	NX_CONF_TEST("spc4", vpd_supported_pages, "SPC-4 7.8 (00h)",
		     "Supported VPD Pages: ascending codes starting with 00h and listing 83h"),
	NX_CONF_TEST("spc4", vpd_page_headers, "SPC-4 7.8.1",
		     "every listed VPD page returns its PQ/PDT, page code and exact PAGE LENGTH"),
	NX_CONF_TEST("spc4", vpd_device_identification, "SPC-4 7.8 (83h)",
		     "Device Identification descriptors tile the page and include an LU designator"),
	NX_CONF_TEST("spc4", vpd_unit_serial_number, "SPC-4 7.8 (80h)",
		     "Unit Serial Number is printable ASCII"),
	NX_CONF_TEST("spc4", vpd_block_limits, "SBC-3 6.5.3",
		     "Block Limits VPD page has PAGE LENGTH 003Ch"),
};

NX_CONF_TABLE(nx_conf_table_spc4_inquiry, tests);
