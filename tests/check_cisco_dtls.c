/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect framing over a DTLS channel (proto/cisco-dtls.h, proto/dtls-channel.h)
 * without the engine: a client and a server transport, each with a fake host
 * (tests/fake-host.h) whose wire is an in-memory datagram queue, the PSK handshake driven
 * through run_timers and decap, then every record type an authenticated peer can send,
 * crafted on the client's record layer (dtls_channel_record) so that any type byte and
 * any length is possible: DATA delivered, DPD answered with the same payload, keepalive
 * and DPD responses counted, DISCONNECT and TERM_SERVER closing, COMPRESSED, unknown
 * types and empty records dropped and counted.  Also the DPD, keepalive, redial and rekey timers
 * on the hosts' fake clock, the deadlines run_timers reports, close, and garbage at an
 * established and at a listening server.
 *
 * The library keeps its own timers on the real clock, so the fake clock starts at the
 * real time and only moves forward from there.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dtls.h"
#include "proto/anyconnect.h"
#include "proto/cisco-dtls.h"
#include "proto/dtls-channel.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "proto/transport.h"
#include "ring/pkt.h"
#include "src/util/clock.h"
#include "src/util/macros.h"
#include "src/zcvpn.h"
#include "tests/dtls-pair.h"
#include "tests/fake-host.h"

enum {
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	ROOM = 4096,
	PAYLOAD_OFF = 256,	/* where the inner packet lands in a receive buffer */
	MAX_INNER = 1400,
	HANDSHAKE_ROUNDS = 200,
	MS = 1000000,
};

struct side {
	struct mem_wire out;	/* what this side sent */
	struct fake_host host;
	struct transport *t;
	struct cisco_dtls *c;
	uint64_t deadline;	/* what run_timers said last */
	uint8_t room[ROOM];	/* receive buffer, as a ring record */
	struct pkt pkt;		/* the last datagram fed, after decap */
};

struct link {
	struct side cli, srv;
	uint64_t t0;		/* the fake clock after the handshake */
};

static const unsigned suites[] = {
	DTLS_SUITE_AES128_GCM, DTLS_SUITE_AES256_GCM,
	DTLS_SUITE_AES128_CBC_SHA1, DTLS_SUITE_AES256_CBC_SHA1,
};

#define N_SUITES ARRAY_SIZE(suites)

static struct dtls_channel *chan(const struct cisco_dtls *c)
{
	return cisco_dtls_channel((struct cisco_dtls *)c);
}

static enum dtls_channel_state chan_state(const struct cisco_dtls *c)
{
	return dtls_channel_state(chan(c));
}

static unsigned chan_suite(const struct cisco_dtls *c)
{
	return dtls_channel_suite(chan(c));
}

static struct dtls_record *chan_record(const struct cisco_dtls *c)
{
	return dtls_channel_record(chan(c));
}

static int chan_error(const struct cisco_dtls *c, const char **detail)
{
	return dtls_channel_error(chan(c), detail);
}

static const struct dtls_channel_stats *chan_stats(const struct cisco_dtls *c)
{
	return dtls_channel_stats(chan(c));
}

/*
 * The timers at now, as the engine runs them, and what the old tick said: 0 while up,
 * -ECONNRESET once closed, the error (or 0 in a first handshake) otherwise.
 */
static int tick(struct side *s, uint64_t now)
{
	int error;
	enum zcvpn_transport_state st;

	s->host.now = now;
	s->deadline = s->t->ops->run_timers(s->t, now);
	st = s->t->ops->state(s->t, &error);
	if (st == ZCVPN_TRANSPORT_UP)
		return 0;
	if (st == ZCVPN_TRANSPORT_CLOSED)
		return -ECONNRESET;
	return error;
}

static bool ready(const struct side *s)
{
	int error;

	return s->t->ops->state(s->t, &error) == ZCVPN_TRANSPORT_UP;
}

/* One of the transport's named counters, as the engine would read and name it. */
static uint64_t counter(const struct side *s, const char *name)
{
	uint64_t v[CISCO_DTLS_N_COUNTERS];

	s->t->ops->read_counters(s->t, v);
	for (unsigned i = 0; i < CISCO_DTLS_N_COUNTERS; i++)
		if (!strcmp(cisco_dtls_counters[i].name, name))
			return v[i];
	ck_abort_msg("no counter %s", name);
	return 0;
}

/*
 * Feeds one datagram to s as the engine does: it lands rx_head bytes before the payload
 * of a record with room around it.  s->pkt is the view afterwards.
 */
static enum transport_verdict feed(struct side *s, const uint8_t *d, size_t len)
{
	uint32_t head = s->t->ops->rx_head(s->t);

	ck_assert_uint_le(head, PAYLOAD_OFF);
	ck_assert_uint_le(PAYLOAD_OFF - head + len, ROOM);
	memset(s->room, 0xee, sizeof(s->room));
	test_pkt_over(&s->pkt, s->room, sizeof(s->room), PAYLOAD_OFF - head, (uint32_t)len);
	if (len)
		memcpy(s->pkt.data, d, len);
	return s->t->ops->decap(s->t, &s->pkt, MAX_INNER);
}

/* Hands everything from one side's wire to the other's decap. */
static void deliver_all(struct side *from, struct side *to)
{
	uint8_t d[DGRAM_MAX];
	size_t len;

	while ((len = mem_wire_pop(&from->out, d)))
		feed(to, d, len);
}

static bool library_records;	/* side_init: take the library's record path */
static uint32_t client_redial_ms;	/* side_init: the client's redial_ms */
static uint32_t client_rekey_ms;	/* side_init: the client's rekey_ms */
static uint8_t psk_salt;		/* side_init: 0, or another PSK (a new tunnel's) */
/* side_init: certificate mode with these credentials (by role) instead of the PSK */
static const struct dtls_credentials *cert_creds[2];
/* side_init: the session ID (App-ID) a server expects in the ClientHello; NULL: any */
static const char *server_session_id;

static void side_init(struct side *s, enum dtls_role role, unsigned suite, uint32_t dpd_ms,
		      uint32_t keepalive_ms)
{
	struct cisco_dtls_config cfg;
	struct dtls_config *d = &cfg.channel.dtls;

	memset(&cfg, 0, sizeof(cfg));
	d->role = role;
	d->suites = suite;
	if (cert_creds[role]) {
		/* F5 and Fortinet: a server certificate, the client checks it. */
		d->mode = DTLS_MODE_CERT;
		d->creds = cert_creds[role];
	} else {
		d->psk_identity = "zcvpn-test";
		for (unsigned i = 0; i < DTLS_PSK_LEN; i++)
			d->psk[i] = (uint8_t)(0x3c ^ i * 11 ^ psk_salt);
	}
	if (role == DTLS_ROLE_CLIENT && !cert_creds[role]) {
		memcpy(d->session_id, "app-id-16-bytes!", 16);
		d->session_id_len = 16;
	}
	if (role == DTLS_ROLE_SERVER && server_session_id) {
		d->session_id_len = (uint32_t)strlen(server_session_id);
		memcpy(d->session_id, server_session_id, d->session_id_len);
	}
	d->mtu = 1500;
	d->retrans_ms = 1000;	/* no retransmission during a test */
	d->handshake_timeout_ms = 5000;
	cfg.dpd_ms = dpd_ms;
	cfg.keepalive_ms = keepalive_ms;
	cfg.max_inner = MAX_INNER;
	cfg.channel.library_records = library_records;
	cfg.channel.redial_ms = role == DTLS_ROLE_CLIENT ? client_redial_ms : 0;
	cfg.channel.rekey_ms = role == DTLS_ROLE_CLIENT ? client_rekey_ms : 0;
	cfg.rekey_keys = anyconnect_rekey_keys;
	fake_host_init(&s->host, &s->out, now_ns());
	ck_assert_int_eq(cisco_dtls_new(&s->c, &cfg, &s->host.host), 0);
	s->t = cisco_dtls_transport(s->c);
	ck_assert(!ready(s));
	ck_assert_int_eq(chan_state(s->c), DTLS_CHANNEL_HANDSHAKE);
	ck_assert_uint_eq(chan_suite(s->c), 0);
	ck_assert_uint_eq(s->t->ops->rx_head(s->t), 0);
}

/* Client DPD/keepalive as given, server without timers; no handshake yet. */
static struct link *link_new(unsigned suite, uint32_t dpd_ms, uint32_t keepalive_ms)
{
	struct link *l = calloc(1, sizeof(*l));

