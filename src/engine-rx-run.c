/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network -> tun with UDP GRO.  The kernel hands over a run of same-sized datagrams of
 * one flow as one message (the segment size in a UDP_GRO cmsg; the last may be
 * shorter), so each message is received into a run reserved from the rx ring.  Each
 * datagram is then decapsulated in place and its inner packet carved into a record
 * where it lies: datagram i's trailer becomes record i's tail and datagram i+1's header
 * record i+1's head (ring_carve()).  Nothing is copied unless a trailer is too short to
 * hold the next record's size word (then the packet moves up a few bytes, counted).
 *
 * GRO is adaptive.  Where the peer's datagrams arrive one by one anyway (a sender
 * without GSO over a path without GRO), 64 KiB runs of one datagram each only cost
 * ring space; so after GRO_WINDOW messages of which under one in GRO_MIN_SHARE was a
 * run, GRO is turned off, the messages already queued are received as runs until the
 * socket is empty (a queued run must not meet a record-sized buffer), and it is tried
 * again after a back-off that doubles while it keeps finding nothing.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>

#include "ring/pkt.h"
#include "src/util/clock.h"

enum {
	GRO_WINDOW = 64,		/* messages between looks at the share of runs */
	GRO_MIN_SHARE = 8,		/* at least one in this many must be a run */
	GRO_DRAIN_NS = 2000000,		/* off: runs for at least this long, until empty */
};

#define GRO_BACKOFF_MIN_NS (1000ull * 1000 * 1000)
#define GRO_BACKOFF_MAX_NS (64ull * 1000 * 1000 * 1000)

static bool set_gro(int fd, bool on)
{
	return setsockopt(fd, SOL_UDP, UDP_GRO, &(int){ on }, sizeof(int)) == 0;
}

static void gro_on(struct zcvpn_engine *e)
{
	e->gro.state = ENGINE_GRO_ON;
	e->gro.window_msgs = e->gro.window_runs = 0;
}

void engine_gro_socket(struct zcvpn_engine *e, int fd)
{
	if (!e->gro.wanted)
		return;
	if (!set_gro(fd, true)) {
		/* A kernel without UDP_GRO (before 5.0): records of one datagram, as before. */
		e->gro.wanted = false;
		e->gro.state = ENGINE_GRO_OFF;
		return;
	}
	e->gro.backoff_ns = GRO_BACKOFF_MIN_NS;
	gro_on(e);
}

void engine_gro_maybe_retry(struct zcvpn_engine *e)
{
	if (now_ns() >= e->gro.since_ns && set_gro(e->udp_fd, true))
		gro_on(e);
}

/* After each receive while on: keep it, or turn it off for lack of runs. */
static void gro_account(struct zcvpn_engine *e, unsigned msgs, unsigned runs, bool drained)
{
	struct engine_gro *g = &e->gro;
	uint64_t now;

	if (g->state == ENGINE_GRO_DRAINING) {
		now = now_ns();
		if (drained && now - g->since_ns >= GRO_DRAIN_NS) {
			g->state = ENGINE_GRO_OFF;
			g->since_ns = now + g->backoff_ns;
			if (g->backoff_ns < GRO_BACKOFF_MAX_NS)
				g->backoff_ns *= 2;
		}
		return;
	}
	g->window_msgs += msgs;
	g->window_runs += runs;
	if (g->window_msgs < GRO_WINDOW)
		return;
	if (g->window_runs * GRO_MIN_SHARE >= g->window_msgs) {
		g->backoff_ns = GRO_BACKOFF_MIN_NS;
		gro_on(e);
		return;
	}
	if (set_gro(e->udp_fd, false)) {
		g->state = ENGINE_GRO_DRAINING;
		g->since_ns = now_ns();
		e->stats.rx_gro_off++;
	}
}

/* Reserves up to ENGINE_GRO_RUNS runs (one while a handshake runs) and aims a message at each. */
static unsigned prepare_runs(struct zcvpn_engine *e)
{
	struct engine_rx_batch *b = &e->rxb;
	unsigned want = engine_transport_ready(e) ? e->batch : 1;
	unsigned n;

	if (want > ENGINE_GRO_RUNS)
		want = ENGINE_GRO_RUNS;
	for (n = 0; n < want; n++) {
		struct msghdr *h = &b->msgs[n].msg_hdr;

		if (ring_reserve_run(e->rx, ENGINE_GRO_RUN_BYTES, &b->runs[n]))
			break;
		b->iov[n].iov_base = b->runs[n].data;
		b->iov[n].iov_len = b->runs[n].len;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &b->iov[n];
		h->msg_iovlen = 1;
		h->msg_control = b->cmsg[n].buf;
		h->msg_controllen = sizeof(b->cmsg[n].buf);
		if (!e->connected) {
			h->msg_name = &b->addrs[n];
			h->msg_namelen = sizeof(b->addrs[n]);
		}
	}
	return n;
}

