/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network a CSTP session hands the client, set up by the driver itself when no
 * vpnc-script does it: the IPv4 and IPv6 addresses on the tun, the split includes into
 * it, the split excludes inside them (and the server itself) the way they went before,
 * as route-plan.h decides; DNS servers and domains reported, never written to
 * resolv.conf.  A full tunnel keeps the default route where it is (a vpnc-script takes
 * it over).  At the end the routes via other interfaces are removed; the tun's own
 * addresses and routes go with the tun.
 */
#ifndef ZCVPN_SRC_CLI_CSTP_NETWORK_H
#define ZCVPN_SRC_CLI_CSTP_NETWORK_H

#include <net/if.h>
#include <stdbool.h>

#include "src/cli/cstp.h"
#include "src/cli/netcfg.h"
#include "src/cli/route-plan.h"

struct json_writer;

struct cstp_network {
	char ifname[IF_NAMESIZE];
	struct route_plan plan;
	struct netcfg_nexthop via[ROUTE_PLAN_MAX];	/* the way each planned route goes */
	bool added[ROUTE_PLAN_MAX];	/* ours: the routes the teardown removes */
	bool ipv6;			/* the IPv6 address is on the tun */
};

/*
 * Configures ifname (the tun, up or not, with no address yet) for session s, whose
 * server was reached at server (numeric; NULL or "" if unknown).  It asks the kernel how
 * each excluded network goes before it adds anything.  Progress and failures on stderr.
 * 0, or -errno (-EPERM: no CAP_NET_ADMIN); after a failure cstp_network_teardown still
 * removes what was added.
 */
int cstp_network_setup(struct cstp_network *n, const char *ifname, const struct cstp_session *s,
		       const char *server);

/* Removes the routes setup added via other interfaces; safe on a zeroed struct. */
void cstp_network_teardown(struct cstp_network *n);

/* The DNS servers and domains of s, once, on stderr (nothing if it has none). */
void cstp_network_print_dns(const struct cstp_session *s);

/* "network": { addresses, DNS, domains, split lists } of s in the --json report. */
void cstp_network_json(struct json_writer *w, const struct cstp_session *s);

#endif /* ZCVPN_SRC_CLI_CSTP_NETWORK_H */
