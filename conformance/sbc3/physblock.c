/*
 * physblock.c - physical blocks larger than logical blocks: READ
 * CAPACITY(16)'s LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT and LOWEST
 * ALIGNED LOGICAL BLOCK ADDRESS (SBC-3 5.16.2) against the Block Limits
 * granularities (SBC-3 6.5.3), WRITE SAME unmapping part of a physical
 * block (SBC-3 5.42, 4.7.3), and WRITE SAME's one-block Data-Out.
 */
#include "media_util.h"

struct geometry {
	uint32_t bs;
	uint8_t lbppbe;
	uint16_t lowest_aligned;
	bool lbpme, lbprz;
};

static void geometry(struct nx_conf_sess *s, struct geometry *g)
{
	uint8_t cdb[16] = { 0x9e, 0x10 }, d[32];
	struct nx_conf_result r;

	nx_put_be32(cdb + 10, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	g->bs = nx_get_be32(d + 8);
	g->lbppbe = d[13] & 0x0f;
	g->lowest_aligned = nx_get_be16(d + 14) & 0x3fff;
	g->lbpme = d[14] & 0x80;
	g->lbprz = d[14] & 0x40;
}

/* SBC-3 5.16.2 / 6.5.3: the granularities Block Limits reports are whole
 * physical blocks (OPTIMAL TRANSFER LENGTH GRANULARITY, OPTIMAL UNMAP
 * GRANULARITY), and a valid UNMAP GRANULARITY ALIGNMENT agrees with the
 * LOWEST ALIGNED LOGICAL BLOCK ADDRESS.  nexus: 4 KiB physical blocks on
 * 512-byte logical blocks (exponent 3), aligned at LBA 0. */
static void test_physical_block_granularity(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct geometry g;
	uint8_t d[64];

	geometry(s, &g);
	if (!sbc_vpd(s, 0xb0, d, sizeof(d)) || nx_get_be16(d + 2) < 0x3c)
		NX_SKIP("no SBC-3 Block Limits VPD page");
	uint32_t ppb = 1u << g.lbppbe;
	uint32_t otlg = nx_get_be16(d + 6), oug = nx_get_be32(d + 28);
	nx_conf_note("LBPPBE %u, lowest aligned %u, OTLG %u, OUG %u, UGA %08x",
		     g.lbppbe, g.lowest_aligned, otlg, oug, nx_get_be32(d + 32));
	if (g.bs == 512)
		NX_EXPECT_TRUE("physical block of at least 4 KiB (nexus: pbs "
			       "default)", g.lbppbe >= 3 || nx_conf_target()->blocks == 0);
	NX_EXPECT_EQ("OTLG % logical blocks per physical block", otlg % ppb, 0);
	NX_EXPECT_EQ("OUG % logical blocks per physical block", oug % ppb, 0);
	if (d[32] & 0x80)
		NX_EXPECT_EQ("UNMAP GRANULARITY ALIGNMENT vs LOWEST ALIGNED LBA",
			     (nx_get_be32(d + 32) & 0x7fffffff) % ppb,
			     g.lowest_aligned % ppb);
	nx_conf_logout(s);
}

/* SBC-3 5.42 / 4.7.3.3: WRITE SAME(16) UNMAP=1 NDOB=1 over part of a
 * physical block succeeds; with LBPRZ those LBAs read zeros (unmapped or
 * written with zeros), the neighbours keep their data. */
static void test_write_same_unmap_unaligned(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	uint8_t cdb[16], flags;
	struct nx_conf_result r;
	struct geometry g;

	geometry(s, &g);
	flags = sbc_lbp_flags(s, NULL);
	if (g.lbppbe == 0 || !g.lbprz || !(flags & LBP_LBPWS))
		NX_SKIP("needs LBPPBE > 0, LBPRZ=1 and LBPWS=1");
	uint32_t ppb = 1u << g.lbppbe, n = 2 * ppb;
	uint64_t base = 8192 - 8192 % ppb + g.lowest_aligned;
	uint8_t *w = sbc_buf((size_t)n * g.bs), *rd = sbc_buf((size_t)n * g.bs);

	nx_conf_pattern(w, n * g.bs, base, 0x9b);
	nx_conf_write(s, base, n, w);
	sbc_cdb(cdb, 0x93, base + 1, ppb - 1); /* LBAs 1 .. ppb-1 of one */
	cdb[1] = 0x08 | 0x01;                  /* UNMAP, NDOB */
	nx_conf_scsi(s, cdb, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	memset(w + g.bs, 0, (size_t)(ppb - 1) * g.bs);
	nx_conf_read(s, base, n, rd);
	NX_EXPECT_BYTES(rd, w, (size_t)n * g.bs);
	free(w);
	free(rd);
	nx_conf_logout(s);
}

/* SBC-3 5.41: WRITE SAME's Data-Out Buffer is one logical block; an
 * expected data transfer length of two blocks is refused with ILLEGAL
 * REQUEST, INVALID FIELD IN COMMAND INFORMATION UNIT (as LIO), and
 * nothing is written. */
static void test_write_same_data_out_two_blocks(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	uint8_t cdb[16];
	struct nx_conf_result r;
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	uint8_t *w = sbc_buf(2 * (size_t)bs), *rd = sbc_buf(bs), *z = sbc_buf(bs);
	memset(w, 0x6e, 2 * (size_t)bs);
	nx_conf_write(s, 300, 1, z);
	sbc_cdb(cdb, 0x41, 300, 1);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, w, 2 * bs, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x0e, 0x03);
	nx_conf_read(s, 300, 1, rd);
	NX_EXPECT_BYTES(rd, z, bs);
	free(w);
	free(rd);
	free(z);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", physical_block_granularity, "SBC-3 6.5.3",
		     "Block Limits granularities are whole physical blocks (LBPPBE), alignment agrees"),
	NX_CONF_TEST("sbc3", write_same_unmap_unaligned, "SBC-3 5.42",
		     "WRITE SAME(16) UNMAP over part of a physical block: GOOD, zeros there, neighbours intact"),
	NX_CONF_TEST("sbc3", write_same_data_out_two_blocks, "SBC-3 5.41",
		     "WRITE SAME(10) with two blocks of Data-Out: 05h/0Eh/03h, nothing written"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_physblock, tests);
