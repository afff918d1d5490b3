/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw per-packet crypto cost on the linked backend (a program, not a test): the ceiling
 * for any data path, since nothing but the crypto calls runs in the loop.
 *
 * Packets are laid out as ESP does, in place in one buffer: an 8-byte header (SPI, seq)
 * and the IV in front, the payload, the ICV behind.
 *   AES-128-GCM          seal: encrypt + tag with the header as AAD; open: the reverse.
 *   AES-128-CBC+SHA1-96  seal: encrypt, HMAC-SHA1 over header+IV+ciphertext, keep 12
 *                        bytes; open: HMAC, constant-time compare, decrypt.
 * CBC payloads are rounded up to whole blocks (1400 -> 1408), as ESP padding would.
 *
 * Opening needs a freshly sealed packet each time, so "open" is measured as seal+open
 * round trips minus the seal alone, round by round.  Gbit/s counts payload bits.  Each
 * case runs seal and round trip for 0.2 s each by default (or the seconds given as the
 * first argument), warm-up included, in rounds that interleave both and every case
 * (tests/bench-util.h): the figures are medians over the rounds, the spreads their
 * interquartile ranges.
 */
#include "config.h"

#define BENCH_NAME "bench_crypto"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "tests/bench-util.h"

enum {
	HDR_LEN = 8,
	ICV_SHA1_96 = 12,
	MAX_PAYLOAD = 1408,
	BUF_LEN = HDR_LEN + CRYPTO_AES_BLOCK + MAX_PAYLOAD + CRYPTO_GCM_TAG_LEN,
};

struct suite {
	struct crypto_aead *aead;
	struct crypto_cbc *cbc;
	struct crypto_hmac *hmac;
	uint8_t nonce[CRYPTO_GCM_NONCE_LEN];
	uint8_t buf[BUF_LEN] __attribute__((aligned(64)));
	size_t len;
	uint32_t seq;
};

typedef int (*packet_fn)(struct suite *s);

/* What the timing calls: the suite and its two packet functions. */
struct bench {
	struct suite *s;
	packet_fn seal, round_trip;
};

enum mode { MODE_SEAL, MODE_ROUND_TRIP, N_MODES };

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A new sequence number per packet, also the GCM explicit IV, as ESP does. */
static void next_header(struct suite *s)
{
	s->seq++;
	put_be32(s->buf, 0x1000);
	put_be32(s->buf + 4, s->seq);
	put_be32(s->nonce + 8, s->seq);
}

static int gcm_seal(struct suite *s)
{
	uint8_t *payload = s->buf + HDR_LEN;

	next_header(s);
	return crypto_aead_seal(s->aead, s->nonce, s->buf, HDR_LEN, payload, s->len,
				payload + s->len);
}

static int gcm_open(struct suite *s)
{
	uint8_t *payload = s->buf + HDR_LEN;

	return crypto_aead_open(s->aead, s->nonce, s->buf, HDR_LEN, payload, s->len,
				payload + s->len);
}

static int gcm_round_trip(struct suite *s)
{
	int ret = gcm_seal(s);

	return ret ? ret : gcm_open(s);
}

static int cbc_seal(struct suite *s)
{
	uint8_t *iv = s->buf + HDR_LEN, *ct = iv + CRYPTO_AES_BLOCK;
	struct iovec iov = { .iov_base = s->buf, .iov_len = HDR_LEN + CRYPTO_AES_BLOCK + s->len };
	uint8_t digest[CRYPTO_HMAC_MAX_LEN];
	int ret;

	next_header(s);
	/* A counter IV: the cost of making unpredictable ones is reported on its own. */
	memcpy(iv, s->buf, HDR_LEN);
	memcpy(iv + HDR_LEN, s->buf, HDR_LEN);
	ret = crypto_cbc_encrypt(s->cbc, iv, ct, s->len);
	if (!ret)
		ret = crypto_hmac_compute(s->hmac, &iov, 1, digest);
	if (!ret)
		memcpy(ct + s->len, digest, ICV_SHA1_96);
	return ret;
}

