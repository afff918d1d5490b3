/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The IPv6 address, route lookups and routes, through rtnetlink (netcfg.h): one request
 * per call on a socket of its own, answered by the kernel's ack or its one reply.
 */
#include "config.h"

#include "src/cli/netcfg.h"

#include <assert.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum {
	REQUEST_SIZE = 256,		/* a header, a body, four attributes of an address */
	REPLY_SIZE = 8192,		/* a route: its attributes, metrics and cache info */
	RTNL_TIMEOUT_S = 5,		/* the kernel answers at once; never hang on it */
};

union request {
	struct nlmsghdr h;
	char buf[REQUEST_SIZE];
};

union reply {
	struct nlmsghdr h;
	char buf[REPLY_SIZE];
};

/* A request of type with a zeroed body of body bytes; the body returned. */
static void *start(union request *r, uint16_t type, uint16_t flags, size_t body)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(body);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	r->h.nlmsg_seq = 1;
	return NLMSG_DATA(&r->h);
}

static void put_attr(union request *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(r->h.nlmsg_len));

	/* Our requests are a fixed few attributes: a bigger one is a bug here. */
	assert(NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) <= sizeof(r->buf));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* The answer to r: its ack's status, or with reply the first other message, copied. */
static int answer(int fd, const union request *r, union reply *reply)
{
	union reply in;

	for (;;) {
		ssize_t n = recv(fd, in.buf, sizeof(in.buf), 0);
		int left;

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)n;
		for (struct nlmsghdr *h = &in.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ? -EPROTO : e->error;
			}
			if (reply) {
				memcpy(reply, h, h->nlmsg_len);
				return 0;
			}
		}
	}
}

static int talk(union request *r, union reply *reply)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = RTNL_TIMEOUT_S };
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		ret = -errno;
	else
		ret = answer(fd, r, reply);
	close(fd);
	return ret;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static const void *addr_bytes(const struct ip_addr *a)
{
	return a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6;
}

static const char *hint(int ret)
{
	return ret == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "";
}

int netcfg_ipv6(const char *ifname, const struct ip_prefix *addr, char *err, size_t errlen)
{
	char text[IP_PREFIX_STRLEN];
	unsigned int index = if_nametoindex(ifname);
	struct ifaddrmsg *ifa;
	union request r;
	int ret;

	ip_prefix_format(addr, text);
	if (!index) {
		snprintf(err, errlen, "%s: no such interface for the IPv6 address %s", ifname, text);
		return -ENODEV;
	}
	ifa = start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = (unsigned char)addr->len;
	/* The server hands out the address: duplicate detection on a tunnel finds no one. */
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = index;
	put_attr(&r, IFA_LOCAL, &addr->addr.v6, sizeof(addr->addr.v6));
	put_attr(&r, IFA_ADDRESS, &addr->addr.v6, sizeof(addr->addr.v6));
	ret = talk(&r, NULL);
	if (ret)
		snprintf(err, errlen, "%s: adding the IPv6 address %s: %s%s", ifname, text,
			 strerror(-ret),
			 ret == -EACCES ? " (IPv6 is disabled on it: net.ipv6.conf.*.disable_ipv6)" :
			 ret == -EAFNOSUPPORT ? " (the kernel has no IPv6)" : hint(ret));
	return ret;
}

