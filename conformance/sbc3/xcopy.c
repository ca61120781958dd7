/*
 * xcopy.c - the copy manager: EXTENDED COPY (LID1) (SPC-4 6.4), RECEIVE
 * COPY RESULTS (SPC-4 6.18), the Third-party Copy VPD page (SPC-4
 * 7.8.17) and the 3PC bit (SPC-4 6.6.2).
 *
 * Parameter lists name the LU under test with an identification
 * descriptor CSCD (E4h) carrying the NAA designator of its Device
 * Identification VPD page, as libiscsi does, and block to block segment
 * descriptors (02h, 0Ah).  Limits come from RECEIVE COPY RESULTS
 * (OPERATING PARAMETERS) so the tests hold for any copy manager; data is
 * verified by reading it back.  EXTENDED COPY is optional: INVALID
 * COMMAND OPERATION CODE skips.
 */
#include "sbc3_util.h"

#define LBA_SRC 4096u
#define LBA_DST 12288u

struct xc_limits {
	uint16_t max_cscd, max_segs;
	uint32_t max_desc_len, max_segment, max_inline;
	bool has_0a;
};

/* RECEIVE COPY RESULTS, service action sa, LIST IDENTIFIER id. */
static void rcr(struct nx_conf_sess *s, uint8_t sa, uint8_t id, uint8_t *d,
		uint32_t len, struct nx_conf_result *r)
{
	uint8_t cdb[16] = { 0x84, sa, id };

	nx_put_be32(cdb + 10, len);
	memset(d, 0, len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, len, r);
}

static void xc_limits(struct nx_conf_sess *s, struct xc_limits *l)
{
	uint8_t d[256];
	struct nx_conf_result r;

	rcr(s, 0x03, 0, d, sizeof(d), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "RECEIVE COPY RESULTS");
	NX_EXPECT_GOOD(&r);
	memset(l, 0, sizeof(*l));
	l->max_cscd = nx_get_be16(d + 8);
	l->max_segs = nx_get_be16(d + 10);
	l->max_desc_len = nx_get_be32(d + 12);
	l->max_segment = nx_get_be32(d + 16);
	l->max_inline = nx_get_be32(d + 20);
	for (unsigned i = 0; i < d[43] && 44 + i < sizeof(d); i++)
		l->has_0a |= d[44 + i] == 0x0a;
}

/* The 24-byte LU-associated NAA designation descriptor of LUN lun. */
static bool naa_of(struct nx_conf_sess *s, uint32_t lun, uint8_t desig[24])
{
	uint8_t d[512], cdb[6] = { 0x12, 0x01, 0x83, 0x02, 0x00, 0x00 };
	struct nx_conf_cmd c = { .lun_field = nx_ini_lun(lun), .cdb = cdb,
				 .dir = NX_INI_DIR_READ, .buf = d,
				 .len = sizeof(d) };
	struct nx_conf_result r;

	memset(d, 0, sizeof(d));
	nx_conf_scsi_ex(s, &c, &r);
	if (r.err != 0 || r.status != 0x00)
		return false;
	uint32_t end = NX_MIN(4u + nx_get_be16(d + 2), (uint32_t)sizeof(d));
	for (uint32_t off = 4; off + 4 <= end; off += 4u + d[off + 3]) {
		if ((d[off + 1] & 0x3f) == 0x03 && d[off + 3] <= 20 &&
		    off + 4u + d[off + 3] <= end) {
			memset(desig, 0, 24);
			memcpy(desig, d + off, 4u + d[off + 3]);
			return true;
		}
	}
	return false;
}

static void put_hdr(uint8_t *p, uint8_t id, uint8_t usage, uint16_t cl,
		    uint32_t sl, uint32_t il)
{
	memset(p, 0, 16);
	p[0] = id;
	p[1] = (uint8_t)(usage << 3);
	nx_put_be16(p + 2, cl);
	nx_put_be32(p + 8, sl);
	nx_put_be32(p + 12, il);
}

static void put_cscd(uint8_t *p, const uint8_t desig[24], uint32_t bs)
{
	memset(p, 0, 32);
	p[0] = 0xe4;
	memcpy(p + 4, desig, 24);
	nx_put_be24(p + 29, bs);
}

