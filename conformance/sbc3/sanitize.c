/*
 * sanitize.c - SANITIZE (SBC-3 5.30; SBC-4 5.24 and the sanitize model,
 * SBC-4 4.11): service actions and their REPORT SUPPORTED OPERATION CODES
 * entries, the OVERWRITE parameter list, BLOCK ERASE and CRYPTOGRAPHIC
 * ERASE results, LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS with a
 * progress indication, reservations, write protection, and an operation
 * that outlives task management functions and I_T nexus loss.
 *
 * SANITIZE destroys the LU's data: on a shared (tcp) target these tests
 * only run on the LU under test, like libiscsi's with --allow-sanitize.
 * A target without SANITIZE (INVALID COMMAND OPERATION CODE) skips.
 */
#include "media_util.h"

#define SA_OVERWRITE 0x01
#define SA_BLOCK_ERASE 0x02
#define SA_CRYPTO_ERASE 0x03
#define SA_EXIT_FAILURE_MODE 0x1f

static void sanitize(struct nx_conf_sess *s, uint8_t sa, bool immed,
		     const uint8_t *params, uint16_t plen,
		     struct nx_conf_result *r)
{
	uint8_t cdb[10];

	media_sanitize_cdb(cdb, sa, immed, false, plen);
	nx_conf_scsi(s, cdb, plen ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		     (void *)(uintptr_t)params, plen, r);
}

/* OVERWRITE parameter list (SBC-4 5.24.2.2) with a pattern of ipl bytes
 * of `fill`; returns its length. */
static uint16_t ow_list(uint8_t *p, uint8_t byte0, uint16_t ipl, uint8_t fill)
{
	p[0] = byte0;
	p[1] = 0;
	nx_put_be16(p + 2, ipl);
	memset(p + 4, fill, ipl);
	return (uint16_t)(4 + ipl);
}

/* A session on the LU under test; skips when SANITIZE OVERWRITE is
 * absent.  *bs gets the block size. */
static struct nx_conf_sess *san_login(uint32_t *bs)
{
	struct nx_conf_sess *s = sbc_login();

	/* a shared target may still be sanitizing for an earlier test */
	media_wait_sanitize(s, nx_conf_lun());
	nx_conf_capacity(s, NULL, bs);
	if (!media_supported(s, 0x48, true, SA_OVERWRITE))
		NX_SKIP("SANITIZE OVERWRITE not reported as supported");
	return s;
}

/* SPC-4 6.35.3, SBC-4 5.24.1: each service action is reported on its
 * own: supported as the standard says, CDB USAGE DATA with IMMED, AUSE,
 * the service action, PARAMETER LIST LENGTH and the CONTROL byte's NACA
 * bit (NormACA=1, SAM-5 5.2). */
static void test_sanitize_rsoc_service_actions(void **state)
{
	static const uint8_t sas[] = { 1, 2, 3, 0x1f };
	static const uint8_t usage[10] = { 0x48, 0xbf, 0, 0, 0, 0, 0, 0xff,
					   0xff, 0x04 };
	struct nx_conf_sess *s = sbc_login();
	uint8_t cdb[12] = { 0xa3, 0x0c, 0x02, 0x48 }, d[32];
	struct nx_conf_result r;

	nx_put_be32(cdb + 6, sizeof(d));
	for (size_t i = 0; i < sizeof(sas); i++) {
		cdb[5] = sas[i];
		nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
		NX_EXPECT_GOOD(&r);
		if (i == 0 && (d[1] & 0x07) != 0x03)
			NX_SKIP("SANITIZE not supported");
		nx_conf_note("service action %02xh", sas[i]);
		NX_EXPECT_EQ("SUPPORT", d[1] & 0x07, 0x03);
		NX_EXPECT_EQ("CDB SIZE", nx_get_be16(d + 2), 10);
		NX_EXPECT_BYTES(d + 4, usage, sizeof(usage));
		nx_conf_env_reset_notes();
	}
	cdb[5] = 0x04; /* reserved service action */
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("SUPPORT of service action 04h", d[1] & 0x07, 0x01);
	nx_conf_logout(s);
}

/* SBC-4 5.24.2: OVERWRITE with IMMED=0 returns once every block holds
 * the initialization pattern, repeated from the first byte of each
 * block (a 3-byte pattern in a 512-byte block ends "xy"). */
