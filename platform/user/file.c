/*
 * file.c - asynchronous file I/O for the file backstore.
 *
 * A small bounded pool of worker threads does pread/pwrite/fdatasync; the
 * finished requests go on a done list and an eventfd wakes the loop, which
 * runs the completion callbacks on the loop thread.  Portable code thus
 * never sees a second thread.  In buffered mode a page-cache hit skips the
 * pool: RWF_NOWAIT on the loop thread, completion at the end of the loop
 * iteration (try_nowait).  Requests come from a fixed array of
 * NX_USER_FILE_QUEUE_MAX slots: past that, submit says NX_EAGAIN.
 *
 * Durability (the host page cache is the volatile cache; SBC-3 4.18):
 *  - NX_FILE_WRITE_FUA (the FUA bit, and every write while WCE=0: core/
 *    sbc.c adds NX_BS_FUA then) is one pwritev2(RWF_DSYNC): O_DSYNC for
 *    this write only, so its blocks and the metadata needed to read them
 *    are stable before the completion (on a block device with FUA
 *    support the kernel sends a FUA write, not a whole cache flush).  A
 *    kernel without RWF_DSYNC gets pwrite + fdatasync instead.
 *  - NX_FILE_SYNC (SYNCHRONIZE CACHE) is fdatasync.
 *  - A failed durability point is sticky for the file: Linux reports a
 *    writeback error once and then marks the pages clean, so the next
 *    fdatasync would succeed with the data lost ("fsyncgate").  From
 *    then on every FUA write and SYNC of that file fails with NX_EIO
 *    (the initiator sees MEDIUM ERROR, never a false GOOD); reopening
 *    the LU clears it.
 *
 * NX_FILE_DIRECT opens with O_DIRECT.  O_DIRECT needs aligned memory, so a
 * buffer that is not NX_USER_DIRECT_ALIGN aligned goes through an aligned
 * bounce buffer in the worker.  Offsets and lengths are block aligned by
 * the backstore contract.  A file system without O_DIRECT support (EINVAL
 * on open) falls back to buffered I/O with a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "user_internal.h"

struct nx_file {
	int fd;
	int sync_failed; /* sticky durability error (atomic: workers) */
	bool dsync_off;  /* no RWF_DSYNC here: pwrite + fdatasync (atomic) */
	bool direct;     /* opened with O_DIRECT */
	bool read_only;
	bool nowait_read_off;  /* RWF_NOWAIT not supported: always the pool */
	bool nowait_write_off;
	bool memory_fs;        /* tmpfs/ramfs: no device to wait for */
	bool closing;    /* nx_file_close() ran while I/O was in flight */
	uint32_t inflight;
};

struct file_req {
	struct file_req *next;
	struct nx_file *file;
	enum nx_file_op op;
	void *buf;
	size_t len;
	uint64_t offset;
	nx_file_done_fn done;
	void *arg;
	int err;
};

