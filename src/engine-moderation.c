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
 * interactive traffic (ping, a shell) never waits.
 */
#include "config.h"

#include "src/engine.h"

#include <poll.h>
#include <stdatomic.h>
#include <time.h>

enum {
	MODERATION_WINDOW_NS = 1000000,
	PACKETS_PER_WAIT = 2,
};

void engine_moderation_account(struct zcvpn_engine *e, unsigned int moved, uint64_t now)
{
	uint64_t elapsed = now - e->mod_window_start_ns;
	bool on;

	e->mod_window_packets += moved;
	if (elapsed < MODERATION_WINDOW_NS)
		return;
	/* packets / elapsed >= PACKETS_PER_WAIT / wait, without dividing. */
	on = e->moderation_us &&
	     e->mod_window_packets * e->moderation_us * 1000u >= PACKETS_PER_WAIT * elapsed;
	atomic_store_explicit(&e->moderating, on, memory_order_relaxed);
	/* What the engine decided is a counter, so tests and users see why it waited. */
	if (on)
		e->stats.moderated_windows++;
	e->mod_window_start_ns = now;
	e->mod_window_packets = 0;
}

ZCVPN_EXPORT unsigned int zcvpn_engine_moderation_us(const struct zcvpn_engine *e)
{
	return atomic_load_explicit(&e->moderating, memory_order_relaxed) ? e->moderation_us : 0;
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
