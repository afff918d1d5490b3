/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ring under abuse and under load:
 *  - corruption: over a million random corruptions of the shared head, tail and size
 *    words, each followed by calls on both sides; only documented return codes, every
 *    record handed out lies inside the allocation (ASan checks the bytes), and a
 *    poisoned handle stays poisoned;
 *  - two threads: ten million records of random sizes with shrinks, cancels,
 *    out-of-order commit and release, each carrying its sequence number and a pattern
 *    the consumer checks: nothing lost, nothing corrupted, all in order;
 *  - missed wakeups: a hundred thousand sleep/publish cycles with the consumer asleep
 *    (or just about to be), each of which must wake it.
 * Seeds are fixed and printed, so a failure can be replayed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ring/ring.h"

/*
 * For hot loops: a passing ck_assert writes its location to Check's parent process (a
 * syscall each), which made a million iterations take a minute of kernel time.  This
 * one only calls into Check when the condition fails.
 */
#define expect(cond, ...)                                                                 \
	do {                                                                              \
		if (!(cond))                                                              \
			ck_abort_msg(__VA_ARGS__);                                        \
	} while (0)

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A shared area of exactly the documented size, so ASan sees every byte past it. */
struct pair {
	struct ring_params p;
	struct ring_shared *shared;
	size_t size;
	int fd;
	struct ring *prod, *cons;
};

static void pair_open(struct pair *pr, const struct ring_params *p)
{
	pr->p = *p;
	pr->size = ring_shared_size(p);
	pr->shared = calloc(1, pr->size);
	ck_assert_ptr_nonnull(pr->shared);
	pr->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(pr->fd, 0);
	ck_assert_int_eq(ring_attach(&pr->prod, p, pr->shared, pr->fd), 0);
	ck_assert_int_eq(ring_attach(&pr->cons, p, pr->shared, pr->fd), 0);
}

static void pair_close(struct pair *pr)
{
	ring_free(pr->prod);
	ring_free(pr->cons);
	free(pr->shared);
	close(pr->fd);
}

/* ---- corruption ---------------------------------------------------------------------- */

static const struct ring_params corrupt_params = {
	.capacity = 4096, .max_payload = 600, .lead = 16, .trail = 32, .align = 16,
};

static void check_rec(const struct pair *pr, const struct ring_rec *rec, bool write)
{
	const uint8_t *lo = pr->shared->data;
	const uint8_t *hi = (const uint8_t *)pr->shared + pr->size;
	uint8_t *start = rec->payload - pr->p.lead;
	size_t span = pr->p.lead + (size_t)rec->size + pr->p.trail;
	volatile uint8_t sink = 0;

	expect(start >= lo, "record starts before the data area");
	expect((uint8_t *)start + span <= hi, "record ends past the allocation");
	expect(rec->size <= pr->p.max_payload, "record size %u", rec->size);
	/* Touch every byte of the record: ASan is the judge of "inside". */
	if (write)
		memset(start, 0xa5, span);
	else
		for (size_t i = 0; i < span; i++)
			sink ^= start[i];
	(void)sink;
}

static bool one_of(int ret, const int *allowed)
{
	for (; *allowed != 1; allowed++)
		if (ret == *allowed)
			return true;
	return false;
}

static const int ok_reserve[] = { 0, -ENOBUFS, -EBADMSG, 1 };
static const int ok_change[] = { 0, -EINVAL, -EBADMSG, 1 };
static const int ok_peek[] = { 0, -EAGAIN, -EBADMSG, 1 };
static const int ok_wait[] = { 0, -ETIMEDOUT, -EAGAIN, -EBADMSG, -EINTR, 1 };

/* Random legitimate traffic on both sides; every result checked. */
static void traffic(struct pair *pr, uint64_t *rng)
{
	struct ring_rec held[8];
	int n = 0, ret;

	for (int i = (int)(xorshift(rng) % 6); i >= 0; i--) {
		struct ring_rec rec;

		ret = ring_reserve(pr->prod, (uint32_t)(xorshift(rng) % (pr->p.max_payload + 1)), &rec);
		expect(one_of(ret, ok_reserve), "reserve %d", ret);
		if (ret)
			break;
		check_rec(pr, &rec, true);
		switch (xorshift(rng) % 4) {
		case 0:
			ret = ring_shrink(pr->prod, &rec, rec.size / 2);
			expect(one_of(ret, ok_change), "shrink %d", ret);
			break;
		case 1:
			ret = ring_cancel(pr->prod, &rec);
			expect(one_of(ret, ok_change), "cancel %d", ret);
			continue;
		}
		ret = ring_commit(pr->prod, &rec);
		expect(one_of(ret, ok_change), "commit %d", ret);
	}
	ret = ring_publish(pr->prod);
	expect(ret >= 0 || ret == -EBADMSG, "publish %d", ret);
	while (n < 8 && (ret = ring_peek(pr->cons, &held[n])) == 0)
		check_rec(pr, &held[n++], false);
	expect(one_of(ret, ok_peek), "peek %d", ret);
	while (n--) {
		/* Out of order: the last peeked first. */
		ret = ring_release(pr->cons, &held[n]);
		expect(one_of(ret, ok_change), "release %d", ret);
	}
	ret = ring_consumer_flush(pr->cons);
	expect(one_of(ret, ok_change), "flush %d", ret);
	/* The sleep path too, now and then (it is a syscall, so not every round). */
	if (xorshift(rng) % 16 == 0) {
		ret = ring_wait(pr->cons, 0);
		expect(one_of(ret, ok_wait), "wait %d", ret);
	}
}

