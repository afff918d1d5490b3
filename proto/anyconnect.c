/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect transport class: the public settings checked and turned into the DTLS
 * channel's and the Cisco framing's configuration, and the CSTP-only transport for a
 * server that offered no DTLS.
 */
#include "config.h"

#include "proto/anyconnect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "proto/cisco-dtls.h"
#include "src/util/macros.h"

static const struct {
	const char *name;
	enum dtls_suite suite;
} suite_names[] = {
	{ "aes256-gcm", DTLS_SUITE_AES256_GCM },
	{ "aes128-gcm", DTLS_SUITE_AES128_GCM },
	{ "aes256-cbc-sha1", DTLS_SUITE_AES256_CBC_SHA1 },
	{ "aes128-cbc-sha1", DTLS_SUITE_AES128_CBC_SHA1 },
};

/* "aes256-gcm,aes128-cbc-sha1" -> suite bits.  -EINVAL names the bad entry. */
static int parse_suites(const char *list, unsigned *out, char *errbuf, size_t errlen)
{
	const char *p = list;

	*out = 0;
	if (!list) {
		*out = DTLS_SUITES_GCM;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(suite_names); i++) {
			if (strlen(suite_names[i].name) == len &&
			    !strncasecmp(p, suite_names[i].name, len)) {
				*out |= suite_names[i].suite;
				found = true;
			}
		}
		if (!found)
			return errbuf_fail(errbuf, errlen, -EINVAL,
					   "unknown DTLS cipher '%.*s' (aes256-gcm, aes128-gcm, aes256-cbc-sha1, aes128-cbc-sha1)",
					   (int)len, p);
		p += len;
		if (*p == ',')
			p++;
	}
	if (!*out)
		return errbuf_fail(errbuf, errlen, -EINVAL, "empty DTLS cipher list");
	return 0;
}

/* Legacy suites by the names Cisco's X-DTLS(12)-CipherSuite headers use. */
static const struct {
	const char *name;
	enum dtls_suite suite;
} legacy_names[] = {
	{ "AES256-GCM-SHA384", DTLS_SUITE_AES256_GCM },
	{ "AES128-GCM-SHA256", DTLS_SUITE_AES128_GCM },
	{ "AES256-SHA", DTLS_SUITE_AES256_CBC_SHA1 },
	{ "AES128-SHA", DTLS_SUITE_AES128_CBC_SHA1 },
};

static int legacy_config(const struct zcvpn_anyconnect_config *ac, struct dtls_config *d,
			 char *errbuf, size_t errlen)
{
	if (!ac->session_id || !ac->legacy_cipher)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "legacy AnyConnect DTLS needs the master secret, the server's session ID and its cipher suite (or a PSK)");
	d->suites = 0;
	for (size_t i = 0; i < ARRAY_SIZE(legacy_names); i++)
		if (!strcasecmp(ac->legacy_cipher, legacy_names[i].name))
			d->suites = legacy_names[i].suite;
	if (!d->suites)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "unsupported legacy DTLS cipher '%s' (AES256-GCM-SHA384, AES128-GCM-SHA256, AES256-SHA, AES128-SHA)",
				   ac->legacy_cipher);
	if (ac->dtls09 && (d->suites & DTLS_SUITES_GCM))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "DTLS 0.9 has no GCM suites ('%s')", ac->legacy_cipher);
	d->mode = DTLS_MODE_RESUME;
	d->version = ac->dtls09 ? DTLS_VER_0_9 : DTLS_VER_1_2;
	memcpy(d->master_secret, ac->master_secret, DTLS_MASTER_SECRET_LEN);
	memcpy(d->session_id, ac->session_id, 32);
	d->session_id_len = 32;
	return 0;
}

/*
 * No DTLS: a transport that never comes up, so every packet takes the host's fallback
 * (CSTP).  The socket stays open but idle; anything arriving on it is dropped.
 */
struct cstp_only {
	struct transport t;
};

static uint32_t none_rx_head(const struct transport *t)
{
	return 0;
}

static int none_encap(struct transport *t, struct pkt *pkt, struct transport_spare *spare)
{
	return -ENOTCONN;
}

static enum transport_verdict none_decap(struct transport *t, struct pkt *pkt,
					 uint32_t max_inner)
{
	return TRANSPORT_DROP;
}

static uint64_t none_run_timers(struct transport *t, uint64_t now)
{
	return TRANSPORT_NO_DEADLINE;
}

/* Down from the start: the engine hands everything to the fallback. */
static enum zcvpn_transport_state none_state(const struct transport *t, int *error)
{
	*error = -ENOTCONN;
	return ZCVPN_TRANSPORT_DOWN;
}

static void none_read_counters(const struct transport *t, uint64_t *values)
{
	memset(values, 0, CISCO_DTLS_N_COUNTERS * sizeof(*values));
}

static void none_free(struct transport *t)
{
	free(container_of(t, struct cstp_only, t));
}

static const struct transport_ops cstp_only_ops = {
	.rx_head = none_rx_head,
	.encap = none_encap,
	.decap = none_decap,
	.run_timers = none_run_timers,
	.state = none_state,
	.read_counters = none_read_counters,
	.free = none_free,
};

static int make_cstp_only(struct transport **out, const struct transport_params *params)
{
	struct cstp_only *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->t = (struct transport){
		.ops = &cstp_only_ops,
		.cls = &anyconnect_transport_class,
		.host = params->host,
	};
	*out = &n->t;
	return 0;
}

