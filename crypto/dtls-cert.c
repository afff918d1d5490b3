/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CERT-mode rules both backends share (crypto/dtls-cert.h): config checks with
 * their messages, the pin, the host name, and reading PEM files.  No TLS library here;
 * parsing certificates and keys is each backend's.
 */
#include "config.h"

#include "crypto/dtls-cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

static const char pin_prefix[] = "pin-sha256:";

enum {
	PIN_B64_LEN = (DTLS_PIN_LEN + 2) / 3 * 4,	/* 44, with one '=' */
};

void dtls_cert_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

const char *dtls_cert_verdict_str(enum dtls_cert_verdict v)
{
	switch (v) {
	case DTLS_CERT_OK:
		return "certificate accepted";
	case DTLS_CERT_NO_CERT:
		return "server sent no certificate";
	case DTLS_CERT_UNPARSABLE:
		return "server certificate unreadable";
	case DTLS_CERT_PIN_MISMATCH:
		return "server key pin mismatch";
	case DTLS_CERT_UNTRUSTED:
		return "untrusted issuer";
	case DTLS_CERT_BAD_SIGNATURE:
		return "bad certificate signature";
	case DTLS_CERT_EXPIRED:
		return "certificate expired";
	case DTLS_CERT_NOT_YET_VALID:
		return "certificate not yet valid";
	case DTLS_CERT_NAME_MISMATCH:
		return "certificate name mismatch";
	case DTLS_CERT_WRONG_PURPOSE:
		return "certificate not for a TLS server";
	case DTLS_CERT_INSECURE:
		return "certificate algorithm or key too weak";
	case DTLS_CERT_FAILED:
		break;
	}
	return "certificate verification failed";
}

/* ---- the pin ---------------------------------------------------------------------- */

/* The value of a base64 digit, or -1. */
static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * 32 bytes are ten full groups of three and a last group of two: 43 digits and one
 * '='.  The last digit carries 4 bits of data and 2 that must be 0, or two spellings
 * would decode to the same pin.
 */
