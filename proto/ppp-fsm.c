/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RFC 1661 option negotiation automaton: the §4.1 state transition table as data,
 * the §4.4 actions, the restart timer and counters, and the parsing every control
 * protocol shares (code, identifier, length; option lists; identifier matching).
 * The option logic is the protocol's (struct ppp_fsm_ops); see ppp-fsm.h.
 */
#include "config.h"

#include "proto/ppp-fsm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "src/util/byteorder.h"
#include "src/util/macros.h"

struct cell {
	int8_t next;		/* -1: the event cannot happen in this state */
	uint16_t act;
};

#define TLD PPP_ACT_TLD
#define IRC PPP_ACT_IRC
#define ZRC PPP_ACT_ZRC
#define SCR PPP_ACT_SCR
#define SCA PPP_ACT_SCA
#define SCN PPP_ACT_SCN
#define STR PPP_ACT_STR
#define STA PPP_ACT_STA
#define SCJ PPP_ACT_SCJ
#define SER PPP_ACT_SER
#define TLU PPP_ACT_TLU
#define TLS PPP_ACT_TLS
#define TLF PPP_ACT_TLF

#define X { -1, 0 }
#define S(state, acts) { PPP_FSM_##state, (acts) }

/*
 * RFC 1661 §4.1, row by row; columns Initial, Starting, Closed, Stopped, Closing,
 * Stopping, Req-Sent, Ack-Rcvd, Ack-Sent, Opened.  The "restart" option (r) is not
 * taken: Open in Stopped or Opened changes nothing, and the link restarts a carrier
 * change with Down and Up.  Passive (p) is the table's own behaviour: Stopped waits.
 */
static const struct cell table[PPP_EV_NEVENTS][PPP_FSM_NSTATES] = {
	[PPP_EV_UP] = { S(CLOSED, 0), S(REQ_SENT, IRC | SCR), X, X, X, X, X, X, X, X },
	[PPP_EV_DOWN] = { X, X, S(INITIAL, 0), S(STARTING, TLS), S(INITIAL, 0),
		S(STARTING, 0), S(STARTING, 0), S(STARTING, 0), S(STARTING, 0),
		S(STARTING, TLD) },
	[PPP_EV_OPEN] = { S(STARTING, TLS), S(STARTING, 0), S(REQ_SENT, IRC | SCR),
		S(STOPPED, 0), S(STOPPING, 0), S(STOPPING, 0), S(REQ_SENT, 0),
		S(ACK_RCVD, 0), S(ACK_SENT, 0), S(OPENED, 0) },
	[PPP_EV_CLOSE] = { S(INITIAL, 0), S(INITIAL, TLF), S(CLOSED, 0), S(CLOSED, 0),
		S(CLOSING, 0), S(CLOSING, 0), S(CLOSING, IRC | STR), S(CLOSING, IRC | STR),
		S(CLOSING, IRC | STR), S(CLOSING, TLD | IRC | STR) },
	[PPP_EV_TO_POS] = { X, X, X, X, S(CLOSING, STR), S(STOPPING, STR),
		S(REQ_SENT, SCR), S(REQ_SENT, SCR), S(ACK_SENT, SCR), X },
	[PPP_EV_TO_NEG] = { X, X, X, X, S(CLOSED, TLF), S(STOPPED, TLF), S(STOPPED, TLF),
		S(STOPPED, TLF), S(STOPPED, TLF), X },
	[PPP_EV_RCR_POS] = { X, X, S(CLOSED, STA), S(ACK_SENT, IRC | SCR | SCA),
		S(CLOSING, 0), S(STOPPING, 0), S(ACK_SENT, SCA), S(OPENED, SCA | TLU),
		S(ACK_SENT, SCA), S(ACK_SENT, TLD | SCR | SCA) },
	[PPP_EV_RCR_NEG] = { X, X, S(CLOSED, STA), S(REQ_SENT, IRC | SCR | SCN),
		S(CLOSING, 0), S(STOPPING, 0), S(REQ_SENT, SCN), S(ACK_RCVD, SCN),
		S(REQ_SENT, SCN), S(REQ_SENT, TLD | SCR | SCN) },
	[PPP_EV_RCA] = { X, X, S(CLOSED, STA), S(STOPPED, STA), S(CLOSING, 0),
		S(STOPPING, 0), S(ACK_RCVD, IRC), S(REQ_SENT, SCR), S(OPENED, IRC | TLU),
		S(REQ_SENT, TLD | SCR) },
	[PPP_EV_RCN] = { X, X, S(CLOSED, STA), S(STOPPED, STA), S(CLOSING, 0),
		S(STOPPING, 0), S(REQ_SENT, IRC | SCR), S(REQ_SENT, SCR),
		S(ACK_SENT, IRC | SCR), S(REQ_SENT, TLD | SCR) },
	[PPP_EV_RCJ] = { X, X, S(CLOSED, STA), S(STOPPED, STA), S(CLOSING, 0),
		S(STOPPING, 0), S(REQ_SENT, IRC | SCR), S(REQ_SENT, SCR),
		S(ACK_SENT, IRC | SCR), S(REQ_SENT, TLD | SCR) },
	[PPP_EV_RTR] = { X, X, S(CLOSED, STA), S(STOPPED, STA), S(CLOSING, STA),
		S(STOPPING, STA), S(REQ_SENT, STA), S(REQ_SENT, STA), S(REQ_SENT, STA),
		S(STOPPING, TLD | ZRC | STA) },
	[PPP_EV_RTA] = { X, X, S(CLOSED, 0), S(STOPPED, 0), S(CLOSED, TLF),
		S(STOPPED, TLF), S(REQ_SENT, 0), S(REQ_SENT, 0), S(ACK_SENT, 0),
		S(REQ_SENT, TLD | SCR) },
	[PPP_EV_RUC] = { X, X, S(CLOSED, SCJ), S(STOPPED, SCJ), S(CLOSING, SCJ),
		S(STOPPING, SCJ), S(REQ_SENT, SCJ), S(ACK_RCVD, SCJ), S(ACK_SENT, SCJ),
		S(OPENED, SCJ) },
	[PPP_EV_RXJ_POS] = { X, X, S(CLOSED, 0), S(STOPPED, 0), S(CLOSING, 0),
		S(STOPPING, 0), S(REQ_SENT, 0), S(REQ_SENT, 0), S(ACK_SENT, 0),
		S(OPENED, 0) },
	[PPP_EV_RXJ_NEG] = { X, X, S(CLOSED, TLF), S(STOPPED, TLF), S(CLOSED, TLF),
		S(STOPPED, TLF), S(STOPPED, TLF), S(STOPPED, TLF), S(STOPPED, TLF),
		S(STOPPING, TLD | IRC | STR) },
	[PPP_EV_RXR] = { X, X, S(CLOSED, 0), S(STOPPED, 0), S(CLOSING, 0), S(STOPPING, 0),
		S(REQ_SENT, 0), S(ACK_RCVD, 0), S(ACK_SENT, 0), S(OPENED, SER) },
};

