/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RFC 1661 §4 option negotiation automaton, shared by LCP, IPCP and IP6CP, and the
 * state those three control protocols keep for the link that runs them (ppp-link.c).
 *
 * The automaton is a table: for each state and event, the next state and the actions
 * (RFC 1661 §4.1).  A control protocol supplies the option logic through struct
 * ppp_fsm_ops: building our Configure-Request, judging the peer's, taking the peer's
 * Ack, Nak and Reject of ours, and hearing of this-layer-up/down/started/finished.
 * Everything the peer can make us do is bounded: Configure-Requests by max_configure
 * (unanswered ones by the restart counter, Nak'd or Rejected ones by a count of their
 * own), our Naks turn into Rejects after max_failure, and a peer whose requests we
 * refuse max_configure times in a row ends the negotiation.  Giving up is the TO- row:
 * this-layer-finished with ppp_fsm_error saying why.
 *
 * Time is the caller's (ns); the automaton reads no clock and prints nothing.
 */
#ifndef ZCVPN_PROTO_PPP_FSM_H
#define ZCVPN_PROTO_PPP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ppp-link.h"
#include "proto/ppp-wire.h"

enum ppp_fsm_state {
	PPP_FSM_INITIAL,
	PPP_FSM_STARTING,
	PPP_FSM_CLOSED,
	PPP_FSM_STOPPED,
	PPP_FSM_CLOSING,
	PPP_FSM_STOPPING,
	PPP_FSM_REQ_SENT,
	PPP_FSM_ACK_RCVD,
	PPP_FSM_ACK_SENT,
	PPP_FSM_OPENED,
	PPP_FSM_NSTATES
};

enum ppp_fsm_event {
	PPP_EV_UP,
	PPP_EV_DOWN,
	PPP_EV_OPEN,
	PPP_EV_CLOSE,
	PPP_EV_TO_POS,		/* TO+: restart timer, counter not yet zero */
	PPP_EV_TO_NEG,		/* TO-: counter expired */
	PPP_EV_RCR_POS,		/* a Configure-Request we Ack */
	PPP_EV_RCR_NEG,		/* one we Nak or Reject */
	PPP_EV_RCA,
	PPP_EV_RCN,		/* Configure-Nak */
	PPP_EV_RCJ,		/* Configure-Reject: RFC 1661 folds it into RCN, same row */
	PPP_EV_RTR,
	PPP_EV_RTA,
	PPP_EV_RUC,		/* unknown code */
	PPP_EV_RXJ_POS,		/* a Code- or Protocol-Reject we can live with */
	PPP_EV_RXJ_NEG,		/* one we cannot */
	PPP_EV_RXR,		/* Echo-Request, Echo-Reply, Discard-Request */
	PPP_EV_NEVENTS
};

/* Actions (RFC 1661 §4.4), a bit each; they run in the order of this list. */
enum ppp_fsm_action {
	PPP_ACT_TLD = 1 << 0,	/* this-layer-down */
	PPP_ACT_IRC = 1 << 1,	/* initialize restart counter (Configure or Terminate) */
	PPP_ACT_ZRC = 1 << 2,	/* zero restart counter */
	PPP_ACT_SCR = 1 << 3,	/* send Configure-Request */
	PPP_ACT_SCA = 1 << 4,	/* send Configure-Ack */
	PPP_ACT_SCN = 1 << 5,	/* send Configure-Nak or -Reject */
	PPP_ACT_STR = 1 << 6,	/* send Terminate-Request */
	PPP_ACT_STA = 1 << 7,	/* send Terminate-Ack */
	PPP_ACT_SCJ = 1 << 8,	/* send Code-Reject */
	PPP_ACT_SER = 1 << 9,	/* send Echo-Reply */
	PPP_ACT_TLU = 1 << 10,	/* this-layer-up */
	PPP_ACT_TLS = 1 << 11,	/* this-layer-started */
	PPP_ACT_TLF = 1 << 12,	/* this-layer-finished */
};

/*
 * The table: the next state for state and event (and the actions in *actions), or -1
 * for an event that cannot happen in that state (RFC 1661's "-"), which the automaton
 * ignores.  Exposed for the tests.
 */
