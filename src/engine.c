/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine: the UDP socket, the two rings, the tun backend and one transport found by
 * its protocol id; the epoll loop (own thread or the host's) and its lifecycle.  It
 * knows no protocol: everything protocol-specific is behind proto/transport.h.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "src/tun/tun.h"
#include "src/util/clock.h"

enum {
	PROCESS_ROUNDS = 16,		/* batches per wakeup before yielding to epoll */
};

static uint16_t round16(uint32_t v)
{
	return (uint16_t)((v + 15) & ~15u);
}

static int make_rings(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		      size_t errlen)
{
	const struct transport *t = e->transport;
	struct ring_params p = {
		.capacity = cfg->ring_size,
		.max_payload = cfg->mtu,
		.lead = round16(t->max_head),
		.trail = round16(t->max_tail),
		.align = 16,
		.ip_only = true,
	};
	struct ring_params rp = p;
	const char *msg;
	int ret;

	/* A framing that only shrinks on receive still receives its grown datagrams. */
	if (t->max_rx_tail > t->max_tail)
		rp.trail = round16(t->max_rx_tail);
	/*
	 * GRO messages are received into 64 KiB runs.  A run of one datagram leaves most
	 * of its reservation as a filler until the tun side passes it, so the rx ring gets
	 * more address space; pages nothing is received into are never touched.
	 */
	if (e->gro.wanted) {
		rp.max_run = ENGINE_GRO_RUN_BYTES;
		/* Carved payloads lie where the wire put them; align only the size words. */
		rp.align = ENGINE_GRO_ALIGN;
		if (rp.capacity <= RING_MAX_CAPACITY / ENGINE_GRO_RING_FACTOR)
			rp.capacity *= ENGINE_GRO_RING_FACTOR;
		if (rp.capacity < 4 * ENGINE_GRO_RUN_BYTES)
			rp.capacity = 4 * ENGINE_GRO_RUN_BYTES;
	}
	if (ring_params_check(&p, &msg) || ring_params_check(&rp, &msg))
		return errbuf_fail(errbuf, errlen, -EINVAL, "ring size %u: %s", cfg->ring_size, msg);
	ret = ring_new(&e->tx, &p);
	if (!ret)
		ret = ring_new(&e->rx, &rp);
	if (ret)
		return errbuf_fail(errbuf, errlen, ret, "creating rings: %s", strerror(-ret));
	return 0;
}

/* The transport, created by its class from its own section of cfg. */
static int make_transport(struct zcvpn_engine *e, const struct zcvpn_config *cfg,
			  const struct transport_class *cls, char *errbuf, size_t errlen)
{
	struct transport_params params = {
		.mtu = cfg->mtu,
		.has_local = cfg->local || cfg->udp_fd >= 0,
		.has_remote = cfg->remote || cfg->udp_fd >= 0,
		.host = &e->host,
	};
	int ret;

	ret = cls->create(&e->transport, (const char *)cfg + cls->config_offset, &params,
			  errbuf, errlen);
	if (ret)
		return ret;
	if (e->transport->max_spare) {
		e->txb.spare = malloc((size_t)e->transport->max_spare * cfg->batch);
		if (!e->txb.spare)
			return errbuf_fail(errbuf, errlen, -ENOMEM, "out of memory");
	}
	ret = engine_stats_init(e);
	if (ret)
		return errbuf_fail(errbuf, errlen, ret, "out of memory");
	return 0;
}

/* The tun backend's run-time troubles become events from the "tun" source. */
static void tun_report(void *ctx, int err, const char *msg)
{
	engine_log(ctx, "tun", err ? ZCVPN_LOG_ERR : ZCVPN_LOG_WARNING, err, "%s", msg);
}

static int make_tun(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		    size_t errlen)
{
	int ret;

	if (cfg->tun == ZCVPN_TUN_MEM) {
		struct tun_mem_config mc = {
			.count = cfg->mem_count,
			.min_size = cfg->mem_min_size,
			.max_size = cfg->mem_max_size ? cfg->mem_max_size : cfg->mtu,
			.ipv6_percent = cfg->mem_ipv6_percent,
			.rate_pps = cfg->mem_rate_pps,
			.flow_id = cfg->mem_flow_id,
			.expect_flow_id = cfg->mem_expect_flow_id,
			.seed = cfg->mem_seed,
		};

		ret = tun_mem_new(&e->tun, &mc, e->tx, e->rx, errbuf, errlen);
	} else {
		struct tun_linux_config lc = {
			.name = cfg->tun_name,
			.mtu = cfg->mtu,
			.no_coalesce = cfg->no_coalesce,
			.multi_queue = cfg->tun_multi_queue,
			.has_fd = cfg->tun == ZCVPN_TUN_FD,
			.fd = cfg->tun_fd,
		};

		ret = tun_linux_new(&e->tun, &lc, e->tx, e->rx, errbuf, errlen);
	}
	if (!ret)
		tun_set_report(e->tun, tun_report, e);
	return ret;
}

static int watch(int epfd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int make_loop(struct zcvpn_engine *e, char *errbuf, size_t errlen)
{
	int ret;

	e->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	e->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (e->epoll_fd < 0 || e->stop_fd < 0 || e->timer_fd < 0)
		return errbuf_fail(errbuf, errlen, -errno, "event loop: %s", strerror(errno));
	ret = watch(e->epoll_fd, e->udp_fd, EPOLLIN);
	if (!ret)
		ret = watch(e->epoll_fd, ring_event_fd(e->tx), EPOLLIN);
	if (!ret)
		ret = watch(e->epoll_fd, e->stop_fd, EPOLLIN);
	if (!ret)
		ret = watch(e->epoll_fd, e->timer_fd, EPOLLIN);
	if (ret)
		return errbuf_fail(errbuf, errlen, ret, "event loop: %s", strerror(-ret));
	return 0;
}

ZCVPN_EXPORT int zcvpn_engine_new(struct zcvpn_engine **out, const struct zcvpn_config *cfg,
				  char *errbuf, size_t errlen)
{
	const struct transport_class *cls;

	if (!out || !cfg)
		return errbuf_fail(errbuf, errlen, -EINVAL, "no config");
	cls = transport_class_find(cfg->protocol);
	if (!cls)
		return errbuf_fail(errbuf, errlen, -EINVAL, "unknown protocol %d",
				   (int)cfg->protocol);
	return engine_new_with_class(out, cfg, cls, errbuf, errlen);
}

int engine_new_with_class(struct zcvpn_engine **out, const struct zcvpn_config *cfg,
			  const struct transport_class *cls, char *errbuf, size_t errlen)
{
	struct zcvpn_engine *e;
	int ret;

	*out = NULL;
	ret = engine_check_config(cfg, errbuf, errlen);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e)
		return errbuf_fail(errbuf, errlen, -ENOMEM, "out of memory");
	e->udp_fd = e->parked_fd = e->epoll_fd = e->timer_fd = e->stop_fd = -1;
	e->timer_armed_ns = TRANSPORT_NO_DEADLINE;
	e->mtu = cfg->mtu;
	e->batch = cfg->batch;
	e->moderation_us = cfg->moderation_us;
	e->event_fn = cfg->event_fn;
	e->event_ctx = cfg->event_ctx;
	pthread_mutex_init(&e->snapshot_lock, NULL);
	pthread_mutex_init(&e->path_lock, NULL);
	pthread_mutex_init(&e->event_lock, NULL);
	engine_host_init(e);

	ret = make_transport(e, cfg, cls, errbuf, errlen);
	if (!ret)
		ret = engine_open_socket(e, cfg, errbuf, errlen);
	if (!ret)
		ret = make_rings(e, cfg, errbuf, errlen);
	if (!ret)
		ret = make_tun(e, cfg, errbuf, errlen);
	if (!ret)
		ret = make_loop(e, errbuf, errlen);
	if (ret) {
		zcvpn_engine_free(e);
		return ret;
	}
	*out = e;
	return 0;
}

ZCVPN_EXPORT int zcvpn_engine_local_port(const struct zcvpn_engine *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(e->udp_fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

ZCVPN_EXPORT int zcvpn_engine_fd(const struct zcvpn_engine *e)
{
	return e->epoll_fd;
}

/* Asks epoll for writability only while encrypted datagrams wait for the socket. */
static void update_pollout(struct zcvpn_engine *e)
{
	bool want = e->tx_pending != 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = e->udp_fd };

	if (want == e->want_pollout)
		return;
	if (want)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(e->epoll_fd, EPOLL_CTL_MOD, e->udp_fd, &ev) == 0)
		e->want_pollout = want;
}

/* Makes an eventfd readable. */
static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, so it is readable already. */
	}
}

