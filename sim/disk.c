/*
 * disk.c - the simulated disk (see nx_sim_disk.h for the model).
 *
 * Storage is page-granular copy-on-write: the image is cut in pages of
 * PAGE_BYTES (or one block, if blocks are larger), each page written so
 * far lives in a page slot (slabs of SLAB_BYTES on transparent huge
 * pages, a LIFO of free slots), and a page with cached writes (dirty
 * blocks: exactly those pages) has a second slot for its volatile copy.  Which copy a block reads from is
 * its dirty bit (cache if set, else durable, else zeros).  A write into
 * the cache is one copy, into the page's cache slot, whatever the page
 * held before; destaging a page copies whichever is smaller: its dirty
 * blocks into the durable slot, or its clean blocks into the cache slot,
 * which then becomes the durable one (a page written whole moves without
 * a copy).  So a 4 KiB read is one or two contiguous copies, and the
 * memory is the pages written plus the pages with cached writes.
 *
 * Accounting is per 64 KiB chunk, as the model says (nx_sim_disk.h): a
 * chunk with dirty blocks has a per-block dirty bitmap and sits in a
 * ring in the order it first became dirty, which is the destage order
 * when the cache is full and the iteration order at power loss, so
 * every outcome depends only on the sequence of operations and the seed.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "nx_sim_disk.h"

#define BLOCKS_PER_CHUNK_MAX (NX_SIM_DISK_CHUNK / 512)
#define DIRTY_WORDS (BLOCKS_PER_CHUNK_MAX / 64)
#define NO_DIO UINT32_MAX
#define SLAB_BYTES (2u << 20)
#define PAGE_BYTES 4096u
#define SLOT_NONE 0u

struct chunk {
	/* NULL until a block of the chunk is written; then slot[p] is page
	 * p's durable slot and slot[ppc + p] its cache slot (SLOT_NONE:
	 * none; a cache slot's blocks are meaningful where dirty). */
	uint32_t *slot;
	uint64_t dirty[DIRTY_WORDS];
	bool listed;
};

struct dio {
	struct nx_sim_disk *disk;
	enum nx_file_op op;
	uint8_t *buf;
	size_t len;
	uint64_t off;
	nx_sim_disk_done_fn done;
	void *arg;
	const void *owner;
	nx_sim_event_id ev;
	int err;
	uint32_t next_free;
	uint32_t stage; /* a one-page write's bytes, copied at submission */
	bool used;
};

struct bad_range {
	uint64_t off, len;
	unsigned op_mask;
};

struct nx_sim_disk {
	struct nx_sim *sim;
	struct nx_sim_disk *next; /* registry */
	char name[NX_SIM_DISK_NAME_MAX];
	struct nx_sim_disk_opts o;
	struct nx_rng rng;
	struct chunk *chunks;
	uint64_t nchunks;
	uint32_t *dirty_ring; /* chunk indices, oldest first */
	uint32_t ring_head, ring_count;
	struct dio *dios;
	uint32_t dio_free, inflight;
	uint32_t bpp, ppc;         /* blocks per page, pages per chunk */
	unsigned bs_shift;         /* log2(block_size) */
	unsigned bpp_shift;        /* log2(bpp) */
	unsigned pg_shift;         /* log2(page bytes) */
	/* Page slots: slot i is slab i >> slab_shift, index i & slab_mask
	 * in it.  Slot 0 is never handed out (SLOT_NONE). */
	uint8_t **slabs;
	uint32_t nslabs, slabs_cap;
	unsigned slab_shift;
	uint32_t slot_next;        /* slots [1, slot_next) were handed out */
	uint32_t *free_slots;      /* LIFO: the latest freed is reused first */
	uint32_t nfree, free_cap;
	struct bad_range bad[NX_SIM_DISK_BAD_MAX];
	unsigned bad_count;
	uint32_t epoch;
	uint64_t extra_lat_ns;  /* nx_sim_disk_set_extra_latency() */
	struct nx_sim_disk_stats st;
};

static struct nx_sim_disk *registry;

void nx_sim_disk_opts_default(struct nx_sim_disk_opts *o, uint64_t size_bytes)
{
	memset(o, 0, sizeof(*o));
	o->size_bytes = size_bytes;
	o->block_size = 512;
	o->read_lat_min_ns = 20000;
	o->read_lat_max_ns = 80000;
	o->write_lat_min_ns = 10000;
	o->write_lat_max_ns = 40000;
	o->media_lat_ns = 200000;
	o->cache_chunks_max = 256; /* 16 MiB of write-back cache */
	o->tear_keep_ppb = NX_SIM_PPB / 2;
	o->inflight_max = 1024;
}

