/*
 * persist.c - nx_persist_store/load: small blobs that must survive a
 * restart (APTPL reservations, saved mode pages).
 *
 * With a state directory, each key is one file.  A store writes a
 * temporary file, fsyncs it, renames it over the old one and fsyncs the
 * directory: rename(2) is atomic, so after a crash the old or the new
 * value is visible, never a mix, and once store returns 0 the new value
 * survives power loss.  Without a directory the blobs live in a bounded
 * in-memory table for the life of the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user_internal.h"

#define NX_PERSIST_BLOB_MAX (1u << 20) /* "small": saved pages, PR state */
#define NX_PERSIST_MEM_KEYS 256
#define NX_PERSIST_NAME_MAX 200        /* escaped file name, < NAME_MAX */

static char *state_dir;
static nx_user_persist_hook_fn step_hook;
static void *step_hook_arg;

void nx_user_persist_set_hook(nx_user_persist_hook_fn fn, void *arg)
{
	step_hook = fn;
	step_hook_arg = arg;
}

/* 0, a failure to inject, or NX_USER_PERSIST_CRASH (tests only). */
static int step(enum nx_user_persist_step s)
{
	return step_hook ? step_hook(s, step_hook_arg) : 0;
}

struct mem_blob {
	char *key;
	uint8_t *data;
	size_t len;
};

static struct mem_blob mem[NX_PERSIST_MEM_KEYS];

int nx_user_set_state_dir(const char *dir)
{
	struct stat st;
	char *copy = NULL;

	if (dir) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return nx_user_errno(errno);
		if (stat(dir, &st) < 0)
			return nx_user_errno(errno);
		if (!S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0)
			return NX_EINVAL;
		copy = strdup(dir);
		if (!copy)
			return NX_ENOMEM;
	}
	free(state_dir);
	state_dir = copy;
	return 0;
}

void nx_user_persist_reset(void)
{
	for (unsigned i = 0; i < NX_PERSIST_MEM_KEYS; i++) {
		free(mem[i].key);
		free(mem[i].data);
		mem[i] = (struct mem_blob){ 0 };
	}
	free(state_dir);
	state_dir = NULL;
}

/* ---- in memory ---------------------------------------------------------- */

static struct mem_blob *mem_find(const char *key, bool create)
{
	struct mem_blob *free_slot = NULL;

