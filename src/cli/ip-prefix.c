/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Addresses and prefixes from a server's text, strictly: anything odd is refused. */
#include "config.h"

#include "src/cli/ip-prefix.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int ip_addr_parse(const char *text, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Decimal digits only, at most max: no sign, no spaces, no hex. */
static int parse_len(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;

	if (!*s || strlen(s) > 3)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int ip_prefix_parse(const char *text, struct ip_prefix *out)
{
	const char *slash = strchr(text, '/');
	char addr[INET6_ADDRSTRLEN];
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned int max;
	struct in_addr mask;

	memset(out, 0, sizeof(*out));
	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (ip_addr_parse(addr, &out->addr))
		return -EINVAL;
	max = out->addr.family == AF_INET ? 32 : 128;
	out->len = max;
	if (!slash)
		return 0;
	if (!parse_len(slash + 1, max, &out->len))
		return 0;
	if (out->addr.family == AF_INET && inet_pton(AF_INET, slash + 1, &mask) == 1 &&
	    ip_mask4_len(mask, &out->len))
		return 0;
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

void ip_prefix_clear_host(struct ip_prefix *p)
{
	if (p->addr.family == AF_INET) {
		p->addr.v4.s_addr &= ip_mask4(p->len).s_addr;
		return;
	}
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int bits = p->len > 8 * i ? p->len - 8 * i : 0;

		if (bits < 8)
			p->addr.v6.s6_addr[i] &= (uint8_t)(0xff00 >> bits);
	}
}

bool ip_prefix_contains(const struct ip_prefix *outer, const struct ip_prefix *inner)
{
	struct ip_prefix a = *outer, b = *inner;

	if (a.addr.family != b.addr.family || !a.addr.family || a.len > b.len)
		return false;
	b.len = a.len;
	ip_prefix_clear_host(&a);
	ip_prefix_clear_host(&b);
	if (a.addr.family == AF_INET)
		return a.addr.v4.s_addr == b.addr.v4.s_addr;
	return !memcmp(&a.addr.v6, &b.addr.v6, sizeof(a.addr.v6));
}

void ip_addr_format(const struct ip_addr *a, char out[INET6_ADDRSTRLEN])
{
	out[0] = '\0';
	if (a->family)
		inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 :
			  (const void *)&a->v6, out, INET6_ADDRSTRLEN);
}

void ip_prefix_format(const struct ip_prefix *p, char out[IP_PREFIX_STRLEN])
{
	char a[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (!p->addr.family)
		return;
	ip_addr_format(&p->addr, a);
	snprintf(out, IP_PREFIX_STRLEN, "%s/%u", a, p->len);
}

struct in_addr ip_mask4(unsigned int len)
{
	struct in_addr m = { .s_addr = htonl(len ? ~0u << (32 - len) : 0) };

	return m;
}

bool ip_mask4_len(struct in_addr mask, unsigned int *len)
{
	uint32_t m = ntohl(mask.s_addr);
	unsigned int n = 0;

	while (n < 32 && m & (0x80000000u >> n))
		n++;
	if (ip_mask4(n).s_addr != mask.s_addr)
		return false;
	*len = n;
	return true;
}
