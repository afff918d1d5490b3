/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The AnyConnect server's address pools (ac-pool.h). */
#include "config.h"

#include "src/cli/ac-pool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The address host number n of a network (n fits: the pool is sized to it). */
static struct ip_addr host_of(const struct ip_prefix *net, unsigned n)
{
	struct ip_addr a = net->addr;

	if (a.family == AF_INET) {
		a.v4.s_addr = htonl(ntohl(a.v4.s_addr) + n);
	} else {
		for (int i = 15; i >= 0 && n; i--) {
			unsigned sum = a.v6.s6_addr[i] + (n & 0xff);

			a.v6.s6_addr[i] = (uint8_t)sum;
			n = (n >> 8) + (sum >> 8);
		}
	}
	return a;
}

static int parse_net(const char *text, int family, unsigned min, unsigned max,
		     struct ip_prefix *out)
{
	if (ip_prefix_parse(text, out) || out->addr.family != family || out->len < min ||
	    out->len > max)
		return -EINVAL;
	ip_prefix_clear_host(out);
	return 0;
}

int ac_pool_init(struct ac_pool *p, const char *net4, const char *net6, char *err,
		 size_t errlen)
{
	unsigned hosts;

	memset(p, 0, sizeof(*p));
	if (parse_net(net4, AF_INET, 8, 30, &p->net4)) {
		snprintf(err, errlen, "--pool: want an IPv4 network A.B.C.D/LEN, LEN 8..30 (got '%s')",
			 net4);
		return -EINVAL;
	}
	if (net6 && parse_net(net6, AF_INET6, 64, 126, &p->net6)) {
		snprintf(err, errlen, "--pool6: want an IPv6 network X::/LEN, LEN 64..126 (got '%s')",
			 net6);
		return -EINVAL;
	}
	/* Hosts 2 .. 2^(32-len) - 2: the network, the server's .1 and broadcast left out. */
	hosts = (1u << (32 - p->net4.len)) - 3;
	if (net6 && p->net6.len > 118 && (1u << (128 - p->net6.len)) - 2 < hosts)
		hosts = (1u << (128 - p->net6.len)) - 2;
	p->size = hosts < AC_POOL_MAX ? hosts : AC_POOL_MAX;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void ac_pool_destroy(struct ac_pool *p)
{
	pthread_mutex_destroy(&p->lock);
}

void ac_pool_server(const struct ac_pool *p, struct ip_addr *ip4, struct ip_addr *ip6)
{
	*ip4 = host_of(&p->net4, 1);
	memset(ip6, 0, sizeof(*ip6));
	if (p->net6.addr.family)
		*ip6 = host_of(&p->net6, 1);
}

int ac_pool_lease(struct ac_pool *p, struct ac_lease *out)
{
	int ret = -EADDRNOTAVAIL;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->size; i++) {
		if (p->used[i])
			continue;
		p->used[i] = true;
		out->index = i + 1;
		out->ip4 = host_of(&p->net4, i + 2);
		if (p->net6.addr.family)
			out->ip6 = host_of(&p->net6, i + 2);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

void ac_pool_release(struct ac_pool *p, const struct ac_lease *l)
{
	if (!l->index || l->index > p->size)
		return;
	pthread_mutex_lock(&p->lock);
	p->used[l->index - 1] = false;
	pthread_mutex_unlock(&p->lock);
}