void nx_sim_disk_opts_from_seed(struct nx_sim_disk_opts *o,
				uint64_t size_bytes, struct nx_rng *rng)
{
	nx_sim_disk_opts_default(o, size_bytes);
	o->read_lat_min_ns = nx_rng_range(rng, 1000, 100000);
	o->read_lat_max_ns = o->read_lat_min_ns + nx_rng_range(rng, 0, 200000);
	o->write_lat_min_ns = nx_rng_range(rng, 1000, 100000);
	o->write_lat_max_ns = o->write_lat_min_ns + nx_rng_range(rng, 0, 200000);
	o->media_lat_ns = nx_rng_range(rng, 10000, 2000000);
	o->tail_ppb = (uint32_t)nx_rng_range(rng, 0, NX_SIM_PPB / 100);
	o->tail_lat_ns = nx_rng_range(rng, 1000000, 50000000);
	o->cache_chunks_max = (uint32_t)nx_rng_range(rng, 0, 512);
	o->tear_keep_ppb = (uint32_t)nx_rng_range(rng, 0, NX_SIM_PPB);
}

static bool opts_valid(const struct nx_sim_disk_opts *o)
{
	uint32_t bs = o->block_size;

	return bs >= 512 && bs <= NX_SIM_DISK_CHUNK && (bs & (bs - 1)) == 0 &&
	       o->size_bytes > 0 && o->size_bytes % bs == 0 &&
	       o->size_bytes <= NX_SIM_DISK_SIZE_MAX &&
	       o->read_lat_min_ns <= o->read_lat_max_ns &&
	       o->write_lat_min_ns <= o->write_lat_max_ns;
}

static unsigned log2u(uint32_t v)
{
	unsigned n = 0;

	while ((1u << n) < v)
		n++;
	return n;
}

static int disk_alloc(struct nx_sim_disk *d)
{
	uint32_t n = d->o.inflight_max;

	d->nchunks = (d->o.size_bytes + NX_SIM_DISK_CHUNK - 1) / NX_SIM_DISK_CHUNK;
	d->bs_shift = log2u(d->o.block_size);
	d->pg_shift = log2u(NX_MAX(d->o.block_size, PAGE_BYTES));
	d->bpp_shift = d->pg_shift - d->bs_shift;
	d->bpp = 1u << d->bpp_shift;
	d->ppc = NX_SIM_DISK_CHUNK >> d->pg_shift;
	d->slab_shift = log2u(SLAB_BYTES) - d->pg_shift;
	d->slot_next = 1; /* slot 0 is SLOT_NONE */
	d->chunks = calloc(d->nchunks, sizeof(*d->chunks));
	d->dirty_ring = calloc(d->o.cache_chunks_max + 1, sizeof(uint32_t));
	d->dios = calloc(n, sizeof(*d->dios));
	if (d->chunks == NULL || d->dirty_ring == NULL || d->dios == NULL)
		return NX_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		d->dios[i].next_free = i + 1 < n ? i + 1 : NO_DIO;
	d->dio_free = 0;
	return NX_OK;
}

struct nx_sim_disk *nx_sim_disk_new(struct nx_sim *sim, const char *name,
				    const struct nx_sim_disk_opts *opts)
{
	struct nx_sim_disk *d;

	if (!opts_valid(opts) || strlen(name) >= NX_SIM_DISK_NAME_MAX ||
	    nx_sim_disk_find(sim, name) != NULL)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->sim = sim;
	d->o = *opts;
	if (d->o.inflight_max == 0)
		d->o.inflight_max = 1024;
	strcpy(d->name, name);
	nx_rng_fork(nx_sim_rng(sim), "disk", 0, &d->rng);
	nx_rng_fork(&d->rng, name, 0, &d->rng);
	if (disk_alloc(d) != NX_OK) {
		free(d->chunks);
		free(d->dirty_ring);
		free(d->dios);
		free(d);
		return NULL;
	}
	d->next = registry;
	registry = d;
	return d;
}

