/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4 and IPv6 addresses and prefixes as a VPN server hands them out (DNS servers,
 * split routes, the tunnel's own address), parsed from text that may be hostile and
 * written back in the one canonical form a script can rely on.
 */
#ifndef ZCVPN_SRC_CLI_IP_PREFIX_H
#define ZCVPN_SRC_CLI_IP_PREFIX_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>

struct ip_addr {
	int family;			/* AF_INET or AF_INET6; 0: none */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct ip_prefix {
	struct ip_addr addr;
	unsigned int len;		/* 0..32 or 0..128 */
};

enum { IP_PREFIX_STRLEN = INET6_ADDRSTRLEN + 4 };	/* "ADDR/LEN" */

/* A bare IPv4 or IPv6 address.  0 or -EINVAL. */
int ip_addr_parse(const char *text, struct ip_addr *out);

/*
 * "ADDR", "ADDR/LEN", and for IPv4 also "ADDR/A.B.C.D" (ocserv's and Cisco's form; the
 * mask must be contiguous).  The address is kept as given: an interface address has host
 * bits.  A bare address is a host prefix.  0 or -EINVAL.
 */
int ip_prefix_parse(const char *text, struct ip_prefix *out);

/* The network of a route: host bits cleared (openconnect mends a server's route so too). */
void ip_prefix_clear_host(struct ip_prefix *p);

/*
 * Whether every address of inner lies in outer: same family, outer no longer, and the
 * first outer->len bits equal (host bits of either are ignored past that).
 */
bool ip_prefix_contains(const struct ip_prefix *outer, const struct ip_prefix *inner);

/* The address as inet_ntop writes it; "" for none. */
void ip_addr_format(const struct ip_addr *a, char out[INET6_ADDRSTRLEN]);

/* "ADDR/LEN"; "" for none. */
void ip_prefix_format(const struct ip_prefix *p, char out[IP_PREFIX_STRLEN]);

/* The IPv4 netmask of a prefix length (0..32). */
struct in_addr ip_mask4(unsigned int len);

/* The prefix length of a contiguous IPv4 netmask; false for a mask with holes. */
bool ip_mask4_len(struct in_addr mask, unsigned int *len);

#endif /* ZCVPN_SRC_CLI_IP_PREFIX_H */
