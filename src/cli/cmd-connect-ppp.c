/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn connect --protocol f5|fortinet https://SERVER`: the client of a real F5 BIG-IP
 * or FortiGate (or `zcvpn serve --protocol f5|fortinet`).  The login (ppp-client-login.c)
 * gives the session; the engine then runs PPP over DTLS with it, and the TLS tunnel
 * connection is opened as openconnect 9 does: at once without DTLS, else only when
 * DTLS is not up within DTLS_WAIT_S or goes down, as the fallback the library runs
 * PPP over (zcvpn_engine_set_stream; this file only moves its bytes).  The tun takes
 * the address IPCP gave; SIGINT or SIGTERM ends the session with an LCP Terminate.
 * Without --tun the in-memory generator and verifying sink carry --count packets.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "src/cli/cstp.h"
#include "src/cli/netcfg.h"
#include "src/cli/ppp-client-login.h"
#include "src/cli/stream-queue.h"
#include "src/cli/vpnc-script.h"

enum {
	DTLS_WAIT_S = 5,		/* openconnect's wait for PPP over DTLS, too */
	POLL_MS = 100,
	DEFAULT_TIMEOUT_S = 30,
	GOODBYE_MS = 1000,	/* for the Terminate-Request still queued for TLS */
};

static volatile int interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct connect_opts {
	enum zcvpn_ppp_flavour flavour;
	const char *url, *user, *pin, *tun_name;
	bool passwd_on_stdin, no_dtls;
	uint32_t mtu, dpd_s;
	uint64_t count, rate;
	unsigned timeout_s;
	const char *script;		/* a vpnc-script configures the tun instead of us */
	struct cli_output out;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zcvpn connect --protocol f5|fortinet https://SERVER[:PORT] [OPTIONS]\n"
		"\n"
		"Logs in to an F5 BIG-IP or FortiGate (or zcvpn serve --protocol f5|fortinet) as\n"
		"openconnect 9 does, then runs PPP over DTLS, with PPP over TLS as the fallback.\n"
		"\n"
		"  --user NAME             the account\n"
		"  --passwd-on-stdin       read the password from the first line of stdin\n"
		"  --servercert PIN        accept the server's certificate by pin-sha256:...\n"
		"                          (default: the system's trust store)\n"
		"  --tun NAME              the Linux tun device (needs root), configured from IPCP;\n"
		"                          default: the in-memory traffic generator and sink\n"
		"  --script PATH           with --tun: a vpnc-script sets up the tun, routes and\n"
		"                          DNS (as openconnect runs it: pre-init, connect once\n"
		"                          IPCP is done, reconnect when the PPP link came back,\n"
		"                          disconnect) instead of zcvpn itself\n"
		"  --no-dtls               PPP over TLS only\n"
		"  --mtu N                 inner MTU (default 1400)\n"
		"  --dpd SEC               LCP echo after SEC without traffic (default 30)\n"
		"  --count N               in-memory packets to send (default 100000)\n"
		"  --rate PPS              in-memory packets per second (default 0: at once)\n"
		"  --timeout SEC           each login step, and the in-memory run without\n"
		"                          progress (default 30)\n"
		CLI_OUTPUT_HELP);
}

enum { OPT_PROTOCOL = 256, OPT_USER, OPT_PASSWD_STDIN, OPT_SERVERCERT, OPT_TUN, OPT_NO_DTLS,
       OPT_MTU, OPT_DPD, OPT_COUNT, OPT_RATE, OPT_TIMEOUT, OPT_SCRIPT, OPT_HELP };

static const struct option long_opts[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "user", required_argument, NULL, OPT_USER },
	{ "passwd-on-stdin", no_argument, NULL, OPT_PASSWD_STDIN },
	{ "servercert", required_argument, NULL, OPT_SERVERCERT },
	{ "tun", required_argument, NULL, OPT_TUN },
	{ "no-dtls", no_argument, NULL, OPT_NO_DTLS },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "dpd", required_argument, NULL, OPT_DPD },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "script", required_argument, NULL, OPT_SCRIPT },
	{ "help", no_argument, NULL, OPT_HELP },
	CLI_OUTPUT_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

