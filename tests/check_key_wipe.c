/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Key material is wiped when freed (crypto/crypto.h: "_free() wipes key material"),
 * proved on the heap of whichever backend the build links: each row makes a keyed
 * object with a known key under a heap watch (tests/heap-watch.h), checks that the
 * key's bytes did reach some heap block (the AES key schedule begins with the key
 * itself, so an unwiped context would be caught), frees it, and checks that no block
 * freed, by zcvpn or inside GnuTLS/nettle/OpenSSL, still held them.
 *
 * Rows: the crypto contexts (GCM, CBC, HMAC), an ESP SA pair (GCM, and CBC with
 * HMAC-SHA1, both keys), and the DTLS record layer (GCM, and CBC with its MAC key).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "proto/dtls-record.h"
#include "proto/esp.h"
#include "tests/heap-watch.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes unlikely anywhere else on the heap: the encryption key, then the MAC key. */
static const uint8_t enc_key[36] = {
	0x5a, 0xc3, 0x17, 0x8e, 0x21, 0xf4, 0x6b, 0x90, 0x3d, 0xa2, 0x7c, 0x45, 0xe9, 0x0f,
	0xb6, 0x58, 0x11, 0xde, 0x84, 0x2b, 0x73, 0xc9, 0x06, 0x9a, 0x4f, 0xe1, 0x38, 0xb5,
	0x62, 0x0d, 0xf7, 0xa9, 0x13, 0x57, 0x9b, 0xdf,
};
static const uint8_t mac_key[20] = {
	0xc4, 0x29, 0x7e, 0xb3, 0x05, 0x9d, 0x61, 0xfa, 0x38, 0x8c, 0xd2, 0x47, 0x1b, 0xe6,
	0x70, 0xa5, 0x3f, 0x94, 0x0a, 0xcd,
};

enum secret { SECRET_ENC, SECRET_MAC };

struct wipe_case {
	const char *name;
	int (*make)(const struct wipe_case *c, void **obj);
	void (*destroy)(void *obj);
	enum crypto_cipher cipher;
	enum crypto_hmac_alg hmac;
	enum secret watched;
	/*
	 * Whether the key's own bytes must be seen on the heap while the object lives.
	 * An AES schedule starts with the key.  An HMAC context keeps hash states: GnuTLS's
	 * without the key itself, so there the row checks only the frees; OpenSSL 3 keeps
	 * a copy of the key as well.
	 */
	bool reaches_heap;
};

#ifdef ZCVPN_CRYPTO_OPENSSL
#define HMAC_KEY_ON_HEAP true
#else
#define HMAC_KEY_ON_HEAP false
#endif

/* ---- the keyed objects ------------------------------------------------------------ */

static int make_aead(const struct wipe_case *c, void **obj)
{
	struct crypto_aead *aead;
	uint8_t nonce[CRYPTO_GCM_NONCE_LEN] = { 1 }, buf[64] = { 0 }, tag[CRYPTO_GCM_TAG_LEN];
	int ret = crypto_aead_new(&aead, c->cipher, enc_key, crypto_cipher_key_len(c->cipher));

	if (!ret)
		ret = crypto_aead_seal(aead, nonce, buf, 8, buf + 8, sizeof(buf) - 8, tag);
	*obj = aead;
	return ret;
}

static void free_aead(void *obj)
{
	crypto_aead_free(obj);
}

static int make_cbc(const struct wipe_case *c, void **obj)
{
	struct crypto_cbc *cbc;
	uint8_t iv[CRYPTO_AES_BLOCK] = { 2 }, buf[64] = { 0 };
	int ret = crypto_cbc_new(&cbc, c->cipher, enc_key, crypto_cipher_key_len(c->cipher));

	if (!ret)
		ret = crypto_cbc_encrypt(cbc, iv, buf, sizeof(buf));
	if (!ret)
		ret = crypto_cbc_decrypt(cbc, iv, buf, sizeof(buf));
	*obj = cbc;
	return ret;
}

static void free_cbc(void *obj)
{
	crypto_cbc_free(obj);
}

static int make_hmac(const struct wipe_case *c, void **obj)
{
	struct crypto_hmac *hmac;
	uint8_t msg[64] = { 0 }, digest[CRYPTO_HMAC_MAX_LEN];
	struct iovec iov = { msg, sizeof(msg) };
	int ret = crypto_hmac_new(&hmac, c->hmac, mac_key, sizeof(mac_key));

	if (!ret)
		ret = crypto_hmac_compute(hmac, &iov, 1, digest);
	*obj = hmac;
	return ret;
}

