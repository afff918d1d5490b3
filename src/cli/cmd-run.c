/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn connect` (client) and `zcvpn serve` (its peer): one ESP tunnel with manual
 * keys, one AnyConnect DTLS tunnel with a given PSK (--protocol anyconnect), or one PPP
 * over DTLS tunnel for a given session (--protocol f5|fortinet: the DTLS part of those
 * logins, with the server's certificate), over the in-memory tun by default or a real
 * tun device with --tun.  `zcvpn connect --protocol
 * anyconnect https://SERVER` (a real server, CSTP login first) is cmd-anyconnect.c.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/hex.h"

static volatile int interrupted, rekey_requested;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void on_hangup(int sig)
{
	(void)sig;
	rekey_requested = 1;
}

static void usage(FILE *f, bool server)
{
	fprintf(f,
		"Usage: zcvpn %s [OPTIONS]\n"
		"\n"
		"Runs %s end of an ESP-over-UDP tunnel with manual keys, or of an AnyConnect\n"
		"DTLS tunnel with a pre-shared key (--protocol anyconnect), or of PPP over DTLS\n"
		"for a given F5 or Fortinet session (--protocol f5|fortinet).  To log in to a\n"
		"server: zcvpn connect --protocol anyconnect|f5|fortinet https://SERVER.\n"
		"\n"
		"  --protocol NAME         esp (default), anyconnect, f5 or fortinet\n"
		"Addresses:\n"
		"  --local ADDR:PORT       bind here (IPv6: [::1]:PORT)%s\n"
		"  --remote ADDR:PORT      the peer%s\n"
		"Keys (make a key file with 'zcvpn genkey > keys.conf; chmod 600 keys.conf'):\n"
		"  --key-file FILE         ESP suite, SPIs and keys for both directions; on\n"
		"                          SIGHUP read again: new SAs in it (zcvpn genkey) are a\n"
		"                          rekey, inbound at once, outbound 2 s later (signal\n"
		"                          both ends within 2 s of each other: nothing is lost)\n"
		"  --enc NAME --auth NAME  suite: aes128-gcm|aes256-gcm with none, or\n"
		"                          aes128-cbc|aes256-cbc with hmac-md5-96|hmac-sha1-96|\n"
		"                          hmac-sha256-128\n"
		"  --spi-in N --spi-out N  SPIs (decimal or 0x hex) of what we receive and send\n"
		"  --enc-key-in HEX  --enc-key-out HEX    (GCM: AES key then 4-byte salt)\n"
		"  --auth-key-in HEX --auth-key-out HEX   (CBC suites)\n"
		"                          these override the key file, or stand in for it; keys\n"
		"                          on a command line are visible to other users (ps):\n"
		"                          use --key-file for anything real\n"
		"AnyConnect DTLS (--protocol anyconnect):\n"
		"  --psk-file FILE         the 32-byte PSK as 64 hex digits (zcvpn genkey --psk)\n"
		"  --psk HEX               the same on the command line (visible to others: ps)\n"
		"  --app-id HEX            client: the session ID for the ClientHello\n"
		"  --cipher LIST           aes256-gcm,aes128-gcm,aes256-cbc-sha1,aes128-cbc-sha1\n"
		"                          (default: the GCM suites)\n"
		"  --dpd SEC --dtls-keepalive SEC   DPD and keepalive intervals (default off)\n"
		"  --dtls-redial SEC       client: a new handshake SEC after DTLS failed (DPD found\n"
		"                          the server gone), and again after each failed try\n"
		"                          (default 60; 0: never)\n"
		"  For a real server: zcvpn connect --protocol anyconnect https://SERVER --help\n"
		"PPP over DTLS (--protocol f5 or --protocol fortinet):\n"
		"  --session ID            the login's session (F5 sess=, Fortinet SVPNCOOKIE)\n"
		"  --cert FILE --key FILE  server: its certificate chain and key (PEM)\n"
		"  --servercert PIN        client: the server's pin-sha256:... (as openconnect)\n"
		"  --dpd SEC               LCP echo after SEC without traffic (default off)\n"
		"  The server assigns 10.77.0.2 (peer 10.77.0.1, DNS 10.77.0.53) by IPCP, and\n"
		"  interface identifiers by IP6CP.\n"
		"Tunnel:\n"
		"  --mtu N                 inner MTU (576..9000, default 1400)\n"
		"  --tun NAME              use the Linux tun device NAME (needs root); default:\n"
		"                          the in-memory traffic generator and verifying sink\n"
		"  --keepalive MS          ESP probe after MS idle (default %s)\n"
		"  --replay-window N       64..4096, multiple of 64 (default 64)\n"
		"  --batch N               datagrams per recvmmsg/sendmmsg (default 32)\n"
		"  --no-coalesce           no tun offloads: one packet per read and per write,\n"
		"                          instead of GSO runs in and TSO packets out (comparison)\n"
		"  --no-gro                receive each datagram on its own, not the kernel's UDP\n"
		"                          GRO runs carved into records in place (comparison)\n"
		"  --moderation US         under load, wait US microseconds between looks at the\n"
		"                          socket and the tun (0..1000, default 500; 0: off)\n"
		"  --ring-size BYTES       per ring, power of two (default 4194304)\n"
		"  --workers N             ESP with --tun: spread the tunnel over N cores, one\n"
		"                          engine per queue of a multi-queue tun, worker i on\n"
		"                          port PORT+i-1 with the key file's SA pair i (zcvpn\n"
		"                          genkey --workers N); both ends need the same N\n"
		"                          (default: as many as the key file has SA pairs)\n"
		"In-memory traffic (default tun):\n"
		"  --count N               packets to send (default %s)\n"
		"  --expect N              packets to wait for from the peer (default: --count)\n"
		"  --size MIN[:MAX]        IP packet sizes (default 64:MTU)\n"
		"  --ipv6 PERCENT          share of IPv6 packets (default 50)\n"
		"  --rate PPS              pace the generator (default: as fast as possible)\n"
		"  --timeout SEC           stop after SEC without traffic (default 10)\n"
		"  --flow-id N             stamp generated packets with flow N (default %s)\n"
		"  --expect-flow N         the sink accepts flow N (default %s; a peer that\n"
		"                          reflects our packets needs our own flow here)\n"
		CLI_OUTPUT_HELP
		"\n"
		"At the end it prints throughput, loss, corruption, copied_bytes and the counters\n"
		"that moved, and exits 0 only if every expected packet arrived intact.\n",
		server ? "serve" : "connect", server ? "the server" : "the client",
		server ? " (required)" : "",
		server ? " (default: learn it from the first authenticated packet)" : " (required)",
		server ? "off" : "10000", server ? "0" : "100000", server ? "2" : "1",
		server ? "1" : "2");
}

