/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine through the public API only: two engines (client and server) over
 * loopback UDP with the in-memory tun, both embedding modes, rekeying, hostile datagrams
 * thrown at a running engine (counted, and reported in rate-limited events), the host's
 * own tun fd and UDP socket, moderation decided by rate and counted, idle timers, the
 * stats ABI and the counter enumeration, and configuration errors with their messages.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "src/zcvpn.h"
#include "tests/api-helpers.h"

static const uint8_t key_c2s[36] = "0123456789abcdef0123456789abcdefSALT";
static const uint8_t key_s2c[36] = "fedcba9876543210fedcba9876543210salt";
static const uint8_t auth_c2s[32] = "authentication-key-client-server";
static const uint8_t auth_s2c[32] = "authentication-key-server-client";

struct suite_row {
	const char *enc, *auth;
};

static const struct suite_row suites[] = {
	{ "aes128-gcm", "none" },
	{ "aes256-gcm", "none" },
	{ "aes128-cbc", "hmac-sha1-96" },
	{ "aes256-cbc", "hmac-sha256-128" },
};

static void set_sa(struct zcvpn_esp_sa *sa, const struct suite_row *row, uint32_t spi,
		   const uint8_t *key, const uint8_t *auth)
{
	size_t enc_len, auth_len;

	ck_assert_int_eq(zcvpn_esp_key_lengths(row->enc, row->auth, &enc_len, &auth_len), 0);
	*sa = (struct zcvpn_esp_sa){ .spi = spi, .enc = row->enc, .auth = row->auth,
				     .enc_key = key, .enc_key_len = enc_len,
				     .auth_key = auth_len ? auth : NULL, .auth_key_len = auth_len };
}

static void base_config(struct zcvpn_config *cfg, const struct suite_row *row, bool server,
			uint64_t count)
{
	zcvpn_config_init(cfg);
	cfg->mem_count = count;
	cfg->mem_min_size = 64;
	cfg->mem_ipv6_percent = 50;
	cfg->mem_flow_id = server ? 2 : 1;
	cfg->mem_expect_flow_id = server ? 1 : 2;
	cfg->mem_seed = server ? 22 : 11;
	/*
	 * Paced below what one core does both ways even with ASan and the other tests
	 * running beside it.  A loaded machine may still overflow a socket buffer now and
	 * then: the engine counts that (rx_socket_drops), and the checks below accept only
	 * loss that a named counter explains.
	 */
	cfg->mem_rate_pps = 40000;
	cfg->esp.answer_probes = server;
	cfg->esp.keepalive_ms = server ? 0 : 1000;
	if (server) {
		cfg->local = "127.0.0.1:0";
		set_sa(&cfg->esp.in, row, 0x1001, key_c2s, auth_c2s);
		set_sa(&cfg->esp.out, row, 0x2002, key_s2c, auth_s2c);
	} else {
		set_sa(&cfg->esp.out, row, 0x1001, key_c2s, auth_c2s);
		set_sa(&cfg->esp.in, row, 0x2002, key_s2c, auth_s2c);
	}
}

/* Datagrams the kernel or the rings dropped at e: loss that is not the engine's fault. */
static uint64_t accounted_loss(const struct zcvpn_stats *st)
{
	return st->rx_socket_drops + st->rx_ring_full;
}

static bool finished(struct zcvpn_engine *e, uint64_t count)
{
	struct zcvpn_stats st;

	get_stats(e, &st);
	return st.generator_done && st.tx_packets >= count &&
	       st.sink_good + st.sink_corrupt + accounted_loss(&st) >= count;
}

/*
 * Everything count packets either arrived intact and in place or was dropped for a
 * named reason outside the engine (a full socket buffer); nothing corrupt, nothing
 * copied, nothing refused as invalid.
 */
static void expect_clean(struct zcvpn_engine *e, uint64_t count, const char *who)
{
	struct zcvpn_stats st;

	get_stats(e, &st);
	ck_assert_msg(st.sink_good + accounted_loss(&st) == count,
		      "%s: good %llu of %llu (lost %llu, socket drops %llu, ring full %llu)", who,
		      (unsigned long long)st.sink_good, (unsigned long long)count,
		      (unsigned long long)st.sink_lost, (unsigned long long)st.rx_socket_drops,
		      (unsigned long long)st.rx_ring_full);
	ck_assert_uint_eq(st.sink_corrupt, 0);
	ck_assert_uint_eq(st.sink_duplicate, 0);
	ck_assert_uint_eq(st.tx_packets, count);
	ck_assert_uint_eq(st.rx_packets, st.sink_good);
	ck_assert_uint_eq(st.rx_invalid, 0);
	ck_assert_uint_eq(counter(e, "rx_bad_icv") + counter(e, "rx_bad_spi"), 0);
	/* The point of the whole exercise. */
	ck_assert_uint_eq(st.copied_bytes, 0);
	ck_assert_uint_gt(st.send_calls, 0);
	ck_assert_uint_lt(st.send_calls, count);	/* batching happened */
}

