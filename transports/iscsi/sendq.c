/*
 * sendq.c - a connection's output queue of references (nx_sendq.h).
 *
 * Entries live in a ring that doubles up to NX_SENDQ_ENTRIES_MAX; copied
 * bytes live in chunks filled front to back (a copy larger than
 * NX_SENDQ_CHUNK gets a chunk of its own).  An entry holds a reference on
 * its chunk; a chunk nobody references any more is reused (the one being
 * filled restarts at its beginning, one spare of the current size is
 * kept, the rest are freed), so an idle connection holds at most two
 * chunks.  Chunks start at NX_SENDQ_CHUNK_MIN and double, up to
 * NX_SENDQ_CHUNK, each time a copy finds the fill chunk too full or is
 * larger than a chunk: a connection that only logged in and answers the
 * odd NOP holds 2 KiB, a busy one settles at 16 KiB and then allocates
 * nothing.
 */
#include "nx_sendq.h"

#define RING_MIN 64u
#define SPARE_CHUNKS 1u

struct sq_chunk {
	struct sq_chunk *next; /* spare list */
	uint32_t cap;
	uint32_t used;
	uint32_t refs;         /* entries pointing into it */
	uint8_t data[];
};

struct sq_ent {
	const uint8_t *base;
	size_t len;            /* bytes not yet consumed */
	struct sq_chunk *chunk; /* copied bytes live there; NULL: lent */
	nx_sendq_done_fn done;
	void *arg;
};

struct nx_sendq {
	struct sq_ent *ring;
	uint32_t cap;          /* power of two */
	uint32_t head;
	uint32_t count;
	size_t bytes;
	size_t copied;         /* bytes in chunks not yet consumed */
	struct sq_chunk *fill; /* chunk copies go to */
	uint32_t chunk_cap;    /* size of the next regular chunk */
	struct sq_chunk *spare;
	unsigned spare_count;
	bool broken;           /* a push failed: the stream has a hole */
};

struct nx_sendq *nx_sendq_new(void)
{
	struct nx_sendq *q = nx_alloc(sizeof(*q));

	if (q == NULL)
		return NULL;
	q->ring = nx_alloc(RING_MIN * sizeof(*q->ring));
	if (q->ring == NULL) {
		nx_free(q);
		return NULL;
	}
	q->cap = RING_MIN;
	q->chunk_cap = NX_SENDQ_CHUNK_MIN;
	return q;
}

static void chunk_put_spare(struct nx_sendq *q, struct sq_chunk *ch)
{
	if (ch->cap == q->chunk_cap && q->spare_count < SPARE_CHUNKS) {
		ch->used = 0;
		ch->next = q->spare;
		q->spare = ch;
		q->spare_count++;
		return;
	}
	nx_free(ch);
}

void nx_sendq_free(struct nx_sendq *q)
{
	if (q == NULL)
		return;
	nx_sendq_discard(q);
	if (q->fill != NULL)
		nx_free(q->fill);
	while (q->spare != NULL) {
		struct sq_chunk *ch = q->spare;

		q->spare = ch->next;
		nx_free(ch);
	}
	nx_free(q->ring);
	nx_free(q);
}

size_t nx_sendq_bytes(const struct nx_sendq *q)
{
	return q->bytes;
}

bool nx_sendq_empty(const struct nx_sendq *q)
{
	return q->count == 0;
}

static struct sq_ent *ent_at(const struct nx_sendq *q, uint32_t i)
{
	return &q->ring[(q->head + i) & (q->cap - 1)];
}

/* Room for want more entries; the ring is copied in order when it
 * grows (entries hold no pointers into the ring). */
static bool ring_reserve(struct nx_sendq *q, uint32_t want)
{
	uint32_t cap = q->cap;
	struct sq_ent *ring;

	if (q->count + want <= cap)
		return true;
	while (cap < q->count + want && cap < NX_SENDQ_ENTRIES_MAX)
		cap *= 2;
	if (q->count + want > cap)
		return false;
	ring = nx_alloc((size_t)cap * sizeof(*ring));
	if (ring == NULL)
		return false;
	for (uint32_t i = 0; i < q->count; i++)
		ring[i] = *ent_at(q, i);
	nx_free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	return true;
}

