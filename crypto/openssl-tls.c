/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CSTP TLS client and server (crypto/tls.h) through OpenSSL (libssl 3.0).  The server
 * certificate is checked in one certificate verify callback for both modes: with a pin,
 * the SHA-256 of the leaf's SubjectPublicKeyInfo must match and no CA is consulted;
 * without one, X509_verify_cert runs against the default trust store with the host (or
 * IP) check that the SSL's verify parameters carry.  Either way the callback records the
 * server's pin first, so every failure message can name it.
 *
 * The socket is switched to non-blocking and every blocking step (handshake, read,
 * write) is a loop of SSL calls and poll() against one deadline.  The library talks to
 * the socket through a small BIO of our own, because the stock socket BIO uses write(),
 * and a peer that resets would then kill the process with SIGPIPE.
 *
 * The server's credentials are an SSL_CTX (certificate chain, key, protocol settings)
 * and that BIO method, made once and only read afterwards, so every connection, in any
 * thread, shares them; SSL_new takes its own reference to the context.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto/tls-internal.h"
#include "crypto/tls.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "crypto/openssl-tls.c needs OpenSSL >= 3.0"
#endif

struct tls_server_creds {
	SSL_CTX *ctx;
	BIO_METHOD *meth;
	unsigned timeout_ms;
	char pin[TLS_PIN_MAX];
};

struct tls_conn {
	SSL_CTX *ctx;			/* NULL on a server's: the credentials' */
	SSL *ssl;
	BIO_METHOD *meth;		/* likewise */
	bool server;
	int fd;
	unsigned timeout_ms;
	const char *pin;		/* the caller's, valid only during tls_client_new */
	bool pin_mismatch;
	long verify_err;		/* X509_V_ERR_*, X509_V_OK when not (yet) failed */
	bool renegotiating;		/* tls_rekey began a TLS 1.2 renegotiation */
	bool established;		/* a later handshake is a renegotiation */
	char peer_pin[TLS_PIN_MAX];	/* empty until the verify callback has seen a cert */
	char desc[TLS_DESC_MAX];
};

/* ---- waiting ---------------------------------------------------------------------- */

/*
 * After an SSL call returned ret: 1 when it should simply be retried once the socket is
 * ready (which this waits for), 0 on timeout, -EIO for a real failure.  The library may
 * want to write during a read (a TLS 1.3 key update answer) or the other way round, so
 * the direction comes from SSL_get_error, not from the call.
 */
static int wait_ssl(struct tls_conn *c, int ret, int64_t deadline)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return tls_wait_fd(c->fd, POLLIN, deadline);
	case SSL_ERROR_WANT_WRITE:
		return tls_wait_fd(c->fd, POLLOUT, deadline);
	default:
		return -EIO;
	}
}

/* ---- the socket BIO --------------------------------------------------------------- */

