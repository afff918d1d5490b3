/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vpnc-script interface as openconnect 9 drives it: every setting an environment
 * variable, the reason in $reason, the script run and waited for.  No shell is involved
 * (the path is executed as is), and what the server sent reaches the script only in the
 * canonical forms written here.
 */
#include "config.h"

#include "src/cli/vpnc-script.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
	LOG_LEVEL_INFO = 1,		/* openconnect's PRG_INFO, its default verbosity */
	WAIT_MAX_TICK_MS = 50,
};

void vpnc_settings_init(struct vpnc_settings *v, const char *tundev)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->tundev, sizeof(v->tundev), "%s", tundev);
}

/* ---- the environment ----------------------------------------------------------------- */

struct env {
	char **var;
	size_t n, room;
	int error;			/* the first failure; later adds do nothing */
};

static void env_put(struct env *e, char *var)
{
	if (!var && !e->error)
		e->error = -ENOMEM;
	if (!var || e->error) {
		free(var);
		return;
	}
	if (e->n + 1 >= e->room) {
		size_t room = e->room ? 2 * e->room : 64;
		char **grown = realloc(e->var, room * sizeof(*grown));

		if (!grown) {
			free(var);
			e->error = -ENOMEM;
			return;
		}
		e->var = grown;
		e->room = room;
	}
	e->var[e->n++] = var;
	e->var[e->n] = NULL;
}

__attribute__((format(printf, 2, 3)))
static void env_add(struct env *e, const char *fmt, ...)
{
	va_list ap;
	char *var;

	va_start(ap, fmt);
	if (vasprintf(&var, fmt, ap) < 0)
		var = NULL;
	va_end(ap);
	env_put(e, var);
}

/*
 * The script's own variables: a stale one in our environment (a vpnc-script that runs
 * zcvpn, a shell that exported INTERNAL_IP4_DNS) would read as the server's setting.
 */
static bool script_variable(const char *var)
{
	static const char *const names[] = {
		"reason=", "TUNDEV=", "VPNGATEWAY=", "VPNPID=", "IDLE_TIMEOUT=", "LOG_LEVEL=",
		"INTERNAL_IP4_", "INTERNAL_IP6_", "CISCO_",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(var, names[i], strlen(names[i])))
			return true;
	return false;
}

_Static_assert(VPNC_MAX_NBNS <= VPNC_MAX_DNS, "env_addr_list's buffer holds either list");

/* NAME=a b c: the addresses space-separated, as vpnc-script's loops read them. */
static void env_addr_list(struct env *e, const char *name, const struct ip_addr *a,
			  unsigned int n, unsigned int max)
{
	char list[VPNC_MAX_DNS * INET6_ADDRSTRLEN] = "", text[INET6_ADDRSTRLEN];
	size_t used = 0;

	if (n > max)
		n = max;
	for (unsigned int i = 0; i < n; i++) {
		ip_addr_format(&a[i], text);
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? " " : "",
					 text);
	}
	if (n)
		env_add(e, "%s=%s", name, list);
}

static void env_ip4(struct env *e, const struct vpnc_settings *v)
{
	struct in_addr net = { .s_addr = v->ip4.s_addr & v->netmask4.s_addr };
	char addr[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], netaddr[INET_ADDRSTRLEN];
	unsigned int len;

	if (!v->has_ip4)
		return;
	inet_ntop(AF_INET, &v->ip4, addr, sizeof(addr));
	env_add(e, "INTERNAL_IP4_ADDRESS=%s", addr);
	/* With a netmask, the network too: vpnc-script routes it over the tun. */
	if (!v->netmask4.s_addr || !ip_mask4_len(v->netmask4, &len))
		return;
	inet_ntop(AF_INET, &v->netmask4, mask, sizeof(mask));
	inet_ntop(AF_INET, &net, netaddr, sizeof(netaddr));
	env_add(e, "INTERNAL_IP4_NETMASK=%s", mask);
	env_add(e, "INTERNAL_IP4_NETADDR=%s", netaddr);
	env_add(e, "INTERNAL_IP4_NETMASKLEN=%u", len);
}