void nx_sim_disk_free(struct nx_sim_disk *d)
{
	struct nx_sim_disk **pp;

	if (d == NULL)
		return;
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	for (uint32_t i = 0; i < d->o.inflight_max; i++)
		if (d->dios[i].used)
			nx_sim_cancel(d->sim, d->dios[i].ev);
	for (uint64_t i = 0; i < d->nchunks; i++)
		free(d->chunks[i].slot);
	for (uint32_t i = 0; i < d->nslabs; i++)
		free(d->slabs[i]);
	free(d->slabs);
	free(d->free_slots);
	free(d->chunks);
	free(d->dirty_ring);
	free(d->dios);
	free(d);
}

struct nx_sim_disk *nx_sim_disk_find(struct nx_sim *sim, const char *name)
{
	for (struct nx_sim_disk *d = registry; d != NULL; d = d->next)
		if (d->sim == sim && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

void nx_sim_disk_free_all(struct nx_sim *sim)
{
	struct nx_sim_disk *d = registry, *next;

	for (; d != NULL; d = next) {
		next = d->next;
		if (d->sim == sim)
			nx_sim_disk_free(d);
	}
}

uint64_t nx_sim_disk_size(const struct nx_sim_disk *d) { return d->o.size_bytes; }
uint32_t nx_sim_disk_block_size(const struct nx_sim_disk *d) { return d->o.block_size; }
uint32_t nx_sim_disk_epoch(const struct nx_sim_disk *d) { return d->epoch; }
unsigned nx_sim_disk_inflight(const struct nx_sim_disk *d) { return d->inflight; }

void nx_sim_disk_stats(const struct nx_sim_disk *d, struct nx_sim_disk_stats *out)
{
	*out = d->st;
}

/* ---- block store ----------------------------------------------------------- */

static uint8_t *slot_ptr(const struct nx_sim_disk *d, uint32_t s)
{
	uint32_t mask = (1u << d->slab_shift) - 1;

	return d->slabs[s >> d->slab_shift] + ((size_t)(s & mask) << d->pg_shift);
}

/* Block i of the page in slot s. */
static uint8_t *blk_ptr(const struct nx_sim_disk *d, uint32_t s, uint32_t i)
{
	return slot_ptr(d, s) + ((size_t)i << d->bs_shift);
}

/* A slab on a transparent huge page where the kernel has one: pages
 * are scattered over the image (a write takes the slot freed last), and
 * with 4 KiB pages nearly every copy was also a TLB miss. */
static uint8_t *slab_new(struct nx_sim_disk *d)
{
	uint8_t *p = aligned_alloc(SLAB_BYTES, SLAB_BYTES);

	if (p == NULL)
		nx_sim_fail(d->sim, "sim disk %s: out of memory", d->name);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, SLAB_BYTES, MADV_HUGEPAGE);
#endif
	return p;
}

/* A page slot, contents undefined. */
static uint32_t slot_new(struct nx_sim_disk *d)
{
	uint32_t s;

	if (d->nfree > 0)
		return d->free_slots[--d->nfree];
	s = d->slot_next;
	if ((s >> d->slab_shift) == d->nslabs) {
		if (d->nslabs == d->slabs_cap) {
			uint32_t cap = d->slabs_cap ? 2 * d->slabs_cap : 16;
			uint8_t **ns = realloc(d->slabs, cap * sizeof(*ns));

			if (ns == NULL)
				nx_sim_fail(d->sim, "sim disk %s: out of memory", d->name);
			d->slabs = ns;
			d->slabs_cap = cap;
		}
		d->slabs[d->nslabs] = slab_new(d);
		d->nslabs++;
	}
	d->slot_next++;
	return s;
}

/* A durable page: what was never written reads as zeros. */
static uint32_t slot_new_zeroed(struct nx_sim_disk *d)
{
	uint32_t s = slot_new(d);

	memset(slot_ptr(d, s), 0, (size_t)1 << d->pg_shift);
	return s;
}

static void slot_free(struct nx_sim_disk *d, uint32_t s)
{
	if (s == SLOT_NONE)
		return;
	if (d->nfree == d->free_cap) {
		uint32_t cap = d->free_cap ? 2 * d->free_cap : 1024;
		uint32_t *nf = realloc(d->free_slots, cap * sizeof(*nf));

		if (nf == NULL)
			nx_sim_fail(d->sim, "sim disk %s: out of memory", d->name);
		d->free_slots = nf;
		d->free_cap = cap;
	}
	d->free_slots[d->nfree++] = s;
}

static uint32_t *chunk_slots(struct nx_sim_disk *d, struct chunk *c)
{
	if (c->slot == NULL) {
		c->slot = calloc(2 * (size_t)d->ppc, sizeof(uint32_t));
		if (c->slot == NULL)
			nx_sim_fail(d->sim, "sim disk %s: out of memory", d->name);
	}
	return c->slot;
}

/* Dirty bits of page p (bpp <= 8 bits, never across a word). */
static uint32_t page_dirty(const struct nx_sim_disk *d, const struct chunk *c,
			   uint32_t p)
{
	uint32_t first = p << d->bpp_shift;

	return (uint32_t)(c->dirty[first / 64] >> (first % 64)) &
	       ((1u << d->bpp) - 1);
}

/* Copies the blocks of a page whose bit in mask equals set, from slot
 * src to slot dst (src SLOT_NONE: zeros), one copy per run. */
static void page_copy_runs(struct nx_sim_disk *d, uint32_t mask, bool set,
			   uint32_t dst, uint32_t src)
{
	for (uint32_t i = 0; i < d->bpp;) {
		uint32_t e = i;

		while (e < d->bpp && (((mask >> e) & 1) != 0) == set)
			e++;
		if (e > i) {
			size_t n = (size_t)(e - i) << d->bs_shift;

			if (src == SLOT_NONE)
				memset(blk_ptr(d, dst, i), 0, n);
			else
				memcpy(blk_ptr(d, dst, i), blk_ptr(d, src, i), n);
		}
		while (e < d->bpp && (((mask >> e) & 1) != 0) != set)
			e++;
		i = e;
	}
}

/* Destages page p (it has dirty blocks, so a cache slot): its dirty
 * blocks become durable, for the cost of the smaller half (see the top
 * of the file); the cache slot goes. */
static void page_destage(struct nx_sim_disk *d, struct chunk *c, uint32_t p)
{
	uint32_t *ds = &c->slot[p], *cs = &c->slot[d->ppc + p];
	uint32_t m = page_dirty(d, c, p);
	uint32_t nd = (uint32_t)__builtin_popcount(m);

	nx_assert(nd > 0 && *cs != SLOT_NONE);
	if (2 * nd >= d->bpp) {
		if (nd < d->bpp)
			page_copy_runs(d, m, false, *cs, *ds);
		slot_free(d, *ds);
		*ds = *cs;
	} else {
		if (*ds == SLOT_NONE)
			*ds = slot_new_zeroed(d);
		page_copy_runs(d, m, true, *ds, *cs);
		slot_free(d, *cs);
	}
	*cs = SLOT_NONE;
}

/* A tear keeps block b (of a page with a cache slot). */
static void block_persist(struct nx_sim_disk *d, struct chunk *c, uint32_t b)
{
	uint32_t p = b >> d->bpp_shift, i = b & (d->bpp - 1);
	uint32_t *ds = &c->slot[p];

	if (*ds == SLOT_NONE)
		*ds = slot_new_zeroed(d);
	memcpy(blk_ptr(d, *ds, i), blk_ptr(d, c->slot[d->ppc + p], i),
	       d->o.block_size);
}

/* keep_ppb: NX_SIM_PPB destages every dirty block, 0 drops them all;
 * in between, a tear: one draw per dirty block, in block order. */
static void chunk_flush(struct nx_sim_disk *d, struct chunk *c, uint32_t keep_ppb)
{
	/* A page has a cache slot exactly when it has dirty blocks (see
	 * blk_write_durable), so only those pages are visited. */
	if (keep_ppb >= NX_SIM_PPB) {
		/* Pages in order, found from the dirty words (a page's bits
		 * never cross a word): the clean ones cost nothing. */
		uint64_t page_bits = ((uint64_t)1 << d->bpp) - 1;

		for (unsigned w = 0; w < DIRTY_WORDS; w++) {
			for (uint64_t m = c->dirty[w]; m != 0;) {
				uint32_t b = w * 64 + (uint32_t)__builtin_ctzll(m);
				uint32_t p = b >> d->bpp_shift;

				page_destage(d, c, p);
				m &= ~(page_bits << ((p << d->bpp_shift) % 64));
			}
		}
	} else {
		for (unsigned w = 0; w < DIRTY_WORDS; w++) {
			for (uint64_t m = c->dirty[w]; m != 0; m &= m - 1) {
				uint32_t b = w * 64 + (uint32_t)__builtin_ctzll(m);

				if (nx_rng_ppb(&d->rng, keep_ppb))
					block_persist(d, c, b);
				else
					d->st.blocks_lost++;
			}
		}
		for (uint32_t p = 0; p < d->ppc; p++) {
			if (page_dirty(d, c, p) == 0)
				continue;
			slot_free(d, c->slot[d->ppc + p]);
			c->slot[d->ppc + p] = SLOT_NONE;
		}
	}
	memset(c->dirty, 0, sizeof(c->dirty));
	c->listed = false;
}

/* Index of the ring entry i places after the head (i <= cap): the ring
 * is cache_chunks_max long, not a power of 2, and a division per write
 * showed. */
static uint32_t ring_at(const struct nx_sim_disk *d, uint32_t i)
{
	uint32_t at = d->ring_head + i;

	return at >= d->o.cache_chunks_max ? at - d->o.cache_chunks_max : at;
}

static void ring_flush_oldest(struct nx_sim_disk *d, uint32_t keep_ppb)
{
	uint32_t ci = d->dirty_ring[d->ring_head];

	nx_assert(d->ring_count > 0);
	d->ring_head = ring_at(d, 1);
	d->ring_count--;
	chunk_flush(d, &d->chunks[ci], keep_ppb);
}

static void cache_flush_all(struct nx_sim_disk *d, uint32_t keep_ppb)
{
	while (d->ring_count > 0)
		ring_flush_oldest(d, keep_ppb);
}

static void chunk_list(struct nx_sim_disk *d, uint64_t ci)
{
	uint32_t cap = d->o.cache_chunks_max;
	struct chunk *c = &d->chunks[ci];

	if (c->listed)
		return;
	if (d->ring_count == cap) {
		ring_flush_oldest(d, NX_SIM_PPB);
		d->st.destages++;
	}
	d->dirty_ring[ring_at(d, d->ring_count)] = (uint32_t)ci;
	d->ring_count++;
	c->listed = true;
}

/* Visits [off, off+len) in runs of blocks within one page:
 * fn(d, chunk, first block, blocks, bytes). */
typedef void (*block_fn)(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			 uint32_t n, uint8_t *bytes);

/* Inlined into each caller, so fn is a direct (inlined) call. */
static inline __attribute__((always_inline)) void
for_blocks(struct nx_sim_disk *d, uint64_t off, uint8_t *buf, size_t len,
	   block_fn fn)
{
	uint32_t bs = d->o.block_size;
	size_t page = (size_t)1 << d->pg_shift;

	nx_assert(((off | len) & (bs - 1)) == 0);
	nx_assert(off + len <= d->o.size_bytes);
	for (size_t done = 0; done < len;) {
		uint64_t at = off + done;
		size_t n = NX_MIN(page - at % page, len - done);

		fn(d, at / NX_SIM_DISK_CHUNK,
		   (uint32_t)((at % NX_SIM_DISK_CHUNK) >> d->bs_shift),
		   (uint32_t)(n >> d->bs_shift), buf + done);
		done += n;
	}
}

/* Bits [i, i+n) of a page's dirty bits (n <= bpp <= 8). */
static uint32_t run_bits(uint32_t i, uint32_t n)
{
	return ((1u << n) - 1) << i;
}

/* Blocks [b, b+n) of one page (never across a dirty word). */
static void dirty_set(struct chunk *c, uint32_t b, uint32_t n, bool dirty)
{
	uint64_t m = (uint64_t)run_bits(0, n) << (b % 64);

	if (dirty)
		c->dirty[b / 64] |= m;
	else
		c->dirty[b / 64] &= ~m;
}

/* Blocks [b, b+n) of one page: cache where dirty, else durable, else
 * zeros; one copy per run from the same source. */
static void page_out(const struct nx_sim_disk *d, const struct chunk *c,
		     uint32_t b, uint32_t n, uint8_t *bytes, bool durable_only)
{
	uint32_t p = b >> d->bpp_shift, i0 = b & (d->bpp - 1);
	uint32_t m = c->slot != NULL && !durable_only ? page_dirty(d, c, p) : 0;
	uint32_t ds = c->slot != NULL ? c->slot[p] : SLOT_NONE;
	uint32_t run = m & run_bits(i0, n);

	if (run == 0 || run == run_bits(i0, n)) { /* one source: one copy */
		uint32_t src = run == 0 ? ds : c->slot[d->ppc + p];

		if (src == SLOT_NONE)
			memset(bytes, 0, (size_t)n << d->bs_shift);
		else
			memcpy(bytes, blk_ptr(d, src, i0), (size_t)n << d->bs_shift);
		return;
	}
	for (uint32_t i = i0; i < i0 + n;) {
		bool cached = (m >> i) & 1;
		uint32_t src = cached ? c->slot[d->ppc + p] : ds, e = i + 1;
		size_t len;

		while (e < i0 + n && (((m >> e) & 1) != 0) == cached)
			e++;
		len = (size_t)(e - i) << d->bs_shift;
		if (src == SLOT_NONE)
			memset(bytes, 0, len);
		else
			memcpy(bytes, blk_ptr(d, src, i), len);
		bytes += len;
		i = e;
	}
}

static void blk_read(struct nx_sim_disk *d, uint64_t ci, uint32_t b, uint32_t n,
		     uint8_t *bytes)
{
	page_out(d, &d->chunks[ci], b, n, bytes, false);
}

static void blk_read_durable(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			     uint32_t n, uint8_t *bytes)
{
	page_out(d, &d->chunks[ci], b, n, bytes, true);
}

/* Into the page's cache slot (made on the first cached write: its
 * other blocks are not dirty, so never read). */
static void blk_write_cache(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			    uint32_t n, uint8_t *bytes)
{
	struct chunk *c = &d->chunks[ci];
	uint32_t *cs = chunk_slots(d, c) + d->ppc + (b >> d->bpp_shift);

	chunk_list(d, ci);
	if (*cs == SLOT_NONE)
		*cs = slot_new(d);
	memcpy(blk_ptr(d, *cs, b & (d->bpp - 1)), bytes, (size_t)n << d->bs_shift);
	dirty_set(c, b, n, true);
}

/* Durable write: the cached copy of the blocks (older) is discarded,
 * and the page's cache slot with it once no block of the page is dirty
 * (a page has a cache slot exactly when it has dirty blocks). */
static void blk_write_durable(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			      uint32_t n, uint8_t *bytes)
{
	struct chunk *c = &d->chunks[ci];
	uint32_t p = b >> d->bpp_shift;
	uint32_t *ds = chunk_slots(d, c) + p, *cs = ds + d->ppc;

	if (*ds == SLOT_NONE)
		*ds = n == d->bpp ? slot_new(d) : slot_new_zeroed(d);
	memcpy(blk_ptr(d, *ds, b & (d->bpp - 1)), bytes, (size_t)n << d->bs_shift);
	dirty_set(c, b, n, false);
	if (*cs != SLOT_NONE && page_dirty(d, c, p) == 0) {
		slot_free(d, *cs);
		*cs = SLOT_NONE;
	}
}

/* A one-page write staged at submission (dio_stage) lands by putting
 * its slot in place: the same outcome as blk_write_cache or
 * blk_write_durable writing all bpp blocks, without the copy. */
static void page_install(struct nx_sim_disk *d, struct dio *io, bool cached)
{
	uint64_t ci = io->off / NX_SIM_DISK_CHUNK;
	uint32_t b = (uint32_t)((io->off % NX_SIM_DISK_CHUNK) >> d->bs_shift);
	struct chunk *c = &d->chunks[ci];
	uint32_t *ds = chunk_slots(d, c) + (b >> d->bpp_shift), *cs = ds + d->ppc;

	if (cached) {
		chunk_list(d, ci);
		slot_free(d, *cs);
		*cs = io->stage;
	} else {
		slot_free(d, *ds);
		*ds = io->stage;
		slot_free(d, *cs);
		*cs = SLOT_NONE;
	}
	dirty_set(c, b, d->bpp, cached);
	io->stage = SLOT_NONE;
}

void nx_sim_disk_read_visible(const struct nx_sim_disk *d, uint64_t off,
			      void *buf, size_t len)
{
	for_blocks((struct nx_sim_disk *)d, off, buf, len, blk_read);
}

void nx_sim_disk_read_durable(const struct nx_sim_disk *d, uint64_t off,
			      void *buf, size_t len)
{
	for_blocks((struct nx_sim_disk *)d, off, buf, len, blk_read_durable);
}

uint64_t nx_sim_disk_dirty_blocks(const struct nx_sim_disk *d)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < d->ring_count; i++) {
		const struct chunk *c = &d->chunks[d->dirty_ring[ring_at(d, i)]];

		for (unsigned w = 0; w < DIRTY_WORDS; w++)
			n += (uint64_t)__builtin_popcountll(c->dirty[w]);
	}
	return n;
}

