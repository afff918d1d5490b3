/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP-over-DTLS data-path benchmark (a program, not a test).  For F5 and Fortinet
 * framing, AES-256-GCM, and IP packets of 64, 512 and 1400 bytes it runs the same
 * packets two ways, side by side in one run:
 *
 *   raw   the crypto alone, in place on one buffer: AES-256-GCM seal then open, with a
 *         13-byte AAD and a fresh nonce per packet, over as many bytes as the record's
 *         plaintext holds (vendor header + PPP header + IP packet).  The limit.
 *   ours  the real transport (proto/ppp-dtls.h), client and server brought up in
 *         memory (PSK handshake, hello, LCP, IPCP): the client's encap op (PPP header
 *         as LCP settled, vendor header, record protection, all in the packet's head
 *         and tail room), then the server's decap op on the same datagram where it
 *         lies (record, vendor header, PPP header).  These are the calls the engine
 *         makes per packet; no byte is copied.
 *
 * Both modes seal and open the same number of bytes, so the ratio is the cost of the
 * framing and the transport's checks.  No datagram is really sent.  Each decoded packet
 * is checked cheaply (where it landed, its length, a first and a last byte that change
 * per packet); a mismatch aborts.
 *
 * pkt/s counts round trips (one seal and one open); Gbit/s is pkt/s times the bits of
 * the IP packet (what the tunnel carries), in both columns.  Each cell runs
 * BENCH_SECONDS (default 0.5) per mode, warm-up included, in rounds that interleave the
 * modes and the cells (tests/bench-util.h): medians over the rounds with their
 * interquartile range, and the ratio of the medians with the spread of the per-round
 * ratios.  The target (ours at >= 90 % of raw at 1400 bytes) is printed, never
 * enforced: timings do not fail.  BENCH_SIZES=1400 picks cells, BENCH_CPU=N the CPU.
 */
#include "config.h"

#define BENCH_NAME "bench_ppp"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "proto/dtls-channel.h"
#include "proto/dtls-wire.h"
#include "proto/ppp-dtls.h"
#include "proto/ppp-link.h"
#include "ring/pkt.h"
#include "src/util/clock.h"
#include "tests/bench-util.h"
#include "tests/dtls-pair.h"
#include "tests/fake-host.h"

enum {
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	HEADROOM = 64,		/* IP packet offset in the buffer, as a ring lead */
	ROOM = HEADROOM + DGRAM_MAX,
	MAX_INNER = 1400,
	BRINGUP_ROUNDS = 300,
	NAP_FROM = 20,		/* bring-up rounds before napping for the library's timers */
	TARGET_PCT = 90,
	TARGET_SIZE = 1400,
};

enum mode { MODE_RAW, MODE_OURS, N_MODES };

static const char session[] = "bench-session-0123456789";

/* One end of the in-memory tunnel: its transport and the host it sends through. */
struct side {
	struct mem_wire out;
	struct fake_host host;
	struct ppp_dtls *p;
	struct transport *t;
};

struct bench {
	uint32_t size;			/* the IP packet */
	uint32_t frame_head;		/* vendor header + PPP header in front of it */
	uint8_t mark;			/* new for every packet */
	/* raw */
	struct crypto_aead *aead;
	uint8_t nonce[CRYPTO_GCM_NONCE_LEN];
	uint8_t aad[DTLS_AAD_LEN];
	uint64_t seq;
	/* ours */
	struct side cli, srv;
	uint32_t rx_head;		/* the server's: datagram start to IP packet */
	uint8_t room[ROOM] __attribute__((aligned(64)));
};

/* ---- bringing the tunnel up in memory ------------------------------------------------ */

static enum zcvpn_transport_state side_state(const struct side *s)
{
	int error;

	return s->t->ops->state(s->t, &error);
}

