/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP over a DTLS channel (proto/ppp-dtls.h) without the engine, for F5 and Fortinet: a
 * client and a server transport, each with a fake host (tests/fake-host.h) on an
 * in-memory wire, the certificate handshake, the hello and LCP/IPCP/IP6CP driven through
 * run_timers and decap.  Then:
 *  - data both ways lands where rx_head predicted (no move), with the header lengths
 *    LCP settled (F5 compresses, Fortinet does not);
 *  - frames an authenticated peer can send, crafted on the client's record layer: every
 *    bad vendor header and lying length, bad PPP headers, empty frames, data for a
 *    closed NCP, an unknown protocol (answered with a Protocol-Reject): each dropped and
 *    counted under its own name;
 *  - the hello: re-sent each second, given up after the timeout, a lost Fortinet
 *    answer taken as yes on the first PPP frame, a server re-answering a repeated hello;
 *  - LCP echo as DPD on the fake clock, and Terminate on close.
 *
 * The library keeps its own handshake timers on the real clock, so the fake clock
 * starts at the real time and only moves forward.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dtls.h"
#include "proto/dtls-channel.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "proto/ppp-dtls.h"
#include "proto/ppp-frame.h"
#include "proto/ppp-link.h"
#include "ring/pkt.h"
#include "src/util/byteorder.h"
#include "src/util/clock.h"
#include "src/util/macros.h"
#include "tests/dtls-pair.h"
#include "tests/fake-host.h"

enum {
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	ROOM = 4096,
	PAYLOAD_OFF = 256,
	MAX_INNER = 1400,
	ROUNDS = 300,
	MS = 1000000,
};

static const char session[] = "sess-0123456789abcdef";
static char cert_file[512], key_file[512], pin[128];

struct side {
	struct mem_wire out;
	struct fake_host host;
	struct ppp_dtls *p;
	struct transport *t;
	uint8_t room[ROOM];
	struct pkt pkt;
};

struct pair {
	struct side cli, srv;
	enum zcvpn_ppp_flavour flavour;
	uint32_t encap_len;
	/* Drops the server's next n datagrams (a lost hello answer). */
	unsigned drop_srv;
};

static enum zcvpn_transport_state state(const struct side *s)
{
	int error;

	return s->t->ops->state(s->t, &error);
}

static int state_error(const struct side *s)
{
	int error;

	s->t->ops->state(s->t, &error);
	return error;
}

static uint64_t counter(const struct side *s, const char *name)
{
	uint64_t v[PPP_DTLS_N_COUNTERS];

	s->t->ops->read_counters(s->t, v);
	for (unsigned i = 0; i < PPP_DTLS_N_COUNTERS; i++)
		if (!strcmp(ppp_dtls_counters[i].name, name))
			return v[i];
	ck_abort_msg("no counter %s", name);
	return 0;
}

static enum transport_verdict feed(struct side *s, const uint8_t *d, size_t len)
{
	uint32_t head = s->t->ops->rx_head(s->t);

	ck_assert_uint_le(head, PAYLOAD_OFF);
	memset(s->room, 0xee, sizeof(s->room));
	s->pkt = (struct pkt){
		.head = s->room,
		.data = s->room + PAYLOAD_OFF - head,
		.len = (uint32_t)len,
		.end = s->room + sizeof(s->room),
	};
	memcpy(s->pkt.data, d, len);
	return s->t->ops->decap(s->t, &s->pkt, MAX_INNER);
}

static void deliver_all(struct side *from, struct side *to, unsigned *drop)
{
	uint8_t d[DGRAM_MAX];
	size_t len;

	while ((len = mem_wire_pop(&from->out, d))) {
		if (drop && *drop) {
			(*drop)--;
			continue;
		}
		feed(to, d, len);
	}
}

static void tick(struct side *s, uint64_t now)
{
	s->host.now = now;
	s->t->ops->run_timers(s->t, now);
}

