/*
 * platform_sim.c - platform/nx_platform.h for the simulator.
 *
 * Same symbols as platform/user: a simulator binary links this instead.
 * Everything observable is a function of the sim's seed and the order of
 * events: time is the sim's virtual clock, timers are sim events, random
 * numbers come from a forked stream of the run's seed, logs carry virtual
 * timestamps only, persistence and files live in the sim's memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nx_sim.h"
#include "nx_sim_disk.h"

#define LOG_LINE_MAX 1024
#define LOG_RING_SIZE (64u * 1024)

struct persist_entry {
	char key[NX_SIM_PERSIST_KEY_MAX];
	uint8_t *data;
	size_t len;
	bool used;
};

struct nx_sim_platform {
	struct nx_sim *sim;
	FILE *log_file;
	enum nx_log_level log_level;
	uint64_t log_digest;
	char ring[LOG_RING_SIZE];
	size_t ring_pos;  /* next write position */
	bool ring_full;   /* wrapped at least once */
	struct nx_rng rng;
	struct persist_entry persist[NX_SIM_PERSIST_KEYS_MAX];
};

static struct nx_sim *current;
static int64_t alloc_outstanding;
static uint64_t alloc_fail_countdown;

void nx_sim_set_current(struct nx_sim *sim) { current = sim; }
struct nx_sim *nx_sim_current(void) { return current; }

static struct nx_sim_platform *cur_platform(void)
{
	return current != NULL ? nx_sim_platform_of(current) : NULL;
}

struct nx_sim_platform *nx_sim_platform_new(struct nx_sim *sim)
{
	struct nx_sim_platform *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->sim = sim;
	p->log_level = NX_LOG_INFO;
	p->log_digest = 0xcbf29ce484222325ull;
	nx_rng_fork(nx_sim_rng(sim), "platform.random", 0, &p->rng);
	return p;
}

void nx_sim_seed_random(struct nx_sim *sim, uint64_t seed)
{
	nx_rng_init(&nx_sim_platform_of(sim)->rng, seed);
}

static void buf_pool_drain(void);

void nx_sim_platform_free(struct nx_sim_platform *p)
{
	if (p == NULL)
		return;
	nx_sim_disk_free_all(p->sim);
	buf_pool_drain(); /* the next sim's data buffers start fresh */
	for (unsigned i = 0; i < NX_SIM_PERSIST_KEYS_MAX; i++)
		free(p->persist[i].data);
	free(p);
}

/* ---- memory ---------------------------------------------------------------- */

/*
 * Blocks of up to POOL_MAX bytes are recycled through per-size-class free
 * lists (powers of two from POOL_MIN): the core allocates a data buffer
 * per command, and malloc's large-bin search was a visible part of every
 * simulated command.  Each list keeps at most POOL_KEEP_BYTES (bounded;
 * the rest goes back to libc).  A block carries its class in a header.
 * nx_alloc still zeroes what it hands out.  Sanitizer builds skip the
 * pool so ASan keeps seeing every use after free.
 *
 * Data buffers (nx_buf_alloc) have pools of their own and are not
 * zeroed when recycled: they only ever held data bytes, and their owners
 * write every byte they read or send (core/dispatch.c zeroes the buffers
 * of commands that would not).  Their contents are still a function of
 * the run alone: new buffers come zeroed from calloc, and the pools are
 * emptied when a sim is freed, so a run in a sweep starts as a run on
 * its own would.  (ASan builds: zeroed, no pool, as before.)
 */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ENABLED 0
#endif
#endif
#ifndef POOL_ENABLED
#define POOL_ENABLED 1
#endif
#define POOL_MIN_SHIFT 6
#define POOL_MAX_SHIFT 20
#define POOL_CLASSES (POOL_MAX_SHIFT - POOL_MIN_SHIFT + 1)
#define POOL_KEEP_BYTES (4u << 20)
#define POOL_BIG 0xffu

/* A whole cache line, so every payload starts on one (aligned_alloc):
 * a 4 KiB data buffer is 64 lines, not 65, for each of the copies into
 * and out of it, and an object of a line or less does not straddle two. */
#define POOL_ALIGN 64u

struct pool_hdr {
	union {
		struct pool_hdr *next;  /* while on a free list */
		uint64_t cls;           /* while handed out */
	} u;
	void *raw;                  /* what calloc returned, for free() */
	uint8_t pad[POOL_ALIGN - sizeof(uint64_t) - sizeof(void *)];
};

