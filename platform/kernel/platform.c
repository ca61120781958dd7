// SPDX-License-Identifier: GPL-2.0
/*
 * platform.c - memory, logging, formatting, the monotonic clock, the
 * random number generator, persistence and the file I/O stubs for the
 * Linux kernel.
 *
 * Persistence (issue 9) is a pair of files per key in a state directory
 * (module parameter state_dir): "<dir>/<key>.0" and "<dir>/<key>.1", each
 * a header (magic, sequence, length, CRC32) and the blob.  A store
 * rewrites the older slot and fsyncs it, so a crash leaves the other
 * slot, the previous value, intact; a load takes the newest slot whose
 * CRC checks.  Two slots instead of write-then-rename: vfs_rename's
 * signature changes across kernels, filp_open/kernel_write/vfs_fsync do
 * not.  Without a usable directory (the initramfs self-test has none)
 * persistence stays in memory for the life of the module.  File I/O (the
 * file backstore) is
 * not implemented yet: nx_file_open fails with NX_EIO and the module
 * serves RAM LUs.
 */
#define pr_fmt(fmt) "nexus: " fmt

#include <asm/unaligned.h>
#include <linux/atomic.h>
#include <linux/crc32.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/namei.h>
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

/* Not zeroed: the owner writes every byte it sends (nx_platform.h).
 * kvmalloc already reuses freed pages through the slab and page
 * allocators, so no cache of our own. */
void *nx_buf_alloc(size_t size)
{
	unsigned int noio = memalloc_noio_save();
	void *p = kvmalloc(size ? size : 1, GFP_KERNEL);

	memalloc_noio_restore(noio);
	if (p)
		atomic_long_inc(&allocs_outstanding);
	return p;
}

