/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's UDP GRO receive (src/engine-rx-run.c) where carving in place is tight.
 * A transport of the test's own frames each packet with two bytes in front and two
 * behind, in place, and claims the overhead GRO needs (it has less), so the bytes
 * between two packets often cannot hold the next record's size word.  Two engines over
 * loopback send fixed-size packets: the sender's UDP GSO messages reach the receiver
 * whole, as GRO runs.  Rows by packet size, as the misfit differs with it: every
 * packet must arrive intact or be counted as unplaced, the packets moved up into their
 * own trailer are exactly the bytes counted as copied, nothing else is copied, and
 * ASan (in the sanitizer build) sees every move stay inside its datagram.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/transport.h"
#include "ring/pkt.h"
#include "src/engine.h"
#include "src/util/macros.h"
#include "src/zcvpn.h"
#include "tests/api-helpers.h"

enum {
	MAGIC_HEAD = 0x5a,
	MAGIC_TAIL = 0xa5,
	FRAME_HEAD = 2,
	FRAME_TAIL = 2,
	COUNT = 20000,
};

struct tight {
	struct transport t;
	struct tight_counters {
		uint64_t rx_bad_frame;
	} c;
};

static struct tight *tight_of(struct transport *t)
{
	return container_of(t, struct tight, t);
}

static uint32_t tight_rx_head(const struct transport *t)
{
	return FRAME_HEAD;
}

static int tight_encap(struct transport *t, struct pkt *pkt, struct transport_spare *spare)
{
	memset(pkt_push(pkt, FRAME_HEAD), MAGIC_HEAD, FRAME_HEAD);
	memset(pkt_put(pkt, FRAME_TAIL), MAGIC_TAIL, FRAME_TAIL);
	return 0;
}

static enum transport_verdict tight_decap(struct transport *t, struct pkt *pkt,
					  uint32_t max_inner)
{
	const uint8_t *d = pkt->data;
	uint32_t len = pkt->len;

	if (len < FRAME_HEAD + FRAME_TAIL || len - FRAME_HEAD - FRAME_TAIL > max_inner ||
	    d[0] != MAGIC_HEAD || d[1] != MAGIC_HEAD || d[len - 1] != MAGIC_TAIL ||
	    d[len - 2] != MAGIC_TAIL) {
		tight_of(t)->c.rx_bad_frame++;
		return TRANSPORT_DROP;
	}
	pkt_pull(pkt, FRAME_HEAD);
	pkt_trim(pkt, len - FRAME_HEAD - FRAME_TAIL);
	return TRANSPORT_DATA;
}

static uint64_t tight_run_timers(struct transport *t, uint64_t now)
{
	return TRANSPORT_NO_DEADLINE;
}

static enum zcvpn_transport_state tight_state(const struct transport *t, int *error)
{
	*error = 0;
	return ZCVPN_TRANSPORT_UP;
}

static const struct transport_counter tight_counters[] = {
	TRANSPORT_COUNTER("rx_bad_frame", struct tight_counters, rx_bad_frame,
			  TRANSPORT_COUNTER_DROP, "not a frame"),
};

static void tight_read_counters(const struct transport *t, uint64_t *values)
{
	const struct tight *s = container_of(t, const struct tight, t);

	transport_counters_read(tight_counters, ARRAY_SIZE(tight_counters), &s->c, values);
}

static void tight_free(struct transport *t)
{
	free(tight_of(t));
}

static const struct transport_ops tight_ops = {
	.rx_head = tight_rx_head,
	.encap = tight_encap,
	.decap = tight_decap,
	.run_timers = tight_run_timers,
	.state = tight_state,
	.read_counters = tight_read_counters,
	.free = tight_free,
};

static const struct transport_class tight_class;

static int tight_create(struct transport **out, const void *config,
			const struct transport_params *params, char *errbuf, size_t errlen)
{
	struct tight *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->t = (struct transport){
		.ops = &tight_ops,
		.cls = &tight_class,
		.host = params->host,
		.max_head = FRAME_HEAD,
		.max_tail = FRAME_TAIL,
		/* A lie, so the engine turns GRO on where the room is too short. */
		.rx_min_overhead = ENGINE_GRO_MIN_OVERHEAD,
	};
	*out = &s->t;
	return 0;
}

