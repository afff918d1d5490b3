/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Receive coalescing for the tun (tun-gro.c) and the Internet checksum under it
 * (inet-csum.c).  Packets are built here with a reference RFC 1071 sum of big-endian
 * words, so the inputs never depend on the code under test.  Every planned write is
 * checked in full: the virtio_net_hdr, every iovec, the rewritten first packet (lengths,
 * IPv4 header checksum, PSH, the partial TCP checksum completed the way the kernel would),
 * the later packets untouched, and a resegmentation the way the kernel's GSO does it must
 * give back the original packets byte for byte.  Each coalescing rule has table rows
 * showing where a run stops; truncated and garbage packets sit in exactly sized buffers
 * so ASan sees any read past them.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/byteorder.h"
#include "src/tun/inet-csum.h"
#include "src/tun/tun-gro.h"
#include "tests/inet-ref.h"

enum {
	MAX_PKTS = 80,			/* per table row */
	MAX_RUNS = 8,			/* expected writes per row, 0-terminated */
	VNET_LEN = 10,			/* the legacy virtio_net_hdr on the wire */
};

/* A native-order 16-bit result as it lies in memory, read as a big-endian word. */
static uint16_t wire(uint16_t native)
{
	uint8_t b[2];

	memcpy(b, &native, sizeof(b));
	return get_be16(b);
}


/* ---- packet builder ------------------------------------------------------------------- */

struct spec {
	bool v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint8_t ttl, tos;		/* hop limit and traffic class for IPv6 */
	uint32_t flow_label;
	uint16_t ip_id, frag;		/* frag: the IPv4 flags and fragment offset field */
	uint8_t ip_optlen;		/* IPv4 option bytes (NOPs), a multiple of 4 */
	uint8_t proto;
	uint8_t opt[40];		/* TCP options, a multiple of 4 */
	uint8_t optlen;
	uint32_t plen;
	uint8_t salt;
	uint32_t pad;			/* record bytes after the IP packet */
	bool neutral_pad;		/* 2 pad bytes the record-length TCP sum hides */
	uint8_t ip_proto;		/* if set, written over the protocol afterwards */
	bool set_doff;			/* write doff over the TCP data offset afterwards */
	uint8_t doff;
	bool bad_ip_csum, bad_l4_csum;
};

/* Payload bytes depend on the stream offset, so a misplaced chunk cannot match. */
static uint8_t pattern(uint32_t seq, uint8_t salt)
{
	return (uint8_t)((seq * 2654435761u) >> 24 ^ salt);
}

static void set_addrs(struct spec *s, bool v6, unsigned int flow)
{
	static const uint8_t v4_src[4] = { 10, 0, 0, 1 }, v4_dst[4] = { 10, 0, 0, 2 };
	static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	s->v6 = v6;
	memset(s->src, 0, sizeof(s->src));
	memset(s->dst, 0, sizeof(s->dst));
	if (v6) {
		memcpy(s->src, v6_src, 16);
		memcpy(s->dst, v6_dst, 16);
		s->src[13] = s->dst[13] = (uint8_t)flow;
	} else {
		memcpy(s->src, v4_src, 4);
		memcpy(s->dst, v4_dst, 4);
		s->src[2] = s->dst[2] = (uint8_t)flow;
	}
}

static void set_timestamps(struct spec *s, uint32_t tsval)
{
	static const uint8_t ts[12] = { 1, 1, 8, 10 };

	memcpy(s->opt, ts, sizeof(ts));
	put_be32(s->opt + 4, tsval);
	put_be32(s->opt + 8, 0x0badcafe);
	s->optlen = sizeof(ts);
}

/* A bulk-transfer segment of flow number flow; the sequence space wraps inside a run. */
static void default_spec(struct spec *s, bool v6, unsigned int flow)
{
	memset(s, 0, sizeof(*s));
	set_addrs(s, v6, flow);
	s->sport = (uint16_t)(443 + flow);
	s->dport = 50000;
	s->seq = 0xfffff000u + flow * 0x01000000u;
	s->ack = 0x12345678;
	s->flags = ACK;
	s->win = 502;
	s->ttl = 64;
	s->tos = 0x02;			/* ECT(0), so a CE mark is a TOS change */
	s->flow_label = 0x5a5a5 + flow;
	s->ip_id = (uint16_t)(0xfff0 + flow);
	s->frag = 0x4000;		/* DF */
	s->proto = IPPROTO_TCP;
	s->plen = 1000;
	s->salt = (uint8_t)(flow * 17);
}

static struct tun_gro_pkt build(const struct spec *s)
{
	uint32_t ip_hlen = s->v6 ? 40 : 20u + s->ip_optlen;
	uint32_t l4_hlen = s->proto == IPPROTO_TCP ? 20u + s->optlen : 8;
	uint32_t l4_len = l4_hlen + s->plen;
	uint32_t ip_len = ip_hlen + l4_len;
	struct tun_gro_pkt pkt = { .len = ip_len + s->pad };
	uint8_t *p, *l4;
	uint16_t csum;

	/* The length fields are 16 bits; a row asking for more is a bug in the row. */
	ck_assert_uint_le(s->v6 ? l4_len : ip_len, 65535);
	p = pkt.data = calloc(1, pkt.len);
	ck_assert_ptr_nonnull(p);
	if (s->v6) {
		p[0] = (uint8_t)(0x60 | s->tos >> 4);
		p[1] = (uint8_t)(s->tos << 4 | (s->flow_label >> 16 & 0xf));
		put_be16(p + 2, (uint16_t)s->flow_label);
		put_be16(p + 4, (uint16_t)l4_len);
		p[6] = s->proto;
		p[7] = s->ttl;
		memcpy(p + 8, s->src, 16);
		memcpy(p + 24, s->dst, 16);
	} else {
		p[0] = (uint8_t)(0x40 | ip_hlen / 4);
		p[1] = s->tos;
		put_be16(p + 2, (uint16_t)ip_len);
		put_be16(p + 4, s->ip_id);
		put_be16(p + 6, s->frag);
		p[8] = s->ttl;
		p[9] = s->proto;
		memcpy(p + 12, s->src, 4);
		memcpy(p + 16, s->dst, 4);
		memset(p + 20, 1, s->ip_optlen);
		csum = (uint16_t)~ref_fold(ref_sum(0, p, ip_hlen));
		put_be16(p + 10, s->bad_ip_csum ? csum ^ 0x0100 : csum);
	}
	l4 = p + ip_hlen;
	put_be16(l4, s->sport);
	put_be16(l4 + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		put_be32(l4 + 4, s->seq);
		put_be32(l4 + 8, s->ack);
		l4[12] = (uint8_t)(l4_hlen / 4 << 4);
		l4[13] = s->flags;
		put_be16(l4 + 14, s->win);
		memcpy(l4 + 20, s->opt, s->optlen);
	} else {
		put_be16(l4 + 4, (uint16_t)l4_len);
	}
	for (uint32_t i = 0; i < s->plen; i++)
		l4[l4_hlen + i] = pattern(s->seq + i, s->salt);
	csum = (uint16_t)~ref_fold(ref_sum(ref_pseudo(p, s->proto, l4_len), l4, l4_len));
	if (s->proto == IPPROTO_UDP && !csum)
		csum = 0xffff;
	if (s->bad_l4_csum)
		csum ^= 0x0100;
	put_be16(l4 + (s->proto == IPPROTO_TCP ? 16 : 6), csum);
	/* Padding that is not zero, so a length mix-up shows in the checksum too... */
	memset(p + ip_len, 0xee, s->pad);
	/*
	 * ...or exactly what makes a TCP sum over the record (pseudo-header length 2 more,
	 * the word fffd more) come out the same: then only the length check can tell.
	 */
	if (s->neutral_pad) {
		ck_assert_uint_eq(s->pad, 2);
		put_be16(p + ip_len, 0xfffd);
	}
	/* A bad data offset with a checksum that verifies: only the offset check can tell. */
	if (s->set_doff) {
		l4[12] = (uint8_t)(s->doff << 4);
		put_be16(l4 + 16, 0);
		put_be16(l4 + 16, (uint16_t)~ref_fold(ref_sum(ref_pseudo(p, s->proto, l4_len), l4,
							   l4_len)));
	}
	/* A TCP segment in all but the protocol number: only that check can tell. */
	if (s->ip_proto) {
		p[s->v6 ? 6 : 9] = s->ip_proto;
		if (!s->v6) {
			put_be16(p + 10, 0);
			put_be16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, ip_hlen)));
		}
	}
	return pkt;
}

