/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the benchmarks share: the clock, a fatal error, big-endian nonce counters, the
 * CPU they run on, and the timing itself.
 *
 * A single best-of or one-after-the-other timing on a shared VM gives another answer
 * every run: another tenant, a migration or a frequency step lands on one mode and not
 * the others.  So the modes run in many short rounds, one slice of every mode per
 * round, the order rotated from round to round so no mode always follows the same one;
 * with bench_run_plan the cells of a table interleave too, so each cell's rounds are
 * spread over the whole run and not over the second a phase of the machine may last.
 * A few warm-up rounds are thrown away, and what is reported is the median over the
 * rounds with its interquartile range.  Ratios come from the medians, and the spread of
 * the ratio from the per-round ratios (both modes of a round share the machine's state
 * of that moment, so that spread is usually the narrower one).  Rates are per CPU
 * second of the thread, so time another task took from it does not count.  The process
 * is pinned to one CPU when the affinity mask allows it, and the CPU is named, so that
 * two runs can be compared knowing they ran on the same thing.
 *
 * BENCH_SIZES (a comma-separated list: "64,1400") and BENCH_SUITES pick cells, for a
 * profiler; BENCH_CPU=N picks the CPU.
 *
 * A program defines BENCH_NAME and its own struct bench before including this.
 */
#ifndef ZCVPN_TESTS_BENCH_UTIL_H
#define ZCVPN_TESTS_BENCH_UTIL_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	BENCH_ROUNDS = 30,		/* measured rounds per cell; each runs every mode once */
	BENCH_WARMUP_ROUNDS = 3,	/* run first and discarded: caches, clocks, branch state */
	BENCH_MAX_MODES = 4,
};

/* Clock reads: at least this far apart (calls between them double until they are). */
#define BENCH_CHECK_S 50e-6

struct bench;
typedef void (*bench_packet_fn)(struct bench *b);

static inline __attribute__((noreturn)) void bench_die(const char *what, long val)
{
	fprintf(stderr, BENCH_NAME ": %s (%ld)\n", what, val);
	exit(EXIT_FAILURE);
}

static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bench_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ---- selection ------------------------------------------------------------------------ */

/*
 * Whether name is in the comma-separated list in the environment variable env (unset or
 * empty: everything is).  BENCH_SIZES=64 runs only the 64-byte cells, for a profiler.
 */
static inline bool bench_selected(const char *env, const char *name)
{
	const char *list = getenv(env);
	size_t n = strlen(name);

	if (!list || !*list)
		return true;
	for (const char *p = list; *p; ) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, name, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static inline bool bench_size_selected(uint32_t size)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", size);
	return bench_selected("BENCH_SIZES", name);
}

/* ---- the CPU -------------------------------------------------------------------------- */

struct bench_host {
	cpu_set_t allowed;		/* the affinity mask before pinning */
	int cpu;			/* pinned to, or -1 */
	int last_cpu;			/* seen at the last round */
	unsigned long migrations;	/* rounds that found the process on another CPU */
};

static inline struct bench_host *bench_host(void)
{
	static struct bench_host host = { .cpu = -1, .last_cpu = -1 };

	return &host;
}

/* The first "model name" line of /proc/cpuinfo (x86; others say "Processor" or nothing). */
static inline void bench_cpu_model(char *out, size_t size)
{
	static const char *const keys[] = { "model name", "Processor", "cpu model" };
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, size, "unknown model");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strncmp(line, keys[k], strlen(keys[k])))
				continue;
			colon += 1 + strspn(colon + 1, " \t");
			colon[strcspn(colon, "\n")] = 0;
			snprintf(out, size, "%s", colon);
			fclose(f);
			return;
		}
	}
	fclose(f);
}

/*
 * Pins the calling thread (before any other exists: the process) to one CPU, BENCH_CPU
 * if set, else the one it is running on, and prints a line naming it.  The scheduler
 * moving the benchmark between cores mid-cell is one of the things that made two runs
 * disagree.  Returns the CPU, or -1 when pinning was refused (the line says why).
 */
static inline int bench_pin_cpu(void)
{
	struct bench_host *h = bench_host();
	const char *env = getenv("BENCH_CPU");
	int want = env && *env ? atoi(env) : sched_getcpu();
	char model[128];
	cpu_set_t set;

	bench_cpu_model(model, sizeof(model));
	if (sched_getaffinity(0, sizeof(h->allowed), &h->allowed))
		CPU_ZERO(&h->allowed);
	CPU_ZERO(&set);
	if (want >= 0 && want < CPU_SETSIZE)
		CPU_SET(want, &set);
	if (want < 0 || sched_setaffinity(0, sizeof(set), &set)) {
		int err = want < 0 ? EINVAL : errno;

		h->last_cpu = sched_getcpu();
		printf("cpu: %s, cpu %d, not pinned (sched_setaffinity to %d: %s)\n", model,
		       h->last_cpu, want, strerror(err));
		return -1;
	}
	h->cpu = h->last_cpu = sched_getcpu();
	printf("cpu: %s, cpu %d, pinned with sched_setaffinity\n", model, h->cpu);
	return h->cpu;
}

