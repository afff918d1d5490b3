/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "src/tun/tun-tso.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "src/util/byteorder.h"
#include "src/tun/inet-csum.h"
#include "src/tun/inet-wire.h"

enum {
	GUESS_HDR = IPV4_HDR + TCP_HDR + 12,	/* TCP timestamps, as Linux sends them */
};

void tun_tso_plan_init(struct tun_tso_plan *plan, uint32_t mtu)
{
	plan->hdr = GUESS_HDR;
	plan->mss = mtu > GUESS_HDR ? mtu - GUESS_HDR : 1;
}

unsigned int tun_tso_records_for(const struct tun_tso_plan *plan, uint32_t len)
{
	uint32_t first = plan->hdr + plan->mss;

	if (len <= first)
		return 1;
	return 1 + (len - first + plan->mss - 1) / plan->mss;
}

unsigned int tun_tso_layout(const struct tun_tso_plan *plan, struct virtio_net_hdr *vh,
			    uint8_t *const *recs, unsigned int nrecs, uint8_t *spill,
			    struct iovec *iov)
{
	iov[0] = (struct iovec){ vh, sizeof(*vh) };
	iov[1] = (struct iovec){ recs[0], plan->hdr + plan->mss };
	for (unsigned int k = 1; k < nrecs; k++)
		iov[1 + k] = (struct iovec){ recs[k] + plan->hdr, plan->mss };
	iov[1 + nrecs] = (struct iovec){ spill, TUN_TSO_SPILL };
	return 2 + nrecs;
}

/*
 * The header length (IPv4 or IPv6 without extension headers, then TCP) of the packet of
 * len bytes whose first avail bytes are at ip.  -EAGAIN: the headers go past avail;
 * -EINVAL: not such a packet.
 */
static int header_length(const uint8_t *ip, uint32_t avail, uint32_t len, uint8_t gso_type)
{
	int more = avail < len ? -EAGAIN : -EINVAL;
	uint32_t ip_hlen, tcp_hlen;

	if (avail < IPV4_HDR)
		return more;
	if (gso_type == VIRTIO_NET_HDR_GSO_TCPV4) {
		ip_hlen = (uint32_t)(ip[0] & 0x0f) * 4;
		if (ip[0] >> 4 != 4 || ip_hlen < IPV4_HDR)
			return -EINVAL;
		if (avail < ip_hlen)
			return more;
		if (ip[9] != PROTO_TCP)
			return -EINVAL;
	} else {
		ip_hlen = IPV6_HDR;
		if (ip[0] >> 4 != 6)
			return -EINVAL;
		if (avail < IPV6_HDR)
			return more;
		if (ip[6] != PROTO_TCP)
			return -EINVAL;
	}
	if (avail < ip_hlen + TCP_HDR)
		return more;
	tcp_hlen = (uint32_t)(ip[ip_hlen + 12] >> 4) * 4;
	if (tcp_hlen < TCP_HDR)
		return -EINVAL;
	if (avail < ip_hlen + tcp_hlen)
		return more;
	return (int)(ip_hlen + tcp_hlen);
}

static uint8_t tcp_gso_type(const struct virtio_net_hdr *vh)
{
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
		return 0;
	return type;
}

int tun_tso_packet_plan(const struct virtio_net_hdr *vh, const uint8_t *pkt, uint32_t len,
			struct tun_tso_plan *out)
{
	uint8_t type = tcp_gso_type(vh);
	int hdr = type ? header_length(pkt, len, len, type) : -EINVAL;

	if (hdr < 0 || !vh->gso_size || len <= (uint32_t)hdr)
		return -EINVAL;
	*out = (struct tun_tso_plan){ (uint32_t)hdr, vh->gso_size };
	return 0;
}

/* What every segment's header is made from: the packet's as the kernel gave it. */
struct template {
	uint32_t ip_hlen, hdr, mss, segments;
	bool v4;
	uint16_t id;
	uint32_t seq;
	uint8_t flags;
};

