/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PPP control plane end to end: a client link and a server link back to back in
 * memory (each one's send queues into the other's inbox, a fake clock the test moves)
 * negotiate LCP, IPCP and IP6CP in each configuration variant, also with lost packets;
 * real openconnect 9.01 client frames (the reference ppp-captures, copied below) fed to
 * a server link; dead-peer detection, keepalive, Protocol-Reject, terminate both ways.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ppp-link.h"
#include "src/util/byteorder.h"
#include "src/util/macros.h"

#define MS 1000000ull

struct msg {
	uint16_t proto;
	size_t len;
	uint8_t b[2048];
};

struct end {
	struct ppp_link *l;
	struct end *peer;		/* NULL: sends go nowhere (a silent peer) */
	struct msg q[64];		/* the peer's packets waiting for us */
	size_t qn;
	struct msg sent[64];		/* what we sent, for the test to look at */
	size_t nsent;
	unsigned drop_every, count;	/* lose every Nth packet we send */
	unsigned changes;
	/* Changes in Network phase that showed a family gone while LCP stayed up. */
	unsigned network_shrunk;
	bool had_both;
};

static uint64_t now;

static int end_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	struct end *e = ctx;
	struct msg *m;

	ck_assert_uint_le(len, sizeof(m->b));
	if (e->nsent < ARRAY_SIZE(e->sent)) {
		m = &e->sent[e->nsent++];
		m->proto = proto;
		m->len = len;
		memcpy(m->b, pkt, len);
	}
	e->count++;
	if (!e->peer || (e->drop_every && e->count % e->drop_every == 0))
		return 0;
	ck_assert_uint_lt(e->peer->qn, ARRAY_SIZE(e->peer->q));
	m = &e->peer->q[e->peer->qn++];
	m->proto = proto;
	m->len = len;
	memcpy(m->b, pkt, len);
	return 0;
}

static void end_changed(void *ctx)
{
	struct end *e = ctx;
	const struct ppp_negotiated *n = ppp_link_negotiated(e->l);

	e->changes++;
	if (ppp_link_phase(e->l) != PPP_PHASE_NETWORK)
		return;
	if (n->ipv4_open && n->ipv6_open)
		e->had_both = true;
	else if (e->had_both)
		e->network_shrunk++;
}

static const struct ppp_link_ops end_ops = { end_send, end_changed };

static struct end client, server;