/* Rounds of rx and tx batches until both are idle; returns packets moved, or -errno. */
static int move_packets(struct zcvpn_engine *e, unsigned int *moved)
{
	bool rx_drained = false;

	for (int round = 0; round < PROCESS_ROUNDS; round++) {
		int rx = rx_drained ? 0 : engine_rx_batch(e, &rx_drained);
		int tx = engine_tx_batch(e);

		if (rx < 0 || tx < 0)
			return rx < 0 ? rx : tx;
		if (!rx && !tx)
			break;
		*moved += (unsigned int)(rx + tx);
	}
	return 0;
}

/*
 * Arms the tx ring's wakeup.  If records arrived meanwhile, make the fd readable
 * ourselves so the next epoll_wait returns at once instead of sleeping on them.
 * Without a peer the records wait, and so do we: the first authenticated datagram
 * wakes us through the socket (or, with a stream, the input that brings PPP up).
 */
static void arm_tx_wakeup(struct zcvpn_engine *e)
{
	if (((e->connected && engine_transport_ready(e)) || engine_use_fallback(e)) &&
	    ring_wait_prepare(e->tx))
		kick(ring_event_fd(e->tx));
}

ZCVPN_EXPORT int zcvpn_engine_process(struct zcvpn_engine *e)
{
	unsigned int moved = 0;
	uint64_t now;
	int ret;

	pthread_mutex_lock(&e->path_lock);
	ring_wait_finish(e->tx);
	engine_sample_rings(e);
	ret = move_packets(e, &moved);
	now = now_ns();
	engine_moderation_account(e, moved, now);
	engine_run_timers(e, now);
	update_pollout(e);
	engine_take_snapshot(e, now);
	arm_tx_wakeup(e);
	pthread_mutex_unlock(&e->path_lock);
	if (ret == -EBADMSG)
		engine_log(e, "engine", ZCVPN_LOG_ERR, ret,
			   "a ring is corrupt: the data path stops");
	return ret;
}

