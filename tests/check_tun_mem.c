/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-memory tun end to end.  The test thread plays the engine: it takes every record
 * the generator put in the tx ring and loops it back into the rx ring, optionally
 * mangling the stream (a flipped byte, a dropped, swapped or doubled packet) so the
 * sink's verdicts can be checked.  Also: the packet format on its own (every byte is
 * checked), back-pressure without loss, pacing, the stop drain, poisoned rings and bad
 * configuration.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring/ring.h"
#include "src/tun/tun-packet.h"
#include "src/tun/tun.h"

enum {
	DEADLINE_MS = 15000,		/* any single wait in a test */
	MTU = 1500,
	NEVER = -1,
};

static const struct ring_params tx_params = {
	.capacity = 1u << 20, .max_payload = MTU, .lead = 32, .trail = 64, .align = 16,
	.ip_only = true,
};

/* The sink must see non-IP junk too, to count it as corrupt. */
static const struct ring_params rx_params = {
	.capacity = 1u << 20, .max_payload = MTU, .lead = 32, .trail = 64, .align = 16,
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- the engine stand-in -------------------------------------------------------------- */

struct harness {
	struct ring *tx, *rx;
	struct tun *tun;
	/* What happens to the stream, by position in tx order (NEVER: nothing). */
	int64_t flip_at, drop_at, swap_at, dup_at;
	uint32_t flip_offset;
	uint8_t held[MTU];		/* the first of a swapped pair */
	uint32_t held_len;
	/* What went by. */
	uint64_t taken, forwarded, v4, v6;
	uint32_t min_len, max_len;
};

static void harness_init(struct harness *h, const struct ring_params *txp,
			 const struct tun_mem_config *cfg)
{
	memset(h, 0, sizeof(*h));
	h->flip_at = h->drop_at = h->swap_at = h->dup_at = NEVER;
	h->min_len = UINT32_MAX;
	ck_assert_int_eq(ring_new(&h->tx, txp), 0);
	ck_assert_int_eq(ring_new(&h->rx, &rx_params), 0);
	ck_assert_int_eq(tun_mem_new(&h->tun, cfg, h->tx, h->rx, NULL, 0), 0);
}

static void harness_free(struct harness *h)
{
	tun_free(h->tun);
	ring_free(h->tx);
	ring_free(h->rx);
}

/* Copies a packet into the rx ring; a full ring is waited out (the sink drains it). */
static void forward(struct harness *h, const uint8_t *pkt, uint32_t len)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	struct ring_rec rec;
	int ret;

	while ((ret = ring_reserve(h->rx, len, &rec)) == -ENOBUFS) {
		ck_assert_int_ge(ring_publish(h->rx), 0);
		ck_assert_msg(now_ms() < deadline, "rx ring stayed full");
		sleep_us(20);
	}
	ck_assert_int_eq(ret, 0);
	memcpy(rec.payload, pkt, len);
	ck_assert_int_eq(ring_commit(h->rx, &rec), 0);
	if (++h->forwarded % 64 == 0)
		ck_assert_int_ge(ring_publish(h->rx), 0);
}

static void note_shape(struct harness *h, const uint8_t *pkt, uint32_t len)
{
	if (pkt[0] >> 4 == 6)
		h->v6++;
	else
		h->v4++;
	if (len < h->min_len)
		h->min_len = len;
	if (len > h->max_len)
		h->max_len = len;
}

/* One tx record, with whatever this test does to its position in the stream. */
static void handle(struct harness *h, struct ring_rec *rec)
{
	int64_t i = (int64_t)h->taken++;

	note_shape(h, rec->payload, rec->size);
	if (i == h->drop_at)
		return;
	if (i == h->flip_at) {
		ck_assert_uint_lt(h->flip_offset, rec->size);
		/* The engine owns a peeked record; scribbling on it is fair in a test. */
		rec->payload[h->flip_offset] ^= 0x01;
	}
	if (i == h->swap_at) {
		memcpy(h->held, rec->payload, rec->size);
		h->held_len = rec->size;
		return;
	}
	forward(h, rec->payload, rec->size);
	if (i == h->swap_at + 1 && h->swap_at != NEVER)
		forward(h, h->held, h->held_len);
	if (i == h->dup_at)
		forward(h, rec->payload, rec->size);
}

