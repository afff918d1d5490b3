/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-memory tun: in place of the kernel, one thread generates self-checking test
 * packets into the tx ring and verifies every packet it takes from the rx ring.  It lets
 * the whole data path run and be measured without root or a device.
 *
 * The generator models a well-behaved sender: when the tx ring is full it waits rather
 * than drop, so any loss the sink reports happened in the tunnel.
 */
#include "config.h"

#include "src/tun/tun-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/ring.h"
#include "src/tun/tun-packet.h"
#include "src/util/clock.h"

enum mem_limits {
	GEN_BATCH = 64,			/* packets per publish; also the pacing burst */
	SINK_BATCH = 256,		/* rx packets per turn before generating again */
	FULL_BACKOFF_NS = 50000,	/* tx ring full: look again after this */
	/*
	 * Paced: sleep at least this long, then send what fell due meanwhile in one batch.
	 * Waking for every packet at 100k pps costs the engine more in wakeups and small
	 * batches than the burst (at most GEN_BATCH) costs anyone.
	 */
	PACE_MIN_SLEEP_NS = 250000,
	SEQ_WINDOW = 1 << 16,		/* sequence numbers the sink remembers */
};


/*
 * Which of the last SEQ_WINDOW sequence numbers the sink has seen: bit seq % SEQ_WINDOW
 * stands for seq in [expected - SEQ_WINDOW, expected).
 */
struct seq_tracker {
	uint64_t expected;		/* one past the highest sequence number seen */
	uint64_t seen[SEQ_WINDOW / 64];
};

struct tun_mem {
	struct tun tun;
	struct tun_mem_config cfg;
	/* generator */
	uint64_t generated;		/* packets in the tx ring = the next sequence number */
	uint64_t next_ns;		/* when the next paced packet is due */
	uint64_t step_ns, step_rem;	/* 1 s / rate_pps as quotient and remainder */
	uint64_t rem;			/* accumulated remainder, in 1/rate_pps ns */
	/* sink */
	struct seq_tracker seq;
};

static struct timespec ns_to_timespec(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NSEC_PER_SEC),
				  .tv_nsec = (long)(ns % NSEC_PER_SEC) };
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- generator ------------------------------------------------------------------------ */

/* Size and family of packet seq: a function of seed and seq, so a run can be replayed. */
static void pick_shape(const struct tun_mem *m, uint64_t seq, uint32_t *len, bool *ipv6)
{
	const struct tun_mem_config *c = &m->cfg;
	uint64_t r = mix64((uint64_t)c->seed << 32 ^ mix64(seq));

	*len = c->min_size + (uint32_t)(r % (c->max_size - c->min_size + 1));
	/* An IPv6 draw too small for an IPv6 packet goes out as IPv4: sizes stay exact. */
	*ipv6 = (r >> 40) % 100 < c->ipv6_percent && *len >= TUN_PACKET_MIN_V6;
}

/* Puts one packet into the tx ring.  Returns 0, -ENOBUFS (full) or -EBADMSG (dead ring). */
static int generate_one(struct tun_mem *m)
{
	struct ring *tx = m->tun.tx;
	struct ring_rec rec;
	uint32_t len, reserve_len;
	bool ipv6;
	int ret;

	pick_shape(m, m->generated, &len, &ipv6);
	/*
	 * Alternate exact reservations with worst-case-then-shrink (what the linux tun
	 * does), so the consumer meets both histories.  max_size <= max_payload was checked,
	 * so reserve fails only for a full or dead ring.
	 */
	reserve_len = m->generated & 1 ? ring_params(tx)->max_payload : len;
	ret = ring_reserve(tx, reserve_len, &rec);
	if (ret)
		return ret == -ENOBUFS ? ret : -EBADMSG;
	tun_packet_build(rec.payload, len, ipv6, m->cfg.flow_id, m->generated, m->cfg.seed);
	if (reserve_len != len)
		ret = ring_shrink(tx, &rec, len);
	if (!ret)
		ret = ring_commit(tx, &rec);
	if (ret)
		return -EBADMSG;	/* our own record refused: the ring is dead */
	m->generated++;
	tun_count(&m->tun.c.tx_packets, 1);
	tun_count(&m->tun.c.tx_bytes, len);
	return 0;
}