/* ---- a batch of rx packets and the checks on every write ------------------------------ */

struct batch {
	struct tun_gro_pkt pkt[MAX_PKTS];
	uint8_t *copy[MAX_PKTS];	/* each packet as built */
	unsigned int n;
};

static void batch_add(struct batch *b, struct tun_gro_pkt pkt)
{
	ck_assert_uint_lt(b->n, MAX_PKTS);
	b->pkt[b->n] = pkt;
	b->copy[b->n] = dup_bytes(pkt.data, pkt.len);
	b->n++;
}

static void batch_free(struct batch *b)
{
	for (unsigned int i = 0; i < b->n; i++) {
		free(b->pkt[i].data);
		free(b->copy[i]);
	}
	b->n = 0;
}

/*
 * What the kernel's GSO makes of a super-packet: gso_size chunks of its payload, each
 * behind a copy of its headers with the lengths, IPv4 ID (incremented per segment, as
 * for a TCPv4 GSO packet without FIXEDID), sequence number and checksums fixed, PSH only
 * on the last.  Every segment must equal the original packet it came from.
 */
static void resegment(const uint8_t *big, uint32_t total, uint32_t ip_hlen, uint32_t hdr,
		      uint32_t gso, const struct batch *b, unsigned int first, unsigned int n,
		      const char *what)
{
	uint32_t off = hdr, seq0 = get_be32(big + ip_hlen + 4);
	uint16_t id0 = get_be16(big + 4);
	unsigned int k;

	for (k = 0; off < total; k++) {
		uint32_t chunk = total - off < gso ? total - off : gso;
		uint32_t len = hdr + chunk;
		uint8_t *seg = malloc(len), *th;

		ck_assert_msg(k < n, "%s: resegmenting gives more than %u packets", what, n);
		memcpy(seg, big, hdr);
		memcpy(seg + hdr, big + off, chunk);
		th = seg + ip_hlen;
		if (big[0] >> 4 == 6) {
			put_be16(seg + 4, (uint16_t)(len - 40));
		} else {
			put_be16(seg + 2, (uint16_t)len);
			put_be16(seg + 4, (uint16_t)(id0 + k));
			put_be16(seg + 10, 0);
			put_be16(seg + 10, (uint16_t)~ref_fold(ref_sum(0, seg, ip_hlen)));
		}
		put_be32(th + 4, seq0 + (off - hdr));
		if (k != n - 1)
			th[13] &= (uint8_t)~(PSH | FIN);
		put_be16(th + 16, 0);
		put_be16(th + 16, (uint16_t)~ref_fold(ref_sum(ref_pseudo(seg, IPPROTO_TCP,
								       len - ip_hlen),
							    th, len - ip_hlen)));
		ck_assert_msg(len == b->pkt[first + k].len && !memcmp(seg, b->copy[first + k], len),
			      "%s: segment %u of %u does not come back as sent", what, k, n);
		free(seg);
		off += chunk;
	}
	ck_assert_msg(k == n, "%s: resegmenting gives %u packets, not %u", what, k, n);
}

