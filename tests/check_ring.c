/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ring verbs and edges: parameter checks, Wintun byte layout, empty/full, wrap, shrink of
 * the last and of an earlier record, cancel, out-of-order commit and release, zero and
 * maximum sizes, the ip_only filter, poisoning, and the packet-view verbs.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring/pkt.h"
#include "ring/ring.h"

static const struct ring_params small = {
	.capacity = 4096, .max_payload = 1500, .lead = 32, .trail = 48, .align = 16,
};

static uint32_t fp_of(const struct ring_params *p, uint32_t size)
{
	uint32_t v = 4 + p->lead + size + p->trail;

	return (v + p->align - 1) & ~(uint32_t)(p->align - 1);
}

static struct ring *make(const struct ring_params *p)
{
	struct ring *ring = NULL;

	ck_assert_int_eq(ring_new(&ring, p), 0);
	return ring;
}

static void produce(struct ring *ring, uint32_t size, uint8_t fill)
{
	struct ring_rec rec;

	ck_assert_int_eq(ring_reserve(ring, size, &rec), 0);
	memset(rec.payload, fill, size);
	ck_assert_int_eq(ring_commit(ring, &rec), 0);
}

static void expect_record(struct ring *ring, uint32_t size, uint8_t fill, bool release)
{
	struct ring_rec rec;

	uint32_t bad = size;

	ck_assert_int_eq(ring_peek(ring, &rec), 0);
	ck_assert_uint_eq(rec.size, size);
	/* One assertion per record, not per byte: each passing ck_assert costs a syscall. */
	for (uint32_t i = 0; i < size && bad == size; i++)
		if (rec.payload[i] != fill)
			bad = i;
	ck_assert_msg(bad == size, "byte %u is %u, not %u", bad, rec.payload[bad], fill);
	if (release)
		ck_assert_int_eq(ring_release(ring, &rec), 0);
}

static const struct {
	struct ring_params p;
	int expect;
} params_table[] = {
	{ { 4096, 1500, 0, 0, 4, false, 0 }, 0 },
	{ { 1u << 17, 0xffff, 0, 0, 4, false, 0 }, 0 },
	{ { 1u << 30, 0xffff, 256, 256, 64, false, 0 }, 0 },
	{ { 1u << 16, 1500, 16, 16384, 16, true, 0 }, 0 },	/* HDLC: the escaped worst case */
	{ { 3000, 1500, 0, 0, 4, false, 0 }, -EINVAL },	/* not a power of two */
	{ { 2048, 1000, 0, 0, 4, false, 0 }, -EINVAL },	/* below the minimum */
	{ { 1u << 31, 1500, 0, 0, 4, false, 0 }, -EINVAL },	/* above the maximum */
	{ { 4096, 1500, 0, 0, 2, false, 0 }, -EINVAL },	/* alignment below 4 */
	{ { 4096, 1500, 0, 0, 12, false, 0 }, -EINVAL },	/* alignment not a power of two */
	{ { 4096, 1500, 0, 0, 128, false, 0 }, -EINVAL },	/* alignment above 64 */
	{ { 4096, 1500, 257, 0, 4, false, 0 }, -EINVAL },	/* lead too large */
	{ { 1u << 16, 1500, 0, 16385, 4, false, 0 }, -EINVAL },	/* trail too large */
	{ { 4096, 0, 0, 0, 4, false, 0 }, -EINVAL },	/* no payload */
	{ { 1u << 17, 0x10000, 0, 0, 4, false, 0 }, -EINVAL }, /* payload above 64 KiB - 1 */
	{ { 4096, 4090, 0, 0, 4, false, 0 }, -EINVAL },	/* one record would not fit */
};

