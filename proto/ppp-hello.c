/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The F5 and Fortinet DTLS hellos (proto/ppp-hello.h): built and judged here so that
 * the transport sees only "accepted", "refused" or "malformed".
 */
#include "config.h"

#include "proto/ppp-hello.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/util/byteorder.h"

/* The fixed parts (C literals: each ends in the NUL the wire format wants). */
static const char fortinet_clthello[] = "GFtype\0clthello\0SVPNCOOKIE";
static const char fortinet_svrhello[] = "GFtype\0svrhello\0handshake";

#define F5_PATH "GET /myvpn?"

/* Session IDs and cookies travel in a query and a C string: printable, no separators. */
static bool session_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > PPP_HELLO_SESSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '&' || s[i] == '#' || s[i] == '%')
			return false;
	return true;
}

/* Standard base64 of in into out (room bytes, NUL-terminated); false when short. */
static bool base64(const char *in, char *out, size_t room)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;

	if (room < (n + 2) / 3 * 4 + 1)
		return false;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		out[o++] = digits[v >> 18 & 63];
		out[o++] = digits[v >> 12 & 63];
		out[o++] = i + 1 < n ? digits[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? digits[v & 63] : '=';
	}
	out[o] = '\0';
	return true;
}

static int f5_client(const struct ppp_hello_params *p, uint8_t *buf, size_t room)
{
	char name[128] = "", z[160] = "", host[160] = "";
	int n;

	if (p->local_name && !base64(p->local_name, name, sizeof(name)))
		return -EINVAL;
	if (p->f5_z && (!session_ok(p->f5_z) ||
			snprintf(z, sizeof(z), "&Z=%s", p->f5_z) >= (int)sizeof(z)))
		return -EINVAL;
	if (p->host && snprintf(host, sizeof(host), "Host: %s\r\n", p->host) >= (int)sizeof(host))
		return -EINVAL;
	/* openconnect's request, cookies left out so that it fits one datagram. */
	n = snprintf((char *)buf, room,
		     F5_PATH "sess=%s&hdlc_framing=no&ipv4=%s&ipv6=%s%s%s%s HTTP/1.1\r\n"
		     "%sUser-Agent: zcvpn\r\n\r\n",
		     p->session, p->ipv4 ? "yes" : "no", p->ipv6 ? "yes" : "no", z,
		     *name ? "&hostname=" : "", name, host);
	if (n < 0 || (size_t)n >= room)
		return -EMSGSIZE;
	return n;
}

static int fortinet_client(const struct ppp_hello_params *p, uint8_t *buf, size_t room)
{
	size_t cookie = strlen(p->session);
	size_t len = 2 + sizeof(fortinet_clthello) + cookie + 1;

	if (len > room)
		return -EMSGSIZE;
	put_be16(buf, (uint16_t)len);
	memcpy(buf + 2, fortinet_clthello, sizeof(fortinet_clthello));
	memcpy(buf + 2 + sizeof(fortinet_clthello), p->session, cookie + 1);
	return (int)len;
}

int ppp_hello_client(const struct ppp_hello_params *p, uint8_t *buf, size_t room)
{
	if (!p || !session_ok(p->session))
		return -EINVAL;
	switch (p->flavour) {
	case ZCVPN_PPP_F5:
		return f5_client(p, buf, room);
	case ZCVPN_PPP_FORTINET:
		return fortinet_client(p, buf, room);
	case ZCVPN_PPP_NULLPPP:
		break;		/* no DTLS, so no hello */
	}
	return -EINVAL;
}

/* ---- the server's side ------------------------------------------------------------- */

static bool session_equal(const uint8_t *got, size_t got_len, const char *want)
{
	size_t want_len = want ? strlen(want) : 0;

	return want_len && got_len == want_len && crypto_memeq(got, want, want_len);
}

/* The value of key (e.g. "sess=") in the query [q, end), or NULL. */
static const uint8_t *query_param(const uint8_t *q, const uint8_t *end, const char *key,
				  size_t *len)
{
	size_t klen = strlen(key);

	while (q < end) {
		const uint8_t *amp = memchr(q, '&', (size_t)(end - q));
		const uint8_t *stop = amp ? amp : end;

		if ((size_t)(stop - q) >= klen && !memcmp(q, key, klen)) {
			*len = (size_t)(stop - q - klen);
			return q + klen;
		}
		q = amp ? amp + 1 : end;
	}
	return NULL;
}

static bool query_says_no(const uint8_t *q, const uint8_t *end, const char *key)
{
	size_t len;
	const uint8_t *v = query_param(q, end, key, &len);

	return v && len == 2 && !memcmp(v, "no", 2);
}