static void pace_reset(struct tun_mem *m)
{
	uint64_t rate = m->cfg.rate_pps;

	m->next_ns = now_ns();
	m->rem = 0;
	if (rate) {
		m->step_ns = NSEC_PER_SEC / rate;
		m->step_rem = NSEC_PER_SEC % rate;
	}
}

/* Exact 1/rate steps: the remainder is carried rather than rounded away. */
static void pace_step(struct tun_mem *m)
{
	m->next_ns += m->step_ns;
	m->rem += m->step_rem;
	if (m->rem >= m->cfg.rate_pps) {
		m->rem -= m->cfg.rate_pps;
		m->next_ns++;
	}
}

/* A generator held back (full ring, slow start) catches up by one batch, not a flood. */
static void pace_limit_burst(struct tun_mem *m, uint64_t now)
{
	uint64_t burst_ns = GEN_BATCH * m->step_ns;

	if (now > burst_ns && m->next_ns < now - burst_ns) {
		m->next_ns = now - burst_ns;
		m->rem = 0;
	}
}

/*
 * Generates what is due, up to a batch, and publishes it.  Returns packets made, 0 when
 * the next one is not due yet, -ENOBUFS when the ring is full, or -EBADMSG.
 */
static int generate(struct tun_mem *m, uint64_t now)
{
	bool paced = m->cfg.rate_pps != 0;
	int made = 0, ret = 0;

	if (paced)
		pace_limit_burst(m, now);
	while (m->generated < m->cfg.count && made < GEN_BATCH && (!paced || m->next_ns <= now)) {
		ret = generate_one(m);
		if (ret)
			break;
		if (paced)
			pace_step(m);
		made++;
	}
	if (made && ring_publish(m->tun.tx) < 0)
		ret = -EBADMSG;
	if (ret == -EBADMSG)
		return ret;
	if (m->generated == m->cfg.count)
		atomic_store_explicit(&m->tun.c.generator_done, true, memory_order_release);
	return made ? made : ret;
}

/* ---- sink ----------------------------------------------------------------------------- */

static bool seq_seen(const struct seq_tracker *t, uint64_t seq)
{
	uint64_t bit = seq % SEQ_WINDOW;

	return t->seen[bit / 64] >> (bit % 64) & 1;
}

static void seq_mark(struct seq_tracker *t, uint64_t seq, bool seen)
{
	uint64_t bit = seq % SEQ_WINDOW;
	uint64_t mask = 1ull << (bit % 64);

	if (seen)
		t->seen[bit / 64] |= mask;
	else
		t->seen[bit / 64] &= ~mask;
}

/* Moves expected up to `to`; the numbers passed over are not seen (yet). */
static void seq_advance(struct seq_tracker *t, uint64_t to)
{
	if (to - t->expected >= SEQ_WINDOW) {
		memset(t->seen, 0, sizeof(t->seen));
		t->expected = to;
		return;
	}
	for (; t->expected != to; t->expected++)
		seq_mark(t, t->expected, false);
}

/* A verified packet earlier than the highest one seen: it fills a gap counted as lost. */
static void sink_late(struct tun_mem *m)
{
	struct tun_counters *c = &m->tun.c;
	uint64_t lost = atomic_load_explicit(&c->sink_lost, memory_order_relaxed);

	tun_count(&c->sink_reordered, 1);
	if (lost)
		atomic_store_explicit(&c->sink_lost, lost - 1, memory_order_relaxed);
}

static void sink_account(struct tun_mem *m, uint64_t seq)
{
	struct seq_tracker *t = &m->seq;
	struct tun_counters *c = &m->tun.c;

	if (seq >= t->expected) {
		if (seq > t->expected)
			tun_count(&c->sink_lost, seq - t->expected);
		seq_advance(t, seq + 1);
		seq_mark(t, seq, true);
	} else if (t->expected - seq > SEQ_WINDOW) {
		/* Older than we remember: far more likely very late than a very late copy. */
		sink_late(m);
	} else if (seq_seen(t, seq)) {
		tun_count(&c->sink_duplicate, 1);
		return;
	} else {
		seq_mark(t, seq, true);
		sink_late(m);
	}
	tun_count(&c->sink_good, 1);
}

