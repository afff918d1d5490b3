/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPP frames over a byte stream (proto/ppp-stream.h), as PPP over TLS delivers them:
 * for every encapsulation, frames encoded by ppp_stream_encode come back intact however
 * the stream is cut (every split point of a two-frame stream, one byte per read, all in
 * one read); frames openconnect 9.01 wrote (from ../shared/reference/ppp-captures) are
 * read as such; and hostile streams are bounded: a lying vendor header breaks the
 * stream for good (-EPROTO), bad FCS and junk between HDLC flags are skipped and
 * counted, an endless frame without a flag never grows the buffer.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ppp-stream.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const enum ppp_encap encaps[] = {
	PPP_ENCAP_RFC1662_HDLC, PPP_ENCAP_F5, PPP_ENCAP_F5_HDLC, PPP_ENCAP_FORTINET,
};

struct frame {
	uint16_t proto;
	size_t len;
	uint8_t info[1600];
};

static void make_frame(struct frame *f, uint16_t proto, size_t len, unsigned salt)
{
	f->proto = proto;
	f->len = len;
	for (size_t i = 0; i < len; i++)
		f->info[i] = (uint8_t)(i * 13 + salt);	/* hits 7d, 7e and control bytes */
}

static size_t encode(enum ppp_encap e, const struct frame *f, uint8_t *out, size_t room)
{
	int n = ppp_stream_encode(e, f->proto, f->proto != PPP_PROTO_LCP, true, 0xffffffff,
				  f->info, f->len, out, room);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* Feeds stream[0, len) in pieces of the given sizes (cycled) and checks the frames. */
static void feed_and_expect(enum ppp_encap e, const uint8_t *stream, size_t len,
			    const size_t *cuts, size_t n_cuts, const struct frame *want,
			    size_t n_want)
{
	static struct ppp_stream s;
	size_t got = 0, pos = 0, k = 0;

	ck_assert_int_eq(ppp_stream_init(&s, e), 0);
	while (pos < len) {
		size_t room, n = cuts[k++ % n_cuts];
		uint8_t *space = ppp_stream_space(&s, &room);
		const uint8_t *info;
		size_t info_len;
		uint16_t proto;
		int ret;

		if (n > len - pos)
			n = len - pos;
		ck_assert_uint_ge(room, n);
		memcpy(space, stream + pos, n);
		ppp_stream_wrote(&s, n);
		pos += n;
		while ((ret = ppp_stream_next(&s, &proto, &info, &info_len)) == 1) {
			ck_assert_uint_lt(got, n_want);
			ck_assert_uint_eq(proto, want[got].proto);
			ck_assert_uint_eq(info_len, want[got].len);
			ck_assert_mem_eq(info, want[got].info, info_len);
			got++;
		}
		ck_assert_int_eq(ret, 0);
	}
	ck_assert_uint_eq(got, n_want);
	ck_assert_uint_eq(s.stats.rx_frames, n_want);
}

/* Two frames, cut at every point: each arrives whole, once. */
START_TEST(test_every_split)
{
	enum ppp_encap e = encaps[_i];
	static struct frame f[2];
	uint8_t stream[8192];
	size_t a, b;

	make_frame(&f[0], PPP_PROTO_LCP, 20, 1);
	make_frame(&f[1], PPP_PROTO_IPV4, 300, 2);
	a = encode(e, &f[0], stream, sizeof(stream));
	b = encode(e, &f[1], stream + a, sizeof(stream) - a);
	for (size_t cut = 1; cut < a + b; cut++) {
		size_t cuts[2] = { cut, a + b };

		feed_and_expect(e, stream, a + b, cuts, 2, f, 2);
	}
	/* One byte per read, and everything in one read. */
	feed_and_expect(e, stream, a + b, (const size_t[]){ 1 }, 1, f, 2);
	feed_and_expect(e, stream, a + b, (const size_t[]){ a + b }, 1, f, 2);
}
END_TEST

/* Many frames of every size in odd-sized reads. */
START_TEST(test_many_frames)
{
	enum ppp_encap e = encaps[_i];
	static struct frame f[40];
	static uint8_t stream[40 * 3300];
	static const size_t cuts[] = { 1, 7, 1000, 3, 4096, 65, 16384 };
	size_t len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		make_frame(&f[i], i % 3 ? PPP_PROTO_IPV6 : PPP_PROTO_IPCP, 1 + i * 39, (unsigned)i);
		len += encode(e, &f[i], stream + len, sizeof(stream) - len);
	}
	feed_and_expect(e, stream, len, cuts, ARRAY_SIZE(cuts), f, ARRAY_SIZE(f));
}
END_TEST

