/*
 * media_util.h - helpers of the medium suites (sanitize.c, format.c, defect.c,
 * removable.c, physblock.c): commands to any LUN, waiting out a
 * sanitize, finding the LU with a property (removable medium,
 * write-protected) among REPORT LUNS.  Header-only like sbc3_util.h.
 */
#ifndef NX_CONF_SBC3_MEDIA_UTIL_H
#define NX_CONF_SBC3_MEDIA_UTIL_H

#include "sbc3_util.h"

#define MEDIA_WAIT_ROUNDS 20000u /* TEST UNIT READYs while waiting */

/* cdb to `lun` (SIMPLE); buf/len the data-in or data-out buffer. */
static inline void media_cmd(struct nx_conf_sess *s, uint32_t lun,
			     const uint8_t *cdb, enum nx_ini_dir dir,
			     void *buf, uint32_t len, struct nx_conf_result *r)
{
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(lun), .cdb = cdb,
		.attr = NX_INI_ATTR_SIMPLE, .dir = dir, .buf = buf, .len = len,
	};

	nx_conf_scsi_ex(s, &c, r);
}

static inline void media_tur(struct nx_conf_sess *s, uint32_t lun,
			     struct nx_conf_result *r)
{
	static const uint8_t tur[6] = { 0 };

	media_cmd(s, lun, tur, NX_INI_DIR_NONE, NULL, 0, r);
}

/* TEST UNIT READY until no unit attention is reported (at most 16);
 * leaves the last answer in *r. */
static inline void media_clear_ua(struct nx_conf_sess *s, uint32_t lun,
				  struct nx_conf_result *r)
{
	for (unsigned i = 0; i < 16; i++) {
		media_tur(s, lun, r);
		if (!(r->status == 0x02 && r->key == SK_UNIT_ATTENTION))
			return;
	}
}

/* Lets a long operation run out: TEST UNIT READY until it is no longer
 * NOT READY, LOGICAL UNIT NOT READY with ASCQ `ascq` (04h FORMAT IN
 * PROGRESS, 1Bh SANITIZE IN PROGRESS; the simulator's clock moves with
 * the polls in between).  Fails the test if the LU stays in it. */
static inline void media_wait_ready(struct nx_conf_sess *s, uint32_t lun,
				    uint8_t ascq)
{
	struct nx_conf_result r;

	for (unsigned i = 0; i < MEDIA_WAIT_ROUNDS; i++) {
		media_clear_ua(s, lun, &r);
		if (!(r.status == 0x02 && r.key == SK_NOT_READY &&
		      r.asc == 0x04 && r.ascq == ascq))
			break;
		nx_conf_poll(16);
	}
	NX_EXPECT_GOOD(&r);
}

static inline void media_wait_sanitize(struct nx_conf_sess *s, uint32_t lun)
{
	media_wait_ready(s, lun, 0x1b);
}

/* A session on the LU under test for a suite of an operation that
 * destroys the medium: *bs gets the block size; false when REPORT
 * SUPPORTED OPERATION CODES (SPC-4 6.35.2: REPORTING OPTIONS 001b for
 * opcode alone, 010b with service action sa) does not report it
 * supported as the standard says (SUPPORT 011b). */
static inline bool media_supported(struct nx_conf_sess *s, uint8_t opcode,
				   bool has_sa, uint8_t sa)
{
	uint8_t cdb[12] = { 0xa3, 0x0c, has_sa ? 0x02 : 0x01, opcode, 0, sa };
	uint8_t d[64];
	struct nx_conf_result r;

	nx_put_be32(cdb + 6, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	return r.status == 0x00 && (d[1] & 0x07) == 0x03;
}

/* While a long operation runs on the LU under test (SBC-3 5.3.2.2
 * FORMAT UNIT, SBC-4 4.11.2 SANITIZE; SPC-4 4.5.2.4.4): TEST UNIT READY
 * and READ(10) end NOT READY, LOGICAL UNIT NOT READY with ASCQ `ascq`
 * (04h FORMAT IN PROGRESS, 1Bh SANITIZE IN PROGRESS), TEST UNIT READY's
 * with SKSV=1 (progress indication); INQUIRY is processed; REQUEST SENSE
 * returns that sense as parameter data with GOOD status. */
static inline void media_expect_in_progress(struct nx_conf_sess *s,
					    uint32_t bs, uint8_t ascq)
{
	static const uint8_t tur[6] = { 0 };
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 }, d[512], rd10[16];
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	struct nx_conf_result r;

	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, ascq);
	NX_EXPECT_TRUE("SKSV (progress indication)", r.sksv);
	sbc_cdb(rd10, 0x28, 0, 1);
	nx_conf_scsi(s, rd10, NX_INI_DIR_READ, d, bs <= sizeof(d) ? bs : 0, &r);
	NX_EXPECT_SENSE(&r, SK_NOT_READY, 0x04, ascq);
	nx_conf_scsi(s, inq, NX_INI_DIR_READ, d, 36, &r);
	NX_EXPECT_GOOD(&r);
	memset(d, 0, 18);
	nx_conf_scsi(s, rs, NX_INI_DIR_READ, d, 18, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("sense key", d[2] & 0x0f, SK_NOT_READY);
	NX_EXPECT_EQ("ASC", d[12], 0x04);
	NX_EXPECT_EQ("ASCQ", d[13], ascq);
	NX_EXPECT_EQ("SKSV", d[15] & 0x80, 0x80);
}

