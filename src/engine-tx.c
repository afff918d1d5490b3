/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tun -> network.  Records the tun backend committed to the tx ring are encapsulated
 * where they lie (headers into the headroom, trailer and tag into the tailroom,
 * encryption in place) and sent straight from the ring with sendmmsg(), then released.
 * Datagrams the socket could not take yet stay pending, already encrypted, until the
 * socket is writable again.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <string.h>

#include "ring/pkt.h"

static void release_range(struct zcvpn_engine *e, unsigned first, unsigned count)
{
	for (unsigned i = first; i < first + count; i++)
		ring_release(e->tx, &e->txb.recs[i]);
}

/*
 * Sends txb[first, first + count).  Returns how many the socket took; the rest are
 * pending.  A datagram the socket refuses outright (not EAGAIN) is dropped and counted.
 */
static unsigned send_range(struct zcvpn_engine *e, unsigned first, unsigned count)
{
	unsigned done = 0;

	while (done < count) {
		int sent = sendmmsg(e->udp_fd, &e->txb.msgs[first + done], count - done,
				    MSG_DONTWAIT);

		e->stats.send_calls++;
		if (sent > 0) {
			done += (unsigned)sent;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			break;
		if (errno == EINTR)
			continue;
		/* ECONNREFUSED (peer not up yet), EMSGSIZE, ...: drop this one. */
		e->stats.tx_errors++;
		done++;
	}
	return done;
}

/* Peeks up to e->batch records and encapsulates them.  Returns how many are ready. */
static unsigned prepare(struct zcvpn_engine *e)
{
	struct engine_batch *b = &e->txb;
	unsigned n = 0;
	int ret;

	/*
	 * Until the peer is known and the transport is up (DTLS handshake), packets wait in
	 * the ring: back-pressure on the tun.
	 */
	if (!e->connected || !engine_transport_ready(e))
		return 0;
	while (n < e->batch && ring_peek(e->tx, &b->recs[n]) == 0) {
		struct msghdr *h = &b->msgs[n].msg_hdr;
		uint32_t inner = b->recs[n].size;
		struct pkt pkt;

		pkt_from_rec(&pkt, e->tx, &b->recs[n]);
		ret = e->transport.ops->encap(e->transport.ctx, &pkt);
		if (ret) {
			if (ret == TRANSPORT_SENT) {
				e->stats.tx_packets++;
				e->stats.tx_bytes += inner;
			} else {
				e->stats.tx_encap_errors++;
			}
			ring_release(e->tx, &b->recs[n]);
			continue;
		}
		b->iov[n].iov_base = pkt.data;
		b->iov[n].iov_len = pkt.len;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &b->iov[n];
		h->msg_iovlen = 1;	/* the socket is connected: no address */
		e->stats.tx_packets++;
		e->stats.tx_bytes += inner;
		n++;
	}
	return n;
}

/*
 * The transport is down and the host takes the packets its own way: each one is copied
 * out (into the host's TLS stream), which is exactly what the fast path avoids, so every
 * byte is counted.
 */
int engine_tx_fallback(struct zcvpn_engine *e)
{
	struct ring_rec rec;
	unsigned n = 0;

	while (n < e->batch && ring_peek(e->tx, &rec) == 0) {
		if (e->fallback(e->fallback_ctx, rec.payload, rec.size) == 0) {
			e->stats.tx_packets++;
			e->stats.tx_bytes += rec.size;
			e->stats.copied_bytes += rec.size;
			e->stats.fallback_tx_packets++;
		} else {
			e->stats.tx_errors++;
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
		return engine_tx_fallback(e);

	if (e->tx_pending) {
		sent = send_range(e, e->tx_pending_first, e->tx_pending);
		release_range(e, e->tx_pending_first, sent);
		e->tx_pending_first += sent;
		e->tx_pending -= sent;
		if (e->tx_pending)
			return 0;
		ring_consumer_flush(e->tx);
	}
	n = prepare(e);
	if (!n)
		return ring_is_poisoned(e->tx) ? -EBADMSG : 0;
	sent = send_range(e, 0, n);
	release_range(e, 0, sent);
	if (sent < n) {
		e->tx_pending_first = sent;
		e->tx_pending = n - sent;
	}
	e->last_tx_ns = engine_now_ns();
	return (int)n;
}

int engine_send_probe(struct zcvpn_engine *e)
{
	struct pkt pkt = {
		.head = e->ctrl_buf,
		.data = e->ctrl_buf + e->transport.max_head,
		.len = 0,
		.end = e->ctrl_buf + sizeof(e->ctrl_buf),
	};
	int ret;

	if (!e->connected)
		return -ENOTCONN;
	ret = e->transport.ops->build_probe(e->transport.ctx, &pkt);
	if (ret)
		return ret;
	if (send(e->udp_fd, pkt.data, pkt.len, MSG_DONTWAIT) < 0) {
		e->stats.tx_errors++;
		return -errno;
	}
	e->stats.probes_tx++;
	e->last_tx_ns = engine_now_ns();
	return 0;
}
