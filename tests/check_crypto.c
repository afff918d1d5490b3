/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The crypto backend contract (crypto/crypto.h), checked against whichever backend the
 * build links.
 *
 * Known answers, copied from the published texts:
 *   AES-GCM   McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", revised
 *             2005, test cases 1-4 (AES-128) and 13-16 (AES-256);
 *   AES-CBC   RFC 3602 section 4, cases 1-4 (AES-128), and NIST SP 800-38A F.2.1 and
 *             F.2.5 (CBC-AES128 and CBC-AES256 encrypt);
 *   HMAC      RFC 2202 (MD5 and SHA-1, cases 1-7) and RFC 4231 (SHA-256, cases 1-7;
 *             case 5 and the RFC 2202 "digest-96" values are compared truncated).
 *
 * Beyond the vectors: operation in place on a ring-like record (header, payload and tag
 * adjacent, guard bytes around it that must survive), rejection of every single-bit
 * flip in AAD, ciphertext and tag, bad arguments, HMAC over split iovecs, long reuse of
 * one context, and the helpers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- vector tables ---------------------------------------------------------------- */

/* A byte string as the texts give it: hex, ASCII text, or one byte repeated. */
struct bytes {
	const char *hex;
	const char *text;
	uint8_t fill;
	size_t fill_len;
};

#define HEX(s)		{ .hex = (s) }
#define TXT(s)		{ .text = (s) }
#define FILL(b, n)	{ .fill = (b), .fill_len = (n) }
#define NONE		{ .hex = "" }

struct gcm_vec {
	const char *name;
	struct bytes key, iv, pt, aad, ct, tag;
};

static const struct gcm_vec gcm_vecs[] = {
	{ "GCM test case 1",
	  HEX("00000000000000000000000000000000"),
	  HEX("000000000000000000000000"),
	  NONE, NONE, NONE,
	  HEX("58e2fccefa7e3061367f1d57a4e7455a") },
	{ "GCM test case 2",
	  HEX("00000000000000000000000000000000"),
	  HEX("000000000000000000000000"),
	  HEX("00000000000000000000000000000000"),
	  NONE,
	  HEX("0388dace60b6a392f328c2b971b2fe78"),
	  HEX("ab6e47d42cec13bdf53a67b21257bddf") },
	{ "GCM test case 3",
	  HEX("feffe9928665731c6d6a8f9467308308"),
	  HEX("cafebabefacedbaddecaf888"),
	  HEX("d9313225f88406e5a55909c5aff5269a"
	      "86a7a9531534f7da2e4c303d8a318a72"
	      "1c3c0c95956809532fcf0e2449a6b525"
	      "b16aedf5aa0de657ba637b391aafd255"),
	  NONE,
	  HEX("42831ec2217774244b7221b784d0d49c"
	      "e3aa212f2c02a4e035c17e2329aca12e"
	      "21d514b25466931c7d8f6a5aac84aa05"
	      "1ba30b396a0aac973d58e091473f5985"),
	  HEX("4d5c2af327cd64a62cf35abd2ba6fab4") },
	{ "GCM test case 4",
	  HEX("feffe9928665731c6d6a8f9467308308"),
	  HEX("cafebabefacedbaddecaf888"),
	  HEX("d9313225f88406e5a55909c5aff5269a"
	      "86a7a9531534f7da2e4c303d8a318a72"
	      "1c3c0c95956809532fcf0e2449a6b525"
	      "b16aedf5aa0de657ba637b39"),
	  HEX("feedfacedeadbeeffeedfacedeadbeef"
	      "abaddad2"),
	  HEX("42831ec2217774244b7221b784d0d49c"
	      "e3aa212f2c02a4e035c17e2329aca12e"
	      "21d514b25466931c7d8f6a5aac84aa05"
	      "1ba30b396a0aac973d58e091"),
	  HEX("5bc94fbc3221a5db94fae95ae7121a47") },
	{ "GCM test case 13",
	  HEX("00000000000000000000000000000000"
	      "00000000000000000000000000000000"),
	  HEX("000000000000000000000000"),
	  NONE, NONE, NONE,
	  HEX("530f8afbc74536b9a963b4f1c4cb738b") },
	{ "GCM test case 14",
	  HEX("00000000000000000000000000000000"
	      "00000000000000000000000000000000"),
	  HEX("000000000000000000000000"),
	  HEX("00000000000000000000000000000000"),
	  NONE,
	  HEX("cea7403d4d606b6e074ec5d3baf39d18"),
	  HEX("d0d1c8a799996bf0265b98b5d48ab919") },
	{ "GCM test case 15",
	  HEX("feffe9928665731c6d6a8f9467308308"
	      "feffe9928665731c6d6a8f9467308308"),
	  HEX("cafebabefacedbaddecaf888"),
	  HEX("d9313225f88406e5a55909c5aff5269a"
	      "86a7a9531534f7da2e4c303d8a318a72"
	      "1c3c0c95956809532fcf0e2449a6b525"
	      "b16aedf5aa0de657ba637b391aafd255"),
	  NONE,
	  HEX("522dc1f099567d07f47f37a32a84427d"
	      "643a8cdcbfe5c0c97598a2bd2555d1aa"
	      "8cb08e48590dbb3da7b08b1056828838"
	      "c5f61e6393ba7a0abcc9f662898015ad"),
	  HEX("b094dac5d93471bdec1a502270e3cc6c") },
	{ "GCM test case 16",
	  HEX("feffe9928665731c6d6a8f9467308308"
	      "feffe9928665731c6d6a8f9467308308"),
	  HEX("cafebabefacedbaddecaf888"),
	  HEX("d9313225f88406e5a55909c5aff5269a"
	      "86a7a9531534f7da2e4c303d8a318a72"
	      "1c3c0c95956809532fcf0e2449a6b525"
	      "b16aedf5aa0de657ba637b39"),
	  HEX("feedfacedeadbeeffeedfacedeadbeef"
	      "abaddad2"),
	  HEX("522dc1f099567d07f47f37a32a84427d"
	      "643a8cdcbfe5c0c97598a2bd2555d1aa"
	      "8cb08e48590dbb3da7b08b1056828838"
	      "c5f61e6393ba7a0abcc9f662"),
	  HEX("76fc6ece0f4e1768cddf8853bb2d551b") },
};