/* Checks one planned write of b's packets from first on, everything it promises. */
static void check_write(const struct tun_gro_write *w, const struct batch *b,
			unsigned int first, const char *what)
{
	static const struct virtio_net_hdr zero_vnet;
	const struct tun_gro_pkt *pkt = b->pkt + first;
	const uint8_t *orig = b->copy[first];
	unsigned int n = w->packets;
	uint32_t bytes = 0, ip_hlen, hdr, gso, total;
	uint8_t *big, *th, psh;
	bool v6;

	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, b->n - first);
	ck_assert_uint_le(n, TUN_GRO_MAX_SEGMENTS);
	ck_assert_uint_eq(w->iovcnt, n + 1);
	ck_assert_ptr_eq(w->iov[0].iov_base, &w->vnet);
	ck_assert_uint_eq(w->iov[0].iov_len, VNET_LEN);
	ck_assert_ptr_eq(w->iov[1].iov_base, pkt[0].data);
	ck_assert_uint_eq(w->iov[1].iov_len, pkt[0].len);
	for (unsigned int k = 0; k < n; k++)
		bytes += pkt[k].len;
	ck_assert_uint_eq(w->bytes, bytes);
	/* The later packets are read, never written. */
	for (unsigned int k = 1; k < n; k++)
		ck_assert_msg(!memcmp(pkt[k].data, b->copy[first + k], pkt[k].len),
			      "%s: packet %u of a run was modified", what, k);

	if (n == 1) {
		ck_assert_msg(!memcmp(&w->vnet, &zero_vnet, sizeof(zero_vnet)),
			      "%s: a lone packet's vnet header is not all zero", what);
		ck_assert_msg(!pkt[0].len || !memcmp(pkt[0].data, orig, pkt[0].len),
			      "%s: a lone packet was modified", what);
		return;
	}

	v6 = orig[0] >> 4 == 6;
	ip_hlen = v6 ? 40 : (orig[0] & 0xfu) * 4;
	hdr = ip_hlen + (orig[ip_hlen + 12] >> 4) * 4u;
	gso = pkt[0].len - hdr;
	for (unsigned int k = 1; k < n; k++) {
		ck_assert_ptr_eq(w->iov[k + 1].iov_base, pkt[k].data + hdr);
		ck_assert_uint_eq(w->iov[k + 1].iov_len, pkt[k].len - hdr);
	}
	ck_assert_uint_eq(w->vnet.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(w->vnet.gso_type,
			  v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(w->vnet.hdr_len, hdr);
	ck_assert_uint_eq(w->vnet.gso_size, gso);
	ck_assert_msg(gso > 0, "%s: a pure ACK led a run", what);
	ck_assert_uint_eq(w->vnet.csum_start, ip_hlen);
	ck_assert_uint_eq(w->vnet.csum_offset, 16);

	/* The super-packet the kernel sees: the iovecs after the vnet header, back to back. */
	total = 0;
	for (unsigned int k = 1; k < w->iovcnt; k++)
		total += (uint32_t)w->iov[k].iov_len;
	ck_assert_uint_eq(total, bytes - (n - 1) * hdr);
	ck_assert_uint_le(total, TUN_GRO_MAX_BYTES);
	big = malloc(total);
	total = 0;
	for (unsigned int k = 1; k < w->iovcnt; k++) {
		memcpy(big + total, w->iov[k].iov_base, w->iov[k].iov_len);
		total += (uint32_t)w->iov[k].iov_len;
	}
	if (v6) {
		ck_assert_uint_eq(get_be16(big + 4), total - 40);
	} else {
		ck_assert_uint_eq(get_be16(big + 2), total);
		ck_assert_msg(ref_fold(ref_sum(0, big, ip_hlen)) == 0xffff,
			      "%s: IPv4 header checksum does not verify", what);
	}
	th = big + ip_hlen;
	psh = b->copy[first + n - 1][ip_hlen + 13] & PSH;
	ck_assert_uint_eq(th[13], orig[ip_hlen + 13] | psh);
	/* NEEDS_CSUM: the field holds the pseudo-header sum of the whole run, folded. */
	ck_assert_msg(get_be16(th + 16) == ref_fold(ref_pseudo(big, IPPROTO_TCP, total - ip_hlen)),
		      "%s: TCP checksum field %04x is not the pseudo-header sum %04x", what,
		      get_be16(th + 16), ref_fold(ref_pseudo(big, IPPROTO_TCP, total - ip_hlen)));
	ck_assert_int_eq(inet_csum_finish(big, total, ip_hlen, 16), 0);
	ck_assert_msg(ref_fold(ref_sum(ref_pseudo(big, IPPROTO_TCP, total - ip_hlen), th,
				       total - ip_hlen)) == 0xffff,
		      "%s: the completed TCP checksum does not verify", what);
	resegment(big, total, ip_hlen, hdr, gso, b, first, n, what);
	free(big);
}

/* Plans the whole batch write by write; expect lists the packets per write, 0-ended. */
static void plan_all(struct batch *b, const unsigned int *expect, const char *what)
{
	struct tun_gro_write w;
	unsigned int i = 0, k = 0, got;

	while (i < b->n) {
		/* Stale bytes in w must not leak into a write. */
		memset(&w, 0xa5, sizeof(w));
		got = tun_gro_plan(&w, b->pkt + i, b->n - i);
		ck_assert_uint_eq(got, w.packets);
		ck_assert_msg(k < MAX_RUNS && expect[k] && got == expect[k],
			      "%s: write %u took %u packets, expected %u", what, k, got,
			      k < MAX_RUNS ? expect[k] : 0);
		check_write(&w, b, i, what);
		i += got;
		k++;
	}
	ck_assert_msg(k == MAX_RUNS || !expect[k], "%s: %u writes, expected more", what, k);
}

/* ---- coalescing rules: where does a run stop? ----------------------------------------- */

enum fam { V4 = 1, V6 = 2, BOTH = 3 };

enum mod {
	M_NONE,
	M_SRC, M_DST, M_SPORT, M_DPORT, M_ACK, M_WIN, M_TTL, M_TOS, M_FLOW_LABEL,
	M_TS,			/* other timestamp value */
	M_NO_OPTS, M_ADD_OPTS,
	M_SEQ,			/* seq plus val (later segments follow this one) */
	M_FLAGS,		/* TCP flags = val */
	M_PLEN,			/* payload length = val */
	M_IP_OPTS, M_FRAG,	/* IPv4 options; frag field = val */
	M_BAD_IP_CSUM, M_BAD_TCP_CSUM,
	M_PAD,			/* record longer than the IP packet */
	M_PAD_NEUTRAL,		/* payload val and 2 pad bytes invisible to the TCP sum */
	M_PROTO,		/* IP protocol / next header = val on a TCP segment */
	M_DOFF,			/* TCP data offset val; seq follows what it makes payload */
	M_UDP, M_FAMILY,
};

enum { ALL = 255 };		/* a rule row's change made to every segment */

struct rule_row {
	const char *what;
	enum fam fam;
	unsigned int n;
	uint32_t plen;
	bool ts;			/* every segment carries timestamps */
	unsigned int at;		/* the segment the change is made to */
	enum mod mod;
	uint32_t val;
	unsigned int expect[MAX_RUNS];
};

static const struct rule_row rule_table[] = {
	{ "four in order", BOTH, 4, 1000, false, 0, M_NONE, 0, { 4 } },
	{ "four with timestamps", BOTH, 4, 1000, true, 0, M_NONE, 0, { 4 } },
	{ "two", BOTH, 2, 1448, false, 0, M_NONE, 0, { 2 } },
	{ "one (n == 1)", BOTH, 1, 1000, false, 0, M_NONE, 0, { 1 } },
	{ "one-byte segments", BOTH, 5, 1, false, 0, M_NONE, 0, { 5 } },
	{ "odd segment size", BOTH, 3, 999, false, 0, M_NONE, 0, { 3 } },
	/* The flow and what GRO insists stays the same within it. */
	{ "source address", BOTH, 4, 1000, false, 2, M_SRC, 0, { 2, 1, 1 } },
	{ "destination address", BOTH, 4, 1000, false, 2, M_DST, 0, { 2, 1, 1 } },
	{ "source port", BOTH, 4, 1000, false, 2, M_SPORT, 0, { 2, 1, 1 } },
	{ "destination port", BOTH, 4, 1000, false, 2, M_DPORT, 0, { 2, 1, 1 } },
	{ "ACK number", BOTH, 4, 1000, false, 2, M_ACK, 1, { 2, 1, 1 } },
	{ "ACK number high byte", BOTH, 4, 1000, false, 2, M_ACK, 0x01000000, { 2, 1, 1 } },
	{ "window", BOTH, 4, 1000, false, 2, M_WIN, 0, { 2, 1, 1 } },
	{ "TTL / hop limit", BOTH, 4, 1000, false, 2, M_TTL, 0, { 2, 1, 1 } },
	{ "TOS / traffic class", BOTH, 4, 1000, false, 2, M_TOS, 0x12, { 2, 1, 1 } },
	{ "ECN CE mark", BOTH, 4, 1000, false, 2, M_TOS, 0x03, { 2, 1, 1 } },
	{ "flow label", V6, 4, 1000, false, 2, M_FLOW_LABEL, 0, { 2, 1, 1 } },
	{ "timestamp value", BOTH, 4, 1000, true, 2, M_TS, 0, { 2, 1, 1 } },
	{ "options dropped", BOTH, 4, 1000, true, 2, M_NO_OPTS, 0, { 2, 1, 1 } },
	{ "options added", BOTH, 4, 1000, false, 2, M_ADD_OPTS, 0, { 2, 1, 1 } },
	{ "options only on the first", BOTH, 3, 1000, false, 0, M_ADD_OPTS, 0, { 1, 2 } },
	{ "IP version", BOTH, 4, 1000, false, 2, M_FAMILY, 0, { 2, 1, 1 } },
	{ "UDP in the middle", BOTH, 4, 1000, false, 2, M_UDP, 0, { 2, 1, 1 } },
	{ "UDP first", BOTH, 4, 1000, false, 0, M_UDP, 0, { 1, 3 } },
	/* Sequence numbers. */
	{ "one-byte gap", BOTH, 4, 1000, false, 2, M_SEQ, 1, { 2, 2 } },
	{ "retransmission", BOTH, 4, 1000, false, 2, M_SEQ, (uint32_t)-1000, { 2, 2 } },
	{ "gap after the first", BOTH, 4, 1000, false, 1, M_SEQ, 1000, { 1, 3 } },
	/* Flags: only ACK, or ACK|PSH ending the run. */
	{ "PSH on the last", BOTH, 4, 1000, false, 3, M_FLAGS, ACK | PSH, { 4 } },
	{ "PSH on the second", BOTH, 4, 1000, false, 1, M_FLAGS, ACK | PSH, { 2, 2 } },
	{ "PSH on the first", BOTH, 4, 1000, false, 0, M_FLAGS, ACK | PSH, { 1, 3 } },
	{ "SYN", BOTH, 4, 1000, false, 2, M_FLAGS, ACK | SYN, { 2, 1, 1 } },
	{ "SYN first", BOTH, 4, 1000, false, 0, M_FLAGS, SYN, { 1, 3 } },
	{ "FIN", BOTH, 4, 1000, false, 2, M_FLAGS, ACK | FIN, { 2, 1, 1 } },
	{ "FIN last", BOTH, 4, 1000, false, 3, M_FLAGS, ACK | FIN, { 3, 1 } },
	{ "FIN|PSH last", BOTH, 4, 1000, false, 3, M_FLAGS, ACK | PSH | FIN, { 3, 1 } },
	{ "RST", BOTH, 4, 1000, false, 2, M_FLAGS, ACK | RST, { 2, 1, 1 } },
	{ "URG", BOTH, 4, 1000, false, 2, M_FLAGS, ACK | URG, { 2, 1, 1 } },
	{ "ECE", BOTH, 4, 1000, false, 2, M_FLAGS, ACK | ECE, { 2, 1, 1 } },
	{ "CWR", BOTH, 4, 1000, false, 2, M_FLAGS, ACK | CWR, { 2, 1, 1 } },
	{ "CWR first", BOTH, 4, 1000, false, 0, M_FLAGS, ACK | CWR, { 1, 3 } },
	{ "no ACK", BOTH, 4, 1000, false, 2, M_FLAGS, 0, { 2, 1, 1 } },
	{ "PSH without ACK", BOTH, 4, 1000, false, 2, M_FLAGS, PSH, { 2, 1, 1 } },
	/* Segment sizes. */
	{ "shorter third ends the run", BOTH, 4, 1000, false, 2, M_PLEN, 500, { 3, 1 } },
	{ "shorter last", BOTH, 4, 1000, false, 3, M_PLEN, 1, { 4 } },
	{ "longer third", BOTH, 4, 1000, false, 2, M_PLEN, 1400, { 2, 2 } },
	{ "shorter first", BOTH, 4, 1000, false, 0, M_PLEN, 999, { 1, 3 } },
	{ "pure ACK second", BOTH, 4, 1000, false, 1, M_PLEN, 0, { 1, 1, 2 } },
	{ "pure ACK first", BOTH, 4, 1000, false, 0, M_PLEN, 0, { 1, 3 } },
	{ "pure ACK last", BOTH, 4, 1000, false, 3, M_PLEN, 0, { 3, 1 } },
	{ "all pure ACKs", BOTH, 3, 0, false, 0, M_NONE, 0, { 1, 1, 1 } },
	/* IPv4 headers GRO will not merge. */
	{ "IPv4 options", V4, 4, 1000, false, 2, M_IP_OPTS, 4, { 2, 1, 1 } },
	{ "IPv4 options first", V4, 4, 1000, false, 0, M_IP_OPTS, 8, { 1, 3 } },
	{ "more fragments", V4, 4, 1000, false, 2, M_FRAG, 0x2000, { 2, 1, 1 } },
	{ "fragment offset", V4, 4, 1000, false, 2, M_FRAG, 0x0010, { 2, 1, 1 } },
	{ "first fragment first", V4, 4, 1000, false, 0, M_FRAG, 0x2000, { 1, 3 } },
	/* All alike, so only the fragment check itself can stop them. */
	{ "all more fragments", V4, 4, 1000, false, ALL, M_FRAG, 0x2000, { 1, 1, 1, 1 } },
	{ "all DF with an offset", V4, 3, 1000, false, ALL, M_FRAG, 0x4010, { 1, 1, 1 } },
	{ "all MF and an offset", V4, 3, 1000, false, ALL, M_FRAG, 0x20b9, { 1, 1, 1 } },
	{ "bad IPv4 checksum", V4, 4, 1000, false, 2, M_BAD_IP_CSUM, 0, { 2, 1, 1 } },
	{ "bad IPv4 checksum first", V4, 4, 1000, false, 0, M_BAD_IP_CSUM, 0, { 1, 3 } },
	/* The kernel trusts a GSO packet's checksum: a corrupt segment must go alone. */
	{ "bad TCP checksum first", BOTH, 4, 1000, false, 0, M_BAD_TCP_CSUM, 0, { 1, 3 } },
	{ "bad TCP checksum second", BOTH, 4, 1000, false, 1, M_BAD_TCP_CSUM, 0, { 1, 1, 2 } },
	{ "bad TCP checksum third", BOTH, 4, 1000, false, 2, M_BAD_TCP_CSUM, 0, { 2, 1, 1 } },
	{ "bad TCP checksum last", BOTH, 4, 1000, false, 3, M_BAD_TCP_CSUM, 0, { 3, 1 } },
	{ "record padded", BOTH, 4, 1000, false, 2, M_PAD, 1, { 2, 1, 1 } },
	{ "record padded first", BOTH, 4, 1000, false, 0, M_PAD, 6, { 1, 3 } },
	{ "record padded to full size", BOTH, 4, 1000, false, 2, M_PAD_NEUTRAL, 998, { 2, 1, 1 } },
	{ "record padded, short last", BOTH, 4, 1000, false, 3, M_PAD_NEUTRAL, 500, { 3, 1 } },
	{ "record padded, second", BOTH, 4, 1000, false, 1, M_PAD_NEUTRAL, 998, { 1, 1, 2 } },
	{ "UDP number on TCP", BOTH, 4, 1000, false, 2, M_PROTO, IPPROTO_UDP, { 2, 1, 1 } },
	{ "UDP number on TCP first", BOTH, 4, 1000, false, 0, M_PROTO, IPPROTO_UDP, { 1, 3 } },
	{ "all with protocol 253", BOTH, 3, 1000, false, ALL, M_PROTO, 253, { 1, 1, 1 } },
	/* Data offsets below 5: the TCP header would overlap itself. */
	{ "all with data offset 4", BOTH, 3, 1000, false, ALL, M_DOFF, 4, { 1, 1, 1 } },
	{ "all with data offset 0", BOTH, 3, 1000, false, ALL, M_DOFF, 0, { 1, 1, 1 } },
	/* The caps. */
	{ "64 segments", BOTH, 64, 100, false, 0, M_NONE, 0, { 64 } },
	{ "65 segments", BOTH, 65, 100, false, 0, M_NONE, 0, { 64, 1 } },
	{ "70 segments", BOTH, 70, 100, false, 0, M_NONE, 0, { 64, 6 } },
	{ "64 KB in 1460s", BOTH, 50, 1460, false, 0, M_NONE, 0, { 44, 6 } },
	/* 40 + 44 * 1460 + 1255 == 65535 exactly; one byte more does not fit. */
	{ "exactly 65535", V4, 45, 1460, false, 44, M_PLEN, 1255, { 45 } },
	{ "65536", V4, 45, 1460, false, 44, M_PLEN, 1256, { 44, 1 } },
	{ "exactly 65535 with options", V4, 45, 1460, true, 44, M_PLEN, 1243, { 45 } },
	{ "65536 with options", V4, 45, 1460, true, 44, M_PLEN, 1244, { 44, 1 } },
	{ "exactly 65535 IPv6", V6, 45, 1460, false, 44, M_PLEN, 1235, { 45 } },
	{ "64 segments of 1020", BOTH, 64, 1020, false, 0, M_NONE, 0, { 64 } },
};

static void apply_mod(struct spec *s, const struct rule_row *r)
{
	switch (r->mod) {
	case M_NONE:
		break;
	case M_SRC:
		s->src[s->v6 ? 15 : 3] ^= 0x80;
		break;
	case M_DST:
		s->dst[s->v6 ? 15 : 3] ^= 0x80;
		break;
	case M_SPORT:
		s->sport++;
		break;
	case M_DPORT:
		s->dport++;
		break;
	case M_ACK:
		s->ack += r->val;
		break;
	case M_WIN:
		s->win++;
		break;
	case M_TTL:
		s->ttl--;
		break;
	case M_TOS:
		s->tos = (uint8_t)r->val;
		break;
	case M_FLOW_LABEL:
		s->flow_label ^= 1;
		break;
	case M_TS:
		s->opt[7]++;
		break;
	case M_NO_OPTS:
		s->optlen = 0;
		break;
	case M_ADD_OPTS:
		set_timestamps(s, 77);
		break;
	case M_SEQ:
		s->seq += r->val;
		break;
	case M_FLAGS:
		s->flags = (uint8_t)r->val;
		break;
	case M_PLEN:
		s->plen = r->val;
		break;
	case M_IP_OPTS:
		s->ip_optlen = (uint8_t)r->val;
		break;
	case M_FRAG:
		s->frag = (uint16_t)r->val;
		break;
	case M_BAD_IP_CSUM:
		s->bad_ip_csum = true;
		break;
	case M_BAD_TCP_CSUM:
		s->bad_l4_csum = true;
		break;
	case M_PAD:
		s->pad = r->val;
		break;
	case M_PAD_NEUTRAL:
		s->plen = r->val;
		s->pad = 2;
		s->neutral_pad = true;
		break;
	case M_PROTO:
		s->ip_proto = (uint8_t)r->val;
		break;
	case M_DOFF:
		s->set_doff = true;
		s->doff = (uint8_t)r->val;
		break;
	case M_UDP:
		s->proto = IPPROTO_UDP;
		break;
	case M_FAMILY:
		set_addrs(s, !s->v6, 0);
		break;
	}
}

/* The row's segments: one flow, in order, with the row's change made to segment at. */
static void build_row(struct batch *b, const struct rule_row *r, bool v6)
{
	struct spec s;
	uint32_t seq;

	default_spec(&s, v6, 0);
	seq = s.seq;
	for (unsigned int k = 0; k < r->n; k++) {
		default_spec(&s, v6, 0);
		s.seq = seq;
		s.ip_id = (uint16_t)(s.ip_id + k);
		s.plen = r->plen;
		if (r->ts)
			set_timestamps(&s, 1000);
		if (k == r->at || r->at == ALL)
			apply_mod(&s, r);
		seq = s.seq + s.plen;
		/* What a planner trusting the data offset would take for payload. */
		if (s.set_doff)
			seq += 20u + s.optlen - 4u * s.doff;
		batch_add(b, build(&s));
	}
}

START_TEST(test_rules)
{
	const struct rule_row *r = &rule_table[_i / 2];
	bool v6 = _i & 1;
	struct batch b = { .n = 0 };
	char what[96];

	if (!(r->fam & (v6 ? V6 : V4)))
		return;
	snprintf(what, sizeof(what), "%s (IPv%d)", r->what, v6 ? 6 : 4);
	build_row(&b, r, v6);
	plan_all(&b, r->expect, what);
	batch_free(&b);
}
END_TEST

/* ---- garbage goes alone, and nothing reads past a record ------------------------------ */

enum garbage {
	G_EMPTY, G_ONE, G_V4_19, G_V4_IP_ONLY, G_V4_TCP_CUT, G_V4_TOT_LONG, G_V4_TOT_TINY,
	G_V4_IHL_4, G_V4_IHL_15, G_DOFF_4, G_DOFF_0, G_DOFF_BEYOND, G_DOFF_TO_END,
	G_V6_39, G_V6_IP_ONLY, G_V6_TCP_CUT, G_V6_PLEN_LONG, G_V6_DOFF_BEYOND, G_V6_EXT_HDR,
	G_VERSION_0, G_VERSION_5, G_NOISE,
};

static const struct {
	enum garbage kind;
	const char *what;
} garbage_table[] = {
	{ G_EMPTY, "empty record" },
	{ G_ONE, "one byte" },
	{ G_V4_19, "19 bytes of IPv4 header" },
	{ G_V4_IP_ONLY, "IPv4 header and no TCP header" },
	{ G_V4_TCP_CUT, "IPv4 with 10 bytes of TCP header" },
	{ G_V4_TOT_LONG, "IPv4 total length beyond the record" },
	{ G_V4_TOT_TINY, "IPv4 total length below its header" },
	{ G_V4_IHL_4, "IPv4 IHL 4" },
	{ G_V4_IHL_15, "IPv4 IHL 15 beyond the record" },
	{ G_DOFF_4, "TCP data offset 4" },
	{ G_DOFF_0, "TCP data offset 0" },
	{ G_DOFF_BEYOND, "TCP data offset beyond the packet" },
	{ G_DOFF_TO_END, "TCP header to the last byte, no payload" },
	{ G_V6_39, "39 bytes of IPv6 header" },
	{ G_V6_IP_ONLY, "IPv6 header and no TCP header" },
	{ G_V6_TCP_CUT, "IPv6 with 10 bytes of TCP header" },
	{ G_V6_PLEN_LONG, "IPv6 payload length beyond the record" },
	{ G_V6_DOFF_BEYOND, "IPv6 TCP data offset beyond the packet" },
	{ G_V6_EXT_HDR, "IPv6 hop-by-hop header before TCP" },
	{ G_VERSION_0, "IP version 0" },
	{ G_VERSION_5, "IP version 5" },
	{ G_NOISE, "noise after 0x45" },
};

/* Fixes the IPv4 header checksum so only the intended defect is left. */
static void fix_ip_csum(uint8_t *p, uint32_t hlen)
{
	put_be16(p + 10, 0);
	put_be16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, hlen)));
}

