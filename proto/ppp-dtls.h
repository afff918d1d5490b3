/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP over a DTLS channel (proto/dtls-channel.h), as F5 and Fortinet run it: after each
 * handshake the flavour's hello (proto/ppp-hello.h), then one PPP frame per record
 * behind the flavour's header, with the PPP control plane (proto/ppp-link.h)
 * negotiating LCP, IPCP and IP6CP over the channel.
 *
 *   record plaintext = F5 00 len | PPP header | information        (F5)
 *                    = total | 50 50 | len | PPP header | information (Fortinet)
 *
 * Receive is in place: the engine places a record so that DTLS's header, the vendor
 * header and the PPP header the negotiation predicts (ACFC/PFC) land in the head room,
 * and the IP packet at the payload; a frame with another header length is still
 * accepted (the engine moves it and counts the copy).  Data flows only while its NCP is
 * open; until then packets wait (first time) or take the host's fallback (after a
 * failure).  The hello is re-sent every second until hello_timeout_ms; no answer fails
 * the channel, which redials as configured.  A link that fails (dead peer by LCP echo,
 * a negotiation that never ends) fails the channel the same way; a Terminate either way
 * is final.
 *
 * Beside the channel, PPP over the host's stream (proto/ppp-tls.h) once the host gives
 * one: data takes it while PPP over DTLS is not up (the transport reads as down, so the
 * engine's fallback is the stream), and it is the only path without DTLS (nullppp,
 * HDLC framing, --no-dtls).
 */
#ifndef ZCVPN_PROTO_PPP_DTLS_H
#define ZCVPN_PROTO_PPP_DTLS_H

#include <stdint.h>

#include "proto/dtls-channel.h"
#include "proto/ppp-frame.h"
#include "proto/ppp-hello.h"
#include "proto/ppp-link.h"
#include "proto/transport.h"

struct ppp_dtls;

struct ppp_dtls_config {
	struct dtls_channel_config channel;	/* up and up_ctx are the framing's */
	/*
	 * Certificate-mode credentials for the channel (channel.dtls.creds is set from
	 * this).  Taken over by ppp_dtls_new, even when it fails: freed after the channel.
	 */
	struct dtls_credentials *creds;
	/* Client: what its hello says; server: the flavour and the session it expects. */
	struct ppp_hello_params hello;
	uint32_t hello_timeout_ms;		/* 0: 5 s */
	bool no_dtls;				/* the stream only: no channel at all */
	enum ppp_encap stream_encap;		/* PPP over the host's stream; 0: the
						 * flavour's own */
	struct ppp_link_config link;		/* link.server picks the role */
	uint32_t max_inner;			/* the tunnel MTU */
};

/* What the framing counts; the link, the channel and the record layer count the rest. */
struct ppp_dtls_stats {
	uint64_t hello_tx, hello_rx;		/* hellos (and answers) sent and received */
	uint64_t hello_refused;			/* a well-formed no, either way */
	uint64_t rx_bad_hello;			/* authentic, but not a hello of this flavour */
	uint64_t rx_bad_encap;			/* vendor header wrong, or its lengths lie */
	uint64_t rx_bad_header;			/* PPP header malformed */
	uint64_t rx_ncp_closed;			/* IP data while its NCP is not open */
	uint64_t rx_empty;			/* a frame without information */
	uint64_t tx_no_ncp;			/* refused to send: no open NCP for it */
	uint64_t rx_header_moved;		/* data frames whose header was not the
						 * predicted length (the engine moved them) */
};

/*
 * Creates the framing and its channel; cfg is copied (strings included), its creds
 * taken, host borrowed.  -EINVAL with errbuf saying why, -ENOMEM.
 */
int ppp_dtls_new(struct ppp_dtls **out, const struct ppp_dtls_config *cfg,
		 struct transport_host *host, char *errbuf, size_t errlen);

struct transport *ppp_dtls_transport(struct ppp_dtls *p);
struct dtls_channel *ppp_dtls_channel(struct ppp_dtls *p);
struct ppp_link *ppp_dtls_link(struct ppp_dtls *p);
const struct ppp_dtls_stats *ppp_dtls_stats(const struct ppp_dtls *p);

/* The counters a PPP-over-DTLS transport reports: the framing's, the link's, the
 * channel's, the record layer's. */
enum { PPP_DTLS_N_COUNTERS = 68 };
extern const struct transport_counter ppp_dtls_counters[PPP_DTLS_N_COUNTERS];

#endif /* ZCVPN_PROTO_PPP_DTLS_H */
