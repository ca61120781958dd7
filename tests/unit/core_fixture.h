/*
 * core_fixture.h - fixture for the unit tests of dispatch.c, sense.c,
 * sbc.c, ua.c and tmf.c (test-only; included by *_test.c, never by the
 * core).
 *
 * A fake backstore (RAM, 1 MiB by default) that completes inline, or, in
 * deferred mode, queues I/Os until the test calls fb_complete_all(); it can
 * fail the next I/O with an error.  A target with LU 0 on it, nexuses whose
 * task_done records every completion, and helpers that submit a CDB the way
 * a transport does (init, setup, fill data-out, execute).
 */
#ifndef NX_CORE_TESTLIB_H
#define NX_CORE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/scsi_internal.h"

#define TL static __attribute__((unused))

/* ---- fake backstore ------------------------------------------------------- */

#define FB_MAX_PENDING 64

struct fake_bs {
	struct nx_backstore bs;
	uint8_t *mem;
	uint8_t *mapped; /* one byte per 512-byte sector */
	bool deferred;
	int fail_next;   /* error for the next submitted I/O (0: none) */
	bool refuse_next;
	struct nx_bs_io *pending[FB_MAX_PENDING];
	unsigned npending;
	unsigned nsubmit;
	unsigned last_flags;
	enum nx_bs_op last_op;
};

TL struct fake_bs *fb_of(struct nx_backstore *bs)
{
	return (struct fake_bs *)bs;
}

TL void fb_do(struct fake_bs *f, struct nx_bs_io *io)
{
	uint64_t s0 = io->offset >> 9, ns = io->len >> 9;

	switch (io->op) {
	case NX_BS_READ:
		memcpy(io->buf, f->mem + io->offset, io->len);
		break;
	case NX_BS_WRITE:
		memcpy(f->mem + io->offset, io->buf, io->len);
		memset(f->mapped + s0, 1, ns);
		break;
	case NX_BS_UNMAP:
		memset(f->mem + io->offset, 0, io->len);
		memset(f->mapped + s0, 0, ns);
		break;
	case NX_BS_SYNC:
		break;
	}
}

TL int fb_submit(struct nx_backstore *bs, struct nx_bs_io *io)
{
	struct fake_bs *f = fb_of(bs);

	f->nsubmit++;
	f->last_flags = io->flags;
	f->last_op = io->op;
	if (f->refuse_next) {
		f->refuse_next = false;
		return NX_EIO;
	}
	assert_true(io->offset + io->len <= bs->size_bytes);
	io->err = f->fail_next;
	f->fail_next = 0;
	if (io->err == 0)
		fb_do(f, io);
	if (f->deferred) {
		assert_true(f->npending < FB_MAX_PENDING);
		f->pending[f->npending++] = io;
		return 0;
	}
	io->done(io);
	return 0;
}

TL bool fb_mapped(struct nx_backstore *bs, uint64_t offset)
{
	return fb_of(bs)->mapped[offset >> 9] != 0;
}

TL void fb_destroy(struct nx_backstore *bs)
{
	struct fake_bs *f = fb_of(bs);

	free(f->mem);
	free(f->mapped);
	free(f);
}

TL const struct nx_backstore_ops fb_ops = {
	.name = "fake",
	.submit = fb_submit,
	.mapped = fb_mapped,
	.destroy = fb_destroy,
};

TL struct fake_bs *fb_new(uint64_t size, bool thin)
{
	struct fake_bs *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->bs.ops = &fb_ops;
	f->bs.size_bytes = size;
	f->bs.thin = thin;
	f->bs.write_cache = true;
	f->mem = calloc(1, size);
	f->mapped = calloc(1, size >> 9);
	assert_non_null(f->mem);
	return f;
}

/* Completes every deferred I/O in submission order (more may be queued by
 * the completions: they are completed too). */
TL void fb_complete_all(struct fake_bs *f)
{
	for (unsigned guard = 0; f->npending > 0 && guard < 10000; guard++) {
		struct nx_bs_io *io = f->pending[0];
		memmove(&f->pending[0], &f->pending[1],
			(f->npending - 1) * sizeof(f->pending[0]));
		f->npending--;
		io->done(io);
	}
}

/* ---- target, nexuses, recorded completions ------------------------------ */

#define REC_MAX 64

struct rec {
	struct nx_task *t;
	uint64_t tag;
	uint8_t status;
	bool aborted;
	uint8_t sense[NX_SENSE_MAX];
	uint8_t sense_len;
	uint32_t xfer_len;
};

TL struct rec recs[REC_MAX];
TL unsigned nrecs;

TL void rec_task_done(struct nx_task *t)
{
	assert_true(nrecs < REC_MAX);
	struct rec *r = &recs[nrecs++];
	r->t = t;
	r->tag = t->tag;
	r->status = t->status;
	r->aborted = t->aborted;
	r->sense_len = t->sense_len;
	memcpy(r->sense, t->sense, sizeof(r->sense));
	r->xfer_len = t->xfer_len;
}

