/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP data-path benchmark (a program, not a test).  For each suite and packet size it
 * runs the same packets three ways, side by side in one run:
 *
 *   raw     the crypto alone over the same bytes: the limit;
 *   zcvpn   the engine's path, batch by batch as the engine and the tun backend work
 *           (src/engine-tx.c, src/engine-rx.c, DEFAULT_BATCH = 32): the tun backend
 *           writes a batch into tx ring records and publishes once; the engine peeks
 *           them, encapsulates each in place, "sends" them, releases them and flushes
 *           once; on the way in it reserves a batch of MTU-sized rx records, "receives"
 *           each datagram at the expected offset, decapsulates in place, shrinks and
 *           commits each, publishes once; the tun backend peeks, "writes" and releases
 *           them and flushes once;
 *   gro     the same, but received as the engine receives by default, with UDP GRO
 *           (src/engine-rx-run.c): the batch's datagrams arrive back to back in one
 *           64 KiB run reserved from the rx ring (the kernel's one copy of the message),
 *           each is decapsulated where it lies and carved into a record in place, and
 *           the run's unused end goes back to the ring;
 *   copy    what OpenConnect does with Wintun, packet by packet as its API goes: take
 *           a packet from the tun ring (peek), copy it into a packet buffer, release it,
 *           encrypt there; receive into a packet buffer, decrypt there, reserve a ring
 *           record, copy the inner packet in, commit and publish it.  The tun backend's
 *           side of the rings is the same batched one as in zcvpn.
 *
 * Every variant makes the same four copies the kernel would make, so that only the
 * user-space data path differs: the tun read (the inner packet into the tx record, or
 * the raw variant's buffer), the send and the receive (the datagram to and from the
 * "wire", BATCH slots of memory), and the tun write (the inner packet out into a sink).
 * Without the tun copies the tx records would be read cold, a lap of a 4 MiB ring after
 * anything last touched them, where the tun's read has just written them in the real
 * engine; and raw, which used to make one datagram copy where the others made two,
 * would not be doing the same work.
 *
 * One call of a variant moves BATCH packets out and BATCH in; pkt/s counts packets
 * (one out and one in each).  BENCH_BATCH=1 makes the zcvpn variant publish and flush
 * per packet, as the first version of this benchmark did; BENCH_RING_BYTES sets the
 * rings' capacity (default 4 MiB, the engine's; a bad one fails the setup).
 *
 * The variants and the cells run in interleaved rounds (tests/bench-util.h): the
 * figures are medians over the rounds with their interquartile range, the ratios are
 * those of the medians, and the spread of a ratio is that of the per-round ratios.
 * Usage: bench_esp [SECONDS per variant and cell, default 0.7]; BENCH_SIZES=64 and
 * BENCH_SUITES=aes128-gcm pick cells, BENCH_CPU=N the CPU to pin to.
 */
#include "config.h"

#define BENCH_NAME "bench_esp"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/esp-internal.h"
#include "ring/pkt.h"
#include "ring/ring.h"
#include "tests/bench-util.h"

enum {
	MTU = 1500,
	MAX_BATCH = 64,		/* twice the engine's default (its limit is 256) */
	DEFAULT_BATCH = 32,	/* the engine's default */
	DEFAULT_RING_BYTES = 4u << 20,	/* the engine's default */
	DGRAM_ROOM = MTU + 128,
	BUF_HEAD = 64,		/* the copy variant's headroom in its packet buffer */
};

enum mode { MODE_RAW, MODE_ZCVPN, MODE_GRO, MODE_COPY, N_MODES };

enum { GRO_RUN_BYTES = 64u << 10 };	/* as the engine reserves per message */

struct bench {
	struct esp_sa_config sa;
	struct esp *tx_esp, *rx_esp;
	struct ring *tx, *rx;
	uint32_t size;
	unsigned batch;
	uint32_t ring_bytes;
	struct ring_rec recs[MAX_BATCH];
	uint32_t dgram_len[MAX_BATCH];
	uint8_t packet[MTU] __attribute__((aligned(64)));	/* what the tun reads */
	uint8_t tun_out[MTU] __attribute__((aligned(64)));	/* where the tun writes */
	uint8_t buf[MTU + 256] __attribute__((aligned(64)));	/* a packet buffer */
	uint8_t dgram[MAX_BATCH][DGRAM_ROOM] __attribute__((aligned(64))); /* the wire */
};