/* Raw RFC 1661 over a stream: each read is one frame. */
START_TEST(test_raw_read_is_frame)
{
	static struct frame f[1];
	uint8_t wire[2048];
	size_t n;

	make_frame(&f[0], PPP_PROTO_IPV4, 500, 9);
	n = encode(PPP_ENCAP_RFC1661, &f[0], wire, sizeof(wire));
	feed_and_expect(PPP_ENCAP_RFC1661, wire, n, (const size_t[]){ n }, 1, f, 1);
}
END_TEST

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;

		ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* What openconnect 9.01 wrote, concatenated as one TLS stream. */
static const struct {
	enum ppp_encap encap;
	const char *hex;
	uint16_t protos[4];
	unsigned n;
} captured[] = {
	{ PPP_ENCAP_F5,
	  "f5000016ff03c021010100120104ffc10506bda78cbd07020802"
	  "f500000c80210101000a03060a0b0102"
	  "f5000008ff03c02105020004",
	  { PPP_PROTO_LCP, PPP_PROTO_IPCP, PPP_PROTO_LCP }, 3 },
	{ PPP_ENCAP_FORTINET,
	  "001850500012ff03c0210101000e0104ffbc0506e69674cc"
	  "00145050000eff03c0210201000a0506b672813c",
	  { PPP_PROTO_LCP, PPP_PROTO_LCP }, 2 },
	{ PPP_ENCAP_RFC1662_HDLC,
	  "7eff7d23c0217d217d217d207d387d217d24f7c37d227d267d207d207d207d207d257d26333175757d277d227d287d227d339f7e"
	  "7e802101010022030600000000810600000000820600000000830600000000840600000000bcb07e",
	  { PPP_PROTO_LCP, PPP_PROTO_IPCP }, 2 },
};

START_TEST(test_captured)
{
	static struct ppp_stream s;
	uint8_t wire[1024];
	size_t n = unhex(captured[_i].hex, wire), room;
	const uint8_t *info;
	size_t info_len;
	uint16_t proto;

	ck_assert_int_eq(ppp_stream_init(&s, captured[_i].encap), 0);
	memcpy(ppp_stream_space(&s, &room), wire, n);
	ppp_stream_wrote(&s, n);
	for (unsigned i = 0; i < captured[_i].n; i++) {
		ck_assert_int_eq(ppp_stream_next(&s, &proto, &info, &info_len), 1);
		ck_assert_uint_eq(proto, captured[_i].protos[i]);
		/* A control packet's own length field matches what the framing gave. */
		ck_assert_uint_ge(info_len, 4);
		ck_assert_uint_eq((size_t)(info[2] << 8 | info[3]), info_len);
	}
	ck_assert_int_eq(ppp_stream_next(&s, &proto, &info, &info_len), 0);
}
END_TEST

/* A vendor header that lies cannot be resynchronised: broken for good. */
START_TEST(test_lying_header_breaks)
{
	static const char *const bad[] = {
		"f4000008ff03c02105020004",		/* F5 magic wrong */
		"f500ffffff03c02105020004",		/* longer than any frame */
	};
	static const char *const bad_fortinet[] = {
		"00155050000eff03c0210201000a0506b672813c",	/* total != frame + 6 */
		"00145051000eff03c0210201000a0506b672813c",	/* magic */
		"ffff5050fff9",					/* oversize */
	};
	static struct ppp_stream s;
	uint8_t wire[256];
	const uint8_t *info;
	size_t info_len, room, n;
	uint16_t proto;

	for (size_t i = 0; i < ARRAY_SIZE(bad) + ARRAY_SIZE(bad_fortinet); i++) {
		bool f5 = i < ARRAY_SIZE(bad);

		n = unhex(f5 ? bad[i] : bad_fortinet[i - ARRAY_SIZE(bad)], wire);
		ck_assert_int_eq(ppp_stream_init(&s, f5 ? PPP_ENCAP_F5 : PPP_ENCAP_FORTINET), 0);
		memcpy(ppp_stream_space(&s, &room), wire, n);
		ppp_stream_wrote(&s, n);
		ck_assert_int_eq(ppp_stream_next(&s, &proto, &info, &info_len), -EPROTO);
		ck_assert_uint_eq(s.stats.rx_bad_encap + s.stats.rx_oversize, 1);
		/* And it stays broken, whatever comes next. */
		ck_assert_int_eq(ppp_stream_next(&s, &proto, &info, &info_len), -EPROTO);
	}
}
END_TEST

