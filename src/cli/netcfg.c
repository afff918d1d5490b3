/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv4 address, netmask and link state of an interface, set through ioctl. */
#include "config.h"

#include "src/cli/netcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void set_sin(struct sockaddr *sa, struct in_addr a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };

	memcpy(sa, &sin, sizeof(sin));
}

int netcfg_ipv4(const char *ifname, struct in_addr addr, struct in_addr netmask, char *err,
		size_t errlen)
{
	char text[INET_ADDRSTRLEN];
	struct ifreq ifr;
	const char *step;
	int fd, ret = 0;

	if (strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface name '%s' too long", ifname);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	set_sin(&ifr.ifr_addr, addr);
	step = "setting the address";
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		goto fail;
	/* The netmask after the address: setting the address resets it to the class's. */
	set_sin(&ifr.ifr_netmask, netmask);
	step = "setting the netmask";
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		goto fail;
	step = "bringing the link up";
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	goto out;
fail:
	ret = -errno;
	inet_ntop(AF_INET, &addr, text, sizeof(text));
	snprintf(err, errlen, "%s: %s (%s): %s%s", ifname, step, text, strerror(errno),
		 ret == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
out:
	close(fd);
	return ret;
}
