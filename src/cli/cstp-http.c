/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTPS for the CSTP control plane: the server's URL, the TCP connection and its TLS
 * session, and HTTP/1.1 requests and responses just complete enough for the AnyConnect
 * login and CONNECT (Content-Length bodies; no chunking, which neither ocserv nor an
 * ASA uses on these requests).
 */
#include "config.h"

#include "src/cli/cstp.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define USER_AGENT "Open AnyConnect VPN Agent v9.01 (zcvpn " PACKAGE_VERSION ")"

static int failf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int failf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int cstp_parse_url(const char *url, struct cstp_server *s, char *err, size_t errlen)
{
	const char *p, *host, *host_end, *port = "443";
	size_t port_len = 3;

	memset(s, 0, sizeof(*s));
	if (strncasecmp(url, "https://", 8))
		return failf(err, errlen, -EINVAL, "server URL must start with https:// (got '%s')",
			     url);
	host = url + 8;
	if (*host == '[') {		/* [IPv6]:port */
		host_end = strchr(host, ']');
		if (!host_end)
			return failf(err, errlen, -EINVAL, "unclosed '[' in '%s'", url);
		host++;
		p = host_end + 1;
	} else {
		host_end = host + strcspn(host, ":/");
		p = host_end;
	}
	if (host_end == host || (size_t)(host_end - host) >= sizeof(s->host))
		return failf(err, errlen, -EINVAL, "no usable host name in '%s'", url);
	if (*p == ':') {
		port = p + 1;
		port_len = strcspn(port, "/");
		if (!port_len || port_len >= sizeof(s->port) ||
		    strspn(port, "0123456789") != port_len)
			return failf(err, errlen, -EINVAL, "bad port in '%s'", url);
	}
	memcpy(s->host, host, (size_t)(host_end - host));
	memcpy(s->port, port, port_len);
	if (strchr(s->host, ':'))
		snprintf(s->host_header, sizeof(s->host_header), "[%s]:%s", s->host, s->port);
	else if (strcmp(s->port, "443"))
		snprintf(s->host_header, sizeof(s->host_header), "%s:%s", s->host, s->port);
	else
		snprintf(s->host_header, sizeof(s->host_header), "%s", s->host);
	return 0;
}

/* A blocking TCP connect bounded by the timeout: tried per resolved address. */
static int tcp_connect(const struct cstp_server *s, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { s->timeout_ms / 1000, (s->timeout_ms % 1000) * 1000 };
	int fd = -1, rc, last = ECONNREFUSED;

	rc = getaddrinfo(s->host, s->port, &hints, &res);
	if (rc)
		return failf(err, errlen, -EHOSTUNREACH, "cannot resolve %s: %s", s->host,
			     gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		last = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return failf(err, errlen, -last, "cannot connect to %s port %s: %s", s->host,
			     s->port, strerror(last));
	return fd;
}

int cstp_open(struct tls_conn **out, const struct cstp_server *s, char *err, size_t errlen)
{
	struct tls_client_config tc = {
		.server_name = s->host,
		.pin = s->pin,
		.timeout_ms = s->timeout_ms,
	};
	int fd = tcp_connect(s, err, errlen), ret;

	if (fd < 0)
		return fd;
	ret = tls_client_new(out, fd, &tc, err, errlen);
	/* A refused certificate is not a refused login: the callers tell them apart. */
	return ret == -EACCES ? -EKEYREJECTED : ret;
}

int cstp_peer_address(struct tls_conn *c, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int ret;

	if (getpeername(tls_fd(c), (struct sockaddr *)&ss, &sl))
		return -errno;
	ret = getnameinfo((struct sockaddr *)&ss, sl, out, (socklen_t)len, NULL, 0,
			  NI_NUMERICHOST);
	return ret ? -EINVAL : 0;
}

int http_send_request(struct tls_conn *c, const struct cstp_server *s, const char *method,
		      const char *path, const char *extra_headers, const char *body)
{
	size_t body_len = body ? strlen(body) : 0;
	char *req;
	int n, ret;

	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "User-Agent: " USER_AGENT "\r\n"
		     "Accept: */*\r\n"
		     "Accept-Encoding: identity\r\n"
		     "%s",
		     method, path, s->host_header, extra_headers ? extra_headers : "");
	if (n < 0)
		return -ENOMEM;
	ret = tls_write_all(c, req, (size_t)n);
	free(req);
	if (ret)
		return ret;
	if (body) {
		char len_hdr[64];

		n = snprintf(len_hdr, sizeof(len_hdr), "Content-Length: %zu\r\n\r\n", body_len);
		ret = tls_write_all(c, len_hdr, (size_t)n);
		if (!ret)
			ret = tls_write_all(c, body, body_len);
		return ret;
	}
	return tls_write_all(c, "\r\n", 2);
}

