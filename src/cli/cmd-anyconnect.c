/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn connect --protocol anyconnect https://SERVER`: a client for a real AnyConnect
 * server (ocserv, an ASA), the way openconnect does it.  The CSTP part (TLS with a pinned
 * certificate, XML login, CONNECT) runs here; the data path is libzcvpn's engine with
 * the DTLS transport, keyed by PSK-NEGOTIATE (the CSTP session's RFC 5705 exporter) or
 * the legacy master secret.  The tun device it creates gets the MTU the server gave,
 * and the addresses and split routes (cstp-network.c), unless a vpnc-script sets it up.  The CSTP channel stays open for the session: it answers the
 * server's DPD there, and says goodbye on both channels at the end.
 */
#include "config.h"

#include "src/cli/cmd-anyconnect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "src/cli/json-writer.h"

enum {
	DEFAULT_BASE_MTU = 1500,
	DEFAULT_TIMEOUT_S = 30,
	DTLS_HANDSHAKE_MS = 12000,	/* openconnect gives up after 12 s too */
	POLL_MS = 100,
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct ac_opts {
	const char *url;
	const char *pin;
	const char *user;
	bool passwd_on_stdin;
	const char *tun_name;
	enum cstp_dtls_mode dtls_mode;
	uint32_t base_mtu;
	unsigned duration_s;		/* 0: until SIGINT/SIGTERM or the server ends it */
	unsigned timeout_s;
	unsigned batch;
	const char *dtls_ciphers;	/* legacy: offer only these */
	bool dtls09;			/* legacy: offer DTLS 0.9 only */
	bool no_coalesce;		/* one tun write per received packet */
	bool no_gro;			/* zcvpn_config.no_gro */
	unsigned moderation_us;		/* zcvpn_config.moderation_us */
	unsigned redial_s;		/* zcvpn_anyconnect.redial_ms, in seconds */
	const char *script;		/* a vpnc-script configures the tun instead of us */
	struct cli_output out;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zcvpn connect --protocol anyconnect [OPTIONS] https://SERVER[:PORT]\n"
		"\n"
		"Logs in to an AnyConnect server (ocserv, Cisco ASA) and runs the data path over\n"
		"DTLS through zcvpn's zero-copy engine.  Needs root (it creates a tun device).\n"
		"\n"
		"  --servercert pin-sha256:BASE64   accept the server by its key (openconnect's\n"
		"                          form); without it the system CAs must vouch for it\n"
		"  --user NAME             user name for the login form\n"
		"  --passwd-on-stdin       read the password from the first line of stdin\n"
		"  --tun NAME              tun device to create (default zcvpn0)\n"
		"  --dtls psk|legacy|off   PSK-NEGOTIATE (default), legacy master secret, or no DTLS\n"
		"  --dtls-ciphers LIST     legacy: offer only these DTLS 1.2 suites (':'-separated\n"
		"                          Cisco names: AES256-GCM-SHA384 AES128-GCM-SHA256\n"
		"                          AES256-SHA AES128-SHA), or with --dtls09 these 0.9 ones\n"
		"  --dtls09                legacy: offer Cisco's DTLS 0.9 only (CBC-SHA1 suites)\n"
		"  --base-mtu N            path MTU told to the server (default 1500)\n"
		"  --duration SEC          disconnect after SEC (default: run until a signal)\n"
		"  --timeout SEC           bound for each step of the login (default 30)\n"
		"  --batch N               datagrams per recvmmsg/sendmmsg (default 32)\n"
		"  --no-coalesce           no tun offloads: one packet per read and per write,\n"
		"                          instead of GSO runs in and TSO packets out (comparison)\n"
		"  --no-gro                receive each datagram on its own, not the kernel's UDP\n"
		"                          GRO runs carved into records in place (comparison)\n"
		"  --moderation US         under load, wait US microseconds between looks at the\n"
		"                          socket and the tun (0..1000, default 500; 0: off)\n"
		"  --dtls-redial SEC       after DTLS fails (data then goes over CSTP), a new DTLS\n"
		"                          handshake SEC later, until one succeeds (0..3600,\n"
		"                          default 60; 0: stay on CSTP)\n"
		"  --script PATH           a vpnc-script sets up the tun, routes and DNS (as\n"
		"                          openconnect runs it: pre-init, connect, reconnect after\n"
		"                          a DTLS redial, disconnect) instead of zcvpn itself\n"
		CLI_OUTPUT_HELP
		"\n"
		"It prints the session (address, MTU, DTLS suite), then at the end the report.\n"
		"Exit status: 0 clean disconnect, 1 the session failed, 2 bad usage, 3 server\n"
		"unreachable, 4 certificate refused, 5 login refused, 6 session refused or\n"
		"expired, 7 no CAP_NET_ADMIN (zcvpn(1), EXIT STATUS).\n");
}

enum { OPT_PROTOCOL = 256, OPT_SERVERCERT, OPT_USER, OPT_PASSWD_STDIN, OPT_TUN, OPT_DTLS,
       OPT_BASE_MTU, OPT_DURATION, OPT_TIMEOUT, OPT_BATCH, OPT_DTLS_CIPHERS, OPT_DTLS09,
       OPT_NO_COALESCE, OPT_NO_GRO, OPT_MODERATION, OPT_DTLS_REDIAL, OPT_SCRIPT, OPT_HELP };

static const struct option long_opts[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "servercert", required_argument, NULL, OPT_SERVERCERT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "passwd-on-stdin", no_argument, NULL, OPT_PASSWD_STDIN },
	{ "tun", required_argument, NULL, OPT_TUN },
	{ "dtls", required_argument, NULL, OPT_DTLS },
	{ "base-mtu", required_argument, NULL, OPT_BASE_MTU },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "dtls-ciphers", required_argument, NULL, OPT_DTLS_CIPHERS },
	{ "dtls09", no_argument, NULL, OPT_DTLS09 },
	{ "no-coalesce", no_argument, NULL, OPT_NO_COALESCE },
	{ "no-gro", no_argument, NULL, OPT_NO_GRO },
	{ "moderation", required_argument, NULL, OPT_MODERATION },
	{ "dtls-redial", required_argument, NULL, OPT_DTLS_REDIAL },
	{ "script", required_argument, NULL, OPT_SCRIPT },
	{ "help", no_argument, NULL, OPT_HELP },
	CLI_OUTPUT_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

