/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AnyConnect DTLS behind the engine's transport interface: handshake through the TLS
 * library, then the type byte and the AnyConnect control messages over our in-place
 * record layer.  A suite our layer cannot take over still works through the library's
 * record calls, and every byte that path copies is counted.
 */
#include "config.h"

#include "proto/cisco-dtls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "proto/dtls-record.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "src/zcvpn.h"

enum {
	CTRL_ROOM = 128,	/* a control record: headers, type byte, reason, tail */
	NS_PER_MS = 1000000,
};

struct cisco_dtls {
	struct cisco_dtls_config cfg;
	struct dtls_session *session;
	struct dtls_record *record;	/* NULL before the handshake, or on the library path */
	bool lib_path;			/* the suite has no fast path: library record calls */
	bool engaged;			/* server: a ClientHello started this session */
	enum cisco_dtls_state state;
	int error;			/* why it last failed; 0 once up again */
	uint64_t failed_ns;		/* when it did: a client redials redial_ms later */
	unsigned suite;
	/*
	 * Timers run at tick granularity: the data path only counts authenticated records
	 * in and records out, and the tick turns a changed count into a timestamp.  That
	 * keeps clock reads off the per-packet path.
	 */
	uint64_t rx_auth, tx_records;
	uint64_t seen_rx_auth, seen_tx_records;
	uint64_t last_rx_ns, last_tx_ns, last_dpd_ns;
	struct cisco_dtls_stats stats;
	struct dtls_record_stats retired;	/* of the records of sessions before a redial */
	uint8_t ctrl[CTRL_ROOM];
};

int cisco_dtls_new(struct cisco_dtls **out, const struct cisco_dtls_config *cfg)
{
	struct cisco_dtls *c;
	int ret;

	if (!out || !cfg || !cfg->max_inner || cfg->max_inner > DTLS_MAX_PLAINTEXT - 1)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	ret = dtls_session_new(&c->session, &cfg->dtls);
	if (ret) {
		free(c);
		return ret;
	}
	c->state = CISCO_DTLS_HANDSHAKE;
	*out = c;
	return 0;
}

