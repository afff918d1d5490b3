/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interrupt moderation, as a NIC does it (ethtool's adaptive rx-usecs), for a user-space
 * data path.  Under load each wakeup would otherwise find a datagram or two: every one
 * then pays for a poll, a recvmmsg, a ring wakeup of the tun thread and a tun write of
 * its own, and the tun writes cannot coalesce.  Waiting a little before looking again
 * lets the socket, the tx ring and the tun queue fill, so each wakeup moves a batch.
 *
 * Adaptive: the rate is measured over windows of MODERATION_WINDOW_NS, and the wait is
 * only asked for while that rate would bring at least two packets per wait.  Light and
 * interactive traffic (ping, a shell) never waits.  And the wait is no longer than a
 * batch takes to gather at that rate: beyond that the threads would only sit idle with
 * work queued (at 3 Gbit/s a fixed 500 us left a quarter of the machine idle and cost
 * a third of the throughput), and when batches fill by themselves there is no wait.
 */
#include "config.h"

#include "src/engine.h"

#include <poll.h>
#include <stdatomic.h>
#include <time.h>

enum {
	MODERATION_WINDOW_NS = 1000000,
	PACKETS_PER_WAIT = 2,
	MODERATION_MIN_US = 20,		/* shorter waits are not worth a ppoll */
	MODERATION_BATCH = 32,		/* packets a wait gathers, without a batch setting */
};

/* The wait for packets moved in elapsed ns: 0, or MIN_US up to the configured one. */
static unsigned int wait_for_rate(const struct zcvpn_engine *e, uint64_t packets,
				  uint64_t elapsed)
{
	uint64_t batch = e->batch ? e->batch : MODERATION_BATCH;
	uint64_t fill_us;

	/* packets / elapsed >= PACKETS_PER_WAIT / wait, without dividing. */
	if (!e->moderation_us || packets * e->moderation_us * 1000u < PACKETS_PER_WAIT * elapsed)
		return 0;
	fill_us = batch * elapsed / packets / 1000u;
	if (fill_us >= e->moderation_us)
		return e->moderation_us;
	return fill_us < MODERATION_MIN_US ? 0 : (unsigned int)fill_us;
}

void engine_moderation_account(struct zcvpn_engine *e, unsigned int moved, uint64_t now)
{
	uint64_t elapsed = now - e->mod_window_start_ns;
	unsigned int wait;

	e->mod_window_packets += moved;
	if (elapsed < MODERATION_WINDOW_NS)
		return;
	wait = wait_for_rate(e, e->mod_window_packets, elapsed);
	atomic_store_explicit(&e->moderation_wait_us, wait, memory_order_relaxed);
	/* What the engine decided is a counter, so tests and users see why it waited. */
	if (wait)
		e->stats.moderated_windows++;
	e->mod_window_start_ns = now;
	e->mod_window_packets = 0;
}

ZCVPN_EXPORT unsigned int zcvpn_engine_moderation_us(const struct zcvpn_engine *e)
{
	return atomic_load_explicit(&e->moderation_wait_us, memory_order_relaxed);
}

void engine_moderation_wait(struct zcvpn_engine *e)
{
	unsigned int us = zcvpn_engine_moderation_us(e);
	struct timespec ts = { 0, (long)us * 1000 };
	struct pollfd stop = { .fd = e->stop_fd, .events = POLLIN };

	/* A ppoll on the stop eventfd, not a nanosleep: zcvpn_engine_stop() need not wait. */
	if (us) {
		e->stats.moderation_waits++;
		ppoll(&stop, 1, &ts, NULL);
	}
}
