/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DTLS 1.2 record layer for application data, in place on ring records: AES-GCM
 * and AES-CBC-SHA1 (MAC-then-encrypt, and encrypt-then-MAC of RFC 7366) records sealed
 * and opened where they lie (and Cisco's DTLS 0.9, which is CBC MtE under version
 * 0x0100), with our own write numbers and replay window after the
 * library's handshake.  Every datagram is hostile until its tag or MAC verifies:
 * nothing changes state before that, and each reason to drop has a counter.
 *
 * Sequence numbers at the takeover: both backends export the *next* write number
 * (GnuTLS's own, OpenSSL's one above the last record it wrote), so the first record
 * goes out under it as is; one below would be a replay to the peer, and gaps are fine.
 * On receive the window starts with everything below the library's next expected read
 * number counted as seen.  The peer libraries accept any GCM explicit nonce; ours is
 * seq8, which cannot repeat as long as the library never writes under a number we
 * used (crypto/dtls.h: dtls_input_record and dtls_close sync it).
 */
#include "config.h"

#include "proto/dtls-record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/util/byteorder.h"
#include "proto/dtls-wire.h"
#include "proto/esp-replay.h"
#include "ring/pkt.h"

/* How records of the negotiated suite look on the wire. */
enum dtls_format {
	DTLS_FMT_GCM,
	DTLS_FMT_CBC_MTE,	/* classic TLS 1.2 CBC: MAC, then pad and encrypt */
	DTLS_FMT_CBC_ETM,	/* RFC 7366: pad and encrypt, then MAC the ciphertext */
};

struct dtls_dir {
	struct crypto_aead *aead;	/* GCM */
	struct crypto_cbc *cbc;		/* CBC: cipher ... */
	struct crypto_hmac *hmac;	/* ... and HMAC-SHA1 */
	uint8_t salt[DTLS_GCM_SALT_LEN];
	uint16_t epoch;
};

struct dtls_record {
	struct dtls_dir tx, rx;
	enum dtls_format fmt;
	uint16_t version;		/* on the wire and in the MAC/AAD input */
	uint32_t head;			/* bytes in front of the plaintext: 21 or 29 */
	uint32_t min_len;		/* smallest datagram the format can produce */
	uint64_t tx_seq;		/* next 48-bit number to send */
	struct replay_window replay;	/* window number = 48-bit seq + 1 (0 is "too old") */
	struct dtls_record_stats stats;
};

/* ---- setup ------------------------------------------------------------------------ */

static int dir_init(struct dtls_dir *d, enum crypto_cipher cipher, const struct dtls_keys *k,
		    const struct dtls_dir_keys *dk)
{
	int ret;

	if (crypto_cipher_is_gcm(cipher)) {
		ret = crypto_aead_new(&d->aead, cipher, dk->key, k->key_len);
		if (ret)
			return ret;
		memcpy(d->salt, dk->iv, DTLS_GCM_SALT_LEN);
	} else {
		/* The key block's CBC IVs are unused: every record carries its own. */
		ret = crypto_cbc_new(&d->cbc, cipher, dk->key, k->key_len);
		if (ret)
			return ret;
		ret = crypto_hmac_new(&d->hmac, CRYPTO_HMAC_SHA1, dk->mac_key, k->mac_key_len);
		if (ret)
			return ret;
	}
	d->epoch = (uint16_t)(dk->seq8 >> DTLS_SEQ_SHIFT);
	return 0;
}

static void dir_free(struct dtls_dir *d)
{
	crypto_aead_free(d->aead);
	crypto_cbc_free(d->cbc);
	crypto_hmac_free(d->hmac);
}