	ck_assert_ptr_nonnull(l);
	side_init(&l->cli, DTLS_ROLE_CLIENT, suite, dpd_ms, keepalive_ms);
	side_init(&l->srv, DTLS_ROLE_SERVER, suite, 0, 0);
	return l;
}

/*
 * Ticks both sides and hands each one's datagrams to the other until both are ready,
 * whatever the ticks say; fails the test if that takes HANDSHAKE_ROUNDS rounds.
 */
static void drive_until_ready(struct link *l)
{
	int i;

	for (i = 0; i < HANDSHAKE_ROUNDS; i++) {
		uint64_t now = now_ns();

		tick(&l->cli, now);
		deliver_all(&l->cli, &l->srv);
		tick(&l->srv, now);
		deliver_all(&l->srv, &l->cli);
		if (ready(&l->cli) && ready(&l->srv))
			break;
	}
	ck_assert_int_lt(i, HANDSHAKE_ROUNDS);
}

/* Drives the handshake through tick and decap; both UP, wires empty. */
static void link_handshake(struct link *l, unsigned suite)
{
	int i;

	for (i = 0; i < HANDSHAKE_ROUNDS; i++) {
		uint64_t now = now_ns();

		ck_assert_int_eq(tick(&l->cli, now), 0);
		deliver_all(&l->cli, &l->srv);
		ck_assert_int_eq(tick(&l->srv, now), 0);
		deliver_all(&l->srv, &l->cli);
		if (ready(&l->cli) && ready(&l->srv))
			break;
	}
	ck_assert_int_lt(i, HANDSHAKE_ROUNDS);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_UP);
	ck_assert_int_eq(chan_state(l->srv.c), DTLS_CHANNEL_UP);
	ck_assert_uint_eq(chan_suite(l->cli.c), suite);
	ck_assert_uint_eq(chan_suite(l->srv.c), suite);
	/* Both suites have a fast path on both backends: our record layer took over. */
	ck_assert_ptr_nonnull(chan_record(l->cli.c));
	ck_assert_ptr_nonnull(chan_record(l->srv.c));
	ck_assert_uint_eq(l->cli.out.count, 0);
	ck_assert_uint_eq(l->srv.out.count, 0);
	ck_assert_uint_gt(chan_stats(l->srv.c)->handshake_datagrams, 0);
	ck_assert_uint_gt(chan_stats(l->cli.c)->handshake_datagrams, 0);
	ck_assert_uint_eq(l->cli.t->ops->rx_head(l->cli.t),
			  dtls_record_rx_head_len(chan_record(l->cli.c)) + 1);
	l->t0 = now_ns();
}

static struct link *link_up(unsigned suite, uint32_t dpd_ms, uint32_t keepalive_ms)
{
	struct link *l = link_new(suite, dpd_ms, keepalive_ms);

	link_handshake(l, suite);
	return l;
}

static void link_free(struct link *l)
{
	l->cli.t->ops->free(l->cli.t);
	l->srv.t->ops->free(l->srv.t);
	free(l);
}

static void fill(uint8_t *b, uint32_t len, uint32_t salt)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + salt);
}

/*
 * Encapsulates len payload bytes on s's transport into dgram; returns the datagram
 * length.  A library-path transport sends by itself: then the datagram is on the wire.
 */
static size_t encap_data(struct side *s, uint32_t len, uint32_t salt, uint8_t *dgram)
{
	static uint8_t room[ROOM];
	struct pkt pkt = {
		.head = room,
		.data = room + PAYLOAD_OFF,
		.len = len,
		.end = room + sizeof(room),
	};
	int ret;

	ck_assert_uint_ge(PAYLOAD_OFF, s->t->max_head);
	fill(pkt.data, len, salt);
	ret = s->t->ops->encap(s->t, &pkt, NULL);
	if (ret == TRANSPORT_SENT)
		return mem_wire_pop(&s->out, dgram);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_le(PAYLOAD_OFF - pkt_headroom(&pkt), s->t->max_head);
	ck_assert_uint_le(pkt.len, len + s->t->max_head + s->t->max_tail);
	memcpy(dgram, pkt.data, pkt.len);
	return pkt.len;
}

/* Protects type | payload (or plain_len bytes as given) on s's own record layer. */
static size_t craft(struct side *s, const uint8_t *plain, uint32_t plain_len, uint8_t *dgram)
{
	static uint8_t room[ROOM];
	struct pkt pkt = {
		.head = room,
		.data = room + PAYLOAD_OFF,
		.len = plain_len,
		.end = room + sizeof(room),
	};

	if (plain_len)
		memcpy(pkt.data, plain, plain_len);
	ck_assert_int_eq(dtls_record_protect(chan_record(s->c), &pkt,
					     DTLS_CT_APPLICATION_DATA), 0);
	memcpy(dgram, pkt.data, pkt.len);
	return pkt.len;
}

static size_t craft_type(struct side *s, uint8_t type, uint32_t payload_len, uint32_t salt,
			 uint8_t *dgram)
{
	uint8_t plain[1 + MAX_INNER + 1];

	ck_assert_uint_le(payload_len, MAX_INNER + 1);
	plain[0] = type;
	fill(plain + 1, payload_len, salt);
	return craft(s, plain, 1 + payload_len, dgram);
}

/* DATA gets through from client to server and arrives intact. */
static void expect_data_passes(struct link *l, uint32_t len, uint32_t salt)
{
	uint8_t d[DGRAM_MAX], want[MAX_INNER];
	size_t n = encap_data(&l->cli, len, salt, d);

	ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DATA);
	fill(want, len, salt);
	ck_assert_uint_eq(l->srv.pkt.len, len);
	ck_assert_mem_eq(l->srv.pkt.data, want, len);
	/* In place: the inner packet is where the engine expects it. */
	ck_assert_ptr_eq(l->srv.pkt.data, l->srv.room + PAYLOAD_OFF);
}

/* ---- data both ways, every suite ------------------------------------------------- */

static const uint32_t sizes[] = { 1, 2, 15, 16, 17, 64, 255, 1000, MAX_INNER - 1, MAX_INNER };

START_TEST(test_data_both_ways)
{
	struct link *l = link_up(suites[_i], 0, 0);
	uint8_t d[DGRAM_MAX], want[MAX_INNER];

	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		size_t n;

		expect_data_passes(l, sizes[k], (uint32_t)k);

		n = encap_data(&l->srv, sizes[k], (uint32_t)k + 100, d);
		ck_assert_int_eq(feed(&l->cli, d, n), TRANSPORT_DATA);
		fill(want, sizes[k], (uint32_t)k + 100);
		ck_assert_uint_eq(l->cli.pkt.len, sizes[k]);
		ck_assert_mem_eq(l->cli.pkt.data, want, sizes[k]);
	}
	for (int k = 0; k < 2; k++) {
		const struct side *s = k ? &l->srv : &l->cli;
		const struct dtls_record_stats *rs;
		int error = -1;

		ck_assert_uint_eq(chan_stats(s->c)->lib_copied_bytes, 0);
		rs = dtls_record_stats(chan_record(s->c));
		ck_assert_uint_eq(rs->rx_packets, ARRAY_SIZE(sizes));
		ck_assert_uint_eq(rs->tx_packets, ARRAY_SIZE(sizes));
		/* What the engine reads: no copies, up, no error, no drops. */
		ck_assert_uint_eq(counter(s, "lib_copied_bytes"), 0);
		ck_assert_uint_eq(counter(s, "rx_bad_icv") + counter(s, "rx_replay"), 0);
		ck_assert_int_eq(s->t->ops->state(s->t, &error), ZCVPN_TRANSPORT_UP);
		ck_assert_int_eq(error, 0);
		ck_assert_uint_eq(s->host.events[ZCVPN_EVENT_TRANSPORT_UP], 1);
	}
	ck_assert_uint_eq(l->cli.out.count, 0);
	ck_assert_uint_eq(l->srv.out.count, 0);
	link_free(l);
}
END_TEST

/* An inner packet above max_inner is refused by the receiver's record layer. */
/*
 * The library's record calls instead of our layer (what a suite without a fast path
 * gets): data and control messages still work both ways, and every byte is counted.
 */
