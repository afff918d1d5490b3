/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CSTP TLS client and server (crypto/tls.h) through GnuTLS.  The client checks the
 * server certificate in one verify callback for both modes: with a pin, the SHA-256 of
 * the leaf's SubjectPublicKeyInfo must match and no CA is consulted; without one, the
 * chain goes through the system trust store and the server name.  Either way the
 * callback records the server's pin first, so every failure message can name it.
 *
 * The socket is switched to non-blocking and every blocking step (handshake, read,
 * write) is a loop of GnuTLS calls and poll() against one deadline, so no step can hang
 * past its timeout however the peer behaves.
 *
 * The server's credentials (certificate chain, key and priority cache) are made once and
 * only read afterwards, so every connection, in any thread, shares them; a server's
 * connection is a client's with no verify callback and no credentials of its own.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "crypto/tls-internal.h"
#include "crypto/tls.h"

/*
 * ocserv's choice: the library's secure defaults in the server's order of preference,
 * %COMPAT for clients that split records oddly, and nothing older than TLS 1.2.
 */
static const char server_priority[] =
	"NORMAL:%SERVER_PRECEDENCE:%COMPAT:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1";

struct tls_server_creds {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	unsigned timeout_ms;
	char pin[TLS_PIN_MAX];
};

struct tls_conn {
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;	/* the client's own; NULL on a server's */
	bool server;
	int fd;
	unsigned timeout_ms;
	const char *pin;		/* the caller's, valid only during tls_client_new */
	const char *verify_name;	/* likewise; NULL when pinned */
	bool established;		/* a later handshake is a renegotiation (tls_rekey) */
	bool pin_mismatch;
	unsigned verify_status;		/* gnutls_certificate_status_t bits, 0 if trusted */
	int verify_err;			/* GnuTLS error from verification itself */
	char peer_pin[TLS_PIN_MAX];	/* empty until the verify callback has seen a cert */
	char desc[TLS_DESC_MAX];
};

/* ---- waiting ---------------------------------------------------------------------- */

/*
 * Waits until the socket is ready for what GnuTLS last wanted (it may need to write
 * during a read, for a TLS 1.3 key update, or read during a write).  1 ready, 0 timed
 * out, -EIO on a poll failure.
 */
static int wait_io(struct tls_conn *c, int64_t deadline)
{
	return tls_wait_fd(c->fd, gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN,
			   deadline);
}

/* ---- the pin ---------------------------------------------------------------------- */

/* "pin-sha256:" + base64(SHA-256(DER SubjectPublicKeyInfo)) of a certificate. */
static int crt_pin(gnutls_x509_crt_t crt, char *out, size_t outlen)
{
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t spki = { NULL, 0 }, b64 = { NULL, 0 };
	uint8_t digest[TLS_SHA256_LEN];
	gnutls_datum_t dd = { digest, sizeof(digest) };
	int ret = -EIO;

	if (gnutls_pubkey_init(&key))
		goto cleanup;
	if (gnutls_pubkey_import_x509(key, crt, 0))
		goto cleanup;
	if (gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &spki))
		goto cleanup;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, digest))
		goto cleanup;
	if (gnutls_base64_encode2(&dd, &b64))
		goto cleanup;
	if (snprintf(out, outlen, TLS_PIN_PREFIX "%.*s", (int)b64.size, b64.data) >=
	    (int)outlen)
		goto cleanup;
	ret = 0;
cleanup:
	gnutls_free(b64.data);
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(key);
	return ret;
}

/* The same of a DER certificate. */
static int cert_pin(const gnutls_datum_t *der, char *out, size_t outlen)
{
	gnutls_x509_crt_t crt = NULL;
	int ret = -EIO;

	if (gnutls_x509_crt_init(&crt))
		goto cleanup;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER))
		goto cleanup;
	ret = crt_pin(crt, out, outlen);
cleanup:
	gnutls_x509_crt_deinit(crt);
	return ret;
}

/*
 * Runs inside the handshake, after the server's Certificate (and CertificateVerify in
 * TLS 1.3): non-zero aborts it with GNUTLS_E_CERTIFICATE_ERROR, and the fields set here
 * tell tls_client_new which message and errno to give.
 */
