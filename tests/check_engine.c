/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine through the public API only: two engines (client and server) over
 * loopback UDP with the in-memory tun, both embedding modes, hostile datagrams thrown at
 * a running engine, and configuration errors with their messages.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "src/zcvpn.h"

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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
	 * Paced well below what one core does both ways even with ASan and the other tests
	 * running beside it: unpaced (or at 100k/s under load) the loopback socket buffer
	 * overflows, which the sink would rightly count as loss.
	 */
	cfg->mem_rate_pps = 40000;
	cfg->answer_probes = server;
	cfg->keepalive_ms = server ? 0 : 1000;
	if (server) {
		cfg->local = "127.0.0.1:0";
		set_sa(&cfg->esp_in, row, 0x1001, key_c2s, auth_c2s);
		set_sa(&cfg->esp_out, row, 0x2002, key_s2c, auth_s2c);
	} else {
		set_sa(&cfg->esp_out, row, 0x1001, key_c2s, auth_c2s);
		set_sa(&cfg->esp_in, row, 0x2002, key_s2c, auth_s2c);
	}
}

static bool finished(struct zcvpn_engine *e, uint64_t count)
{
	struct zcvpn_stats st;

	zcvpn_engine_get_stats(e, &st);
	return st.generator_done && st.tx_packets >= count &&
	       st.sink_good + st.sink_corrupt >= count;
}

static void expect_clean(struct zcvpn_engine *e, uint64_t count, const char *who)
{
	struct zcvpn_stats st;

	zcvpn_engine_get_stats(e, &st);
	ck_assert_msg(st.sink_good == count, "%s: good %llu of %llu (lost %llu)", who,
		      (unsigned long long)st.sink_good, (unsigned long long)count,
		      (unsigned long long)st.sink_lost);
	ck_assert_uint_eq(st.sink_corrupt, 0);
	ck_assert_uint_eq(st.sink_duplicate, 0);
	ck_assert_uint_eq(st.tx_packets, count);
	ck_assert_uint_eq(st.rx_packets, count);
	ck_assert_uint_eq(st.rx_bad_icv + st.rx_bad_spi + st.rx_replay + st.rx_short, 0);
	/* The point of the whole exercise. */
	ck_assert_uint_eq(st.copied_bytes, 0);
	ck_assert_uint_gt(st.send_calls, 0);
	ck_assert_uint_lt(st.send_calls, count);	/* batching happened */
}

static void expect_delivered(struct zcvpn_engine *e, uint64_t count, const char *who)
{
	struct zcvpn_stats st;

	zcvpn_engine_get_stats(e, &st);
	ck_assert_msg(st.sink_good == count, "%s: good %llu of %llu", who,
		      (unsigned long long)st.sink_good, (unsigned long long)count);
	ck_assert_uint_eq(st.sink_corrupt + st.sink_duplicate + st.copied_bytes, 0);
}

/* A server and a client engine joined over loopback. */
struct tunnel {
	struct zcvpn_engine *server, *client;
	uint64_t count;
};

