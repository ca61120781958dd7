/*
 * nx_sendq.h - a connection's output queue, shared by the embedders that
 * own real sockets (nexus-target's daemon.c, the kernel's portal.c).
 *
 * What it queues are references, not bytes: an entry is an iovec.  Small
 * pieces the transport builds on its stack (BHS, digests, padding, sense,
 * login and text responses) are copied into bounded chunks, adjacent
 * copies merged into one iovec; a data segment the transport lends
 * (nx_iscsi_conn_ops.send_lent: the task's Data-In buffer) is queued in
 * place, and the buffer is released by a callback once the socket has
 * taken every byte queued before that point.  So Data-In goes from the
 * task buffer to the socket without a copy, many PDUs leave in one
 * writev/sendmsg, and the memory a slow reader pins is the task buffers
 * plus at most NX_SENDQ_ENTRIES_MAX entries and NX_SENDQ_COPY_MAX bytes of
 * copies (push fails beyond that; the embedder then drops the peer).
 *
 * The embedder decides when to write (e.g. once per event-loop
 * iteration: PDUs produced meanwhile leave together) and how: it peeks
 * iovecs, writes them with its own syscall and consumes what was taken.
 * Callbacks run in queue order, from nx_sendq_consume()/nx_sendq_discard()
 * or, when the queue is empty, from nx_sendq_push() itself; they only
 * free memory and must not touch the queue.  Portable: nx_platform.h
 * only, single execution context.
 */
#ifndef NX_SENDQ_H
#define NX_SENDQ_H

#include "../../platform/nx_platform.h"

#define NX_SENDQ_CHUNK_MIN (2u << 10)      /* first copy chunk */
#define NX_SENDQ_CHUNK (16u << 10)         /* copy chunk, at most */
#define NX_SENDQ_COPY_MAX (16u << 20)      /* copied bytes queued at most */
#define NX_SENDQ_ENTRIES_MAX (1u << 16)    /* iovecs + callbacks queued */

struct nx_sendq;

/* Called once per pushed callback, in push order, with ok = false when
 * the bytes before it were discarded instead of sent. */
typedef void (*nx_sendq_done_fn)(void *arg, bool ok);

struct nx_sendq *nx_sendq_new(void);
/* Discards what is queued (callbacks run with ok = false), then frees. */
void nx_sendq_free(struct nx_sendq *q);

/* Queues iov[0..cnt): iovec i by reference when bit i of lent_mask is
 * set (it must stay valid until done runs), copied otherwise.  done
 * (optional) runs once every byte queued so far, these included, has
 * been consumed.  Returns 0, or NX_ENOMEM when a bound or an allocation
 * fails: then nothing of this call is queued, done has already run with
 * ok = false, and the stream is broken (the caller drops the
 * connection). */
int nx_sendq_push(struct nx_sendq *q, const struct nx_iovec *iov,
		  unsigned cnt, uint32_t lent_mask, nx_sendq_done_fn done,
		  void *arg);

/* Bytes queued and not yet consumed. */
size_t nx_sendq_bytes(const struct nx_sendq *q);
bool nx_sendq_empty(const struct nx_sendq *q);

/* Fills up to max iovecs from the head of the queue; returns how many. */
unsigned nx_sendq_peek(const struct nx_sendq *q, struct nx_iovec *iov,
		       unsigned max);
/* n bytes (<= nx_sendq_bytes) left through the socket: advances the
 * head and runs the callbacks that became due. */
void nx_sendq_consume(struct nx_sendq *q, size_t n);
/* Drops everything queued; callbacks run with ok = false. */
void nx_sendq_discard(struct nx_sendq *q);

/* The write loop every embedder needs: peeks up to max iovecs into
 * scratch, calls write(ctx, scratch, n) -- bytes taken, 0 when the socket
 * is full, < 0 on error -- and consumes, until the queue is empty or the
 * socket full.  Returns 1 when empty, 0 when the socket is full, or
 * write's negative error. */
typedef long (*nx_sendq_write_fn)(void *ctx, const struct nx_iovec *iov,
				  unsigned n);
int nx_sendq_flush(struct nx_sendq *q, struct nx_iovec *scratch,
		   unsigned max, nx_sendq_write_fn write, void *ctx);

#endif /* NX_SENDQ_H */
