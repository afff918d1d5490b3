/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Randomness, constant-time comparison, wiping and the version string (GnuTLS + nettle). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/memops.h>
#include <nettle/version.h>

#include "crypto/crypto.h"

/*
 * GNUTLS_RND_RANDOM is GnuTLS's level for session keys; IVs and SPIs need no more, and
 * long-term keys are not made here.
 */
int crypto_random(void *buf, size_t len)
{
	if (!len)
		return 0;
	if (!buf)
		return -EINVAL;
	return gnutls_rnd(GNUTLS_RND_RANDOM, buf, len) < 0 ? -EIO : 0;
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	return !len || memeql_sec(a, b, len);
}

void crypto_wipe(void *buf, size_t len)
{
	if (buf && len)
		gnutls_memset(buf, 0, len);
}

static char backend_name[64];

static void backend_name_init(void)
{
	/* The versions actually loaded, which may be newer than the headers we built with. */
	snprintf(backend_name, sizeof(backend_name), "GnuTLS %s + nettle %d.%d",
		 gnutls_check_version(NULL), nettle_version_major(), nettle_version_minor());
}

const char *crypto_backend_name(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, backend_name_init);
	return backend_name;
}
