/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP decapsulation (proto/esp-receive.c) on hostile datagrams.
 *
 * The first byte picks the suite (AES-128/256-GCM, AES-128-CBC+HMAC-SHA1-96,
 * AES-256-CBC+HMAC-SHA256-128) and the mode:
 *  - raw: each datagram goes to esp_decap() as it is, which reaches everything before
 *    authentication (lengths, SPI lookup, replay precheck, ICV comparison);
 *  - sealed: the harness seals each datagram's body with the SA's own key first (its
 *    first four bytes are the sequence number, the rest the plaintext, trailer bytes
 *    and all), so the fuzzer also drives what only authentic packets reach: padding,
 *    next header, lengths against the record, the replay window.
 * Then up to 16 datagrams, each a 16-bit length and its bytes, through one inbound SA,
 * every one in a record of its exact size so ASan sees any byte touched outside it.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "proto/esp-wire.h"
#include "proto/esp.h"
#include "ring/pkt.h"
#include "src/util/byteorder.h"
#include "tests/fuzz/fuzz.h"

enum {
	SPI = 0x1000a,
	MAX_DATAGRAMS = 16,
	MAX_DATAGRAM = 2048,
	LEAD = 64,			/* the record's room around the datagram */
	TRAIL = 64,
	MTU = 1500,
};

struct suite {
	enum esp_enc enc;
	enum esp_auth auth;
	enum crypto_cipher cipher;
	enum crypto_hmac_alg hmac;
	uint32_t key_len, auth_key_len, icv_len;
};

static const struct suite suites[] = {
	{ ESP_ENC_AES128_GCM, ESP_AUTH_NONE, CRYPTO_AES128_GCM, 0, 16, 0, ESP_GCM_ICV_LEN },
	{ ESP_ENC_AES256_GCM, ESP_AUTH_NONE, CRYPTO_AES256_GCM, 0, 32, 0, ESP_GCM_ICV_LEN },
	{ ESP_ENC_AES128_CBC, ESP_AUTH_HMAC_SHA1_96, CRYPTO_AES128_CBC, CRYPTO_HMAC_SHA1, 16,
	  20, 12 },
	{ ESP_ENC_AES256_CBC, ESP_AUTH_HMAC_SHA256_128, CRYPTO_AES256_CBC, CRYPTO_HMAC_SHA256,
	  32, 32, 16 },
};

/* The harness's own sealing keys: the same bytes the SA is given. */
struct sealer {
	const struct suite *s;
	struct crypto_aead *aead;
	struct crypto_cbc *cbc;
	struct crypto_hmac *hmac;
	uint8_t salt[ESP_GCM_SALT_LEN];
};

static void fill_key(uint8_t *key, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)(seed + i * 29);
}

static int sa_config(const struct suite *s, struct esp_sa_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->spi = SPI;
	cfg->enc = s->enc;
	cfg->auth = s->auth;
	cfg->enc_key_len = s->key_len + (s->auth == ESP_AUTH_NONE ? ESP_GCM_SALT_LEN : 0);
	fill_key(cfg->enc_key, cfg->enc_key_len, 1);
	cfg->auth_key_len = s->auth_key_len;
	fill_key(cfg->auth_key, cfg->auth_key_len, 2);
	return 0;
}

static int sealer_init(struct sealer *z, const struct suite *s, const struct esp_sa_config *cfg)
{
	memset(z, 0, sizeof(*z));
	z->s = s;
	if (s->auth == ESP_AUTH_NONE) {
		memcpy(z->salt, cfg->enc_key + s->key_len, ESP_GCM_SALT_LEN);
		return crypto_aead_new(&z->aead, s->cipher, cfg->enc_key, s->key_len);
	}
	if (crypto_cbc_new(&z->cbc, s->cipher, cfg->enc_key, s->key_len))
		return -1;
	return crypto_hmac_new(&z->hmac, s->hmac, cfg->auth_key, cfg->auth_key_len);
}

static void sealer_free(struct sealer *z)
{
	crypto_aead_free(z->aead);
	crypto_cbc_free(z->cbc);
	crypto_hmac_free(z->hmac);
}

