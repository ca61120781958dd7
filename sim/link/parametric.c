/*
 * parametric.c - the parametric link: serialization at a fixed bandwidth
 * per direction, then propagation latency plus uniform jitter, with seeded
 * loss, duplication and reordering.
 *
 * Draw order per packet is fixed (loss, jitter, reorder, dup); a knob at
 * zero draws nothing (nx_rng_ppb(0) and an empty range consume no
 * state), so the draws depend only on the options and the packets sent.  Lost packets still occupy the wire
 * (they were sent; the far end never saw them).
 */
#include "nx_link.h"

/* bytes * 8 * 1e9 / bps, exact and overflow-free for any packet size we
 * carry (wire_bytes < 2^32, 8e9 < 2^33: product < 2^65, so split). */
static uint64_t serialization_ns(uint64_t bps, uint32_t wire_bytes)
{
	uint64_t bits = (uint64_t)wire_bytes * 8;

	if (bps == 0)
		return 0;
	return bits / bps * 1000000000ull +
	       (bits % bps) * 1000000000ull / bps;
}

static unsigned parametric_send(struct nx_link *link, struct nx_link_path *path,
				uint32_t wire_bytes, uint64_t arrive_ns[2])
{
	const struct nx_link_opts *o = nx_link_model_opts(link);
	struct nx_rng *rng = nx_link_model_rng(link);
	struct nx_link_stats *st = nx_link_model_stats(link);
	uint64_t now = nx_link_model_now(link), depart, at;

	depart = NX_MAX(now, path->busy_until_ns) +
		 serialization_ns(o->bandwidth_bps, wire_bytes);
	path->busy_until_ns = depart;
	if (nx_rng_ppb(rng, o->loss_ppb)) {
		st->lost++;
		return 0;
	}
	at = depart + o->latency_ns + nx_rng_range(rng, 0, o->jitter_ns);
	if (nx_rng_ppb(rng, o->reorder_ppb)) {
		at += nx_rng_range(rng, 1, NX_MAX(o->reorder_delay_ns, 1));
		st->reordered++;
	}
	arrive_ns[0] = at;
	if (!nx_rng_ppb(rng, o->dup_ppb))
		return 1;
	st->duplicated++;
	arrive_ns[1] = at + nx_rng_range(rng, 0, o->jitter_ns + o->latency_ns / 2);
	return 2;
}

const struct nx_link_model nx_link_model_parametric = {
	.name = "parametric",
	.kind = NX_LINK_PARAMETRIC,
	.send = parametric_send,
};