static void env_ip6(struct env *e, const struct vpnc_settings *v)
{
	char addr[INET6_ADDRSTRLEN];

	if (v->ip6.addr.family != AF_INET6)
		return;
	ip_addr_format(&v->ip6.addr, addr);
	env_add(e, "INTERNAL_IP6_ADDRESS=%s", addr);
	env_add(e, "INTERNAL_IP6_NETMASK=%s/%u", addr, v->ip6.len);
}

/*
 * CISCO_SPLIT_INC=N with _%d_ADDR, _MASK, _MASKLEN for IPv4, CISCO_IPV6_SPLIT_INC=N with
 * _%d_ADDR, _MASKLEN for IPv6 (and _EXC the same); each family numbered from 0.
 */
static void env_split(struct env *e, const struct vpnc_split *s, const char *in_ex)
{
	char addr[INET6_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
	unsigned int n4 = 0, n6 = 0, n = s->n < VPNC_MAX_ROUTES ? s->n : VPNC_MAX_ROUTES;

	for (unsigned int i = 0; i < n; i++) {
		const struct ip_prefix *p = &s->route[i];
		struct in_addr m;

		ip_addr_format(&p->addr, addr);
		if (p->addr.family == AF_INET6 && p->len <= 128) {
			env_add(e, "CISCO_IPV6_SPLIT_%s_%u_ADDR=%s", in_ex, n6, addr);
			env_add(e, "CISCO_IPV6_SPLIT_%s_%u_MASKLEN=%u", in_ex, n6++, p->len);
			continue;
		}
		if (p->addr.family != AF_INET || p->len > 32)
			continue;	/* no route: left out, as a server's bad one was */
		m = ip_mask4(p->len);
		inet_ntop(AF_INET, &m, mask, sizeof(mask));
		env_add(e, "CISCO_SPLIT_%s_%u_ADDR=%s", in_ex, n4, addr);
		env_add(e, "CISCO_SPLIT_%s_%u_MASK=%s", in_ex, n4, mask);
		env_add(e, "CISCO_SPLIT_%s_%u_MASKLEN=%u", in_ex, n4++, p->len);
	}
	/* The counts only when non-zero: "CISCO_SPLIT_INC=0" would still read as split. */
	if (n4)
		env_add(e, "CISCO_SPLIT_%s=%u", in_ex, n4);
	if (n6)
		env_add(e, "CISCO_IPV6_SPLIT_%s=%u", in_ex, n6);
}

static void env_settings(struct env *e, const struct vpnc_settings *v, const char *reason)
{
	env_add(e, "reason=%s", reason);
	env_add(e, "TUNDEV=%s", v->tundev);
	if (v->gateway[0])
		env_add(e, "VPNGATEWAY=%s", v->gateway);
	env_add(e, "VPNPID=%ld", (long)getpid());
	env_add(e, "LOG_LEVEL=%d", LOG_LEVEL_INFO);
	if (v->idle_timeout_s)
		env_add(e, "IDLE_TIMEOUT=%u", v->idle_timeout_s);
	if (v->mtu)
		env_add(e, "INTERNAL_IP4_MTU=%u", v->mtu);
	env_ip4(e, v);
	env_ip6(e, v);
	/* Every DNS server in INTERNAL_IP4_DNS, IPv6 ones too, as openconnect 9.01 does. */
	env_addr_list(e, "INTERNAL_IP4_DNS", v->dns, v->n_dns, VPNC_MAX_DNS);
	env_addr_list(e, "INTERNAL_IP4_NBNS", v->nbns, v->n_nbns, VPNC_MAX_NBNS);
	if (v->domain[0])
		env_add(e, "CISCO_DEF_DOMAIN=%s", v->domain);
	if (v->split_dns[0])
		env_add(e, "CISCO_SPLIT_DNS=%s", v->split_dns);
	if (v->banner[0])
		env_add(e, "CISCO_BANNER=%s", v->banner);
	env_split(e, &v->include, "INC");
	env_split(e, &v->exclude, "EXC");
}

int vpnc_script_env(const struct vpnc_settings *v, const char *reason, char *const *envp,
		    char ***out)
{
	struct env e = { 0 };

	for (; envp && *envp; envp++)
		if (!script_variable(*envp))
			env_put(&e, strdup(*envp));
	env_settings(&e, v, reason);
	if (e.error) {
		vpnc_env_free(e.var);
		return e.error;
	}
	*out = e.var;
	return 0;
}

void vpnc_env_free(char **env)
{
	for (char **p = env; p && *p; p++)
		free(*p);
	free(env);
}

/* ---- running it ---------------------------------------------------------------------- */

int vpnc_script_check(const char *path)
{
	const char *why = NULL;
	struct stat st;

	if (stat(path, &st))
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (access(path, X_OK))
		why = strerror(errno);
	if (!why)
		return 0;
	fprintf(stderr, "zcvpn: --script %s: %s\n", path, why);
	return -EINVAL;
}

/*
 * The child, between fork and exec: async-signal-safe calls only (the engine has
 * threads).  Its own process group, so that a timeout's kill reaches what it started
 * (ip, resolvconf); the default dispositions and an empty signal mask (ours ignores
 * SIGPIPE).  If exec fails, errno goes back through the close-on-exec pipe.
 */
static void child(const char *path, char **env, int errfd)
{
	char *argv[] = { (char *)path, NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int e;

	setpgid(0, 0);
	sigaction(SIGPIPE, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, env);
	e = errno;
	while (write(errfd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* waitpid, bounded: polled, 1 ms at first, backing off to WAIT_MAX_TICK_MS. */
static int wait_bounded(pid_t pid, unsigned int timeout_ms, int *status)
{
	double deadline = now_ms() + timeout_ms;
	long tick_ms = 1;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline)
			break;
		nanosleep(&(struct timespec){ 0, tick_ms * 1000000 }, NULL);
		if (tick_ms < WAIT_MAX_TICK_MS)
			tick_ms *= 2;
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

/* Forks and execs; the child's pid, or -errno (exec's own, from the child). */
static pid_t spawn(const char *path, char **env)
{
	int pipefd[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0)
		child(path, env, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		e = errno;
		close(pipefd[0]);
		return -e;
	}
	setpgid(pid, pid);	/* also here: kill(-pid) must work before the child ran */
	while ((n = read(pipefd[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	if (n == sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -e;
	}
	return pid;
}

int vpnc_script_run(const char *path, const struct vpnc_settings *v, const char *reason,
		    unsigned int timeout_ms, char *err, size_t errlen)
{
	char **env;
	int ret, status = 0;
	pid_t pid;

	ret = vpnc_script_env(v, reason, environ, &env);
	if (ret) {
		snprintf(err, errlen, "the script's environment: %s", strerror(-ret));
		return ret;
	}
	pid = spawn(path, env);
	vpnc_env_free(env);
	if (pid < 0) {
		snprintf(err, errlen, "cannot run the script %s: %s", path, strerror((int)-pid));
		return -ENOEXEC;
	}
	ret = wait_bounded(pid, timeout_ms, &status);
	if (ret == -ETIMEDOUT) {
		snprintf(err, errlen, "the script %s (%s) did not finish within %.1f s: killed",
			 path, reason, timeout_ms / 1000.0);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "waiting for the script %s (%s): %s", path, reason,
			 strerror(-ret));
		return -EIO;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status))
		snprintf(err, errlen, "the script %s failed at %s: exit status %d", path, reason,
			 WEXITSTATUS(status));
	else
		snprintf(err, errlen, "the script %s failed at %s: killed by signal %d (%s)",
			 path, reason, WTERMSIG(status), strsignal(WTERMSIG(status)));
	return -EIO;
}

int vpnc_script_reason(const char *path, const struct vpnc_settings *v, const char *reason)
{
	char err[512];
	int ret;

	if (!path)
		return 0;
	ret = vpnc_script_run(path, v, reason, VPNC_TIMEOUT_MS, err, sizeof(err));
	if (ret)
		fprintf(stderr, "zcvpn: %s\n", err);
	return ret;
}
