/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The anti-replay window: table-driven edges run with every window size (first packet,
 * 0, duplicates, both sides of the left edge, forged packets that must not move the
 * window, jumps past the window and past 2^32, the top of the 64-bit space, reuse of the
 * word ring), valid and invalid sizes, seeding, and a randomized cross-check of 1,000,000
 * operations per size against a model that is a plain set of accepted numbers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/esp-replay.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum { OK = REPLAY_OK, DUP = REPLAY_DUPLICATE, OLD = REPLAY_TOO_OLD };

/* What the caller does after a check said OK: the ICV passed (UPD) or failed (FORGED). */
enum { UPD = 1, FORGED = 2 };

#define P2_32 (1ll << 32)

/* Every scenario and the model run with each; 192 and 4032 are not powers of two. */
static const unsigned window_sizes[] = { 64, 128, 192, 1024, 4032, 4096 };

struct step {
	int k;			/* the number is base + k * window size + d */
	int64_t d;
	int expect;		/* replay_check result */
	int then;		/* after OK: UPD or FORGED */
};

struct scenario {
	const char *name;
	uint64_t base;
	struct step steps[16];
};

/*
 * A step names the number base + k * size + d, so one table holds for every size, and
 * what must happen: A accepted, F passes the check but fails the ICV (no update),
 * D duplicate, O too old.  END closes a table.
 */
#define A(k, d) { k, d, OK, UPD }
#define F(k, d) { k, d, OK, FORGED }
#define D(k, d) { k, d, DUP, 0 }
#define O(k, d) { k, d, OLD, 0 }
#define END { 0, 0, 99, 0 }

static const struct scenario scenarios[] = {
	{ "first packet is 1, then in order", 0, {
		A(0, 1), D(0, 1), A(0, 2), A(0, 3), D(0, 2), D(0, 3), A(0, 4), END } },
	{ "0 is too old, before and after the first packet", 0, {
		O(0, 0), A(0, 1), O(0, 0), A(0, 5), O(0, 0), A(0, 4), END } },
	{ "first packet far ahead opens the window below it", 1000000, {
		A(0, 0), A(0, -1), A(-1, 1), O(-1, 0), D(0, 0), END } },
	/* Left edge = top - size + 1: the oldest number still acceptable. */
	{ "left edge: just inside, exactly at, just outside", 5000000, {
		A(0, 0), A(-1, 2), A(-1, 1), O(-1, 0), O(-1, -1), D(-1, 2), D(-1, 1), A(0, 1),
		O(-1, 1), D(-1, 2), END } },
	{ "out of order inside the window", 7777, {
		A(0, 0), A(0, -5), A(0, -3), D(0, -5), A(0, -4), A(0, 1), D(0, -4), D(0, -3),
		A(-1, 3), D(-1, 3), A(0, -1), END } },
	{ "forged packets move nothing", 100000, {
		A(0, 0), F(3, 0), D(0, 0), F(-1, 1), A(-1, 1), D(-1, 1), F(0, 5), A(0, 5), D(0, 5),
		F(0, 4), A(0, 4), END } },
	{ "jump of size - 1 keeps the old top at the left edge", 300, {
		A(0, 0), A(1, -1), D(0, 0), O(0, -1), A(0, 1), END } },
	{ "jump of exactly size pushes the old top out", 300, {
		A(0, 0), A(1, 0), O(0, 0), A(0, 1), D(0, 1), END } },
	{ "jump past the window forgets everything", 10, {
		A(0, 0), A(0, 1), A(3, 7), O(0, 1), O(2, 7), A(2, 8), A(3, 0), D(3, 7), END } },
	{ "jump past 2^32", 5, {
		A(0, 0), A(0, P2_32), D(0, P2_32), A(-1, P2_32 + 1), O(-1, P2_32), O(0, 0),
		A(0, P2_32 - 1), A(0, 1ll << 40), O(0, P2_32 - 1), A(0, (1ll << 40) - 1), END } },
	{ "32-bit numbers cross into the 33rd bit", 0xffffffffull - 2, {
		A(0, 0), A(0, 2), A(0, 4), A(0, 3), A(0, 1), D(0, 2), D(0, 4), END } },
	{ "the top of the 64-bit space", UINT64_MAX - 3, {
		A(0, 0), A(0, 3), D(0, 3), A(-1, 4), O(-1, 3), A(0, 2), D(0, 2), A(0, -1ll),
		END } },
	/* The ring of a power-of-two size spans 2 * size numbers: 2 * size + n reuses n's bit. */
	{ "a reused word reads unseen", 0, {
		A(0, 1), A(0, 2), A(1, 0), A(2, 5), A(2, 1), A(2, 2), D(2, 1), A(2, 3), O(1, 5),
		A(1, 6), A(2, 4), D(2, 4), END } },
	{ "the word ring wraps in steps of a window", 0, {
		A(0, 63), A(0, 64), A(1, 63), A(1, 64), A(2, 63), A(2, 64), A(3, 63), A(3, 64),
		A(4, 10), D(3, 64), D(3, 63), A(3, 65), O(2, 64), A(4, 2), END } },
};

