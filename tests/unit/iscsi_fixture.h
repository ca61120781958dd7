/*
 * iscsi_fixture.h - fixture for the unit tests of the connection machinery
 * (conn_test.c, scsi_test.c); test-only, never included by the transport.
 *
 * A real stack: a target with LU 0 on a 1 MiB RAM backstore, a server,
 * one connection whose embedder side records every byte sent and whether
 * close was asked for.  Helpers build PDUs (with digests when in effect),
 * feed them in arbitrary chunkings, run a real login (login.c) and parse
 * what the target sent back PDU by PDU.
 */
#ifndef NX_ISCSI_TESTLIB_H
#define NX_ISCSI_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transports/iscsi/conn_internal.h"

#define TL static __attribute__((unused))

#define FX_TARGET "iqn.2024-01.org.nexus:t1"
#define FX_INITIATOR "iqn.2024-01.org.test:init"
#define FX_BLOCK 512u

struct fx {
	struct nx_target *tgt;
	struct nx_iscsi_server *srv;
	struct nx_iscsi_conn *c;
	uint8_t *out;
	size_t out_len, out_cap, out_pos;
	unsigned sends;
	bool close_called;
	bool released;
	bool hd, dd;          /* digests in effect after login */
	uint32_t cmdsn;       /* next CmdSN to use */
	uint32_t itt;         /* next ITT to use */
	uint32_t exp_statsn;
	size_t chunk;         /* feed granularity (0: all at once) */
};

/* A PDU the target sent. */
struct rpdu {
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	uint8_t *data;        /* points into fx.out */
	uint32_t dsl;
};

TL void fx_send(void *ctx, const struct nx_iovec *iov, unsigned iovcnt)
{
	struct fx *f = ctx;

	f->sends++;
	for (unsigned i = 0; i < iovcnt; i++) {
		if (f->out_len + iov[i].len > f->out_cap) {
			f->out_cap = (f->out_len + iov[i].len) * 2 + 4096;
			f->out = realloc(f->out, f->out_cap);
			assert_non_null(f->out);
		}
		memcpy(f->out + f->out_len, iov[i].base, iov[i].len);
		f->out_len += iov[i].len;
	}
}

TL void fx_close(void *ctx)
{
	struct fx *f = ctx;

	f->close_called = true;
}

TL void fx_release(void *ctx)
{
	struct fx *f = ctx;

	f->released = true;
}

static const struct nx_iscsi_conn_ops fx_ops = {
	.send = fx_send,
	.close = fx_close,
};

/* The first half of fx_init: f cleared, f->tgt with LU 0 on bs, cfg the
 * server of fx_init (one portal, TPGT 1, that one target).  A test that
 * wants other limits or targets edits cfg, then calls fx_start. */
TL void fx_config(struct fx *f, struct nx_iscsi_server_config *cfg,
		  struct nx_backstore *bs)
{
	struct nx_lu_config lu = { .lun = 0, .block_size = FX_BLOCK };

	memset(f, 0, sizeof(*f));
	f->tgt = nx_target_new(FX_TARGET);
	assert_non_null(f->tgt);
	assert_int_equal(nx_target_add_lu(f->tgt, &lu, bs), 0);
	memset(cfg, 0, sizeof(*cfg));
	cfg->portals[0] = "127.0.0.1:3260";
	cfg->portal_count = 1;
	cfg->tpgt = 1;
	cfg->targets[0].target = f->tgt;
	cfg->target_count = 1;
}

/* The second half: the server of cfg and one connection from peer. */
TL void fx_start(struct fx *f, const struct nx_iscsi_server_config *cfg,
		 const char *peer)
{
	f->srv = nx_iscsi_server_new(cfg);
	assert_non_null(f->srv);
	f->c = nx_iscsi_conn_new(f->srv, &fx_ops, f, peer, "local");
	assert_non_null(f->c);
	f->cmdsn = 1;
	f->itt = 0x100;
}

TL void fx_init(struct fx *f)
{
	struct nx_iscsi_server_config cfg;

	fx_config(f, &cfg, nx_bs_ram_new(1u << 20));
	fx_start(f, &cfg, "peer");
}

