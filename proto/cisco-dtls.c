/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect type byte and control messages over a DTLS channel, behind the
 * transport interface: DATA in place, DPD answered in place, keepalives, DISCONNECT.
 */
#include "config.h"

#include "proto/cisco-dtls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "src/util/clock.h"
#include "src/util/errbuf.h"
#include "src/util/macros.h"

enum {
	CTRL_ROOM = 128,	/* a control record: headers, type byte, reason, tail */
	TYPE_LEN = 1,
};

struct cisco_dtls {
	struct transport t;
	struct dtls_channel *ch;
	uint32_t dpd_ms, keepalive_ms, max_inner;
	int (*rekey_keys)(const struct zcvpn_rekey *rk, struct dtls_config *d, char *errbuf,
			  size_t errlen);
	/*
	 * Liveness timers: the data path only counts authenticated records in and records
	 * out, and run_timers turns a changed count into a timestamp.  That keeps clock
	 * reads off the per-packet path.
	 */
	uint64_t rx_auth, tx_records;
	uint64_t seen_rx_auth, seen_tx_records;
	uint64_t last_rx_ns, last_tx_ns, last_dpd_ns;
	struct cisco_dtls_stats stats;
	uint8_t ctrl[CTRL_ROOM];
};

static struct cisco_dtls *cisco_of(struct transport *t)
{
	return container_of(t, struct cisco_dtls, t);
}

static const struct cisco_dtls *const_cisco_of(const struct transport *t)
{
	return container_of(t, const struct cisco_dtls, t);
}

struct transport *cisco_dtls_transport(struct cisco_dtls *c)
{
	return &c->t;
}

struct dtls_channel *cisco_dtls_channel(struct cisco_dtls *c)
{
	return c->ch;
}

const struct cisco_dtls_stats *cisco_dtls_stats(const struct cisco_dtls *c)
{
	return &c->stats;
}

/* A session came up (the first, or after a redial): the peer is alive as of now. */
static void session_up(void *ctx, uint64_t now)
{
	struct cisco_dtls *c = ctx;

	c->last_rx_ns = c->last_tx_ns = now;
	c->seen_rx_auth = c->rx_auth;
	c->seen_tx_records = c->tx_records;
}

/* ---- sending ---------------------------------------------------------------------- */

/* Sends a control message from our own small buffer. */
static int send_ctrl(struct cisco_dtls *c, uint8_t type, const void *payload, uint32_t len)
{
	struct pkt pkt = {
		.head = c->ctrl,
		.data = c->ctrl + dtls_record_max_head(),
		.end = c->ctrl + sizeof(c->ctrl),
	};
	uint8_t *p;

	p = pkt_put(&pkt, TYPE_LEN + len);
	if (!p || pkt_tailroom(&pkt) < dtls_record_max_tail())
		return -EMSGSIZE;
	p[0] = type;
	if (len)
		memcpy(p + TYPE_LEN, payload, len);
	return dtls_channel_send(c->ch, &pkt);
}

static int cisco_encap(struct transport *t, struct pkt *pkt, struct transport_spare *spare)
{
	struct cisco_dtls *c = cisco_of(t);
	uint8_t *type;
	int ret;

	if (dtls_channel_state(c->ch) != DTLS_CHANNEL_UP)
		return -ENOTCONN;	/* the engine asks the state first; others may not */
	type = pkt_push(pkt, TYPE_LEN);
	if (!type)
		return -ENOSPC;
	*type = CISCO_PKT_DATA;
	ret = dtls_channel_protect(c->ch, pkt);
	if (ret < 0) {
		pkt_pull(pkt, TYPE_LEN);
		return ret;
	}
	c->tx_records++;
	return ret;
}

/* ---- receiving -------------------------------------------------------------------- */

/* Answers a DPD request where it lies: same payload, type byte changed, re-protected. */
static void answer_dpd(struct cisco_dtls *c, struct pkt *pkt)
{
	pkt->data[0] = CISCO_PKT_DPD_RESP;
	if (dtls_channel_send(c->ch, pkt) == 0) {
		c->stats.dpd_resp_tx++;
		c->tx_records++;
	}
}

/* pkt holds an authenticated plaintext: type byte and payload. */
static enum transport_verdict dispatch(struct cisco_dtls *c, struct pkt *pkt)
{
	if (!pkt->len) {
		c->stats.rx_empty++;
		return TRANSPORT_DROP;
	}
	switch (pkt->data[0]) {
	case CISCO_PKT_DATA:
		if (pkt->len == TYPE_LEN) {
			c->stats.rx_empty++;
			return TRANSPORT_DROP;
		}
		pkt_pull(pkt, TYPE_LEN);
		return TRANSPORT_DATA;
	case CISCO_PKT_DPD_REQ:
		c->stats.dpd_req_rx++;
		answer_dpd(c, pkt);
		return TRANSPORT_CONTROL;
	case CISCO_PKT_DPD_RESP:
		c->stats.dpd_resp_rx++;
		return TRANSPORT_CONTROL;
	case CISCO_PKT_KEEPALIVE:
		c->stats.keepalive_rx++;
		return TRANSPORT_CONTROL;
	case CISCO_PKT_DISCONNECT:
	case CISCO_PKT_TERM_SERVER:
		c->stats.disconnect_rx++;
		dtls_channel_peer_closed(c->ch);
		return TRANSPORT_CONTROL;
	case CISCO_PKT_COMPRESSED:
		c->stats.rx_compressed++;
		return TRANSPORT_DROP;
	default:
		c->stats.rx_bad_type++;
		return TRANSPORT_DROP;
	}
}

