/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect XML login ("aggregate auth"), the part of it a username/password
 * server needs: post config-auth type="init", answer each auth-request form (fields
 * named by the server: a text input gets the user name, a password input the password,
 * a select the group), and take the webvpn cookie from the final type="complete".  The
 * webvpncontext cookie the server sets on the way is sent back, as it must be.
 *
 * The XML is the server's and hostile like any input: it is only searched for a few
 * tags and attributes, never trusted for lengths, and values we send are escaped.
 */
#include "config.h"

#include "src/cli/cstp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


enum {
	MAX_ROUNDS = 6,		/* init + a few forms; a server that loops is refused */
	MAX_FIELDS = 8,
	FIELD_LEN = 64,
	REPLY_LEN = 4096,
};

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define AUTH_HEADERS \
	"X-Transcend-Version: 1\r\n" \
	"X-Aggregate-Auth: 1\r\n" \
	"X-Support-HTTP-Auth: true\r\n" \
	"Content-Type: application/xml; charset=utf-8\r\n"

struct form {
	char action[256];
	char message[256];
	char text[MAX_FIELDS][FIELD_LEN];	/* names of text inputs */
	char password[MAX_FIELDS][FIELD_LEN];	/* names of password inputs */
	char select[FIELD_LEN];			/* a group list, if any */
	unsigned n_text, n_password;
	bool complete;
};

/* Copies the value of attr="..." from the tag starting at tag (up to its '>'). */
static bool xml_attr(const char *tag, const char *attr, char *out, size_t len)
{
	const char *end = strchr(tag, '>');
	size_t alen = strlen(attr);
	const char *p = tag;

	while (end && (p = strstr(p, attr)) && p < end) {
		const char *v, *q;

		if (p[-1] != ' ' || p[alen] != '=' || (p[alen + 1] != '"' && p[alen + 1] != '\'')) {
			p += alen;
			continue;
		}
		v = p + alen + 2;
		q = strchr(v, p[alen + 1]);
		if (!q || q > end || (size_t)(q - v) >= len)
			return false;
		memcpy(out, v, (size_t)(q - v));
		out[q - v] = '\0';
		return true;
	}
	return false;
}

/* Copies the text of the first <name>...</name> element. */
static bool xml_text(const char *xml, const char *name, char *out, size_t len)
{
	char open[64], close[64];
	const char *p, *q;

	snprintf(open, sizeof(open), "<%s", name);
	snprintf(close, sizeof(close), "</%s>", name);
	p = strstr(xml, open);
	if (!p || !(p = strchr(p, '>')))
		return false;
	q = strstr(++p, close);
	if (!q)
		return false;
	snprintf(out, len, "%.*s", (int)(q - p), p);
	return true;
}

static int parse_form(const char *xml, struct form *f)
{
	const char *p = strstr(xml, "<config-auth");
	char type[32];

	memset(f, 0, sizeof(*f));
	if (!p || !xml_attr(p, "type", type, sizeof(type)))
		return -EPROTO;
	if (!strcmp(type, "complete")) {
		f->complete = true;
		return 0;
	}
	if (strcmp(type, "auth-request"))
		return -EPROTO;
	if (!xml_text(xml, "error", f->message, sizeof(f->message)))
		xml_text(xml, "message", f->message, sizeof(f->message));
	p = strstr(xml, "<form");
	if (!p || !xml_attr(p, "action", f->action, sizeof(f->action)))
		snprintf(f->action, sizeof(f->action), "/");
	for (p = xml; (p = strstr(p, "<input")); p++) {
		char itype[32], name[FIELD_LEN];

		if (!xml_attr(p, "type", itype, sizeof(itype)) ||
		    !xml_attr(p, "name", name, sizeof(name)))
			continue;
		if (!strcmp(itype, "text") && f->n_text < MAX_FIELDS)
			snprintf(f->text[f->n_text++], FIELD_LEN, "%s", name);
		else if (!strcmp(itype, "password") && f->n_password < MAX_FIELDS)
			snprintf(f->password[f->n_password++], FIELD_LEN, "%s", name);
	}
	p = strstr(xml, "<select");
	if (p)
		xml_attr(p, "name", f->select, sizeof(f->select));
	return 0;
}

/* Appends s to buf with XML's five special characters escaped. */
static void append_escaped(char *buf, size_t len, const char *s)
{
	size_t at = strlen(buf);

	for (; *s && at + 7 < len; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		}
		if (rep) {
			memcpy(buf + at, rep, strlen(rep));
			at += strlen(rep);
		} else {
			buf[at++] = *s;
		}
	}
	buf[at] = '\0';
}

static void append_field(char *buf, size_t len, const char *name, const char *value)
{
	size_t at = strlen(buf);

	snprintf(buf + at, len - at, "<%s>", name);
	append_escaped(buf, len, value);
	at = strlen(buf);
	snprintf(buf + at, len - at, "</%s>", name);
}

static void build_init(char *buf, size_t len, const struct cstp_server *s)
{
	snprintf(buf, len,
		 XML_HEAD "<config-auth client=\"vpn\" type=\"init\" aggregate-auth-version=\"2\">"
		 "<version who=\"vpn\">v9.01</version><device-id>linux-64</device-id>"
		 "<group-access>https://%s/</group-access></config-auth>",
		 s->host_header);
}