static int parse_number(const char *s, unsigned long min, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct ac_opts *o)
{
	struct zcvpn_config defaults;
	int c;

	zcvpn_config_init(&defaults);
	memset(o, 0, sizeof(*o));
	o->tun_name = "zcvpn0";
	o->base_mtu = DEFAULT_BASE_MTU;
	o->timeout_s = DEFAULT_TIMEOUT_S;
	o->batch = defaults.batch;
	o->moderation_us = defaults.moderation_us;
	o->redial_s = defaults.anyconnect.redial_ms / 1000;
	cli_output_init(&o->out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		int bad = cli_output_option(&o->out, c, optarg);

		if (bad) {
			if (bad < 0)
				return -EINVAL;
			continue;
		}
		switch (c) {
		case OPT_PROTOCOL: bad = strcmp(optarg, "anyconnect") != 0; break;
		case OPT_SERVERCERT: o->pin = optarg; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_PASSWD_STDIN: o->passwd_on_stdin = true; break;
		case OPT_TUN: o->tun_name = optarg; break;
		case OPT_DTLS:
			if (!strcmp(optarg, "psk"))
				o->dtls_mode = CSTP_DTLS_PSK;
			else if (!strcmp(optarg, "legacy"))
				o->dtls_mode = CSTP_DTLS_LEGACY;
			else if (!strcmp(optarg, "off"))
				o->dtls_mode = CSTP_DTLS_OFF;
			else
				bad = 1;
			break;
		case OPT_BASE_MTU: bad = parse_number(optarg, 1280, 9000, &o->base_mtu); break;
		case OPT_DURATION: bad = parse_number(optarg, 0, 86400 * 365, &o->duration_s); break;
		case OPT_TIMEOUT: bad = parse_number(optarg, 1, 3600, &o->timeout_s); break;
		case OPT_BATCH: bad = parse_number(optarg, 1, 256, &o->batch); break;
		case OPT_DTLS_CIPHERS: o->dtls_ciphers = optarg; break;
		case OPT_DTLS09: o->dtls09 = true; break;
		case OPT_NO_COALESCE: o->no_coalesce = true; break;
		case OPT_NO_GRO: o->no_gro = true; break;
		case OPT_MODERATION: bad = parse_number(optarg, 0, 1000, &o->moderation_us); break;
		case OPT_DTLS_REDIAL: bad = parse_number(optarg, 0, 3600, &o->redial_s); break;
		case OPT_SCRIPT: o->script = optarg; break;
		case 'h':
		case OPT_HELP: usage(stdout); return 1;
		default: usage(stderr); return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "zcvpn: bad value '%s' for --%s\n", optarg,
				long_opts[c - OPT_PROTOCOL].name);
			return -EINVAL;
		}
	}
	if (optind != argc - 1 || strncmp(argv[optind], "https://", 8)) {
		fprintf(stderr, "zcvpn: want exactly one https://SERVER argument (see --help)\n");
		return -EINVAL;
	}
	o->url = argv[optind];
	return o->script ? vpnc_script_check(o->script) : 0;
}

