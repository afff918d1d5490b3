/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cisco AnyConnect's type-byte framing over DTLS (proto/cisco-dtls.c: decap and its
 * dispatch of DATA, DPD request/response, KEEPALIVE, DISCONNECT, TERM_SERVER,
 * COMPRESSED and unknown types) on an established channel, as tests/check_cisco_dtls.c
 * drives it: a client and a server transport on fake hosts (tests/fake-host.h) whose
 * wires are in-memory queues, brought up by a real PSK handshake for every input.
 *
 * The first byte picks the suite (bits 0-1: AES-128/256-GCM, AES-128/256-CBC-SHA1) and
 * the mode:
 *  - raw (bit 2 clear): each datagram goes to the server's decap as it is: the record
 *    layer's checks, and anything not application data to the library of an
 *    established session (handshake, alerts, CCS);
 *  - sealed (bit 2 set): each datagram is a record plaintext (type byte and payload)
 *    that the harness protects on the client's record layer first, so every type byte
 *    and length reaches the framing authenticated;
 * bit 3: the server runs DPD and keepalive timers (1 s / 0.5 s); bit 4: an inner MTU
 * of 100 instead of 1400 on decap.
 * Then up to 16 steps, each a byte of fake-clock advance (in 20 ms), a 16-bit length
 * and the datagram's bytes.  After each, the server's timers run and whatever it sent
 * (DPD answers, its own DPD and keepalives) goes to the client's decap.  Every datagram
 * lies in a buffer of its exact size with the transport's head and tail room.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dtls.h"
#include "proto/cisco-dtls.h"
#include "proto/dtls-channel.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "proto/transport.h"
#include "ring/pkt.h"
#include "src/util/clock.h"
#include "src/zcvpn.h"
#include "tests/dtls-pair.h"
#include "tests/fake-host.h"
#include "tests/fuzz/fuzz.h"

enum {
	MAX_STEPS = 16,
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	MAX_INNER = 1400,
	SMALL_INNER = 100,
	HANDSHAKE_ROUNDS = 200,
	STEP_NS = 20 * 1000000,
};

static const unsigned suites[] = {
	DTLS_SUITE_AES128_GCM, DTLS_SUITE_AES256_GCM,
	DTLS_SUITE_AES128_CBC_SHA1, DTLS_SUITE_AES256_CBC_SHA1,
};

struct side {
	struct mem_wire out;	/* what this side sent */
	struct fake_host host;
	struct transport *t;
	struct cisco_dtls *c;
};

struct link {
	struct side cli, srv;
	uint64_t now;
	uint32_t max_inner;
};

static bool side_init(struct side *s, enum dtls_role role, unsigned suite, uint32_t dpd_ms,
		      uint32_t keepalive_ms, uint64_t now)
{
	struct cisco_dtls_config cfg;
	struct dtls_config *d = &cfg.channel.dtls;

	memset(&cfg, 0, sizeof(cfg));
	d->role = role;
	d->suites = suite;
	d->psk_identity = "zcvpn-fuzz";
	for (unsigned i = 0; i < DTLS_PSK_LEN; i++)
		d->psk[i] = (uint8_t)(0x3c ^ i * 11);
	if (role == DTLS_ROLE_CLIENT) {
		memcpy(d->session_id, "app-id-16-bytes!", 16);
		d->session_id_len = 16;
	}
	d->mtu = 1500;
	d->retrans_ms = 1000;
	d->handshake_timeout_ms = 5000;
	cfg.dpd_ms = dpd_ms;
	cfg.keepalive_ms = keepalive_ms;
	cfg.max_inner = MAX_INNER;
	fake_host_init(&s->host, &s->out, now);
	if (cisco_dtls_new(&s->c, &cfg, &s->host.host))
		return false;
	s->t = cisco_dtls_transport(s->c);
	return true;
}

static bool up(const struct side *s)
{
	int error;

	return s->t->ops->state(s->t, &error) == ZCVPN_TRANSPORT_UP;
}

/*
 * One datagram into s's decap, in a buffer of exactly the transport's rx head, the
 * datagram and its max_tail (the room a DPD answer is protected in, in place).
 */
