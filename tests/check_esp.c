/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP in place on ring records: round trips for all suites and every size 1..MTU with
 * copied_bytes-style checks (the inner packet must start at the record's payload),
 * every drop reason provoked, rekey overlap, the sequence-number hard stop, probes, and
 * configuration errors.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/esp-internal.h"
#include "ring/pkt.h"
#include "ring/ring.h"

enum { MTU = 1400 };

static const struct ring_params params = {
	.capacity = 1u << 16, .max_payload = MTU, .lead = 32, .trail = 48, .align = 16,
};

struct suite_row {
	const char *enc, *auth;
};

static const struct suite_row suites[] = {
	{ "aes128-cbc", "hmac-md5-96" },   { "aes128-cbc", "hmac-sha1-96" },
	{ "aes128-cbc", "hmac-sha256-128" }, { "aes256-cbc", "hmac-md5-96" },
	{ "aes256-cbc", "hmac-sha1-96" },  { "aes256-cbc", "hmac-sha256-128" },
	{ "aes128-gcm", "none" },	   { "aes256-gcm", "none" },
};

#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

/* A sender and a receiver sharing one SA, with a tx and an rx ring. */
struct pair {
	struct esp *tx_esp, *rx_esp;
	struct ring *tx, *rx;
	struct esp_sa_config sa;
};

static void make_sa(struct esp_sa_config *sa, const struct suite_row *row, uint32_t spi)
{
	memset(sa, 0, sizeof(*sa));
	ck_assert_int_eq(esp_enc_parse(row->enc, &sa->enc), 0);
	ck_assert_int_eq(esp_auth_parse(row->auth, &sa->auth), 0);
	sa->spi = spi;
	sa->enc_key_len = esp_enc_key_len(sa->enc);
	sa->auth_key_len = esp_auth_key_len(sa->auth);
	for (uint32_t i = 0; i < sa->enc_key_len; i++)
		sa->enc_key[i] = (uint8_t)(spi + i * 7);
	for (uint32_t i = 0; i < sa->auth_key_len; i++)
		sa->auth_key[i] = (uint8_t)(spi ^ (i * 13));
}

static void pair_init(struct pair *p, const struct suite_row *row)
{
	make_sa(&p->sa, row, 0x1234);
	ck_assert_int_eq(esp_new(&p->tx_esp), 0);
	ck_assert_int_eq(esp_new(&p->rx_esp), 0);
	ck_assert_int_eq(esp_set_outbound(p->tx_esp, &p->sa, NULL), 0);
	ck_assert_int_eq(esp_set_inbound(p->rx_esp, &p->sa, NULL), 0);
	ck_assert_int_eq(ring_new(&p->tx, &params), 0);
	ck_assert_int_eq(ring_new(&p->rx, &params), 0);
}

static void pair_free(struct pair *p)
{
	esp_free(p->tx_esp);
	esp_free(p->rx_esp);
	ring_free(p->tx);
	ring_free(p->rx);
}

static void fill_inner(uint8_t *b, uint32_t len, uint32_t salt)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + salt);
	b[0] = (salt & 1) ? 0x60 : 0x45;
}

/* Encapsulates an inner packet from a tx record; returns the datagram length. */
static uint32_t encap_one(struct pair *p, uint32_t len, uint32_t salt, uint8_t *dgram)
{
	struct ring_rec rec;
	struct pkt pkt;

	ck_assert_int_eq(ring_reserve(p->tx, len, &rec), 0);
	fill_inner(rec.payload, len, salt);
	pkt_from_rec(&pkt, p->tx, &rec);
	ck_assert_int_eq(esp_encap(p->tx_esp, &pkt), 0);
	/* What sendmmsg would send, straight from the record. */
	memcpy(dgram, pkt.data, pkt.len);
	ck_assert_int_eq(ring_commit(p->tx, &rec), 0);
	ck_assert_int_eq(ring_publish(p->tx), 1);
	ck_assert_int_eq(ring_peek(p->tx, &rec), 0);
	ck_assert_int_eq(ring_release(p->tx, &rec), 0);
	return pkt.len;
}

/*
 * Receives a datagram into an rx record the way recvmmsg does (header in the headroom)
 * and decapsulates it.  On ESP_DATA checks the inner packet starts at the payload.
 */