struct cbc_vec {
	const char *name;
	struct bytes key, iv, pt, ct;
};

static const struct cbc_vec cbc_vecs[] = {
	{ "RFC 3602 case 1",
	  HEX("06a9214036b8a15b512e03d534120006"),
	  HEX("3dafba429d9eb430b422da802c9fac41"),
	  TXT("Single block msg"),
	  HEX("e353779c1079aeb82708942dbe77181a") },
	{ "RFC 3602 case 2",
	  HEX("c286696d887c9aa0611bbb3e2025a45a"),
	  HEX("562e17996d093d28ddb3ba695a2e6f58"),
	  HEX("000102030405060708090a0b0c0d0e0f"
	      "101112131415161718191a1b1c1d1e1f"),
	  HEX("d296cd94c2cccf8a3a863028b5e1dc0a"
	      "7586602d253cfff91b8266bea6d61ab1") },
	{ "RFC 3602 case 3",
	  HEX("6c3ea0477630ce21a2ce334aa746c2cd"),
	  HEX("c782dc4c098c66cbd9cd27d825682c81"),
	  TXT("This is a 48-byte message (exactly 3 AES blocks)"),
	  HEX("d0a02b3836451753d493665d33f0e886"
	      "2dea54cdb293abc7506939276772f8d5"
	      "021c19216bad525c8579695d83ba2684") },
	{ "RFC 3602 case 4",
	  HEX("56e47a38c5598974bc46903dba290349"),
	  HEX("8ce82eefbea0da3c44699ed7db51b7d9"),
	  HEX("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	      "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	      "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"),
	  HEX("c30e32ffedc0774e6aff6af0869f71aa"
	      "0f3af07a9a31a9c684db207eb0ef8e4e"
	      "35907aa632c3ffdf868bb7b29d3d46ad"
	      "83ce9f9a102ee99d49a53e87f4c3da55") },
	{ "SP 800-38A F.2.1 CBC-AES128",
	  HEX("2b7e151628aed2a6abf7158809cf4f3c"),
	  HEX("000102030405060708090a0b0c0d0e0f"),
	  HEX("6bc1bee22e409f96e93d7e117393172a"
	      "ae2d8a571e03ac9c9eb76fac45af8e51"
	      "30c81c46a35ce411e5fbc1191a0a52ef"
	      "f69f2445df4f9b17ad2b417be66c3710"),
	  HEX("7649abac8119b246cee98e9b12e9197d"
	      "5086cb9b507219ee95db113a917678b2"
	      "73bed6b8e3c1743b7116e69e22229516"
	      "3ff1caa1681fac09120eca307586e1a7") },
	{ "SP 800-38A F.2.5 CBC-AES256",
	  HEX("603deb1015ca71be2b73aef0857d7781"
	      "1f352c073b6108d72d9810a30914dff4"),
	  HEX("000102030405060708090a0b0c0d0e0f"),
	  HEX("6bc1bee22e409f96e93d7e117393172a"
	      "ae2d8a571e03ac9c9eb76fac45af8e51"
	      "30c81c46a35ce411e5fbc1191a0a52ef"
	      "f69f2445df4f9b17ad2b417be66c3710"),
	  HEX("f58c4c04d6e5f1ba779eabfb5f7bfbd6"
	      "9cfc4e967edb808d679f777bc6702c7d"
	      "39f23369a9d9bacfa530e26304231461"
	      "b2eb05e2c39be9fcda6c19078c6a9d1b") },
};

struct hmac_vec {
	const char *name;
	enum crypto_hmac_alg alg;
	struct bytes key, data, digest;	/* a short digest is a published truncation */
};

