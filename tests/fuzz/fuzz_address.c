/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Addresses and prefixes as a server sends them (src/cli/ip-prefix.c: "ADDR",
 * "ADDR/LEN", IPv4 "ADDR/A.B.C.D") and the split routes made of them
 * (src/cli/route-plan.c: includes, excludes inside them, the server's host route).
 *
 * The first byte: bit 0 gives the tun an IPv4 address, bit 1 an IPv6 one, bit 2 takes
 * the first bare address as the server's, bits 3-7 a netmask length to round-trip.  The
 * rest is lines ('\n'), each a C string in a buffer of its exact size so ASan sees any
 * byte read past it: a line starting with '-' is an exclude, any other an include.
 * Every address and prefix parsed must format and parse back to itself, its network
 * must lie inside it, and the plan built from them must keep its bounds: at most
 * ROUTE_PLAN_MAX routes, networks only, the ones routed as before first.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "src/cli/ip-prefix.h"
#include "src/cli/route-plan.h"
#include "tests/fuzz/fuzz.h"

enum { MAX_LINES = 2 * ROUTE_PLAN_MAX_IN + 16 };

static bool same_addr(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	if (a->family == AF_INET6)
		return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
	return true;
}

static unsigned int max_len(const struct ip_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

static void check_addr(const char *text, struct ip_addr *server, bool want_server)
{
	struct ip_addr a, back;
	char out[INET6_ADDRSTRLEN];

	if (ip_addr_parse(text, &a))
		return;
	if (a.family != AF_INET && a.family != AF_INET6)
		abort();
	ip_addr_format(&a, out);
	if (ip_addr_parse(out, &back) || !same_addr(&a, &back))
		abort();
	if (want_server && !server->family)
		*server = a;
}

/* Parses one prefix; true with the network in *net. */
static bool check_prefix(const char *text, struct ip_prefix *net)
{
	struct ip_prefix p, back;
	char out[IP_PREFIX_STRLEN];

	if (ip_prefix_parse(text, &p))
		return false;
	if ((p.addr.family != AF_INET && p.addr.family != AF_INET6) || p.len > max_len(&p.addr))
		abort();
	ip_prefix_format(&p, out);
	if (ip_prefix_parse(out, &back) || !same_addr(&p.addr, &back.addr) || back.len != p.len)
		abort();
	*net = p;
	ip_prefix_clear_host(net);
	if (!ip_prefix_contains(&p, net) || !ip_prefix_contains(net, &p) ||
	    !ip_prefix_contains(net, net))
		abort();
	if (p.addr.family == AF_INET) {
		unsigned int len;

		if (!ip_mask4_len(ip_mask4(p.len), &len) || len != p.len)
			abort();
	}
	return true;
}

static void check_plan(const struct route_plan_input *in)
{
	static struct route_plan plan;
	bool before = true;

	route_plan_build(&plan, in);
	if (plan.n > ROUTE_PLAN_MAX)
		abort();
	for (unsigned int i = 0; i < plan.n; i++) {
		struct ip_prefix net = plan.route[i].dst;

		ip_prefix_clear_host(&net);
		if (!same_addr(&net.addr, &plan.route[i].dst.addr) ||
		    plan.route[i].dst.len > max_len(&net.addr))
			abort();
		if (plan.route[i].via == ROUTE_VIA_TUN)
			before = false;
		else if (!before)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	static struct ip_prefix include[ROUTE_PLAN_MAX_IN], exclude[ROUTE_PLAN_MAX_IN];
	struct route_plan_input plan = { .include = include, .exclude = exclude };
	unsigned int len;

	if (!ip_mask4_len(ip_mask4(mode >> 3), &len) || len != (unsigned int)(mode >> 3))
		abort();
	if (mode & 1 && ip_prefix_parse("10.11.1.2/24", &plan.tun4))
		abort();
	if (mode & 2 && ip_prefix_parse("fd91:6d87:7341:db6a::5/64", &plan.tun6))
		abort();
	for (int n = 0; n < MAX_LINES && in.size; n++) {
		const uint8_t *nl = memchr(in.data, '\n', in.size);
		size_t line_len = nl ? (size_t)(nl - in.data) : in.size;
		char *line = malloc(line_len + 1);
		bool exc;
		struct ip_prefix net;

		if (!line)
			abort();
		memcpy(line, in.data, line_len);
		line[line_len] = '\0';
		in.data += line_len + (nl != NULL);
		in.size -= line_len + (nl != NULL);
		exc = line[0] == '-';
		check_addr(line + exc, &plan.server, mode & 4);
		if (check_prefix(line + exc, &net)) {
			if (exc && plan.n_exclude < ROUTE_PLAN_MAX_IN)
				exclude[plan.n_exclude++] = net;
			else if (!exc && plan.n_include < ROUTE_PLAN_MAX_IN)
				include[plan.n_include++] = net;
		}
		free(line);
	}
	check_plan(&plan);
	return 0;
}