static struct {
	bool started;
	int efd;
	struct nx_watch *watch;
	pthread_t threads[NX_USER_FILE_THREADS];
	unsigned nthreads;
	/* shared with the workers, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct file_req *todo_head, *todo_tail;
	struct file_req *done_head, *done_tail;
	bool quit;
	/* loop thread only */
	struct file_req *slots;
	struct file_req *free_list;
	uint32_t inflight;
	struct file_req *inline_head, *inline_tail; /* done on the loop */
	struct nx_timer *inline_timer;
} fio = {
	.efd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* Durability points taken (atomic: workers update them). */
static struct nx_user_file_stats fstats;
static unsigned fail_syncs; /* test hook: fail this many durability points */

void nx_user_file_stats(struct nx_user_file_stats *out)
{
	out->dsync_writes = __atomic_load_n(&fstats.dsync_writes, __ATOMIC_RELAXED);
	out->datasyncs = __atomic_load_n(&fstats.datasyncs, __ATOMIC_RELAXED);
	out->sync_errors = __atomic_load_n(&fstats.sync_errors, __ATOMIC_RELAXED);
}

void nx_user_file_fail_syncs(unsigned n)
{
	__atomic_store_n(&fail_syncs, n, __ATOMIC_RELAXED);
}

/* The test hook: true (and one less to fail) while fail_syncs > 0. */
static bool sync_fault(void)
{
	unsigned n = __atomic_load_n(&fail_syncs, __ATOMIC_RELAXED);

	while (n > 0) {
		if (__atomic_compare_exchange_n(&fail_syncs, &n, n - 1, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/* ---- worker side ------------------------------------------------------------ */

static int full_pread(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_user_errno(errno);
		if (n == 0) {
			/* Past the end of a file that shrank under us: the
			 * missing blocks read as zeros, like a hole. */
			memset(buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return 0;
}

#define DSYNC_UNSUPPORTED 1 /* full_pwrite: RWF_DSYNC refused, nothing written */

/* flags: 0 or RWF_DSYNC (each pwritev2 is durable when it returns). */
static int full_pwrite(int fd, const uint8_t *buf, size_t len, uint64_t off,
		       int flags)
{
	size_t done = 0;

	while (done < len) {
		struct iovec v = { .iov_base = (void *)(buf + done),
				   .iov_len = len - done };
		ssize_t n = flags ? pwritev2(fd, &v, 1, (off_t)(off + done), flags)
				  : pwrite(fd, v.iov_base, v.iov_len,
					   (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && flags && done == 0 &&
		    (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS))
			return DSYNC_UNSUPPORTED;
		if (n < 0)
			return nx_user_errno(errno);
		if (n == 0)
			return NX_EIO;
		done += (size_t)n;
	}
	return 0;
}

/* A durability point failed: the file's cache may have lost data that
 * was acknowledged as written; no later sync may say otherwise. */
static int sync_failed(struct nx_file *f, int err)
{
	__atomic_store_n(&f->sync_failed, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&fstats.sync_errors, 1, __ATOMIC_RELAXED);
	return err;
}

static int datasync(struct nx_file *f)
{
	if (__atomic_load_n(&f->sync_failed, __ATOMIC_RELAXED))
		return NX_EIO;
	__atomic_fetch_add(&fstats.datasyncs, 1, __ATOMIC_RELAXED);
	if (sync_fault())
		return sync_failed(f, NX_EIO);
	while (fdatasync(f->fd) < 0) {
		if (errno != EINTR)
			return sync_failed(f, nx_user_errno(errno));
	}
	return 0;
}

static bool needs_bounce(const struct file_req *r)
{
	return r->file->direct &&
	       ((uintptr_t)r->buf % NX_USER_DIRECT_ALIGN) != 0;
}

static int req_rw(struct file_req *r, int wflags)
{
	bool write = r->op != NX_FILE_READ;
	uint8_t *io = r->buf;
	int err;

	if (r->len == 0)
		return 0;
	if (needs_bounce(r)) {
		void *bounce = NULL;

		if (posix_memalign(&bounce, NX_USER_DIRECT_ALIGN, r->len) != 0)
			return NX_ENOMEM;
		io = bounce;
		if (write)
			memcpy(io, r->buf, r->len);
	}
	if (write)
		err = full_pwrite(r->file->fd, io, r->len, r->offset, wflags);
	else
		err = full_pread(r->file->fd, io, r->len, r->offset);
	if (io != r->buf) {
		if (!write && err == 0)
			memcpy(r->buf, io, r->len);
		free(io);
	}
	return err;
}

/* SBC-3 FUA: durable before the completion.  One RWF_DSYNC write where
 * the kernel has it, else write + fdatasync. */
static int fua_write(struct file_req *r)
{
	struct nx_file *f = r->file;
	int err;

	if (__atomic_load_n(&f->sync_failed, __ATOMIC_RELAXED))
		return NX_EIO;
	if (r->len > 0 && !__atomic_load_n(&f->dsync_off, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&fstats.dsync_writes, 1, __ATOMIC_RELAXED);
		if (sync_fault())
			return sync_failed(f, NX_EIO);
		err = req_rw(r, RWF_DSYNC);
		if (err != DSYNC_UNSUPPORTED)
			return err == NX_EIO ? sync_failed(f, err) : err;
		__atomic_store_n(&f->dsync_off, true, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&fstats.dsync_writes, 1, __ATOMIC_RELAXED);
	}
	err = req_rw(r, 0);
	return err ? err : datasync(f);
}

static int req_execute(struct file_req *r)
{
	switch (r->op) {
	case NX_FILE_READ:
	case NX_FILE_WRITE:
		return req_rw(r, 0);
	case NX_FILE_WRITE_FUA:
		return fua_write(r);
	case NX_FILE_SYNC:
		return datasync(r->file);
	}
	return NX_EINVAL;
}

static void *worker(void *unused)
{
	static const uint64_t one = 1;

	for (;;) {
		struct file_req *r;

		pthread_mutex_lock(&fio.lock);
		while (!fio.todo_head && !fio.quit)
			pthread_cond_wait(&fio.cond, &fio.lock);
		r = fio.todo_head;
		if (!r) {
			pthread_mutex_unlock(&fio.lock);
			return NULL; /* quit, and nothing left to do */
		}
		fio.todo_head = r->next;
		if (!fio.todo_head)
			fio.todo_tail = NULL;
		pthread_mutex_unlock(&fio.lock);

		r->err = req_execute(r);

		pthread_mutex_lock(&fio.lock);
		r->next = NULL;
		if (fio.done_tail)
			fio.done_tail->next = r;
		else
			fio.done_head = r;
		fio.done_tail = r;
		pthread_mutex_unlock(&fio.lock);
		/* An eventfd write only fails when the counter would overflow,
		 * and then the loop is already woken. */
		if (write(fio.efd, &one, sizeof(one)) < 0)
			continue;
	}
}

/* ---- loop side -------------------------------------------------------------- */

static void file_destroy(struct nx_file *f)
{
	close(f->fd);
	nx_free(f);
}

static void req_complete(struct file_req *r)
{
	struct nx_file *f = r->file;
	nx_file_done_fn done = r->done;
	void *arg = r->arg;
	int err = r->err;

	nx_assert(f->inflight > 0 && fio.inflight > 0);
	f->inflight--;
	fio.inflight--;
	r->next = fio.free_list;
	fio.free_list = r;
	if (f->closing) {
		/* Closed by its owner with I/O in flight: nobody is left to
		 * receive the completion. */
		if (f->inflight == 0)
			file_destroy(f);
		return;
	}
	done(arg, err);
}

static void efd_ready(void *unused, unsigned events)
{
	struct file_req *list;
	uint64_t count;

	if (read(fio.efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		nx_log(NX_LOG_WARN, "file I/O eventfd read: errno %d", errno);
	pthread_mutex_lock(&fio.lock);
	list = fio.done_head;
	fio.done_head = fio.done_tail = NULL;
	pthread_mutex_unlock(&fio.lock);
	while (list) {
		struct file_req *r = list;

		list = r->next;
		req_complete(r);
	}
}

/* ---- page-cache hits on the loop thread --------------------------------------- */

/* Buffered mode: a read whose pages are cached (a write that needs no
 * allocation or writeback wait) is done at once with RWF_NOWAIT instead of
 * waking a worker and being woken back -- two context switches and a
 * futex per 4 KiB for ~1 us of copying (docs/PERFORMANCE.md, profile 3).
 * EAGAIN, a short transfer or an error sends the request to the pool as
 * before (which redoes it whole: both are idempotent). */
static bool try_nowait(struct file_req *r)
{
	struct nx_file *f = r->file;
	struct iovec v = { .iov_base = r->buf, .iov_len = r->len };
	bool read = r->op == NX_FILE_READ;
	ssize_t n;

	/* Large transfers go to the pool anyway: there the copy overlaps
	 * with the loop sending earlier Data-In (1 MiB reads at QD32 were
	 * slower inline). */
	if (r->len > NX_USER_FILE_INLINE_MAX)
		return false;
	if (f->memory_fs) {
		/* tmpfs has no RWF_NOWAIT (EOPNOTSUPP) and nothing to wait
		 * for: its pages are memory, sync is a no-op. */
		r->err = req_execute(r);
		return true;
	}
	if (f->direct || r->len == 0 || (r->op != NX_FILE_READ &&
					 r->op != NX_FILE_WRITE) ||
	    (read ? f->nowait_read_off : f->nowait_write_off))
		return false;
	do {
		n = read ? preadv2(f->fd, &v, 1, (off_t)r->offset, RWF_NOWAIT)
			 : pwritev2(f->fd, &v, 1, (off_t)r->offset, RWF_NOWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS)) {
		if (read)
			f->nowait_read_off = true;
		else
			f->nowait_write_off = true;
	}
	if (n != (ssize_t)r->len)
		return false;
	r->err = 0;
	return true;
}

/* Completions of the requests try_nowait() did: delivered from a
 * zero-delay timer, i.e. at the end of this loop iteration, never from
 * inside nx_file_submit (nx_platform.h). */
static void inline_done(void *unused)
{
	struct file_req *list = fio.inline_head;

	fio.inline_head = fio.inline_tail = NULL;
	while (list) {
		struct file_req *r = list;

		list = r->next;
		req_complete(r);
	}
}

static void inline_queue(struct file_req *r)
{
	r->next = NULL;
	if (fio.inline_tail)
		fio.inline_tail->next = r;
	else
		fio.inline_head = r;
	fio.inline_tail = r;
	nx_timer_arm(fio.inline_timer, 0);
}

static int engine_start(void)
{
	struct nx_loop *loop = nx_user_loop();

	if (!loop) {
		nx_log(NX_LOG_ERR, "file I/O needs an event loop (nx_loop_new)");
		return NX_EINVAL;
	}
	fio.slots = nx_alloc(NX_USER_FILE_QUEUE_MAX * sizeof(*fio.slots));
	fio.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fio.inline_timer = nx_timer_new(inline_done, NULL);
	if (!fio.slots || fio.efd < 0 || !fio.inline_timer)
		goto fail;
	fio.watch = nx_watch_add(loop, fio.efd, NX_EV_READ, efd_ready, NULL);
	if (!fio.watch)
		goto fail;
	for (unsigned i = 0; i < NX_USER_FILE_QUEUE_MAX; i++) {
		fio.slots[i].next = fio.free_list;
		fio.free_list = &fio.slots[i];
	}
	fio.quit = false;
	fio.started = true;
	for (unsigned i = 0; i < NX_USER_FILE_THREADS; i++) {
		if (pthread_create(&fio.threads[i], NULL, worker, NULL) != 0)
			break;
		fio.nthreads++;
	}
	if (fio.nthreads > 0)
		return 0;
	nx_user_file_shutdown();
	return NX_ENOMEM;
fail:
	nx_user_file_shutdown();
	return NX_ENOMEM;
}

void nx_user_file_shutdown(void)
{
	pthread_mutex_lock(&fio.lock);
	fio.quit = true;
	pthread_cond_broadcast(&fio.cond);
	pthread_mutex_unlock(&fio.lock);
	for (unsigned i = 0; i < fio.nthreads; i++)
		pthread_join(fio.threads[i], NULL);
	fio.nthreads = 0;
	/* Deliver what finished meanwhile so closing files get destroyed. */
	if (fio.started) {
		efd_ready(NULL, NX_EV_READ);
		inline_done(NULL);
	}
	nx_timer_free(fio.inline_timer);
	fio.inline_timer = NULL;
	if (fio.inflight)
		nx_log(NX_LOG_WARN, "file I/O: %u requests lost at shutdown",
		       fio.inflight);
	nx_watch_del(fio.watch);
	fio.watch = NULL;
	if (fio.efd >= 0)
		close(fio.efd);
	fio.efd = -1;
	nx_free(fio.slots);
	fio.slots = NULL;
	fio.free_list = NULL;
	fio.inflight = 0;
	fio.started = false;
}

unsigned nx_user_file_inflight(void)
{
	return fio.inflight;
}

/* ---- nx_platform.h API ------------------------------------------------------- */

static int file_size(int fd, unsigned flags, uint64_t want, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return nx_user_errno(errno);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			return nx_user_errno(errno);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return NX_EINVAL;
	*size = (uint64_t)st.st_size;
	if ((flags & NX_FILE_CREATE) && want > *size) {
		if (ftruncate(fd, (off_t)want) < 0)
			return nx_user_errno(errno);
		*size = want;
	}
	return 0;
}

static int open_fd(const char *path, unsigned flags, bool *direct)
{
	int oflags = O_CLOEXEC | (flags & NX_FILE_READONLY ? O_RDONLY : O_RDWR) |
		     (flags & NX_FILE_CREATE ? O_CREAT : 0);
	int fd;

	*direct = (flags & NX_FILE_DIRECT) != 0;
	fd = open(path, oflags | (*direct ? O_DIRECT : 0), 0644);
	if (fd < 0 && *direct && errno == EINVAL) {
		nx_log(NX_LOG_WARN, "%s: O_DIRECT not supported here, using "
		       "buffered I/O", path);
		*direct = false;
		fd = open(path, oflags, 0644);
	}
	return fd < 0 ? nx_user_errno(errno) : fd;
}

static bool on_memory_fs(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return false;
	return sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC;
}

int nx_file_open(const char *path, unsigned flags, uint64_t *size_bytes,
		 struct nx_file **out)
{
	struct nx_file *f;
	bool direct;
	int fd, err;

	nx_assert(path && size_bytes && out);
	if ((flags & NX_FILE_READONLY) && (flags & NX_FILE_CREATE))
		return NX_EINVAL;
	fd = open_fd(path, flags, &direct);
	if (fd < 0)
		return fd;
	err = file_size(fd, flags, *size_bytes, size_bytes);
	f = err ? NULL : nx_alloc(sizeof(*f));
	if (!f) {
		close(fd);
		return err ? err : NX_ENOMEM;
	}
	f->fd = fd;
	f->direct = direct;
	f->read_only = (flags & NX_FILE_READONLY) != 0;
	f->memory_fs = !direct && on_memory_fs(fd);
	*out = f;
	return 0;
}

void nx_file_close(struct nx_file *f)
{
	if (!f)
		return;
	nx_assert(!f->closing);
	if (f->inflight == 0) {
		file_destroy(f);
		return;
	}
	nx_log(NX_LOG_WARN, "nx_file_close with %u I/Os in flight; their "
	       "completions are dropped", f->inflight);
	f->closing = true;
}

int nx_file_submit(struct nx_file *f, enum nx_file_op op, void *buf,
		   size_t len, uint64_t offset, nx_file_done_fn done, void *arg)
{
	struct file_req *r;
	int err;

	nx_assert(f && !f->closing && done);
	if (op == NX_FILE_SYNC) {
		buf = NULL;
		len = 0;
	} else if ((len && !buf) || offset > (uint64_t)INT64_MAX - len ||
		   (op != NX_FILE_READ && f->read_only)) {
		return NX_EINVAL;
	}
	if (!fio.started && (err = engine_start()) != 0)
		return err;
	r = fio.free_list;
	if (!r)
		return NX_EAGAIN;
	fio.free_list = r->next;
	*r = (struct file_req){ .file = f, .op = op, .buf = buf, .len = len,
				.offset = offset, .done = done, .arg = arg };
	f->inflight++;
	fio.inflight++;
	if (try_nowait(r)) {
		inline_queue(r);
		return 0;
	}
	pthread_mutex_lock(&fio.lock);
	if (fio.todo_tail)
		fio.todo_tail->next = r;
	else
		fio.todo_head = r;
	fio.todo_tail = r;
	pthread_cond_signal(&fio.cond);
	pthread_mutex_unlock(&fio.lock);
	return 0;
}