/* ---- I/O ----------------------------------------------------------------- */

static void dio_put(struct nx_sim_disk *d, struct dio *io)
{
	io->used = false;
	io->next_free = d->dio_free;
	d->dio_free = (uint32_t)(io - d->dios);
	d->inflight--;
}

static void dio_apply(struct nx_sim_disk *d, struct dio *io)
{
	if (io->stage != SLOT_NONE) {
		page_install(d, io, io->op == NX_FILE_WRITE &&
				    d->o.cache_chunks_max != 0);
		return;
	}
	switch (io->op) {
	case NX_FILE_READ:
		for_blocks(d, io->off, io->buf, io->len, blk_read);
		break;
	case NX_FILE_WRITE:
		if (d->o.cache_chunks_max == 0)
			for_blocks(d, io->off, io->buf, io->len, blk_write_durable);
		else
			for_blocks(d, io->off, io->buf, io->len, blk_write_cache);
		break;
	case NX_FILE_WRITE_FUA:
		for_blocks(d, io->off, io->buf, io->len, blk_write_durable);
		break;
	case NX_FILE_SYNC:
		cache_flush_all(d, NX_SIM_PPB);
		break;
	}
}

static void dio_complete(void *arg)
{
	struct dio *io = arg;
	struct nx_sim_disk *d = io->disk;
	nx_sim_disk_done_fn done = io->done;
	void *done_arg = io->arg;
	int err = io->err;

	nx_assert(io->used);
	if (err == 0)
		dio_apply(d, io);
	else
		d->st.errors++;
	/* Free before the callback: it may submit the next I/O. */
	dio_put(d, io);
	done(done_arg, err);
}

