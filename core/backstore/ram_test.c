/*
 * ram_test.c - the RAM, null and file backstores (ram.c, null.c, file.c,
 * backstore.c): data, thin provisioning state, bounds, completion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nx_backstore.h"
#include "../../platform/user/nx_user.h"

#define CHUNK 65536u

struct io_rec {
	struct nx_bs_io io;
	int done_calls;
};

static void io_done(struct nx_bs_io *io)
{
	struct io_rec *r = io->arg;

	r->done_calls++;
}

/* Submits and expects an inline completion (RAM, null). */
static int submit_inline(struct nx_backstore *bs, enum nx_bs_op op,
			 uint64_t off, uint32_t len, uint8_t *buf)
{
	struct io_rec r = { .io = { .op = op, .offset = off, .len = len,
				    .buf = buf, .done = io_done } };
	r.io.arg = &r;
	r.io.err = 12345;
	int rc = nx_bs_submit(bs, &r.io);
	if (rc != 0) {
		assert_int_equal(r.done_calls, 0); /* refused: no callback */
		return rc;
	}
	assert_int_equal(r.done_calls, 1);
	return r.io.err;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void test_ram_unwritten_reads_zero(void **state)
{
	struct nx_backstore *bs = nx_bs_ram_new(4 * CHUNK);
	uint8_t *buf = malloc(2 * CHUNK);

	(void)state;
	assert_non_null(bs);
	assert_true(bs->thin);
	assert_false(bs->write_cache);
	assert_string_equal(bs->ops->name, "ram");
	memset(buf, 0xaa, 2 * CHUNK);
	assert_int_equal(submit_inline(bs, NX_BS_READ, CHUNK, 2 * CHUNK, buf), 0);
	assert_true(all_bytes(buf, 2 * CHUNK, 0));
	assert_false(bs->ops->mapped(bs, 0));
	assert_false(bs->ops->mapped(bs, 4 * CHUNK - 512));
	free(buf);
	nx_bs_destroy(bs);
}

/* A write across a chunk boundary maps exactly the sectors it covers. */
static void test_ram_write_read_mapped(void **state)
{
	struct nx_backstore *bs = nx_bs_ram_new(4 * CHUNK);
	uint8_t *w = malloc(8192), *r = malloc(8192);
	uint64_t off = CHUNK - 4096;

	(void)state;
	for (unsigned i = 0; i < 8192; i++)
		w[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(submit_inline(bs, NX_BS_WRITE, off, 8192, w), 0);
	assert_int_equal(submit_inline(bs, NX_BS_READ, off, 8192, r), 0);
	assert_memory_equal(w, r, 8192);
	assert_false(bs->ops->mapped(bs, off - 512));
	assert_true(bs->ops->mapped(bs, off));
	assert_true(bs->ops->mapped(bs, CHUNK));
	assert_true(bs->ops->mapped(bs, off + 8192 - 512));
	assert_false(bs->ops->mapped(bs, off + 8192));
	/* neighbours in the allocated chunk still read zeros */
	assert_int_equal(submit_inline(bs, NX_BS_READ, 0, 512, r), 0);
	assert_true(all_bytes(r, 512, 0));
	free(w);
	free(r);
	nx_bs_destroy(bs);
}

/* UNMAP: unmapped sectors read zeros (LBPRZ=1) and report unmapped; a
 * partial unmap leaves the rest of the chunk intact. */
static void test_ram_unmap(void **state)
{
	struct nx_backstore *bs = nx_bs_ram_new(4 * CHUNK);
	uint8_t *w = malloc(2 * CHUNK), *r = malloc(2 * CHUNK);

	(void)state;
	memset(w, 0x5a, 2 * CHUNK);
	assert_int_equal(submit_inline(bs, NX_BS_WRITE, 0, 2 * CHUNK, w), 0);
	/* partial: 4 KiB in the middle of chunk 0 */
	assert_int_equal(submit_inline(bs, NX_BS_UNMAP, 8192, 4096, NULL), 0);
	assert_true(bs->ops->mapped(bs, 8192 - 512));
	assert_false(bs->ops->mapped(bs, 8192));
	assert_false(bs->ops->mapped(bs, 8192 + 4096 - 512));
	assert_true(bs->ops->mapped(bs, 8192 + 4096));
	assert_int_equal(submit_inline(bs, NX_BS_READ, 0, CHUNK, r), 0);
	assert_true(all_bytes(r, 8192, 0x5a));
	assert_true(all_bytes(r + 8192, 4096, 0));
	assert_true(all_bytes(r + 12288, CHUNK - 12288, 0x5a));
	/* whole chunk 1: freed, reads zeros */
	assert_int_equal(submit_inline(bs, NX_BS_UNMAP, CHUNK, CHUNK, NULL), 0);
	assert_false(bs->ops->mapped(bs, CHUNK));
	assert_false(bs->ops->mapped(bs, 2 * CHUNK - 512));
	assert_int_equal(submit_inline(bs, NX_BS_READ, CHUNK, CHUNK, r), 0);
	assert_true(all_bytes(r, CHUNK, 0));
	/* unmapping what is already unmapped is fine */
	assert_int_equal(submit_inline(bs, NX_BS_UNMAP, 2 * CHUNK, 2 * CHUNK,
				       NULL), 0);
	/* chunk 0 freed once its last mapped sectors go */
	assert_int_equal(submit_inline(bs, NX_BS_UNMAP, 0, CHUNK, NULL), 0);
	assert_false(bs->ops->mapped(bs, 0));
	free(w);
	free(r);
	nx_bs_destroy(bs);
}

static void test_ram_bounds(void **state)
{
	struct nx_backstore *bs = nx_bs_ram_new(CHUNK + 4096); /* odd size */
	uint8_t buf[4096];

	(void)state;
	assert_null(nx_bs_ram_new(0));
	assert_int_equal(submit_inline(bs, NX_BS_WRITE, CHUNK, 4096, buf), 0);
	assert_int_equal(submit_inline(bs, NX_BS_WRITE, CHUNK + 512, 4096, buf),
			 NX_EINVAL);
	assert_int_equal(submit_inline(bs, NX_BS_READ, UINT64_MAX - 511, 512,
				       buf), NX_EINVAL);
	assert_int_equal(submit_inline(bs, NX_BS_READ, 0, 512, NULL), NX_EINVAL);
	assert_int_equal(submit_inline(bs, NX_BS_SYNC, 0, 0, NULL), 0);
	assert_false(bs->ops->mapped(bs, CHUNK + 4096));
	nx_bs_destroy(bs);
	nx_bs_destroy(NULL);
}

static void test_null(void **state)
{
	struct nx_backstore *bs = nx_bs_null_new(1 << 20);
	uint8_t buf[1024];

	(void)state;
	assert_false(bs->thin);
	assert_null(bs->ops->mapped);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(submit_inline(bs, NX_BS_WRITE, 0, 1024, buf), 0);
	assert_int_equal(submit_inline(bs, NX_BS_READ, 0, 1024, buf), 0);
	assert_true(all_bytes(buf, 1024, 0));
	assert_int_equal(submit_inline(bs, NX_BS_UNMAP, 0, 1024, NULL), NX_EINVAL);
	assert_int_equal(submit_inline(bs, NX_BS_READ, 1 << 20, 512, buf),
			 NX_EINVAL);
	nx_bs_destroy(bs);
}

/* file: completion arrives later, from the loop. */
static int file_io(struct nx_loop *loop, struct nx_backstore *bs,
		   enum nx_bs_op op, unsigned flags, uint64_t off, uint32_t len,
		   uint8_t *buf)
{
	struct io_rec r = { .io = { .op = op, .flags = flags, .offset = off,
				    .len = len, .buf = buf, .done = io_done } };
	r.io.arg = &r;
	int rc = nx_bs_submit(bs, &r.io);
	if (rc != 0)
		return rc;
	assert_int_equal(r.done_calls, 0);
	for (int i = 0; i < 1000 && r.done_calls == 0; i++)
		assert_true(nx_loop_run_once(loop, 10 * 1000 * 1000) >= 0);
	assert_int_equal(r.done_calls, 1);
	return r.io.err;
}

static void test_file(void **state)
{
	char path[] = "/tmp/nx_ram_test_XXXXXX";
	int fd = mkstemp(path);
	struct nx_loop *loop = nx_loop_new();
	struct nx_backstore *bs = NULL;
	uint8_t w[4096], r[4096];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(loop);
	assert_int_equal(nx_bs_file_new(path, 1 << 20, false, &bs), 0);
	assert_int_equal(bs->size_bytes, 1 << 20);
	assert_false(bs->thin);
	assert_true(bs->write_cache);
	memset(w, 0x3c, sizeof(w));
	assert_int_equal(file_io(loop, bs, NX_BS_WRITE, NX_BS_FUA, 8192, 4096, w),
			 0);
	assert_int_equal(file_io(loop, bs, NX_BS_READ, 0, 8192, 4096, r), 0);
	assert_memory_equal(w, r, 4096);
	assert_int_equal(file_io(loop, bs, NX_BS_SYNC, 0, 0, 0, NULL), 0);
	assert_int_equal(file_io(loop, bs, NX_BS_UNMAP, 0, 0, 4096, NULL),
			 NX_EINVAL);
	assert_int_equal(file_io(loop, bs, NX_BS_READ, 0, 1 << 20, 512, r),
			 NX_EINVAL);
	nx_bs_destroy(bs);
	/* size 0: take the existing file's size */
	assert_int_equal(nx_bs_file_new(path, 0, false, &bs), 0);
	assert_int_equal(bs->size_bytes, 1 << 20);
	nx_bs_destroy(bs);
	nx_loop_free(loop);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_unwritten_reads_zero),
		cmocka_unit_test(test_ram_write_read_mapped),
		cmocka_unit_test(test_ram_unmap),
		cmocka_unit_test(test_ram_bounds),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