static void side_init(struct pair *pr, struct side *s, bool server, bool want_v6)
{
	struct ppp_dtls_config cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.channel.dtls.role = server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT;
	cfg.channel.dtls.mode = DTLS_MODE_CERT;
	cfg.channel.dtls.mtu = 1500;
	cfg.channel.dtls.retrans_ms = 1000;
	cfg.channel.dtls.handshake_timeout_ms = 5000;
	cfg.hello = (struct ppp_hello_params){
		.flavour = pr->flavour, .session = session, .host = "localhost",
		.ipv4 = true, .ipv6 = want_v6,
	};
	cfg.link = (struct ppp_link_config){
		.server = server, .want_ipv4 = true, .want_ipv6 = want_v6, .want_dns = !server,
		.echo_ms = server ? 0 : 1000, .echo_fails = 3,
	};
	if (server) {
		cfg.link.local_ipv4 = htonl(0x0a000001);
		cfg.link.peer_ipv4 = htonl(0x0a000002);
		cfg.link.dns[0] = htonl(0x0a000035);
	}
	cfg.max_inner = MAX_INNER;
	ck_assert_int_eq(dtls_credentials_new(&cfg.creds, cfg.channel.dtls.role,
					      &(struct dtls_cert_config){
						      .cert_file = server ? cert_file : NULL,
						      .key_file = server ? key_file : NULL,
						      .pin = server ? NULL : pin,
					      }, err, sizeof(err)), 0);
	fake_host_init(&s->host, &s->out, now_ns());
	ck_assert_msg(ppp_dtls_new(&s->p, &cfg, &s->host.host, err, sizeof(err)) == 0, "%s",
		      err);
	s->t = ppp_dtls_transport(s->p);
	ck_assert_int_eq(state(s), ZCVPN_TRANSPORT_CONNECTING);
}

static struct pair *pair_new(enum zcvpn_ppp_flavour f, bool want_v6)
{
	struct pair *pr = calloc(1, sizeof(*pr));

	ck_assert_ptr_nonnull(pr);
	pr->flavour = f;
	pr->encap_len = f == ZCVPN_PPP_F5 ? PPP_F5_HEADER : PPP_FORTINET_HEADER;
	side_init(pr, &pr->cli, false, want_v6);
	side_init(pr, &pr->srv, true, want_v6);
	return pr;
}

static void pair_free(struct pair *pr)
{
	pr->cli.t->ops->free(pr->cli.t);
	pr->srv.t->ops->free(pr->srv.t);
	free(pr);
}

/* Runs both sides on the fake clock, advanced by step_ms a round, until pred holds. */
static bool drive(struct pair *pr, uint64_t step_ms, bool (*pred)(struct pair *))
{
	uint64_t now = pr->cli.host.now;

	for (int i = 0; i < ROUNDS; i++) {
		if (now < now_ns())
			now = now_ns();
		tick(&pr->cli, now);
		deliver_all(&pr->cli, &pr->srv, NULL);
		tick(&pr->srv, now);
		deliver_all(&pr->srv, &pr->cli, &pr->drop_srv);
		if (pred(pr))
			return true;
		now += step_ms * MS;
	}
	return false;
}

static bool both_up(struct pair *pr)
{
	return state(&pr->cli) == ZCVPN_TRANSPORT_UP && state(&pr->srv) == ZCVPN_TRANSPORT_UP &&
	       ppp_link_data_open(ppp_dtls_link(pr->cli.p), PPP_PROTO_IPV4) &&
	       ppp_link_data_open(ppp_dtls_link(pr->srv.p), PPP_PROTO_IPV4);
}

static bool client_down(struct pair *pr)
{
	return state(&pr->cli) == ZCVPN_TRANSPORT_DOWN;
}

static struct pair *pair_up(enum zcvpn_ppp_flavour f, bool want_v6)
{
	struct pair *pr = pair_new(f, want_v6);

	ck_assert_msg(drive(pr, 0, both_up), "PPP over DTLS never came up");
	return pr;
}

/* A plaintext record from the client's own record layer: anything an authentic peer
 * could send. */