/* Key material given as options; applied over the key file, by direction. */
struct manual_keys {
	const char *enc, *auth;
	const char *spi_in, *spi_out;
	const char *enc_in, *enc_out, *auth_in, *auth_out;
};

struct run_opts {
	struct zcvpn_config cfg;
	const char *key_file;
	const char *psk_file, *psk_hex, *app_id;
	uint8_t psk[32];
	uint8_t app_id_bytes[32];
	struct manual_keys manual;
	const char *session, *cert, *cert_key, *pin;
	long long expect;
	unsigned timeout_s;
	unsigned workers;		/* --workers; 0: one per SA pair in the key file */
	struct cli_output out;
};

static int parse_sizes(const char *s, struct zcvpn_config *cfg)
{
	unsigned a, b;
	int n = sscanf(s, "%u:%u", &a, &b);

	if (n < 1)
		return -EINVAL;
	cfg->mem_min_size = a;
	cfg->mem_max_size = n == 2 ? b : a;
	return 0;
}

enum { OPT_LOCAL = 256, OPT_REMOTE, OPT_KEYFILE, OPT_MTU, OPT_TUN, OPT_KEEPALIVE, OPT_WINDOW,
       OPT_BATCH, OPT_RING, OPT_COUNT, OPT_EXPECT, OPT_SIZE, OPT_IPV6, OPT_RATE, OPT_TIMEOUT,
       OPT_FLOW, OPT_EXPECT_FLOW, OPT_ENC, OPT_AUTH, OPT_SPI_IN, OPT_SPI_OUT, OPT_ENC_IN,
       OPT_ENC_OUT, OPT_AUTH_IN, OPT_AUTH_OUT, OPT_PROTOCOL, OPT_PSK_FILE, OPT_PSK, OPT_APP_ID,
       OPT_CIPHER, OPT_DPD, OPT_DTLS_KEEPALIVE, OPT_DTLS_REDIAL, OPT_NO_COALESCE, OPT_NO_GRO,
       OPT_MODERATION, OPT_SESSION, OPT_CERT, OPT_CERT_KEY, OPT_SERVERCERT, OPT_WORKERS,
       OPT_HELP };

