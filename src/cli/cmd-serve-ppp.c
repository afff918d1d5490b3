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

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "src/cli/http-server.h"
#include "src/cli/netcfg.h"
#include "src/cli/ppp-login.h"

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
	bool once;
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
		"  --once                  exit after the first session\n");
}

enum { OPT_PROTOCOL = 256, OPT_LISTEN, OPT_CERT, OPT_KEY, OPT_USER, OPT_PASSWORD, OPT_TUN,
       OPT_NO_DTLS, OPT_HDLC, OPT_MTU, OPT_DPD, OPT_ONCE, OPT_HELP };

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
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "help", no_argument, NULL, OPT_HELP },
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
	int c;

	memset(o, 0, sizeof(*o));
	o->mtu = 1400;
	o->dpd_s = 30;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
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
		case OPT_MTU: o->mtu = (uint32_t)strtoul(optarg, NULL, 10); break;
		case OPT_DPD: o->dpd_s = (uint32_t)strtoul(optarg, NULL, 10); break;
		case OPT_ONCE: o->once = true; break;
		case 'h':
		case OPT_HELP: usage(stdout); return 1;
		default: usage(stderr); return -EINVAL;
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

/* ---- listening ----------------------------------------------------------------------- */

static int listen_tcp(const char *addr, int *port_out)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai;
	int fd, one = 1;
	size_t hl;

	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(host))
		return -EINVAL;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && colon[-1] == ']') {
		memcpy(host, addr + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, addr, hl);
		host[hl] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai))
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 8)) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return err;
	}
	*port_out = atoi(colon + 1);
	freeaddrinfo(ai);
	return fd;
}

/* ---- the tunnel ---------------------------------------------------------------------- */

struct tunnel {
	struct zcvpn_engine *engine;
	struct tls_conn *tls;		/* NULL once the client closed it (DTLS carries on) */
	struct zcvpn_config cfg;
	const char *tun_name;
	bool tun_configured;
	double started;
};

static int stream_write(void *ctx, const void *buf, size_t len)
{
	struct tunnel *t = ctx;

	return t->tls ? tls_write_all(t->tls, buf, len) : -ENOTCONN;
}

static void print_network(const struct zcvpn_network *n)
{
	char a[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, n->ipv4, a, sizeof(a));
	inet_ntop(AF_INET, n->ipv4_peer, p, sizeof(p));
	printf("zcvpn: PPP up: %s%s%s%s (mtu %u)\n", n->has_ipv4 ? "IPCP client " : "",
	       n->has_ipv4 ? p : "", n->has_ipv4 ? " server " : "", n->has_ipv4 ? a : "",
	       n->mtu);
	if (n->has_ipv6)
		printf("zcvpn: IP6CP up: interface identifiers assigned\n");
	fflush(stdout);
}

static void on_event(void *ctx, const struct zcvpn_event *ev)
{
	struct tunnel *t = ctx;

	if (ev->type == ZCVPN_EVENT_NETWORK) {
		print_network(ev->network);
		return;
	}
	if (ev->type == ZCVPN_EVENT_TRANSPORT_UP) {
		printf("zcvpn: DTLS up after %.2f s: %s\n", cli_now_s() - t->started, ev->message);
		fflush(stdout);
		return;
	}
	cli_print_event(NULL, ev);
}

static void engine_settings(struct tunnel *t, const struct serve_opts *o, int port)
{
	static const uint8_t own4[4] = { 10, 77, 0, 1 }, peer4[4] = { 10, 77, 0, 2 };
	static const uint8_t dns4[4] = { 10, 77, 0, 53 };
	static char local[300];
	struct zcvpn_ppp_config *p = &t->cfg.ppp;
	const char *colon = strrchr(o->listen, ':');

	zcvpn_config_init(&t->cfg);
	t->cfg.protocol = ZCVPN_PROTOCOL_PPP;
	t->cfg.mtu = o->mtu;
	t->cfg.event_fn = on_event;
	t->cfg.event_ctx = t;
	snprintf(local, sizeof(local), "%.*s:%d", (int)(colon - o->listen), o->listen, port);
	t->cfg.local = local;
	if (o->tun_name) {
		t->cfg.tun = ZCVPN_TUN_LINUX;
		t->cfg.tun_name = o->tun_name;
	}
	p->server = true;
	p->flavour = o->login.flavour;
	p->session = ppp_login_session(&o->login);
	p->cert_file = o->cert;
	p->key_file = o->key;
	p->no_dtls = o->login.no_dtls;
	p->hdlc = o->login.hdlc;
	p->dpd_ms = o->dpd_s * 1000;
	memcpy(p->ipv4, own4, 4);
	memcpy(p->ipv4_peer, peer4, 4);
	memcpy(p->dns4[0], dns4, 4);
}