static const struct hmac_vec hmac_vecs[] = {
	/* RFC 2202 section 2: HMAC-MD5 */
	{ "RFC 2202 MD5 1", CRYPTO_HMAC_MD5, FILL(0x0b, 16), TXT("Hi There"),
	  HEX("9294727a3638bb1c13f48ef8158bfc9d") },
	{ "RFC 2202 MD5 2", CRYPTO_HMAC_MD5, TXT("Jefe"), TXT("what do ya want for nothing?"),
	  HEX("750c783e6ab0b503eaa86e310a5db738") },
	{ "RFC 2202 MD5 3", CRYPTO_HMAC_MD5, FILL(0xaa, 16), FILL(0xdd, 50),
	  HEX("56be34521d144c88dbb8c733f0e8b3f6") },
	{ "RFC 2202 MD5 4", CRYPTO_HMAC_MD5,
	  HEX("0102030405060708090a0b0c0d0e0f10111213141516171819"), FILL(0xcd, 50),
	  HEX("697eaf0aca3a3aea3a75164746ffaa79") },
	{ "RFC 2202 MD5 5", CRYPTO_HMAC_MD5, FILL(0x0c, 16), TXT("Test With Truncation"),
	  HEX("56461ef2342edc00f9bab995690efd4c") },
	{ "RFC 2202 MD5 5 digest-96", CRYPTO_HMAC_MD5, FILL(0x0c, 16),
	  TXT("Test With Truncation"), HEX("56461ef2342edc00f9bab995") },
	{ "RFC 2202 MD5 6", CRYPTO_HMAC_MD5, FILL(0xaa, 80),
	  TXT("Test Using Larger Than Block-Size Key - Hash Key First"),
	  HEX("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd") },
	{ "RFC 2202 MD5 7", CRYPTO_HMAC_MD5, FILL(0xaa, 80),
	  TXT("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
	  HEX("6f630fad67cda0ee1fb1f562db3aa53e") },
	/* RFC 2202 section 3: HMAC-SHA-1 */
	{ "RFC 2202 SHA1 1", CRYPTO_HMAC_SHA1, FILL(0x0b, 20), TXT("Hi There"),
	  HEX("b617318655057264e28bc0b6fb378c8ef146be00") },
	{ "RFC 2202 SHA1 2", CRYPTO_HMAC_SHA1, TXT("Jefe"), TXT("what do ya want for nothing?"),
	  HEX("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79") },
	{ "RFC 2202 SHA1 3", CRYPTO_HMAC_SHA1, FILL(0xaa, 20), FILL(0xdd, 50),
	  HEX("125d7342b9ac11cd91a39af48aa17b4f63f175d3") },
	{ "RFC 2202 SHA1 4", CRYPTO_HMAC_SHA1,
	  HEX("0102030405060708090a0b0c0d0e0f10111213141516171819"), FILL(0xcd, 50),
	  HEX("4c9007f4026250c6bc8414f9bf50c86c2d7235da") },
	{ "RFC 2202 SHA1 5", CRYPTO_HMAC_SHA1, FILL(0x0c, 20), TXT("Test With Truncation"),
	  HEX("4c1a03424b55e07fe7f27be1d58bb9324a9a5a04") },
	{ "RFC 2202 SHA1 5 digest-96", CRYPTO_HMAC_SHA1, FILL(0x0c, 20),
	  TXT("Test With Truncation"), HEX("4c1a03424b55e07fe7f27be1") },
	{ "RFC 2202 SHA1 6", CRYPTO_HMAC_SHA1, FILL(0xaa, 80),
	  TXT("Test Using Larger Than Block-Size Key - Hash Key First"),
	  HEX("aa4ae5e15272d00e95705637ce8a3b55ed402112") },
	{ "RFC 2202 SHA1 7", CRYPTO_HMAC_SHA1, FILL(0xaa, 80),
	  TXT("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
	  HEX("e8e99d0f45237d786d6bbaa7965c7808bbff1a91") },
	/* RFC 4231 section 4: HMAC-SHA-256 */
	{ "RFC 4231 SHA256 1", CRYPTO_HMAC_SHA256, FILL(0x0b, 20), TXT("Hi There"),
	  HEX("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7") },
	{ "RFC 4231 SHA256 2", CRYPTO_HMAC_SHA256, TXT("Jefe"),
	  TXT("what do ya want for nothing?"),
	  HEX("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") },
	{ "RFC 4231 SHA256 3", CRYPTO_HMAC_SHA256, FILL(0xaa, 20), FILL(0xdd, 50),
	  HEX("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe") },
	{ "RFC 4231 SHA256 4", CRYPTO_HMAC_SHA256,
	  HEX("0102030405060708090a0b0c0d0e0f10111213141516171819"), FILL(0xcd, 50),
	  HEX("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b") },
	{ "RFC 4231 SHA256 5 (128 bits)", CRYPTO_HMAC_SHA256, FILL(0x0c, 20),
	  TXT("Test With Truncation"), HEX("a3b6167473100ee06e0c796c2955552b") },
	{ "RFC 4231 SHA256 6", CRYPTO_HMAC_SHA256, FILL(0xaa, 131),
	  TXT("Test Using Larger Than Block-Size Key - Hash Key First"),
	  HEX("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54") },
	{ "RFC 4231 SHA256 7", CRYPTO_HMAC_SHA256, FILL(0xaa, 131),
	  TXT("This is a test using a larger than block-size key and a larger than "
	      "block-size data. The key needs to be hashed before being used by the HMAC "
	      "algorithm."),
	  HEX("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2") },
};

/* ---- helpers ---------------------------------------------------------------------- */

enum { MAX_BYTES = 256 };

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	ck_abort_msg("bad hex digit '%c' in a vector", c);
	return 0;
}

/* Decodes b into out (MAX_BYTES) and returns its length. */
static size_t get(const struct bytes *b, uint8_t *out)
{
	size_t n;

	if (b->text) {
		n = strlen(b->text);
		ck_assert_uint_le(n, MAX_BYTES);
		memcpy(out, b->text, n);
		return n;
	}
	if (b->fill_len) {
		ck_assert_uint_le(b->fill_len, MAX_BYTES);
		memset(out, b->fill, b->fill_len);
		return b->fill_len;
	}
	n = strlen(b->hex);
	ck_assert_uint_eq(n % 2, 0);
	ck_assert_uint_le(n / 2, MAX_BYTES);
	for (size_t i = 0; i < n / 2; i++)
		out[i] = (uint8_t)(hex_nibble(b->hex[2 * i]) << 4 | hex_nibble(b->hex[2 * i + 1]));
	return n / 2;
}

/* Deterministic filler so a failure reproduces (splitmix64). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_rng(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rng();
}

/*
 * A ring record stand-in: guard bytes, then header (AAD), payload and tag back to back,
 * then guard bytes.  Nothing may be written outside header..tag.
 */
enum { GUARD = 32, GUARD_BYTE = 0xa5, REC_MAX = 2048 };

struct record {
	uint8_t mem[GUARD + REC_MAX + GUARD];
	uint8_t *hdr, *payload, *tag;
	size_t hdr_len, len, tag_len;
};

static void record_init(struct record *r, size_t hdr_len, size_t len, size_t tag_len)
{
	ck_assert_uint_le(hdr_len + len + tag_len, REC_MAX);
	memset(r->mem, GUARD_BYTE, sizeof(r->mem));
	r->hdr = r->mem + GUARD;
	r->payload = r->hdr + hdr_len;
	r->tag = r->payload + len;
	r->hdr_len = hdr_len;
	r->len = len;
	r->tag_len = tag_len;
}

/* Offset of the first clobbered guard byte, or -1. */
static long record_clobbered(const struct record *r)
{
	const uint8_t *end = r->tag + r->tag_len;

	for (const uint8_t *p = r->mem; p < r->mem + sizeof(r->mem); p++)
		if ((p < r->hdr || p >= end) && *p != GUARD_BYTE)
			return (long)(p - r->mem);
	return -1;
}

static void record_check_guards(const struct record *r)
{
	ck_assert_int_eq(record_clobbered(r), -1);
}

static enum crypto_cipher gcm_for(size_t key_len)
{
	return key_len == 32 ? CRYPTO_AES256_GCM : CRYPTO_AES128_GCM;
}

static enum crypto_cipher cbc_for(size_t key_len)
{
	return key_len == 32 ? CRYPTO_AES256_CBC : CRYPTO_AES128_CBC;
}

/* Lays a GCM vector out as a record holding the plaintext; returns the context. */
struct gcm_case {
	uint8_t key[MAX_BYTES], nonce[MAX_BYTES], pt[MAX_BYTES], aad[MAX_BYTES];
	uint8_t ct[MAX_BYTES], tag[MAX_BYTES];
	size_t key_len, pt_len, aad_len;
	struct record rec;
	struct crypto_aead *aead;
};

static void gcm_case_load(struct gcm_case *c, const struct gcm_vec *v)
{
	c->key_len = get(&v->key, c->key);
	ck_assert_uint_eq(get(&v->iv, c->nonce), CRYPTO_GCM_NONCE_LEN);
	c->pt_len = get(&v->pt, c->pt);
	c->aad_len = get(&v->aad, c->aad);
	ck_assert_uint_eq(get(&v->ct, c->ct), c->pt_len);
	ck_assert_uint_eq(get(&v->tag, c->tag), CRYPTO_GCM_TAG_LEN);
	record_init(&c->rec, c->aad_len, c->pt_len, CRYPTO_GCM_TAG_LEN);
	memcpy(c->rec.hdr, c->aad, c->aad_len);
	memcpy(c->rec.payload, c->pt, c->pt_len);
	ck_assert_int_eq(crypto_aead_new(&c->aead, gcm_for(c->key_len), c->key, c->key_len), 0);
}

static int gcm_case_seal(struct gcm_case *c)
{
	struct record *r = &c->rec;

	return crypto_aead_seal(c->aead, c->nonce, r->hdr_len ? r->hdr : NULL, r->hdr_len,
				r->payload, r->len, r->tag);
}

static int gcm_case_open(struct gcm_case *c)
{
	struct record *r = &c->rec;

	return crypto_aead_open(c->aead, c->nonce, r->hdr_len ? r->hdr : NULL, r->hdr_len,
				r->payload, r->len, r->tag);
}

/* ---- AES-GCM ---------------------------------------------------------------------- */

START_TEST(test_gcm_vectors)
{
	const struct gcm_vec *v = &gcm_vecs[_i];
	struct gcm_case c;

	gcm_case_load(&c, v);
	/* Twice on one context: the second run must not see state left by the first. */
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(gcm_case_seal(&c), 0);
		ck_assert_mem_eq(c.rec.payload, c.ct, c.pt_len);
		ck_assert_mem_eq(c.rec.tag, c.tag, CRYPTO_GCM_TAG_LEN);
		ck_assert_mem_eq(c.rec.hdr, c.aad, c.aad_len);
		record_check_guards(&c.rec);

		ck_assert_int_eq(gcm_case_open(&c), 0);
		ck_assert_mem_eq(c.rec.payload, c.pt, c.pt_len);
		ck_assert_mem_eq(c.rec.tag, c.tag, CRYPTO_GCM_TAG_LEN);
		record_check_guards(&c.rec);
	}
	if (!c.pt_len) {
		uint8_t tag[CRYPTO_GCM_TAG_LEN];

		/* Pure GMAC: no payload buffer at all. */
		ck_assert_int_eq(crypto_aead_seal(c.aead, c.nonce, c.aad_len ? c.aad : NULL,
						  c.aad_len, NULL, 0, tag), 0);
		ck_assert_mem_eq(tag, c.tag, sizeof(tag));
		ck_assert_int_eq(crypto_aead_open(c.aead, c.nonce, c.aad_len ? c.aad : NULL,
						  c.aad_len, NULL, 0, tag), 0);
	}
	crypto_aead_free(c.aead);
}
END_TEST

