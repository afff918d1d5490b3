/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DTLS session contract (crypto/dtls.h) checked through the contract only, so the
 * same suite runs against either backend (GnuTLS or OpenSSL): a client and a server
 * session in one process joined by in-memory datagram queues, a PSK handshake for each
 * of the four suites, the exported keys of the two sides compared (the client's write
 * state must be the server's read state and the other way round), then our record layer
 * (proto/dtls-record.h) carrying data both ways on those keys, and across to and from
 * the library's own record path.  Also: the ClientHello session ID (AnyConnect's App-ID),
 * refusal of a wrong identity or key, alerts through dtls_input_record, and the
 * argument checks.  And AnyConnect's legacy RESUME mode (a master secret and session ID
 * agreed over CSTP, an abbreviated handshake) for DTLS 1.2 and Cisco's DTLS 0.9.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dtls.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "src/util/byteorder.h"
#include "tests/dtls-pair.h"
#include "tests/record-io.h"

enum {
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	HEADROOM = 64,
	MAX_PLAIN = 1400,
	HANDSHAKE_ROUNDS = 200,
	FAIL_ROUNDS = 400,
};

struct pair {
	struct dtls_pair dp;	/* the sessions and their wires */
	struct dtls_keys ckeys, skeys;
	struct dtls_record *crec, *srec;
};

static const unsigned suites[] = {
	DTLS_SUITE_AES128_GCM, DTLS_SUITE_AES256_GCM,
	DTLS_SUITE_AES128_CBC_SHA1, DTLS_SUITE_AES256_CBC_SHA1,
};
static const unsigned gcm_suites[] = { DTLS_SUITE_AES128_GCM, DTLS_SUITE_AES256_GCM };
static const uint32_t sizes[] = { 1, 2, 15, 16, 17, 100, 255, 256, 1000, 1399, 1400 };

#define N_SUITES (sizeof(suites) / sizeof(suites[0]))
#define N_GCM (sizeof(gcm_suites) / sizeof(gcm_suites[0]))
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* A full handshake, bounded; both sides done and nothing left on the wires. */
static void run_handshake(struct pair *p)
{
	struct dtls_session *bad;
	int ret = dtls_pair_handshake(&p->dp, HANDSHAKE_ROUNDS, HANDSHAKE_ROUNDS, &bad);

	ck_assert_msg(!ret, "%s: %d %s", dtls_pair_who(&p->dp, bad), ret, dtls_last_error(bad));
	/* Done stays done. */
	ck_assert_int_eq(dtls_handshake(p->dp.client), 0);
	ck_assert_int_eq(dtls_handshake(p->dp.server), 0);
	/* Nothing left in flight: a retransmission here would break the numbering below. */
	ck_assert_uint_eq(p->dp.c2s.count, 0);
	ck_assert_uint_eq(p->dp.s2c.count, 0);
}

static struct pair *pair_new_cfg(const struct dtls_config *ccfg,
				 const struct dtls_config *scfg)
{
	struct pair *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(dtls_pair_open(&p->dp, ccfg, scfg), 0);
	return p;
}

static struct pair *pair_new(unsigned suite)
{
	struct dtls_config ccfg, scfg;

	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, suite, NULL);
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, suite, NULL);
	return pair_new_cfg(&ccfg, &scfg);
}

/* Handshake and export on both sides. */
static struct pair *pair_up(unsigned suite)
{
	struct pair *p = pair_new(suite);

	run_handshake(p);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), 0);
	return p;
}

static void pair_free(struct pair *p)
{
	dtls_record_free(p->crec);
	dtls_record_free(p->srec);
	dtls_pair_close(&p->dp);
	memset(&p->ckeys, 0, sizeof(p->ckeys));
	memset(&p->skeys, 0, sizeof(p->skeys));
	free(p);
}

/* The library sends one record; returns the single datagram it produced. */
static size_t lib_send(struct dtls_session *s, struct mem_wire *w, uint32_t len, uint32_t salt,
		       uint8_t *dgram)
{
	uint8_t plain[DGRAM_MAX];

	record_fill(plain, len, salt);
	ck_assert_int_eq(dtls_lib_send(s, plain, len), 0);
	ck_assert_uint_eq(w->count, 1);
	return mem_wire_pop(w, dgram);
}

static void expect_dir_equal(const struct dtls_keys *k, const struct dtls_dir_keys *a,
			     const struct dtls_dir_keys *b)
{
	ck_assert_mem_eq(a->key, b->key, k->key_len);
	ck_assert_mem_eq(a->iv, b->iv, k->iv_len);
	if (k->mac_key_len)
		ck_assert_mem_eq(a->mac_key, b->mac_key, k->mac_key_len);
}