/* A server and a client engine joined over loopback. */
struct tunnel {
	struct zcvpn_engine *server, *client;
	uint64_t count;
};

/* Probes as in base_config unless probes is false: then none at all. */
static void tunnel_open(struct tunnel *t, const struct suite_row *row, uint64_t count,
			bool probes, unsigned start_flags, uint64_t rate)
{
	struct zcvpn_config scfg, ccfg;
	char err[256], remote[64];

	t->count = count;
	base_config(&scfg, row, true, count);
	base_config(&ccfg, row, false, count);
	if (rate)
		scfg.mem_rate_pps = ccfg.mem_rate_pps = rate;
	if (!probes) {
		scfg.esp.answer_probes = false;
		ccfg.esp.keepalive_ms = 0;
	}
	ck_assert_msg(zcvpn_engine_new(&t->server, &scfg, err, sizeof(err)) == 0, "%s", err);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(t->server));
	ccfg.remote = remote;
	ck_assert_msg(zcvpn_engine_new(&t->client, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(t->server, start_flags), 0);
	ck_assert_int_eq(zcvpn_engine_start(t->client, start_flags), 0);
}

static bool tunnel_done(const struct tunnel *t)
{
	return finished(t->client, t->count) && finished(t->server, t->count);
}

/* Engines in their own threads: just watch the counters until done or the deadline. */
static void tunnel_wait(const struct tunnel *t, double seconds)
{
	double deadline = now_s() + seconds;

	while (!tunnel_done(t) && now_s() < deadline)
		usleep(10000);
}

static void tunnel_close_and_check(struct tunnel *t)
{
	zcvpn_engine_stop(t->client);
	zcvpn_engine_stop(t->server);
	expect_clean(t->client, t->count, "client");
	expect_clean(t->server, t->count, "server");
	zcvpn_engine_free(t->client);
	zcvpn_engine_free(t->server);
}

/* Two engines, each in its own thread, count packets both ways. */
START_TEST(test_tunnel_own_threads)
{
	struct tunnel t;

	tunnel_open(&t, &suites[_i], 50000, true, ZCVPN_START_THREAD, 0);
	tunnel_wait(&t, 60);
	tunnel_close_and_check(&t);
}
END_TEST

/*
 * No probes at all: the server learns the client from its first data packet, and the
 * client's engine must start moving tx records without any datagram waking it first
 * (a lost wakeup at start-up stalled it until the keepalive timer once).
 */
START_TEST(test_tunnel_without_probes)
{
	struct tunnel t;

	tunnel_open(&t, &suites[0], 5000, false, ZCVPN_START_THREAD, 0);
	tunnel_wait(&t, 3);	/* well under any timer: the data path alone must go */
	tunnel_close_and_check(&t);
}
END_TEST

static int rekey(struct zcvpn_engine *e, const struct zcvpn_esp_sa *in,
		 const struct zcvpn_esp_sa *out, char *err, size_t errlen)
{
	struct zcvpn_rekey rk = { .esp = { .in = in, .out = out } };

	return zcvpn_engine_rekey(e, &rk, err, errlen);
}

/*
 * Rekey both directions mid-stream, inbound first at both ends and then outbound, as
 * the API asks: nothing is lost across the switch (a rekey that took effect at one end
 * only would lose everything after it as bad SPIs).
 */
