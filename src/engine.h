/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's internal state, shared by engine.c (lifecycle and the loop),
 * engine-config.c (checks and defaults), engine-host.c (what a transport may ask of the
 * engine), engine-socket.c, engine-rx.c (network -> rx ring), engine-tx.c (tx ring ->
 * network), engine-timer.c, engine-stats.c and engine-moderation.c.  No protocol is
 * named here: the transport is reached through proto/transport.h only.
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
#include "src/util/errbuf.h"
#include "src/zcvpn.h"

struct tun;

enum engine_limits {
	ENGINE_MAX_BATCH = 256,
	ENGINE_MIN_MTU = 576,
	ENGINE_MAX_MTU = 9000,
	ENGINE_MAX_MODERATION_US = 1000,
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

/*
 * UDP GRO: each message may be a run of up to 64 segments (of at most 64 KiB in all)
 * the kernel received as one, so each needs a run of that size (engine-rx-run.c).
 */
enum {
	ENGINE_GRO_RUN_BYTES = 65536,
	ENGINE_GRO_RUNS = 8,		/* messages per recvmmsg with GRO, runs being long */
	ENGINE_GRO_RING_FACTOR = 4,	/* rx ring address space with GRO, x ring_size */
	ENGINE_GRO_ALIGN = 4,		/* the rx ring's record alignment with GRO */
	/*
	 * Bytes between two packets that always hold a carved record's size word: the
	 * word, the previous record's end rounded up, this one's word rounded down.
	 */
	ENGINE_GRO_MIN_OVERHEAD = 4 + 2 * (ENGINE_GRO_ALIGN - 1),
};

/* UDP GRO on the socket (engine-rx-run.c). */
struct engine_gro {
	bool wanted;		/* configured, and the transport leaves room for it */
	bool on;		/* udp_fd has it: any message may be a run */
	unsigned window_msgs;	/* messages received since the last look, */
	unsigned window_datagrams;	/* and the datagrams in them */
	unsigned runs_per_call;	/* messages per recvmmsg: 1, or ENGINE_GRO_RUNS */
};

/*
 * Network -> rx ring: one message per reserved record (or per run, with GRO);
 * addresses until the peer is known.
 */
struct engine_rx_batch {
	struct mmsghdr msgs[ENGINE_MAX_BATCH];
	struct iovec iov[ENGINE_MAX_BATCH];
	struct ring_rec recs[ENGINE_MAX_BATCH];
	struct ring_run runs[ENGINE_GRO_RUNS];
	struct sockaddr_storage addrs[ENGINE_MAX_BATCH];
	/* SO_RXQ_OVFL: the socket's drop count rides on each datagram; UDP_GRO: the size */
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg[ENGINE_MAX_BATCH];
};

/*
 * Tx ring -> network: record i's datagram is iov[i] (in the record, or in spare slot i
 * for a transport that encapsulates out of place); engine_gso groups them into messages.
 */
struct engine_tx_batch {
	struct iovec iov[ENGINE_MAX_BATCH];
	struct ring_rec recs[ENGINE_MAX_BATCH];
	uint8_t *spare;			/* batch slots of transport->max_spare bytes; NULL:
					 * the transport never needs them */
};

/* Where the rate-limited drop report stands (engine-stats.c). */
struct engine_drop_report {
	uint64_t *reported;		/* each transport counter as of the last report */
	uint64_t engine_reported[4];	/* rx_truncated, rx_ring_full, rx_socket_drops,
					 * rx_gro_unplaced */
	uint64_t reported_total;	/* all of them, as of the last report */
	uint64_t last_ns;		/* when the last report went out */
	bool pending;			/* drops counted since, not reported yet */
};

struct zcvpn_engine {
	int udp_fd;
	bool own_udp_fd;		/* the engine opened it (else the host's: never closed) */
	/*
	 * The socket a new path replaced, still open but unread until the next new path:
	 * the peer may send to it under the old session for a moment, and a closed port
	 * would answer with ICMP errors (ocserv ends a session on them).  -1: none.
	 */
	int parked_fd;
	bool own_parked_fd;
	int epoll_fd;
	int timer_fd;			/* one-shot, at the earliest deadline (engine-timer.c) */
	uint64_t timer_armed_ns;	/* its expiry; TRANSPORT_NO_DEADLINE: disarmed */
	int stop_fd;
	struct ring *tx;		/* tun -> network: the engine consumes */
	struct ring *rx;		/* network -> tun: the engine produces */
	struct tun *tun;
	struct transport *transport;
	struct transport_host host;	/* what the transport calls back (engine-host.c) */
	/*
	 * Held by process() for its whole run and by a rekey, so keys never change under a
	 * packet in flight.  Uncontended on the data path: only a rekey competes for it.
	 */
	pthread_mutex_t path_lock;
	uint32_t mtu;
	unsigned batch;
	struct engine_gro gro;