static void test_sanitize_overwrite_pattern(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t p[4 + 3] = { 0x01, 0, 0, 3, 'x', 'y', 'z' };
	struct nx_conf_result r;
	uint64_t blocks;
	uint8_t *rd = sbc_buf(bs), *want = sbc_buf(bs);

	nx_conf_capacity(s, &blocks, NULL);
	for (uint32_t i = 0; i < bs; i++)
		want[i] = p[4 + i % 3];
	sanitize(s, SA_OVERWRITE, false, p, sizeof(p), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, 0, 1, rd);
	NX_EXPECT_BYTES(rd, want, bs);
	nx_conf_read(s, blocks - 1, 1, rd);
	NX_EXPECT_BYTES(rd, want, bs);
	free(rd);
	free(want);
	nx_conf_logout(s);
}

/* SBC-4 5.24.2.2: INVERT with an even OVERWRITE COUNT starts with the
 * inverted pattern so that the last pass writes the pattern as given. */
static void test_sanitize_overwrite_invert_even_count(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t p[8];
	struct nx_conf_result r;
	uint8_t *rd = sbc_buf(bs), *want = sbc_buf(bs);

	ow_list(p, 0x80 | 0x02, 4, 0x3c);
	memset(want, 0x3c, bs);
	sanitize(s, SA_OVERWRITE, true, p, sizeof(p), &r);
	NX_EXPECT_GOOD(&r);
	media_wait_sanitize(s, nx_conf_lun()); /* two passes: IMMED=1 */
	nx_conf_read(s, 7, 1, rd);
	NX_EXPECT_BYTES(rd, want, bs);
	free(rd);
	free(want);
	nx_conf_logout(s);
}

/* SBC-4 4.11.2 / SPC-4 4.5.2.4.4: while a sanitize runs, TEST UNIT READY
 * and medium access end in NOT READY, SANITIZE IN PROGRESS with SKSV=1
 * (progress indication); REQUEST SENSE returns that sense with GOOD
 * status; INQUIRY and REPORT LUNS are still processed. */
