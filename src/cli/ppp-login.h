/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's side of the F5 and Fortinet logins, as openconnect 9.01 walks them:
 * the HTTP endpoints, the one account, the session the login issues (a random ID,
 * checked again on the tunnel request and by the DTLS hello), and the configuration
 * documents that offer DTLS.  nullppp has no login.
 */
#ifndef ZCVPN_SRC_CLI_PPP_LOGIN_H
#define ZCVPN_SRC_CLI_PPP_LOGIN_H

#include <stdbool.h>

#include "src/zcvpn.h"

struct tls_conn;
struct http_request;
struct http_wait;

struct ppp_login_config {
	enum zcvpn_ppp_flavour flavour;
	const char *user, *password;
	bool no_dtls;			/* offer no DTLS */
	bool hdlc;			/* F5: hdlc_framing=yes */
	int dtls_port;			/* the UDP port offered for DTLS */
	const struct http_wait *wait;	/* served while a refusal makes the client wait */
	/* The login's state: */
	char session[33];		/* hex; a secret, never printed */
	bool logged_in;
	unsigned failures;		/* wrong passwords: each one slows the next answer */
};

/* A fresh session ID (from the system's random source).  0 or -errno. */
int ppp_login_init(struct ppp_login_config *l);
void ppp_login_free(struct ppp_login_config *l);
const char *ppp_login_session(const struct ppp_login_config *l);

enum { PPP_LOGIN_ANSWERED = 0, PPP_LOGIN_TUNNEL = 1 };

/*
 * One request: answered (PPP_LOGIN_ANSWERED), or the tunnel request with a valid
 * session (PPP_LOGIN_TUNNEL: for F5 the 200 is sent, for Fortinet nothing; PPP
 * follows), or -errno to drop the connection.
 */
int ppp_login_handle(struct ppp_login_config *l, struct tls_conn *c,
		     const struct http_request *r);

#endif /* ZCVPN_SRC_CLI_PPP_LOGIN_H */
