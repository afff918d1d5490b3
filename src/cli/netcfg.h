/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interface configuration the driver does itself, through the kernel's ioctl interface
 * (no ip(8), no vpnc-script): the IPv4 address and netmask the VPN server assigned, and
 * the link up.  The MTU is the tun backend's job.
 */
#ifndef ZCVPN_SRC_CLI_NETCFG_H
#define ZCVPN_SRC_CLI_NETCFG_H

#include <netinet/in.h>
#include <stddef.h>

/* 0, or -errno with a message in err (-EPERM: needs CAP_NET_ADMIN). */
int netcfg_ipv4(const char *ifname, struct in_addr addr, struct in_addr netmask, char *err,
		size_t errlen);

#endif /* ZCVPN_SRC_CLI_NETCFG_H */
