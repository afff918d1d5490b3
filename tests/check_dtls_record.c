/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DTLS record layer against the real library: a GnuTLS DTLS 1.2 PSK handshake
 * between a client and a server session in one process (datagrams carried by an
 * in-memory wire through the sessions' send callbacks and dtls_input), then our layer
 * takes over one side and every record is cross-checked with the library on the other:
 * ours read by gnutls_record_recv, the library's read by ours, for AES-128/256-GCM and
 * AES-128/256-CBC-SHA1 both with encrypt-then-MAC and MAC-then-encrypt.  Then every
 * drop reason is provoked, and the sequence-number rules of the takeover are checked:
 * the exported write number is used as is, the library never writes unsynced (an
 * unsynced GnuTLS write would repeat a GCM nonce of ours), and a side that sent the
 * last flight can still answer the peer's retransmission after taking over.
 * MtE records with paddings the library never sends (long, bad) are built by hand.
 * DTLS 0.9 (keys.version 0x0100) gets its own checks on hand-made keys here; the
 * library cross-check for it is in check_dtls_session (RESUME mode).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "tests/dtls-pair.h"

enum {
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	HEADROOM = 64,
	MAX_PLAIN = 1400,
	HANDSHAKE_ROUNDS = 200,
};

struct pair {
	struct dtls_pair dp;		/* the sessions and their wires */
	struct dtls_keys keys;
	struct dtls_record *rec;	/* our layer, on the side that took over */
};

/* Each test runs once per record format: _i indexes this table. */
static const struct fmt_case {
	unsigned suite;
	bool no_etm;		/* CBC: MAC-then-encrypt instead of RFC 7366 */
} cases[] = {
	{ DTLS_SUITE_AES128_GCM, false },
	{ DTLS_SUITE_AES256_GCM, false },
	{ DTLS_SUITE_AES128_CBC_SHA1, false },
	{ DTLS_SUITE_AES128_CBC_SHA1, true },
	{ DTLS_SUITE_AES256_CBC_SHA1, false },
	{ DTLS_SUITE_AES256_CBC_SHA1, true },
};

#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))
/* The MtE cases, for the tests of hand-made paddings. */
static const int mte_cases[] = { 3, 5 };
static const int etm_cases[] = { 2, 4 };
/* The format of the record layer under test, for our_send's checks. */
static const struct dtls_keys *cur_keys;

static const uint32_t sizes[] = { 1, 2, 15, 16, 17, 100, 255, 256, 1000, 1399, 1400 };

#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* Drives both handshakes, turn about, in a bounded number of rounds. */
static void run_handshake(struct pair *p)
{
	struct dtls_session *bad;
	int ret = dtls_pair_handshake(&p->dp, HANDSHAKE_ROUNDS, HANDSHAKE_ROUNDS, &bad);

	ck_assert_msg(!ret, "%s: %d %s", dtls_pair_who(&p->dp, bad), ret, dtls_last_error(bad));
}

static struct pair *pair_new(int c)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct dtls_config ccfg, scfg;

	ck_assert_ptr_nonnull(p);
	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, cases[c].suite, NULL);
	ccfg.no_etm = cases[c].no_etm;
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, cases[c].suite, NULL);
	scfg.no_etm = cases[c].no_etm;
	ck_assert_int_eq(dtls_pair_open(&p->dp, &ccfg, &scfg), 0);
	return p;
}

/* The client, safe to take over at once after a full handshake, takes over. */
static struct pair *pair_up(int c)
{
	struct pair *p = pair_new(c);

	run_handshake(p);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->keys), 0);
	ck_assert_int_eq(dtls_record_new(&p->rec, &p->keys, 0), 0);
	cur_keys = &p->keys;
	return p;
}

static void pair_free(struct pair *p)
{
	dtls_record_free(p->rec);
	dtls_pair_close(&p->dp);
	crypto_wipe(&p->keys, sizeof(p->keys));
	free(p);
}

static bool is_gcm(const struct dtls_keys *k)
{
	return k->suite & DTLS_SUITES_GCM;
}

/* Bytes before the plaintext in a record of this format. */
static uint32_t fmt_head(const struct dtls_keys *k)
{
	return is_gcm(k) ? DTLS_GCM_HEAD : DTLS_CBC_HEAD;
}

/* Datagram length for len plaintext bytes with the fewest padding, as both sides send. */
static uint32_t fmt_size(const struct dtls_keys *k, uint32_t len)
{
	if (is_gcm(k))
		return len + DTLS_GCM_OVERHEAD;
	if (k->etm)
		return DTLS_CBC_HEAD + (len + 16) / 16 * 16 + DTLS_SHA1_LEN;
	return DTLS_CBC_HEAD + (len + DTLS_SHA1_LEN + 16) / 16 * 16;
}

/* The smallest datagram the format allows, and whether a length has whole blocks. */
static uint32_t fmt_min(const struct dtls_keys *k)
{
	return is_gcm(k) ? DTLS_GCM_OVERHEAD : k->etm ? DTLS_CBC_ETM_MIN : DTLS_CBC_MTE_MIN;
}

static bool fmt_aligned(const struct dtls_keys *k, uint32_t len)
{
	if (is_gcm(k))
		return true;
	return (len - DTLS_CBC_HEAD - (k->etm ? DTLS_SHA1_LEN : 0)) % 16 == 0;
}

static void fill(uint8_t *b, uint32_t len, uint32_t salt)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + salt);
}

/* Our layer protects; returns the datagram length, copied to dgram. */
static size_t our_send(struct dtls_record *rec, uint32_t len, uint32_t salt, uint8_t *dgram)
{
	uint8_t room[HEADROOM + DGRAM_MAX];
	struct pkt pkt;

	test_pkt_over(&pkt, room, sizeof(room), HEADROOM, len);
	fill(pkt.data, len, salt);
	ck_assert_int_eq(dtls_record_protect(rec, &pkt, DTLS_CT_APPLICATION_DATA), 0);
	ck_assert_ptr_eq(pkt.data, room + HEADROOM - fmt_head(cur_keys));
	ck_assert_uint_eq(pkt.len, fmt_size(cur_keys, len));
	ck_assert_uint_le(pkt.len - len, dtls_record_max_head() + dtls_record_max_tail());
	ck_assert(pkt.data >= room + HEADROOM - dtls_record_max_head());
	memcpy(dgram, pkt.data, pkt.len);
	return pkt.len;
}

