/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv4, IPv6 and TCP header layout, for the tun offloads (tun-gro.c, tun-tso.c). */
#ifndef ZCVPN_SRC_TUN_INET_WIRE_H
#define ZCVPN_SRC_TUN_INET_WIRE_H

enum inet_wire {
	IPV4_HDR = 20,			/* without options */
	IPV6_HDR = 40,			/* without extension headers */
	TCP_HDR = 20,			/* without options */
	TCP_CSUM_OFFSET = 16,
	PROTO_TCP = 6,
};

enum tcp_flags {
	TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10,
	TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80,
};

#endif /* ZCVPN_SRC_TUN_INET_WIRE_H */
