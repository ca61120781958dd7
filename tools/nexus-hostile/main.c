/*
 * main.c - nexus-hostile: the hostile half (attack) and the command line.
 * See hostile.h for what each mode does.
 *
 * Every hostile connection runs one script: bytes to send (built at
 * connect time from the seed), a pacing (all at once, or one byte per
 * second), and whether it reads what the target answers.  Answers are
 * parsed as a PDU stream only to count Login Responses and their status
 * (for the CHAP lockout figures); nothing the target sends steers the
 * script, so the load is the same from run to run for a seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

#define CONNS_MAX 1024
#define PDU_ENDS_MAX 256
#define SCRIPT_MAX (256u << 10)
#define READ_CHUNK 65536
#define NEW_PER_TICK 16        /* connects started per loop round */
#define SLOW_MAX 16            /* slow-loris writers at once */
#define STALL_MAX 16           /* logins left unfinished at once */
#define DEAF_MAX 4             /* peers that never read, at once */
#define LINGER_NS (300ull * 1000 * 1000)
/* A peer that never reads gives up after this (the target may not be
 * able to deliver its FIN past our full receive window). */
#define DEAF_GIVEUP_NS (8ull * 1000 * 1000 * 1000)

enum kind {
	K_RANDOM,        /* random bytes */
	K_BAD_LOGIN,     /* mutated Login PDUs */
	K_FFP,           /* login, then a burst of (mutated) FFP PDUs */
	K_FLOOD,         /* connect, close */
	K_SLOW,          /* a login, one byte per second */
	K_STALL,         /* first login step, then silence */
	K_DEAF,          /* login + READs, never reads the answers */
	K_CHAP,          /* CHAP with a guessed response */
	K_HUGE,          /* a header announcing 16 MiB */
	K_PROTECTED,     /* login to the good initiator's ACL target */
	K_COUNT,
};

static const char *const kind_name[K_COUNT] = {
	"random", "bad_login", "ffp", "flood", "slow", "stall", "deaf",
	"chap", "huge", "protected",
};

/* Draw weights (sum 100). */
static const unsigned kind_weight[K_COUNT] = {
	12, 14, 24, 16, 3, 4, 2, 15, 5, 5,
};

struct hconn {
	int fd;
	enum kind kind;
	bool connected;
	uint8_t *script;
	size_t len, sent;
	size_t pdu_end[PDU_ENDS_MAX];
	unsigned npdu, pdus_done;
	bool slow, reads;
	uint64_t next_ns;        /* slow: next byte */
	uint64_t done_ns;        /* script sent at */
	uint8_t bhs[48];         /* response parser */
	size_t have;
	uint64_t skip;
	unsigned login_rsps;
	uint16_t first_status, last_status;
	bool got_any;
};

struct stats {
	uint64_t conns, refused, reaped, pdus, bytes;
	uint64_t logins_ok, logins_failed, chap_guesses, chap_locked;
	uint64_t chap_rejected, acl_refused;
	uint64_t by_kind[K_COUNT];
};

struct attack {
	struct sockaddr_in addr;
	const char *target, *chap_target, *protected_target;
	const char *idle_target; /* deaf peers log in here (default target) */
	uint64_t rng;
	unsigned conns_max;
	int only;                /* -1, or the one kind to run */
	struct hconn *c[CONNS_MAX];
	unsigned n;
	unsigned live[K_COUNT];
	uint64_t seq;
	struct stats st;
	uint8_t rbuf[READ_CHUNK];
};

