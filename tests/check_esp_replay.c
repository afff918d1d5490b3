/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The anti-replay window: table-driven edges (first packet, duplicates, both edges of
 * the window, jumps past the window and past 2^32, word-ring wrap, every size), invalid
 * sizes, and a randomized cross-check against an obviously correct model.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/esp-replay.h"

enum { OK = 0, DUP = REPLAY_DUPLICATE, OLD = REPLAY_TOO_OLD };

struct step {
	uint64_t seq;
	int expect;	/* replay_check result; on OK the step also updates */
};

struct scenario {
	const char *name;
	unsigned size;
	struct step steps[16];
};

#define END { 0, 99 }

static const struct scenario scenarios[] = {
	{ "zero is never valid", 64, { { 0, OLD }, { 1, OK }, { 0, OLD }, END } },
	{ "in order then duplicate", 64, { { 1, OK }, { 2, OK }, { 3, OK }, { 2, DUP }, { 3, DUP }, END } },
	{ "first packet far ahead", 64, { { 1000, OK }, { 937, OK }, { 936, OLD }, { 1000, DUP }, END } },
	{ "left edge of 64", 64, { { 100, OK }, { 37, OK }, { 36, OLD }, { 37, DUP }, END } },
	{ "out of order inside", 64, { { 10, OK }, { 5, OK }, { 7, OK }, { 5, DUP }, { 6, OK }, { 11, OK }, END } },
	{ "jump past the window forgets", 64, { { 5, OK }, { 200, OK }, { 5, OLD }, { 137, OK }, { 136, OLD }, END } },
	{ "jump of exactly one window", 64, { { 64, OK }, { 128, OK }, { 65, OK }, { 64, OLD }, END } },
	{ "jump past 2^32", 128, { { 1, OK }, { 0x100000005ull, OK }, { 0x100000005ull, DUP }, { 0xffffff86ull, OK }, { 0xffffff85ull, OLD }, END } },
	{ "word ring wraps", 64, { { 63, OK }, { 64, OK }, { 127, OK }, { 128, OK }, { 191, OK }, { 64, OLD }, { 128, DUP }, { 130, OK }, END } },
	/* 130 lands on the bit 2 used, in a recycled word: it must not look like a replay. */
	{ "bits of a recycled word are cleared", 64, { { 1, OK }, { 2, OK }, { 130, OK }, { 2, OLD }, { 129, OK }, { 67, OK }, { 66, OLD }, { 130, DUP }, { 67, DUP }, END } },
	{ "window 1024 edges", 1024, { { 5000, OK }, { 3977, OK }, { 3976, OLD }, { 4500, OK }, { 4500, DUP }, END } },
	{ "window 4096 edges", 4096, { { 10000, OK }, { 5905, OK }, { 5904, OLD }, { 9999, OK }, { 5905, DUP }, END } },
};

START_TEST(test_scenarios)
{
	const struct scenario *sc = &scenarios[_i];
	struct replay_window w;

	ck_assert_int_eq(replay_window_init(&w, sc->size), 0);
	for (int i = 0; sc->steps[i].expect != 99; i++) {
		int got = replay_check(&w, sc->steps[i].seq);

		ck_assert_msg(got == sc->steps[i].expect, "%s, step %d (seq %llu): got %d, want %d",
			      sc->name, i, (unsigned long long)sc->steps[i].seq, got,
			      sc->steps[i].expect);
		if (got == OK)
			replay_update(&w, sc->steps[i].seq);
	}
}
END_TEST

static const struct {
	unsigned size;
	int expect;
} sizes[] = {
	{ 0, -EINVAL }, { 63, -EINVAL }, { 64, 0 }, { 100, -EINVAL }, { 128, 0 },
	{ 1024, 0 }, { 4096, 0 }, { 4160, -EINVAL }, { 8192, -EINVAL },
};

START_TEST(test_sizes)
{
	struct replay_window w;

	ck_assert_int_eq(replay_window_check_size(sizes[_i].size), sizes[_i].expect);
	ck_assert_int_eq(replay_window_init(&w, sizes[_i].size), sizes[_i].expect);
}
END_TEST

START_TEST(test_reset)
{
	struct replay_window w;

	ck_assert_int_eq(replay_window_init(&w, 64), 0);
	replay_update(&w, 50);
	ck_assert_int_eq(replay_check(&w, 50), DUP);
	replay_window_reset(&w);
	ck_assert_uint_eq(replay_window_top(&w), 0);
	ck_assert_int_eq(replay_check(&w, 50), OK);
}
END_TEST

/* The model: a plain set of every number accepted, and the highest one. */
struct model {
	uint8_t *seen;		/* indexed by sequence number */
	uint64_t top;
	unsigned size;
};

static int model_check(const struct model *m, uint64_t seq)
{
	if (seq == 0)
		return OLD;
	if (seq > m->top)
		return OK;
	if (m->top - seq >= m->size)
		return OLD;
	return m->seen[seq] ? DUP : OK;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

START_TEST(test_against_model)
{
	static const unsigned window_sizes[] = { 64, 128, 1024, 4096 };
	const unsigned size = window_sizes[_i];
	const uint64_t span = 1u << 21;
	struct model m = { .seen = calloc(span, 1), .size = size };
	struct replay_window w;
	uint64_t s = 0x9e3779b97f4a7c15ull + size;

	ck_assert_ptr_nonnull(m.seen);
	ck_assert_int_eq(replay_window_init(&w, size), 0);
	for (int i = 0; i < 1000000; i++) {
		/* Mostly near the top, sometimes behind the window, sometimes a jump ahead. */
		uint64_t r = rnd(&s), seq;
		int64_t delta;

		switch (r % 16) {
		case 0:
			delta = (int64_t)(r >> 8) % (4 * size);
			break;
		case 1:
			delta = -(int64_t)((r >> 8) % (2 * size));
			break;
		default:
			delta = (int64_t)((r >> 8) % (size + 8)) - (int64_t)size + 4;
		}
		if ((int64_t)m.top + delta < 0 || m.top + delta >= span)
			continue;
		seq = m.top + delta;
		ck_assert_int_eq(replay_check(&w, seq), model_check(&m, seq));
		if (model_check(&m, seq) == OK) {
			replay_update(&w, seq);
			m.seen[seq] = 1;
			if (seq > m.top)
				m.top = seq;
		}
	}
	ck_assert_uint_eq(replay_window_top(&w), m.top);
	free(m.seen);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("esp_replay");
	TCase *tc = tcase_create("window");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_scenarios, 0, sizeof(scenarios) / sizeof(scenarios[0]));
	tcase_add_loop_test(tc, test_sizes, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_test(tc, test_reset);
	tcase_add_loop_test(tc, test_against_model, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