/* Epoch 1, and the sender's next number is never below what the receiver saw. */
static void expect_seq_sane(uint64_t write_seq8, uint64_t peer_read_seq8)
{
	ck_assert_uint_eq(write_seq8 >> DTLS_SEQ_SHIFT, 1);
	ck_assert_uint_eq(peer_read_seq8 >> DTLS_SEQ_SHIFT, 1);
	/* Each side's Finished went out in epoch 1, so at least seq 0 is used. */
	ck_assert_uint_ge(write_seq8 & DTLS_SEQ_MAX, 1);
	ck_assert_uint_ge(write_seq8, peer_read_seq8);
	/*
	 * Nothing was lost on this wire, so the receiver saw all that was sent, but for a
	 * flight the library retransmitted on its timer (a loaded machine: OpenSSL's runs on
	 * real time) that is still on its way: a few records at most.
	 */
	ck_assert_uint_le(write_seq8 - peer_read_seq8, 4);
}

/* ---- handshake and export, all four suites ---------------------------------------- */

START_TEST(test_handshake_export)
{
	unsigned suite = suites[_i];
	struct pair *p = pair_up(suite);
	const struct dtls_keys *c = &p->ckeys, *s = &p->skeys;
	bool gcm = suite & DTLS_SUITES_GCM;

	ck_assert_uint_eq(c->suite, suite);
	ck_assert_uint_eq(s->suite, suite);
	ck_assert_uint_eq(c->key_len, suite & (DTLS_SUITE_AES128_GCM |
					       DTLS_SUITE_AES128_CBC_SHA1) ? 16 : 32);
	ck_assert_uint_eq(c->iv_len, gcm ? 4 : 16);
	ck_assert_uint_eq(c->mac_key_len, gcm ? 0 : 20);
	ck_assert_uint_eq(s->key_len, c->key_len);
	ck_assert_uint_eq(s->iv_len, c->iv_len);
	ck_assert_uint_eq(s->mac_key_len, c->mac_key_len);
	ck_assert_int_eq(c->etm, s->etm);
	if (gcm)
		ck_assert(!c->etm);
	else
		ck_assert(c->etm);	/* both libraries negotiate EtM by default */

	/* The mirror image: what one side writes with, the other reads with. */
	expect_dir_equal(c, &c->write, &s->read);
	expect_dir_equal(c, &c->read, &s->write);
	ck_assert_mem_ne(c->write.key, c->read.key, c->key_len);
	if (!gcm)
		ck_assert_mem_ne(c->write.mac_key, c->read.mac_key, c->mac_key_len);
	expect_seq_sane(c->write.seq8, s->read.seq8);
	expect_seq_sane(s->write.seq8, c->read.seq8);
	pair_free(p);
}
END_TEST

/* ---- our record layer on the exported keys, both ways (GCM and CBC) --------------- */

START_TEST(test_records_both_ways)
{
	struct pair *p = pair_up(suites[_i]);
	uint8_t dgram[DGRAM_MAX];

	ck_assert_int_eq(dtls_record_new(&p->crec, &p->ckeys, 0), 0);
	ck_assert_int_eq(dtls_record_new(&p->srec, &p->skeys, 0), 0);
	ck_assert_uint_eq(dtls_record_tx_seq8(p->crec), p->ckeys.write.seq8);
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned k = 0; k < N_SIZES; k++) {
			uint32_t salt = round * 100 + k;
			size_t n = record_protect_fill(p->crec, sizes[k], salt, dgram);

			if (suites[_i] & DTLS_SUITES_GCM)
				ck_assert_uint_eq(n, sizes[k] + DTLS_GCM_OVERHEAD);
			record_expect_open(p->srec, dgram, n, sizes[k], salt, MAX_PLAIN);
			n = record_protect_fill(p->srec, sizes[k], salt + 50, dgram);
			record_expect_open(p->crec, dgram, n, sizes[k], salt + 50, MAX_PLAIN);
		}
	}
	ck_assert_uint_eq(dtls_record_stats(p->crec)->rx_packets, 3 * N_SIZES);
	ck_assert_uint_eq(dtls_record_stats(p->srec)->rx_packets, 3 * N_SIZES);
	pair_free(p);
}
END_TEST

/*
 * The library's records read by our layer, and ours read by the library: the exported
 * read state must match what the library writes, and our first write number must be one
 * the peer library has not seen yet.  A fresh handshake: the sending library's own
 * write number was never taken over.
 */
