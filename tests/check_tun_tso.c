/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Segmentation of the tun's TSO reads in place (tun-tso.c).  A super-packet is built here
 * the way the kernel hands it over (one IPv4 or IPv6 + TCP header, the payload of many
 * segments, a partial TCP checksum, a virtio_net_hdr with the segment size), and
 * fake_readv() lays it over the iovecs tun_tso_layout() made exactly as readv(2) would.
 * The segments the split leaves in the records are then held against segments built
 * here independently, the way the kernel's GSO makes them, with a reference RFC 1071 sum:
 * lengths, IPv4 header checksum and ID, sequence numbers, PSH/FIN on the last only, CWR
 * on the first only, the full TCP checksum, every other byte as sent.  A packet that does
 * not fit the plan must leave the records untouched and name its own plan; the copy
 * path (gather, scatter, split again) must then succeed.  Records are allocated to
 * exactly the bytes the read put in them, so ASan sees any touch past the packet.
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
#include "src/tun/tun-tso.h"
#include "tests/inet-ref.h"

enum {
	MAX_RECS = 80,			/* records one test row may lay out */
	VNET_LEN = 10,			/* the legacy virtio_net_hdr on the wire */
	SPILL_FILL = 0x5a,		/* what the spill buffer holds before a read */
	ROOM_FILL = 0xa5,		/* header room of a record before a read */
};


static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- super-packet builder ------------------------------------------------------------- */

struct spec {
	bool v6;
	uint8_t ip_optlen;		/* IPv4 option bytes (NOPs), a multiple of 4 */
	uint8_t optlen;			/* TCP option bytes: 0, 12 (timestamps), 20 or 40 */
	uint32_t mss;			/* gso_size */
	uint32_t payload;		/* bytes behind the headers, all segments together */
	uint8_t flags;
	uint32_t seq;			/* 0: a default */
	uint16_t id;			/* IPv4 ID; 0: a default */
};

/*
 * Valid option lists at every length a row uses: NOP NOP timestamps (12), an
 * experimental option (RFC 6994) to 20, NOP NOP and two SACK blocks to 40.
 */
static const uint8_t tcp_opts[40] = {
	1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0x0b, 0xad, 0xca, 0xfe,
	253, 8, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
	1, 1, 5, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

/* Payload bytes depend on the stream offset, so a misplaced chunk cannot match. */
static uint8_t pattern(uint32_t off, uint8_t salt)
{
	return (uint8_t)((off * 2654435761u) >> 24 ^ salt);
}

static uint32_t spec_ip_hlen(const struct spec *s)
{
	return s->v6 ? 40 : 20u + s->ip_optlen;
}

static uint32_t spec_hdr(const struct spec *s)
{
	return spec_ip_hlen(s) + 20u + s->optlen;
}

static unsigned int spec_segments(const struct spec *s)
{
	return (s->payload + s->mss - 1) / s->mss;
}

/*
 * The packet a TSO read delivers, in an exactly sized buffer, and its virtio_net_hdr:
 * lengths of the whole packet, a valid IPv4 header checksum, and in the TCP checksum field
 * the folded pseudo-header sum (NEEDS_CSUM), as the kernel leaves it.
 */
static uint8_t *build(const struct spec *s, uint32_t *lenp, struct virtio_net_hdr *vh)
{
	static const uint8_t v4_src[4] = { 10, 1, 2, 3 }, v4_dst[4] = { 192, 0, 2, 77 };
	static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 2, 3, 4, 5, 6, 7,
					    8, 9, 10, 11 };
	static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xf0, 0xe1, 0xd2, 0xc3,
					    0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b };
	uint32_t ip_hlen = spec_ip_hlen(s), hdr = spec_hdr(s), len = hdr + s->payload;
	uint32_t tcp_len = len - ip_hlen;
	uint8_t *p, *th;

	/* The length fields are 16 bits; a row asking for more is a bug in the row. */
	ck_assert_uint_le(s->v6 ? tcp_len : len, 65535);
	p = calloc(1, len);
	ck_assert_ptr_nonnull(p);
	if (s->v6) {
		p[0] = 0x60;			/* traffic class 0x02: ECT(0) */
		p[1] = 0x2a;			/* flow label 0xabcde */
		put_be16(p + 2, 0xbcde);
		put_be16(p + 4, (uint16_t)tcp_len);
		p[6] = IPPROTO_TCP;
		p[7] = 63;
		memcpy(p + 8, v6_src, 16);
		memcpy(p + 24, v6_dst, 16);
	} else {
		p[0] = (uint8_t)(0x40 | ip_hlen / 4);
		p[1] = 0x02;
		put_be16(p + 2, (uint16_t)len);
		put_be16(p + 4, s->id ? s->id : 0x4321);
		put_be16(p + 6, 0x4000);	/* DF */
		p[8] = 64;
		p[9] = IPPROTO_TCP;
		memcpy(p + 12, v4_src, 4);
		memcpy(p + 16, v4_dst, 4);
		memset(p + 20, 1, s->ip_optlen);
		put_be16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, ip_hlen)));
	}
	th = p + ip_hlen;
	put_be16(th, 443);
	put_be16(th + 2, 51234);
	put_be32(th + 4, s->seq ? s->seq : 0x1c2d3e4f);
	put_be32(th + 8, 0x9abcdef0);
	th[12] = (uint8_t)((20 + s->optlen) / 4 << 4);
	th[13] = s->flags;
	put_be16(th + 14, 501);
	put_be16(th + 18, 0);
	memcpy(th + 20, tcp_opts, s->optlen);
	for (uint32_t i = 0; i < s->payload; i++)
		p[hdr + i] = pattern(i, (uint8_t)(s->mss + s->optlen));
	put_be16(th + 16, ref_fold(ref_pseudo(p, IPPROTO_TCP, tcp_len)));

	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = s->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	if (s->flags & CWR)
		vh->gso_type |= VIRTIO_NET_HDR_GSO_ECN;	/* as the kernel marks it */
	vh->hdr_len = (uint16_t)hdr;
	vh->gso_size = (uint16_t)s->mss;
	vh->csum_start = (uint16_t)ip_hlen;
	vh->csum_offset = 16;
	*lenp = len;
	return p;
}

/* ---- the records of one read ---------------------------------------------------------- */

/*
 * What readv(2) does with the iovecs after the virtio_net_hdr (iov[0], filled by the
 * caller): the packet's bytes in order, each iovec filled before the next.  Returns the
 * bytes that landed in the last iovec, the spill buffer.
 */