static int parse_option(int c, const char *arg, struct connect_opts *o)
{
	uint64_t v = 0;
	int bad = 0;

	switch (c) {
	case OPT_PROTOCOL:
		if (!strcmp(arg, "f5"))
			o->flavour = ZCVPN_PPP_F5;
		else if (!strcmp(arg, "fortinet"))
			o->flavour = ZCVPN_PPP_FORTINET;
		else
			bad = -EINVAL;
		break;
	case OPT_USER: o->user = arg; break;
	case OPT_PASSWD_STDIN: o->passwd_on_stdin = true; break;
	case OPT_SERVERCERT: o->pin = arg; break;
	case OPT_TUN: o->tun_name = arg; break;
	case OPT_NO_DTLS: o->no_dtls = true; break;
	case OPT_MTU: bad = cli_parse_u64(arg, 576, 9000, &v); o->mtu = (uint32_t)v; break;
	case OPT_DPD: bad = cli_parse_u64(arg, 0, 86400, &v); o->dpd_s = (uint32_t)v; break;
	case OPT_COUNT: bad = cli_parse_u64(arg, 0, UINT64_MAX, &o->count); break;
	case OPT_RATE: bad = cli_parse_u64(arg, 0, UINT64_MAX, &o->rate); break;
	case OPT_TIMEOUT: bad = cli_parse_u64(arg, 1, 3600, &v); o->timeout_s = (unsigned)v; break;
	case OPT_SCRIPT: o->script = arg; break;
	default: return -EINVAL;
	}
	return bad;
}

/* 0, 1 for --help, or -EINVAL after saying what was wrong. */
static int parse_opts(int argc, char **argv, struct connect_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->flavour = ZCVPN_PPP_NULLPPP;	/* none yet */
	o->mtu = 1400;
	o->dpd_s = 30;
	o->count = 100000;
	o->timeout_s = DEFAULT_TIMEOUT_S;
	cli_output_init(&o->out);
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		int taken = cli_output_option(&o->out, c, optarg);

		if (taken < 0)
			return -EINVAL;
		if (taken)
			continue;
		if (c == 'h' || c == OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (parse_option(c, optarg, o)) {
			if (c < OPT_PROTOCOL)
				usage(stderr);
			else
				fprintf(stderr, "zcvpn: bad value for --%s: '%s'\n",
					long_opts[c - OPT_PROTOCOL].name, optarg);
			return -EINVAL;
		}
	}
	if (optind == argc - 1)
		o->url = argv[optind];
	if (o->flavour == ZCVPN_PPP_NULLPPP || !o->url || !o->user || !o->passwd_on_stdin) {
		fprintf(stderr, "zcvpn: connect needs --protocol f5|fortinet, https://SERVER, --user "
				"and --passwd-on-stdin (see --help)\n");
		return -EINVAL;
	}
	if (o->script && !o->tun_name) {
		fprintf(stderr, "zcvpn: --script configures a tun device: it needs --tun\n");
		return -EINVAL;
	}
	return o->script ? vpnc_script_check(o->script) : 0;
}

/* ---- the session ----------------------------------------------------------------- */

struct client {
	struct connect_opts *opts;
	struct cstp_server server;
	struct ppp_client_session login;
	struct zcvpn_config cfg;
	struct zcvpn_engine *engine;
	struct tls_conn *tls;		/* the TLS tunnel, once opened; NULL after it closed */
	struct stream_queue out;	/* what PPP wrote to it and the socket did not take yet */
	bool tls_opened;		/* the fallback is opened once */
	char remote[80];
	double started;
	int tun_error;
	struct vpnc_settings vpnc;	/* --script: what it is told */
	bool network_due;		/* IPCP settled: "connect" (or "reconnect") is due */
	bool script_connected;		/* "connect" ran: "disconnect" is due at the end */
};

static int stream_write(void *ctx, const void *buf, size_t len)
{
	struct client *c = ctx;

	return c->tls ? stream_queue_write(&c->out, c->tls, buf, len) : -ENOTCONN;
}

/* The smallest prefix that holds both ends: a point-to-point link as a subnet. */
static struct in_addr p2p_netmask(struct in_addr a, struct in_addr b)
{
	uint32_t diff = ntohl(a.s_addr) ^ ntohl(b.s_addr);
	unsigned bits = 32;
	struct in_addr m;

	while (bits > 0 && diff >> (32 - bits))
		bits--;
	if (bits > 30)
		bits = 30;
	m.s_addr = htonl(bits ? ~0u << (32 - bits) : 0);
	return m;
}

/*
 * --script: what IPCP gave, in the script's terms (no netmask: IPCP has none, and
 * openconnect passes none).  The script runs from the loop, not in the event.
 */
