/*
 * sendq_test.c - the output queue: copies merged, lent buffers sent in
 * place, partial writes, callbacks in order and exactly once, bounds,
 * teardown and connection drop with data queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nx_sendq.h"
#include "../../platform/user/nx_user.h"

/* ---- a fake socket: takes at most `room` bytes per write ------------------ */

struct sock {
	uint8_t out[1 << 20];
	size_t len;
	size_t room;   /* per call; 0 = full */
	long fail;     /* < 0: every write fails with it */
	unsigned calls;
	unsigned max_iov_seen;
};

static long sock_write(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct sock *s = ctx;
	size_t took = 0;

	s->calls++;
	if (n > s->max_iov_seen)
		s->max_iov_seen = n;
	if (s->fail < 0)
		return s->fail;
	for (unsigned i = 0; i < n && took < s->room; i++) {
		size_t k = NX_MIN(iov[i].len, s->room - took);

		assert_true(s->len + k <= sizeof(s->out));
		memcpy(s->out + s->len, iov[i].base, k);
		s->len += k;
		took += k;
	}
	return (long)took;
}

/* ---- callbacks: record order, position and outcome ------------------------ */

struct rec {
	unsigned order[64];
	bool ok[64];
	size_t at[64];   /* bytes the socket had when it ran */
	unsigned n;
	struct sock *sock;
};

struct tag {
	struct rec *rec;
	unsigned id;
};

static void on_done(void *arg, bool ok)
{
	struct tag *t = arg;
	struct rec *r = t->rec;

	assert_true(r->n < 64);
	r->order[r->n] = t->id;
	r->ok[r->n] = ok;
	r->at[r->n] = r->sock != NULL ? r->sock->len : 0;
	r->n++;
}

static void free_buf(void *arg, bool ok)
{
	(void)ok;
	nx_buf_free(arg);
}

static struct nx_iovec iov_of(const void *p, size_t n)
{
	return (struct nx_iovec){ p, n };
}

/* ---- tests ------------------------------------------------------------------ */

static void test_copies_merge_and_survive_the_caller(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	struct nx_iovec v[4];
	uint8_t bhs[48];

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct nx_iovec in = iov_of(bhs, sizeof(bhs));

		memset(bhs, 'a' + (int)i, sizeof(bhs));
		assert_int_equal(nx_sendq_push(q, &in, 1, 0, NULL, NULL), 0);
	}
	memset(bhs, 0, sizeof(bhs)); /* the caller's buffer may be reused */
	assert_int_equal(nx_sendq_bytes(q), 144);
	/* Three small copies in a row travel as one iovec. */
	assert_int_equal(nx_sendq_peek(q, v, 4), 1);
	assert_int_equal(v[0].len, 144);
	assert_int_equal(((const uint8_t *)v[0].base)[0], 'a');
	assert_int_equal(((const uint8_t *)v[0].base)[143], 'c');
	nx_sendq_consume(q, 144);
	assert_true(nx_sendq_empty(q));
	nx_sendq_free(q);
}

static void test_lent_goes_in_place(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	static uint8_t data[4096];
	uint8_t hdr[48] = { 1 };
	struct nx_iovec in[2] = { iov_of(hdr, 48), iov_of(data, sizeof(data)) };
	struct rec r = { 0 };
	struct tag t = { &r, 7 };
	struct nx_iovec v[4];

	(void)state;
	assert_int_equal(nx_sendq_push(q, in, 2, 1u << 1, on_done, &t), 0);
	assert_int_equal(nx_sendq_peek(q, v, 4), 2);
	assert_ptr_not_equal(v[0].base, hdr);     /* copied */
	assert_ptr_equal(v[1].base, data);        /* referenced: zero copy */
	nx_sendq_consume(q, 48 + 4000);
	assert_int_equal(r.n, 0);                  /* 96 bytes still queued */
	assert_int_equal(nx_sendq_peek(q, v, 4), 1);
	assert_ptr_equal(v[0].base, data + 4000);
	nx_sendq_consume(q, 96);
	assert_int_equal(r.n, 1);
	assert_true(r.ok[0]);
	nx_sendq_free(q);
	assert_int_equal(r.n, 1);                  /* exactly once */
}