static void setup(struct bench *b, enum esp_enc enc, enum esp_auth auth, uint32_t size)
{
	/* As the engine sets ESP up: lead and trail are its max head and tail, rounded. */
	const struct ring_params p = {
		.capacity = b->ring_bytes, .max_payload = MTU, .lead = 32, .trail = 48, .align = 16,
	};
	/* The rx ring takes carved runs too, as the engine's does with GRO on. */
	struct ring_params rxp = p;

	rxp.max_run = GRO_RUN_BYTES;

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
	for (uint32_t i = 0; i < size; i++)
		b->packet[i] = (uint8_t)(i * 7);
	b->packet[0] = 0x45;
	if (esp_new(&b->tx_esp) || esp_new(&b->rx_esp) ||
	    esp_set_outbound(b->tx_esp, &b->sa, NULL) || esp_set_inbound(b->rx_esp, &b->sa, NULL) ||
	    ring_new(&b->tx, &p) || ring_new(&b->rx, &rxp))
		bench_die("setup failed", 0);
}

static void teardown(struct bench *b)
{
	esp_free(b->tx_esp);
	esp_free(b->rx_esp);
	ring_free(b->tx);
	ring_free(b->rx);
}

/* ---- the tun backend's side of the rings, the same in zcvpn and copy ---------------- */

/* A batch of tun reads: each packet copied into a tx record, one publish. */
static void tun_read_batch(struct bench *b)
{
	struct ring_rec rec;

	for (unsigned i = 0; i < b->batch; i++) {
		if (ring_reserve(b->tx, b->size, &rec))
			bench_die("tx ring full", 0);
		memcpy(rec.payload, b->packet, b->size);
		ring_commit(b->tx, &rec);
	}
	ring_publish(b->tx);
}

/* Tun writes of everything published in the rx ring: copied out, released, one flush. */
static void tun_write_all(struct bench *b)
{
	struct ring_rec rec;
	unsigned n = 0;

	while (ring_peek(b->rx, &rec) == 0) {
		memcpy(b->tun_out, rec.payload, rec.size);
		ring_release(b->rx, &rec);
		n++;
	}
	if (n != b->batch || b->tun_out[0] != 0x45)
		bench_die("the tun got other packets than were sent", n);
	ring_consumer_flush(b->rx);
}

/* ---- the three variants, BATCH packets out and in each ------------------------------ */

/* out: encapsulate each where the tun put it; "sendmmsg" is the kernel's copy */
static void zcvpn_out(struct bench *b)
{
	struct ring_rec *recs = b->recs;
	unsigned n = b->batch, i;
	struct pkt pkt;

	tun_read_batch(b);
	for (i = 0; i < n; i++) {
		if (ring_peek(b->tx, &recs[i]))
			bench_die("tx ring came up short", i);
		pkt_from_rec(&pkt, b->tx, &recs[i]);
		if (esp_encap(b->tx_esp, &pkt))
			bench_die("zcvpn path failed to encapsulate", i);
		memcpy(b->dgram[i], pkt.data, pkt.len);
		b->dgram_len[i] = pkt.len;
	}
	for (i = 0; i < n; i++)
		ring_release(b->tx, &recs[i]);
	ring_consumer_flush(b->tx);
}

static void run_zcvpn(struct bench *b)
{
	uint32_t head = esp_rx_head_len(b->rx_esp);
	struct ring_rec *recs = b->recs;
	unsigned n = b->batch, i;
	struct pkt pkt;

	zcvpn_out(b);
	/* in: "recvmmsg" lands each datagram in an MTU-sized rx record; decrypt in place */
	for (i = 0; i < n; i++)
		if (ring_reserve(b->rx, MTU, &recs[i]))
			bench_die("rx ring full", i);
	for (i = 0; i < n; i++) {
		pkt_from_rec_at(&pkt, b->rx, &recs[i], -(int32_t)head);
		memcpy(pkt_put(&pkt, b->dgram_len[i]), b->dgram[i], b->dgram_len[i]);
		if (esp_decap(b->rx_esp, &pkt, MTU) != ESP_DATA || pkt.data != recs[i].payload)
			bench_die("zcvpn path failed to decapsulate", i);
		ring_shrink(b->rx, &recs[i], pkt.len);
		ring_commit(b->rx, &recs[i]);
	}
	ring_publish(b->rx);
	tun_write_all(b);
}

