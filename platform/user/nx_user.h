/*
 * nx_user.h - user-space-only API of the Linux platform (platform/user).
 *
 * nx_platform.h is what portable code sees; this header is what a user
 * space embedder (nexus-target, unit tests) uses to drive it: the event
 * loop, fd watches, and the knobs of the platform services.
 *
 * Threading: one loop per process, run by one thread.  Everything in
 * core/ and transports/ runs on that thread; timer callbacks, fd
 * callbacks and file I/O completions are all delivered there.  The only
 * other threads are the file I/O workers of file.c, which never call back
 * into portable code.
 *
 * Files: platform.c (memory, log, snprintf, panic, clock, rng), loop.c
 * (epoll loop, fd watches, timers), file.c (async file I/O thread pool),
 * persist.c (atomic key/value blobs), buf.c (data buffer cache).
 */
#ifndef NX_USER_H
#define NX_USER_H

#include "../nx_platform.h"

/* ---- event loop --------------------------------------------------------- */

struct nx_loop;
struct nx_watch;

enum nx_watch_events {
	NX_EV_READ = 1 << 0,
	NX_EV_WRITE = 1 << 1,
	NX_EV_ERROR = 1 << 2, /* error or hang-up; reported, never requested */
};

typedef void (*nx_watch_fn)(void *arg, unsigned events);

/* At most one loop exists at a time: it becomes the platform's execution
 * context (timers fire and file completions arrive from it). */
struct nx_loop *nx_loop_new(void);
/* Every watch must be gone and every nx_file closed; stops the file I/O
 * workers. */
void nx_loop_free(struct nx_loop *loop);
/* Runs until nx_loop_stop(); returns 0, or a negative NX_E* when epoll
 * itself fails. */
int nx_loop_run(struct nx_loop *loop);
/* Makes nx_loop_run() return after the current iteration.  Callable from
 * any callback; not from other threads or signal handlers (use a signalfd
 * watch). */
void nx_loop_stop(struct nx_loop *loop);
/* After an iteration that ran callbacks, nx_loop_run() keeps polling
 * (epoll with no timeout) until ns pass without any, then sleeps again.
 * A thread that sleeps pays a wake-up for every command at low queue
 * depth; polling trades CPU for that latency only while traffic flows.
 * 0 (the default) never polls. */
void nx_loop_set_poll(struct nx_loop *loop, uint64_t ns);
/* One iteration: waits at most timeout_ns (0 = poll, < 0 = until the next
 * timer or event), then dispatches.  Returns the number of callbacks run
 * (fd events, timers, file completions) or a negative NX_E*.  For tests
 * and for embedders with their own outer loop. */
int nx_loop_run_once(struct nx_loop *loop, int64_t timeout_ns);

/* Watches fd (the caller keeps owning it) for events (NX_EV_READ |
 * NX_EV_WRITE, level-triggered).  NULL on failure. */
struct nx_watch *nx_watch_add(struct nx_loop *loop, int fd, unsigned events,
			      nx_watch_fn fn, void *arg);
int nx_watch_mod(struct nx_watch *w, unsigned events);
/* Safe from any callback, including the watch's own: a deleted watch
 * gets no further callback, not even one already reported by epoll.
 * Delete the watch before closing its fd. */
void nx_watch_del(struct nx_watch *w);

/* Number of armed timers (tests, and a drain check at shutdown). */
unsigned nx_user_timers_armed(void);

/* ---- platform knobs ------------------------------------------------------ */

/* Messages above this level are dropped (default NX_LOG_INFO). */
void nx_user_set_log_level(enum nx_log_level level);
enum nx_log_level nx_user_log_level(void);
/* Parses "err", "warn", "info", "debug" or "0".."3"; false if unknown. */
bool nx_user_parse_log_level(const char *s, enum nx_log_level *out);

/* Reseeds nx_random_u64() (xoshiro256** expanded with splitmix64): the same
 * seed gives the same sequence.  Without it the generator seeds itself
 * once from getrandom(2) on first use. */
void nx_user_seed_random(uint64_t seed);

/* Where nx_persist_* keep their blobs: one file per key in dir (created
 * if missing).  NULL (the default) keeps them in memory for the life of
 * the process.  Returns 0 or a negative NX_E*. */
int nx_user_set_state_dir(const char *dir);
/* Drops the in-memory store (tests, shutdown: keeps ASan quiet). */
void nx_user_persist_reset(void);
/* The steps of an on-disk store, in their order (persist.c). */
enum nx_user_persist_step {
	NX_USER_PERSIST_OPEN_TMP,  /* open(".KEY.tmp", O_CREAT|O_TRUNC) */
	NX_USER_PERSIST_WRITE,     /* write the whole blob */
	NX_USER_PERSIST_FSYNC,     /* fsync the temporary file */
	NX_USER_PERSIST_CLOSE,
	NX_USER_PERSIST_RENAME,    /* rename over KEY: the atomic switch */
	NX_USER_PERSIST_FSYNC_DIR, /* fsync the directory: the name is durable */
	NX_USER_PERSIST_STEPS,
};
/* Tests: called before each step.  0 goes on; a negative NX_E* fails the
 * step as the system call would (the store cleans up and returns it);
 * NX_USER_PERSIST_CRASH stops the store right there, nothing cleaned up,
 * as if the process died.  NULL removes the hook. */
#define NX_USER_PERSIST_CRASH 1
typedef int (*nx_user_persist_hook_fn)(enum nx_user_persist_step step,
				       void *arg);
void nx_user_persist_set_hook(nx_user_persist_hook_fn fn, void *arg);

/* File I/O pool limits (file.c). */
#define NX_USER_FILE_THREADS 4
#define NX_USER_FILE_QUEUE_MAX 1024 /* submitted, not yet completed */
/* Buffered requests up to this size may run on the loop thread (page
 * cache hits, tmpfs); larger ones always use the pool. */
#define NX_USER_FILE_INLINE_MAX (64u << 10)
/* File I/Os submitted and not yet completed (shutdown drain). */
unsigned nx_user_file_inflight(void);
/* Durability points the file I/O took (file.c): FUA writes done as one
 * RWF_DSYNC write, fdatasync calls (SYNC, and FUA where RWF_DSYNC is
 * missing), and those that failed (sticky per file from then on). */
struct nx_user_file_stats {
	uint64_t dsync_writes;
	uint64_t datasyncs;
	uint64_t sync_errors;
};
void nx_user_file_stats(struct nx_user_file_stats *out);
/* Tests: the next n durability points fail with NX_EIO, as a device
 * whose writeback failed would make them. */
void nx_user_file_fail_syncs(unsigned n);
/* Alignment O_DIRECT buffers get from the bounce path. */
#define NX_USER_DIRECT_ALIGN 4096

/* Data buffer cache (buf.c, nx_buf_alloc): freed buffers kept for reuse,
 * at most this many bytes in all and this many per size class. */
#define NX_USER_BUF_CACHE_MAX (64u << 20)
#define NX_USER_BUF_CLASS_MAX 256u
/* Gives every cached buffer back to libc (nx_loop_free does it too). */
void nx_user_buf_trim(void);
size_t nx_user_buf_cached_bytes(void);
/* Buffers handed out and not yet freed (tests: nothing leaks). */
size_t nx_user_buf_live(void);

#endif /* NX_USER_H */
