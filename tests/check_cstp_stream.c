/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CSTP byte stream as a hostile server may shape it: the HTTP head of a CONNECT
 * answer (read_head() in src/cli/cstp-http.c) and STF packets (cstp_next_packet() in
 * src/cli/cstp-tunnel.c), over tests/scripted-tls.h, which returns as much as it is
 * asked for or as little as one byte: the bounds must hold whatever a backend does.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cstp.h"
#include "tests/scripted-tls.h"

/* ---- a stream built up piece by piece ------------------------------------------------- */

enum { STREAM_MAX = 3 * 65536 + 4096 };

struct stream {
	uint8_t buf[STREAM_MAX];
	size_t len;
};

static void put(struct stream *s, const void *p, size_t n)
{
	ck_assert_uint_le(s->len + n, sizeof(s->buf));
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/* An STF packet of plen payload bytes (the length field says len_field). */
static void put_stf(struct stream *s, uint8_t type, size_t plen, size_t len_field)
{
	uint8_t hdr[CSTP_STF_HDR] = { 'S', 'T', 'F', 1, (uint8_t)(len_field >> 8),
				      (uint8_t)len_field, type, 0 };

	put(s, hdr, sizeof(hdr));
	for (size_t i = 0; i < plen; i++) {
		uint8_t b = (uint8_t)(i * 7 + plen);

		put(s, &b, 1);
	}
}

/* ---- the HTTP head: what follows the blank line is kept, bounded ---------------------- */

static const struct head_row {
	const char *what;
	size_t header_pad;	/* bytes of an X-Pad header in the head */
	size_t after;		/* stream bytes right after the blank line */
	size_t chunk;		/* tls_read()'s most; 0: whatever is asked */
	int expect;
} head_table[] = {
	{ "a head alone", 0, 0, 0, 0 },
	{ "stream behind it, one read", 0, 100, 0, 0 },
	{ "64 KiB behind it, backend returns all asked", 0, 65536, 0, 0 },
	{ "64 KiB behind it, 16 KiB records", 0, 65536, 16384, 0 },
	{ "a byte at a time", 200, 50, 1, 0 },
	{ "head of 8000 bytes, then 64 KiB", 7900, 65536, 0, 0 },
	{ "head too long, found in one read", 9000, 100, 0, -EPROTO },
	{ "head too long, a byte at a time", 9000, 0, 1, -EPROTO },
	{ "head just fits", CSTP_MAX_HEADERS - 100, 10, 0, 0 },
};

static void build_head(struct stream *s, const struct head_row *row)
{
	static char pad[CSTP_MAX_HEADERS * 2];

	ck_assert_uint_lt(row->header_pad, sizeof(pad));
	memset(pad, 'p', row->header_pad);
	pad[row->header_pad] = '\0';
	put(s, "HTTP/1.1 200 CONNECTED\r\n", 24);
	if (row->header_pad) {
		put(s, "X-Pad: ", 7);
		put(s, pad, row->header_pad);
		put(s, "\r\n", 2);
	}
	put(s, "X-CSTP-MTU: 1400\r\n\r\n", 20);
	for (size_t i = 0; i < row->after; i++) {
		uint8_t b = (uint8_t)(i * 13 + 1);

		put(s, &b, 1);
	}
}

START_TEST(test_head)
{
	const struct head_row *row = &head_table[_i];
	static struct stream s;
	static struct http_response r;
	struct tls_conn c;
	char err[256] = "", mtu[16];
	size_t head_len;
	int ret;

	s.len = 0;
	build_head(&s, row);
	head_len = s.len - row->after;
	c = (struct tls_conn){ .data = s.buf, .len = s.len, .chunk = row->chunk };
	memset(&r, 0xa5, sizeof(r));
	ret = http_read_response(&c, &r, false, 0, err, sizeof(err));
	ck_assert_msg(ret == row->expect, "%s: %d (%s), not %d", row->what, ret, err,
		      row->expect);
	if (ret) {
		ck_assert_msg(strstr(err, "too long"), "%s: message '%s'", row->what, err);
		return;
	}
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(http_header(&r, "X-CSTP-MTU", 0, mtu, sizeof(mtu)), 0);
	ck_assert_str_eq(mtu, "1400");
	/* What was read past the head, then what is still unread: the stream exactly. */
	ck_assert_uint_le(r.extra_len, sizeof(r.extra));
	ck_assert_uint_eq(c.at - r.extra_len, head_len);
	ck_assert(!memcmp(r.extra, s.buf + head_len, r.extra_len));
	http_response_free(&r);
}
END_TEST

/* ---- STF packets: any length the reader can hold, a protocol error past it ---------- */

static const struct stf_row {
	const char *what;
	size_t plen;		/* the payload that follows the header */
	size_t len_field;	/* what the header says */
	uint8_t magic_byte;	/* stands in for 'T' (offset 1); 0: 'T' */
	uint8_t zero_byte;	/* byte 7 */
	size_t chunk;
	int expect;		/* 1: delivered */
} stf_table[] = {
	{ "empty DPD", 0, 0, 0, 0, 0, 1 },
	{ "one byte", 1, 1, 0, 0, 0, 1 },
	{ "MTU-sized", 1400, 1400, 0, 0, 0, 1 },
	{ "MTU-sized, a byte at a time", 1400, 1400, 0, 0, 1, 1 },
	{ "the largest packet", CSTP_MAX_PACKET, CSTP_MAX_PACKET, 0, 0, 0, 1 },
	{ "the largest, 16 KiB reads", CSTP_MAX_PACKET, CSTP_MAX_PACKET, 0, 0, 16384, 1 },
	{ "one past the largest", CSTP_MAX_PACKET + 1, CSTP_MAX_PACKET + 1, 0, 0, 0, -EPROTO },
	{ "32760 bytes", 32760, 32760, 0, 0, 0, -EPROTO },
	{ "65535 bytes", 65535, 65535, 0, 0, 0, -EPROTO },
	{ "65535 said, header only", 0, 65535, 0, 0, 0, -EPROTO },
	{ "65535 said, a byte at a time", 0, 65535, 0, 0, 1, -EPROTO },
	{ "bad magic", 10, 10, 'X', 0, 0, -EPROTO },
	{ "bad magic, a byte at a time", 10, 10, 'X', 0, 1, -EPROTO },
	{ "byte 7 set", 10, 10, 0, 1, 0, -EPROTO },
};

START_TEST(test_stf)
{
	const struct stf_row *row = &stf_table[_i];
	static struct stream s;
	static struct cstp_reader reader;
	const uint8_t *payload;
	struct tls_conn c;
	uint8_t type;
	size_t len;
	int ret;

	s.len = 0;
	put_stf(&s, 0x00, row->plen, row->len_field);
	if (row->magic_byte)
		s.buf[1] = row->magic_byte;
	s.buf[7] = row->zero_byte;
	put_stf(&s, 0x03, 0, 0);	/* a DPD request behind it */
	c = (struct tls_conn){ .data = s.buf, .len = s.len, .chunk = row->chunk };
	reader.len = reader.consumed = 0;
	/* A stream shaped a byte at a time needs one call per byte: bounded by its length. */
	for (size_t calls = 0; calls <= s.len; calls++) {
		ret = cstp_next_packet(&c, &reader, 0, &type, &payload, &len);
		if (ret)
			break;
	}
	ck_assert_msg(ret == row->expect, "%s: %d, not %d", row->what, ret, row->expect);
	if (ret != 1)
		return;
	ck_assert_uint_eq(type, 0x00);
	ck_assert_uint_eq(len, row->plen);
	ck_assert(!memcmp(payload, s.buf + CSTP_STF_HDR, len));
	/* The next one comes out whole too, then the end of the stream. */
	for (size_t calls = 0; calls <= s.len; calls++) {
		ret = cstp_next_packet(&c, &reader, 0, &type, &payload, &len);
		if (ret)
			break;
	}
	ck_assert_int_eq(ret, 1);
	ck_assert_uint_eq(type, 0x03);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(cstp_next_packet(&c, &reader, 0, &type, &payload, &len), -ECONNRESET);
}
END_TEST

/* Many packets of every size back to back, read in 64 KiB gulps and in odd chunks. */
START_TEST(test_stf_train)
{
	static const size_t chunks[] = { 0, 16384, 1000, 7 };
	static struct stream s;
	static struct cstp_reader reader;
	const size_t chunk = chunks[_i];
	const uint8_t *payload;
	struct tls_conn c;
	size_t sizes = 0, len;
	uint8_t type;
	int ret;

	s.len = 0;
	for (size_t plen = 0; s.len + CSTP_STF_HDR + plen < sizeof(s.buf) && sizes < 200;
	     plen = plen * 3 + 1, sizes++) {
		if (plen > CSTP_MAX_PACKET)
			plen = plen % CSTP_MAX_PACKET;
		put_stf(&s, (uint8_t)(sizes & 1 ? 0x00 : 0x07), plen, plen);
	}
	c = (struct tls_conn){ .data = s.buf, .len = s.len, .chunk = chunk };
	reader.len = reader.consumed = 0;
	for (size_t at = 0, got = 0, calls = 0; got < sizes; calls++) {
		ck_assert_uint_le(calls, s.len + sizes);
		ret = cstp_next_packet(&c, &reader, 0, &type, &payload, &len);
		ck_assert_int_ge(ret, 0);
		if (!ret)
			continue;
		ck_assert(!memcmp(payload - CSTP_STF_HDR, s.buf + at, CSTP_STF_HDR + len));
		at += CSTP_STF_HDR + len;
		got++;
	}
	ck_assert_int_eq(cstp_next_packet(&c, &reader, 0, &type, &payload, &len), -ECONNRESET);
}
END_TEST

static Suite *cstp_stream_suite(void)
{
	Suite *s = suite_create("cstp_stream");
	TCase *tc = tcase_create("stream");

	tcase_add_loop_test(tc, test_head, 0, (int)(sizeof(head_table) / sizeof(head_table[0])));
	tcase_add_loop_test(tc, test_stf, 0, (int)(sizeof(stf_table) / sizeof(stf_table[0])));
	tcase_add_loop_test(tc, test_stf_train, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cstp_stream_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