static struct sq_ent *ent_last(struct nx_sendq *q)
{
	return q->count > 0 ? ent_at(q, q->count - 1) : NULL;
}

static struct sq_ent *ent_append(struct nx_sendq *q)
{
	struct sq_ent *e;

	nx_assert(q->count < q->cap);
	e = ent_at(q, q->count);
	q->count++;
	memset(e, 0, sizeof(*e));
	return e;
}

/* The fill chunk is full or len does not fit a chunk: the next regular
 * chunk is twice the size (or the first power of two that holds len),
 * up to NX_SENDQ_CHUNK.  A spare of the old size is no use any more. */
static void chunk_grow(struct nx_sendq *q, size_t len)
{
	uint32_t cap = q->chunk_cap;

	if (cap == NX_SENDQ_CHUNK)
		return;
	do
		cap *= 2;
	while (cap < len);
	q->chunk_cap = NX_MIN(cap, NX_SENDQ_CHUNK);
	while (q->spare != NULL) {
		struct sq_chunk *ch = q->spare;

		q->spare = ch->next;
		nx_free(ch);
	}
	q->spare_count = 0;
}

/* A chunk with room for len copied bytes (the fill chunk, a fresh one,
 * or a dedicated one for a copy larger than NX_SENDQ_CHUNK). */
static struct sq_chunk *chunk_for(struct nx_sendq *q, size_t len)
{
	struct sq_chunk *ch;
	uint32_t cap;
	bool regular = len <= NX_SENDQ_CHUNK;

	if (q->fill != NULL && q->fill->cap - q->fill->used >= len)
		return q->fill;
	if (regular && (q->fill != NULL || len > q->chunk_cap))
		chunk_grow(q, len);
	cap = regular ? q->chunk_cap : (uint32_t)len;
	if (regular && q->spare != NULL) {
		ch = q->spare;
		q->spare = ch->next;
		q->spare_count--;
		goto got;
	}
	ch = nx_alloc(sizeof(*ch) + cap);
	if (ch == NULL)
		return NULL;
	ch->cap = cap;
got:
	ch->used = 0;
	ch->refs = 0;
	ch->next = NULL;
	if (regular) {
		/* The old fill chunk lives on while entries point into it;
		 * the last one to go recycles it (ent_retire). */
		if (q->fill != NULL && q->fill->refs == 0)
			chunk_put_spare(q, q->fill);
		q->fill = ch;
	}
	return ch;
}

static int push_copy(struct nx_sendq *q, const struct nx_iovec *v)
{
	struct sq_chunk *ch = chunk_for(q, v->len);
	struct sq_ent *last = ent_last(q);
	uint8_t *dst;

	if (ch == NULL)
		return NX_ENOMEM;
	dst = ch->data + ch->used;
	memcpy(dst, v->base, v->len);
	ch->used += (uint32_t)v->len;
	q->copied += v->len;
	q->bytes += v->len;
	/* Adjacent copies (BHS after BHS of small responses) become one
	 * iovec: fewer iovecs per sendmsg. */
	if (last != NULL && last->chunk == ch && last->done == NULL &&
	    last->base + last->len == dst) {
		last->len += v->len;
		return 0;
	}
	last = ent_append(q);
	last->base = dst;
	last->len = v->len;
	last->chunk = ch;
	ch->refs++;
	return 0;
}

static void push_lent(struct nx_sendq *q, const struct nx_iovec *v)
{
	struct sq_ent *e = ent_append(q);

	e->base = v->base;
	e->len = v->len;
	q->bytes += v->len;
}

static bool push_fits(const struct nx_sendq *q, const struct nx_iovec *iov,
		      unsigned cnt, uint32_t lent_mask)
{
	size_t copy = 0;

	for (unsigned i = 0; i < cnt; i++) {
		bool lent = i < 32 && (lent_mask & (1u << i));

		if (iov[i].len > NX_SENDQ_COPY_MAX)
			return false;
		if (!lent)
			copy += iov[i].len;
	}
	return copy <= NX_SENDQ_COPY_MAX - q->copied;
}

