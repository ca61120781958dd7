/*
 * capacity.c - READ CAPACITY(10) (SBC-3 5.15) and READ CAPACITY(16)
 * (SBC-3 5.16).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

/* The capacity the backend promised, if it knows it. */
static void check_known(uint64_t blocks, uint32_t bs)
{
	const struct nx_conf_target *t = nx_conf_target();

	if (t->blocks != 0)
		NX_EXPECT_EQ("capacity in blocks", blocks, t->blocks);
	if (t->block_size != 0)
		NX_EXPECT_EQ("block length", bs, t->block_size);
}

/* RETURNED LOGICAL BLOCK ADDRESS = last LBA; no protection information
 * (P_TYPE/PROT_EN 0, nothing formats with it); bytes 16-31 reserved. */
static void test_read_capacity16_data(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16] = { 0x9e, 0x10 }, d[32], zero[16] = { 0 };
	struct nx_conf_result r;

	nx_put_be32(cdb + 10, sizeof(d));
	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 32);
	check_known(nx_get_be64(d) + 1, nx_get_be32(d + 8));
	NX_EXPECT_TRUE("LOGICAL BLOCK LENGTH 512..65536",
		       nx_get_be32(d + 8) >= 512 && nx_get_be32(d + 8) <= 65536);
	NX_EXPECT_EQ("P_TYPE/PROT_EN (no protection)", d[12] & 0x0f, 0);
	NX_EXPECT_BYTES(d + 16, zero, 16);
	nx_conf_logout(s);
}

/* Same last LBA and block length as READ CAPACITY(16); FFFFFFFFh when
 * the last LBA does not fit 32 bits. */
static void test_read_capacity10_data(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[10] = { 0x25 }, d[8];
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;

	nx_conf_capacity(s, &blocks, &bs);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 8);
	NX_EXPECT_EQ("RETURNED LOGICAL BLOCK ADDRESS", nx_get_be32(d),
		     blocks - 1 > 0xffffffffull ? 0xffffffffull : blocks - 1);
	NX_EXPECT_EQ("BLOCK LENGTH IN BYTES", nx_get_be32(d + 4), bs);
	nx_conf_logout(s);
}

/* SBC-3 5.15: PMI=0 with a non-zero LOGICAL BLOCK ADDRESS is an error. */
static void test_read_capacity10_pmi0_lba(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[10] = { 0x25, 0, 0, 0, 0, 1 }, d[8];
	struct nx_conf_result r;

	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_logout(s);
}

/* SPC-4 4.2.5.6: allocation length 12 returns the first 12 bytes. */
static void test_read_capacity16_alloc_len(void **state)
{
	struct nx_conf_sess *s = nx_conf_login_clear(0);
	uint8_t cdb[16] = { 0x9e, 0x10 }, full[32], d[12];
	struct nx_conf_result r;

	nx_put_be32(cdb + 10, sizeof(full));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, full, sizeof(full), &r);
	NX_EXPECT_GOOD(&r);
	nx_put_be32(cdb + 10, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 12);
	NX_EXPECT_BYTES(d, full, 12);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", read_capacity16_data, "SBC-3 5.16",
		     "READ CAPACITY(16): last LBA and block length exact, reserved bytes zero"),
	NX_CONF_TEST("sbc3", read_capacity10_data, "SBC-3 5.15",
		     "READ CAPACITY(10) agrees with READ CAPACITY(16) (FFFFFFFFh if larger)"),
	NX_CONF_TEST("sbc3", read_capacity10_pmi0_lba, "SBC-3 5.15",
		     "PMI=0 with LBA != 0: CHECK CONDITION ILLEGAL REQUEST 24h/00h"),
	NX_CONF_TEST("sbc3", read_capacity16_alloc_len, "SBC-3 5.16",
		     "READ CAPACITY(16) allocation length 12 returns the first 12 bytes"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_capacity, tests);