/* Any write size reassembles the exact stream; each callback runs in
 * the consume that follows the write taking the last byte before it. */
static void test_partial_writes_and_callback_order(void **state)
{
	static struct sock s;
	static uint8_t lent[3][10000];
	uint8_t expect[40000];
	size_t elen = 0, ends[3];
	struct rec r = { .sock = &s };
	struct tag tags[3] = { { &r, 0 }, { &r, 1 }, { &r, 2 } };
	struct nx_iovec v[8];

	(void)state;
	for (size_t room = 1; room <= 9001; room = room * 3 + 1) {
		struct nx_sendq *q = nx_sendq_new();
		int rc;

		memset(&s, 0, sizeof(s));
		r.n = 0;
		elen = 0;
		for (unsigned i = 0; i < 3; i++) {
			uint8_t hdr[52];
			struct nx_iovec in[2] = { iov_of(hdr, sizeof(hdr)),
						  iov_of(lent[i], sizeof(lent[i])) };

			memset(hdr, 0x10 + (int)i, sizeof(hdr));
			memset(lent[i], 0x80 + (int)i, sizeof(lent[i]));
			memcpy(expect + elen, hdr, sizeof(hdr));
			memcpy(expect + elen + sizeof(hdr), lent[i], sizeof(lent[i]));
			elen += sizeof(hdr) + sizeof(lent[i]);
			ends[i] = elen;
			assert_int_equal(nx_sendq_push(q, in, 2, 2, on_done, &tags[i]), 0);
		}
		s.room = room;
		do {
			rc = nx_sendq_flush(q, v, 3, sock_write, &s);
			assert_true(rc == 0 || rc == 1);
		} while (rc == 0);
		assert_int_equal(s.len, elen);
		assert_memory_equal(s.out, expect, elen);
		assert_true(s.max_iov_seen <= 3);
		assert_int_equal(r.n, 3);
		for (unsigned i = 0; i < 3; i++) {
			assert_int_equal(r.order[i], i);
			assert_true(r.ok[i]);
			/* not before its bytes left, and in the very write
			 * that took the last of them */
			assert_true(r.at[i] >= ends[i]);
			assert_true(r.at[i] - ends[i] < room);
		}
		nx_sendq_free(q);
	}
}

static void test_marker_runs_inline_when_empty(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	struct rec r = { 0 };
	struct tag a = { &r, 1 }, b = { &r, 2 }, c = { &r, 3 };
	uint8_t byte = 9;
	struct nx_iovec in = iov_of(&byte, 1);

	(void)state;
	assert_int_equal(nx_sendq_push(q, NULL, 0, 0, on_done, &a), 0);
	assert_int_equal(r.n, 1); /* nothing before it: due at once */
	assert_int_equal(nx_sendq_push(q, &in, 1, 0, on_done, &b), 0);
	assert_int_equal(nx_sendq_push(q, NULL, 0, 0, on_done, &c), 0);
	assert_int_equal(r.n, 1);
	nx_sendq_consume(q, 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.order[1], 2);
	assert_int_equal(r.order[2], 3);
	nx_sendq_free(q);
}

/* The peer stops reading: a write-full socket leaves everything queued;
 * past the copy bound a push fails, says so through its callback, and
 * the queue refuses everything after (the stream has a hole). */