/*
 * Recomputes the TCP checksum over what the IP header claims (it must lie in the record)
 * with the TCP header where it is, so a planner that checks the sum first still has to
 * cope with the defect.
 */
static void fix_tcp_csum(uint8_t *p)
{
	bool v6 = p[0] >> 4 == 6;
	uint32_t ip_hlen = v6 ? 40 : 20;
	uint32_t l4_len = v6 ? get_be16(p + 4) : get_be16(p + 2) - ip_hlen;

	put_be16(p + ip_hlen + 16, 0);
	put_be16(p + ip_hlen + 16, (uint16_t)~ref_fold(ref_sum(ref_pseudo(p, IPPROTO_TCP, l4_len),
							    p + ip_hlen, l4_len)));
}

/* Keeps the first len bytes of a packet, in a buffer of exactly that size. */
static struct tun_gro_pkt cut(struct tun_gro_pkt pkt, uint32_t len)
{
	struct tun_gro_pkt out = { .data = dup_bytes(pkt.data, len), .len = len };

	free(pkt.data);
	return out;
}

static struct tun_gro_pkt make_garbage(enum garbage kind)
{
	struct tun_gro_pkt pkt;
	struct spec s;

	default_spec(&s, kind >= G_V6_39 && kind <= G_V6_EXT_HDR, 3);
	s.plen = 10;
	pkt = build(&s);
	switch (kind) {
	case G_EMPTY:
		free(pkt.data);
		pkt.data = malloc(0);
		pkt.len = 0;
		break;
	case G_ONE:
		pkt = cut(pkt, 1);
		break;
	case G_V4_19:
		pkt = cut(pkt, 19);
		break;
	case G_V4_IP_ONLY:
		put_be16(pkt.data + 2, 20);
		fix_ip_csum(pkt.data, 20);
		pkt = cut(pkt, 20);
		break;
	case G_V4_TCP_CUT:
		put_be16(pkt.data + 2, 30);
		fix_ip_csum(pkt.data, 20);
		fix_tcp_csum(pkt.data);
		pkt = cut(pkt, 30);
		break;
	case G_V4_TOT_LONG:
		free(pkt.data);
		s.plen = 1000;
		pkt = cut(build(&s), 60);
		break;
	case G_V4_TOT_TINY:
		put_be16(pkt.data + 2, 10);
		fix_ip_csum(pkt.data, 20);
		break;
	case G_V4_IHL_4:
		pkt.data[0] = 0x44;
		fix_ip_csum(pkt.data, 20);
		break;
	case G_V4_IHL_15:
		pkt.data[0] = 0x4f;
		break;
	case G_DOFF_4:
		pkt.data[20 + 12] = 4 << 4;
		fix_tcp_csum(pkt.data);
		break;
	case G_DOFF_0:
		pkt.data[20 + 12] = 0;
		fix_tcp_csum(pkt.data);
		break;
	case G_DOFF_BEYOND:
		pkt.data[20 + 12] = 15 << 4;	/* 60 bytes of TCP header in 30 */
		fix_tcp_csum(pkt.data);
		break;
	case G_DOFF_TO_END:
		/* A 28-byte TCP header ending at the last byte: a pure ACK, valid but alone. */
		pkt.data[20 + 12] = 7 << 4;
		put_be16(pkt.data + 2, 48);
		fix_ip_csum(pkt.data, 20);
		fix_tcp_csum(pkt.data);
		pkt = cut(pkt, 48);
		break;
	case G_V6_39:
		pkt = cut(pkt, 39);
		break;
	case G_V6_IP_ONLY:
		put_be16(pkt.data + 4, 0);
		pkt = cut(pkt, 40);
		break;
	case G_V6_TCP_CUT:
		put_be16(pkt.data + 4, 10);
		fix_tcp_csum(pkt.data);
		pkt = cut(pkt, 50);
		break;
	case G_V6_PLEN_LONG:
		free(pkt.data);
		s.plen = 1000;
		pkt = cut(build(&s), 80);
		break;
	case G_V6_DOFF_BEYOND:
		pkt.data[40 + 12] = 15 << 4;
		fix_tcp_csum(pkt.data);
		break;
	case G_V6_EXT_HDR:
		pkt.data[6] = 0;		/* hop-by-hop: TCP is not at 40 */
		break;
	case G_VERSION_0:
		pkt.data[0] &= 0x0f;
		break;
	case G_VERSION_5:
		pkt.data[0] = (uint8_t)(0x50 | (pkt.data[0] & 0x0f));
		break;
	case G_NOISE:
		for (uint32_t i = 1; i < pkt.len; i++)
			pkt.data[i] = (uint8_t)(i * 97 + 13);
		break;
	}
	return pkt;
}

