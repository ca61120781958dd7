/*
 * tcp_lent.c - lent byte ranges of the simulated TCP (nx_sim_tcp_send_lent,
 * tcp_internal.h): the ranges, their release groups, and taking the
 * lender's memory back (acknowledged, closed, reset, torn down).
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_internal.h"

struct lgroup *nx_sim_tcp_lgroup_get(struct nx_sim_net *net)
{
	struct lgroup *g = net->lgroup_free;

	if (g != NULL)
		net->lgroup_free = g->next;
	else if ((g = malloc(sizeof(*g))) == NULL)
		return NULL;
	*g = (struct lgroup){ .members = 1, .ok = true };
	return g;
}

void nx_sim_tcp_lgroup_put(struct nx_sim_net *net, struct lgroup *g, bool ok)
{
	nx_assert(g->members > 0);
	if (!ok)
		g->ok = false;
	if (--g->members > 0)
		return;
	if (g->release != NULL)
		g->release(g->arg, g->ok);
	g->next = net->lgroup_free;
	net->lgroup_free = g;
}

struct lent *nx_sim_tcp_lent_get(struct nx_sim_net *net, const uint8_t *base,
				 uint32_t len, struct lgroup *g)
{
	struct lent *l = net->lent_free;

	if (l != NULL)
		net->lent_free = l->next;
	else if ((l = malloc(sizeof(*l))) == NULL)
		return NULL;
	*l = (struct lent){ .refs = 1, .len = len, .base = base, .g = g };
	g->members++;
	return l;
}

void nx_sim_tcp_lent_put(struct nx_sim_net *net, struct lent *l)
{
	nx_assert(l->refs > 0);
	if (--l->refs > 0)
		return;
	nx_assert(l->g == NULL);
	free(l->own);
	l->own = NULL;
	l->next = net->lent_free;
	net->lent_free = l;
}

void nx_sim_tcp_lent_detach(struct nx_sim_net *net, struct lent *l, bool keep,
			    bool ok)
{
	struct lgroup *g = l->g;

	if (g == NULL)
		return;
	if (keep || l->refs > 1) {
		/* Out of memory here would leave a dangling loan: the
		 * simulator cannot go on honestly. */
		l->own = malloc(l->len);
		nx_assert(l->own != NULL);
		memcpy(l->own, l->base, l->len);
		l->base = l->own;
	}
	l->g = NULL;
	nx_sim_tcp_lgroup_put(net, g, ok);
}

static struct lrange *lr_at(const struct nx_sim_tcp_conn *c, unsigned i)
{
	return &c->lr[(c->lr_head + i) & (LENT_RANGES_MAX - 1)];
}

void nx_sim_tcp_lent_detach_all(struct nx_sim_tcp_conn *c)
{
	struct lgroup *g = c->lg_open;

	for (unsigned i = 0; i < c->lr_count; i++)
		nx_sim_tcp_lent_detach(c->net, lr_at(c, i)->l, true, true);
	/* Loans whose release was to come with a later call: that call
	 * will not come (the application let go of the connection). */
	c->lg_open = NULL;
	if (g != NULL)
		nx_sim_tcp_lgroup_put(c->net, g, false);
}

void nx_sim_tcp_lent_drop_all(struct nx_sim_tcp_conn *c)
{
	struct lgroup *g = c->lg_open;

	while (c->lr_count > 0) {
		struct lent *l = lr_at(c, 0)->l;

		c->lr_head = (c->lr_head + 1) & (LENT_RANGES_MAX - 1);
		c->lr_count--;
		nx_sim_tcp_lent_detach(c->net, l, false, false);
		nx_sim_tcp_lent_put(c->net, l);
	}
	c->lr_hint = 0;
	c->lg_open = NULL;
	if (g != NULL)
		nx_sim_tcp_lgroup_put(c->net, g, false);
}

void nx_sim_tcp_lent_net_free(struct nx_sim_net *net)
{
	while (net->lent_free != NULL) {
		struct lent *l = net->lent_free;

		net->lent_free = l->next;
		free(l);
	}
	while (net->lgroup_free != NULL) {
		struct lgroup *g = net->lgroup_free;

		net->lgroup_free = g->next;
		free(g);
	}
	free(net->cap_buf);
	net->cap_buf = NULL;
}