static const struct option long_opts[] = {
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "remote", required_argument, NULL, OPT_REMOTE },
	{ "key-file", required_argument, NULL, OPT_KEYFILE },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "tun", required_argument, NULL, OPT_TUN },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "replay-window", required_argument, NULL, OPT_WINDOW },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "ipv6", required_argument, NULL, OPT_IPV6 },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "flow-id", required_argument, NULL, OPT_FLOW },
	{ "expect-flow", required_argument, NULL, OPT_EXPECT_FLOW },
	{ "enc", required_argument, NULL, OPT_ENC },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "spi-in", required_argument, NULL, OPT_SPI_IN },
	{ "spi-out", required_argument, NULL, OPT_SPI_OUT },
	{ "enc-key-in", required_argument, NULL, OPT_ENC_IN },
	{ "enc-key-out", required_argument, NULL, OPT_ENC_OUT },
	{ "auth-key-in", required_argument, NULL, OPT_AUTH_IN },
	{ "auth-key-out", required_argument, NULL, OPT_AUTH_OUT },
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "psk-file", required_argument, NULL, OPT_PSK_FILE },
	{ "psk", required_argument, NULL, OPT_PSK },
	{ "app-id", required_argument, NULL, OPT_APP_ID },
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "dpd", required_argument, NULL, OPT_DPD },
	{ "dtls-keepalive", required_argument, NULL, OPT_DTLS_KEEPALIVE },
	{ "dtls-redial", required_argument, NULL, OPT_DTLS_REDIAL },
	{ "no-coalesce", no_argument, NULL, OPT_NO_COALESCE },
	{ "no-gro", no_argument, NULL, OPT_NO_GRO },
	{ "moderation", required_argument, NULL, OPT_MODERATION },
	{ "session", required_argument, NULL, OPT_SESSION },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_CERT_KEY },
	{ "servercert", required_argument, NULL, OPT_SERVERCERT },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "help", no_argument, NULL, OPT_HELP },
	CLI_OUTPUT_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

