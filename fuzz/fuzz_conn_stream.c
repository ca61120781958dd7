/*
 * fuzz_conn_stream.c - the whole iSCSI connection state machine fed one
 * arbitrary byte stream: login (any stage, CHAP), full feature phase
 * (SCSI commands with immediate, unsolicited and solicited data, R2T,
 * NOP, TMF, Text, SNACK) and logout, against RAM and null LUs, through
 * the real transport and the real SCSI core.
 *
 * Input:  byte 0  configuration: enum fz_auth (mod FZ_AUTH_COUNT)
 *         byte 1  feed chunk size (0: the whole stream at once), so the
 *                 receive state machine sees PDUs split anywhere
 *         rest    the initiator -> target byte stream
 * Seeds are captured initiator traffic (fuzz/gen_corpus.c drives the
 * initiator library against the target in-process): a valid login prefix
 * gets the fuzzer into full feature phase at once.  Everything the target
 * does is deterministic (TTTs, TSIHs, the CHAP challenge from the fixed
 * seed), so the captured stream stays valid when replayed here.
 */
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_iscsi f;

	if (size < 2)
		return 0;
	fz_platform_reset();
	fz_iscsi_open(&f, (enum fz_auth)(data[0] % FZ_AUTH_COUNT));
	fz_iscsi_feed(&f, data + 2, size - 2, data[1]);
	fz_iscsi_close(&f);
	fz_platform_done();
	return 0;
}
