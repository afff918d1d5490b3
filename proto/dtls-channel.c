/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A DTLS association's life over the transport host: the library's handshake, the
 * takeover by our in-place record layer (or the library's record calls where there is
 * no fast path), the redial after a failure, the rekey of a live session, and the
 * goodbye.
 */
#include "config.h"

#include "proto/dtls-channel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "proto/dtls-wire.h"
#include "ring/pkt.h"
#include "src/util/clock.h"

enum {
	ALERT_ROOM = 96,	/* a 2-byte alert with the largest header and trailer */
	MIN_RETRANS_NS = NSEC_PER_MSEC,	/* however soon the library says it wants us */
};

struct dtls_channel {
	struct dtls_channel_config cfg;
	struct transport_host *host;
	struct dtls_session *session;
	struct dtls_record *record;	/* NULL before the handshake, or on the library path */
	bool lib_path;			/* the suite has no fast path: library record calls */
	bool engaged;			/* server: a ClientHello started this session */
	bool ever_up;
	bool rekeying;			/* the handshake under way replaces a live session */
	uint64_t up_ns;			/* when the current session came up */
	enum dtls_channel_state state;
	int error;			/* why it last failed; 0 once up again */
	uint64_t failed_ns;		/* when it did: a client redials redial_ms later */
	unsigned int suite;
	struct dtls_channel_stats stats;
	struct dtls_record_stats retired;	/* of the sessions before a redial */
	uint8_t alert[ALERT_ROOM];
};

static const char *suite_name(unsigned int suite)
{
	switch (suite) {
	case DTLS_SUITE_AES128_GCM: return "AES128-GCM";
	case DTLS_SUITE_AES256_GCM: return "AES256-GCM";
	case DTLS_SUITE_AES128_CBC_SHA1: return "AES128-CBC-SHA1";
	case DTLS_SUITE_AES256_CBC_SHA1: return "AES256-CBC-SHA1";
	default: return "a suite without a fast path";
	}
}

/* The library's handshake flights and alerts leave through the host's socket. */
static int library_send(void *ctx, const void *buf, size_t len)
{
	struct dtls_channel *ch = ctx;

	return transport_send(ch->host, buf, len);
}

int dtls_channel_new(struct dtls_channel **out, const struct dtls_channel_config *cfg,
		     struct transport_host *host)
{
	struct dtls_channel *ch;
	int ret;

	if (!out || !cfg || !host || !cfg->max_plain || cfg->max_plain > DTLS_MAX_PLAINTEXT)
		return -EINVAL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->cfg = *cfg;
	ch->cfg.dtls.send = library_send;
	ch->cfg.dtls.send_ctx = ch;
	ch->host = host;
	ret = dtls_session_new(&ch->session, &ch->cfg.dtls);
	if (ret) {
		crypto_wipe(ch, sizeof(*ch));
		free(ch);
		return ret;
	}
	ch->state = DTLS_CHANNEL_HANDSHAKE;
	*out = ch;
	return 0;
}

void dtls_channel_free(struct dtls_channel *ch)
{
	if (!ch)
		return;
	dtls_record_free(ch->record);
	dtls_session_free(ch->session);
	crypto_wipe(ch, sizeof(*ch));
	free(ch);
}

enum dtls_channel_state dtls_channel_state(const struct dtls_channel *ch)
{
	return ch->state;
}

int dtls_channel_error(const struct dtls_channel *ch, const char **detail)
{
	if (detail)
		*detail = dtls_last_error(ch->session);
	return ch->error;
}

unsigned int dtls_channel_suite(const struct dtls_channel *ch)
{
	return ch->suite;
}

const struct dtls_channel_stats *dtls_channel_stats(const struct dtls_channel *ch)
{
	return &ch->stats;
}

struct dtls_record *dtls_channel_record(struct dtls_channel *ch)
{
	return ch->record;
}