/* A PSK channel offering AES-256-GCM only, the hello, IPv4 alone, no liveness timers. */
static void side_open(struct side *s, enum zcvpn_ppp_flavour flavour, bool server)
{
	struct ppp_dtls_config cfg;
	char err[256];
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	dtls_pair_config(&cfg.channel.dtls, server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT,
			 DTLS_SUITE_AES256_GCM, NULL);
	cfg.hello = (struct ppp_hello_params){
		.flavour = flavour, .session = session, .host = "localhost", .ipv4 = true,
	};
	cfg.link = (struct ppp_link_config){ .server = server, .want_ipv4 = true };
	if (server) {
		cfg.link.local_ipv4 = htonl(0x0a000001);
		cfg.link.peer_ipv4 = htonl(0x0a000002);
	}
	cfg.max_inner = MAX_INNER;
	fake_host_init(&s->host, &s->out, now_ns());
	ret = ppp_dtls_new(&s->p, &cfg, &s->host.host, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench_ppp: %s\n", err);
		bench_die("ppp_dtls_new failed", ret);
	}
	s->t = ppp_dtls_transport(s->p);
}

/* Hands each datagram on from's wire to to's decap, placed where to wants it. */
static void deliver(struct side *from, struct side *to, uint8_t *room)
{
	struct pkt pkt;
	uint32_t head;
	size_t len;

	for (;;) {
		head = to->t->ops->rx_head(to->t);
		if (head > HEADROOM)
			bench_die("rx head larger than the bench's head room", head);
		len = mem_wire_pop(&from->out, room + HEADROOM - head);
		if (!len)
			return;
		pkt = (struct pkt){
			.head = room, .end = room + ROOM,
			.data = room + HEADROOM - head, .len = (uint32_t)len,
		};
		to->t->ops->decap(to->t, &pkt, MAX_INNER);
	}
}

static void tick(struct side *s, uint64_t now)
{
	s->host.now = now;
	s->t->ops->run_timers(s->t, now);
}

static bool both_up(const struct bench *b)
{
	return side_state(&b->cli) == ZCVPN_TRANSPORT_UP &&
	       side_state(&b->srv) == ZCVPN_TRANSPORT_UP &&
	       ppp_link_data_open(ppp_dtls_link(b->cli.p), PPP_PROTO_IPV4) &&
	       ppp_link_data_open(ppp_dtls_link(b->srv.p), PPP_PROTO_IPV4);
}

/* Handshake, hello, LCP and IPCP, turn about; the fake clock follows the real one. */
static void bring_up(struct bench *b)
{
	for (int i = 0; i < BRINGUP_ROUNDS; i++) {
		uint64_t now = now_ns();

		tick(&b->cli, now);
		deliver(&b->cli, &b->srv, b->room);
		tick(&b->srv, now);
		deliver(&b->srv, &b->cli, b->room);
		if (both_up(b))
			return;
		if (i >= NAP_FROM)
			test_sleep_ms(5);	/* let a library retransmission timer run out */
	}
	bench_die("PPP over DTLS never came up", 0);
}

/* ---- the two modes, one packet round trip each ---------------------------------------- */

/* The bare crypto, in place, over the bytes the record's plaintext would hold. */
static void run_raw(struct bench *b)
{
	uint8_t *plain = b->room + HEADROOM - b->frame_head;
	uint32_t len = b->frame_head + b->size;
	int ret;

	plain[b->frame_head] = ++b->mark;
	/* A fresh nonce per packet, as the record's seq8 gives. */
	bench_put_be64(b->nonce + DTLS_GCM_SALT_LEN, ++b->seq);
	ret = crypto_aead_seal(b->aead, b->nonce, b->aad, DTLS_AAD_LEN, plain, len, plain + len);
	if (ret)
		bench_die("raw: seal failed", ret);
	ret = crypto_aead_open(b->aead, b->nonce, b->aad, DTLS_AAD_LEN, plain, len, plain + len);
	if (ret)
		bench_die("raw: open failed", ret);
	if (plain[b->frame_head] != b->mark)
		bench_die("raw: round trip changed the plaintext", plain[b->frame_head]);
}

