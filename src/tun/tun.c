/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend-independent part of a tun: the thread's lifecycle, the stop signal, the
 * rx side's sleep (the ring's split wait protocol next to the backend's own fd) and
 * drain loops, and the counter snapshot.
 */
#include "config.h"

#include "src/tun/tun-internal.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ring/ring.h"
#include "src/util/clock.h"

enum tun_limits {
	/* tun_stop() drains what is published; a producer that never stops cannot hold it. */
	STOP_DRAIN_MS = 1000,
	STOP_DRAIN_BATCH = 256,
	/* Without an eventfd on the rx ring a sleeper must look at it on its own. */
	NO_FD_TICK_NS = 1000000,
};

int tun_init(struct tun *tun, const struct tun_ops *ops, struct ring *tx, struct ring *rx)
{
	/* ops first: from here on tun_free() can undo a half-built backend. */
	tun->ops = ops;
	tun->tx = tx;
	tun->rx = rx;
	tun->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return tun->stop_fd < 0 ? -errno : 0;
}

void tun_set_report(struct tun *tun, tun_report_fn fn, void *ctx)
{
	tun->report = fn;
	tun->report_ctx = ctx;
}

static void report(struct tun *tun, int err, const char *what)
{
	char msg[200];

	if (!tun->report)
		return;
	snprintf(msg, sizeof(msg), "tun %s%s%s: %s%s%s%s", tun->ops->kind,
		 tun->name[0] ? " " : "", tun->name, what, err ? " (" : "",
		 err ? strerror(-err) : "", err ? ")" : "");
	tun->report(tun->report_ctx, err, msg);
}

int tun_fail(struct tun *tun, const char *what, int err)
{
	report(tun, err, what);
	return err;
}

void tun_warn(struct tun *tun, const char *what)
{
	report(tun, 0, what);
}