static bool bad_hit(const struct nx_sim_disk *d, enum nx_file_op op,
		    uint64_t off, size_t len)
{
	unsigned bit = 1u << (op == NX_FILE_WRITE_FUA ? NX_FILE_WRITE : op);

	for (unsigned i = 0; i < d->bad_count; i++) {
		const struct bad_range *r = &d->bad[i];

		if ((r->op_mask & bit) && off < r->off + r->len && r->off < off + len)
			return true;
	}
	return false;
}

/* Draws latency and error at submission, so the draws follow the order
 * in which the initiator-visible I/Os were issued. */
static void dio_draw(struct nx_sim_disk *d, struct dio *io, uint64_t *lat)
{
	const struct nx_sim_disk_opts *o = &d->o;
	bool rd = io->op == NX_FILE_READ;

	if (io->op == NX_FILE_SYNC)
		*lat = o->media_lat_ns;
	else if (rd)
		*lat = nx_rng_range(&d->rng, o->read_lat_min_ns, o->read_lat_max_ns);
	else
		*lat = nx_rng_range(&d->rng, o->write_lat_min_ns, o->write_lat_max_ns);
	if (io->op == NX_FILE_WRITE_FUA)
		*lat += o->media_lat_ns;
	if (nx_rng_ppb(&d->rng, o->tail_ppb))
		*lat += nx_rng_range(&d->rng, 0, o->tail_lat_ns);
	*lat += d->extra_lat_ns;
	io->err = 0;
	if (io->op != NX_FILE_SYNC &&
	    (bad_hit(d, io->op, io->off, io->len) ||
	     nx_rng_ppb(&d->rng, rd ? o->read_err_ppb : o->write_err_ppb)))
		io->err = NX_EIO;
}