static uint32_t fake_readv(const struct iovec *iov, unsigned int cnt, const uint8_t *packet,
			   uint32_t len)
{
	uint32_t done = 0, take = 0;

	for (unsigned int i = 1; i < cnt && done < len; i++) {
		take = min_u32(len - done, (uint32_t)iov[i].iov_len);
		memcpy(iov[i].iov_base, packet + done, take);
		done += take;
		if (i != cnt - 1)
			take = 0;
	}
	ck_assert_msg(done == len, "the packet (%u bytes) does not fit the read", len);
	return take;
}

/*
 * Bytes of record k that a read of len bytes laid out by plan writes, counting the header
 * room in front of a later record's data: what the record is allocated to, so that any
 * touch past the packet is an ASan report.
 */
static uint32_t used_bytes(const struct tun_tso_plan *plan, unsigned int k, uint32_t len)
{
	uint64_t first = (uint64_t)plan->hdr + plan->mss, off;

	if (k == 0)
		return len < first ? (len ? len : 1) : (uint32_t)first;
	off = first + (uint64_t)(k - 1) * plan->mss;
	if (len <= off)
		return plan->hdr ? plan->hdr : 1;
	return plan->hdr + min_u32(plan->mss, (uint32_t)(len - off));
}

struct rig {
	struct tun_tso_plan plan;
	unsigned int nrecs;
	uint8_t *rec[MAX_RECS];
	uint32_t size[MAX_RECS];
	uint8_t *snap[MAX_RECS];	/* each record right after the read */
	uint8_t *spill, *spill_snap;
	struct virtio_net_hdr vh;
	struct iovec iov[MAX_RECS + 3];
	unsigned int iovcnt;
	uint32_t spilled;		/* packet bytes in the spill buffer */
};

static void rig_alloc(struct rig *r, const struct tun_tso_plan *plan, unsigned int nrecs,
		      uint32_t len)
{
	ck_assert_uint_ge(nrecs, 1);
	ck_assert_uint_le(nrecs, MAX_RECS);
	memset(r, 0, sizeof(*r));
	r->plan = *plan;
	r->nrecs = nrecs;
	for (unsigned int k = 0; k < nrecs; k++) {
		r->size[k] = used_bytes(plan, k, len);
		r->rec[k] = malloc(r->size[k]);
		ck_assert_ptr_nonnull(r->rec[k]);
		memset(r->rec[k], ROOM_FILL, r->size[k]);
	}
}

static void rig_snapshot(struct rig *r)
{
	for (unsigned int k = 0; k < r->nrecs; k++)
		r->snap[k] = dup_bytes(r->rec[k], r->size[k]);
	if (r->spill)
		r->spill_snap = dup_bytes(r->spill, TUN_TSO_SPILL);
}

/* A TSO read of pkt into nrecs records laid out by plan, then a snapshot of them. */
static void rig_read(struct rig *r, const struct tun_tso_plan *plan, unsigned int nrecs,
		     const uint8_t *pkt, uint32_t len, const struct virtio_net_hdr *vh)
{
	rig_alloc(r, plan, nrecs, len);
	r->spill = malloc(TUN_TSO_SPILL);
	ck_assert_ptr_nonnull(r->spill);
	memset(r->spill, SPILL_FILL, TUN_TSO_SPILL);
	r->iovcnt = tun_tso_layout(plan, &r->vh, r->rec, nrecs, r->spill, r->iov);
	ck_assert_uint_eq(r->iovcnt, 2 + nrecs);
	r->vh = *vh;			/* what readv puts in iov[0] */
	r->spilled = fake_readv(r->iov, r->iovcnt, pkt, len);
	rig_snapshot(r);
}

static bool rig_unchanged(const struct rig *r, unsigned int from)
{
	for (unsigned int k = from; k < r->nrecs; k++)
		if (memcmp(r->rec[k], r->snap[k], r->size[k]))
			return false;
	return !r->spill || !memcmp(r->spill, r->spill_snap, TUN_TSO_SPILL);
}

static void rig_free(struct rig *r)
{
	for (unsigned int k = 0; k < r->nrecs; k++) {
		free(r->rec[k]);
		free(r->snap[k]);
	}
	free(r->spill);
	free(r->spill_snap);
	memset(r, 0, sizeof(*r));
}

/* ---- what every split must give -------------------------------------------------------- */

/*
 * Segment k of S as the kernel's GSO cuts pkt: the headers copied, the IPv4 total length,
 * ID (incremented per segment: virtio has no FIXEDID) and header checksum, the IPv6
 * payload length, the sequence number, PSH and FIN on the last only, CWR on the first
 * only, and a full TCP checksum.  Exactly sized.
 */
static uint8_t *expect_segment(const uint8_t *pkt, uint32_t len, uint32_t ip_hlen,
			       uint32_t hdr, uint32_t mss, unsigned int k, unsigned int segs,
			       uint32_t *seg_len)
{
	uint32_t off = hdr + k * mss, chunk = min_u32(mss, len - off), slen = hdr + chunk;
	uint8_t *seg = malloc(slen), *th = seg + ip_hlen;

	ck_assert_ptr_nonnull(seg);
	memcpy(seg, pkt, hdr);
	memcpy(seg + hdr, pkt + off, chunk);
	if (pkt[0] >> 4 == 6) {
		put_be16(seg + 4, (uint16_t)(slen - 40));
	} else {
		put_be16(seg + 2, (uint16_t)slen);
		put_be16(seg + 4, (uint16_t)(get_be16(pkt + 4) + k));
		put_be16(seg + 10, 0);
		put_be16(seg + 10, (uint16_t)~ref_fold(ref_sum(0, seg, ip_hlen)));
	}
	put_be32(th + 4, get_be32(pkt + ip_hlen + 4) + k * mss);
	if (k + 1 != segs)
		th[13] &= (uint8_t)~(PSH | FIN);
	if (k)
		th[13] &= (uint8_t)~CWR;
	put_be16(th + 16, 0);
	put_be16(th + 16, (uint16_t)~ref_fold(ref_sum(ref_pseudo(seg, IPPROTO_TCP, slen - ip_hlen),
						      th, slen - ip_hlen)));
	*seg_len = slen;
	return seg;
}

/*
 * Checks a split of pkt (len bytes, header hdr, segment size mss) into r's records that
 * returned ret with lens: every promise, property by property (for a readable failure),
 * then byte for byte against the reference segments, then the stream put back together.
 */