/* The library sends one record; returns the datagram it produced. */
static size_t lib_send(struct pair *p, struct dtls_session *s, struct mem_wire *w, uint32_t len,
		       uint32_t salt, uint8_t *dgram)
{
	uint8_t plain[DGRAM_MAX];
	size_t n;

	(void)p;
	fill(plain, len, salt);
	ck_assert_int_eq(dtls_lib_send(s, plain, len), 0);
	n = mem_wire_pop(w, dgram);
	ck_assert_uint_eq(w->count, 0);
	return n;
}

/*
 * Receives a datagram the way recvmmsg would (header into the headroom) and unprotects
 * it.  On DATA, checks the plaintext starts where the inner packet belongs.
 */
static enum dtls_verdict our_recv(struct dtls_record *rec, const uint8_t *dgram, size_t len,
				  uint8_t *room, size_t room_size, struct pkt *pkt)
{
	uint32_t head = dtls_record_rx_head_len(rec);
	enum dtls_verdict v;

	test_pkt_over(pkt, room, room_size, HEADROOM - head, 0);
	memcpy(pkt_put(pkt, (uint32_t)len), dgram, len);	/* the kernel's copy */
	v = dtls_record_unprotect(rec, pkt, MAX_PLAIN);
	if (v == DTLS_RECORD_DATA)
		ck_assert_ptr_eq(pkt->data, room + HEADROOM);
	return v;
}

static void expect_plain(const struct pkt *pkt, uint32_t len, uint32_t salt)
{
	uint8_t want[DGRAM_MAX];

	fill(want, len, salt);
	ck_assert_uint_eq(pkt->len, len);
	ck_assert_mem_eq(pkt->data, want, len);
}

/* ---- handshake and export --------------------------------------------------------- */

START_TEST(test_handshake_export)
{
	struct pair *p = pair_up(_i);
	unsigned suite = cases[_i].suite;
	bool gcm = suite & DTLS_SUITES_GCM;
	struct dtls_keys skeys;

	ck_assert_uint_eq(p->keys.suite, suite);
	ck_assert_uint_eq(p->keys.key_len,
			  suite & (DTLS_SUITE_AES128_GCM | DTLS_SUITE_AES128_CBC_SHA1) ? 16 : 32);
	ck_assert_uint_eq(p->keys.iv_len, gcm ? 4 : 16);
	ck_assert_uint_eq(p->keys.mac_key_len, gcm ? 0 : 20);
	/* GnuTLS negotiates EtM for CBC unless one side refuses it. */
	ck_assert_int_eq(p->keys.etm, !gcm && !cases[_i].no_etm);
	/* Epoch 1; the Finished used seq 0, so 1 comes next here (read, never assume). */
	ck_assert_uint_eq(p->keys.write.seq8 >> 48, 1);
	ck_assert_uint_ge(p->keys.write.seq8 & DTLS_SEQ_MAX, 1);
	ck_assert_uint_eq(p->keys.read.seq8 >> 48, 1);
	/* The server's view is the mirror image: our write keys are its read keys. */
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &skeys), 0);
	ck_assert_mem_eq(skeys.read.key, p->keys.write.key, p->keys.key_len);
	ck_assert_mem_eq(skeys.write.key, p->keys.read.key, p->keys.key_len);
	ck_assert_mem_eq(skeys.read.iv, p->keys.write.iv, 4);
	ck_assert_mem_ne(p->keys.read.key, p->keys.write.key, p->keys.key_len);
	if (!gcm) {
		ck_assert_mem_eq(skeys.read.mac_key, p->keys.write.mac_key, 20);
		ck_assert_mem_eq(skeys.write.mac_key, p->keys.read.mac_key, 20);
		ck_assert_mem_ne(p->keys.read.mac_key, p->keys.write.mac_key, 20);
		ck_assert_int_eq(skeys.etm, p->keys.etm);
	}
	crypto_wipe(&skeys, sizeof(skeys));
	pair_free(p);
}
END_TEST

/*
 * A wrong PSK: the server's Finished check fails, but DTLS discards undecryptable
 * records silently, so the failure shows as the bounded handshake timing out.
 */
START_TEST(test_bad_psk_fails)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct dtls_config ccfg, scfg;
	int rc, rs;

	ck_assert_ptr_nonnull(p);
	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, DTLS_SUITES_GCM, NULL);
	ccfg.handshake_timeout_ms = 200;
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, DTLS_SUITES_GCM, NULL);
	scfg.handshake_timeout_ms = 200;
	scfg.psk[0] ^= 1;
	ck_assert_int_eq(dtls_pair_open(&p->dp, &ccfg, &scfg), 0);
	ck_assert_int_eq(dtls_pair_settle(&p->dp, 400, 2, &rc, &rs), 0);
	ck_assert_msg(rc != 0 && rc != -EAGAIN, "client %d", rc);
	ck_assert_msg(rs != 0 && rs != -EAGAIN, "server %d", rs);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->keys), -EINVAL);
	pair_free(p);
}
END_TEST

/* ---- cross-checks ----------------------------------------------------------------- */

START_TEST(test_ours_to_library)
{
	struct pair *p = pair_up(_i);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], want[DGRAM_MAX];

	for (unsigned round = 0; round < 3; round++) {
		for (unsigned k = 0; k < N_SIZES; k++) {
			uint32_t salt = round * 100 + k;
			size_t n = our_send(p->rec, sizes[k], salt, dgram);

			ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
			ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), sizes[k]);
			fill(want, sizes[k], salt);
			ck_assert_mem_eq(got, want, sizes[k]);
		}
	}
	ck_assert_uint_eq(dtls_record_stats(p->rec)->tx_packets, 3 * N_SIZES);
	pair_free(p);
}
END_TEST