static void put_seg02(uint8_t *p, uint16_t sid, uint16_t did, uint16_t n,
		      uint64_t slba, uint64_t dlba)
{
	memset(p, 0, 28);
	p[0] = 0x02;
	nx_put_be16(p + 2, 0x18);
	nx_put_be16(p + 4, sid);
	nx_put_be16(p + 6, did);
	nx_put_be16(p + 10, n);
	nx_put_be64(p + 12, slba);
	nx_put_be64(p + 20, dlba);
}

static void xcopy(struct nx_conf_sess *s, const uint8_t *p, uint32_t len,
		  struct nx_conf_result *r)
{
	uint8_t cdb[16] = { 0x83 };

	nx_put_be32(cdb + 10, len);
	nx_conf_scsi(s, cdb, len ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		     (void *)(uintptr_t)p, len, r);
}

/* Header + one CSCD (the LU under test) + one 02h segment. */
static uint32_t one_seg(struct nx_conf_sess *s, uint8_t *p, uint8_t id,
			uint8_t usage, uint16_t n, uint64_t slba, uint64_t dlba)
{
	uint8_t desig[24];
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	if (!naa_of(s, nx_conf_lun(), desig))
		NX_SKIP("no NAA designator in the Device Identification page");
	put_hdr(p, id, usage, 32, 28, 0);
	put_cscd(p + 16, desig, bs);
	put_seg02(p + 48, 0, 0, n, slba, dlba);
	return 76;
}

/* ---- copies --------------------------------------------------------------- */

static void test_xcopy_copies_blocks(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t p[128];
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	uint8_t *src = sbc_buf(16 * (size_t)bs), *rd = sbc_buf(16 * (size_t)bs);
	nx_conf_pattern(src, 16 * bs, LBA_SRC, 0x31);
	nx_conf_write(s, LBA_SRC, 16, src);
	xcopy(s, p, one_seg(s, p, 1, 2, 16, LBA_SRC, LBA_DST), &r);
	if (nx_conf_unsupported(&r)) {
		free(src);
		free(rd);
	}
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, LBA_DST, 16, rd);
	NX_EXPECT_BYTES(rd, src, 16 * (size_t)bs);
	free(src);
	free(rd);
	nx_conf_logout(s);
}

/* Block to block with offsets (0Ah): the destination bytes around the
 * copied range keep their contents. */
static void test_xcopy_byte_offsets(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	struct xc_limits l;
	uint8_t p[128];
	uint32_t bs;

	xc_limits(s, &l);
	if (!l.has_0a)
		NX_SKIP("segment descriptor 0Ah not implemented");
	nx_conf_capacity(s, NULL, &bs);
	uint8_t *src = sbc_buf(2 * (size_t)bs), *dst = sbc_buf(2 * (size_t)bs);
	uint8_t *rd = sbc_buf(2 * (size_t)bs);
	nx_conf_pattern(src, 2 * bs, LBA_SRC, 0x41);
	nx_conf_pattern(dst, 2 * bs, LBA_DST, 0x42);
	nx_conf_write(s, LBA_SRC, 2, src);
	nx_conf_write(s, LBA_DST, 2, dst);
	one_seg(s, p, 2, 2, 0, 0, 0);
	memset(p + 48, 0, 32);
	nx_put_be32(p + 8, 32);
	p[48] = 0x0a;
	nx_put_be16(p + 50, 0x1c);
	nx_put_be32(p + 56, bs - 7);          /* NUMBER OF BYTES */
	nx_put_be64(p + 60, LBA_SRC);
	nx_put_be64(p + 68, LBA_DST);
	nx_put_be16(p + 76, 3);               /* SOURCE BYTE OFFSET */
	nx_put_be16(p + 78, 100);             /* DESTINATION BYTE OFFSET */
	xcopy(s, p, 80, &r);
	NX_EXPECT_GOOD(&r);
	memcpy(dst + 100, src + 3, bs - 7);
	nx_conf_read(s, LBA_DST, 2, rd);
	NX_EXPECT_BYTES(rd, dst, 2 * (size_t)bs);
	free(src);
	free(dst);
	free(rd);
	nx_conf_logout(s);
}

/* From the LU under test to another LU of the target (its own block
 * size: DC=0 counts source blocks). */
