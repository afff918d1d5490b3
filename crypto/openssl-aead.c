/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AES-GCM in place through OpenSSL's EVP.  The context is keyed once in _new(); per packet
 * EVP_CipherInit_ex() with NULL cipher and key sets only the nonce and the direction,
 * which GCM may switch freely because both directions use the same AES key schedule.
 * No call on the packet path allocates (checked with a counting malloc on 3.0).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

struct crypto_aead {
	EVP_CIPHER_CTX *ctx;
};

int crypto_aead_new(struct crypto_aead **out, enum crypto_cipher cipher, const uint8_t *key,
		    size_t key_len)
{
	const EVP_CIPHER *evp;
	struct crypto_aead *aead;

	if (!out || !key || !crypto_cipher_is_gcm(cipher) ||
	    key_len != crypto_cipher_key_len(cipher))
		return -EINVAL;
	evp = cipher == CRYPTO_AES128_GCM ? EVP_aes_128_gcm() : EVP_aes_256_gcm();

	aead = calloc(1, sizeof(*aead));
	if (!aead)
		return -ENOMEM;
	aead->ctx = EVP_CIPHER_CTX_new();
	if (!aead->ctx)
		goto nomem;
	/* The default IV length is the 12 bytes we use. */
	if (EVP_CipherInit_ex(aead->ctx, evp, NULL, key, NULL, 1) != 1)
		goto fail;
	*out = aead;
	return 0;

fail:
	ERR_clear_error();
	crypto_aead_free(aead);
	return -EIO;
nomem:
	crypto_aead_free(aead);
	return -ENOMEM;
}

void crypto_aead_free(struct crypto_aead *aead)
{
	if (!aead)
		return;
	EVP_CIPHER_CTX_free(aead->ctx);	/* cleanses the key schedule */
	free(aead);
}

static bool aead_args_ok(const struct crypto_aead *aead, const uint8_t *nonce,
			 const uint8_t *aad, size_t aad_len, const uint8_t *buf, size_t len,
			 const uint8_t *tag)
{
	return aead && nonce && tag && (aad || !aad_len) && (buf || !len) &&
	       aad_len <= INT_MAX && len <= INT_MAX;
}

/*
 * Failures leave an entry on OpenSSL's per-thread error queue; the host application
 * (OpenConnect) shares that queue and would read it as an error of its own TLS session.
 */
static int lib_failed(void)
{
	ERR_clear_error();
	return -EIO;
}

/* Sets the nonce and feeds the AAD and the payload; the caller finishes with the tag. */
static int gcm_run(EVP_CIPHER_CTX *ctx, const uint8_t *nonce, const uint8_t *aad,
		   size_t aad_len, uint8_t *buf, size_t len, int enc)
{
	int outl;

	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc) != 1)
		return -EIO;
	if (aad_len && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	/* GCM is a stream mode: all of buf comes out of Update, Final adds nothing. */
	if (len && (EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) != 1 || outl != (int)len))
		return -EIO;
	return 0;
}

int crypto_aead_seal(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
		     uint8_t tag[CRYPTO_GCM_TAG_LEN])
{
	uint8_t none[CRYPTO_AES_BLOCK];
	int outl;

	if (!aead_args_ok(aead, nonce, aad, aad_len, buf, len, tag))
		return -EINVAL;
	if (gcm_run(aead->ctx, nonce, aad, aad_len, buf, len, 1) ||
	    EVP_CipherFinal_ex(aead->ctx, none, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(aead->ctx, EVP_CTRL_AEAD_GET_TAG, CRYPTO_GCM_TAG_LEN, tag) != 1)
		return lib_failed();
	return 0;
}

int crypto_aead_open(struct crypto_aead *aead, const uint8_t nonce[CRYPTO_GCM_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
		     const uint8_t tag[CRYPTO_GCM_TAG_LEN])
{
	uint8_t none[CRYPTO_AES_BLOCK];
	int outl;

	if (!aead_args_ok(aead, nonce, aad, aad_len, buf, len, tag))
		return -EINVAL;
	/* SET_TAG copies the tag; the ctrl prototype just has no const. */
	if (gcm_run(aead->ctx, nonce, aad, aad_len, buf, len, 0) ||
	    EVP_CIPHER_CTX_ctrl(aead->ctx, EVP_CTRL_AEAD_SET_TAG, CRYPTO_GCM_TAG_LEN,
				(void *)tag) != 1)
		return lib_failed();
	/* Final compares the tag: a mismatch is the packet's fault, not the library's. */
	if (EVP_CipherFinal_ex(aead->ctx, none, &outl) != 1) {
		ERR_clear_error();
		return -EBADMSG;
	}
	return 0;
}