START_TEST(test_library_and_ours)
{
	struct pair *p = pair_up(suites[_i]);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], want[DGRAM_MAX];

	/* The server keeps using its library to write; the client reads with our layer. */
	ck_assert_int_eq(dtls_record_new(&p->crec, &p->ckeys, 0), 0);
	for (unsigned k = 0; k < N_SIZES; k++) {
		size_t n = lib_send(p->dp.server, &p->dp.s2c, sizes[k], k, dgram);

		if (suites[_i] & DTLS_SUITES_GCM)
			ck_assert_uint_eq(n, sizes[k] + DTLS_GCM_OVERHEAD);
		record_expect_open(p->crec, dgram, n, sizes[k], k, MAX_PLAIN);
	}
	/* The client writes with our layer; the server's library reads. */
	for (unsigned k = 0; k < N_SIZES; k++) {
		size_t n = record_protect_fill(p->crec, sizes[k], k + 9, dgram);

		ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), sizes[k]);
		record_fill(want, sizes[k], k + 9);
		ck_assert_mem_eq(got, want, sizes[k]);
	}
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -EAGAIN);
	pair_free(p);
}
END_TEST

/*
 * no_etm on both sides: CBC records are MAC-then-encrypt, the export says so, and our
 * layer and the peer's library read each other's records in that format.
 */
START_TEST(test_no_etm)
{
	static const unsigned cbc[] = { DTLS_SUITE_AES128_CBC_SHA1, DTLS_SUITE_AES256_CBC_SHA1 };
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], want[DGRAM_MAX];
	struct dtls_config ccfg, scfg;
	struct pair *p;

	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, cbc[_i], NULL);
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, cbc[_i], NULL);
	ccfg.no_etm = true;
	scfg.no_etm = true;
	p = pair_new_cfg(&ccfg, &scfg);
	run_handshake(p);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), 0);
	ck_assert(!p->ckeys.etm);
	ck_assert(!p->skeys.etm);
	ck_assert_int_eq(dtls_record_new(&p->crec, &p->ckeys, 0), 0);
	for (unsigned k = 0; k < N_SIZES; k++) {
		size_t n = record_protect_fill(p->crec, sizes[k], k, dgram);

		/* MtE: IV, then whole blocks holding data, MAC and padding; no MAC after. */
		ck_assert_uint_eq((n - DTLS_CBC_HEAD) % DTLS_CBC_BLOCK, 0);
		ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), sizes[k]);
		record_fill(want, sizes[k], k);
		ck_assert_mem_eq(got, want, sizes[k]);
		n = lib_send(p->dp.server, &p->dp.s2c, sizes[k], k + 1, dgram);
		record_expect_open(p->crec, dgram, n, sizes[k], k + 1, MAX_PLAIN);
	}
	pair_free(p);
}
END_TEST

/* The library-to-library path works on every suite, CBC included. */
START_TEST(test_library_both_ways)
{
	struct pair *p = pair_new(suites[_i]);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], want[DGRAM_MAX];

	run_handshake(p);
	for (unsigned k = 0; k < N_SIZES; k++) {
		size_t n = lib_send(p->dp.client, &p->dp.c2s, sizes[k], k, dgram);

		ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), sizes[k]);
		record_fill(want, sizes[k], k);
		ck_assert_mem_eq(got, want, sizes[k]);
		n = lib_send(p->dp.server, &p->dp.s2c, sizes[k], k + 1, dgram);
		ck_assert_int_eq(dtls_input(p->dp.client, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.client, got, sizeof(got)), sizes[k]);
		record_fill(want, sizes[k], k + 1);
		ck_assert_mem_eq(got, want, sizes[k]);
	}
	pair_free(p);
}
END_TEST

/* ---- the ClientHello session ID ------------------------------------------------------ */

/* Returns the session ID length in the ClientHello datagram, copying the ID to sid. */
static unsigned client_hello_sid(const uint8_t *d, size_t len, uint8_t *sid)
{
	size_t off = DTLS_HDR_LEN;

	ck_assert_uint_ge(len, off + 12 + 2 + 32 + 1);
	ck_assert_uint_eq(d[0], DTLS_CT_HANDSHAKE);
	ck_assert_uint_eq(d[off], 1);			/* client_hello */
	off += 12 + 2 + 32;		/* handshake header, client_version, random */
	ck_assert_uint_le(d[off], 32);
	ck_assert_uint_ge(len, off + 1 + d[off]);
	memcpy(sid, d + off + 1, d[off]);
	return d[off];
}