/* HDLC: a frame with a bad FCS and junk between flags are skipped; the next one counts. */
START_TEST(test_hdlc_skips_bad)
{
	static struct ppp_stream s;
	static struct frame f;
	uint8_t wire[4096];
	size_t n = 0, room;
	const uint8_t *info;
	size_t info_len;
	uint16_t proto;

	make_frame(&f, PPP_PROTO_IPV4, 100, 5);
	n = encode(PPP_ENCAP_RFC1662_HDLC, &f, wire, sizeof(wire));
	/* Corrupt the first copy at a byte that cannot turn into a flag or an escape. */
	for (size_t i = 3; i < n; i++) {
		if (wire[i] < 0x7c || wire[i] > 0x7f) {
			wire[i] ^= 0x01;
			break;
		}
	}
	memcpy(wire + n, "\x7e\x01\x02\x03\x7e", 5);	/* junk framed by flags */
	n += 5;
	n += encode(PPP_ENCAP_RFC1662_HDLC, &f, wire + n, sizeof(wire) - n);
	ck_assert_int_eq(ppp_stream_init(&s, PPP_ENCAP_RFC1662_HDLC), 0);
	memcpy(ppp_stream_space(&s, &room), wire, n);
	ppp_stream_wrote(&s, n);
	ck_assert_int_eq(ppp_stream_next(&s, &proto, &info, &info_len), 1);
	ck_assert_uint_eq(info_len, 100);
	ck_assert_mem_eq(info, f.info, 100);
	ck_assert_uint_eq(s.stats.rx_bad_fcs, 2);
	ck_assert_int_eq(ppp_stream_next(&s, &proto, &info, &info_len), 0);
}
END_TEST

/* Bytes that never close a frame are dropped once there are too many: bounded. */
START_TEST(test_hdlc_endless_frame_bounded)
{
	static struct ppp_stream s;
	const uint8_t *info;
	size_t info_len, room;
	uint16_t proto;

	ck_assert_int_eq(ppp_stream_init(&s, PPP_ENCAP_F5_HDLC), 0);
	for (int i = 0; i < 100; i++) {
		uint8_t *space = ppp_stream_space(&s, &room);

		ck_assert_uint_ge(room, PPP_STREAM_MAX_FRAME);
		memset(space, 0x41, PPP_STREAM_MAX_FRAME);
		ppp_stream_wrote(&s, PPP_STREAM_MAX_FRAME);
		ck_assert_int_eq(ppp_stream_next(&s, &proto, &info, &info_len), 0);
		ck_assert_uint_le(s.len, 2 * PPP_STREAM_MAX_FRAME + 16);
	}
	ck_assert_uint_gt(s.stats.rx_oversize, 0);
}
END_TEST

START_TEST(test_encode_room)
{
	static struct frame f;
	uint8_t out[64];

	make_frame(&f, PPP_PROTO_IPV4, 100, 0);
	ck_assert_int_eq(ppp_stream_encode(PPP_ENCAP_F5, f.proto, true, true, 0, f.info, f.len,
					   out, sizeof(out)), -EMSGSIZE);
	ck_assert_int_eq(ppp_stream_encode(PPP_ENCAP_RFC1662_HDLC, f.proto, true, true, 0, f.info,
					   f.len, out, sizeof(out)), -EMSGSIZE);
	ck_assert_int_eq(ppp_stream_init(&(struct ppp_stream){ 0 }, (enum ppp_encap)9), -EINVAL);
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("ppp_stream");
	TCase *tc = tcase_create("stream");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_every_split, 0, ARRAY_SIZE(encaps));
	tcase_add_loop_test(tc, test_many_frames, 0, ARRAY_SIZE(encaps));
	tcase_add_test(tc, test_raw_read_is_frame);
	tcase_add_loop_test(tc, test_captured, 0, ARRAY_SIZE(captured));
	tcase_add_test(tc, test_lying_header_breaks);
	tcase_add_test(tc, test_hdlc_skips_bad);
	tcase_add_test(tc, test_hdlc_endless_frame_bounded);
	tcase_add_test(tc, test_encode_room);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stream_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