static int parse_protocol(const char *s, struct zcvpn_config *cfg)
{
	if (!strcmp(s, "esp")) {
		cfg->protocol = ZCVPN_PROTOCOL_ESP;
	} else if (!strcmp(s, "anyconnect")) {
		cfg->protocol = ZCVPN_PROTOCOL_ANYCONNECT;
	} else if (!strcmp(s, "f5") || !strcmp(s, "fortinet")) {
		cfg->protocol = ZCVPN_PROTOCOL_PPP;
		cfg->ppp.flavour = s[0] == 'f' && s[1] == '5' ? ZCVPN_PPP_F5 : ZCVPN_PPP_FORTINET;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, 1 for --help, or -EINVAL after printing what was wrong. */
static int parse_opts(int argc, char **argv, bool server, struct run_opts *o)
{
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		int bad = cli_output_option(&o->out, c, optarg);

		if (bad) {
			if (bad < 0)
				return -EINVAL;
			continue;
		}
		switch (c) {
		case OPT_LOCAL: o->cfg.local = optarg; break;
		case OPT_REMOTE: o->cfg.remote = optarg; break;
		case OPT_KEYFILE: o->key_file = optarg; break;
		case OPT_TUN: o->cfg.tun = ZCVPN_TUN_LINUX; o->cfg.tun_name = optarg; break;
		case OPT_MTU: bad = cli_parse_u64(optarg, 1, 65535, &v); o->cfg.mtu = (uint32_t)v; break;
		case OPT_KEEPALIVE: bad = cli_parse_u64(optarg, 0, 3600000, &v); o->cfg.esp.keepalive_ms = (uint32_t)v; break;
		case OPT_WINDOW: bad = cli_parse_u64(optarg, 1, 1 << 20, &v); o->cfg.esp.replay_window = o->cfg.anyconnect.replay_window = (unsigned)v; break;
		case OPT_BATCH: bad = cli_parse_u64(optarg, 1, 1024, &v); o->cfg.batch = (unsigned)v; break;
		case OPT_RING: bad = cli_parse_u64(optarg, 1, 1u << 30, &v); o->cfg.ring_size = (uint32_t)v; break;
		case OPT_COUNT: bad = cli_parse_u64(optarg, 0, UINT64_MAX / 2, &v); o->cfg.mem_count = v; break;
		case OPT_EXPECT: bad = cli_parse_u64(optarg, 0, UINT64_MAX / 2, &v); o->expect = (long long)v; break;
		case OPT_SIZE: bad = parse_sizes(optarg, &o->cfg); break;
		case OPT_IPV6: bad = cli_parse_u64(optarg, 0, 100, &v); o->cfg.mem_ipv6_percent = (unsigned)v; break;
		case OPT_RATE: bad = cli_parse_u64(optarg, 0, UINT64_MAX / 2, &v); o->cfg.mem_rate_pps = v; break;
		case OPT_TIMEOUT: bad = cli_parse_u64(optarg, 0, 86400, &v); o->timeout_s = (unsigned)v; break;
		case OPT_FLOW: bad = cli_parse_u64(optarg, 0, UINT32_MAX, &v); o->cfg.mem_flow_id = (uint32_t)v; break;
		case OPT_EXPECT_FLOW: bad = cli_parse_u64(optarg, 0, UINT32_MAX, &v); o->cfg.mem_expect_flow_id = (uint32_t)v; break;
		case OPT_ENC: o->manual.enc = optarg; break;
		case OPT_AUTH: o->manual.auth = optarg; break;
		case OPT_SPI_IN: o->manual.spi_in = optarg; break;
		case OPT_SPI_OUT: o->manual.spi_out = optarg; break;
		case OPT_ENC_IN: o->manual.enc_in = optarg; break;
		case OPT_ENC_OUT: o->manual.enc_out = optarg; break;
		case OPT_AUTH_IN: o->manual.auth_in = optarg; break;
		case OPT_AUTH_OUT: o->manual.auth_out = optarg; break;
		case OPT_NO_COALESCE: o->cfg.no_coalesce = true; break;
		case OPT_NO_GRO: o->cfg.no_gro = true; break;
		case OPT_MODERATION: bad = cli_parse_u64(optarg, 0, 1000, &v); o->cfg.moderation_us = (unsigned)v; break;
		case OPT_PROTOCOL: bad = parse_protocol(optarg, &o->cfg); break;
		case OPT_PSK_FILE: o->psk_file = optarg; break;
		case OPT_PSK: o->psk_hex = optarg; break;
		case OPT_APP_ID: o->app_id = optarg; break;
		case OPT_CIPHER: o->cfg.anyconnect.ciphers = optarg; break;
		case OPT_DPD: bad = cli_parse_u64(optarg, 0, 86400, &v); o->cfg.anyconnect.dpd_ms = o->cfg.ppp.dpd_ms = (uint32_t)v * 1000; break;
		case OPT_SESSION: o->session = optarg; break;
		case OPT_CERT: o->cert = optarg; break;
		case OPT_CERT_KEY: o->cert_key = optarg; break;
		case OPT_SERVERCERT: o->pin = optarg; break;
		case OPT_WORKERS: bad = cli_parse_u64(optarg, 1, CLI_MAX_WORKERS, &v); o->workers = (unsigned)v; break;
		case OPT_DTLS_KEEPALIVE: bad = cli_parse_u64(optarg, 0, 86400, &v); o->cfg.anyconnect.keepalive_ms = (uint32_t)v * 1000; break;
		case OPT_DTLS_REDIAL: bad = cli_parse_u64(optarg, 0, 3600, &v); o->cfg.anyconnect.redial_ms = o->cfg.ppp.redial_ms = (uint32_t)v * 1000; break;
		case 'h':
		case OPT_HELP: usage(stdout, server); return 1;
		default: usage(stderr, server); return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "zcvpn: bad value '%s' for --%s%s\n", optarg,
				long_opts[c - OPT_LOCAL].name,
				c == OPT_PROTOCOL ? " (esp, anyconnect, f5 or fortinet)" : "");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "zcvpn: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->cfg.protocol == ZCVPN_PROTOCOL_ANYCONNECT) {
		if (!o->psk_file && !o->psk_hex) {
			fprintf(stderr, "zcvpn: --protocol anyconnect needs --psk-file or --psk (or "
					"an https:// server URL for a real AnyConnect server)\n");
			return -EINVAL;
		}
	} else if (o->cfg.protocol == ZCVPN_PROTOCOL_PPP) {
		if (!o->session || (server && (!o->cert || !o->cert_key)) || (!server && !o->pin)) {
			fprintf(stderr, "zcvpn: --protocol f5|fortinet needs --session, and %s\n",
				server ? "--cert and --key" : "--servercert pin-sha256:...");
			return -EINVAL;
		}
	} else if (!o->key_file && !o->manual.enc) {
		fprintf(stderr, "zcvpn: --key-file is required (create one with 'zcvpn genkey'), "
				"or give --enc, --spi-in/out and the keys as options\n");
		return -EINVAL;
	}
	if (o->workers > 1 && o->cfg.protocol != ZCVPN_PROTOCOL_ESP) {
		fprintf(stderr, "zcvpn: --workers is for ESP: an AnyConnect or PPP session is one "
				"DTLS session, on one worker\n");
		return -EINVAL;
	}
	if (server ? !o->cfg.local : !o->cfg.remote) {
		fprintf(stderr, "zcvpn: --%s ADDR:PORT is required\n", server ? "local" : "remote");
		return -EINVAL;
	}
	return 0;
}

/* One key option into the right direction's field; the caller names it for errors. */
static int set_hex(const char *hex, uint8_t *key, uint32_t *len, const char *opt)
{
	if (hex && hex_decode(hex, key, 64, len)) {
		fprintf(stderr, "zcvpn: --%s: want an even number of hex digits, at most 64 bytes\n",
			opt);
		return -EINVAL;
	}
	return 0;
}

static int set_spi(const char *text, uint32_t *spi, const char *opt)
{
	uint64_t v;

	if (!text)
		return 0;
	if (cli_parse_u64(text, 256, UINT32_MAX, &v)) {
		fprintf(stderr, "zcvpn: --%s: want a number from 256 to 4294967295\n", opt);
		return -EINVAL;
	}
	*spi = (uint32_t)v;
	return 0;
}

/*
 * Applies the suite, SPI and key options over what the key file gave.  "in" is what this end
 * receives: client-to-server on the server, server-to-client on the client.
 */
static int apply_manual(const struct manual_keys *m, struct cli_keys *k, bool server)
{
	uint32_t *spi_in = server ? &k->c2s_spi : &k->s2c_spi;
	uint32_t *spi_out = server ? &k->s2c_spi : &k->c2s_spi;
	int ret = 0;

	if (m->enc && snprintf(k->enc, sizeof(k->enc), "%s", m->enc) >= (int)sizeof(k->enc))
		return -EINVAL;
	if (m->auth && snprintf(k->auth, sizeof(k->auth), "%s", m->auth) >= (int)sizeof(k->auth))
		return -EINVAL;
	ret |= set_spi(m->spi_in, spi_in, "spi-in");
	ret |= set_spi(m->spi_out, spi_out, "spi-out");
	ret |= set_hex(m->enc_in, server ? k->c2s_enc_key : k->s2c_enc_key,
		       server ? &k->c2s_enc_key_len : &k->s2c_enc_key_len, "enc-key-in");
	ret |= set_hex(m->enc_out, server ? k->s2c_enc_key : k->c2s_enc_key,
		       server ? &k->s2c_enc_key_len : &k->c2s_enc_key_len, "enc-key-out");
	ret |= set_hex(m->auth_in, server ? k->c2s_auth_key : k->s2c_auth_key,
		       server ? &k->c2s_auth_key_len : &k->s2c_auth_key_len, "auth-key-in");
	ret |= set_hex(m->auth_out, server ? k->s2c_auth_key : k->c2s_auth_key,
		       server ? &k->s2c_auth_key_len : &k->c2s_auth_key_len, "auth-key-out");
	if (!ret && (m->enc_in || m->enc_out || m->auth_in || m->auth_out))
		fprintf(stderr, "zcvpn: warning: keys on the command line are visible to other "
				"users; use --key-file for real use\n");
	return ret ? -EINVAL : 0;
}

/* The PSK file (64 hex digits, a trailing newline allowed) and the App-ID. */
static int anyconnect_keys(struct run_opts *o, bool server)
{
	uint32_t len;

	if (o->psk_hex) {
		if (hex_decode(o->psk_hex, o->psk, sizeof(o->psk), &len) || len != 32) {
			fprintf(stderr, "zcvpn: --psk: want the 32-byte PSK as 64 hex digits\n");
			return -EINVAL;
		}
		fprintf(stderr, "zcvpn: warning: a PSK on the command line is visible to other "
				"users; use --psk-file for real use\n");
	} else if (cli_psk_load(o->psk_file, o->psk)) {
		return -EINVAL;
	}
	o->cfg.anyconnect.server = server;
	o->cfg.anyconnect.psk = o->psk;
	if (o->app_id) {
		if (hex_decode(o->app_id, o->app_id_bytes, sizeof(o->app_id_bytes), &len) ||
		    !len) {
			fprintf(stderr, "zcvpn: --app-id: want 1..32 bytes as hex digits\n");
			return -EINVAL;
		}
		o->cfg.anyconnect.app_id = o->app_id_bytes;
		o->cfg.anyconnect.app_id_len = len;
	}
	return 0;
}

/* The session, the certificate or its pin, and what the server assigns by IPCP. */
static void ppp_setup(struct run_opts *o, bool server)
{
	static const uint8_t own4[4] = { 10, 77, 0, 1 }, peer4[4] = { 10, 77, 0, 2 };
	static const uint8_t dns4[4] = { 10, 77, 0, 53 };
	struct zcvpn_ppp_config *p = &o->cfg.ppp;

	p->server = server;
	p->session = o->session;
	if (server) {
		p->cert_file = o->cert;
		p->key_file = o->cert_key;
		memcpy(p->ipv4, own4, 4);
		memcpy(p->ipv4_peer, peer4, 4);
		memcpy(p->dns4[0], dns4, 4);
	} else {
		p->pin = o->pin;
	}
}

static void defaults(struct run_opts *o, bool server)
{
	memset(o, 0, sizeof(*o));
	zcvpn_config_init(&o->cfg);
	o->cfg.mem_count = server ? 0 : 100000;
	o->cfg.esp.keepalive_ms = server ? 0 : 10000;
	o->cfg.esp.answer_probes = server;
	cli_mem_roles(&o->cfg, server);
	o->expect = -1;
	o->timeout_s = 10;
	cli_output_init(&o->out);
}

/* A server URL among the arguments means a real AnyConnect server: cmd-anyconnect.c. */
static bool names_a_server(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "https://", 8))
			return true;
	return false;
}