/* The way of a route as `ip route` writes it: "via GW dev IF", "dev IF", "unreachable". */
static void describe(const struct ip_prefix *dst, const struct netcfg_nexthop *via, char *out,
		     size_t len)
{
	char d[IP_PREFIX_STRLEN], gw[INET6_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";

	ip_prefix_format(dst, d);
	ip_addr_format(&via->gateway, gw);
	if (via->oif && !if_indextoname((unsigned int)via->oif, dev))
		snprintf(dev, sizeof(dev), "#%d", via->oif);
	if (via->type != RTN_UNICAST)
		snprintf(out, len, "%s %s", via->type == RTN_UNREACHABLE ? "unreachable" :
			 via->type == RTN_BLACKHOLE ? "blackhole" : "prohibit", d);
	else
		snprintf(out, len, "%s%s%s dev %s", d, gw[0] ? " via " : "", gw, dev);
}

int netcfg_route_lookup(const struct ip_addr *dst, struct netcfg_nexthop *out, char *err,
			size_t errlen)
{
	char text[INET6_ADDRSTRLEN];
	union reply reply;
	union request r;
	struct rtmsg *rt;
	int ret, left;

	memset(out, 0, sizeof(*out));
	rt = start(&r, RTM_GETROUTE, 0, sizeof(*rt));
	rt->rtm_family = (unsigned char)dst->family;
	rt->rtm_dst_len = (unsigned char)(8 * addr_len(dst->family));
	put_attr(&r, RTA_DST, addr_bytes(dst), addr_len(dst->family));
	ret = talk(&r, &reply);
	ip_addr_format(dst, text);
	if (ret == -ENETUNREACH || ret == -EHOSTUNREACH) {
		out->type = RTN_UNREACHABLE;
		return 0;
	}
	if (!ret && (reply.h.nlmsg_type != RTM_NEWROUTE ||
		     reply.h.nlmsg_len < NLMSG_LENGTH(sizeof(*rt))))
		ret = -EPROTO;
	if (ret) {
		snprintf(err, errlen, "looking up the route to %s: %s", text, strerror(-ret));
		return ret;
	}
	rt = NLMSG_DATA(&reply.h);
	out->type = rt->rtm_type;
	left = (int)RTM_PAYLOAD(&reply.h);
	for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		size_t n = RTA_PAYLOAD(a);

		if (a->rta_type == RTA_OIF && n == sizeof(int)) {
			memcpy(&out->oif, RTA_DATA(a), sizeof(int));
		} else if (a->rta_type == RTA_GATEWAY && n == addr_len(dst->family)) {
			out->gateway.family = dst->family;
			memcpy(dst->family == AF_INET ? (void *)&out->gateway.v4 :
			       (void *)&out->gateway.v6, RTA_DATA(a), n);
		} else if (a->rta_type == RTA_VIA) {
			snprintf(err, errlen, "the route to %s has a next hop of the other family: "
				 "cannot copy it", text);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int route_request(uint16_t type, uint16_t flags, const struct ip_prefix *dst,
			 const struct netcfg_nexthop *via)
{
	union request r;
	struct rtmsg *rt;
	uint32_t oif = (uint32_t)via->oif;

	rt = start(&r, type, flags | NLM_F_ACK, sizeof(*rt));
	rt->rtm_family = (unsigned char)dst->addr.family;
	rt->rtm_dst_len = (unsigned char)dst->len;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_type = via->type;
	if (type == RTM_DELROUTE)
		rt->rtm_scope = RT_SCOPE_NOWHERE;	/* any scope: as `ip route del` asks */
	else if (via->type == RTN_UNICAST && !via->gateway.family)
		rt->rtm_scope = RT_SCOPE_LINK;
	else
		rt->rtm_scope = RT_SCOPE_UNIVERSE;
	if (dst->len)
		put_attr(&r, RTA_DST, addr_bytes(&dst->addr), addr_len(dst->addr.family));
	if (oif)
		put_attr(&r, RTA_OIF, &oif, sizeof(oif));
	if (via->gateway.family)
		put_attr(&r, RTA_GATEWAY, addr_bytes(&via->gateway),
			 addr_len(via->gateway.family));
	return talk(&r, NULL);
}

int netcfg_route_add(const struct ip_prefix *dst, const struct netcfg_nexthop *via, char *err,
		     size_t errlen)
{
	char text[128];
	int ret = route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, via);

	if (ret) {
		describe(dst, via, text, sizeof(text));
		snprintf(err, errlen, "adding the route %s: %s%s", text, strerror(-ret), hint(ret));
	}
	return ret;
}

int netcfg_route_del(const struct ip_prefix *dst, const struct netcfg_nexthop *via, char *err,
		     size_t errlen)
{
	char text[128];
	int ret = route_request(RTM_DELROUTE, 0, dst, via);

	if (ret) {
		describe(dst, via, text, sizeof(text));
		snprintf(err, errlen, "removing the route %s: %s%s", text, strerror(-ret), hint(ret));
	}
	return ret;
}
