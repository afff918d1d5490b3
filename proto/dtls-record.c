/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DTLS 1.2 record layer for application data, in place on ring records: AES-GCM
 * records sealed and opened where they lie, with our own write numbers and replay
 * window after the library's handshake.  Every datagram is hostile until its tag
 * verifies: nothing changes state before that, and each reason to drop has a counter.
 * The sequence rules follow shared/reference/dtls-takeover.md: the exported write
 * number is used as is, and the window starts with everything below the library's next
 * expected read number counted as seen.
 */
#include "config.h"

#include "proto/dtls-record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "proto/byteorder.h"
#include "proto/dtls-wire.h"
#include "proto/esp-replay.h"
#include "ring/pkt.h"

struct dtls_dir {
	struct crypto_aead *aead;
	uint8_t salt[DTLS_GCM_SALT_LEN];
	uint16_t epoch;
};

struct dtls_record {
	struct dtls_dir tx, rx;
	uint64_t tx_seq;		/* next 48-bit number to send */
	struct replay_window replay;	/* window number = 48-bit seq + 1 (0 is "too old") */
	struct dtls_record_stats stats;
};

/* ---- setup ------------------------------------------------------------------------ */

static int dir_init(struct dtls_dir *d, enum crypto_cipher cipher, const struct dtls_keys *k,
		    const struct dtls_dir_keys *dk)
{
	int ret = crypto_aead_new(&d->aead, cipher, dk->key, k->key_len);

	if (ret)
		return ret;
	memcpy(d->salt, dk->iv, DTLS_GCM_SALT_LEN);
	d->epoch = (uint16_t)(dk->seq8 >> DTLS_SEQ_SHIFT);
	return 0;
}

int dtls_record_new(struct dtls_record **out, const struct dtls_keys *keys,
		    unsigned replay_window)
{
	enum crypto_cipher cipher;
	struct dtls_record *r;
	uint64_t rx_next;
	int ret;

	if (!out || !keys)
		return -EINVAL;
	if (keys->suite == DTLS_SUITE_AES128_GCM)
		cipher = CRYPTO_AES128_GCM;
	else if (keys->suite == DTLS_SUITE_AES256_GCM)
		cipher = CRYPTO_AES256_GCM;
	else
		return -EOPNOTSUPP;
	if (keys->key_len != crypto_cipher_key_len(cipher) ||
	    keys->iv_len != DTLS_GCM_SALT_LEN)
		return -EINVAL;
	if (!replay_window)
		replay_window = REPLAY_DEFAULT_SIZE;
	if (replay_window_check_size(replay_window))
		return -EINVAL;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = dir_init(&r->tx, cipher, keys, &keys->write);
	if (!ret)
		ret = dir_init(&r->rx, cipher, keys, &keys->read);
	if (ret) {
		dtls_record_free(r);
		return ret;
	}
	r->tx_seq = keys->write.seq8 & DTLS_SEQ_MAX;
	replay_window_init(&r->replay, replay_window);
	/* The library read 0 .. next - 1: window numbers 1 .. next. */
	rx_next = keys->read.seq8 & DTLS_SEQ_MAX;
	replay_window_seed(&r->replay, rx_next);
	*out = r;
	return 0;
}

void dtls_record_free(struct dtls_record *r)
{
	if (!r)
		return;
	crypto_aead_free(r->tx.aead);
	crypto_aead_free(r->rx.aead);
	crypto_wipe(r, sizeof(*r));
	free(r);
}

/* ---- shared ----------------------------------------------------------------------- */

/*
 * seq8 | type | version | plaintext length (RFC 5246 §6.2.3.3 with DTLS's seq8): the
 * header's fields in another order, and the length without nonce and tag.
 */
static void build_aad(uint8_t aad[DTLS_AAD_LEN], const uint8_t *hdr, uint32_t plain_len)
{
	memcpy(aad, hdr + 3, 8);
	memcpy(aad + 8, hdr, 3);
	put_be16(aad + 11, (uint16_t)plain_len);
}

static void build_nonce(uint8_t nonce[CRYPTO_GCM_NONCE_LEN], const struct dtls_dir *d,
			const uint8_t *explicit)
{
	memcpy(nonce, d->salt, DTLS_GCM_SALT_LEN);
	memcpy(nonce + DTLS_GCM_SALT_LEN, explicit, DTLS_GCM_EXPLICIT_LEN);
}

