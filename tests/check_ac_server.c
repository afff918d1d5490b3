/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AnyConnect server's parts that need no network: the client's auth-reply XML as
 * hostile text, the ocpasswd password file (crypt(3) vectors made by `openssl passwd`,
 * the format ocpasswd writes), the address pools (leases, exhaustion, the IPv6
 * arithmetic across bytes, a lease given back and handed out again), and the cookies
 * (issued, claimed once, kept for a reconnect or gone after a goodbye, the table full).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/cli/ac-server.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the auth-reply XML ------------------------------------------------------------ */

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define REPLY(inner) HEAD "<config-auth client=\"vpn\" type=\"auth-reply\"><auth>" inner \
	"</auth></config-auth>"

static const struct {
	const char *name, *xml;
	int ret;
	bool init, has_user, has_password;
	const char *user, *password, *group;
} xml_cases[] = {
	{ "init", HEAD "<config-auth client=\"vpn\" type=\"init\"><version who=\"vpn\">v9.01"
		  "</version></config-auth>", 0, true, false, false, "", "", "" },
	{ "reply", REPLY("<username>alice</username><password>pw</password>"), 0, false, true,
	  true, "alice", "pw", "" },
	{ "group", HEAD "<config-auth type=\"auth-reply\"><auth><username>a</username>"
		   "<password>p</password></auth><group-select>staff</group-select></config-auth>",
	  0, false, true, true, "a", "p", "staff" },
	{ "escapes", REPLY("<username>a&amp;b</username><password>&lt;&gt;&quot;&apos;&#65;&#x42;</password>"),
	  0, false, true, true, "a&b", "<>\"'AB", "" },
	{ "empty element", REPLY("<username/><password></password>"), 0, false, true, true, "", "", "" },
	{ "user only", REPLY("<username>bob</username>"), 0, false, true, false, "bob", "", "" },
	{ "longer name first", REPLY("<usernamex>no</usernamex><username>yes</username>"), 0, false,
	  true, false, "yes", "", "" },
	{ "init further in", HEAD "<config-auth client=\"vpn\"><x type=\"init\"/></config-auth>", 0,
	  false, false, false, "", "", "" },
	{ "not config-auth", HEAD "<other><username>a</username></other>", -EBADMSG, false, false, false, "", "", "" },
	{ "empty", "", -EBADMSG, false, false, false, "", "", "" },
	{ "unterminated root", "<config-auth", -EBADMSG, false, false, false, "", "", "" },
	{ "unterminated value", REPLY("<username>alice"), -EBADMSG, false, false, false, "", "", "" },
	{ "bad entity", REPLY("<username>a&bogus;</username>"), -EBADMSG, false, false, false, "", "", "" },
	{ "entity unterminated", REPLY("<username>a&amp</username>"), -EBADMSG, false, false, false, "", "", "" },
	{ "numeric NUL", REPLY("<password>&#0;</password>"), -EBADMSG, false, false, false, "", "", "" },
	{ "numeric non-ASCII", REPLY("<password>&#233;</password>"), -EBADMSG, false, false, false, "", "", "" },
	{ "numeric no digits", REPLY("<password>&#;</password>"), -EBADMSG, false, false, false, "", "", "" },
	{ "numeric sign", REPLY("<password>&#+65;</password>"), -EBADMSG, false, false, false, "", "", "" },
	{ "numeric too long", REPLY("<password>&#000065;</password>"), -EBADMSG, false, false, false, "", "", "" },
	{ "user too long", REPLY("<username>"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</username>"),
	  -EMSGSIZE, false, false, false, "", "", "" },
};

START_TEST(test_auth_xml)
{
	struct ac_auth_reply a;
	int ret = ac_auth_reply_parse(xml_cases[_i].xml, &a);

	ck_assert_msg(ret == xml_cases[_i].ret, "%s: %d", xml_cases[_i].name, ret);
	if (ret)
		return;
	ck_assert_int_eq(a.init, xml_cases[_i].init);
	ck_assert_int_eq(a.has_user, xml_cases[_i].has_user);
	ck_assert_int_eq(a.has_password, xml_cases[_i].has_password);
	ck_assert_str_eq(a.user, xml_cases[_i].user);
	ck_assert_str_eq(a.password, xml_cases[_i].password);
	ck_assert_str_eq(a.group, xml_cases[_i].group);
}
END_TEST

/* A 63-byte user name fits; every byte of a long password survives. */
START_TEST(test_auth_xml_bounds)
{
	char xml[1024], user[AC_USER_MAX], pw[256];
	struct ac_auth_reply a;

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	snprintf(xml, sizeof(xml), REPLY("<username>%s</username><password>%s</password>"), user, pw);
	ck_assert_int_eq(ac_auth_reply_parse(xml, &a), 0);
	ck_assert_str_eq(a.user, user);
	ck_assert_str_eq(a.password, pw);
}
END_TEST

/* ---- the password file ------------------------------------------------------------- */

/* `openssl passwd -5 -salt abcdefghijklmnop secret-pw` and friends. */
#define SHA256_SECRET "$5$abcdefghijklmnop$QQCcGjIQwBTnv0hnUR.rC7IfTSEnJbd2Z0xpZs67xZD"
#define SHA512_SECRET "$6$zcvpnsalt$/0b50hN11oKLm01fkzKh9s54JcdIkK83F9fzzEhd2prLLjVY4RiusawkKYWyBN6bGABO19oX0wV65sZ6qu.cc."
#define MD5_SECRET "$1$md5salt$/4Upz2NLtsgJ8TqmRLIXU0"
#define SHA512_ODD "$6$other$V9IhremaScdal.y8r9wdXMer7gcsyxpMpG9MkFyiQLdsleiTuVk.97q8WUVkaujjTbzvvvyVUsfRTOaqZH.ar/"

static const char users_file[] =
	"# written by ocpasswd\n"
	"alice:*:" SHA256_SECRET "\n"
	"bob:staff,ops:" SHA512_SECRET "\n"
	"\n"
	"carol:staff:!" SHA512_SECRET "\n"		/* locked: ocpasswd -l */
	"dave::" MD5_SECRET "\n"
	"erin:guests:" SHA512_ODD "\n";

static const struct {
	const char *user, *password, *group;
	bool ok;
} login_cases[] = {
	{ "alice", "secret-pw", NULL, true },
	{ "alice", "secret-pw", "anything", true },	/* '*': every group */
	{ "alice", "secret-px", NULL, false },
	{ "alice", "", NULL, false },
	{ "bob", "secret-pw", "staff", true },
	{ "bob", "secret-pw", "ops", true },
	{ "bob", "secret-pw", "", true },		/* no group chosen */
	{ "bob", "secret-pw", "sta", false },		/* a prefix is no group */
	{ "bob", "secret-pw", "guests", false },
	{ "carol", "secret-pw", "staff", false },	/* locked */
	{ "dave", "secret-pw", "x", true },		/* empty groups field: any */
	{ "erin", "pa:ss&<w>", "guests", true },
	{ "mallory", "secret-pw", NULL, false },	/* unknown */
	{ "", "", NULL, false },
	{ "Alice", "secret-pw", NULL, false },		/* names are case-sensitive */
};

static char passwd_path[64];

static void write_file(const char *text)
{
	FILE *f;

	strcpy(passwd_path, "/tmp/zcvpn-passwd-XXXXXX");
	ck_assert_int_ge(mkstemp(passwd_path), 0);
	f = fopen(passwd_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_passwd_check)
{
	struct ac_passwd pw;
	char err[256];

	write_file(users_file);
	ck_assert_int_eq(ac_passwd_load(&pw, passwd_path, err, sizeof(err)), 0);
	unlink(passwd_path);
	ck_assert_uint_eq(pw.n, 5);
	ck_assert_msg(ac_passwd_check(&pw, login_cases[_i].user, login_cases[_i].password,
				      login_cases[_i].group) == login_cases[_i].ok,
		      "%s / %s", login_cases[_i].user, login_cases[_i].group ? login_cases[_i].group : "-");
	ac_passwd_free(&pw);
}
END_TEST

static const struct {
	const char *name, *text;
	int ret;
	const char *message;	/* a part of the error */
} bad_files[] = {
	{ "no users", "# nothing\n\n", -EINVAL, "no users" },
	{ "two fields", "alice:" SHA256_SECRET "\n", -EINVAL, ":1:" },
	{ "one field", "alice\n", -EINVAL, ":1:" },
	{ "no hash", "ok:*:" SHA256_SECRET "\nbob:staff:\n", -EINVAL, ":2:" },
	{ "no name", ":*:" SHA256_SECRET "\n", -EINVAL, ":1:" },
	{ "not a hash", "alice:*:plaintext-password\n", -EINVAL, "crypt(3)" },
	{ "DES", "alice:*:abJnggxhB/yWI\n", -EINVAL, "crypt(3)" },	/* no $id$: refused */
	{ "name too long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:*:"
			   SHA256_SECRET "\n", -EINVAL, ":1:" },
};

START_TEST(test_passwd_bad)
{
	struct ac_passwd pw;
	char err[256] = "";
	int ret;

	write_file(bad_files[_i].text);
	ret = ac_passwd_load(&pw, passwd_path, err, sizeof(err));
	unlink(passwd_path);
	ck_assert_msg(ret == bad_files[_i].ret, "%s: %d", bad_files[_i].name, ret);
	ck_assert_msg(strstr(err, bad_files[_i].message), "%s: '%s'", bad_files[_i].name, err);
	ck_assert_ptr_null(strstr(err, "$5$"));		/* never a hash in a message */
	ck_assert_ptr_null(pw.users);
}
END_TEST

START_TEST(test_passwd_missing)
{
	struct ac_passwd pw;
	char err[256];

	ck_assert_int_eq(ac_passwd_load(&pw, "/nonexistent/zcvpn-users", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/zcvpn-users"));
}
END_TEST

/* ---- the pools ----------------------------------------------------------------------- */

static const char *addr_text(const struct ip_addr *a)
{
	static char text[INET6_ADDRSTRLEN];

	ip_addr_format(a, text);
	return text;
}

static const struct {
	const char *net4, *net6;
	bool ok;
	unsigned size;
} pool_configs[] = {
	{ "10.78.0.0/24", "fd78::/64", true, 253 },
	{ "10.78.0.77/24", NULL, true, 253 },		/* host bits cleared */
	{ "10.78.0.0/29", NULL, true, 5 },
	{ "10.78.0.0/30", NULL, true, 1 },
	{ "10.0.0.0/8", "fd78::/64", true, AC_POOL_MAX },
	{ "10.78.0.0/24", "fd78::/126", true, 2 },	/* the smaller pool decides */
	{ "10.78.0.0/31", NULL, false, 0 },
	{ "10.78.0.0/7", NULL, false, 0 },
	{ "fd78::/64", NULL, false, 0 },
	{ "10.78.0.0/24", "10.79.0.0/24", false, 0 },
	{ "10.78.0.0/24", "fd78::/63", false, 0 },
	{ "10.78.0.0/24", "fd78::/127", false, 0 },
	{ "10.78.0", NULL, false, 0 },
	{ "", NULL, false, 0 },
};

START_TEST(test_pool_config)
{
	struct ac_pool p;
	char err[256] = "";
	int ret = ac_pool_init(&p, pool_configs[_i].net4, pool_configs[_i].net6, err, sizeof(err));

	ck_assert_msg((ret == 0) == pool_configs[_i].ok, "%s %s: %d", pool_configs[_i].net4,
		      pool_configs[_i].net6 ? pool_configs[_i].net6 : "-", ret);
	if (ret) {
		ck_assert_int_eq(ret, -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "--pool"));
		return;
	}
	ck_assert_uint_eq(p.size, pool_configs[_i].size);
	ac_pool_destroy(&p);
}
END_TEST

START_TEST(test_pool_leases)
{
	struct ac_lease l[6], again;
	struct ip_addr own4, own6;
	struct ac_pool p;
	char err[256];

	ck_assert_int_eq(ac_pool_init(&p, "10.78.0.0/29", "fd78::ff00/120", err, sizeof(err)), 0);
	ac_pool_server(&p, &own4, &own6);
	ck_assert_str_eq(addr_text(&own4), "10.78.0.1");
	ck_assert_str_eq(addr_text(&own6), "fd78::ff01");
	for (unsigned i = 0; i < 5; i++) {
		char want4[32], want6[32];

		ck_assert_int_eq(ac_pool_lease(&p, &l[i]), 0);
		ck_assert_uint_eq(l[i].index, i + 1);
		snprintf(want4, sizeof(want4), "10.78.0.%u", i + 2);
		snprintf(want6, sizeof(want6), "fd78::ff%02x", i + 2);
		ck_assert_str_eq(addr_text(&l[i].ip4), want4);
		ck_assert_str_eq(addr_text(&l[i].ip6), want6);
	}
	/* .7 is the broadcast address: never a lease. */
	ck_assert_int_eq(ac_pool_lease(&p, &l[5]), -EADDRNOTAVAIL);
	ck_assert_uint_eq(l[5].index, 0);
	ac_pool_release(&p, &l[5]);			/* no lease: nothing */
	ac_pool_release(&p, &l[2]);
	ac_pool_release(&p, &l[1]);
	ck_assert_int_eq(ac_pool_lease(&p, &again), 0);	/* the lowest free first */
	ck_assert_str_eq(addr_text(&again.ip4), "10.78.0.3");
	ck_assert_int_eq(ac_pool_lease(&p, &again), 0);
	ck_assert_str_eq(addr_text(&again.ip4), "10.78.0.4");
	ck_assert_int_eq(ac_pool_lease(&p, &again), -EADDRNOTAVAIL);
	ac_pool_destroy(&p);
}
END_TEST

/* IPv6 hosts past a byte boundary carry into the next byte. */
START_TEST(test_pool_ipv6_carry)
{
	struct ac_lease l;
	struct ac_pool p;
	char err[256];

	ck_assert_int_eq(ac_pool_init(&p, "10.78.0.0/22", "fd78:0:0:1::ff:0/112", err, sizeof(err)), 0);
	for (unsigned i = 0; i < 255; i++)
		ck_assert_int_eq(ac_pool_lease(&p, &l), 0);
	ck_assert_str_eq(addr_text(&l.ip4), "10.78.1.0");
	ck_assert_str_eq(addr_text(&l.ip6), "fd78::1:0:0:ff:100");	/* fd78:0:0:1:0:0:ff:100 */
	ac_pool_destroy(&p);
}
END_TEST

/* ---- the cookies --------------------------------------------------------------------- */

START_TEST(test_cookies)
{
	struct ac_server_config cfg = { .max_clients = 2 };
	struct ac_server srv = { .cfg = &cfg };
	struct ac_identity who = { .user = "alice", .group = "staff" }, got;
	char c[5][AC_COOKIE_HEX + 1], wrong[AC_COOKIE_HEX + 1];

	pthread_mutex_init(&srv.lock, NULL);
	ck_assert_int_eq(ac_cookies_init(&srv), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(ac_cookie_issue(&srv, &who, c[i]), 0);
	ck_assert_int_eq(ac_cookie_issue(&srv, &who, c[4]), -ENOSPC);	/* 2 x max_clients */
	ck_assert_uint_eq(strlen(c[0]), AC_COOKIE_HEX);
	ck_assert_str_ne(c[0], c[1]);

	ck_assert_int_eq(ac_cookie_claim(&srv, c[0], &got), 0);
	ck_assert_str_eq(got.user, "alice");
	ck_assert_str_eq(got.group, "staff");
	ck_assert_int_eq(ac_cookie_claim(&srv, c[0], &got), -EBUSY);	/* one tunnel at a time */
	ac_cookie_return(&srv, c[0], false);		/* lost: kept for a reconnect */
	ck_assert_int_eq(ac_cookie_claim(&srv, c[0], &got), 0);
	ac_cookie_return(&srv, c[0], true);		/* a goodbye: gone */
	ck_assert_int_eq(ac_cookie_claim(&srv, c[0], &got), -ENOENT);
	ck_assert_int_eq(ac_cookie_issue(&srv, &who, c[4]), 0);	/* its slot is free again */

	memcpy(wrong, c[1], sizeof(wrong));
	wrong[10] ^= 1;
	ck_assert_int_eq(ac_cookie_claim(&srv, wrong, &got), -ENOENT);
	wrong[AC_COOKIE_HEX - 1] = '\0';
	ck_assert_int_eq(ac_cookie_claim(&srv, wrong, &got), -ENOENT);
	ck_assert_int_eq(ac_cookie_claim(&srv, "", &got), -ENOENT);
	ck_assert_int_eq(ac_cookie_claim(&srv, c[1], &got), 0);
	ac_cookies_free(&srv);
	pthread_mutex_destroy(&srv.lock);
}
END_TEST

static Suite *ac_server_suite(void)
{
	Suite *s = suite_create("ac_server");
	TCase *tc = tcase_create("server");

	tcase_add_loop_test(tc, test_auth_xml, 0, ARRAY_SIZE(xml_cases));
	tcase_add_test(tc, test_auth_xml_bounds);
	tcase_add_loop_test(tc, test_passwd_check, 0, ARRAY_SIZE(login_cases));
	tcase_add_loop_test(tc, test_passwd_bad, 0, ARRAY_SIZE(bad_files));
	tcase_add_test(tc, test_passwd_missing);
	tcase_add_loop_test(tc, test_pool_config, 0, ARRAY_SIZE(pool_configs));
	tcase_add_test(tc, test_pool_leases);
	tcase_add_test(tc, test_pool_ipv6_carry);
	tcase_add_test(tc, test_cookies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ac_server_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
