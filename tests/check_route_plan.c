/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The routes the driver installs for a CSTP session (src/cli/route-plan.c), and the
 * prefix containment they rest on (ip_prefix_contains): numbered tables of the server's
 * split lists, the tun's addresses and the server's address against the plan written
 * out as text; then the bounds, every list full.  No root needed: no kernel involved.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/route-plan.h"
#include "src/util/macros.h"

/* ---- ip_prefix_contains ------------------------------------------------------------- */

static const struct {
	const char *outer, *inner;
	bool contains;
} contains_cases[] = {
	/* 0 */ { "10.0.0.0/8", "10.1.0.0/16", true },
	/* 1 */ { "10.1.0.0/16", "10.0.0.0/8", false },
	/* 2 */ { "10.1.0.0/16", "10.1.0.0/16", true },
	/* 3 */ { "10.16.0.0/12", "10.31.255.0/24", true },	/* not on a byte */
	/* 4 */ { "10.16.0.0/12", "10.32.0.0/24", false },
	/* 5 */ { "10.1.2.3/8", "10.9.9.9", true },		/* host bits past the length */
	/* 6 */ { "0.0.0.0/0", "192.0.2.1", true },
	/* 7 */ { "0.0.0.0/0", "::/0", false },			/* families differ */
	/* 8 */ { "fd00::/48", "fd00:0:0:5::/64", true },
	/* 9 */ { "fd00::/48", "fd00:1::/64", false },
	/* 10 */ { "fd00::/47", "fd00:0:1::/48", true },
	/* 11 */ { "fd00::/49", "fd00:0:0:8000::/64", false },
	/* 12 */ { "fd00::1", "fd00::1", true },
	/* 13 */ { "fd00::1", "fd00::2", false },
};

START_TEST(test_contains)
{
	struct ip_prefix outer, inner;

	ck_assert_int_eq(ip_prefix_parse(contains_cases[_i].outer, &outer), 0);
	ck_assert_int_eq(ip_prefix_parse(contains_cases[_i].inner, &inner), 0);
	ck_assert_msg(ip_prefix_contains(&outer, &inner) == contains_cases[_i].contains,
		      "case %d: %s in %s", _i, contains_cases[_i].inner, contains_cases[_i].outer);
}
END_TEST

START_TEST(test_contains_none)
{
	struct ip_prefix none = { .len = 0 }, any;

	ck_assert_int_eq(ip_prefix_parse("0.0.0.0/0", &any), 0);
	ck_assert(!ip_prefix_contains(&none, &any));
	ck_assert(!ip_prefix_contains(&any, &none));
}
END_TEST

/* ---- the plan --------------------------------------------------------------------- */

enum { MAX_LIST = 8 };

