/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CERT-mode credentials through OpenSSL (crypto/dtls.h, crypto/openssl-dtls-cert.h).
 * The files are read once by crypto/dtls-cert.c and parsed here from memory into
 * reference-counted objects (the leaf, its chain, its key, the CA store); each
 * session's SSL_CTX takes references to them, so sessions share one parse and may run
 * on several threads.  The client's check of the server runs in the handshake.
 */
#include "config.h"

#include "crypto/openssl-dtls-cert.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"

struct dtls_credentials {
	struct dtls_cert_params params;
	X509 *leaf;			/* server */
	STACK_OF(X509) *chain;		/* server: the rest of cert_file, may be empty */
	EVP_PKEY *key;			/* server */
	X509_STORE *ca;			/* client with a ca_file */
};

const struct dtls_cert_params *dtls_credentials_params(const struct dtls_credentials *c)
{
	return &c->params;
}

/* ---- loading ---------------------------------------------------------------------- */

/* OpenSSL would prompt on the terminal for an encrypted key; we have no password. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Running out of PEM blocks is how a file ends; anything else went wrong. */
static bool pem_ended(unsigned long err)
{
	return !err || (ERR_GET_LIB(err) == ERR_LIB_PEM &&
			ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
}

static BIO *file_bio(struct dtls_cert_file *f, const char *path, const char *what,
		     char *errbuf, size_t errlen, int *ret)
{
	BIO *bio;

	*ret = dtls_cert_file_read(f, path, what, errbuf, errlen);
	if (*ret)
		return NULL;
	bio = BIO_new_mem_buf(f->data, (int)f->len);
	if (!bio) {
		dtls_cert_file_free(f);
		*ret = -ENOMEM;
	}
	return bio;
}

/* Every certificate of a PEM file, in file order (other PEM blocks are skipped). */
static int read_certs(const char *path, const char *what, STACK_OF(X509) **out,
		      char *errbuf, size_t errlen)
{
	STACK_OF(X509) *sk = NULL;
	struct dtls_cert_file f;
	unsigned long err;
	BIO *bio;
	X509 *x;
	int ret;

	bio = file_bio(&f, path, what, errbuf, errlen, &ret);
	if (!bio)
		return ret;
	sk = sk_X509_new_null();
	if (!sk) {
		ret = -ENOMEM;
		goto out;
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			ret = -ENOMEM;
			goto out;
		}
	}
	err = ERR_peek_last_error();
	if (!pem_ended(err)) {
		dtls_cert_err(errbuf, errlen, "bad certificate in %s %s: %s", what, path,
			      ERR_reason_error_string(err));
		ret = -EINVAL;
	} else if (!sk_X509_num(sk)) {
		dtls_cert_err(errbuf, errlen, "no PEM certificate in %s %s", what, path);
		ret = -EINVAL;
	}
out:
	ERR_clear_error();
	BIO_free(bio);
	dtls_cert_file_free(&f);
	if (ret) {
		sk_X509_pop_free(sk, X509_free);
		return ret;
	}
	*out = sk;
	return 0;
}

/* The library's message names what failed to decode, never what the key holds. */
static int read_key(const char *path, EVP_PKEY **out, char *errbuf, size_t errlen)
{
	struct dtls_cert_file f;
	BIO *bio;
	int ret;

	bio = file_bio(&f, path, "key_file", errbuf, errlen, &ret);
	if (!bio)
		return ret;
	ERR_clear_error();
	*out = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (!*out) {
		dtls_cert_err(errbuf, errlen, "no usable private key in key_file %s", path);
		ret = -EINVAL;
	}
	ERR_clear_error();
	BIO_free(bio);
	dtls_cert_file_free(&f);
	return ret;
}

static int load_server(struct dtls_credentials *c, const struct dtls_cert_config *cfg,
		       char *errbuf, size_t errlen)
{
	int ret;

	ret = read_certs(cfg->cert_file, "cert_file", &c->chain, errbuf, errlen);
	if (ret)
		return ret;
	c->leaf = sk_X509_shift(c->chain);	/* leaf first; the rest is its chain */
	ret = read_key(cfg->key_file, &c->key, errbuf, errlen);
	if (ret)
		return ret;
	if (X509_check_private_key(c->leaf, c->key) != 1) {
		ERR_clear_error();
		dtls_cert_err(errbuf, errlen,
			      "private key in %s does not match the certificate in %s",
			      cfg->key_file, cfg->cert_file);
		return -EINVAL;
	}
	return 0;
}

static int load_ca(struct dtls_credentials *c, const char *path, char *errbuf, size_t errlen)
{
	STACK_OF(X509) *sk = NULL;
	int ret;

	ret = read_certs(path, "ca_file", &sk, errbuf, errlen);
	if (ret)
		return ret;
	c->ca = X509_STORE_new();
	if (!c->ca) {
		ret = -ENOMEM;
		goto out;
	}
	/* The store takes its own reference to each anchor. */
	for (int i = 0; i < sk_X509_num(sk); i++) {
		if (!X509_STORE_add_cert(c->ca, sk_X509_value(sk, i))) {
			ERR_clear_error();
			dtls_cert_err(errbuf, errlen, "cannot trust ca_file %s", path);
			ret = -EIO;
			goto out;
		}
	}
out:
	sk_X509_pop_free(sk, X509_free);
	return ret;
}