uint64_t nx_hostile_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(struct attack *a)
{
	/* xorshift64*: the whole load follows from --seed */
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return a->rng * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(struct attack *a, uint32_t n)
{
	return n ? (uint32_t)(rnd(a) % n) : 0;
}

/* ---- PDU building -------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static uint32_t get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* Appends a PDU (bhs with DSL set from len, data, padding). */
static void emit(struct hconn *h, uint8_t *bhs, const void *data, uint32_t len)
{
	uint32_t pad = (4 - (len & 3)) & 3;

	if (h->len + 48 + len + pad > SCRIPT_MAX || h->npdu == PDU_ENDS_MAX)
		return;
	put24(bhs + 5, len);
	memcpy(h->script + h->len, bhs, 48);
	h->len += 48;
	if (len) {
		memcpy(h->script + h->len, data, len);
		memset(h->script + h->len + len, 0, pad);
		h->len += len + pad;
	}
	h->pdu_end[h->npdu++] = h->len;
}

static size_t kv(char *buf, size_t cap, size_t at, const char *k, const char *v)
{
	int n = snprintf(buf + at, cap - at, "%s=%s", k, v);

	return n < 0 || (size_t)n + 1 > cap - at ? at : at + (size_t)n + 1;
}

static void login_bhs(uint8_t *bhs, uint8_t flags, uint64_t isid_n,
		      uint32_t cmdsn)
{
	memset(bhs, 0, 48);
	bhs[0] = 0x43;
	bhs[1] = flags;
	bhs[8] = 0x80;
	put32(bhs + 10, (uint32_t)isid_n);
	put32(bhs + 16, 0x10000u + (uint32_t)isid_n);
	put32(bhs + 24, cmdsn);
}

/* The keys of a one-PDU login (security stage straight to FFP). */
static size_t login_keys(char *k, size_t cap, const char *iname,
			 const char *target)
{
	size_t n = 0;

	n = kv(k, cap, n, "InitiatorName", iname);
	n = kv(k, cap, n, "SessionType", "Normal");
	n = kv(k, cap, n, "TargetName", target);
	n = kv(k, cap, n, "AuthMethod", "None");
	n = kv(k, cap, n, "HeaderDigest", "None");
	n = kv(k, cap, n, "DataDigest", "None");
	n = kv(k, cap, n, "MaxRecvDataSegmentLength", "8192");
	n = kv(k, cap, n, "ImmediateData", "Yes");
	n = kv(k, cap, n, "InitialR2T", "No");
	n = kv(k, cap, n, "FirstBurstLength", "65536");
	return n;
}

static void emit_login(struct attack *a, struct hconn *h, const char *target,
		       uint32_t cmdsn)
{
	char k[1024], name[96];
	uint8_t bhs[48];
	size_t n;

	/* a pool of names: the per-initiator session limit is reached too */
	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:hostile.%u",
		 rnd_below(a, 64));
	n = login_keys(k, sizeof(k), name, target);
	login_bhs(bhs, 0x83, a->seq, cmdsn);
	emit(h, bhs, k, (uint32_t)n);
}

static void mutate(struct attack *a, uint8_t *buf, size_t len, unsigned flips)
{
	for (unsigned i = 0; i < flips && len > 0; i++)
		buf[rnd_below(a, (uint32_t)len)] ^= (uint8_t)(1u << rnd_below(a, 8));
}

/* ---- scripts ----------------------------------------------------------------- */

static void script_random(struct attack *a, struct hconn *h)
{
	uint32_t len = 1 + rnd_below(a, 4096);

	for (uint32_t i = 0; i < len; i++)
		h->script[i] = (uint8_t)rnd(a);
	/* half of them look like a PDU header with a small segment */
	if (len >= 48 && rnd_below(a, 2)) {
		h->script[0] = (uint8_t)rnd_below(a, 0x40);
		h->script[4] = 0;
		put24(h->script + 5, rnd_below(a, 1024));
	}
	h->len = len;
	h->pdu_end[h->npdu++] = len;
}

