/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP over DTLS through the public API: a client and a server engine over loopback with
 * the in-memory tun, for F5 and Fortinet.  A certificate-verified DTLS handshake, the
 * flavour's hello, LCP, IPCP and IP6CP negotiated over DTLS (the client learns the
 * addresses and DNS the server assigns, in a NETWORK event), then 100,000 packets each
 * way through our in-place record layer with copied_bytes 0; a Terminate-Request reaches
 * the server.  Also: a wrong session and a wrong pin refused in bounded time, the
 * server's Terminate closing the client, config errors (the dead peer found by LCP
 * echo is check_ppp_dtls's, on a fake clock).  Crafted frames from an authenticated peer
 * are check_ppp_dtls's job.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/zcvpn.h"
#include "tests/api-helpers.h"

static char cert_file[512], key_file[512], pin[128], other_pin[128];

static const char session[] = "e3b0c44298fc1c149afbf4c8996fb924";

struct row {
	const char *name;
	enum zcvpn_ppp_flavour flavour;
	uint64_t count;
	bool ipv4, ipv6;
};

static const struct row rows[] = {
	{ "f5", ZCVPN_PPP_F5, 100000, true, true },
	{ "fortinet", ZCVPN_PPP_FORTINET, 100000, true, true },
	{ "f5 ipv4 only", ZCVPN_PPP_F5, 20000, true, false },
	{ "fortinet ipv6 only", ZCVPN_PPP_FORTINET, 20000, false, true },
};

/* What the NETWORK events told one side (the last one). */
struct seen {
	pthread_mutex_t lock;
	unsigned networks;
	struct zcvpn_network net;
	int last_down_error;
};

static void on_event(void *ctx, const struct zcvpn_event *ev)
{
	struct seen *s = ctx;

	pthread_mutex_lock(&s->lock);
	if (ev->type == ZCVPN_EVENT_NETWORK) {
		s->networks++;
		s->net = *ev->network;
	}
	if (ev->type == ZCVPN_EVENT_TRANSPORT_DOWN)
		s->last_down_error = ev->error;
	pthread_mutex_unlock(&s->lock);
}

static void base_config(struct zcvpn_config *cfg, const struct row *r, bool server,
			struct seen *seen)
{
	static const uint8_t srv4[4] = { 10, 11, 0, 1 }, cli4[4] = { 10, 11, 0, 2 };
	static const uint8_t dns[4] = { 10, 11, 0, 53 }, dns2[4] = { 10, 11, 0, 54 };

	zcvpn_config_init(cfg);
	cfg->protocol = ZCVPN_PROTOCOL_PPP;
	cfg->ppp.server = server;
	cfg->ppp.flavour = r->flavour;
	cfg->ppp.session = session;
	cfg->ppp.want_ipv4 = r->ipv4;
	cfg->ppp.want_ipv6 = r->ipv6;
	cfg->ppp.handshake_timeout_ms = 5000;
	if (server) {
		cfg->ppp.cert_file = cert_file;
		cfg->ppp.key_file = key_file;
		memcpy(cfg->ppp.ipv4, srv4, 4);
		memcpy(cfg->ppp.ipv4_peer, cli4, 4);
		memcpy(cfg->ppp.dns4[0], dns, 4);
		memcpy(cfg->ppp.dns4[1], dns2, 4);
		cfg->local = "127.0.0.1:0";
	} else {
		cfg->ppp.pin = pin;
		cfg->ppp.hostname = "localhost";
	}
	cfg->mem_min_size = 64;
	cfg->mem_ipv6_percent = r->ipv4 && r->ipv6 ? 50 : r->ipv6 ? 100 : 0;
	cfg->mem_flow_id = server ? 2 : 1;
	cfg->mem_expect_flow_id = server ? 1 : 2;
	cfg->mem_seed = server ? 22 : 11;
	/* Paced so that loopback socket buffers never overflow under ASan (see check_engine). */
	cfg->mem_rate_pps = 40000;
	pthread_mutex_init(&seen->lock, NULL);
	cfg->event_fn = on_event;
	cfg->event_ctx = seen;
}

struct tunnel {
	struct zcvpn_engine *server, *client;
	struct seen sseen, cseen;
};

static int tunnel_try(struct tunnel *t, struct zcvpn_config *scfg, struct zcvpn_config *ccfg,
		      char *err, size_t errlen)
{
	char remote[64];
	int ret;

	ret = zcvpn_engine_new(&t->server, scfg, err, errlen);
	if (ret)
		return ret;
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(t->server));
	ccfg->remote = remote;
	ret = zcvpn_engine_new(&t->client, ccfg, err, errlen);
	if (ret)
		return ret;
	ck_assert_int_eq(zcvpn_engine_start(t->server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(t->client, ZCVPN_START_THREAD), 0);
	return 0;
}