/* Picks cipher and format for the suite and checks the key sizes it needs. */
static int keys_format(const struct dtls_keys *keys, enum crypto_cipher *cipher,
		       enum dtls_format *fmt)
{
	/* DTLS 0.9 predates both GCM and EtM: such keys are a backend bug. */
	if (keys->version == DTLS_VERSION_0_9 &&
	    (keys->suite & DTLS_SUITES_GCM || keys->etm))
		return -EINVAL;
	if (keys->version && keys->version != DTLS_VERSION_0_9 &&
	    keys->version != DTLS_VERSION_1_2)
		return -EOPNOTSUPP;
	switch (keys->suite) {
	case DTLS_SUITE_AES128_GCM:
		*cipher = CRYPTO_AES128_GCM;
		break;
	case DTLS_SUITE_AES256_GCM:
		*cipher = CRYPTO_AES256_GCM;
		break;
	case DTLS_SUITE_AES128_CBC_SHA1:
		*cipher = CRYPTO_AES128_CBC;
		break;
	case DTLS_SUITE_AES256_CBC_SHA1:
		*cipher = CRYPTO_AES256_CBC;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (keys->key_len != crypto_cipher_key_len(*cipher))
		return -EINVAL;
	if (crypto_cipher_is_gcm(*cipher)) {
		*fmt = DTLS_FMT_GCM;
		return keys->iv_len == DTLS_GCM_SALT_LEN ? 0 : -EINVAL;
	}
	*fmt = keys->etm ? DTLS_FMT_CBC_ETM : DTLS_FMT_CBC_MTE;
	return keys->mac_key_len == DTLS_SHA1_LEN ? 0 : -EINVAL;
}

int dtls_record_new(struct dtls_record **out, const struct dtls_keys *keys,
		    unsigned replay_window)
{
	enum crypto_cipher cipher;
	enum dtls_format fmt;
	struct dtls_record *r;
	uint64_t rx_next;
	int ret;

	if (!out || !keys)
		return -EINVAL;
	ret = keys_format(keys, &cipher, &fmt);
	if (ret)
		return ret;
	if (!replay_window)
		replay_window = REPLAY_DEFAULT_SIZE;
	if (replay_window_check_size(replay_window))
		return -EINVAL;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fmt = fmt;
	r->version = keys->version ? keys->version : DTLS_VERSION_1_2;
	r->head = fmt == DTLS_FMT_GCM ? DTLS_GCM_HEAD : DTLS_CBC_HEAD;
	r->min_len = fmt == DTLS_FMT_GCM ? DTLS_GCM_OVERHEAD :
		     fmt == DTLS_FMT_CBC_MTE ? DTLS_CBC_MTE_MIN : DTLS_CBC_ETM_MIN;
	ret = dir_init(&r->tx, cipher, keys, &keys->write);
	if (!ret)
		ret = dir_init(&r->rx, cipher, keys, &keys->read);
	if (ret) {
		dtls_record_free(r);
		return ret;
	}
	r->tx_seq = keys->write.seq8 & DTLS_SEQ_MAX;
	replay_window_init(&r->replay, replay_window);
	/*
	 * The library read 0 .. next - 1: window numbers 1 .. next.  (Whether it read all
	 * of them or not, they are its numbers, not ours to accept again.)
	 */
	rx_next = keys->read.seq8 & DTLS_SEQ_MAX;
	replay_window_seed(&r->replay, rx_next);
	*out = r;
	return 0;
}

void dtls_record_free(struct dtls_record *r)
{
	if (!r)
		return;
	dir_free(&r->tx);
	dir_free(&r->rx);
	crypto_wipe(r, sizeof(*r));
	free(r);
}

/* ---- shared ----------------------------------------------------------------------- */

/*
 * seq8 | type | version | length (RFC 5246 §6.2.3.3 with DTLS's seq8): the header's
 * fields in another order.  The length is the plaintext's for GCM and MtE, and IV plus
 * ciphertext for EtM, never the header's own field.
 */
static void build_aad(uint8_t aad[DTLS_AAD_LEN], const uint8_t *hdr, uint32_t len)
{
	memcpy(aad, hdr + 3, 8);
	memcpy(aad + 8, hdr, 3);
	put_be16(aad + 11, (uint16_t)len);
}

static void build_nonce(uint8_t nonce[CRYPTO_GCM_NONCE_LEN], const struct dtls_dir *d,
			const uint8_t *explicit)
{
	memcpy(nonce, d->salt, DTLS_GCM_SALT_LEN);
	memcpy(nonce + DTLS_GCM_SALT_LEN, explicit, DTLS_GCM_EXPLICIT_LEN);
}

/*
 * A record we write: the AAD and the nonce from the values rather than read back from
 * the header just built.  That header is stored a byte at a time, and a wide load of
 * bytes still in the store buffer cannot be forwarded from them: each read-back waited
 * for the stores to reach the cache, about 10 ns of a 380 ns GCM round trip at 64 bytes.
 */
static void build_aad_out(uint8_t aad[DTLS_AAD_LEN], const struct dtls_record *r,
			  uint8_t type, uint64_t seq8, uint32_t len)
{
	put_be64(aad, seq8);
	aad[8] = type;
	put_be16(aad + 9, r->version);
	put_be16(aad + 11, (uint16_t)len);
}

static void build_nonce_out(uint8_t nonce[CRYPTO_GCM_NONCE_LEN], const struct dtls_dir *d,
			    uint64_t seq8)
{
	memcpy(nonce, d->salt, DTLS_GCM_SALT_LEN);
	put_be64(nonce + DTLS_GCM_SALT_LEN, seq8);
}

static void build_hdr(const struct dtls_record *r, uint8_t *hdr, uint8_t type,
		      uint64_t seq8, uint32_t len)
{
	hdr[0] = type;
	put_be16(hdr + 1, r->version);
	put_be64(hdr + 3, seq8);
	put_be16(hdr + 11, (uint16_t)len);
}

static int mac2(struct crypto_hmac *hmac, const uint8_t *a, size_t alen, const uint8_t *b,
		size_t blen, uint8_t out[DTLS_SHA1_LEN])
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)a, .iov_len = alen },
		{ .iov_base = (void *)b, .iov_len = blen },
	};

	return crypto_hmac_compute(hmac, iov, 2, out);
}