/* ---- protect ---------------------------------------------------------------------- */

static int protect_check(struct dtls_record *r, const struct pkt *pkt)
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
	if (pkt_headroom(pkt) < DTLS_GCM_HEAD || pkt_tailroom(pkt) < DTLS_GCM_TAG_LEN) {
		r->stats.tx_no_room++;
		return -ENOSPC;
	}
	return 0;
}

int dtls_record_protect(struct dtls_record *r, struct pkt *pkt, uint8_t type)
{
	uint8_t aad[DTLS_AAD_LEN], nonce[CRYPTO_GCM_NONCE_LEN];
	uint32_t plain_len = pkt->len;
	uint8_t *plain = pkt->data;
	uint8_t *hdr, *tag;
	uint64_t seq8;
	int ret;

	ret = protect_check(r, pkt);
	if (ret)
		return ret;
	seq8 = (uint64_t)r->tx.epoch << DTLS_SEQ_SHIFT | r->tx_seq;
	hdr = pkt_push(pkt, DTLS_GCM_HEAD);
	hdr[0] = type;
	put_be16(hdr + 1, DTLS_VERSION_1_2);
	put_be64(hdr + 3, seq8);
	put_be16(hdr + 11, (uint16_t)(DTLS_GCM_EXPLICIT_LEN + plain_len + DTLS_GCM_TAG_LEN));
	/* As GnuTLS does: the explicit nonce is seq8, unique per key by construction. */
	put_be64(hdr + DTLS_HDR_LEN, seq8);
	build_aad(aad, hdr, plain_len);
	build_nonce(nonce, &r->tx, hdr + DTLS_HDR_LEN);
	tag = pkt_put(pkt, DTLS_GCM_TAG_LEN);
	ret = crypto_aead_seal(r->tx.aead, nonce, aad, DTLS_AAD_LEN, plain, plain_len, tag);
	if (ret) {
		/* Undo the view; the payload may be garbled, but that is the backend's bug. */
		pkt_pull(pkt, DTLS_GCM_HEAD);
		pkt_trim(pkt, plain_len);
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
	if (get_be16(hdr + 1) != DTLS_VERSION_1_2) {
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
	if (pkt->len < DTLS_GCM_OVERHEAD) {
		st->rx_short++;
		return DTLS_RECORD_DROP;
	}
	return DTLS_RECORD_DATA;
}

enum dtls_verdict dtls_record_unprotect(struct dtls_record *r, struct pkt *pkt,
					uint32_t max_plain)
{
	struct dtls_record_stats *st = &r->stats;
	uint8_t aad[DTLS_AAD_LEN], nonce[CRYPTO_GCM_NONCE_LEN];
	uint8_t *hdr = pkt->data, *plain, *tag;
	enum dtls_verdict v;
	uint32_t plain_len;
	uint64_t win;
	int ret;

	v = check_header(r, pkt);
	if (v != DTLS_RECORD_DATA)
		return v;
	plain_len = pkt->len - DTLS_GCM_OVERHEAD;
	if (plain_len > max_plain || plain_len > DTLS_MAX_PLAINTEXT) {
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
	plain = hdr + DTLS_GCM_HEAD;
	tag = plain + plain_len;
	build_aad(aad, hdr, plain_len);
	build_nonce(nonce, &r->rx, hdr + DTLS_HDR_LEN);
	if (crypto_aead_open(r->rx.aead, nonce, aad, DTLS_AAD_LEN, plain, plain_len, tag)) {
		st->rx_bad_tag++;
		return DTLS_RECORD_DROP;
	}
	replay_update(&r->replay, win);
	pkt_pull(pkt, DTLS_GCM_HEAD);
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
	(void)r;
	return DTLS_GCM_HEAD;
}

/* The CBC-SHA1 formats, coming next, need the most: 13 + 16 IV; 20 MAC + 16 padding. */
uint32_t dtls_record_max_head(void)
{
	return DTLS_HDR_LEN + DTLS_CBC_IV_LEN;
}

uint32_t dtls_record_max_tail(void)
{
	return DTLS_SHA1_LEN + DTLS_CBC_IV_LEN;
}

const struct dtls_record_stats *dtls_record_stats(const struct dtls_record *r)
{
	return &r->stats;
}
