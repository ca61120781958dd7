/*
 * tcp_stream.c - TCP connections and per-direction stream reassembly
 * (nx_trace.h).
 *
 * Segments are filed as they are read (frame order) with their sequence
 * number unwrapped against the highest one seen in that direction
 * (RFC 9293 3.4: sequence space arithmetic mod 2^32), and reassembled
 * once the capture is read: sorted by (seq, frame), then walked with a
 * frontier.  The next bytes come from the segment that reaches past the
 * frontier and arrived first (the copy a receiver had first); a segment
 * that contributes nothing is a retransmission, one that contributes only
 * its tail an overlap, and bytes that differ from those placed are
 * counted as conflicts (the first copy wins).  A segment above the frontier leaves a hole: the run
 * ends, the hole is counted (bytes missing), and the next run starts -
 * nothing is guessed.  Each byte's delivery frame is the running maximum
 * of the arrival frames of every byte up to it, i.e. the frame at which
 * a receiver would have had it in order: this orders PDUs across
 * directions and connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_trace.h"

/* Segments looked at for the earliest copy of the next byte. */
#define REASM_WINDOW 4096u

static bool same_ep(const uint8_t *a, uint16_t ap, const uint8_t *b,
		    uint16_t bp)
{
	return ap == bp && memcmp(a, b, 16) == 0;
}

/* Which side initiates: SYN without ACK, else the iSCSI port. */
static void conn_roles(struct nx_trace *t, struct nx_tr_conn *c,
		       const struct nx_tr_tcp *s)
{
	uint16_t port = t->iscsi_port ? t->iscsi_port : NX_TR_ISCSI_PORT;
	bool src_is_ini = true;

	if ((s->flags & NX_TR_SYN) && !(s->flags & 0x10)) {
		c->roles_known = true;
	} else if (s->dport == port) {
		c->roles_known = true;
	} else if (s->sport == port) {
		src_is_ini = false;
		c->roles_known = true;
	} else {
		/* Unknown: iscsi_decode.c swaps if the PDUs say otherwise. */
		src_is_ini = s->sport > s->dport;
	}
	memcpy(c->ini_addr, src_is_ini ? s->src : s->dst, 16);
	memcpy(c->tgt_addr, src_is_ini ? s->dst : s->src, 16);
	c->ini_port = src_is_ini ? s->sport : s->dport;
	c->tgt_port = src_is_ini ? s->dport : s->sport;
}

/* A new connection also starts when a SYN reuses the 4-tuple of one
 * that ended (FIN/RST seen both ways or any RST): TIME_WAIT reuse. */
static bool conn_ended(const struct nx_tr_conn *c)
{
	return c->dir[0].rst || c->dir[1].rst || (c->dir[0].fin && c->dir[1].fin);
}

static struct nx_tr_conn *conn_find(struct nx_trace *t,
				    const struct nx_tr_tcp *s, int *dir)
{
	for (uint32_t i = t->conns_n; i-- > 0;) {
		struct nx_tr_conn *c = &t->conns[i];
		bool fwd, rev;

		if (c->family != s->family)
			continue;
		fwd = same_ep(c->ini_addr, c->ini_port, s->src, s->sport) &&
		      same_ep(c->tgt_addr, c->tgt_port, s->dst, s->dport);
		rev = same_ep(c->tgt_addr, c->tgt_port, s->src, s->sport) &&
		      same_ep(c->ini_addr, c->ini_port, s->dst, s->dport);
		if (!fwd && !rev)
			continue;
		if ((s->flags & NX_TR_SYN) && !(s->flags & 0x10) && conn_ended(c))
			return NULL;     /* a new incarnation */
		*dir = fwd ? 0 : 1;
		return c;
	}
	return NULL;
}

static struct nx_tr_conn *conn_new(struct nx_trace *t,
				   const struct nx_tr_tcp *s, uint32_t frame,
				   int *dir)
{
	struct nx_tr_conn *c;

	if (t->conns_n >= NX_TR_CONNS_MAX) {
		snprintf(t->err, sizeof(t->err), "more than %u TCP connections "
			 "in the capture", NX_TR_CONNS_MAX);
		return NULL;
	}
	if (t->conns == NULL) {
		t->conns = calloc(NX_TR_CONNS_MAX, sizeof(*t->conns));
		if (t->conns == NULL) {
			snprintf(t->err, sizeof(t->err), "out of memory");
			return NULL;
		}
	}
	c = &t->conns[t->conns_n];
	memset(c, 0, sizeof(*c));
	c->id = t->conns_n++;
	c->family = s->family;
	c->first_frame = frame;
	conn_roles(t, c, s);
	*dir = same_ep(c->ini_addr, c->ini_port, s->src, s->sport) ? 0 : 1;
	return c;
}

