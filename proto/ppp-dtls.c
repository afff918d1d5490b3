/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP over a DTLS channel behind the transport interface: the hello after each
 * handshake, PPP frames in place, and the control plane's packets through the channel.
 */
#include "config.h"

#include "proto/ppp-dtls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "proto/dtls-wire.h"
#include "proto/ppp-frame.h"
#include "proto/ppp-tls.h"
#include "ring/pkt.h"
#include "src/util/byteorder.h"
#include "src/util/clock.h"
#include "src/util/errbuf.h"
#include "src/util/macros.h"

enum {
	HELLO_RESEND_MS = 1000,		/* openconnect re-sends its hello each second */
	DEFAULT_HELLO_TIMEOUT_MS = 5000,
	CTRL_MAX = 1600,		/* the largest control frame or hello we send */
	CTRL_ROOM = 64 + CTRL_MAX + 64,	/* record head and tail around it */
};

enum ppp_dtls_phase {
	PHASE_HANDSHAKE,	/* the channel is not up */
	PHASE_HELLO,		/* up: the hello and its answer */
	PHASE_PPP,		/* PPP frames */
};

struct ppp_dtls {
	struct transport t;
	struct dtls_channel *ch;
	struct ppp_link *link;
	struct ppp_tls *tls;		/* PPP over the host's stream */
	bool tls_reported;		/* its NETWORK event went out */
	struct dtls_credentials *creds;	/* outlive the channel's sessions */
	enum zcvpn_ppp_flavour flavour;
	enum ppp_encap encap;
	uint32_t encap_len;
	bool server;
	enum ppp_dtls_phase phase;
	uint32_t max_inner, max_plain;
	uint32_t hello_timeout_ms;
	uint64_t hello_start_ns, hello_sent_ns;
	/* The PPP header lengths the negotiation settled (ACFC/PFC): predicted on receive,
	 * written on send.  Both data protocols are below 0x100, so one length each way. */
	uint32_t rx_hdr_len, tx_hdr_len;
	bool tx_acfc, tx_pfc;
	bool ready, ever_ready;		/* an NCP is open on this session / ever */
	bool reported_ipv4, reported_ipv6;
	/* Liveness for the link's echo and keepalive timers, as cisco-dtls.c keeps it:
	 * counts on the data path, timestamps in run_timers. */
	uint64_t rx_auth, tx_records, seen_rx_auth, seen_tx_records;
	struct ppp_dtls_stats stats;
	int hello_len;			/* client: the hello, built once */
	uint8_t hello[PPP_HELLO_MAX];
	char session[PPP_HELLO_SESSION_MAX + 1];	/* server: what a hello must carry */
	uint8_t ctrl[CTRL_ROOM];
};

static struct ppp_dtls *ppp_of(struct transport *t)
{
	return container_of(t, struct ppp_dtls, t);
}

static const struct ppp_dtls *const_ppp_of(const struct transport *t)
{
	return container_of(t, const struct ppp_dtls, t);
}

struct transport *ppp_dtls_transport(struct ppp_dtls *p)
{
	return &p->t;
}

struct dtls_channel *ppp_dtls_channel(struct ppp_dtls *p)
{
	return p->ch;
}

struct ppp_link *ppp_dtls_link(struct ppp_dtls *p)
{
	return p->link;
}

const struct ppp_dtls_stats *ppp_dtls_stats(const struct ppp_dtls *p)
{
	return &p->stats;
}

static const char *flavour_name(const struct ppp_dtls *p)
{
	static const char *const names[] = { "F5", "Fortinet", "nullppp" };

	return names[p->flavour];
}

/* ---- sending ---------------------------------------------------------------------- */

/* One record from our control buffer: head bytes of header, then len bytes of body. */
static int send_record(struct ppp_dtls *p, const uint8_t *head, uint32_t head_len,
		       const uint8_t *body, size_t len)
{
	struct pkt pkt = {
		.head = p->ctrl,
		.data = p->ctrl + dtls_record_max_head(),
		.end = p->ctrl + sizeof(p->ctrl),
	};
	uint8_t *dst;

	if (head_len + len > CTRL_MAX)
		return -EMSGSIZE;
	dst = pkt_put(&pkt, head_len + (uint32_t)len);
	if (!dst || pkt_tailroom(&pkt) < dtls_record_max_tail())
		return -EMSGSIZE;
	if (head_len)
		memcpy(dst, head, head_len);
	memcpy(dst + head_len, body, len);
	p->tx_records++;
	return dtls_channel_send(p->ch, &pkt);
}

