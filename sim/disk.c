/*
 * disk.c - the simulated disk (see nx_sim_disk.h for the model).
 *
 * Storage is block-granular copy-on-write: every written block lives in
 * a slot of block_size bytes (slabs of SLAB_BYTES, a LIFO of free slots),
 * and the disk keeps, per 64 KiB chunk, a durable slot and a cache slot
 * for each block (slot 0: never written, reads as zeros).  A write into
 * the volatile cache copies the bytes once, into the block's cache slot;
 * destaging a block is moving its cache slot into the durable position
 * (the old durable slot is freed), not a copy; a power loss frees the
 * cache slots it drops.  So the durable image and the cache cost exactly
 * the blocks they hold, and every write is one copy, every read one.
 *
 * Accounting is per chunk, as the model says (nx_sim_disk.h): a chunk
 * with dirty blocks has a per-block dirty bitmap and sits in a ring in
 * the order it first became dirty, which is the destage order when the
 * cache is full and the iteration order at power loss, so every outcome
 * depends only on the sequence of operations and the seed.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "nx_sim_disk.h"

#define BLOCKS_PER_CHUNK_MAX (NX_SIM_DISK_CHUNK / 512)
#define DIRTY_WORDS (BLOCKS_PER_CHUNK_MAX / 64)
#define NO_DIO UINT32_MAX
#define SLAB_BYTES (2u << 20)
#define SLOT_NONE 0u

struct chunk {
	/* NULL until a block of the chunk is written; then
	 * slot[b] is block b's durable slot and slot[bpc + b] its cache
	 * slot (meaningful while its dirty bit is set). */
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
	uint32_t bpc;              /* blocks per chunk */
	unsigned bs_shift;         /* log2(block_size) */
	/* Block slots: slot i is slab i >> slab_shift, index i & slab_mask
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
	d->bpc = NX_SIM_DISK_CHUNK / d->o.block_size;
	d->bs_shift = log2u(d->o.block_size);
	d->slab_shift = log2u(SLAB_BYTES) - d->bs_shift;
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

static bool dirty_test(const struct chunk *c, uint32_t b)
{
	return (c->dirty[b / 64] >> (b % 64)) & 1;
}

static void dirty_set(struct chunk *c, uint32_t b, uint32_t n, bool dirty)
{
	for (uint32_t i = b; i < b + n; i++) {
		if (dirty)
			c->dirty[i / 64] |= 1ull << (i % 64);
		else
			c->dirty[i / 64] &= ~(1ull << (i % 64));
	}
}

static uint8_t *slot_ptr(const struct nx_sim_disk *d, uint32_t s)
{
	uint32_t mask = (1u << d->slab_shift) - 1;

	return d->slabs[s >> d->slab_shift] + ((size_t)(s & mask) << d->bs_shift);
}

/* A slab on a transparent huge page where the kernel has one: blocks
 * are scattered over the image (each write takes the slot freed last),
 * and with 4 KiB pages nearly every block copied was a TLB miss. */
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

/* A slot for a block about to be written in full (its old bytes are
 * never read, so a fresh slab needs no zeroing). */
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
		c->slot = calloc(2 * (size_t)d->bpc, sizeof(uint32_t));
		if (c->slot == NULL)
			nx_sim_fail(d->sim, "sim disk %s: out of memory", d->name);
	}
	return c->slot;
}

/* The block's cached bytes become its durable bytes: a slot moves. */
static void block_persist(struct nx_sim_disk *d, struct chunk *c, uint32_t b)
{
	slot_free(d, c->slot[b]);
	c->slot[b] = c->slot[d->bpc + b];
}

/* keep_ppb: NX_SIM_PPB destages every dirty block, 0 drops them all;
 * in between, a tear: one draw per dirty block, in block order. */
static void chunk_flush(struct nx_sim_disk *d, struct chunk *c, uint32_t keep_ppb)
{
	for (unsigned w = 0; w < DIRTY_WORDS; w++) {
		for (uint64_t m = c->dirty[w]; m != 0; m &= m - 1) {
			uint32_t b = w * 64 + (uint32_t)__builtin_ctzll(m);

			if (keep_ppb >= NX_SIM_PPB || nx_rng_ppb(&d->rng, keep_ppb)) {
				block_persist(d, c, b);
			} else {
				slot_free(d, c->slot[d->bpc + b]);
				d->st.blocks_lost++;
			}
		}
		c->dirty[w] = 0;
	}
	c->listed = false;
}

static void ring_flush_oldest(struct nx_sim_disk *d, uint32_t keep_ppb)
{
	uint32_t cap = d->o.cache_chunks_max;
	uint32_t ci = d->dirty_ring[d->ring_head];

	nx_assert(d->ring_count > 0);
	d->ring_head = (d->ring_head + 1) % cap;
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
	d->dirty_ring[(d->ring_head + d->ring_count) % cap] = (uint32_t)ci;
	d->ring_count++;
	c->listed = true;
}

