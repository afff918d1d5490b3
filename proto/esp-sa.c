/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP security associations: suite names, key checks, crypto contexts, and the
 * current/previous inbound pair that lets a rekey overlap.
 */
#include "config.h"

#include "proto/esp-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/util/macros.h"

static const struct {
	const char *name;
	enum esp_enc enc;
	enum crypto_cipher cipher;
} enc_table[] = {
	{ "aes128-cbc", ESP_ENC_AES128_CBC, CRYPTO_AES128_CBC },
	{ "aes256-cbc", ESP_ENC_AES256_CBC, CRYPTO_AES256_CBC },
	{ "aes128-gcm", ESP_ENC_AES128_GCM, CRYPTO_AES128_GCM },
	{ "aes256-gcm", ESP_ENC_AES256_GCM, CRYPTO_AES256_GCM },
};

static const struct {
	const char *name;
	enum esp_auth auth;
	enum crypto_hmac_alg alg;
	uint32_t icv_len;
	uint32_t key_len;
} auth_table[] = {
	{ "none", ESP_AUTH_NONE, 0, 0, 0 },
	{ "hmac-md5-96", ESP_AUTH_HMAC_MD5_96, CRYPTO_HMAC_MD5, 12, 16 },
	{ "hmac-sha1-96", ESP_AUTH_HMAC_SHA1_96, CRYPTO_HMAC_SHA1, 12, 20 },
	{ "hmac-sha256-128", ESP_AUTH_HMAC_SHA256_128, CRYPTO_HMAC_SHA256, 16, 32 },
};

/* The suite's table row, so an unknown value is caught. */
static bool enc_known(enum esp_enc enc)
{
	for (size_t i = 0; i < ARRAY_SIZE(enc_table); i++)
		if (enc_table[i].enc == enc)
			return true;
	return false;
}

int esp_enc_parse(const char *name, enum esp_enc *enc)
{
	for (size_t i = 0; i < ARRAY_SIZE(enc_table); i++)
		if (!strcmp(enc_table[i].name, name)) {
			*enc = enc_table[i].enc;
			return 0;
		}
	return -EINVAL;
}

int esp_auth_parse(const char *name, enum esp_auth *auth)
{
	for (size_t i = 0; i < ARRAY_SIZE(auth_table); i++)
		if (!strcmp(auth_table[i].name, name)) {
			*auth = auth_table[i].auth;
			return 0;
		}
	return -EINVAL;
}

bool esp_suite_is_gcm(enum esp_enc enc)
{
	return enc == ESP_ENC_AES128_GCM || enc == ESP_ENC_AES256_GCM;
}

static enum crypto_cipher enc_cipher(enum esp_enc enc)
{
	for (size_t i = 0; i < ARRAY_SIZE(enc_table); i++)
		if (enc_table[i].enc == enc)
			return enc_table[i].cipher;
	return CRYPTO_AES128_CBC;
}

uint32_t esp_enc_key_len(enum esp_enc enc)
{
	uint32_t len = (uint32_t)crypto_cipher_key_len(enc_cipher(enc));

	return esp_suite_is_gcm(enc) ? len + ESP_GCM_SALT_LEN : len;
}

static int auth_index(enum esp_auth auth)
{
	for (size_t i = 0; i < ARRAY_SIZE(auth_table); i++)
		if (auth_table[i].auth == auth)
			return (int)i;
	return -1;
}

uint32_t esp_auth_key_len(enum esp_auth auth)
{
	int i = auth_index(auth);

	return i < 0 ? 0 : auth_table[i].key_len;
}

int esp_sa_config_check(const struct esp_sa_config *cfg, const char **errmsg)
{
	const char *msg = NULL;

	if (!enc_known(cfg->enc))
		msg = "unknown ESP encryption algorithm";
	else if (auth_index(cfg->auth) < 0)
		msg = "unknown ESP authentication algorithm";
	else if (esp_suite_is_gcm(cfg->enc) && cfg->auth != ESP_AUTH_NONE)
		msg = "AES-GCM authenticates itself: use authentication \"none\" with it";
	else if (!esp_suite_is_gcm(cfg->enc) && cfg->auth == ESP_AUTH_NONE)
		msg = "AES-CBC needs an HMAC: ESP without integrity is not supported";
	else if (cfg->enc_key_len != esp_enc_key_len(cfg->enc))
		msg = esp_suite_is_gcm(cfg->enc) ?
			      "wrong encryption key length: AES-GCM takes the AES key plus a 4-byte salt (20 or 36 bytes)" :
			      "wrong encryption key length: AES-CBC takes 16 or 32 bytes";
	else if (cfg->auth != ESP_AUTH_NONE && cfg->auth_key_len != esp_auth_key_len(cfg->auth))
		msg = "wrong authentication key length: MD5 takes 16 bytes, SHA1 20, SHA256 32";
	else if (cfg->replay_window && replay_window_check_size(cfg->replay_window))
		msg = "replay window must be a multiple of 64 from 64 to 4096";
	if (errmsg)
		*errmsg = msg;
	return msg ? -EINVAL : 0;
}

