/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The F5 and Fortinet logins on the server's side (ppp-login.h).
 */
#include "config.h"

#include "src/cli/ppp-login.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "src/cli/http-server.h"

void ppp_login_init(struct ppp_login_config *l)
{
	uint8_t raw[16];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		memset(raw, 0x5a, sizeof(raw));
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(l->session + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	l->logged_in = false;
	l->failures = 0;
}

void ppp_login_free(struct ppp_login_config *l)
{
	explicit_bzero(l->session, sizeof(l->session));
}

const char *ppp_login_session(const struct ppp_login_config *l)
{
	return l->session;
}

bool ppp_login_hdlc(const struct ppp_login_config *l)
{
	return l->hdlc;
}

int ppp_login_handle(struct ppp_login_config *l, struct tls_conn *c,
		     const struct http_request *r)
{
	http_respond(c, 404, "Not Found", NULL, NULL);
	return PPP_LOGIN_ANSWERED;
}