/* The transport's ops: encap on the client, decap of the same bytes on the server. */
static void run_ours(struct bench *b)
{
	struct pkt pkt = {
		.head = b->room, .end = b->room + ROOM,
		.data = b->room + HEADROOM, .len = b->size,
	};
	uint8_t mark = ++b->mark;
	enum transport_verdict v;
	int ret;

	/* IPv4 (the version nibble picks the PPP protocol), then the per-packet marks. */
	pkt.data[0] = 0x45;
	pkt.data[1] = mark;
	pkt.data[b->size - 1] = mark;
	ret = b->cli.t->ops->encap(b->cli.t, &pkt, NULL);
	if (ret)
		bench_die("ours: encap failed or took another path", ret);
	/* The datagram is where recvmmsg would have put it for the server. */
	if (pkt.data != b->room + HEADROOM - b->rx_head)
		bench_die("ours: datagram not at the server's receive offset", pkt.data - b->room);
	v = b->srv.t->ops->decap(b->srv.t, &pkt, MAX_INNER);
	if (v != TRANSPORT_DATA)
		bench_die("ours: decap did not return data", v);
	if (pkt.len != b->size || pkt.data != b->room + HEADROOM || pkt.data[0] != 0x45 ||
	    pkt.data[1] != mark || pkt.data[b->size - 1] != mark)
		bench_die("ours: round trip changed the packet", pkt.len);
}

/* ---- measurement ---------------------------------------------------------------------- */

static void setup_raw(struct bench *b)
{
	uint8_t key[32];
	int ret;

	if (crypto_random(key, sizeof(key)) || crypto_random(b->nonce, sizeof(b->nonce)))
		bench_die("crypto_random failed", 0);
	ret = crypto_aead_new(&b->aead, CRYPTO_AES256_GCM, key, sizeof(key));
	crypto_wipe(key, sizeof(key));
	if (ret)
		bench_die("raw: crypto_aead_new failed", ret);
	/* As a record's AAD: seq8 | type | version | length. */
	memset(b->aad, 0, sizeof(b->aad));
	b->aad[8] = DTLS_CT_APPLICATION_DATA;
	b->aad[9] = 0xfe;
	b->aad[10] = 0xfd;
}

/* Brings the tunnel up and reads off the header lengths LCP settled. */
static void setup_ours(struct bench *b, enum zcvpn_ppp_flavour flavour)
{
	struct dtls_channel *ch;
	uint32_t record_head;

	side_open(&b->cli, flavour, false);
	side_open(&b->srv, flavour, true);
	bring_up(b);
	ch = ppp_dtls_channel(b->srv.p);
	if (dtls_channel_suite(ch) != DTLS_SUITE_AES256_GCM)
		bench_die("another suite was negotiated", (long)dtls_channel_suite(ch));
	record_head = dtls_channel_rx_head(ch);
	b->rx_head = b->srv.t->ops->rx_head(b->srv.t);
	if (!record_head || b->rx_head <= record_head || b->rx_head > HEADROOM)
		bench_die("unexpected receive head", b->rx_head);
	b->frame_head = b->rx_head - record_head;
	/* Both ends compress alike, so the client writes what the server predicts. */
	if (b->cli.t->ops->rx_head(b->cli.t) != b->rx_head)
		bench_die("the two ends settled different PPP headers", b->cli.t->ops->rx_head(b->cli.t));
}

static void teardown(struct bench *b)
{
	crypto_aead_free(b->aead);
	b->aead = NULL;
	b->cli.t->ops->free(b->cli.t);
	b->srv.t->ops->free(b->srv.t);
	memset(&b->cli, 0, sizeof(b->cli));
	memset(&b->srv, 0, sizeof(b->srv));
}

static double gbps(double pps, uint32_t size)
{
	return pps * size * 8 / 1e9;
}

/* A cell's slices: the framing's tunnel at this cell's size. */
static void enter_cell(struct bench *b, uint32_t size)
{
	b->size = size;
}