struct pool {
	struct pool_hdr *free[POOL_CLASSES];
	uint32_t count[POOL_CLASSES];
	bool zero;          /* recycled blocks are zeroed */
};

static struct pool obj_pool = { .zero = true };  /* nx_alloc */
static struct pool buf_pool = { .zero = false }; /* nx_buf_alloc */

static unsigned pool_class(size_t size)
{
	unsigned c = 0;

	while (c < POOL_CLASSES && ((size_t)1 << (POOL_MIN_SHIFT + c)) < size)
		c++;
	return c < POOL_CLASSES ? c : POOL_BIG;
}

/* A new zeroed block from calloc (fresh pages stay untouched until
 * used), its header moved up to the next line boundary. */
static struct pool_hdr *hdr_new(size_t size)
{
	size_t n = sizeof(struct pool_hdr) + POOL_ALIGN + size;
	uint8_t *raw = n > size ? calloc(1, n) : NULL;
	struct pool_hdr *h;

	if (raw == NULL)
		return NULL;
	h = (struct pool_hdr *)(raw + (-(uintptr_t)raw & (POOL_ALIGN - 1)));
	h->raw = raw;
	return h;
}

static void hdr_free(struct pool_hdr *h)
{
	free(h->raw);
}

static void *pool_get(struct pool *pl, size_t size)
{
	unsigned c = POOL_ENABLED ? pool_class(size) : POOL_BIG;
	struct pool_hdr *h;

	if (c == POOL_BIG) {
		h = hdr_new(size);
	} else if (pl->free[c] != NULL) {
		h = pl->free[c];
		pl->free[c] = h->u.next;
		pl->count[c]--;
		if (pl->zero)
			memset(h + 1, 0, size);
	} else {
		h = hdr_new((size_t)1 << (POOL_MIN_SHIFT + c));
	}
	if (h == NULL)
		return NULL;
	h->u.cls = c;
	return h + 1;
}

static void pool_put(struct pool *pl, void *p)
{
	struct pool_hdr *h = (struct pool_hdr *)p - 1;
	unsigned c = (unsigned)h->u.cls;

	if (c == POOL_BIG ||
	    ((size_t)pl->count[c] + 1) << (POOL_MIN_SHIFT + c) > POOL_KEEP_BYTES) {
		hdr_free(h);
		return;
	}
	h->u.next = pl->free[c];
	pl->free[c] = h;
	pl->count[c]++;
}

static void pool_drain(struct pool *pl)
{
	for (unsigned c = 0; c < POOL_CLASSES; c++) {
		while (pl->free[c] != NULL) {
			struct pool_hdr *h = pl->free[c];

			pl->free[c] = h->u.next;
			hdr_free(h);
		}
		pl->count[c] = 0;
	}
}

static void *alloc_from(struct pool *pl, size_t size)
{
	void *p;

	if (alloc_fail_countdown != 0 && --alloc_fail_countdown == 0)
		return NULL;
	p = pool_get(pl, size != 0 ? size : 1);
	if (p != NULL)
		alloc_outstanding++;
	return p;
}

static void free_to(struct pool *pl, void *p)
{
	if (p == NULL)
		return;
	nx_assert(alloc_outstanding > 0);
	alloc_outstanding--;
	pool_put(pl, p);
}

void *nx_alloc(size_t size)
{
	return alloc_from(&obj_pool, size);
}

void nx_free(void *p)
{
	free_to(&obj_pool, p);
}

static void buf_pool_drain(void)
{
	pool_drain(&buf_pool);
}

void *nx_buf_alloc(size_t size)
{
	return alloc_from(&buf_pool, size);
}

void nx_buf_free(void *p)
{
	free_to(&buf_pool, p);
}

int64_t nx_sim_alloc_outstanding(void) { return alloc_outstanding; }
void nx_sim_alloc_fail_after(uint64_t n) { alloc_fail_countdown = n; }

/* ---- logging --------------------------------------------------------------- */

void nx_sim_log_config(struct nx_sim *sim, FILE *file, enum nx_log_level level)
{
	struct nx_sim_platform *p = nx_sim_platform_of(sim);

	p->log_file = file;
	p->log_level = level;
}

uint64_t nx_sim_log_digest(const struct nx_sim *sim)
{
	return nx_sim_platform_of((struct nx_sim *)sim)->log_digest;
}

