/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-place DTLS record layer's receive side (dtls_record_unprotect in
 * proto/dtls-record.c) on hostile datagrams.
 *
 * The first byte picks the format (bits 0-2: AES-128/256-GCM, AES-128/256-CBC-SHA1
 * MAC-then-encrypt, the same as encrypt-then-MAC, the same as DTLS 0.9, all DTLS 1.2
 * but the last) and the mode:
 *  - raw (bit 3 clear): each datagram goes to dtls_record_unprotect() as it is, which
 *    reaches everything before authentication (header, lengths, block alignment, the
 *    replay precheck, the tag, MtE's constant-time padding and MAC scan);
 *  - sealed (bit 3 set): the harness makes an authentic record of each datagram's body
 *    with the same keys first, so the fuzzer also drives what only authentic records
 *    reach.  The body is the 48-bit sequence number (6 bytes), then for GCM the
 *    plaintext; for CBC a 16-bit plaintext length n and then bytes, the first n of
 *    them plaintext and the rest the padding, fuzzer-chosen in length and value (cut to
 *    whole blocks), encrypted as plaintext | MAC | padding (MtE) or plaintext |
 *    padding, then MACed (EtM);
 * bit 4: a 128-record replay window instead of the default 64; bit 5: a caller room
 * (max_plain) of 200 bytes instead of 2^14.
 * Then up to 16 datagrams, each a 16-bit length and its bytes, through one record
 * layer, every one in a record of its exact size so ASan sees any byte touched outside.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "src/util/byteorder.h"
#include "tests/fuzz/fuzz.h"

enum {
	MAX_DATAGRAMS = 16,
	MAX_DATAGRAM = 2048,
	EPOCH = 1,
	RX_NEXT = 5,			/* the library read 0..4 */
	SEQ_LEN = 6,
	SMALL_ROOM = 200,
};

struct format {
	enum dtls_suite suite;
	uint16_t version;
	bool etm;
	enum crypto_cipher cipher;
	uint32_t key_len;
};

static const struct format formats[] = {
	{ DTLS_SUITE_AES128_GCM, DTLS_VERSION_1_2, false, CRYPTO_AES128_GCM, 16 },
	{ DTLS_SUITE_AES256_GCM, DTLS_VERSION_1_2, false, CRYPTO_AES256_GCM, 32 },
	{ DTLS_SUITE_AES128_CBC_SHA1, DTLS_VERSION_1_2, false, CRYPTO_AES128_CBC, 16 },
	{ DTLS_SUITE_AES256_CBC_SHA1, DTLS_VERSION_1_2, false, CRYPTO_AES256_CBC, 32 },
	{ DTLS_SUITE_AES128_CBC_SHA1, DTLS_VERSION_1_2, true, CRYPTO_AES128_CBC, 16 },
	{ DTLS_SUITE_AES256_CBC_SHA1, DTLS_VERSION_1_2, true, CRYPTO_AES256_CBC, 32 },
	{ DTLS_SUITE_AES128_CBC_SHA1, DTLS_VERSION_0_9, false, CRYPTO_AES128_CBC, 16 },
	{ DTLS_SUITE_AES256_CBC_SHA1, DTLS_VERSION_0_9, false, CRYPTO_AES256_CBC, 32 },
};

/* The harness's own sealing keys: the record layer's read keys. */
struct sealer {
	const struct format *f;
	struct crypto_aead *aead;
	struct crypto_cbc *cbc;
	struct crypto_hmac *hmac;
	uint8_t salt[DTLS_GCM_SALT_LEN];
};

static void fill_key(uint8_t *key, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)(seed + i * 29);
}

static void make_keys(const struct format *f, struct dtls_keys *k)
{
	bool gcm = f->suite & DTLS_SUITES_GCM;

	memset(k, 0, sizeof(*k));
	k->suite = f->suite;
	k->version = f->version;
	k->etm = f->etm;
	k->key_len = f->key_len;
	k->iv_len = gcm ? DTLS_GCM_SALT_LEN : DTLS_CBC_IV_LEN;
	k->mac_key_len = gcm ? 0 : DTLS_SHA1_LEN;
	fill_key(k->read.key, f->key_len, 1);
	fill_key(k->read.iv, k->iv_len, 2);
	fill_key(k->read.mac_key, k->mac_key_len, 3);
	fill_key(k->write.key, f->key_len, 4);
	fill_key(k->write.iv, k->iv_len, 5);
	fill_key(k->write.mac_key, k->mac_key_len, 6);
	k->read.seq8 = (uint64_t)EPOCH << DTLS_SEQ_SHIFT | RX_NEXT;
	k->write.seq8 = (uint64_t)EPOCH << DTLS_SEQ_SHIFT | 1;
}