static int verify_cb(gnutls_session_t tls)
{
	struct tls_conn *c = gnutls_session_get_ptr(tls);
	const gnutls_datum_t *certs;
	unsigned n = 0;
	int ret;

	if (gnutls_certificate_type_get(tls) != GNUTLS_CRT_X509)
		return -1;
	certs = gnutls_certificate_get_peers(tls, &n);
	if (!certs || !n)
		return -1;
	if (c->established) {
		char pin[TLS_PIN_MAX];

		/* A renegotiation: the server keeps the key it was accepted with. */
		return cert_pin(&certs[0], pin, sizeof(pin)) || strcmp(pin, c->peer_pin) ? -1 : 0;
	}
	if (cert_pin(&certs[0], c->peer_pin, sizeof(c->peer_pin))) {
		c->peer_pin[0] = '\0';
		return -1;
	}
	if (c->pin) {
		/* A public value: no need for a constant-time compare. */
		c->pin_mismatch = strcmp(c->pin, c->peer_pin) != 0;
		return c->pin_mismatch ? -1 : 0;
	}
	ret = gnutls_certificate_verify_peers3(tls, c->verify_name, &c->verify_status);
	if (ret < 0) {
		c->verify_err = ret;
		return -1;
	}
	return c->verify_status ? -1 : 0;
}

/* ---- setup ------------------------------------------------------------------------ */

static int session_setup(struct tls_conn *c, const struct tls_client_config *cfg,
			 char *errbuf, size_t errlen)
{
	int ret;

	ret = gnutls_certificate_allocate_credentials(&c->cred);
	if (ret)
		goto fail;
	if (!cfg->pin) {
		ret = gnutls_certificate_set_x509_system_trust(c->cred);
		if (ret <= 0) {
			/* Zero CAs would reject every server; say so rather than "untrusted". */
			snprintf(errbuf, errlen, "no system trust store: %s",
				 ret ? gnutls_strerror(ret) : "it is empty");
			return -EACCES;
		}
	}
	gnutls_certificate_set_verify_function(c->cred, verify_cb);
	/* GNUTLS_NO_SIGNAL: a peer that resets must not kill the process with SIGPIPE. */
	ret = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (ret)
		goto fail;
	gnutls_session_set_ptr(c->tls, c);
	ret = gnutls_priority_set_direct(c->tls, "NORMAL", NULL);
	if (ret)
		goto fail;
	ret = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred);
	if (ret)
		goto fail;
	/* RFC 6066 forbids an IP address as a server name. */
	if (cfg->server_name && !tls_is_ip_literal(cfg->server_name)) {
		ret = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, cfg->server_name,
					     strlen(cfg->server_name));
		if (ret)
			goto fail;
	}
	gnutls_transport_set_int(c->tls, c->fd);
	return 0;
fail:
	snprintf(errbuf, errlen, "TLS setup: %s", gnutls_strerror(ret));
	return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
}

/* Turns a failed handshake into the contract's errno and a message. */
static int handshake_error(struct tls_conn *c, int ret, char *errbuf, size_t errlen)
{
	gnutls_datum_t txt = { NULL, 0 };

	if (c->pin_mismatch)
		return tls_err_pin_mismatch(errbuf, errlen, c->peer_pin);
	if (c->verify_status) {
		if (gnutls_certificate_verification_status_print(c->verify_status,
								 GNUTLS_CRT_X509, &txt, 0))
			txt.data = NULL;
		/* GnuTLS ends each sentence with a space. */
		while (txt.data && txt.size && txt.data[txt.size - 1] == ' ')
			txt.data[--txt.size] = '\0';
		ret = tls_err_untrusted(errbuf, errlen,
					txt.data ? (const char *)txt.data : "verification failed",
					c->peer_pin);
		gnutls_free(txt.data);
		return ret;
	}
	if (c->verify_err) {
		snprintf(errbuf, errlen, "server certificate verification: %s (its pin is %s)",
			 gnutls_strerror(c->verify_err),
			 c->peer_pin[0] ? c->peer_pin : "unknown");
		return -EACCES;
	}
	if (ret == GNUTLS_E_CERTIFICATE_ERROR) {
		snprintf(errbuf, errlen, "server certificate unusable");
		return -EACCES;
	}
	snprintf(errbuf, errlen, "TLS handshake: %s", gnutls_strerror(ret));
	return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -ECONNREFUSED;
}

