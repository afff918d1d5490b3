/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tun's receive coalescing (src/tun/tun-gro.c: tun_gro_plan, tun_gro_undo) on
 * hostile runs of rx packets, planned write by write over the whole batch as the rx
 * path does.
 *
 * The first byte picks the mode: bit 0: the harness makes each packet's IPv4 total
 * length / IPv6 payload length, IPv4 header checksum and TCP checksum right (with its
 * own RFC 1071 sum), so runs can form; bit 1: "follow": every packet after the first
 * is the previous one's IP and TCP headers with the sequence number advanced by its
 * payload, its TCP flags XORed with the packet's first byte and the rest of its bytes
 * as payload (so the fuzzer drives the run rules: sizes, PSH, FIN, flags), instead of
 * bytes taken as they are.  Then up to 80 packets, each a 16-bit length (mod 2048)
 * and its bytes, each in a buffer of its exact size.  Every write must take 1..64
 * packets, its iovecs must lie inside those packets (the first one whole), the later
 * packets and a lone one must be untouched, and tun_gro_undo() must give the first
 * packet back as it was.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "src/tun/tun-gro.h"
#include "src/util/byteorder.h"
#include "tests/fuzz/fuzz.h"

enum { MAX_PKTS = 80, MAX_PKT = 2048, PROTO_TCP = 6 };

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The IP header length of a TCP packet, or 0 when p is none (or its TCP header is cut). */
static uint32_t tcp_ip_hlen(const uint8_t *p, uint32_t len)
{
	uint32_t ip_hlen;

	if (len < 20)
		return 0;
	if (p[0] >> 4 == 4) {
		ip_hlen = (p[0] & 0xfu) * 4;
		if (ip_hlen < 20 || p[9] != PROTO_TCP)
			return 0;
	} else if (p[0] >> 4 == 6) {
		ip_hlen = 40;
		if (p[6] != PROTO_TCP)
			return 0;
	} else {
		return 0;
	}
	return len >= ip_hlen + 20 ? ip_hlen : 0;
}

/* Lengths and checksums right, for a TCP packet; anything else as it is. */
static void fix_packet(uint8_t *p, uint32_t len)
{
	uint32_t ip_hlen = tcp_ip_hlen(p, len), sum;
	uint8_t *th = p + ip_hlen;

	if (!ip_hlen)
		return;
	if (ip_hlen == 40) {
		put_be16(p + 4, (uint16_t)(len - 40));
		sum = sum16(0, p + 8, 32);
	} else {
		put_be16(p + 2, (uint16_t)len);
		p[10] = p[11] = 0;
		put_be16(p + 10, (uint16_t)~fold(sum16(0, p, ip_hlen)));
		sum = sum16(0, p + 12, 8);
	}
	sum += PROTO_TCP + (len - ip_hlen);
	th[16] = th[17] = 0;
	put_be16(th + 16, (uint16_t)~fold(sum16(sum, th, len - ip_hlen)));
}

/* The next packet of a follow run: prev's headers, sequence advanced, flags changed. */
static uint32_t follow(const uint8_t *prev, uint32_t prev_len, const uint8_t *chunk,
		       uint32_t chunk_len, uint8_t *out)
{
	uint32_t ip_hlen = tcp_ip_hlen(prev, prev_len), hdr, len;

	if (!ip_hlen || !chunk_len)
		return 0;
	hdr = ip_hlen + (prev[ip_hlen + 12] >> 4) * 4u;
	if (hdr < ip_hlen + 20 || hdr > prev_len || hdr + chunk_len - 1 > MAX_PKT)
		return 0;
	len = hdr + chunk_len - 1;
	memcpy(out, prev, hdr);
	put_be32(out + ip_hlen + 4, get_be32(prev + ip_hlen + 4) + (prev_len - hdr));
	out[ip_hlen + 13] ^= chunk[0];
	memcpy(out + hdr, chunk + 1, chunk_len - 1);
	return len;
}

static bool inside(const void *base, size_t len, const struct tun_gro_pkt *p)
{
	const uint8_t *b = base;

	return b >= p->data && b + len <= p->data + p->len && len <= p->len;
}

/* One write's plan, checked; returns the packets it took. */
static unsigned int plan_one(struct tun_gro_pkt *pkts, uint8_t *const *copy, unsigned int n)
{
	static const struct virtio_net_hdr zero_vnet;
	static struct tun_gro_write w;
	unsigned int got;
	uint64_t bytes = 0, total = 0;

	memset(&w, 0xa5, sizeof(w));	/* stale bytes must not leak into a write */
	got = tun_gro_plan(&w, pkts, n);
	if (got != w.packets || got < 1 || got > n || got > TUN_GRO_MAX_SEGMENTS ||
	    w.iovcnt != got + 1)
		abort();
	if (w.iov[0].iov_base != &w.vnet || w.iov[0].iov_len != sizeof(w.vnet))
		abort();
	if (w.iov[1].iov_base != pkts[0].data || w.iov[1].iov_len != pkts[0].len)
		abort();
	/* Every later iovec lies inside its own packet. */
	for (unsigned int k = 1; k < got; k++)
		if (!inside(w.iov[k + 1].iov_base, w.iov[k + 1].iov_len, &pkts[k]))
			abort();
	for (unsigned int k = 0; k < got; k++) {
		bytes += pkts[k].len;
		total += w.iov[k + 1].iov_len;
	}
	if (w.bytes != bytes)
		abort();
	/* The later packets are read, never written. */
	for (unsigned int k = 1; k < got; k++)
		if (memcmp(pkts[k].data, copy[k], pkts[k].len))
			abort();
	if (got == 1) {
		if (memcmp(&w.vnet, &zero_vnet, sizeof(zero_vnet)) ||
		    memcmp(pkts[0].data, copy[0], pkts[0].len))
			abort();
	} else if (total > TUN_GRO_MAX_BYTES || !w.vnet.gso_size) {
		abort();
	}
	tun_gro_undo(&w);
	if (memcmp(pkts[0].data, copy[0], pkts[0].len))
		abort();
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	bool fix = mode & 1, follow_mode = mode & 2;
	static uint8_t scratch[MAX_PKT];
	struct tun_gro_pkt pkts[MAX_PKTS];
	uint8_t *copy[MAX_PKTS];
	unsigned int n = 0;

	while (n < MAX_PKTS && in.size) {
		size_t chunk = fuzz_u16(&in) % MAX_PKT;
		const uint8_t *src = in.data;
		uint32_t len;

		if (chunk > in.size)
			chunk = in.size;
		in.data += chunk;
		in.size -= chunk;
		len = (uint32_t)chunk;
		if (follow_mode && n) {
			len = follow(pkts[n - 1].data, pkts[n - 1].len, src, (uint32_t)chunk,
				     scratch);
			if (!len)
				continue;
			src = scratch;
		}
		pkts[n].data = malloc(len ? len : 1);
		copy[n] = malloc(len ? len : 1);
		if (!pkts[n].data || !copy[n])
			abort();
		memcpy(pkts[n].data, src, len);
		pkts[n].len = len;
		if (fix)
			fix_packet(pkts[n].data, len);
		memcpy(copy[n], pkts[n].data, len);
		n++;
	}
	for (unsigned int i = 0; i < n;)
		i += plan_one(pkts + i, copy + i, n - i);
	for (unsigned int i = 0; i < n; i++) {
		free(pkts[i].data);
		free(copy[i]);
	}
	return 0;
}
