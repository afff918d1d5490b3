/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library-independent half of CERT-mode credentials (crypto/dtls.h), shared by both
 * backends so the rules are written once: the checks of a dtls_cert_config and the
 * messages they give, the pin-sha256 decoding, the host name (and whether it is an IP
 * literal, which gets no SNI), reading a PEM file into memory, and the reasons a client
 * refuses a server certificate, worded the same whichever library found them.
 * Internal to the backends; callers use crypto/dtls.h.
 */
#ifndef ZCVPN_CRYPTO_DTLS_CERT_H
#define ZCVPN_CRYPTO_DTLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dtls.h"

enum dtls_cert_limits {
	DTLS_CERT_FILE_MAX = 1 << 20,	/* a PEM file bigger than this is not ours */
};

/* What both backends keep of a dtls_cert_config: checked, decoded and copied. */
struct dtls_cert_params {
	enum dtls_role role;
	bool has_pin;
	bool has_ca;
	bool host_is_ip;			/* hostname is an IPv4 or IPv6 literal */
	uint8_t pin[DTLS_PIN_LEN];		/* SHA-256 of the leaf's SubjectPublicKeyInfo */
	char hostname[DTLS_MAX_HOSTNAME_LEN + 1];	/* "" when none */
};

/*
 * Why a client refused the server's certificate.  The backends map their library's
 * verdict to these so that dtls_last_error reads the same on both.
 */
enum dtls_cert_verdict {
	DTLS_CERT_OK,
	DTLS_CERT_NO_CERT,		/* the server sent none */
	DTLS_CERT_UNPARSABLE,		/* its leaf could not be read */
	DTLS_CERT_PIN_MISMATCH,
	DTLS_CERT_UNTRUSTED,		/* no chain to a ca_file anchor */
	DTLS_CERT_BAD_SIGNATURE,
	DTLS_CERT_EXPIRED,
	DTLS_CERT_NOT_YET_VALID,
	DTLS_CERT_NAME_MISMATCH,
	DTLS_CERT_WRONG_PURPOSE,	/* its key usage excludes TLS servers */
	DTLS_CERT_INSECURE,		/* too weak an algorithm or key */
	DTLS_CERT_FAILED,		/* any other reason */
};

/* The text for a verdict, as dtls_last_error shows it; never NULL. */
const char *dtls_cert_verdict_str(enum dtls_cert_verdict v);

/*
 * Checks cfg for role and fills *p; NULL strings are absent, and an empty string counts
 * as given (and fails its own check).  Returns 0, or -EINVAL with the reason in errbuf
 * (see dtls_credentials_new in crypto/dtls.h).  The files are not opened here.
 */
int dtls_cert_params_init(struct dtls_cert_params *p, enum dtls_role role,
			  const struct dtls_cert_config *cfg, char *errbuf, size_t errlen);

/*
 * Decodes openconnect's "pin-sha256:<base64>" into out.  Strict: the prefix as written,
 * canonical padded base64 of exactly DTLS_PIN_LEN bytes, nothing after it.  Returns 0
 * or -EINVAL.
 */
int dtls_cert_pin_decode(const char *pin, uint8_t out[DTLS_PIN_LEN]);

/* A whole file in memory, NUL-terminated (len does not count the NUL). */
struct dtls_cert_file {
	char *data;
	size_t len;
};

/*
 * Reads path into *f for parsing from memory.  what names the config field for the
 * message ("cert_file").  Returns 0, -EINVAL (unreadable, empty or above
 * DTLS_CERT_FILE_MAX; the reason in errbuf) or -ENOMEM.
 */
int dtls_cert_file_read(struct dtls_cert_file *f, const char *path, const char *what,
			char *errbuf, size_t errlen);
/* Wipes (the file may hold a private key) and frees; f may be all zero. */
void dtls_cert_file_free(struct dtls_cert_file *f);

/* Writes a message to errbuf when there is room for one; errbuf may be NULL. */
void dtls_cert_err(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The checked parameters of a backend's credentials, for dtls_config_check and the
 * session setup.  Each backend defines it beside its struct dtls_credentials.
 */
const struct dtls_cert_params *dtls_credentials_params(const struct dtls_credentials *c);

#endif /* ZCVPN_CRYPTO_DTLS_CERT_H */