START_TEST(test_library_to_ours)
{
	struct pair *p = pair_up(_i);
	uint8_t dgram[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	struct pkt pkt;

	for (unsigned round = 0; round < 3; round++) {
		for (unsigned k = 0; k < N_SIZES; k++) {
			uint32_t salt = round * 100 + k;
			size_t n = lib_send(p, p->dp.server, &p->dp.s2c, sizes[k], salt, dgram);

			ck_assert_uint_eq(n, fmt_size(&p->keys, sizes[k]));
			ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt),
					 DTLS_RECORD_DATA);
			expect_plain(&pkt, sizes[k], salt);
		}
	}
	ck_assert_uint_eq(dtls_record_stats(p->rec)->rx_packets, 3 * N_SIZES);
	pair_free(p);
}
END_TEST

/* Interleaved both ways, so neither side's numbering disturbs the other. */
START_TEST(test_both_ways_interleaved)
{
	struct pair *p = pair_up(_i);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	struct pkt pkt;

	for (uint32_t i = 0; i < 200; i++) {
		uint32_t len = 1 + (i * 37) % MAX_PLAIN;
		size_t n = our_send(p->rec, len, i, dgram);

		ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), len);
		n = lib_send(p, p->dp.server, &p->dp.s2c, len, i + 7, dgram);
		ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt),
				 DTLS_RECORD_DATA);
		expect_plain(&pkt, len, i + 7);
	}
	pair_free(p);
}
END_TEST

/* ---- drops ------------------------------------------------------------------------ */

static uint64_t drops(const struct dtls_record_stats *st)
{
	return st->rx_short + st->rx_bad_version + st->rx_bad_epoch + st->rx_bad_length +
	       st->rx_oversize + st->rx_replay + st->rx_too_old + st->rx_bad_tag +
	       st->rx_bad_padding;
}

/* Every byte of a record flipped in turn: never delivered, and the window never moves. */
START_TEST(test_tamper_every_byte)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], bad[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	size_t n = lib_send(p, p->dp.server, &p->dp.s2c, 100, 5, dgram);
	uint64_t lib = 0, dropped = 0;
	struct pkt pkt;

	for (size_t i = 0; i < n; i++) {
		enum dtls_verdict v;

		memcpy(bad, dgram, n);
		bad[i] ^= 0x01;
		v = our_recv(p->rec, bad, n, room, sizeof(room), &pkt);
		ck_assert_msg(v != DTLS_RECORD_DATA, "byte %zu flipped was accepted", i);
		if (v == DTLS_RECORD_LIBRARY)
			lib++;
		else
			dropped++;
	}
	ck_assert_uint_eq(lib, 1);		/* the type byte: 23 -> 22 */
	ck_assert_uint_eq(st->rx_to_library, 1);
	ck_assert_uint_eq(st->rx_bad_version, 2);
	ck_assert_uint_eq(st->rx_bad_epoch, 2);
	ck_assert_uint_eq(st->rx_bad_length, 2);
	/*
	 * seq (6), then explicit nonce or IV, ciphertext and tag or MAC.  MtE: a flip in
	 * the padding is a bad MAC as well, never a separate verdict.
	 */
	ck_assert_uint_eq(st->rx_bad_tag + st->rx_replay + st->rx_too_old, n - 7);
	ck_assert_uint_ge(st->rx_bad_tag, n - DTLS_HDR_LEN);
	ck_assert_uint_eq(st->rx_bad_padding, 0);
	ck_assert_uint_eq(drops(st), dropped);
	ck_assert_uint_eq(st->rx_packets, 0);
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DATA);
	expect_plain(&pkt, 100, 5);
	pair_free(p);
}
END_TEST

START_TEST(test_replay_and_too_old)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	static uint8_t dgrams[70][DGRAM_MAX];
	uint8_t room[HEADROOM + DGRAM_MAX];
	size_t len[70];
	struct pkt pkt;

	for (unsigned i = 0; i < 70; i++)
		len[i] = lib_send(p, p->dp.server, &p->dp.s2c, 20, i, dgrams[i]);
	ck_assert_int_eq(our_recv(p->rec, dgrams[5], len[5], room, sizeof(room), &pkt),
			 DTLS_RECORD_DATA);
	ck_assert_int_eq(our_recv(p->rec, dgrams[5], len[5], room, sizeof(room), &pkt),
			 DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_replay, 1);
	/* Out of order inside the window is fine. */
	ck_assert_int_eq(our_recv(p->rec, dgrams[2], len[2], room, sizeof(room), &pkt),
			 DTLS_RECORD_DATA);
	expect_plain(&pkt, 20, 2);
	ck_assert_int_eq(our_recv(p->rec, dgrams[69], len[69], room, sizeof(room), &pkt),
			 DTLS_RECORD_DATA);
	ck_assert_int_eq(our_recv(p->rec, dgrams[0], len[0], room, sizeof(room), &pkt),
			 DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_too_old, 1);
	ck_assert_uint_eq(st->rx_packets, 3);
	pair_free(p);
}
END_TEST

/* The handshake's own epoch-1 record (the peer's Finished, seq 0) counts as seen. */
START_TEST(test_window_seeded_from_library)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	size_t n = lib_send(p, p->dp.server, &p->dp.s2c, 20, 1, dgram);
	struct pkt pkt;

	/* Rewrite the number to the one below the library's next: too old / replay. */
	uint64_t below = (p->keys.read.seq8 & DTLS_SEQ_MAX) - 1;

	dgram[5] = (uint8_t)(below >> 40);
	dgram[6] = (uint8_t)(below >> 32);
	dgram[7] = (uint8_t)(below >> 24);
	dgram[8] = (uint8_t)(below >> 16);
	dgram[9] = (uint8_t)(below >> 8);
	dgram[10] = (uint8_t)below;
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_replay + st->rx_too_old, 1);
	ck_assert_uint_eq(st->rx_bad_tag, 0);
	pair_free(p);
}
END_TEST

