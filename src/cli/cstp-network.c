/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tun's addresses and routes for a CSTP session, and its DNS said (cstp-network.h). */
#include "config.h"

#include "src/cli/cstp-network.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "src/cli/json-writer.h"

_Static_assert((int)CSTP_MAX_ROUTES <= (int)ROUTE_PLAN_MAX_IN,
	       "the plan takes every split route the CSTP answer holds");

static void plan_session(struct route_plan *plan, const struct cstp_session *s,
			 const char *server)
{
	struct route_plan_input in = {
		.include = s->split_inc, .n_include = s->n_split_inc,
		.exclude = s->split_exc, .n_exclude = s->n_split_exc,
		.tun6 = s->address6,
	};

	if (s->has_address) {
		in.tun4.addr.family = AF_INET;
		in.tun4.addr.v4 = s->address;
		/* cstp-tunnel.c takes any netmask; one with holes counts as the host alone. */
		if (!ip_mask4_len(s->netmask, &in.tun4.len))
			in.tun4.len = 32;
	}
	if (server && *server)
		ip_addr_parse(server, &in.server);
	route_plan_build(plan, &in);
}

/*
 * How each route around the tunnel goes now, before the tun has an address or a route
 * that would answer instead.  An entry with no way out to copy (a local address, say) is
 * left out: its type stays 0.
 */
static int look_up_before(struct cstp_network *n)
{
	char err[256], dst[IP_PREFIX_STRLEN];
	unsigned int tun = if_nametoindex(n->ifname);

	for (unsigned int i = 0; i < n->plan.n; i++) {
		const struct route_plan_entry *e = &n->plan.route[i];
		struct netcfg_nexthop *via = &n->via[i];
		int ret;

		if (e->via != ROUTE_VIA_BEFORE)
			continue;
		ret = netcfg_route_lookup(&e->dst.addr, via, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "zcvpn: %s\n", err);
			return ret;
		}
		if (via->type == RTN_UNICAST && via->oif && (unsigned int)via->oif != tun)
			continue;
		if (via->type == RTN_UNREACHABLE || via->type == RTN_BLACKHOLE ||
		    via->type == RTN_PROHIBIT)
			continue;	/* it stays as unreachable as it was */
		ip_prefix_format(&e->dst, dst);
		fprintf(stderr, "zcvpn: split exclude %s: the kernel has no route out for it to "
			"copy (type %u): left out\n", dst, via->type);
		via->type = 0;
	}
	return 0;
}

/* The addresses, the link up with them.  IPv6 the kernel refuses is said, not fatal. */
static int add_addresses(struct cstp_network *n, const struct cstp_session *s)
{
	char err[256];
	int ret;

	if (s->has_address)
		ret = netcfg_ipv4(n->ifname, s->address, s->netmask, err, sizeof(err));
	else
		ret = netcfg_link_up(n->ifname, err, sizeof(err));
	if (!ret && s->address6.addr.family == AF_INET6) {
		ret = netcfg_ipv6(n->ifname, &s->address6, err, sizeof(err));
		n->ipv6 = !ret;
		if (ret == -EACCES || ret == -EAFNOSUPPORT) {
			fprintf(stderr, "zcvpn: %s: the tunnel carries IPv4 only\n", err);
			ret = 0;
		}
	}
	if (ret)
		fprintf(stderr, "zcvpn: %s\n", err);
	return ret;
}

/* The planned routes; one that exists already is the user's, said and left alone. */
static int add_routes(struct cstp_network *n, unsigned int *in, unsigned int *around)
{
	struct netcfg_nexthop tun = { .type = RTN_UNICAST, .oif = (int)if_nametoindex(n->ifname) };
	char err[256];

	for (unsigned int i = 0; i < n->plan.n; i++) {
		const struct route_plan_entry *e = &n->plan.route[i];
		int ret;

		if (e->via == ROUTE_VIA_TUN)
			n->via[i] = tun;
		if (!n->via[i].type || (e->dst.addr.family == AF_INET6 && !n->ipv6))
			continue;
		ret = netcfg_route_add(&e->dst, &n->via[i], err, sizeof(err));
		if (ret == -EEXIST) {
			fprintf(stderr, "zcvpn: %s: the route already there stays\n", err);
			continue;
		}
		if (ret) {
			fprintf(stderr, "zcvpn: %s\n", err);
			return ret;
		}
		n->added[i] = true;
		(*(e->via == ROUTE_VIA_TUN ? in : around))++;
	}
	return 0;
}