static int bio_write(BIO *b, const char *buf, int len)
{
	ssize_t n;

	BIO_clear_retry_flags(b);
	do {
		n = send((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return n < 0 ? -1 : (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	ssize_t n;

	BIO_clear_retry_flags(b);
	do {
		n = recv((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	return n < 0 ? -1 : (int)n;
}

static int bio_puts(BIO *b, const char *str)
{
	return bio_write(b, str, (int)strlen(str));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	/* Nothing is buffered here; everything else is "not supported". */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* The socket is the connection's to close, not the BIO's. */
static int bio_destroy(BIO *b)
{
	BIO_set_data(b, NULL);
	return 1;
}

static BIO_METHOD *bio_method_new(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "zcvpn tcp");

	if (!m)
		return NULL;
	if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_puts(m, bio_puts) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
	    !BIO_meth_set_create(m, bio_create) || !BIO_meth_set_destroy(m, bio_destroy)) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* ---- the pin ---------------------------------------------------------------------- */

/* "pin-sha256:" + base64(SHA-256(DER SubjectPublicKeyInfo)) of a certificate. */
static int cert_pin(X509 *crt, char *out, size_t outlen)
{
	unsigned char *spki = NULL;
	unsigned char digest[TLS_SHA256_LEN];
	unsigned char b64[4 * ((TLS_SHA256_LEN + 2) / 3) + 1];
	int len, ret = -EIO;

	len = i2d_PUBKEY(X509_get0_pubkey(crt), &spki);
	if (len <= 0)
		goto cleanup;
	if (!EVP_Digest(spki, (size_t)len, digest, NULL, EVP_sha256(), NULL))
		goto cleanup;
	if (EVP_EncodeBlock(b64, digest, sizeof(digest)) <= 0)
		goto cleanup;
	if (snprintf(out, outlen, TLS_PIN_PREFIX "%s", (const char *)b64) >= (int)outlen)
		goto cleanup;
	ret = 0;
cleanup:
	OPENSSL_free(spki);
	return ret;
}

/*
 * Replaces the library's chain verification (SSL_CTX_set_cert_verify_callback): 1
 * accepts, 0 aborts the handshake.  The fields set here tell tls_client_new which
 * message and errno to give.
 */
static int cert_verify_cb(X509_STORE_CTX *xctx, void *arg)
{
	struct tls_conn *c = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xctx);
	char pin[TLS_PIN_MAX];
	int ret;

	if (c->established) {
		/* A renegotiation: the server keeps the key it was accepted with. */
		if (leaf && !cert_pin(leaf, pin, sizeof(pin)) && !strcmp(pin, c->peer_pin))
			return 1;
		X509_STORE_CTX_set_error(xctx, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	if (!leaf || cert_pin(leaf, c->peer_pin, sizeof(c->peer_pin))) {
		c->peer_pin[0] = '\0';
		X509_STORE_CTX_set_error(xctx, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (c->pin) {
		/* A public value: no need for a constant-time compare. */
		c->pin_mismatch = strcmp(c->pin, c->peer_pin) != 0;
		if (c->pin_mismatch)
			X509_STORE_CTX_set_error(xctx, X509_V_ERR_CERT_REJECTED);
		return !c->pin_mismatch;
	}
	/* The store context already carries the SSL's parameters, host check included. */
	ret = X509_verify_cert(xctx);
	if (ret <= 0) {
		c->verify_err = X509_STORE_CTX_get_error(xctx);
		if (c->verify_err == X509_V_OK)
			c->verify_err = X509_V_ERR_UNSPECIFIED;
		return 0;
	}
	return 1;
}

/* ---- setup ------------------------------------------------------------------------ */

/*
 * The last queued OpenSSL error as text, and the queue cleared.  An empty queue means the
 * failure was the socket's (SSL_ERROR_SYSCALL), which errno or an EOF explains; server
 * says which end an EOF came from.
 */
static const char *ssl_err_text(char *buf, size_t len, int sys_errno, bool server)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, len);
	else if (sys_errno)
		snprintf(buf, len, "%s", strerror(sys_errno));
	else
		snprintf(buf, len, "the %s closed the connection", server ? "client" : "server");
	ERR_clear_error();
	return buf;
}

static int session_setup(struct tls_conn *c, const struct tls_client_config *cfg,
			 char *errbuf, size_t errlen)
{
	char etxt[256];
	BIO *bio;
	bool ip = cfg->server_name && tls_is_ip_literal(cfg->server_name);

	c->meth = bio_method_new();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->meth || !c->ctx)
		goto nomem;
	if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
		goto fail;
	if (!cfg->pin && !SSL_CTX_set_default_verify_paths(c->ctx)) {
		snprintf(errbuf, errlen, "no system trust store: %s",
			 ssl_err_text(etxt, sizeof(etxt), 0, false));
		return -EACCES;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(c->ctx, cert_verify_cb, c);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl)
		goto nomem;
	/* RFC 6066 forbids an IP address as a server name. */
	if (cfg->server_name && !ip && !SSL_set_tlsext_host_name(c->ssl, cfg->server_name))
		goto fail;
	if (!cfg->pin) {
		if (ip ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
							cfg->server_name) :
			 !SSL_set1_host(c->ssl, cfg->server_name))
			goto fail;
	}
	bio = BIO_new(c->meth);
	if (!bio)
		goto nomem;
	BIO_set_data(bio, (void *)(intptr_t)c->fd);
	SSL_set_bio(c->ssl, bio, bio);
	return 0;
nomem:
	ERR_clear_error();
	snprintf(errbuf, errlen, "TLS setup: out of memory");
	return -ENOMEM;
fail:
	snprintf(errbuf, errlen, "TLS setup: %s", ssl_err_text(etxt, sizeof(etxt), 0, false));
	return -EIO;
}

/* Turns a failed handshake into the contract's errno and a message. */
static int handshake_error(struct tls_conn *c, int sys_errno, char *errbuf, size_t errlen)
{
	char etxt[256];

	if (c->pin_mismatch) {
		ERR_clear_error();
		return tls_err_pin_mismatch(errbuf, errlen, c->peer_pin);
	}
	if (c->verify_err != X509_V_OK) {
		ERR_clear_error();
		return tls_err_untrusted(errbuf, errlen,
					 X509_verify_cert_error_string(c->verify_err), c->peer_pin);
	}
	snprintf(errbuf, errlen, "TLS handshake: %s",
		 ssl_err_text(etxt, sizeof(etxt), sys_errno, c->server));
	return -ECONNREFUSED;
}

static int handshake(struct tls_conn *c, char *errbuf, size_t errlen)
{
	int64_t deadline = tls_now_ms() + c->timeout_ms;
	int ret, w, err;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		ret = c->server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
		if (ret == 1)
			return 0;
		err = errno;
		w = wait_ssl(c, ret, deadline);
		if (w < 0)
			return handshake_error(c, err, errbuf, errlen);
		if (!w)
			return tls_err_timeout(errbuf, errlen, c->timeout_ms);
	}
}

static void describe(struct tls_conn *c)
{
	const char *ver = SSL_get_version(c->ssl);
	const char *cipher = SSL_get_cipher_name(c->ssl);

	/* "TLSv1.3" as GnuTLS spells it, "TLS1.3", so logs read the same on both. */
	if (!strncmp(ver, "TLSv", 4))
		snprintf(c->desc, sizeof(c->desc), "TLS%s %s", ver + 4, cipher);
	else
		snprintf(c->desc, sizeof(c->desc), "%s %s", ver, cipher);
}

int tls_backend_connect(struct tls_conn **out, int fd, const struct tls_client_config *cfg,
			unsigned timeout_ms, char *errbuf, size_t errlen)
{
	struct tls_conn *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->pin = cfg->pin;
	c->verify_err = X509_V_OK;
	ret = session_setup(c, cfg, errbuf, errlen);
	if (ret)
		goto fail;
	ret = handshake(c, errbuf, errlen);
	if (ret)
		goto fail;
	/* The caller's string need not outlive this call. */
	c->pin = NULL;
	c->established = true;
	describe(c);
	*out = c;
	return 0;
fail:
	/* fd is not ours to close here: tls_client_new does that. */
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	BIO_meth_free(c->meth);
	free(c);
	return ret;
}

void tls_free(struct tls_conn *c)
{
	int64_t deadline;
	int ret;

	if (!c)
		return;
	/* One close_notify; the peer's answer is not worth waiting for. */
	deadline = tls_now_ms() + TLS_CLOSE_NOTIFY_MS;
	do {
		ERR_clear_error();
		ret = SSL_shutdown(c->ssl);
	} while (ret < 0 && SSL_get_error(c->ssl, ret) == SSL_ERROR_WANT_WRITE &&
		 tls_wait_fd(c->fd, POLLOUT, deadline) > 0);
	ERR_clear_error();
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	BIO_meth_free(c->meth);
	close(c->fd);
	free(c);
}

int tls_fd(const struct tls_conn *c)
{
	return c ? c->fd : -1;
}

size_t tls_pending(const struct tls_conn *c)
{
	int n = c ? SSL_pending(c->ssl) : 0;

	return n > 0 ? (size_t)n : 0;
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len, unsigned timeout_ms)
{
	int64_t deadline;
	size_t got;
	int ret, w;

	if (!c || (!buf && len))
		return -EINVAL;
	if (!len)
		return 0;
	deadline = tls_now_ms() + timeout_ms;
	for (;;) {
		ERR_clear_error();
		ret = SSL_read_ex(c->ssl, buf, len, &got);
		if (ret == 1)
			return (ssize_t)got;
		/*
		 * Only a close_notify is a clean 0.  A TCP close without one (OpenSSL 3's
		 * "unexpected eof") may have truncated the data, so it is -EIO.
		 */
		if (SSL_get_error(c->ssl, ret) == SSL_ERROR_ZERO_RETURN)
			return 0;
		/* WANT_READ also follows a TLS 1.3 session ticket, which carries no data. */
		w = wait_ssl(c, ret, deadline);
		if (w < 0) {
			ERR_clear_error();
			return -EIO;
		}
		if (!w)
			return -EAGAIN;
	}
}

int tls_write_all(struct tls_conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int64_t deadline;
	size_t done;
	int ret, w;

	if (!c || (!buf && len))
		return -EINVAL;
	deadline = tls_now_ms() + c->timeout_ms;
	while (len) {
		/* After WANT_* OpenSSL wants the same arguments again: p and len stay put. */
		ERR_clear_error();
		ret = SSL_write_ex(c->ssl, p, len, &done);
		if (ret == 1) {
			p += done;
			len -= done;
			continue;
		}
		w = wait_ssl(c, ret, deadline);
		if (w < 0) {
			ERR_clear_error();
			return -EIO;
		}
		if (!w)
			return -ETIMEDOUT;
	}
	return 0;
}

ssize_t tls_write_nowait(struct tls_conn *c, const void *buf, size_t len)
{
	size_t done = 0;
	int ret, err;

	if (!c || !buf || !len)
		return -EINVAL;
	ERR_clear_error();
	ret = SSL_write_ex(c->ssl, buf, len, &done);
	if (ret == 1)
		return (ssize_t)done;
	err = SSL_get_error(c->ssl, ret);
	ERR_clear_error();
	return err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ ? -EAGAIN : -EIO;
}

/* TLS 1.3: our KeyUpdate, asking for the peer's; a handshake step sends it at once. */
static ssize_t key_update(struct tls_conn *c)
{
	int64_t deadline = tls_now_ms() + c->timeout_ms;
	int ret;

	ERR_clear_error();
	if (!SSL_key_update(c->ssl, SSL_KEY_UPDATE_REQUESTED))
		goto fail;
	while ((ret = SSL_do_handshake(c->ssl)) != 1)
		if (wait_ssl(c, ret, deadline) <= 0)
			goto fail;
	return 0;
fail:
	ERR_clear_error();
	return -EIO;
}

/* The renegotiation is over when OpenSSL no longer has one pending. */
static ssize_t renegotiated(struct tls_conn *c)
{
	if (SSL_renegotiate_pending(c->ssl))
		return -EAGAIN;
	c->renegotiating = false;
	describe(c);
	return 0;
}

ssize_t tls_rekey(struct tls_conn *c, void *buf, size_t len)
{
	size_t got;
	int ret;

	if (!c || !buf || !len)
		return -EINVAL;
	if (SSL_version(c->ssl) == TLS1_3_VERSION)
		return key_update(c);
	ERR_clear_error();
	if (!c->renegotiating) {
		/* TLS 1.2: SSL_renegotiate schedules it, the handshake step sends our hello. */
		if (!SSL_renegotiate(c->ssl)) {
			ERR_clear_error();
			return -EOPNOTSUPP;
		}
		c->renegotiating = true;
		ret = SSL_do_handshake(c->ssl);
		/* A wait of no time: only to tell a WANT_* from a failure. */
		if (ret != 1 && wait_ssl(c, ret, tls_now_ms()) < 0)
			goto fail;
		return renegotiated(c);
	}
	/* The rest of it happens inside SSL_read, which also returns data sent before. */
	ret = SSL_read_ex(c->ssl, buf, len, &got);
	if (ret == 1)
		return (ssize_t)got;
	if (wait_ssl(c, ret, tls_now_ms()) < 0)
		goto fail;
	return renegotiated(c);
fail:
	c->renegotiating = false;
	ERR_clear_error();
	return -EIO;
}

int tls_export(struct tls_conn *c, const char *label, uint8_t *out, size_t len)
{
	/* use_context = 0, not an empty context: ocserv derives the DTLS PSK that way. */
	if (!c || !label || !out || !len)
		return -EIO;
	if (SSL_export_keying_material(c->ssl, out, len, label, strlen(label), NULL, 0,
				       0) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

int tls_peer_pin(const struct tls_conn *c, char *buf, size_t len)
{
	if (c && c->server)
		return -ENOTSUP;
	return c ? tls_copy_pin(c->peer_pin, buf, len) : -EIO;
}

const char *tls_description(const struct tls_conn *c)
{
	return c ? c->desc : "";
}

/* ---- the server role -------------------------------------------------------------- */

/* For PEM reads: an encrypted key fails instead of OpenSSL asking on the terminal. */
static int no_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Whether the PEM read that just returned NULL did so only because the text ended. */
static bool pem_at_end(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/*
 * The chain, leaf first, from cert_file's text into ctx; *leaf is the leaf (the
 * context's reference).  0 or a tls_server_creds_new errno.
 */
static int load_chain(SSL_CTX *ctx, X509 **leaf, const struct tls_file *f, const char *path,
		      char *errbuf, size_t errlen)
{
	char etxt[256], why[320];
	BIO *bio;
	X509 *x, *prev;
	int ret;

	*leaf = NULL;
	bio = BIO_new_mem_buf(f->data, (int)f->len);
	if (!bio)
		goto nomem;
	x = PEM_read_bio_X509(bio, NULL, no_password_cb, NULL);
	if (!x) {
		snprintf(why, sizeof(why), "no PEM certificate (%s)",
			 pem_at_end() ? "none found" : ssl_err_text(etxt, sizeof(etxt), 0, true));
		ret = tls_err_file(errbuf, errlen, path, why);
		goto cleanup;
	}
	/* SSL_CTX_use_certificate takes a reference of its own. */
	ret = SSL_CTX_use_certificate(ctx, x);
	X509_free(x);
	if (ret != 1) {
		snprintf(why, sizeof(why), "unusable as a server certificate (%s)",
			 ssl_err_text(etxt, sizeof(etxt), 0, true));
		ret = tls_err_file(errbuf, errlen, path, why);
		goto cleanup;
	}
	*leaf = prev = SSL_CTX_get0_certificate(ctx);
	while ((x = PEM_read_bio_X509(bio, NULL, no_password_cb, NULL))) {
		/* Each certificate must be issued by the next: the order a server presents. */
		if (X509_check_issued(x, prev) != X509_V_OK) {
			X509_free(x);
			ret = tls_err_file(errbuf, errlen, path, "certificates not in order "
					   "(the leaf first, then its issuers)");
			goto cleanup;
		}
		/* add0: the context owns x from here, also when this fails. */
		if (!SSL_CTX_add0_chain_cert(ctx, x)) {
			X509_free(x);
			goto nomem;
		}
		prev = x;
	}
	if (!pem_at_end()) {
		snprintf(why, sizeof(why), "a broken certificate after the first (%s)",
			 ssl_err_text(etxt, sizeof(etxt), 0, true));
		ret = tls_err_file(errbuf, errlen, path, why);
		goto cleanup;
	}
	ERR_clear_error();
	ret = 0;
	goto cleanup;
nomem:
	ERR_clear_error();
	snprintf(errbuf, errlen, "out of memory");
	ret = -ENOMEM;
cleanup:
	BIO_free(bio);
	return ret;
}

/* The key from key_file's text into ctx, checked against leaf.  0 or an errno. */
static int load_key(SSL_CTX *ctx, X509 *leaf, const struct tls_file *f,
		    const struct tls_server_config *cfg, char *errbuf, size_t errlen)
{
	char etxt[256], why[320];
	EVP_PKEY *pk = NULL;
	BIO *bio;
	int ret;

	/* Read in place: no copy of the key's bytes but OpenSSL's own. */
	bio = BIO_new_mem_buf(f->data, (int)f->len);
	if (!bio) {
		ERR_clear_error();
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, no_password_cb, NULL);
	if (!pk) {
		snprintf(why, sizeof(why), "not an unencrypted PEM private key (%s)",
			 ssl_err_text(etxt, sizeof(etxt), 0, true));
		ret = tls_err_file(errbuf, errlen, cfg->key_file, why);
		goto cleanup;
	}
	if (X509_check_private_key(leaf, pk) != 1) {
		ERR_clear_error();
		ret = tls_err_key_mismatch(errbuf, errlen, cfg);
		goto cleanup;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pk) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(why, sizeof(why), "unusable as a server key (%s)",
			 ssl_err_text(etxt, sizeof(etxt), 0, true));
		ret = tls_err_file(errbuf, errlen, cfg->key_file, why);
		goto cleanup;
	}
	ret = 0;
cleanup:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return ret;
}

int tls_backend_creds(struct tls_server_creds **out, const struct tls_server_config *cfg,
		      const struct tls_file *cert, const struct tls_file *key,
		      unsigned timeout_ms, char *errbuf, size_t errlen)
{
	struct tls_server_creds *c;
	char etxt[256];
	X509 *leaf;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	c->timeout_ms = timeout_ms;
	c->meth = bio_method_new();
	c->ctx = SSL_CTX_new(TLS_server_method());
	if (!c->meth || !c->ctx) {
		ERR_clear_error();
		snprintf(errbuf, errlen, "TLS server setup: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	/*
	 * The library's default ciphers and groups in the server's order, nothing older
	 * than TLS 1.2, no renegotiation, and no resumption: no tickets (so no ticket key
	 * to keep) and no session cache.  DHE with the library's built-in groups, for the
	 * rare TLS 1.2 client without ECDHE.
	 */
	if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_num_tickets(c->ctx, 0) || !SSL_CTX_set_dh_auto(c->ctx, 1)) {
		snprintf(errbuf, errlen, "TLS server setup: %s",
			 ssl_err_text(etxt, sizeof(etxt), 0, true));
		ret = -EIO;
		goto fail;
	}
	SSL_CTX_set_options(c->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET |
				    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	ret = load_chain(c->ctx, &leaf, cert, cfg->cert_file, errbuf, errlen);
	if (ret)
		goto fail;
	ret = load_key(c->ctx, leaf, key, cfg, errbuf, errlen);
	if (ret)
		goto fail;
	if (cert_pin(leaf, c->pin, sizeof(c->pin))) {
		ERR_clear_error();
		ret = tls_err_file(errbuf, errlen, cfg->cert_file, "cannot hash its public key");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	tls_server_creds_free(c);
	return ret;
}

void tls_server_creds_free(struct tls_server_creds *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	BIO_meth_free(c->meth);
	free(c);
}

int tls_server_creds_pin(const struct tls_server_creds *c, char *buf, size_t len)
{
	return c ? tls_copy_pin(c->pin, buf, len) : -EIO;
}

int tls_backend_accept(struct tls_conn **out, int fd, const struct tls_server_creds *creds,
		       char *errbuf, size_t errlen)
{
	struct tls_conn *c;
	BIO *bio;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	c->fd = fd;
	c->server = true;
	c->timeout_ms = creds->timeout_ms;
	c->verify_err = X509_V_OK;
	c->ssl = SSL_new(creds->ctx);
	bio = c->ssl ? BIO_new(creds->meth) : NULL;
	if (!bio) {
		ERR_clear_error();
		snprintf(errbuf, errlen, "TLS setup: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	BIO_set_data(bio, (void *)(intptr_t)c->fd);
	SSL_set_bio(c->ssl, bio, bio);
	ret = handshake(c, errbuf, errlen);
	if (ret)
		goto fail;
	describe(c);
	*out = c;
	return 0;
fail:
	/* fd is not ours to close here: tls_server_new does that. */
	SSL_free(c->ssl);
	free(c);
	return ret;
}