static int sealer_init(struct sealer *z, const struct format *f, const struct dtls_keys *k)
{
	memset(z, 0, sizeof(*z));
	z->f = f;
	if (f->suite & DTLS_SUITES_GCM) {
		memcpy(z->salt, k->read.iv, DTLS_GCM_SALT_LEN);
		return crypto_aead_new(&z->aead, f->cipher, k->read.key, f->key_len);
	}
	if (crypto_cbc_new(&z->cbc, f->cipher, k->read.key, f->key_len))
		return -1;
	return crypto_hmac_new(&z->hmac, CRYPTO_HMAC_SHA1, k->read.mac_key, DTLS_SHA1_LEN);
}

static void sealer_free(struct sealer *z)
{
	crypto_aead_free(z->aead);
	crypto_cbc_free(z->cbc);
	crypto_hmac_free(z->hmac);
}

/* header: type 23 | version | epoch | seq | length */
static void put_hdr(const struct sealer *z, uint8_t *out, uint64_t seq8, uint32_t len)
{
	out[0] = DTLS_CT_APPLICATION_DATA;
	put_be16(out + 1, z->f->version);
	put_be64(out + 3, seq8);
	put_be16(out + 11, (uint16_t)len);
}

/* The MAC/AAD input: seq8 | type | version | len. */
static void put_aad(const struct sealer *z, uint8_t *aad, uint64_t seq8, uint32_t len)
{
	put_be64(aad, seq8);
	aad[8] = DTLS_CT_APPLICATION_DATA;
	put_be16(aad + 9, z->f->version);
	put_be16(aad + 11, (uint16_t)len);
}

static int hmac2(struct crypto_hmac *h, const uint8_t *a, size_t alen, const uint8_t *b,
		 size_t blen, uint8_t *out)
{
	struct iovec iov[2] = { { (void *)a, alen }, { (void *)b, blen } };

	return crypto_hmac_compute(h, iov, 2, out);
}

/*
 * Seals body (see the top) into out as one record; plain gets a copy of what was
 * encrypted (CBC: padding and all), *plain_len how much of it the receiver may give
 * back at most.  Returns the record's length, or 0 when the body makes none.
 */
static size_t seal(struct sealer *z, const uint8_t *body, size_t len, uint8_t *out,
		   uint8_t *plain, size_t *plain_len)
{
	uint8_t aad[DTLS_AAD_LEN], digest[CRYPTO_HMAC_MAX_LEN];
	uint64_t seq8 = (uint64_t)EPOCH << DTLS_SEQ_SHIFT;
	size_t n, rest, ct_len, mac_in;
	uint8_t *iv, *ct;

	if (len < SEQ_LEN)
		return 0;
	for (int i = 0; i < SEQ_LEN; i++)
		seq8 |= (uint64_t)body[i] << (8 * (SEQ_LEN - 1 - i));
	body += SEQ_LEN;
	len -= SEQ_LEN;
	if (z->aead) {
		uint8_t nonce[CRYPTO_GCM_NONCE_LEN];
		uint8_t *p = out + DTLS_GCM_HEAD;

		put_hdr(z, out, seq8, DTLS_GCM_EXPLICIT_LEN + len + DTLS_GCM_TAG_LEN);
		put_be64(out + DTLS_HDR_LEN, seq8 ^ 0x5a5a);	/* any explicit nonce goes */
		memcpy(p, body, len);
		memcpy(plain, body, len);
		put_aad(z, aad, seq8, (uint32_t)len);
		memcpy(nonce, z->salt, DTLS_GCM_SALT_LEN);
		memcpy(nonce + DTLS_GCM_SALT_LEN, out + DTLS_HDR_LEN, DTLS_GCM_EXPLICIT_LEN);
		if (crypto_aead_seal(z->aead, nonce, aad, DTLS_AAD_LEN, p, len, p + len))
			return 0;
		*plain_len = len;
		return DTLS_GCM_OVERHEAD + len;
	}
	if (len < 2)
		return 0;
	n = get_be16(body);
	body += 2;
	len -= 2;
	if (n > len)
		n = len;
	rest = len - n;
	mac_in = z->f->etm ? 0 : DTLS_SHA1_LEN;
	/* plaintext | MAC (MtE) | padding, cut to whole blocks from the padding's end */
	ct_len = (n + mac_in + rest) / DTLS_CBC_BLOCK * DTLS_CBC_BLOCK;
	if (!ct_len)
		return 0;
	if (ct_len < mac_in)
		return 0;
	if (ct_len < n + mac_in)
		n = ct_len - mac_in;	/* too little padding: the plaintext gives way */
	iv = out + DTLS_HDR_LEN;
	ct = out + DTLS_CBC_HEAD;
	fill_key(iv, DTLS_CBC_IV_LEN, (uint8_t)seq8);
	memcpy(ct, body, n);
	if (!z->f->etm) {
		put_aad(z, aad, seq8, (uint32_t)n);
		if (hmac2(z->hmac, aad, DTLS_AAD_LEN, ct, n, digest))
			return 0;
		memcpy(ct + n, digest, DTLS_SHA1_LEN);
	}
	memcpy(ct + n + mac_in, body + n, ct_len - n - mac_in);
	put_hdr(z, out, seq8, DTLS_CBC_IV_LEN + ct_len + (z->f->etm ? DTLS_SHA1_LEN : 0));
	memcpy(plain, ct, ct_len);
	if (crypto_cbc_encrypt(z->cbc, iv, ct, ct_len))
		return 0;
	*plain_len = z->f->etm ? ct_len - 1 : n;
	if (!z->f->etm)
		return DTLS_CBC_HEAD + ct_len;
	put_aad(z, aad, seq8, (uint32_t)(DTLS_CBC_IV_LEN + ct_len));
	if (hmac2(z->hmac, aad, DTLS_AAD_LEN, iv, DTLS_CBC_IV_LEN + ct_len, digest))
		return 0;
	memcpy(ct + ct_len, digest, DTLS_SHA1_LEN);
	return DTLS_CBC_HEAD + ct_len + DTLS_SHA1_LEN;
}

