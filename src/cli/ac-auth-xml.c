/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client's <config-auth> POST as the AnyConnect server reads it (ac-server.h):
 * hostile text from a client not yet logged in, so every field is bounded, escapes are
 * undone only where well formed, and anything unexpected is refused, never guessed at.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/ac-server.h"

/*
 * A numeric character reference after "&#": decimal or x-hexadecimal digits and ';',
 * below 128 and not NUL (a user name or password is ASCII here).  Advances *s past it.
 */
static bool numeric_entity(const char **s, char *out)
{
	const char *p = *s;
	bool hex = *p == 'x';
	const char *digits = hex ? "0123456789abcdefABCDEF" : "0123456789";
	size_t n;
	long v;

	p += hex;
	n = strspn(p, digits);
	if (!n || n > 4 || p[n] != ';')
		return false;
	v = strtol(p, NULL, hex ? 16 : 10);
	if (v <= 0 || v >= 128)
		return false;
	*out = (char)v;
	*s = p + n + 1;
	return true;
}

/* Undoes the five named XML escapes and numeric ones in place; false on junk. */
static bool xml_unescape(char *s)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	const char *in = s;
	char *out = s;

	while (*in) {
		size_t i;

		if (*in != '&') {
			*out++ = *in++;
			continue;
		}
		in++;
		if (*in == '#') {
			in++;
			if (!numeric_entity(&in, out++))
				return false;
			continue;
		}
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (!strncmp(in, ents[i].name, strlen(ents[i].name)))
				break;
		if (i == sizeof(ents) / sizeof(ents[0]))
			return false;
		*out++ = ents[i].c;
		in += strlen(ents[i].name);
	}
	*out = '\0';
	return true;
}

/*
 * The text of the first <name>...</name> (or nothing for <name/>) into out.  0,
 * -ENOENT absent, -EMSGSIZE too long, -EBADMSG unterminated or badly escaped.
 */
static int element_text(const char *xml, const char *name, char *out, size_t len)
{
	char open[72], close[72];
	const char *p = xml, *start, *end;
	size_t n;

	snprintf(open, sizeof(open), "<%s", name);
	snprintf(close, sizeof(close), "</%s>", name);
	for (;;) {
		p = strstr(p, open);
		if (!p)
			return -ENOENT;
		p += strlen(open);
		if (*p == '>' || *p == ' ' || *p == '/')
			break;			/* not a longer name with this prefix */
	}
	start = strchr(p, '>');
	if (!start)
		return -EBADMSG;
	if (start[-1] == '/') {
		out[0] = '\0';
		return 0;
	}
	start++;
	end = strstr(start, close);
	if (!end)
		return -EBADMSG;
	n = (size_t)(end - start);
	if (n >= len)
		return -EMSGSIZE;
	memcpy(out, start, n);
	out[n] = '\0';
	return xml_unescape(out) ? 0 : -EBADMSG;
}

/* Whether the root element (its own attributes, not what follows) says type="init". */
static bool root_is_init(const char *root, const char *root_end)
{
	const char *t = strstr(root, "type=\"init\"");

	return t && t < root_end;
}

int ac_auth_reply_parse(const char *xml, struct ac_auth_reply *out)
{
	const char *root = strstr(xml, "<config-auth"), *gt;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!root || !(gt = strchr(root, '>')))
		return -EBADMSG;
	out->init = root_is_init(root, gt);
	ret = element_text(root, "username", out->user, sizeof(out->user));
	if (ret == -EMSGSIZE || ret == -EBADMSG)
		return ret;
	out->has_user = !ret;
	ret = element_text(root, "password", out->password, sizeof(out->password));
	if (ret == -EMSGSIZE || ret == -EBADMSG)
		return ret;
	out->has_password = !ret;
	ret = element_text(root, "group-select", out->group, sizeof(out->group));
	if (ret == -EMSGSIZE || ret == -EBADMSG)
		return ret;
	return 0;
}
