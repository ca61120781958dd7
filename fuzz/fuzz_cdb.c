/*
 * fuzz_cdb.c - CDB dispatch through the whole SCSI core: opcode table
 * lookup, reserved-bit (CDB usage) checks, every parser and executor of
 * SPC-4 / SBC-3, data-out parameter lists, the task set, UAs and TMFs,
 * on a RAM LU (LUN 0), a null LU (LUN 1), an absent LUN and the REPORT
 * LUNS well-known LUN, from two I_T nexuses.
 *
 * Input:  byte 0  LU configuration: bit 0 4096-byte blocks (else 512),
 *                 bit 1 LU 0 read-only, bit 2 keep the power-on UA
 *         then records separated by FZ_SEP:
 *           byte 0  bits 2..0 LUN (fz_pick_lun), bit 3 nexus, bits 5..4
 *                   task attribute, bit 6 a TMF instead of a command
 *           command: byte 1 CDB length (1..32), then the CDB, then the
 *                    data-out bytes (EDTL = their count; the core's
 *                    buffer is zero-padded if they are short)
 *           TMF:     byte 1 function (enum nx_tmf_fn), on the last tag
 */
#include <string.h>

#include "fuzz/fuzz_common.h"

#define RECORDS_MAX 16

static void cdb_record(struct fz_core *fc, const uint8_t *d, size_t n)
{
	struct fz_cmd cmd;
	uint8_t cdb[NX_CDB_MAX] = { 0 };
	uint8_t ctl = d[0];

	if (n < 2)
		return;
	if (ctl & 0x40) {
		fz_core_tmf(fc, (ctl >> 3) & 1,
			    (enum nx_tmf_fn)(1 + d[1] % NX_TMF_QUERY_ASYNC_EVENT),
			    fz_pick_lun(ctl), fc->tag);
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.cdb_len = (uint8_t)(1 + (d[1] - 1u) % NX_CDB_MAX);
	memcpy(cdb, d + 2, NX_MIN((size_t)cmd.cdb_len, n - 2));
	cmd.cdb = cdb;
	cmd.nexus = (ctl >> 3) & 1;
	cmd.lun = fz_pick_lun(ctl);
	cmd.attr = (enum nx_task_attr)((ctl >> 4) & 3);
	if (n > 2u + cmd.cdb_len) {
		cmd.dout = d + 2 + cmd.cdb_len;
		cmd.dout_len = n - 2 - cmd.cdb_len;
	}
	cmd.expected_len = (uint32_t)cmd.dout_len;
	fz_core_run(fc, &cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_core fc;
	const uint8_t *end = data + size;

	if (size < 3)
		return 0;
	fz_platform_reset();
	fz_core_open(&fc, data[0] & 1 ? 4096 : 512, FZ_LU_BYTES,
		     (data[0] & 2) != 0);
	if (!(data[0] & 4))
		fz_core_clear_ua(&fc);
	data++;
	for (unsigned i = 0; i < RECORDS_MAX && data < end; i++) {
		const uint8_t *sep = memmem(data, (size_t)(end - data), FZ_SEP,
					    FZ_SEP_LEN);
		const uint8_t *rec_end = sep != NULL ? sep : end;

		cdb_record(&fc, data, (size_t)(rec_end - data));
		data = sep != NULL ? sep + FZ_SEP_LEN : end;
	}
	fz_core_close(&fc);
	fz_platform_done();
	return 0;
}