/* answer_probes/keepalive as in base_config unless probes is false: then none at all. */
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
		scfg.answer_probes = false;
		ccfg.keepalive_ms = 0;
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
		zcvpn_engine_get_stats(t.server, &st);
	} while (st.sink_good < 3000 && now_s() < deadline);
	set_sa(&c2s, &suites[_i], 0x3003, new_c2s, auth_s2c);
	set_sa(&s2c, &suites[_i], 0x4004, new_s2c, auth_c2s);
	ck_assert_msg(zcvpn_engine_rekey(t.server, &c2s, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(zcvpn_engine_rekey(t.client, &s2c, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(zcvpn_engine_rekey(t.server, NULL, &s2c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(zcvpn_engine_rekey(t.client, NULL, &c2s, err, sizeof(err)) == 0, "%s", err);
	tunnel_wait(&t, 30);
	/* A bad rekey is refused with a message and changes nothing. */
	c2s.enc_key_len = 7;
	ck_assert_int_eq(zcvpn_engine_rekey(t.client, NULL, &c2s, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "key length"));
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

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* Random bytes, truncated headers, known SPI with garbage, huge datagrams: all counted. */
START_TEST(test_hostile_datagrams)
{
	static uint8_t buf[65000];
	const unsigned n = 20000;
	struct zcvpn_engine *server;
	struct zcvpn_config scfg;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct zcvpn_stats st;
	uint64_t seed = 42, counted = 0;
	double deadline;
	char err[256];
	int fd;

	base_config(&scfg, &suites[2], true, 0);
	ck_assert_msg(zcvpn_engine_new(&server, &scfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(server, ZCVPN_START_THREAD), 0);
	to.sin_port = htons((uint16_t)zcvpn_engine_local_port(server));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
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
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			continue;
		if (i % 64 == 0)
			usleep(1000);	/* let the engine keep up; the socket buffer is finite */
	}
	deadline = now_s() + 20;
	do {
		usleep(20000);
		zcvpn_engine_get_stats(server, &st);
		counted = st.rx_short + st.rx_bad_spi + st.rx_bad_icv + st.rx_truncated +
			  st.rx_bad_length + st.rx_replay + st.rx_too_old + st.rx_oversize;
	} while (counted < n && now_s() < deadline);
	zcvpn_engine_stop(server);
	zcvpn_engine_get_stats(server, &st);
	ck_assert_uint_eq(counted, n);
	ck_assert_uint_eq(st.rx_packets, 0);
	ck_assert_uint_gt(st.rx_short, 0);
	ck_assert_uint_gt(st.rx_truncated, 0);
	ck_assert_uint_gt(st.rx_bad_icv + st.rx_bad_length, 0);
	close(fd);
	zcvpn_engine_free(server);
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
	cfg.esp_in = (struct zcvpn_esp_sa){ .spi = 0x1000, .enc = bad_configs[_i].enc,
					    .auth = bad_configs[_i].auth, .enc_key = key_c2s,
					    .enc_key_len = bad_configs[_i].enc_len,
					    .auth_key = auth_c2s, .auth_key_len = 20 };
	cfg.esp_out = cfg.esp_in;
	ck_assert_int_eq(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(err, bad_configs[_i].expect_in_message), "%s: message '%s'",
		      bad_configs[_i].what, err);
}
END_TEST

/*
 * End to end: at 40,000 packets/s each way the client's engine moderates (and still
 * loses nothing); at 200/s it never does, so light traffic gets no added latency.
 */
START_TEST(test_moderation_live)
{
	const bool busy = _i == 0;
	bool seen = false;
	struct tunnel t;

	tunnel_open(&t, &suites[0], busy ? 40000 : 400, true, ZCVPN_START_THREAD,
		    busy ? 40000 : 200);
	for (double deadline = now_s() + 30; !tunnel_done(&t) && now_s() < deadline;) {
		seen |= zcvpn_engine_moderation_us(t.client) != 0;
		usleep(1000);
	}
	ck_assert_msg(seen == busy, "moderation %s at %s", seen ? "seen" : "never seen",
		      busy ? "40,000/s" : "200/s");
	if (busy) {
		tunnel_close_and_check(&t);
		return;
	}
	/* One packet at a time leaves nothing to batch: only count what arrived. */
	zcvpn_engine_stop(t.client);
	zcvpn_engine_stop(t.server);
	expect_delivered(t.client, t.count, "client");
	expect_delivered(t.server, t.count, "server");
	zcvpn_engine_free(t.client);
	zcvpn_engine_free(t.server);
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
	tcase_add_loop_test(tunnel, test_moderation_live, 0, 2);
	suite_add_tcase(s, tunnel);
	tcase_set_timeout(bad, 120);
	tcase_add_test(bad, test_hostile_datagrams);
	tcase_add_loop_test(bad, test_config_errors, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
	tcase_add_test(bad, test_moderation_config);
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