static int submit_check(const struct nx_sim_disk *d, enum nx_file_op op,
			void *buf, size_t len, uint64_t off)
{
	uint32_t bs = d->o.block_size;

	if (op == NX_FILE_SYNC)
		return NX_OK;
	if (op != NX_FILE_READ && op != NX_FILE_WRITE && op != NX_FILE_WRITE_FUA)
		return NX_EINVAL;
	/* bs is a power of 2 (opts_valid): masks, not two divisions. */
	if (buf == NULL || len == 0 || ((off | len) & (bs - 1)) != 0 ||
	    off > d->o.size_bytes || len > d->o.size_bytes - off)
		return NX_EINVAL;
	return NX_OK;
}

static void stats_count(struct nx_sim_disk *d, enum nx_file_op op)
{
	switch (op) {
	case NX_FILE_READ: d->st.reads++; break;
	case NX_FILE_WRITE: d->st.writes++; break;
	case NX_FILE_WRITE_FUA: d->st.fuas++; break;
	case NX_FILE_SYNC: d->st.syncs++; break;
	}
}

/* A write of exactly one page is copied into a fresh page slot now,
 * while the caller's buffer is still in cache (the transport has just
 * filled it), and the slot takes the page's place when the write
 * completes (page_install).  What reads see is unchanged: the slot is
 * nobody's until then, and the caller's buffer must not change while
 * the I/O is in flight anyway (nx_file_submit).  Copying at completion
 * read the buffer back from L2 or further after the latency. */
