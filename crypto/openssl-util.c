/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Randomness, constant-time comparison, wiping and the version string (OpenSSL). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

int crypto_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	if (len && !buf)
		return -EINVAL;
	/* RAND_bytes() counts in int. */
	while (len) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1) {
			ERR_clear_error();	/* the host shares OpenSSL's error queue */
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	return !len || CRYPTO_memcmp(a, b, len) == 0;
}

void crypto_wipe(void *buf, size_t len)
{
	if (buf && len)
		OPENSSL_cleanse(buf, len);
}

static char backend_name[64];

static void backend_name_init(void)
{
	/* The library actually loaded, which may be newer than the headers we built with. */
	snprintf(backend_name, sizeof(backend_name), "OpenSSL %s",
		 OpenSSL_version(OPENSSL_VERSION_STRING));
}

const char *crypto_backend_name(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, backend_name_init);
	return backend_name;
}
