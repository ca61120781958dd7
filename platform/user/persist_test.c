/* persist_test.c - atomic key/value blobs, in memory and on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nx_user.h"

static char dir[64];

static int setup_disk(void **state)
{
	strcpy(dir, "/tmp/nx_persist_test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return nx_user_set_state_dir(dir);
}

static int teardown_disk(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	nx_user_persist_reset();
	return 0;
}

static int teardown_mem(void **state)
{
	nx_user_persist_reset();
	return 0;
}

/* The same contract in memory and on disk. */
static void check_contract(void)
{
	uint8_t buf[16];
	size_t len = 99;

	assert_int_equal(nx_persist_load("never", buf, sizeof(buf), &len), NX_ENOENT);
	assert_int_equal(len, 99);
	assert_int_equal(nx_persist_store("k1", "hello", 5), 0);
	assert_int_equal(nx_persist_load("k1", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	/* overwrite with a shorter value: nothing of the old one remains */
	assert_int_equal(nx_persist_store("k1", "hi", 2), 0);
	assert_int_equal(nx_persist_load("k1", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "hi", 2);
	/* cap smaller than the blob: cap bytes copied, full length reported */
	assert_int_equal(nx_persist_store("big", "0123456789abcdefXYZ", 19), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(nx_persist_load("big", buf, 4, &len), 0);
	assert_int_equal(len, 19);
	assert_memory_equal(buf, "0123\0", 5);
	/* empty blob is a value, not absence */
	assert_int_equal(nx_persist_store("empty", NULL, 0), 0);
	assert_int_equal(nx_persist_load("empty", NULL, 0, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(nx_persist_store("", "x", 1), NX_EINVAL);
	/* keys with ':' and '/' (target names, LU paths) are distinct keys */
	assert_int_equal(nx_persist_store("iqn.x:t/lun1/mode", "A", 1), 0);
	assert_int_equal(nx_persist_store("iqn.x:t%2Flun1%2Fmode", "B", 1), 0);
	assert_int_equal(nx_persist_load("iqn.x:t/lun1/mode", buf, 1, &len), 0);
	assert_int_equal(buf[0], 'A');
}

static void test_memory_store(void **state)
{
	check_contract();
}

static void test_disk_store(void **state)
{
	check_contract();
}

static void test_disk_store_leaves_no_temp_and_survives_reset(void **state)
{
	char path[512];
	uint8_t buf[8];
	size_t len;
	DIR *d;
	struct dirent *e;

	assert_int_equal(nx_persist_store(".hidden/../x", "v", 1), 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		assert_null(strstr(e->d_name, ".tmp"));
		if (e->d_name[0] != '.')
			assert_string_equal(e->d_name, "%2Ehidden%2F..%2Fx");
	}
	closedir(d);
	/* a "restart": forget everything, point at the same directory */
	nx_user_persist_reset();
	assert_int_equal(nx_user_set_state_dir(dir), 0);
	assert_int_equal(nx_persist_load(".hidden/../x", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 1);
	/* A stale temp file from a crash mid-store does not change the value */
	snprintf(path, sizeof(path), "%s/.%%2Ehidden%%2F..%%2Fx.tmp", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("torn", fp);
	fclose(fp);
	assert_int_equal(nx_persist_load(".hidden/../x", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], 'v');
}

/* The hook records each step and may fail or "crash" at one of them. */
struct steps {
	enum nx_user_persist_step seen[16];
	unsigned n;
	int at;      /* step to act on, -1: none */
	int action;  /* what to return there */
};

static int record_step(enum nx_user_persist_step step, void *arg)
{
	struct steps *s = arg;

	if (s->n < NX_ARRAY_SIZE(s->seen))
		s->seen[s->n++] = step;
	return (int)step == s->at ? s->action : 0;
}

static bool temp_exists(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/.pr.tgt.0.tmp", dir);
	return access(path, F_OK) == 0;
}

static void stored_is(const char *want)
{
	uint8_t buf[32];
	size_t len = 0;

	assert_int_equal(nx_persist_load("pr.tgt.0", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
}

/* APTPL state is stored atomically: write temp + fsync + close + rename +
 * fsync dir, in that order (the hook sees each step before its system
 * call); a failure or a crash at any step before the rename leaves the
 * old value, after the rename the new one. */
static void test_disk_store_steps_and_failures(void **state)
{
	static const enum nx_user_persist_step order[] = {
		NX_USER_PERSIST_OPEN_TMP, NX_USER_PERSIST_WRITE,
		NX_USER_PERSIST_FSYNC, NX_USER_PERSIST_CLOSE,
		NX_USER_PERSIST_RENAME, NX_USER_PERSIST_FSYNC_DIR,
	};
	struct steps s = { .at = -1 };

	nx_user_persist_set_hook(record_step, &s);
	assert_int_equal(nx_persist_store("pr.tgt.0", "old", 3), 0);
	assert_int_equal(s.n, NX_ARRAY_SIZE(order));
	assert_memory_equal(s.seen, order, sizeof(order));
	for (int at = 0; at < NX_USER_PERSIST_STEPS; at++) {
		bool renamed = at > NX_USER_PERSIST_RENAME;

		/* an error from the step's system call */
		s = (struct steps){ .at = at, .action = NX_EIO };
		assert_int_equal(nx_persist_store("pr.tgt.0", "new!", 4), NX_EIO);
		stored_is(renamed ? "new!" : "old");
		assert_false(temp_exists()); /* cleaned up */
		s.at = -1;
		assert_int_equal(nx_persist_store("pr.tgt.0", "old", 3), 0);
		/* the process dies there: no clean-up at all */
		s = (struct steps){ .at = at, .action = NX_USER_PERSIST_CRASH };
		assert_int_not_equal(nx_persist_store("pr.tgt.0", "newer", 5), 0);
		nx_user_persist_set_hook(NULL, NULL);
		nx_user_persist_reset(); /* the restart */
		assert_int_equal(nx_user_set_state_dir(dir), 0);
		stored_is(renamed ? "newer" : "old");
		/* a temp file left by the crash does not matter */
		assert_int_equal(temp_exists(),
				 at > NX_USER_PERSIST_OPEN_TMP && !renamed);
		assert_int_equal(nx_persist_store("pr.tgt.0", "old", 3), 0);
		assert_false(temp_exists());
		nx_user_persist_set_hook(record_step, &s);
	}
	nx_user_persist_set_hook(NULL, NULL);
}

static void test_state_dir_must_be_a_directory(void **state)
{
	assert_int_not_equal(nx_user_set_state_dir("/dev/null"), 0);
	assert_int_equal(nx_user_set_state_dir(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_memory_store, teardown_mem),
		cmocka_unit_test_setup_teardown(test_disk_store, setup_disk, teardown_disk),
		cmocka_unit_test_setup_teardown(test_disk_store_leaves_no_temp_and_survives_reset, setup_disk, teardown_disk),
		cmocka_unit_test_setup_teardown(test_disk_store_steps_and_failures, setup_disk, teardown_disk),
		cmocka_unit_test_teardown(test_state_dir_must_be_a_directory, teardown_mem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