/* The DTLS server is the CSTP server's address with the X-DTLS-Port. */
static int dtls_remote(struct tls_conn *c, uint16_t port, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	if (getpeername(tls_fd(c), (struct sockaddr *)&ss, &sl))
		return -errno;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, port);
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, port);
	}
	return 0;
}


static int login_and_connect(struct cstp_client *s, const struct ac_opts *o)
{
	struct cstp_credentials cred = { .user = o->user };
	char password[256] = "", err[512];
	int ret;

	if (o->passwd_on_stdin && cli_read_password(password, sizeof(password)))
		return -EINVAL;
	if (o->passwd_on_stdin)
		cred.password = password;
	ret = cstp_authenticate(&s->server, &cred, s->cookie, sizeof(s->cookie), err,
				sizeof(err));
	explicit_bzero(password, sizeof(password));
	if (ret) {
		fprintf(stderr, "zcvpn: login to %s: %s\n", s->server.host, err);
		return ret;
	}
	fprintf(stderr, "zcvpn: logged in to %s\n", s->server.host);
	ret = cstp_open(&s->tls, &s->server, err, sizeof(err));
	if (!ret) {
		ret = cstp_connect_tunnel(s->tls, &s->server, s->cookie, &s->req, &s->info,
					  &s->reader, err, sizeof(err));
		if (ret == -EACCES)	/* the cookie: expired, or the server dropped it */
			ret = -EKEYEXPIRED;
	}
	if (ret) {
		fprintf(stderr, "zcvpn: tunnel: %s\n", err);
		return ret;
	}
	return 0;
}

static const char *rekey_name(enum cstp_rekey_method m)
{
	return m == CSTP_REKEY_SSL ? "ssl" : m == CSTP_REKEY_NEW_TUNNEL ? "new-tunnel" : "none";
}

static void print_session(const struct cstp_client *s)
{
	char addr[INET_ADDRSTRLEN] = "-", mask[INET_ADDRSTRLEN] = "-";

	if (s->info.has_address) {
		inet_ntop(AF_INET, &s->info.address, addr, sizeof(addr));
		inet_ntop(AF_INET, &s->info.netmask, mask, sizeof(mask));
	}
	fprintf(stderr, "zcvpn: CSTP connected to %s (%s): address %s netmask %s mtu %u, DTLS %s%s port %u"
		" dpd %u s keepalive %u s\n",
		s->server.host, s->info.server_name[0] ? s->info.server_name : "?", addr, mask,
		s->info.mtu,
		!s->info.dtls ? "off" : s->info.dtls_mode == CSTP_DTLS_PSK ? "PSK-NEGOTIATE" :
		s->info.dtls_cipher,
		s->info.dtls && s->info.dtls_mode == CSTP_DTLS_LEGACY ?
		(s->info.dtls12 ? " (DTLS 1.2)" : " (DTLS 0.9)") : "", s->info.dtls_port, s->info.dtls_dpd_s,
		s->info.dtls_keepalive_s);
	if (s->info.rekey_s || s->info.dtls_rekey_s)
		fprintf(stderr, "zcvpn: rekey: CSTP every %u s (%s, %s), DTLS every %u s (%s)\n",
			s->info.rekey_s, rekey_name(s->info.rekey_method), tls_description(s->tls),
			s->info.dtls_rekey_s, rekey_name(s->info.dtls_rekey_method));
}

