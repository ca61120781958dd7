/*
 * ram.c - a thin-provisioned RAM backstore that completes inline.
 *
 * Memory comes in 64 KiB chunks allocated on the first write that touches
 * them, so a large LU costs only what is written (bounded by its size: at
 * most size / 64 KiB chunks plus 24 bytes of table per chunk).  Every
 * chunk has one "mapped" bit per 512-byte sector, the smallest logical
 * block nexus supports, so mapped() answers per logical block whatever the
 * LU's block size:
 *   - WRITE maps what it covers;
 *   - UNMAP clears the bits and zeroes the bytes (unmapped blocks read as
 *     zeros: LBPRZ=1, SBC-3 4.7) and frees a chunk once none of its
 *     sectors is mapped;
 *   - READ of an absent chunk returns zeros.
 * Deterministic: only the offsets in the I/Os decide what happens.
 */
#include "nx_backstore.h"

#define RAM_CHUNK_SHIFT 16
#define RAM_CHUNK (1u << RAM_CHUNK_SHIFT)
#define RAM_SECTOR_SHIFT 9
#define RAM_SECTORS (RAM_CHUNK >> RAM_SECTOR_SHIFT) /* 128 */
#define RAM_MAP_WORDS (RAM_SECTORS / 64)

/* Chunk data is allocated alone (exactly 64 KiB, no allocator slack);
 * the mapped bits of every chunk live in one table beside it. */
struct ram_map {
	uint64_t w[RAM_MAP_WORDS]; /* bit s: sector s is mapped */
};

struct ram_bs {
	struct nx_backstore bs;
	uint64_t nchunks;
	uint8_t **chunks;     /* NULL: never written or fully unmapped */
	struct ram_map *maps;
};

static struct ram_bs *to_ram(struct nx_backstore *bs)
{
	return (struct ram_bs *)bs;
}

/* Marks sectors [first, first + n) of m mapped (on) or unmapped. */
static void map_sectors(struct ram_map *m, uint32_t first, uint32_t n,
			bool on)
{
	nx_assert(first + n <= RAM_SECTORS);
	for (uint32_t s = first; s < first + n; s++) {
		uint64_t bit = 1ull << (s & 63);
		if (on)
			m->w[s >> 6] |= bit;
		else
			m->w[s >> 6] &= ~bit;
	}
}

static bool map_empty(const struct ram_map *m)
{
	for (unsigned i = 0; i < RAM_MAP_WORDS; i++)
		if (m->w[i] != 0)
			return false;
	return true;
}

/* Sector range of [off, off + len) inside one chunk, rounded outwards: a
 * write of part of a sector maps it; an unmap only clears whole sectors. */
static void sector_span(uint32_t off, uint32_t len, bool outward,
			uint32_t *first, uint32_t *n)
{
	uint32_t end = off + len;
	uint32_t mask = (1u << RAM_SECTOR_SHIFT) - 1;
	uint32_t a = outward ? off >> RAM_SECTOR_SHIFT
			     : (off + mask) >> RAM_SECTOR_SHIFT;
	uint32_t b = outward ? (end + mask) >> RAM_SECTOR_SHIFT
			     : end >> RAM_SECTOR_SHIFT;

	*first = a;
	*n = b > a ? b - a : 0;
}