static const char *const state_names[PPP_FSM_NSTATES] = {
	"Initial", "Starting", "Closed", "Stopped", "Closing", "Stopping", "Req-Sent",
	"Ack-Rcvd", "Ack-Sent", "Opened",
};

int ppp_fsm_transition(enum ppp_fsm_state state, enum ppp_fsm_event ev, unsigned *actions)
{
	const struct cell *c;

	if ((unsigned)state >= PPP_FSM_NSTATES || (unsigned)ev >= PPP_EV_NEVENTS)
		return -1;
	c = &table[ev][state];
	if (actions)
		*actions = c->act;
	return c->next;
}

const char *ppp_fsm_state_name(enum ppp_fsm_state state)
{
	return (unsigned)state < PPP_FSM_NSTATES ? state_names[state] : "?";
}

bool ppp_options_valid(const uint8_t *opts, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < PPP_OPT_HEADER || opts[off + 1] < PPP_OPT_HEADER ||
		    opts[off + 1] > len - off)
			return false;
		off += opts[off + 1];
	}
	return true;
}

void ppp_fsm_init(struct ppp_fsm *f, uint16_t proto, const char *name,
		  const struct ppp_fsm_ops *ops, void *ctx, const struct ppp_fsm_limits *lim,
		  struct ppp_link_stats *stats, uint8_t *next_id)
{
	memset(f, 0, sizeof(*f));
	f->proto = proto;
	f->name = name;
	f->ops = ops;
	f->ctx = ctx;
	f->stats = stats;
	f->next_id = next_id ? next_id : &f->own_id;
	f->lim.restart_ms = lim && lim->restart_ms ? lim->restart_ms : 3000;
	f->lim.max_configure = lim && lim->max_configure ? lim->max_configure : 10;
	f->lim.max_terminate = lim && lim->max_terminate ? lim->max_terminate : 2;
	f->lim.max_failure = lim && lim->max_failure ? lim->max_failure : 5;
	f->state = PPP_FSM_INITIAL;
	f->deadline = UINT64_MAX;
}