static void check_segments(const uint8_t *pkt, uint32_t len, uint32_t hdr, uint32_t mss,
			   const struct rig *r, int ret, const uint32_t *lens, const char *what)
{
	bool v6 = pkt[0] >> 4 == 6;
	uint32_t ip_hlen = v6 ? 40 : (pkt[0] & 0xfu) * 4, payload = len - hdr, done = 0;
	unsigned int segs = (payload + mss - 1) / mss;
	uint8_t orig = pkt[ip_hlen + 13], *stream;

	ck_assert_msg(ret == (int)segs, "%s: split returned %d, expected %u segments", what,
		      ret, segs);
	ck_assert_uint_le(segs, r->nrecs);
	for (unsigned int k = 0; k < segs; k++) {
		uint32_t chunk = min_u32(mss, payload - k * mss), elen;
		const uint8_t *seg = r->rec[k], *th = seg + ip_hlen;
		uint32_t tcp_len = hdr + chunk - ip_hlen;
		uint8_t *exp;

		ck_assert_msg(lens[k] == hdr + chunk, "%s: segment %u is %u bytes, not %u", what,
			      k, lens[k], hdr + chunk);
		ck_assert_uint_le(lens[k], r->size[k]);
		if (v6) {
			ck_assert_uint_eq(get_be16(seg + 4), lens[k] - 40);
		} else {
			ck_assert_uint_eq(get_be16(seg + 2), lens[k]);
			ck_assert_uint_eq(get_be16(seg + 4), (uint16_t)(get_be16(pkt + 4) + k));
			ck_assert_msg(ref_fold(ref_sum(0, seg, ip_hlen)) == 0xffff,
				      "%s: segment %u: IPv4 header checksum does not verify", what,
				      k);
		}
		ck_assert_uint_eq(get_be32(th + 4), get_be32(pkt + ip_hlen + 4) + k * mss);
		ck_assert_msg(ref_fold(ref_sum(ref_pseudo(seg, IPPROTO_TCP, tcp_len), th,
					       tcp_len)) == 0xffff,
			      "%s: segment %u of %u: TCP checksum does not verify", what, k, segs);
		ck_assert_msg((th[13] & (PSH | FIN)) == (k + 1 == segs ? orig & (PSH | FIN) : 0),
			      "%s: segment %u of %u: flags %02x, PSH/FIN belong to the last", what,
			      k, segs, th[13]);
		ck_assert_msg((th[13] & CWR) == (k == 0 ? orig & CWR : 0),
			      "%s: segment %u of %u: flags %02x, CWR belongs to the first", what,
			      k, segs, th[13]);
		ck_assert_uint_eq(th[13] & ~(PSH | FIN | CWR), orig & ~(PSH | FIN | CWR));
		ck_assert_msg(!memcmp(seg + hdr, pkt + hdr + k * mss, chunk),
			      "%s: segment %u carries the wrong payload", what, k);
		/* Everything else: addresses, ports, ACK, window, options, TTL, TOS. */
		exp = expect_segment(pkt, len, ip_hlen, hdr, mss, k, segs, &elen);
		ck_assert_uint_eq(elen, lens[k]);
		ck_assert_msg(!memcmp(seg, exp, elen),
			      "%s: segment %u of %u differs from the kernel's GSO", what, k, segs);
		free(exp);
	}
	/* The stream comes back whole, in order. */
	stream = malloc(payload);
	ck_assert_ptr_nonnull(stream);
	for (unsigned int k = 0; k < segs; k++) {
		memcpy(stream + done, r->rec[k] + hdr, lens[k] - hdr);
		done += lens[k] - hdr;
	}
	ck_assert_uint_eq(done, payload);
	ck_assert_msg(!memcmp(stream, pkt + hdr, payload), "%s: the payload is not as sent",
		      what);
	free(stream);
	/* Records past the last segment are not the split's. */
	ck_assert_msg(rig_unchanged(r, segs), "%s: a record past the segments was written",
		      what);
}

/* Fresh lens, so a value left from earlier cannot pass for the split's. */
static void poison_lens(uint32_t *lens)
{
	for (unsigned int k = 0; k < MAX_RECS; k++)
		lens[k] = 0xdeadbeef;
}

/* ---- splits that fit the plan ---------------------------------------------------------- */

#define V4(opt, m, pl, fl) { .v6 = false, .optlen = (opt), .mss = (m), .payload = (pl), \
			     .flags = (fl) }
#define V6(opt, m, pl, fl) { .v6 = true, .optlen = (opt), .mss = (m), .payload = (pl), \
			     .flags = (fl) }

static const struct {
	const char *what;
	struct spec s;
} split_table[] = {
	/* IPv4 with timestamps: hdr 52, the plan an MTU of 1400 starts with. */
	{ "v4 ts, 5 x mss", V4(12, 1348, 5 * 1348, ACK) },
	{ "v4 ts, one byte over", V4(12, 1348, 5 * 1348 + 1, ACK | PSH) },
	{ "v4 ts, less than one mss", V4(12, 1348, 700, ACK | PSH) },
	{ "v4 ts, exactly one mss", V4(12, 1348, 1348, ACK | PSH | FIN) },
	{ "v4 ts, 64 KiB", V4(12, 1348, 65535 - 52, ACK | PSH) },
	{ "v4 ts, odd mss", V4(12, 1347, 7 * 1347 + 3, ACK | PSH) },
	{ "v4 no options, 1000", V4(0, 1000, 10 * 1000 + 999, ACK | PSH | FIN) },
	{ "v4 no options, 1000 + 1", V4(0, 1000, 1001, ACK | FIN) },
	{ "v4 20 option bytes, 64 x 536", V4(20, 536, 64 * 536, ACK) },
	{ "v4 20 option bytes, 536 + 1", V4(20, 536, 537, ACK | PSH) },
	{ "v4 mss 1, 64 segments", V4(12, 1, 64, ACK | PSH) },
	{ "v4 mss 1, 2 segments", V4(0, 1, 2, ACK | FIN) },
	{ "v4 CWR", V4(12, 1348, 3 * 1348 + 17, ACK | CWR | ECE | PSH) },
	{ "v4 CWR, one segment", V4(12, 1348, 100, ACK | CWR | FIN) },
	{ "v4 CWR and FIN, 64 x 1000", V4(12, 1000, 64000, ACK | CWR | PSH | FIN) },
	{ "v4 URG and ECE kept on all", V4(12, 1000, 3500, ACK | URG | ECE) },
	{ "v4 seq and ID wrap",
	  { .optlen = 12, .mss = 1000, .payload = 5000, .flags = ACK | PSH,
	    .seq = 0xfffffc00u, .id = 0xfffe } },
	{ "v4 IP options, 120-byte header",
	  { .ip_optlen = 40, .optlen = 40, .mss = 1000, .payload = 20001, .flags = ACK | PSH } },
	{ "v4 IP options, ts",
	  { .ip_optlen = 8, .optlen = 12, .mss = 1340, .payload = 9000, .flags = ACK } },
	/* IPv6: hdr 72 with timestamps. */
	{ "v6 ts, 5 x mss", V6(12, 1348, 5 * 1348, ACK) },
	{ "v6 ts, one byte over", V6(12, 1348, 5 * 1348 + 1, ACK | PSH) },
	{ "v6 ts, less than one mss", V6(12, 1348, 1, ACK | PSH) },
	{ "v6 ts, 64 KiB", V6(12, 1348, 65535 - 32, ACK | PSH) },
	{ "v6 no options, 64 KiB in 1440s", V6(0, 1440, 65535 - 20, ACK | PSH) },
	{ "v6 20 option bytes, 64 x 1000", V6(20, 1000, 64000, ACK) },
	{ "v6 40 option bytes", V6(40, 1208, 4 * 1208 - 1, ACK | PSH) },
	{ "v6 mss 1, 64 segments", V6(12, 1, 64, ACK | PSH | FIN) },
	{ "v6 536 + 1", V6(0, 536, 537, ACK) },
	{ "v6 CWR, FIN", V6(12, 1348, 5 * 1348 - 7, ACK | CWR | PSH | FIN) },
	{ "v6 seq wrap",
	  { .v6 = true, .optlen = 12, .mss = 1348, .payload = 4 * 1348,
	    .flags = ACK | PSH, .seq = 0xffffffffu } },
};

