/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "src/tun/tun-gro.h"

#include <stdbool.h>
#include <string.h>

#include "src/util/byteorder.h"
#include "src/tun/inet-csum.h"
#include "src/tun/inet-wire.h"

/* What tun_gro_plan needs to know about one TCP segment; the headers stay in place. */
struct segment {
	uint8_t *ip;
	uint8_t *tcp;
	uint32_t len;			/* the whole IP packet */
	uint32_t ip_hlen, hdr_len;	/* IP header; IP + TCP headers */
	uint32_t payload;
	uint32_t seq;
	uint8_t flags;
};

static bool ipv4_header_intact(const uint8_t *ip)
{
	return inet_csum_fold(inet_csum_add(0, ip, IPV4_HDR)) == 0xffff;
}

/* IPv4 without options or fragmentation, or IPv6 without extension headers. */
static bool parse_ip(struct segment *s, uint8_t *ip, uint32_t len)
{
	if (len < IPV4_HDR)
		return false;
	if (ip[0] == 0x45) {
		/* MF and the fragment offset: a fragment is no segment of a stream. */
		if (get_be16(ip + 2) != len || (get_be16(ip + 6) & 0x3fff) ||
		    ip[9] != PROTO_TCP || !ipv4_header_intact(ip))
			return false;
		s->ip_hlen = IPV4_HDR;
	} else if (ip[0] >> 4 == 6) {
		if (len < IPV6_HDR || get_be16(ip + 4) != len - IPV6_HDR || ip[6] != PROTO_TCP)
			return false;
		s->ip_hlen = IPV6_HDR;
	} else {
		return false;
	}
	s->ip = ip;
	s->len = len;
	return true;
}

/*
 * A data segment that could be part of a run: ACK with at most PSH besides (no SYN, FIN,
 * RST, URG, ECE or CWR, which the receiver must see on their own segment), and payload.
 */
static bool parse_segment(struct segment *s, uint8_t *ip, uint32_t len)
{
	uint32_t tcp_hlen;

	if (!parse_ip(s, ip, len) || len - s->ip_hlen < TCP_HDR)
		return false;
	s->tcp = ip + s->ip_hlen;
	tcp_hlen = (uint32_t)(s->tcp[12] >> 4) * 4;
	if (tcp_hlen < TCP_HDR || tcp_hlen >= len - s->ip_hlen)
		return false;
	s->flags = s->tcp[13];
	if ((s->flags & ~TCP_PSH) != TCP_ACK)
		return false;
	s->hdr_len = s->ip_hlen + tcp_hlen;
	s->payload = len - s->hdr_len;
	s->seq = get_be32(s->tcp + 4);
	return true;
}

static bool tcp_checksum_ok(const struct segment *s)
{
	uint32_t tcp_len = s->len - s->ip_hlen;
	uint64_t sum = inet_csum_pseudo(s->ip, PROTO_TCP, tcp_len);

	return inet_csum_fold(inet_csum_add(sum, s->tcp, tcp_len)) == 0xffff;
}

/*
 * The IP fields GRO requires equal: IPv4 TOS, TTL and DF (and the addresses); IPv6
 * version, traffic class, flow label and hop limit (and the addresses).  The IPv4 ID is
 * left free, as the kernel's GRO leaves it for DF packets and a local receiver never
 * looks at it.
 */
static bool same_ip_flow(const struct segment *a, const struct segment *b)
{
	if (a->ip_hlen != b->ip_hlen)
		return false;
	if (a->ip_hlen == IPV4_HDR)
		return a->ip[1] == b->ip[1] && a->ip[6] == b->ip[6] && a->ip[8] == b->ip[8] &&
		       !memcmp(a->ip + 12, b->ip + 12, 8);
	return !memcmp(a->ip, b->ip, 4) && a->ip[7] == b->ip[7] &&
	       !memcmp(a->ip + 8, b->ip + 8, 32);
}

/*
 * Ports, ACK number, header length, window and options equal; only the sequence number,
 * flags and checksum may differ, as in the kernel's tcp_gro_receive().
 */
static bool same_tcp_flow(const struct segment *a, const struct segment *b)
{
	return a->hdr_len == b->hdr_len && !memcmp(a->tcp, b->tcp, 4) &&
	       !memcmp(a->tcp + 8, b->tcp + 8, 5) && !memcmp(a->tcp + 14, b->tcp + 14, 2) &&
	       !memcmp(a->tcp + TCP_HDR, b->tcp + TCP_HDR, a->hdr_len - a->ip_hlen - TCP_HDR);
}