/* What the routes add up to, in a line or two. */
static void say_routes(const struct cstp_network *n, unsigned int in, unsigned int around)
{
	const bool full4 = n->plan.full4, full6 = n->plan.full6 && n->ipv6;
	bool server = false;

	for (unsigned int i = 0; i < n->plan.n; i++)
		server |= n->added[i] && n->plan.route[i].server;
	if (in || around)
		fprintf(stderr, "zcvpn: routes: %u into the tunnel (split includes), %u around it "
			"(split excludes%s)\n", in, around, server ? ", the server's address" : "");
	if (full4 || full6)
		fprintf(stderr, "zcvpn: no split include for %s: the server means all traffic, but "
			"the default route stays as it is (a vpnc-script, --script, takes it over)\n",
			full4 && full6 ? "IPv4 and IPv6" : full4 ? "IPv4" : "IPv6");
}

int cstp_network_setup(struct cstp_network *n, const char *ifname, const struct cstp_session *s,
		       const char *server)
{
	unsigned int in = 0, around = 0;
	int ret;

	memset(n, 0, sizeof(*n));
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	plan_session(&n->plan, s, server);
	ret = look_up_before(n);
	if (!ret)
		ret = add_addresses(n, s);
	if (!ret)
		ret = add_routes(n, &in, &around);
	if (!ret)
		say_routes(n, in, around);
	return ret;
}

void cstp_network_teardown(struct cstp_network *n)
{
	char err[256];

	for (unsigned int i = 0; i < n->plan.n; i++) {
		if (!n->added[i] || n->plan.route[i].via != ROUTE_VIA_BEFORE)
			continue;	/* the tun's routes go with it */
		if (netcfg_route_del(&n->plan.route[i].dst, &n->via[i], err, sizeof(err)))
			fprintf(stderr, "zcvpn: %s\n", err);
		n->added[i] = false;
	}
}

static void addr_list(char *out, size_t len, const struct ip_addr *a, unsigned int n)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < n && used < len; i++) {
		char text[INET6_ADDRSTRLEN];

		ip_addr_format(&a[i], text);
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "", text);
	}
}

void cstp_network_print_dns(const struct cstp_session *s)
{
	char dns[CSTP_MAX_DNS * (INET6_ADDRSTRLEN + 1)];

	if (!s->n_dns && !s->domain[0] && !s->split_dns[0])
		return;
	addr_list(dns, sizeof(dns), s->dns, s->n_dns);
	fprintf(stderr, "zcvpn: DNS %s%s%s%s%s (not written to resolv.conf)\n",
		s->n_dns ? dns : "none", s->domain[0] ? ", domain " : "", s->domain,
		s->split_dns[0] ? ", split DNS " : "", s->split_dns);
}

static void json_addrs(struct json_writer *w, const char *key, const struct ip_addr *a,
		       unsigned int n)
{
	char text[INET6_ADDRSTRLEN];

	json_open_array(w, key);
	for (unsigned int i = 0; i < n; i++) {
		ip_addr_format(&a[i], text);
		json_string(w, NULL, text);
	}
	json_close_array(w);
}

static void json_prefixes(struct json_writer *w, const char *key, const struct ip_prefix *p,
			  unsigned int n)
{
	char text[IP_PREFIX_STRLEN];

	json_open_array(w, key);
	for (unsigned int i = 0; i < n; i++) {
		ip_prefix_format(&p[i], text);
		json_string(w, NULL, text);
	}
	json_close_array(w);
}

void cstp_network_json(struct json_writer *w, const struct cstp_session *s)
{
	struct ip_prefix a4 = { .addr.family = 0 };
	char text[IP_PREFIX_STRLEN];

	if (s->has_address) {
		a4.addr.family = AF_INET;
		a4.addr.v4 = s->address;
		if (!ip_mask4_len(s->netmask, &a4.len))
			a4.len = 32;
	}
	json_open(w, "network");
	ip_prefix_format(&a4, text);
	json_string(w, "address", text);
	ip_prefix_format(&s->address6, text);
	json_string(w, "address6", text);
	json_addrs(w, "dns", s->dns, s->n_dns);
	json_string(w, "domain", s->domain);
	json_string(w, "split_dns", s->split_dns);
	json_prefixes(w, "split_include", s->split_inc, s->n_split_inc);
	json_prefixes(w, "split_exclude", s->split_exc, s->n_split_exc);
	json_close(w);
}
