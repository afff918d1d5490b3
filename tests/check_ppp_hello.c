/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The F5 and Fortinet DTLS hellos: the bytes we build are the ones openconnect 9.01
 * builds (Fortinet's exact layout, F5's request line), what openconnect's servers answer
 * is judged right, and hostile or wrong hellos are refused: other sessions, lying
 * lengths, truncations at every byte, a session's prefix, missing terminators.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ppp-hello.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char session[] = "3c1f5d0e9b2a4c7d";

static int build(enum zcvpn_ppp_flavour f, const char *sess, uint8_t *buf, size_t room)
{
	struct ppp_hello_params p = {
		.flavour = f,
		.session = sess,
		.f5_z = "ur_Z_value",
		.host = "vpn.example.com",
		.local_name = "laptop",
		.ipv4 = true,
		.ipv6 = true,
	};

	return ppp_hello_client(&p, buf, room);
}

/* Fortinet's clthello, byte for byte as openconnect's fortinet.c lays it out. */
START_TEST(test_fortinet_client_bytes)
{
	static const uint8_t expect[] = "\x00\x2e" "GFtype\0clthello\0SVPNCOOKIE\0"
					"3c1f5d0e9b2a4c7d";	/* + the literal's NUL */
	uint8_t buf[PPP_HELLO_MAX];
	int len = build(ZCVPN_PPP_FORTINET, session, buf, sizeof(buf));

	ck_assert_int_eq(len, (int)sizeof(expect));
	ck_assert_int_eq(len, 2 + 27 + (int)strlen(session) + 1);
	ck_assert_mem_eq(buf, expect, sizeof(expect));
}
END_TEST

/* F5's request line carries the session, no HDLC, both families, Z and hostname. */
START_TEST(test_f5_client_text)
{
	uint8_t buf[PPP_HELLO_MAX + 1];
	int len = build(ZCVPN_PPP_F5, session, buf, PPP_HELLO_MAX);

	ck_assert_int_gt(len, 0);
	buf[len] = '\0';
	ck_assert_pstr_eq(strstr((char *)buf, "GET /myvpn?sess=3c1f5d0e9b2a4c7d&hdlc_framing=no"
					      "&ipv4=yes&ipv6=yes&Z=ur_Z_value&hostname=bGFwdG9w "
					      "HTTP/1.1\r\n"), (char *)buf);
	ck_assert_ptr_nonnull(strstr((char *)buf, "\r\nHost: vpn.example.com\r\n"));
	ck_assert_int_eq(memcmp(buf + len - 4, "\r\n\r\n", 4), 0);
	/* No cookie header: the request must fit one datagram. */
	ck_assert_ptr_null(strstr((char *)buf, "Cookie"));
}
END_TEST

static const struct {
	const char *session;
	int expect;
} bad_sessions[] = {
	{ NULL, -EINVAL }, { "", -EINVAL }, { "with space", -EINVAL }, { "a&b", -EINVAL },
	{ "a%20", -EINVAL }, { "tab\there", -EINVAL }, { "del\x7f", -EINVAL },
};

START_TEST(test_client_refuses_bad_sessions)
{
	uint8_t buf[PPP_HELLO_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(bad_sessions); i++) {
		ck_assert_int_eq(build(ZCVPN_PPP_F5, bad_sessions[i].session, buf, sizeof(buf)),
				 bad_sessions[i].expect);
		ck_assert_int_eq(build(ZCVPN_PPP_FORTINET, bad_sessions[i].session, buf,
				       sizeof(buf)), bad_sessions[i].expect);
	}
	/* Too small a buffer is -EMSGSIZE, never an overflow. */
	ck_assert_int_eq(build(ZCVPN_PPP_F5, session, buf, 40), -EMSGSIZE);
	ck_assert_int_eq(build(ZCVPN_PPP_FORTINET, session, buf, 20), -EMSGSIZE);
}
END_TEST

