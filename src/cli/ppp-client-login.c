/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client's F5 and Fortinet logins: see ppp-client-login.h. */
#include "config.h"

#include "src/cli/ppp-client-login.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tls.h"

/* ---- small parsers for what these servers send ----------------------------------- */

/* application/x-www-form-urlencoded escaping of one value. */
static int form_escape(const char *in, char *out, size_t room)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;

		if (o + 4 > room)
			return -ENOSPC;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* The text of the first <tag>text</tag> in doc.  0, -ENOENT or -ENOSPC. */
static int xml_text(const char *doc, const char *tag, char *out, size_t len)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = doc ? strstr(doc, open) : NULL;
	if (!a)
		return -ENOENT;
	a += strlen(open);
	b = strstr(a, close);
	if (!b)
		return -ENOENT;
	if ((size_t)(b - a) >= len)
		return -ENOSPC;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = '\0';
	return 0;
}

/* The value of attr="..." in the first <element ...> of doc.  0, -ENOENT or -ENOSPC. */
static int xml_attr(const char *doc, const char *element, const char *attr, char *out,
		    size_t len)
{
	char open[64], key[64];
	const char *e, *end, *a, *q;

	snprintf(open, sizeof(open), "<%s ", element);
	snprintf(key, sizeof(key), " %s=\"", attr);
	e = doc ? strstr(doc, open) : NULL;
	if (!e)
		return -ENOENT;
	end = strchr(e, '>');
	a = strstr(e, key);
	if (!end || !a || a > end)
		return -ENOENT;
	a += strlen(key);
	q = strchr(a, '"');
	if (!q || q > end)
		return -ENOENT;
	if ((size_t)(q - a) >= len)
		return -ENOSPC;
	memcpy(out, a, (size_t)(q - a));
	out[q - a] = '\0';
	return 0;
}

/* The value of cookie name among the answer's Set-Cookie headers.  0 or -ENOENT. */
static int set_cookie(const struct http_response *r, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	char line[1024];

	for (unsigned int i = 0; http_header(r, "Set-Cookie", i, line, sizeof(line)) == 0; i++) {
		size_t v;

		if (strncmp(line, name, n) || line[n] != '=')
			continue;
		v = strcspn(line + n + 1, ";");
		if (!v || v >= len)
			return -ENOENT;	/* empty: the server clears it (a refusal) */
		memcpy(out, line + n + 1, v);
		out[v] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* ---- one request and its answer, on the login's connection ------------------------- */

struct login_conn {
	const struct cstp_server *srv;
	struct tls_conn *tls;
	struct http_response rsp;
	char peer[INET6_ADDRSTRLEN];	/* the server's address the connection reached */
};

/*
 * method path (with cookie and form body, either may be NULL) and the answer in
 * lc->rsp.  A server that closed the kept-alive connection gets one more try on a
 * fresh one.  0, or -errno with err set.
 */
static int exchange(struct login_conn *lc, const char *method, const char *path,
		    const char *cookie, const char *form, char *err, size_t errlen)
{
	char headers[1024] = "";
	int ret = -EIO;

	if (cookie)
		snprintf(headers, sizeof(headers), "Cookie: %s\r\n", cookie);
	if (form)
		snprintf(headers + strlen(headers), sizeof(headers) - strlen(headers),
			 "Content-Type: application/x-www-form-urlencoded\r\n");
	http_response_free(&lc->rsp);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!lc->tls) {
			ret = cstp_open(&lc->tls, lc->srv, err, errlen);
			if (ret)
				return ret;
			cstp_peer_address(lc->tls, lc->peer, sizeof(lc->peer));
		}
		ret = http_send_request(lc->tls, lc->srv, method, path, headers, form);
		if (!ret)
			ret = http_read_response(lc->tls, &lc->rsp, true, lc->srv->timeout_ms, err,
						 errlen);
		if (!ret)
			return 0;
		tls_free(lc->tls);
		lc->tls = NULL;
		if (ret == -EPROTO)
			break;
	}
	if (ret != -EPROTO)
		snprintf(err, errlen, "%s %s: %s", method, path, strerror(-ret));
	return ret;
}