static void script_bad_login(struct attack *a, struct hconn *h)
{
	char k[2048], name[64], big[600];
	uint8_t bhs[48];
	size_t n = 0, start;
	unsigned pdus = 1 + rnd_below(a, 3);

	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:hostile.b%u",
		 rnd_below(a, 1000));
	for (unsigned p = 0; p < pdus; p++) {
		n = login_keys(k, sizeof(k), name, a->target);
		switch (rnd_below(a, 5)) {
		case 0: /* a value over 255 bytes */
			memset(big, 'x', sizeof(big) - 1);
			big[sizeof(big) - 1] = '\0';
			n = kv(k, sizeof(k), n, "TargetAlias", big);
			break;
		case 1: /* duplicate and unknown keys */
			n = kv(k, sizeof(k), n, "MaxBurstLength", "1");
			n = kv(k, sizeof(k), n, "MaxBurstLength", "99999999999");
			n = kv(k, sizeof(k), n, "X-hostile", "1");
			break;
		case 2: /* no final NUL */
			n = n > 0 ? n - 1 : 0;
			break;
		default:
			break;
		}
		login_bhs(bhs, (uint8_t)rnd(a), a->seq, 1);
		start = h->len;
		emit(h, bhs, k, (uint32_t)n);
		mutate(a, h->script + start, h->len - start, rnd_below(a, 6));
	}
}

/* One mutated or plausible FFP PDU. */
static void ffp_pdu(struct attack *a, struct hconn *h, uint32_t *cmdsn)
{
	static const uint8_t ops[] = { 0x01, 0x01, 0x01, 0x05, 0x02, 0x04,
				       0x00, 0x06, 0x10, 0x1c, 0x3e, 0x23 };
	static const uint8_t cdbs[][2] = {
		{ 0x28, 0x40 }, { 0x2a, 0x20 }, { 0x12, 0x40 }, { 0xa0, 0x40 },
		{ 0x00, 0x00 }, { 0x9e, 0x40 }, { 0x8a, 0x20 }, { 0x41, 0x20 },
	};
	uint8_t bhs[48], data[8192];
	uint8_t op = ops[rnd_below(a, sizeof(ops))];
	uint32_t dlen = rnd_below(a, 4) == 0 ? rnd_below(a, sizeof(data)) : 0;
	size_t start = h->len;

	memset(bhs, 0, sizeof(bhs));
	bhs[0] = op | (rnd_below(a, 4) == 0 ? 0x40 : 0);
	bhs[1] = (uint8_t)(0x80 | rnd_below(a, 8));
	bhs[9] = (uint8_t)rnd_below(a, 3);           /* LUN 0..2 */
	put32(bhs + 16, (uint32_t)rnd(a));            /* ITT */
	put32(bhs + 20, rnd_below(a, 2) ? 0xffffffffu : rnd_below(a, 300));
	put32(bhs + 24, rnd_below(a, 8) ? (*cmdsn)++ : (uint32_t)rnd(a));
	if (op == 0x01) {
		const uint8_t *c = cdbs[rnd_below(a, 8)];

		bhs[1] = (uint8_t)(0x80 | c[1] | rnd_below(a, 8));
		bhs[32] = c[0];
		put32(bhs + 34, rnd_below(a, 64));       /* LBA */
		bhs[40] = (uint8_t)rnd_below(a, 64);     /* blocks / alloc */
		put32(bhs + 20, rnd_below(a, 1u << 20)); /* EDTL */
	}
	for (uint32_t i = 0; i < dlen; i++)
		data[i] = (uint8_t)rnd(a);
	if (op == 0x04 && rnd_below(a, 2))
		dlen = (uint32_t)kv((char *)data, sizeof(data), 0, "SendTargets", "All");
	emit(h, bhs, data, dlen);
	if (rnd_below(a, 5) == 0)
		mutate(a, h->script + start, 48, 1 + rnd_below(a, 4));
}

static void script_ffp(struct attack *a, struct hconn *h)
{
	uint32_t cmdsn = 1;
	unsigned n = 1 + rnd_below(a, 40);

	emit_login(a, h, a->target, cmdsn);
	for (unsigned i = 0; i < n; i++)
		ffp_pdu(a, h, &cmdsn);
}

static void script_stall(struct attack *a, struct hconn *h)
{
	char k[512], name[64];
	uint8_t bhs[48];
	size_t n = 0;

	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:hostile.s%u",
		 rnd_below(a, 100));
	n = kv(k, sizeof(k), n, "InitiatorName", name);
	n = kv(k, sizeof(k), n, "SessionType", "Normal");
	n = kv(k, sizeof(k), n, "TargetName", a->target);
	n = kv(k, sizeof(k), n, "AuthMethod", "None");
	login_bhs(bhs, 0x01, a->seq, 1); /* T=0: stay in security */
	emit(h, bhs, k, (uint32_t)n);
}