static uint64_t drops(const struct dtls_record_stats *st)
{
	return st->rx_short + st->rx_bad_version + st->rx_bad_epoch + st->rx_bad_length +
	       st->rx_oversize + st->rx_replay + st->rx_too_old + st->rx_bad_tag +
	       st->rx_bad_padding;
}

/*
 * One datagram into a record of its exact size, through dtls_record_unprotect().
 * expect: for a sealed record, the plaintext it was made from (at most expect_len
 * bytes of which may come back), else NULL.
 */
static void open_one(struct dtls_record *r, const uint8_t *dgram, size_t len,
		     uint32_t max_plain, const uint8_t *expect, size_t expect_len)
{
	const struct dtls_record_stats *st = dtls_record_stats(r);
	uint64_t before = st->rx_packets + st->rx_to_library + drops(st);
	uint8_t *rec = malloc(len ? len : 1);
	enum dtls_verdict v;
	struct pkt pkt;
	volatile uint8_t sink = 0;

	if (!rec)
		abort();
	memcpy(rec, dgram, len);
	pkt = (struct pkt){ .head = rec, .data = rec, .len = (uint32_t)len, .end = rec + len };
	v = dtls_record_unprotect(r, &pkt, max_plain);
	switch (v) {
	case DTLS_RECORD_DATA:
		/* The plaintext lies inside the record, after the header, within the room. */
		if (pkt.data != rec + dtls_record_rx_head_len(r) || pkt.len > max_plain ||
		    pkt.len > DTLS_MAX_PLAINTEXT || pkt.data + pkt.len > rec + len)
			abort();
		/* A sealed record gives back what it was made from (CBC: its start). */
		if (expect && (pkt.len > expect_len || memcmp(pkt.data, expect, pkt.len)))
			abort();
		for (uint32_t i = 0; i < pkt.len; i++)
			sink ^= pkt.data[i];
		break;
	case DTLS_RECORD_LIBRARY:
	case DTLS_RECORD_DROP:
		/* Untouched view. */
		if (pkt.data != rec || pkt.len != len)
			abort();
		break;
	default:
		abort();
	}
	/* Every datagram is counted exactly once. */
	if (st->rx_packets + st->rx_to_library + drops(st) != before + 1)
		abort();
	(void)sink;
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	const struct format *f = &formats[mode & 7];
	bool sealed = mode & 8;
	uint32_t max_plain = mode & 32 ? SMALL_ROOM : DTLS_MAX_PLAINTEXT;
	static uint8_t sealed_buf[MAX_DATAGRAM + 128], plain[MAX_DATAGRAM + 128];
	struct dtls_keys keys;
	struct dtls_record *r;
	struct sealer z;

	make_keys(f, &keys);
	if (dtls_record_new(&r, &keys, mode & 16 ? 128 : 0))
		abort();
	if (sealer_init(&z, f, &keys))
		abort();
	for (int n = 0; n < MAX_DATAGRAMS && in.size; n++) {
		size_t len = fuzz_u16(&in) % MAX_DATAGRAM;

		if (len > in.size)
			len = in.size;
		if (sealed) {
			size_t plain_len = 0;
			size_t out = seal(&z, in.data, len, sealed_buf, plain, &plain_len);

			if (out)
				open_one(r, sealed_buf, out, max_plain, plain, plain_len);
		} else {
			open_one(r, in.data, len, max_plain, NULL, 0);
		}
		in.data += len;
		in.size -= len;
	}
	sealer_free(&z);
	dtls_record_free(r);
	return 0;
}
