/*
 * platform.c - memory, logging, formatting, panics, the monotonic clock
 * and the random number generator for Linux user space.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../nx_xoshiro.h"
#include "user_internal.h"

/* ---- memory ------------------------------------------------------------- */

void *nx_alloc(size_t size)
{
	/* calloc(0) may return NULL or a unique pointer; make it unique so a
	 * zero-length object is never mistaken for a failure. */
	return calloc(1, size ? size : 1);
}

void nx_free(void *p)
{
	free(p);
}

/* ---- errors ------------------------------------------------------------- */

int nx_user_errno(int err)
{
	switch (err) {
	case 0:
		return NX_OK;
	case ENOMEM:
		return NX_ENOMEM;
	case ENOENT:
		return NX_ENOENT;
	case EINVAL:
		return NX_EINVAL;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return NX_ENOSPC;
	case EAGAIN:
		return NX_EAGAIN;
	default:
		return NX_EIO;
	}
}

/* ---- logging ------------------------------------------------------------ */

static enum nx_log_level log_level = NX_LOG_INFO;

void nx_user_set_log_level(enum nx_log_level level)
{
	log_level = level;
}

enum nx_log_level nx_user_log_level(void)
{
	return log_level;
}

bool nx_user_parse_log_level(const char *s, enum nx_log_level *out)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };

	for (unsigned i = 0; i < NX_ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i]) == 0 ||
		    (s[0] == (char)('0' + i) && s[1] == '\0')) {
			*out = (enum nx_log_level)i;
			return true;
		}
	}
	if (strcmp(s, "error") == 0 || strcmp(s, "warning") == 0) {
		*out = s[0] == 'e' ? NX_LOG_ERR : NX_LOG_WARN;
		return true;
	}
	return false;
}

void nx_log(enum nx_log_level level, const char *fmt, ...)
{
	static const char tags[] = "EWID";
	char line[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "nexus %c ",
		     tags[level <= NX_LOG_DEBUG ? level : NX_LOG_DEBUG]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	/* One write(2) per line keeps lines whole when several threads or
	 * processes share stderr. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
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
	fprintf(stderr, "nexus: assertion failed: %s at %s:%d\n", expr, file,
		line);
	fflush(stderr);
	abort();
}

/* ---- time --------------------------------------------------------------- */

uint64_t nx_clock_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- randomness: xoshiro256** (Blackman/Vigna), seeded via splitmix64 -- */

static uint64_t rng_state[4];
static bool rng_seeded;

void nx_user_seed_random(uint64_t seed)
{
	nx_xoshiro_seed(rng_state, seed);
	rng_seeded = true;
}

static uint64_t seed_from_os(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		/* No entropy source: the clock is a weak but working seed;
		 * CHAP challenges stay unpredictable enough for a testbed. */
		nx_log(NX_LOG_WARN, "getrandom failed (errno %d), seeding "
		       "the rng from the clock", errno);
		seed = nx_clock_ns() ^ ((uint64_t)getpid() << 32);
	}
	return seed;
}

uint64_t nx_random_u64(void)
{
	if (!rng_seeded)
		nx_user_seed_random(seed_from_os());
	return nx_xoshiro_next(rng_state);
}