static void corrupt(struct pair *pr, uint64_t *rng)
{
	uint64_t r = xorshift(rng);
	uint32_t v, cap = pr->p.capacity;
	_Atomic uint32_t *field;

	switch (r % 8) {
	case 0: v = (uint32_t)xorshift(rng); break;			/* anything */
	case 1: v = cap + (uint32_t)(xorshift(rng) % 64); break;	/* just past the end */
	case 2: v = (uint32_t)(xorshift(rng) % cap) | 1; break;	/* misaligned */
	case 3: v = (uint32_t)(xorshift(rng) % cap) & ~15u; break;	/* plausible offset */
	case 4: v = RING_SIZE_BUSY | (uint32_t)(xorshift(rng) % 700); break;
	case 5: v = RING_SIZE_FILLER | (uint32_t)(xorshift(rng) % 5000); break;
	case 6: v = (uint32_t)(xorshift(rng) % 2000); break;		/* sizes past tail */
	default: v = 0xffffffffu; break;
	}
	switch ((r >> 8) % 4) {
	case 0:
		field = &pr->shared->head;
		break;
	case 1:
		field = &pr->shared->tail;
		break;
	default:
		/* A size word at a record-aligned offset somewhere in the data area. */
		field = (_Atomic uint32_t *)(void *)(pr->shared->data +
						     ((xorshift(rng) % cap) & ~15u));
	}
	if ((r >> 16) % 3 == 0)
		v = atomic_load(field) ^ (1u << ((r >> 20) % 32));	/* or one bit flip */
	atomic_store(field, v);
}

static void expect_dead(struct pair *pr, struct ring *side)
{
	struct ring_rec rec;

	if (side == pr->prod) {
		expect(ring_reserve(side, 10, &rec) == -EBADMSG, "poisoned producer reserved");
		expect(ring_publish(side) == -EBADMSG, "poisoned producer published");
	} else {
		expect(ring_peek(side, &rec) == -EBADMSG, "poisoned consumer peeked");
		expect(ring_consumer_flush(side) == -EBADMSG, "poisoned consumer flushed");
	}
}

START_TEST(test_corruption)
{
	const unsigned iterations = 1000000;
	uint64_t rng = 0x5eed0001u;
	unsigned poisoned = 0;
	struct pair pr;

	fprintf(stderr, "corruption: seed 0x%llx, %u corruptions\n", (unsigned long long)rng,
		iterations);
	pair_open(&pr, &corrupt_params);
	for (unsigned i = 0; i < iterations; i++) {
		struct ring_stats ps, cs;

		traffic(&pr, &rng);
		corrupt(&pr, &rng);
		traffic(&pr, &rng);
		ring_get_stats(pr.prod, &ps);
		ring_get_stats(pr.cons, &cs);
		/* A side that saw the damage stays dead, whatever else gets scribbled. */
		if (ps.poisoned)
			expect_dead(&pr, pr.prod);
		if (cs.poisoned)
			expect_dead(&pr, pr.cons);
		if (ps.poisoned || cs.poisoned || xorshift(&rng) % 1024 == 0) {
			poisoned += ps.poisoned || cs.poisoned;
			pair_close(&pr);
			pair_open(&pr, &corrupt_params);
		}
	}
	pair_close(&pr);
	fprintf(stderr, "corruption: %u poisonings detected\n", poisoned);
	/* Most corruptions land in free space and are overwritten; a good share must not be. */
	ck_assert_uint_gt(poisoned, iterations / 20);
}
END_TEST

/* ---- two threads ----------------------------------------------------------------------- */

enum { STRESS_MIN = 12, STRESS_MAX = 1500, STRESS_BATCH = 16, STALL_S = 20 };

static const struct ring_params stress_params = {
	.capacity = 1u << 16, .max_payload = STRESS_MAX, .lead = 32, .trail = 48, .align = 16,
};