static void deliver(struct end *e)
{
	struct msg m;

	while (e->qn) {
		m = e->q[0];
		memmove(e->q, e->q + 1, --e->qn * sizeof(e->q[0]));
		ppp_link_input(e->l, m.proto, m.b, m.len, now);
	}
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Runs both until neither has anything to do before until; bounded. */
static void run_until(uint64_t until)
{
	int guard;

	for (guard = 0; guard < 10000; guard++) {
		uint64_t next;

		deliver(&client);
		deliver(&server);
		if (client.qn || server.qn)
			continue;
		next = min64(ppp_link_run_timers(client.l, now), ppp_link_run_timers(server.l, now));
		if (client.qn || server.qn)
			continue;
		if (next > until)
			break;
		now = next > now ? next : now;
	}
	ck_assert_int_lt(guard, 10000);
	now = until > now ? until : now;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static const uint8_t srv_ifid[8] = { 0x02, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t cli_assigned[8] = { 0x02, 0, 0, 0, 0, 0, 0, 0x02 };

static struct ppp_link_config client_cfg(void)
{
	return (struct ppp_link_config){
		.want_ipv4 = true, .want_ipv6 = true, .want_dns = true, .magic = 0x11111111,
	};
}

static struct ppp_link_config server_cfg(void)
{
	struct ppp_link_config c = {
		.server = true, .want_ipv4 = true, .want_ipv6 = true, .magic = 0x22222222,
	};

	c.local_ipv4 = ip("10.11.1.1");
	c.peer_ipv4 = ip("10.11.1.2");
	c.dns[0] = ip("10.11.0.53");
	c.dns[1] = ip("10.11.0.54");
	c.nbns[0] = ip("10.11.0.55");
	memcpy(c.local_ifid, srv_ifid, 8);
	memcpy(c.peer_ifid, cli_assigned, 8);
	return c;
}

static void make(struct end *e, const struct ppp_link_config *c, struct end *peer)
{
	char err[128];

	memset(e, 0, sizeof(*e));
	e->peer = peer;
	ck_assert_int_eq(ppp_link_new(&e->l, c, &end_ops, e, err, sizeof(err)), 0);
}

static void teardown(void)
{
	ppp_link_free(client.l);
	ppp_link_free(server.l);
	client.l = server.l = NULL;
}

static void pair(const struct ppp_link_config *cc, const struct ppp_link_config *sc)
{
	now = 5000 * MS;
	make(&client, cc, &server);
	make(&server, sc, &client);
	ppp_link_open(server.l, now);
	ppp_link_open(client.l, now);
}

struct variant {
	const char *name;
	bool hdlc, nhc, v4, v6, server_v6;
	unsigned drop;		/* lose every Nth packet each way (0: none) */
};

static const struct variant variants[] = {
	{ "plain", false, false, true, true, true, 0 },
	{ "hdlc", true, false, true, true, true, 0 },
	{ "no header compression", false, true, true, true, true, 0 },
	{ "hdlc, no header compression", true, true, true, true, true, 0 },
	{ "v4 only", false, false, true, false, false, 0 },
	{ "v6 only", false, false, false, true, true, 0 },
	{ "server rejects IPv6", false, false, true, true, false, 0 },
	{ "lose every 4th", false, false, true, true, true, 4 },
	{ "lose every 7th", true, true, true, true, true, 7 },
	{ "lose every 3rd", true, false, true, true, true, 3 },
	{ "lose every 5th", false, true, true, true, true, 5 },
};

START_TEST(test_negotiate)
{
	const struct variant *v = &variants[_i];
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();
	const struct ppp_negotiated *cn, *sn;
	const char *why;
	bool v6 = v->v6 && v->server_v6;

	cc.hdlc = sc.hdlc = v->hdlc;
	cc.no_header_compression = sc.no_header_compression = v->nhc;
	cc.want_ipv4 = sc.want_ipv4 = v->v4;
	cc.want_ipv6 = v->v6;
	sc.want_ipv6 = v->server_v6;
	pair(&cc, &sc);
	client.drop_every = server.drop_every = v->drop;
	/* Bounded: ten restart periods is what max_configure allows. */
	run_until(now + 30000 * MS);
	ck_assert_msg(ppp_link_phase(client.l) == PPP_PHASE_NETWORK, "%s: %s", v->name,
		      (ppp_link_error(client.l, &why), why));
	ck_assert_int_eq(ppp_link_phase(server.l), PPP_PHASE_NETWORK);
	cn = ppp_link_negotiated(client.l);
	sn = ppp_link_negotiated(server.l);
	ck_assert(cn->ipv4_open == v->v4 && sn->ipv4_open == v->v4);
	ck_assert(cn->ipv6_open == v6 && sn->ipv6_open == v6);
	ck_assert(ppp_link_data_open(client.l, PPP_PROTO_IPV4) == v->v4);
	ck_assert(ppp_link_data_open(client.l, PPP_PROTO_IPV6) == v6);
	ck_assert(!ppp_link_data_open(client.l, PPP_PROTO_LCP));
	if (v->v4) {
		ck_assert_uint_eq(cn->local_ipv4, ip("10.11.1.2"));
		ck_assert_uint_eq(cn->peer_ipv4, ip("10.11.1.1"));
		ck_assert_uint_eq(sn->peer_ipv4, ip("10.11.1.2"));
		ck_assert_uint_eq(cn->dns[0], ip("10.11.0.53"));
		ck_assert_uint_eq(cn->dns[1], ip("10.11.0.54"));
		ck_assert_uint_eq(cn->nbns[0], ip("10.11.0.55"));
		ck_assert_uint_eq(cn->nbns[1], 0);	/* not offered: rejected */
	}
	if (v6) {
		ck_assert_int_eq(memcmp(cn->local_ifid, cli_assigned, 8), 0);
		ck_assert_int_eq(memcmp(cn->peer_ifid, srv_ifid, 8), 0);
		ck_assert_int_eq(memcmp(sn->peer_ifid, cli_assigned, 8), 0);
	}
	ck_assert_uint_eq(cn->local_magic, 0x11111111);
	ck_assert_uint_eq(cn->peer_magic, 0x22222222);
	ck_assert(cn->tx_pfc == !v->nhc && cn->rx_acfc == !v->nhc);
	ck_assert_uint_eq(cn->tx_accm, v->hdlc ? 0 : PPP_ACCM_DEFAULT);
	ck_assert_uint_eq(cn->rx_accm, v->hdlc ? 0 : PPP_ACCM_DEFAULT);
	ck_assert_uint_eq(ppp_link_tx_accm(client.l, PPP_PROTO_LCP), PPP_ACCM_DEFAULT);
	ck_assert_uint_eq(ppp_link_tx_accm(client.l, PPP_PROTO_IPV4),
			  v->hdlc ? 0 : PPP_ACCM_DEFAULT);
	if (v->v6 && !v->server_v6) {
		ck_assert_uint_eq(ppp_link_stats(client.l)->proto_rej_rx, 1);
		ck_assert_uint_eq(ppp_link_stats(server.l)->rx_unknown_protocol, 1);
	}
	if (!v->drop)
		ck_assert_uint_le(ppp_link_stats(client.l)->conf_req_tx, 6);
	ck_assert_uint_ge(client.changes, 2);
	ck_assert_int_eq(ppp_link_error(client.l, NULL), 0);
	teardown();
}
END_TEST

START_TEST(test_silent_peer)
{
	struct ppp_link_config cc = client_cfg();
	const char *why;

	now = 0;
	make(&client, &cc, NULL);
	make(&server, &cc, NULL);
	ppp_link_open(client.l, now);
	run_until(now + 100000 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_FAILED);
	ck_assert_int_eq(ppp_link_error(client.l, &why), -ETIMEDOUT);
	ck_assert_str_eq(why, "the peer never acknowledged our LCP Configure-Request (10 sent)");
	ck_assert_uint_eq(ppp_link_stats(client.l)->conf_req_tx, 10);
	ck_assert_uint_eq(ppp_link_run_timers(client.l, now), UINT64_MAX);
	teardown();
}
END_TEST

/* A looped link: our packets come back to us. */
START_TEST(test_looped_link)
{
	struct ppp_link_config cc = client_cfg();
	const char *why;

	now = 0;
	make(&client, &cc, &client);
	make(&server, &cc, NULL);
	ppp_link_open(client.l, now);
	run_until(now + 1000 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_FAILED);
	ck_assert_int_eq(ppp_link_error(client.l, &why), -ELOOP);
	ck_assert_str_eq(why, "a looped-back link (our magic came back)");
	teardown();
}
END_TEST

static void up_pair(struct ppp_link_config *cc, struct ppp_link_config *sc)
{
	pair(cc, sc);
	run_until(now + 100 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_NETWORK);
	ck_assert_int_eq(ppp_link_phase(server.l), PPP_PHASE_NETWORK);
}

START_TEST(test_echo_dead_peer)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();
	const char *why;
	uint64_t t0;

	cc.echo_ms = 1000;
	up_pair(&cc, &sc);
	/* Answered echoes keep it up. */
	run_until(now + 5500 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_NETWORK);
	ck_assert_uint_ge(ppp_link_stats(client.l)->echo_reply_rx, 4);
	ck_assert_uint_eq(ppp_link_stats(server.l)->echo_reply_tx,
			  ppp_link_stats(client.l)->echo_req_tx);
	/* The echo reply carries the server's magic. */
	ck_assert_uint_eq(get_be32(server.sent[server.nsent - 1].b + 4), 0x22222222);
	/* Then the server goes silent. */
	client.peer = NULL;
	t0 = ppp_link_stats(client.l)->echo_req_tx;
	run_until(now + 10000 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_FAILED);
	ck_assert_int_eq(ppp_link_error(client.l, &why), -ETIMEDOUT);
	ck_assert_str_eq(why, "no answer to 3 LCP echo requests");
	ck_assert_uint_eq(ppp_link_stats(client.l)->echo_req_tx - t0, 3);
	teardown();
}
END_TEST

START_TEST(test_keepalive)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();
	uint64_t next;

	cc.keepalive_ms = 2000;
	up_pair(&cc, &sc);
	ppp_link_note_tx(client.l, now);
	next = ppp_link_run_timers(client.l, now);
	ck_assert_uint_eq(next, now + 2000 * MS);
	run_until(now + 1999 * MS);
	ck_assert_uint_eq(ppp_link_stats(client.l)->discard_tx, 0);
	run_until(now + 2 * MS);
	ck_assert_uint_eq(ppp_link_stats(client.l)->discard_tx, 1);
	ck_assert_uint_eq(ppp_link_stats(server.l)->discard_rx, 1);
	ck_assert_uint_eq(client.sent[client.nsent - 1].b[0], PPP_DISCARD_REQ);
	/* Data sent keeps it quiet. */
	ppp_link_note_tx(client.l, now + 1500 * MS);
	run_until(now + 3000 * MS);
	ck_assert_uint_eq(ppp_link_stats(client.l)->discard_tx, 1);
	teardown();
}
END_TEST

START_TEST(test_terminate_ours)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();
	const char *why;

	up_pair(&cc, &sc);
	ppp_link_close(client.l, now);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_TERMINATE);
	ck_assert(!ppp_link_data_open(client.l, PPP_PROTO_IPV4));
	run_until(now + 10000 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_CLOSED);
	ck_assert_int_eq(ppp_link_error(client.l, &why), 0);
	ck_assert_int_eq(ppp_link_phase(server.l), PPP_PHASE_CLOSED);
	ck_assert_int_eq(ppp_link_error(server.l, &why), -ECONNRESET);
	ck_assert_str_eq(why, "the peer terminated: (no reason given)");
	ck_assert_uint_eq(ppp_link_stats(client.l)->term_ack_rx, 1);
	teardown();
}
END_TEST