uint8_t ppp_fsm_new_id(struct ppp_fsm *f)
{
	return ++*f->next_id;
}

int ppp_fsm_send_packet(struct ppp_fsm *f, uint8_t code, int id, const uint8_t *data,
			size_t len)
{
	uint8_t use = id < 0 ? ppp_fsm_new_id(f) : (uint8_t)id;
	int err;

	if (len > sizeof(f->out) - PPP_CP_HEADER)
		len = sizeof(f->out) - PPP_CP_HEADER;
	f->out[0] = code;
	f->out[1] = use;
	put_be16(f->out + 2, (uint16_t)(len + PPP_CP_HEADER));
	if (len)
		memmove(f->out + PPP_CP_HEADER, data, len);
	err = f->ops->send(f, f->out, len + PPP_CP_HEADER);
	return err < 0 ? err : use;
}

/* Whether an Ack carries exactly our last request's options (in any order). */
static bool ack_matches(const struct ppp_fsm *f, const uint8_t *opts, size_t len)
{
	uint8_t used[PPP_FSM_MAX_REQ] = { 0 };
	size_t a, r;

	if (len != f->req_len)
		return false;
	for (a = 0; a < len; a += opts[a + 1]) {
		for (r = 0; r < f->req_len; r += f->req[r + 1]) {
			if (!used[r] && f->req[r + 1] == opts[a + 1] &&
			    !memcmp(f->req + r, opts + a, opts[a + 1]))
				break;
		}
		if (r >= f->req_len)
			return false;
		used[r] = 1;
	}
	return true;
}

static void set_why(struct ppp_fsm *f, int err, const char *why)
{
	f->error = err;
	if (why == f->why)
		return;
	if (why) {
		snprintf(f->why, sizeof(f->why), "%s", why);
		return;
	}
	switch (err) {
	case -ETIMEDOUT:
		snprintf(f->why, sizeof(f->why),
			 "the peer never acknowledged our %s Configure-Request (%u sent)",
			 f->name, f->req_sent);
		break;
	case -ELOOP:
		snprintf(f->why, sizeof(f->why), "a looped-back link (our magic came back)");
		break;
	case -EPROTO:
		snprintf(f->why, sizeof(f->why), "the peer never agreed on %s", f->name);
		break;
	default:
		snprintf(f->why, sizeof(f->why), "%s failed: %s", f->name, strerror(-err));
		break;
	}
}

static void send_conf_req(struct ppp_fsm *f, uint64_t now)
{
	int n = f->ops->build_req(f, f->req, sizeof(f->req));

	f->req_len = n > 0 ? (size_t)n : 0;
	/* A new identifier each time: a late answer to an older request is then stale. */
	f->req_id = ppp_fsm_new_id(f);
	f->req_open = true;
	if (f->restart)
		f->restart--;
	f->req_sent++;
	f->stats->conf_req_tx++;
	ppp_fsm_send_packet(f, PPP_CONF_REQ, f->req_id, f->req, f->req_len);
	f->deadline = now + (uint64_t)f->lim.restart_ms * 1000000u;
}

static void send_term_req(struct ppp_fsm *f, uint64_t now)
{
	if (f->restart)
		f->restart--;
	f->stats->term_req_tx++;
	ppp_fsm_send_packet(f, PPP_TERM_REQ, -1, NULL, 0);
	f->deadline = now + (uint64_t)f->lim.restart_ms * 1000000u;
}

/* Code-Reject: the offending packet, cut to what fits. */
static void send_code_rej(struct ppp_fsm *f)
{
	if (!f->rx_pkt)
		return;
	ppp_fsm_send_packet(f, PPP_CODE_REJ, -1, f->rx_pkt, f->rx_len);
}

static bool timer_runs(enum ppp_fsm_state s)
{
	return s >= PPP_FSM_CLOSING && s <= PPP_FSM_ACK_SENT;
}