static int arena_put(struct nx_trace *t, const uint8_t *p, uint32_t len,
		     uint64_t *off)
{
	if (t->arena_len + len > NX_TR_BYTES_MAX) {
		snprintf(t->err, sizeof(t->err), "more than %llu MiB of TCP "
			 "payload in the capture",
			 (unsigned long long)(NX_TR_BYTES_MAX >> 20));
		return -1;
	}
	if (t->arena_len + len > t->arena_cap) {
		uint64_t cap = t->arena_cap ? t->arena_cap : (1u << 20);
		uint8_t *n;

		while (cap < t->arena_len + len)
			cap *= 2;
		n = realloc(t->arena, cap);
		if (n == NULL) {
			snprintf(t->err, sizeof(t->err), "out of memory");
			return -1;
		}
		t->arena = n;
		t->arena_cap = cap;
	}
	memcpy(t->arena + t->arena_len, p, len);
	*off = t->arena_len;
	t->arena_len += len;
	return 0;
}

static int seg_push(struct nx_trace *t, struct nx_tr_dir *d,
		    const struct nx_tr_seg *sg)
{
	if (d->segs_n == d->segs_cap) {
		uint32_t cap = d->segs_cap ? d->segs_cap * 2 : 64;
		struct nx_tr_seg *n;

		if (cap > NX_TR_SEGS_MAX) {
			snprintf(t->err, sizeof(t->err), "more than %u segments "
				 "in one direction", NX_TR_SEGS_MAX);
			return -1;
		}
		n = realloc(d->segs, cap * sizeof(*n));
		if (n == NULL) {
			snprintf(t->err, sizeof(t->err), "out of memory");
			return -1;
		}
		d->segs = n;
		d->segs_cap = cap;
	}
	d->segs[d->segs_n++] = *sg;
	return 0;
}

/* RFC 9293 3.4: the distance from the frontier, as a signed 32-bit
 * value, unwraps the sequence number. */
static int64_t unwrap(struct nx_tr_dir *d, uint32_t seq)
{
	uint32_t front = d->seq0 + (uint32_t)d->last_rel;
	int64_t rel = d->last_rel + (int32_t)(seq - front);

	if (rel > d->last_rel)
		d->last_rel = rel;
	return rel;
}

int nx_tr_add_segment(struct nx_trace *t, const struct nx_tr_tcp *s,
		      uint32_t frame)
{
	struct nx_tr_conn *c;
	struct nx_tr_dir *d;
	struct nx_tr_seg sg = { 0 };
	int dir = 0;

	c = conn_find(t, s, &dir);
	if (c == NULL && (c = conn_new(t, s, frame, &dir)) == NULL)
		return -1;
	c->last_frame = frame;
	d = &c->dir[dir];
	if (s->flags & NX_TR_RST)
		d->rst = true;
	if (s->flags & NX_TR_FIN)
		d->fin = true;
	if (s->flags & NX_TR_SYN) {
		/* The stream starts after the SYN's sequence number. */
		if (!d->seq0_set) {
			d->syn = true;
			d->seq0 = s->seq + 1;
			d->seq0_set = true;
		}
		return 0;
	}
	if (s->len == 0)
		return 0;
	if (!d->seq0_set) {
		d->seq0 = s->seq;
		d->seq0_set = true;
	}
	sg.seq = unwrap(d, s->seq);
	sg.len = s->len;
	sg.frame = frame;
	if (arena_put(t, s->payload, s->len, &sg.data) != 0)
		return -1;
	return seg_push(t, d, &sg);
}

static int seg_cmp(const void *a, const void *b)
{
	const struct nx_tr_seg *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return 0;
}

struct builder {
	struct nx_trace *t;
	struct nx_tr_dir *d;
	struct nx_tr_run *run;
	uint32_t frames_cap;
	uint64_t data_cap;
	uint32_t max_frame;
};

static int run_open(struct builder *b, int64_t off, bool at_start)
{
	struct nx_tr_dir *d = b->d;
	struct nx_tr_run *n = realloc(d->runs, (d->runs_n + 1) * sizeof(*n));

	if (n == NULL)
		return -1;
	d->runs = n;
	b->run = &d->runs[d->runs_n++];
	memset(b->run, 0, sizeof(*b->run));
	b->run->off = off;
	b->run->at_start = at_start;
	b->frames_cap = 0;
	b->data_cap = 0;
	return 0;
}

