/*
 * tcp_send.c - the simulated TCP's send API (nx_sim_tcp_send and the
 * reserve/commit pair) and the send buffer's growth; the per-segment
 * side of the send buffer (references, the cache, holes) is tcp.c's.
 */
#include <string.h>

#include "tcp_internal.h"

#define SBUF_INIT (64u * 1024)

/* Room for add more bytes after the unacknowledged ones.  Bytes a
 * segment in flight may point at are never rewritten: while segments
 * hold the buffer, new bytes only go after the old ones, and when the
 * buffer is full the unacknowledged bytes move to another one.  Of
 * those, the ones already sent are only read again by a retransmission
 * (their segments point into the old buffer), so they do not move at
 * once: they stay a hole at the head of the new buffer, read from the
 * old one (which the connection keeps) and copied in only if a
 * retransmission or another move needs them (nx_sim_tcp_hole_fill);
 * their ACK normally ends the hole first (tcp.c, ack_advance).  Every offset, every
 * buffer swap and the cache of buffers are what moving them gave, so
 * the receive offload's merges and every pcap stay the same; what goes
 * is most of the copy (~10 KiB per move in the io scenario). */
static int sbuf_reserve(struct nx_sim_tcp_conn *c, size_t add)
{
	size_t need = c->slen + add, cap, sent;
	struct sbuf *nb, *b = c->sb;
	bool alone = b != NULL && b->refs == 1;

	if (need > c->net->o.sndbuf_max)
		return NX_ENOSPC;
	if (alone && c->slen == 0)
		c->shead = 0;
	if (b != NULL && c->shead + need <= b->cap)
		return NX_OK;
	if (c->has_hole)
		nx_sim_tcp_hole_fill(c); /* every unacknowledged byte moves */
	if (alone && need <= b->cap) {
		memmove(b->data, b->data + c->shead, c->slen);
		c->shead = 0;
		return NX_OK;
	}
	for (cap = b != NULL ? b->cap : SBUF_INIT; cap < need; cap *= 2)
		;
	nb = nx_sim_tcp_sbuf_get(c->net, NX_MIN(cap, (size_t)c->net->o.sndbuf_max));
	if (nb == NULL)
		return NX_ENOMEM;
	sent = NX_MIN((size_t)(uint32_t)(c->snd_nxt - c->snd_una), c->slen);
	if (c->slen > sent)
		memcpy(nb->data + sent, b->data + c->shead + sent, c->slen - sent);
	if (sent > 0) {
		c->hole = b;
		c->has_hole = true;
		c->hole_owned = false;
		c->hole_off = c->shead;
		c->hole_seq = c->snd_una;
		c->hole_end = c->snd_una + (uint32_t)sent;
		b->hole_of = c;
	}
	nx_sim_tcp_sbuf_put(c->net, b);
	c->sb = nb;
	c->shead = 0;
	return NX_OK;
}

int nx_sim_tcp_send(struct nx_sim_tcp_conn *c, const struct nx_iovec *iov,
		    unsigned iovcnt)
{
	size_t total = 0;
	int rc;

	if (c->fin_queued || !c->linked)
		return NX_EINVAL;
	for (unsigned i = 0; i < iovcnt; i++)
		total += iov[i].len;
	rc = sbuf_reserve(c, total);
	if (rc != NX_OK)
		return rc;
	for (unsigned i = 0; i < iovcnt; i++) {
		memcpy(c->sb->data + c->shead + c->slen, iov[i].base, iov[i].len);
		c->slen += iov[i].len;
	}
	nx_sim_tcp_output(c);
	return NX_OK;
}

/* The same reservation as nx_sim_tcp_send's, without the copy: the
 * caller writes the bytes where they will be sent (the initiator's write
 * data, generated once), and the commit then does what the send does
 * after its copy, so offsets, buffer swaps and segments are the same. */
int nx_sim_tcp_send_reserve(struct nx_sim_tcp_conn *c, size_t n,
			    uint8_t **out)
{
	int rc;

	if (c->fin_queued || !c->linked)
		return NX_EINVAL;
	rc = sbuf_reserve(c, n);
	if (rc != NX_OK)
		return rc;
	*out = c->sb->data + c->shead + c->slen;
	return NX_OK;
}

void nx_sim_tcp_send_commit(struct nx_sim_tcp_conn *c, size_t n)
{
	nx_assert(!c->fin_queued && c->linked && c->sb != NULL);
	nx_assert(c->shead + c->slen + n <= c->sb->cap);
	c->slen += n;
	nx_sim_tcp_output(c);
}