/* Flips one bit of the sealed record, expects -EBADMSG, flips it back. */
static void expect_flip_rejected(struct gcm_case *c, uint8_t *byte, int bit)
{
	struct record *r = &c->rec;
	uint8_t hdr[MAX_BYTES], tag[CRYPTO_GCM_TAG_LEN];

	*byte ^= (uint8_t)(1u << bit);
	memcpy(hdr, r->hdr, r->hdr_len);
	memcpy(tag, r->tag, sizeof(tag));
	ck_assert_int_eq(gcm_case_open(c), -EBADMSG);
	/* A failed open may scribble on the payload only. */
	ck_assert_mem_eq(r->hdr, hdr, r->hdr_len);
	ck_assert_mem_eq(r->tag, tag, sizeof(tag));
	record_check_guards(r);
	*byte ^= (uint8_t)(1u << bit);
	memcpy(r->payload, c->ct, c->pt_len);
}

START_TEST(test_gcm_bit_flips)
{
	/* Test cases 4 and 16: AAD, a partial last block, both key sizes. */
	static const size_t which[] = { 3, 7 };
	struct gcm_case c;
	struct record *r = &c.rec;

	gcm_case_load(&c, &gcm_vecs[which[_i]]);
	ck_assert_uint_gt(c.aad_len, 0);
	ck_assert_int_eq(gcm_case_seal(&c), 0);
	for (uint8_t *p = r->hdr; p < r->tag + r->tag_len; p++)
		for (int bit = 0; bit < 8; bit++)
			expect_flip_rejected(&c, p, bit);
	/* The nonce is authenticated too. */
	for (int i = 0; i < CRYPTO_GCM_NONCE_LEN; i++) {
		c.nonce[i] ^= 0x80;
		ck_assert_int_eq(gcm_case_open(&c), -EBADMSG);
		c.nonce[i] ^= 0x80;
		memcpy(r->payload, c.ct, c.pt_len);
	}
	/* The context survives all the failures. */
	ck_assert_int_eq(gcm_case_open(&c), 0);
	ck_assert_mem_eq(r->payload, c.pt, c.pt_len);
	crypto_aead_free(c.aead);
}
END_TEST