static void ring_append(struct nx_sim_platform *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p->ring[p->ring_pos++] = s[i];
		if (p->ring_pos == LOG_RING_SIZE) {
			p->ring_pos = 0;
			p->ring_full = true;
		}
	}
}

void nx_sim_log_dump_tail(const struct nx_sim *sim, FILE *f)
{
	const struct nx_sim_platform *p = nx_sim_platform_of((struct nx_sim *)sim);

	if (p == NULL || (p->ring_pos == 0 && !p->ring_full))
		return;
	fprintf(f, "---- last log lines (virtual time) ----\n");
	if (p->ring_full)
		fwrite(p->ring + p->ring_pos, 1, LOG_RING_SIZE - p->ring_pos, f);
	fwrite(p->ring, 1, p->ring_pos, f);
	fprintf(f, "---- end of log ----\n");
}

static void log_emit(struct nx_sim_platform *p, const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p->log_digest ^= (uint8_t)line[i];
		p->log_digest *= 0x100000001b3ull;
	}
	ring_append(p, line, n);
	if (p->log_file != NULL)
		fwrite(line, 1, n, p->log_file);
}

void nx_log(enum nx_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "ERR", "WRN", "INF", "DBG" };
	struct nx_sim_platform *p = cur_platform();
	char line[LOG_LINE_MAX];
	uint64_t now;
	va_list ap;
	int n, m;

	if (p == NULL || level > p->log_level)
		return;
	now = nx_sim_now(p->sim);
	n = snprintf(line, sizeof(line), "[%llu.%09llu] %s ",
		     (unsigned long long)(now / 1000000000u),
		     (unsigned long long)(now % 1000000000u),
		     names[(unsigned)level < 4 ? level : 3]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += NX_MIN(m, (int)(sizeof(line) - (size_t)n - 2));
	line[n++] = '\n';
	log_emit(p, line, (size_t)n);
}

int nx_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void nx_panic(const char *file, int line, const char *expr)
{
	if (current != NULL)
		nx_sim_fail(current, "assertion failed: %s (%s:%d)", expr, file, line);
	fflush(stdout);
	fprintf(stderr, "assertion failed: %s (%s:%d) [no sim running]\n",
		expr, file, line);
	abort();
}

/* ---- time ------------------------------------------------------------------ */

uint64_t nx_clock_ns(void)
{
	return current != NULL ? nx_sim_now(current) : 0;
}

struct nx_timer {
	struct nx_sim *sim;
	nx_timer_fn fn;
	void *arg;
	nx_sim_event_id ev;
};

struct nx_timer *nx_timer_new(nx_timer_fn fn, void *arg)
{
	struct nx_timer *t;

	nx_assert(current != NULL);
	nx_assert(fn != NULL);
	t = nx_alloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	t->sim = current;
	t->fn = fn;
	t->arg = arg;
	return t;
}

static void timer_fire(void *arg)
{
	struct nx_timer *t = arg;

	t->ev = NX_SIM_EVENT_NONE;
	t->fn(t->arg);
}

void nx_timer_arm(struct nx_timer *t, uint64_t delay_ns)
{
	nx_sim_cancel(t->sim, t->ev);
	t->ev = nx_sim_schedule(t->sim, delay_ns, timer_fire, t);
	/* nx_timer_arm cannot fail by contract: a full event pool is a sim
	 * sizing error (NX_SIM_EVENTS_DEFAULT), not a behaviour to model. */
	nx_assert(t->ev != NX_SIM_EVENT_NONE);
}

void nx_timer_cancel(struct nx_timer *t)
{
	nx_sim_cancel(t->sim, t->ev);
	t->ev = NX_SIM_EVENT_NONE;
}

void nx_timer_free(struct nx_timer *t)
{
	if (t == NULL)
		return;
	nx_timer_cancel(t);
	nx_free(t);
}

/* ---- randomness ----------------------------------------------------------- */

uint64_t nx_random_u64(void)
{
	struct nx_sim_platform *p = cur_platform();

	nx_assert(p != NULL);
	return nx_rng_u64(&p->rng);
}

/* ---- persistence ------------------------------------------------------------ */

static struct persist_entry *persist_find(struct nx_sim_platform *p,
					  const char *key)
{
	for (unsigned i = 0; i < NX_SIM_PERSIST_KEYS_MAX; i++)
		if (p->persist[i].used && strcmp(p->persist[i].key, key) == 0)
			return &p->persist[i];
	return NULL;
}