static void dio_stage(struct nx_sim_disk *d, struct dio *io)
{
	size_t page = (size_t)1 << d->pg_shift;

	if (io->err != 0 || io->len != page || (io->off & (page - 1)) != 0 ||
	    (io->op != NX_FILE_WRITE && io->op != NX_FILE_WRITE_FUA))
		return;
	io->stage = slot_new(d);
	memcpy(slot_ptr(d, io->stage), io->buf, page);
}

int nx_sim_disk_submit(struct nx_sim_disk *d, enum nx_file_op op, void *buf,
		       size_t len, uint64_t off, nx_sim_disk_done_fn done,
		       void *arg, const void *owner)
{
	struct dio *io;
	uint32_t next;
	uint64_t lat;
	int rc = submit_check(d, op, buf, len, off);

	nx_assert(done != NULL);
	if (rc != NX_OK)
		return rc;
	if (d->dio_free == NO_DIO)
		return NX_EAGAIN;
	io = &d->dios[d->dio_free];
	nx_assert(!io->used);
	next = io->next_free;
	*io = (struct dio){ .disk = d, .op = op, .buf = buf, .len = len,
			    .off = off, .done = done, .arg = arg,
			    .owner = owner, .next_free = NO_DIO };
	dio_draw(d, io, &lat);
	io->ev = nx_sim_schedule(d->sim, lat, dio_complete, io);
	if (io->ev == NX_SIM_EVENT_NONE) {
		io->next_free = next;
		return NX_EAGAIN;
	}
	dio_stage(d, io);
	d->dio_free = next;
	io->used = true;

	d->inflight++;
	stats_count(d, op);
	return NX_OK;
}

