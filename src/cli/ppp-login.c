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
#include <time.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "src/cli/http-server.h"

int ppp_login_init(struct ppp_login_config *l)
{
	uint8_t raw[16];

	/* The ID is the session's only secret after the login: never a guessable one. */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return errno ? -errno : -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(l->session + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	l->logged_in = false;
	l->failures = 0;
	return 0;
}

void ppp_login_free(struct ppp_login_config *l)
{
	explicit_bzero(l->session, sizeof(l->session));
}

const char *ppp_login_session(const struct ppp_login_config *l)
{
	return l->session;
}

/* Constant-time equality of a presented secret and ours. */
static bool secret_equal(const char *got, const char *want)
{
	size_t n = strlen(want);
	unsigned char diff = 0;

	if (strlen(got) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(got[i] ^ want[i]);
	return diff == 0;
}

/*
 * A wrong password costs the client a second more each time (at most five); the
 * session that runs meanwhile is served through the pause.
 */
static int refuse_login(struct ppp_login_config *l, struct tls_conn *c)
{
	l->failures++;
	http_pause(l->wait, 1000u * (l->failures < 5 ? l->failures : 5));
	fprintf(stderr, "zcvpn: login refused (wrong user or password)\n");
	return http_respond(c, 403, "Forbidden", "Content-Type: text/plain\r\n",
			    "wrong user or password\n");
}

static bool credentials_match(const struct ppp_login_config *l, const char *user,
			      const char *password)
{
	/* Both compared, so the time does not tell which was wrong. */
	bool u = secret_equal(user, l->user), p = secret_equal(password, l->password);

	return u && p;
}

static bool has_session_cookie(const struct ppp_login_config *l, const struct http_request *r,
			       const char *name)
{
	char v[128];

	return l->logged_in && http_request_cookie(r, name, v, sizeof(v)) &&
	       secret_equal(v, l->session);
}

static int not_found(struct tls_conn *c)
{
	return http_respond(c, 404, "Not Found", "Content-Type: text/plain\r\n", "not found\n");
}

static int forbidden(struct tls_conn *c)
{
	return http_respond(c, 403, "Forbidden", "Content-Type: text/plain\r\n", "forbidden\n");
}

/* ---- F5 BIG-IP APM, as openconnect's f5.c walks it ---------------------------------- */

static int f5_policy(struct ppp_login_config *l, struct tls_conn *c, const struct http_request *r)
{
	char user[128], password[128], cookies[400];

	if (!http_form_value(r->body, "username", user, sizeof(user)) ||
	    !http_form_value(r->body, "password", password, sizeof(password)) ||
	    !credentials_match(l, user, password)) {
		explicit_bzero(password, sizeof(password));
		return refuse_login(l, c);
	}
	explicit_bzero(password, sizeof(password));
	l->logged_in = true;
	/* openconnect is done once both cookies are set; F5_ST is start and lifetime. */
	snprintf(cookies, sizeof(cookies),
		 "Set-Cookie: MRHSession=%s; path=/; secure\r\n"
		 "Set-Cookie: F5_ST=1z1z1z%ldz%d; path=/\r\n"
		 "Content-Type: text/html\r\n",
		 l->session, (long)time(NULL), 86400);
	printf("zcvpn: F5 login of '%s' accepted\n", user);
	fflush(stdout);
	return http_respond(c, 200, "OK", cookies, "<html><body>Welcome</body></html>\n");
}

static int f5_config(struct ppp_login_config *l, struct tls_conn *c)
{
	char xml[1024];
	bool dtls = !l->no_dtls && !l->hdlc;

	snprintf(xml, sizeof(xml),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?><favorite><object>"
		 "<ur_Z>zcvpn-z</ur_Z><Session_ID>%s</Session_ID>"
		 "<IPV4_0>1</IPV4_0><IPV6_0>1</IPV6_0><hdlc_framing>%s</hdlc_framing>"
		 "<idle_session_timeout>900</idle_session_timeout>"
		 "<tunnel_dtls>%d</tunnel_dtls><tunnel_port_dtls>%d</tunnel_port_dtls>"
		 "<dtls_v1_2_supported>1</dtls_v1_2_supported>"
		 "<DNS0>10.77.0.53</DNS0>"
		 "</object></favorite>\n",
		 l->session, l->hdlc ? "yes" : "no", dtls, l->dtls_port);
	return http_respond(c, 200, "OK", "Content-Type: text/xml\r\n", xml);
}

/* GET /myvpn?sess=...: the tunnel; no cookies come with it, the session ID is the key. */
static int f5_tunnel(struct ppp_login_config *l, struct tls_conn *c, const char *query)
{
	char sess[128], hdlc[8];

	if (!l->logged_in || !http_form_value(query, "sess", sess, sizeof(sess)) ||
	    !secret_equal(sess, l->session))
		return http_respond(c, 504, "Gateway Timeout", NULL, "") < 0 ? -EIO : -EACCES;
	/* The session's engine was made for the framing the config document offered. */
	if (http_form_value(query, "hdlc_framing", hdlc, sizeof(hdlc)) &&
	    !strcmp(hdlc, "yes") != l->hdlc) {
		fprintf(stderr, "zcvpn: the client asked for hdlc_framing=%s, not what we offered\n",
			hdlc);
		return http_respond(c, 504, "Gateway Timeout", NULL, "") < 0 ? -EIO : -EPROTO;
	}
	if (http_respond(c, 200, "OK", NULL, NULL))
		return -EIO;
	return PPP_LOGIN_TUNNEL;
}

static int f5_handle(struct ppp_login_config *l, struct tls_conn *c,
		     const struct http_request *r)
{
	static const char favorites[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?><favorites type=\"VPN\" limited=\"YES\">"
		"<favorite id=\"/Common/zcvpn\"><caption>zcvpn</caption><name>/Common/zcvpn</name>"
		"<params>resourcename=/Common/zcvpn</params></favorite></favorites>\n";
	static const char form[] =
		"<html><body><form id=\"auth_form\" method=\"post\" action=\"/my.policy\">"
		"<input type=\"text\" name=\"username\"/><input type=\"password\" name=\"password\"/>"
		"</form></body></html>\n";
	char path[256];
	const char *query;

	http_request_path(r, path, sizeof(path), &query);
	if (!strcmp(r->method, "POST") && !strcmp(path, "/my.policy"))
		return f5_policy(l, c, r);
	if (!strcmp(path, "/myvpn"))
		return f5_tunnel(l, c, query);
	if (!strcmp(path, "/vdesk/vpn/index.php3"))
		return has_session_cookie(l, r, "MRHSession") ?
		       http_respond(c, 200, "OK", "Content-Type: text/xml\r\n", favorites) :
		       forbidden(c);
	if (!strcmp(path, "/vdesk/vpn/connect.php3"))
		return has_session_cookie(l, r, "MRHSession") ? f5_config(l, c) : forbidden(c);
	if (!strcmp(path, "/vdesk/hangup.php3"))
		return http_respond(c, 200, "OK", NULL, "logged out\n");
	if (!strcmp(r->method, "GET"))
		return http_respond(c, 200, "OK", "Content-Type: text/html\r\n", form);
	return not_found(c);
}

/* ---- Fortinet FortiGate, as openconnect's fortinet.c walks it ------------------------ */

static int fortinet_logincheck(struct ppp_login_config *l, struct tls_conn *c,
			       const struct http_request *r)
{
	char user[128], password[128], cookie[200];

	if (!http_form_value(r->body, "username", user, sizeof(user)) ||
	    !http_form_value(r->body, "credential", password, sizeof(password)) ||
	    !credentials_match(l, user, password)) {
		explicit_bzero(password, sizeof(password));
		return refuse_login(l, c);
	}
	explicit_bzero(password, sizeof(password));
	l->logged_in = true;
	snprintf(cookie, sizeof(cookie),
		 "Set-Cookie: SVPNCOOKIE=%s; path=/; secure; httponly\r\n"
		 "Content-Type: text/plain\r\n", l->session);
	printf("zcvpn: Fortinet login of '%s' accepted\n", user);
	fflush(stdout);
	return http_respond(c, 200, "OK", cookie, "ret=1,redir=/remote/fortisslvpn_xml\n");
}

static int fortinet_config(struct ppp_login_config *l, struct tls_conn *c)
{
	char xml[1024];

	snprintf(xml, sizeof(xml),
		 "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		 "<sslvpn-tunnel ver=\"2\" dtls=\"%d\" patch=\"1\">"
		 "<tunnel-method value=\"ppp\"/>"
		 "<auth-ses check-src-ip=\"0\" tun-connect-without-reauth=\"1\" tun-user-ses-timeout=\"240\"/>"
		 "<ipv4><dns ip=\"10.77.0.53\"/><assigned-addr ipv4=\"10.77.0.2\"/></ipv4>"
		 "<ipv6><assigned-addr ipv6=\"fd77::2\" prefix-len=\"64\"/></ipv6>"
		 "<idle-timeout val=\"3600\"/><auth-timeout val=\"18000\"/>"
		 "</sslvpn-tunnel>\n", !l->no_dtls);
	return http_respond(c, 200, "OK", "Content-Type: text/xml\r\n", xml);
}

static int fortinet_handle(struct ppp_login_config *l, struct tls_conn *c,
			   const struct http_request *r)
{
	char path[256];
	const char *query;

	http_request_path(r, path, sizeof(path), &query);
	if (!strcmp(r->method, "POST") && !strcmp(path, "/remote/logincheck"))
		return fortinet_logincheck(l, c, r);
	if (!strcmp(path, "/remote/fortisslvpn_xml"))
		return has_session_cookie(l, r, "SVPNCOOKIE") ? fortinet_config(l, c) : forbidden(c);
	if (!strcmp(path, "/remote/sslvpn-tunnel")) {
		/* FortiGate's quirk: success has no HTTP answer, PPP simply starts. */
		if (!has_session_cookie(l, r, "SVPNCOOKIE"))
			return forbidden(c) < 0 ? -EIO : -EACCES;
		return PPP_LOGIN_TUNNEL;
	}
	if (!strcmp(path, "/remote/logout"))
		return http_respond(c, 200, "OK", NULL, "logged out\n");
	if (!strcmp(r->method, "GET"))
		return http_respond(c, 200, "OK", "Content-Type: text/html\r\n",
				    "<html><body>zcvpn</body></html>\n");
	return not_found(c);
}

int ppp_login_handle(struct ppp_login_config *l, struct tls_conn *c,
		     const struct http_request *r)
{
	int ret;

	switch (l->flavour) {
	case ZCVPN_PPP_F5:
		ret = f5_handle(l, c, r);
		break;
	case ZCVPN_PPP_FORTINET:
		ret = fortinet_handle(l, c, r);
		break;
	default:
		return -EINVAL;
	}
	return ret < 0 ? ret : ret == PPP_LOGIN_TUNNEL ? PPP_LOGIN_TUNNEL : PPP_LOGIN_ANSWERED;
}
