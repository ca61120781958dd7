/*
 * atomic.c - WRITE ATOMIC(16) (SBC-4 5.48) and its Block Limits VPD
 * fields (SBC-4 6.6.4): MAXIMUM ATOMIC TRANSFER LENGTH, ATOMIC ALIGNMENT,
 * ATOMIC TRANSFER LENGTH GRANULARITY, the atomic boundary fields.
 *
 * Limits are read from the Block Limits page, so the tests hold for any
 * device server; WRITE ATOMIC(16) is optional (INVALID COMMAND OPERATION
 * CODE skips, as does MAXIMUM ATOMIC TRANSFER LENGTH 0).
 */
#include "sbc3_util.h"

#define LBA_BASE 16384u

/* The Block Limits atomic fields, and the LU's size (READ CAPACITY). */
struct atomic_limits {
	uint32_t max_xfer, max_atomic, align, gran, max_boundary_xfer,
		max_boundary;
	uint32_t bs;
	uint64_t blocks;
};

static void atomic_limits(struct nx_conf_sess *s, struct atomic_limits *l)
{
	uint8_t d[64];

	memset(l, 0, sizeof(*l));
	nx_conf_capacity(s, &l->blocks, &l->bs);
	if (!sbc_vpd(s, 0xb0, d, sizeof(d)) || nx_get_be16(d + 2) < 0x3c)
		NX_SKIP("Block Limits page without the SBC-4 atomic fields");
	l->max_xfer = nx_get_be32(d + 8);
	l->max_atomic = nx_get_be32(d + 44);
	l->align = nx_get_be32(d + 48);
	l->gran = nx_get_be32(d + 52);
	l->max_boundary_xfer = nx_get_be32(d + 56);
	l->max_boundary = nx_get_be32(d + 60);
	if (l->max_atomic == 0)
		NX_SKIP("MAXIMUM ATOMIC TRANSFER LENGTH 0: WRITE ATOMIC unsupported");
}

static uint32_t unit(uint32_t v)
{
	return v ? v : 1;
}

static void write_atomic(struct nx_conf_sess *s, uint64_t lba, uint16_t n,
			 uint16_t boundary, const void *buf, uint32_t len,
			 struct nx_conf_result *r)
{
	uint8_t cdb[16] = { 0x9c };

	nx_put_be64(cdb + 2, lba);
	nx_put_be16(cdb + 10, boundary);
	nx_put_be16(cdb + 12, n);
	nx_conf_scsi(s, cdb, len ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		     (void *)(uintptr_t)buf, len, r);
}

/* WRITE ATOMIC(16) of n blocks (the buffer's content does not matter
 * to the test); SKIPs when the command is unsupported. */
static void write_atomic_n(struct nx_conf_sess *s,
			   const struct atomic_limits *l, uint64_t lba,
			   uint32_t n, uint16_t boundary,
			   struct nx_conf_result *r)
{
	uint8_t *buf = sbc_buf((size_t)n * l->bs);

	write_atomic(s, lba, (uint16_t)n, boundary, buf, n * l->bs, r);
	free(buf);
	NX_SKIP_IF_UNSUPPORTED(r, "WRITE ATOMIC(16)");
}

/* ILLEGAL REQUEST 24h/00h pointing at CDB byte `byte` bit `bit`. */
static void expect_invalid_at(const struct nx_conf_result *r, int byte, int bit)
{
	NX_EXPECT_INVALID_FIELD_IN_CDB(r);
	NX_EXPECT_FIELD_POINTER(r, true, byte, bit);
}

/* SBC-4 6.6.4: a device server with WRITE ATOMIC reports a maximum no
 * larger than MAXIMUM TRANSFER LENGTH; boundary sizes come in pairs. */
static void test_atomic_block_limits(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;

	atomic_limits(s, &l);
	if (l.max_xfer != 0)
		NX_EXPECT_TRUE("MAXIMUM ATOMIC <= MAXIMUM TRANSFER LENGTH",
			       l.max_atomic <= l.max_xfer);
	NX_EXPECT_TRUE("granularity divides the maximum",
		       l.max_atomic % unit(l.gran) == 0);
	NX_EXPECT_EQ("boundary fields both zero or both set",
		     l.max_boundary_xfer == 0, l.max_boundary == 0);
	nx_conf_logout(s);
}