/*
 * Each garbage packet alone, first, second of two and in the middle of a run; ahead of
 * it the planner must stop, after it the good ones coalesce again.
 */
START_TEST(test_garbage)
{
	static const unsigned int alone[] = { 1, 0 }, first[] = { 1, 2, 0 },
		second[] = { 1, 1, 0 }, middle[] = { 2, 1, 1, 0 };
	static const char *const place[] = { "alone", "first", "second of two", "in a run" };
	enum garbage kind = garbage_table[_i / 4].kind;
	unsigned int where = _i % 4;
	struct batch b = { .n = 0 };
	const unsigned int *expect;
	char what[96];
	struct spec s;

	snprintf(what, sizeof(what), "%s (%s)", garbage_table[_i / 4].what, place[where]);
	default_spec(&s, false, 0);
	switch (where) {
	case 0:
		batch_add(&b, make_garbage(kind));
		expect = alone;
		break;
	case 1:
		batch_add(&b, make_garbage(kind));
		batch_add(&b, build(&s));
		s.seq += s.plen;
		s.ip_id++;
		batch_add(&b, build(&s));
		expect = first;
		break;
	case 2:
		batch_add(&b, build(&s));
		batch_add(&b, make_garbage(kind));
		expect = second;
		break;
	default:
		batch_add(&b, build(&s));
		s.seq += s.plen;
		s.ip_id++;
		batch_add(&b, build(&s));
		batch_add(&b, make_garbage(kind));
		s.seq += s.plen;
		s.ip_id++;
		batch_add(&b, build(&s));
		expect = middle;
		break;
	}
	plan_all(&b, expect, what);
	batch_free(&b);
}
END_TEST