/*
 * The plan is the packet's own: the split happens in place.  _i & 1: records to spare
 * (they must stay untouched), else exactly as many as segments.
 */
START_TEST(test_split)
{
	const struct spec *s = &split_table[_i / 2].s;
	const char *what = split_table[_i / 2].what;
	struct tun_tso_plan plan = { spec_hdr(s), s->mss };
	unsigned int segs = spec_segments(s), nrecs = segs;
	uint32_t len, lens[MAX_RECS];
	struct virtio_net_hdr vh;
	struct rig r;
	uint8_t *pkt = build(s, &len, &vh);
	int ret;

	ck_assert_uint_le(segs, TUN_TSO_MAX_SEGMENTS);
	if (_i & 1)
		nrecs = segs + 3 < TUN_TSO_MAX_SEGMENTS ? segs + 3 : TUN_TSO_MAX_SEGMENTS;
	ck_assert_uint_eq(tun_tso_records_for(&plan, len), segs);
	rig_read(&r, &plan, nrecs, pkt, len, &vh);
	ck_assert_uint_eq(r.spilled, 0);
	poison_lens(lens);
	ret = tun_tso_split(&plan, &r.vh, r.rec, r.nrecs, len, lens);
	check_segments(pkt, len, plan.hdr, plan.mss, &r, ret, lens, what);
	for (unsigned int k = segs; k < MAX_RECS; k++)
		ck_assert_uint_eq(lens[k], 0xdeadbeef);
	rig_free(&r);
	free(pkt);
}
END_TEST

/* ---- packets that do not fit the plan, and the copy that recovers them ----------------- */

struct mismatch_row {
	const char *what;
	struct spec s;
	struct tun_tso_plan plan;
	unsigned int nrecs;		/* 0: as many as the plan needs, at most the cap */
};

static const struct mismatch_row mismatch_table[] = {
	/* The header length differs. */
	{ "v6 ts under the v4 plan", V6(12, 1348, 5 * 1348 + 1, ACK | PSH), { 52, 1348 }, 0 },
	{ "v4 without options", V4(0, 1348, 4 * 1348, ACK), { 52, 1348 }, 0 },
	{ "v4 20 option bytes, same record size", V4(20, 1340, 6 * 1340, ACK), { 52, 1348 }, 0 },
	{ "v4 ts under a v6 plan", V4(12, 1348, 3 * 1348, ACK | PSH), { 72, 1348 }, 0 },
	{ "v4 IP options", { .ip_optlen = 4, .optlen = 12, .mss = 1348, .payload = 5000,
			     .flags = ACK }, { 52, 1348 }, 0 },
	/* The segment size differs. */
	{ "smaller mss", V4(12, 1000, 5 * 1000, ACK | PSH), { 52, 1348 }, 0 },
	{ "larger mss", V4(12, 1348, 5 * 1348, ACK | PSH), { 52, 1000 }, 0 },
	{ "mss one less", V4(12, 1347, 5 * 1347, ACK), { 52, 1348 }, 0 },
	{ "mss one more", V6(12, 1349, 5 * 1349, ACK), { 72, 1348 }, 0 },
	{ "one segment, other mss", V4(12, 1448, 100, ACK | PSH), { 52, 1348 }, 0 },
	{ "64 KiB, smaller mss", V4(12, 1024, 65535 - 52, ACK | PSH), { 52, 1348 }, 0 },
	{ "64 KiB under a small plan", V4(12, 1348, 65535 - 52, ACK | PSH), { 52, 536 }, 0 },
	/* Both. */
	{ "v6 no options, 1440", V6(0, 1440, 20 * 1440, ACK | PSH), { 52, 1348 }, 0 },
	{ "CWR under another plan", V6(12, 1000, 3001, ACK | CWR | PSH), { 52, 1348 }, 0 },
	{ "plan of a tiny MTU", V4(12, 1348, 3 * 1348, ACK), { 52, 1 }, 0 },
	/* The plan's, but more segments than records: the rest went to the spill buffer. */
	{ "one record short", V4(12, 1348, 5 * 1348, ACK | PSH), { 52, 1348 }, 4 },
	{ "one byte into the spill", V4(12, 1348, 4 * 1348 + 1, ACK | PSH), { 52, 1348 }, 4 },
	{ "64 KiB into one record", V4(12, 1348, 65535 - 52, ACK | PSH), { 52, 1348 }, 1 },
	{ "v6 64 KiB, half the records", V6(12, 1348, 65535 - 32, ACK), { 72, 1348 }, 24 },
	{ "v6 mss 1, 63 records", V6(12, 1, 64, ACK | PSH), { 72, 1 }, 63 },
	{ "two segments, one record", V6(0, 1000, 1001, ACK | FIN), { 60, 1000 }, 1 },
	/*
	 * Plans whose first record is shorter than the packet's headers (a tiny MTU, or one
	 * learnt from a tiny segment size): the headers run on into the next record, yet the
	 * packet is sane and only needs the copy.
	 */
	{ "v6 ts after a plan of mss 1", V6(12, 1348, 3 * 1348, ACK), { 40, 1 }, 0 },
	{ "120-byte header after mss 1", { .ip_optlen = 40, .optlen = 40, .mss = 1000,
					   .payload = 5000, .flags = ACK }, { 52, 1 }, 0 },
	{ "v4 20 option bytes, plan of MTU 68", V4(20, 1000, 3000, ACK), { 52, 16 }, 0 },
};

