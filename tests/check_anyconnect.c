/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AnyConnect DTLS through the public API: a client and a server engine over loopback
 * with the in-memory tun.  The PSK handshake runs over the engines' own sockets, then
 * every packet goes through our in-place record layer (copied_bytes stays 0).  Also:
 * DPD answered both ways, keepalives, disconnect seen by the peer, a dead peer, DTLS
 * redialled after an outage, a wrong PSK failing in bounded time, garbage at a
 * listening server, config errors.  Crafted
 * records from an authenticated peer are check_cisco_dtls's job.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "src/zcvpn.h"
#include "tests/api-helpers.h"

static const uint8_t psk[32] = "a 32-byte PSK from the exporter";
static const uint8_t other_psk[32] = "not the PSK the server expects!";
static const uint8_t app_id[16] = "app-id-16-bytes";

struct row {
	const char *cipher;
	uint64_t count;		/* packets each way */
	bool no_gso;		/* one datagram per message instead of UDP GSO runs */
	bool no_gro;		/* one datagram per receive instead of carved GRO runs */
};

static const struct row rows[] = {
	{ "aes256-gcm", 100000, false, false },
	{ "aes128-gcm", 20000, false, false },
	{ "aes256-cbc-sha1", 20000, false, false },
	{ "aes128-cbc-sha1", 20000, false, false },
	{ "aes256-gcm", 20000, true, false },
	{ "aes256-gcm", 20000, false, true },
	{ "aes128-cbc-sha1", 20000, false, true },
};

static void base_config(struct zcvpn_config *cfg, const char *cipher, bool server,
			uint64_t count)
{
	zcvpn_config_init(cfg);
	cfg->protocol = ZCVPN_PROTOCOL_ANYCONNECT;
	cfg->anyconnect.server = server;
	cfg->anyconnect.psk = psk;
	cfg->anyconnect.ciphers = cipher;
	cfg->anyconnect.handshake_timeout_ms = 5000;
	if (!server) {
		cfg->anyconnect.app_id = app_id;
		cfg->anyconnect.app_id_len = sizeof(app_id);
	}
	cfg->mem_count = count;
	cfg->mem_min_size = 64;
	cfg->mem_ipv6_percent = 50;
	cfg->mem_flow_id = server ? 2 : 1;
	cfg->mem_expect_flow_id = server ? 1 : 2;
	cfg->mem_seed = server ? 22 : 11;
	/* Paced so that loopback socket buffers never overflow under ASan (see check_engine). */
	cfg->mem_rate_pps = 40000;
	if (server)
		cfg->local = "127.0.0.1:0";
}

struct tunnel {
	struct zcvpn_engine *server, *client;
	uint64_t count;
};