/* ---- whole batches -------------------------------------------------------------------- */

/* Flows: 'A' IPv4 TCP, 'B' IPv6 TCP, 'C' another IPv4 TCP, 'U' IPv4 UDP. */
struct bseg {
	char flow;
	uint32_t plen;
	uint8_t flags;
};

/* Flows as above; a segment is ACK only unless marked _P (ACK|PSH). */
#define A(len) { 'A', len, ACK }
#define A_P(len) { 'A', len, ACK | PSH }
#define B(len) { 'B', len, ACK }
#define B_P(len) { 'B', len, ACK | PSH }
#define C(len) { 'C', len, ACK }
#define U(len) { 'U', len, 0 }

static const struct {
	const char *what;
	struct bseg seg[MAX_PKTS];
	unsigned int expect[MAX_RUNS];
} batch_table[] = {
	{ "mixed",
	  { A(1200), A(1200), A(1200), A(1200), A(1200), U(300), B(1400), B(1400), B(1400),
	    B(0), A(1200), A(1200) },
	  { 5, 1, 3, 1, 2 } },
	{ "interleaved",
	  { A(1000), B(1000), A(1000), B(1000), A(1000), B(1000) },
	  { 1, 1, 1, 1, 1, 1 } },
	{ "push splits",
	  { A(1000), A(1000), A_P(1000), A(1000), A_P(1000) },
	  { 3, 2 } },
	{ "short segment splits",
	  { A(1000), A(1000), A(500), A(1000), A(1000) },
	  { 3, 2 } },
	{ "flows back to back",
	  { A(800), A(800), A(800), C(800), C(800), C(8), A(800), A(800), A(800) },
	  { 3, 3, 3 } },
	{ "IPv6 with a short last, then IPv4",
	  { B(1300), B(1300), B(1300), B_P(100), A(1300), A(1300) },
	  { 4, 2 } },
	{ "pure ACKs between",
	  { A(1000), A(0), A(1000), A(0), U(1), U(1) },
	  { 1, 1, 1, 1, 1, 1 } },
};

#undef A
#undef A_P
#undef B
#undef B_P
#undef C
#undef U

static unsigned int batch_len(unsigned int row)
{
	unsigned int n = 0;

	while (n < MAX_PKTS && batch_table[row].seg[n].flow)
		n++;
	return n;
}

START_TEST(test_batch)
{
	struct spec flow[4];		/* A, B, C, U: the next segment of each */
	struct batch b = { .n = 0 };
	unsigned int n = batch_len((unsigned int)_i);

	default_spec(&flow[0], false, 0);
	default_spec(&flow[1], true, 1);
	default_spec(&flow[2], false, 2);
	default_spec(&flow[3], false, 3);
	flow[3].proto = IPPROTO_UDP;
	for (unsigned int k = 0; k < n; k++) {
		const struct bseg *g = &batch_table[_i].seg[k];
		struct spec *s = &flow[g->flow == 'A' ? 0 : g->flow == 'B' ? 1 :
				       g->flow == 'C' ? 2 : 3];

		s->plen = g->plen;
		s->flags = g->flags;
		batch_add(&b, build(s));
		s->seq += s->plen;
		s->ip_id++;
	}
	plan_all(&b, batch_table[_i].expect, batch_table[_i].what);
	batch_free(&b);
}
END_TEST

/* The same run planned twice from fresh copies gives the same bytes: no hidden state. */
START_TEST(test_repeatable)
{
	static const struct rule_row r = { "repeat", BOTH, 6, 1000, true, 5, M_PLEN, 10, { 6 } };
	struct batch b1 = { .n = 0 }, b2 = { .n = 0 };
	struct tun_gro_write w1, w2;

	build_row(&b1, &r, false);
	build_row(&b2, &r, false);
	ck_assert_uint_eq(tun_gro_plan(&w1, b1.pkt, b1.n), 6);
	ck_assert_uint_eq(tun_gro_plan(&w2, b2.pkt, b2.n), 6);
	ck_assert(!memcmp(&w1.vnet, &w2.vnet, sizeof(w1.vnet)));
	ck_assert(!memcmp(b1.pkt[0].data, b2.pkt[0].data, b1.pkt[0].len));
	check_write(&w1, &b1, 0, "repeat");
	batch_free(&b1);
	batch_free(&b2);
}
END_TEST

/*
 * tun_gro_undo() gives back the first packet exactly as it was, so a run the kernel
 * refused can go packet by packet; on a lone packet it changes nothing.  Rows: IPv4 and
 * IPv6, with and without PSH on the last segment (which the rewrite copies forward).
 */