struct stress {
	struct pair pr;
	uint64_t records;
	_Atomic uint64_t received;
	_Atomic bool failed;
	char why[160];
};

/* Payload: seq (8), len (4), then bytes derived from both; the consumer recomputes. */
static void stamp(uint8_t *p, uint32_t len, uint64_t seq)
{
	memcpy(p, &seq, 8);
	memcpy(p + 8, &len, 4);
	for (uint32_t i = 12; i < len; i++)
		p[i] = (uint8_t)(seq * 131 + i * 7);
}

static bool stamp_ok(const uint8_t *p, uint32_t len, uint64_t seq)
{
	uint64_t got_seq;
	uint32_t got_len;

	memcpy(&got_seq, p, 8);
	memcpy(&got_len, p + 8, 4);
	if (got_seq != seq || got_len != len)
		return false;
	for (uint32_t i = 12; i < len; i++)
		if (p[i] != (uint8_t)(seq * 131 + i * 7))
			return false;
	return true;
}

static uint32_t stress_size(uint64_t *rng)
{
	uint64_t r = xorshift(rng);

	switch (r % 8) {
	case 0: return STRESS_MIN + (uint32_t)(r >> 8) % 8;	/* tiny */
	case 1: return STRESS_MAX;				/* the maximum */
	default: return STRESS_MIN + (uint32_t)((r >> 8) % 400);
	}
}

static void shuffle(struct ring_rec *r, int n, uint64_t *rng)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(xorshift(rng) % (uint64_t)(i + 1));
		struct ring_rec t = r[i];

		r[i] = r[j];
		r[j] = t;
	}
}

static void fail_stress(struct stress *st, const char *why)
{
	snprintf(st->why, sizeof(st->why), "%s", why);
	atomic_store(&st->failed, true);
}

