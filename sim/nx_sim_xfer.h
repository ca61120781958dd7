/*
 * nx_sim_xfer.h - a self-checking byte-stream workload over sim TCP.
 *
 * Host a connects to host b; each side sends its own deterministic byte
 * stream in random-sized chunks at random moments (drawn from the sim's
 * "xfer" stream), optionally with the receiver pausing and resuming at
 * random to exercise flow control; each side checks every byte it
 * receives against the stream it expects, then both close.  Used by the
 * unit tests, the pcap determinism test and the demo.
 */
#ifndef NX_SIM_XFER_H
#define NX_SIM_XFER_H

#include "nx_sim_tcp.h"

struct nx_sim_xfer_opts {
	uint64_t bytes_ab, bytes_ba;  /* a -> b and b -> a */
	uint32_t chunk_max;           /* bytes per send() call, >= 1 */
	uint64_t gap_max_ns;          /* between send() calls */
	uint16_t port;
	bool pause_b;                 /* b pauses reading now and then */
};

struct nx_sim_xfer_side {
	uint64_t sent, rcvd;
	bool connected, eof, closed;
	int err;                      /* from closed() */
	uint64_t bad_offset;          /* first corrupt byte, UINT64_MAX = none */
};

struct nx_sim_xfer_result {
	struct nx_sim_xfer_side a, b;
	uint64_t end_ns;
	bool ok;                      /* both closed(0), every byte intact */
};

void nx_sim_xfer_opts_default(struct nx_sim_xfer_opts *o);
/* The expected byte at offset off of stream id (0 = a->b, 1 = b->a). */
uint8_t nx_sim_xfer_byte(unsigned id, uint64_t off);
/* Runs until both sides closed or deadline, then aborts whatever is
 * still open and removes the listener.  Connections in TIME_WAIT expire
 * on their own if the caller keeps the sim running. */
int nx_sim_xfer_run(struct nx_sim *sim, struct nx_sim_net *net,
		    struct nx_sim_host *a, struct nx_sim_host *b,
		    const struct nx_sim_xfer_opts *o, uint64_t deadline_ns,
		    struct nx_sim_xfer_result *out);

#endif /* NX_SIM_XFER_H */