/* Login, then READ(10)s of 128 KiB whose data is never read. */
static void script_deaf(struct attack *a, struct hconn *h)
{
	uint32_t cmdsn = 1;
	uint8_t bhs[48];
	char k[1024], name[64];
	size_t n;

	/* names of their own: no session limit shared with the others */
	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:hostile.d%u",
		 rnd_below(a, DEAF_MAX));
	n = login_keys(k, sizeof(k), name,
		       a->idle_target ? a->idle_target : a->target);
	login_bhs(bhs, 0x83, a->seq, cmdsn);
	emit(h, bhs, k, (uint32_t)n);
	for (unsigned i = 0; i < 48; i++) {
		memset(bhs, 0, sizeof(bhs));
		bhs[0] = 0x01;
		bhs[1] = 0xc1;               /* F, R, SIMPLE */
		bhs[9] = 1;                  /* LUN 1 */
		put32(bhs + 16, 0x1000 + i);
		put32(bhs + 20, 131072);     /* EDTL */
		put32(bhs + 24, cmdsn++);
		bhs[32] = 0x28;
		put32(bhs + 34, i * 256);
		bhs[39] = 1;                 /* 256 blocks */
		emit(h, bhs, NULL, 0);
	}
}

/* CHAP with a guessed response, pipelined: AuthMethod, CHAP_A, then
 * CHAP_N/CHAP_R.  The first Login Response's status tells a lockout
 * (0201h at once) from a refused guess (0201h at the third). */
static void script_chap(struct attack *a, struct hconn *h)
{
	char k[512], name[64], r[40];
	uint8_t bhs[48];
	size_t n = 0;

	snprintf(name, sizeof(name), "iqn.2026-11.dev.nexus:hostile.c%u",
		 rnd_below(a, 4));
	n = kv(k, sizeof(k), n, "InitiatorName", name);
	n = kv(k, sizeof(k), n, "SessionType", "Normal");
	n = kv(k, sizeof(k), n, "TargetName", a->chap_target);
	n = kv(k, sizeof(k), n, "AuthMethod", "CHAP");
	login_bhs(bhs, 0x01, a->seq, 1);
	emit(h, bhs, k, (uint32_t)n);
	n = kv(k, sizeof(k), 0, "CHAP_A", "5");
	login_bhs(bhs, 0x01, a->seq, 1);
	emit(h, bhs, k, (uint32_t)n);
	strcpy(r, "0x");
	for (int i = 0; i < 16; i++)
		snprintf(r + 2 + 2 * i, 3, "%02x", (unsigned)(rnd(a) & 0xff));
	n = kv(k, sizeof(k), 0, "CHAP_N", "hostile-user");
	n = kv(k, sizeof(k), n, "CHAP_R", r);
	login_bhs(bhs, 0x81, a->seq, 1);
	emit(h, bhs, k, (uint32_t)n);
}

static void script_huge(struct attack *a, struct hconn *h)
{
	uint8_t bhs[48];
	static const uint8_t ops[] = { 0x43, 0x01, 0x05, 0x04, 0x00 };

	memset(bhs, 0, sizeof(bhs));
	bhs[0] = ops[rnd_below(a, sizeof(ops))];
	bhs[1] = 0x80;
	emit(h, bhs, NULL, 0);
	/* 16 MiB - 1 announced; a little of it follows */
	put24(h->script + 5, 0xffffff);
	for (unsigned i = 0; i < 1024; i++)
		h->script[h->len++] = (uint8_t)rnd(a);
	h->pdu_end[0] = h->len;
}

static void build_script(struct attack *a, struct hconn *h)
{
	h->reads = true;
	switch (h->kind) {
	case K_RANDOM: script_random(a, h); break;
	case K_BAD_LOGIN: script_bad_login(a, h); break;
	case K_FFP: script_ffp(a, h); break;
	case K_FLOOD: break;
	case K_SLOW: emit_login(a, h, a->target, 1); h->slow = true; break;
	case K_STALL: script_stall(a, h); break;
	case K_DEAF: script_deaf(a, h); h->reads = false; break;
	case K_CHAP: script_chap(a, h); break;
	case K_HUGE: script_huge(a, h); break;
	case K_PROTECTED: emit_login(a, h, a->protected_target, 1); break;
	default: break;
	}
}

