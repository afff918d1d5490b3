/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ESP key files for the driver.  One file serves both ends: keys are named by direction
 * (c2s: client to server, s2c: server to client), as GlobalProtect's <ipsec> block
 * names them, so the client sends with c2s and the server with s2c.
 *
 *   # zcvpn ESP keys
 *   enc = aes128-gcm
 *   auth = none
 *   c2s-spi = 0x1001
 *   s2c-spi = 0x2001
 *   c2s-enc-key = <hex>       (GCM: AES key then the 4-byte salt)
 *   s2c-enc-key = <hex>
 *   c2s-auth-key = <hex>      (CBC suites only)
 *   s2c-auth-key = <hex>
 *
 * A tunnel spread over several workers (serve|connect --workers) has one SA pair per
 * worker, since each worker is an engine of its own with its own sequence numbers and
 * replay window: the pair above is worker 1's, and each further pair follows a line
 * "worker = 2", "worker = 3", ... in order.  The suite is the same for all, so enc and
 * auth come before the first such line.
 */
#include "config.h"

#include "src/cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "src/cli/hex.h"

static int parse_spi(const char *s, uint32_t *spi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v < 256 || v > 0xffffffffUL)
		return -EINVAL;
	*spi = (uint32_t)v;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int set_key(struct cli_keys *k, const char *name, const char *value)
{
	if (!strcmp(name, "enc"))
		return snprintf(k->enc, sizeof(k->enc), "%s", value) < (int)sizeof(k->enc) ? 0 : -EINVAL;
	if (!strcmp(name, "auth"))
		return snprintf(k->auth, sizeof(k->auth), "%s", value) < (int)sizeof(k->auth) ? 0 : -EINVAL;
	if (!strcmp(name, "c2s-spi"))
		return parse_spi(value, &k->c2s_spi);
	if (!strcmp(name, "s2c-spi"))
		return parse_spi(value, &k->s2c_spi);
	if (!strcmp(name, "c2s-enc-key"))
		return hex_decode(value, k->c2s_enc_key, sizeof(k->c2s_enc_key), &k->c2s_enc_key_len);
	if (!strcmp(name, "s2c-enc-key"))
		return hex_decode(value, k->s2c_enc_key, sizeof(k->s2c_enc_key), &k->s2c_enc_key_len);
	if (!strcmp(name, "c2s-auth-key"))
		return hex_decode(value, k->c2s_auth_key, sizeof(k->c2s_auth_key), &k->c2s_auth_key_len);
	if (!strcmp(name, "s2c-auth-key"))
		return hex_decode(value, k->s2c_auth_key, sizeof(k->s2c_auth_key), &k->s2c_auth_key_len);
	return -ENOENT;
}

/*
 * A secret file anyone but its owner may read or change is refused, as ssh refuses such
 * a private key: its secrets may already be out, and using them would hide that.
 * Returns 0 or -EPERM (said on stderr).
 */
static int refuse_if_open_to_others(FILE *f, const char *what, const char *path)
{
	struct stat st;

	if (fstat(fileno(f), &st)) {
		fprintf(stderr, "zcvpn: %s %s: %s\n", what, path, strerror(errno));
		return -EPERM;
	}
	if (!(st.st_mode & 077))
		return 0;
	fprintf(stderr, "zcvpn: %s %s is open to others (mode %04o): refused; chmod 600 it\n",
		what, path, (unsigned)(st.st_mode & 07777));
	return -EPERM;
}

/* Where a key file's lines go: the block asked for, or a scratch copy that only checks. */
struct key_blocks {
	struct cli_keys *want_keys;	/* the block asked for */
	struct cli_keys scratch;	/* every other block; wiped after */
	unsigned block, want;		/* 0-based: the block being read, the one asked for */
};

static int bad_line(int ret, const char *name, const char *path, unsigned lineno)
{
	if (ret)
		fprintf(stderr, "zcvpn: %s:%u: %s '%s'\n", path, lineno,
			ret == -ENOENT ? "unknown setting" : "bad value for", name);
	return ret ? -EINVAL : 0;
}

/* One "name = value" line into its block: 0, or -EINVAL (said). */
static int key_line(struct key_blocks *b, const char *name, const char *value,
		    const char *path, unsigned lineno)
{
	bool suite = !strcmp(name, "enc") || !strcmp(name, "auth");
	int ret;
	uint64_t k;

	if (!strcmp(name, "worker")) {
		if (cli_parse_u64(value, 2, CLI_MAX_WORKERS, &k) || k != b->block + 2) {
			fprintf(stderr, "zcvpn: %s:%u: 'worker = %u' expected here (the blocks are "
					"numbered from 2 in order, at most %u)\n", path, lineno,
				b->block + 2, CLI_MAX_WORKERS);
			return -EINVAL;
		}
		b->block++;
		return 0;
	}
	if (suite && b->block) {
		fprintf(stderr, "zcvpn: %s:%u: '%s' goes before the first 'worker' line: every "
				"worker uses the same suite\n", path, lineno, name);
		return -EINVAL;
	}
	ret = set_key(b->block == b->want || suite ? b->want_keys : &b->scratch, name, value);
	return bad_line(ret, name, path, lineno);
}