/*
 * LCP going down takes the NCPs with it: a watcher must see the phase leave Network
 * first, never a Network phase with IPv4 gone and IPv6 still open (a transport would
 * report that as a new, IPv6-only network), whichever end terminates.
 */
START_TEST(test_terminate_no_shrunk_network)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();

	up_pair(&cc, &sc);
	ck_assert(client.had_both && server.had_both);
	ppp_link_close(client.l, now);
	run_until(now + 10000 * MS);
	ck_assert_int_eq(ppp_link_phase(server.l), PPP_PHASE_CLOSED);
	ck_assert_uint_eq(client.network_shrunk, 0);
	ck_assert_uint_eq(server.network_shrunk, 0);
	teardown();
}
END_TEST

START_TEST(test_terminate_unanswered)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();

	up_pair(&cc, &sc);
	client.peer = NULL;
	ppp_link_close(client.l, now);
	run_until(now + 20000 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_CLOSED);
	ck_assert_uint_eq(ppp_link_stats(client.l)->term_req_tx, 2);
	teardown();
}
END_TEST

START_TEST(test_terminate_theirs_with_reason)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();
	uint8_t tr[64] = { PPP_TERM_REQ, 77, 0, 0 };
	const char *msg = "admin\x01 says\x7f bye";
	const char *why;

	up_pair(&cc, &sc);
	memcpy(tr + 4, msg, strlen(msg));
	put_be16(tr + 2, (uint16_t)(4 + strlen(msg)));
	ppp_link_input(client.l, PPP_PROTO_LCP, tr, 4 + strlen(msg), now);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_TERMINATE);
	ck_assert_uint_eq(client.sent[client.nsent - 1].b[0], PPP_TERM_ACK);
	ck_assert_uint_eq(client.sent[client.nsent - 1].b[1], 77);
	run_until(now + 10000 * MS);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_CLOSED);
	ck_assert_int_eq(ppp_link_error(client.l, &why), -ECONNRESET);
	ck_assert_str_eq(why, "the peer terminated: admin says bye");
	teardown();
}
END_TEST