/* ---- protect ---------------------------------------------------------------------- */

static int protect_check(struct dtls_record *r, const struct pkt *pkt, uint32_t head,
			 uint32_t tail)
{
	if (r->tx_seq > DTLS_SEQ_MAX) {
		r->stats.tx_seq_exhausted++;
		return -EOVERFLOW;
	}
	if (pkt->len > DTLS_MAX_PLAINTEXT) {
		r->stats.tx_too_big++;
		return -EMSGSIZE;
	}
	/* Check all the room first, so a failure leaves the packet as it was. */
	if (pkt_headroom(pkt) < head || pkt_tailroom(pkt) < tail) {
		r->stats.tx_no_room++;
		return -ENOSPC;
	}
	return 0;
}

static int seal_gcm(struct dtls_record *r, struct pkt *pkt, uint8_t type, uint64_t seq8)
{
	uint8_t aad[DTLS_AAD_LEN], nonce[CRYPTO_GCM_NONCE_LEN];
	uint32_t plain_len = pkt->len;
	uint8_t *plain = pkt->data;
	uint8_t *hdr, *tag;
	int ret;

	ret = protect_check(r, pkt, DTLS_GCM_HEAD, DTLS_GCM_TAG_LEN);
	if (ret)
		return ret;
	hdr = pkt_push(pkt, DTLS_GCM_HEAD);
	build_hdr(r, hdr, type, seq8, DTLS_GCM_EXPLICIT_LEN + plain_len + DTLS_GCM_TAG_LEN);
	/* As GnuTLS does: the explicit nonce is seq8, unique per key by construction. */
	put_be64(hdr + DTLS_HDR_LEN, seq8);
	build_aad_out(aad, r, type, seq8, plain_len);
	build_nonce_out(nonce, &r->tx, seq8);
	tag = pkt_put(pkt, DTLS_GCM_TAG_LEN);
	return crypto_aead_seal(r->tx.aead, nonce, aad, DTLS_AAD_LEN, plain, plain_len, tag);
}

