/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One AnyConnect session on the server (ac-server.h): CONNECT /CSCOSSLC/tunnel with a
 * login's cookie is answered as ocserv answers it (X-CSTP-* addresses from the pools,
 * MTU, DPD, keepalive, split includes, DNS; X-DTLS-* for PSK-NEGOTIATE: the App-ID and
 * this session's UDP port), and the connection becomes CSTP.  The session's engine runs
 * DTLS with the PSK from the TLS exporter, in this thread (host-loop mode), with CSTP as
 * its fallback; the thread also answers CSTP's DPD and takes its data and goodbye.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "crypto/tls.h"
#include "src/cli/ac-server.h"
#include "src/cli/cstp.h"
#include "src/cli/http-server.h"
#include "src/cli/netcfg-peer.h"

#define PSK_LABEL "EXPORTER-openconnect-psk"

enum {
	POLL_MS = 100,
	APP_ID_LEN = 32,
	ANSWER_LEN = 8192,
	GOODBYE_MS = 1000,
};

/* What the client's CONNECT asked for. */
struct tunnel_request {
	char cookie[AC_COOKIE_HEX + 8];
	char hostname[64];
	uint32_t mtu;			/* X-CSTP-MTU, else 0 */
	bool ipv6;			/* X-CSTP-Full-IPv6-Capability: true */
	bool psk;			/* PSK-NEGOTIATE in X-DTLS-CipherSuite */
};

struct tunnel {
	struct ac_server *srv;
	struct tls_conn *tls;
	struct tunnel_request req;
	struct ac_identity who;
	struct ac_lease lease;
	bool dtls;
	uint32_t mtu;
	uint8_t psk[32], app_id[APP_ID_LEN];
	char local[300], tun_name[32], label[96];
	struct zcvpn_config cfg;
	struct zcvpn_engine *engine;
	struct cstp_reader reader;
	double started, last_cstp_rx;
	bool goodbye;			/* the client said DISCONNECT */
	bool counted;			/* in srv->active */
	uint64_t cstp_dpd_rx, cstp_keepalive_rx, cstp_data_rx, cstp_other_rx;
};

void ac_server_say(struct ac_server *srv, FILE *f, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&srv->lock);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
	pthread_mutex_unlock(&srv->lock);
}

static void parse_request(const struct http_request *r, struct tunnel_request *t)
{
	char v[512];
	uint64_t n;

	memset(t, 0, sizeof(*t));
	http_request_cookie(r, "webvpn", t->cookie, sizeof(t->cookie));
	if (!http_request_header(r, "X-CSTP-Hostname", t->hostname, sizeof(t->hostname)))
		snprintf(t->hostname, sizeof(t->hostname), "?");
	if (http_request_header(r, "X-CSTP-MTU", v, sizeof(v)) && !cli_parse_u64(v, 576, 9000, &n))
		t->mtu = (uint32_t)n;
	t->ipv6 = http_request_header(r, "X-CSTP-Full-IPv6-Capability", v, sizeof(v)) &&
		  !strcmp(v, "true");
	t->psk = http_request_header(r, "X-DTLS-CipherSuite", v, sizeof(v)) &&
		 strstr(v, "PSK-NEGOTIATE");
}

/* ---- the engine ---------------------------------------------------------------------- */

/* Tun packets while DTLS is not up (or never): over CSTP, a copy each. */
static int cstp_fallback(void *ctx, const uint8_t *pkt, size_t len)
{
	struct tunnel *t = ctx;

	return cstp_send(t->tls, CSTP_PKT_DATA, pkt, len);
}

static void on_event(void *ctx, const struct zcvpn_event *ev)
{
	struct tunnel *t = ctx;

	if (ev->type == ZCVPN_EVENT_TRANSPORT_UP)
		ac_server_say(t->srv, stderr, "zcvpn: %s: DTLS up after %.2f s: %s\n", t->label,
			      cli_now_s() - t->started, ev->message);
	else if (ev->type == ZCVPN_EVENT_TRANSPORT_DOWN)
		ac_server_say(t->srv, stderr, "zcvpn: %s: DTLS down (%s): CSTP carries the data\n",
			      t->label, strerror(-ev->error));
	else if (ev->message)
		ac_server_say(t->srv, stderr, "zcvpn: %s: %s\n", t->label, ev->message);
}

