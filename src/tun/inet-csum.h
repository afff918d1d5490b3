/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Internet checksum (RFC 1071) for IP, TCP and UDP headers built or checked in
 * place.  The sum is accumulated with native loads, which RFC 1071 allows because the
 * ones' complement sum is byte-order independent: a result stored with a native store
 * (memcpy of the uint16_t) has the right bytes on the wire.
 */
#ifndef ZCVPN_SRC_TUN_INET_CSUM_H
#define ZCVPN_SRC_TUN_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes at data to sum.  Every call but the last must cover an even number of
 * bytes; an odd last byte counts as if padded with a zero, as RFC 1071 says.
 */
uint64_t inet_csum_add(uint64_t sum, const void *data, size_t len);

/* Folds a sum to 16 bits, not complemented, in native order (see above). */
uint16_t inet_csum_fold(uint64_t sum);

/*
 * The TCP/UDP pseudo-header (RFC 793, RFC 8200 §8.1) for an IPv4 or IPv6 packet: its
 * addresses, the protocol and l4_len, summed.  ip is the IP header (version read from
 * its first nibble; 20+ bytes for IPv4, 40 for IPv6).
 */
uint64_t inet_csum_pseudo(const uint8_t *ip, uint8_t protocol, uint32_t l4_len);

/*
 * Completes a checksum left partial (CHECKSUM_PARTIAL, virtio's NEEDS_CSUM): the field at
 * start + offset holds the pseudo-header sum; sums from start to the end of the packet
 * and stores the complement there (0xffff for a zero, which UDP reserves for "none").
 * Returns 0, or -EINVAL when the field or start lies outside the packet.
 */
int inet_csum_finish(uint8_t *pkt, uint32_t len, uint32_t start, uint32_t offset);

#endif /* ZCVPN_SRC_TUN_INET_CSUM_H */