static void test_bounds_and_broken_stream(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	static struct sock s;
	struct rec r = { 0 };
	struct tag t = { &r, 1 }, u = { &r, 2 };
	static uint8_t big[1 << 20];
	struct nx_iovec in = iov_of(big, sizeof(big)), v[4];
	unsigned pushed = 0;

	(void)state;
	memset(&s, 0, sizeof(s)); /* room 0: full */
	assert_int_equal(nx_sendq_flush(q, v, 4, sock_write, &s), 1);
	while (nx_sendq_push(q, &in, 1, 0, NULL, NULL) == 0) {
		pushed++;
		assert_int_equal(nx_sendq_flush(q, v, 4, sock_write, &s), 0);
		assert_true(pushed <= NX_SENDQ_COPY_MAX / sizeof(big));
	}
	assert_int_equal(pushed, NX_SENDQ_COPY_MAX / sizeof(big));
	assert_int_equal(nx_sendq_bytes(q), NX_SENDQ_COPY_MAX);
	/* Broken: even a lent push fails now, releasing its buffer. */
	assert_int_equal(nx_sendq_push(q, &in, 1, 1, on_done, &t), NX_ENOMEM);
	assert_int_equal(r.n, 1);
	assert_false(r.ok[0]);
	assert_int_equal(nx_sendq_push(q, NULL, 0, 0, on_done, &u), NX_ENOMEM);
	assert_int_equal(r.n, 2);
	nx_sendq_free(q);
}

static void test_entry_bound(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	static uint8_t byte[2];
	struct nx_iovec in = iov_of(byte, 1);
	unsigned n = 0;

	(void)state;
	/* Lent iovecs never merge: one entry each (plus one reserved for a
	 * callback). */
	while (nx_sendq_push(q, &in, 1, 1, NULL, NULL) == 0)
		assert_true(++n < NX_SENDQ_ENTRIES_MAX);
	assert_int_equal(n, NX_SENDQ_ENTRIES_MAX - 1);
	nx_sendq_free(q);
}

/* Connection drop mid-queue: what was sent reports ok, the rest is
 * released with ok = false, in order, and every lent buffer is freed. */
static void test_drop_mid_queue_releases_everything(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	static struct sock s;
	struct rec r = { .sock = &s };
	struct tag tags[4] = { { &r, 0 }, { &r, 1 }, { &r, 2 }, { &r, 3 } };
	struct nx_iovec v[8];
	size_t live0 = nx_user_buf_live();

	(void)state;
	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < 4; i++) {
		uint8_t hdr[48] = { 0 };
		uint8_t *buf = nx_buf_alloc(1000);
		struct nx_iovec in[2] = { iov_of(hdr, 48), iov_of(buf, 1000) };

		memset(buf, (int)i, 1000);
		assert_int_equal(nx_sendq_push(q, in, 2, 2, free_buf, buf), 0);
		assert_int_equal(nx_sendq_push(q, NULL, 0, 0, on_done, &tags[i]), 0);
	}
	assert_int_equal(nx_user_buf_live(), live0 + 4);
	s.room = 1500; /* the first PDU and half of the second */
	assert_int_equal(nx_sendq_flush(q, v, 8, sock_write, &s), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(nx_user_buf_live(), live0 + 3);
	nx_sendq_discard(q);
	assert_int_equal(nx_sendq_bytes(q), 0);
	assert_true(nx_sendq_empty(q));
	assert_int_equal(r.n, 4);
	assert_true(r.ok[0]);
	for (unsigned i = 1; i < 4; i++) {
		assert_int_equal(r.order[i], i);
		assert_false(r.ok[i]);
	}
	assert_int_equal(nx_user_buf_live(), live0);
	/* After a drop the queue is still usable for nothing but freeing. */
	nx_sendq_free(q);
}

/* Teardown with data queued: nx_sendq_free releases every lent buffer
 * and every chunk (ASan's leak check covers the chunks). */
static void test_free_with_data_queued(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	size_t live0 = nx_user_buf_live();
	static uint8_t big[100000];
	struct nx_iovec large = iov_of(big, sizeof(big));

	(void)state;
	for (unsigned i = 0; i < 100; i++) {
		uint8_t hdr[48] = { 0 };
		uint8_t *buf = nx_buf_alloc(4096);
		struct nx_iovec in[2] = { iov_of(hdr, 48), iov_of(buf, 4096) };

		memset(buf, 1, 4096);
		assert_int_equal(nx_sendq_push(q, in, 2, 2, free_buf, buf), 0);
	}
	/* a copy larger than a chunk gets its own */
	assert_int_equal(nx_sendq_push(q, &large, 1, 0, NULL, NULL), 0);
	assert_int_equal(nx_user_buf_live(), live0 + 100);
	nx_sendq_free(q);
	assert_int_equal(nx_user_buf_live(), live0);
}

