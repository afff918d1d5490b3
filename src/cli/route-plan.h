/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which routes the driver installs for a VPN session when it configures the tun itself
 * (no vpnc-script): the server's split includes into the tunnel, and the split excludes
 * that lie inside them back the way they went before the VPN.  Pure logic, no kernel:
 * the driver looks up and installs what the plan says (netcfg.h).
 *
 * Policy, per address family:
 *  - a family the tun has no address of gets no routes (packets there would leave with
 *    another interface's source address, which the server drops);
 *  - a family with an address but no include is a full tunnel: the plan takes no
 *    default route (a vpnc-script does that, --script), it only says so (full4, full6);
 *  - an include equal to the tun's own network is the kernel's route already, one equal
 *    to an exclude loses to it, a repeated one counts once;
 *  - an exclude matters only inside an include or the tun's own network: elsewhere the
 *    traffic never went to the tun, so it is left out;
 *  - the server's own address, if an include or the tun's network covers it and no
 *    exclude does, gets a host route the old way too, or the tunnel would carry itself.
 */
#ifndef ZCVPN_SRC_CLI_ROUTE_PLAN_H
#define ZCVPN_SRC_CLI_ROUTE_PLAN_H

#include <stdbool.h>

#include "src/cli/ip-prefix.h"

enum route_via {
	ROUTE_VIA_TUN,			/* into the tunnel */
	ROUTE_VIA_BEFORE,		/* the way the kernel routed it before the VPN */
};

enum route_plan_limits {
	ROUTE_PLAN_MAX_IN = 128,	/* includes, and excludes, taken at most */
	ROUTE_PLAN_MAX = 2 * ROUTE_PLAN_MAX_IN + 1,	/* both lists and the server */
};

struct route_plan_input {
	const struct ip_prefix *include, *exclude;	/* borrowed; networks */
	unsigned int n_include, n_exclude;	/* at most ROUTE_PLAN_MAX_IN each */
	struct ip_prefix tun4, tun6;	/* the tun's addresses with their lengths; family 0:
					 * none of that family */
	struct ip_addr server;		/* the VPN server as reached; family 0: unknown */
};

struct route_plan_entry {
	struct ip_prefix dst;		/* host bits clear */
	enum route_via via;
	bool server;			/* the host route that keeps the server out of the tun */
};

struct route_plan {
	/* ROUTE_VIA_BEFORE entries first: they are looked up before anything is added. */
	struct route_plan_entry route[ROUTE_PLAN_MAX];
	unsigned int n;
	bool full4, full6;		/* an address of the family, and no include given for it */
	unsigned int n_skipped;		/* includes and excludes that would change nothing */
};

/* Fills *plan from *in, by the policy above. */
void route_plan_build(struct route_plan *plan, const struct route_plan_input *in);

#endif /* ZCVPN_SRC_CLI_ROUTE_PLAN_H */
