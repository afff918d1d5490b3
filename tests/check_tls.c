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
 * Skips (exit 77) only when there is no openssl binary.  Every wait is bounded.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("client");

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