static void tunnel_free(struct tunnel *t)
{
	zcvpn_engine_free(t->client);
	zcvpn_engine_free(t->server);
}

typedef bool (*stats_pred)(struct zcvpn_engine *e, const struct zcvpn_stats *st);

static bool wait_for(struct zcvpn_engine *e, stats_pred pred, double seconds)
{
	double deadline = now_s() + seconds;
	struct zcvpn_stats st;

	for (;;) {
		get_stats(e, &st);
		if (pred(e, &st))
			return true;
		if (now_s() > deadline)
			return false;
		usleep(10000);
	}
}

static uint64_t expected_count;

static bool all_received(struct zcvpn_engine *e, const struct zcvpn_stats *st)
{
	return st->generator_done &&
	       st->sink_good + st->sink_corrupt + st->rx_socket_drops + st->rx_ring_full >=
	       expected_count;
}

static bool is_up(struct zcvpn_engine *e, const struct zcvpn_stats *st)
{
	return transport_up(st);
}

static bool is_down(struct zcvpn_engine *e, const struct zcvpn_stats *st)
{
	return st->transport_state == ZCVPN_TRANSPORT_DOWN && st->transport_error != 0;
}

static bool peer_closed(struct zcvpn_engine *e, const struct zcvpn_stats *st)
{
	return st->transport_state == ZCVPN_TRANSPORT_CLOSED;
}

/* Every drop reason that counted something, for the failure message. */
static void drops(struct zcvpn_engine *e, char *out, size_t len)
{
	struct zcvpn_counter c;
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; zcvpn_engine_counter(e, i, &c) == 0 && n < len; i++)
		if ((c.flags & ZCVPN_COUNTER_DROP) && c.value)
			n += (size_t)snprintf(out + n, len - n, " %s=%llu", c.name,
					      (unsigned long long)c.value);
}

static void expect_clean(struct zcvpn_engine *e, uint64_t count, const char *who)
{
	struct zcvpn_stats st;
	char why[512];

	get_stats(e, &st);
	drops(e, why, sizeof(why));
	/*
	 * Loss only as counted: the kernel's (a full socket buffer) or the rx ring's (a sink
	 * that fell behind), both on a loaded machine, as check_engine allows.
	 */
	ck_assert_msg(st.sink_good + st.rx_socket_drops + st.rx_ring_full == count,
		      "%s: good %llu of %llu (lost %llu, socket drops %llu, ring full %llu)", who,
		      (unsigned long long)st.sink_good, (unsigned long long)count,
		      (unsigned long long)st.sink_lost, (unsigned long long)st.rx_socket_drops,
		      (unsigned long long)st.rx_ring_full);
	ck_assert_uint_eq(st.sink_corrupt, 0);
	ck_assert_uint_eq(st.sink_duplicate, 0);
	ck_assert_uint_eq(st.tx_packets, count);
	ck_assert_uint_eq(st.tx_encap_errors, 0);
	/* Not one datagram dropped, for any reason. */
	ck_assert_msg(st.rx_invalid == 0, "%s: dropped:%s", who, why);
	ck_assert_uint_gt(counter(e, "handshake_datagrams"), 0);
	ck_assert_uint_gt(counter(e, "hello_tx"), 0);
	ck_assert_uint_gt(counter(e, "ppp_conf_ack_rx"), 0);
	/* The header was where the negotiation said: nothing moved, nothing copied. */
	ck_assert_uint_eq(counter(e, "rx_header_moved"), 0);
	ck_assert_uint_eq(st.copied_bytes, 0);
	ck_assert_uint_lt(st.send_calls, count);	/* batching happened */
}

static void expect_network(struct seen *s, const struct row *r)
{
	static const uint8_t cli4[4] = { 10, 11, 0, 2 }, srv4[4] = { 10, 11, 0, 1 };
	static const uint8_t dns[4] = { 10, 11, 0, 53 }, zero[8];

	pthread_mutex_lock(&s->lock);
	ck_assert_uint_ge(s->networks, 1);
	ck_assert_int_eq(s->net.has_ipv4, r->ipv4);
	ck_assert_int_eq(s->net.has_ipv6, r->ipv6);
	if (r->ipv4) {
		ck_assert_mem_eq(s->net.ipv4, cli4, 4);
		ck_assert_mem_eq(s->net.ipv4_peer, srv4, 4);
		ck_assert_uint_eq(s->net.n_dns4, 2);
		ck_assert_mem_eq(s->net.dns4[0], dns, 4);
	}
	if (r->ipv6) {
		ck_assert(memcmp(s->net.ipv6_iid, zero, 8) != 0);
		ck_assert(memcmp(s->net.ipv6_peer_iid, zero, 8) != 0);
		ck_assert(memcmp(s->net.ipv6_iid, s->net.ipv6_peer_iid, 8) != 0);
	}
	ck_assert_uint_gt(s->net.mtu, 0);
	pthread_mutex_unlock(&s->lock);
}