START_TEST(test_library_path)
{
	struct link *l = calloc(1, sizeof(*l));
	uint8_t d[DGRAM_MAX], want[MAX_INNER];
	uint64_t moved = 0;

	ck_assert_ptr_nonnull(l);
	library_records = true;
	side_init(&l->cli, DTLS_ROLE_CLIENT, suites[_i], 0, 0);
	side_init(&l->srv, DTLS_ROLE_SERVER, suites[_i], 0, 0);
	library_records = false;
	drive_until_ready(l);
	ck_assert_ptr_null(chan_record(l->cli.c));
	ck_assert_uint_eq(l->srv.t->ops->rx_head(l->srv.t), 0);
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		struct side *from = k % 2 ? &l->srv : &l->cli, *to = k % 2 ? &l->cli : &l->srv;
		size_t n = encap_data(from, sizes[k], (uint32_t)k, d);

		ck_assert_int_eq(feed(to, d, n), TRANSPORT_DATA);
		fill(want, sizes[k], (uint32_t)k);
		ck_assert_uint_eq(to->pkt.len, sizes[k]);
		ck_assert_mem_eq(to->pkt.data, want, sizes[k]);
		moved += 2 * (1 + sizes[k]);	/* type byte and payload, at both ends */
	}
	ck_assert_uint_eq(chan_stats(l->cli.c)->lib_copied_bytes +
			  chan_stats(l->srv.c)->lib_copied_bytes, moved);
	link_free(l);
}
END_TEST

START_TEST(test_data_oversize)
{
	struct link *l = link_up(DTLS_SUITE_AES256_GCM, 0, 0);
	uint8_t d[DGRAM_MAX];
	size_t n = craft_type(&l->cli, CISCO_PKT_DATA, MAX_INNER + 1, 1, d);

	ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DROP);
	ck_assert_uint_eq(dtls_record_stats(chan_record(l->srv.c))->rx_oversize, 1);
	expect_data_passes(l, MAX_INNER, 2);
	link_free(l);
}
END_TEST

/* ---- crafted records from an authenticated peer ---------------------------------- */

#define ST(field) (offsetof(struct cisco_dtls_stats, field) / sizeof(uint64_t))
#define NO_STAT ((size_t)-1)

struct type_case {
	const char *name;
	int type;			/* -1: a record with no plaintext at all */
	uint32_t payload_len;
	enum transport_verdict verdict;
	enum dtls_channel_state state;	/* the server's afterwards */
	size_t stat1, stat2;		/* counters that go up by one; all others stay */
};

static const struct type_case type_cases[] = {
	{ "data", CISCO_PKT_DATA, 100, TRANSPORT_DATA, DTLS_CHANNEL_UP, NO_STAT, NO_STAT },
	{ "dpd request", CISCO_PKT_DPD_REQ, 32, TRANSPORT_CONTROL, DTLS_CHANNEL_UP,
	  ST(dpd_req_rx), ST(dpd_resp_tx) },
	{ "dpd request, no payload", CISCO_PKT_DPD_REQ, 0, TRANSPORT_CONTROL, DTLS_CHANNEL_UP,
	  ST(dpd_req_rx), ST(dpd_resp_tx) },
	{ "dpd request, MTU probe", CISCO_PKT_DPD_REQ, MAX_INNER, TRANSPORT_CONTROL,
	  DTLS_CHANNEL_UP, ST(dpd_req_rx), ST(dpd_resp_tx) },
	{ "dpd response", CISCO_PKT_DPD_RESP, 16, TRANSPORT_CONTROL, DTLS_CHANNEL_UP,
	  ST(dpd_resp_rx), NO_STAT },
	{ "keepalive", CISCO_PKT_KEEPALIVE, 0, TRANSPORT_CONTROL, DTLS_CHANNEL_UP,
	  ST(keepalive_rx), NO_STAT },
	{ "disconnect", CISCO_PKT_DISCONNECT, 20, TRANSPORT_CONTROL, DTLS_CHANNEL_CLOSED,
	  ST(disconnect_rx), NO_STAT },
	{ "disconnect, no reason", CISCO_PKT_DISCONNECT, 0, TRANSPORT_CONTROL,
	  DTLS_CHANNEL_CLOSED, ST(disconnect_rx), NO_STAT },
	{ "term server", CISCO_PKT_TERM_SERVER, 0, TRANSPORT_CONTROL, DTLS_CHANNEL_CLOSED,
	  ST(disconnect_rx), NO_STAT },
	{ "compressed", CISCO_PKT_COMPRESSED, 100, TRANSPORT_DROP, DTLS_CHANNEL_UP,
	  ST(rx_compressed), NO_STAT },
	{ "type 1", 1, 10, TRANSPORT_DROP, DTLS_CHANNEL_UP, ST(rx_bad_type), NO_STAT },
	{ "type 2", 2, 10, TRANSPORT_DROP, DTLS_CHANNEL_UP, ST(rx_bad_type), NO_STAT },
	{ "type 6", 6, 0, TRANSPORT_DROP, DTLS_CHANNEL_UP, ST(rx_bad_type), NO_STAT },
	{ "type 10", 10, 10, TRANSPORT_DROP, DTLS_CHANNEL_UP, ST(rx_bad_type), NO_STAT },
	{ "type 255", 255, 10, TRANSPORT_DROP, DTLS_CHANNEL_UP, ST(rx_bad_type), NO_STAT },
	{ "data, type byte only", CISCO_PKT_DATA, 0, TRANSPORT_DROP, DTLS_CHANNEL_UP,
	  ST(rx_empty), NO_STAT },
	{ "no plaintext", -1, 0, TRANSPORT_DROP, DTLS_CHANNEL_UP, ST(rx_empty), NO_STAT },
};

#define N_TYPES ARRAY_SIZE(type_cases)

static void stats_copy(uint64_t *out, const struct cisco_dtls *c)
{
	memcpy(out, cisco_dtls_stats(c), sizeof(struct cisco_dtls_stats));
}

/* Loop index: case x suite. */
START_TEST(test_crafted_types)
{
	const struct type_case *tc = &type_cases[_i / N_SUITES];
	struct link *l = link_up(suites[_i % N_SUITES], 0, 0);
	enum { N_ST = sizeof(struct cisco_dtls_stats) / sizeof(uint64_t) };
	uint64_t before[N_ST], after[N_ST];
	uint8_t d[DGRAM_MAX], want[MAX_INNER];
	size_t n;

	if (tc->type < 0)
		n = craft(&l->cli, NULL, 0, d);
	else
		n = craft_type(&l->cli, (uint8_t)tc->type, tc->payload_len, 7, d);
	stats_copy(before, l->srv.c);
	ck_assert_msg(feed(&l->srv, d, n) == tc->verdict, "%s", tc->name);
	ck_assert_msg(chan_state(l->srv.c) == tc->state, "%s", tc->name);
	stats_copy(after, l->srv.c);
	if (tc->stat1 != NO_STAT)
		before[tc->stat1]++;
	if (tc->stat2 != NO_STAT)
		before[tc->stat2]++;
	ck_assert_msg(!memcmp(before, after, sizeof(before)), "%s: counters", tc->name);

	if (tc->verdict == TRANSPORT_DATA) {
		fill(want, tc->payload_len, 7);
		ck_assert_uint_eq(l->srv.pkt.len, tc->payload_len);
		ck_assert_mem_eq(l->srv.pkt.data, want, tc->payload_len);
	}

	if (tc->type == CISCO_PKT_DPD_REQ) {
		/* Answered in place: same length, type 4, the same payload. */
		uint8_t r[DGRAM_MAX];
		size_t rn;
		struct pkt pkt = { .head = r, .data = r, .end = r + sizeof(r) };

		ck_assert_uint_eq(l->srv.out.count, 1);
		rn = mem_wire_pop(&l->srv.out, r);
		ck_assert_uint_eq(rn, n);
		pkt.len = (uint32_t)rn;
		ck_assert_int_eq(dtls_record_unprotect(chan_record(l->cli.c), &pkt,
						       MAX_INNER + 1), DTLS_RECORD_DATA);
		ck_assert_uint_eq(pkt.len, 1 + tc->payload_len);
		ck_assert_uint_eq(pkt.data[0], CISCO_PKT_DPD_RESP);
		fill(want, tc->payload_len, 7);
		ck_assert_mem_eq(pkt.data + 1, want, tc->payload_len);

		/* Again, through the client's transport this time. */
		n = craft_type(&l->cli, CISCO_PKT_DPD_REQ, tc->payload_len, 8, d);
		ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_CONTROL);
		ck_assert_uint_eq(cisco_dtls_stats(l->srv.c)->dpd_req_rx, 2);
		ck_assert_uint_eq(l->srv.out.count, 1);
		rn = mem_wire_pop(&l->srv.out, r);
		ck_assert_uint_eq(rn, n);
		ck_assert_int_eq(feed(&l->cli, r, rn), TRANSPORT_CONTROL);
		ck_assert_uint_eq(cisco_dtls_stats(l->cli.c)->dpd_resp_rx, 1);
	}
	ck_assert_uint_eq(l->srv.out.count, 0);

	if (tc->state == DTLS_CHANNEL_UP) {
		ck_assert(ready(&l->srv));
		ck_assert_int_eq(tick(&l->srv, l->t0), 0);
		expect_data_passes(l, 200, 9);
	} else {
		int error;

		ck_assert(!ready(&l->srv));
		ck_assert_int_eq(tick(&l->srv, l->t0), -ECONNRESET);
		ck_assert_int_eq(l->srv.t->ops->state(l->srv.t, &error), ZCVPN_TRANSPORT_CLOSED);
		ck_assert_uint_eq(counter(&l->srv, "disconnect_rx"), 1);
		ck_assert_uint_eq(l->srv.host.events[ZCVPN_EVENT_TRANSPORT_CLOSED], 1);
		/* Closed: nothing more is delivered. */
		n = encap_data(&l->cli, 100, 3, d);
		ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DROP);
		/* close() after the peer closed says nothing more. */
		l->srv.t->ops->close(l->srv.t);
		ck_assert_uint_eq(l->srv.out.count, 0);
	}
	link_free(l);
}
END_TEST

