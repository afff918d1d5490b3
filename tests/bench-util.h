/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the data-path benchmarks (bench_dtls, bench_ppp) share: the clock, a fatal
 * error, big-endian nonce counters, and the timing itself: each mode of a cell runs in
 * slices interleaved with the others, so that load elsewhere on the machine hits all
 * modes alike, and the best slice counts.  A program defines BENCH_NAME and its own
 * struct bench before including this.
 */
#ifndef ZCVPN_TESTS_BENCH_UTIL_H
#define ZCVPN_TESTS_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum {
	BENCH_SLICES = 10,	/* interleaved timing slices per mode and cell */
	BENCH_BATCH = 64,	/* packets between clock reads */
};

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

/* fn on b, in batches, for at least secs: calls per second. */
static inline double bench_rate(bench_packet_fn fn, struct bench *b, double secs)
{
	uint64_t n = 0;
	double t0 = bench_now_s(), t;

	do {
		for (int i = 0; i < BENCH_BATCH; i++)
			fn(b);
		n += BENCH_BATCH;
		t = bench_now_s() - t0;
	} while (t < secs);
	return (double)n / t;
}

/* The n modes after a warm-up, BENCH_SLICES interleaved slices: best[m] of each. */
static inline void bench_best_rates(const bench_packet_fn *fns, int n, struct bench *b,
				    double secs, double *best)
{
	for (int m = 0; m < n; m++) {
		best[m] = 0;
		bench_rate(fns[m], b, secs / 10);	/* warm caches and clocks */
	}
	for (int s = 0; s < BENCH_SLICES; s++) {
		for (int m = 0; m < n; m++) {
			double r = bench_rate(fns[m], b, secs / BENCH_SLICES);

			if (r > best[m])
				best[m] = r;
		}
	}
}

#endif /* ZCVPN_TESTS_BENCH_UTIL_H */