static size_t craft(struct side *s, const uint8_t *plain, uint32_t len, uint8_t *dgram)
{
	static uint8_t room[ROOM];
	struct pkt pkt = {
		.head = room, .data = room + PAYLOAD_OFF, .len = len, .end = room + sizeof(room),
	};

	memcpy(pkt.data, plain, len);
	ck_assert_int_eq(dtls_record_protect(dtls_channel_record(ppp_dtls_channel(s->p)), &pkt,
					     DTLS_CT_APPLICATION_DATA), 0);
	memcpy(dgram, pkt.data, pkt.len);
	return pkt.len;
}

static void fill_ip(uint8_t *b, uint32_t len, int version, uint32_t salt)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + salt);
	b[0] = (uint8_t)(version << 4 | 5);
}

/* Data from one side to the other: lands at the payload offset, intact. */
static void expect_data(struct side *from, struct side *to, uint32_t len, int version)
{
	static uint8_t room[ROOM];
	struct pkt pkt = {
		.head = room, .data = room + PAYLOAD_OFF, .len = len, .end = room + sizeof(room),
	};
	uint8_t want[MAX_INNER], d[DGRAM_MAX];
	size_t n;

	fill_ip(pkt.data, len, version, len);
	memcpy(want, pkt.data, len);
	ck_assert_int_eq(from->t->ops->encap(from->t, &pkt, NULL), 0);
	ck_assert_uint_le(PAYLOAD_OFF - pkt_headroom(&pkt), from->t->max_head);
	n = pkt.len;
	memcpy(d, pkt.data, n);
	ck_assert_int_eq(feed(to, d, n), TRANSPORT_DATA);
	ck_assert_uint_eq(to->pkt.len, len);
	ck_assert_mem_eq(to->pkt.data, want, len);
	/* Where the engine wants it: nothing to move. */
	ck_assert_ptr_eq(to->pkt.data, to->room + PAYLOAD_OFF);
}

static const enum zcvpn_ppp_flavour flavours[] = { ZCVPN_PPP_F5, ZCVPN_PPP_FORTINET };

START_TEST(test_up_and_data)
{
	struct pair *pr = pair_up(flavours[_i], true);
	const struct ppp_negotiated *cn = ppp_link_negotiated(ppp_dtls_link(pr->cli.p));
	uint32_t rec_head = dtls_channel_rx_head(ppp_dtls_channel(pr->cli.p));
	bool compress = flavours[_i] == ZCVPN_PPP_F5;

	ck_assert(cn->ipv4_open && cn->ipv6_open);
	ck_assert_uint_eq(ntohl(cn->local_ipv4), 0x0a000002);
	ck_assert_uint_eq(ntohl(cn->peer_ipv4), 0x0a000001);
	ck_assert_uint_eq(ntohl(cn->dns[0]), 0x0a000035);
	/* Fortinet never asks for ACFC/PFC; F5 (and openconnect) does, both ways. */
	ck_assert_int_eq(cn->tx_acfc, compress);
	ck_assert_int_eq(cn->rx_pfc, compress);
	ck_assert_uint_eq(pr->cli.t->ops->rx_head(pr->cli.t),
			  rec_head + pr->encap_len + (compress ? 1 : 4));
	for (uint32_t len = 20; len <= MAX_INNER; len += 345) {
		expect_data(&pr->cli, &pr->srv, len, 4);
		expect_data(&pr->srv, &pr->cli, len, 6);
	}
	ck_assert_uint_eq(counter(&pr->srv, "rx_header_moved"), 0);
	ck_assert_uint_ge(pr->cli.host.events[ZCVPN_EVENT_NETWORK], 1);
	ck_assert_uint_eq(counter(&pr->cli, "hello_tx"), 1);
	ck_assert_uint_eq(counter(&pr->srv, "hello_rx"), 1);
	pair_free(pr);
}
END_TEST

