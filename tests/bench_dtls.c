/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DTLS 1.2 data-path benchmark (a program, not a test).  For each suite and plaintext
 * size it runs the same packets three ways, side by side in one run:
 *
 *   raw      the crypto alone, in place on one buffer: AES-GCM seal then open with a
 *            13-byte AAD and a fresh nonce per packet; for CBC-SHA1 a random IV,
 *            encrypt, HMAC-SHA1 over AAD | IV | ciphertext (as encrypt-then-MAC does),
 *            then HMAC, compare and decrypt.  The limit: no record framing at all.
 *   ours     our record layer (proto/dtls-record.h) on the keys of a real in-memory PSK
 *            handshake: dtls_record_protect with the client's keys, then
 *            dtls_record_unprotect of the same datagram, where it lies, with the
 *            server's.  No byte is copied.
 *   library  the TLS library's own record path on a second, fresh handshake pair (after
 *            a takeover the library must not write unsynced): dtls_lib_send on the
 *            client, whose send callback copies the datagram once out of the library's
 *            buffer, then dtls_input and dtls_lib_recv on the server.  Everything the
 *            library's API makes the caller do is counted as its cost.
 *
 * Every mode does the same encryption work per packet: one seal and one open of one
 * record carrying the plaintext (CBC: the same number of blocks and MAC bytes, and one
 * random IV), so the ratios compare framing and API cost, not cipher work.  No real
 * datagram is sent.  Each opened packet is checked cheaply (length and a first byte
 * that changes per packet); a mismatch aborts.
 *
 * pkt/s counts round trips (one seal and one open); Gbit/s is pkt/s times the
 * plaintext bits of one packet.  Each cell runs BENCH_SECONDS (default 0.5) per mode,
 * warm-up included, in rounds that interleave the modes and the cells
 * (tests/bench-util.h): the figures are the medians over the rounds with their
 * interquartile range, the ratios those of the medians with the spread of the
 * per-round ratios.  BENCH_SIZES=64 and BENCH_SUITES=AES-256-GCM pick cells (for a
 * profiler), BENCH_CPU=N the CPU to pin to.
 */
#include "config.h"

#define BENCH_NAME "bench_dtls"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "tests/bench-util.h"
#include "tests/dtls-pair.h"

enum {
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	HEADROOM = 64,		/* plaintext offset in the buffer, as a ring lead */
	ROOM = HEADROOM + DGRAM_MAX,
	MAX_PLAIN = 1400,
	HANDSHAKE_ROUNDS = 400,
};

enum mode { MODE_RAW, MODE_OURS, MODE_LIB, N_MODES };

static const char *const mode_names[N_MODES] = { "raw", "ours", "library" };

struct bench {
	unsigned suite;
	bool gcm;
	uint32_t size;
	uint8_t mark;			/* first plaintext byte, new for every packet */
	/* raw */
	struct crypto_aead *aead;
	struct crypto_cbc *cbc;
	struct crypto_hmac *hmac;
	uint8_t nonce[CRYPTO_GCM_NONCE_LEN];
	uint8_t aad[DTLS_AAD_LEN];
	uint64_t seq;
	/* ours */
	struct dtls_pair *ours;
	struct dtls_record *tx, *rx;
	/* library */
	struct dtls_pair *lib;
	uint8_t room[ROOM] __attribute__((aligned(64)));
	uint8_t got[DGRAM_MAX] __attribute__((aligned(64)));
};

/* ---- the in-memory network and the handshake ---------------------------------------- */

/*
 * A client and a server session with a completed PSK handshake between them.  The
 * wires' send callback is the one copy out of the library's buffer.
 */
static struct dtls_pair *pair_up(unsigned suite)
{
	struct dtls_pair *p = calloc(1, sizeof(*p));
	struct dtls_config ccfg, scfg;
	struct dtls_session *failed;
	int ret;

	if (!p)
		bench_die("out of memory", 0);
	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, suite, NULL);
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, suite, NULL);
	ccfg.retrans_ms = scfg.retrans_ms = 50;
	ccfg.handshake_timeout_ms = scfg.handshake_timeout_ms = 10000;
	ret = dtls_pair_open(p, &ccfg, &scfg);
	if (ret)
		bench_die("dtls_session_new failed", ret);
	/* From round 22 on, sleep between rounds to let a retransmission timer run out. */
	ret = dtls_pair_handshake(p, HANDSHAKE_ROUNDS, 22, &failed);
	if (ret) {
		fprintf(stderr, "%s: %s\n", dtls_pair_who(p, failed),
			dtls_last_error(failed));
		bench_die("handshake failed", ret);
	}
	return p;
}