/* ---- the transport's own control senders ----------------------------------------- */

/* close(): DISCONNECT with ocserv's logout reason, then close_notify; either side. */
START_TEST(test_close)
{
	struct link *l = link_up(suites[_i / 2], 0, 0);
	struct side *a = _i % 2 ? &l->srv : &l->cli, *b = _i % 2 ? &l->cli : &l->srv;
	uint8_t d[DGRAM_MAX];
	size_t n;

	a->t->ops->close(a->t);
	ck_assert_int_eq(chan_state(a->c), DTLS_CHANNEL_CLOSED);
	ck_assert(!ready(a));
	ck_assert_int_eq(tick(a, l->t0), -ECONNRESET);
	ck_assert_uint_eq(a->out.count, 2);	/* DISCONNECT, close_notify */

	n = mem_wire_pop(&a->out, d);
	ck_assert_int_eq(feed(b, d, n), TRANSPORT_CONTROL);
	ck_assert_uint_eq(cisco_dtls_stats(b->c)->disconnect_rx, 1);
	ck_assert_int_eq(chan_state(b->c), DTLS_CHANNEL_CLOSED);
	/* The close_notify finds the peer closed already. */
	while ((n = mem_wire_pop(&a->out, d)))
		ck_assert_int_eq(feed(b, d, n), TRANSPORT_DROP);
	ck_assert_int_eq(chan_state(b->c), DTLS_CHANNEL_CLOSED);
	ck_assert_int_eq(tick(b, l->t0), -ECONNRESET);
	/* A second close is silent. */
	a->t->ops->close(a->t);
	ck_assert_uint_eq(a->out.count, 0);
	link_free(l);
}
END_TEST

/* Only the close_notify (no DISCONNECT before it) closes the receiver too. */
START_TEST(test_close_notify_only)
{
	struct link *l = link_up(suites[_i], 0, 0);
	uint8_t d[DGRAM_MAX];
	size_t n;

	l->cli.t->ops->close(l->cli.t);
	/* The library's close_notify, or our own alert record where it cannot sync. */
	ck_assert_uint_eq(l->cli.out.count, 2);
	mem_wire_pop(&l->cli.out, d);	/* the DISCONNECT is lost */
	n = mem_wire_pop(&l->cli.out, d);
	ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DROP);
	ck_assert_int_eq(chan_state(l->srv.c), DTLS_CHANNEL_CLOSED);
	ck_assert_uint_eq(cisco_dtls_stats(l->srv.c)->disconnect_rx, 0);
	link_free(l);
}
END_TEST

/*
 * An idle transport asks for no wakeups it does not need: a listening server none at
 * all, a client in its handshake the library's retransmission time, an established
 * link without DPD or keepalive none.
 */
START_TEST(test_deadlines)
{
	struct link *l = link_new(suites[_i], 0, 0);
	uint64_t now = now_ns();

	tick(&l->srv, now);
	ck_assert_uint_eq(l->srv.deadline, TRANSPORT_NO_DEADLINE);
	tick(&l->cli, now);
	ck_assert_uint_ge(l->cli.deadline, now + 1 * (uint64_t)MS);
	ck_assert_uint_le(l->cli.deadline, now + 1000 * (uint64_t)MS);
	link_handshake(l, suites[_i]);
	tick(&l->cli, l->t0);
	tick(&l->srv, l->t0);
	ck_assert_uint_eq(l->cli.deadline, TRANSPORT_NO_DEADLINE);
	ck_assert_uint_eq(l->srv.deadline, TRANSPORT_NO_DEADLINE);
	link_free(l);
}
END_TEST

/* ---- timers on a fake clock ------------------------------------------------------ */

struct timer_step {
	uint32_t at_ms;		/* after t0 */
	unsigned sent;		/* datagrams the tick sends */
	int rc;			/* tick's return */
	int deadline_ms;	/* the next deadline it reports, after t0; -1: none */
};

/*
 * dpd 100 ms, nothing received since t0: due at 100, again after 50, dead at 200; no
 * redial, so nothing to wake up for after that.
 */
static const struct timer_step dpd_steps[] = {
	{ 0, 0, 0, 100 }, { 50, 0, 0, 100 }, { 99, 0, 0, 100 }, { 100, 1, 0, 150 },
	{ 101, 0, 0, 150 }, { 120, 0, 0, 150 }, { 149, 0, 0, 150 }, { 150, 1, 0, 200 },
	{ 151, 0, 0, 200 }, { 199, 0, 0, 200 }, { 200, 0, -ETIMEDOUT, -1 },
	{ 300, 0, -ETIMEDOUT, -1 },
};

/* Sets the client's last receive to t0: one authenticated record, one tick. */
static void client_rx_at_t0(struct link *l)
{
	uint8_t d[DGRAM_MAX];
	size_t n = encap_data(&l->srv, 64, 1, d);

	ck_assert_int_eq(feed(&l->cli, d, n), TRANSPORT_DATA);
}

static void run_steps(struct link *l, const struct timer_step *steps, size_t n_steps,
		      uint64_t base_ns, const uint64_t *counter)
{
	uint64_t sent = *counter;

	for (size_t k = 0; k < n_steps; k++) {
		uint64_t now = base_ns + steps[k].at_ms * (uint64_t)MS;
		int rc = tick(&l->cli, now);

		ck_assert_msg(rc == steps[k].rc, "at %u ms: rc %d", steps[k].at_ms, rc);
		if (steps[k].deadline_ms < 0)
			ck_assert_msg(l->cli.deadline == TRANSPORT_NO_DEADLINE,
				      "at %u ms: a deadline", steps[k].at_ms);
		else
			ck_assert_msg(l->cli.deadline == base_ns + steps[k].deadline_ms * (uint64_t)MS,
				      "at %u ms: deadline %lld ms", steps[k].at_ms,
				      (long long)(l->cli.deadline - base_ns) / MS);
		ck_assert_msg(l->cli.out.count == steps[k].sent, "at %u ms: %u sent",
			      steps[k].at_ms, l->cli.out.count);
		sent += steps[k].sent;
		ck_assert_uint_eq(*counter, sent);
		/* The peer sees each one as an authenticated control record. */
		deliver_all(&l->cli, &l->srv);
		/* ... and answers DPD, which the client does not read here. */
		l->srv.out.count = 0;
	}
}

START_TEST(test_dpd_dead_peer)
{
	struct link *l = link_up(suites[_i], 100, 0);
	const struct cisco_dtls_stats *cs = cisco_dtls_stats(l->cli.c);
	const char *detail = NULL;

	client_rx_at_t0(l);
	run_steps(l, dpd_steps, ARRAY_SIZE(dpd_steps), l->t0, &cs->dpd_tx);
	ck_assert_uint_eq(cs->dpd_tx, 2);
	ck_assert_uint_eq(cisco_dtls_stats(l->srv.c)->dpd_req_rx, 2);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_FAILED);
	ck_assert_int_eq(chan_error(l->cli.c, &detail), -ETIMEDOUT);
	ck_assert_ptr_nonnull(detail);
	ck_assert(!ready(&l->cli));
	link_free(l);
}
END_TEST