static uint64_t step_seq(const struct scenario *sc, const struct step *st, unsigned size)
{
	/* Unsigned arithmetic: wraps the same way the tables were worked out. */
	return sc->base + (uint64_t)(int64_t)st->k * size + (uint64_t)st->d;
}

START_TEST(test_scenarios)
{
	const struct scenario *sc = &scenarios[_i];

	for (size_t z = 0; z < ARRAY_SIZE(window_sizes); z++) {
		struct replay_window w;

		ck_assert_int_eq(replay_window_init(&w, window_sizes[z]), 0);
		for (int i = 0; sc->steps[i].expect != 99; i++) {
			const struct step *st = &sc->steps[i];
			uint64_t seq = step_seq(sc, st, window_sizes[z]);
			int got = replay_check(&w, seq);

			ck_assert_msg(got == st->expect,
				      "%s, window %u, step %d (seq %llu): got %d, want %d",
				      sc->name, window_sizes[z], i, (unsigned long long)seq, got,
				      st->expect);
			ck_assert_msg(got || st->then, "%s, step %d: no UPD/FORGED", sc->name, i);
			if (st->then == UPD)
				replay_update(&w, seq);
		}
	}
}
END_TEST

static const struct {
	unsigned size;
	int expect;
} sizes[] = {
	{ 0, -EINVAL }, { 1, -EINVAL }, { 32, -EINVAL }, { 63, -EINVAL }, { 64, 0 },
	{ 65, -EINVAL }, { 100, -EINVAL }, { 128, 0 }, { 192, 0 }, { 1024, 0 }, { 4032, 0 },
	{ 4095, -EINVAL }, { 4096, 0 }, { 4097, -EINVAL }, { 4160, -EINVAL },
	{ 8192, -EINVAL }, { 1u << 31, -EINVAL }, { UINT_MAX, -EINVAL },
};

START_TEST(test_sizes)
{
	struct replay_window w;

	memset(&w, 0x5a, sizeof(w));
	ck_assert_int_eq(replay_window_check_size(sizes[_i].size), sizes[_i].expect);
	ck_assert_int_eq(replay_window_init(&w, sizes[_i].size), sizes[_i].expect);
	if (sizes[_i].expect) {
		ck_assert_uint_eq(w.top, 0x5a5a5a5a5a5a5a5aull);	/* untouched on error */
		return;
	}
	ck_assert_uint_eq(w.size, sizes[_i].size);
	ck_assert_uint_eq(replay_window_top(&w), 0);
	/* The whole window is usable and nothing beyond it, for every valid size. */
	for (uint64_t s = 1; s <= 3 * sizes[_i].size; s += 2) {
		ck_assert_int_eq(replay_check(&w, s), OK);
		replay_update(&w, s);
	}
	for (uint64_t s = 1, top = 3 * sizes[_i].size - 1; s <= top; s++) {
		int want = top - s >= sizes[_i].size ? OLD : s & 1 ? DUP : OK;

		ck_assert_int_eq(replay_check(&w, s), want);
	}
}
END_TEST

/* The return codes are distinct negative errnos, so a caller can both count and log them. */
START_TEST(test_codes)
{
	ck_assert_int_eq(REPLAY_OK, 0);
	ck_assert_int_eq(REPLAY_DUPLICATE, -EALREADY);
	ck_assert_int_eq(REPLAY_TOO_OLD, -ESTALE);
	ck_assert_int_ne(REPLAY_DUPLICATE, REPLAY_TOO_OLD);
	ck_assert_int_eq(REPLAY_DEFAULT_SIZE, 64);
	ck_assert_int_eq(replay_window_check_size(REPLAY_DEFAULT_SIZE), 0);
	ck_assert_int_eq(replay_window_check_size(REPLAY_MAX_SIZE), 0);
	ck_assert_int_eq(replay_window_check_size(REPLAY_MIN_SIZE), 0);
}
END_TEST

START_TEST(test_reset)
{
	struct replay_window w;

	ck_assert_int_eq(replay_window_init(&w, 128), 0);
	replay_update(&w, 50);
	replay_update(&w, 1000);
	ck_assert_int_eq(replay_check(&w, 1000), DUP);
	replay_window_reset(&w);
	ck_assert_uint_eq(replay_window_top(&w), 0);
	ck_assert_uint_eq(w.size, 128);
	ck_assert_int_eq(replay_check(&w, 50), OK);
	ck_assert_int_eq(replay_check(&w, 1000), OK);
	ck_assert_int_eq(replay_check(&w, 0), OLD);
}
END_TEST

