/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Version and build facts reported through the public API. */
#include "config.h"

#include "src/zcvpn.h"

ZCVPN_EXPORT const char *zcvpn_version(void)
{
	return PACKAGE_VERSION;
}

ZCVPN_EXPORT const char *zcvpn_crypto_backend(void)
{
#if defined(ZCVPN_CRYPTO_GNUTLS)
	return "GnuTLS";
#else
	return "OpenSSL";
#endif
}
