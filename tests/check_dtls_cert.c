/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DTLS certificate mode (DTLS_MODE_CERT in crypto/dtls.h) through the contract only, so
 * the same suite runs against either backend: a server presenting a certificate from
 * tests/vectors/certs/ (made by tests/vectors/make-certs.sh) and a client verifying it
 * by an openconnect pin, a CA and host name, or both, in one process over in-memory
 * datagram queues.  A table of handshakes, accepted or refused with the reason; then,
 * after a good one, our record layer takes over from dtls_export_keys and records go
 * both ways between it and the library's record calls for every suite on RSA and ECDSA;
 * SNI on the wire; credentials shared by several sessions (a redial); and the
 * credential configs and pins that dtls_credentials_new must refuse, with the message.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/dtls.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "src/util/byteorder.h"
#include "src/util/macros.h"
#include "tests/dtls-pair.h"
#include "tests/record-io.h"

enum {
	DGRAM_MAX = MEM_WIRE_DGRAM_MAX,
	HEADROOM = 64,
	MAX_PLAIN = 1400,
	HANDSHAKE_ROUNDS = 200,
	FAIL_ROUNDS = 400,
	PATH_MAX_LEN = 4096,
	ERR_LEN = 256,
	PIN_TEXT_LEN = 64,
};

#define HOST "vpn.zcvpn.test"

static const char *vectors_dir;		/* $srcdir/tests/vectors/certs */

/* The path of a vector file (a name that does not exist gives a path that does not). */
static const char *vec(const char *name, char *buf)
{
	int n;

	if (!name)
		return NULL;
	n = snprintf(buf, PATH_MAX_LEN, "%s/%s", vectors_dir, name);
	ck_assert_int_lt(n, PATH_MAX_LEN);
	return buf;
}

