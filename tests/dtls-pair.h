/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper, shared by the DTLS Check suites and bench_dtls: an in-memory network of
 * datagram queues (one per direction, filled by a dtls_session's send callback) and a
 * client/server pair of dtls_sessions on it, with a bounded driver for their handshake.
 * Plain C without Check: errors are returned for the caller to assert on or die of.
 */
#ifndef ZCVPN_TESTS_DTLS_PAIR_H
#define ZCVPN_TESTS_DTLS_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/dtls.h"
#include "ring/pkt.h"

enum {
	MEM_WIRE_SLOTS = 64,
	MEM_WIRE_DGRAM_MAX = 2048,
};

/* One direction of the in-memory network: a FIFO of datagrams. */
struct mem_wire {
	uint8_t buf[MEM_WIRE_SLOTS][MEM_WIRE_DGRAM_MAX];
	size_t len[MEM_WIRE_SLOTS];
	unsigned head, count;
};

/* A dtls_config send callback: ctx is the struct mem_wire; -EAGAIN when it is full. */
int mem_wire_send(void *ctx, const void *buf, size_t len);

/* Takes the oldest datagram; returns its length, or 0 when the wire is empty. */
size_t mem_wire_pop(struct mem_wire *w, uint8_t *out);

/* Hands everything on the wire to dtls_input of to; returns the first error, or 0. */
int mem_wire_deliver(struct mem_wire *w, struct dtls_session *to);

/* A client and a server session, each sending to its own wire. */
struct dtls_pair {
	struct mem_wire c2s, s2c;
	struct dtls_session *client, *server;
};

/*
 * A PSK config (identity "zcvpn-test", a fixed key, MTU 1500 so that the library's
 * records carry 1400-byte plaintexts, 20 ms retransmissions, 5 s handshake timeout)
 * sending to out, which may be NULL when dtls_pair_open fills it in.
 */
void dtls_pair_config(struct dtls_config *cfg, enum dtls_role role, unsigned suites,
		      struct mem_wire *out);

/*
 * A CERT config: dtls_pair_config's MTU, timers and wire, but DTLS_MODE_CERT with creds
 * (borrowed, as dtls_config.creds) instead of the PSK.
 */
void dtls_pair_cert_config(struct dtls_config *cfg, enum dtls_role role, unsigned suites,
			   const struct dtls_credentials *creds, struct mem_wire *out);

/*
 * Creates both sessions on p (zeroed by the caller) from the two configs, with send
 * and send_ctx pointed at p's wires.  Returns 0, or dtls_session_new's error with
 * nothing left open.
 */
int dtls_pair_open(struct dtls_pair *p, const struct dtls_config *ccfg,
		   const struct dtls_config *scfg);

/* Frees both sessions; p may be opened again. */
void dtls_pair_close(struct dtls_pair *p);

/*
 * Drives both handshakes, turn about (client, deliver, server, deliver), for at most
 * rounds rounds; from round nap_from on, sleeps 5 ms between rounds so that a
 * retransmission timer can run out.  Returns 0 when both sides are done.  Otherwise
 * *failed (if failed is not NULL) is the session at fault, for dtls_last_error, and
 * the return is its error: a handshake or dtls_input error, or -ETIMEDOUT when the
 * rounds ran out.
 */
int dtls_pair_handshake(struct dtls_pair *p, unsigned rounds, unsigned nap_from,
			struct dtls_session **failed);

/* "client" or "server" for one of p's sessions, for messages. */
const char *dtls_pair_who(const struct dtls_pair *p, const struct dtls_session *s);

/*
 * Drives a handshake that is to fail: each side until it leaves -EAGAIN, for at most
 * rounds rounds, sleeping nap_ms after each.  *rc and *rs are the client's and the
 * server's last results.  Returns 0, or the first dtls_input error.
 */
int dtls_pair_settle(struct dtls_pair *p, unsigned rounds, unsigned nap_ms, int *rc,
		     int *rs);

/* Sleeps ms milliseconds. */
void test_sleep_ms(unsigned ms);

/* A view of len bytes at offset at of room, with the rest as head and tail room. */
void test_pkt_over(struct pkt *pkt, uint8_t *room, size_t size, uint32_t at, uint32_t len);

#endif /* ZCVPN_TESTS_DTLS_PAIR_H */
