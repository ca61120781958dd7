/*
 * ns3_none.c - nx_ns3.h for builds without ns-3 (libns3-dev missing
 * when make ran): nothing is available, so nx_link_parse() refuses
 * "ns3" links with a message saying how to get it.  The Makefile links
 * this file instead of ns3_shim.cc.
 */
#include "nx_ns3.h"

#include <stdio.h>

bool nx_ns3_available(void)
{
	return false;
}

struct nx_ns3 *nx_ns3_new(const struct nx_ns3_cfg *cfg, nx_ns3_done_fn done,
			  void *arg, char *err, size_t err_len)
{
	snprintf(err, err_len, "this build has no ns-3 (install libns3-dev and rebuild)");
	return NULL;
}

void nx_ns3_free(struct nx_ns3 *w)
{
}

void nx_ns3_run_to(struct nx_ns3 *w, uint64_t t_ns)
{
}

bool nx_ns3_send(struct nx_ns3 *w, unsigned src, unsigned dst,
		 uint32_t ip_bytes, void *cookie)
{
	return false;
}

uint64_t nx_ns3_next(const struct nx_ns3 *w)
{
	return UINT64_MAX;
}
