/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CSTP TLS client contract (crypto/tls.h) checked through the contract only, so the
 * same suite runs against either backend, against a real server: `openssl s_server -rev`
 * (which answers each line reversed) on 127.0.0.1 with a fresh self-signed P-256
 * certificate.  The expected pin comes from the openssl command line, not from the code
 * under test.  Cases: the right pin (TLS 1.3 and 1.2) with a round trip, a wrong pin, no
 * pin against the untrusted certificate (by IP and by name), the exporter, reads that
 * must not wait and data left pending, a bulk transfer, a server that never answers the
 * handshake and one that hangs up, the peer's close_notify, and the argument checks.
 *
 * The server role (tls_server_*) is checked the same way, through the contract, with
 * the committed identities of tests/vectors/certs/ (RSA, ECDSA, and a chain) and their
 * committed pins: our client against our server over a socketpair (handshake, pins,
 * data both ways, 100 KB each way in uneven chunks with guards on every read, the
 * exporter equal at both ends, close_notify), handshakes in several threads sharing one
 * set of credentials, a client pinning another key, garbage or
 * silence instead of a ClientHello (refused at once or at the timeout, never later),
 * certificate and key files that must be refused naming the file, then other clients:
 * `openssl s_client` at TLS 1.3 and 1.2 (checking the chain and its exporter against
 * ours) and, when installed, openconnect with each protocol the driver serves.
 *
 * Skips (exit 77) only when there is no openssl binary.  Every wait is bounded.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/tls.h"

enum {
	START_TRIES = 3,
	START_WAIT_MS = 10000,		/* s_server up and listening */
	IO_TIMEOUT_MS = 5000,
	ERRLEN = 512,
	PIN_MAX = 128,
	EKM_LEN = 32,
};

static char tmpdir[] = "/tmp/check_tls.XXXXXX";
static char cert_path[256], key_path[256];
static char expected_pin[PIN_MAX];	/* "pin-sha256:..." as the openssl CLI computes it */

static pid_t server_pid = -1;
static unsigned server_port;

/* s_server's protocol flag per loop index: whatever it prefers (1.3), then 1.2. */
static const char *const proto_args[] = { NULL, "-tls1_2" };
static const char *const proto_names[] = { "TLS1.3", "TLS1.2" };

/* ---- helpers ---------------------------------------------------------------------- */

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A port that was free a moment ago (the kernel's choice for port 0). */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int connect_to(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s",
		      strerror(errno));
	return fd;
}

static bool file_contains(const char *path, const char *needle)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* ---- the server ------------------------------------------------------------------- */

static void server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	server_pid = -1;
}

/* One try: true once s_server says ACCEPT, false if it died or never did. */
static bool server_try_start(const char *proto_arg)
{
	char accept_arg[64], out_path[300];
	struct timespec t0;
	int status;

	server_port = free_port();
	snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%u", server_port);
	snprintf(out_path, sizeof(out_path), "%s/server.%u.out", tmpdir, server_port);
	/*
	 * An earlier server may have had this port, and its file says ACCEPT: gone before
	 * the fork, or the wait below could read it before the child truncates it.
	 */
	unlink(out_path);
	server_pid = fork();
	ck_assert_int_ge(server_pid, 0);
	if (!server_pid) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* Goes when the test process goes, however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0)
			_exit(127);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
		const char *argv[] = { "openssl", "s_server", "-accept", accept_arg,
				       "-cert", cert_path, "-key", key_path, "-rev",
				       proto_arg, NULL };

		/* execvp's argv is char *const[] for history's sake; it is not written. */
		execvp("openssl", (char *const *)argv);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (elapsed_ms(&t0) < START_WAIT_MS) {
		if (file_contains(out_path, "ACCEPT"))
			return true;
		if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
			server_pid = -1;
			return false;	/* e.g. the port was taken in between */
		}
		sleep_ms(20);
	}
	server_stop();
	return false;
}

static void server_start(const char *proto_arg)
{
	for (int i = 0; i < START_TRIES; i++)
		if (server_try_start(proto_arg))
			return;
	ck_abort_msg("openssl s_server did not start");
}

static void teardown_server(void)
{
	server_stop();
}

/* ---- connections ------------------------------------------------------------------ */

static int open_conn(struct tls_conn **c, const char *pin, const char *name,
		     unsigned timeout_ms, char *errbuf)
{
	struct tls_client_config cfg = {
		.server_name = name,
		.pin = pin,
		.timeout_ms = timeout_ms,
	};

	return tls_client_new(c, connect_to(server_port), &cfg, errbuf, ERRLEN);
}

static struct tls_conn *open_pinned(void)
{
	struct tls_conn *c = NULL;
	char err[ERRLEN];
	int ret = open_conn(&c, expected_pin, "test", IO_TIMEOUT_MS, err);

	ck_assert_msg(ret == 0, "tls_client_new: %d %s", ret, err);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Reads until a newline (included), with a bound on the whole wait. */
static size_t read_line(struct tls_conn *c, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size - 1 && (!got || buf[got - 1] != '\n')) {
		ssize_t n = tls_read(c, buf + got, size - 1 - got, IO_TIMEOUT_MS);

		ck_assert_msg(n > 0, "tls_read: %zd", n);
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

/* ---- tests ------------------------------------------------------------------------ */

START_TEST(test_pin_round_trip)
{
	struct tls_conn *c;
	char line[256], pin[PIN_MAX];
	const char *desc;

	server_start(proto_args[_i]);
	c = open_pinned();
	ck_assert_int_ge(tls_fd(c), 0);
	ck_assert_int_eq(tls_peer_pin(c, pin, sizeof(pin)), 0);
	ck_assert_str_eq(pin, expected_pin);
	ck_assert_int_eq(tls_peer_pin(c, pin, 5), -EIO);	/* too small */
	desc = tls_description(c);
	ck_assert_msg(!strncmp(desc, proto_names[_i], strlen(proto_names[_i])) &&
		      desc[strlen(proto_names[_i])] == ' ', "description \"%s\"", desc);

	ck_assert_int_eq(tls_write_all(c, "hello\n", 6), 0);
	read_line(c, line, sizeof(line));
	ck_assert_str_eq(line, "olleh\n");
	ck_assert_int_eq(tls_write_all(c, "zcvpn 123\n", 10), 0);
	read_line(c, line, sizeof(line));
	ck_assert_str_eq(line, "321 npvcz\n");
	tls_free(c);
}
END_TEST

/* More than a record and than one read at a time, both ways. */
START_TEST(test_bulk)
{
	enum { LINES = 300, LINE = 100 };
	static char out[LINES * LINE], in[LINES * LINE];
	struct tls_conn *c;
	size_t got = 0;

	server_start(NULL);
	c = open_pinned();
	for (int i = 0; i < LINES; i++) {
		char *l = out + i * LINE;

		for (int j = 0; j < LINE - 1; j++)
			l[j] = (char)('a' + (i + j * 7) % 26);
		l[LINE - 1] = '\n';
	}
	ck_assert_int_eq(tls_write_all(c, out, sizeof(out)), 0);
	while (got < sizeof(in)) {
		ssize_t n = tls_read(c, in + got, sizeof(in) - got, IO_TIMEOUT_MS);

		ck_assert_msg(n > 0, "tls_read: %zd after %zu", n, got);
		got += (size_t)n;
	}
	for (int i = 0; i < LINES; i++)
		for (int j = 0; j < LINE - 1; j++)
			ck_assert_int_eq(in[i * LINE + j], out[i * LINE + LINE - 2 - j]);
	tls_free(c);
}
END_TEST

START_TEST(test_wrong_pin)
{
	/* A well-formed pin of some other key. */
	static const char wrong[] = "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	struct tls_conn *c = (struct tls_conn *)&c;	/* must be cleared */
	char err[ERRLEN];
	int ret;

	server_start(NULL);
	ret = open_conn(&c, wrong, "test", IO_TIMEOUT_MS, err);
	ck_assert_int_eq(ret, -EACCES);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, expected_pin) != NULL, "message \"%s\" lacks %s", err,
		      expected_pin);
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "wrong pin: %s\n", err);
}
END_TEST