static enum transport_verdict cisco_decap(struct transport *t, struct pkt *pkt,
					  uint32_t max_inner)
{
	struct cisco_dtls *c = cisco_of(t);
	enum transport_verdict v = dtls_channel_decap(c->ch, pkt, max_inner + TYPE_LEN);

	if (v != TRANSPORT_DATA)
		return v;
	c->rx_auth++;
	return dispatch(c, pkt);
}

static uint32_t cisco_rx_head(const struct transport *t)
{
	const struct cisco_dtls *c = const_cisco_of(t);
	uint32_t head = dtls_channel_rx_head(c->ch);

	return head ? head + TYPE_LEN : 0;
}

/* ---- timers ----------------------------------------------------------------------- */

static uint64_t after_ms(uint64_t since, uint64_t ms)
{
	return since + ms * NSEC_PER_MSEC;
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* DPD: returns its next deadline. */
static uint64_t run_dpd(struct cisco_dtls *c, uint64_t now)
{
	uint64_t dpd = c->dpd_ms, resend;

	if (!dpd)
		return TRANSPORT_NO_DEADLINE;
	if (now < after_ms(c->last_rx_ns, dpd))
		return after_ms(c->last_rx_ns, dpd);
	if (now >= after_ms(c->last_rx_ns, 2 * dpd)) {
		dtls_channel_fail(c->ch, -ETIMEDOUT,
				  "no answer to dead peer detection: the peer is gone");
		return TRANSPORT_NO_DEADLINE;
	}
	/* One outstanding request is re-sent only after half an interval. */
	resend = after_ms(c->last_dpd_ns, dpd / 2);
	if (c->last_dpd_ns <= c->last_rx_ns || now >= resend) {
		if (send_ctrl(c, CISCO_PKT_DPD_REQ, NULL, 0) == 0) {
			c->stats.dpd_tx++;
			c->last_dpd_ns = now;
		}
		resend = after_ms(now, dpd / 2);
	}
	return earliest(resend, after_ms(c->last_rx_ns, 2 * dpd));
}

static uint64_t run_keepalive(struct cisco_dtls *c, uint64_t now)
{
	uint64_t due = after_ms(c->last_tx_ns, c->keepalive_ms);

	if (!c->keepalive_ms)
		return TRANSPORT_NO_DEADLINE;
	if (now < due)
		return due;
	if (send_ctrl(c, CISCO_PKT_KEEPALIVE, NULL, 0) == 0) {
		c->stats.keepalive_tx++;
		c->last_tx_ns = now;
		c->seen_tx_records = c->tx_records;
	}
	return after_ms(now, c->keepalive_ms);	/* the next one, or this one again */
}

static void note_activity(struct cisco_dtls *c, uint64_t now)
{
	if (c->rx_auth != c->seen_rx_auth) {
		c->seen_rx_auth = c->rx_auth;
		c->last_rx_ns = now;
	}
	if (c->tx_records != c->seen_tx_records) {
		c->seen_tx_records = c->tx_records;
		c->last_tx_ns = now;
	}
}

static uint64_t cisco_run_timers(struct transport *t, uint64_t now)
{
	struct cisco_dtls *c = cisco_of(t);
	uint64_t next = dtls_channel_run_timers(c->ch, now);

	if (dtls_channel_state(c->ch) != DTLS_CHANNEL_UP)
		return next;
	note_activity(c, now);
	next = earliest(next, run_dpd(c, now));
	if (dtls_channel_state(c->ch) != DTLS_CHANNEL_UP)
		return dtls_channel_run_timers(c->ch, now);	/* dead: the redial's time */
	return earliest(next, run_keepalive(c, now));
}

static enum zcvpn_transport_state cisco_state(const struct transport *t, int *error)
{
	const struct cisco_dtls *c = const_cisco_of(t);

	*error = dtls_channel_error(c->ch, NULL);
	switch (dtls_channel_state(c->ch)) {
	case DTLS_CHANNEL_UP:
		return ZCVPN_TRANSPORT_UP;
	case DTLS_CHANNEL_CLOSED:
		return ZCVPN_TRANSPORT_CLOSED;
	case DTLS_CHANNEL_HANDSHAKE:
		/* A redial reads as down until it is up: packets keep taking the fallback. */
		return *error ? ZCVPN_TRANSPORT_DOWN : ZCVPN_TRANSPORT_CONNECTING;
	default:
		return ZCVPN_TRANSPORT_DOWN;
	}
}

/* ---- counters and goodbye ---------------------------------------------------------- */

struct counter_block {
	struct cisco_dtls_stats framing;
	struct dtls_channel_stats channel;
	struct dtls_record_stats record;
};

#define COUNTER(name, part, field, flags, help) \
	TRANSPORT_COUNTER(name, struct counter_block, part.field, flags, help)
#define DROP TRANSPORT_COUNTER_DROP

const struct transport_counter cisco_dtls_counters[CISCO_DTLS_N_COUNTERS] = {
	COUNTER("rx_bad_type", framing, rx_bad_type, DROP, "authentic, unknown type byte"),
	COUNTER("rx_compressed", framing, rx_compressed, DROP, "compressed (never asked for)"),
	COUNTER("rx_empty", framing, rx_empty, DROP, "authentic record without a payload"),
	COUNTER("dpd_tx", framing, dpd_tx, 0, "dead peer detection requests sent"),
	COUNTER("dpd_rx", framing, dpd_resp_rx, 0, "answers to our DPD requests"),
	COUNTER("dpd_req_rx", framing, dpd_req_rx, 0, "DPD requests of the peer's"),
	COUNTER("dpd_answered", framing, dpd_resp_tx, 0, "DPD requests answered"),
	COUNTER("keepalive_rx", framing, keepalive_rx, 0, "keepalives received"),
	COUNTER("keepalive_tx", framing, keepalive_tx, 0, "keepalives sent"),
	COUNTER("disconnect_rx", framing, disconnect_rx, 0, "DISCONNECTs from the peer"),
	DTLS_CHANNEL_COUNTERS(struct counter_block)
};

static void cisco_read_counters(const struct transport *t, uint64_t *values)
{
	const struct cisco_dtls *c = const_cisco_of(t);
	struct counter_block block;

	block.framing = c->stats;
	block.channel = *dtls_channel_stats(c->ch);
	dtls_channel_record_stats(c->ch, &block.record);
	transport_counters_read(cisco_dtls_counters, CISCO_DTLS_N_COUNTERS, &block, values);
}

/* DISCONNECT with ocserv's "user logged out" reason, then the channel's close_notify. */
static void cisco_close(struct transport *t)
{
	static const char reason[] = "\xb0" "zcvpn disconnect";
	struct cisco_dtls *c = cisco_of(t);

	if (dtls_channel_state(c->ch) != DTLS_CHANNEL_UP)
		return;
	send_ctrl(c, CISCO_PKT_DISCONNECT, reason, sizeof(reason) - 1);
	dtls_channel_close(c->ch);
}

/* A new DTLS session now: with the keys rk brings, else the same (the class reads rk). */
static int cisco_rekey(struct transport *t, const struct zcvpn_rekey *rk, char *errbuf,
		       size_t errlen)
{
	struct cisco_dtls *c = cisco_of(t);
	struct dtls_config d = *dtls_channel_dtls_config(c->ch);
	int ret = rk && c->rekey_keys ? c->rekey_keys(rk, &d, errbuf, errlen) : 0;

	if (ret >= 0) {
		ret = dtls_channel_rekey(c->ch, ret ? &d : NULL);
		if (ret)
			errbuf_fail(errbuf, errlen, ret, "DTLS rekey: %s", strerror(-ret));
	}
	crypto_wipe(&d, sizeof(d));
	return ret;
}

static void cisco_free(struct transport *t)
{
	struct cisco_dtls *c = cisco_of(t);

	dtls_channel_free(c->ch);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

static const struct transport_ops cisco_dtls_ops = {
	.rx_head = cisco_rx_head,
	.encap = cisco_encap,
	.decap = cisco_decap,
	.run_timers = cisco_run_timers,
	.state = cisco_state,
	.read_counters = cisco_read_counters,
	.close = cisco_close,
	.rekey = cisco_rekey,
	.free = cisco_free,
};

int cisco_dtls_new(struct cisco_dtls **out, const struct cisco_dtls_config *cfg,
		   struct transport_host *host)
{
	struct dtls_channel_config ccfg;
	struct cisco_dtls *c;
	int ret;

	if (!out || !cfg || !host || !cfg->max_inner ||
	    cfg->max_inner > DTLS_MAX_PLAINTEXT - TYPE_LEN)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->t = (struct transport){
		.ops = &cisco_dtls_ops,
		.host = host,
		.max_head = dtls_record_max_head() + TYPE_LEN,
		.max_tail = dtls_record_max_tail(),
		.rx_min_overhead = dtls_record_min_overhead() + TYPE_LEN,
	};
	c->dpd_ms = cfg->dpd_ms;
	c->keepalive_ms = cfg->keepalive_ms;
	c->max_inner = cfg->max_inner;
	c->rekey_keys = cfg->rekey_keys;
	ccfg = cfg->channel;
	ccfg.max_plain = cfg->max_inner + TYPE_LEN;
	ccfg.up = session_up;
	ccfg.up_ctx = c;
	ret = dtls_channel_new(&c->ch, &ccfg, host);
	crypto_wipe(&ccfg, sizeof(ccfg));
	if (ret) {
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}