void dtls_channel_record_stats(const struct dtls_channel *ch, struct dtls_record_stats *out)
{
	*out = ch->retired;
	if (ch->record)
		dtls_record_stats_add(out, dtls_record_stats(ch->record));
}

uint32_t dtls_channel_rx_head(const struct dtls_channel *ch)
{
	/* Before the takeover, and on the library path, datagrams land at the payload. */
	return ch->record ? dtls_record_rx_head_len(ch->record) : 0;
}

static void fail(struct dtls_channel *ch, int err, uint64_t now, const char *why)
{
	if (ch->state == DTLS_CHANNEL_FAILED || ch->state == DTLS_CHANNEL_CLOSED)
		return;
	ch->state = DTLS_CHANNEL_FAILED;
	ch->error = err;
	ch->failed_ns = now;
	transport_event(ch->host, ZCVPN_EVENT_TRANSPORT_DOWN, ZCVPN_LOG_WARNING, err,
			"DTLS down: %s", why);
}

void dtls_channel_fail(struct dtls_channel *ch, int err, const char *why)
{
	fail(ch, err, transport_now(ch->host), why);
}

void dtls_channel_peer_closed(struct dtls_channel *ch)
{
	if (ch->state == DTLS_CHANNEL_CLOSED)
		return;
	ch->state = DTLS_CHANNEL_CLOSED;
	transport_event(ch->host, ZCVPN_EVENT_TRANSPORT_CLOSED, ZCVPN_LOG_INFO, 0,
			"DTLS closed by the peer");
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
static int take_over(struct dtls_channel *ch, uint64_t now)
{
	struct dtls_keys keys;
	int ret;

	ret = dtls_export_keys(ch->session, &keys);
	if (!ret) {
		ch->suite = keys.suite;
		ret = ch->cfg.library_records ? -EOPNOTSUPP :
		      dtls_record_new(&ch->record, &keys, ch->cfg.replay_window);
	}
	crypto_wipe(&keys, sizeof(keys));
	if (ret == -EOPNOTSUPP) {
		ch->lib_path = true;
		ret = 0;
	}
	if (ret)
		return ret;
	ch->state = DTLS_CHANNEL_UP;
	ch->error = 0;
	ch->up_ns = now;
	transport_event(ch->host, ZCVPN_EVENT_TRANSPORT_UP, ZCVPN_LOG_INFO, 0,
			"DTLS %s: %s, %s", ch->rekeying ? "rekeyed" : ch->ever_up ? "up again" : "up",
			suite_name(ch->suite),
			ch->lib_path ? "through the library's record calls (copies)" :
				       "zero-copy record layer");
	ch->ever_up = true;
	ch->rekeying = false;
	if (ch->cfg.up)
		ch->cfg.up(ch->cfg.up_ctx, now);
	return 0;
}

/*
 * Replaces the library session with a fresh one from the same configuration, ready to
 * handshake (client) or listen (server), and drops the old session's record state.
 */
static int fresh_session(struct dtls_channel *ch)
{
	struct dtls_session *fresh;
	int ret = dtls_session_new(&fresh, &ch->cfg.dtls);

	if (ret)
		return ret;
	dtls_session_free(ch->session);
	ch->session = fresh;
	/* The old record layer's counters outlive it: counters only grow. */
	if (ch->record)
		dtls_record_stats_add(&ch->retired, dtls_record_stats(ch->record));
	dtls_record_free(ch->record);
	ch->record = NULL;
	ch->lib_path = false;
	ch->engaged = false;
	ch->state = DTLS_CHANNEL_HANDSHAKE;
	return 0;
}

/*
 * A listening server has authenticated nobody yet, so one bad datagram (or a client
 * with the wrong key) must not end it: it starts over with a fresh session instead.
 */
static int restart_listening(struct dtls_channel *ch)
{
	int ret = fresh_session(ch);

	if (!ret)
		ch->stats.handshake_failures++;
	return ret;
}

static bool is_server(const struct dtls_channel *ch)
{
	return ch->cfg.dtls.role == DTLS_ROLE_SERVER;
}

static uint64_t redial_due(const struct dtls_channel *ch)
{
	return ch->failed_ns + (uint64_t)ch->cfg.redial_ms * NSEC_PER_MSEC;
}

/*
 * After a failure: a server listens again at once (its peer is gone; a new handshake
 * authenticates whoever comes), a client tries a new handshake redial_ms later.  The
 * error stays set until the new session is up, so the channel reads as down.
 */
static void maybe_redial(struct dtls_channel *ch, uint64_t now)
{
	if (!is_server(ch) && (!ch->cfg.redial_ms || now < redial_due(ch)))
		return;
	if (ch->host->ops->new_path(ch->host) || fresh_session(ch)) {
		ch->failed_ns = now;	/* no socket or memory now: again after an interval */
		return;
	}
	ch->stats.redials++;
	transport_event(ch->host, ZCVPN_EVENT_LOG, ZCVPN_LOG_INFO, 0,
			is_server(ch) ? "DTLS: listening for a new handshake" :
					"DTLS: a new handshake from a new path (redial %llu)",
			(unsigned long long)ch->stats.redials);
}

static bool rekeys(const struct dtls_channel *ch)
{
	return !is_server(ch) && ch->cfg.rekey_ms;
}

static uint64_t rekey_due(const struct dtls_channel *ch)
{
	return ch->up_ns + (uint64_t)ch->cfg.rekey_ms * NSEC_PER_MSEC;
}

/*
 * A new session in place of the current one, from a new path as a redial, while the
 * old keys still work: ocserv takes the new handshake as the session's and makes it the
 * active one.  Meanwhile the channel reads as down (error -EKEYEXPIRED), so packets take
 * the fallback rather than wait.
 */
static int start_rekey(struct dtls_channel *ch, uint64_t now)
{
	bool was_up = ch->state == DTLS_CHANNEL_UP;
	int ret = ch->host->ops->new_path(ch->host);

	if (!ret)
		ret = fresh_session(ch);
	if (ret) {
		fail(ch, ret, now, "no new session for the rekey");
		return ret;
	}
	ch->stats.rekeys++;
	ch->rekeying = was_up || ch->rekeying;
	if (was_up)
		ch->error = -EKEYEXPIRED;
	transport_event(ch->host, ZCVPN_EVENT_LOG, ZCVPN_LOG_INFO, 0,
			"DTLS rekey: a new handshake from a new path (rekey %llu)",
			(unsigned long long)ch->stats.rekeys);
	return 0;
}

int dtls_channel_rekey(struct dtls_channel *ch, const struct dtls_config *cfg)
{
	if (is_server(ch))
		return -EOPNOTSUPP;
	if (ch->state == DTLS_CHANNEL_CLOSED)
		return -ENOTCONN;
	if (cfg) {
		crypto_wipe(&ch->cfg.dtls, sizeof(ch->cfg.dtls));
		ch->cfg.dtls = *cfg;
		ch->cfg.dtls.role = DTLS_ROLE_CLIENT;
		ch->cfg.dtls.send = library_send;
		ch->cfg.dtls.send_ctx = ch;
	}
	return start_rekey(ch, transport_now(ch->host));
}

const struct dtls_config *dtls_channel_dtls_config(const struct dtls_channel *ch)
{
	return &ch->cfg.dtls;
}

static int run_handshake(struct dtls_channel *ch, uint64_t now)
{
	int ret = dtls_handshake(ch->session);
	char why[160];

	if (ret == 0)
		ret = take_over(ch, now);
	if (ret && ret != -EAGAIN) {
		if (is_server(ch) && !restart_listening(ch))
			return -EAGAIN;
		snprintf(why, sizeof(why), "the handshake failed: %s (%s)", strerror(-ret),
			 dtls_last_error(ch->session));
		fail(ch, ret, now, why);
	}
	return ret;
}

/* ---- sending ---------------------------------------------------------------------- */

int dtls_channel_send(struct dtls_channel *ch, struct pkt *pkt)
{
	int ret;

	if (ch->state != DTLS_CHANNEL_UP)
		return -ENOTCONN;
	if (ch->lib_path) {
		ch->stats.lib_copied_bytes += pkt->len;
		return dtls_lib_send(ch->session, pkt->data, pkt->len);
	}
	ret = dtls_record_protect(ch->record, pkt, DTLS_CT_APPLICATION_DATA);
	if (ret)
		return ret;
	return transport_send(ch->host, pkt->data, pkt->len);
}

int dtls_channel_protect(struct dtls_channel *ch, struct pkt *pkt)
{
	int ret;

	if (ch->state != DTLS_CHANNEL_UP)
		return -ENOTCONN;
	if (ch->lib_path) {
		ret = dtls_channel_send(ch, pkt);
		return ret ? ret : TRANSPORT_SENT;
	}
	return dtls_record_protect(ch->record, pkt, DTLS_CT_APPLICATION_DATA);
}

/* ---- receiving -------------------------------------------------------------------- */

/* Alerts, handshake retransmissions, records of another epoch: the library's. */
static void to_library(struct dtls_channel *ch, const struct pkt *pkt)
{
	uint64_t seq8 = dtls_record_tx_seq8(ch->record);
	uint64_t before = seq8;
	int ret = dtls_input_record(ch->session, pkt->data, pkt->len, &seq8);

	if (seq8 != before)
		dtls_record_set_tx_seq8(ch->record, seq8);
	if (ret == -ECONNRESET)
		dtls_channel_peer_closed(ch);
}

/* The library's record path: a copy into the record, counted. */
static enum transport_verdict lib_decap(struct dtls_channel *ch, struct pkt *pkt,
					uint32_t max_plain)
{
	ssize_t n;

	if (dtls_input(ch->session, pkt->data, pkt->len))
		return TRANSPORT_DROP;
	n = dtls_lib_recv(ch->session, pkt->data, max_plain);
	if (n == -ECONNRESET)
		dtls_channel_peer_closed(ch);
	if (n < 0)
		return TRANSPORT_DROP;
	pkt->len = (uint32_t)n;
	ch->stats.lib_copied_bytes += (uint64_t)n;
	return TRANSPORT_DATA;
}

/*
 * Whether a ClientHello's session ID is the one this server expects (AnyConnect's
 * App-ID, or the legacy X-DTLS-Session-ID it resumes), when it expects one: a hello
 * for another session never starts a handshake here, so it cannot hold up the real
 * client's.
 */
static bool hello_for_us(const struct dtls_channel *ch, const uint8_t *d, uint32_t len)
{
	enum { SID_LEN_OFF = DTLS_HDR_LEN + 12 + 2 + 32 };
	const struct dtls_config *c = &ch->cfg.dtls;

	if (!c->session_id_len)
		return true;
	return d[SID_LEN_OFF] == c->session_id_len && len >= SID_LEN_OFF + 1 + c->session_id_len &&
	       !memcmp(d + SID_LEN_OFF + 1, c->session_id, c->session_id_len);
}

static enum transport_verdict handshake_decap(struct dtls_channel *ch, struct pkt *pkt)
{
	if (!ch->engaged && is_server(ch) && !is_client_hello(pkt->data, pkt->len)) {
		ch->stats.rx_not_handshake++;
		return TRANSPORT_DROP;
	}
	if (!ch->engaged && is_server(ch) && !hello_for_us(ch, pkt->data, pkt->len)) {
		ch->stats.rx_hello_wrong_id++;
		return TRANSPORT_DROP;
	}
	ch->engaged = true;
	ch->stats.handshake_datagrams++;
	if (dtls_input(ch->session, pkt->data, pkt->len))
		return TRANSPORT_DROP;
	/* The handshake authenticates the peer: from now on it is real. */
	return run_handshake(ch, transport_now(ch->host)) == 0 ? TRANSPORT_CONTROL :
								  TRANSPORT_DROP;
}

enum transport_verdict dtls_channel_decap(struct dtls_channel *ch, struct pkt *pkt,
					  uint32_t max_plain)
{
	if (ch->state == DTLS_CHANNEL_HANDSHAKE)
		return handshake_decap(ch, pkt);
	if (ch->state != DTLS_CHANNEL_UP)
		return TRANSPORT_DROP;
	if (ch->lib_path)
		return lib_decap(ch, pkt, max_plain);
	switch (dtls_record_unprotect(ch->record, pkt, max_plain)) {
	case DTLS_RECORD_DATA:
		return TRANSPORT_DATA;
	case DTLS_RECORD_LIBRARY:
		/* The library may answer a retransmitted flight of the peer's. */
		to_library(ch, pkt);
		return TRANSPORT_DROP;
	default:
		return TRANSPORT_DROP;
	}
}

/* ---- timers and goodbye ------------------------------------------------------------ */

/* When the library wants the handshake driven again (its retransmission timer). */
static uint64_t handshake_deadline(const struct dtls_channel *ch, uint64_t now)
{
	uint64_t ns = (uint64_t)dtls_timeout_ms(ch->session) * NSEC_PER_MSEC;

	/* A listening server waits for a ClientHello, however long that takes. */
	if (is_server(ch) && !ch->engaged)
		return TRANSPORT_NO_DEADLINE;
	return now + (ns > MIN_RETRANS_NS ? ns : MIN_RETRANS_NS);
}

uint64_t dtls_channel_run_timers(struct dtls_channel *ch, uint64_t now)
{
	if (ch->state == DTLS_CHANNEL_FAILED)
		maybe_redial(ch, now);
	if (ch->state == DTLS_CHANNEL_UP && rekeys(ch) && now >= rekey_due(ch))
		start_rekey(ch, now);
	if (ch->state == DTLS_CHANNEL_HANDSHAKE && (!is_server(ch) || ch->engaged))
		run_handshake(ch, now);
	switch (ch->state) {
	case DTLS_CHANNEL_HANDSHAKE:
		return handshake_deadline(ch, now);
	case DTLS_CHANNEL_FAILED:
		return !is_server(ch) && ch->cfg.redial_ms ? redial_due(ch) :
							     TRANSPORT_NO_DEADLINE;
	case DTLS_CHANNEL_UP:
		return rekeys(ch) ? rekey_due(ch) : TRANSPORT_NO_DEADLINE;
	default:
		return TRANSPORT_NO_DEADLINE;
	}
}

/* close_notify as our own alert record, where the backend cannot sync its write number. */
static void send_own_close_notify(struct dtls_channel *ch)
{
	static const uint8_t close_notify[2] = { 1, 0 };	/* warning, close_notify */
	struct pkt pkt = {
		.head = ch->alert,
		.data = ch->alert + dtls_record_max_head(),
		.end = ch->alert + sizeof(ch->alert),
	};

	memcpy(pkt_put(&pkt, sizeof(close_notify)), close_notify, sizeof(close_notify));
	if (dtls_record_protect(ch->record, &pkt, DTLS_CT_ALERT) == 0)
		transport_send(ch->host, pkt.data, pkt.len);
}

void dtls_channel_close(struct dtls_channel *ch)
{
	uint64_t seq8;

	if (ch->state != DTLS_CHANNEL_UP)
		return;
	ch->state = DTLS_CHANNEL_CLOSED;
	transport_event(ch->host, ZCVPN_EVENT_TRANSPORT_CLOSED, ZCVPN_LOG_INFO, 0,
			"DTLS closed");
	if (ch->lib_path || !ch->record)
		return;
	seq8 = dtls_record_tx_seq8(ch->record);
	if (dtls_close(ch->session, &seq8) == 0)
		dtls_record_set_tx_seq8(ch->record, seq8);
	else
		send_own_close_notify(ch);
}
