/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A PPP link's control plane (ppp-link.h): LCP first, then IPCP and IP6CP once LCP is
 * open, the phases the caller sees, LCP echo and Discard-Request liveness, and the
 * Protocol-Reject of anything else.  The option logic is in ppp-lcp.c, ppp-ipcp.c and
 * ppp-ip6cp.c; the automaton in ppp-fsm.c.
 */
#include "config.h"

#include "proto/ppp-link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "proto/ppp-fsm.h"
#include "src/util/errbuf.h"
#include "src/util/macros.h"

#define MS 1000000ull

struct ppp_link {
	struct ppp_cp cp;
	const struct ppp_link_ops *ops;
	void *ctx;
	enum ppp_phase phase;
	bool closing;			/* ppp_link_close was called */
	bool v4_rejected, v6_rejected;	/* by Protocol-Reject */
	int error;
	char why[200];
	uint64_t now;			/* of the entry point running */
	uint64_t last_rx, last_tx, last_echo;
	uint32_t echo_out;		/* Echo-Requests unanswered in a row */
};

static struct ppp_link *link_of(struct ppp_cp *cp)
{
	return container_of(cp, struct ppp_link, cp);
}

void ppp_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n <= 0)
			continue;	/* EINTR; the entropy pool is ready after boot */
		p += n;
		len -= (size_t)n;
	}
}

static void changed(struct ppp_link *l)
{
	if (l->ops->changed)
		l->ops->changed(l->ctx);
}

/* Gives up: nothing more is sent or taken until the next ppp_link_open. */
static void link_end(struct ppp_link *l, enum ppp_phase phase, int err, const char *why)
{
	if (l->phase == PPP_PHASE_FAILED || l->phase == PPP_PHASE_CLOSED)
		return;
	l->phase = phase;
	l->error = err;
	snprintf(l->why, sizeof(l->why), "%s", why);
	l->cp.neg.ipv4_open = l->cp.neg.ipv6_open = false;
	changed(l);
}

static bool ended(const struct ppp_link *l)
{
	return l->phase == PPP_PHASE_DEAD || l->phase == PPP_PHASE_FAILED ||
	       l->phase == PPP_PHASE_CLOSED;
}

int ppp_cp_send(struct ppp_fsm *f, const uint8_t *pkt, size_t len)
{
	struct ppp_cp *cp = f->ctx;

	return cp->hooks->send(cp, f->proto, pkt, len);
}

static void start_ncp(struct ppp_link *l, struct ppp_fsm *f, void (*reset)(struct ppp_cp *))
{
	reset(&l->cp);
	ppp_fsm_open(f, l->now);
	ppp_fsm_up(f, l->now);
}

static void lcp_up(struct ppp_link *l)
{
	l->phase = PPP_PHASE_NETWORK;
	l->last_rx = l->last_tx = l->now;
	l->echo_out = 0;
	changed(l);
	if (l->cp.cfg.want_ipv4 && !l->v4_rejected)
		start_ncp(l, &l->cp.ipcp, ppp_ipcp_reset);
	if (l->cp.cfg.want_ipv6 && !l->v6_rejected)
		start_ncp(l, &l->cp.ip6cp, ppp_ip6cp_reset);
}

static void lcp_down(struct ppp_link *l)
{
	/*
	 * The phase first: the NCPs going down below is the link's end, and a watcher
	 * that saw IPCP close while the phase still said Network would take it for a
	 * change of the network (IPv6 alone) and report it.
	 */
	if (ppp_fsm_state(&l->cp.lcp) == PPP_FSM_CLOSING ||
	    ppp_fsm_state(&l->cp.lcp) == PPP_FSM_STOPPING)
		l->phase = PPP_PHASE_TERMINATE;
	else if (!ended(l))
		l->phase = PPP_PHASE_ESTABLISH;
	ppp_fsm_down(&l->cp.ipcp, l->now);
	ppp_fsm_down(&l->cp.ip6cp, l->now);
	l->cp.neg.ipv4_open = l->cp.neg.ipv6_open = false;
	changed(l);
}