START_TEST(test_mismatch)
{
	const struct mismatch_row *row = &mismatch_table[_i];
	const struct spec *s = &row->s;
	struct tun_tso_plan own = { spec_hdr(s), s->mss }, actual;
	unsigned int segs = spec_segments(s), nrecs = row->nrecs;
	uint32_t len, lens[MAX_RECS];
	struct virtio_net_hdr vh;
	struct rig r, r2, r3;
	uint8_t *pkt = build(s, &len, &vh), *buf;
	bool same_plan = own.hdr == row->plan.hdr && own.mss == row->plan.mss;
	int ret;

	if (!nrecs) {
		nrecs = tun_tso_records_for(&row->plan, len);
		if (nrecs > TUN_TSO_MAX_SEGMENTS)
			nrecs = TUN_TSO_MAX_SEGMENTS;
	}
	/* A spill row must spill, a plan row must differ: else the row tests nothing. */
	ck_assert(!same_plan || segs > nrecs);
	rig_read(&r, &row->plan, nrecs, pkt, len, &vh);
	if (same_plan)
		ck_assert_uint_gt(r.spilled, 0);
	poison_lens(lens);
	ret = tun_tso_split(&row->plan, &r.vh, r.rec, r.nrecs, len, lens);
	/* A packet of the plan that spilled had no room, one of another plan needs the copy. */
	ck_assert_msg(ret == (same_plan ? -ENOSPC : -EAGAIN), "%s: split returned %d, not %s",
		      row->what, ret, same_plan ? "-ENOSPC" : "-EAGAIN");
	ck_assert_msg(rig_unchanged(&r, 0), "%s: a refused split changed the records",
		      row->what);

	/* The copy: the read's bytes back in order, exactly the packet. */
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(tun_tso_gather(r.iov + 1, r.iovcnt - 1, len, buf), len);
	ck_assert_msg(!memcmp(buf, pkt, len), "%s: gather does not give the packet back",
		      row->what);
	/* The whole packet always tells its plan. */
	ck_assert_int_eq(tun_tso_packet_plan(&vh, buf, len, &actual), 0);
	ck_assert_msg(actual.hdr == own.hdr && actual.mss == own.mss,
		      "%s: packet_plan {%u, %u}, the packet's is {%u, %u}", row->what, actual.hdr,
		      actual.mss, own.hdr, own.mss);

	/* Laid out again as the packet's own plan: what a read with that plan would give. */
	ck_assert_uint_eq(tun_tso_records_for(&actual, len), segs);
	rig_alloc(&r2, &actual, segs, len);
	tun_tso_scatter(&actual, buf, len, r2.rec);
	rig_read(&r3, &actual, segs, pkt, len, &vh);
	ck_assert_uint_eq(r3.spilled, 0);
	for (unsigned int k = 0; k < segs; k++)
		ck_assert_msg(r2.size[k] == r3.size[k] && !memcmp(r2.rec[k], r3.rec[k], r2.size[k]),
			      "%s: scatter puts record %u elsewhere than a read would", row->what,
			      k);
	rig_snapshot(&r2);
	poison_lens(lens);
	ret = tun_tso_split(&actual, &vh, r2.rec, r2.nrecs, len, lens);
	check_segments(pkt, len, own.hdr, own.mss, &r2, ret, lens, row->what);

	rig_free(&r);
	rig_free(&r2);
	rig_free(&r3);
	free(buf);
	free(pkt);
}
END_TEST

/* ---- packets to drop ------------------------------------------------------------------- */

enum mod {
	M_NONE,
	M_GSO_TYPE,		/* vh.gso_type = val */
	M_GSO_SIZE,		/* vh.gso_size = val */
	M_PROTO,		/* IPv4 protocol / IPv6 next header = val */
	M_VERSION,		/* IP version nibble = val */
	M_IHL,			/* IPv4 header length (words) = val */
	M_DOFF,			/* TCP data offset (words) = val */
	M_LEN,			/* the read gave only val bytes */
};