static int configure_tun(struct tunnel *t)
{
	struct in_addr own, mask;
	char err[256];
	int ret;

	if (!t->tun_name)
		return 0;
	inet_pton(AF_INET, "10.77.0.1", &own);
	inet_pton(AF_INET, "255.255.255.0", &mask);
	ret = netcfg_ipv4(t->tun_name, own, mask, err, sizeof(err));
	if (ret)
		fprintf(stderr, "zcvpn: %s\n", err);
	return ret;
}

/* Bytes from TLS into the engine; the end of the TLS side noted. */
static int pump_tls(struct tunnel *t)
{
	uint8_t buf[16384];
	struct zcvpn_stats st;

	do {
		ssize_t n = tls_read(t->tls, buf, sizeof(buf), 0);

		if (n == -EAGAIN)
			return 0;
		if (n <= 0) {
			cli_get_stats(t->engine, &st);
			tls_free(t->tls);
			t->tls = NULL;
			if (st.transport_state == ZCVPN_TRANSPORT_UP) {
				printf("zcvpn: the client closed TLS; PPP goes on over DTLS\n");
				fflush(stdout);
				return 0;
			}
			if (st.transport_state == ZCVPN_TRANSPORT_CLOSED)
				return 0;	/* after its Terminate-Request: run_tunnel says so */
			fprintf(stderr, "zcvpn: the client closed the connection\n");
			return -ECONNRESET;
		}
		zcvpn_engine_stream_input(t->engine, buf, (size_t)n);
	} while (t->tls && tls_pending(t->tls));
	return 0;
}

/* Until the client terminates, goes away, or a signal. */
static int run_tunnel(struct tunnel *t)
{
	struct zcvpn_stats st;
	int ret = 0;

	while (!interrupted) {
		struct pollfd pfd[2] = {
			{ .fd = zcvpn_engine_fd(t->engine), .events = POLLIN },
			{ .fd = t->tls ? tls_fd(t->tls) : -1, .events = POLLIN },
		};

		if (poll(pfd, 2, t->tls && tls_pending(t->tls) ? 0 : POLL_MS) < 0 &&
		    errno != EINTR)
			return -errno;
		if (pfd[0].revents) {
			ret = zcvpn_engine_process(t->engine);
			if (ret)
				return ret;
		}
		if (t->tls && (pfd[1].revents || tls_pending(t->tls))) {
			ret = pump_tls(t);
			if (ret)
				return ret;
		}
		cli_get_stats(t->engine, &st);
		if (st.transport_state == ZCVPN_TRANSPORT_CLOSED) {
			printf("zcvpn: the client terminated the session\n");
			fflush(stdout);
			return 0;
		}
		if (!t->tls && st.transport_state != ZCVPN_TRANSPORT_UP) {
			fprintf(stderr, "zcvpn: DTLS is down and TLS is gone: session over\n");
			return -ENOTCONN;
		}
	}
	return 0;
}

static void report(struct zcvpn_engine *e)
{
	struct zcvpn_stats st;

	cli_get_stats(e, &st);
	printf("zcvpn: sent %" PRIu64 " packets (%" PRIu64 " bytes), received %" PRIu64
	       " packets (%" PRIu64 " bytes), copied_bytes %" PRIu64 "\n",
	       st.tx_packets, st.tx_bytes, st.rx_packets, st.rx_bytes, st.copied_bytes);
	cli_print_counters(e, stdout);
	fflush(stdout);
}

/*
 * A session's engine, made before its login: its UDP port (DTLS) is open from the start,
 * because openconnect sends its ClientHello the moment the tunnel request is answered
 * and a port not yet open answers with an ICMP error that makes it give DTLS up.
 */
static int prepare_tunnel(struct tunnel *t, const struct serve_opts *o, int port)
{
	char err[256];
	int ret;

	memset(t, 0, sizeof(*t));
	t->tun_name = o->tun_name;
	engine_settings(t, o, port);
	ret = zcvpn_engine_new(&t->engine, &t->cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		return ret;
	}
	ret = configure_tun(t);
	if (ret) {
		zcvpn_engine_free(t->engine);
		t->engine = NULL;
	}
	return ret;
}