/*
 * Both CBC formats: the random explicit IV in the headroom (RFC 5246 §6.2.3.2: it must
 * be unpredictable, so not derived from seq8), MAC and the fewest padding bytes in the
 * tailroom, in the format's order.
 */
static int seal_cbc(struct dtls_record *r, struct pkt *pkt, uint8_t type, uint64_t seq8)
{
	bool etm = r->fmt == DTLS_FMT_CBC_ETM;
	uint8_t aad[DTLS_AAD_LEN];
	uint32_t plain_len = pkt->len;
	uint8_t *plain = pkt->data;
	uint32_t blocks, pad;
	uint8_t *hdr, *iv;
	int ret;

	/* Padding fills up to the next block, and is at least the length byte. */
	blocks = (plain_len + (etm ? 0 : DTLS_SHA1_LEN)) / DTLS_CBC_BLOCK * DTLS_CBC_BLOCK +
		 DTLS_CBC_BLOCK;
	pad = blocks - plain_len - (etm ? 0 : DTLS_SHA1_LEN);
	ret = protect_check(r, pkt, DTLS_CBC_HEAD, pad + DTLS_SHA1_LEN);
	if (ret)
		return ret;
	hdr = pkt_push(pkt, DTLS_CBC_HEAD);
	iv = hdr + DTLS_HDR_LEN;
	build_hdr(r, hdr, type, seq8, DTLS_CBC_IV_LEN + blocks + (etm ? DTLS_SHA1_LEN : 0));
	ret = crypto_random(iv, DTLS_CBC_IV_LEN);
	if (ret)
		return ret;
	if (!etm) {
		build_aad_out(aad, r, type, seq8, plain_len);
		ret = mac2(r->tx.hmac, aad, DTLS_AAD_LEN, plain, plain_len,
			   pkt_put(pkt, DTLS_SHA1_LEN));
		if (ret)
			return ret;
	}
	memset(pkt_put(pkt, pad), (int)(pad - 1), pad);
	ret = crypto_cbc_encrypt(r->tx.cbc, iv, plain, blocks);
	if (ret || !etm)
		return ret;
	build_aad_out(aad, r, type, seq8, DTLS_CBC_IV_LEN + blocks);
	return mac2(r->tx.hmac, aad, DTLS_AAD_LEN, iv, DTLS_CBC_IV_LEN + blocks,
		    pkt_put(pkt, DTLS_SHA1_LEN));
}

int dtls_record_protect(struct dtls_record *r, struct pkt *pkt, uint8_t type)
{
	uint64_t seq8 = (uint64_t)r->tx.epoch << DTLS_SEQ_SHIFT | r->tx_seq;
	uint32_t plain_len = pkt->len;
	uint8_t *plain = pkt->data;
	int ret;

	if (r->fmt == DTLS_FMT_GCM)
		ret = seal_gcm(r, pkt, type, seq8);
	else
		ret = seal_cbc(r, pkt, type, seq8);
	if (ret) {
		/*
		 * Undo the view (a no-op if the room check failed); the payload may be
		 * garbled, but only a backend failure gets this far.
		 */
		pkt->data = plain;
		pkt->len = plain_len;
		return ret;
	}
	/* Counted as used even if sending fails later: a nonce must never repeat. */
	r->tx_seq++;
	r->stats.tx_packets++;
	r->stats.tx_bytes += plain_len;
	return 0;
}

/* ---- unprotect -------------------------------------------------------------------- */

/* Header checks that need no key; DTLS_RECORD_DATA means "go on". */
static enum dtls_verdict check_header(struct dtls_record *r, const struct pkt *pkt)
{
	struct dtls_record_stats *st = &r->stats;
	const uint8_t *hdr = pkt->data;