/*
 * Reads until the blank line; whatever came after it stays in r->extra.  tls_read()
 * promises only "up to len", so each read is bounded to what r->extra can take: the
 * blank line was not in the bytes before it, so it ends at least one byte into this
 * read, and at most len - 1 bytes of it can follow.
 */
static int read_head(struct tls_conn *c, struct http_response *r, unsigned timeout_ms,
		     char *err, size_t errlen)
{
	char buf[CSTP_MAX_HEADERS + sizeof(r->extra)];
	size_t have = 0, scan = 0, head_len;
	char *end, *first_eol;

	for (;;) {
		size_t room = sizeof(buf) - 1 - have;
		ssize_t n;

		buf[have] = '\0';
		end = strstr(buf + scan, "\r\n\r\n");
		if (end)
			break;
		/* A blank line the next read ends starts in its bytes or the 3 before them. */
		scan = have > 3 ? have - 3 : 0;
		if (have >= CSTP_MAX_HEADERS)
			return failf(err, errlen, -EPROTO, "response headers too long");
		n = tls_read(c, buf + have, room < sizeof(r->extra) ? room : sizeof(r->extra),
			     timeout_ms);
		if (n == 0)
			return failf(err, errlen, -ECONNRESET, "server closed the connection");
		if (n == -EAGAIN)
			return failf(err, errlen, -ETIMEDOUT, "no answer from the server");
		if (n < 0)
			return failf(err, errlen, (int)n, "reading the response: %s",
				     strerror((int)-n));
		have += (size_t)n;
	}
	head_len = (size_t)(end - buf);
	/* One read may bring the end of a header block that is already too long. */
	if (head_len + 2 >= sizeof(r->headers))
		return failf(err, errlen, -EPROTO, "response headers too long");
	*end = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
		return failf(err, errlen, -EPROTO, "not an HTTP response: '%.40s'", buf);
	/* Headers start after the status line; keep them with their line ends. */
	first_eol = strstr(buf, "\r\n");
	snprintf(r->headers, sizeof(r->headers), "%s\r\n", first_eol ? first_eol + 2 : "");
	r->extra_len = have - (head_len + 4);
	if (r->extra_len > sizeof(r->extra))
		return failf(err, errlen, -EPROTO, "internal: %zu bytes after the headers",
			     r->extra_len);
	memcpy(r->extra, end + 4, r->extra_len);
	return 0;
}

static int read_body(struct tls_conn *c, struct http_response *r, unsigned timeout_ms,
		     char *err, size_t errlen)
{
	char value[32];
	unsigned long len;

	if (http_header(r, "Content-Length", 0, value, sizeof(value)))
		return 0;
	len = strtoul(value, NULL, 10);
	if (len > CSTP_MAX_BODY)
		return failf(err, errlen, -EPROTO, "response body too large (%lu bytes)", len);
	r->body = malloc(len + 1);
	if (!r->body)
		return -ENOMEM;
	r->body_len = r->extra_len < len ? r->extra_len : len;
	memcpy(r->body, r->extra, r->body_len);
	r->extra_len = 0;
	while (r->body_len < len) {
		ssize_t n = tls_read(c, r->body + r->body_len, len - r->body_len, timeout_ms);

		if (n <= 0)
			return failf(err, errlen, n == 0 ? -ECONNRESET : -ETIMEDOUT,
				     "response body cut short");
		r->body_len += (size_t)n;
	}
	r->body[len] = '\0';
	return 0;
}

int http_read_response(struct tls_conn *c, struct http_response *r, bool expect_body,
		       unsigned timeout_ms, char *err, size_t errlen)
{
	int ret;

	r->body = NULL;
	r->body_len = 0;
	ret = read_head(c, r, timeout_ms, err, errlen);
	if (!ret && expect_body)
		ret = read_body(c, r, timeout_ms, err, errlen);
	if (ret)
		http_response_free(r);
	return ret;
}

void http_response_free(struct http_response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

int http_header(const struct http_response *r, const char *name, unsigned n, char *out,
		size_t len)
{
	size_t name_len = strlen(name);
	const char *line = r->headers;

	while (*line) {
		const char *eol = strstr(line, "\r\n");
		size_t line_len = eol ? (size_t)(eol - line) : strlen(line);

		if (line_len > name_len && line[name_len] == ':' &&
		    !strncasecmp(line, name, name_len) && n-- == 0) {
			const char *v = line + name_len + 1;
			size_t vlen;

			while (*v == ' ' || *v == '\t')
				v++;
			vlen = line_len - (size_t)(v - line);
			if (vlen >= len)
				return -ENOSPC;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		if (!eol)
			break;
		line = eol + 2;
	}
	return -ENOENT;
}