/* Makes seg (its header already a copy of the template's) segment k of payload bytes. */
static void finish_segment(const struct template *t, uint8_t *seg, unsigned int k,
			   uint32_t payload)
{
	uint8_t *tcp = seg + t->ip_hlen;
	uint32_t tcp_len = t->hdr - t->ip_hlen + payload;
	uint16_t csum;

	if (t->v4) {
		put_be16(seg + 2, (uint16_t)(t->hdr + payload));
		put_be16(seg + 4, (uint16_t)(t->id + k));	/* as the kernel's GSO numbers them */
		memset(seg + 10, 0, 2);
		csum = (uint16_t)~inet_csum_fold(inet_csum_add(0, seg, t->ip_hlen));
		memcpy(seg + 10, &csum, 2);
	} else {
		put_be16(seg + 4, (uint16_t)tcp_len);
	}
	put_be32(tcp + 4, t->seq + k * t->mss);
	tcp[13] = t->flags;
	if (k + 1 < t->segments)
		tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);	/* they belong to the last */
	if (k > 0)
		tcp[13] &= (uint8_t)~TCP_CWR;			/* it belongs to the first */
	/* The kernel left a partial sum (NEEDS_CSUM); every segment gets a full one. */
	memset(tcp + TCP_CSUM_OFFSET, 0, 2);
	csum = (uint16_t)~inet_csum_fold(inet_csum_add(inet_csum_pseudo(seg, PROTO_TCP, tcp_len),
							tcp, tcp_len));
	memcpy(tcp + TCP_CSUM_OFFSET, &csum, 2);
}

int tun_tso_split(const struct tun_tso_plan *plan, const struct virtio_net_hdr *vh,
		  uint8_t *const *recs, unsigned int nrecs, uint32_t len, uint32_t *lens)
{
	uint8_t gso_type = tcp_gso_type(vh);
	uint32_t first = plan->hdr + plan->mss, payload;
	struct template t;
	int hdr;

	if (!gso_type)
		return -EINVAL;
	/* A plan for a tiny MSS may leave the headers only partly in the first record. */
	hdr = header_length(recs[0], len < first ? len : first, len, gso_type);
	if (hdr < 0)
		return hdr;
	t.hdr = (uint32_t)hdr;
	t.mss = vh->gso_size;
	if (!t.mss || len <= t.hdr)
		return -EINVAL;
	payload = len - t.hdr;
	t.segments = (payload + t.mss - 1) / t.mss;
	if (t.segments > TUN_TSO_MAX_SEGMENTS)
		return -EINVAL;
	if (t.hdr != plan->hdr || t.mss != plan->mss)
		return -EAGAIN;
	if (t.segments > nrecs)
		return -ENOSPC;
	t.v4 = gso_type == VIRTIO_NET_HDR_GSO_TCPV4;
	t.ip_hlen = t.v4 ? (uint32_t)(recs[0][0] & 0x0f) * 4 : IPV6_HDR;
	t.id = get_be16(recs[0] + 4);
	t.seq = get_be32(recs[0] + t.ip_hlen + 4);
	t.flags = recs[0][t.ip_hlen + 13];
	/* Later segments first: their headers are copies of the first one's, still intact. */
	for (unsigned int k = t.segments; k-- > 0;) {
		uint32_t seg_payload = k + 1 < t.segments ? t.mss : payload - k * t.mss;

		if (k)
			memcpy(recs[k], recs[0], t.hdr);
		finish_segment(&t, recs[k], k, seg_payload);
		lens[k] = t.hdr + seg_payload;
	}
	return (int)t.segments;
}

uint32_t tun_tso_gather(const struct iovec *iov, unsigned int n, uint32_t len, uint8_t *buf)
{
	uint32_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		uint32_t take = len - done < iov[i].iov_len ? len - done : (uint32_t)iov[i].iov_len;

		memcpy(buf + done, iov[i].iov_base, take);
		done += take;
	}
	return done;
}

void tun_tso_scatter(const struct tun_tso_plan *plan, const uint8_t *buf, uint32_t len,
		     uint8_t *const *recs)
{
	uint32_t first = plan->hdr + plan->mss;
	uint32_t done = len < first ? len : first;

	memcpy(recs[0], buf, done);
	for (unsigned int k = 1; done < len; k++) {
		uint32_t take = len - done < plan->mss ? len - done : plan->mss;

		memcpy(recs[k] + plan->hdr, buf + done, take);
		done += take;
	}
}