int ppp_fsm_transition(enum ppp_fsm_state state, enum ppp_fsm_event ev, unsigned *actions);

const char *ppp_fsm_state_name(enum ppp_fsm_state state);

struct ppp_fsm;

/* What a control protocol provides.  Options are type | length | value lists. */
struct ppp_fsm_ops {
	/* Our Configure-Request options into out (at most cap): their length, or -errno. */
	int (*build_req)(struct ppp_fsm *f, uint8_t *out, size_t cap);
	/*
	 * Judges the peer's Configure-Request options (a well-formed list): writes the
	 * reply's options to out and their length to *outlen, and returns PPP_CONF_ACK
	 * (out = the request), PPP_CONF_NAK or PPP_CONF_REJ.  With naks_as_rej, options it
	 * would Nak must be Rejected instead (Max-Failure).  A negative errno gives up.
	 * Values are committed only when it returns Ack.
	 */
	int (*check_req)(struct ppp_fsm *f, const uint8_t *opts, size_t len, uint8_t *out,
			 size_t cap, size_t *outlen, bool naks_as_rej);
	/* The peer's answer to our last request (id checked, list well-formed): 0 or
	 * -errno to give up.  An Ack's options match what we sent. */
	int (*got_ack)(struct ppp_fsm *f, const uint8_t *opts, size_t len);
	int (*got_nak)(struct ppp_fsm *f, const uint8_t *opts, size_t len);
	int (*got_rej)(struct ppp_fsm *f, const uint8_t *opts, size_t len);
	/* This-layer-up, -down, -started, -finished; any may be NULL. */
	void (*up)(struct ppp_fsm *f);
	void (*down)(struct ppp_fsm *f);
	void (*started)(struct ppp_fsm *f);
	void (*finished)(struct ppp_fsm *f);
	/*
	 * Codes above Code-Reject (LCP's 8..11): returns the event they make (PPP_EV_RXR,
	 * PPP_EV_RXJ_POS/NEG) or -1 when the code is unknown (Code-Reject).  NULL: none.
	 * For an Echo-Request it leaves the Echo-Reply in f->reply (ppp_fsm_set_reply),
	 * which the SER action sends, in Opened only.
	 */
	int (*other_code)(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
			  size_t len, uint64_t now);
	/* A Terminate-Request's data (the peer's reason), before the event.  Optional. */
	void (*term_req)(struct ppp_fsm *f, const uint8_t *data, size_t len);
	/* Sends one control packet of this protocol: 0 or -errno. */
	int (*send)(struct ppp_fsm *f, const uint8_t *pkt, size_t len);
};

struct ppp_fsm_limits {
	uint32_t restart_ms;
	uint32_t max_configure;
	uint32_t max_terminate;
	uint32_t max_failure;
};

enum {
	PPP_FSM_MAX_REQ = 255,		/* our Configure-Request options */
	PPP_FSM_BUF = 1500,		/* any packet we build; longer peer requests drop */
	PPP_FSM_WHY = 160,
};

struct ppp_fsm {
	const struct ppp_fsm_ops *ops;
	void *ctx;			/* the protocol's, for its ops */
	const char *name;		/* "LCP", for sentences */
	uint16_t proto;
	struct ppp_link_stats *stats;	/* counted into; shared with the link */
	struct ppp_fsm_limits lim;

	enum ppp_fsm_state state;
	uint8_t own_id, *next_id;	/* the identifier counter (possibly shared) */
	uint8_t req_id;			/* of our last Configure-Request */
	bool req_open;			/* and no answer to it taken yet */
	uint32_t restart;		/* the restart counter */
	uint32_t req_sent;		/* Configure-Requests since irc, for the sentence */
	uint32_t refused_rx;		/* our requests Nak'd or Rejected since up */
	uint32_t naks_tx;		/* our Naks in a row (Max-Failure) */
	uint32_t refused_tx;		/* peer requests we refused in a row */
	uint64_t deadline;		/* restart timer; UINT64_MAX: stopped */
	int error;			/* why it finished, or 0 */
	char why[PPP_FSM_WHY];

