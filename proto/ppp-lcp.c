/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LCP (RFC 1661 §6, RFC 1662 §7.1) over the automaton: the options MRU, ACCM, Magic-
 * Number, PFC and ACFC, loop detection by magic, and LCP's own packets: Echo-Request
 * and -Reply, Discard-Request, Protocol-Reject.  Authentication and quality protocols
 * are never agreed to: the VPN authenticated the peer before PPP started.
 */
#include "config.h"

#include "proto/ppp-fsm.h"

#include <errno.h>
#include <string.h>

#include "src/util/byteorder.h"

static struct ppp_cp *cp_of(struct ppp_fsm *f)
{
	return f->ctx;
}

/*
 * A fresh Magic-Number (RFC 1661 §6.4: a new one after a collision).  A configured
 * magic is for reproducible tests, so its successors are derived, not random.
 */
static uint32_t new_magic(struct ppp_cp *cp)
{
	uint32_t m = cp->lcp_magic;

	if (cp->cfg.magic) {
		m = m ? m : cp->cfg.magic;
		m ^= m << 13;
		m ^= m >> 17;
		m ^= m << 5;
		return m ? m : 1;
	}
	do
		ppp_random(&m, sizeof(m));
	while (!m || m == cp->lcp_magic);
	return m;
}

void ppp_lcp_reset(struct ppp_cp *cp)
{
	struct ppp_negotiated *n = &cp->neg;

	cp->lcp_req.mru = true;
	cp->lcp_req.accm = cp->cfg.hdlc;
	cp->lcp_req.magic = true;
	cp->lcp_req.pfc = cp->lcp_req.acfc = !cp->cfg.no_header_compression;
	cp->lcp_mru = cp->cfg.mru;
	cp->lcp_accm = 0;
	if (!cp->lcp_magic)
		cp->lcp_magic = cp->cfg.magic ? cp->cfg.magic : new_magic(cp);
	cp->loops = 0;
	cp->mru_coaxed = false;
	cp->peer_terminated = false;
	cp->term_reason[0] = '\0';
	n->tx_acfc = n->tx_pfc = n->rx_acfc = n->rx_pfc = false;
	n->tx_accm = n->rx_accm = PPP_ACCM_DEFAULT;
	n->peer_mru = PPP_DEFAULT_MRU;
	n->local_magic = n->peer_magic = 0;
}

static int lcp_build_req(struct ppp_fsm *f, uint8_t *out, size_t cap)
{
	struct ppp_cp *cp = cp_of(f);
	uint8_t v[4];
	size_t off = 0;

	/* 1500 is the default: asking for it says nothing (RFC 1661 §6.1). */
	if (cp->lcp_req.mru && cp->lcp_mru != PPP_DEFAULT_MRU) {
		put_be16(v, (uint16_t)cp->lcp_mru);
		ppp_option_put(out, cap, &off, PPP_LCP_MRU, v, 2);
	}
	if (cp->lcp_req.accm) {
		put_be32(v, cp->lcp_accm);
		ppp_option_put(out, cap, &off, PPP_LCP_ACCM, v, 4);
	}
	if (cp->lcp_req.magic) {
		put_be32(v, cp->lcp_magic);
		ppp_option_put(out, cap, &off, PPP_LCP_MAGIC, v, 4);
	}
	if (cp->lcp_req.pfc)
		ppp_option_put(out, cap, &off, PPP_LCP_PFC, NULL, 0);
	if (cp->lcp_req.acfc)
		ppp_option_put(out, cap, &off, PPP_LCP_ACFC, NULL, 0);
	return (int)off;
}

/* Our magic came back: a few times in a row is a looped link, not bad luck. */
static int magic_looped(struct ppp_fsm *f, struct ppp_cp *cp)
{
	cp->stats.rx_looped_back++;
	if (++cp->loops >= PPP_LCP_MAX_LOOPS)
		return ppp_fsm_set_error(f, -ELOOP, NULL);
	cp->lcp_magic = new_magic(cp);
	return 0;
}

struct lcp_peer {
	uint32_t mru, accm, magic;
	bool pfc, acfc;
};

static int lcp_check_opt(struct ppp_fsm *f, struct ppp_cp *cp, const uint8_t *o,
			 struct ppp_reply *r, struct lcp_peer *p)
{
	uint8_t v[4];
	uint32_t x;

