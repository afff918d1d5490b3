/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The public ESP settings checked and turned into the module's, with messages that name
 * what is wrong: the embedding client's configuration errors end up in front of a user.
 */
#include "config.h"

#include "proto/esp-config.h"

#include <errno.h>
#include <string.h>

#include "proto/transport.h"

enum {
	/* RFC 4303 §2.1: 1..255 are reserved by IANA, 0 is never a valid SPI. */
	ESP_MIN_SPI = 256,
};

static int copy_keys(const struct zcvpn_esp_sa *in, struct esp_sa_config *out,
		     const char *which, char *errbuf, size_t errlen)
{
	if (in->enc_key_len > sizeof(out->enc_key) || in->auth_key_len > sizeof(out->auth_key) ||
	    (in->enc_key_len && !in->enc_key) || (in->auth_key_len && !in->auth_key))
		return errbuf_fail(errbuf, errlen, -EINVAL, "%s SA: key too long or missing",
				   which);
	if (in->enc_key_len)
		memcpy(out->enc_key, in->enc_key, in->enc_key_len);
	if (in->auth_key_len)
		memcpy(out->auth_key, in->auth_key, in->auth_key_len);
	out->enc_key_len = (uint32_t)in->enc_key_len;
	out->auth_key_len = (uint32_t)in->auth_key_len;
	return 0;
}

int esp_sa_from_public(const struct zcvpn_esp_sa *in, unsigned int replay_window,
		       struct esp_sa_config *out, const char *which, char *errbuf,
		       size_t errlen)
{
	const char *msg;
	int ret;

	memset(out, 0, sizeof(*out));
	out->spi = in->spi;
	out->replay_window = replay_window;
	if (!in->enc || esp_enc_parse(in->enc, &out->enc))
		return errbuf_fail(errbuf, errlen, -EINVAL,
			    "%s SA: unknown encryption '%s' (aes128-gcm, aes256-gcm, aes128-cbc, aes256-cbc)",
			    which, in->enc ? in->enc : "(none)");
	if (esp_auth_parse(in->auth ? in->auth : "none", &out->auth))
		return errbuf_fail(errbuf, errlen, -EINVAL,
			    "%s SA: unknown authentication '%s' (none, hmac-md5-96, hmac-sha1-96, hmac-sha256-128)",
			    which, in->auth);
	ret = copy_keys(in, out, which, errbuf, errlen);
	if (ret)
		return ret;
	if (esp_sa_config_check(out, &msg))
		return errbuf_fail(errbuf, errlen, -EINVAL, "%s SA: %s", which, msg);
	if (out->spi < ESP_MIN_SPI)
		return errbuf_fail(errbuf, errlen, -EINVAL,
			    "%s SA: SPI %u is reserved (RFC 4303: 1..255 are IANA's, 0 is invalid)",
			    which, out->spi);
	return 0;
}

ZCVPN_EXPORT int zcvpn_esp_key_lengths(const char *enc, const char *auth, size_t *enc_len,
				       size_t *auth_len)
{
	enum esp_enc e;
	enum esp_auth a;

	if (!enc || !auth || esp_enc_parse(enc, &e) || esp_auth_parse(auth, &a))
		return -EINVAL;
	if (esp_suite_is_gcm(e) != (a == ESP_AUTH_NONE))
		return -EINVAL;
	*enc_len = esp_enc_key_len(e);
	*auth_len = esp_auth_key_len(a);
	return 0;
}