/* Tun packets while DTLS is not up: over CSTP, as openconnect does (a copy each). */
static int cstp_fallback(void *ctx, const uint8_t *pkt, size_t len)
{
	struct cstp_client *s = ctx;

	/* A renegotiation under way owns the connection: the packet is dropped, counted. */
	if (s->cstp_rekey_started)
		return -EAGAIN;
	return cstp_send(s->tls, CSTP_PKT_DATA, pkt, len);
}

/*
 * The engine's events: DTLS coming up and going down in the words the scripts and users
 * know (data moves between DTLS and CSTP with them); anything else as it comes.
 */
static void on_event(void *ctx, const struct zcvpn_event *ev)
{
	struct cstp_client *s = ctx;

	uint64_t redials = 0, rekeys = 0;

	switch (ev->type) {
	case ZCVPN_EVENT_TRANSPORT_UP:
		zcvpn_engine_counter_value(s->engine, "dtls_redials", &redials);
		zcvpn_engine_counter_value(s->engine, "dtls_rekeys", &rekeys);
		if (rekeys != s->dtls_rekeys) {
			/* New keys, no outage: nothing for a script to redo. */
			s->dtls_rekeys = rekeys;
			fprintf(stderr, "zcvpn: DTLS up with new keys (rekey %" PRIu64 ")\n",
				rekeys);
			return;
		}
		if (s->dtls_ever_up)
			fprintf(stderr, "zcvpn: DTLS up again (redial %" PRIu64 "): %s\n",
				redials, ev->message);
		else
			fprintf(stderr, "zcvpn: DTLS up after %.2f s: %s\n",
				cli_now_s() - s->started, ev->message);
		s->redialed |= s->dtls_ever_up;	/* the script runs from the loop */
		s->dtls_ever_up = true;
		return;
	case ZCVPN_EVENT_TRANSPORT_DOWN:
		cli_print_event(NULL, ev);
		if (s->redial_s)
			fprintf(stderr, "zcvpn: DTLS failed (%s): data goes over CSTP until a new "
				"handshake succeeds (tried every %u s)\n", strerror(-ev->error),
				s->redial_s);
		else
			fprintf(stderr, "zcvpn: DTLS failed (%s): data goes over CSTP from now on\n",
				strerror(-ev->error));
		return;
	default:
		cli_print_event(NULL, ev);
	}
}

static void engine_settings(struct cstp_client *s, const struct ac_opts *o)
{
	struct zcvpn_config *cfg = &s->cfg;

	zcvpn_config_init(cfg);
	cfg->event_fn = on_event;
	cfg->event_ctx = s;
	cfg->protocol = ZCVPN_PROTOCOL_ANYCONNECT;
	cfg->mtu = s->info.mtu;
	cfg->batch = o->batch;
	cfg->no_coalesce = o->no_coalesce;
	cfg->no_gro = o->no_gro;
	cfg->moderation_us = o->moderation_us;
	cfg->anyconnect.redial_ms = o->redial_s * 1000u;
	cfg->tun = ZCVPN_TUN_LINUX;
	cfg->tun_name = o->tun_name;
	if (!s->info.dtls) {
		/* CSTP only: the engine still runs the tun and its rings; its socket idles. */
		cfg->anyconnect.cstp_only = true;
		cfg->local = "0.0.0.0:0";
		return;
	}
	cfg->remote = s->remote;
	if (s->info.dtls_mode == CSTP_DTLS_PSK) {
		cfg->anyconnect.psk = s->psk;
		cfg->anyconnect.app_id = s->info.app_id;
		cfg->anyconnect.app_id_len = s->info.app_id_len;
	} else {
		cfg->anyconnect.master_secret = s->req.master_secret;
		cfg->anyconnect.session_id = s->info.session_id;
		cfg->anyconnect.legacy_cipher = s->info.dtls_cipher;
		cfg->anyconnect.dtls09 = !s->info.dtls12;
	}
	cfg->anyconnect.rekey_ms = cstp_client_rekey_after_ms(s->info.dtls_rekey_s ? s->info.dtls_rekey_s :
						  s->info.rekey_s);
	cfg->anyconnect.dpd_ms = s->info.dtls_dpd_s * 1000;
	cfg->anyconnect.keepalive_ms = s->info.dtls_keepalive_s * 1000;
	cfg->anyconnect.handshake_timeout_ms = DTLS_HANDSHAKE_MS;
}