static void mem_deliver(struct tun *tun, const uint8_t *pkt, uint32_t len)
{
	struct tun_mem *m = (struct tun_mem *)tun;
	uint32_t flow;
	uint64_t seq;

	tun_count(&tun->c.rx_packets, 1);
	tun_count(&tun->c.rx_bytes, len);
	if (!tun_packet_verify(pkt, len, &flow, &seq) || flow != m->cfg.expect_flow_id) {
		tun_count(&tun->c.sink_corrupt, 1);
		return;
	}
	sink_account(m, seq);
}

/* ---- thread --------------------------------------------------------------------------- */

/* How long the thread may sleep when it has nothing to do.  NULL: until woken. */
static const struct timespec *idle_timeout(const struct tun_mem *m, int made, uint64_t now,
					   struct timespec *ts)
{
	if (m->generated == m->cfg.count)
		return NULL;
	if (made == -ENOBUFS)
		*ts = ns_to_timespec(FULL_BACKOFF_NS);	/* the engine has no wakeup for us */
	else if (m->next_ns > now + PACE_MIN_SLEEP_NS)
		*ts = ns_to_timespec(m->next_ns - now);
	else
		*ts = ns_to_timespec(PACE_MIN_SLEEP_NS);
	return ts;
}

static int mem_run(struct tun *tun)
{
	struct tun_mem *m = (struct tun_mem *)tun;

	pace_reset(m);
	while (!tun_stopping(tun)) {
		uint64_t now = now_ns();
		struct timespec ts;
		int made = 0, sunk;

		if (m->generated < m->cfg.count) {
			made = generate(m, now);
			if (made == -EBADMSG)
				return tun_fail(tun, "tx ring is corrupt; stopped", made);
		}
		sunk = tun_drain_rx(tun, SINK_BATCH);
		if (sunk < 0)
			return tun_fail(tun, "rx ring is corrupt; stopped", sunk);
		if (made > 0 || sunk == SINK_BATCH)
			continue;
		tun_wait(tun, -1, idle_timeout(m, made, now, &ts));
	}
	return 0;
}

static void mem_destroy(struct tun *tun)
{
	free(tun);
}

static const struct tun_ops mem_ops = {
	.kind = "mem",
	.run = mem_run,
	.deliver = mem_deliver,
	.destroy = mem_destroy,
};

static int check_config(const struct tun_mem_config *c, const struct ring *tx, char *errbuf,
			size_t errlen)
{
	uint32_t max_payload = ring_params(tx)->max_payload;
	char why[120] = "";

	if (c->min_size < TUN_PACKET_MIN_V4)
		snprintf(why, sizeof(why), "min_size %u is below %u (IPv4 header + test body)",
			 c->min_size, TUN_PACKET_MIN_V4);
	else if (c->max_size < c->min_size)
		snprintf(why, sizeof(why), "max_size %u is below min_size %u", c->max_size,
			 c->min_size);
	else if (c->max_size > max_payload)
		snprintf(why, sizeof(why), "max_size %u is above the tx ring's max_payload %u",
			 c->max_size, max_payload);
	else if (c->ipv6_percent > 100)
		snprintf(why, sizeof(why), "ipv6_percent %u is above 100", c->ipv6_percent);
	else if (c->ipv6_percent && c->max_size < TUN_PACKET_MIN_V6)
		snprintf(why, sizeof(why), "max_size %u leaves no room for IPv6 packets (%u)",
			 c->max_size, TUN_PACKET_MIN_V6);
	if (!why[0])
		return 0;
	return errbuf_fail(errbuf, errlen, -EINVAL, "in-memory tun: %s", why);
}

int tun_mem_new(struct tun **out, const struct tun_mem_config *config, struct ring *tx,
		struct ring *rx, char *errbuf, size_t errlen)
{
	struct tun_mem *m;
	int ret;

	if (!out || !config || !tx || !rx)
		return -EINVAL;
	ret = check_config(config, tx, errbuf, errlen);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = tun_init(&m->tun, &mem_ops, tx, rx);
	if (ret) {
		tun_free(&m->tun);
		return ret;
	}
	m->cfg = *config;
	if (!config->count)
		atomic_store(&m->tun.c.generator_done, true);
	*out = &m->tun;
	return 0;
}