/* Lists end at the first NULL; "" for tun4, tun6 or server: none. */
static const struct plan_case {
	const char *include[MAX_LIST], *exclude[MAX_LIST];
	const char *tun4, *tun6, *server;
	const char *plan;		/* "before P, server P, tun P", in the plan's order */
	bool full4, full6;
	unsigned int skipped;
} plan_cases[] = {
	/* 0: tests/ocserv-routes.sh's server: every kind once */
	{ { "10.200.0.0/16", "fd00:abcd::/48", "fd91:6d87:7341::/48", "10.91.0.0/16" },
	  { "10.200.5.0/24", "fd00:abcd:0:5::/64" },
	  "192.168.251.121/24", "fd91:6d87:7341:4e14::2/64", "10.91.0.2",
	  "before 10.200.5.0/24, before fd00:abcd:0:5::/64, server 10.91.0.2/32, "
	  "tun 10.200.0.0/16, tun fd00:abcd::/48, tun fd91:6d87:7341::/48, tun 10.91.0.0/16",
	  false, false, 0 },
	/* 1: a full tunnel: an exclude outside the tun's network changes nothing */
	{ { NULL }, { "10.1.0.0/16" }, "192.168.251.121/24", "fd91::2/64", "10.91.0.2",
	  "", true, true, 1 },
	/* 2: a full tunnel, an exclude inside the tun's own network */
	{ { NULL }, { "192.168.251.128/25" }, "192.168.251.121/24", "", "10.91.0.2",
	  "before 192.168.251.128/25", true, false, 0 },
	/* 3: no IPv6 address: no IPv6 routes, and IPv6 is no full tunnel */
	{ { "fd00::/48", "10.0.0.0/8" }, { "fd00:0:0:5::/64" }, "10.9.0.2/32", "", "",
	  "tun 10.0.0.0/8", false, false, 2 },
	/* 4: no IPv4 address: the same the other way round */
	{ { "10.0.0.0/8", "fd00::/48" }, { NULL }, "", "fd91::2/128", "",
	  "tun fd00::/48", false, false, 1 },
	/* 5: an include that is the tun's network is the kernel's route; it still splits */
	{ { "192.168.251.0/24" }, { NULL }, "192.168.251.121/24", "", "", "", false, false, 1 },
	/* 6: an include that is also excluded: the exclude wins, and then changes nothing */
	{ { "10.1.0.0/16", "10.2.0.0/16" }, { "10.1.0.0/16" }, "10.9.0.2/32", "", "",
	  "tun 10.2.0.0/16", false, false, 2 },
	/* 7: repeats count once */
	{ { "10.1.0.0/16", "10.1.0.0/16" }, { "10.1.2.0/24", "10.1.2.0/24" }, "10.9.0.2/32",
	  "", "", "before 10.1.2.0/24, tun 10.1.0.0/16", false, false, 2 },
	/* 8: the server inside an exclude needs no host route of its own */
	{ { "10.0.0.0/8" }, { "10.91.0.0/24" }, "192.168.251.121/24", "", "10.91.0.2",
	  "before 10.91.0.0/24, tun 10.0.0.0/8", false, false, 0 },
	/* 9: an include of the server alone cannot be: it would carry itself */
	{ { "10.91.0.2/32", "10.0.0.0/8" }, { NULL }, "192.168.251.121/24", "", "10.91.0.2",
	  "server 10.91.0.2/32, tun 10.0.0.0/8", false, false, 1 },
	/* 10: an IPv6 server inside an IPv6 include */
	{ { "fd99::/64" }, { NULL }, "", "fd91::2/64", "fd99::2",
	  "server fd99::2/128, tun fd99::/64", false, false, 0 },
	/* 11: the server outside every include: nothing for it */
	{ { "10.200.0.0/16" }, { NULL }, "192.168.251.121/24", "", "10.91.0.2",
	  "tun 10.200.0.0/16", false, false, 0 },
	/* 12: the server inside the tun's own network */
	{ { NULL }, { NULL }, "10.91.0.121/16", "", "10.91.0.2", "server 10.91.0.2/32",
	  true, false, 0 },
	/* 13: an exclude around an include (not inside it) changes nothing */
	{ { "10.1.2.0/24" }, { "10.1.0.0/16" }, "10.9.0.2/32", "", "", "tun 10.1.2.0/24",
	  false, false, 1 },
	/* 14: routes given with host bits are routed as their networks */
	{ { "10.1.2.3/16" }, { "10.1.2.3/24" }, "10.9.0.2/32", "", "",
	  "before 10.1.2.0/24, tun 10.1.0.0/16", false, false, 0 },
	/* 15: no address at all: nothing, and no full tunnel either */
	{ { "10.0.0.0/8" }, { "10.1.0.0/16" }, "", "", "10.91.0.2", "", false, false, 2 },
};

static unsigned int parse_list(const char *const *text, struct ip_prefix *out)
{
	unsigned int n = 0;

	for (; n < MAX_LIST && text[n]; n++)
		ck_assert_int_eq(ip_prefix_parse(text[n], &out[n]), 0);
	return n;
}

static void parse_optional(const char *text, struct ip_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (*text)
		ck_assert_int_eq(ip_prefix_parse(text, out), 0);
}

static void plan_text(const struct route_plan *plan, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < plan->n; i++) {
		const struct route_plan_entry *e = &plan->route[i];
		char p[IP_PREFIX_STRLEN];

		ip_prefix_format(&e->dst, p);
		used += (size_t)snprintf(out + used, len - used, "%s%s %s", i ? ", " : "",
					 e->server ? "server" : e->via == ROUTE_VIA_TUN ? "tun" :
					 "before", p);
		ck_assert_uint_lt(used, len);
	}
}