/* Hands recs[0..n) to the backend, one by one or as a batch. */
static void deliver(struct tun *tun, const struct ring_rec *recs, unsigned int n)
{
	if (tun->ops->deliver_batch) {
		tun->ops->deliver_batch(tun, recs, n);
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		tun->ops->deliver(tun, recs[i].payload, recs[i].size);
}

int tun_drain_rx(struct tun *tun, unsigned int max)
{
	struct ring_rec recs[TUN_DRAIN_CHUNK];
	unsigned int n = 0, got, i;
	int ret = 0;

	while (n < max && !ret) {
		for (got = 0; got < TUN_DRAIN_CHUNK && n + got < max; got++) {
			ret = ring_peek(tun->rx, &recs[got]);
			if (ret)
				break;
		}
		if (got)
			deliver(tun, recs, got);
		for (i = 0; i < got; i++)
			if (ring_release(tun->rx, &recs[i]))
				return -EBADMSG;
		n += got;
	}
	/* Anything but "empty" means the ring cannot be trusted any more. */
	if (ret && ret != -EAGAIN)
		return -EBADMSG;
	/* Released space is only the producer's once the head is stored. */
	if (n && ring_consumer_flush(tun->rx))
		return -EBADMSG;
	return (int)n;
}

int tun_wait(struct tun *tun, int fd, const struct timespec *timeout)
{
	static const struct timespec tick = { 0, NO_FD_TICK_NS };
	struct pollfd pfd[3] = {
		{ .fd = tun->stop_fd, .events = POLLIN },
		{ .fd = ring_event_fd(tun->rx), .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	const struct timespec *limit = timeout;
	int ret = 0;

	if (ring_wait_prepare(tun->rx))
		return fd >= 0 ? TUN_WAIT_FD_MAYBE : 0;
	/* A poisoned ring shows up at the next peek; nothing to do about it here. */
	ring_consumer_flush(tun->rx);
	if (pfd[1].fd < 0 && (!timeout || timeout->tv_sec || timeout->tv_nsec > tick.tv_nsec))
		limit = &tick;
	tun_count(&tun->c.wakeups, 1);
	if (!tun_stopping(tun) && ppoll(pfd, fd >= 0 ? 3 : 2, limit, NULL) > 0) {
		if (pfd[2].revents & (POLLERR | POLLHUP | POLLNVAL))
			ret = -EIO;
		else if (pfd[2].revents & POLLIN)
			ret = TUN_WAIT_FD_MAYBE;
	}
	ring_wait_finish(tun->rx);
	return ret;
}

/* Honours tun_stop()'s promise: what was published before it is delivered. */
static int drain_on_stop(struct tun *tun)
{
	uint64_t deadline = now_ns() + STOP_DRAIN_MS * (uint64_t)NSEC_PER_MSEC;
	int n;

	do {
		n = tun_drain_rx(tun, STOP_DRAIN_BATCH);
		if (n < 0)
			return tun_fail(tun, "rx ring is corrupt; stopped", n);
	} while (n && now_ns() < deadline);
	if (n)
		tun_warn(tun, "rx ring still busy after the stop's drain time; stopped");
	return 0;
}

static void *tun_thread(void *arg)
{
	struct tun *tun = arg;
	int ret;

	pthread_setname_np(pthread_self(), "zcvpn-tun");
	ret = tun->ops->run(tun);

	if (!ret)
		ret = drain_on_stop(tun);
	atomic_store_explicit(&tun->c.error, ret, memory_order_release);
	return NULL;
}

int tun_start(struct tun *tun)
{
	uint64_t v;
	int ret;

	if (tun->running)
		return -EALREADY;
	/* A previous tun_stop() left the eventfd readable. */
	if (read(tun->stop_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: never stopped before. */
	}
	atomic_store(&tun->stopping, false);
	atomic_store(&tun->c.error, 0);
	ret = -pthread_create(&tun->thread, NULL, tun_thread, tun);
	if (!ret)
		tun->running = true;
	return ret;
}

void tun_stop(struct tun *tun)
{
	uint64_t one = 1;

	if (!tun || !tun->running)
		return;
	atomic_store(&tun->stopping, true);
	/* The flag is set first, so a thread that misses this write sees the flag. */
	if (write(tun->stop_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the thread is being woken anyway. */
	}
	pthread_join(tun->thread, NULL);
	tun->running = false;
}

const char *tun_name(const struct tun *tun)
{
	return tun->name;
}

static uint64_t load(const _Atomic uint64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

void tun_get_stats(const struct tun *tun, struct tun_stats *st)
{
	const struct tun_counters *c = &tun->c;

	st->tx_packets = load(&c->tx_packets);
	st->tx_bytes = load(&c->tx_bytes);
	st->tx_ring_full = load(&c->tx_ring_full);
	st->tx_errors = load(&c->tx_errors);
	st->tx_segmented = load(&c->tx_segmented);
	st->tx_copied_bytes = load(&c->tx_copied_bytes);
	st->rx_packets = load(&c->rx_packets);
	st->rx_bytes = load(&c->rx_bytes);
	st->rx_errors = load(&c->rx_errors);
	st->rx_writes = load(&c->rx_writes);
	st->rx_coalesced = load(&c->rx_coalesced);
	st->wakeups = load(&c->wakeups);
	st->sink_good = load(&c->sink_good);
	st->sink_corrupt = load(&c->sink_corrupt);
	st->sink_lost = load(&c->sink_lost);
	st->sink_reordered = load(&c->sink_reordered);
	st->sink_duplicate = load(&c->sink_duplicate);
	/* Acquire: a caller that sees "done" may rely on the tx ring holding every packet. */
	st->generator_done = atomic_load_explicit(&c->generator_done, memory_order_acquire);
	st->error = atomic_load_explicit(&c->error, memory_order_acquire);
}

void tun_free(struct tun *tun)
{
	if (!tun)
		return;
	tun_stop(tun);
	if (tun->stop_fd >= 0)
		close(tun->stop_fd);
	tun->ops->destroy(tun);
}
