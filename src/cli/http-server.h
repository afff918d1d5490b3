/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server's side of HTTP/1.1 over TLS, just complete enough for the logins
 * openconnect speaks to `zcvpn serve` (F5, Fortinet): one request at a time, headers
 * and a Content-Length body, each bounded in size and time; then an answer.  Bytes
 * that follow a request (Fortinet's client starts PPP right after its tunnel request)
 * are kept for the caller.
 */
#ifndef ZCVPN_SRC_CLI_HTTP_SERVER_H
#define ZCVPN_SRC_CLI_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_conn;

enum {
	HTTP_REQ_HEAD_MAX = 8192,	/* request line and headers */
	HTTP_REQ_BODY_MAX = 8192,
	HTTP_REQ_BUF = HTTP_REQ_HEAD_MAX + HTTP_REQ_BODY_MAX + 4096,
};

struct http_request {
	char method[16];
	char target[1024];		/* path and query, as sent */
	char *headers;			/* into buf: the header lines, NUL-terminated */
	char *body;			/* into buf, NUL-terminated */
	size_t body_len;
	const uint8_t *extra;		/* bytes after the request (into buf) */
	size_t extra_len;
	size_t used;
	char buf[HTTP_REQ_BUF + 1];
};

/*
 * What a wait serves meanwhile: when fd is readable, serve(ctx) runs (it must not
 * block).  The server's session runs so while a login waits for its client.
 */
struct http_wait {
	int fd;
	void (*serve)(void *ctx);
	void *ctx;
};

/*
 * Reads one request (the previous one's extra bytes first), serving w (NULL: nothing)
 * while it waits.  0; -ECONNRESET the client
 * closed; -ETIMEDOUT nothing whole within timeout_ms; -EMSGSIZE headers or body too
 * large; -EBADMSG not HTTP; -EIO.
 */
int http_read_request(struct tls_conn *c, struct http_request *r, unsigned timeout_ms,
		      const struct http_wait *w);
/* Lets ms go by, serving w (NULL: a plain sleep). */
void http_pause(const struct http_wait *w, unsigned ms);

/* A header's value (case-insensitive name), copied into out; false when absent. */
bool http_request_header(const struct http_request *r, const char *name, char *out,
			 size_t len);
/* A cookie's value from the Cookie header; false when absent. */
bool http_request_cookie(const struct http_request *r, const char *name, char *out,
			 size_t len);
/*
 * A field of an application/x-www-form-urlencoded string (a body or a query), decoded
 * into out; false when absent or too long.
 */
bool http_form_value(const char *form, const char *name, char *out, size_t len);
/* The path without its query, and the query ("" when none). */
void http_request_path(const struct http_request *r, char *path, size_t len,
		       const char **query);

/*
 * Answers with status and reason, extra header lines (each ending in \r\n, or NULL),
 * and a body (Content-Length set; NULL for none).  0 or -errno.
 */
int http_respond(struct tls_conn *c, int status, const char *reason, const char *headers,
		 const char *body);

#endif /* ZCVPN_SRC_CLI_HTTP_SERVER_H */