static void lcp_finished(struct ppp_link *l)
{
	const char *why;
	int err = ppp_fsm_error(&l->cp.lcp, &why);
	char buf[sizeof(l->why)];

	if (err) {
		link_end(l, PPP_PHASE_FAILED, err, why);
	} else if (l->closing) {
		link_end(l, PPP_PHASE_CLOSED, 0, "we closed the link");
	} else if (l->cp.peer_terminated) {
		snprintf(buf, sizeof(buf), "the peer terminated: %s",
			 l->cp.term_reason[0] ? l->cp.term_reason : "(no reason given)");
		link_end(l, PPP_PHASE_CLOSED, -ECONNRESET, buf);
	} else {
		link_end(l, PPP_PHASE_FAILED, -EPROTO, "the peer rejected LCP");
	}
}

/* A wanted NCP that can still open: negotiating or open. */
static bool ncp_alive(bool wanted, bool rejected, const struct ppp_fsm *f)
{
	return wanted && !rejected && ppp_fsm_state(f) > PPP_FSM_STOPPED;
}

/*
 * An NCP gave up or was Protocol-Rejected: the link goes on with the other, or ends
 * when none is left.
 */
static void ncp_finished(struct ppp_link *l, struct ppp_fsm *f)
{
	const struct ppp_link_config *c = &l->cp.cfg;
	bool rej4 = !c->want_ipv4 || l->v4_rejected, rej6 = !c->want_ipv6 || l->v6_rejected;
	const char *why;
	int err;

	if (ended(l))
		return;
	changed(l);
	if (ncp_alive(c->want_ipv4, l->v4_rejected, &l->cp.ipcp) ||
	    ncp_alive(c->want_ipv6, l->v6_rejected, &l->cp.ip6cp))
		return;
	if (rej4 && rej6) {
		link_end(l, PPP_PHASE_FAILED, -EPROTO,
			 c->want_ipv4 && c->want_ipv6 ? "the peer rejected IPCP and IP6CP" :
			 c->want_ipv4 ? "the peer rejected IPCP" : "the peer rejected IP6CP");
		return;
	}
	err = ppp_fsm_error(f, &why);
	link_end(l, PPP_PHASE_FAILED, err ? err : -EPROTO,
		 err ? why : f == &l->cp.ipcp ? "the peer closed IPCP" : "the peer closed IP6CP");
}

static void layer(struct ppp_cp *cp, struct ppp_fsm *f, enum ppp_fsm_action what)
{
	struct ppp_link *l = link_of(cp);
	bool v4 = f == &cp->ipcp;

	if (ended(l))
		return;
	if (f == &cp->lcp) {
		if (what == PPP_ACT_TLU)
			lcp_up(l);
		else if (what == PPP_ACT_TLD)
			lcp_down(l);
		else if (what == PPP_ACT_TLF)
			lcp_finished(l);
		return;
	}
	switch (what) {
	case PPP_ACT_TLU:
	case PPP_ACT_TLD:
		if (v4)
			cp->neg.ipv4_open = what == PPP_ACT_TLU;
		else
			cp->neg.ipv6_open = what == PPP_ACT_TLU;
		changed(l);
		break;
	case PPP_ACT_TLF:
		ncp_finished(l, f);
		break;
	default:
		break;
	}
}

void ppp_cp_up(struct ppp_fsm *f)
{
	struct ppp_cp *cp = f->ctx;

	cp->hooks->layer(cp, f, PPP_ACT_TLU);
}

void ppp_cp_down(struct ppp_fsm *f)
{
	struct ppp_cp *cp = f->ctx;

	cp->hooks->layer(cp, f, PPP_ACT_TLD);
}

void ppp_cp_started(struct ppp_fsm *f)
{
	struct ppp_cp *cp = f->ctx;

	cp->hooks->layer(cp, f, PPP_ACT_TLS);
}

