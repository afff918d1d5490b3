/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helpers over the public API only (src/zcvpn.h), for the suites that use libzcvpn
 * as an embedding client would: the clock, the core stats, named counters.
 */
#ifndef ZCVPN_TESTS_API_HELPERS_H
#define ZCVPN_TESTS_API_HELPERS_H

#include <check.h>
#include <string.h>
#include <time.h>

#include "src/zcvpn.h"

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The core counters, with the size set as a client built against this header sets it. */
static inline void get_stats(struct zcvpn_engine *e, struct zcvpn_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	ck_assert_int_eq(zcvpn_engine_get_stats(e, st), 0);
	ck_assert_uint_eq(st->size, sizeof(*st));
}

/* A named counter (the transport's, or a core one); the test fails if there is none. */
static inline uint64_t counter(struct zcvpn_engine *e, const char *name)
{
	uint64_t v = 0;

	ck_assert_msg(zcvpn_engine_counter_value(e, name, &v) == 0, "no counter '%s'", name);
	return v;
}

static inline bool transport_up(const struct zcvpn_stats *st)
{
	return st->transport_state == ZCVPN_TRANSPORT_UP;
}

#endif /* ZCVPN_TESTS_API_HELPERS_H */