static void login_conn_close(struct login_conn *lc)
{
	http_response_free(&lc->rsp);
	tls_free(lc->tls);
	lc->tls = NULL;
}

/* ---- F5 BIG-IP APM ----------------------------------------------------------------- */

/*
 * Appends the cookies an answer set ("name=value" of each Set-Cookie) to jar, as
 * "a=1; b=2".  Cookies that do not fit are left out: the login then fails on the
 * server's side, with its own answer.
 */
static void collect_cookies(const struct http_response *r, char *jar, size_t len)
{
	char line[1024];

	for (unsigned int i = 0; http_header(r, "Set-Cookie", i, line, sizeof(line)) == 0; i++) {
		size_t used = strlen(jar), n = strcspn(line, ";");

		if (!n || !memchr(line, '=', n) || used + n + 3 > len)
			continue;
		snprintf(jar + used, len - used, "%s%.*s", used ? "; " : "", (int)n, line);
	}
}

/*
 * The front page first, as a browser and openconnect start: BIG-IP sets its session
 * cookies (LastMRH_Session, MRHSession, F5_ST) there and wants them back with the form.
 * Redirects within the server are followed, a few at most.
 */
static int f5_front_page(struct login_conn *lc, char *jar, size_t len, char *err,
			 size_t errlen)
{
	char path[512] = "/", loc[512];
	int ret;

	for (int hops = 0; hops < 4; hops++) {
		ret = exchange(lc, "GET", path, jar[0] ? jar : NULL, NULL, err, errlen);
		if (ret)
			return ret;
		collect_cookies(&lc->rsp, jar, len);
		if (lc->rsp.status < 300 || lc->rsp.status >= 400 ||
		    http_header(&lc->rsp, "Location", 0, loc, sizeof(loc)))
			return 0;
		if (loc[0] != '/')
			return 0;	/* elsewhere (another host): the form is still ours */
		snprintf(path, sizeof(path), "%s", loc);
	}
	return 0;
}

static int f5_policy(struct login_conn *lc, const char *user, const char *password,
		     char *mrh, size_t mrh_len, char *err, size_t errlen)
{
	char u[384], p[768], form[1200], jar[1024] = "";
	int ret;

	ret = f5_front_page(lc, jar, sizeof(jar), err, errlen);
	if (ret)
		return ret;

	if (form_escape(user, u, sizeof(u)) || form_escape(password, p, sizeof(p))) {
		snprintf(err, errlen, "user name or password too long");
		return -EINVAL;
	}
	snprintf(form, sizeof(form), "username=%s&password=%s&vhost=standard", u, p);
	ret = exchange(lc, "POST", "/my.policy", jar[0] ? jar : NULL, form, err, errlen);
	explicit_bzero(p, sizeof(p));
	explicit_bzero(form, sizeof(form));
	explicit_bzero(jar, sizeof(jar));
	if (ret)
		return ret;
	if (lc->rsp.status == 200 && !set_cookie(&lc->rsp, "MRHSession", mrh, mrh_len))
		return 0;
	snprintf(err, errlen, "the server refused the login (HTTP %d)", lc->rsp.status);
	return -EACCES;
}