void ppp_cp_finished(struct ppp_fsm *f)
{
	struct ppp_cp *cp = f->ctx;

	cp->hooks->layer(cp, f, PPP_ACT_TLF);
}

static int hook_send(struct ppp_cp *cp, uint16_t proto, const uint8_t *pkt, size_t len)
{
	struct ppp_link *l = link_of(cp);

	l->last_tx = l->now;
	return l->ops->send(l->ctx, proto, pkt, len);
}

/* The peer does not speak an NCP: that automaton ends (RXJ-), the other goes on. */
static void hook_proto_rejected(struct ppp_cp *cp, uint16_t proto, uint64_t now)
{
	struct ppp_link *l = link_of(cp);

	if (proto == PPP_PROTO_IPCP && cp->cfg.want_ipv4) {
		l->v4_rejected = true;
		ppp_fsm_event(&cp->ipcp, PPP_EV_RXJ_NEG, now);
		ncp_finished(l, &cp->ipcp);
	} else if (proto == PPP_PROTO_IP6CP && cp->cfg.want_ipv6) {
		l->v6_rejected = true;
		ppp_fsm_event(&cp->ip6cp, PPP_EV_RXJ_NEG, now);
		ncp_finished(l, &cp->ip6cp);
	}
}

static const struct ppp_cp_hooks link_hooks = {
	.send = hook_send,
	.layer = layer,
	.proto_rejected = hook_proto_rejected,
};

static int check_config(const struct ppp_link_config *c, char *errbuf, size_t errlen)
{
	if (!c->want_ipv4 && !c->want_ipv6)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "a PPP link needs IPv4 or IPv6 (or both)");
	if (c->mru && (c->mru < PPP_MIN_MRU || c->mru > 65535))
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "PPP MRU %u is outside %u..65535", c->mru, PPP_MIN_MRU);
	if (c->server && c->want_ipv4 && !c->peer_ipv4)
		return errbuf_fail(errbuf, errlen, -EINVAL,
				   "a PPP server needs an IPv4 address to assign to its peer");
	return 0;
}

int ppp_link_new(struct ppp_link **out, const struct ppp_link_config *cfg,
		 const struct ppp_link_ops *ops, void *ctx, char *errbuf, size_t errlen)
{
	struct ppp_link *l;
	int err;

	*out = NULL;
	err = check_config(cfg, errbuf, errlen);
	if (err)
		return err;
	if (!ops || !ops->send)
		return errbuf_fail(errbuf, errlen, -EINVAL, "a PPP link needs a send op");
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cp.cfg = *cfg;
	if (!l->cp.cfg.mru)
		l->cp.cfg.mru = PPP_DEFAULT_MRU;
	if (!l->cp.cfg.echo_fails)
		l->cp.cfg.echo_fails = 3;
	l->cp.hooks = &link_hooks;
	l->ops = ops;
	l->ctx = ctx;
	l->phase = PPP_PHASE_DEAD;
	*out = l;
	return 0;
}

void ppp_link_free(struct ppp_link *l)
{
	free(l);
}

void ppp_link_open(struct ppp_link *l, uint64_t now)
{
	struct ppp_cp *cp = &l->cp;
	struct ppp_fsm_limits lim = {
		.restart_ms = cp->cfg.restart_ms,
		.max_configure = cp->cfg.max_configure,
		.max_terminate = cp->cfg.max_terminate,
		.max_failure = cp->cfg.max_failure,
	};

	l->now = now;
	memset(&cp->neg, 0, sizeof(cp->neg));
	/* One identifier counter for all three, as the peers in the captures number. */
	ppp_fsm_init(&cp->lcp, PPP_PROTO_LCP, "LCP", &ppp_lcp_ops, cp, &lim, &cp->stats,
		     &cp->next_id);
	ppp_fsm_init(&cp->ipcp, PPP_PROTO_IPCP, "IPCP", &ppp_ipcp_ops, cp, &lim, &cp->stats,
		     &cp->next_id);
	ppp_fsm_init(&cp->ip6cp, PPP_PROTO_IP6CP, "IP6CP", &ppp_ip6cp_ops, cp, &lim,
		     &cp->stats, &cp->next_id);
	l->closing = l->v4_rejected = l->v6_rejected = false;
	l->error = 0;
	l->why[0] = '\0';
	l->echo_out = 0;
	l->last_rx = l->last_tx = l->last_echo = now;
	l->phase = PPP_PHASE_ESTABLISH;
	ppp_lcp_reset(cp);
	changed(l);
	ppp_fsm_open(&cp->lcp, now);
	ppp_fsm_up(&cp->lcp, now);
}