/* Misuse must not corrupt: an update check would refuse leaves every verdict as it was. */
START_TEST(test_update_ignores_refused)
{
	struct replay_window w;

	ck_assert_int_eq(replay_window_init(&w, 64), 0);
	replay_update(&w, 0);
	ck_assert_uint_eq(replay_window_top(&w), 0);
	replay_update(&w, 200);
	replay_update(&w, 62);		/* too old, and has the ring bit of 190 */
	replay_update(&w, 0);
	for (uint64_t s = 137; s < 200; s++)
		ck_assert_int_eq(replay_check(&w, s), OK);
	ck_assert_int_eq(replay_check(&w, 200), DUP);
	ck_assert_uint_eq(replay_window_top(&w), 200);
}
END_TEST

static const uint64_t seeds[] = {
	1, 2, 63, 64, 65, 100, 1000, 4095, 4096, 4097, 0xfffffffeull, 0x100000000ull,
	0xffffffffffffull, UINT64_MAX - 64, UINT64_MAX,
};

/* Seeding (a DTLS takeover): everything up to last counts as seen, nothing above. */
START_TEST(test_seed)
{
	const uint64_t last = seeds[_i];

	for (size_t z = 0; z < ARRAY_SIZE(window_sizes); z++) {
		const unsigned size = window_sizes[z];
		struct replay_window w;

		ck_assert_int_eq(replay_window_init(&w, size), 0);
		replay_update(&w, 12345);
		replay_window_seed(&w, last);
		ck_assert_uint_eq(replay_window_top(&w), last);
		ck_assert_int_eq(replay_check(&w, 0), OLD);
		for (uint64_t back = 0; back < size + 2 && back < last; back++)
			ck_assert_int_eq(replay_check(&w, last - back), back < size ? DUP : OLD);
		if (last == UINT64_MAX)
			continue;
		ck_assert_int_eq(replay_check(&w, last + 1), OK);
		/* Numbers above last that share last's word must still read unseen. */
		if (last <= UINT64_MAX - 40) {
			replay_update(&w, last + 40);
			for (uint64_t s = last + 1; s < last + 40; s++)
				ck_assert_int_eq(replay_check(&w, s), OK);
			ck_assert_int_eq(replay_check(&w, last), DUP);
		}
	}
}
END_TEST

START_TEST(test_seed_zero_is_reset)
{
	struct replay_window w;

	ck_assert_int_eq(replay_window_init(&w, 64), 0);
	replay_update(&w, 10);
	replay_window_seed(&w, 0);
	ck_assert_uint_eq(replay_window_top(&w), 0);
	ck_assert_int_eq(replay_check(&w, 1), OK);
	ck_assert_int_eq(replay_check(&w, 10), OK);
}
END_TEST

/*
 * The model: every number ever accepted in a hash set, the highest one, and a floor at or
 * below which everything counts as seen (seeding).  No bitmaps, no windows of words.
 */
enum { MODEL_SLOTS = 1 << 22 };		/* > 4 x the most numbers one run accepts */

struct model {
	uint64_t *slot;		/* open addressing; 0 marks an empty slot (0 is never accepted) */
	uint64_t top, floor;
	unsigned size;
};

static size_t model_hash(uint64_t seq)
{
	return (size_t)((seq * 0x9e3779b97f4a7c15ull) >> (64 - 22));
}

static bool model_has(const struct model *m, uint64_t seq)
{
	for (size_t i = model_hash(seq);; i = (i + 1) & (MODEL_SLOTS - 1)) {
		if (m->slot[i] == seq)
			return true;
		if (!m->slot[i])
			return false;
	}
}

static void model_add(struct model *m, uint64_t seq)
{
	size_t i = model_hash(seq);

	while (m->slot[i])
		i = (i + 1) & (MODEL_SLOTS - 1);
	m->slot[i] = seq;
	if (seq > m->top)
		m->top = seq;
}

static void model_seed(struct model *m, uint64_t last)
{
	memset(m->slot, 0, MODEL_SLOTS * sizeof(m->slot[0]));
	m->top = m->floor = last;
}

