/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The GnuTLS half of CERT-mode credentials (crypto/gnutls-dtls-cert.c), for the session
 * code in crypto/gnutls-dtls.c: hooking a session to shared credentials, and the
 * verdict on the certificate a server presented.  Internal to the GnuTLS backend.
 */
#ifndef ZCVPN_CRYPTO_GNUTLS_DTLS_CERT_H
#define ZCVPN_CRYPTO_GNUTLS_DTLS_CERT_H

#include <gnutls/gnutls.h>

#include "crypto/dtls-cert.h"

/*
 * Gives tls the certificate credentials (borrowed: they must outlive the session) and,
 * for a client with a host name that is not an IP literal, sends that name as SNI.
 * Returns 0 or a GnuTLS error code.
 */
int dtls_cert_session_setup(gnutls_session_t tls, const struct dtls_credentials *creds);

/*
 * For a client's verify callback, in the handshake: the verdict on the chain the server
 * sent, by the pin and/or the CA of creds (both must hold when both are set).
 */
enum dtls_cert_verdict dtls_cert_verify(gnutls_session_t tls,
					const struct dtls_credentials *creds);

#endif /* ZCVPN_CRYPTO_GNUTLS_DTLS_CERT_H */