START_TEST(test_gcm_bad_args)
{
	static const size_t bad_lens[] = { 0, 1, 15, 17, 24, 31, 33, 64 };
	uint8_t key[64] = { 0 }, nonce[CRYPTO_GCM_NONCE_LEN] = { 0 }, buf[32] = { 0 };
	uint8_t tag[CRYPTO_GCM_TAG_LEN] = { 0 };
	struct crypto_aead *aead = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(bad_lens); i++) {
		if (bad_lens[i] != 16)
			ck_assert_int_eq(crypto_aead_new(&aead, CRYPTO_AES128_GCM, key,
							 bad_lens[i]), -EINVAL);
		if (bad_lens[i] != 32)
			ck_assert_int_eq(crypto_aead_new(&aead, CRYPTO_AES256_GCM, key,
							 bad_lens[i]), -EINVAL);
	}
	ck_assert_int_eq(crypto_aead_new(&aead, CRYPTO_AES256_GCM, key, 16), -EINVAL);
	ck_assert_int_eq(crypto_aead_new(&aead, CRYPTO_AES128_CBC, key, 16), -EINVAL);
	ck_assert_int_eq(crypto_aead_new(&aead, CRYPTO_AES256_CBC, key, 32), -EINVAL);
	ck_assert_int_eq(crypto_aead_new(&aead, (enum crypto_cipher)42, key, 16), -EINVAL);
	ck_assert_int_eq(crypto_aead_new(&aead, CRYPTO_AES128_GCM, NULL, 16), -EINVAL);
	ck_assert_ptr_null(aead);

	ck_assert_int_eq(crypto_aead_new(&aead, CRYPTO_AES128_GCM, key, 16), 0);
	ck_assert_int_eq(crypto_aead_seal(aead, nonce, NULL, 4, buf, sizeof(buf), tag), -EINVAL);
	ck_assert_int_eq(crypto_aead_seal(aead, nonce, buf, 4, NULL, 16, tag), -EINVAL);
	ck_assert_int_eq(crypto_aead_open(aead, nonce, NULL, 4, buf, sizeof(buf), tag), -EINVAL);
	crypto_aead_free(aead);
	crypto_aead_free(NULL);
}
END_TEST

/* The reference: a context that has never seen another message. */
static void seal_fresh(enum crypto_cipher cipher, const uint8_t *key, const uint8_t *nonce,
		       const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
	struct crypto_aead *fresh;

	ck_assert_int_eq(crypto_aead_new(&fresh, cipher, key, crypto_cipher_key_len(cipher)), 0);
	ck_assert_int_eq(crypto_aead_seal(fresh, nonce, aad, aad_len, buf, len, tag), 0);
	crypto_aead_free(fresh);
}

/*
 * One long-lived context per direction against a fresh context per message, over random
 * nonces, AAD and payload lengths (odd ones included), seal and open interleaved, every
 * third packet forged once first: a failure must not disturb the next packet.
 */
START_TEST(test_gcm_reuse)
{
	enum crypto_cipher cipher = _i ? CRYPTO_AES256_GCM : CRYPTO_AES128_GCM;
	uint8_t key[32], nonce[CRYPTO_GCM_NONCE_LEN], aad[40];
	uint8_t pt[1501], buf[1501], ref[1501], tag[16], ref_tag[16];
	size_t klen = crypto_cipher_key_len(cipher);
	struct crypto_aead *sealer, *opener;

	fill_rng(key, sizeof(key));
	ck_assert_int_eq(crypto_aead_new(&sealer, cipher, key, klen), 0);
	ck_assert_int_eq(crypto_aead_new(&opener, cipher, key, klen), 0);
	for (int i = 0; i < 300; i++) {
		size_t len = rng() % sizeof(pt), aad_len = rng() % sizeof(aad);

		fill_rng(nonce, sizeof(nonce));
		fill_rng(aad, aad_len);
		fill_rng(pt, len);
		memcpy(buf, pt, len);
		memcpy(ref, pt, len);
		ck_assert_int_eq(crypto_aead_seal(sealer, nonce, aad, aad_len, buf, len, tag), 0);
		seal_fresh(cipher, key, nonce, aad, aad_len, ref, len, ref_tag);
		ck_assert_mem_eq(buf, ref, len);
		ck_assert_mem_eq(tag, ref_tag, sizeof(tag));
		if (i % 3 == 0) {
			ref_tag[i % 16] ^= 1;
			ck_assert_int_eq(crypto_aead_open(opener, nonce, aad, aad_len, buf, len,
							  ref_tag), -EBADMSG);
			memcpy(buf, ref, len);
		}
		ck_assert_int_eq(crypto_aead_open(opener, nonce, aad, aad_len, buf, len, tag), 0);
		ck_assert_mem_eq(buf, pt, len);
	}
	crypto_aead_free(sealer);
	crypto_aead_free(opener);
}
END_TEST

