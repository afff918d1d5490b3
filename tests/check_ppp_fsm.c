/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RFC 1661 automaton against a scripted peer: every state x event cell reached by a
 * real path and fired (by packet where a packet makes the event), checked for the next
 * state and the packets sent; scripted conversations (open, Naks, Rejects, endless
 * Naks turning into Rejects, silence, Terminate both ways); malformed input (lengths,
 * option lists, unknown codes); and LCP's loop detection through the link's protocol.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ppp-fsm.h"
#include "src/util/byteorder.h"
#include "src/util/macros.h"

#define MS 1000000ull

/* A toy protocol: our request is option 1 = 'a'; the peer's must carry 1 = 'a' too,
 * anything else in option 1 is Nak'd, any other type is Rejected. */
struct sent {
	uint8_t code, id;
	size_t len;
	uint8_t data[64];
};

static struct sent sent[64];
static size_t nsent;
static int ups, downs, starts, finishes, acks, naks, rejs;
static bool nak_forever;	/* check_req Naks whatever it gets */

static int toy_send(struct ppp_fsm *f, const uint8_t *pkt, size_t len)
{
	(void)f;
	ck_assert_uint_lt(nsent, ARRAY_SIZE(sent));
	sent[nsent].code = pkt[0];
	sent[nsent].id = pkt[1];
	sent[nsent].len = len < 64 ? len : 64;
	memcpy(sent[nsent].data, pkt, sent[nsent].len);
	nsent++;
	return 0;
}

static int toy_build(struct ppp_fsm *f, uint8_t *out, size_t cap)
{
	size_t off = 0;

	(void)f;
	ppp_option_put(out, cap, &off, 1, (const uint8_t *)"a", 1);
	return (int)off;
}

static int toy_check(struct ppp_fsm *f, const uint8_t *opts, size_t len, uint8_t *out,
		     size_t cap, size_t *outlen, bool naks_as_rej)
{
	struct ppp_reply r;
	size_t off;

	(void)f;
	ppp_reply_init(&r, out, cap, naks_as_rej);
	for (off = 0; off < len; off += opts[off + 1]) {
		if (opts[off] != 1)
			ppp_reply_reject(&r, opts + off);
		else if (nak_forever || opts[off + 1] != 3 || opts[off + 2] != 'a')
			ppp_reply_nak(&r, opts + off, (const uint8_t *)"a", 1);
	}
	return ppp_reply_finish(&r, outlen);
}

static int toy_ack(struct ppp_fsm *f, const uint8_t *o, size_t l)
{
	(void)f, (void)o, (void)l;
	acks++;
	return 0;
}

static int toy_nak(struct ppp_fsm *f, const uint8_t *o, size_t l)
{
	(void)f, (void)o, (void)l;
	naks++;
	return 0;
}

static int toy_rej(struct ppp_fsm *f, const uint8_t *o, size_t l)
{
	(void)f, (void)o, (void)l;
	rejs++;
	return 0;
}

static void toy_up(struct ppp_fsm *f) { (void)f; ups++; }
static void toy_down(struct ppp_fsm *f) { (void)f; downs++; }
static void toy_started(struct ppp_fsm *f) { (void)f; starts++; }
static void toy_finished(struct ppp_fsm *f) { (void)f; finishes++; }

static int toy_other(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
		     size_t len, uint64_t now)
{
	(void)id, (void)now;
	if (code != PPP_ECHO_REQ)
		return -1;
	ppp_fsm_set_reply(f, PPP_ECHO_REPLY, data, len);
	return PPP_EV_RXR;
}

static const struct ppp_fsm_ops toy_ops = {
	.build_req = toy_build, .check_req = toy_check, .got_ack = toy_ack,
	.got_nak = toy_nak, .got_rej = toy_rej, .up = toy_up, .down = toy_down,
	.started = toy_started, .finished = toy_finished, .other_code = toy_other,
	.send = toy_send,
};

static struct ppp_fsm fsm;
static struct ppp_link_stats stats;
static uint64_t now;

static void setup(void)
{
	struct ppp_fsm_limits lim = { 1000, 4, 2, 3 };

	memset(&stats, 0, sizeof(stats));
	nsent = 0;
	ups = downs = starts = finishes = acks = naks = rejs = 0;
	nak_forever = false;
	now = 1000 * MS;
	ppp_fsm_init(&fsm, 0xc021, "TOY", &toy_ops, NULL, &lim, &stats, NULL);
}

