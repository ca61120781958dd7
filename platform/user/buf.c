/*
 * buf.c - data buffers (nx_buf_alloc/nx_buf_free): a bounded cache of
 * power-of-two size classes, the idea of SCST's SGV cache.
 *
 * Task data buffers are allocated per command and, for READ and WRITE,
 * fully overwritten (by the backstore or by Data-Out): zeroing them
 * (calloc) and faulting in fresh pages for every 1 MiB command cost
 * ~15 % of the CPU on 1 MiB reads (docs/PERFORMANCE.md, profile 1).
 * A freed buffer goes back on its class's free list while the cache holds
 * less than NX_USER_BUF_CACHE_MAX bytes, so steady state allocates
 * nothing; past the bound it returns to libc, which keeps RSS bounded.
 *
 * Buffers of 64 KiB and more start on a page boundary (O_DIRECT can use
 * them without a bounce buffer); the header that remembers the class sits
 * just before the buffer.  Loop thread only, like every nx_platform.h
 * call: no lock.  Under AddressSanitizer cached buffers are poisoned (a
 * use after nx_buf_free is still reported) and new ones are filled with
 * 0xbe, so a byte sent without being written shows up in tests.
 */
#include <stdlib.h>

#include "user_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define BUF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUF_ASAN 1
#endif
#endif
#ifdef BUF_ASAN
#include <sanitizer/asan_interface.h>
#define BUF_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define BUF_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define BUF_POISON(p, n) ((void)(p), (void)(n))
#define BUF_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CLASS_MIN_SHIFT 12u /* 4 KiB */
#define CLASS_MAX_SHIFT 23u /* 8 MiB: NX_MAX_XFER_BYTES */
#define CLASSES (CLASS_MAX_SHIFT - CLASS_MIN_SHIFT + 1u)
#define CLASS_NONE CLASSES  /* larger than any class: not cached */
#define PAGE_ALIGN_MIN (64u << 10)
#define BUF_MAGIC 0x6e786266u /* "nxbf" */

struct buf_hdr {
	uint32_t magic;
	uint32_t cls;
	size_t cap;          /* usable bytes */
	size_t lead;         /* bytes from the allocation start to the buffer */
	struct buf_hdr *next; /* free list */
};

static struct {
	struct buf_hdr *free[CLASSES];
	unsigned count[CLASSES];
	size_t cached_bytes;
	size_t live;
} pool;

static unsigned class_of(size_t size)
{
	unsigned shift = CLASS_MIN_SHIFT;

	while (shift <= CLASS_MAX_SHIFT && ((size_t)1 << shift) < size)
		shift++;
	return shift - CLASS_MIN_SHIFT;
}

static uint8_t *hdr_buf(struct buf_hdr *h)
{
	return (uint8_t *)(h + 1);
}

static struct buf_hdr *buf_hdr(void *p)
{
	return (struct buf_hdr *)p - 1;
}

static struct buf_hdr *buf_new(unsigned cls, size_t size)
{
	size_t cap = cls < CLASSES ? (size_t)1 << (cls + CLASS_MIN_SHIFT) : size;
	size_t align = cap >= PAGE_ALIGN_MIN ? 4096 : 64;
	size_t lead = align; /* >= sizeof(struct buf_hdr), keeps the alignment */
	void *base = NULL;
	struct buf_hdr *h;

	NX_STATIC_ASSERT(sizeof(struct buf_hdr) <= 64, "header fits the lead");
	if (cap > SIZE_MAX - lead || posix_memalign(&base, align, lead + cap) != 0)
		return NULL;
	h = (struct buf_hdr *)((uint8_t *)base + lead) - 1;
	h->magic = BUF_MAGIC;
	h->cls = cls;
	h->cap = cap;
	h->lead = lead;
	h->next = NULL;
	return h;
}

static void buf_destroy(struct buf_hdr *h)
{
	h->magic = 0;
	free(hdr_buf(h) - h->lead);
}

void *nx_buf_alloc(size_t size)
{
	unsigned cls = class_of(size ? size : 1);
	struct buf_hdr *h = cls < CLASSES ? pool.free[cls] : NULL;

	if (h != NULL) {
		pool.free[cls] = h->next;
		pool.count[cls]--;
		pool.cached_bytes -= h->cap;
		BUF_UNPOISON(hdr_buf(h), h->cap);
	} else {
		h = buf_new(cls, size);
		if (h == NULL)
			return NULL;
	}
	nx_assert(h->magic == BUF_MAGIC && h->cap >= size);
	h->next = NULL;
	pool.live++;
#ifdef BUF_ASAN
	memset(hdr_buf(h), 0xbe, size);
#endif
	return hdr_buf(h);
}

void nx_buf_free(void *p)
{
	struct buf_hdr *h;

	if (p == NULL)
		return;
	h = buf_hdr(p);
	nx_assert(h->magic == BUF_MAGIC);
	nx_assert(pool.live > 0);
	pool.live--;
	if (h->cls >= CLASSES || pool.count[h->cls] >= NX_USER_BUF_CLASS_MAX ||
	    pool.cached_bytes + h->cap > NX_USER_BUF_CACHE_MAX) {
		buf_destroy(h);
		return;
	}
	h->next = pool.free[h->cls];
	pool.free[h->cls] = h;
	pool.count[h->cls]++;
	pool.cached_bytes += h->cap;
	BUF_POISON(p, h->cap);
}

void nx_user_buf_trim(void)
{
	for (unsigned c = 0; c < CLASSES; c++) {
		while (pool.free[c] != NULL) {
			struct buf_hdr *h = pool.free[c];

			pool.free[c] = h->next;
			BUF_UNPOISON(hdr_buf(h), h->cap);
			buf_destroy(h);
		}
		pool.count[c] = 0;
	}
	pool.cached_bytes = 0;
}

size_t nx_user_buf_cached_bytes(void)
{
	return pool.cached_bytes;
}

size_t nx_user_buf_live(void)
{
	return pool.live;
}
