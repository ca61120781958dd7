/*
 * fuzz_pdu.c - iSCSI PDU framing in full feature phase: BHS, AHS, header
 * and data digests, padding, every opcode's header fields (RFC 7143 11).
 *
 * Input:  byte 0  mode: bit 0 HeaderDigest=CRC32C, bit 1 DataDigest=CRC32C,
 *                 bit 2 "framed", bit 3 corrupt the digests of framed PDUs
 *         byte 1  feed chunk size - 1 (bit 7 clear: the whole input at once)
 *         rest    raw mode: bytes fed as they are after a harness login;
 *                 framed mode: a sequence of BHS(48) + AHS + data whose
 *                 lengths the harness trims to the input and whose digests
 *                 it computes, so mutations reach the opcode handlers even
 *                 with digests on.
 * The AHS parser is also called directly on the bytes after the mode
 * bytes (RFC 7143 11.2.1.4 walk).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"

#define FRAMED_PDUS_MAX 64

static void ahs_direct(const uint8_t *data, size_t size)
{
	struct nx_iscsi_ahs_info info;
	uint32_t len = (uint32_t)NX_MIN(size, (size_t)NX_ISCSI_AHS_MAX) & ~3u;
	uint8_t *copy = malloc(len + 1);

	/* an exact-size heap copy lets ASan see any over-read */
	fz_check(copy != NULL);
	memcpy(copy, data, len);
	if (nx_iscsi_ahs_parse(copy, len, &info) == 0) {
		fz_check(info.ext_cdb_len <= len);
		fz_check(info.ext_cdb_len == 0 ||
			 (info.ext_cdb >= copy && info.ext_cdb + info.ext_cdb_len <= copy + len));
	}
	free(copy);
}

/* One framed PDU from data: returns the input bytes it consumed. */
static size_t framed_one(struct fz_iscsi *f, const uint8_t *data, size_t size,
			 uint8_t *buf, size_t cap, bool corrupt)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN] = { 0 };
	size_t used = NX_MIN(size, (size_t)NX_ISCSI_BHS_LEN);
	uint32_t ahs_len, dlen;
	size_t n;

	memcpy(bhs, data, used);
	ahs_len = NX_MIN((uint32_t)bhs[4] * 4u, (uint32_t)((size - used) & ~3u));
	dlen = NX_MIN(nx_pdu_dsl(bhs), (uint32_t)(size - used - ahs_len));
	n = fz_pdu_build(buf, cap, bhs, data + used, ahs_len, data + used + ahs_len,
			 dlen, f->hd, f->dd);
	fz_check(n > 0);
	if (corrupt && n > NX_ISCSI_BHS_LEN)
		buf[n - 1] ^= 0x5a; /* last digest byte (or data if none) */
	fz_iscsi_feed(f, buf, n, 0);
	used += ahs_len + dlen;
	/* the harness adds the padding: the input carries none */
	return used;
}

static void framed(struct fz_iscsi *f, const uint8_t *data, size_t size,
		   bool corrupt)
{
	size_t cap = NX_ISCSI_BHS_LEN + NX_ISCSI_AHS_MAX + size + 16;
	uint8_t *buf = malloc(cap);

	fz_check(buf != NULL);
	for (unsigned i = 0; i < FRAMED_PDUS_MAX && size > 0 && !f->close_called;
	     i++) {
		size_t used = framed_one(f, data, size, buf, cap, corrupt);

		data += used;
		size -= used;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_iscsi f;
	uint8_t mode, chunk;

	if (size < 2)
		return 0;
	mode = data[0];
	chunk = data[1];
	data += 2;
	size -= 2;
	fz_platform_reset();
	ahs_direct(data, size);
	fz_iscsi_open(&f, FZ_AUTH_NONE);
	if (!fz_iscsi_login(&f, mode & 1, (mode & 2) != 0))
		fz_fail("harness login failed");
	if (mode & 4)
		framed(&f, data, size, (mode & 8) != 0);
	else
		fz_iscsi_feed(&f, data, size, chunk & 0x80 ? (chunk & 0x7f) + 1u : 0);
	fz_iscsi_close(&f);
	fz_platform_done();
	return 0;
}