START_TEST(test_rekey_mid_stream)
{
	static const uint8_t new_c2s[36] = "a new key for the client to server!!";
	static const uint8_t new_s2c[36] = "a new key for the server to client!!";
	struct zcvpn_esp_sa c2s, s2c;
	struct zcvpn_stats st;
	double deadline;
	struct tunnel t;
	char err[256];

	/* Slow pacing, so the rekey lands mid-stream; the old SA stays open until used. */
	tunnel_open(&t, &suites[_i], 10000, true, ZCVPN_START_THREAD, 5000);
	deadline = now_s() + 30;
	do {
		usleep(5000);
		get_stats(t.server, &st);
	} while (st.sink_good < 3000 && now_s() < deadline);
	set_sa(&c2s, &suites[_i], 0x3003, new_c2s, auth_s2c);
	set_sa(&s2c, &suites[_i], 0x4004, new_s2c, auth_c2s);
	ck_assert_msg(rekey(t.server, &c2s, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(rekey(t.client, &s2c, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(rekey(t.server, NULL, &s2c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(rekey(t.client, NULL, &c2s, err, sizeof(err)) == 0, "%s", err);
	tunnel_wait(&t, 30);
	/* A bad rekey is refused with a message and changes nothing. */
	c2s.enc_key_len = 7;
	ck_assert_int_eq(rekey(t.client, NULL, &c2s, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "key length"));
	ck_assert_int_eq(rekey(t.client, NULL, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(zcvpn_engine_rekey(t.client, NULL, err, sizeof(err)), -EINVAL);
	tunnel_close_and_check(&t);
}
END_TEST

/* The host's loop: poll both engines' fds and call process, all in this thread. */
START_TEST(test_tunnel_host_loop)
{
	double deadline = now_s() + 60;
	struct tunnel t;

	tunnel_open(&t, &suites[0], 20000, true, 0, 0);
	while (!tunnel_done(&t) && now_s() < deadline) {
		struct pollfd pfd[2] = {
			{ .fd = zcvpn_engine_fd(t.server), .events = POLLIN },
			{ .fd = zcvpn_engine_fd(t.client), .events = POLLIN },
		};

		/* A bounded wait: 100 ms without any event still loops to re-check. */
		if (poll(pfd, 2, 100) < 0)
			break;
		if (pfd[0].revents)
			ck_assert_int_eq(zcvpn_engine_process(t.server), 0);
		if (pfd[1].revents)
			ck_assert_int_eq(zcvpn_engine_process(t.client), 0);
	}
	tunnel_close_and_check(&t);
}
END_TEST

/* What a host sees through its event callback; events may come from two threads. */
struct event_log {
	pthread_mutex_t lock;
	unsigned int by_type[ZCVPN_EVENT_DROPS + 1];
	uint64_t dropped;		/* sum of the DROPS events' counts */
	char last_drops[256];
	char last_peer[64];
	bool bad_event;			/* no source, or no message */
};

static void log_event(void *ctx, const struct zcvpn_event *ev)
{
	struct event_log *l = ctx;

	pthread_mutex_lock(&l->lock);
	if ((unsigned int)ev->type <= ZCVPN_EVENT_DROPS)
		l->by_type[ev->type]++;
	if (!ev->source || !ev->message)
		l->bad_event = true;
	if (ev->type == ZCVPN_EVENT_PEER)
		snprintf(l->last_peer, sizeof(l->last_peer), "%s", ev->message);
	if (ev->type == ZCVPN_EVENT_DROPS) {
		l->dropped += ev->count;
		snprintf(l->last_drops, sizeof(l->last_drops), "%s", ev->message);
	}
	pthread_mutex_unlock(&l->lock);
}

static struct event_log *event_log_new(void)
{
	struct event_log *l = calloc(1, sizeof(*l));

	ck_assert_ptr_nonnull(l);
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

static uint64_t events_dropped(struct event_log *l)
{
	uint64_t v;

	pthread_mutex_lock(&l->lock);
	v = l->dropped;
	pthread_mutex_unlock(&l->lock);
	return v;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* Datagrams the engine dropped, for any reason it names. */
static uint64_t all_drops(const struct zcvpn_stats *st)
{
	return st->rx_invalid + st->rx_truncated + st->rx_socket_drops;
}

/*
 * Random bytes, truncated headers, known SPI with garbage, huge datagrams: every one
 * counted under a reason, and reported to the host in rate-limited DROPS events (at
 * most one a second) whose counts add up to the same.
 */
START_TEST(test_hostile_datagrams)
{
	static uint8_t buf[65000];
	const unsigned n = 20000;
	struct event_log *log = event_log_new();
	struct zcvpn_engine *server;
	struct zcvpn_config scfg;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct zcvpn_stats st;
	uint64_t seed = 42, flushes = 0;
	double start, deadline;
	char err[256];
	int fd;

	base_config(&scfg, &suites[2], true, 0);
	scfg.event_fn = log_event;
	scfg.event_ctx = log;
	ck_assert_msg(zcvpn_engine_new(&server, &scfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(server, ZCVPN_START_THREAD), 0);
	to.sin_port = htons((uint16_t)zcvpn_engine_local_port(server));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	start = now_s();
	for (unsigned i = 0; i < n; i++) {
		size_t len;

		switch (i % 5) {
		case 0: len = lcg(&seed) % 8; break;		/* shorter than a header */
		case 1: len = lcg(&seed) % 1500; break;		/* random garbage */
		case 2: len = 20000 + lcg(&seed) % 40000; break;	/* far too big */
		default: len = 8 + lcg(&seed) % 1500; break;	/* the right SPI, garbage after */
		}
		for (size_t b = 0; b < len; b++)
			buf[b] = (uint8_t)lcg(&seed);
		if (i % 5 >= 3 && len >= 4) {
			buf[0] = 0; buf[1] = 0; buf[2] = 0x10; buf[3] = 0x01;
		}
		ck_assert_int_ge(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), 0);
		if (i % 64 == 0)
			usleep(1000);	/* let the engine keep up; the socket buffer is finite */
	}
	/*
	 * Whatever the machine's load, each one ends up under some named reason, in the
	 * stats at once and in a DROPS event within a second (timer-driven).  The engine
	 * learns of the kernel's drops from the next datagram's SO_RXQ_OVFL, so if the very
	 * last ones were dropped, a 1-byte datagram more (itself a drop: too short) tells it.
	 */
	deadline = now_s() + 20;
	for (double last = now_s(); now_s() < deadline;) {
		usleep(50000);
		get_stats(server, &st);
		if (all_drops(&st) == n + flushes && events_dropped(log) == n + flushes)
			break;
		if (now_s() - last > 1.5) {
			ck_assert_int_eq(sendto(fd, buf, 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
			flushes++;
			last = now_s();
		}
	}
	ck_assert_uint_eq(all_drops(&st), n + flushes);
	ck_assert_uint_eq(events_dropped(log), n + flushes);
	zcvpn_engine_stop(server);
	get_stats(server, &st);
	ck_assert_uint_eq(st.rx_packets, 0);
	ck_assert_uint_gt(counter(server, "rx_short"), 0);
	ck_assert_uint_gt(counter(server, "rx_bad_icv") + counter(server, "rx_bad_length"), 0);
	ck_assert_uint_le(log->by_type[ZCVPN_EVENT_DROPS], (unsigned int)(now_s() - start) + 1);
	ck_assert_msg(strstr(log->last_drops, "dropped:"), "'%s'", log->last_drops);
	ck_assert(!log->bad_event);
	close(fd);
	zcvpn_engine_free(server);
	free(log);
}
END_TEST

static const struct {
	const char *what;
	uint32_t mtu;
	const char *local, *remote, *enc, *auth;
	size_t enc_len;
	const char *expect_in_message;
} bad_configs[] = {
	{ "mtu", 100, "127.0.0.1:0", NULL, "aes128-gcm", "none", 20, "MTU" },
	{ "addr", 1400, "localhost:99", NULL, "aes128-gcm", "none", 20, "bad local address" },
	{ "port", 1400, "127.0.0.1:70000", NULL, "aes128-gcm", "none", 20, "bad local address" },
	{ "none", 1400, NULL, NULL, "aes128-gcm", "none", 20, "address" },
	{ "suite", 1400, "127.0.0.1:0", NULL, "des-cbc", "none", 20, "unknown encryption" },
	{ "auth", 1400, "127.0.0.1:0", NULL, "aes128-cbc", "hmac-crc32", 16, "unknown authentication" },
	{ "keylen", 1400, "127.0.0.1:0", NULL, "aes128-gcm", "none", 16, "key length" },
	{ "gcm+hmac", 1400, "127.0.0.1:0", NULL, "aes128-gcm", "hmac-sha1-96", 20, "GCM" },
};

START_TEST(test_config_errors)
{
	struct zcvpn_engine *e = NULL;
	struct zcvpn_config cfg;
	char err[256] = "";

	zcvpn_config_init(&cfg);
	cfg.mtu = bad_configs[_i].mtu;
	cfg.local = bad_configs[_i].local;
	cfg.remote = bad_configs[_i].remote;
	cfg.esp.in = (struct zcvpn_esp_sa){ .spi = 0x1000, .enc = bad_configs[_i].enc,
					    .auth = bad_configs[_i].auth, .enc_key = key_c2s,
					    .enc_key_len = bad_configs[_i].enc_len,
					    .auth_key = auth_c2s, .auth_key_len = 20 };
	cfg.esp.out = cfg.esp.in;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(err, bad_configs[_i].expect_in_message), "%s: message '%s'",
		      bad_configs[_i].what, err);
}
END_TEST

/*
 * At 40,000 packets/s each way the client's engine moderates (and still loses nothing
 * it cannot account for): the windows it decided to wait in are counted, so the verdict
 * is the engine's, not what a poll from here happened to see.  The rate is ten times the
 * threshold (two packets per 500 us wait), whatever else the machine does.
 */
START_TEST(test_moderation_under_load)
{
	struct zcvpn_stats st;
	struct tunnel t;

	tunnel_open(&t, &suites[0], 40000, true, ZCVPN_START_THREAD, 40000);
	tunnel_wait(&t, 60);
	get_stats(t.client, &st);
	ck_assert_uint_gt(st.moderated_windows, 0);
	tunnel_close_and_check(&t);
}
END_TEST

START_TEST(test_moderation_config)
{
	struct zcvpn_engine *e = NULL;
	struct zcvpn_config cfg;
	char err[256] = "";

	base_config(&cfg, &suites[0], true, 0);
	cfg.moderation_us = 1001;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(err, "moderation_us 1001"), "message '%s'", err);
}
END_TEST

/* ---- what the host hands in: a tun fd, a UDP socket, a protect callback --------------- */

enum { PING_LEN = 100, PINGS = 100 };

/* An IPv4 packet (protocol 253, RFC 3692's experiments) stamped with seq. */
static void make_ping(uint8_t *p, uint32_t seq)
{
	memset(p, 0, PING_LEN);
	p[0] = 0x45;
	p[2] = 0;
	p[3] = PING_LEN;
	p[8] = 64;
	p[9] = 253;
	memcpy(p + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	memcpy(p + 20, &seq, sizeof(seq));
	for (unsigned i = 24; i < PING_LEN; i++)
		p[i] = (uint8_t)(i * 7 + seq);
}

/* Waits (bounded) for one packet on fd and checks it is the ping with seq. */
static void expect_ping(int fd, uint32_t seq)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t got[PING_LEN + 16], want[PING_LEN];

	ck_assert_msg(poll(&pfd, 1, 5000) == 1, "ping %u: nothing in 5 s", seq);
	ck_assert_int_eq(read(fd, got, sizeof(got)), PING_LEN);
	make_ping(want, seq);
	ck_assert_mem_eq(got, want, PING_LEN);
}

/*
 * The host's own tun fds (a socketpair stands in for each: the backend takes any packet
 * fd without IFF_VNET_HDR), the host's own bound UDP socket for the server, and the
 * protect callback for the client's.  Then light traffic, one packet in flight and a
 * pause of 2 ms after each round trip, which is at most a quarter of the moderation
 * threshold however the machine schedules us (a delay only makes it lighter): the
 * engines must never have decided to wait.
 */
static int protect_calls;

static int protect(void *ctx, int fd)
{
	(void)ctx;
	ck_assert_int_ge(fd, 0);
	protect_calls++;
	return 0;
}

START_TEST(test_host_fds_light_traffic)
{
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_engine *server, *client;
	struct sockaddr_in bound = { .sin_family = AF_INET };
	socklen_t blen = sizeof(bound);
	struct event_log *log = event_log_new();
	struct zcvpn_stats st;
	int ctun[2], stun[2], udp;
	char err[256], remote[64], peer[64];
	uint8_t p[PING_LEN];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctun), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, stun), 0);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(udp, (struct sockaddr *)&bound, sizeof(bound)), 0);
	ck_assert_int_eq(getsockname(udp, (struct sockaddr *)&bound, &blen), 0);

	base_config(&scfg, &suites[0], true, 0);
	base_config(&ccfg, &suites[0], false, 0);
	scfg.local = NULL;
	scfg.udp_fd = udp;
	scfg.tun = ccfg.tun = ZCVPN_TUN_FD;
	scfg.tun_fd = stun[1];
	ccfg.tun_fd = ctun[1];
	ccfg.protect_socket = protect;
	scfg.event_fn = log_event;
	scfg.event_ctx = log;
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", ntohs(bound.sin_port));
	ccfg.remote = remote;
	protect_calls = 0;
	ck_assert_msg(zcvpn_engine_new(&server, &scfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(zcvpn_engine_new(&client, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(protect_calls, 1);
	ck_assert_int_eq(zcvpn_engine_local_port(server), ntohs(bound.sin_port));
	ck_assert_int_eq(zcvpn_engine_start(server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(client, ZCVPN_START_THREAD), 0);
	for (uint32_t seq = 0; seq < PINGS; seq++) {
		make_ping(p, 2 * seq);
		ck_assert_int_eq(write(ctun[0], p, PING_LEN), PING_LEN);
		expect_ping(stun[0], 2 * seq);
		make_ping(p, 2 * seq + 1);
		ck_assert_int_eq(write(stun[0], p, PING_LEN), PING_LEN);
		expect_ping(ctun[0], 2 * seq + 1);
		usleep(2000);
	}
	/* The server learnt its peer from the first authenticated datagram, and said so. */
	snprintf(peer, sizeof(peer), "peer 127.0.0.1:%d", zcvpn_engine_local_port(client));
	zcvpn_engine_stop(client);
	zcvpn_engine_stop(server);
	ck_assert_uint_eq(log->by_type[ZCVPN_EVENT_PEER], 1);
	ck_assert_str_eq(log->last_peer, peer);
	for (int k = 0; k < 2; k++) {
		get_stats(k ? server : client, &st);
		ck_assert_uint_eq(st.tx_packets, PINGS);
		ck_assert_uint_eq(st.rx_packets, PINGS);
		ck_assert_uint_eq(st.copied_bytes, 0);
		ck_assert_uint_eq(st.moderated_windows, 0);
	}
	zcvpn_engine_free(client);
	zcvpn_engine_free(server);
	/* Borrowed, so still the host's: open until the host closes them. */
	ck_assert_int_ne(fcntl(udp, F_GETFD), -1);
	ck_assert_int_ne(fcntl(stun[1], F_GETFD), -1);
	ck_assert_int_ne(fcntl(ctun[1], F_GETFD), -1);
	close(udp);
	for (int k = 0; k < 2; k++) {
		close(ctun[k]);
		close(stun[k]);
	}
	free(log);
}
END_TEST

/* The host's socket and a local address contradict each other; say so. */
START_TEST(test_host_fd_errors)
{
	struct zcvpn_engine *e = NULL;
	struct zcvpn_config cfg;
	char err[256] = "";

	base_config(&cfg, &suites[0], true, 0);
	cfg.udp_fd = 0;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "udp_fd"), "message '%s'", err);
	base_config(&cfg, &suites[0], true, 0);
	cfg.tun = ZCVPN_TUN_FD;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "tun_fd"), "message '%s'", err);
	ck_assert_ptr_null(e);
	/* A queue of a multi-queue tun: only of a device the engine opens by name. */
	base_config(&cfg, &suites[0], true, 0);
	cfg.tun_multi_queue = true;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "tun_multi_queue is for the Linux tun"), "message '%s'", err);
	cfg.tun = ZCVPN_TUN_LINUX;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "tun_multi_queue needs tun_name"), "message '%s'", err);
	ck_assert_ptr_null(e);
}
END_TEST

/* ---- timers, stats and counters --------------------------------------------------------- */

/*
 * An idle engine sleeps: no transport timer (ESP without keepalive) means no wakeup at
 * all.  With a 50 ms keepalive it wakes for each probe and never more often than that
 * (a loaded machine may make it later, never sooner); the first probe goes out at once.
 */
START_TEST(test_idle_timers)
{
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_engine *server, *client;
	struct zcvpn_stats st;
	char err[256], remote[64];
	double start, elapsed;

	base_config(&scfg, &suites[0], true, 0);
	base_config(&ccfg, &suites[0], false, 0);
	ccfg.esp.keepalive_ms = _i ? 50 : 0;
	ck_assert_msg(zcvpn_engine_new(&server, &scfg, err, sizeof(err)) == 0, "%s", err);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(server));
	ccfg.remote = remote;
	ck_assert_msg(zcvpn_engine_new(&client, &ccfg, err, sizeof(err)) == 0, "%s", err);
	start = now_s();
	ck_assert_int_eq(zcvpn_engine_start(server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(client, ZCVPN_START_THREAD), 0);
	usleep(300000);
	zcvpn_engine_stop(client);
	elapsed = now_s() - start;
	zcvpn_engine_stop(server);
	get_stats(server, &st);
	ck_assert_uint_eq(st.timer_wakeups, 0);	/* the server has no timer at all */
	get_stats(client, &st);
	if (!_i) {
		ck_assert_uint_eq(st.timer_wakeups, 0);
		ck_assert_uint_eq(counter(client, "tx_probes"), 0);
	} else {
		ck_assert_uint_ge(counter(client, "tx_probes"), 1);
		ck_assert_uint_le(st.timer_wakeups, (uint64_t)(elapsed / 0.050) + 1);
		ck_assert_uint_ge(counter(server, "probes_answered"), 1);
	}
	zcvpn_engine_free(client);
	zcvpn_engine_free(server);
}
END_TEST

/*
 * The stats ABI: a client built against an older, shorter struct zcvpn_stats gets what
 * it knows and nothing written past it; every counter has a unique name and a group;
 * the transport's are found by name, and another transport's are not there.
 */
START_TEST(test_stats_abi)
{
	struct {
		struct zcvpn_stats st;
		uint8_t guard[16];
	} old;
	const size_t old_size = offsetof(struct zcvpn_stats, rx_bytes);
	struct zcvpn_counter c, d;
	struct zcvpn_engine *e;
	struct zcvpn_config cfg;
	unsigned int n;
	uint64_t v;
	char err[256];

	base_config(&cfg, &suites[0], true, 0);
	ck_assert_msg(zcvpn_engine_new(&e, &cfg, err, sizeof(err)) == 0, "%s", err);
	memset(&old, 0xa5, sizeof(old));
	old.st.size = (uint32_t)old_size;
	ck_assert_int_eq(zcvpn_engine_get_stats(e, &old.st), 0);
	ck_assert_uint_eq(old.st.size, old_size);
	ck_assert_uint_eq(old.st.tx_packets, 0);
	for (size_t k = old_size; k < sizeof(old); k++)
		ck_assert_uint_eq(((uint8_t *)&old)[k], 0xa5);
	old.st.size = 4;
	ck_assert_int_eq(zcvpn_engine_get_stats(e, &old.st), -EINVAL);

	for (n = 0; zcvpn_engine_counter(e, n, &c) == 0; n++) {
		ck_assert_ptr_nonnull(c.group);
		ck_assert_ptr_nonnull(c.help);
		for (unsigned int k = 0; k < n; k++) {
			ck_assert_int_eq(zcvpn_engine_counter(e, k, &d), 0);
			ck_assert_msg(strcmp(c.name, d.name), "'%s' twice", c.name);
		}
		if (!strcmp(c.name, "rx_bad_icv")) {
			ck_assert_str_eq(c.group, "esp");
			ck_assert(c.flags & ZCVPN_COUNTER_DROP);
		}
	}
	ck_assert_uint_gt(n, 40);
	ck_assert_int_eq(zcvpn_engine_counter(e, n, &c), -ENOENT);
	ck_assert_int_eq(zcvpn_engine_counter_value(e, "rx_bad_icv", &v), 0);
	ck_assert_int_eq(zcvpn_engine_counter_value(e, "copied_bytes", &v), 0);
	ck_assert_int_eq(zcvpn_engine_counter_value(e, "dpd_tx", &v), -ENOENT);
	zcvpn_engine_free(e);
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tunnel = tcase_create("tunnel");
	TCase *bad = tcase_create("bad_input");

	tcase_set_timeout(tunnel, 300);
	tcase_add_loop_test(tunnel, test_tunnel_own_threads, 0, sizeof(suites) / sizeof(suites[0]));
	tcase_add_test(tunnel, test_tunnel_without_probes);
	tcase_add_loop_test(tunnel, test_rekey_mid_stream, 0, sizeof(suites) / sizeof(suites[0]));
	tcase_add_test(tunnel, test_tunnel_host_loop);
	tcase_add_test(tunnel, test_moderation_under_load);
	tcase_add_test(tunnel, test_host_fds_light_traffic);
	tcase_add_loop_test(tunnel, test_idle_timers, 0, 2);
	suite_add_tcase(s, tunnel);
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, test_hostile_datagrams);
	tcase_add_loop_test(bad, test_config_errors, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
	tcase_add_test(bad, test_moderation_config);
	tcase_add_test(bad, test_host_fd_errors);
	tcase_add_test(bad, test_stats_abi);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