/* ---- connections ------------------------------------------------------------- */

static enum kind draw_kind(struct attack *a)
{
	static const unsigned cap[K_COUNT] = {
		[K_SLOW] = SLOW_MAX, [K_STALL] = STALL_MAX, [K_DEAF] = DEAF_MAX,
	};

	for (;;) {
		uint32_t r = rnd_below(a, 100);
		enum kind k = K_RANDOM;

		if (a->only >= 0)
			return a->live[a->only] < (cap[a->only] ? cap[a->only] : CONNS_MAX)
			       ? (enum kind)a->only : K_COUNT;
		while (r >= kind_weight[k]) {
			r -= kind_weight[k];
			k++;
		}
		if (cap[k] == 0 || a->live[k] < cap[k])
			return k;
	}
}

static void conn_free(struct attack *a, unsigned i)
{
	struct hconn *h = a->c[i];

	if (h->fd >= 0)
		close(h->fd);
	a->live[h->kind]--;
	free(h->script);
	free(h);
	a->c[i] = a->c[--a->n];
}

static void conn_open(struct attack *a)
{
	struct hconn *h = calloc(1, sizeof(*h));
	int one = 1;

	if (!h || !(h->script = malloc(SCRIPT_MAX))) {
		free(h);
		return;
	}
	a->seq++;
	h->kind = draw_kind(a);
	if (h->kind == K_COUNT) { /* --only: its cap is reached */
		free(h->script);
		free(h);
		return;
	}
	build_script(a, h);
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (h->fd >= 0) {
		setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(h->fd, (struct sockaddr *)&a->addr, sizeof(a->addr)) < 0 &&
		    errno != EINPROGRESS) {
			close(h->fd);
			h->fd = -1;
		}
	}
	a->st.conns++;
	a->st.by_kind[h->kind]++;
	a->live[h->kind]++;
	a->c[a->n++] = h;
	if (h->fd < 0)
		a->st.refused++;
}

/* Counts Login Responses in what the target sent (no digests: none
 * were negotiated). */
static void parse_rx(struct attack *a, struct hconn *h, const uint8_t *p,
		     size_t len)
{
	while (len > 0) {
		size_t n;

		if (h->skip > 0) {
			n = h->skip < len ? (size_t)h->skip : len;
			h->skip -= n;
			p += n;
			len -= n;
			continue;
		}
		n = 48 - h->have < len ? 48 - h->have : len;
		memcpy(h->bhs + h->have, p, n);
		h->have += n;
		p += n;
		len -= n;
		if (h->have < 48)
			break;
		h->have = 0;
		h->skip = (uint64_t)h->bhs[4] * 4 + ((get24(h->bhs + 5) + 3u) & ~3u);
		if ((h->bhs[0] & 0x3f) == 0x23) {
			uint16_t st = (uint16_t)(h->bhs[36] << 8 | h->bhs[37]);

			if (h->login_rsps++ == 0)
				h->first_status = st;
			h->last_status = st;
		}
	}
	(void)a;
}

static void conn_stats(struct attack *a, struct hconn *h)
{
	a->st.pdus += h->pdus_done;
	a->st.bytes += h->sent;
	if (h->login_rsps > 0 && h->last_status == 0 && (h->bhs[1] & 0x80))
		a->st.logins_ok++;
	else if (h->login_rsps > 0 && h->last_status != 0)
		a->st.logins_failed++;
	if (h->kind == K_CHAP && h->login_rsps > 0) {
		a->st.chap_guesses++;
		if (h->login_rsps == 1 && h->first_status == 0x0201)
			a->st.chap_locked++;
		else if (h->last_status == 0x0201)
			a->st.chap_rejected++;
	}
	if (h->kind == K_PROTECTED && h->last_status == 0x0202)
		a->st.acl_refused++;
}