	bool connected;			/* udp_fd connected to the peer */
	bool peer_configured;		/* the peer came from the config (a client) */
	/* The configured local address as bound (the kernel's port if it was 0); len 0: none */
	struct sockaddr_storage bound;
	socklen_t bound_len;
	bool local_port_fixed;		/* the configuration named the local port, or the
					 * host handed in its socket: a redial keeps it */
	int sock_buf;			/* SO_RCVBUF/SO_SNDBUF of udp_fd */
	int (*protect_socket)(void *ctx, int fd);
	void *protect_ctx;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* Server role, before the peer is known: where the last datagram came from. */
	struct sockaddr_storage candidate;
	socklen_t candidate_len;
	uint64_t socket_drops_base;	/* SO_RXQ_OVFL of the sockets before a redial */
	uint32_t socket_drops;		/* ... and of this one */

	zcvpn_fallback_fn fallback;	/* where tun packets go while the transport is down */
	void *fallback_ctx;
	/* The host's stream for the transport (PPP over TLS); it is the fallback then. */
	zcvpn_stream_write_fn stream_write;
	void *stream_ctx;
	bool transport_closed;		/* transport->ops->close ran */

	zcvpn_event_fn event_fn;
	void *event_ctx;
	pthread_mutex_t event_lock;	/* events come from the engine's and the tun's thread */

	struct engine_rx_batch rxb;
	struct engine_tx_batch txb;
	struct engine_gso gso;		/* how txb's records are grouped into messages */
	unsigned tx_pending;		/* messages (groups) encrypted but not yet sent ... */
	unsigned tx_pending_first;	/* ... starting at this group */
	bool want_pollout;
	uint8_t drop_buf[1];		/* what an rx-ring-full drop is received into */

	struct zcvpn_stats stats;	/* engine thread only */
	uint64_t ring_samples;		/* engine_sample_rings(): wakeups sampled, */
	uint64_t tx_ring_sum, rx_ring_sum;	/* and the bytes queued, summed */
	uint64_t *tcounters;		/* the transport's counters (engine thread) */
	struct engine_drop_report drops;
	pthread_mutex_t snapshot_lock;
	struct zcvpn_stats snapshot;	/* under snapshot_lock, for other threads */
	uint64_t *tcounters_snapshot;	/* likewise */

