/*
 * fuzz_mode_select.c - MODE SELECT(6)/(10) parameter lists (SPC-4 6.11,
 * 6.12): mode parameter header, block descriptors (short and long LBA),
 * page walk and per-page decoders, the changeable mask check, saved pages
 * (SP=1), then MODE SENSE of every page in every page control so what was
 * committed is encoded back, and a WRITE/READ through the new settings
 * (D_SENSE, WCE, SWP change what those answer).
 *
 * Input:  byte 0  bit 0 MODE SELECT(10) (else (6)), bit 1 PF, bit 2 SP,
 *                 bit 3 PARAMETER LIST LENGTH from byte 1 (else the
 *                 list's length), bit 4 4096-byte blocks, bit 5 nexus 1
 *         byte 1  parameter list length when bit 3 is set
 *         rest    the parameter list (data-out)
 */
#include <string.h>

#include "fuzz/fuzz_common.h"

static void run(struct fz_core *fc, unsigned nexus, const uint8_t *cdb,
		uint8_t cdb_len, const uint8_t *dout, size_t dout_len)
{
	struct fz_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.nexus = nexus;
	cmd.lun = fz_pick_lun(0);
	cmd.cdb = cdb;
	cmd.cdb_len = cdb_len;
	cmd.dout = dout;
	cmd.dout_len = dout_len;
	cmd.expected_len = (uint32_t)dout_len;
	fz_core_run(fc, &cmd);
}

static void select_list(struct fz_core *fc, uint8_t mode, uint8_t len_byte,
			const uint8_t *list, size_t n)
{
	uint8_t cdb[10] = { 0 };
	uint32_t len = mode & 8 ? len_byte : (uint32_t)NX_MIN(n, (size_t)0xffff);
	unsigned nexus = (mode >> 5) & 1;

	cdb[1] = (uint8_t)((mode & 2 ? 0x10 : 0) | (mode & 4 ? 0x01 : 0));
	if (mode & 1) {
		cdb[0] = 0x55;
		nx_put_be16(cdb + 7, (uint16_t)len);
		run(fc, nexus, cdb, 10, list, n);
	} else {
		cdb[0] = 0x15;
		cdb[4] = (uint8_t)NX_MIN(len, 0xffu);
		run(fc, nexus, cdb, 6, list, n);
	}
}

/* MODE SENSE(10) of all pages and subpages in each page control. */
static void sense_back(struct fz_core *fc)
{
	for (unsigned pc = 0; pc < 4; pc++) {
		uint8_t cdb[10] = { 0x5a, 0x10, (uint8_t)(pc << 6 | 0x3f), 0xff };

		nx_put_be16(cdb + 7, 512);
		run(fc, 0, cdb, 10, NULL, 0);
		run(fc, 1, cdb, 10, NULL, 0);
	}
}

static void io_after(struct fz_core *fc, uint32_t block)
{
	static const uint8_t wr[10] = { 0x2a, 0x08, 0, 0, 0, 1, 0, 0, 1, 0 };
	static const uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0 };
	static const uint8_t bad[6] = { 0x12, 0xff, 0, 0, 0, 0 };
	uint8_t blk[4096];

	memset(blk, 0xa5, sizeof(blk));
	run(fc, 0, wr, 10, blk, block);
	run(fc, 1, rd, 10, NULL, 0);
	run(fc, 0, bad, 6, NULL, 0); /* sense in the (maybe new) format */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_core fc;
	uint32_t block;

	if (size < 2)
		return 0;
	fz_platform_reset();
	block = data[0] & 0x10 ? 4096 : 512;
	fz_core_open(&fc, block, FZ_LU_BYTES, false);
	fz_core_clear_ua(&fc);
	select_list(&fc, data[0], data[1], data + 2, size - 2);
	sense_back(&fc);
	io_after(&fc, block);
	fz_core_close(&fc);
	return 0;
}