/* A .pin vector's text, without its newline. */
static void read_pin(const char *name, char out[PIN_TEXT_LEN])
{
	char path[PATH_MAX_LEN];
	FILE *f = fopen(vec(name, path), "r");

	ck_assert_msg(f, "cannot open %s", path);
	ck_assert_ptr_nonnull(fgets(out, PIN_TEXT_LEN, f));
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

/* ---- what a row asks for ---------------------------------------------------------- */

/* A server identity and a client's way of checking it; vector names, NULL for none. */
struct cert_setup {
	const char *cert, *key;		/* the server's cert_file and key_file */
	const char *pin;		/* a .pin vector */
	const char *ca;			/* ca_file */
	const char *host;		/* hostname, as given */
};

struct creds_pair {
	struct dtls_credentials *client, *server;
};

static void creds_open(struct creds_pair *cp, const struct cert_setup *cs)
{
	char cert[PATH_MAX_LEN], key[PATH_MAX_LEN], ca[PATH_MAX_LEN], pin[PIN_TEXT_LEN];
	struct dtls_cert_config scfg = { 0 }, ccfg = { 0 };
	char err[ERR_LEN];
	int ret;

	scfg.cert_file = vec(cs->cert, cert);
	scfg.key_file = vec(cs->key, key);
	ret = dtls_credentials_new(&cp->server, DTLS_ROLE_SERVER, &scfg, err, sizeof(err));
	ck_assert_msg(!ret, "server credentials: %d %s", ret, err);
	ck_assert_str_eq(err, "");
	if (cs->pin) {
		read_pin(cs->pin, pin);
		ccfg.pin = pin;
	}
	ccfg.ca_file = vec(cs->ca, ca);
	ccfg.hostname = cs->host;
	ret = dtls_credentials_new(&cp->client, DTLS_ROLE_CLIENT, &ccfg, err, sizeof(err));
	ck_assert_msg(!ret, "client credentials: %d %s", ret, err);
}

static void creds_close(struct creds_pair *cp)
{
	dtls_credentials_free(cp->client);
	dtls_credentials_free(cp->server);
	cp->client = cp->server = NULL;
}

struct pair {
	struct creds_pair creds;
	struct dtls_pair dp;
	struct dtls_keys ckeys, skeys;
	struct dtls_record *crec;
};

/* Sessions of both roles on cp's credentials; suites and no_etm for both sides. */
static void sessions_open(struct dtls_pair *dp, const struct creds_pair *cp, unsigned suites,
			  bool no_etm)
{
	struct dtls_config ccfg, scfg;

	dtls_pair_cert_config(&ccfg, DTLS_ROLE_CLIENT, suites, cp->client, NULL);
	dtls_pair_cert_config(&scfg, DTLS_ROLE_SERVER, suites, cp->server, NULL);
	ccfg.no_etm = no_etm;
	scfg.no_etm = no_etm;
	ck_assert_int_eq(dtls_pair_open(dp, &ccfg, &scfg), 0);
}

static struct pair *pair_new(const struct cert_setup *cs, unsigned suites, bool no_etm)
{
	struct pair *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	creds_open(&p->creds, cs);
	sessions_open(&p->dp, &p->creds, suites, no_etm);
	return p;
}

/* The sessions go before the credentials they borrow. */
static void pair_free(struct pair *p)
{
	dtls_record_free(p->crec);
	dtls_pair_close(&p->dp);
	creds_close(&p->creds);
	memset(&p->ckeys, 0, sizeof(p->ckeys));
	memset(&p->skeys, 0, sizeof(p->skeys));
	free(p);
}

static void run_handshake(struct dtls_pair *dp)
{
	struct dtls_session *bad;
	int ret = dtls_pair_handshake(dp, HANDSHAKE_ROUNDS, HANDSHAKE_ROUNDS, &bad);

	ck_assert_msg(!ret, "%s: %d %s", dtls_pair_who(dp, bad), ret, dtls_last_error(bad));
	/* Nothing left in flight: a retransmission would move the numbers below. */
	ck_assert_uint_eq(dp->c2s.count, 0);
	ck_assert_uint_eq(dp->s2c.count, 0);
}

static void expect_mirrored(const struct dtls_keys *c, const struct dtls_keys *s)
{
	ck_assert_uint_eq(c->suite, s->suite);
	ck_assert_uint_eq(c->key_len, s->key_len);
	ck_assert_int_eq(c->etm, s->etm);
	ck_assert_mem_eq(c->write.key, s->read.key, c->key_len);
	ck_assert_mem_eq(c->read.key, s->write.key, c->key_len);
	ck_assert_mem_eq(c->write.iv, s->read.iv, c->iv_len);
	ck_assert_mem_eq(c->read.iv, s->write.iv, c->iv_len);
	if (c->mac_key_len) {
		ck_assert_mem_eq(c->write.mac_key, s->read.mac_key, c->mac_key_len);
		ck_assert_mem_eq(c->read.mac_key, s->write.mac_key, c->mac_key_len);
	}
	ck_assert_mem_ne(c->write.key, c->read.key, c->key_len);
	/* Epoch 1, nothing lost: each side's next number is what the other expects. */
	ck_assert_uint_eq(c->write.seq8 >> DTLS_SEQ_SHIFT, 1);
	ck_assert_uint_eq(c->write.seq8, s->read.seq8);
	ck_assert_uint_eq(s->write.seq8, c->read.seq8);
}

/* ---- handshakes: accepted and refused --------------------------------------------- */

static const struct verify_case {
	const char *name;
	struct cert_setup cs;
	int want;			/* the client's dtls_handshake: 0 or -EACCES */
	const char *why;		/* then in its dtls_last_error */
} verify_cases[] = {
	/* 0 */
	{ "RSA by pin", { "rsa.pem", "rsa-key.pem", "rsa.pin", NULL, NULL }, 0, NULL },
	{ "ECDSA by pin", { "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin", NULL, NULL }, 0, NULL },
	{ "RSA by CA and host name", { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", HOST }, 0,
	  NULL },
	{ "ECDSA by CA and host name", { "ecdsa.pem", "ecdsa-key.pem", NULL, "ca.pem", HOST },
	  0, NULL },
	{ "RSA by CA and IP SAN", { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", "127.0.0.1" }, 0,
	  NULL },
	/* 5 */
	{ "ECDSA by CA and IP SAN",
	  { "ecdsa.pem", "ecdsa-key.pem", NULL, "ca.pem", "127.0.0.1" }, 0, NULL },
	{ "chain through an intermediate",
	  { "chain.pem", "ecdsa-key.pem", NULL, "ca.pem", HOST }, 0, NULL },
	{ "pin and CA, both good", { "rsa.pem", "rsa-key.pem", "rsa.pin", "ca.pem", HOST }, 0,
	  NULL },
	{ "a pin alone looks at the key only (openconnect)",
	  { "expired.pem", "ecdsa-key.pem", "ecdsa.pin", NULL, NULL }, 0, NULL },
	{ "the second CA's certificate, when that CA is trusted",
	  { "untrusted.pem", "ecdsa-key.pem", NULL, "ca2.pem", HOST }, 0, NULL },
	/* 10 */
	{ "host names compare without case",
	  { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", "VPN.zcvpn.TEST" }, 0, NULL },
	{ "wrong pin", { "rsa.pem", "rsa-key.pem", "ecdsa.pin", NULL, NULL }, -EACCES,
	  "server key pin mismatch" },
	{ "wrong pin, good CA", { "rsa.pem", "rsa-key.pem", "ecdsa.pin", "ca.pem", HOST },
	  -EACCES, "server key pin mismatch" },
	{ "good pin, but the CA check fails: both must hold",
	  { "expired.pem", "ecdsa-key.pem", "ecdsa.pin", "ca.pem", HOST }, -EACCES,
	  "certificate expired" },
	{ "expired", { "expired.pem", "ecdsa-key.pem", NULL, "ca.pem", HOST }, -EACCES,
	  "certificate expired" },
	/* 15 */
	{ "not yet valid", { "future.pem", "ecdsa-key.pem", NULL, "ca.pem", HOST }, -EACCES,
	  "certificate not yet valid" },
	{ "a certificate for another name",
	  { "other-name.pem", "ecdsa-key.pem", NULL, "ca.pem", HOST }, -EACCES,
	  "certificate name mismatch" },
	{ "asked for another name", { "rsa.pem", "rsa-key.pem", NULL, "ca.pem",
	  "other.zcvpn.test" }, -EACCES, "certificate name mismatch" },
	{ "asked for another IP", { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", "127.0.0.2" },
	  -EACCES, "certificate name mismatch" },
	{ "an IP the certificate does not have",
	  { "other-name.pem", "ecdsa-key.pem", NULL, "ca.pem", "127.0.0.1" }, -EACCES,
	  "certificate name mismatch" },
	/* 20 */
	{ "an IPv6 address the certificate does not have",
	  { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", "::1" }, -EACCES,
	  "certificate name mismatch" },
	{ "untrusted CA", { "untrusted.pem", "ecdsa-key.pem", NULL, "ca.pem", HOST }, -EACCES,
	  "untrusted issuer" },
	{ "an intermediate of a CA not trusted",
	  { "chain.pem", "ecdsa-key.pem", NULL, "ca2.pem", HOST }, -EACCES,
	  "untrusted issuer" },
};

static void expect_accepted(struct pair *p)
{
	run_handshake(&p->dp);
	ck_assert_int_eq(dtls_handshake(p->dp.client), 0);
	ck_assert_str_eq(dtls_last_error(p->dp.client), "no error");
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), 0);
	ck_assert_uint_eq(p->ckeys.suite & DTLS_SUITES_GCM, p->ckeys.suite);
	expect_mirrored(&p->ckeys, &p->skeys);
}

/* The client refuses, says why, and the server hears of it: no side is left waiting. */
static void expect_refused(struct pair *p, const struct verify_case *vc)
{
	const char *why;
	int rc, rs;

	ck_assert_int_eq(dtls_pair_settle(&p->dp, FAIL_ROUNDS, 2, &rc, &rs), 0);
	why = dtls_last_error(p->dp.client);
	ck_assert_msg(rc == vc->want, "%s: client %d (%s)", vc->name, rc, why);
	ck_assert_msg(strstr(why, vc->why), "%s: client says \"%s\", not \"%s\"", vc->name,
		      why, vc->why);
	ck_assert_msg(rs == -EACCES, "%s: server %d (%s)", vc->name, rs,
		      dtls_last_error(p->dp.server));
	/* Final: never done later, nothing to export. */
	ck_assert_int_eq(dtls_handshake(p->dp.client), vc->want);
	ck_assert_str_eq(dtls_last_error(p->dp.client), why);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), -EINVAL);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), -EINVAL);
}

START_TEST(test_verify)
{
	const struct verify_case *vc = &verify_cases[_i];
	struct pair *p = pair_new(&vc->cs, 0, false);

	if (vc->want)
		expect_refused(p, vc);
	else
		expect_accepted(p);
	pair_free(p);
}
END_TEST

/* ---- after the handshake: our record layer takes over ----------------------------- */

static const uint32_t sizes[] = { 1, 15, 16, 17, 255, 1000, 1399, 1400 };

static const struct record_case {
	const char *cert, *key, *pin;
	unsigned suite;
	bool no_etm;			/* CBC: MAC-then-encrypt instead of RFC 7366 */
} record_cases[] = {
	{ "rsa.pem", "rsa-key.pem", "rsa.pin", DTLS_SUITE_AES128_GCM, false },
	{ "rsa.pem", "rsa-key.pem", "rsa.pin", DTLS_SUITE_AES256_GCM, false },
	{ "rsa.pem", "rsa-key.pem", "rsa.pin", DTLS_SUITE_AES128_CBC_SHA1, false },
	{ "rsa.pem", "rsa-key.pem", "rsa.pin", DTLS_SUITE_AES256_CBC_SHA1, false },
	{ "rsa.pem", "rsa-key.pem", "rsa.pin", DTLS_SUITE_AES128_CBC_SHA1, true },
	{ "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin", DTLS_SUITE_AES128_GCM, false },
	{ "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin", DTLS_SUITE_AES256_GCM, false },
	{ "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin", DTLS_SUITE_AES128_CBC_SHA1, false },
	{ "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin", DTLS_SUITE_AES256_CBC_SHA1, false },
	{ "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin", DTLS_SUITE_AES256_CBC_SHA1, true },
};

START_TEST(test_takeover)
{
	const struct record_case *rc = &record_cases[_i];
	struct cert_setup cs = { rc->cert, rc->key, rc->pin, "ca.pem", HOST };
	struct pair *p = pair_new(&cs, rc->suite, rc->no_etm);
	uint8_t dgram[DGRAM_MAX], got[DGRAM_MAX], want[DGRAM_MAX];
	bool gcm = rc->suite & DTLS_SUITES_GCM;

	run_handshake(&p->dp);
	ck_assert_int_eq(dtls_export_keys(p->dp.client, &p->ckeys), 0);
	ck_assert_int_eq(dtls_export_keys(p->dp.server, &p->skeys), 0);
	ck_assert_uint_eq(p->ckeys.suite, rc->suite);
	ck_assert_uint_eq(p->ckeys.version, DTLS_VERSION_1_2);
	ck_assert_uint_eq(p->ckeys.key_len, rc->suite & (DTLS_SUITE_AES128_GCM |
					    DTLS_SUITE_AES128_CBC_SHA1) ? 16 : 32);
	ck_assert_uint_eq(p->ckeys.iv_len, gcm ? 4 : 16);
	ck_assert_uint_eq(p->ckeys.mac_key_len, gcm ? 0 : 20);
	/* Both libraries negotiate EtM for CBC unless told not to. */
	ck_assert_int_eq(p->ckeys.etm, !gcm && !rc->no_etm);
	expect_mirrored(&p->ckeys, &p->skeys);

	ck_assert_int_eq(dtls_record_new(&p->crec, &p->ckeys, 0), 0);
	for (unsigned k = 0; k < ARRAY_SIZE(sizes); k++) {
		/* Ours (client) -> the server's library. */
		size_t n = record_protect_fill(p->crec, sizes[k], k, dgram);

		if (!k)
			ck_assert_uint_eq(get_be64(dgram + 3), p->ckeys.write.seq8);
		ck_assert_int_eq(dtls_input(p->dp.server, dgram, n), 0);
		ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), sizes[k]);
		record_fill(want, sizes[k], k);
		ck_assert_mem_eq(got, want, sizes[k]);
		/* The server's library -> ours. */
		ck_assert_int_eq(dtls_lib_send(p->dp.server, want, sizes[k]), 0);
		ck_assert_uint_eq(p->dp.s2c.count, 1);
		n = mem_wire_pop(&p->dp.s2c, dgram);
		record_expect_open(p->crec, dgram, n, sizes[k], k, MAX_PLAIN);
	}
	ck_assert_int_eq(dtls_lib_recv(p->dp.server, got, sizeof(got)), -EAGAIN);
	ck_assert_uint_eq(dtls_record_stats(p->crec)->rx_packets, ARRAY_SIZE(sizes));
	pair_free(p);
}
END_TEST