int dtls_credentials_new(struct dtls_credentials **out, enum dtls_role role,
			 const struct dtls_cert_config *cfg, char *errbuf, size_t errlen)
{
	struct dtls_credentials *c;
	int ret;

	dtls_cert_err(errbuf, errlen, "%s", "");
	if (!out || !cfg) {
		dtls_cert_err(errbuf, errlen, "no config");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = dtls_cert_params_init(&c->params, role, cfg, errbuf, errlen);
	if (ret)
		goto err;
	if (role == DTLS_ROLE_SERVER)
		ret = load_server(c, cfg, errbuf, errlen);
	else if (c->params.has_ca)
		ret = load_ca(c, cfg->ca_file, errbuf, errlen);
	if (ret)
		goto err;
	*out = c;
	return 0;
err:
	if (ret == -ENOMEM)
		dtls_cert_err(errbuf, errlen, "out of memory");
	dtls_credentials_free(c);
	return ret;
}

void dtls_credentials_free(struct dtls_credentials *c)
{
	if (!c)
		return;
	EVP_PKEY_free(c->key);		/* OpenSSL clears key material as it frees it */
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	X509_STORE_free(c->ca);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

/* ---- sessions --------------------------------------------------------------------- */

int dtls_cert_ctx_setup(SSL_CTX *ctx, const struct dtls_credentials *c)
{
	if (c->params.role == DTLS_ROLE_SERVER) {
		if (SSL_CTX_use_certificate(ctx, c->leaf) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, c->key) != 1 ||
		    SSL_CTX_set1_chain(ctx, c->chain) != 1)
			return -EIO;
		return 0;
	}
	if (c->ca && SSL_CTX_set1_verify_cert_store(ctx, c->ca) != 1)
		return -EIO;
	return 0;
}

int dtls_cert_ssl_setup(SSL *ssl, const struct dtls_credentials *c)
{
	const struct dtls_cert_params *p = &c->params;
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

	if (p->role != DTLS_ROLE_CLIENT || !p->hostname[0])
		return 0;
	/* RFC 6066 §3: no SNI for a literal address. */
	if (!p->host_is_ip && SSL_set_tlsext_host_name(ssl, p->hostname) != 1)
		return -EIO;
	if (!p->has_ca)
		return 0;
	if (p->host_is_ip)
		return X509_VERIFY_PARAM_set1_ip_asc(vp, p->hostname) == 1 ? 0 : -EIO;
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return X509_VERIFY_PARAM_set1_host(vp, p->hostname, 0) == 1 ? 0 : -EIO;
}

/* openconnect's pin: SHA-256 over the leaf's DER SubjectPublicKeyInfo. */
static int spki_sha256(X509 *leaf, uint8_t out[DTLS_PIN_LEN])
{
	unsigned char *der = NULL;
	unsigned int n = 0;
	int len, ok;

	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
	if (len <= 0)
		return -EPROTO;
	ok = EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return ok == 1 && n == DTLS_PIN_LEN ? 0 : -EPROTO;
}

static enum dtls_cert_verdict x509_verdict(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_INVALID_CA:
		return DTLS_CERT_UNTRUSTED;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return DTLS_CERT_BAD_SIGNATURE;
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return DTLS_CERT_INSECURE;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return DTLS_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return DTLS_CERT_NOT_YET_VALID;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return DTLS_CERT_NAME_MISMATCH;
	case X509_V_ERR_INVALID_PURPOSE:
		return DTLS_CERT_WRONG_PURPOSE;
	default:
		return DTLS_CERT_FAILED;
	}
}

/*
 * xctx was set up by libssl for this connection: the peer's chain as untrusted
 * certificates, ctx's verify store (our CA, or an empty one), the host or address from
 * dtls_cert_ssl_setup and the TLS server purpose.
 */
enum dtls_cert_verdict dtls_cert_verify(X509_STORE_CTX *xctx, const struct dtls_credentials *c)
{
	const struct dtls_cert_params *p = &c->params;
	X509 *leaf = X509_STORE_CTX_get0_cert(xctx);
	uint8_t digest[DTLS_PIN_LEN];

	if (!leaf) {
		X509_STORE_CTX_set_error(xctx, X509_V_ERR_APPLICATION_VERIFICATION);
		return DTLS_CERT_NO_CERT;
	}
	if (p->has_pin) {
		enum dtls_cert_verdict v = DTLS_CERT_OK;

		if (spki_sha256(leaf, digest))
			v = DTLS_CERT_UNPARSABLE;
		else if (!crypto_memeq(digest, p->pin, DTLS_PIN_LEN))
			v = DTLS_CERT_PIN_MISMATCH;
		if (v != DTLS_CERT_OK) {
			X509_STORE_CTX_set_error(xctx, X509_V_ERR_APPLICATION_VERIFICATION);
			return v;
		}
	}
	if (p->has_ca && X509_verify_cert(xctx) != 1) {
		ERR_clear_error();
		return x509_verdict(X509_STORE_CTX_get_error(xctx));
	}
	/* A pin alone never runs the chain check: nothing failed. */
	X509_STORE_CTX_set_error(xctx, X509_V_OK);
	return DTLS_CERT_OK;
}
