/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn demo`: a server and a client engine in one process, joined over loopback UDP
 * with fresh random keys, each pushing in-memory traffic at the other: ESP, then
 * AnyConnect DTLS (a real PSK handshake, then our in-place record layer).  Needs no
 * root and no configuration; it shows throughput, loss and copied_bytes for both ends.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zcvpn demo [--protocol esp|anyconnect|both] [--count N] [--rate PPS]\n"
		"                  [--enc NAME] [--auth NAME] [--cipher NAME] [--size MIN[:MAX]]\n"
		"                  [--mtu N] [--stats] [--json] [--interval SEC]\n"
		"\n"
		"Runs a client and a server engine in this process over 127.0.0.1 with fresh\n"
		"random keys, N in-memory packets each way (default 200000, paced at --rate\n"
		"packets/s each way, default 50000; 0: unpaced), and prints what each end saw.\n"
		"Protocols: ESP, AnyConnect DTLS (PSK handshake, then the in-place record\n"
		"layer), or both one after the other (the default).\n"
		"ESP suites: --enc aes128-gcm|aes256-gcm (with --auth none) or aes128-cbc|\n"
		"aes256-cbc with --auth hmac-md5-96|hmac-sha1-96|hmac-sha256-128.\n"
		"DTLS suites: --cipher aes256-gcm|aes128-gcm|aes256-cbc-sha1|aes128-cbc-sha1.\n"
		"\n"
		CLI_OUTPUT_HELP
		"  (with --json, one report object per end and protocol, a line each)\n");
}

struct demo_opts {
	uint64_t count;
	const char *protocol;
	const char *enc, *auth, *cipher;
	uint32_t min_size, max_size, mtu;
	uint64_t rate;
	struct cli_output out;
};

static int parse(int argc, char **argv, struct demo_opts *o)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "enc", required_argument, NULL, 'e' },
		{ "auth", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		CLI_OUTPUT_LONG_OPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int taken = cli_output_option(&o->out, c, optarg);

		if (taken < 0)
			return -EINVAL;
		if (taken)
			continue;
		switch (c) {
		case 'n': o->count = strtoull(optarg, NULL, 0); break;
		case 'p': o->protocol = optarg; break;
		case 'c': o->cipher = optarg; break;
		case 'e': o->enc = optarg; break;
		case 'a': o->auth = optarg; break;
		case 'm': o->mtu = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': o->rate = strtoull(optarg, NULL, 0); break;
		case 's':
			if (sscanf(optarg, "%u:%u", &o->min_size, &o->max_size) == 1)
				o->max_size = o->min_size;
			break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!o->count) {
		fprintf(stderr, "zcvpn demo: --count must be a positive number\n");
		return -EINVAL;
	}
	if (strcmp(o->protocol, "esp") && strcmp(o->protocol, "anyconnect") &&
	    strcmp(o->protocol, "both")) {
		fprintf(stderr, "zcvpn demo: --protocol: esp, anyconnect or both\n");
		return -EINVAL;
	}
	return 0;
}

static void demo_config(struct zcvpn_config *cfg, const struct demo_opts *o, bool server)
{
	zcvpn_config_init(cfg);
	if (o->mtu)
		cfg->mtu = o->mtu;
	cfg->mem_count = o->count;
	cfg->mem_rate_pps = o->rate;
	cfg->mem_ipv6_percent = 50;
	if (o->min_size) {
		cfg->mem_min_size = o->min_size;
		cfg->mem_max_size = o->max_size;
	}
	cfg->mem_flow_id = server ? 2 : 1;
	cfg->mem_expect_flow_id = server ? 1 : 2;
	cfg->mem_seed = server ? 2 : 1;
	cfg->esp.answer_probes = server;
	cfg->esp.keepalive_ms = server ? 0 : 10000;
	cfg->event_fn = cli_print_event;
}

/* Creates both engines (server first: the client needs its port), runs, reports. */
static int run_pair(struct zcvpn_config *scfg, struct zcvpn_config *ccfg, struct cli_run *srun,
		    struct cli_run *crun)
{
	struct zcvpn_engine *server = NULL, *client = NULL;
	char err[256], remote[64];
	double cs, ss;
	int ret;

	scfg->local = "127.0.0.1:0";
	ret = zcvpn_engine_new(&server, scfg, err, sizeof(err));
	if (!ret) {
		snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(server));
		ccfg->remote = remote;
		ret = zcvpn_engine_new(&client, ccfg, err, sizeof(err));
	}
	if (ret) {
		fprintf(stderr, "zcvpn demo: %s\n", err);
		goto out;
	}
	ret = zcvpn_engine_start(server, ZCVPN_START_THREAD);
	if (!ret)
		ret = zcvpn_engine_start(client, ZCVPN_START_THREAD);
	if (ret) {
		fprintf(stderr, "zcvpn demo: starting: %s\n", strerror(-ret));
		goto out;
	}
	cli_wait_done(client, crun, ccfg, &cs);
	cli_wait_done(server, srun, scfg, &ss);
	zcvpn_engine_stop(client);
	zcvpn_engine_stop(server);
	/* Both directions ran at once: report both over the client's interval. */
	ret = cli_report(client, crun, ccfg, cs);
	ret |= cli_report(server, srun, scfg, cs);
out:
	zcvpn_engine_free(client);
	zcvpn_engine_free(server);
	return ret ? 1 : 0;
}

static int demo_esp(const struct demo_opts *o)
{
	struct cli_run srun = { .role = "server", .timeout_s = 10, .expect = o->count,
				 .out = &o->out };
	struct cli_run crun = { .role = "client", .timeout_s = 10, .expect = o->count,
				 .out = &o->out };
	const char *auth = o->auth ? o->auth : strstr(o->enc, "gcm") ? "none" : "hmac-sha1-96";
	struct zcvpn_config scfg, ccfg;
	struct cli_keys keys;
	int ret;

	if (cli_keys_generate(&keys, o->enc, auth)) {
		fprintf(stderr, "zcvpn demo: unknown suite '%s' with '%s'\n", o->enc, auth);
		return 2;
	}
	demo_config(&scfg, o, true);
	demo_config(&ccfg, o, false);
	cli_keys_apply(&keys, &scfg, true);
	cli_keys_apply(&keys, &ccfg, false);
	cli_keys_suite(&keys, srun.suite, sizeof(srun.suite));
	cli_keys_suite(&keys, crun.suite, sizeof(crun.suite));
	if (!o->out.json)
		printf("zcvpn %s demo (%s): %" PRIu64 " packets each way over 127.0.0.1, ESP %s%s%s\n",
		       zcvpn_version(), zcvpn_crypto_backend(), o->count, o->enc,
		       strcmp(auth, "none") ? "+" : "", strcmp(auth, "none") ? auth : "");
	ret = run_pair(&scfg, &ccfg, &srun, &crun);
	cli_keys_wipe(&keys);
	return ret;
}

static int demo_anyconnect(const struct demo_opts *o)
{
	struct cli_run srun = { .role = "server", .timeout_s = 10, .expect = o->count,
				 .out = &o->out };
	struct cli_run crun = { .role = "client", .timeout_s = 10, .expect = o->count,
				 .out = &o->out };
	struct zcvpn_config scfg, ccfg;
	uint8_t psk[32], app_id[16];
	int ret;

	if (getrandom(psk, sizeof(psk), 0) != sizeof(psk) ||
	    getrandom(app_id, sizeof(app_id), 0) != sizeof(app_id))
		return 2;
	demo_config(&scfg, o, true);
	demo_config(&ccfg, o, false);
	for (int i = 0; i < 2; i++) {
		struct zcvpn_config *cfg = i ? &ccfg : &scfg;

		cfg->protocol = ZCVPN_PROTOCOL_ANYCONNECT;
		cfg->anyconnect.server = !i;
		cfg->anyconnect.psk = psk;
		cfg->anyconnect.ciphers = o->cipher;
	}
	ccfg.anyconnect.app_id = app_id;
	ccfg.anyconnect.app_id_len = sizeof(app_id);
	snprintf(srun.suite, sizeof(srun.suite), "%s", o->cipher);
	snprintf(crun.suite, sizeof(crun.suite), "%s", o->cipher);
	if (!o->out.json)
		printf("zcvpn %s demo (%s): %" PRIu64 " packets each way over 127.0.0.1, "
		       "AnyConnect DTLS 1.2 PSK %s\n", zcvpn_version(), zcvpn_crypto_backend(),
		       o->count, o->cipher);
	ret = run_pair(&scfg, &ccfg, &srun, &crun);
	explicit_bzero(psk, sizeof(psk));
	return ret;
}

int cmd_demo(int argc, char **argv)
{
	/*
	 * Paced: the demo's traffic has no congestion control (TCP would bring its own), so
	 * an unpaced sender simply overflows the peer's UDP socket buffer on loopback.
	 */
	struct demo_opts o = { .count = 200000, .protocol = "both", .enc = "aes128-gcm",
			       .cipher = "aes128-gcm", .rate = 50000 };
	int ret;

	cli_output_init(&o.out);
	/* Two engines report one after the other: progress lines would interleave. */
	o.out.interval_s = 0;
	ret = parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (strcmp(o.protocol, "anyconnect")) {
		ret = demo_esp(&o);
		if (ret)
			return ret;
	}
	if (strcmp(o.protocol, "esp")) {
		if (!strcmp(o.protocol, "both") && !o.out.json)
			printf("\n");
		ret = demo_anyconnect(&o);
	}
	return ret;
}