	size_t req_len;
	uint8_t req[PPP_FSM_MAX_REQ];	/* our last request's options, for Acks */
	/* The reply to the request being handled, and the packet being received. */
	uint8_t reply_code;
	uint8_t rx_id;
	size_t reply_len;
	const uint8_t *rx_pkt;
	size_t rx_len;
	uint8_t out[PPP_FSM_BUF];
	uint8_t reply[PPP_FSM_BUF];
};

/*
 * Sets up f in the Initial state.  next_id: a counter shared with other automata (the
 * link numbers all its packets from one), NULL for f's own.  Zero limits take RFC 1661's
 * defaults (3000 ms, 10, 2, 5).
 */
void ppp_fsm_init(struct ppp_fsm *f, uint16_t proto, const char *name,
		  const struct ppp_fsm_ops *ops, void *ctx, const struct ppp_fsm_limits *lim,
		  struct ppp_link_stats *stats, uint8_t *next_id);

/* The administrative and lower-layer events. */
void ppp_fsm_up(struct ppp_fsm *f, uint64_t now);
void ppp_fsm_down(struct ppp_fsm *f, uint64_t now);
void ppp_fsm_open(struct ppp_fsm *f, uint64_t now);
void ppp_fsm_close(struct ppp_fsm *f, uint64_t now);

/* One received packet of f's protocol (code | id | length | data, and any padding). */
void ppp_fsm_input(struct ppp_fsm *f, const uint8_t *pkt, size_t len, uint64_t now);

/* Runs the restart timer if due; returns the next deadline (UINT64_MAX: none). */
uint64_t ppp_fsm_run_timer(struct ppp_fsm *f, uint64_t now);

/* Feeds one event straight into the table (Code/Protocol-Reject outcomes, tests). */
void ppp_fsm_event(struct ppp_fsm *f, enum ppp_fsm_event ev, uint64_t now);

/* Gives up with err and a sentence (NULL: a generic one): the TO- row. */
void ppp_fsm_fail(struct ppp_fsm *f, int err, const char *why, uint64_t now);

/* Builds and sends code | next id | length | data; returns the id used or -errno. */
int ppp_fsm_send_packet(struct ppp_fsm *f, uint8_t code, int id, const uint8_t *data,
			size_t len);
uint8_t ppp_fsm_new_id(struct ppp_fsm *f);

/* Prepares the answer the next event's SCA/SCN/SER action sends (len is capped). */
void ppp_fsm_set_reply(struct ppp_fsm *f, uint8_t code, const uint8_t *data, size_t len);

/* Gives a failing callback's error its own sentence (then return err from it). */
int ppp_fsm_set_error(struct ppp_fsm *f, int err, const char *why);

static inline enum ppp_fsm_state ppp_fsm_state(const struct ppp_fsm *f)
{
	return f->state;
}

/* 0 and "" while negotiating or open; otherwise why it finished. */
int ppp_fsm_error(const struct ppp_fsm *f, const char **why);

/* Whether an option list is well-formed: every length >= 2 and they add up to len. */
bool ppp_options_valid(const uint8_t *opts, size_t len);

/* Appends option type with vlen bytes of value at out + *off; false when it does not fit. */
static inline bool ppp_option_put(uint8_t *out, size_t cap, size_t *off, uint8_t type,
				  const uint8_t *val, size_t vlen)
{
	size_t i;

	if (*off > cap || vlen > 255 - PPP_OPT_HEADER || cap - *off < vlen + PPP_OPT_HEADER)
		return false;
	out[*off] = type;
	out[*off + 1] = (uint8_t)(vlen + PPP_OPT_HEADER);
	for (i = 0; i < vlen; i++)
		out[*off + PPP_OPT_HEADER + i] = val[i];
	*off += vlen + PPP_OPT_HEADER;
	return true;
}

/*
 * Building the answer to a peer's Configure-Request: options to Reject go to the
 * caller's out, options to Nak (with our value) to a list of their own; a Reject
 * outranks a Nak (RFC 1661 §5.4), and with naks_as_rej (Max-Failure) a Nak is a Reject.
 */
struct ppp_reply {
	uint8_t *rej;
	size_t rej_len, cap;
	size_t nak_len;
	bool naks_as_rej;
	uint8_t nak[PPP_FSM_BUF];
};