_Static_assert((int)VPNC_MAX_ROUTES >= CSTP_MAX_ROUTES && (int)VPNC_MAX_DNS >= CSTP_MAX_DNS &&
	       (int)VPNC_MAX_NBNS >= CSTP_MAX_DNS && (int)VPNC_TEXT_LEN >= CSTP_MAX_TEXT,
	       "the script is told all that the CSTP answer holds");

/* --script: the CONNECT answer in the script's terms, as openconnect passes it. */
static void script_settings(struct cstp_client *s, const struct ac_opts *o)
{
	const struct cstp_session *i = &s->info;
	struct vpnc_settings *v = &s->vpnc;

	s->script = o->script;
	vpnc_settings_init(v, o->tun_name);
	cstp_peer_address(s->tls, v->gateway, sizeof(v->gateway));
	v->mtu = i->mtu;
	v->has_ip4 = i->has_address;
	v->ip4 = i->address;
	if (i->has_netmask)
		v->netmask4 = i->netmask;
	v->ip6 = i->address6;
	memcpy(v->dns, i->dns, sizeof(i->dns));
	v->n_dns = i->n_dns;
	memcpy(v->nbns, i->nbns, sizeof(i->nbns));
	v->n_nbns = i->n_nbns;
	memcpy(v->domain, i->domain, sizeof(i->domain));
	memcpy(v->split_dns, i->split_dns, sizeof(i->split_dns));
	memcpy(v->banner, i->banner, sizeof(i->banner));
	memcpy(v->include.route, i->split_inc, sizeof(i->split_inc));
	v->include.n = i->n_split_inc;
	memcpy(v->exclude.route, i->split_exc, sizeof(i->split_exc));
	v->exclude.n = i->n_split_exc;
	v->idle_timeout_s = i->idle_timeout_s;
	if (i->n_ignored)
		fprintf(stderr, "zcvpn: %u network settings from the server were malformed or "
			"too many: the script is not told them\n", i->n_ignored);
}

/* The tun as the server said: by the script, or addresses and split routes ourselves. */
static int configure_tun(struct cstp_client *s, const struct ac_opts *o)
{
	char server[INET6_ADDRSTRLEN] = "";

	if (s->script) {
		s->script_connected = true;	/* a failed connect is undone too */
		return vpnc_script_reason(s->script, &s->vpnc, "connect");
	}
	cstp_network_print_dns(&s->info);
	cstp_peer_address(s->tls, server, sizeof(server));
	return cstp_network_setup(&s->net, o->tun_name, &s->info, server);
}

/*
 * The engine: DTLS to the server's UDP port, the tun device named on the command line,
 * CSTP as the fallback.  It runs in this thread (host-loop mode), so the fallback
 * writes to the TLS connection from the same thread that reads it.
 */
