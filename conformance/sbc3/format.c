/*
 * format.c - FORMAT UNIT (SBC-3 5.3; SBC-4 5.4): its REPORT SUPPORTED
 * OPERATION CODES entry, the medium after a format (every LBA reads
 * zeros), IMMED and LOGICAL UNIT NOT READY, FORMAT IN PROGRESS with a
 * progress indication, CDB and parameter list header checks, write
 * protection and reservations.
 *
 * FORMAT UNIT destroys the LU's data: on a shared (tcp) target these
 * tests only run on the LU under test, like the SANITIZE ones.  A target
 * without FORMAT UNIT (INVALID COMMAND OPERATION CODE) skips.
 */
#include "media_util.h"

#define FU_LONGLIST 0x20
#define FU_FMTDATA 0x10
#define HDR_FOV 0x80
#define HDR_IP 0x08
#define HDR_IMMED 0x02

/* FORMAT UNIT with byte 1 = b1 and the parameter list p (plen bytes). */
static void format_unit(struct nx_conf_sess *s, uint32_t lun, uint8_t b1,
			const uint8_t *p, uint32_t plen,
			struct nx_conf_result *r)
{
	uint8_t cdb[6] = { 0x04, b1, 0, 0, 0, 0 };

	media_cmd(s, lun, cdb, plen ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		  (void *)(uintptr_t)p, plen, r);
}

/* Lets a format run out (FORMAT IN PROGRESS, 04h/04h). */
static void wait_format(struct nx_conf_sess *s, uint32_t lun)
{
	media_wait_ready(s, lun, 0x04);
}

/* A session on the LU under test; skips when FORMAT UNIT is absent. */
static struct nx_conf_sess *fu_login(uint32_t *bs)
{
	struct nx_conf_sess *s = sbc_login();

	media_wait_sanitize(s, nx_conf_lun());
	wait_format(s, nx_conf_lun());
	nx_conf_capacity(s, NULL, bs);
	if (!media_supported(s, 0x04, false, 0))
		NX_SKIP("FORMAT UNIT not reported as supported");
	return s;
}

/* SPC-4 6.35.3: FORMAT UNIT is reported supported as the standard says,
 * 6-byte CDB, usage data: LONGLIST, FMTDATA, CMPLST, DEFECT LIST FORMAT
 * in byte 1 (FMTPINFO clear: no protection information), NACA in the
 * CONTROL byte (NormACA=1, SAM-5 5.2). */