/* Client and server move count packets each way; the client then terminates. */
START_TEST(test_tunnel)
{
	const struct row *r = &rows[_i];
	struct zcvpn_config scfg, ccfg;
	struct tunnel t = { 0 };
	char err[256];

	base_config(&scfg, r, true, &t.sseen);
	base_config(&ccfg, r, false, &t.cseen);
	scfg.mem_count = ccfg.mem_count = expected_count = r->count;
	ck_assert_msg(tunnel_try(&t, &scfg, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(wait_for(t.client, is_up, 10), "%s: PPP never came up", r->name);
	expect_network(&t.cseen, r);
	ck_assert(wait_for(t.client, all_received, 120));
	ck_assert(wait_for(t.server, all_received, 30));
	zcvpn_engine_stop(t.client);
	/* The Terminate-Request (or the close_notify after it) reaches the server. */
	ck_assert(wait_for(t.server, peer_closed, 5));
	zcvpn_engine_stop(t.server);
	expect_clean(t.client, r->count, "client");
	expect_clean(t.server, r->count, "server");
	ck_assert_uint_gt(counter(t.server, "ppp_term_req_rx"), 0);
	tunnel_free(&t);
}
END_TEST

/* A hello for another session: the server refuses it, the client is down with -EACCES. */
START_TEST(test_wrong_session)
{
	const struct row *r = &rows[_i];
	struct zcvpn_config scfg, ccfg;
	struct tunnel t = { 0 };
	char err[256];

	base_config(&scfg, r, true, &t.sseen);
	base_config(&ccfg, r, false, &t.cseen);
	ccfg.ppp.session = "not-the-session-the-server-issued";
	ccfg.ppp.redial_ms = 0;
	ck_assert_msg(tunnel_try(&t, &scfg, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(wait_for(t.client, is_down, 10), "%s: no refusal", r->name);
	pthread_mutex_lock(&t.cseen.lock);
	ck_assert_int_eq(t.cseen.last_down_error, -EACCES);
	pthread_mutex_unlock(&t.cseen.lock);
	ck_assert_uint_eq(counter(t.server, "hello_refused"), 1);
	ck_assert_uint_eq(counter(t.server, "ppp_conf_req_rx"), 0);
	tunnel_free(&t);
}
END_TEST

/* The server's key is not the pinned one: the handshake is refused. */
START_TEST(test_wrong_pin)
{
	struct zcvpn_config scfg, ccfg;
	struct tunnel t = { 0 };
	char err[256];

	base_config(&scfg, &rows[0], true, &t.sseen);
	base_config(&ccfg, &rows[0], false, &t.cseen);
	ccfg.ppp.pin = other_pin;
	ccfg.ppp.redial_ms = 0;
	ck_assert_msg(tunnel_try(&t, &scfg, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert(wait_for(t.client, is_down, 10));
	pthread_mutex_lock(&t.cseen.lock);
	ck_assert_int_eq(t.cseen.last_down_error, -EACCES);
	pthread_mutex_unlock(&t.cseen.lock);
	tunnel_free(&t);
}
END_TEST

/* The server stops: its LCP Terminate-Request reaches the client, which is closed. */
START_TEST(test_server_terminates)
{
	struct zcvpn_config scfg, ccfg;
	struct tunnel t = { 0 };
	char err[256];

	base_config(&scfg, &rows[_i], true, &t.sseen);
	base_config(&ccfg, &rows[_i], false, &t.cseen);
	ccfg.ppp.dpd_ms = 200;
	ck_assert_msg(tunnel_try(&t, &scfg, &ccfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert(wait_for(t.client, is_up, 10));
	zcvpn_engine_stop(t.server);
	ck_assert(wait_for(t.client, peer_closed, 10));
	ck_assert_uint_eq(counter(t.client, "ppp_term_req_rx"), 1);
	tunnel_free(&t);
}
END_TEST

static const struct {
	const char *what;
	bool server;
	const char *session, *cert, *pin, *local, *remote;
	bool no_ipv4, no_ipv6;
	int flavour;
	const char *expect_in_message;
} bad_configs[] = {
	{ "no session", false, NULL, NULL, "P", NULL, "127.0.0.1:443", false, false, 0, "session" },
	{ "empty session", false, "", NULL, "P", NULL, "127.0.0.1:443", false, false, 0, "session" },
	{ "session with a space", false, "a b", NULL, "P", NULL, "127.0.0.1:443", false, false, 0,
	  "hello" },
	{ "no families", false, "s", NULL, "P", NULL, "127.0.0.1:443", true, true, 0, "IPv4 or IPv6" },
	{ "flavour", false, "s", NULL, "P", NULL, "127.0.0.1:443", false, false, 7, "flavour" },
	{ "no verification", false, "s", NULL, NULL, NULL, "127.0.0.1:443", false, false, 0, "pin" },
	{ "bad pin", false, "s", NULL, "pin-sha256:abc", NULL, "127.0.0.1:443", false, false, 0,
	  "pin" },
	{ "client without server", false, "s", NULL, "P", "127.0.0.1:0", NULL, false, false, 0,
	  "server's address" },
	{ "server without address", true, "s", "C", NULL, NULL, NULL, false, false, 0,
	  "local address" },
	{ "server without cert", true, "s", NULL, NULL, "127.0.0.1:0", NULL, false, false, 0,
	  "certificate" },
	{ "server cert missing", true, "s", "/nonexistent.pem", NULL, "127.0.0.1:0", NULL, false,
	  false, 0, "nonexistent" },
};

START_TEST(test_config_errors)
{
	struct zcvpn_engine *e = NULL;
	struct zcvpn_config cfg;
	char err[256] = "";

	zcvpn_config_init(&cfg);
	cfg.protocol = ZCVPN_PROTOCOL_PPP;
	cfg.ppp.server = bad_configs[_i].server;
	cfg.ppp.session = bad_configs[_i].session;
	cfg.ppp.flavour = (enum zcvpn_ppp_flavour)bad_configs[_i].flavour;
	if (bad_configs[_i].cert) {
		cfg.ppp.cert_file = !strcmp(bad_configs[_i].cert, "C") ? cert_file :
									 bad_configs[_i].cert;
		cfg.ppp.key_file = key_file;
	}
	if (bad_configs[_i].pin)
		cfg.ppp.pin = !strcmp(bad_configs[_i].pin, "P") ? pin : bad_configs[_i].pin;
	cfg.ppp.want_ipv4 = !bad_configs[_i].no_ipv4;
	cfg.ppp.want_ipv6 = !bad_configs[_i].no_ipv6;
	cfg.local = bad_configs[_i].local;
	cfg.remote = bad_configs[_i].remote;
	ck_assert_int_lt(zcvpn_engine_new(&e, &cfg, err, sizeof(err)), 0);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(err, bad_configs[_i].expect_in_message), "%s: message '%s'",
		      bad_configs[_i].what, err);
	/* The session is a secret: no message repeats it. */
	if (bad_configs[_i].session && strlen(bad_configs[_i].session) > 1)
		ck_assert_ptr_null(strstr(err, bad_configs[_i].session));
}
END_TEST

/* Outside any test: a missing vector is a hard error (99), not a failed check. */
static void read_line(const char *path, char *out, size_t room)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(out, (int)room, f)) {
		fprintf(stderr, "check_ppp: cannot read %s (run with srcdir set, as make check does)\n",
			path);
		exit(99);
	}
	out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
}

static void find_vectors(void)
{
	const char *srcdir = getenv("srcdir");
	char dir[400], path[512];

	snprintf(dir, sizeof(dir), "%s/tests/vectors/certs", srcdir ? srcdir : ".");
	snprintf(cert_file, sizeof(cert_file), "%s/rsa.pem", dir);
	snprintf(key_file, sizeof(key_file), "%s/rsa-key.pem", dir);
	snprintf(path, sizeof(path), "%s/rsa.pin", dir);
	read_line(path, pin, sizeof(pin));
	snprintf(path, sizeof(path), "%s/ecdsa.pin", dir);
	read_line(path, other_pin, sizeof(other_pin));
}

static Suite *ppp_suite(void)
{
	Suite *s = suite_create("ppp");
	TCase *tunnel = tcase_create("tunnel");
	TCase *control = tcase_create("control");
	TCase *bad = tcase_create("bad_input");

	tcase_set_timeout(tunnel, 300);
	tcase_add_loop_test(tunnel, test_tunnel, 0, sizeof(rows) / sizeof(rows[0]));
	suite_add_tcase(s, tunnel);
	tcase_set_timeout(control, 60);
	tcase_add_loop_test(control, test_wrong_session, 0, 2);
	tcase_add_test(control, test_wrong_pin);
	tcase_add_loop_test(control, test_server_terminates, 0, 2);
	suite_add_tcase(s, control);
	tcase_add_loop_test(bad, test_config_errors, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	find_vectors();
	sr = srunner_create(ppp_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
