/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cisco AnyConnect's framing over a DTLS channel (proto/dtls-channel.h): one type byte
 * in front of every record's payload.
 *
 *   record plaintext = type(1) | payload
 *   DATA 0, DPD request 3, DPD response 4, DISCONNECT 5, KEEPALIVE 7, COMPRESSED 8,
 *   TERM_SERVER 9 (openconnect's AC_PKT_*; 1, 2 and 6 are unused).
 *
 * DPD requests are answered in place with the same payload (ocserv's MTU probing relies
 * on the echo).  DPD is due at last-receive + interval, re-sent at most every half
 * interval, and the peer is dead at last-receive + 2 x interval; keepalives go out at
 * last-send + interval.  Compression is never requested, so COMPRESSED is dropped.  A
 * dead peer fails the channel, which redials as configured; a DISCONNECT is final.
 */
#ifndef ZCVPN_PROTO_CISCO_DTLS_H
#define ZCVPN_PROTO_CISCO_DTLS_H

#include <stdint.h>

#include "proto/dtls-channel.h"
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

struct zcvpn_rekey;

struct cisco_dtls_config {
	struct dtls_channel_config channel;	/* up and up_ctx are the framing's */
	/*
	 * The class's reading of a zcvpn_rekey (transport rekey): its keys written over *d,
	 * the channel's configuration; 1 if it had keys, 0 for none (the same keys), or
	 * -errno with a message.  NULL: a rekey keeps the keys.
	 */
	int (*rekey_keys)(const struct zcvpn_rekey *rk, struct dtls_config *d, char *errbuf,
			  size_t errlen);
	uint32_t dpd_ms;		/* X-DTLS-DPD; 0: no DPD */
	uint32_t keepalive_ms;		/* X-DTLS-Keepalive; 0: none */
	uint32_t max_inner;		/* largest inner packet (the tunnel MTU) */
};

/* What the framing counts; the channel and its record layer count the rest. */
struct cisco_dtls_stats {
	uint64_t rx_bad_type;		/* authenticated, but a type byte we do not know */
	uint64_t rx_compressed;		/* compressed data: never negotiated, dropped */
	uint64_t rx_empty;		/* authenticated record without a type byte */
	uint64_t dpd_tx, dpd_resp_rx;		/* our requests, and the answers to them */
	uint64_t dpd_req_rx, dpd_resp_tx;	/* the peer's requests, and our answers */
	uint64_t keepalive_rx, keepalive_tx;
	uint64_t disconnect_rx;
};

/*
 * The counters a Cisco DTLS transport reports, in this order: the framing's, the
 * channel's, the record layer's (over every session).  The AnyConnect class lists them.
 */
enum { CISCO_DTLS_N_COUNTERS = 30 };
extern const struct transport_counter cisco_dtls_counters[CISCO_DTLS_N_COUNTERS];

struct cisco_dtls;

/*
 * Creates the framing and its channel (cfg is copied, host borrowed for its life); the
 * handshake starts at the first run_timers.  -EINVAL bad config, -ENOMEM, -EIO.
 */
int cisco_dtls_new(struct cisco_dtls **out, const struct cisco_dtls_config *cfg,
		   struct transport_host *host);
/* The transport it is; its ops->free frees c.  cls is the class it reports under. */
struct transport *cisco_dtls_transport(struct cisco_dtls *c);

struct dtls_channel *cisco_dtls_channel(struct cisco_dtls *c);
const struct cisco_dtls_stats *cisco_dtls_stats(const struct cisco_dtls *c);

#endif /* ZCVPN_PROTO_CISCO_DTLS_H */