/* A frame whose PPP header is not the predicted length is still taken, and counted. */
START_TEST(test_unpredicted_header)
{
	struct pair *pr = pair_up(ZCVPN_PPP_F5, true);
	uint8_t plain[64], d[DGRAM_MAX];
	size_t n;

	/* F5 00 len | FF 03 00 21 | IPv4: the uncompressed form the peer was allowed to skip. */
	memcpy(plain, "\xf5\x00\x00\x18\xff\x03\x00\x21", 8);
	fill_ip(plain + 8, 20, 4, 1);
	n = craft(&pr->cli, plain, 28, d);
	ck_assert_int_eq(feed(&pr->srv, d, n), TRANSPORT_DATA);
	ck_assert_uint_eq(pr->srv.pkt.len, 20);
	ck_assert_ptr_eq(pr->srv.pkt.data, pr->srv.room + PAYLOAD_OFF + 3);
	ck_assert_uint_eq(counter(&pr->srv, "rx_header_moved"), 1);
	pair_free(pr);
}
END_TEST

struct hostile {
	const char *what;
	int flavour;		/* 0 F5, 1 Fortinet */
	const char *bytes;
	uint32_t len;
	enum transport_verdict verdict;
	const char *counter;	/* the one that must have counted it */
};

static const struct hostile hostile[] = {
	{ "F5 bad magic", 0, "\xf4\x00\x00\x05\x21\x45\x00\x00\x00", 9, TRANSPORT_DROP,
	  "rx_bad_encap" },
	{ "F5 length beyond", 0, "\xf5\x00\x00\x09\x21\x45\x00\x00\x00", 9, TRANSPORT_DROP,
	  "rx_bad_encap" },
	{ "F5 length short", 0, "\xf5\x00\x00\x02\x21\x45\x00\x00\x00", 9, TRANSPORT_DROP,
	  "rx_bad_encap" },
	{ "F5 header only", 0, "\xf5\x00", 2, TRANSPORT_DROP, "rx_bad_encap" },
	{ "F5 empty", 0, "", 0, TRANSPORT_DROP, "rx_bad_encap" },
	{ "F5 FF without 03", 0, "\xf5\x00\x00\x05\xff\x05\x21\x45\x00", 9, TRANSPORT_DROP,
	  "rx_bad_ppp_header" },
	{ "F5 even protocol", 0, "\xf5\x00\x00\x03\x00\x20\x45", 7, TRANSPORT_DROP,
	  "rx_bad_ppp_header" },
	{ "F5 IPv4 without packet", 0, "\xf5\x00\x00\x01\x21", 5, TRANSPORT_DROP, "rx_empty" },
	{ "F5 unknown protocol", 0, "\xf5\x00\x00\x06\x00\x2b\x01\x02\x03\x04", 10,
	  TRANSPORT_CONTROL, "ppp_rx_unknown_protocol" },
	{ "F5 LCP bad length", 0, "\xf5\x00\x00\x08\xff\x03\xc0\x21\x09\x07\x00\x40", 12,
	  TRANSPORT_CONTROL, "ppp_rx_bad_length" },
	{ "Fortinet total lies", 1, "\x00\x0b\x50\x50\x00\x04\x00\x21\x45\x00", 10,
	  TRANSPORT_DROP, "rx_bad_encap" },
	{ "Fortinet frame lies", 1, "\x00\x0a\x50\x50\x00\x05\x00\x21\x45\x00", 10,
	  TRANSPORT_DROP, "rx_bad_encap" },
	{ "Fortinet bad magic", 1, "\x00\x0a\x50\x51\x00\x04\x00\x21\x45\x00", 10,
	  TRANSPORT_DROP, "rx_bad_encap" },
	{ "Fortinet short", 1, "\x00\x0a\x50\x50", 4, TRANSPORT_DROP, "rx_bad_encap" },
	{ "Fortinet LCP without FF 03", 1, "\x00\x0c\x50\x50\x00\x06\xc0\x21\x09\x01\x00\x04", 12,
	  TRANSPORT_DROP, "rx_bad_ppp_header" },
};