static const struct transport_class tight_class = {
	.protocol = (enum zcvpn_protocol)98,
	.name = "tight",
	.config_offset = offsetof(struct zcvpn_config, reserved),
	.create = tight_create,
	.counters = tight_counters,
	.n_counters = ARRAY_SIZE(tight_counters),
};

/* Inner packet sizes: each misfits the 4-byte size word and alignment its own way. */
static const uint32_t sizes[] = { 1000, 1001, 1002, 1003, 600, 77 };

static void config(struct zcvpn_config *cfg, bool server, uint32_t size)
{
	zcvpn_config_init(cfg);
	cfg->mem_count = COUNT;
	cfg->mem_min_size = cfg->mem_max_size = size;
	cfg->mem_ipv6_percent = 0;
	cfg->mem_rate_pps = 100000;
	cfg->mem_flow_id = server ? 2 : 1;
	cfg->mem_expect_flow_id = server ? 1 : 2;
	cfg->mem_seed = server ? 7 : 8;
	if (server)
		cfg->local = "127.0.0.1:0";
}

static bool done(struct zcvpn_engine *e)
{
	struct zcvpn_stats st;

	get_stats(e, &st);
	return st.generator_done && st.tx_packets >= COUNT &&
	       st.sink_good + st.sink_corrupt + st.rx_socket_drops + st.rx_gro_unplaced >= COUNT;
}

START_TEST(test_tight_runs)
{
	struct zcvpn_config scfg, ccfg;
	struct zcvpn_engine *server, *client;
	struct zcvpn_stats st;
	char err[256], remote[64];
	double deadline;

	config(&scfg, true, sizes[_i]);
	config(&ccfg, false, sizes[_i]);
	ck_assert_msg(engine_new_with_class(&server, &scfg, &tight_class, err, sizeof(err)) == 0,
		      "%s", err);
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", zcvpn_engine_local_port(server));
	ccfg.remote = remote;
	ck_assert_msg(engine_new_with_class(&client, &ccfg, &tight_class, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(zcvpn_engine_start(server, ZCVPN_START_THREAD), 0);
	ck_assert_int_eq(zcvpn_engine_start(client, ZCVPN_START_THREAD), 0);
	deadline = now_s() + 60;
	while (!(done(client) && done(server)) && now_s() < deadline)
		usleep(10000);
	zcvpn_engine_stop(client);
	zcvpn_engine_stop(server);

	for (int k = 0; k < 2; k++) {
		struct zcvpn_engine *e = k ? server : client;

		get_stats(e, &st);
		/* Every packet arrived intact or is counted, under a reason, as not. */
		ck_assert_msg(st.sink_good + st.rx_socket_drops + st.rx_gro_unplaced == COUNT,
			      "size %u: good %llu, socket drops %llu, unplaced %llu", sizes[_i],
			      (unsigned long long)st.sink_good,
			      (unsigned long long)st.rx_socket_drops,
			      (unsigned long long)st.rx_gro_unplaced);
		ck_assert_uint_eq(st.sink_corrupt + st.sink_duplicate, 0);
		ck_assert_uint_eq(counter(e, "rx_bad_frame"), 0);
		/* The sender's GSO messages arrived as runs, and the tight path ran. */
		ck_assert_uint_gt(st.rx_gro_runs, 0);
		ck_assert_uint_gt(st.rx_gro_moved + st.rx_gro_unplaced, 0);
		/* The only copies are the moves: one inner packet each. */
		ck_assert_uint_eq(st.copied_bytes, st.rx_gro_moved * sizes[_i]);
	}
	zcvpn_engine_free(client);
	zcvpn_engine_free(server);
}
END_TEST

static Suite *gro_suite(void)
{
	Suite *s = suite_create("engine_gro");
	TCase *tc = tcase_create("tight");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_tight_runs, 0, ARRAY_SIZE(sizes));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gro_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