static void cisco_dtls_free(void *ctx)
{
	struct cisco_dtls *c = ctx;

	if (!c)
		return;
	dtls_record_free(c->record);
	dtls_session_free(c->session);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

enum cisco_dtls_state cisco_dtls_state(const struct cisco_dtls *c)
{
	return c->state;
}

int cisco_dtls_error(const struct cisco_dtls *c, const char **detail)
{
	if (detail)
		*detail = dtls_last_error(c->session);
	return c->error;
}

unsigned cisco_dtls_suite(const struct cisco_dtls *c)
{
	return c->suite;
}

const struct cisco_dtls_stats *cisco_dtls_stats(const struct cisco_dtls *c)
{
	return &c->stats;
}

struct dtls_record *cisco_dtls_record(struct cisco_dtls *c)
{
	return c->record;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(struct cisco_dtls *c, int err, uint64_t now)
{
	if (c->state == CISCO_DTLS_FAILED || c->state == CISCO_DTLS_CLOSED)
		return;
	c->state = CISCO_DTLS_FAILED;
	c->error = err;
	c->failed_ns = now;
}

/* ---- handshake -------------------------------------------------------------------- */

/*
 * A listening server starts a session only on something shaped like a ClientHello
 * (handshake record, epoch 0, handshake type 1), as ocserv's main process does; random
 * datagrams before that never reach the library and cannot derail the next handshake.
 */
static bool is_client_hello(const uint8_t *d, uint32_t len)
{
	enum { HS_TYPE_OFF = DTLS_HDR_LEN, MIN_LEN = DTLS_HDR_LEN + 12 + 2 + 32 + 1 };
	bool dtls_version;

	if (len < MIN_LEN)
		return false;
	dtls_version = d[1] == 0xfe || (d[1] == 0x01 && d[2] == 0x00);	/* 1.x or 0.9 */
	return d[0] == DTLS_CT_HANDSHAKE && dtls_version && d[3] == 0 && d[4] == 0 &&
	       d[HS_TYPE_OFF] == 1;
}

/* Takes the record protection over from the library, or settles for its record calls. */
static int take_over(struct cisco_dtls *c, uint64_t now_ns)
{
	struct dtls_keys keys;
	int ret;

	ret = dtls_export_keys(c->session, &keys);
	if (!ret) {
		c->suite = keys.suite;
		ret = c->cfg.library_records ? -EOPNOTSUPP :
		      dtls_record_new(&c->record, &keys, c->cfg.replay_window);
	}
	crypto_wipe(&keys, sizeof(keys));
	if (ret == -EOPNOTSUPP) {
		c->lib_path = true;
		ret = 0;
	}
	if (ret)
		return ret;
	c->state = CISCO_DTLS_UP;
	c->error = 0;
	c->last_rx_ns = c->last_tx_ns = now_ns;
	return 0;
}

/*
 * Replaces the library session with a fresh one from the same configuration, ready to
 * handshake (client) or listen (server), and drops the old session's record state.
 */
static int fresh_session(struct cisco_dtls *c)
{
	struct dtls_session *fresh;
	int ret = dtls_session_new(&fresh, &c->cfg.dtls);

	if (ret)
		return ret;
	dtls_session_free(c->session);
	c->session = fresh;
	/* The old record layer's counters outlive it: stats only grow. */
	if (c->record)
		dtls_record_stats_add(&c->retired, dtls_record_stats(c->record));
	dtls_record_free(c->record);
	c->record = NULL;
	c->lib_path = false;
	c->engaged = false;
	c->state = CISCO_DTLS_HANDSHAKE;
	return 0;
}

/*
 * A listening server has authenticated nobody yet, so one bad datagram (or a client
 * with the wrong PSK) must not end it: it starts over with a fresh session instead.
 */
static int restart_listening(struct cisco_dtls *c)
{
	int ret = fresh_session(c);

	if (!ret)
		c->stats.handshake_failures++;
	return ret;
}

/*
 * After a failure: a server listens again at once (its peer is gone; a new handshake
 * authenticates whoever comes), a client tries a new handshake redial_ms later.  The
 * error stays set until the new session is up, so the transport reads as down.
 */
static void maybe_redial(struct cisco_dtls *c, uint64_t now)
{
	bool server = c->cfg.dtls.role == DTLS_ROLE_SERVER;

	if (!server && (!c->cfg.redial_ms || now < c->failed_ns + c->cfg.redial_ms * NS_PER_MS))
		return;
	if ((c->cfg.new_path && c->cfg.new_path(c->cfg.new_path_ctx)) || fresh_session(c)) {
		c->failed_ns = now;	/* no socket or memory now: again after an interval */
		return;
	}
	c->stats.redials++;
}

static int run_handshake(struct cisco_dtls *c, uint64_t now_ns)
{
	int ret = dtls_handshake(c->session);

	if (ret == 0)
		ret = take_over(c, now_ns);
	if (ret && ret != -EAGAIN) {
		if (c->cfg.dtls.role == DTLS_ROLE_SERVER && !restart_listening(c))
			return -EAGAIN;
		fail(c, ret, now_ns);
	}
	return ret;
}

/* ---- sending ---------------------------------------------------------------------- */

/* Protects pkt (type byte already in front) and sends it: for control records. */
static int send_record(struct cisco_dtls *c, struct pkt *pkt)
{
	int ret;

	if (c->lib_path) {
		c->stats.lib_copied_bytes += pkt->len;
		return dtls_lib_send(c->session, pkt->data, pkt->len);
	}
	ret = dtls_record_protect(c->record, pkt, DTLS_CT_APPLICATION_DATA);
	if (ret)
		return ret;
	return c->cfg.dtls.send(c->cfg.dtls.send_ctx, pkt->data, pkt->len);
}

/* Sends a control message from our own small buffer. */
static int send_ctrl(struct cisco_dtls *c, uint8_t type, const void *payload, uint32_t len)
{
	struct pkt pkt = {
		.head = c->ctrl,
		.data = c->ctrl + dtls_record_max_head(),
		.end = c->ctrl + sizeof(c->ctrl),
	};
	uint8_t *p;

	p = pkt_put(&pkt, 1 + len);
	if (!p || pkt_tailroom(&pkt) < dtls_record_max_tail())
		return -EMSGSIZE;
	p[0] = type;
	if (len)
		memcpy(p + 1, payload, len);
	return send_record(c, &pkt);
}

static int cisco_dtls_encap(void *ctx, struct pkt *pkt)
{
	struct cisco_dtls *c = ctx;
	uint8_t *type;
	int ret;

	if (!c->record && !c->lib_path)
		return -ENOTCONN;	/* the engine asks ready() first; others may not */
	type = pkt_push(pkt, 1);
	if (!type)
		return -ENOSPC;
	*type = CISCO_PKT_DATA;
	if (c->lib_path) {
		ret = send_record(c, pkt);
		if (ret)
			return ret;
		c->tx_records++;
		return TRANSPORT_SENT;
	}
	ret = dtls_record_protect(c->record, pkt, DTLS_CT_APPLICATION_DATA);
	if (ret) {
		pkt_pull(pkt, 1);
		return ret;
	}
	c->tx_records++;
	return 0;
}

static int cisco_dtls_build_keepalive(void *ctx, struct pkt *pkt)
{
	struct cisco_dtls *c = ctx;
	uint8_t *type = pkt_put(pkt, 1);

	if (!type || c->lib_path || !c->record)
		return -EOPNOTSUPP;
	*type = CISCO_PKT_KEEPALIVE;
	return dtls_record_protect(c->record, pkt, DTLS_CT_APPLICATION_DATA);
}

/* ---- receiving -------------------------------------------------------------------- */

/* Answers a DPD request where it lies: same payload, type byte changed, re-protected. */
static void answer_dpd(struct cisco_dtls *c, struct pkt *pkt)
{
	pkt->data[0] = CISCO_PKT_DPD_RESP;
	if (send_record(c, pkt) == 0)
		c->stats.dpd_resp_tx++;
}

/* pkt holds an authenticated plaintext: type byte and payload. */
static enum transport_verdict dispatch(struct cisco_dtls *c, struct pkt *pkt)
{
	uint8_t type;

	if (!pkt->len) {
		c->stats.rx_empty++;
		return TRANSPORT_DROP;
	}
	type = pkt->data[0];
	switch (type) {
	case CISCO_PKT_DATA:
		if (pkt->len == 1) {
			c->stats.rx_empty++;
			return TRANSPORT_DROP;
		}
		pkt_pull(pkt, 1);
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
		c->state = CISCO_DTLS_CLOSED;
		return TRANSPORT_CONTROL;
	case CISCO_PKT_COMPRESSED:
		c->stats.rx_compressed++;
		return TRANSPORT_DROP;
	default:
		c->stats.rx_bad_type++;
		return TRANSPORT_DROP;
	}
}

/* Alerts, handshake retransmissions, records of another epoch: the library's. */
static void to_library(struct cisco_dtls *c, const struct pkt *pkt)
{
	uint64_t seq8 = dtls_record_tx_seq8(c->record);
	uint64_t before = seq8;
	int ret = dtls_input_record(c->session, pkt->data, pkt->len, &seq8);

	if (seq8 != before)
		dtls_record_set_tx_seq8(c->record, seq8);
	if (ret == -ECONNRESET)
		c->state = CISCO_DTLS_CLOSED;
}

/* The library's record path: a copy into the record, counted. */
static enum transport_verdict lib_decap(struct cisco_dtls *c, struct pkt *pkt,
					uint32_t max_inner)
{
	ssize_t n;

	if (dtls_input(c->session, pkt->data, pkt->len))
		return TRANSPORT_DROP;
	n = dtls_lib_recv(c->session, pkt->data, max_inner + 1);
	if (n == -ECONNRESET)
		c->state = CISCO_DTLS_CLOSED;
	if (n <= 0)
		return TRANSPORT_DROP;
	c->rx_auth++;
	pkt->len = (uint32_t)n;
	c->stats.lib_copied_bytes += (uint64_t)n;
	return dispatch(c, pkt);
}

static enum transport_verdict cisco_dtls_decap(void *ctx, struct pkt *pkt, uint32_t max_inner)
{
	struct cisco_dtls *c = ctx;

	if (c->state == CISCO_DTLS_HANDSHAKE) {
		if (!c->engaged && c->cfg.dtls.role == DTLS_ROLE_SERVER &&
		    !is_client_hello(pkt->data, pkt->len)) {
			c->stats.rx_not_handshake++;
			return TRANSPORT_DROP;
		}
		c->engaged = true;
		c->stats.handshake_datagrams++;
		if (dtls_input(c->session, pkt->data, pkt->len))
			return TRANSPORT_DROP;
		/* The handshake authenticates the peer (PSK): from now on it is real. */
		return run_handshake(c, now_ns()) == 0 ? TRANSPORT_CONTROL : TRANSPORT_DROP;
	}
	if (c->state != CISCO_DTLS_UP)
		return TRANSPORT_DROP;
	if (c->lib_path)
		return lib_decap(c, pkt, max_inner);
	switch (dtls_record_unprotect(c->record, pkt, max_inner + 1)) {
	case DTLS_RECORD_DATA:
		c->rx_auth++;
		return dispatch(c, pkt);
	case DTLS_RECORD_LIBRARY:
		/* The library may answer a retransmitted flight of the peer's. */
		to_library(c, pkt);
		return TRANSPORT_DROP;
	default:
		return TRANSPORT_DROP;
	}
}

/* ---- timers ----------------------------------------------------------------------- */

static bool due(uint64_t now, uint64_t since, uint64_t ms)
{
	return now >= since + ms * NS_PER_MS;
}

static void run_dpd(struct cisco_dtls *c, uint64_t now)
{
	uint64_t dpd = c->cfg.dpd_ms;

	if (!dpd || !due(now, c->last_rx_ns, dpd))
		return;
	if (due(now, c->last_rx_ns, 2 * dpd)) {
		fail(c, -ETIMEDOUT, now);
		return;
	}
	/* One outstanding request is re-sent only after half an interval. */
	if (c->last_dpd_ns > c->last_rx_ns && !due(now, c->last_dpd_ns, dpd / 2))
		return;
	if (send_ctrl(c, CISCO_PKT_DPD_REQ, NULL, 0) == 0) {
		c->stats.dpd_tx++;
		c->last_dpd_ns = now;
	}
}

static void run_keepalive(struct cisco_dtls *c, uint64_t now)
{
	if (!c->cfg.keepalive_ms || !due(now, c->last_tx_ns, c->cfg.keepalive_ms))
		return;
	if (send_ctrl(c, CISCO_PKT_KEEPALIVE, NULL, 0) == 0) {
		c->stats.keepalive_tx++;
		c->last_tx_ns = now;
	}
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

static int cisco_dtls_tick(void *ctx, uint64_t now)
{
	struct cisco_dtls *c = ctx;

	if (c->state == CISCO_DTLS_FAILED)
		maybe_redial(c, now);
	if (c->state == CISCO_DTLS_HANDSHAKE)
		run_handshake(c, now);
	if (c->state == CISCO_DTLS_UP) {
		note_activity(c, now);
		run_dpd(c, now);
		run_keepalive(c, now);
	}
	switch (c->state) {
	case CISCO_DTLS_UP:
		return 0;
	case CISCO_DTLS_CLOSED:
		return -ECONNRESET;
	default:
		return c->error;	/* 0 during the first handshake only */
	}
}

static bool cisco_dtls_ready(const void *ctx)
{
	const struct cisco_dtls *c = ctx;

	return c->state == CISCO_DTLS_UP;
}

/*
 * DISCONNECT with ocserv's "user logged out" reason, then close_notify.  When the
 * backend cannot sync the library's write number, close_notify is our own alert record.
 */
static void cisco_dtls_close(void *ctx)
{
	static const char reason[] = "\xb0" "zcvpn disconnect";
	struct cisco_dtls *c = ctx;
	uint64_t seq8;

	if (c->state != CISCO_DTLS_UP)
		return;
	send_ctrl(c, CISCO_PKT_DISCONNECT, reason, sizeof(reason) - 1);
	c->state = CISCO_DTLS_CLOSED;
	if (c->lib_path || !c->record)
		return;
	seq8 = dtls_record_tx_seq8(c->record);
	if (dtls_close(c->session, &seq8) == 0) {
		dtls_record_set_tx_seq8(c->record, seq8);
	} else {
		static const uint8_t close_notify[2] = { 1, 0 };	/* warning, close_notify */
		struct pkt pkt = {
			.head = c->ctrl,
			.data = c->ctrl + dtls_record_max_head(),
			.end = c->ctrl + sizeof(c->ctrl),
		};

		memcpy(pkt_put(&pkt, 2), close_notify, 2);
		if (dtls_record_protect(c->record, &pkt, DTLS_CT_ALERT) == 0)
			c->cfg.dtls.send(c->cfg.dtls.send_ctx, pkt.data, pkt.len);
	}
}

/* ---- the transport ---------------------------------------------------------------- */

static uint32_t cisco_dtls_rx_head(const void *ctx)
{
	const struct cisco_dtls *c = ctx;

	/* Before the takeover, and on the library path, datagrams land at the payload. */
	if (!c->record)
		return 0;
	return dtls_record_rx_head_len(c->record) + 1;
}

/* The record layer's drop counters in the engine's names. */
static void add_record_stats(struct zcvpn_stats *st, const struct dtls_record_stats *rs)
{
	st->rx_short += rs->rx_short;
	st->rx_bad_version += rs->rx_bad_version;
	st->rx_bad_epoch += rs->rx_bad_epoch;
	st->rx_bad_length += rs->rx_bad_length;
	st->rx_oversize += rs->rx_oversize;
	st->rx_replay += rs->rx_replay;
	st->rx_too_old += rs->rx_too_old;
	st->rx_bad_icv += rs->rx_bad_tag;
	st->rx_bad_padding += rs->rx_bad_padding;
	st->rx_to_library += rs->rx_to_library;
	st->tx_seq_exhausted += rs->tx_seq_exhausted;
}

static void cisco_dtls_get_stats(const void *ctx, struct zcvpn_stats *st)
{
	const struct cisco_dtls *c = ctx;

	st->copied_bytes += c->stats.lib_copied_bytes;
	st->handshake_datagrams += c->stats.handshake_datagrams;
	st->handshake_failures += c->stats.handshake_failures;
	st->dtls_redials += c->stats.redials;
	st->rx_not_handshake += c->stats.rx_not_handshake;
	st->rx_bad_type += c->stats.rx_bad_type + c->stats.rx_empty;
	st->rx_compressed += c->stats.rx_compressed;
	st->dpd_tx += c->stats.dpd_tx;
	st->dpd_rx += c->stats.dpd_resp_rx;
	st->dpd_answered += c->stats.dpd_resp_tx;
	st->keepalive_rx += c->stats.keepalive_rx;
	st->keepalive_tx += c->stats.keepalive_tx;
	st->transport_up = c->state == CISCO_DTLS_UP;
	st->peer_closed = c->stats.disconnect_rx != 0 || c->state == CISCO_DTLS_CLOSED;
	st->transport_error = c->error;
	add_record_stats(st, &c->retired);
	if (c->record)
		add_record_stats(st, dtls_record_stats(c->record));
}

static const struct transport_ops cisco_dtls_ops = {
	.name = "anyconnect-dtls",
	.rx_head = cisco_dtls_rx_head,
	.encap = cisco_dtls_encap,
	.decap = cisco_dtls_decap,
	.build_probe = cisco_dtls_build_keepalive,
	.stats = cisco_dtls_get_stats,
	.free = cisco_dtls_free,
	.ready = cisco_dtls_ready,
	.tick = cisco_dtls_tick,
	.close = cisco_dtls_close,
};

void cisco_dtls_transport_init(struct transport *t, struct cisco_dtls *c)
{
	t->ops = &cisco_dtls_ops;
	t->ctx = c;
	t->max_head = dtls_record_max_head() + 1;
	t->max_tail = dtls_record_max_tail();
}