void nx_buf_free(void *p)
{
	nx_free(p);
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

/* ---- persistence in memory: a bounded table ------------------------------- */

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
static int mem_store(const char *key, const void *data, size_t len)
{
	struct persist_blob *b;
	void *copy;
	int rc = NX_OK;

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

static int mem_load(const char *key, void *buf, size_t cap, size_t *len)
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

/* ---- persistence: two slots per key in state_dir ------------------------- */

#define PERSIST_MAGIC 0x3150584eu /* "NXP1" little-endian */
/* magic u32, blob length u32, sequence u64, CRC32 u32 (over the first 16
 * header bytes and the blob) */
#define PERSIST_HDR 20
#define PERSIST_PATH_MAX 512
#define PERSIST_DIR_MAX (PERSIST_PATH_MAX - PERSIST_KEY_MAX - 8)

/* NULL: persistence in memory.  Points at the module parameter, which
 * lives as long as the module. */
static const char *state_dir;

struct persist_slot {
	u64 seq;
	void *buf;
	size_t len;
	bool exists;
	bool valid;
};

void nx_kernel_set_state_dir(const char *dir)
{
	struct path p;
	int err;

	state_dir = NULL;
	if (!dir || !*dir) {
		pr_info("state_dir empty: persistence in memory only\n");
		return;
	}
	err = -ENAMETOOLONG;
	if (dir[0] == '/' && strlen(dir) < PERSIST_DIR_MAX) {
		err = kern_path(dir, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
		if (!err) {
			err = path_permission(&p, MAY_WRITE | MAY_EXEC);
			path_put(&p);
		}
	}
	if (err) {
		pr_warn("state_dir=%s unusable (%d): persistence in memory only\n",
			dir, err);
		return;
	}
	state_dir = dir;
	pr_info("persistence in %s\n", state_dir);
}

/* "<dir>/<key>.<slot>", '/' in the key replaced so a key never leaves
 * the directory. */
static char *slot_path(const char *key, unsigned int slot)
{
	char *path = kmalloc(PERSIST_PATH_MAX, GFP_KERNEL);
	char *k;

	if (!path)
		return NULL;
	snprintf(path, PERSIST_PATH_MAX, "%s/%s.%u", state_dir, key, slot);
	for (k = path + strlen(state_dir) + 1; *k; k++)
		if (*k == '/')
			*k = '_';
	return path;
}

static u32 slot_crc(const u8 *hdr, const void *data, size_t len)
{
	return crc32_le(crc32_le(~0u, hdr, 16), data, len);
}

/* Reads and checks one slot.  A missing, short, foreign or torn slot is
 * not an error (s->valid stays false); only a failed read or allocation
 * is, since it could hide the newest value. */
static int slot_read(const char *key, unsigned int n, struct persist_slot *s)
{
	u8 hdr[PERSIST_HDR];
	char *path = slot_path(key, n);
	struct file *f;
	loff_t pos = 0;
	ssize_t got;
	u32 len;
	int rc = NX_OK;

	*s = (struct persist_slot){ 0 };
	if (!path)
		return NX_ENOMEM;
	f = filp_open(path, O_RDONLY | O_NOFOLLOW, 0);
	kfree(path);
	if (IS_ERR(f))
		return PTR_ERR(f) == -ENOENT ? NX_OK : NX_EIO;
	s->exists = true;
	got = kernel_read(f, hdr, sizeof(hdr), &pos);
	if (got < 0) {
		rc = NX_EIO;
		goto out;
	}
	if (got != sizeof(hdr) || get_unaligned_le32(hdr) != PERSIST_MAGIC)
		goto out;
	len = get_unaligned_le32(hdr + 4);
	if (len > PERSIST_BLOB_MAX)
		goto out;
	s->buf = kvmalloc(len ? len : 1, GFP_KERNEL);
	if (!s->buf) {
		rc = NX_ENOMEM;
		goto out;
	}
	got = kernel_read(f, s->buf, len, &pos);
	if (got < 0)
		rc = NX_EIO;
	else if (got == len &&
		 slot_crc(hdr, s->buf, len) == get_unaligned_le32(hdr + 16)) {
		s->seq = get_unaligned_le64(hdr + 8);
		s->len = len;
		s->valid = true;
	}
out:
	filp_close(f, NULL);
	return rc;
}

static void slots_free(struct persist_slot s[2])
{
	kvfree(s[0].buf);
	kvfree(s[1].buf);
}

/* Reads both slots; *newest gets the index of the valid slot with the
 * higher sequence, or -1 when neither is valid. */
static int slots_read(const char *key, struct persist_slot s[2], int *newest)
{
	int rc0 = slot_read(key, 0, &s[0]);
	int rc1 = slot_read(key, 1, &s[1]);

	if (rc0 != NX_OK || rc1 != NX_OK) {
		slots_free(s);
		return rc0 != NX_OK ? rc0 : rc1;
	}
	if (s[0].valid && (!s[1].valid || s[0].seq > s[1].seq))
		*newest = 0;
	else
		*newest = s[1].valid ? 1 : -1;
	return NX_OK;
}

static int slot_write(const char *key, unsigned int n, u64 seq,
		      const void *data, size_t len)
{
	u8 hdr[PERSIST_HDR];
	char *path = slot_path(key, n);
	struct file *f;
	loff_t pos = 0;
	int rc = NX_EIO;

	if (!path)
		return NX_ENOMEM;
	f = filp_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	kfree(path);
	if (IS_ERR(f))
		return NX_EIO;
	put_unaligned_le32(PERSIST_MAGIC, hdr);
	put_unaligned_le32(len, hdr + 4);
	put_unaligned_le64(seq, hdr + 8);
	put_unaligned_le32(slot_crc(hdr, data, len), hdr + 16);
	if (kernel_write(f, hdr, sizeof(hdr), &pos) == sizeof(hdr) &&
	    kernel_write(f, data, len, &pos) == (ssize_t)len &&
	    vfs_fsync(f, 0) == 0)
		rc = NX_OK;
	if (filp_close(f, NULL))
		rc = NX_EIO;
	return rc;
}

/* A newly created slot's directory entry must be durable too. */
static int dir_sync(void)
{
	struct file *d = filp_open(state_dir, O_RDONLY | O_DIRECTORY, 0);
	int rc;

	if (IS_ERR(d))
		return NX_EIO;
	rc = vfs_fsync(d, 0) ? NX_EIO : NX_OK;
	filp_close(d, NULL);
	return rc;
}

/* Overwrites the slot that does not hold the newest value: a crash
 * mid-write tears only that slot, and load falls back to the other. */
static int file_store(const char *key, const void *data, size_t len)
{
	struct persist_slot s[2];
	unsigned int target;
	bool created;
	int newest;
	u64 seq;
	int rc;

	rc = slots_read(key, s, &newest);
	if (rc != NX_OK)
		return rc;
	target = newest == 0 ? 1 : 0;
	seq = newest < 0 ? 1 : s[newest].seq + 1;
	created = !s[target].exists;
	slots_free(s);
	rc = slot_write(key, target, seq, data, len);
	if (rc == NX_OK && created)
		rc = dir_sync();
	return rc;
}

static int file_load(const char *key, void *buf, size_t cap, size_t *len)
{
	struct persist_slot s[2];
	int newest;
	int rc;

	rc = slots_read(key, s, &newest);
	if (rc != NX_OK)
		return rc;
	if (newest < 0) {
		rc = NX_ENOENT;
	} else {
		memcpy(buf, s[newest].buf, min(cap, s[newest].len));
		*len = s[newest].len;
	}
	slots_free(s);
	return rc;
}

int nx_persist_store(const char *key, const void *data, size_t len)
{
	int rc;

	if (len > PERSIST_BLOB_MAX || strnlen(key, PERSIST_KEY_MAX) >= PERSIST_KEY_MAX)
		return NX_EINVAL;
	if (!state_dir)
		return mem_store(key, data, len);
	mutex_lock(&persist_lock);
	rc = file_store(key, data, len);
	mutex_unlock(&persist_lock);
	return rc;
}

int nx_persist_load(const char *key, void *buf, size_t cap, size_t *len)
{
	int rc;

	if (strnlen(key, PERSIST_KEY_MAX) >= PERSIST_KEY_MAX)
		return NX_EINVAL;
	if (!state_dir)
		return mem_load(key, buf, cap, len);
	mutex_lock(&persist_lock);
	rc = file_load(key, buf, cap, len);
	mutex_unlock(&persist_lock);
	return rc;
}

void nx_kernel_persist_reset(void)
{
	mutex_lock(&persist_lock);
	state_dir = NULL;
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