/* The data of an atomic write reads back; DPO and FUA are accepted
 * (DPOFUA=1 in the mode parameter header). */
static void test_atomic_write_reads_back(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;
	struct nx_conf_result r;
	uint32_t n;

	atomic_limits(s, &l);
	n = unit(l.gran) * 4;
	uint8_t *buf = sbc_buf((size_t)n * l.bs);
	uint8_t *rd = sbc_buf((size_t)n * l.bs);
	nx_conf_pattern(buf, n * l.bs, LBA_BASE, 0x71);
	uint8_t cdb[16] = { 0x9c, 0x18 };
	nx_put_be64(cdb + 2, LBA_BASE);
	nx_put_be16(cdb + 12, (uint16_t)n);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, buf, n * l.bs, &r);
	if (nx_conf_unsupported(&r)) {
		free(buf);
		free(rd);
	}
	NX_SKIP_IF_UNSUPPORTED(&r, "WRITE ATOMIC(16)");
	NX_EXPECT_GOOD(&r);
	nx_conf_read(s, LBA_BASE, n, rd);
	NX_EXPECT_BYTES(rd, buf, (size_t)n * l.bs);
	free(buf);
	free(rd);
	nx_conf_logout(s);
}

/* TRANSFER LENGTH above MAXIMUM ATOMIC TRANSFER LENGTH. */
static void test_atomic_over_maximum(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;
	struct nx_conf_result r;
	uint32_t n;

	atomic_limits(s, &l);
	n = l.max_atomic + unit(l.gran);
	if (n > 0xffff)
		NX_SKIP("the 16-bit TRANSFER LENGTH cannot exceed the maximum");
	write_atomic_n(s, &l, 0, n, 0, &r);
	expect_invalid_at(&r, 12, 7);
	nx_conf_logout(s);
}

/* An LBA that is not a multiple of ATOMIC ALIGNMENT. */
static void test_atomic_misaligned(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;
	struct nx_conf_result r;
	uint32_t n;

	atomic_limits(s, &l);
	if (l.align < 2)
		NX_SKIP("no ATOMIC ALIGNMENT requirement");
	n = unit(l.gran);
	write_atomic_n(s, &l, LBA_BASE + 1, n, 0, &r);
	expect_invalid_at(&r, 2, 7);
	nx_conf_logout(s);
}

/* A TRANSFER LENGTH that is not a multiple of the granularity. */
static void test_atomic_granularity(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;
	struct nx_conf_result r;

	atomic_limits(s, &l);
	if (l.gran < 2)
		NX_SKIP("no ATOMIC TRANSFER LENGTH GRANULARITY requirement");
	write_atomic_n(s, &l, LBA_BASE, 1, 0, &r);
	expect_invalid_at(&r, 12, 7);
	nx_conf_logout(s);
}

/* MAXIMUM ATOMIC BOUNDARY SIZE 0: a non-zero ATOMIC BOUNDARY field is
 * not supported. */
static void test_atomic_boundary_unsupported(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;
	struct nx_conf_result r;
	uint32_t n;

	atomic_limits(s, &l);
	if (l.max_boundary != 0)
		NX_SKIP("atomic boundaries supported");
	n = unit(l.gran);
	write_atomic_n(s, &l, LBA_BASE, n, 1, &r);
	expect_invalid_at(&r, 11, 0);
	nx_conf_logout(s);
}

/* Past the last LBA (aligned, whole granules): LBA OUT OF RANGE; zero
 * blocks at LBA 0: GOOD. */
