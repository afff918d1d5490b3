/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files the driver reads: ESP key files and PSK files (src/cli/cli-keys.c) and the
 * AnyConnect server's password file in ocpasswd's format (src/cli/ac-passwd.c).  They
 * take paths, so the input is written to a file of the harness's own (made once, with
 * mkstemp, removed at exit) and read from there.
 *
 * The first byte picks the file (bits 0-1: 0 and 3 a key file, 1 a PSK file, 2 a
 * password file); the rest, at most 4 KiB, is its content.  A key file that loads is
 * applied to a configuration, each SA checked as the engine checks it
 * (esp_sa_from_public), and printed and loaded again: the same keys must come back.
 * Password files are kept to 16 lines and to hashes of bounded cost: crypt(3) takes
 * rounds from the hash itself, and an administrator's file is trusted to be sane there.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "proto/esp-config.h"
#include "src/cli/ac-passwd.h"
#include "src/cli/cli.h"
#include "tests/fuzz/fuzz.h"

enum {
	MAX_FILE = 4096,
	MAX_PASSWD_LINES = 16,
};

static char path[2][64];

static void remove_files(void)
{
	for (int i = 0; i < 2; i++)
		if (path[i][0])
			unlink(path[i]);
}

/* The harness's two files, made on first use. */
static const char *file(int i)
{
	if (!path[0][0]) {
		const char *dir = getenv("TMPDIR");

		for (int j = 0; j < 2; j++) {
			int fd;

			snprintf(path[j], sizeof(path[j]), "%s/zcvpn-fuzz-XXXXXX",
				 dir && strlen(dir) < 40 ? dir : "/tmp");
			fd = mkstemp(path[j]);
			if (fd < 0)
				abort();
			close(fd);
		}
		atexit(remove_files);
	}
	return path[i];
}

static void write_file(const char *name, const uint8_t *data, size_t len)
{
	FILE *f = fopen(name, "w");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		abort();
}

/* Each SA as the engine would take it: either refused or copied with its lengths. */
static void check_sa(const struct zcvpn_esp_sa *sa)
{
	struct esp_sa_config out;
	char err[256];

	if (esp_sa_from_public(sa, 0, &out, "inbound", err, sizeof(err)) == 0 &&
	    (out.enc_key_len != sa->enc_key_len || out.auth_key_len != sa->auth_key_len ||
	     out.spi != sa->spi))
		abort();
	crypto_wipe(&out, sizeof(out));
}

/* The same settings (a setting given twice leaves the longer one's bytes behind). */
static bool same_keys(const struct cli_keys *a, const struct cli_keys *b)
{
	return !strcmp(a->enc, b->enc) && !strcmp(a->auth, b->auth) &&
	       a->c2s_spi == b->c2s_spi && a->s2c_spi == b->s2c_spi &&
	       a->c2s_enc_key_len == b->c2s_enc_key_len &&
	       a->s2c_enc_key_len == b->s2c_enc_key_len &&
	       a->c2s_auth_key_len == b->c2s_auth_key_len &&
	       a->s2c_auth_key_len == b->s2c_auth_key_len &&
	       !memcmp(a->c2s_enc_key, b->c2s_enc_key, a->c2s_enc_key_len) &&
	       !memcmp(a->s2c_enc_key, b->s2c_enc_key, a->s2c_enc_key_len) &&
	       !memcmp(a->c2s_auth_key, b->c2s_auth_key, a->c2s_auth_key_len) &&
	       !memcmp(a->s2c_auth_key, b->s2c_auth_key, a->s2c_auth_key_len);
}

static void key_file(const uint8_t *data, size_t len)
{
	struct cli_keys k, again;
	struct zcvpn_config cfg;
	char suite[80];
	FILE *f;

	unsigned workers = 0;

	memset(&k, 0, sizeof(k));
	write_file(file(0), data, len);
	if (cli_keys_load(&k, file(0), 0, &workers))
		return;
	if (workers < 1 || workers > CLI_MAX_WORKERS)
		abort();
	/* The last worker's pair loads from the same file; one past it is refused. */
	memset(&again, 0, sizeof(again));
	if (cli_keys_load(&again, file(0), workers - 1, NULL) ||
	    !cli_keys_load(&again, file(0), workers, NULL))
		abort();
	cli_keys_wipe(&again);
	for (int server = 0; server < 2; server++) {
		memset(&cfg, 0, sizeof(cfg));
		cli_keys_apply(&k, &cfg, server);
		check_sa(&cfg.esp.in);
		check_sa(&cfg.esp.out);
	}
	cli_keys_suite(&k, suite, sizeof(suite));
	/* Printed and read back: the same keys (SPIs below 256 cannot be written). */
	if (k.c2s_spi >= 256 && k.s2c_spi >= 256) {
		f = fopen(file(1), "w");
		if (!f)
			abort();
		cli_keys_print(&k, f);
		if (fclose(f))
			abort();
		memset(&again, 0, sizeof(again));
		if (cli_keys_load(&again, file(1), 0, NULL) || !same_keys(&k, &again))
			abort();
		cli_keys_wipe(&again);
	}
	cli_keys_wipe(&k);
}

static void psk_file(const uint8_t *data, size_t len)
{
	uint8_t psk[32];

	write_file(file(0), data, len);
	(void)cli_psk_load(file(0), psk);
	crypto_wipe(psk, sizeof(psk));
}

/* Hashes whose cost the hash sets (rounds=, bcrypt/scrypt/yescrypt costs): not run. */
static bool costly(const uint8_t *data, size_t len)
{
	static const char *const marks[] = { "rounds", "$2", "$y$", "$gy$", "$7$", "$sha1",
					     "$md5" };
	size_t lines = 0;

	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	if (lines > MAX_PASSWD_LINES || len > 40 * MAX_PASSWD_LINES)
		return true;
	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
		if (memmem(data, len, marks[m], strlen(marks[m])))
			return true;
	return false;
}

static void passwd_file(const uint8_t *data, size_t len)
{
	struct ac_passwd pw;
	char err[256];

	if (costly(data, len))
		return;
	write_file(file(0), data, len);
	if (ac_passwd_load(&pw, file(0), err, sizeof(err)))
		return;
	if (!pw.n)
		abort();
	for (size_t i = 0; i < pw.n; i++)
		if (!memchr(pw.users[i].name, '\0', sizeof(pw.users[i].name)) ||
		    !memchr(pw.users[i].groups, '\0', sizeof(pw.users[i].groups)) ||
		    !memchr(pw.users[i].hash, '\0', sizeof(pw.users[i].hash)))
			abort();
	(void)ac_passwd_check(&pw, pw.users[0].name, "pw", "staff");
	ac_passwd_free(&pw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	size_t len = in.size < MAX_FILE ? in.size : MAX_FILE;

	switch (mode & 3) {
	case 1:
		psk_file(in.data, len);
		break;
	case 2:
		passwd_file(in.data, len);
		break;
	default:
		key_file(in.data, len);
		break;
	}
	return 0;
}