/* Moves n generated packets from tx to rx. */
static void pump(struct harness *h, uint64_t n)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	struct ring_rec rec;

	while (h->taken < n) {
		struct tun_stats st;
		int ret;

		/* Read before peeking: "done" then means the ring holds all there will be. */
		tun_get_stats(h->tun, &st);
		ret = ring_peek(h->tx, &rec);
		ck_assert_msg(ret != -EAGAIN || !st.generator_done,
			      "generator done after %llu of %llu packets",
			      (unsigned long long)h->taken, (unsigned long long)n);
		if (ret == -EAGAIN) {
			/* Publish before sleeping: the sink must not wait on us. */
			ck_assert_int_ge(ring_publish(h->rx), 0);
			/* -EAGAIN: a wakeup left over from a wait that did not sleep. */
			ret = ring_wait(h->tx, 50);
			ck_assert(ret == 0 || ret == -ETIMEDOUT || ret == -EAGAIN);
			ck_assert_msg(now_ms() < deadline, "generator stalled at %llu of %llu",
				      (unsigned long long)h->taken, (unsigned long long)n);
			continue;
		}
		ck_assert_int_eq(ret, 0);
		handle(h, &rec);
		ck_assert_int_eq(ring_release(h->tx, &rec), 0);
	}
	ck_assert_int_ge(ring_publish(h->rx), 0);
	ck_assert_int_eq(ring_consumer_flush(h->tx), 0);
}

/* Waits until the sink has taken everything forwarded, then stops the tun. */
static void finish(struct harness *h, struct tun_stats *st)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;

	for (;;) {
		tun_get_stats(h->tun, st);
		if (st->rx_packets >= h->forwarded)
			break;
		ck_assert_msg(now_ms() < deadline, "sink took %llu of %llu",
			      (unsigned long long)st->rx_packets, (unsigned long long)h->forwarded);
		sleep_us(200);
	}
	tun_stop(h->tun);
	tun_get_stats(h->tun, st);
	ck_assert_int_eq(st->error, 0);
	ck_assert_uint_eq(st->rx_packets, h->forwarded);
	ck_assert_uint_eq(st->tx_ring_full, 0);		/* the generator never drops */
}

static void run(struct harness *h, uint64_t n, struct tun_stats *st)
{
	ck_assert_int_eq(tun_start(h->tun), 0);
	pump(h, n);
	finish(h, st);
	ck_assert(st->generator_done);
	ck_assert_uint_eq(st->tx_packets, n);
}

static void expect_sink(const struct tun_stats *st, uint64_t good, uint64_t corrupt,
			uint64_t lost, uint64_t reordered, uint64_t duplicate)
{
	ck_assert_uint_eq(st->sink_good, good);
	ck_assert_uint_eq(st->sink_corrupt, corrupt);
	ck_assert_uint_eq(st->sink_lost, lost);
	ck_assert_uint_eq(st->sink_reordered, reordered);
	ck_assert_uint_eq(st->sink_duplicate, duplicate);
}

static const struct tun_mem_config mixed = {
	.count = 100000, .min_size = TUN_PACKET_MIN_V4, .max_size = MTU, .ipv6_percent = 30,
	.flow_id = 7, .expect_flow_id = 7, .seed = 42,
};

/* ---- round trips ---------------------------------------------------------------------- */