static void free_hmac(void *obj)
{
	crypto_hmac_free(obj);
}

/* An ESP context with its outbound and inbound SAs set from the same keys. */
static int make_esp(const struct wipe_case *c, void **obj)
{
	struct esp_sa_config cfg = { .spi = 0x1234 };
	const char *errmsg;
	struct esp *esp;
	int ret;

	if (crypto_cipher_is_gcm(c->cipher)) {
		cfg.enc = c->cipher == CRYPTO_AES128_GCM ? ESP_ENC_AES128_GCM : ESP_ENC_AES256_GCM;
		cfg.auth = ESP_AUTH_NONE;
		cfg.enc_key_len = (uint32_t)crypto_cipher_key_len(c->cipher) + 4;
	} else {
		cfg.enc = c->cipher == CRYPTO_AES128_CBC ? ESP_ENC_AES128_CBC : ESP_ENC_AES256_CBC;
		cfg.auth = ESP_AUTH_HMAC_SHA1_96;
		cfg.enc_key_len = (uint32_t)crypto_cipher_key_len(c->cipher);
		cfg.auth_key_len = sizeof(mac_key);
		memcpy(cfg.auth_key, mac_key, sizeof(mac_key));
	}
	memcpy(cfg.enc_key, enc_key, cfg.enc_key_len);
	ret = esp_new(&esp);
	if (ret)
		return ret;
	*obj = esp;
	ret = esp_set_outbound(esp, &cfg, &errmsg);
	if (!ret)
		ret = esp_set_inbound(esp, &cfg, &errmsg);
	crypto_wipe(&cfg, sizeof(cfg));
	return ret;
}

static void free_esp(void *obj)
{
	esp_free(obj);
}

static int make_dtls_record(const struct wipe_case *c, void **obj)
{
	struct dtls_keys keys = { .version = 0xfefd };
	struct dtls_record *r;
	int ret;

	keys.key_len = (uint32_t)crypto_cipher_key_len(c->cipher);
	if (crypto_cipher_is_gcm(c->cipher)) {
		keys.suite = c->cipher == CRYPTO_AES128_GCM ? DTLS_SUITE_AES128_GCM :
							      DTLS_SUITE_AES256_GCM;
		keys.iv_len = 4;
	} else {
		keys.suite = c->cipher == CRYPTO_AES128_CBC ? DTLS_SUITE_AES128_CBC_SHA1 :
							      DTLS_SUITE_AES256_CBC_SHA1;
		keys.iv_len = 16;
		keys.mac_key_len = sizeof(mac_key);
		memcpy(keys.read.mac_key, mac_key, sizeof(mac_key));
		memcpy(keys.write.mac_key, mac_key, sizeof(mac_key));
	}
	memcpy(keys.read.key, enc_key, keys.key_len);
	memcpy(keys.write.key, enc_key, keys.key_len);
	ret = dtls_record_new(&r, &keys, 64);
	crypto_wipe(&keys, sizeof(keys));
	*obj = ret ? NULL : r;
	return ret;
}

static void free_dtls_record(void *obj)
{
	dtls_record_free(obj);
}

/* ---- the table -------------------------------------------------------------------- */

#define AEAD(n, ci)	{ n, make_aead, free_aead, ci, 0, SECRET_ENC, true }
#define CBC(n, ci)	{ n, make_cbc, free_cbc, ci, 0, SECRET_ENC, true }
#define HMAC(n, h)	{ n, make_hmac, free_hmac, 0, h, SECRET_MAC, HMAC_KEY_ON_HEAP }
#define ESP(n, ci, s, r) { n, make_esp, free_esp, ci, 0, s, r }
#define DTLS(n, ci, s, r) { n, make_dtls_record, free_dtls_record, ci, 0, s, r }