/* The favorites list, then the config document of the first VPN favorite. */
static int f5_config(struct login_conn *lc, const char *cookie, struct ppp_client_session *s,
		     char *err, size_t errlen)
{
	char id[256], eid[800], path[1024], v[32];
	int ret;

	ret = exchange(lc, "GET", "/vdesk/vpn/index.php3?outform=xml&client_version=2.0",
		       cookie, NULL, err, errlen);
	if (ret)
		return ret;
	if (lc->rsp.status != 200 || xml_attr(lc->rsp.body, "favorite", "id", id, sizeof(id)) ||
	    form_escape(id, eid, sizeof(eid))) {
		snprintf(err, errlen, "no VPN resource in the favorites (HTTP %d)", lc->rsp.status);
		return -EPROTO;
	}
	snprintf(path, sizeof(path),
		 "/vdesk/vpn/connect.php3?resourcename=%s&outform=xml&client_version=2.0", eid);
	ret = exchange(lc, "GET", path, cookie, NULL, err, errlen);
	if (ret)
		return ret;
	if (lc->rsp.status != 200 ||
	    xml_text(lc->rsp.body, "Session_ID", s->session, sizeof(s->session))) {
		snprintf(err, errlen, "no Session_ID in the VPN configuration (HTTP %d)",
			 lc->rsp.status);
		return -EPROTO;
	}
	if (xml_text(lc->rsp.body, "ur_Z", s->f5_z, sizeof(s->f5_z)))
		s->f5_z[0] = '\0';
	s->hdlc = !xml_text(lc->rsp.body, "hdlc_framing", v, sizeof(v)) &&
		  (!strcmp(v, "yes") || !strcmp(v, "1"));
	s->dtls = !xml_text(lc->rsp.body, "tunnel_dtls", v, sizeof(v)) && !strcmp(v, "1") &&
		  !xml_text(lc->rsp.body, "tunnel_port_dtls", v, sizeof(v)) && atoi(v) > 0 &&
		  atoi(v) < 65536;
	s->dtls_port = s->dtls ? (uint16_t)atoi(v) : 0;
	return 0;
}

static int f5_login(struct login_conn *lc, const char *user, const char *password,
		    struct ppp_client_session *s, char *err, size_t errlen)
{
	char mrh[256], cookie[300];
	int ret;

	ret = f5_policy(lc, user, password, mrh, sizeof(mrh), err, errlen);
	if (ret)
		return ret;
	snprintf(cookie, sizeof(cookie), "MRHSession=%s", mrh);
	ret = f5_config(lc, cookie, s, err, errlen);
	explicit_bzero(mrh, sizeof(mrh));
	explicit_bzero(cookie, sizeof(cookie));
	return ret;
}

/* ---- Fortinet FortiGate ------------------------------------------------------------ */

static int fortinet_login(struct login_conn *lc, const char *user, const char *password,
			  struct ppp_client_session *s, char *err, size_t errlen)
{
	char u[384], p[768], form[1200], cookie[300], v[8];
	int ret;

	if (form_escape(user, u, sizeof(u)) || form_escape(password, p, sizeof(p))) {
		snprintf(err, errlen, "user name or password too long");
		return -EINVAL;
	}
	snprintf(form, sizeof(form), "username=%s&credential=%s&realm=&ajax=1", u, p);
	ret = exchange(lc, "POST", "/remote/logincheck", NULL, form, err, errlen);
	explicit_bzero(p, sizeof(p));
	explicit_bzero(form, sizeof(form));
	if (ret)
		return ret;
	/* FortiGate answers a refusal with 200 too: the cookie is what tells. */
	if (lc->rsp.status != 200 ||
	    set_cookie(&lc->rsp, "SVPNCOOKIE", s->session, sizeof(s->session))) {
		snprintf(err, errlen, "the server refused the login (HTTP %d)", lc->rsp.status);
		return -EACCES;
	}
	snprintf(cookie, sizeof(cookie), "SVPNCOOKIE=%s", s->session);
	ret = exchange(lc, "GET", "/remote/fortisslvpn_xml", cookie, NULL, err, errlen);
	explicit_bzero(cookie, sizeof(cookie));
	if (ret)
		return ret;
	if (lc->rsp.status != 200 || !lc->rsp.body || !strstr(lc->rsp.body, "<sslvpn-tunnel")) {
		snprintf(err, errlen, "no tunnel configuration (HTTP %d)", lc->rsp.status);
		return -EPROTO;
	}
	s->dtls = !xml_attr(lc->rsp.body, "sslvpn-tunnel", "dtls", v, sizeof(v)) && !strcmp(v, "1");
	s->dtls_port = s->dtls ? (uint16_t)atoi(lc->srv->port) : 0;	/* DTLS on the TLS port */
	return 0;
}

