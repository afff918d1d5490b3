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
#include <unistd.h>

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

/*
 * --workers N, or auto: the processors online, at most GENKEY_AUTO_WORKERS (past that a
 * tunnel between two hosts is limited by the NIC's queues and the peer, not by cores).
 */
enum { GENKEY_AUTO_WORKERS = 8 };
static int parse_workers(const char *s, uint64_t *workers)
{
	long cpus;

	if (strcmp(s, "auto"))
		return cli_parse_u64(s, 1, CLI_MAX_WORKERS, workers);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	*workers = cpus < 1 ? 1 : cpus > GENKEY_AUTO_WORKERS ? GENKEY_AUTO_WORKERS :
							       (uint64_t)cpus;
	return 0;
}

/* A key file with one fresh SA pair per worker; each pair is wiped once printed. */
static int print_key_file(const char *enc, const char *auth, unsigned workers)
{
	struct cli_keys keys;

	for (unsigned i = 0; i < workers; i++) {
		if (cli_keys_generate(&keys, enc, auth)) {
			fprintf(stderr, "zcvpn genkey: unknown suite '%s' with '%s'\n", enc, auth);
			return 2;
		}
		if (i == 0) {
			cli_keys_print(&keys, stdout);
		} else {
			printf("\n# worker %u of %u: its own SA pair (zcvpn serve|connect "
			       "--workers)\nworker = %u\n", i + 1, workers, i + 1);
			cli_keys_print_sa(&keys, stdout);
		}
		cli_keys_wipe(&keys);
	}
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
		{ "workers", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *enc = "aes128-gcm", *auth = NULL, *cert = NULL, *key = NULL;
	const char *name = "localhost";
	unsigned long days = 365;
	uint64_t workers = 1;
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
		case 'w':
			if (parse_workers(optarg, &workers)) {
				fprintf(stderr, "zcvpn genkey: --workers: want 1..%u, or auto\n",
					CLI_MAX_WORKERS);
				return 2;
			}
			break;
		case 'h':
			printf("Usage: zcvpn genkey [--enc NAME] [--auth NAME] [--workers N] > keys.conf\n"
			       "       zcvpn genkey --psk > psk.hex\n"
			       "       zcvpn genkey --cert cert.pem --key key.pem [--name HOST] [--days N]\n"
			       "Prints a key file (random SPIs and keys, both directions) that both\n"
			       "ends use with --key-file, or a 32-byte AnyConnect DTLS PSK for\n"
			       "--psk-file.  Keep it private: chmod 600.  With --cert and --key: a\n"
			       "self-signed ECDSA certificate for HOST (default localhost; an address\n"
			       "goes in as an IP name), valid N days (default 365), for `zcvpn serve`,\n"
			       "and the pin its clients give to --servercert.  --workers N|auto: one SA\n"
			       "pair per worker (serve|connect --workers), for a tunnel between two\n"
			       "zcvpn ends over N cores (auto: the processors, up to 8); other ESP\n"
			       "peers take one pair (the default).\n");
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
	return print_key_file(enc, auth, (unsigned)workers);
}
