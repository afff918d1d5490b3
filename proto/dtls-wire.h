/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DTLS 1.2 record layout (RFC 6347 §4.1) and the AEAD/CBC record formats of RFC 5246
 * §6.2.3 and RFC 5288, as GnuTLS and OpenSSL put them on the wire.
 *
 *   header  = type(1) | version(2) = fe fd | epoch(2) | seq(6) | length(2)
 *   GCM     = header | explicit nonce(8) | ciphertext(n) | tag(16);  length = 8 + n + 16
 *   nonce   = salt(4, from the key block) | explicit nonce(8)
 *   AAD     = epoch | seq | type | version | n(2)        (the *plaintext* length)
 *
 *   CBC MtE = header | IV(16) | E(plaintext(n) | HMAC-SHA1(20) | padding)
 *             MAC over seq8 | type | version | n(2) | plaintext;  length = 16 + blocks
 *   CBC EtM = header | IV(16) | E(plaintext(n) | padding) | HMAC-SHA1(20)     (RFC 7366)
 *             MAC over seq8 | type | version | (16 + blocks)(2) | IV | ciphertext;
 *             length = 16 + blocks + 20
 *   padding = p + 1 bytes, each of value p (RFC 5246 §6.2.3.2); we send the fewest.
 *
 * DTLS 0.9 (Cisco, version 01 00) has the same layout and CBC MtE format as above with
 * its own version in header and MAC input; it has neither GCM nor EtM.
 *
 * epoch || seq, 8 bytes, is called seq8 here: it is what the header, the AAD and (as
 * GnuTLS does it) the explicit nonce all carry.
 */
#ifndef ZCVPN_PROTO_DTLS_WIRE_H
#define ZCVPN_PROTO_DTLS_WIRE_H

#include <stdint.h>

struct dtls_hdr {
	uint8_t type;
	uint8_t version[2];
	uint8_t seq8[8];	/* epoch(2) || sequence number(6), big endian */
	uint8_t length[2];	/* bytes after the header */
} __attribute__((packed));

_Static_assert(sizeof(struct dtls_hdr) == 13, "DTLS record header is 13 bytes");

enum dtls_content_type {
	DTLS_CT_CHANGE_CIPHER_SPEC = 20,
	DTLS_CT_ALERT = 21,
	DTLS_CT_HANDSHAKE = 22,
	DTLS_CT_APPLICATION_DATA = 23,
};

enum dtls_wire {
	DTLS_HDR_LEN = 13,
	DTLS_AAD_LEN = 13,
	DTLS_VERSION_1_2 = 0xfefd,
	DTLS_VERSION_0_9 = 0x0100,	/* Cisco's pre-RFC DTLS (OpenSSL DTLS1_BAD_VER) */
	DTLS_GCM_SALT_LEN = 4,
	DTLS_GCM_EXPLICIT_LEN = 8,
	DTLS_GCM_TAG_LEN = 16,
	DTLS_GCM_HEAD = DTLS_HDR_LEN + DTLS_GCM_EXPLICIT_LEN,		/* 21 */
	DTLS_GCM_OVERHEAD = DTLS_GCM_HEAD + DTLS_GCM_TAG_LEN,		/* 37 */
	DTLS_CBC_IV_LEN = 16,
	DTLS_SHA1_LEN = 20,
	DTLS_CBC_HEAD = DTLS_HDR_LEN + DTLS_CBC_IV_LEN,			/* 29 */
	DTLS_CBC_BLOCK = 16,
	DTLS_CBC_MAX_PAD = 256,		/* on receive: length byte + up to 255 bytes */
	DTLS_CBC_SEND_PAD = DTLS_CBC_BLOCK,	/* on send: at most one block */
	DTLS_CBC_TAIL = DTLS_SHA1_LEN + DTLS_CBC_SEND_PAD,		/* 36, either order */
	/* Smallest records: one byte of padding still needs whole blocks. */
	DTLS_CBC_MTE_MIN = DTLS_CBC_HEAD + 2 * DTLS_CBC_BLOCK,		/* 61 */
	DTLS_CBC_ETM_MIN = DTLS_CBC_HEAD + DTLS_CBC_BLOCK + DTLS_SHA1_LEN,	/* 65 */
	DTLS_MAX_PLAINTEXT = 16384,	/* 2^14, RFC 5246 §6.2.1 */
	DTLS_SEQ_SHIFT = 48,		/* seq8 = epoch << 48 | sequence number */
};

/* The last usable 48-bit sequence number; the epoch must change before it wraps. */
#define DTLS_SEQ_MAX ((UINT64_C(1) << DTLS_SEQ_SHIFT) - 1)

#endif /* ZCVPN_PROTO_DTLS_WIRE_H */