	switch (o[0]) {
	case PPP_LCP_MRU:
		if (o[1] != 4)
			break;
		x = get_be16(o + 2);
		/* Below ours: Nak once with ours (as openconnect does), then take it. */
		if (x < PPP_MIN_MRU || (x < cp->cfg.mru && !cp->mru_coaxed)) {
			cp->mru_coaxed = true;
			put_be16(v, (uint16_t)cp->cfg.mru);
			ppp_reply_nak(r, o, v, 2);
		}
		p->mru = x;
		return 0;
	case PPP_LCP_ACCM:
		if (o[1] != 6 || !cp->cfg.hdlc)
			break;
		p->accm = get_be32(o + 2);
		return 0;
	case PPP_LCP_MAGIC:
		if (o[1] != 6)
			break;
		x = get_be32(o + 2);
		if (x && cp->lcp_req.magic && x == cp->lcp_magic) {
			int err = magic_looped(f, cp);

			if (err)
				return err;
			x = 0;
		} else if (x) {
			cp->loops = 0;
		}
		if (!x) {
			/* Zero is illegal, ours is a loop: suggest another (§6.4). */
			put_be32(v, new_magic(cp) ^ 0x5a5a5a5a);
			ppp_reply_nak(r, o, v, 4);
		}
		p->magic = x;
		return 0;
	case PPP_LCP_PFC:
		if (o[1] != 2)
			break;
		p->pfc = true;
		return 0;
	case PPP_LCP_ACFC:
		if (o[1] != 2)
			break;
		p->acfc = true;
		return 0;
	default:
		break;	/* AUTH, QUALITY and anything else */
	}
	ppp_reply_reject(r, o);
	return 0;
}

static int lcp_check_req(struct ppp_fsm *f, const uint8_t *opts, size_t len, uint8_t *out,
			 size_t cap, size_t *outlen, bool naks_as_rej)
{
	struct ppp_cp *cp = cp_of(f);
	struct lcp_peer p = { PPP_DEFAULT_MRU, PPP_ACCM_DEFAULT, 0, false, false };
	struct ppp_reply r;
	size_t off;
	int code, err;

	ppp_reply_init(&r, out, cap, naks_as_rej);
	for (off = 0; off < len; off += opts[off + 1]) {
		err = lcp_check_opt(f, cp, opts + off, &r, &p);
		if (err)
			return err;
	}
	code = ppp_reply_finish(&r, outlen);
	if (code == PPP_CONF_ACK) {
		/* A request replaces the last: what it leaves out is the default again. */
		cp->neg.peer_mru = p.mru;
		cp->neg.tx_accm = p.accm;
		cp->neg.peer_magic = p.magic;
		cp->neg.tx_pfc = p.pfc;
		cp->neg.tx_acfc = p.acfc;
	}
	return code;
}

static int lcp_got_ack(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);

	(void)opts;
	(void)len;
	cp->neg.rx_pfc = cp->lcp_req.pfc;
	cp->neg.rx_acfc = cp->lcp_req.acfc;
	cp->neg.rx_accm = cp->lcp_req.accm ? cp->lcp_accm : PPP_ACCM_DEFAULT;
	cp->neg.local_magic = cp->lcp_req.magic ? cp->lcp_magic : 0;
	return 0;
}

static int lcp_got_nak(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	const uint8_t *o;
	size_t off;
	uint32_t x;

	for (off = 0; off < len; off += o[1]) {
		o = opts + off;
		switch (o[0]) {
		case PPP_LCP_MRU:
			if (o[1] == 4 && get_be16(o + 2) >= PPP_MIN_MRU)
				cp->lcp_mru = get_be16(o + 2);
			break;
		case PPP_LCP_ACCM:
			/* The peer needs more escaped: ask for both maps (RFC 1662 §7.1). */
			if (o[1] == 6)
				cp->lcp_accm |= get_be32(o + 2);
			break;
		case PPP_LCP_MAGIC:
			if (o[1] != 6)
				break;
			x = get_be32(o + 2);
			if (x == cp->lcp_magic) {
				int err = magic_looped(f, cp);

				if (err)
					return err;
			} else {
				cp->lcp_magic = new_magic(cp);
			}
			break;
		case PPP_LCP_PFC:
			cp->lcp_req.pfc = false;
			break;
		case PPP_LCP_ACFC:
			cp->lcp_req.acfc = false;
			break;
		default:
			break;	/* a suggestion we did not ask about: ignored */
		}
	}
	return 0;
}