START_TEST(test_params)
{
	struct ring *ring = NULL;
	const char *msg = NULL;
	int ret = ring_params_check(&params_table[_i].p, &msg);

	ck_assert_int_eq(ret, params_table[_i].expect);
	if (ret)
		ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(ring_new(&ring, &params_table[_i].p), params_table[_i].expect);
	ring_free(ring);
}
END_TEST

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Wintun's TUN_RING {Head, Tail, Alertable, Data[]} and TUN_PACKET {Size, Data[]}. */
START_TEST(test_wintun_layout)
{
	const struct ring_params p = { 1u << 17, 0xffff, 0, 0, 4, false, 0 };
	static const uint32_t sizes[] = { 1, 20, 64, 0, 1500 };
	struct ring *ring = make(&p);
	const uint8_t *bytes = (const uint8_t *)ring_shared(ring);
	uint32_t off = 0;

	/* RingSize = sizeof(TUN_RING) + Capacity + TUN_MAX_PACKET_SIZE - TUN_ALIGNMENT. */
	ck_assert_uint_eq(ring_shared_size(&p), 12 + (1u << 17) + 0x10004 - 4);
	ck_assert_uint_eq(offsetof(struct ring_shared, data), 12);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		produce(ring, sizes[i], (uint8_t)(0xa0 + i));
	ck_assert_int_eq(ring_publish(ring), 5);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_uint_eq(le32(bytes + 12 + off), sizes[i]);
		for (uint32_t b = 0; b < sizes[i]; b++)
			ck_assert_uint_eq(bytes[12 + off + 4 + b], 0xa0 + i);
		off += (4 + sizes[i] + 3) & ~3u;	/* TUN_ALIGN(sizeof(TUN_PACKET) + Size) */
	}
	ck_assert_uint_eq(le32(bytes + 0), 0);	/* Head */
	ck_assert_uint_eq(le32(bytes + 4), off);	/* Tail */
	ck_assert_uint_eq(le32(bytes + 8), 0);	/* Alertable */
	ring_free(ring);
}
END_TEST

START_TEST(test_empty)
{
	struct ring *ring = make(&small);
	struct ring_rec rec;

	ck_assert_int_eq(ring_peek(ring, &rec), -EAGAIN);
	ck_assert_int_eq(ring_publish(ring), 0);
	ck_assert_int_eq(ring_peek(ring, &rec), -EAGAIN);
	/* Committed but not published is still empty to the consumer. */
	produce(ring, 100, 1);
	ck_assert_int_eq(ring_peek(ring, &rec), -EAGAIN);
	ck_assert_int_eq(ring_publish(ring), 1);
	expect_record(ring, 100, 1, true);
	ck_assert_int_eq(ring_peek(ring, &rec), -EAGAIN);
	ring_free(ring);
}
END_TEST

START_TEST(test_full_and_back_pressure)
{
	struct ring *ring = make(&small);
	struct ring_stats st;
	struct ring_rec rec;
	uint32_t fp = fp_of(&small, 1000), n = 0;

	while (ring_reserve(ring, 1000, &rec) == 0) {
		ck_assert_int_eq(ring_commit(ring, &rec), 0);
		n++;
	}
	/* One alignment unit always stays free. */
	ck_assert_uint_eq(n, (small.capacity - small.align) / fp);
	ck_assert_int_eq(ring_reserve(ring, 1000, &rec), -ENOBUFS);
	ring_get_stats(ring, &st);
	ck_assert_uint_eq(st.full, 2);
	ck_assert_int_eq(ring_publish(ring), (int)n);
	/* Releasing one record (and flushing the head) makes room for exactly one more. */
	expect_record(ring, 1000, 0, true);
	ck_assert_int_eq(ring_consumer_flush(ring), 0);
	ck_assert_int_eq(ring_reserve(ring, 1000, &rec), 0);
	ring_free(ring);
}
END_TEST

/* Runs many rounds of mixed sizes so records start at every offset and cross the end. */
START_TEST(test_wrap_contiguous)
{
	struct ring *ring = make(&small);
	const uint8_t *data = ring_shared(ring)->data;
	uint32_t crossed = 0;

	for (uint32_t i = 0; i < 2000; i++) {
		uint32_t size = 1 + (i * 397) % small.max_payload;
		struct ring_rec rec;

		ck_assert_int_eq(ring_reserve(ring, size, &rec), 0);
		ck_assert(rec.payload - small.lead >= data);
		if (rec.offset + fp_of(&small, size) > small.capacity)
			crossed++;
		memset(rec.payload - small.lead, (uint8_t)i, small.lead + size + small.trail);
		ck_assert_int_eq(ring_commit(ring, &rec), 0);
		ck_assert_int_eq(ring_publish(ring), 1);
		expect_record(ring, size, (uint8_t)i, true);
	}
	ck_assert_uint_gt(crossed, 10);
	ring_free(ring);
}
END_TEST

