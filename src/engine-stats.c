/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Counters: the core struct (struct zcvpn_stats, the same for every transport), the
 * transport's named counters, the snapshot other threads read, the enumeration of all of
 * them by name, and the rate-limited report of what was dropped.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/tun/tun.h"
#include "src/util/clock.h"
#include "src/util/macros.h"

enum {
	DROP_REPORT_INTERVAL_NS = 1000 * NSEC_PER_MSEC,	/* at most one report a second */
	DROP_REPORT_LEN = 256,
};

/* The core counters by name, in struct order (what zcvpn_engine_counter enumerates). */
static const struct core_counter {
	const char *group, *name, *help;
	size_t offset;
	unsigned int flags;
} core_counters[] = {
#define CORE(group, field, flags, help) \
	{ group, #field, help, offsetof(struct zcvpn_stats, field), flags }
	CORE("engine", tx_packets, 0, "inner packets sent"),
	CORE("engine", tx_bytes, 0, "inner bytes sent"),
	CORE("engine", rx_packets, 0, "inner packets received"),
	CORE("engine", rx_bytes, 0, "inner bytes received"),
	CORE("engine", copied_bytes, 0, "payload bytes copied in user space"),
	CORE("engine", send_calls, 0, "sendmmsg calls"),
	CORE("engine", recv_calls, 0, "recvmmsg calls"),
	CORE("engine", tx_gso_messages, 0, "UDP GSO messages of several datagrams"),
	CORE("engine", rx_gro_runs, 0, "UDP GRO messages of several datagrams"),
	CORE("engine", rx_gro_segments, 0, "datagrams in those GRO messages"),
	CORE("engine", rx_gro_moved, 0, "packets moved up a few bytes to be carved (copied)"),
	CORE("engine", rx_gro_unplaced, ZCVPN_COUNTER_DROP,
	     "dropped: no room to carve the packet's record"),
	CORE("engine", tx_errors, 0, "datagrams the socket refused"),
	CORE("engine", tx_encap_errors, 0, "packets the transport refused to send"),
	CORE("engine", rx_ring_full, ZCVPN_COUNTER_DROP, "dropped: the rx ring was full"),
	CORE("engine", rx_truncated, ZCVPN_COUNTER_DROP, "dropped: larger than a record"),
	CORE("engine", rx_socket_drops, ZCVPN_COUNTER_DROP,
	     "dropped by the kernel: socket buffer full"),
	CORE("engine", rx_invalid, 0, "dropped by the transport, all reasons"),
	CORE("engine", timer_wakeups, 0, "timer expiries handled"),
	CORE("engine", moderated_windows, 0, "rate windows that turned moderation on"),
	CORE("engine", fallback_tx_packets, 0, "packets sent through the host's fallback"),
	CORE("engine", fallback_rx_packets, 0, "packets received through the host's fallback"),
	CORE("engine", fallback_tx_bytes, 0, "bytes sent through the fallback (copied)"),
	CORE("engine", fallback_rx_bytes, 0, "bytes received through the fallback (copied)"),
	CORE("engine", fallback_tx_refused, 0,
	     "packets the fallback or stream refused (a full queue; in tx_errors too)"),
	CORE("engine", engine_wakeups, 0, "times the engine looked at the socket and rings"),
	CORE("engine", moderation_waits, 0, "times it then waited for more (moderation)"),
	CORE("engine", tx_ring_peak, 0, "most bytes in the tx ring when the engine woke"),
	CORE("engine", rx_ring_peak, 0, "most bytes in the rx ring when the engine woke"),
	CORE("engine", tx_ring_mean, 0, "mean bytes in the tx ring when the engine woke"),
	CORE("engine", rx_ring_mean, 0, "mean bytes in the rx ring when the engine woke"),
	CORE("tun", tun_tx_packets, 0, "packets read from the tun"),
	CORE("tun", tun_rx_packets, 0, "packets written to the tun"),
	CORE("tun", tun_tx_ring_full, 0, "tun packets dropped: the tx ring was full"),
	CORE("tun", tun_errors, 0, "tun read and write errors"),
	CORE("tun", tun_tx_segmented, 0, "packets cut from the tun's TSO packets"),
	CORE("tun", tun_rx_writes, 0, "tun writes"),
	CORE("tun", tun_rx_coalesced, 0, "packets that shared a tun write"),
	CORE("tun", tun_wakeups, 0, "times the tun thread slept and was woken"),
	CORE("tun", ring_skipped_non_ip, 0, "tx records skipped: not IPv4 or IPv6"),
	CORE("sink", sink_good, 0, "generated packets that arrived intact"),
	CORE("sink", sink_corrupt, 0, "packets that arrived damaged"),
	CORE("sink", sink_lost, 0, "gaps in the sequence"),
	CORE("sink", sink_reordered, 0, "packets out of order"),
	CORE("sink", sink_duplicate, 0, "packets seen twice"),
#undef CORE
};

/* The engine's own drop reasons, reported with the transport's. */
static const struct {
	const char *name;
	size_t offset;
} engine_drops[] = {
	{ "rx_truncated", offsetof(struct zcvpn_stats, rx_truncated) },
	{ "rx_ring_full", offsetof(struct zcvpn_stats, rx_ring_full) },
	{ "rx_socket_drops", offsetof(struct zcvpn_stats, rx_socket_drops) },
	{ "rx_gro_unplaced", offsetof(struct zcvpn_stats, rx_gro_unplaced) },
};

_Static_assert(ARRAY_SIZE(engine_drops) ==
	       sizeof(((struct engine_drop_report *)0)->engine_reported) / sizeof(uint64_t),
	       "one reported value per engine drop reason");

static uint64_t stat_at(const struct zcvpn_stats *st, size_t offset)
{
	uint64_t v;

	memcpy(&v, (const char *)st + offset, sizeof(v));
	return v;
}

static unsigned int n_transport_counters(const struct zcvpn_engine *e)
{
	return e->transport->cls->n_counters;
}

int engine_stats_init(struct zcvpn_engine *e)
{
	unsigned int n = n_transport_counters(e);

	e->stats.size = sizeof(e->stats);
	/* One extra so that a transport without counters still gets real pointers. */
	e->tcounters = calloc(n + 1, sizeof(uint64_t));
	e->tcounters_snapshot = calloc(n + 1, sizeof(uint64_t));
	e->drops.reported = calloc(n + 1, sizeof(uint64_t));
	return e->tcounters && e->tcounters_snapshot && e->drops.reported ? 0 : -ENOMEM;
}

void engine_stats_free(struct zcvpn_engine *e)
{
	free(e->tcounters);
	free(e->tcounters_snapshot);
	free(e->drops.reported);
}

/* The transport's drops and copies folded into the core counters. */
static void fold_transport(struct zcvpn_engine *e, struct zcvpn_stats *st)
{
	const struct transport_counter *c = e->transport->cls->counters;

	st->transport_state = e->transport->ops->state(e->transport, &st->transport_error);
	st->rx_invalid = 0;
	for (unsigned int i = 0; i < n_transport_counters(e); i++) {
		if (c[i].flags & TRANSPORT_COUNTER_DROP)
			st->rx_invalid += e->tcounters[i];
		if (c[i].flags & TRANSPORT_COUNTER_COPY)
			st->copied_bytes += e->tcounters[i];
	}
}

/* Every datagram dropped so far, for any reason: the transport's and the engine's. */
static uint64_t all_drops(const struct zcvpn_stats *st)
{
	uint64_t total = st->rx_invalid;

	for (size_t i = 0; i < ARRAY_SIZE(engine_drops); i++)
		total += stat_at(st, engine_drops[i].offset);
	return total;
}

static void append_reason(char *buf, size_t len, size_t *used, const char *name,
			  uint64_t delta)
{
	if (delta && *used < len)
		*used += (size_t)snprintf(buf + *used, len - *used, " %s %" PRIu64, name, delta);
}

/* " name N" for each reason that moved since the last report. */
static void describe_drops(struct zcvpn_engine *e, const struct zcvpn_stats *st, char *buf,
			   size_t len)
{
	const struct transport_counter *c = e->transport->cls->counters;
	size_t used = 0;

	for (size_t i = 0; i < ARRAY_SIZE(engine_drops); i++)
		append_reason(buf, len, &used, engine_drops[i].name,
			      stat_at(st, engine_drops[i].offset) - e->drops.engine_reported[i]);
	for (unsigned int i = 0; i < n_transport_counters(e); i++)
		if (c[i].flags & TRANSPORT_COUNTER_DROP)
			append_reason(buf, len, &used, c[i].name,
				      e->tcounters[i] - e->drops.reported[i]);
}

static void mark_reported(struct zcvpn_engine *e, const struct zcvpn_stats *st, uint64_t now)
{
	for (size_t i = 0; i < ARRAY_SIZE(engine_drops); i++)
		e->drops.engine_reported[i] = stat_at(st, engine_drops[i].offset);
	memcpy(e->drops.reported, e->tcounters, n_transport_counters(e) * sizeof(uint64_t));
	e->drops.reported_total = all_drops(st);
	e->drops.last_ns = now;
	e->drops.pending = false;
}

/*
 * Hostile or broken traffic must not turn into a log line per datagram: what was dropped
 * is summed up at most once a second, by reason.
 */
static void report_drops(struct zcvpn_engine *e, const struct zcvpn_stats *st, uint64_t now)
{
	char reasons[DROP_REPORT_LEN] = "";
	struct zcvpn_event ev = {
		.type = ZCVPN_EVENT_DROPS,
		.level = ZCVPN_LOG_INFO,
		.source = "engine",
	};
	char message[DROP_REPORT_LEN + 64];
	/* Every round comes here: nothing new dropped costs one sum, not a walk by reason. */
	uint64_t total = all_drops(st) - e->drops.reported_total;

	if (!total)
		return;
	if (e->drops.last_ns && now - e->drops.last_ns < DROP_REPORT_INTERVAL_NS) {
		e->drops.pending = true;
		return;
	}
	describe_drops(e, st, reasons, sizeof(reasons));
	snprintf(message, sizeof(message), "%" PRIu64 " datagram%s dropped:%s", total,
		 total == 1 ? "" : "s", reasons);
	ev.message = message;
	ev.count = total;
	mark_reported(e, st, now);
	engine_emit(e, &ev);
}

uint64_t engine_drop_report_due(const struct zcvpn_engine *e)
{
	return e->drops.pending ? e->drops.last_ns + DROP_REPORT_INTERVAL_NS :
				  TRANSPORT_NO_DEADLINE;
}

void engine_sample_rings(struct zcvpn_engine *e)
{
	uint32_t tx = ring_used(e->tx), rx = ring_used(e->rx);

	e->stats.engine_wakeups++;
	e->ring_samples++;
	e->tx_ring_sum += tx;
	e->rx_ring_sum += rx;
	if (tx > e->stats.tx_ring_peak)
		e->stats.tx_ring_peak = tx;
	if (rx > e->stats.rx_ring_peak)
		e->stats.rx_ring_peak = rx;
}

void engine_take_snapshot(struct zcvpn_engine *e, uint64_t now)
{
	struct ring_stats rs;
	struct zcvpn_stats st;

	if (!e->tx || !e->transport)
		return;
	e->transport->ops->read_counters(e->transport, e->tcounters);
	ring_get_stats(e->tx, &rs);
	e->stats.ring_skipped_non_ip = rs.skipped_non_ip;
	e->stats.rx_socket_drops = e->socket_drops_base + e->socket_drops;
	if (e->ring_samples) {
		e->stats.tx_ring_mean = e->tx_ring_sum / e->ring_samples;
		e->stats.rx_ring_mean = e->rx_ring_sum / e->ring_samples;
	}
	st = e->stats;
	fold_transport(e, &st);
	pthread_mutex_lock(&e->snapshot_lock);
	e->snapshot = st;
	memcpy(e->tcounters_snapshot, e->tcounters, n_transport_counters(e) * sizeof(uint64_t));
	pthread_mutex_unlock(&e->snapshot_lock);
	if (e->event_fn)
		report_drops(e, &st, now);
}

/* The whole core struct: the engine's snapshot and the tun's own counters. */
static void full_stats(struct zcvpn_engine *e, struct zcvpn_stats *st)
{
	struct tun_stats ts;
	uint64_t live;

	pthread_mutex_lock(&e->snapshot_lock);
	*st = e->snapshot;
	/*
	 * A drop at the very end of a burst shows on the next datagram only; the socket
	 * itself knows at once.  Loss is then explained whether or not more traffic comes.
	 * (A redial swaps the socket and its base under this lock.)
	 */
	live = e->socket_drops_base + engine_socket_drops(e->udp_fd, 0);
	if (live > st->rx_socket_drops)
		st->rx_socket_drops = live;
	pthread_mutex_unlock(&e->snapshot_lock);
	if (!e->tun)
		return;
	tun_get_stats(e->tun, &ts);
	st->tun_tx_packets = ts.tx_packets;
	st->tun_rx_packets = ts.rx_packets;
	st->tun_tx_ring_full = ts.tx_ring_full;
	st->tun_errors = ts.tx_errors + ts.rx_errors;
	st->tun_tx_segmented = ts.tx_segmented;
	/* The tun's copies are the engine's too: a re-laid TSO packet is not zero copy. */
	st->copied_bytes += ts.tx_copied_bytes;
	st->tun_rx_writes = ts.rx_writes;
	st->tun_rx_coalesced = ts.rx_coalesced;
	st->tun_wakeups = ts.wakeups;
	st->tun_error = ts.error;
	st->sink_good = ts.sink_good;
	st->sink_corrupt = ts.sink_corrupt;
	st->sink_lost = ts.sink_lost;
	st->sink_reordered = ts.sink_reordered;
	st->sink_duplicate = ts.sink_duplicate;
	st->generator_done = ts.generator_done;
}

ZCVPN_EXPORT int zcvpn_engine_get_stats(struct zcvpn_engine *e, struct zcvpn_stats *st)
{
	struct zcvpn_stats full;
	uint32_t size;

	if (!e || !st || st->size < offsetof(struct zcvpn_stats, tx_packets) + sizeof(uint64_t))
		return -EINVAL;
	size = st->size < sizeof(full) ? st->size : (uint32_t)sizeof(full);
	full_stats(e, &full);
	memcpy(st, &full, size);
	st->size = size;
	return 0;
}

ZCVPN_EXPORT int zcvpn_engine_counter(struct zcvpn_engine *e, unsigned index,
				      struct zcvpn_counter *out)
{
	const struct transport_counter *tc;
	struct zcvpn_stats st;

	if (!e || !out)
		return -EINVAL;
	if (index < ARRAY_SIZE(core_counters)) {
		const struct core_counter *c = &core_counters[index];

		full_stats(e, &st);
		*out = (struct zcvpn_counter){ c->group, c->name, c->help,
					       stat_at(&st, c->offset), c->flags };
		return 0;
	}
	index -= (unsigned int)ARRAY_SIZE(core_counters);
	if (index >= n_transport_counters(e))
		return -ENOENT;
	tc = &e->transport->cls->counters[index];
	*out = (struct zcvpn_counter){ e->transport->cls->name, tc->name, tc->help, 0, 0 };
	if (tc->flags & TRANSPORT_COUNTER_DROP)
		out->flags |= ZCVPN_COUNTER_DROP;
	if (tc->flags & TRANSPORT_COUNTER_COPY)
		out->flags |= ZCVPN_COUNTER_COPY;
	pthread_mutex_lock(&e->snapshot_lock);
	out->value = e->tcounters_snapshot[index];
	pthread_mutex_unlock(&e->snapshot_lock);
	return 0;
}

/* The index zcvpn_engine_counter knows a counter by, or -ENOENT. */
static int counter_index(const struct zcvpn_engine *e, const char *name)
{
	const struct transport_counter *tc = e->transport->cls->counters;

	for (size_t i = 0; i < ARRAY_SIZE(core_counters); i++)
		if (!strcmp(core_counters[i].name, name))
			return (int)i;
	for (unsigned int i = 0; i < n_transport_counters(e); i++)
		if (!strcmp(tc[i].name, name))
			return (int)(ARRAY_SIZE(core_counters) + i);
	return -ENOENT;
}

/* By name first, then one value: reading them all on the way would read the stats N times. */
ZCVPN_EXPORT int zcvpn_engine_counter_value(struct zcvpn_engine *e, const char *name,
					    uint64_t *value)
{
	struct zcvpn_counter c;
	int index, ret;

	if (!e || !name || !value)
		return -EINVAL;
	index = counter_index(e, name);
	if (index < 0)
		return index;
	ret = zcvpn_engine_counter(e, (unsigned int)index, &c);
	if (!ret)
		*value = c.value;
	return ret;
}
