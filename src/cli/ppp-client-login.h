/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client's side of the F5 and Fortinet logins, as openconnect 9 walks them, for
 * `zcvpn connect --protocol f5|fortinet https://SERVER`:
 *
 *   F5        GET / (its cookies, redirects followed), POST /my.policy (username,
 *             password) -> MRHSession cookie;
 *             GET /vdesk/vpn/index.php3 -> the VPN favorite;
 *             GET /vdesk/vpn/connect.php3?resourcename=... -> the config document
 *             (Session_ID, ur_Z, hdlc_framing, tunnel_dtls, tunnel_port_dtls);
 *             the tunnel: GET /myvpn?sess=...&Z=...&hdlc_framing=... answered by 200.
 *   Fortinet  POST /remote/logincheck (username, credential) -> SVPNCOOKIE;
 *             GET /remote/fortisslvpn_xml -> dtls="1" or not;
 *             the tunnel: GET /remote/sslvpn-tunnel, with no answer: PPP starts.
 *
 * The DTLS side (the hello that carries the session) is the library's.  All of this
 * runs once per session; the session ID is a secret and is never printed.
 */
#ifndef ZCVPN_SRC_CLI_PPP_CLIENT_LOGIN_H
#define ZCVPN_SRC_CLI_PPP_CLIENT_LOGIN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/cli/cstp.h"
#include "src/zcvpn.h"

/* What a login gives the tunnel. */
struct ppp_client_session {
	enum zcvpn_ppp_flavour flavour;
	char session[256];		/* F5 Session_ID, Fortinet SVPNCOOKIE: secret */
	char f5_z[128];			/* F5 ur_Z */
	bool dtls;			/* the server offers DTLS */
	uint16_t dtls_port;		/* F5: tunnel_port_dtls; Fortinet: the TLS port */
	bool hdlc;			/* F5 hdlc_framing=yes */
	char gateway[INET6_ADDRSTRLEN];	/* the address the login reached, numeric */
};

/*
 * Logs in as user with password (borrowed; the caller wipes it).  0, -EACCES when the
 * server refused the credentials, -EPROTO for answers we cannot use; err says which.
 */
int ppp_client_login(const struct cstp_server *srv, enum zcvpn_ppp_flavour flavour,
		     const char *user, const char *password, struct ppp_client_session *out,
		     char *err, size_t errlen);

/*
 * Opens the TLS tunnel connection of a logged-in session: *out (the caller frees it)
 * then carries PPP; the first PPP bytes that came with the answer are copied to extra
 * (*extra_len of them, at most CSTP_MAX_PACKET).
 * 0, -EACCES when the session was refused, or -errno; err says why.
 */
int ppp_client_tunnel(struct tls_conn **out, const struct cstp_server *srv,
		      const struct ppp_client_session *sess, uint8_t *extra, size_t *extra_len, char *err, size_t errlen);

/* Wipes the session's secrets. */
void ppp_client_session_wipe(struct ppp_client_session *sess);

#endif /* ZCVPN_SRC_CLI_PPP_CLIENT_LOGIN_H */