	/* engine-moderation.c */
	unsigned int moderation_us;	/* the configured (longest) wait; 0: never */
	_Atomic unsigned int moderation_wait_us;	/* what the last window's rate asks
					 * for, 0: none; any thread may ask
					 * (zcvpn_engine_moderation_us) */
	uint64_t mod_window_start_ns;
	uint64_t mod_window_packets;
	pthread_t thread;
	bool thread_running;
	bool tun_running;
};

/* engine-config.c: checks the engine's part of cfg.  0, or -EINVAL with a message. */
int engine_check_config(const struct zcvpn_config *cfg, char *errbuf, size_t errlen);

/*
 * engine.c: zcvpn_engine_new with the transport class given rather than looked up by
 * cfg->protocol (the section cls->config_offset names is handed to it): for tests with
 * a transport of their own.
 */
int engine_new_with_class(struct zcvpn_engine **out, const struct zcvpn_config *cfg,
			  const struct transport_class *cls, char *errbuf, size_t errlen);

/* engine-host.c: the host ops, and the engine's own events (its, and the tun's). */
void engine_host_init(struct zcvpn_engine *e);
void engine_emit(struct zcvpn_engine *e, const struct zcvpn_event *ev);
/* engine-host.c: a LOG event from source ("engine", "tun") with a formatted message. */
void engine_log(struct zcvpn_engine *e, const char *source, enum zcvpn_log_level level,
		int err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Where the transport is; the ops are the truth, this only names the cases. */
static inline enum zcvpn_transport_state engine_transport_state(const struct zcvpn_engine *e)
{
	int error;

	return e->transport->ops->state(e->transport, &error);
}

/* Whether the transport may encapsulate now (a handshake may still run). */
static inline bool engine_transport_ready(const struct zcvpn_engine *e)
{
	return engine_transport_state(e) == ZCVPN_TRANSPORT_UP;
}

/*
 * Whether tun packets go to the host's fallback: the transport is down (failed,
 * redialling, closed) and the host gave one.  During a first handshake packets wait.
 */
/* A stream is attached and the transport carries data over it. */
static inline bool engine_has_stream(const struct zcvpn_engine *e)
{
	return e->stream_write && e->transport->ops->stream_send;
}

static inline bool engine_use_fallback(const struct zcvpn_engine *e)
{
	enum zcvpn_transport_state s;

	if (!e->fallback && !engine_has_stream(e))
		return false;
	s = engine_transport_state(e);
	return s == ZCVPN_TRANSPORT_DOWN || s == ZCVPN_TRANSPORT_CLOSED;
}

/*
 * engine-rx.c: receives one batch; returns datagrams handled (0: none), or -errno.
 * *drained says the socket had nothing more to give just now.
 */
int engine_rx_batch(struct zcvpn_engine *e, bool *drained);

/* engine-rx.c, for engine-rx-run.c: what every receive shape does. */
int engine_rx_drop_one(struct zcvpn_engine *e);
/* The UDP_GRO segment size the kernel put on a message; 0: one datagram. */
uint32_t engine_rx_segment_size(struct msghdr *h);
void engine_rx_note_socket_drops(struct zcvpn_engine *e, struct msghdr *h);
enum transport_verdict engine_rx_decap(struct zcvpn_engine *e, struct pkt *pkt,
				       struct mmsghdr *m, unsigned int i);
/* engine-rx-run.c: engine_rx_batch while GRO is on: each message into a carved run. */
int engine_rx_runs(struct zcvpn_engine *e, bool *drained);
/* engine-rx-run.c: a new socket: GRO on if wanted and the kernel has it (5.0+). */
void engine_gro_socket(struct zcvpn_engine *e, int fd);

/* engine-tx.c: sends one batch of tx records; returns records handled, or -errno. */
int engine_tx_batch(struct zcvpn_engine *e);
/* engine-tx.c: sends n datagrams for the transport (the host's send). */
int engine_send_datagrams(struct zcvpn_engine *e, const struct iovec *dgrams, unsigned int n);

/* engine-socket.c: udp_fd from cfg (the host's, or opened, bound, maybe connected). */
int engine_open_socket(struct zcvpn_engine *e, const struct zcvpn_config *cfg, char *errbuf,
		       size_t errlen);
/* engine-socket.c: the host's new_path (proto/transport.h says what it does). */
int engine_new_path(struct zcvpn_engine *e);
/*
 * engine-socket.c: the kernel's count of datagrams fd's full buffer dropped, now (not
 * only as of the last datagram received, which is when SO_RXQ_OVFL tells); seen if the
 * kernel cannot say.  Any thread.
 */
uint32_t engine_socket_drops(int fd, uint32_t seen);
/* engine-socket.c: closes udp_fd if the engine opened it. */
void engine_close_socket(struct zcvpn_engine *e);

/* engine-timer.c: runs the transport's timers and re-arms the timer fd. */
void engine_run_timers(struct zcvpn_engine *e, uint64_t now);

/* engine.c: one packet from outside the socket into the rx ring, path lock held. */
int engine_inject_locked(struct zcvpn_engine *e, const void *pkt, size_t len);

/* engine-stats.c: the snapshot other threads read, and the rate-limited drop report. */
int engine_stats_init(struct zcvpn_engine *e);
void engine_take_snapshot(struct zcvpn_engine *e, uint64_t now);
/* A wakeup: counted, with what the rings hold at that moment. */
void engine_sample_rings(struct zcvpn_engine *e);
/* The next time a pending drop report is due, or TRANSPORT_NO_DEADLINE. */
uint64_t engine_drop_report_due(const struct zcvpn_engine *e);
void engine_stats_free(struct zcvpn_engine *e);

/* engine-moderation.c: counts packets moved by one process() call at time now. */
void engine_moderation_account(struct zcvpn_engine *e, unsigned int moved, uint64_t now);
/* The engine thread's side of it: sleeps zcvpn_engine_moderation_us(), or until a stop. */
void engine_moderation_wait(struct zcvpn_engine *e);

#endif /* ZCVPN_SRC_ENGINE_H */