static int start_engine(struct cstp_client *s, const struct ac_opts *o)
{
	char err[256];
	int ret;

	if (o->script) {
		script_settings(s, o);
		ret = vpnc_script_reason(s->script, &s->vpnc, "pre-init");
		if (ret)
			return ret;
	}
	if (s->info.dtls && s->info.dtls_mode == CSTP_DTLS_PSK) {
		ret = tls_export(s->tls, PSK_LABEL, s->psk, sizeof(s->psk));
		if (ret) {
			fprintf(stderr, "zcvpn: deriving the DTLS PSK from the TLS session failed\n");
			return ret;
		}
	}
	if (s->info.dtls) {
		ret = dtls_remote(s->tls, s->info.dtls_port, s->remote, sizeof(s->remote));
		if (ret)
			return ret;
	} else {
		fprintf(stderr, "zcvpn: no DTLS: data goes over CSTP (TLS), with a copy per packet\n");
	}
	engine_settings(s, o);
	ret = zcvpn_engine_new(&s->engine, &s->cfg, err, sizeof(err));
	explicit_bzero(s->req.master_secret, sizeof(s->req.master_secret));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		return ret;
	}
	ret = configure_tun(s, o);
	if (ret)
		return ret;
	zcvpn_engine_set_fallback(s->engine, cstp_fallback, s);
	s->started = cli_now_s();
	s->redial_s = o->redial_s;
	ret = zcvpn_engine_start(s->engine, 0);
	if (ret) {
		fprintf(stderr, "zcvpn: starting the engine: %s\n", strerror(-ret));
		return ret;
	}
	if (!s->info.dtls)
		fprintf(stderr, "zcvpn: CSTP data path up\n");
	return 0;
}

/* One CSTP packet from the server: DPD answered, the end of the session noted. */
static int handle_cstp(struct cstp_client *s, uint8_t type, const uint8_t *payload, size_t len)
{
	switch (type) {
	case CSTP_PKT_DPD_REQ:
		s->cstp_dpd_rx++;
		/* Not while a renegotiation owns the connection: one answer missed is fine. */
		return s->cstp_rekey_started ? 0 :
		       cstp_send(s->tls, CSTP_PKT_DPD_RESP, payload, len);
	case CSTP_PKT_DPD_RESP:
		s->cstp_dpd_resp_rx++;
		return 0;
	case CSTP_PKT_KEEPALIVE:
		return 0;
	case CSTP_PKT_DISCONNECT:
	case CSTP_PKT_TERM_SERVER:
		fprintf(stderr, "zcvpn: the server ended the session%s\n",
			type == CSTP_PKT_TERM_SERVER ? " (terminated)" : "");
		s->server_ended = true;
		return 0;
	case CSTP_PKT_DATA:
		/* Over CSTP until DTLS is up (or for good without DTLS): a copy, counted. */
		s->cstp_data_rx++;
		if (len)
			zcvpn_engine_inject(s->engine, payload, len);
		return 0;
	default:
		s->cstp_other_rx++;
		return 0;
	}
}

/*
 * DPD on the CSTP channel too, as openconnect does: ocserv drops a session whose TCP
 * side stays silent past its DPD interval even while DTLS is busy.  Due at last
 * receive + interval, re-sent every half interval, dead at twice the interval.
 */
static int cstp_dpd(struct cstp_client *s, double now, double last_rx, double *last_dpd)
{
	double dpd = s->info.cstp_dpd_s;

	if (!dpd || now - last_rx < dpd)
		return 0;
	if (now - last_rx > 2 * dpd) {
		fprintf(stderr, "zcvpn: no answer on CSTP for %.0f s: the server is gone\n",
			now - last_rx);
		return -ETIMEDOUT;
	}
	if ((*last_dpd > last_rx && now - *last_dpd < dpd / 2) || s->cstp_rekey_started)
		return 0;
	*last_dpd = now;
	s->cstp_dpd_tx++;
	return cstp_send(s->tls, CSTP_PKT_DPD_REQ, NULL, 0);
}

