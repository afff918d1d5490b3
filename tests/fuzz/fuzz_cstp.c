/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an AnyConnect server sends on the CSTP connection, as the client reads it: the
 * HTTP response (src/cli/cstp-http.c: head, headers, body), the CONNECT answer's
 * X-CSTP-/X-DTLS- headers (cstp_parse_answer in src/cli/cstp-tunnel.c), then the STF
 * packet stream that follows the head (cstp_next_packet).
 *
 * The first byte picks how the scripted connection (tests/scripted-tls.h) cuts the
 * stream: everything asked for, a byte, 7 bytes or 16 KiB per read, and whether a body
 * is expected (an auth form) or the stream follows (CONNECT).  The rest is the stream.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cstp.h"
#include "tests/fuzz/fuzz.h"
#include "tests/scripted-tls.h"

enum { MAX_PACKETS = 4096 };

static const size_t chunks[] = { 0, 1, 7, 16384 };

static void read_packets(struct tls_conn *c, const struct http_response *r)
{
	static struct cstp_reader reader;
	const uint8_t *payload;
	uint8_t type;
	size_t len;

	memcpy(reader.buf, r->extra, r->extra_len);
	reader.len = r->extra_len;
	reader.consumed = 0;
	/* Each call either hands out a packet or reads at least a byte: bounded. */
	for (size_t calls = 0; calls < MAX_PACKETS + c->len; calls++) {
		int ret = cstp_next_packet(c, &reader, 0, &type, &payload, &len);

		if (ret < 0)
			break;
		if (ret == 1 && (payload < reader.buf || len > CSTP_MAX_PACKET ||
				 payload + len > reader.buf + sizeof(reader.buf)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	bool expect_body = mode & 4;
	static struct http_response r;
	struct cstp_session session;
	struct tls_conn c = { .data = in.data, .len = in.size, .chunk = chunks[mode & 3] };
	char err[256], value[64];

	if (http_read_response(&c, &r, expect_body, 0, err, sizeof(err)))
		return 0;
	if (r.extra_len > sizeof(r.extra) || (r.body && strlen(r.body) > r.body_len))
		abort();
	(void)http_header(&r, "Content-Type", 0, value, sizeof(value));
	(void)http_header(&r, "X-CSTP-Split-Include", 3, value, sizeof(value));
	if (!expect_body) {
		memset(&session, 0, sizeof(session));
		(void)cstp_parse_answer(&r, &session, err, sizeof(err));
		read_packets(&c, &r);
	}
	http_response_free(&r);
	return 0;
}