/* What the scripted peer does: an event or a packet. */
enum step_kind {
	UP, DOWN, OPEN, CLOSE, TO_POS, TO_NEG, TIMER,	/* TIMER: advance past the deadline */
	GOOD_REQ, BAD_REQ, REJ_REQ,	/* peer Configure-Requests we Ack / Nak / Reject */
	ACK_LAST, NAK_LAST, REJ_LAST,	/* answers to our last request (its id) */
	ACK_WRONG_ID, TERM_REQ, TERM_ACK, UNKNOWN_CODE, CODE_REJ_FATAL, CODE_REJ_OK,
	ECHO, INJECT,			/* INJECT: the event straight into the table */
	RAW,				/* raw bytes */
};

struct step {
	enum step_kind kind;
	int expect_state;		/* -1: do not check */
	const char *expect_sent;	/* the codes sent, as digits/letters: "1", "26", "" */
	int ev;				/* for INJECT */
	uint8_t raw[16];
	size_t rawlen;
};

static uint8_t last_req_id(void)
{
	size_t i;

	for (i = nsent; i-- > 0;)
		if (sent[i].code == PPP_CONF_REQ)
			return sent[i].id;
	return 0;
}

static void input(const uint8_t *p, size_t len)
{
	ppp_fsm_input(&fsm, p, len, now);
}

static void pkt(uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	uint8_t b[64];

	b[0] = code;
	b[1] = id;
	put_be16(b + 2, (uint16_t)(len + 4));
	if (len)
		memcpy(b + 4, data, len);
	input(b, len + 4);
}

static void do_step(const struct step *s)
{
	static const uint8_t good[] = { 1, 3, 'a' }, bad[] = { 1, 3, 'b' };
	static const uint8_t rej[] = { 9, 2 }, ours[] = { 1, 3, 'a' };
	static const uint8_t fatal[] = { 1, 7, 0, 4 }, ok[] = { 12, 7, 0, 4 };

	switch (s->kind) {
	case UP: ppp_fsm_up(&fsm, now); break;
	case DOWN: ppp_fsm_down(&fsm, now); break;
	case OPEN: ppp_fsm_open(&fsm, now); break;
	case CLOSE: ppp_fsm_close(&fsm, now); break;
	case TO_POS: ppp_fsm_event(&fsm, PPP_EV_TO_POS, now); break;
	case TO_NEG: ppp_fsm_event(&fsm, PPP_EV_TO_NEG, now); break;
	case TIMER:
		now += 1001 * MS;
		ppp_fsm_run_timer(&fsm, now);
		break;
	case GOOD_REQ: pkt(PPP_CONF_REQ, 0x40, good, sizeof(good)); break;
	case BAD_REQ: pkt(PPP_CONF_REQ, 0x41, bad, sizeof(bad)); break;
	case REJ_REQ: pkt(PPP_CONF_REQ, 0x42, rej, sizeof(rej)); break;
	case ACK_LAST: pkt(PPP_CONF_ACK, last_req_id(), ours, sizeof(ours)); break;
	case NAK_LAST: pkt(PPP_CONF_NAK, last_req_id(), ours, sizeof(ours)); break;
	case REJ_LAST: pkt(PPP_CONF_REJ, last_req_id(), ours, sizeof(ours)); break;
	case ACK_WRONG_ID:
		pkt(PPP_CONF_ACK, (uint8_t)(last_req_id() + 1), ours, sizeof(ours));
		break;
	case TERM_REQ: pkt(PPP_TERM_REQ, 0x50, (const uint8_t *)"bye", 3); break;
	case TERM_ACK: pkt(PPP_TERM_ACK, 0x51, NULL, 0); break;
	case UNKNOWN_CODE: pkt(0x33, 0x52, (const uint8_t *)"xy", 2); break;
	case CODE_REJ_FATAL: pkt(PPP_CODE_REJ, 0x53, fatal, sizeof(fatal)); break;
	case CODE_REJ_OK: pkt(PPP_CODE_REJ, 0x54, ok, sizeof(ok)); break;
	case ECHO: pkt(PPP_ECHO_REQ, 0x55, (const uint8_t *)"\0\0\0\0", 4); break;
	case INJECT: ppp_fsm_event(&fsm, (enum ppp_fsm_event)s->ev, now); break;
	case RAW: input(s->raw, s->rawlen); break;
	}
}

