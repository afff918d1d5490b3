/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CERT-mode credentials through GnuTLS (crypto/dtls.h, crypto/gnutls-dtls-cert.h): one
 * gnutls_certificate_credentials_t per configuration, which GnuTLS lets any number of
 * sessions share once it is filled, and the client's check of the server in the
 * handshake.  The files are read by crypto/dtls-cert.c and parsed here from memory,
 * each step on its own so every failure gets its own message.
 */
#include "config.h"

#include "crypto/gnutls-dtls-cert.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "crypto/crypto.h"

struct dtls_credentials {
	struct dtls_cert_params params;
	gnutls_certificate_credentials_t x509;
};

const struct dtls_cert_params *dtls_credentials_params(const struct dtls_credentials *c)
{
	return &c->params;
}

static int lib_errno(int err)
{
	return err == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
}

/* ---- loading ---------------------------------------------------------------------- */

static void free_crt_list(gnutls_x509_crt_t *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
}

/* Every certificate of a PEM file; flags as gnutls_x509_crt_list_import2 takes them. */
static int import_certs(const char *path, const char *what, unsigned flags,
			gnutls_x509_crt_t **list, unsigned *n, char *errbuf, size_t errlen)
{
	struct dtls_cert_file f;
	gnutls_datum_t data;
	int ret;

	ret = dtls_cert_file_read(&f, path, what, errbuf, errlen);
	if (ret)
		return ret;
	data.data = (unsigned char *)f.data;
	data.size = (unsigned)f.len;
	ret = gnutls_x509_crt_list_import2(list, n, &data, GNUTLS_X509_FMT_PEM, flags);
	dtls_cert_file_free(&f);
	if (ret == GNUTLS_E_MEMORY_ERROR)
		return -ENOMEM;
	if (ret == GNUTLS_E_NO_CERTIFICATE_FOUND || (!ret && !*n)) {
		if (!ret)
			free_crt_list(*list, *n);
		dtls_cert_err(errbuf, errlen, "no PEM certificate in %s %s", what, path);
		return -EINVAL;
	}
	if (ret == GNUTLS_E_CERTIFICATE_LIST_UNSORTED) {
		dtls_cert_err(errbuf, errlen,
			      "%s %s: not leaf first, each certificate before its issuer",
			      what, path);
		return -EINVAL;
	}
	if (ret < 0) {
		dtls_cert_err(errbuf, errlen, "bad certificate in %s %s: %s", what, path,
			      gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

/*
 * The library's message says what was wrong with the encoding, never what the key
 * holds; an encrypted key fails here too (we have no password to give).
 */
static int import_key(const char *path, gnutls_x509_privkey_t *key, char *errbuf,
		      size_t errlen)
{
	struct dtls_cert_file f;
	gnutls_datum_t data;
	int ret;

	ret = dtls_cert_file_read(&f, path, "key_file", errbuf, errlen);
	if (ret)
		return ret;
	ret = gnutls_x509_privkey_init(key);
	if (ret) {
		dtls_cert_file_free(&f);
		return lib_errno(ret);
	}
	data.data = (unsigned char *)f.data;
	data.size = (unsigned)f.len;
	ret = gnutls_x509_privkey_import2(*key, &data, GNUTLS_X509_FMT_PEM, NULL,
					  GNUTLS_PKCS_PLAIN);
	dtls_cert_file_free(&f);
	if (ret == GNUTLS_E_MEMORY_ERROR)
		return -ENOMEM;
	if (ret) {
		dtls_cert_err(errbuf, errlen, "no usable private key in key_file %s: %s", path,
			      gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

static int load_server(struct dtls_credentials *c, const struct dtls_cert_config *cfg,
		       char *errbuf, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t *chain = NULL;
	unsigned n = 0;
	int ret;

	ret = import_certs(cfg->cert_file, "cert_file", GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED,
			   &chain, &n, errbuf, errlen);
	if (ret)
		return ret;
	ret = import_key(cfg->key_file, &key, errbuf, errlen);
	if (ret)
		goto out;
	/* Copies both, and checks that the key is the leaf's. */
	ret = gnutls_certificate_set_x509_key(c->x509, chain, n, key);
	if (ret == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
		dtls_cert_err(errbuf, errlen,
			      "private key in %s does not match the certificate in %s",
			      cfg->key_file, cfg->cert_file);
		ret = -EINVAL;
	} else if (ret) {
		dtls_cert_err(errbuf, errlen, "cannot use %s with %s: %s", cfg->cert_file,
			      cfg->key_file, gnutls_strerror(ret));
		ret = ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
out:
	if (key)
		gnutls_x509_privkey_deinit(key);
	free_crt_list(chain, n);
	return ret;
}

static int load_ca(struct dtls_credentials *c, const char *path, char *errbuf, size_t errlen)
{
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int ret;

	ret = import_certs(path, "ca_file", 0, &list, &n, errbuf, errlen);
	if (ret)
		return ret;
	/* Copies them into the trust list: the anchors of dtls_cert_verify. */
	ret = gnutls_certificate_set_x509_trust(c->x509, list, (int)n);
	free_crt_list(list, n);
	if (ret < 0) {
		dtls_cert_err(errbuf, errlen, "cannot trust ca_file %s: %s", path,
			      gnutls_strerror(ret));
		return lib_errno(ret);
	}
	return 0;
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
	ret = gnutls_certificate_allocate_credentials(&c->x509);
	if (ret) {
		ret = lib_errno(ret);
		goto err;
	}
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
	/* Deinit wipes the private key GnuTLS copied. */
	if (c->x509)
		gnutls_certificate_free_credentials(c->x509);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

/* ---- sessions --------------------------------------------------------------------- */

int dtls_cert_session_setup(gnutls_session_t tls, const struct dtls_credentials *c)
{
	const struct dtls_cert_params *p = &c->params;
	int ret;

	ret = gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE, c->x509);
	if (ret || p->role != DTLS_ROLE_CLIENT || !p->hostname[0] || p->host_is_ip)
		return ret;
	/* RFC 6066 §3: no SNI for a literal address. */
	return gnutls_server_name_set(tls, GNUTLS_NAME_DNS, p->hostname, strlen(p->hostname));
}

/* openconnect's pin: SHA-256 over the leaf's DER SubjectPublicKeyInfo. */
static int spki_sha256(const gnutls_datum_t *der, uint8_t out[DTLS_PIN_LEN])
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { NULL, 0 };
	int ret;

	ret = gnutls_x509_crt_init(&crt);
	if (!ret)
		ret = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER);
	if (!ret)
		ret = gnutls_pubkey_init(&pub);
	if (!ret)
		ret = gnutls_pubkey_import_x509(pub, crt, 0);
	if (!ret)
		ret = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki);
	if (!ret)
		ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, out);
	gnutls_free(spki.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return ret;
}

/* The most telling reason first: a name or date means little on a chain we cannot trust. */
static enum dtls_cert_verdict status_verdict(unsigned status)
{
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return DTLS_CERT_UNTRUSTED;
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return DTLS_CERT_BAD_SIGNATURE;
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return DTLS_CERT_INSECURE;
	if (status & GNUTLS_CERT_EXPIRED)
		return DTLS_CERT_EXPIRED;
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return DTLS_CERT_NOT_YET_VALID;
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		return DTLS_CERT_NAME_MISMATCH;
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return DTLS_CERT_WRONG_PURPOSE;
	return DTLS_CERT_FAILED;
}

enum dtls_cert_verdict dtls_cert_verify(gnutls_session_t tls, const struct dtls_credentials *c)
{
	const struct dtls_cert_params *p = &c->params;
	const gnutls_datum_t *peers;
	unsigned n = 0, status = 0;
	uint8_t digest[DTLS_PIN_LEN];

	if (gnutls_certificate_type_get(tls) != GNUTLS_CRT_X509)
		return DTLS_CERT_NO_CERT;
	peers = gnutls_certificate_get_peers(tls, &n);
	if (!peers || !n)
		return DTLS_CERT_NO_CERT;
	if (p->has_pin) {
		if (spki_sha256(&peers[0], digest))
			return DTLS_CERT_UNPARSABLE;
		if (!crypto_memeq(digest, p->pin, DTLS_PIN_LEN))
			return DTLS_CERT_PIN_MISMATCH;
	}
	if (p->has_ca) {
		/* A textual IP in the DNS name slot is matched against IP address SANs. */
		gnutls_typed_vdata_st data[2] = {
			{ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)p->hostname, 0 },
			{ GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
		};

		if (gnutls_certificate_verify_peers(tls, data, 2, &status))
			return DTLS_CERT_FAILED;
		if (status)
			return status_verdict(status);
	}
	return DTLS_CERT_OK;
}
