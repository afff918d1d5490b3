/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ring benchmark (a program, not a test): records per second through the record ring,
 * single-thread and across two threads, for 64- and 1400-byte records, side by side in
 * one run with a naive queue doing the same work the copying way: the producer
 * mallocs a buffer, copies the packet in and queues the pointer (mutex + condition
 * variable); the consumer takes it, reads it and frees it.
 *
 * Both sides write each packet once (what a tun read does) and read it once (what a
 * tun write does); only the transport between them differs.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring/ring.h"

enum { BATCH = 32, QUEUE_SLOTS = 4096 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t packet[1500];
static volatile uint8_t sink;

/* ---- the ring ----------------------------------------------------------------------- */

static const struct ring_params params = {
	.capacity = 1u << 22, .max_payload = 1500, .lead = 32, .trail = 48, .align = 16,
};

static int ring_produce(struct ring *r, uint32_t size, int n)
{
	struct ring_rec rec;
	int made = 0;

	while (made < n && ring_reserve(r, size, &rec) == 0) {
		memcpy(rec.payload, packet, size);	/* the tun's read lands here */
		ring_commit(r, &rec);
		made++;
	}
	ring_publish(r);
	return made;
}

static int ring_consume(struct ring *r, int n)
{
	struct ring_rec rec;
	int got = 0;

	while (got < n && ring_peek(r, &rec) == 0) {
		sink ^= rec.payload[rec.size - 1];	/* the tun's write reads it */
		ring_release(r, &rec);
		got++;
	}
	return got;
}

static double ring_single(uint32_t size, uint64_t count)
{
	struct ring *r;
	double t;

	ring_new(&r, &params);
	t = now_s();
	for (uint64_t done = 0; done < count;) {
		ring_produce(r, size, BATCH);
		done += (uint64_t)ring_consume(r, BATCH);
	}
	t = now_s() - t;
	ring_free(r);
	return (double)count / t;
}

struct ring_job {
	struct ring *r;
	uint32_t size;
	uint64_t count;
};

static void *ring_producer(void *arg)
{
	struct ring_job *j = arg;

	for (uint64_t done = 0; done < j->count;) {
		int n = ring_produce(j->r, j->size,
				     (int)(j->count - done < BATCH ? j->count - done : BATCH));

		done += (uint64_t)n;
		if (!n)
			sched_yield();	/* full: the consumer has work to do */
	}
	return NULL;
}

static double ring_threads(uint32_t size, uint64_t count)
{
	struct ring_job j = { .size = size, .count = count };
	pthread_t prod;
	double t;

	ring_new(&j.r, &params);
	t = now_s();
	pthread_create(&prod, NULL, ring_producer, &j);
	for (uint64_t done = 0; done < count;) {
		int n = ring_consume(j.r, BATCH);

		done += (uint64_t)n;
		if (!n)
			ring_wait(j.r, 100);
	}
	pthread_join(prod, NULL);
	t = now_s() - t;
	ring_free(j.r);
	return (double)count / t;
}

/* ---- the copying queue ----------------------------------------------------------------- */

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t *slot[QUEUE_SLOTS];
	uint32_t len[QUEUE_SLOTS];
	unsigned head, tail;
};

static bool queue_push(struct queue *q, uint32_t size)
{
	uint8_t *b = malloc(size);
	bool ok;

	memcpy(b, packet, size);
	pthread_mutex_lock(&q->lock);
	ok = q->tail - q->head < QUEUE_SLOTS;
	if (ok) {
		q->slot[q->tail % QUEUE_SLOTS] = b;
		q->len[q->tail % QUEUE_SLOTS] = size;
		q->tail++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	if (!ok)
		free(b);
	return ok;
}

static bool queue_pop(struct queue *q, bool wait)
{
	uint8_t *b = NULL;
	uint32_t len = 0;

	pthread_mutex_lock(&q->lock);
	if (wait && q->head == q->tail) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	}
	if (q->head != q->tail) {
		b = q->slot[q->head % QUEUE_SLOTS];
		len = q->len[q->head % QUEUE_SLOTS];
		q->head++;
	}
	pthread_mutex_unlock(&q->lock);
	if (!b)
		return false;
	sink ^= b[len - 1];
	free(b);
	return true;
}

static struct queue *queue_new(void)
{
	struct queue *q = calloc(1, sizeof(*q));

	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	return q;
}

static double queue_single(uint32_t size, uint64_t count)
{
	struct queue *q = queue_new();
	double t = now_s();

	for (uint64_t done = 0; done < count;) {
		for (int i = 0; i < BATCH; i++)
			queue_push(q, size);
		for (int i = 0; i < BATCH && queue_pop(q, false); i++)
			done++;
	}
	t = now_s() - t;
	free(q);
	return (double)count / t;
}

struct queue_job {
	struct queue *q;
	uint32_t size;
	uint64_t count;
};

static void *queue_producer(void *arg)
{
	struct queue_job *j = arg;

	for (uint64_t done = 0; done < j->count;) {
		if (queue_push(j->q, j->size))
			done++;
		else
			sched_yield();
	}
	return NULL;
}

static double queue_threads(uint32_t size, uint64_t count)
{
	struct queue_job j = { .q = queue_new(), .size = size, .count = count };
	pthread_t prod;
	double t = now_s();

	pthread_create(&prod, NULL, queue_producer, &j);
	for (uint64_t done = 0; done < count;)
		if (queue_pop(j.q, true))
			done++;
	pthread_join(prod, NULL);
	t = now_s() - t;
	free(j.q);
	return (double)count / t;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 1400 };
	uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;

	memset(packet, 0x45, sizeof(packet));
	printf("record ring vs malloc+memcpy queue, %llu records per case\n",
	       (unsigned long long)count);
	printf("%-12s %5s | %12s %12s | %7s\n", "mode", "bytes", "ring rec/s", "queue rec/s",
	       "ratio");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double r = ring_single(sizes[i], count), q = queue_single(sizes[i], count);

		printf("%-12s %5u | %12.0f %12.0f | %6.2fx\n", "one thread", sizes[i], r, q, r / q);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double r = ring_threads(sizes[i], count), q = queue_threads(sizes[i], count);

		printf("%-12s %5u | %12.0f %12.0f | %6.2fx\n", "two threads", sizes[i], r, q, r / q);
	}
	return 0;
}
