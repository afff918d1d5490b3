/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Carved runs (the ring verb behind UDP GRO): a run of datagrams received back to back
 * into one reservation, each inner packet made a record where it lies.  Table-driven
 * over datagram shapes (ESP- and DTLS-like header and trailer lengths, the last segment
 * shorter, datagrams dropped in the middle, trailers too short for a size word), then
 * the edges: a run that would cross the end of the area, cancelled runs, several runs
 * open at once, publication held back by an open run, out-of-order release, errors, and
 * corrupt carved words in rings with and without runs.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring/ring.h"

enum { RUN = 65536 };

static const struct ring_params runs = {
	.capacity = 1u << 18, .max_payload = 1500, .lead = 32, .trail = 48, .align = 16,
	.max_run = RUN,
};

static struct ring *make(const struct ring_params *p)
{
	struct ring *ring = NULL;

	ck_assert_int_eq(ring_new(&ring, p), 0);
	return ring;
}

/* One run's shape: count datagrams of seg bytes (the last last_seg, 0: seg). */
static const struct {
	const char *name;
	uint32_t seg, last_seg, count;
	uint32_t head, tail;		/* transport bytes before and after the inner packet */
	uint32_t drop_mask;		/* datagrams (bit i) the "transport" drops */
	bool moves;			/* some payloads must move up to be carved */
} shapes[] = {
	{ "esp-gcm full run", 1452, 0, 45, 16, 18, 0, 0 },
	{ "esp-gcm last shorter", 1452, 700, 30, 16, 18, 0, 0 },
	{ "dtls-gcm odd size", 1437, 0, 44, 22, 16, 0, 0 },
	{ "cbc-hmac", 1460, 0, 40, 24, 34, 0, 0 },
	{ "one datagram", 1400, 0, 1, 16, 18, 0, 0 },
	{ "drops in the middle", 1452, 0, 20, 16, 18, 0x0f0f2u, 0 },
	{ "first and last dropped", 1452, 0, 10, 16, 18, 0x201u, 0 },
	{ "all dropped", 1452, 0, 8, 16, 18, 0xffu, 0 },
	{ "tiny packets", 80, 0, 64, 16, 18, 0, 0 },
	/* 14 bytes between packets cannot always hold a size word plus the rounding. */
	{ "short trailers", 1001, 0, 16, 4, 10, 0, 1 },
};

static uint8_t fill_of(unsigned i)
{
	return (uint8_t)(0x40 + i);
}

START_TEST(test_carve_shapes)
{
	struct ring *ring = make(&runs);
	struct ring_run run;
	struct ring_rec recs[64], rec;
	uint8_t *where[64];
	uint32_t len[64], moved = 0;
	unsigned kept = 0;
	uint32_t total;

	total = shapes[_i].seg * (shapes[_i].count - 1) +
		(shapes[_i].last_seg ? shapes[_i].last_seg : shapes[_i].seg);
	ck_assert_int_eq(ring_reserve_run(ring, total + 32, &run), 0);
	ck_assert_uint_ge(run.len, total + 32);
	/* Receive: datagrams back to back, as the kernel writes a GRO run. */
	for (unsigned i = 0; i < shapes[_i].count; i++) {
		uint8_t *d = run.data + 32 + i * shapes[_i].seg;
		uint32_t seg = i + 1 == shapes[_i].count && shapes[_i].last_seg ?
				       shapes[_i].last_seg : shapes[_i].seg;

		memset(d, 0xee, shapes[_i].head);
		memset(d + shapes[_i].head, fill_of(i), seg - shapes[_i].head - shapes[_i].tail);
		memset(d + seg - shapes[_i].tail, 0xdd, shapes[_i].tail);
	}
	/* "Decap" each in order and carve what survives. */
	for (unsigned i = 0; i < shapes[_i].count; i++) {
		uint8_t *d = run.data + 32 + i * shapes[_i].seg;
		uint32_t seg = i + 1 == shapes[_i].count && shapes[_i].last_seg ?
				       shapes[_i].last_seg : shapes[_i].seg;
		uint8_t *p = d + shapes[_i].head;
		uint32_t n = seg - shapes[_i].head - shapes[_i].tail;
		uint32_t up;
		int ret;

		if (i < 32 && (shapes[_i].drop_mask >> i & 1))
			continue;
		up = ring_carve_shortfall(ring, &run, p);
		ret = ring_carve(ring, &run, p, n, &recs[kept]);
		if (up) {
			ck_assert_int_eq(ret, -ENOSPC);
			ck_assert_uint_le(up, shapes[_i].tail);
			memmove(p + up, p, n);
			p += up;
			moved++;
			ck_assert_int_eq(ring_carve(ring, &run, p, n, &recs[kept]), 0);
		} else {
			ck_assert_int_eq(ret, 0);
		}
		ck_assert_ptr_eq(recs[kept].payload, p);
		where[kept] = p;
		len[kept++] = n;
	}
	ck_assert_int_eq(moved > 0, shapes[_i].moves);
	ck_assert_int_eq(ring_run_end(ring, &run), (int)kept);
	ck_assert_int_eq(ring_publish(ring), (int)kept);
	/* The consumer gets each inner packet where it was received: nothing copied. */
	for (unsigned k = 0; k < kept; k++) {
		ck_assert_int_eq(ring_peek(ring, &recs[k]), 0);
		ck_assert_ptr_eq(recs[k].payload, where[k]);
		ck_assert_uint_eq(recs[k].size, len[k]);
		ck_assert_uint_eq(recs[k].payload[0], recs[k].payload[len[k] - 1]);
		ck_assert_uint_ne(recs[k].payload[0], 0xee);
		ck_assert_uint_ne(recs[k].payload[0], 0xdd);
	}
	ck_assert_int_eq(ring_peek(ring, &rec), -EAGAIN);
	/* Released last-first: the head only moves once the first is back. */
	for (unsigned k = kept; k-- > 0;)
		ck_assert_int_eq(ring_release(ring, &recs[k]), 0);
	ck_assert_int_eq(ring_consumer_flush(ring), 0);
	ck_assert_uint_eq(atomic_load(&ring_shared(ring)->head),
			  atomic_load(&ring_shared(ring)->tail));
	ring_free(ring);
}
END_TEST