START_TEST(test_round_trip)
{
	struct harness h;
	struct tun_stats st;
	struct ring_stats rs;

	harness_init(&h, &tx_params, &mixed);
	run(&h, mixed.count, &st);
	expect_sink(&st, mixed.count, 0, 0, 0, 0);
	ck_assert_uint_eq(st.rx_bytes, st.tx_bytes);
	/* Both families and the whole size range went by. */
	ck_assert_uint_gt(h.v6, mixed.count / 4);
	ck_assert_uint_gt(h.v4, mixed.count / 2);
	ck_assert_uint_lt(h.min_len, TUN_PACKET_MIN_V4 + 10);
	ck_assert_uint_gt(h.max_len, MTU - 10);
	ring_get_stats(h.tx, &rs);
	ck_assert_uint_eq(rs.skipped_non_ip, 0);
	ck_assert_uint_eq(rs.poisoned, 0);
	harness_free(&h);
}
END_TEST

/* A tx ring of a few records: the generator hits full again and again and must wait. */
START_TEST(test_back_pressure_no_loss)
{
	struct ring_params small = tx_params;
	struct tun_mem_config cfg = mixed;
	struct harness h;
	struct tun_stats st;
	struct ring_stats rs;

	small.capacity = 1u << 14;
	cfg.count = 20000;
	harness_init(&h, &small, &cfg);
	run(&h, cfg.count, &st);
	expect_sink(&st, cfg.count, 0, 0, 0, 0);
	ring_get_stats(h.tx, &rs);
	ck_assert_uint_gt(rs.full, 0);
	harness_free(&h);
}
END_TEST

static const struct tun_mem_config fixed_v4 = {
	.count = 1000, .min_size = 200, .max_size = 200, .flow_id = 1, .expect_flow_id = 1,
	.seed = 9,
};

static const struct {
	uint32_t offset;
	unsigned int ipv6_percent;
	const char *what;
} flip_table[] = {
	{ 0, 0, "IPv4 version/IHL" },
	{ 3, 0, "IPv4 total length" },
	{ 5, 0, "IPv4 identification" },
	{ 8, 0, "IPv4 TTL" },
	{ 9, 0, "IPv4 protocol" },
	{ 10, 0, "IPv4 header checksum" },
	{ 19, 0, "IPv4 destination" },
	{ 20, 0, "magic" },
	{ 23, 0, "length field" },
	{ 27, 0, "flow id" },
	{ 35, 0, "sequence number" },
	{ 39, 0, "body checksum" },
	{ 40, 0, "filler start state" },
	{ 120, 0, "filler" },
	{ 199, 0, "last byte" },
	{ 0, 100, "IPv6 version" },
	{ 1, 100, "IPv6 traffic class" },
	{ 5, 100, "IPv6 payload length" },
	{ 6, 100, "IPv6 next header" },
	{ 7, 100, "IPv6 hop limit" },
	{ 23, 100, "IPv6 source" },
	{ 56, 100, "body checksum in IPv6" },
	{ 199, 100, "last byte in IPv6" },
};

START_TEST(test_flipped_byte_is_corrupt)
{
	struct tun_mem_config cfg = fixed_v4;
	struct harness h;
	struct tun_stats st;

	cfg.ipv6_percent = flip_table[_i].ipv6_percent;
	harness_init(&h, &tx_params, &cfg);
	h.flip_at = 500;
	h.flip_offset = flip_table[_i].offset;
	run(&h, cfg.count, &st);
	ck_assert_msg(st.sink_corrupt == 1, "flipping the %s went unnoticed", flip_table[_i].what);
	/* Its sequence number never arrived, so it also shows up as a gap. */
	expect_sink(&st, cfg.count - 1, 1, 1, 0, 0);
	harness_free(&h);
}
END_TEST

START_TEST(test_dropped_packet_is_lost)
{
	struct harness h;
	struct tun_stats st;

	harness_init(&h, &tx_params, &fixed_v4);
	h.drop_at = 500;
	run(&h, fixed_v4.count, &st);
	expect_sink(&st, fixed_v4.count - 1, 0, 1, 0, 0);
	harness_free(&h);
}
END_TEST

