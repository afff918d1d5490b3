/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP ingress: validate, authenticate, replay-check and decrypt a datagram where it was
 * received, inside its ring record, then strip header, IV, padding, trailer and ICV so
 * the view holds just the inner packet.  Every datagram is hostile until its ICV
 * verifies: nothing changes state before that, and each reason to drop has a counter.
 */
#include "config.h"

#include "proto/esp-internal.h"

#include <errno.h>
#include <string.h>

#include "ring/pkt.h"
#include "src/util/byteorder.h"

/* The current SA, or the previous one within its grace; NULL counts a bad SPI. */
static struct esp_sa *find_sa(struct esp *esp, uint32_t spi, uint32_t seq)
{
	if (esp->in[0].active && esp->in[0].spi == spi)
		return &esp->in[0];
	if (esp->in[1].active && esp->in[1].spi == spi && seq <= esp->in[1].grace_limit) {
		esp->stats.rx_old_sa++;
		return &esp->in[1];
	}
	esp->stats.rx_bad_spi++;
	return NULL;
}

/*
 * The peer has switched to the current SA: what still comes on the previous one can only
 * be in flight from before, so it gets ESP_OLD_SA_GRACE sequence numbers and no more.
 */
static void close_previous_sa(struct esp *esp)
{
	struct esp_sa *old = &esp->in[1];

	if (old->active && old->grace_limit == UINT64_MAX)
		old->grace_limit = replay_window_top(&old->replay) + ESP_OLD_SA_GRACE;
}

static bool authenticate_and_decrypt(struct esp_sa *sa, uint8_t *hdr, uint32_t ct_len)
{
	uint8_t *iv = hdr + ESP_HDR_LEN;
	uint8_t *ct = iv + sa->iv_len;
	uint8_t *icv = ct + ct_len;

	if (sa->gcm) {
		uint8_t nonce[CRYPTO_GCM_NONCE_LEN];

		memcpy(nonce, sa->salt, ESP_GCM_SALT_LEN);
		memcpy(nonce + ESP_GCM_SALT_LEN, iv, ESP_GCM_IV_LEN);
		return crypto_aead_open(sa->aead, nonce, hdr, ESP_HDR_LEN, ct, ct_len, icv) == 0;
	} else {
		uint8_t digest[CRYPTO_HMAC_MAX_LEN];
		struct iovec iov = { hdr, ESP_HDR_LEN + sa->iv_len + ct_len };
		bool ok;

		if (crypto_hmac_compute(sa->hmac, &iov, 1, digest))
			return false;
		ok = crypto_memeq(digest, icv, sa->icv_len);
		/* Encrypt-then-MAC: only authentic ciphertext is ever decrypted. */
		return ok && crypto_cbc_decrypt(sa->cbc, iv, ct, ct_len) == 0;
	}
}

/* Checks RFC 4303 padding 1, 2, 3, ...; returns the inner length or -1. */
static int32_t strip_trailer(const uint8_t *pt, uint32_t len)
{
	uint32_t pad = pt[len - 2];
	uint8_t bad = 0;

	if (pad + ESP_TRAILER_LEN > len)
		return -1;
	for (uint32_t i = 0; i < pad; i++)
		bad |= pt[len - ESP_TRAILER_LEN - pad + i] ^ (uint8_t)(i + 1);
	return bad ? -1 : (int32_t)(len - pad - ESP_TRAILER_LEN);
}

/*
 * The next header must name the inner packet's IP version.  Whether the packet is long
 * enough to be IP is the ring's ip_only check, made once for every transport.
 */
static bool next_header_matches(uint8_t nh, const uint8_t *inner, uint32_t len)
{
	if (!len)
		return false;
	if (nh == ESP_NH_IPV4)
		return inner[0] >> 4 == 4;
	if (nh == ESP_NH_IPV6)
		return inner[0] >> 4 == 6;
	return false;
}

enum esp_verdict esp_decap(struct esp *esp, struct pkt *pkt, uint32_t max_inner)
{
	struct esp_stats *st = &esp->stats;
	uint8_t *hdr = pkt->data;
	uint32_t seq, head, ct_len;
	struct esp_sa *sa;
	int32_t inner;
	int ret;

	if (pkt->len < ESP_HDR_LEN) {
		st->rx_short++;
		return ESP_DROP;
	}
	seq = get_be32(hdr + 4);
	sa = find_sa(esp, get_be32(hdr), seq);
	if (!sa)
		return ESP_DROP;
	head = ESP_HDR_LEN + sa->iv_len;
	if (pkt->len < head + sa->block + sa->icv_len) {
		st->rx_short++;
		return ESP_DROP;
	}
	ct_len = pkt->len - head - sa->icv_len;
	if (ct_len & (sa->block - 1)) {
		st->rx_bad_length++;
		return ESP_DROP;
	}
	if (ct_len > max_inner + ESP_TRAILER_LEN + sa->block - 1) {
		st->rx_oversize++;
		return ESP_DROP;
	}
	ret = replay_check(&sa->replay, seq);
	if (ret) {
		if (ret == REPLAY_DUPLICATE)
			st->rx_replay++;
		else
			st->rx_too_old++;
		return ESP_DROP;
	}
	if (!authenticate_and_decrypt(sa, hdr, ct_len)) {
		st->rx_bad_icv++;
		return ESP_DROP;
	}
	replay_update(&sa->replay, seq);
	if (sa == &esp->in[0])
		close_previous_sa(esp);

	inner = strip_trailer(hdr + head, ct_len);
	if (inner < 0) {
		st->rx_bad_padding++;
		return ESP_DROP;
	}
	pkt_pull(pkt, head);
	pkt_trim(pkt, (uint32_t)inner);
	if (inner == ESP_PROBE_LEN && pkt->data[0] == 0) {
		st->rx_probes++;
		return ESP_PROBE;
	}
	if (!next_header_matches(hdr[head + ct_len - 1], pkt->data, (uint32_t)inner)) {
		st->rx_bad_next_header++;
		return ESP_DROP;
	}
	if ((uint32_t)inner > max_inner) {
		st->rx_oversize++;
		return ESP_DROP;
	}
	return ESP_DATA;
}