/* Waits for the TLS socket or the engine's fd; handles what came in on either. */
static int poll_once(struct cstp_client *s, double *last_cstp_rx)
{
	struct pollfd pfd[2] = {
		{ .fd = tls_fd(s->tls), .events = POLLIN },
		{ .fd = zcvpn_engine_fd(s->engine), .events = POLLIN },
	};
	const uint8_t *payload;
	uint8_t type;
	size_t len;
	int ret;

	if (poll(pfd, 2, tls_pending(s->tls) ? 0 : POLL_MS) < 0 && errno != EINTR)
		return -errno;
	if (pfd[1].revents) {
		unsigned int us;

		ret = zcvpn_engine_process(s->engine);
		if (ret)
			return ret;
		/* Under load, let a batch build up before the next look (CSTP can wait too). */
		us = zcvpn_engine_moderation_us(s->engine);
		if (us)
			nanosleep(&(struct timespec){ 0, (long)us * 1000 }, NULL);
	}
	/*
	 * A read that finds nothing costs a syscall a wakeup: only when the socket has data,
	 * or while a renegotiation may hold the next handshake message already read.
	 */
	if (!pfd[0].revents && !tls_pending(s->tls) && !s->cstp_rekey_started)
		return 0;
	if (s->cstp_rekey_started) {
		ret = cstp_client_rekey_step(s);
		if (ret < 0)
			return ret;
	}
	/* Every complete CSTP packet already here, without waiting for more. */
	while ((ret = cstp_next_packet(s->cstp_rekey_started ? NULL : s->tls, &s->reader, 0,
				       &type, &payload, &len)) > 0) {
		*last_cstp_rx = cli_now_s();
		if (handle_cstp(s, type, payload, len) < 0)
			return -EIO;
	}
	if (ret < 0)
		fprintf(stderr, "zcvpn: the CSTP connection %s\n",
			ret == -ECONNRESET ? "was closed by the server" : "failed");
	return ret;
}

/* Runs until a signal, --duration, the server's goodbye, or a dead channel. */
static int run_session(struct cstp_client *s, const struct ac_opts *o)
{
	double start = cli_now_s(), last_cstp_tx = start, last_cstp_rx = start, last_dpd = 0;
	struct cli_progress progress;
	struct zcvpn_stats st;
	int ret;

	cli_progress_start(&progress, &o->out);
	cstp_client_rekey_schedule(s, start);
	while (!interrupted && !s->server_ended) {
		ret = poll_once(s, &last_cstp_rx);
		if (!ret)
			ret = cstp_dpd(s, cli_now_s(), last_cstp_rx, &last_dpd);
		if (ret)
			return ret;
		if (s->cstp_rekey_due && cli_now_s() >= s->cstp_rekey_due && !s->cstp_rekey_started) {
			ret = cstp_client_rekey(s, cli_now_s());
			if (ret)
				return ret;
			last_cstp_tx = last_cstp_rx = cli_now_s();
		}
		cli_progress_tick(&progress, s->engine);
		if (s->redialed) {
			s->redialed = false;
			/* A failure is said; the tunnel runs on. */
			vpnc_script_reason(s->script, &s->vpnc, "reconnect");
		}
		cli_get_stats(s->engine, &st);
		/* Only the server closes it while we run: we say goodbye after the loop. */
		if (st.transport_state == ZCVPN_TRANSPORT_CLOSED) {
			fprintf(stderr, "zcvpn: the server closed DTLS\n");
			s->server_ended = true;
		}
		if (st.tun_error) {
			fprintf(stderr, "zcvpn: the tun stopped (%s); disconnecting\n",
				strerror((int)-st.tun_error));
			return (int)st.tun_error;
		}
		if (s->info.cstp_keepalive_s && cli_now_s() - last_cstp_tx > s->info.cstp_keepalive_s &&
		    !s->cstp_rekey_started) {
			cstp_send(s->tls, CSTP_PKT_KEEPALIVE, NULL, 0);
			s->cstp_keepalive_tx++;
			last_cstp_tx = cli_now_s();
		}
		if (o->duration_s && cli_now_s() - start >= o->duration_s)
			break;
	}
	return 0;
}

static void json_network(struct json_writer *w, const void *ctx)
{
	cstp_network_json(w, ctx);
}

