/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test traffic for the in-memory tun: a real IPv4 or IPv6 header (protocol 253, set
 * aside for experiments by RFC 3692; documentation addresses from RFC 5737 and RFC 3849,
 * so a packet that escapes goes nowhere) followed by a body a sink can check on its own:
 *
 *   u16 magic | u16 length | u32 flow | u64 seq | u32 checksum | filler...
 *
 * all big-endian.  length repeats the IP packet's length; checksum covers the body with
 * the checksum field left out.  The 20-byte body makes the smallest packets 40 bytes
 * (IPv4) and 60 bytes (IPv6).  The filler is a xorshift64 stream: its first eight bytes
 * are the stream's starting state (drawn from seed, flow and seq), every later word
 * follows from the one before, so a sink regenerates and compares it byte for byte
 * without knowing the sender's seed.
 */
#ifndef ZCVPN_SRC_TUN_PACKET_H
#define ZCVPN_SRC_TUN_PACKET_H

#include <stdbool.h>
#include <stdint.h>

enum tun_packet_limits {
	TUN_PACKET_BODY = 20,			/* magic, length, flow, seq, checksum */
	TUN_PACKET_MIN_V4 = 20 + TUN_PACKET_BODY,
	TUN_PACKET_MIN_V6 = 40 + TUN_PACKET_BODY,
	TUN_PACKET_PROTO = 253,
};

#define TUN_PACKET_MAGIC 0x5a43u		/* "ZC" */

/*
 * Writes a len-byte packet into buf.  len must be at least the family's minimum and at
 * most 65535.  Same arguments, same bytes.
 */
void tun_packet_build(uint8_t *buf, uint32_t len, bool ipv6, uint32_t flow, uint64_t seq,
		      uint32_t seed);

/*
 * Checks every byte of a received packet: the IP header must be the one
 * tun_packet_build() writes for its length and sequence number, then magic, length, body
 * checksum and filler.  Returns true and stores its flow and sequence number when all
 * are right.
 */
bool tun_packet_verify(const uint8_t *buf, uint32_t len, uint32_t *flow, uint64_t *seq);

#endif /* ZCVPN_SRC_TUN_PACKET_H */