static struct persist_entry *persist_slot(struct nx_sim_platform *p)
{
	for (unsigned i = 0; i < NX_SIM_PERSIST_KEYS_MAX; i++)
		if (!p->persist[i].used)
			return &p->persist[i];
	return NULL;
}

int nx_persist_store(const char *key, const void *data, size_t len)
{
	struct nx_sim_platform *p = cur_platform();
	struct persist_entry *e;
	uint8_t *copy;

	nx_assert(p != NULL);
	if (strlen(key) >= NX_SIM_PERSIST_KEY_MAX || len > NX_SIM_PERSIST_BLOB_MAX)
		return NX_EINVAL;
	e = persist_find(p, key);
	if (e == NULL && (e = persist_slot(p)) == NULL)
		return NX_ENOSPC;
	copy = malloc(len != 0 ? len : 1);
	if (copy == NULL)
		return NX_ENOMEM;
	memcpy(copy, data, len);
	/* The swap is the atomic commit point: old or new, never a mix. */
	free(e->data);
	e->data = copy;
	e->len = len;
	if (!e->used) {
		strcpy(e->key, key);
		e->used = true;
	}
	return NX_OK;
}

int nx_persist_load(const char *key, void *buf, size_t cap, size_t *len)
{
	struct nx_sim_platform *p = cur_platform();
	struct persist_entry *e;

	nx_assert(p != NULL);
	e = persist_find(p, key);
	if (e == NULL)
		return NX_ENOENT;
	memcpy(buf, e->data, NX_MIN(cap, e->len));
	*len = e->len;
	return NX_OK;
}

void nx_sim_persist_clear(struct nx_sim *sim)
{
	struct nx_sim_platform *p = nx_sim_platform_of(sim);

	for (unsigned i = 0; i < NX_SIM_PERSIST_KEYS_MAX; i++) {
		free(p->persist[i].data);
		p->persist[i] = (struct persist_entry){ 0 };
	}
}

unsigned nx_sim_persist_count(const struct nx_sim *sim)
{
	const struct nx_sim_platform *p = nx_sim_platform_of((struct nx_sim *)sim);
	unsigned n = 0;

	for (unsigned i = 0; i < NX_SIM_PERSIST_KEYS_MAX; i++)
		n += p->persist[i].used;
	return n;
}

/* ---- files on sim disks ------------------------------------------------------- */

struct nx_file {
	struct nx_sim_disk *disk;
	uint32_t epoch;
	bool readonly;
};

int nx_file_open(const char *path, unsigned flags, uint64_t *size_bytes,
		 struct nx_file **out)
{
	struct nx_sim_disk *disk;
	struct nx_file *f;

	nx_assert(current != NULL);
	disk = nx_sim_disk_find(current, path);
	if (disk == NULL && (flags & NX_FILE_CREATE) && *size_bytes != 0) {
		struct nx_sim_disk_opts o;

		nx_sim_disk_opts_default(&o, *size_bytes);
		disk = nx_sim_disk_new(current, path, &o);
		if (disk == NULL)
			return NX_EINVAL;
	}
	if (disk == NULL)
		return NX_ENOENT;
	f = nx_alloc(sizeof(*f));
	if (f == NULL)
		return NX_ENOMEM;
	f->disk = disk;
	f->epoch = nx_sim_disk_epoch(disk);
	f->readonly = (flags & NX_FILE_READONLY) != 0;
	*size_bytes = nx_sim_disk_size(disk);
	*out = f;
	return NX_OK;
}

/* Closing with I/O in flight drops those completions: the owner is going
 * away and must not be called back. */
void nx_file_close(struct nx_file *f)
{
	if (f == NULL)
		return;
	nx_sim_disk_cancel_owner(f->disk, f);
	nx_free(f);
}

int nx_file_submit(struct nx_file *f, enum nx_file_op op, void *buf,
		   size_t len, uint64_t offset, nx_file_done_fn done, void *arg)
{
	if (f->epoch != nx_sim_disk_epoch(f->disk))
		return NX_EIO; /* opened before a power loss */
	if (f->readonly && op != NX_FILE_READ)
		return NX_EINVAL;
	return nx_sim_disk_submit(f->disk, op, buf, len, offset, done, arg, f);
}
