/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the engine needs from a transport protocol (ESP, AnyConnect DTLS; PPP over DTLS
 * later).  All calls work in place on packet views over ring records and borrow the
 * pkt: it stays in its record, owned by the engine.  The engine calls them from one
 * thread at a time.
 */
#ifndef ZCVPN_PROTO_TRANSPORT_H
#define ZCVPN_PROTO_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

struct pkt;
struct zcvpn_stats;

enum transport_verdict {
	TRANSPORT_DATA,		/* pkt holds an inner IP packet for the tun */
	TRANSPORT_PROBE,	/* authenticated liveness probe (answer with build_probe) */
	TRANSPORT_CONTROL,	/* authenticated control message, handled: the peer is real */
	TRANSPORT_DROP,		/* nothing for the tun (dropped, or handshake input);
				 * the transport counted it */
};

enum { TRANSPORT_SENT = 1 };

struct transport_ops {
	const char *name;
	/* Header bytes the next datagram is expected to carry before the inner packet. */
	uint32_t (*rx_head)(const void *ctx);
	/*
	 * Encapsulates pkt in place.  0, TRANSPORT_SENT when the transport had to send it
	 * itself (a library record path), or -errno (the packet is dropped and counted).
	 */
	int (*encap)(void *ctx, struct pkt *pkt);
	/* Decapsulates one datagram in place; max_inner is the record's payload room. */
	enum transport_verdict (*decap)(void *ctx, struct pkt *pkt, uint32_t max_inner);
	/* Builds a complete liveness probe/keepalive in the empty pkt. */
	int (*build_probe)(void *ctx, struct pkt *pkt);
	/* Adds the transport's own counters (drop reasons, probes) into st. */
	void (*stats)(const void *ctx, struct zcvpn_stats *st);
	void (*free)(void *ctx);

	/* Optional, for transports with a handshake and timers of their own (DTLS). */
	/* Whether encap may run now; packets wait in the tx ring until it is true. */
	bool (*ready)(const void *ctx);
	/*
	 * Runs the transport's timers (handshake retransmission, DPD, keepalive).  0, or
	 * -errno when the transport is down for good (handshake failed, peer dead, peer
	 * closed); the engine then stops moving data.
	 */
	int (*tick)(void *ctx, uint64_t now_ns);
	/* Says goodbye to the peer (disconnect); the engine calls it once, when stopping. */
	void (*close)(void *ctx);
};

struct transport {
	const struct transport_ops *ops;
	void *ctx;
	uint32_t max_head;	/* worst-case bytes before the inner packet */
	uint32_t max_tail;	/* worst-case bytes after it */
};

#endif /* ZCVPN_PROTO_TRANSPORT_H */