START_TEST(test_protocol_reject)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();
	static uint8_t big[2000];
	const struct msg *m;

	/* The client takes at most 300: a Protocol-Reject to it fits. */
	cc.mru = 300;
	sc.mru = 200;
	up_pair(&cc, &sc);
	memset(big, 0xab, sizeof(big));
	ppp_link_input(server.l, PPP_PROTO_CCP, big, sizeof(big), now);
	m = &server.sent[server.nsent - 1];
	ck_assert_uint_eq(m->proto, PPP_PROTO_LCP);
	ck_assert_uint_eq(m->b[0], PPP_PROTO_REJ);
	ck_assert_uint_eq(m->len, 300);
	ck_assert_uint_eq(get_be16(m->b + 2), 300);
	ck_assert_uint_eq(get_be16(m->b + 4), PPP_PROTO_CCP);
	ck_assert_uint_eq(ppp_link_stats(server.l)->rx_unknown_protocol, 1);
	ck_assert_uint_eq(ppp_link_negotiated(server.l)->peer_mru, 300);
	deliver(&client);
	ck_assert_uint_eq(ppp_link_stats(client.l)->proto_rej_rx, 1);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_NETWORK);
	teardown();
}
END_TEST

/* Before LCP is open, other protocols are dropped, not rejected. */
START_TEST(test_protocol_reject_only_when_open)
{
	struct ppp_link_config sc = server_cfg();
	static const uint8_t p[] = { 1, 1, 0, 4 };

	now = 0;
	make(&server, &sc, NULL);
	make(&client, &sc, NULL);
	ppp_link_open(server.l, now);
	ppp_link_input(server.l, PPP_PROTO_CCP, p, sizeof(p), now);
	ppp_link_input(server.l, PPP_PROTO_IPCP, p, sizeof(p), now);
	ck_assert_uint_eq(ppp_link_stats(server.l)->rx_unknown_protocol, 0);
	ck_assert_uint_eq(ppp_link_stats(server.l)->rx_unexpected, 2);
	ck_assert_uint_eq(server.nsent, 1);	/* just our LCP request */
	teardown();
}
END_TEST