/* Visits [off, off+len) in runs of blocks within one chunk:
 * fn(d, chunk, first block, blocks, bytes). */
typedef void (*block_fn)(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			 uint32_t n, uint8_t *bytes);

static void for_blocks(struct nx_sim_disk *d, uint64_t off, uint8_t *buf,
		       size_t len, block_fn fn)
{
	uint32_t bs = d->o.block_size;

	nx_assert(off % bs == 0 && len % bs == 0);
	nx_assert(off + len <= d->o.size_bytes);
	for (size_t done = 0; done < len;) {
		uint64_t at = off + done;
		size_t in_chunk = NX_SIM_DISK_CHUNK - at % NX_SIM_DISK_CHUNK;
		size_t n = NX_MIN(in_chunk, len - done);

		fn(d, at / NX_SIM_DISK_CHUNK,
		   (uint32_t)((at % NX_SIM_DISK_CHUNK) / bs), (uint32_t)(n / bs),
		   buf + done);
		done += n;
	}
}

/* Block b's slot as a read sees it: cache over durable (over zeros). */
static uint32_t visible_slot(const struct nx_sim_disk *d, const struct chunk *c,
			     uint32_t b, bool durable_only)
{
	if (c->slot == NULL)
		return SLOT_NONE;
	if (!durable_only && dirty_test(c, b))
		return c->slot[d->bpc + b];
	return c->slot[b];
}

/* Copies blocks [b, b+n) out, one memcpy per run of slots that are
 * adjacent in one slab (or one memset per run of unwritten blocks). */
static void blocks_out(const struct nx_sim_disk *d, const struct chunk *c,
		       uint32_t b, uint32_t n, uint8_t *bytes, bool durable_only)
{
	uint32_t mask = (1u << d->slab_shift) - 1;

	for (uint32_t i = 0; i < n;) {
		uint32_t s = visible_slot(d, c, b + i, durable_only), e = i + 1;

		if (s == SLOT_NONE) {
			while (e < n && visible_slot(d, c, b + e, durable_only) == SLOT_NONE)
				e++;
			memset(bytes + ((size_t)i << d->bs_shift), 0,
			       (size_t)(e - i) << d->bs_shift);
		} else {
			while (e < n && (s + (e - i)) & mask &&
			       visible_slot(d, c, b + e, durable_only) == s + (e - i))
				e++;
			memcpy(bytes + ((size_t)i << d->bs_shift), slot_ptr(d, s),
			       (size_t)(e - i) << d->bs_shift);
		}
		i = e;
	}
}

static void blk_read(struct nx_sim_disk *d, uint64_t ci, uint32_t b, uint32_t n,
		     uint8_t *bytes)
{
	blocks_out(d, &d->chunks[ci], b, n, bytes, false);
}

static void blk_read_durable(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			     uint32_t n, uint8_t *bytes)
{
	blocks_out(d, &d->chunks[ci], b, n, bytes, true);
}

static void blk_write_cache(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			    uint32_t n, uint8_t *bytes)
{
	struct chunk *c = &d->chunks[ci];
	uint32_t *cs = chunk_slots(d, c) + d->bpc;
	size_t bs = d->o.block_size;

	chunk_list(d, ci);
	for (uint32_t i = b; i < b + n; i++, bytes += bs) {
		if (!dirty_test(c, i))
			cs[i] = slot_new(d);
		memcpy(slot_ptr(d, cs[i]), bytes, bs);
	}
	dirty_set(c, b, n, true);
}

/* Durable write: the cached copy of the blocks (older) is discarded. */
static void blk_write_durable(struct nx_sim_disk *d, uint64_t ci, uint32_t b,
			      uint32_t n, uint8_t *bytes)
{
	struct chunk *c = &d->chunks[ci];
	uint32_t *ds = chunk_slots(d, c);
	size_t bs = d->o.block_size;

	for (uint32_t i = b; i < b + n; i++, bytes += bs) {
		if (dirty_test(c, i))
			slot_free(d, ds[d->bpc + i]);
		if (ds[i] == SLOT_NONE)
			ds[i] = slot_new(d);
		memcpy(slot_ptr(d, ds[i]), bytes, bs);
	}
	dirty_set(c, b, n, false);
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
	uint32_t cap = d->o.cache_chunks_max;

	for (uint32_t i = 0; i < d->ring_count; i++) {
		const struct chunk *c = &d->chunks[d->dirty_ring[(d->ring_head + i) % cap]];

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
	if (buf == NULL || len == 0 || off % bs != 0 || len % bs != 0 ||
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

void nx_sim_disk_power_loss(struct nx_sim_disk *d, bool tear)
{
	nx_sim_disk_cancel_owner(d, NULL);
	cache_flush_all(d, tear ? d->o.tear_keep_ppb : 0);
	/* tear_keep_ppb == NX_SIM_PPB would mean "everything survived":
	 * still a legal outcome of a tear, so no special case. */
	d->epoch++;
	d->st.power_losses++;
}
