/*
 * iogate.c - the per-LU I/O gate that makes atomic commands all-or-nothing.
 *
 * WRITE ATOMIC(16) (SBC-4 5.48: "the write ... shall be performed as a
 * single atomic operation": no concurrent read sees part of it, no
 * concurrent write interleaves with it) and COMPARE AND WRITE (SBC-3 5.2:
 * the compare and the write are one uninterrupted operation) need more
 * than one backstore call being "atomic": a file backstore runs I/Os on a
 * thread pool, so a READ could observe half of a pwrite, and another
 * WRITE could land between CAW's read and write.
 *
 * The gate is LU-wide and simple: a task whose command carries
 * NX_OP_ATOMIC waits until no backstore I/O of the LU is in flight, then
 * owns the LU until it releases it (its last step); while it does, every
 * other task's I/O waits.  Waiting is FIFO, so a stream of ordinary I/O
 * cannot starve an atomic command and an atomic command cannot overtake
 * I/O that queued before it.  Tasks queue through priv.wait_next (a task
 * has at most one I/O in flight), so the queue is bounded by the tasks in
 * the core.  With inline backstores (RAM, null) nothing ever waits.
 */
#include "scsi_internal.h"

static bool is_atomic(const struct nx_task *t)
{
	return t->priv.op != NULL && (t->priv.op->flags & NX_OP_ATOMIC);
}

/* May t's I/O start now?  Ignores the queue (callers handle FIFO). */
static bool may_start(const struct nx_io_gate *g, const struct nx_task *t)
{
	if (g->owner != NULL)
		return g->owner == t;
	if (is_atomic(t))
		return g->inflight == 0;
	return true;
}

/* Starts t's I/O; a synchronous refusal is reported through io->done as
 * a failed I/O when the task was queued (its step already returned). */
static int start(struct nx_lu *lu, struct nx_task *t, bool queued)
{
	struct nx_io_gate *g = &lu->gate;
	struct nx_bs_io *io = &t->priv.io;

	if (is_atomic(t) && g->owner == NULL)
		g->owner = t;
	g->inflight++;
	int rc = nx_bs_submit(lu->bs, io);
	if (rc >= 0)
		return 0;
	if (queued) {
		/* io->done's nx_io_gate_done() accounts for it */
		io->err = rc;
		io->done(io);
		return 0;
	}
	nx_assert(g->inflight > 0);
	g->inflight--;
	return rc;
}

static void enqueue(struct nx_io_gate *g, struct nx_task *t)
{
	nx_assert(t->priv.wait_next == NULL && g->wait_tail != t);
	if (g->wait_tail != NULL)
		g->wait_tail->priv.wait_next = t;
	else
		g->wait_head = t;
	g->wait_tail = t;
	g->waiting++;
}

static struct nx_task *dequeue(struct nx_io_gate *g)
{
	struct nx_task *t = g->wait_head;

	nx_assert(t != NULL && g->waiting > 0);
	g->wait_head = t->priv.wait_next;
	if (g->wait_head == NULL)
		g->wait_tail = NULL;
	t->priv.wait_next = NULL;
	g->waiting--;
	return t;
}

/* Starts queued I/O in order while the gate allows; re-entry (a started
 * I/O completing inline and finishing its task) only flags another pass,
 * so the stack stays flat whatever the queue length. */
static void drain(struct nx_lu *lu)
{
	struct nx_io_gate *g = &lu->gate;

	if (g->draining) {
		g->drain_again = true;
		return;
	}
	g->draining = true;
	do {
		g->drain_again = false;
		while (g->wait_head != NULL && may_start(g, g->wait_head))
			start(lu, dequeue(g), true);
	} while (g->drain_again);
	g->draining = false;
}

int nx_io_gate_submit(struct nx_lu *lu, struct nx_task *t)
{
	struct nx_io_gate *g = &lu->gate;

	nx_assert(lu != NULL && t != NULL);
	nx_assert(t->priv.io.done != NULL);
	/* the owner's own I/Os never queue (they would wait for it) */
	if (g->owner == t || (g->wait_head == NULL && may_start(g, t)))
		return start(lu, t, false);
	enqueue(g, t);
	return 0;
}

void nx_io_gate_done(struct nx_lu *lu)
{
	struct nx_io_gate *g = &lu->gate;

	nx_assert(g->inflight > 0);
	g->inflight--;
	if (g->wait_head != NULL)
		drain(lu);
}

void nx_io_gate_release(struct nx_lu *lu, struct nx_task *t)
{
	struct nx_io_gate *g = &lu->gate;

	if (g->owner != t)
		return;
	g->owner = NULL;
	if (g->wait_head != NULL)
		drain(lu);
}
