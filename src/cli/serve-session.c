/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One session of `zcvpn serve --protocol f5|fortinet|nullppp`: see serve-session.h. */
#include "config.h"

#include "src/cli/serve-session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "crypto/tls.h"
#include "src/cli/cli.h"
#include "src/cli/netcfg.h"
#include "src/cli/stream-queue.h"

enum {
	/*
	 * A session that ran over DTLS alone, with DTLS gone: the time the client has to
	 * come back, by a DTLS redial or a TLS tunnel request, before the session ends.
	 */
	DTLS_GONE_S = 30,
	GOODBYE_MS = 1000,	/* for the Terminate-Request still queued for TLS */
};

struct serve_session {
	struct zcvpn_engine *engine;
	struct zcvpn_config cfg;
	struct tls_conn *tls;		/* the tunnel's; NULL before the request and once closed */
	struct stream_queue out;	/* what PPP wrote to it and the socket did not take yet */
	bool watching_out;		/* the epoll set asks for EPOLLOUT too */
	const char *tun_name;
	const struct cli_output *report;	/* borrowed from the host */
	struct cli_progress progress;
	int epfd;			/* the engine's fd and the tunnel's TLS, for one poll */
	bool begun;			/* the tunnel was requested, or PPP came up over DTLS */
	bool had_tls;			/* PPP ran over TLS at some point */
	bool over;
	int result;
	double started, dtls_gone_since;
};

static int stream_write(void *ctx, const void *buf, size_t len)
{
	struct serve_session *s = ctx;

	return s->tls ? stream_queue_write(&s->out, s->tls, buf, len) : -ENOTCONN;
}

static void print_network(const struct zcvpn_network *n)
{
	char a[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, n->ipv4, a, sizeof(a));
	inet_ntop(AF_INET, n->ipv4_peer, p, sizeof(p));
	fprintf(stderr, "zcvpn: PPP up: %s%s%s%s (mtu %u)\n", n->has_ipv4 ? "IPCP client " : "",
		n->has_ipv4 ? p : "", n->has_ipv4 ? " server " : "", n->has_ipv4 ? a : "",
		n->mtu);
	if (n->has_ipv6)
		fprintf(stderr, "zcvpn: IP6CP up: interface identifiers assigned\n");
}

static void on_event(void *ctx, const struct zcvpn_event *ev)
{
	struct serve_session *s = ctx;

	if (ev->type == ZCVPN_EVENT_NETWORK) {
		print_network(ev->network);
		return;
	}
	if (ev->type == ZCVPN_EVENT_TRANSPORT_UP) {
		fprintf(stderr, "zcvpn: DTLS up after %.2f s: %s\n", cli_now_s() - s->started, ev->message);
		return;
	}
	cli_print_event(NULL, ev);
}

/* The server's side: it assigns 10.77.0.2 to the client and DNS 10.77.0.53 by IPCP. */
static void engine_settings(struct serve_session *s, const struct serve_session_config *c)
{
	static const uint8_t own4[4] = { 10, 77, 0, 1 }, peer4[4] = { 10, 77, 0, 2 };
	static const uint8_t dns4[4] = { 10, 77, 0, 53 };
	struct zcvpn_ppp_config *p = &s->cfg.ppp;

	zcvpn_config_init(&s->cfg);
	s->cfg.protocol = ZCVPN_PROTOCOL_PPP;
	s->cfg.mtu = c->mtu;
	s->cfg.event_fn = on_event;
	s->cfg.event_ctx = s;
	s->cfg.local = c->local;
	s->report = c->out;
	if (c->tun_name) {
		s->cfg.tun = ZCVPN_TUN_LINUX;
		s->cfg.tun_name = c->tun_name;
	} else {
		s->cfg.mem_count = c->mem_count;
		s->cfg.mem_rate_pps = c->mem_rate;
		cli_mem_roles(&s->cfg, true);
	}
	p->server = true;
	p->flavour = c->flavour;
	p->session = c->session;
	p->cert_file = c->cert_file;
	p->key_file = c->key_file;
	p->no_dtls = c->no_dtls;
	p->hdlc = c->hdlc;
	p->dpd_ms = c->dpd_s * 1000;
	memcpy(p->ipv4, own4, 4);
	memcpy(p->ipv4_peer, peer4, 4);
	memcpy(p->dns4[0], dns4, 4);
}

