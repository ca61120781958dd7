/*
 * nx_platform.h - the only door from core/, transports/ and initiator/ to
 * the outside world.
 *
 * Three implementations exist (or will): platform/user (libc, epoll,
 * threads for file I/O), sim/ (virtual clock, seeded randomness, simulated
 * disk) and platform/kernel (kmalloc, ktime, workqueues).  Portable code
 * includes this header and freestanding headers only; anything that could
 * make a run depend on wall time, pointer values or the host must come
 * through here so the simulator can make it deterministic.
 *
 * Threading contract: every function here is called from the single
 * execution context that owns a target instance.  Callbacks (timers, file
 * completions) are delivered on that same context, never concurrently.
 */
#ifndef NX_PLATFORM_H
#define NX_PLATFORM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/stddef.h>
#include <linux/stdarg.h>
#include <linux/bug.h>
#include <linux/limits.h>
/* <stdint.h> limits the portable code uses, from the kernel's own */
#ifndef UINT64_MAX
#define UINT8_MAX U8_MAX
#define UINT16_MAX U16_MAX
#define UINT32_MAX U32_MAX
#define UINT64_MAX U64_MAX
#define INT32_MAX S32_MAX
#define INT64_MAX S64_MAX
#endif
#else
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#endif

/* ---- errors: negative return values shared by every platform ---------- */
#define NX_OK 0
#define NX_ENOMEM (-12)
#define NX_ENOENT (-2)
#define NX_EIO (-5)
#define NX_EINVAL (-22)
#define NX_ENOSPC (-28)
#define NX_EAGAIN (-11)

/* ---- memory ------------------------------------------------------------ */

/* Returns zeroed memory or NULL.  In the kernel: process context only (the
 * loop is a workqueue), may sleep, never recurses into I/O (NOIO scope). */
void *nx_alloc(size_t size);
void nx_free(void *p);

/* Data buffers (a task's data, size > 0): like nx_alloc, but the contents
 * are NOT defined -- the owner writes every byte it later reads or sends.
 * Platforms may keep freed buffers in a bounded cache (SCST's SGV cache
 * idea: no zeroing, no fresh page faults per command).  nx_buf_free()
 * takes NULL; it never calls back into portable code. */
void *nx_buf_alloc(size_t size);
void nx_buf_free(void *p);

/* ---- logging ----------------------------------------------------------- */
enum nx_log_level {
	NX_LOG_ERR = 0,
	NX_LOG_WARN = 1,
	NX_LOG_INFO = 2,
	NX_LOG_DEBUG = 3,
};

