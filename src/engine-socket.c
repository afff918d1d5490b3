/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's UDP socket: the host's, or opened from the configuration, and opened again
 * when the transport starts a new session over a new path (a redial).
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "src/addr.h"

/*
 * What the engine wants of any UDP socket, its own or the host's: buffers of buf bytes,
 * the kernel's drop count on each datagram (SO_RXQ_OVFL: loss is then explained, not
 * guessed), and GSO and GRO where they are wanted and the kernel has them.  GRO is set
 * before the first datagram can arrive and never cleared: from then on any message may
 * be a run, and every receive must have room for one.
 */
static void tune_socket(struct zcvpn_engine *e, int fd)
{
	int buf = e->sock_buf;
	bool *gso = &e->gso.enabled;

	/* Root may go past net.core.[rw]mem_max; others get what the sysctl allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	/* Setting a socket-wide segment size of 0 only proves the kernel knows UDP GSO. */
	if (*gso)
		*gso = setsockopt(fd, SOL_UDP, UDP_SEGMENT, &(int){ 0 }, sizeof(int)) == 0;
	engine_gro_socket(e, fd);
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &(int){ 1 }, sizeof(int));
}

/* A non-blocking UDP socket, tuned, and protected by the host's callback if it gave one. */
static int new_udp_socket(struct zcvpn_engine *e, int family)
{
	int ret, fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	tune_socket(e, fd);
	if (e->protect_socket) {
		ret = e->protect_socket(e->protect_ctx, fd);
		if (ret) {
			close(fd);
			return ret < 0 ? ret : -EPERM;
		}
	}
	return fd;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return ((const struct sockaddr_in *)ss)->sin_port;
}

/* Sets the port (network order) of an IPv4 or IPv6 address. */
static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = port;
	else
		((struct sockaddr_in *)ss)->sin_port = port;
}

/* A client's peer, from the configuration: the socket only talks to it from now on. */
static int connect_peer(struct zcvpn_engine *e, const struct sockaddr_storage *remote,
			socklen_t rlen, const char *name, char *errbuf, size_t errlen)
{
	if (connect(e->udp_fd, (const struct sockaddr *)remote, rlen))
		return errbuf_fail(errbuf, errlen, -errno, "connect %s: %s", name,
				   strerror(errno));
	e->peer = *remote;
	e->peer_len = rlen;
	e->connected = true;
	e->peer_configured = true;
	return 0;
}

/*
 * The host's socket: borrowed, made non-blocking and tuned; connected if cfg names the
 * peer, and taken as connected if the host connected it.  A redial keeps it.
 */