START_TEST(test_wrong_epoch)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	size_t n = lib_send(p, p->dp.server, &p->dp.s2c, 64, 1, dgram);
	struct pkt pkt;

	dgram[4] = 0;		/* epoch 0: the handshake's, never application data */
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DROP);
	dgram[4] = 2;		/* a future epoch we hold no keys for */
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_bad_epoch, 2);
	dgram[4] = 1;
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DATA);
	pair_free(p);
}
END_TEST

START_TEST(test_truncation)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], bad[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	size_t n = lib_send(p, p->dp.server, &p->dp.s2c, 40, 3, dgram);
	struct pkt pkt;

	uint64_t shorts = 0, unaligned = 0, tags = 0;

	for (size_t cut = 0; cut < n; cut++)
		ck_assert_int_eq(our_recv(p->rec, dgram, cut, room, sizeof(room), &pkt),
				 DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_short, DTLS_HDR_LEN);
	ck_assert_uint_eq(st->rx_bad_length, n - DTLS_HDR_LEN);
	/*
	 * Truncated with a length field to match: too short for the format's overhead,
	 * CBC data not whole blocks, or else a bad tag or MAC.
	 */
	for (size_t cut = DTLS_HDR_LEN; cut < n; cut++) {
		memcpy(bad, dgram, cut);
		bad[11] = (uint8_t)((cut - DTLS_HDR_LEN) >> 8);
		bad[12] = (uint8_t)(cut - DTLS_HDR_LEN);
		ck_assert_int_eq(our_recv(p->rec, bad, cut, room, sizeof(room), &pkt),
				 DTLS_RECORD_DROP);
		if (cut < fmt_min(&p->keys))
			shorts++;
		else if (!fmt_aligned(&p->keys, (uint32_t)cut))
			unaligned++;
		else
			tags++;
	}
	ck_assert_uint_eq(st->rx_short, DTLS_HDR_LEN + shorts);
	ck_assert_uint_eq(st->rx_bad_tag, tags);
	ck_assert_uint_gt(tags, 0);
	/* Trailing bytes after the record: also a length mismatch. */
	memcpy(bad, dgram, n);
	bad[n] = 0;
	ck_assert_int_eq(our_recv(p->rec, bad, n + 1, room, sizeof(room), &pkt), DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_bad_length, n - DTLS_HDR_LEN + unaligned + 1);
	ck_assert_uint_eq(st->rx_packets, 0);
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DATA);
	pair_free(p);
}
END_TEST

START_TEST(test_oversize_and_version)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	size_t n = lib_send(p, p->dp.server, &p->dp.s2c, 200, 3, dgram);
	struct pkt pkt;

	test_pkt_over(&pkt, room, sizeof(room), HEADROOM - fmt_head(&p->keys), 0);
	memcpy(pkt_put(&pkt, (uint32_t)n), dgram, n);
	ck_assert_int_eq(dtls_record_unprotect(p->rec, &pkt, 199), DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_oversize, 1);
	dgram[2] = 0xff;	/* DTLS 1.0 */
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DROP);
	ck_assert_uint_eq(st->rx_bad_version, 1);
	pair_free(p);
}
END_TEST

START_TEST(test_protect_errors)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	static uint8_t big[HEADROOM + DTLS_MAX_PLAINTEXT + 64];
	uint64_t seq = dtls_record_tx_seq8(p->rec);
	struct pkt pkt, before;
	uint32_t head = fmt_head(&p->keys), tail = fmt_size(&p->keys, 10) - head - 10;

	memset(&pkt, 0, sizeof(pkt));	/* the struct's padding too: compared below */
	test_pkt_over(&pkt, big, sizeof(big), head - 1, 10);
	before = pkt;
	ck_assert_int_eq(dtls_record_protect(p->rec, &pkt, DTLS_CT_APPLICATION_DATA), -ENOSPC);
	ck_assert_mem_eq(&pkt, &before, sizeof(pkt));
	test_pkt_over(&pkt, big, HEADROOM + 10 + tail - 1, HEADROOM, 10);
	before = pkt;
	ck_assert_int_eq(dtls_record_protect(p->rec, &pkt, DTLS_CT_APPLICATION_DATA), -ENOSPC);
	ck_assert_mem_eq(&pkt, &before, sizeof(pkt));
	ck_assert_uint_eq(st->tx_no_room, 2);
	test_pkt_over(&pkt, big, sizeof(big), HEADROOM, DTLS_MAX_PLAINTEXT + 1);
	ck_assert_int_eq(dtls_record_protect(p->rec, &pkt, DTLS_CT_APPLICATION_DATA), -EMSGSIZE);
	ck_assert_uint_eq(st->tx_too_big, 1);
	ck_assert_uint_eq(dtls_record_tx_seq8(p->rec), seq);	/* nothing consumed */
	/* The largest record is fine. */
	test_pkt_over(&pkt, big, sizeof(big), HEADROOM, DTLS_MAX_PLAINTEXT);
	ck_assert_int_eq(dtls_record_protect(p->rec, &pkt, DTLS_CT_APPLICATION_DATA), 0);
	ck_assert_uint_eq(dtls_record_tx_seq8(p->rec), seq + 1);
	pair_free(p);
}
END_TEST

/* ---- hand-made CBC paddings ------------------------------------------------------- */

/*
 * Builds a CBC record as the peer would, with the read keys, but with any padding
 * length (pad_total bytes, length byte included, 1 .. 256) and optionally one padding
 * byte other than the length byte corrupted (bad_at: 1 .. pad_total - 1 from the end;
 * 0 none).  The MAC stays right, so only the padding is wrong: the padding oracle.
 */
