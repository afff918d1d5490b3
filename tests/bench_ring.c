/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ring benchmark (a program, not a test): records per second and Gbit/s of payload through
 * the record ring, side by side in the same run with the naive path it replaces: the
 * producer mallocs a buffer, copies the packet in and pushes the pointer onto a queue; the
 * consumer pops it, copies the packet out and frees the buffer.  Both paths copy each
 * packet in once (where a tun read or recvmmsg would land it) and out once (the tun write
 * or sendmmsg), so what differs is the hand-over: ring records against malloc, free and a
 * pointer queue.  That queue is a good one (lock-free single-producer single-consumer,
 * its indexes published once per batch like the ring's tail and head), so the ratio is not
 * flattered by a slow baseline.
 *
 * Modes: one thread producing a batch and then consuming it, and a producer thread with a
 * consumer thread that poll a full or empty queue (sched_yield after a while).  Every
 * record carries a sequence number the consumer checks.  Options: -s SECONDS per
 * measurement (default 1.2, eight measurements), -n COUNT records per measurement at most.
 *
 * A measurement is one path in one cell (mode and size); the two paths of a cell run in
 * interleaved rounds on the same ring and queue (tests/bench-util.h), a few warm-up
 * rounds first (page faults, cold caches), and what is printed is the median over the
 * rounds of records per second of wall time (two threads: CPU time would not do) with
 * its interquartile range, and the ratio of the medians with the spread of the
 * per-round ratio.  The main thread (the consumer) is pinned to one CPU, the producer
 * thread to another when there is one.
 */
#include "config.h"

#define BENCH_NAME "bench_ring"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring/ring.h"
#include "tests/bench-util.h"

enum {
	BATCH = 32,		/* records per reserve..publish and peek..release round */
	QUEUE_SLOTS = 4096,	/* the baseline's pointer queue, a power of two */
	SPINS = 64,		/* polls of a full or empty queue before a sched_yield */
	MAX_SIZE = 1500,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A VPN receive ring: room for ESP's header in front, its padding and ICV behind. */
static const struct ring_params params = {
	.capacity = 1u << 20, .max_payload = MAX_SIZE, .lead = 32, .trail = 48, .align = 16,
};

struct ptr_queue {
	_Alignas(64) _Atomic uint64_t head;	/* written by the consumer */
	uint64_t tail_seen;
	_Alignas(64) _Atomic uint64_t tail;	/* written by the producer */
	uint64_t head_seen;
	_Alignas(64) void *slot[QUEUE_SLOTS];
};

/* One end of a path, owned by one thread (a cache line of its own). */
struct side {
	_Alignas(64) const struct bench *b;
	struct ring *ring;
	struct ptr_queue *q;
	uint64_t seq;		/* next sequence number to make or to expect */
};

struct bench {
	uint32_t size;
	double seconds;
	uint64_t limit;				/* records per measurement, at most */
	uint64_t until;				/* the producer stops at this record */
	uint8_t packet[MAX_SIZE];
	struct ring *prod_ring, *cons_ring;	/* two handles on one shared area */
	struct ptr_queue *q;
	struct side prod, cons;
	_Atomic bool done;			/* two threads: the producer has stopped */
};

/* Keeps the compiler from dropping a copy whose bytes nobody reads. */
static inline void clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static void die(const char *what, uint64_t seq)
{
	fprintf(stderr, "bench_ring: %s at record %" PRIu64 "\n", what, seq);
	exit(EXIT_FAILURE);
}

/* The copy in: the packet, stamped with its sequence number. */
static void packet_in(struct side *s, uint8_t *dst)
{
	uint64_t seq = s->seq++;

	memcpy(dst, s->b->packet, s->b->size);
	memcpy(dst, &seq, sizeof(seq));
	clobber(dst);
}

/* The copy out, and the check that nothing was lost or reordered. */
static void packet_out(struct side *s, const uint8_t *src)
{
	uint8_t out[MAX_SIZE];
	uint64_t seq;

	memcpy(out, src, s->b->size);
	clobber(out);
	memcpy(&seq, out, sizeof(seq));
	if (seq != s->seq++)
		die("record lost or out of order", s->seq - 1);
}

/* ---- the ring ------------------------------------------------------------------------ */

static unsigned ring_produce(struct side *s, unsigned n)
{
	struct ring_rec rec;
	unsigned made;

	for (made = 0; made < n && ring_reserve(s->ring, s->b->size, &rec) == 0; made++) {
		packet_in(s, rec.payload);
		ring_commit(s->ring, &rec);
	}
	if (made && ring_publish(s->ring) != (int)made)
		die("ring publish", s->seq);
	return made;
}

static unsigned ring_consume(struct side *s, unsigned n)
{
	struct ring_rec rec;
	unsigned got;

	for (got = 0; got < n && ring_peek(s->ring, &rec) == 0; got++) {
		packet_out(s, rec.payload);
		ring_release(s->ring, &rec);
	}
	return got;
}

/* ---- the baseline: malloc, memcpy and a pointer queue -------------------------------- */

static unsigned queue_produce(struct side *s, unsigned n)
{
	struct ptr_queue *q = s->q;
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	unsigned made;

	if (tail + n - q->head_seen > QUEUE_SLOTS)
		q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
	for (made = 0; made < n && tail - q->head_seen < QUEUE_SLOTS; made++, tail++) {
		uint8_t *buf = malloc(s->b->size);

		if (!buf)
			die("out of memory", s->seq);
		packet_in(s, buf);
		q->slot[tail % QUEUE_SLOTS] = buf;
	}
	atomic_store_explicit(&q->tail, tail, memory_order_release);
	return made;
}

static unsigned queue_consume(struct side *s, unsigned n)
{
	struct ptr_queue *q = s->q;
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	unsigned got;

	if (head + n > q->tail_seen)
		q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
	for (got = 0; got < n && head < q->tail_seen; got++, head++) {
		uint8_t *buf = q->slot[head % QUEUE_SLOTS];

		packet_out(s, buf);
		free(buf);
	}
	atomic_store_explicit(&q->head, head, memory_order_release);
	return got;
}

/* A path moves up to n records in or out and says how many it moved. */
struct path {
	unsigned (*produce)(struct side *s, unsigned n);
	unsigned (*consume)(struct side *s, unsigned n);
};

static const struct path ring_path = { ring_produce, ring_consume };
static const struct path queue_path = { queue_produce, queue_consume };

/* ---- the modes ------------------------------------------------------------------------ */

struct result {
	uint64_t records;
	double seconds;
};

static void bench_open(struct bench *b)
{
	b->q = aligned_alloc(64, sizeof(*b->q));
	if (!b->q || ring_new(&b->prod_ring, &params) ||
	    ring_attach(&b->cons_ring, &params, ring_shared(b->prod_ring),
			ring_event_fd(b->prod_ring)))
		die("setup failed", 0);
	memset(b->q, 0, sizeof(*b->q));
	b->prod = (struct side){ .b = b, .ring = b->prod_ring, .q = b->q };
	b->cons = (struct side){ .b = b, .ring = b->cons_ring, .q = b->q };
	atomic_store(&b->done, false);
}

static void bench_close(struct bench *b)
{
	ring_free(b->cons_ring);
	ring_free(b->prod_ring);
	free(b->q);
}

static bool time_is_up(const struct bench *b, double start, double seconds)
{
	return b->prod.seq >= b->until || bench_now_s() - start >= seconds;
}

static struct result one_thread(struct bench *b, const struct path *path, double seconds)
{
	double start = bench_now_s();

	while (!time_is_up(b, start, seconds)) {
		unsigned made = path->produce(&b->prod, BATCH);

		if (path->consume(&b->cons, made) != made)
			die("consumer came up short", b->cons.seq);
	}
	return (struct result){ b->cons.seq, bench_now_s() - start };
}

/* Polls politely: after SPINS empty or full polls, give the core away once. */
static void backoff(unsigned *idle)
{
	if (++*idle % SPINS == 0)
		sched_yield();
}

struct producer_arg {
	struct bench *b;
	const struct path *path;
	double start, seconds;
};

/* The producer thread's CPU: pinned once, on its first run, and said once. */
static void pin_producer(void)
{
	static int said;
	int cpu = bench_pin_other_cpu();

	if (said++)
		return;
	if (cpu >= 0)
		printf("2 threads: producer pinned to cpu %d\n", cpu);
	else
		printf("2 threads: producer not pinned to a CPU of its own (none other allowed)\n");
}

static void *producer(void *arg)
{
	struct producer_arg *a = arg;
	unsigned idle = 0;

	pin_producer();

	while (!time_is_up(a->b, a->start, a->seconds)) {
		if (a->path->produce(&a->b->prod, BATCH))
			idle = 0;
		else
			backoff(&idle);
	}
	atomic_store_explicit(&a->b->done, true, memory_order_release);
	return NULL;
}

static struct result two_threads(struct bench *b, const struct path *path, double seconds)
{
	struct producer_arg arg = { b, path, bench_now_s(), seconds };
	unsigned idle = 0;
	pthread_t t;

	atomic_store(&b->done, false);
	if (pthread_create(&t, NULL, producer, &arg))
		die("pthread_create", 0);
	for (;;) {
		/* Read done first: after it, everything the producer made is visible. */
		bool done = atomic_load_explicit(&b->done, memory_order_acquire);

		if (path->consume(&b->cons, BATCH))
			idle = 0;
		else if (done)
			break;
		else
			backoff(&idle);
	}
	pthread_join(t, NULL);
	if (b->cons.seq != b->prod.seq)
		die("records lost", b->cons.seq);
	return (struct result){ b->cons.seq, bench_now_s() - arg.start };
}

/* Records per second of one round of path in mode, at most limit records. */
static double round_rate(struct bench *b, const struct path *path,
			 struct result (*mode)(struct bench *, const struct path *, double),
			 double seconds, uint64_t limit)
{
	uint64_t before = b->cons.seq;
	struct result r;

	b->until = limit > UINT64_MAX - b->prod.seq ? UINT64_MAX : b->prod.seq + limit;
	r = mode(b, path, seconds);
	return (double)(r.records - before) / r.seconds;
}

/*
 * One cell: both paths on one ring and one queue, in interleaved rounds (warm-up rounds
 * first, discarded), at most b->limit records per path in all.
 */
static void measure(struct bench *b, const struct path *const paths[2],
		    struct result (*mode)(struct bench *, const struct path *, double),
		    double rate[2][BENCH_ROUNDS])
{
	enum { ALL_ROUNDS = BENCH_ROUNDS + BENCH_WARMUP_ROUNDS };
	double slice = b->seconds / ALL_ROUNDS;
	uint64_t limit = b->limit / ALL_ROUNDS ? b->limit / ALL_ROUNDS : 1;

	bench_open(b);
	for (int r = -BENCH_WARMUP_ROUNDS; r < BENCH_ROUNDS; r++) {
		bench_note_cpu();
		for (int k = 0; k < 2; k++) {
			int p = (r + BENCH_WARMUP_ROUNDS + k) % 2;
			double v = round_rate(b, paths[p], mode, slice, limit);

			if (r >= 0)
				rate[p][r] = v;
		}
	}
	bench_close(b);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_ring [-s SECONDS] [-n COUNT]\n"
		"  -s  seconds per measurement (default 1.2; eight measurements)\n"
		"  -n  records per measurement, at most\n");
	exit(EXIT_FAILURE);
}

static void parse(struct bench *b, int argc, char **argv)
{
	int opt;

	b->seconds = 1.2;
	b->limit = UINT64_MAX;
	while ((opt = getopt(argc, argv, "s:n:h")) != -1) {
		char *end = NULL;

		if (opt == 's')
			b->seconds = strtod(optarg, &end);
		else if (opt == 'n')
			b->limit = strtoull(optarg, &end, 0);
		if (!end || *end || b->seconds <= 0 || b->limit == 0)
			usage();
	}
	if (optind != argc)
		usage();
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 1400 };
	static const struct {
		const char *name;
		struct result (*run)(struct bench *, const struct path *, double);
	} modes[] = {
		{ "1 thread", one_thread },
		{ "2 threads", two_threads },
	};
	struct bench *b = aligned_alloc(64, sizeof(*b));

	if (!b)
		die("out of memory", 0);
	memset(b, 0, sizeof(*b));
	parse(b, argc, argv);
	for (size_t i = 0; i < sizeof(b->packet); i++)
		b->packet[i] = (uint8_t)(0x45 + i * 7);
	printf("ring (capacity %u KiB, lead %u, trail %u, align %u) against malloc + memcpy + "
	       "a lock-free pointer queue;\nbatches of %d, each record copied in and out once\n\n",
	       params.capacity >> 10, params.lead, params.trail, params.align, BATCH);
	bench_pin_cpu();
	printf("%.2f s per path and cell: median of %d interleaved rounds after %d warm-up "
	       "rounds,\nrecords per second of wall time; spread = interquartile range, %% of "
	       "the median\n\n", b->seconds, BENCH_ROUNDS, BENCH_WARMUP_ROUNDS);
	printf("%-10s %5s | %12s %6s %7s | %12s %6s %7s | %6s %6s\n", "mode", "bytes",
	       "ring rec/s", "spread", "Gbit/s", "queue rec/s", "spread", "Gbit/s", "ratio",
	       "spread");
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		for (size_t z = 0; z < ARRAY_SIZE(sizes); z++) {
			static const struct path *const paths[2] = { &ring_path, &queue_path };
			double rate[2][BENCH_ROUNDS], ratio[BENCH_ROUNDS];
			struct bench_spread ring, queue, per_round;

			b->size = sizes[z];
			measure(b, paths, modes[m].run, rate);
			ring = bench_spread_of(rate[0], BENCH_ROUNDS);
			queue = bench_spread_of(rate[1], BENCH_ROUNDS);
			for (int r = 0; r < BENCH_ROUNDS; r++)
				ratio[r] = rate[0][r] / rate[1][r];
			per_round = bench_spread_of(ratio, BENCH_ROUNDS);
			printf("%-10s %5u | %12.0f %5.1f%% %7.2f | %12.0f %5.1f%% %7.2f | %5.2fx %5.1f%%\n",
			       modes[m].name, b->size, ring.median, bench_iqr_pct(&ring),
			       ring.median * b->size * 8 / 1e9, queue.median, bench_iqr_pct(&queue),
			       queue.median * b->size * 8 / 1e9, ring.median / queue.median,
			       bench_iqr_pct(&per_round));
			fflush(stdout);
		}
	}
	bench_report_migrations();
	free(b);
	return 0;
}