/* ---- SNI ---------------------------------------------------------------------------- */

/* The server_name of a ClientHello datagram into name (size bytes); false when none. */
static bool client_hello_sni(const uint8_t *d, size_t len, char *name, size_t size)
{
	size_t off = DTLS_HDR_LEN + 12 + 2 + 32, end;

	ck_assert_uint_eq(d[0], DTLS_CT_HANDSHAKE);
	ck_assert_uint_eq(d[DTLS_HDR_LEN], 1);			/* client_hello */
	ck_assert_uint_ge(len, off + 1);
	off += 1 + d[off];					/* session_id */
	ck_assert_uint_ge(len, off + 1);
	off += 1 + d[off];					/* cookie */
	ck_assert_uint_ge(len, off + 2);
	off += 2 + get_be16(d + off);				/* cipher_suites */
	ck_assert_uint_ge(len, off + 1);
	off += 1 + d[off];					/* compression_methods */
	if (off + 2 > len)
		return false;
	end = off + 2 + get_be16(d + off);
	ck_assert_uint_le(end, len);
	for (off += 2; off + 4 <= end; off += 4 + get_be16(d + off + 2)) {
		size_t n;

		if (get_be16(d + off) != 0)			/* server_name */
			continue;
		/* list length(2), name_type(1) = host_name, length(2), name */
		ck_assert_uint_eq(d[off + 6], 0);
		n = get_be16(d + off + 7);
		ck_assert_uint_lt(n, size);
		ck_assert_uint_le(off + 9 + n, end);
		memcpy(name, d + off + 9, n);
		name[n] = '\0';
		return true;
	}
	return false;
}