unsigned nx_sim_disk_cancel_owner(struct nx_sim_disk *d, const void *owner)
{
	unsigned n = 0;

	/* Slot order, not pointer order: deterministic free-list result. */
	for (uint32_t i = 0; i < d->o.inflight_max; i++) {
		struct dio *io = &d->dios[i];

		if (io->used && (owner == NULL || io->owner == owner)) {
			nx_sim_cancel(d->sim, io->ev);
			slot_free(d, io->stage);
			io->stage = SLOT_NONE;
			dio_put(d, io);
			n++;
		}
	}
	return n;
}

int nx_sim_disk_inject_bad(struct nx_sim_disk *d, uint64_t off, uint64_t len,
			   unsigned op_mask)
{
	if (d->bad_count == NX_SIM_DISK_BAD_MAX)
		return NX_ENOSPC;
	d->bad[d->bad_count++] = (struct bad_range){ off, len, op_mask };
	return NX_OK;
}

void nx_sim_disk_clear_bad(struct nx_sim_disk *d) { d->bad_count = 0; }

void nx_sim_disk_set_faults(struct nx_sim_disk *d, uint32_t read_err_ppb,
			    uint32_t write_err_ppb, uint32_t tail_ppb,
			    uint64_t tail_lat_ns)
{
	d->o.read_err_ppb = read_err_ppb;
	d->o.write_err_ppb = write_err_ppb;
	d->o.tail_ppb = tail_ppb;
	d->o.tail_lat_ns = tail_lat_ns;
}

void nx_sim_disk_set_extra_latency(struct nx_sim_disk *d, uint64_t ns)
{
	d->extra_lat_ns = ns;
}

void nx_sim_disk_power_loss(struct nx_sim_disk *d, bool tear)
{
	nx_sim_disk_cancel_owner(d, NULL);
	cache_flush_all(d, tear ? d->o.tear_keep_ppb : 0);
	/* tear_keep_ppb == NX_SIM_PPB would mean "everything survived":
	 * still a legal outcome of a tear, so no special case. */
	d->epoch++;
	d->st.power_losses++;
}
