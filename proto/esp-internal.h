/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State shared by esp-sa.c, esp-send.c and esp-receive.c; not for other modules. */
#ifndef ZCVPN_PROTO_ESP_INTERNAL_H
#define ZCVPN_PROTO_ESP_INTERNAL_H

#include "proto/esp.h"
#include "proto/esp-wire.h"

struct esp_sa {
	bool active;
	bool gcm;			/* esp_suite_is_gcm(enc), looked up once, not per packet */
	uint32_t spi;			/* host byte order */
	enum esp_enc enc;
	enum esp_auth auth;
	uint32_t iv_len;		/* on the wire: 16 CBC, 8 GCM */
	uint32_t icv_len;		/* on the wire: 12, 16 */
	uint32_t block;			/* ciphertext granularity: 16 CBC, 4 GCM */
	struct crypto_aead *aead;	/* GCM */
	struct crypto_cbc *cbc;		/* CBC */
	struct crypto_hmac *hmac;	/* CBC */
	uint8_t salt[ESP_GCM_SALT_LEN];	/* GCM nonce prefix */
	/*
	 * GCM: the explicit IV is the 64-bit sequence number XOR this, random for each SA
	 * installed (Linux's seqiv does the same).  Unique per packet as the sequence number
	 * is, yet a peer that restarts with the same keys (a key file: sequence numbers
	 * from 1 again) does not repeat the nonces of its previous run.
	 */
	uint64_t iv_mask;
	/* outbound */
	uint64_t seq;			/* last sequence number sent */
	uint8_t next_iv[ESP_CBC_IV_LEN];	/* CBC: unpredictable, chained from the last ICV */
	/* inbound */
	struct replay_window replay;
	uint64_t grace_limit;		/* previous SA: highest sequence still accepted,
					 * UINT64_MAX until the new SA is in use */
};

struct esp {
	struct esp_sa out;
	struct esp_sa in[2];		/* in[0] current, in[1] previous */
	struct esp_stats stats;
};

/* esp-sa.c */
void esp_sa_clear(struct esp_sa *sa);

#endif /* ZCVPN_PROTO_ESP_INTERNAL_H */
