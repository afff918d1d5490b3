/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One session of `zcvpn serve --protocol f5|fortinet|nullppp`: the engine that runs its
 * PPP, made and started before the login so that its DTLS port answers from the
 * start, and the TLS connection that carries PPP once the client asks for the tunnel.
 *
 * The session lives beside the logins, not after them: openconnect 9 brings DTLS up
 * (and waits for it, "awaiting PPP DTLS connection") before it sends its TLS tunnel
 * request, and over DTLS it may never send one.  So the host serves the session from
 * every wait it has, the accept loop's and each login request's alike, through the
 * one fd serve_session_fd() gives.
 */
#ifndef ZCVPN_SRC_CLI_SERVE_SESSION_H
#define ZCVPN_SRC_CLI_SERVE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/zcvpn.h"

struct cli_output;
struct tls_conn;
struct serve_session;

struct serve_session_config {
	enum zcvpn_ppp_flavour flavour;
	const char *session;		/* the login's ID, which the DTLS hello must show */
	const char *local;		/* ADDR:PORT of the UDP socket (the TLS listener's) */
	const char *cert_file, *key_file;
	const char *tun_name;		/* NULL: the in-memory sink */
	bool no_dtls, hdlc;
	uint32_t mtu, dpd_s;
	uint64_t mem_count, mem_rate;	/* without a tun: packets the generator sends, and
					 * how many a second (0: at once) */
	const struct cli_output *out;	/* how the end report is printed (borrowed) */
};

/* Makes the engine, configures the tun and starts the engine.  0 or -errno (said). */
int serve_session_new(struct serve_session **out, const struct serve_session_config *cfg);
/* Ends the session: LCP Terminate on whichever path runs, the report, then frees. */
void serve_session_free(struct serve_session *s);

/* Readable when the session has work: hand it to serve_session_run then. */
int serve_session_fd(const struct serve_session *s);
/* Does what is ready (engine, tunnel TLS) without waiting.  Never fails: an end is kept. */
void serve_session_run(struct serve_session *s);

/*
 * The login's tunnel request: tls becomes the PPP stream (the session owns it from
 * here, also on failure), extra (borrowed) the PPP the client sent right behind the
 * request.  0, or -EBUSY when the session has had its tunnel connection already.
 */
int serve_session_attach(struct serve_session *s, struct tls_conn *tls, const uint8_t *extra,
			 size_t extra_len);

/* Whether the session ended, and how: 0 a clean goodbye, else -errno. */
bool serve_session_over(const struct serve_session *s, int *result);

#endif /* ZCVPN_SRC_CLI_SERVE_SESSION_H */