	if (pkt->len < DTLS_HDR_LEN) {
		st->rx_short++;
		return DTLS_RECORD_DROP;
	}
	if (hdr[0] != DTLS_CT_APPLICATION_DATA) {
		st->rx_to_library++;
		return DTLS_RECORD_LIBRARY;
	}
	/* The MAC/AAD input takes the version from this header: it must be ours. */
	if (get_be16(hdr + 1) != r->version) {
		st->rx_bad_version++;
		return DTLS_RECORD_DROP;
	}
	/* Older epochs' keys are gone; a newer one needs a handshake we have not seen. */
	if (get_be16(hdr + 3) != r->rx.epoch) {
		st->rx_bad_epoch++;
		return DTLS_RECORD_DROP;
	}
	/* Neither library packs application records, so one datagram is one record. */
	if (get_be16(hdr + 11) != pkt->len - DTLS_HDR_LEN) {
		st->rx_bad_length++;
		return DTLS_RECORD_DROP;
	}
	if (pkt->len < r->min_len) {
		st->rx_short++;
		return DTLS_RECORD_DROP;
	}
	/* CBC: whole blocks between IV and (EtM) MAC; the length is public, so say so. */
	if (r->fmt != DTLS_FMT_GCM &&
	    (pkt->len - DTLS_CBC_HEAD - (r->fmt == DTLS_FMT_CBC_ETM ? DTLS_SHA1_LEN : 0)) %
	    DTLS_CBC_BLOCK) {
		st->rx_bad_length++;
		return DTLS_RECORD_DROP;
	}
	return DTLS_RECORD_DATA;
}

static bool open_gcm(struct dtls_record *r, uint8_t *hdr, uint32_t len, uint32_t *plain_len)
{
	uint8_t aad[DTLS_AAD_LEN], nonce[CRYPTO_GCM_NONCE_LEN];
	uint8_t *plain = hdr + DTLS_GCM_HEAD;

	*plain_len = len - DTLS_GCM_OVERHEAD;
	build_aad(aad, hdr, *plain_len);
	build_nonce(nonce, &r->rx, hdr + DTLS_HDR_LEN);
	return !crypto_aead_open(r->rx.aead, nonce, aad, DTLS_AAD_LEN, plain, *plain_len,
				 plain + *plain_len);
}

/*
 * EtM: the MAC covers IV and ciphertext, so it is checked before anything is decrypted
 * and the padding, read afterwards from authentic plaintext, is no oracle (the point
 * of RFC 7366).  A bad one is the peer's bug and has its own counter.
 */
static enum dtls_verdict open_etm(struct dtls_record *r, uint8_t *hdr, uint32_t len,
				  uint32_t *plain_len)
{
	uint32_t ct_len = len - DTLS_CBC_HEAD - DTLS_SHA1_LEN;
	uint8_t *iv = hdr + DTLS_HDR_LEN, *ct = hdr + DTLS_CBC_HEAD;
	uint8_t aad[DTLS_AAD_LEN], mac[DTLS_SHA1_LEN];
	uint32_t pad;

	build_aad(aad, hdr, DTLS_CBC_IV_LEN + ct_len);
	if (mac2(r->rx.hmac, aad, DTLS_AAD_LEN, iv, DTLS_CBC_IV_LEN + ct_len, mac) ||
	    !crypto_memeq(mac, ct + ct_len, DTLS_SHA1_LEN)) {
		r->stats.rx_bad_tag++;
		return DTLS_RECORD_DROP;
	}
	if (crypto_cbc_decrypt(r->rx.cbc, iv, ct, ct_len)) {
		r->stats.rx_bad_tag++;		/* backend failure: as unreadable */
		return DTLS_RECORD_DROP;
	}
	pad = ct[ct_len - 1];
	for (uint32_t i = 0; i <= pad; i++) {
		if (pad + 1 > ct_len || ct[ct_len - 1 - i] != pad) {
			r->stats.rx_bad_padding++;
			return DTLS_RECORD_DROP;
		}
	}
	*plain_len = ct_len - pad - 1;
	return DTLS_RECORD_DATA;
}