static int handshake(struct tls_conn *c, char *errbuf, size_t errlen)
{
	int64_t deadline = tls_now_ms() + c->timeout_ms;
	int ret;

	for (;;) {
		ret = gnutls_handshake(c->tls);
		if (!ret)
			return 0;
		if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED) {
			if (!gnutls_error_is_fatal(ret))
				continue;	/* a warning alert, e.g. an unrecognized name */
			return handshake_error(c, ret, errbuf, errlen);
		}
		ret = wait_io(c, deadline);
		if (ret < 0) {
			snprintf(errbuf, errlen, "TLS handshake: poll: %s", strerror(errno));
			return -EIO;
		}
		if (!ret)
			return tls_err_timeout(errbuf, errlen, c->timeout_ms);
	}
}

static void describe(struct tls_conn *c)
{
	const char *proto = gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls));
	const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(c->tls));

	snprintf(c->desc, sizeof(c->desc), "%s %s", proto ? proto : "TLS?",
		 cipher ? cipher : "?");
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
	c->verify_name = cfg->pin ? NULL : cfg->server_name;
	ret = session_setup(c, cfg, errbuf, errlen);
	if (ret)
		goto fail;
	ret = handshake(c, errbuf, errlen);
	if (ret)
		goto fail;
	/* The caller's strings need not outlive this call. */
	c->pin = NULL;
	c->verify_name = NULL;
	c->established = true;
	describe(c);
	*out = c;
	return 0;
fail:
	/* fd is not ours to close here: tls_client_new does that. */
	if (c->tls)
		gnutls_deinit(c->tls);
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	free(c);
	return ret;
}

void tls_free(struct tls_conn *c)
{
	int64_t deadline;
	int ret;

	if (!c)
		return;
	/* GNUTLS_SHUT_WR: the peer's answer is not worth waiting for. */
	deadline = tls_now_ms() + TLS_CLOSE_NOTIFY_MS;
	do {
		ret = gnutls_bye(c->tls, GNUTLS_SHUT_WR);
	} while ((ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) &&
		 wait_io(c, deadline) > 0);
	gnutls_deinit(c->tls);
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	close(c->fd);
	free(c);
}

int tls_fd(const struct tls_conn *c)
{
	return c ? c->fd : -1;
}

size_t tls_pending(const struct tls_conn *c)
{
	return c ? gnutls_record_check_pending(c->tls) : 0;
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len, unsigned timeout_ms)
{
	int64_t deadline;
	ssize_t ret;
	int w;

	if (!c || (!buf && len))
		return -EINVAL;
	if (!len)
		return 0;
	deadline = tls_now_ms() + timeout_ms;
	for (;;) {
		ret = gnutls_record_recv(c->tls, buf, len);
		if (ret >= 0)
			return ret;
		switch (ret) {
		case GNUTLS_E_AGAIN:
		case GNUTLS_E_INTERRUPTED:
			/* Also after a TLS 1.3 session ticket, which carries no data. */
			break;
		case GNUTLS_E_REHANDSHAKE:
			/* A TLS 1.2 renegotiation request: ignoring it declines it. */
			continue;
		default:
			/*
			 * GNUTLS_E_PREMATURE_TERMINATION (TCP closed without close_notify)
			 * lands here too: the data may be truncated, so not a clean 0.
			 */
			if (!gnutls_error_is_fatal((int)ret))
				continue;
			return -EIO;
		}
		w = wait_io(c, deadline);
		if (w < 0)
			return -EIO;
		if (!w)
			return -EAGAIN;
	}
}