int cli_keys_load(struct cli_keys *keys, const char *path, unsigned worker, unsigned *workers)
{
	struct key_blocks b = { .want_keys = keys, .want = worker };
	char line[512];
	unsigned lineno = 0;
	int ret = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "zcvpn: cannot open key file %s: %s\n", path, strerror(errno));
		return -errno;
	}
	ret = refuse_if_open_to_others(f, "key file", path);
	while (!ret && fgets(line, sizeof(line), f)) {
		char *eq, *name, *s = trim(line);

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr, "zcvpn: %s:%u: expected 'name = value'\n", path, lineno);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		name = trim(s);
		ret = key_line(&b, name, trim(eq + 1), path, lineno);
	}
	explicit_bzero(line, sizeof(line));
	cli_keys_wipe(&b.scratch);
	fclose(f);
	if (!ret && worker > b.block) {
		fprintf(stderr, "zcvpn: %s holds SAs for %u worker%s, not for worker %u (zcvpn "
				"genkey --workers N writes N)\n", path, b.block + 1,
			b.block ? "s" : "", worker + 1);
		ret = -EINVAL;
	}
	if (!ret && workers)
		*workers = b.block + 1;
	return ret;
}

int cli_keys_generate(struct cli_keys *k, const char *enc, const char *auth)
{
	size_t enc_len, auth_len;
	uint8_t spis[8];

	memset(k, 0, sizeof(*k));
	if (zcvpn_esp_key_lengths(enc, auth, &enc_len, &auth_len))
		return -EINVAL;
	snprintf(k->enc, sizeof(k->enc), "%s", enc);
	snprintf(k->auth, sizeof(k->auth), "%s", auth);
	k->c2s_enc_key_len = k->s2c_enc_key_len = (uint32_t)enc_len;
	k->c2s_auth_key_len = k->s2c_auth_key_len = (uint32_t)auth_len;
	if (getrandom(k->c2s_enc_key, enc_len, 0) != (ssize_t)enc_len ||
	    getrandom(k->s2c_enc_key, enc_len, 0) != (ssize_t)enc_len ||
	    (auth_len && getrandom(k->c2s_auth_key, auth_len, 0) != (ssize_t)auth_len) ||
	    (auth_len && getrandom(k->s2c_auth_key, auth_len, 0) != (ssize_t)auth_len) ||
	    getrandom(spis, sizeof(spis), 0) != (ssize_t)sizeof(spis))
		return -EIO;
	/* Random SPIs above the reserved range, different for the two directions. */
	k->c2s_spi = 0x1000 | ((uint32_t)spis[0] << 24 | (uint32_t)spis[1] << 16 | spis[2] << 8);
	k->s2c_spi = 0x2000 | ((uint32_t)spis[4] << 24 | (uint32_t)spis[5] << 16 | spis[6] << 8);
	return 0;
}

static void print_hex(FILE *f, const char *name, const uint8_t *b, uint32_t len)
{
	if (!len)
		return;
	fprintf(f, "%s = ", name);
	for (uint32_t i = 0; i < len; i++)
		fprintf(f, "%02x", b[i]);
	fputc('\n', f);
}

void cli_keys_print(const struct cli_keys *k, FILE *f)
{
	fprintf(f, "# zcvpn ESP keys: the same file serves both ends (c2s: client to server)\n");
	fprintf(f, "enc = %s\nauth = %s\n", k->enc, k->auth);
	cli_keys_print_sa(k, f);
}

void cli_keys_print_sa(const struct cli_keys *k, FILE *f)
{
	fprintf(f, "c2s-spi = 0x%08x\ns2c-spi = 0x%08x\n", k->c2s_spi, k->s2c_spi);
	print_hex(f, "c2s-enc-key", k->c2s_enc_key, k->c2s_enc_key_len);
	print_hex(f, "s2c-enc-key", k->s2c_enc_key, k->s2c_enc_key_len);
	print_hex(f, "c2s-auth-key", k->c2s_auth_key, k->c2s_auth_key_len);
	print_hex(f, "s2c-auth-key", k->s2c_auth_key, k->s2c_auth_key_len);
}

static void fill_sa(struct zcvpn_esp_sa *sa, const struct cli_keys *k, uint32_t spi,
		    const uint8_t *enc_key, uint32_t enc_len, const uint8_t *auth_key,
		    uint32_t auth_len)
{
	sa->spi = spi;
	sa->enc = k->enc;
	sa->auth = k->auth[0] ? k->auth : "none";
	sa->enc_key = enc_key;
	sa->enc_key_len = enc_len;
	sa->auth_key = auth_len ? auth_key : NULL;
	sa->auth_key_len = auth_len;
}

void cli_keys_apply(const struct cli_keys *k, struct zcvpn_config *cfg, bool server)
{
	struct zcvpn_esp_sa *c2s = server ? &cfg->esp.in : &cfg->esp.out;
	struct zcvpn_esp_sa *s2c = server ? &cfg->esp.out : &cfg->esp.in;

	fill_sa(c2s, k, k->c2s_spi, k->c2s_enc_key, k->c2s_enc_key_len, k->c2s_auth_key,
		k->c2s_auth_key_len);
	fill_sa(s2c, k, k->s2c_spi, k->s2c_enc_key, k->s2c_enc_key_len, k->s2c_auth_key,
		k->s2c_auth_key_len);
}

void cli_keys_wipe(struct cli_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}

void cli_keys_suite(const struct cli_keys *k, char *out, size_t len)
{
	bool auth = k->auth[0] && strcmp(k->auth, "none");

	snprintf(out, len, "%s%s%s", k->enc, auth ? "+" : "", auth ? k->auth : "");
}

int cli_psk_load(const char *path, uint8_t psk[32])
{
	char line[160];
	uint32_t len = 0;
	int ret = -EINVAL;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "zcvpn: cannot open PSK file %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	if (refuse_if_open_to_others(f, "PSK file", path))
		ret = -EPERM;
	else if (fgets(line, sizeof(line), f) && !hex_decode(trim(line), psk, 32, &len) &&
		 len == 32)
		ret = 0;
	else
		fprintf(stderr, "zcvpn: %s: want the 32-byte PSK as 64 hex digits on one line\n",
			path);
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return ret;
}