static void engine_settings(struct tunnel *t)
{
	const struct ac_server_config *c = t->srv->cfg;
	struct zcvpn_config *cfg = &t->cfg;

	zcvpn_config_init(cfg);
	cfg->protocol = ZCVPN_PROTOCOL_ANYCONNECT;
	cfg->mtu = t->mtu;
	cfg->event_fn = on_event;
	cfg->event_ctx = t;
	cfg->local = t->local;
	cfg->anyconnect.server = true;
	if (c->tun_prefix) {
		cfg->tun = ZCVPN_TUN_LINUX;
		cfg->tun_name = t->tun_name;
	} else {
		cfg->mem_count = c->mem_count;
		cfg->mem_rate_pps = c->mem_rate;
		cli_mem_roles(cfg, true);
	}
	if (!t->dtls) {
		cfg->anyconnect.cstp_only = true;
		return;
	}
	cfg->anyconnect.psk = t->psk;
	cfg->anyconnect.app_id = t->app_id;
	cfg->anyconnect.app_id_len = sizeof(t->app_id);
	cfg->anyconnect.dpd_ms = c->dpd_s * 1000u;
	cfg->anyconnect.keepalive_ms = c->keepalive_s * 1000u;
}

/* The per-session tun as a point-to-point link to the client's addresses. */
static int configure_tun(struct tunnel *t)
{
	struct ip_addr own4, own6;
	char err[256];
	int ret;

	if (!t->srv->cfg->tun_prefix)
		return 0;
	ac_pool_server(&t->srv->pool, &own4, &own6);
	ret = netcfg_peer(t->tun_name, &own4, &t->lease.ip4, err, sizeof(err));
	if (!ret && t->req.ipv6 && t->lease.ip6.family)
		ret = netcfg_peer(t->tun_name, &own6, &t->lease.ip6, err, sizeof(err));
	if (ret)
		ac_server_say(t->srv, stderr, "zcvpn: %s: %s\n", t->label, err);
	return ret;
}

static int make_engine(struct tunnel *t)
{
	const struct ac_server_config *c = t->srv->cfg;
	char err[256];
	int ret;

	if (c->tun_prefix)
		snprintf(t->tun_name, sizeof(t->tun_name), "%s%u", c->tun_prefix, t->lease.index);
	/* Port 0: each session's own UDP port, which its X-DTLS-Port names. */
	snprintf(t->local, sizeof(t->local), strchr(t->srv->host, ':') ? "[%s]:0" : "%s:0",
		 t->srv->host);
	if (t->dtls) {
		ret = tls_export(t->tls, PSK_LABEL, t->psk, sizeof(t->psk));
		if (ret)
			return ret;
	}
	engine_settings(t);
	ret = zcvpn_engine_new(&t->engine, &t->cfg, err, sizeof(err));
	explicit_bzero(t->psk, sizeof(t->psk));
	if (ret) {
		ac_server_say(t->srv, stderr, "zcvpn: %s: %s\n", t->label, err);
		return ret;
	}
	ret = configure_tun(t);
	if (ret)
		return ret;
	zcvpn_engine_set_fallback(t->engine, cstp_fallback, t);
	return zcvpn_engine_start(t->engine, 0);
}

/* ---- the answer ---------------------------------------------------------------------- */