static enum esp_verdict decap_one(struct pair *p, const uint8_t *dgram, uint32_t len,
				  struct pkt *out, struct ring_rec *rec)
{
	uint32_t head = esp_rx_head_len(p->rx_esp);
	enum esp_verdict v;
	struct pkt pkt;

	ck_assert_int_eq(ring_reserve(p->rx, MTU, rec), 0);
	ck_assert_int_eq(pkt_from_rec_at(&pkt, p->rx, rec, -(int32_t)head), 0);
	ck_assert_uint_le(len, pkt_tailroom(&pkt));
	memcpy(pkt_put(&pkt, len), dgram, len);	/* the kernel's copy */
	v = esp_decap(p->rx_esp, &pkt, MTU);
	if (v == ESP_DATA)
		ck_assert_ptr_eq(pkt.data, rec->payload);	/* zero copy: no move needed */
	if (out)
		*out = pkt;
	ck_assert_int_eq(ring_cancel(p->rx, rec), 0);
	return v;
}

START_TEST(test_round_trip_all_sizes)
{
	static uint8_t dgram[MTU + 128], expect[MTU];
	const struct suite_row *row = &suites[_i];
	struct ring_rec rec;
	struct pair p;
	struct pkt pkt;

	pair_init(&p, row);
	for (uint32_t len = 1; len <= MTU; len++) {
		uint32_t dlen = encap_one(&p, len, len, dgram);
		uint32_t block = strstr(row->enc, "gcm") ? 4 : 16;
		uint32_t head = ESP_HDR_LEN + (block == 4 ? 8 : 16);

		ck_assert_uint_eq((dlen - head - p.tx_esp->out.icv_len) % block, 0);
		ck_assert_msg(decap_one(&p, dgram, dlen, &pkt, &rec) == ESP_DATA,
			      "%s/%s len %u", row->enc, row->auth, len);
		fill_inner(expect, len, len);
		ck_assert_uint_eq(pkt.len, len);
		ck_assert_mem_eq(pkt.data, expect, len);
	}
	/* Every size went through: not one drop counted. */
	ck_assert_uint_eq(p.rx_esp->stats.rx_bad_icv + p.rx_esp->stats.rx_bad_padding +
			  p.rx_esp->stats.rx_short + p.rx_esp->stats.rx_oversize, 0);
	pair_free(&p);
}
END_TEST

START_TEST(test_tamper_every_region)
{
	static uint8_t dgram[256], bad[256];
	struct ring_rec rec;
	struct pair p;
	uint32_t len;

	pair_init(&p, &suites[_i]);
	len = encap_one(&p, 100, 3, dgram);
	/* Any single bit flip after the SPI (seq, IV, ciphertext, ICV) fails the ICV. */
	for (uint32_t i = 4; i < len; i++) {
		memcpy(bad, dgram, len);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		ck_assert_int_eq(decap_one(&p, bad, len, NULL, &rec), ESP_DROP);
	}
	ck_assert_uint_eq(p.rx_esp->stats.rx_bad_icv, len - 4);
	/* Nothing changed state: the untouched datagram is still accepted. */
	ck_assert_int_eq(decap_one(&p, dgram, len, NULL, &rec), ESP_DATA);
	pair_free(&p);
}
END_TEST

START_TEST(test_drop_reasons)
{
	static uint8_t d1[256], d2[256], old[256];
	const struct suite_row cbc = { "aes128-cbc", "hmac-sha1-96" };
	struct esp_stats st;
	struct ring_rec rec;
	struct pair p;
	uint32_t l1, lold;

	pair_init(&p, &cbc);
	lold = encap_one(&p, 60, 1, old);
	for (int i = 0; i < 200; i++)
		l1 = encap_one(&p, 60, 2, d1);
	ck_assert_int_eq(decap_one(&p, d1, l1, NULL, &rec), ESP_DATA);
	/* replay: the same datagram again */
	ck_assert_int_eq(decap_one(&p, d1, l1, NULL, &rec), ESP_DROP);
	/* too old: sequence 1 after 201 with a 64-packet window */
	ck_assert_int_eq(decap_one(&p, old, lold, NULL, &rec), ESP_DROP);
	/* short: less than a header, and less than header + IV + block + ICV */
	ck_assert_int_eq(decap_one(&p, d1, 7, NULL, &rec), ESP_DROP);
	ck_assert_int_eq(decap_one(&p, d1, 8 + 16 + 16 + 11, NULL, &rec), ESP_DROP);
	/* bad length: ciphertext not a whole number of blocks */
	ck_assert_int_eq(decap_one(&p, d1, l1 - 1, NULL, &rec), ESP_DROP);
	/* bad SPI */
	memcpy(d2, d1, l1);
	d2[3] ^= 1;
	ck_assert_int_eq(decap_one(&p, d2, l1, NULL, &rec), ESP_DROP);
	esp_get_stats(p.rx_esp, &st);
	ck_assert_uint_eq(st.rx_replay, 1);
	ck_assert_uint_eq(st.rx_too_old, 1);
	ck_assert_uint_eq(st.rx_short, 2);
	ck_assert_uint_eq(st.rx_bad_length, 1);
	ck_assert_uint_eq(st.rx_bad_spi, 1);
	ck_assert_uint_eq(st.rx_bad_icv, 0);
	pair_free(&p);
}
END_TEST