START_TEST(test_hostile_frames)
{
	const struct hostile *h = &hostile[_i];
	struct pair *pr = pair_up(flavours[h->flavour], true);
	uint8_t d[DGRAM_MAX];
	uint64_t before = counter(&pr->srv, h->counter);
	size_t n = craft(&pr->cli, (const uint8_t *)h->bytes, h->len, d);

	ck_assert_msg(feed(&pr->srv, d, n) == h->verdict, "%s: verdict", h->what);
	ck_assert_msg(counter(&pr->srv, h->counter) == before + 1, "%s: %s not counted", h->what,
		      h->counter);
	/* The link is still up and data still flows. */
	ck_assert(both_up(pr));
	expect_data(&pr->cli, &pr->srv, 100, 4);
	pair_free(pr);
}
END_TEST

/* An unknown protocol gets a Protocol-Reject back. */
START_TEST(test_protocol_reject_sent)
{
	struct pair *pr = pair_up(ZCVPN_PPP_F5, true);
	uint8_t d[DGRAM_MAX];
	size_t n = craft(&pr->cli, (const uint8_t *)"\xf5\x00\x00\x06\x00\x2b\x01\x02\x03\x04",
			 10, d);

	ck_assert_uint_eq(pr->srv.out.count, 0);
	ck_assert_int_eq(feed(&pr->srv, d, n), TRANSPORT_CONTROL);
	ck_assert_uint_eq(pr->srv.out.count, 1);
	deliver_all(&pr->srv, &pr->cli, NULL);
	ck_assert_uint_eq(counter(&pr->cli, "ppp_proto_rej_rx"), 1);
	ck_assert(both_up(pr));
	pair_free(pr);
}
END_TEST

/* IPv6 not negotiated: IPv6 data is refused on send and dropped on receive. */
START_TEST(test_closed_ncp)
{
	struct pair *pr = pair_up(flavours[_i], false);
	static uint8_t room[ROOM];
	struct pkt pkt = {
		.head = room, .data = room + PAYLOAD_OFF, .len = 60, .end = room + sizeof(room),
	};
	uint8_t plain[80], d[DGRAM_MAX];
	uint32_t off = pr->encap_len;
	size_t n;

	fill_ip(pkt.data, 60, 6, 3);
	ck_assert_int_eq(pr->cli.t->ops->encap(pr->cli.t, &pkt, NULL), -ENETUNREACH);
	ck_assert_uint_eq(counter(&pr->cli, "tx_no_ncp"), 1);
	ppp_encap_write(flavours[_i] == ZCVPN_PPP_F5 ? PPP_ENCAP_F5 : PPP_ENCAP_FORTINET, plain,
			4 + 40);
	memcpy(plain + off, "\xff\x03\x00\x57", 4);
	fill_ip(plain + off + 4, 40, 6, 4);
	n = craft(&pr->cli, plain, off + 44, d);
	ck_assert_int_eq(feed(&pr->srv, d, n), TRANSPORT_DROP);
	ck_assert_uint_eq(counter(&pr->srv, "rx_ncp_closed"), 1);
	expect_data(&pr->cli, &pr->srv, 60, 4);
	pair_free(pr);
}
END_TEST

/* The Fortinet answer is lost: the client takes the server's first PPP frame as yes. */
START_TEST(test_lost_answer)
{
	struct pair *pr = pair_new(ZCVPN_PPP_FORTINET, true);

	/* Let the handshake finish, then lose exactly the server's answer. */
	for (int i = 0; i < ROUNDS && state(&pr->srv) == ZCVPN_TRANSPORT_CONNECTING &&
			counter(&pr->srv, "hello_rx") == 0; i++) {
		uint64_t now = now_ns();

		tick(&pr->cli, now);
		deliver_all(&pr->cli, &pr->srv, NULL);
		tick(&pr->srv, now);
		if (counter(&pr->srv, "hello_rx") == 0)
			deliver_all(&pr->srv, &pr->cli, NULL);
	}
	ck_assert_uint_eq(counter(&pr->srv, "hello_rx"), 1);
	/* The server's wire: the answer, then its LCP Configure-Request. */
	ck_assert_uint_ge(pr->srv.out.count, 2);
	pr->drop_srv = 1;
	ck_assert(drive(pr, 0, both_up));
	ck_assert_uint_eq(counter(&pr->cli, "hello_rx"), 0);
	pair_free(pr);
}
END_TEST