/*
 * Constant-time helpers for MtE: all-ones or all-zero masks from arithmetic, so no
 * branch or memory index depends on the values (after BearSSL/OpenSSL's constant_time_*).
 * Arguments stay far below 2^31 here.
 */
static inline uint32_t ct_msb(uint32_t a)
{
	return 0u - (a >> 31);
}

static inline uint32_t ct_lt(uint32_t a, uint32_t b)
{
	return ct_msb(a ^ ((a ^ b) | ((a - b) ^ b)));
}

static inline uint32_t ct_ge(uint32_t a, uint32_t b)
{
	return ~ct_lt(a, b);
}

static inline uint32_t ct_eq(uint32_t a, uint32_t b)
{
	uint32_t x = a ^ b;

	return ct_msb(~x & (x - 1));
}

/* SHA-1 compressions for the inner hash of m bytes (9 bytes of padding, 64 a block). */
static inline uint32_t sha1_blocks(uint32_t m)
{
	return (m + 8) / 64 + 1;
}

/* Fed to the dummy HMAC; at most 5 blocks are ever needed (256 bytes of padding). */
static const uint8_t dtls_zero_blocks[6 * 64];

/*
 * MtE, the Lucky13 problem (AlFardan and Paterson, 2013): the MAC is inside the
 * encryption, so the padding must be read before the MAC can be checked, and any
 * difference in how a bad padding and a bad MAC are handled -- an early exit, a
 * different counter, or a MAC over fewer bytes taking fewer SHA-1 blocks -- lets an
 * attacker decrypt by trying paddings.  What we do, after OpenSSL and s2n:
 *
 *  - the padding check looks at the last 256 bytes (or the whole record if shorter)
 *    every time, masking in the ones the padding byte covers, so it costs the same
 *    whatever the padding; a bad padding is treated as none (RFC 5246 §6.2.3.2) and
 *    the MAC is still computed and compared;
 *  - the received MAC, whose position depends on the padding, is copied out by
 *    scanning the same fixed window and rotating in constant time, never indexed by
 *    the secret length;
 *  - HMAC is only available as a one-shot call (crypto_hmac_compute), so the real MAC
 *    over the secret length is followed by a dummy HMAC over exactly as many 64-byte
 *    blocks as the real one fell short of the longest possible length: the SHA-1
 *    compression count over both calls is the same for every padding value.  What
 *    still varies is the byte count copied into the hash's block buffer (under a
 *    block) and how far into the record the real MAC reads, both far below the
 *    per-block difference Lucky13 measures;
 *  - the MAC compare is crypto_memeq, and padding and MAC results are combined into
 *    one mask before the single branch, so both failures take the same path and the
 *    same counter (rx_bad_tag).
 */
