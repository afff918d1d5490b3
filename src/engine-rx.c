/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network -> tun.  A batch of rx records is reserved at the worst case and recvmmsg()
 * writes each datagram straight into one, placed so that the transport header expected
 * in front of the inner packet lands in the record's headroom.  The transport then
 * authenticates and decrypts in place, the view is cut down to the inner packet, the
 * record shrunk to it and committed.  When the inner packet already starts at the
 * record's payload (the normal case) no payload byte is copied.  With UDP GRO on the
 * socket, engine-rx-run.c receives instead (one run per message); what both shapes do
 * to a datagram is here.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>

#include "ring/pkt.h"
#include "src/addr.h"

uint32_t engine_rx_segment_size(struct msghdr *h)
{
	int size;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&size, CMSG_DATA(cm), sizeof(int));
			return size > 0 ? (uint32_t)size : 0;
		}
	return 0;
}

/*
 * Receives and discards one message when the rx ring is full: back-pressure is a drop.
 * A GRO message counts as the datagrams it holds.
 */
int engine_rx_drop_one(struct zcvpn_engine *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = { e->drop_buf, sizeof(e->drop_buf) };
	struct msghdr h = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cmsg.buf, .msg_controllen = sizeof(cmsg.buf),
	};
	ssize_t n = recvmsg(e->udp_fd, &h, MSG_DONTWAIT | MSG_TRUNC);
	uint32_t seg;

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	seg = engine_rx_segment_size(&h);
	e->stats.rx_ring_full += seg && (uint32_t)n > seg ? ((uint32_t)n + seg - 1) / seg : 1;
	return 1;
}

/*
 * Reserves up to e->batch records and points one message at each.  Returns how many.
 * While a handshake runs, one at a time: the datagram that completes it changes where
 * the next ones must land (the record header length), and data right behind it would
 * otherwise be received at the old offset and have to be moved.
 */
static unsigned prepare(struct zcvpn_engine *e, uint32_t head)
{
	struct engine_rx_batch *b = &e->rxb;
	uint32_t trail = ring_params(e->rx)->trail;
	unsigned batch = engine_transport_ready(e) ? e->batch : 1;
	unsigned n;

	for (n = 0; n < batch; n++) {
		struct msghdr *h = &b->msgs[n].msg_hdr;

		if (ring_reserve(e->rx, e->mtu, &b->recs[n]))
			break;
		b->iov[n].iov_base = b->recs[n].payload - head;
		b->iov[n].iov_len = head + e->mtu + trail;
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

static void peer_event(struct zcvpn_engine *e)
{
	char message[ADDR_TEXT_LEN + 8] = "peer ";
	struct zcvpn_event ev = {
		.type = ZCVPN_EVENT_PEER,
		.level = ZCVPN_LOG_INFO,
		.source = "engine",
		.message = message,
		.peer = &e->peer,
		.peer_len = e->peer_len,
	};

	addr_format(&e->peer, message + strlen(message));
	engine_emit(e, &ev);
}

/* First authenticated datagram from an unknown peer: that is our peer from now on. */
static void learn_peer(struct zcvpn_engine *e, const struct msghdr *h)
{
	if (e->connected || !h->msg_name || !h->msg_namelen)
		return;
	if (connect(e->udp_fd, h->msg_name, h->msg_namelen) == 0) {
		memcpy(&e->peer, h->msg_name, h->msg_namelen);
		e->peer_len = h->msg_namelen;
		e->connected = true;
		peer_event(e);
	}
}

/* The socket's drop count (SO_RXQ_OVFL), as the kernel stamped it on this datagram. */
void engine_rx_note_socket_drops(struct zcvpn_engine *e, struct msghdr *h)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t)))
			memcpy(&e->socket_drops, CMSG_DATA(cm), sizeof(uint32_t));
}

/*
 * The transport's verdict on one datagram of message m (from b->addrs[i] if the peer is
 * not known yet); an authenticated one from a new peer makes it the peer.
 */
enum transport_verdict engine_rx_decap(struct zcvpn_engine *e, struct pkt *pkt,
				       struct mmsghdr *m, unsigned int i)
{
	enum transport_verdict v;

	if (!e->connected && m->msg_hdr.msg_namelen) {
		memcpy(&e->candidate, &e->rxb.addrs[i], m->msg_hdr.msg_namelen);
		e->candidate_len = m->msg_hdr.msg_namelen;
	}
	v = e->transport->ops->decap(e->transport, pkt, e->mtu);
	if (v != TRANSPORT_DROP)
		learn_peer(e, &m->msg_hdr);
	return v;
}

/* Hands one received datagram to the transport; commits or cancels its record. */
static void deliver(struct zcvpn_engine *e, unsigned i, uint32_t head)
{
	struct engine_rx_batch *b = &e->rxb;
	struct ring_rec *rec = &b->recs[i];
	struct pkt pkt;

	pkt_from_rec(&pkt, e->rx, rec);
	pkt.data = rec->payload - head;
	pkt.len = b->msgs[i].msg_len;
	pkt.end = rec->payload + e->mtu + ring_params(e->rx)->trail;

	if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
		e->stats.rx_truncated++;
		goto cancel;
	}
	switch (engine_rx_decap(e, &pkt, &b->msgs[i], i)) {
	case TRANSPORT_DATA:
		if (pkt.data != rec->payload) {
			/* The header was not the length we guessed (rekey to another suite). */
			memmove(rec->payload, pkt.data, pkt.len);
			e->stats.copied_bytes += pkt.len;
		}
		ring_shrink(e->rx, rec, pkt.len);
		ring_commit(e->rx, rec);
		e->stats.rx_packets++;
		e->stats.rx_bytes += pkt.len;
		return;
	case TRANSPORT_CONTROL:
	case TRANSPORT_DROP:
		goto cancel;
	}
cancel:
	ring_cancel(e->rx, rec);
}

int engine_rx_batch(struct zcvpn_engine *e, bool *drained)
{
	uint32_t head;
	unsigned n;
	int got;

	if (e->gro.on)
		return engine_rx_runs(e, drained);
	head = e->transport->ops->rx_head(e->transport);
	n = prepare(e, head);
	*drained = false;
	if (!n)
		return ring_is_poisoned(e->rx) ? -EBADMSG : engine_rx_drop_one(e);
	got = recvmmsg(e->udp_fd, e->rxb.msgs, n, MSG_DONTWAIT, NULL);
	e->stats.recv_calls++;
	/*
	 * Fewer than asked for: the socket had no more, so another call this round would
	 * only return EAGAIN.  Level-triggered epoll wakes us for anything newer.
	 */
	*drained = got < (int)n;
	/* Unused records go back last-first, so their space returns to the ring. */
	for (unsigned i = n; i-- > (got > 0 ? (unsigned)got : 0);)
		ring_cancel(e->rx, &e->rxb.recs[i]);
	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED ? 0 : -errno;
	/* The count is cumulative: the last datagram carries the newest. */
	if (got > 0)
		engine_rx_note_socket_drops(e, &e->rxb.msgs[got - 1].msg_hdr);
	for (int i = 0; i < got; i++)
		deliver(e, (unsigned)i, head);
	if (ring_publish(e->rx) < 0)
		return -EBADMSG;
	return got;
}
