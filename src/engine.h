/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's internal state, shared by engine.c (lifecycle, loop, timers, stats),
 * engine-rx.c (network -> rx ring) and engine-tx.c (tx ring -> network).
 */
#ifndef ZCVPN_SRC_ENGINE_H
#define ZCVPN_SRC_ENGINE_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "proto/transport.h"
#include "ring/ring.h"
#include "src/zcvpn.h"

struct esp;
struct tun;

enum engine_limits {
	ENGINE_MAX_BATCH = 256,
	ENGINE_CTRL_BUF = 256,		/* room for a probe with any transport's overhead */
};

/*
 * Consecutive tx records sent as one message: with UDP GSO (UDP_SEGMENT) the kernel cuts
 * it into datagrams of the first record's size (the last may be shorter), so a run of
 * full-size packets crosses the IP stack once instead of once per datagram.
 */
struct tx_group {
	uint16_t first, count;		/* records txb.recs[first, first + count) */
};

struct engine_gso {
	bool enabled;			/* UDP_SEGMENT works on this socket and is wanted */
	unsigned ngroups;
	struct tx_group groups[ENGINE_MAX_BATCH];
	struct mmsghdr msgs[ENGINE_MAX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cmsg[ENGINE_MAX_BATCH];
};

/* Network -> rx ring: one message per reserved record; addresses until the peer is known. */
struct engine_rx_batch {
	struct mmsghdr msgs[ENGINE_MAX_BATCH];
	struct iovec iov[ENGINE_MAX_BATCH];
	struct ring_rec recs[ENGINE_MAX_BATCH];
	struct sockaddr_storage addrs[ENGINE_MAX_BATCH];
};

/* Tx ring -> network: record i's datagram is iov[i]; engine_gso groups them into messages. */
struct engine_tx_batch {
	struct iovec iov[ENGINE_MAX_BATCH];
	struct ring_rec recs[ENGINE_MAX_BATCH];
};

struct zcvpn_engine {
	int udp_fd;
	int epoll_fd;
	int timer_fd;
	uint64_t timer_period_ns, timer_due_ns;	/* its next expiry, on engine_now_ns() */
	int stop_fd;
	struct ring *tx;		/* tun -> network: the engine consumes */
	struct ring *rx;		/* network -> tun: the engine produces */
	struct tun *tun;
	struct transport transport;
	struct esp *esp;		/* the transport's state, for rekeying (owned by it) */
	unsigned replay_window;
	/*
	 * Held by process() for its whole run and by a rekey, so SAs never change under a
	 * packet in flight.  Uncontended on the data path: only a rekey competes for it.
	 */
	pthread_mutex_t path_lock;
	uint32_t mtu;
	unsigned batch;
	unsigned keepalive_ms;
	bool answer_probes;

	bool connected;			/* udp_fd connected to the peer */
	bool peer_configured;		/* the peer came from the config (a client) */
	/* The configured local address as bound (the kernel's port if it was 0); len 0: none */
	struct sockaddr_storage bound;
	socklen_t bound_len;
	bool local_port_fixed;		/* the configuration named the local port */
	int sock_buf;			/* SO_RCVBUF/SO_SNDBUF of udp_fd */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* Server role, before the peer is known: where the last datagram came from. */
	struct sockaddr_storage candidate;
	socklen_t candidate_len;
	uint32_t tick_ms;		/* transport timer period; 0: no transport timer */
	bool transport_down;		/* the transport's tick said it is down (failed, or
					 * redialling) */
	zcvpn_fallback_fn fallback;	/* where tun packets go once the transport is down */
	void *fallback_ctx;
	bool transport_closed;		/* transport->close ran */

	struct engine_rx_batch rxb;
	struct engine_tx_batch txb;
	struct engine_gso gso;		/* how txb's records are grouped into messages */
	unsigned tx_pending;		/* messages (groups) encrypted but not yet sent ... */
	unsigned tx_pending_first;	/* ... starting at this group */
	bool want_pollout;
	uint64_t last_tx_ns;

	uint8_t ctrl_buf[ENGINE_CTRL_BUF];

	struct zcvpn_stats stats;	/* engine thread only */
	pthread_mutex_t snapshot_lock;
	struct zcvpn_stats snapshot;	/* under snapshot_lock, for other threads */

	/* engine-moderation.c */
	unsigned int moderation_us;	/* the configured wait; 0: never */
	_Atomic bool moderating;	/* the last window's rate asks for it; any thread
					 * may ask (zcvpn_engine_moderation_us) */
	uint64_t mod_window_start_ns;
	uint64_t mod_window_packets;
	pthread_t thread;
	bool thread_running;
	bool tun_running;
};

/*
 * engine-rx.c: receives one batch; returns datagrams handled (0: none), or -errno.
 * *drained says the socket had nothing more to give just now.
 */
int engine_rx_batch(struct zcvpn_engine *e, bool *drained);

/* engine-tx.c: sends one batch of tx records; returns records handled, or -errno. */
int engine_tx_batch(struct zcvpn_engine *e);
/* Builds and sends a probe/keepalive from the engine's control buffer. */
int engine_send_probe(struct zcvpn_engine *e);

uint64_t engine_now_ns(void);

/* engine-moderation.c: counts packets moved by one process() call at time now. */
void engine_moderation_account(struct zcvpn_engine *e, unsigned int moved, uint64_t now);
/* The engine thread's side of it: sleeps zcvpn_engine_moderation_us(), or until a stop. */
void engine_moderation_wait(const struct zcvpn_engine *e);

/* engine.c: writes a message into errbuf (if any) and returns err. */
int engine_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* engine-tx.c: hands tun packets to the host's fallback; returns how many. */
int engine_tx_fallback(struct zcvpn_engine *e);

/* engine-socket.c: opens udp_fd from cfg (bound, and connected if it names a peer). */
int engine_open_socket(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		       size_t errlen);
/*
 * engine-socket.c: the transport starts a new session (a DTLS redial).  A client sends
 * from a new socket, so from a new source port (unless the configuration fixed it):
 * ocserv hands a ClientHello from a new port to the session it names, while its
 * worker's socket, bound to the old port, drops a new handshake.  A server forgets its
 * peer and listens to anyone again.
 * 0 or -errno (the old socket is kept then).
 */
int engine_new_path(struct zcvpn_engine *e);

/* engine-anyconnect.c: the AnyConnect DTLS transport from cfg->anyconnect. */
int engine_make_anyconnect(struct zcvpn_engine *e, const struct zcvpn_config *cfg,
			   char *errbuf, size_t errlen);

/* Whether the transport may encapsulate now (a DTLS handshake may still run). */
static inline bool engine_transport_ready(const struct zcvpn_engine *e)
{
	return !e->transport.ops->ready || e->transport.ops->ready(e->transport.ctx);
}

/*
 * Whether tun packets go to the host's fallback: the transport went down (failed, or
 * redialling) and is not up again yet.  A redial can finish between two ticks, on a
 * received datagram: readiness says so at once, transport_down only at the next tick.
 */
static inline bool engine_use_fallback(const struct zcvpn_engine *e)
{
	return e->fallback && e->transport_down && !engine_transport_ready(e);
}

#endif /* ZCVPN_SRC_ENGINE_H */