/* ---- AES-CBC ---------------------------------------------------------------------- */

START_TEST(test_cbc_vectors)
{
	const struct cbc_vec *v = &cbc_vecs[_i];
	uint8_t key[MAX_BYTES], iv[MAX_BYTES], pt[MAX_BYTES], ct[MAX_BYTES];
	size_t klen = get(&v->key, key), len = get(&v->pt, pt);
	struct crypto_cbc *cbc;
	struct record r;

	ck_assert_uint_eq(get(&v->iv, iv), CRYPTO_AES_BLOCK);
	ck_assert_uint_eq(get(&v->ct, ct), len);
	ck_assert_int_eq(crypto_cbc_new(&cbc, cbc_for(klen), key, klen), 0);
	/* ESP-like record: the IV sits in the header right before the payload. */
	record_init(&r, 8 + CRYPTO_AES_BLOCK, len, 12);
	memcpy(r.hdr + 8, iv, CRYPTO_AES_BLOCK);
	memcpy(r.payload, pt, len);
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(crypto_cbc_encrypt(cbc, r.hdr + 8, r.payload, len), 0);
		ck_assert_mem_eq(r.payload, ct, len);
		ck_assert_mem_eq(r.hdr + 8, iv, CRYPTO_AES_BLOCK);
		record_check_guards(&r);
		ck_assert_int_eq(crypto_cbc_decrypt(cbc, r.hdr + 8, r.payload, len), 0);
		ck_assert_mem_eq(r.payload, pt, len);
		record_check_guards(&r);
	}
	crypto_cbc_free(cbc);
}
END_TEST

START_TEST(test_cbc_bad_args)
{
	static const size_t bad_lens[] = { 1, 15, 17, 31, 1399 };
	uint8_t key[64] = { 0 }, iv[CRYPTO_AES_BLOCK] = { 0 }, buf[1400], copy[1400];
	struct crypto_cbc *cbc = NULL;

	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES128_CBC, key, 32), -EINVAL);
	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES256_CBC, key, 16), -EINVAL);
	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES128_CBC, key, 0), -EINVAL);
	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES256_CBC, key, 24), -EINVAL);
	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES128_GCM, key, 16), -EINVAL);
	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES256_GCM, key, 32), -EINVAL);
	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES128_CBC, NULL, 16), -EINVAL);
	ck_assert_ptr_null(cbc);

	ck_assert_int_eq(crypto_cbc_new(&cbc, CRYPTO_AES128_CBC, key, 16), 0);
	fill_rng(buf, sizeof(buf));
	memcpy(copy, buf, sizeof(buf));
	for (size_t i = 0; i < ARRAY_SIZE(bad_lens); i++) {
		ck_assert_int_eq(crypto_cbc_encrypt(cbc, iv, buf, bad_lens[i]), -EINVAL);
		ck_assert_int_eq(crypto_cbc_decrypt(cbc, iv, buf, bad_lens[i]), -EINVAL);
	}
	ck_assert_mem_eq(buf, copy, sizeof(buf));
	ck_assert_int_eq(crypto_cbc_encrypt(cbc, iv, buf, 0), 0);
	ck_assert_int_eq(crypto_cbc_decrypt(cbc, iv, NULL, 0), 0);
	ck_assert_mem_eq(buf, copy, sizeof(buf));
	crypto_cbc_free(cbc);
	crypto_cbc_free(NULL);
}
END_TEST

/*
 * A long-lived context against a fresh one per message, with encryptions and
 * decryptions interleaved and ESP's IV generation (encrypting the next IV under the
 * packet's IV) in between: a backend that keeps state between calls must not leak it.
 */
START_TEST(test_cbc_reuse)
{
	enum crypto_cipher cipher = _i ? CRYPTO_AES256_CBC : CRYPTO_AES128_CBC;
	size_t klen = crypto_cipher_key_len(cipher);
	uint8_t key[32], iv[CRYPTO_AES_BLOCK], next_iv[CRYPTO_AES_BLOCK], ref_iv[CRYPTO_AES_BLOCK];
	uint8_t pt[1504], buf[1504], ref[1504];
	struct crypto_cbc *cbc, *fresh;

	fill_rng(key, sizeof(key));
	fill_rng(next_iv, sizeof(next_iv));
	ck_assert_int_eq(crypto_cbc_new(&cbc, cipher, key, klen), 0);
	for (int i = 0; i < 300; i++) {
		size_t len = (rng() % (sizeof(pt) / CRYPTO_AES_BLOCK + 1)) * CRYPTO_AES_BLOCK;

		memcpy(iv, next_iv, sizeof(iv));
		fill_rng(pt, len);
		memcpy(buf, pt, len);
		memcpy(ref, pt, len);
		ck_assert_int_eq(crypto_cbc_encrypt(cbc, iv, buf, len), 0);
		ck_assert_int_eq(crypto_cbc_new(&fresh, cipher, key, klen), 0);
		ck_assert_int_eq(crypto_cbc_encrypt(fresh, iv, ref, len), 0);
		ck_assert_mem_eq(buf, ref, len);

		fill_rng(next_iv, sizeof(next_iv));
		memcpy(ref_iv, next_iv, sizeof(ref_iv));
		ck_assert_int_eq(crypto_cbc_encrypt(cbc, iv, next_iv, sizeof(next_iv)), 0);
		ck_assert_int_eq(crypto_cbc_encrypt(fresh, iv, ref_iv, sizeof(ref_iv)), 0);
		ck_assert_mem_eq(next_iv, ref_iv, sizeof(next_iv));
		crypto_cbc_free(fresh);

		if (i % 2)	/* a stray decryption in between */
			ck_assert_int_eq(crypto_cbc_decrypt(cbc, next_iv, ref_iv, 16), 0);
		ck_assert_int_eq(crypto_cbc_decrypt(cbc, iv, buf, len), 0);
		ck_assert_mem_eq(buf, pt, len);
	}
	crypto_cbc_free(cbc);
}
END_TEST