static int cbc_open(struct suite *s)
{
	uint8_t *iv = s->buf + HDR_LEN, *ct = iv + CRYPTO_AES_BLOCK;
	struct iovec iov = { .iov_base = s->buf, .iov_len = HDR_LEN + CRYPTO_AES_BLOCK + s->len };
	uint8_t digest[CRYPTO_HMAC_MAX_LEN];
	int ret = crypto_hmac_compute(s->hmac, &iov, 1, digest);

	if (ret)
		return ret;
	if (!crypto_memeq(digest, ct + s->len, ICV_SHA1_96))
		return -EBADMSG;
	return crypto_cbc_decrypt(s->cbc, iv, ct, s->len);
}

static int cbc_round_trip(struct suite *s)
{
	int ret = cbc_seal(s);

	return ret ? ret : cbc_open(s);
}

static int random_iv(struct suite *s)
{
	return crypto_random(s->buf + HDR_LEN, CRYPTO_AES_BLOCK);
}

static void call(packet_fn fn, struct suite *s)
{
	if (fn(s))
		bench_die("a packet failed", 0);
}

static void bench_seal(struct bench *b)
{
	call(b->seal, b->s);
}

static void bench_round_trip(struct bench *b)
{
	call(b->round_trip, b->s);
}

static void print_rate(double ns, double spread, size_t bytes)
{
	printf(" %8.1f %5.1f%% %7.3f %7.2f", ns, spread, 1e3 / ns, (double)bytes * 8.0 / ns);
}

/* A case's slices: the suite at this case's size (ESP pads CBC payloads to blocks). */
static void enter_case(struct bench *b, uint32_t bytes)
{
	struct suite *s = b->s;

	s->len = s->cbc ? (bytes + CRYPTO_AES_BLOCK - 1) / CRYPTO_AES_BLOCK * CRYPTO_AES_BLOCK
			: bytes;
}

static void print_case(const char *name, size_t bytes, struct bench_cell *cell)
{
	double open_ns[BENCH_ROUNDS];
	struct bench_spread seal_ns, rt_ns, open;

	/* Nanoseconds per call, round by round; open is each round's difference. */
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		double seal_r = 1e9 / cell->rate[MODE_SEAL][r];
		double rt_r = 1e9 / cell->rate[MODE_ROUND_TRIP][r];

		open_ns[r] = rt_r - seal_r;
		cell->rate[MODE_SEAL][r] = seal_r;
		cell->rate[MODE_ROUND_TRIP][r] = rt_r;
	}
	seal_ns = bench_spread_of(cell->rate[MODE_SEAL], BENCH_ROUNDS);
	rt_ns = bench_spread_of(cell->rate[MODE_ROUND_TRIP], BENCH_ROUNDS);
	open = bench_spread_of(open_ns, BENCH_ROUNDS);
	printf("%-20s %5zu |", name, bytes);
	print_rate(seal_ns.median, bench_iqr_pct(&seal_ns), bytes);
	printf(" |");
	print_rate(open.median, bench_iqr_pct(&open), bytes);
	printf(" | %8.1f %5.1f%%\n", rt_ns.median, bench_iqr_pct(&rt_ns));
}

/* One round trip must give back the plaintext before anything is timed. */
static void self_check(struct suite *s, packet_fn round_trip)
{
	uint8_t *payload = s->buf + HDR_LEN + (s->cbc ? CRYPTO_AES_BLOCK : 0);

	s->len = 64;
	for (size_t i = 0; i < s->len; i++)
		payload[i] = (uint8_t)i;
	if (round_trip(s)) {
		fprintf(stderr, "bench_crypto: self-check failed\n");
		exit(EXIT_FAILURE);
	}
	for (size_t i = 0; i < s->len; i++) {
		if (payload[i] != (uint8_t)i) {
			fprintf(stderr, "bench_crypto: round trip changed the payload\n");
			exit(EXIT_FAILURE);
		}
	}
}

