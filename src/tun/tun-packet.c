/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building and verifying the in-memory tun's self-checking test packets. */
#include "config.h"

#include "src/tun/tun-packet.h"

#include "src/util/byteorder.h"

#include <endian.h>
#include <string.h>

enum {
	IPV4_HDR = 20,
	IPV6_HDR = 40,
	OFF_MAGIC = 0,
	OFF_LENGTH = 2,
	OFF_FLOW = 4,
	OFF_SEQ = 8,
	OFF_CHECKSUM = 16,
	IPV4_DF = 0x4000,
	HOP_LIMIT = 64,
};

/* Filler and hash words are little-endian: on the usual hosts a plain load or store. */
static void put64le(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static uint64_t get64le(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* RFC 1071 over the 20-byte header; 0 when a header with its checksum in place is intact. */
static uint16_t ipv4_checksum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < IPV4_HDR; i += 2)
		sum += get_be16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t xorshift64(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/*
 * FNV-1a over 64-bit words (bytes for the tail): order-sensitive, and every change to a
 * single word changes the 64-bit state, at an eighth of the byte-wise cost.
 */
static uint64_t hash_bytes(uint64_t h, const uint8_t *p, uint32_t len)
{
	const uint64_t prime = 0x100000001b3ull;
	uint32_t i = 0;

	for (; i + 8 <= len; i += 8)
		h = (h ^ get64le(p + i)) * prime;
	for (; i < len; i++)
		h = (h ^ p[i]) * prime;
	return h;
}

static uint32_t body_checksum(const uint8_t *body, uint32_t body_len)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, body, OFF_CHECKSUM);

	h = hash_bytes(h, body + TUN_PACKET_BODY, body_len - TUN_PACKET_BODY);
	return (uint32_t)(h ^ h >> 32);
}

static void ipv4_header(uint8_t *h, uint32_t len, uint64_t seq)
{
	memset(h, 0, IPV4_HDR);
	h[0] = 0x45;
	put_be16(h + 2, (uint16_t)len);
	put_be16(h + 4, (uint16_t)seq);
	put_be16(h + 6, IPV4_DF);
	h[8] = HOP_LIMIT;
	h[9] = TUN_PACKET_PROTO;
	put_be32(h + 12, 0xc0000201);		/* 192.0.2.1 -> 198.51.100.1 */
	put_be32(h + 16, 0xc6336401);
	put_be16(h + 10, ipv4_checksum(h));
}

static void ipv6_header(uint8_t *h, uint32_t len)
{
	static const uint8_t doc_prefix[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	memset(h, 0, IPV6_HDR);
	h[0] = 0x60;
	put_be16(h + 4, (uint16_t)(len - IPV6_HDR));
	h[6] = TUN_PACKET_PROTO;
	h[7] = HOP_LIMIT;
	memcpy(h + 8, doc_prefix, sizeof(doc_prefix));	/* 2001:db8::1 -> 2001:db8::2 */
	h[23] = 1;
	memcpy(h + 24, doc_prefix, sizeof(doc_prefix));
	h[39] = 2;
}

static void fill(uint8_t *p, uint32_t len, uint64_t state)
{
	uint8_t word[8];
	uint32_t i = 0;

	for (; i + 8 <= len; i += 8) {
		put64le(p + i, state);
		state = xorshift64(state);
	}
	put64le(word, state);
	memcpy(p + i, word, len - i);
}

void tun_packet_build(uint8_t *buf, uint32_t len, bool ipv6, uint32_t flow, uint64_t seq,
		      uint32_t seed)
{
	uint32_t hdr = ipv6 ? IPV6_HDR : IPV4_HDR;
	uint8_t *body = buf + hdr;
	uint32_t body_len = len - hdr;
	/* Never 0: xorshift would stay there. */
	uint64_t state = splitmix64((uint64_t)seed << 32 ^ flow ^ splitmix64(seq)) | 1;

	if (ipv6)
		ipv6_header(buf, len);
	else
		ipv4_header(buf, len, seq);
	put_be16(body + OFF_MAGIC, TUN_PACKET_MAGIC);
	put_be16(body + OFF_LENGTH, (uint16_t)len);
	put_be32(body + OFF_FLOW, flow);
	put_be64(body + OFF_SEQ, seq);
	fill(body + TUN_PACKET_BODY, body_len - TUN_PACKET_BODY, state);
	put_be32(body + OFF_CHECKSUM, body_checksum(body, body_len));
}

/*
 * Returns the IP header length, or 0 when the header is not exactly the one
 * tun_packet_build() writes for this length and sequence number: every byte is checked,
 * not just the ones a router would look at.
 */
static uint32_t check_ip_header(const uint8_t *buf, uint32_t len, uint64_t seq)
{
	uint8_t expect[IPV6_HDR];

	if (len >= TUN_PACKET_MIN_V4 && buf[0] >> 4 == 4) {
		ipv4_header(expect, len, seq);
		return memcmp(buf, expect, IPV4_HDR) ? 0 : IPV4_HDR;
	}
	if (len >= TUN_PACKET_MIN_V6 && buf[0] >> 4 == 6) {
		ipv6_header(expect, len);
		return memcmp(buf, expect, IPV6_HDR) ? 0 : IPV6_HDR;
	}
	return 0;
}

/* The filler after its first word must be that word's xorshift successors. */
static bool check_fill(const uint8_t *p, uint32_t len)
{
	uint8_t word[8];
	uint64_t state;
	uint32_t i;

	if (len <= 8)
		return true;		/* the start state itself is covered by the checksum */
	state = get64le(p);
	if (!(state & 1))
		return false;
	for (i = 8; i + 8 <= len; i += 8) {
		state = xorshift64(state);
		if (get64le(p + i) != state)
			return false;
	}
	put64le(word, xorshift64(state));
	return !memcmp(p + i, word, len - i);
}

bool tun_packet_verify(const uint8_t *buf, uint32_t len, uint32_t *flow, uint64_t *seq)
{
	uint32_t hdr = len >= 1 && buf[0] >> 4 == 6 ? IPV6_HDR : IPV4_HDR;
	const uint8_t *body = buf + hdr;
	uint32_t body_len;
	uint64_t s;

	if (len < hdr + TUN_PACKET_BODY || len > 0xffff)
		return false;
	body_len = len - hdr;
	s = get_be64(body + OFF_SEQ);
	if (check_ip_header(buf, len, s) != hdr || get_be16(body + OFF_MAGIC) != TUN_PACKET_MAGIC ||
	    get_be16(body + OFF_LENGTH) != len ||
	    get_be32(body + OFF_CHECKSUM) != body_checksum(body, body_len) ||
	    !check_fill(body + TUN_PACKET_BODY, body_len - TUN_PACKET_BODY))
		return false;
	*flow = get_be32(body + OFF_FLOW);
	*seq = s;
	return true;
}
