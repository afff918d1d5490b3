/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The crypto backend contract.  Each backend (crypto/gnutls-*.c, crypto/openssl-*.c)
 * implements all of it; the build links exactly one.  Protocol code includes only this
 * header, never a TLS library's.
 *
 * Every operation works in place on caller memory with separate pointers for the header
 * (AAD), IV/nonce, payload and tag, so a protocol can run it on a ring record without
 * copying.  Keys are set once at _new(); contexts are reused per packet and never
 * allocate on the packet path.  _free() wipes key material and accepts NULL.
 *
 * Returns: 0 or a negative errno (-EINVAL bad arguments or key length, -EBADMSG failed
 * authentication, -ENOMEM, -EIO the library failed).
 *
 * Threading: a context is used by one thread at a time.
 */
#ifndef ZCVPN_CRYPTO_CRYPTO_H
#define ZCVPN_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum crypto_cipher {
	CRYPTO_AES128_GCM,
	CRYPTO_AES256_GCM,
	CRYPTO_AES128_CBC,
	CRYPTO_AES256_CBC,
};

enum crypto_hmac_alg {
	CRYPTO_HMAC_MD5,	/* 16-byte digest */
	CRYPTO_HMAC_SHA1,	/* 20-byte digest */
	CRYPTO_HMAC_SHA256,	/* 32-byte digest */
};

enum crypto_limits {
	CRYPTO_GCM_NONCE_LEN = 12,
	CRYPTO_GCM_TAG_LEN = 16,
	CRYPTO_AES_BLOCK = 16,
	CRYPTO_HMAC_MAX_LEN = 32,
	CRYPTO_MAX_KEY_LEN = 64,
};

/* Key length in bytes for a cipher (16 or 32). */
size_t crypto_cipher_key_len(enum crypto_cipher cipher);
/* Full digest length of an HMAC algorithm. */
size_t crypto_hmac_digest_len(enum crypto_hmac_alg alg);
bool crypto_cipher_is_gcm(enum crypto_cipher cipher);
/* True when iov[0..iovcnt) can be read: no NULL base with a length, count not negative. */
bool crypto_iov_ok(const struct iovec *iov, int iovcnt);

/* ---- AES-GCM ------------------------------------------------------------------------ */

struct crypto_aead;

/* key is borrowed (copied into the context); key_len must match the cipher. */
int crypto_aead_new(struct crypto_aead **out, enum crypto_cipher cipher,
		    const uint8_t *key, size_t key_len);
void crypto_aead_free(struct crypto_aead *aead);

/*
 * Encrypts buf[0..len) in place and writes the 16-byte tag.  aad may be NULL when
 * aad_len is 0.  buf, aad and tag may be adjacent but must not overlap each other.
 */
int crypto_aead_seal(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
		     uint8_t tag[CRYPTO_GCM_TAG_LEN]);

/*
 * Verifies the tag over aad and buf[0..len) and decrypts buf in place.  Returns -EBADMSG
 * when the tag does not verify; the contents of buf are then unspecified (the caller
 * drops the packet) but nothing outside buf is written.
 */
int crypto_aead_open(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
		     const uint8_t tag[CRYPTO_GCM_TAG_LEN]);

/* ---- AES-CBC (no padding: len is a multiple of 16) ---------------------------------- */

struct crypto_cbc;

int crypto_cbc_new(struct crypto_cbc **out, enum crypto_cipher cipher,
		   const uint8_t *key, size_t key_len);
void crypto_cbc_free(struct crypto_cbc *cbc);
int crypto_cbc_encrypt(struct crypto_cbc *cbc, const uint8_t iv[CRYPTO_AES_BLOCK],
		       uint8_t *buf, size_t len);
int crypto_cbc_decrypt(struct crypto_cbc *cbc, const uint8_t iv[CRYPTO_AES_BLOCK],
		       uint8_t *buf, size_t len);

/* ---- HMAC --------------------------------------------------------------------------- */

struct crypto_hmac;

/* Any key length is accepted (HMAC hashes long keys). */
int crypto_hmac_new(struct crypto_hmac **out, enum crypto_hmac_alg alg,
		    const uint8_t *key, size_t key_len);
void crypto_hmac_free(struct crypto_hmac *hmac);
size_t crypto_hmac_len(const struct crypto_hmac *hmac);

/*
 * Computes the full digest over the concatenation of iov[0..iovcnt) into out
 * (crypto_hmac_len bytes).  The context is ready for the next message afterwards.
 */
int crypto_hmac_compute(struct crypto_hmac *hmac, const struct iovec *iov, int iovcnt,
			uint8_t *out);

/* ---- helpers ------------------------------------------------------------------------ */

/* Fills buf with len bytes from the library's CSPRNG.  Returns 0 or -EIO. */
int crypto_random(void *buf, size_t len);

/* Constant-time comparison: true when a and b hold the same len bytes. */
bool crypto_memeq(const void *a, const void *b, size_t len);

/* Zeroes memory in a way the compiler may not elide. */
void crypto_wipe(void *buf, size_t len);

/* "GnuTLS 3.7.9" / "OpenSSL 3.0.x": what the backend links, for logs and benchmarks. */
const char *crypto_backend_name(void);

#endif /* ZCVPN_CRYPTO_CRYPTO_H */
