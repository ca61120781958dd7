/*
 * ini_fixture.h - a scripted fake target for the initiator's unit tests
 * (header-only: every *_test.c is its own program).
 *
 * The initiator's ops->send appends to ft.out; tests pull the PDUs it sent
 * with ft_next() (digests verified) and answer with ft_feed() (padding and
 * digests added, optionally fed in small chunks to exercise reassembly).
 */
#ifndef NX_INI_TEST_UTIL_H
#define NX_INI_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "initiator/ini_internal.h"

#define FT_UNUSED __attribute__((unused))
#define FT_DATA_MAX (1u << 20)

struct tpdu {
	uint8_t bhs[48];
	uint8_t ahs[1024];
	uint32_t ahs_len;
	uint8_t *data;              /* FT_DATA_MAX */
	uint32_t len;
};

struct ft {
	uint8_t *out;
	size_t out_len, out_cap, rd;
	int closes;
	bool hd, dd;                /* digests on the wire */
	size_t chunk;               /* feed chunk size, 0 = all at once */
	bool reserve;               /* send_reserve offers room (else NULL) */
	uint32_t reserved;          /* by the last send_reserve, 0 = none */
	unsigned commits;           /* send_commit calls */
	uint32_t statsn;            /* next StatSN */
	uint32_t exp_cmdsn, max_cmdsn;
	struct nx_ini_session *s;
	struct nx_ini_conn *c;
	struct tpdu p;
};

static void ft_room(struct ft *ft, size_t len)
{
	if (ft->out_len + len > ft->out_cap) {
		ft->out_cap = (ft->out_len + len) * 2 + 4096;
		ft->out = realloc(ft->out, ft->out_cap);
		assert_non_null(ft->out);
	}
}

static void ft_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct ft *ft = ctx;

	assert_int_equal(ft->reserved, 0);
	for (unsigned i = 0; i < n; i++) {
		ft_room(ft, iov[i].len);
		memcpy(ft->out + ft->out_len, iov[i].base, iov[i].len);
		ft->out_len += iov[i].len;
	}
}

static void ft_close(void *ctx)
{
	((struct ft *)ctx)->closes++;
}

/* Room at the tail of ft.out when ft.reserve, poisoned so that a byte
 * the initiator leaves unwritten shows. */
static uint8_t *ft_send_reserve(void *ctx, uint32_t len)
{
	struct ft *ft = ctx;

	assert_int_equal(ft->reserved, 0);
	assert_true(len > 0);
	if (!ft->reserve)
		return NULL;
	ft_room(ft, len);
	memset(ft->out + ft->out_len, 0xee, len);
	ft->reserved = len;
	return ft->out + ft->out_len;
}

static void ft_send_commit(void *ctx, uint32_t len)
{
	struct ft *ft = ctx;

	assert_int_equal(len, ft->reserved);
	ft->out_len += len;
	ft->reserved = 0;
	ft->commits++;
}

static FT_UNUSED const struct nx_ini_conn_ops ft_ops = {
	.send = ft_send, .close = ft_close,
	.send_reserve = ft_send_reserve, .send_commit = ft_send_commit,
};

static FT_UNUSED void ft_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static FT_UNUSED uint32_t ft_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static FT_UNUSED void ft_init(struct ft *ft, const struct nx_ini_config *cfg)
{
	memset(ft, 0, sizeof(*ft));
	ft->p.data = calloc(1, FT_DATA_MAX);
	ft->statsn = 0x100;
	ft->exp_cmdsn = cfg->initial_cmdsn;
	ft->max_cmdsn = cfg->initial_cmdsn + 31;
	ft->s = nx_ini_session_new(cfg);
	assert_non_null(ft->s);
	ft->c = nx_ini_conn_new(ft->s, 1, &ft_ops, ft);
	assert_non_null(ft->c);
}

static FT_UNUSED void ft_fini(struct ft *ft)
{
	nx_ini_conn_free(ft->c);
	nx_ini_session_free(ft->s);
	free(ft->out);
	free(ft->p.data);
}

/* Next PDU the initiator sent; false when nothing (complete) is left. */
static FT_UNUSED bool ft_next(struct ft *ft)
{
	struct tpdu *p = &ft->p;
	size_t avail = ft->out_len - ft->rd;
	const uint8_t *b = ft->out + ft->rd;
	uint32_t dsl, pad, off;

	if (avail < 48)
		return false;
	memcpy(p->bhs, b, 48);
	p->ahs_len = b[4] * 4u;
	dsl = nx_get_be24(b + 5);
	pad = (4 - (dsl & 3)) & 3;
	off = 48 + p->ahs_len;
	memcpy(p->ahs, b + 48, p->ahs_len);
	if (ft->hd) {
		assert_int_equal(ft_get_le32(b + off), nx_crc32c(0, b, off));
		off += 4;
	}
	assert_true(dsl <= FT_DATA_MAX);
	memcpy(p->data, b + off, dsl);
	p->len = dsl;
	if (dsl > 0) {
		for (uint32_t i = 0; i < pad; i++)
			assert_int_equal(b[off + dsl + i], 0);
		if (ft->dd)
			assert_int_equal(ft_get_le32(b + off + dsl + pad),
					 nx_crc32c(0, b + off, dsl + pad));
		off += dsl + pad + (ft->dd ? 4 : 0);
	}
	assert_true(off <= avail);
	ft->rd += off;
	return true;
}

static FT_UNUSED void ft_expect(struct ft *ft, uint8_t opcode)
{
	assert_true(ft_next(ft));
	assert_int_equal(ft->p.bhs[0] & 0x3f, opcode);
}

