/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tls_make_self_signed (crypto/tls.h) with GnuTLS: an ECDSA P-256 key, signed by itself. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "crypto/tls-internal.h"
#include "crypto/tls.h"

/* subjectAltName: an address literal as an IP entry, anything else as a DNS name. */
static int set_alt_name(gnutls_x509_crt_t crt, const char *name)
{
	unsigned char ip[16];

	if (inet_pton(AF_INET, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
							    GNUTLS_FSAN_SET);
	if (inet_pton(AF_INET6, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
							    GNUTLS_FSAN_SET);
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						    (unsigned)strlen(name), GNUTLS_FSAN_SET);
}

static int fill_certificate(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *name,
			    unsigned days)
{
	unsigned char serial[16];
	time_t now = time(NULL);
	int ret;

	ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;	/* a positive serial number */
	if (!ret)
		ret = gnutls_x509_crt_set_version(crt, 3);
	if (!ret)
		ret = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	/* An hour back: a client whose clock is a little behind still takes it. */
	if (!ret)
		ret = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (!ret)
		ret = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400);
	if (!ret)
		ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
						    (unsigned)strlen(name));
	if (!ret)
		ret = set_alt_name(crt, name);
	if (!ret)
		ret = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (!ret)
		ret = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (!ret)
		ret = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (!ret)
		ret = gnutls_x509_crt_set_key(crt, key);
	if (!ret)
		ret = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	return ret;
}

int tls_make_self_signed(const char *cert_path, const char *key_path, const char *name,
			 unsigned days, char *errbuf, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t cert_pem = { NULL, 0 }, key_pem = { NULL, 0 };
	int ret;

	ret = tls_check_self_signed_args(cert_path, key_path, name, days, errbuf, errlen);
	if (ret)
		return ret;
	ret = gnutls_x509_privkey_init(&key);
	if (!ret)
		ret = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
						   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (!ret)
		ret = gnutls_x509_crt_init(&crt);
	if (!ret)
		ret = fill_certificate(crt, key, name, days);
	if (!ret)
		ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem);
	if (!ret)
		ret = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
							GNUTLS_PKCS_PLAIN, &key_pem);
	if (ret) {
		snprintf(errbuf, errlen, "making the certificate: %s", gnutls_strerror(ret));
		ret = -EIO;
		goto out;
	}
	ret = tls_save_key_pair(cert_path, cert_pem.data, cert_pem.size, key_path, key_pem.data,
				key_pem.size, errbuf, errlen);
out:
	if (key_pem.data) {
		gnutls_memset(key_pem.data, 0, key_pem.size);
		gnutls_free(key_pem.data);
	}
	gnutls_free(cert_pem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return ret;
}