/*
 * Seals a hand-made plaintext (inner + whatever trailer) with GCM, so that authentic
 * datagrams with bad padding, a bad next header or an oversize inner packet exist.
 */
static uint32_t seal_raw(const struct esp_sa_config *sa, uint32_t seq, const uint8_t *pt,
			 uint32_t pt_len, uint8_t *out)
{
	struct crypto_aead *aead;
	uint8_t nonce[12];
	uint32_t klen = sa->enc_key_len - 4;

	ck_assert_int_eq(crypto_aead_new(&aead, klen == 16 ? CRYPTO_AES128_GCM : CRYPTO_AES256_GCM,
					 sa->enc_key, klen), 0);
	out[0] = (uint8_t)(sa->spi >> 24);
	out[1] = (uint8_t)(sa->spi >> 16);
	out[2] = (uint8_t)(sa->spi >> 8);
	out[3] = (uint8_t)sa->spi;
	out[4] = out[5] = out[6] = 0;
	out[7] = (uint8_t)seq;
	memset(out + 8, 0, 8);
	out[15] = (uint8_t)seq;
	memcpy(nonce, sa->enc_key + klen, 4);
	memcpy(nonce + 4, out + 8, 8);
	memcpy(out + 16, pt, pt_len);
	ck_assert_int_eq(crypto_aead_seal(aead, nonce, out, 8, out + 16, pt_len, out + 16 + pt_len), 0);
	crypto_aead_free(aead);
	return 16 + pt_len + 16;
}

/* Writes inner (40 bytes of version nibble v) + pad 1..6 + pad length 6 + next header. */
static uint32_t plaintext(uint8_t *pt, uint8_t v, uint8_t next_header)
{
	memset(pt, v, 40);
	for (int i = 0; i < 6; i++)
		pt[40 + i] = (uint8_t)(i + 1);
	pt[46] = 6;
	pt[47] = next_header;
	return 48;
}

START_TEST(test_authentic_but_malformed)
{
	static uint8_t pt[MTU + 64], d[MTU + 128];
	const struct suite_row gcm = { "aes128-gcm", "none" };
	struct esp_stats st;
	struct ring_rec rec;
	struct pair p;
	uint32_t len;

	pair_init(&p, &gcm);
	/* bad padding: 1, 2, 3, 4, 9, 6 */
	len = plaintext(pt, 0x45, ESP_NH_IPV4);
	pt[44] = 9;
	len = seal_raw(&p.sa, 1, pt, len, d);
	ck_assert_int_eq(decap_one(&p, d, len, NULL, &rec), ESP_DROP);
	/* pad length longer than the plaintext */
	len = plaintext(pt, 0x45, ESP_NH_IPV4);
	pt[46] = 200;
	len = seal_raw(&p.sa, 2, pt, len, d);
	ck_assert_int_eq(decap_one(&p, d, len, NULL, &rec), ESP_DROP);
	/* next header 99 */
	len = seal_raw(&p.sa, 3, pt, plaintext(pt, 0x45, 99), d);
	ck_assert_int_eq(decap_one(&p, d, len, NULL, &rec), ESP_DROP);
	/* next header says IPv6, the packet is IPv4 */
	len = seal_raw(&p.sa, 4, pt, plaintext(pt, 0x45, ESP_NH_IPV6), d);
	ck_assert_int_eq(decap_one(&p, d, len, NULL, &rec), ESP_DROP);
	/* oversize: an authentic inner packet of MTU + 20 bytes, padded 1, 2 */
	memset(pt, 0x45, MTU + 20);
	memcpy(pt + MTU + 20, "\x01\x02\x02\x04", 4);
	len = seal_raw(&p.sa, 5, pt, MTU + 24, d);
	ck_assert_int_eq(decap_one(&p, d, len, NULL, &rec), ESP_DROP);
	/* and a good one still goes through after all that */
	len = seal_raw(&p.sa, 6, pt, plaintext(pt, 0x45, ESP_NH_IPV4), d);
	ck_assert_int_eq(decap_one(&p, d, len, NULL, &rec), ESP_DATA);
	esp_get_stats(p.rx_esp, &st);
	ck_assert_uint_eq(st.rx_bad_padding, 2);
	ck_assert_uint_eq(st.rx_bad_next_header, 2);
	ck_assert_uint_eq(st.rx_oversize, 1);
	ck_assert_uint_eq(st.rx_bad_icv, 0);
	pair_free(&p);
}
END_TEST

