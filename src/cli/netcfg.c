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

/* A socket for the interface ioctls and ifr named ifname.  The fd, or -errno (said). */
static int open_ifreq(const char *ifname, struct ifreq *ifr, char *err, size_t errlen)
{
	int fd;

	if (strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface name '%s' too long", ifname);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	memset(ifr, 0, sizeof(*ifr));
	strcpy(ifr->ifr_name, ifname);
	return fd;
}

static int set_up(int fd, struct ifreq *ifr)
{
	if (ioctl(fd, SIOCGIFFLAGS, ifr) < 0)
		return -errno;
	ifr->ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, ifr) < 0)
		return -errno;
	return 0;
}

static void say_failure(char *err, size_t errlen, const char *ifname, const char *step,
			const char *what, int ret)
{
	snprintf(err, errlen, "%s: %s%s%s%s: %s%s", ifname, step, what ? " (" : "",
		 what ? what : "", what ? ")" : "", strerror(-ret),
		 ret == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
}

int netcfg_link_up(const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, ret;

	fd = open_ifreq(ifname, &ifr, err, errlen);
	if (fd < 0)
		return fd;
	ret = set_up(fd, &ifr);
	if (ret)
		say_failure(err, errlen, ifname, "bringing the link up", NULL, ret);
	close(fd);
	return ret;
}

int netcfg_ipv4(const char *ifname, struct in_addr addr, struct in_addr netmask, char *err,
		size_t errlen)
{
	char text[INET_ADDRSTRLEN];
	struct ifreq ifr;
	const char *step;
	int fd, ret;

	fd = open_ifreq(ifname, &ifr, err, errlen);
	if (fd < 0)
		return fd;
	set_sin(&ifr.ifr_addr, addr);
	step = "setting the address";
	ret = ioctl(fd, SIOCSIFADDR, &ifr) < 0 ? -errno : 0;
	if (!ret) {
		/* The netmask after the address: setting the address resets it to the class's. */
		set_sin(&ifr.ifr_netmask, netmask);
		step = "setting the netmask";
		ret = ioctl(fd, SIOCSIFNETMASK, &ifr) < 0 ? -errno : 0;
	}
	if (!ret) {
		step = "bringing the link up";
		ret = set_up(fd, &ifr);
	}
	if (ret) {
		inet_ntop(AF_INET, &addr, text, sizeof(text));
		say_failure(err, errlen, ifname, step, text, ret);
	}
	close(fd);
	return ret;
}