/* A response BHS with StatSN (consumed if advance), ExpCmdSN, MaxCmdSN. */
static FT_UNUSED void ft_bhs(struct ft *ft, uint8_t *bhs, uint8_t opcode,
			     uint32_t itt, bool advance)
{
	memset(bhs, 0, 48);
	bhs[0] = opcode;
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 20, 0xffffffff);
	nx_put_be32(bhs + 24, advance ? ft->statsn++ : ft->statsn);
	nx_put_be32(bhs + 28, ft->exp_cmdsn);
	nx_put_be32(bhs + 32, ft->max_cmdsn);
}

/* Serializes and feeds one PDU; returns nx_ini_conn_input's result. */
static FT_UNUSED int ft_feed_ahs(struct ft *ft, uint8_t *bhs, const uint8_t *ahs,
				 uint32_t ahs_len, const void *data,
				 uint32_t len)
{
	static uint8_t wire[FT_DATA_MAX + 2048];
	uint32_t n = 0, pad = (4 - (len & 3)) & 3;
	int rc = 0;

	bhs[4] = (uint8_t)(ahs_len / 4);
	nx_put_be24(bhs + 5, len);
	memcpy(wire, bhs, 48);
	n = 48;
	if (ahs_len > 0)
		memcpy(wire + n, ahs, ahs_len);
	n += ahs_len;
	if (ft->hd) {
		ft_put_le32(wire + n, nx_crc32c(0, wire, n));
		n += 4;
	}
	if (len > 0) {
		memcpy(wire + n, data, len);
		memset(wire + n + len, 0, pad);
		if (ft->dd)
			ft_put_le32(wire + n + len + pad,
				    nx_crc32c(0, wire + n, len + pad));
		n += len + pad + (ft->dd ? 4 : 0);
	}
	for (uint32_t off = 0; off < n && rc == 0;) {
		uint32_t step = ft->chunk != 0 ? (uint32_t)ft->chunk : n;

		step = step < n - off ? step : n - off;
		rc = nx_ini_conn_input(ft->c, wire + off, step);
		off += step;
	}
	return rc;
}

static FT_UNUSED int ft_feed(struct ft *ft, uint8_t *bhs, const void *data,
			     uint32_t len)
{
	return ft_feed_ahs(ft, bhs, NULL, 0, data, len);
}

/* "a=b\nc=d" -> "a=b\0c=d\0"; returns the length. */
static FT_UNUSED uint32_t ft_kv(char *buf, const char *lines)
{
	uint32_t n = 0;

	for (const char *p = lines; *p != '\0'; p++)
		buf[n++] = *p == '\n' ? '\0' : *p;
	if (n > 0)
		buf[n++] = '\0';
	return n;
}

/* Does the sent text contain exactly these pairs, in order? */
static FT_UNUSED void ft_assert_text(const struct tpdu *p, const char *lines)
{
	char want[8192];
	uint32_t n = ft_kv(want, lines);

	if (p->len != n || memcmp(p->data, want, n) != 0) {
		fprintf(stderr, "got  [");
		for (uint32_t i = 0; i < p->len; i++)
			fputc(p->data[i] ? p->data[i] : '|', stderr);
		fprintf(stderr, "]\nwant [");
		for (uint32_t i = 0; i < n; i++)
			fputc(want[i] ? want[i] : '|', stderr);
		fprintf(stderr, "]\n");
	}
	assert_int_equal(p->len, n);
	assert_memory_equal(p->data, want, n);
}

/* A Login Response to the request in ft->p. */
static FT_UNUSED int ft_login_rsp(struct ft *ft, uint8_t flags, uint16_t tsih,
				  const char *lines)
{
	uint8_t bhs[48];
	char text[8192];
	uint32_t n = ft_kv(text, lines);

	ft_bhs(ft, bhs, NX_ISCSI_OP_LOGIN_RSP, nx_get_be32(ft->p.bhs + 16), true);
	bhs[1] = flags;
	memcpy(bhs + 8, ft->p.bhs + 8, 6);
	nx_put_be16(bhs + 14, tsih);
	return ft_feed(ft, bhs, text, n);
}

static FT_UNUSED void ft_login_done(struct nx_ini_login *r)
{
	(*(int *)r->priv)++;
}

/* Drives a whole AuthMethod=None login; op_answers are the target's
 * answers to the operational keys.  Digests become active afterwards as
 * negotiated (ft->hd/dd follow the connection). */
static FT_UNUSED void ft_login(struct ft *ft, struct nx_ini_login *req,
			       const char *op_answers)
{
	static int fired;

	fired = 0;
	memset(req, 0, sizeof(*req));
	req->done = ft_login_done;
	req->priv = &fired;
	assert_int_equal(nx_ini_login(ft->c, req), 0);
	ft_expect(ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft_login_rsp(ft, 0x81, 0,
				      "AuthMethod=None\nTargetPortalGroupTag=1"), 0);
	ft_expect(ft, NX_ISCSI_OP_LOGIN_REQ);
	assert_int_equal(ft->p.bhs[1], 0x87);
	assert_int_equal(ft_login_rsp(ft, 0x87, 0x1234, op_answers), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(req->err, 0);
	assert_true(nx_ini_conn_is_ffp(ft->c));
	ft->hd = nx_ini_conn_params(ft->c)->header_digest;
	ft->dd = nx_ini_conn_params(ft->c)->data_digest;
}

#endif /* NX_INI_TEST_UTIL_H */
