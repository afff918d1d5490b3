/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn serve --protocol anyconnect --listen ADDR:PORT`: the AnyConnect server that
 * openconnect logs in to (ac-server.h has the parts).  This file is the options, the
 * listener and the threads: one per TLS connection, from the login's requests through
 * its tunnel to the end, at most --max-clients tunnels and a few logins beside them, so
 * that a slow or hostile client holds one thread and its bounded buffers, no more.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "src/cli/ac-server.h"
#include "src/cli/http-server.h"
#include "src/cli/json-writer.h"
#include "src/cli/tcp-listen.h"

enum {
	POLL_MS = 200,
	LOGIN_SLOTS = 8,		/* connections still logging in, beside the tunnels */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zcvpn serve --protocol anyconnect --listen ADDR:PORT --cert FILE --key FILE\n"
		"                   --passwd FILE [OPTIONS]\n"
		"\n"
		"The AnyConnect server openconnect logs in to: the XML login against a password\n"
		"file, CONNECT answered with addresses from the pools, DTLS by PSK-NEGOTIATE on\n"
		"a UDP port of each session's own, and CSTP (TLS) as the fallback.  Several\n"
		"clients at once, each session with its own engine and tun device.\n"
		"\n"
		"  --listen ADDR:PORT      TLS on TCP; DTLS on UDP ports of the same address\n"
		"  --cert FILE --key FILE  the server's certificate chain and key (PEM; zcvpn\n"
		"                          genkey --cert makes a self-signed pair)\n"
		"  --passwd FILE           users, as ocpasswd(8) writes them (user:groups:hash)\n"
		"  --group NAME            offer a group list in the login form (repeatable);\n"
		"                          a user must be in the chosen group\n"
		"  --pool A.B.C.D/LEN      client IPv4 addresses (default 10.78.0.0/24; the\n"
		"                          server is .1)\n"
		"  --pool6 X::/LEN         client IPv6 addresses (default fd78::/64), given to\n"
		"                          clients that ask for IPv6; 'none': no IPv6\n"
		"  --route CIDR            a split-include route (repeatable, IPv4 or IPv6);\n"
		"                          default: the pools; 'default': all traffic\n"
		"  --dns ADDR              a DNS server for the clients (repeatable, up to 3)\n"
		"  --banner TEXT           shown by the client after the login\n"
		"  --tun PREFIX            a Linux tun device per session, PREFIX1, PREFIX2, ...\n"
		"                          (needs root); default: the in-memory sink (no root)\n"
		"  --no-dtls               offer no DTLS: data over CSTP only\n"
		"  --mtu N                 inner MTU (default 1400; less if the client asks)\n"
		"  --dpd SEC               dead-peer detection interval (default 30); a client\n"
		"                          silent for 3 intervals is reaped\n"
		"  --keepalive SEC         keepalive interval the clients are told (default 20)\n"
		"  --max-clients N         tunnels at once (default 16, at most 1024)\n"
		"  --auth-timeout SEC      TLS handshake and each login request (default 20)\n"
		"  --count N               without --tun: in-memory packets each session sends\n"
		"                          (default 0: the sink only)\n"
		"  --rate PPS              ... and how many a second (default 0: at once)\n"
		"  --once                  exit after the first session ends\n"
		CLI_OUTPUT_HELP
		"  (the report and progress are each session's, at its end and while it runs)\n");
}

enum { OPT_PROTOCOL = 256, OPT_LISTEN, OPT_CERT, OPT_KEY, OPT_PASSWD, OPT_GROUP, OPT_POOL,
       OPT_POOL6, OPT_ROUTE, OPT_DNS, OPT_BANNER, OPT_TUN, OPT_NO_DTLS, OPT_MTU, OPT_DPD,
       OPT_KEEPALIVE, OPT_MAX_CLIENTS, OPT_AUTH_TIMEOUT, OPT_COUNT, OPT_RATE, OPT_ONCE,
       OPT_HELP };

static const struct option long_opts[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "passwd", required_argument, NULL, OPT_PASSWD },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "pool6", required_argument, NULL, OPT_POOL6 },
	{ "route", required_argument, NULL, OPT_ROUTE },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "banner", required_argument, NULL, OPT_BANNER },
	{ "tun", required_argument, NULL, OPT_TUN },
	{ "no-dtls", no_argument, NULL, OPT_NO_DTLS },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "dpd", required_argument, NULL, OPT_DPD },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "auth-timeout", required_argument, NULL, OPT_AUTH_TIMEOUT },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "help", no_argument, NULL, OPT_HELP },
	CLI_OUTPUT_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

static int add_route(struct ac_server_config *c, const char *text)
{
	struct ip_prefix p;

	if (!strcmp(text, "default")) {
		c->default_route = true;
		return 0;
	}
	if (c->n_routes == AC_MAX_ROUTES || ip_prefix_parse(text, &p))
		return -EINVAL;
	ip_prefix_clear_host(&p);
	c->routes[c->n_routes++] = p;
	return 0;
}

static int add_dns(struct ac_server_config *c, const char *text)
{
	if (c->n_dns == AC_MAX_DNS || ip_addr_parse(text, &c->dns[c->n_dns]))
		return -EINVAL;
	c->n_dns++;
	return 0;
}

/* A numeric option in [min, max]. */
static int number(const char *s, uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (cli_parse_u64(s, min, max, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int option(struct ac_server_config *c, int opt, const char *arg, bool *protocol)
{
	uint32_t v;

	switch (opt) {
	case OPT_PROTOCOL:
		*protocol = !strcmp(arg, "anyconnect");
		return *protocol ? 0 : -EINVAL;
	case OPT_LISTEN: c->listen = arg; return 0;
	case OPT_CERT: c->cert = arg; return 0;
	case OPT_KEY: c->key = arg; return 0;
	case OPT_PASSWD: c->passwd_file = arg; return 0;
	case OPT_GROUP:
		if (c->n_groups == AC_MAX_GROUPS || !arg[0] || strlen(arg) >= 64)
			return -EINVAL;
		c->groups[c->n_groups++] = arg;
		return 0;
	case OPT_POOL: c->pool4 = arg; return 0;
	case OPT_POOL6: c->pool6 = strcmp(arg, "none") ? arg : NULL; return 0;
	case OPT_ROUTE: return add_route(c, arg);
	case OPT_DNS: return add_dns(c, arg);
	case OPT_BANNER:
		/* One header line: no line breaks, bounded like the client's buffer. */
		if (strpbrk(arg, "\r\n") || strlen(arg) >= 1000)
			return -EINVAL;
		c->banner = arg;
		return 0;
	case OPT_TUN:
		if (!arg[0] || strlen(arg) > 10)
			return -EINVAL;
		c->tun_prefix = arg;
		return 0;
	case OPT_NO_DTLS: c->no_dtls = true; return 0;
	case OPT_MTU: return number(arg, 576, 9000, &c->mtu);
	case OPT_DPD: return number(arg, 0, 86400, &c->dpd_s);
	case OPT_KEEPALIVE: return number(arg, 0, 86400, &c->keepalive_s);
	case OPT_MAX_CLIENTS:
		if (number(arg, 1, AC_POOL_MAX, &v))
			return -EINVAL;
		c->max_clients = v;
		return 0;
	case OPT_AUTH_TIMEOUT:
		if (number(arg, 1, 600, &v))
			return -EINVAL;
		c->auth_timeout_s = v;
		return 0;
	case OPT_COUNT: return cli_parse_u64(arg, 0, UINT64_MAX / 2, &c->mem_count);
	case OPT_RATE: return cli_parse_u64(arg, 0, UINT64_MAX / 2, &c->mem_rate);
	case OPT_ONCE: c->once = true; return 0;
	}
	return -ENOENT;
}

/* 0, 1 for --help, or -EINVAL after saying what was wrong. */
static int parse_opts(int argc, char **argv, struct ac_server_config *c)
{
	bool protocol = false;
	int opt, ret;

	memset(c, 0, sizeof(*c));
	c->pool4 = "10.78.0.0/24";
	c->pool6 = "fd78::/64";
	c->mtu = 1400;
	c->dpd_s = 30;
	c->keepalive_s = 20;
	c->max_clients = 16;
	c->auth_timeout_s = 20;
	cli_output_init(&c->out);
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		ret = cli_output_option(&c->out, opt, optarg);
		if (ret < 0)
			return -EINVAL;
		if (ret)
			continue;
		if (opt == 'h' || opt == OPT_HELP) {
			usage(stdout);
			return 1;
		}
		ret = option(c, opt, optarg, &protocol);
		if (ret == -ENOENT) {
			usage(stderr);
			return -EINVAL;
		}
		if (ret) {
			fprintf(stderr, "zcvpn: bad value for --%s: '%s'\n",
				long_opts[opt - OPT_PROTOCOL].name, optarg);
			return -EINVAL;
		}
	}
	if (!protocol || !c->listen || !c->cert || !c->key || !c->passwd_file) {
		fprintf(stderr, "zcvpn: serve --protocol anyconnect needs --listen, --cert, --key "
				"and --passwd (see --help)\n");
		return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "zcvpn: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* ---- connections ----------------------------------------------------------------------- */

struct slot {
	struct ac_server *srv;
	unsigned index;
	pthread_t thread;
	int fd;
	atomic_bool running, done, in_tunnel;
};

/* The login's requests on one connection, then its tunnel if it asks for one. */
static void serve_requests(struct slot *sl, struct tls_conn *tls)
{
	struct ac_server *srv = sl->srv;
	struct http_request *req = calloc(1, sizeof(*req));
	struct ac_login login = { 0 };
	int ret;

	if (!req)
		return;
	for (;;) {
		ret = http_read_request(tls, req, srv->cfg->auth_timeout_s * 1000u, NULL);
		if (ret) {
			if (ret != -ECONNRESET && ret != -EIO) {
				atomic_fetch_add(&srv->count.bad_requests, 1);
				ac_server_say(srv, stderr, "zcvpn: dropping a client: %s\n",
					      strerror(-ret));
			}
			break;
		}
		ret = ac_login_handle(srv, &login, tls, req);
		if (ret < 0)
			break;
		if (ret == AC_LOGIN_TUNNEL) {
			atomic_store(&sl->in_tunnel, true);
			ac_tunnel_run(srv, tls, req);
			break;
		}
	}
	explicit_bzero(req, sizeof(*req));	/* a password may have passed through */
	free(req);
}

static void *connection_main(void *arg)
{
	struct slot *sl = arg;
	struct tls_conn *tls;
	char err[256];

	if (tls_server_new(&tls, sl->fd, sl->srv->creds, err, sizeof(err))) {
		atomic_fetch_add(&sl->srv->count.tls_failed, 1);
		ac_server_say(sl->srv, stderr, "zcvpn: TLS handshake with a client failed: %s\n",
			      err);
	} else {
		serve_requests(sl, tls);
		tls_free(tls);
	}
	atomic_store(&sl->done, true);
	return NULL;
}

/* Joins the threads that finished; their slots are free again. */
static void reap_slots(struct slot *slots, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (atomic_load(&slots[i].running) && atomic_load(&slots[i].done)) {
			pthread_join(slots[i].thread, NULL);
			atomic_store(&slots[i].running, false);
		}
	}
}

static void accept_one(struct ac_server *srv, int lfd, struct slot *slots, unsigned n)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	unsigned i;

	if (fd < 0)
		return;
	atomic_fetch_add(&srv->count.connections, 1);
	for (i = 0; i < n && atomic_load(&slots[i].running); i++)
		;
	if (i == n) {
		/* Full: the client learns it at once instead of hanging in the backlog. */
		atomic_fetch_add(&srv->count.refused_full, 1);
		close(fd);
		return;
	}
	slots[i] = (struct slot){ .srv = srv, .index = i, .fd = fd };
	atomic_store(&slots[i].running, true);
	if (pthread_create(&slots[i].thread, NULL, connection_main, &slots[i])) {
		atomic_store(&slots[i].running, false);
		close(fd);
	}
}

/* The stop: tunnels say goodbye themselves; logins are cut short. */
static void stop_all(struct ac_server *srv, struct slot *slots, unsigned n)
{
	atomic_store(&srv->stopping, 1);
	for (unsigned i = 0; i < n; i++)
		if (atomic_load(&slots[i].running) && !atomic_load(&slots[i].in_tunnel) &&
		    !atomic_load(&slots[i].done))
			shutdown(slots[i].fd, SHUT_RDWR);
	for (unsigned i = 0; i < n; i++)
		if (atomic_load(&slots[i].running))
			pthread_join(slots[i].thread, NULL);
}

static void summary(struct ac_server *srv)
{
	const struct ac_server_counters *k = &srv->count;
	struct json_writer w;

	fprintf(stderr, "zcvpn: server: %lu connections (%lu refused: full), %lu logins "
		"(%lu refused), %lu sessions (%lu reaped), %lu bad requests, %lu bad cookies\n",
		(unsigned long)k->connections, (unsigned long)k->refused_full,
		(unsigned long)k->logins_ok, (unsigned long)k->logins_failed,
		(unsigned long)k->sessions, (unsigned long)k->sessions_reaped,
		(unsigned long)k->bad_requests, (unsigned long)k->bad_cookies);
	if (!srv->cfg->out.json)
		return;
	json_begin(&w, stdout);
	json_string(&w, "role", "anyconnect-server");
	json_open(&w, "counters");
	json_u64(&w, "connections", k->connections);
	json_u64(&w, "tls_failed", k->tls_failed);
	json_u64(&w, "refused_full", k->refused_full);
	json_u64(&w, "logins_ok", k->logins_ok);
	json_u64(&w, "logins_failed", k->logins_failed);
	json_u64(&w, "bad_requests", k->bad_requests);
	json_u64(&w, "bad_cookies", k->bad_cookies);
	json_u64(&w, "sessions", k->sessions);
	json_u64(&w, "sessions_reaped", k->sessions_reaped);
	json_u64(&w, "pool_exhausted", k->pool_exhausted);
	json_close(&w);
	json_end(&w);
	fflush(stdout);
}

static int serve(struct ac_server *srv, int lfd)
{
	unsigned n = srv->cfg->max_clients + LOGIN_SLOTS;
	struct slot *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	while (!interrupted) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };

		if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR)
			break;
		reap_slots(slots, n);
		if (pfd.revents & POLLIN)
			accept_one(srv, lfd, slots, n);
		if (srv->cfg->once && atomic_load(&srv->sessions_ended))
			break;
	}
	stop_all(srv, slots, n);
	free(slots);
	return 0;
}

/* Credentials, users, pools: everything a config error can stop, before listening. */
static int setup(struct ac_server *srv, const struct ac_server_config *c)
{
	char err[512];

	memset(srv, 0, sizeof(*srv));
	srv->cfg = c;
	pthread_mutex_init(&srv->lock, NULL);
	if (tls_server_creds_new(&srv->creds, &(struct tls_server_config){
				.cert_file = c->cert, .key_file = c->key,
				.timeout_ms = c->auth_timeout_s * 1000u }, err, sizeof(err)) ||
	    ac_passwd_load(&srv->passwd, c->passwd_file, err, sizeof(err)) ||
	    ac_pool_init(&srv->pool, c->pool4, c->pool6, err, sizeof(err))) {
		fprintf(stderr, "zcvpn: %s\n", err);
		return -EINVAL;
	}
	if (ac_cookies_init(srv))
		return -ENOMEM;
	return 0;
}

static void teardown(struct ac_server *srv)
{
	ac_cookies_free(srv);
	ac_pool_destroy(&srv->pool);
	ac_passwd_free(&srv->passwd);
	tls_server_creds_free(srv->creds);
	pthread_mutex_destroy(&srv->lock);
}

int cmd_serve_anyconnect(int argc, char **argv)
{
	static struct ac_server srv;
	struct ac_server_config c;
	char pin[128];
	int lfd, port = 0, ret;

	ret = parse_opts(argc, argv, &c);
	if (ret)
		return ret > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (setup(&srv, &c)) {
		teardown(&srv);
		return CLI_EXIT_USAGE;
	}
	lfd = tcp_listen(c.listen, 64, &port, srv.host, sizeof(srv.host));
	if (lfd < 0) {
		fprintf(stderr, "zcvpn: cannot listen on %s: %s\n", c.listen, strerror(-lfd));
		teardown(&srv);
		return CLI_EXIT_USAGE;
	}
	tls_server_creds_pin(srv.creds, pin, sizeof(pin));
	fprintf(stderr, "zcvpn: AnyConnect server listening on %s (TLS; DTLS %s), %zu users, "
		"certificate %s\n", c.listen, c.no_dtls ? "off" : "on a port per session",
		srv.passwd.n, pin);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = serve(&srv, lfd);
	close(lfd);
	summary(&srv);
	teardown(&srv);
	return ret ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
