/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transports behind one interface.  A transport class (ESP, AnyConnect DTLS; PPP over
 * DTLS later) is found in a table by its public protocol id and creates a transport from
 * its own section of struct zcvpn_config.  The engine then knows it only through the ops
 * below and gives it a host: the engine's socket, a new path for a redial, the clock and
 * the event sink.  Adding a protocol touches proto/ (its files and the table in
 * transport.c), its config struct and id in zcvpn.h, and tests; never the engine.
 *
 * Data path: encap and decap work in place on packet views over ring records and borrow
 * the pkt: it stays in its record, owned by the engine.  Control traffic (handshakes,
 * probes, keepalives, DPD, echoes) is the transport's own business: it builds and answers
 * it itself and sends it through the host, so the engine has no liveness logic at all.
 *
 * Threading: the engine calls every op from one thread at a time (the one running
 * zcvpn_engine_process), and the host's ops may only be called from inside an op.
 */
#ifndef ZCVPN_PROTO_TRANSPORT_H
#define ZCVPN_PROTO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "src/util/errbuf.h"
#include "src/zcvpn.h"

struct pkt;
struct transport;

#define TRANSPORT_NO_DEADLINE UINT64_MAX

enum transport_verdict {
	TRANSPORT_DATA,		/* pkt holds an inner IP packet for the tun */
	TRANSPORT_CONTROL,	/* authenticated control message, handled: the peer is real */
	TRANSPORT_DROP,		/* nothing for the tun (dropped, or handshake input);
				 * the transport counted it */
};

/* What encap may return besides 0 (in place, pkt is the datagram) and -errno. */
enum transport_encap_result {
	TRANSPORT_SENT = 1,	/* the transport sent it itself (a library record path) */
	TRANSPORT_SPARE = 2,	/* the datagram is in spare->buf (out of place) */
};

/*
 * A per-batch-slot buffer for a framing that can grow a packet beyond the ring's tail
 * room (HDLC byte stuffing may double it): encap writes the whole wire datagram there,
 * sets len and returns TRANSPORT_SPARE.  The engine sends it in the same batch and counts
 * len in copied_bytes: it is a copy, and the only one such a framing makes.
 */
struct transport_spare {
	uint8_t *buf;
	uint32_t room;		/* the transport's max_spare */
	uint32_t len;		/* out */
};

/* ---- the host: what the engine offers a transport ---------------------------------- */

struct transport_host;

struct transport_host_ops {
	/*
	 * Sends n datagrams (each iov one whole datagram) on the engine's socket: to the
	 * peer, or, before the peer is known, to the sender of the datagram being
	 * decapsulated (a listening server's handshake answer).  The buffers are borrowed
	 * for the call.  0, -ENOTCONN (nobody to send to), -EAGAIN (socket full: dropped;
	 * protocols with retransmission retry), or -errno; counted in tx_errors.
	 */
	int (*send)(struct transport_host *h, const struct iovec *dgrams, unsigned int n);
	/*
	 * A new path for a new session (a DTLS redial).  A client sends from a new socket,
	 * so from a new source port, unless the configuration fixed it: servers (ocserv)
	 * hand a ClientHello from a new port to the session it names, while the socket
	 * bound to the old port drops a new handshake.  A server forgets its peer and
	 * listens to anyone again.  0 or -errno (the old path is kept then).
	 */
	int (*new_path)(struct transport_host *h);
	/* The clock every deadline is on: CLOCK_MONOTONIC nanoseconds (tests fake it). */
	uint64_t (*now)(struct transport_host *h);
	/* Reports an event (zcvpn.h); ev->source is filled in by the host. */
	void (*event)(struct transport_host *h, const struct zcvpn_event *ev);
	/*
	 * The host's byte stream (zcvpn_engine_set_stream: PPP over TLS), for a transport
	 * with stream ops: writes len bytes of buf (borrowed) to it.  0, -ENOTCONN (no
	 * stream), or the host's -errno.  Optional (NULL: no stream).
	 */
	int (*stream_write)(struct transport_host *h, const void *buf, size_t len);
	/*
	 * Hands one inner packet that arrived outside the socket (over the stream) to the
	 * tun: copied and counted as such.  0, -EMSGSIZE, -ENOBUFS.  Optional with
	 * stream_write.
	 */
	int (*deliver)(struct transport_host *h, const void *pkt, size_t len);
};

struct transport_host {
	const struct transport_host_ops *ops;
};

static inline int transport_send(struct transport_host *h, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return h->ops->send(h, &iov, 1);
}

static inline uint64_t transport_now(struct transport_host *h)
{
	return h->ops->now(h);
}

/*
 * Reports an event with a formatted message (never a secret in it).  type and level as
 * in zcvpn.h; err is the -errno that goes with a TRANSPORT_DOWN, else 0.
 */