static void pair_free(struct dtls_pair *p)
{
	if (!p)
		return;
	dtls_pair_close(p);
	free(p);
}

/* ---- the three modes, one packet round trip each ------------------------------------ */

static uint32_t cbc_blocks(uint32_t size)
{
	/* As encrypt-then-MAC pads: at least the length byte, up to the next block. */
	return size / DTLS_CBC_BLOCK * DTLS_CBC_BLOCK + DTLS_CBC_BLOCK;
}

/* The bare crypto, in place, laid out as the record would be. */
static void run_raw(struct bench *b)
{
	uint8_t *plain = b->room + HEADROOM;
	int ret;

	plain[0] = ++b->mark;
	if (b->gcm) {
		/* A fresh nonce per packet, as the record's seq8 gives. */
		bench_put_be64(b->nonce + DTLS_GCM_SALT_LEN, ++b->seq);
		ret = crypto_aead_seal(b->aead, b->nonce, b->aad, DTLS_AAD_LEN, plain, b->size,
				       plain + b->size);
		if (ret)
			bench_die("raw: seal failed", ret);
		ret = crypto_aead_open(b->aead, b->nonce, b->aad, DTLS_AAD_LEN, plain, b->size,
				       plain + b->size);
		if (ret)
			bench_die("raw: open failed", ret);
	} else {
		uint32_t blocks = cbc_blocks(b->size);
		uint8_t *iv = plain - DTLS_CBC_IV_LEN, *aad = iv - DTLS_AAD_LEN;
		struct iovec iov = { aad, DTLS_AAD_LEN + DTLS_CBC_IV_LEN + blocks };
		uint8_t digest[CRYPTO_HMAC_MAX_LEN];

		ret = crypto_random(iv, DTLS_CBC_IV_LEN);
		if (!ret)
			ret = crypto_cbc_encrypt(b->cbc, iv, plain, blocks);
		if (!ret)
			ret = crypto_hmac_compute(b->hmac, &iov, 1, plain + blocks);
		if (ret)
			bench_die("raw: seal failed", ret);
		ret = crypto_hmac_compute(b->hmac, &iov, 1, digest);
		if (ret || !crypto_memeq(digest, plain + blocks, DTLS_SHA1_LEN))
			bench_die("raw: MAC did not verify", ret);
		ret = crypto_cbc_decrypt(b->cbc, iv, plain, blocks);
		if (ret)
			bench_die("raw: decrypt failed", ret);
	}
	if (plain[0] != b->mark)
		bench_die("raw: round trip changed the plaintext", plain[0]);
}

/* Our record layer: protect, then unprotect the same bytes where they lie. */
static void run_ours(struct bench *b)
{
	struct pkt pkt = {
		.head = b->room, .end = b->room + ROOM,
		.data = b->room + HEADROOM, .len = b->size,
	};
	enum dtls_verdict v;
	int ret;

	pkt.data[0] = ++b->mark;
	ret = dtls_record_protect(b->tx, &pkt, DTLS_CT_APPLICATION_DATA);
	if (ret)
		bench_die("ours: protect failed", ret);
	/* The datagram is where recvmmsg would have put it: rx head bytes in front. */
	if (pkt.data != b->room + HEADROOM - dtls_record_rx_head_len(b->rx))
		bench_die("ours: datagram not at the receive offset", pkt.data - b->room);
	v = dtls_record_unprotect(b->rx, &pkt, MAX_PLAIN);
	if (v != DTLS_RECORD_DATA)
		bench_die("ours: unprotect refused the record", v);
	if (pkt.len != b->size || pkt.data != b->room + HEADROOM || pkt.data[0] != b->mark)
		bench_die("ours: round trip changed the plaintext", pkt.len);
}