int tls_write_all(struct tls_conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int64_t deadline;
	ssize_t ret;
	int w;

	if (!c || (!buf && len))
		return -EINVAL;
	deadline = tls_now_ms() + c->timeout_ms;
	while (len) {
		/* After E_AGAIN GnuTLS wants the same arguments again: p and len stay put. */
		ret = gnutls_record_send(c->tls, p, len);
		if (ret > 0) {
			p += ret;
			len -= (size_t)ret;
			continue;
		}
		if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED)
			return -EIO;
		w = wait_io(c, deadline);
		if (w < 0)
			return -EIO;
		if (!w)
			return -ETIMEDOUT;
	}
	return 0;
}

ssize_t tls_write_nowait(struct tls_conn *c, const void *buf, size_t len)
{
	ssize_t ret;

	if (!c || !buf || !len)
		return -EINVAL;
	do {
		ret = gnutls_record_send(c->tls, buf, len);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret > 0)
		return ret;
	return ret == GNUTLS_E_AGAIN ? -EAGAIN : -EIO;
}

/* TLS 1.3: our KeyUpdate, asking for the peer's (GNUTLS_KU_PEER); a write at most. */
static ssize_t key_update(struct tls_conn *c)
{
	int64_t deadline = tls_now_ms() + c->timeout_ms;
	int ret;

	while ((ret = gnutls_session_key_update(c->tls, GNUTLS_KU_PEER)) == GNUTLS_E_AGAIN ||
	       ret == GNUTLS_E_INTERRUPTED)
		if (wait_io(c, deadline) <= 0)
			return -EIO;
	return ret ? -EIO : 0;
}

ssize_t tls_rekey(struct tls_conn *c, void *buf, size_t len)
{
	ssize_t n;
	int ret;

	if (!c || !buf || !len)
		return -EINVAL;
	if (gnutls_protocol_get_version(c->tls) == GNUTLS_TLS1_3)
		return key_update(c);
	/* TLS 1.2: gnutls_handshake on an established session renegotiates. */
	ret = gnutls_handshake(c->tls);
	switch (ret) {
	case 0:
		describe(c);
		return 0;
	case GNUTLS_E_AGAIN:
	case GNUTLS_E_INTERRUPTED:
		return -EAGAIN;
	case GNUTLS_E_GOT_APPLICATION_DATA:
		/* Records the peer sent before it saw our hello: the stream goes on. */
		n = gnutls_record_recv(c->tls, buf, len);
		return n > 0 ? n : n == GNUTLS_E_AGAIN ? -EAGAIN : -EIO;
	case GNUTLS_E_WARNING_ALERT_RECEIVED:
		if (gnutls_alert_get(c->tls) == GNUTLS_A_NO_RENEGOTIATION)
			return -EOPNOTSUPP;
		return -EAGAIN;
	default:
		return gnutls_error_is_fatal(ret) ? -EIO : -EAGAIN;
	}
}

int tls_export(struct tls_conn *c, const char *label, uint8_t *out, size_t len)
{
	/* NULL context, not an empty one: ocserv derives the DTLS PSK the same way. */
	if (!c || !label || !out || !len)
		return -EIO;
	if (gnutls_prf_rfc5705(c->tls, strlen(label), label, 0, NULL, len, (char *)out))
		return -EIO;
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

/* The chain, leaf first, from cert_file's text.  0 or a tls_server_creds_new errno. */
static int load_chain(gnutls_x509_crt_t **crts, unsigned *n, const struct tls_file *f,
		      const char *path, char *errbuf, size_t errlen)
{
	gnutls_datum_t d = { (unsigned char *)f->data, (unsigned)f->len };
	char why[160];
	int ret;

	*crts = NULL;
	*n = 0;
	/* Each certificate must be issued by the next: the order a server presents. */
	ret = gnutls_x509_crt_list_import2(crts, n, &d, GNUTLS_X509_FMT_PEM,
					   GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (ret == GNUTLS_E_MEMORY_ERROR) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	if (ret == GNUTLS_E_CERTIFICATE_LIST_UNSORTED)
		return tls_err_file(errbuf, errlen, path,
				    "certificates not in order (the leaf first, then its issuers)");
	if (ret < 0 || !*n) {
		snprintf(why, sizeof(why), "no PEM certificate (%s)",
			 ret < 0 ? gnutls_strerror(ret) : "none found");
		return tls_err_file(errbuf, errlen, path, why);
	}
	return 0;
}

/* Whether key is the private half of crt's public key. */
static bool key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	uint8_t a[TLS_SHA256_LEN], b[TLS_SHA256_LEN];
	size_t alen = sizeof(a), blen = sizeof(b);

	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &alen) ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &blen))
		return false;
	return alen == blen && !memcmp(a, b, alen);
}