/* The link's control packets: vendor header, PPP header, packet, in one record. */
static int link_send(void *ctx, uint16_t proto, const uint8_t *cp, size_t len)
{
	struct ppp_dtls *p = ctx;
	uint8_t head[PPP_FORTINET_HEADER + PPP_MAX_HEADER];
	bool acfc = proto != PPP_PROTO_LCP && p->tx_acfc;
	uint32_t hdr = ppp_header_len(proto, acfc, p->tx_pfc);

	if (p->phase != PHASE_PPP)
		return -ENOTCONN;
	if (len > CTRL_MAX)
		return -EMSGSIZE;
	ppp_encap_write(p->encap, head, hdr + (uint32_t)len);
	ppp_header_write(head + p->encap_len + hdr, proto, acfc, p->tx_pfc);
	return send_record(p, head, p->encap_len + hdr, cp, len);
}

static uint8_t *push_headers(struct ppp_dtls *p, struct pkt *pkt, uint16_t proto)
{
	uint32_t frame_len = pkt->len + p->tx_hdr_len;
	uint8_t *start = pkt_push(pkt, p->encap_len + p->tx_hdr_len);

	if (!start)
		return NULL;
	ppp_encap_write(p->encap, start, frame_len);
	ppp_header_write(start + p->encap_len + p->tx_hdr_len, proto, p->tx_acfc, p->tx_pfc);
	return start;
}