static bool open_mte(struct dtls_record *r, uint8_t *hdr, uint32_t len, uint32_t *plain_len)
{
	uint32_t ct_len = len - DTLS_CBC_HEAD;
	uint8_t *iv = hdr + DTLS_HDR_LEN, *ct = hdr + DTLS_CBC_HEAD;
	uint8_t aad[DTLS_AAD_LEN], mac[DTLS_SHA1_LEN], dummy[DTLS_SHA1_LEN];
	uint8_t rotated[DTLS_SHA1_LEN] = { 0 }, got[DTLS_SHA1_LEN] = { 0 };
	uint32_t pad, good, strip, n, to_check, scan, extra, rot = 0, in_mac = 0, ok;
	uint32_t m_max = DTLS_AAD_LEN + ct_len - DTLS_SHA1_LEN;

	if (crypto_cbc_decrypt(r->rx.cbc, iv, ct, ct_len))
		return false;		/* backend failure: not data dependent */

	/* Padding: the length byte and the p bytes before it all equal p. */
	pad = ct[ct_len - 1];
	good = ct_ge(ct_len, pad + 1 + DTLS_SHA1_LEN);
	to_check = ct_len < DTLS_CBC_MAX_PAD ? ct_len : DTLS_CBC_MAX_PAD;
	for (uint32_t i = 0; i < to_check; i++) {
		uint32_t covered = ct_ge(pad, i);

		good &= ~(covered & (pad ^ ct[ct_len - 1 - i]));
	}
	good = ct_eq(good & 0xff, 0xff);
	strip = good & (pad + 1);
	n = ct_len - strip - DTLS_SHA1_LEN;	/* >= 0: checked by good, or strip is 0 */

	/* The MAC over n bytes, then the dummy that tops the SHA-1 blocks up to m_max's. */
	build_aad(aad, hdr, n);
	if (mac2(r->rx.hmac, aad, DTLS_AAD_LEN, ct, n, mac))
		return false;
	extra = (sha1_blocks(m_max) - sha1_blocks(DTLS_AAD_LEN + n)) * 64;
	if (mac2(r->rx.hmac, dtls_zero_blocks, extra, NULL, 0, dummy))
		return false;

	/*
	 * The received MAC sits at ct[n .. n + 20), n secret.  Walk the fixed window that
	 * can hold it, OR-ing its bytes into rotated[] at index (i - scan) mod 20, which is
	 * public; then undo the secret rotation with a full 20 x 20 masked pass.
	 */
	scan = ct_len > DTLS_CBC_MAX_PAD + DTLS_SHA1_LEN ?
	       ct_len - DTLS_CBC_MAX_PAD - DTLS_SHA1_LEN : 0;
	for (uint32_t i = scan, j = 0; i < ct_len; i++) {
		uint32_t started = ct_eq(i, n);

		in_mac |= started;
		in_mac &= ct_lt(i, n + DTLS_SHA1_LEN);
		rot |= j & started;
		rotated[j] |= ct[i] & in_mac;
		j++;
		j &= ct_lt(j, DTLS_SHA1_LEN);
	}
	for (uint32_t j = 0; j < DTLS_SHA1_LEN; j++) {
		uint32_t want = rot + j;

		want -= DTLS_SHA1_LEN & ct_ge(want, DTLS_SHA1_LEN);
		for (uint32_t i = 0; i < DTLS_SHA1_LEN; i++)
			got[j] |= rotated[i] & ct_eq(i, want);
	}
	ok = 0u - (uint32_t)crypto_memeq(got, mac, DTLS_SHA1_LEN);
	*plain_len = n;
	return (good & ok) != 0;
}

