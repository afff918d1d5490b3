/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One timer for everything the engine and its transport have to do at a given time: a
 * one-shot timerfd armed at the earliest deadline, so an idle engine sleeps until then
 * (or forever) instead of ticking.  Deadlines that move later under traffic (a keepalive
 * after the last send) do not re-arm it: the earlier expiry wakes us once, the transport
 * says what is really due, and the timer is armed again then.  That keeps a syscall per
 * round off the data path.
 */
#include "config.h"

#include "src/engine.h"

#include <sys/timerfd.h>

#include "src/util/clock.h"

enum {
	/* A transport just run has nothing due: sooner than this is a bug, not a need. */
	MIN_TIMER_NS = NSEC_PER_MSEC,
};

/* Arms the timer at deadline (an absolute CLOCK_MONOTONIC time), or disarms it. */
static void arm(struct zcvpn_engine *e, uint64_t deadline)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (deadline != TRANSPORT_NO_DEADLINE) {
		its.it_value.tv_sec = (time_t)(deadline / NSEC_PER_SEC);
		its.it_value.tv_nsec = (long)(deadline % NSEC_PER_SEC);
	}
	/* Setting it also clears an expiry not read yet, so the fd stops being readable. */
	if (timerfd_settime(e->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		e->timer_armed_ns = deadline;
}

void engine_run_timers(struct zcvpn_engine *e, uint64_t now)
{
	bool expired = now >= e->timer_armed_ns;
	uint64_t next, report;

	if (expired)
		e->stats.timer_wakeups++;
	next = e->transport->ops->run_timers(e->transport, now);
	report = engine_drop_report_due(e);
	if (report < next)
		next = report;
	if (next != TRANSPORT_NO_DEADLINE && next < now + MIN_TIMER_NS)
		next = now + MIN_TIMER_NS;
	if (expired || next < e->timer_armed_ns)
		arm(e, next);
}