static const struct sni_case {
	struct cert_setup cs;
	const char *sni;		/* NULL: none sent */
} sni_cases[] = {
	{ { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", HOST }, HOST },
	{ { "rsa.pem", "rsa-key.pem", "rsa.pin", NULL, HOST }, HOST },
	{ { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", "127.0.0.1" }, NULL },
	{ { "rsa.pem", "rsa-key.pem", "rsa.pin", NULL, "::1" }, NULL },
	{ { "rsa.pem", "rsa-key.pem", "rsa.pin", NULL, NULL }, NULL },
};

START_TEST(test_sni)
{
	const struct sni_case *sc = &sni_cases[_i];
	struct pair *p = pair_new(&sc->cs, 0, false);
	struct mem_wire *w = &p->dp.c2s;
	char name[DTLS_MAX_HOSTNAME_LEN + 1];
	bool sent;

	ck_assert_int_eq(dtls_handshake(p->dp.client), -EAGAIN);
	ck_assert_uint_eq(w->count, 1);
	sent = client_hello_sni(w->buf[w->head], w->len[w->head], name, sizeof(name));
	ck_assert_int_eq(sent, sc->sni != NULL);
	if (sent)
		ck_assert_str_eq(name, sc->sni);
	/* And the handshake still completes. */
	run_handshake(&p->dp);
	pair_free(p);
}
END_TEST

/* ---- credentials shared by sessions ------------------------------------------------- */

/*
 * One credential set per role, several sessions: two at once, then a third after the
 * first went (a redial).  Each is a handshake of its own, with keys of its own.
 */
START_TEST(test_shared_credentials)
{
	static const struct cert_setup cs = { "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin",
					      "ca.pem", HOST };
	struct dtls_pair *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct dtls_keys ka, kb;
	struct creds_pair cp = { 0 };

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	creds_open(&cp, &cs);
	sessions_open(a, &cp, DTLS_SUITES_ALL, false);
	sessions_open(b, &cp, DTLS_SUITES_ALL, false);
	run_handshake(a);
	run_handshake(b);
	ck_assert_int_eq(dtls_export_keys(a->client, &ka), 0);
	ck_assert_int_eq(dtls_export_keys(b->client, &kb), 0);
	ck_assert_mem_ne(ka.write.key, kb.write.key, ka.key_len);
	dtls_pair_close(a);
	memset(a, 0, sizeof(*a));
	sessions_open(a, &cp, DTLS_SUITES_ALL, false);
	run_handshake(a);
	ck_assert_int_eq(dtls_export_keys(a->client, &ka), 0);
	ck_assert_mem_ne(ka.write.key, kb.write.key, ka.key_len);
	dtls_pair_close(a);
	dtls_pair_close(b);
	creds_close(&cp);
	memset(&ka, 0, sizeof(ka));
	memset(&kb, 0, sizeof(kb));
	free(a);
	free(b);
}
END_TEST

/* ---- credentials refused ------------------------------------------------------------ */

#define MISSING "no-such-file.pem"

static const struct bad_creds_case {
	enum dtls_role role;
	struct cert_setup cs;		/* cert/key for a server, pin/ca/host for a client */
	const char *pin_text;		/* a literal pin, instead of cs.pin's file */
	const char *msg;		/* in errbuf */
} bad_creds_cases[] = {
	/* 0 */
	{ DTLS_ROLE_SERVER, { NULL, "rsa-key.pem", NULL, NULL, NULL }, NULL,
	  "needs a cert_file and a key_file" },
	{ DTLS_ROLE_SERVER, { "rsa.pem", NULL, NULL, NULL, NULL }, NULL,
	  "needs a cert_file and a key_file" },
	{ DTLS_ROLE_SERVER, { MISSING, "rsa-key.pem", NULL, NULL, NULL }, NULL,
	  "cannot read cert_file" },
	{ DTLS_ROLE_SERVER, { "rsa.pem", MISSING, NULL, NULL, NULL }, NULL,
	  "cannot read key_file" },
	{ DTLS_ROLE_SERVER, { "rsa.pin", "rsa-key.pem", NULL, NULL, NULL }, NULL,
	  "no PEM certificate in cert_file" },
	/* 5 */
	{ DTLS_ROLE_SERVER, { "rsa-key.pem", "rsa-key.pem", NULL, NULL, NULL }, NULL,
	  "no PEM certificate in cert_file" },
	{ DTLS_ROLE_SERVER, { "bad.pem", "rsa-key.pem", NULL, NULL, NULL }, NULL,
	  "bad certificate in cert_file" },
	{ DTLS_ROLE_SERVER, { "rsa.pem", "rsa.pem", NULL, NULL, NULL }, NULL,
	  "no usable private key in key_file" },
	{ DTLS_ROLE_SERVER, { "rsa.pem", "ecdsa-key.pem", NULL, NULL, NULL }, NULL,
	  "does not match the certificate" },
	{ DTLS_ROLE_SERVER, { "ecdsa.pem", "rsa-key.pem", NULL, NULL, NULL }, NULL,
	  "does not match the certificate" },
	/* 10 */
	{ DTLS_ROLE_SERVER, { "rsa.pem", "rsa-key.pem", "rsa.pin", NULL, NULL }, NULL,
	  "are for a client" },
	{ DTLS_ROLE_SERVER, { "rsa.pem", "rsa-key.pem", NULL, "ca.pem", HOST }, NULL,
	  "are for a client" },
	{ DTLS_ROLE_CLIENT, { NULL, NULL, NULL, NULL, NULL }, NULL,
	  "refusing an unverified server" },
	{ DTLS_ROLE_CLIENT, { NULL, NULL, NULL, NULL, HOST }, NULL,
	  "refusing an unverified server" },
	{ DTLS_ROLE_CLIENT, { NULL, NULL, NULL, "ca.pem", NULL }, NULL,
	  "ca_file needs a hostname" },
	/* 15 */
	{ DTLS_ROLE_CLIENT, { NULL, NULL, "rsa.pin", "ca.pem", NULL }, NULL,
	  "ca_file needs a hostname" },
	{ DTLS_ROLE_CLIENT, { NULL, NULL, NULL, MISSING, HOST }, NULL, "cannot read ca_file" },
	{ DTLS_ROLE_CLIENT, { NULL, NULL, NULL, "rsa.pin", HOST }, NULL,
	  "no PEM certificate in ca_file" },
	{ DTLS_ROLE_CLIENT, { NULL, NULL, NULL, "bad.pem", HOST }, NULL,
	  "bad certificate in ca_file" },
	{ DTLS_ROLE_CLIENT, { "rsa.pem", "rsa-key.pem", "rsa.pin", NULL, NULL }, NULL,
	  "are for a server" },
	/* 20 */
	{ DTLS_ROLE_CLIENT, { NULL, NULL, "rsa.pin", NULL, "" }, NULL, "hostname must be" },
	{ DTLS_ROLE_CLIENT, { NULL, NULL, NULL, NULL, NULL }, "sha256:0123", "malformed pin" },
};

START_TEST(test_bad_credentials)
{
	const struct bad_creds_case *bc = &bad_creds_cases[_i];
	char cert[PATH_MAX_LEN], key[PATH_MAX_LEN], ca[PATH_MAX_LEN], pin[PIN_TEXT_LEN];
	struct dtls_credentials *c = NULL;
	struct dtls_cert_config cfg = { 0 };
	char err[ERR_LEN];

	cfg.cert_file = vec(bc->cs.cert, cert);
	cfg.key_file = vec(bc->cs.key, key);
	cfg.ca_file = vec(bc->cs.ca, ca);
	cfg.hostname = bc->cs.host;
	if (bc->cs.pin) {
		read_pin(bc->cs.pin, pin);
		cfg.pin = pin;
	}
	if (bc->pin_text)
		cfg.pin = bc->pin_text;
	ck_assert_int_eq(dtls_credentials_new(&c, bc->role, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, bc->msg), "\"%s\", not \"%s\"", err, bc->msg);
	/* Never the bytes of a key or certificate (PEM's base64 of DER starts MI). */
	ck_assert_ptr_null(strstr(err, "MII"));
	ck_assert_ptr_null(strstr(err, "BEGIN"));
	/* No buffer, or a small one, is fine. */
	ck_assert_int_eq(dtls_credentials_new(&c, bc->role, &cfg, NULL, 0), -EINVAL);
	ck_assert_int_eq(dtls_credentials_new(&c, bc->role, &cfg, err, 8), -EINVAL);
	ck_assert_uint_lt(strlen(err), 8);
	ck_assert_ptr_null(c);
}
END_TEST

/* A host name of 253 characters is the most DNS allows; 254 is refused. */
START_TEST(test_hostname_length)
{
	char pin[PIN_TEXT_LEN], host[DTLS_MAX_HOSTNAME_LEN + 2], err[ERR_LEN];
	struct dtls_cert_config cfg = { 0 };
	struct dtls_credentials *c = NULL;

	read_pin("rsa.pin", pin);
	cfg.pin = pin;
	cfg.hostname = host;
	memset(host, 'a', DTLS_MAX_HOSTNAME_LEN);
	host[DTLS_MAX_HOSTNAME_LEN] = '\0';
	ck_assert_int_eq(dtls_credentials_new(&c, DTLS_ROLE_CLIENT, &cfg, err, sizeof(err)), 0);
	dtls_credentials_free(c);
	c = NULL;
	host[DTLS_MAX_HOSTNAME_LEN] = 'a';
	host[DTLS_MAX_HOSTNAME_LEN + 1] = '\0';
	ck_assert_int_eq(dtls_credentials_new(&c, DTLS_ROLE_CLIENT, &cfg, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "hostname must be"));
}
END_TEST

/* ---- pins --------------------------------------------------------------------------- */

/* Each row is a change to rsa.pin's good text ("pin-sha256:" + 43 digits + "="). */
enum pin_edit {
	PIN_EMPTY,
	PIN_PREFIX_ONLY,
	PIN_UPPER_PREFIX,
	PIN_NO_PREFIX,
	PIN_HEX_FORM,		/* openconnect's older sha256:<hex>, not taken here */
	PIN_NO_PADDING,
	PIN_EXTRA_PADDING,
	PIN_TRAILING_NEWLINE,
	PIN_LEADING_SPACE,
	PIN_SHORT,		/* 31 bytes */
	PIN_LONG,		/* 33 bytes */
	PIN_BAD_DIGIT,
	PIN_NONCANONICAL,	/* the last digit's unused bits set */
	PIN_URLSAFE,		/* base64url's '-' */
	N_PIN_EDITS,
};

static void make_bad_pin(enum pin_edit e, const char *good, char *out, size_t size)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *b64 = good + strlen("pin-sha256:");
	size_t last = strlen(good) - 2;		/* the digit before '=' */
	const char *pos;

	switch (e) {
	case PIN_EMPTY:
		snprintf(out, size, "%s", "");
		break;
	case PIN_PREFIX_ONLY:
		snprintf(out, size, "pin-sha256:");
		break;
	case PIN_UPPER_PREFIX:
		snprintf(out, size, "PIN-SHA256:%s", b64);
		break;
	case PIN_NO_PREFIX:
		snprintf(out, size, "%s", b64);
		break;
	case PIN_HEX_FORM:
		snprintf(out, size, "sha256:%064d", 0);
		break;
	case PIN_NO_PADDING:
		snprintf(out, size, "%.*s", (int)strlen(good) - 1, good);
		break;
	case PIN_EXTRA_PADDING:
		snprintf(out, size, "%s=", good);
		break;
	case PIN_TRAILING_NEWLINE:
		snprintf(out, size, "%s\n", good);
		break;
	case PIN_LEADING_SPACE:
		snprintf(out, size, " %s", good);
		break;
	case PIN_SHORT:
		/* 31 bytes: 41 digits and "==". */
		snprintf(out, size, "pin-sha256:%.40sAA==", b64);
		break;
	case PIN_LONG:
		/* 33 bytes: 44 digits, no padding. */
		snprintf(out, size, "pin-sha256:%.43sA", b64);
		break;
	case PIN_BAD_DIGIT:
		snprintf(out, size, "%s", good);
		out[strlen("pin-sha256:") + 5] = '*';
		break;
	case PIN_NONCANONICAL:
		snprintf(out, size, "%s", good);
		pos = strchr(digits, out[last]);
		ck_assert_ptr_nonnull(pos);
		out[last] = digits[(pos - digits) ^ 1];
		break;
	case PIN_URLSAFE:
		snprintf(out, size, "%s", good);
		out[strlen("pin-sha256:") + 7] = '-';
		break;
	case N_PIN_EDITS:
		ck_abort();
	}
}

START_TEST(test_bad_pin)
{
	char good[PIN_TEXT_LEN], bad[2 * PIN_TEXT_LEN], err[ERR_LEN];
	struct dtls_cert_config cfg = { 0 };
	struct dtls_credentials *c = NULL;

	read_pin("rsa.pin", good);
	ck_assert_uint_eq(strlen(good), strlen("pin-sha256:") + 44);
	cfg.pin = good;
	ck_assert_int_eq(dtls_credentials_new(&c, DTLS_ROLE_CLIENT, &cfg, err, sizeof(err)), 0);
	dtls_credentials_free(c);
	c = NULL;
	make_bad_pin((enum pin_edit)_i, good, bad, sizeof(bad));
	cfg.pin = bad;
	ck_assert_msg(dtls_credentials_new(&c, DTLS_ROLE_CLIENT, &cfg, err, sizeof(err)) ==
		      -EINVAL, "pin \"%s\" taken", bad);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "malformed pin"));
}
END_TEST

/* ---- sessions refused --------------------------------------------------------------- */

START_TEST(test_bad_session_config)
{
	static const struct cert_setup cs = { "rsa.pem", "rsa-key.pem", "rsa.pin", NULL, NULL };
	struct dtls_session *s = NULL;
	struct creds_pair cp = { 0 };
	struct dtls_config cfg;
	struct mem_wire *w = calloc(1, sizeof(*w));
	char err[ERR_LEN];

	ck_assert_ptr_nonnull(w);
	creds_open(&cp, &cs);
	/* No credentials, or the other role's. */
	dtls_pair_cert_config(&cfg, DTLS_ROLE_CLIENT, 0, NULL, w);
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	dtls_pair_cert_config(&cfg, DTLS_ROLE_CLIENT, 0, cp.server, w);
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	dtls_pair_cert_config(&cfg, DTLS_ROLE_SERVER, 0, cp.client, w);
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	/* The session ID is PSK's and RESUME's. */
	dtls_pair_cert_config(&cfg, DTLS_ROLE_CLIENT, 0, cp.client, w);
	cfg.session_id_len = 16;
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	/* Suites beyond ours. */
	dtls_pair_cert_config(&cfg, DTLS_ROLE_CLIENT, 1u << 8, cp.client, w);
	ck_assert_int_eq(dtls_session_new(&s, &cfg), -EINVAL);
	ck_assert_ptr_null(s);
	/* A good one, for contrast; no PSK identity needed. */
	dtls_pair_cert_config(&cfg, DTLS_ROLE_CLIENT, DTLS_SUITES_ALL, cp.client, w);
	ck_assert_int_eq(dtls_session_new(&s, &cfg), 0);
	dtls_session_free(s);

	/* The edges of dtls_credentials_new itself. */
	ck_assert_int_eq(dtls_credentials_new(NULL, DTLS_ROLE_CLIENT, &(struct dtls_cert_config)
					      { .pin = NULL }, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(dtls_credentials_new(&cp.client, DTLS_ROLE_CLIENT, NULL, err,
					      sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(cp.client);	/* untouched on failure */
	dtls_credentials_free(NULL);
	creds_close(&cp);
	free(w);
}
END_TEST

static Suite *dtls_cert_suite(void)
{
	Suite *s = suite_create("dtls_cert");
	TCase *tc = tcase_create("handshake");
	TCase *tr = tcase_create("takeover");
	TCase *tf = tcase_create("config");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_verify, 0, ARRAY_SIZE(verify_cases));
	tcase_add_loop_test(tc, test_sni, 0, ARRAY_SIZE(sni_cases));
	tcase_add_test(tc, test_shared_credentials);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tr, 60);
	tcase_add_loop_test(tr, test_takeover, 0, ARRAY_SIZE(record_cases));
	suite_add_tcase(s, tr);
	tcase_add_loop_test(tf, test_bad_credentials, 0, ARRAY_SIZE(bad_creds_cases));
	tcase_add_test(tf, test_hostname_length);
	tcase_add_loop_test(tf, test_bad_pin, 0, N_PIN_EDITS);
	tcase_add_test(tf, test_bad_session_config);
	suite_add_tcase(s, tf);
	return s;
}

int main(void)
{
	static char dir[PATH_MAX_LEN];
	const char *srcdir = getenv("srcdir");
	char probe[PATH_MAX_LEN];
	SRunner *sr;
	int failed;

	snprintf(dir, sizeof(dir), "%s/tests/vectors/certs", srcdir ? srcdir : ".");
	vectors_dir = dir;
	if ((size_t)snprintf(probe, sizeof(probe), "%s/ca.pem", dir) >= sizeof(probe) ||
	    access(probe, R_OK)) {
		printf("check_dtls_cert: no test certificates at %s (run from the build tree "
		       "with srcdir set, as make check does)\n", dir);
		return 77;
	}
	sr = srunner_create(dtls_cert_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
