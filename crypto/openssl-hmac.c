/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HMAC for the OpenSSL build, through OpenSSL 3's own EVP_MAC: keyed once in _new();
 * per message EVP_MAC_init() with a NULL key rearms the context with the key it holds.
 *
 * A hand-built RFC 2104 construction over pre-keyed digest contexts measured ~20% faster
 * at 64 bytes (190 vs 234 ns SHA-1) but we keep HMAC itself in the library's hands.
 * Either way libcrypto 3.0 makes two malloc/free pairs per message inside the digest
 * provider; our own code allocates nothing here.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/crypto.h"

struct crypto_hmac {
	EVP_MAC_CTX *ctx;
	size_t len;
};

static const char *digest_name(enum crypto_hmac_alg alg)
{
	switch (alg) {
	case CRYPTO_HMAC_MD5:
		return "MD5";
	case CRYPTO_HMAC_SHA1:
		return "SHA1";
	case CRYPTO_HMAC_SHA256:
		return "SHA256";
	}
	return NULL;
}

int crypto_hmac_new(struct crypto_hmac **out, enum crypto_hmac_alg alg, const uint8_t *key,
		    size_t key_len)
{
	const char *digest = digest_name(alg);
	struct crypto_hmac *hmac;
	OSSL_PARAM params[2];
	EVP_MAC *mac;

	if (!out || !digest || (!key && key_len))
		return -EINVAL;
	hmac = calloc(1, sizeof(*hmac));
	if (!hmac)
		return -ENOMEM;
	hmac->len = crypto_hmac_digest_len(alg);
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	hmac->ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);	/* the context keeps its own reference */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* An empty key is legal HMAC, but OpenSSL wants a non-NULL pointer for it. */
	if (!hmac->ctx ||
	    EVP_MAC_init(hmac->ctx, key ? key : (const uint8_t *)"", key_len, params) != 1) {
		ERR_clear_error();
		crypto_hmac_free(hmac);
		return -EIO;
	}
	*out = hmac;
	return 0;
}

void crypto_hmac_free(struct crypto_hmac *hmac)
{
	if (!hmac)
		return;
	EVP_MAC_CTX_free(hmac->ctx);	/* cleanses the keyed state */
	free(hmac);
}

size_t crypto_hmac_len(const struct crypto_hmac *hmac)
{
	return hmac->len;
}

int crypto_hmac_compute(struct crypto_hmac *hmac, const struct iovec *iov, int iovcnt,
			uint8_t *out)
{
	size_t outl;

	if (!hmac || !out || !crypto_iov_ok(iov, iovcnt))
		return -EINVAL;
	if (EVP_MAC_init(hmac->ctx, NULL, 0, NULL) != 1)
		goto fail;
	for (int i = 0; i < iovcnt; i++)
		if (EVP_MAC_update(hmac->ctx, iov[i].iov_base, iov[i].iov_len) != 1)
			goto fail;
	if (EVP_MAC_final(hmac->ctx, out, &outl, hmac->len) != 1)
		goto fail;
	return 0;

fail:
	ERR_clear_error();	/* the host shares OpenSSL's per-thread error queue */
	return -EIO;
}
