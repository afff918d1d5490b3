/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A server's per-session tun as a point-to-point link (ocserv's vpns* do the same): its
 * own address on the local end, the client's lease as the peer, for IPv4 and IPv6, so
 * the kernel routes each client's address to its own session's device and to no other.
 * Through ioctl, like netcfg.c.
 */
#ifndef ZCVPN_SRC_CLI_NETCFG_PEER_H
#define ZCVPN_SRC_CLI_NETCFG_PEER_H

#include <stddef.h>

#include "src/cli/ip-prefix.h"

/*
 * local and peer: both IPv4 (the link is brought up) or both IPv6 (after the IPv4 call:
 * the address, and a host route to the peer).  0, or -errno with a message in err
 * (-EPERM: needs CAP_NET_ADMIN).
 */
int netcfg_peer(const char *ifname, const struct ip_addr *local, const struct ip_addr *peer,
		char *err, size_t errlen);

#endif /* ZCVPN_SRC_CLI_NETCFG_PEER_H */
