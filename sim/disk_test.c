/*
 * disk_test.c - the sim disk's durability model (SBC-3 SYNCHRONIZE CACHE
 * and FUA semantics), error injection, and nx_file_* on top of it.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nx_sim_disk.h"

#define BS 512

struct done {
	unsigned calls;
	int err;
};

static void on_done(void *arg, int err)
{
	struct done *d = arg;

	d->calls++;
	d->err = err;
}

static struct nx_sim *sim;

static int setup(void **state)
{
	struct nx_sim_opts o = { .seed = 11 };

	sim = nx_sim_new(&o);
	return sim == NULL;
}

static int teardown(void **state)
{
	nx_sim_free(sim);
	return 0;
}

static struct nx_sim_disk *disk_make(const char *name, uint32_t cache_chunks,
				     uint32_t keep_ppb)
{
	struct nx_sim_disk_opts o;
	struct nx_sim_disk *d;

	nx_sim_disk_opts_default(&o, 1 << 20);
	o.cache_chunks_max = cache_chunks;
	o.tear_keep_ppb = keep_ppb;
	d = nx_sim_disk_new(sim, name, &o);
	assert_non_null(d);
	return d;
}

static void io(struct nx_sim_disk *d, enum nx_file_op op, uint64_t off,
	       uint8_t *buf, size_t len, int want_err)
{
	struct done dn = { 0 };

	assert_int_equal(nx_sim_disk_submit(d, op, buf, len, off, on_done, &dn, NULL), NX_OK);
	assert_int_equal(dn.calls, 0); /* never inline */
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(dn.calls, 1);
	assert_int_equal(dn.err, want_err);
}

static void fill(uint8_t *b, size_t n, uint8_t v)
{
	memset(b, v, n);
}