/* A DPD response (any authenticated record) keeps the peer alive and the timer restarts. */
START_TEST(test_dpd_answered)
{
	struct link *l = link_up(suites[_i], 100, 0);
	const struct cisco_dtls_stats *cs = cisco_dtls_stats(l->cli.c);
	uint64_t t0 = l->t0;
	uint8_t d[DGRAM_MAX];
	size_t n;

	client_rx_at_t0(l);
	ck_assert_int_eq(tick(&l->cli, t0), 0);
	ck_assert_int_eq(tick(&l->cli, t0 + 100 * (uint64_t)MS), 0);
	ck_assert_uint_eq(l->cli.out.count, 1);
	deliver_all(&l->cli, &l->srv);
	ck_assert_uint_eq(cisco_dtls_stats(l->srv.c)->dpd_req_rx, 1);
	ck_assert_uint_eq(l->srv.out.count, 1);
	n = mem_wire_pop(&l->srv.out, d);
	ck_assert_int_eq(feed(&l->cli, d, n), TRANSPORT_CONTROL);
	ck_assert_uint_eq(cs->dpd_resp_rx, 1);

	/* The tick at 110 ms notes the response: alive until 310, next DPD at 210. */
	ck_assert_int_eq(tick(&l->cli, t0 + 110 * (uint64_t)MS), 0);
	ck_assert_int_eq(tick(&l->cli, t0 + 205 * (uint64_t)MS), 0);
	ck_assert_uint_eq(l->cli.out.count, 0);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_UP);
	ck_assert_int_eq(tick(&l->cli, t0 + 210 * (uint64_t)MS), 0);
	ck_assert_uint_eq(l->cli.out.count, 1);
	ck_assert_uint_eq(cs->dpd_tx, 2);
	ck_assert_int_eq(tick(&l->cli, t0 + 309 * (uint64_t)MS), 0);
	ck_assert_int_eq(tick(&l->cli, t0 + 310 * (uint64_t)MS),
			 -ETIMEDOUT);
	link_free(l);
}
END_TEST

/* keepalive 100 ms after the last record sent; data sent moves it. */
static const struct timer_step ka_steps[] = {
	{ 0, 0, 0, 100 }, { 99, 0, 0, 100 }, { 100, 1, 0, 200 }, { 150, 0, 0, 200 },
	{ 199, 0, 0, 200 }, { 200, 1, 0, 300 }, { 201, 0, 0, 300 }, { 300, 1, 0, 400 },
};

/* ---- DTLS back after a failure ---------------------------------------------------- */

static void discard(struct mem_wire *w)
{
	uint8_t d[DGRAM_MAX];

	while (mem_wire_pop(w, d))
		;
}

/* The peer restarted: a fresh transport of the same role in place of the old one. */
static void side_restart(struct side *s, enum dtls_role role, unsigned suite, uint32_t dpd_ms)
{
	s->t->ops->free(s->t);
	memset(s, 0, sizeof(*s));
	side_init(s, role, suite, dpd_ms, 0);
}

/* A second handshake, where a side that failed before ticks "down" until it is up. */
static void handshake_again(struct link *l)
{
	drive_until_ready(l);
	ck_assert_int_eq(tick(&l->cli, now_ns()), 0);
	ck_assert_int_eq(tick(&l->srv, now_ns()), 0);
	ck_assert_int_eq(chan_error(l->cli.c, NULL), 0);
	ck_assert_int_eq(chan_error(l->srv.c, NULL), 0);
	ck_assert_ptr_nonnull(chan_record(l->cli.c));
	ck_assert_uint_eq(l->cli.t->ops->rx_head(l->cli.t),
			  dtls_record_rx_head_len(chan_record(l->cli.c)) + 1);
}

/*
 * Client with redial 300 ms and DPD 100: dead at 200, quiet and down until 500, then a
 * fresh session's ClientHello while still reading as down; a restarted server
 * completes that handshake and data passes under the new keys.
 */
START_TEST(test_redial_client)
{
	struct link *l;
	uint64_t t0;

	client_redial_ms = 300;
	l = link_up(suites[_i], 100, 0);
	client_redial_ms = 0;
	t0 = l->t0;
	client_rx_at_t0(l);
	ck_assert_int_eq(tick(&l->cli, t0), 0);	/* notes the receive */
	ck_assert_int_eq(tick(&l->cli, t0 + 150 * (uint64_t)MS), 0);
	discard(&l->cli.out);
	ck_assert_int_eq(tick(&l->cli, t0 + 200 * (uint64_t)MS), -ETIMEDOUT);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_FAILED);
	ck_assert_uint_eq(l->cli.host.events[ZCVPN_EVENT_TRANSPORT_DOWN], 1);
	ck_assert_int_eq(l->cli.host.last_error, -ETIMEDOUT);
	/* Nothing to do until the redial is due: that is the next deadline. */
	ck_assert_uint_eq(l->cli.deadline, t0 + 500 * (uint64_t)MS);
	ck_assert_int_eq(tick(&l->cli, t0 + 499 * (uint64_t)MS), -ETIMEDOUT);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_FAILED);
	ck_assert_uint_eq(chan_stats(l->cli.c)->redials, 0);
	ck_assert_uint_eq(l->cli.out.count, 0);

	ck_assert_int_eq(tick(&l->cli, t0 + 500 * (uint64_t)MS), -ETIMEDOUT);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_HANDSHAKE);
	ck_assert_uint_eq(chan_stats(l->cli.c)->redials, 1);
	ck_assert_uint_eq(l->cli.host.new_paths, 1);	/* from a new source port */
	ck_assert_uint_ge(l->cli.out.count, 1);		/* the new ClientHello */
	ck_assert(!ready(&l->cli));
	ck_assert_ptr_null(chan_record(l->cli.c));
	ck_assert_uint_eq(l->cli.t->ops->rx_head(l->cli.t), 0);

	/* The server had restarted meanwhile (the old one never saw the client die). */
	side_restart(&l->srv, DTLS_ROLE_SERVER, suites[_i], 0);
	handshake_again(l);
	ck_assert_uint_eq(chan_stats(l->cli.c)->redials, 1);
	expect_data_passes(l, 1000, 7);
	link_free(l);
}
END_TEST

/*
 * A server with DPD 100 whose client went silent: dead at 200 and listening again at
 * once (still down), deaf to the old session's records, and a new client's handshake
 * brings it up.
 */
START_TEST(test_redial_server_listens)
{
	struct link *l = calloc(1, sizeof(*l));
	uint8_t d[DGRAM_MAX];
	uint64_t t0;
	size_t n;

	ck_assert_ptr_nonnull(l);
	side_init(&l->cli, DTLS_ROLE_CLIENT, suites[_i], 0, 0);
	side_init(&l->srv, DTLS_ROLE_SERVER, suites[_i], 100, 0);
	link_handshake(l, suites[_i]);
	t0 = l->t0;
	n = encap_data(&l->cli, 64, 1, d);
	ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DATA);
	ck_assert_int_eq(tick(&l->srv, t0), 0);	/* notes the receive */
	ck_assert_int_eq(tick(&l->srv, t0 + 150 * (uint64_t)MS), 0);
	discard(&l->srv.out);
	ck_assert_int_eq(tick(&l->srv, t0 + 200 * (uint64_t)MS), -ETIMEDOUT);
	ck_assert_int_eq(chan_state(l->srv.c), DTLS_CHANNEL_HANDSHAKE);
	ck_assert_uint_eq(chan_stats(l->srv.c)->redials, 1);
	ck_assert_uint_eq(l->srv.host.new_paths, 1);	/* forget the peer */
	ck_assert_uint_eq(l->srv.deadline, TRANSPORT_NO_DEADLINE);
	ck_assert_int_eq(tick(&l->srv, t0 + 250 * (uint64_t)MS), -ETIMEDOUT);
	ck_assert_int_eq(chan_state(l->srv.c), DTLS_CHANNEL_HANDSHAKE);
	ck_assert_uint_eq(chan_stats(l->srv.c)->redials, 1);
	ck_assert_uint_eq(l->srv.out.count, 0);		/* a listener says nothing */

	/* The old session's data is not a ClientHello: dropped and counted. */
	n = encap_data(&l->cli, 64, 2, d);
	ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DROP);
	ck_assert_uint_eq(chan_stats(l->srv.c)->rx_not_handshake, 1);

	side_restart(&l->cli, DTLS_ROLE_CLIENT, suites[_i], 0);
	handshake_again(l);
	expect_data_passes(l, 1000, 8);
	link_free(l);
}
END_TEST

/*
 * Client with rekey 300 ms: nothing due until 300 after the session came up, then a
 * fresh session's ClientHello from a new path, with no failure said, while the channel
 * reads as down (-EKEYEXPIRED: packets take the fallback); a server (ocserv starts a new
 * DTLS session for it) completes the handshake, data passes under the new keys, and the
 * next rekey is due 300 after that.
 */