START_TEST(test_probe)
{
	static uint8_t ctrl[128], d[128];
	struct pkt pkt = { .head = ctrl, .data = ctrl + 32, .len = 0, .end = ctrl + sizeof(ctrl) };
	struct ring_rec rec;
	struct pair p;

	pair_init(&p, &suites[_i]);
	ck_assert_int_eq(esp_encap_probe(p.tx_esp, &pkt), 0);
	memcpy(d, pkt.data, pkt.len);
	ck_assert_int_eq(decap_one(&p, d, pkt.len, NULL, &rec), ESP_PROBE);
	ck_assert_uint_eq(p.rx_esp->stats.rx_probes, 1);
	ck_assert_uint_eq(p.tx_esp->stats.tx_probes, 1);
	pair_free(&p);
}
END_TEST

START_TEST(test_rekey_overlap)
{
	static uint8_t old_pkt[256], late[256], new_pkt[256];
	const struct suite_row row = { "aes256-gcm", "none" };
	struct esp_sa_config next;
	struct ring_rec rec;
	struct pair p;
	uint32_t lo, ll, ln;

	pair_init(&p, &row);
	lo = encap_one(&p, 80, 1, old_pkt);
	ck_assert_int_eq(decap_one(&p, old_pkt, lo, NULL, &rec), ESP_DATA);
	for (int i = 0; i < 10; i++)
		ll = encap_one(&p, 80, 2, late);	/* seq 11, still in flight */
	make_sa(&next, &row, 0x5678);
	ck_assert_int_eq(esp_set_inbound(p.rx_esp, &next, NULL), 0);
	ck_assert_int_eq(esp_set_outbound(p.tx_esp, &next, NULL), 0);
	ln = encap_one(&p, 80, 3, new_pkt);
	ck_assert_int_eq(decap_one(&p, new_pkt, ln, NULL, &rec), ESP_DATA);
	/* The old SA still takes packets in flight, within its grace. */
	ck_assert_int_eq(decap_one(&p, late, ll, NULL, &rec), ESP_DATA);
	ck_assert_uint_eq(p.rx_esp->stats.rx_old_sa, 1);
	/* A second rekey retires it for good. */
	make_sa(&next, &row, 0x9abc);
	ck_assert_int_eq(esp_set_inbound(p.rx_esp, &next, NULL), 0);
	ck_assert_int_eq(esp_set_inbound(p.rx_esp, &next, NULL), 0);
	ck_assert_int_eq(decap_one(&p, late, ll, NULL, &rec), ESP_DROP);
	ck_assert_uint_eq(p.rx_esp->stats.rx_bad_spi, 1);
	pair_free(&p);
}
END_TEST

/*
 * The old SA stays open until the peer is seen on the new one, however long its own
 * switch takes; only then does the grace of ESP_OLD_SA_GRACE sequence numbers start.
 */
