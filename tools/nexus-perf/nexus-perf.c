/*
 * nexus-perf - iSCSI load generator for make bench (tests/bench.sh).
 *
 * libiscsi's iscsi-perf only issues READ(16) and reports no latency
 * distribution, so the bench needs its own client.  This one keeps the
 * same model as iscsi-perf (libiscsi sessions, QD commands per session
 * kept in flight by a poll() loop, READ(16)/WRITE(16)) and adds writes, a
 * fixed run time with a warm-up that is not counted, a latency histogram
 * and many sessions in one process.  It drives nexus and tgtd
 * identically, so only ratios taken in one bench run mean anything.
 *
 * Sessions (-n N): N libiscsi contexts in one process, logged in
 * asynchronously (full login + TEST UNIT READY + INQUIRY, like
 * iscsi_full_connect_sync) at most LOGIN_WINDOW at a time, so the
 * target's limits on logins in progress (nexus: 16 per address, 64 in
 * all) are never what refuses a session.  Every session gets its own
 * ISID and, unless -o, its own initiator name ("NAME-i").
 *   -m QD > 0  each session keeps QD commands in flight for -t seconds;
 *   -m 0       the sessions are held idle for -t seconds, each sending a
 *              TEST UNIT READY every -k seconds (staggered) so neither
 *              side's keepalive/idle timeout ends it (libiscsi answers
 *              the target's NOP-In pings on its own).
 *   -s ADDR[:COUNT]  session i connects from source address ADDR + (i %
 *              COUNT) (IPv4): nexus-target limits sessions per source
 *              address (at most 256 configurable), so 1,000 sessions on
 *              loopback come from several 127.0.0.x, as from several
 *              hosts.  libiscsi has no source-address option, so this
 *              file interposes connect() (see connect() below).
 *
 * Data buffers are preallocated per slot and handed to libiscsi as iovecs
 * (no per-command malloc in the client): on a 2-core box the client shares
 * the CPU with the daemon under test, so a cheap client keeps the
 * measurement about the target.
 *
 * Output, one line each (tests/bench.sh parses them):
 *   ready sessions=N opened=K failed=F   all logins done (flushed), the
 *                       run starts now
 *   result ios=N bytes=N secs=S iops=X mbps=X lat_mean_us=X lat_p50_us=X
 *          lat_p99_us=X errors=N sessions=N opened=K failed=F dropped=D
 *          keepalives=N
 *   hist NS:COUNT ...   latency histogram (lower bucket bound in ns), for
 *                       merging several processes
 * Exit status 0 only when every session logged in, none dropped and no
 * command failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define MAX_QD 256
#define MAX_SESSIONS 4096
#define LOGIN_WINDOW 8             /* logins in flight at once */
#define LOGIN_DEADLINE_NS 60000000000ull  /* after the last login started */
#define LOGOUT_DEADLINE_NS 10000000000ull
#define ERRORS_PRINTED 5           /* per kind; the rest only counted */
/* Log-linear histogram: 16 sub-buckets per power of two of nanoseconds,
 * i.e. <= 6.25% bucket width, enough for p50/p99 at microsecond scale. */
#define SUB_BITS 4
#define SUB (1u << SUB_BITS)
#define NBUCKETS (64 * SUB)

enum sess_state {
	S_NEW,          /* not yet logging in */
	S_LOGIN,        /* full connect in progress */
	S_CAP,          /* READ CAPACITY(16) in flight */
	S_READY,        /* logged in, waiting for the run */
	S_RUN,
	S_LOGOUT,
	S_DONE,         /* logged out or closed by us */
	S_FAILED,       /* login refused or failed */
	S_DROPPED,      /* connection lost after login */
};

struct sess;

struct slot {
	struct sess *sess;
	uint64_t start_ns;
	unsigned char *buf;
	struct scsi_iovec iov;
};

