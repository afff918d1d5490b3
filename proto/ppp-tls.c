/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP over the host's stream (proto/ppp-tls.h).
 */
#include "config.h"

#include "proto/ppp-tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ppp-stream.h"

struct ppp_tls {
	struct transport_host *host;
	struct ppp_link *link;
	enum ppp_encap encap;
	bool attached, opened;
	void (*changed)(void *ctx);
	void *ctx;
	struct ppp_tls_stats stats;
	struct ppp_stream rx;
	uint8_t out[PPP_STREAM_MAX_FRAME * 2 + 64];
};

static int write_frame(struct ppp_tls *p, uint16_t proto, const uint8_t *info, size_t len)
{
	const struct ppp_negotiated *n = ppp_link_negotiated(p->link);
	bool acfc = proto != PPP_PROTO_LCP && n->tx_acfc;
	int wire;

	if (!p->attached || !p->host->ops->stream_write)
		return -ENOTCONN;
	wire = ppp_stream_encode(p->encap, proto, acfc, n->tx_pfc,
				 ppp_link_tx_accm(p->link, proto), info, len, p->out,
				 sizeof(p->out));
	if (wire < 0)
		return wire;
	return p->host->ops->stream_write(p->host, p->out, (size_t)wire);
}

static int link_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	return write_frame(ctx, proto, pkt, len);
}

static void link_changed(void *ctx)
{
	struct ppp_tls *p = ctx;

	if (p->changed)
		p->changed(p->ctx);
}

static const struct ppp_link_ops link_ops = {
	.send = link_send,
	.changed = link_changed,
};

int ppp_tls_new(struct ppp_tls **out, enum ppp_encap encap, const struct ppp_link_config *lcfg,
		struct transport_host *host, void (*changed)(void *ctx), void *ctx,
		char *errbuf, size_t errlen)
{
	struct ppp_link_config cfg = *lcfg;
	struct ppp_tls *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->host = host;
	p->encap = encap;
	p->changed = changed;
	p->ctx = ctx;
	ret = ppp_stream_init(&p->rx, encap);
	if (ret)
		snprintf(errbuf, errlen, "PPP over TLS: unknown encapsulation %d", (int)encap);
	cfg.hdlc = ppp_encap_is_hdlc(encap);
	if (!ret)
		ret = ppp_link_new(&p->link, &cfg, &link_ops, p, errbuf, errlen);
	if (ret) {
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void ppp_tls_free(struct ppp_tls *p)
{
	if (!p)
		return;
	ppp_link_free(p->link);
	free(p);
}

void ppp_tls_attach(struct ppp_tls *p)
{
	p->attached = true;
}

bool ppp_tls_attached(const struct ppp_tls *p)
{
	return p->attached;
}

static void handle_frame(struct ppp_tls *p, uint16_t proto, const uint8_t *info, size_t len,
			 uint64_t now)
{
	if (proto != PPP_PROTO_IPV4 && proto != PPP_PROTO_IPV6) {
		ppp_link_input(p->link, proto, info, len, now);
		return;
	}
	ppp_link_note_rx(p->link, now);
	if (!len || !ppp_link_data_accepted(p->link, proto)) {
		p->stats.rx_ncp_closed++;
		return;
	}
	if (p->host->ops->deliver(p->host, info, len) == 0)
		p->stats.rx_data++;
	else
		p->stats.rx_not_delivered++;
}

void ppp_tls_input(struct ppp_tls *p, const uint8_t *buf, size_t len, uint64_t now)
{
	while (len && !p->rx.broken) {
		size_t room, n;
		uint8_t *space = ppp_stream_space(&p->rx, &room);
		const uint8_t *info;
		size_t info_len;
		uint16_t proto;
		int ret;

		n = len < room ? len : room;
		memcpy(space, buf, n);
		ppp_stream_wrote(&p->rx, n);
		buf += n;
		len -= n;
		while ((ret = ppp_stream_next(&p->rx, &proto, &info, &info_len)) == 1)
			handle_frame(p, proto, info, info_len, now);
		if (ret == -EPROTO) {
			p->stats.stream_broken = 1;
			transport_event(p->host, ZCVPN_EVENT_TRANSPORT_DOWN, ZCVPN_LOG_ERR, -EPROTO,
					"PPP over TLS: the stream's framing is lost");
			link_changed(p);
		}
	}
}

int ppp_tls_send(struct ppp_tls *p, const uint8_t *pkt, size_t len)
{
	uint16_t proto;
	int ret;

	if (!len)
		return -EINVAL;
	proto = (pkt[0] >> 4) == 6 ? PPP_PROTO_IPV6 : PPP_PROTO_IPV4;
	if (!ppp_link_data_open(p->link, proto))
		return -ENOTCONN;
	ret = write_frame(p, proto, pkt, len);
	if (!ret)
		p->stats.tx_data++;
	return ret;
}

uint64_t ppp_tls_run_timers(struct ppp_tls *p, uint64_t now)
{
	if (!p->attached || p->rx.broken)
		return TRANSPORT_NO_DEADLINE;
	if (!p->opened) {
		p->opened = true;
		ppp_link_open(p->link, now);
	}
	return ppp_link_run_timers(p->link, now);
}

bool ppp_tls_ready(const struct ppp_tls *p)
{
	const struct ppp_negotiated *n = ppp_link_negotiated(p->link);

	return p->attached && !p->rx.broken && ppp_link_ncps_settled(p->link) &&
	       (n->ipv4_open || n->ipv6_open);
}

bool ppp_tls_done(const struct ppp_tls *p)
{
	enum ppp_phase ph = ppp_link_phase(p->link);

	return p->rx.broken || ph == PPP_PHASE_CLOSED || ph == PPP_PHASE_FAILED;
}

void ppp_tls_close(struct ppp_tls *p, uint64_t now)
{
	if (p->opened && !p->rx.broken)
		ppp_link_close(p->link, now);
}

struct ppp_link *ppp_tls_link(struct ppp_tls *p)
{
	return p->link;
}

void ppp_tls_read_stats(const struct ppp_tls *p, struct ppp_tls_stats *out)
{
	*out = p->stats;
	out->rx_frames = p->rx.stats.rx_frames;
	out->rx_bad_encap = p->rx.stats.rx_bad_encap;
	out->rx_bad_fcs = p->rx.stats.rx_bad_fcs;
	out->rx_oversize = p->rx.stats.rx_oversize;
	out->rx_bad_header = p->rx.stats.rx_bad_header;
}