TL const struct nx_nexus_ops rec_ops = { .task_done = rec_task_done };

struct fixture {
	struct nx_target *tgt;
	struct fake_bs *fb;
	struct nx_lu *lu;
	struct nx_nexus *n1, *n2;
};

TL struct fixture fx;

#define FX_SIZE (1u << 20)

TL void fx_setup_opts(uint64_t size, bool thin, bool read_only,
			  uint32_t block_size)
{
	struct nx_lu_config cfg = { .lun = 0, .block_size = block_size,
				    .read_only = read_only };

	memset(&fx, 0, sizeof(fx));
	nrecs = 0;
	fx.tgt = nx_target_new("iqn.2024-01.org.nexus:test");
	assert_non_null(fx.tgt);
	fx.fb = fb_new(size, thin);
	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, &fx.fb->bs), 0);
	fx.lu = nx_target_find_lu(fx.tgt, 0);
	fx.n1 = nx_nexus_new(fx.tgt, "iqn.i1,i,0x1", "iqn.t,t,0x1", 1, &rec_ops,
			     NULL);
	fx.n2 = nx_nexus_new(fx.tgt, "iqn.i2,i,0x2", "iqn.t,t,0x1", 1, &rec_ops,
			     NULL);
	assert_non_null(fx.n1);
	assert_non_null(fx.n2);
}

/* Default: clear the power-on UAs so tests start from a quiet LU. */
TL int fx_setup(void **state)
{
	(void)state;
	fx_setup_opts(FX_SIZE, true, false, 512);
	while (nx_ua_pop(fx.n1, fx.lu, NULL))
		;
	while (nx_ua_pop(fx.n2, fx.lu, NULL))
		;
	return 0;
}

TL int fx_teardown(void **state)
{
	(void)state;
	nx_nexus_free(fx.n1);
	nx_nexus_free(fx.n2);
	nx_target_free(fx.tgt);
	return 0;
}

/* ---- submitting commands -------------------------------------------------- */

struct cmd {
	struct nx_task t;
	bool setup_ok;
};

TL void cmd_prepare(struct cmd *c, struct nx_nexus *n, uint64_t lun,
			const uint8_t *cdb, size_t cdb_len)
{
	memset(c, 0, sizeof(*c));
	nx_task_init(&c->t, n);
	c->t.lun = nx_lun_encode(lun);
	memcpy(c->t.cdb, cdb, cdb_len);
	c->t.cdb_len = 16 > cdb_len ? 16 : (uint8_t)cdb_len;
	c->t.tag = 0x100 + nrecs;
}

/* Setup; copies data-out; executes.  Returns whether setup accepted it. */
TL bool cmd_run(struct cmd *c, const void *dout, size_t dout_len)
{
	c->setup_ok = nx_task_setup(&c->t);
	if (!c->setup_ok)
		return false;
	if (c->t.dir == NX_DIR_WRITE && dout != NULL)
		memcpy(c->t.data, dout, NX_MIN(dout_len, c->t.data_len));
	nx_task_execute(&c->t);
	return true;
}

/* Runs cdb on LU 0 through nexus 1; leaves the result in c->t (the last
 * record also has it).  Call cmd_done(c) afterwards. */
TL void run(struct cmd *c, const uint8_t *cdb, size_t cdb_len,
		const void *dout, size_t dout_len)
{
	cmd_prepare(c, fx.n1, 0, cdb, cdb_len);
	cmd_run(c, dout, dout_len);
}

TL void cmd_done(struct cmd *c)
{
	nx_task_release(&c->t);
}

#define SENSE_KEY(t) ((t)->sense[0] == 0x72 ? (t)->sense[1] : (t)->sense[2])
#define SENSE_ASC(t) ((t)->sense[0] == 0x72 ? (t)->sense[2] : (t)->sense[12])
#define SENSE_ASCQ(t) ((t)->sense[0] == 0x72 ? (t)->sense[3] : (t)->sense[13])

TL void expect_sense(const struct nx_task *t, uint8_t key, uint8_t asc,
			 uint8_t ascq)
{
	assert_int_equal(t->status, NX_STATUS_CHECK_CONDITION);
	assert_true(t->sense_len >= 14);
	assert_int_equal(SENSE_KEY(t), key);
	assert_int_equal(SENSE_ASC(t), asc);
	assert_int_equal(SENSE_ASCQ(t), ascq);
}

TL void expect_good(const struct nx_task *t)
{
	assert_int_equal(t->status, NX_STATUS_GOOD);
	assert_int_equal(t->sense_len, 0);
}

TL void put_cdb10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	nx_put_be32(cdb + 2, lba);
	nx_put_be16(cdb + 7, n);
}

TL void put_cdb16(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	nx_put_be64(cdb + 2, lba);
	nx_put_be32(cdb + 10, n);
}

#endif /* NX_CORE_TESTLIB_H */