START_TEST(test_plan)
{
	const struct plan_case *c = &plan_cases[_i];
	struct ip_prefix inc[MAX_LIST], exc[MAX_LIST], server;
	struct route_plan_input in = { .include = inc, .exclude = exc };
	struct route_plan plan;
	char text[1024];

	in.n_include = parse_list(c->include, inc);
	in.n_exclude = parse_list(c->exclude, exc);
	for (unsigned int i = 0; i < in.n_include; i++)
		ip_prefix_clear_host(&inc[i]);
	for (unsigned int i = 0; i < in.n_exclude; i++)
		ip_prefix_clear_host(&exc[i]);
	parse_optional(c->tun4, &in.tun4);
	parse_optional(c->tun6, &in.tun6);
	parse_optional(c->server, &server);
	in.server = server.addr;
	route_plan_build(&plan, &in);
	plan_text(&plan, text, sizeof(text));
	ck_assert_msg(!strcmp(text, c->plan), "case %d: plan '%s', want '%s'", _i, text, c->plan);
	ck_assert_msg(plan.full4 == c->full4 && plan.full6 == c->full6,
		      "case %d: full4 %d full6 %d", _i, plan.full4, plan.full6);
	ck_assert_msg(plan.n_skipped == c->skipped, "case %d: %u skipped, want %u", _i,
		      plan.n_skipped, c->skipped);
}
END_TEST

/*
 * Every list full, each exclude inside an include, the server inside one too: the plan
 * holds them all, in order; anything past the bound is not read.
 */
START_TEST(test_plan_bounds)
{
	static struct ip_prefix inc[ROUTE_PLAN_MAX_IN + 1], exc[ROUTE_PLAN_MAX_IN + 1];
	struct route_plan_input in = {
		.include = inc, .exclude = exc,
		.n_include = ROUTE_PLAN_MAX_IN + 1, .n_exclude = ROUTE_PLAN_MAX_IN + 1,
	};
	static struct route_plan plan;
	char text[64];

	for (unsigned int i = 0; i <= ROUTE_PLAN_MAX_IN; i++) {
		snprintf(text, sizeof(text), "10.%u.0.0/16", i);
		ck_assert_int_eq(ip_prefix_parse(text, &inc[i]), 0);
		snprintf(text, sizeof(text), "10.%u.7.0/24", i);
		ck_assert_int_eq(ip_prefix_parse(text, &exc[i]), 0);
	}
	ck_assert_int_eq(ip_prefix_parse("192.168.251.121/24", &in.tun4), 0);
	ck_assert_int_eq(ip_addr_parse("10.3.0.2", &in.server), 0);
	route_plan_build(&plan, &in);
	ck_assert_uint_eq(plan.n, ROUTE_PLAN_MAX);
	ck_assert_uint_eq(plan.n_skipped, 0);
	for (unsigned int i = 0; i < ROUTE_PLAN_MAX; i++) {
		const struct route_plan_entry *e = &plan.route[i];

		ck_assert_int_eq(e->via, i <= ROUTE_PLAN_MAX_IN ? ROUTE_VIA_BEFORE : ROUTE_VIA_TUN);
		ck_assert(e->server == (i == ROUTE_PLAN_MAX_IN));
	}
	ip_prefix_format(&plan.route[ROUTE_PLAN_MAX - 1].dst, text);
	ck_assert_str_eq(text, "10.127.0.0/16");
}
END_TEST

static Suite *route_plan_suite(void)
{
	Suite *s = suite_create("route_plan");
	TCase *tc = tcase_create("contains");
	TCase *tp = tcase_create("plan");

	tcase_add_loop_test(tc, test_contains, 0, ARRAY_SIZE(contains_cases));
	tcase_add_test(tc, test_contains_none);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(tp, test_plan, 0, ARRAY_SIZE(plan_cases));
	tcase_add_test(tp, test_plan_bounds);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(route_plan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