static void run_gro(struct bench *b)
{
	struct ring_run run;
	struct ring_rec rec;
	uint32_t off = 0;

	zcvpn_out(b);
	/* in: the kernel's GRO message, the datagrams back to back in one run */
	if (ring_reserve_run(b->rx, GRO_RUN_BYTES, &run))
		bench_die("rx ring full", 0);
	for (unsigned i = 0; i < b->batch; i++) {
		memcpy(run.data + off, b->dgram[i], b->dgram_len[i]);
		off += b->dgram_len[i];
	}
	off = 0;
	for (unsigned i = 0; i < b->batch; i++) {
		uint8_t *dgram = run.data + off;
		struct pkt pkt = { .data = dgram, .len = b->dgram_len[i], .head = dgram,
				   .end = dgram + b->dgram_len[i] };

		off += b->dgram_len[i];
		if (esp_decap(b->rx_esp, &pkt, MTU) != ESP_DATA)
			bench_die("gro path failed to decapsulate", i);
		/* ESP's header and IV always leave room for the size word: no move. */
		if (ring_carve(b->rx, &run, pkt.data, pkt.len, &rec))
			bench_die("gro path could not carve", i);
	}
	if (ring_run_end(b->rx, &run) != (int)b->batch)
		bench_die("gro run ended short", 0);
	ring_publish(b->rx);
	tun_write_all(b);
}

static void run_copy(struct bench *b)
{
	struct pkt pkt = { .head = b->buf, .end = b->buf + sizeof(b->buf) };
	struct ring_rec rec;
	unsigned n = b->batch, i;

	/* out: take each packet out of the tun ring into a packet buffer, encrypt there */
	tun_read_batch(b);
	for (i = 0; i < n; i++) {
		if (ring_peek(b->tx, &rec))
			bench_die("tx ring came up short", i);
		pkt.data = b->buf + BUF_HEAD;
		pkt.len = rec.size;
		memcpy(pkt.data, rec.payload, rec.size);
		ring_release(b->tx, &rec);
		if (esp_encap(b->tx_esp, &pkt))
			bench_die("copy path failed to encapsulate", i);
		memcpy(b->dgram[i], pkt.data, pkt.len);
		b->dgram_len[i] = pkt.len;
	}

	/* in: receive each into a packet buffer, decrypt there, copy into a ring record */
	for (i = 0; i < n; i++) {
		pkt.data = b->buf + BUF_HEAD;
		pkt.len = b->dgram_len[i];
		memcpy(pkt.data, b->dgram[i], pkt.len);
		if (esp_decap(b->rx_esp, &pkt, MTU) != ESP_DATA)
			bench_die("copy path failed to decapsulate", i);
		if (ring_reserve(b->rx, pkt.len, &rec))
			bench_die("rx ring full", i);
		memcpy(rec.payload, pkt.data, pkt.len);
		ring_commit(b->rx, &rec);
		ring_publish(b->rx);
	}
	tun_write_all(b);
}

/* The same crypto on the same bytes, with the same kernel copies, and nothing else. */
static void run_raw(struct bench *b)
{
	struct esp_sa *sa = &b->tx_esp->out;
	uint32_t ct_len = (b->size + 2 + sa->block - 1) & ~(sa->block - 1);
	uint32_t len = 8 + sa->iv_len + ct_len + sa->icv_len;
	uint8_t iv[16] = { 0 }, nonce[12] = { 0 }, digest[CRYPTO_HMAC_MAX_LEN];
	uint8_t *hdr = b->buf, *ct = b->buf + 8 + sa->iv_len;
	struct iovec iov = { hdr, 8 + sa->iv_len + ct_len };
	bool gcm = esp_suite_is_gcm(sa->enc);
	unsigned n = b->batch, i;
	int ret;

	for (i = 0; i < n; i++) {
		memcpy(ct, b->packet, b->size);			/* tun read */
		if (gcm) {
			ret = crypto_aead_seal(sa->aead, nonce, hdr, 8, ct, ct_len, ct + ct_len);
		} else {
			ret = crypto_cbc_encrypt(sa->cbc, iv, ct, ct_len);
			if (!ret)
				ret = crypto_hmac_compute(sa->hmac, &iov, 1, digest);
		}
		if (ret)
			bench_die("raw: seal failed", ret);
		memcpy(b->dgram[i], hdr, len);			/* send */
	}
	for (i = 0; i < n; i++) {
		memcpy(hdr, b->dgram[i], len);			/* receive */
		if (gcm) {
			ret = crypto_aead_open(sa->aead, nonce, hdr, 8, ct, ct_len, ct + ct_len);
		} else {
			ret = crypto_hmac_compute(sa->hmac, &iov, 1, digest);
			if (!ret)
				ret = crypto_cbc_decrypt(sa->cbc, iv, ct, ct_len);
		}
		if (ret)
			bench_die("raw: open failed", ret);
		memcpy(b->tun_out, ct, b->size);		/* tun write */
	}
}