int ppp_client_login(const struct cstp_server *srv, enum zcvpn_ppp_flavour flavour,
		     const char *user, const char *password, struct ppp_client_session *out,
		     char *err, size_t errlen)
{
	struct login_conn lc = { .srv = srv };
	int ret;

	memset(out, 0, sizeof(*out));
	out->flavour = flavour;
	if (flavour == ZCVPN_PPP_F5)
		ret = f5_login(&lc, user, password, out, err, errlen);
	else if (flavour == ZCVPN_PPP_FORTINET)
		ret = fortinet_login(&lc, user, password, out, err, errlen);
	else
		ret = -EINVAL;
	login_conn_close(&lc);
	if (ret)
		ppp_client_session_wipe(out);
	else
		memcpy(out->gateway, lc.peer, sizeof(out->gateway));
	return ret;
}

/* ---- the tunnel connection ---------------------------------------------------------- */

static int f5_tunnel_request(struct tls_conn *c, const struct cstp_server *srv,
			     const struct ppp_client_session *s, uint8_t *extra,
			     size_t *extra_len, char *err, size_t errlen)
{
	struct http_response rsp = { 0 };
	char path[1024];
	int ret;

	snprintf(path, sizeof(path), "/myvpn?sess=%s&hdlc_framing=%s&ipv4=yes&ipv6=yes%s%s",
		 s->session, s->hdlc ? "yes" : "no", s->f5_z[0] ? "&Z=" : "", s->f5_z);
	ret = http_send_request(c, srv, "GET", path, NULL, NULL);
	explicit_bzero(path, sizeof(path));
	/* No body: PPP follows the header block at once (and F5 says Content-Length: 0). */
	if (!ret)
		ret = http_read_response(c, &rsp, false, srv->timeout_ms, err, errlen);
	if (ret) {
		if (ret != -EPROTO)
			snprintf(err, errlen, "the tunnel request: %s", strerror(-ret));
		return ret;
	}
	if (rsp.status != 200) {
		snprintf(err, errlen, "the server refused the tunnel (HTTP %d)", rsp.status);
		http_response_free(&rsp);
		return -EACCES;
	}
	memcpy(extra, rsp.extra, rsp.extra_len);
	*extra_len = rsp.extra_len;
	http_response_free(&rsp);
	return 0;
}

/* FortiGate's quirk: no HTTP answer, the server's PPP simply starts. */
static int fortinet_tunnel_request(struct tls_conn *c, const struct cstp_server *srv,
				   const struct ppp_client_session *s, size_t *extra_len)
{
	char cookie[300];
	int ret;

	snprintf(cookie, sizeof(cookie), "Cookie: SVPNCOOKIE=%s\r\n", s->session);
	ret = http_send_request(c, srv, "GET", "/remote/sslvpn-tunnel", cookie, NULL);
	explicit_bzero(cookie, sizeof(cookie));
	*extra_len = 0;
	return ret;
}

int ppp_client_tunnel(struct tls_conn **out, const struct cstp_server *srv,
		      const struct ppp_client_session *s, uint8_t *extra, size_t *extra_len, char *err, size_t errlen)
{
	struct tls_conn *c;
	int ret;

	ret = cstp_open(&c, srv, err, errlen);
	if (ret)
		return ret;
	if (s->flavour == ZCVPN_PPP_F5) {
		ret = f5_tunnel_request(c, srv, s, extra, extra_len, err, errlen);
	} else {
		ret = fortinet_tunnel_request(c, srv, s, extra_len);
		if (ret)
			snprintf(err, errlen, "the tunnel request: %s", strerror(-ret));
	}
	if (ret) {
		tls_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void ppp_client_session_wipe(struct ppp_client_session *s)
{
	explicit_bzero(s, sizeof(*s));
}