/* The server never answers the hello: resent each second, given up after 5 s. */
START_TEST(test_hello_timeout)
{
	struct pair *pr = pair_new(flavours[_i], true);

	pr->drop_srv = 1000000;		/* after the handshake, everything from the server */
	for (int i = 0; i < ROUNDS && dtls_channel_state(ppp_dtls_channel(pr->cli.p)) !=
						  DTLS_CHANNEL_UP; i++) {
		uint64_t now = now_ns();

		tick(&pr->cli, now);
		deliver_all(&pr->cli, &pr->srv, NULL);
		tick(&pr->srv, now);
		deliver_all(&pr->srv, &pr->cli, NULL);
	}
	ck_assert_int_eq(dtls_channel_state(ppp_dtls_channel(pr->cli.p)), DTLS_CHANNEL_UP);
	ck_assert(drive(pr, 250, client_down));
	ck_assert_int_eq(state_error(&pr->cli), -ETIMEDOUT);
	/* Once at the start and once a second after: 5 or 6 in 5 s, never a flood. */
	ck_assert_uint_ge(counter(&pr->cli, "hello_tx"), 5);
	ck_assert_uint_le(counter(&pr->cli, "hello_tx"), 6);
	pair_free(pr);
}
END_TEST

/* The server stops answering: LCP echoes find it dead within echo_fails intervals. */
START_TEST(test_echo_dpd)
{
	struct pair *pr = pair_up(flavours[_i], true);

	pr->drop_srv = 1000000;
	ck_assert(drive(pr, 100, client_down));
	ck_assert_int_eq(state_error(&pr->cli), -ETIMEDOUT);
	ck_assert_uint_ge(counter(&pr->cli, "lcp_echo_tx"), 3);
	pair_free(pr);
}
END_TEST

static bool server_closed(struct pair *pr)
{
	return state(&pr->srv) == ZCVPN_TRANSPORT_CLOSED;
}

/* close sends LCP Terminate-Request and close_notify: the server is closed for good. */
START_TEST(test_close)
{
	struct pair *pr = pair_up(flavours[_i], true);

	pr->cli.t->ops->close(pr->cli.t);
	deliver_all(&pr->cli, &pr->srv, NULL);
	ck_assert(server_closed(pr));
	ck_assert_uint_eq(counter(&pr->srv, "ppp_term_req_rx"), 1);
	pair_free(pr);
}
END_TEST

static void read_line(const char *path, char *out, size_t room)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(out, (int)room, f)) {
		fprintf(stderr, "check_ppp_dtls: cannot read %s (srcdir?)\n", path);
		exit(99);
	}
	out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
}

static Suite *ppp_dtls_suite(void)
{
	Suite *s = suite_create("ppp_dtls");
	TCase *tc = tcase_create("ppp_dtls");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_up_and_data, 0, 2);
	tcase_add_test(tc, test_unpredicted_header);
	tcase_add_loop_test(tc, test_hostile_frames, 0, ARRAY_SIZE(hostile));
	tcase_add_test(tc, test_protocol_reject_sent);
	tcase_add_loop_test(tc, test_closed_ncp, 0, 2);
	tcase_add_test(tc, test_lost_answer);
	tcase_add_loop_test(tc, test_hello_timeout, 0, 2);
	tcase_add_loop_test(tc, test_echo_dpd, 0, 2);
	tcase_add_loop_test(tc, test_close, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *srcdir = getenv("srcdir");
	SRunner *sr;
	int failed;

	snprintf(cert_file, sizeof(cert_file), "%s/tests/vectors/certs/rsa.pem",
		 srcdir ? srcdir : ".");
	snprintf(key_file, sizeof(key_file), "%s/tests/vectors/certs/rsa-key.pem",
		 srcdir ? srcdir : ".");
	char path[512];

	snprintf(path, sizeof(path), "%s/tests/vectors/certs/rsa.pin", srcdir ? srcdir : ".");
	read_line(path, pin, sizeof(pin));
	sr = srunner_create(ppp_dtls_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