/* Sends what the pacing allows; false when the connection is over. */
static bool conn_send(struct attack *a, struct hconn *h, uint64_t now)
{
	size_t want = h->len - h->sent;
	ssize_t n;

	if (want == 0)
		return true;
	if (h->slow) {
		if (now < h->next_ns)
			return true;
		want = 1;
		h->next_ns = now + 1000000000ull;
	}
	n = send(h->fd, h->script + h->sent, want, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK;
	h->sent += (size_t)n;
	while (h->pdus_done < h->npdu && h->pdu_end[h->pdus_done] <= h->sent)
		h->pdus_done++;
	if (h->sent == h->len)
		h->done_ns = now;
	return true;
}

/* Reads and parses; false when the target closed the connection. */
static bool conn_recv(struct attack *a, struct hconn *h)
{
	for (int i = 0; i < 4; i++) {
		ssize_t n = recv(h->fd, a->rbuf, sizeof(a->rbuf), 0);

		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		h->got_any = true;
		parse_rx(a, h, a->rbuf, (size_t)n);
	}
	return true;
}

/* Scripts that end on their own close after a short linger; the
 * lingering kinds (slow, stall, deaf) wait for the target to reap them. */
static bool conn_finished(const struct hconn *h, uint64_t now)
{
	if (h->kind == K_FLOOD)
		return h->connected;
	if (h->kind == K_DEAF)
		return h->sent == h->len && now - h->done_ns > DEAF_GIVEUP_NS;
	if (h->kind == K_SLOW || h->kind == K_STALL)
		return false;
	return h->sent == h->len && now - h->done_ns > LINGER_NS;
}

static void conn_event(struct attack *a, unsigned i, short revents,
		       uint64_t now)
{
	struct hconn *h = a->c[i];
	bool alive = true;

	if (!h->connected && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0) {
			a->st.refused++;
			conn_stats(a, h);
			conn_free(a, i);
			return;
		}
		h->connected = true;
	}
	if (h->connected && (revents & POLLIN) && h->reads)
		alive = conn_recv(a, h);
	if (alive && h->connected && !h->reads &&
	    (revents & (POLLERR | POLLHUP | POLLRDHUP)))
		alive = false;
	if (alive && h->connected)
		alive = conn_send(a, h, now);
	if (!alive) {
		/* the target closed it: refused at accept or reaped */
		if (h->got_any || h->sent > 0)
			a->st.reaped++;
		else
			a->st.refused++;
	}
	if (!alive || conn_finished(h, now)) {
		conn_stats(a, h);
		conn_free(a, i);
	}
}

/* ---- the loop ---------------------------------------------------------------- */

static void attack_round(struct attack *a, struct pollfd *pfd, uint64_t now)
{
	unsigned n = a->n;

	for (unsigned i = 0; i < n; i++) {
		struct hconn *h = a->c[i];
		bool out = !h->connected || (h->sent < h->len &&
					     (!h->slow || now >= h->next_ns));

		pfd[i].fd = h->fd;
		pfd[i].events = (short)((h->reads ? POLLIN : 0) | POLLRDHUP |
					(out ? POLLOUT : 0));
		pfd[i].revents = 0;
	}
	if (poll(pfd, n, 10) < 0 && errno != EINTR)
		return;
	now = nx_hostile_now_ns();
	/* backwards: conn_free moves the last entry into the freed slot */
	for (unsigned i = n; i-- > 0;) {
		if (a->c[i]->fd < 0) {
			conn_stats(a, a->c[i]);
			conn_free(a, i);
		} else if (pfd[i].revents || a->c[i]->slow ||
			   conn_finished(a->c[i], now)) {
			conn_event(a, i, pfd[i].revents, now);
		}
	}
}