static enum transport_verdict feed(struct link *l, struct side *s, const uint8_t *d,
				   size_t len, const uint8_t *expect, size_t expect_len)
{
	uint32_t head = s->t->ops->rx_head(s->t), tail = s->t->max_tail;
	uint8_t *room = malloc(head + len + tail);
	enum transport_verdict v;
	struct pkt pkt;

	if (!room)
		abort();
	test_pkt_over(&pkt, room, head + len + tail, head, (uint32_t)len);
	if (len)
		memcpy(pkt.data, d, len);
	v = s->t->ops->decap(s->t, &pkt, l->max_inner);
	if (v == TRANSPORT_DATA) {
		/* An inner packet: inside the buffer, not empty, within the MTU. */
		if (pkt.data < room || pkt.data + pkt.len > room + head + len || !pkt.len ||
		    pkt.len > l->max_inner)
			abort();
		/* A sealed DATA record gives back its payload, type byte stripped. */
		if (expect && (pkt.len + 1 != expect_len || memcmp(pkt.data, expect + 1, pkt.len)))
			abort();
	} else if (v != TRANSPORT_CONTROL && v != TRANSPORT_DROP) {
		abort();
	}
	free(room);
	return v;
}

/* Everything on from's wire to to's decap. */
static void deliver_all(struct link *l, struct side *from, struct side *to)
{
	static uint8_t d[DGRAM_MAX];
	size_t len;

	while ((len = mem_wire_pop(&from->out, d)))
		feed(l, to, d, len, NULL, 0);
}

static void tick(struct link *l, struct side *s)
{
	s->host.now = l->now;
	(void)s->t->ops->run_timers(s->t, l->now);
}

static bool handshake(struct link *l)
{
	for (int i = 0; i < HANDSHAKE_ROUNDS; i++) {
		l->now = now_ns();
		tick(l, &l->cli);
		deliver_all(l, &l->cli, &l->srv);
		tick(l, &l->srv);
		deliver_all(l, &l->srv, &l->cli);
		if (up(&l->cli) && up(&l->srv))
			return dtls_channel_record(cisco_dtls_channel(l->cli.c)) != NULL;
	}
	return false;
}

/* body (type byte, payload) as an authentic record from the client; 0 if it cannot be. */
static size_t seal(struct link *l, const uint8_t *body, size_t len, uint8_t *out)
{
	struct dtls_record *r = dtls_channel_record(cisco_dtls_channel(l->cli.c));
	static uint8_t room[DGRAM_MAX + 128];
	struct pkt pkt;

	if (!r || len > DGRAM_MAX - dtls_record_max_head() - dtls_record_max_tail())
		return 0;
	test_pkt_over(&pkt, room, sizeof(room), dtls_record_max_head(), (uint32_t)len);
	memcpy(pkt.data, body, len);
	if (dtls_record_protect(r, &pkt, DTLS_CT_APPLICATION_DATA))
		return 0;
	memcpy(out, pkt.data, pkt.len);
	return pkt.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	unsigned suite = suites[mode & 3];
	bool sealed = mode & 4, timers = mode & 8;
	static uint8_t sealed_buf[DGRAM_MAX];
	const struct cisco_dtls_stats *cs, *ss;
	struct link *l = calloc(1, sizeof(*l));
	uint64_t now = now_ns();

	if (!l)
		abort();
	l->max_inner = mode & 16 ? SMALL_INNER : MAX_INNER;
	if (!side_init(&l->cli, DTLS_ROLE_CLIENT, suite, 0, 0, now) ||
	    !side_init(&l->srv, DTLS_ROLE_SERVER, suite, timers ? 1000 : 0, timers ? 500 : 0,
		       now))
		abort();
	if (!handshake(l))
		abort();	/* the fixed PSK handshake must work */
	cs = cisco_dtls_stats(l->cli.c);
	ss = cisco_dtls_stats(l->srv.c);
	for (int n = 0; n < MAX_STEPS && in.size; n++) {
		uint64_t step = fuzz_byte(&in);
		size_t len = fuzz_u16(&in) % DGRAM_MAX;

		if (len > in.size)
			len = in.size;
		l->now += step * STEP_NS;
		if (sealed) {
			size_t out = seal(l, in.data, len, sealed_buf);

			if (out)
				feed(l, &l->srv, sealed_buf, out, in.data, len);
		} else {
			feed(l, &l->srv, in.data, len, NULL, 0);
		}
		in.data += len;
		in.size -= len;
		tick(l, &l->srv);
		deliver_all(l, &l->srv, &l->cli);
		/* Every DPD answer the server sent reached the client as one. */
		if (cs->dpd_resp_rx != ss->dpd_resp_tx)
			abort();
		tick(l, &l->cli);
		deliver_all(l, &l->cli, &l->srv);
	}
	l->cli.t->ops->free(l->cli.t);
	l->srv.t->ops->free(l->srv.t);
	free(l);
	return 0;
}