static void test_write_error_and_chunk_reuse(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	static struct sock s;
	uint8_t hdr[48] = { 5 };
	struct nx_iovec in = iov_of(hdr, 48), v[2];
	const void *first;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(nx_sendq_push(q, &in, 1, 0, NULL, NULL), 0);
	s.fail = -104;
	assert_int_equal(nx_sendq_flush(q, v, 2, sock_write, &s), -104);
	assert_int_equal(nx_sendq_bytes(q), 48); /* nothing consumed */
	s.fail = 0;
	s.room = 1 << 20;
	assert_int_equal(nx_sendq_flush(q, v, 2, sock_write, &s), 1);
	/* A drained connection copies into the same chunk again: steady
	 * state allocates nothing. */
	assert_int_equal(nx_sendq_push(q, &in, 1, 0, NULL, NULL), 0);
	assert_int_equal(nx_sendq_peek(q, v, 2), 1);
	first = v[0].base;
	for (unsigned i = 0; i < 1000; i++) {
		assert_int_equal(nx_sendq_flush(q, v, 2, sock_write, &s), 1);
		s.len = 0;
		assert_int_equal(nx_sendq_push(q, &in, 1, 0, NULL, NULL), 0);
		assert_int_equal(nx_sendq_peek(q, v, 2), 1);
		assert_ptr_equal(v[0].base, first);
	}
	nx_sendq_free(q);
}

/* Copy chunks start at NX_SENDQ_CHUNK_MIN and double each time a copy
 * finds the fill chunk full, up to NX_SENDQ_CHUNK: adjacent copies in
 * one chunk merge into one iovec, so the iovec lengths are the chunk
 * sizes rounded down to whole 48-byte headers. */
static void test_chunks_start_small_and_double(void **state)
{
	struct nx_sendq *q = nx_sendq_new();
	uint8_t hdr[48] = { 7 };
	struct nx_iovec in = iov_of(hdr, 48), v[8];
	const uint32_t sizes[] = { NX_SENDQ_CHUNK_MIN, 2 * NX_SENDQ_CHUNK_MIN,
				   4 * NX_SENDQ_CHUNK_MIN, NX_SENDQ_CHUNK,
				   NX_SENDQ_CHUNK };
	unsigned pushes = 0;

	(void)state;
	assert_int_equal(8 * NX_SENDQ_CHUNK_MIN, NX_SENDQ_CHUNK);
	for (size_t i = 0; i < NX_ARRAY_SIZE(sizes); i++)
		pushes += sizes[i] / 48;
	for (unsigned i = 0; i < pushes; i++)
		assert_int_equal(nx_sendq_push(q, &in, 1, 0, NULL, NULL), 0);
	assert_int_equal(nx_sendq_peek(q, v, 8), NX_ARRAY_SIZE(sizes));
	for (size_t i = 0; i < NX_ARRAY_SIZE(sizes); i++)
		assert_int_equal(v[i].len, sizes[i] / 48 * 48);
	nx_sendq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies_merge_and_survive_the_caller),
		cmocka_unit_test(test_chunks_start_small_and_double),
		cmocka_unit_test(test_lent_goes_in_place),
		cmocka_unit_test(test_partial_writes_and_callback_order),
		cmocka_unit_test(test_marker_runs_inline_when_empty),
		cmocka_unit_test(test_bounds_and_broken_stream),
		cmocka_unit_test(test_entry_bound),
		cmocka_unit_test(test_drop_mid_queue_releases_everything),
		cmocka_unit_test(test_free_with_data_queued),
		cmocka_unit_test(test_write_error_and_chunk_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
