/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A DTLS channel: one DTLS association's life, shared by every framing that rides on
 * DTLS (Cisco AnyConnect's type byte, PPP for F5 and Fortinet).  The TLS library runs
 * the handshake over the transport host's socket; once it is done, our in-place record
 * layer (proto/dtls-record.c) takes the keys and sequence numbers over, and a suite
 * without a fast path keeps going through the library's record calls, every byte counted
 * as a copy.  Records our layer declines (alerts, handshake retransmissions) go back to
 * the library, with the write sequence numbers kept in step.
 *
 * A channel that failed comes back, as openconnect's DTLS does: a client starts a new
 * handshake (a fresh library session, same keys or credentials) redial_ms after the
 * failure, and again after each failed attempt, each from a new path (host new_path); a
 * server whose peer died listens again at once, so that handshake finds it.  Until the
 * new session is up the channel reads as down; a goodbye (close_notify, or the framing's
 * own) is final.
 *
 * A client also replaces a live session before its keys grow old (rekey_ms after it came
 * up, or when told, with new credentials or the same): a planned redial, a fresh
 * handshake from a new path, the channel reading as down meanwhile so that packets take
 * the host's fallback, as ocserv expects of a client that rekeys DTLS.
 *
 * The framing on top decides what a plaintext means and when the peer is dead (DPD,
 * LCP echo): it calls dtls_channel_fail or dtls_channel_peer_closed.
 */
#ifndef ZCVPN_PROTO_DTLS_CHANNEL_H
#define ZCVPN_PROTO_DTLS_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/dtls.h"
#include "proto/dtls-record.h"
#include "proto/transport.h"

struct pkt;
struct dtls_channel;

enum dtls_channel_state {
	DTLS_CHANNEL_HANDSHAKE,		/* the first one, or a redial (then error is set) */
	DTLS_CHANNEL_UP,
	DTLS_CHANNEL_CLOSED,		/* a goodbye went either way */
	DTLS_CHANNEL_FAILED,		/* handshake failed or the peer is dead: see error */
};

struct dtls_channel_config {
	/* Role, mode, keys or credentials, suites; send and send_ctx are the channel's. */
	struct dtls_config dtls;
	unsigned int replay_window;	/* 0: default */
	uint32_t max_plain;		/* the largest record plaintext the framing uses */
	uint32_t redial_ms;		/* client: new handshake this long after a failure;
					 * 0: never (servers listen again at once anyway) */
	uint32_t rekey_ms;		/* client: a new session this long after one came up;
					 * 0: never */
	/*
	 * Use the library's record calls even where our layer has a fast path: the path a
	 * suite without one takes (each byte copied and counted).  For tests.
	 */
	bool library_records;
	/* Each time a session comes up: the framing restarts its liveness timers. */
	void (*up)(void *ctx, uint64_t now);
	void *up_ctx;
};

struct dtls_channel_stats {
	uint64_t handshake_datagrams;	/* fed to the library before the handshake ended */
	uint64_t handshake_failures;	/* server: failed attempts, listening again */
	uint64_t redials;		/* new sessions after a failure (client: attempts;
					 * server: listening again after a dead peer) */
	uint64_t rekeys;		/* client: new sessions begun for new keys */
	uint64_t rx_not_handshake;	/* server: not a ClientHello while listening */
	uint64_t rx_hello_wrong_id;	/* server: a ClientHello for another session ID */
	uint64_t lib_copied_bytes;	/* bytes moved through the library's record calls */
};

/*
 * Creates the channel and its first library session; cfg is copied (its credentials
 * pointer is borrowed for the channel's life), host is borrowed.  The handshake starts
 * at the first dtls_channel_run_timers.  -EINVAL bad config, -ENOMEM, -EIO.
 */
int dtls_channel_new(struct dtls_channel **out, const struct dtls_channel_config *cfg,
		     struct transport_host *host);
/* Frees and wipes; accepts NULL.  Sends nothing (dtls_channel_close does). */
void dtls_channel_free(struct dtls_channel *ch);

/*
 * One received datagram, in place (pkt is borrowed).  TRANSPORT_DATA: pkt now holds one
 * authenticated application-data plaintext (at most max_plain bytes) for the framing;
 * TRANSPORT_CONTROL: the handshake completed on it, so the peer is authenticated;
 * TRANSPORT_DROP: handshake input, for the library, or dropped and counted.
 */
enum transport_verdict dtls_channel_decap(struct dtls_channel *ch, struct pkt *pkt,
					  uint32_t max_plain);

/*
 * Data out: protects pkt's plaintext in place (header and nonce or IV into the head
 * room, tag or MAC and padding into the tail room).  0; TRANSPORT_SENT on the library
 * path (sent, and counted as copied); -ENOTCONN when not up; -errno (pkt unchanged).
 */
int dtls_channel_protect(struct dtls_channel *ch, struct pkt *pkt);

/* Control out: protects pkt and sends it, on either record path.  0 or -errno. */
int dtls_channel_send(struct dtls_channel *ch, struct pkt *pkt);

/*
 * The channel's timers at now: handshake retransmission and timeout, the redial.
 * Returns its next deadline (TRANSPORT_NO_DEADLINE: none).
 */
uint64_t dtls_channel_run_timers(struct dtls_channel *ch, uint64_t now);

/*
 * Client: a new session now in place of the current one (a rekey), with cfg's keys or
 * credentials (a new CSTP tunnel gave them; cfg's send callback is ignored) or, cfg
 * NULL, the same.  Later redials use them too.  Until it is up the channel reads as down.
 * 0; -EOPNOTSUPP for a server; -ENOTCONN once closed; -errno (the channel then failed,
 * and redials as configured).
 */
int dtls_channel_rekey(struct dtls_channel *ch, const struct dtls_config *cfg);
/* The configuration the channel runs with (its keys included), for a rekey to start from. */
const struct dtls_config *dtls_channel_dtls_config(const struct dtls_channel *ch);

/*
 * The framing's verdicts: the peer is dead (err, e.g. -ETIMEDOUT; why for the event),
 * so the channel fails and redials as configured; or the peer said goodbye: closed.
 */
void dtls_channel_fail(struct dtls_channel *ch, int err, const char *why);
void dtls_channel_peer_closed(struct dtls_channel *ch);

/*
 * Our goodbye: close_notify (from the library with a synced sequence number, or our own
 * alert record where the backend cannot sync), then closed.  The framing sends its own
 * goodbye record first.  Nothing when not up.
 */
void dtls_channel_close(struct dtls_channel *ch);

enum dtls_channel_state dtls_channel_state(const struct dtls_channel *ch);
/* Why the state is FAILED (negative errno; 0 when not), and the library's words. */
int dtls_channel_error(const struct dtls_channel *ch, const char **detail);
/* The negotiated suite once up (enum dtls_suite), 0 before. */
unsigned int dtls_channel_suite(const struct dtls_channel *ch);
/* Bytes in front of the plaintext of the next datagram (0 before the takeover). */
uint32_t dtls_channel_rx_head(const struct dtls_channel *ch);
const struct dtls_channel_stats *dtls_channel_stats(const struct dtls_channel *ch);
/* The record layer's counters over every session so far (redials included). */
void dtls_channel_record_stats(const struct dtls_channel *ch, struct dtls_record_stats *out);
/* The current record layer, for tests crafting records; NULL before the takeover. */
struct dtls_record *dtls_channel_record(struct dtls_channel *ch);

/*
 * The counter rows of a channel and its record layer, for a framing's table: block is
 * the framing's counter struct, with the channel's stats as member channel and the
 * record layer's as member record.  Framings on DTLS list them after their own.
 */
#define DTLS_CHANNEL_COUNTERS(block) \
	TRANSPORT_COUNTER("handshake_datagrams", block, channel.handshake_datagrams, 0, \
		"datagrams fed to the handshake"), \
	TRANSPORT_COUNTER("handshake_failures", block, channel.handshake_failures, 0, \
		"failed handshakes at a listening server"), \
	TRANSPORT_COUNTER("dtls_redials", block, channel.redials, 0, "new DTLS sessions after a failure"), \
	TRANSPORT_COUNTER("dtls_rekeys", block, channel.rekeys, 0, \
		"new DTLS sessions for new keys (rekey)"), \
	TRANSPORT_COUNTER("rx_not_handshake", block, channel.rx_not_handshake, TRANSPORT_COUNTER_DROP, \
		"listening, and not a ClientHello"), \
	TRANSPORT_COUNTER("rx_hello_wrong_id", block, channel.rx_hello_wrong_id, TRANSPORT_COUNTER_DROP, \
		"a ClientHello with another session's ID (App-ID)"), \
	TRANSPORT_COUNTER("lib_copied_bytes", block, channel.lib_copied_bytes, TRANSPORT_COUNTER_COPY, \
		"bytes through the library's record calls"), \
	TRANSPORT_COUNTER("rx_short", block, record.rx_short, TRANSPORT_COUNTER_DROP, "shorter than the record format"), \
	TRANSPORT_COUNTER("rx_bad_version", block, record.rx_bad_version, TRANSPORT_COUNTER_DROP, "not our DTLS version"), \
	TRANSPORT_COUNTER("rx_bad_epoch", block, record.rx_bad_epoch, TRANSPORT_COUNTER_DROP, "application data of another epoch"), \
	TRANSPORT_COUNTER("rx_bad_length", block, record.rx_bad_length, TRANSPORT_COUNTER_DROP, "length field or blocks wrong"), \
	TRANSPORT_COUNTER("rx_oversize", block, record.rx_oversize, TRANSPORT_COUNTER_DROP, "plaintext larger than the MTU"), \
	TRANSPORT_COUNTER("rx_replay", block, record.rx_replay, TRANSPORT_COUNTER_DROP, "sequence number seen before"), \
	TRANSPORT_COUNTER("rx_too_old", block, record.rx_too_old, TRANSPORT_COUNTER_DROP, "behind the replay window"), \
	TRANSPORT_COUNTER("rx_bad_icv", block, record.rx_bad_tag, TRANSPORT_COUNTER_DROP, "failed authentication (tag or MAC)"), \
	TRANSPORT_COUNTER("rx_bad_padding", block, record.rx_bad_padding, TRANSPORT_COUNTER_DROP, "authentic, but padded wrong"), \
	TRANSPORT_COUNTER("rx_to_library", block, record.rx_to_library, 0, \
		"alerts and handshake records, for the library"), \
	TRANSPORT_COUNTER("tx_seq_exhausted", block, record.tx_seq_exhausted, 0, \
		"refused to send: sequence numbers used up"), \
	TRANSPORT_COUNTER("tx_no_room", block, record.tx_no_room, 0, \
		"refused to send: record lacked head or tail room"), \
	TRANSPORT_COUNTER("tx_too_big", block, record.tx_too_big, 0, "refused to send: above 2^14 bytes"),

#endif /* ZCVPN_PROTO_DTLS_CHANNEL_H */