static void tunnel_new(struct tunnel *t, struct zcvpn_config *scfg, struct zcvpn_config *ccfg)
{
	char err[256], remote[64];

	ck_assert_msg(zcvpn_engine_new(&t->server, scfg, err, sizeof(err)) == 0, "%s", err);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(t->server));
	ccfg->remote = remote;
	ck_assert_msg(zcvpn_engine_new(&t->client, ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(t->server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(t->client, ZCVPN_START_THREAD), 0);
}

static void tunnel_free(struct tunnel *t)
{
	zcvpn_engine_free(t->client);
	zcvpn_engine_free(t->server);
}

typedef bool (*stats_pred)(struct zcvpn_engine *e, const struct zcvpn_stats *st,
			   const void *arg);

/* Polls e's counters until pred holds or the deadline passes; returns pred's verdict. */
static bool wait_for(struct zcvpn_engine *e, stats_pred pred, const void *arg, double seconds)
{
	double deadline = now_s() + seconds;
	struct zcvpn_stats st;

	for (;;) {
		get_stats(e, &st);
		if (pred(e, &st, arg))
			return true;
		if (now_s() > deadline)
			return false;
		usleep(10000);
	}
}

static bool all_received(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	uint64_t count = *(const uint64_t *)arg;

	return st->generator_done && st->sink_good + st->sink_corrupt + st->rx_socket_drops >= count;
}

static bool is_up(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	(void)arg;
	return transport_up(st);
}

static bool is_down(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	(void)arg;
	return st->transport_error != 0;
}

static bool peer_closed(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	(void)arg;
	return st->transport_state == ZCVPN_TRANSPORT_CLOSED;
}

/* The client probes (its interval is the shorter) and gets answers... */
static bool dpd_seen(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	(void)arg;
	return counter(e, "dpd_tx") >= 2 && counter(e, "dpd_rx") >= 2 && counter(e, "keepalive_tx") >= 1;
}

/* ... which the server sends; the client's traffic keeps its own DPD from falling due. */
static bool dpd_answered(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	(void)arg;
	return counter(e, "dpd_answered") >= 2 && counter(e, "keepalive_rx") >= 1;
}

static void expect_clean(struct zcvpn_engine *e, uint64_t count, const struct row *r,
			 const char *who)
{
	bool gso = !r->no_gso;
	struct zcvpn_stats st;

	get_stats(e, &st);
	/* Loss only as the kernel's, counted (a full socket buffer on a loaded machine). */
	ck_assert_msg(st.sink_good + st.rx_socket_drops == count,
		      "%s: good %llu of %llu (lost %llu, socket drops %llu, ring full %llu)",
		      who, (unsigned long long)st.sink_good, (unsigned long long)count,
		      (unsigned long long)st.sink_lost, (unsigned long long)st.rx_socket_drops,
		      (unsigned long long)st.tun_tx_ring_full);
	ck_assert_uint_eq(st.sink_corrupt, 0);
	ck_assert_uint_eq(st.sink_duplicate, 0);
	ck_assert_uint_eq(st.tx_packets, count);
	ck_assert_uint_eq(st.rx_packets, st.sink_good);
	ck_assert_uint_eq(st.rx_invalid, 0);	/* not one datagram dropped, for any reason */
	ck_assert_uint_eq(counter(e, "rx_bad_icv") + counter(e, "rx_replay"), 0);
	ck_assert_uint_gt(counter(e, "handshake_datagrams"), 0);
	/* No payload byte copied in user space: the record layer works in place. */
	ck_assert_uint_eq(st.copied_bytes, 0);
	ck_assert_uint_lt(st.send_calls, count);	/* batching happened */
	/* Runs of a size and a shorter last one: GSO had something to group. */
	if (gso)
		ck_assert_uint_gt(st.tx_gso_messages, 0);
	else
		ck_assert_uint_eq(st.tx_gso_messages, 0);
	/*
	 * Loopback keeps the peer's GSO messages whole, so with GRO they arrive as runs,
	 * carved in place: none moved, none unplaced.
	 */
	if (gso && !r->no_gro) {
		ck_assert_uint_gt(st.rx_gro_runs, 0);
		ck_assert_uint_ge(st.rx_gro_segments, 2 * st.rx_gro_runs);
	}
	if (r->no_gro)
		ck_assert_uint_eq(st.rx_gro_runs, 0);
	/* A peer without GSO: nothing coalesces on loopback; one message per call. */
	if (!gso)
		ck_assert_uint_eq(st.rx_gro_runs, 0);
	ck_assert_uint_eq(st.rx_gro_moved + st.rx_gro_unplaced, 0);
}

/* Client and server move count packets each way; the client then disconnects. */
START_TEST(test_tunnel)
{
	const struct row *r = &rows[_i];
	struct zcvpn_config scfg, ccfg;
	struct tunnel t;

	base_config(&scfg, r->cipher, true, r->count);
	base_config(&ccfg, r->cipher, false, r->count);
	scfg.no_gso = ccfg.no_gso = r->no_gso;
	scfg.no_gro = ccfg.no_gro = r->no_gro;
	tunnel_new(&t, &scfg, &ccfg);
	ck_assert_msg(wait_for(t.client, is_up, NULL, 10), "%s: no handshake", r->cipher);
	ck_assert(wait_for(t.client, all_received, &r->count, 120));
	ck_assert(wait_for(t.server, all_received, &r->count, 30));
	zcvpn_engine_stop(t.client);
	/* The DISCONNECT reaches the server. */
	ck_assert(wait_for(t.server, peer_closed, NULL, 5));
	zcvpn_engine_stop(t.server);
	expect_clean(t.client, r->count, r, "client");
	expect_clean(t.server, r->count, r, "server");
	tunnel_free(&t);
}
END_TEST

/* No traffic: DPD requests go out at the interval and are answered; keepalives flow. */
START_TEST(test_dpd_and_keepalive)
{
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_stats st;
	struct tunnel t;

	base_config(&scfg, "aes256-gcm", true, 0);
	base_config(&ccfg, "aes256-gcm", false, 0);
	scfg.anyconnect.dpd_ms = 150;
	ccfg.anyconnect.dpd_ms = 100;
	ccfg.anyconnect.keepalive_ms = 100;
	tunnel_new(&t, &scfg, &ccfg);
	ck_assert(wait_for(t.client, is_up, NULL, 10));
	ck_assert(wait_for(t.client, dpd_seen, NULL, 10));
	ck_assert(wait_for(t.server, dpd_answered, NULL, 10));
	get_stats(t.server, &st);
	ck_assert_uint_ge(counter(t.server, "keepalive_rx"), 1);
	/* Answered DPD keeps both ends alive: nobody declared the other dead. */
	ck_assert(transport_up(&st));
	ck_assert_int_eq(st.transport_error, 0);
	/* Only a client rekeys DTLS (a new session from a new port): a server says so. */
	ck_assert_int_eq(zcvpn_engine_rekey(t.server, NULL, NULL, 0), -EOPNOTSUPP);
	tunnel_free(&t);
}
END_TEST

/*
 * A UDP relay between client and server that can be cut: the path dies silently, with
 * no goodbye either way, which is what DPD exists for.
 */
struct relay {
	int front, back;		/* front: the client's side; back: to the server */
	struct sockaddr_in client;
	socklen_t client_len;
	atomic_bool cut, stop;
	pthread_t thread;
};

static void *relay_run(void *arg)
{
	struct relay *r = arg;
	uint8_t buf[65536];

	while (!atomic_load(&r->stop)) {
		struct pollfd pfd[2] = { { .fd = r->front, .events = POLLIN },
					 { .fd = r->back, .events = POLLIN } };
		ssize_t n;

		if (poll(pfd, 2, 20) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			r->client_len = sizeof(r->client);
			n = recvfrom(r->front, buf, sizeof(buf), 0, (struct sockaddr *)&r->client,
				     &r->client_len);
			if (n >= 0 && !atomic_load(&r->cut))
				send(r->back, buf, (size_t)n, 0);
		}
		if (pfd[1].revents & POLLIN) {
			n = recv(r->back, buf, sizeof(buf), 0);
			if (n >= 0 && !atomic_load(&r->cut) && r->client_len)
				sendto(r->front, buf, (size_t)n, 0, (struct sockaddr *)&r->client,
				       r->client_len);
		}
	}
	return NULL;
}

/* Starts a relay to the server's port; returns the port the client should use. */
static int relay_start(struct relay *r, int server_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	memset(r, 0, sizeof(*r));
	r->front = socket(AF_INET, SOCK_DGRAM, 0);
	r->back = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert(r->front >= 0 && r->back >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(r->front, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_port = htons((uint16_t)server_port);
	ck_assert_int_eq(connect(r->back, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(r->front, (struct sockaddr *)&a, &len), 0);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, relay_run, r), 0);
	return ntohs(a.sin_port);
}

static void relay_stop(struct relay *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	close(r->front);
	close(r->back);
}

/* The path goes silent: DPD declares the peer dead after 2 x interval, at both ends. */
START_TEST(test_dead_peer)
{
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_stats st;
	struct tunnel t;
	struct relay relay;
	char err[256], remote[64];
	double start;

	base_config(&scfg, "aes256-gcm", true, 0);
	base_config(&ccfg, "aes256-gcm", false, 0);
	scfg.anyconnect.dpd_ms = 150;
	ccfg.anyconnect.dpd_ms = 100;
	ck_assert_msg(zcvpn_engine_new(&t.server, &scfg, err, sizeof(err)) == 0, "%s", err);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d",
		 relay_start(&relay, zcvpn_engine_local_port(t.server)));
	ccfg.remote = remote;
	ck_assert_msg(zcvpn_engine_new(&t.client, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(t.server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(t.client, ZCVPN_START_THREAD), 0);
	ck_assert(wait_for(t.client, is_up, NULL, 10));
	/* Alive through the relay for a few intervals: DPD answered, nobody dead. */
	usleep(500000);
	get_stats(t.client, &st);
	ck_assert(transport_up(&st));
	atomic_store(&relay.cut, true);
	start = now_s();
	ck_assert(wait_for(t.client, is_down, NULL, 5));
	ck_assert(now_s() - start < 1.0);	/* 2 x 100 ms, at 50 ms timer granularity */
	get_stats(t.client, &st);
	ck_assert_int_eq(st.transport_error, -ETIMEDOUT);
	ck_assert(!transport_up(&st));
	ck_assert(wait_for(t.server, is_down, NULL, 5));
	get_stats(t.server, &st);
	ck_assert_int_eq(st.transport_error, -ETIMEDOUT);
	tunnel_free(&t);
	relay_stop(&relay);
}
END_TEST

static atomic_uint fallback_packets;

static int count_fallback(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	ck_assert(len >= 20 && (pkt[0] >> 4 == 4 || pkt[0] >> 4 == 6));
	atomic_fetch_add(&fallback_packets, 1);
	return 0;
}

static bool fallback_took_all(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	return st->fallback_tx_packets >= *(const uint64_t *)arg;
}

/*
 * Both engines, the client through the relay when there is one, the client's fallback
 * counting what it is given (as the driver's CSTP would carry it), both started.
 */
static void tunnel_new_with_fallback(struct tunnel *t, struct zcvpn_config *scfg,
				     struct zcvpn_config *ccfg, struct relay *relay)
{
	char err[256], remote[64];
	int port;

	ck_assert_msg(zcvpn_engine_new(&t->server, scfg, err, sizeof(err)) == 0, "%s", err);
	port = zcvpn_engine_local_port(t->server);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", relay ? relay_start(relay, port) : port);
	ccfg->remote = remote;
	ck_assert_msg(zcvpn_engine_new(&t->client, ccfg, err, sizeof(err)) == 0, "%s", err);
	atomic_store(&fallback_packets, 0);
	zcvpn_engine_set_fallback(t->client, count_fallback, NULL);
	ck_assert_int_eq(zcvpn_engine_start(t->server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(t->client, ZCVPN_START_THREAD), 0);
}

static bool received_over(struct zcvpn_engine *e, const struct zcvpn_stats *st, const void *arg)
{
	return st->rx_packets > *(const uint64_t *)arg;
}

/* A local port nobody holds right now (the kernel's choice, given back). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/*
 * DTLS comes back after an outage: the path goes silent, both ends declare the other
 * dead, the client's packets take the fallback; once the path is back, the client's
 * redial finds the server listening again, and packets return to DTLS, uncopied.  The
 * redial goes out from a new port (row 0), unless the configuration fixed the client's
 * port (row 1): then from the same one.
 */
START_TEST(test_redial)
{
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_stats cst, sst;
	struct tunnel t;
	struct relay relay;
	uint64_t one = 1, copied_before, server_rx;
	bool fixed_port = _i == 1;
	char local[32];
	int port_before;

	base_config(&scfg, "aes256-gcm", true, 0);
	base_config(&ccfg, "aes256-gcm", false, 100000);
	ccfg.mem_rate_pps = 2000;	/* 50 s of traffic: more than the test needs */
	scfg.anyconnect.dpd_ms = 150;
	ccfg.anyconnect.dpd_ms = 100;
	ccfg.anyconnect.redial_ms = 300;
	if (fixed_port) {
		snprintf(local, sizeof(local), "127.0.0.1:%d", free_port());
		ccfg.local = local;
	}
	tunnel_new_with_fallback(&t, &scfg, &ccfg, &relay);
	port_before = zcvpn_engine_local_port(t.client);
	ck_assert(wait_for(t.client, is_up, NULL, 10));
	ck_assert(wait_for(t.server, received_over, &one, 10));

	atomic_store(&relay.cut, true);
	ck_assert(wait_for(t.client, is_down, NULL, 5));
	ck_assert(wait_for(t.server, is_down, NULL, 5));
	ck_assert(wait_for(t.client, fallback_took_all, &one, 5));
	atomic_store(&relay.cut, false);

	ck_assert(wait_for(t.client, is_up, NULL, 15));
	ck_assert(wait_for(t.server, is_up, NULL, 5));
	get_stats(t.client, &cst);
	get_stats(t.server, &sst);
	ck_assert_int_eq(cst.transport_error, 0);
	ck_assert_int_eq(sst.transport_error, 0);
	ck_assert_uint_ge(counter(t.client, "dtls_redials"), 1);
	ck_assert_uint_ge(counter(t.server, "dtls_redials"), 1);
	if (fixed_port)
		ck_assert_int_eq(zcvpn_engine_local_port(t.client), port_before);
	else
		ck_assert_int_ne(zcvpn_engine_local_port(t.client), port_before);
	copied_before = cst.copied_bytes;
	/* The outage's packets were the only copies; after it, DTLS carries them again. */
	ck_assert_uint_eq(copied_before, cst.fallback_tx_bytes);
	server_rx = sst.rx_packets + 100;
	ck_assert(wait_for(t.server, received_over, &server_rx, 10));
	get_stats(t.client, &cst);
	ck_assert(transport_up(&cst));
	ck_assert_uint_eq(cst.copied_bytes, copied_before);
	ck_assert_uint_eq(cst.fallback_tx_packets, atomic_load(&fallback_packets));
	get_stats(t.server, &sst);
	ck_assert_uint_eq(sst.rx_invalid + sst.sink_corrupt, 0);
	tunnel_free(&t);
	relay_stop(&relay);
}
END_TEST

/*
 * A client with the wrong PSK fails the handshake in bounded time and nothing reaches
 * the tun; its packets then go to the host's fallback (CSTP in the driver), counted as
 * copies.
 */
START_TEST(test_wrong_psk)
{
	const uint64_t count = 100;
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_stats st;
	struct tunnel t;

	base_config(&scfg, "aes256-gcm", true, count);
	base_config(&ccfg, "aes256-gcm", false, count);
	ccfg.anyconnect.psk = other_psk;
	tunnel_new_with_fallback(&t, &scfg, &ccfg, NULL);
	ck_assert(wait_for(t.client, is_down, NULL, 8));
	ck_assert(wait_for(t.client, fallback_took_all, &count, 10));
	get_stats(t.client, &st);
	ck_assert(!transport_up(&st));
	ck_assert_uint_eq(atomic_load(&fallback_packets), st.fallback_tx_packets);
	ck_assert_uint_eq(st.tx_packets, st.fallback_tx_packets);
	ck_assert_uint_gt(st.copied_bytes, 0);
	ck_assert_uint_eq(st.copied_bytes, st.tx_bytes);
	get_stats(t.server, &st);
	ck_assert(!transport_up(&st));
	ck_assert_uint_eq(st.rx_packets, 0);
	tunnel_free(&t);
}
END_TEST

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* Random bytes, DTLS-looking headers with bad fields, truncated and huge datagrams. */
static void throw_garbage(int fd, const struct sockaddr_in *to, unsigned n, uint64_t seed)
{
	static uint8_t buf[40000];

	for (unsigned i = 0; i < n; i++) {
		size_t len;

		switch (i % 6) {
		case 0: len = lcg(&seed) % 13; break;			/* shorter than a header */
		case 1: len = lcg(&seed) % 1500; break;			/* random bytes */
		case 2: len = 20000 + lcg(&seed) % 20000; break;	/* far too big */
		default: len = 13 + lcg(&seed) % 1400; break;		/* a header, then junk */
		}
		for (size_t b = 0; b < len; b++)
			buf[b] = (uint8_t)lcg(&seed);
		if (i % 6 >= 3) {
			buf[0] = 23;				/* application data */
			buf[1] = 0xfe;
			buf[2] = i % 6 == 3 ? 0xff : 0xfd;	/* DTLS 1.0 or 1.2 */
			buf[3] = 0;
			buf[4] = (uint8_t)(i % 3);		/* epochs 0, 1 and 2 */
			if (i % 6 == 5) {			/* a length beyond the datagram */
				buf[11] = 0xff;
				buf[12] = 0xff;
			}
		}
		sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to));
		if (i % 64 == 0)
			usleep(1000);
	}
}

/*
 * Garbage at the server before any client and again while a tunnel runs: nothing
 * crashes, the tunnel still delivers every packet, and the garbage was counted.
 */
START_TEST(test_hostile_datagrams)
{
	const uint64_t count = 5000;
	struct zcvpn_config scfg, ccfg;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct zcvpn_engine *server;
	struct zcvpn_stats st;
	char err[256], remote[64];
	struct tunnel t;
	int fd;

	base_config(&scfg, "aes256-gcm", true, count);
	base_config(&ccfg, "aes256-gcm", false, count);
	ck_assert_msg(zcvpn_engine_new(&server, &scfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(server, ZCVPN_START_THREAD), 0);
	to.sin_port = htons((uint16_t)zcvpn_engine_local_port(server));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	/* Before the handshake it all goes to the library, which must survive it. */
	throw_garbage(fd, &to, 3000, 7);

	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(server));
	ccfg.remote = remote;
	t.server = server;
	ck_assert_msg(zcvpn_engine_new(&t.client, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(t.client, ZCVPN_START_THREAD), 0);
	if (!wait_for(t.client, is_up, NULL, 10)) {
		struct zcvpn_stats cst;

		get_stats(server, &st);
		get_stats(t.client, &cst);
		ck_abort_msg("no handshake: server saw %llu handshake datagrams, %llu failures, up %d; client saw %llu, error %d",
			     (unsigned long long)counter(server, "handshake_datagrams"),
			     (unsigned long long)counter(server, "handshake_failures"),
			     transport_up(&st),
			     (unsigned long long)counter(t.client, "handshake_datagrams"),
			     cst.transport_error);
	}
	/* The server's socket is connected to the client now: the kernel drops these. */
	throw_garbage(fd, &to, 3000, 8);
	ck_assert(wait_for(t.client, all_received, &count, 60));
	ck_assert(wait_for(t.server, all_received, &count, 60));
	zcvpn_engine_stop(t.client);
	zcvpn_engine_stop(t.server);
	get_stats(server, &st);
	ck_assert_uint_gt(counter(server, "handshake_datagrams"), 0);
	/* Every one accounted for: dropped as such, or by a full socket buffer. */
	ck_assert_uint_gt(counter(server, "rx_not_handshake") + st.rx_truncated +
			  st.rx_socket_drops, 2900);
	ck_assert_uint_eq(st.sink_corrupt, 0);
	ck_assert_uint_eq(st.sink_good, count);
	close(fd);
	tunnel_free(&t);
}
END_TEST

static const struct {
	const char *what;
	bool server, no_psk;
	const char *local, *remote, *ciphers;
	size_t app_id_len;
	const char *expect_in_message;
} bad_configs[] = {
	{ "psk", false, true, NULL, "127.0.0.1:443", NULL, 0, "PSK" },
	{ "cipher", false, false, NULL, "127.0.0.1:443", "aes256-gcm,rc4", 0, "unknown DTLS cipher 'rc4'" },
	{ "empty", false, false, NULL, "127.0.0.1:443", "", 0, "empty DTLS cipher list" },
	{ "app-id", false, false, NULL, "127.0.0.1:443", NULL, 33, "App-ID" },
	{ "server", true, false, NULL, "127.0.0.1:443", NULL, 0, "local address" },
	{ "client", false, false, "127.0.0.1:0", NULL, NULL, 0, "server's address" },
};

START_TEST(test_config_errors)
{
	static const uint8_t long_id[40];
	struct zcvpn_engine *e = NULL;
	struct zcvpn_config cfg;
	char err[256] = "";

	zcvpn_config_init(&cfg);
	cfg.protocol = ZCVPN_PROTOCOL_ANYCONNECT;
	cfg.anyconnect.server = bad_configs[_i].server;
	cfg.anyconnect.psk = bad_configs[_i].no_psk ? NULL : psk;
	cfg.anyconnect.ciphers = bad_configs[_i].ciphers;
	cfg.anyconnect.app_id = long_id;
	cfg.anyconnect.app_id_len = bad_configs[_i].app_id_len;
	cfg.local = bad_configs[_i].local;
	cfg.remote = bad_configs[_i].remote;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(err, bad_configs[_i].expect_in_message), "%s: message '%s'",
		      bad_configs[_i].what, err);
}
END_TEST

static Suite *anyconnect_suite(void)
{
	Suite *s = suite_create("anyconnect");
	TCase *tunnel = tcase_create("tunnel");
	TCase *control = tcase_create("control");
	TCase *bad = tcase_create("bad_input");

	tcase_set_timeout(tunnel, 300);
	tcase_add_loop_test(tunnel, test_tunnel, 0, sizeof(rows) / sizeof(rows[0]));
	suite_add_tcase(s, tunnel);
	tcase_set_timeout(control, 60);
	tcase_add_test(control, test_dpd_and_keepalive);
	tcase_add_test(control, test_dead_peer);
	tcase_add_test(control, test_wrong_psk);
	tcase_add_loop_test(control, test_redial, 0, 2);
	suite_add_tcase(s, control);
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, test_hostile_datagrams);
	tcase_add_loop_test(bad, test_config_errors, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(anyconnect_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