START_TEST(test_session_id)
{
	struct dtls_config ccfg, scfg;
	uint8_t sid[32];
	unsigned id_len = _i ? 16 : 32;
	struct pair *p;
	size_t n;

	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, DTLS_SUITES_ALL, NULL);
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, DTLS_SUITES_ALL, NULL);
	for (unsigned i = 0; i < id_len; i++)
		ccfg.session_id[i] = (uint8_t)(0xc0 + i);
	ccfg.session_id_len = id_len;
	p = pair_new_cfg(&ccfg, &scfg);
	ck_assert_int_eq(dtls_handshake(p->dp.client), -EAGAIN);
	ck_assert_uint_eq(p->dp.c2s.count, 1);
	n = p->dp.c2s.len[p->dp.c2s.head];
	ck_assert_uint_eq(client_hello_sid(p->dp.c2s.buf[p->dp.c2s.head], n, sid), id_len);
	ck_assert_mem_eq(sid, ccfg.session_id, id_len);
	/* The ID must not get in the way of the full PSK handshake. */
	run_handshake(p);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), 0);
	ck_assert_mem_eq(p->ckeys.write.key, p->skeys.read.key, p->ckeys.key_len);
	pair_free(p);
}
END_TEST

START_TEST(test_session_id_too_long)
{
	struct dtls_config cfg;
	struct dtls_session *s = NULL;
	struct mem_wire *w = calloc(1, sizeof(*w));

	dtls_pair_config(&cfg, DTLS_ROLE_CLIENT, 0, w);
	cfg.session_id_len = DTLS_MAX_SESSION_ID_LEN + 1;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	ck_assert_ptr_null(s);
	free(w);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------------ */

/* Drives a handshake that must fail on both sides within the bounded loop. */
static void run_failing(struct pair *p, int *rc, int *rs)
{
	ck_assert_int_eq(dtls_pair_settle(&p->dp, FAIL_ROUNDS, 2, rc, rs), 0);
}

/* A server that requires another identity refuses at once with a fatal alert. */
START_TEST(test_bad_identity)
{
	struct dtls_config ccfg, scfg;
	struct pair *p;
	int rc, rs;

	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, DTLS_SUITES_GCM, NULL);
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, DTLS_SUITES_GCM, NULL);
	scfg.psk_identity = "someone-else";
	p = pair_new_cfg(&ccfg, &scfg);
	run_failing(p, &rc, &rs);
	ck_assert_msg(rs == -EACCES || rs == -EPROTO, "server %d %s", rs,
		      dtls_last_error(p->dp.server));
	ck_assert_msg(rc == -EACCES || rc == -EPROTO, "client %d %s", rc,
		      dtls_last_error(p->dp.client));
	ck_assert_str_ne(dtls_last_error(p->dp.client), "no error");
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), -EINVAL);
	/* A failed handshake never turns into success. */
	ck_assert_int_ne(dtls_handshake(p->dp.client), 0);
	pair_free(p);
}
END_TEST

/*
 * A wrong key: the Finished check fails.  DTLS discards records that do not decrypt
 * silently, so depending on the library this shows as a refusal or as the bounded
 * handshake running out; never as success.
 */
START_TEST(test_bad_psk)
{
	struct dtls_config ccfg, scfg;
	struct pair *p;
	int rc, rs;

	dtls_pair_config(&ccfg, DTLS_ROLE_CLIENT, suites[_i], NULL);
	dtls_pair_config(&scfg, DTLS_ROLE_SERVER, suites[_i], NULL);
	ccfg.handshake_timeout_ms = 300;
	scfg.handshake_timeout_ms = 300;
	scfg.psk[0] ^= 1;
	p = pair_new_cfg(&ccfg, &scfg);
	run_failing(p, &rc, &rs);
	ck_assert_msg(rc == -EACCES || rc == -EPROTO || rc == -ETIMEDOUT, "client %d", rc);
	ck_assert_msg(rs == -EACCES || rs == -EPROTO || rs == -ETIMEDOUT, "server %d", rs);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), -EINVAL);
	pair_free(p);
}
END_TEST

/* ---- after the takeover -------------------------------------------------------------- */

/*
 * Alerts we protect ourselves (what a backend that cannot sync requires) reach the peer
 * library through dtls_input_record: close_notify closes the session.
 */
START_TEST(test_close_notify_via_input_record)
{
	static const uint8_t close_notify[2] = { 1, 0 };
	struct pair *p = pair_up(gcm_suites[_i]);
	uint8_t dgram[DGRAM_MAX], got[64];
	uint64_t wseq;
	size_t n;

	ck_assert_int_eq(dtls_record_new(&p->crec, &p->ckeys, 0), 0);
	/* A data record first, which the library discards: it belongs to our layer. */
	n = record_protect_fill(p->crec, 100, 3, dgram);
	wseq = p->skeys.write.seq8;
	ck_assert_int_eq(dtls_input_record(p->dp.server, dgram, n, &wseq), 0);
	ck_assert_uint_ge(wseq, p->skeys.write.seq8);
	ck_assert_uint_eq(p->dp.s2c.count, 0);
	n = record_protect(p->crec, close_notify, sizeof(close_notify), DTLS_CT_ALERT, dgram);
	ck_assert_int_eq(dtls_input_record(p->dp.server, dgram, n, &wseq), -ECONNRESET);
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -ECONNRESET);
	pair_free(p);
}
END_TEST

