/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A PPP link's control plane: LCP, then IPCP and IP6CP, each an RFC 1661 option
 * negotiation automaton (proto/ppp-fsm.h), plus LCP's echo as dead-peer detection and
 * Discard-Request as keepalive.  It knows nothing of framing or transport: it is handed
 * the information field of each received control frame and hands back control packets
 * to send through ops->send, which adds the PPP header, the encapsulation and whatever
 * carries it (a DTLS record, a TLS stream).  The same link runs over DTLS in the engine
 * and over TLS in the driver: PPP is negotiated on the channel that carries it.
 *
 * Roles: a client asks (0.0.0.0 and zero DNS to solicit them, a zero interface
 * identifier) and takes what the server Naks; a server assigns its configured peer
 * address, DNS and NBNS, and interface identifier, by Nak.
 *
 * Bounds: Configure-Requests are re-sent every restart_ms, at most max_configure times,
 * Naks turn into Rejects after max_failure, Terminate-Requests go out max_terminate
 * times; a peer that never agrees ends the link with an error (ppp_link_error), never a
 * loop.  Echo-Requests go out after echo_ms without receiving anything; echo_fails
 * unanswered ones in a row end the link with -ETIMEDOUT.
 *
 * Time is the caller's clock (ns); every entry point takes now and none reads a clock.
 * Not thread-safe: one caller at a time.
 */
#ifndef ZCVPN_PROTO_PPP_LINK_H
#define ZCVPN_PROTO_PPP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ppp-wire.h"

struct ppp_link;

enum ppp_phase {
	PPP_PHASE_DEAD,		/* not opened yet */
	PPP_PHASE_ESTABLISH,	/* LCP negotiating */
	PPP_PHASE_NETWORK,	/* LCP open; IPCP/IP6CP negotiating, or some open */
	PPP_PHASE_TERMINATE,	/* Terminate-Request sent or received, waiting */
	PPP_PHASE_CLOSED,	/* terminated cleanly (either side) */
	PPP_PHASE_FAILED,	/* gave up: see ppp_link_error */
};

struct ppp_link_ops {
	/*
	 * Sends one control packet (code | id | length | data, len bytes, borrowed for the
	 * call) for protocol proto.  LCP packets go with the default ACCM and no ACFC
	 * (ppp_link_tx_accm says which map applies to what).  0 or -errno; a failed send is
	 * retried by the restart timer like a lost one.
	 */
	int (*send)(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len);
	/*
	 * The phase changed, or an NCP opened or closed: the caller reads the new state
	 * (ppp_link_phase, ppp_link_negotiated) and reports it.  Optional.
	 */
	void (*changed)(void *ctx);
};

struct ppp_link_config {
	bool server;
	uint32_t mru;			/* ours: the largest inner packet we take */
	bool hdlc;			/* the framing is HDLC: negotiate ACCM (ours: 0) */
	bool no_header_compression;	/* never ask for ACFC/PFC (Fortinet rejects them) */
	bool want_ipv4, want_ipv6;	/* which NCPs to open (at least one) */

	/*
	 * Addresses, network byte order.  A client's local_ipv4 is what it asks for
	 * (0: solicit one), and dns/nbns are solicited when want_dns.  A server's
	 * local_ipv4 is its own, peer_ipv4 the one it assigns, dns/nbns what it Naks
	 * (0: not offered, the option is rejected).
	 */
	uint32_t local_ipv4, peer_ipv4;
	uint32_t dns[2], nbns[2];
	bool want_dns;
	/* IP6CP interface identifiers (0: a client solicits; a server picks random ones). */
	uint8_t local_ifid[8], peer_ifid[8];

	/* Bounds and timers; 0 takes the default in brackets. */
	uint32_t restart_ms;		/* [3000] Configure/Terminate-Request re-send */
	uint32_t max_configure;		/* [10] Configure-Requests before giving up */
	uint32_t max_terminate;		/* [2] */
	uint32_t max_failure;		/* [5] Naks before we Reject instead */
	uint32_t echo_ms;		/* LCP echo after this long without receiving; 0: none */
	uint32_t echo_fails;		/* [3] */
	uint32_t keepalive_ms;		/* Discard-Request after this long without sending;
					 * 0: none */
	uint32_t magic;			/* our Magic-Number; 0: random */
};

/* What the negotiation settled, valid for the fields' protocol once it is open. */
struct ppp_negotiated {
	/* Sending: what the peer accepted from us (its ConfReq options we acked). */
	bool tx_acfc, tx_pfc;
	uint32_t tx_accm;		/* escape these when sending data (HDLC) */
	uint32_t peer_mru;		/* the largest frame information we may send */
	/* Receiving: what we asked for and the peer acked: it may compress, so the
	 * receiver predicts that header length (and still accepts any). */
	bool rx_acfc, rx_pfc;
	uint32_t rx_accm;
	uint32_t local_magic, peer_magic;

