/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP over the host's byte stream (zcvpn_engine_set_stream: the TLS connection the login
 * used): the fallback of F5 and Fortinet while PPP over DTLS is not up, and the only
 * path of nullppp and of HDLC framing.  A link of its own (proto/ppp-link.h) negotiates
 * over the stream, as openconnect runs PPP on whichever channel carries it; frames are
 * cut from the stream and written to it by proto/ppp-stream.h.  Every data byte is
 * copied (the host counts it): a stream cannot be zero-copy.
 */
#ifndef ZCVPN_PROTO_PPP_TLS_H
#define ZCVPN_PROTO_PPP_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/ppp-frame.h"
#include "proto/ppp-link.h"
#include "proto/transport.h"

struct ppp_tls;

struct ppp_tls_stats {
	uint64_t rx_data, tx_data;	/* IP packets through the stream */
	uint64_t rx_ncp_closed;		/* IP data while its NCP is not open: dropped */
	uint64_t rx_not_delivered;	/* the rx ring was full */
	uint64_t stream_broken;		/* the stream's framing was lost: 0 or 1 */
	/* and the framing's own: */
	uint64_t rx_frames, rx_bad_encap, rx_bad_fcs, rx_oversize, rx_bad_header;
};

/*
 * Creates it (nothing is sent before ppp_tls_attach and the next run_timers); lcfg is
 * copied, host borrowed.  changed(ctx) runs when the link's phase or NCPs change.
 * -EINVAL (errbuf says why), -ENOMEM.
 */
int ppp_tls_new(struct ppp_tls **out, enum ppp_encap encap, const struct ppp_link_config *lcfg,
		struct transport_host *host, void (*changed)(void *ctx), void *ctx,
		char *errbuf, size_t errlen);
void ppp_tls_free(struct ppp_tls *p);		/* accepts NULL */

/* The host has a stream now: LCP starts at the next ppp_tls_run_timers. */
void ppp_tls_attach(struct ppp_tls *p);
bool ppp_tls_attached(const struct ppp_tls *p);

/* Bytes the host read from the stream (borrowed). */
void ppp_tls_input(struct ppp_tls *p, const uint8_t *buf, size_t len, uint64_t now);

/* One inner packet over the stream.  0, -ENOTCONN (its NCP is not open), -errno. */
int ppp_tls_send(struct ppp_tls *p, const uint8_t *pkt, size_t len);

uint64_t ppp_tls_run_timers(struct ppp_tls *p, uint64_t now);

/* Whether data can flow (an NCP is open), and whether the stream is finished. */
bool ppp_tls_ready(const struct ppp_tls *p);
bool ppp_tls_done(const struct ppp_tls *p);

/* LCP Terminate-Request over the stream, if it is up. */
void ppp_tls_close(struct ppp_tls *p, uint64_t now);

struct ppp_link *ppp_tls_link(struct ppp_tls *p);
void ppp_tls_read_stats(const struct ppp_tls *p, struct ppp_tls_stats *out);

#endif /* ZCVPN_PROTO_PPP_TLS_H */