START_TEST(test_shrink_last_returns_space)
{
	struct ring *ring = make(&small);
	struct ring_rec a, b;

	ck_assert_int_eq(ring_reserve(ring, 1500, &a), 0);
	ck_assert_int_eq(ring_shrink(ring, &a, 60), 0);
	ck_assert_uint_eq(a.size, 60);
	ck_assert_int_eq(ring_reserve(ring, 10, &b), 0);
	/* The next record starts right after the shrunk footprint. */
	ck_assert_uint_eq(b.offset, fp_of(&small, 60));
	ck_assert_int_eq(ring_shrink(ring, &a, 61), -EINVAL);	/* never grows */
	ring_free(ring);
}
END_TEST

START_TEST(test_shrink_not_last_leaves_filler)
{
	struct ring *ring = make(&small);
	struct ring_stats st;
	struct ring_rec a, b;

	ck_assert_int_eq(ring_reserve(ring, 1500, &a), 0);
	ck_assert_int_eq(ring_reserve(ring, 200, &b), 0);
	ck_assert_uint_eq(b.offset, fp_of(&small, 1500));
	memset(a.payload, 0xaa, 1500);
	memset(b.payload, 0xbb, 200);
	ck_assert_int_eq(ring_shrink(ring, &a, 100), 0);
	ck_assert_int_eq(ring_commit(ring, &b), 0);
	ck_assert_int_eq(ring_commit(ring, &a), 0);
	ck_assert_int_eq(ring_publish(ring), 2);
	expect_record(ring, 100, 0xaa, true);
	expect_record(ring, 200, 0xbb, true);
	ring_get_stats(ring, &st);
	ck_assert_uint_eq(st.fillers, 1);
	ck_assert_uint_eq(st.consumed, 2);
	ring_free(ring);
}
END_TEST

START_TEST(test_cancel)
{
	struct ring *ring = make(&small);
	struct ring_stats st;
	struct ring_rec a, b, c;

	/* Cancelling the last reservation gives its space back. */
	ck_assert_int_eq(ring_reserve(ring, 500, &a), 0);
	ck_assert_int_eq(ring_cancel(ring, &a), 0);
	ck_assert_int_eq(ring_reserve(ring, 500, &a), 0);
	ck_assert_uint_eq(a.offset, 0);
	/* Cancelling an earlier one leaves a filler; commit after cancel is refused. */
	ck_assert_int_eq(ring_reserve(ring, 300, &b), 0);
	ck_assert_int_eq(ring_reserve(ring, 300, &c), 0);
	memset(a.payload, 1, 500);
	memset(c.payload, 3, 300);
	ck_assert_int_eq(ring_cancel(ring, &b), 0);
	ck_assert_int_eq(ring_commit(ring, &b), -EINVAL);
	ck_assert_int_eq(ring_commit(ring, &a), 0);
	ck_assert_int_eq(ring_commit(ring, &c), 0);
	ck_assert_int_eq(ring_commit(ring, &c), -EINVAL);	/* twice */
	ck_assert_int_eq(ring_publish(ring), 2);
	expect_record(ring, 500, 1, true);
	expect_record(ring, 300, 3, true);
	ring_get_stats(ring, &st);
	ck_assert_uint_eq(st.fillers, 1);
	ring_free(ring);
}
END_TEST

/* A batch reserved for recvmmsg and only partly filled gives the rest back, last first. */
START_TEST(test_cancel_batch_in_reverse)
{
	struct ring *ring = make(&small);
	struct ring_stats st;
	struct ring_rec r[5], next;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(ring_reserve(ring, 200, &r[i]), 0);
	ck_assert_int_eq(ring_commit(ring, &r[0]), 0);
	for (int i = 4; i >= 1; i--)
		ck_assert_int_eq(ring_cancel(ring, &r[i]), 0);
	ck_assert_int_eq(ring_reserve(ring, 10, &next), 0);
	ck_assert_uint_eq(next.offset, fp_of(&small, 200));
	ck_assert_int_eq(ring_commit(ring, &next), 0);
	ck_assert_int_eq(ring_publish(ring), 2);
	expect_record(ring, 200, r[0].payload[0], true);
	ring_get_stats(ring, &st);
	ck_assert_uint_eq(st.fillers, 0);
	ring_free(ring);
}
END_TEST

