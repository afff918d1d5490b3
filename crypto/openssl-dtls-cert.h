/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenSSL half of CERT-mode credentials (crypto/openssl-dtls-cert.c), for the
 * session code in crypto/openssl-dtls.c: putting shared credentials on a session's
 * SSL_CTX and SSL, and the verdict on the chain a server presented.  Internal to the
 * OpenSSL backend.
 */
#ifndef ZCVPN_CRYPTO_OPENSSL_DTLS_CERT_H
#define ZCVPN_CRYPTO_OPENSSL_DTLS_CERT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "crypto/dtls-cert.h"

/*
 * Server: the certificate, its chain and key on ctx.  Client: the CA (if any) as ctx's
 * verify store.  ctx takes its own references, so creds may go once ctx has.
 * Returns 0, -ENOMEM or -EIO.
 */
int dtls_cert_ctx_setup(SSL_CTX *ctx, const struct dtls_credentials *creds);

/*
 * Client: SNI for a host name that is not an IP literal, and (with a CA) the name or
 * address the chain check in dtls_cert_verify must find.  Returns 0 or -EIO.
 */
int dtls_cert_ssl_setup(SSL *ssl, const struct dtls_credentials *creds);

/*
 * For a client's SSL_CTX_set_cert_verify_callback, in the handshake: the verdict on the
 * chain in xctx (leaf and what the server sent), by the pin and/or the CA of creds
 * (both must hold when both are set).  Leaves xctx's error set to match.
 */
enum dtls_cert_verdict dtls_cert_verify(X509_STORE_CTX *xctx,
					const struct dtls_credentials *creds);

#endif /* ZCVPN_CRYPTO_OPENSSL_DTLS_CERT_H */