static enum ppp_hello_verdict f5_check_client(const uint8_t *buf, size_t len,
					      const char *session, bool *ipv4, bool *ipv6)
{
	const size_t path = sizeof(F5_PATH) - 1;
	const uint8_t *q, *space, *sess;
	size_t sess_len;

	if (len < path + 4 || memcmp(buf, F5_PATH, path) ||
	    memcmp(buf + len - 4, "\r\n\r\n", 4))
		return PPP_HELLO_MALFORMED;
	q = buf + path;
	space = memchr(q, ' ', len - path);
	if (!space)
		return PPP_HELLO_MALFORMED;
	sess = query_param(q, space, "sess=", &sess_len);
	*ipv4 = !query_says_no(q, space, "ipv4=");
	*ipv6 = !query_says_no(q, space, "ipv6=");
	if (!sess || !session_equal(sess, sess_len, session))
		return PPP_HELLO_REFUSED;
	return PPP_HELLO_ACCEPTED;
}

static enum ppp_hello_verdict fortinet_check_client(const uint8_t *buf, size_t len,
						    const char *session)
{
	const size_t fixed = 2 + sizeof(fortinet_clthello);

	/* The cookie runs to a final NUL, and the length field counts it all. */
	if (len < fixed + 1 || get_be16(buf) != len || buf[len - 1] != '\0' ||
	    memcmp(buf + 2, fortinet_clthello, sizeof(fortinet_clthello)))
		return PPP_HELLO_MALFORMED;
	if (!session_equal(buf + fixed, len - fixed - 1, session))
		return PPP_HELLO_REFUSED;
	return PPP_HELLO_ACCEPTED;
}

enum ppp_hello_verdict ppp_hello_check_client(enum zcvpn_ppp_flavour flavour,
					      const uint8_t *buf, size_t len,
					      const char *session, bool *ipv4, bool *ipv6)
{
	*ipv4 = *ipv6 = true;
	if (flavour == ZCVPN_PPP_F5)
		return f5_check_client(buf, len, session, ipv4, ipv6);
	if (flavour == ZCVPN_PPP_FORTINET)
		return fortinet_check_client(buf, len, session);
	return PPP_HELLO_MALFORMED;
}

static int put_answer(uint8_t *buf, size_t room, const void *src, size_t len)
{
	if (len > room)
		return -EMSGSIZE;
	memcpy(buf, src, len);
	return (int)len;
}

int ppp_hello_server(enum zcvpn_ppp_flavour flavour, bool ok, uint8_t *buf, size_t room)
{
	static const char f5_ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	static const char f5_refused[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	uint8_t answer[2 + sizeof(fortinet_svrhello) + sizeof("fail")];
	const char *status = ok ? "ok" : "fail";
	size_t len;

	if (flavour == ZCVPN_PPP_F5)
		return ok ? put_answer(buf, room, f5_ok, sizeof(f5_ok) - 1) :
			    put_answer(buf, room, f5_refused, sizeof(f5_refused) - 1);
	if (flavour != ZCVPN_PPP_FORTINET)
		return -EINVAL;
	len = 2 + sizeof(fortinet_svrhello) + strlen(status) + 1;
	put_be16(answer, (uint16_t)len);
	memcpy(answer + 2, fortinet_svrhello, sizeof(fortinet_svrhello));
	memcpy(answer + 2 + sizeof(fortinet_svrhello), status, strlen(status) + 1);
	return put_answer(buf, room, answer, len);
}

/* "HTTP/1.x NNN ": the status, or -1. */
static int http_status(const uint8_t *buf, size_t len)
{
	if (len < 13 || memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ' || buf[12] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
	return (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
}

enum ppp_hello_verdict ppp_hello_check_server(enum zcvpn_ppp_flavour flavour,
					      const uint8_t *buf, size_t len)
{
	const size_t fixed = 2 + sizeof(fortinet_svrhello);
	int status;

	if (flavour == ZCVPN_PPP_F5) {
		status = http_status(buf, len);
		if (status < 0)
			return PPP_HELLO_MALFORMED;
		return status == 200 ? PPP_HELLO_ACCEPTED : PPP_HELLO_REFUSED;
	}
	if (flavour != ZCVPN_PPP_FORTINET || len < fixed || get_be16(buf) != len ||
	    memcmp(buf + 2, fortinet_svrhello, sizeof(fortinet_svrhello)))
		return PPP_HELLO_MALFORMED;
	/* "ok", with or without its NUL (openconnect compares up to one). */
	if ((len - fixed == 2 || (len - fixed == 3 && buf[len - 1] == '\0')) &&
	    !memcmp(buf + fixed, "ok", 2))
		return PPP_HELLO_ACCEPTED;
	return PPP_HELLO_REFUSED;
}