static char code_char(uint8_t c)
{
	return (char)(c < 10 ? '0' + c : 'a' + c - 10);
}

static void run_script(const struct step *steps, size_t n, const char *name)
{
	size_t i, j, before;
	char got[16];

	for (i = 0; i < n; i++) {
		before = nsent;
		do_step(&steps[i]);
		for (j = before; j < nsent && j - before < sizeof(got) - 1; j++)
			got[j - before] = code_char(sent[j].code);
		got[j - before] = '\0';
		if (steps[i].expect_state >= 0)
			ck_assert_msg(fsm.state == (enum ppp_fsm_state)steps[i].expect_state,
				      "%s step %zu: state %s, want %s", name, i,
				      ppp_fsm_state_name(fsm.state),
				      ppp_fsm_state_name(steps[i].expect_state));
		if (steps[i].expect_sent)
			ck_assert_msg(!strcmp(got, steps[i].expect_sent),
				      "%s step %zu: sent \"%s\", want \"%s\"", name, i, got,
				      steps[i].expect_sent);
	}
}

enum { I = PPP_FSM_INITIAL, ST = PPP_FSM_STARTING, CL = PPP_FSM_CLOSED,
       SP = PPP_FSM_STOPPED, CG = PPP_FSM_CLOSING, SG = PPP_FSM_STOPPING,
       RS = PPP_FSM_REQ_SENT, AR = PPP_FSM_ACK_RCVD, AS = PPP_FSM_ACK_SENT,
       OP = PPP_FSM_OPENED };

#define T(kind, st, sent) { kind, st, sent, 0, { 0 }, 0 }

/* Paths from Initial to each state, with what they must do on the way. */
static const struct step path_starting[] = { T(OPEN, ST, "") };
static const struct step path_closed[] = { T(UP, CL, "") };
static const struct step path_stopped[] = { T(OPEN, ST, ""), T(UP, RS, "1"),
	T(TIMER, RS, "1"), T(TIMER, RS, "1"), T(TIMER, RS, "1"), T(TIMER, SP, "") };
static const struct step path_closing[] = { T(OPEN, ST, ""), T(UP, RS, "1"),
	T(CLOSE, CG, "5") };
static const struct step path_stopping[] = { T(OPEN, ST, ""), T(UP, RS, "1"),
	T(ACK_LAST, AR, ""), T(GOOD_REQ, OP, "2"), T(TERM_REQ, SG, "6") };
static const struct step path_req_sent[] = { T(OPEN, ST, ""), T(UP, RS, "1") };
static const struct step path_ack_rcvd[] = { T(OPEN, ST, ""), T(UP, RS, "1"),
	T(ACK_LAST, AR, "") };
static const struct step path_ack_sent[] = { T(OPEN, ST, ""), T(UP, RS, "1"),
	T(GOOD_REQ, AS, "2") };
static const struct step path_opened[] = { T(OPEN, ST, ""), T(UP, RS, "1"),
	T(GOOD_REQ, AS, "2"), T(ACK_LAST, OP, "") };

static const struct { const struct step *s; size_t n; } paths[PPP_FSM_NSTATES] = {
	[PPP_FSM_INITIAL] = { NULL, 0 },
	[PPP_FSM_STARTING] = { path_starting, ARRAY_SIZE(path_starting) },
	[PPP_FSM_CLOSED] = { path_closed, ARRAY_SIZE(path_closed) },
	[PPP_FSM_STOPPED] = { path_stopped, ARRAY_SIZE(path_stopped) },
	[PPP_FSM_CLOSING] = { path_closing, ARRAY_SIZE(path_closing) },
	[PPP_FSM_STOPPING] = { path_stopping, ARRAY_SIZE(path_stopping) },
	[PPP_FSM_REQ_SENT] = { path_req_sent, ARRAY_SIZE(path_req_sent) },
	[PPP_FSM_ACK_RCVD] = { path_ack_rcvd, ARRAY_SIZE(path_ack_rcvd) },
	[PPP_FSM_ACK_SENT] = { path_ack_sent, ARRAY_SIZE(path_ack_sent) },
	[PPP_FSM_OPENED] = { path_opened, ARRAY_SIZE(path_opened) },
};

