/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP egress: encapsulate an inner IP packet where it lies in its ring record.  The
 * header and IV go into the record's headroom, padding, trailer and ICV into its
 * tailroom, and the payload is encrypted in place: no byte of it is copied.
 */
#include "config.h"

#include "proto/esp-internal.h"

#include <errno.h>
#include <string.h>

#include "ring/pkt.h"
#include "src/util/byteorder.h"

static uint8_t next_header_of(const struct pkt *pkt)
{
	return pkt->len && (pkt->data[0] >> 4) == 6 ? ESP_NH_IPV6 : ESP_NH_IPV4;
}

/* Appends RFC 4303 padding (1, 2, 3, ...), the pad length and the next header. */
static void put_trailer(struct pkt *pkt, uint32_t pad, uint8_t next_header)
{
	uint8_t *t = pkt_put(pkt, pad + ESP_TRAILER_LEN);

	for (uint32_t i = 0; i < pad; i++)
		t[i] = (uint8_t)(i + 1);
	t[pad] = (uint8_t)pad;
	t[pad + 1] = next_header;
}

static int seal_gcm(struct esp_sa *sa, struct pkt *pkt, uint32_t seq)
{
	uint8_t nonce[CRYPTO_GCM_NONCE_LEN];
	uint8_t *ct = pkt->data;
	uint32_t ct_len = pkt->len;
	uint8_t *hdr, *tag;

	/*
	 * SPI | seq, then the explicit IV, which must never repeat under a key: the 64-bit
	 * sequence number (its low half is seq) masked as struct esp_sa says.
	 */
	hdr = pkt_push(pkt, ESP_HDR_LEN + ESP_GCM_IV_LEN);
	put_be64(hdr, (uint64_t)sa->spi << 32 | seq);
	put_be64(hdr + ESP_HDR_LEN, sa->seq ^ sa->iv_mask);
	memcpy(nonce, sa->salt, ESP_GCM_SALT_LEN);
	put_be64(nonce + ESP_GCM_SALT_LEN, sa->seq ^ sa->iv_mask);
	tag = pkt_put(pkt, ESP_GCM_ICV_LEN);
	return crypto_aead_seal(sa->aead, nonce, hdr, ESP_HDR_LEN, ct, ct_len, tag);
}

static int seal_cbc(struct esp_sa *sa, struct pkt *pkt, uint32_t seq)
{
	uint8_t digest[CRYPTO_HMAC_MAX_LEN];
	uint8_t *ct = pkt->data;
	uint32_t ct_len = pkt->len;
	struct iovec iov;
	uint8_t *hdr;
	int ret;

	hdr = pkt_push(pkt, ESP_HDR_LEN + ESP_CBC_IV_LEN);
	put_be64(hdr, (uint64_t)sa->spi << 32 | seq);	/* the HMAC reads it back at once */
	memcpy(hdr + ESP_HDR_LEN, sa->next_iv, ESP_CBC_IV_LEN);
	ret = crypto_cbc_encrypt(sa->cbc, hdr + ESP_HDR_LEN, ct, ct_len);
	if (ret)
		return ret;
	iov.iov_base = hdr;
	iov.iov_len = pkt->len;
	ret = crypto_hmac_compute(sa->hmac, &iov, 1, digest);
	if (ret)
		return ret;
	memcpy(pkt_put(pkt, sa->icv_len), digest, sa->icv_len);
	/*
	 * The next IV must be unpredictable (RFC 3602): encrypt the start of this packet's
	 * full, untruncated MAC, as OpenConnect does.
	 */
	memcpy(sa->next_iv, digest, ESP_CBC_IV_LEN);
	ret = crypto_cbc_encrypt(sa->cbc, hdr + ESP_HDR_LEN, sa->next_iv, ESP_CBC_IV_LEN);
	crypto_wipe(digest, sizeof(digest));
	return ret;
}

int esp_encap(struct esp *esp, struct pkt *pkt)
{
	struct esp_sa *sa = &esp->out;
	uint32_t inner = pkt->len, pad, ct_len, seq;
	int ret;

	if (!sa->active)
		return -ENOTCONN;
	if (sa->seq >= ESP_SEQ_HARD_LIMIT) {
		esp->stats.tx_seq_exhausted++;
		return -EOVERFLOW;
	}
	ct_len = (inner + ESP_TRAILER_LEN + sa->block - 1) & ~(sa->block - 1);
	pad = ct_len - inner - ESP_TRAILER_LEN;
	/* Check all the room first, so a failure leaves the packet as it was. */
	if (pkt_headroom(pkt) < ESP_HDR_LEN + sa->iv_len ||
	    pkt_tailroom(pkt) < pad + ESP_TRAILER_LEN + sa->icv_len) {
		esp->stats.tx_no_room++;
		return -ENOSPC;
	}
	put_trailer(pkt, pad, next_header_of(pkt));
	seq = (uint32_t)++sa->seq;
	ret = sa->gcm ? seal_gcm(sa, pkt, seq) : seal_cbc(sa, pkt, seq);
	return ret;
}

int esp_encap_probe(struct esp *esp, struct pkt *pkt)
{
	uint8_t *b = pkt_put(pkt, ESP_PROBE_LEN);
	int ret;

	if (!b)
		return -ENOSPC;
	*b = 0;
	ret = esp_encap(esp, pkt);
	if (!ret)
		esp->stats.tx_probes++;
	return ret;
}