static size_t craft_cbc(const struct dtls_keys *k, uint64_t seq8, uint32_t n,
			uint32_t pad_total, uint32_t bad_at, uint8_t *out)
{
	enum crypto_cipher cipher = k->suite == DTLS_SUITE_AES128_CBC_SHA1 ?
				    CRYPTO_AES128_CBC : CRYPTO_AES256_CBC;
	uint8_t *iv = out + DTLS_HDR_LEN, *pt = out + DTLS_CBC_HEAD, *pad, aad[13];
	uint32_t ct_len = n + pad_total + DTLS_SHA1_LEN * !k->etm;
	struct crypto_hmac *hmac;
	struct crypto_cbc *cbc;
	struct iovec iov[2];

	ck_assert_uint_eq(ct_len % 16, 0);
	ck_assert_int_eq(crypto_cbc_new(&cbc, cipher, k->read.key, k->key_len), 0);
	ck_assert_int_eq(crypto_hmac_new(&hmac, CRYPTO_HMAC_SHA1, k->read.mac_key, 20), 0);
	out[0] = DTLS_CT_APPLICATION_DATA;
	out[1] = 0xfe;
	out[2] = 0xfd;
	for (int b = 0; b < 8; b++)
		out[3 + b] = (uint8_t)(seq8 >> (56 - 8 * b));
	fill(iv, DTLS_CBC_IV_LEN, (uint32_t)seq8 * 7);
	fill(pt, n, (uint32_t)seq8);
	memcpy(aad, out + 3, 8);
	memcpy(aad + 8, out, 3);
	if (!k->etm) {
		aad[11] = (uint8_t)(n >> 8);
		aad[12] = (uint8_t)n;
		iov[0] = (struct iovec){ aad, 13 };
		iov[1] = (struct iovec){ pt, n };
		ck_assert_int_eq(crypto_hmac_compute(hmac, iov, 2, pt + n), 0);
	}
	pad = pt + ct_len - pad_total;
	memset(pad, (int)(pad_total - 1), pad_total);
	if (bad_at)
		pad[pad_total - 1 - bad_at] ^= 0x40;
	ck_assert_int_eq(crypto_cbc_encrypt(cbc, iv, pt, ct_len), 0);
	if (k->etm) {
		aad[11] = (uint8_t)((16 + ct_len) >> 8);
		aad[12] = (uint8_t)(16 + ct_len);
		iov[0] = (struct iovec){ aad, 13 };
		iov[1] = (struct iovec){ iv, 16 + ct_len };
		ck_assert_int_eq(crypto_hmac_compute(hmac, iov, 2, pt + ct_len), 0);
		ct_len += DTLS_SHA1_LEN;
	}
	out[11] = (uint8_t)((16 + ct_len) >> 8);
	out[12] = (uint8_t)(16 + ct_len);
	crypto_cbc_free(cbc);
	crypto_hmac_free(hmac);
	return DTLS_CBC_HEAD + ct_len;
}

static const uint32_t craft_sizes[] = { 0, 1, 11, 12, 27, 100, 1000 };

/*
 * Every legal padding length (up to 256 bytes, more than either library sends) is
 * accepted; one wrong padding byte under a right MAC is dropped as a bad MAC (MtE: no
 * separate verdict or counter an attacker could tell apart) or as bad padding (EtM:
 * authentic, so no oracle).
 */
static void run_paddings(int c)
{
	struct pair *p = pair_up(c);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	uint64_t seq8 = p->keys.read.seq8, good = 0, bad = 0;
	uint32_t mac_in = p->keys.etm ? 0 : DTLS_SHA1_LEN;
	struct pkt pkt;

	for (unsigned k = 0; k < sizeof(craft_sizes) / sizeof(craft_sizes[0]); k++) {
		uint32_t n = craft_sizes[k];

		for (uint32_t pad = 1; pad <= 256; pad++) {
			size_t len;

			if ((n + mac_in + pad) % 16)
				continue;
			len = craft_cbc(&p->keys, seq8, n, pad, 0, dgram);
			ck_assert_int_eq(our_recv(p->rec, dgram, len, room, sizeof(room), &pkt),
					 DTLS_RECORD_DATA);
			expect_plain(&pkt, n, (uint32_t)seq8);
			seq8++;
			good++;
			for (uint32_t at = 1; at < pad; at += 1 + pad / 3) {
				len = craft_cbc(&p->keys, seq8++, n, pad, at, dgram);
				ck_assert_int_eq(our_recv(p->rec, dgram, len, room, sizeof(room),
							  &pkt), DTLS_RECORD_DROP);
				bad++;
			}
		}
	}
	ck_assert_uint_gt(bad, 100);
	ck_assert_uint_eq(st->rx_packets, good);
	if (p->keys.etm) {
		ck_assert_uint_eq(st->rx_bad_padding, bad);
		ck_assert_uint_eq(st->rx_bad_tag, 0);
	} else {
		ck_assert_uint_eq(st->rx_bad_tag, bad);
		ck_assert_uint_eq(st->rx_bad_padding, 0);
	}
	ck_assert_uint_eq(drops(st), bad);
	pair_free(p);
}

START_TEST(test_mte_paddings)
{
	run_paddings(mte_cases[_i]);
}
END_TEST

START_TEST(test_etm_paddings)
{
	run_paddings(etm_cases[_i]);
}
END_TEST

/*
 * MtE: a padding byte claiming more than the record holds (the length byte itself
 * wrong) is a bad MAC too; so is any single flip of the last block.
 */