TL void fx_fini(struct fx *f)
{
	if (f->c != NULL && !f->released)
		nx_iscsi_conn_closed(f->c, fx_release, f);
	assert_true(f->released);
	nx_iscsi_server_free(f->srv);
	nx_target_free(f->tgt);
	free(f->out);
}

/* Serializes a PDU: bhs (its DSL set from dlen), digests as in effect. */
TL size_t fx_build(const struct fx *f, uint8_t *buf, uint8_t *bhs,
		   const void *data, uint32_t dlen)
{
	size_t n = 0;
	uint32_t padded = nx_iscsi_pad4(dlen);

	nx_put_be24(bhs + 5, dlen);
	memcpy(buf, bhs, NX_ISCSI_BHS_LEN + bhs[4] * 4u);
	n = NX_ISCSI_BHS_LEN + bhs[4] * 4u;
	if (f->hd) {
		nx_iscsi_digest_put(buf + n, nx_crc32c(0, buf, n));
		n += 4;
	}
	if (dlen > 0) {
		memcpy(buf + n, data, dlen);
		memset(buf + n + dlen, 0, padded - dlen);
		if (f->dd) {
			nx_iscsi_digest_put(buf + n + padded,
					    nx_crc32c(0, buf + n, padded));
			n += 4;
		}
		n += padded;
	}
	return n;
}

/* Feeds bytes in chunks of f->chunk (0: at once); returns the last rc. */
TL int fx_feed_raw(struct fx *f, const uint8_t *buf, size_t len)
{
	int rc = 0;
	size_t off = 0;

	while (off < len && rc == 0 && !f->released) {
		size_t n = f->chunk == 0 ? len - off : NX_MIN(f->chunk, len - off);

		rc = nx_iscsi_conn_input(f->c, buf + off, n);
		off += n;
	}
	return rc;
}

TL int fx_feed(struct fx *f, uint8_t *bhs, const void *data, uint32_t dlen)
{
	uint8_t *buf = malloc(NX_ISCSI_BHS_LEN + 1024 + dlen + 16);
	size_t n;
	int rc;

	assert_non_null(buf);
	n = fx_build(f, buf, bhs, data, dlen);
	rc = fx_feed_raw(f, buf, n);
	free(buf);
	return rc;
}

/* Next PDU the target sent; false when none is left.  Digests are
 * checked when in effect. */
TL bool fx_next(struct fx *f, struct rpdu *p)
{
	size_t n = f->out_pos;

	if (n == f->out_len)
		return false;
	assert_true(f->out_len - n >= NX_ISCSI_BHS_LEN);
	memcpy(p->bhs, f->out + n, NX_ISCSI_BHS_LEN);
	assert_int_equal(p->bhs[4], 0);
	n += NX_ISCSI_BHS_LEN;
	if (f->hd) {
		assert_true(nx_iscsi_digest_ok(f->out + n,
					       nx_crc32c(0, p->bhs, NX_ISCSI_BHS_LEN)));
		n += 4;
	}
	p->dsl = nx_pdu_dsl(p->bhs);
	p->data = p->dsl > 0 ? f->out + n : NULL;
	if (p->dsl > 0) {
		uint32_t padded = nx_iscsi_pad4(p->dsl);

		assert_true(f->out_len - n >= padded);
		for (uint32_t i = p->dsl; i < padded; i++)
			assert_int_equal(f->out[n + i], 0);
		n += padded;
		if (f->dd) {
			assert_true(nx_iscsi_digest_ok(f->out + n,
						       nx_crc32c(0, p->data, padded)));
			n += 4;
		}
	}
	assert_true(n <= f->out_len);
	f->out_pos = n;
	return true;
}

TL void fx_expect_none(struct fx *f)
{
	struct rpdu p;

	assert_false(fx_next(f, &p));
}

/* Login: one request, operational stage straight to full feature phase
 * (RFC 7143 6.3: security negotiation may be skipped).  extra: more
 * "key=value" strings.  Checks the response and learns the digests. */
