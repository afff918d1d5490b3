/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine: configuration checks, the UDP socket, the two rings, the tun backend and
 * the transport; the epoll loop (own thread or the host's), timers and stats.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "proto/esp-transport.h"
#include "src/tun/tun.h"

enum engine_defaults {
	DEFAULT_MTU = 1400,
	DEFAULT_RING_SIZE = 4u << 20,
	DEFAULT_BATCH = 32,
	DEFAULT_SOCK_BUF = 4u << 20,
	/*
	 * Against ocserv on this kind of machine, 500 us halves the client's CPU per byte of
	 * 100 us under bulk TCP and still keeps ping under that load below what openconnect
	 * shows (tests/ocserv-iperf.sh measures both); 1000 us saves a little more CPU but
	 * doubles ping under a download.
	 */
	DEFAULT_MODERATION_US = 500,
	MAX_MODERATION_US = 1000,
	DEFAULT_DTLS_REDIAL_MS = 60000,	/* openconnect's DTLS attempt period */
	MIN_MTU = 576,
	MAX_MTU = 9000,
	PROCESS_ROUNDS = 16,		/* batches per wakeup before yielding to epoll */
	TRANSPORT_TICK_MS = 50,		/* DTLS retransmission, DPD and keepalive timers */
};

uint64_t engine_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

ZCVPN_EXPORT void zcvpn_config_init(struct zcvpn_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu = DEFAULT_MTU;
	cfg->ring_size = DEFAULT_RING_SIZE;
	cfg->batch = DEFAULT_BATCH;
	cfg->moderation_us = DEFAULT_MODERATION_US;
	cfg->anyconnect.redial_ms = DEFAULT_DTLS_REDIAL_MS;
	cfg->sock_buf = DEFAULT_SOCK_BUF;
	cfg->replay_window = 64;
	cfg->tun = ZCVPN_TUN_MEM;
	cfg->mem_min_size = 64;
	cfg->mem_flow_id = 1;
	cfg->mem_expect_flow_id = 1;
}

int engine_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Turns the public SA description into the ESP module's, checking names and lengths. */
static int sa_from_public(const struct zcvpn_esp_sa *in, unsigned window,
			  struct esp_sa_config *out, const char *which, char *errbuf,
			  size_t errlen)
{
	const char *msg;

	memset(out, 0, sizeof(*out));
	out->spi = in->spi;
	out->replay_window = window;
	if (!in->enc || esp_enc_parse(in->enc, &out->enc))
		return engine_fail(errbuf, errlen, -EINVAL,
			    "%s SA: unknown encryption '%s' (aes128-gcm, aes256-gcm, aes128-cbc, aes256-cbc)",
			    which, in->enc ? in->enc : "(none)");
	if (esp_auth_parse(in->auth ? in->auth : "none", &out->auth))
		return engine_fail(errbuf, errlen, -EINVAL,
			    "%s SA: unknown authentication '%s' (none, hmac-md5-96, hmac-sha1-96, hmac-sha256-128)",
			    which, in->auth);
	if (in->enc_key_len > sizeof(out->enc_key) || in->auth_key_len > sizeof(out->auth_key) ||
	    (in->enc_key_len && !in->enc_key) || (in->auth_key_len && !in->auth_key))
		return engine_fail(errbuf, errlen, -EINVAL, "%s SA: key too long or missing", which);
	if (in->enc_key_len)
		memcpy(out->enc_key, in->enc_key, in->enc_key_len);
	if (in->auth_key_len)
		memcpy(out->auth_key, in->auth_key, in->auth_key_len);
	out->enc_key_len = (uint32_t)in->enc_key_len;
	out->auth_key_len = (uint32_t)in->auth_key_len;
	if (esp_sa_config_check(out, &msg))
		return engine_fail(errbuf, errlen, -EINVAL, "%s SA: %s", which, msg);
	if (out->spi < 256)
		return engine_fail(errbuf, errlen, -EINVAL,
			    "%s SA: SPI %u is reserved (RFC 4303: 1..255 are IANA's, 0 is invalid)",
			    which, out->spi);
	return 0;
}

ZCVPN_EXPORT int zcvpn_esp_key_lengths(const char *enc, const char *auth, size_t *enc_len,
				       size_t *auth_len)
{
	enum esp_enc e;
	enum esp_auth a;

	if (!enc || !auth || esp_enc_parse(enc, &e) || esp_auth_parse(auth, &a))
		return -EINVAL;
	if ((e == ESP_ENC_AES128_GCM || e == ESP_ENC_AES256_GCM) != (a == ESP_AUTH_NONE))
		return -EINVAL;
	*enc_len = esp_enc_key_len(e);
	*auth_len = esp_auth_key_len(a);
	return 0;
}

static int check_config(const struct zcvpn_config *cfg, char *errbuf, size_t errlen)
{
	if (cfg->mtu < MIN_MTU || cfg->mtu > MAX_MTU)
		return engine_fail(errbuf, errlen, -EINVAL, "MTU %u out of range (%u..%u)", cfg->mtu,
			    MIN_MTU, MAX_MTU);
	if (cfg->moderation_us > MAX_MODERATION_US)
		return engine_fail(errbuf, errlen, -EINVAL, "moderation_us %u out of range (0..%u)",
				   cfg->moderation_us, MAX_MODERATION_US);
	if (cfg->batch < 1 || cfg->batch > ENGINE_MAX_BATCH)
		return engine_fail(errbuf, errlen, -EINVAL, "batch %u out of range (1..%u)", cfg->batch,
			    ENGINE_MAX_BATCH);
	if (!cfg->local && !cfg->remote)
		return engine_fail(errbuf, errlen, -EINVAL, "need a local address, a remote one, or both");
	if (cfg->tun != ZCVPN_TUN_MEM && cfg->tun != ZCVPN_TUN_LINUX)
		return engine_fail(errbuf, errlen, -EINVAL, "unknown tun backend %d", (int)cfg->tun);
	return 0;
}

static uint16_t round16(uint32_t v)
{
	return (uint16_t)((v + 15) & ~15u);
}

static int make_rings(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		      size_t errlen)
{
	struct ring_params p = {
		.capacity = cfg->ring_size,
		.max_payload = cfg->mtu,
		.lead = round16(e->transport.max_head),
		.trail = round16(e->transport.max_tail),
		.align = 16,
		.ip_only = true,
	};
	const char *msg;
	int ret;

	if (ring_params_check(&p, &msg))
		return engine_fail(errbuf, errlen, -EINVAL, "ring size %u: %s", cfg->ring_size, msg);
	ret = ring_new(&e->tx, &p);
	if (!ret)
		ret = ring_new(&e->rx, &p);
	if (ret)
		return engine_fail(errbuf, errlen, ret, "creating rings: %s", strerror(-ret));
	return 0;
}

static int make_esp(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		    size_t errlen)
{
	struct esp_sa_config in, out;
	struct esp *esp;
	int ret;

	ret = sa_from_public(&cfg->esp_in, cfg->replay_window, &in, "inbound", errbuf, errlen);
	if (!ret)
		ret = sa_from_public(&cfg->esp_out, cfg->replay_window, &out, "outbound", errbuf,
				     errlen);
	if (!ret)
		ret = esp_new(&esp);
	if (ret)
		goto out;
	esp_transport_init(&e->transport, esp);
	e->esp = esp;
	ret = esp_set_inbound(esp, &in, NULL);
	if (!ret)
		ret = esp_set_outbound(esp, &out, NULL);
	if (ret)
		engine_fail(errbuf, errlen, ret, "setting up ESP: %s", strerror(-ret));
out:
	crypto_wipe(&in, sizeof(in));
	crypto_wipe(&out, sizeof(out));
	return ret;
}

static int make_transport(struct zcvpn_engine *e, const struct zcvpn_config *cfg,
			  char *errbuf, size_t errlen)
{
	switch (cfg->protocol) {
	case ZCVPN_PROTOCOL_ESP:
		return make_esp(e, cfg, errbuf, errlen);
	case ZCVPN_PROTOCOL_ANYCONNECT:
		e->tick_ms = TRANSPORT_TICK_MS;
		return engine_make_anyconnect(e, cfg, errbuf, errlen);
	default:
		return engine_fail(errbuf, errlen, -EINVAL, "unknown protocol %d",
				   (int)cfg->protocol);
	}
}

static int make_tun(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		    size_t errlen)
{
	int ret;

	if (cfg->tun == ZCVPN_TUN_LINUX) {
		struct tun_linux_config lc = {
			.name = cfg->tun_name, .mtu = cfg->mtu, .no_coalesce = cfg->no_coalesce,
		};

		ret = tun_linux_new(&e->tun, &lc, e->tx, e->rx);
		if (ret)
			return engine_fail(errbuf, errlen, ret, "tun device%s%s: %s%s",
				    cfg->tun_name ? " " : "", cfg->tun_name ? cfg->tun_name : "",
				    strerror(-ret),
				    ret == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
	} else {
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

		ret = tun_mem_new(&e->tun, &mc, e->tx, e->rx);
		if (ret)
			return engine_fail(errbuf, errlen, ret,
				    "in-memory tun: bad traffic settings (sizes %u..%u, IPv6 %u%%)",
				    mc.min_size, mc.max_size, mc.ipv6_percent);
	}
	return 0;
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
		return engine_fail(errbuf, errlen, -errno, "event loop: %s", strerror(errno));
	ret = watch(e->epoll_fd, e->udp_fd, EPOLLIN);
	if (!ret)
		ret = watch(e->epoll_fd, ring_event_fd(e->tx), EPOLLIN);
	if (!ret)
		ret = watch(e->epoll_fd, e->stop_fd, EPOLLIN);
	if (!ret)
		ret = watch(e->epoll_fd, e->timer_fd, EPOLLIN);
	if (ret)
		return engine_fail(errbuf, errlen, ret, "event loop: %s", strerror(-ret));
	if (e->keepalive_ms || e->tick_ms) {
		unsigned ms = e->tick_ms ? e->tick_ms : e->keepalive_ms;
		struct itimerspec its = {
			.it_interval = { ms / 1000, (ms % 1000) * 1000000L },
		};

		its.it_value = its.it_interval;
		/* Taken before arming, so it is never later than the real expiry. */
		e->timer_period_ns = (uint64_t)ms * 1000000u;
		e->timer_due_ns = engine_now_ns() + e->timer_period_ns;
		timerfd_settime(e->timer_fd, 0, &its, NULL);
	}
	return 0;
}

ZCVPN_EXPORT int zcvpn_engine_new(struct zcvpn_engine **out, const struct zcvpn_config *cfg,
				  char *errbuf, size_t errlen)
{
	struct zcvpn_engine *e;
	int ret;

	if (!out || !cfg)
		return engine_fail(errbuf, errlen, -EINVAL, "no config");
	ret = check_config(cfg, errbuf, errlen);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e)
		return engine_fail(errbuf, errlen, -ENOMEM, "out of memory");
	e->udp_fd = e->epoll_fd = e->timer_fd = e->stop_fd = -1;
	e->mtu = cfg->mtu;
	e->batch = cfg->batch;
	e->moderation_us = cfg->moderation_us;
	e->keepalive_ms = cfg->keepalive_ms;
	e->answer_probes = cfg->answer_probes;
	e->replay_window = cfg->replay_window;
	pthread_mutex_init(&e->snapshot_lock, NULL);
	pthread_mutex_init(&e->path_lock, NULL);

	ret = make_transport(e, cfg, errbuf, errlen);
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

/*
 * The transport's timers.  While it reports itself down (handshake failed, peer dead or
 * gone, and until a redial is up), tun packets go to the host's fallback if it set one;
 * during the first handshake they wait, so that a handshake in progress costs no copies.
 */
static void transport_tick(struct zcvpn_engine *e)
{
	e->transport_down = e->transport.ops->tick(e->transport.ctx, engine_now_ns()) != 0;
}

/* The timer: the transport's own (DTLS), or ESP keepalives after a quiet period. */
static void timer_tick(struct zcvpn_engine *e)
{
	uint64_t expirations, now = engine_now_ns();

	/* Same clock as the timer: before the due time it cannot have fired; skip the read. */
	if (now < e->timer_due_ns)
		return;
	if (read(e->timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	e->timer_due_ns += expirations * e->timer_period_ns;
	if (e->transport.ops->tick)
		transport_tick(e);
	else if (now - e->last_tx_ns >= (uint64_t)e->keepalive_ms * 1000000u)
		engine_send_probe(e);
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

static void take_snapshot(struct zcvpn_engine *e)
{
	struct ring_stats rs;

	if (!e->tx || !e->transport.ops)
		return;
	pthread_mutex_lock(&e->snapshot_lock);
	e->snapshot = e->stats;
	e->transport.ops->stats(e->transport.ctx, &e->snapshot);
	ring_get_stats(e->tx, &rs);
	e->snapshot.ring_skipped_non_ip = rs.skipped_non_ip;
	pthread_mutex_unlock(&e->snapshot_lock);
}

/* Makes an eventfd readable. */
static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, so it is readable already. */
	}
}

ZCVPN_EXPORT int zcvpn_engine_process(struct zcvpn_engine *e)
{
	bool rx_drained = false;
	unsigned int moved = 0;
	int ret = 0;

	pthread_mutex_lock(&e->path_lock);
	ring_wait_finish(e->tx);
	for (int round = 0; round < PROCESS_ROUNDS; round++) {
		int rx = rx_drained ? 0 : engine_rx_batch(e, &rx_drained);
		int tx = engine_tx_batch(e);

		if (rx < 0 || tx < 0) {
			ret = rx < 0 ? rx : tx;
			break;
		}
		if (!rx && !tx)
			break;
		moved += (unsigned int)(rx + tx);
	}
	engine_moderation_account(e, moved, engine_now_ns());
	if (e->keepalive_ms || e->tick_ms)
		timer_tick(e);
	update_pollout(e);
	take_snapshot(e);
	/*
	 * Arm the tx ring's wakeup.  If records arrived meanwhile, make the fd readable
	 * ourselves so the next epoll_wait returns at once instead of sleeping on them.
	 * Without a peer the records wait, and so do we: the first authenticated
	 * datagram wakes us through the socket.
	 */
	if (((e->connected && engine_transport_ready(e)) || engine_use_fallback(e)) &&
	    ring_wait_prepare(e->tx))
		kick(ring_event_fd(e->tx));
	pthread_mutex_unlock(&e->path_lock);
	return ret;
}

ZCVPN_EXPORT int zcvpn_engine_rekey(struct zcvpn_engine *e, const struct zcvpn_esp_sa *in,
				    const struct zcvpn_esp_sa *out, char *errbuf, size_t errlen)
{
	struct esp_sa_config ic, oc;
	int ret = 0;

	if (!e->esp)
		return engine_fail(errbuf, errlen, -EINVAL,
				   "rekey: not an ESP engine (DTLS rekeys by handshake)");
	if (in)
		ret = sa_from_public(in, e->replay_window, &ic, "inbound", errbuf, errlen);
	if (!ret && out)
		ret = sa_from_public(out, e->replay_window, &oc, "outbound", errbuf, errlen);
	if (ret)
		goto out;
	pthread_mutex_lock(&e->path_lock);
	if (in)
		ret = esp_set_inbound(e->esp, &ic, NULL);
	if (!ret && out)
		ret = esp_set_outbound(e->esp, &oc, NULL);
	pthread_mutex_unlock(&e->path_lock);
	if (ret)
		engine_fail(errbuf, errlen, ret, "rekey: %s", strerror(-ret));
out:
	crypto_wipe(&ic, sizeof(ic));
	crypto_wipe(&oc, sizeof(oc));
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

	for (;;) {
		int n = epoll_wait(e->epoll_fd, ev, 8, -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == e->stop_fd && stop_requested(e))
				return NULL;
		if (zcvpn_engine_process(e) == -EBADMSG) {
			fprintf(stderr, "zcvpn: a ring is corrupt; the engine stops\n");
			break;
		}
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
	e->last_tx_ns = engine_now_ns();
	/*
	 * The tun only signals a consumer that armed its wakeup, and process() is what arms
	 * it.  Make the fd readable now, so the first process() runs before any sleep (in
	 * either embedding mode) instead of after some unrelated event.
	 */
	kick(ring_event_fd(e->tx));
	/* Say hello at once, so a server waiting to learn its peer learns it now. */
	if (e->connected && e->keepalive_ms)
		engine_send_probe(e);
	/* A DTLS client sends its ClientHello now, not one timer period later. */
	if (e->transport.ops->tick)
		transport_tick(e);
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

/* The rx ring has one producer at a time: the path lock keeps process() out meanwhile. */
ZCVPN_EXPORT int zcvpn_engine_inject(struct zcvpn_engine *e, const void *pkt, size_t len)
{
	struct ring_rec rec;
	int ret;

	if (!len || len > e->mtu)
		return -EMSGSIZE;
	pthread_mutex_lock(&e->path_lock);
	ret = ring_reserve(e->rx, (uint32_t)len, &rec);
	if (ret) {
		e->stats.rx_ring_full++;
		ret = -ENOBUFS;
		goto out;
	}
	memcpy(rec.payload, pkt, len);
	ring_commit(e->rx, &rec);
	ret = ring_publish(e->rx) < 0 ? -EBADMSG : 0;
	e->stats.rx_packets++;
	e->stats.rx_bytes += len;
	e->stats.copied_bytes += len;
	e->stats.fallback_rx_packets++;
	e->stats.fallback_rx_bytes += len;
out:
	pthread_mutex_unlock(&e->path_lock);
	return ret;
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
	/* Nothing runs the data path now: say goodbye (DTLS DISCONNECT, close_notify). */
	if (e->tun_running && e->transport.ops->close && !e->transport_closed) {
		pthread_mutex_lock(&e->path_lock);
		e->transport.ops->close(e->transport.ctx);
		e->transport_closed = true;
		pthread_mutex_unlock(&e->path_lock);
	}
	if (e->tun_running) {
		tun_stop(e->tun);
		e->tun_running = false;
	}
	take_snapshot(e);
}

ZCVPN_EXPORT void zcvpn_engine_get_stats(struct zcvpn_engine *e, struct zcvpn_stats *st)
{
	struct tun_stats ts;

	pthread_mutex_lock(&e->snapshot_lock);
	*st = e->snapshot;
	pthread_mutex_unlock(&e->snapshot_lock);
	if (!e->tun)
		return;
	tun_get_stats(e->tun, &ts);
	st->tun_tx_packets = ts.tx_packets;
	st->tun_rx_packets = ts.rx_packets;
	st->tun_tx_ring_full = ts.tx_ring_full;
	st->tun_errors = ts.tx_errors + ts.rx_errors;
	st->tun_tx_segmented = ts.tx_segmented;
	/* The tun's copies are the engine's too: a re-laid TSO packet is not zero copy. */
	st->copied_bytes += ts.tx_copied_bytes;
	st->tun_rx_writes = ts.rx_writes;
	st->tun_rx_coalesced = ts.rx_coalesced;
	st->sink_good = ts.sink_good;
	st->sink_corrupt = ts.sink_corrupt;
	st->sink_lost = ts.sink_lost;
	st->sink_reordered = ts.sink_reordered;
	st->sink_duplicate = ts.sink_duplicate;
	st->generator_done = ts.generator_done;
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
	if (e->transport.ops)
		e->transport.ops->free(e->transport.ctx);
	ring_free(e->tx);
	ring_free(e->rx);
	close_fd(e->udp_fd);
	close_fd(e->epoll_fd);
	close_fd(e->timer_fd);
	close_fd(e->stop_fd);
	pthread_mutex_destroy(&e->snapshot_lock);
	pthread_mutex_destroy(&e->path_lock);
	free(e);
}