START_TEST(test_mte_bad_length_byte)
{
	struct pair *p = pair_up(mte_cases[_i]);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], bad[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	uint64_t seq8 = p->keys.read.seq8;
	struct pkt pkt;
	size_t len = craft_cbc(&p->keys, seq8, 11, 1, 0, dgram);	/* 11 + 20 + 1 = 32 */

	/* Each bit of the first block: garbles it and flips MAC tail or length byte. */
	for (uint32_t bit = 0; bit < 128; bit++) {
		memcpy(bad, dgram, len);
		bad[len - 32 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_int_eq(our_recv(p->rec, bad, len, room, sizeof(room), &pkt),
				 DTLS_RECORD_DROP);
	}
	ck_assert_uint_eq(st->rx_bad_tag, 128);
	ck_assert_uint_eq(drops(st), 128);
	ck_assert_int_eq(our_recv(p->rec, dgram, len, room, sizeof(room), &pkt),
			 DTLS_RECORD_DATA);
	expect_plain(&pkt, 11, (uint32_t)seq8);
	pair_free(p);
}
END_TEST

/* ---- sequence-number rules -------------------------------------------------------- */

/* The first record uses the exported number as is, then +1 each. */
START_TEST(test_seq_numbers_on_wire)
{
	struct pair *p = pair_up(_i);
	uint8_t dgram[DGRAM_MAX];

	uint8_t last_iv[DTLS_CBC_IV_LEN] = { 0 };

	for (uint64_t i = 0; i < 5; i++) {
		uint64_t seq8 = 0;

		our_send(p->rec, 10, 0, dgram);
		for (int b = 0; b < 8; b++)
			seq8 = seq8 << 8 | dgram[3 + b];
		ck_assert_uint_eq(seq8, p->keys.write.seq8 + i);
		if (is_gcm(&p->keys)) {
			/* GnuTLS's convention: the explicit nonce is seq8 too. */
			ck_assert_mem_eq(dgram + 3, dgram + DTLS_HDR_LEN, 8);
		} else {
			/* CBC: a fresh random IV each record, never predictable. */
			ck_assert_mem_ne(dgram + DTLS_HDR_LEN, last_iv, DTLS_CBC_IV_LEN);
			memcpy(last_iv, dgram + DTLS_HDR_LEN, DTLS_CBC_IV_LEN);
		}
	}
	pair_free(p);
}
END_TEST

/* close_notify through the library, synced: accepted by the peer, numbers move on. */
START_TEST(test_synced_close)
{
	struct pair *p = pair_up(_i);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX];
	uint64_t seq;
	size_t n;

	for (int i = 0; i < 5; i++) {
		n = our_send(p->rec, 30, i, dgram);
		ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), 30);
	}
	seq = dtls_record_tx_seq8(p->rec);
	ck_assert_uint_eq(seq, p->keys.write.seq8 + 5);
	ck_assert_int_eq(dtls_close(p->dp.client, &seq), 0);
	ck_assert_uint_eq(seq, p->keys.write.seq8 + 6);	/* the alert took one number */
	ck_assert_int_eq(dtls_record_set_tx_seq8(p->rec, seq), 0);
	n = mem_wire_pop(&p->dp.c2s, dgram);
	ck_assert_uint_gt(n, DTLS_HDR_LEN);
	ck_assert_uint_eq(dgram[0], DTLS_CT_ALERT);
	ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -ECONNRESET);
	/* Never back: a number must not be used twice. */
	ck_assert_int_eq(dtls_record_set_tx_seq8(p->rec, seq - 1), -EINVAL);
	ck_assert_int_eq(dtls_record_set_tx_seq8(p->rec, seq + (1ull << 48)), -EINVAL);
	pair_free(p);
}
END_TEST

/*
 * The hazard the sync prevents: an unsynced library write reuses a number (and so the
 * GCM nonce) we already used, and the peer discards it as a duplicate.
 */
START_TEST(test_unsynced_library_write_is_lost)
{
	struct pair *p = pair_up(_i);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX];
	uint64_t seq8 = 0;
	size_t n;

	n = our_send(p->rec, 30, 0, dgram);
	ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), 30);
	n = lib_send(p, p->dp.client, &p->dp.c2s, 30, 1, dgram);
	for (int b = 0; b < 8; b++)
		seq8 = seq8 << 8 | dgram[3 + b];
	ck_assert_uint_eq(seq8, p->keys.write.seq8);	/* reused */
	ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -EAGAIN);
	pair_free(p);
}
END_TEST

/* The peer's close_notify reaches the library through our layer's LIBRARY verdict. */
START_TEST(test_alert_to_library)
{
	struct pair *p = pair_up(_i);
	const struct dtls_record_stats *st = dtls_record_stats(p->rec);
	uint8_t dgram[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	uint64_t sseq, seq = dtls_record_tx_seq8(p->rec);
	struct pkt pkt;
	size_t n;

	/* Nothing was lost: the server's next number is the one the client expects. */
	sseq = p->keys.read.seq8;
	ck_assert_int_eq(dtls_close(p->dp.server, &sseq), 0);
	n = mem_wire_pop(&p->dp.s2c, dgram);
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt),
			 DTLS_RECORD_LIBRARY);
	ck_assert_uint_eq(st->rx_to_library, 1);
	ck_assert_mem_eq(pkt.data, dgram, n);	/* untouched */
	ck_assert_int_eq(dtls_input_record(p->dp.client, pkt.data, pkt.len, &seq), -ECONNRESET);
	ck_assert_uint_eq(seq, dtls_record_tx_seq8(p->rec));	/* the library wrote nothing */
	ck_assert_uint_eq(p->dp.c2s.count, 0);
	pair_free(p);
}
END_TEST

/* Our own alert record (type 21) is read by the library as close_notify. */
START_TEST(test_our_alert)
{
	struct pair *p = pair_up(_i);
	uint8_t room[HEADROOM + 64], got[64];
	struct pkt pkt;

	test_pkt_over(&pkt, room, sizeof(room), HEADROOM, 2);
	pkt.data[0] = 1;	/* warning */
	pkt.data[1] = 0;	/* close_notify */
	ck_assert_int_eq(dtls_record_protect(p->rec, &pkt, DTLS_CT_ALERT), 0);
	ck_assert_int_eq(dtls_input(p->dp.server, pkt.data, pkt.len), 0);
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -ECONNRESET);
	pair_free(p);
}
END_TEST

/*
 * The server sent the last flight, so taking it over at once is unsafe: if
 * that flight is lost the client retransmits, and the server must answer with a
 * Finished under new epoch-1 numbers.  Our layer hands the retransmission to the
 * library, which answers with a synced number, and numbering continues after it.
 */