	bool ipv4_open, ipv6_open;
	uint32_t local_ipv4, peer_ipv4;	/* network byte order */
	uint32_t dns[2], nbns[2];
	uint8_t local_ifid[8], peer_ifid[8];
};

/* What the link counts: every refused or odd input has its own name. */
struct ppp_link_stats {
	uint64_t rx_control;		/* control packets received, any protocol */
	uint64_t rx_bad_length;		/* length field shorter than 4 or beyond the frame */
	uint64_t rx_bad_option;		/* an option list whose lengths do not add up */
	uint64_t rx_bad_id;		/* an Ack/Nak/Rej not for our last request */
	uint64_t rx_unknown_code;	/* answered with Code-Reject */
	uint64_t rx_unknown_protocol;	/* answered with Protocol-Reject */
	uint64_t rx_unexpected;		/* legal, but not in this state (dropped) */
	uint64_t rx_looped_back;	/* our own magic came back: a looped link */
	uint64_t conf_req_tx, conf_req_rx;
	uint64_t conf_ack_tx, conf_ack_rx;
	uint64_t conf_nak_tx, conf_nak_rx;
	uint64_t conf_rej_tx, conf_rej_rx;
	uint64_t term_req_tx, term_req_rx, term_ack_tx, term_ack_rx;
	uint64_t code_rej_rx, proto_rej_rx;
	uint64_t echo_req_tx, echo_req_rx, echo_reply_tx, echo_reply_rx;
	uint64_t discard_tx, discard_rx;
};

/*
 * Creates a link; cfg is copied, ops and ctx are borrowed for the link's life.
 * -EINVAL for a config that cannot work (no NCP wanted, mru below PPP_MIN_MRU or above
 * 65535, a server without a peer address while wanting IPv4), with errbuf saying why;
 * -ENOMEM.
 */
int ppp_link_new(struct ppp_link **out, const struct ppp_link_config *cfg,
		 const struct ppp_link_ops *ops, void *ctx, char *errbuf, size_t errlen);
void ppp_link_free(struct ppp_link *l);		/* accepts NULL */

/* Starts (or restarts, after the carrier changed: a DTLS session came up) LCP. */
void ppp_link_open(struct ppp_link *l, uint64_t now);

/*
 * One received control frame: proto and its information field (data, len: borrowed).
 * LCP, IPCP and IP6CP are handled; any other protocol gets a Protocol-Reject (in the
 * network phase).  Everything received counts as life for the echo timer.
 */
void ppp_link_input(struct ppp_link *l, uint16_t proto, const uint8_t *data, size_t len,
		    uint64_t now);

/* A data frame (IPv4/IPv6) arrived: life for the echo timer, nothing else. */
void ppp_link_note_rx(struct ppp_link *l, uint64_t now);
/* Something was sent: the keepalive timer starts again. */
void ppp_link_note_tx(struct ppp_link *l, uint64_t now);

/* Whether a data frame of proto may be sent or accepted now (its NCP is open). */
bool ppp_link_data_open(const struct ppp_link *l, uint16_t proto);

/*
 * Receive: whether a data frame of proto is taken.  Also while we wait for the Ack of
 * our own request after acking the peer's (Ack-Sent): the peer may be open already and
 * sending, and RFC 1661 lets us take what arrives then rather than drop it.
 */
bool ppp_link_data_accepted(const struct ppp_link *l, uint16_t proto);

/*
 * Whether every wanted NCP is settled: open, or never to open (rejected, given up).  A
 * transport starts data only then, so that no family's packets are refused while its
 * NCP still negotiates.
 */
bool ppp_link_ncps_settled(const struct ppp_link *l);

/* Runs what is due at now; returns the next deadline (UINT64_MAX: none). */
uint64_t ppp_link_run_timers(struct ppp_link *l, uint64_t now);

/* Our goodbye: LCP Terminate-Request, re-sent by the timer; then PPP_PHASE_CLOSED. */
void ppp_link_close(struct ppp_link *l, uint64_t now);

enum ppp_phase ppp_link_phase(const struct ppp_link *l);
const struct ppp_negotiated *ppp_link_negotiated(const struct ppp_link *l);
const struct ppp_link_stats *ppp_link_stats(const struct ppp_link *l);
/*
 * Why the link failed or closed: a negative errno (-ETIMEDOUT no answer or dead peer,
 * -EPROTO the peer never agreed or rejected something required, -ELOOP a looped link,
 * -ECONNRESET the peer terminated), and a sentence for people (static or the link's own,
 * valid until the next call).  0 and "" while it runs.
 */
int ppp_link_error(const struct ppp_link *l, const char **why);

/*
 * The ACCM for sending a frame of proto: the default map for LCP (RFC 1662 §7.1) and
 * before LCP is open, the negotiated tx_accm after.
 */
uint32_t ppp_link_tx_accm(const struct ppp_link *l, uint16_t proto);

#endif /* ZCVPN_PROTO_PPP_LINK_H */
