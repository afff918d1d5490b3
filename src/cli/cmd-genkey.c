/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn genkey`: prints a fresh key file for both ends of a tunnel, or a PSK, or makes
 * a server's self-signed certificate (for `zcvpn serve --cert --key`).
 */
#include "config.h"

#include "src/cli/cli.h"

#include "crypto/tls.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
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

/* A self-signed certificate and its key, and the pin clients give (--servercert). */
static int make_certificate(const char *cert, const char *key, const char *name,
			    unsigned days)
{
	struct tls_server_creds *creds = NULL;
	char err[512], pin[128];
	int ret;

	ret = tls_make_self_signed(cert, key, name, days, err, sizeof(err));
	if (!ret)
		ret = tls_server_creds_new(&creds, &(struct tls_server_config){
						   .cert_file = cert, .key_file = key },
					   err, sizeof(err));
	if (!ret)
		ret = tls_server_creds_pin(creds, pin, sizeof(pin));
	tls_server_creds_free(creds);
	if (ret) {
		fprintf(stderr, "zcvpn genkey: %s\n", err);
		return 2;
	}
	printf("zcvpn: certificate for '%s' in %s (key in %s, mode 0600), valid %u days\n"
	       "zcvpn: clients take it with --servercert %s\n", name, cert, key, days, pin);
	return 0;
}

int cmd_genkey(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "enc", required_argument, NULL, 'e' },
		{ "auth", required_argument, NULL, 'a' },
		{ "psk", no_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *enc = "aes128-gcm", *auth = NULL, *cert = NULL, *key = NULL;
	const char *name = "localhost";
	unsigned long days = 365;
	struct cli_keys keys;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': enc = optarg; break;
		case 'a': auth = optarg; break;
		case 'p': return print_psk();
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'n': name = optarg; break;
		case 'd': days = strtoul(optarg, NULL, 10); break;
		case 'h':
			printf("Usage: zcvpn genkey [--enc NAME] [--auth NAME] > keys.conf\n"
			       "       zcvpn genkey --psk > psk.hex\n"
			       "       zcvpn genkey --cert cert.pem --key key.pem [--name HOST] [--days N]\n"
			       "Prints a key file (random SPIs and keys, both directions) that both\n"
			       "ends use with --key-file, or a 32-byte AnyConnect DTLS PSK for\n"
			       "--psk-file.  Keep it private: chmod 600.  With --cert and --key: a\n"
			       "self-signed ECDSA certificate for HOST (default localhost; an address\n"
			       "goes in as an IP name), valid N days (default 365), for `zcvpn serve`,\n"
			       "and the pin its clients give to --servercert.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (cert || key) {
		if (!cert || !key) {
			fprintf(stderr, "zcvpn genkey: --cert and --key go together\n");
			return 2;
		}
		return make_certificate(cert, key, name, days > 3650 ? 0 : (unsigned)days);
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