/*
 * Makes the decapsulated inner packet in pkt a record of run.  If the bytes before it
 * cannot hold its size word, it moves up into its own datagram's trailer when that is
 * long enough (a copy, counted); otherwise it is dropped.  Returns 0 or -ENOSPC.
 */
static int carve(struct zcvpn_engine *e, struct ring_run *run, struct pkt *pkt,
		 const uint8_t *dgram_end)
{
	struct ring_rec rec;
	uint32_t up = ring_carve_shortfall(e->rx, run, pkt->data);

	if (up) {
		/* The room after the packet, up to the end of its own datagram. */
		if (up > (uint32_t)(dgram_end - pkt->data) - pkt->len) {
			e->stats.rx_gro_unplaced++;
			return -ENOSPC;
		}
		memmove(pkt->data + up, pkt->data, pkt->len);
		pkt->data += up;
		e->stats.copied_bytes += pkt->len;
		e->stats.rx_gro_moved++;
	}
	if (ring_carve(e->rx, run, pkt->data, pkt->len, &rec)) {
		e->stats.rx_gro_unplaced++;
		return -ENOSPC;
	}
	e->stats.rx_packets++;
	e->stats.rx_bytes += pkt->len;
	return 0;
}

/*
 * Every datagram of message i, in order, through the transport and into records.
 * Returns how many datagrams it held.
 */
static unsigned deliver_run(struct zcvpn_engine *e, unsigned i)
{
	struct engine_rx_batch *b = &e->rxb;
	struct ring_run *run = &b->runs[i];
	uint32_t len = b->msgs[i].msg_len;
	uint32_t seg = engine_rx_segment_size(&b->msgs[i].msg_hdr);
	unsigned count = 0;

	if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
		e->stats.rx_truncated++;
		return 1;
	}
	if (!seg || seg > len)
		seg = len;
	if (len > seg) {
		e->stats.rx_gro_runs++;
		e->stats.rx_gro_segments += (len + seg - 1) / seg;
	}
	/* An empty datagram is one too, and the transport counts it (too short). */
	for (uint32_t off = 0; off < len || !count; off += seg, count++) {
		uint8_t *dgram = run->data + off;
		uint32_t dlen = len - off < seg ? len - off : seg;
		/* The view ends with the datagram: the next one's bytes are not its room. */
		struct pkt pkt = { .data = dgram, .len = dlen, .head = dgram, .end = dgram + dlen };

		if (engine_rx_decap(e, &pkt, &b->msgs[i], i) == TRANSPORT_DATA)
			carve(e, run, &pkt, dgram + dlen);
	}
	return count;
}

int engine_rx_runs(struct zcvpn_engine *e, bool *drained)
{
	struct engine_rx_batch *b = &e->rxb;
	unsigned n = prepare_runs(e), datagrams = 0, runs = 0;
	int got, err;

	*drained = false;
	if (!n)
		return ring_is_poisoned(e->rx) ? -EBADMSG : engine_rx_drop_one(e);
	got = recvmmsg(e->udp_fd, b->msgs, n, MSG_DONTWAIT, NULL);
	err = got < 0 ? errno : 0;
	e->stats.recv_calls++;
	*drained = got < (int)n;
	if (got > 0) {
		engine_rx_note_socket_drops(e, &b->msgs[got - 1].msg_hdr);
		for (int i = 0; i < got; i++) {
			unsigned k = deliver_run(e, (unsigned)i);

			datagrams += k;
			runs += k > 1;
		}
	}
	/* Last-first, so unused runs and the last run's unused end go back to the ring. */
	for (unsigned i = n; i-- > 0;)
		ring_run_end(e->rx, &b->runs[i]);
	gro_account(e, got > 0 ? (unsigned)got : 0, runs, *drained);
	if (got < 0)
		return err == EAGAIN || err == EWOULDBLOCK || err == ECONNREFUSED ? 0 : -err;
	if (ring_publish(e->rx) < 0)
		return -EBADMSG;
	return (int)datagrams;
}
