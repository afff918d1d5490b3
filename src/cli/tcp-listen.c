/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The servers' TCP listener (tcp-listen.h). */
#include "config.h"

#include "src/cli/tcp-listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Splits ADDR:PORT; IPv6 in brackets.  0 or -EINVAL. */
static int split(const char *addr, char *host, size_t hostlen, const char **port)
{
	const char *colon = strrchr(addr, ':');
	size_t hl;

	if (!colon || colon == addr || !colon[1])
		return -EINVAL;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && colon[-1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= hostlen)
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	*port = colon + 1;
	return 0;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -errno;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					       ((struct sockaddr_in6 *)&ss)->sin6_port);
}

int tcp_listen(const char *addr, int backlog, int *port, char *host, size_t hostlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	const char *service;
	int fd, one = 1, ret;

	if (split(addr, host, hostlen, &service) || getaddrinfo(host, service, &hints, &ai))
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, backlog)) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return ret;
	}
	freeaddrinfo(ai);
	ret = bound_port(fd);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	*port = ret;
	return fd;
}