/* The library's own record path, client to server. */
static void run_lib(struct bench *b)
{
	struct dtls_pair *p = b->lib;
	uint8_t *plain = b->room + HEADROOM;
	ssize_t n;
	int ret;

	plain[0] = ++b->mark;
	ret = dtls_lib_send(p->client, plain, b->size);
	if (ret || p->c2s.count != 1)
		bench_die("library: send failed or sent other than one datagram", ret);
	ret = dtls_input(p->server, p->c2s.buf[p->c2s.head], p->c2s.len[p->c2s.head]);
	if (ret)
		bench_die("library: dtls_input failed", ret);
	p->c2s.head = (p->c2s.head + 1) % MEM_WIRE_SLOTS;
	p->c2s.count = 0;
	n = dtls_lib_recv(p->server, b->got, sizeof(b->got));
	if (n != (ssize_t)b->size || b->got[0] != b->mark)
		bench_die("library: received the wrong plaintext", (long)n);
	p->s2c.count = 0;	/* the server has nothing to say; drop it if it did */
}

/* ---- measurement -------------------------------------------------------------------- */

static void setup_suite(struct bench *b, unsigned suite)
{
	struct dtls_keys ck, sk;
	enum crypto_cipher cipher;
	uint8_t key[32], mac_key[DTLS_SHA1_LEN];
	int ret;

	b->suite = suite;
	b->gcm = suite & DTLS_SUITES_GCM;
	switch (suite) {
	case DTLS_SUITE_AES128_GCM:
		cipher = CRYPTO_AES128_GCM;
		break;
	case DTLS_SUITE_AES256_GCM:
		cipher = CRYPTO_AES256_GCM;
		break;
	case DTLS_SUITE_AES128_CBC_SHA1:
		cipher = CRYPTO_AES128_CBC;
		break;
	default:
		cipher = CRYPTO_AES256_CBC;
		break;
	}

	/* raw: keys of the same length; the AAD as a record's (seq8 | type | version | n) */
	if (crypto_random(key, sizeof(key)) || crypto_random(mac_key, sizeof(mac_key)) ||
	    crypto_random(b->nonce, sizeof(b->nonce)))
		bench_die("crypto_random failed", 0);
	if (b->gcm)
		ret = crypto_aead_new(&b->aead, cipher, key, crypto_cipher_key_len(cipher));
	else
		ret = crypto_cbc_new(&b->cbc, cipher, key, crypto_cipher_key_len(cipher));
	if (!ret && !b->gcm)
		ret = crypto_hmac_new(&b->hmac, CRYPTO_HMAC_SHA1, mac_key, sizeof(mac_key));
	if (ret)
		bench_die("raw: setting up the contexts failed", ret);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(mac_key, sizeof(mac_key));
	memset(b->aad, 0, sizeof(b->aad));
	b->aad[8] = DTLS_CT_APPLICATION_DATA;
	b->aad[9] = 0xfe;
	b->aad[10] = 0xfd;

	/* ours: a handshake, then our layer on both sides' keys */
	b->ours = pair_up(suite);
	ret = dtls_export_keys(b->ours->client, &ck);
	if (!ret)
		ret = dtls_export_keys(b->ours->server, &sk);
	if (ret)
		bench_die("dtls_export_keys failed", ret);
	if (ck.suite != suite)
		bench_die("another suite was negotiated", ck.suite);
	if (!b->gcm && !ck.etm)
		printf("note: CBC negotiated MAC-then-encrypt; raw models encrypt-then-MAC\n");
	ret = dtls_record_new(&b->tx, &ck, 0);
	if (!ret)
		ret = dtls_record_new(&b->rx, &sk, 0);
	if (ret)
		bench_die("dtls_record_new failed", ret);
	crypto_wipe(&ck, sizeof(ck));
	crypto_wipe(&sk, sizeof(sk));

	/* library: a pair whose write numbers were never taken over */
	b->lib = pair_up(suite);
}

static void teardown_suite(struct bench *b)
{
	crypto_aead_free(b->aead);
	crypto_cbc_free(b->cbc);
	crypto_hmac_free(b->hmac);
	b->aead = NULL;
	b->cbc = NULL;
	b->hmac = NULL;
	dtls_record_free(b->tx);
	dtls_record_free(b->rx);
	b->tx = b->rx = NULL;
	pair_free(b->ours);
	pair_free(b->lib);
	b->ours = b->lib = NULL;
}

static double gbps(double pps, uint32_t size)
{
	return pps * size * 8 / 1e9;
}

/* A cell's slices: the suite's state at this cell's size. */
static void enter_cell(struct bench *b, uint32_t size)
{
	b->size = size;
}

