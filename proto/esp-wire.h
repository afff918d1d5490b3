/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP in UDP as OpenConnect's Juniper/Pulse/GlobalProtect peers use it: the UDP payload
 * starts with the SPI (no RFC 3948 non-ESP marker, no IKE), tunnel mode.
 *
 *   [SPI 4][seq 4][IV 16 (CBC) | 8 (GCM)][ciphertext][ICV 12/16 (HMAC) | 16 (GCM)]
 *   plaintext = [inner IP packet][pad 1,2,3..n][pad length][next header 4 | 41]
 */
#ifndef ZCVPN_PROTO_ESP_WIRE_H
#define ZCVPN_PROTO_ESP_WIRE_H

#include <stdint.h>

struct esp_hdr {
	uint32_t spi;		/* network byte order */
	uint32_t seq;		/* network byte order */
} __attribute__((packed));

_Static_assert(sizeof(struct esp_hdr) == 8, "ESP header is 8 bytes");

enum esp_wire {
	ESP_HDR_LEN = 8,
	ESP_CBC_IV_LEN = 16,
	ESP_GCM_IV_LEN = 8,
	ESP_GCM_SALT_LEN = 4,
	ESP_GCM_ICV_LEN = 16,
	ESP_TRAILER_LEN = 2,		/* pad length + next header */
	ESP_CBC_BLOCK = 16,
	ESP_GCM_ALIGN = 4,		/* RFC 4106: ciphertext 4-byte aligned */
	ESP_MAX_HEAD = ESP_HDR_LEN + ESP_CBC_IV_LEN,			/* 24 */
	ESP_MAX_ICV_LEN = 16,						/* SHA-256-128, GCM */
	ESP_MAX_TAIL = ESP_CBC_BLOCK - 1 + ESP_TRAILER_LEN + ESP_MAX_ICV_LEN,	/* 33 */
	/* The least a datagram carries besides its payload: GCM (CBC carries more). */
	ESP_MIN_OVERHEAD = ESP_HDR_LEN + ESP_GCM_IV_LEN + ESP_TRAILER_LEN + ESP_GCM_ICV_LEN, /* 34 */
};

enum esp_next_header {
	ESP_NH_IPV4 = 4,
	ESP_NH_IPV6 = 41,
};

/* Juniper/Pulse liveness probe: an ESP packet whose plaintext payload is one zero byte. */
enum { ESP_PROBE_LEN = 1 };

#endif /* ZCVPN_PROTO_ESP_WIRE_H */