/* The actions of one cell, in RFC 1661's order, after the state changed. */
static void run_actions(struct ppp_fsm *f, unsigned act, uint64_t now)
{
	if (act & TLD && f->ops->down)
		f->ops->down(f);
	if (act & IRC) {
		f->restart = act & STR ? f->lim.max_terminate : f->lim.max_configure;
		if (!(act & STR))
			f->req_sent = 0;
	}
	if (act & ZRC) {
		f->restart = 0;
		/* The peer's goodbye: wait one restart period for it to see our Ack. */
		f->deadline = now + (uint64_t)f->lim.restart_ms * 1000000u;
	}
	if (act & SCR)
		send_conf_req(f, now);
	/* The reply was worked out before the event: Ack, Nak, Reject or Echo-Reply. */
	if (act & (SCA | SCN | SER) && f->reply_code)
		ppp_fsm_send_packet(f, f->reply_code, f->rx_id, f->reply, f->reply_len);
	f->reply_code = 0;
	if (act & STR)
		send_term_req(f, now);
	if (act & STA) {
		f->stats->term_ack_tx++;
		ppp_fsm_send_packet(f, PPP_TERM_ACK, f->rx_id, NULL, 0);
	}
	if (act & SCJ)
		send_code_rej(f);
	if (!timer_runs(f->state))
		f->deadline = UINT64_MAX;
	if (act & TLS && f->ops->started)
		f->ops->started(f);
	if (act & TLU && f->ops->up)
		f->ops->up(f);
	if (act & TLF && f->ops->finished)
		f->ops->finished(f);
}

void ppp_fsm_event(struct ppp_fsm *f, enum ppp_fsm_event ev, uint64_t now)
{
	unsigned act = 0;
	int next = ppp_fsm_transition(f->state, ev, &act);

	if (next < 0) {
		/* Only a packet is "unexpected" input: an Up or Down the link passes to an
		 * NCP it never opened (the family was not wanted) is nothing to count. */
		if (ev >= PPP_EV_RCR_POS)
			f->stats->rx_unexpected++;
		f->reply_code = 0;
		return;
	}
	if (act & (TLU | TLS)) {
		f->error = 0;
		f->why[0] = '\0';
	}
	if (act & TLU)
		f->refused_rx = 0;
	f->state = (enum ppp_fsm_state)next;
	run_actions(f, act, now);
}

void ppp_fsm_fail(struct ppp_fsm *f, int err, const char *why, uint64_t now)
{
	unsigned act = 0;

	set_why(f, err, why);
	f->reply_code = 0;
	if (ppp_fsm_transition(f->state, PPP_EV_TO_NEG, &act) >= 0) {
		ppp_fsm_event(f, PPP_EV_TO_NEG, now);
		return;
	}
	/* Opened or Stopped (the table has no timeout there): leave the same way. */
	if (f->state == PPP_FSM_OPENED && f->ops->down)
		f->ops->down(f);
	f->state = PPP_FSM_STOPPED;
	f->deadline = UINT64_MAX;
	if (f->ops->finished)
		f->ops->finished(f);
}

int ppp_fsm_error(const struct ppp_fsm *f, const char **why)
{
	if (why)
		*why = f->why;
	return f->error;
}

void ppp_fsm_up(struct ppp_fsm *f, uint64_t now)
{
	ppp_fsm_event(f, PPP_EV_UP, now);
}

void ppp_fsm_down(struct ppp_fsm *f, uint64_t now)
{
	ppp_fsm_event(f, PPP_EV_DOWN, now);
}

void ppp_fsm_open(struct ppp_fsm *f, uint64_t now)
{
	if (f->state <= PPP_FSM_STOPPED) {
		f->refused_rx = f->naks_tx = f->refused_tx = 0;
		f->error = 0;
		f->why[0] = '\0';
	}
	ppp_fsm_event(f, PPP_EV_OPEN, now);
}

void ppp_fsm_close(struct ppp_fsm *f, uint64_t now)
{
	ppp_fsm_event(f, PPP_EV_CLOSE, now);
}

uint64_t ppp_fsm_run_timer(struct ppp_fsm *f, uint64_t now)
{
	if (f->deadline != UINT64_MAX && now >= f->deadline) {
		f->deadline = UINT64_MAX;
		if (f->restart) {
			ppp_fsm_event(f, PPP_EV_TO_POS, now);
		} else {
			/* Unanswered requests are an error; an unanswered goodbye is not. */
			if (f->state >= PPP_FSM_REQ_SENT && f->state <= PPP_FSM_ACK_SENT)
				set_why(f, -ETIMEDOUT, NULL);
			ppp_fsm_event(f, PPP_EV_TO_NEG, now);
		}
	}
	return f->deadline;
}

