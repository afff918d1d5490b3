/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the tun offload tests (check_tun_gro, check_tun_tso): TCP flag names, a byte copy
 * helper, and the Internet checksum written the slow, obvious way, independently of src/inet-csum.c,
 * so the tests do not grade the module with its own arithmetic.
 */
#ifndef ZCVPN_TESTS_INET_REF_H
#define ZCVPN_TESTS_INET_REF_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum tcp_flag {
	FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40,
	CWR = 0x80,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A malloc'd copy of len bytes (at least one byte allocated); the caller frees it. */
static inline uint8_t *dup_bytes(const uint8_t *p, uint32_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

/* RFC 1071 the slow, obvious way: big-endian words, an odd last byte padded with zero. */
static inline uint64_t ref_sum(uint64_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 2)
		sum += (uint64_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	return sum;
}

static inline uint16_t ref_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint64_t ref_pseudo(const uint8_t *ip, uint8_t proto, uint32_t l4_len)
{
	if (ip[0] >> 4 == 6)
		return ref_sum(0, ip + 8, 32) + (l4_len >> 16) + (l4_len & 0xffff) + proto;
	return ref_sum(0, ip + 12, 8) + proto + l4_len;
}

#endif /* ZCVPN_TESTS_INET_REF_H */
