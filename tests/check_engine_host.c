/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's side of the transport interface, with a transport class of the test's
 * own: an HDLC-like byte-stuffing framing (a flag in front and behind, 0x7d and 0x7e in
 * the payload escaped as 0x7d, byte ^ 0x20), which is what PPP over TLS needs and what
 * the ring's tail room cannot take in place.  Two engines over loopback:
 *  - packets that need no escaping are framed in place; the others are written out of
 *    place into the engine's per-slot spare buffers, still sent in batches, and the
 *    engine counts exactly those bytes in copied_bytes;
 *  - the receiver un-escapes in place, into records large enough for the grown datagram
 *    (max_rx_tail), and delivers every packet intact;
 *  - the host sends a batch of control datagrams for the transport (sendmmsg), the
 *    transport's periodic deadline wakes an idle engine (and no more often than that),
 *    and its NETWORK event reaches the embedding client with the source filled in.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/transport.h"
#include "ring/pkt.h"
#include "src/engine.h"
#include "src/util/clock.h"
#include "src/util/macros.h"
#include "src/zcvpn.h"
#include "tests/api-helpers.h"

enum {
	FLAG = 0x7e,
	ESC = 0x7d,
	HELLO = 0x01,		/* a control datagram: FLAG HELLO FLAG */
	TIMER_MS = 30,
	COUNT = 3000,
};

/* The test transport's config section: it lives in zcvpn_config's reserved room. */
struct stuff_config {
	bool client;
};

struct stuff {
	struct transport t;
	bool client;
	bool started;
	uint64_t timer_due;
	_Atomic uint64_t timer_fires;	/* read by the test while the engine runs */
	struct stuff_counters {
		uint64_t in_place, out_of_place, spare_bytes;
		uint64_t hellos_rx, rx_bad_frame;
	} c;
};

static struct stuff *stuff_of(struct transport *t)
{
	return container_of(t, struct stuff, t);
}

static uint32_t escapes(const uint8_t *p, uint32_t len)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < len; i++)
		n += p[i] == FLAG || p[i] == ESC;
	return n;
}

static uint32_t stuff_rx_head(const struct transport *t)
{
	return 1;
}

static int stuff_encap(struct transport *t, struct pkt *pkt, struct transport_spare *spare)
{
	struct stuff *s = stuff_of(t);
	uint32_t need = escapes(pkt->data, pkt->len), o = 0;

	if (!need) {
		/* Nothing to escape: the flags go into the head and tail room. */
		*pkt_push(pkt, 1) = FLAG;
		*pkt_put(pkt, 1) = FLAG;
		s->c.in_place++;
		return 0;
	}
	ck_assert_ptr_nonnull(spare);
	ck_assert_ptr_nonnull(spare->buf);
	ck_assert_uint_ge(spare->room, pkt->len + need + 2);
	spare->buf[o++] = FLAG;
	for (uint32_t i = 0; i < pkt->len; i++) {
		if (pkt->data[i] == FLAG || pkt->data[i] == ESC) {
			spare->buf[o++] = ESC;
			spare->buf[o++] = pkt->data[i] ^ 0x20;
		} else {
			spare->buf[o++] = pkt->data[i];
		}
	}
	spare->buf[o++] = FLAG;
	spare->len = o;
	s->c.out_of_place++;
	s->c.spare_bytes += o;
	return TRANSPORT_SPARE;
}

/* Un-escapes in place: the packet only shrinks, and ends where the inner packet starts. */
static enum transport_verdict stuff_decap(struct transport *t, struct pkt *pkt,
					  uint32_t max_inner)
{
	struct stuff *s = stuff_of(t);
	uint8_t *d = pkt->data;
	uint32_t len = pkt->len, o = 0;

	if (len < 3 || d[0] != FLAG || d[len - 1] != FLAG) {
		s->c.rx_bad_frame++;
		return TRANSPORT_DROP;
	}
	if (len == 3 && d[1] == HELLO) {
		s->c.hellos_rx++;
		return TRANSPORT_CONTROL;
	}
	for (uint32_t i = 1; i < len - 1; i++) {
		if (d[i] == ESC && i + 1 < len - 1)
			d[1 + o++] = d[++i] ^ 0x20;
		else
			d[1 + o++] = d[i];
	}
	if (o > max_inner) {
		s->c.rx_bad_frame++;
		return TRANSPORT_DROP;
	}
	pkt_pull(pkt, 1);
	pkt_trim(pkt, o);
	return TRANSPORT_DATA;
}