/* The engine's counters, and CSTP's, which the driver keeps; the network the server gave. */
static void report(struct cstp_client *s, const struct ac_opts *o)
{
	const struct cli_extra_counter cstp[] = {
		{ "cstp_dpd_rx", "CSTP DPD requests from the server", s->cstp_dpd_rx },
		{ "cstp_dpd_tx", "CSTP DPD requests sent", s->cstp_dpd_tx },
		{ "cstp_dpd_resp_rx", "CSTP DPD answers from the server", s->cstp_dpd_resp_rx },
		{ "cstp_keepalive_tx", "CSTP keepalives sent", s->cstp_keepalive_tx },
		{ "cstp_data_rx", "data packets from the server over CSTP", s->cstp_data_rx },
		{ "cstp_rekeys", "CSTP rekeys (a new tunnel, or new TLS keys)", s->cstp_rekeys },
	};
	struct cli_run run = { .role = "client", .out = &o->out, .extra = cstp,
			       .n_extra = sizeof(cstp) / sizeof(cstp[0]),
			       .json_extra = json_network, .json_ctx = &s->info };

	snprintf(run.suite, sizeof(run.suite), "%s",
		 !s->info.dtls ? "over CSTP" : s->info.dtls_mode == CSTP_DTLS_PSK ?
		 "DTLS PSK-NEGOTIATE" : s->info.dtls_cipher);
	cli_report(s->engine, &run, &s->cfg, cli_now_s() - s->started);
}

/* The goodbye openconnect sends: DISCONNECT with ocserv's "user logged out" reason. */
static void say_goodbye(struct cstp_client *s)
{
	static const char bye[] = "\xb0" "zcvpn: user disconnect";

	if (s->engine)
		zcvpn_engine_stop(s->engine);	/* DTLS DISCONNECT and close_notify */
	if (s->tls && !s->server_ended)
		cstp_send(s->tls, CSTP_PKT_DISCONNECT, bye, sizeof(bye) - 1);
}

int cmd_anyconnect(int argc, char **argv)
{
	struct cstp_client *s;
	struct ac_opts o;
	char err[256];
	int ret, status = CLI_EXIT_USAGE;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CLI_EXIT_FAILED;
	if (cstp_parse_url(o.url, &s->server, err, sizeof(err))) {
		fprintf(stderr, "zcvpn: %s\n", err);
		goto out;
	}
	s->server.pin = o.pin;
	s->server.timeout_ms = o.timeout_s * 1000;
	s->req.dtls_mode = o.dtls_mode;
	s->req.base_mtu = o.base_mtu;
	/* ocserv gives IPv6 only to a client that can take it: the script or we set it up. */
	s->req.ipv6 = true;
	/* Offer exactly what was asked for: one header or the other. */
	if (o.dtls09) {
		s->req.dtls12_suites = "";
		s->req.dtls09_suites = o.dtls_ciphers;
	} else if (o.dtls_ciphers) {
		s->req.dtls12_suites = o.dtls_ciphers;
		s->req.dtls09_suites = "";
	}
	if (getrandom(s->req.master_secret, sizeof(s->req.master_secret), 0) !=
	    sizeof(s->req.master_secret)) {
		status = CLI_EXIT_FAILED;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = login_and_connect(s, &o);
	if (ret) {
		status = cli_exit_status(ret);
		goto out;
	}
	print_session(s);
	ret = start_engine(s, &o);
	if (ret) {
		/* The server holds the session until we say goodbye, or its timeout. */
		say_goodbye(s);
		status = ret == -EPERM ? CLI_EXIT_PRIVILEGE : CLI_EXIT_FAILED;
		goto out;
	}
	ret = run_session(s, &o);
	say_goodbye(s);
	report(s, &o);
	status = ret ? CLI_EXIT_FAILED : CLI_EXIT_OK;
out:
	/* After the goodbye, with the tun still there; also undoes a connect that failed. */
	if (s->script_connected)
		vpnc_script_reason(s->script, &s->vpnc, "disconnect");
	/* After the goodbye too: a route kept the server out of the tunnel until then. */
	cstp_network_teardown(&s->net);
	if (s->engine)
		zcvpn_engine_free(s->engine);
	tls_free(s->tls);
	explicit_bzero(s, sizeof(*s));
	free(s);
	return status;
}