static void script_network(struct client *c, const struct zcvpn_network *n)
{
	struct vpnc_settings *v = &c->vpnc;
	unsigned int i;

	v->mtu = n->mtu ? n->mtu : c->opts->mtu;
	v->has_ip4 = n->has_ipv4;
	memcpy(&v->ip4, n->ipv4, 4);
	v->n_dns = v->n_nbns = 0;
	for (i = 0; i < n->n_dns4 && i < 2 && v->n_dns < VPNC_MAX_DNS; i++) {
		v->dns[v->n_dns].family = AF_INET;
		memcpy(&v->dns[v->n_dns++].v4, n->dns4[i], 4);
	}
	for (i = 0; i < n->n_nbns4 && i < 2 && v->n_nbns < VPNC_MAX_NBNS; i++) {
		v->nbns[v->n_nbns].family = AF_INET;
		memcpy(&v->nbns[v->n_nbns++].v4, n->nbns4[i], 4);
	}
	c->network_due = true;
}

/* The first settled link is "connect" (a failure ends the session), later ones "reconnect". */
static int script_link_up(struct client *c)
{
	bool first = !c->script_connected;
	int ret;

	c->network_due = false;
	c->script_connected = true;	/* a failed connect is undone too */
	ret = vpnc_script_reason(c->opts->script, &c->vpnc, first ? "connect" : "reconnect");
	return first ? ret : 0;
}

static void configure_tun(struct client *c, const struct zcvpn_network *n)
{
	struct in_addr own, peer;
	char err[256], a[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN];

	memcpy(&own, n->ipv4, 4);
	memcpy(&peer, n->ipv4_peer, 4);
	inet_ntop(AF_INET, &own, a, sizeof(a));
	inet_ntop(AF_INET, &peer, p, sizeof(p));
	fprintf(stderr, "zcvpn: PPP up: address %s peer %s mtu %u%s\n", n->has_ipv4 ? a : "-",
		n->has_ipv4 ? p : "-", n->mtu, n->has_ipv6 ? ", IPv6 interface identifiers" : "");
	if (c->opts->script) {
		script_network(c, n);
		return;
	}
	if (!c->opts->tun_name || !n->has_ipv4)
		return;
	c->tun_error = netcfg_ipv4(c->opts->tun_name, own, p2p_netmask(own, peer), err,
				   sizeof(err));
	if (c->tun_error)
		fprintf(stderr, "zcvpn: %s\n", err);
}

static void on_event(void *ctx, const struct zcvpn_event *ev)
{
	struct client *c = ctx;

	if (ev->type == ZCVPN_EVENT_NETWORK) {
		configure_tun(c, ev->network);
		return;
	}
	if (ev->type == ZCVPN_EVENT_TRANSPORT_UP) {
		fprintf(stderr, "zcvpn: DTLS up after %.2f s: %s\n", cli_now_s() - c->started, ev->message);
		return;
	}
	cli_print_event(NULL, ev);
}

