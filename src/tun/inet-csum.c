/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "src/tun/inet-csum.h"

#include <errno.h>
#include <string.h>

uint64_t inet_csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0, carries = 0, w;
	uint32_t w32;
	uint16_t h;

	/*
	 * Ones' complement addition is byte-order independent and associative, so the
	 * bulk goes 8 bytes per add, the carries out of bit 63 counted apart (they are
	 * worth 1 each once folded: 2^64 = 1 mod 2^16 - 1).  This runs once per segment
	 * of every TSO packet, so it is worth the twice-faster loop.
	 */
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		carries += __builtin_add_overflow(acc, w, &acc);
	}
	sum += (acc & 0xffffffffu) + (acc >> 32) + carries;
	if (len >= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		sum += h;
	}
	return sum;
}

uint16_t inet_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t inet_csum_pseudo(const uint8_t *ip, uint8_t protocol, uint32_t l4_len)
{
	/* Both layouts end in the same zero/protocol/length words, in network order. */
	uint8_t tail[8] = { 0, 0, (uint8_t)(l4_len >> 24), (uint8_t)(l4_len >> 16),
			    (uint8_t)(l4_len >> 8), (uint8_t)l4_len, 0, protocol };

	if (ip[0] >> 4 == 6)
		return inet_csum_add(inet_csum_add(0, ip + 8, 32), tail, 8);
	return inet_csum_add(inet_csum_add(0, ip + 12, 8), tail, 8);
}

int inet_csum_finish(uint8_t *pkt, uint32_t len, uint32_t start, uint32_t offset)
{
	uint16_t csum;

	if (start > len || offset > len - start || len - start - offset < 2)
		return -EINVAL;
	csum = (uint16_t)~inet_csum_fold(inet_csum_add(0, pkt + start, len - start));
	/* As the kernel's skb_checksum_help(): for UDP a zero would mean "no checksum". */
	if (!csum)
		csum = 0xffff;
	memcpy(pkt + start + offset, &csum, 2);
	return 0;
}
