/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The addresses `zcvpn serve --protocol anyconnect` hands out: an IPv4 network and an
 * IPv6 one, the first host of each the server's own, every session a lease of the next
 * free index in both (so a client's two addresses share their index, which the logs and
 * the tun names show).  A lease goes back when its session ends, reaped ones included.
 * Shared by the session threads: every call takes the pool's lock.
 */
#ifndef ZCVPN_SRC_CLI_AC_POOL_H
#define ZCVPN_SRC_CLI_AC_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/cli/ip-prefix.h"

enum { AC_POOL_MAX = 1024 };		/* leases a pool keeps track of, whatever its size */

struct ac_pool {
	pthread_mutex_t lock;
	struct ip_prefix net4, net6;	/* host bits clear; net6 family 0: no IPv6 */
	unsigned size;			/* leases: min(hosts in net4 (and net6) - 1, MAX) */
	bool used[AC_POOL_MAX];
};

struct ac_lease {
	unsigned index;			/* 1..size: the host's number in both networks + 1 */
	struct ip_addr ip4, ip6;	/* ip6 family 0 without an IPv6 pool */
};

/*
 * net4 "A.B.C.D/LEN" (LEN 8..30), net6 "X::/LEN" (LEN 64..126) or NULL.  0, or -EINVAL
 * with a message.
 */
int ac_pool_init(struct ac_pool *p, const char *net4, const char *net6, char *err,
		 size_t errlen);
void ac_pool_destroy(struct ac_pool *p);

/* The server's own addresses (the first host of each network). */
void ac_pool_server(const struct ac_pool *p, struct ip_addr *ip4, struct ip_addr *ip6);

/* The next free lease.  0, or -EADDRNOTAVAIL when every address is out. */
int ac_pool_lease(struct ac_pool *p, struct ac_lease *out);
/* Gives a lease back (accepts index 0: none). */
void ac_pool_release(struct ac_pool *p, const struct ac_lease *l);

#endif /* ZCVPN_SRC_CLI_AC_POOL_H */
