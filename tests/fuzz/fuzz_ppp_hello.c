/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an F5 or Fortinet peer says before PPP: the DTLS hellos (proto/ppp-hello.c, both
 * the server's check of a client's hello and the client's check of the server's), and
 * what the servers send the client's login (src/cli/ppp-client-login.c, included here
 * so its small parsers and its exchanges run over tests/scripted-tls): F5's front page
 * redirects and cookies, the /my.policy answer, the favorites and config documents
 * (XML: Session_ID, ur_Z, hdlc_framing, tunnel_dtls), the /myvpn answer; Fortinet's
 * logincheck cookie and fortisslvpn_xml document.
 *
 * The first byte: bit 0 the flavour (F5, Fortinet), bits 1-2 the part:
 *  0  hello records: the rest is one record, in a buffer of its exact size so ASan
 *     sees any byte read outside it, judged as a client's hello and as a server's;
 *  1  the login: the rest is everything the server sends on the connection, in order
 *     (each answer an HTTP response), cut into reads of 0 (as asked), 1, 7 or 16384
 *     bytes by bits 3-4;
 *  2  the tunnel request's answer (F5: HTTP then PPP; Fortinet sends none), cut so too;
 *  3  a built hello: the rest is the session, which ppp_hello_client must build into a
 *     hello that ppp_hello_check_client accepts (or refuse to build); and the server's
 *     two answers, which ppp_hello_check_server must read as they were meant.
 * A refused connection stands in for a second one (the login re-dials once).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tls.h"
#include "proto/ppp-hello.h"
#include "tests/fuzz/fuzz.h"
#include "tests/scripted-tls.h"

/* The login's connections: the script's one, and no second (the harness cannot dial). */
#define cstp_open fuzz_cstp_open
#define cstp_peer_address fuzz_cstp_peer_address
#include "src/cli/ppp-client-login.c"
#undef cstp_open
#undef cstp_peer_address

int fuzz_cstp_open(struct tls_conn **out, const struct cstp_server *s, char *err,
		   size_t errlen)
{
	(void)out;
	(void)s;
	snprintf(err, errlen, "no second connection");
	return -ECONNREFUSED;
}

int fuzz_cstp_peer_address(struct tls_conn *c, char *out, size_t len)
{
	(void)c;
	snprintf(out, len, "192.0.2.1");
	return 0;
}

/* The script lives on the harness's stack: nothing to free. */
void tls_free(struct tls_conn *c)
{
	(void)c;
}

static const size_t chunks[] = { 0, 1, 7, 16384 };

static void hellos(enum zcvpn_ppp_flavour flavour, const uint8_t *data, size_t len)
{
	uint8_t *rec = malloc(len ? len : 1);
	bool ipv4 = false, ipv6 = false;
	enum ppp_hello_verdict v;

	if (!rec)
		abort();
	memcpy(rec, data, len);
	v = ppp_hello_check_client(flavour, rec, len, "3c1f5d0e9b2a4c7d", &ipv4, &ipv6);
	if (v > PPP_HELLO_MALFORMED)
		abort();
	v = ppp_hello_check_server(flavour, rec, len);
	if (v > PPP_HELLO_MALFORMED)
		abort();
	free(rec);
}

static void built_hello(enum zcvpn_ppp_flavour flavour, const uint8_t *data, size_t len)
{
	char session[PPP_HELLO_SESSION_MAX + 2];
	struct ppp_hello_params p = {
		.flavour = flavour, .session = session, .f5_z = "zcvpn-z", .host = "vpn.example.com",
		.local_name = "fuzz", .ipv4 = len & 1, .ipv6 = true,
	};
	uint8_t buf[PPP_HELLO_MAX];
	bool ipv4, ipv6;
	int n;

	if (len > PPP_HELLO_SESSION_MAX + 1)
		len = PPP_HELLO_SESSION_MAX + 1;
	memcpy(session, data, len);
	session[len] = '\0';
	/* The server's answers, each judged as what it says. */
	for (int ok = 0; ok < 2; ok++) {
		n = ppp_hello_server(flavour, ok, buf, sizeof(buf));
		if (n < 0 || ppp_hello_check_server(flavour, buf, (size_t)n) !=
				     (ok ? PPP_HELLO_ACCEPTED : PPP_HELLO_REFUSED))
			abort();
	}
	n = ppp_hello_client(&p, buf, sizeof(buf));
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) ||
	    ppp_hello_check_client(flavour, buf, (size_t)n, session, &ipv4, &ipv6) !=
		    PPP_HELLO_ACCEPTED ||
	    (flavour == ZCVPN_PPP_F5 && (ipv4 != p.ipv4 || !ipv6)))
		abort();
}

static void login(enum zcvpn_ppp_flavour flavour, struct tls_conn *c)
{
	struct cstp_server srv = { .host = "vpn.example.com", .port = "443",
				   .host_header = "vpn.example.com", .timeout_ms = 1000 };
	struct login_conn lc = { .srv = &srv, .tls = c };
	static struct ppp_client_session s;
	char err[256];
	int ret;

	memset(&s, 0, sizeof(s));
	s.flavour = flavour;
	if (flavour == ZCVPN_PPP_F5)
		ret = f5_login(&lc, "user", "pass word&=", &s, err, sizeof(err));
	else
		ret = fortinet_login(&lc, "user", "pass word&=", &s, err, sizeof(err));
	login_conn_close(&lc);
	/* What the login keeps is NUL-terminated within its fields. */
	if (!ret && (!memchr(s.session, '\0', sizeof(s.session)) ||
		     !memchr(s.f5_z, '\0', sizeof(s.f5_z)) || (s.dtls && !s.dtls_port)))
		abort();
}

static void tunnel(enum zcvpn_ppp_flavour flavour, struct tls_conn *c)
{
	struct cstp_server srv = { .host = "vpn.example.com", .port = "443",
				   .host_header = "vpn.example.com", .timeout_ms = 1000 };
	struct ppp_client_session s = { .flavour = flavour, .session = "3c1f5d0e9b2a4c7d",
					.f5_z = "zcvpn-z" };
	static uint8_t extra[CSTP_MAX_PACKET];
	size_t extra_len = 0;
	char err[256];
	int ret;

	if (flavour == ZCVPN_PPP_F5)
		ret = f5_tunnel_request(c, &srv, &s, extra, &extra_len, err, sizeof(err));
	else
		ret = fortinet_tunnel_request(c, &srv, &s, &extra_len);
	if (!ret && extra_len > sizeof(extra))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	enum zcvpn_ppp_flavour flavour = mode & 1 ? ZCVPN_PPP_FORTINET : ZCVPN_PPP_F5;
	struct tls_conn c = { .data = in.data, .len = in.size, .chunk = chunks[mode >> 3 & 3] };

	switch (mode >> 1 & 3) {
	case 0:
		hellos(flavour, in.data, in.size);
		break;
	case 1:
		login(flavour, &c);
		break;
	case 2:
		tunnel(flavour, &c);
		break;
	default:
		built_hello(flavour, in.data, in.size);
		break;
	}
	return 0;
}