/* Whether next continues the run that starts at first and has prev as its last. */
static bool continues(const struct segment *first, const struct segment *prev,
		      const struct segment *next, uint32_t run_len)
{
	return !(prev->flags & TCP_PSH) && prev->payload == first->payload &&
	       next->payload <= first->payload &&
	       run_len + next->payload <= TUN_GRO_MAX_BYTES &&
	       next->seq == prev->seq + prev->payload &&
	       same_ip_flow(first, next) && same_tcp_flow(first, next) &&
	       tcp_checksum_ok(next);
}

/* Rewrites the first segment's headers to describe run_len bytes and fills the vnet. */
static void rewrite_first(struct tun_gro_write *w, struct segment *first, uint32_t run_len,
			  uint8_t last_flags)
{
	uint32_t tcp_len = run_len - first->ip_hlen;
	uint8_t *ip_len = first->ip + (first->ip_hlen == IPV4_HDR ? 2 : 4);
	uint16_t csum;

	w->first = first->ip;
	memcpy(w->saved_ip_len, ip_len, 2);
	memcpy(w->saved_ip_csum, first->ip + 10, 2);
	w->saved_tcp_flags = first->tcp[13];
	memcpy(w->saved_tcp_csum, first->tcp + TCP_CSUM_OFFSET, 2);
	if (first->ip_hlen == IPV4_HDR) {
		put_be16(first->ip + 2, (uint16_t)run_len);
		memset(first->ip + 10, 0, 2);
		csum = (uint16_t)~inet_csum_fold(inet_csum_add(0, first->ip, IPV4_HDR));
		memcpy(first->ip + 10, &csum, 2);
		w->vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		put_be16(first->ip + 4, (uint16_t)tcp_len);
		w->vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	first->tcp[13] |= last_flags & TCP_PSH;
	/* CHECKSUM_PARTIAL: the pseudo-header sum, which the kernel completes if need be. */
	csum = inet_csum_fold(inet_csum_pseudo(first->ip, PROTO_TCP, tcp_len));
	memcpy(first->tcp + TCP_CSUM_OFFSET, &csum, 2);
	w->vnet.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	w->vnet.hdr_len = (uint16_t)first->hdr_len;
	w->vnet.gso_size = (uint16_t)first->payload;
	w->vnet.csum_start = (uint16_t)first->ip_hlen;
	w->vnet.csum_offset = TCP_CSUM_OFFSET;
}

unsigned int tun_gro_plan(struct tun_gro_write *w, const struct tun_gro_pkt *pkts,
			  unsigned int n)
{
	struct segment first, prev, next;
	uint32_t run_len;
	uint8_t last_flags;
	unsigned int k = 1;

	memset(&w->vnet, 0, sizeof(w->vnet));
	w->first = NULL;
	w->iov[0] = (struct iovec){ &w->vnet, sizeof(w->vnet) };
	w->iov[1] = (struct iovec){ pkts[0].data, pkts[0].len };
	w->bytes = pkts[0].len;
	if (n > 1 && parse_segment(&first, pkts[0].data, pkts[0].len) &&
	    parse_segment(&next, pkts[1].data, pkts[1].len) &&
	    continues(&first, &first, &next, first.len) && tcp_checksum_ok(&first)) {
		run_len = first.len;
		prev = first;
		do {
			w->iov[1 + k] = (struct iovec){ next.ip + next.hdr_len, next.payload };
			w->bytes += next.len;
			run_len += next.payload;
			last_flags = next.flags;
			prev = next;
			k++;
		} while (k < n && k < TUN_GRO_MAX_SEGMENTS &&
			 parse_segment(&next, pkts[k].data, pkts[k].len) &&
			 continues(&first, &prev, &next, run_len));
		rewrite_first(w, &first, run_len, last_flags);
	}
	w->iovcnt = 1 + k;
	w->packets = k;
	return k;
}

void tun_gro_undo(struct tun_gro_write *w)
{
	uint8_t *ip = w->first;
	uint8_t *tcp;

	if (!ip)
		return;
	tcp = ip + (w->vnet.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? IPV4_HDR : IPV6_HDR);
	if (w->vnet.gso_type == VIRTIO_NET_HDR_GSO_TCPV4) {
		memcpy(ip + 2, w->saved_ip_len, 2);
		memcpy(ip + 10, w->saved_ip_csum, 2);
	} else {
		memcpy(ip + 4, w->saved_ip_len, 2);
	}
	tcp[13] = w->saved_tcp_flags;
	memcpy(tcp + TCP_CSUM_OFFSET, w->saved_tcp_csum, 2);
	w->first = NULL;
}