/* --protocol f5 or fortinet (either spelling): the PPP logins, cmd-connect-ppp.c. */
static bool names_ppp(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "--protocol") && i + 1 < argc)
			v = argv[i + 1];
		else if (!strncmp(argv[i], "--protocol=", 11))
			v = argv[i] + 11;
		if (v && (!strcmp(v, "f5") || !strcmp(v, "fortinet")))
			return true;
	}
	return false;
}

/*
 * How many workers: --workers, or one per SA pair in the key file.  More than one needs
 * the file's pairs (not key options) and a real tun to have queues.  0 or -EINVAL (said).
 */
static int check_workers(struct run_opts *o, unsigned pairs)
{
	if (!o->workers)
		o->workers = pairs;
	if (o->workers > pairs) {
		if (o->key_file)
			fprintf(stderr, "zcvpn: --workers %u: %s holds SA pairs for %u (zcvpn "
					"genkey --workers %u writes a file for them)\n", o->workers,
				o->key_file, pairs, o->workers);
		else
			fprintf(stderr, "zcvpn: --workers %u needs --key-file with an SA pair per "
					"worker (zcvpn genkey --workers %u)\n", o->workers, o->workers);
		return -EINVAL;
	}
	if (o->workers > 1 && (o->manual.enc || o->manual.auth || o->manual.spi_in ||
			       o->manual.spi_out || o->manual.enc_in || o->manual.enc_out ||
			       o->manual.auth_in || o->manual.auth_out)) {
		fprintf(stderr, "zcvpn: --workers %u takes each worker's SAs from --key-file; key "
				"options name one pair\n", o->workers);
		return -EINVAL;
	}
	if (o->workers > 1 && o->cfg.tun != ZCVPN_TUN_LINUX) {
		fprintf(stderr, "zcvpn: %u workers need --tun NAME (each is one queue of a "
				"multi-queue tun); --workers 1 uses the key file's first pair\n",
			o->workers);
		return -EINVAL;
	}
	return 0;
}

