/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PPP-over-DTLS class: turns the public configuration into the framing's, with the
 * credentials the DTLS handshake verifies.
 */
#include "config.h"

#include "proto/ppp.h"

#include <errno.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/dtls.h"
#include "proto/ppp-dtls.h"
#include "proto/ppp-frame.h"
#include "src/util/errbuf.h"

/* cfg.ppp lives in the room zcvpn_config reserved for it: it must never outgrow it. */
_Static_assert(sizeof(struct zcvpn_ppp_config) <=
	       sizeof(((struct zcvpn_config *)0)->reserved),
	       "struct zcvpn_ppp_config outgrew zcvpn_config's reserved room");

enum {
	DEFAULT_REDIAL_MS = 60000,	/* openconnect's DTLS attempt period */
	DEFAULT_ECHO_FAILS = 3,
};

/* nullppp and HDLC framing have no DTLS (openconnect disables it with HDLC). */
static bool stream_only(const struct zcvpn_ppp_config *pc)
{
	return pc->no_dtls || pc->hdlc || pc->flavour == ZCVPN_PPP_NULLPPP;
}

/* What PPP over the host's stream looks like for this flavour. */
static enum ppp_encap stream_encap(const struct zcvpn_ppp_config *pc)
{
	switch (pc->flavour) {
	case ZCVPN_PPP_F5:
		return pc->hdlc ? PPP_ENCAP_F5_HDLC : PPP_ENCAP_F5;
	case ZCVPN_PPP_FORTINET:
		return PPP_ENCAP_FORTINET;
	default:
		return pc->hdlc ? PPP_ENCAP_RFC1662_HDLC : PPP_ENCAP_RFC1661;
	}
}

static int check_roles(const struct zcvpn_ppp_config *pc,
		       const struct transport_params *params, char *errbuf, size_t errlen)
{
	if (pc->flavour != ZCVPN_PPP_F5 && pc->flavour != ZCVPN_PPP_FORTINET &&
	    pc->flavour != ZCVPN_PPP_NULLPPP)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "unknown PPP flavour %d (F5, Fortinet or nullppp)",
				   (int)pc->flavour);
	if (!pc->want_ipv4 && !pc->want_ipv6)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "PPP needs IPv4 or IPv6 (or both)");
	if (pc->flavour == ZCVPN_PPP_FORTINET && pc->hdlc)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "Fortinet has no HDLC framing (F5 and nullppp do)");
	if (stream_only(pc))
		return 0;
	if (pc->server && !params->has_local)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "a PPP-over-DTLS server needs a local address to listen on");
	if (!pc->server && !params->has_remote)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "a PPP-over-DTLS client needs the server's address");
	if (pc->server && (!pc->cert_file || !pc->key_file))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "a PPP-over-DTLS server needs its certificate and key files");
	if (!pc->server && !pc->pin && !pc->ca_file)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "a PPP-over-DTLS client needs the server's pin or a CA file to verify it");
	return 0;
}

static int make_credentials(const struct zcvpn_ppp_config *pc, struct dtls_credentials **out,
			    char *errbuf, size_t errlen)
{
	struct dtls_cert_config cc = {
		.cert_file = pc->server ? pc->cert_file : NULL,
		.key_file = pc->server ? pc->key_file : NULL,
		.ca_file = pc->server ? NULL : pc->ca_file,
		.hostname = pc->server ? NULL : pc->hostname,
		.pin = pc->server ? NULL : pc->pin,
	};

	return dtls_credentials_new(out, pc->server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT, &cc,
				    errbuf, errlen);
}

/* The link: a server assigns what its section says, a client asks for all of it. */
static void link_config(const struct zcvpn_ppp_config *pc, struct ppp_link_config *l)
{
	*l = (struct ppp_link_config){
		.server = pc->server,
		.want_ipv4 = pc->want_ipv4,
		.want_ipv6 = pc->want_ipv6,
		.want_dns = !pc->server,
		.echo_ms = pc->dpd_ms,
		.echo_fails = DEFAULT_ECHO_FAILS,
		.keepalive_ms = pc->keepalive_ms,
	};
	if (!pc->server)
		return;
	memcpy(&l->local_ipv4, pc->ipv4, 4);
	memcpy(&l->peer_ipv4, pc->ipv4_peer, 4);
	for (unsigned int i = 0; i < 2; i++) {
		memcpy(&l->dns[i], pc->dns4[i], 4);
		memcpy(&l->nbns[i], pc->nbns4[i], 4);
	}
	memcpy(l->local_ifid, pc->ipv6_iid, 8);
	memcpy(l->peer_ifid, pc->ipv6_peer_iid, 8);
}

static int ppp_create(struct transport **out, const void *config,
		      const struct transport_params *params, char *errbuf, size_t errlen)
{
	const struct zcvpn_ppp_config *pc = config;
	struct ppp_dtls_config dc = {
		.channel = {
			.dtls = {
				.role = pc->server ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT,
				.mode = DTLS_MODE_CERT,
				.handshake_timeout_ms = pc->handshake_timeout_ms,
			},
			.replay_window = pc->replay_window,
			.redial_ms = pc->server ? 0 : pc->redial_ms,
		},
		.hello = {
			.flavour = pc->flavour,
			.session = pc->session,
			.f5_z = pc->f5_z,
			.host = pc->hostname,
			.local_name = "zcvpn",
			.ipv4 = pc->want_ipv4,
			.ipv6 = pc->want_ipv6,
		},
		.hello_timeout_ms = pc->hello_timeout_ms,
		.no_dtls = stream_only(pc),
		.stream_encap = stream_encap(pc),
		.max_inner = params->mtu,
	};
	struct ppp_dtls *p;
	int ret;

	ret = check_roles(pc, params, errbuf, errlen);
	if (!ret && !dc.no_dtls)
		ret = make_credentials(pc, &dc.creds, errbuf, errlen);
	if (ret)
		return ret;
	link_config(pc, &dc.link);
	/* Handshake flights fit the path the tunnel will use. */
	dc.channel.dtls.mtu = params->mtu + 100 < DTLS_DEFAULT_MTU ? params->mtu + 100 :
								     DTLS_DEFAULT_MTU;
	ret = ppp_dtls_new(&p, &dc, params->host, errbuf, errlen);
	crypto_wipe(&dc, sizeof(dc));
	if (ret)
		return ret;
	*out = ppp_dtls_transport(p);
	(*out)->cls = &ppp_transport_class;
	return 0;
}

static void ppp_config_init(void *config)
{
	struct zcvpn_ppp_config *pc = config;

	pc->want_ipv4 = pc->want_ipv6 = true;
	pc->redial_ms = DEFAULT_REDIAL_MS;
}

const struct transport_class ppp_transport_class = {
	.protocol = ZCVPN_PROTOCOL_PPP,
	.name = "ppp",
	.config_offset = offsetof(struct zcvpn_config, ppp),
	.create = ppp_create,
	.config_init = ppp_config_init,
	.counters = ppp_dtls_counters,
	.n_counters = PPP_DTLS_N_COUNTERS,
};