static int ppp_encap(struct transport *t, struct pkt *pkt, struct transport_spare *spare)
{
	struct ppp_dtls *p = ppp_of(t);
	uint16_t proto;
	int ret;

	if (!p->ch || !p->ready || dtls_channel_state(p->ch) != DTLS_CHANNEL_UP)
		return -ENOTCONN;
	if (!pkt->len)
		return -EINVAL;
	switch (pkt->data[0] >> 4) {
	case 4:
		proto = PPP_PROTO_IPV4;
		break;
	case 6:
		proto = PPP_PROTO_IPV6;
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (!ppp_link_data_open(p->link, proto)) {
		p->stats.tx_no_ncp++;
		return -ENETUNREACH;
	}
	if (!push_headers(p, pkt, proto))
		return -ENOSPC;
	ret = dtls_channel_protect(p->ch, pkt);
	if (ret < 0) {
		pkt_pull(pkt, p->encap_len + p->tx_hdr_len);
		return ret;
	}
	p->tx_records++;
	return ret;
}

/* ---- the hello -------------------------------------------------------------------- */

static void send_hello(struct ppp_dtls *p, uint64_t now)
{
	if (send_record(p, NULL, 0, p->hello, (size_t)p->hello_len) == 0)
		p->stats.hello_tx++;
	p->hello_sent_ns = now;
}

static void send_answer(struct ppp_dtls *p, bool ok)
{
	uint8_t answer[128];
	int len = ppp_hello_server(p->flavour, ok, answer, sizeof(answer));

	if (len > 0 && send_record(p, NULL, 0, answer, (size_t)len) == 0)
		p->stats.hello_tx++;
}

static void enter_ppp(struct ppp_dtls *p, uint64_t now)
{
	p->phase = PHASE_PPP;
	transport_event(p->t.host, ZCVPN_EVENT_LOG, ZCVPN_LOG_INFO, 0,
			"%s DTLS session accepted; negotiating PPP over DTLS", flavour_name(p));
	ppp_link_open(p->link, now);
}

/* The DTLS session is up (the first, or a redial): the hello comes first. */
static void session_up(void *ctx, uint64_t now)
{
	struct ppp_dtls *p = ctx;

	p->phase = PHASE_HELLO;
	p->ready = false;
	p->hello_start_ns = now;
	p->seen_rx_auth = p->rx_auth;
	p->seen_tx_records = p->tx_records;
	if (!p->server)
		send_hello(p, now);
}

static enum transport_verdict frame_input(struct ppp_dtls *p, struct pkt *pkt);

/* Whether an authenticated record is a well-formed frame of our encapsulation. */
static bool looks_like_frame(const struct ppp_dtls *p, const struct pkt *pkt)
{
	uint32_t frame_len;

	return ppp_encap_parse(p->encap, pkt->data, pkt->len, &frame_len) == 0 &&
	       frame_len == pkt->len - p->encap_len;
}

static enum transport_verdict server_hello(struct ppp_dtls *p, struct pkt *pkt)
{
	bool ipv4, ipv6;

	switch (ppp_hello_check_client(p->flavour, pkt->data, pkt->len, p->session, &ipv4,
				       &ipv6)) {
	case PPP_HELLO_ACCEPTED:
		p->stats.hello_rx++;
		send_answer(p, true);
		if (p->phase == PHASE_HELLO)
			enter_ppp(p, transport_now(p->t.host));
		return TRANSPORT_CONTROL;
	case PPP_HELLO_REFUSED:
		p->stats.hello_rx++;
		p->stats.hello_refused++;
		send_answer(p, false);
		transport_event(p->t.host, ZCVPN_EVENT_LOG, ZCVPN_LOG_WARNING, 0,
				"%s hello over DTLS for an unknown session: refused",
				flavour_name(p));
		return TRANSPORT_DROP;
	case PPP_HELLO_MALFORMED:
		break;
	}
	p->stats.rx_bad_hello++;
	return TRANSPORT_DROP;
}

static enum transport_verdict client_hello_answer(struct ppp_dtls *p, struct pkt *pkt)
{
	switch (ppp_hello_check_server(p->flavour, pkt->data, pkt->len)) {
	case PPP_HELLO_ACCEPTED:
		p->stats.hello_rx++;
		enter_ppp(p, transport_now(p->t.host));
		return TRANSPORT_CONTROL;
	case PPP_HELLO_REFUSED:
		p->stats.hello_rx++;
		p->stats.hello_refused++;
		dtls_channel_fail(p->ch, -EACCES, p->flavour == ZCVPN_PPP_F5 ?
				  "the F5 server refused the session over DTLS" :
				  "the Fortinet server answered the DTLS hello with \"fail\"");
		return TRANSPORT_DROP;
	case PPP_HELLO_MALFORMED:
		break;
	}
	/* The answer may have been lost while the server went on to PPP: that says yes. */
	if (looks_like_frame(p, pkt)) {
		enter_ppp(p, transport_now(p->t.host));
		return frame_input(p, pkt);
	}
	p->stats.rx_bad_hello++;
	return TRANSPORT_DROP;
}

static uint64_t run_hello(struct ppp_dtls *p, uint64_t now)
{
	uint64_t give_up = p->hello_start_ns + (uint64_t)p->hello_timeout_ms * NSEC_PER_MSEC;
	uint64_t resend = p->hello_sent_ns + (uint64_t)HELLO_RESEND_MS * NSEC_PER_MSEC;

	if (now >= give_up) {
		dtls_channel_fail(p->ch, -ETIMEDOUT, p->server ?
				  "the client sent no valid hello over DTLS" :
				  "the server did not answer the hello over DTLS");
		return TRANSPORT_NO_DEADLINE;
	}
	if (p->server)
		return give_up;
	if (now >= resend) {
		send_hello(p, now);
		resend = now + (uint64_t)HELLO_RESEND_MS * NSEC_PER_MSEC;
	}
	return resend < give_up ? resend : give_up;
}

/* ---- receiving -------------------------------------------------------------------- */

static enum transport_verdict frame_input(struct ppp_dtls *p, struct pkt *pkt)
{
	uint32_t frame_len, hdr_len;
	uint16_t proto;

	if (ppp_encap_parse(p->encap, pkt->data, pkt->len, &frame_len) ||
	    frame_len != pkt->len - p->encap_len) {
		bool v4, v6;

		/* A server whose answer was lost sees the client's hello again. */
		if (p->server && ppp_hello_check_client(p->flavour, pkt->data, pkt->len, p->session,
							&v4, &v6) != PPP_HELLO_MALFORMED)
			return server_hello(p, pkt);
		p->stats.rx_bad_encap++;
		return TRANSPORT_DROP;
	}
	pkt_pull(pkt, p->encap_len);
	if (ppp_header_parse(pkt->data, pkt->len, &proto, &hdr_len)) {
		p->stats.rx_bad_header++;
		return TRANSPORT_DROP;
	}
	pkt_pull(pkt, hdr_len);
	if (proto == PPP_PROTO_IPV4 || proto == PPP_PROTO_IPV6) {
		if (!pkt->len) {
			p->stats.rx_empty++;
			return TRANSPORT_DROP;
		}
		if (!ppp_link_data_accepted(p->link, proto)) {
			p->stats.rx_ncp_closed++;
			return TRANSPORT_DROP;
		}
		if (hdr_len != p->rx_hdr_len)
			p->stats.rx_header_moved++;
		return TRANSPORT_DATA;
	}
	ppp_link_input(p->link, proto, pkt->data, pkt->len, transport_now(p->t.host));
	return TRANSPORT_CONTROL;
}

static enum transport_verdict ppp_decap(struct transport *t, struct pkt *pkt,
					uint32_t max_inner)
{
	struct ppp_dtls *p = ppp_of(t);
	enum transport_verdict v;

	if (!p->ch)
		return TRANSPORT_DROP;	/* no DTLS: nothing belongs on the socket */
	v = dtls_channel_decap(p->ch, pkt, p->max_plain);
	if (v != TRANSPORT_DATA)
		return v;
	p->rx_auth++;
	if (p->phase == PHASE_PPP)
		return frame_input(p, pkt);
	if (p->phase != PHASE_HELLO)
		return TRANSPORT_DROP;
	return p->server ? server_hello(p, pkt) : client_hello_answer(p, pkt);
}

static uint32_t ppp_rx_head(const struct transport *t)
{
	const struct ppp_dtls *p = const_ppp_of(t);
	uint32_t head = p->ch ? dtls_channel_rx_head(p->ch) : 0;

	return head ? head + p->encap_len + p->rx_hdr_len : 0;
}

/* ---- what the link settled --------------------------------------------------------- */

static void report_network(struct ppp_dtls *p, const struct ppp_negotiated *n)
{
	struct zcvpn_network net = {
		.mtu = n->peer_mru < p->max_inner ? n->peer_mru : p->max_inner,
		.has_ipv4 = n->ipv4_open,
		.has_ipv6 = n->ipv6_open,
	};
	struct zcvpn_event ev = {
		.type = ZCVPN_EVENT_NETWORK,
		.level = ZCVPN_LOG_INFO,
		.message = "PPP network settings",
		.network = &net,
	};

	memcpy(net.ipv4, &n->local_ipv4, 4);
	memcpy(net.ipv4_peer, &n->peer_ipv4, 4);
	for (unsigned int i = 0; i < 2; i++) {
		if (n->dns[i])
			memcpy(net.dns4[net.n_dns4++], &n->dns[i], 4);
		if (n->nbns[i])
			memcpy(net.nbns4[net.n_nbns4++], &n->nbns[i], 4);
	}
	memcpy(net.ipv6_iid, n->local_ifid, 8);
	memcpy(net.ipv6_peer_iid, n->peer_ifid, 8);
	p->t.host->ops->event(p->t.host, &ev);
	p->reported_ipv4 = n->ipv4_open;
	p->reported_ipv6 = n->ipv6_open;
}

/* Header lengths follow LCP: what we asked for, the peer may send; and the reverse. */
static void adopt_lcp(struct ppp_dtls *p, const struct ppp_negotiated *n)
{
	p->tx_acfc = n->tx_acfc;
	p->tx_pfc = n->tx_pfc;
	p->tx_hdr_len = ppp_header_len(PPP_PROTO_IPV4, n->tx_acfc, n->tx_pfc);
	p->rx_hdr_len = ppp_header_len(PPP_PROTO_IPV4, n->rx_acfc, n->rx_pfc);
}

/* The stream's link: its settings are reported once, like the channel's. */
static void tls_changed(void *ctx)
{
	struct ppp_dtls *p = ctx;

	if (!ppp_tls_ready(p->tls)) {
		p->tls_reported = false;
		return;
	}
	if (!p->tls_reported) {
		p->tls_reported = true;
		report_network(p, ppp_link_negotiated(ppp_tls_link(p->tls)));
	}
}

static void link_changed(void *ctx)
{
	struct ppp_dtls *p = ctx;
	const struct ppp_negotiated *n = ppp_link_negotiated(p->link);
	const char *why;
	int err;

	switch (ppp_link_phase(p->link)) {
	case PPP_PHASE_FAILED:
		p->ready = false;
		err = ppp_link_error(p->link, &why);
		dtls_channel_fail(p->ch, err ? err : -EPROTO, why);
		return;
	case PPP_PHASE_CLOSED:
		p->ready = false;
		if (ppp_link_error(p->link, &why) == -ECONNRESET)
			dtls_channel_peer_closed(p->ch);
		return;
	case PPP_PHASE_NETWORK:
		adopt_lcp(p, n);
		p->ready = (n->ipv4_open || n->ipv6_open) && ppp_link_ncps_settled(p->link);
		p->ever_ready |= p->ready;
		if (p->ready && (n->ipv4_open != p->reported_ipv4 ||
				 n->ipv6_open != p->reported_ipv6))
			report_network(p, n);
		return;
	default:
		p->ready = false;
		p->reported_ipv4 = p->reported_ipv6 = false;
		return;
	}
}

/* ---- timers ------------------------------------------------------------------------ */

static void note_activity(struct ppp_dtls *p, uint64_t now)
{
	if (p->rx_auth != p->seen_rx_auth) {
		p->seen_rx_auth = p->rx_auth;
		ppp_link_note_rx(p->link, now);
	}
	if (p->tx_records != p->seen_tx_records) {
		p->seen_tx_records = p->tx_records;
		ppp_link_note_tx(p->link, now);
	}
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t run_channel_timers(struct ppp_dtls *p, uint64_t now);

static uint64_t ppp_run_timers(struct transport *t, uint64_t now)
{
	struct ppp_dtls *p = ppp_of(t);
	uint64_t tls = ppp_tls_run_timers(p->tls, now);

	if (!p->ch)
		return tls;
	return earliest(tls, run_channel_timers(p, now));
}

static uint64_t run_channel_timers(struct ppp_dtls *p, uint64_t now)
{
	uint64_t next = dtls_channel_run_timers(p->ch, now), mine;

	if (dtls_channel_state(p->ch) != DTLS_CHANNEL_UP)
		return next;
	if (p->phase == PHASE_HELLO) {
		mine = run_hello(p, now);
	} else {
		note_activity(p, now);
		mine = ppp_link_run_timers(p->link, now);
	}
	if (dtls_channel_state(p->ch) != DTLS_CHANNEL_UP)
		return dtls_channel_run_timers(p->ch, now);	/* failed: the redial's time */
	return earliest(next, mine);
}

static enum zcvpn_transport_state stream_state(const struct ppp_dtls *p, int *error);
static enum zcvpn_transport_state channel_state(const struct ppp_dtls *p, int *error);

static enum zcvpn_transport_state ppp_state(const struct transport *t, int *error)
{
	const struct ppp_dtls *p = const_ppp_of(t);

	if (p->ch && p->ready && dtls_channel_state(p->ch) == DTLS_CHANNEL_UP) {
		*error = 0;
		return ZCVPN_TRANSPORT_UP;
	}
	if (ppp_tls_attached(p->tls))
		return stream_state(p, error);
	if (!p->ch) {
		*error = 0;
		return ZCVPN_TRANSPORT_CONNECTING;	/* waiting for the host's stream */
	}
	return channel_state(p, error);
}

/*
 * With a stream: data takes it (the engine's fallback, so the transport reads as down)
 * once PPP over it is up, and waits while that is negotiated.
 */
static enum zcvpn_transport_state stream_state(const struct ppp_dtls *p, int *error)
{
	const char *why;

	*error = p->ch ? dtls_channel_error(p->ch, NULL) : 0;
	if (ppp_tls_ready(p->tls))
		return ZCVPN_TRANSPORT_DOWN;
	/* A Terminate-Request went either way on the stream: that is the goodbye. */
	if (ppp_link_phase(ppp_tls_link(p->tls)) == PPP_PHASE_TERMINATE)
		return ZCVPN_TRANSPORT_CLOSED;
	if (ppp_tls_done(p->tls)) {
		int err = ppp_link_error(ppp_tls_link(p->tls), &why);

		*error = err ? err : -EPROTO;
		return err == -ECONNRESET || !err ? ZCVPN_TRANSPORT_CLOSED : ZCVPN_TRANSPORT_DOWN;
	}
	return ZCVPN_TRANSPORT_CONNECTING;
}

static enum zcvpn_transport_state channel_state(const struct ppp_dtls *p, int *error)
{
	*error = dtls_channel_error(p->ch, NULL);
	switch (dtls_channel_state(p->ch)) {
	case DTLS_CHANNEL_UP:
		if (p->ready)
			return ZCVPN_TRANSPORT_UP;
		/* Hello and PPP negotiation: wait the first time, take the fallback after. */
		*error = p->ever_ready ? -ENOTCONN : 0;
		return p->ever_ready ? ZCVPN_TRANSPORT_DOWN : ZCVPN_TRANSPORT_CONNECTING;
	case DTLS_CHANNEL_CLOSED:
		return ZCVPN_TRANSPORT_CLOSED;
	case DTLS_CHANNEL_HANDSHAKE:
		return *error ? ZCVPN_TRANSPORT_DOWN : ZCVPN_TRANSPORT_CONNECTING;
	default:
		return ZCVPN_TRANSPORT_DOWN;
	}
}

/* ---- counters and goodbye ---------------------------------------------------------- */

struct counter_block {
	struct ppp_dtls_stats framing;
	struct ppp_tls_stats tls;
	struct ppp_link_stats link;
	struct dtls_channel_stats channel;
	struct dtls_record_stats record;
};

#define COUNTER(name, part, field, flags, help) \
	TRANSPORT_COUNTER(name, struct counter_block, part.field, flags, help)
#define DROP TRANSPORT_COUNTER_DROP

const struct transport_counter ppp_dtls_counters[] = {
	COUNTER("hello_tx", framing, hello_tx, 0, "DTLS hellos and answers sent"),
	COUNTER("hello_rx", framing, hello_rx, 0, "DTLS hellos and answers received"),
	COUNTER("hello_refused", framing, hello_refused, 0, "hellos refused, either way"),
	COUNTER("rx_bad_hello", framing, rx_bad_hello, DROP, "authentic, not a hello"),
	COUNTER("rx_bad_encap", framing, rx_bad_encap, DROP, "vendor header wrong or lying"),
	COUNTER("rx_bad_ppp_header", framing, rx_bad_header, DROP, "PPP header malformed"),
	COUNTER("rx_ncp_closed", framing, rx_ncp_closed, DROP, "IP data while its NCP is closed"),
	COUNTER("rx_empty", framing, rx_empty, DROP, "a frame without information"),
	COUNTER("tx_no_ncp", framing, tx_no_ncp, 0, "refused to send: its NCP is not open"),
	COUNTER("rx_header_moved", framing, rx_header_moved, 0,
		"data frames with an unpredicted PPP header length"),
	COUNTER("ppp_rx_control", link, rx_control, 0, "PPP control packets received"),
	COUNTER("ppp_rx_bad_length", link, rx_bad_length, DROP, "control length field wrong"),
	COUNTER("ppp_rx_bad_option", link, rx_bad_option, DROP, "option lengths do not add up"),
	COUNTER("ppp_rx_bad_id", link, rx_bad_id, DROP, "answer to no request of ours"),
	COUNTER("ppp_rx_unknown_code", link, rx_unknown_code, DROP, "code rejected"),
	COUNTER("ppp_rx_unknown_protocol", link, rx_unknown_protocol, DROP, "protocol rejected"),
	COUNTER("ppp_rx_unexpected", link, rx_unexpected, DROP, "not in this state"),
	COUNTER("ppp_rx_looped_back", link, rx_looped_back, DROP, "our own magic came back"),
	COUNTER("ppp_conf_req_tx", link, conf_req_tx, 0, "Configure-Requests sent"),
	COUNTER("ppp_conf_req_rx", link, conf_req_rx, 0, "Configure-Requests received"),
	COUNTER("ppp_conf_ack_tx", link, conf_ack_tx, 0, "Configure-Acks sent"),
	COUNTER("ppp_conf_ack_rx", link, conf_ack_rx, 0, "Configure-Acks received"),
	COUNTER("ppp_conf_nak_tx", link, conf_nak_tx, 0, "Configure-Naks sent"),
	COUNTER("ppp_conf_nak_rx", link, conf_nak_rx, 0, "Configure-Naks received"),
	COUNTER("ppp_conf_rej_tx", link, conf_rej_tx, 0, "Configure-Rejects sent"),
	COUNTER("ppp_conf_rej_rx", link, conf_rej_rx, 0, "Configure-Rejects received"),
	COUNTER("ppp_term_req_tx", link, term_req_tx, 0, "Terminate-Requests sent"),
	COUNTER("ppp_term_req_rx", link, term_req_rx, 0, "Terminate-Requests received"),
	COUNTER("ppp_term_ack_tx", link, term_ack_tx, 0, "Terminate-Acks sent"),
	COUNTER("ppp_term_ack_rx", link, term_ack_rx, 0, "Terminate-Acks received"),
	COUNTER("ppp_code_rej_rx", link, code_rej_rx, 0, "Code-Rejects received"),
	COUNTER("ppp_proto_rej_rx", link, proto_rej_rx, 0, "Protocol-Rejects received"),
	COUNTER("lcp_echo_tx", link, echo_req_tx, 0, "LCP echo requests sent (DPD)"),
	COUNTER("lcp_echo_rx", link, echo_reply_rx, 0, "answers to our echo requests"),
	COUNTER("lcp_echo_req_rx", link, echo_req_rx, 0, "the peer's echo requests"),
	COUNTER("lcp_echo_answered", link, echo_reply_tx, 0, "echo requests answered"),
	COUNTER("lcp_discard_tx", link, discard_tx, 0, "Discard-Requests sent (keepalive)"),
	COUNTER("lcp_discard_rx", link, discard_rx, 0, "Discard-Requests received"),
	COUNTER("tls_rx_data", tls, rx_data, 0, "packets received over PPP over TLS"),
	COUNTER("tls_tx_data", tls, tx_data, 0, "packets sent over PPP over TLS"),
	COUNTER("tls_rx_ncp_closed", tls, rx_ncp_closed, 0, "TLS: data while its NCP is closed"),
	COUNTER("tls_rx_not_delivered", tls, rx_not_delivered, 0, "TLS: data the rx ring refused"),
	COUNTER("tls_stream_broken", tls, stream_broken, 0, "TLS: the stream's framing was lost"),
	COUNTER("tls_rx_frames", tls, rx_frames, 0, "PPP frames cut from the TLS stream"),
	COUNTER("tls_rx_bad_encap", tls, rx_bad_encap, 0, "TLS: vendor header wrong"),
	COUNTER("tls_rx_bad_fcs", tls, rx_bad_fcs, 0, "TLS: HDLC frames refused (FCS, escapes)"),
	COUNTER("tls_rx_oversize", tls, rx_oversize, 0, "TLS: frames too large"),
	COUNTER("tls_rx_bad_header", tls, rx_bad_header, 0, "TLS: PPP header malformed"),
	DTLS_CHANNEL_COUNTERS(struct counter_block)
};

_Static_assert(ARRAY_SIZE(ppp_dtls_counters) == PPP_DTLS_N_COUNTERS,
	       "PPP_DTLS_N_COUNTERS is not the table's size");

static void ppp_read_counters(const struct transport *t, uint64_t *values)
{
	const struct ppp_dtls *p = const_ppp_of(t);
	struct counter_block block;

	memset(&block, 0, sizeof(block));
	block.framing = p->stats;
	ppp_tls_read_stats(p->tls, &block.tls);
	block.link = *ppp_link_stats(p->link);
	if (p->ch) {
		block.channel = *dtls_channel_stats(p->ch);
		dtls_channel_record_stats(p->ch, &block.record);
	}
	transport_counters_read(ppp_dtls_counters, PPP_DTLS_N_COUNTERS, &block, values);
}

/* LCP Terminate-Request, then the channel's close_notify. */
static void ppp_close(struct transport *t)
{
	struct ppp_dtls *p = ppp_of(t);

	ppp_tls_close(p->tls, transport_now(t->host));
	if (!p->ch || dtls_channel_state(p->ch) != DTLS_CHANNEL_UP)
		return;
	if (p->phase == PHASE_PPP)
		ppp_link_close(p->link, transport_now(t->host));
	dtls_channel_close(p->ch);
}

static void ppp_free(struct transport *t)
{
	struct ppp_dtls *p = ppp_of(t);

	ppp_tls_free(p->tls);
	ppp_link_free(p->link);
	dtls_channel_free(p->ch);
	dtls_credentials_free(p->creds);
	crypto_wipe(p, sizeof(*p));
	free(p);
}

static void ppp_stream_open(struct transport *t)
{
	ppp_tls_attach(ppp_of(t)->tls);
}

static void ppp_stream_input(struct transport *t, const uint8_t *buf, size_t len)
{
	ppp_tls_input(ppp_of(t)->tls, buf, len, transport_now(t->host));
}

static int ppp_stream_send(struct transport *t, const uint8_t *pkt, size_t len)
{
	return ppp_tls_send(ppp_of(t)->tls, pkt, len);
}

static const struct transport_ops ppp_dtls_ops = {
	.rx_head = ppp_rx_head,
	.encap = ppp_encap,
	.decap = ppp_decap,
	.run_timers = ppp_run_timers,
	.state = ppp_state,
	.read_counters = ppp_read_counters,
	.close = ppp_close,
	.stream_open = ppp_stream_open,
	.stream_input = ppp_stream_input,
	.stream_send = ppp_stream_send,
	.free = ppp_free,
};

static const struct ppp_link_ops link_ops = {
	.send = link_send,
	.changed = link_changed,
};

/* The hello a client sends, or the session a server expects. */
static int setup_hello(struct ppp_dtls *p, const struct ppp_dtls_config *cfg, char *errbuf,
		       size_t errlen)
{
	const char *session = cfg->hello.session;

	if (!session || !*session || strlen(session) > PPP_HELLO_SESSION_MAX)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "PPP over DTLS needs the login's session (1..%d characters)",
				   PPP_HELLO_SESSION_MAX);
	if (p->server) {
		memcpy(p->session, session, strlen(session) + 1);
		return 0;
	}
	p->hello_len = ppp_hello_client(&cfg->hello, p->hello, sizeof(p->hello));
	if (p->hello_len < 0)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "cannot build the %s DTLS hello: the session or a name has characters it cannot carry, or is too long",
				   flavour_name(p));
	return 0;
}