static void add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t at = strlen(buf);
	va_list ap;

	if (at + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

/* X-CSTP-Split-Include(-IP6): the configured routes, or by default the pools. */
static void add_routes(const struct tunnel *t, char *buf, size_t len)
{
	const struct ac_server_config *c = t->srv->cfg;
	const struct ip_prefix *routes = c->routes;
	struct ip_prefix pools[2] = { t->srv->pool.net4, t->srv->pool.net6 };
	unsigned n = c->n_routes;
	char a[INET6_ADDRSTRLEN];

	if (c->default_route)
		return;
	if (!n) {
		routes = pools;
		n = t->srv->pool.net6.addr.family ? 2 : 1;
	}
	for (unsigned i = 0; i < n; i++) {
		ip_addr_format(&routes[i].addr, a);
		if (routes[i].addr.family == AF_INET) {
			struct in_addr m = ip_mask4(routes[i].len);
			char mask[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &m, mask, sizeof(mask));
			add(buf, len, "X-CSTP-Split-Include: %s/%s\r\n", a, mask);
		} else if (t->req.ipv6) {
			add(buf, len, "X-CSTP-Split-Include-IP6: %s/%u\r\n", a, routes[i].len);
		}
	}
}

static void build_answer(const struct tunnel *t, char *buf, size_t len)
{
	const struct ac_server_config *c = t->srv->cfg;
	const struct ac_pool *pool = &t->srv->pool;
	struct in_addr mask = ip_mask4(pool->net4.len);
	char a[INET6_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	buf[0] = '\0';
	ip_addr_format(&t->lease.ip4, a);
	inet_ntop(AF_INET, &mask, m, sizeof(m));
	add(buf, len, "X-CSTP-Version: 1\r\nX-CSTP-Server-Name: zcvpn %s\r\n", zcvpn_version());
	add(buf, len, "X-CSTP-Address: %s\r\nX-CSTP-Netmask: %s\r\n", a, m);
	if (t->req.ipv6 && t->lease.ip6.family) {
		ip_addr_format(&t->lease.ip6, a);
		add(buf, len, "X-CSTP-Address-IP6: %s/%u\r\n", a, pool->net6.len);
	}
	for (unsigned i = 0; i < c->n_dns; i++) {
		ip_addr_format(&c->dns[i], a);
		if (c->dns[i].family == AF_INET || t->req.ipv6)
			add(buf, len, "X-CSTP-DNS: %s\r\n", a);
	}
	add_routes(t, buf, len);
	if (c->banner)
		add(buf, len, "X-CSTP-Banner: %s\r\n", c->banner);
	add(buf, len, "X-CSTP-DPD: %u\r\nX-CSTP-Keepalive: %u\r\nX-CSTP-Idle-Timeout: none\r\n"
		      "X-CSTP-Rekey-Method: none\r\nX-CSTP-MTU: %u\r\nX-CSTP-Base-MTU: %u\r\n",
	    c->dpd_s, c->keepalive_s, t->mtu, t->mtu + 100);
	if (t->dtls) {
		add(buf, len, "X-DTLS-Port: %d\r\nX-DTLS-DPD: %u\r\nX-DTLS-Keepalive: %u\r\n"
			      "X-DTLS-Rekey-Method: none\r\nX-DTLS-MTU: %u\r\n"
			      "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\nX-DTLS-App-ID: ",
		    zcvpn_engine_local_port(t->engine), c->dpd_s, c->keepalive_s, t->mtu);
		for (size_t i = 0; i < sizeof(t->app_id); i++)
			add(buf, len, "%02x", t->app_id[i]);
		add(buf, len, "\r\n");
	}
}

/* ---- the session --------------------------------------------------------------------- */

/* One CSTP packet from the client. */
static int handle_cstp(struct tunnel *t, uint8_t type, const uint8_t *payload, size_t len)
{
	switch (type) {
	case CSTP_PKT_DPD_REQ:
		t->cstp_dpd_rx++;
		return cstp_send(t->tls, CSTP_PKT_DPD_RESP, payload, len);
	case CSTP_PKT_DPD_RESP:
		return 0;
	case CSTP_PKT_KEEPALIVE:
		t->cstp_keepalive_rx++;
		return 0;
	case CSTP_PKT_DISCONNECT:
		t->goodbye = true;
		return 0;
	case CSTP_PKT_DATA:
		t->cstp_data_rx++;
		if (len)
			zcvpn_engine_inject(t->engine, payload, len);
		return 0;
	default:
		t->cstp_other_rx++;
		return 0;
	}
}

/* Waits for CSTP or the engine; handles what came.  0, or -errno: the session ends. */
static int poll_once(struct tunnel *t)
{
	struct pollfd pfd[2] = {
		{ .fd = tls_fd(t->tls), .events = POLLIN },
		{ .fd = zcvpn_engine_fd(t->engine), .events = POLLIN },
	};
	const uint8_t *payload;
	uint8_t type;
	size_t len;
	int ret;

	if (poll(pfd, 2, tls_pending(t->tls) ? 0 : POLL_MS) < 0 && errno != EINTR)
		return -errno;
	if (pfd[1].revents) {
		unsigned us;

		ret = zcvpn_engine_process(t->engine);
		if (ret)
			return ret;
		us = zcvpn_engine_moderation_us(t->engine);
		if (us)
			nanosleep(&(struct timespec){ 0, (long)us * 1000 }, NULL);
	}
	if (!pfd[0].revents && !tls_pending(t->tls))
		return 0;
	while ((ret = cstp_next_packet(t->tls, &t->reader, 0, &type, &payload, &len)) > 0) {
		t->last_cstp_rx = cli_now_s();
		if (handle_cstp(t, type, payload, len) < 0)
			return -EIO;
	}
	return ret;
}

/*
 * A client gone without a word: CSTP silent for three DPD intervals (openconnect sends
 * a DPD or keepalive well within one) while DTLS is not up either.
 */
static bool client_vanished(const struct tunnel *t)
{
	struct zcvpn_stats st;
	double dpd = t->srv->cfg->dpd_s;

	if (!dpd || cli_now_s() - t->last_cstp_rx < 3 * dpd)
		return false;
	cli_get_stats(t->engine, &st);
	return st.transport_state != ZCVPN_TRANSPORT_UP || cli_now_s() - t->last_cstp_rx > 6 * dpd;
}

static int run(struct tunnel *t)
{
	struct cli_progress progress;
	int ret;

	cli_progress_start(&progress, &t->srv->cfg->out);
	t->last_cstp_rx = cli_now_s();
	while (!t->goodbye && !atomic_load(&t->srv->stopping)) {
		ret = poll_once(t);
		if (ret == -ECONNRESET || ret == -EIO) {
			/* A closed or broken TLS connection: the client is gone either way. */
			ac_server_say(t->srv, stderr, "zcvpn: %s: CSTP %s without a goodbye\n",
				      t->label, ret == -EIO ? "broke off" : "closed");
			return ret;
		}
		if (ret) {
			ac_server_say(t->srv, stderr, "zcvpn: %s: session failed: %s\n", t->label,
				      strerror(-ret));
			return ret;
		}
		cli_progress_tick(&progress, t->engine);
		if (client_vanished(t)) {
			atomic_fetch_add(&t->srv->count.sessions_reaped, 1);
			ac_server_say(t->srv, stderr, "zcvpn: %s: no word from the client for %.0f s: "
				      "session reaped\n", t->label, cli_now_s() - t->last_cstp_rx);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static void report(struct tunnel *t)
{
	const struct cli_extra_counter cstp[] = {
		{ "cstp_dpd_rx", "CSTP DPD requests from the client", t->cstp_dpd_rx },
		{ "cstp_keepalive_rx", "CSTP keepalives from the client", t->cstp_keepalive_rx },
		{ "cstp_data_rx", "data packets from the client over CSTP", t->cstp_data_rx },
		{ "cstp_other_rx", "CSTP packets of other types", t->cstp_other_rx },
	};
	struct cli_run run = { .role = "server", .out = &t->srv->cfg->out, .extra = cstp,
			       .n_extra = sizeof(cstp) / sizeof(cstp[0]) };

	snprintf(run.suite, sizeof(run.suite), "%s", t->dtls ? "DTLS PSK-NEGOTIATE" : "over CSTP");
	pthread_mutex_lock(&t->srv->lock);
	cli_report(t->engine, &run, &t->cfg, cli_now_s() - t->started);
	fflush(stdout);
	pthread_mutex_unlock(&t->srv->lock);
}

/* The goodbye both ways: DTLS's from the engine, CSTP's DISCONNECT unless the client's came. */
static void end(struct tunnel *t, bool stopping)
{
	static const char bye[] = "\xb0" "zcvpn: server shutting down";

	if (t->engine)
		zcvpn_engine_stop(t->engine);
	if (!t->goodbye && stopping)
		cstp_send(t->tls, CSTP_PKT_DISCONNECT, bye, sizeof(bye) - 1);
}

/* Refuses a CONNECT with status and reason; the connection ends. */
static int refuse(struct tunnel *t, int status, const char *reason, int err)
{
	http_respond(t->tls, status, reason, NULL, NULL);
	return err;
}

static int start(struct tunnel *t, const struct http_request *r)
{
	struct ac_server *srv = t->srv;
	char *answer;
	int ret;

	parse_request(r, &t->req);
	ret = ac_cookie_claim(srv, t->req.cookie, &t->who);
	if (ret) {
		atomic_fetch_add(&srv->count.bad_cookies, 1);
		ac_server_say(srv, stderr, "zcvpn: CONNECT with %s cookie refused\n",
			      ret == -EBUSY ? "a busy" : "an unknown or expired");
		return refuse(t, 401, "Unauthorized", -EACCES);
	}
	if (atomic_fetch_add(&srv->active, 1) >= srv->cfg->max_clients) {
		atomic_fetch_sub(&srv->active, 1);
		atomic_fetch_add(&srv->count.refused_full, 1);
		ac_server_say(srv, stderr, "zcvpn: refusing a tunnel: --max-clients reached\n");
		return refuse(t, 503, "Service Unavailable", -EBUSY);
	}
	t->counted = true;
	ret = ac_pool_lease(&srv->pool, &t->lease);
	if (ret) {
		atomic_fetch_add(&srv->count.pool_exhausted, 1);
		ac_server_say(srv, stderr, "zcvpn: the address pool is exhausted\n");
		return refuse(t, 503, "Service Unavailable", ret);
	}
	snprintf(t->label, sizeof(t->label), "session %u ('%s')", t->lease.index, t->who.user);
	t->dtls = t->req.psk && !srv->cfg->no_dtls;
	t->mtu = t->req.mtu && t->req.mtu < srv->cfg->mtu ? t->req.mtu : srv->cfg->mtu;
	if (getrandom(t->app_id, sizeof(t->app_id), 0) != (ssize_t)sizeof(t->app_id))
		return refuse(t, 503, "Service Unavailable", -EIO);
	t->started = cli_now_s();
	ret = make_engine(t);
	if (ret)
		return refuse(t, 503, "Service Unavailable", ret);
	answer = calloc(1, ANSWER_LEN);
	if (!answer)
		return refuse(t, 503, "Service Unavailable", -ENOMEM);
	build_answer(t, answer, ANSWER_LEN);
	ret = http_respond(t->tls, 200, "CONNECTED", answer, NULL);
	free(answer);
	if (ret)
		return ret;
	atomic_fetch_add(&srv->count.sessions, 1);
	{
		char a4[INET6_ADDRSTRLEN], a6[INET6_ADDRSTRLEN] = "";

		ip_addr_format(&t->lease.ip4, a4);
		if (t->req.ipv6)
			ip_addr_format(&t->lease.ip6, a6);
		ac_server_say(srv, stderr, "zcvpn: %s: tunnel for %s: %s%s%s, %s %d, %s\n",
			      t->label, t->req.hostname, a4, a6[0] ? " " : "", a6,
			      t->dtls ? "DTLS PSK-NEGOTIATE on UDP port" : "no DTLS: CSTP only, port",
			      t->dtls ? zcvpn_engine_local_port(t->engine) : 0,
			      t->tun_name[0] ? t->tun_name : "in-memory");
	}
	return 0;
}

int ac_tunnel_run(struct ac_server *srv, struct tls_conn *c, const struct http_request *r)
{
	struct tunnel *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	t->srv = srv;
	t->tls = c;
	ret = start(t, r);
	if (!ret) {
		ret = run(t);
		end(t, atomic_load(&srv->stopping));
		report(t);
		atomic_fetch_add(&srv->sessions_ended, 1);
	}
	if (t->who.user[0])
		ac_cookie_return(srv, t->req.cookie, t->goodbye);
	/*
	 * The engine first: it holds the tun named after the lease, and the next session
	 * given the lease opens that name (TUNSETIFF on a device still attached: EBUSY).
	 */
	zcvpn_engine_free(t->engine);
	ac_pool_release(&srv->pool, &t->lease);
	if (t->counted)
		atomic_fetch_sub(&srv->active, 1);
	if (t->goodbye)
		ac_server_say(srv, stdout, "zcvpn: %s: the client disconnected\n", t->label);
	explicit_bzero(t, sizeof(*t));
	free(t);
	return ret;
}