/* A fatal alert from the peer ends the session too. */
START_TEST(test_fatal_alert_via_input_record)
{
	static const uint8_t fatal[2] = { 2, 40 };	/* handshake_failure */
	struct pair *p = pair_up(DTLS_SUITE_AES128_GCM);
	uint8_t dgram[DGRAM_MAX];
	uint64_t wseq;
	size_t n;

	ck_assert_int_eq(dtls_record_new(&p->srec, &p->skeys, 0), 0);
	n = record_protect(p->srec, fatal, sizeof(fatal), DTLS_CT_ALERT, dgram);
	wseq = p->ckeys.write.seq8;
	ck_assert_int_eq(dtls_input_record(p->dp.client, dgram, n, &wseq), -ECONNRESET);
	pair_free(p);
}
END_TEST

/*
 * The library never writes an unsynced record.  dtls_close either sends close_notify
 * under exactly the number it was given (what our layer would have used next) and
 * moves it past that record, or, for a backend that cannot sync, sends nothing and
 * says -EOPNOTSUPP.  Checked on the wire, not by asking the library.
 */
START_TEST(test_close_synced_or_refused)
{
	struct pair *p = pair_up(DTLS_SUITE_AES256_GCM);
	uint64_t next = p->ckeys.write.seq8 + 5, wseq = next;
	uint8_t dgram[DGRAM_MAX], got[64];
	size_t n;
	int ret;

	ret = dtls_close(p->dp.client, &wseq);
	ck_assert_msg(ret == 0 || ret == -EOPNOTSUPP, "close %d", ret);
	if (ret == -EOPNOTSUPP) {
		ck_assert_uint_eq(p->dp.c2s.count, 0);
		ck_assert_uint_eq(wseq, next);
		pair_free(p);
		return;
	}
	ck_assert_uint_eq(p->dp.c2s.count, 1);
	ck_assert_uint_eq(wseq, next + 1);
	n = mem_wire_pop(&p->dp.c2s, dgram);
	ck_assert_uint_gt(n, DTLS_HDR_LEN);
	ck_assert_uint_eq(dgram[0], DTLS_CT_ALERT);
	ck_assert_uint_eq(get_be64(dgram + 3), next);
	/* A gap is fine for the peer; the alert arrives and closes. */
	ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -ECONNRESET);
	pair_free(p);
}
END_TEST

/* ---- RESUME mode (AnyConnect legacy) ------------------------------------------------- */

struct resume_case {
	enum dtls_version version;
	unsigned suite;
	uint16_t wire;
};

static const struct resume_case resume_cases[] = {
	{ DTLS_VER_1_2, DTLS_SUITE_AES128_GCM, DTLS_VERSION_1_2 },
	{ DTLS_VER_1_2, DTLS_SUITE_AES256_GCM, DTLS_VERSION_1_2 },
	{ DTLS_VER_1_2, DTLS_SUITE_AES128_CBC_SHA1, DTLS_VERSION_1_2 },
	{ DTLS_VER_1_2, DTLS_SUITE_AES256_CBC_SHA1, DTLS_VERSION_1_2 },
	{ DTLS_VER_0_9, DTLS_SUITE_AES128_CBC_SHA1, DTLS_VERSION_0_9 },
	{ DTLS_VER_0_9, DTLS_SUITE_AES256_CBC_SHA1, DTLS_VERSION_0_9 },
};

#define N_RESUME (sizeof(resume_cases) / sizeof(resume_cases[0]))

/* What CSTP agreed on: the client's X-DTLS-Master-Secret, the server's Session-ID. */
static void resume_config(struct dtls_config *cfg, enum dtls_role role,
			  const struct resume_case *rc)
{
	dtls_pair_config(cfg, role, rc->suite, NULL);
	cfg->mode = DTLS_MODE_RESUME;
	cfg->version = rc->version;
	cfg->psk_identity = NULL;
	memset(cfg->psk, 0, sizeof(cfg->psk));
	for (unsigned i = 0; i < DTLS_MASTER_SECRET_LEN; i++)
		cfg->master_secret[i] = (uint8_t)(0x3c + i * 11);
	for (unsigned i = 0; i < 32; i++)
		cfg->session_id[i] = (uint8_t)(0xa0 ^ i * 5);
	cfg->session_id_len = 32;
}

