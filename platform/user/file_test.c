/* file_test.c - asynchronous file I/O: completions on the loop thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nx_user.h"

struct fixture {
	struct nx_loop *loop;
	char dir[64];
	char path[96];
};

struct completion {
	int calls;
	int err;
	pthread_t thread;
};

static void on_done(void *arg, int err)
{
	struct completion *c = arg;

	c->calls++;
	c->err = err;
	c->thread = pthread_self();
}

static int setup_in(void **state, const char *dir_template)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, dir_template);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/disk", f->dir);
	f->loop = nx_loop_new();
	*state = f;
	return f->loop ? 0 : -1;
}

/* /tmp: a disk file system (RWF_NOWAIT page-cache hits on the loop
 * thread, the worker pool for the rest). */
static int setup(void **state)
{
	return setup_in(state, "/tmp/nx_file_test.XXXXXX");
}

/* /dev/shm: tmpfs, every request done on the loop thread (file.c
 * memory_fs); the contract seen by callers must not change. */
static int setup_shm(void **state)
{
	return setup_in(state, "/dev/shm/nx_file_test.XXXXXX");
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nx_loop_free(f->loop);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs the loop until every completion in cs has arrived (at most 5 s). */
static void wait_for(struct nx_loop *loop, struct completion *cs, int n)
{
	uint64_t end = nx_clock_ns() + 5000000000ull;

	for (;;) {
		int pending = 0;

		for (int i = 0; i < n; i++)
			pending += cs[i].calls == 0;
		if (!pending || nx_clock_ns() > end)
			break;
		assert_true(nx_loop_run_once(loop, 100000000) >= 0);
	}
	for (int i = 0; i < n; i++) {
		assert_int_equal(cs[i].calls, 1);
		assert_true(pthread_equal(cs[i].thread, pthread_self()));
	}
}

static void test_open_create_and_size(void **state)
{
	struct fixture *f = *state;
	struct nx_file *file;
	uint64_t size = 0;

	assert_int_equal(nx_file_open(f->path, 0, &size, &file), NX_ENOENT);
	size = 1 << 20;
	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	assert_int_equal(size, 1 << 20);
	nx_file_close(file);
	size = 0; /* keep the existing size */
	assert_int_equal(nx_file_open(f->path, NX_FILE_READONLY, &size, &file), 0);
	assert_int_equal(size, 1 << 20);
	nx_file_close(file);
	assert_int_equal(nx_file_open(f->path, NX_FILE_READONLY | NX_FILE_CREATE,
				      &size, &file), NX_EINVAL);
}

static void test_write_read_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct completion c[4] = { 0 };
	uint8_t *out = malloc(8192), *in = calloc(1, 8192);
	struct nx_file *file;
	uint64_t size = 1 << 20;

	for (int i = 0; i < 8192; i++)
		out[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_WRITE, out, 4096, 0, on_done, &c[0]), 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_WRITE_FUA, out + 4096, 4096, 4096, on_done, &c[1]), 0);
	/* never completed from inside submit */
	assert_int_equal(c[0].calls + c[1].calls, 0);
	wait_for(f->loop, c, 2);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(c[1].err, 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_SYNC, NULL, 0, 0, on_done, &c[2]), 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_READ, in, 8192, 0, on_done, &c[3]), 0);
	wait_for(f->loop, c + 2, 2);
	assert_int_equal(c[2].err, 0);
	assert_int_equal(c[3].err, 0);
	assert_memory_equal(in, out, 8192);
	nx_file_close(file);
	free(out);
	free(in);
}

static void test_read_past_eof_is_zeros(void **state)
{
	struct fixture *f = *state;
	struct completion c = { 0 };
	struct nx_file *file;
	uint64_t size = 4096;
	uint8_t buf[512];

	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	assert_int_equal(truncate(f->path, 1024), 0); /* shrinks under us */
	assert_int_equal(nx_file_submit(file, NX_FILE_READ, buf, 512, 2048, on_done, &c), 0);
	wait_for(f->loop, &c, 1);
	assert_int_equal(c.err, 0);
	for (int i = 0; i < 512; i++)
		assert_int_equal(buf[i], 0);
	nx_file_close(file);
}