START_TEST(test_commit_out_of_order)
{
	struct ring *ring = make(&small);
	struct ring_rec r[4];
	struct ring_rec got;

	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(ring_reserve(ring, 64, &r[i]), 0);
		memset(r[i].payload, i, 64);
	}
	ck_assert_int_eq(ring_commit(ring, &r[3]), 0);
	ck_assert_int_eq(ring_commit(ring, &r[1]), 0);
	ck_assert_int_eq(ring_publish(ring), 0);	/* r[0] holds everything back */
	ck_assert_int_eq(ring_peek(ring, &got), -EAGAIN);
	ck_assert_int_eq(ring_commit(ring, &r[0]), 0);
	ck_assert_int_eq(ring_publish(ring), 2);	/* r[0], r[1]; r[2] still open */
	ck_assert_int_eq(ring_commit(ring, &r[2]), 0);
	ck_assert_int_eq(ring_publish(ring), 2);
	for (int i = 0; i < 4; i++)
		expect_record(ring, 64, (uint8_t)i, true);
	ring_free(ring);
}
END_TEST

START_TEST(test_release_out_of_order)
{
	struct ring *ring = make(&small);
	struct ring_shared *sh = ring_shared(ring);
	struct ring_rec r[3];

	for (int i = 0; i < 3; i++)
		produce(ring, 64, (uint8_t)i);
	ck_assert_int_eq(ring_publish(ring), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ring_peek(ring, &r[i]), 0);
	ck_assert_int_eq(ring_release(ring, &r[2]), 0);
	ck_assert_int_eq(ring_release(ring, &r[1]), 0);
	ck_assert_int_eq(ring_release(ring, &r[1]), -EINVAL);	/* twice */
	ck_assert_int_eq(ring_consumer_flush(ring), 0);
	ck_assert_uint_eq(atomic_load(&sh->head), 0);	/* r[0] still held */
	ck_assert_int_eq(ring_release(ring, &r[0]), 0);
	ck_assert_int_eq(ring_consumer_flush(ring), 0);
	ck_assert_uint_eq(atomic_load(&sh->head), 3 * fp_of(&small, 64));
	ring_free(ring);
}
END_TEST

START_TEST(test_zero_and_max_size)
{
	struct ring *ring = make(&small);
	struct ring_rec rec;

	produce(ring, 0, 0);
	produce(ring, small.max_payload, 0x5a);
	ck_assert_int_eq(ring_reserve(ring, small.max_payload + 1, &rec), -EMSGSIZE);
	ck_assert_int_eq(ring_publish(ring), 2);
	expect_record(ring, 0, 0, true);
	expect_record(ring, small.max_payload, 0x5a, true);
	ring_free(ring);
}
END_TEST

START_TEST(test_ip_only_skips_non_ip)
{
	struct ring_params p = small;
	struct ring_stats st;
	struct ring_rec rec;
	struct ring *ring;

	p.ip_only = true;
	ring = make(&p);
	produce(ring, 40, 0x45);	/* IPv4 */
	produce(ring, 10, 0x45);	/* too short for IPv4 */
	produce(ring, 60, 0x00);	/* version 0 */
	produce(ring, 40, 0x60);	/* IPv6 */
	produce(ring, 39, 0x60);	/* too short for IPv6 */
	ck_assert_int_eq(ring_publish(ring), 5);
	expect_record(ring, 40, 0x45, true);
	expect_record(ring, 40, 0x60, true);
	ck_assert_int_eq(ring_peek(ring, &rec), -EAGAIN);
	ring_get_stats(ring, &st);
	ck_assert_uint_eq(st.skipped_non_ip, 3);
	ck_assert_uint_eq(atomic_load(&ring_shared(ring)->head), atomic_load(&ring_shared(ring)->tail));
	ring_free(ring);
}
END_TEST

START_TEST(test_poison)
{
	struct ring *ring = make(&small);
	struct ring_rec rec;

	produce(ring, 64, 1);
	ck_assert_int_eq(ring_publish(ring), 1);
	ring_poison(ring);
	ck_assert(ring_is_poisoned(ring));
	ck_assert_int_eq(ring_peek(ring, &rec), -EBADMSG);
	ck_assert_int_eq(ring_reserve(ring, 64, &rec), -EBADMSG);
	ck_assert_int_eq(ring_publish(ring), -EBADMSG);
	ck_assert_int_eq(ring_wait(ring, 0), -EBADMSG);
	ring_free(ring);
}
END_TEST

START_TEST(test_wait_timeout_and_ready)
{
	struct ring *ring = make(&small);

	ck_assert_int_eq(ring_wait(ring, 0), -ETIMEDOUT);
	produce(ring, 64, 1);
	ck_assert_int_eq(ring_publish(ring), 1);
	ck_assert_int_eq(ring_wait(ring, 1000), 0);
	ring_free(ring);
}
END_TEST

