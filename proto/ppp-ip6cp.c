/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IP6CP (RFC 5072) over the automaton: only the Interface-Identifier is negotiated.
 * Both sides ask for their own non-zero identifier, a client with none asks with zeros
 * to be given one; a server Naks a zero or colliding identifier with the one it assigns,
 * and either side Naks an identifier equal to its own with a new one (§4.1).
 * IPv6 header compression is rejected.
 */
#include "config.h"

#include "proto/ppp-fsm.h"

#include <string.h>

static const uint8_t zero_ifid[8];

static struct ppp_cp *cp_of(struct ppp_fsm *f)
{
	return f->ctx;
}

static bool is_zero(const uint8_t *ifid)
{
	return !memcmp(ifid, zero_ifid, 8);
}

/* A random identifier, never zero and never equal to avoid. */
static void random_ifid(uint8_t *ifid, const uint8_t *avoid)
{
	do
		ppp_random(ifid, 8);
	while (is_zero(ifid) || !memcmp(ifid, avoid, 8));
}

void ppp_ip6cp_reset(struct ppp_cp *cp)
{
	memcpy(cp->ip6cp_ifid, cp->cfg.local_ifid, 8);
	memcpy(cp->ip6cp_peer_ifid, cp->cfg.peer_ifid, 8);
	if (cp->cfg.server) {
		if (is_zero(cp->ip6cp_ifid))
			random_ifid(cp->ip6cp_ifid, cp->ip6cp_peer_ifid);
		if (is_zero(cp->ip6cp_peer_ifid) || !memcmp(cp->ip6cp_peer_ifid,
							    cp->ip6cp_ifid, 8))
			random_ifid(cp->ip6cp_peer_ifid, cp->ip6cp_ifid);
	}
	cp->ip6cp_req_ifid = true;
	memset(cp->neg.local_ifid, 0, 8);
	memset(cp->neg.peer_ifid, 0, 8);
}

static int ip6cp_build_req(struct ppp_fsm *f, uint8_t *out, size_t cap)
{
	struct ppp_cp *cp = cp_of(f);
	size_t off = 0;

	if (cp->ip6cp_req_ifid)
		ppp_option_put(out, cap, &off, PPP_IP6CP_IFID, cp->ip6cp_ifid, 8);
	return (int)off;
}

static void check_ifid(struct ppp_cp *cp, const uint8_t *o, struct ppp_reply *r,
		       uint8_t *peer)
{
	const uint8_t *id = o + 2;
	uint8_t fresh[8];

	if (cp->cfg.server && (is_zero(id) || !memcmp(id, cp->ip6cp_ifid, 8))) {
		ppp_reply_nak(r, o, cp->ip6cp_peer_ifid, 8);
		return;
	}
	if (is_zero(id) || !memcmp(id, cp->ip6cp_ifid, 8)) {
		random_ifid(fresh, cp->ip6cp_ifid);
		ppp_reply_nak(r, o, fresh, 8);
		return;
	}
	memcpy(peer, id, 8);
}

static int ip6cp_check_req(struct ppp_fsm *f, const uint8_t *opts, size_t len,
			   uint8_t *out, size_t cap, size_t *outlen, bool naks_as_rej)
{
	struct ppp_cp *cp = cp_of(f);
	uint8_t peer[8] = { 0 };
	struct ppp_reply r;
	const uint8_t *o;
	size_t off;
	int code;

	ppp_reply_init(&r, out, cap, naks_as_rej);
	for (off = 0; off < len; off += o[1]) {
		o = opts + off;
		if (o[0] == PPP_IP6CP_IFID && o[1] == 10)
			check_ifid(cp, o, &r, peer);
		else
			ppp_reply_reject(&r, o);
	}
	code = ppp_reply_finish(&r, outlen);
	if (code == PPP_CONF_ACK)
		memcpy(cp->neg.peer_ifid, peer, 8);
	return code;
}

static int ip6cp_got_ack(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);

	(void)opts;
	(void)len;
	if (cp->ip6cp_req_ifid)
		memcpy(cp->neg.local_ifid, cp->ip6cp_ifid, 8);
	return 0;
}

static int ip6cp_got_nak(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	size_t off;

	for (off = 0; off < len; off += opts[off + 1]) {
		if (opts[off] != PPP_IP6CP_IFID || opts[off + 1] != 10)
			continue;
		if (!is_zero(opts + off + 2))
			memcpy(cp->ip6cp_ifid, opts + off + 2, 8);
		else
			random_ifid(cp->ip6cp_ifid, zero_ifid);
		cp->ip6cp_req_ifid = true;
	}
	return 0;
}

static int ip6cp_got_rej(struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_cp *cp = cp_of(f);
	size_t off;

	for (off = 0; off < len; off += opts[off + 1]) {
		if (opts[off] == PPP_IP6CP_IFID)
			cp->ip6cp_req_ifid = false;
	}
	return 0;
}

const struct ppp_fsm_ops ppp_ip6cp_ops = {
	.build_req = ip6cp_build_req,
	.check_req = ip6cp_check_req,
	.got_ack = ip6cp_got_ack,
	.got_nak = ip6cp_got_nak,
	.got_rej = ip6cp_got_rej,
	.up = ppp_cp_up,
	.down = ppp_cp_down,
	.started = ppp_cp_started,
	.finished = ppp_cp_finished,
	.send = ppp_cp_send,
};