ZCVPN_EXPORT int zcvpn_engine_rekey(struct zcvpn_engine *e, const struct zcvpn_rekey *rk,
				    char *errbuf, size_t errlen)
{
	int ret;

	if (!e)
		return errbuf_fail(errbuf, errlen, -EINVAL, "rekey: no engine");
	if (!e->transport->ops->rekey)
		return errbuf_fail(errbuf, errlen, -EOPNOTSUPP,
				   "rekey: the %s transport has no rekey of its own",
				   e->transport->cls->name);
	pthread_mutex_lock(&e->path_lock);
	ret = e->transport->ops->rekey(e->transport, rk, errbuf, errlen);
	pthread_mutex_unlock(&e->path_lock);
	return ret;
}

static bool stop_requested(struct zcvpn_engine *e)
{
	uint64_t v;

	return read(e->stop_fd, &v, sizeof(v)) == sizeof(v);
}

static void *engine_thread(void *arg)
{
	struct zcvpn_engine *e = arg;
	struct epoll_event ev[8];

	/* Named, so per-thread CPU (top -H, /proc/PID/task) tells the two apart. */
	pthread_setname_np(pthread_self(), "zcvpn-engine");

	for (;;) {
		int n = epoll_wait(e->epoll_fd, ev, 8, -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == e->stop_fd && stop_requested(e))
				return NULL;
		if (zcvpn_engine_process(e) == -EBADMSG)
			break;
		engine_moderation_wait(e);
	}
	return NULL;
}

ZCVPN_EXPORT int zcvpn_engine_start(struct zcvpn_engine *e, unsigned flags)
{
	int ret;

	if (e->tun_running || e->thread_running)
		return -EALREADY;
	ret = tun_start(e->tun);
	if (ret)
		return ret;
	e->tun_running = true;
	/*
	 * The tun only signals a consumer that armed its wakeup, and process() is what arms
	 * it.  Make the fd readable now, so the first process() runs before any sleep (in
	 * either embedding mode) instead of after some unrelated event.  That first run also
	 * runs the transport's timers: a client says hello (a ClientHello, a probe) at
	 * once, not one timer period later.
	 */
	kick(ring_event_fd(e->tx));
	if (flags & ZCVPN_START_THREAD) {
		ret = -pthread_create(&e->thread, NULL, engine_thread, e);
		if (ret) {
			tun_stop(e->tun);
			e->tun_running = false;
			return ret;
		}
		e->thread_running = true;
	}
	return 0;
}