/* At start: two hellos in one batch, and the negotiated settings as an event. */
static void start(struct stuff *s, uint64_t now)
{
	static const uint8_t hello[3] = { FLAG, HELLO, FLAG };
	const struct iovec two[2] = { { (void *)hello, 3 }, { (void *)hello, 3 } };
	struct zcvpn_network net = { .mtu = 1400, .has_ipv4 = true, .ipv4 = { 10, 0, 0, 2 },
				     .n_dns4 = 1, .dns4 = { { 10, 0, 0, 53 } } };
	struct zcvpn_event ev = { .type = ZCVPN_EVENT_NETWORK, .level = ZCVPN_LOG_INFO,
				  .message = "negotiated", .network = &net };

	s->started = true;
	s->timer_due = now + TIMER_MS * (uint64_t)NSEC_PER_MSEC;
	if (s->client)
		ck_assert_int_eq(s->t.host->ops->send(s->t.host, two, 2), 0);
	s->t.host->ops->event(s->t.host, &ev);
}

static uint64_t stuff_run_timers(struct transport *t, uint64_t now)
{
	struct stuff *s = stuff_of(t);

	if (!s->started)
		start(s, now);
	/* A timer every TIMER_MS, as a PPP restart timer or an LCP echo would be. */
	if (now >= s->timer_due) {
		atomic_fetch_add(&s->timer_fires, 1);
		s->timer_due = now + TIMER_MS * (uint64_t)NSEC_PER_MSEC;
	}
	return s->timer_due;
}

static enum zcvpn_transport_state stuff_state(const struct transport *t, int *error)
{
	*error = 0;
	return ZCVPN_TRANSPORT_UP;
}