/* Whether the state answers a Configure-Request (so the reply must be worked out). */
static bool answers_requests(enum ppp_fsm_state s)
{
	unsigned act = 0;

	ppp_fsm_transition(s, PPP_EV_RCR_POS, &act);
	return act & SCA;
}

static void rx_conf_req(struct ppp_fsm *f, const uint8_t *opts, size_t len, uint64_t now)
{
	size_t outlen = 0;
	bool naks_as_rej;
	int code;

	f->stats->conf_req_rx++;
	if (!ppp_options_valid(opts, len)) {
		f->stats->rx_bad_option++;
		return;
	}
	if (!answers_requests(f->state)) {
		/* Closed (Terminate-Ack), Closing, Stopping: the row is the same either way. */
		ppp_fsm_event(f, PPP_EV_RCR_NEG, now);
		return;
	}
	naks_as_rej = f->naks_tx >= f->lim.max_failure;
	code = f->ops->check_req(f, opts, len, f->reply, sizeof(f->reply), &outlen,
				 naks_as_rej);
	if (code < 0) {
		ppp_fsm_fail(f, code, f->error == code ? f->why : NULL, now);
		return;
	}
	if (code == PPP_CONF_ACK) {
		memcpy(f->reply, opts, len);
		outlen = len;
	}
	f->reply_code = (uint8_t)code;
	f->reply_len = outlen;
	if (code == PPP_CONF_ACK) {
		f->stats->conf_ack_tx++;
		f->naks_tx = f->refused_tx = 0;
		ppp_fsm_event(f, PPP_EV_RCR_POS, now);
		return;
	}
	if (++f->refused_tx > f->lim.max_configure) {
		char why[PPP_FSM_WHY];

		snprintf(why, sizeof(why),
			 "we refused the peer's %s Configure-Request %u times", f->name,
			 f->lim.max_configure);
		ppp_fsm_fail(f, -EPROTO, why, now);
		return;
	}
	if (code == PPP_CONF_NAK) {
		f->stats->conf_nak_tx++;
		f->naks_tx++;
	} else {
		f->stats->conf_rej_tx++;
	}
	ppp_fsm_event(f, PPP_EV_RCR_NEG, now);
}

/* Whether an Ack/Nak/Rej answers our request in flight; counts it otherwise. */
static bool answers_ours(struct ppp_fsm *f, uint8_t id)
{
	if (f->state < PPP_FSM_REQ_SENT)
		return true;	/* Closed/Stopped/Closing/Stopping: the row ignores it */
	if (!f->req_open || id != f->req_id) {
		f->stats->rx_bad_id++;
		return false;
	}
	return true;
}

static void rx_conf_answer(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *opts,
			   size_t len, uint64_t now)
{
	bool live = f->state >= PPP_FSM_REQ_SENT;
	enum ppp_fsm_event ev;
	int err = 0;

	if (code == PPP_CONF_ACK)
		f->stats->conf_ack_rx++;
	else if (code == PPP_CONF_NAK)
		f->stats->conf_nak_rx++;
	else
		f->stats->conf_rej_rx++;
	if (!answers_ours(f, id))
		return;
	if (!ppp_options_valid(opts, len)) {
		f->stats->rx_bad_option++;
		return;
	}
	if (code == PPP_CONF_ACK) {
		if (live && !ack_matches(f, opts, len)) {
			f->stats->rx_bad_option++;
			return;
		}
		if (live && f->state != PPP_FSM_OPENED && f->ops->got_ack)
			err = f->ops->got_ack(f, opts, len);
		ev = PPP_EV_RCA;
	} else {
		if (live && f->state != PPP_FSM_OPENED) {
			err = code == PPP_CONF_NAK ? f->ops->got_nak(f, opts, len) :
						     f->ops->got_rej(f, opts, len);
		}
		ev = code == PPP_CONF_NAK ? PPP_EV_RCN : PPP_EV_RCJ;
		if (!err && live && ++f->refused_rx >= f->lim.max_configure) {
			char why[PPP_FSM_WHY];

			snprintf(why, sizeof(why),
				 "the peer refused our %s Configure-Request %u times", f->name,
				 f->refused_rx);
			ppp_fsm_fail(f, -EPROTO, why, now);
			return;
		}
	}
	if (err < 0) {
		ppp_fsm_fail(f, err, f->error == err ? f->why : NULL, now);
		return;
	}
	/* One answer per request: a duplicate must not count twice. */
	if (live)
		f->req_open = false;
	ppp_fsm_event(f, ev, now);
}

