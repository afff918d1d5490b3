/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Between crypto/tls-common.c and the two backends of the CSTP TLS client and server
 * (crypto/gnutls-tls.c, crypto/openssl-tls.c); not for callers, who use crypto/tls.h.
 * tls-common.c holds what does not depend on the library: tls_client_new's and
 * tls_server_new's argument checks and socket setup, reading the server's certificate
 * and key files, deadlines and poll(), and the wording of the messages both backends
 * give, so the two cannot drift apart.
 */
#ifndef ZCVPN_CRYPTO_TLS_INTERNAL_H
#define ZCVPN_CRYPTO_TLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/tls.h"

/* A macro, not an array, so backends can paste it into format strings and sizeof it. */
#define TLS_PIN_PREFIX "pin-sha256:"

enum {
	TLS_DEFAULT_TIMEOUT_MS = 30000,
	TLS_SHA256_LEN = 32,
	TLS_PIN_MAX = 96,		/* "pin-sha256:" + 44 base64 characters, and room */
	TLS_DESC_MAX = 96,
	TLS_CLOSE_NOTIFY_MS = 1000,	/* best effort: a dead peer must not stall tls_free */
	TLS_FILE_MAX = 1 << 20,		/* a PEM certificate chain or key; more is a mistake */
};

/* A certificate or key file's contents, NUL-terminated (len does not count the NUL). */
struct tls_file {
	char *data;
	size_t len;
};

/*
 * The backend's half of tls_client_new, called once the arguments are checked and fd
 * is non-blocking: allocates the connection, runs the handshake within timeout_ms per
 * step and sets *out.  On failure it frees what it made, but not fd (the caller closes
 * that), returns tls_client_new's errno and has written errbuf (never NULL here).
 */
int tls_backend_connect(struct tls_conn **out, int fd, const struct tls_client_config *cfg,
			unsigned timeout_ms, char *errbuf, size_t errlen);

/*
 * The backend's half of tls_server_creds_new, called with both files read (cfg's names
 * are for messages): parses the chain and the key, checks that they belong together,
 * records the leaf's pin and the timeout (never 0 here) and sets *out.  Returns
 * tls_server_creds_new's errno and has written errbuf (never NULL here) on failure.
 */
int tls_backend_creds(struct tls_server_creds **out, const struct tls_server_config *cfg,
		      const struct tls_file *cert, const struct tls_file *key,
		      unsigned timeout_ms, char *errbuf, size_t errlen);

/*
 * The backend's half of tls_server_new, like tls_backend_connect: fd is non-blocking and
 * stays the caller's to close on failure.
 */
int tls_backend_accept(struct tls_conn **out, int fd, const struct tls_server_creds *creds,
		       char *errbuf, size_t errlen);

/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
int64_t tls_now_ms(void);

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -EIO on a poll failure. */
int tls_wait_fd(int fd, short events, int64_t deadline);

/* Whether name is an IPv4 or IPv6 address, which RFC 6066 keeps out of SNI. */
bool tls_is_ip_literal(const char *name);

/* Messages for tls_client_new's failures; each returns the errno that goes with it. */
int tls_err_pin_mismatch(char *errbuf, size_t errlen, const char *peer_pin);
int tls_err_untrusted(char *errbuf, size_t errlen, const char *why, const char *peer_pin);
int tls_err_timeout(char *errbuf, size_t errlen, unsigned timeout_ms);

/* Messages for tls_server_creds_new's refusals, naming the file; each returns -EINVAL. */
int tls_err_file(char *errbuf, size_t errlen, const char *path, const char *why);
int tls_err_key_mismatch(char *errbuf, size_t errlen, const struct tls_server_config *cfg);

/* tls_peer_pin given the connection's recorded pin (empty: none seen). */
/* tls_make_self_signed's arguments, each refused with a message.  0 or -EINVAL. */
int tls_check_self_signed_args(const char *cert_path, const char *key_path, const char *name,
			       unsigned days, char *errbuf, size_t errlen);
/*
 * Writes the key (mode 0600, never over an existing file) and then the certificate.
 * On failure neither file is left behind.  0 or -errno with a message.
 */
int tls_save_key_pair(const char *cert_path, const void *cert, size_t cert_len,
		      const char *key_path, const void *key, size_t key_len, char *errbuf,
		      size_t errlen);
int tls_copy_pin(const char *peer_pin, char *buf, size_t len);

#endif /* ZCVPN_CRYPTO_TLS_INTERNAL_H */
