/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cisco AnyConnect DTLS as an engine transport: the TLS library's handshake over the
 * engine's socket, then our in-place record layer (proto/dtls-record.c) with one
 * AnyConnect type byte in front of every payload.
 *
 *   record plaintext = type(1) | payload
 *   DATA 0, DPD request 3, DPD response 4, DISCONNECT 5, KEEPALIVE 7, COMPRESSED 8,
 *   TERM_SERVER 9 (openconnect's AC_PKT_*; 1, 2 and 6 are unused).
 *
 * DPD requests are answered in place with the same payload (ocserv's MTU probing relies
 * on the echo).  DPD is due at last-receive + interval, re-sent at most every half
 * interval, and the peer is dead at last-receive + 2 x interval; keepalives go out at
 * last-send + interval.  Compression is never requested, so COMPRESSED is dropped.
 *
 * DTLS that failed comes back, as openconnect's does: a client starts a new handshake
 * (a fresh library session, same PSK or master secret) redial_ms after the failure,
 * and again after each failed attempt; a server whose peer died listens again at once,
 * so that handshake finds it.  Until the new session is up the transport stays down
 * (the engine's fallback carries the packets); a DISCONNECT or close_notify is final.
 */
#ifndef ZCVPN_PROTO_CISCO_DTLS_H
#define ZCVPN_PROTO_CISCO_DTLS_H

#include <stdint.h>

#include "crypto/dtls.h"
#include "proto/transport.h"

enum cisco_pkt_type {
	CISCO_PKT_DATA = 0,
	CISCO_PKT_DPD_REQ = 3,
	CISCO_PKT_DPD_RESP = 4,
	CISCO_PKT_DISCONNECT = 5,
	CISCO_PKT_KEEPALIVE = 7,
	CISCO_PKT_COMPRESSED = 8,
	CISCO_PKT_TERM_SERVER = 9,
};

/* The first payload byte of a DISCONNECT that ocserv reads as "the user logged out". */
#define CISCO_DISCONNECT_USER 0xb0

enum cisco_dtls_state {
	CISCO_DTLS_HANDSHAKE,		/* the first one, or a redial (then error is set) */
	CISCO_DTLS_UP,
	CISCO_DTLS_CLOSED,	/* a DISCONNECT or close_notify went either way */
	CISCO_DTLS_FAILED,	/* handshake failed or the peer is dead; see cisco_dtls_error */
};

struct cisco_dtls_config {
	struct dtls_config dtls;	/* role, PSK, session ID, suites, send callback */
	unsigned replay_window;		/* 0: default */
	uint32_t dpd_ms;		/* X-DTLS-DPD; 0: no DPD */
	uint32_t keepalive_ms;		/* X-DTLS-Keepalive; 0: none */
	uint32_t max_inner;		/* largest inner packet (the tunnel MTU) */
	uint32_t redial_ms;		/* client: new handshake this long after a failure;
					 * 0: never */
	/*
	 * Before a redial (client) or listening again (server): a new path for the new
	 * session (the engine's engine_new_path).  0 or -errno; NULL: the same path.
	 */
	int (*new_path)(void *ctx);
	void *new_path_ctx;
	/*
	 * Use the library's record calls even where our layer has a fast path: the path a
	 * suite without one takes (each byte copied and counted).  For tests.
	 */
	bool library_records;
};

struct cisco_dtls_stats {
	uint64_t handshake_datagrams;	/* fed to the library before the handshake ended */
	uint64_t handshake_failures;	/* server: failed attempts, listening again */
	uint64_t redials;		/* new sessions after a failure (client: attempts;
					 * server: listening again after a dead peer) */
	uint64_t rx_not_handshake;	/* server: not a ClientHello while listening */
	uint64_t rx_bad_type;		/* authenticated, but a type byte we do not know */
	uint64_t rx_compressed;		/* compressed data: never negotiated, dropped */
	uint64_t rx_empty;		/* authenticated record without a type byte */
	uint64_t dpd_tx, dpd_resp_rx;		/* our requests, and the answers to them */
	uint64_t dpd_req_rx, dpd_resp_tx;	/* the peer's requests, and our answers */
	uint64_t keepalive_rx, keepalive_tx;
	uint64_t disconnect_rx;
	uint64_t lib_copied_bytes;	/* bytes moved through the library's record calls */
};

struct cisco_dtls;
struct dtls_record;

/*
 * Creates the transport and its DTLS session (cfg and everything it points to are
 * copied).  The handshake starts at the first tick.  -EINVAL bad config, -ENOMEM, -EIO.
 */
int cisco_dtls_new(struct cisco_dtls **out, const struct cisco_dtls_config *cfg);
/* Fills t; the transport owns c from then on (t->ops->free frees it). */
void cisco_dtls_transport_init(struct transport *t, struct cisco_dtls *c);

enum cisco_dtls_state cisco_dtls_state(const struct cisco_dtls *c);
/* Why the state is FAILED (negative errno), and the library's words for it. */
int cisco_dtls_error(const struct cisco_dtls *c, const char **detail);
/* The negotiated suite once UP (enum dtls_suite), 0 before. */
unsigned cisco_dtls_suite(const struct cisco_dtls *c);
const struct cisco_dtls_stats *cisco_dtls_stats(const struct cisco_dtls *c);
/*
 * The record layer once UP, for tests and diagnostics (crafting records, reading its
 * drop counters); NULL before the handshake and on the library record path.
 */
struct dtls_record *cisco_dtls_record(struct cisco_dtls *c);

#endif /* ZCVPN_PROTO_CISCO_DTLS_H */