static bool all(const uint8_t *b, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

static void test_power_loss_drops_unsynced(void **state)
{
	struct nx_sim_disk *d = disk_make("a", 16, 0);
	static uint8_t w[4 * BS], r[4 * BS];

	fill(w, sizeof(w), 0xaa);
	io(d, NX_FILE_WRITE, 0, w, sizeof(w), 0);        /* cached */
	fill(w, BS, 0xbb);
	io(d, NX_FILE_WRITE_FUA, 8 * BS, w, BS, 0);      /* durable */
	io(d, NX_FILE_READ, 0, r, sizeof(r), 0);
	assert_true(all(r, sizeof(r), 0xaa));            /* visible ... */
	nx_sim_disk_read_durable(d, 0, r, sizeof(r));
	assert_true(all(r, sizeof(r), 0x00));            /* ... not durable */
	assert_int_equal(nx_sim_disk_dirty_blocks(d), 4);
	nx_sim_disk_power_loss(d, false);
	io(d, NX_FILE_READ, 0, r, sizeof(r), 0);
	assert_true(all(r, sizeof(r), 0x00));
	io(d, NX_FILE_READ, 8 * BS, r, BS, 0);
	assert_true(all(r, BS, 0xbb));                    /* FUA survived */
	nx_sim_disk_free(d);
}

static void test_sync_makes_durable(void **state)
{
	struct nx_sim_disk *d = disk_make("b", 16, 0);
	static uint8_t w[BS], r[BS];
	struct done dw = { 0 }, ds = { 0 };

	fill(w, BS, 0x11);
	io(d, NX_FILE_WRITE, 0, w, BS, 0);
	io(d, NX_FILE_SYNC, 0, NULL, 0, 0);
	/* a write still in flight when SYNC completes is not covered */
	fill(w, BS, 0x22);
	assert_int_equal(nx_sim_disk_submit(d, NX_FILE_WRITE, w, BS, BS, on_done, &dw, NULL), 0);
	assert_int_equal(nx_sim_disk_submit(d, NX_FILE_SYNC, NULL, 0, 0, on_done, &ds, NULL), 0);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(dw.calls + ds.calls, 2);
	nx_sim_disk_power_loss(d, false);
	nx_sim_disk_read_durable(d, 0, r, BS);
	assert_true(all(r, BS, 0x11));
	nx_sim_disk_free(d);
}

/* One block, both orders: a FUA write over an older cached write of the
 * same block is what survives; a cached write over FUA data may be lost
 * at power loss, and then the FUA data (never the zeros before it) is
 * what reads back.  Torn or not: the FUA data is not in the cache. */
static void test_fua_over_cached_same_block(void **state)
{
	static uint8_t w[BS], r[BS];

	for (int tear = 0; tear < 2; tear++) {
		struct nx_sim_disk *d = disk_make(tear ? "f2" : "f1", 16,
						  NX_SIM_PPB / 2);

		fill(w, BS, 0xaa);
		io(d, NX_FILE_WRITE, 0, w, BS, 0);
		fill(w, BS, 0xbb);
		io(d, NX_FILE_WRITE_FUA, 0, w, BS, 0);
		assert_int_equal(nx_sim_disk_dirty_blocks(d), 0);
		nx_sim_disk_power_loss(d, tear);
		io(d, NX_FILE_READ, 0, r, BS, 0);
		assert_true(all(r, BS, 0xbb));
		fill(w, BS, 0xcc);
		io(d, NX_FILE_WRITE, 0, w, BS, 0);
		nx_sim_disk_read_durable(d, 0, r, BS);
		assert_true(all(r, BS, 0xbb));
		nx_sim_disk_power_loss(d, tear);
		io(d, NX_FILE_READ, 0, r, BS, 0);
		assert_true(all(r, BS, 0xbb) || (tear && all(r, BS, 0xcc)));
		nx_sim_disk_free(d);
	}
}

/* A write of one whole page (copied at submission, disk.c dio_stage)
 * is invisible until it completes, lands whole at completion (cached,
 * FUA and on a disk without cache), replaces a page that had dirty
 * blocks of its own, and vanishes if the power goes while in flight. */
static void test_page_write_lands_at_completion(void **state)
{
	static uint8_t w[8 * BS], r[8 * BS];

	for (int cache = 0; cache < 2; cache++) {
		struct nx_sim_disk *d = disk_make(cache ? "p1" : "p0",
						  cache ? 16 : 0, 0);
		struct done dn = { 0 };

		fill(w, BS, 0x11);                      /* block 9 dirty */
		io(d, NX_FILE_WRITE, 9 * BS, w, BS, 0);
		fill(w, sizeof(w), 0x22);
		assert_int_equal(nx_sim_disk_submit(d, NX_FILE_WRITE, w, sizeof(w),
						    8 * BS, on_done, &dn, NULL), 0);
		nx_sim_disk_read_visible(d, 8 * BS, r, sizeof(r));
		assert_true(all(r, BS, 0x00) && all(r + BS, BS, 0x11) &&
			    all(r + 2 * BS, 6 * BS, 0x00));
		nx_sim_run_idle(sim, UINT64_MAX);
		assert_int_equal(dn.calls, 1);
		nx_sim_disk_read_visible(d, 8 * BS, r, sizeof(r));
		assert_true(all(r, sizeof(r), 0x22));
		assert_int_equal(nx_sim_disk_dirty_blocks(d), cache ? 8 : 0);
		fill(w, sizeof(w), 0x33);
		io(d, NX_FILE_WRITE_FUA, 8 * BS, w, sizeof(w), 0);
		assert_int_equal(nx_sim_disk_dirty_blocks(d), 0);
		nx_sim_disk_read_durable(d, 8 * BS, r, sizeof(r));
		assert_true(all(r, sizeof(r), 0x33));
		/* in flight at power loss: never lands, no callback */
		fill(w, sizeof(w), 0x44);
		dn.calls = 0;
		assert_int_equal(nx_sim_disk_submit(d, NX_FILE_WRITE_FUA, w, sizeof(w),
						    8 * BS, on_done, &dn, NULL), 0);
		nx_sim_disk_power_loss(d, false);
		nx_sim_run_idle(sim, UINT64_MAX);
		assert_int_equal(dn.calls, 0);
		io(d, NX_FILE_READ, 8 * BS, r, sizeof(r), 0);
		assert_true(all(r, sizeof(r), 0x33));
		nx_sim_disk_free(d);
	}
}

/* Tearing keeps a seeded subset of dirty blocks, each old or new. */
static void test_tear_is_blockwise_and_seeded(void **state)
{
	static uint8_t w[64 * BS], r[BS];
	uint64_t kept[2] = { 0, 0 };

	for (unsigned run = 0; run < 2; run++) {
		struct nx_sim_opts o = { .seed = 77 };
		struct nx_sim *s2 = nx_sim_new(&o);
		struct nx_sim *saved = sim;
		struct nx_sim_disk *d;

		sim = s2;
		d = disk_make("t", 16, NX_SIM_PPB / 2);
		fill(w, sizeof(w), 0x5a);
		io(d, NX_FILE_WRITE, 0, w, sizeof(w), 0);
		nx_sim_disk_power_loss(d, true);
		for (unsigned b = 0; b < 64; b++) {
			nx_sim_disk_read_durable(d, (uint64_t)b * BS, r, BS);
			assert_true(all(r, BS, 0x5a) || all(r, BS, 0));
			kept[run] = kept[run] << 1 | all(r, BS, 0x5a);
		}
		nx_sim_free(s2);
		sim = saved;
	}
	assert_int_equal(kept[0], kept[1]);                /* same seed */
	assert_true(kept[0] != 0 && kept[0] != UINT64_MAX); /* a real tear */
}

static void test_cache_full_destages_oldest(void **state)
{
	struct nx_sim_disk *d = disk_make("c", 2, 0);
	static uint8_t w[BS], r[BS];
	struct nx_sim_disk_stats st;

	fill(w, BS, 0x33);
	for (unsigned ch = 0; ch < 3; ch++) /* three chunks, cache holds two */
		io(d, NX_FILE_WRITE, (uint64_t)ch * NX_SIM_DISK_CHUNK, w, BS, 0);
	nx_sim_disk_stats(d, &st);
	assert_int_equal(st.destages, 1);
	nx_sim_disk_power_loss(d, false);
	nx_sim_disk_read_durable(d, 0, r, BS);
	assert_true(all(r, BS, 0x33));                     /* oldest survived */
	nx_sim_disk_read_durable(d, 2 * NX_SIM_DISK_CHUNK, r, BS);
	assert_true(all(r, BS, 0));
	nx_sim_disk_free(d);
}

static void test_errors_and_limits(void **state)
{
	struct nx_sim_disk *d = disk_make("e", 0, 0);
	static uint8_t w[BS], r[BS];
	struct done dn = { 0 };

	fill(w, BS, 0x44);
	io(d, NX_FILE_WRITE, 0, w, BS, 0);                  /* write-through */
	nx_sim_disk_read_durable(d, 0, r, BS);
	assert_true(all(r, BS, 0x44));
	assert_int_equal(nx_sim_disk_inject_bad(d, BS, BS, 1u << NX_FILE_READ), 0);
	io(d, NX_FILE_READ, BS, r, BS, NX_EIO);
	io(d, NX_FILE_WRITE, BS, w, BS, 0);                 /* only reads fail */
	nx_sim_disk_clear_bad(d);
	io(d, NX_FILE_READ, BS, r, BS, 0);
	assert_int_equal(nx_sim_disk_submit(d, NX_FILE_READ, r, 100, 0, on_done, &dn, NULL), NX_EINVAL);
	assert_int_equal(nx_sim_disk_submit(d, NX_FILE_READ, r, BS, 1 << 20, on_done, &dn, NULL), NX_EINVAL);
	/* pending I/O vanishes at power loss: no callback */
	assert_int_equal(nx_sim_disk_submit(d, NX_FILE_READ, r, BS, 0, on_done, &dn, NULL), 0);
	nx_sim_disk_power_loss(d, false);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(dn.calls, 0);
	assert_int_equal(nx_sim_disk_inflight(d), 0);
	nx_sim_disk_free(d);
}

static void test_seeded_error_rate(void **state)
{
	struct nx_sim_disk_opts o;
	struct nx_sim_disk *d;
	static uint8_t r[BS];
	struct done dn[200];
	unsigned errs = 0;

	nx_sim_disk_opts_default(&o, 1 << 20);
	o.read_err_ppb = NX_SIM_PPB / 10;
	d = nx_sim_disk_new(sim, "r", &o);
	memset(dn, 0, sizeof(dn));
	for (unsigned i = 0; i < 200; i++)
		assert_int_equal(nx_sim_disk_submit(d, NX_FILE_READ, r, BS, 0, on_done, &dn[i], NULL), 0);
	nx_sim_run_idle(sim, UINT64_MAX);
	for (unsigned i = 0; i < 200; i++) {
		assert_int_equal(dn[i].calls, 1);
		errs += dn[i].err == NX_EIO;
	}
	assert_true(errs > 5 && errs < 40);
	nx_sim_disk_free(d);
}

struct file_done {
	unsigned calls;
	int err;
};

static void file_done(void *arg, int err)
{
	struct file_done *f = arg;

	f->calls++;
	f->err = err;
}

/* The platform's nx_file_* runs on the named sim disk. */
static void test_nx_file_on_sim_disk(void **state)
{
	static uint8_t w[BS], r[BS];
	struct nx_file *f, *g;
	struct file_done fd = { 0 };
	uint64_t size = 1 << 20;
	int64_t base = nx_sim_alloc_outstanding();

	assert_int_equal(nx_file_open("lun0.img", 0, &size, &f), NX_ENOENT);
	assert_int_equal(nx_file_open("lun0.img", NX_FILE_CREATE, &size, &f), 0);
	assert_non_null(nx_sim_disk_find(sim, "lun0.img"));
	fill(w, BS, 0x66);
	assert_int_equal(nx_file_submit(f, NX_FILE_WRITE_FUA, w, BS, 0, file_done, &fd), 0);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(fd.calls, 1);
	assert_int_equal(fd.err, 0);
	/* a power loss invalidates handles opened before it */
	nx_sim_disk_power_loss(nx_sim_disk_find(sim, "lun0.img"), false);
	assert_int_equal(nx_file_submit(f, NX_FILE_READ, r, BS, 0, file_done, &fd), NX_EIO);
	size = 0;
	assert_int_equal(nx_file_open("lun0.img", NX_FILE_READONLY, &size, &g), 0);
	assert_int_equal(size, 1 << 20);
	assert_int_equal(nx_file_submit(g, NX_FILE_WRITE, w, BS, 0, file_done, &fd), NX_EINVAL);
	assert_int_equal(nx_file_submit(g, NX_FILE_READ, r, BS, 0, file_done, &fd), 0);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_true(all(r, BS, 0x66));
	/* closing with I/O in flight drops its completion */
	assert_int_equal(nx_file_submit(g, NX_FILE_READ, r, BS, 0, file_done, &fd), 0);
	nx_file_close(g);
	nx_file_close(f);
	nx_sim_run_idle(sim, UINT64_MAX);
	assert_int_equal(fd.calls, 2);
	assert_int_equal(nx_sim_alloc_outstanding(), base);
}

/* ---- the store against a reference model ------------------------------------
 *
 * Random cached writes, FUA writes, SYNCs and power losses (dropped or
 * torn cache) at block sizes from 512 B to 16 KiB, offsets and lengths
 * not aligned to the store's pages; after every step what a read sees
 * (nx_sim_disk_read_visible) and what would survive (read_durable) must
 * be the model's, byte for byte.  The model keeps, per block, the
 * durable bytes, the cached bytes and a dirty flag, and the ring of
 * chunks in first-dirty order (a full cache destages the oldest).  After
 * a tear each dirty block must be old or new, never a mix. */
#define M_SIZE (1u << 20)
#define M_CHUNKS (M_SIZE / NX_SIM_DISK_CHUNK)
#define M_CACHE 3u

struct model {
	uint32_t bs;
	uint8_t durable[M_SIZE], cache[M_SIZE];
	bool dirty[M_SIZE / BS];
	unsigned ring[M_CHUNKS], ring_n;
};

static void m_flush_chunk(struct model *m, unsigned ch)
{
	uint32_t per = NX_SIM_DISK_CHUNK / m->bs;

	for (uint32_t b = ch * per; b < (ch + 1) * per; b++) {
		if (!m->dirty[b])
			continue;
		memcpy(m->durable + (size_t)b * m->bs, m->cache + (size_t)b * m->bs, m->bs);
		m->dirty[b] = false;
	}
}

static bool m_listed(const struct model *m, unsigned ch)
{
	for (unsigned i = 0; i < m->ring_n; i++)
		if (m->ring[i] == ch)
			return true;
	return false;
}

static void m_write(struct model *m, uint64_t off, const uint8_t *w, size_t len,
		    bool fua)
{
	for (size_t o = 0; o < len; o += m->bs) {
		uint32_t b = (uint32_t)((off + o) / m->bs);
		unsigned ch = (unsigned)((off + o) / NX_SIM_DISK_CHUNK);

		if (fua) {
			memcpy(m->durable + off + o, w + o, m->bs);
			m->dirty[b] = false;
			continue;
		}
		if (!m_listed(m, ch)) {
			if (m->ring_n == M_CACHE) {
				m_flush_chunk(m, m->ring[0]);
				memmove(m->ring, m->ring + 1, --m->ring_n * sizeof(m->ring[0]));
			}
			m->ring[m->ring_n++] = ch;
		}
		memcpy(m->cache + off + o, w + o, m->bs);
		m->dirty[b] = true;
	}
}

static void m_check(struct nx_sim_disk *d, const struct model *m, uint8_t *r)
{
	nx_sim_disk_read_durable(d, 0, r, M_SIZE);
	assert_memory_equal(r, m->durable, M_SIZE);
	nx_sim_disk_read_visible(d, 0, r, M_SIZE);
	for (uint32_t b = 0; b < M_SIZE / m->bs; b++)
		assert_memory_equal(r + (size_t)b * m->bs,
				    (m->dirty[b] ? m->cache : m->durable) +
				    (size_t)b * m->bs, m->bs);
}

/* A READ through nx_sim_disk_submit (the I/O path, not the invariant
 * readers) of a random range, sometimes page aligned and whole pages as
 * a 4 KiB-aligned workload sends them, must return the model's bytes. */
static void m_read_check(struct nx_sim_disk *d, const struct model *m,
			 struct nx_rng *rng, uint8_t *r)
{
	uint32_t per_page = m->bs < 4096 ? 4096 / m->bs : 1;
	uint32_t nb = (uint32_t)nx_rng_range(rng, 1, 64 * 1024 / m->bs);
	uint64_t b0 = nx_rng_below(rng, M_SIZE / m->bs - nb + 1);

	if (nx_rng_chance(rng, 1, 2)) { /* whole pages */
		nb = (nb + per_page - 1) / per_page * per_page;
		b0 = b0 / per_page * per_page;
		if (b0 + nb > M_SIZE / m->bs)
			b0 = M_SIZE / m->bs - nb;
	}
	io(d, NX_FILE_READ, b0 * m->bs, r, (size_t)nb * m->bs, 0);
	for (uint32_t b = 0; b < nb; b++)
		assert_memory_equal(r + (size_t)b * m->bs,
				    (m->dirty[b0 + b] ? m->cache : m->durable) +
				    (size_t)(b0 + b) * m->bs, m->bs);
}

/* Power loss: dropped (tear false) or torn; the model adopts the tear. */
static void m_power_loss(struct nx_sim_disk *d, struct model *m, bool tear,
			 uint8_t *r)
{
	nx_sim_disk_power_loss(d, tear);
	nx_sim_disk_read_durable(d, 0, r, M_SIZE);
	for (uint32_t b = 0; b < M_SIZE / m->bs; b++) {
		size_t at = (size_t)b * m->bs;
		bool old = memcmp(r + at, m->durable + at, m->bs) == 0;
		bool new = m->dirty[b] && memcmp(r + at, m->cache + at, m->bs) == 0;

		assert_true(old || (tear && new));
		if (new)
			memcpy(m->durable + at, m->cache + at, m->bs);
		m->dirty[b] = false;
	}
	m->ring_n = 0;
}

static void test_store_matches_model(void **state)
{
	static const uint32_t sizes[] = { 512, 1024, 4096, 16384 };
	static struct model m;
	static uint8_t w[64 * 1024], r[M_SIZE];
	struct nx_rng rng;

	nx_rng_init(&rng, 5);
	for (unsigned si = 0; si < NX_ARRAY_SIZE(sizes); si++) {
		struct nx_sim_disk_opts o;
		struct nx_sim_disk *d;
		char name[16];

		memset(&m, 0, sizeof(m));
		m.bs = sizes[si];
		nx_sim_disk_opts_default(&o, M_SIZE);
		o.block_size = m.bs;
		o.cache_chunks_max = M_CACHE;
		o.tear_keep_ppb = NX_SIM_PPB / 2;
		snprintf(name, sizeof(name), "m%u", si);
		d = nx_sim_disk_new(sim, name, &o);
		assert_non_null(d);
		for (unsigned step = 0; step < 400; step++) {
			uint64_t pick = nx_rng_below(&rng, 100);
			uint32_t nb = (uint32_t)nx_rng_range(&rng, 1, sizeof(w) / m.bs);
			uint64_t off = nx_rng_below(&rng, M_SIZE / m.bs - nb + 1) * m.bs;
			size_t len = (size_t)nb * m.bs;

			nx_rng_fill(&rng, w, len);
			if (pick < 70) {
				io(d, NX_FILE_WRITE, off, w, len, 0);
				m_write(&m, off, w, len, false);
			} else if (pick < 85) {
				io(d, NX_FILE_WRITE_FUA, off, w, len, 0);
				m_write(&m, off, w, len, true);
			} else if (pick < 93) {
				io(d, NX_FILE_SYNC, 0, NULL, 0, 0);
				for (unsigned i = 0; i < m.ring_n; i++)
					m_flush_chunk(&m, m.ring[i]);
				m.ring_n = 0;
			} else {
				m_power_loss(d, &m, pick >= 97, r);
			}
			m_check(d, &m, r);
			m_read_check(d, &m, &rng, r);
		}
		nx_sim_disk_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_loss_drops_unsynced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_makes_durable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fua_over_cached_same_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_write_lands_at_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tear_is_blockwise_and_seeded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_full_destages_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_and_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seeded_error_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nx_file_on_sim_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_matches_model, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
