/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's one clock: CLOCK_MONOTONIC in nanoseconds.  Every timer and deadline in
 * the engine and its transports is on it, so they compare without conversions (the
 * engine's timerfd runs on the same clock).  Transports read it through their host
 * (proto/transport.h), so tests can hand them a fake one.
 */
#ifndef ZCVPN_SRC_UTIL_CLOCK_H
#define ZCVPN_SRC_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

enum {
	NSEC_PER_USEC = 1000,
	NSEC_PER_MSEC = 1000000,
};

#define NSEC_PER_SEC 1000000000ull

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

#endif /* ZCVPN_SRC_UTIL_CLOCK_H */