TL void fx_login_keys(struct fx *f, const char *const *extra, unsigned n_extra)
{
	static const char *const base[] = {
		"InitiatorName=" FX_INITIATOR, "TargetName=" FX_TARGET,
		"SessionType=Normal",
	};
	char text[2048];
	size_t len = 0;
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;

	for (unsigned i = 0; i < NX_ARRAY_SIZE(base) + n_extra; i++) {
		const char *kv = i < NX_ARRAY_SIZE(base) ? base[i]
							 : extra[i - NX_ARRAY_SIZE(base)];
		size_t l = strlen(kv) + 1;

		memcpy(text + len, kv, l);
		len += l;
		if (strcmp(kv, "HeaderDigest=CRC32C") == 0)
			f->hd = true;
		if (strcmp(kv, "DataDigest=CRC32C") == 0)
			f->dd = true;
	}
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = 0x40 | NX_ISCSI_OP_LOGIN_REQ;
	bhs[1] = 0x80 | (1 << 2) | 3; /* T, CSG operational, NSG FFP */
	memcpy(bhs + 8, "\x80\x00\x00\x01\x02\x03", 6); /* ISID */
	nx_put_be32(bhs + 16, 0x7777);
	nx_put_be32(bhs + 24, f->cmdsn);
	nx_put_be32(bhs + 28, 0x1000); /* ExpStatSN: StatSN starts here */
	{
		bool hd = f->hd, dd = f->dd;

		f->hd = f->dd = false; /* login PDUs carry no digests */
		assert_int_equal(fx_feed(f, bhs, text, (uint32_t)len), 0);
		assert_true(fx_next(f, &p));
		f->hd = hd;
		f->dd = dd;
	}
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_LOGIN_RSP);
	assert_int_equal(p.bhs[1] & 0x83, 0x83);       /* T, NSG = FFP */
	assert_int_equal(nx_get_be16(p.bhs + 36), 0);  /* success */
	assert_int_not_equal(nx_get_be16(p.bhs + 14), 0); /* TSIH */
	assert_int_equal(nx_get_be32(p.bhs + 24), 0x1000);
	assert_int_equal(nx_get_be32(p.bhs + 28), f->cmdsn);
	f->exp_statsn = 0x1001;
	fx_expect_none(f);
	f->out_pos = f->out_len = 0;
}

TL void fx_login(struct fx *f)
{
	static const char *const keys[] = {
		"HeaderDigest=None", "DataDigest=None", "InitialR2T=No",
		"ImmediateData=Yes", "MaxRecvDataSegmentLength=8192",
		"FirstBurstLength=65536", "MaxBurstLength=262144",
	};

	fx_login_keys(f, keys, NX_ARRAY_SIZE(keys));
}

/* A BHS for an initiator PDU: opcode (| 0x40 for immediate), flags,
 * LUN 0, a fresh ITT, CmdSN (advanced unless immediate), ExpStatSN. */
TL void fx_bhs(struct fx *f, uint8_t *bhs, uint8_t op, uint8_t flags)
{
	memset(bhs, 0, NX_ISCSI_BHS_LEN);
	bhs[0] = op;
	bhs[1] = flags;
	nx_put_be32(bhs + 16, f->itt++);
	nx_put_be32(bhs + 24, f->cmdsn);
	/* Only command PDUs (opcodes 0x00-0x04, 0x06) carry a CmdSN. */
	if (!(op & 0x40) && ((op & 0x3f) <= NX_ISCSI_OP_TEXT_REQ ||
			     (op & 0x3f) == NX_ISCSI_OP_LOGOUT_REQ))
		f->cmdsn++;
	nx_put_be32(bhs + 28, f->exp_statsn);
}

/* Checks the StatSN of a response that carries one and advances. */
TL void fx_check_statsn(struct fx *f, const struct rpdu *p)
{
	assert_int_equal(nx_get_be32(p->bhs + 24), f->exp_statsn);
	f->exp_statsn++;
}

#endif /* NX_ISCSI_TESTLIB_H */