/*
 * A backend may lack a role of a version (OpenSSL has no DTLS 0.9 server): then
 * dtls_session_new says -EOPNOTSUPP for that role, the other role still builds, and
 * NULL tells the caller to stop there.  Nothing else may be missing.
 */
static struct pair *resume_pair_new(const struct dtls_config *ccfg,
				    const struct dtls_config *scfg)
{
	struct dtls_session *c = NULL, *s = NULL;
	struct mem_wire *w = calloc(1, sizeof(*w));
	struct dtls_config cfg;
	int rc, rs;

	ck_assert_ptr_nonnull(w);
	cfg = *ccfg;
	cfg.send_ctx = w;
	rc = dtls_session_new(&c, &cfg);
	cfg = *scfg;
	cfg.send_ctx = w;
	rs = dtls_session_new(&s, &cfg);
	dtls_session_free(c);
	dtls_session_free(s);
	free(w);
	ck_assert_int_eq(rc, 0);
	if (rs == -EOPNOTSUPP && scfg->version == DTLS_VER_0_9)
		return NULL;
	ck_assert_int_eq(rs, 0);
	return pair_new_cfg(ccfg, scfg);
}

static struct pair *resume_pair_up(const struct resume_case *rc)
{
	struct dtls_config ccfg, scfg;
	struct pair *p;

	resume_config(&ccfg, DTLS_ROLE_CLIENT, rc);
	resume_config(&scfg, DTLS_ROLE_SERVER, rc);
	p = resume_pair_new(&ccfg, &scfg);
	if (!p)
		return NULL;
	run_handshake(p);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), 0);
	return p;
}

/* The server's first flight resumes: ServerHello with the offered session ID. */
static void expect_resumed_hello(const uint8_t *d, size_t len, const struct resume_case *rc,
				 const uint8_t *sid)
{
	size_t off = DTLS_HDR_LEN;

	ck_assert_uint_ge(len, off + 12 + 2 + 32 + 1 + 32);
	ck_assert_uint_eq(d[0], DTLS_CT_HANDSHAKE);
	ck_assert_uint_eq(d[off], 2);			/* server_hello */
	ck_assert_uint_eq((unsigned)d[off + 12] << 8 | d[off + 13], rc->wire);
	off += 12 + 2 + 32;
	ck_assert_uint_eq(d[off], 32);
	ck_assert_mem_eq(d + off + 1, sid, 32);
}

START_TEST(test_resume_handshake_export)
{
	const struct resume_case *rc = &resume_cases[_i];
	struct dtls_config ccfg, scfg;
	const struct dtls_keys *c, *s;
	uint8_t sid[32];
	struct pair *p;
	int r;

	resume_config(&ccfg, DTLS_ROLE_CLIENT, rc);
	resume_config(&scfg, DTLS_ROLE_SERVER, rc);
	p = resume_pair_new(&ccfg, &scfg);
	if (!p)
		return;
	/* The ClientHello offers the session ID, and the ServerHello takes it. */
	ck_assert_int_eq(dtls_handshake(p->dp.client), -EAGAIN);
	ck_assert_uint_eq(p->dp.c2s.count, 1);
	ck_assert_uint_eq(client_hello_sid(p->dp.c2s.buf[p->dp.c2s.head],
					   p->dp.c2s.len[p->dp.c2s.head], sid), 32);
	ck_assert_mem_eq(sid, ccfg.session_id, 32);
	ck_assert_int_eq(mem_wire_deliver(&p->dp.c2s, p->dp.server), 0);
	r = dtls_handshake(p->dp.server);
	ck_assert_msg(r == -EAGAIN, "server: %d %s", r, dtls_last_error(p->dp.server));
	ck_assert_uint_ge(p->dp.s2c.count, 1);
	expect_resumed_hello(p->dp.s2c.buf[p->dp.s2c.head], p->dp.s2c.len[p->dp.s2c.head], rc, sid);
	run_handshake(p);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), 0);
	c = &p->ckeys;
	s = &p->skeys;
	ck_assert_uint_eq(c->suite, rc->suite);
	ck_assert_uint_eq(s->suite, rc->suite);
	ck_assert_uint_eq(c->version, rc->wire);
	ck_assert_uint_eq(s->version, rc->wire);
	/* No extensions in this mode, so never EtM. */
	ck_assert(!c->etm);
	ck_assert(!s->etm);
	ck_assert_uint_eq(s->key_len, c->key_len);
	ck_assert_uint_eq(c->key_len, rc->suite & (DTLS_SUITE_AES128_GCM |
						   DTLS_SUITE_AES128_CBC_SHA1) ? 16 : 32);
	expect_dir_equal(c, &c->write, &s->read);
	expect_dir_equal(c, &c->read, &s->write);
	ck_assert_mem_ne(c->write.key, c->read.key, c->key_len);
	expect_seq_sane(c->write.seq8, s->read.seq8);
	expect_seq_sane(s->write.seq8, c->read.seq8);
	pair_free(p);
}
END_TEST

