/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP requests in, answers out, on the server's TLS connections (http-server.h).
 */
#include "config.h"

#include "src/cli/http-server.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto/tls.h"

enum { RECORD_WAIT_MS = 50 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Waits until c has bytes or until deadline, serving w (when given) whenever its fd is
 * readable meanwhile.  0 when c has bytes, -ETIMEDOUT, or -errno.
 */
static int wait_readable(struct tls_conn *c, const struct http_wait *w, double deadline)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = tls_fd(c), .events = POLLIN },
			{ .fd = w ? w->fd : -1, .events = POLLIN },
		};
		double left = deadline - now_s();
		int n;

		if (tls_pending(c))
			return 0;
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(pfd, 2, (int)(left * 1000) + 1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && pfd[1].revents)
			w->serve(w->ctx);
		if (n > 0 && pfd[0].revents)
			return 0;
	}
}

/* Reads more into r->buf, waiting at most until deadline. */
static int read_more(struct tls_conn *c, struct http_request *r, const struct http_wait *w,
		     double deadline)
{
	ssize_t n;
	int ret;

	if (r->used >= HTTP_REQ_BUF)
		return -EMSGSIZE;
	ret = wait_readable(c, w, deadline);
	if (ret)
		return ret;
	/* Readable, but a TLS record may still be arriving in parts: a short wait more. */
	n = tls_read(c, r->buf + r->used, HTTP_REQ_BUF - r->used, RECORD_WAIT_MS);
	if (n == 0)
		return -ECONNRESET;
	if (n == -EAGAIN)
		return 0;	/* not a whole record yet: the next wait serves w meanwhile */
	if (n < 0)
		return (int)n;
	r->used += (size_t)n;
	return 0;
}

void http_pause(const struct http_wait *w, unsigned ms)
{
	double deadline = now_s() + ms / 1000.0;

	for (;;) {
		struct pollfd pfd = { .fd = w ? w->fd : -1, .events = POLLIN };
		double left = deadline - now_s();

		if (left <= 0)
			return;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) > 0 && pfd.revents)
			w->serve(w->ctx);
	}
}

static size_t content_length(const char *headers)
{
	const char *p = headers;

	while ((p = strchr(p, '\n'))) {
		p++;
		if (!strncasecmp(p, "Content-Length:", 15))
			return (size_t)strtoul(p + 15, NULL, 10);
	}
	return 0;
}

/* "METHOD /target HTTP/1.x": the method in capitals, the target from the root. */
static int parse_request_line(struct http_request *r)
{
	const char *sp = strchr(r->buf, ' '), *sp2;
	size_t mlen, tlen;

	if (!sp)
		return -EBADMSG;
	mlen = (size_t)(sp - r->buf);
	sp2 = strchr(sp + 1, ' ');
	if (!mlen || mlen >= sizeof(r->method) || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7))
		return -EBADMSG;
	tlen = (size_t)(sp2 - sp - 1);
	if (!tlen || tlen >= sizeof(r->target) || sp[1] != '/')
		return -EBADMSG;
	for (size_t i = 0; i < mlen; i++)
		if (!isupper((unsigned char)r->buf[i]))
			return -EBADMSG;
	memcpy(r->method, r->buf, mlen);
	r->method[mlen] = '\0';
	memcpy(r->target, sp + 1, tlen);
	r->target[tlen] = '\0';
	return 0;
}

int http_read_request(struct tls_conn *c, struct http_request *r, unsigned timeout_ms,
		      const struct http_wait *w)
{
	double deadline = now_s() + timeout_ms / 1000.0;
	size_t keep = r->extra_len, head_len, body_len;
	char *end;
	int ret;

	/* What followed the last request starts this one. */
	if (keep)
		memmove(r->buf, r->extra, keep);
	r->used = keep;
	r->extra_len = 0;
	for (;;) {
		r->buf[r->used] = '\0';
		end = strstr(r->buf, "\r\n\r\n");
		if (end)
			break;
		if (r->used > HTTP_REQ_HEAD_MAX)
			return -EMSGSIZE;
		ret = read_more(c, r, w, deadline);
		if (ret)
			return ret;
	}
	head_len = (size_t)(end - r->buf) + 4;
	if (head_len > HTTP_REQ_HEAD_MAX)
		return -EMSGSIZE;
	*end = '\0';
	ret = parse_request_line(r);
	if (ret)
		return ret;
	body_len = content_length(r->buf);
	if (body_len > HTTP_REQ_BODY_MAX)
		return -EMSGSIZE;
	while (r->used < head_len + body_len) {
		ret = read_more(c, r, w, deadline);
		if (ret)
			return ret;
	}
	/* The headers start after the request line. */
	r->headers = strstr(r->buf, "\r\n");
	r->headers = r->headers ? r->headers + 2 : end;
	/* The body gets a NUL after it: the extra bytes move up one (buf has the room). */
	r->body = r->buf + head_len;
	r->body_len = body_len;
	r->extra_len = r->used - head_len - body_len;
	memmove(r->body + body_len + 1, r->body + body_len, r->extra_len);
	r->body[body_len] = '\0';
	r->extra = (const uint8_t *)r->body + body_len + 1;
	r->used++;
	return 0;
}

bool http_request_header(const struct http_request *r, const char *name, char *out,
			 size_t len)
{
	size_t n = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t line = eol ? (size_t)(eol - p) : strlen(p);

		if (line > n && !strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1;
			size_t vlen;

			while (*v == ' ' || *v == '\t')
				v++;
			vlen = line - (size_t)(v - p);
			if (vlen >= len)
				return false;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = eol ? eol + 2 : NULL;
	}
	return false;
}

bool http_request_cookie(const struct http_request *r, const char *name, char *out,
			 size_t len)
{
	char cookies[2048];
	size_t n = strlen(name);
	char *p = cookies;

	if (!http_request_header(r, "Cookie", cookies, sizeof(cookies)))
		return false;
	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			size_t vlen = strcspn(p + n + 1, ";");

			if (vlen >= len)
				return false;
			memcpy(out, p + n + 1, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = strchr(p, ';');
		if (p)
			p++;
	}
	return false;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool http_form_value(const char *form, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	const char *p = form;

	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == '=') {
			size_t o = 0;

			for (p += n + 1; *p && *p != '&'; p++) {
				int c = *p == '+' ? ' ' : *p;

				if (c == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
					c = hexval(p[1]) << 4 | hexval(p[2]);
					p += 2;
				}
				if (o + 1 >= len)
					return false;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return true;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return false;
}

void http_request_path(const struct http_request *r, char *path, size_t len,
		       const char **query)
{
	const char *q = strchr(r->target, '?');
	size_t n = q ? (size_t)(q - r->target) : strlen(r->target);

	if (n >= len)
		n = len - 1;
	memcpy(path, r->target, n);
	path[n] = '\0';
	*query = q ? q + 1 : "";
}

int http_respond(struct tls_conn *c, int status, const char *reason, const char *headers,
		 const char *body)
{
	size_t body_len = body ? strlen(body) : 0;
	char head[4096];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nServer: zcvpn\r\nContent-Length: %zu\r\n%s\r\n", status,
		     reason, body_len, headers ? headers : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EMSGSIZE;
	n = tls_write_all(c, head, (size_t)n);
	if (!n && body_len)
		n = tls_write_all(c, body, body_len);
	return n;
}
