/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect server's login (ac-server.h), the XML exchange openconnect speaks to
 * ocserv: POST config-auth type="init" is answered with one form (user name,
 * password, and a group list when groups are configured), the auth-reply is checked
 * against the password file, and success is type="complete" with the webvpn cookie
 * that CONNECT then presents.  A wrong password costs the client time and, after a
 * few, the connection.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "src/cli/ac-server.h"
#include "src/cli/http-server.h"

enum {
	MAX_FAILURES = 3,		/* wrong passwords before the connection is dropped */
	MAX_REQUESTS = 32,		/* a login takes three or four */
	FORM_LEN = 4096,
};

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define XML_VERSION "<version who=\"sg\">zcvpn</version>\n"

/* Appends s with the XML escapes a label or option needs. */
static void append_escaped(char *buf, size_t len, const char *s)
{
	size_t at = strlen(buf);

	for (; *s && at + 7 < len; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		}
		if (rep) {
			strcpy(buf + at, rep);
			at += strlen(rep);
		} else {
			buf[at++] = *s;
		}
	}
	buf[at] = '\0';
}

/* The one form: user name and password, and the group list when there are groups. */
static int send_form(struct ac_server *srv, struct tls_conn *c, const char *error)
{
	const struct ac_server_config *cfg = srv->cfg;
	char form[FORM_LEN];

	snprintf(form, sizeof(form),
		 XML_HEAD "<config-auth client=\"vpn\" type=\"auth-request\" aggregate-auth-version=\"2\">\n"
		 XML_VERSION "<auth id=\"main\">\n<title>zcvpn</title>\n"
		 "<message>Please enter your username and password.</message>\n");
	if (error)
		snprintf(form + strlen(form), sizeof(form) - strlen(form),
			 "<error id=\"main\" param1=\"%s\" param2=\"\">Login failed.</error>\n", error);
	snprintf(form + strlen(form), sizeof(form) - strlen(form),
		 "<form method=\"post\" action=\"/auth\">\n"
		 "<input type=\"text\" name=\"username\" label=\"Username:\" />\n"
		 "<input type=\"password\" name=\"password\" label=\"Password:\" />\n");
	if (cfg->n_groups) {
		strncat(form, "<select name=\"group_list\" label=\"GROUP:\">\n",
			sizeof(form) - strlen(form) - 1);
		for (unsigned i = 0; i < cfg->n_groups; i++) {
			strncat(form, "<option>", sizeof(form) - strlen(form) - 1);
			append_escaped(form, sizeof(form), cfg->groups[i]);
			strncat(form, "</option>\n", sizeof(form) - strlen(form) - 1);
		}
		strncat(form, "</select>\n", sizeof(form) - strlen(form) - 1);
	}
	strncat(form, "</form></auth></config-auth>\n", sizeof(form) - strlen(form) - 1);
	return http_respond(c, 200, "OK", "Content-Type: text/xml\r\nX-Transcend-Version: 1\r\n",
			    form);
}

static bool group_offered(const struct ac_server_config *cfg, const char *group)
{
	for (unsigned i = 0; i < cfg->n_groups; i++)
		if (!strcmp(cfg->groups[i], group))
			return true;
	return false;
}

/*
 * A wrong password: a second more each time before the answer, the form again with
 * an error, and after MAX_FAILURES the connection dropped.
 */
static int refuse(struct ac_server *srv, struct ac_login *l, struct tls_conn *c,
		  const char *user)
{
	atomic_fetch_add(&srv->count.logins_failed, 1);
	l->failures++;
	ac_server_say(srv, stderr, "zcvpn: login of '%s' refused (%u)\n", user, l->failures);
	sleep(l->failures);
	if (l->failures >= MAX_FAILURES)
		return -EACCES;
	return send_form(srv, c, "wrong user name or password");
}

static int complete(struct ac_server *srv, struct tls_conn *c, const struct ac_identity *who)
{
	char cookie[AC_COOKIE_HEX + 1], headers[256];
	int ret;

	ret = ac_cookie_issue(srv, who, cookie);
	if (ret) {
		ac_server_say(srv, stderr, "zcvpn: no room for another login cookie\n");
		http_respond(c, 503, "Service Unavailable", NULL, NULL);
		return -ENOSPC;
	}
	snprintf(headers, sizeof(headers),
		 "Content-Type: text/xml\r\nX-Transcend-Version: 1\r\n"
		 "Set-Cookie: webvpn=%s; Secure\r\n", cookie);
	explicit_bzero(cookie, sizeof(cookie));
	atomic_fetch_add(&srv->count.logins_ok, 1);
	ac_server_say(srv, stdout, "zcvpn: login of '%s'%s%s accepted\n", who->user,
		      who->group[0] ? " in group " : "", who->group);
	ret = http_respond(c, 200, "OK", headers,
			   XML_HEAD "<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\">\n"
			   XML_VERSION "<auth id=\"success\">\n<title>zcvpn</title>\n"
			   "<message>Logged in.</message>\n</auth></config-auth>\n");
	explicit_bzero(headers, sizeof(headers));
	return ret;
}

static int auth_reply(struct ac_server *srv, struct ac_login *l, struct tls_conn *c,
		      const struct http_request *r)
{
	struct ac_auth_reply a;
	struct ac_identity who;
	int ret;

	ret = ac_auth_reply_parse(r->body ? r->body : "", &a);
	if (ret) {
		atomic_fetch_add(&srv->count.bad_requests, 1);
		explicit_bzero(&a, sizeof(a));
		http_respond(c, 400, "Bad Request", NULL, NULL);
		return -EBADMSG;
	}
	if (a.init || !a.has_user || !a.has_password) {
		explicit_bzero(&a, sizeof(a));
		return send_form(srv, c, NULL);
	}
	if (srv->cfg->n_groups && !group_offered(srv->cfg, a.group)) {
		explicit_bzero(a.password, sizeof(a.password));
		return refuse(srv, l, c, a.user);
	}
	if (!ac_passwd_check(&srv->passwd, a.user, a.password, a.group)) {
		explicit_bzero(a.password, sizeof(a.password));
		return refuse(srv, l, c, a.user);
	}
	explicit_bzero(a.password, sizeof(a.password));
	memset(&who, 0, sizeof(who));
	snprintf(who.user, sizeof(who.user), "%s", a.user);
	snprintf(who.group, sizeof(who.group), "%s", a.group);
	return complete(srv, c, &who);
}

int ac_login_handle(struct ac_server *srv, struct ac_login *l, struct tls_conn *c,
		    const struct http_request *r)
{
	if (++l->requests > MAX_REQUESTS)
		return -E2BIG;
	if (!strcmp(r->method, "CONNECT"))
		return AC_LOGIN_TUNNEL;
	if (!strcmp(r->method, "POST"))
		return auth_reply(srv, l, c, r);
	if (!strcmp(r->method, "GET")) {
		/* A browser, or a client that starts without XML: the form all the same. */
		return send_form(srv, c, NULL);
	}
	atomic_fetch_add(&srv->count.bad_requests, 1);
	http_respond(c, 405, "Method Not Allowed", NULL, NULL);
	return -EBADMSG;
}
