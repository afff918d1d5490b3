/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tun -> network.  Records the tun backend committed to the tx ring are encapsulated
 * where they lie (headers into the headroom, trailer and tag into the tailroom,
 * encryption in place) and sent straight from the ring with sendmmsg(), then released;
 * runs of equal-sized datagrams go as one UDP GSO message each (the kernel segments).
 * Datagrams the socket could not take yet stay pending, already encrypted, until the
 * socket is writable again.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>

#include "ring/pkt.h"

enum {
	GSO_MAX_SEGMENTS = 64,		/* the kernel's UDP_MAX_SEGMENTS */
	GSO_MAX_BYTES = 65000,		/* one UDP datagram's worth, headers aside */
};

static void release_groups(struct zcvpn_engine *e, unsigned first, unsigned end)
{
	for (unsigned g = first; g < end; g++) {
		const struct tx_group *grp = &e->gso.groups[g];

		for (unsigned i = grp->first; i < grp->first + grp->count; i++)
			ring_release(e->tx, &e->txb.recs[i]);
	}
}

/* Points message g at records [first, first + count), with UDP_SEGMENT when count > 1. */
static void fill_group(struct zcvpn_engine *e, unsigned g, unsigned first, unsigned count)
{
	struct msghdr *h = &e->gso.msgs[g].msg_hdr;

	e->gso.groups[g] = (struct tx_group){ (uint16_t)first, (uint16_t)count };
	memset(h, 0, sizeof(*h));
	h->msg_iov = &e->txb.iov[first];
	h->msg_iovlen = count;		/* the socket is connected: no address */
	if (count > 1) {
		struct cmsghdr *cm = &e->gso.cmsg[g].align;
		uint16_t segment = (uint16_t)e->txb.iov[first].iov_len;

		h->msg_control = e->gso.cmsg[g].buf;
		h->msg_controllen = sizeof(e->gso.cmsg[g].buf);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(segment));
		memcpy(CMSG_DATA(cm), &segment, sizeof(segment));
	}
}

/*
 * Groups records [first, end) into messages from group index g on: runs of datagrams of
 * one size, closed by a shorter one, within the kernel's limits; one record per message
 * without GSO.  Returns the number of groups in all.
 */
static unsigned build_groups(struct zcvpn_engine *e, unsigned g, unsigned first, unsigned end)
{
	const struct iovec *iov = e->txb.iov;

	while (first < end) {
		size_t size = iov[first].iov_len, total = size;
		unsigned count = 1;

		while (e->gso.enabled && first + count < end && count < GSO_MAX_SEGMENTS &&
		       iov[first + count].iov_len <= size &&
		       total + iov[first + count].iov_len <= GSO_MAX_BYTES) {
			total += iov[first + count].iov_len;
			if (iov[first + count++].iov_len < size)
				break;		/* only the last segment may be short */
		}
		fill_group(e, g++, first, count);
		first += count;
	}
	return e->gso.ngroups = g;
}

/*
 * Sends the messages from group `from` on.  Returns the group it stopped at (the rest
 * are pending: the socket is full).  A message the socket refuses outright (not EAGAIN)
 * is dropped and counted, except that a GSO message refused as such (EIO: no checksum
 * offload on the route, EINVAL) turns GSO off and goes again one datagram at a time.
 */