static void attach_done(struct nx_sendq *q, nx_sendq_done_fn done, void *arg)
{
	struct sq_ent *last = ent_last(q);

	if (last == NULL) {
		done(arg, true); /* nothing queued before it */
		return;
	}
	if (last->done != NULL)
		last = ent_append(q); /* an empty entry carries it */
	last->done = done;
	last->arg = arg;
}

int nx_sendq_push(struct nx_sendq *q, const struct nx_iovec *iov,
		  unsigned cnt, uint32_t lent_mask, nx_sendq_done_fn done,
		  void *arg)
{
	nx_assert(q != NULL && (iov != NULL || cnt == 0));
	nx_assert(cnt <= 32 || lent_mask == 0);
	/* cnt entries and one for done at most */
	if (q->broken || !push_fits(q, iov, cnt, lent_mask) ||
	    !ring_reserve(q, cnt + 1))
		goto fail;
	for (unsigned i = 0; i < cnt; i++) {
		if (iov[i].len == 0)
			continue;
		if (i < 32 && (lent_mask & (1u << i)))
			push_lent(q, &iov[i]);
		else if (push_copy(q, &iov[i]) < 0)
			goto fail;
	}
	if (done != NULL)
		attach_done(q, done, arg);
	return 0;
fail:
	/* Part of this call may be queued: the stream has a hole and can
	 * only be dropped. */
	q->broken = true;
	if (done != NULL)
		done(arg, false);
	return NX_ENOMEM;
}

unsigned nx_sendq_peek(const struct nx_sendq *q, struct nx_iovec *iov,
		       unsigned max)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < q->count && n < max; i++) {
		const struct sq_ent *e = ent_at(q, i);

		if (e->len > 0)
			iov[n++] = (struct nx_iovec){ e->base, e->len };
	}
	return n;
}

/* Pops the head entry (fully consumed or discarded). */
static void ent_retire(struct nx_sendq *q, bool ok)
{
	struct sq_ent *e = ent_at(q, 0);
	struct sq_chunk *ch = e->chunk;
	nx_sendq_done_fn done = e->done;
	void *arg = e->arg;

	nx_assert(q->count > 0);
	q->head = (q->head + 1) & (q->cap - 1);
	q->count--;
	if (ch != NULL) {
		nx_assert(ch->refs > 0);
		if (--ch->refs == 0) {
			if (ch == q->fill)
				ch->used = 0; /* nothing points into it */
			else
				chunk_put_spare(q, ch);
		}
	}
	if (done != NULL)
		done(arg, ok);
}

void nx_sendq_consume(struct nx_sendq *q, size_t n)
{
	nx_assert(n <= q->bytes);
	while (q->count > 0) {
		struct sq_ent *e = ent_at(q, 0);
		size_t take = NX_MIN(n, e->len);

		e->base += take;
		e->len -= take;
		n -= take;
		q->bytes -= take;
		if (e->chunk != NULL)
			q->copied -= take;
		if (e->len > 0)
			break;
		ent_retire(q, true);
	}
	nx_assert(n == 0);
}

void nx_sendq_discard(struct nx_sendq *q)
{
	while (q->count > 0) {
		struct sq_ent *e = ent_at(q, 0);

		q->bytes -= e->len;
		if (e->chunk != NULL)
			q->copied -= e->len;
		e->len = 0;
		ent_retire(q, false);
	}
	nx_assert(q->bytes == 0 && q->copied == 0);
}

int nx_sendq_flush(struct nx_sendq *q, struct nx_iovec *scratch,
		   unsigned max, nx_sendq_write_fn write, void *ctx)
{
	nx_assert(max > 0);
	while (q->bytes > 0) {
		unsigned n = nx_sendq_peek(q, scratch, max);
		size_t want = 0;
		long took;

		for (unsigned i = 0; i < n; i++)
			want += scratch[i].len;
		took = write(ctx, scratch, n);
		if (took < 0)
			return (int)took;
		nx_assert((size_t)took <= want);
		nx_sendq_consume(q, (size_t)took);
		if ((size_t)took < want)
			return 0; /* the socket is full */
	}
	/* Markers left behind an empty byte stream are due now. */
	nx_sendq_consume(q, 0);
	return 1;
}
