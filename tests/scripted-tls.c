/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scripted connection of tests/scripted-tls.h: crypto/tls.h's calls over a script. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/tls.h"
#include "tests/scripted-tls.h"

ssize_t tls_read(struct tls_conn *c, void *buf, size_t len, unsigned timeout_ms)
{
	size_t n = c->len - c->at;

	(void)timeout_ms;
	if (!n)
		return 0;	/* the server closed */
	if (n > len)
		n = len;
	if (c->chunk && n > c->chunk)
		n = c->chunk;
	memcpy(buf, c->data + c->at, n);
	c->at += n;
	return (ssize_t)n;
}

int tls_write_all(struct tls_conn *c, const void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return 0;
}

int tls_fd(const struct tls_conn *c)
{
	(void)c;
	return -1;
}

int tls_client_new(struct tls_conn **out, int fd, const struct tls_client_config *cfg,
		   char *errbuf, size_t errlen)
{
	(void)out;
	(void)fd;
	(void)cfg;
	snprintf(errbuf, errlen, "a scripted connection cannot dial");
	return -ENOSYS;
}