/* The connection made its tunnel request: PPP over it (and DTLS), until the end. */
static int tunnel(struct tunnel *t, struct tls_conn *tls, const struct http_request *req)
{
	int ret;

	t->tls = tls;
	t->started = cli_now_s();
	ret = zcvpn_engine_set_stream(t->engine, stream_write, t);
	if (!ret)
		ret = zcvpn_engine_start(t->engine, 0);
	if (ret)
		goto out;
	/* PPP the client sent right behind its request (Fortinet, nullppp) comes first. */
	if (req && req->extra_len)
		zcvpn_engine_stream_input(t->engine, req->extra, req->extra_len);
	ret = run_tunnel(t);
	zcvpn_engine_stop(t->engine);	/* LCP Terminate-Request on whichever path runs */
	report(t->engine);
out:
	zcvpn_engine_free(t->engine);
	t->engine = NULL;
	tls_free(t->tls);
	t->tls = NULL;
	return ret;
}

/* One TLS connection: the login's requests, then maybe the tunnel. */
static int serve_connection(int fd, const struct tls_server_creds *creds,
			    struct serve_opts *o, struct tunnel *t)
{
	static struct http_request req;
	struct tls_conn *tls;
	char err[256];
	int ret;

	ret = tls_server_new(&tls, fd, creds, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: TLS handshake with a client failed: %s\n", err);
		return 0;
	}
	memset(&req, 0, sizeof(req));
	if (o->login.flavour == ZCVPN_PPP_NULLPPP) {
		/* openconnect's nullppp starts PPP at once: no HTTP at all. */
		printf("zcvpn: nullppp client connected (%s)\n", tls_description(tls));
		fflush(stdout);
		return tunnel(t, tls, NULL) == 0 ? 1 : -1;
	}
	for (;;) {
		ret = http_read_request(tls, &req, LOGIN_TIMEOUT_MS);
		if (ret) {
			if (ret != -ECONNRESET)
				fprintf(stderr, "zcvpn: dropping a client: %s\n", strerror(-ret));
			tls_free(tls);
			return 0;
		}
		ret = ppp_login_handle(&o->login, tls, &req);
		if (ret < 0) {
			tls_free(tls);
			return 0;
		}
		if (ret == PPP_LOGIN_TUNNEL)
			return tunnel(t, tls, &req) == 0 ? 1 : -1;
	}
}

int cmd_serve_ppp(int argc, char **argv)
{
	struct tls_server_creds *creds = NULL;
	static struct tunnel t;
	struct serve_opts o;
	char err[256], pin[128];
	int lfd, port = 0, ret;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	ret = tls_server_creds_new(&creds, &(struct tls_server_config){
					   .cert_file = o.cert, .key_file = o.key },
				   err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		return 2;
	}
	lfd = listen_tcp(o.listen, &port);
	if (lfd < 0) {
		fprintf(stderr, "zcvpn: cannot listen on %s: %s\n", o.listen, strerror(-lfd));
		tls_server_creds_free(creds);
		return 2;
	}
	ppp_login_init(&o.login);
	o.login.dtls_port = port;

	tls_server_creds_pin(creds, pin, sizeof(pin));
	printf("zcvpn: %s server listening on %s (TLS%s), certificate %s\n",
	       o.login.flavour == ZCVPN_PPP_F5 ? "F5" :
	       o.login.flavour == ZCVPN_PPP_FORTINET ? "Fortinet" : "nullppp",
	       o.listen, o.login.flavour == ZCVPN_PPP_NULLPPP || o.login.no_dtls || o.login.hdlc ?
	       "" : " and DTLS", pin);
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = 0;
	while (!interrupted) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int fd, served;

		if (!t.engine && prepare_tunnel(&t, &o, port)) {
			ret = 2;
			break;
		}
		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		served = serve_connection(fd, creds, &o, &t);
		if (served && o.once) {
			ret = served > 0 ? 0 : 1;
			break;
		}
		if (served)
			ppp_login_init(&o.login);	/* the next session gets its own ID */
	}
	zcvpn_engine_free(t.engine);
	close(lfd);
	ppp_login_free(&o.login);
	tls_server_creds_free(creds);
	return ret;
}