/* ---- the table ----------------------------------------------------------------------- */

/* Gbit/s of inner payload, counted once per direction. */
static double gbps(double pps, uint32_t size)
{
	return pps * size * 16 / 1e9;
}

static void print_cell(const char *suite, uint32_t size, unsigned batch,
		       const struct bench_cell *c)
{
	printf("%-16s %5u |", suite, size);
	for (int m = 0; m < N_MODES; m++) {
		double pps = bench_median(c, m) * batch;

		printf(" %9.0f %5.1f%% %6.2f |", pps, bench_iqr_pct(&c->spread[m]),
		       gbps(pps, size));
	}
	for (int m = MODE_ZCVPN; m <= MODE_GRO; m++)
		printf(" %6.1f%% %5.1f%% %6.2fx %5.1f%% |", 100 * bench_ratio(c, m, MODE_RAW),
		       bench_ratio_iqr_pct(c, m, MODE_RAW), bench_ratio(c, m, MODE_COPY),
		       bench_ratio_iqr_pct(c, m, MODE_COPY));
	printf("\n");
	fflush(stdout);
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
	enum {
		N_SUITES = sizeof(suites) / sizeof(suites[0]),
		N_SIZES = sizeof(sizes) / sizeof(sizes[0]),
	};
	static const bench_packet_fn fns[N_MODES] = { run_raw, run_zcvpn, run_gro, run_copy };
	const char *batch_env = getenv("BENCH_BATCH"), *ring_env = getenv("BENCH_RING_BYTES");
	double seconds = argc > 1 ? atof(argv[1]) : 0.7;
	struct bench_plan plan[N_SUITES * N_SIZES];
	const char *cell_suite[N_SUITES * N_SIZES];
	unsigned batch;
	uint32_t ring_bytes;
	int cells = 0;

	/* At most a few million packets per second for a minute: far from 2^32 numbers. */
	if (!(seconds > 0 && seconds <= 60)) {
		fprintf(stderr, "usage: bench_esp [seconds per variant and cell, in (0, 60]]\n");
		return EXIT_FAILURE;
	}
	batch = batch_env ? (unsigned)atoi(batch_env) : DEFAULT_BATCH;
	if (batch < 1 || batch > MAX_BATCH) {
		fprintf(stderr, "bench_esp: BENCH_BATCH must be 1..%d\n", MAX_BATCH);
		return EXIT_FAILURE;
	}
	ring_bytes = ring_env ? (uint32_t)strtoul(ring_env, NULL, 0) : DEFAULT_RING_BYTES;
	printf("ESP data path, %s; one packet out and one in per iteration, batches of %u, "
	       "rings of %u KiB\n", crypto_backend_name(), batch, ring_bytes >> 10);
	bench_pin_cpu();
	/* Every cell has its own SAs and rings, all alive at once: the cells interleave. */
	for (size_t s = 0; s < N_SUITES; s++) {
		if (!bench_selected("BENCH_SUITES", suites[s].name))
			continue;
		for (size_t z = 0; z < N_SIZES; z++) {
			struct bench *b;

			if (!bench_size_selected(sizes[z]))
				continue;
			b = aligned_alloc(64, sizeof(*b));
			if (!b)
				bench_die("out of memory", 0);
			memset(b, 0, sizeof(*b));
			b->batch = batch;
			b->ring_bytes = ring_bytes;
			setup(b, suites[s].enc, suites[s].auth, sizes[z]);
			plan[cells] = (struct bench_plan){
				.b = b, .fns = fns, .modes = N_MODES, .size = sizes[z],
			};
			cell_suite[cells++] = suites[s].name;
		}
	}
	bench_print_method(seconds);
	printf("%-16s %5s | %9s %6s %6s | %9s %6s %6s | %9s %6s %6s | %9s %6s %6s | %7s %6s %7s "
	       "%6s | %7s %6s %7s %6s |\n",
	       "suite", "bytes", "raw pkt/s", "spread", "Gbit/s", "zc pkt/s", "spread", "Gbit/s",
	       "gro pkt/s", "spread", "Gbit/s", "copy pkt/s", "spread", "Gbit/s", "zc/raw", "spread",
	       "zc/copy", "spread", "gro/raw", "spread", "gro/copy", "spread");
	fflush(stdout);
	bench_run_plan(plan, cells, seconds);
	for (int c = 0; c < cells; c++) {
		print_cell(cell_suite[c], plan[c].size, batch, &plan[c].cell);
		teardown(plan[c].b);
		free(plan[c].b);
	}
	bench_report_migrations();
	return 0;
}