/* ---- HMAC ------------------------------------------------------------------------- */

static void hmac_one(struct crypto_hmac *hmac, const uint8_t *data, size_t len, uint8_t *out)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };

	ck_assert_int_eq(crypto_hmac_compute(hmac, &iov, 1, out), 0);
}

START_TEST(test_hmac_vectors)
{
	const struct hmac_vec *v = &hmac_vecs[_i];
	uint8_t key[MAX_BYTES], data[MAX_BYTES], digest[MAX_BYTES], out[CRYPTO_HMAC_MAX_LEN];
	size_t klen = get(&v->key, key), dlen = get(&v->data, data), want = get(&v->digest, digest);
	size_t full = crypto_hmac_digest_len(v->alg);
	struct crypto_hmac *hmac;

	/* Full, or the truncations the texts publish: 96 bits (RFC 2202), 128 (RFC 4231). */
	ck_assert(want == full || want == 12 || want == 16);
	ck_assert_uint_le(want, full);
	ck_assert_int_eq(crypto_hmac_new(&hmac, v->alg, key, klen), 0);
	ck_assert_uint_eq(crypto_hmac_len(hmac), full);
	for (int round = 0; round < 2; round++) {
		memset(out, 0, sizeof(out));
		hmac_one(hmac, data, dlen, out);
		ck_assert_mem_eq(out, digest, want);
		/* How protocols check a truncated ICV. */
		ck_assert(crypto_memeq(out, digest, want));
	}
	crypto_hmac_free(hmac);
}
END_TEST

START_TEST(test_hmac_iov_split)
{
	enum crypto_hmac_alg alg = (enum crypto_hmac_alg)_i;
	uint8_t key[40], data[200], ref[CRYPTO_HMAC_MAX_LEN], out[CRYPTO_HMAC_MAX_LEN];
	size_t n = crypto_hmac_digest_len(alg);
	struct crypto_hmac *hmac;
	struct iovec iov[4];

	fill_rng(key, sizeof(key));
	fill_rng(data, sizeof(data));
	ck_assert_int_eq(crypto_hmac_new(&hmac, alg, key, sizeof(key)), 0);
	hmac_one(hmac, data, sizeof(data), ref);
	for (size_t a = 0; a <= sizeof(data); a++) {
		size_t b = a + (sizeof(data) - a) / 3;

		/* Two pieces, and three with an empty one in the middle. */
		iov[0] = (struct iovec){ data, a };
		iov[1] = (struct iovec){ data + a, sizeof(data) - a };
		ck_assert_int_eq(crypto_hmac_compute(hmac, iov, 2, out), 0);
		ck_assert_mem_eq(out, ref, n);
		iov[1] = (struct iovec){ NULL, 0 };
		iov[2] = (struct iovec){ data + a, b - a };
		iov[3] = (struct iovec){ data + b, sizeof(data) - b };
		ck_assert_int_eq(crypto_hmac_compute(hmac, iov, 4, out), 0);
		ck_assert_mem_eq(out, ref, n);
	}
	/* No iovecs at all is the empty message. */
	hmac_one(hmac, data, 0, ref);
	ck_assert_int_eq(crypto_hmac_compute(hmac, NULL, 0, out), 0);
	ck_assert_mem_eq(out, ref, n);
	crypto_hmac_free(hmac);
}
END_TEST

START_TEST(test_hmac_reuse)
{
	enum crypto_hmac_alg alg = (enum crypto_hmac_alg)_i;
	uint8_t key[20], data[1500], out[CRYPTO_HMAC_MAX_LEN], ref[CRYPTO_HMAC_MAX_LEN];
	struct crypto_hmac *hmac, *fresh;
	size_t n = crypto_hmac_digest_len(alg);

	fill_rng(key, sizeof(key));
	ck_assert_int_eq(crypto_hmac_new(&hmac, alg, key, sizeof(key)), 0);
	for (int i = 0; i < 300; i++) {
		size_t len = rng() % (sizeof(data) + 1);

		fill_rng(data, len);
		hmac_one(hmac, data, len, out);
		ck_assert_int_eq(crypto_hmac_new(&fresh, alg, key, sizeof(key)), 0);
		hmac_one(fresh, data, len, ref);
		crypto_hmac_free(fresh);
		ck_assert_mem_eq(out, ref, n);
	}
	crypto_hmac_free(hmac);
}
END_TEST