/* How the scripted peer makes each event: a packet whenever one makes it. */
static struct step event_step(enum ppp_fsm_event ev)
{
	struct step s = { INJECT, -1, NULL, ev, { 0 }, 0 };

	switch (ev) {
	case PPP_EV_UP: s.kind = UP; break;
	case PPP_EV_DOWN: s.kind = DOWN; break;
	case PPP_EV_OPEN: s.kind = OPEN; break;
	case PPP_EV_CLOSE: s.kind = CLOSE; break;
	case PPP_EV_RCR_POS: s.kind = GOOD_REQ; break;
	case PPP_EV_RCR_NEG: s.kind = BAD_REQ; break;
	/* An answer needs a request in flight; once answered, the event is injected. */
	case PPP_EV_RCA: s.kind = fsm.req_open ? ACK_LAST : INJECT; break;
	case PPP_EV_RCN: s.kind = fsm.req_open ? NAK_LAST : INJECT; break;
	case PPP_EV_RCJ: s.kind = fsm.req_open ? REJ_LAST : INJECT; break;
	case PPP_EV_RTR: s.kind = TERM_REQ; break;
	case PPP_EV_RTA: s.kind = TERM_ACK; break;
	case PPP_EV_RUC: s.kind = UNKNOWN_CODE; break;
	case PPP_EV_RXJ_POS: s.kind = CODE_REJ_OK; break;
	case PPP_EV_RXJ_NEG: s.kind = CODE_REJ_FATAL; break;
	case PPP_EV_RXR: s.kind = ECHO; break;
	default: break;	/* TO+, TO-: injected */
	}
	return s;
}

