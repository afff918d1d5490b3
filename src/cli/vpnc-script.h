/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `--script PATH`: the tunnel's settings go to a vpnc-script (Debian's
 * /usr/share/vpnc-scripts/vpnc-script, or the user's own) in its environment, as
 * openconnect 9 passes them, and the script configures the interface, routes and DNS
 * instead of the driver.  The connect commands fill struct vpnc_settings from what their
 * protocol learnt (the CSTP answer, PPP's IPCP) and run the script for each reason:
 *
 *   pre-init     before the tun device is opened
 *   connect      the tun is there and the tunnel's settings are known
 *   reconnect    the data path came back (a DTLS redial, a PPP link renegotiated)
 *   disconnect   after the goodbye, while the tun still exists
 */
#ifndef ZCVPN_SRC_CLI_VPNC_SCRIPT_H
#define ZCVPN_SRC_CLI_VPNC_SCRIPT_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "src/cli/ip-prefix.h"

enum vpnc_limits {
	VPNC_MAX_DNS = 3,		/* openconnect passes at most three of each */
	VPNC_MAX_NBNS = 3,
	VPNC_MAX_ROUTES = 128,		/* each of the four split lists */
	VPNC_TEXT_LEN = 1024,		/* the banner, the domain lists */
	VPNC_TIMEOUT_MS = 30000,	/* then the script (its process group) is killed */
};

struct vpnc_split {
	struct ip_prefix route[VPNC_MAX_ROUTES];	/* IPv4 and IPv6 mixed */
	unsigned int n;
};

/* What the script is told; zero (vpnc_settings_init) means unknown, and is left out. */
struct vpnc_settings {
	char tundev[IFNAMSIZ];
	char gateway[INET6_ADDRSTRLEN];	/* the server's address actually connected to */
	uint32_t mtu;
	bool has_ip4;
	struct in_addr ip4, netmask4;	/* netmask4 0: none given */
	struct ip_prefix ip6;		/* family 0: none */
	struct ip_addr dns[VPNC_MAX_DNS];	/* either family, the server's order */
	unsigned int n_dns;
	struct ip_addr nbns[VPNC_MAX_NBNS];
	unsigned int n_nbns;
	char domain[VPNC_TEXT_LEN];	/* CISCO_DEF_DOMAIN */
	char split_dns[VPNC_TEXT_LEN];	/* CISCO_SPLIT_DNS: comma-separated */
	char banner[VPNC_TEXT_LEN];
	struct vpnc_split include, exclude;
	uint32_t idle_timeout_s;
};

void vpnc_settings_init(struct vpnc_settings *v, const char *tundev);

/*
 * The script's environment for reason: envp (the caller's environment, inherited as
 * openconnect does) without any variable of the script's interface, then the settings.
 * *out is a NULL-terminated array; free it with vpnc_env_free.  0 or -ENOMEM.
 */
int vpnc_script_env(const struct vpnc_settings *v, const char *reason, char *const *envp,
		    char ***out);
void vpnc_env_free(char **env);

/* Whether path is an executable file (the option's check).  0 or -EINVAL (said why). */
int vpnc_script_check(const char *path);

/*
 * Runs path (no shell: execve, argv[0] the path) with that environment and waits for it,
 * at most timeout_ms; then its process group is killed.  0 when it exited with status 0;
 * else -ENOEXEC (it could not be started), -ETIMEDOUT or -EIO (a non-zero status or a
 * signal), with one line in err.
 */
int vpnc_script_run(const char *path, const struct vpnc_settings *v, const char *reason,
		    unsigned int timeout_ms, char *err, size_t errlen);

/*
 * The connect commands' use of it: path NULL (no --script) is 0 at once; a failure is
 * said on stderr in one line.  Returns what vpnc_script_run returned.
 */
int vpnc_script_reason(const char *path, const struct vpnc_settings *v, const char *reason);

#endif /* ZCVPN_SRC_CLI_VPNC_SCRIPT_H */
