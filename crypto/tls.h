/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A TLS client over a connected TCP socket, for the AnyConnect CSTP (HTTPS) session the
 * driver opens before DTLS: certificate pinning the way openconnect does it, blocking
 * reads and writes bounded by a timeout, and the RFC 5705 exporter that gives the DTLS
 * PSK.  Each backend (crypto/gnutls-tls.c, crypto/openssl-tls.c) implements it, with
 * the library-independent parts in crypto/tls-common.c; callers include only this header.
 *
 * The server role (`zcvpn serve`, which real clients such as openconnect log in to) is
 * the same connection from the other end: a certificate and key loaded once into
 * credentials every accepted connection shares, then the same reads, writes and
 * exporter, so both ends of a DTLS PSK come from one implementation.
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
/*
 * Writes what the socket takes now, without waiting: the count written (maybe less
 * than len), -EAGAIN when it takes nothing yet, or -EIO.  After -EAGAIN the next call
 * must pass the same bytes and len again (both libraries want their unfinished record
 * back).  For hosts that must keep reading while the peer is slow to read.
 */
ssize_t tls_write_nowait(struct tls_conn *c, const void *buf, size_t len);

/*
 * New keys on an established connection, the client's side of a rekey ("ssl" in
 * AnyConnect's X-CSTP-Rekey-Method): TLS 1.3 a KeyUpdate that asks the peer to update
 * its keys too (done at once); TLS 1.2 a renegotiation, driven by further calls.  Never
 * blocks.  0: done; -EAGAIN: under way, call again when the socket is readable; n > 0:
 * n bytes of application data that arrived meanwhile are in buf (the stream's next
 * bytes: take them, then call again); -EOPNOTSUPP: the peer refused to renegotiate (the
 * connection still works, on the old keys); -EIO.  Under way, nothing else may read or
 * write the connection.
 */
ssize_t tls_rekey(struct tls_conn *c, void *buf, size_t len);

/* RFC 5705 keying material with no context.  0 or -EIO. */
int tls_export(struct tls_conn *c, const char *label, uint8_t *out, size_t len);

/*
 * "pin-sha256:BASE64" of the server's certificate, for messages.  0 or -EIO; -ENOTSUP on
 * a server's own connection (tls_server_creds_pin has its pin).
 */
int tls_peer_pin(const struct tls_conn *c, char *buf, size_t len);

/* The negotiated protocol and cipher, e.g. "TLS1.3 AES-256-GCM", for logs. */
const char *tls_description(const struct tls_conn *c);

/* ---- the server role -------------------------------------------------------------- */

/*
 * A fresh ECDSA P-256 key and a certificate for name (its CN and subjectAltName: an
 * address literal as an IP entry), signed by itself, valid for days days: PEM files,
 * the key at key_path with mode 0600 (an existing file is never overwritten), the
 * certificate at cert_path.  For a server without a certificate of its own: clients
 * take it by its pin.  0, or -EINVAL / -EEXIST / -errno with a message in errbuf.
 */
int tls_make_self_signed(const char *cert_path, const char *key_path, const char *name,
			 unsigned days, char *errbuf, size_t errlen);

struct tls_server_config {
	const char *cert_file;	/* PEM chain, leaf first */
	const char *key_file;	/* PEM private key (unencrypted) */
	unsigned timeout_ms;	/* per blocking step (handshake, read, write); 0: 30 s */
};

/* Loaded once, shared by every connection (read-only after, so by threads too). */
struct tls_server_creds;

/*
 * Reads and checks the certificate chain and key.  -EINVAL when a file is unreadable,
 * holds no usable certificate or unencrypted key, or the key is not the certificate's
 * (the message names the file; never the key's contents), -ENOMEM, -EIO.
 */
int tls_server_creds_new(struct tls_server_creds **out, const struct tls_server_config *cfg,
			 char *errbuf, size_t errlen);

/* Accepts NULL.  Only once every connection made with them is freed. */
void tls_server_creds_free(struct tls_server_creds *c);

/*
 * "pin-sha256:BASE64" of the server's own certificate, what a client passes to
 * openconnect's --servercert.  0, or -EIO (buf too small).
 */
int tls_server_creds_pin(const struct tls_server_creds *c, char *buf, size_t len);

/*
 * Runs the server handshake on an accepted fd (blocking or not; the connection owns it
 * from now on and closes it, also on failure), TLS 1.2 or 1.3 with the library's default
 * secure choices, no client certificate and no session resumption.  On failure returns
 * -ECONNREFUSED (not TLS, or TLS failed), -ETIMEDOUT (the client stalled), -ENOMEM,
 * -EINVAL, -EIO (the library's setup), and writes a message into errbuf.  The connection then works with every
 * tls_conn function above; tls_peer_pin gives -ENOTSUP (a client has no certificate).
 */
int tls_server_new(struct tls_conn **out, int fd, const struct tls_server_creds *creds,
		   char *errbuf, size_t errlen);

#endif /* ZCVPN_CRYPTO_TLS_H */