#define STUFF_COUNTER(field, flags, help) \
	TRANSPORT_COUNTER(#field, struct stuff_counters, field, flags, help)

static const struct transport_counter stuff_counters[] = {
	STUFF_COUNTER(in_place, 0, "framed in place"),
	STUFF_COUNTER(out_of_place, 0, "framed out of place"),
	STUFF_COUNTER(spare_bytes, 0, "bytes written out of place"),
	STUFF_COUNTER(hellos_rx, 0, "hellos received"),
	STUFF_COUNTER(rx_bad_frame, TRANSPORT_COUNTER_DROP, "not a frame"),
};

static void stuff_read_counters(const struct transport *t, uint64_t *values)
{
	const struct stuff *s = container_of(t, const struct stuff, t);

	transport_counters_read(stuff_counters, ARRAY_SIZE(stuff_counters), &s->c, values);
}

static void stuff_free(struct transport *t)
{
	free(stuff_of(t));
}

static const struct transport_ops stuff_ops = {
	.rx_head = stuff_rx_head,
	.encap = stuff_encap,
	.decap = stuff_decap,
	.run_timers = stuff_run_timers,
	.state = stuff_state,
	.read_counters = stuff_read_counters,
	.free = stuff_free,
};

static const struct transport_class stuff_class;

static int stuff_create(struct transport **out, const void *config,
			const struct transport_params *params, char *errbuf, size_t errlen)
{
	const struct stuff_config *cfg = config;
	struct stuff *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->t = (struct transport){
		.ops = &stuff_ops,
		.cls = &stuff_class,
		.host = params->host,
		.max_head = 1,
		.max_tail = 1,
		.max_rx_tail = params->mtu + 1,		/* every byte escaped */
		.max_spare = 2 * params->mtu + 2,
	};
	s->client = cfg->client;
	*out = &s->t;
	return 0;
}

static const struct transport_class stuff_class = {
	.protocol = (enum zcvpn_protocol)99,
	.name = "stuffing",
	.config_offset = offsetof(struct zcvpn_config, reserved),
	.create = stuff_create,
	.counters = stuff_counters,
	.n_counters = ARRAY_SIZE(stuff_counters),
};

/* ---- the host's view ----------------------------------------------------------------- */

struct seen {
	pthread_mutex_t lock;
	unsigned int network;
	bool network_ok;
};

static void on_event(void *ctx, const struct zcvpn_event *ev)
{
	struct seen *s = ctx;

	if (ev->type != ZCVPN_EVENT_NETWORK)
		return;
	pthread_mutex_lock(&s->lock);
	s->network++;
	s->network_ok = ev->network && ev->network->has_ipv4 && ev->network->ipv4[3] == 2 &&
			ev->network->n_dns4 == 1 && !strcmp(ev->source, "stuffing");
	pthread_mutex_unlock(&s->lock);
}

static void config(struct zcvpn_config *cfg, bool server, struct seen *seen)
{
	struct stuff_config sc = { .client = !server };

	zcvpn_config_init(cfg);
	memcpy(cfg->reserved, &sc, sizeof(sc));
	cfg->mem_count = COUNT;
	cfg->mem_rate_pps = 20000;
	cfg->mem_flow_id = server ? 2 : 1;
	cfg->mem_expect_flow_id = server ? 1 : 2;
	cfg->mem_seed = server ? 5 : 6;
	cfg->event_fn = on_event;
	cfg->event_ctx = seen;
	if (server)
		cfg->local = "127.0.0.1:0";
}

static bool done(struct zcvpn_engine *e)
{
	struct zcvpn_stats st;

	get_stats(e, &st);
	return st.generator_done && st.tx_packets >= COUNT &&
	       st.sink_good + st.sink_corrupt + st.rx_socket_drops >= COUNT;
}

START_TEST(test_out_of_place_framing)
{
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_engine *server, *client;
	struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct zcvpn_stats st;
	char err[256], remote[64];
	double deadline, idle_start, idle_s;
	uint64_t idle_fires;

	config(&scfg, true, &seen);
	config(&ccfg, false, &seen);
	ck_assert_msg(engine_new_with_class(&server, &scfg, &stuff_class, err, sizeof(err)) == 0,
		      "%s", err);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(server));
	ccfg.remote = remote;
	ck_assert_msg(engine_new_with_class(&client, &ccfg, &stuff_class, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(client, ZCVPN_START_THREAD), 0);
	deadline = now_s() + 60;
	while (!(done(client) && done(server)) && now_s() < deadline)
		usleep(10000);
	/*
	 * No traffic now: only the transport's deadline wakes the engine.  It must come (a
	 * loaded machine may make it late, so at least once) and never more often than
	 * asked.
	 */
	idle_fires = atomic_load(&stuff_of(client->transport)->timer_fires);
	idle_start = now_s();
	usleep(300000);
	idle_fires = atomic_load(&stuff_of(client->transport)->timer_fires) - idle_fires;
	idle_s = now_s() - idle_start;
	ck_assert_uint_ge(idle_fires, 1);
	ck_assert_uint_le(idle_fires, (uint64_t)(idle_s * 1000 / TIMER_MS) + 1);
	zcvpn_engine_stop(client);
	zcvpn_engine_stop(server);

	for (int k = 0; k < 2; k++) {
		struct zcvpn_engine *e = k ? server : client;

		get_stats(e, &st);
		ck_assert_uint_eq(st.sink_good + st.rx_socket_drops, COUNT);
		ck_assert_uint_eq(st.sink_corrupt + st.sink_duplicate, 0);
		ck_assert_uint_eq(st.tx_packets, COUNT);
		/* Random bodies: most packets need escaping, a few do not. */
		ck_assert_uint_gt(counter(e, "out_of_place"), 0);
		ck_assert_uint_eq(counter(e, "in_place") + counter(e, "out_of_place"), COUNT);
		/* The engine counted exactly what the transport wrote out of place. */
		ck_assert_uint_eq(st.copied_bytes, counter(e, "spare_bytes"));
		ck_assert_uint_eq(st.rx_invalid, 0);
		ck_assert_uint_lt(st.send_calls, COUNT);	/* still batched */
		/* The timer deadline woke the engine, not earlier than asked. */
		ck_assert_uint_ge(st.timer_wakeups, 1);
	}
	/* Both hellos arrived, sent as one batch by the host. */
	ck_assert_uint_eq(counter(server, "hellos_rx"), 2);
	pthread_mutex_lock(&seen.lock);
	ck_assert_uint_eq(seen.network, 2);
	ck_assert(seen.network_ok);
	pthread_mutex_unlock(&seen.lock);
	zcvpn_engine_free(client);
	zcvpn_engine_free(server);
}
END_TEST

static Suite *host_suite(void)
{
	Suite *s = suite_create("engine_host");
	TCase *tc = tcase_create("spare");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_out_of_place_framing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(host_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
