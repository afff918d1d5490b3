/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tls_make_self_signed (crypto/tls.h) with OpenSSL: an ECDSA P-256 key, signed by itself. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/tls-internal.h"
#include "crypto/tls.h"

static int add_extension(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* subjectAltName: an address literal as an IP entry, anything else as a DNS name. */
static int add_alt_name(X509 *x, const char *name)
{
	char san[300];

	snprintf(san, sizeof(san), "%s:%s", tls_is_ip_literal(name) ? "IP" : "DNS", name);
	return add_extension(x, NID_subject_alt_name, san);
}

static int fill_certificate(X509 *x, EVP_PKEY *key, const char *name, unsigned days)
{
	BIGNUM *serial = BN_new();
	X509_NAME *subject;
	int ok;

	/* A random positive 127-bit serial number. */
	ok = serial && BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) && X509_set_version(x, 2);
	BN_free(serial);
	/* An hour back: a client whose clock is a little behind still takes it. */
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) && X509_set_pubkey(x, key);
	subject = X509_get_subject_name(x);
	ok = ok && X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
					      (const unsigned char *)name, -1, -1, 0) &&
	     X509_set_issuer_name(x, subject) && add_alt_name(x, name) &&
	     add_extension(x, NID_basic_constraints, "critical,CA:FALSE") &&
	     add_extension(x, NID_key_usage, "critical,digitalSignature") &&
	     add_extension(x, NID_ext_key_usage, "serverAuth") && X509_sign(x, key, EVP_sha256());
	return ok ? 0 : -EIO;
}

int tls_make_self_signed(const char *cert_path, const char *key_path, const char *name,
			 unsigned days, char *errbuf, size_t errlen)
{
	BIO *cert_bio = BIO_new(BIO_s_mem()), *key_bio = BIO_new(BIO_s_mem());
	EVP_PKEY *key = NULL;
	X509 *x = X509_new();
	char *cert_pem, *key_pem;
	long cert_len, key_len;
	int ret;

	ret = tls_check_self_signed_args(cert_path, key_path, name, days, errbuf, errlen);
	if (ret)
		goto out;
	key = EVP_EC_gen("P-256");
	ret = !key || !x || !cert_bio || !key_bio ? -ENOMEM : fill_certificate(x, key, name, days);
	if (!ret && (!PEM_write_bio_X509(cert_bio, x) ||
		     !PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL)))
		ret = -EIO;
	if (ret) {
		snprintf(errbuf, errlen, "making the certificate failed (OpenSSL)");
		ret = -EIO;
		goto out;
	}
	cert_len = BIO_get_mem_data(cert_bio, &cert_pem);
	key_len = BIO_get_mem_data(key_bio, &key_pem);
	ret = tls_save_key_pair(cert_path, cert_pem, (size_t)cert_len, key_path, key_pem,
				(size_t)key_len, errbuf, errlen);
	OPENSSL_cleanse(key_pem, (size_t)key_len);
out:
	ERR_clear_error();
	BIO_free(cert_bio);
	BIO_free(key_bio);
	EVP_PKEY_free(key);
	X509_free(x);
	return ret;
}