int dtls_cert_pin_decode(const char *pin, uint8_t out[DTLS_PIN_LEN])
{
	const char *b64;
	uint32_t acc = 0;
	unsigned bits = 0, n = 0;

	if (!pin || strncmp(pin, pin_prefix, sizeof(pin_prefix) - 1))
		return -EINVAL;
	b64 = pin + sizeof(pin_prefix) - 1;
	if (strlen(b64) != PIN_B64_LEN || b64[PIN_B64_LEN - 1] != '=')
		return -EINVAL;
	for (unsigned i = 0; i < PIN_B64_LEN - 1; i++) {
		int v = b64_value(b64[i]);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 43 digits: 258 bits, 32 bytes and 2 left over. */
	if (n != DTLS_PIN_LEN || (acc & ((1u << bits) - 1)))
		return -EINVAL;
	return 0;
}

/* ---- the config ------------------------------------------------------------------- */

static bool is_ip_literal(const char *host)
{
	uint8_t addr[16];

	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* A server presents, a client verifies: the other role's fields mean a mixed-up config. */
static int check_role_fields(enum dtls_role role, const struct dtls_cert_config *cfg,
			     char *errbuf, size_t errlen)
{
	if (role == DTLS_ROLE_SERVER) {
		if (cfg->pin || cfg->ca_file || cfg->hostname) {
			dtls_cert_err(errbuf, errlen,
				      "pin, ca_file and hostname are for a client, not a server");
			return -EINVAL;
		}
		if (!cfg->cert_file || !cfg->key_file) {
			dtls_cert_err(errbuf, errlen, "a server needs a cert_file and a key_file");
			return -EINVAL;
		}
		return 0;
	}
	if (cfg->cert_file || cfg->key_file) {
		dtls_cert_err(errbuf, errlen,
			      "cert_file and key_file are for a server (no client certificates)");
		return -EINVAL;
	}
	if (!cfg->pin && !cfg->ca_file) {
		dtls_cert_err(errbuf, errlen,
			      "a client needs a pin or a ca_file: refusing an unverified server");
		return -EINVAL;
	}
	if (cfg->ca_file && !cfg->hostname) {
		dtls_cert_err(errbuf, errlen, "ca_file needs a hostname to check the server by");
		return -EINVAL;
	}
	return 0;
}

int dtls_cert_params_init(struct dtls_cert_params *p, enum dtls_role role,
			  const struct dtls_cert_config *cfg, char *errbuf, size_t errlen)
{
	int ret;

	memset(p, 0, sizeof(*p));
	if (role != DTLS_ROLE_CLIENT && role != DTLS_ROLE_SERVER) {
		dtls_cert_err(errbuf, errlen, "unknown role %d", (int)role);
		return -EINVAL;
	}
	p->role = role;
	ret = check_role_fields(role, cfg, errbuf, errlen);
	if (ret)
		return ret;
	if (cfg->pin && dtls_cert_pin_decode(cfg->pin, p->pin)) {
		/* The pin is no secret, but a mangled one is noise: say what is expected. */
		dtls_cert_err(errbuf, errlen,
			      "malformed pin: want pin-sha256: and the base64 of %d bytes",
			      DTLS_PIN_LEN);
		return -EINVAL;
	}
	p->has_pin = cfg->pin != NULL;
	p->has_ca = cfg->ca_file != NULL;
	if (cfg->hostname) {
		size_t n = strlen(cfg->hostname);

		if (!n || n > DTLS_MAX_HOSTNAME_LEN) {
			dtls_cert_err(errbuf, errlen, "hostname must be 1 to %d characters",
				      DTLS_MAX_HOSTNAME_LEN);
			return -EINVAL;
		}
		memcpy(p->hostname, cfg->hostname, n + 1);
		p->host_is_ip = is_ip_literal(p->hostname);
	}
	return 0;
}

/* ---- files ------------------------------------------------------------------------ */

static int read_all(FILE *fp, struct dtls_cert_file *f)
{
	size_t cap = 4096, n;

	f->data = malloc(cap);
	if (!f->data)
		return -ENOMEM;
	while ((n = fread(f->data + f->len, 1, cap - f->len - 1, fp)) > 0) {
		char *bigger;

		f->len += n;
		if (f->len > DTLS_CERT_FILE_MAX)
			return -EFBIG;
		if (f->len + 1 < cap)
			continue;
		/* Grown by copy, so no stray copy of a key is left in freed memory. */
		bigger = malloc(cap * 2);
		if (!bigger)
			return -ENOMEM;
		memcpy(bigger, f->data, f->len);
		crypto_wipe(f->data, cap);
		free(f->data);
		f->data = bigger;
		cap *= 2;
	}
	if (ferror(fp))
		return -EIO;
	f->data[f->len] = '\0';
	return 0;
}

int dtls_cert_file_read(struct dtls_cert_file *f, const char *path, const char *what,
			char *errbuf, size_t errlen)
{
	FILE *fp;
	int ret;

	memset(f, 0, sizeof(*f));
	fp = fopen(path, "rb");
	if (!fp) {
		dtls_cert_err(errbuf, errlen, "cannot read %s %s: %s", what, path,
			      strerror(errno));
		return -EINVAL;
	}
	ret = read_all(fp, f);
	fclose(fp);
	if (!ret && !f->len)
		ret = -ENODATA;
	if (ret == -ENOMEM) {
		dtls_cert_file_free(f);
		return ret;
	}
	if (ret) {
		dtls_cert_err(errbuf, errlen, "cannot read %s %s: %s", what, path,
			      ret == -EFBIG ? "too big for a PEM file" :
			      ret == -ENODATA ? "empty" : strerror(-ret));
		dtls_cert_file_free(f);
		return -EINVAL;
	}
	return 0;
}

void dtls_cert_file_free(struct dtls_cert_file *f)
{
	if (f->data) {
		crypto_wipe(f->data, f->len);
		free(f->data);
	}
	f->data = NULL;
	f->len = 0;
}