START_TEST(test_swapped_pair_is_reordered)
{
	struct harness h;
	struct tun_stats st;

	harness_init(&h, &tx_params, &fixed_v4);
	h.swap_at = 500;
	run(&h, fixed_v4.count, &st);
	/* The late one filled the gap its successor opened: nothing is lost in the end. */
	expect_sink(&st, fixed_v4.count, 0, 0, 1, 0);
	harness_free(&h);
}
END_TEST

START_TEST(test_doubled_packet_is_duplicate)
{
	struct harness h;
	struct tun_stats st;

	harness_init(&h, &tx_params, &fixed_v4);
	h.dup_at = 500;
	run(&h, fixed_v4.count, &st);
	expect_sink(&st, fixed_v4.count, 0, 0, 0, 1);
	ck_assert_uint_eq(st.rx_packets, fixed_v4.count + 1);
	harness_free(&h);
}
END_TEST

START_TEST(test_foreign_flow_is_corrupt)
{
	struct tun_mem_config cfg = fixed_v4;
	struct harness h;
	struct tun_stats st;

	cfg.count = 100;
	cfg.expect_flow_id = 2;
	harness_init(&h, &tx_params, &cfg);
	run(&h, cfg.count, &st);
	expect_sink(&st, 0, cfg.count, 0, 0, 0);
	harness_free(&h);
}
END_TEST

/* (count - 1) / rate is the earliest the last packet may appear. */
START_TEST(test_pacing)
{
	struct tun_mem_config cfg = fixed_v4;
	struct harness h;
	struct tun_stats st;
	uint64_t start, elapsed;

	cfg.count = 400;
	cfg.rate_pps = 4000;
	harness_init(&h, &tx_params, &cfg);
	start = now_ms();
	run(&h, cfg.count, &st);
	elapsed = now_ms() - start;
	ck_assert_uint_ge(elapsed, 99);
	ck_assert_uint_lt(elapsed, 5000);
	expect_sink(&st, cfg.count, 0, 0, 0, 0);
	harness_free(&h);
}
END_TEST

/* ---- lifecycle ------------------------------------------------------------------------ */

static const struct tun_mem_config sink_only = {
	.min_size = TUN_PACKET_MIN_V4, .max_size = MTU, .flow_id = 3, .expect_flow_id = 3,
};

/* Builds packets where they will lie (no copy), as a decrypting engine would. */
static void commit_built(struct ring *rx, uint64_t first, uint64_t n)
{
	for (uint64_t seq = first; seq < first + n; seq++) {
		uint32_t len = TUN_PACKET_MIN_V6 + (uint32_t)(seq * 37 % 1000);
		struct ring_rec rec;

		ck_assert_int_eq(ring_reserve(rx, len, &rec), 0);
		tun_packet_build(rec.payload, len, seq & 1, 3, seq, 5);
		ck_assert_int_eq(ring_commit(rx, &rec), 0);
	}
	ck_assert_int_ge(ring_publish(rx), 0);
}

START_TEST(test_stop_delivers_published)
{
	struct harness h;
	struct tun_stats st;

	harness_init(&h, &tx_params, &sink_only);
	tun_get_stats(h.tun, &st);
	ck_assert(st.generator_done);		/* count 0: nothing to generate */
	ck_assert_int_eq(tun_start(h.tun), 0);
	ck_assert_int_eq(tun_start(h.tun), -EALREADY);
	commit_built(h.rx, 0, 500);
	tun_stop(h.tun);
	tun_get_stats(h.tun, &st);
	ck_assert_uint_eq(st.rx_packets, 500);
	expect_sink(&st, 500, 0, 0, 0, 0);
	/* A stopped tun starts again and keeps its sink's state. */
	ck_assert_int_eq(tun_start(h.tun), 0);
	commit_built(h.rx, 500, 100);
	tun_stop(h.tun);
	tun_stop(h.tun);
	tun_get_stats(h.tun, &st);
	expect_sink(&st, 600, 0, 0, 0, 0);
	ck_assert_str_eq(tun_name(h.tun), "");
	harness_free(&h);
}
END_TEST