static int run_append(struct builder *b, const uint8_t *p, uint32_t len,
		      uint32_t frame)
{
	struct nx_tr_run *r = b->run;

	if (r->len + (uint64_t)len > UINT32_MAX)
		return -1;
	if (r->len + len > b->data_cap) {
		uint64_t cap = b->data_cap ? b->data_cap : 4096;
		uint8_t *n;

		while (cap < r->len + (uint64_t)len)
			cap *= 2;
		if ((n = realloc(r->data, cap)) == NULL)
			return -1;
		r->data = n;
		b->data_cap = cap;
	}
	memcpy(r->data + r->len, p, len);
	r->len += len;
	if (frame > b->max_frame)
		b->max_frame = frame;
	if (r->frames_n > 0 && r->frames[r->frames_n - 1].frame == b->max_frame) {
		r->frames[r->frames_n - 1].end = r->off + r->len;
		return 0;
	}
	if (r->frames_n == b->frames_cap) {
		uint32_t cap = b->frames_cap ? b->frames_cap * 2 : 16;
		void *n = realloc(r->frames, cap * sizeof(*r->frames));

		if (n == NULL)
			return -1;
		r->frames = n;
		b->frames_cap = cap;
	}
	r->frames[r->frames_n].end = r->off + r->len;
	r->frames[r->frames_n].frame = b->max_frame;
	r->frames_n++;
	return 0;
}

/* A segment the walk leaves behind: everything it carries is placed.
 * Bytes that differ from what was placed first are a conflict. */
static void seg_pass(struct builder *b, const struct nx_tr_seg *sg)
{
	const uint8_t *p = b->t->arena + sg->data;
	struct nx_tr_run *r = b->run;

	if (!sg->used)
		b->d->retransmits++;
	else if (sg->partial)
		b->d->overlaps++;
	if (memcmp(r->data + (sg->seq - r->off), p, sg->len) != 0)
		b->d->conflicts++;
}

/* Among the segments that start at or before the frontier (a window of
 * the seq-sorted array), the one that reaches beyond it and arrived
 * first: its bytes are the ones a receiver had first. */
static int64_t seg_best(const struct nx_tr_dir *d, uint32_t i, int64_t front)
{
	int64_t best = -1;

	for (uint32_t j = i; j < d->segs_n && j < i + REASM_WINDOW &&
	     d->segs[j].seq <= front; j++) {
		const struct nx_tr_seg *sg = &d->segs[j];

		if (sg->seq + sg->len > front &&
		    (best < 0 || sg->frame < d->segs[best].frame))
			best = j;
	}
	return best;
}

int nx_tr_reassemble(struct nx_trace *t, struct nx_tr_dir *d)
{
	struct builder b = { .t = t, .d = d };
	int64_t front = 0, highest = INT64_MIN;
	uint32_t i = 0;

	if (d->segs_n == 0)
		return 0;
	/* Arrival (frame) order: a segment below the highest sequence seen
	 * came out of order (or again). */
	for (uint32_t k = 0; k < d->segs_n; k++) {
		if (d->segs[k].seq < highest)
			d->out_of_order++;
		if (d->segs[k].seq + d->segs[k].len > highest)
			highest = d->segs[k].seq + d->segs[k].len;
	}
	qsort(d->segs, d->segs_n, sizeof(*d->segs), seg_cmp);
	while (i < d->segs_n) {
		struct nx_tr_seg *sg;
		int64_t best;

		if (b.run == NULL || d->segs[i].seq > front) {
			if (b.run != NULL) {
				d->holes++;
				d->missing += (uint64_t)(d->segs[i].seq - front);
			}
			if (run_open(&b, d->segs[i].seq, d->syn && d->segs[i].seq == 0))
				goto oom;
			front = d->segs[i].seq;
		}
		best = seg_best(d, i, front);
		if (best < 0) {
			seg_pass(&b, &d->segs[i++]);
			continue;
		}
		sg = &d->segs[best];
		sg->partial = sg->seq < front;
		sg->used = true;
		if (run_append(&b, t->arena + sg->data + (front - sg->seq),
			       (uint32_t)(sg->seq + sg->len - front), sg->frame))
			goto oom;
		d->bytes += (uint64_t)(sg->seq + sg->len - front);
		front = sg->seq + sg->len;
	}
	/* A SYN seen but the first bytes never captured: a leading hole. */
	if (d->syn && d->runs_n > 0 && d->runs[0].off > 0) {
		d->holes++;
		d->missing += (uint64_t)d->runs[0].off;
	}
	return 0;
oom:
	snprintf(t->err, sizeof(t->err), "out of memory reassembling streams");
	return -1;
}

uint32_t nx_tr_run_frame(const struct nx_tr_run *r, int64_t off)
{
	uint32_t lo = 0, hi = r->frames_n;

	/* First entry whose end is beyond off. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->frames[mid].end > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo >= r->frames_n)
		return r->frames_n ? r->frames[r->frames_n - 1].frame : 0;
	return r->frames[lo].frame;
}