static void test_sanitize_immed_not_ready_progress(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t p[8], rl[12] = { 0xa0 }, d[64];
	struct nx_conf_result r;

	sanitize(s, SA_OVERWRITE, true, p, ow_list(p, 1, 4, 0xee), &r);
	NX_EXPECT_GOOD(&r);
	media_expect_in_progress(s, bs, 0x1b);
	nx_put_be32(rl + 6, sizeof(d));
	nx_conf_scsi(s, rl, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	media_wait_sanitize(s, nx_conf_lun());
	nx_conf_logout(s);
}

/* SBC-4 4.11.2: the sanitize operation is the LU's: another I_T nexus
 * gets NOT READY, SANITIZE IN PROGRESS too. */
static void test_sanitize_other_nexus_not_ready(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs), *b = nx_conf_login(1);
	uint8_t p[8], rc[10] = { 0x25 }, d[8];
	struct nx_conf_result r;

	nx_conf_clear_ua(b);
	sanitize(s, SA_OVERWRITE, true, p, ow_list(p, 1, 4, 0x01), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_scsi(b, rc, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x1b);
	media_wait_sanitize(b, nx_conf_lun());
	nx_conf_logout(b);
	nx_conf_logout(s);
}

/* SBC-4 5.24.3 / 4.11: BLOCK ERASE on a thin-provisioned LU (LBPME=1,
 * LBPRZ=1): the data is gone (reads return zeros) and GET LBA STATUS
 * reports the LBAs deallocated. */
static void test_sanitize_block_erase_deallocates(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t gls[16] = { 0x9e, 0x12 }, d[24], rc16[16] = { 0x9e, 0x10 };
	uint8_t cap[32];
	struct nx_conf_result r;
	uint8_t *w = sbc_buf(8 * (size_t)bs), *z = sbc_buf(8 * (size_t)bs);

	nx_put_be32(rc16 + 10, sizeof(cap));
	nx_conf_scsi(s, rc16, NX_INI_DIR_READ, cap, sizeof(cap), &r);
	if ((cap[14] & 0xc0) != 0xc0) {
		free(w);
		free(z);
		NX_SKIP("LU is not thin provisioned with LBPRZ=1");
	}
	nx_conf_pattern(w, 8 * bs, 40, 0xbe);
	nx_conf_write(s, 40, 8, w);
	sanitize(s, SA_BLOCK_ERASE, false, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, 40, 8, w);
	NX_EXPECT_BYTES(w, z, 8 * (size_t)bs);
	nx_put_be64(gls + 2, 40);
	nx_put_be32(gls + 10, sizeof(d));
	nx_conf_scsi(s, gls, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("descriptor LBA", nx_get_be64(d + 8), 40);
	NX_EXPECT_EQ("PROVISIONING STATUS (deallocated)", d[20] & 0x0f, 0x01);
	free(w);
	free(z);
	nx_conf_logout(s);
}

/* SBC-4 5.24.4: after CRYPTOGRAPHIC ERASE the written data cannot be
 * read back (nexus: the new key turns it into other bytes). */
static void test_sanitize_crypto_erase_changes_data(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	struct nx_conf_result r;
	uint8_t *w = sbc_buf(4 * (size_t)bs), *rd = sbc_buf(4 * (size_t)bs);

	nx_conf_pattern(w, 4 * bs, 100, 0xc5);
	nx_conf_write(s, 100, 4, w);
	sanitize(s, SA_CRYPTO_ERASE, false, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SANITIZE CRYPTOGRAPHIC ERASE");
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, 100, 4, rd);
	for (uint32_t b = 0; b < 4; b++)
		NX_EXPECT_TRUE("block no longer holds the written data",
			       memcmp(rd + (size_t)b * bs, w + (size_t)b * bs,
				      bs) != 0);
	free(w);
	free(rd);
	nx_conf_logout(s);
}

/* SBC-4 5.24.1 table: OVERWRITE takes a PARAMETER LIST LENGTH from 5 to
 * block length + 4, the other service actions 0; otherwise INVALID FIELD
 * IN CDB with the field pointer at byte 7. */
static void test_sanitize_parameter_list_length(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t *p = sbc_buf(bs + 8);
	const struct { uint8_t sa; uint32_t plen; } bad[] = {
		{ SA_OVERWRITE, 0 }, { SA_OVERWRITE, 4 },
		{ SA_OVERWRITE, bs + 5 }, { SA_BLOCK_ERASE, 8 },
		{ SA_CRYPTO_ERASE, 8 }, { SA_EXIT_FAILURE_MODE, 8 },
	};
	struct nx_conf_result r;

	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		nx_conf_note("service action %02xh, length %u", bad[i].sa,
			     bad[i].plen);
		sanitize(s, bad[i].sa, false, p, (uint16_t)bad[i].plen, &r);
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
		NX_EXPECT_FIELD_POINTER(&r, true, 7, 7);
		nx_conf_env_reset_notes();
	}
	free(p);
	nx_conf_logout(s);
}

/* SBC-4 5.24.2.2: OVERWRITE COUNT 0 (reserved), INITIALIZATION PATTERN
 * LENGTH 0 or above the block length: INVALID FIELD IN PARAMETER LIST,
 * the field pointer (C/D=0) at the field's byte. */
static void test_sanitize_overwrite_parameter_errors(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t *p = sbc_buf(bs + 8);
	struct nx_conf_result r;

	ow_list(p, 0x00, (uint16_t)bs, 0x11); /* OVERWRITE COUNT 0 */
	sanitize(s, SA_OVERWRITE, false, p, (uint16_t)(bs + 4), &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	NX_EXPECT_FIELD_POINTER(&r, false, 0, 4);
	ow_list(p, 0x01, (uint16_t)bs, 0x11);
	nx_put_be16(p + 2, 0); /* INITIALIZATION PATTERN LENGTH 0 */
	sanitize(s, SA_OVERWRITE, false, p, (uint16_t)(bs + 4), &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	NX_EXPECT_FIELD_POINTER(&r, false, 2, 7);
	nx_put_be16(p + 2, (uint16_t)(bs + 4)); /* longer than a block */
	sanitize(s, SA_OVERWRITE, false, p, (uint16_t)(bs + 4), &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	free(p);
	media_clear_ua(s, nx_conf_lun(), &r);
	NX_EXPECT_GOOD(&r); /* nothing was started */
	nx_conf_logout(s);
}

/* SPC-4 4.4.2: reserved CDB bits (byte 1 bit 6, ZNR on a LU that is not
 * zoned; bytes 2 to 6) are INVALID FIELD IN CDB with the pointer at them. */
static void test_sanitize_reserved_cdb_fields(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t cdb[10];
	struct nx_conf_result r;

	media_sanitize_cdb(cdb, SA_BLOCK_ERASE, false, false, 0);
	cdb[1] |= 0x40;
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_FIELD_POINTER(&r, true, 1, 6);
	for (uint16_t b = 2; b <= 6; b++) {
		media_sanitize_cdb(cdb, SA_BLOCK_ERASE, false, false, 0);
		cdb[b] = 0x80;
		nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
		NX_EXPECT_FIELD_POINTER(&r, true, b, 7);
	}
	nx_conf_logout(s);
}

/* SBC-4 5.24.1: a service action SANITIZE does not define (00h,
 * 04h-1Eh) is INVALID FIELD IN CDB. */
static void test_sanitize_invalid_service_action(void **state)
{
	static const uint8_t sas[] = { 0x00, 0x04, 0x10, 0x1e };
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	struct nx_conf_result r;

	for (size_t i = 0; i < sizeof(sas); i++) {
		sanitize(s, sas[i], false, NULL, 0, &r);
		NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	}
	nx_conf_logout(s);
}

/* SBC-3 4.17 table 13: SANITIZE conflicts with another I_T nexus's
 * reservation (SPC-2 RESERVE here): RESERVATION CONFLICT, nothing done. */
static void test_sanitize_reservation_conflict(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs), *b = nx_conf_login(1);
	struct nx_conf_result r, c;

	media_reserve(b);
	sanitize(s, SA_BLOCK_ERASE, false, NULL, 0, &c);
	media_release_expect_conflict(b, &c);
	sanitize(s, SA_CRYPTO_ERASE, true, NULL, 0, &r); /* now allowed */
	NX_EXPECT_GOOD(&r);
	media_wait_sanitize(s, nx_conf_lun());
	nx_conf_logout(b);
	nx_conf_logout(s);
}

/* SBC-3 4.12: SANITIZE writes: a write-protected LU answers DATA
 * PROTECT, WRITE PROTECTED. */
static void test_sanitize_write_protected(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	uint8_t cdb[10];
	struct nx_conf_result r;

	media_sanitize_cdb(cdb, SA_BLOCK_ERASE, false, false, 0);
	media_cmd(s, media_read_only_lun(s), cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "SANITIZE");
	NX_EXPECT_SENSE(&r, SK_DATA_PROTECT, 0x27, 0x00);
	nx_conf_logout(s);
}

/* SBC-4 4.11.3: with no failed sanitize, EXIT FAILURE MODE has nothing
 * to do and completes with GOOD. */
static void test_sanitize_exit_failure_mode_idle(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	struct nx_conf_result r;

	sanitize(s, SA_EXIT_FAILURE_MODE, false, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	media_tur(s, nx_conf_lun(), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* SBC-4 4.11.1: task management ends the SANITIZE command, not the
 * sanitize operation: after ABORT TASK and LOGICAL UNIT RESET the LU is
 * still NOT READY, SANITIZE IN PROGRESS, and the overwrite completes. */
static void test_sanitize_survives_abort_and_lu_reset(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t cdb[10], p[8];
	struct nx_conf_async a;
	struct nx_conf_result r;
	uint8_t rsp = 0xff;
	uint16_t plen = ow_list(p, 1, 4, 0x5d);
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(nx_conf_lun()), .cdb = cdb,
		.attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_WRITE,
		.buf = p, .len = plen,
	};
	uint8_t *rd = sbc_buf(bs), *want = sbc_buf(bs);

	memset(want, 0x5d, bs);
	media_sanitize_cdb(cdb, SA_OVERWRITE, false, false, plen);
	assert_int_equal(nx_conf_submit(s, &c, &a), 0);
	/* The sanitize has begun once another I_T nexus sees it (iSER and
	 * SRP fetch the parameter list by RDMA READ first). */
	struct nx_conf_sess *s2 = nx_conf_login(1);

	media_clear_ua(s2, nx_conf_lun(), &r);
	for (unsigned i = 0; i < MEDIA_WAIT_ROUNDS && r.status == 0x00; i++) {
		nx_conf_poll(1);
		media_tur(s2, nx_conf_lun(), &r);
	}
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x1b);
	nx_conf_logout(s2);
	nx_conf_tmf(s, NX_INI_TMF_ABORT_TASK, c.lun_field, &a.cmd, &rsp);
	NX_EXPECT_EQ("ABORT TASK", rsp, NX_INI_TMF_RSP_COMPLETE);
	media_tur(s, nx_conf_lun(), &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x1b);
	nx_conf_tmf(s, NX_INI_TMF_LOGICAL_UNIT_RESET, c.lun_field, NULL, &rsp);
	NX_EXPECT_EQ("LOGICAL UNIT RESET", rsp, NX_INI_TMF_RSP_COMPLETE);
	media_clear_ua(s, nx_conf_lun(), &r); /* 29h/03h first */
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x1b);
	media_wait_sanitize(s, nx_conf_lun());
	nx_conf_read(s, 0, 1, rd);
	NX_EXPECT_BYTES(rd, want, bs);
	free(rd);
	free(want);
	nx_conf_drop(s); /* the aborted command is never answered */
}

/* SBC-4 4.11.1: I_T nexus loss does not stop a sanitize: a new session
 * finds the LU still NOT READY, SANITIZE IN PROGRESS (after its 29h
 * unit attention). */
static void test_sanitize_survives_nexus_loss(void **state)
{
	uint32_t bs;
	struct nx_conf_sess *s = san_login(&bs);
	uint8_t p[8];
	struct nx_conf_result r;

	sanitize(s, SA_OVERWRITE, true, p, ow_list(p, 1, 4, 0x42), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_drop(s);
	s = nx_conf_login(0);
	media_clear_ua(s, nx_conf_lun(), &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, 0x1b);
	media_wait_sanitize(s, nx_conf_lun());
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", sanitize_rsoc_service_actions, "SBC-4 5.24.1",
		     "RSOC lists SANITIZE 01h/02h/03h/1Fh with CDB usage BFh in byte 1; 04h not supported"),
	NX_CONF_TEST("sbc3", sanitize_overwrite_pattern, "SBC-4 5.24.2",
		     "OVERWRITE IMMED=0: GOOD once every block holds the pattern, repeated from each block start"),
	NX_CONF_TEST("sbc3", sanitize_overwrite_invert_even_count, "SBC-4 5.24.2.2",
		     "INVERT with OVERWRITE COUNT 2: the last pass writes the pattern as given"),
	NX_CONF_TEST("sbc3", sanitize_immed_not_ready_progress, "SBC-4 4.11.2",
		     "during a sanitize: TUR/READ 02h/04h/1Bh with SKSV, REQUEST SENSE reports it, INQUIRY/REPORT LUNS GOOD"),
	NX_CONF_TEST("sbc3", sanitize_other_nexus_not_ready, "SBC-4 4.11.2",
		     "another I_T nexus's READ CAPACITY during a sanitize: NOT READY 04h/1Bh"),
	NX_CONF_TEST("sbc3", sanitize_block_erase_deallocates, "SBC-4 5.24.3",
		     "BLOCK ERASE on a thin LU: zeros read back, GET LBA STATUS deallocated"),
	NX_CONF_TEST("sbc3", sanitize_crypto_erase_changes_data, "SBC-4 5.24.4",
		     "CRYPTOGRAPHIC ERASE: written blocks no longer read back their data"),
	NX_CONF_TEST("sbc3", sanitize_parameter_list_length, "SBC-4 5.24.1",
		     "PARAMETER LIST LENGTH outside the service action's range: 24h/00h at byte 7"),
	NX_CONF_TEST("sbc3", sanitize_overwrite_parameter_errors, "SBC-4 5.24.2.2",
		     "OVERWRITE COUNT 0, INITIALIZATION PATTERN LENGTH 0 or > block: 26h/00h with the pointer"),
	NX_CONF_TEST("sbc3", sanitize_reserved_cdb_fields, "SPC-4 4.4.2",
		     "SANITIZE reserved bit 40h of byte 1 or bytes 2-6 set: 24h/00h pointing at them"),
	NX_CONF_TEST("sbc3", sanitize_invalid_service_action, "SBC-4 5.24.1",
		     "SANITIZE service actions 00h, 04h, 10h, 1Eh: INVALID FIELD IN CDB"),
	NX_CONF_TEST("sbc3", sanitize_reservation_conflict, "SBC-3 4.17",
		     "SANITIZE under another nexus's RESERVE(6): RESERVATION CONFLICT"),
	NX_CONF_TEST("sbc3", sanitize_write_protected, "SBC-3 4.12",
		     "SANITIZE on a write-protected LU: DATA PROTECT 27h/00h"),
	NX_CONF_TEST("sbc3", sanitize_exit_failure_mode_idle, "SBC-4 4.11.3",
		     "EXIT FAILURE MODE with no failed sanitize: GOOD"),
	NX_CONF_TEST("sbc3", sanitize_survives_abort_and_lu_reset, "SBC-4 4.11.1",
		     "ABORT TASK and LU RESET end the SANITIZE command; the overwrite continues and completes"),
	NX_CONF_TEST("sbc3", sanitize_survives_nexus_loss, "SBC-4 4.11.1",
		     "after I_T nexus loss a new session still sees SANITIZE IN PROGRESS"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_sanitize, tests);
