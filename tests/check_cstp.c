/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CONNECT answer's network settings (src/cli/cstp-tunnel.c) and the address and
 * prefix parser under them (src/cli/ip-prefix.c): ocserv 1.1.6's real answer parsed
 * into every field, then hostile answers: malformed addresses and routes, more values
 * than the bounds hold, values longer than the buffers, a domain or banner that would
 * smuggle a line into resolv.conf or a script, routes with host bits, an IPv4 prefix
 * where IPv6 belongs.  Each is left out and counted; nothing else changes.  Also the
 * rekey headers (times held to a minimum, unknown methods counted) and what a new
 * tunnel must keep of the session (src/cli/cstp-rekey.c's address comparison).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cstp.h"
#include "src/cli/ip-prefix.h"
#include "src/util/macros.h"

/* ---- ip_prefix_parse ------------------------------------------------------------------ */

static const struct prefix_case {
	const char *text;
	int family;			/* 0: refused */
	const char *addr;		/* as ip_addr_format writes it, host bits cleared */
	unsigned int len;
} prefixes[] = {
	{ "10.0.0.0/255.0.0.0", AF_INET, "10.0.0.0", 8 },
	{ "10.201.1.0/24", AF_INET, "10.201.1.0", 24 },
	{ "10.201.1.77/24", AF_INET, "10.201.1.0", 24 },
	{ "192.168.1.1", AF_INET, "192.168.1.1", 32 },
	{ "0.0.0.0/0", AF_INET, "0.0.0.0", 0 },
	{ "0.0.0.0/0.0.0.0", AF_INET, "0.0.0.0", 0 },
	{ "10.0.0.1/255.255.255.255", AF_INET, "10.0.0.1", 32 },
	{ "fd00:abcd::/48", AF_INET6, "fd00:abcd::", 48 },
	{ "fd00:abcd:ffff::1/36", AF_INET6, "fd00:abcd:f000::", 36 },
	{ "fd00::1", AF_INET6, "fd00::1", 128 },
	{ "::/0", AF_INET6, "::", 0 },
	{ "10.0.0.0/255.0.255.0", 0, NULL, 0 },		/* a mask with holes */
	{ "10.0.0.0/33", 0, NULL, 0 },
	{ "fd00::/129", 0, NULL, 0 },
	{ "fd00::/255.255.0.0", 0, NULL, 0 },		/* an IPv4 mask on IPv6 */
	{ "10.0.0.0/", 0, NULL, 0 },
	{ "10.0.0.0/-8", 0, NULL, 0 },
	{ "10.0.0.0/+8", 0, NULL, 0 },
	{ "10.0.0.0/0x8", 0, NULL, 0 },
	{ "10.0.0.0/ 8", 0, NULL, 0 },
	{ "10.0.0.0 /8", 0, NULL, 0 },
	{ "10.0.0.0/8/8", 0, NULL, 0 },
	{ "10.0.0.0/0008", 0, NULL, 0 },
	{ "/24", 0, NULL, 0 },
	{ "", 0, NULL, 0 },
	{ "10.0.0.256/8", 0, NULL, 0 },
	{ "10.0.0/8", 0, NULL, 0 },
	{ "vpn.example.com/24", 0, NULL, 0 },
	{ "1.2.3.4; reboot", 0, NULL, 0 },
	{ "fd00:abcd:0000:0000:0000:0000:0000:0000:0000/64", 0, NULL, 0 },	/* 9 groups */
};

START_TEST(test_prefix)
{
	const struct prefix_case *c = &prefixes[_i];
	char text[INET6_ADDRSTRLEN];
	struct ip_prefix p;
	int ret;

	ret = ip_prefix_parse(c->text, &p);
	if (!c->family) {
		ck_assert_msg(ret == -EINVAL, "'%s' taken", c->text);
		ck_assert_int_eq(p.addr.family, 0);
		return;
	}
	ck_assert_msg(ret == 0, "'%s' refused", c->text);
	ck_assert_int_eq(p.addr.family, c->family);
	ck_assert_uint_eq(p.len, c->len);
	ip_prefix_clear_host(&p);
	ip_addr_format(&p.addr, text);
	ck_assert_str_eq(text, c->addr);
}
END_TEST

START_TEST(test_mask4)
{
	unsigned int len;

	for (unsigned int n = 0; n <= 32; n++) {
		ck_assert(ip_mask4_len(ip_mask4(n), &len));
		ck_assert_uint_eq(len, n);
	}
	ck_assert(!ip_mask4_len((struct in_addr){ .s_addr = htonl(0xff00ff00) }, &len));
	ck_assert(!ip_mask4_len((struct in_addr){ .s_addr = htonl(0x7fffffff) }, &len));
}
END_TEST

/* ---- the CONNECT answer --------------------------------------------------------------- */

static struct http_response *answer(const char *headers)
{
	struct http_response *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_lt(strlen(headers), sizeof(r->headers));
	r->status = 200;
	strcpy(r->headers, headers);
	return r;
}

static struct cstp_session *parse(const char *headers)
{
	struct cstp_session *o = calloc(1, sizeof(*o));
	struct http_response *r = answer(headers);
	char err[256] = "";

	ck_assert_ptr_nonnull(o);
	ck_assert_msg(cstp_parse_answer(r, o, err, sizeof(err)) == 0, "%s", err);
	free(r);
	return o;
}

static const char *addr_text(const struct ip_addr *a)
{
	static char text[INET6_ADDRSTRLEN];

	ip_addr_format(a, text);
	return text;
}

static const char *prefix_text(const struct ip_prefix *p)
{
	static char text[2 * INET6_ADDRSTRLEN];

	snprintf(text, sizeof(text), "%s/%u", addr_text(&p->addr), p->len);
	return text;
}

#define MTU "X-CSTP-MTU: 1334\r\n"

/* ocserv 1.1.6's answer to openconnect 9.01 (tests/vpnc-script.sh's configuration). */
static const char ocserv_answer[] =
	"X-CSTP-Version: 1\r\n"
	"X-CSTP-Server-Name: ocserv 1.1.6\r\n"
	"X-CSTP-DPD: 90\r\n"
	"X-CSTP-Default-Domain: vpn.test\r\n"
	"X-CSTP-Address: 192.168.251.121\r\n"
	"X-CSTP-Netmask: 255.255.255.0\r\n"
	"X-CSTP-Address-IP6: fd91:6d87:7341:dc6a:fbd8:827b:1f6b:8f78/128\r\n"
	"X-CSTP-DNS: 192.168.251.53\r\n"
	"X-CSTP-DNS: 192.168.251.54\r\n"
	"X-CSTP-DNS: fd91:6d87:7341:dc6a::53\r\n"
	"X-CSTP-NBNS: 192.168.251.55\r\n"
	"X-CSTP-Split-DNS: corp.test\r\n"
	"X-CSTP-Split-Include: 10.200.0.0/255.255.0.0\r\n"
	"X-CSTP-Split-Include: 10.201.1.0/255.255.255.0\r\n"
	"X-CSTP-Split-Include-IP6: fd00:abcd::/48\r\n"
	"X-CSTP-Tunnel-All-DNS: false\r\n"
	"X-CSTP-Client-Bypass-Protocol: false\r\n"
	"X-CSTP-Split-Exclude: 10.200.5.0/255.255.255.0\r\n"
	"X-CSTP-Keepalive: 32400\r\n"
	"X-CSTP-Idle-Timeout: 1200\r\n"
	"X-CSTP-Smartcard-Removal-Disconnect: true\r\n"
	"X-CSTP-Rekey-Time: 172784\r\n"
	"X-CSTP-Rekey-Method: ssl\r\n"
	"X-CSTP-Session-Timeout: 0\r\n"
	"X-CSTP-Disconnected-Timeout: none\r\n"
	"X-CSTP-Keep: true\r\n"
	"X-CSTP-TCP-Keepalive: true\r\n"
	"X-CSTP-License: accept\r\n"
	"X-DTLS-DPD: 90\r\n"
	"X-DTLS-Port: 4443\r\n"
	"X-DTLS-Keepalive: 32400\r\n"
	"X-DTLS-App-ID: d3b6cef4957baaf406ac24525ebfa592122273fd5cd6a76131485798b4719861\r\n"
	"X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n"
	"X-CSTP-Base-MTU: 1400\r\n"
	MTU
	"X-CSTP-Banner: Welcome to the test VPN\r\n";

START_TEST(test_ocserv)
{
	struct cstp_session *o = parse(ocserv_answer);

	ck_assert(o->has_address && o->has_netmask);
	ck_assert_str_eq(addr_text(&(struct ip_addr){ .family = AF_INET, .v4 = o->address }),
			 "192.168.251.121");
	ck_assert_str_eq(prefix_text(&o->address6), "fd91:6d87:7341:dc6a:fbd8:827b:1f6b:8f78/128");
	ck_assert_uint_eq(o->n_dns, 3);
	ck_assert_str_eq(addr_text(&o->dns[0]), "192.168.251.53");
	ck_assert_str_eq(addr_text(&o->dns[1]), "192.168.251.54");
	ck_assert_str_eq(addr_text(&o->dns[2]), "fd91:6d87:7341:dc6a::53");
	ck_assert_uint_eq(o->n_nbns, 1);
	ck_assert_str_eq(addr_text(&o->nbns[0]), "192.168.251.55");
	ck_assert_str_eq(o->domain, "vpn.test");
	ck_assert_str_eq(o->split_dns, "corp.test");
	ck_assert_str_eq(o->banner, "Welcome to the test VPN");
	ck_assert_uint_eq(o->n_split_inc, 3);
	ck_assert_str_eq(prefix_text(&o->split_inc[0]), "10.200.0.0/16");
	ck_assert_str_eq(prefix_text(&o->split_inc[1]), "10.201.1.0/24");
	ck_assert_str_eq(prefix_text(&o->split_inc[2]), "fd00:abcd::/48");
	ck_assert_uint_eq(o->n_split_exc, 1);
	ck_assert_str_eq(prefix_text(&o->split_exc[0]), "10.200.5.0/24");
	ck_assert_uint_eq(o->idle_timeout_s, 1200);
	ck_assert_uint_eq(o->n_ignored, 0);
	ck_assert_uint_eq(o->mtu, 1334);
	ck_assert(o->dtls && o->dtls_mode == CSTP_DTLS_PSK);
	free(o);
}
END_TEST

/* An address without a netmask: /32 for the tun, and no netmask said to a script. */
START_TEST(test_no_netmask)
{
	struct cstp_session *o = parse(MTU "X-CSTP-Address: 10.1.2.3\r\n");

	ck_assert(o->has_address && !o->has_netmask);
	ck_assert_uint_eq(ntohl(o->netmask.s_addr), 0xffffffff);
	free(o);
}
END_TEST

START_TEST(test_nothing)
{
	struct cstp_session *o = parse(MTU);

	ck_assert(!o->has_address);
	ck_assert_int_eq(o->address6.addr.family, 0);
	ck_assert_uint_eq(o->n_dns + o->n_nbns + o->n_split_inc + o->n_split_exc, 0);
	ck_assert_str_eq(o->domain, "");
	ck_assert_str_eq(o->split_dns, "");
	ck_assert_str_eq(o->banner, "");
	ck_assert_uint_eq(o->idle_timeout_s, 0);
	ck_assert_uint_eq(o->n_ignored, 0);
	free(o);
}
END_TEST

/* One hostile answer: what must survive of it, and how many values it must cost. */
static const struct hostile_case {
	const char *name, *headers;
	unsigned int n_dns, n_routes, ignored;
	const char *domain, *banner, *split_dns;
} hostile[] = {
	{ "bad DNS", MTU "X-CSTP-DNS: vpn.example.com\r\nX-CSTP-DNS: 10.0.0.1; reboot\r\n"
	  "X-CSTP-DNS: 10.0.0.1 10.0.0.2\r\nX-CSTP-DNS: 10.0.0.53\r\nX-CSTP-DNS:\r\n",
	  1, 0, 4, "", "", "" },
	{ "DNS past the bound", MTU "X-CSTP-DNS: 10.0.0.1\r\nX-CSTP-DNS: 10.0.0.2\r\n"
	  "X-CSTP-DNS: 10.0.0.3\r\nX-CSTP-DNS: 10.0.0.4\r\nX-CSTP-DNS: 10.0.0.5\r\n",
	  3, 0, 2, "", "", "" },
	{ "DNS too long", MTU "X-CSTP-DNS: 1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa\r\n"
	  "X-CSTP-DNS: ::1\r\n", 1, 0, 1, "", "", "" },
	{ "bad routes", MTU "X-CSTP-Split-Include: 10.0.0.0/255.0.255.0\r\n"
	  "X-CSTP-Split-Include: 10.0.0.0/33\r\nX-CSTP-Split-Include: 10.0.0.0/8 extra\r\n"
	  "X-CSTP-Split-Exclude: any\r\nX-CSTP-Split-Include-IP6: fd00::/129\r\n"
	  "X-CSTP-Split-Include: 10.9.0.0/16\r\n", 0, 1, 5, "", "", "" },
	{ "a route longer than any", MTU "X-CSTP-Split-Include: "
	  "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	  "/8\r\n", 0, 0, 1, "", "", "" },
	{ "an IPv4 address as IPv6", MTU "X-CSTP-Address-IP6: 10.0.0.1/24\r\n",
	  0, 0, 1, "", "", "" },
	{ "an IPv6 address unparsable", MTU "X-CSTP-Address-IP6: fd00::1/64/64\r\n",
	  0, 0, 1, "", "", "" },
	{ "a domain with a newline's worth", MTU "X-CSTP-Default-Domain: a.test\x01nameserver 6.6.6.6\r\n",
	  0, 0, 1, "", "", "" },
	{ "a domain with shell", MTU "X-CSTP-Default-Domain: $(reboot).test\r\n",
	  0, 0, 1, "", "", "" },
	{ "domains", MTU "X-CSTP-Default-Domain: a.test b-2.test c_3.test\r\n",
	  0, 0, 0, "a.test b-2.test c_3.test", "", "" },
	{ "a banner with a control character", MTU "X-CSTP-Banner: hello\x1b[2Jworld\r\n",
	  0, 0, 1, "", "", "" },
	{ "a UTF-8 banner", MTU "X-CSTP-Banner: Willkommen, gr\xc3\xbc\xc3\x9f Gott\r\n",
	  0, 0, 0, "", "Willkommen, gr\xc3\xbc\xc3\x9f Gott", "" },
	{ "split DNS", MTU "X-CSTP-Split-DNS: a.test\r\nX-CSTP-Split-DNS: b c\r\n"
	  "X-CSTP-Split-DNS: c.test\r\nX-CSTP-Split-DNS: d;e\r\nX-CSTP-Split-DNS:\r\n",
	  0, 0, 3, "", "", "a.test,c.test" },
};

START_TEST(test_hostile)
{
	const struct hostile_case *c = &hostile[_i];
	struct cstp_session *o = parse(c->headers);

	ck_assert_msg(o->n_dns == c->n_dns, "%s: %u DNS", c->name, o->n_dns);
	ck_assert_msg(o->n_split_inc + o->n_split_exc == c->n_routes, "%s: %u routes", c->name,
		      o->n_split_inc + o->n_split_exc);
	ck_assert_msg(o->n_ignored == c->ignored, "%s: %u ignored", c->name, o->n_ignored);
	ck_assert_str_eq(o->domain, c->domain);
	ck_assert_str_eq(o->banner, c->banner);
	ck_assert_str_eq(o->split_dns, c->split_dns);
	ck_assert_int_eq(o->address6.addr.family, 0);
	ck_assert_uint_eq(o->mtu, 1334);
	free(o);
}
END_TEST

/* More routes than the bound: the first CSTP_MAX_ROUTES, in order; the rest counted. */
START_TEST(test_many_routes)
{
	char *headers = malloc(CSTP_MAX_HEADERS);
	struct cstp_session *o;
	size_t used;
	unsigned int i;

	ck_assert_ptr_nonnull(headers);
	used = (size_t)snprintf(headers, CSTP_MAX_HEADERS, MTU);
	for (i = 0; i < 200; i++)
		used += (size_t)snprintf(headers + used, CSTP_MAX_HEADERS - used,
					 "X-CSTP-Split-Exclude: 10.%u.0.0/16\r\n", i);
	ck_assert_uint_lt(used, CSTP_MAX_HEADERS - 1);
	o = parse(headers);
	ck_assert_uint_eq(o->n_split_exc, CSTP_MAX_ROUTES);
	ck_assert_uint_eq(o->n_ignored, 200 - CSTP_MAX_ROUTES);
	ck_assert_str_eq(prefix_text(&o->split_exc[CSTP_MAX_ROUTES - 1]), "10.127.0.0/16");
	free(o);
	free(headers);
}
END_TEST

/* A banner or domain longer than its buffer is left out whole, not cut. */
START_TEST(test_too_long_text)
{
	char *headers = malloc(CSTP_MAX_HEADERS);
	struct cstp_session *o;
	int n;

	ck_assert_ptr_nonnull(headers);
	n = snprintf(headers, CSTP_MAX_HEADERS, MTU "X-CSTP-Banner: %0*d\r\n"
		     "X-CSTP-Default-Domain: %0*d\r\n", CSTP_MAX_TEXT, 0, CSTP_MAX_TEXT, 0);
	ck_assert_int_lt(n, CSTP_MAX_HEADERS);
	o = parse(headers);
	ck_assert_str_eq(o->banner, "");
	ck_assert_str_eq(o->domain, "");
	ck_assert_uint_eq(o->n_ignored, 2);
	free(o);
	free(headers);
}
END_TEST

/* ---- rekey ------------------------------------------------------------------------ */

static const struct rekey_case {
	const char *headers;
	uint32_t rekey_s, dtls_rekey_s;
	enum cstp_rekey_method method, dtls_method;
	unsigned int ignored;
} rekeys[] = {
	/* 0: ocserv with rekey-method = ssl */
	{ MTU "X-CSTP-Rekey-Time: 20\r\nX-CSTP-Rekey-Method: ssl\r\n"
	  "X-DTLS-Rekey-Time: 30\r\nX-DTLS-Rekey-Method: ssl\r\n",
	  20, 30, CSTP_REKEY_SSL, CSTP_REKEY_SSL, 0 },
	/* 1: ocserv with rekey-method = new-tunnel: no DTLS method */
	{ MTU "X-CSTP-Rekey-Time: 20\r\nX-CSTP-Rekey-Method: new-tunnel\r\n"
	  "X-DTLS-Rekey-Time: 30\r\n", 20, 30, CSTP_REKEY_NEW_TUNNEL, CSTP_REKEY_NONE, 0 },
	/* 2: ocserv with rekey-time = 0 */
	{ MTU "X-CSTP-Rekey-Method: none\r\n", 0, 0, CSTP_REKEY_NONE, CSTP_REKEY_NONE, 0 },
	/* 3: a rekey storm is not taken: held to CSTP_MIN_REKEY_S */
	{ MTU "X-CSTP-Rekey-Time: 1\r\nX-CSTP-Rekey-Method: ssl\r\nX-DTLS-Rekey-Time: 0\r\n",
	  CSTP_MIN_REKEY_S, 0, CSTP_REKEY_SSL, CSTP_REKEY_NONE, 0 },
	/* 4: a method we do not know means none, counted */
	{ MTU "X-CSTP-Rekey-Time: 20\r\nX-CSTP-Rekey-Method: reboot\r\n"
	  "X-DTLS-Rekey-Method: SSL\r\n", 0, 0, CSTP_REKEY_NONE, CSTP_REKEY_NONE, 2 },
	/* 5: a time without a method: no CSTP rekey */
	{ MTU "X-CSTP-Rekey-Time: 20\r\n", 0, 0, CSTP_REKEY_NONE, CSTP_REKEY_NONE, 0 },
	/* 6: nothing said */
	{ MTU, 0, 0, CSTP_REKEY_NONE, CSTP_REKEY_NONE, 0 },
};

START_TEST(test_rekey)
{
	const struct rekey_case *c = &rekeys[_i];
	struct cstp_session *o = parse(c->headers);

	ck_assert_uint_eq(o->rekey_s, c->rekey_s);
	ck_assert_uint_eq(o->dtls_rekey_s, c->dtls_rekey_s);
	ck_assert_int_eq(o->rekey_method, c->method);
	ck_assert_int_eq(o->dtls_rekey_method, c->dtls_method);
	ck_assert_uint_eq(o->n_ignored, c->ignored);
	free(o);
}
END_TEST

static const struct {
	const char *a, *b;
	bool same;
} tunnels[] = {
	/* 0: ocserv hands the addresses over */
	{ "X-CSTP-Address: 10.1.2.3\r\nX-CSTP-Netmask: 255.255.255.0\r\n"
	  "X-CSTP-Address-IP6: fd00::5/64\r\n",
	  "X-CSTP-Netmask: 255.255.255.0\r\nX-CSTP-Address-IP6: fd00::5/64\r\n"
	  "X-CSTP-Address: 10.1.2.3\r\nX-CSTP-DNS: 10.1.2.53\r\n", true },
	/* 1: another IPv4 address */
	{ "X-CSTP-Address: 10.1.2.3\r\n", "X-CSTP-Address: 10.1.2.4\r\n", false },
	/* 2: another netmask */
	{ "X-CSTP-Address: 10.1.2.3\r\nX-CSTP-Netmask: 255.255.255.0\r\n",
	  "X-CSTP-Address: 10.1.2.3\r\nX-CSTP-Netmask: 255.255.0.0\r\n", false },
	/* 3: the IPv6 address gone */
	{ "X-CSTP-Address: 10.1.2.3\r\nX-CSTP-Address-IP6: fd00::5/64\r\n",
	  "X-CSTP-Address: 10.1.2.3\r\n", false },
	/* 4: another IPv6 prefix length */
	{ "X-CSTP-Address-IP6: fd00::5/64\r\n", "X-CSTP-Address-IP6: fd00::5/128\r\n", false },
	/* 5: another IPv6 host */
	{ "X-CSTP-Address-IP6: fd00::5/64\r\n", "X-CSTP-Address-IP6: fd00::6/64\r\n", false },
	/* 6: none either time */
	{ "", "", true },
	/* 7: an IPv4 address where there was none */
	{ "", "X-CSTP-Address: 10.1.2.3\r\n", false },
};

START_TEST(test_same_addresses)
{
	char a[512], b[512];
	struct cstp_session *sa, *sb;

	snprintf(a, sizeof(a), MTU "%s", tunnels[_i].a);
	snprintf(b, sizeof(b), MTU "%s", tunnels[_i].b);
	sa = parse(a);
	sb = parse(b);
	ck_assert_msg(cstp_same_addresses(sa, sb) == tunnels[_i].same, "case %d", _i);
	ck_assert_msg(cstp_same_addresses(sb, sa) == tunnels[_i].same, "case %d reversed", _i);
	free(sa);
	free(sb);
}
END_TEST

static Suite *cstp_suite(void)
{
	Suite *s = suite_create("cstp");
	TCase *tp = tcase_create("prefix");
	TCase *ta = tcase_create("answer");

	tcase_add_loop_test(tp, test_prefix, 0, ARRAY_SIZE(prefixes));
	tcase_add_test(tp, test_mask4);
	suite_add_tcase(s, tp);

	tcase_add_test(ta, test_ocserv);
	tcase_add_test(ta, test_nothing);
	tcase_add_test(ta, test_no_netmask);
	tcase_add_loop_test(ta, test_hostile, 0, ARRAY_SIZE(hostile));
	tcase_add_test(ta, test_many_routes);
	tcase_add_test(ta, test_too_long_text);
	tcase_add_loop_test(ta, test_rekey, 0, ARRAY_SIZE(rekeys));
	tcase_add_loop_test(ta, test_same_addresses, 0, ARRAY_SIZE(tunnels));
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cstp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
