/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What tun.c shares with the backends (tun-linux.c, tun-mem.c); not for other modules.
 * tun.c owns the thread, the stop signal, the counters and the rx side's sleep and drain
 * loops; a backend supplies its thread body and what to do with one rx packet.
 */
#ifndef ZCVPN_SRC_TUN_INTERNAL_H
#define ZCVPN_SRC_TUN_INTERNAL_H

#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ring/ring.h"
#include "src/tun/tun.h"
#include "src/util/errbuf.h"

enum {
	TUN_DRAIN_CHUNK = 64,	/* rx records peeked before they are delivered and released */
};

struct tun_ops {
	const char *kind;	/* "linux", "mem": for messages */
	/*
	 * The thread body: runs until tun_stopping() and returns 0, or returns -errno after
	 * logging why it gave up.  tun.c drains the rx ring after a 0 return.
	 */
	int (*run)(struct tun *tun);
	/* Hands one rx record's packet to the OS (or the sink).  Counts what it does. */
	void (*deliver)(struct tun *tun, const uint8_t *pkt, uint32_t len);
	/*
	 * Optional, used instead of deliver when set: hands n (1..TUN_DRAIN_CHUNK) rx
	 * records to the OS at once, so the backend can coalesce them.  The records are the
	 * backend's until this returns: it may rewrite their bytes, not keep them.
	 */
	void (*deliver_batch)(struct tun *tun, const struct ring_rec *recs, unsigned int n);
	/* Frees the backend's resources and the struct that embeds struct tun. */
	void (*destroy)(struct tun *tun);
};

/*
 * Counters.  Each has a single writer (the backend thread) and readers on any thread, so
 * relaxed atomics suffice: a snapshot needs no cross-counter consistency.
 */
struct tun_counters {
	_Atomic uint64_t tx_packets, tx_bytes, tx_ring_full, tx_errors;
	_Atomic uint64_t tx_segmented, tx_copied_bytes;
	_Atomic uint64_t rx_packets, rx_bytes, rx_errors;
	_Atomic uint64_t rx_writes, rx_coalesced;
	_Atomic uint64_t wakeups;
	_Atomic uint64_t sink_good, sink_corrupt, sink_lost, sink_reordered, sink_duplicate;
	_Atomic bool generator_done;
	_Atomic int error;
};

/* Embedded first in each backend's struct. */
struct tun {
	const struct tun_ops *ops;
	struct ring *tx, *rx;		/* borrowed */
	int stop_fd;			/* eventfd: readable once tun_stop() is called */
	_Atomic bool stopping;
	bool running;			/* a thread was started and not yet joined */
	pthread_t thread;
	struct tun_counters c;
	char name[IFNAMSIZ];		/* linux: the interface; "" otherwise */
	tun_report_fn report;		/* run-time trouble (tun_fail, tun_warn) */
	void *report_ctx;
};

/* Single-writer bump: a relaxed load and store, no locked instruction on the fast path. */
static inline void tun_count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline bool tun_stopping(struct tun *tun)
{
	return atomic_load_explicit(&tun->stopping, memory_order_relaxed);
}

/* tun.c */

/* Fills in the generic part (the backend has zeroed the struct).  Returns 0 or -errno. */
int tun_init(struct tun *tun, const struct tun_ops *ops, struct ring *tx, struct ring *rx);

/* Reports "tun <kind> <name>: <what> (<strerror(-err)>)"; returns err. */
int tun_fail(struct tun *tun, const char *what, int err);
/* Reports a warning: the backend carries on. */
void tun_warn(struct tun *tun, const char *what);

/*
 * Delivers up to max published rx records through ops->deliver, releases them and hands
 * the freed space back to the producer.  Returns the number delivered, or -EBADMSG when
 * the rx ring is poisoned.
 */
int tun_drain_rx(struct tun *tun, unsigned int max);

/*
 * Sleeps until the rx ring has records (split wait protocol, so no wakeup is lost), fd
 * is readable (-1: no fd), tun_stop() is called, or timeout passes (NULL: no limit).
 * Returns TUN_WAIT_FD_MAYBE when fd may be readable (it was, or the wait was skipped
 * because records were already there), 0 when it is not, or -EIO when fd reports an
 * error or hangup.
 */
#define TUN_WAIT_FD_MAYBE 1
int tun_wait(struct tun *tun, int fd, const struct timespec *timeout);

#endif /* ZCVPN_SRC_TUN_INTERNAL_H */