/* Both NCPs Protocol-Rejected: the link fails with a sentence. */
START_TEST(test_both_ncps_rejected)
{
	struct ppp_link_config cc = client_cfg(), sc = server_cfg();
	uint8_t pr[6] = { PPP_PROTO_REJ, 90, 0, 6 };
	const char *why;

	up_pair(&cc, &sc);
	put_be16(pr + 4, PPP_PROTO_IPCP);
	ppp_link_input(client.l, PPP_PROTO_LCP, pr, 6, now);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_NETWORK);
	ck_assert(!ppp_link_data_open(client.l, PPP_PROTO_IPV4));
	ck_assert(ppp_link_data_open(client.l, PPP_PROTO_IPV6));
	pr[1] = 91;
	put_be16(pr + 4, PPP_PROTO_IP6CP);
	ppp_link_input(client.l, PPP_PROTO_LCP, pr, 6, now);
	ck_assert_int_eq(ppp_link_phase(client.l), PPP_PHASE_FAILED);
	ck_assert_int_eq(ppp_link_error(client.l, &why), -EPROTO);
	ck_assert_str_eq(why, "the peer rejected IPCP and IP6CP");
	teardown();
}
END_TEST

START_TEST(test_bad_config)
{
	struct ppp_link_config c = client_cfg();
	struct ppp_link *l = (struct ppp_link *)1;
	char err[128];

	c.want_ipv4 = c.want_ipv6 = false;
	ck_assert_int_eq(ppp_link_new(&l, &c, &end_ops, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(l);
	c = client_cfg();
	c.mru = 100;
	ck_assert_int_eq(ppp_link_new(&l, &c, &end_ops, NULL, err, sizeof(err)), -EINVAL);
	c = server_cfg();
	c.peer_ipv4 = 0;
	ck_assert_int_eq(ppp_link_new(&l, &c, &end_ops, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "a PPP server needs an IPv4 address to assign to its peer");
	ppp_link_free(NULL);
}
END_TEST

/*
 * The openconnect 9.01 captures (shared/reference/ppp-captures): each line is one
 * control packet after the encapsulation and PPP header were stripped.  'r' lines are
 * the client's, fed to our server in order; 't' lines what the captured server answered,
 * and ours must send the same.  Header forms seen: LCP always FF 03 + 2-byte protocol;
 * the client's IPCP/IP6CP without FF 03 (ACFC) but with a 2-byte protocol, except
 * Fortinet (no ACFC/PFC asked, full headers); the client's data with a 1-byte
 * protocol (PFC), the server's with FF 03 and 2 bytes.
 */
struct capture {
	const char *name;
	bool hdlc;
	uint32_t magic;
	const char *lines[24];
};

static const struct capture captures[] = {
	{ "f5", false, 0xb1b3186d, {
		"t c021 0101000a0506b1b3186d",
		"r c021 010100120104ffc10506bda78cbd07020802",
		"t c021 020100120104ffc10506bda78cbd07020802",
		"r c021 0201000a0506b1b3186d",
		"t 8021 0102000a03060a0b0101",
		"t 8057 0103000e010a0200000000000001",
		"r 8021 0101000a03060a0b0102",
		"t 8021 0201000a03060a0b0102",
		"r 8057 0101000e010a0000000000000002",
		"t 8057 0201000e010a0000000000000002",
		"r 8021 0202000a03060a0b0101",
		"r 8057 0203000e010a0200000000000001",
		"r c021 05020004",
		"t c021 06020004",
		NULL } },
	{ "fortinet", false, 0xb672813c, {
		"t c021 0101000a0506b672813c",
		"r c021 0101000e0104ffbc0506e69674cc",
		"t c021 0201000e0104ffbc0506e69674cc",
		"r c021 0201000a0506b672813c",
		"t 8021 0102000a03060a0b0101",
		"t 8057 0103000e010a0200000000000001",
		"r 8021 0101000a03060a0b0102",
		"t 8021 0201000a03060a0b0102",
		"r 8057 0101000e010a0000000000000002",
		"t 8057 0201000e010a0000000000000002",
		"r 8021 0202000a03060a0b0101",
		"r 8057 0203000e010a0200000000000001",
		"r c021 05020004",
		"t c021 06020004",
		NULL } },
	{ "f5-hdlc", true, 0x5d427218, {
		"t c021 0101001005065d427218020600000000",
		"r c021 010100180104f7c30206000000000506fabf0c5507020802",
		"t c021 020100180104f7c30206000000000506fabf0c5507020802",
		"r c021 0201001005065d427218020600000000",
		"t 8021 0102000a03060a0b0101",
		"t 8057 0103000e010a0200000000000001",
		"r 8021 0101000a03060a0b0102",
		"t 8021 0201000a03060a0b0102",
		"r 8057 0101000e010a0000000000000002",
		"t 8057 0201000e010a0000000000000002",
		"r 8021 0202000a03060a0b0101",
		"r 8057 0203000e010a0200000000000001",
		"r c021 05020004",
		"t c021 06020004",
		NULL } },
	{ "nullppp-hdlc", true, 0x8f2c3787, {
		"t c021 0101001005068f2c3787020600000000",
		"r c021 010100180104f7c302060000000005063331757507020802",
		"t c021 020100180104f7c302060000000005063331757507020802",
		"r c021 0201001005068f2c3787020600000000",
		"t 8021 0102000a03060a0b0101",
		"t 8057 0103000e010a0200000000000001",
		"r 8021 01010022030600000000810600000000820600000000830600000000840600000000",
		"t 8021 04010010820600000000840600000000",
		"r 8057 0101000e010a0000000000000000",
		"t 8057 0301000e010a0200000000000002",
		"r 8021 0202000a03060a0b0101",
		"r 8057 0203000e010a0200000000000001",
		"r 8021 01020016030600000000810600000000830600000000",
		"t 8021 0302001603060a0b010281060a0b003583060a0b0036",
		"r 8057 0102000e010a0200000000000002",
		"t 8057 0202000e010a0200000000000002",
		"r 8021 0103000a03060a0b0102",
		"t 8021 0203000a03060a0b0102",
		"r c021 05020004",
		"t c021 06020004",
		NULL } },
};

/* Whether two option lists hold the same options, in any order. */
static bool same_options(const uint8_t *a, const uint8_t *b, size_t len)
{
	bool used[128] = { false };
	size_t i, j;

	for (i = 0; i < len; i += a[i + 1]) {
		for (j = 0; j < len; j += b[j + 1])
			if (!used[j] && a[i + 1] == b[j + 1] && !memcmp(a + i, b + j, a[i + 1]))
				break;
		if (j >= len)
			return false;
		used[j] = true;
	}
	return true;
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

START_TEST(test_openconnect_capture)
{
	const struct capture *cap = &captures[_i];
	struct ppp_link_config sc = server_cfg();
	size_t i, seen = 0, expect_seen = 0;
	const char *why;

	/* The captured server: no MRU, no PFC/ACFC asked, ACCM 0 with HDLC, no NBNS. */
	sc.magic = cap->magic;
	sc.hdlc = cap->hdlc;
	sc.no_header_compression = true;
	sc.nbns[0] = 0;
	now = 0;
	make(&server, &sc, NULL);
	make(&client, &sc, NULL);
	ppp_link_open(server.l, now);
	for (i = 0; cap->lines[i]; i++) {
		const char *line = cap->lines[i];
		uint8_t pkt[128];
		unsigned proto;
		size_t len;

		ck_assert_int_eq(sscanf(line + 2, "%4x", &proto), 1);
		len = unhex(line + 7, pkt);
		if (line[0] == 't') {
			const struct msg *m;

			expect_seen++;
			ck_assert_msg(seen < server.nsent, "%s line %zu: nothing sent", cap->name, i);
			m = &server.sent[seen++];
			/* Our own requests may order their options differently. */
			ck_assert_msg(m->proto == proto && m->len == len &&
				      (!memcmp(m->b, pkt, len) ||
				       (pkt[0] == PPP_CONF_REQ && !memcmp(m->b, pkt, 4) &&
					same_options(m->b + 4, pkt + 4, len - 4))),
				      "%s line %zu: sent %04x code %u id %u len %zu", cap->name, i,
				      m->proto, m->b[0], m->b[1], m->len);
			continue;
		}
		ppp_link_input(server.l, (uint16_t)proto, pkt, len, now);
		ck_assert_int_ne(ppp_link_phase(server.l), PPP_PHASE_FAILED);
		if (!strncmp(cap->lines[i + 1] ? cap->lines[i + 1] : "", "r c021 05", 9)) {
			ck_assert_int_eq(ppp_link_phase(server.l), PPP_PHASE_NETWORK);
			ck_assert(ppp_link_data_open(server.l, PPP_PROTO_IPV4));
			ck_assert(ppp_link_data_open(server.l, PPP_PROTO_IPV6));
		}
	}
	ck_assert_uint_eq(seen, expect_seen);
	ck_assert_uint_eq(server.nsent, expect_seen);
	ck_assert_uint_eq(ppp_link_stats(server.l)->rx_bad_id, 0);
	ck_assert(ppp_link_negotiated(server.l)->tx_pfc == (strcmp(cap->name, "fortinet") != 0));
	/* The client said goodbye: after a restart period the link is closed. */
	run_until(now + 5000 * MS);
	ck_assert_int_eq(ppp_link_phase(server.l), PPP_PHASE_CLOSED);
	ck_assert_int_eq(ppp_link_error(server.l, &why), -ECONNRESET);
	teardown();
}
END_TEST

static Suite *link_suite(void)
{
	Suite *s = suite_create("ppp_link");
	TCase *tc = tcase_create("link");

	tcase_add_loop_test(tc, test_negotiate, 0, ARRAY_SIZE(variants));
	tcase_add_test(tc, test_silent_peer);
	tcase_add_test(tc, test_looped_link);
	tcase_add_test(tc, test_echo_dead_peer);
	tcase_add_test(tc, test_terminate_no_shrunk_network);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_terminate_ours);
	tcase_add_test(tc, test_terminate_unanswered);
	tcase_add_test(tc, test_terminate_theirs_with_reason);
	tcase_add_test(tc, test_protocol_reject);
	tcase_add_test(tc, test_protocol_reject_only_when_open);
	tcase_add_test(tc, test_both_ncps_rejected);
	tcase_add_test(tc, test_bad_config);
	tcase_add_loop_test(tc, test_openconnect_capture, 0, ARRAY_SIZE(captures));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(link_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
