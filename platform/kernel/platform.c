// SPDX-License-Identifier: GPL-2.0
/*
 * platform.c - memory, logging, formatting, the monotonic clock, the
 * random number generator, persistence and the file I/O stubs for the
 * Linux kernel.
 *
 * Persistence is in memory for the life of the module (APTPL state and
 * saved pages survive a reconnect, not an unload or a reboot): a file
 * through kernel_write would need a path policy and a writable root the
 * initramfs self-test does not have.  File I/O (the file backstore) is
 * not implemented yet: nx_file_open fails with NX_EIO and the module
 * serves RAM LUs.
 */
#define pr_fmt(fmt) "nexus: " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "nx_kernel.h"

/* ---- memory ------------------------------------------------------------- */

static atomic_long_t allocs_outstanding = ATOMIC_LONG_INIT(0);

/*
 * kvzalloc: small blocks from the slab, large ones (8 MiB data buffers,
 * the RAM LU's chunk table) from vmalloc.  The NOIO scope keeps reclaim
 * from issuing I/O that could come back to this target (kvmalloc only
 * accepts GFP_KERNEL-compatible flags, so the scope is how NOIO is asked
 * for).
 */
void *nx_alloc(size_t size)
{
	unsigned int noio = memalloc_noio_save();
	void *p = kvzalloc(size ? size : 1, GFP_KERNEL);

	memalloc_noio_restore(noio);
	if (p)
		atomic_long_inc(&allocs_outstanding);
	return p;
}

void nx_free(void *p)
{
	if (!p)
		return;
	atomic_long_dec(&allocs_outstanding);
	kvfree(p);
}

long nx_kernel_allocs_outstanding(void)
{
	return atomic_long_read(&allocs_outstanding);
}

/* ---- logging ------------------------------------------------------------ */

static int log_level = NX_LOG_INFO;

void nx_kernel_set_log_level(int level)
{
	log_level = clamp(level, (int)NX_LOG_ERR, (int)NX_LOG_DEBUG);
}

void nx_log(enum nx_log_level level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list ap;

	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	switch (level) {
	case NX_LOG_ERR:
		pr_err("%pV\n", &vaf);
		break;
	case NX_LOG_WARN:
		pr_warn("%pV\n", &vaf);
		break;
	case NX_LOG_INFO:
		pr_info("%pV\n", &vaf);
		break;
	default:
		/* printk, not pr_debug: log_level already filtered it, and
		 * dynamic debug would hide it a second time. */
		printk(KERN_DEBUG pr_fmt("%pV\n"), &vaf);
		break;
	}
	va_end(ap);
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

/* ---- time and randomness -------------------------------------------------- */

uint64_t nx_clock_ns(void)
{
	return ktime_get_ns();
}

/* The kernel's CRNG: CHAP challenges, TSIHs and target transfer tags need
 * unpredictability, not reproducibility (that is the simulator's job). */
uint64_t nx_random_u64(void)
{
	return get_random_u64();
}

/* ---- persistence: a bounded in-memory table ----------------------------- */

#define PERSIST_KEYS 64
#define PERSIST_BLOB_MAX (1u << 20)
#define PERSIST_KEY_MAX 200

struct persist_blob {
	char *key;
	void *data;
	size_t len;
};

static struct persist_blob blobs[PERSIST_KEYS];
static DEFINE_MUTEX(persist_lock);

static struct persist_blob *persist_find(const char *key, bool create)
{
	struct persist_blob *free_slot = NULL;

	for (unsigned int i = 0; i < PERSIST_KEYS; i++) {
		if (blobs[i].key && strcmp(blobs[i].key, key) == 0)
			return &blobs[i];
		if (!blobs[i].key && !free_slot)
			free_slot = &blobs[i];
	}
	return create ? free_slot : NULL;
}

/* The new value replaces the old one in a single pointer swap under the
 * lock, so a reader sees one or the other, never a mix. */
int nx_persist_store(const char *key, const void *data, size_t len)
{
	struct persist_blob *b;
	void *copy;
	int rc = NX_OK;

	if (len > PERSIST_BLOB_MAX || strnlen(key, PERSIST_KEY_MAX) >= PERSIST_KEY_MAX)
		return NX_EINVAL;
	copy = kvmalloc(len ? len : 1, GFP_KERNEL);
	if (!copy)
		return NX_ENOMEM;
	memcpy(copy, data, len);
	mutex_lock(&persist_lock);
	b = persist_find(key, true);
	if (!b) {
		rc = NX_ENOSPC;
	} else if (!b->key && !(b->key = kstrdup(key, GFP_KERNEL))) {
		rc = NX_ENOMEM;
	} else {
		swap(b->data, copy);
		b->len = len;
	}
	mutex_unlock(&persist_lock);
	kvfree(copy);
	return rc;
}

int nx_persist_load(const char *key, void *buf, size_t cap, size_t *len)
{
	struct persist_blob *b;
	int rc = NX_ENOENT;

	mutex_lock(&persist_lock);
	b = persist_find(key, false);
	if (b) {
		memcpy(buf, b->data, min(cap, b->len));
		*len = b->len;
		rc = NX_OK;
	}
	mutex_unlock(&persist_lock);
	return rc;
}

void nx_kernel_persist_reset(void)
{
	mutex_lock(&persist_lock);
	for (unsigned int i = 0; i < PERSIST_KEYS; i++) {
		kfree(blobs[i].key);
		kvfree(blobs[i].data);
		blobs[i] = (struct persist_blob){ 0 };
	}
	mutex_unlock(&persist_lock);
}

/* ---- file I/O: not in the kernel build yet ------------------------------- */

/* A kernel file backstore would use kiocb-based async I/O (like LIO's
 * fileio) with completions queued to the loop.  Until then no nx_file
 * ever exists, so close and submit cannot be reached. */
int nx_file_open(const char *path, unsigned flags, uint64_t *size_bytes,
		 struct nx_file **out)
{
	pr_warn("file backstore %s: not supported in the kernel build\n", path);
	*out = NULL;
	return NX_EIO;
}

void nx_file_close(struct nx_file *file)
{
	nx_assert(!file);
}

int nx_file_submit(struct nx_file *file, enum nx_file_op op, void *buf,
		   size_t len, uint64_t offset, nx_file_done_fn done,
		   void *arg)
{
	nx_assert(!file);
	return NX_EIO;
}