static int model_check(const struct model *m, uint64_t seq)
{
	if (seq == 0)
		return OLD;
	if (seq > m->top)
		return OK;
	if (m->top - seq >= m->size)
		return OLD;
	return seq <= m->floor || model_has(m, seq) ? DUP : OK;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Every SEED_EVERY operations both restart at a new top: anywhere, under 2^32, under 2^64. */
enum { MODEL_OPS = 1000000, SEED_EVERY = 150000, RECENT = 16 };

static uint64_t pick_seed(unsigned n, uint64_t r)
{
	switch (n % 4) {
	case 0:
		return r >> (r % 61);
	case 1:
		return 0xffffffffull - (r >> 50);
	case 2:
		return UINT64_MAX - (r >> 44);
	default:
		return 0;
	}
}

/* Offsets from top that would leave the 64-bit space stay inside it instead. */
static uint64_t behind(uint64_t top, uint64_t back)
{
	return back <= top ? top - back : top / 2;
}

static uint64_t ahead(uint64_t top, uint64_t fwd)
{
	return fwd <= UINT64_MAX - top ? top + fwd : top;
}

/*
 * Mostly around the top, sometimes well behind it or ahead of it, now and then far
 * ahead; and replays of numbers accepted lately, which a random pick in a wide window
 * would rarely hit.
 */
static uint64_t pick_seq(uint64_t r, uint64_t top, unsigned size, const uint64_t *recent)
{
	uint64_t v = r >> 8;

	switch (r % 64) {
	case 0:
		return 0;
	case 1:
		return ahead(top, 1 + v % (1ull << 34));	/* mostly more than 2^32 */
	case 2: case 3: case 4: case 5:
		return ahead(top, v % (4ull * size));
	case 6: case 7: case 8: case 9:
		return behind(top, size + v % (2ull * size));
	case 10: case 11:
		return behind(top, size - 2 + v % 3);		/* around the left edge */
	case 12: case 13: case 14: case 15: case 16: case 17: case 18: case 19:
		return recent[v % RECENT];
	default:
		v %= size + 8;
		return v >= 6 ? behind(top, v - 6) : ahead(top, 6 - v);
	}
}

/* Plain ifs in the loop: each ck_assert records a mark point, a syscall, when it passes. */
START_TEST(test_against_model)
{
	const unsigned size = window_sizes[_i];
	struct model m = { .slot = calloc(MODEL_SLOTS, sizeof(uint64_t)), .size = size };
	struct replay_window w;
	uint64_t s = 0x9e3779b97f4a7c15ull + size, recent[RECENT] = { 0 };
	unsigned accepted = 0, dup = 0, old = 0, forged = 0;

	ck_assert_ptr_nonnull(m.slot);
	ck_assert_int_eq(replay_window_init(&w, size), 0);
	for (int i = 1; i <= MODEL_OPS; i++) {
		uint64_t seq = pick_seq(rnd(&s), m.top, size, recent);
		int want = model_check(&m, seq), got = replay_check(&w, seq);

		if (got != want)
			ck_abort_msg("window %u, op %d, top %llu, seq %llu: got %d, want %d",
				     size, i, (unsigned long long)m.top, (unsigned long long)seq,
				     got, want);
		if (want == DUP) {
			dup++;
		} else if (want == OLD) {
			old++;
		} else if (rnd(&s) % 8 == 0) {
			forged++;	/* the ICV failed: neither side records it */
		} else {
			replay_update(&w, seq);
			model_add(&m, seq);
			recent[accepted++ % RECENT] = seq;
		}
		if (replay_window_top(&w) != m.top)
			ck_abort_msg("window %u, op %d: top %llu, want %llu", size, i,
				     (unsigned long long)replay_window_top(&w),
				     (unsigned long long)m.top);
		if (i % SEED_EVERY == 0) {
			uint64_t last = pick_seed(i / SEED_EVERY, rnd(&s));

			replay_window_seed(&w, last);
			model_seed(&m, last);
		}
	}
	/* Every outcome must have been exercised, or the cross-check proves little. */
	ck_assert_uint_gt(accepted, MODEL_OPS / 8);
	ck_assert_uint_gt(dup, MODEL_OPS / 20);
	ck_assert_uint_gt(old, MODEL_OPS / 20);
	ck_assert_uint_gt(forged, MODEL_OPS / 50);
	free(m.slot);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("esp_replay");
	TCase *tc = tcase_create("edges");
	TCase *tm = tcase_create("model");

	tcase_add_loop_test(tc, test_scenarios, 0, ARRAY_SIZE(scenarios));
	tcase_add_loop_test(tc, test_sizes, 0, ARRAY_SIZE(sizes));
	tcase_add_test(tc, test_codes);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_update_ignores_refused);
	tcase_add_loop_test(tc, test_seed, 0, ARRAY_SIZE(seeds));
	tcase_add_test(tc, test_seed_zero_is_reset);
	suite_add_tcase(s, tc);
	/* Sanitizer builds are several times slower. */
	tcase_set_timeout(tm, 300);
	tcase_add_loop_test(tm, test_against_model, 0, ARRAY_SIZE(window_sizes));
	suite_add_tcase(s, tm);
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