START_TEST(test_undo)
{
	const bool v6 = _i & 1, psh_last = _i & 2;
	struct batch b = { .n = 0 };
	struct tun_gro_write w;
	struct spec sp;

	default_spec(&sp, v6, 1);
	for (unsigned int i = 0; i < 4; i++) {
		if (i == 3 && psh_last)
			sp.flags = ACK | PSH;
		batch_add(&b, build(&sp));
		sp.seq += sp.plen;
	}
	ck_assert_uint_eq(tun_gro_plan(&w, b.pkt, b.n), 4);
	ck_assert(memcmp(b.pkt[0].data, b.copy[0], b.pkt[0].len));
	tun_gro_undo(&w);
	for (unsigned int i = 0; i < b.n; i++)
		ck_assert_msg(!memcmp(b.pkt[i].data, b.copy[i], b.pkt[i].len), "packet %u", i);
	/* Twice is harmless, and so is a lone packet's plan. */
	tun_gro_undo(&w);
	ck_assert_uint_eq(tun_gro_plan(&w, b.pkt + 3, 1), 1);
	tun_gro_undo(&w);
	ck_assert(!memcmp(b.pkt[0].data, b.copy[0], b.pkt[0].len));
	ck_assert(!memcmp(b.pkt[3].data, b.copy[3], b.pkt[3].len));
	batch_free(&b);
}
END_TEST

/* ---- the Internet checksum ------------------------------------------------------------ */

START_TEST(test_csum_rfc1071_example)
{
	static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	/* RFC 1071 §3: the folded sum is ddf2, its complement 220d. */
	ck_assert_uint_eq(wire(inet_csum_fold(inet_csum_add(0, ex, sizeof(ex)))), 0xddf2);
	ck_assert_uint_eq(wire((uint16_t)~inet_csum_fold(inet_csum_add(0, ex, sizeof(ex)))),
			  0x220d);
	/* In pieces: even lengths first, the sum carried along. */
	ck_assert_uint_eq(wire(inet_csum_fold(inet_csum_add(inet_csum_add(0, ex, 2), ex + 2, 6))),
			  0xddf2);
	ck_assert_uint_eq(wire(inet_csum_fold(inet_csum_add(inet_csum_add(0, ex, 4), ex + 4, 4))),
			  0xddf2);
}
END_TEST

START_TEST(test_csum_ipv4_header)
{
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t csum;

	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0, h, sizeof(h))), 0xffff);
	h[10] = h[11] = 0;
	csum = (uint16_t)~inet_csum_fold(inet_csum_add(0, h, sizeof(h)));
	memcpy(h + 10, &csum, 2);	/* a native store puts the wire bytes in place */
	ck_assert_uint_eq(h[10], 0xb8);
	ck_assert_uint_eq(h[11], 0x61);
}
END_TEST

/* Folding is plain end-around carry arithmetic, whatever the byte order. */
static const struct {
	uint64_t sum;
	uint16_t folded;
} fold_table[] = {
	{ 0, 0 },
	{ 0x1234, 0x1234 },
	{ 0xffff, 0xffff },
	{ 0x10000, 0x0001 },
	{ 0x1fffe, 0xffff },
	{ 0x2fffd, 0xffff },
	{ 0x12345678, 0x68ac },
	{ 0xffffffff, 0xffff },
	{ 0x100000000ull, 0x0001 },
	{ 0x0001000000000000ull, 0x0001 },
	{ 0x8000800080008000ull, 0x0002 },
	{ 0xfffffffffffffffeull, 0xfffe },
	{ 0xffffffffffffffffull, 0xffff },
};

START_TEST(test_csum_fold)
{
	ck_assert_msg(inet_csum_fold(fold_table[_i].sum) == fold_table[_i].folded,
		      "fold(%llx) = %x, not %x", (unsigned long long)fold_table[_i].sum,
		      inet_csum_fold(fold_table[_i].sum), fold_table[_i].folded);
}
END_TEST

static const uint32_t csum_lens[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
	255, 1023, 1499, 1500, 9001, 65535, 65536,
};

/* Every length and alignment against the reference, ones and noise alike. */
START_TEST(test_csum_lengths)
{
	uint32_t len = csum_lens[_i];

	for (uint32_t align = 0; align < 8; align++) {
		for (int fill = 0; fill < 3; fill++) {
			/* Exactly sized: a read past the end is an ASan report. */
			uint8_t *buf = malloc(align + len), *p = buf + align;

			for (uint32_t i = 0; i < len; i++)
				p[i] = fill == 0 ? 0xff : fill == 1 ? 0 : (uint8_t)(i * 131 + len);
			ck_assert_msg(wire(inet_csum_fold(inet_csum_add(0, p, len))) ==
				      ref_fold(ref_sum(0, p, len)),
				      "len %u align %u fill %d", len, align, fill);
			/* Split at every even point near the start, and in the middle. */
			for (uint32_t k = 0; k <= len && k < 16; k += 2) {
				uint64_t sum = inet_csum_add(0, p, k);

				sum = inet_csum_add(sum, p + k, len - k);
				ck_assert_msg(wire(inet_csum_fold(sum)) ==
					      ref_fold(ref_sum(0, p, len)),
					      "len %u align %u split %u", len, align, k);
			}
			if (len >= 4) {
				uint32_t k = len / 2 & ~1u;
				uint64_t sum = inet_csum_add(0, p, k);

				sum = inet_csum_add(sum, p + k, len - k);
				ck_assert_uint_eq(wire(inet_csum_fold(sum)),
						  ref_fold(ref_sum(0, p, len)));
			}
			free(buf);
		}
	}
}
END_TEST

/* A big starting sum (as from a pseudo header) must not overflow on a long buffer. */
START_TEST(test_csum_big_start)
{
	uint8_t *p = malloc(65536);
	uint64_t start = 0xfffffffffff0ull;

	memset(p, 0xff, 65536);
	/* 0xffffffff... words: each adds 0xffff, which is zero in ones' complement. */
	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0, p, 65536)), 0xffff);
	ck_assert_uint_eq(wire(inet_csum_fold(inet_csum_add(inet_csum_add(0, p, 65536),
							    "\x12\x34", 2))),
			  0x1234);
	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(start, p, 65536)),
			  ref_fold(start + 32768ull * 0xffff));
	free(p);
}
END_TEST

static const struct {
	bool v6;
	uint8_t proto;
	uint32_t l4_len;
} pseudo_table[] = {
	{ false, IPPROTO_TCP, 20 }, { false, IPPROTO_TCP, 1480 }, { false, IPPROTO_UDP, 8 },
	{ false, IPPROTO_TCP, 65515 }, { false, IPPROTO_TCP, 0 }, { true, IPPROTO_TCP, 20 },
	{ true, IPPROTO_TCP, 1460 }, { true, IPPROTO_UDP, 9 }, { true, IPPROTO_TCP, 65535 },
	{ true, IPPROTO_TCP, 0x12345 },	/* jumbogram: the upper half counts too */
};

START_TEST(test_csum_pseudo)
{
	struct spec s;
	struct tun_gro_pkt pkt;
	uint8_t *ip;

	default_spec(&s, pseudo_table[_i].v6, 9);
	/* Addresses with every byte different, so a swapped or short one shows. */
	for (int i = 0; i < 16; i++) {
		s.src[i] = (uint8_t)(0x11 * i + 3);
		s.dst[i] = (uint8_t)(0xf0 - 7 * i);
	}
	pkt = build(&s);
	ip = pkt.data;
	ck_assert_uint_eq(wire(inet_csum_fold(inet_csum_pseudo(ip, pseudo_table[_i].proto,
							       pseudo_table[_i].l4_len))),
			  ref_fold(ref_pseudo(ip, pseudo_table[_i].proto,
					      pseudo_table[_i].l4_len)));
	free(pkt.data);
}
END_TEST

/* The last: as long as an IPv4 packet with timestamps may be (IPv6 gets 20 bytes more). */
static const uint32_t seg_plens[] = { 0, 1, 2, 3, 99, 100, 1460, 1461, 8952, 65483 };

