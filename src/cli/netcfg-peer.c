/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Point-to-point addresses of a server's per-session tun (netcfg-peer.h). */
#include "config.h"

#include "src/cli/netcfg-peer.h"

#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* <linux/ipv6.h>'s, which cannot be included beside <netinet/in.h>. */
struct in6_ifreq_compat {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static void set_sin(struct sockaddr *sa, struct in_addr a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };

	memcpy(sa, &sin, sizeof(sin));
}

static int peer4(int fd, const char *ifname, struct in_addr local, struct in_addr peer,
		 const char **step)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	set_sin(&ifr.ifr_addr, local);
	*step = "setting the address";
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		return -errno;
	set_sin(&ifr.ifr_netmask, (struct in_addr){ .s_addr = 0xffffffff });
	*step = "setting the netmask";
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		return -errno;
	set_sin(&ifr.ifr_dstaddr, peer);
	*step = "setting the peer address";
	if (ioctl(fd, SIOCSIFDSTADDR, &ifr) < 0)
		return -errno;
	*step = "bringing the link up";
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int peer6(int fd, const char *ifname, const struct in6_addr *local,
		 const struct in6_addr *peer, const char **step)
{
	struct in6_ifreq_compat req = { .addr = *local, .prefixlen = 128 };
	struct in6_rtmsg rt = { .rtmsg_dst = *peer, .rtmsg_dst_len = 128, .rtmsg_metric = 1,
				.rtmsg_flags = RTF_UP | RTF_HOST };

	*step = "finding the interface";
	req.ifindex = (int)if_nametoindex(ifname);
	if (!req.ifindex)
		return -errno;
	*step = "setting the IPv6 address";
	if (ioctl(fd, SIOCSIFADDR, &req) < 0 && errno != EEXIST)
		return -errno;
	rt.rtmsg_ifindex = req.ifindex;
	*step = "adding the route to the peer's IPv6 address";
	if (ioctl(fd, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int netcfg_peer(const char *ifname, const struct ip_addr *local, const struct ip_addr *peer,
		char *err, size_t errlen)
{
	char text[INET6_ADDRSTRLEN];
	const char *step = "opening a socket";
	int fd, ret;

	if (strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface name '%s' too long", ifname);
		return -EINVAL;
	}
	if (local->family != peer->family) {
		snprintf(err, errlen, "%s: the two ends' address families differ", ifname);
		return -EINVAL;
	}
	fd = socket(local->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		ret = -errno;
	else if (local->family == AF_INET)
		ret = peer4(fd, ifname, local->v4, peer->v4, &step);
	else
		ret = peer6(fd, ifname, &local->v6, &peer->v6, &step);
	if (fd >= 0)
		close(fd);
	if (ret) {
		ip_addr_format(peer, text);
		snprintf(err, errlen, "%s: %s (peer %s): %s%s", ifname, step, text, strerror(-ret),
			 ret == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
	}
	return ret;
}