static void test_direct_unaligned_buffer_bounces(void **state)
{
	struct fixture *f = *state;
	struct completion c[2] = { 0 };
	uint8_t *raw_out = malloc(4096 + 64), *raw_in = malloc(4096 + 64);
	uint8_t *out = raw_out + 8, *in = raw_in + 24; /* deliberately unaligned */
	struct nx_file *file;
	uint64_t size = 1 << 16;

	for (int i = 0; i < 4096; i++)
		out[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE | NX_FILE_DIRECT,
				      &size, &file), 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_WRITE, out, 4096, 8192, on_done, &c[0]), 0);
	wait_for(f->loop, c, 1);
	assert_int_equal(c[0].err, 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_READ, in, 4096, 8192, on_done, &c[1]), 0);
	wait_for(f->loop, c + 1, 1);
	assert_int_equal(c[1].err, 0);
	assert_memory_equal(in, out, 4096);
	nx_file_close(file);
	free(raw_out);
	free(raw_in);
}

static void test_read_only_refuses_writes(void **state)
{
	struct fixture *f = *state;
	struct completion c = { 0 };
	struct nx_file *file;
	uint64_t size = 4096;
	uint8_t buf[512] = { 0 };

	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	nx_file_close(file);
	size = 0;
	assert_int_equal(nx_file_open(f->path, NX_FILE_READONLY, &size, &file), 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_WRITE, buf, 512, 0, on_done, &c), NX_EINVAL);
	assert_int_equal(nx_file_submit(file, NX_FILE_WRITE_FUA, buf, 512, 0, on_done, &c), NX_EINVAL);
	assert_int_equal(c.calls, 0);
	nx_file_close(file);
}

static void test_close_with_io_in_flight_drops_completion(void **state)
{
	struct fixture *f = *state;
	struct completion c = { 0 };
	struct nx_file *file;
	uint64_t size = 1 << 20;
	static uint8_t buf[1 << 16];

	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	assert_int_equal(nx_file_submit(file, NX_FILE_WRITE_FUA, buf, sizeof(buf), 0, on_done, &c), 0);
	nx_file_close(file);
	for (int i = 0; i < 20; i++)
		nx_loop_run_once(f->loop, 10000000);
	assert_int_equal(c.calls, 0); /* and ASan sees the file freed */
}

static void test_many_requests(void **state)
{
	struct fixture *f = *state;
	enum { N = 200 };
	struct completion *c = calloc(N, sizeof(*c));
	uint8_t *buf = calloc(N, 512);
	struct nx_file *file;
	uint64_t size = N * 512;

	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	for (int i = 0; i < N; i++) {
		memset(buf + i * 512, i, 512);
		assert_int_equal(nx_file_submit(file, NX_FILE_WRITE, buf + i * 512, 512,
						(uint64_t)i * 512, on_done, &c[i]), 0);
	}
	wait_for(f->loop, c, N);
	memset(c, 0, N * sizeof(*c));
	memset(buf, 0xff, N * 512);
	assert_int_equal(nx_file_submit(file, NX_FILE_READ, buf, N * 512, 0, on_done, &c[0]), 0);
	wait_for(f->loop, c, 1);
	for (int i = 0; i < N; i++)
		assert_int_equal(buf[i * 512 + 100], (uint8_t)i);
	nx_file_close(file);
	free(c);
	free(buf);
}

/* One request, waited for; returns its error. */
static int one(struct fixture *f, struct nx_file *file, enum nx_file_op op,
	       void *buf, size_t len, uint64_t off)
{
	struct completion c = { 0 };

	assert_int_equal(nx_file_submit(file, op, buf, len, off, on_done, &c), 0);
	wait_for(f->loop, &c, 1);
	return c.err;
}

static uint64_t points(void)
{
	struct nx_user_file_stats st;

	nx_user_file_stats(&st);
	return st.dsync_writes + st.datasyncs;
}