START_TEST(test_rekey_grace_starts_at_switch)
{
	static uint8_t pkt[256], within[256], beyond[256], new_pkt[256];
	const struct suite_row row = { "aes128-gcm", "none" };
	struct esp_sa_config next;
	struct ring_rec rec;
	uint32_t len, lw = 0, lb = 0, ln;
	struct pair p;

	pair_init(&p, &row);
	len = encap_one(&p, 80, 1, pkt);	/* seq 1 */
	ck_assert_int_eq(decap_one(&p, pkt, len, NULL, &rec), ESP_DATA);
	make_sa(&next, &row, 0x5678);
	ck_assert_int_eq(esp_set_inbound(p.rx_esp, &next, NULL), 0);
	/* The peer is slow to switch: 99 more packets on the old SA, all taken. */
	for (uint32_t seq = 2; seq <= 100; seq++) {
		len = encap_one(&p, 80, 2, pkt);
		ck_assert_int_eq(decap_one(&p, pkt, len, NULL, &rec), ESP_DATA);
	}
	for (uint32_t seq = 101; seq <= 100 + ESP_OLD_SA_GRACE + 1; seq++) {
		if (seq == 100 + ESP_OLD_SA_GRACE)
			lw = encap_one(&p, 80, 3, within);
		else if (seq == 100 + ESP_OLD_SA_GRACE + 1)
			lb = encap_one(&p, 80, 4, beyond);
		else
			encap_one(&p, 80, 5, pkt);	/* lost in flight */
	}
	ck_assert_int_eq(esp_set_outbound(p.tx_esp, &next, NULL), 0);
	ln = encap_one(&p, 80, 6, new_pkt);
	ck_assert_int_eq(decap_one(&p, new_pkt, ln, NULL, &rec), ESP_DATA);
	/* Now the grace runs from the old SA's highest sequence seen, 100. */
	ck_assert_int_eq(decap_one(&p, within, lw, NULL, &rec), ESP_DATA);
	ck_assert_int_eq(decap_one(&p, beyond, lb, NULL, &rec), ESP_DROP);
	ck_assert_uint_eq(p.rx_esp->stats.rx_bad_spi, 1);
	ck_assert_uint_eq(p.rx_esp->stats.rx_old_sa, 100);
	pair_free(&p);
}
END_TEST

START_TEST(test_sequence_hard_stop)
{
	static uint8_t d[256];
	struct ring_rec rec;
	struct pkt pkt;
	struct pair p;

	pair_init(&p, &suites[_i]);
	p.tx_esp->out.seq = 0xfffffffeu;
	encap_one(&p, 64, 1, d);	/* seq 0xffffffff: the last one */
	ck_assert_int_eq(ring_reserve(p.tx, 64, &rec), 0);
	fill_inner(rec.payload, 64, 1);
	pkt_from_rec(&pkt, p.tx, &rec);
	ck_assert_int_eq(esp_encap(p.tx_esp, &pkt), -EOVERFLOW);
	ck_assert_uint_eq(pkt.len, 64);	/* untouched */
	ck_assert_uint_eq(p.tx_esp->stats.tx_seq_exhausted, 1);
	pair_free(&p);
}
END_TEST

START_TEST(test_no_room_leaves_packet)
{
	static uint8_t buf[200];
	struct pkt pkt = { .head = buf + 10, .data = buf + 10, .len = 100, .end = buf + 200 };
	struct pair p;

	pair_init(&p, &suites[0]);
	ck_assert_int_eq(esp_encap(p.tx_esp, &pkt), -ENOSPC);
	ck_assert_ptr_eq(pkt.data, buf + 10);
	ck_assert_uint_eq(pkt.len, 100);
	ck_assert_uint_eq(p.tx_esp->stats.tx_no_room, 1);
	pair_free(&p);
}
END_TEST

/*
 * The same keys installed again, as a peer restarting with a key file does: its
 * sequence numbers start from 1 again, and the IVs (for GCM, with the salt, the nonce)
 * must not be those of the first run, or GCM's keystream and tag key repeat.  Within a
 * run the IVs never repeat (they follow the sequence number); every packet still opens.
 * Rows: each suite.
 */
START_TEST(test_restart_does_not_repeat_ivs)
{
	enum { RUNS = 4, PACKETS = 64 };
	static uint8_t ivs[RUNS][PACKETS][ESP_CBC_IV_LEN];
	const uint32_t iv_off = ESP_HDR_LEN;
	uint8_t d[2048];
	uint32_t iv_len = _i >= 6 ? ESP_GCM_IV_LEN : ESP_CBC_IV_LEN;

	for (int run = 0; run < RUNS; run++) {
		struct pair p;

		pair_init(&p, &suites[_i]);
		for (int n = 0; n < PACKETS; n++) {
			uint32_t len = encap_one(&p, 100, (uint32_t)n, d);
			struct pkt pkt;
			struct ring_rec rec;

			memcpy(ivs[run][n], d + iv_off, iv_len);
			/* It opens at a receiver that never saw this run's sender before. */
			ck_assert_int_eq(ring_reserve(p.rx, len + 64, &rec), 0);
			memcpy(rec.payload, d, len);
			pkt_from_rec(&pkt, p.rx, &rec);
			pkt.len = len;
			ck_assert_int_eq(esp_decap(p.rx_esp, &pkt, 1500), ESP_DATA);
			ck_assert_int_eq(ring_cancel(p.rx, &rec), 0);
		}
		pair_free(&p);
	}
	for (int a = 0; a < RUNS * PACKETS; a++)
		for (int b = a + 1; b < RUNS * PACKETS; b++)
			ck_assert_msg(memcmp(ivs[a / PACKETS][a % PACKETS], ivs[b / PACKETS][b % PACKETS],
					     iv_len),
				      "%s: packet %d of run %d has the IV of packet %d of run %d",
				      suites[_i].enc, b % PACKETS, b / PACKETS, a % PACKETS, a / PACKETS);
}
END_TEST

