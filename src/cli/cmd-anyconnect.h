/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Between the parts of `zcvpn connect --protocol anyconnect`: cmd-anyconnect.c (the
 * options, the login, the data path's loop and the report) and cmd-anyconnect-rekey.c
 * (the rekeys the server asks for).  Not for other commands.
 */
#ifndef ZCVPN_SRC_CLI_CMD_ANYCONNECT_H
#define ZCVPN_SRC_CLI_CMD_ANYCONNECT_H

#include <stdbool.h>
#include <stdint.h>

#include "src/cli/cli.h"
#include "src/cli/cstp.h"
#include "src/cli/cstp-network.h"
#include "src/cli/vpnc-script.h"

/* The label of openconnect's DTLS PSK (PSK-NEGOTIATE) from the TLS session's exporter. */
#define PSK_LABEL "EXPORTER-openconnect-psk"

/* Everything one session of the client holds; wiped at the end. */
struct cstp_client {
	struct cstp_server server;
	struct cstp_request req;
	struct cstp_session info;
	struct cstp_reader reader;
	struct tls_conn *tls;
	char cookie[CSTP_COOKIE_LEN];
	uint8_t psk[32];		/* the DTLS PSK in use: a rekey compares (wiped at the end) */
	char remote[80];
	struct zcvpn_config cfg;
	struct zcvpn_engine *engine;
	uint64_t cstp_dpd_rx, cstp_dpd_tx, cstp_dpd_resp_rx, cstp_keepalive_tx, cstp_data_rx;
	uint64_t cstp_other_rx;
	bool server_ended;
	/* What the user has been told about DTLS: each time it comes up, and each outage. */
	double started;
	unsigned redial_s;
	bool dtls_ever_up;
	uint64_t dtls_rekeys;		/* as of the last TRANSPORT_UP: a new one is a rekey */
	/* --script: what it is told, and which reasons are due. */
	const char *script;
	struct vpnc_settings vpnc;
	bool script_connected;		/* "connect" ran: "disconnect" is due at the end */
	bool redialed;			/* DTLS came back: "reconnect" is due */
	/* Without --script: the addresses and routes we set, the routes to remove. */
	struct cstp_network net;
	/* CSTP rekeys, as X-CSTP-Rekey-Time and -Method ask (cmd-anyconnect-rekey.c). */
	double cstp_rekey_due;		/* 0: never */
	double cstp_rekey_started;	/* an "ssl" rekey is under way since; 0: none */
	uint64_t cstp_rekeys;
	struct cstp_session next;	/* a new tunnel's answer */
	struct cstp_reader next_reader;	/* and its first bytes */
};

/* ---- cmd-anyconnect-rekey.c ---- */

/*
 * When to rekey against a server's interval in seconds: a tenth early, at most 10 s, so
 * that the new keys are in place before its time runs out.  0: never.
 */
uint32_t cstp_client_rekey_after_ms(uint32_t interval_s);

/* The next CSTP rekey, due by X-CSTP-Rekey-Time from now (none without a method). */
void cstp_client_rekey_schedule(struct cstp_client *s, double now);

/*
 * Begins the CSTP rekey X-CSTP-Rekey-Method asks for: a new tunnel (done before it
 * returns, DTLS moved to its keys) or new keys on the connection ("ssl", driven by
 * cstp_client_rekey_step; meanwhile nothing else may use the connection: see
 * cstp_rekey_started).  0, or -errno (said on stderr): the session has failed.
 */
int cstp_client_rekey(struct cstp_client *s, double now);

/*
 * Drives an "ssl" rekey under way; the bytes it read meanwhile are in s->reader.  0
 * (under way, or done: then DTLS follows a changed PSK), or -errno (said): the session
 * has failed.
 */
int cstp_client_rekey_step(struct cstp_client *s);

#endif /* ZCVPN_SRC_CLI_CMD_ANYCONNECT_H */