static void bench_random_iv(struct bench *b)
{
	call(random_iv, b->s);
}

static void random_iv_line(struct suite *s, double secs)
{
	static const bench_packet_fn fns[1] = { bench_random_iv };
	struct bench b = { .s = s };
	struct bench_cell cell;

	bench_cell_run(&cell, fns, 1, &b, secs);
	printf("crypto_random, 16-byte CBC IV: %.1f ns (spread %.1f%%)\n",
	       1e9 / bench_median(&cell, 0), bench_iqr_pct(&cell.spread[0]));
}

static void setup(struct suite *gcm, struct suite *cbc)
{
	uint8_t key[16], auth_key[20];

	if (crypto_random(key, sizeof(key)) || crypto_random(auth_key, sizeof(auth_key)) ||
	    crypto_random(gcm->nonce, sizeof(gcm->nonce)) ||
	    crypto_aead_new(&gcm->aead, CRYPTO_AES128_GCM, key, sizeof(key)) ||
	    crypto_cbc_new(&cbc->cbc, CRYPTO_AES128_CBC, key, sizeof(key)) ||
	    crypto_hmac_new(&cbc->hmac, CRYPTO_HMAC_SHA1, auth_key, sizeof(auth_key))) {
		fprintf(stderr, "bench_crypto: setting up the contexts failed\n");
		exit(EXIT_FAILURE);
	}
	crypto_wipe(key, sizeof(key));
	crypto_wipe(auth_key, sizeof(auth_key));
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 512, 1400 };
	enum { N_SIZES = sizeof(sizes) / sizeof(sizes[0]) };
	static const bench_packet_fn fns[N_MODES] = { bench_seal, bench_round_trip };
	static struct suite gcm, cbc;
	struct bench suites[2] = {
		{ &gcm, gcm_seal, gcm_round_trip }, { &cbc, cbc_seal, cbc_round_trip },
	};
	static const char *const names[2] = { "AES-128-GCM", "AES-128-CBC+SHA1-96" };
	struct bench_plan plan[2 * N_SIZES];
	double secs = argc > 1 ? atof(argv[1]) : 0.2;

	if (secs <= 0 || secs > 10) {
		fprintf(stderr, "usage: %s [seconds per case, default 0.2]\n", argv[0]);
		return EXIT_FAILURE;
	}
	setup(&gcm, &cbc);
	self_check(&gcm, gcm_round_trip);
	self_check(&cbc, cbc_round_trip);

	printf("raw crypto, %s, one thread, in place\n", crypto_backend_name());
	bench_pin_cpu();
	bench_print_method(secs);
	printf("%-20s %5s | %8s %6s %7s %7s | %8s %6s %7s %7s | %8s %6s\n", "suite", "bytes",
	       "seal ns", "spread", "Mpkt/s", "Gbit/s", "open ns", "spread", "Mpkt/s", "Gbit/s",
	       "both ns", "spread");
	fflush(stdout);
	memset(gcm.buf, 0x5a, sizeof(gcm.buf));
	memset(cbc.buf, 0x5a, sizeof(cbc.buf));
	for (size_t c = 0; c < 2 * N_SIZES; c++)
		plan[c] = (struct bench_plan){
			.b = &suites[c / N_SIZES], .fns = fns, .modes = N_MODES,
			.size = (uint32_t)sizes[c % N_SIZES], .enter = enter_case,
		};
	bench_run_plan(plan, 2 * N_SIZES, secs);
	for (size_t c = 0; c < 2 * N_SIZES; c++)
		print_case(names[c / N_SIZES], plan[c].size, &plan[c].cell);
	random_iv_line(&cbc, secs / 2);
	bench_report_migrations();

	crypto_aead_free(gcm.aead);
	crypto_cbc_free(cbc.cbc);
	crypto_hmac_free(cbc.hmac);
	return EXIT_SUCCESS;
}
