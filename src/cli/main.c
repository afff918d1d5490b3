/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The zcvpn command-line driver: dispatch only; each command lives in its own file. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "src/cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: zcvpn COMMAND [OPTIONS]\n"
		"\n"
		"zcvpn %s: a zero-copy VPN data-path engine (%s backend)\n"
		"\n"
		"Commands:\n"
		"  demo      client and server in one process over loopback (no root, no setup)\n"
		"  connect   run the client end of an ESP tunnel\n"
		"  serve     run the server end of an ESP tunnel; with --listen, the F5,\n"
		"            Fortinet or nullppp server openconnect logs in to\n"
		"  genkey    print a fresh key file for both ends\n"
		"\n"
		"'zcvpn COMMAND --help' explains each command.\n",
		zcvpn_version(), zcvpn_crypto_backend());
}

/* `serve --listen`: the TLS server openconnect logs in to (cmd-serve-ppp.c). */
static bool listens(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--listen") || !strncmp(argv[i], "--listen=", 9))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("zcvpn %s (%s)\n", zcvpn_version(), zcvpn_crypto_backend());
		return 0;
	}
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argc - 1, argv + 1);
	if (!strcmp(cmd, "connect"))
		return cmd_run(argc - 1, argv + 1, false);
	if (!strcmp(cmd, "serve"))
		return listens(argc, argv) ? cmd_serve_ppp(argc - 1, argv + 1) :
					     cmd_run(argc - 1, argv + 1, true);
	if (!strcmp(cmd, "genkey"))
		return cmd_genkey(argc - 1, argv + 1);
	fprintf(stderr, "zcvpn: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
