/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The first record each way on a PPP-over-DTLS session, before any PPP: how the client
 * names its session to the server, in the vendor's words.
 *
 *   F5        client: "GET /myvpn?sess=<id>&hdlc_framing=no&ipv4=yes&ipv6=yes&Z=<z>
 *                      &hostname=<base64> HTTP/1.1\r\nHost: <host>\r\n...\r\n\r\n"
 *             server: "HTTP/1.1 200 OK\r\n...\r\n\r\n" (4xx: refused)
 *   Fortinet  client: BE16 len | "GFtype\0clthello\0SVPNCOOKIE\0" <cookie> "\0"
 *             server: BE16 len | "GFtype\0svrhello\0handshake\0" "ok\0" (or "fail\0")
 *
 * Pure functions over caller buffers; the parsers read only [buf, buf + len).  The
 * session value is a secret: compared in constant time, never echoed.
 */
#ifndef ZCVPN_PROTO_PPP_HELLO_H
#define ZCVPN_PROTO_PPP_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/zcvpn.h"

enum {
	PPP_HELLO_MAX = 1024,		/* the largest hello we build or take: one record */
	PPP_HELLO_SESSION_MAX = 256,	/* the longest session ID or cookie */
};

struct ppp_hello_params {
	enum zcvpn_ppp_flavour flavour;
	const char *session;		/* F5 sess=, Fortinet SVPNCOOKIE */
	const char *f5_z;		/* NULL: no Z= */
	const char *host;		/* F5 Host: header; NULL: none */
	const char *local_name;		/* F5 hostname= (base64 encoded here); NULL: none */
	bool ipv4, ipv6;
};

/*
 * The client's hello into buf (room bytes).  Returns its length, -EINVAL (session
 * missing, too long, or with characters a query or a C string cannot carry), or
 * -EMSGSIZE (room too small).
 */
int ppp_hello_client(const struct ppp_hello_params *p, uint8_t *buf, size_t room);

enum ppp_hello_verdict {
	PPP_HELLO_ACCEPTED,	/* server: the session matched; client: the server said yes */
	PPP_HELLO_REFUSED,	/* a well-formed no: wrong session, 4xx, "fail" */
	PPP_HELLO_MALFORMED,	/* not a hello of this flavour */
};

/*
 * Server: judges a client's hello (buf, len: borrowed) against the session it expects.
 * For F5 it also reports what the request asked for in *ipv4 and *ipv6 (true when absent).
 */
enum ppp_hello_verdict ppp_hello_check_client(enum zcvpn_ppp_flavour flavour,
					      const uint8_t *buf, size_t len,
					      const char *session, bool *ipv4, bool *ipv6);

/* Server: the answer to an accepted (ok true) or refused hello.  Length or -EMSGSIZE. */
int ppp_hello_server(enum zcvpn_ppp_flavour flavour, bool ok, uint8_t *buf, size_t room);

/* Client: judges the server's answer. */
enum ppp_hello_verdict ppp_hello_check_server(enum zcvpn_ppp_flavour flavour,
					      const uint8_t *buf, size_t len);

#endif /* ZCVPN_PROTO_PPP_HELLO_H */
