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
 * Every message needs a whole run's room, 64 KiB, and what a run does not fill stays
 * behind as a filler until the tun side passes it, unless the run was the last
 * reservation.  So messages are received one per call while runs are short (under
 * GRO_MANY_SEGS datagrams on average over GRO_WINDOW messages): the run is then always
 * the last reservation and gives its unused end back.  Only long runs get several
 * messages per call, where the filler is small beside the run.  GRO stays on once set:
 * turning it off while runs may be queued would hand them over without their segment
 * size (the kernel adds the UDP_GRO cmsg only while GRO is on), glued together.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>

#include "ring/pkt.h"

enum {
	GRO_WINDOW = 64,		/* messages between looks at the runs' length */
	GRO_MANY_SEGS = 8,		/* datagrams a message, on average, for several a call */
};

void engine_gro_socket(struct zcvpn_engine *e, int fd)
{
	e->gro.on = e->gro.wanted &&
		    setsockopt(fd, SOL_UDP, UDP_GRO, &(int){ 1 }, sizeof(int)) == 0;
	e->gro.window_msgs = e->gro.window_datagrams = 0;
	e->gro.runs_per_call = 1;
}

/* After each receive: how many messages the next calls take. */
static void gro_account(struct zcvpn_engine *e, unsigned msgs, unsigned datagrams)
{
	struct engine_gro *g = &e->gro;

	g->window_msgs += msgs;
	g->window_datagrams += datagrams;
	if (g->window_msgs < GRO_WINDOW)
		return;
	g->runs_per_call = g->window_datagrams >= GRO_MANY_SEGS * g->window_msgs ?
				   ENGINE_GRO_RUNS : 1;
	g->window_msgs = g->window_datagrams = 0;
}

/* Reserves the runs for one call (one while a handshake runs), a message aimed at each. */
static unsigned prepare_runs(struct zcvpn_engine *e)
{
	struct engine_rx_batch *b = &e->rxb;
	unsigned want = engine_transport_ready(e) ? e->gro.runs_per_call : 1;
	unsigned n;

	if (want > e->batch)
		want = e->batch;
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

/*
 * One recvmmsg into freshly reserved runs, each ended (last-first, so unused runs and
 * the last one's unused end go back to the ring).  Returns datagrams handled, 0 when
 * the socket was empty or the ring full, or -errno; *msgs gets the messages.
 */
static int receive_runs(struct zcvpn_engine *e, unsigned n, unsigned *msgs)
{
	struct engine_rx_batch *b = &e->rxb;
	unsigned datagrams = 0;
	int got = recvmmsg(e->udp_fd, b->msgs, n, MSG_DONTWAIT, NULL);
	int err = got < 0 ? errno : 0;

	e->stats.recv_calls++;
	if (got > 0) {
		engine_rx_note_socket_drops(e, &b->msgs[got - 1].msg_hdr);
		for (int i = 0; i < got; i++)
			datagrams += deliver_run(e, (unsigned)i);
	}
	for (unsigned i = n; i-- > 0;)
		ring_run_end(e->rx, &b->runs[i]);
	*msgs = got > 0 ? (unsigned)got : 0;
	gro_account(e, *msgs, datagrams);
	if (got < 0)
		return err == EAGAIN || err == EWOULDBLOCK || err == ECONNREFUSED ? 0 : -err;
	return (int)datagrams;
}

/*
 * Calls (of one message each while runs are short) until a batch of datagrams came or
 * the socket is empty, then one publish: about what recvmmsg of records takes in a
 * round (a round of long runs is one call), and one wakeup of the tun side.
 */
int engine_rx_runs(struct zcvpn_engine *e, bool *drained)
{
	unsigned total_msgs = 0, total = 0;

	*drained = false;
	while (total < e->batch && total_msgs < e->batch) {
		unsigned n = prepare_runs(e), msgs;
		int got;

		if (!n) {
			if (ring_is_poisoned(e->rx))
				return -EBADMSG;
			if (!total_msgs)
				return engine_rx_drop_one(e);
			break;
		}
		got = receive_runs(e, n, &msgs);
		if (got < 0)
			return got;
		total += (unsigned)got;
		total_msgs += msgs;
		if (msgs < n) {
			*drained = true;
			break;
		}
	}
	if (ring_publish(e->rx) < 0)
		return -EBADMSG;
	return (int)total;
}