static const struct {
	const char *enc, *auth;
	uint32_t enc_len, auth_len;
	unsigned window;
	int expect;
} config_table[] = {
	{ "aes128-gcm", "none", 20, 0, 64, 0 },
	{ "aes256-gcm", "none", 36, 0, 4096, 0 },
	{ "aes128-cbc", "hmac-sha1-96", 16, 20, 0, 0 },
	{ "aes256-cbc", "hmac-sha256-128", 32, 32, 1024, 0 },
	{ "aes128-gcm", "none", 16, 0, 64, -EINVAL },		/* salt missing */
	{ "aes256-gcm", "none", 32, 0, 64, -EINVAL },
	{ "aes128-cbc", "hmac-sha1-96", 32, 20, 64, -EINVAL },	/* wrong AES length */
	{ "aes128-cbc", "hmac-md5-96", 16, 20, 64, -EINVAL },	/* MD5 key is 16 */
	{ "aes128-gcm", "hmac-sha1-96", 20, 20, 64, -EINVAL },	/* GCM plus HMAC */
	{ "aes128-cbc", "none", 16, 0, 64, -EINVAL },		/* CBC without integrity */
	{ "aes128-gcm", "none", 20, 0, 100, -EINVAL },		/* window not a multiple of 64 */
	{ "aes128-gcm", "none", 20, 0, 8192, -EINVAL },		/* window too large */
};

START_TEST(test_config_errors)
{
	struct esp_sa_config sa = { .spi = 0x1000 };
	const char *msg = NULL;
	struct esp *esp;

	ck_assert_int_eq(esp_enc_parse(config_table[_i].enc, &sa.enc), 0);
	ck_assert_int_eq(esp_auth_parse(config_table[_i].auth, &sa.auth), 0);
	sa.enc_key_len = config_table[_i].enc_len;
	sa.auth_key_len = config_table[_i].auth_len;
	sa.replay_window = config_table[_i].window;
	ck_assert_int_eq(esp_sa_config_check(&sa, &msg), config_table[_i].expect);
	ck_assert_int_eq(esp_new(&esp), 0);
	ck_assert_int_eq(esp_set_inbound(esp, &sa, &msg), config_table[_i].expect);
	if (config_table[_i].expect)
		ck_assert_ptr_nonnull(msg);
	esp_free(esp);
	ck_assert_int_eq(esp_enc_parse("des-cbc", &sa.enc), -EINVAL);
	ck_assert_int_eq(esp_auth_parse("hmac-sha512", &sa.auth), -EINVAL);
}
END_TEST

static Suite *esp_suite(void)
{
	Suite *s = suite_create("esp");
	TCase *tc = tcase_create("esp");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_round_trip_all_sizes, 0, N_SUITES);
	tcase_add_loop_test(tc, test_tamper_every_region, 0, N_SUITES);
	tcase_add_test(tc, test_drop_reasons);
	tcase_add_test(tc, test_authentic_but_malformed);
	tcase_add_loop_test(tc, test_probe, 0, N_SUITES);
	tcase_add_test(tc, test_rekey_overlap);
	tcase_add_test(tc, test_rekey_grace_starts_at_switch);
	tcase_add_loop_test(tc, test_sequence_hard_stop, 0, N_SUITES);
	tcase_add_test(tc, test_no_room_leaves_packet);
	tcase_add_loop_test(tc, test_restart_does_not_repeat_ivs, 0, N_SUITES);
	tcase_add_loop_test(tc, test_config_errors, 0, sizeof(config_table) / sizeof(config_table[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(esp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