static void wait_error(struct tun *tun, int expect)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	struct tun_stats st;

	for (;;) {
		tun_get_stats(tun, &st);
		if (st.error)
			break;
		ck_assert_msg(now_ms() < deadline, "the thread did not notice the poisoned ring");
		sleep_us(500);
	}
	ck_assert_int_eq(st.error, expect);
}

/* A producer scribbles a misaligned tail: the sleeping sink must wake, see it and stop. */
START_TEST(test_corrupt_rx_ring_stops_thread)
{
	struct harness h;
	uint64_t one = 1;

	harness_init(&h, &tx_params, &sink_only);
	ck_assert_int_eq(tun_start(h.tun), 0);
	commit_built(h.rx, 0, 10);
	sleep_us(20000);
	atomic_store(&ring_shared(h.rx)->tail, 3);
	ck_assert_int_eq(write(ring_event_fd(h.rx), &one, sizeof(one)), (ssize_t)sizeof(one));
	wait_error(h.tun, -EBADMSG);
	tun_stop(h.tun);
	ck_assert(ring_is_poisoned(h.rx));
	harness_free(&h);
}
END_TEST

/* The engine declares the tx ring dead while the generator waits for room. */
START_TEST(test_poisoned_tx_ring_stops_thread)
{
	struct harness h;

	harness_init(&h, &tx_params, &mixed);
	ck_assert_int_eq(tun_start(h.tun), 0);
	sleep_us(20000);
	ring_poison(h.tx);
	wait_error(h.tun, -EBADMSG);
	harness_free(&h);
}
END_TEST

static const struct {
	struct tun_mem_config cfg;
	int expect;
} config_table[] = {
	{ { .min_size = 40, .max_size = 40 }, 0 },
	{ { .min_size = 40, .max_size = 1500, .ipv6_percent = 100 }, 0 },
	{ { .min_size = 60, .max_size = 60, .ipv6_percent = 100 }, 0 },
	{ { .min_size = 39, .max_size = 100 }, -EINVAL },		/* below IPv4 + body */
	{ { .min_size = 0, .max_size = 0 }, -EINVAL },
	{ { .min_size = 101, .max_size = 100 }, -EINVAL },		/* min > max */
	{ { .min_size = 40, .max_size = 1501 }, -EINVAL },		/* above max_payload */
	{ { .min_size = 40, .max_size = 100, .ipv6_percent = 101 }, -EINVAL },
	{ { .min_size = 40, .max_size = 59, .ipv6_percent = 1 }, -EINVAL }, /* no IPv6 fits */
};

START_TEST(test_config)
{
	struct ring *tx = NULL, *rx = NULL;
	struct tun *tun = NULL;
	char err[200] = "";
	int ret;

	ck_assert_int_eq(ring_new(&tx, &tx_params), 0);
	ck_assert_int_eq(ring_new(&rx, &rx_params), 0);
	ret = tun_mem_new(&tun, &config_table[_i].cfg, tx, rx, err, sizeof(err));
	ck_assert_msg(ret == config_table[_i].expect, "row %d: %d", _i, ret);
	ck_assert(ret == 0 || strstr(err, "in-memory tun: "));
	if (!ret)
		tun_free(tun);
	ck_assert_int_eq(tun_mem_new(&tun, NULL, tx, rx, NULL, 0), -EINVAL);
	tun_free(NULL);
	ring_free(tx);
	ring_free(rx);
}
END_TEST

/* ---- the packet format ---------------------------------------------------------------- */

