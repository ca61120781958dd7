/*
 * persist_fixture.h - a persistence store in a temporary directory whose
 * steps can be made to fail (test-only: the APTPL and saved mode page
 * tests, pr_test.c and mode_test.c).
 *
 * disk_store_on() points platform/user's persistence at a fresh directory
 * and hooks every step (nx_user_persist_set_hook): fail.at names the step
 * to fail (-1: none), fail.action what happens there (NX_EIO, NX_ENOSPC
 * or NX_USER_PERSIST_CRASH).  disk_store_off() removes it all.
 */
#ifndef NX_PERSIST_FIXTURE_H
#define NX_PERSIST_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/user/nx_user.h"

static char state_dir[64];
static struct {
	int at;      /* step to fail, -1: none */
	int action;  /* NX_EIO, NX_ENOSPC or NX_USER_PERSIST_CRASH */
} fail;

static int fail_hook(enum nx_user_persist_step step, void *arg)
{
	(void)arg;
	return (int)step == fail.at ? fail.action : 0;
}

static void disk_store_on(void)
{
	strcpy(state_dir, "/tmp/nx_persist_test.XXXXXX");
	assert_non_null(mkdtemp(state_dir));
	assert_int_equal(nx_user_set_state_dir(state_dir), 0);
	fail.at = -1;
	nx_user_persist_set_hook(fail_hook, NULL);
}

static void disk_store_off(void)
{
	DIR *d = opendir(state_dir);
	struct dirent *e;
	char path[512];

	nx_user_persist_set_hook(NULL, NULL);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", state_dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(state_dir);
	assert_int_equal(nx_user_set_state_dir(NULL), 0);
}

#endif /* NX_PERSIST_FIXTURE_H */