int tls_backend_creds(struct tls_server_creds **out, const struct tls_server_config *cfg,
		      const struct tls_file *cert, const struct tls_file *key,
		      unsigned timeout_ms, char *errbuf, size_t errlen)
{
	struct tls_server_creds *c = NULL;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t pk = NULL;
	gnutls_datum_t kd = { (unsigned char *)key->data, (unsigned)key->len };
	unsigned n = 0;
	char why[160];
	int ret;

	ret = load_chain(&crts, &n, cert, cfg->cert_file, errbuf, errlen);
	if (ret)
		goto cleanup;
	ret = gnutls_x509_privkey_init(&pk);
	if (ret)
		goto lib_fail;
	/* No password: an encrypted key fails here rather than asking for one. */
	ret = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (ret == GNUTLS_E_MEMORY_ERROR)
		goto lib_fail;
	if (ret) {
		snprintf(why, sizeof(why), "not an unencrypted PEM private key (%s)",
			 gnutls_strerror(ret));
		ret = tls_err_file(errbuf, errlen, cfg->key_file, why);
		goto cleanup;
	}
	if (!key_matches(crts[0], pk)) {
		ret = tls_err_key_mismatch(errbuf, errlen, cfg);
		goto cleanup;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = GNUTLS_E_MEMORY_ERROR;
		goto lib_fail;
	}
	c->timeout_ms = timeout_ms;
	ret = gnutls_certificate_allocate_credentials(&c->cred);
	if (ret)
		goto lib_fail;
	/* Copies the chain and the key: ours go at cleanup. */
	ret = gnutls_certificate_set_x509_key(c->cred, crts, (int)n, pk);
	if (ret < 0) {
		snprintf(why, sizeof(why), "unusable as a server certificate (%s)",
			 gnutls_strerror(ret));
		ret = tls_err_file(errbuf, errlen, cfg->cert_file, why);
		goto cleanup;
	}
	ret = gnutls_priority_init(&c->prio, server_priority, NULL);
	if (ret)
		goto lib_fail;
	if (crt_pin(crts[0], c->pin, sizeof(c->pin))) {
		ret = tls_err_file(errbuf, errlen, cfg->cert_file, "cannot hash its public key");
		goto cleanup;
	}
	*out = c;
	c = NULL;
	ret = 0;
	goto cleanup;
lib_fail:
	snprintf(errbuf, errlen, "TLS server setup: %s", gnutls_strerror(ret));
	ret = ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
cleanup:
	tls_server_creds_free(c);
	gnutls_x509_privkey_deinit(pk);
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return ret;
}

void tls_server_creds_free(struct tls_server_creds *c)
{
	if (!c)
		return;
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
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
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	c->fd = fd;
	c->server = true;
	c->timeout_ms = creds->timeout_ms;
	/*
	 * GNUTLS_NO_TICKETS: no resumption, so no ticket key to keep; GNUTLS_NO_SIGNAL as
	 * for the client.
	 */
	ret = gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL |
				   GNUTLS_NO_TICKETS);
	if (ret)
		goto setup_fail;
	ret = gnutls_priority_set(c->tls, creds->prio);
	if (ret)
		goto setup_fail;
	ret = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, creds->cred);
	if (ret)
		goto setup_fail;
	gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(c->tls, c->fd);
	ret = handshake(c, errbuf, errlen);
	if (ret)
		goto fail;
	describe(c);
	*out = c;
	return 0;
setup_fail:
	snprintf(errbuf, errlen, "TLS setup: %s", gnutls_strerror(ret));
	ret = ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
fail:
	/* fd is not ours to close here: tls_server_new does that. */
	if (c->tls)
		gnutls_deinit(c->tls);
	free(c);
	return ret;
}