static void test_format_rsoc_entry(void **state)
{
	static const uint8_t usage[6] = { 0x04, 0x3f, 0, 0, 0, 0x04 };
	struct nx_conf_sess *s = sbc_login();
	uint8_t cdb[12] = { 0xa3, 0x0c, 0x01, 0x04 }, d[32];
	struct nx_conf_result r;

	nx_put_be32(cdb + 6, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	if ((d[1] & 0x07) == 0x01)
		NX_SKIP("FORMAT UNIT not supported");
	NX_EXPECT_EQ("SUPPORT", d[1] & 0x07, 0x03);
	NX_EXPECT_EQ("CDB SIZE", nx_get_be16(d + 2), 6);
	NX_EXPECT_BYTES(d + 4, usage, sizeof(usage));
	nx_conf_logout(s);
}

/* SBC-3 5.3.1: FMTDATA=0 and IMMED=0: GOOD once the format is done;
 * nexus initializes the medium to zeros (a thin LU: deallocated), so
 * blocks written before read back as zeros, first to last. */
static void test_format_reads_zeros(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = fu_login(&bs);
	struct nx_conf_result r;
	uint64_t blocks;
	uint8_t *w = sbc_buf(4 * (size_t)bs), *z = sbc_buf(4 * (size_t)bs);

	nx_conf_capacity(s, &blocks, NULL);
	nx_conf_pattern(w, 4 * bs, 16, 0x9d);
	nx_conf_write(s, 16, 4, w);
	nx_conf_write(s, blocks - 4, 4, w);
	nx_conf_read(s, 16, 4, z); /* the data is there before */
	NX_EXPECT_BYTES(z, w, 4 * (size_t)bs);
	memset(z, 0, 4 * (size_t)bs);
	format_unit(s, nx_conf_lun(), 0x00, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, 16, 4, w);
	NX_EXPECT_BYTES(w, z, 4 * (size_t)bs);
	nx_conf_read(s, blocks - 4, 4, w);
	NX_EXPECT_BYTES(w, z, 4 * (size_t)bs);
	free(w);
	free(z);
	nx_conf_logout(s);
}

/* SBC-3 5.3.2.2 / SPC-4 4.5.2.4.4: IMMED=1 in the (long) header answers
 * GOOD at once; meanwhile TEST UNIT READY and READ get NOT READY, FORMAT
 * IN PROGRESS with SKSV=1 (progress), REQUEST SENSE returns it with
 * GOOD, INQUIRY is processed; TEST UNIT READY is GOOD afterwards. */
static void test_format_immed_in_progress(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = fu_login(&bs);
	uint8_t hdr[8] = { 0, HDR_IMMED, 0, 0, 0, 0, 0, 0 };
	static const uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	format_unit(s, nx_conf_lun(), FU_LONGLIST | FU_FMTDATA, hdr,
		    sizeof(hdr), &r);
	NX_EXPECT_GOOD(&r);
	media_expect_in_progress(s, bs, 0x04);
	wait_format(s, nx_conf_lun());
	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* SBC-3 5.3.1: FMTPINFO (byte 1 bits 7:6) on a LU without protection
 * information: INVALID FIELD IN CDB pointing at it; nothing started. */
static void test_format_fmtpinfo_refused(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = fu_login(&bs);
	struct nx_conf_result r;

	format_unit(s, nx_conf_lun(), 0x80, NULL, 0, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_FIELD_POINTER(&r, true, 1, 7);
	format_unit(s, nx_conf_lun(), 0x40, NULL, 0, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_FIELD_POINTER(&r, true, 1, 6);
	media_tur(s, nx_conf_lun(), &r);
	NX_EXPECT_GOOD(&r); /* no format was started */
	nx_conf_logout(s);
}

/* SBC-3 5.3.2: header fields nexus does not take: PROTECTION FIELD
 * USAGE, DCRT with FOV=0, an initialization pattern (IP=1), a non-zero
 * DEFECT LIST LENGTH (short: bytes 2-3; long: bytes 4-7): INVALID FIELD
 * IN PARAMETER LIST with the pointer (C/D=0) at the field. */
static void test_format_bad_header_refused(void **state)
{
	static const struct {
		uint8_t b1; uint8_t hdr[8]; uint16_t byte; uint8_t bit;
	} bad[] = {
		{ FU_FMTDATA, { 0x01 }, 0, 2 },
		{ FU_FMTDATA, { 0, 0x20 }, 1, 7 },
		{ FU_FMTDATA, { 0, HDR_FOV | HDR_IP }, 1, 3 },
		{ FU_FMTDATA, { 0, 0, 0, 4 }, 2, 7 },
		{ FU_FMTDATA | FU_LONGLIST, { 0, 0, 0, 0, 0, 0, 0, 8 }, 4, 7 },
	};
	uint32_t bs;
	struct nx_conf_sess *s = fu_login(&bs);
	struct nx_conf_result r;

	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		nx_conf_note("case %zu", i);
		format_unit(s, nx_conf_lun(), bad[i].b1, bad[i].hdr,
			    (bad[i].b1 & FU_LONGLIST) ? 8 : 4, &r);
		NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
		NX_EXPECT_FIELD_POINTER(&r, false, bad[i].byte, bad[i].bit);
		nx_conf_env_reset_notes();
	}
	media_tur(s, nx_conf_lun(), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* SBC-3 5.3.1: a DEFECT LIST FORMAT without FMTDATA, or the reserved
 * 111b: INVALID FIELD IN CDB at byte 1 bit 2. */
static void test_format_defect_list_format_refused(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = fu_login(&bs);
	struct nx_conf_result r;
	uint8_t hdr[4] = { 0 };

	format_unit(s, nx_conf_lun(), 0x05, NULL, 0, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_FIELD_POINTER(&r, true, 1, 2);
	format_unit(s, nx_conf_lun(), FU_FMTDATA | 0x07, hdr, 4, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_FIELD_POINTER(&r, true, 1, 2);
	nx_conf_logout(s);
}

/* SBC-3 4.12: FORMAT UNIT writes: a write-protected LU answers DATA
 * PROTECT, WRITE PROTECTED. */
static void test_format_write_protected(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;

	format_unit(s, media_read_only_lun(s), 0x00, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "FORMAT UNIT");
	NX_EXPECT_SENSE(&r, SK_DATA_PROTECT, 0x27, 0x00);
	nx_conf_logout(s);
}

/* SBC-3 4.17 table 13: FORMAT UNIT conflicts with another I_T nexus's
 * reservation (SPC-2 RESERVE): RESERVATION CONFLICT, nothing done. */
static void test_format_reservation_conflict(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = fu_login(&bs), *b = nx_conf_login(1);
	struct nx_conf_result r, c;

	media_reserve(b);
	format_unit(s, nx_conf_lun(), 0x00, NULL, 0, &c);
	media_release_expect_conflict(b, &c);
	media_tur(s, nx_conf_lun(), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(b);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", format_rsoc_entry, "SPC-4 6.35.3",
		     "RSOC lists FORMAT UNIT: 6-byte CDB, usage 04h 3Fh 00h 00h 00h 04h"),
	NX_CONF_TEST("sbc3", format_reads_zeros, "SBC-3 5.3.1",
		     "FORMAT UNIT IMMED=0: GOOD, then written blocks read zeros"),
	NX_CONF_TEST("sbc3", format_immed_in_progress, "SBC-3 5.3.2.2",
		     "IMMED=1: GOOD at once; TUR/READ 02h/04h/04h with SKSV, REQUEST SENSE reports it; GOOD after"),
	NX_CONF_TEST("sbc3", format_fmtpinfo_refused, "SBC-3 5.3.1",
		     "FMTPINFO without protection information: 24h/00h at byte 1 bit 7/6"),
	NX_CONF_TEST("sbc3", format_bad_header_refused, "SBC-3 5.3.2",
		     "PFU, DCRT without FOV, IP, DEFECT LIST LENGTH > 0: 26h/00h with the pointer"),
	NX_CONF_TEST("sbc3", format_defect_list_format_refused, "SBC-3 5.3.1",
		     "DEFECT LIST FORMAT without FMTDATA or 111b: 24h/00h at byte 1 bit 2"),
	NX_CONF_TEST("sbc3", format_write_protected, "SBC-3 4.12",
		     "FORMAT UNIT on a write-protected LU: DATA PROTECT 27h/00h"),
	NX_CONF_TEST("sbc3", format_reservation_conflict, "SBC-3 4.17",
		     "FORMAT UNIT under another nexus's RESERVE(6): RESERVATION CONFLICT"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_format, tests);
