/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client's rekeys, as the server's X-CSTP-Rekey-Time and -Method ask (DTLS rekeys on
 * its own timer are the library's, zcvpn_anyconnect_config.rekey_ms): "new-tunnel" moves
 * the session to a new TLS connection and CONNECT with the cookie, and DTLS to the new
 * App-ID and PSK; "ssl" gets new keys on the connection itself (TLS 1.3: a KeyUpdate;
 * TLS 1.2: a renegotiation, after which ocserv derives a new DTLS session's PSK from the
 * renegotiated session, so DTLS moves to it at once).  Packets wait out neither: DTLS
 * carries them, or CSTP while DTLS has its new handshake.
 */
#include "config.h"

#include "src/cli/cmd-anyconnect.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

enum {
	REKEY_TIMEOUT_S = 10,		/* for a renegotiation: then the session has failed */
};

/* Its clock started a round trip before ours, and a rekey takes one or two. */
uint32_t cstp_client_rekey_after_ms(uint32_t interval_s)
{
	uint64_t ms = (uint64_t)interval_s * 1000, early = ms / 10 < 10000 ? ms / 10 : 10000;

	return ms - early > UINT32_MAX ? UINT32_MAX : (uint32_t)(ms - early);
}

void cstp_client_rekey_schedule(struct cstp_client *s, double now)
{
	s->cstp_rekey_due = s->info.rekey_method == CSTP_REKEY_NONE ? 0 :
			    now + cstp_client_rekey_after_ms(s->info.rekey_s) / 1000.0;
}

/*
 * The DTLS PSK as the TLS session's exporter gives it now, into s->psk: 1 if it changed
 * (a new tunnel, a TLS 1.2 renegotiation; ocserv derives each new DTLS session's PSK
 * from the TLS session as it is then), 0 if not, -EIO.
 */
static int export_psk(struct cstp_client *s)
{
	uint8_t psk[sizeof(s->psk)];
	int changed;

	if (tls_export(s->tls, PSK_LABEL, psk, sizeof(psk))) {
		fprintf(stderr, "zcvpn: rekey: deriving the DTLS PSK from the TLS session failed\n");
		return -EIO;
	}
	changed = memcmp(psk, s->psk, sizeof(psk)) != 0;
	memcpy(s->psk, psk, sizeof(psk));
	explicit_bzero(psk, sizeof(psk));
	return changed;
}

/* DTLS on the session's current keys: a new session at once, packets on CSTP meanwhile. */
static int rekey_dtls(struct cstp_client *s)
{
	struct zcvpn_rekey rk;
	char err[256];
	int ret;

	memset(&rk, 0, sizeof(rk));
	if (s->info.dtls_mode == CSTP_DTLS_PSK) {
		rk.anyconnect.psk = s->psk;
		rk.anyconnect.app_id = s->info.app_id;
		rk.anyconnect.app_id_len = s->info.app_id_len;
	} else {
		rk.anyconnect.master_secret = s->req.master_secret;
		rk.anyconnect.session_id = s->info.session_id;
		rk.anyconnect.legacy_cipher = s->info.dtls_cipher;
		rk.anyconnect.dtls09 = !s->info.dtls12;
	}
	ret = zcvpn_engine_rekey(s->engine, &rk, err, sizeof(err));
	explicit_bzero(s->req.master_secret, sizeof(s->req.master_secret));
	if (ret)
		fprintf(stderr, "zcvpn: rekey: %s\n", err);
	return ret;
}

/*
 * "new-tunnel": the session moves to a new TLS connection and CONNECT (ocserv ends the
 * old one's worker), and DTLS to the keys that came with it.  A script hears
 * "reconnect", as from openconnect after its reconnect.
 */
static int rekey_new_tunnel(struct cstp_client *s)
{
	struct tls_conn *tls;
	char err[512];
	int ret;

	if (getrandom(s->req.master_secret, sizeof(s->req.master_secret), 0) !=
	    sizeof(s->req.master_secret))
		return -EIO;
	ret = cstp_new_tunnel(&s->server, s->cookie, &s->req, &s->info, &tls, &s->next,
			      &s->next_reader, err, sizeof(err));
	if (ret) {
		explicit_bzero(s->req.master_secret, sizeof(s->req.master_secret));
		fprintf(stderr, "zcvpn: rekey: a new tunnel: %s\n", err);
		return ret;
	}
	tls_free(s->tls);
	s->tls = tls;
	s->reader = s->next_reader;
	s->info = s->next;
	if (s->info.dtls && s->info.dtls_mode == CSTP_DTLS_PSK)
		ret = export_psk(s);
	if (ret >= 0 && s->info.dtls)
		ret = rekey_dtls(s);
	if (ret)
		return ret;
	fprintf(stderr, "zcvpn: rekey: a new tunnel (CSTP rekey %" PRIu64 ", %s)\n",
		s->cstp_rekeys, tls_description(s->tls));
	if (s->script)
		vpnc_script_reason(s->script, &s->vpnc, "reconnect");
	return 0;
}

int cstp_client_rekey(struct cstp_client *s, double now)
{
	s->cstp_rekeys++;
	cstp_client_rekey_schedule(s, now);
	if (s->info.rekey_method == CSTP_REKEY_NEW_TUNNEL)
		return rekey_new_tunnel(s);
	s->cstp_rekey_started = now;
	return 0;
}

int cstp_client_rekey_step(struct cstp_client *s)
{
	int ret = cstp_rekey_step(s->tls, &s->reader);

	if (ret == 0) {
		s->cstp_rekey_started = 0;
		fprintf(stderr, "zcvpn: rekey: new TLS keys (CSTP rekey %" PRIu64 ", %s)\n",
			s->cstp_rekeys, tls_description(s->tls));
		if (!s->info.dtls || s->info.dtls_mode != CSTP_DTLS_PSK)
			return 0;
		/* TLS 1.2 renegotiated: the PSK ocserv gives a new DTLS session changed too. */
		ret = export_psk(s);
		return ret > 0 ? rekey_dtls(s) : ret;
	}
	if (ret == -EAGAIN && cli_now_s() - s->cstp_rekey_started > REKEY_TIMEOUT_S)
		ret = -ETIMEDOUT;
	if (ret == -EAGAIN || ret > 0)
		return 0;
	fprintf(stderr, "zcvpn: rekey: new TLS keys: %s\n",
		ret == -EOPNOTSUPP ? "the server refused to renegotiate" : strerror(-ret));
	return ret;
}