static bool lcp_opened(const struct ppp_link *l)
{
	return ppp_fsm_state(&l->cp.lcp) == PPP_FSM_OPENED;
}

static void reject_protocol(struct ppp_link *l, uint16_t proto, const uint8_t *data,
			    size_t len)
{
	if (!lcp_opened(l)) {
		l->cp.stats.rx_unexpected++;
		return;
	}
	l->cp.stats.rx_unknown_protocol++;
	ppp_lcp_send_proto_rej(&l->cp, proto, data, len);
}

void ppp_link_input(struct ppp_link *l, uint16_t proto, const uint8_t *data, size_t len,
		    uint64_t now)
{
	struct ppp_cp *cp = &l->cp;

	l->now = now;
	cp->stats.rx_control++;
	if (ended(l)) {
		cp->stats.rx_unexpected++;
		return;
	}
	ppp_link_note_rx(l, now);
	switch (proto) {
	case PPP_PROTO_LCP:
		ppp_fsm_input(&cp->lcp, data, len, now);
		return;
	case PPP_PROTO_IPCP:
		if (cp->cfg.want_ipv4 && !l->v4_rejected)
			ppp_fsm_input(&cp->ipcp, data, len, now);
		else
			reject_protocol(l, proto, data, len);
		return;
	case PPP_PROTO_IP6CP:
		if (cp->cfg.want_ipv6 && !l->v6_rejected)
			ppp_fsm_input(&cp->ip6cp, data, len, now);
		else
			reject_protocol(l, proto, data, len);
		return;
	default:
		reject_protocol(l, proto, data, len);
		return;
	}
}

void ppp_link_note_rx(struct ppp_link *l, uint64_t now)
{
	l->last_rx = now;
	l->echo_out = 0;
}

void ppp_link_note_tx(struct ppp_link *l, uint64_t now)
{
	l->last_tx = now;
}

bool ppp_link_data_open(const struct ppp_link *l, uint16_t proto)
{
	if (l->phase != PPP_PHASE_NETWORK)
		return false;
	if (proto == PPP_PROTO_IPV4)
		return l->cp.neg.ipv4_open;
	if (proto == PPP_PROTO_IPV6)
		return l->cp.neg.ipv6_open;
	return false;
}

/* A family is settled when it is open or will not open (not wanted, rejected, given up). */
static bool ncp_settled(bool wanted, bool rejected, const struct ppp_fsm *f)
{
	enum ppp_fsm_state st = ppp_fsm_state(f);

	return !wanted || rejected || st == PPP_FSM_OPENED || st <= PPP_FSM_STOPPED;
}

bool ppp_link_ncps_settled(const struct ppp_link *l)
{
	const struct ppp_link_config *c = &l->cp.cfg;

	return l->phase == PPP_PHASE_NETWORK &&
	       ncp_settled(c->want_ipv4, l->v4_rejected, &l->cp.ipcp) &&
	       ncp_settled(c->want_ipv6, l->v6_rejected, &l->cp.ip6cp);
}

