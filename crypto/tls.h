/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A TLS client over a connected TCP socket, for the AnyConnect CSTP (HTTPS) session the
 * driver opens before DTLS: certificate pinning the way openconnect does it, blocking
 * reads and writes bounded by a timeout, and the RFC 5705 exporter that gives the DTLS
 * PSK.  Each backend (crypto/gnutls-tls.c, crypto/openssl-tls.c) implements it, with
 * the library-independent parts in crypto/tls-common.c; callers include only this header.
 *
 * Not on any fast path: CSTP carries the login, the CONNECT exchange and control
 * messages (and data only when DTLS cannot come up).
 */
#ifndef ZCVPN_CRYPTO_TLS_H
#define ZCVPN_CRYPTO_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tls_client_config {
	const char *server_name;	/* SNI and, without a pin, the name to verify */
	/*
	 * "pin-sha256:BASE64": SHA-256 of the server certificate's SubjectPublicKeyInfo,
	 * as openconnect's --servercert takes it.  With a pin the certificate chain is not
	 * checked against CAs (self-signed servers are the point); without one it is
	 * verified against the system's trust store and server_name.
	 */
	const char *pin;
	unsigned timeout_ms;		/* per blocking step (handshake, read, write); 0: 30 s */
};

struct tls_conn;

/*
 * Runs the handshake on fd (connected, blocking or not; the connection owns it from now
 * on and closes it).  On failure returns -ECONNREFUSED (TLS failed), -EACCES (pin or
 * certificate mismatch; the message names the server's actual pin), -ETIMEDOUT,
 * -ENOMEM, and writes a message into errbuf.
 */
int tls_client_new(struct tls_conn **out, int fd, const struct tls_client_config *cfg,
		   char *errbuf, size_t errlen);

/* Sends close_notify (best effort), closes the socket, frees.  Accepts NULL. */
void tls_free(struct tls_conn *c);

/* The socket, for poll(). */
int tls_fd(const struct tls_conn *c);

/* Bytes already decrypted and buffered, which poll() on the socket cannot see. */
size_t tls_pending(const struct tls_conn *c);

/*
 * Reads up to len bytes, waiting at most timeout_ms (0: do not wait).  Returns the count,
 * 0 when the peer closed, -EAGAIN when nothing came in time, or -EIO.
 */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t len, unsigned timeout_ms);

/* Writes all of buf (waiting up to the config's timeout).  0, -ETIMEDOUT or -EIO. */
int tls_write_all(struct tls_conn *c, const void *buf, size_t len);

/* RFC 5705 keying material with no context.  0 or -EIO. */
int tls_export(struct tls_conn *c, const char *label, uint8_t *out, size_t len);

/* "pin-sha256:BASE64" of the server's certificate, for messages.  0 or -EIO. */
int tls_peer_pin(const struct tls_conn *c, char *buf, size_t len);

/* The negotiated protocol and cipher, e.g. "TLS1.3 AES-256-GCM", for logs. */
const char *tls_description(const struct tls_conn *c);

#endif /* ZCVPN_CRYPTO_TLS_H */