static void print_summary(const struct attack *a, double secs)
{
	const struct stats *s = &a->st;

	printf("hostile: seconds=%.0f connections=%llu pdus=%llu bytes=%llu "
	       "refused=%llu closed_by_target=%llu logins_ok=%llu "
	       "logins_failed=%llu chap_guesses=%llu chap_locked_out=%llu "
	       "chap_rejected=%llu acl_refused=%llu",
	       secs, (unsigned long long)s->conns, (unsigned long long)s->pdus,
	       (unsigned long long)s->bytes, (unsigned long long)s->refused,
	       (unsigned long long)s->reaped, (unsigned long long)s->logins_ok,
	       (unsigned long long)s->logins_failed,
	       (unsigned long long)s->chap_guesses,
	       (unsigned long long)s->chap_locked,
	       (unsigned long long)s->chap_rejected,
	       (unsigned long long)s->acl_refused);
	for (int k = 0; k < K_COUNT; k++)
		printf("%s%s=%llu", k ? "," : " kinds=", kind_name[k],
		       (unsigned long long)s->by_kind[k]);
	printf("\n");
}

static int attack_args(struct attack *a, int argc, char **argv, double *secs)
{
	const char *host = "127.0.0.1";
	long port = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", (struct option[]){
			{ "host", required_argument, NULL, 'h' },
			{ "port", required_argument, NULL, 'p' },
			{ "target", required_argument, NULL, 't' },
			{ "chap-target", required_argument, NULL, 'c' },
			{ "protected-target", required_argument, NULL, 'P' },
			{ "seconds", required_argument, NULL, 's' },
			{ "seed", required_argument, NULL, 'S' },
			{ "conns", required_argument, NULL, 'n' },
			{ "only", required_argument, NULL, 'o' },
			{ "idle-target", required_argument, NULL, 'i' },
			{ 0, 0, 0, 0 } }, NULL)) != -1) {
		switch (c) {
		case 'h': host = optarg; break;
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 't': a->target = optarg; break;
		case 'c': a->chap_target = optarg; break;
		case 'P': a->protected_target = optarg; break;
		case 'i': a->idle_target = optarg; break;
		case 's': *secs = atof(optarg); break;
		case 'S': a->rng = strtoull(optarg, NULL, 0) * 2 + 1; break;
		case 'n': a->conns_max = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'o':
			for (int k = 0; k < K_COUNT; k++)
				if (strcmp(optarg, kind_name[k]) == 0)
					a->only = k;
			if (a->only < 0)
				return -1;
			break;
		default: return -1;
		}
	}
	a->addr.sin_family = AF_INET;
	a->addr.sin_port = htons((uint16_t)port);
	if (port <= 0 || port > 65535 || !a->target || !a->chap_target ||
	    !a->protected_target || inet_pton(AF_INET, host, &a->addr.sin_addr) != 1 ||
	    a->conns_max == 0 || a->conns_max > CONNS_MAX) {
		fprintf(stderr, "attack: --port P --target IQN --chap-target IQN "
			"--protected-target IQN [--idle-target IQN] [--host A.B.C.D] [--seconds S] "
			"[--seed N] [--conns 1..%d] [--only KIND]\n", CONNS_MAX);
		return -1;
	}
	return 0;
}

int nx_hostile_attack(int argc, char **argv)
{
	static struct attack a;
	static struct pollfd pfd[CONNS_MAX];
	double secs = 40;
	uint64_t start, end;

	a.rng = 3;
	a.conns_max = 128;
	a.only = -1;
	if (attack_args(&a, argc, argv, &secs) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	start = nx_hostile_now_ns();
	end = start + (uint64_t)(secs * 1e9);
	while (nx_hostile_now_ns() < end) {
		for (unsigned i = 0; i < NEW_PER_TICK && a.n < a.conns_max; i++)
			conn_open(&a);
		attack_round(&a, pfd, nx_hostile_now_ns());
	}
	while (a.n > 0) {
		conn_stats(&a, a.c[a.n - 1]);
		conn_free(&a, a.n - 1);
	}
	print_summary(&a, (double)(nx_hostile_now_ns() - start) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "attack") == 0)
		return nx_hostile_attack(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "good") == 0)
		return nx_hostile_good(argc - 1, argv + 1);
	fprintf(stderr, "usage: nexus-hostile attack|good ... (see hostile.h)\n");
	return 2;
}
