/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `zcvpn genkey`: prints a fresh key file for both ends of a tunnel. */
#include "config.h"

#include "src/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/random.h>

/* 32 random bytes as hex: the PSK for `--protocol anyconnect --psk-file`. */
static int print_psk(void)
{
	uint8_t psk[32];

	if (getrandom(psk, sizeof(psk), 0) != sizeof(psk)) {
		fprintf(stderr, "zcvpn genkey: no randomness: %s\n", strerror(errno));
		return 2;
	}
	for (size_t i = 0; i < sizeof(psk); i++)
		printf("%02x", psk[i]);
	printf("\n");
	explicit_bzero(psk, sizeof(psk));
	return 0;
}

int cmd_genkey(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "enc", required_argument, NULL, 'e' },
		{ "auth", required_argument, NULL, 'a' },
		{ "psk", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *enc = "aes128-gcm", *auth = NULL;
	struct cli_keys keys;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': enc = optarg; break;
		case 'a': auth = optarg; break;
		case 'p': return print_psk();
		case 'h':
			printf("Usage: zcvpn genkey [--enc NAME] [--auth NAME] > keys.conf\n"
			       "       zcvpn genkey --psk > psk.hex\n"
			       "Prints a key file (random SPIs and keys, both directions) that both\n"
			       "ends use with --key-file, or a 32-byte AnyConnect DTLS PSK for\n"
			       "--psk-file.  Keep it private: chmod 600.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!auth)
		auth = strstr(enc, "gcm") ? "none" : "hmac-sha1-96";
	if (cli_keys_generate(&keys, enc, auth)) {
		fprintf(stderr, "zcvpn genkey: unknown suite '%s' with '%s'\n", enc, auth);
		return 2;
	}
	cli_keys_print(&keys, stdout);
	cli_keys_wipe(&keys);
	return 0;
}