static int lcp_got_rej(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	size_t off;

	for (off = 0; off < len; off += opts[off + 1]) {
		switch (opts[off]) {
		case PPP_LCP_MRU:
			cp->lcp_req.mru = false;
			break;
		case PPP_LCP_ACCM:
			cp->lcp_req.accm = false;
			break;
		case PPP_LCP_MAGIC:
			cp->lcp_req.magic = false;
			break;
		case PPP_LCP_PFC:
			cp->lcp_req.pfc = false;
			break;
		case PPP_LCP_ACFC:
			cp->lcp_req.acfc = false;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int rx_proto_rej(struct ppp_fsm *f, struct ppp_cp *cp, const uint8_t *data,
			size_t len, uint64_t now)
{
	uint16_t proto;

	cp->stats.proto_rej_rx++;
	if (len < 2) {
		cp->stats.rx_bad_length++;
		return PPP_EV_RXJ_POS;
	}
	proto = get_be16(data);
	if (proto == PPP_PROTO_LCP)
		return PPP_EV_RXJ_NEG;
	if (f->state != PPP_FSM_OPENED) {
		cp->stats.rx_unexpected++;
		return PPP_EV_RXJ_POS;
	}
	cp->hooks->proto_rejected(cp, proto, now);
	return PPP_EV_RXJ_POS;
}

static void rx_echo_req(struct ppp_fsm *f, struct ppp_cp *cp, const uint8_t *data,
			size_t len)
{
	size_t room = cp->neg.peer_mru < PPP_FSM_BUF ? cp->neg.peer_mru : PPP_FSM_BUF;
	uint8_t *r = f->reply;

	cp->stats.echo_req_rx++;
	if (len < 4) {
		cp->stats.rx_bad_length++;
		return;
	}
	if (f->state != PPP_FSM_OPENED) {
		cp->stats.rx_unexpected++;
		return;
	}
	if (cp->neg.local_magic && get_be32(data) == cp->neg.local_magic)
		cp->stats.rx_looped_back++;
	/* Our magic, then the peer's data back, within what it can take. */
	room -= PPP_CP_HEADER;
	if (len > room)
		len = room;
	memmove(r + 4, data + 4, len - 4);
	put_be32(r, cp->neg.local_magic);
	f->reply_len = len;
	f->reply_code = PPP_ECHO_REPLY;
	cp->stats.echo_reply_tx++;
}

static int lcp_other_code(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
			  size_t len, uint64_t now)
{
	struct ppp_cp *cp = cp_of(f);

	(void)id;
	switch (code) {
	case PPP_PROTO_REJ:
		return rx_proto_rej(f, cp, data, len, now);
	case PPP_ECHO_REQ:
		rx_echo_req(f, cp, data, len);
		return PPP_EV_RXR;
	case PPP_ECHO_REPLY:
		cp->stats.echo_reply_rx++;
		if (len >= 4 && cp->neg.local_magic && get_be32(data) == cp->neg.local_magic)
			cp->stats.rx_looped_back++;
		return PPP_EV_RXR;
	case PPP_DISCARD_REQ:
		cp->stats.discard_rx++;
		return PPP_EV_RXR;
	default:
		return -1;
	}
}

/* Keeps the peer's reason for the sentence: printable ASCII only, bounded. */
static void lcp_term_req(struct ppp_fsm *f, const uint8_t *data, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	size_t i, n = 0;

	cp->peer_terminated = true;
	for (i = 0; i < len && n < PPP_TERM_REASON; i++) {
		if (data[i] >= 0x20 && data[i] < 0x7f)
			cp->term_reason[n++] = (char)data[i];
	}
	cp->term_reason[n] = '\0';
}

const struct ppp_fsm_ops ppp_lcp_ops = {
	.build_req = lcp_build_req,
	.check_req = lcp_check_req,
	.got_ack = lcp_got_ack,
	.got_nak = lcp_got_nak,
	.got_rej = lcp_got_rej,
	.up = ppp_cp_up,
	.down = ppp_cp_down,
	.started = ppp_cp_started,
	.finished = ppp_cp_finished,
	.other_code = lcp_other_code,
	.term_req = lcp_term_req,
	.send = ppp_cp_send,
};

static uint8_t magic_bytes(struct ppp_cp *cp, uint8_t *v)
{
	put_be32(v, cp->neg.local_magic);
	return 4;
}

int ppp_lcp_send_echo(struct ppp_cp *cp)
{
	uint8_t v[4];

	cp->stats.echo_req_tx++;
	return ppp_fsm_send_packet(&cp->lcp, PPP_ECHO_REQ, -1, v, magic_bytes(cp, v));
}

int ppp_lcp_send_discard(struct ppp_cp *cp)
{
	uint8_t v[4];

	cp->stats.discard_tx++;
	return ppp_fsm_send_packet(&cp->lcp, PPP_DISCARD_REQ, -1, v, magic_bytes(cp, v));
}

int ppp_lcp_send_proto_rej(struct ppp_cp *cp, uint16_t proto, const uint8_t *data,
			   size_t len)
{
	uint8_t buf[PPP_FSM_BUF];
	size_t room = cp->neg.peer_mru < sizeof(buf) ? cp->neg.peer_mru : sizeof(buf);

	/* The whole Protocol-Reject fits the peer's MRU: header, protocol, what fits. */
	room -= PPP_CP_HEADER + 2;
	if (len > room)
		len = room;
	put_be16(buf, proto);
	if (len)
		memcpy(buf + 2, data, len);
	return ppp_fsm_send_packet(&cp->lcp, PPP_PROTO_REJ, -1, buf, len + 2);
}