START_TEST(test_rekey_client)
{
	struct link *l;
	uint64_t up, now;

	client_rekey_ms = 300;
	l = link_up(suites[_i], 0, 0);
	client_rekey_ms = 0;
	ck_assert_int_eq(tick(&l->cli, l->t0), 0);
	up = l->cli.deadline - 300 * (uint64_t)MS;
	ck_assert_uint_le(up, l->t0);
	ck_assert_int_eq(tick(&l->cli, up + 299 * (uint64_t)MS), 0);
	ck_assert_uint_eq(chan_stats(l->cli.c)->rekeys, 0);
	ck_assert_uint_eq(l->cli.host.new_paths, 0);

	ck_assert_int_eq(tick(&l->cli, up + 300 * (uint64_t)MS), -EKEYEXPIRED);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_HANDSHAKE);
	ck_assert_uint_eq(chan_stats(l->cli.c)->rekeys, 1);
	ck_assert_uint_eq(counter(&l->cli, "dtls_rekeys"), 1);
	ck_assert_uint_eq(chan_stats(l->cli.c)->redials, 0);
	ck_assert_uint_eq(l->cli.host.new_paths, 1);	/* from a new source port */
	ck_assert_uint_eq(l->cli.host.events[ZCVPN_EVENT_TRANSPORT_DOWN], 0);
	ck_assert_uint_ge(l->cli.out.count, 1);		/* the new ClientHello */
	ck_assert_ptr_null(chan_record(l->cli.c));

	side_restart(&l->srv, DTLS_ROLE_SERVER, suites[_i], 0);
	handshake_again(l);
	ck_assert_uint_eq(l->cli.host.events[ZCVPN_EVENT_TRANSPORT_UP], 2);
	ck_assert_ptr_nonnull(strstr(l->cli.host.last_message, "DTLS rekeyed"));
	expect_data_passes(l, 1000, 9);
	now = now_ns();
	ck_assert_int_eq(tick(&l->cli, now), 0);
	ck_assert_uint_gt(l->cli.deadline, up + 300 * (uint64_t)MS);
	ck_assert_uint_le(l->cli.deadline, now + 300 * (uint64_t)MS);
	ck_assert_uint_eq(chan_stats(l->cli.c)->rekeys, 1);
	link_free(l);
}
END_TEST

/* Pops the ClientHello at the head of the client's wire, checks its session ID (the
 * App-ID), and hands it to the server. */
static void expect_hello_id(struct link *l, const char *id)
{
	enum { SID_LEN_OFF = DTLS_HDR_LEN + 12 + 2 + 32 };
	uint8_t d[DGRAM_MAX];
	size_t n = mem_wire_pop(&l->cli.out, d);

	ck_assert_uint_gt(n, SID_LEN_OFF + strlen(id));
	ck_assert_uint_eq(d[DTLS_HDR_LEN], 1);	/* a ClientHello */
	ck_assert_uint_eq(d[SID_LEN_OFF], strlen(id));
	ck_assert_mem_eq(d + SID_LEN_OFF + 1, id, strlen(id));
	feed(&l->srv, d, n);
}

/*
 * The rekey of a new tunnel (ops->rekey, as zcvpn_engine_rekey does it): at once, from a
 * new path, the ClientHello with the new App-ID, and a server with the new PSK completes
 * it.  A bad App-ID is refused with a message and changes nothing; a server has no
 * rekey.
 */
START_TEST(test_rekey_new_keys)
{
	static const char new_id[] = "new-app-id-0123";
	struct zcvpn_rekey rk;
	uint8_t psk[DTLS_PSK_LEN];
	char err[160] = "";
	struct link *l;

	for (unsigned i = 0; i < DTLS_PSK_LEN; i++)
		psk[i] = (uint8_t)(0x3c ^ i * 11 ^ 0x5a);
	memset(&rk, 0, sizeof(rk));
	rk.anyconnect.psk = psk;
	rk.anyconnect.app_id = (const uint8_t *)new_id;
	rk.anyconnect.app_id_len = strlen(new_id);
	l = link_up(suites[_i], 0, 0);
	ck_assert_int_eq(l->srv.t->ops->rekey(l->srv.t, NULL, err, sizeof(err)), -EOPNOTSUPP);
	rk.anyconnect.app_id_len = DTLS_MAX_SESSION_ID_LEN + 1;
	ck_assert_int_eq(l->cli.t->ops->rekey(l->cli.t, &rk, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "App-ID"));
	ck_assert(ready(&l->cli));
	rk.anyconnect.app_id_len = strlen(new_id);

	ck_assert_int_eq(l->cli.t->ops->rekey(l->cli.t, &rk, err, sizeof(err)), 0);
	ck_assert(!ready(&l->cli));
	ck_assert_uint_eq(l->cli.host.new_paths, 1);
	ck_assert_int_eq(tick(&l->cli, now_ns()), -EKEYEXPIRED);	/* the ClientHello */
	psk_salt = 0x5a;
	side_restart(&l->srv, DTLS_ROLE_SERVER, suites[_i], 0);
	psk_salt = 0;
	expect_hello_id(l, new_id);
	handshake_again(l);
	ck_assert_uint_eq(chan_stats(l->cli.c)->rekeys, 1);
	expect_data_passes(l, 1000, 10);
	link_free(l);
}
END_TEST

START_TEST(test_keepalive)
{
	struct link *l = link_up(suites[_i], 0, 100);
	const struct cisco_dtls_stats *cs = cisco_dtls_stats(l->cli.c);
	uint8_t d[DGRAM_MAX];
	size_t n = encap_data(&l->cli, 64, 1, d);	/* sent at t0 */

	ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DATA);
	run_steps(l, ka_steps, ARRAY_SIZE(ka_steps), l->t0, &cs->keepalive_tx);
	ck_assert_uint_eq(cs->keepalive_tx, 3);
	ck_assert_uint_eq(cisco_dtls_stats(l->srv.c)->keepalive_rx, 3);

	/* Data at 350 ms: no keepalive until 450. */
	expect_data_passes(l, 64, 2);
	ck_assert_int_eq(tick(&l->cli, l->t0 + 350 * (uint64_t)MS), 0);
	ck_assert_int_eq(tick(&l->cli, l->t0 + 449 * (uint64_t)MS), 0);
	ck_assert_uint_eq(l->cli.out.count, 0);
	ck_assert_int_eq(tick(&l->cli, l->t0 + 450 * (uint64_t)MS), 0);
	ck_assert_uint_eq(l->cli.out.count, 1);
	ck_assert_uint_eq(cs->keepalive_tx, 4);
	/* Keepalives are not DPD: without dpd_ms the peer never times out. */
	ck_assert_int_eq(tick(&l->cli, l->t0 + 60000 * (uint64_t)MS), 0);
	ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_UP);
	link_free(l);
}
END_TEST

/* ---- garbage at an established server -------------------------------------------- */

enum mangle {
	M_RANDOM,		/* random bytes, fixed seed per row */
	M_TRUNCATE,		/* the first `arg` bytes of a valid record */
	M_SHORT,		/* the same, length field made to match */
	M_EPOCH,		/* epoch field set to arg */
	M_VERSION,		/* version field set to arg */
	M_LENGTH,		/* length field plus arg */
	M_FLIP,			/* one bit of the byte at offset arg from the end */
	M_REPLAY,		/* a valid record delivered twice */
	M_EXTRA,		/* arg bytes appended to a valid record */
	M_CTYPE,		/* content type set to arg: unauthenticated, for the library */
};

struct garbage_case {
	const char *name;
	enum mangle how;
	int arg;
	size_t stat;		/* the dtls_record_stats counter; NO_STAT: any one */
};

#define RS(field) (offsetof(struct dtls_record_stats, field) / sizeof(uint64_t))