static uint16_t rfc1071(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

START_TEST(test_packet_every_size)
{
	static uint8_t buf[MTU], again[MTU];
	uint32_t flow;
	uint64_t seq;

	for (uint32_t len = TUN_PACKET_MIN_V4; len <= MTU; len++) {
		for (int v6 = 0; v6 < 2; v6++) {
			if (v6 && len < TUN_PACKET_MIN_V6)
				continue;
			tun_packet_build(buf, len, v6, 0xabcdef01, (uint64_t)len << 33 | 5, 77);
			ck_assert(tun_packet_verify(buf, len, &flow, &seq));
			ck_assert_uint_eq(flow, 0xabcdef01);
			ck_assert_uint_eq(seq, (uint64_t)len << 33 | 5);
			ck_assert_uint_eq(buf[0] >> 4, v6 ? 6 : 4);
			if (v6) {
				ck_assert_uint_eq(buf[4] << 8 | buf[5], len - 40);
				ck_assert_uint_eq(buf[6], TUN_PACKET_PROTO);
			} else {
				ck_assert_uint_eq(buf[2] << 8 | buf[3], len);
				ck_assert_uint_eq(buf[9], TUN_PACKET_PROTO);
				ck_assert_uint_eq(rfc1071(buf, 20), 0);
			}
			/* Same arguments, same bytes; a cut or padded packet fails. */
			tun_packet_build(again, len, v6, 0xabcdef01, (uint64_t)len << 33 | 5, 77);
			ck_assert(!memcmp(buf, again, len));
			ck_assert(!tun_packet_verify(buf, len - 1, &flow, &seq));
		}
	}
}
END_TEST

/* Every single-bit error anywhere in a packet is caught. */
START_TEST(test_packet_every_bit)
{
	static const uint32_t lens[] = { TUN_PACKET_MIN_V4, TUN_PACKET_MIN_V6, 71, 200, MTU };
	static uint8_t buf[MTU];
	uint32_t flow;
	uint64_t seq;

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		for (int v6 = 0; v6 < 2; v6++) {
			uint32_t len = lens[k];

			if (v6 && len < TUN_PACKET_MIN_V6)
				continue;
			tun_packet_build(buf, len, v6, 1, 12345, 6);
			for (uint32_t i = 0; i < len * 8; i++) {
				buf[i / 8] ^= (uint8_t)(1u << (i % 8));
				ck_assert_msg(!tun_packet_verify(buf, len, &flow, &seq),
					      "len %u v%d: bit %u unnoticed", len, v6 ? 6 : 4, i);
				buf[i / 8] ^= (uint8_t)(1u << (i % 8));
			}
			ck_assert(tun_packet_verify(buf, len, &flow, &seq));
		}
	}
	ck_assert(!tun_packet_verify(buf, 0, &flow, &seq));
	ck_assert(!tun_packet_verify(buf, TUN_PACKET_MIN_V4 - 1, &flow, &seq));
}
END_TEST

static Suite *tun_mem_suite(void)
{
	Suite *s = suite_create("tun_mem");
	TCase *tc = tcase_create("packet");

	tcase_add_test(tc, test_packet_every_size);
	tcase_add_test(tc, test_packet_every_bit);
	tcase_add_loop_test(tc, test_config, 0, sizeof(config_table) / sizeof(config_table[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("loop");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_back_pressure_no_loss);
	tcase_add_loop_test(tc, test_flipped_byte_is_corrupt, 0,
			    sizeof(flip_table) / sizeof(flip_table[0]));
	tcase_add_test(tc, test_dropped_packet_is_lost);
	tcase_add_test(tc, test_swapped_pair_is_reordered);
	tcase_add_test(tc, test_doubled_packet_is_duplicate);
	tcase_add_test(tc, test_foreign_flow_is_corrupt);
	tcase_add_test(tc, test_pacing);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stop_delivers_published);
	tcase_add_test(tc, test_corrupt_rx_ring_stops_thread);
	tcase_add_test(tc, test_poisoned_tx_ring_stops_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tun_mem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
