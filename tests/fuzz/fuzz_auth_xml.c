/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AnyConnect's XML login ("aggregate auth") on hostile XML, both ways:
 *  - the server's parse of a client's <config-auth> POST body (ac_auth_reply_parse in
 *    src/cli/ac-auth-xml.c: elements, entities, lengths);
 *  - the client's reading of a server's auth-request forms and the final "complete"
 *    (src/cli/cstp-auth.c, included here so its parse_form and reply builder run on
 *    their own, and cstp_authenticate over tests/scripted-tls: every answer, the
 *    webvpncontext and webvpn cookies, the rounds).
 *
 * The first byte picks the part (bits 0-1) and, for the login, how the scripted
 * connection cuts the stream (bits 2-3: as asked, 1, 7 or 16384 bytes per read):
 *  0  a client's POST body: the rest, NUL-terminated in a buffer of its exact size;
 *  1  a server's answer body for parse_form, then the reply built from it, the same;
 *  2, 3  a whole login: the rest is what the server sends, HTTP answers in order
 *     (3: without a password to give).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tls.h"
#include "src/cli/ac-server.h"
#include "tests/fuzz/fuzz.h"
#include "tests/scripted-tls.h"

/* The login's connection is the script (the harness cannot dial). */
#define cstp_open fuzz_cstp_open
#include "src/cli/cstp-auth.c"
#undef cstp_open

static struct tls_conn script;

int fuzz_cstp_open(struct tls_conn **out, const struct cstp_server *s, char *err,
		   size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	*out = &script;
	return 0;
}

/* The script is static: nothing to free. */
void tls_free(struct tls_conn *c)
{
	(void)c;
}

static const size_t chunks[] = { 0, 1, 7, 16384 };

/* The rest of the input as a C string of its exact size. */
static char *string(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

static bool terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

static void client_reply(const uint8_t *data, size_t len)
{
	char *xml = string(data, len);
	struct ac_auth_reply r;

	memset(&r, 0x55, sizeof(r));
	if (ac_auth_reply_parse(xml, &r) == 0 &&
	    (!terminated(r.user, sizeof(r.user)) || !terminated(r.password, sizeof(r.password)) ||
	     !terminated(r.group, sizeof(r.group))))
		abort();
	free(xml);
}

static void server_form(const uint8_t *data, size_t len)
{
	static const struct cstp_credentials cred = { "us<er>", "p&ss\"'", "gr&oup" };
	char *xml = string(data, len), err[256];
	char *reply = malloc(REPLY_LEN);
	struct form f;

	if (!reply)
		abort();
	if (parse_form(xml, &f) == 0) {
		if (f.n_text > MAX_FIELDS || f.n_password > MAX_FIELDS ||
		    !terminated(f.action, sizeof(f.action)) ||
		    !terminated(f.message, sizeof(f.message)) ||
		    !terminated(f.select, sizeof(f.select)))
			abort();
		if (!f.complete && build_reply(reply, REPLY_LEN, &f, &cred, err, sizeof(err)) == 0 &&
		    strlen(reply) >= REPLY_LEN)
			abort();
	}
	free(reply);
	free(xml);
}

static void login(const uint8_t *data, size_t len, size_t chunk, bool password)
{
	struct cstp_server srv = { .host = "vpn.example.com", .port = "443",
				   .host_header = "vpn.example.com", .timeout_ms = 1000 };
	struct cstp_credentials cred = { "user", password ? "pass" : NULL, "staff" };
	char cookie[256], err[256];

	script = (struct tls_conn){ .data = data, .len = len, .chunk = chunk };
	if (cstp_authenticate(&srv, &cred, cookie, sizeof(cookie), err, sizeof(err)) == 0 &&
	    (!cookie[0] || !terminated(cookie, sizeof(cookie))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);

	switch (mode & 3) {
	case 0:
		client_reply(in.data, in.size);
		break;
	case 1:
		server_form(in.data, in.size);
		break;
	default:
		login(in.data, in.size, chunks[mode >> 2 & 3], (mode & 3) == 2);
		break;
	}
	return 0;
}