static const struct {
	const char *what;
	struct spec s;
	enum mod mod;
	uint32_t val;
} einval_table[] = {
	{ "GSO none", V4(12, 1348, 3000, ACK), M_GSO_TYPE, VIRTIO_NET_HDR_GSO_NONE },
	{ "ECN bit alone", V4(12, 1348, 3000, ACK), M_GSO_TYPE, VIRTIO_NET_HDR_GSO_ECN },
	{ "GSO UDP", V4(12, 1348, 3000, ACK), M_GSO_TYPE, VIRTIO_NET_HDR_GSO_UDP },
	{ "GSO UDP with ECN", V6(12, 1348, 3000, ACK), M_GSO_TYPE,
	  VIRTIO_NET_HDR_GSO_UDP | VIRTIO_NET_HDR_GSO_ECN },
	{ "GSO UDP L4", V4(0, 1000, 3000, ACK), M_GSO_TYPE, 5 },
	{ "GSO type 2", V4(0, 1000, 3000, ACK), M_GSO_TYPE, 2 },
	{ "GSO type 0x7f", V6(0, 1000, 3000, ACK), M_GSO_TYPE, 0x7f },
	{ "TCPv6 on IPv4", V4(12, 1348, 3000, ACK), M_GSO_TYPE, VIRTIO_NET_HDR_GSO_TCPV6 },
	{ "TCPv4 on IPv6", V6(12, 1348, 3000, ACK), M_GSO_TYPE, VIRTIO_NET_HDR_GSO_TCPV4 },
	{ "v4 protocol UDP", V4(12, 1348, 3000, ACK), M_PROTO, IPPROTO_UDP },
	{ "v4 protocol 0", V4(12, 1348, 3000, ACK), M_PROTO, 0 },
	{ "v6 next header UDP", V6(12, 1348, 3000, ACK), M_PROTO, IPPROTO_UDP },
	{ "v6 hop-by-hop header", V6(12, 1348, 3000, ACK), M_PROTO, 0 },
	{ "v6 routing header", V6(12, 1348, 3000, ACK), M_PROTO, 43 },
	{ "v6 fragment header", V6(12, 1348, 3000, ACK), M_PROTO, 44 },
	{ "v4 version 6", V4(12, 1348, 3000, ACK), M_VERSION, 6 },
	{ "v4 version 0", V4(12, 1348, 3000, ACK), M_VERSION, 0 },
	{ "v6 version 4", V6(12, 1348, 3000, ACK), M_VERSION, 4 },
	{ "v6 version 15", V6(12, 1348, 3000, ACK), M_VERSION, 15 },
	{ "IHL 0", V4(12, 1348, 3000, ACK), M_IHL, 0 },
	{ "IHL 4", V4(12, 1348, 3000, ACK), M_IHL, 4 },
	{ "IHL 15 past a short packet", V4(0, 1000, 15, ACK), M_IHL, 15 },
	{ "v4 data offset 0", V4(12, 1348, 3000, ACK), M_DOFF, 0 },
	{ "v4 data offset 4", V4(12, 1348, 3000, ACK), M_DOFF, 4 },
	{ "v6 data offset 0", V6(12, 1348, 3000, ACK), M_DOFF, 0 },
	{ "v6 data offset 4", V6(0, 1348, 3000, ACK), M_DOFF, 4 },
	{ "v4 data offset 15 past the packet", V4(0, 1000, 10, ACK), M_DOFF, 15 },
	{ "v4 data offset 15, no payload", V4(0, 1000, 40, ACK), M_DOFF, 15 },
	{ "v6 data offset 15 past the packet", V6(0, 1000, 39, ACK), M_DOFF, 15 },
	{ "gso_size 0", V4(12, 1348, 3000, ACK), M_GSO_SIZE, 0 },
	{ "v6 gso_size 0", V6(12, 1348, 3000, ACK), M_GSO_SIZE, 0 },
	/* Short reads: nothing, part of the headers, the headers and no payload. */
	{ "v4 len 0", V4(12, 1348, 3000, ACK), M_LEN, 0 },
	{ "v4 len 1", V4(12, 1348, 3000, ACK), M_LEN, 1 },
	{ "v4 len 19", V4(12, 1348, 3000, ACK), M_LEN, 19 },
	{ "v4 len 20", V4(12, 1348, 3000, ACK), M_LEN, 20 },
	{ "v4 len 39", V4(12, 1348, 3000, ACK), M_LEN, 39 },
	{ "v4 len 40, options cut", V4(12, 1348, 3000, ACK), M_LEN, 40 },
	{ "v4 len 51", V4(12, 1348, 3000, ACK), M_LEN, 51 },
	{ "v4 len == hdr", V4(12, 1348, 3000, ACK), M_LEN, 52 },
	{ "v4 IP options cut", { .ip_optlen = 40, .mss = 1000, .payload = 100 }, M_LEN, 59 },
	{ "v6 len 0", V6(12, 1348, 3000, ACK), M_LEN, 0 },
	{ "v6 len 39", V6(12, 1348, 3000, ACK), M_LEN, 39 },
	{ "v6 len 40", V6(12, 1348, 3000, ACK), M_LEN, 40 },
	{ "v6 len 59", V6(12, 1348, 3000, ACK), M_LEN, 59 },
	{ "v6 len 71", V6(12, 1348, 3000, ACK), M_LEN, 71 },
	{ "v6 len == hdr", V6(12, 1348, 3000, ACK), M_LEN, 72 },
	/* More segments than records a packet may fill. */
	{ "65 one-byte segments", V4(12, 1, 65, ACK), M_NONE, 0 },
	{ "v6 65 one-byte segments", V6(0, 1, 65, ACK), M_NONE, 0 },
	{ "64 x 536 + 1", V4(20, 536, 64 * 536 + 1, ACK), M_NONE, 0 },
	{ "64 KiB in 1000s", V4(12, 1000, 65535 - 52, ACK | PSH), M_NONE, 0 },
};

/*
 * _i & 1 == 0: the plan is the one the row's packet had before it was spoilt, with all
 * the records it needs, so only the check for the spoilt field can refuse it; else a
 * cold plan (MTU 1400) with a single record.  A refusal writes nothing.
 */
START_TEST(test_einval)
{
	const struct spec *s = &einval_table[_i / 2].s;
	const char *what = einval_table[_i / 2].what;
	uint32_t val = einval_table[_i / 2].val, len, lens[MAX_RECS];
	struct tun_tso_plan plan = { spec_hdr(s), s->mss };
	unsigned int nrecs;
	struct virtio_net_hdr vh;
	struct rig r;
	uint8_t *pkt = build(s, &len, &vh), *ip = pkt;
	uint8_t *tcp = pkt + spec_ip_hlen(s);
	int ret;

	switch (einval_table[_i / 2].mod) {
	case M_NONE:
		break;
	case M_GSO_TYPE:
		vh.gso_type = (uint8_t)val;
		break;
	case M_GSO_SIZE:
		vh.gso_size = (uint16_t)val;
		break;
	case M_PROTO:
		ip[s->v6 ? 6 : 9] = (uint8_t)val;
		break;
	case M_VERSION:
		ip[0] = (uint8_t)(val << 4 | (ip[0] & 0xf));
		break;
	case M_IHL:
		ip[0] = (uint8_t)(0x40 | val);
		break;
	case M_DOFF:
		tcp[12] = (uint8_t)(val << 4);
		break;
	case M_LEN:
		ck_assert_uint_lt(val, len);
		len = val;
		break;
	}
	/* An IPv4 header checksum that verifies: only the spoilt field can tell. */
	if (!s->v6 && einval_table[_i / 2].mod != M_LEN) {
		put_be16(ip + 10, 0);
		put_be16(ip + 10, (uint16_t)~ref_fold(ref_sum(0, ip, spec_ip_hlen(s))));
	}
	if (_i & 1) {
		tun_tso_plan_init(&plan, 1400);
		nrecs = 1;
	} else {
		nrecs = tun_tso_records_for(&plan, len);
		ck_assert_uint_le(nrecs, MAX_RECS);
	}
	/* Only the len bytes the read gave exist. */
	{
		uint8_t *got = dup_bytes(pkt, len);

		free(pkt);
		pkt = got;
	}
	rig_read(&r, &plan, nrecs, pkt, len, &vh);
	poison_lens(lens);
	ret = tun_tso_split(&plan, &r.vh, r.rec, r.nrecs, len, lens);
	ck_assert_msg(ret == -EINVAL, "%s: split returned %d, not -EINVAL", what, ret);
	ck_assert_msg(rig_unchanged(&r, 0), "%s: a refused split changed the records", what);
	for (unsigned int k = 0; k < MAX_RECS; k++)
		ck_assert_uint_eq(lens[k], 0xdeadbeef);
	rig_free(&r);
	free(pkt);
}
END_TEST

/* ---- garbage ---------------------------------------------------------------------------- */

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * Random reads, most of them close to sane (a version, a protocol, offsets drawn near the
 * real ones), into exactly sized records: the split must not touch a byte past them, and
 * whatever it returns must be one of its promises.
 */
