/*
 * writeverify.c - WRITE AND VERIFY (10/12/16) (SBC-3 5.37-5.39): the data
 * is written (and read back identical) with BYTCHK 0 and 1, WRPROTECT
 * without protection information is refused, the LBA range is checked
 * (SBC-3 4.5) before anything is written.
 */
#include "sbc3_util.h"

#define LBA_BASE 3072u

static void wav(struct nx_conf_sess *s, uint8_t op, uint64_t lba,
		uint32_t blocks, uint8_t byte1, void *buf, uint32_t len,
		struct nx_conf_result *r)
{
	uint8_t cdb[16];

	sbc_cdb(cdb, op, lba, blocks);
	cdb[1] = byte1;
	nx_conf_scsi(s, cdb, len ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE, buf, len,
		     r);
}

static void roundtrip(uint8_t op, uint64_t lba, uint32_t blocks, bool bytchk)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *w, *rd;

	nx_conf_capacity(s, NULL, &bs);
	w = sbc_buf((size_t)blocks * bs);
	rd = sbc_buf((size_t)blocks * bs);
	nx_conf_pattern(w, blocks * bs, lba, op);
	wav(s, op, lba, blocks, bytchk ? 0x02 : 0x00, w, blocks * bs, &r);
	if (nx_conf_unsupported(&r)) {
		free(w);
		free(rd);
	}
	NX_SKIP_IF_UNSUPPORTED(&r, "WRITE AND VERIFY");
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, lba, blocks, rd);
	NX_EXPECT_BYTES(rd, w, (size_t)blocks * bs);
	free(w);
	free(rd);
	nx_conf_logout(s);
}

static void test_write_verify10_roundtrip(void **state)
{
	roundtrip(0x2e, LBA_BASE, 9, false);
}

static void test_write_verify12_bytchk_roundtrip(void **state)
{
	roundtrip(0xae, LBA_BASE + 100, 21, true);
}

static void test_write_verify16_bytchk_roundtrip(void **state)
{
	roundtrip(0x8e, LBA_BASE + 200, 64, true);
}

/* WRPROTECT != 0 and no protection information: INVALID FIELD IN CDB,
 * and the medium is left alone. */
static void test_write_verify10_wrprotect_no_pi(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	uint8_t cdb[16] = { 0x9e, 0x10 }, d[32];
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *w, *before, *after;

	nx_put_be32(cdb + 10, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	if (d[12] & 0x01)
		NX_SKIP("LU formatted with protection information");
	nx_conf_capacity(s, NULL, &bs);
	w = sbc_buf(bs);
	before = sbc_buf(bs);
	after = sbc_buf(bs);
	nx_conf_read(s, LBA_BASE + 300, 1, before);
	nx_conf_pattern(w, bs, 1, 0x77);
	wav(s, 0x2e, LBA_BASE + 300, 1, 0x20, w, bs, &r);
	nx_conf_read(s, LBA_BASE + 300, 1, after);
	NX_SKIP_IF_UNSUPPORTED(&r, "WRITE AND VERIFY(10)");
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	NX_EXPECT_BYTES(after, before, bs);
	free(w);
	free(before);
	free(after);
	nx_conf_logout(s);
}

/* Crossing the last LBA: LBA OUT OF RANGE; the last block itself works. */
static void test_write_verify16_lba_out_of_range(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;
	uint8_t *w;

	nx_conf_capacity(s, &blocks, &bs);
	w = sbc_buf(2 * bs);
	nx_conf_pattern(w, 2 * bs, blocks, 9);
	wav(s, 0x8e, blocks - 1, 1, 0x02, w, bs, &r);
	if (nx_conf_unsupported(&r))
		free(w);
	NX_SKIP_IF_UNSUPPORTED(&r, "WRITE AND VERIFY(16)");
	NX_EXPECT_GOOD(&r);
	wav(s, 0x8e, blocks - 1, 2, 0x02, w, 2 * bs, &r);
	free(w);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", write_verify10_roundtrip, "SBC-3 5.37",
		     "WRITE AND VERIFY(10) BYTCHK=0: GOOD, READ returns the written bytes"),
	NX_CONF_TEST("sbc3", write_verify12_bytchk_roundtrip, "SBC-3 5.38",
		     "WRITE AND VERIFY(12) BYTCHK=1: GOOD, READ returns the written bytes"),
	NX_CONF_TEST("sbc3", write_verify16_bytchk_roundtrip, "SBC-3 5.39",
		     "WRITE AND VERIFY(16) BYTCHK=1 of 64 blocks: GOOD, READ returns them"),
	NX_CONF_TEST("sbc3", write_verify10_wrprotect_no_pi, "SBC-3 5.37",
		     "WRITE AND VERIFY(10) WRPROTECT=001b without PI: 05h/24h/00h, medium unchanged"),
	NX_CONF_TEST("sbc3", write_verify16_lba_out_of_range, "SBC-3 4.5",
		     "WRITE AND VERIFY(16) at the last LBA GOOD; crossing the end 05h/21h/00h"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_writeverify, tests);