/* The tunnel over o->workers engines (cli-workers.c), with this command's signals. */
static int run_workers(struct run_opts *o, bool server, struct cli_run *run)
{
	o->cfg.event_fn = cli_print_event;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hangup);
	run->expect = 0;
	run->timeout_s = 0;
	run->out = &o->out;
	return cli_workers_run(&o->cfg, o->workers, o->key_file, server, run, &rekey_requested);
}

int cmd_run(int argc, char **argv, bool server)
{
	struct cli_run run = { .role = server ? "server" : "client", .interrupted = &interrupted };
	struct zcvpn_engine *e = NULL;
	struct cli_esp_rekey rekey;
	struct cli_keys keys;
	struct run_opts o;
	char err[256];
	double seconds;
	int ret;

	if (!server && names_a_server(argc, argv))
		return names_ppp(argc, argv) ? cmd_connect_ppp(argc, argv) :
					       cmd_anyconnect(argc, argv);
	defaults(&o, server);
	memset(&keys, 0, sizeof(keys));
	ret = parse_opts(argc, argv, server, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (o.cfg.protocol == ZCVPN_PROTOCOL_ANYCONNECT) {
		if (anyconnect_keys(&o, server))
			return 2;
		snprintf(run.suite, sizeof(run.suite), "%s",
			 o.cfg.anyconnect.ciphers ? o.cfg.anyconnect.ciphers : "aes256-gcm,aes128-gcm");
	} else if (o.cfg.protocol == ZCVPN_PROTOCOL_PPP) {
		ppp_setup(&o, server);
		snprintf(run.suite, sizeof(run.suite), "over DTLS (%s)",
			 o.cfg.ppp.flavour == ZCVPN_PPP_F5 ? "F5" : "Fortinet");
	} else {
		unsigned pairs = 1;

		if ((o.key_file && cli_keys_load(&keys, o.key_file, 0, &pairs)) ||
		    apply_manual(&o.manual, &keys, server) ||
		    check_workers(&o, pairs)) {
			cli_keys_wipe(&keys);
			return 2;
		}
		if (o.workers > 1) {
			cli_keys_suite(&keys, run.suite, sizeof(run.suite));
			cli_keys_wipe(&keys);
			return run_workers(&o, server, &run);
		}
		cli_keys_apply(&keys, &o.cfg, server);
		cli_keys_suite(&keys, run.suite, sizeof(run.suite));
		if (o.key_file) {
			cli_esp_rekey_init(&rekey, o.key_file, 0, server, &keys, &rekey_requested);
			run.tick = cli_esp_rekey_tick;
			run.tick_ctx = &rekey;
			signal(SIGHUP, on_hangup);
		}
	}
	o.cfg.event_fn = cli_print_event;
	ret = zcvpn_engine_new(&e, &o.cfg, err, sizeof(err));
	cli_keys_wipe(&keys);
	explicit_bzero(o.psk, sizeof(o.psk));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		/* Opening the tun is the one privileged step: say so in the status too. */
		return ret == -EPERM ? CLI_EXIT_PRIVILEGE : CLI_EXIT_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	run.expect = o.expect >= 0 ? (uint64_t)o.expect : o.cfg.mem_count;
	run.timeout_s = o.cfg.tun == ZCVPN_TUN_LINUX ? 0 : o.timeout_s;
	run.out = &o.out;
	ret = zcvpn_engine_start(e, ZCVPN_START_THREAD);
	if (ret) {
		fprintf(stderr, "zcvpn: starting: %s\n", strerror(-ret));
		zcvpn_engine_free(e);
		return 2;
	}
	fprintf(stderr, "zcvpn: %s ready on UDP port %d%s%s\n", run.role, zcvpn_engine_local_port(e),
		o.cfg.tun_name ? ", tun " : "", o.cfg.tun_name ? o.cfg.tun_name : "");
	cli_wait_done(e, &run, &o.cfg, &seconds);
	zcvpn_engine_stop(e);
	if (run.tick)
		cli_esp_rekey_wipe(&rekey);
	ret = cli_report(e, &run, &o.cfg, seconds);
	zcvpn_engine_free(e);
	return ret;
}
