/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network byte order loads and stores at any alignment, for wire headers, which sit at
 * arbitrary offsets inside ring records.  Byte-wise, which compilers turn into a single
 * load or store plus a byte swap, except put_be64 (below).
 */
#ifndef ZCVPN_SRC_UTIL_BYTEORDER_H
#define ZCVPN_SRC_UTIL_BYTEORDER_H

#include <stdint.h>
#include <string.h>

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

/*
 * One 8-byte store, not two of four: what is read back soon after with a wide load (a
 * nonce, an AAD the cipher copies into a block) cannot be forwarded from several
 * smaller stores still in the store buffer, and waits for them to reach the cache
 * (10-15 ns a packet, measured by bench_esp and bench_dtls).
 */
static inline void put_be64(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, sizeof(v));
}

#endif /* ZCVPN_SRC_UTIL_BYTEORDER_H */
