/*
 * ideal.c - the ideal link: every packet arrives after exactly the
 * configured latency, in order, never lost.  The baseline against which a
 * parametric run's anomalies are told apart from protocol bugs.
 * nx_link_send() answers the same inline while nothing is cut
 * (link.c, update_plain): keep the two in step.
 */
#include "nx_link.h"

static unsigned ideal_send(struct nx_link *link, struct nx_link_path *path,
			   uint32_t wire_bytes, uint64_t arrive_ns[2])
{
	arrive_ns[0] = nx_link_model_now(link) + nx_link_model_opts(link)->latency_ns;
	return 1;
}

const struct nx_link_model nx_link_model_ideal = {
	.name = "ideal",
	.kind = NX_LINK_IDEAL,
	.send = ideal_send,
};