static const struct garbage_case garbage_cases[] = {
	{ "random 1", M_RANDOM, 1, NO_STAT },
	{ "random 2", M_RANDOM, 2, NO_STAT },
	{ "random 3", M_RANDOM, 3, NO_STAT },
	{ "random 4", M_RANDOM, 4, NO_STAT },
	{ "empty", M_TRUNCATE, 0, RS(rx_short) },
	{ "1 byte", M_TRUNCATE, 1, RS(rx_short) },
	{ "header - 1", M_TRUNCATE, DTLS_HDR_LEN - 1, RS(rx_short) },
	{ "header only", M_TRUNCATE, DTLS_HDR_LEN, RS(rx_bad_length) },
	{ "header + 8", M_TRUNCATE, DTLS_HDR_LEN + 8, RS(rx_bad_length) },
	{ "last byte cut", M_TRUNCATE, -1, RS(rx_bad_length) },
	{ "header only, length 0", M_SHORT, DTLS_HDR_LEN, RS(rx_short) },
	{ "header + 8, length 8", M_SHORT, DTLS_HDR_LEN + 8, RS(rx_short) },
	{ "header + 20, length 20", M_SHORT, DTLS_HDR_LEN + 20, RS(rx_short) },
	{ "epoch 0", M_EPOCH, 0, RS(rx_bad_epoch) },
	{ "epoch 2", M_EPOCH, 2, RS(rx_bad_epoch) },
	{ "epoch 0xffff", M_EPOCH, 0xffff, RS(rx_bad_epoch) },
	{ "version 1.0", M_VERSION, 0xfeff, RS(rx_bad_version) },
	{ "version tls", M_VERSION, 0x0303, RS(rx_bad_version) },
	{ "length + 1", M_LENGTH, 1, RS(rx_bad_length) },
	{ "length - 1", M_LENGTH, -1, RS(rx_bad_length) },
	{ "extra byte", M_EXTRA, 1, RS(rx_bad_length) },
	{ "last byte flipped", M_FLIP, 1, RS(rx_bad_tag) },
	{ "payload bit flipped", M_FLIP, 40, RS(rx_bad_tag) },
	{ "replay", M_REPLAY, 0, RS(rx_replay) },
	{ "forged alert", M_CTYPE, DTLS_CT_ALERT, RS(rx_to_library) },
	{ "forged handshake", M_CTYPE, DTLS_CT_HANDSHAKE, RS(rx_to_library) },
	{ "forged ccs", M_CTYPE, DTLS_CT_CHANGE_CIPHER_SPEC, RS(rx_to_library) },
};

#define N_GARBAGE ARRAY_SIZE(garbage_cases)

static uint64_t record_drops(const struct dtls_record_stats *rs, size_t *which)
{
	const uint64_t *v = (const uint64_t *)rs;
	static const size_t drops[] = {
		RS(rx_to_library), RS(rx_short), RS(rx_bad_version), RS(rx_bad_epoch),
		RS(rx_bad_length), RS(rx_oversize), RS(rx_replay), RS(rx_too_old),
		RS(rx_bad_tag), RS(rx_bad_padding),
	};
	uint64_t sum = 0;

	for (size_t k = 0; k < ARRAY_SIZE(drops); k++) {
		if (v[drops[k]])
			*which = drops[k];
		sum += v[drops[k]];
	}
	return sum;
}

/* Loop index: case x suite. */
START_TEST(test_garbage_up)
{
	const struct garbage_case *gc = &garbage_cases[_i / N_SUITES];
	struct link *l = link_up(suites[_i % N_SUITES], 0, 0);
	const struct dtls_record_stats *rs = dtls_record_stats(chan_record(l->srv.c));
	uint8_t d[DGRAM_MAX];
	size_t n = encap_data(&l->cli, 100, 5, d), which = NO_STAT;
	uint64_t delivered = rs->rx_packets;

	switch (gc->how) {
	case M_RANDOM:
		srand((unsigned)gc->arg);
		n = 20 + (size_t)rand() % 200;
		for (size_t k = 0; k < n; k++)
			d[k] = (uint8_t)rand();
		/* Sometimes shaped like application data of our epoch and version. */
		if (gc->arg % 2) {
			d[0] = DTLS_CT_APPLICATION_DATA;
			d[1] = 0xfe;
			d[2] = 0xfd;
			d[3] = 0;
			d[4] = 1;
			d[11] = (uint8_t)((n - DTLS_HDR_LEN) >> 8);
			d[12] = (uint8_t)(n - DTLS_HDR_LEN);
		}
		break;
	case M_TRUNCATE:
		n = gc->arg < 0 ? n - 1 : (size_t)gc->arg;
		break;
	case M_SHORT:
		n = (size_t)gc->arg;
		d[11] = (uint8_t)((n - DTLS_HDR_LEN) >> 8);
		d[12] = (uint8_t)(n - DTLS_HDR_LEN);
		break;
	case M_EPOCH:
		d[3] = (uint8_t)(gc->arg >> 8);
		d[4] = (uint8_t)gc->arg;
		break;
	case M_VERSION:
		d[1] = (uint8_t)(gc->arg >> 8);
		d[2] = (uint8_t)gc->arg;
		break;
	case M_LENGTH: {
		unsigned len = (unsigned)((d[11] << 8 | d[12]) + gc->arg);

		d[11] = (uint8_t)(len >> 8);
		d[12] = (uint8_t)len;
		break;
	}
	case M_EXTRA:
		memset(d + n, 0, (size_t)gc->arg);
		n += (size_t)gc->arg;
		break;
	case M_FLIP:
		d[n - (size_t)gc->arg] ^= 0x10;
		break;
	case M_CTYPE:
		d[0] = (uint8_t)gc->arg;
		break;
	case M_REPLAY:
		ck_assert_int_eq(feed(&l->srv, d, n), TRANSPORT_DATA);
		delivered++;
		break;
	}
	ck_assert_msg(feed(&l->srv, d, n) == TRANSPORT_DROP, "%s", gc->name);
	ck_assert_uint_eq(rs->rx_packets, delivered);
	ck_assert_msg(record_drops(rs, &which) == 1, "%s: %llu drops", gc->name,
		      (unsigned long long)record_drops(rs, &which));
	if (gc->stat != NO_STAT)
		ck_assert_msg(which == gc->stat, "%s: counted as %zu, not %zu", gc->name,
			      which, gc->stat);
	/* Nothing authenticated: the transport's own counters did not move. */
	ck_assert_uint_eq(cisco_dtls_stats(l->srv.c)->rx_bad_type, 0);
	ck_assert_uint_eq(cisco_dtls_stats(l->srv.c)->rx_empty, 0);
	ck_assert_int_eq(chan_state(l->srv.c), DTLS_CHANNEL_UP);
	ck_assert_int_eq(tick(&l->srv, l->t0), 0);
	/* Whatever the library made of it, the tunnel still works both ways. */
	l->srv.out.count = 0;
	expect_data_passes(l, 300, 6);
	n = encap_data(&l->srv, 300, 7, d);
	ck_assert_int_eq(feed(&l->cli, d, n), TRANSPORT_DATA);
	link_free(l);
}
END_TEST

/* ---- a listening server ---------------------------------------------------------- */

/*
 * A server that expects an App-ID: a ClientHello with another (or cut short before its
 * end) is dropped and counted and starts nothing; the client with the right one then
 * gets through.  Nothing expected: any ClientHello is taken.
 */
static const struct {
	const char *expect;		/* the server's session ID */
	bool accepted;			/* the client's "app-id-16-bytes!" */
} app_id_cases[] = {
	{ NULL, true },
	{ "app-id-16-bytes!", true },
	{ "app-id-16-bytes?", false },
	{ "app-id-16-bytes", false },		/* a prefix of the client's */
	{ "app-id-16-bytes!!", false },		/* longer */
};

START_TEST(test_hello_app_id)
{
	struct link *l;
	uint8_t d[DGRAM_MAX];
	size_t len;

	server_session_id = app_id_cases[_i].expect;
	l = link_new(DTLS_SUITE_AES256_GCM, 0, 0);
	server_session_id = NULL;
	ck_assert_int_eq(tick(&l->cli, now_ns()), 0);
	len = mem_wire_pop(&l->cli.out, d);
	ck_assert_uint_gt(len, 60);
	if (!app_id_cases[_i].accepted) {
		/* The hello cut short inside its session ID: dropped as not for us, too. */
		ck_assert_int_eq(feed(&l->srv, d, 60), TRANSPORT_DROP);
		ck_assert_int_eq(feed(&l->srv, d, len), TRANSPORT_DROP);
		ck_assert_uint_eq(chan_stats(l->srv.c)->rx_hello_wrong_id, 2);
		ck_assert_uint_eq(chan_stats(l->srv.c)->handshake_datagrams, 0);
		ck_assert_int_eq(tick(&l->srv, now_ns()), 0);
		ck_assert_uint_eq(l->srv.out.count, 0);		/* not a word back */
		ck_assert_int_eq(chan_state(l->srv.c), DTLS_CHANNEL_HANDSHAKE);
		link_free(l);
		return;
	}
	feed(&l->srv, d, len);
	deliver_all(&l->cli, &l->srv);
	drive_until_ready(l);
	ck_assert_int_eq(chan_state(l->srv.c), DTLS_CHANNEL_UP);
	ck_assert_uint_eq(chan_stats(l->srv.c)->rx_hello_wrong_id, 0);
	expect_data_passes(l, 200, 1);
	link_free(l);
}
END_TEST