/* The codes the actions of a cell send, in order. */
static void expected_codes(unsigned act, char *out)
{
	static const struct { unsigned act; char code; } map[] = {
		{ PPP_ACT_SCR, '1' }, { PPP_ACT_SCA, '2' }, { PPP_ACT_SCN, '3' },
		{ PPP_ACT_STR, '5' }, { PPP_ACT_STA, '6' }, { PPP_ACT_SCJ, '7' },
		{ PPP_ACT_SER, 'a' },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (act & map[i].act)
			*out++ = map[i].code;
	*out = '\0';
}

START_TEST(test_every_cell)
{
	enum ppp_fsm_state st = (enum ppp_fsm_state)(_i / PPP_EV_NEVENTS);
	enum ppp_fsm_event ev = (enum ppp_fsm_event)(_i % PPP_EV_NEVENTS);
	struct step s;
	unsigned act;
	char want[16], name[32];
	int next = ppp_fsm_transition(st, ev, &act);

	setup();
	run_script(paths[st].s, paths[st].n, "path");
	ck_assert_int_eq(fsm.state, st);
	s = event_step(ev);
	if (next < 0) {
		/* "-": the event cannot happen; if it is made anyway, nothing moves. */
		s.expect_state = (int)st;
		s.expect_sent = "";
	} else {
		s.expect_state = next;
		expected_codes(act, want);
		s.expect_sent = want;
	}
	snprintf(name, sizeof(name), "%s/ev%d", ppp_fsm_state_name(st), (int)ev);
	run_script(&s, 1, name);
	if (next >= 0) {
		if (act & PPP_ACT_TLU)
			ck_assert_int_ge(ups, 1);
		if (act & PPP_ACT_TLF)
			ck_assert_int_ge(finishes, 1);
		if (act & PPP_ACT_TLD)
			ck_assert_int_ge(downs, 1);
		if (act & PPP_ACT_TLS)
			ck_assert_int_ge(starts, 1);
	}
}
END_TEST

/* RFC 1661 §4.1 cells written out by hand: the table must say the same. */
static const struct { int st, ev, next; unsigned act; } rfc_cells[] = {
	{ I, PPP_EV_UP, CL, 0 }, { ST, PPP_EV_UP, RS, PPP_ACT_IRC | PPP_ACT_SCR },
	{ SP, PPP_EV_DOWN, ST, PPP_ACT_TLS }, { OP, PPP_EV_DOWN, ST, PPP_ACT_TLD },
	{ I, PPP_EV_OPEN, ST, PPP_ACT_TLS }, { CL, PPP_EV_OPEN, RS, PPP_ACT_IRC | PPP_ACT_SCR },
	{ ST, PPP_EV_CLOSE, I, PPP_ACT_TLF },
	{ OP, PPP_EV_CLOSE, CG, PPP_ACT_TLD | PPP_ACT_IRC | PPP_ACT_STR },
	{ AS, PPP_EV_TO_POS, AS, PPP_ACT_SCR }, { AR, PPP_EV_TO_NEG, SP, PPP_ACT_TLF },
	{ SP, PPP_EV_RCR_POS, AS, PPP_ACT_IRC | PPP_ACT_SCR | PPP_ACT_SCA },
	{ AR, PPP_EV_RCR_POS, OP, PPP_ACT_SCA | PPP_ACT_TLU },
	{ OP, PPP_EV_RCR_NEG, RS, PPP_ACT_TLD | PPP_ACT_SCR | PPP_ACT_SCN },
	{ AR, PPP_EV_RCR_NEG, AR, PPP_ACT_SCN }, { RS, PPP_EV_RCA, AR, PPP_ACT_IRC },
	{ AS, PPP_EV_RCA, OP, PPP_ACT_IRC | PPP_ACT_TLU },
	{ AS, PPP_EV_RCN, AS, PPP_ACT_IRC | PPP_ACT_SCR }, { AR, PPP_EV_RCJ, RS, PPP_ACT_SCR },
	{ OP, PPP_EV_RTR, SG, PPP_ACT_TLD | PPP_ACT_ZRC | PPP_ACT_STA },
	{ AR, PPP_EV_RTR, RS, PPP_ACT_STA }, { OP, PPP_EV_RTA, RS, PPP_ACT_TLD | PPP_ACT_SCR },
	{ CG, PPP_EV_RTA, CL, PPP_ACT_TLF }, { SG, PPP_EV_RUC, SG, PPP_ACT_SCJ },
	{ AR, PPP_EV_RXJ_POS, RS, 0 },
	{ OP, PPP_EV_RXJ_NEG, SG, PPP_ACT_TLD | PPP_ACT_IRC | PPP_ACT_STR },
	{ OP, PPP_EV_RXR, OP, PPP_ACT_SER }, { I, PPP_EV_RCR_POS, -1, 0 },
	{ OP, PPP_EV_TO_POS, -1, 0 },
};

START_TEST(test_rfc_cells)
{
	size_t i;
	unsigned act;

	for (i = 0; i < ARRAY_SIZE(rfc_cells); i++) {
		int next = ppp_fsm_transition((enum ppp_fsm_state)rfc_cells[i].st,
					      (enum ppp_fsm_event)rfc_cells[i].ev, &act);

		ck_assert_msg(next == rfc_cells[i].next, "cell %zu next %d", i, next);
		if (next >= 0)
			ck_assert_msg(act == rfc_cells[i].act, "cell %zu actions %x", i, act);
	}
}
END_TEST


struct script {
	const char *name;
	struct step steps[24];
	size_t n;
};

#define SC(nm, ...) { nm, { __VA_ARGS__ }, ARRAY_SIZE(((struct step[]){ __VA_ARGS__ })) }

static const struct script scripts[] = {
	SC("open, peer first", T(OPEN, ST, ""), T(UP, RS, "1"), T(GOOD_REQ, AS, "2"),
	   T(ACK_LAST, OP, "")),
	SC("our request Nak'd, then Acked", T(OPEN, ST, ""), T(UP, RS, "1"),
	   T(NAK_LAST, RS, "1"), T(ACK_LAST, AR, ""), T(GOOD_REQ, OP, "2")),
	SC("our request Rejected", T(OPEN, ST, ""), T(UP, RS, "1"),
	   T(REJ_LAST, RS, "1"), T(ACK_LAST, AR, ""), T(GOOD_REQ, OP, "2")),
	SC("the peer's option Nak'd, then fixed", T(OPEN, ST, ""), T(UP, RS, "1"),
	   T(BAD_REQ, RS, "3"), T(GOOD_REQ, AS, "2"), T(ACK_LAST, OP, "")),
	SC("the peer's unknown option Rejected", T(OPEN, ST, ""), T(UP, RS, "1"),
	   T(REJ_REQ, RS, "4")),
	SC("stale answer: wrong id dropped", T(OPEN, ST, ""), T(UP, RS, "1"),
	   T(ACK_WRONG_ID, RS, ""), T(ACK_LAST, AR, ""), T(ACK_LAST, AR, "")),
	SC("unknown code Code-Rejected", T(OPEN, ST, ""), T(UP, RS, "1"),
	   T(UNKNOWN_CODE, RS, "7")),
	SC("terminate: ours, acked", T(OPEN, ST, ""), T(UP, RS, "1"), T(GOOD_REQ, AS, "2"),
	   T(ACK_LAST, OP, ""), T(CLOSE, CG, "5"), T(TERM_ACK, CL, "")),
	SC("terminate: ours, never acked", T(OPEN, ST, ""), T(UP, RS, "1"),
	   T(GOOD_REQ, AS, "2"), T(ACK_LAST, OP, ""), T(CLOSE, CG, "5"),
	   T(TIMER, CG, "5"), T(TIMER, CL, ""), T(TIMER, CL, "")),
	SC("terminate: the peer's", T(OPEN, ST, ""), T(UP, RS, "1"), T(GOOD_REQ, AS, "2"),
	   T(ACK_LAST, OP, ""), T(TERM_REQ, SG, "6"), T(TIMER, SP, "")),
	SC("echo only when opened", T(OPEN, ST, ""), T(UP, RS, "1"), T(ECHO, RS, ""),
	   T(GOOD_REQ, AS, "2"), T(ACK_LAST, OP, ""), T(ECHO, OP, "a")),
};

START_TEST(test_scripts)
{
	setup();
	run_script(scripts[_i].steps, scripts[_i].n, scripts[_i].name);
}
END_TEST

START_TEST(test_silence_times_out)
{
	const char *why;
	int i;

	setup();
	ppp_fsm_open(&fsm, now);
	ppp_fsm_up(&fsm, now);
	for (i = 0; i < 100 && fsm.state != PPP_FSM_STOPPED; i++) {
		now += 1001 * MS;
		ppp_fsm_run_timer(&fsm, now);
	}
	ck_assert_int_eq(fsm.state, PPP_FSM_STOPPED);
	ck_assert_uint_eq(stats.conf_req_tx, 4);	/* max_configure */
	ck_assert_int_eq(ppp_fsm_error(&fsm, &why), -ETIMEDOUT);
	ck_assert_str_eq(why, "the peer never acknowledged our TOY Configure-Request (4 sent)");
	ck_assert_int_eq(finishes, 1);
	ck_assert_uint_eq(ppp_fsm_run_timer(&fsm, now + 1000000 * MS), UINT64_MAX);
}
END_TEST

/* A peer that Naks every request of ours: bounded by max_configure, -EPROTO. */
START_TEST(test_endless_naks_of_ours)
{
	const char *why;
	int i;

	setup();
	ppp_fsm_open(&fsm, now);
	ppp_fsm_up(&fsm, now);
	for (i = 0; i < 100 && fsm.state == PPP_FSM_REQ_SENT; i++) {
		static const struct step nak = T(NAK_LAST, -1, NULL);

		do_step(&nak);
	}
	ck_assert_int_eq(fsm.state, PPP_FSM_STOPPED);
	ck_assert_int_le(i, 4);
	ck_assert_int_eq(ppp_fsm_error(&fsm, &why), -EPROTO);
	ck_assert_str_eq(why, "the peer refused our TOY Configure-Request 4 times");
}
END_TEST

/* A peer whose option we Nak forever: after max_failure Naks we Reject, and after
 * max_configure refusals in a row we give up. */
START_TEST(test_endless_naks_become_rejects)
{
	size_t i, n3 = 0, n4 = 0;

	setup();
	nak_forever = true;
	ppp_fsm_open(&fsm, now);
	ppp_fsm_up(&fsm, now);
	for (i = 0; i < 50 && fsm.state != PPP_FSM_STOPPED; i++) {
		static const struct step bad = T(BAD_REQ, -1, NULL);

		do_step(&bad);
	}
	for (i = 0; i < nsent; i++) {
		n3 += sent[i].code == PPP_CONF_NAK;
		n4 += sent[i].code == PPP_CONF_REJ;
	}
	ck_assert_uint_eq(n3, 3);	/* max_failure */
	ck_assert_uint_eq(n4, 1);	/* then Rejects, until max_configure refusals */
	ck_assert_int_eq(fsm.state, PPP_FSM_STOPPED);
	ck_assert_int_eq(ppp_fsm_error(&fsm, NULL), -EPROTO);
	ck_assert_uint_eq(stats.conf_nak_tx, 3);
	ck_assert_uint_eq(stats.conf_rej_tx, 1);
}
END_TEST

/* Malformed packets: counted and dropped, never a state change. */
static const struct {
	const char *name;
	uint8_t b[16];
	size_t len;
	size_t offset_bad_length, offset_bad_option;
} malformed[] = {
	{ "3 bytes", { 1, 1, 0 }, 3, 1, 0 },
	{ "length field 3", { 1, 1, 0, 3, 0 }, 5, 1, 0 },
	{ "length field 0", { 1, 1, 0, 0 }, 4, 1, 0 },
	{ "length beyond the frame", { 1, 1, 0, 9, 1, 3, 'a' }, 7, 1, 0 },
	{ "option past the end", { 1, 1, 0, 7, 1, 4, 'a' }, 7, 0, 1 },
	{ "zero-length option", { 1, 1, 0, 9, 1, 3, 'a', 5, 0 }, 9, 0, 1 },
	{ "one-length option", { 1, 1, 0, 6, 7, 1 }, 6, 0, 1 },
	{ "lone option byte", { 1, 1, 0, 5, 7 }, 5, 0, 1 },
	{ "ack with bad options", { 2, 1, 0, 6, 1, 0 }, 6, 0, 1 },
	{ "code reject with no data", { 7, 1, 0, 4 }, 4, 1, 0 },
};

START_TEST(test_malformed)
{
	struct ppp_link_stats before;

	setup();
	ppp_fsm_open(&fsm, now);
	ppp_fsm_up(&fsm, now);
	before = stats;
	nsent = 0;
	/* Our request's id is 1: the malformed Ack answers it. */
	ck_assert_uint_eq(last_req_id(), 0);
	ck_assert_uint_eq(fsm.req_id, 1);
	input(malformed[_i].b, malformed[_i].len);
	ck_assert_int_eq(fsm.state, PPP_FSM_REQ_SENT);
	ck_assert_uint_eq(nsent, 0);
	ck_assert_uint_eq(stats.rx_bad_length - before.rx_bad_length,
			  malformed[_i].offset_bad_length);
	ck_assert_uint_eq(stats.rx_bad_option - before.rx_bad_option,
			  malformed[_i].offset_bad_option);
}
END_TEST

/* Padding after the length field is not part of the packet (RFC 1661 §5). */
START_TEST(test_padding_ignored)
{
	static const uint8_t req[] = { 1, 9, 0, 7, 1, 3, 'a', 0xee, 0xee, 0xee };

	setup();
	ppp_fsm_open(&fsm, now);
	ppp_fsm_up(&fsm, now);
	nsent = 0;
	input(req, sizeof(req));
	ck_assert_int_eq(fsm.state, PPP_FSM_ACK_SENT);
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(sent[0].len, 7);
	ck_assert_uint_eq(sent[0].id, 9);
	ck_assert_int_eq(memcmp(sent[0].data + 4, req + 4, 3), 0);
}
END_TEST

/* The Code-Reject carries the unknown packet back. */
START_TEST(test_code_reject_content)
{
	static const uint8_t odd[] = { 0x44, 3, 0, 6, 'h', 'i' };

	setup();
	ppp_fsm_open(&fsm, now);
	ppp_fsm_up(&fsm, now);
	nsent = 0;
	input(odd, sizeof(odd));
	ck_assert_uint_eq(nsent, 1);
	ck_assert_uint_eq(sent[0].code, PPP_CODE_REJ);
	ck_assert_uint_eq(sent[0].len, 10);
	ck_assert_int_eq(memcmp(sent[0].data + 4, odd, sizeof(odd)), 0);
	ck_assert_uint_eq(stats.rx_unknown_code, 1);
}
END_TEST

/* LCP's loop detection, through its own ops: our request looped back to us. */
static struct ppp_cp loop_cp;
static struct sent loop_last;

static int loop_send(struct ppp_cp *cp, uint16_t proto, const uint8_t *p, size_t len)
{
	(void)cp, (void)proto;
	loop_last.len = len < 64 ? len : 64;
	memcpy(loop_last.data, p, loop_last.len);
	return 0;
}

static void loop_layer(struct ppp_cp *cp, struct ppp_fsm *f, enum ppp_fsm_action w)
{
	(void)cp, (void)f, (void)w;
}

static void loop_rej(struct ppp_cp *cp, uint16_t proto, uint64_t t)
{
	(void)cp, (void)proto, (void)t;
}

static const struct ppp_cp_hooks loop_hooks = { loop_send, loop_layer, loop_rej };

START_TEST(test_lcp_loop)
{
	struct ppp_cp *cp = &loop_cp;
	const char *why;
	int i;

	memset(cp, 0, sizeof(*cp));
	cp->cfg.mru = 1500;
	cp->cfg.magic = 0x12345678;
	cp->hooks = &loop_hooks;
	ppp_fsm_init(&cp->lcp, PPP_PROTO_LCP, "LCP", &ppp_lcp_ops, cp, NULL, &cp->stats,
		     &cp->next_id);
	ppp_lcp_reset(cp);
	ppp_fsm_open(&cp->lcp, 0);
	ppp_fsm_up(&cp->lcp, 0);
	/* Everything we send comes straight back. */
	for (i = 0; i < 20 && cp->lcp.state != PPP_FSM_STOPPED; i++) {
		struct sent s = loop_last;

		ppp_fsm_input(&cp->lcp, s.data, s.len, 0);
	}
	ck_assert_int_eq(cp->lcp.state, PPP_FSM_STOPPED);
	ck_assert_int_eq(ppp_fsm_error(&cp->lcp, &why), -ELOOP);
	ck_assert_str_eq(why, "a looped-back link (our magic came back)");
	ck_assert_uint_ge(cp->stats.rx_looped_back, PPP_LCP_MAX_LOOPS);
}
END_TEST

/* A Nak carrying our own magic, PPP_LCP_MAX_LOOPS times in a row: -ELOOP too. */
START_TEST(test_lcp_nak_with_our_magic)
{
	struct ppp_cp *cp = &loop_cp;
	uint8_t nak[10] = { PPP_CONF_NAK, 0, 0, 10, PPP_LCP_MAGIC, 6 };
	uint32_t first;
	int i;

	memset(cp, 0, sizeof(*cp));
	cp->cfg.mru = 1500;
	cp->cfg.magic = 0x0badcafe;
	cp->hooks = &loop_hooks;
	ppp_fsm_init(&cp->lcp, PPP_PROTO_LCP, "LCP", &ppp_lcp_ops, cp, NULL, &cp->stats,
		     &cp->next_id);
	ppp_lcp_reset(cp);
	ppp_fsm_open(&cp->lcp, 0);
	ppp_fsm_up(&cp->lcp, 0);
	first = cp->lcp_magic;
	for (i = 0; i < PPP_LCP_MAX_LOOPS; i++) {
		nak[1] = cp->lcp.req_id;
		put_be32(nak + 6, cp->lcp_magic);
		ppp_fsm_input(&cp->lcp, nak, sizeof(nak), 0);
		if (i < PPP_LCP_MAX_LOOPS - 1) {
			ck_assert_int_eq(cp->lcp.state, PPP_FSM_REQ_SENT);
			/* A new magic each time, and the new request carries it. */
			ck_assert_uint_ne(cp->lcp_magic, first);
			ck_assert_uint_eq(get_be32(loop_last.data + 6), cp->lcp_magic);
		}
	}
	ck_assert_int_eq(cp->lcp.state, PPP_FSM_STOPPED);
	ck_assert_int_eq(ppp_fsm_error(&cp->lcp, NULL), -ELOOP);
}
END_TEST

static Suite *fsm_suite(void)
{
	Suite *s = suite_create("ppp_fsm");
	TCase *tc = tcase_create("automaton");

	tcase_add_loop_test(tc, test_every_cell, 0, PPP_FSM_NSTATES * PPP_EV_NEVENTS);
	tcase_add_test(tc, test_rfc_cells);
	tcase_add_loop_test(tc, test_scripts, 0, ARRAY_SIZE(scripts));
	tcase_add_test(tc, test_silence_times_out);
	tcase_add_test(tc, test_endless_naks_of_ours);
	tcase_add_test(tc, test_endless_naks_become_rejects);
	tcase_add_loop_test(tc, test_malformed, 0, ARRAY_SIZE(malformed));
	tcase_add_test(tc, test_padding_ignored);
	tcase_add_test(tc, test_code_reject_content);
	tcase_add_test(tc, test_lcp_loop);
	tcase_add_test(tc, test_lcp_nak_with_our_magic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fsm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
