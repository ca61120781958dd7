/*
 * sbc3_util.h - small helpers shared by the SBC-3 suite files that came
 * after rw.c/capacity.c (verify, writeverify, sync, prefetch, boundaries,
 * thin, caw, startstop): CDB builders, Block Limits / Logical Block
 * Provisioning VPD readers.  Header-only (static inline) so every suite
 * file stays one table and the Makefile's wildcard needs no change.
 */
#ifndef NX_CONF_SBC3_UTIL_H
#define NX_CONF_SBC3_UTIL_H

#include <stdlib.h>

#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

static inline struct nx_conf_sess *sbc_login(void)
{
	struct nx_conf_sess *s = nx_conf_login(0);

	nx_conf_clear_ua(s);
	return s;
}

/* LBA and length of a 6/10/12/16-byte block command, by group code
 * (SPC-4 4.2.5.1); 6-byte: 21-bit LBA, 8-bit length. */
static inline void sbc_cdb(uint8_t *cdb, uint8_t op, uint64_t lba,
			   uint32_t blocks)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	switch (op >> 5) {
	case 0:
		nx_put_be24(cdb + 1, (uint32_t)lba & 0x1fffff);
		cdb[4] = (uint8_t)blocks;
		break;
	case 1:
	case 2:
		nx_put_be32(cdb + 2, (uint32_t)lba);
		nx_put_be16(cdb + 7, (uint16_t)blocks);
		break;
	case 5:
		nx_put_be32(cdb + 2, (uint32_t)lba);
		nx_put_be32(cdb + 6, blocks);
		break;
	default:
		nx_put_be64(cdb + 2, lba);
		nx_put_be32(cdb + 10, blocks);
	}
}

/* PRE-FETCH and SYNCHRONIZE CACHE (10/16) share one CDB layout: the range
 * plus IMMED in byte 1 bit 1 (SBC-3 5.9, 5.22); no data phase. */
static inline void sbc_range_cmd(struct nx_conf_sess *s, uint8_t op,
				 uint64_t lba, uint32_t blocks, bool immed,
				 struct nx_conf_result *r)
{
	uint8_t cdb[16];

	sbc_cdb(cdb, op, lba, blocks);
	if (immed)
		cdb[1] = 0x02;
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, r);
}

/* A buffer the test owns for its whole run (freed by the OS at exit is
 * not good enough under ASan): callers free(). */
static inline uint8_t *sbc_buf(size_t len)
{
	uint8_t *p = calloc(1, len ? len : 1);

	assert_non_null(p);
	return p;
}

/* INQUIRY EVPD page into d (len bytes); returns false when the page is
 * not supported (CHECK CONDITION). */
static inline bool sbc_vpd(struct nx_conf_sess *s, uint8_t page, uint8_t *d,
			   uint16_t len)
{
	uint8_t cdb[6] = { 0x12, 0x01, page };
	struct nx_conf_result r;

	nx_put_be16(cdb + 3, len);
	memset(d, 0, len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, len, &r);
	NX_EXPECT_OK(&r);
	return r.status == 0x00 && d[1] == page;
}

/* Block Limits VPD (SBC-3 6.5.3) fields the suites use; all 0 when the
 * page is absent. */
struct sbc_limits {
	bool present;
	uint8_t max_caw;           /* MAXIMUM COMPARE AND WRITE LENGTH */
	uint32_t max_xfer;         /* MAXIMUM TRANSFER LENGTH (0: none) */
	uint32_t max_unmap_lbas;   /* MAXIMUM UNMAP LBA COUNT */
	uint32_t max_unmap_desc;   /* MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT */
	uint64_t max_ws;           /* MAXIMUM WRITE SAME LENGTH */
};

static inline void sbc_block_limits(struct nx_conf_sess *s,
				    struct sbc_limits *l)
{
	uint8_t d[64];

	memset(l, 0, sizeof(*l));
	if (!sbc_vpd(s, 0xb0, d, sizeof(d)))
		return;
	l->present = true;
	l->max_caw = d[5];
	l->max_xfer = nx_get_be32(d + 8);
	if (nx_get_be16(d + 2) >= 0x28) { /* up to byte 43 */
		l->max_unmap_lbas = nx_get_be32(d + 20);
		l->max_unmap_desc = nx_get_be32(d + 24);
		l->max_ws = nx_get_be64(d + 36);
	}
}

/* Logical Block Provisioning VPD (SBC-3 6.5.4) byte 5 flags. */
#define LBP_LBPU 0x80
#define LBP_LBPWS 0x40
#define LBP_LBPWS10 0x20
#define LBP_LBPRZ 0x04

/* Byte 5 of the LBP VPD page, 0 when the page is absent. */
static inline uint8_t sbc_lbp_flags(struct nx_conf_sess *s, uint8_t *ptype)
{
	uint8_t d[64];

	if (!sbc_vpd(s, 0xb2, d, sizeof(d))) {
		if (ptype != NULL)
			*ptype = 0;
		return 0;
	}
	if (ptype != NULL)
		*ptype = d[6] & 0x07;
	return d[5];
}

#endif /* NX_CONF_SBC3_UTIL_H */