/*
 * Datagrams not shaped like a ClientHello never reach a listening server's library, and
 * the handshake after them works.
 */
START_TEST(test_garbage_listening)
{
	struct link *l = link_new(DTLS_SUITE_AES256_GCM, 0, 0);
	struct side *srv = &l->srv;
	uint8_t d[DGRAM_MAX];
	int k;

	srand(42);
	for (k = 0; k < 50; k++) {
		size_t n = (size_t)rand() % 300;

		for (size_t j = 0; j < n; j++)
			d[j] = (uint8_t)rand();
		if (k % 5 == 0 && n > DTLS_HDR_LEN)
			d[0] = DTLS_CT_APPLICATION_DATA;
		if (n > 0 && d[0] == DTLS_CT_HANDSHAKE)
			d[0] = 0;
		ck_assert_int_eq(feed(srv, d, n), TRANSPORT_DROP);
	}
	ck_assert_uint_eq(chan_stats(srv->c)->rx_not_handshake, 50);
	ck_assert_uint_eq(chan_stats(srv->c)->handshake_datagrams, 0);
	ck_assert_int_eq(chan_state(srv->c), DTLS_CHANNEL_HANDSHAKE);
	ck_assert_int_eq(tick(srv, now_ns()), 0);
	ck_assert_uint_eq(srv->out.count, 0);

	link_handshake(l, DTLS_SUITE_AES256_GCM);
	ck_assert_uint_eq(chan_stats(srv->c)->handshake_failures, 0);
	expect_data_passes(l, 500, 1);
	link_free(l);
}
END_TEST

/* ---- certificate mode ------------------------------------------------------------- */

static const char *vector(const char *name)
{
	static char path[4][512];
	static unsigned next;
	const char *srcdir = getenv("srcdir");
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/tests/vectors/certs/%s", srcdir ? srcdir : ".", name);
	return p;
}

static void read_pin(char *pin, size_t len)
{
	FILE *f = fopen(vector("rsa.pin"), "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(pin, (int)len, f));
	pin[strcspn(pin, "\n")] = 0;
	fclose(f);
}

/*
 * The channel in certificate mode, as F5 and Fortinet run DTLS: the server presents
 * its certificate, the client checks it by an openconnect pin (row 0) or a CA and host
 * name (row 1), and then our record layer takes over and data passes in place.  A wrong
 * pin (row 2) fails the client's handshake with -EACCES and says why in the event.
 */
START_TEST(test_cert_mode)
{
	struct dtls_cert_config server = { .cert_file = vector("rsa.pem"),
					   .key_file = vector("rsa-key.pem") };
	struct dtls_cert_config client = { 0 };
	struct dtls_credentials *screds = NULL, *ccreds = NULL;
	char pin[128], err[256];
	struct link *l = calloc(1, sizeof(*l));

	ck_assert_ptr_nonnull(l);
	read_pin(pin, sizeof(pin));
	if (_i == 0) {
		client.pin = pin;
	} else if (_i == 1) {
		client.ca_file = vector("ca.pem");
		client.hostname = "vpn.zcvpn.test";
	} else {
		pin[strlen(pin) - 2] = pin[strlen(pin) - 2] == 'A' ? 'B' : 'A';
		client.pin = pin;
	}
	ck_assert_msg(dtls_credentials_new(&screds, DTLS_ROLE_SERVER, &server, err,
					   sizeof(err)) == 0, "%s", err);
	ck_assert_msg(dtls_credentials_new(&ccreds, DTLS_ROLE_CLIENT, &client, err,
					   sizeof(err)) == 0, "%s", err);
	cert_creds[DTLS_ROLE_SERVER] = screds;
	cert_creds[DTLS_ROLE_CLIENT] = ccreds;
	side_init(&l->cli, DTLS_ROLE_CLIENT, DTLS_SUITE_AES256_GCM, 0, 0);
	side_init(&l->srv, DTLS_ROLE_SERVER, DTLS_SUITE_AES256_GCM, 0, 0);
	cert_creds[DTLS_ROLE_SERVER] = cert_creds[DTLS_ROLE_CLIENT] = NULL;
	if (_i < 2) {
		link_handshake(l, DTLS_SUITE_AES256_GCM);
		expect_data_passes(l, MAX_INNER, 3);
		ck_assert_uint_eq(chan_stats(l->cli.c)->lib_copied_bytes, 0);
	} else {
		for (int k = 0; k < HANDSHAKE_ROUNDS && chan_state(l->cli.c) ==
		     DTLS_CHANNEL_HANDSHAKE; k++) {
			tick(&l->cli, now_ns());
			deliver_all(&l->cli, &l->srv);
			tick(&l->srv, now_ns());
			deliver_all(&l->srv, &l->cli);
		}
		ck_assert_int_eq(chan_state(l->cli.c), DTLS_CHANNEL_FAILED);
		ck_assert_int_eq(chan_error(l->cli.c, NULL), -EACCES);
		ck_assert_uint_eq(l->cli.host.events[ZCVPN_EVENT_TRANSPORT_DOWN], 1);
		ck_assert_msg(strstr(l->cli.host.last_message, "pin mismatch"), "'%s'",
			      l->cli.host.last_message);
	}
	link_free(l);
	dtls_credentials_free(screds);
	dtls_credentials_free(ccreds);
}
END_TEST

/* cisco_dtls_new refuses what it cannot work with. */
START_TEST(test_bad_config)
{
	struct cisco_dtls_config cfg;
	struct cisco_dtls *c = NULL;
	struct mem_wire *w = calloc(1, sizeof(*w));
	struct fake_host host;

	ck_assert_ptr_nonnull(w);
	fake_host_init(&host, w, 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.channel.dtls.role = DTLS_ROLE_CLIENT;
	cfg.channel.dtls.psk_identity = "x";
	ck_assert_int_eq(cisco_dtls_new(&c, &cfg, &host.host), -EINVAL);	/* max_inner 0 */
	cfg.max_inner = DTLS_MAX_PLAINTEXT;
	ck_assert_int_eq(cisco_dtls_new(&c, &cfg, &host.host), -EINVAL);	/* no type room */
	cfg.max_inner = MAX_INNER;
	ck_assert_int_eq(cisco_dtls_new(NULL, &cfg, &host.host), -EINVAL);
	ck_assert_int_eq(cisco_dtls_new(&c, NULL, &host.host), -EINVAL);
	ck_assert_int_eq(cisco_dtls_new(&c, &cfg, NULL), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(cisco_dtls_new(&c, &cfg, &host.host), 0);
	ck_assert_ptr_null(chan_record(c));
	cisco_dtls_transport(c)->ops->free(cisco_dtls_transport(c));
	free(w);
}
END_TEST

static Suite *transport_suite(void)
{
	Suite *s = suite_create("cisco_dtls");
	TCase *tc = tcase_create("transport");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_data_both_ways, 0, N_SUITES);
	tcase_add_loop_test(tc, test_library_path, 0, N_SUITES);
	tcase_add_test(tc, test_data_oversize);
	tcase_add_loop_test(tc, test_crafted_types, 0, N_TYPES * N_SUITES);
	tcase_add_loop_test(tc, test_close, 0, 2 * N_SUITES);
	tcase_add_loop_test(tc, test_close_notify_only, 0, N_SUITES);
	tcase_add_loop_test(tc, test_deadlines, 0, N_SUITES);
	tcase_add_loop_test(tc, test_dpd_dead_peer, 0, N_SUITES);
	tcase_add_loop_test(tc, test_dpd_answered, 0, N_SUITES);
	tcase_add_loop_test(tc, test_keepalive, 0, N_SUITES);
	tcase_add_loop_test(tc, test_redial_client, 0, N_SUITES);
	tcase_add_loop_test(tc, test_redial_server_listens, 0, N_SUITES);
	tcase_add_loop_test(tc, test_rekey_client, 0, N_SUITES);
	tcase_add_loop_test(tc, test_rekey_new_keys, 0, N_SUITES);
	tcase_add_loop_test(tc, test_garbage_up, 0, N_GARBAGE * N_SUITES);
	tcase_add_test(tc, test_garbage_listening);
	tcase_add_loop_test(tc, test_hello_app_id, 0,
			    (int)(sizeof(app_id_cases) / sizeof(app_id_cases[0])));
	tcase_add_test(tc, test_bad_config);
	tcase_add_loop_test(tc, test_cert_mode, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(transport_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