/* The run was the last reservation, so its unused end went back to the ring. */
START_TEST(test_unused_end_returns)
{
	struct ring *ring = make(&runs);
	struct ring_run run;
	struct ring_rec rec;
	uint32_t after;

	ck_assert_int_eq(ring_reserve_run(ring, RUN, &run), 0);
	ck_assert_int_eq(ring_carve(ring, &run, run.data + 20, 100, &rec), 0);
	ck_assert_int_eq(ring_run_end(ring, &run), 1);
	ck_assert_int_eq(ring_reserve(ring, 100, &rec), 0);
	after = rec.offset;
	ck_assert_uint_lt(after, 256);
	ring_free(ring);
}
END_TEST

/* Without a record, a run is a cancel: even the filler it left at the end is undone. */
START_TEST(test_cancel_and_wrap)
{
	struct ring *ring = make(&runs);
	struct ring_run run;
	struct ring_rec rec, got;
	uint32_t tail;
	unsigned n = 0;

	/* Fill up to 40 KiB before the end, then drain it, so the tail sits near the end. */
	while (ring_reserve(ring, 1500, &rec) == 0) {
		ring_commit(ring, &rec);
		if (++n * 1600 > runs.capacity - 40 * 1024)
			break;
	}
	ck_assert_int_eq(ring_publish(ring), (int)n);
	while (ring_peek(ring, &got) == 0)
		ck_assert_int_eq(ring_release(ring, &got), 0);
	ck_assert_int_eq(ring_consumer_flush(ring), 0);
	tail = atomic_load(&ring_shared(ring)->tail);
	ck_assert_uint_gt(tail + RUN, runs.capacity);

	ck_assert_int_eq(ring_reserve_run(ring, RUN, &run), 0);
	ck_assert_uint_eq(run.offset, 0);
	ck_assert_int_eq(ring_run_end(ring, &run), 0);
	ck_assert_int_eq(ring_reserve(ring, 100, &rec), 0);
	ck_assert_uint_eq(rec.offset, tail);
	ck_assert_int_eq(ring_cancel(ring, &rec), 0);

	/* Now carve one: the consumer steps the filler to the end and finds it at 0. */
	ck_assert_int_eq(ring_reserve_run(ring, RUN, &run), 0);
	ck_assert_uint_eq(run.offset, 0);
	memset(run.data + 40, 0x45, 60);
	ck_assert_int_eq(ring_carve(ring, &run, run.data + 40, 60, &rec), 0);
	ck_assert_int_eq(ring_run_end(ring, &run), 1);
	ck_assert_int_eq(ring_publish(ring), 1);
	ck_assert_int_eq(ring_peek(ring, &got), 0);
	ck_assert_ptr_eq(got.payload, run.data + 40);
	ck_assert_uint_eq(got.size, 60);
	ck_assert_int_eq(ring_release(ring, &got), 0);
	ring_free(ring);
}
END_TEST