/* A TCP segment built here verifies, gets the same checksum, and finishes from partial. */
START_TEST(test_csum_tcp_segment)
{
	bool v6 = _i & 1;
	struct spec s;
	struct tun_gro_pkt pkt;
	uint32_t ip_hlen = v6 ? 40 : 20, l4_len;
	uint8_t *p, *copy;
	uint16_t csum;

	default_spec(&s, v6, 4);
	s.plen = seg_plens[_i / 2];
	if (v6 && s.plen == 65483)
		s.plen = 65503;		/* the IPv6 payload length may be 65535 */
	set_timestamps(&s, 0xdeadbeef);
	pkt = build(&s);
	p = pkt.data;
	l4_len = pkt.len - ip_hlen;
	copy = dup_bytes(p, pkt.len);

	ck_assert_uint_eq(inet_csum_fold(inet_csum_add(inet_csum_pseudo(p, IPPROTO_TCP, l4_len),
						       p + ip_hlen, l4_len)), 0xffff);
	if (!v6)
		ck_assert_uint_eq(inet_csum_fold(inet_csum_add(0, p, 20)), 0xffff);
	/* Computed from a zero field, stored natively: the reference's bytes. */
	memset(p + ip_hlen + 16, 0, 2);
	csum = (uint16_t)~inet_csum_fold(inet_csum_add(inet_csum_pseudo(p, IPPROTO_TCP, l4_len),
						       p + ip_hlen, l4_len));
	memcpy(p + ip_hlen + 16, &csum, 2);
	ck_assert(!memcmp(p, copy, pkt.len));
	/* From partial: the pseudo-header sum in the field, inet_csum_finish() does the rest. */
	csum = inet_csum_fold(inet_csum_pseudo(p, IPPROTO_TCP, l4_len));
	memcpy(p + ip_hlen + 16, &csum, 2);
	ck_assert_int_eq(inet_csum_finish(p, pkt.len, ip_hlen, 16), 0);
	ck_assert_uint_eq(ref_fold(ref_sum(ref_pseudo(p, IPPROTO_TCP, l4_len), p + ip_hlen,
					   l4_len)), 0xffff);
	/* 0000 and ffff are the same sum; anything else must be exactly the reference's. */
	if (get_be16(copy + ip_hlen + 16) != 0 && get_be16(copy + ip_hlen + 16) != 0xffff)
		ck_assert(!memcmp(p, copy, pkt.len));
	else
		ck_assert(!memcmp(p, copy, ip_hlen + 16));
	free(copy);
	free(pkt.data);
}
END_TEST

/* UDP: the field at offset 6, an odd length. */
START_TEST(test_csum_udp_finish)
{
	uint32_t ip_hlen = _i ? 40 : 20, l4_len;
	struct spec s;
	struct tun_gro_pkt pkt;
	uint16_t csum;

	default_spec(&s, _i, 5);
	s.proto = IPPROTO_UDP;
	s.plen = 333;
	pkt = build(&s);
	l4_len = pkt.len - ip_hlen;

	csum = inet_csum_fold(inet_csum_pseudo(pkt.data, IPPROTO_UDP, l4_len));
	memcpy(pkt.data + ip_hlen + 6, &csum, 2);
	ck_assert_int_eq(inet_csum_finish(pkt.data, pkt.len, ip_hlen, 6), 0);
	ck_assert_uint_eq(ref_fold(ref_sum(ref_pseudo(pkt.data, IPPROTO_UDP, l4_len),
					   pkt.data + ip_hlen, l4_len)), 0xffff);
	free(pkt.data);
}
END_TEST

static const struct {
	uint32_t len, start, offset;
	int expect;
} finish_table[] = {
	{ 40, 20, 16, 0 },
	{ 38, 20, 16, 0 },			/* the field is the last two bytes */
	{ 37, 20, 16, -EINVAL },		/* half the field outside */
	{ 36, 20, 16, -EINVAL },
	{ 20, 20, 16, -EINVAL },
	{ 2, 0, 0, 0 },
	{ 1, 0, 0, -EINVAL },
	{ 0, 0, 0, -EINVAL },
	{ 40, 38, 0, 0 },
	{ 41, 21, 16, 0 },			/* odd start */
	{ 39, 20, 16, 0 },			/* odd length from start */
	{ 40, 39, 0, -EINVAL },
	{ 40, 40, 0, -EINVAL },
	{ 40, 41, 0, -EINVAL },
	{ 40, 20, UINT32_MAX, -EINVAL },	/* start + offset wraps to 19 */
	{ 40, UINT32_MAX, 2, -EINVAL },		/* wraps to 1 */
	{ 40, 0xfffffff0u, 0x20, -EINVAL },	/* wraps to 0x10 */
	{ 40, 4, 0xfffffffeu, -EINVAL },	/* wraps to 2 */
	{ 40, 0, 0xfffffffeu, -EINVAL },	/* field "ends" at 0 */
	{ 40, UINT32_MAX, UINT32_MAX, -EINVAL },
};

/* Exactly sized buffers: ASan catches any touch past them; a refusal writes nothing. */
START_TEST(test_csum_finish_range)
{
	uint32_t len = finish_table[_i].len;
	uint8_t *p = malloc(len), *copy;
	int ret;

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 37 + 1);
	copy = dup_bytes(p, len);
	ret = inet_csum_finish(p, len, finish_table[_i].start, finish_table[_i].offset);
	ck_assert_msg(ret == finish_table[_i].expect, "row %d: %d", _i, ret);
	if (ret) {
		ck_assert(!len || !memcmp(p, copy, len));
	} else {
		uint32_t start = finish_table[_i].start, field = start + finish_table[_i].offset;

		/*
		 * The field held a pseudo-header sum P, which is not in the packet: P plus the
		 * range with the stored checksum must fold to ffff.  Nothing else changes.
		 */
		ck_assert_uint_eq(ref_fold(ref_sum(get_be16(copy + field), p + start, len - start)),
				  0xffff);
		ck_assert(!memcmp(p, copy, field));
		ck_assert(!memcmp(p + field + 2, copy + field + 2, len - field - 2));
	}
	free(copy);
	free(p);
}
END_TEST

/* A sum that complements to zero is stored as 0xffff: UDP reserves zero for "none". */
START_TEST(test_csum_finish_zero)
{
	uint8_t p[4] = { 0xff, 0xff, 0x00, 0x00 };

	ck_assert_int_eq(inet_csum_finish(p, sizeof(p), 0, 2), 0);
	ck_assert_uint_eq(p[2], 0xff);
	ck_assert_uint_eq(p[3], 0xff);
	/* And it still verifies, 0xffff being the other zero. */
	ck_assert_uint_eq(ref_fold(ref_sum(0, p, sizeof(p))), 0xffff);
}
END_TEST

static Suite *tun_gro_suite(void)
{
	Suite *s = suite_create("tun_gro");
	TCase *tc = tcase_create("inet_csum");

	tcase_add_test(tc, test_csum_rfc1071_example);
	tcase_add_test(tc, test_csum_ipv4_header);
	tcase_add_loop_test(tc, test_csum_fold, 0, ARRAY_SIZE(fold_table));
	tcase_add_loop_test(tc, test_csum_lengths, 0, ARRAY_SIZE(csum_lens));
	tcase_add_test(tc, test_csum_big_start);
	tcase_add_loop_test(tc, test_csum_pseudo, 0, ARRAY_SIZE(pseudo_table));
	tcase_add_loop_test(tc, test_csum_tcp_segment, 0, 2 * ARRAY_SIZE(seg_plens));
	tcase_add_loop_test(tc, test_csum_udp_finish, 0, 2);
	tcase_add_loop_test(tc, test_csum_finish_range, 0, ARRAY_SIZE(finish_table));
	tcase_add_test(tc, test_csum_finish_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("gro");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_rules, 0, 2 * ARRAY_SIZE(rule_table));
	tcase_add_loop_test(tc, test_garbage, 0, 4 * ARRAY_SIZE(garbage_table));
	tcase_add_loop_test(tc, test_batch, 0, ARRAY_SIZE(batch_table));
	tcase_add_loop_test(tc, test_undo, 0, 4);
	tcase_add_test(tc, test_repeatable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tun_gro_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