static int configure_tun(const char *tun_name)
{
	struct in_addr own, mask;
	char err[256];
	int ret;

	if (!tun_name)
		return 0;
	inet_pton(AF_INET, "10.77.0.1", &own);
	inet_pton(AF_INET, "255.255.255.0", &mask);
	ret = netcfg_ipv4(tun_name, own, mask, err, sizeof(err));
	if (ret)
		fprintf(stderr, "zcvpn: %s\n", err);
	return ret;
}

static int watch_fd(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int serve_session_new(struct serve_session **out, const struct serve_session_config *c)
{
	struct serve_session *s;
	char err[256];
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		ret = -errno;
		goto fail;
	}
	engine_settings(s, c);
	ret = zcvpn_engine_new(&s->engine, &s->cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "zcvpn: %s\n", err);
		goto fail;
	}
	ret = configure_tun(c->tun_name);
	if (!ret)
		ret = zcvpn_engine_start(s->engine, 0);
	if (!ret)
		ret = watch_fd(s->epfd, zcvpn_engine_fd(s->engine));
	if (ret)
		goto fail;
	s->started = cli_now_s();
	cli_progress_start(&s->progress, s->report);
	*out = s;
	return 0;
fail:
	if (ret != -EINVAL)
		fprintf(stderr, "zcvpn: cannot prepare the session: %s\n", strerror(-ret));
	zcvpn_engine_free(s->engine);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
	return ret;
}

static void report(const struct serve_session *s)
{
	struct cli_run run = { .role = "server", .out = s->report };

	snprintf(run.suite, sizeof(run.suite), "%s over %s",
		 s->cfg.ppp.flavour == ZCVPN_PPP_F5 ? "F5" :
		 s->cfg.ppp.flavour == ZCVPN_PPP_FORTINET ? "Fortinet" : "nullppp",
		 s->had_tls ? "TLS" : "DTLS");
	cli_report(s->engine, &run, &s->cfg, cli_now_s() - s->started);
}

void serve_session_free(struct serve_session *s)
{
	if (!s)
		return;
	if (s->begun) {
		zcvpn_engine_stop(s->engine);	/* LCP Terminate-Request on whichever path runs */
		if (s->tls)
			stream_queue_drain(&s->out, s->tls, GOODBYE_MS);
		report(s);
	}
	zcvpn_engine_free(s->engine);
	tls_free(s->tls);
	close(s->epfd);
	free(s);
}

int serve_session_fd(const struct serve_session *s)
{
	return s->epfd;
}

static void end_session(struct serve_session *s, int result, const char *why)
{
	if (s->over)
		return;
	s->over = true;
	s->result = result;
	fprintf(result ? stderr : stdout, "zcvpn: %s\n", why);
	fflush(result ? stderr : stdout);
}

static void drop_tls(struct serve_session *s)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, tls_fd(s->tls), NULL);
	tls_free(s->tls);
	s->tls = NULL;
	stream_queue_reset(&s->out);
	s->watching_out = false;
}

/* The one fd the host polls wakes for writability only while bytes wait. */
static void watch_writability(struct serve_session *s)
{
	bool want = s->tls && stream_queue_waiting(&s->out);
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0) };

	if (!s->tls || want == s->watching_out)
		return;
	ev.data.fd = tls_fd(s->tls);
	if (!epoll_ctl(s->epfd, EPOLL_CTL_MOD, tls_fd(s->tls), &ev))
		s->watching_out = want;
}

