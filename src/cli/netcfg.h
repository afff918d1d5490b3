/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interface configuration the driver does itself, through the kernel's own interfaces
 * (no ip(8), no vpnc-script): the IPv4 address and netmask the VPN server assigned and
 * the link up (ioctl, netcfg.c); the IPv6 address and routes (rtnetlink, netcfg-rtnl.c).
 * The MTU is the tun backend's job.  Each call is one synchronous request to the kernel;
 * all return 0, or -errno with a message in err (-EPERM: needs CAP_NET_ADMIN).
 */
#ifndef ZCVPN_SRC_CLI_NETCFG_H
#define ZCVPN_SRC_CLI_NETCFG_H

#include <netinet/in.h>
#include <stddef.h>

#include "src/cli/ip-prefix.h"

int netcfg_ipv4(const char *ifname, struct in_addr addr, struct in_addr netmask, char *err,
		size_t errlen);

/* Sets ifname up, for a tunnel without an IPv4 address (netcfg_ipv4 does it too). */
int netcfg_link_up(const char *ifname, char *err, size_t errlen);

/* ---- netcfg-rtnl.c ---- */

/*
 * The IPv6 address and prefix length on ifname (the link already up, netcfg_ipv4 or
 * netcfg_link_up).  A prefix shorter than 128 brings the kernel's route for it.
 * -EACCES: IPv6 is disabled on the interface; -EAFNOSUPPORT: in the kernel.
 */
int netcfg_ipv6(const char *ifname, const struct ip_prefix *addr, char *err, size_t errlen);

/* A route's way out, as RTM_GETROUTE answers for an address and RTM_NEWROUTE takes it. */
struct netcfg_nexthop {
	unsigned char type;		/* RTN_UNICAST; RTN_UNREACHABLE when there was no route;
					 * RTN_LOCAL and the like: not a way out */
	int oif;			/* interface index; 0: none */
	struct ip_addr gateway;		/* family 0: on the link itself */
};

/*
 * How the kernel routes dst now (main routing decision, no source): the answer for a
 * destination without a route is type RTN_UNREACHABLE, not an error.  -EOPNOTSUPP for a
 * way this cannot copy (a next hop of the other family).
 */
int netcfg_route_lookup(const struct ip_addr *dst, struct netcfg_nexthop *out, char *err,
			size_t errlen);

/* Into the main table; -EEXIST if it has a route for dst (left as it is). */
int netcfg_route_add(const struct ip_prefix *dst, const struct netcfg_nexthop *via, char *err,
		     size_t errlen);
/* The route netcfg_route_add made, by the same arguments.  -ESRCH: it is gone already. */
int netcfg_route_del(const struct ip_prefix *dst, const struct netcfg_nexthop *via, char *err,
		     size_t errlen);

#endif /* ZCVPN_SRC_CLI_NETCFG_H */
