/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library-independent half of the CSTP TLS client (crypto/tls-internal.h):
 * tls_client_new's checks and socket setup before the backend takes over, the deadline
 * arithmetic and poll() loop every blocking step uses, and the failure messages.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/tls-internal.h"
#include "src/util/clock.h"

/* ---- time ------------------------------------------------------------------------- */

int64_t tls_now_ms(void)
{
	return (int64_t)(now_ns() / NSEC_PER_MSEC);
}

/* Milliseconds left before deadline, for poll(): never negative, never above INT_MAX. */
static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - tls_now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int tls_wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	for (;;) {
		ret = poll(&pfd, 1, remaining_ms(deadline));
		if (ret >= 0)
			return ret > 0;
		if (errno != EINTR)
			return -EIO;
	}
}

/* ---- setup ------------------------------------------------------------------------ */

bool tls_is_ip_literal(const char *name)
{
	uint8_t addr[16];

	return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

int tls_client_new(struct tls_conn **out, int fd, const struct tls_client_config *cfg,
		   char *errbuf, size_t errlen)
{
	char dummy[1];
	int flags, ret;

	if (!errbuf || !errlen) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	if (!out || fd < 0 || !cfg) {
		snprintf(errbuf, errlen, "invalid arguments");
		ret = -EINVAL;
		goto fail;
	}
	*out = NULL;
	/* Without a pin the name is what makes the CA check mean anything. */
	if (!cfg->pin && !cfg->server_name) {
		snprintf(errbuf, errlen, "a server name is needed without a pin");
		ret = -EINVAL;
		goto fail;
	}
	if (cfg->pin && strncmp(cfg->pin, TLS_PIN_PREFIX, sizeof(TLS_PIN_PREFIX) - 1)) {
		snprintf(errbuf, errlen, "the pin must be \"%sBASE64\"", TLS_PIN_PREFIX);
		ret = -EINVAL;
		goto fail;
	}
	/* Every blocking step is a poll() loop against a deadline, never a blocking call. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		snprintf(errbuf, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	ret = tls_backend_connect(out, fd, cfg,
				  cfg->timeout_ms ? cfg->timeout_ms : TLS_DEFAULT_TIMEOUT_MS,
				  errbuf, errlen);
	if (!ret)
		return 0;
fail:
	/* The connection owns fd from the call on, failure included. */
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ---- messages --------------------------------------------------------------------- */

int tls_err_pin_mismatch(char *errbuf, size_t errlen, const char *peer_pin)
{
	snprintf(errbuf, errlen,
		 "server certificate does not match the pin; the server's is %s", peer_pin);
	return -EACCES;
}

int tls_err_untrusted(char *errbuf, size_t errlen, const char *why, const char *peer_pin)
{
	snprintf(errbuf, errlen, "server certificate not trusted: %s (its pin is %s)", why,
		 peer_pin[0] ? peer_pin : "unknown");
	return -EACCES;
}

int tls_err_timeout(char *errbuf, size_t errlen, unsigned timeout_ms)
{
	snprintf(errbuf, errlen, "TLS handshake timed out after %u ms", timeout_ms);
	return -ETIMEDOUT;
}

int tls_copy_pin(const char *peer_pin, char *buf, size_t len)
{
	if (!buf || !peer_pin[0])
		return -EIO;
	if ((size_t)snprintf(buf, len, "%s", peer_pin) >= len)
		return -EIO;
	return 0;
}