void transport_event(struct transport_host *h, enum zcvpn_event_type type,
		     enum zcvpn_log_level level, int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- counters ------------------------------------------------------------------------ */

enum transport_counter_flags {
	TRANSPORT_COUNTER_DROP = 1u << 0,	/* a reason a datagram was dropped */
	TRANSPORT_COUNTER_COPY = 1u << 1,	/* bytes the transport copied itself: part
						 * of copied_bytes */
};

/* One named counter of a class; names are stable (scripts read them), snake_case. */
struct transport_counter {
	const char *name;
	const char *help;	/* a few words for people */
	unsigned int flags;
	size_t offset;		/* of its uint64_t in the transport's counter struct */
};

/* A table row: the counter called name is the uint64_t at member of type. */
#define TRANSPORT_COUNTER(name, type, member, flags, help) \
	{ name, help, flags, offsetof(type, member) }

/* read_counters from one struct of uint64_t fields that the table's offsets describe. */
void transport_counters_read(const struct transport_counter *table, unsigned int n,
			     const void *block, uint64_t *values);

/* ---- the transport ------------------------------------------------------------------- */

struct transport_ops {
	/* Header bytes the next datagram is expected to carry before the inner packet. */
	uint32_t (*rx_head)(const struct transport *t);
	/*
	 * Encapsulates pkt in place: 0, TRANSPORT_SENT, TRANSPORT_SPARE (only with
	 * max_spare), or -errno (the packet is dropped; the engine counts tx_encap_errors).
	 */
	int (*encap)(struct transport *t, struct pkt *pkt, struct transport_spare *spare);
	/*
	 * Decapsulates one datagram in place; max_inner is the record's payload room.  Any
	 * answer it needs (a DPD echo, a probe reply, a handshake flight) it sends itself.
	 */
	enum transport_verdict (*decap)(struct transport *t, struct pkt *pkt,
					uint32_t max_inner);
	/*
	 * Runs whatever is due at now (retransmissions, DPD, keepalives, probes, redials)
	 * and returns when it next wants to run: an absolute time on the host's clock, or
	 * TRANSPORT_NO_DEADLINE.  The engine also calls it after each round of traffic, so
	 * activity-driven timers may move; calling it early is always harmless.
	 */
	uint64_t (*run_timers)(struct transport *t, uint64_t now);
	/* Where the transport is, and (down) why: a negative errno, or 0. */
	enum zcvpn_transport_state (*state)(const struct transport *t, int *error);
	/* Fills values[0 .. class->n_counters) in the class's counter order. */
	void (*read_counters)(const struct transport *t, uint64_t *values);
	/* Says goodbye to the peer; the engine calls it once, when stopping.  Optional. */
	void (*close)(struct transport *t);
	/*
	 * Optional: new keys on a running transport (rk's section for this protocol; NULL:
	 * the transport's own way, a new handshake).  0, or -errno with a message.
	 */
	int (*rekey)(struct transport *t, const struct zcvpn_rekey *rk, char *errbuf,
		     size_t errlen);
	/*
	 * Optional, all three or none: the host carries a byte stream for the transport
	 * (PPP over TLS).  stream_open: it has one now (the transport starts using it at its
	 * next run_timers); stream_input: bytes the host read from it (borrowed);
	 * stream_send: one inner packet (borrowed) over the stream while the datagram path
	 * is down: the engine's fallback, 0 or -errno.
	 */
	void (*stream_open)(struct transport *t);
	void (*stream_input)(struct transport *t, const uint8_t *buf, size_t len);
	int (*stream_send)(struct transport *t, const uint8_t *pkt, size_t len);
	void (*free)(struct transport *t);
};

/* Embedded in each transport's own struct; the ops get it back with container_of. */
struct transport {
	const struct transport_ops *ops;
	const struct transport_class *cls;
	struct transport_host *host;
	uint32_t max_head;	/* worst-case bytes before the inner packet */
	uint32_t max_tail;	/* worst-case bytes after it, in place */
	/*
	 * Receive: the most a datagram may carry after the inner packet, when that is more
	 * than max_tail (0: max_tail).  A framing that grows a packet on send (HDLC) and so
	 * encapsulates out of place still receives the grown datagram into a record, and
	 * shrinks it there.
	 */
	uint32_t max_rx_tail;
	/*
	 * Receive: the fewest bytes an authenticated datagram carries besides its inner
	 * packet (header, IV, trailer, tag).  With UDP GRO the engine carves each inner
	 * packet's record in place, its size word in the bytes between two packets, so it
	 * only turns GRO on when this leaves room.  0: unknown (no GRO).
	 */
	uint32_t rx_min_overhead;
	uint32_t max_spare;	/* out-of-place encap: the largest datagram; 0: never */
};

/* What every transport learns from the engine's part of the configuration. */
struct transport_params {
	uint32_t mtu;			/* the largest inner packet */
	bool has_local, has_remote;	/* cfg.local / cfg.remote (or a host socket) given */
	struct transport_host *host;	/* borrowed for the transport's life */
};

struct transport_class {
	enum zcvpn_protocol protocol;
	const char *name;		/* "esp", "anyconnect": events and counter groups */
	size_t config_offset;		/* its section of struct zcvpn_config */
	/*
	 * Checks its config section (borrowed for the call) and creates the transport.
	 * 0, or -errno with a message naming the problem in errbuf.
	 */
	int (*create)(struct transport **out, const void *config,
		      const struct transport_params *params, char *errbuf, size_t errlen);
	/* Optional: puts the defaults into its (zeroed) config section. */
	void (*config_init)(void *config);
	const struct transport_counter *counters;
	unsigned int n_counters;
};

/* The class for a protocol id, or NULL. */
const struct transport_class *transport_class_find(enum zcvpn_protocol protocol);

/* Every class's defaults into its section of cfg (for zcvpn_config_init). */
void transport_classes_config_init(struct zcvpn_config *cfg);

#endif /* ZCVPN_PROTO_TRANSPORT_H */