/* ---- packet view ------------------------------------------------------------------- */

enum pkt_op { PUSH, PULL, PUT, TRIM };

static const struct {
	enum pkt_op op;
	uint32_t n;
	bool ok;
	uint32_t headroom, len, tailroom;	/* after the operation */
} pkt_table[] = {
	/* start: headroom 32, len 100, tailroom 48 */
	{ PUSH, 8, true, 24, 108, 48 },
	{ PUSH, 25, false, 24, 108, 48 },
	{ PUSH, 24, true, 0, 132, 48 },
	{ PUSH, 1, false, 0, 132, 48 },
	{ PULL, 133, false, 0, 132, 48 },
	{ PULL, 32, true, 32, 100, 48 },
	{ PUT, 49, false, 32, 100, 48 },
	{ PUT, 16, true, 32, 116, 32 },
	{ TRIM, 117, false, 32, 116, 32 },
	{ TRIM, 100, true, 32, 100, 48 },
	{ PUT, 48, true, 32, 148, 0 },
	{ PUT, 1, false, 32, 148, 0 },
	{ TRIM, 0, true, 32, 0, 148 },
	{ PULL, 0, true, 32, 0, 148 },
	{ PULL, 1, false, 32, 0, 148 },
};

START_TEST(test_pkt_verbs)
{
	struct ring *ring = make(&small);
	struct ring_rec rec;
	struct pkt pkt;

	ck_assert_int_eq(ring_reserve(ring, 100, &rec), 0);
	pkt_from_rec(&pkt, ring, &rec);
	ck_assert_uint_eq(pkt_headroom(&pkt), 32);
	ck_assert_uint_eq(pkt_tailroom(&pkt), 48);
	for (size_t i = 0; i < sizeof(pkt_table) / sizeof(pkt_table[0]); i++) {
		struct pkt before = pkt;
		bool ok = false;

		switch (pkt_table[i].op) {
		case PUSH: ok = pkt_push(&pkt, pkt_table[i].n) != NULL; break;
		case PULL: ok = pkt_pull(&pkt, pkt_table[i].n) != NULL; break;
		case PUT: ok = pkt_put(&pkt, pkt_table[i].n) != NULL; break;
		case TRIM: ok = pkt_trim(&pkt, pkt_table[i].n) == 0; break;
		}
		ck_assert_msg(ok == pkt_table[i].ok, "row %zu", i);
		if (!ok)
			ck_assert_msg(!memcmp(&before, &pkt, sizeof(pkt)), "row %zu changed the view", i);
		ck_assert_uint_eq(pkt_headroom(&pkt), pkt_table[i].headroom);
		ck_assert_uint_eq(pkt.len, pkt_table[i].len);
		ck_assert_uint_eq(pkt_tailroom(&pkt), pkt_table[i].tailroom);
		ck_assert(pkt.data >= pkt.head);
		ck_assert(pkt_tail(&pkt) <= pkt.end);
	}
	/* A receive view placed inside the headroom, and one placed out of range. */
	ck_assert_int_eq(pkt_from_rec_at(&pkt, ring, &rec, -24), 0);
	ck_assert_uint_eq(pkt_headroom(&pkt), 8);
	ck_assert_uint_eq(pkt.len, 0);
	ck_assert_uint_eq(pkt_tailroom(&pkt), 24 + 100 + 48);
	ck_assert_int_eq(pkt_from_rec_at(&pkt, ring, &rec, -33), -EINVAL);
	ring_free(ring);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("verbs");

	tcase_add_loop_test(tc, test_params, 0, sizeof(params_table) / sizeof(params_table[0]));
	tcase_add_test(tc, test_wintun_layout);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_full_and_back_pressure);
	tcase_add_test(tc, test_wrap_contiguous);
	tcase_add_test(tc, test_shrink_last_returns_space);
	tcase_add_test(tc, test_shrink_not_last_leaves_filler);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_cancel_batch_in_reverse);
	tcase_add_test(tc, test_commit_out_of_order);
	tcase_add_test(tc, test_release_out_of_order);
	tcase_add_test(tc, test_zero_and_max_size);
	tcase_add_test(tc, test_ip_only_skips_non_ip);
	tcase_add_test(tc, test_poison);
	tcase_add_test(tc, test_wait_timeout_and_ready);
	tcase_add_test(tc, test_pkt_verbs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