static enum ppp_encap flavour_encap(enum zcvpn_ppp_flavour f)
{
	return f == ZCVPN_PPP_F5 ? PPP_ENCAP_F5 : PPP_ENCAP_FORTINET;
}

int ppp_dtls_new(struct ppp_dtls **out, const struct ppp_dtls_config *cfg,
		 struct transport_host *host, char *errbuf, size_t errlen)
{
	struct dtls_channel_config ccfg;
	struct ppp_link_config lcfg;
	struct ppp_dtls *p;
	int ret;

	if (!out || !cfg || !host || !cfg->max_inner ||
	    cfg->max_inner + PPP_FORTINET_HEADER + PPP_MAX_HEADER > DTLS_MAX_PLAINTEXT) {
		ret = errbuf_fail(errbuf, errlen, -EINVAL, "PPP over DTLS: bad MTU");
		goto refuse;
	}
	if (cfg->hello.flavour != ZCVPN_PPP_F5 && cfg->hello.flavour != ZCVPN_PPP_FORTINET &&
	    !(cfg->hello.flavour == ZCVPN_PPP_NULLPPP && cfg->no_dtls)) {
		ret = errbuf_fail(errbuf, errlen, -EINVAL, "unknown PPP flavour %d",
				  (int)cfg->hello.flavour);
		goto refuse;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ret = errbuf_fail(errbuf, errlen, -ENOMEM, "out of memory");
		goto refuse;
	}
	p->creds = cfg->creds;
	p->flavour = cfg->hello.flavour;
	p->encap = flavour_encap(p->flavour);
	p->encap_len = ppp_encap_header_len(p->encap);
	p->server = cfg->link.server;
	p->max_inner = cfg->max_inner;
	p->max_plain = cfg->max_inner + p->encap_len + PPP_MAX_HEADER;
	p->hello_timeout_ms = cfg->hello_timeout_ms ? cfg->hello_timeout_ms :
						      DEFAULT_HELLO_TIMEOUT_MS;
	p->rx_hdr_len = p->tx_hdr_len = PPP_MAX_HEADER;
	p->t = (struct transport){
		.ops = &ppp_dtls_ops,
		.host = host,
		.max_head = dtls_record_max_head() + p->encap_len + PPP_MAX_HEADER,
		.max_tail = dtls_record_max_tail(),
		/* The PPP header may be compressed away; the DTLS record always is there. */
		.rx_min_overhead = dtls_record_min_overhead(),
	};
	if (!cfg->no_dtls) {
		ret = setup_hello(p, cfg, errbuf, errlen);
		if (ret)
			goto fail;
	}
	lcfg = cfg->link;
	lcfg.mru = cfg->max_inner;
	/* Fortinet servers reject ACFC and PFC; openconnect leaves them out. */
	lcfg.no_header_compression |= p->flavour == ZCVPN_PPP_FORTINET;
	ret = ppp_link_new(&p->link, &lcfg, &link_ops, p, errbuf, errlen);
	if (!ret)
		ret = ppp_tls_new(&p->tls, cfg->stream_encap ? cfg->stream_encap : p->encap,
				  &lcfg, host, tls_changed, p, errbuf, errlen);
	if (ret)
		goto fail;
	if (cfg->no_dtls) {
		*out = p;
		return 0;
	}
	ccfg = cfg->channel;
	ccfg.dtls.creds = p->creds;
	ccfg.max_plain = p->max_plain;
	ccfg.up = session_up;
	ccfg.up_ctx = p;
	ret = dtls_channel_new(&p->ch, &ccfg, host);
	crypto_wipe(&ccfg, sizeof(ccfg));
	if (ret) {
		errbuf_fail(errbuf, errlen, ret, "setting up DTLS: %s", strerror(-ret));
		goto fail;
	}
	*out = p;
	return 0;
fail:
	ppp_tls_free(p->tls);
	ppp_link_free(p->link);
	dtls_credentials_free(p->creds);
	crypto_wipe(p, sizeof(*p));
	free(p);
	return ret;
refuse:
	if (cfg)
		dtls_credentials_free(cfg->creds);
	return ret;
}