/*
 * Our records to the peer's library and the library's to our layer, both directions:
 * the cross-check of the format (0.9: version 01 00 in header and MAC).
 */
START_TEST(test_resume_records)
{
	const struct resume_case *rc = &resume_cases[_i];
	struct pair *p = resume_pair_up(rc);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], want[DGRAM_MAX];

	if (!p)
		return;
	ck_assert_int_eq(dtls_record_new(&p->crec, &p->ckeys, 0), 0);
	ck_assert_int_eq(dtls_record_new(&p->srec, &p->skeys, 0), 0);
	for (unsigned k = 0; k < N_SIZES; k++) {
		/* Server library -> client, ours. */
		size_t n = lib_send(p->dp.server, &p->dp.s2c, sizes[k], k, dgram);

		ck_assert_uint_eq((unsigned)dgram[1] << 8 | dgram[2], rc->wire);
		record_expect_open(p->crec, dgram, n, sizes[k], k, MAX_PLAIN);
		/* Client, ours -> server library. */
		n = record_protect_fill(p->crec, sizes[k], k + 9, dgram);
		ck_assert_uint_eq((unsigned)dgram[1] << 8 | dgram[2], rc->wire);
		ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), sizes[k]);
		record_fill(want, sizes[k], k + 9);
		ck_assert_mem_eq(got, want, sizes[k]);
		/* Client library -> server, ours. */
		n = lib_send(p->dp.client, &p->dp.c2s, sizes[k], k + 3, dgram);
		record_expect_open(p->srec, dgram, n, sizes[k], k + 3, MAX_PLAIN);
		/* Server, ours -> client library. */
		n = record_protect_fill(p->srec, sizes[k], k + 5, dgram);
		ck_assert_int_eq(dtls_input(p->dp.client, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.client, got, sizeof(got)), sizes[k]);
		record_fill(want, sizes[k], k + 5);
		ck_assert_mem_eq(got, want, sizes[k]);
	}
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -EAGAIN);
	ck_assert_int_eq(dtls_lib_recv(p->dp.client, got, sizeof(got)), -EAGAIN);
	pair_free(p);
}
END_TEST

/*
 * A server with another master secret (or one that does not know the session ID and
 * would need a full handshake) never completes: Finished does not verify, or the client
 * refuses the full handshake.  Bounded by the handshake timeout.
 */
START_TEST(test_resume_wrong_secret)
{
	const struct resume_case *rc = &resume_cases[_i / 2];
	struct dtls_config ccfg, scfg;
	struct pair *p;
	int rc_, rs;

	resume_config(&ccfg, DTLS_ROLE_CLIENT, rc);
	resume_config(&scfg, DTLS_ROLE_SERVER, rc);
	ccfg.handshake_timeout_ms = 300;
	scfg.handshake_timeout_ms = 300;
	if (_i % 2)
		scfg.session_id[31] ^= 1;
	else
		scfg.master_secret[47] ^= 1;
	p = resume_pair_new(&ccfg, &scfg);
	if (!p)
		return;
	run_failing(p, &rc_, &rs);
	ck_assert_msg(rc_ == -EACCES || rc_ == -EPROTO || rc_ == -ETIMEDOUT, "client %d %s",
		      rc_, dtls_last_error(p->dp.client));
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), -EINVAL);
	ck_assert_int_ne(dtls_handshake(p->dp.client), 0);
	ck_assert_int_ne(dtls_handshake(p->dp.server), 0);
	pair_free(p);
}
END_TEST

