/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library-independent half of the CSTP TLS client and server (crypto/tls-internal.h):
 * tls_client_new's and tls_server_new's checks and socket setup before the backend takes
 * over, reading the server's certificate and key files (so "cannot read" names the file
 * the same way for both backends, and the key's bytes are wiped in one place), the
 * deadline arithmetic and poll() loop every blocking step uses, and the failure messages.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* Every blocking step is a poll() loop against a deadline, never a blocking call. */
static int set_nonblock(int fd, char *errbuf, size_t errlen)
{
	int flags = fcntl(fd, F_GETFL), ret;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		snprintf(errbuf, errlen, "socket: %s", strerror(errno));
		return ret;
	}
	return 0;
}

int tls_client_new(struct tls_conn **out, int fd, const struct tls_client_config *cfg,
		   char *errbuf, size_t errlen)
{
	char dummy[1];
	int ret;

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
	ret = set_nonblock(fd, errbuf, errlen);
	if (ret)
		goto fail;
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

/* ---- the server role -------------------------------------------------------------- */

static void file_free(struct tls_file *f)
{
	if (f->data) {
		/* It may be the private key. */
		explicit_bzero(f->data, f->len);
		free(f->data);
	}
	f->data = NULL;
	f->len = 0;
}

/* The whole of a (small) file, NUL-terminated.  0, or -EINVAL/-ENOMEM with a message. */
static int file_read(struct tls_file *f, const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	size_t size;
	ssize_t n;
	int fd, ret;

	f->data = NULL;
	f->len = 0;
	/* O_NONBLOCK: opening a FIFO would wait for a writer; a regular file ignores it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return tls_err_file(errbuf, errlen, path, strerror(errno));
	/* A FIFO or a device could have read() block, or never end. */
	if (fstat(fd, &st)) {
		ret = tls_err_file(errbuf, errlen, path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = tls_err_file(errbuf, errlen, path,
				   S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		goto cleanup;
	}
	if (st.st_size > TLS_FILE_MAX) {
		ret = tls_err_file(errbuf, errlen, path, "too large for a PEM file");
		goto cleanup;
	}
	size = (size_t)st.st_size;
	f->data = malloc(size + 1);
	if (!f->data) {
		snprintf(errbuf, errlen, "out of memory");
		ret = -ENOMEM;
		goto cleanup;
	}
	/* What fstat saw; a file that grows meanwhile is read as it was. */
	while (f->len < size) {
		n = read(fd, f->data + f->len, size - f->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = tls_err_file(errbuf, errlen, path, strerror(errno));
			goto cleanup;
		}
		if (!n)
			break;
		f->len += (size_t)n;
	}
	f->data[f->len] = '\0';
	ret = 0;
cleanup:
	close(fd);
	if (ret)
		file_free(f);
	return ret;
}

int tls_server_creds_new(struct tls_server_creds **out, const struct tls_server_config *cfg,
			 char *errbuf, size_t errlen)
{
	struct tls_file cert = { NULL, 0 }, key = { NULL, 0 };
	char dummy[1];
	int ret;

	if (!errbuf || !errlen) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	if (!out || !cfg || !cfg->cert_file || !cfg->key_file) {
		snprintf(errbuf, errlen,
			 "invalid arguments: a certificate and a key file are needed");
		return -EINVAL;
	}
	*out = NULL;
	ret = file_read(&cert, cfg->cert_file, errbuf, errlen);
	if (ret)
		goto cleanup;
	ret = file_read(&key, cfg->key_file, errbuf, errlen);
	if (ret)
		goto cleanup;
	ret = tls_backend_creds(out, cfg, &cert, &key,
				cfg->timeout_ms ? cfg->timeout_ms : TLS_DEFAULT_TIMEOUT_MS,
				errbuf, errlen);
cleanup:
	file_free(&key);
	file_free(&cert);
	return ret;
}

int tls_server_new(struct tls_conn **out, int fd, const struct tls_server_creds *creds,
		   char *errbuf, size_t errlen)
{
	char dummy[1];
	int ret;

	if (!errbuf || !errlen) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	if (!out || fd < 0 || !creds) {
		snprintf(errbuf, errlen, "invalid arguments");
		ret = -EINVAL;
		goto fail;
	}
	*out = NULL;
	ret = set_nonblock(fd, errbuf, errlen);
	if (ret)
		goto fail;
	ret = tls_backend_accept(out, fd, creds, errbuf, errlen);
	if (!ret)
		return 0;
fail:
	/* As for the client: fd is the connection's from the call on, failure included. */
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

int tls_err_file(char *errbuf, size_t errlen, const char *path, const char *why)
{
	snprintf(errbuf, errlen, "%s: %s", path, why);
	return -EINVAL;
}

int tls_err_key_mismatch(char *errbuf, size_t errlen, const struct tls_server_config *cfg)
{
	snprintf(errbuf, errlen, "%s: not the private key of the certificate in %s",
		 cfg->key_file, cfg->cert_file);
	return -EINVAL;
}

int tls_copy_pin(const char *peer_pin, char *buf, size_t len)
{
	if (!buf || !peer_pin[0])
		return -EIO;
	if ((size_t)snprintf(buf, len, "%s", peer_pin) >= len)
		return -EIO;
	return 0;
}

int tls_check_self_signed_args(const char *cert_path, const char *key_path, const char *name,
			       unsigned days, char *errbuf, size_t errlen)
{
	if (!cert_path || !*cert_path || !key_path || !*key_path) {
		snprintf(errbuf, errlen, "a certificate and a key file name are needed");
		return -EINVAL;
	}
	if (!strcmp(cert_path, key_path)) {
		snprintf(errbuf, errlen, "the certificate and the key need two files");
		return -EINVAL;
	}
	if (!name || !*name || strlen(name) > 253 || strpbrk(name, " ,/\\\"")) {
		snprintf(errbuf, errlen, "'%s' is not a host name or address", name ? name : "");
		return -EINVAL;
	}
	if (days < 1 || days > 3650) {
		snprintf(errbuf, errlen, "validity of %u days: want 1..3650", days);
		return -EINVAL;
	}
	return 0;
}

/* All of data into a new file at path (O_EXCL: never over another). */
static int write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode), ret = 0;

	if (fd < 0)
		return -errno;
	while (len && !ret) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

int tls_save_key_pair(const char *cert_path, const void *cert, size_t cert_len,
		      const char *key_path, const void *key, size_t key_len, char *errbuf,
		      size_t errlen)
{
	int ret = write_new_file(key_path, key, key_len, 0600);

	if (ret) {
		snprintf(errbuf, errlen, "%s: %s", key_path, strerror(-ret));
		return ret;
	}
	ret = write_new_file(cert_path, cert, cert_len, 0644);
	if (ret) {
		snprintf(errbuf, errlen, "%s: %s", cert_path, strerror(-ret));
		unlink(key_path);
	}
	return ret;
}
