/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPCP (RFC 1332, RFC 1877) over the automaton.  A client asks for its address (or
 * 0.0.0.0, to be told one) and, when it wants them, for DNS and NBNS servers with zeros,
 * and takes what the server Naks; an option the server Rejects is dropped.  A server
 * asks for its own address, Naks the client's 0.0.0.0 or wrong address with the one it
 * assigns, Naks DNS/NBNS with its configured values or Rejects them when it has none,
 * and Rejects Van Jacobson compression and everything it does not know.
 */
#include "config.h"

#include "proto/ppp-fsm.h"

#include <string.h>

#include "src/util/byteorder.h"
#include "src/util/macros.h"

static struct ppp_cp *cp_of(struct ppp_fsm *f)
{
	return f->ctx;
}

/* Addresses stay in network byte order, as in struct ppp_link_config. */
static uint32_t get_addr(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

void ppp_ipcp_reset(struct ppp_cp *cp)
{
	bool client = !cp->cfg.server;
	size_t i;

	cp->ipcp_req.addr = client || cp->cfg.local_ipv4;
	cp->ipcp_addr = cp->cfg.local_ipv4;
	for (i = 0; i < 2; i++) {
		cp->ipcp_req.dns[i] = cp->ipcp_req.nbns[i] = client && cp->cfg.want_dns;
		cp->ipcp_dns[i] = cp->ipcp_nbns[i] = 0;
		cp->neg.dns[i] = cp->neg.nbns[i] = 0;
	}
	cp->neg.local_ipv4 = cp->neg.peer_ipv4 = 0;
}

/* The option types of the servers, in the order openconnect asks: DNS1 NBNS1 DNS2 NBNS2. */
static uint32_t *server_slot(struct ppp_cp *cp, uint8_t type, bool **req)
{
	switch (type) {
	case PPP_IPCP_DNS1:
		*req = &cp->ipcp_req.dns[0];
		return &cp->ipcp_dns[0];
	case PPP_IPCP_DNS2:
		*req = &cp->ipcp_req.dns[1];
		return &cp->ipcp_dns[1];
	case PPP_IPCP_NBNS1:
		*req = &cp->ipcp_req.nbns[0];
		return &cp->ipcp_nbns[0];
	case PPP_IPCP_NBNS2:
		*req = &cp->ipcp_req.nbns[1];
		return &cp->ipcp_nbns[1];
	default:
		return NULL;
	}
}

static const uint8_t server_types[] = {
	PPP_IPCP_DNS1, PPP_IPCP_NBNS1, PPP_IPCP_DNS2, PPP_IPCP_NBNS2,
};

static int ipcp_build_req(struct ppp_fsm *f, uint8_t *out, size_t cap)
{
	struct ppp_cp *cp = cp_of(f);
	size_t off = 0, i;
	uint32_t *val;
	bool *req = NULL;

	if (cp->ipcp_req.addr)
		ppp_option_put(out, cap, &off, PPP_IPCP_ADDRESS, (uint8_t *)&cp->ipcp_addr, 4);
	for (i = 0; i < ARRAY_SIZE(server_types); i++) {
		val = server_slot(cp, server_types[i], &req);
		if (val && *req)
			ppp_option_put(out, cap, &off, server_types[i], (uint8_t *)val, 4);
	}
	return (int)off;
}

/* What the server's configuration says for a DNS/NBNS option (0: not offered). */
static uint32_t configured(const struct ppp_cp *cp, uint8_t type)
{
	switch (type) {
	case PPP_IPCP_DNS1:
		return cp->cfg.dns[0];
	case PPP_IPCP_DNS2:
		return cp->cfg.dns[1];
	case PPP_IPCP_NBNS1:
		return cp->cfg.nbns[0];
	default:
		return cp->cfg.nbns[1];
	}
}

static void check_addr(struct ppp_cp *cp, const uint8_t *o, struct ppp_reply *r,
		       uint32_t *peer)
{
	uint32_t a = get_addr(o + 2);

	if (cp->cfg.server && a != cp->cfg.peer_ipv4) {
		ppp_reply_nak(r, o, (const uint8_t *)&cp->cfg.peer_ipv4, 4);
		return;
	}
	/* A client cannot assign the server an address: 0.0.0.0 from it is refused. */
	if (!a) {
		ppp_reply_reject(r, o);
		return;
	}
	*peer = a;
}

static int ipcp_check_req(struct ppp_fsm *f, const uint8_t *opts, size_t len, uint8_t *out,
			  size_t cap, size_t *outlen, bool naks_as_rej)
{
	struct ppp_cp *cp = cp_of(f);
	uint32_t peer = 0, want;
	struct ppp_reply r;
	const uint8_t *o;
	size_t off;
	int code;

	ppp_reply_init(&r, out, cap, naks_as_rej);
	for (off = 0; off < len; off += o[1]) {
		o = opts + off;
		if (o[0] == PPP_IPCP_ADDRESS && o[1] == 6) {
			check_addr(cp, o, &r, &peer);
			continue;
		}
		if (cp->cfg.server && o[1] == 6 && o[0] >= PPP_IPCP_DNS1 &&
		    o[0] <= PPP_IPCP_NBNS2) {
			want = configured(cp, o[0]);
			if (!want)
				ppp_reply_reject(&r, o);
			else if (get_addr(o + 2) != want)
				ppp_reply_nak(&r, o, (const uint8_t *)&want, 4);
			continue;
		}
		/* VJ compression, the deprecated IP-Addresses, anything else. */
		ppp_reply_reject(&r, o);
	}
	code = ppp_reply_finish(&r, outlen);
	if (code == PPP_CONF_ACK)
		cp->neg.peer_ipv4 = peer;
	return code;
}

static int ipcp_got_ack(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	size_t i;

	(void)opts;
	(void)len;
	cp->neg.local_ipv4 = cp->ipcp_req.addr ? cp->ipcp_addr : cp->cfg.local_ipv4;
	for (i = 0; i < 2; i++) {
		cp->neg.dns[i] = cp->ipcp_req.dns[i] ? cp->ipcp_dns[i] : 0;
		cp->neg.nbns[i] = cp->ipcp_req.nbns[i] ? cp->ipcp_nbns[i] : 0;
	}
	return 0;
}

static int ipcp_got_nak(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	const uint8_t *o;
	uint32_t *val;
	size_t off;
	bool *req = NULL;

	for (off = 0; off < len; off += o[1]) {
		o = opts + off;
		if (o[1] != 6)
			continue;
		if (o[0] == PPP_IPCP_ADDRESS) {
			/* The server's word; a zero suggestion would only repeat the question. */
			if (get_addr(o + 2))
				cp->ipcp_addr = get_addr(o + 2);
			cp->ipcp_req.addr = true;
			continue;
		}
		val = server_slot(cp, o[0], &req);
		if (val && !cp->cfg.server && cp->cfg.want_dns) {
			*val = get_addr(o + 2);
			*req = true;
		}
	}
	return 0;
}

static int ipcp_got_rej(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	uint32_t *val;
	size_t off;
	bool *req = NULL;

	for (off = 0; off < len; off += opts[off + 1]) {
		if (opts[off] == PPP_IPCP_ADDRESS) {
			cp->ipcp_req.addr = false;
			continue;
		}
		val = server_slot(cp, opts[off], &req);
		if (val)
			*req = false;
	}
	return 0;
}

const struct ppp_fsm_ops ppp_ipcp_ops = {
	.build_req = ipcp_build_req,
	.check_req = ipcp_check_req,
	.got_ack = ipcp_got_ack,
	.got_nak = ipcp_got_nak,
	.got_rej = ipcp_got_rej,
	.up = ppp_cp_up,
	.down = ppp_cp_down,
	.started = ppp_cp_started,
	.finished = ppp_cp_finished,
	.send = ppp_cp_send,
};