/* Both flavours: our hello is accepted for our session and refused for any other. */
START_TEST(test_server_judges_client)
{
	enum zcvpn_ppp_flavour f = _i ? ZCVPN_PPP_FORTINET : ZCVPN_PPP_F5;
	uint8_t buf[PPP_HELLO_MAX];
	int len = build(f, session, buf, sizeof(buf));
	bool v4, v6;

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(ppp_hello_check_client(f, buf, (size_t)len, session, &v4, &v6),
			 PPP_HELLO_ACCEPTED);
	ck_assert(v4 && v6);
	ck_assert_int_eq(ppp_hello_check_client(f, buf, (size_t)len, "3c1f5d0e9b2a4c7e", &v4,
						&v6), PPP_HELLO_REFUSED);
	/* A prefix of the session, or the session and more, is another session. */
	ck_assert_int_eq(ppp_hello_check_client(f, buf, (size_t)len, "3c1f5d0e", &v4, &v6),
			 PPP_HELLO_REFUSED);
	ck_assert_int_eq(ppp_hello_check_client(f, buf, (size_t)len, "3c1f5d0e9b2a4c7d0", &v4,
						&v6), PPP_HELLO_REFUSED);
	/* A server without a session accepts nobody. */
	ck_assert_int_eq(ppp_hello_check_client(f, buf, (size_t)len, NULL, &v4, &v6),
			 PPP_HELLO_REFUSED);
	/* Every truncation is malformed (or, for F5, at worst refused), never accepted. */
	for (int cut = 0; cut < len; cut++)
		ck_assert_int_ne(ppp_hello_check_client(f, buf, (size_t)cut, session, &v4, &v6),
				 PPP_HELLO_ACCEPTED);
	/* The other flavour's hello is not this one's. */
	len = build(f == ZCVPN_PPP_F5 ? ZCVPN_PPP_FORTINET : ZCVPN_PPP_F5, session, buf,
		    sizeof(buf));
	ck_assert_int_eq(ppp_hello_check_client(f, buf, (size_t)len, session, &v4, &v6),
			 PPP_HELLO_MALFORMED);
}
END_TEST

static const struct {
	const char *what;
	const char *text;	/* F5 request, judged for session "s1" */
	int expect;
	bool v4, v6;
} f5_requests[] = {
	{ "minimal", "GET /myvpn?sess=s1 HTTP/1.1\r\n\r\n", PPP_HELLO_ACCEPTED, true, true },
	{ "families", "GET /myvpn?ipv4=no&sess=s1&ipv6=yes HTTP/1.1\r\n\r\n", PPP_HELLO_ACCEPTED,
	  false, true },
	{ "v6 off", "GET /myvpn?sess=s1&ipv6=no HTTP/1.0\r\nHost: x\r\n\r\n", PPP_HELLO_ACCEPTED,
	  true, false },
	{ "other session", "GET /myvpn?sess=s2 HTTP/1.1\r\n\r\n", PPP_HELLO_REFUSED, true, true },
	{ "no session", "GET /myvpn?hdlc_framing=no HTTP/1.1\r\n\r\n", PPP_HELLO_REFUSED, true,
	  true },
	{ "empty session", "GET /myvpn?sess=&x=s1 HTTP/1.1\r\n\r\n", PPP_HELLO_REFUSED, true, true },
	{ "session as a suffix", "GET /myvpn?xsess=s1 HTTP/1.1\r\n\r\n", PPP_HELLO_REFUSED, true,
	  true },
	{ "POST", "POST /myvpn?sess=s1 HTTP/1.1\r\n\r\n", PPP_HELLO_MALFORMED, true, true },
	{ "other path", "GET /vdesk?sess=s1 HTTP/1.1\r\n\r\n", PPP_HELLO_MALFORMED, true, true },
	{ "unterminated", "GET /myvpn?sess=s1 HTTP/1.1\r\n", PPP_HELLO_MALFORMED, true, true },
	{ "no version", "GET /myvpn?sess=s1\r\n\r\n", PPP_HELLO_MALFORMED, true, true },
};