START_TEST(test_server_takeover_with_lost_final_flight)
{
	struct pair *p = pair_new(_i);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], room[HEADROOM + DGRAM_MAX];
	int rc = -EAGAIN, rs = -EAGAIN, to_lib = 0;
	uint64_t seq, first;
	struct pkt pkt;
	size_t n;

	/* Run until the server is done, losing its final flight. */
	for (int i = 0; i < HANDSHAKE_ROUNDS && rs; i++) {
		rc = dtls_handshake(p->dp.client);
		ck_assert_int_eq(rc, -EAGAIN);
		ck_assert_int_eq(mem_wire_deliver(&p->dp.c2s, p->dp.server), 0);
		rs = dtls_handshake(p->dp.server);
		ck_assert(rs == 0 || rs == -EAGAIN);
		if (rs == 0)
			p->dp.s2c.count = 0;	/* lost */
		ck_assert_int_eq(mem_wire_deliver(&p->dp.s2c, p->dp.client), 0);
	}
	ck_assert_int_eq(rs, 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->keys), 0);
	ck_assert_int_eq(dtls_record_new(&p->rec, &p->keys, 0), 0);
	cur_keys = &p->keys;
	first = dtls_record_tx_seq8(p->rec);
	n = our_send(p->rec, 50, 1, dgram);	/* sent before the client is ready: lost */

	/* The client times out and retransmits; its flight comes to our layer first. */
	for (int i = 0; i < HANDSHAKE_ROUNDS && rc; i++) {
		test_sleep_ms(5);
		rc = dtls_handshake(p->dp.client);
		ck_assert_msg(rc == 0 || rc == -EAGAIN, "client: %s",
			      dtls_last_error(p->dp.client));
		while ((n = mem_wire_pop(&p->dp.c2s, dgram))) {
			enum dtls_verdict v = our_recv(p->rec, dgram, n, room, sizeof(room), &pkt);

			ck_assert_int_eq(v, DTLS_RECORD_LIBRARY);
			seq = dtls_record_tx_seq8(p->rec);
			ck_assert_int_eq(dtls_input_record(p->dp.server, pkt.data, pkt.len, &seq),
					 0);
			ck_assert_int_eq(dtls_record_set_tx_seq8(p->rec, seq), 0);
			to_lib++;
		}
		ck_assert_int_eq(mem_wire_deliver(&p->dp.s2c, p->dp.client), 0);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(to_lib, 0);
	/* The library's retransmitted Finished took numbers after ours. */
	ck_assert_uint_gt(dtls_record_tx_seq8(p->rec), first + 1);
	n = our_send(p->rec, 60, 2, dgram);
	ck_assert_int_eq(dtls_input(p->dp.client, dgram, n), 0);
	ck_assert_int_eq(dtls_lib_recv(p->dp.client, got, sizeof(got)), 60);
	n = lib_send(p, p->dp.client, &p->dp.c2s, 70, 3, dgram);
	ck_assert_int_eq(our_recv(p->rec, dgram, n, room, sizeof(room), &pkt), DTLS_RECORD_DATA);
	expect_plain(&pkt, 70, 3);
	pair_free(p);
}
END_TEST

/* ---- config ----------------------------------------------------------------------- */

START_TEST(test_bad_config)
{
	struct dtls_session *s = NULL;
	struct dtls_record *r = NULL;
	struct dtls_config cfg;
	struct dtls_keys keys;
	struct mem_wire *w = calloc(1, sizeof(*w));

	dtls_pair_config(&cfg, DTLS_ROLE_CLIENT, DTLS_SUITES_GCM, w);
	cfg.psk_identity = NULL;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	dtls_pair_config(&cfg, DTLS_ROLE_CLIENT, DTLS_SUITES_GCM, w);
	cfg.send = NULL;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	dtls_pair_config(&cfg, DTLS_ROLE_CLIENT, 1u << 9, w);
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	memset(&keys, 0, sizeof(keys));
	keys.suite = 1u << 9;
	ck_assert_int_eq(dtls_record_new(&r, &keys, 0), -EOPNOTSUPP);
	keys.suite = DTLS_SUITE_AES128_CBC_SHA1 | DTLS_SUITE_AES128_GCM;
	ck_assert_int_eq(dtls_record_new(&r, &keys, 0), -EOPNOTSUPP);
	keys.suite = DTLS_SUITE_AES128_CBC_SHA1;
	keys.key_len = 16;
	keys.iv_len = 16;
	ck_assert_int_eq(dtls_record_new(&r, &keys, 0), -EINVAL);	/* no MAC key */
	keys.mac_key_len = 20;
	keys.key_len = 32;
	ck_assert_int_eq(dtls_record_new(&r, &keys, 0), -EINVAL);
	keys.suite = DTLS_SUITE_AES256_CBC_SHA1;
	ck_assert_int_eq(dtls_record_new(&r, &keys, 0), 0);
	dtls_record_free(r);
	keys.mac_key_len = 0;
	keys.suite = DTLS_SUITE_AES128_GCM;
	keys.key_len = 32;
	keys.iv_len = 4;
	ck_assert_int_eq(dtls_record_new(&r, &keys, 0), -EINVAL);
	keys.key_len = 16;
	ck_assert_int_eq(dtls_record_new(&r, &keys, 65), -EINVAL);
	ck_assert_int_eq(dtls_record_new(&r, &keys, 128), 0);
	dtls_record_free(r);
	dtls_record_free(NULL);
	dtls_session_free(NULL);
	free(w);
}
END_TEST

/* ---- DTLS 0.9 ----------------------------------------------------------------------- */

/* Mirrored CBC-SHA1 keys for two record layers; version 0 means 1.2. */
static void keys_09(struct dtls_keys *a, struct dtls_keys *b, uint16_t version)
{
	memset(a, 0, sizeof(*a));
	a->suite = DTLS_SUITE_AES256_CBC_SHA1;
	a->version = version;
	a->key_len = 32;
	a->iv_len = 16;
	a->mac_key_len = 20;
	fill(a->write.key, 32, 1);
	fill(a->write.mac_key, 20, 2);
	fill(a->read.key, 32, 3);
	fill(a->read.mac_key, 20, 4);
	a->write.seq8 = UINT64_C(1) << DTLS_SEQ_SHIFT | 1;
	a->read.seq8 = UINT64_C(1) << DTLS_SEQ_SHIFT | 1;
	*b = *a;
	b->write = a->read;
	b->read = a->write;
}