void ppp_reply_init(struct ppp_reply *r, uint8_t *out, size_t cap, bool naks_as_rej);
void ppp_reply_reject(struct ppp_reply *r, const uint8_t *opt);
void ppp_reply_nak(struct ppp_reply *r, const uint8_t *opt, const uint8_t *val, size_t vlen);
/* PPP_CONF_ACK (nothing refused), _NAK (the Nak list moved to out) or _REJ. */
int ppp_reply_finish(struct ppp_reply *r, size_t *outlen);

/*
 * The three control protocols over the automaton (ppp-lcp.c, ppp-ipcp.c, ppp-ip6cp.c),
 * and the link state they read and fill.  ppp-link.c owns a struct ppp_cp and is
 * called back through hooks for what crosses protocols.
 */
struct ppp_cp;

struct ppp_cp_hooks {
	/* Sends a control packet of proto (adds nothing: the link's ops->send does). */
	int (*send)(struct ppp_cp *cp, uint16_t proto, const uint8_t *pkt, size_t len);
	/* f reached this-layer-up/down/started/finished (PPP_ACT_TLU, ...). */
	void (*layer)(struct ppp_cp *cp, struct ppp_fsm *f, enum ppp_fsm_action what);
	/* The peer Protocol-Rejected proto. */
	void (*proto_rejected)(struct ppp_cp *cp, uint16_t proto, uint64_t now);
};

enum {
	PPP_LCP_MAX_LOOPS = 3,		/* our magic back this many times in a row: -ELOOP */
	PPP_TERM_REASON = 64,		/* the peer's Terminate-Request text we keep */
};

struct ppp_cp {
	struct ppp_link_config cfg;
	struct ppp_negotiated neg;
	struct ppp_link_stats stats;
	const struct ppp_cp_hooks *hooks;
	uint8_t next_id;
	struct ppp_fsm lcp, ipcp, ip6cp;

	/* LCP: what we ask for, as Naks and Rejects leave it. */
	struct {
		bool mru, accm, magic, pfc, acfc;
	} lcp_req;
	uint32_t lcp_mru, lcp_accm, lcp_magic;
	uint32_t loops;			/* our magic came back, in a row */
	bool mru_coaxed;		/* we Nak'd the peer's small MRU once */
	bool peer_terminated;
	char term_reason[PPP_TERM_REASON + 1];

	/* IPCP: which options we still ask for, and their values. */
	struct {
		bool addr, dns[2], nbns[2];
	} ipcp_req;
	uint32_t ipcp_addr, ipcp_dns[2], ipcp_nbns[2];

	/* IP6CP. */
	bool ip6cp_req_ifid;
	uint8_t ip6cp_ifid[8];		/* ours, as we ask for it */
	uint8_t ip6cp_peer_ifid[8];	/* what a server assigns */
};

extern const struct ppp_fsm_ops ppp_lcp_ops, ppp_ipcp_ops, ppp_ip6cp_ops;

/* Fresh request state for a (re)start: before each LCP/IPCP/IP6CP Open. */
void ppp_lcp_reset(struct ppp_cp *cp);
void ppp_ipcp_reset(struct ppp_cp *cp);
void ppp_ip6cp_reset(struct ppp_cp *cp);

/* LCP's own packets: Echo-Request (dead-peer detection), Discard-Request (keepalive),
 * and Protocol-Reject of a received frame (truncated to the peer's MRU). */
int ppp_lcp_send_echo(struct ppp_cp *cp);
int ppp_lcp_send_discard(struct ppp_cp *cp);
int ppp_lcp_send_proto_rej(struct ppp_cp *cp, uint16_t proto, const uint8_t *data,
			   size_t len);

/* Random bytes for magic numbers and interface identifiers (getrandom(2)). */
void ppp_random(void *buf, size_t len);

/*
 * The ops every control protocol of a struct ppp_cp (f->ctx) shares (ppp-link.c):
 * sending through the hooks, and this-layer-up/down/started/finished reported to them.
 */
int ppp_cp_send(struct ppp_fsm *f, const uint8_t *pkt, size_t len);
void ppp_cp_up(struct ppp_fsm *f);
void ppp_cp_down(struct ppp_fsm *f);
void ppp_cp_started(struct ppp_fsm *f);
void ppp_cp_finished(struct ppp_fsm *f);

#endif /* ZCVPN_PROTO_PPP_FSM_H */