void nx_log(enum nx_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* snprintf semantics (C99): returns the length that would have been
 * written.  The kernel and libc both have one; this keeps the core away
 * from <stdio.h>. */
int nx_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- rate-limited logging ------------------------------------------------
 *
 * Lines a peer can cause at will (refused connections, login failures,
 * Rejects, protocol errors) go through a limit: a 121k-line log of a
 * 40 s connection flood hides what matters and fills disks.  Each limit
 * belongs to the object that logs (an iSCSI server, the daemon), never to
 * the process, so simulated runs stay independent and deterministic.
 * In each window of NX_LOG_LIMIT_WINDOW_NS (from the first line) the
 * first NX_LOG_LIMIT_BURST lines are logged and the rest only counted;
 * the count becomes one line ("WHAT: N more not logged in the last T
 * ms") when the next line after the window comes, or when the owner calls
 * nx_log_limit_flush() from a timer it armed (nx_log_limit_pass() said
 * NX_LOG_LIMIT_HELD_FIRST) for nx_log_limit_left() from now.  Pure
 * functions of the clock value passed in: no new platform primitive. */
#define NX_LOG_LIMIT_BURST 10u
#define NX_LOG_LIMIT_WINDOW_NS 1000000000ull

struct nx_log_limit {
	const char *what;          /* names the lines in the summary */
	enum nx_log_level level;   /* of the summary: the last line's */
	uint64_t window_start_ns;
	uint32_t passed;           /* lines logged in this window */
	uint32_t held;             /* lines counted, not logged */
	uint64_t held_total;       /* over the limit's life */
	bool open;                 /* a window is running */
};

enum nx_log_limit_verdict {
	NX_LOG_LIMIT_LOG,          /* log this line */
	NX_LOG_LIMIT_HELD,         /* counted, not logged */
	NX_LOG_LIMIT_HELD_FIRST,   /* the first held line of the window:
				      arm a flush nx_log_limit_left() ahead */
};

static inline void nx_log_limit_init(struct nx_log_limit *ll, const char *what)
{
	memset(ll, 0, sizeof(*ll));
	ll->what = what;
}

/* Ends the window: its held count becomes one line. */
static inline void nx_log_limit_close(struct nx_log_limit *ll, uint64_t now)
{
	if (ll->held > 0)
		nx_log(ll->level, "%s: %u more not logged in the last %llu ms "
		       "(rate limit: %u lines/s)", ll->what, ll->held,
		       (unsigned long long)((now - ll->window_start_ns) /
					    1000000u),
		       NX_LOG_LIMIT_BURST);
	ll->open = false;
	ll->passed = 0;
	ll->held = 0;
}

static inline enum nx_log_limit_verdict
nx_log_limit_pass(struct nx_log_limit *ll, enum nx_log_level level,
		  uint64_t now)
{
	if (ll->open && now - ll->window_start_ns >= NX_LOG_LIMIT_WINDOW_NS)
		nx_log_limit_close(ll, now);
	ll->level = level;
	if (!ll->open) {
		ll->open = true;
		ll->window_start_ns = now;
	}
	if (ll->passed < NX_LOG_LIMIT_BURST) {
		ll->passed++;
		return NX_LOG_LIMIT_LOG;
	}
	ll->held++;
	ll->held_total++;
	return ll->held == 1 ? NX_LOG_LIMIT_HELD_FIRST : NX_LOG_LIMIT_HELD;
}

/* Time until the running window ends (0: none running, or over). */
static inline uint64_t nx_log_limit_left(const struct nx_log_limit *ll,
					 uint64_t now)
{
	uint64_t end = ll->window_start_ns + NX_LOG_LIMIT_WINDOW_NS;

	return ll->open && now < end ? end - now : 0;
}

/* From the owner's timer: a window that is over reports its count.
 * Returns what is left of a window still running with held lines (0:
 * nothing to flush later). */
static inline uint64_t nx_log_limit_flush(struct nx_log_limit *ll,
					  uint64_t now)
{
	uint64_t left = nx_log_limit_left(ll, now);

	if (ll->open && left == 0)
		nx_log_limit_close(ll, now);
	return ll->held > 0 ? left : 0;
}

/* ---- assertions -------------------------------------------------------- */

/* Invariant violations only: bytes from the wire never reach an assert,
 * they become sense data or a Reject.  In the kernel this is
 * WARN_ON_ONCE and execution continues. */
#ifdef __KERNEL__
#define nx_assert(expr) WARN_ON_ONCE(!(expr))
#else
__attribute__((noreturn)) void nx_panic(const char *file, int line,
					const char *expr);
#define nx_assert(expr)                                                     \
	do {                                                                \
		if (__builtin_expect(!(expr), 0))                           \
			nx_panic(__FILE__, __LINE__, #expr);                \
	} while (0)
#endif

#define NX_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#define NX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NX_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- time -------------------------------------------------------------- */

/* Monotonic nanoseconds since an arbitrary origin (virtual in the sim). */
uint64_t nx_clock_ns(void);

/* One-shot timers.  The callback runs on the owning execution context.
 * Arming an armed timer re-arms it; cancelling an idle one is a no-op. */
struct nx_timer;
typedef void (*nx_timer_fn)(void *arg);

struct nx_timer *nx_timer_new(nx_timer_fn fn, void *arg);
void nx_timer_arm(struct nx_timer *timer, uint64_t delay_ns);
void nx_timer_cancel(struct nx_timer *timer);
void nx_timer_free(struct nx_timer *timer);

/* ---- randomness -------------------------------------------------------- */

/* Uniform 64-bit values.  Seeded by the platform: the simulator derives
 * it from the run's seed; user space seeds it once at start-up.  Used for
 * CHAP challenges, target transfer tags, TSIHs. */
uint64_t nx_random_u64(void);

/* ---- persistence (APTPL, saved mode pages) ----------------------------- */

/* Stores a small blob under a key atomically: after a crash the old or
 * the new value is visible, never a mix. */
int nx_persist_store(const char *key, const void *data, size_t len);
/* NX_ENOENT if never stored; *len gets the stored length (may exceed cap,
 * then only cap bytes were copied). */
int nx_persist_load(const char *key, void *buf, size_t cap, size_t *len);

/* ---- asynchronous file I/O (file backstore) ---------------------------- */
struct nx_file;

enum nx_file_flags {
	NX_FILE_READONLY = 1 << 0,
	NX_FILE_DIRECT = 1 << 1, /* O_DIRECT: bypass the page cache */
	NX_FILE_CREATE = 1 << 2,
};

enum nx_file_op {
	NX_FILE_READ,
	NX_FILE_WRITE,
	NX_FILE_WRITE_FUA, /* write, then make it durable before completing */
	NX_FILE_SYNC,      /* make every completed write durable */
};

/* err is 0 or a negative NX_E* value. */
typedef void (*nx_file_done_fn)(void *arg, int err);

/* size_bytes: in: size to create/extend to when NX_FILE_CREATE (0 keeps
 * the existing size); out: the file's size. */
int nx_file_open(const char *path, unsigned flags, uint64_t *size_bytes,
		 struct nx_file **out);
void nx_file_close(struct nx_file *file);
/* Completion is always delivered later from the event loop, never from
 * inside this call.  buf/len are ignored for NX_FILE_SYNC.  Until done
 * runs, buf is the platform's: the caller neither changes nor frees it
 * (a write's bytes may be taken at any time in between: a worker
 * thread's pwrite, the simulator's disk at submission). */
int nx_file_submit(struct nx_file *file, enum nx_file_op op, void *buf,
		   size_t len, uint64_t offset, nx_file_done_fn done,
		   void *arg);

/* ---- byte streams out (transports -> network) -------------------------- */
struct nx_iovec {
	const void *base;
	size_t len;
};

#endif /* NX_PLATFORM_H */
