/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The driver's report plumbing: the JSON writer's escaping (RFC 8259 §7: quote,
 * backslash and every control character escaped, other bytes as they are) and nesting,
 * the exit status each login error maps to (zcvpn.1 lists them: a number never changes
 * its meaning), and the report options' parsing with their bounds.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli/cli.h"
#include "src/cli/json-writer.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the JSON writer -------------------------------------------------------------- */

static const struct {
	const char *in, *out;
} string_cases[] = {
	{ "", "\"\"" },
	{ "plain", "\"plain\"" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "C:\\tmp", "\"C:\\\\tmp\"" },
	{ "line\nnext\ttab\r", "\"line\\u000anext\\u0009tab\\u000d\"" },
	{ "\x01\x1f", "\"\\u0001\\u001f\"" },
	{ "\x7f", "\"\x7f\"" },			/* DEL is no control character to JSON */
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },	/* UTF-8 passes through */
	{ "</script>", "\"</script>\"" },
};

START_TEST(test_json_string_escapes)
{
	struct json_writer w;
	char *buf = NULL, expect[128];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	json_begin(&w, f);
	json_string(&w, "k", string_cases[_i].in);
	json_end(&w);
	fclose(f);
	snprintf(expect, sizeof(expect), "{\"k\":%s}\n", string_cases[_i].out);
	ck_assert_str_eq(buf, expect);
	free(buf);
}
END_TEST

/* Members, nested objects, arrays and every value type, commas where they belong. */
START_TEST(test_json_nesting)
{
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	json_begin(&w, f);
	json_string(&w, "role", "client");
	json_open(&w, "sent");
	json_u64(&w, "packets", UINT64_MAX);
	json_double(&w, "mbit_s", 12.3456);
	json_close(&w);
	json_open(&w, "empty");
	json_close(&w);
	json_int(&w, "error", -110);
	json_bool(&w, "clean", true);
	json_double(&w, "nan", NAN);
	json_open_array(&w, "dns");
	json_string(&w, NULL, "10.0.0.53");
	json_string(&w, NULL, "fd00::53");
	json_close_array(&w);
	json_open_array(&w, "none");
	json_close_array(&w);
	json_u64(&w, "after", 1);
	json_end(&w);
	fclose(f);
	ck_assert_str_eq(buf, "{\"role\":\"client\",\"sent\":{\"packets\":18446744073709551615,"
			      "\"mbit_s\":12.346},\"empty\":{},\"error\":-110,\"clean\":true,"
			      "\"nan\":null,\"dns\":[\"10.0.0.53\",\"fd00::53\"],\"none\":[],"
			      "\"after\":1}\n");
	free(buf);
}
END_TEST

/* ---- exit statuses ---------------------------------------------------------------- */

static const struct {
	int err;
	int status;
} exit_cases[] = {
	{ 0, CLI_EXIT_OK },
	{ -EINVAL, CLI_EXIT_USAGE },
	{ -EHOSTUNREACH, CLI_EXIT_UNREACHABLE },
	{ -ENETUNREACH, CLI_EXIT_UNREACHABLE },
	{ -ECONNREFUSED, CLI_EXIT_UNREACHABLE },
	{ -ETIMEDOUT, CLI_EXIT_UNREACHABLE },
	{ -EKEYREJECTED, CLI_EXIT_CERT },
	{ -EACCES, CLI_EXIT_LOGIN },
	{ -EKEYEXPIRED, CLI_EXIT_SESSION },
	{ -EPERM, CLI_EXIT_PRIVILEGE },
	{ -EPROTO, CLI_EXIT_FAILED },
	{ -EIO, CLI_EXIT_FAILED },
	{ -ENOMEM, CLI_EXIT_FAILED },
};

START_TEST(test_exit_status)
{
	ck_assert_int_eq(cli_exit_status(exit_cases[_i].err), exit_cases[_i].status);
}
END_TEST

/* The numbers themselves: scripts and the man page hold them. */
START_TEST(test_exit_numbers_fixed)
{
	ck_assert_int_eq(CLI_EXIT_OK, 0);
	ck_assert_int_eq(CLI_EXIT_FAILED, 1);
	ck_assert_int_eq(CLI_EXIT_USAGE, 2);
	ck_assert_int_eq(CLI_EXIT_UNREACHABLE, 3);
	ck_assert_int_eq(CLI_EXIT_CERT, 4);
	ck_assert_int_eq(CLI_EXIT_LOGIN, 5);
	ck_assert_int_eq(CLI_EXIT_SESSION, 6);
	ck_assert_int_eq(CLI_EXIT_PRIVILEGE, 7);
}
END_TEST

/* ---- the report options ------------------------------------------------------------ */

static const struct {
	int opt;
	const char *arg;
	int ret;
	double interval;	/* after, when ret == 1 */
} option_cases[] = {
	{ CLI_OPT_INTERVAL, "1", 1, 1.0 },
	{ CLI_OPT_INTERVAL, "0", 1, 0 },
	{ CLI_OPT_INTERVAL, "0.5", 1, 0.5 },
	{ CLI_OPT_INTERVAL, "3600", 1, 3600 },
	{ CLI_OPT_INTERVAL, "0.05", -EINVAL, 0 },	/* a busy terminal, not a report */
	{ CLI_OPT_INTERVAL, "3601", -EINVAL, 0 },
	{ CLI_OPT_INTERVAL, "-1", -EINVAL, 0 },
	{ CLI_OPT_INTERVAL, "", -EINVAL, 0 },
	{ CLI_OPT_INTERVAL, "1s", -EINVAL, 0 },
	{ CLI_OPT_INTERVAL, "nan", -EINVAL, 0 },
	{ CLI_OPT_INTERVAL, "inf", -EINVAL, 0 },
	{ 'h', NULL, 0, 0 },				/* not ours: the command's */
};

START_TEST(test_output_options)
{
	struct cli_output o = { .interval_s = 7 };
	int ret;

	ret = cli_output_option(&o, option_cases[_i].opt, option_cases[_i].arg);
	ck_assert_int_eq(ret, option_cases[_i].ret);
	if (ret == 1)
		ck_assert_double_eq(o.interval_s, option_cases[_i].interval);
	else
		ck_assert_double_eq(o.interval_s, 7);	/* a refused value changes nothing */
}
END_TEST

START_TEST(test_output_flags)
{
	struct cli_output o;

	cli_output_init(&o);
	ck_assert(!o.json && !o.all_counters);
	ck_assert_int_eq(cli_output_option(&o, CLI_OPT_JSON, NULL), 1);
	ck_assert_int_eq(cli_output_option(&o, CLI_OPT_STATS, NULL), 1);
	ck_assert(o.json && o.all_counters);
}
END_TEST

static Suite *cli_output_suite(void)
{
	Suite *s = suite_create("cli_output");
	TCase *tc = tcase_create("output");

	tcase_add_loop_test(tc, test_json_string_escapes, 0, ARRAY_SIZE(string_cases));
	tcase_add_test(tc, test_json_nesting);
	tcase_add_loop_test(tc, test_exit_status, 0, ARRAY_SIZE(exit_cases));
	tcase_add_test(tc, test_exit_numbers_fixed);
	tcase_add_loop_test(tc, test_output_options, 0, ARRAY_SIZE(option_cases));
	tcase_add_test(tc, test_output_flags);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_output_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