ZCVPN_EXPORT void zcvpn_engine_set_fallback(struct zcvpn_engine *e, zcvpn_fallback_fn fn,
					    void *ctx)
{
	pthread_mutex_lock(&e->path_lock);
	e->fallback = fn;
	e->fallback_ctx = ctx;
	pthread_mutex_unlock(&e->path_lock);
}

int engine_inject_locked(struct zcvpn_engine *e, const void *pkt, size_t len)
{
	struct ring_rec rec;
	int ret;

	if (!len || len > e->mtu)
		return -EMSGSIZE;
	ret = ring_reserve(e->rx, (uint32_t)len, &rec);
	if (ret) {
		e->stats.rx_ring_full++;
		return -ENOBUFS;
	}
	memcpy(rec.payload, pkt, len);
	ring_commit(e->rx, &rec);
	ret = ring_publish(e->rx) < 0 ? -EBADMSG : 0;
	e->stats.rx_packets++;
	e->stats.rx_bytes += len;
	e->stats.copied_bytes += len;
	e->stats.fallback_rx_packets++;
	e->stats.fallback_rx_bytes += len;
	return ret;
}

/* The rx ring has one producer at a time: the path lock keeps process() out meanwhile. */
ZCVPN_EXPORT int zcvpn_engine_inject(struct zcvpn_engine *e, const void *pkt, size_t len)
{
	int ret;

	pthread_mutex_lock(&e->path_lock);
	ret = engine_inject_locked(e, pkt, len);
	pthread_mutex_unlock(&e->path_lock);
	return ret;
}

ZCVPN_EXPORT int zcvpn_engine_set_stream(struct zcvpn_engine *e, zcvpn_stream_write_fn fn,
					 void *ctx)
{
	if (!e->transport->ops->stream_open)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&e->path_lock);
	e->stream_write = fn;
	e->stream_ctx = ctx;
	e->transport->ops->stream_open(e->transport);
	/*
	 * The stream's link opens on the transport's timers, and its first
	 * Configure-Request may be what the peer waits for: have process() run them now,
	 * as at start, instead of at the next unrelated event.
	 */
	if (e->tun_running)
		kick(ring_event_fd(e->tx));
	pthread_mutex_unlock(&e->path_lock);
	return 0;
}

/* Like process(): under the path lock, then the timers, which the input may move. */
ZCVPN_EXPORT int zcvpn_engine_stream_input(struct zcvpn_engine *e, const void *buf,
					   size_t len)
{
	uint64_t now;

	if (!e->stream_write)
		return -ENOTCONN;
	pthread_mutex_lock(&e->path_lock);
	e->transport->ops->stream_input(e->transport, buf, len);
	now = now_ns();
	engine_run_timers(e, now);
	engine_take_snapshot(e, now);	/* what the host reads next (state) is current */
	/* The input may have brought the stream's PPP up: packets waiting go now. */
	arm_tx_wakeup(e);
	pthread_mutex_unlock(&e->path_lock);
	return 0;
}

ZCVPN_EXPORT void zcvpn_engine_stop(struct zcvpn_engine *e)
{
	if (!e)
		return;
	if (e->thread_running) {
		kick(e->stop_fd);
		pthread_join(e->thread, NULL);
		e->thread_running = false;
	}
	/* Nothing runs the data path now: the transport says goodbye to its peer. */
	if (e->tun_running && e->transport->ops->close && !e->transport_closed) {
		pthread_mutex_lock(&e->path_lock);
		e->transport->ops->close(e->transport);
		e->transport_closed = true;
		pthread_mutex_unlock(&e->path_lock);
	}
	if (e->tun_running) {
		tun_stop(e->tun);
		e->tun_running = false;
	}
	engine_take_snapshot(e, now_ns());
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

ZCVPN_EXPORT void zcvpn_engine_free(struct zcvpn_engine *e)
{
	if (!e)
		return;
	zcvpn_engine_stop(e);
	tun_free(e->tun);
	if (e->transport)
		e->transport->ops->free(e->transport);
	engine_stats_free(e);
	free(e->txb.spare);
	ring_free(e->tx);
	ring_free(e->rx);
	engine_close_socket(e);
	close_fd(e->epoll_fd);
	close_fd(e->timer_fd);
	close_fd(e->stop_fd);
	pthread_mutex_destroy(&e->snapshot_lock);
	pthread_mutex_destroy(&e->path_lock);
	pthread_mutex_destroy(&e->event_lock);
	free(e);
}