START_TEST(test_garbage)
{
	static const struct tun_tso_plan plans[] = {
		{ 52, 1348 }, { 40, 1 }, { 60, 3 }, { 72, 7 }, { 52, 16 }, { 120, 1 },
	};
	uint32_t x = 0x9e3779b9u * (uint32_t)(_i + 1);

	for (int iter = 0; iter < 1500; iter++) {
		const struct tun_tso_plan *plan = &plans[xorshift(&x) % ARRAY_SIZE(plans)];
		uint32_t len = xorshift(&x) % 260, lens[MAX_RECS];
		unsigned int nrecs = 1 + xorshift(&x) % 8;
		struct tun_tso_plan own;
		struct virtio_net_hdr vh = { 0 };
		uint8_t *pkt = malloc(len ? len : 1);
		struct rig r;
		bool v6 = xorshift(&x) & 1;
		int ret;

		ck_assert_ptr_nonnull(pkt);
		for (uint32_t i = 0; i < len; i++)
			pkt[i] = (uint8_t)xorshift(&x);
		if (xorshift(&x) % 4 && len >= 1) {
			uint32_t ip_hlen = v6 ? 40 : 4 * (4 + xorshift(&x) % 4);

			pkt[0] = v6 ? 0x60 : (uint8_t)(0x40 | ip_hlen / 4);
			if (len > (v6 ? 6u : 9u))
				pkt[v6 ? 6 : 9] = xorshift(&x) % 8 ? IPPROTO_TCP : 17;
			if (len > ip_hlen + 12)
				pkt[ip_hlen + 12] = (uint8_t)((4 + xorshift(&x) % 6) << 4);
		}
		vh.gso_type = (uint8_t)(xorshift(&x) % 8 ? (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
								 VIRTIO_NET_HDR_GSO_TCPV4) :
					     xorshift(&x));
		vh.gso_size = (uint16_t)(xorshift(&x) % 8 ? plan->mss : xorshift(&x) % 80);
		rig_read(&r, plan, nrecs, pkt, len, &vh);
		poison_lens(lens);
		ret = tun_tso_split(plan, &r.vh, r.rec, nrecs, len, lens);
		if (ret == -EINVAL) {
			ck_assert(rig_unchanged(&r, 0));
		} else if ((ret == -EAGAIN || ret == -ENOSPC) &&
			   tun_tso_packet_plan(&vh, pkt, len, &own)) {
			/* Headers running past the first record: only the whole packet can tell. */
			ck_assert(rig_unchanged(&r, 0));
			ck_assert_uint_lt(plan->hdr + plan->mss, len);
		} else if (ret == -EAGAIN || ret == -ENOSPC) {
			/* A refusal has a reason: the packet's own plan differs, or it spills. */
			ck_assert(rig_unchanged(&r, 0));
			ck_assert_uint_ge(own.hdr, 40);
			ck_assert_uint_le(own.hdr, 120);
			ck_assert_uint_lt(own.hdr, len);
			ck_assert_uint_eq(own.mss, vh.gso_size);
			if (ret == -ENOSPC)
				ck_assert(own.hdr == plan->hdr && own.mss == plan->mss &&
					  tun_tso_records_for(plan, len) > nrecs);
			else
				ck_assert(own.hdr != plan->hdr || own.mss != plan->mss ||
					  plan->hdr + plan->mss < own.hdr);
		} else {
			uint64_t total = 0;

			ck_assert_int_ge(ret, 1);
			ck_assert_int_le(ret, (int)nrecs);
			ck_assert_uint_eq(vh.gso_size, plan->mss);
			for (int k = 0; k < ret; k++) {
				ck_assert_uint_gt(lens[k], plan->hdr);
				ck_assert_uint_le(lens[k], r.size[k]);
				total += lens[k] - plan->hdr;
			}
			ck_assert_uint_eq(total + plan->hdr, len);
			ck_assert(rig_unchanged(&r, (unsigned int)ret));
		}
		rig_free(&r);
		free(pkt);
	}
}
END_TEST

/* ---- plans, record counts, layouts, gather ----------------------------------------------- */

static const struct {
	uint32_t mtu;
	struct tun_tso_plan plan;
} plan_init_table[] = {
	{ 1400, { 52, 1348 } }, { 1500, { 52, 1448 } }, { 1280, { 52, 1228 } },
	{ 9000, { 52, 8948 } }, { 576, { 52, 524 } }, { 68, { 52, 16 } },
	{ 65535, { 52, 65483 } }, { 54, { 52, 2 } }, { 53, { 52, 1 } },
	/* No room for a segment: still a plan that divides, never mss 0. */
	{ 52, { 52, 1 } }, { 1, { 52, 1 } }, { 0, { 52, 1 } },
};

START_TEST(test_plan_init)
{
	struct tun_tso_plan plan = { 0xdead, 0xbeef };

	tun_tso_plan_init(&plan, plan_init_table[_i].mtu);
	ck_assert_msg(plan.hdr == plan_init_table[_i].plan.hdr &&
		      plan.mss == plan_init_table[_i].plan.mss,
		      "plan_init(%u) = {%u, %u}, not {%u, %u}", plan_init_table[_i].mtu, plan.hdr,
		      plan.mss, plan_init_table[_i].plan.hdr, plan_init_table[_i].plan.mss);
}
END_TEST

static const struct {
	struct tun_tso_plan plan;
	uint32_t len;
	unsigned int recs;
} records_table[] = {
	{ { 52, 1348 }, 0, 1 },
	{ { 52, 1348 }, 1, 1 },
	{ { 52, 1348 }, 1399, 1 },
	{ { 52, 1348 }, 1400, 1 },
	{ { 52, 1348 }, 1401, 2 },
	{ { 52, 1348 }, 1400 + 1348, 2 },
	{ { 52, 1348 }, 1400 + 1348 + 1, 3 },
	{ { 52, 1348 }, 65535, 49 },
	{ { 52, 1348 }, 65536, 49 },
	{ { 52, 1348 }, 1400 + 48 * 1348, 49 },
	{ { 52, 1348 }, 1400 + 48 * 1348 + 1, 50 },
	{ { 72, 1348 }, 65535, 49 },
	{ { 40, 1 }, 41, 1 },
	{ { 40, 1 }, 42, 2 },
	{ { 40, 1 }, 104, 64 },
	{ { 40, 1 }, 105, 65 },
	{ { 120, 536 }, 656, 1 },
	{ { 120, 536 }, 657, 2 },
	{ { 120, 536 }, 65535, 123 },
	{ { 52, 65483 }, 65535, 1 },
	{ { 52, 65483 }, 65536, 2 },
};