/* One step of an I/O: the part of [pos, end) inside chunk idx. */
static int ram_step(struct ram_bs *r, const struct nx_bs_io *io, uint64_t pos,
		    uint32_t n)
{
	uint64_t idx = pos >> RAM_CHUNK_SHIFT;
	uint32_t off = (uint32_t)(pos & (RAM_CHUNK - 1));
	uint8_t *buf = io->buf ? io->buf + (pos - io->offset) : NULL;
	uint8_t *c = r->chunks[idx];
	struct ram_map *m = &r->maps[idx];
	uint32_t first, cnt;

	switch (io->op) {
	case NX_BS_READ:
		if (c == NULL)
			memset(buf, 0, n);
		else
			memcpy(buf, c + off, n);
		return 0;
	case NX_BS_WRITE:
		if (c == NULL && (c = r->chunks[idx] = nx_alloc(RAM_CHUNK)) == NULL)
			return NX_ENOSPC;
		memcpy(c + off, buf, n);
		sector_span(off, n, true, &first, &cnt);
		map_sectors(m, first, cnt, true);
		return 0;
	default: /* NX_BS_UNMAP */
		if (c == NULL)
			return 0;
		memset(c + off, 0, n);
		sector_span(off, n, false, &first, &cnt);
		map_sectors(m, first, cnt, false);
		if (map_empty(m)) {
			nx_free(c);
			r->chunks[idx] = NULL;
		}
		return 0;
	}
}

static int ram_submit(struct nx_backstore *bs, struct nx_bs_io *io)
{
	struct ram_bs *r = to_ram(bs);
	int err = 0;

	nx_assert(io != NULL && io->done != NULL);
	if (io->op != NX_BS_SYNC) {
		if (io->offset > bs->size_bytes ||
		    io->len > bs->size_bytes - io->offset)
			return NX_EINVAL;
		if (io->op != NX_BS_UNMAP && io->len && io->buf == NULL)
			return NX_EINVAL;
		uint64_t pos = io->offset, end = io->offset + io->len;
		/* bounded: one step per chunk touched */
		while (pos < end && err == 0) {
			uint64_t chunk_end = (pos | (RAM_CHUNK - 1)) + 1;
			uint32_t n = (uint32_t)(NX_MIN(end, chunk_end) - pos);
			err = ram_step(r, io, pos, n);
			pos += n;
		}
	}
	/* SYNC: RAM has no volatile cache to flush. */
	io->err = err;
	io->done(io);
	return 0;
}

static bool ram_mapped(struct nx_backstore *bs, uint64_t offset)
{
	struct ram_bs *r = to_ram(bs);
	uint64_t idx = offset >> RAM_CHUNK_SHIFT;

	if (offset >= bs->size_bytes || r->chunks[idx] == NULL)
		return false;
	uint32_t s = (uint32_t)((offset & (RAM_CHUNK - 1)) >> RAM_SECTOR_SHIFT);
	return (r->maps[idx].w[s >> 6] >> (s & 63)) & 1;
}

static void ram_destroy(struct nx_backstore *bs)
{
	struct ram_bs *r = to_ram(bs);

	for (uint64_t i = 0; i < r->nchunks; i++)
		nx_free(r->chunks[i]);
	nx_free(r->chunks);
	nx_free(r->maps);
	nx_free(r);
}

static const struct nx_backstore_ops ram_ops = {
	.name = "ram",
	.submit = ram_submit,
	.mapped = ram_mapped,
	.destroy = ram_destroy,
};

struct nx_backstore *nx_bs_ram_new(uint64_t size_bytes)
{
	uint64_t nchunks = (size_bytes + RAM_CHUNK - 1) >> RAM_CHUNK_SHIFT;
	struct ram_bs *r;

	if (size_bytes == 0 || nchunks > ((size_t)-1) / sizeof(r->maps[0]))
		return NULL;
	r = nx_alloc(sizeof(*r));
	if (r == NULL)
		return NULL;
	r->chunks = nx_alloc((size_t)nchunks * sizeof(r->chunks[0]));
	r->maps = nx_alloc((size_t)nchunks * sizeof(r->maps[0]));
	if (r->chunks == NULL || r->maps == NULL) {
		nx_free(r->chunks);
		nx_free(r->maps);
		nx_free(r);
		return NULL;
	}
	r->nchunks = nchunks;
	r->bs.ops = &ram_ops;
	r->bs.size_bytes = size_bytes;
	r->bs.thin = true;
	r->bs.write_cache = false;
	return &r->bs;
}