static void print_cell(const char *name, uint32_t size, const struct bench_cell *cell)
{
	for (int m = 0; m < N_MODES; m++) {
		printf("%-16s %5u  %-8s %10.0f %5.1f%% %8.3f", name, size, mode_names[m],
		       bench_median(cell, m), bench_iqr_pct(&cell->spread[m]),
		       gbps(bench_median(cell, m), size));
		if (m == MODE_OURS)
			printf("   %7.1f%% %5.1f%% %8.2fx %5.1f%%",
			       100 * bench_ratio(cell, MODE_OURS, MODE_RAW),
			       bench_ratio_iqr_pct(cell, MODE_OURS, MODE_RAW),
			       bench_ratio(cell, MODE_OURS, MODE_LIB),
			       bench_ratio_iqr_pct(cell, MODE_OURS, MODE_LIB));
		printf("\n");
	}
}

int main(void)
{
	static const struct {
		const char *name;
		unsigned suite;
	} suites[] = {
		{ "AES-256-GCM", DTLS_SUITE_AES256_GCM },
		{ "AES-128-GCM", DTLS_SUITE_AES128_GCM },
		{ "AES-256-CBC-SHA1", DTLS_SUITE_AES256_CBC_SHA1 },
	};
	static const uint32_t sizes[] = { 64, 512, 1400 };
	enum {
		N_SUITES = sizeof(suites) / sizeof(suites[0]),
		N_SIZES = sizeof(sizes) / sizeof(sizes[0]),
	};
	static const bench_packet_fn fns[N_MODES] = { run_raw, run_ours, run_lib };
	const char *env = getenv("BENCH_SECONDS");
	double secs = env ? atof(env) : 0.5, headline = -1;
	struct bench *benches[N_SUITES] = { NULL };
	struct bench_plan plan[N_SUITES * N_SIZES];
	const char *cell_suite[N_SUITES * N_SIZES];
	unsigned cell_suite_id[N_SUITES * N_SIZES];
	int cells = 0;

	if (!(secs > 0 && secs <= 60)) {
		fprintf(stderr, "bench_dtls: BENCH_SECONDS must be in (0, 60]\n");
		return EXIT_FAILURE;
	}
	printf("DTLS 1.2 data path, %s, one thread; one seal and one open per packet\n",
	       crypto_backend_name());
	bench_pin_cpu();
	/* Every suite's handshakes first, all kept: the cells of all suites interleave. */
	for (size_t s = 0; s < N_SUITES; s++) {
		if (!bench_selected("BENCH_SUITES", suites[s].name))
			continue;
		benches[s] = calloc(1, sizeof(*benches[s]));
		if (!benches[s])
			bench_die("out of memory", 0);
		setup_suite(benches[s], suites[s].suite);
		memset(benches[s]->room, 0x5a, sizeof(benches[s]->room));
		for (size_t z = 0; z < N_SIZES; z++) {
			if (!bench_size_selected(sizes[z]))
				continue;
			plan[cells] = (struct bench_plan){
				.b = benches[s], .fns = fns, .modes = N_MODES, .size = sizes[z],
				.enter = enter_cell,
			};
			cell_suite[cells] = suites[s].name;
			cell_suite_id[cells++] = suites[s].suite;
		}
	}
	bench_print_method(secs);
	printf("Gbit/s = pkt/s x plaintext bits\n");
	printf("%-16s %5s  %-8s %10s %6s %8s   %8s %6s %9s %6s\n", "suite", "bytes", "mode",
	       "pkt/s", "spread", "Gbit/s", "ours/raw", "spread", "ours/lib", "spread");
	fflush(stdout);
	bench_run_plan(plan, cells, secs);
	for (int c = 0; c < cells; c++) {
		print_cell(cell_suite[c], plan[c].size, &plan[c].cell);
		if (cell_suite_id[c] == DTLS_SUITE_AES256_GCM && plan[c].size == 1400)
			headline = 100 * bench_ratio(&plan[c].cell, MODE_OURS, MODE_RAW);
	}
	for (size_t s = 0; s < N_SUITES; s++) {
		if (!benches[s])
			continue;
		teardown_suite(benches[s]);
		free(benches[s]);
	}
	if (headline >= 0)
		printf("headline: AES-256-GCM, 1400 bytes: ours at %.1f%% of raw (target >= 90%%)\n",
		       headline);
	bench_report_migrations();
	return EXIT_SUCCESS;
}