static void test_xcopy_cross_lu(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t p[16 + 64 + 28], d0[24], d1[24], cap[32];
	uint8_t rc16[16] = { 0x9e, 0x10 };
	uint32_t bs0, bs1, other = nx_conf_lun() + 1;

	nx_conf_capacity(s, NULL, &bs0);
	if (!naa_of(s, nx_conf_lun(), d0) || !naa_of(s, other, d1))
		NX_SKIP("no second LU (LUN %u) with an NAA designator", other);
	nx_put_be32(rc16 + 10, sizeof(cap));
	struct nx_conf_cmd c = { .lun_field = nx_ini_lun(other), .cdb = rc16,
				 .dir = NX_INI_DIR_READ, .buf = cap,
				 .len = sizeof(cap) };
	nx_conf_scsi_ex(s, &c, &r);
	if (r.status == 0x02 && r.key == SK_UNIT_ATTENTION)
		nx_conf_scsi_ex(s, &c, &r);
	NX_EXPECT_GOOD(&r);
	bs1 = nx_get_be32(cap + 8);
	uint32_t bytes = NX_MAX(bs0, bs1);
	uint8_t *src = sbc_buf(bytes), *rd = sbc_buf(bytes);
	nx_conf_pattern(src, bytes, LBA_SRC, 0x51);
	nx_conf_write(s, LBA_SRC, bytes / bs0, src);
	put_hdr(p, 3, 2, 64, 28, 0);
	put_cscd(p + 16, d0, bs0);
	put_cscd(p + 48, d1, bs1);
	put_seg02(p + 80, 0, 1, (uint16_t)(bytes / bs0), LBA_SRC, 2);
	xcopy(s, p, sizeof(p), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_GOOD(&r);
	uint8_t rd16[16] = { 0x88 };
	nx_put_be64(rd16 + 2, 2);
	nx_put_be32(rd16 + 10, bytes / bs1);
	struct nx_conf_cmd rc = { .lun_field = nx_ini_lun(other), .cdb = rd16,
				  .dir = NX_INI_DIR_READ, .buf = rd,
				  .len = bytes };
	nx_conf_scsi_ex(s, &rc, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_BYTES(rd, src, bytes);
	free(src);
	free(rd);
	nx_conf_logout(s);
}

static void test_xcopy_param_len_zero(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;

	xcopy(s, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* ---- parameter list errors (ILLEGAL REQUEST) -------------------------------- */

static void test_xcopy_truncated_list(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t p[128];

	xcopy(s, p, one_seg(s, p, 4, 0, 1, LBA_SRC, LBA_DST) - 1, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	nx_conf_logout(s);
}

static void test_xcopy_too_many_cscds(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	struct xc_limits l;
	uint8_t desig[24];
	uint32_t bs;

	xc_limits(s, &l);
	nx_conf_capacity(s, NULL, &bs);
	if (!naa_of(s, nx_conf_lun(), desig))
		NX_SKIP("no NAA designator");
	uint32_t n = l.max_cscd + 1u, len = 16 + n * 32 + 28;
	if (n * 32 + 28 > l.max_desc_len)
		NX_SKIP("MAXIMUM DESCRIPTOR LIST LENGTH too small to exceed the count");
	uint8_t *p = sbc_buf(len);
	put_hdr(p, 5, 0, (uint16_t)(n * 32), 28, 0);
	for (uint32_t i = 0; i < n; i++)
		put_cscd(p + 16 + i * 32, desig, bs);
	put_seg02(p + 16 + n * 32, 0, 0, 1, LBA_SRC, LBA_DST);
	xcopy(s, p, len, &r);
	free(p);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x06);
	nx_conf_logout(s);
}

static void test_xcopy_too_many_segments(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	struct xc_limits l;
	uint8_t head[128];

	xc_limits(s, &l);
	uint32_t n = l.max_segs + 1u, len = 16 + 32 + n * 28;
	if (32 + n * 28 > l.max_desc_len)
		NX_SKIP("MAXIMUM DESCRIPTOR LIST LENGTH too small to exceed the count");
	one_seg(s, head, 6, 0, 1, LBA_SRC, LBA_DST);
	uint8_t *p = sbc_buf(len);
	memcpy(p, head, 48);
	nx_put_be32(p + 8, n * 28);
	for (uint32_t i = 0; i < n; i++)
		put_seg02(p + 48 + i * 28, 0, 0, 1, LBA_SRC, LBA_DST + i);
	xcopy(s, p, len, &r);
	free(p);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x08);
	nx_conf_logout(s);
}

/* Fibre Channel N_Port_Name CSCD (E0h), stream to stream segment (03h). */
static void test_xcopy_unsupported_descriptor_types(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t p[128];

	one_seg(s, p, 7, 0, 1, LBA_SRC, LBA_DST);
	p[16] = 0xe0;
	xcopy(s, p, 76, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x07);
	one_seg(s, p, 7, 0, 1, LBA_SRC, LBA_DST);
	nx_put_be32(p + 8, 20);
	memset(p + 48, 0, 20);
	p[48] = 0x03;
	nx_put_be16(p + 50, 0x10);
	xcopy(s, p, 68, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x09);
	nx_conf_logout(s);
}

/* LIST ID USAGE 01b is reserved: the field pointer names it. */
static void test_xcopy_list_id_usage_reserved(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t p[128];

	xcopy(s, p, one_seg(s, p, 8, 1, 1, LBA_SRC, LBA_DST), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	NX_EXPECT_FIELD_POINTER(&r, false, 1, 4);
	nx_conf_logout(s);
}

static void test_xcopy_inline_data_exceeded(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	struct xc_limits l;
	uint8_t p[128 + 64];

	xc_limits(s, &l);
	if (l.max_inline >= 64)
		NX_SKIP("MAXIMUM INLINE DATA LENGTH %u", l.max_inline);
	one_seg(s, p, 9, 0, 1, LBA_SRC, LBA_DST);
	nx_put_be32(p + 12, 64);
	memset(p + 76, 0, 64);
	xcopy(s, p, 76 + 64, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x0b);
	nx_conf_logout(s);
}

/* ---- segment processing errors (COPY ABORTED) ------------------------------- */

/* DESTINATION CSCD DESCRIPTOR ID beyond the CSCD list: the copy target
 * cannot be reached; nothing is written. */
static void test_xcopy_bad_cscd_index(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t p[128];

	one_seg(s, p, 10, 0, 1, LBA_SRC, LBA_DST);
	nx_put_be16(p + 48 + 6, 1);
	xcopy(s, p, 76, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_SENSE(&r, 0x0a, 0x0d, 0x02);
	nx_conf_logout(s);
}

/* A destination range beyond the capacity: COPY ABORTED; the copy
 * destination's LOGICAL BLOCK ADDRESS OUT OF RANGE is forwarded (fixed
 * format: DESTINATION SENSE DATA OFFSET -> status byte, then its sense);
 * the segment number (0) is in COMMAND-SPECIFIC INFORMATION. */
static void test_xcopy_beyond_capacity(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;
	uint8_t p[128];

	nx_conf_capacity(s, &blocks, NULL);
	xcopy(s, p, one_seg(s, p, 11, 0, 4, LBA_SRC, blocks - 1), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "EXTENDED COPY");
	NX_EXPECT_SENSE(&r, 0x0a, 0x00, 0x00);
	NX_EXPECT_TRUE("fixed format", r.sense[0] == 0x70);
	uint8_t off = r.sense[9];
	NX_EXPECT_EQ("SEGMENT NUMBER", nx_get_be16(r.sense + 10), 0);
	NX_EXPECT_TRUE("DESTINATION SENSE DATA OFFSET", off >= 18 &&
		       off + 14u < r.sense_len);
	NX_EXPECT_EQ("forwarded status", r.sense[off], 0x02);
	NX_EXPECT_EQ("forwarded sense key", r.sense[off + 3] & 0x0f, 0x05);
	NX_EXPECT_EQ("forwarded ASC", r.sense[off + 13], 0x21);
	nx_conf_logout(s);
}

/* ---- RECEIVE COPY RESULTS --------------------------------------------------- */

/* SPC-4 6.18.4: the limits are enforced as reported (the maximum count
 * passes the count checks) and the descriptor types used here are
 * listed. */
static void test_rcr_operating_parameters(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t d[256];

	rcr(s, 0x03, 0, d, sizeof(d), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "RECEIVE COPY RESULTS");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("AVAILABLE DATA", nx_get_be32(d), 40u + d[43]);
	NX_EXPECT_TRUE("MAXIMUM CSCD DESCRIPTOR COUNT >= 1", nx_get_be16(d + 8) >= 1);
	NX_EXPECT_TRUE("MAXIMUM SEGMENT DESCRIPTOR COUNT >= 1",
		       nx_get_be16(d + 10) >= 1);
	NX_EXPECT_TRUE("MAXIMUM DESCRIPTOR LIST LENGTH holds one of each",
		       nx_get_be32(d + 12) >= 32 + 28);
	bool b2b = false, e4 = false;
	for (unsigned i = 0; i < d[43]; i++) {
		b2b |= d[44 + i] == 0x02;
		e4 |= d[44 + i] == 0xe4;
	}
	NX_EXPECT_TRUE("02h implemented", b2b);
	NX_EXPECT_TRUE("E4h implemented", e4);
	nx_conf_logout(s);
}

/* LIST ID USAGE 00b: COPY STATUS reports the finished copy (completed
 * without errors, one segment, the bytes copied); once delivered the
 * held status is gone and the list identifier is unknown again. */
static void test_rcr_copy_status(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t p[128], d[64];
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	rcr(s, 0x00, 12, d, sizeof(d), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "RECEIVE COPY RESULTS");
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	xcopy(s, p, one_seg(s, p, 12, 0, 8, LBA_SRC, LBA_DST), &r);
	NX_EXPECT_GOOD(&r);
	rcr(s, 0x00, 12, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("AVAILABLE DATA", nx_get_be32(d), 8);
	NX_EXPECT_EQ("HDD | COPY MANAGER STATUS", d[4], 0x01);
	NX_EXPECT_EQ("SEGMENTS PROCESSED", nx_get_be16(d + 5), 1);
	NX_EXPECT_EQ("TRANSFER COUNT UNITS", d[7], 0);
	NX_EXPECT_EQ("TRANSFER COUNT", nx_get_be32(d + 8), 8 * bs);
	rcr(s, 0x00, 12, d, sizeof(d), &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_FIELD_POINTER(&r, true, 2, 7);
	nx_conf_logout(s);
}

/* FAILED SEGMENT DETAILS of a copy that ended in COPY ABORTED: the
 * status and the sense data the EXTENDED COPY returned. */
static void test_rcr_failed_segment_details(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r, x;
	uint64_t blocks;
	uint8_t p[128], d[256];

	nx_conf_capacity(s, &blocks, NULL);
	xcopy(s, p, one_seg(s, p, 13, 0, 4, LBA_SRC, blocks - 1), &x);
	NX_SKIP_IF_UNSUPPORTED(&x, "EXTENDED COPY");
	NX_EXPECT_SENSE(&x, 0x0a, 0x00, 0x00);
	rcr(s, 0x04, 13, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("AVAILABLE DATA", nx_get_be32(d), 56u + x.sense_len);
	NX_EXPECT_EQ("COPY COMMAND STATUS", d[56], 0x02);
	NX_EXPECT_EQ("SENSE DATA LENGTH", nx_get_be16(d + 58), x.sense_len);
	NX_EXPECT_BYTES(d + 60, x.sense, x.sense_len);
	nx_conf_logout(s);
}

/* SPC-4 6.6.2 3PC=1 and 7.8.17: the Third-party Copy page is listed in
 * Supported VPD Pages and its Supported Commands descriptor names
 * EXTENDED COPY(LID1) and RECEIVE COPY STATUS(LID1). */
static void test_vpd_third_party_copy(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t inq[96], cdb[6] = { 0x12, 0, 0, 0, 96, 0 }, d[512];
	bool listed = false;

	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, inq, sizeof(inq), &r);
	NX_EXPECT_GOOD(&r);
	if (!(inq[5] & 0x08))
		NX_SKIP("3PC=0: no copy manager");
	sbc_vpd(s, 0x00, d, 255);
	for (unsigned i = 0; i < d[3]; i++)
		listed |= d[4 + i] == 0x8f;
	NX_EXPECT_TRUE("8Fh in Supported VPD Pages", listed);
	NX_EXPECT_TRUE("page 8Fh", sbc_vpd(s, 0x8f, d, sizeof(d)));
	uint32_t end = NX_MIN(4u + nx_get_be16(d + 2), (uint32_t)sizeof(d));
	bool xc = false, cs = false;
	for (uint32_t off = 4; off + 4 <= end; off += 4u + nx_get_be16(d + off + 2)) {
		if (nx_get_be16(d + off) != 0x0001)
			continue;
		for (uint32_t j = off + 5; j + 1 < off + 5 + d[off + 4]; j += 2u + d[j + 1])
			for (unsigned k = 0; k < d[j + 1]; k++) {
				xc |= d[j] == 0x83 && d[j + 2 + k] == 0x00;
				cs |= d[j] == 0x84 && d[j + 2 + k] == 0x00;
			}
	}
	NX_EXPECT_TRUE("EXTENDED COPY(LID1) supported", xc);
	NX_EXPECT_TRUE("RECEIVE COPY STATUS(LID1) supported", cs);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", xcopy_copies_blocks, "SPC-4 6.4.6.5",
		     "EXTENDED COPY block to block (02h) within the LU: the destination reads back the source"),
	NX_CONF_TEST("sbc3", xcopy_byte_offsets, "SPC-4 6.4.6.6",
		     "block to block with offsets (0Ah): copied bytes land at the offset, the rest of the blocks is kept"),
	NX_CONF_TEST("sbc3", xcopy_cross_lu, "SPC-4 6.4.5.6",
		     "EXTENDED COPY to another LU named by its NAA designator (E4h): data arrives there"),
	NX_CONF_TEST("sbc3", xcopy_param_len_zero, "SPC-4 6.4.1",
		     "PARAMETER LIST LENGTH 0: GOOD, nothing copied"),
	NX_CONF_TEST("sbc3", xcopy_truncated_list, "SPC-4 6.4.3",
		     "descriptor lengths beyond PARAMETER LIST LENGTH: 05h/1Ah/00h"),
	NX_CONF_TEST("sbc3", xcopy_too_many_cscds, "SPC-4 6.4.3",
		     "MAXIMUM CSCD DESCRIPTOR COUNT + 1 descriptors: 05h/26h/06h"),
	NX_CONF_TEST("sbc3", xcopy_too_many_segments, "SPC-4 6.4.3",
		     "MAXIMUM SEGMENT DESCRIPTOR COUNT + 1 descriptors: 05h/26h/08h"),
	NX_CONF_TEST("sbc3", xcopy_unsupported_descriptor_types, "SPC-4 6.4.5.1",
		     "unsupported CSCD type 05h/26h/07h, unsupported segment type 05h/26h/09h"),
	NX_CONF_TEST("sbc3", xcopy_list_id_usage_reserved, "SPC-4 6.4.3",
		     "LIST ID USAGE 01b (reserved): 05h/26h/00h, field pointer byte 1 bit 4"),
	NX_CONF_TEST("sbc3", xcopy_inline_data_exceeded, "SPC-4 6.4.3",
		     "INLINE DATA LENGTH above MAXIMUM INLINE DATA LENGTH: 05h/26h/0Bh"),
	NX_CONF_TEST("sbc3", xcopy_bad_cscd_index, "SPC-4 6.4.6.1",
		     "a CSCD DESCRIPTOR ID outside the CSCD list: 0Ah/0Dh/02h COPY TARGET DEVICE NOT REACHABLE"),
	NX_CONF_TEST("sbc3", xcopy_beyond_capacity, "SPC-4 6.4.3",
		     "destination beyond capacity: 0Ah/00h/00h with the destination's 05h/21h/00h forwarded"),
	NX_CONF_TEST("sbc3", rcr_operating_parameters, "SPC-4 6.18.4",
		     "OPERATING PARAMETERS: AVAILABLE DATA, usable limits, 02h and E4h implemented"),
	NX_CONF_TEST("sbc3", rcr_copy_status, "SPC-4 6.18.2",
		     "COPY STATUS of a held list: 01h, 1 segment, bytes copied; unknown list id: 05h/24h/00h"),
	NX_CONF_TEST("sbc3", rcr_failed_segment_details, "SPC-4 6.18.3",
		     "FAILED SEGMENT DETAILS: the failed copy's status and sense data"),
	NX_CONF_TEST("sbc3", vpd_third_party_copy, "SPC-4 7.8.17",
		     "3PC=1: page 8Fh listed, Supported Commands names 83h/00h and 84h/00h"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_xcopy, tests);