/* SBC-3 4.18 / 5.22: a write without FUA only reaches the (page) cache;
 * a FUA write is one durability point (RWF_DSYNC write, or write +
 * fdatasync), SYNCHRONIZE CACHE is one fdatasync. */
static void test_durability_points(void **state)
{
	struct fixture *f = *state;
	struct nx_user_file_stats a, b;
	uint8_t out[4096], in[4096];
	struct nx_file *file;
	uint64_t size = 1 << 20, p0;

	memset(out, 0x3c, sizeof(out));
	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	p0 = points();
	assert_int_equal(one(f, file, NX_FILE_WRITE, out, 4096, 0), 0);
	assert_int_equal(one(f, file, NX_FILE_READ, in, 4096, 0), 0);
	assert_int_equal(points(), p0);
	nx_user_file_stats(&a);
	assert_int_equal(one(f, file, NX_FILE_WRITE_FUA, out, 4096, 8192), 0);
	assert_int_equal(points(), p0 + 1);
	assert_int_equal(one(f, file, NX_FILE_SYNC, NULL, 0, 0), 0);
	nx_user_file_stats(&b);
	assert_int_equal(b.datasyncs, a.datasyncs + 1 +
			 (b.dsync_writes == a.dsync_writes));
	assert_int_equal(b.sync_errors, a.sync_errors);
	assert_int_equal(one(f, file, NX_FILE_READ, in, 4096, 8192), 0);
	assert_memory_equal(in, out, 4096);
	nx_file_close(file);
}

/* A failed durability point is sticky: after it no SYNC or FUA write of
 * that file may report success (Linux forgets a writeback error once it
 * reported it), plain writes and reads go on; reopening clears it. */
static void test_sync_failure_is_sticky(void **state)
{
	struct fixture *f = *state;
	struct nx_user_file_stats a, b;
	uint8_t buf[4096] = { 1 };
	struct nx_file *file;
	uint64_t size = 1 << 20;

	assert_int_equal(nx_file_open(f->path, NX_FILE_CREATE, &size, &file), 0);
	nx_user_file_stats(&a);
	nx_user_file_fail_syncs(1);
	assert_int_equal(one(f, file, NX_FILE_SYNC, NULL, 0, 0), NX_EIO);
	nx_user_file_stats(&b);
	assert_int_equal(b.sync_errors, a.sync_errors + 1);
	/* the injected failure is used up; the file remembers it */
	assert_int_equal(one(f, file, NX_FILE_SYNC, NULL, 0, 0), NX_EIO);
	assert_int_equal(one(f, file, NX_FILE_WRITE_FUA, buf, 4096, 0), NX_EIO);
	assert_int_equal(one(f, file, NX_FILE_WRITE, buf, 4096, 0), 0);
	assert_int_equal(one(f, file, NX_FILE_READ, buf, 4096, 0), 0);
	nx_file_close(file);
	size = 0;
	assert_int_equal(nx_file_open(f->path, 0, &size, &file), 0);
	assert_int_equal(one(f, file, NX_FILE_SYNC, NULL, 0, 0), 0);
	/* and a failing FUA write latches it the same way */
	nx_user_file_fail_syncs(1);
	assert_int_equal(one(f, file, NX_FILE_WRITE_FUA, buf, 4096, 0), NX_EIO);
	assert_int_equal(one(f, file, NX_FILE_SYNC, NULL, 0, 0), NX_EIO);
	nx_file_close(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create_and_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_past_eof_is_zeros, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_unaligned_buffer_bounces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_refuses_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_with_io_in_flight_drops_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durability_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_failure_is_sticky, setup, teardown),
#define ON_SHM(t) { "shm_" #t, t, setup_shm, teardown, NULL }
		ON_SHM(test_open_create_and_size),
		ON_SHM(test_write_read_roundtrip),
		ON_SHM(test_read_past_eof_is_zeros),
		ON_SHM(test_read_only_refuses_writes),
		ON_SHM(test_close_with_io_in_flight_drops_completion),
		ON_SHM(test_many_requests),
		ON_SHM(test_durability_points),
		ON_SHM(test_sync_failure_is_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