	for (unsigned i = 0; i < NX_PERSIST_MEM_KEYS; i++) {
		if (mem[i].key && strcmp(mem[i].key, key) == 0)
			return &mem[i];
		if (!mem[i].key && !free_slot)
			free_slot = &mem[i];
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->key = strdup(key);
	return free_slot->key ? free_slot : NULL;
}

static int mem_store(const char *key, const void *data, size_t len)
{
	struct mem_blob *b = mem_find(key, true);
	uint8_t *copy;

	if (!b)
		return NX_ENOSPC;
	copy = malloc(len ? len : 1);
	if (!copy)
		return NX_ENOMEM;
	if (len)
		memcpy(copy, data, len);
	free(b->data);
	b->data = copy;
	b->len = len;
	return 0;
}

static int mem_load(const char *key, void *buf, size_t cap, size_t *len)
{
	struct mem_blob *b = mem_find(key, false);

	if (!b || !b->data)
		return NX_ENOENT;
	if (cap && b->len)
		memcpy(buf, b->data, NX_MIN(cap, b->len));
	*len = b->len;
	return 0;
}

/* ---- on disk -------------------------------------------------------------- */

/* Keys may hold ':' and '/' (iSCSI names, LUN paths): every byte outside
 * [A-Za-z0-9_.-] becomes %XX, and so does a leading '.', which keeps
 * names distinct from our ".tmp" files and from "." / "..". */
static int key_to_path(const char *key, const char *suffix, char *path,
		       size_t cap)
{
	char name[NX_PERSIST_NAME_MAX + 4];
	size_t n = 0;
	int len;

	for (const char *p = key; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
			     (ch == '.' && p != key);

		if (n + 3 > NX_PERSIST_NAME_MAX)
			return NX_EINVAL;
		if (plain)
			name[n++] = (char)ch;
		else
			n += (size_t)snprintf(name + n, 4, "%%%02X", ch);
	}
	name[n] = '\0';
	len = snprintf(path, cap, "%s/%s%s%s", state_dir, *suffix ? "." : "",
		       name, suffix);
	return len < 0 || (size_t)len >= cap ? NX_EINVAL : 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? nx_user_errno(errno) : NX_EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(void)
{
	int fd, err = step(NX_USER_PERSIST_FSYNC_DIR);

	if (err)
		return err == NX_USER_PERSIST_CRASH ? NX_EIO : err;
	fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nx_user_errno(errno);
	if (fsync(fd) < 0)
		err = nx_user_errno(errno);
	close(fd);
	return err;
}

/* The temporary file, written and made durable: 0, an error, or
 * NX_USER_PERSIST_CRASH from the test hook (the descriptor is closed
 * either way, as a dead process's would be). */
static int write_tmp(const char *tmp, const void *data, size_t len)
{
	int fd, err = step(NX_USER_PERSIST_OPEN_TMP);

	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return nx_user_errno(errno);
	err = step(NX_USER_PERSIST_WRITE);
	if (!err)
		err = write_all(fd, data, len);
	if (!err)
		err = step(NX_USER_PERSIST_FSYNC);
	if (!err && fsync(fd) < 0)
		err = nx_user_errno(errno);
	if (!err)
		err = step(NX_USER_PERSIST_CLOSE);
	if (close(fd) < 0 && !err)
		err = nx_user_errno(errno);
	return err;
}

/* Write temp + fsync + rename + fsync dir: rename(2) is atomic, so a
 * crash at any point leaves the old value or the new one under the key,
 * never a mix; the directory fsync makes the new name itself durable
 * before the store reports success (a stale temp file is harmless: the
 * next store truncates it). */
static int disk_store(const char *key, const void *data, size_t len)
{
	char path[4096], tmp[4096];
	int err;

	if (key_to_path(key, "", path, sizeof(path)) ||
	    key_to_path(key, ".tmp", tmp, sizeof(tmp)))
		return NX_EINVAL;
	err = write_tmp(tmp, data, len);
	if (!err)
		err = step(NX_USER_PERSIST_RENAME);
	if (!err && rename(tmp, path) < 0)
		err = nx_user_errno(errno);
	if (err == NX_USER_PERSIST_CRASH)
		return NX_EIO; /* "died": nothing cleaned up */
	if (err) {
		unlink(tmp);
		return err;
	}
	return fsync_dir();
}

static int disk_load(const char *key, void *buf, size_t cap, size_t *len)
{
	char path[4096];
	struct stat st;
	size_t want, got = 0;
	int fd, err = 0;

	if (key_to_path(key, "", path, sizeof(path)))
		return NX_EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nx_user_errno(errno);
	if (fstat(fd, &st) < 0) {
		err = nx_user_errno(errno);
		goto out;
	}
	want = NX_MIN(cap, (size_t)st.st_size);
	while (got < want) {
		ssize_t n = read(fd, (uint8_t *)buf + got, want - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? nx_user_errno(errno) : NX_EIO;
			goto out;
		}
		got += (size_t)n;
	}
	*len = (size_t)st.st_size;
out:
	close(fd);
	return err;
}

/* ---- nx_platform.h API ------------------------------------------------------ */

int nx_persist_store(const char *key, const void *data, size_t len)
{
	nx_assert(key != NULL);
	if (!key[0] || len > NX_PERSIST_BLOB_MAX || (len && !data))
		return NX_EINVAL;
	return state_dir ? disk_store(key, data, len) : mem_store(key, data, len);
}

int nx_persist_load(const char *key, void *buf, size_t cap, size_t *len)
{
	nx_assert(key != NULL && len != NULL);
	if (!key[0] || (cap && !buf))
		return NX_EINVAL;
	return state_dir ? disk_load(key, buf, cap, len) : mem_load(key, buf, cap, len);
}