static int adopt_socket(struct zcvpn_engine *e, const struct zcvpn_config *cfg,
			const struct sockaddr_storage *remote, socklen_t rlen, char *errbuf,
			size_t errlen)
{
	int flags = fcntl(cfg->udp_fd, F_GETFL);

	if (flags < 0 || fcntl(cfg->udp_fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errbuf_fail(errbuf, errlen, -errno, "host socket %d: %s", cfg->udp_fd,
				   strerror(errno));
	e->udp_fd = cfg->udp_fd;
	e->own_udp_fd = false;
	e->local_port_fixed = true;
	tune_socket(e, e->udp_fd);
	if (rlen)
		return connect_peer(e, remote, rlen, cfg->remote, errbuf, errlen);
	e->peer_len = sizeof(e->peer);
	if (getpeername(e->udp_fd, (struct sockaddr *)&e->peer, &e->peer_len))
		return 0;	/* not connected: a server learns its peer */
	e->connected = true;
	e->peer_configured = true;
	return 0;
}

int engine_open_socket(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		       size_t errlen)
{
	struct sockaddr_storage local, remote;
	socklen_t llen = 0, rlen = 0;
	int family;

	if (cfg->local && addr_parse(cfg->local, &local, &llen))
		return errbuf_fail(errbuf, errlen, -EINVAL,
			    "bad local address '%s' (want 1.2.3.4:PORT or [::1]:PORT)", cfg->local);
	if (cfg->remote && addr_parse(cfg->remote, &remote, &rlen))
		return errbuf_fail(errbuf, errlen, -EINVAL,
			    "bad remote address '%s' (want 1.2.3.4:PORT or [::1]:PORT)", cfg->remote);
	e->sock_buf = (int)cfg->sock_buf;
	e->gso.enabled = !cfg->no_gso;
	e->gro.wanted = !cfg->no_gro && e->transport->rx_min_overhead >= ENGINE_GRO_MIN_OVERHEAD;
	e->protect_socket = cfg->protect_socket;
	e->protect_ctx = cfg->protect_ctx;
	if (cfg->udp_fd >= 0)
		return adopt_socket(e, cfg, &remote, rlen, errbuf, errlen);
	family = cfg->local ? local.ss_family : remote.ss_family;
	if (cfg->local && cfg->remote && local.ss_family != remote.ss_family)
		return errbuf_fail(errbuf, errlen, -EINVAL, "local and remote address families differ");
	e->udp_fd = new_udp_socket(e, family);
	if (e->udp_fd < 0)
		return errbuf_fail(errbuf, errlen, e->udp_fd, "socket: %s", strerror(-e->udp_fd));
	e->own_udp_fd = true;
	if (cfg->local && bind(e->udp_fd, (struct sockaddr *)&local, llen))
		return errbuf_fail(errbuf, errlen, -errno, "bind %s: %s", cfg->local, strerror(errno));
	if (cfg->local) {
		e->local_port_fixed = port_of(&local) != 0;
		e->bound_len = sizeof(e->bound);
		if (getsockname(e->udp_fd, (struct sockaddr *)&e->bound, &e->bound_len))
			e->bound_len = 0;
	}
	if (cfg->remote)
		return connect_peer(e, &remote, rlen, cfg->remote, errbuf, errlen);
	return 0;
}

static void close_parked(struct zcvpn_engine *e)
{
	if (e->parked_fd >= 0 && e->own_parked_fd)
		close(e->parked_fd);
	e->parked_fd = -1;
}

/* The current socket out of the epoll set, kept open (engine.h, parked_fd). */
static void park_socket(struct zcvpn_engine *e)
{
	close_parked(e);
	epoll_ctl(e->epoll_fd, EPOLL_CTL_DEL, e->udp_fd, NULL);
	e->parked_fd = e->udp_fd;
	e->own_parked_fd = e->own_udp_fd;
}

/*
 * Client: the same peer from a new socket, so from a new source port, bound to the
 * configured local address if there was one.  A port the configuration fixed stays:
 * the same socket has to do then.
 */
static int reopen_to_peer(struct zcvpn_engine *e)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sockaddr_storage local = e->bound;
	int fd;

	if (e->local_port_fixed)
		return 0;
	fd = new_udp_socket(e, e->peer.ss_family);
	if (fd < 0)
		return fd;
	ev.data.fd = fd;
	set_port(&local, 0);
	if ((e->bound_len && bind(fd, (struct sockaddr *)&local, e->bound_len)) ||
	    connect(fd, (struct sockaddr *)&e->peer, e->peer_len) ||
	    epoll_ctl(e->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	/*
	 * Its drop count starts again at 0: keep the old one's.  Other threads read the
	 * live count from udp_fd (engine_socket_drops), so the swap is under their lock.
	 */
	pthread_mutex_lock(&e->snapshot_lock);
	e->socket_drops_base += engine_socket_drops(e->udp_fd, e->socket_drops);
	e->socket_drops = 0;
	park_socket(e);
	e->udp_fd = fd;
	e->own_udp_fd = true;
	pthread_mutex_unlock(&e->snapshot_lock);
	e->want_pollout = false;
	return 0;
}

/*
 * Server: dissolve the association (AF_UNSPEC) and learn the next peer afresh.  Linux
 * also unbinds a port the kernel chose (a bind to port 0) on that disconnect, so such a
 * socket binds its old address again.
 */
static int forget_peer(struct zcvpn_engine *e)
{
	struct sockaddr any = { .sa_family = AF_UNSPEC };
	struct sockaddr_storage now;
	socklen_t len = sizeof(now);

	if (e->connected && connect(e->udp_fd, &any, sizeof(any)))
		return -errno;
	e->connected = false;
	e->candidate_len = 0;
	if (getsockname(e->udp_fd, (struct sockaddr *)&now, &len))
		return -errno;
	if (!port_of(&now) && e->bound_len &&
	    bind(e->udp_fd, (struct sockaddr *)&e->bound, e->bound_len))
		return -errno;
	return 0;
}

int engine_new_path(struct zcvpn_engine *e)
{
	return e->peer_configured ? reopen_to_peer(e) : forget_peer(e);
}

uint32_t engine_socket_drops(int fd, uint32_t seen)
{
	uint32_t meminfo[SK_MEMINFO_VARS];
	socklen_t len = sizeof(meminfo);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return seen;
	return meminfo[SK_MEMINFO_DROPS] > seen ? meminfo[SK_MEMINFO_DROPS] : seen;
}

void engine_close_socket(struct zcvpn_engine *e)
{
	if (e->own_udp_fd && e->udp_fd >= 0)
		close(e->udp_fd);
	e->udp_fd = -1;
	close_parked(e);
}
