/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's AnyConnect DTLS transport: the public settings checked and turned into
 * the DTLS session and Cisco framing configuration, and the send callback through which
 * the TLS library's handshake flights leave by the engine's own socket.
 */
#include "config.h"

#include "src/engine.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "proto/cisco-dtls.h"

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

		for (size_t i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++) {
			if (strlen(suite_names[i].name) == len &&
			    !strncasecmp(p, suite_names[i].name, len)) {
				*out |= suite_names[i].suite;
				found = true;
			}
		}
		if (!found)
			return engine_fail(errbuf, errlen, -EINVAL,
					   "unknown DTLS cipher '%.*s' (aes256-gcm, aes128-gcm, aes256-cbc-sha1, aes128-cbc-sha1)",
					   (int)len, p);
		p += len;
		if (*p == ',')
			p++;
	}
	if (!*out)
		return engine_fail(errbuf, errlen, -EINVAL, "empty DTLS cipher list");
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

static int legacy_config(const struct zcvpn_anyconnect *ac, struct dtls_config *d,
			 char *errbuf, size_t errlen)
{
	if (!ac->session_id || !ac->legacy_cipher)
		return engine_fail(errbuf, errlen, -EINVAL,
				   "legacy AnyConnect DTLS needs the master secret, the server's session ID and its cipher suite (or a PSK)");
	d->suites = 0;
	for (size_t i = 0; i < sizeof(legacy_names) / sizeof(legacy_names[0]); i++)
		if (!strcasecmp(ac->legacy_cipher, legacy_names[i].name))
			d->suites = legacy_names[i].suite;
	if (!d->suites)
		return engine_fail(errbuf, errlen, -EINVAL,
				   "unsupported legacy DTLS cipher '%s' (AES256-GCM-SHA384, AES128-GCM-SHA256, AES256-SHA, AES128-SHA)",
				   ac->legacy_cipher);
	if (ac->dtls09 && (d->suites & DTLS_SUITES_GCM))
		return engine_fail(errbuf, errlen, -EINVAL,
				   "DTLS 0.9 has no GCM suites ('%s')", ac->legacy_cipher);
	d->mode = DTLS_MODE_RESUME;
	d->version = ac->dtls09 ? DTLS_VER_0_9 : DTLS_VER_1_2;
	memcpy(d->master_secret, ac->master_secret, DTLS_MASTER_SECRET_LEN);
	memcpy(d->session_id, ac->session_id, 32);
	d->session_id_len = 32;
	return 0;
}

/*
 * The library's handshake flights.  A server does not know its peer until the handshake
 * authenticated it, so until then it answers whoever sent the last datagram.
 */
static int send_datagram(void *ctx, const void *buf, size_t len)
{
	struct zcvpn_engine *e = ctx;
	ssize_t n;

	if (e->connected)
		n = send(e->udp_fd, buf, len, MSG_DONTWAIT);
	else if (e->candidate_len)
		n = sendto(e->udp_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&e->candidate,
			   e->candidate_len);
	else
		return -ENOTCONN;
	if (n < 0) {
		e->stats.tx_errors++;
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	e->last_tx_ns = engine_now_ns();
	return 0;
}

/* A redial goes out from a new socket; a server listens to anyone again. */
static int new_path(void *ctx)
{
	return engine_new_path(ctx);
}

/*
 * No DTLS: a transport that never comes up, so every packet takes the host's fallback
 * (CSTP).  The socket stays open but idle; anything arriving on it is dropped.
 */
static uint32_t none_rx_head(const void *ctx)
{
	return 0;
}

static int none_encap(void *ctx, struct pkt *pkt)
{
	return -ENOTCONN;
}

static enum transport_verdict none_decap(void *ctx, struct pkt *pkt, uint32_t max_inner)
{
	return TRANSPORT_DROP;
}

static int none_probe(void *ctx, struct pkt *pkt)
{
	return -ENOTCONN;
}

static void none_stats(const void *ctx, struct zcvpn_stats *st)
{
}

static void none_free(void *ctx)
{
}

static bool none_ready(const void *ctx)
{
	return false;
}

/* Down from the first tick: the engine hands everything to the fallback. */
static int none_tick(void *ctx, uint64_t now_ns)
{
	return -ENOTCONN;
}

static const struct transport_ops cstp_only_ops = {
	.name = "anyconnect-cstp-only",
	.rx_head = none_rx_head,
	.encap = none_encap,
	.decap = none_decap,
	.build_probe = none_probe,
	.stats = none_stats,
	.free = none_free,
	.ready = none_ready,
	.tick = none_tick,
};

int engine_make_anyconnect(struct zcvpn_engine *e, const struct zcvpn_config *cfg,
			   char *errbuf, size_t errlen)
{
	const struct zcvpn_anyconnect *ac = &cfg->anyconnect;
	struct cisco_dtls_config cc = {
		.dtls = {
			.role = ac->server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT,
			.psk_identity = "psk",
			.handshake_timeout_ms = ac->handshake_timeout_ms,
			.send = send_datagram,
			.send_ctx = e,
		},
		.replay_window = cfg->replay_window,
		.dpd_ms = ac->dpd_ms,
		.keepalive_ms = ac->keepalive_ms,
		.max_inner = cfg->mtu,
		.redial_ms = ac->server ? 0 : ac->redial_ms,
		.new_path = new_path,
		.new_path_ctx = e,
	};
	struct cisco_dtls *c;
	int ret;

	if (ac->cstp_only) {
		e->transport = (struct transport){ .ops = &cstp_only_ops };
		return 0;
	}
	if (!ac->psk && !ac->master_secret)
		return engine_fail(errbuf, errlen, -EINVAL,
				   "AnyConnect DTLS needs the 32-byte PSK (PSK-NEGOTIATE) or a legacy master secret");
	if (ac->app_id_len > DTLS_MAX_SESSION_ID_LEN || (ac->app_id_len && !ac->app_id))
		return engine_fail(errbuf, errlen, -EINVAL,
				   "DTLS App-ID must be 1..%d bytes", DTLS_MAX_SESSION_ID_LEN);
	if (ac->server && !cfg->local)
		return engine_fail(errbuf, errlen, -EINVAL,
				   "an AnyConnect server needs a local address to listen on");
	if (!ac->server && !cfg->remote)
		return engine_fail(errbuf, errlen, -EINVAL,
				   "an AnyConnect client needs the server's address");
	if (ac->psk) {
		ret = parse_suites(ac->ciphers, &cc.dtls.suites, errbuf, errlen);
		if (ret)
			return ret;
		memcpy(cc.dtls.psk, ac->psk, DTLS_PSK_LEN);
		if (ac->app_id_len)
			memcpy(cc.dtls.session_id, ac->app_id, ac->app_id_len);
		cc.dtls.session_id_len = (uint32_t)ac->app_id_len;
	} else {
		ret = legacy_config(ac, &cc.dtls, errbuf, errlen);
		if (ret) {
			crypto_wipe(&cc, sizeof(cc));
			return ret;
		}
	}
	/* Handshake flights fit the path the tunnel will use. */
	cc.dtls.mtu = cfg->mtu + 100 < DTLS_DEFAULT_MTU ? cfg->mtu + 100 : DTLS_DEFAULT_MTU;

	ret = cisco_dtls_new(&c, &cc);
	crypto_wipe(&cc, sizeof(cc));
	if (ret)
		return engine_fail(errbuf, errlen, ret, "setting up DTLS: %s", strerror(-ret));
	cisco_dtls_transport_init(&e->transport, c);
	return 0;
}