void esp_sa_clear(struct esp_sa *sa)
{
	crypto_aead_free(sa->aead);
	crypto_cbc_free(sa->cbc);
	crypto_hmac_free(sa->hmac);
	crypto_wipe(sa, sizeof(*sa));
}

static int sa_init(struct esp_sa *sa, const struct esp_sa_config *cfg)
{
	enum crypto_cipher cipher = enc_cipher(cfg->enc);
	uint32_t aes_len = (uint32_t)crypto_cipher_key_len(cipher);
	int ret, ai = auth_index(cfg->auth);

	memset(sa, 0, sizeof(*sa));
	sa->spi = cfg->spi;
	sa->enc = cfg->enc;
	sa->auth = cfg->auth;
	sa->gcm = esp_suite_is_gcm(cfg->enc);
	if (sa->gcm) {
		sa->iv_len = ESP_GCM_IV_LEN;
		sa->icv_len = ESP_GCM_ICV_LEN;
		sa->block = ESP_GCM_ALIGN;
		memcpy(sa->salt, cfg->enc_key + aes_len, ESP_GCM_SALT_LEN);
		ret = crypto_aead_new(&sa->aead, cipher, cfg->enc_key, aes_len);
		if (!ret)
			ret = crypto_random(&sa->iv_mask, sizeof(sa->iv_mask));
	} else {
		sa->iv_len = ESP_CBC_IV_LEN;
		sa->icv_len = auth_table[ai].icv_len;
		sa->block = ESP_CBC_BLOCK;
		ret = crypto_cbc_new(&sa->cbc, cipher, cfg->enc_key, aes_len);
		if (!ret)
			ret = crypto_hmac_new(&sa->hmac, auth_table[ai].alg, cfg->auth_key,
					      cfg->auth_key_len);
		if (!ret)
			ret = crypto_random(sa->next_iv, sizeof(sa->next_iv));
	}
	if (!ret)
		ret = replay_window_init(&sa->replay, cfg->replay_window ?
							   cfg->replay_window :
							   ESP_DEFAULT_REPLAY_WINDOW);
	if (ret) {
		esp_sa_clear(sa);
		return ret;
	}
	sa->active = true;
	return 0;
}

int esp_new(struct esp **out)
{
	struct esp *esp = calloc(1, sizeof(*esp));

	if (!esp)
		return -ENOMEM;
	*out = esp;
	return 0;
}

void esp_free(struct esp *esp)
{
	if (!esp)
		return;
	esp_sa_clear(&esp->out);
	esp_sa_clear(&esp->in[0]);
	esp_sa_clear(&esp->in[1]);
	free(esp);
}

/* A checked, keyed SA, not yet installed: a failure leaves the installed ones alone. */
static int sa_prepare(struct esp_sa *sa, const struct esp_sa_config *cfg, const char **errmsg)
{
	int ret = esp_sa_config_check(cfg, errmsg);

	return ret ? ret : sa_init(sa, cfg);
}

int esp_set_outbound(struct esp *esp, const struct esp_sa_config *cfg, const char **errmsg)
{
	struct esp_sa sa;
	int ret = sa_prepare(&sa, cfg, errmsg);

	if (ret)
		return ret;
	esp_sa_clear(&esp->out);
	esp->out = sa;
	crypto_wipe(&sa, sizeof(sa));	/* the salt and IV mask, not left on the stack */
	return 0;
}

int esp_set_inbound(struct esp *esp, const struct esp_sa_config *cfg, const char **errmsg)
{
	struct esp_sa sa;
	int ret = sa_prepare(&sa, cfg, errmsg);

	if (ret)
		return ret;
	esp_sa_clear(&esp->in[1]);
	esp->in[1] = esp->in[0];
	/* Open until the peer uses the new SA; esp_decap then closes it after a grace. */
	esp->in[1].grace_limit = UINT64_MAX;
	esp->in[0] = sa;
	crypto_wipe(&sa, sizeof(sa));
	return 0;
}

uint32_t esp_rx_head_len(const struct esp *esp)
{
	const struct esp_sa *sa = &esp->in[0];

	return ESP_HDR_LEN + (sa->active ? sa->iv_len : ESP_CBC_IV_LEN);
}

uint32_t esp_max_head(void)
{
	return ESP_MAX_HEAD;
}

uint32_t esp_max_tail(void)
{
	return ESP_MAX_TAIL;
}

uint32_t esp_min_overhead(void)
{
	return ESP_MIN_OVERHEAD;
}

void esp_get_stats(const struct esp *esp, struct esp_stats *stats)
{
	*stats = esp->stats;
}
