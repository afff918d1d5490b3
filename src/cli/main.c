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
		"  connect   log in to an AnyConnect, F5 or Fortinet server (--protocol ...\n"
		"            https://SERVER) and run the tunnel; or, with --remote, the client\n"
		"            end of an ESP, AnyConnect-PSK or PPP tunnel with given keys\n"
		"  serve     the server end of such a tunnel (--local); with --listen, the\n"
		"            AnyConnect, F5, Fortinet or nullppp server openconnect logs in to\n"
		"  genkey    a key file for both ends, a PSK, or a self-signed certificate\n"
		"  help      help COMMAND: that command's options (connect, connect-anyconnect,\n"
		"            connect-ppp, serve, serve-anyconnect, serve-ppp, demo, genkey)\n"
		"\n"
		"'zcvpn COMMAND --help' explains each command; man zcvpn has them all, and the\n"
		"exit statuses.\n",
		zcvpn_version(), zcvpn_crypto_backend());
}

static int connect_with_keys(int argc, char **argv)
{
	return cmd_run(argc, argv, false);
}

static int serve_with_keys(int argc, char **argv)
{
	return cmd_run(argc, argv, true);
}

/* `zcvpn help COMMAND`: that command's --help, by the names zcvpn.1 uses. */
static int help(const char *cmd)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
		const char *argv0;
	} pages[] = {
		{ "demo", cmd_demo, "demo" },
		{ "connect", connect_with_keys, "connect" },
		{ "connect-anyconnect", cmd_anyconnect, "connect" },
		{ "connect-ppp", cmd_connect_ppp, "connect" },
		{ "serve", serve_with_keys, "serve" },
		{ "serve-ppp", cmd_serve_ppp, "serve" },
		{ "serve-anyconnect", cmd_serve_anyconnect, "serve" },
		{ "genkey", cmd_genkey, "genkey" },
	};

	if (!cmd) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		if (!strcmp(cmd, pages[i].name)) {
			char help_opt[] = "--help", *argv[] = { (char *)pages[i].argv0, help_opt, NULL };

			return pages[i].run(2, argv);
		}
	}
	fprintf(stderr, "zcvpn: no help for '%s' (try: zcvpn help)\n", cmd);
	return 2;
}

/* Whether argv has the option, as "--name" or "--name=VALUE". */
static bool has_option(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 2; i < argc; i++)
		if (!strncmp(argv[i], name, n) && (!argv[i][n] || argv[i][n] == '='))
			return true;
	return false;
}

/* `serve --protocol anyconnect`, as "--protocol X" or "--protocol=X". */
static bool protocol_is(int argc, char **argv, const char *proto)
{
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--protocol") && i + 1 < argc)
			return !strcmp(argv[i + 1], proto);
		if (!strncmp(argv[i], "--protocol=", 11))
			return !strcmp(argv[i] + 11, proto);
	}
	return false;
}

/*
 * `serve --listen`: a TLS server openconnect logs in to, AnyConnect
 * (cmd-serve-anyconnect.c) or F5/Fortinet/nullppp (cmd-serve-ppp.c); without it, the
 * server end of a tunnel with given keys (cmd-run.c).
 */
static int serve(int argc, char **argv)
{
	if (!has_option(argc, argv, "--listen"))
		return cmd_run(argc - 1, argv + 1, true);
	if (protocol_is(argc, argv, "anyconnect"))
		return cmd_serve_anyconnect(argc - 1, argv + 1);
	return cmd_serve_ppp(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "help"))
		return help(argc > 2 ? argv[2] : NULL);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("zcvpn %s (%s)\n", zcvpn_version(), zcvpn_crypto_backend());
		return 0;
	}
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argc - 1, argv + 1);
	if (!strcmp(cmd, "connect"))
		return cmd_run(argc - 1, argv + 1, false);
	if (!strcmp(cmd, "serve"))
		return serve(argc, argv);
	if (!strcmp(cmd, "genkey"))
		return cmd_genkey(argc - 1, argv + 1);
	fprintf(stderr, "zcvpn: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
