/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP data-path benchmark (a program, not a test).  For each suite and packet size it
 * runs the same packets three ways, side by side in one run:
 *
 *   raw     the crypto alone over the same bytes: the limit;
 *   zcvpn   the engine's path: encapsulate in a tx ring record, "receive" the datagram
 *           into an rx ring record at the expected offset, decapsulate in place,
 *           shrink, commit, publish, peek, release;
 *   copy    what OpenConnect does with Wintun: copy the packet out of the tun ring into
 *           a packet buffer, encrypt there; receive into a packet buffer, decrypt there,
 *           copy the inner packet into the ring.
 *
 * Every variant includes one memcpy of the datagram standing for the kernel's copy
 * between socket and user memory (zcvpn cannot avoid that one either), and sends no
 * real datagram: this isolates the user-space data path.  Each iteration is one packet
 * out and one packet in.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/esp-internal.h"
#include "ring/pkt.h"
#include "ring/ring.h"

enum { MTU = 1500, POOL = 64 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench {
	struct esp_sa_config sa;
	struct esp *tx_esp, *rx_esp;
	struct ring *tx, *rx;
	uint32_t size;
	uint8_t dgram[MTU + 128];	/* the datagram "on the wire" */
	uint8_t buf[MTU + 256];		/* copy variant's packet buffer */
	uint8_t sink;			/* keeps the compiler honest */
};

static void setup(struct bench *b, enum esp_enc enc, enum esp_auth auth, uint32_t size)
{
	const struct ring_params p = {
		.capacity = 1u << 22, .max_payload = MTU, .lead = 32, .trail = 48, .align = 16,
	};

	memset(&b->sa, 0, sizeof(b->sa));
	b->sa.spi = 0x4242;
	b->sa.enc = enc;
	b->sa.auth = auth;
	b->sa.enc_key_len = esp_enc_key_len(enc);
	b->sa.auth_key_len = esp_auth_key_len(auth);
	b->sa.replay_window = 4096;
	memset(b->sa.enc_key, 0x11, sizeof(b->sa.enc_key));
	memset(b->sa.auth_key, 0x22, sizeof(b->sa.auth_key));
	b->size = size;
	if (esp_new(&b->tx_esp) || esp_new(&b->rx_esp) ||
	    esp_set_outbound(b->tx_esp, &b->sa, NULL) || esp_set_inbound(b->rx_esp, &b->sa, NULL) ||
	    ring_new(&b->tx, &p) || ring_new(&b->rx, &p)) {
		fprintf(stderr, "bench: setup failed\n");
		exit(1);
	}
}

static void teardown(struct bench *b)
{
	esp_free(b->tx_esp);
	esp_free(b->rx_esp);
	ring_free(b->tx);
	ring_free(b->rx);
}

/* The receiver's replay window would (rightly) refuse a rerun of the same numbers. */
static void fresh_sequence_space(struct bench *b)
{
	esp_set_inbound(b->rx_esp, &b->sa, NULL);
	esp_set_outbound(b->tx_esp, &b->sa, NULL);
}

/* The tun backend's share: an inner packet appears in a tx record. */
static void tun_write(struct bench *b, struct ring_rec *rec)
{
	if (ring_reserve(b->tx, b->size, rec)) {
		fprintf(stderr, "bench: tx ring full\n");
		exit(1);
	}
	rec->payload[0] = 0x45;
	ring_commit(b->tx, rec);
	ring_publish(b->tx);
}

static void tun_read_rx(struct bench *b)
{
	struct ring_rec rec;

	while (ring_peek(b->rx, &rec) == 0) {
		b->sink ^= rec.payload[rec.size - 1];
		ring_release(b->rx, &rec);
	}
}

static void run_zcvpn(struct bench *b)
{
	uint32_t head = esp_rx_head_len(b->rx_esp);
	struct ring_rec rec;
	struct pkt pkt;
	uint32_t len;

	/* out: encapsulate where the tun put it; "send" is the kernel's copy */
	tun_write(b, &rec);
	ring_peek(b->tx, &rec);
	pkt_from_rec(&pkt, b->tx, &rec);
	esp_encap(b->tx_esp, &pkt);
	memcpy(b->dgram, pkt.data, pkt.len);
	len = pkt.len;
	ring_release(b->tx, &rec);
	/* in: the kernel's copy lands the datagram in an rx record; decrypt in place */
	ring_reserve(b->rx, MTU, &rec);
	pkt_from_rec_at(&pkt, b->rx, &rec, -(int32_t)head);
	memcpy(pkt_put(&pkt, len), b->dgram, len);
	if (esp_decap(b->rx_esp, &pkt, MTU) != ESP_DATA || pkt.data != rec.payload) {
		fprintf(stderr, "bench: zcvpn path failed to decapsulate\n");
		exit(1);
	}
	ring_shrink(b->rx, &rec, pkt.len);
	ring_commit(b->rx, &rec);
	ring_publish(b->rx);
	tun_read_rx(b);
}

static void run_copy(struct bench *b)
{
	struct ring_rec rec;
	struct pkt pkt = { .head = b->buf, .end = b->buf + sizeof(b->buf) };
	uint32_t len;

	/* out: copy out of the tun ring into a packet buffer, encrypt there */
	tun_write(b, &rec);
	ring_peek(b->tx, &rec);
	pkt.data = b->buf + 64;
	pkt.len = rec.size;
	memcpy(pkt.data, rec.payload, rec.size);
	ring_release(b->tx, &rec);
	esp_encap(b->tx_esp, &pkt);
	memcpy(b->dgram, pkt.data, pkt.len);
	len = pkt.len;
	/* in: receive into a packet buffer, decrypt there, copy into the ring */
	pkt.data = b->buf + 64;
	pkt.len = len;
	memcpy(pkt.data, b->dgram, len);
	if (esp_decap(b->rx_esp, &pkt, MTU) != ESP_DATA) {
		fprintf(stderr, "bench: copy path failed to decapsulate\n");
		exit(1);
	}
	ring_reserve(b->rx, pkt.len, &rec);
	memcpy(rec.payload, pkt.data, pkt.len);
	ring_commit(b->rx, &rec);
	ring_publish(b->rx);
	tun_read_rx(b);
}

/* The same crypto on the same number of bytes, nothing else (plus the kernel's copy). */
static void run_raw(struct bench *b)
{
	struct esp_sa *sa = &b->tx_esp->out;
	uint32_t ct_len = (b->size + 2 + sa->block - 1) & ~(sa->block - 1);
	uint8_t iv[16] = { 0 }, nonce[12] = { 0 }, digest[32];
	uint8_t *hdr = b->buf, *ct = b->buf + 8 + sa->iv_len;
	struct iovec iov = { hdr, 8 + sa->iv_len + ct_len };

	if (esp_suite_is_gcm(sa->enc)) {
		crypto_aead_seal(sa->aead, nonce, hdr, 8, ct, ct_len, ct + ct_len);
		memcpy(b->dgram, hdr, iov.iov_len + 16);
		crypto_aead_open(sa->aead, nonce, b->dgram, 8, b->dgram + 16, ct_len,
				 b->dgram + 16 + ct_len);
	} else {
		crypto_cbc_encrypt(sa->cbc, iv, ct, ct_len);
		crypto_hmac_compute(sa->hmac, &iov, 1, digest);
		memcpy(b->dgram, hdr, iov.iov_len + sa->icv_len);
		iov.iov_base = b->dgram;
		crypto_hmac_compute(sa->hmac, &iov, 1, digest);
		crypto_cbc_decrypt(sa->cbc, iv, b->dgram + 8 + sa->iv_len, ct_len);
	}
	b->sink ^= b->dgram[20];
}

static double measure(struct bench *b, void (*fn)(struct bench *), double seconds)
{
	uint64_t n = 0;
	double start = now_s(), t;

	do {
		for (int i = 0; i < 1000; i++) {
			if (n % 3000000000u == 0)
				fresh_sequence_space(b);
			fn(b);
			n++;
		}
		t = now_s() - start;
	} while (t < seconds);
	return (double)n / t;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum esp_enc enc;
		enum esp_auth auth;
	} suites[] = {
		{ "aes128-gcm", ESP_ENC_AES128_GCM, ESP_AUTH_NONE },
		{ "aes128-cbc+sha1", ESP_ENC_AES128_CBC, ESP_AUTH_HMAC_SHA1_96 },
	};
	static const uint32_t sizes[] = { 64, 512, 1400 };
	double seconds = argc > 1 ? atof(argv[1]) : 0.7;
	struct bench *b = calloc(1, sizeof(*b));

	printf("ESP data path, %s; one packet out and one in per iteration\n",
	       crypto_backend_name());
	printf("%-16s %5s | %9s %8s | %9s %8s | %9s %8s | %7s %7s\n", "suite", "bytes",
	       "raw pkt/s", "Gbit/s", "zc pkt/s", "Gbit/s", "copy pkt/s", "Gbit/s", "zc/raw",
	       "zc/copy");
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			double raw, zc, cp;

			setup(b, suites[s].enc, suites[s].auth, sizes[z]);
			raw = measure(b, run_raw, seconds);
			zc = measure(b, run_zcvpn, seconds);
			cp = measure(b, run_copy, seconds);
			/* Gbit/s of inner payload, counted once per direction. */
			printf("%-16s %5u | %9.0f %8.2f | %9.0f %8.2f | %9.0f %8.2f | %6.1f%% %6.2fx\n",
			       suites[s].name, sizes[z], raw, raw * sizes[z] * 16 / 1e9, zc,
			       zc * sizes[z] * 16 / 1e9, cp, cp * sizes[z] * 16 / 1e9,
			       100 * zc / raw, zc / cp);
			teardown(b);
		}
	}
	free(b);
	return 0;
}
