/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vpnc-script interface (src/cli/vpnc-script.c): the environment for full AnyConnect
 * settings and for PPP's few, exactly as openconnect 9.01 names and writes them; the
 * caller's environment inherited without a stale variable of the script's; the bounds
 * held for a settings struct that overstates its counts.  Then running scripts for real:
 * the environment and argv they see, a clean signal state (SIGPIPE not ignored, nothing
 * blocked), a non-zero status and a signal said as such, a script that hangs killed
 * with everything it started at the timeout, and a script that cannot be started.
 * No root needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/cli/vpnc-script.h"
#include "src/util/macros.h"

/* ---- the environment ------------------------------------------------------------------ */

static void add_prefix(struct vpnc_split *s, const char *text)
{
	ck_assert_int_eq(ip_prefix_parse(text, &s->route[s->n]), 0);
	ip_prefix_clear_host(&s->route[s->n++]);
}

static void add_addr(struct ip_addr *a, unsigned int *n, const char *text)
{
	ck_assert_int_eq(ip_addr_parse(text, &a[(*n)++]), 0);
}

/* What ocserv gave in tests/vpnc-script.sh. */
static void full_settings(struct vpnc_settings *v)
{
	vpnc_settings_init(v, "zvs-ac");
	strcpy(v->gateway, "10.91.0.2");
	v->mtu = 1434;
	v->has_ip4 = true;
	inet_pton(AF_INET, "192.168.251.121", &v->ip4);
	inet_pton(AF_INET, "255.255.255.0", &v->netmask4);
	ck_assert_int_eq(ip_prefix_parse("fd91:6d87:7341:dc6a:fbd8:827b:1f6b:8f78/128", &v->ip6), 0);
	add_addr(v->dns, &v->n_dns, "192.168.251.53");
	add_addr(v->dns, &v->n_dns, "192.168.251.54");
	add_addr(v->dns, &v->n_dns, "fd91:6d87:7341:dc6a::53");
	add_addr(v->nbns, &v->n_nbns, "192.168.251.55");
	strcpy(v->domain, "vpn.test");
	strcpy(v->split_dns, "corp.test");
	strcpy(v->banner, "Welcome to the test VPN");
	add_prefix(&v->include, "10.200.0.0/255.255.0.0");
	add_prefix(&v->include, "fd00:abcd::/48");
	add_prefix(&v->include, "10.201.1.0/24");
	add_prefix(&v->exclude, "10.200.5.0/255.255.255.0");
	v->idle_timeout_s = 1200;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* env sorted and compared with want (sorted too); VPNPID's value checked apart. */
static void check_env(char **env, const char *const *want, size_t n_want)
{
	char pid[32], *got[256];
	size_t n = 0;

	snprintf(pid, sizeof(pid), "VPNPID=%ld", (long)getpid());
	for (char **p = env; *p; p++) {
		ck_assert_uint_lt(n, ARRAY_SIZE(got));
		if (!strncmp(*p, "VPNPID=", 7)) {
			ck_assert_str_eq(*p, pid);
			continue;
		}
		got[n++] = *p;
	}
	qsort(got, n, sizeof(got[0]), cmp_str);
	for (size_t i = 0; i < n && i < n_want; i++)
		ck_assert_str_eq(got[i], want[i]);
	ck_assert_uint_eq(n, n_want);
}

static const char *const inherited[] = {
	"PATH=/usr/sbin:/usr/bin", "HOME=/root",
	/* stale values of the script's own variables: never passed on */
	"reason=pre-init", "TUNDEV=old0", "VPNGATEWAY=6.6.6.6", "VPNPID=1", "LOG_LEVEL=3",
	"IDLE_TIMEOUT=5", "INTERNAL_IP4_DNS=6.6.6.6", "INTERNAL_IP6_ADDRESS=fd66::6",
	"CISCO_SPLIT_INC=9", "CISCO_SPLIT_INC_8_ADDR=6.6.0.0",
	/* look-alikes that are not the script's */
	"VPNGATEWAY_OLD=kept", "XCISCO_=kept",
	NULL,
};

/* In sorted order, as openconnect 9.01 gave them for the same answer (VPNPID apart). */
static const char *const full_env[] = {
	"CISCO_BANNER=Welcome to the test VPN",
	"CISCO_DEF_DOMAIN=vpn.test",
	"CISCO_IPV6_SPLIT_INC=1",
	"CISCO_IPV6_SPLIT_INC_0_ADDR=fd00:abcd::",
	"CISCO_IPV6_SPLIT_INC_0_MASKLEN=48",
	"CISCO_SPLIT_DNS=corp.test",
	"CISCO_SPLIT_EXC=1",
	"CISCO_SPLIT_EXC_0_ADDR=10.200.5.0",
	"CISCO_SPLIT_EXC_0_MASK=255.255.255.0",
	"CISCO_SPLIT_EXC_0_MASKLEN=24",
	"CISCO_SPLIT_INC=2",
	"CISCO_SPLIT_INC_0_ADDR=10.200.0.0",
	"CISCO_SPLIT_INC_0_MASK=255.255.0.0",
	"CISCO_SPLIT_INC_0_MASKLEN=16",
	"CISCO_SPLIT_INC_1_ADDR=10.201.1.0",
	"CISCO_SPLIT_INC_1_MASK=255.255.255.0",
	"CISCO_SPLIT_INC_1_MASKLEN=24",
	"HOME=/root",
	"IDLE_TIMEOUT=1200",
	"INTERNAL_IP4_ADDRESS=192.168.251.121",
	"INTERNAL_IP4_DNS=192.168.251.53 192.168.251.54 fd91:6d87:7341:dc6a::53",
	"INTERNAL_IP4_MTU=1434",
	"INTERNAL_IP4_NBNS=192.168.251.55",
	"INTERNAL_IP4_NETADDR=192.168.251.0",
	"INTERNAL_IP4_NETMASK=255.255.255.0",
	"INTERNAL_IP4_NETMASKLEN=24",
	"INTERNAL_IP6_ADDRESS=fd91:6d87:7341:dc6a:fbd8:827b:1f6b:8f78",
	"INTERNAL_IP6_NETMASK=fd91:6d87:7341:dc6a:fbd8:827b:1f6b:8f78/128",
	"LOG_LEVEL=1",
	"PATH=/usr/sbin:/usr/bin",
	"TUNDEV=zvs-ac",
	"VPNGATEWAY=10.91.0.2",
	"VPNGATEWAY_OLD=kept",
	"XCISCO_=kept",
	"reason=connect",
};

START_TEST(test_env_full)
{
	struct vpnc_settings v;
	char **env;

	full_settings(&v);
	ck_assert_int_eq(vpnc_script_env(&v, "connect", (char *const *)inherited, &env), 0);
	check_env(env, full_env, ARRAY_SIZE(full_env));
	vpnc_env_free(env);
}
END_TEST

/* PPP's: an address without a netmask, IPCP's DNS and WINS, nothing of the rest. */
START_TEST(test_env_ppp)
{
	static const char *const want[] = {
		"INTERNAL_IP4_ADDRESS=10.77.0.2", "INTERNAL_IP4_DNS=10.77.0.53 10.77.0.54",
		"INTERNAL_IP4_MTU=1400", "INTERNAL_IP4_NBNS=10.77.0.55", "LOG_LEVEL=1",
		"TUNDEV=zvs-f5", "VPNGATEWAY=10.91.0.2", "reason=connect",
	};
	struct vpnc_settings v;
	char **env;

	vpnc_settings_init(&v, "zvs-f5");
	strcpy(v.gateway, "10.91.0.2");
	v.mtu = 1400;
	v.has_ip4 = true;
	inet_pton(AF_INET, "10.77.0.2", &v.ip4);
	add_addr(v.dns, &v.n_dns, "10.77.0.53");
	add_addr(v.dns, &v.n_dns, "10.77.0.54");
	add_addr(v.nbns, &v.n_nbns, "10.77.0.55");
	ck_assert_int_eq(vpnc_script_env(&v, "connect", NULL, &env), 0);
	check_env(env, want, ARRAY_SIZE(want));
	vpnc_env_free(env);
}
END_TEST

/* Before anything is known: only the tun, the pid and the log level. */
START_TEST(test_env_pre_init)
{
	static const char *const want[] = { "LOG_LEVEL=1", "TUNDEV=zcvpn0", "reason=pre-init" };
	struct vpnc_settings v;
	char **env;

	vpnc_settings_init(&v, "zcvpn0");
	ck_assert_int_eq(vpnc_script_env(&v, "pre-init", NULL, &env), 0);
	check_env(env, want, ARRAY_SIZE(want));
	vpnc_env_free(env);
}
END_TEST

/* Counts beyond the arrays, a mask with holes, lengths out of range: bounded, left out. */
START_TEST(test_env_bounds)
{
	static const char *const want[] = {
		"CISCO_SPLIT_INC=1", "CISCO_SPLIT_INC_0_ADDR=10.0.0.0",
		"CISCO_SPLIT_INC_0_MASK=255.0.0.0", "CISCO_SPLIT_INC_0_MASKLEN=8",
		"INTERNAL_IP4_ADDRESS=10.0.0.7", "INTERNAL_IP4_DNS=10.0.0.1 10.0.0.1 10.0.0.1",
		"LOG_LEVEL=1", "TUNDEV=t", "reason=connect",
	};
	struct vpnc_settings *v = calloc(1, sizeof(*v));
	char **env;

	ck_assert_ptr_nonnull(v);
	vpnc_settings_init(v, "t");
	v->has_ip4 = true;
	inet_pton(AF_INET, "10.0.0.7", &v->ip4);
	inet_pton(AF_INET, "255.0.255.0", &v->netmask4);
	for (unsigned int i = 0; i < VPNC_MAX_DNS; i++)
		add_addr(v->dns, &v->n_dns, "10.0.0.1");
	v->n_dns = 1000;
	add_prefix(&v->include, "10.0.0.0/8");
	v->include.route[1] = v->include.route[0];
	v->include.route[1].len = 33;
	v->include.route[2].addr.family = AF_UNIX;
	v->include.n = 3;
	v->exclude.n = 100000;		/* all zero: no family, left out */
	ck_assert_int_eq(vpnc_script_env(v, "connect", NULL, &env), 0);
	check_env(env, want, ARRAY_SIZE(want));
	vpnc_env_free(env);
	free(v);
}
END_TEST

/* ---- running scripts -------------------------------------------------------------------- */

static char dir[] = "/tmp/check_vpnc_script.XXXXXX";

static void make_dir(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A script called name in the test's directory; its path. */
static const char *script(const char *name, const char *body, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s", body);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* The first line of a file the script wrote, or "". */
static const char *read_line(const char *name, const char *prefix)
{
	static char line[4096];
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return "";
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, prefix, strlen(prefix))) {
			fclose(f);
			return line + strlen(prefix);
		}
	}
	fclose(f);
	return "";
}

