/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn demo`: a server and a client engine in one process, joined over loopback UDP
 * with fresh random keys, each pushing in-memory traffic at the other.  Needs no root
 * and no configuration; it shows throughput, loss and copied_bytes for both ends.
 */
#include "config.h"

#include "src/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zcvpn demo [--count N] [--rate PPS] [--enc NAME] [--auth NAME] [--size MIN[:MAX]]\n"
		"                  [--mtu N]\n"
		"\n"
		"Runs a client and a server engine in this process over 127.0.0.1, ESP with\n"
		"fresh random keys, N in-memory packets each way (default 200000, paced at\n"
		"--rate packets/s each way, default 100000; 0: unpaced), and prints\n"
		"what each end saw.  Suites: --enc aes128-gcm|aes256-gcm (with --auth none) or\n"
		"aes128-cbc|aes256-cbc with --auth hmac-md5-96|hmac-sha1-96|hmac-sha256-128.\n");
}

struct demo_opts {
	uint64_t count;
	const char *enc, *auth;
	uint32_t min_size, max_size, mtu;
	uint64_t rate;
};

static int parse(int argc, char **argv, struct demo_opts *o)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "enc", required_argument, NULL, 'e' },
		{ "auth", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o->count = strtoull(optarg, NULL, 0); break;
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
	cfg->answer_probes = server;
	cfg->keepalive_ms = server ? 0 : 10000;
}

int cmd_demo(int argc, char **argv)
{
	/*
	 * Paced: the demo's traffic has no congestion control (TCP would bring its own), so
	 * an unpaced sender simply overflows the peer's UDP socket buffer on loopback.
	 */
	struct demo_opts o = { .count = 200000, .enc = "aes128-gcm", .auth = NULL, .rate = 100000 };
	struct zcvpn_engine *server = NULL, *client = NULL;
	struct zcvpn_config scfg, ccfg;
	struct cli_run srun = { .role = "server", .timeout_s = 10 };
	struct cli_run crun = { .role = "client", .timeout_s = 10 };
	char err[256], remote[64];
	struct cli_keys keys;
	double cs, ss;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret > 0 ? 0 : 2;
	if (!o.auth)
		o.auth = strstr(o.enc, "gcm") ? "none" : "hmac-sha1-96";
	if (cli_keys_generate(&keys, o.enc, o.auth)) {
		fprintf(stderr, "zcvpn demo: unknown suite '%s' with '%s'\n", o.enc, o.auth);
		return 2;
	}
	demo_config(&scfg, &o, true);
	demo_config(&ccfg, &o, false);
	cli_keys_apply(&keys, &scfg, true);
	cli_keys_apply(&keys, &ccfg, false);
	cli_keys_suite(&keys, srun.suite, sizeof(srun.suite));
	cli_keys_suite(&keys, crun.suite, sizeof(crun.suite));
	scfg.local = "127.0.0.1:0";
	ret = zcvpn_engine_new(&server, &scfg, err, sizeof(err));
	if (!ret) {
		snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(server));
		ccfg.remote = remote;
		ret = zcvpn_engine_new(&client, &ccfg, err, sizeof(err));
	}
	cli_keys_wipe(&keys);
	if (ret) {
		fprintf(stderr, "zcvpn demo: %s\n", err);
		goto out;
	}
	printf("zcvpn %s demo (%s): %" PRIu64 " packets each way over 127.0.0.1, ESP %s%s%s\n",
	       zcvpn_version(), zcvpn_crypto_backend(), o.count, o.enc,
	       strcmp(o.auth, "none") ? "+" : "", strcmp(o.auth, "none") ? o.auth : "");
	srun.expect = crun.expect = o.count;
	ret = zcvpn_engine_start(server, ZCVPN_START_THREAD);
	if (!ret)
		ret = zcvpn_engine_start(client, ZCVPN_START_THREAD);
	if (ret) {
		fprintf(stderr, "zcvpn demo: starting: %s\n", strerror(-ret));
		goto out;
	}
	cli_wait_done(client, &crun, &ccfg, &cs);
	cli_wait_done(server, &srun, &scfg, &ss);
	ss = cs;	/* both directions ran at once, over the client's interval */
	zcvpn_engine_stop(client);
	zcvpn_engine_stop(server);
	ret = cli_report(client, &crun, &ccfg, cs);
	ret |= cli_report(server, &srun, &scfg, ss);
out:
	zcvpn_engine_free(client);
	zcvpn_engine_free(server);
	return ret ? 1 : 0;
}
