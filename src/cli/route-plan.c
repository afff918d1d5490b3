/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The routes of a VPN session, decided from the server's split lists (route-plan.h). */
#include "config.h"

#include "src/cli/route-plan.h"

#include <string.h>

static bool same_prefix(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->len == b->len && ip_prefix_contains(a, b);
}

/* The tun's own network of p's family, or NULL when the tun has no such address. */
static const struct ip_prefix *tun_net(const struct route_plan_input *in, int family)
{
	const struct ip_prefix *t = family == AF_INET ? &in->tun4 : &in->tun6;

	return t->addr.family == family ? t : NULL;
}

/* Whether the plan already has an entry by that way for exactly, or around, p. */
static bool planned(const struct route_plan *plan, enum route_via via,
		    const struct ip_prefix *p, bool around)
{
	for (unsigned int i = 0; i < plan->n; i++) {
		const struct ip_prefix *q = &plan->route[i].dst;

		if (plan->route[i].via == via &&
		    (around ? ip_prefix_contains(q, p) : same_prefix(q, p)))
			return true;
	}
	return false;
}

static bool in_list(const struct ip_prefix *list, unsigned int n, const struct ip_prefix *p)
{
	for (unsigned int i = 0; i < n; i++)
		if (same_prefix(&list[i], p))
			return true;
	return false;
}

/* The server's address as a host prefix (family 0 when unknown). */
static struct ip_prefix server_prefix(const struct route_plan_input *in)
{
	struct ip_prefix p = { .addr = in->server, .len = in->server.family == AF_INET ? 32 : 128 };

	return p;
}

static void add(struct route_plan *plan, const struct ip_prefix *p, enum route_via via,
		bool server)
{
	struct route_plan_entry *e = &plan->route[plan->n++];

	e->dst = *p;
	ip_prefix_clear_host(&e->dst);
	e->via = via;
	e->server = server;
}

/* Whether traffic to p would enter the tunnel: an include or the tun's network has it. */
static bool tunnelled(const struct route_plan_entry *inc, unsigned int n_inc,
		      const struct route_plan_input *in, const struct ip_prefix *p)
{
	const struct ip_prefix *net = tun_net(in, p->addr.family);

	if (net && ip_prefix_contains(net, p))
		return true;
	for (unsigned int i = 0; i < n_inc; i++)
		if (ip_prefix_contains(&inc[i].dst, p))
			return true;
	return false;
}

/*
 * The includes, kept apart in inc[] first: which excludes matter depends on them, and
 * the excludes go into the plan before them.
 */
static unsigned int pick_includes(const struct route_plan_input *in,
				  struct route_plan_entry *inc, unsigned int *skipped)
{
	struct ip_prefix server = server_prefix(in);
	unsigned int n_exc = in->n_exclude < ROUTE_PLAN_MAX_IN ? in->n_exclude : ROUTE_PLAN_MAX_IN;
	unsigned int n = 0;

	for (unsigned int i = 0; i < in->n_include && i < ROUTE_PLAN_MAX_IN; i++) {
		const struct ip_prefix *p = &in->include[i];
		const struct ip_prefix *net = tun_net(in, p->addr.family);
		bool dup = false;

		for (unsigned int j = 0; j < n && !dup; j++)
			dup = same_prefix(&inc[j].dst, p);
		if (!net || same_prefix(net, p) || dup || same_prefix(&server, p) ||
		    in_list(in->exclude, n_exc, p)) {
			(*skipped)++;
			continue;
		}
		inc[n].dst = *p;
		ip_prefix_clear_host(&inc[n].dst);
		inc[n].via = ROUTE_VIA_TUN;
		inc[n++].server = false;
	}
	return n;
}

void route_plan_build(struct route_plan *plan, const struct route_plan_input *in)
{
	struct route_plan_entry inc[ROUTE_PLAN_MAX_IN];
	struct ip_prefix server = server_prefix(in);
	unsigned int n_inc;

	memset(plan, 0, sizeof(*plan));
	n_inc = pick_includes(in, inc, &plan->n_skipped);
	for (unsigned int i = 0; i < in->n_exclude && i < ROUTE_PLAN_MAX_IN; i++) {
		const struct ip_prefix *p = &in->exclude[i];

		if (!tunnelled(inc, n_inc, in, p) || planned(plan, ROUTE_VIA_BEFORE, p, false)) {
			plan->n_skipped++;
			continue;
		}
		add(plan, p, ROUTE_VIA_BEFORE, false);
	}
	if (server.addr.family && tunnelled(inc, n_inc, in, &server) &&
	    !planned(plan, ROUTE_VIA_BEFORE, &server, true))
		add(plan, &server, ROUTE_VIA_BEFORE, true);
	for (unsigned int i = 0; i < n_inc; i++)
		plan->route[plan->n++] = inc[i];
	/* By what the server gave: an include that is the tun's network still splits. */
	plan->full4 = tun_net(in, AF_INET) != NULL;
	plan->full6 = tun_net(in, AF_INET6) != NULL;
	for (unsigned int i = 0; i < in->n_include && i < ROUTE_PLAN_MAX_IN; i++) {
		if (in->include[i].addr.family == AF_INET)
			plan->full4 = false;
		else
			plan->full6 = false;
	}
}