enum dtls_verdict dtls_record_unprotect(struct dtls_record *r, struct pkt *pkt,
					uint32_t max_plain)
{
	struct dtls_record_stats *st = &r->stats;
	uint32_t limit = max_plain < DTLS_MAX_PLAINTEXT ? max_plain : DTLS_MAX_PLAINTEXT;
	uint8_t *hdr = pkt->data;
	uint32_t plain_len, least;
	enum dtls_verdict v;
	uint64_t win;
	int ret;

	v = check_header(r, pkt);
	if (v != DTLS_RECORD_DATA)
		return v;
	/*
	 * The fewest plaintext bytes this length can hold (CBC: with the most padding);
	 * above the limit it is dropped before any work.  CBC checks the real length
	 * again once it is authentic.
	 */
	if (r->fmt == DTLS_FMT_GCM)
		least = pkt->len - DTLS_GCM_OVERHEAD;
	else if (pkt->len > DTLS_CBC_HEAD + DTLS_SHA1_LEN + DTLS_CBC_MAX_PAD)
		least = pkt->len - DTLS_CBC_HEAD - DTLS_SHA1_LEN - DTLS_CBC_MAX_PAD;
	else
		least = 0;
	if (least > limit) {
		st->rx_oversize++;
		return DTLS_RECORD_DROP;
	}
	win = (get_be64(hdr + 3) & DTLS_SEQ_MAX) + 1;
	ret = replay_check(&r->replay, win);
	if (ret) {
		if (ret == REPLAY_DUPLICATE)
			st->rx_replay++;
		else
			st->rx_too_old++;
		return DTLS_RECORD_DROP;
	}
	switch (r->fmt) {
	case DTLS_FMT_GCM:
		v = open_gcm(r, hdr, pkt->len, &plain_len) ? DTLS_RECORD_DATA : DTLS_RECORD_DROP;
		break;
	case DTLS_FMT_CBC_MTE:
		v = open_mte(r, hdr, pkt->len, &plain_len) ? DTLS_RECORD_DATA : DTLS_RECORD_DROP;
		break;
	default:
		v = open_etm(r, hdr, pkt->len, &plain_len);
		if (v != DTLS_RECORD_DATA)
			return v;	/* counted there */
		break;
	}
	if (v != DTLS_RECORD_DATA) {
		st->rx_bad_tag++;	/* MtE: bad MAC and bad padding alike, on purpose */
		return v;
	}
	/* Authentic from here on, so the length may be branched on. */
	if (plain_len > limit) {
		st->rx_oversize++;
		return DTLS_RECORD_DROP;
	}
	replay_update(&r->replay, win);
	pkt_pull(pkt, r->head);
	pkt_trim(pkt, plain_len);
	st->rx_packets++;
	st->rx_bytes += plain_len;
	return DTLS_RECORD_DATA;
}

/* ---- sequence sync and sizes ------------------------------------------------------ */

uint64_t dtls_record_tx_seq8(const struct dtls_record *r)
{
	return (uint64_t)r->tx.epoch << DTLS_SEQ_SHIFT | r->tx_seq;
}

int dtls_record_set_tx_seq8(struct dtls_record *r, uint64_t seq8)
{
	uint64_t seq = seq8 & DTLS_SEQ_MAX;

	if (seq8 >> DTLS_SEQ_SHIFT != r->tx.epoch || seq < r->tx_seq)
		return -EINVAL;
	r->tx_seq = seq;
	return 0;
}

uint32_t dtls_record_rx_head_len(const struct dtls_record *r)
{
	return r->head;
}

/*
 * The CBC-SHA1 formats need the most: 13 + 16 IV in front; behind, 20 MAC and at most
 * one block of padding (we always send the fewest, 1 .. 16 bytes), in either order.
 */
uint32_t dtls_record_max_head(void)
{
	return DTLS_CBC_HEAD;
}

uint32_t dtls_record_max_tail(void)
{
	return DTLS_CBC_TAIL;
}

uint32_t dtls_record_min_overhead(void)
{
	return DTLS_GCM_OVERHEAD;
}

const struct dtls_record_stats *dtls_record_stats(const struct dtls_record *r)
{
	return &r->stats;
}

void dtls_record_stats_add(struct dtls_record_stats *sum, const struct dtls_record_stats *s)
{
	sum->rx_packets += s->rx_packets;
	sum->rx_bytes += s->rx_bytes;
	sum->rx_to_library += s->rx_to_library;
	sum->rx_short += s->rx_short;
	sum->rx_bad_version += s->rx_bad_version;
	sum->rx_bad_epoch += s->rx_bad_epoch;
	sum->rx_bad_length += s->rx_bad_length;
	sum->rx_oversize += s->rx_oversize;
	sum->rx_replay += s->rx_replay;
	sum->rx_too_old += s->rx_too_old;
	sum->rx_bad_tag += s->rx_bad_tag;
	sum->rx_bad_padding += s->rx_bad_padding;
	sum->tx_packets += s->tx_packets;
	sum->tx_bytes += s->tx_bytes;
	sum->tx_no_room += s->tx_no_room;
	sum->tx_too_big += s->tx_too_big;
	sum->tx_seq_exhausted += s->tx_seq_exhausted;
}