bool ppp_link_data_accepted(const struct ppp_link *l, uint16_t proto)
{
	const struct ppp_fsm *f;

	if (l->phase != PPP_PHASE_NETWORK)
		return false;
	if (proto == PPP_PROTO_IPV4)
		f = &l->cp.ipcp;
	else if (proto == PPP_PROTO_IPV6)
		f = &l->cp.ip6cp;
	else
		return false;
	/* Having acked the peer's request, we may be the last to open: it may send. */
	return ppp_fsm_state(f) == PPP_FSM_OPENED || ppp_fsm_state(f) == PPP_FSM_ACK_SENT;
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Dead-peer detection: an echo after echo_ms of silence, echo_fails of them at most. */
static uint64_t run_echo(struct ppp_link *l, uint64_t now)
{
	uint64_t period = (uint64_t)l->cp.cfg.echo_ms * MS;
	uint64_t due;
	char why[64];

	if (!period)
		return UINT64_MAX;
	due = (l->last_rx > l->last_echo ? l->last_rx : l->last_echo) + period;
	if (now < due)
		return due;
	if (l->echo_out >= l->cp.cfg.echo_fails) {
		snprintf(why, sizeof(why), "no answer to %u LCP echo requests", l->echo_out);
		link_end(l, PPP_PHASE_FAILED, -ETIMEDOUT, why);
		return UINT64_MAX;
	}
	ppp_lcp_send_echo(&l->cp);
	l->echo_out++;
	l->last_echo = now;
	return now + period;
}

static uint64_t run_keepalive(struct ppp_link *l, uint64_t now)
{
	uint64_t period = (uint64_t)l->cp.cfg.keepalive_ms * MS;

	if (!period)
		return UINT64_MAX;
	if (now >= l->last_tx + period)
		ppp_lcp_send_discard(&l->cp);
	return l->last_tx + period;
}

uint64_t ppp_link_run_timers(struct ppp_link *l, uint64_t now)
{
	struct ppp_fsm *fsms[] = { &l->cp.lcp, &l->cp.ipcp, &l->cp.ip6cp };
	uint64_t next = UINT64_MAX;
	size_t i;

	l->now = now;
	for (i = 0; i < ARRAY_SIZE(fsms) && !ended(l); i++)
		next = earlier(next, ppp_fsm_run_timer(fsms[i], now));
	if (!ended(l) && lcp_opened(l)) {
		next = earlier(next, run_echo(l, now));
		if (!ended(l))
			next = earlier(next, run_keepalive(l, now));
	}
	return ended(l) ? UINT64_MAX : next;
}

void ppp_link_close(struct ppp_link *l, uint64_t now)
{
	l->now = now;
	if (l->phase == PPP_PHASE_DEAD) {
		link_end(l, PPP_PHASE_CLOSED, 0, "we closed the link");
		return;
	}
	if (ended(l))
		return;
	l->closing = true;
	ppp_fsm_close(&l->cp.lcp, now);
	if (!ended(l) && l->phase != PPP_PHASE_TERMINATE) {
		l->phase = PPP_PHASE_TERMINATE;
		changed(l);
	}
	/* Closed straight away (LCP was not talking yet): nothing to wait for. */
	if (ppp_fsm_state(&l->cp.lcp) == PPP_FSM_CLOSED ||
	    ppp_fsm_state(&l->cp.lcp) == PPP_FSM_INITIAL)
		link_end(l, PPP_PHASE_CLOSED, 0, "we closed the link");
}

enum ppp_phase ppp_link_phase(const struct ppp_link *l)
{
	return l->phase;
}

const struct ppp_negotiated *ppp_link_negotiated(const struct ppp_link *l)
{
	return &l->cp.neg;
}

const struct ppp_link_stats *ppp_link_stats(const struct ppp_link *l)
{
	return &l->cp.stats;
}

int ppp_link_error(const struct ppp_link *l, const char **why)
{
	if (why)
		*why = l->why;
	return l->error;
}

uint32_t ppp_link_tx_accm(const struct ppp_link *l, uint16_t proto)
{
	if (proto == PPP_PROTO_LCP || !lcp_opened(l))
		return PPP_ACCM_DEFAULT;
	return l->cp.neg.tx_accm;
}
