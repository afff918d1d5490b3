/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Facts about the algorithms that do not depend on the backend; linked by both builds. */
#include "config.h"

#include "crypto/crypto.h"

size_t crypto_cipher_key_len(enum crypto_cipher cipher)
{
	switch (cipher) {
	case CRYPTO_AES128_GCM:
	case CRYPTO_AES128_CBC:
		return 16;
	case CRYPTO_AES256_GCM:
	case CRYPTO_AES256_CBC:
		return 32;
	}
	/* An out-of-range value then fails every key length check with -EINVAL. */
	return 0;
}

size_t crypto_hmac_digest_len(enum crypto_hmac_alg alg)
{
	switch (alg) {
	case CRYPTO_HMAC_MD5:
		return 16;
	case CRYPTO_HMAC_SHA1:
		return 20;
	case CRYPTO_HMAC_SHA256:
		return 32;
	}
	return 0;
}

bool crypto_cipher_is_gcm(enum crypto_cipher cipher)
{
	return cipher == CRYPTO_AES128_GCM || cipher == CRYPTO_AES256_GCM;
}

bool crypto_iov_ok(const struct iovec *iov, int iovcnt)
{
	if (iovcnt < 0 || (!iov && iovcnt))
		return false;
	for (int i = 0; i < iovcnt; i++)
		if (!iov[i].iov_base && iov[i].iov_len)
			return false;
	return true;
}
