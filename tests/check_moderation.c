/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's interrupt moderation rule (src/engine-moderation.c) on a fake clock.  The
 * live behaviour, through the public API, is in check_engine.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "src/engine.h"
#include "src/zcvpn.h"

/*
 * Moderation turns on only while a 1 ms window carries at least two packets per wait,
 * and off again after a quiet window; the wait is the time a batch (32) takes at the
 * window's rate, at most the configured one, and none below 20 us.  Rows: the
 * configured wait, then (packets, us since the previous call) steps, each with the
 * answer expected after it.
 */
static const struct {
	const char *what;
	unsigned wait_us;
	struct { unsigned packets, after_us; unsigned expect_us; } step[4];
} moderation_table[] = {
	{ "busy at 100 us", 100, { { 25, 1000, 100 }, { 30, 1000, 100 }, { 0, 5000, 0 } } },
	{ "exactly 2 per wait", 100, { { 20, 1000, 100 }, { 19, 1000, 0 } } },
	{ "light traffic", 100, { { 5, 1000, 0 }, { 1, 200, 0 }, { 1, 900, 0 } } },
	{ "window not over", 100, { { 500, 500, 0 }, { 0, 499, 0 }, { 0, 1, 64 } } },
	{ "off", 0, { { 5000, 1000, 0 }, { 5000, 1000, 0 } } },
	{ "1 ms wait", 1000, { { 3, 1000, 1000 }, { 1, 1000, 0 } } },
	/* The default: a 4,000 packet/s stream (a 45 Mbit/s download) is where it starts. */
	{ "default 500 us", 500, { { 4, 1000, 500 }, { 3, 1000, 0 }, { 40, 1000, 500 } } },
	/* Faster: a batch gathers sooner than the configured wait. */
	{ "a batch in 100 us", 500, { { 320, 1000, 100 }, { 3200, 1000, 0 }, { 640, 1000, 50 } } },
	{ "batch time at the cap", 500, { { 64, 1000, 500 }, { 65, 1000, 492 } } },
	{ "below 20 us: none", 1000, { { 1601, 1000, 0 }, { 1600, 1000, 20 } } },
};

START_TEST(test_moderation_rule)
{
	struct zcvpn_engine e = { .moderation_us = moderation_table[_i].wait_us, .batch = 32 };
	uint64_t now = 1000000000ull;

	/* The first call opens the window; what came before counts for nothing. */
	engine_moderation_account(&e, 0, now);
	for (unsigned i = 0; i < 4 && moderation_table[_i].step[i].after_us; i++) {
		now += moderation_table[_i].step[i].after_us * 1000ull;
		engine_moderation_account(&e, moderation_table[_i].step[i].packets, now);
		ck_assert_msg(zcvpn_engine_moderation_us(&e) == moderation_table[_i].step[i].expect_us,
			      "%s, step %u: %u", moderation_table[_i].what, i,
			      zcvpn_engine_moderation_us(&e));
	}
}
END_TEST

static Suite *moderation_suite(void)
{
	Suite *s = suite_create("moderation");
	TCase *tc = tcase_create("rule");

	tcase_add_loop_test(tc, test_moderation_rule, 0,
			    sizeof(moderation_table) / sizeof(moderation_table[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(moderation_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