static unsigned send_groups(struct zcvpn_engine *e, unsigned from)
{
	unsigned done = from;

	while (done < e->gso.ngroups) {
		const struct tx_group *grp = &e->gso.groups[done];
		int sent = sendmmsg(e->udp_fd, &e->gso.msgs[done], e->gso.ngroups - done,
				    MSG_DONTWAIT);

		e->stats.send_calls++;
		if (sent > 0) {
			for (int i = 0; i < sent; i++)
				if (e->gso.groups[done + (unsigned)i].count > 1)
					e->stats.tx_gso_messages++;
			done += (unsigned)sent;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			break;
		if (errno == EINTR)
			continue;
		if (grp->count > 1 && (errno == EIO || errno == EINVAL)) {
			const struct tx_group *last = &e->gso.groups[e->gso.ngroups - 1];

			e->gso.enabled = false;
			build_groups(e, done, grp->first, last->first + last->count);
			continue;
		}
		/* ECONNREFUSED (peer not up yet), EMSGSIZE, ...: drop this one. */
		e->stats.tx_errors += grp->count;
		done++;
	}
	return done;
}

/*
 * Encapsulates record n; on success txb.iov[n] is its datagram, in the record or, for a
 * framing that grew it past the tail room, in spare slot n (a copy, counted here).
 * Returns 0 (queued), TRANSPORT_SENT (the transport sent it) or -errno (dropped).
 */
static int encap_one(struct zcvpn_engine *e, unsigned int n)
{
	struct engine_tx_batch *b = &e->txb;
	struct transport *t = e->transport;
	struct transport_spare spare = {
		.buf = b->spare ? b->spare + (size_t)n * t->max_spare : NULL,
		.room = b->spare ? t->max_spare : 0,
	};
	struct pkt pkt;
	int ret;

	pkt_from_rec(&pkt, e->tx, &b->recs[n]);
	ret = t->ops->encap(t, &pkt, &spare);
	if (ret == TRANSPORT_SPARE && spare.buf && spare.len && spare.len <= spare.room) {
		b->iov[n].iov_base = spare.buf;
		b->iov[n].iov_len = spare.len;
		e->stats.copied_bytes += spare.len;
		return 0;
	}
	if (ret == TRANSPORT_SPARE)
		return -EMSGSIZE;	/* a transport bug: no spare slot, or past it */
	if (ret)
		return ret;
	b->iov[n].iov_base = pkt.data;
	b->iov[n].iov_len = pkt.len;
	return 0;
}

/*
 * Peeks up to e->batch records and encapsulates them; txb.iov[i] is the datagram of
 * record i.  Returns how many are ready.
 */
static unsigned prepare(struct zcvpn_engine *e)
{
	struct engine_tx_batch *b = &e->txb;
	unsigned n = 0;
	int ret;

	/*
	 * Until the peer is known and the transport is up (its handshake done), packets wait in
	 * the ring: back-pressure on the tun.
	 */
	if (!e->connected || !engine_transport_ready(e))
		return 0;
	while (n < e->batch && ring_peek(e->tx, &b->recs[n]) == 0) {
		uint32_t inner = b->recs[n].size;

		ret = encap_one(e, n);
		if (ret < 0) {
			e->stats.tx_encap_errors++;
			ring_release(e->tx, &b->recs[n]);
			continue;
		}
		e->stats.tx_packets++;
		e->stats.tx_bytes += inner;
		if (ret == TRANSPORT_SENT) {
			ring_release(e->tx, &b->recs[n]);
			continue;
		}
		n++;
	}
	return n;
}

/*
 * The transport is down and the host takes the packets its own way: each one is copied
 * out (into the host's TLS stream), which is exactly what the fast path avoids, so every
 * byte is counted.
 */
static int tx_fallback(struct zcvpn_engine *e)
{
	struct ring_rec rec;
	unsigned n = 0;

	while (n < e->batch && ring_peek(e->tx, &rec) == 0) {
		int ret = engine_has_stream(e) ?
			  e->transport->ops->stream_send(e->transport, rec.payload, rec.size) :
			  e->fallback(e->fallback_ctx, rec.payload, rec.size);

		if (ret == 0) {
			e->stats.tx_packets++;
			e->stats.tx_bytes += rec.size;
			e->stats.copied_bytes += rec.size;
			e->stats.fallback_tx_packets++;
			e->stats.fallback_tx_bytes += rec.size;
		} else {
			e->stats.tx_errors++;
			e->stats.fallback_tx_refused++;
		}
		ring_release(e->tx, &rec);
		n++;
	}
	if (n)
		ring_consumer_flush(e->tx);
	return ring_is_poisoned(e->tx) ? -EBADMSG : (int)n;
}

int engine_tx_batch(struct zcvpn_engine *e)
{
	unsigned n, sent;

	if (engine_use_fallback(e) && !e->tx_pending)
		return tx_fallback(e);

	if (e->tx_pending) {
		sent = send_groups(e, e->tx_pending_first);
		release_groups(e, e->tx_pending_first, sent);
		e->tx_pending = e->gso.ngroups - sent;
		e->tx_pending_first = sent;
		if (e->tx_pending)
			return 0;
		ring_consumer_flush(e->tx);
	}
	n = prepare(e);
	if (!n)
		return ring_is_poisoned(e->tx) ? -EBADMSG : 0;
	build_groups(e, 0, 0, n);
	sent = send_groups(e, 0);
	release_groups(e, 0, sent);
	if (sent < e->gso.ngroups) {
		e->tx_pending_first = sent;
		e->tx_pending = e->gso.ngroups - sent;
	}
	return (int)n;
}

/*
 * The transport's own datagrams (handshake flights, probes, DPD): to the peer, or, while
 * a server does not know it yet, to whoever sent the datagram being handled.
 */
static ssize_t send_one(struct zcvpn_engine *e, const struct iovec *d)
{
	if (e->connected)
		return send(e->udp_fd, d->iov_base, d->iov_len, MSG_DONTWAIT);
	if (e->candidate_len)
		return sendto(e->udp_fd, d->iov_base, d->iov_len, MSG_DONTWAIT,
			      (struct sockaddr *)&e->candidate, e->candidate_len);
	errno = ENOTCONN;
	return -1;
}

/* A batch to the connected peer: one sendmmsg per CTRL_BATCH datagrams. */
static int send_batch(struct zcvpn_engine *e, const struct iovec *dgrams, unsigned int n)
{
	enum { CTRL_BATCH = 16 };
	struct mmsghdr msgs[CTRL_BATCH];
	unsigned int done = 0;

	while (done < n) {
		unsigned int k = n - done < CTRL_BATCH ? n - done : CTRL_BATCH;
		int sent;

		memset(msgs, 0, sizeof(msgs));
		for (unsigned int i = 0; i < k; i++) {
			msgs[i].msg_hdr.msg_iov = (struct iovec *)&dgrams[done + i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(e->udp_fd, msgs, k, MSG_DONTWAIT);
		e->stats.send_calls++;
		if (sent <= 0) {
			e->stats.tx_errors += n - done;
			return sent < 0 && errno != EWOULDBLOCK ? -errno : -EAGAIN;
		}
		done += (unsigned int)sent;
	}
	return 0;
}

int engine_send_datagrams(struct zcvpn_engine *e, const struct iovec *dgrams, unsigned int n)
{
	if (e->connected && n > 1)
		return send_batch(e, dgrams, n);
	for (unsigned int i = 0; i < n; i++) {
		if (send_one(e, &dgrams[i]) >= 0)
			continue;
		if (errno == ENOTCONN)
			return -ENOTCONN;
		e->stats.tx_errors += n - i;
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	return 0;
}