/* One framing and size: both modes' medians and spreads; returns ours/raw in %. */
static double print_cell(const struct bench *b, const char *name, uint32_t size,
			 const struct bench_cell *cell)
{
	double pct = 100 * bench_ratio(cell, MODE_OURS, MODE_RAW);

	printf("%-9s %5u %6u  %10.0f %5.1f%% %8.3f  %10.0f %5.1f%% %8.3f  %7.1f%% %5.1f%%\n",
	       name, size, b->frame_head + size, bench_median(cell, MODE_RAW),
	       bench_iqr_pct(&cell->spread[MODE_RAW]), gbps(bench_median(cell, MODE_RAW), size),
	       bench_median(cell, MODE_OURS), bench_iqr_pct(&cell->spread[MODE_OURS]),
	       gbps(bench_median(cell, MODE_OURS), size), pct,
	       bench_ratio_iqr_pct(cell, MODE_OURS, MODE_RAW));
	return pct;
}

int main(void)
{
	static const struct {
		const char *name;
		enum zcvpn_ppp_flavour flavour;
	} framings[] = {
		{ "F5", ZCVPN_PPP_F5 },
		{ "Fortinet", ZCVPN_PPP_FORTINET },
	};
	static const uint32_t sizes[] = { 64, 512, 1400 };
	enum {
		N_FRAMINGS = sizeof(framings) / sizeof(framings[0]),
		N_SIZES = sizeof(sizes) / sizeof(sizes[0]),
	};
	static const bench_packet_fn fns[N_MODES] = { run_raw, run_ours };
	const char *env = getenv("BENCH_SECONDS");
	double secs = env ? atof(env) : 0.5, headline[N_FRAMINGS];
	struct bench *benches[N_FRAMINGS];
	struct bench_plan plan[N_FRAMINGS * N_SIZES];
	size_t cell_framing[N_FRAMINGS * N_SIZES];
	int cells = 0;

	if (!(secs > 0 && secs <= 60)) {
		fprintf(stderr, "bench_ppp: BENCH_SECONDS must be in (0, 60]\n");
		return EXIT_FAILURE;
	}
	printf("PPP over DTLS 1.2 data path, AES-256-GCM, %s, one thread; "
	       "one seal and one open per packet\n", crypto_backend_name());
	bench_pin_cpu();
	/* Both tunnels up first and kept: the cells of both framings interleave. */
	for (size_t f = 0; f < N_FRAMINGS; f++) {
		struct bench *b = calloc(1, sizeof(*b));

		if (!b)
			bench_die("out of memory", 0);
		setup_raw(b);
		setup_ours(b, framings[f].flavour);
		memset(b->room, 0x5a, sizeof(b->room));
		benches[f] = b;
		headline[f] = -1;
		for (size_t z = 0; z < N_SIZES; z++) {
			if (!bench_size_selected(sizes[z]))
				continue;
			plan[cells] = (struct bench_plan){
				.b = b, .fns = fns, .modes = N_MODES, .size = sizes[z],
				.enter = enter_cell,
			};
			cell_framing[cells++] = f;
		}
	}
	bench_print_method(secs);
	printf("Gbit/s = pkt/s x IP packet bits\n");
	printf("%-9s %5s %6s  %10s %6s %8s  %10s %6s %8s  %8s %6s\n", "framing", "bytes",
	       "sealed", "raw pkt/s", "spread", "Gbit/s", "ours pkt/s", "spread", "Gbit/s",
	       "ours/raw", "spread");
	fflush(stdout);
	bench_run_plan(plan, cells, secs);
	for (int c = 0; c < cells; c++) {
		size_t f = cell_framing[c];
		double pct = print_cell(benches[f], framings[f].name, plan[c].size,
					&plan[c].cell);

		if (plan[c].size == TARGET_SIZE)
			headline[f] = pct;
	}
	printf("(sealed = vendor header + PPP header + IP packet, the bytes both modes "
	       "seal and open)\n");
	for (size_t f = 0; f < N_FRAMINGS; f++)
		if (headline[f] >= 0)
			printf("headline: %s (%u header bytes), %d bytes: ours at %.1f%% of raw "
			       "(target >= %d%%): %s\n", framings[f].name, benches[f]->frame_head,
			       TARGET_SIZE, headline[f], TARGET_PCT,
			       headline[f] >= TARGET_PCT ? "met" : "NOT met");
	for (size_t f = 0; f < N_FRAMINGS; f++) {
		teardown(benches[f]);
		free(benches[f]);
	}
	bench_report_migrations();
	return EXIT_SUCCESS;
}