/*
 * For a second thread (bench_ring's producer): pins the calling thread to another CPU
 * of the mask the process started with.  Returns it, or -1 (none, or refused: the
 * thread then shares the pinned CPU, which the caller had better say).
 */
static inline int bench_pin_other_cpu(void)
{
	struct bench_host *h = bench_host();
	cpu_set_t set;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (cpu == h->cpu || !CPU_ISSET(cpu, &h->allowed))
			continue;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (!sched_setaffinity(0, sizeof(set), &set))
			return cpu;
	}
	return -1;
}

/* Called between rounds: counts the times the process was found on another CPU. */
static inline void bench_note_cpu(void)
{
	struct bench_host *h = bench_host();
	int cpu = sched_getcpu();

	if (h->last_cpu >= 0 && cpu != h->last_cpu)
		h->migrations++;
	h->last_cpu = cpu;
}

/* A closing line when the process did not stay on one CPU (nothing when it did). */
static inline void bench_report_migrations(void)
{
	if (bench_host()->migrations)
		printf("note: the process changed CPU between rounds %lu times\n",
		       bench_host()->migrations);
}

/* ---- statistics ----------------------------------------------------------------------- */

struct bench_spread {
	double median;
	double q1, q3;		/* first and third quartiles */
	double min, max;
};

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Quantile q of n sorted values, interpolated between neighbours. */
static inline double bench_quantile(const double *sorted, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

static inline struct bench_spread bench_spread_of(const double *v, int n)
{
	double sorted[BENCH_ROUNDS];
	struct bench_spread s;

	if (n < 1 || n > BENCH_ROUNDS)
		bench_die("bench_spread_of: bad sample count", n);
	memcpy(sorted, v, sizeof(*v) * (size_t)n);
	qsort(sorted, (size_t)n, sizeof(*sorted), bench_cmp_double);
	s.median = bench_quantile(sorted, n, 0.5);
	s.q1 = bench_quantile(sorted, n, 0.25);
	s.q3 = bench_quantile(sorted, n, 0.75);
	s.min = sorted[0];
	s.max = sorted[n - 1];
	return s;
}

/* The interquartile range as a percentage of the median: the "spread" columns. */
static inline double bench_iqr_pct(const struct bench_spread *s)
{
	return s->median ? 100 * (s->q3 - s->q1) / s->median : 0;
}

/* ---- timing --------------------------------------------------------------------------- */

/* CPU seconds this thread has run: what other tasks on its CPU took is not in it. */
static inline double bench_thread_cpu_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		bench_die("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed", errno);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * fn on b for at least secs of wall time: calls per CPU second of this thread.  The
 * wall clock (vDSO, cheap) bounds the slice, so a cell takes as long whatever else
 * runs; it is read every BENCH_CHECK_S or so, whether a call takes 100 ns or 100 us.
 * The thread's CPU clock (a system call, read twice a slice) gives the rate, so a slice
 * in which another task had the CPU for a while counts only the time the benchmark ran.
 */
static inline double bench_rate(bench_packet_fn fn, struct bench *b, double secs)
{
	uint64_t n = 0, per_check = 1;
	double t0 = bench_now_s(), last = 0, t, cpu0 = bench_thread_cpu_s(), cpu;

	do {
		for (uint64_t i = 0; i < per_check; i++)
			fn(b);
		n += per_check;
		t = bench_now_s() - t0;
		if (t - last < BENCH_CHECK_S && per_check < 4096)
			per_check *= 2;
		last = t;
	} while (t < secs);
	cpu = bench_thread_cpu_s() - cpu0;
	return cpu > 0 ? (double)n / cpu : 0;
}

/* One cell: every mode's rate in every measured round, and their medians and spreads. */
struct bench_cell {
	int modes;
	double rate[BENCH_MAX_MODES][BENCH_ROUNDS];	/* calls per second */
	struct bench_spread spread[BENCH_MAX_MODES];
};

/*
 * Runs the n modes for about secs seconds each (warm-up included, so a cell takes what
 * it did when it was one slice per mode): BENCH_WARMUP_ROUNDS discarded rounds, then
 * BENCH_ROUNDS measured ones, each a slice of every mode, starting one mode later each
 * round.
 */
static inline void bench_cell_run(struct bench_cell *c, const bench_packet_fn *fns, int n,
				  struct bench *b, double secs)
{
	double slice = secs / (BENCH_ROUNDS + BENCH_WARMUP_ROUNDS);

	if (n < 1 || n > BENCH_MAX_MODES)
		bench_die("bench_cell_run: bad mode count", n);
	c->modes = n;
	for (int r = -BENCH_WARMUP_ROUNDS; r < BENCH_ROUNDS; r++) {
		bench_note_cpu();
		for (int k = 0; k < n; k++) {
			int m = (r + BENCH_WARMUP_ROUNDS + k) % n;
			double rate = bench_rate(fns[m], b, slice);

			if (r >= 0)
				c->rate[m][r] = rate;
		}
	}
	for (int m = 0; m < n; m++)
		c->spread[m] = bench_spread_of(c->rate[m], BENCH_ROUNDS);
}

/*
 * A whole table at once: one entry per cell, each with the state its modes run on
 * (cells may share one) and, if set, what to do before each of its slices (enter: say
 * which packet size the shared state is to use).
 */
struct bench_plan {
	struct bench *b;
	const bench_packet_fn *fns;
	int modes;
	uint32_t size;
	void (*enter)(struct bench *b, uint32_t size);
	struct bench_cell cell;		/* the result */
};

/*
 * Runs every cell of the plan for about secs per mode, like bench_cell_run, but with the
 * cells interleaved as well: each round is a slice of every mode of every cell.  The
 * rounds of one cell are then spread over the whole run instead of one second of it, so
 * that a slower or faster phase of the machine (another tenant, lasting seconds) lands
 * on every cell alike, and a second run, seeing the same mix of phases, gives the same
 * medians.
 */
static inline void bench_run_plan(struct bench_plan *plan, int cells, double secs)
{
	double slice = secs / (BENCH_ROUNDS + BENCH_WARMUP_ROUNDS);

	for (int c = 0; c < cells; c++) {
		if (plan[c].modes < 1 || plan[c].modes > BENCH_MAX_MODES)
			bench_die("bench_run_plan: bad mode count", plan[c].modes);
		plan[c].cell.modes = plan[c].modes;
	}
	for (int r = -BENCH_WARMUP_ROUNDS; r < BENCH_ROUNDS; r++) {
		bench_note_cpu();
		for (int c = 0; c < cells; c++) {
			struct bench_plan *p = &plan[c];

			if (p->enter)
				p->enter(p->b, p->size);
			for (int k = 0; k < p->modes; k++) {
				int m = (r + BENCH_WARMUP_ROUNDS + k) % p->modes;
				double rate = bench_rate(p->fns[m], p->b, slice);

				if (r >= 0)
					p->cell.rate[m][r] = rate;
			}
		}
	}
	for (int c = 0; c < cells; c++)
		for (int m = 0; m < plan[c].modes; m++)
			plan[c].cell.spread[m] = bench_spread_of(plan[c].cell.rate[m], BENCH_ROUNDS);
}

static inline double bench_median(const struct bench_cell *c, int mode)
{
	return c->spread[mode].median;
}

/* Mode a against mode b: the ratio of the medians. */
static inline double bench_ratio(const struct bench_cell *c, int a, int b)
{
	return c->spread[a].median / c->spread[b].median;
}

/* The per-round ratios of a to b; their interquartile range is the ratio's spread. */
static inline struct bench_spread bench_round_ratio(const struct bench_cell *c, int a, int b)
{
	double v[BENCH_ROUNDS];

	for (int r = 0; r < BENCH_ROUNDS; r++)
		v[r] = c->rate[a][r] / c->rate[b][r];
	return bench_spread_of(v, BENCH_ROUNDS);
}

/* The ratio's spread in percent of the median ratio. */
static inline double bench_ratio_iqr_pct(const struct bench_cell *c, int a, int b)
{
	struct bench_spread s = bench_round_ratio(c, a, b);

	return bench_iqr_pct(&s);
}

/* The line under a table header that says what the figures are. */
static inline void bench_print_method(double secs_per_mode)
{
	printf("%.2f s per mode and cell: median of %d rounds after %d warm-up rounds, "
	       "modes and cells interleaved,\nrates per CPU second of the thread; spread = "
	       "interquartile range, %% of the median\n", secs_per_mode, BENCH_ROUNDS,
	       BENCH_WARMUP_ROUNDS);
}

#endif /* ZCVPN_TESTS_BENCH_UTIL_H */
