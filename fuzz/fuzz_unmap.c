/*
 * fuzz_unmap.c - UNMAP parameter lists (SBC-3 5.28: header lengths,
 * block descriptors, descriptor count and LBA count limits) and WRITE
 * SAME(10)/(16) with UNMAP/ANCHOR/NDOB (SBC-3 5.45, 5.47) on the thin RAM
 * LU, followed by GET LBA STATUS (SBC-3 5.16) and a READ of the affected
 * range so the mapping state left behind is read back.
 *
 * Input:  byte 0  bits 1..0 command: 0/1 UNMAP, 2 WRITE SAME(10),
 *                 3 WRITE SAME(16); bit 2 ANCHOR, bit 3 UNMAP (WRITE
 *                 SAME), bit 4 NDOB (WRITE SAME(16)), bit 5 4096-byte
 *                 blocks, bit 6 PARAMETER LIST LENGTH from bytes 1..2
 *                 (UNMAP; else the list's length)
 *         bytes 1..2  parameter list length (UNMAP) / NUMBER OF LOGICAL
 *                 BLOCKS (WRITE SAME)
 *         bytes 3..6  LBA (WRITE SAME; also where GET LBA STATUS starts)
 *         rest    the parameter list / the WRITE SAME block
 */
#include <string.h>

#include "fuzz/fuzz_common.h"

static void run(struct fz_core *fc, const uint8_t *cdb, uint8_t cdb_len,
		const uint8_t *dout, size_t dout_len)
{
	struct fz_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.lun = fz_pick_lun(0);
	cmd.cdb = cdb;
	cmd.cdb_len = cdb_len;
	cmd.dout = dout;
	cmd.dout_len = dout_len;
	cmd.expected_len = (uint32_t)dout_len;
	fz_core_run(fc, &cmd);
}

static void unmap(struct fz_core *fc, const uint8_t *in, const uint8_t *list,
		  size_t n)
{
	uint8_t cdb[10] = { 0x42, (uint8_t)(in[0] & 4 ? 1 : 0) };
	uint16_t len = in[0] & 0x40 ? nx_get_be16(in + 1)
				    : (uint16_t)NX_MIN(n, (size_t)0xffff);

	nx_put_be16(cdb + 7, len);
	run(fc, cdb, 10, list, n);
}

static void write_same(struct fz_core *fc, const uint8_t *in,
		       const uint8_t *blk, size_t n)
{
	uint8_t cdb[16] = { 0 };
	uint8_t flags = (uint8_t)((in[0] & 4 ? 0x10 : 0) | (in[0] & 8 ? 0x08 : 0));
	uint32_t lba = nx_get_be32(in + 3);

	if ((in[0] & 3) == 2) {
		cdb[0] = 0x41;
		cdb[1] = flags;
		nx_put_be32(cdb + 2, lba);
		nx_put_be16(cdb + 7, nx_get_be16(in + 1));
		run(fc, cdb, 10, blk, n);
		return;
	}
	cdb[0] = 0x93;
	cdb[1] = (uint8_t)(flags | (in[0] & 0x10 ? 0x01 : 0));
	nx_put_be64(cdb + 2, lba);
	nx_put_be32(cdb + 10, nx_get_be16(in + 1));
	run(fc, cdb, 16, blk, n);
}

static void read_back(struct fz_core *fc, uint32_t lba)
{
	uint8_t gls[16] = { 0x9e, 0x12 };
	uint8_t rd[10] = { 0x28 };

	nx_put_be64(gls + 2, lba);
	nx_put_be32(gls + 10, 4096);
	run(fc, gls, 16, NULL, 0);
	nx_put_be32(rd + 2, lba);
	nx_put_be16(rd + 7, 8);
	run(fc, rd, 10, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_core fc;

	if (size < 7)
		return 0;
	fz_platform_reset();
	fz_core_open(&fc, data[0] & 0x20 ? 4096 : 512, FZ_LU_BYTES, false);
	fz_core_clear_ua(&fc);
	if ((data[0] & 3) < 2)
		unmap(&fc, data, data + 7, size - 7);
	else
		write_same(&fc, data, data + 7, size - 7);
	read_back(&fc, nx_get_be32(data + 3));
	fz_core_close(&fc);
	return 0;
}