/* Fills each field of the form from the credentials.  -EACCES: one we cannot answer. */
static int build_reply(char *buf, size_t len, const struct form *f,
		       const struct cstp_credentials *cred, char *err, size_t errlen)
{
	snprintf(buf, len,
		 XML_HEAD "<config-auth client=\"vpn\" type=\"auth-reply\" aggregate-auth-version=\"2\">"
		 "<version who=\"vpn\">v9.01</version><device-id>linux-64</device-id><auth>");
	for (unsigned i = 0; i < f->n_text; i++) {
		if (!cred->user) {
			snprintf(err, errlen, "the server asks for '%s' (--user)", f->text[i]);
			return -EACCES;
		}
		append_field(buf, len, f->text[i], cred->user);
	}
	for (unsigned i = 0; i < f->n_password; i++) {
		if (!cred->password) {
			snprintf(err, errlen, "the server asks for a password (--passwd-on-stdin)");
			return -EACCES;
		}
		append_field(buf, len, f->password[i], cred->password);
	}
	strncat(buf, "</auth>", len - strlen(buf) - 1);
	if (f->select[0] && cred->group) {
		strncat(buf, "<group-select>", len - strlen(buf) - 1);
		append_escaped(buf, len, cred->group);
		strncat(buf, "</group-select>", len - strlen(buf) - 1);
	}
	strncat(buf, "</config-auth>", len - strlen(buf) - 1);
	return 0;
}

/* Finds cookie NAME in the Set-Cookie headers; an empty value (a deletion) is no cookie. */
static bool find_cookie(const struct http_response *r, const char *name, char *out, size_t len)
{
	char line[1024];
	size_t nlen = strlen(name);

	for (unsigned i = 0; http_header(r, "Set-Cookie", i, line, sizeof(line)) != -ENOENT; i++) {
		size_t vlen;

		if (strncmp(line, name, nlen) || line[nlen] != '=')
			continue;
		vlen = strcspn(line + nlen + 1, ";");
		if (!vlen || vlen >= len)
			continue;
		memcpy(out, line + nlen + 1, vlen);
		out[vlen] = '\0';
		return true;
	}
	return false;
}

/* One POST and its parsed answer; the context cookie goes back if we have one. */
static int post(struct tls_conn *c, const struct cstp_server *s, const char *path,
		const char *body, char *context, size_t context_len, struct http_response *r,
		char *err, size_t errlen)
{
	char headers[1024];
	int ret;

	snprintf(headers, sizeof(headers), "%s%s%s" AUTH_HEADERS,
		 context[0] ? "Cookie: webvpncontext=" : "", context, context[0] ? "\r\n" : "");
	ret = http_send_request(c, s, "POST", path, headers, body);
	if (ret) {
		snprintf(err, errlen, "sending the login request: %s", strerror(-ret));
		return ret;
	}
	ret = http_read_response(c, r, true, s->timeout_ms, err, errlen);
	if (ret)
		return ret;
	find_cookie(r, "webvpncontext", context, context_len);
	if (r->status == 401 || r->status == 403) {
		snprintf(err, errlen, "the server refused the login (HTTP %d)", r->status);
		http_response_free(r);
		return -EACCES;
	}
	if (r->status != 200 || !r->body) {
		snprintf(err, errlen, "unexpected answer to the login (HTTP %d)", r->status);
		http_response_free(r);
		return -EPROTO;
	}
	return 0;
}

int cstp_authenticate(const struct cstp_server *s, const struct cstp_credentials *cred,
		      char *cookie, size_t cookie_len, char *err, size_t errlen)
{
	static struct http_response r;	/* large; one login at a time */
	char context[256] = "", path[256] = "/";
	char *body = malloc(REPLY_LEN);
	bool password_sent = false;
	struct tls_conn *c = NULL;
	struct form f;
	int ret;

	if (!body)
		return -ENOMEM;
	ret = cstp_open(&c, s, err, errlen);
	if (ret)
		goto out;
	build_init(body, REPLY_LEN, s);
	for (unsigned round = 0; round < MAX_ROUNDS; round++) {
		ret = post(c, s, path, body, context, sizeof(context), &r, err, errlen);
		if (ret)
			goto out;
		ret = parse_form(r.body, &f);
		if (!ret && f.complete && !find_cookie(&r, "webvpn", cookie, cookie_len))
			ret = -EPROTO;
		http_response_free(&r);
		if (ret) {
			snprintf(err, errlen, "the server's login answer is not AnyConnect XML");
			goto out;
		}
		if (f.complete)
			goto out;
		/* Asked for the password again: the server turned the first one down. */
		if (password_sent && f.n_password) {
			snprintf(err, errlen, "login failed: %s",
				 f.message[0] ? f.message : "wrong user name or password");
			ret = -EACCES;
			goto out;
		}
		ret = build_reply(body, REPLY_LEN, &f, cred, err, errlen);
		if (ret)
			goto out;
		password_sent |= f.n_password != 0;
		snprintf(path, sizeof(path), "%s", f.action[0] == '/' ? f.action : "/");
	}
	snprintf(err, errlen, "the login did not finish after %d forms", MAX_ROUNDS);
	ret = -EPROTO;
out:
	tls_free(c);
	explicit_bzero(body, REPLY_LEN);	/* it held the password */
	free(body);
	return ret;
}