struct sess {
	struct bench *b;
	struct iscsi_context *iscsi;
	unsigned idx;
	enum sess_state state;
	int in_flight;
	uint64_t next_lba;
	uint64_t rng;
	uint64_t ka_next_ns;    /* idle: next TEST UNIT READY */
	struct slot *slots;     /* qd of them */
};

struct bench {
	/* options */
	const char *portal;
	const char *target;
	int lun;
	unsigned nsess;
	int qd;
	uint32_t blocks;        /* per command */
	bool random;
	bool write;
	double secs, warm, ka_secs;
	/* learnt from the first READ CAPACITY(16) */
	uint32_t block_size;
	uint64_t num_blocks;
	/* run */
	uint64_t t_measure;     /* warm-up ends */
	uint64_t t_end;         /* no new commands after this */
	unsigned started, pending, opened, failed, dropped;
	unsigned login_errs_printed, drop_errs_printed;
	uint64_t ios, bytes, errors, lat_sum_ns, keepalives;
	uint64_t hist[NBUCKETS];
	struct sess *sess;
	struct pollfd *pfd;
	struct sess **pfd_sess;
};

/* Source addresses for -s (host byte order; count 0 = the kernel picks). */
static uint32_t src_first;
static uint32_t src_count;
static uint32_t src_next;

/*
 * connect() as libiscsi sees it: the executable's definition interposes
 * libc's for the shared library too (ELF symbol lookup starts at the
 * executable).  With -s it binds the socket to the next source address
 * first; either way the real connect is the system call itself.
 * __CONST_SOCKADDR_ARG is a transparent union under _GNU_SOURCE and a
 * plain pointer otherwise; both hold just the pointer.
 */
int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa;

	memcpy(&sa, &addr, sizeof(sa));
	if (src_count > 0 && sa->sa_family == AF_INET) {
		struct sockaddr_in src = { .sin_family = AF_INET };

		src.sin_addr.s_addr = htonl(src_first + src_next);
		src_next = (src_next + 1) % src_count;
		if (bind(fd, (const struct sockaddr *)&src, sizeof(src)) != 0)
			return -1;
	}
	return (int)syscall(SYS_connect, fd, sa, len);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t ns)
{
	unsigned msb;

	if (ns < SUB)
		return (unsigned)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	return (msb - SUB_BITS + 1) * SUB + (unsigned)((ns >> (msb - SUB_BITS)) & (SUB - 1));
}