START_TEST(test_resume_bad_config)
{
	struct mem_wire *w = calloc(1, sizeof(*w));
	struct dtls_session *s = NULL;
	struct dtls_config cfg;

	ck_assert_ptr_nonnull(w);
	/* Exactly one suite. */
	resume_config(&cfg, DTLS_ROLE_CLIENT, &resume_cases[0]);
	cfg.send_ctx = w;
	cfg.suites = DTLS_SUITES_GCM;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	cfg.suites = 0;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	/* No GCM in DTLS 0.9. */
	cfg.suites = DTLS_SUITE_AES128_GCM;
	cfg.version = DTLS_VER_0_9;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	/* A session ID to resume. */
	resume_config(&cfg, DTLS_ROLE_SERVER, &resume_cases[0]);
	cfg.send_ctx = w;
	cfg.session_id_len = 0;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	cfg.session_id_len = 33;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	ck_assert_ptr_null(s);
	/* And no PSK identity needed. */
	cfg.session_id_len = 32;
	cfg.role = DTLS_ROLE_CLIENT;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), 0);
	dtls_session_free(s);
	free(w);
}
END_TEST

/* ---- argument checks ---------------------------------------------------------------- */

START_TEST(test_bad_args)
{
	struct pair *p = pair_new(DTLS_SUITE_AES128_GCM);
	struct dtls_config cfg;
	struct dtls_session *s = NULL;
	static uint8_t big[DTLS_MAX_DATAGRAM + 1];
	uint64_t seq8 = 0;

	dtls_pair_config(&cfg, DTLS_ROLE_CLIENT, 0, &p->dp.c2s);
	cfg.send = NULL;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	dtls_pair_config(&cfg, DTLS_ROLE_CLIENT, 0, &p->dp.c2s);
	cfg.psk_identity = NULL;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	dtls_pair_config(&cfg, DTLS_ROLE_CLIENT, 1u << 8, &p->dp.c2s);
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	ck_assert_ptr_null(s);
	dtls_session_free(NULL);

	/* Before the handshake: nothing to export or sync. */
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), -EINVAL);
	ck_assert_int_eq(dtls_close(p->dp.client, &seq8), -EINVAL);
	ck_assert_int_eq(dtls_input_record(p->dp.client, "x", 1, &seq8), -EINVAL);
	ck_assert_int_eq(dtls_lib_send(p->dp.client, "x", 1), -EINVAL);
	ck_assert_str_eq(dtls_last_error(p->dp.client), "no error");
	ck_assert_str_eq(dtls_last_error(NULL), "no error");

	/* The input queue: bounded in size and in count. */
	ck_assert_int_eq(dtls_input(p->dp.server, big, sizeof(big)), -EMSGSIZE);
	for (unsigned i = 0; i < DTLS_INPUT_SLOTS; i++)
		ck_assert_int_eq(dtls_input(p->dp.server, big, 10), 0);
	ck_assert_int_eq(dtls_input(p->dp.server, big, 10), -ENOBUFS);
	pair_free(p);
}
END_TEST

/* While the handshake runs, the retransmission timer is finite and within the bound. */
START_TEST(test_timeout_ms)
{
	struct pair *p = pair_new(DTLS_SUITE_AES128_GCM);
	unsigned ms;

	ck_assert_int_eq(dtls_handshake(p->dp.client), -EAGAIN);
	ms = dtls_timeout_ms(p->dp.client);
	ck_assert_uint_le(ms, 5000);
	/* Nobody answers: after the timer the ClientHello goes out again. */
	p->dp.c2s.count = 0;
	test_sleep_ms(ms + 5);
	ck_assert_int_eq(dtls_handshake(p->dp.client), -EAGAIN);
	ck_assert_uint_eq(p->dp.c2s.count, 1);
	pair_free(p);
}
END_TEST

static Suite *dtls_session_suite(void)
{
	Suite *s = suite_create("dtls_session");
	TCase *tc = tcase_create("session");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_handshake_export, 0, N_SUITES);
	tcase_add_loop_test(tc, test_records_both_ways, 0, N_SUITES);
	tcase_add_loop_test(tc, test_library_and_ours, 0, N_SUITES);
	tcase_add_loop_test(tc, test_library_both_ways, 0, N_SUITES);
	tcase_add_loop_test(tc, test_no_etm, 0, 2);
	tcase_add_loop_test(tc, test_session_id, 0, 2);
	tcase_add_test(tc, test_session_id_too_long);
	tcase_add_test(tc, test_bad_identity);
	tcase_add_loop_test(tc, test_bad_psk, 0, 2);
	tcase_add_loop_test(tc, test_close_notify_via_input_record, 0, N_GCM);
	tcase_add_test(tc, test_fatal_alert_via_input_record);
	tcase_add_test(tc, test_close_synced_or_refused);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_timeout_ms);
	tcase_add_loop_test(tc, test_resume_handshake_export, 0, N_RESUME);
	tcase_add_loop_test(tc, test_resume_records, 0, N_RESUME);
	tcase_add_loop_test(tc, test_resume_wrong_secret, 0, 2 * N_RESUME);
	tcase_add_test(tc, test_resume_bad_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dtls_session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