/* Without a pin the self-signed certificate is not trusted, by IP or by name. */
START_TEST(test_untrusted)
{
	static const char *const names[] = { "127.0.0.1", "test" };
	struct tls_conn *c = NULL;
	char err[ERRLEN];
	int ret;

	server_start(NULL);
	ret = open_conn(&c, NULL, names[_i], IO_TIMEOUT_MS, err);
	ck_assert_msg(ret == -EACCES || ret == -ECONNREFUSED, "ret %d: %s", ret, err);
	ck_assert_ptr_null(c);
	ck_assert_msg(err[0] != '\0', "no message");
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "untrusted %s: %d %s\n", names[_i], ret, err);
}
END_TEST

START_TEST(test_export)
{
	uint8_t a1[EKM_LEN], a2[EKM_LEN], b[EKM_LEN], other[EKM_LEN];
	static const char label[] = "EXPORTER-openconnect-psk";
	struct tls_conn *c;

	server_start(proto_args[_i]);
	c = open_pinned();
	ck_assert_int_eq(tls_export(c, label, a1, sizeof(a1)), 0);
	ck_assert_int_eq(tls_export(c, label, a2, sizeof(a2)), 0);
	ck_assert_mem_eq(a1, a2, sizeof(a1));
	ck_assert_int_eq(tls_export(c, "EXPORTER-something-else", other, sizeof(other)), 0);
	ck_assert(memcmp(a1, other, sizeof(a1)) != 0);
	tls_free(c);	/* s_server takes one connection at a time */

	c = open_pinned();
	ck_assert_int_eq(tls_export(c, label, b, sizeof(b)), 0);
	ck_assert(memcmp(a1, b, sizeof(a1)) != 0);
	tls_free(c);
}
END_TEST

