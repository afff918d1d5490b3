/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn serve --protocol f5|fortinet|nullppp --listen ADDR:PORT`: the server end that
 * openconnect 9 logs in to.  A TLS listener on ADDR:PORT answers the vendor's login
 * (ppp-login.c; nullppp has none), and on the tunnel request the connection becomes
 * PPP over TLS, run by the library over the stream this file carries
 * (zcvpn_engine_set_stream).  F5 and Fortinet clients may then bring up DTLS on the same
 * port (UDP), where the engine runs PPP over DTLS with our in-place record layer and
 * data moves there; TLS stays the fallback.  One session at a time.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "src/cli/http-server.h"
#include "src/cli/ppp-login.h"
#include "src/cli/serve-session.h"
#include "src/cli/tcp-listen.h"

enum {
	POLL_MS = 200,
	LOGIN_TIMEOUT_MS = 20000,	/* per request: a slow or silent client is dropped */
};

static volatile int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct serve_opts {
	struct ppp_login_config login;
	const char *listen, *cert, *key, *tun_name;
	uint32_t mtu, dpd_s;
	uint64_t count, rate;
	bool once;
	struct cli_output out;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zcvpn serve --protocol f5|fortinet|nullppp --listen ADDR:PORT\n"
		"                   --cert FILE --key FILE [OPTIONS]\n"
		"\n"
		"The server end of PPP over TLS (and DTLS) that openconnect logs in to with\n"
		"--protocol=f5, fortinet or nullppp.  It assigns 10.77.0.2 to the client (its own\n"
		"address 10.77.0.1, DNS 10.77.0.53) by IPCP, and interface identifiers by IP6CP.\n"
		"\n"
		"  --listen ADDR:PORT      TLS on TCP, DTLS on UDP, both at ADDR:PORT\n"
		"  --cert FILE --key FILE  the server's certificate chain and key (PEM)\n"
		"  --user NAME --password PASS   the one account (f5, fortinet)\n"
		"  --tun NAME              the Linux tun device (needs root); default: the\n"
		"                          in-memory sink (no root)\n"
		"  --no-dtls               offer no DTLS: PPP over TLS only\n"
		"  --hdlc                  HDLC framing: f5's hdlc_framing=yes (no DTLS then),\n"
		"                          nullppp's -C hdlc\n"
		"  --mtu N                 inner MTU (default 1400)\n"
		"  --dpd SEC               LCP echo after SEC without traffic (default 30)\n"
		"  --count N               without --tun: in-memory packets to send each session\n"
		"                          (default 0: the sink only)\n"
		"  --rate PPS              ... and how many a second (default 0: at once)\n"
		"  --once                  exit after the first session\n"
		CLI_OUTPUT_HELP
		"  (the report and progress are each session's, at its end and while it runs)\n");
}

enum { OPT_PROTOCOL = 256, OPT_LISTEN, OPT_CERT, OPT_KEY, OPT_USER, OPT_PASSWORD, OPT_TUN,
       OPT_NO_DTLS, OPT_HDLC, OPT_MTU, OPT_DPD, OPT_COUNT, OPT_RATE, OPT_ONCE, OPT_HELP };

static const struct option long_opts[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "tun", required_argument, NULL, OPT_TUN },
	{ "no-dtls", no_argument, NULL, OPT_NO_DTLS },
	{ "hdlc", no_argument, NULL, OPT_HDLC },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "dpd", required_argument, NULL, OPT_DPD },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "help", no_argument, NULL, OPT_HELP },
	CLI_OUTPUT_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

static int parse_flavour(const char *s, enum zcvpn_ppp_flavour *f)
{
	if (!strcmp(s, "f5"))
		*f = ZCVPN_PPP_F5;
	else if (!strcmp(s, "fortinet"))
		*f = ZCVPN_PPP_FORTINET;
	else if (!strcmp(s, "nullppp"))
		*f = ZCVPN_PPP_NULLPPP;
	else
		return -EINVAL;
	return 0;
}

/* 0, 1 for --help, or -EINVAL after saying what was wrong. */
static int parse_opts(int argc, char **argv, struct serve_opts *o)
{
	bool have_protocol = false;
	uint64_t v = 0;
	int c, bad = 0;

	memset(o, 0, sizeof(*o));
	o->mtu = 1400;
	o->dpd_s = 30;
	cli_output_init(&o->out);
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		bad = cli_output_option(&o->out, c, optarg);
		if (bad) {
			if (bad < 0)
				return -EINVAL;
			bad = 0;
			continue;
		}
		switch (c) {
		case OPT_PROTOCOL:
			if (parse_flavour(optarg, &o->login.flavour)) {
				fprintf(stderr, "zcvpn: --protocol: f5, fortinet or nullppp (got '%s')\n",
					optarg);
				return -EINVAL;
			}
			have_protocol = true;
			break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_CERT: o->cert = optarg; break;
		case OPT_KEY: o->key = optarg; break;
		case OPT_USER: o->login.user = optarg; break;
		case OPT_PASSWORD: o->login.password = optarg; break;
		case OPT_TUN: o->tun_name = optarg; break;
		case OPT_NO_DTLS: o->login.no_dtls = true; break;
		case OPT_HDLC: o->login.hdlc = true; break;
		case OPT_MTU: bad = cli_parse_u64(optarg, 576, 9000, &v); o->mtu = (uint32_t)v; break;
		case OPT_DPD: bad = cli_parse_u64(optarg, 0, 86400, &v); o->dpd_s = (uint32_t)v; break;
		case OPT_COUNT: bad = cli_parse_u64(optarg, 0, UINT64_MAX / 2, &o->count); break;
		case OPT_RATE: bad = cli_parse_u64(optarg, 0, UINT64_MAX / 2, &o->rate); break;
		case OPT_ONCE: o->once = true; break;
		case 'h':
		case OPT_HELP: usage(stdout); return 1;
		default: usage(stderr); return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "zcvpn: bad value for --%s: '%s'\n",
				long_opts[c - OPT_PROTOCOL].name, optarg);
			return -EINVAL;
		}
	}
	if (!have_protocol || !o->listen || !o->cert || !o->key) {
		fprintf(stderr, "zcvpn: serve needs --protocol, --listen, --cert and --key (see --help)\n");
		return -EINVAL;
	}
	if (o->login.flavour != ZCVPN_PPP_NULLPPP && (!o->login.user || !o->login.password)) {
		fprintf(stderr, "zcvpn: --protocol f5 and fortinet need --user and --password\n");
		return -EINVAL;
	}
	if (o->login.hdlc && o->login.flavour == ZCVPN_PPP_FORTINET) {
		fprintf(stderr, "zcvpn: --hdlc is for f5 (Fortinet has no HDLC framing)\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- sessions and connections --------------------------------------------------------- */

struct server {
	struct serve_opts *opts;
	struct tls_server_creds *creds;
	struct serve_session *session;	/* the current one: its DTLS port is open */
	struct http_wait wait;		/* serves the session while a login waits */
	char local[300];		/* ADDR:PORT for the session's UDP socket */
};

static void serve_current_session(void *ctx)
{
	struct server *srv = ctx;

	serve_session_run(srv->session);
}

/* The next session: a fresh login ID, and the engine that will run it. */
static int prepare_session(struct server *srv)
{
	struct serve_opts *o = srv->opts;
	int ret;

	ret = ppp_login_init(&o->login);
	if (ret) {
		fprintf(stderr, "zcvpn: no random session ID: %s\n", strerror(-ret));
		return ret;
	}
	ret = serve_session_new(&srv->session, &(struct serve_session_config){
					.flavour = o->login.flavour,
					.session = ppp_login_session(&o->login),
					.local = srv->local,
					.cert_file = o->cert, .key_file = o->key,
					.tun_name = o->tun_name,
					.no_dtls = o->login.no_dtls, .hdlc = o->login.hdlc,
					.mtu = o->mtu, .dpd_s = o->dpd_s,
					.mem_count = o->count, .mem_rate = o->rate,
					.out = &o->out });
	if (ret)
		return ret;
	srv->wait = (struct http_wait){ .fd = serve_session_fd(srv->session),
					.serve = serve_current_session, .ctx = srv };
	o->login.wait = &srv->wait;
	return 0;
}

/* The connection asked for the tunnel: the session takes it over. */
static void start_tunnel(struct server *srv, struct tls_conn *tls, const struct http_request *req)
{
	int ret = serve_session_attach(srv->session, tls, req ? req->extra : NULL,
				       req ? req->extra_len : 0);

	if (ret == -EBUSY)
		fprintf(stderr, "zcvpn: refusing a second tunnel connection for the session\n");
}

/* One TLS connection: the login's requests, until the tunnel request or its end. */
static void serve_connection(struct server *srv, int fd)
{
	static struct http_request req;
	struct tls_conn *tls;
	char err[256];
	int ret;

	ret = tls_server_new(&tls, fd, srv->creds, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: TLS handshake with a client failed: %s\n", err);
		return;
	}
	memset(&req, 0, sizeof(req));
	if (srv->opts->login.flavour == ZCVPN_PPP_NULLPPP) {
		/* openconnect's nullppp starts PPP at once: no HTTP at all. */
		fprintf(stderr, "zcvpn: nullppp client connected (%s)\n", tls_description(tls));
		start_tunnel(srv, tls, NULL);
		return;
	}
	for (;;) {
		ret = http_read_request(tls, &req, LOGIN_TIMEOUT_MS, &srv->wait);
		if (ret) {
			/* A client that is done with a login connection often just closes it. */
			if (ret != -ECONNRESET && ret != -EIO)
				fprintf(stderr, "zcvpn: dropping a client: %s\n", strerror(-ret));
			tls_free(tls);
			return;
		}
		ret = ppp_login_handle(&srv->opts->login, tls, &req);
		if (ret < 0) {
			tls_free(tls);
			return;
		}
		if (ret == PPP_LOGIN_TUNNEL) {
			start_tunnel(srv, tls, &req);
			return;
		}
	}
}

/* Accepts and serves connections, and the session, until the session ends or a signal. */
static int serve_until_over(struct server *srv, int lfd)
{
	int result;

	while (!interrupted) {
		struct pollfd pfd[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = serve_session_fd(srv->session), .events = POLLIN },
		};

		if (poll(pfd, 2, POLL_MS) < 0 && errno != EINTR)
			return -errno;
		/* Timers too: the session ends on its own clock (a redial that never comes). */
		serve_session_run(srv->session);
		if (pfd[0].revents) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0)
				serve_connection(srv, fd);
		}
		if (serve_session_over(srv->session, &result))
			return result;
	}
	return 0;
}

static int split_local(struct server *srv, const char *listen, int port)
{
	const char *colon = strrchr(listen, ':');
	int n = snprintf(srv->local, sizeof(srv->local), "%.*s:%d", (int)(colon - listen),
			 listen, port);

	return n > 0 && (size_t)n < sizeof(srv->local) ? 0 : -EINVAL;
}

int cmd_serve_ppp(int argc, char **argv)
{
	static struct server srv;
	struct serve_opts o;
	char err[256], pin[128], host[256];
	int lfd, port = 0, ret;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	srv.opts = &o;
	ret = tls_server_creds_new(&srv.creds, &(struct tls_server_config){
					   .cert_file = o.cert, .key_file = o.key },
				   err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		return 2;
	}
	lfd = tcp_listen(o.listen, 8, &port, host, sizeof(host));
	if (lfd < 0 || split_local(&srv, o.listen, port)) {
		fprintf(stderr, "zcvpn: cannot listen on %s: %s\n", o.listen,
			strerror(lfd < 0 ? -lfd : EINVAL));
		if (lfd >= 0)
			close(lfd);
		tls_server_creds_free(srv.creds);
		return 2;
	}
	o.login.dtls_port = port;

	tls_server_creds_pin(srv.creds, pin, sizeof(pin));
	fprintf(stderr, "zcvpn: %s server listening on %s (TLS%s), certificate %s\n",
		o.login.flavour == ZCVPN_PPP_F5 ? "F5" :
		o.login.flavour == ZCVPN_PPP_FORTINET ? "Fortinet" : "nullppp",
		o.listen, o.login.flavour == ZCVPN_PPP_NULLPPP || o.login.no_dtls || o.login.hdlc ?
		"" : " and DTLS", pin);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = 0;
	while (!interrupted) {
		int result;

		if (prepare_session(&srv)) {
			ret = 2;
			break;
		}
		result = serve_until_over(&srv, lfd);
		serve_session_free(srv.session);
		srv.session = NULL;
		if (o.once && !interrupted) {
			ret = result ? 1 : 0;
			break;
		}
	}
	serve_session_free(srv.session);
	close(lfd);
	ppp_login_free(&o.login);
	tls_server_creds_free(srv.creds);
	return ret;
}