START_TEST(test_f5_requests)
{
	for (size_t i = 0; i < ARRAY_SIZE(f5_requests); i++) {
		const char *t = f5_requests[i].text;
		bool v4, v6;
		int got = ppp_hello_check_client(ZCVPN_PPP_F5, (const uint8_t *)t, strlen(t),
						 "s1", &v4, &v6);

		ck_assert_msg(got == f5_requests[i].expect, "%s: %d", f5_requests[i].what, got);
		if (got == PPP_HELLO_ACCEPTED)
			ck_assert_msg(v4 == f5_requests[i].v4 && v6 == f5_requests[i].v6, "%s",
				      f5_requests[i].what);
	}
}
END_TEST

static const struct {
	const char *what;
	uint8_t bytes[48];
	size_t len;
	int expect;
} fortinet_hellos[] = {
	{ "too short", "\x00\x14GFtype\0clthello\0SVPNCOOKIE\0s1", 0x14, PPP_HELLO_MALFORMED },
	{ "right", "\x00\x20GFtype\0clthello\0SVPNCOOKIE\0s1", 0x20, PPP_HELLO_ACCEPTED },
	{ "length lies (short)", "\x00\x1fGFtype\0clthello\0SVPNCOOKIE\0s1", 0x20,
	  PPP_HELLO_MALFORMED },
	{ "length lies (long)", "\x00\x40GFtype\0clthello\0SVPNCOOKIE\0s1", 0x20,
	  PPP_HELLO_MALFORMED },
	{ "no final NUL", "\x00\x1fGFtype\0clthello\0SVPNCOOKIE\0s1", 0x1f, PPP_HELLO_MALFORMED },
	{ "other cookie", "\x00\x20GFtype\0clthello\0SVPNCOOKIE\0s2", 0x20, PPP_HELLO_REFUSED },
	{ "empty cookie", "\x00\x1eGFtype\0clthello\0SVPNCOOKIE\0", 0x1e, PPP_HELLO_REFUSED },
	{ "svrhello", "\x00\x20GFtype\0svrhello\0SVPNCOOKIE\0s1", 0x20, PPP_HELLO_MALFORMED },
};

START_TEST(test_fortinet_hellos)
{
	for (size_t i = 0; i < ARRAY_SIZE(fortinet_hellos); i++) {
		bool v4, v6;
		int got = ppp_hello_check_client(ZCVPN_PPP_FORTINET, fortinet_hellos[i].bytes,
						 fortinet_hellos[i].len, "s1", &v4, &v6);

		ck_assert_msg(got == fortinet_hellos[i].expect, "%s: %d", fortinet_hellos[i].what,
			      got);
	}
}
END_TEST