/* An open run holds back what follows it; what precedes it is published. */
START_TEST(test_open_run_holds_publication)
{
	struct ring *ring = make(&runs);
	struct ring_run a, b;
	struct ring_rec before, inside, after, got;

	ck_assert_int_eq(ring_reserve(ring, 200, &before), 0);
	ck_assert_int_eq(ring_commit(ring, &before), 0);
	ck_assert_int_eq(ring_reserve_run(ring, 8192, &a), 0);
	ck_assert_int_eq(ring_reserve_run(ring, 8192, &b), 0);
	ck_assert_int_eq(ring_carve(ring, &a, a.data + 100, 300, &inside), 0);
	ck_assert_int_eq(ring_reserve(ring, 200, &after), 0);
	ck_assert_int_eq(ring_commit(ring, &after), 0);
	ck_assert_int_eq(ring_publish(ring), 1);
	ck_assert_int_eq(ring_peek(ring, &got), 0);
	ck_assert_uint_eq(got.offset, before.offset);
	ck_assert_int_eq(ring_peek(ring, &got), -EAGAIN);
	/* Ending a but not b publishes a's record only. */
	ck_assert_int_eq(ring_run_end(ring, &a), 1);
	ck_assert_int_eq(ring_publish(ring), 1);
	ck_assert_int_eq(ring_peek(ring, &got), 0);
	ck_assert_ptr_eq(got.payload, a.data + 100);
	ck_assert_int_eq(ring_peek(ring, &got), -EAGAIN);
	ck_assert_int_eq(ring_run_end(ring, &b), 0);
	ck_assert_int_eq(ring_publish(ring), 1);
	ck_assert_int_eq(ring_peek(ring, &got), 0);
	ck_assert_uint_eq(got.offset, after.offset);
	/* Ended runs are not runs any more. */
	ck_assert_int_eq(ring_run_end(ring, &a), -EINVAL);
	ck_assert_int_eq(ring_carve(ring, &b, b.data, 10, &got), -EINVAL);
	ring_free(ring);
}
END_TEST

START_TEST(test_errors)
{
	struct ring_params p = runs;
	const char *msg;
	struct ring *ring;
	struct ring_run run;
	struct ring_rec rec;

	p.max_run = RING_MAX_RUN + 1;
	ck_assert_int_eq(ring_params_check(&p, &msg), -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "max_run"));
	p.max_run = RUN;
	p.capacity = 1u << 16;
	ck_assert_int_eq(ring_params_check(&p, &msg), -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "two maximum-size runs"));

	p = runs;
	p.max_run = 0;
	ring = make(&p);
	ck_assert_int_eq(ring_reserve_run(ring, 1000, &run), -EINVAL);
	ring_free(ring);

	ring = make(&runs);
	ck_assert_int_eq(ring_reserve_run(ring, RUN + 1, &run), -EMSGSIZE);
	ck_assert_int_eq(ring_reserve_run(ring, 0, &run), -EMSGSIZE);
	ck_assert_int_eq(ring_reserve_run(ring, 4096, &run), 0);
	ck_assert_int_eq(ring_carve(ring, &run, run.data - 1, 10, &rec), -EINVAL);
	ck_assert_int_eq(ring_carve(ring, &run, run.data + run.len - 9, 10, &rec), -EINVAL);
	ck_assert_int_eq(ring_carve(ring, &run, run.data, 1501, &rec), -EMSGSIZE);
	ck_assert_int_eq(ring_carve(ring, &run, run.data + 200, 100, &rec), 0);
	/* Before, or on top of, the record carved last. */
	ck_assert_int_eq(ring_carve(ring, &run, run.data + 100, 10, &rec), -ENOSPC);
	ck_assert_int_eq(ring_carve(ring, &run, run.data + 301, 10, &rec), -ENOSPC);
	ck_assert_uint_gt(ring_carve_shortfall(ring, &run, run.data + 301), 0);
	ck_assert_uint_eq(ring_carve_shortfall(ring, &run, run.data + 400), 0);
	ck_assert_int_eq(ring_run_end(ring, &run), 1);
	ring_free(ring);
}
END_TEST

/* Carved words the consumer must refuse: each one poisons the ring. */
static const struct {
	const char *name;
	bool ring_has_runs;
	uint32_t word;
} bad_words[] = {
	{ "carved in a ring without runs", false, RING_SIZE_CARVED | 100 },
	{ "gap of a whole unit", true, RING_SIZE_CARVED | 16u << RING_CARVED_GAP_SHIFT | 100 },
	{ "reserved bits", true, RING_SIZE_CARVED | 1u << 24 | 100 },
	{ "over max_payload", true, RING_SIZE_CARVED | 1501 },
	{ "runs past the tail", true, RING_SIZE_CARVED | 1400 },
	{ "filler longer than a run", true, RING_SIZE_FILLER | (2 * RUN) },
};

START_TEST(test_corrupt_words)
{
	struct ring_params p = runs;
	struct ring *ring;
	struct ring_rec rec;

	p.max_run = bad_words[_i].ring_has_runs ? RUN : 0;
	ring = make(&p);
	/* A one-unit record's worth of tail, with the forged word at offset 0. */
	atomic_store((_Atomic uint32_t *)(void *)ring_shared(ring)->data, bad_words[_i].word);
	atomic_store(&ring_shared(ring)->tail, 64);
	ck_assert_int_eq(ring_peek(ring, &rec), -EBADMSG);
	ck_assert(ring_is_poisoned(ring));
	ring_free(ring);
}
END_TEST

static Suite *ring_run_suite(void)
{
	Suite *s = suite_create("ring_run");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_carve_shapes, 0, sizeof(shapes) / sizeof(shapes[0]));
	tcase_add_test(tc, test_unused_end_returns);
	tcase_add_test(tc, test_cancel_and_wrap);
	tcase_add_test(tc, test_open_run_holds_publication);
	tcase_add_test(tc, test_errors);
	tcase_add_loop_test(tc, test_corrupt_words, 0, sizeof(bad_words) / sizeof(bad_words[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_run_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