START_TEST(test_run_env)
{
	const char *path = script("rec", "#!/bin/sh\n"
				  "env >\"$(dirname \"$0\")/env\"\n"
				  "echo \"argc=$#\" >>\"$(dirname \"$0\")/env\"\n"
				  "echo \"argv0=$0\" >>\"$(dirname \"$0\")/env\"\n", 0755);
	struct vpnc_settings v;
	char err[256] = "", want[300];

	full_settings(&v);
	setenv("ZCVPN_CHECK_INHERITED", "yes", 1);
	setenv("INTERNAL_IP4_DNS", "6.6.6.6", 1);
	ck_assert_int_eq(vpnc_script_run(path, &v, "connect", 5000, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(read_line("env", "reason="), "connect");
	ck_assert_str_eq(read_line("env", "ZCVPN_CHECK_INHERITED="), "yes");
	ck_assert_str_eq(read_line("env", "INTERNAL_IP4_DNS="),
			 "192.168.251.53 192.168.251.54 fd91:6d87:7341:dc6a::53");
	ck_assert_str_eq(read_line("env", "CISCO_BANNER="), "Welcome to the test VPN");
	ck_assert_str_eq(read_line("env", "argc="), "0");
	snprintf(want, sizeof(want), "%s", path);
	ck_assert_str_eq(read_line("env", "argv0="), want);
}
END_TEST

/*
 * Our SIGPIPE is ignored and a signal blocked: the script gets neither.  The script
 * execs grep, which inherits both and reads its own status: the shell's own would race
 * with dash, which blocks every signal around each vfork it makes.
 */
START_TEST(test_run_signals)
{
	const char *path = script("sig", "#!/bin/sh\n"
				  "exec grep -E '^Sig(Ign|Blk)' /proc/self/status >\"$(dirname \"$0\")/sig\"\n",
				  0755);
	struct vpnc_settings v;
	unsigned long long ign, blk;
	char err[256];
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	vpnc_settings_init(&v, "t");
	ck_assert_int_eq(vpnc_script_run(path, &v, "connect", 5000, err, sizeof(err)), 0);
	ign = strtoull(read_line("sig", "SigIgn:"), NULL, 16);
	blk = strtoull(read_line("sig", "SigBlk:"), NULL, 16);
	ck_assert_msg(!(ign & (1ull << (SIGPIPE - 1))), "SIGPIPE ignored in the script");
	ck_assert_msg(!blk, "signals blocked in the script: %llx", blk);
}
END_TEST

static const struct fail_case {
	const char *name, *body;
	mode_t mode;
	int ret;
	const char *message;
} fails[] = {
	{ "status", "#!/bin/sh\nexit 3\n", 0755, -EIO, "failed at connect: exit status 3" },
	{ "signal", "#!/bin/sh\nkill -TERM $$\n", 0755, -EIO,
	  "failed at connect: killed by signal 15" },
	{ "noexec", "#!/bin/sh\nexit 0\n", 0644, -ENOEXEC, ": Permission denied" },
	{ "interp", "#!/nonexistent/sh\nexit 0\n", 0755, -ENOEXEC, ": No such file or directory" },
	{ "format", "not a script at all\n", 0755, -ENOEXEC, ": Exec format error" },
};

START_TEST(test_run_fails)
{
	const struct fail_case *c = &fails[_i];
	const char *path = script(c->name, c->body, c->mode);
	struct vpnc_settings v;
	char err[512] = "";

	vpnc_settings_init(&v, "t");
	ck_assert_int_eq(vpnc_script_run(path, &v, "connect", 5000, err, sizeof(err)), c->ret);
	ck_assert_msg(strstr(err, c->message) && strstr(err, path), "%s: '%s'", c->name, err);
}
END_TEST

START_TEST(test_run_missing)
{
	struct vpnc_settings v;
	char err[512] = "", path[300];

	snprintf(path, sizeof(path), "%s/none", dir);
	vpnc_settings_init(&v, "t");
	ck_assert_int_eq(vpnc_script_run(path, &v, "connect", 5000, err, sizeof(err)), -ENOEXEC);
	ck_assert_msg(strstr(err, "No such file or directory"), "'%s'", err);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A process that is gone, or a zombie nobody reaped yet (its parent, the script, died). */
static bool process_gone(pid_t pid)
{
	char path[64], stat[256];
	FILE *f;
	bool gone;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	gone = !fgets(stat, sizeof(stat), f) || strstr(stat, ") Z ");
	fclose(f);
	return gone;
}

/* A hung script is killed at the timeout, and so is what it started. */
START_TEST(test_run_timeout)
{
	const char *path = script("hang", "#!/bin/sh\n"
				  "sleep 30 &\n"
				  "echo \"child=$!\" >\"$(dirname \"$0\")/child\"\n"
				  "wait\n", 0755);
	struct vpnc_settings v;
	char err[512] = "";
	double start = now_s();
	pid_t child;

	vpnc_settings_init(&v, "t");
	ck_assert_int_eq(vpnc_script_run(path, &v, "disconnect", 300, err, sizeof(err)),
			 -ETIMEDOUT);
	ck_assert_msg(now_s() - start < 3, "took %.1f s", now_s() - start);
	ck_assert_msg(strstr(err, "(disconnect) did not finish within 0.3 s: killed"), "'%s'", err);
	child = (pid_t)atol(read_line("child", "child="));
	ck_assert_int_gt(child, 1);
	for (int i = 0; i < 100 && !process_gone(child); i++)
		usleep(10000);
	ck_assert_msg(process_gone(child), "the script's child %ld survived", (long)child);
}
END_TEST

START_TEST(test_check)
{
	ck_assert_int_eq(vpnc_script_check(script("ok", "#!/bin/sh\n", 0755)), 0);
	ck_assert_int_eq(vpnc_script_check(script("plain", "#!/bin/sh\n", 0644)), -EINVAL);
	ck_assert_int_eq(vpnc_script_check(dir), -EINVAL);
	ck_assert_int_eq(vpnc_script_check("/nonexistent/script"), -EINVAL);
}
END_TEST

static Suite *vpnc_script_suite(void)
{
	Suite *s = suite_create("vpnc_script");
	TCase *te = tcase_create("env");
	TCase *tr = tcase_create("run");

	tcase_add_test(te, test_env_full);
	tcase_add_test(te, test_env_ppp);
	tcase_add_test(te, test_env_pre_init);
	tcase_add_test(te, test_env_bounds);
	suite_add_tcase(s, te);

	tcase_add_unchecked_fixture(tr, make_dir, remove_dir);
	tcase_add_test(tr, test_run_env);
	tcase_add_test(tr, test_run_signals);
	tcase_add_loop_test(tr, test_run_fails, 0, ARRAY_SIZE(fails));
	tcase_add_test(tr, test_run_missing);
	tcase_add_test(tr, test_run_timeout);
	tcase_add_test(tr, test_check);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vpnc_script_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