/* Which end, which keys, which address: what a DTLS session cannot do without. */
static int check_roles(const struct zcvpn_anyconnect_config *ac,
		       const struct transport_params *params, char *errbuf, size_t errlen)
{
	if (!ac->psk && !ac->master_secret)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "AnyConnect DTLS needs the 32-byte PSK (PSK-NEGOTIATE) or a legacy master secret");
	if (ac->app_id_len > DTLS_MAX_SESSION_ID_LEN || (ac->app_id_len && !ac->app_id))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "DTLS App-ID must be 1..%d bytes", DTLS_MAX_SESSION_ID_LEN);
	if (ac->server && !params->has_local)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "an AnyConnect server needs a local address to listen on");
	if (!ac->server && !params->has_remote)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "an AnyConnect client needs the server's address");
	return 0;
}

/* The DTLS session's keys: PSK-NEGOTIATE, or the legacy resumption. */
static int session_keys(const struct zcvpn_anyconnect_config *ac, struct dtls_config *d,
			char *errbuf, size_t errlen)
{
	int ret;

	if (!ac->psk)
		return legacy_config(ac, d, errbuf, errlen);
	ret = parse_suites(ac->ciphers, &d->suites, errbuf, errlen);
	if (ret)
		return ret;
	memcpy(d->psk, ac->psk, DTLS_PSK_LEN);
	if (ac->app_id_len)
		memcpy(d->session_id, ac->app_id, ac->app_id_len);
	d->session_id_len = (uint32_t)ac->app_id_len;
	return 0;
}

/* Read as anyconnect_create reads the configuration's keys. */
int anyconnect_rekey_keys(const struct zcvpn_rekey *rk, struct dtls_config *d, char *errbuf,
			  size_t errlen)
{
	const struct zcvpn_anyconnect_config ac = {
		.psk = rk->anyconnect.psk,
		.app_id = rk->anyconnect.app_id,
		.app_id_len = rk->anyconnect.app_id_len,
		.master_secret = rk->anyconnect.master_secret,
		.session_id = rk->anyconnect.session_id,
		.legacy_cipher = rk->anyconnect.legacy_cipher,
		.dtls09 = rk->anyconnect.dtls09,
	};
	unsigned suites = d->suites;
	int ret;

	if (!ac.psk && !ac.master_secret)
		return 0;
	if (ac.app_id_len > DTLS_MAX_SESSION_ID_LEN || (ac.app_id_len && !ac.app_id))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "DTLS App-ID must be 1..%d bytes", DTLS_MAX_SESSION_ID_LEN);
	if (ac.psk)
		d->mode = DTLS_MODE_PSK;
	ret = session_keys(&ac, d, errbuf, errlen);
	/* PSK-NEGOTIATE: the suites offered stay those the configuration chose. */
	if (!ret && ac.psk)
		d->suites = suites;
	return ret ? ret : 1;
}

static int anyconnect_create(struct transport **out, const void *config,
			     const struct transport_params *params, char *errbuf, size_t errlen)
{
	const struct zcvpn_anyconnect_config *ac = config;
	struct cisco_dtls_config cc = {
		.channel = {
			.dtls = {
				.role = ac->server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT,
				.psk_identity = "psk",
				.handshake_timeout_ms = ac->handshake_timeout_ms,
			},
			.replay_window = ac->replay_window,
			.redial_ms = ac->server ? 0 : ac->redial_ms,
			.rekey_ms = ac->server ? 0 : ac->rekey_ms,
		},
		.rekey_keys = anyconnect_rekey_keys,
		.dpd_ms = ac->dpd_ms,
		.keepalive_ms = ac->keepalive_ms,
		.max_inner = params->mtu,
	};
	struct cisco_dtls *c;
	int ret;

	if (ac->cstp_only)
		return make_cstp_only(out, params) ?
		       errbuf_fail(errbuf, errlen, -ENOMEM, "out of memory") : 0;
	ret = check_roles(ac, params, errbuf, errlen);
	if (!ret)
		ret = session_keys(ac, &cc.channel.dtls, errbuf, errlen);
	if (ret)
		goto out;
	/* Handshake flights fit the path the tunnel will use. */
	cc.channel.dtls.mtu = params->mtu + 100 < DTLS_DEFAULT_MTU ? params->mtu + 100 :
								     DTLS_DEFAULT_MTU;
	ret = cisco_dtls_new(&c, &cc, params->host);
	if (ret) {
		errbuf_fail(errbuf, errlen, ret, "setting up DTLS: %s", strerror(-ret));
		goto out;
	}
	*out = cisco_dtls_transport(c);
	(*out)->cls = &anyconnect_transport_class;
out:
	crypto_wipe(&cc, sizeof(cc));
	return ret;
}

enum {
	DEFAULT_REDIAL_MS = 60000,	/* openconnect's DTLS attempt period */
};

static void anyconnect_config_init(void *config)
{
	struct zcvpn_anyconnect_config *ac = config;

	ac->redial_ms = DEFAULT_REDIAL_MS;
}

const struct transport_class anyconnect_transport_class = {
	.protocol = ZCVPN_PROTOCOL_ANYCONNECT,
	.name = "anyconnect",
	.config_offset = offsetof(struct zcvpn_config, anyconnect),
	.create = anyconnect_create,
	.config_init = anyconnect_config_init,
	.counters = cisco_dtls_counters,
	.n_counters = CISCO_DTLS_N_COUNTERS,
};