static uint64_t bucket_floor(unsigned b)
{
	unsigned e = b / SUB, m = b % SUB;

	if (e == 0)
		return m;
	return (uint64_t)(SUB + m) << (e - 1);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t pick_lba(struct sess *s)
{
	struct bench *b = s->b;
	uint64_t span = b->num_blocks / b->blocks, lba;

	if (b->random)
		return (xorshift(&s->rng) % span) * b->blocks;
	lba = s->next_lba;
	s->next_lba += b->blocks;
	if (s->next_lba + b->blocks > b->num_blocks)
		s->next_lba = 0;
	return lba;
}

/* ---- I/O ---------------------------------------------------------------- */

/* Count a failed command; say why for the first few. */
static void cmd_failed(struct sess *s, const char *what, const struct scsi_task *task,
		       int status)
{
	struct bench *b = s->b;

	if (b->errors++ < ERRORS_PRINTED)
		fprintf(stderr, "nexus-perf: session %u: %s failed: status 0x%02x "
			"sense %x/%02x/%02x (%s)\n", s->idx, what, status,
			task ? (unsigned)task->sense.key : 0u,
			task ? (unsigned)(task->sense.ascq >> 8) : 0u,
			task ? (unsigned)(task->sense.ascq & 0xff) : 0u,
			iscsi_get_error(s->iscsi));
}

static int submit(struct slot *sl);

static void io_done(struct iscsi_context *iscsi, int status, void *command_data,
		    void *private_data)
{
	struct slot *sl = private_data;
	struct sess *s = sl->sess;
	struct bench *b = s->b;
	uint64_t t = now_ns(), lat = t - sl->start_ns;

	(void)iscsi;
	s->in_flight--;
	if (status != SCSI_STATUS_GOOD)
		cmd_failed(s, "I/O", command_data, status);
	else if (sl->start_ns >= b->t_measure && t <= b->t_end) {
		b->ios++;
		b->bytes += (uint64_t)b->blocks * b->block_size;
		b->lat_sum_ns += lat;
		b->hist[bucket_of(lat)]++;
	}
	scsi_free_scsi_task(command_data);
	if (s->state == S_RUN && t < b->t_end && submit(sl) != 0)
		b->errors++;
}

static int submit(struct slot *sl)
{
	struct sess *s = sl->sess;
	struct bench *b = s->b;
	uint32_t len = b->blocks * b->block_size;
	uint64_t lba = pick_lba(s);
	struct scsi_task *task;

	sl->start_ns = now_ns();
	if (b->write)
		task = iscsi_write16_iov_task(s->iscsi, b->lun, lba, NULL, len,
					      (int)b->block_size, 0, 0, 0, 0, 0,
					      io_done, sl, &sl->iov, 1);
	else
		task = iscsi_read16_iov_task(s->iscsi, b->lun, lba, len,
					     (int)b->block_size, 0, 0, 0, 0, 0,
					     io_done, sl, &sl->iov, 1);
	if (task == NULL) {
		fprintf(stderr, "nexus-perf: submit: %s\n", iscsi_get_error(s->iscsi));
		return -1;
	}
	s->in_flight++;
	return 0;
}

static void tur_done(struct iscsi_context *iscsi, int status, void *command_data,
		     void *private_data)
{
	struct sess *s = private_data;

	(void)iscsi;
	s->in_flight--;
	if (status == SCSI_STATUS_GOOD)
		s->b->keepalives++;
	else
		cmd_failed(s, "TEST UNIT READY", command_data, status);
	scsi_free_scsi_task(command_data);
}

/* ---- login ---------------------------------------------------------------- */

static void login_failed(struct sess *s, const char *what)
{
	struct bench *b = s->b;

	if (b->login_errs_printed++ < ERRORS_PRINTED)
		fprintf(stderr, "nexus-perf: session %u: %s: %s\n", s->idx, what,
			iscsi_get_error(s->iscsi));
	s->state = S_FAILED;
	b->failed++;
	b->pending--;
}

static void logged_in(struct sess *s)
{
	s->state = S_READY;
	s->b->opened++;
	s->b->pending--;
}

static void cap_done(struct iscsi_context *iscsi, int status, void *command_data,
		     void *private_data)
{
	struct sess *s = private_data;
	struct bench *b = s->b;
	struct scsi_readcapacity16 *rc = NULL;

	(void)iscsi;
	if (status == SCSI_STATUS_GOOD)
		rc = scsi_datain_unmarshall(command_data);
	if (rc == NULL) {
		login_failed(s, "READ CAPACITY(16) failed");
	} else {
		b->block_size = rc->block_length;
		b->num_blocks = rc->returned_lba + 1;
		logged_in(s);
	}
	scsi_free_scsi_task(command_data);
}

static void login_done(struct iscsi_context *iscsi, int status, void *command_data,
		       void *private_data)
{
	struct sess *s = private_data;

	(void)command_data;
	if (status != SCSI_STATUS_GOOD) {
		login_failed(s, "login failed");
		return;
	}
	/* Busy sessions learn the LU's geometry; idle ones need not. */
	if (s->b->qd > 0) {
		s->state = S_CAP;
		if (iscsi_readcapacity16_task(iscsi, s->b->lun, cap_done, s) == NULL)
			login_failed(s, "READ CAPACITY(16)");
		return;
	}
	logged_in(s);
}

static int sess_init(struct bench *b, struct sess *s, unsigned idx,
		     const char *iname, bool one_name)
{
	char name[256];

	s->b = b;
	s->idx = idx;
	if (b->nsess == 1 || one_name)
		snprintf(name, sizeof(name), "%s", iname);
	else
		snprintf(name, sizeof(name), "%s-%u", iname, idx);
	s->iscsi = iscsi_create_context(name);
	if (s->iscsi == NULL)
		return -1;
	/* One ISID per session: with one initiator name a repeated ISID
	 * would reinstate the session (RFC 7143 4.4.3) instead of adding
	 * one.  libiscsi draws it from rand(), unseeded. */
	iscsi_set_isid_random(s->iscsi, (uint32_t)getpid() & 0xffffff, idx);
	iscsi_set_targetname(s->iscsi, b->target);
	iscsi_set_session_type(s->iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(s->iscsi, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_noautoreconnect(s->iscsi, 1);
	s->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)getpid() << 20) ^
		 ((uint64_t)idx * 0xbf58476d1ce4e5b9ull);
	if (s->rng == 0)
		s->rng = 1;
	return 0;
}

static void login_start(struct bench *b, struct sess *s)
{
	b->started++;
	b->pending++;
	s->state = S_LOGIN;
	if (iscsi_full_connect_async(s->iscsi, b->portal, b->lun, login_done, s) != 0)
		login_failed(s, "connect");
}

/* ---- the poll loop ---------------------------------------------------------- */

static bool has_conn(const struct sess *s)
{
	return s->state >= S_LOGIN && s->state <= S_LOGOUT;
}

static void sess_lost(struct sess *s)
{
	struct bench *b = s->b;

	if (s->state == S_LOGIN || s->state == S_CAP) {
		login_failed(s, "connection lost while logging in");
		return;
	}
	if (s->state == S_LOGOUT) {  /* the target closed after the Logout */
		s->state = S_DONE;
		return;
	}
	if (b->drop_errs_printed++ < ERRORS_PRINTED)
		fprintf(stderr, "nexus-perf: session %u dropped: %s\n", s->idx,
			iscsi_get_error(s->iscsi));
	s->state = S_DROPPED;
	s->in_flight = 0;
	b->dropped++;
}

/* One poll() over every connected session, then service them. */
static int pump(struct bench *b, int timeout_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < b->nsess; i++) {
		struct sess *s = &b->sess[i];

		if (!has_conn(s) || iscsi_get_fd(s->iscsi) < 0)
			continue;
		b->pfd[n].fd = iscsi_get_fd(s->iscsi);
		b->pfd[n].events = (short)iscsi_which_events(s->iscsi);
		b->pfd[n].revents = 0;
		b->pfd_sess[n++] = s;
	}
	if (poll(b->pfd, n, timeout_ms) < 0 && errno != EINTR) {
		perror("nexus-perf: poll");
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sess *s = b->pfd_sess[i];

		/* revents 0 too: libiscsi's command timeouts run here */
		if (has_conn(s) && iscsi_service(s->iscsi, b->pfd[i].revents) < 0)
			sess_lost(s);
	}
	return 0;
}