/*
 * Seals body (4 bytes of sequence number, then plaintext) into out as an ESP datagram.
 * Returns its length, or 0 when the body cannot make one (CBC: under one block).
 */
static size_t seal(struct sealer *z, const uint8_t *body, size_t len, uint8_t *out)
{
	bool gcm = z->aead != NULL;
	uint32_t iv_len = gcm ? ESP_GCM_IV_LEN : ESP_CBC_IV_LEN;
	uint8_t *iv = out + ESP_HDR_LEN, *ct = iv + iv_len;
	size_t ct_len;

	if (len < 4)
		return 0;
	ct_len = len - 4;
	if (!gcm)
		ct_len -= ct_len % CRYPTO_AES_BLOCK;
	if (!ct_len && !gcm)
		return 0;
	put_be32(out, SPI);
	memcpy(out + 4, body, 4);
	memcpy(ct, body + 4, ct_len);
	if (gcm) {
		uint8_t nonce[CRYPTO_GCM_NONCE_LEN];

		memset(iv, 0, iv_len);
		memcpy(iv + 4, body, 4);
		memcpy(nonce, z->salt, ESP_GCM_SALT_LEN);
		memcpy(nonce + ESP_GCM_SALT_LEN, iv, iv_len);
		if (crypto_aead_seal(z->aead, nonce, out, ESP_HDR_LEN, ct, ct_len, ct + ct_len))
			return 0;
	} else {
		uint8_t digest[CRYPTO_HMAC_MAX_LEN];
		struct iovec iov = { out, ESP_HDR_LEN + iv_len + ct_len };

		fill_key(iv, iv_len, body[3]);
		if (crypto_cbc_encrypt(z->cbc, iv, ct, ct_len) ||
		    crypto_hmac_compute(z->hmac, &iov, 1, digest))
			return 0;
		memcpy(ct + ct_len, digest, z->s->icv_len);
	}
	return ESP_HDR_LEN + iv_len + ct_len + z->s->icv_len;
}

/* One datagram into a record of its exact size, through esp_decap(). */
static void decap_one(struct esp *esp, const uint8_t *dgram, size_t len)
{
	uint8_t *rec = malloc(LEAD + len + TRAIL);
	struct pkt pkt;
	volatile uint8_t sink = 0;

	if (!rec)
		abort();
	memcpy(rec + LEAD, dgram, len);
	pkt = (struct pkt){ .head = rec, .data = rec + LEAD, .len = (uint32_t)len,
			    .end = rec + LEAD + len + TRAIL };
	if (esp_decap(esp, &pkt, MTU) == ESP_DATA) {
		/* The inner packet lies inside the record and within the MTU. */
		if (pkt.data < pkt.head || pkt.data + pkt.len > pkt.end || pkt.len > MTU)
			abort();
		for (uint32_t i = 0; i < pkt.len; i++)
			sink ^= pkt.data[i];
	}
	(void)sink;
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	const struct suite *s = &suites[mode & 3];
	bool sealed = mode & 4;
	static uint8_t sealed_buf[MAX_DATAGRAM + 64];
	struct esp_sa_config cfg;
	struct sealer z;
	struct esp *esp;

	sa_config(s, &cfg);
	cfg.replay_window = mode & 8 ? 128 : 0;	/* the default is 64 */
	if (esp_new(&esp) || esp_set_inbound(esp, &cfg, NULL))
		abort();
	if (sealer_init(&z, s, &cfg))
		abort();
	for (int n = 0; n < MAX_DATAGRAMS && in.size; n++) {
		size_t len = fuzz_u16(&in) % MAX_DATAGRAM;

		if (len > in.size)
			len = in.size;
		if (sealed) {
			size_t out = seal(&z, in.data, len, sealed_buf);

			if (out)
				decap_one(esp, sealed_buf, out);
		} else {
			decap_one(esp, in.data, len);
		}
		in.data += len;
		in.size -= len;
	}
	sealer_free(&z);
	esp_free(esp);
	return 0;
}