static void test_atomic_range(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;
	struct nx_conf_result r;
	uint32_t n;

	atomic_limits(s, &l);
	n = 2 * unit(l.gran);
	write_atomic_n(s, &l, l.blocks - l.blocks % unit(l.align), n, 0, &r);
	NX_EXPECT_LBA_OOB(&r);
	write_atomic(s, 0, 0, 0, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(s);
}

/* All or nothing: a READ of the range issued together with the atomic
 * write returns the old data or the new data, never a mix. */
static void test_atomic_concurrent_read(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct atomic_limits l;
	struct nx_conf_result r;
	struct nx_conf_async aw, ar;
	uint32_t n;

	atomic_limits(s, &l);
	n = NX_MIN(l.max_atomic, 64u) / unit(l.gran) * unit(l.gran);
	size_t len = (size_t)n * l.bs;
	uint8_t *old = sbc_buf(len), *neu = sbc_buf(len), *rd = sbc_buf(len);
	nx_conf_pattern(old, (uint32_t)len, LBA_BASE, 0x81);
	nx_conf_pattern(neu, (uint32_t)len, LBA_BASE, 0x82);
	nx_conf_write(s, LBA_BASE, n, old);
	uint8_t wcdb[16] = { 0x9c }, rcdb[16] = { 0x88 };
	nx_put_be64(wcdb + 2, LBA_BASE);
	nx_put_be16(wcdb + 12, (uint16_t)n);
	nx_put_be64(rcdb + 2, LBA_BASE);
	nx_put_be32(rcdb + 10, n);
	struct nx_conf_cmd w = { .lun_field = nx_ini_lun(nx_conf_lun()),
				 .cdb = wcdb, .attr = NX_INI_ATTR_SIMPLE,
				 .dir = NX_INI_DIR_WRITE, .buf = neu,
				 .len = (uint32_t)len };
	struct nx_conf_cmd c = { .lun_field = nx_ini_lun(nx_conf_lun()),
				 .cdb = rcdb, .attr = NX_INI_ATTR_SIMPLE,
				 .dir = NX_INI_DIR_READ, .buf = rd,
				 .len = (uint32_t)len };
	assert_int_equal(nx_conf_submit(s, &w, &aw), 0);
	assert_int_equal(nx_conf_submit(s, &c, &ar), 0);
	nx_conf_wait(s, &aw, &r);
	if (nx_conf_unsupported(&r)) {
		nx_conf_wait(s, &ar, &r);
		free(old);
		free(neu);
		free(rd);
	}
	NX_SKIP_IF_UNSUPPORTED(&r, "WRITE ATOMIC(16)");
	NX_EXPECT_GOOD(&r);
	nx_conf_wait(s, &ar, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_TRUE("READ saw all old or all new data",
		       !memcmp(rd, old, len) || !memcmp(rd, neu, len));
	free(old);
	free(neu);
	free(rd);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", atomic_block_limits, "SBC-4 6.6.4",
		     "Block Limits: MAXIMUM ATOMIC TRANSFER LENGTH <= MAXIMUM TRANSFER LENGTH, consistent granularity and boundary fields"),
	NX_CONF_TEST("sbc3", atomic_write_reads_back, "SBC-4 5.48",
		     "WRITE ATOMIC(16) with DPO and FUA: GOOD, the data reads back"),
	NX_CONF_TEST("sbc3", atomic_over_maximum, "SBC-4 5.48",
		     "TRANSFER LENGTH > MAXIMUM ATOMIC TRANSFER LENGTH: 05h/24h/00h at byte 12"),
	NX_CONF_TEST("sbc3", atomic_misaligned, "SBC-4 5.48",
		     "LBA not a multiple of ATOMIC ALIGNMENT: 05h/24h/00h at byte 2"),
	NX_CONF_TEST("sbc3", atomic_granularity, "SBC-4 5.48",
		     "TRANSFER LENGTH not a multiple of the granularity: 05h/24h/00h at byte 12"),
	NX_CONF_TEST("sbc3", atomic_boundary_unsupported, "SBC-4 5.48",
		     "ATOMIC BOUNDARY != 0 without atomic boundary support: 05h/24h/00h"),
	NX_CONF_TEST("sbc3", atomic_range, "SBC-4 5.48",
		     "WRITE ATOMIC past the last LBA: 05h/21h/00h; zero blocks: GOOD"),
	NX_CONF_TEST("sbc3", atomic_concurrent_read, "SBC-4 5.48",
		     "a READ racing a WRITE ATOMIC sees all old or all new data"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_atomic, tests);