START_TEST(test_records_for)
{
	ck_assert_msg(tun_tso_records_for(&records_table[_i].plan, records_table[_i].len) ==
		      records_table[_i].recs, "records_for({%u, %u}, %u) = %u, not %u",
		      records_table[_i].plan.hdr, records_table[_i].plan.mss,
		      records_table[_i].len,
		      tun_tso_records_for(&records_table[_i].plan, records_table[_i].len),
		      records_table[_i].recs);
}
END_TEST

/* The fewest records whose room (hdr + n * mss) holds len, at every length up to 70000. */
START_TEST(test_records_for_all)
{
	static const struct tun_tso_plan plans[] = {
		{ 52, 1348 }, { 40, 1 }, { 72, 1000 }, { 120, 536 }, { 52, 65483 },
	};
	const struct tun_tso_plan *p = &plans[_i];
	uint64_t n = 0;
	uint32_t len;

	/* Plain comparisons in the loop: a ck_assert per length would cost a pipe write. */
	for (len = 0; len <= 70000; len++) {
		n = tun_tso_records_for(p, len);
		if (n < 1 || p->hdr + n * p->mss < len || (n > 1 && p->hdr + (n - 1) * p->mss >= len))
			break;
	}
	ck_assert_msg(len > 70000, "records_for({%u, %u}, %u) = %llu", p->hdr, p->mss, len,
		      (unsigned long long)n);
}
END_TEST

static const struct {
	struct tun_tso_plan plan;
	unsigned int nrecs;
} layout_table[] = {
	{ { 52, 1348 }, 1 }, { { 52, 1348 }, 2 }, { { 52, 1348 }, 49 }, { { 52, 1348 }, 64 },
	{ { 72, 1000 }, 3 }, { { 40, 1 }, 64 }, { { 120, 536 }, 7 },
};

START_TEST(test_layout)
{
	const struct tun_tso_plan *plan = &layout_table[_i].plan;
	unsigned int nrecs = layout_table[_i].nrecs, cnt;
	struct iovec iov[MAX_RECS + 3];
	struct virtio_net_hdr vh;
	uint8_t *rec[MAX_RECS], *spill = malloc(TUN_TSO_SPILL);

	ck_assert_ptr_nonnull(spill);
	for (unsigned int k = 0; k < nrecs; k++) {
		rec[k] = malloc(plan->hdr + plan->mss);
		ck_assert_ptr_nonnull(rec[k]);
	}
	memset(iov, 0xa5, sizeof(iov));
	cnt = tun_tso_layout(plan, &vh, rec, nrecs, spill, iov);
	ck_assert_uint_eq(cnt, 2 + nrecs);
	ck_assert_uint_eq(sizeof(vh), VNET_LEN);
	ck_assert_ptr_eq(iov[0].iov_base, &vh);
	ck_assert_uint_eq(iov[0].iov_len, VNET_LEN);
	/* An ordinary packet up to hdr + mss lands in the first record whole. */
	ck_assert_ptr_eq(iov[1].iov_base, rec[0]);
	ck_assert_uint_eq(iov[1].iov_len, plan->hdr + plan->mss);
	for (unsigned int k = 1; k < nrecs; k++) {
		ck_assert_ptr_eq(iov[1 + k].iov_base, rec[k] + plan->hdr);
		ck_assert_uint_eq(iov[1 + k].iov_len, plan->mss);
	}
	ck_assert_ptr_eq(iov[1 + nrecs].iov_base, spill);
	ck_assert_uint_eq(iov[1 + nrecs].iov_len, TUN_TSO_SPILL);
	/* Nothing past the count. */
	for (unsigned int i = 2 + nrecs; i < ARRAY_SIZE(iov); i++) {
		struct iovec poison;

		memset(&poison, 0xa5, sizeof(poison));
		ck_assert(!memcmp(&iov[i], &poison, sizeof(poison)));
	}
	for (unsigned int k = 0; k < nrecs; k++)
		free(rec[k]);
	free(spill);
}
END_TEST

/* Iovecs of 3, 0, 5 and 7 bytes: 15 in all. */
static const struct {
	uint32_t len, got;
} gather_table[] = {
	{ 0, 0 }, { 1, 1 }, { 3, 3 }, { 4, 4 }, { 8, 8 }, { 9, 9 }, { 14, 14 }, { 15, 15 },
	/* More than they hold: what they hold (the caller checks for a short count). */
	{ 16, 15 }, { 100, 15 },
};

START_TEST(test_gather)
{
	static const uint32_t sizes[] = { 3, 0, 5, 7 };
	uint32_t len = gather_table[_i].len, got = gather_table[_i].got, off = 0;
	struct iovec iov[ARRAY_SIZE(sizes)];
	uint8_t *src[ARRAY_SIZE(sizes)], *buf = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xee, len);
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		src[i] = malloc(sizes[i] ? sizes[i] : 1);
		ck_assert_ptr_nonnull(src[i]);
		for (uint32_t j = 0; j < sizes[i]; j++)
			src[i][j] = pattern(off + j, 7);
		off += sizes[i];
		iov[i] = (struct iovec){ src[i], sizes[i] };
	}
	ck_assert_uint_eq(tun_tso_gather(iov, ARRAY_SIZE(iov), len, buf), got);
	for (uint32_t j = 0; j < got; j++)
		ck_assert_uint_eq(buf[j], pattern(j, 7));
	for (uint32_t j = got; j < len; j++)
		ck_assert_uint_eq(buf[j], 0xee);
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		free(src[i]);
	free(buf);
}
END_TEST

static Suite *tun_tso_suite(void)
{
	Suite *s = suite_create("tun_tso");
	TCase *tc = tcase_create("plan");

	tcase_add_loop_test(tc, test_plan_init, 0, ARRAY_SIZE(plan_init_table));
	tcase_add_loop_test(tc, test_records_for, 0, ARRAY_SIZE(records_table));
	tcase_add_loop_test(tc, test_records_for_all, 0, 5);
	tcase_add_loop_test(tc, test_layout, 0, ARRAY_SIZE(layout_table));
	tcase_add_loop_test(tc, test_gather, 0, ARRAY_SIZE(gather_table));
	suite_add_tcase(s, tc);

	tc = tcase_create("split");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_split, 0, 2 * ARRAY_SIZE(split_table));
	tcase_add_loop_test(tc, test_mismatch, 0, ARRAY_SIZE(mismatch_table));
	tcase_add_loop_test(tc, test_einval, 0, 2 * ARRAY_SIZE(einval_table));
	tcase_add_loop_test(tc, test_garbage, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tun_tso_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
