/*
 * spc_fixture.h - fixture shared by the unit tests of spc.c, mode.c,
 * log.c and rsoc.c (test-only; included by *_test.c, never by the core).
 *
 * A real target (target.c, ua.c, sense.c) with one RAM LU and two I_T
 * nexuses.  Commands run the way dispatch runs them: the descriptor's
 * usage mask, parse(), a data buffer of data_len bytes, exec(), and
 * nx_task_set_sense() for a failing reason.  The dispatch entry points
 * the SPC code calls are weak here: while dispatch.c is missing these
 * stand in, and once it is linked its definitions win.
 */
#ifndef NX_SPC_TESTLIB_H
#define NX_SPC_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/scsi_internal.h"

#define T_WEAK __attribute__((weak))

T_WEAK void nx_task_put_data(struct nx_task *t, const void *buf, uint32_t len)
{
	uint32_t n = len < t->data_len ? len : t->data_len;

	if (n)
		memcpy(t->data, buf, n);
	t->xfer_len = n;
}

T_WEAK void nx_opcode_index_build(void)
{
}

/* Without dispatch.c only the SPC table exists (already sorted). */
T_WEAK const struct nx_opcode_desc *nx_opcode_at(size_t index)
{
	return index < nx_spc_opcode_count ? &nx_spc_opcodes[index] : NULL;
}

static void t_task_done(struct nx_task *t)
{
	(void)t;
}

static const struct nx_nexus_ops t_ops = { .task_done = t_task_done };

struct t_fix {
	struct nx_target *tgt;
	struct nx_lu *lu;       /* LUN 0, 512-byte blocks, 64 MiB, RAM */
	struct nx_nexus *n1;
	struct nx_nexus *n2;
	struct nx_task t;
};

static inline struct t_fix *t_fix_new(void)
{
	struct t_fix *f = calloc(1, sizeof(*f));
	struct nx_lu_config cfg = { .lun = 0, .block_size = 512,
				    .serial = "SN0001" };

	assert_non_null(f);
	f->tgt = nx_target_new("iqn.2024-01.org.nexus:t1");
	assert_non_null(f->tgt);
	assert_int_equal(nx_target_add_lu(f->tgt, &cfg, nx_bs_ram_new(64u << 20)),
			 0);
	f->lu = nx_target_find_lu(f->tgt, 0);
	assert_non_null(f->lu);
	f->n1 = nx_nexus_new(f->tgt, "iqn.2024-01.org.nexus:i1,i,0x000000000001",
			     "iqn.2024-01.org.nexus:t1,t,0x0001", 1, &t_ops, NULL);
	f->n2 = nx_nexus_new(f->tgt, "iqn.2024-01.org.nexus:i2,i,0x000000000002",
			     "iqn.2024-01.org.nexus:t1,t,0x0001", 1, &t_ops, NULL);
	assert_non_null(f->n1);
	assert_non_null(f->n2);
	return f;
}

static inline void t_fix_free(struct t_fix *f)
{
	free(f->t.data);
	nx_nexus_free(f->n1);
	nx_nexus_free(f->n2);
	nx_target_free(f->tgt);
	free(f);
}

static inline const struct nx_opcode_desc *t_find_desc(const uint8_t *cdb)
{
	for (size_t i = 0; i < nx_spc_opcode_count; i++) {
		const struct nx_opcode_desc *d = &nx_spc_opcodes[i];
		if (d->opcode != cdb[0])
			continue;
		if (!(d->flags & NX_OP_SA) || d->service_action == (cdb[1] & 0x1f))
			return d;
	}
	return NULL;
}

/* Runs cdb on LUN lun (a LUN without an LU gives priv.lu = NULL, like an
 * NX_OP_NO_LU command) from nexus n; out is the data-out buffer.  Returns
 * the task: status, sense, data[0 .. xfer_len). */
static inline struct nx_task *t_run_lun(struct t_fix *f, struct nx_nexus *n,
					uint64_t lun, const uint8_t *cdb,
					size_t cdb_len, const void *out,
					size_t out_len)
{
	struct nx_task *t = &f->t;
	const struct nx_opcode_desc *d = t_find_desc(cdb);
	enum nx_sense_reason r = NX_SR_OK;

	assert_non_null(d);
	assert_int_equal(d->cdb_len, cdb_len);
	free(t->data);
	memset(t, 0, sizeof(*t));
	t->nexus = n;
	t->lun = nx_lun_encode(lun);
	t->priv.lu = lun == NX_WLUN_REPORT_LUNS ? NULL
						: nx_target_find_lu(f->tgt, lun);
	memcpy(t->cdb, cdb, cdb_len);
	t->cdb_len = (uint8_t)cdb_len;
	for (size_t i = 1; i < cdb_len && r == NX_SR_OK; i++)
		if (cdb[i] & ~d->usage[i])
			r = NX_SR_INVALID_FIELD_IN_CDB;
	if (r == NX_SR_OK && d->parse)
		r = d->parse(t);
	if (r == NX_SR_OK) {
		t->data = calloc(1, t->data_len + 1);
		assert_non_null(t->data);
		if (t->dir == NX_DIR_WRITE)
			memcpy(t->data, out, out_len < t->data_len ? out_len
								    : t->data_len);
		r = d->exec(t);
	}
	if (r == NX_SR_OK)
		t->status = NX_STATUS_GOOD;
	else if (r != NX_SR_CHECK_CONDITION_SET)
		nx_task_set_sense(t, r, NULL);
	return t;
}

static inline struct nx_task *t_run(struct t_fix *f, const uint8_t *cdb,
				    size_t cdb_len)
{
	return t_run_lun(f, f->n1, 0, cdb, cdb_len, NULL, 0);
}

/* Fixed-format sense (D_SENSE=0) with ILLEGAL REQUEST field pointer. */
static inline void t_expect_sense(const struct nx_task *t, uint8_t key,
				  uint8_t asc, uint8_t ascq)
{
	assert_int_equal(t->status, NX_STATUS_CHECK_CONDITION);
	assert_true(t->sense_len >= 18);
	assert_int_equal(t->sense[0] & 0x7f, 0x70);
	assert_int_equal(t->sense[2] & 0x0f, key);
	assert_int_equal(t->sense[12], asc);
	assert_int_equal(t->sense[13], ascq);
}

/* SKS field pointer: C/D, BPV + bit, byte (SPC-4 4.5.2.4.2). */
static inline void t_expect_field(const struct nx_task *t, bool cd,
				  int bit, uint16_t byte)
{
	uint8_t b0 = (uint8_t)(0x80 | (cd ? 0x40 : 0) |
			       (bit >= 0 ? 0x08 | bit : 0));

	assert_int_equal(t->sense[15], b0);
	assert_int_equal(nx_get_be16(t->sense + 16), byte);
}

static inline void t_expect_invalid_cdb(const struct nx_task *t, int bit,
					uint16_t byte)
{
	t_expect_sense(t, 0x05, 0x24, 0x00);
	t_expect_field(t, true, bit, byte);
}

static inline void t_expect_good(const struct nx_task *t)
{
	assert_int_equal(t->status, NX_STATUS_GOOD);
	assert_int_equal(t->sense_len, 0);
}

#endif /* NX_SPC_TESTLIB_H */