/* Bytes from the tunnel's TLS into the engine; the end of TLS noted. */
static void pump_tls(struct serve_session *s)
{
	struct zcvpn_stats st;

	if (!stream_pump(s->tls, s->engine))
		return;
	drop_tls(s);
	cli_get_stats(s->engine, &st);
	if (st.transport_state == ZCVPN_TRANSPORT_UP) {
		fprintf(stderr, "zcvpn: the client closed TLS; PPP goes on over DTLS\n");
	} else if (st.transport_state != ZCVPN_TRANSPORT_CLOSED) {
		/* (after its Terminate-Request the state check says so) */
		end_session(s, -ECONNRESET, "the client closed the connection");
	}
}

/* Whether the session ended: a goodbye, or no path left for it. */
static void check_end(struct serve_session *s)
{
	struct zcvpn_stats st;
	double now;

	cli_get_stats(s->engine, &st);
	if (st.transport_state == ZCVPN_TRANSPORT_CLOSED) {
		end_session(s, 0, "the client terminated the session");
		return;
	}
	if (st.transport_state == ZCVPN_TRANSPORT_UP) {
		s->begun = true;
		s->dtls_gone_since = 0;
		return;
	}
	if (!s->begun || s->tls)
		return;
	if (s->had_tls) {
		end_session(s, -ENOTCONN, "DTLS is down and TLS is gone: session over");
		return;
	}
	now = cli_now_s();
	if (!s->dtls_gone_since)
		s->dtls_gone_since = now;
	else if (now - s->dtls_gone_since > DTLS_GONE_S)
		end_session(s, -ETIMEDOUT, "DTLS went down and the client did not come back: "
					   "session over");
}

void serve_session_run(struct serve_session *s)
{
	struct pollfd pfd[2] = {
		{ .fd = zcvpn_engine_fd(s->engine), .events = POLLIN },
		{ .fd = s->tls ? tls_fd(s->tls) : -1,
		  .events = POLLIN | (s->tls && stream_queue_waiting(&s->out) ? POLLOUT : 0) },
	};
	int ret;

	if (s->over)
		return;
	cli_progress_tick(&s->progress, s->engine);
	if (poll(pfd, 2, 0) < 0)
		return;
	if (s->tls && (pfd[1].revents & POLLOUT) && stream_queue_flush(&s->out, s->tls)) {
		drop_tls(s);
		end_session(s, -EIO, "writing to the client failed");
		return;
	}
	if (pfd[0].revents) {
		ret = zcvpn_engine_process(s->engine);
		if (ret) {
			end_session(s, ret, "the engine stopped");
			return;
		}
	}
	if (s->tls && (pfd[1].revents & ~POLLOUT || tls_pending(s->tls)))
		pump_tls(s);
	watch_writability(s);
	check_end(s);
}

int serve_session_attach(struct serve_session *s, struct tls_conn *tls, const uint8_t *extra,
			 size_t extra_len)
{
	int ret;

	/* One tunnel connection per session: its PPP link is not restarted on another. */
	if (s->had_tls || s->over) {
		tls_free(tls);
		return -EBUSY;
	}
	ret = watch_fd(s->epfd, tls_fd(tls));
	if (ret) {
		tls_free(tls);
		return ret;
	}
	s->tls = tls;
	s->begun = s->had_tls = true;
	ret = zcvpn_engine_set_stream(s->engine, stream_write, s);
	if (ret) {
		drop_tls(s);
		end_session(s, ret, "the engine takes no stream");
		return ret;
	}
	/* PPP the client sent right behind its request (Fortinet, nullppp) comes first. */
	if (extra_len)
		zcvpn_engine_stream_input(s->engine, extra, extra_len);
	if (tls_pending(s->tls))
		pump_tls(s);
	watch_writability(s);
	check_end(s);
	return 0;
}

bool serve_session_over(const struct serve_session *s, int *result)
{
	if (s->over)
		*result = s->result;
	return s->over;
}