START_TEST(test_version_0_9)
{
	uint8_t room[HEADROOM + DGRAM_MAX], dgram[DGRAM_MAX], want[DGRAM_MAX];
	struct dtls_record *tx = NULL, *rx = NULL, *rx12 = NULL;
	struct dtls_keys a, b;
	struct pkt pkt;
	size_t n;

	/* 0.9 has neither GCM nor EtM; unknown versions have no format. */
	keys_09(&a, &b, DTLS_VERSION_0_9);
	a.etm = true;
	ck_assert_int_eq(dtls_record_new(&tx, &a, 0), -EINVAL);
	keys_09(&a, &b, DTLS_VERSION_0_9);
	a.suite = DTLS_SUITE_AES128_GCM;
	a.key_len = 16;
	a.iv_len = 4;
	a.mac_key_len = 0;
	ck_assert_int_eq(dtls_record_new(&tx, &a, 0), -EINVAL);
	keys_09(&a, &b, 0xfeff);
	ck_assert_int_eq(dtls_record_new(&tx, &a, 0), -EOPNOTSUPP);

	keys_09(&a, &b, DTLS_VERSION_0_9);
	ck_assert_int_eq(dtls_record_new(&tx, &a, 0), 0);
	ck_assert_int_eq(dtls_record_new(&rx, &b, 0), 0);
	keys_09(&a, &b, 0);
	ck_assert_int_eq(dtls_record_new(&rx12, &b, 0), 0);
	for (unsigned k = 0; k < N_SIZES; k++) {
		test_pkt_over(&pkt, room, sizeof(room), HEADROOM, sizes[k]);
		fill(pkt.data, sizes[k], k);
		ck_assert_int_eq(dtls_record_protect(tx, &pkt, DTLS_CT_APPLICATION_DATA), 0);
		ck_assert_uint_eq(pkt.data[1], 0x01);
		ck_assert_uint_eq(pkt.data[2], 0x00);
		/* MtE, one IV and the fewest padding bytes: as DTLS 1.2 MtE. */
		ck_assert_uint_eq(pkt.len, DTLS_CBC_HEAD + (sizes[k] + 20) / 16 * 16 + 16);
		n = pkt.len;
		memcpy(dgram, pkt.data, n);
		/* A 1.2 layer refuses the version before any work... */
		ck_assert_int_eq(our_recv(rx12, dgram, n, room, sizeof(room), &pkt),
				 DTLS_RECORD_DROP);
		ck_assert_uint_eq(dtls_record_stats(rx12)->rx_bad_version, k + 1);
		/* ... and the version is in the MAC: relabelled as 1.2, it fails there. */
		dgram[1] = 0xfe;
		dgram[2] = 0xfd;
		ck_assert_int_eq(our_recv(rx12, dgram, n, room, sizeof(room), &pkt),
				 DTLS_RECORD_DROP);
		ck_assert_uint_eq(dtls_record_stats(rx12)->rx_bad_tag, k + 1);
		ck_assert_int_eq(our_recv(rx, dgram, n, room, sizeof(room), &pkt),
				 DTLS_RECORD_DROP);
		ck_assert_uint_eq(dtls_record_stats(rx)->rx_bad_version, k + 1);
		dgram[1] = 0x01;
		dgram[2] = 0x00;
		ck_assert_int_eq(our_recv(rx, dgram, n, room, sizeof(room), &pkt),
				 DTLS_RECORD_DATA);
		fill(want, sizes[k], k);
		ck_assert_uint_eq(pkt.len, sizes[k]);
		ck_assert_mem_eq(pkt.data, want, sizes[k]);
	}
	ck_assert_uint_eq(dtls_record_stats(rx)->rx_packets, N_SIZES);
	dtls_record_free(tx);
	dtls_record_free(rx);
	dtls_record_free(rx12);
}
END_TEST

static Suite *dtls_record_suite(void)
{
	Suite *s = suite_create("dtls_record");
	TCase *tc = tcase_create("formats");
	int n = N_CASES;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_handshake_export, 0, n);
	tcase_add_test(tc, test_bad_psk_fails);
	tcase_add_loop_test(tc, test_ours_to_library, 0, n);
	tcase_add_loop_test(tc, test_library_to_ours, 0, n);
	tcase_add_loop_test(tc, test_both_ways_interleaved, 0, n);
	tcase_add_loop_test(tc, test_tamper_every_byte, 0, n);
	tcase_add_loop_test(tc, test_replay_and_too_old, 0, n);
	tcase_add_loop_test(tc, test_window_seeded_from_library, 0, n);
	tcase_add_loop_test(tc, test_wrong_epoch, 0, n);
	tcase_add_loop_test(tc, test_truncation, 0, n);
	tcase_add_loop_test(tc, test_oversize_and_version, 0, n);
	tcase_add_loop_test(tc, test_protect_errors, 0, n);
	tcase_add_loop_test(tc, test_seq_numbers_on_wire, 0, n);
	tcase_add_loop_test(tc, test_synced_close, 0, n);
	tcase_add_loop_test(tc, test_unsynced_library_write_is_lost, 0, n);
	tcase_add_loop_test(tc, test_alert_to_library, 0, n);
	tcase_add_loop_test(tc, test_our_alert, 0, n);
	tcase_add_loop_test(tc, test_server_takeover_with_lost_final_flight, 0, n);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_version_0_9);
	tcase_add_loop_test(tc, test_mte_paddings, 0, 2);
	tcase_add_loop_test(tc, test_etm_paddings, 0, 2);
	tcase_add_loop_test(tc, test_mte_bad_length_byte, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dtls_record_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