static int login_all(struct bench *b)
{
	uint64_t deadline = 0;

	while (b->started < b->nsess || b->pending > 0) {
		while (b->started < b->nsess && b->pending < LOGIN_WINDOW) {
			login_start(b, &b->sess[b->started]);
			deadline = now_ns() + LOGIN_DEADLINE_NS;
		}
		if (pump(b, 100) != 0)
			return -1;
		if (b->pending > 0 && now_ns() > deadline) {
			for (unsigned i = 0; i < b->nsess; i++)
				if (b->sess[i].state == S_LOGIN || b->sess[i].state == S_CAP)
					login_failed(&b->sess[i], "login timed out");
		}
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------------ */

static int alloc_slots(struct bench *b, struct sess *s)
{
	size_t len = (size_t)b->blocks * b->block_size;

	s->slots = calloc((size_t)b->qd, sizeof(*s->slots));
	if (s->slots == NULL)
		return -1;
	for (int i = 0; i < b->qd; i++) {
		struct slot *sl = &s->slots[i];

		sl->sess = s;
		sl->buf = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
		if (sl->buf == NULL)
			return -1;
		memset(sl->buf, 0xa5, len);
		sl->iov.iov_base = sl->buf;
		sl->iov.iov_len = len;
	}
	/* Sequential streams of parallel sessions start apart. */
	s->next_lba = (xorshift(&s->rng) % (b->num_blocks / b->blocks)) * b->blocks;
	if (s->next_lba + b->blocks > b->num_blocks)
		s->next_lba = 0;
	return 0;
}

static int run_busy(struct bench *b)
{
	int busy;

	for (unsigned i = 0; i < b->nsess; i++) {
		struct sess *s = &b->sess[i];

		if (s->state != S_READY)
			continue;
		s->state = S_RUN;
		for (int q = 0; q < b->qd; q++)
			if (submit(&s->slots[q]) != 0)
				return -1;
	}
	do {
		if (pump(b, 1000) != 0)
			return -1;
		busy = 0;
		for (unsigned i = 0; i < b->nsess; i++)
			if (b->sess[i].state == S_RUN)
				busy += b->sess[i].in_flight;
		if (busy > 0 && now_ns() > b->t_end + 30000000000ull) {
			fprintf(stderr, "nexus-perf: %d commands stuck\n", busy);
			return -1;
		}
	} while (busy > 0);
	return 0;
}

/* Idle: a TEST UNIT READY per session every ka_secs, spread evenly. */
static int run_idle(struct bench *b)
{
	uint64_t t0 = now_ns(), ka_ns = (uint64_t)(b->ka_secs * 1e9);

	for (unsigned i = 0; i < b->nsess; i++)
		if (b->sess[i].state == S_READY) {
			b->sess[i].state = S_RUN;
			b->sess[i].ka_next_ns = t0 + ka_ns * i / b->nsess + ka_ns;
		}
	for (uint64_t t = t0; t < b->t_end; t = now_ns()) {
		for (unsigned i = 0; ka_ns > 0 && i < b->nsess; i++) {
			struct sess *s = &b->sess[i];

			if (s->state != S_RUN || s->in_flight > 0 || t < s->ka_next_ns)
				continue;
			s->ka_next_ns = t + ka_ns;
			if (iscsi_testunitready_task(s->iscsi, b->lun, tur_done, s) == NULL)
				b->errors++;
			else
				s->in_flight++;
		}
		if (pump(b, 50) != 0)
			return -1;
	}
	return 0;
}

static void logout_done(struct iscsi_context *iscsi, int status, void *command_data,
			void *private_data)
{
	struct sess *s = private_data;

	(void)iscsi;
	(void)status;
	(void)command_data;
	s->state = S_DONE;
}

static void logout_all(struct bench *b)
{
	uint64_t deadline = now_ns() + LOGOUT_DEADLINE_NS;
	bool any;

	for (unsigned i = 0; i < b->nsess; i++) {
		struct sess *s = &b->sess[i];

		if (s->state != S_RUN && s->state != S_READY)
			continue;
		s->state = S_LOGOUT;
		if (iscsi_logout_async(s->iscsi, logout_done, s) != 0)
			s->state = S_DONE;
	}
	do {
		any = false;
		for (unsigned i = 0; i < b->nsess; i++)
			any |= b->sess[i].state == S_LOGOUT;
	} while (any && now_ns() < deadline && pump(b, 100) == 0);
	for (unsigned i = 0; i < b->nsess; i++) {
		struct sess *s = &b->sess[i];

		s->state = S_DONE;  /* no resubmit from callbacks of destroy */
		iscsi_destroy_context(s->iscsi);
		if (s->slots != NULL)
			for (int q = 0; q < b->qd; q++)
				free(s->slots[q].buf);
		free(s->slots);
	}
}

/* ---- report and set-up -------------------------------------------------------- */

static uint64_t percentile(const struct bench *b, double q)
{
	uint64_t want = (uint64_t)(q * (double)b->ios), seen = 0;

	for (unsigned i = 0; i < NBUCKETS; i++) {
		seen += b->hist[i];
		if (seen > want)
			return bucket_floor(i);
	}
	return 0;
}

static void report(const struct bench *b)
{
	double us = 1e-3, secs = b->secs;

	printf("result ios=%" PRIu64 " bytes=%" PRIu64 " secs=%.3f iops=%.0f mbps=%.1f "
	       "lat_mean_us=%.1f lat_p50_us=%.1f lat_p99_us=%.1f errors=%" PRIu64
	       " sessions=%u opened=%u failed=%u dropped=%u keepalives=%" PRIu64 "\n",
	       b->ios, b->bytes, secs, (double)b->ios / secs,
	       (double)b->bytes / secs / 1e6,
	       b->ios ? (double)b->lat_sum_ns / (double)b->ios * us : 0.0,
	       (double)percentile(b, 0.50) * us, (double)percentile(b, 0.99) * us,
	       b->errors, b->nsess, b->opened, b->failed, b->dropped, b->keepalives);
	printf("hist");
	for (unsigned i = 0; i < NBUCKETS; i++)
		if (b->hist[i])
			printf(" %" PRIu64 ":%" PRIu64, bucket_floor(i), b->hist[i]);
	printf("\n");
}

/* One descriptor per session plus a few for stdio and libiscsi. */
static int raise_nofile(unsigned nsess)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)nsess + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "nexus-perf: %u sessions need %llu file descriptors; "
			"the hard limit (ulimit -Hn) is %llu\n", nsess,
			(unsigned long long)need, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("nexus-perf: setrlimit(RLIMIT_NOFILE)");
		return -1;
	}
	return 0;
}