START_TEST(test_read_idle)
{
	struct tls_conn *c;
	struct timespec t0;
	char buf[64];
	char line[64];

	server_start(NULL);
	c = open_pinned();
	/* Twice: the first may only consume TLS 1.3 session tickets. */
	for (int i = 0; i < 2; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(tls_read(c, buf, sizeof(buf), 0), -EAGAIN);
		ck_assert_int_lt(elapsed_ms(&t0), 200);
	}
	ck_assert_uint_eq(tls_pending(c), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(tls_read(c, buf, sizeof(buf), 300), -EAGAIN);
	ck_assert_int_ge(elapsed_ms(&t0), 280);
	ck_assert_int_lt(elapsed_ms(&t0), 2000);
	ck_assert_int_eq(tls_read(c, buf, 0, 0), 0);

	/* Still usable after the timeouts; a short read leaves the rest pending. */
	ck_assert_int_eq(tls_write_all(c, "abcdef\n", 7), 0);
	ck_assert_int_eq(tls_read(c, buf, 2, IO_TIMEOUT_MS), 2);
	memcpy(line, buf, 2);
	line[2] = '\0';
	ck_assert_str_eq(line, "fe");
	/* s_server sends the line in one record: the rest is decrypted and waiting. */
	ck_assert_uint_eq(tls_pending(c), 5);
	ck_assert_int_eq(tls_read(c, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "dcba\n", 5);
	ck_assert_uint_eq(tls_pending(c), 0);
	tls_free(c);
}
END_TEST

/* A listener that accepts nothing and says nothing: the handshake must give up. */
START_TEST(test_handshake_timeout)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct tls_conn *c = NULL;
	struct tls_client_config cfg = { .server_name = "test", .pin = expected_pin,
					 .timeout_ms = 400 };
	struct timespec t0;
	char err[ERRLEN];
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fd, ret;

	ck_assert_int_ge(lfd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	fd = connect_to(ntohs(a.sin_port));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = tls_client_new(&c, fd, &cfg, err, sizeof(err));
	ck_assert_msg(ret == -ETIMEDOUT, "ret %d: %s", ret, err);
	ck_assert_int_ge(elapsed_ms(&t0), 380);
	ck_assert_int_lt(elapsed_ms(&t0), 3000);
	ck_assert_ptr_null(c);
	/* The connection owned fd, failure included. */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	close(lfd);
}
END_TEST

/* A server that accepts and hangs up before a word: TLS failed, not a timeout. */
START_TEST(test_handshake_hangup)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct tls_conn *c = NULL;
	struct tls_client_config cfg = { .server_name = "test", .pin = expected_pin,
					 .timeout_ms = IO_TIMEOUT_MS };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct timespec t0;
	char err[ERRLEN];
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fd, afd, ret;

	ck_assert_int_ge(lfd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	fd = connect_to(ntohs(a.sin_port));
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	/* _i = 1: an RST rather than a FIN. */
	if (_i)
		ck_assert_int_eq(setsockopt(afd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(afd);
	sleep_ms(50);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = tls_client_new(&c, fd, &cfg, err, sizeof(err));
	ck_assert_msg(ret == -ECONNREFUSED, "ret %d: %s", ret, err);
	ck_assert_int_lt(elapsed_ms(&t0), 2000);
	ck_assert_ptr_null(c);
	ck_assert(err[0] != '\0');
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "hangup %d: %s\n", _i, err);
	close(lfd);
}
END_TEST

/* s_server -rev ends the connection on "CLOSE". */
START_TEST(test_peer_close)
{
	struct tls_conn *c;
	char buf[64];
	ssize_t n;
	int rounds = 0;

	server_start(proto_args[_i]);
	c = open_pinned();
	ck_assert_int_eq(tls_write_all(c, "CLOSE\n", 6), 0);
	/* It sends close_notify: a clean 0, in bounded time. */
	do {
		n = tls_read(c, buf, sizeof(buf), IO_TIMEOUT_MS);
	} while (n > 0 && ++rounds < 10);
	ck_assert_msg(n == 0, "tls_read: %zd", n);
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "peer close (%s): %zd\n", proto_names[_i], n);
	tls_free(c);
}
END_TEST

START_TEST(test_bad_args)
{
	struct tls_client_config cfg = { .server_name = "test", .pin = "sha256:abcd" };
	struct tls_conn *c = NULL;
	char err[ERRLEN];
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tls_client_new(&c, fd, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert(err[0] != '\0');
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);

	cfg.pin = NULL;
	cfg.server_name = NULL;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tls_client_new(&c, fd, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tls_client_new(NULL, fd, &cfg, NULL, 0), -EINVAL);
	ck_assert_int_eq(tls_client_new(&c, -1, &cfg, err, sizeof(err)), -EINVAL);

	tls_free(NULL);
	ck_assert_int_eq(tls_fd(NULL), -1);
	ck_assert_uint_eq(tls_pending(NULL), 0);
}
END_TEST

/* ---- our server: helpers ---------------------------------------------------------- */

static char vectors_dir[256];				/* $srcdir/tests/vectors/certs */
static char srv_tmpdir[] = "/tmp/check_tls_srv.XXXXXX";	/* files made per run */

/* A committed server identity: its chain, its key, and the pin openssl computed. */
struct vec {
	const char *name, *cert, *key, *pin;
};

static const struct vec vecs[] = {
	{ "rsa", "rsa.pem", "rsa-key.pem", "rsa.pin" },
	{ "ecdsa", "ecdsa.pem", "ecdsa-key.pem", "ecdsa.pin" },
	/* The leaf and an intermediate: the pin is the leaf's, so ecdsa's. */
	{ "chain", "chain.pem", "ecdsa-key.pem", "ecdsa.pin" },
};

static void vec_path(char *buf, size_t size, const char *name)
{
	ck_assert_int_lt(snprintf(buf, size, "%s/%s", vectors_dir, name), (int)size);
}

static void tmp_path(char *buf, size_t size, const char *name)
{
	ck_assert_int_lt(snprintf(buf, size, "%s/%s", srv_tmpdir, name), (int)size);
}

/* A .pin vector's text ("pin-sha256:..."), without its newline. */
static void vec_pin(const struct vec *v, char *out, size_t size)
{
	char path[512];
	size_t n;
	FILE *f;

	vec_path(path, sizeof(path), v->pin);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	n = fread(out, 1, size - 1, f);
	fclose(f);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	ck_assert_msg(!strncmp(out, "pin-sha256:", 11) && n == 11 + 44, "%s: \"%s\"", path,
		      out);
}

static struct tls_server_creds *load_creds(const struct vec *v, unsigned timeout_ms)
{
	char cert[512], key[512], err[ERRLEN];
	struct tls_server_config cfg = { .cert_file = cert, .key_file = key,
					 .timeout_ms = timeout_ms };
	struct tls_server_creds *creds = NULL;
	int ret;

	vec_path(cert, sizeof(cert), v->cert);
	vec_path(key, sizeof(key), v->key);
	ret = tls_server_creds_new(&creds, &cfg, err, sizeof(err));
	ck_assert_msg(ret == 0, "tls_server_creds_new(%s): %d %s", v->name, ret, err);
	ck_assert_ptr_nonnull(creds);
	return creds;
}

/* A loopback listener on a port of the kernel's choice. */
static int listen_any(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(lfd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return lfd;
}

/* accept() with a bound on the wait. */
static int accept_within(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	ck_assert_msg(poll(&pfd, 1, timeout_ms) == 1, "nobody connected in %d ms", timeout_ms);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/*
 * The server's half of a handshake, in a thread while the test runs the client's (both
 * calls block).  The thread only records: Check's assertions belong to the test's thread.
 */
struct accept_job {
	pthread_t th;
	int fd;
	const struct tls_server_creds *creds;
	struct tls_conn *conn;
	int ret;
	long ms;			/* how long tls_server_new took */
	char err[ERRLEN];
};

static void *accept_main(void *arg)
{
	struct accept_job *j = arg;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->ret = tls_server_new(&j->conn, j->fd, j->creds, j->err, sizeof(j->err));
	j->ms = elapsed_ms(&t0);
	return NULL;
}

static void accept_start(struct accept_job *j, int fd, const struct tls_server_creds *creds)
{
	memset(j, 0, sizeof(*j));
	j->fd = fd;
	j->creds = creds;
	j->conn = (struct tls_conn *)j;		/* must be set or cleared */
	ck_assert_int_eq(pthread_create(&j->th, NULL, accept_main, j), 0);
}

static void accept_wait(struct accept_job *j)
{
	ck_assert_int_eq(pthread_join(j->th, NULL), 0);
}

/* Our client (pinning pin) against our server over a socketpair; both must succeed. */
static void pair_open(const struct tls_server_creds *creds, const char *pin,
		      struct tls_conn **cli, struct tls_conn **srv)
{
	struct tls_client_config cfg = { .server_name = "vpn.zcvpn.test", .pin = pin,
					 .timeout_ms = IO_TIMEOUT_MS };
	struct accept_job j;
	char err[ERRLEN];
	int sv[2], ret;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	accept_start(&j, sv[1], creds);
	ret = tls_client_new(cli, sv[0], &cfg, err, sizeof(err));
	accept_wait(&j);
	ck_assert_msg(ret == 0, "tls_client_new: %d %s", ret, err);
	ck_assert_msg(j.ret == 0, "tls_server_new: %d %s", j.ret, j.err);
	ck_assert_ptr_nonnull(j.conn);
	ck_assert_int_eq(tls_fd(j.conn), sv[1]);
	*srv = j.conn;
}

/* Exactly len bytes from c, in reads of whatever size comes. */
static void read_exact(struct tls_conn *c, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = tls_read(c, (char *)buf + got, len - got, IO_TIMEOUT_MS);

		ck_assert_msg(n > 0, "tls_read: %zd after %zu of %zu", n, got, len);
		got += (size_t)n;
	}
}

/* Writes a buffer in chunks of changing sizes, in a thread (records only, as above). */
struct write_job {
	pthread_t th;
	struct tls_conn *c;
	const uint8_t *buf;
	size_t len;
	int ret;
};

static void *write_main(void *arg)
{
	static const size_t chunks[] = { 1, 100, 1000, 4096, 16384, 16385, 30000, 7 };
	struct write_job *j = arg;
	size_t off = 0;

	for (unsigned i = 0; off < j->len && !j->ret; i++) {
		size_t n = chunks[i % (sizeof(chunks) / sizeof(chunks[0]))];

		if (n > j->len - off)
			n = j->len - off;
		j->ret = tls_write_all(j->c, j->buf + off, n);
		off += n;
	}
	return NULL;
}

/* ---- our server: tests ------------------------------------------------------------ */

/* Per committed identity: handshake, pins, both directions, the exporter, close. */
START_TEST(test_server_pair)
{
	static const char label[] = "EXPORTER-openconnect-psk";
	const struct vec *v = &vecs[_i];
	struct tls_server_creds *creds;
	struct tls_conn *cli, *srv;
	char want[PIN_MAX], pin[PIN_MAX], buf[64];
	uint8_t ec[64], es[64], other[EKM_LEN];

	vec_pin(v, want, sizeof(want));
	creds = load_creds(v, IO_TIMEOUT_MS);
	ck_assert_int_eq(tls_server_creds_pin(creds, pin, sizeof(pin)), 0);
	ck_assert_str_eq(pin, want);
	ck_assert_int_eq(tls_server_creds_pin(creds, pin, 5), -EIO);	/* too small */

	pair_open(creds, want, &cli, &srv);
	ck_assert_int_eq(tls_peer_pin(cli, pin, sizeof(pin)), 0);
	ck_assert_str_eq(pin, want);
	ck_assert_int_eq(tls_peer_pin(srv, pin, sizeof(pin)), -ENOTSUP);
	/* Both ends through one library: the same words for the same session. */
	ck_assert_msg(!strncmp(tls_description(srv), "TLS1.3 ", 7), "server: \"%s\"",
		      tls_description(srv));
	ck_assert_str_eq(tls_description(cli), tls_description(srv));

	ck_assert_int_eq(tls_write_all(cli, "hello\n", 6), 0);
	read_exact(srv, buf, 6);
	ck_assert_mem_eq(buf, "hello\n", 6);
	ck_assert_int_eq(tls_write_all(srv, "abcdefg", 7), 0);
	/* A short read leaves the rest of the record pending, on a client of our server. */
	ck_assert_int_eq(tls_read(cli, buf, 2, IO_TIMEOUT_MS), 2);
	ck_assert_mem_eq(buf, "ab", 2);
	ck_assert_uint_eq(tls_pending(cli), 5);
	ck_assert_int_eq(tls_read(cli, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "cdefg", 5);
	/* And the server's own reads time out and wait as the client's do. */
	ck_assert_int_eq(tls_read(srv, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_uint_eq(tls_pending(srv), 0);

	/* RFC 5705: the DTLS PSK, the same bytes at both ends, per label and length. */
	for (size_t len = 16; len <= sizeof(ec); len *= 2) {
		ck_assert_int_eq(tls_export(cli, label, ec, len), 0);
		ck_assert_int_eq(tls_export(srv, label, es, len), 0);
		ck_assert_mem_eq(ec, es, len);
	}
	ck_assert_int_eq(tls_export(srv, "EXPORTER-something-else", other, sizeof(other)), 0);
	ck_assert(memcmp(es, other, sizeof(other)) != 0);

	/* The client's close_notify is a clean 0 at the server. */
	tls_free(cli);
	ck_assert_int_eq(tls_read(srv, buf, sizeof(buf), IO_TIMEOUT_MS), 0);
	tls_free(srv);
	tls_server_creds_free(creds);
}
END_TEST

/*
 * 100 KB each way in chunks of changing sizes, read in others, with a guard after each
 * read's buffer: tls_read must never give (or write) more than asked.  _i: bit 0 the
 * direction (0 client to server), bit 1 the identity (RSA, ECDSA).
 */
START_TEST(test_server_bulk)
{
	enum { LEN = 100 * 1024, GUARD = 16 };
	static const size_t asks[] = { 1, 13, 512, 4000, 16384, 16385, 65536 };
	static uint8_t out[LEN], in[LEN], tmp[65536 + GUARD];
	const struct vec *v = &vecs[_i >> 1];
	struct tls_server_creds *creds = load_creds(v, IO_TIMEOUT_MS);
	struct tls_conn *cli, *srv;
	struct write_job w = { 0 };
	char pin[PIN_MAX];
	size_t got = 0;

	vec_pin(v, pin, sizeof(pin));
	pair_open(creds, pin, &cli, &srv);
	for (size_t i = 0; i < LEN; i++)
		out[i] = (uint8_t)(i * 131 + (i >> 8) + _i);
	w.c = (_i & 1) ? srv : cli;
	w.buf = out;
	w.len = LEN;
	ck_assert_int_eq(pthread_create(&w.th, NULL, write_main, &w), 0);
	for (unsigned i = 0; got < LEN; i++) {
		size_t ask = asks[i % (sizeof(asks) / sizeof(asks[0]))];
		ssize_t n;

		if (ask > LEN - got)
			ask = LEN - got;
		memset(tmp + ask, 0xa5, GUARD);
		n = tls_read((_i & 1) ? cli : srv, tmp, ask, IO_TIMEOUT_MS);
		ck_assert_msg(n > 0, "tls_read: %zd after %zu", n, got);
		ck_assert_msg((size_t)n <= ask, "tls_read gave %zd for %zu", n, ask);
		for (int g = 0; g < GUARD; g++)
			ck_assert_uint_eq(tmp[ask + (size_t)g], 0xa5);
		memcpy(in + got, tmp, (size_t)n);
		got += (size_t)n;
	}
	ck_assert_int_eq(pthread_join(w.th, NULL), 0);
	ck_assert_int_eq(w.ret, 0);
	ck_assert_mem_eq(in, out, LEN);
	tls_free(cli);
	tls_free(srv);
	tls_server_creds_free(creds);
}
END_TEST

/* A client's half, in a thread, for handshakes that run at the same time. */
struct connect_job {
	pthread_t th;
	int fd;
	const char *pin;
	struct tls_conn *conn;
	int ret;
	char err[ERRLEN];
};

static void *connect_main(void *arg)
{
	struct connect_job *j = arg;
	struct tls_client_config cfg = { .server_name = "vpn.zcvpn.test", .pin = j->pin,
					 .timeout_ms = IO_TIMEOUT_MS };

	j->ret = tls_client_new(&j->conn, j->fd, &cfg, j->err, sizeof(j->err));
	return NULL;
}

/* One set of credentials, several handshakes in as many threads at once. */
START_TEST(test_server_shared)
{
	enum { PAIRS = 6 };
	static struct accept_job a[PAIRS];
	static struct connect_job c[PAIRS];
	uint8_t ec[EKM_LEN], es[EKM_LEN];
	struct tls_server_creds *creds = load_creds(&vecs[_i], IO_TIMEOUT_MS);
	char pin[PIN_MAX], buf[8];
	int sv[2];

	vec_pin(&vecs[_i], pin, sizeof(pin));
	for (int i = 0; i < PAIRS; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		memset(&c[i], 0, sizeof(c[i]));
		c[i].fd = sv[0];
		c[i].pin = pin;
		accept_start(&a[i], sv[1], creds);
		ck_assert_int_eq(pthread_create(&c[i].th, NULL, connect_main, &c[i]), 0);
	}
	for (int i = 0; i < PAIRS; i++) {
		ck_assert_int_eq(pthread_join(c[i].th, NULL), 0);
		accept_wait(&a[i]);
		ck_assert_msg(c[i].ret == 0, "client %d: %d %s", i, c[i].ret, c[i].err);
		ck_assert_msg(a[i].ret == 0, "server %d: %d %s", i, a[i].ret, a[i].err);
	}
	/* Separate sessions: each its own keys, each carrying its own data. */
	for (int i = 0; i < PAIRS; i++) {
		ck_assert_int_eq(tls_export(c[i].conn, "EXPORTER-openconnect-psk", ec,
					    sizeof(ec)), 0);
		ck_assert_int_eq(tls_export(a[i].conn, "EXPORTER-openconnect-psk", es,
					    sizeof(es)), 0);
		ck_assert_mem_eq(ec, es, sizeof(ec));
		if (i) {
			ck_assert_int_eq(tls_export(c[0].conn, "EXPORTER-openconnect-psk", es,
						    sizeof(es)), 0);
			ck_assert(memcmp(ec, es, sizeof(ec)) != 0);
		}
		snprintf(buf, sizeof(buf), "conn %d", i);
		ck_assert_int_eq(tls_write_all(a[i].conn, buf, 6), 0);
	}
	for (int i = 0; i < PAIRS; i++) {
		char want[8];

		snprintf(want, sizeof(want), "conn %d", i);
		read_exact(c[i].conn, buf, 6);
		ck_assert_mem_eq(buf, want, 6);
		tls_free(c[i].conn);
		tls_free(a[i].conn);
	}
	tls_server_creds_free(creds);
}
END_TEST

/* A client pinning some other key: -EACCES naming the real pin; the server fails too. */
START_TEST(test_server_wrong_pin)
{
	static const char wrong[] = "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	const struct vec *v = &vecs[_i];
	struct tls_server_creds *creds = load_creds(v, IO_TIMEOUT_MS);
	struct tls_client_config cfg = { .server_name = "vpn.zcvpn.test", .pin = wrong,
					 .timeout_ms = IO_TIMEOUT_MS };
	struct tls_conn *c = (struct tls_conn *)&c;	/* must be cleared */
	struct accept_job j;
	char want[PIN_MAX], err[ERRLEN];
	int sv[2], ret;

	vec_pin(v, want, sizeof(want));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	accept_start(&j, sv[1], creds);
	ret = tls_client_new(&c, sv[0], &cfg, err, sizeof(err));
	accept_wait(&j);
	ck_assert_int_eq(ret, -EACCES);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, want) != NULL, "message \"%s\" lacks %s", err, want);
	/* Told by an alert or by the hang-up, not by its timeout. */
	ck_assert_msg(j.ret == -ECONNREFUSED, "server: %d %s", j.ret, j.err);
	ck_assert_ptr_null(j.conn);
	ck_assert_int_lt(j.ms, IO_TIMEOUT_MS / 2);
	ck_assert(j.err[0] != '\0');
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "server, client refused %s: %s\n", v->name, j.err);
	tls_server_creds_free(creds);
}
END_TEST

/* What a confused or hostile client sends instead of a ClientHello. */
static const struct garbage {
	const char *name;
	const char *bytes;
	size_t len;
	bool hang_up;			/* then close its end */
	int want;			/* tls_server_new's errno */
} garbage[] = {
#define G(s) s, sizeof(s) - 1
	{ "plain HTTP", G("GET / HTTP/1.1\r\nHost: vpn.zcvpn.test\r\n\r\n"), false,
	  -ECONNREFUSED },
	{ "zeros", G("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), false, -ECONNREFUSED },
	/* A handshake record whose ClientHello is four bytes of nonsense. */
	{ "broken ClientHello", G("\x16\x03\x01\x00\x08\x01\x00\x00\x04junk"), false,
	  -ECONNREFUSED },
	{ "HTTP, then a hang-up", G("GET / HTTP/1.0\r\n\r\n"), true, -ECONNREFUSED },
	{ "half a record header", G("\x16\x03"), false, -ETIMEDOUT },
	/* A record header promising 16 KB, then 10 bytes and silence. */
	{ "a record cut short", G("\x16\x03\x01\x40\x00" "0123456789"), false, -ETIMEDOUT },
	{ "a record cut short, then a hang-up", G("\x16\x03\x01\x40\x00" "0123456789"), true,
	  -ECONNREFUSED },
#undef G
};

START_TEST(test_server_garbage)
{
	enum { TIMEOUT = 1000 };
	const struct garbage *g = &garbage[_i];
	struct tls_server_creds *creds = load_creds(&vecs[1], TIMEOUT);
	struct tls_conn *c = (struct tls_conn *)&c;	/* must be cleared */
	struct timespec t0;
	char err[ERRLEN];
	long ms;
	int sv[2], ret;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[0], g->bytes, g->len), (ssize_t)g->len);
	if (g->hang_up)
		ck_assert_int_eq(shutdown(sv[0], SHUT_WR), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = tls_server_new(&c, sv[1], creds, err, sizeof(err));
	ms = elapsed_ms(&t0);
	ck_assert_msg(ret == g->want, "%s: ret %d: %s", g->name, ret, err);
	ck_assert_ptr_null(c);
	ck_assert(err[0] != '\0');
	/* Refused at once, or given up on at the timeout, never later. */
	if (g->want == -ETIMEDOUT)
		ck_assert_int_ge(ms, TIMEOUT - 20);
	else
		ck_assert_int_lt(ms, TIMEOUT / 2);
	ck_assert_int_lt(ms, TIMEOUT + 1000);
	ck_assert_int_eq(fcntl(sv[1], F_GETFD), -1);	/* closed, failure included */
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "server, %s: %s\n", g->name, err);
	close(sv[0]);
	tls_server_creds_free(creds);
}
END_TEST

/* A TCP client that connects and says nothing: -ETIMEDOUT at the creds' timeout. */
START_TEST(test_server_silent)
{
	struct tls_server_creds *creds = load_creds(&vecs[0], 400);
	struct tls_conn *c = (struct tls_conn *)&c;
	struct timespec t0;
	char err[ERRLEN];
	unsigned port;
	int lfd = listen_any(&port), cfd, afd, ret;

	cfd = connect_to(port);
	afd = accept_within(lfd, IO_TIMEOUT_MS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = tls_server_new(&c, afd, creds, err, sizeof(err));
	ck_assert_msg(ret == -ETIMEDOUT, "ret %d: %s", ret, err);
	ck_assert_int_ge(elapsed_ms(&t0), 380);
	ck_assert_int_lt(elapsed_ms(&t0), 3000);
	ck_assert_ptr_null(c);
	ck_assert(err[0] != '\0');
	ck_assert_int_eq(fcntl(afd, F_GETFD), -1);
	close(cfd);
	close(lfd);
	tls_server_creds_free(creds);
}
END_TEST

/*
 * Files that must be refused with -EINVAL and a message naming the file at fault.  A
 * name starting with '@' is made per run in srv_tmpdir (setup_server_files).
 */
static const struct bad_files {
	const char *what;
	const char *cert, *key;
	bool blame_key;			/* the message names the key file, else the cert */
} bad_files[] = {
	{ "no cert file", "missing.pem", "rsa-key.pem", false },
	{ "no key file", "rsa.pem", "missing-key.pem", true },
	{ "RSA cert, ECDSA key", "rsa.pem", "ecdsa-key.pem", true },
	{ "ECDSA cert, RSA key", "ecdsa.pem", "rsa-key.pem", true },
	{ "chain, RSA key", "chain.pem", "rsa-key.pem", true },
	{ "broken cert", "bad.pem", "rsa-key.pem", false },
	{ "a key as the cert", "rsa-key.pem", "rsa-key.pem", false },
	{ "a cert as the key", "rsa.pem", "rsa.pem", true },
	{ "empty cert", "@empty.pem", "rsa-key.pem", false },
	{ "empty key", "rsa.pem", "@empty.pem", true },
	{ "directory as the cert", "@", "rsa-key.pem", false },
	{ "FIFO as the key", "rsa.pem", "@fifo", true },
	{ "CA before the leaf", "@unsorted.pem", "rsa-key.pem", false },
	{ "encrypted key", "rsa.pem", "@encrypted-key.pem", true },
};

static void bad_path(char *buf, size_t size, const char *name)
{
	if (name[0] == '@')
		tmp_path(buf, size, name + 1);
	else
		vec_path(buf, size, name);
}

START_TEST(test_server_bad_files)
{
	const struct bad_files *b = &bad_files[_i];
	char cert[512], key[512], err[ERRLEN], keyline[80] = "", path[512];
	struct tls_server_config cfg = { .cert_file = cert, .key_file = key };
	struct tls_server_creds *creds = (struct tls_server_creds *)&creds;
	FILE *f;
	int ret;

	bad_path(cert, sizeof(cert), b->cert);
	bad_path(key, sizeof(key), b->key);
	ret = tls_server_creds_new(&creds, &cfg, err, sizeof(err));
	ck_assert_msg(ret == -EINVAL, "%s: ret %d: %s", b->what, ret, err);
	ck_assert_ptr_null(creds);
	ck_assert_msg(strstr(err, b->blame_key ? key : cert) != NULL,
		      "%s: \"%s\" does not name %s", b->what, err, b->blame_key ? key : cert);
	/* Nothing of a key's text: its PEM armour, or the start of its base64. */
	ck_assert_msg(!strstr(err, "-----"), "%s: \"%s\"", b->what, err);
	vec_path(path, sizeof(path), "rsa-key.pem");
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(keyline, sizeof(keyline), f));	/* the armour */
	ck_assert_ptr_nonnull(fgets(keyline, 17, f));
	fclose(f);
	ck_assert_msg(!strstr(err, keyline), "%s: \"%s\"", b->what, err);
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "bad files, %s: %s\n", b->what, err);
}
END_TEST

START_TEST(test_server_bad_args)
{
	struct tls_server_config cfg = { .cert_file = NULL, .key_file = "k" };
	struct tls_server_creds *creds = NULL;
	struct tls_conn *c = NULL;
	char err[ERRLEN], buf[PIN_MAX];
	int fd;

	ck_assert_int_eq(tls_server_creds_new(&creds, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert(err[0] != '\0');
	ck_assert_int_eq(tls_server_creds_new(&creds, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(tls_server_creds_new(NULL, &cfg, NULL, 0), -EINVAL);
	tls_server_creds_free(NULL);
	ck_assert_int_eq(tls_server_creds_pin(NULL, buf, sizeof(buf)), -EIO);

	creds = load_creds(&vecs[1], 0);	/* 0: the default timeout */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tls_server_new(&c, fd, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert(err[0] != '\0');
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(tls_server_new(NULL, fd, creds, NULL, 0), -EINVAL);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(tls_server_new(&c, -1, creds, err, sizeof(err)), -EINVAL);
	tls_server_creds_free(creds);
}
END_TEST

/* ---- our server and other clients ------------------------------------------------- */

/*
 * A child running argv with stdin from in_fd (or /dev/null for -1) and its output in
 * out_path, killed if the test process goes.
 */
static pid_t spawn(const char *const *argv, int in_fd, const char *out_path)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || null < 0)
			_exit(127);
		dup2(null, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* waitpid within ms, else SIGKILL and wait; the exit status. */
static int reap(pid_t pid, long ms)
{
	struct timespec t0;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (elapsed_ms(&t0) < ms) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

static bool wait_file_contains(const char *path, const char *needle, long ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (file_contains(path, needle))
			return true;
		sleep_ms(20);
	} while (elapsed_ms(&t0) < ms);
	return false;
}

/*
 * `openssl s_client` (another implementation, for the GnuTLS build) against our server,
 * verifying the chain against the test CA and the name, and printing its exporter for
 * ours to match.  _i: TLS 1.3 with ECDSA, TLS 1.2 with RSA, TLS 1.2 with the chain.
 */
START_TEST(test_server_s_client)
{
	static const struct {
		int vec;
		const char *proto_arg, *proto;
	} rows[] = {
		{ 1, "-tls1_3", "TLS1.3" }, { 0, "-tls1_2", "TLS1.2" }, { 2, "-tls1_2", "TLS1.2" },
	};
	static const char label[] = "EXPORTER-openconnect-psk";
	struct tls_server_creds *creds = load_creds(&vecs[rows[_i].vec], IO_TIMEOUT_MS);
	struct tls_conn *srv = NULL;
	char connect_arg[64], ca[512], out_path[300], err[ERRLEN], buf[64], want[128];
	uint8_t ekm[EKM_LEN];
	unsigned port;
	int lfd = listen_any(&port), in[2], ret;
	pid_t pid;

	snprintf(connect_arg, sizeof(connect_arg), "127.0.0.1:%u", port);
	vec_path(ca, sizeof(ca), "ca.pem");
	snprintf(out_path, sizeof(out_path), "%s/s_client.%u.out", srv_tmpdir, port);
	/* O_CLOEXEC: a copy of the write end in the child would keep stdin from ending. */
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	const char *argv[] = { "openssl", "s_client", "-connect", connect_arg,
			       "-servername", "vpn.zcvpn.test", "-CAfile", ca,
			       "-verify_return_error", "-verify_hostname", "vpn.zcvpn.test",
			       "-keymatexport", label, "-keymatexportlen", "32",
			       rows[_i].proto_arg, NULL };
	pid = spawn(argv, in[0], out_path);
	close(in[0]);

	ret = tls_server_new(&srv, accept_within(lfd, IO_TIMEOUT_MS), creds, err, sizeof(err));
	ck_assert_msg(ret == 0, "tls_server_new: %d %s", ret, err);
	ck_assert_msg(!strncmp(tls_description(srv), rows[_i].proto, 6), "\"%s\"",
		      tls_description(srv));
	ck_assert_int_eq(tls_export(srv, label, ekm, sizeof(ekm)), 0);
	strcpy(want, "Keying material: ");
	for (size_t i = 0; i < sizeof(ekm); i++)
		snprintf(want + strlen(want), 3, "%02X", ekm[i]);

	ck_assert_int_eq(write(in[1], "ping\n", 5), 5);
	read_exact(srv, buf, 5);
	ck_assert_mem_eq(buf, "ping\n", 5);
	ck_assert_int_eq(tls_write_all(srv, "pong-from-zcvpn\n", 16), 0);
	ck_assert_msg(wait_file_contains(out_path, "pong-from-zcvpn", IO_TIMEOUT_MS),
		      "s_client did not print the reply (%s)", out_path);
	ck_assert_msg(file_contains(out_path, "Verify return code: 0 (ok)"),
		      "s_client did not verify the chain (%s)", out_path);
	ck_assert_msg(file_contains(out_path, want), "s_client's exporter is not %s (%s)",
		      want, out_path);
	/* stdin's end: s_client closes; its close_notify is a clean 0 here. */
	close(in[1]);
	ck_assert_int_eq(tls_read(srv, buf, sizeof(buf), IO_TIMEOUT_MS), 0);
	reap(pid, IO_TIMEOUT_MS);
	tls_free(srv);
	close(lfd);
	tls_server_creds_free(creds);
}
END_TEST

/*
 * Debian's openconnect (GnuTLS) logging in to our server with each protocol the driver
 * serves: the handshake must succeed with the pin we print, and its first request come
 * through.  Passes without a word when openconnect or timeout(1) is not installed.
 */
START_TEST(test_server_openconnect)
{
	static const char *const protos[] = { "anyconnect", "f5", "fortinet", "nullppp" };
	struct tls_server_creds *creds;
	struct tls_conn *srv = NULL;
	char url[64], proto_arg[64], servercert[PIN_MAX + 16], pin[PIN_MAX], out_path[300];
	char err[ERRLEN], buf[512];
	unsigned port;
	ssize_t n;
	int lfd, ret;
	pid_t pid;

	if (system("command -v openconnect >/dev/null 2>&1 && "
		   "command -v timeout >/dev/null 2>&1")) {
		fprintf(stderr, "no openconnect or timeout: skipping %s\n", protos[_i]);
		return;
	}
	creds = load_creds(&vecs[_i % 2], 10000);
	ck_assert_int_eq(tls_server_creds_pin(creds, pin, sizeof(pin)), 0);
	lfd = listen_any(&port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", port);
	snprintf(proto_arg, sizeof(proto_arg), "--protocol=%s", protos[_i]);
	snprintf(servercert, sizeof(servercert), "--servercert=%s", pin);
	snprintf(out_path, sizeof(out_path), "%s/openconnect.%u.out", srv_tmpdir, port);
	/* -k: openconnect may sit on a SIGTERM (a log-off attempt); then it is killed. */
	const char *argv[] = { "timeout", "-k", "1", "20", "openconnect", "--non-inter", "--no-proxy",
			       proto_arg, servercert, "--user=test", url, NULL };
	pid = spawn(argv, -1, out_path);

	ret = tls_server_new(&srv, accept_within(lfd, 10000), creds, err, sizeof(err));
	ck_assert_msg(ret == 0, "%s: tls_server_new: %d %s (see %s)", protos[_i], ret, err,
		      out_path);
	n = tls_read(srv, buf, sizeof(buf) - 1, 10000);
	ck_assert_msg(n > 0, "%s: tls_read: %zd (see %s)", protos[_i], n, out_path);
	buf[n] = '\0';
	/* nullppp starts PPP at once; the others with an HTTP request. */
	if (strcmp(protos[_i], "nullppp"))
		ck_assert_msg(!strncmp(buf, "GET /", 5) || !strncmp(buf, "POST /", 6),
			      "%s: first bytes \"%.40s\"", protos[_i], buf);
	if (getenv("CHECK_TLS_VERBOSE"))
		fprintf(stderr, "openconnect %s over %s: %zd bytes first\n", protos[_i],
			tls_description(srv), n);
	tls_free(srv);
	kill(pid, SIGTERM);
	reap(pid, IO_TIMEOUT_MS);
	close(lfd);
	tls_server_creds_free(creds);
}
END_TEST

/* ---- fixture ---------------------------------------------------------------------- */

static void read_pin_file(const char *path)
{
	char b64[PIN_MAX - sizeof("pin-sha256:")];
	size_t n;
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	n = fread(b64, 1, sizeof(b64) - 1, f);
	fclose(f);
	while (n && (b64[n - 1] == '\n' || b64[n - 1] == '\r'))
		n--;
	b64[n] = '\0';
	ck_assert_uint_eq(n, 44);	/* base64 of 32 bytes */
	snprintf(expected_pin, sizeof(expected_pin), "pin-sha256:%s", b64);
}

/* Once per run, in the runner: the key, the certificate and the pin they give. */
static void setup_cert(void)
{
	char cmd[1024], pin_path[256];

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", tmpdir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", tmpdir);
	snprintf(pin_path, sizeof(pin_path), "%s/pin", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout %s -out %s -days 1 -subj /CN=test >/dev/null 2>&1", key_path,
		 cert_path);
	ck_assert_int_eq(system(cmd), 0);
	/* openconnect's pin: SHA-256 over the DER SubjectPublicKeyInfo, in base64. */
	snprintf(cmd, sizeof(cmd),
		 "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform der | "
		 "openssl dgst -sha256 -binary | openssl base64 -A > %s", cert_path, pin_path);
	ck_assert_int_eq(system(cmd), 0);
	read_pin_file(pin_path);
}

static void teardown_cert(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/*
 * Once per run, in the runner: where the committed vectors are, and the few bad files
 * that are better made than committed.
 */
static void setup_server_files(void)
{
	const char *srcdir = getenv("srcdir");
	char path[512], cmd[2048], ca[512], rsa[512], key[512];
	FILE *f;

	snprintf(vectors_dir, sizeof(vectors_dir), "%s/tests/vectors/certs",
		 srcdir ? srcdir : ".");
	vec_path(rsa, sizeof(rsa), "rsa.pem");
	ck_assert_msg(access(rsa, R_OK) == 0,
		      "%s: %s (run with srcdir set, as make check does)", rsa, strerror(errno));
	vec_path(ca, sizeof(ca), "ca.pem");
	vec_path(key, sizeof(key), "rsa-key.pem");
	ck_assert_ptr_nonnull(mkdtemp(srv_tmpdir));

	tmp_path(path, sizeof(path), "empty.pem");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	tmp_path(path, sizeof(path), "fifo");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	tmp_path(path, sizeof(path), "unsorted.pem");
	snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s'", ca, rsa, path);
	ck_assert_int_eq(system(cmd), 0);
	tmp_path(path, sizeof(path), "encrypted-key.pem");
	snprintf(cmd, sizeof(cmd),
		 "openssl pkey -in '%s' -aes256 -passout pass:zcvpn-test -out '%s' 2>/dev/null",
		 key, path);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown_server_files(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", srv_tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", srv_tmpdir);
}

/* ---- tls_make_self_signed: zcvpn genkey's server certificate ---------------------- */

static const char *const self_signed_names[] = { "127.0.0.1", "vpn.example.org", "::1" };

/* Made, loaded by our server, taken by our client by the pin; the key private. */
START_TEST(test_self_signed)
{
	struct tls_server_creds *creds;
	struct tls_conn *cli, *srv;
	char cert[512], key[512], pin[PIN_MAX], err[256], buf[8];
	struct stat st;

	snprintf(buf, sizeof(buf), "ss%d", _i);
	tmp_path(cert, sizeof(cert), buf);
	snprintf(buf, sizeof(buf), "ss%dk", _i);
	tmp_path(key, sizeof(key), buf);
	ck_assert_int_eq(tls_make_self_signed(cert, key, self_signed_names[_i], 30, err,
					      sizeof(err)), 0);
	ck_assert_int_eq(stat(key, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(tls_server_creds_new(&creds, &(struct tls_server_config){
						      .cert_file = cert, .key_file = key,
						      .timeout_ms = IO_TIMEOUT_MS },
					      err, sizeof(err)), 0);
	ck_assert_int_eq(tls_server_creds_pin(creds, pin, sizeof(pin)), 0);
	pair_open(creds, pin, &cli, &srv);
	ck_assert_int_eq(tls_write_all(cli, "hello\n", 6), 0);
	read_exact(srv, buf, 6);
	ck_assert_mem_eq(buf, "hello\n", 6);
	tls_free(cli);
	tls_free(srv);
	tls_server_creds_free(creds);
	/* Never over an existing key: the first one stays as it was. */
	ck_assert_int_eq(tls_make_self_signed(cert, key, "other", 30, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "File exists"));
}
END_TEST

static const struct {
	const char *cert, *key, *name;
	unsigned days;
	const char *says;
} self_signed_bad[] = {
	{ "b0", "b0", "localhost", 30, "two files" },
	{ "", "b1k", "localhost", 30, "file name" },
	{ "b2", NULL, "localhost", 30, "file name" },
	{ "b3", "b3k", "", 30, "not a host name" },
	{ "b4", "b4k", "two words", 30, "not a host name" },
	{ "b5", "b5k", "localhost", 0, "1..3650" },
	{ "b6", "b6k", "localhost", 4000, "1..3650" },
};

/* Refused with a message, and no file left behind. */
START_TEST(test_self_signed_refused)
{
	char cert[512], key[512], err[256] = "";
	const char *c = self_signed_bad[_i].cert, *k = self_signed_bad[_i].key;

	if (c && *c)
		tmp_path(cert, sizeof(cert), c);
	if (k && *k)
		tmp_path(key, sizeof(key), k);
	ck_assert_int_eq(tls_make_self_signed(c && *c ? cert : c, k && *k ? key : k,
					      self_signed_bad[_i].name, self_signed_bad[_i].days,
					      err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, self_signed_bad[_i].says), "\"%s\"", err);
	if (k && *k)
		ck_assert_int_ne(access(key, F_OK), 0);
}
END_TEST

/* A certificate path that cannot be written: the key made first is removed again. */
START_TEST(test_self_signed_unwritable)
{
	char key[512], err[256];

	tmp_path(key, sizeof(key), "uw-key");
	ck_assert_int_eq(tls_make_self_signed("/nonexistent-dir/cert.pem", key, "localhost", 30,
					      err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/cert.pem"));
	ck_assert_int_ne(access(key, F_OK), 0);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("client");
	TCase *ts = tcase_create("server");

	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, setup_cert, teardown_cert);
	tcase_add_checked_fixture(tc, NULL, teardown_server);
	tcase_add_loop_test(tc, test_pin_round_trip, 0, 2);
	tcase_add_test(tc, test_bulk);
	tcase_add_test(tc, test_wrong_pin);
	tcase_add_loop_test(tc, test_untrusted, 0, 2);
	tcase_add_loop_test(tc, test_export, 0, 2);
	tcase_add_test(tc, test_read_idle);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_loop_test(tc, test_handshake_hangup, 0, 2);
	tcase_add_loop_test(tc, test_peer_close, 0, 2);
	tcase_add_test(tc, test_bad_args);
	suite_add_tcase(s, tc);

	tcase_set_timeout(ts, 60);
	tcase_add_unchecked_fixture(ts, setup_server_files, teardown_server_files);
	tcase_add_loop_test(ts, test_server_pair, 0, N(vecs));
	tcase_add_loop_test(ts, test_server_bulk, 0, 4);
	tcase_add_loop_test(ts, test_server_shared, 0, 2);
	tcase_add_loop_test(ts, test_server_wrong_pin, 0, N(vecs));
	tcase_add_loop_test(ts, test_server_garbage, 0, N(garbage));
	tcase_add_test(ts, test_server_silent);
	tcase_add_loop_test(ts, test_server_bad_files, 0, N(bad_files));
	tcase_add_test(ts, test_server_bad_args);
	tcase_add_loop_test(ts, test_server_s_client, 0, 3);
	tcase_add_loop_test(ts, test_server_openconnect, 0, 4);
	tcase_add_loop_test(ts, test_self_signed, 0, N(self_signed_names));
	tcase_add_loop_test(ts, test_self_signed_refused, 0, N(self_signed_bad));
	tcase_add_test(ts, test_self_signed_unwritable);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (system("openssl version >/dev/null 2>&1")) {
		fprintf(stderr, "no openssl binary: skipping\n");
		return 77;
	}
	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