static void *stress_producer(void *arg)
{
	struct stress *st = arg;
	struct ring *ring = st->pr.prod;
	struct ring_rec batch[STRESS_BATCH];
	uint64_t rng = 0xfeedface12345ull, seq = 0;
	double last = now_s();

	while (seq < st->records && !atomic_load(&st->failed)) {
		int want = 1 + (int)(xorshift(&rng) % STRESS_BATCH), n = 0;

		while (n < want && seq + (uint64_t)n < st->records) {
			uint32_t size = stress_size(&rng);
			int ret = ring_reserve(ring, size, &batch[n]);

			if (ret == -ENOBUFS)
				break;
			if (ret) {
				fail_stress(st, "producer: reserve failed");
				return NULL;
			}
			n++;
		}
		/* Shrink some (the last one gives space back, earlier ones leave fillers). */
		for (int i = 0; i < n; i++)
			if (xorshift(&rng) % 4 == 0)
				ring_shrink(ring, &batch[i], STRESS_MIN + batch[i].size / 3);
		/* Cancel the tail of the batch sometimes: those were never sent. */
		while (n > 0 && xorshift(&rng) % 8 == 0)
			ring_cancel(ring, &batch[--n]);
		for (int i = 0; i < n; i++)
			stamp(batch[i].payload, batch[i].size, seq + (uint64_t)i);
		seq += (uint64_t)n;
		shuffle(batch, n, &rng);
		for (int i = 0; i < n; i++)
			ring_commit(ring, &batch[i]);
		if (ring_publish(ring) < 0) {
			fail_stress(st, "producer: publish failed");
			return NULL;
		}
		if (n) {
			last = now_s();
		} else {
			if (now_s() - last > STALL_S) {
				fail_stress(st, "producer: no room for 20 s");
				return NULL;
			}
			sched_yield();
		}
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *st = arg;
	struct ring *ring = st->pr.cons;
	struct ring_rec held[STRESS_BATCH];
	uint64_t rng = 0xc0ffee77ull, expect = 0;
	double last = now_s();

	while (expect < st->records && !atomic_load(&st->failed)) {
		int want = 1 + (int)(xorshift(&rng) % STRESS_BATCH), n = 0, ret = 0;

		while (n < want && (ret = ring_peek(ring, &held[n])) == 0) {
			if (!stamp_ok(held[n].payload, held[n].size, expect)) {
				fail_stress(st, "consumer: record lost, corrupt or out of order");
				return NULL;
			}
			expect++;
			n++;
		}
		if (ret && ret != -EAGAIN) {
			fail_stress(st, "consumer: peek failed");
			return NULL;
		}
		shuffle(held, n, &rng);
		for (int i = 0; i < n; i++)
			ring_release(ring, &held[i]);
		if (xorshift(&rng) % 16 == 0)
			ring_consumer_flush(ring);
		atomic_store_explicit(&st->received, expect, memory_order_relaxed);
		if (n) {
			last = now_s();
		} else {
			ret = ring_wait(ring, 100);
			if (ret == -EBADMSG || now_s() - last > STALL_S) {
				fail_stress(st, "consumer: ring dead or no record for 20 s");
				return NULL;
			}
		}
	}
	return NULL;
}

START_TEST(test_two_threads)
{
	struct stress *st = calloc(1, sizeof(*st));
	pthread_t prod, cons;

	st->records = 10000000;
	fprintf(stderr, "two threads: %llu records\n", (unsigned long long)st->records);
	pair_open(&st->pr, &stress_params);
	ck_assert_int_eq(pthread_create(&cons, NULL, stress_consumer, st), 0);
	ck_assert_int_eq(pthread_create(&prod, NULL, stress_producer, st), 0);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	ck_assert_msg(!atomic_load(&st->failed), "%s (after %llu records)", st->why,
		      (unsigned long long)atomic_load(&st->received));
	ck_assert_uint_eq(atomic_load(&st->received), st->records);
	pair_close(&st->pr);
	free(st);
}
END_TEST

/* ---- missed wakeups ---------------------------------------------------------------------- */

struct wake {
	struct pair pr;
	unsigned cycles;
	_Atomic unsigned consumed;
	_Atomic unsigned misses;
	_Atomic bool abort;
};

static void *wake_consumer(void *arg)
{
	struct wake *w = arg;
	struct ring_rec rec;

	for (unsigned i = 0; i < w->cycles && !atomic_load(&w->abort); i++) {
		double start = now_s();

		/*
		 * Sleep until this cycle's record arrives.  The wait may report success
		 * after its timeout too (the record was there by then), so a miss is judged
		 * by time: only the 2 s timeout ends a wait that late.
		 */
		for (;;) {
			int ret = ring_wait(w->pr.cons, 2000);

			if (now_s() - start > 1.5 || ret == -ETIMEDOUT || ret == -EBADMSG) {
				atomic_fetch_add(&w->misses, 1);
				atomic_store(&w->abort, true);
				return NULL;
			}
			if (ret == 0 && ring_peek(w->pr.cons, &rec) == 0)
				break;
		}
		ring_release(w->pr.cons, &rec);
		ring_consumer_flush(w->pr.cons);
		atomic_store(&w->consumed, i + 1);
	}
	return NULL;
}

START_TEST(test_missed_wakeup)
{
	static const struct ring_params p = {
		.capacity = 4096, .max_payload = 64, .lead = 0, .trail = 0, .align = 4,
	};
	struct wake *w = calloc(1, sizeof(*w));
	pthread_t cons;

	w->cycles = 100000;
	pair_open(&w->pr, &p);
	ck_assert_int_eq(pthread_create(&cons, NULL, wake_consumer, w), 0);
	for (unsigned i = 0; i < w->cycles && !atomic_load(&w->abort); i++) {
		struct ring_rec rec;
		double deadline = now_s() + 5;

		/*
		 * Wait for the consumer to finish the last cycle.  On even cycles also wait
		 * until it announced it sleeps; on odd ones publish at once, racing its way
		 * into the sleep: a publish that lands between its last look and its sleep
		 * is the case a lost-wakeup bug gets wrong.
		 */
		while ((atomic_load(&w->consumed) != i ||
			(!(i & 1) && !atomic_load(&w->pr.shared->alertable))) &&
		       now_s() < deadline && !atomic_load(&w->abort))
			;
		expect(now_s() < deadline, "consumer never went to sleep (cycle %u)", i);
		expect(ring_reserve(w->pr.prod, 8, &rec) == 0, "reserve (cycle %u)", i);
		memcpy(rec.payload, &i, sizeof(i));
		expect(ring_commit(w->pr.prod, &rec) == 0, "commit (cycle %u)", i);
		expect(ring_publish(w->pr.prod) == 1, "publish (cycle %u)", i);
	}
	pthread_join(cons, NULL);
	ck_assert_uint_eq(atomic_load(&w->misses), 0);
	ck_assert_uint_eq(atomic_load(&w->consumed), w->cycles);
	pair_close(&w->pr);
	free(w);
}
END_TEST

static Suite *ring_stress_suite(void)
{
	Suite *s = suite_create("ring_stress");
	TCase *bad = tcase_create("corruption");
	TCase *load = tcase_create("two_threads");
	TCase *wake = tcase_create("missed_wakeup");

	tcase_set_timeout(bad, 600);
	tcase_add_test(bad, test_corruption);
	suite_add_tcase(s, bad);
	tcase_set_timeout(load, 600);
	tcase_add_test(load, test_two_threads);
	suite_add_tcase(s, load);
	tcase_set_timeout(wake, 600);
	tcase_add_test(wake, test_missed_wakeup);
	suite_add_tcase(s, wake);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_stress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
