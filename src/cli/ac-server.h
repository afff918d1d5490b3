/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `zcvpn serve --protocol anyconnect --listen ADDR:PORT`: the AnyConnect server that
 * openconnect (and `zcvpn connect`) log in to, several clients at once.
 *
 *   cmd-serve-anyconnect.c  options, the listener, one thread per TLS connection
 *   ac-login.c              the XML auth exchange and the cookie it issues
 *   ac-cookies.c            cookies between the login and CONNECT
 *   ac-tunnel.c             CONNECT /CSCOSSLC/tunnel: the answer, then the session
 *   ac-passwd.c, ac-pool.c  users (ocpasswd's file) and addresses
 *
 * Each session has its own engine, its own UDP port (named in X-DTLS-Port: the kernel
 * then sorts datagrams to sessions by port, so no session's packet ever passes another's
 * code) and its own tun device, so one session's traffic cannot reach another's except
 * through the host's routing, which the administrator controls as with ocserv's vpns*.
 */
#ifndef ZCVPN_SRC_CLI_AC_SERVER_H
#define ZCVPN_SRC_CLI_AC_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/cli/ac-passwd.h"
#include "src/cli/ac-pool.h"
#include "src/cli/cli.h"
#include "src/cli/ip-prefix.h"

struct tls_conn;
struct http_request;

enum {
	AC_MAX_ROUTES = 32,		/* --route */
	AC_MAX_DNS = 3,			/* --dns */
	AC_MAX_GROUPS = 16,		/* --group */
	AC_COOKIE_HEX = 64,		/* 32 random bytes */
};

struct ac_server_config {
	const char *listen, *cert, *key, *passwd_file;
	const char *pool4, *pool6;
	const char *tun_prefix;		/* NULL: the in-memory sink, per session */
	const char *groups[AC_MAX_GROUPS];
	unsigned n_groups;
	struct ip_prefix routes[AC_MAX_ROUTES];	/* split includes; none: all traffic */
	unsigned n_routes;
	bool default_route;		/* --route default: no split includes at all */
	struct ip_addr dns[AC_MAX_DNS];
	unsigned n_dns;
	const char *banner;
	bool no_dtls;
	uint32_t mtu, dpd_s, keepalive_s;
	unsigned max_clients;
	unsigned auth_timeout_s;	/* per request of the login, and the TLS handshake */
	uint64_t mem_count, mem_rate;	/* without a tun: what each session's generator sends */
	bool once;			/* exit after the first session ends */
	struct cli_output out;
};

/* What the server counts across sessions (the end report's, and the tests'). */
struct ac_server_counters {
	atomic_uint_fast64_t connections, tls_failed, refused_full, logins_ok, logins_failed,
		bad_requests, bad_cookies, sessions, sessions_reaped, pool_exhausted;
};

struct ac_cookie;

struct ac_server {
	const struct ac_server_config *cfg;
	struct tls_server_creds *creds;
	struct ac_passwd passwd;
	struct ac_pool pool;
	char host[256];			/* the listen address without the port: DTLS binds there */
	pthread_mutex_t lock;		/* the cookies and the output */
	struct ac_cookie *cookies;	/* cfg->max_clients * 2 of them */
	unsigned n_cookies;
	atomic_int stopping;		/* SIGINT/SIGTERM: every session says goodbye */
	atomic_int sessions_ended;	/* for --once */
	atomic_uint active;		/* tunnels running: at most cfg->max_clients */
	struct ac_server_counters count;
};

/* ---- ac-cookies.c ---------------------------------------------------------------------- */

struct ac_identity {
	char user[AC_USER_MAX];
	char group[64];
};

int ac_cookies_init(struct ac_server *srv);
void ac_cookies_free(struct ac_server *srv);
/* A fresh cookie for who (hex into cookie).  0, or -ENOSPC / -errno. */
int ac_cookie_issue(struct ac_server *srv, const struct ac_identity *who,
		    char cookie[AC_COOKIE_HEX + 1]);
/*
 * CONNECT with this cookie: the identity it was issued to, and the cookie is in use
 * until ac_cookie_return.  -ENOENT unknown or expired, -EBUSY in use by a tunnel.
 */
int ac_cookie_claim(struct ac_server *srv, const char *cookie, struct ac_identity *who);
/* The tunnel ended: the cookie is gone (the client said goodbye) or kept a while for a
 * reconnect (the connection was lost). */
void ac_cookie_return(struct ac_server *srv, const char *cookie, bool goodbye);

/* ---- ac-login.c ------------------------------------------------------------------------ */

/* One connection's login state. */
struct ac_login {
	unsigned failures;		/* wrong passwords on this connection */
	unsigned requests;
};

enum { AC_LOGIN_ANSWERED = 0, AC_LOGIN_TUNNEL = 1 };

/* What a client's <config-auth> POST says (openconnect's and zcvpn's XML). */
struct ac_auth_reply {
	bool init;			/* type="init": the first POST, asking for the form */
	bool has_user, has_password;
	char user[AC_USER_MAX];
	char password[256];		/* a secret: wiped by the caller */
	char group[64];			/* <group-select>, "" when none */
};

/*
 * Parses a POST body as hostile text: -EBADMSG when it is not a config-auth document,
 * -EMSGSIZE when a field is longer than its buffer.  XML escapes in the values are
 * undone.
 */
int ac_auth_reply_parse(const char *xml, struct ac_auth_reply *out);

/*
 * One request on a login connection: answered (AC_LOGIN_ANSWERED), or CONNECT
 * (AC_LOGIN_TUNNEL, nothing sent: ac_tunnel_run answers it), or -errno to drop the
 * connection (too many wrong passwords, not HTTP we speak).
 */
int ac_login_handle(struct ac_server *srv, struct ac_login *l, struct tls_conn *c,
		    const struct http_request *r);

/* ---- ac-tunnel.c ----------------------------------------------------------------------- */

/*
 * CONNECT /CSCOSSLC/tunnel on c: checks the cookie, leases addresses, makes the engine,
 * answers with the X-CSTP-* / X-DTLS-* headers and runs the session until a goodbye,
 * the client's loss (DPD) or the server's stop.  c stays the caller's.  0 or -errno.
 */
int ac_tunnel_run(struct ac_server *srv, struct tls_conn *c, const struct http_request *r);

/* Printing from session threads: one line or report at a time. */
void ac_server_say(struct ac_server *srv, FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* ZCVPN_SRC_CLI_AC_SERVER_H */