/* SBC-3 4.17 table 13 against an SPC-2 reservation: b RESERVEs the LU
 * under test (SKIP without RESERVE(6)) ... */
static inline void media_reserve(struct nx_conf_sess *b)
{
	static const uint8_t rsv[6] = { 0x16 };
	struct nx_conf_result r;

	nx_conf_clear_ua(b);
	nx_conf_scsi(b, rsv, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "RESERVE(6)");
	NX_EXPECT_GOOD(&r);
}

/* ... another nexus's command c meanwhile ended RESERVATION CONFLICT;
 * b RELEASEs first (tcp: nothing else may wait on it), GOOD. */
static inline void media_release_expect_conflict(struct nx_conf_sess *b,
						 const struct nx_conf_result *c)
{
	static const uint8_t rel[6] = { 0x17 };
	struct nx_conf_result r;

	nx_conf_scsi(b, rel, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_STATUS(c, 0x18);
	NX_EXPECT_GOOD(&r);
}

/* SANITIZE CDB (SBC-4 5.24.1). */
static inline void media_sanitize_cdb(uint8_t cdb[10], uint8_t sa, bool immed,
				      bool ause, uint16_t plen)
{
	memset(cdb, 0, 10);
	cdb[0] = 0x48;
	cdb[1] = (uint8_t)(sa | (immed ? 0x80 : 0x00) | (ause ? 0x20 : 0x00));
	nx_put_be16(cdb + 7, plen);
}

/* Property of a LUN for media_find_lun(). */
enum media_prop {
	MEDIA_REMOVABLE,   /* standard INQUIRY RMB=1 */
	MEDIA_READ_ONLY,   /* MODE SENSE(10) header WP=1 */
};

static inline bool media_has(struct nx_conf_sess *s, uint32_t lun,
			     enum media_prop p)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, d[64];
	uint8_t ms[10] = { 0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0, 64, 0 };
	struct nx_conf_result r;

	memset(d, 0, sizeof(d));
	if (p == MEDIA_REMOVABLE) {
		media_cmd(s, lun, inq, NX_INI_DIR_READ, d, 36, &r);
		return r.status == 0x00 && (d[0] & 0x1f) == 0 && (d[1] & 0x80);
	}
	media_clear_ua(s, lun, &r);
	media_cmd(s, lun, ms, NX_INI_DIR_READ, d, 64, &r);
	return r.status == 0x00 && (d[3] & 0x80);
}

/* The first LUN (REPORT LUNS, peripheral or flat addressing) with the
 * property, its unit attentions cleared; false when there is none. */
static inline bool media_find_lun(struct nx_conf_sess *s, enum media_prop p,
				  uint32_t *lun)
{
	uint8_t cdb[12] = { 0xa0 }, d[512];
	struct nx_conf_result r;

	nx_put_be32(cdb + 6, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	uint32_t len = nx_get_be32(d);
	for (uint32_t off = 8; off + 8 <= 8 + len && off + 8 <= sizeof(d);
	     off += 8) {
		uint32_t n = (uint32_t)(d[off] & 0x3f) << 8 | d[off + 1];
		if ((d[off] >> 6) > 1 || !media_has(s, n, p))
			continue;
		media_clear_ua(s, n, &r);
		*lun = n;
		return true;
	}
	return false;
}

/* A write-protected LU of the target (media_find_lun), or SKIP. */
static inline uint32_t media_read_only_lun(struct nx_conf_sess *s)
{
	uint32_t lun = 0;

	if (!media_find_lun(s, MEDIA_READ_ONLY, &lun))
		NX_SKIP("no write-protected LU on this target");
	return lun;
}

#endif /* NX_CONF_SBC3_MEDIA_UTIL_H */