static const struct wipe_case cases[] = {
	AEAD("crypto_aead AES-128-GCM", CRYPTO_AES128_GCM),
	AEAD("crypto_aead AES-256-GCM", CRYPTO_AES256_GCM),
	CBC("crypto_cbc AES-128-CBC", CRYPTO_AES128_CBC),
	CBC("crypto_cbc AES-256-CBC", CRYPTO_AES256_CBC),
	HMAC("crypto_hmac SHA-1", CRYPTO_HMAC_SHA1),
	HMAC("crypto_hmac SHA-256", CRYPTO_HMAC_SHA256),
	HMAC("crypto_hmac MD5", CRYPTO_HMAC_MD5),
	ESP("ESP SAs AES-128-GCM", CRYPTO_AES128_GCM, SECRET_ENC, true),
	ESP("ESP SAs AES-256-GCM", CRYPTO_AES256_GCM, SECRET_ENC, true),
	ESP("ESP SAs AES-256-CBC, its cipher key", CRYPTO_AES256_CBC, SECRET_ENC, true),
	ESP("ESP SAs AES-256-CBC, its HMAC key", CRYPTO_AES256_CBC, SECRET_MAC, HMAC_KEY_ON_HEAP),
	DTLS("DTLS record AES-128-GCM", CRYPTO_AES128_GCM, SECRET_ENC, true),
	DTLS("DTLS record AES-256-GCM", CRYPTO_AES256_GCM, SECRET_ENC, true),
	DTLS("DTLS record AES-128-CBC-SHA1, its cipher key", CRYPTO_AES128_CBC, SECRET_ENC, true),
	DTLS("DTLS record AES-128-CBC-SHA1, its MAC key", CRYPTO_AES128_CBC, SECRET_MAC, HMAC_KEY_ON_HEAP),
};

START_TEST(test_key_wiped_when_freed)
{
	const struct wipe_case *c = &cases[_i];
	/* 16 bytes: one AES-128 key, half an AES-256 one, most of the MAC key. */
	const uint8_t *secret = c->watched == SECRET_ENC ? enc_key : mac_key;
	struct heap_watch_report report;
	size_t live;
	void *obj = NULL;
	int ret;

	/*
	 * Once unwatched first: the libraries keep state from their first use on (GnuTLS
	 * its random generator's, per thread; OpenSSL its fetched algorithms), so that
	 * "every block freed" below means the object's own.
	 */
	ck_assert_int_eq(c->make(c, &obj), 0);
	c->destroy(obj);
	obj = NULL;
	heap_watch_start(secret, 16);
	ret = c->make(c, &obj);
	live = heap_watch_live_holding();
	c->destroy(obj);
	heap_watch_stop(&report);

	ck_assert_msg(ret == 0, "%s: setting it up failed (%d)", c->name, ret);
	ck_assert_msg(report.allocated != (size_t)-1, "%s: too many blocks to watch", c->name);
	if (c->reaches_heap)
		ck_assert_msg(live > 0, "%s: the key never reached the heap, so the watch "
			      "proves nothing", c->name);
	ck_assert_msg(report.freed == report.allocated,
		      "%s: %zu of %zu blocks left allocated after the free", c->name,
		      report.allocated - report.freed, report.allocated);
	ck_assert_msg(report.freed_holding == 0,
		      "%s: %zu freed blocks still held the key (of %zu freed, %zu blocks held "
		      "it while the object lived)", c->name, report.freed_holding,
		      report.freed + report.other_frees, live);
}
END_TEST

/* Where the control's block escapes to, so the compiler keeps the stores into it. */
static uint8_t *volatile escaped;

/* The watch itself: a block freed unwiped is seen, the same block wiped is not. */
START_TEST(test_watch_sees_an_unwiped_block)
{
	struct heap_watch_report report;
	uint8_t *p;

	heap_watch_start(enc_key, 16);
	p = escaped = malloc(100);
	ck_assert_ptr_nonnull(p);
	memcpy(p + 37, enc_key, 16);
	ck_assert_uint_eq(heap_watch_live_holding(), 1);
	free(p);
	heap_watch_stop(&report);
	ck_assert_uint_eq(report.freed_holding, 1);

	heap_watch_start(enc_key, 16);
	p = escaped = malloc(100);
	ck_assert_ptr_nonnull(p);
	memcpy(p + 37, enc_key, 16);
	crypto_wipe(p, 100);
	free(p);
	heap_watch_stop(&report);
	ck_assert_uint_eq(report.freed_holding, 0);
	ck_assert_uint_eq(report.freed, report.allocated);
}
END_TEST

static Suite *key_wipe_suite(void)
{
	Suite *s = suite_create("key_wipe");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_watch_sees_an_unwiped_block);
	tcase_add_loop_test(tc, test_key_wiped_when_freed, 0, (int)ARRAY_SIZE(cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(key_wipe_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