START_TEST(test_hmac_bad_args)
{
	static const uint8_t data[] = "Hi There";
	uint8_t key[20], out[CRYPTO_HMAC_MAX_LEN], ref[CRYPTO_HMAC_MAX_LEN];
	struct iovec iov[2] = { { (void *)data, 2 }, { NULL, 5 } };
	struct crypto_hmac *hmac = NULL;

	memset(key, 0x0b, sizeof(key));
	ck_assert_int_eq(crypto_hmac_new(&hmac, (enum crypto_hmac_alg)42, key, 20), -EINVAL);
	ck_assert_int_eq(crypto_hmac_new(&hmac, CRYPTO_HMAC_SHA1, NULL, 20), -EINVAL);
	ck_assert_ptr_null(hmac);

	ck_assert_int_eq(crypto_hmac_new(&hmac, CRYPTO_HMAC_SHA1, key, sizeof(key)), 0);
	ck_assert_int_eq(crypto_hmac_compute(hmac, iov, -1, out), -EINVAL);
	ck_assert_int_eq(crypto_hmac_compute(hmac, NULL, 1, out), -EINVAL);
	/* Rejected only at the second piece: the first must not linger in the context. */
	ck_assert_int_eq(crypto_hmac_compute(hmac, iov, 2, out), -EINVAL);
	hmac_one(hmac, data, strlen((const char *)data), ref);
	get(&(struct bytes)HEX("b617318655057264e28bc0b6fb378c8ef146be00"), out);
	ck_assert_mem_eq(ref, out, 20);	/* RFC 2202 SHA1 case 1 */
	crypto_hmac_free(hmac);
	crypto_hmac_free(NULL);

	/* An empty key is legal HMAC (checked against Python's hmac module). */
	ck_assert_int_eq(crypto_hmac_new(&hmac, CRYPTO_HMAC_SHA256, NULL, 0), 0);
	hmac_one(hmac, data, 0, out);
	get(&(struct bytes)HEX("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
	    ref);
	ck_assert_mem_eq(out, ref, 32);
	crypto_hmac_free(hmac);
}
END_TEST

/* ---- helpers ---------------------------------------------------------------------- */

START_TEST(test_lengths)
{
	ck_assert_uint_eq(crypto_cipher_key_len(CRYPTO_AES128_GCM), 16);
	ck_assert_uint_eq(crypto_cipher_key_len(CRYPTO_AES256_GCM), 32);
	ck_assert_uint_eq(crypto_cipher_key_len(CRYPTO_AES128_CBC), 16);
	ck_assert_uint_eq(crypto_cipher_key_len(CRYPTO_AES256_CBC), 32);
	ck_assert_uint_eq(crypto_hmac_digest_len(CRYPTO_HMAC_MD5), 16);
	ck_assert_uint_eq(crypto_hmac_digest_len(CRYPTO_HMAC_SHA1), 20);
	ck_assert_uint_eq(crypto_hmac_digest_len(CRYPTO_HMAC_SHA256), 32);
	ck_assert(crypto_cipher_is_gcm(CRYPTO_AES128_GCM));
	ck_assert(crypto_cipher_is_gcm(CRYPTO_AES256_GCM));
	ck_assert(!crypto_cipher_is_gcm(CRYPTO_AES128_CBC));
	ck_assert(!crypto_cipher_is_gcm(CRYPTO_AES256_CBC));
}
END_TEST

START_TEST(test_memeq)
{
	uint8_t a[64], b[64];

	fill_rng(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	ck_assert(crypto_memeq(a, b, sizeof(a)));
	ck_assert(crypto_memeq(a, b, 0));
	for (size_t i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x01;
		ck_assert(!crypto_memeq(a, b, sizeof(a)));
		ck_assert(crypto_memeq(a, b, i));
		b[i] ^= 0x81;
		ck_assert(!crypto_memeq(a, b, i + 1));
		b[i] ^= 0x80;
	}
}
END_TEST

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

START_TEST(test_random)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, big[4096] = { 0 };

	ck_assert_int_eq(crypto_random(a, sizeof(a)), 0);
	ck_assert_int_eq(crypto_random(b, sizeof(b)), 0);
	ck_assert(!all_zero(a, sizeof(a)));
	ck_assert(!all_zero(b, sizeof(b)));
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert_int_eq(crypto_random(big, sizeof(big)), 0);
	ck_assert(!all_zero(big + sizeof(big) - 32, 32));
	ck_assert_int_eq(crypto_random(a, 0), 0);
}
END_TEST

START_TEST(test_wipe_and_name)
{
	uint8_t buf[100];
	const char *name = crypto_backend_name();

	memset(buf, 0xff, sizeof(buf));
	crypto_wipe(buf + 1, sizeof(buf) - 2);
	ck_assert_uint_eq(buf[0], 0xff);
	ck_assert(all_zero(buf + 1, sizeof(buf) - 2));
	ck_assert_uint_eq(buf[sizeof(buf) - 1], 0xff);
	crypto_wipe(NULL, 0);

	ck_assert_ptr_nonnull(name);
#if defined(ZCVPN_CRYPTO_GNUTLS)
	ck_assert_int_eq(strncmp(name, "GnuTLS ", 7), 0);
#elif defined(ZCVPN_CRYPTO_OPENSSL)
	ck_assert_int_eq(strncmp(name, "OpenSSL ", 8), 0);
#endif
	ck_assert_ptr_eq(crypto_backend_name(), name);
}
END_TEST

static Suite *crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *kat = tcase_create("known answers");
	TCase *use = tcase_create("contract");

	tcase_add_loop_test(kat, test_gcm_vectors, 0, ARRAY_SIZE(gcm_vecs));
	tcase_add_loop_test(kat, test_cbc_vectors, 0, ARRAY_SIZE(cbc_vecs));
	tcase_add_loop_test(kat, test_hmac_vectors, 0, ARRAY_SIZE(hmac_vecs));
	suite_add_tcase(s, kat);

	/* Sanitizer builds run the loops several times slower. */
	tcase_set_timeout(use, 60);
	tcase_add_loop_test(use, test_gcm_bit_flips, 0, 2);
	tcase_add_test(use, test_gcm_bad_args);
	tcase_add_loop_test(use, test_gcm_reuse, 0, 2);
	tcase_add_test(use, test_cbc_bad_args);
	tcase_add_loop_test(use, test_cbc_reuse, 0, 2);
	tcase_add_loop_test(use, test_hmac_iov_split, CRYPTO_HMAC_MD5, CRYPTO_HMAC_SHA256 + 1);
	tcase_add_loop_test(use, test_hmac_reuse, CRYPTO_HMAC_MD5, CRYPTO_HMAC_SHA256 + 1);
	tcase_add_test(use, test_hmac_bad_args);
	tcase_add_test(use, test_lengths);
	tcase_add_test(use, test_memeq);
	tcase_add_test(use, test_random);
	tcase_add_test(use, test_wipe_and_name);
	suite_add_tcase(s, use);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crypto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
