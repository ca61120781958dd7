/*
 * replay_main.c - the regression runner: the fuzz targets built without
 * libFuzzer (gcc or clang, ASan/UBSan) run every file named on the
 * command line (directories: every regular file in them, sorted) through
 * LLVMFuzzerTestOneInput once.  A crash aborts with the sanitizer's
 * report; otherwise prints "<n> inputs ok".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_common.h"

#define REPLAY_MAX_BYTES (16u << 20)

static unsigned replayed;

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (fp == NULL) {
		perror(path);
		return 1;
	}
	buf = malloc(REPLAY_MAX_BYTES);
	if (buf == NULL) {
		fclose(fp);
		return 1;
	}
	n = fread(buf, 1, REPLAY_MAX_BYTES, fp);
	fclose(fp);
	if (getenv("FUZZ_REPLAY_VERBOSE"))
		fprintf(stderr, "replay %s (%zu bytes)\n", path, n);
	/* an exact-size copy: ASan sees over-reads of the input */
	uint8_t *in = malloc(n ? n : 1);
	if (in == NULL) {
		free(buf);
		return 1;
	}
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	replayed++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;

	if (d == NULL) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				return 1;
		}
		names[count] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		sprintf(names[count], "%s/%s", dir, e->d_name);
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), cmp_str);
	for (size_t i = 0; i < count; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc |= run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (argv[i][0] == '-')
			continue; /* libFuzzer-style flags: ignored */
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc |= run_dir(argv[i]);
		else
			rc |= run_file(argv[i]);
	}
	printf("%u inputs ok\n", replayed);
	return rc;
}