/* The DTLS server: the TLS server's host (its first address), at the login's port. */
static int dtls_remote(struct client *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	char ip[INET6_ADDRSTRLEN];
	int ret;

	ret = getaddrinfo(c->server.host, NULL, &hints, &ai);
	if (ret) {
		fprintf(stderr, "zcvpn: %s: %s\n", c->server.host, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	if (ai->ai_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip, sizeof(ip));
		snprintf(c->remote, sizeof(c->remote), "[%s]:%u", ip, c->login.dtls_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof(ip));
		snprintf(c->remote, sizeof(c->remote), "%s:%u", ip, c->login.dtls_port);
	}
	freeaddrinfo(ai);
	return 0;
}

static void engine_settings(struct client *c)
{
	struct connect_opts *o = c->opts;
	struct zcvpn_ppp_config *p = &c->cfg.ppp;

	zcvpn_config_init(&c->cfg);
	c->cfg.protocol = ZCVPN_PROTOCOL_PPP;
	c->cfg.mtu = o->mtu;
	c->cfg.event_fn = on_event;
	c->cfg.event_ctx = c;
	c->cfg.remote = c->remote[0] ? c->remote : NULL;
	/*
	 * PPP over TLS only: the engine still keeps its datagram socket, unconnected and
	 * unused (left as is: the engine has no stream-only mode yet).
	 */
	if (!c->cfg.remote)
		c->cfg.local = "0.0.0.0:0";
	if (o->tun_name) {
		c->cfg.tun = ZCVPN_TUN_LINUX;
		c->cfg.tun_name = o->tun_name;
	} else {
		c->cfg.mem_count = o->count;
		c->cfg.mem_rate_pps = o->rate;
		cli_mem_roles(&c->cfg, false);
	}
	p->flavour = o->flavour;
	p->session = c->login.session;
	p->f5_z = c->login.f5_z[0] ? c->login.f5_z : NULL;
	p->hostname = c->server.host;
	p->pin = o->pin;
	p->hdlc = c->login.hdlc;
	p->no_dtls = o->no_dtls || !c->login.dtls || c->login.hdlc;
	p->dpd_ms = o->dpd_s * 1000;
}

static int login(struct client *c)
{
	char password[256] = "", err[512];
	int ret;

	if (cli_read_password(password, sizeof(password)))
		return -EINVAL;
	ret = ppp_client_login(&c->server, c->opts->flavour, c->opts->user, password, &c->login,
			       err, sizeof(err));
	explicit_bzero(password, sizeof(password));
	if (ret) {
		fprintf(stderr, "zcvpn: login to %s: %s\n", c->server.host, err);
		return ret;
	}
	fprintf(stderr, "zcvpn: logged in to %s; DTLS %s%s\n", c->server.host,
		c->login.dtls ? "offered" : "not offered", c->login.hdlc ? ", HDLC framing" : "");
	if (!c->login.dtls || c->opts->no_dtls || c->login.hdlc)
		return 0;
	return dtls_remote(c);
}

/* The TLS tunnel: the only path without DTLS, the fallback with it. */
static int open_tunnel(struct client *c)
{
	uint8_t extra[CSTP_MAX_PACKET];
	size_t extra_len = 0;
	char err[512];
	int ret;

	c->tls_opened = true;
	ret = ppp_client_tunnel(&c->tls, &c->server, &c->login, extra, &extra_len, err,
				sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		return ret;
	}
	fprintf(stderr, "zcvpn: PPP over TLS%s\n", c->cfg.ppp.no_dtls ? "" : " (the fallback)");
	ret = zcvpn_engine_set_stream(c->engine, stream_write, c);
	if (!ret && extra_len)
		ret = zcvpn_engine_stream_input(c->engine, extra, extra_len);
	return ret;
}

static bool wants_tunnel(const struct client *c, const struct zcvpn_stats *st)
{
	if (c->tls_opened)
		return false;
	if (c->cfg.ppp.no_dtls)
		return true;
	return st->transport_state == ZCVPN_TRANSPORT_DOWN ||
	       (st->transport_state != ZCVPN_TRANSPORT_UP &&
		cli_now_s() - c->started > DTLS_WAIT_S);
}

/* Bytes from the TLS tunnel into the engine.  0, or -ECONNRESET when it closed. */
static int pump_tls(struct client *c)
{
	if (!stream_pump(c->tls, c->engine))
		return 0;
	tls_free(c->tls);
	c->tls = NULL;
	stream_queue_reset(&c->out);
	return -ECONNRESET;
}

static int poll_once(struct client *c)
{
	struct pollfd pfd[2] = {
		{ .fd = zcvpn_engine_fd(c->engine), .events = POLLIN },
		{ .fd = c->tls ? tls_fd(c->tls) : -1,
		  .events = POLLIN | (c->tls && stream_queue_waiting(&c->out) ? POLLOUT : 0) },
	};
	struct zcvpn_stats st;
	int ret;

	if (poll(pfd, 2, c->tls && tls_pending(c->tls) ? 0 : POLL_MS) < 0 && errno != EINTR)
		return -errno;
	if (c->tls && (pfd[1].revents & POLLOUT) && stream_queue_flush(&c->out, c->tls)) {
		fprintf(stderr, "zcvpn: writing to the TLS tunnel failed\n");
		return -EIO;
	}
	if (pfd[0].revents) {
		ret = zcvpn_engine_process(c->engine);
		if (ret)
			return ret;
	}
	if (c->tls && (pfd[1].revents & ~POLLOUT || tls_pending(c->tls)) && pump_tls(c)) {
		cli_get_stats(c->engine, &st);
		if (st.transport_state != ZCVPN_TRANSPORT_UP &&
		    st.transport_state != ZCVPN_TRANSPORT_CLOSED) {
			fprintf(stderr, "zcvpn: the server closed the TLS tunnel\n");
			return -ECONNRESET;
		}
	}
	return 0;
}

/* Until a signal, the server's goodbye, or (in memory) the traffic done. */
static int run_session(struct client *c, const struct cli_run *run)
{
	double last_progress = cli_now_s();
	struct cli_progress progress;
	uint64_t last_moved = 0;
	struct zcvpn_stats st;
	int ret;

	cli_progress_start(&progress, run->out);
	while (!interrupted) {
		ret = poll_once(c);
		if (ret)
			return ret;
		cli_progress_tick(&progress, c->engine);
		cli_get_stats(c->engine, &st);
		if (st.transport_state == ZCVPN_TRANSPORT_CLOSED) {
			fprintf(stderr, "zcvpn: the server ended the session\n");
			return 0;
		}
		if (st.tun_error) {
			fprintf(stderr, "zcvpn: the tun stopped (%s); ending the session\n",
				strerror((int)-st.tun_error));
			return (int)st.tun_error;
		}
		ret = wants_tunnel(c, &st) ? open_tunnel(c) : 0;
		if (ret)	/* refused: the session the login gave is no longer good */
			return ret == -EACCES ? -EKEYEXPIRED : -ENOTCONN;
		if (c->network_due)
			c->tun_error = script_link_up(c);
		if (c->tun_error)
			return c->tun_error;
		if (c->opts->tun_name)
			continue;
		if (cli_traffic_done(&st, run, &c->cfg))
			return 0;
		if (st.tx_packets + st.rx_packets != last_moved) {
			last_moved = st.tx_packets + st.rx_packets;
			last_progress = cli_now_s();
		} else if (cli_now_s() - last_progress > run->timeout_s) {
			fprintf(stderr, "zcvpn: no traffic for %u s, stopping\n", run->timeout_s);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static int start_engine(struct client *c)
{
	char err[256];
	int ret;

	if (c->opts->script) {
		vpnc_settings_init(&c->vpnc, c->opts->tun_name);
		memcpy(c->vpnc.gateway, c->login.gateway, sizeof(c->vpnc.gateway));
		c->vpnc.mtu = c->opts->mtu;
		ret = vpnc_script_reason(c->opts->script, &c->vpnc, "pre-init");
		if (ret)
			return ret;
	}
	engine_settings(c);
	ret = zcvpn_engine_new(&c->engine, &c->cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		return ret;
	}
	c->started = cli_now_s();
	return zcvpn_engine_start(c->engine, 0);
}

int cmd_connect_ppp(int argc, char **argv)
{
	struct connect_opts o;
	struct cli_run run = { .role = "client", .interrupted = &interrupted, .out = &o.out };
	struct client *c;
	char err[256];
	double seconds;
	int ret, status = CLI_EXIT_USAGE;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	c = calloc(1, sizeof(*c));
	if (!c)
		return CLI_EXIT_FAILED;
	c->opts = &o;
	if (cstp_parse_url(o.url, &c->server, err, sizeof(err))) {
		fprintf(stderr, "zcvpn: %s\n", err);
		goto out;
	}
	c->server.pin = o.pin;
	c->server.timeout_ms = o.timeout_s * 1000;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = login(c);
	if (ret) {
		status = cli_exit_status(ret);
		goto out;
	}
	ret = start_engine(c);
	if (ret) {
		status = ret == -EPERM ? CLI_EXIT_PRIVILEGE : CLI_EXIT_FAILED;
		goto out;
	}
	run.expect = o.tun_name ? 0 : o.count;
	run.timeout_s = o.timeout_s;
	snprintf(run.suite, sizeof(run.suite), "%s over %s",
		 o.flavour == ZCVPN_PPP_F5 ? "F5" : "Fortinet",
		 c->cfg.ppp.no_dtls ? (c->login.hdlc ? "TLS (HDLC)" : "TLS") : "DTLS");
	ret = run_session(c, &run);
	seconds = cli_now_s() - c->started;
	zcvpn_engine_stop(c->engine);	/* LCP Terminate-Request on whichever path runs */
	if (c->tls)
		stream_queue_drain(&c->out, c->tls, GOODBYE_MS);
	status = cli_report(c->engine, &run, &c->cfg, seconds) || ret ? CLI_EXIT_FAILED :
									  CLI_EXIT_OK;
	if (ret == -EKEYEXPIRED)
		status = CLI_EXIT_SESSION;
out:
	/* After the goodbye, with the tun still there; also undoes a connect that failed. */
	if (c->script_connected)
		vpnc_script_reason(c->opts->script, &c->vpnc, "disconnect");
	zcvpn_engine_free(c->engine);
	tls_free(c->tls);
	ppp_client_session_wipe(&c->login);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return status;
}