static void rx_code_rej(struct ppp_fsm *f, const uint8_t *data, size_t len, uint64_t now)
{
	f->stats->code_rej_rx++;
	if (!len) {
		f->stats->rx_bad_length++;
		return;
	}
	/* Losing a code the automaton needs is fatal; losing an extension is not. */
	ppp_fsm_event(f, data[0] <= PPP_CODE_REJ ? PPP_EV_RXJ_NEG : PPP_EV_RXJ_POS, now);
}

void ppp_fsm_input(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint8_t code, id;
	size_t plen;
	int ev;

	if (len < PPP_CP_HEADER) {
		f->stats->rx_bad_length++;
		return;
	}
	code = pkt[0];
	id = pkt[1];
	plen = get_be16(pkt + 2);
	/* Bytes past the length field are padding (RFC 1661 §5). */
	if (plen < PPP_CP_HEADER || plen > len || plen > sizeof(f->reply)) {
		f->stats->rx_bad_length++;
		return;
	}
	if (f->state <= PPP_FSM_STARTING) {
		f->stats->rx_unexpected++;
		return;
	}
	f->rx_pkt = pkt;
	f->rx_len = plen;
	f->rx_id = id;
	pkt += PPP_CP_HEADER;
	plen -= PPP_CP_HEADER;
	switch (code) {
	case PPP_CONF_REQ:
		rx_conf_req(f, pkt, plen, now);
		break;
	case PPP_CONF_ACK:
	case PPP_CONF_NAK:
	case PPP_CONF_REJ:
		rx_conf_answer(f, code, id, pkt, plen, now);
		break;
	case PPP_TERM_REQ:
		f->stats->term_req_rx++;
		if (f->ops->term_req)
			f->ops->term_req(f, pkt, plen);
		ppp_fsm_event(f, PPP_EV_RTR, now);
		break;
	case PPP_TERM_ACK:
		f->stats->term_ack_rx++;
		ppp_fsm_event(f, PPP_EV_RTA, now);
		break;
	case PPP_CODE_REJ:
		rx_code_rej(f, pkt, plen, now);
		break;
	default:
		ev = f->ops->other_code ? f->ops->other_code(f, code, id, pkt, plen, now) : -1;
		if (ev < 0) {
			f->stats->rx_unknown_code++;
			ev = PPP_EV_RUC;
		}
		ppp_fsm_event(f, (enum ppp_fsm_event)ev, now);
		break;
	}
	f->rx_pkt = NULL;
}

void ppp_fsm_set_reply(struct ppp_fsm *f, uint8_t code, const uint8_t *data, size_t len)
{
	if (len > sizeof(f->reply))
		len = sizeof(f->reply);
	memmove(f->reply, data, len);
	f->reply_len = len;
	f->reply_code = code;
}

int ppp_fsm_set_error(struct ppp_fsm *f, int err, const char *why)
{
	set_why(f, err, why);
	return err;
}

void ppp_reply_init(struct ppp_reply *r, uint8_t *out, size_t cap, bool naks_as_rej)
{
	r->rej = out;
	r->cap = cap;
	r->rej_len = r->nak_len = 0;
	r->naks_as_rej = naks_as_rej;
}

void ppp_reply_reject(struct ppp_reply *r, const uint8_t *opt)
{
	/* The request fitted the reply buffer, so its own options always do too. */
	if (r->cap - r->rej_len >= opt[1]) {
		memcpy(r->rej + r->rej_len, opt, opt[1]);
		r->rej_len += opt[1];
	}
}

void ppp_reply_nak(struct ppp_reply *r, const uint8_t *opt, const uint8_t *val, size_t vlen)
{
	if (r->naks_as_rej) {
		ppp_reply_reject(r, opt);
		return;
	}
	ppp_option_put(r->nak, sizeof(r->nak), &r->nak_len, opt[0], val, vlen);
}

int ppp_reply_finish(struct ppp_reply *r, size_t *outlen)
{
	if (r->rej_len) {
		*outlen = r->rej_len;
		return PPP_CONF_REJ;
	}
	if (r->nak_len) {
		size_t n = r->nak_len < r->cap ? r->nak_len : r->cap;

		memcpy(r->rej, r->nak, n);
		*outlen = n;
		return PPP_CONF_NAK;
	}
	*outlen = 0;
	return PPP_CONF_ACK;
}