/* The answers: ours are judged as meant; openconnect's expectations hold. */
START_TEST(test_server_answers)
{
	uint8_t buf[128];
	int len;

	len = ppp_hello_server(ZCVPN_PPP_F5, true, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(memcmp(buf, "HTTP/1.1 200 ", 13), 0);
	ck_assert_int_eq(ppp_hello_check_server(ZCVPN_PPP_F5, buf, (size_t)len),
			 PPP_HELLO_ACCEPTED);
	len = ppp_hello_server(ZCVPN_PPP_F5, false, buf, sizeof(buf));
	ck_assert_int_eq(ppp_hello_check_server(ZCVPN_PPP_F5, buf, (size_t)len),
			 PPP_HELLO_REFUSED);

	len = ppp_hello_server(ZCVPN_PPP_FORTINET, true, buf, sizeof(buf));
	ck_assert_int_eq(len, 2 + 26 + 3);
	ck_assert_mem_eq(buf, "\x00\x1fGFtype\0svrhello\0handshake\0ok", 31);
	ck_assert_int_eq(ppp_hello_check_server(ZCVPN_PPP_FORTINET, buf, (size_t)len),
			 PPP_HELLO_ACCEPTED);
	len = ppp_hello_server(ZCVPN_PPP_FORTINET, false, buf, sizeof(buf));
	ck_assert_int_eq(ppp_hello_check_server(ZCVPN_PPP_FORTINET, buf, (size_t)len),
			 PPP_HELLO_REFUSED);
	ck_assert_int_eq(ppp_hello_server(ZCVPN_PPP_FORTINET, true, buf, 10), -EMSGSIZE);
}
END_TEST

static const struct {
	const char *what;
	int flavour;
	const char *bytes;
	size_t len;
	int expect;
} answers[] = {
	{ "F5 200/1.0", ZCVPN_PPP_F5, "HTTP/1.0 200 OK\r\n\r\n", 19, PPP_HELLO_ACCEPTED },
	{ "F5 504", ZCVPN_PPP_F5, "HTTP/1.1 504 Gateway Timeout\r\n\r\n", 32, PPP_HELLO_REFUSED },
	{ "F5 2000", ZCVPN_PPP_F5, "HTTP/1.1 2000 OK\r\n\r\n", 20, PPP_HELLO_MALFORMED },
	{ "F5 short", ZCVPN_PPP_F5, "HTTP/1.1 200", 12, PPP_HELLO_MALFORMED },
	{ "F5 junk", ZCVPN_PPP_F5, "\xf5\x00\x00\x08\xff\x03\xc0\x21", 8, PPP_HELLO_MALFORMED },
	{ "Fortinet ok without NUL", ZCVPN_PPP_FORTINET,
	  "\x00\x1eGFtype\0svrhello\0handshake\0ok", 30, PPP_HELLO_ACCEPTED },
	{ "Fortinet fail", ZCVPN_PPP_FORTINET, "\x00\x20GFtype\0svrhello\0handshake\0fail", 32,
	  PPP_HELLO_REFUSED },
	{ "Fortinet okay", ZCVPN_PPP_FORTINET, "\x00\x20GFtype\0svrhello\0handshake\0okay", 32,
	  PPP_HELLO_REFUSED },
	{ "Fortinet length lies", ZCVPN_PPP_FORTINET, "\x00\x30GFtype\0svrhello\0handshake\0ok",
	  30, PPP_HELLO_MALFORMED },
	{ "Fortinet clthello", ZCVPN_PPP_FORTINET, "\x00\x1eGFtype\0clthello\0handshake\0ok", 30,
	  PPP_HELLO_MALFORMED },
	{ "Fortinet PPP frame", ZCVPN_PPP_FORTINET, "\x00\x0e\x50\x50\x00\x08\xff\x03\xc0\x21",
	  10, PPP_HELLO_MALFORMED },
	{ "empty", ZCVPN_PPP_FORTINET, "", 0, PPP_HELLO_MALFORMED },
};

START_TEST(test_client_judges_answers)
{
	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		int got = ppp_hello_check_server((enum zcvpn_ppp_flavour)answers[i].flavour,
						 (const uint8_t *)answers[i].bytes, answers[i].len);

		ck_assert_msg(got == answers[i].expect, "%s: %d", answers[i].what, got);
	}
}
END_TEST

static Suite *hello_suite(void)
{
	Suite *s = suite_create("ppp_hello");
	TCase *tc = tcase_create("hello");

	tcase_add_test(tc, test_fortinet_client_bytes);
	tcase_add_test(tc, test_f5_client_text);
	tcase_add_test(tc, test_client_refuses_bad_sessions);
	tcase_add_loop_test(tc, test_server_judges_client, 0, 2);
	tcase_add_test(tc, test_f5_requests);
	tcase_add_test(tc, test_fortinet_hellos);
	tcase_add_test(tc, test_server_answers);
	tcase_add_test(tc, test_client_judges_answers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hello_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