static int parse_src(const char *v)
{
	char addr[64];
	const char *colon = strchr(v, ':');
	struct in_addr a;
	long n = 1;

	snprintf(addr, sizeof(addr), "%.*s", colon ? (int)(colon - v) : (int)strlen(v), v);
	if (colon != NULL)
		n = strtol(colon + 1, NULL, 10);
	if (inet_pton(AF_INET, addr, &a) != 1 || n < 1 || n > 65536)
		return -1;
	src_first = ntohl(a.s_addr);
	src_count = (uint32_t)n;
	return 0;
}

/* URL -> portal, target, LUN (kept for every context). */
static int parse_url(struct bench *b, const char *url)
{
	struct iscsi_context *tmp = iscsi_create_context("iqn.2026-11.dev.nexus:perf-url");
	struct iscsi_url *u;

	if (tmp == NULL)
		return -1;
	u = iscsi_parse_full_url(tmp, url);
	if (u == NULL) {
		fprintf(stderr, "nexus-perf: bad URL %s: %s\n", url, iscsi_get_error(tmp));
		iscsi_destroy_context(tmp);
		return -1;
	}
	b->portal = strdup(u->portal);
	b->target = strdup(u->target);
	b->lun = u->lun;
	iscsi_destroy_url(u);
	iscsi_destroy_context(tmp);
	return b->portal && b->target ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nexus-perf [-n SESSIONS] [-m QD] [-b BLOCKS] [-t SECS] [-W WARMUP_SECS]\n"
		"                  [-r] [-w] [-k SECS] [-s ADDR[:COUNT]] [-i INITIATOR] [-o]\n"
		"                  iscsi://host[:port]/iqn/lun\n"
		"  -n  sessions in this process (1..%d, default 1)\n"
		"  -m  commands kept in flight per session (0..%d, default 1);\n"
		"      0 = hold the sessions idle for -t seconds\n"
		"  -b  blocks per command (default 8)      -r  random LBAs (default sequential)\n"
		"  -t  measured seconds (default 5)        -w  WRITE(16) (default READ(16))\n"
		"  -W  warm-up seconds, not counted (default 0.5)\n"
		"  -k  idle sessions: a TEST UNIT READY every SECS each (default 5, 0 = none)\n"
		"  -s  connect from IPv4 source addresses ADDR, ADDR+1, ... ADDR+COUNT-1\n"
		"      in turn (default: the kernel's choice)\n"
		"  -i  initiator name (default iqn.2026-11.dev.nexus:perf-PID); with -n > 1\n"
		"      session i is NAME-i unless -o (one name, one ISID per session)\n",
		MAX_SESSIONS, MAX_QD);
	exit(2);
}

static int parse_args(struct bench *b, int argc, char **argv, const char **iname,
		      bool *one_name)
{
	int c;

	b->nsess = 1;
	b->qd = 1;
	b->blocks = 8;
	b->secs = 5;
	b->warm = 0.5;
	b->ka_secs = 5;
	while ((c = getopt(argc, argv, "n:m:b:t:W:k:s:rwi:oh")) != -1) {
		switch (c) {
		case 'n': b->nsess = (unsigned)atoi(optarg); break;
		case 'm': b->qd = atoi(optarg); break;
		case 'b': b->blocks = (uint32_t)atoi(optarg); break;
		case 't': b->secs = atof(optarg); break;
		case 'W': b->warm = atof(optarg); break;
		case 'k': b->ka_secs = atof(optarg); break;
		case 's': if (parse_src(optarg) != 0) usage(); break;
		case 'r': b->random = true; break;
		case 'w': b->write = true; break;
		case 'i': *iname = optarg; break;
		case 'o': *one_name = true; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || b->nsess < 1 || b->nsess > MAX_SESSIONS ||
	    b->qd < 0 || b->qd > MAX_QD || b->blocks == 0 || b->secs <= 0 ||
	    b->warm < 0 || b->ka_secs < 0)
		usage();
	return parse_url(b, argv[optind]);
}

int main(int argc, char **argv)
{
	static struct bench b;
	const char *iname = NULL;
	char namebuf[96];
	bool one_name = false;

	if (parse_args(&b, argc, argv, &iname, &one_name) != 0 || raise_nofile(b.nsess) != 0)
		return 1;
	if (iname == NULL) {
		snprintf(namebuf, sizeof(namebuf), "iqn.2026-11.dev.nexus:perf-%d", (int)getpid());
		iname = namebuf;
	}
	b.sess = calloc(b.nsess, sizeof(*b.sess));
	b.pfd = calloc(b.nsess, sizeof(*b.pfd));
	b.pfd_sess = calloc(b.nsess, sizeof(*b.pfd_sess));
	if (b.sess == NULL || b.pfd == NULL || b.pfd_sess == NULL)
		return 1;
	for (unsigned i = 0; i < b.nsess; i++)
		if (sess_init(&b, &b.sess[i], i, iname, one_name) != 0)
			return 1;
	if (login_all(&b) != 0)
		return 1;
	printf("ready sessions=%u opened=%u failed=%u\n", b.nsess, b.opened, b.failed);
	fflush(stdout);
	if (b.qd > 0 && b.opened > 0 && b.num_blocks < b.blocks) {
		fprintf(stderr, "nexus-perf: LU smaller than one command\n");
		return 1;
	}
	for (unsigned i = 0; b.qd > 0 && i < b.nsess; i++)
		if (b.sess[i].state == S_READY && alloc_slots(&b, &b.sess[i]) != 0)
			return 1;
	b.t_measure = now_ns() + (b.qd > 0 ? (uint64_t)(b.warm * 1e9) : 0);
	b.t_end = b.t_measure + (uint64_t)(b.secs * 1e9);
	if ((b.qd > 0 ? run_busy(&b) : run_idle(&b)) != 0)
		return 1;
	report(&b);
	fflush(stdout);
	logout_all(&b);
	return b.errors || b.failed || b.dropped ? 1 : 0;
}
